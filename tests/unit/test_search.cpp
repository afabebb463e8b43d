#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "codecbench/core/error.hpp"
#include "codecbench/run/search.hpp"

using namespace codecbench;

namespace {

// A probe from a known quality formula (the "test metric"), counting calls and checking that
// no value is probed twice.
struct Synthetic {
  Synthetic(std::function<double(double)> q, std::function<double(double)> f)
      : quality(std::move(q)), floor_figure(std::move(f)) {}
  std::function<double(double)> quality;
  std::function<double(double)> floor_figure;  // a constraint's figure, or null
  std::set<double> seen;
  int calls = 0;
  SearchProbe operator()(double v, const SearchSpec& spec) {
    ++calls;
    CHECK(seen.insert(v).second);
    SearchProbe p;
    p.value = v;
    p.quality = quality(v);
    p.meets = p.quality >= spec.target.min;
    if (floor_figure) {
      p.also.push_back(floor_figure(v));
      if (p.also[0] < spec.also[0].min) p.meets = false;
    }
    return p;
  }
};

SearchSpec crf_spec(double target) {
  SearchSpec s;
  s.param = "crf";
  s.lo = 10;
  s.hi = 51;
  s.target = {"vmaf", target};
  return s;
}

// The exhaustive answer: the highest-j value meeting everything.
std::optional<double> exhaustive(const std::vector<double>& values,
                                 const std::function<bool(double)>& meets, bool falls) {
  std::optional<double> best;
  for (double v : values) {
    if (meets(v) && (!best || (falls ? v > *best : v < *best))) best = v;
  }
  return best;
}

}  // namespace

TEST_CASE("search: a linear curve is found exactly in a few probes") {
  const SearchSpec spec = crf_spec(40);
  Synthetic s{[](double crf) { return 100 - 2 * crf; }, nullptr};
  const auto values = search_values(spec);
  REQUIRE(values.size() == 42);
  const SearchOutcome o = search_values_for(spec, values, [&](double v) { return s(v, spec); });
  REQUIRE(o.chosen.has_value());
  CHECK(o.probes[*o.chosen].value == 30);  // 100 - 60 = 40 meets; crf 31 gives 38
  CHECK(s.calls <= 4);
  CHECK(o.direction == ParamDirection::kQualityFalls);
  CHECK(o.not_monotone.empty());
}

TEST_CASE("search: curved monotone curves, every target, at most log2(values) + 2 probes") {
  const SearchSpec base = crf_spec(0);
  const auto values = search_values(base);
  const int bound = static_cast<int>(std::floor(std::log2(static_cast<double>(values.size())))) + 2;
  const std::vector<std::function<double(double)>> curves{
      [](double c) { return 110 - 25 * std::log(c); },              // log-like (PSNR vs CRF)
      [](double c) { return 100 / (1 + std::exp((c - 35) / 4)); },  // sigmoid (VMAF vs CRF)
      [](double c) { return 100 - 0.04 * c * c; },                  // concave
      [](double c) { return std::floor(99 - 1.7 * c); },            // plateaus (ties)
  };
  for (std::size_t k = 0; k < curves.size(); ++k) {
    for (double target = 5; target <= 98; target += 3.7) {
      SearchSpec spec = base;
      spec.target.min = target;
      Synthetic s{curves[k], nullptr};
      const SearchOutcome o = search_values_for(spec, values, [&](double v) { return s(v, spec); });
      const auto want = exhaustive(
          values, [&](double v) { return curves[k](v) >= target; }, true);
      CAPTURE(k);
      CAPTURE(target);
      CHECK(o.chosen.has_value() == want.has_value());
      if (o.chosen && want) CHECK(o.probes[*o.chosen].value == *want);
      if (!want) CHECK(o.reason.find("no value of crf in 10..51") != std::string::npos);
      CHECK(s.calls <= bound);
    }
  }
}

TEST_CASE("search: a rate parameter, an unknown parameter, and a floor constraint") {
  SearchSpec spec;
  spec.param = "b";
  parse_range("100k:5M:100k", spec);
  spec.target = {"psnr", 38};
  const auto values = search_values(spec);
  REQUIRE(values.size() == 50);
  auto psnr = [](double b) { return 20 + 3 * std::log2(b / 1e5); };  // 38 at 6.4 Mbit/s: no
  Synthetic s{psnr, nullptr};
  SearchOutcome o = search_values_for(spec, values, [&](double v) { return s(v, spec); });
  CHECK(!o.chosen.has_value());
  CHECK(o.reason.find("the best, b 5000000, gives") != std::string::npos);
  spec.target.min = 32;  // 20 + 3 log2(16) = 32 at 1.6 Mbit/s: the cheapest meeting it
  Synthetic s2{psnr, nullptr};
  o = search_values_for(spec, values, [&](double v) { return s2(v, spec); });
  REQUIRE(o.chosen.has_value());
  CHECK(o.probes[*o.chosen].value == 1600000);
  CHECK(o.direction == ParamDirection::kQualityRises);

  // An option codecbench does not know: the direction comes from the first two probes.
  SearchSpec u = crf_spec(40);
  u.param = "quantizer";
  Synthetic s3{[](double x) { return 100 - 2 * x; }, nullptr};
  o = search_values_for(u, search_values(u), [&](double v) { return s3(v, u); });
  CHECK(o.direction == ParamDirection::kQualityFalls);
  REQUIRE(o.chosen.has_value());
  CHECK(o.probes[*o.chosen].value == 30);

  // A floor on the worst frame that binds before the pooled target.
  SearchSpec c = crf_spec(40);
  c.also.push_back({"vmaf.min", 50});
  Synthetic s4{[](double x) { return 100 - 2 * x; }, [](double x) { return 95 - 2 * x; }};
  o = search_values_for(c, search_values(c), [&](double v) { return s4(v, c); });
  REQUIRE(o.chosen.has_value());
  CHECK(o.probes[*o.chosen].value == 22);  // 95 - 44 = 51 >= 50; crf 23 gives 49
}

