// `codecbench hull PRESET [overrides]` or `codecbench hull --run ID`: the per-title convex hull
// of every input and encoder across the resolutions of a ladder (hull.hpp), the ladder it
// recommends for target bitrates or qualities, and the crossovers between resolutions.
#include <fmt/core.h>

#include <cmath>
#include <memory>
#include <optional>

#include "codecbench/analysis/hull.hpp"
#include "codecbench/config/preset.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/metrics/figures.hpp"
#include "codecbench/run/batch.hpp"
#include "codecbench/store/sink.hpp"
#include "codecbench/store/store.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

struct HullSettings {
  std::string preset;
  std::vector<std::string> overrides;
  std::string run;
  std::string store;
  std::string metric;
  std::string rates;
  std::string qualities;
  OutputOptions out;
};

// Runs the preset as `run` does (every job stored as it ends) and returns the run.
RunRecord run_preset(const HullSettings& s, int& exit_code) {
  PresetBundle l = load_bundle(s.preset, s.overrides, false);
  check_jobs(l.jobs);
  const Preset& first = l.variants.front();
  const RunRecord header = run_header(l, s.preset);
  const std::string location = s.store.empty() ? first.output.store : s.store;
  refuse_outputs_over(s.out, store_file(location), "the results store");
  const auto store = open_store(location);
  StoreSink sink(*store);
  SinkList sinks;
  sinks.add(sink);
  BatchOptions opts;
  opts.on_event = batch_progress(s.out.quiet);
  BatchSummary summary = run_batch(first, l.jobs, header, sinks, opts);
  const RunRecord& r = summary.run;
  if (!s.out.quiet) {
    if (stderr_is_tty()) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "run %lld (%s): %zu jobs in %.1f s, %zu failed; store %s\n",
                 static_cast<long long>(r.id), r.uuid.c_str(), r.jobs.size(), r.wall_s,
                 r.count(JobStatus::kFailed), store->location().c_str());
  }
  if (r.count(JobStatus::kFailed) > 0) exit_code = static_cast<int>(ExitCode::kJobsFailed);
  return std::move(summary.run);
}

// VMAF when the run measured it, else the video primary figure.
std::string default_metric(const RunRecord& run) {
  for (const auto& j : run.jobs) {
    if (j.status == JobStatus::kOk && j.result.is_object() &&
        std::isfinite(figure_value(j.result, parse_figure("vmaf")))) {
      return "vmaf";
    }
  }
  return "psnr";
}

nlohmann::json point_json(const HullPoint& p) {
  return {{"resolution", p.resolution}, {"width", p.width},       {"height", p.height},
          {"setting", p.setting},       {"bitrate_kbps", p.rate}, {"quality", p.quality}};
}

