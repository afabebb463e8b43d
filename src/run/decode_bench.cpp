// Decode benchmarks over several configurations (decode.hpp): exactness against the first
// configuration, speedups per decoder and thread type, Amdahl fits, and the view of it all.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "codecbench/decode.hpp"
#include "codecbench/error.hpp"
#include "codecbench/run_record.hpp"

namespace codecbench {
namespace {

std::string config_text(const DecodeConfig& c, const std::string& decoder) {
  return fmt::format("{} threads={} type={}", decoder, c.threads,
                     c.thread_type.empty() ? "default" : c.thread_type);
}

}  // namespace

DecodeBenchmark benchmark_decoders(const DecodeSpec& spec, const std::vector<DecodeConfig>& configs,
                                   int repeats, const std::function<void(int, int)>& progress) {
  DecodeSpec timed = spec;
  timed.md5 = false;
  const int total = static_cast<int>(configs.size()) * (repeats + (spec.md5 ? 1 : 0));
  const auto results = run_decodes(timed, configs, repeats, [&](int d, int) {
    if (progress) progress(d, total);
  });
  std::vector<DecodeResult> hashed;
  if (spec.md5) {
    DecodeSpec h = spec;
    h.keep_frame_md5 = true;
    const int done = static_cast<int>(results.size());
    hashed = run_decodes(h, configs, 1, [&](int d, int) {
      if (progress) progress(done + d, total);
    });
  }
  DecodeBenchmark b;
  b.spec = spec;
  b.repeats = repeats;
  const auto reps = static_cast<std::size_t>(repeats);
  for (std::size_t c = 0; c < configs.size(); ++c) {
    DecodeSeries series;
    series.config = configs[c];
    series.repeats.assign(results.begin() + static_cast<std::ptrdiff_t>(c * reps),
                          results.begin() + static_cast<std::ptrdiff_t>((c + 1) * reps));
    series.config.decoder = series.repeats.front().decoder;
    std::vector<double> times, fps;
    for (const auto& r : series.repeats) {
      times.push_back(r.decode_s);
      fps.push_back(r.fps);
    }
    const TimingStats stats = TimingStats::of(times);
    series.median_s = stats.median;
    series.median_fps = median_of(fps);
    series.cv = stats.cv;
    if (spec.md5) {
      series.hashed = hashed[c];
      auto diff = compare_decodes(hashed.front(), series.hashed);
      if (!diff.identical) {
        diff.reason =
            fmt::format("{} against {}: {}", config_text(series.config, series.config.decoder),
                        config_text(b.series.front().config, hashed.front().decoder), diff.reason);
        series.exactness = diff;
        b.identical = false;
      }
    }
    b.series.push_back(std::move(series));
  }
  // Speedups and fits per decoder and thread type, from the measured times.
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < b.series.size(); ++i) {
    const auto& c = b.series[i].config;
    if (c.threads > 0) groups[{c.decoder, c.thread_type}].push_back(i);
  }
  for (auto& [key, members] : groups) {
    std::sort(members.begin(), members.end(), [&](std::size_t x, std::size_t y) {
      return b.series[x].config.threads < b.series[y].config.threads;
    });
    const auto& lowest = b.series[members.front()];
    for (const std::size_t m : members) {
      auto& sr = b.series[m];
      if (m == members.front() || sr.median_s <= 0) continue;
      sr.speedup = lowest.median_s / sr.median_s;
      sr.efficiency = sr.speedup * lowest.config.threads / sr.config.threads;
    }
    // The laws need N = 1 at the baseline and distinct thread counts.
    std::vector<ScalingSample> samples;
    std::vector<double> work;
    for (const std::size_t m : members) {
      const auto& sr = b.series[m];
      if (!samples.empty() && samples.back().n == sr.config.threads) continue;
      ScalingSample smp;
      smp.n = sr.config.threads;
      for (const auto& r : sr.repeats) smp.times.push_back(r.decode_s);
      samples.push_back(std::move(smp));
      work.push_back(static_cast<double>(sr.repeats.front().frames));
    }
    if (samples.size() < 2 || samples.front().n != 1) continue;
    DecodeScaling sc;
    sc.decoder = key.first;
    sc.thread_type = key.second.empty() ? "default" : key.second;
    sc.points = analyse_scaling(samples, ScalingMode::kStrong, work);
    sc.amdahl = fit_with_interval(samples, ScalingMode::kStrong);
    b.scaling.push_back(std::move(sc));
  }
  return b;
}

