#pragma once
/// @file results.hpp
/// Named figures of a job result document (the JSON form of transcode.hpp's JobResult, as the
/// store keeps it): what `bdrate --metric`, `compare` and the report read.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace codecbench {

/// The metric names quality_of knows: psnr (average), psnr-y, psnr-u, psnr-v, ssim (All),
/// ssim-y, ms-ssim (Y), snr, si-sdr, segsnr.
const std::vector<std::string>& quality_metric_names();

/// The metric's value in a result document; NaN when the job did not measure it, +infinity
/// for an identical (lossless) result. Throws UsageError for an unknown metric name.
double quality_of(const nlohmann::json& result, const std::string& metric);

/// The job's bitrate in kbit/s (NaN when absent).
double bitrate_of(const nlohmann::json& result);

/// True for audio jobs.
bool is_audio(const nlohmann::json& result);

}  // namespace codecbench
