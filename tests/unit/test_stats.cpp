#include <doctest/doctest.h>

#include "codecbench/stats.hpp"

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
