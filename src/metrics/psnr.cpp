// PSNR as FFmpeg's psnr filter defines it (libavfilter/vf_psnr.c, FFmpeg 5.1):
//   MSE_c = sum (a - b)^2 / (w_c h_c) per plane; frame MSE = sum_c weight_c MSE_c with
//   weight_c = w_c h_c / sum(w h); PSNR = 10 log10(max^2 / MSE); the run's average is the PSNR
//   of the mean MSE over frames (not the mean of frame PSNRs), per plane with max_c and combined
//   with max = round(sum_c weight_c max_c). "min"/"max" are the PSNRs of the worst/best frame.
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>

#include "codecbench/metrics/metrics.hpp"
#include "planes.hpp"
#include "simd.hpp"

namespace codecbench::detail {
namespace {

// Sum of squared differences of one 8-bit line, built for x86-64-v4, AVX2 and the baseline;
// 32-bit sums over at most 32768 samples at a time (32768 x 255^2 < 2^31).
CODECBENCH_SIMD_CLONES std::uint64_t line_sse_u8(const std::uint8_t* __restrict a,
                                                 const std::uint8_t* __restrict b, int w) {
  std::uint64_t total = 0;
  for (int x0 = 0; x0 < w; x0 += 32768) {
    const int end = std::min(w, x0 + 32768);
    std::int32_t s = 0;
    for (int x = x0; x < end; ++x) {
      const std::int32_t d = static_cast<std::int32_t>(a[x]) - b[x];
      s += d * d;
    }
    total += static_cast<std::uint64_t>(s);
  }
  return total;
}

template <typename T>
std::uint64_t plane_sse(const AVFrame& a, const AVFrame& b, int plane, int w, int h) {
  return tbb::parallel_reduce(
      tbb::blocked_range<int>(0, h, 16), std::uint64_t{0},
      [&](const tbb::blocked_range<int>& rows, std::uint64_t acc) {
        for (int y = rows.begin(); y < rows.end(); ++y) {
          const T* pa = reinterpret_cast<const T*>(a.data[plane] + y * a.linesize[plane]);
          const T* pb = reinterpret_cast<const T*>(b.data[plane] + y * b.linesize[plane]);
          if constexpr (sizeof(T) == 1) {
            acc += line_sse_u8(pa, pb, w);
            continue;
          }
          std::uint64_t line = 0;
          for (int x = 0; x < w; ++x) {
            const std::int64_t d = static_cast<std::int64_t>(pa[x]) - pb[x];
            line += static_cast<std::uint64_t>(d * d);
          }
          acc += line;
        }
        return acc;
      },
      std::plus<>());
}

double psnr(double mse, double max) {
  return 10.0 * std::log10(max * max / mse);  // +inf for identical planes, as ffmpeg prints "inf"
}

class Psnr final : public VideoMetric {
 public:
  Psnr(AVPixelFormat fmt, int w, int h) : layout_(fmt, w, h) {
    double average_max = 0;
    for (int p = 0; p < layout_.count; ++p) {
      max_[p] = static_cast<double>((1 << layout_.depth) - 1);
      average_max += max_[p] * layout_.weight[p];
    }
    average_max_ = std::lrint(average_max);
  }

  MetricValues add(const AVFrame& ref, const AVFrame& dist) override {
    MetricValues out;
    double frame_mse = 0;
    for (int p = 0; p < layout_.count; ++p) {
      const std::uint64_t sse =
          layout_.depth > 8
              ? plane_sse<std::uint16_t>(ref, dist, p, layout_.width[p], layout_.height[p])
              : plane_sse<std::uint8_t>(ref, dist, p, layout_.width[p], layout_.height[p]);
      const double mse =
          static_cast<double>(sse) / (static_cast<double>(layout_.width[p]) * layout_.height[p]);
      mse_sum_[p] += mse;
      frame_mse += mse * layout_.weight[p];
      out.emplace_back(std::string(1, layout_.label[p]), psnr(mse, max_[p]));
    }
    mse_total_ += frame_mse;
    min_mse_ = std::min(min_mse_, frame_mse);
    max_mse_ = std::max(max_mse_, frame_mse);
    ++frames_;
    out.emplace_back("average", psnr(frame_mse, average_max_));
    out.emplace_back("mse", frame_mse);
    return out;
  }

  [[nodiscard]] MetricValues summary() const override {
    MetricValues out;
    const double n = static_cast<double>(frames_);
    for (int p = 0; p < layout_.count; ++p) {
      out.emplace_back(std::string(1, layout_.label[p]), psnr(mse_sum_[p] / n, max_[p]));
    }
    out.emplace_back("average", psnr(mse_total_ / n, average_max_));
    out.emplace_back("min", psnr(max_mse_, average_max_));
    out.emplace_back("max", psnr(min_mse_, average_max_));
    out.emplace_back("mse", mse_total_ / n);
    return out;
  }

 private:
  PlaneLayout layout_;
  std::array<double, 4> max_{};
  double average_max_ = 255;
  std::array<double, 4> mse_sum_{};
  double mse_total_ = 0;
  double min_mse_ = std::numeric_limits<double>::infinity();
  double max_mse_ = 0;
  std::uint64_t frames_ = 0;
};

}  // namespace

std::vector<MetricOutput> plane_outputs(const std::string& title, const std::string& unit);

MetricDescriptor psnr_descriptor() {
  MetricDescriptor d;
  d.name = "psnr";
  d.type = MediaType::kVideo;
  d.title = "PSNR";
  d.description =
      "PSNR per plane and combined, as FFmpeg's psnr filter (libavfilter/vf_psnr.c): plane MSEs "
      "weighted by sample count, run average = PSNR of the mean MSE";
  d.outputs = {{"average", "dB", Better::kHigher, false, "PSNR", true}};
  for (auto& o : plane_outputs("PSNR", "dB")) {
    o.charted = o.name == "y";
    d.outputs.push_back(std::move(o));
  }
  d.outputs.push_back({"min", "dB", Better::kHigher, false, "PSNR (worst frame)"});
  d.outputs.push_back({"max", "dB", Better::kHigher, false, "PSNR (best frame)"});
  d.outputs.push_back({"mse", "", Better::kLower, false, "MSE"});
  d.measured_by_default = true;
  d.cost = 1;
  d.supports = planar_metric_format;
  d.create = [](AVPixelFormat fmt, int w, int h,
                const MetricOptionValues&) -> std::unique_ptr<VideoMetric> {
    return std::make_unique<Psnr>(fmt, w, h);
  };
  d.min_size = 1;
  return d;
}

}  // namespace codecbench::detail
