#include <doctest/doctest.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "codecbench/cluster/shard.hpp"
#include "codecbench/config/config.hpp"
#include "codecbench/config/preset.hpp"
#include "support.hpp"

using namespace codecbench;
using namespace codecbench::config;

namespace {

NodePtr resolved(const std::string& yaml) { return resolve(parse_yaml(yaml, "test.yaml")); }

std::string str(const NodePtr& root, const std::string& path) {
  NodePtr n = select(root, path);
  REQUIRE_MESSAGE(n != nullptr, path);
  return n->scalar_text();
}

using codecbench::test::error_of;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/codecbench-config-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

}  // namespace

TEST_CASE("absolute interpolation, inside strings and as typed whole values") {
  const NodePtr r = resolved(
      "paths: {root: /data, out: '${paths.root}/out'}\n"
      "n: 3\nlist: [1, 2]\nmap: {a: 1}\n"
      "copy_n: ${n}\ncopy_list: ${list}\ncopy_map: ${map}\nflag: true\ncopy_flag: ${flag}\n"
      "text: 'n is ${n} and ${paths.out}/x.mkv'\n");
  CHECK(str(r, "paths.out") == "/data/out");
  CHECK(select(r, "copy_n")->kind == Node::Kind::kInt);
  CHECK(select(r, "copy_n")->i == 3);
  CHECK(select(r, "copy_list")->kind == Node::Kind::kList);
  CHECK(str(r, "copy_list.1") == "2");
  CHECK(select(r, "copy_map")->kind == Node::Kind::kMap);
  CHECK(select(r, "copy_flag")->kind == Node::Kind::kBool);
  CHECK(str(r, "text") == "n is 3 and /data/out/x.mkv");
}

TEST_CASE("relative interpolation: ${.sibling} and ${..uncle}, nested and chained") {
  const NodePtr r = resolved(
      "paths:\n  root: /r\n  data: ${.root}/data\n  deeper:\n    x: ${..data}/x\n    y: ${.x}/y\n"
      "a: ${b}\nb: ${c}\nc: end\n"
      "key: data\nnested: ${paths.${key}}\n");
  CHECK(str(r, "paths.data") == "/r/data");
  CHECK(str(r, "paths.deeper.x") == "/r/data/x");
  CHECK(str(r, "paths.deeper.y") == "/r/data/x/y");
  CHECK(str(r, "a") == "end");
  CHECK(str(r, "nested") == "/r/data");
}

TEST_CASE("resolvers: oc.env with and without default, oc.select, now") {
  setenv("CODECBENCH_TEST_VAR", "/from/env", 1);
  unsetenv("CODECBENCH_TEST_UNSET");
  const NodePtr r = resolved(
      "a: ${oc.env:CODECBENCH_TEST_VAR}\nb: ${oc.env:CODECBENCH_TEST_UNSET,/fallback}\n"
      "c: ${oc.select:missing.key,7}\nd: ${oc.select:a}\ne: ${now:%Y}\n"
      "f: ${oc.env:CODECBENCH_TEST_UNSET,null}\n");
  CHECK(str(r, "a") == "/from/env");
  CHECK(str(r, "b") == "/fallback");
  CHECK(select(r, "c")->kind == Node::Kind::kInt);
  CHECK(select(r, "c")->i == 7);
  CHECK(str(r, "d") == "/from/env");
  CHECK(str(r, "e").size() == 4);
  CHECK(select(r, "f")->kind == Node::Kind::kNull);
  const std::string err = error_of([] { resolved("x: ${oc.env:CODECBENCH_TEST_UNSET}\n"); });
  CHECK(err.find("CODECBENCH_TEST_UNSET is not set") != std::string::npos);
  CHECK(err.find("test.yaml:1") == 0);
}

