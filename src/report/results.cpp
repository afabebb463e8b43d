// Named figures of a job result document.
#include "codecbench/results.hpp"

#include <fmt/core.h>

#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "codecbench/error.hpp"

namespace codecbench {
namespace {

// metric name -> (object under "quality", field)
const std::map<std::string, std::pair<const char*, const char*>>& paths() {
  static const std::map<std::string, std::pair<const char*, const char*>> kPaths = {
      {"psnr", {"psnr", "average"}}, {"psnr-y", {"psnr", "y"}}, {"psnr-u", {"psnr", "u"}},
      {"psnr-v", {"psnr", "v"}},     {"ssim", {"ssim", "all"}}, {"ssim-y", {"ssim", "y"}},
      {"ms-ssim", {"ms_ssim", "y"}}, {"snr", {"snr", "db"}},    {"si-sdr", {"si_sdr", "db"}},
      {"segsnr", {"segsnr", "db"}}};
  return kPaths;
}

}  // namespace

const std::vector<std::string>& quality_metric_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> v;
    for (const auto& [k, p] : paths()) v.push_back(k);
    return v;
  }();
  return kNames;
}

double quality_of(const nlohmann::json& result, const std::string& metric) {
  const auto it = paths().find(metric);
  if (it == paths().end()) {
    std::string known;
    for (const auto& k : quality_metric_names()) known += (known.empty() ? "" : ", ") + k;
    throw UsageError(fmt::format("--metric '{}': one of {}", metric, known));
  }
  if (!result.is_object() || !result.contains("quality")) return std::nan("");
  const auto& q = result["quality"];
  if (!q.contains(it->second.first) || !q[it->second.first].contains(it->second.second))
    return std::nan("");
  const auto& v = q[it->second.first][it->second.second];
  if (v.is_string()) return std::numeric_limits<double>::infinity();  // "inf": identical
  return v.is_number() ? v.get<double>() : std::nan("");
}

double bitrate_of(const nlohmann::json& result) {
  if (!result.is_object() || !result.contains("size")) return std::nan("");
  const auto& s = result["size"];
  return s.contains("bitrate_kbps") && s["bitrate_kbps"].is_number()
             ? s["bitrate_kbps"].get<double>()
             : std::nan("");
}

bool is_audio(const nlohmann::json& result) {
  return result.is_object() && result.value("type", "video") == "audio";
}

}  // namespace codecbench
