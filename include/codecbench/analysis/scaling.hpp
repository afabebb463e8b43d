#pragma once
/// @file scaling.hpp
/// Scaling analysis: strong and weak scaling figures, Amdahl and Gustafson fits with bootstrap
/// confidence intervals, the Karp-Flatt metric, and outliers by modified z-score.
/// Definitions and sources: docs/scaling.md.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace codecbench {

/// Timings of one point of a sweep: N (threads or jobs) and one wall time per repeat.
struct ScalingSample {
  int n = 1;
  std::vector<double> times;  ///< seconds, one per repeat
};

/// Figures of one point.
struct ScalingPoint {
  int n = 1;
  double median = 0;  ///< median time, s
  double min = 0, max = 0;
  double cv = 0;                     ///< coefficient of variation of the times
  std::vector<bool> outliers;        ///< per repeat: |modified z-score| > 3.5
  double speedup = 0;                ///< strong: T(1)/T(N); weak: scaled speedup N T(1)/T(N)
  double efficiency = 0;             ///< strong: S/N; weak: T(1)/T(N)
  std::optional<double> karp_flatt;  ///< (1/S - 1/N)/(1 - 1/N), strong and N > 1 only
  double throughput = 0;             ///< work units per second (work(N) / median)
};

/// A fitted parameter with a 95% bootstrap interval.
struct FitResult {
  double value = 0;
  double low = 0, high = 0;  ///< 2.5th and 97.5th percentiles over bootstrap resamples
  double rmse = 0;           ///< root mean square error of the fitted speedups
};

enum class ScalingMode { kStrong, kWeak };

/// Medians, speedups, efficiencies, Karp-Flatt and outliers. The point with the smallest N is
/// the baseline (N is assumed 1 there for the laws). `work` gives each point's work units
/// (frames; for weak scaling it grows with N) for throughput.
std::vector<ScalingPoint> analyse_scaling(const std::vector<ScalingSample>& samples,
                                          ScalingMode mode, const std::vector<double>& work);

/// Least-squares Amdahl serial fraction f in S(N) = 1 / (f + (1 - f) / N).
double fit_amdahl(const std::vector<int>& n, const std::vector<double>& speedup);
/// Least-squares Gustafson serial fraction s in S(N) = N - s (N - 1).
double fit_gustafson(const std::vector<int>& n, const std::vector<double>& scaled_speedup);

/// Fits with a bootstrap interval: resamples each point's repeats with replacement
/// (`resamples` times, fixed seed: reproducible), recomputes medians and speedups, refits.
FitResult fit_with_interval(const std::vector<ScalingSample>& samples, ScalingMode mode,
                            int resamples = 1000);

/// Karp-Flatt experimentally determined serial fraction for speedup S on N > 1 processors.
double karp_flatt(double speedup, int n);

/// Modified z-scores 0.6745 (x - median) / MAD (Iglewicz and Hoaglin 1993); all zero when
/// MAD is zero.
std::vector<double> modified_z_scores(const std::vector<double>& values);

/// Median of values (mean of the middle two for an even count); 0 for none.
double median_of(std::vector<double> values);

}  // namespace codecbench
