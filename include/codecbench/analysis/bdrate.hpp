#pragma once
/// @file bdrate.hpp
/// Bjontegaard delta metrics between two rate-quality curves (BD-rate, BD-quality), with
/// piecewise cubic Hermite (PCHIP, the default, as the JCT-VC CTC spreadsheet and AWCY use),
/// the original cubic polynomial fit (VCEG-M33) or Akima interpolation.

#include <optional>
#include <string>
#include <vector>

namespace codecbench {

enum class BdInterpolation { kPchip, kCubic, kAkima };

/// "pchip", "cubic", "akima"; parse_bd_interpolation returns nullopt for other text.
const char* bd_interpolation_name(BdInterpolation i) noexcept;
std::optional<BdInterpolation> parse_bd_interpolation(const std::string& text) noexcept;

/// One curve: bitrates (any unit, > 0) and qualities (PSNR dB, SSIM, ...), same length.
struct RdCurve {
  std::vector<double> rate;
  std::vector<double> quality;
};

/// BD figures, or the reason they are not defined.
struct BdResult {
  /// BD-rate is defined (the curves share a quality range).
  bool valid = false;
  /// Why not: too few points, not monotonic, no common quality range.
  std::string reason;
  /// BD-rate: average rate difference of test vs anchor, % (negative: the test saves rate).
  double rate_pct = 0;
  /// BD-quality is defined (the curves share a rate range).
  bool quality_valid = false;
  /// Why not.
  std::string quality_reason;
  /// BD-quality (BD-PSNR for PSNR): average quality difference, in the metric's unit.
  double quality = 0;
};

/// BD-rate and BD-quality of `test` against `anchor` (Bjontegaard, VCEG-M33, 2001):
/// log(rate) is interpolated as a function of quality (and quality as a function of log(rate)),
/// integrated over the overlapping interval, and the mean difference reported. Needs at least
/// 4 points per curve, quality strictly increasing with rate, and overlapping ranges.
BdResult bd_metrics(const RdCurve& anchor, const RdCurve& test,
                    BdInterpolation interp = BdInterpolation::kPchip);

/// One measured point of a labelled curve: a job's input, encoder label, bitrate and quality.
struct RdSample {
  std::string input, label;
  double rate = 0;
  double quality = 0;
};

/// Parses RD points from CSV text (`--points FILE`): a header with curve, bitrate and quality
/// columns (and optionally input), then one row per point; quoted cells as RFC 4180. `name`
/// (the file) starts every error. InputError naming the line for a missing column or a cell
/// that is not a finite number.
std::vector<RdSample> parse_points_csv(const std::string& text, const std::string& name);

/// BD figures of one input.
struct BdRow {
  std::string input;
  BdResult result;
};

/// BD figures of `test` against `anchor` for every input that has both, and their arithmetic
/// means over the inputs where each is defined (as the JCT-VC spreadsheet averages per-sequence
/// BD-rates).
struct BdTable {
  std::vector<BdRow> rows;  ///< by input name
  int rate_count = 0;       ///< inputs with a defined BD-rate
  double mean_rate_pct = 0;
  int quality_count = 0;  ///< inputs with a defined BD-quality
  double mean_quality = 0;
};

/// Groups samples into curves by input and label (any order) and compares the two labels.
BdTable bd_table(const std::vector<RdSample>& samples, const std::string& anchor,
                 const std::string& test, BdInterpolation interp = BdInterpolation::kPchip);

/// Slopes of the monotone piecewise cubic (PCHIP: Fritsch-Carlson interior slopes, Moler's
/// shape-preserving end slopes) through (x, y), x strictly increasing, at least 2 points.
std::vector<double> pchip_slopes(const std::vector<double>& x, const std::vector<double>& y);

/// Value at v of the cubic Hermite interpolant through (x, y) with slopes d (v is clamped to
/// the segment that holds it, the first or last outside).
double hermite_at(const std::vector<double>& x, const std::vector<double>& y,
                  const std::vector<double>& d, double v);

/// Integral over [a, b] (inside [x.front(), x.back()]) of the interpolant through (x, y),
/// x strictly increasing. Exposed for tests.
double integrate_interpolant(const std::vector<double>& x, const std::vector<double>& y, double a,
                             double b, BdInterpolation interp);

}  // namespace codecbench
