// `codecbench bdrate`: BD-rate and BD-quality between two encoder labels of a stored run, or
// between curves given as CSV rows curve,bitrate,quality[,input] (figures from anywhere); per
// input and averaged, in one output shape for both sources.
#include <fmt/core.h>

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "codecbench/bdrate.hpp"
#include "codecbench/error.hpp"
#include "codecbench/files.hpp"
#include "codecbench/results.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

struct BdSettings {
  std::string run;
  std::string store = "results/codecbench.sqlite";
  std::string points;
  std::string anchor;
  std::string test;
  std::string metric;
  std::string interp = "pchip";
  bool hull = false;
  OutputOptions out;
};

std::vector<RdSample> read_points(const std::string& path) {
  return parse_points_csv(read_data_file(path), path);
}

nlohmann::json number_or_null(bool ok, double v) {
  return ok ? nlohmann::json(v) : nlohmann::json(nullptr);
}

int run(const BdSettings& s) {
  const auto interp = parse_bd_interpolation(s.interp);
  if (!interp) throw UsageError(fmt::format("--interp '{}': pchip, cubic or akima", s.interp));
  if (!s.points.empty() && !s.run.empty())
    throw UsageError("give either RUN or --points, not both");
  std::string source;
  std::string metric = s.metric;
  std::vector<RdSample> samples;
  if (s.points.empty()) {
    if (metric.empty()) metric = "psnr.y";
    samples = rd_samples_of_run(s.run, s.store, metric, source, s.hull);
  } else {
    if (s.hull) throw UsageError("--hull needs a RUN (points files carry no resolutions)");
    if (metric.empty()) metric = "quality";
    source = s.points;
    samples = read_points(s.points);
  }
  std::set<std::string> labels;
  for (const auto& p : samples) labels.insert(p.label);
  for (const auto& l : {s.anchor, s.test}) {
    if (labels.count(l) == 0) {
      std::string known;
      for (const auto& k : labels) known += (known.empty() ? "" : ", ") + k;
      throw UsageError(s.points.empty()
                           ? fmt::format("{}: no encoder label '{}' with {} results "
                                         "(labels: {})",
                                         source, l, metric, known)
                           : fmt::format("{}: no curve '{}' (curves: {})", source, l, known));
    }
  }
  const BdTable t = bd_table(samples, s.anchor, s.test, *interp);
  const bool several = t.rows.size() > 1;

  const std::string interp_name = bd_interpolation_name(*interp);
  View v;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [input, r] : t.rows) {
    rows.push_back({{"input", input.empty() ? nlohmann::json(nullptr) : nlohmann::json(input)},
                    {"valid", r.valid},
                    {"reason", r.reason},
                    {"bd_rate_pct", number_or_null(r.valid, r.rate_pct)},
                    {"bd_quality", number_or_null(r.quality_valid, r.quality)},
                    {"quality_reason", r.quality_reason}});
  }
  const nlohmann::json average = {
      {"bd_rate_pct", number_or_null(t.rate_count > 0, t.mean_rate_pct)},
      {"bd_quality", number_or_null(t.quality_count > 0, t.mean_quality)},
      {"inputs_with_bd_rate", t.rate_count},
      {"inputs_with_bd_quality", t.quality_count}};
  v.document = {{"schema_version", 1}, {"source", source},  {"anchor", s.anchor},
                {"test", s.test},      {"metric", metric},  {"interpolation", interp_name},
                {"inputs", rows},      {"average", average}};
  if (s.hull) v.document["hull"] = true;
  // CSV and JSON Lines: one record per input, and the average when there are several.
  const nlohmann::json pair = {
      {"anchor", s.anchor}, {"test", s.test}, {"metric", metric}, {"interpolation", interp_name}};
  for (const auto& row : rows) {
    nlohmann::json r = pair;
    r.update(row);
    r["input"] = row["input"].is_null() ? "" : row["input"];
    r.erase("valid");
    v.records.push_back(std::move(r));
  }
  if (several) {
    nlohmann::json r = pair;
    r.update({{"input", "average"},
              {"bd_rate_pct", average["bd_rate_pct"]},
              {"bd_quality", average["bd_quality"]},
              {"reason", ""},
              {"quality_reason", ""}});
    v.records.push_back(std::move(r));
  }
  v.columns = {"input",       "anchor",     "test",   "metric",        "interpolation",
               "bd_rate_pct", "bd_quality", "reason", "quality_reason"};
  auto rate = [](const BdResult& r) {
    return r.valid ? fmt::format("{:+.2f} %", r.rate_pct) : "n/a (" + r.reason + ")";
  };
  auto quality = [](const BdResult& r) {
    return r.quality_valid ? fmt::format("{:+.4f}", r.quality) : "n/a (" + r.quality_reason + ")";
  };
  v.table.header = {"input", "anchor", "test", "BD-rate", "BD-" + metric};
  v.table.right = {false, false, false, true, true};
  for (const auto& [input, r] : t.rows)
    v.table.rows.push_back({input.empty() ? "-" : input, s.anchor, s.test, rate(r), quality(r)});
  if (several) {
    v.table.rows.push_back(
        {"average", s.anchor, s.test,
         t.rate_count > 0 ? fmt::format("{:+.2f} %", t.mean_rate_pct) : std::string("n/a"),
         t.quality_count > 0 ? fmt::format("{:+.4f}", t.mean_quality) : std::string("n/a")});
  }
  // The terminal: one sentence for one pair of curves, a line per input otherwise.
  if (!several && t.rows.size() == 1 && t.rows[0].input.empty()) {
    const BdResult& r = t.rows[0].result;
    v.text = fmt::format("{} vs {} ({}, {}): BD-rate {}, BD-{} {}\n", s.test, s.anchor, metric,
                         interp_name, rate(r), metric, quality(r));
  } else {
    v.text =
        fmt::format("{} vs {} on {} ({}, {}):\n", s.test, s.anchor, source, metric, interp_name);
    for (const auto& [input, r] : t.rows)
      v.text += fmt::format("  {:<24} BD-rate {:>10}   BD-{} {}\n", input.empty() ? "-" : input,
                            rate(r), metric, quality(r));
    if (t.rows.empty())
      v.text += fmt::format("  no input has both '{}' and '{}'\n", s.anchor, s.test);
    if (several)
      v.text += fmt::format(
          "  {:<24} BD-rate {:>10}   BD-{} {}\n", "average",
          t.rate_count > 0 ? fmt::format("{:+.2f} %", t.mean_rate_pct) : std::string("n/a"), metric,
          t.quality_count > 0 ? fmt::format("{:+.4f}", t.mean_quality) : std::string("n/a"));
  }
  emit(v, s.out);
  return 0;
}

}  // namespace

