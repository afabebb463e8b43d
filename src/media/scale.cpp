// Scaled encodes: parsing the asked size, the swscale algorithm names, the encoded size.
#include <fmt/core.h>

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "codecbench/core/error.hpp"
#include "codecbench/media/transcode.hpp"

extern "C" {
#include <libswscale/swscale.h>
}

namespace codecbench {
namespace {

constexpr int kMaxSide = 16384;

struct NamedScaler {
  const char* name;
  int flag;
};
// The names of FFmpeg's scale filter's `flags` option, for the same swscale algorithms.
constexpr std::array<NamedScaler, 9> kScalers{{{"bicubic", SWS_BICUBIC},
                                               {"bilinear", SWS_BILINEAR},
                                               {"lanczos", SWS_LANCZOS},
                                               {"spline", SWS_SPLINE},
                                               {"area", SWS_AREA},
                                               {"neighbor", SWS_POINT},
                                               {"gauss", SWS_GAUSS},
                                               {"sinc", SWS_SINC},
                                               {"fast_bilinear", SWS_FAST_BILINEAR}}};

// A side of the asked size: "" = 0 (follows the aspect ratio), else 2..kMaxSide.
int parse_side(const std::string& text, const std::string& whole) {
  if (text.empty()) return 0;
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 2 || v > kMaxSide) {
    throw UsageError(
        fmt::format("scale '{}': each side must be a whole number from 2 to {} (WxH, Wx, xH or Hp)",
                    whole, kMaxSide));
  }
  return v;
}

int even(double v) { return std::max(2, 2 * static_cast<int>(std::lround(v / 2.0))); }

}  // namespace

ScaleSpec parse_scale(const std::string& text) {
  ScaleSpec s;
  const auto x = text.find('x');
  if (x != std::string::npos) {
    s.width = parse_side(text.substr(0, x), text);
    s.height = parse_side(text.substr(x + 1), text);
  } else if (!text.empty() && text.back() == 'p') {
    s.height = parse_side(text.substr(0, text.size() - 1), text);
  } else {
    throw UsageError(
        fmt::format("scale '{}': expected WxH, Wx, xH or Hp (e.g. 1280x720, 720p)", text));
  }
  if (!s.active()) throw UsageError(fmt::format("scale '{}': give a width or a height", text));
  return s;
}

std::string scale_text(const ScaleSpec& scale) {
  if (!scale.active()) return "";
  std::string t = scale.width == 0    ? fmt::format("{}p", scale.height)
                  : scale.height == 0 ? fmt::format("{}x", scale.width)
                                      : fmt::format("{}x{}", scale.width, scale.height);
  if (scale.scaler != "bicubic") t += "/" + scale.scaler;
  return t;
}

int scaler_flags(const std::string& name) {
  std::string known;
  for (const auto& s : kScalers) {
    if (name == s.name) return s.flag;
    known += (known.empty() ? "" : ", ") + std::string(s.name);
  }
  throw UsageError(fmt::format("scaler '{}' is not one of: {}", name, known));
}

std::pair<int, int> scaled_size(const ScaleSpec& scale, int width, int height, AVRational sar) {
  // Display aspect ratio: a missing side keeps it, as scale=-2:H does in FFmpeg.
  const double pixel_aspect = sar.num > 0 && sar.den > 0 ? av_q2d(sar) : 1.0;
  const double dar = static_cast<double>(width) * pixel_aspect / height;
  int w = scale.width;
  int h = scale.height;
  if (w == 0) w = even(h * dar / pixel_aspect);
  if (h == 0) h = even(w / dar * pixel_aspect);
  if (w > kMaxSide || h > kMaxSide) {
    throw UsageError(fmt::format("scale {}x{}: larger than {} on a side", w, h, kMaxSide));
  }
  if (!scale.allow_upscale && (w > width || h > height)) {
    throw UsageError(fmt::format(
        "scale {}x{} is larger than the source's {}x{} (allow it with --allow-upscale or "
        "allow_upscale: true)",
        w, h, width, height));
  }
  return {w, h};
}

}  // namespace codecbench
