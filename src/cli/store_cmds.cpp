// Commands over the results store: `runs` (list, show, rm, export), `compare`, and the
// store side of `bdrate`.
#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "codecbench/bdrate.hpp"
#include "codecbench/error.hpp"
#include "codecbench/plot.hpp"
#include "codecbench/report.hpp"
#include "codecbench/results.hpp"
#include "codecbench/stats.hpp"
#include "codecbench/store.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {

namespace {

constexpr const char* kDefaultStore = "results/codecbench.sqlite";

struct Job {
  std::string key, input, label, options, status;
  std::vector<double> times;
  double wall = 0;
  nlohmann::json result;
};

// A run from the store (an id) or from a `run --json` file.
std::vector<Job> load_run(const std::string& ref, const std::string& store_path,
                          std::string& name) {
  std::vector<Job> out;
  if (std::filesystem::exists(ref) && !std::filesystem::is_directory(ref)) {
    nlohmann::json doc;
    try {
      std::ifstream f(ref);
      doc = nlohmann::json::parse(f);
    } catch (const std::exception& e) {
      throw InputError(fmt::format("{}: not a codecbench run JSON ({})", ref, e.what()));
    }
    if (!doc.contains("jobs"))
      throw InputError(fmt::format("{}: not a codecbench run JSON (no jobs)", ref));
    name = ref;
    for (const auto& j : doc["jobs"]) {
      Job x;
      x.key = j.value("key", "");
      x.input = j.value("input", "");
      x.label = j.value("encoder_label", "");
      x.status = j.value("status", "");
      if (j.contains("wall_s")) {
        x.wall = j["wall_s"].value("median", 0.0);
        if (j["wall_s"].contains("times"))
          x.times = j["wall_s"]["times"].get<std::vector<double>>();
      }
      if (j.contains("result")) {
        x.result = j["result"];
        std::string opts;
        for (const auto& [k, v] : x.result["options"].items())
          opts += (opts.empty() ? "" : " ") + k + "=" + v.get<std::string>();
        x.options = opts;
      }
      out.push_back(std::move(x));
    }
    return out;
  }
  std::int64_t id = 0;
  try {
    std::size_t used = 0;
    id = std::stoll(ref, &used);
    if (used != ref.size()) throw std::invalid_argument(ref);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("'{}' is neither a run id nor a run JSON file", ref));
  }
  ResultStore store(store_path);
  (void)store.run(id);
  name = fmt::format("run {}", id);
  for (auto& r : store.jobs(id)) {
    Job x;
    x.key = r.key;
    x.input = r.input;
    x.label = r.encoder_label;
    x.options = r.options;
    x.status = r.status;
    x.wall = r.wall_median;
    x.times = r.repeat_walls;
    if (!r.result_json.empty()) x.result = nlohmann::json::parse(r.result_json);
    out.push_back(std::move(x));
  }
  return out;
}

struct RunsSettings {
  std::string store = kDefaultStore;
  std::int64_t id = 0;
  OutputOptions out;         // runs (the list)
  OutputOptions show_out;    // runs show
  OutputOptions export_out;  // runs export
};

int list_runs(const RunsSettings& s) {
  ResultStore store(s.store);
  const auto runs = store.runs();
  nlohmann::json j = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    j.push_back({{"id", r.id},
                 {"started", r.started},
                 {"finished", r.finished},
                 {"status", r.status},
                 {"preset", r.preset_name},
                 {"jobs", r.jobs_total},
                 {"failed", r.jobs_failed}});
    rows.push_back({std::to_string(r.id), r.started, r.preset_name, std::to_string(r.jobs_total),
                    std::to_string(r.jobs_failed), r.status});
  }
  if (s.out.json()) write_output(s.out.json_path, j.dump(2) + "\n");
  if (s.out.csv())
    write_output(s.out.csv_path,
                 to_csv({"id", "started", "preset", "jobs", "failed", "status"}, rows));
  if (s.out.text_on_stdout()) {
    std::string t = fmt::format("{:>4}  {:<24}  {:<20}  {:>5}  {:>6}  {}\n", "id", "started",
                                "preset", "jobs", "failed", "status");
    for (const auto& r : rows)
      t += fmt::format("{:>4}  {:<24}  {:<20}  {:>5}  {:>6}  {}\n", r[0], r[1], r[2], r[3], r[4],
                       r[5]);
    write_output("", t);
  }
  return 0;
}