void register_bdrate(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<BdSettings>();
  auto* cmd =
      app.add_subcommand("bdrate", "Bjontegaard BD-rate and BD-quality between two RD curves");
  cmd->add_option(
      "RUN", s->run,
      "Run id in the store, or a run document / --stream file (default: the latest run)");
  cmd->add_option("--store", s->store, "Results store")->capture_default_str();
  cmd->add_option("--points", s->points,
                  "CSV with columns curve,bitrate,quality[,input] instead of a run");
  cmd->add_option("--anchor", s->anchor, "Anchor curve name")->required();
  cmd->add_option("--test", s->test, "Test curve name")->required();
  std::string figures;
  for (const auto& f : figure_names()) figures += (figures.empty() ? "" : ", ") + f;
  cmd->add_option("--metric", s->metric,
                  "Runs: a quality figure (default psnr.y; METRIC is its primary output): " +
                      figures + "; --points: a label")
      ->capture_default_str();
  cmd->add_option("--interp", s->interp, "pchip (default, JCT-VC CTC), cubic (VCEG-M33) or akima")
      ->capture_default_str();
  cmd->add_flag("--hull", s->hull,
                "Compare the encoders' per-title convex hulls across resolutions (a run with "
                "encoders' scale: ladders), as AWCY's convex-hull BD-rate does");
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] { runner = [s] { return run(*s); }; });
}

}  // namespace codecbench::cli