TEST_CASE("resolvers: env_dir, a folder from the environment (CODECBENCH_RESULTS)") {
  const std::string cwd = std::filesystem::current_path().lexically_normal().string();
  const std::string doc = "a: ${env_dir:CODECBENCH_TEST_DIR,${cwd:}/results}\n";
  unsetenv("CODECBENCH_TEST_DIR");
  CHECK(str(resolved(doc), "a") == cwd + "/results");
  setenv("CODECBENCH_TEST_DIR", "", 1);  // empty is unset, never the filesystem's root
  CHECK(str(resolved(doc), "a") == cwd + "/results");
  setenv("CODECBENCH_TEST_DIR", "out/./r", 1);  // relative to the working folder
  CHECK(str(resolved(doc), "a") == cwd + "/out/r");
  setenv("CODECBENCH_TEST_DIR", "/abs/r", 1);
  CHECK(str(resolved(doc), "a") == "/abs/r");
  setenv("CODECBENCH_TEST_DIR", "/a\nwrites: elsewhere", 1);
  const std::string err = error_of([&] { resolved(doc); });
  CHECK(err.find("CODECBENCH_TEST_DIR holds a control character (0x0a)") != std::string::npos);
  CHECK(err.find("test.yaml:1") == 0);
  unsetenv("CODECBENCH_TEST_DIR");
  CHECK(error_of([] { resolved("a: ${env_dir:X}\n"); }).find("env_dir takes VAR,DEFAULT") !=
        std::string::npos);
}

TEST_CASE("list elements by index: ${a.1} and ${a[1]}, as OmegaConf accepts both") {
  const NodePtr r = resolved(
      "v:\n  rates: [100, 200, [7, 8], {k: x}]\n  dot: ${v.rates.1}\n  br: ${v.rates[1]}\n"
      "  nested: ${v.rates[2][1]}\n  key: ${v.rates[3].k}\n  rel: ${.rates[0]}\n"
      "  text: 'r${v.rates[1]}'\n");
  CHECK(select(r, "v.dot")->i == 200);
  CHECK(select(r, "v.br")->kind == Node::Kind::kInt);
  CHECK(select(r, "v.br")->i == 200);
  CHECK(select(r, "v.nested")->i == 8);
  CHECK(str(r, "v.key") == "x");
  CHECK(select(r, "v.rel")->i == 100);
  CHECK(str(r, "v.text") == "r200");
  for (const char* bad : {"v.rates[1", "v.rates[]", "v.rates[1]x", "v..rates"}) {
    CHECK_MESSAGE(error_of([&] {
                    resolved(std::string("v: {rates: [1]}\nx: ${") + bad + "}\n");
                  }).find("malformed key") != std::string::npos,
                  bad);
  }
  CHECK(error_of([] {
          resolved("v: {rates: [1]}\nx: ${v.rates[9]}\n");
        }).find("points to a missing key") != std::string::npos);
}

TEST_CASE("broken interpolations: missing key, cycle, unknown resolver, text with a map") {
  CHECK(error_of([] {
          resolved("a: 1\nb: ${nope.x}\n");
        }).find("test.yaml:2: b: interpolation '${nope.x}' points to a missing key") == 0);
  const std::string cycle = error_of([] { resolved("a: ${b}\nb: ${c}\nc: ${a}\n"); });
  CHECK(cycle.find("interpolation cycle: a -> b -> c -> a") != std::string::npos);
  CHECK(error_of([] { resolved("a: ${oc.nope:x}\n"); }).find("unknown resolver 'oc.nope'") !=
        std::string::npos);
  CHECK(error_of([] { resolved("m: {k: 1}\ns: 'x${m}'\n"); }).find("cannot be part of a string") !=
        std::string::npos);
  CHECK(error_of([] { parse_yaml("a: [1, 2\n", "bad.yaml"); }).find("bad.yaml:") == 0);
  CHECK(error_of([] {
          parse_yaml("a: 1\na: 2\n", "dup.yaml");
        }).find("dup.yaml:2: duplicate key 'a'") == 0);
}

TEST_CASE("defaults lists compose files; _self_ decides who wins") {
  TempDir d;
  d.write("base.yaml", "threads: 1\njobs: 4\nvars: {who: base}\n");
  d.write("encoders/x264.yaml", "codec: libx264\noptions: {crf: 23}\n");
  const std::string self_last =
      d.write("a.yaml", "defaults: [base, {encoders: x264}, _self_]\njobs: 2\n");
  const std::string self_first = d.write("b.yaml", "defaults: [_self_, base]\njobs: 2\n");
  const std::string implicit = d.write("c.yaml", "defaults: [base]\njobs: 2\n");
  NodePtr a = resolve(load_preset(self_last));
  CHECK(str(a, "jobs") == "2");
  CHECK(str(a, "threads") == "1");
  CHECK(str(a, "encoders.codec") == "libx264");
  CHECK(str(a, "encoders.options.crf") == "23");
  CHECK(select(a, "defaults") == nullptr);
  CHECK(str(resolve(load_preset(self_first)), "jobs") == "4");
  CHECK(str(resolve(load_preset(implicit)), "jobs") == "2");  // Hydra: _self_ last by default
  const std::string missing = d.write("m.yaml", "defaults: [nothere]\n");
  CHECK(error_of([&] { load_preset(missing); }).find("m.yaml:1: cannot read") != std::string::npos);
}

