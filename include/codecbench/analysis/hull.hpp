#pragma once
/// @file hull.hpp
/// Per-title convex hulls: encodes of one input at several resolutions x rate settings, each
/// measured at the input's resolution, and the upper convex hull of quality against bitrate
/// across resolutions (the per-title method of Netflix's 2015 tech blog post "Per-Title Encode
/// Optimization", and the dynamic optimizer's convex hull, Katsavounidis 2018). The points on
/// the hull are the encodes a ladder should use: each is the best quality for its bitrate among
/// every resolution, and any point below a chord between two hull points is beaten by
/// switching between them. From the hull: a ladder for target bitrates or qualities, and the
/// bitrates at which one resolution's curve overtakes another's.
#include <optional>
#include <string>
#include <vector>

#include "codecbench/analysis/bdrate.hpp"
#include "codecbench/store/run_record.hpp"

namespace codecbench {

/// One measured encode.
struct HullPoint {
  std::string resolution;     ///< the curve it belongs to ("1280x720", "source")
  std::string setting;        ///< what made it ("crf=23"), shown with it
  int width = 0, height = 0;  ///< encoded size (0 when unknown)
  double rate = 0;            ///< bitrate, > 0 (kbit/s)
  double quality = 0;         ///< the chosen figure at the input's resolution
};

/// Where two resolutions' curves cross: above `rate` the higher resolution gives the better
/// quality (each curve linear in log(rate) between its points).
struct Crossover {
  std::string from, to;  ///< lower and higher resolution (by pixels) of two neighbours on the hull
  double rate = 0;       ///< kbit/s
  double quality = 0;    ///< where they cross
};

/// A hull and what is read from it.
struct Hull {
  std::vector<HullPoint> points;     ///< every usable point given (finite, rate > 0)
  std::vector<std::size_t> on_hull;  ///< indexes into `points`, by increasing rate
  std::vector<Crossover> crossovers;
};

/// The upper convex hull of (rate, quality): first the points another point dominates (no more
/// rate and no less quality, one of them strictly) are dropped, then those below a chord between
/// two others; points exactly on a chord are dropped too (they are not vertices). Linear rate,
/// as the rate-distortion (Lagrangian) convex hull of the dynamic optimizer is. Points with a
/// rate <= 0 or a non-finite quality are ignored (not in `points`).
Hull convex_hull(std::vector<HullPoint> points);

/// For each target bitrate: the hull point with the highest rate not above it (the best quality
/// the budget buys); nullopt when even the lowest hull point costs more.
std::vector<std::optional<std::size_t>> ladder_for_rates(const Hull& hull,
                                                         const std::vector<double>& rates);

/// For each target quality: the hull point with the lowest rate that reaches it; nullopt when
/// no hull point does.
std::vector<std::optional<std::size_t>> ladder_for_qualities(const Hull& hull,
                                                             const std::vector<double>& qualities);

/// The hull as a rate-quality curve (for BD-rate between two encoders' hulls, as AWCY's
/// convex-hull comparisons do).
RdCurve hull_curve(const Hull& hull);

/// One input's hull for one encoder label of a run.
struct TitleHull {
  std::string input, label;
  Hull hull;
};

/// The hulls of a run: its finished encode jobs grouped by input and encoder label; a job's
/// point has its scale label as resolution ("source" when unscaled), its encoded size, its
/// options (with the scale) as setting, its bitrate and the named figure (results.hpp, e.g.
/// "vmaf", "psnr"). Jobs without the figure are left out. Throws UsageError for an unknown
/// figure.
std::vector<TitleHull> run_hulls(const RunRecord& run, const std::string& figure);

/// The hulls' vertices as RD samples labelled by encoder label: bd_table() over them gives the
/// BD-rate between two encoders' hulls.
std::vector<RdSample> hull_samples(const std::vector<TitleHull>& hulls);

}  // namespace codecbench
