#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "codecbench/analysis/scaling.hpp"

using namespace codecbench;

namespace {

// Timings that follow Amdahl's law for serial fraction f (T(N) = T1 (f + (1-f)/N)), with
// multiplicative noise of the given relative size, `repeats` per point.
std::vector<ScalingSample> amdahl(double f, double noise, int repeats, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0.0, noise);
  std::vector<ScalingSample> out;
  for (int n : {1, 2, 4, 8, 16, 32}) {
    ScalingSample s{n, {}};
    for (int r = 0; r < repeats; ++r) s.times.push_back(10.0 * (f + (1 - f) / n) * (1 + d(rng)));
    out.push_back(s);
  }
  return out;
}

// Weak scaling under Gustafson: the scaled work N T1 takes T(N) = T1 N / (N - s (N - 1)).
std::vector<ScalingSample> gustafson(double s, double noise, int repeats, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0.0, noise);
  std::vector<ScalingSample> out;
  for (int n : {1, 2, 4, 8, 16}) {
    ScalingSample p{n, {}};
    for (int r = 0; r < repeats; ++r) p.times.push_back(5.0 * n / (n - s * (n - 1)) * (1 + d(rng)));
    out.push_back(p);
  }
  return out;
}

}  // namespace

TEST_CASE("Amdahl fits recover f = 0.1 and f = 0.3 from noisy timings within 0.01") {
  for (double f : {0.1, 0.3}) {
    CAPTURE(f);
    const auto samples = amdahl(f, 0.01, 5, 7);
    const FitResult fit = fit_with_interval(samples, ScalingMode::kStrong, 300);
    CHECK(fit.value == doctest::Approx(f).epsilon(0.01 / f));
    CHECK(std::fabs(fit.value - f) < 0.01);
    CHECK(fit.low <= fit.value);
    CHECK(fit.high >= fit.value);
    CHECK(fit.high - fit.low < 0.05);
  }
  // Exact data: exact fit.
  CHECK(fit_amdahl({1, 2, 4, 8}, {1.0, 1 / 0.6, 1 / 0.4, 1 / 0.3}) ==
        doctest::Approx(0.2).epsilon(1e-6));
}

TEST_CASE("Gustafson fit recovers s = 0.2 from noisy weak-scaling timings within 0.01") {
  const auto samples = gustafson(0.2, 0.01, 5, 11);
  const FitResult fit = fit_with_interval(samples, ScalingMode::kWeak, 300);
  CHECK(std::fabs(fit.value - 0.2) < 0.01);
  CHECK(fit_gustafson({1, 2, 4}, {1.0, 1.8, 3.4}) == doctest::Approx(0.2));
}

TEST_CASE("Karp-Flatt equals Amdahl's f for timings that follow Amdahl exactly") {
  const auto samples = amdahl(0.25, 0.0, 1, 1);
  const auto points = analyse_scaling(samples, ScalingMode::kStrong, {});
  REQUIRE(points.size() == 6);
  CHECK_FALSE(points[0].karp_flatt.has_value());
  for (std::size_t i = 1; i < points.size(); ++i) {
    REQUIRE(points[i].karp_flatt.has_value());
    CHECK(*points[i].karp_flatt == doctest::Approx(0.25));
  }
  // S(2) = 1.6: e = (1/1.6 - 1/2) / (1 - 1/2) = 0.25.
  CHECK(karp_flatt(1.6, 2) == doctest::Approx(0.25));
  CHECK(points[1].speedup == doctest::Approx(1 / 0.625));
  CHECK(points[1].efficiency == doctest::Approx(0.8));
}

TEST_CASE("strong and weak figures from known times; throughput from work") {
  const std::vector<ScalingSample> strong = {{1, {4.0, 4.0, 4.2}}, {2, {2.5, 2.4, 2.5}}};
  const auto p = analyse_scaling(strong, ScalingMode::kStrong, {100, 100});
  CHECK(p[1].median == doctest::Approx(2.5));
  CHECK(p[1].speedup == doctest::Approx(1.6));
  CHECK(p[1].efficiency == doctest::Approx(0.8));
  CHECK(p[1].throughput == doctest::Approx(40.0));
  const std::vector<ScalingSample> weak = {{1, {4.0}}, {2, {5.0}}};
  const auto w = analyse_scaling(weak, ScalingMode::kWeak, {100, 200});
  CHECK(w[1].efficiency == doctest::Approx(0.8));
  CHECK(w[1].speedup == doctest::Approx(1.6));  // scaled speedup N E(N)
  CHECK_FALSE(w[1].karp_flatt.has_value());
}

TEST_CASE("modified z-scores flag a far outlier and nothing else") {
  const std::vector<double> t = {1.00, 1.01, 0.99, 1.02, 0.98, 3.0};
  const auto z = modified_z_scores(t);
  CHECK(std::fabs(z[5]) > 3.5);
  for (int i = 0; i < 5; ++i) CHECK(std::fabs(z[i]) < 3.5);
  const auto points = analyse_scaling({{1, t}}, ScalingMode::kStrong, {});
  CHECK(points[0].outliers == std::vector<bool>{false, false, false, false, false, true});
  CHECK(median_of({3, 1, 2, 4}) == doctest::Approx(2.5));
}