View decode_view(const DecodeBenchmark& b, bool per_frame) {
  View v;
  const DecodeResult& first = b.series.front().repeats.front();
  nlohmann::json doc{{"schema_version", kDecodeSchemaVersion},
                     {"input", first.input},
                     {"codec", first.codec},
                     {"pix_fmt", first.pix_fmt},
                     {"width", first.width},
                     {"height", first.height},
                     {"frame_rate", first.frame_rate},
                     {"ffmpeg", first.ffmpeg_version},
                     {"repeats", b.repeats},
                     {"timing_includes_read", b.spec.include_read},
                     {"read_s", first.read_s},
                     {"md5", b.spec.md5},
                     {"identical", b.spec.md5 ? nlohmann::json(b.identical) : nlohmann::json()}};
  auto& configs = doc["configurations"] = nlohmann::json::array();
  TextTable& t = v.table;
  t.header = {"decoder", "threads",    "type",  "frames",   "time s", "cv %", "fps",
              "speedup", "efficiency", "cpu s", "peak MiB", "md5",    "exact"};
  t.right = {false, true, false, true, true, true, true, true, true, true, true, false, false};
  for (const auto& s : b.series) {
    const DecodeResult& r = s.repeats.front();
    nlohmann::json c{
        {"decoder", s.config.decoder},
        {"threads_requested", s.config.threads},
        {"thread_type_requested", s.config.thread_type},
        {"decoder_threads", r.decoder_threads},
        {"decoder_thread_type", r.decoder_thread_type},
        {"frames", r.frames},
        {"median_s", s.median_s},
        {"cv", s.cv},
        {"median_fps", s.median_fps},
        {"speedup", s.speedup > 0 ? nlohmann::json(s.speedup) : nlohmann::json()},
        {"efficiency", s.efficiency > 0 ? nlohmann::json(s.efficiency) : nlohmann::json()},
        {"md5", b.spec.md5 ? nlohmann::json(s.hashed.output_md5) : nlohmann::json()},
        {"identical", b.spec.md5 ? nlohmann::json(s.exactness.identical) : nlohmann::json()}};
    if (!s.exactness.identical) {
      c["first_difference"] = {{"frame", s.exactness.frame},
                               {"expected_md5", s.exactness.expected_md5},
                               {"actual_md5", s.exactness.actual_md5},
                               {"reason", s.exactness.reason}};
    }
    auto& reps = c["repeats"] = nlohmann::json::array();
    for (const auto& rep : s.repeats) reps.push_back(rep);
    if (b.spec.md5) {
      nlohmann::json h = s.hashed;
      if (!per_frame) h.erase("frame_md5");
      c["hashed"] = std::move(h);
    } else {
      c["hashed"] = nullptr;
    }
    configs.push_back(c);
    // CSV / JSON Lines: one tidy record per configuration.
    nlohmann::json row = c;
    row.erase("repeats");
    row.erase("hashed");
    row.erase("first_difference");
    row["hashed_s"] = b.spec.md5 ? nlohmann::json(s.hashed.decode_s) : nlohmann::json();
    row["input"] = r.input;
    row["codec"] = r.codec;
    row["cpu_s"] = r.cpu_user_s + r.cpu_sys_s;
    row["peak_rss_kib"] = r.peak_rss_kib;
    row["exactness"] = s.exactness.reason;
    v.records.push_back(std::move(row));

    double cpu = 0;
    long peak = 0;
    for (const auto& rep : s.repeats) {
      cpu += rep.cpu_user_s + rep.cpu_sys_s;
      peak = std::max(peak, rep.peak_rss_kib);
    }
    cpu /= static_cast<double>(s.repeats.size());
    t.rows.push_back(
        {s.config.decoder,
         fmt::format(
             "{}{}", s.config.threads,
             r.decoder_threads != s.config.threads ? fmt::format(" ({})", r.decoder_threads) : ""),
         r.decoder_thread_type, std::to_string(r.frames), fmt::format("{:.4f}", s.median_s),
         fmt::format("{:.1f}", 100 * s.cv), fmt::format("{:.1f}", s.median_fps),
         s.speedup > 0 ? fmt::format("{:.2f}x", s.speedup) : "",
         s.efficiency > 0 ? fmt::format("{:.0f}%", 100 * s.efficiency) : "",
         fmt::format("{:.3f}", cpu), std::to_string(peak / 1024),
         b.spec.md5 ? s.hashed.output_md5.substr(0, 12) : "off",
         !b.spec.md5 ? "" : (s.exactness.identical ? "yes" : "NO")});
    t.highlight.push_back(!s.exactness.identical);
  }
  auto& fits = doc["scaling"] = nlohmann::json::array();
  for (const auto& sc : b.scaling) {
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& p : sc.points) {
      pts.push_back(
          {{"threads", p.n},
           {"median_s", p.median},
           {"speedup", p.speedup},
           {"efficiency", p.efficiency},
           {"karp_flatt", p.karp_flatt ? nlohmann::json(*p.karp_flatt) : nlohmann::json()},
           {"fps", p.throughput}});
    }
    fits.push_back({{"decoder", sc.decoder},
                    {"thread_type", sc.thread_type},
                    {"points", pts},
                    {"amdahl_serial_fraction",
                     {{"value", sc.amdahl.value},
                      {"low", sc.amdahl.low},
                      {"high", sc.amdahl.high},
                      {"rmse", sc.amdahl.rmse}}}});
    v.notes.push_back(
        fmt::format("{} {} threads: Amdahl serial fraction {:.3f} (95% interval {:.3f} to {:.3f})",
                    sc.decoder, sc.thread_type, sc.amdahl.value, sc.amdahl.low, sc.amdahl.high));
  }
  v.notes.push_back(
      b.spec.include_read
          ? "time includes reading the file (packets read as decoding goes)"
          : fmt::format("time excludes reading the file (packets read into memory first, {:.3f} s)",
                        first.read_s));
  if (b.spec.md5) {
    const auto& s0 = b.series.front();
    v.notes.push_back(fmt::format(
        "times without hashing; one more decode per row hashed every frame (MD5): {:.4f} s "
        "against {:.4f} s on the first row ({:.2f}x)",
        s0.hashed.decode_s, s0.median_s, s0.median_s > 0 ? s0.hashed.decode_s / s0.median_s : 0));
  }
  if (b.spec.md5 && b.series.size() > 1) {
    v.notes.push_back(b.identical ? "every configuration decoded identical frames"
                                  : "outputs differ: see the rows marked NO");
  }
  for (const auto& s : b.series) {
    if (!s.exactness.identical) v.notes.push_back(s.exactness.reason);
  }
  v.document = std::move(doc);
  v.columns = {"input",
               "codec",
               "decoder",
               "threads_requested",
               "thread_type_requested",
               "decoder_threads",
               "decoder_thread_type",
               "frames",
               "median_s",
               "cv",
               "median_fps",
               "speedup",
               "efficiency",
               "cpu_s",
               "peak_rss_kib",
               "hashed_s",
               "md5",
               "identical"};
  return v;
}

}  // namespace codecbench