TEST_CASE("search: a non-monotone metric is reported and the search still ends") {
  const SearchSpec spec = crf_spec(60);
  // A bump: quality rises again between 30 and 34.
  Synthetic s{[](double c) { return c >= 30 && c <= 34 ? 75 - c : 100 - 1.5 * c; }, nullptr};
  const auto values = search_values(spec);
  const SearchOutcome o = search_values_for(spec, values, [&](double v) { return s(v, spec); });
  CHECK(s.calls <= static_cast<int>(values.size()));
  bool any_bump_probed = false;
  for (const auto& p : o.probes) any_bump_probed |= p.value >= 30 && p.value <= 35;
  if (any_bump_probed && !o.not_monotone.empty()) {
    CHECK(o.not_monotone.front().find("crf") != std::string::npos);
  }
  // Every value is at most once, and the answer meets the target.
  REQUIRE(o.chosen.has_value());
  CHECK(o.probes[*o.chosen].quality >= 60);
}

TEST_CASE("search: parsing targets, constraints and ranges") {
  QualityBound t = parse_target("vmaf=95");
  CHECK(t.figure == "vmaf");
  CHECK(t.min == 95);
  CHECK(parse_target("vmaf=95", "p5").figure == "vmaf.p5");
  CHECK(parse_target("vmaf=95", "harmonic").figure == "vmaf.harmonic_mean");
  CHECK(parse_target("psnr=40", "mean").figure == "psnr");
  CHECK(parse_target("psnr.y=40").figure == "psnr.y");
  CHECK_THROWS_WITH_AS(parse_target("ssim=0.9", "p5"), doctest::Contains("has no 'p5'"),
                       UsageError);
  CHECK_THROWS_AS(parse_target("vmaf>=95"), UsageError);
  CHECK_THROWS_AS(parse_target("nosuch=3"), UsageError);
  CHECK_THROWS_AS(parse_target("vmaf=high"), UsageError);
  QualityBound c = parse_constraint("min:vmaf>=85");
  CHECK(c.figure == "vmaf.min");
  CHECK(c.min == 85);
  CHECK(parse_constraint("psnr.y>=38.5").min == 38.5);
  CHECK_THROWS_AS(parse_constraint("vmaf=85"), UsageError);
  CHECK_THROWS_AS(parse_constraint("worst:vmaf>=85"), UsageError);
  SearchSpec s;
  parse_range("10:51", s);
  CHECK((s.lo == 10 && s.hi == 51 && s.step == 1));
  parse_range("0.5:2:0.25", s);
  CHECK(search_values(s).size() == 7);
  CHECK_THROWS_AS(parse_range("51:10", s), UsageError);
  CHECK_THROWS_AS(parse_range("1:2:0", s), UsageError);
  CHECK_THROWS_AS(parse_range("1:1000000", s), UsageError);
  CHECK_THROWS_AS(parse_range("10-51", s), UsageError);
  CHECK(param_direction("crf") == ParamDirection::kQualityFalls);
  CHECK(param_direction("b") == ParamDirection::kQualityRises);
  CHECK(param_direction("preset") == ParamDirection::kUnknown);
}

TEST_CASE("search: sample jobs are evenly spaced and pooled by frames") {
  QualitySearch q;
  q.base.input.uri = "lavfi:testsrc2";
  q.base.encoder = "libx264";
  q.base.options = {{"preset", "fast"}, {"crf", "1"}};
  q.spec.param = "crf";
  q.samples = 4;
  q.sample_duration_s = 2;
  q.input_duration_s = 40;
  const auto jobs = probe_jobs(q, 27);
  REQUIRE(jobs.size() == 4);
  CHECK(jobs[0].input.start_s == doctest::Approx(4));   // centred at 5 s
  CHECK(jobs[3].input.start_s == doctest::Approx(34));  // centred at 35 s
  CHECK(jobs[1].input.duration_s == 2);
  CHECK(jobs[2].options ==
        std::vector<std::pair<std::string, std::string>>{{"preset", "fast"}, {"crf", "27"}});
  SearchSpec spec = crf_spec(40);
  spec.target = {"psnr", 40};
  auto doc = [](double psnr, int frames, int bytes) {
    return nlohmann::json{{"video", {{"frames", frames}, {"duration_s", frames / 25.0}}},
                          {"size", {{"bitstream_bytes", bytes}}},
                          {"quality", {{"psnr", {{"average", psnr}}}}}};
  };
  const SearchProbe p = probe_from_results(spec, 27, {doc(38, 50, 1000), doc(44, 150, 3000)});
  CHECK(p.quality == doctest::Approx((38 * 50 + 44 * 150) / 200.0));  // 42.5
  CHECK(p.meets);
  CHECK(p.bytes == 4000);
  CHECK(p.bitrate_kbps == doctest::Approx(8 * 4000 / 8.0 / 1000));
  CHECK(p.ci_low <= p.quality);
  CHECK(p.ci_high >= p.quality);
}
