#include <doctest/doctest.h>

#include <cmath>

#include "codecbench/analysis/bdrate.hpp"

using namespace codecbench;

namespace {

// The four-point libx265 example of the FAU-LMS "bjontegaard" package README (rates in kbit/s,
// PSNR in dB), used here for its shape; the expected figures below follow from invariants.
const RdCurve kAnchor{{9487.76, 4593.60, 2486.44, 1358.24}, {40.037, 38.615, 36.845, 34.851}};
const RdCurve kTest{{9787.80, 4469.00, 2451.52, 1356.24}, {40.121, 38.651, 36.970, 34.987}};

constexpr BdInterpolation kAll[] = {BdInterpolation::kPchip, BdInterpolation::kCubic,
                                    BdInterpolation::kAkima};

}  // namespace

TEST_CASE(
    "the same curve at 80% of the rate is a BD-rate of exactly -20% for every interpolation") {
  RdCurve scaled = kAnchor;
  for (double& r : scaled.rate) r *= 0.8;
  for (auto i : kAll) {
    CAPTURE(bd_interpolation_name(i));
    const BdResult r = bd_metrics(kAnchor, scaled, i);
    REQUIRE(r.valid);
    CHECK(r.rate_pct == doctest::Approx(-20.0).epsilon(1e-9));
    CHECK(r.quality > 0);  // cheaper at equal quality = better quality at equal rate
  }
}

TEST_CASE("the same curve 0.5 dB higher is a BD-PSNR of exactly +0.5 dB for every interpolation") {
  RdCurve up = kAnchor;
  for (double& q : up.quality) q += 0.5;
  for (auto i : kAll) {
    CAPTURE(bd_interpolation_name(i));
    const BdResult r = bd_metrics(kAnchor, up, i);
    REQUIRE(r.quality_valid);
    CHECK(r.quality == doctest::Approx(0.5).epsilon(1e-9));
    CHECK(r.rate_pct < 0);
  }
}

TEST_CASE(
    "integrals: PCHIP and Akima reproduce lines; the cubic fit equals the interpolating cubic") {
  const std::vector<double> x{0, 1, 2, 3}, line{1, 3, 5, 7};
  for (auto i : kAll) CHECK(integrate_interpolant(x, line, 0, 3, i) == doctest::Approx(12.0));
  CHECK(integrate_interpolant(x, line, 0.5, 2.5, BdInterpolation::kPchip) == doctest::Approx(8.0));
  // y = x^3 - 2x through 4 points: the least-squares cubic is that cubic; its integral on [0, 3]
  // is 81/4 - 9 = 11.25.
  const std::vector<double> cube{0, -1, 4, 21};
  CHECK(integrate_interpolant(x, cube, 0, 3, BdInterpolation::kCubic) == doctest::Approx(11.25));
  // Independent check of the PCHIP integral: fine trapezoid over the Fritsch-Carlson interpolant
  // is not available here, but PCHIP is monotone between monotone data: bounded by the data.
  const double p = integrate_interpolant(x, cube, 1, 3, BdInterpolation::kPchip);
  CHECK(p > 2 * -1);
  CHECK(p < 2 * 21);
}

TEST_CASE("the FAU example: all three interpolations agree on a small BD-rate saving") {
  double rates[3];
  int k = 0;
  for (auto i : kAll) {
    const BdResult r = bd_metrics(kAnchor, kTest, i);
    REQUIRE(r.valid);
    CHECK(r.rate_pct < 0);  // the test curve lies above the anchor everywhere
    CHECK(r.rate_pct > -10);
    CHECK(r.quality > 0);
    CHECK(r.quality < 0.3);
    rates[k++] = r.rate_pct;
  }
  CHECK(std::fabs(rates[0] - rates[2]) < 0.5);  // PCHIP and Akima: close on well-behaved curves
  CHECK(std::fabs(rates[0] - rates[1]) < 0.5);
}

TEST_CASE("invalid curves give n/a with the reason") {
  RdCurve three{{1, 2, 3}, {30, 31, 32}};
  CHECK(bd_metrics(three, kTest).reason.find("at least 4") != std::string::npos);
  RdCurve bumpy{{100, 200, 300, 400}, {30, 32, 31, 33}};
  CHECK(bd_metrics(kAnchor, bumpy).reason.find("not monotonic") != std::string::npos);
  RdCurve far{{1, 2, 3, 4}, {10, 11, 12, 13}};
  const BdResult r = bd_metrics(kAnchor, far);
  CHECK_FALSE(r.valid);
  CHECK_FALSE(r.quality_valid);
  CHECK(r.reason == "the curves share no quality range");
  CHECK(r.quality_reason == "the curves share no rate range");
  // Same qualities at ten times the rate: BD-rate is defined (+900%), BD-PSNR is not.
  RdCurve costly = kAnchor;
  for (double& x : costly.rate) x *= 10;
  const BdResult c = bd_metrics(kAnchor, costly);
  CHECK(c.valid);
  CHECK(c.rate_pct == doctest::Approx(900.0));
  CHECK_FALSE(c.quality_valid);
  CHECK(parse_bd_interpolation("akima") == BdInterpolation::kAkima);
  CHECK_FALSE(parse_bd_interpolation("spline").has_value());
}

