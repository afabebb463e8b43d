// `codecbench transcode INPUT -c ENCODER [-o key=value]...`: one job, its result on stdout.
#include <fmt/core.h>

#include <cmath>
#include <memory>

#include "codecbench/core/error.hpp"
#include "codecbench/core/limits.hpp"
#include "codecbench/media/transcode.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

struct TranscodeSettings {
  JobSpec job;
  std::vector<std::string> options;
  std::string metrics;
  std::string vmaf_model;
  bool check_determinism = false;
  std::string pix_fmt;     // --pix-fmt: the option pixel_format
  std::string sample_fmt;  // --sample-fmt: the option sample_fmt
  std::string scale;       // --scale WxH
  std::string scaler;      // --scaler NAME
  bool allow_upscale = false;
  OutputOptions out;
};

std::string value_text(const MetricValues& v, const char* unit) {
  std::string s;
  for (const auto& [k, x] : v) {
    if (k == "mse" || (k == "db" && unit[0] == '\0')) continue;
    s += fmt::format("{}{} {}", s.empty() ? "" : "  ", k,
                     std::isfinite(x) ? fmt::format("{:.4f}", x) : std::string("inf"));
  }
  return s + unit;
}

// The result as a two-column table (what, value) for the terminal and --markdown.
TextTable report(const JobResult& r) {
  TextTable t;
  t.header = {"job", "result"};
  auto line = [&](const char* label, const std::string& v) { t.rows.push_back({label, v}); };
  const bool audio = r.type == MediaType::kAudio;
  if (audio) {
    line("input", fmt::format("{} ({} {} Hz, {:.3f} s)", r.input, r.source_sample_fmt,
                              r.source_sample_rate, r.duration_s));
  } else {
    line("input",
         fmt::format("{} ({} {}x{} @ {:.3f} fps{}, {} frames, {:.3f} s{}{})", r.input,
                     r.source_pix_fmt, r.source_width, r.source_height, r.frame_rate,
                     r.vfr ? " nominal, variable rate" : "", r.frames, r.duration_s,
                     r.first_frame_s > 0 ? fmt::format(" from {:.3f} s", r.first_frame_s) : "",
                     (r.rotation != 0 ? fmt::format(", rotated {:g} degrees", r.rotation) : "") +
                         (r.field_order != "progressive" && !r.field_order.empty()
                              ? fmt::format(", field order {}", r.field_order)
                              : "")));
  }
  std::string opts;
  for (const auto& [k, v] : r.options) opts += fmt::format(" {}={}", k, v);
  line("encoder", fmt::format("{} ({}){} threads={} [{}]", r.encoder,
                              audio ? fmt::format("{} {} Hz {}", r.encoder_sample_fmt,
                                                  r.sample_rate, r.channel_layout)
                                    : r.encoder_pix_fmt,
                              opts, r.encoder_threads, r.encoder_thread_type));
  if (audio) {
    line("alignment",
         fmt::format("removed {} priming samples, cross-correlation lag {}, "
                     "{} samples compared, {} padded; decoded level {:+.2f} dB",
                     r.encoder_delay,
                     r.alignment == "encoder_delay"
                         ? fmt::format("{} (a check; the stated delay is used)", r.correlation_lag)
                         : fmt::format("{} (applied)", r.alignment_lag),
                     r.samples, r.padded_samples, r.gain_db));
  }
  if (!r.scaler.empty()) {
    line("scaled", fmt::format("encoded at {}x{}, measured at {}x{} ({} both ways)", r.width,
                               r.height, r.metric_width, r.metric_height, r.scaler));
  }
  if (!r.adjustment.empty()) line("adjusted", r.adjustment);
  line("size", fmt::format("{} bytes, ratio {:.2f}, {:.1f} kbit/s{}", r.bitstream_bytes,
                           r.compression_ratio, r.bitrate_kbps,
                           audio ? "" : fmt::format(", {:.4f} bpp", r.bits_per_pixel)));
  for (const auto& m : r.metrics) line(m.name.c_str(), value_text(m.summary, audio ? " dB" : ""));
  line("speed", fmt::format("encode {:.3f} s ({}), decode {:.3f} s, metrics {:.3f} s, "
                            "wall {:.3f} s, cpu {:.3f} s, peak {} MiB",
                            r.encode_s,
                            audio ? fmt::format("{:.1f}x realtime", r.realtime_factor)
                                  : fmt::format("{:.1f} fps", r.encode_fps),
                            r.decode_s, r.metric_s, r.wall_s, r.cpu_user_s + r.cpu_sys_s,
                            r.peak_rss_kib / 1024));
  if (!r.stages.empty()) {
    std::string text;
    for (const auto& st : r.stages) {
      text += fmt::format("{}{} {:.3f} s worked, {:.3f} s waited", text.empty() ? "" : "; ",
                          st.name, st.worked_s, st.waited_s);
    }
    line("stages", text);
  }
  return t;
}

