#include <fmt/core.h>

#include "codecbench/error.hpp"
#include "codecbench/metrics.hpp"
#include "planes.hpp"

namespace codecbench {

namespace detail {
std::unique_ptr<VideoMetric> make_psnr(AVPixelFormat fmt, int w, int h);
std::unique_ptr<VideoMetric> make_ssim(AVPixelFormat fmt, int w, int h);
std::unique_ptr<VideoMetric> make_ms_ssim(AVPixelFormat fmt, int w, int h);

PlaneLayout::PlaneLayout(AVPixelFormat fmt, int w, int h) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  count = d->nb_components;
  depth = d->comp[0].depth;
  rgb = (d->flags & AV_PIX_FMT_FLAG_RGB) != 0;
  std::int64_t total = 0;
  for (int p = 0; p < count; ++p) {
    const bool chroma = !rgb && (p == 1 || p == 2);
    width[p] = chroma ? AV_CEIL_RSHIFT(w, d->log2_chroma_w) : w;
    height[p] = chroma ? AV_CEIL_RSHIFT(h, d->log2_chroma_h) : h;
    total += static_cast<std::int64_t>(width[p]) * height[p];
  }
  for (int p = 0; p < count; ++p) {
    weight[p] = static_cast<double>(width[p]) * height[p] / static_cast<double>(total);
    label[p] = 'a';
  }
  if (rgb) {
    // Component j (r, g, b, a) lives in plane comp[j].plane (GBR formats store G first).
    const char names[4] = {'r', 'g', 'b', 'a'};
    for (int j = 0; j < count; ++j) label[d->comp[j].plane] = names[j];
  } else {
    const char names[4] = {'y', 'u', 'v', 'a'};
    for (int p = 0; p < count; ++p) label[p] = count == 2 && p == 1 ? 'a' : names[p];
  }
}
}  // namespace detail

bool planar_metric_format(AVPixelFormat fmt) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  if (d == nullptr) return false;
  const auto bad = AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
                   AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BAYER;
  if ((d->flags & bad) != 0) return false;
  if (d->nb_components > 1 && (d->flags & AV_PIX_FMT_FLAG_PLANAR) == 0) return false;
  const int depth = d->comp[0].depth;
  if (depth < 8 || depth > 16) return false;
  for (int i = 0; i < d->nb_components; ++i) {
    // One component per plane, no packing: step is the sample size.
    if (d->comp[i].depth != depth || d->comp[i].shift != 0 || d->comp[i].offset != 0) return false;
    if (d->comp[i].step != (depth > 8 ? 2 : 1)) return false;
  }
  return true;
}

const std::vector<VideoMetricKind>& video_metric_registry() {
  static const std::vector<VideoMetricKind> kinds = {
      {"psnr",
       "PSNR per plane and combined, as FFmpeg's psnr filter (libavfilter/vf_psnr.c): "
       "plane MSEs weighted by sample count, run average = PSNR of the mean MSE",
       planar_metric_format, detail::make_psnr, 1},
      {"ssim",
       "SSIM per plane and combined, as FFmpeg's ssim filter (libavfilter/vf_ssim.c; Wang et al. "
       "2004 with overlapped 8x8 block sums), run average = mean of frame values",
       planar_metric_format, detail::make_ssim, 8},
      {"ms_ssim",
       "MS-SSIM of the luma plane (Wang, Simoncelli, Bovik 2003): 5 scales, 11x11 Gaussian "
       "window, sigma 1.5; needs frames of at least 176x176",
       planar_metric_format, detail::make_ms_ssim, 176},
  };
  return kinds;
}

const VideoMetricKind& find_video_metric(const std::string& name) {
  std::string known;
  for (const auto& k : video_metric_registry()) {
    if (k.name == name) return k;
    known += (known.empty() ? "" : ", ") + k.name;
  }
  throw UsageError(fmt::format("unknown video metric '{}' (known: {})", name, known));
}

}  // namespace codecbench
