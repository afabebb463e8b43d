// Audio metrics.
//  SNR = 10 log10(sum s^2 / sum (s - y)^2) per channel.
//  Segmental SNR: mean over 20 ms segments of the segment SNR clamped to [-10, 35] dB, skipping
//    silent reference segments (Quackenbush, Barnwell, Clements, "Objective Measures of Speech
//    Quality", 1988; the clamp as in the usual speech-enhancement evaluations).
//  SI-SDR: Le Roux, Wisdom, Erdogan, Hershey, "SDR - half-baked or well done?", ICASSP 2019:
//    with zero-mean s and y, target = (<y, s> / ||s||^2) s, SI-SDR = 10 log10(||target||^2 /
//    ||y - target||^2).
#include <fmt/core.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "codecbench/core/error.hpp"
#include "codecbench/metrics/audio_metrics.hpp"

namespace codecbench {
namespace {

double db(double num, double den) {
  if (den <= 0) return std::numeric_limits<double>::infinity();
  if (num <= 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(num / den);
}

template <typename PerChannel>
MetricValues per_channel(const AudioChannels& ref, const AudioChannels& dec, PerChannel f) {
  MetricValues out;
  double sum = 0;
  bool all_finite = true;
  std::vector<double> values(ref.size());
  for (std::size_t c = 0; c < ref.size(); ++c) {
    const std::size_t n = std::min(ref[c].size(), dec[c].size());
    values[c] = f(ref[c].data(), dec[c].data(), n);
    if (!std::isfinite(values[c])) all_finite = false;
    sum += values[c];
  }
  out.emplace_back("db", all_finite ? sum / static_cast<double>(ref.size())
                                    : std::numeric_limits<double>::infinity());
  for (std::size_t c = 0; c < ref.size(); ++c) out.emplace_back(fmt::format("ch{}", c), values[c]);
  return out;
}

MetricValues snr(const AudioChannels& ref, const AudioChannels& dec, int) {
  return per_channel(ref, dec, [](const float* s, const float* y, std::size_t n) {
    double sig = 0, err = 0;
    for (std::size_t i = 0; i < n; ++i) {
      sig += static_cast<double>(s[i]) * s[i];
      const double e = static_cast<double>(s[i]) - y[i];
      err += e * e;
    }
    return db(sig, err);
  });
}

MetricValues segsnr(const AudioChannels& ref, const AudioChannels& dec, int rate) {
  const std::size_t seg = std::max<std::size_t>(1, static_cast<std::size_t>(rate) / 50);  // 20 ms
  return per_channel(ref, dec, [seg](const float* s, const float* y, std::size_t n) {
    double total = 0;
    std::size_t count = 0;
    for (std::size_t start = 0; start + seg <= n; start += seg) {
      double sig = 0, err = 0;
      for (std::size_t i = start; i < start + seg; ++i) {
        sig += static_cast<double>(s[i]) * s[i];
        const double e = static_cast<double>(s[i]) - y[i];
        err += e * e;
      }
      if (sig <= 1e-10 * static_cast<double>(seg)) continue;  // silent reference segment
      total += std::clamp(db(sig, err), -10.0, 35.0);
      ++count;
    }
    return count == 0 ? std::numeric_limits<double>::quiet_NaN()
                      : total / static_cast<double>(count);
  });
}

MetricValues si_sdr(const AudioChannels& ref, const AudioChannels& dec, int) {
  return per_channel(ref, dec, [](const float* s, const float* y, std::size_t n) {
    double ms = 0, my = 0;
    for (std::size_t i = 0; i < n; ++i) {
      ms += s[i];
      my += y[i];
    }
    ms /= static_cast<double>(n);
    my /= static_cast<double>(n);
    double sy = 0, ss = 0;
    for (std::size_t i = 0; i < n; ++i) {
      sy += (y[i] - my) * (s[i] - ms);
      ss += (s[i] - ms) * (s[i] - ms);
    }
    if (ss <= 0) return std::numeric_limits<double>::quiet_NaN();
    const double alpha = sy / ss;
    double target = 0, noise = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double t = alpha * (s[i] - ms);
      const double e = (y[i] - my) - t;
      target += t * t;
      noise += e * e;
    }
    return db(target, noise);
  });
}

}  // namespace

namespace detail {

std::vector<MetricDescriptor> audio_descriptors() {
  auto audio = [](const char* name, const char* title, const char* description, bool by_default,
                  double cost, auto compute) {
    MetricDescriptor d;
    d.name = name;
    d.type = MediaType::kAudio;
    d.title = title;
    d.description = description;
    d.outputs = {{"db", "dB", Better::kHigher, false, title, std::string(name) != "segsnr"}};
    d.measured_by_default = by_default;
    d.cost = cost;
    d.compute = compute;
    return d;
  };
  return {
      audio("snr", "SNR", "signal-to-noise ratio, dB, per channel (ch0, ch1, ...) and averaged",
            true, 1, snr),
      audio("segsnr", "segSNR", "segmental SNR over 20 ms segments clamped to [-10, 35] dB", true,
            1, segsnr),
      audio("si_sdr", "SI-SDR", "scale-invariant SDR (Le Roux et al., ICASSP 2019), dB", true, 2,
            si_sdr),
  };
}

}  // namespace detail

int estimate_lag(const AudioChannels& ref, const AudioChannels& dec, int max_lag) {
  if (ref.empty() || dec.empty()) return 0;
  // Channel sums over the first 2^16 samples (1.4 s at 48 kHz) keep this cheap for long inputs.
  const std::size_t n = std::min({ref[0].size(), dec[0].size(), std::size_t{1} << 16});
  if (n < 2 * static_cast<std::size_t>(max_lag) + 16) max_lag = static_cast<int>(n / 4);
  std::vector<double> a(n, 0.0), b(n, 0.0);
  for (std::size_t c = 0; c < std::min(ref.size(), dec.size()); ++c) {
    for (std::size_t i = 0; i < n; ++i) {
      a[i] += ref[c][i];
      b[i] += dec[c][i];
    }
  }
  std::vector<double> score(static_cast<std::size_t>(2 * max_lag + 1), -2.0);
  tbb::parallel_for(-max_lag, max_lag + 1, [&](int lag) {
    double xy = 0, xx = 0, yy = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto j = static_cast<std::ptrdiff_t>(i) + lag;  // decoded sample matching ref[i]
      if (j < 0 || j >= static_cast<std::ptrdiff_t>(n)) continue;
      xy += a[i] * b[static_cast<std::size_t>(j)];
      xx += a[i] * a[i];
      yy += b[static_cast<std::size_t>(j)] * b[static_cast<std::size_t>(j)];
    }
    score[static_cast<std::size_t>(lag + max_lag)] =
        xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : -2.0;
  });
  double best_score = -2.0;
  for (double s : score) best_score = std::max(best_score, s);
  // Periodic signals correlate almost equally at every period: among the lags within a hair of
  // the best, take the one closest to 0 (no shift unless another lag is clearly better).
  int best = 0;
  for (int d = 0; d <= max_lag; ++d) {
    if (score[static_cast<std::size_t>(max_lag + d)] >= best_score - 1e-4) {
      best = d;
      break;
    }
    if (score[static_cast<std::size_t>(max_lag - d)] >= best_score - 1e-4) {
      best = -d;
      break;
    }
  }
  return best;
}

}  // namespace codecbench
