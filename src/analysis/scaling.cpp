// Scaling laws and their fits. Sources (docs/scaling.md): Amdahl 1967; Gustafson 1988,
// "Reevaluating Amdahl's law", CACM 31(5); Karp and Flatt 1990, "Measuring parallel processor
// performance", CACM 33(5); Iglewicz and Hoaglin 1993, "How to Detect and Handle Outliers".
#include "codecbench/analysis/scaling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

namespace codecbench {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<double> modified_z_scores(const std::vector<double>& v) {
  const double med = median_of(v);
  std::vector<double> dev;
  for (double x : v) dev.push_back(std::fabs(x - med));
  const double mad = median_of(dev);
  std::vector<double> z(v.size(), 0.0);
  if (mad <= 0) return z;
  for (std::size_t i = 0; i < v.size(); ++i) z[i] = 0.6745 * (v[i] - med) / mad;
  return z;
}

double karp_flatt(double s, int n) {
  if (n <= 1 || s <= 0)
    throw std::invalid_argument("Karp-Flatt needs N > 1 and a positive speedup");
  const double inv_n = 1.0 / n;
  return (1.0 / s - inv_n) / (1.0 - inv_n);
}

double fit_amdahl(const std::vector<int>& n, const std::vector<double>& s) {
  // SSE(f) = sum (S_i - 1/(f + (1-f)/N_i))^2 is smooth in f; a grid over [-1, 5] finds the
  // basin and a golden-section search refines it to 1e-10. f > 1 describes a slowdown
  // (S < 1), f < 0 a superlinear speedup: both are reported as measured, not clamped.
  auto sse = [&](double f) {
    double e = 0;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const double denom = f + (1 - f) / n[i];
      if (denom <= 0) return std::numeric_limits<double>::infinity();
      const double d = s[i] - 1.0 / denom;
      e += d * d;
    }
    return e;
  };
  double best = 0, best_e = std::numeric_limits<double>::infinity();
  for (int k = 0; k <= 6000; ++k) {
    const double f = -1.0 + k * 0.001;
    const double e = sse(f);
    if (e < best_e) {
      best_e = e;
      best = f;
    }
  }
  double a = best - 0.001, b = best + 0.001;
  const double g = (std::sqrt(5.0) - 1) / 2;
  for (int it = 0; it < 100 && b - a > 1e-12; ++it) {
    const double c = b - g * (b - a), d = a + g * (b - a);
    if (sse(c) < sse(d)) {
      b = d;
    } else {
      a = c;
    }
  }
  return (a + b) / 2;
}

double fit_gustafson(const std::vector<int>& n, const std::vector<double>& s) {
  // N - S = s (N - 1): linear least squares through the origin.
  double num = 0, den = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const double x = n[i] - 1.0;
    num += (n[i] - s[i]) * x;
    den += x * x;
  }
  return den > 0 ? num / den : 0;
}

namespace {

std::vector<double> speedups(const std::vector<double>& medians, const std::vector<int>& n,
                             ScalingMode mode) {
  std::vector<double> s(medians.size());
  for (std::size_t i = 0; i < medians.size(); ++i) {
    const double e = medians[0] / medians[i];
    s[i] = mode == ScalingMode::kStrong ? e : n[i] * e / n[0];
  }
  return s;
}

}  // namespace

std::vector<ScalingPoint> analyse_scaling(const std::vector<ScalingSample>& samples,
                                          ScalingMode mode, const std::vector<double>& work) {
  std::vector<ScalingPoint> out;
  if (samples.empty()) return out;
  std::vector<double> medians;
  std::vector<int> n;
  for (const auto& s : samples) {
    medians.push_back(median_of(s.times));
    n.push_back(s.n);
  }
  const std::vector<double> sp = speedups(medians, n, mode);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    ScalingPoint p;
    p.n = samples[i].n;
    p.median = medians[i];
    const auto& t = samples[i].times;
    p.min = *std::min_element(t.begin(), t.end());
    p.max = *std::max_element(t.begin(), t.end());
    const double mean = std::accumulate(t.begin(), t.end(), 0.0) / static_cast<double>(t.size());
    if (t.size() > 1 && mean > 0) {
      double ss = 0;
      for (double x : t) ss += (x - mean) * (x - mean);
      p.cv = std::sqrt(ss / static_cast<double>(t.size() - 1)) / mean;
    }
    for (double z : modified_z_scores(t)) p.outliers.push_back(std::fabs(z) > 3.5);
    p.speedup = sp[i];
    const double rel_n = static_cast<double>(p.n) / samples[0].n;
    p.efficiency = mode == ScalingMode::kStrong ? sp[i] / rel_n : medians[0] / medians[i];
    if (mode == ScalingMode::kStrong && p.n > samples[0].n && sp[i] > 0) {
      p.karp_flatt = karp_flatt(sp[i], static_cast<int>(std::lround(rel_n)));
    }
    if (i < work.size() && p.median > 0) p.throughput = work[i] / p.median;
    out.push_back(p);
  }
  return out;
}

FitResult fit_with_interval(const std::vector<ScalingSample>& samples, ScalingMode mode,
                            int resamples) {
  FitResult r;
  if (samples.size() < 2) return r;
  std::vector<int> n;
  std::vector<double> medians;
  for (const auto& s : samples) {
    n.push_back(s.n / samples[0].n);
    medians.push_back(median_of(s.times));
  }
  auto fit = [&](const std::vector<double>& m) {
    const auto s = speedups(m, n, mode);
    return mode == ScalingMode::kStrong ? fit_amdahl(n, s) : fit_gustafson(n, s);
  };
  r.value = fit(medians);
  const auto s = speedups(medians, n, mode);
  double e = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const double model = mode == ScalingMode::kStrong ? 1.0 / (r.value + (1 - r.value) / n[i])
                                                      : n[i] - r.value * (n[i] - 1);
    e += (s[i] - model) * (s[i] - model);
  }
  r.rmse = std::sqrt(e / static_cast<double>(n.size()));
  std::mt19937_64 rng(20261127);
  std::vector<double> fits;
  for (int b = 0; b < resamples; ++b) {
    std::vector<double> m;
    for (const auto& smp : samples) {
      std::uniform_int_distribution<std::size_t> pick(0, smp.times.size() - 1);
      std::vector<double> draw;
      for (std::size_t k = 0; k < smp.times.size(); ++k) draw.push_back(smp.times[pick(rng)]);
      m.push_back(median_of(draw));
    }
    fits.push_back(fit(m));
  }
  std::sort(fits.begin(), fits.end());
  r.low = fits[static_cast<std::size_t>(0.025 * (fits.size() - 1))];
  r.high = fits[static_cast<std::size_t>(0.975 * (fits.size() - 1))];
  return r;
}

}  // namespace codecbench
