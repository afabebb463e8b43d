// The views of runs, comparisons and run lists.
#include "codecbench/report/views.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "codecbench/metrics/figures.hpp"

namespace codecbench {
namespace {

std::string number(double v, const char* f) {
  if (std::isnan(v)) return "-";
  return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : std::string("inf");
}

double field(const nlohmann::json& r, const char* object, const char* key) {
  if (!r.is_object() || !r.contains(object) || !r[object].contains(key)) return std::nan("");
  const auto& v = r[object][key];
  return v.is_number() ? v.get<double>() : std::nan("");
}

double number_at(const nlohmann::json& r, const char* key) {
  if (!r.is_object() || !r.contains(key) || !r[key].is_number()) return std::nan("");
  return r[key].get<double>();
}

std::string time_cell(const JobRecord& j, bool& noisy) {
  std::string t = fmt::format("{:.3f} s", j.wall.median);
  if (j.measurements.size() > 1) t += fmt::format(" ±{:.0f}%", 100 * j.wall.cv);
  if (j.noisy) {
    t += "!";
    noisy = true;
  }
  return t;
}

std::vector<std::string> job_row(const JobRecord& j, bool& noisy) {
  const bool decode = j.kind == JobKind::kDecode;
  std::vector<std::string> row{j.input, j.encoder_label, job_options_text(j)};
  if (!j.variant.empty()) row[2] += " [" + j.variant + "]";
  const nlohmann::json& r = j.result;
  if (decode && j.status == JobStatus::kOk && r.is_object()) {
    // A decode job: the stream's size and rate; no quality; the decoder's speed.
    const double bytes = number_at(r, "stream_bytes");
    const double seconds = number_at(r, "duration_s");
    row.push_back(fmt::format("{:.1f} KiB", bytes / 1024.0));
    row.emplace_back("-");
    row.push_back(number(seconds > 0 ? 8 * bytes / seconds / 1000 : std::nan(""), "{:.0f}"));
    row.emplace_back("-");
    row.emplace_back("-");
    row.push_back(number(number_at(r, "fps"), "{:.1f}"));
    row.push_back(time_cell(j, noisy));
  } else if (j.status == JobStatus::kOk && r.is_object()) {
    const bool audio = is_audio(r);
    row.push_back(fmt::format("{:.1f} KiB", field(r, "size", "bitstream_bytes") / 1024.0));
    row.push_back(number(field(r, "size", "compression_ratio"), "{:.1f}"));
    row.push_back(number(field(r, "size", "bitrate_kbps"), "{:.0f}"));
    row.push_back(number(figure_value(r, primary_figure(result_type(r))), "{:.2f}"));
    row.push_back(number(quality_of(r, audio ? "si_sdr" : "ssim"), audio ? "{:.2f}" : "{:.4f}"));
    row.push_back(audio ? number(field(r, "speed", "realtime_factor"), "{:.0f}x")
                        : number(field(r, "speed", "encode_fps"), "{:.1f}"));
    row.push_back(time_cell(j, noisy));
  } else {
    for (int i = 0; i < 7; ++i) row.emplace_back("-");
  }
  row.push_back(j.status == JobStatus::kFailed ? "FAILED: " + j.error
                                               : std::string(job_status_name(j.status)));
  return row;
}

}  // namespace

View run_view(const RunRecord& run) {
  View v;
  v.document = run;
  v.table.header = {"input",    "encoder",     "options",  "size",       "ratio", "kbit/s",
                    "PSNR/SNR", "SSIM/SI-SDR", "fps/x rt", "time (med)", "status"};
  v.table.right = {false, false, false, true, true, true, true, true, true, true, false};
  // A VMAF column when any job measured VMAF (its pooled score).
  const bool vmaf = std::any_of(run.jobs.begin(), run.jobs.end(), [](const JobRecord& j) {
    return j.result.is_object() && j.result.contains("quality") &&
           j.result["quality"].is_object() && j.result["quality"].contains("vmaf");
  });
  if (vmaf) {
    v.table.header.insert(v.table.header.begin() + 8, "VMAF");
    v.table.right.insert(v.table.right.begin() + 8, true);
  }
  bool noisy = false;
  for (const auto& j : run.jobs) {
    v.table.rows.push_back(job_row(j, noisy));
    if (vmaf) {
      const bool measured =
          j.status == JobStatus::kOk && j.result.is_object() && j.kind != JobKind::kDecode;
      v.table.rows.back().insert(
          v.table.rows.back().begin() + 8,
          measured ? number(quality_of(j.result, "vmaf"), "{:.2f}") : std::string("-"));
    }
    v.table.highlight.push_back(j.status == JobStatus::kFailed);
    nlohmann::json rec = j;
    rec["run_uuid"] = run.uuid;
    rec["run_id"] = run.id;
    if (rec["result"].is_object()) rec["result"].erase("per_frame");
    v.records.push_back(std::move(rec));
  }
  for (const auto& j : run.jobs) {
    const auto& r = j.result;
    if (!r.is_object() || !r.contains("determinism") || !r["determinism"].is_object()) continue;
    const auto& d = r["determinism"];
    if (d.value("deterministic", true)) continue;
    std::set<std::string> distinct;
    for (const auto& m : d.value("bitstream_md5", std::vector<std::string>{})) distinct.insert(m);
    v.notes.push_back(fmt::format(
        "not deterministic: {} {} on {} ({} {} threads): {} different bitstreams in {} repeats",
        j.encoder_label, options_text(j.options), j.input, d.value("encoder_threads", 0),
        d.value("encoder_thread_type", ""), distinct.size(), d.value("runs", 0)));
  }
  if (noisy) {
    v.notes.emplace_back(
        "! run-to-run variation above 5%: increase repeats (repeats=5) for trustworthy timings");
  }
  return v;
}

View runs_view(const std::vector<RunRow>& runs) {
  View v;
  v.document = nlohmann::json::array();
  v.table.header = {"id", "started", "preset", "jobs", "failed", "status", "uuid"};
  v.table.right = {true, false, false, true, true, false, false};
  for (const auto& r : runs) {
    nlohmann::json j = {{"id", r.id},
                        {"uuid", r.uuid},
                        {"started", r.started},
                        {"finished", r.finished},
                        {"status", run_status_name(r.status)},
                        {"preset", r.preset_name},
                        {"preset_hash", r.preset_hash},
                        {"jobs", r.jobs_total},
                        {"failed", r.jobs_failed}};
    v.document.push_back(j);
    v.records.push_back(j);
    v.table.rows.push_back({std::to_string(r.id), r.started, r.preset_name,
                            std::to_string(r.jobs_total), std::to_string(r.jobs_failed),
                            run_status_name(r.status), r.uuid});
    v.table.highlight.push_back(r.jobs_failed > 0);
  }
  return v;
}

View comparison_view(const Comparison& c, const std::string& a, const std::string& b) {
  View v;
  v.document = comparison_json(c, a, b);
  for (const auto& j : v.document["jobs"]) v.records.push_back(j);
  v.table.header = {"input", "encoder", "options", "A (s)",   "B (s)",
                    "speed", "p",       "size",    "quality", "flags"};
  v.table.right = {false, false, false, true, true, true, true, true, true, false};
  for (const auto& j : c.jobs) {
    std::string flags;
    for (const auto& f : j.flags) flags += (flags.empty() ? "" : ", ") + f;
    v.table.rows.push_back({j.input, j.encoder_label, j.options.substr(0, 28),
                            fmt::format("{:.3f}", j.wall_a_s), fmt::format("{:.3f}", j.wall_b_s),
                            fmt::format("{:+.1f}%", j.speed_change_pct),
                            j.speed.valid ? fmt::format("{:.3f}", j.speed.p) : std::string("-"),
                            fmt::format("{:+.2f}%", j.size_change_pct),
                            fmt::format("{:+.3f}", j.quality_change), flags});
    v.table.highlight.push_back(j.regression);
  }
  const CompareRule& r = c.rule;
  v.notes.push_back(fmt::format(
      "{} vs {}: {} jobs compared, {} regression(s) (speed > {}% slower with p < {} by {}, size "
      "> {}% larger, primary quality figure > {} lower)",
      b, a, c.jobs.size(), c.regressions, r.speed_threshold_pct, r.alpha,
      r.test == SpeedTest::kWelch ? "Welch's t-test" : "Mann-Whitney U", r.size_threshold_pct,
      r.quality_threshold));
  if (c.underpowered > 0) {
    v.notes.push_back(fmt::format(
        "note: {} job(s) have too few repeats for Mann-Whitney to reach p < {} (3 a side: p >= "
        "0.1); use repeats >= 4, or --test welch",
        c.underpowered, r.alpha));
  }
  return v;
}

View doctor_view(const MachineInfo& m, const std::vector<MachineWarning>& warnings,
                 const VersionInfo& version, const std::vector<ProbeResult>* probes) {
  View v;
  const MachineConditions& c = m.conditions;
  auto gib = [](std::uint64_t b) {
    return fmt::format("{:.1f} GiB", static_cast<double>(b) / (1024.0 * 1024 * 1024));
  };
  auto or_unknown = [](const std::string& s) { return s.empty() ? std::string("unknown") : s; };
  std::string virt = c.hypervisor ? "virtual machine" : "none seen";
  if (c.hypervisor && !c.vm_product.empty()) virt += " (" + c.vm_product + ")";
  if (!c.container.empty()) virt += ", container (" + c.container + ")";
  v.table.header = {"fact", "value"};
  v.table.rows = {
      {"host", m.host},
      {"CPU", m.cpu_model},
      {"cores", fmt::format("{} physical, {} logical", m.physical_cores, m.logical_cores)},
      {"SMT", or_unknown(c.smt)},
      {"frequency governor", c.governor.empty() ? "unknown (no cpufreq)" : c.governor},
      {"turbo/boost", or_unknown(c.boost)},
      {"max frequency", c.max_mhz > 0 ? fmt::format("{:.0f} MHz", c.max_mhz) : "unknown"},
      {"load average", fmt::format("{:.2f} {:.2f} {:.2f}", c.load_average[0], c.load_average[1],
                                   c.load_average[2])},
      {"memory",
       fmt::format("{} available of {}", gib(c.memory_available_bytes), gib(c.memory_total_bytes))},
      {"virtualisation", virt},
      {"isolated CPUs", c.isolated_cpus.empty() ? "none" : c.isolated_cpus},
      {"kernel", c.kernel},
      {"codecbench", fmt::format("{} (git {})", m.tool_version, m.git_revision)},
      {"FFmpeg", version.ffmpeg},
  };
  for (const auto& lib : version.libraries) {
    v.table.rows.push_back(
        {lib.name, fmt::format("{} (built with {})", lib.runtime, lib.compiled)});
  }
  nlohmann::json encoders;
  if (probes != nullptr) {
    std::vector<std::string> usable;
    nlohmann::json unusable = nlohmann::json::array();
    for (const auto& p : *probes) {
      if (p.usable) {
        usable.push_back(p.encoder);
      } else {
        unusable.push_back({{"encoder", p.encoder}, {"status", p.status}, {"reason", p.reason}});
      }
    }
    v.table.rows.push_back(
        {"encoders", fmt::format("{} usable of {} probed", usable.size(), probes->size())});
    encoders = {{"probed", probes->size()}, {"usable", usable}, {"unusable", unusable}};
  } else {
    v.table.rows.push_back({"encoders", "not probed (--no-probe)"});
  }
  v.table.highlight.assign(v.table.rows.size(), false);
  nlohmann::json warn = nlohmann::json::array();
  for (const auto& w : warnings) {
    warn.push_back({{"kind", machine_warning_kind_name(w.kind)}, {"what", w.what}, {"fix", w.fix}});
    v.notes.push_back(fmt::format("warning: {}; fix: {}", w.what, w.fix));
  }
  if (warnings.empty()) v.notes.push_back("no noise source found");
  nlohmann::json libs = nlohmann::json::array();
  for (const auto& lib : version.libraries) {
    libs.push_back({{"name", lib.name}, {"runtime", lib.runtime}, {"compiled", lib.compiled}});
  }
  v.document = {{"schema_version", 1},
                {"machine", m},
                {"warnings", warn},
                {"ffmpeg",
                 {{"version", version.ffmpeg},
                  {"libraries", libs},
                  {"configuration", version.ffmpeg_configuration}}},
                {"encoders", encoders}};
  records_from_table(v);
  return v;
}

View presets_view(const std::vector<PresetListing>& presets,
                  const std::vector<PresetFolder>& path) {
  View v;
  v.table.header = {"name", "found in", "description", "path"};
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : presets) {
    std::string description = p.description;
    if (!p.shadowed_by.empty()) description = "(hidden by " + p.shadowed_by + ") " + description;
    v.table.rows.push_back({p.name, p.origin, description, p.path});
    v.table.highlight.push_back(false);
    list.push_back({{"name", p.name},
                    {"origin", p.origin},
                    {"description", p.description},
                    {"path", p.path},
                    {"shadowed_by",
                     p.shadowed_by.empty() ? nlohmann::json() : nlohmann::json(p.shadowed_by)}});
  }
  nlohmann::json folders = nlohmann::json::array();
  for (const auto& f : path) {
    std::error_code ec;
    const bool exists = std::filesystem::is_directory(f.dir, ec);
    folders.push_back({{"dir", f.dir.string()}, {"origin", f.origin}, {"exists", exists}});
    v.notes.push_back(
        fmt::format("search path: {} ({}{})", f.dir.string(), f.origin, exists ? "" : ", absent"));
  }
  v.document = {{"schema_version", 1}, {"presets", list}, {"search_path", folders}};
  v.records = list.get<std::vector<nlohmann::json>>();
  v.columns = {"name", "origin", "description", "path", "shadowed_by"};
  return v;
}

}  // namespace codecbench
