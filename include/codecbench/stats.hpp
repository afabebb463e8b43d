#pragma once
/// @file stats.hpp
/// Significance tests for comparing timings of two runs.

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

}  // namespace codecbench