int show_run(const RunsSettings& rs, const OutputOptions& out, bool export_only) {
  struct {
    const std::string& store;
    std::int64_t id;
    const OutputOptions& out;
  } s{rs.store, rs.id, out};
  ResultStore store(s.store);
  const RunRow run = store.run(s.id);
  const auto jobs = store.jobs(s.id);
  nlohmann::json j = {
      {"id", run.id},         {"started", run.started},    {"finished", run.finished},
      {"status", run.status}, {"preset", run.preset_name}, {"preset_hash", run.preset_hash}};
  auto arr = nlohmann::json::array();
  for (const auto& x : jobs) {
    nlohmann::json jj = {{"key", x.key},
                         {"input", x.input},
                         {"encoder_label", x.encoder_label},
                         {"encoder", x.encoder},
                         {"options", x.options},
                         {"variant", x.variant},
                         {"threads", x.threads},
                         {"status", x.status},
                         {"error", x.error},
                         {"repeats", x.repeats},
                         {"wall_median_s", x.wall_median},
                         {"wall_times_s", x.repeat_walls}};
    if (!x.result_json.empty()) jj["result"] = nlohmann::json::parse(x.result_json);
    arr.push_back(std::move(jj));
  }
  j["jobs"] = arr;
  if (s.out.json()) write_output(s.out.json_path, j.dump(2) + "\n");
  if (s.out.csv()) {
    std::vector<nlohmann::json> rows;
    for (auto jj : arr) {
      if (jj.contains("result")) jj["result"].erase("per_frame");
      rows.push_back(std::move(jj));
    }
    write_output(s.out.csv_path, json_rows_to_csv(rows));
  }
  if (!export_only && s.out.text_on_stdout()) {
    std::string t = fmt::format("run {} ({}), {} to {}, {}\n", run.id, run.preset_name, run.started,
                                run.finished, run.status);
    for (const auto& x : jobs) {
      double psnr = std::nan("");
      if (!x.result_json.empty()) {
        const auto r = nlohmann::json::parse(x.result_json);
        psnr = quality_of(r, r.value("type", "video") == "audio" ? "snr" : "psnr");
      }
      t += fmt::format("  {:<16} {:<10} {:<32} {:>8.3f} s  {:>8}  {}\n", x.input, x.encoder_label,
                       x.options, x.wall_median,
                       std::isnan(psnr) ? std::string("-") : fmt::format("{:.2f} dB", psnr),
                       x.status == "failed" ? "FAILED: " + x.error : x.status);
    }
    write_output("", t);
  }
  return 0;
}

struct CompareSettings {
  std::string a, b;
  std::string store = kDefaultStore;
  double speed_threshold = 5;       // percent slower
  double size_threshold = 1;        // percent larger
  double quality_threshold = 0.05;  // dB (or metric units) lower
  double alpha = 0.05;
  std::string test = "welch";
  OutputOptions out;
};

