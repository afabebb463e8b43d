// `codecbench run PRESET [overrides]` and `codecbench config PRESET [overrides]`.
#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "codecbench/batch.hpp"
#include "codecbench/config.hpp"
#include "codecbench/error.hpp"
#include "codecbench/preset.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

std::atomic<bool> g_stop{false};  // set by SIGINT: the one global, for the signal handler

extern "C" void on_sigint(int /*sig*/) {
  if (g_stop.exchange(true)) std::_Exit(130);  // a second ^C ends at once
}

struct RunSettings {
  std::string preset;
  std::vector<std::string> overrides;
  bool multirun = false;
  bool resume = false;
  bool dry_run = false;
  std::string store;
  OutputOptions out;
};

PresetBundle load(const RunSettings& s) { return load_bundle(s.preset, s.overrides, s.multirun); }

std::string fmt_num(double v, const char* f) {
  return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : std::string("inf");
}

double metric(const JobResult& r, const std::string& name, const std::string& key) {
  for (const auto& m : r.metrics) {
    if (m.name != name) continue;
    for (const auto& [k, v] : m.summary) {
      if (k == key) return v;
    }
  }
  return std::nan("");
}

std::string table(const BatchSummary& s, const Palette& p) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"input", "encoder", "options", "size", "ratio", "kbit/s", "PSNR/SNR",
                  "SSIM/SI-SDR", "fps/x rt", "time (med)", "status"});
  bool any_noisy = false;
  for (const auto& r : s.results) {
    std::vector<std::string> row{r.job.input, r.job.encoder_label,
                                 options_text(r.job.spec.options)};
    if (!r.job.variant.empty()) row[2] += " [" + r.job.variant + "]";
    const JobResult* rep = r.representative();
    if (rep != nullptr) {
      const bool audio = rep->type == MediaType::kAudio;
      row.push_back(fmt::format("{:.1f} KiB", static_cast<double>(rep->bitstream_bytes) / 1024.0));
      row.push_back(fmt::format("{:.1f}", rep->compression_ratio));
      row.push_back(fmt::format("{:.0f}", rep->bitrate_kbps));
      const double q1 = audio ? metric(*rep, "snr", "db") : metric(*rep, "psnr", "average");
      const double q2 = audio ? metric(*rep, "si_sdr", "db") : metric(*rep, "ssim", "all");
      row.push_back(std::isnan(q1) ? "-" : fmt_num(q1, "{:.2f}"));
      row.push_back(std::isnan(q2) ? "-" : fmt_num(q2, audio ? "{:.2f}" : "{:.4f}"));
      row.push_back(audio ? fmt::format("{:.0f}x", rep->realtime_factor)
                          : fmt::format("{:.1f}", rep->encode_fps));
      std::string t = fmt::format("{:.3f} s", r.wall.median);
      if (r.runs.size() > 1) t += fmt::format(" ±{:.0f}%", 100 * r.wall.cv);
      if (r.noisy) {
        t += "!";
        any_noisy = true;
      }
      row.push_back(t);
    } else {
      for (int i = 0; i < 7; ++i) row.emplace_back("-");
    }
    std::string status = r.status;
    if (r.status == "failed") status = "FAILED: " + r.error;
    row.push_back(status);
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c + 1 < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string line;
    for (std::size_t c = 0; c < rows[i].size(); ++c) {
      const bool left = c < 3 || c + 1 == rows[i].size();
      line += c + 1 == rows[i].size() ? rows[i][c]
                                      : (left ? fmt::format("{:<{}}  ", rows[i][c], width[c])
                                              : fmt::format("{:>{}}  ", rows[i][c], width[c]));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (i == 0) line = p.bold + line + p.reset;
    if (i > 0 && s.results[i - 1].status == "failed") line = p.red + line + p.reset;
    out += line + "\n";
  }
  if (any_noisy) {
    out +=
        "! run-to-run variation above 5%: increase repeats (repeats=5) for trustworthy timings\n";
  }
  return out;
}