int run(const HullSettings& s) {
  if (s.preset.empty() == s.run.empty()) {
    throw UsageError("give a PRESET to run, or --run ID|FILE for a run already made");
  }
  const std::vector<double> rates = number_list(s.rates, "--rates", true);
  const std::vector<double> qualities = number_list(s.qualities, "--qualities", false);
  int exit_code = 0;
  std::string source;
  RunRecord run;
  if (!s.preset.empty()) {
    run = run_preset(s, exit_code);
    source = fmt::format("run {}", run.id);
  } else {
    run = load_run(s.run, s.store.empty() ? kDefaultStoreLocation : s.store, source);
  }
  const std::string metric = s.metric.empty() ? default_metric(run) : s.metric;
  const QualityFigure figure = parse_figure(metric);
  const std::vector<TitleHull> hulls = run_hulls(run, metric);
  if (hulls.empty()) {
    throw InputError(fmt::format("{}: no finished encode job measured {}", source, metric));
  }

  View v;
  nlohmann::json doc_hulls = nlohmann::json::array();
  v.table.header = {"input", "encoder", "resolution", "size", "options", "kbit/s", figure.title()};
  v.table.right = {false, false, false, true, false, true, true};
  for (const auto& t : hulls) {
    const Hull& h = t.hull;
    nlohmann::json pts = nlohmann::json::array();
    for (std::size_t i : h.on_hull) {
      const HullPoint& p = h.points[i];
      pts.push_back(point_json(p));
      nlohmann::json rec = point_json(p);
      rec["input"] = t.input;
      rec["encoder_label"] = t.label;
      rec["metric"] = metric;
      v.records.push_back(std::move(rec));
      v.table.rows.push_back({t.input, t.label, p.resolution,
                              fmt::format("{}x{}", p.width, p.height), p.setting,
                              fmt::format("{:.1f}", p.rate), fmt::format("{:.4f}", p.quality)});
    }
    nlohmann::json cross = nlohmann::json::array();
    for (const auto& c : h.crossovers) {
      cross.push_back(
          {{"from", c.from}, {"to", c.to}, {"bitrate_kbps", c.rate}, {"quality", c.quality}});
      v.notes.push_back(fmt::format("{} {}: {} overtakes {} above {:.1f} kbit/s ({} {:.3f})",
                                    t.input, t.label, c.to, c.from, c.rate, figure.title(),
                                    c.quality));
    }
    nlohmann::json ladder = nlohmann::json::array();
    const auto by_rate = ladder_for_rates(h, rates);
    for (std::size_t k = 0; k < rates.size(); ++k) {
      ladder.push_back({{"target_kbps", rates[k]},
                        {"point", by_rate[k] ? point_json(h.points[*by_rate[k]]) : nullptr}});
      v.notes.push_back(
          by_rate[k] ? fmt::format("{} {}: at most {:g} kbit/s -> {} {} ({:.1f} kbit/s, {:.3f})",
                                   t.input, t.label, rates[k], h.points[*by_rate[k]].resolution,
                                   h.points[*by_rate[k]].setting, h.points[*by_rate[k]].rate,
                                   h.points[*by_rate[k]].quality)
                     : fmt::format("{} {}: at most {:g} kbit/s -> none (the cheapest hull point "
                                   "needs {:.1f})",
                                   t.input, t.label, rates[k], h.points[h.on_hull.front()].rate));
    }
    const auto by_quality = ladder_for_qualities(h, qualities);
    for (std::size_t k = 0; k < qualities.size(); ++k) {
      ladder.push_back({{"target_quality", qualities[k]},
                        {"point", by_quality[k] ? point_json(h.points[*by_quality[k]]) : nullptr}});
      v.notes.push_back(
          by_quality[k]
              ? fmt::format("{} {}: {} >= {:g} -> {} {} ({:.1f} kbit/s, {:.3f})", t.input, t.label,
                            figure.title(), qualities[k], h.points[*by_quality[k]].resolution,
                            h.points[*by_quality[k]].setting, h.points[*by_quality[k]].rate,
                            h.points[*by_quality[k]].quality)
              : fmt::format("{} {}: {} >= {:g} -> none (the hull reaches {:.3f})", t.input, t.label,
                            figure.title(), qualities[k], h.points[h.on_hull.back()].quality));
    }
    doc_hulls.push_back({{"input", t.input},
                         {"encoder_label", t.label},
                         {"points", h.points.size()},
                         {"hull", pts},
                         {"crossovers", cross},
                         {"ladder", ladder}});
  }
  v.document = {{"schema_version", 1},
                {"source", source},
                {"run_uuid", run.uuid},
                {"metric", metric},
                {"hulls", doc_hulls}};
  v.columns = {"input",   "encoder_label", "resolution", "width", "height",
               "setting", "bitrate_kbps",  "quality",    "metric"};
  emit(v, s.out);
  return exit_code;
}

}  // namespace

void register_hull(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<HullSettings>();
  auto* cmd = app.add_subcommand(
      "hull",
      "Per-title convex hull: run a preset with a resolution ladder (encoders' scale:) and "
      "give the hull of quality against bitrate across resolutions, a ladder and crossovers");
  cmd->add_option("PRESET", s->preset, kPresetHelp);
  cmd->add_option("OVERRIDES", s->overrides, "Overrides as for run");
  cmd->add_option("--run", s->run, "Use a run already made (an id in --store, or a run JSON file)");
  cmd->add_option("--store", s->store, "Results store (default: the preset's output.store)");
  cmd->add_option("--metric", s->metric,
                  "Quality figure (default: vmaf when measured, else psnr; results.hpp names)");
  cmd->add_option("--rates", s->rates,
                  "Ladder for these bitrates, kbit/s, comma-separated: the best hull point "
                  "within each");
  cmd->add_option("--qualities", s->qualities,
                  "Ladder for these qualities, comma-separated: the cheapest hull point "
                  "reaching each");
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] { runner = [s] { return run(*s); }; });
}

}  // namespace codecbench::cli
