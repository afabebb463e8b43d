#pragma once
/// @file metrics.hpp
/// Quality metrics, video and audio, in one registry of self-describing entries, as libvmaf's
/// feature extractors declare themselves: each metric states its outputs (name, unit,
/// direction, per-plane or not; the first is its primary figure), its options, its cost, and
/// how to compute it. Everything that names a metric (presets' `metrics:`, result reading,
/// run's table, compare, bdrate, the report, help text) reads this registry, so a new metric
/// is one new file plus one registry line (docs/metrics.md shows one worked through).
///
/// Video metrics are computed exactly as FFmpeg's psnr and ssim filters compute them.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/core/av.hpp"

namespace codecbench {

/// Named values, in a stable order (e.g. {"y", 41.2}, {"u", 44.0}, ...).
using MetricValues = std::vector<std::pair<std::string, double>>;

/// A metric's option values, as given ("model", "neg"): key, value; in order.
using MetricOptionValues = std::vector<std::pair<std::string, std::string>>;

/// Planar float audio samples: one vector per channel, all the same length.
using AudioChannels = std::vector<std::vector<float>>;

/// Accumulates one video metric over frame pairs of one format and size.
class VideoMetric {
 public:
  virtual ~VideoMetric() = default;
  /// Compares one decoded frame with its reference (same pixel format and size).
  /// Returns this frame's values.
  virtual MetricValues add(const AVFrame& reference, const AVFrame& distorted) = 0;
  /// Whole-run values, averaged as the FFmpeg filter averages them.
  [[nodiscard]] virtual MetricValues summary() const = 0;
  /// True when a frame's values are known only later (VMAF's motion needs the next frame):
  /// add() then returns nothing and frame_values() gives every frame's at the end.
  [[nodiscard]] virtual bool defers_frames() const { return false; }
  /// Every frame's values, in order, when defers_frames().
  [[nodiscard]] virtual std::vector<MetricValues> frame_values() const { return {}; }
};

/// Which way a figure improves.
enum class Better { kHigher, kLower };

/// One value a metric reports (a key of the metric's object under `quality` in a job result).
struct MetricOutput {
  std::string name;  ///< key in the result ("average", "y", "db")
  std::string unit;  ///< "dB", "" for unitless
  Better better = Better::kHigher;
  bool per_component = false;  ///< one plane (y, u, v, r, g, b, a) or channel; false: combined
  std::string title;           ///< for tables and charts ("PSNR-Y")
  bool charted = false;        ///< an RD curve and a BD-rate column in the report
};

/// One option a metric takes (VMAF's model, pooling, ...), given as "name:key=value:...".
struct MetricOption {
  std::string name;
  std::string default_value;
  std::string description;
};

/// One registry entry. Video metrics set `supports`/`create`; audio metrics set `compute`.
struct MetricDescriptor {
  std::string name;  ///< the one spelling: presets, result keys, --metric ("psnr", "ms_ssim")
  MediaType type = MediaType::kVideo;  ///< kVideo or kAudio
  std::string title;                   ///< "PSNR"
  std::string description;             ///< one line, with the definition's source
  /// Its outputs; the first is the metric's primary figure (what `--metric NAME` reads).
  std::vector<MetricOutput> outputs;
  bool measured_by_default = false;  ///< measured when a job names no metrics
  /// Relative cost per pixel (video) or sample (audio), PSNR = 1: what a scheduler may use.
  double cost = 1;
  std::vector<MetricOption> options;

  // Video metrics
  /// Pixel formats the metric works on (planar YUV, gray, GBR; 8 to 16 bits).
  std::function<bool(AVPixelFormat)> supports;
  /// New accumulator for frames of this format and size, with the options given (checked
  /// against `options`; absent ones take their defaults).
  std::function<std::unique_ptr<VideoMetric>(AVPixelFormat, int width, int height,
                                             const MetricOptionValues& options)>
      create;
  /// Smallest width and height the metric is defined for, pixels.
  int min_size = 1;

  // Audio metrics
  /// Values for reference vs. decoded: "db" (channel average) and "ch0", "ch1", ...
  std::function<MetricValues(const AudioChannels& reference, const AudioChannels& decoded,
                             int sample_rate)>
      compute;

  [[nodiscard]] const MetricOutput& primary() const { return outputs.front(); }
};

/// Kept for the call sites that only deal with one media type.
using VideoMetricKind = MetricDescriptor;

/// Every registered metric, video first, in registry order.
const std::vector<MetricDescriptor>& metric_registry();

/// A metric as a job names it: "vmaf" or "vmaf:model=neg:pool=harmonic_mean".
struct MetricSpec {
  std::string name;            ///< the registry name (result key)
  MetricOptionValues options;  ///< as given, checked against the descriptor's options
};

/// Parses "NAME[:KEY=VALUE]..."; UsageError for an unknown metric or option, or a metric
/// without options given some.
MetricSpec parse_metric_spec(const std::string& text);

/// `metrics` (a job's list; empty = the video defaults) with `key=value` set on `metric`'s
/// spec, the metric added when absent: what `--vmaf-model FILE` does. UsageError for a list of
/// "none" or an unknown option.
std::vector<std::string> with_metric_option(std::vector<std::string> metrics,
                                            const std::string& metric, const std::string& key,
                                            const std::string& value);

/// Registry lookup of a name or a spec with options ("vmaf:model=neg"); throws UsageError
/// naming the known metrics (and the closest one).
const MetricDescriptor& find_metric(const std::string& name);

/// Lookup restricted to one media type: UsageError when `name` is unknown or of the other type.
const MetricDescriptor& find_metric(const std::string& name, MediaType type);

/// The video metrics (find_metric(name, kVideo)).
const MetricDescriptor& find_video_metric(const std::string& name);

/// Names of the metrics measured when a job names none, for a media type.
std::vector<std::string> default_metric_names(MediaType type);

/// Names of all metrics of a media type (kUnknown: all), comma-separated, for help text.
std::string metric_names_text(MediaType type = MediaType::kUnknown);

/// True for the planar formats FFmpeg's psnr/ssim filters accept (gray, planar YUV, GBR;
/// 8 to 16 bits per sample, little endian).
bool planar_metric_format(AVPixelFormat fmt);

}  // namespace codecbench