TEST_CASE("overrides: set, add, force, delete, lists and quoted strings") {
  NodePtr root = parse_yaml("encoders: {x264: {options: {crf: 23}}}\njobs: 1\n", "t.yaml");
  apply_override(root, parse_override("encoders.x264.options.crf=28", false));
  apply_override(root, parse_override("+new.key=1", false));
  apply_override(root, parse_override("++jobs=3", false));
  apply_override(root, parse_override("+metrics=[psnr, ssim]", false));
  apply_override(root, parse_override("+label='a, b'", false));
  apply_override(root, parse_override("~new", false));
  CHECK(select(root, "encoders.x264.options.crf")->i == 28);
  CHECK(select(root, "jobs")->i == 3);
  CHECK(select(root, "metrics")->list.size() == 2);
  CHECK(str(root, "label") == "a, b");
  CHECK(select(root, "new") == nullptr);
  CHECK(error_of([&] {
          apply_override(root, parse_override("nokey=1", false));
        }).find("use +nokey=") != std::string::npos);
  CHECK(error_of([&] {
          apply_override(root, parse_override("+jobs=1", false));
        }).find("already exists") != std::string::npos);
  CHECK(error_of([&] {
          apply_override(root, parse_override("~gone", false));
        }).find("does not exist") != std::string::npos);
}

TEST_CASE("multirun: comma lists, range() and a sweep: section give the cartesian product") {
  NodePtr root =
      parse_yaml("crf: 23\nthreads: 1\npreset: medium\nsweep: {preset: [fast, slow]}\n", "t.yaml");
  const auto variants = expand_sweeps(
      root, {parse_override("crf=18,23,28", true), parse_override("threads=range(1,3)", true)});
  REQUIRE(variants.size() == 3 * 2 * 2);
  CHECK(variants[0].overrides == std::vector<std::string>{"crf=18", "threads=1", "preset=fast"});
  CHECK(select(variants[11].tree, "crf")->i == 28);
  CHECK(select(variants[11].tree, "threads")->i == 2);
  CHECK(str(variants[11].tree, "preset") == "slow");
  CHECK(select(variants[0].tree, "sweep") == nullptr);
  const auto floats = parse_override("q=range(0,1,0.25)", true);
  CHECK(floats.values.size() == 4);
  CHECK(floats.values[3]->f == doctest::Approx(0.75));
}

TEST_CASE("the schema names unknown keys with the closest valid key, and wrong types") {
  auto check_error = [](const std::string& yaml, const std::string& expected) {
    const std::string e = error_of([&] { preset_from_tree(resolved(yaml), "t"); });
    CAPTURE(e);
    CHECK(e.find(expected) != std::string::npos);
  };
  const std::string ok = "inputs: [lavfi:testsrc2=duration=1]\nencoders: {x: {codec: mpeg4}}\n";
  check_error(ok + "jbos: 2\n", "test.yaml:3: jbos: unknown key (did you mean 'jobs'?)");
  check_error(ok + "jobs: two\n", "test.yaml:3: jobs: expected an integer, got string 'two'");
  check_error(ok + "jobs: 0\n", "jobs: must be at least 1");
  check_error("inputs: []\nencoders: {x: mpeg4}\n", "inputs: expected a non-empty list");
  check_error("inputs: [a.mkv]\nencoders: {x: {options: {crf: 1}}}\n",
              "encoders.x: missing 'codec'");
  check_error("inputs: [a.mkv]\nencoders: {x: {codec: mpeg4, optoins: {}}}\n",
              "did you mean 'options'?");
  check_error(ok + "output: {stor: x}\n", "output.stor: unknown key (did you mean 'store'?)");
  // Free-form groups accept anything.
  CHECK_NOTHROW(preset_from_tree(resolved(ok + "vars: {anything: 1}\npaths: {x: y}\n"), "t"));
}

