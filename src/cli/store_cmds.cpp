// Commands over the results store: `runs` (list, show, rm, export), `compare`, and the
// store side of `bdrate`.
#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "codecbench/analysis/bdrate.hpp"
#include "codecbench/analysis/compare.hpp"
#include "codecbench/analysis/hull.hpp"
#include "codecbench/analysis/stats.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/metrics/figures.hpp"
#include "codecbench/report/plot.hpp"
#include "codecbench/report/report.hpp"
#include "codecbench/report/views.hpp"
#include "codecbench/store/merge.hpp"
#include "codecbench/store/sink.hpp"
#include "codecbench/store/store.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {

RunRecord load_run(const std::string& ref, const std::string& store_path, std::string& name) {
  if (std::filesystem::exists(ref) && !std::filesystem::is_directory(ref)) {
    name = ref;
    std::vector<std::string> warnings;
    std::vector<RunRecord> runs = read_runs(ref, &warnings);
    for (const auto& w : warnings) std::fprintf(stderr, "codecbench: warning: %s\n", w.c_str());
    if (runs.size() != 1) {
      throw UsageError(fmt::format("{}: a store with {} runs; give a run id with --store {}", ref,
                                   runs.size(), ref));
    }
    return std::move(runs.front());
  }
  std::int64_t id = 0;
  try {
    std::size_t used = 0;
    id = std::stoll(ref, &used);
    if (used != ref.size()) throw std::invalid_argument(ref);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("'{}' is neither a run id nor a run JSON file", ref));
  }
  const auto store = open_store(store_path, StoreAccess::kReadOnly);
  name = fmt::format("run {}", id);
  return store->load_run(id);
}

namespace {

struct RunsSettings {
  std::string store = kDefaultStoreLocation;
  std::int64_t id = 0;
  OutputOptions out;         // runs (the list)
  OutputOptions show_out;    // runs show
  OutputOptions export_out;  // runs export
};

constexpr const char* kStoreRole = "the results store";

int list_runs(const RunsSettings& s) {
  refuse_outputs_over(s.out, store_file(s.store), kStoreRole);
  const auto store = open_store(s.store, StoreAccess::kReadOnly);
  emit(runs_view(store->runs()), s.out);
  return 0;
}

int show_run(const RunsSettings& s, const OutputOptions& out) {
  refuse_outputs_over(out, store_file(s.store), kStoreRole);
  const auto store = open_store(s.store, StoreAccess::kReadOnly);
  emit(run_view(store->load_run(s.id)), out);
  return 0;
}

struct CompareSettings {
  std::string a, b;
  std::string store = kDefaultStoreLocation;
  CompareRule rule;
  std::string test = "welch";
  OutputOptions out;
};

int compare(CompareSettings s) {
  const auto which = parse_speed_test(s.test);
  if (!which)
    throw UsageError(
        fmt::format("--test {}: unknown significance test (welch, mann-whitney)", s.test));
  s.rule.test = *which;
  refuse_outputs_over(s.out, store_file(s.store), kStoreRole);
  refuse_outputs_over(s.out, s.a, "RUN_A");
  refuse_outputs_over(s.out, s.b, "RUN_B");
  std::string name_a, name_b;
  const RunRecord a = load_run(s.a, s.store, name_a);
  const RunRecord b = load_run(s.b, s.store, name_b);
  const Comparison c = compare_runs(a, b, s.rule);
  emit(comparison_view(c, name_a, name_b), s.out);
  if (c.jobs.empty())
    throw InputError(fmt::format("{} and {} have no finished job in common", name_a, name_b));
  return c.regressions > 0 ? static_cast<int>(ExitCode::kRegression) : 0;
}

}  // namespace

std::vector<RdSample> rd_samples_of_run(const std::string& run_ref, const std::string& store_path,
                                        const std::string& metric, std::string& name, bool hull) {
  std::string ref = run_ref;
  if (ref.empty())
    ref = std::to_string(open_store(store_path, StoreAccess::kReadOnly)->latest_run());
  const RunRecord run = load_run(ref, store_path, name);
  if (hull) return hull_samples(run_hulls(run, metric));
  const QualityFigure figure = parse_figure(metric);
  std::vector<RdSample> samples;
  for (const auto& j : run.jobs) {
    if (j.status != JobStatus::kOk || !j.result.is_object() || j.kind == JobKind::kDecode) continue;
    const double q = figure_value(j.result, figure);
    if (std::isfinite(q)) samples.push_back({j.input, curve_label(j), bitrate_of(j.result), q});
  }
  return samples;
}

