// Fuzz target: the Slurm scripts `codecbench slurm` writes (cluster/slurm.hpp). The input is
// the launch's values separated by NUL bytes: the preset's name, partition, time, account, a
// folder name, an sbatch argument, the preset's path, then overrides. A launch that
// check_slurm_launch accepts is written, and both scripts are run by bash in a bare
// environment where `codecbench` is a stub that records its arguments: bash must print
// nothing, and the stub must be called with exactly the arguments the launch gives (a value
// that escaped its quotes would add, split or change one, or run another command, which bash
// reports as not found). Anything else is a finding (abort).
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "codecbench/cluster/slurm.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/process.hpp"

namespace fs = std::filesystem;

namespace {

constexpr const char* kUuid = "0b1e6f0a-1111-4222-8333-944455556677";

// A folder of this process for the scripts' runs, with the stub in it.
const fs::path& workspace() {
  static const fs::path root = [] {
    const fs::path p =
        fs::temp_directory_path() / ("codecbench-fuzz-slurm-" + std::to_string(::getpid()));
    fs::create_directories(p);
    // Each argument as LENGTH:BYTES, a call per line (LC_ALL=C: lengths in bytes).
    std::ofstream stub(p / "stub");
    stub << "#!/bin/sh\n"
            "for a in \"$@\"; do printf '%d:%s' \"${#a}\" \"$a\"; done >> \"$STUB_LOG\"\n"
            "printf '\\n' >> \"$STUB_LOG\"\n";
    stub.close();
    fs::permissions(p / "stub", fs::perms::owner_all);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(workspace(), ec);
    });
    return p;
  }();
  return root;
}

std::vector<std::string> fields(const std::string& text) {
  std::vector<std::string> out;
  std::string::size_type start = 0;
  for (;;) {
    const auto nul = text.find('\0', start);
    out.push_back(text.substr(start, nul == std::string::npos ? std::string::npos : nul - start));
    if (nul == std::string::npos) break;
    start = nul + 1;
  }
  return out;
}

// The calls the stub recorded, each its argument list.
std::vector<std::vector<std::string>> calls(const fs::path& log) {
  std::ifstream f(log, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> args;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n') {
      out.push_back(args);
      args.clear();
      ++i;
      continue;
    }
    const auto colon = text.find(':', i);
    if (colon == std::string::npos) std::abort();  // the stub's record is broken: a finding
    const std::size_t n = std::stoul(text.substr(i, colon - i));
    args.push_back(text.substr(colon + 1, n));
    i = colon + 1 + n;
  }
  return out;
}

void run_script(const fs::path& script, const fs::path& cwd, const fs::path& log) {
  const auto o = codecbench::run_process(
      {"env", "-i", "PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + workspace().string(),
       "SLURM_ARRAY_TASK_ID=1", "STUB_LOG=" + log.string(), "bash", "-c",
       "cd \"$1\" && exec bash \"$2\"", "bash", cwd.string(), script.string()});
  if (!o.err.empty() || !o.out.empty()) {
    std::fprintf(stderr, "bash said: %s%s\n", o.out.c_str(), o.err.c_str());
    std::abort();
  }
}

void expect(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  if (got == want) return;
  std::fprintf(stderr, "the stub got %zu arguments, %zu expected\n", got.size(), want.size());
  for (const auto& a : got) std::fprintf(stderr, "  [%s]\n", a.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  const auto f = fields(std::string(reinterpret_cast<const char*>(data), size));
  auto field = [&](std::size_t i) { return i < f.size() ? f[i] : std::string(); };
  codecbench::SlurmLaunch l;
  l.codecbench = (workspace() / "stub").string();
  l.preset_name = field(0);
  l.partition = field(1);
  l.time = field(2);
  l.account = field(3);
  // The folder stays inside the workspace: no '/' in its name, and never "." or "..".
  std::string dir = field(4);
  for (char& c : dir) c = c == '/' ? '_' : c;
  if (dir.empty() || dir == "." || dir == "..") dir = "d";
  l.dir = (workspace() / "dirs" / dir).string();  // apart from the stub, its log and "work"
  if (!field(5).empty()) l.sbatch_args.push_back(field(5));
  l.preset = field(6).empty() ? "/presets/p.yaml" : field(6);
  for (std::size_t i = 7; i < f.size() && i < 12; ++i) l.overrides.push_back(f[i]);
  l.run_uuid = kUuid;
  l.shards = 1;
  l.dynamic = size % 2 == 0;
  l.force = true;
  try {
    codecbench::write_slurm_scripts(l);
  } catch (const codecbench::Error&) {
    return 0;  // refused with a message: what check_slurm_launch is for
  }
  const fs::path work = workspace() / "work";
  fs::create_directories(work);
  const fs::path log = workspace() / "calls";
  fs::remove(log);
  run_script(fs::path(l.dir) / "array.sbatch", work, log);
  std::vector<std::string> run = {"run", l.preset};
  run.insert(run.end(), l.overrides.begin(), l.overrides.end());
  for (const char* a : {"--shard", "1/1", "--run-uuid", kUuid}) run.emplace_back(a);
  if (l.dynamic) {
    run.emplace_back("--claims");
    run.push_back(l.dir + "/.claims-" + kUuid);
  }
  run.emplace_back("--store");
  run.push_back(l.dir + "/shard-1.sqlite");
  run.emplace_back("--quiet");
  const std::vector<std::string> merge = {"merge", "merged.sqlite", "--uuid",
                                          kUuid,   "--json",        "merge.json"};
  auto got = calls(log);
  if (got.size() != 2) std::abort();
  expect(got[0], run);
  expect(got[1], merge);  // the last task merges: no shard store, nullglob
  // The merge job, with a shard store in the folder.
  fs::remove(log);
  std::ofstream(fs::path(l.dir) / "shard-1.sqlite").close();
  run_script(fs::path(l.dir) / "merge.sbatch", work, log);
  got = calls(log);
  if (got.size() != 1) std::abort();
  expect(got[0],
         {"merge", "merged.sqlite", "shard-1.sqlite", "--uuid", kUuid, "--json", "merge.json"});
  std::error_code ec;
  fs::remove_all(l.dir, ec);
  fs::remove_all(work, ec);
  return 0;
}
