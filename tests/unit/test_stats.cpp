#include <doctest/doctest.h>

#include "codecbench/analysis/stats.hpp"

using namespace codecbench;

TEST_CASE("Welch's t-test matches SciPy's ttest_ind(equal_var=False)") {
  // Reference values: scipy.stats.ttest_ind(a, b, equal_var=False), SciPy 1.10 (Debian 12).
  const WelchResult r = welch_t_test({1, 2, 3, 4, 5}, {2, 3, 4, 5, 6});
  REQUIRE(r.valid);
  CHECK(r.t == doctest::Approx(-1.0));
  CHECK(r.df == doctest::Approx(8.0));
  CHECK(r.p == doctest::Approx(0.34659350708733416).epsilon(1e-9));
  const WelchResult s = welch_t_test({10.1, 10.3, 9.9, 10.0}, {11.0, 11.4, 10.8, 11.1, 11.2});
  CHECK(s.t == doctest::Approx(-7.794808281451081).epsilon(1e-9));
  CHECK(s.p == doctest::Approx(0.00010766664572647105).epsilon(1e-6));
  CHECK_FALSE(welch_t_test({1}, {2, 3}).valid);
  CHECK_FALSE(welch_t_test({1, 1}, {1, 1}).valid);
  CHECK(student_t_two_sided_p(0.0, 5) == doctest::Approx(1.0));
}

TEST_CASE("Mann-Whitney U matches SciPy's mannwhitneyu (two-sided)") {
  // Reference values: scipy.stats.mannwhitneyu(a, b, alternative="two-sided", method=...),
  // SciPy 1.10 (Debian 12). Without ties and n1 * n2 <= 400 the exact distribution is used
  // (SciPy's method="exact"); otherwise the normal approximation with tie and continuity
  // corrections (method="asymptotic").
  const MannWhitneyResult a = mann_whitney_u({1.2, 1.5, 1.1, 1.3}, {1.6, 1.8, 1.7, 1.9, 2.0});
  REQUIRE(a.valid);
  CHECK(a.exact);
  CHECK(a.u == 0);
  CHECK(a.p == doctest::Approx(0.015873015873015872).epsilon(1e-12));
  const MannWhitneyResult b = mann_whitney_u(
      {10.1, 10.3, 9.9, 10.0, 10.2, 10.4, 10.65, 10.5, 9.8, 10.7, 11.05, 10.9},
      {11.0, 11.4, 10.8, 11.1, 11.2, 10.6, 11.5, 11.3, 11.6, 11.7, 11.9, 12.0, 12.1});
  CHECK(b.exact);
  CHECK(b.u == 7);
  CHECK(b.p == doctest::Approx(1.7306693844585892e-05).epsilon(1e-9));
  // Ties (5 and 6 in both samples): asymptotic with the tie-corrected variance.
  const MannWhitneyResult c = mann_whitney_u({3, 4, 2, 6, 2, 5}, {9, 7, 5, 10, 6, 8});
  CHECK_FALSE(c.exact);
  CHECK(c.u == 2);
  CHECK(c.p == doctest::Approx(0.012591911490379705).epsilon(1e-9));
  // 25 x 20 = 500 pairs: asymptotic even without ties.
  std::vector<double> x, y;
  for (int i = 0; i < 25; ++i) x.push_back(i * 1.01);
  for (int i = 0; i < 20; ++i) y.push_back(i * 1.0 + 3.3);
  const MannWhitneyResult d = mann_whitney_u(x, y);
  CHECK_FALSE(d.exact);
  CHECK(d.u == 230);
  CHECK(d.p == doctest::Approx(0.6560224841254862).epsilon(1e-9));
}

TEST_CASE("Mann-Whitney: three repeats a side can never reach p < 0.05") {
  // Complete separation of 3 vs 3 is 2 / C(6, 3) = 0.1 (SciPy: 0.1); 4 vs 4 is 2 / 70.
  const MannWhitneyResult three = mann_whitney_u({1, 2, 3}, {4, 5, 6});
  CHECK(three.p == doctest::Approx(0.1));
  CHECK(three.min_p == doctest::Approx(0.1));
  const MannWhitneyResult four = mann_whitney_u({1, 2, 3, 4}, {5, 6, 7, 8});
  CHECK(four.p == doctest::Approx(0.02857142857142857));
  CHECK(four.min_p == doctest::Approx(2.0 / 70));
  // U of the first sample counts the pairs where it is larger: swapping gives n1 n2 - U.
  CHECK(mann_whitney_u({4, 5, 6}, {1, 2, 3}).u == 9);
  CHECK(mann_whitney_u({1, 1, 1}, {1, 1}).p == doctest::Approx(1.0));
  CHECK_FALSE(mann_whitney_u({}, {1.0}).valid);
  CHECK(parse_speed_test("mwu") == SpeedTest::kMannWhitney);
  CHECK_FALSE(parse_speed_test("wilcoxon").has_value());
  CHECK_FALSE(speed_test(SpeedTest::kMannWhitney, {1}, {2, 3}).valid);
}
