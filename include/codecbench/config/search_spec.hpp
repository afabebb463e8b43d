#pragma once
/// @file search_spec.hpp
/// What a target-quality search (search.hpp) varies and aims at: the quality target and
/// further constraints as figures of the metric registry (figures.hpp), the parameter's range
/// and which way quality moves with it. Parsed the same from the command line and from a
/// preset's `search:` section, so a preset is checked whole before any job starts.
#include <string>
#include <vector>

namespace codecbench {

/// A quality condition: a figure (results.hpp names: "vmaf", "vmaf.p5", "psnr.y") at least a
/// value.
struct QualityBound {
  std::string figure;
  double min = 0;
};

/// Parses a target "FIGURE=V" (`vmaf=95`) and applies a pooling (`mean`, `harmonic`, `min`,
/// `p1`, `p5`; "" = the figure's own): `vmaf=95` with pool `p5` is `vmaf.p5 >= 95`. UsageError
/// naming the text for anything else or a pooling the metric does not have.
QualityBound parse_target(const std::string& text, const std::string& pool = "");

/// Parses a further constraint: "FIGURE>=V" (`psnr.y>=38`) or "POOL:FIGURE>=V"
/// (`min:vmaf>=85`, `p5:vmaf>=90`). UsageError naming the text otherwise.
QualityBound parse_constraint(const std::string& text);

/// How quality moves as the parameter grows: it falls for quantisers (crf, qp, q, qscale, cq,
/// global_quality, qmin, qmax), rises for rates (b, maxrate, minrate, bitrate); unknown for any
/// other name (the search finds it from its first probes).
enum class ParamDirection { kQualityFalls, kQualityRises, kUnknown };
ParamDirection param_direction(const std::string& param);

/// What the search varies and aims at.
struct SearchSpec {
  std::string param;                ///< an encoder option
  double lo = 0, hi = 0, step = 1;  ///< values lo, lo+step, ..., up to hi
  QualityBound target;
  std::vector<QualityBound> also;  ///< further constraints, all of which must hold too
};

/// Parses "LO:HI" (and "LO:HI:STEP"). UsageError unless lo < hi, step > 0 and at most 10000
/// values.
void parse_range(const std::string& text, SearchSpec& spec);

/// The values of the range, by rising value.
std::vector<double> search_values(const SearchSpec& spec);

}  // namespace codecbench
