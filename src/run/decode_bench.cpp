// Decode benchmarks over several configurations (decode.hpp): exactness against the first
// configuration, speedups per decoder and thread type, Amdahl fits (the view: decode_view.cpp).
#include "codecbench/run/decode_bench.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "codecbench/core/error.hpp"
#include "codecbench/store/run_record.hpp"

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

}  // namespace codecbench
