// SSIM as FFmpeg's ssim filter defines it (libavfilter/vf_ssim.c, after x264's implementation):
// Wang, Bovik, Sheikh, Simoncelli, "Image quality assessment: from error visibility to
// structural similarity", IEEE TIP 13(4), 2004, with the usual speed-up of overlapped 8x8
// windows built from 4x4 block sums (stride 4) instead of a Gaussian window.
//   C1 = round(0.01^2 max^2 64), C2 = round(0.03^2 max^2 64 63), on sums over 64 samples;
//   plane SSIM = mean over the (W/4 - 1)(H/4 - 1) windows; frame SSIM = sum_c weight_c SSIM_c
//   with weight_c = w_c h_c / sum(w h); the run's value is the mean of frame values and
//   dB = 10 log10(1 / (1 - SSIM)).
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "codecbench/metrics.hpp"
#include "planes.hpp"

namespace codecbench::detail {
namespace {

using Sums = std::array<std::int64_t, 4>;  // sum a, sum b, sum a^2 + b^2, sum a b

template <typename T>
void block_row(const AVFrame& a, const AVFrame& b, int plane, int row, int blocks, Sums* out) {
  for (int i = 0; i < blocks; ++i) {
    std::int64_t s1 = 0, s2 = 0, ss = 0, s12 = 0;
    for (int y = 0; y < 4; ++y) {
      const T* pa = reinterpret_cast<const T*>(a.data[plane] + (4 * row + y) * a.linesize[plane]);
      const T* pb = reinterpret_cast<const T*>(b.data[plane] + (4 * row + y) * b.linesize[plane]);
      for (int x = 4 * i; x < 4 * i + 4; ++x) {
        const std::int64_t va = pa[x];
        const std::int64_t vb = pb[x];
        s1 += va;
        s2 += vb;
        ss += va * va + vb * vb;
        s12 += va * vb;
      }
    }
    out[i] = {s1, s2, ss, s12};
  }
}

// One 8x8 window from its four 4x4 block sums; float arithmetic as in the reference.
float window_ssim(std::int64_t s1, std::int64_t s2, std::int64_t ss, std::int64_t s12,
                  std::int64_t c1, std::int64_t c2) {
  const std::int64_t vars = ss * 64 - s1 * s1 - s2 * s2;
  const std::int64_t covar = s12 * 64 - s1 * s2;
  return static_cast<float>(2 * s1 * s2 + c1) * static_cast<float>(2 * covar + c2) /
         (static_cast<float>(s1 * s1 + s2 * s2 + c1) * static_cast<float>(vars + c2));
}

template <typename T>
double plane_ssim(const AVFrame& a, const AVFrame& b, int plane, int w, int h, int max) {
  const int bw = w >> 2;
  const int bh = h >> 2;
  if (bw < 2 || bh < 2) return 1.0;  // too small for one 8x8 window
  const auto c1 = static_cast<std::int64_t>(.01 * .01 * max * max * 64 + .5);
  const auto c2 = static_cast<std::int64_t>(.03 * .03 * max * max * 64 * 63 + .5);
  std::vector<float> line_sum(static_cast<std::size_t>(bh), 0.0F);
  tbb::parallel_for(tbb::blocked_range<int>(1, bh, 8), [&](const tbb::blocked_range<int>& r) {
    std::vector<Sums> prev(static_cast<std::size_t>(bw));
    std::vector<Sums> cur(static_cast<std::size_t>(bw));
    block_row<T>(a, b, plane, r.begin() - 1, bw, prev.data());
    for (int y = r.begin(); y < r.end(); ++y) {
      block_row<T>(a, b, plane, y, bw, cur.data());
      float sum = 0.0F;
      for (int i = 0; i < bw - 1; ++i) {
        sum += window_ssim(prev[i][0] + prev[i + 1][0] + cur[i][0] + cur[i + 1][0],
                           prev[i][1] + prev[i + 1][1] + cur[i][1] + cur[i + 1][1],
                           prev[i][2] + prev[i + 1][2] + cur[i][2] + cur[i + 1][2],
                           prev[i][3] + prev[i + 1][3] + cur[i][3] + cur[i + 1][3], c1, c2);
      }
      line_sum[static_cast<std::size_t>(y)] = sum;
      std::swap(prev, cur);
    }
  });
  double total = 0;
  for (float s : line_sum) total += s;  // fixed order: the result does not depend on threads
  return total / (static_cast<double>(bh - 1) * (bw - 1));
}

double ssim_db(double ssim, double weight) { return 10.0 * std::log10(weight / (weight - ssim)); }

class Ssim final : public VideoMetric {
 public:
  Ssim(AVPixelFormat fmt, int w, int h) : layout_(fmt, w, h) {}

  MetricValues add(const AVFrame& ref, const AVFrame& dist) override {
    MetricValues out;
    const int max = (1 << layout_.depth) - 1;
    float all = 0.0F;
    for (int p = 0; p < layout_.count; ++p) {
      const double v =
          layout_.depth > 8
              ? plane_ssim<std::uint16_t>(dist, ref, p, layout_.width[p], layout_.height[p], max)
              : plane_ssim<std::uint8_t>(dist, ref, p, layout_.width[p], layout_.height[p], max);
      sum_[p] += v;
      all += static_cast<float>(layout_.weight[p]) * static_cast<float>(v);
      out.emplace_back(std::string(1, layout_.label[p]), v);
    }
    total_ += all;
    ++frames_;
    out.emplace_back("all", all);
    out.emplace_back("db", ssim_db(all, 1.0));
    return out;
  }

  [[nodiscard]] MetricValues summary() const override {
    MetricValues out;
    const double n = static_cast<double>(frames_);
    for (int p = 0; p < layout_.count; ++p) {
      out.emplace_back(std::string(1, layout_.label[p]), sum_[p] / n);
    }
    out.emplace_back("all", total_ / n);
    out.emplace_back("db", ssim_db(total_, n));
    return out;
  }

 private:
  PlaneLayout layout_;
  std::array<double, 4> sum_{};
  double total_ = 0;
  std::uint64_t frames_ = 0;
};

}  // namespace

std::unique_ptr<VideoMetric> make_ssim(AVPixelFormat fmt, int w, int h) {
  return std::make_unique<Ssim>(fmt, w, h);
}

}  // namespace codecbench::detail
