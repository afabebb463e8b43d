#pragma once
/// @file results.hpp
/// Named figures of a job result document (the JSON form of transcode.hpp's JobResult, as runs
/// keep it): what `bdrate --metric`, `compare`, run's table and the report read. Figure names
/// come from the metric registry (metrics.hpp): `METRIC` is the metric's primary output
/// (`psnr` = the PSNR average, `ssim` = SSIM All, `snr` = SNR dB), `METRIC.OUTPUT` any other
/// declared output (`psnr.y`, `ssim.db`).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "codecbench/metrics/metrics.hpp"

namespace codecbench {

/// One output of one registered metric.
struct QualityFigure {
  const MetricDescriptor* metric = nullptr;
  const MetricOutput* output = nullptr;
  /// "psnr" for a primary output, "psnr.y" otherwise.
  [[nodiscard]] std::string name() const;
  /// "PSNR", "PSNR-Y".
  [[nodiscard]] std::string title() const;
  /// The output's unit ("dB", "").
  [[nodiscard]] const std::string& unit() const { return output->unit; }
};

/// Parses a figure name; throws UsageError naming the known figures (and the right spelling
/// of an old one: `psnr-y` -> `psnr.y`, `ms-ssim` -> `ms_ssim`).
QualityFigure parse_figure(const std::string& name);

/// The primary figure of a media type: the primary output of its first default metric
/// (video: psnr, audio: snr).
QualityFigure primary_figure(MediaType type);

/// Every figure name, metric by metric (primary, then other outputs); kUnknown: both types.
std::vector<std::string> figure_names(MediaType type = MediaType::kUnknown);

/// The figures the report charts (RD curves and BD columns): outputs marked so in the registry.
std::vector<QualityFigure> charted_figures();

/// The figure's value in a result document; NaN when the job did not measure it, +infinity
/// for an identical (lossless) result ("inf" in the document).
double figure_value(const nlohmann::json& result, const QualityFigure& figure);

/// figure_value(result, parse_figure(name)).
double quality_of(const nlohmann::json& result, const std::string& name);

/// The job's bitrate in kbit/s (NaN when absent).
double bitrate_of(const nlohmann::json& result);

/// True for audio jobs.
bool is_audio(const nlohmann::json& result);

/// The media type of a result document (kVideo unless it says audio).
MediaType result_type(const nlohmann::json& result);

}  // namespace codecbench
