// `codecbench sweep PRESET [overrides] --threads 1,2,4 --mode strong|weak --level codec|jobs|grid`
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>

#include "codecbench/cluster/mpi_run.hpp"
#include "codecbench/config/preset.hpp"
#include "codecbench/config/preset_path.hpp"
#include "codecbench/core/error.hpp"
#include "codecbench/core/files.hpp"
#include "codecbench/core/install.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/core/process.hpp"
#include "codecbench/report/plot.hpp"
#include "codecbench/report/report.hpp"
#include "codecbench/run/batch.hpp"
#include "codecbench/run/sweep.hpp"
#include "codecbench/store/run_record.hpp"
#include "codecbench/store/store.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

struct SweepSettings {
  std::string preset;
  std::vector<std::string> overrides;
  std::string counts = "1,2";
  std::string mode = "strong";
  std::string level = "codec";
  int repeats = 3;
  bool check_exact = false;  // decode jobs: the same frames at every thread count
  int warmup = 1;
  std::string plots;
  std::string store;
  bool no_store = false;
  std::string mpirun = "mpirun";         // level ranks: the MPI launcher
  std::vector<std::string> mpirun_args;  // and its own arguments
  OutputOptions out;
};

std::vector<int> parse_counts(const std::string& text) {
  std::vector<int> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    try {
      std::size_t used = 0;
      const int v = std::stoi(part, &used);
      if (used != part.size() || v < 1) throw std::invalid_argument(part);
      out.push_back(v);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("--threads '{}': expected positive integers like 1,2,4", text));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The points (or grid cells) as a table, with the fit or the best cell under it.
void fill_table(const SweepResult& r, View& v) {
  const bool strong = r.spec.mode == ScalingMode::kStrong;
  TextTable& t = v.table;
  if (r.spec.level == SweepLevel::kGrid) {
    t.header = {"threads", "jobs", "time (med)", "cv", "throughput/s", ""};
    t.right = {true, true, true, true, true, false};
    for (const auto& c : r.grid) {
      const auto stats = analyse_scaling({c.sample}, ScalingMode::kStrong, {});
      const bool best = r.best && r.best->threads == c.threads && r.best->jobs == c.jobs;
      t.rows.push_back(
          {std::to_string(c.threads), std::to_string(c.jobs),
           fmt::format("{:.3f}", median_of(c.sample.times)),
           fmt::format("{:.1f}%", 100 * stats.front().cv), fmt::format("{:.1f}", c.throughput),
           std::string(best ? "<- best" : "") + (c.oversubscribed ? " (oversubscribed)" : "")});
    }
    if (r.best) {
      v.notes.push_back(fmt::format(
          "best on this machine: {} codec thread(s) x {} concurrent job(s), {:.1f} units/s",
          r.best->threads, r.best->jobs, r.best->throughput));
    }
    return;
  }
  t.header = {"N",          "time (med)", "cv", "throughput/s", strong ? "speedup" : "scaled",
              "efficiency", "Karp-Flatt", ""};
  t.right = {true, true, true, true, true, true, true, false};
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const ScalingPoint& p = r.points[i];
    t.rows.push_back({std::to_string(p.n), fmt::format("{:.3f}", p.median),
                      fmt::format("{:.1f}%", 100 * p.cv), fmt::format("{:.1f}", p.throughput),
                      fmt::format("{:.3f}", p.speedup), fmt::format("{:.3f}", p.efficiency),
                      p.karp_flatt ? fmt::format("{:.3f}", *p.karp_flatt) : std::string("-"),
                      r.oversubscribed[i] ? "(oversubscribed)" : ""});
  }
  if (r.fit) {
    v.notes.push_back(fmt::format(
        "{}{} fit: {} = {:.3f} (95% bootstrap interval {:.3f} .. {:.3f}; rmse {:.3f})",
        r.workload == "decode" ? fmt::format("decoders ({} threads): ", r.thread_type)
        : r.decoders.empty()   ? std::string()
                               : std::string("encoders: "),
        strong ? "Amdahl" : "Gustafson", strong ? "serial fraction f" : "serial fraction s",
        r.fit->value, r.fit->low, r.fit->high, r.fit->rmse));
  }
  if (!r.decoders.empty()) {
    // Measured apart: each group's rows follow, marked.
    auto label = [](const SweepResult& x) {
      return x.workload == "decode" ? "decoders " + x.thread_type : std::string("encoders");
    };
    t.header.insert(t.header.begin(), "jobs");
    t.right.insert(t.right.begin(), false);
    for (auto& row : t.rows) row.insert(row.begin(), label(r));
    for (const auto& part : r.decoders) {
      View d;
      fill_table(part, d);
      for (auto& row : d.table.rows) {
        row.insert(row.begin(), label(part));
        t.rows.push_back(std::move(row));
      }
      for (auto& n : d.notes) v.notes.push_back(std::move(n));
    }
  }
}