nlohmann::json run_json(const BatchSummary& s) {
  const RunInfo& i = s.info;
  nlohmann::json run = {{"id", s.run_id},
                        {"started", i.started},
                        {"preset", i.preset_name},
                        {"preset_path", i.preset_path},
                        {"preset_hash", i.preset_hash},
                        {"host", i.host},
                        {"cpu_model", i.cpu_model},
                        {"physical_cores", i.physical_cores},
                        {"logical_cores", i.logical_cores},
                        {"codecbench", i.tool_version},
                        {"git_revision", i.git_revision},
                        {"ffmpeg", i.ffmpeg_version},
                        {"wall_s", s.wall_s},
                        {"failed", s.failed},
                        {"skipped", s.skipped},
                        {"interrupted", s.interrupted}};
  auto jobs = nlohmann::json::array();
  for (const auto& r : s.results) {
    nlohmann::json j = {{"key", r.job.key},
                        {"input", r.job.input},
                        {"encoder_label", r.job.encoder_label},
                        {"variant", r.job.variant},
                        {"status", r.status},
                        {"error", r.error},
                        {"repeats", r.runs.size()},
                        {"wall_s",
                         {{"median", r.wall.median},
                          {"min", r.wall.min},
                          {"max", r.wall.max},
                          {"stddev", r.wall.stddev},
                          {"cv", r.wall.cv}}},
                        {"encode_s",
                         {{"median", r.encode.median},
                          {"min", r.encode.min},
                          {"max", r.encode.max},
                          {"stddev", r.encode.stddev}}},
                        {"noisy", r.noisy}};
    for (const auto& m : r.runs) j["wall_s"]["times"].push_back(m.wall_s);
    if (const JobResult* rep = r.representative()) j["result"] = *rep;
    jobs.push_back(std::move(j));
  }
  return {{"schema_version", 1}, {"run", run}, {"jobs", jobs}};
}

std::string run_csv(const BatchSummary& s) {
  std::vector<nlohmann::json> rows;
  const nlohmann::json doc = run_json(s);  // kept alive: the loop runs over one of its members
  for (auto j : doc["jobs"]) {
    j["run_id"] = s.run_id;
    if (j.contains("result")) j["result"].erase("per_frame");
    rows.push_back(std::move(j));
  }
  return json_rows_to_csv(rows);
}