TEST_CASE("a preset expands into jobs with stable keys; axes make a ladder") {
  const Preset p =
      preset_from_tree(resolved("inputs: [lavfi:testsrc2=duration=1, lavfi:sine=duration=1]\n"
                                "encoders:\n  x264: {codec: libx264, options: {preset: fast}, "
                                "axes: {crf: [18, 23, 28]}}\n"
                                "  opus: {codec: libopus, axes: {b: [32k, 64k]}}\nthreads: 2\n"),
                       "t");
  const auto jobs = expand_jobs(p);
  REQUIRE(jobs.size() == 5);  // the video input gets 3 x264 jobs, the audio input 2 opus jobs
  CHECK(jobs[0].spec.options ==
        std::vector<std::pair<std::string, std::string>>{{"preset", "fast"}, {"crf", "18"}});
  CHECK(jobs[0].spec.threads == 2);
  CHECK(jobs[3].encoder_label == "opus");
  CHECK(jobs[0].key != jobs[1].key);
  CHECK(expand_jobs(p)[2].key == jobs[2].key);
  CHECK(jobs[0].key.size() == 16);
}

TEST_CASE("scale: a list of sizes is an axis varying slowest; unscaled keys do not change") {
  const std::string base =
      "inputs: [lavfi:testsrc2=size=320x240:duration=1]\n"
      "encoders:\n  x264: {codec: libx264, axes: {crf: [20, 30]}";
  const Preset plain = preset_from_tree(resolved(base + "}\n"), "t");
  const Preset p =
      preset_from_tree(resolved(base + ", scale: [source, 120p, 160x90], scaler: lanczos}\n"), "t");
  const auto a = expand_jobs(plain);
  const auto jobs = expand_jobs(p);
  REQUIRE(jobs.size() == 6);
  CHECK(!jobs[0].spec.scale.active());
  CHECK(jobs[0].key == a[0].key);  // "source" is the unscaled job, same key as before
  CHECK(jobs[1].key == a[1].key);
  CHECK(jobs[2].spec.scale.height == 120);
  CHECK(jobs[2].spec.scale.width == 0);
  CHECK(jobs[2].spec.scale.scaler == "lanczos");
  CHECK(jobs[3].spec.options.back().second == "30");
  CHECK(jobs[4].spec.scale.width == 160);
  CHECK(scale_text(jobs[4].spec.scale) == "160x90/lanczos");
  CHECK(scale_text(jobs[2].spec.scale) == "120p/lanczos");
  std::set<std::string> keys;
  for (const auto& j : jobs) keys.insert(j.key);
  CHECK(keys.size() == 6);
  auto check_error = [](const std::string& yaml, const std::string& expected) {
    const std::string e = error_of([&] { preset_from_tree(resolved(yaml), "t"); });
    CAPTURE(e);
    CHECK(e.find(expected) != std::string::npos);
  };
  check_error(base + ", scale: 12q}\n", "encoders.x264.scale: scale '12q': expected WxH");
  check_error(base + ", scale: [720p, 720p]}\n", "encoders.x264.scale.1: '720p' is listed twice");
  check_error(base + ", scale: 720p, scaler: cubic}\n", "scaler 'cubic' is not one of");
  check_error(base + ", scaler: lanczos}\n", "scaler and allow_upscale need a scale");
}

TEST_CASE("to_yaml writes a tree that parses back to the same values") {
  const NodePtr r = resolved("a: '123'\nb: 123\nc: [x, 'true']\nd: {e: null}\n");
  const NodePtr back = parse_yaml(to_yaml(r), "back.yaml");
  CHECK(select(back, "a")->kind == Node::Kind::kString);
  CHECK(select(back, "b")->kind == Node::Kind::kInt);
  CHECK(select(back, "c.1")->kind == Node::Kind::kString);
  CHECK(select(back, "d.e")->kind == Node::Kind::kNull);
}