// Level ranks: `MPIRUN [ARGS] -n N+1 codecbench run PRESET OVERRIDES --mpi [--replicas R]`
// into a throwaway store, timed from start to exit (rank 0 coordinates, N ranks work).
std::function<double(int, int)> rank_runner(const SweepSettings& s) {
  if (!mpi_built()) {
    throw UsageError("--level ranks: this codecbench was built without MPI (-Dmpi=enabled)");
  }
  auto tmp = std::make_shared<std::string>(
      (std::filesystem::temp_directory_path() / ("codecbench-ranks-" + new_uuid())).string());
  return [s, tmp](int ranks, int replicas) {
    std::error_code ec;
    std::filesystem::remove_all(*tmp, ec);
    std::filesystem::create_directories(*tmp, ec);
    std::vector<std::string> argv{s.mpirun};
    argv.insert(argv.end(), s.mpirun_args.begin(), s.mpirun_args.end());
    argv.insert(argv.end(), {"-n", std::to_string(ranks + 1), executable_path(), "run", s.preset});
    argv.insert(argv.end(), s.overrides.begin(), s.overrides.end());
    argv.insert(argv.end(), {"--mpi", "--replicas", std::to_string(replicas), "--store",
                             *tmp + "/ranks.sqlite", "--quiet"});
    const auto start = std::chrono::steady_clock::now();
    const ProcessOutput o = run_process(argv);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::filesystem::remove_all(*tmp, ec);
    if (o.status != 0) {
      throw InputError(fmt::format("{} -n {}: exit {}: {}", s.mpirun, ranks + 1, o.status,
                                   first_line(o.err.empty() ? o.out : o.err)));
    }
    return seconds;
  };
}

