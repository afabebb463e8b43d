// Hostile presets and inputs (issue 17): each case crashed, ran out of memory or ran for ever
// before the limits in limits.hpp; each must now end quickly with a one-line error that names
// the file, the line or the value and the cause.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "codecbench/config/config.hpp"
#include "codecbench/config/preset.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/media/source.hpp"
#include "support.hpp"

using namespace codecbench;
using namespace codecbench::config;

namespace {

using codecbench::test::error_of;

NodePtr load(const std::string& yaml) { return resolve(parse_yaml(yaml, "hostile.yaml")); }

std::string chain_preset(int links) {
  std::string y = "vars:\n";
  for (int i = 0; i < links; ++i)
    y += "  v" + std::to_string(i) + ": ${vars.v" + std::to_string(i + 1) + "}\n";
  return y + "  v" + std::to_string(links) + ": end\n";
}

}  // namespace

TEST_CASE("an alias that contains itself is an error, not a stack overflow") {
  const std::string e = error_of([] { parse_yaml("vars: &r {self: *r}\n", "hostile.yaml"); });
  CHECK(e == "hostile.yaml:1: an alias refers to a map or list that contains it");
}

TEST_CASE("an alias bomb stops at the node limit") {
  std::string y = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    y += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) y += (k ? ", *a" : "*a") + std::to_string(i - 1);
    y += "]\n";
  }
  const std::string e = error_of([&] { parse_yaml(y, "hostile.yaml"); });
  CHECK(e.find("more than 1000000 values after expanding aliases") != std::string::npos);
  // An alias of one big scalar, many times, is bounded by the text limit.
  std::string big = "s: &s " + std::string(1 << 20, 'x') + "\nl: [";
  for (int k = 0; k < 70; ++k) big += (k ? ", *s" : "*s");
  big += "]\n";
  CHECK(error_of([&] { parse_yaml(big, "hostile.yaml"); }).find("MiB of text") !=
        std::string::npos);
}

TEST_CASE("interpolation chains and nesting are bounded in depth") {
  // A chain within the limit resolves...
  CHECK(select(load(chain_preset(50)), "vars.v0")->s == "end");
  // ... 20,000 links is an error naming the limit, not a stack overflow.
  const std::string e = error_of([] { load(chain_preset(20000)); });
  CHECK(e.find("interpolations nested or chained more than 64 deep") != std::string::npos);
  CHECK(e.rfind("hostile.yaml:", 0) == 0);
  std::string nested = "x";
  for (int i = 0; i < 20000; ++i) nested = "${a." + nested + "}";
  CHECK(error_of([&] { load("a:\n  x: 1\nv: '" + nested + "'\n"); }).find("more than 64 deep") !=
        std::string::npos);
}

TEST_CASE("interpolations that double a string or a list per key are bounded") {
  std::string s = "v0: abcdefghij\n";
  for (int i = 1; i < 60; ++i) {
    const std::string p = "${v" + std::to_string(i - 1) + "}";
    s += "v" + std::to_string(i) + ": " + p + p + "\n";
  }
  CHECK(error_of([&] { load(s); }).find("an interpolated string longer than 1024 KiB") !=
        std::string::npos);
  std::string l = "v0: [a, b]\n";
  for (int i = 1; i < 60; ++i) {
    const std::string p = "\"${v" + std::to_string(i - 1) + "}\"";
    l += "v" + std::to_string(i) + ": [" + p + ", " + p + "]\n";
  }
  CHECK(error_of([&] { load(l); }).find("interpolations copy more than 1000000 values") !=
        std::string::npos);
}

TEST_CASE("a NUL byte and a second document are refused with their line") {
  CHECK(error_of([] { parse_yaml(std::string("a: 1\nb: \"x\0y\"\n", 14), "hostile.yaml"); }) ==
        "hostile.yaml:2: a NUL byte (YAML text cannot hold one)");
  CHECK(error_of([] { parse_yaml("a: 1\n---\nb: 2\n", "hostile.yaml"); }) ==
        "hostile.yaml:2: a second YAML document ('---'); a preset is one document");
}

TEST_CASE("many keys load in linear time and duplicates are still found") {
  std::string y = "vars:\n";
  for (int i = 0; i < 300000; ++i) y += "  k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  const NodePtr n = parse_yaml(y, "big.yaml");
  CHECK(select(n, "vars.k299999")->i == 299999);
  CHECK(error_of([] { parse_yaml("a: 1\nb: 2\na: 3\n", "d.yaml"); }) ==
        "d.yaml:3: duplicate key 'a'");
}

TEST_CASE("range() refuses non-numbers, NaN and values too large to step") {
  CHECK(error_of([] { parse_override("threads=range(a,b)", true); }) ==
        "<command line>: override 'threads=range(a,b)': range() takes finite numbers, not 'a'");
  CHECK(error_of([] { parse_override("x=range(0,nan)", true); }).find("not 'nan'") !=
        std::string::npos);
  CHECK(error_of([] {
          parse_override("x=range(1e17,100000000000000010,3)", true);
        }).find("values too large to step by 3") != std::string::npos);
  CHECK(error_of([] {
          parse_override("x=range(0,1e300,1e290)", true);
        }).find("more than 10000 values") != std::string::npos);
  CHECK(parse_override("x=range(0,1,0.25)", true).values.size() == 4);
}

TEST_CASE("the product of sweep axes is bounded before anything is built") {
  const NodePtr root = parse_yaml("a: 1\nb: 2\nc: 3\n", "s.yaml");
  std::vector<Override> axes = {parse_override("a=range(0,10000)", true),
                                parse_override("b=range(0,10000)", true),
                                parse_override("c=range(0,10000)", true)};
  CHECK(error_of([&] {
          expand_sweeps(root, axes);
        }).find("the sweep has more than 10000 variants") != std::string::npos);
  axes.resize(1);
  CHECK(expand_sweeps(root, axes).size() == 10000);
}

