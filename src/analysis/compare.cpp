// Run comparison and the regression rule.
#include "codecbench/analysis/compare.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "codecbench/metrics/figures.hpp"

namespace codecbench {
namespace {

std::vector<double> wall_times(const JobRecord& j) {
  std::vector<double> t;
  for (const auto& m : j.measurements) t.push_back(m.wall_s);
  return t.empty() ? j.wall.times : t;
}

std::vector<std::string> speed_flags(const JobComparison& c, const CompareRule& rule) {
  std::vector<std::string> flags;
  const auto& w = c.speed;
  if (c.speed_change_pct > rule.speed_threshold_pct) {
    if (w.valid && w.p < rule.alpha) {
      flags.emplace_back("SLOWER");
    } else if (!w.valid) {
      flags.emplace_back("slower? (one repeat: no test)");
    } else if (c.underpowered) {
      flags.emplace_back("slower? (too few repeats for this test)");
    } else {
      flags.emplace_back("slower (not significant)");
    }
  }
  if (c.speed_change_pct < -rule.speed_threshold_pct && w.valid && w.p < rule.alpha)
    flags.emplace_back("faster");
  return flags;
}

namespace {

// A string field of a job's result document ("" when absent or not a string).
std::string result_string(const JobRecord& j, const char* field) {
  const auto& r = j.result;
  return r.is_object() && r.contains(field) && r[field].is_string() ? r[field].get<std::string>()
                                                                    : std::string();
}

// Both known and different.
bool both_differ(const std::string& a, const std::string& b) {
  return !a.empty() && !b.empty() && a != b;
}

}  // namespace

JobComparison compare_job(const JobRecord& ja, const JobRecord& jb, const CompareRule& rule) {
  JobComparison c;
  c.key = jb.key;
  c.input = jb.input;
  c.encoder_label = jb.encoder_label;
  c.options = job_options_text(jb);
  c.wall_a_s = ja.wall.median;
  c.wall_b_s = jb.wall.median;
  c.speed_change_pct = c.wall_a_s > 0 ? (c.wall_b_s / c.wall_a_s - 1) * 100 : 0;
  c.speed = speed_test(rule.test, wall_times(ja), wall_times(jb));
  // Mann-Whitney with few repeats has a floor on p (3 vs 3: 0.1): say so rather than
  // reporting "not significant" as if it were evidence.
  c.underpowered = c.speed.valid && c.speed.min_p >= rule.alpha;
  auto bytes = [](const JobRecord& j) {
    const auto& r = j.result;
    return r.is_object() && r.contains("size") ? r["size"].value("bitstream_bytes", 0.0) : 0.0;
  };
  const double size_a = bytes(ja), size_b = bytes(jb);
  c.size_change_pct = size_a > 0 ? (size_b / size_a - 1) * 100 : 0;
  const QualityFigure f = primary_figure(result_type(ja.result));
  c.quality_figure = f.name();
  const double qa = figure_value(ja.result, f), qb = figure_value(jb.result, f);
  c.quality_change = std::isfinite(qa) && std::isfinite(qb) ? qb - qa : 0;
  c.flags = speed_flags(c, rule);
  c.input_differs = both_differ(result_string(ja, "source_hash"), result_string(jb, "source_hash"));
  if (c.input_differs) {
    c.flags.emplace_back("input differs (size and quality not compared)");
  } else {
    if (c.size_change_pct > rule.size_threshold_pct) c.flags.emplace_back("LARGER");
    // "Worse" follows the figure's direction (all of today's primary figures: higher is
    // better).
    const double worse = f.output->better == Better::kHigher ? -c.quality_change : c.quality_change;
    if (worse > rule.quality_threshold) c.flags.emplace_back("WORSE QUALITY");
  }
  // A decode job (same stream, decoder and threads: the same key) must decode the same frames.
  if (ja.kind == JobKind::kDecode && jb.kind == JobKind::kDecode &&
      both_differ(result_string(ja, "md5"), result_string(jb, "md5")))
    c.flags.emplace_back("FRAMES DIFFER");
  c.regression = std::any_of(c.flags.begin(), c.flags.end(), [](const std::string& x) {
    return x == "SLOWER" || x == "LARGER" || x == "WORSE QUALITY" || x == "FRAMES DIFFER";
  });
  return c;
}

}  // namespace

Comparison compare_runs(const RunRecord& a, const RunRecord& b, const CompareRule& rule) {
  Comparison out;
  out.rule = rule;
  std::map<std::string, const JobRecord*> by_key;
  for (const auto& j : a.jobs) {
    if (j.status == JobStatus::kOk) by_key[j.key] = &j;
  }
  for (const auto& jb : b.jobs) {
    const auto it = by_key.find(jb.key);
    if (it == by_key.end() || jb.status != JobStatus::kOk) continue;
    out.jobs.push_back(compare_job(*it->second, jb, rule));
    out.regressions += out.jobs.back().regression ? 1 : 0;
    out.underpowered += out.jobs.back().underpowered ? 1 : 0;
  }
  return out;
}

nlohmann::json comparison_json(const Comparison& c, const std::string& a, const std::string& b) {
  nlohmann::json jobs = nlohmann::json::array();
  auto or_null = [](bool ok, double v) { return ok ? nlohmann::json(v) : nlohmann::json(nullptr); };
  for (const auto& j : c.jobs) {
    jobs.push_back({{"key", j.key},
                    {"input", j.input},
                    {"encoder_label", j.encoder_label},
                    {"options", j.options},
                    {"wall_a_s", j.wall_a_s},
                    {"wall_b_s", j.wall_b_s},
                    {"speed_change_pct", j.speed_change_pct},
                    {"test", j.speed.test},
                    {"statistic", or_null(j.speed.valid, j.speed.statistic)},
                    {"p_value", or_null(j.speed.valid, j.speed.p)},
                    {"min_p_value", or_null(j.speed.valid, j.speed.min_p)},
                    {"size_change_pct", j.size_change_pct},
                    {"quality_metric", j.quality_figure},
                    {"quality_change", j.quality_change},
                    {"input_differs", j.input_differs},
                    {"flags", j.flags},
                    {"regression", j.regression}});
  }
  return {{"schema_version", 1},
          {"a", a},
          {"b", b},
          {"test", c.rule.test == SpeedTest::kWelch ? "welch" : "mann-whitney"},
          {"alpha", c.rule.alpha},
          {"jobs", jobs},
          {"regressions", c.regressions}};
}

}  // namespace codecbench