int compare(const CompareSettings& s) {
  const auto which = parse_speed_test(s.test);
  if (!which)
    throw UsageError(
        fmt::format("--test {}: unknown significance test (welch, mann-whitney)", s.test));
  std::string name_a, name_b;
  const auto a = load_run(s.a, s.store, name_a);
  const auto b = load_run(s.b, s.store, name_b);
  std::map<std::string, const Job*> by_key;
  for (const auto& j : a) {
    if (j.status == "ok") by_key[j.key] = &j;
  }
  nlohmann::json out = nlohmann::json::array();
  std::string text =
      fmt::format("{:<14} {:<10} {:<28} {:>9} {:>9} {:>8} {:>7} {:>8} {:>9}  {}\n", "input",
                  "encoder", "options", "A (s)", "B (s)", "speed", "p", "size", "quality", "flags");
  int regressions = 0, compared = 0, powerless = 0;
  for (const auto& jb : b) {
    const auto it = by_key.find(jb.key);
    if (it == by_key.end() || jb.status != "ok") continue;
    const Job& ja = *it->second;
    ++compared;
    const double speed = (jb.wall / ja.wall - 1) * 100;
    const SpeedTestResult w = speed_test(*which, ja.times, jb.times);
    // Mann-Whitney with few repeats has a floor on p (3 vs 3: 0.1): say so rather than
    // reporting "not significant" as if it were evidence.
    const bool cannot = w.valid && w.min_p >= s.alpha;
    const double size_a = ja.result["size"].value("bitstream_bytes", 0.0),
                 size_b = jb.result["size"].value("bitstream_bytes", 0.0);
    const double size = size_a > 0 ? (size_b / size_a - 1) * 100 : 0;
    const std::string metric = ja.result.value("type", "video") == "audio" ? "snr" : "psnr";
    const double qa = quality_of(ja.result, metric), qb = quality_of(jb.result, metric);
    const double dq = std::isfinite(qa) && std::isfinite(qb) ? qb - qa : 0;
    std::vector<std::string> flags;
    if (speed > s.speed_threshold) {
      if (w.valid && w.p < s.alpha) {
        flags.emplace_back("SLOWER");
      } else if (!w.valid) {
        flags.emplace_back("slower? (one repeat: no test)");
      } else if (cannot) {
        flags.emplace_back("slower? (too few repeats for this test)");
      } else {
        flags.emplace_back("slower (not significant)");
      }
    }
    if (speed < -s.speed_threshold && w.valid && w.p < s.alpha) flags.emplace_back("faster");
    if (size > s.size_threshold) flags.emplace_back("LARGER");
    if (dq < -s.quality_threshold) flags.emplace_back("WORSE QUALITY");
    const bool regression = std::any_of(flags.begin(), flags.end(), [](const std::string& f) {
      return f == "SLOWER" || f == "LARGER" || f == "WORSE QUALITY";
    });
    regressions += regression ? 1 : 0;
    powerless += cannot ? 1 : 0;
    std::string flag_text;
    for (const auto& f : flags) flag_text += (flag_text.empty() ? "" : ", ") + f;
    text += fmt::format(
        "{:<14} {:<10} {:<28} {:>9.3f} {:>9.3f} {:>+7.1f}% {:>7} {:>+7.2f}% {:>+9.3f}  {}\n",
        jb.input, jb.label, jb.options.substr(0, 28), ja.wall, jb.wall, speed,
        w.valid ? fmt::format("{:.3f}", w.p) : std::string("-"), size, dq, flag_text);
    out.push_back({{"key", jb.key},
                   {"input", jb.input},
                   {"encoder_label", jb.label},
                   {"options", jb.options},
                   {"wall_a_s", ja.wall},
                   {"wall_b_s", jb.wall},
                   {"speed_change_pct", speed},
                   {"test", w.test},
                   {"statistic", w.valid ? nlohmann::json(w.statistic) : nlohmann::json(nullptr)},
                   {"p_value", w.valid ? nlohmann::json(w.p) : nlohmann::json(nullptr)},
                   {"min_p_value", w.valid ? nlohmann::json(w.min_p) : nlohmann::json(nullptr)},
                   {"size_change_pct", size},
                   {"quality_metric", metric},
                   {"quality_change", dq},
                   {"flags", flags},
                   {"regression", regression}});
  }
  text += fmt::format(
      "{} vs {}: {} jobs compared, {} regression(s) (speed > {}% slower with p < {} by {}, size > "
      "{}% larger, {} > {} lower)\n",
      name_b, name_a, compared, regressions, s.speed_threshold, s.alpha,
      *which == SpeedTest::kWelch ? "Welch's t-test" : "Mann-Whitney U", s.size_threshold,
      "quality", s.quality_threshold);
  if (powerless > 0)
    text += fmt::format(
        "note: {} job(s) have too few repeats for Mann-Whitney to reach p < {} (3 a side: p >= "
        "0.1); use repeats >= 4, or --test welch\n",
        powerless, s.alpha);
  if (s.out.json()) {
    write_output(s.out.json_path,
                 nlohmann::json({{"schema_version", 1},
                                 {"a", name_a},
                                 {"b", name_b},
                                 {"test", *which == SpeedTest::kWelch ? "welch" : "mann-whitney"},
                                 {"alpha", s.alpha},
                                 {"jobs", out},
                                 {"regressions", regressions}})
                         .dump(2) +
                     "\n");
  }
  if (s.out.text_on_stdout()) write_output("", text);
  if (compared == 0)
    throw InputError(fmt::format("{} and {} have no finished job in common", name_a, name_b));
  return regressions > 0 ? static_cast<int>(ExitCode::kRegression) : 0;
}

}  // namespace