int run(const RunSettings& s) {
  const PresetBundle l = load(s);
  check_jobs(l.jobs);
  const Preset& first = l.variants.front();
  if (s.dry_run) {
    // The job list as it would run: checked, expanded, nothing encoded or stored.
    std::string text;
    for (const auto& j : l.jobs) {
      text += fmt::format("{}  {:<16} {:<10} {}{}\n", j.key, j.input, j.encoder_label,
                          options_text(j.spec.options),
                          j.variant.empty() ? "" : "  [" + j.variant + "]");
    }
    write_output("", text);
    if (!s.out.quiet) std::fprintf(stderr, "%zu jobs\n", l.jobs.size());
    return 0;
  }
  RunInfo info = RunInfo::this_machine();
  info.preset_name = first.name;
  info.preset_path = s.preset;
  info.preset_yaml = l.yaml;
  info.preset_hash = l.hash;
  ResultStore store(s.store.empty() ? first.output.store : s.store);

  const bool tty = stderr_is_tty() && !s.out.quiet;
  const auto start = std::chrono::steady_clock::now();
  BatchOptions opts;
  opts.resume = s.resume;
  opts.stop = &g_stop;
  opts.on_event = [&](const BatchEvent& e) {
    if (s.out.quiet) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (tty) {
      const double eta =
          e.done > 0 ? elapsed / static_cast<double>(e.done) * static_cast<double>(e.total - e.done)
                     : 0;
      const int bar = e.total > 0 ? static_cast<int>(20 * e.done / e.total) : 0;
      std::fprintf(stderr, "\r\033[K[%s%s] %zu/%zu, %zu failed, %.0f s, ETA %.0f s: %s %s",
                   std::string(static_cast<std::size_t>(bar), '#').c_str(),
                   std::string(static_cast<std::size_t>(20 - bar), '.').c_str(), e.done, e.total,
                   e.failed, elapsed, eta, e.job->encoder_label.c_str(),
                   options_text(e.job->spec.options).c_str());
    } else if (e.kind == BatchEvent::Kind::kFinished) {
      std::fprintf(stderr, "[%zu/%zu] %s %s on %s: %s%s\n", e.done, e.total,
                   e.job->encoder_label.c_str(), options_text(e.job->spec.options).c_str(),
                   e.job->input.c_str(), e.result->status.c_str(),
                   e.result->status == "failed" ? (": " + e.result->error).c_str() : "");
    }
    std::fflush(stderr);
  };
  std::signal(SIGINT, on_sigint);
  BatchSummary summary = run_batch(first, l.jobs, info, store, opts);
  std::signal(SIGINT, SIG_DFL);
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!s.out.quiet) {
    for (const auto& w : summary.warnings)
      std::fprintf(stderr, "codecbench: warning: %s\n", w.c_str());
    std::fprintf(stderr, "run %lld: %zu jobs in %.1f s, %zu failed, %zu skipped%s; store %s\n",
                 static_cast<long long>(summary.run_id), l.jobs.size(), summary.wall_s,
                 summary.failed, summary.skipped, summary.interrupted ? ", interrupted" : "",
                 store.path().c_str());
  }
  const std::string json_path = s.out.json() ? s.out.json_path : first.output.json;
  if (s.out.json() || !first.output.json.empty())
    write_output(json_path, run_json(summary).dump(2) + "\n");
  const std::string csv_path = s.out.csv() ? s.out.csv_path : first.output.csv;
  if (s.out.csv() || !first.output.csv.empty()) write_output(csv_path, run_csv(summary));
  if (s.out.text_on_stdout()) write_output("", table(summary, Palette::for_fd(STDOUT_FILENO)));
  if (summary.interrupted) return static_cast<int>(ExitCode::kInterrupted);
  if (summary.failed > 0) return static_cast<int>(ExitCode::kJobsFailed);
  return 0;
}

int print_config(const RunSettings& s) {
  const PresetBundle l = load(s);
  write_output("", l.yaml);
  return 0;
}

}  // namespace

void register_run(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<RunSettings>();
  auto* cmd = app.add_subcommand(
      "run", "Run a batch described by a YAML preset (OmegaConf/Hydra semantics)");
  cmd->add_option("PRESET", s->preset, "Preset file, e.g. presets/quick.yaml")->required();
  cmd->add_option("OVERRIDES", s->overrides, "Overrides: key=value, +key=value, ++key=value, ~key");
  cmd->add_flag("-m,--multirun", s->multirun,
                "Sweep: key=a,b,c and range(start,stop[,step]) expand to jobs");
  cmd->add_flag("--resume", s->resume,
                "Run only the jobs the store lacks for the same resolved preset");
  cmd->add_option("--store", s->store, "Results store (default: the preset's output.store)");
  cmd->add_flag("--dry-run", s->dry_run, "Check the preset and list its jobs without running them");
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] { runner = [s] { return run(*s); }; });

  auto c = std::make_shared<RunSettings>();
  auto* cfg =
      app.add_subcommand("config", "Print the fully resolved preset as YAML (Hydra's --cfg job)");
  cfg->add_option("PRESET", c->preset, "Preset file")->required();
  cfg->add_option("OVERRIDES", c->overrides, "Overrides as for run");
  cfg->add_flag("-m,--multirun", c->multirun, "Print every variant of the sweep");
  cfg->callback([c, &runner] { runner = [c] { return print_config(*c); }; });
}

}  // namespace codecbench::cli