namespace {

struct ReportSettings {
  std::string run;
  std::string store = kDefaultStoreLocation;
  std::string output = "report.html";
  std::string figures;
  std::string anchor;
  std::string interp = "pchip";
  std::string ladder_rates;
  bool quiet = false;
};

int report(const ReportSettings& s) {
  const auto interp = parse_bd_interpolation(s.interp);
  if (!interp) throw UsageError(fmt::format("--interp {}: one of pchip, cubic, akima", s.interp));
  refuse_same_file(s.output, "-o", store_file(s.store), kStoreRole);
  const auto store = open_store(s.store, StoreAccess::kReadOnly);
  std::int64_t id = 0;
  if (s.run.empty()) {
    id = store->latest_run();
  } else {
    try {
      std::size_t used = 0;
      id = std::stoll(s.run, &used);
      if (used != s.run.size()) throw std::invalid_argument(s.run);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("'{}' is not a run id", s.run));
    }
  }
  ReportData d;
  d.run = store->load_run(id);
  d.sweeps = store->sweeps(d.run.preset_hash);
  d.bd_interp = *interp;
  d.bd_anchor = s.anchor;
  d.ladder_rates = number_list(s.ladder_rates, "--ladder-rates", true, "bitrate (kbit/s)");
  if (!s.anchor.empty() && std::none_of(d.run.jobs.begin(), d.run.jobs.end(), [&](const auto& j) {
        return j.encoder_label == s.anchor;
      })) {
    std::set<std::string> known;
    for (const auto& j : d.run.jobs) known.insert(j.encoder_label);
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw UsageError(fmt::format("--anchor '{}': run {} has no such encoder label (labels: {})",
                                 s.anchor, id, list));
  }
  // Everything is made before anything is written: a figure that cannot be drawn, or a
  // --figures that is a file, leaves no report behind it.
  std::optional<FigureFiles> figures;
  if (!s.figures.empty()) figures = render_figures(s.figures, report_figures(d));
  write_output(s.output, render_report(d));
  if (figures) write_figures(*figures);
  if (!s.quiet)
    std::fprintf(stderr, "report of run %lld written to %s\n", static_cast<long long>(id),
                 s.output.c_str());
  return 0;
}

struct MergeSettings {
  std::string out;
  std::vector<std::string> inputs;
  std::string uuid;
  OutputOptions o;
};

int merge(const MergeSettings& s) {
  refuse_outputs_over(s.o, store_file(s.out), "OUT, the store merged into,");
  for (const auto& in : s.inputs) refuse_outputs_over(s.o, in, "an input");
  std::vector<RunRecord> runs;
  std::vector<std::string> warnings;
  for (auto& r : read_runs(s.inputs, &warnings)) {
    if (s.uuid.empty() || r.uuid == s.uuid) runs.push_back(std::move(r));
  }
  if (runs.empty()) {
    throw InputError(s.uuid.empty() ? std::string("merge: the inputs hold no run")
                                    : fmt::format("merge: no run {} in the inputs", s.uuid));
  }
  const auto out = open_store(s.out);
  const MergeResult m = merge_runs(*out, runs);
  const std::size_t merged_runs = runs.size();
  release_runs(runs);
  View v;
  v.document = {
      {"schema_version", 1}, {"store", s.out},        {"run_id", m.run_id},
      {"uuid", m.uuid},      {"inputs", merged_runs}, {"planned", m.planned},
      {"added", m.added},    {"kept", m.kept},        {"duplicates", m.duplicates},
      {"failed", m.failed},  {"missing", m.missing},  {"status", run_status_name(m.status)}};
  if (!warnings.empty()) v.document["warnings"] = warnings;
  v.records.push_back(v.document);
  v.table.header = {"run",  "uuid",       "runs merged", "planned", "added",
                    "kept", "duplicates", "failed",      "missing", "status"};
  v.table.right = {true, false, true, true, true, true, true, true, true, false};
  v.table.rows.push_back(
      {std::to_string(m.run_id), m.uuid, std::to_string(merged_runs), std::to_string(m.planned),
       std::to_string(m.added), std::to_string(m.kept), std::to_string(m.duplicates),
       std::to_string(m.failed), std::to_string(m.missing.size()), run_status_name(m.status)});
  if (!m.missing.empty()) {
    std::string keys;
    for (std::size_t i = 0; i < m.missing.size() && i < 20; ++i) keys += " " + m.missing[i];
    v.notes.push_back(fmt::format("missing {} of {} jobs:{}{}", m.missing.size(), m.planned, keys,
                                  m.missing.size() > 20 ? " ..." : ""));
    v.notes.push_back(fmt::format(
        "run them: codecbench run PRESET --resume --store {0}, then codecbench merge {0} {0}",
        s.out));
  }
  if (!s.o.quiet) {
    for (const auto& w : warnings) std::fprintf(stderr, "codecbench: warning: %s\n", w.c_str());
  }
  emit(v, s.o);
  return m.missing.empty() && m.failed == 0 ? 0 : static_cast<int>(ExitCode::kJobsFailed);
}

}  // namespace