std::vector<RdSample> rd_samples_of_run(const std::string& run_ref, const std::string& store_path,
                                        const std::string& metric, std::string& name) {
  std::string ref = run_ref;
  if (ref.empty()) ref = std::to_string(ResultStore(store_path).latest_run());
  const auto jobs = load_run(ref, store_path, name);
  std::vector<RdSample> samples;
  for (const auto& j : jobs) {
    if (j.status != "ok" || j.result.is_null()) continue;
    const double q = quality_of(j.result, metric);
    if (std::isfinite(q)) samples.push_back({j.input, j.label, bitrate_of(j.result), q});
  }
  return samples;
}

namespace {

struct ReportSettings {
  std::string run;
  std::string store = kDefaultStore;
  std::string output = "report.html";
  std::string figures;
  std::string anchor;
  std::string interp = "pchip";
  bool quiet = false;
};

int report(const ReportSettings& s) {
  const auto interp = parse_bd_interpolation(s.interp);
  if (!interp) throw UsageError(fmt::format("--interp {}: one of pchip, cubic, akima", s.interp));
  ResultStore store(s.store);
  std::int64_t id = 0;
  if (s.run.empty()) {
    id = store.latest_run();
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
  d.run_id = id;
  d.status = store.run(id).status;
  d.info = store.run_info(id);
  d.jobs = store.jobs(id);
  d.sweeps = store.sweeps(d.info.preset_hash);
  d.bd_interp = *interp;
  d.bd_anchor = s.anchor;
  if (!s.anchor.empty() && std::none_of(d.jobs.begin(), d.jobs.end(), [&](const auto& j) {
        return j.encoder_label == s.anchor;
      })) {
    std::set<std::string> known;
    for (const auto& j : d.jobs) known.insert(j.encoder_label);
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw UsageError(fmt::format("--anchor '{}': run {} has no such encoder label (labels: {})",
                                 s.anchor, id, list));
  }
  write_output(s.output, render_report(d));
  if (!s.figures.empty()) write_figures(s.figures, report_figures(d));
  if (!s.quiet)
    std::fprintf(stderr, "report of run %lld written to %s\n", static_cast<long long>(id),
                 s.output.c_str());
  return 0;
}

}  // namespace

void register_store_commands(CLI::App& app, CommandRunner& runner) {
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
      runner = [rs] { return show_run(*rs, rs->show_out, false); };
    } else if (exp->parsed()) {
      runner = [rs] {
        if (!rs->export_out.json() && !rs->export_out.csv()) {
          throw UsageError("runs export: give --json [FILE] or --csv [FILE]");
        }
        return show_run(*rs, rs->export_out, true);
      };
    } else if (rm->parsed()) {
      runner = [rs] {
        ResultStore store(rs->store);
        if (!store.remove_run(rs->id))
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
  cmp->add_option("RUN_A", cs->a, "Baseline: a run id in the store or a `run --json` file")
      ->required();
  cmp->add_option("RUN_B", cs->b, "Candidate: a run id or a run JSON file")->required();
  cmp->add_option("--store", cs->store, "Results store")->capture_default_str();
  cmp->add_option("--speed-threshold", cs->speed_threshold, "Percent slower that counts")
      ->capture_default_str();
  cmp->add_option("--size-threshold", cs->size_threshold, "Percent larger that counts")
      ->capture_default_str();
  cmp->add_option("--quality-threshold", cs->quality_threshold, "Quality drop that counts (dB)")
      ->capture_default_str();
  cmp->add_option("--alpha", cs->alpha, "Significance level of the speed test")
      ->capture_default_str();
  cmp->add_option("--test", cs->test, "Speed significance test: welch or mann-whitney")
      ->capture_default_str();
  add_output_options(cmp, cs->out);
  cmp->callback([cs, &runner] { runner = [cs] { return compare(*cs); }; });
}

}  // namespace codecbench::cli