TEST_CASE("claim_order: own jobs longest first, then the others' from their ends") {
  const Preset p = preset_from_tree(
      resolved("inputs: [lavfi:testsrc2=size=64x48:duration=1]\n"
               "encoders:\n  m: {codec: mpeg4, axes: {b: [1k, 2k, 3k, 4k, 5k, 6k]}}\n"),
      "t");
  const auto jobs = expand_jobs(p);
  REQUIRE(jobs.size() == 6);
  // Measured costs 6..1 s for jobs 0..5. LPT over two shards: 6 -> 1, 5 -> 2, 4 -> 2 (5 < 6),
  // 3 -> 1 (6 < 9), 2 -> 1 (9 = 9: the lower shard), 1 -> 2; so {0, 3, 4} and {1, 2, 5}.
  std::map<std::string, double> measured;
  for (std::size_t i = 0; i < jobs.size(); ++i)
    measured[jobs[i].key] = 6.0 - static_cast<double>(i);
  auto keys = [&](const std::vector<BatchJob>& js) {
    std::vector<std::size_t> out;
    for (const auto& j : js) {
      for (std::size_t i = 0; i < jobs.size(); ++i)
        if (jobs[i].key == j.key) out.push_back(i);
    }
    return out;
  };
  CHECK(keys(shard_jobs(jobs, {1, 2}, measured)) == std::vector<std::size_t>{0, 3, 4});
  CHECK(keys(shard_jobs(jobs, {2, 2}, measured)) == std::vector<std::size_t>{1, 2, 5});
  // Own part longest first, then the other's jobs shortest first (the end of its order).
  CHECK(keys(claim_order(jobs, {1, 2}, measured)) == std::vector<std::size_t>{0, 3, 4, 5, 2, 1});
  CHECK(keys(claim_order(jobs, {2, 2}, measured)) == std::vector<std::size_t>{1, 2, 5, 4, 3, 0});
  // Three shards: {0, 5}, {1, 4}, {2, 3}; shard 2 takes round-robin from 3 then 1, from the end.
  CHECK(keys(claim_order(jobs, {2, 3}, measured)) == std::vector<std::size_t>{1, 4, 3, 5, 2, 0});
  // One shard: every job, longest first.
  CHECK(keys(claim_order(jobs, {1, 1}, measured)) == std::vector<std::size_t>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("JobClaims: the first claim of a key wins, across instances; errors name the path") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("codecbench-claims-{}", ::getpid());
  std::filesystem::remove_all(dir);
  {
    const std::string run = "0b1e6f0a-1111-4222-8333-944455556677";
    const JobClaims a((dir / "c").string(), "shard 1/2 on a, pid 1", run);
    const JobClaims b((dir / "c").string(), "shard 2/2 on b, pid 2", run);
    CHECK(a.claim("0123456789abcdef"));
    CHECK_FALSE(b.claim("0123456789abcdef"));
    CHECK_FALSE(a.claim("0123456789abcdef"));  // a claim is never taken twice, even by its owner
    CHECK(b.claim("fedcba9876543210"));
    std::ifstream f(dir / "c" / "0123456789abcdef");
    std::string line;
    std::getline(f, line);
    CHECK(line == "shard 1/2 on a, pid 1");
    std::getline(f, line);
    CHECK(line == "run " + run);
    // A key that is not a plain word becomes a hashed file name, still one claim per key.
    CHECK(a.claim("../k/1"));
    CHECK_FALSE(b.claim("../k/1"));
    CHECK(a.claim("../k/2"));
    CHECK_FALSE(std::filesystem::exists(dir / "k"));
    // Only the claims are left in the folder (no temporary), and another run's launch is
    // refused: its processes would otherwise leave every job out.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "c")) ++files;
    CHECK(files == 4);
    const std::string other = test::error_of(
        [&] { JobClaims((dir / "c").string(), "shard 1/2 on a, pid 3", "another-uuid"); });
    CHECK(other.find((dir / "c").string()) != std::string::npos);
    CHECK(other.find("holds the claims of run " + run) != std::string::npos);
    // A key claimed by another run, met while claiming: refused too, naming the claim.
    std::filesystem::create_directories(dir / "d");
    const JobClaims mine((dir / "d").string(), "shard 1/1 on a, pid 4", "uuid-1");
    std::ofstream(dir / "d" / "0123456789abcdef") << "shard 1/1 on b, pid 5\nrun uuid-0\n";
    const std::string taken = test::error_of([&] { mine.claim("0123456789abcdef"); });
    CHECK(taken.find("claimed by run uuid-0 (this run is uuid-1)") != std::string::npos);
  }
  std::ofstream(dir / "file") << "x";
  const std::string e =
      test::error_of([&] { JobClaims((dir / "file" / "c").string(), "x", "uuid"); });
  CHECK(e.find((dir / "file" / "c").string()) != std::string::npos);
  CHECK(e.find("cannot create the claims folder") != std::string::npos);
  std::filesystem::remove_all(dir);
}
