#pragma once
/// @file stats.hpp
/// Significance tests for comparing timings of two runs.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codecbench {

/// Welch's unequal-variances t-test (Welch 1947).
struct WelchResult {
  double t = 0;        ///< t statistic (mean a - mean b over its standard error)
  double df = 0;       ///< Welch-Satterthwaite degrees of freedom
  double p = 1;        ///< two-sided p-value
  bool valid = false;  ///< needs at least 2 values in each sample and some variance
};

WelchResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b);

/// Two-sided tail probability P(|T| >= |t|) of Student's t with df degrees of freedom,
/// through the regularized incomplete beta function (continued fraction).
double student_t_two_sided_p(double t, double df);

/// The Mann-Whitney U test (Wilcoxon rank-sum), two-sided: no assumption of normality, so one
/// slow outlier among the repeats does not decide the result as it can for a t-test.
struct MannWhitneyResult {
  double u = 0;        ///< U statistic of the first sample (pairs where a > b, ties count 1/2)
  double p = 1;        ///< two-sided p-value
  bool exact = false;  ///< p from the exact null distribution (no ties, n1 * n2 <= 400)
  double min_p = 1;    ///< the smallest p these sample sizes can give (exact case)
  bool valid = false;  ///< needs at least one value in each sample
};

MannWhitneyResult mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

/// Standard normal upper tail P(Z >= z).
double normal_sf(double z);

/// The significance tests `compare` offers.
enum class SpeedTest { kWelch, kMannWhitney };

/// "welch" or "mann-whitney" (also "mwu", "mannwhitney").
std::optional<SpeedTest> parse_speed_test(std::string_view name);

/// Result of either test in one shape, as `compare` reports it.
struct SpeedTestResult {
  std::string test;      ///< "welch" or "mann-whitney"
  double statistic = 0;  ///< t or U
  double p = 1;
  double min_p = 0;  ///< smallest attainable p (Mann-Whitney exact case; else 0)
  bool valid = false;
};

SpeedTestResult speed_test(SpeedTest test, const std::vector<double>& a,
                           const std::vector<double>& b);

}  // namespace codecbench
