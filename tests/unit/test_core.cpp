#include <doctest/doctest.h>
#include <fmt/core.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <vector>

#include "codecbench/core/av.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/fingerprint.hpp"
#include "codecbench/core/json.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/core/log.hpp"
#include "codecbench/core/machine.hpp"
#include "codecbench/core/version.hpp"
#include "codecbench/run/executor.hpp"

using namespace codecbench;

TEST_CASE("check_av turns negative codes into FFmpegError with av_strerror text") {
  CHECK(av::check_av(5, "fine") == 5);
  try {
    av::check_av(AVERROR(EINVAL), "opening encoder x");
    FAIL("expected FFmpegError");
  } catch (const FFmpegError& e) {
    CHECK(e.averror() == AVERROR(EINVAL));
    CHECK(e.code() == ExitCode::kCodec);
    CHECK(std::string(e.what()) == "opening encoder x: Invalid argument");
  }
  CHECK(av::error_string(AVERROR_EOF) == "End of file");
}

TEST_CASE("Dictionary owns and moves its entries") {
  av::Dictionary d;
  d.set("crf", "23");
  d.set("preset", "fast");
  CHECK(d.size() == 2);
  av::Dictionary moved = std::move(d);
  CHECK(moved.size() == 2);
  CHECK(d.size() == 0);  // NOLINT(bugprone-use-after-move): moved-from state is defined
  const AVDictionaryEntry* e = av_dict_get(moved.get(), "crf", nullptr, 0);
  REQUIRE(e != nullptr);
  CHECK(std::string(e->value) == "23");
}

TEST_CASE("LogCapture collects this thread's FFmpeg messages, innermost first") {
  LogCapture outer(AV_LOG_WARNING);
  av_log(nullptr, AV_LOG_ERROR, "outer error %d\n", 1);
  {
    LogCapture inner(AV_LOG_ERROR);
    av_log(nullptr, AV_LOG_ERROR, "inner error\n");
    av_log(nullptr, AV_LOG_WARNING, "dropped warning\n");
    REQUIRE(inner.messages().size() == 1);
    CHECK(inner.errors() == "inner error");
  }
  av_log(nullptr, AV_LOG_WARNING, "outer warning\n");
  REQUIRE(outer.messages().size() == 2);
  CHECK(outer.messages()[0].text == "outer error 1");
  CHECK(outer.errors() == "outer error 1");
}

TEST_CASE("version_info reports the FFmpeg libraries actually loaded") {
  const VersionInfo v = version_info();
  CHECK_FALSE(v.tool.empty());
  REQUIRE(v.libraries.size() == 6);
  CHECK(v.libraries[0].name == "libavcodec");
  const unsigned rt = avcodec_version();
  CHECK(v.libraries[0].runtime == std::to_string(AV_VERSION_MAJOR(rt)) + "." +
                                      std::to_string(AV_VERSION_MINOR(rt)) + "." +
                                      std::to_string(AV_VERSION_MICRO(rt)));
}