void register_store_commands(CLI::App& app, CommandRunner& runner) {
  auto ms = std::make_shared<MergeSettings>();
  auto* mrg = app.add_subcommand(
      "merge", "Merge the runs of shards (stores, run documents, streams) into one run of a store");
  mrg->add_option("OUT", ms->out, "The store to merge into (created if absent)")->required();
  mrg->add_option("INPUTS", ms->inputs,
                  "Shard stores, run documents (run --json) or streams (run --stream)")
      ->required();
  mrg->add_option("--uuid", ms->uuid, "Only the runs with this UUID (one launch)");
  add_output_options(mrg, ms->o);
  mrg->callback([ms, &runner] { runner = [ms] { return merge(*ms); }; });

  auto rp = std::make_shared<ReportSettings>();
  auto* rep = app.add_subcommand(
      "report", "Self-contained HTML report of a run (tables, RD curves, BD-rate, sweeps)");
  rep->add_option("RUN", rp->run, "Run id (default: the latest)");
  rep->add_option("-o,--output", rp->output, "HTML file to write")->capture_default_str();
  rep->add_option("--store", rp->store, "Results store")->capture_default_str();
  rep->add_option("--figures", rp->figures,
                  "Also write every figure as SVG and PNG into this folder");
  rep->add_option("--anchor", rp->anchor,
                  "BD-rate anchor label (default: the first label with a ladder, per input)");
  rep->add_option("--interp", rp->interp, "BD interpolation: pchip, cubic or akima")
      ->capture_default_str();
  rep->add_option("--ladder-rates", rp->ladder_rates,
                  "Mark each resolution ladder's hull point chosen for these bitrates (kbit/s, "
                  "comma-separated), as `hull --rates` picks them");
  rep->add_flag("-q,--quiet", rp->quiet, "No summary line on stderr");
  rep->callback([rp, &runner] { runner = [rp] { return report(*rp); }; });

  auto rs = std::make_shared<RunsSettings>();
  auto* runs = app.add_subcommand("runs", "List, show, export or remove runs in the results store");
  runs->add_option("--store", rs->store, "Results store")->capture_default_str();
  add_output_options(runs, rs->out);
  auto* show = runs->add_subcommand("show", "One run and its jobs");
  show->add_option("ID", rs->id, "Run id")->required();
  show->add_option("--store", rs->store, "Results store")->capture_default_str();
  add_output_options(show, rs->show_out);
  auto* rm = runs->add_subcommand("rm", "Remove a run (its jobs and measurements too)");
  rm->add_option("ID", rs->id, "Run id")->required();
  rm->add_option("--store", rs->store, "Results store")->capture_default_str();
  auto* exp = runs->add_subcommand("export", "A run as JSON or CSV");
  exp->add_option("ID", rs->id, "Run id")->required();
  exp->add_option("--store", rs->store, "Results store")->capture_default_str();
  add_output_options(exp, rs->export_out);
  runs->callback([rs, show, rm, exp, &runner] {
    if (show->parsed()) {
      runner = [rs] { return show_run(*rs, rs->show_out); };
    } else if (exp->parsed()) {
      runner = [rs] {
        if (!rs->export_out.any_requested()) {
          throw UsageError(
              "runs export: give --json, --jsonl, --csv or --markdown (each with an optional "
              "FILE)");
        }
        OutputOptions out = rs->export_out;
        return show_run(*rs, out);
      };
    } else if (rm->parsed()) {
      runner = [rs] {
        const auto store = open_store(rs->store);
        if (!store->remove_run(rs->id))
          throw InputError(fmt::format("{}: no run {}", rs->store, rs->id));
        return 0;
      };
    } else {
      runner = [rs] { return list_runs(*rs); };
    }
  });

  auto cs = std::make_shared<CompareSettings>();
  auto* cmp = app.add_subcommand(
      "compare",
      "Compare two runs job by job: speed (Welch's t-test or Mann-Whitney U), size, quality");
  cmp->add_option("RUN_A", cs->a,
                  "Baseline: a run id in the store, a run document (run --json, runs export "
                  "--json) or a run --stream file")
      ->required();
  cmp->add_option("RUN_B", cs->b, "Candidate: a run id or a run JSON file")->required();
  cmp->add_option("--store", cs->store, "Results store")->capture_default_str();
  cmp->add_option("--speed-threshold", cs->rule.speed_threshold_pct, "Percent slower that counts")
      ->capture_default_str()
      ->check(bounded(0, 1000000.0));
  cmp->add_option("--size-threshold", cs->rule.size_threshold_pct, "Percent larger that counts")
      ->capture_default_str()
      ->check(bounded(0, 1000000.0));
  cmp->add_option("--quality-threshold", cs->rule.quality_threshold,
                  "Drop of the primary quality figure (PSNR, SNR) that counts")
      ->capture_default_str()
      ->check(bounded(0, 1000000.0));
  cmp->add_option("--alpha", cs->rule.alpha, "Significance level of the speed test")
      ->capture_default_str()
      ->check(bounded(1e-12, 0.5));
  cmp->add_option("--test", cs->test, "Speed significance test: welch or mann-whitney")
      ->capture_default_str();
  add_output_options(cmp, cs->out);
  cmp->callback([cs, &runner] { runner = [cs] { return compare(*cs); }; });
}

}  // namespace codecbench::cli
