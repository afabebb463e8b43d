#pragma once
/// @file audio_metrics.hpp
/// Audio quality metrics on aligned signals. They live in the one metric registry
/// (metrics.hpp); this header adds the audio lookup and the alignment search.
/// Signals are planar float channels of equal length at one sample rate.

#include <string>
#include <vector>

#include "codecbench/metrics/metrics.hpp"

namespace codecbench {

/// Kept for the call sites that only deal with audio.
using AudioMetricKind = MetricDescriptor;

/// The audio metrics (find_metric(name, kAudio)).
const MetricDescriptor& find_audio_metric(const std::string& name);

/// Lag (in samples) by which `decoded` trails `reference`, found by maximising the normalised
/// cross-correlation of the channel sums over lags in [-max_lag, max_lag]. 0 when aligned.
int estimate_lag(const AudioChannels& reference, const AudioChannels& decoded, int max_lag);

}  // namespace codecbench