TEST_CASE("reference values: the FAU example against SciPy's interpolators") {
  // Computed with Debian 12's python3-scipy 1.10 (PchipInterpolator, Akima1DInterpolator and
  // numpy.polyfit of degree 3, each integrated exactly over the overlap), i.e. the reference
  // implementations the FAU-LMS bjontegaard package builds on; that package reports its PCHIP to
  // match the JCT-VC CTC spreadsheet to 10 decimals. The script is tests/reference/bd_scipy.py.
  struct Ref {
    BdInterpolation interp;
    double rate_pct, psnr;
  };
  for (const Ref& ref : {Ref{BdInterpolation::kPchip, -4.4174853506, 0.1196927854},
                         Ref{BdInterpolation::kCubic, -4.4204627062, 0.1204094191},
                         Ref{BdInterpolation::kAkima, -4.4252451570, 0.1194092703}}) {
    CAPTURE(bd_interpolation_name(ref.interp));
    const BdResult r = bd_metrics(kAnchor, kTest, ref.interp);
    REQUIRE(r.valid);
    CHECK(r.rate_pct == doctest::Approx(ref.rate_pct).epsilon(1e-9));
    CHECK(r.quality == doctest::Approx(ref.psnr).epsilon(1e-9));
  }
}

TEST_CASE("published reference values: the JCTVC-E137 data sets (PCHIP)") {
  // Two anchor/test pairs of HM results (rates in kbit/s, Y-PSNR in dB) from JCT-VC contribution
  // JCTVC-E137 (5th meeting, Geneva, 2011; http://phenix.it-sudparis.eu/jct/doc_end_user/
  // documents/5_Geneva/wg11/JCTVC-E137-v1.zip), as quoted by Netflix VMAF's
  // python/test/bd_rate_calculator_test.py (BDrateCalculatorJCTVCTest) and Android CTS's
  // BdRateCalculatorTests. Expected BD-rates as published in VMAF's test, which implements the
  // JCT-VC spreadsheet's PCHIP: -0.00465215420752807 and -0.018779823450567612 (fractions, i.e.
  // -0.465 % and -1.878 %). VMAF checks its own figures to 4 places; ours agree to 1e-10.
  const RdCurve a1{{108048.8736, 61279.976, 33905.6656, 18883.6928},
                   {43.6471, 40.3953, 37.247, 34.2911}};
  const RdCurve b1{{108061.2784, 61299.9936, 33928.7472, 18910.912},
                   {43.6768, 40.4232, 37.2761, 34.3147}};
  const RdCurve a2{{40433.8848, 7622.7456, 2394.488, 1017.6184},
                   {37.5761, 35.3756, 33.8977, 32.0603}};
  const RdCurve b2{{40370.12, 7587.0024, 2390.0944, 1017.0984},
                   {37.5982, 35.4025, 33.9194, 32.0822}};
  const BdResult r1 = bd_metrics(a1, b1, BdInterpolation::kPchip);
  const BdResult r2 = bd_metrics(a2, b2, BdInterpolation::kPchip);
  REQUIRE(r1.valid);
  REQUIRE(r2.valid);
  CHECK(r1.rate_pct == doctest::Approx(-0.465215420752807).epsilon(1e-10));
  CHECK(r2.rate_pct == doctest::Approx(-1.8779823450567612).epsilon(1e-10));
  // Anchor against itself: zero, as VMAF's identity test.
  CHECK(std::fabs(bd_metrics(a1, a1).rate_pct) < 1e-12);
}

TEST_CASE("bd_table: curves grouped by input and label in any order, averaged over inputs") {
  // The two JCTVC-E137 pairs above as two inputs, points given out of order and mixed with a
  // third label that must be ignored.
  const double a1[4][2] = {
      {61279.976, 40.3953}, {108048.8736, 43.6471}, {18883.6928, 34.2911}, {33905.6656, 37.247}};
  const double b1[4][2] = {
      {108061.2784, 43.6768}, {61299.9936, 40.4232}, {33928.7472, 37.2761}, {18910.912, 34.3147}};
  const double a2[4][2] = {
      {40433.8848, 37.5761}, {7622.7456, 35.3756}, {2394.488, 33.8977}, {1017.6184, 32.0603}};
  const double b2[4][2] = {
      {40370.12, 37.5982}, {7587.0024, 35.4025}, {2390.0944, 33.9194}, {1017.0984, 32.0822}};
  std::vector<RdSample> s;
  for (int k = 0; k < 4; ++k) {
    s.push_back({"seq1", "HM", a1[k][0], a1[k][1]});
    s.push_back({"seq2", "other", 1000.0 * (k + 1), 30.0 + k});
    s.push_back({"seq1", "test", b1[k][0], b1[k][1]});
    s.push_back({"seq2", "HM", a2[k][0], a2[k][1]});
    s.push_back({"seq2", "test", b2[k][0], b2[k][1]});
  }
  s.push_back({"seq3", "HM", 100, 30});  // an input with the anchor alone: no row
  const BdTable t = bd_table(s, "HM", "test");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].input == "seq1");
  CHECK(t.rows[0].result.rate_pct == doctest::Approx(-0.465215420752807).epsilon(1e-10));
  CHECK(t.rows[1].result.rate_pct == doctest::Approx(-1.8779823450567612).epsilon(1e-10));
  CHECK(t.rate_count == 2);
  CHECK(t.mean_rate_pct == doctest::Approx((-0.465215420752807 - 1.8779823450567612) / 2));
  CHECK(t.quality_count == 2);
  CHECK(bd_table(s, "HM", "nobody").rows.empty());
}
