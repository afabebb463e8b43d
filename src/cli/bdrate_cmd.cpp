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

#include "codecbench/analysis/bdrate.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/metrics/figures.hpp"
#include "codecbench/store/store.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

struct BdSettings {
  std::string run;
  std::string store = kDefaultStoreLocation;
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

// The RD samples to compare (a stored run's, or a points file's); `metric` and `source` are
// filled in. UsageError when the anchor or the test label has none.
std::vector<RdSample> load_samples(const BdSettings& s, std::string& metric, std::string& source) {
  std::vector<RdSample> samples;
  metric = s.metric;
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
  return samples;
}

// What the view says of one comparison, shared by its document, records, table and text.
struct BdContext {
  const BdSettings& s;
  const BdTable& t;
  std::string source, metric, interp;
  [[nodiscard]] bool several() const { return t.rows.size() > 1; }
};

std::string rate_text(const BdResult& r) {
  return r.valid ? fmt::format("{:+.2f} %", r.rate_pct) : "n/a (" + r.reason + ")";
}

std::string quality_text(const BdResult& r) {
  return r.quality_valid ? fmt::format("{:+.4f}", r.quality) : "n/a (" + r.quality_reason + ")";
}

std::string mean_rate_text(const BdTable& t) {
  return t.rate_count > 0 ? fmt::format("{:+.2f} %", t.mean_rate_pct) : std::string("n/a");
}

std::string mean_quality_text(const BdTable& t) {
  return t.quality_count > 0 ? fmt::format("{:+.4f}", t.mean_quality) : std::string("n/a");
}

// The document (a row per input and the average) and, for CSV and JSON Lines, one record per
// input and the average when there are several.
void add_document(const BdContext& c, View& v) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [input, r] : c.t.rows) {
    rows.push_back({{"input", input.empty() ? nlohmann::json(nullptr) : nlohmann::json(input)},
                    {"valid", r.valid},
                    {"reason", r.reason},
                    {"bd_rate_pct", number_or_null(r.valid, r.rate_pct)},
                    {"bd_quality", number_or_null(r.quality_valid, r.quality)},
                    {"quality_reason", r.quality_reason}});
  }
  const nlohmann::json average = {
      {"bd_rate_pct", number_or_null(c.t.rate_count > 0, c.t.mean_rate_pct)},
      {"bd_quality", number_or_null(c.t.quality_count > 0, c.t.mean_quality)},
      {"inputs_with_bd_rate", c.t.rate_count},
      {"inputs_with_bd_quality", c.t.quality_count}};
  v.document = {{"schema_version", 1}, {"source", c.source}, {"anchor", c.s.anchor},
                {"test", c.s.test},    {"metric", c.metric}, {"interpolation", c.interp},
                {"inputs", rows},      {"average", average}};
  if (c.s.hull) v.document["hull"] = true;
  const nlohmann::json pair = {{"anchor", c.s.anchor},
                               {"test", c.s.test},
                               {"metric", c.metric},
                               {"interpolation", c.interp}};
  for (const auto& row : rows) {
    nlohmann::json r = pair;
    r.update(row);
    r["input"] = row["input"].is_null() ? "" : row["input"];
    r.erase("valid");
    v.records.push_back(std::move(r));
  }
  if (c.several()) {
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
}

void add_table(const BdContext& c, View& v) {
  v.table.header = {"input", "anchor", "test", "BD-rate", "BD-" + c.metric};
  v.table.right = {false, false, false, true, true};
  for (const auto& [input, r] : c.t.rows) {
    v.table.rows.push_back(
        {input.empty() ? "-" : input, c.s.anchor, c.s.test, rate_text(r), quality_text(r)});
  }
  if (c.several()) {
    v.table.rows.push_back(
        {"average", c.s.anchor, c.s.test, mean_rate_text(c.t), mean_quality_text(c.t)});
  }
}

// The terminal: one sentence for one pair of curves, a line per input otherwise.
std::string terminal_text(const BdContext& c) {
  const BdTable& t = c.t;
  if (!c.several() && t.rows.size() == 1 && t.rows[0].input.empty()) {
    const BdResult& r = t.rows[0].result;
    return fmt::format("{} vs {} ({}, {}): BD-rate {}, BD-{} {}\n", c.s.test, c.s.anchor, c.metric,
                       c.interp, rate_text(r), c.metric, quality_text(r));
  }
  std::string text =
      fmt::format("{} vs {} on {} ({}, {}):\n", c.s.test, c.s.anchor, c.source, c.metric, c.interp);
  for (const auto& [input, r] : t.rows)
    text += fmt::format("  {:<24} BD-rate {:>10}   BD-{} {}\n", input.empty() ? "-" : input,
                        rate_text(r), c.metric, quality_text(r));
  if (t.rows.empty())
    text += fmt::format("  no input has both '{}' and '{}'\n", c.s.anchor, c.s.test);
  if (c.several())
    text += fmt::format("  {:<24} BD-rate {:>10}   BD-{} {}\n", "average", mean_rate_text(t),
                        c.metric, mean_quality_text(t));
  return text;
}

int run(const BdSettings& s) {
  const auto interp = parse_bd_interpolation(s.interp);
  if (!interp) throw UsageError(fmt::format("--interp '{}': pchip, cubic or akima", s.interp));
  if (!s.points.empty() && !s.run.empty())
    throw UsageError("give either RUN or --points, not both");
  refuse_outputs_over(s.out, store_file(s.store), "the results store");
  refuse_outputs_over(s.out, s.points, "the --points file");
  refuse_outputs_over(s.out, s.run, "RUN");
  std::string source, metric;
  const std::vector<RdSample> samples = load_samples(s, metric, source);
  const BdTable t = bd_table(samples, s.anchor, s.test, *interp);
  const BdContext c{s, t, source, metric, bd_interpolation_name(*interp)};
  View v;
  add_document(c, v);
  add_table(c, v);
  v.text = terminal_text(c);
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
