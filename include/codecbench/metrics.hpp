#pragma once
/// @file metrics.hpp
/// Video quality metrics, computed exactly as FFmpeg's psnr and ssim filters compute them, in a
/// registry of self-describing entries (name, description, supported formats, factory), so a
/// new metric is one new file plus one registry line.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "codecbench/av.hpp"

namespace codecbench {

/// Named values, in a stable order (e.g. {"y", 41.2}, {"u", 44.0}, ...).
using MetricValues = std::vector<std::pair<std::string, double>>;

/// Accumulates one metric over frame pairs of one format and size.
class VideoMetric {
 public:
  virtual ~VideoMetric() = default;
  /// Compares one decoded frame with its reference (same pixel format and size).
  /// Returns this frame's values.
  virtual MetricValues add(const AVFrame& reference, const AVFrame& distorted) = 0;
  /// Whole-run values, averaged as the FFmpeg filter averages them.
  [[nodiscard]] virtual MetricValues summary() const = 0;
};

/// One registry entry.
struct VideoMetricKind {
  std::string name;         ///< "psnr", "ssim"
  std::string description;  ///< one line, with the definition's source
  /// Pixel formats the metric works on (planar YUV, gray, GBR; 8 to 16 bits).
  std::function<bool(AVPixelFormat)> supports;
  /// New accumulator for frames of this format and size.
  std::function<std::unique_ptr<VideoMetric>(AVPixelFormat, int width, int height)> create;
  /// Smallest width and height the metric is defined for, pixels.
  int min_size = 1;
};

/// The registered video metrics.
const std::vector<VideoMetricKind>& video_metric_registry();

/// Registry lookup; throws UsageError listing the known names when `name` is unknown.
const VideoMetricKind& find_video_metric(const std::string& name);

/// True for the planar formats FFmpeg's psnr/ssim filters accept (gray, planar YUV, GBR;
/// 8 to 16 bits per sample, little endian).
bool planar_metric_format(AVPixelFormat fmt);

}  // namespace codecbench