int run(TranscodeSettings& s) {
  for (const auto& kv : s.options) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(fmt::format("-o '{}': expected key=value", kv));
    }
    s.job.options.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (!s.pix_fmt.empty()) s.job.options.emplace_back("pixel_format", s.pix_fmt);
  if (!s.sample_fmt.empty()) s.job.options.emplace_back("sample_fmt", s.sample_fmt);
  if (!s.scale.empty()) s.job.scale = parse_scale(s.scale);
  if (!s.scaler.empty()) {
    if (s.scale.empty()) throw UsageError("--scaler: give the size with --scale too");
    (void)scaler_flags(s.scaler);
    s.job.scale.scaler = s.scaler;
  }
  s.job.scale.allow_upscale = s.allow_upscale;
  s.job.metrics = split_list(s.metrics);
  if (!s.vmaf_model.empty()) {
    s.job.metrics = with_metric_option(s.job.metrics, "vmaf", "model", s.vmaf_model);
  }
  const JobResult r = run_job(s.job);
  View v;
  v.document = r;
  // One tidy row (CSV) or line (JSON Lines): the document without per-frame arrays.
  nlohmann::json row = v.document;
  row.erase("per_frame");
  v.records.push_back(std::move(row));
  v.table = report(r);
  if (s.check_determinism) {
    const DeterminismCheck d = check_determinism(s.job, r);
    v.document["determinism"] = d;
    v.records.front()["deterministic"] = d.deterministic;
    std::string sizes;
    for (const auto b : d.bytes) sizes += (sizes.empty() ? "" : ", ") + std::to_string(b);
    v.table.rows.push_back(
        {"determinism",
         d.deterministic
             ? fmt::format("the same bitstream in {} runs (md5 {})", d.md5.size(), d.md5.front())
             : fmt::format("NOT deterministic with {} {} threads: {} runs gave {} bytes", d.threads,
                           d.thread_type, d.md5.size(), sizes)});
  }
  emit(v, s.out);
  return 0;
}

}  // namespace

void register_transcode(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<TranscodeSettings>();
  auto* cmd = app.add_subcommand(
      "transcode",
      "Encode one input with one encoder, decode it, and measure size, quality, speed");
  cmd->add_option("INPUT", s->job.input.uri,
                  "File, or lavfi:GRAPH (e.g. lavfi:testsrc2=duration=5)")
      ->required();
  cmd->add_option("-c,--encoder", s->job.encoder, "libavcodec encoder name")->required();
  cmd->add_option("-o,--option", s->options, "Encoder option key=value (repeatable)");
  cmd->add_option("--pix-fmt", s->pix_fmt,
                  "Encoder pixel format: the frames are converted to it (as -o pixel_format=F)");
  cmd->add_option("--sample-fmt", s->sample_fmt,
                  "Encoder sample format: the samples are converted to it (as -o sample_fmt=F)");
  cmd->add_option("--scale", s->scale,
                  "Encode at this size (WxH, Wx, xH or Hp); measured at the input's size");
  cmd->add_option("--scaler", s->scaler,
                  "swscale algorithm down and back up (default bicubic; bilinear, lanczos, "
                  "spline, area, neighbor, gauss, sinc, fast_bilinear)");
  cmd->add_flag("--allow-upscale", s->allow_upscale, "Accept a --scale larger than the input");
  cmd->add_option("--threads", s->job.threads, "Encoder/decoder thread_count (0 = auto)")
      ->capture_default_str()
      ->check(bounded(0, limits::kThreads));
  cmd->add_option("--thread-type", s->job.thread_type, "frame, slice or frame+slice");
  cmd->add_option("--stream", s->job.input.stream_index,
                  "Input stream index (default: first video)")
      ->check(bounded(0, 1e6));
  cmd->add_option("--start", s->job.input.start_s, "Skip to this time (seconds)")
      ->check(bounded(0, 1e7));
  cmd->add_option("--frames", s->job.input.max_frames, "Use at most this many frames")
      ->check(bounded(1, 1e12));
  cmd->add_option("--duration", s->job.input.duration_s, "Use at most this many seconds")
      ->check(bounded(1e-6, 1e7));
  cmd->add_flag("--allow-damaged", s->job.input.allow_damaged,
                "Measure an input even where its decoder had to conceal damage");
  cmd->add_option(
         "--max-pixels", s->job.input.max_pixels,
         fmt::format(
             "Largest frame accepted, width x height in pixels (default {}: 8192x8192); a bigger "
             "input is refused as too large before it is decoded",
             limits::kFramePixels))
      ->check(bounded(1, 1e12));
  auto names = [](MediaType t) {
    std::string out;
    for (const auto& n : default_metric_names(t)) out += (out.empty() ? "" : ",") + n;
    return out;
  };
  cmd->add_option(
      "--metrics", s->metrics,
      fmt::format("Comma-separated metrics: {}; or none (default video: {}; audio: {})",
                  metric_names_text(), names(MediaType::kVideo), names(MediaType::kAudio)));
  cmd->add_option("--vmaf-model", s->vmaf_model,
                  "VMAF model: a model .json file or a shipped model's name (default, neg, 4k); "
                  "adds vmaf to the metrics when they lack it");
  cmd->add_flag("--per-frame", s->job.per_frame, "Include every frame's metric values in JSON");
  cmd->add_flag("--check-determinism", s->check_determinism,
                "Encode once more and say whether the bitstream is identical (a finding, not "
                "an error)");
  cmd->add_option("--keep", s->job.keep_path,
                  "Write the encoded stream to FILE (container from its name)");
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] { runner = [s] { return run(*s); }; });
}

}  // namespace codecbench::cli