namespace {

// A folder laid out like /proc and /sys, with the given files.
struct FakeRoot {
  std::filesystem::path path;
  FakeRoot() {
    char tmpl[] = "/tmp/codecbench-machine-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~FakeRoot() { std::filesystem::remove_all(path); }
  void write(const std::string& rel, const std::string& text) const {
    const auto p = path / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
};

bool has_kind(const std::vector<MachineWarning>& w, MachineWarning::Kind k) {
  return std::any_of(w.begin(), w.end(), [&](const MachineWarning& x) { return x.kind == k; });
}

}  // namespace

TEST_CASE("machine conditions are read from /proc and /sys, and each noise source is named") {
  FakeRoot r;
  const std::string cpu = "sys/devices/system/cpu/";
  r.write(cpu + "smt/active", "1\n");
  r.write(cpu + "smt/control", "on\n");
  r.write(cpu + "cpu0/cpufreq/scaling_governor", "powersave\n");
  r.write(cpu + "cpu1/cpufreq/scaling_governor", "performance\n");
  r.write(cpu + "cpu0/cpufreq/scaling_available_governors", "performance powersave\n");
  r.write(cpu + "cpu0/cpufreq/cpuinfo_max_freq", "3500000\n");
  r.write(cpu + "intel_pstate/no_turbo", "0\n");
  r.write("proc/loadavg", "3.50 2.00 1.00 2/300 1234\n");
  r.write("proc/meminfo",
          "MemTotal:       16384000 kB\nMemFree:  100 kB\nMemAvailable:     819200 kB\n");
  r.write("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu sse2 hypervisor avx2\n");
  r.write("proc/sys/kernel/osrelease", "6.1.0-test\n");
  r.write(".dockerenv", "");
  const MachineConditions c = read_machine_conditions(r.path.string());
  CHECK(c.smt == "on");
  CHECK(c.governor == "performance,powersave");  // two CPUs that differ: both named
  CHECK(c.boost == "on");                        // no_turbo 0
  CHECK(c.max_mhz == doctest::Approx(3500));
  CHECK(c.load_average[0] == doctest::Approx(3.5));
  CHECK(c.load_average[2] == doctest::Approx(1.0));
  CHECK(c.memory_total_bytes == 16384000ULL * 1024);
  CHECK(c.memory_available_bytes == 819200ULL * 1024);
  CHECK(c.hypervisor);
  CHECK(c.container == "docker");
  CHECK(c.kernel == "6.1.0-test");

  const auto w = machine_warnings(c, 4, 1);
  CHECK(has_kind(w, MachineWarning::Kind::kGovernor));
  CHECK(has_kind(w, MachineWarning::Kind::kBoost));
  CHECK(has_kind(w, MachineWarning::Kind::kSmt));
  CHECK_FALSE(has_kind(w, MachineWarning::Kind::kBusy));  // 4 - 3.5 free >= 1 - 0.5
  CHECK(has_kind(w, MachineWarning::Kind::kVirtualMachine));
  CHECK(has_kind(w, MachineWarning::Kind::kMemory));                        // 0.8 GiB free
  CHECK(has_kind(machine_warnings(c, 4, 2), MachineWarning::Kind::kBusy));  // 0.5 free of 2
  for (const auto& x : w) CHECK_FALSE(x.fix.empty());

  // A JSON round trip keeps every fact; a record without conditions stays empty.
  const MachineConditions back = nlohmann::json(c).get<MachineConditions>();
  CHECK(nlohmann::json(back) == nlohmann::json(c));
  CHECK(MachineConditions{}.empty());
  CHECK(conditions_text(c) ==
        "governor performance,powersave, boost on, SMT on, load 3.50, 0.8 GiB of 15.6 GiB free, "
        "virtual machine, container (docker)");
}

TEST_CASE("a quiet machine: performance governor without alternatives, boost off, no warnings") {
  FakeRoot r;
  const std::string cpu = "sys/devices/system/cpu/";
  r.write(cpu + "smt/active", "0\n");
  r.write(cpu + "cpu0/cpufreq/scaling_governor", "schedutil\n");
  r.write(cpu + "cpu0/cpufreq/scaling_available_governors", "schedutil\n");  // cannot be set
  r.write(cpu + "cpufreq/boost", "0\n");
  r.write("proc/loadavg", "0.05 0.10 0.10 1/100 99\n");
  r.write("proc/meminfo", "MemTotal: 8000000 kB\nMemAvailable: 7000000 kB\n");
  r.write("proc/cpuinfo", "flags\t: fpu sse2\n");
  const MachineConditions c = read_machine_conditions(r.path.string());
  CHECK(c.smt == "off");
  CHECK(c.boost == "off");
  CHECK_FALSE(c.hypervisor);
  CHECK(c.container.empty());
  CHECK(machine_warnings(c, 2, 2).empty());
}

TEST_CASE("image-sequence patterns: the one number field, the files from 0..4 to a gap") {
  CHECK(sequence_file_name("png/%03d.png", 7) == "png/007.png");
  CHECK(sequence_file_name("a%d.bmp", 1234) == "a1234.bmp");
  CHECK(sequence_file_name("100%%/%02d.png", 3) == "100%/03.png");
  CHECK_FALSE(sequence_file_name("plain.png", 1).has_value());
  CHECK_FALSE(sequence_file_name("%d/%d.png", 1).has_value());  // two fields: not image2's form
  CHECK_FALSE(sequence_file_name("%s.png", 1).has_value());
  CHECK_FALSE(is_sequence_pattern("100%%.png"));

  FakeRoot dir;
  const std::string pattern = (dir.path / "f%03d.png").string();
  CHECK(is_sequence_pattern(pattern));
  CHECK_THROWS_WITH_AS(find_image_sequence(pattern), doctest::Contains("no numbered file matches"),
                       InputError);
  for (int n : {2, 3, 4, 6}) dir.write(fmt::format("f{:03d}.png", n), std::to_string(n));
  const auto seq = find_image_sequence(pattern);
  REQUIRE(seq.has_value());
  CHECK(seq->first == 2);
  REQUIRE(seq->files.size() == 3);  // 2, 3, 4; 5 is missing, so 6 is not part of it
  CHECK(seq->files.back() == (dir.path / "f004.png").string());
  CHECK_FALSE(find_image_sequence((dir.path / "f002.png").string()).has_value());

  // The fingerprint follows the files' contents, not their names.
  const std::string before = file_fingerprint(pattern);
  CHECK(before.rfind("xxh3:", 0) == 0);
  dir.write("f003.png", "changed");
  CHECK(file_fingerprint(pattern) != before);

  // A literal file whose name looks like a pattern is that file.
  dir.write("g%d.png", "x");
  CHECK_FALSE(is_sequence_pattern((dir.path / "g%d.png").string()));
}

TEST_CASE("CPUs of this process: the affinity mask, capped by a Slurm task's cpus-per-task") {
  CHECK(allotted_cpus(8, 64, nullptr, nullptr) == 8);
  CHECK(allotted_cpus(0, 64, nullptr, nullptr) == 64);  // no mask: the online CPUs
  CHECK(allotted_cpus(0, 0, nullptr, nullptr) == 1);
  // Inside a Slurm job, SLURM_CPUS_PER_TASK caps it (task/none leaves the mask whole) ...
  CHECK(allotted_cpus(64, 64, "1234", "4") == 4);
  CHECK(allotted_cpus(0, 16, "1234", "2") == 2);
  // ... but never raises it, and only a positive integer counts.
  CHECK(allotted_cpus(2, 64, "1234", "8") == 2);
  for (const char* bad : {"", "0", "-3", "4x", "x", "99999999999999999999"}) {
    CHECK(allotted_cpus(8, 64, "1234", bad) == 8);
  }
  // Outside a Slurm job the variable is ignored (a login shell may have it left over).
  CHECK(allotted_cpus(8, 64, nullptr, "2") == 8);
  CHECK(allotted_cpus(8, 64, "", "2") == 8);

  // The live value follows the environment.
  const char* job = std::getenv("SLURM_JOB_ID");
  const char* per = std::getenv("SLURM_CPUS_PER_TASK");
  const std::string saved_job = job != nullptr ? job : "", saved_per = per != nullptr ? per : "";
  ::setenv("SLURM_JOB_ID", "77", 1);
  ::setenv("SLURM_CPUS_PER_TASK", "1", 1);
  CHECK(hardware_threads() == 1);
  CHECK(effective_threads(0) == 1);
  ::unsetenv("SLURM_JOB_ID");
  CHECK(hardware_threads() >= 1);
  if (job != nullptr) ::setenv("SLURM_JOB_ID", saved_job.c_str(), 1);
  if (per != nullptr) {
    ::setenv("SLURM_CPUS_PER_TASK", saved_per.c_str(), 1);
  } else {
    ::unsetenv("SLURM_CPUS_PER_TASK");
  }
}

TEST_CASE("for_each_job starts jobs in index order, a free worker taking the next") {
  // Jobs 0 and 1 each wait until two jobs have started: whichever threads run them, the first
  // two to start must be 0 and 1 (a parallel_for would hand the second worker the middle of
  // the range). With one thread only, job 0's wait times out and 1 is still next.
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::size_t> started;
  std::vector<int> runs(8, 0);
  for_each_job(8, 2, [&](std::size_t i) {
    std::unique_lock lock(m);
    started.push_back(i);
    ++runs[i];
    cv.notify_all();
    if (i < 2) cv.wait_for(lock, std::chrono::seconds(5), [&] { return started.size() >= 2; });
  });
  REQUIRE(started.size() == 8);
  CHECK(std::set<std::size_t>(started.begin(), started.begin() + 2) == std::set<std::size_t>{0, 1});
  CHECK(std::all_of(runs.begin(), runs.end(), [](int r) { return r == 1; }));
  // One at a time: strictly in order. None: nothing runs.
  started.clear();
  for_each_job(5, 1, [&](std::size_t i) { started.push_back(i); });
  CHECK(started == std::vector<std::size_t>{0, 1, 2, 3, 4});
  for_each_job(0, 4, [&](std::size_t) { started.push_back(99); });
  CHECK(started.size() == 5);
}

TEST_CASE("JSON from outside: nesting bounded at limits::kJsonDepth, errors name the input") {
  const auto nested = [](std::size_t levels) {
    return std::string(levels, '[') + std::string(levels, ']');
  };
  // 256 levels parse and read back; 257 and 70,000 are refused without recursing.
  const nlohmann::json ok = parse_json(nested(limits::kJsonDepth), "a.json");
  const nlohmann::json* at = &ok;
  std::size_t depth = 0;
  while (at->is_array()) {
    ++depth;
    if (at->empty()) break;
    at = &(*at)[0];
  }
  CHECK(depth == limits::kJsonDepth);
  CHECK_THROWS_WITH_AS(parse_json(nested(limits::kJsonDepth + 1), "a.json"),
                       "a.json: JSON nested deeper than 256 levels", InputError);
  CHECK_THROWS_WITH_AS(parse_json(nested(70000), "s.sqlite: job row 3"),
                       "s.sqlite: job row 3: JSON nested deeper than 256 levels", InputError);
  CHECK_THROWS_WITH_AS(parse_json("{\"a\": [1, 2", "b.jsonl:4"),
                       doctest::Contains("b.jsonl:4: not JSON ("), InputError);
  CHECK(parse_json(R"({"a": {"b": [1, {"c": null}]}})", "x")["a"]["b"][1].contains("c"));
}
