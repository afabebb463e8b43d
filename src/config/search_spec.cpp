// What a target-quality search varies and aims at, parsed from the command line or a preset's
// `search:` section (search_spec.hpp).
#include "codecbench/config/search_spec.hpp"

#include <fmt/core.h>

#include <cmath>
#include <exception>

#include "codecbench/core/error.hpp"
#include "codecbench/metrics/figures.hpp"

namespace codecbench {
namespace {

constexpr std::size_t kMaxValues = 10000;

double parse_number(const std::string& text, const std::string& whole, const char* what) {
  std::string t = text;
  double scale = 1;
  if (!t.empty() && (t.back() == 'k' || t.back() == 'K')) scale = 1e3;
  if (!t.empty() && t.back() == 'M') scale = 1e6;
  if (scale != 1) t.pop_back();
  std::size_t used = 0;
  double v = NAN;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != t.size() || !std::isfinite(v)) {
    throw UsageError(fmt::format("{} '{}': '{}' is not a number", what, whole, text));
  }
  return v * scale;
}

// "mean" -> the metric's pooled mean output, etc.; "" keeps the figure.
std::string pooled_figure(const std::string& figure, const std::string& pool,
                          const std::string& whole) {
  const QualityFigure f = parse_figure(figure);
  if (pool.empty()) return f.name();
  const std::string metric = f.metric->name;
  std::string output = pool;
  if (pool == "harmonic") output = "harmonic_mean";
  if (pool == "mean" && metric != "vmaf") return f.name();
  if (pool != "mean" && pool != "harmonic" && pool != "min" && pool != "p1" && pool != "p5") {
    throw UsageError(
        fmt::format("'{}': pooling '{}' is not one of mean, harmonic, min, p1, p5", whole, pool));
  }
  try {
    return parse_figure(metric + "." + output).name();
  } catch (const UsageError&) {
    throw UsageError(
        fmt::format("'{}': metric {} has no '{}' pooling (VMAF has mean, harmonic, min, p1, p5)",
                    whole, metric, pool));
  }
}

}  // namespace

QualityBound parse_target(const std::string& text, const std::string& pool) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || text.find(">=") != std::string::npos) {
    throw UsageError(fmt::format("target '{}': expected FIGURE=VALUE (vmaf=95, psnr=40)", text));
  }
  QualityBound b;
  b.figure = pooled_figure(text.substr(0, eq), pool, text);
  b.min = parse_number(text.substr(eq + 1), text, "target");
  return b;
}

QualityBound parse_constraint(const std::string& text) {
  const auto ge = text.find(">=");
  if (ge == std::string::npos || ge == 0) {
    throw UsageError(fmt::format(
        "constraint '{}': expected FIGURE>=VALUE or POOL:FIGURE>=VALUE (min:vmaf>=85)", text));
  }
  std::string left = text.substr(0, ge);
  std::string pool;
  if (const auto colon = left.find(':'); colon != std::string::npos) {
    pool = left.substr(0, colon);
    left = left.substr(colon + 1);
  }
  QualityBound b;
  b.figure = pooled_figure(left, pool, text);
  b.min = parse_number(text.substr(ge + 2), text, "constraint");
  return b;
}

ParamDirection param_direction(const std::string& param) {
  for (const char* q : {"crf", "qp", "q", "qscale", "cq", "global_quality", "qmin", "qmax", "cqp",
                        "q:v", "crf_max"}) {
    if (param == q) return ParamDirection::kQualityFalls;
  }
  for (const char* r : {"b", "b:v", "maxrate", "minrate", "bitrate", "vbr"}) {
    if (param == r) return ParamDirection::kQualityRises;
  }
  return ParamDirection::kUnknown;
}

void parse_range(const std::string& text, SearchSpec& spec) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto c = text.find(':', start);
    parts.push_back(text.substr(start, c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) {
    throw UsageError(fmt::format("range '{}': expected LO:HI or LO:HI:STEP (10:51)", text));
  }
  spec.lo = parse_number(parts[0], text, "range");
  spec.hi = parse_number(parts[1], text, "range");
  spec.step = parts.size() == 3 ? parse_number(parts[2], text, "range") : 1;
  if (!(spec.lo < spec.hi) || !(spec.step > 0)) {
    throw UsageError(fmt::format("range '{}': needs LO < HI and a positive STEP", text));
  }
  if ((spec.hi - spec.lo) / spec.step + 1 > static_cast<double>(kMaxValues)) {
    throw UsageError(fmt::format("range '{}': more than {} values", text, kMaxValues));
  }
}

std::vector<double> search_values(const SearchSpec& spec) {
  std::vector<double> v;
  const auto n = static_cast<std::size_t>(std::floor((spec.hi - spec.lo) / spec.step + 1e-9)) + 1;
  for (std::size_t i = 0; i < n && i < kMaxValues; ++i) {
    v.push_back(spec.lo + static_cast<double>(i) * spec.step);
  }
  return v;
}

}  // namespace codecbench