TEST_CASE("preset numbers: NaN, infinities, negative and huge values are refused") {
  const std::string base = "encoders: {x: libx264}\ninputs:\n  - uri: lavfi:testsrc2=d=1\n";
  auto err = [&](const std::string& extra) {
    return error_of([&] { preset_from_tree(load(base + extra), "p"); });
  };
  CHECK(err("    start: .nan\n").find("inputs.0.start: must be a number from 0 to") !=
        std::string::npos);
  CHECK(err("    duration: -.inf\n").find("inputs.0.duration: must be a number") !=
        std::string::npos);
  CHECK(err("    frames: -1\n").find("inputs.0.frames: must be at least 1 (got -1)") !=
        std::string::npos);
  CHECK(err("threads: 100000\n") == "hostile.yaml:4: threads: must be at most 1024 (got 100000)");
  CHECK(err("repeats: 0\n").find("repeats: must be at least 1") != std::string::npos);
}

TEST_CASE("lavfi sources that never end are found from the filters' own options") {
  auto err = [](const std::string& uri) {
    SourceSpec s;
    s.uri = uri;
    s.type = uri.find("sine") != std::string::npos || uri.find("noise") != std::string::npos
                 ? MediaType::kAudio
                 : MediaType::kVideo;
    return error_of([&] { open_source(s); });
  };
  CHECK(err("lavfi:sine=duration=0").find("never ends (sine without a positive duration)") !=
        std::string::npos);
  CHECK(err("lavfi:anoisesrc=d=0").find("never ends (anoisesrc") != std::string::npos);
  CHECK(err("lavfi:testsrc=d=1,loop=-1:size=25").find("loop with loop=-1") != std::string::npos);
  CHECK(err("lavfi:testsrc2").find("never ends") != std::string::npos);
  // An unknown filter is named as such, not as a source that never ends.
  CHECK(err("lavfi:nosuchfilter").find("No such filter: 'nosuchfilter'") != std::string::npos);
  CHECK(err("lavfi:testsrc2=d=0.2:s=64x64") == "");
  CHECK(err("lavfi:sine=d=0.5") == "");
}

TEST_CASE("source trims: NaN, infinite and negative values are refused") {
  SourceSpec s;
  s.uri = "lavfi:testsrc2=d=1";
  s.start_s = std::nan("");
  CHECK(error_of([&] { open_source(s); }).find("start time must be a finite number") !=
        std::string::npos);
  s.start_s = 0;
  s.max_frames = -5;
  CHECK(error_of([&] { open_source(s); }).find("-5 frames is not a trim") != std::string::npos);
  s.max_frames = -1;
  s.duration_s = std::nan("");
  CHECK(error_of([&] { open_source(s); }).find("duration must be a positive number") !=
        std::string::npos);
}

TEST_CASE("one_line makes any message one line") {
  CHECK(one_line("x265 [error]: bad\nsecond line\n") == "x265 [error]: bad; second line");
  CHECK(one_line("a\tb\x1b[31mc\r\n") == "a b[31mc");
  // A huge message (a 100 MB name echoed back) keeps its start and its cause at the end.
  const std::string name(1'000'000, 'n');
  const std::string huge = "curve '" + name + "\xc3\xa9': no such curve";
  const std::string cut = one_line(huge);
  CHECK(cut.size() <= 4096);
  CHECK(cut.rfind("curve 'nnn", 0) == 0);
  CHECK(cut.find("bytes left out") != std::string::npos);
  CHECK(cut.size() > 3000);
  CHECK(cut.substr(cut.size() - 18) == "\xc3\xa9': no such curve");
  CHECK(one_line(std::string(5000, '\xc3') + "x", 100).size() <= 100);
}

TEST_CASE("the sweep: example in docs/presets.md parses and expands") {
  std::ifstream f(std::string(CODECBENCH_SOURCE_ROOT) + "/docs/presets.md");
  const std::string doc((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto at = doc.find("(`sweep: {");
  REQUIRE(at != std::string::npos);
  const std::string example = doc.substr(at + 2, doc.find('`', at + 2) - at - 2);
  const NodePtr root = parse_yaml("threads: 1\njobs: 1\n" + example + "\n", "presets.md");
  const auto variants = expand_sweeps(root, {});
  CHECK(variants.size() == 4);
  CHECK(variants.back().overrides == std::vector<std::string>{"threads=2", "jobs=2"});
}

TEST_CASE("a stray ',' at the top level ends (yaml-cpp's LoadAll looped on it; fuzz finding)") {
  CHECK(parse_yaml(",", "f.yaml")->kind == Node::Kind::kNull);
  CHECK(error_of([] { parse_value("[1, ], .k", {"<command line>", 0}); }) == "");
  CHECK(parse_yaml("%YAML 1.2\n---\na: 1\n...\n", "f.yaml")->get("a")->i == 1);
}

TEST_CASE("numbers beyond double and list indexes beyond any list are values, not exceptions") {
  // Fuzz finding: `++a.x=24e441` threw std::out_of_range from stod.
  const NodePtr big = parse_value("24e441", {"<command line>", 0});
  CHECK(big->kind == Node::Kind::kFloat);
  CHECK(std::isinf(big->f));
  const NodePtr root = parse_yaml("l: [a, b]\nv: ${l.99999999999999999999}\n", "i.yaml");
  CHECK(select(root, "l.99999999999999999999") == nullptr);
  CHECK(error_of([&] { resolve(root); }).find("points to a missing key") != std::string::npos);
}
