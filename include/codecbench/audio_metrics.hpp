#pragma once
/// @file audio_metrics.hpp
/// Audio quality metrics on aligned signals, in a registry like the video metrics.
/// Signals are planar float channels of equal length at one sample rate.

#include <functional>
#include <string>
#include <vector>

#include "codecbench/metrics.hpp"

namespace codecbench {

/// Planar float samples: one vector per channel, all the same length.
using AudioChannels = std::vector<std::vector<float>>;

/// One registry entry.
struct AudioMetricKind {
  std::string name;         ///< "snr", "segsnr", "si_sdr"
  std::string description;  ///< definition and source
  /// Values for reference vs. decoded: "db" (channel average) and "ch0", "ch1", ...
  std::function<MetricValues(const AudioChannels& reference, const AudioChannels& decoded,
                             int sample_rate)>
      compute;
};

/// The registered audio metrics.
const std::vector<AudioMetricKind>& audio_metric_registry();

/// Registry lookup; throws UsageError listing the known names.
const AudioMetricKind& find_audio_metric(const std::string& name);

/// Lag (in samples) by which `decoded` trails `reference`, found by maximising the normalised
/// cross-correlation of the channel sums over lags in [-max_lag, max_lag]. 0 when aligned.
int estimate_lag(const AudioChannels& reference, const AudioChannels& decoded, int max_lag);

}  // namespace codecbench