int run(const SweepSettings& s) {
  SweepSpec spec;
  spec.counts = parse_counts(s.counts);
  if (s.mode != "strong" && s.mode != "weak")
    throw UsageError(fmt::format("--mode '{}': strong or weak", s.mode));
  spec.mode = s.mode == "strong" ? ScalingMode::kStrong : ScalingMode::kWeak;
  if (s.level == "codec") {
    spec.level = SweepLevel::kCodec;
  } else if (s.level == "jobs") {
    spec.level = SweepLevel::kJobs;
  } else if (s.level == "grid") {
    spec.level = SweepLevel::kGrid;
  } else if (s.level == "ranks") {
    spec.level = SweepLevel::kRanks;
    spec.run_ranks = rank_runner(s);
  } else {
    throw UsageError(fmt::format("--level '{}': codec, jobs, grid or ranks", s.level));
  }
  spec.repeats = s.repeats;
  spec.warmup = s.warmup;
  spec.check_exact = s.check_exact;
  const PresetBundle b = load_bundle(s.preset, s.overrides, false);
  check_jobs(b.jobs);
  const MachineInfo here = MachineInfo::this_machine();
  warn_about_machine(here, here.logical_cores, s.out.quiet);  // a sweep goes up to every core
  const SweepResult r = run_sweep(b.jobs, spec, [&](const std::string& line) {
    if (!s.out.quiet) std::fprintf(stderr, "%s\n", line.c_str());
  });
  nlohmann::json j = r;
  j["preset"] = b.variants.front().name;
  if (!s.no_store) {
    RunRecord info;
    info.uuid = new_uuid();
    info.started = now_iso8601();
    info.machine = here;
    info.preset_name = b.variants.front().name;
    info.preset_path = s.preset;
    info.preset_yaml = b.yaml;
    info.preset_hash = b.hash;
    const std::string location = s.store.empty() ? b.variants.front().output.store : s.store;
    refuse_outputs_over(s.out, store_file(location), "the results store");
    const auto store = open_store(location);
    j["sweep_id"] = store->record_sweep(info, j);
  }
  if (!s.out.quiet) {
    for (const auto& w : r.warnings) std::fprintf(stderr, "codecbench: warning: %s\n", w.c_str());
  }
  if (!s.plots.empty()) write_figures(render_figures(s.plots, sweep_figures(j)));
  View v;
  v.document = j;
  // CSV and JSON Lines: one record per point (or grid cell), with the level, mode and fit.
  for (auto item : j.contains("grid") ? j["grid"] : j["points"]) {
    item["level"] = j["level"];
    item["mode"] = j["mode"];
    if (j.contains("fit")) item["fit"] = j["fit"];
    v.records.push_back(std::move(item));
  }
  fill_table(r, v);
  bool exact = true;
  std::vector<SweepExactness> checks = r.exactness;
  for (const auto& part : r.decoders)
    checks.insert(checks.end(), part.exactness.begin(), part.exactness.end());
  for (const auto& e : checks) {
    if (!e.identical) {
      exact = false;
      v.notes.push_back(fmt::format("frames differ: {}: {}", e.job, e.reason));
    }
  }
  if (s.check_exact && exact) {
    v.notes.push_back(
        fmt::format("every decode job decoded identical frames at every thread count ({} checks)",
                    checks.size()));
  }
  emit(v, s.out);
  return exact ? 0 : static_cast<int>(ExitCode::kNotExact);
}

}  // namespace

void register_sweep(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<SweepSettings>();
  auto* cmd = app.add_subcommand(
      "sweep", "Thread-scaling sweep of a preset: speedup, efficiency, Amdahl/Gustafson fits");
  cmd->add_option("PRESET", s->preset, kPresetHelp)->required();
  cmd->add_option("OVERRIDES", s->overrides, "Overrides as for run");
  cmd->add_option("--threads", s->counts, "N values, e.g. 1,2,4,8 (grid: the thread budgets)")
      ->capture_default_str();
  cmd->add_option("--mode", s->mode, "strong (fixed work) or weak (work grows with N)")
      ->capture_default_str();
  cmd->add_option("--level", s->level,
                  "codec (encoder threads), jobs (concurrent jobs), grid, or ranks (MPI "
                  "processes: N worker ranks under mpirun)")
      ->capture_default_str();
  cmd->add_option("--mpirun", s->mpirun, "Level ranks: the MPI launcher")->capture_default_str();
  cmd->add_option("--mpirun-arg", s->mpirun_args,
                  "Level ranks: an argument for the launcher, e.g. --mpirun-arg=--oversubscribe "
                  "(repeatable)");
  cmd->add_flag("--check-exact", s->check_exact,
                "Decode jobs: hash every thread count's frames once more and exit 7 when they "
                "differ from the smallest count's");
  cmd->add_option("--repeats", s->repeats, "Measured runs per point")
      ->capture_default_str()
      ->check(bounded(1, 10000));
  cmd->add_option("--warmup", s->warmup, "Unmeasured runs per point first")
      ->capture_default_str()
      ->check(bounded(0, 10000));
  cmd->add_option("--plots", s->plots, "Write SVG plots into this folder");
  cmd->add_option("--store", s->store, "Results store (default: the preset's output.store)");
  cmd->add_flag("--no-store", s->no_store, "Do not record the sweep in the store");
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] {
    runner = [s] {
      s->preset = find_preset(s->preset);
      return run(*s);
    };
  });
}

}  // namespace codecbench::cli
