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

// Column sums over the 4 rows of a block row, then 4 columns at a time into block sums. The
// column loops run over contiguous samples, so the compiler vectorises them; Acc is int32 for
// 8-bit samples (a 4x4 block's sums fit easily) and int64 for deeper ones.
template <typename T, typename Acc>
struct BlockRows {
  std::vector<Acc> a, b, ss, ab;

  /// Block sums of one block row, structure of arrays: s1, s2, ss (a^2 + b^2), s12 (a b).
  struct Out {
    std::vector<Acc> s1, s2, ss, s12;
    void resize(std::size_t n) {
      s1.resize(n);
      s2.resize(n);
      ss.resize(n);
      s12.resize(n);
    }
  };

  void compute(const AVFrame& fa, const AVFrame& fb, int plane, int row, int blocks, Out& out) {
    const auto n = static_cast<std::size_t>(4 * blocks);
    a.resize(n);
    b.resize(n);
    ss.resize(n);
    ab.resize(n);
    Acc* __restrict__ ca = a.data();
    Acc* __restrict__ cb = b.data();
    Acc* __restrict__ css = ss.data();
    Acc* __restrict__ cab = ab.data();
    const T* ra[4];
    const T* rb[4];
    for (int y = 0; y < 4; ++y) {
      ra[y] = reinterpret_cast<const T*>(fa.data[plane] + (4 * row + y) * fa.linesize[plane]);
      rb[y] = reinterpret_cast<const T*>(fb.data[plane] + (4 * row + y) * fb.linesize[plane]);
    }
    const T* __restrict__ a0 = ra[0];
    const T* __restrict__ a1 = ra[1];
    const T* __restrict__ a2 = ra[2];
    const T* __restrict__ a3 = ra[3];
    const T* __restrict__ b0 = rb[0];
    const T* __restrict__ b1 = rb[1];
    const T* __restrict__ b2 = rb[2];
    const T* __restrict__ b3 = rb[3];
#pragma GCC ivdep
    for (std::size_t x = 0; x < n; ++x) {
      const Acc x0 = a0[x], x1 = a1[x], x2 = a2[x], x3 = a3[x];
      const Acc y0 = b0[x], y1 = b1[x], y2 = b2[x], y3 = b3[x];
      ca[x] = x0 + x1 + x2 + x3;
      cb[x] = y0 + y1 + y2 + y3;
      css[x] = x0 * x0 + x1 * x1 + x2 * x2 + x3 * x3 + y0 * y0 + y1 * y1 + y2 * y2 + y3 * y3;
      cab[x] = x0 * y0 + x1 * y1 + x2 * y2 + x3 * y3;
    }
    out.resize(static_cast<std::size_t>(blocks));
    for (std::size_t i = 0; i < static_cast<std::size_t>(blocks); ++i) {
      const std::size_t x = 4 * i;
      out.s1[i] = ca[x] + ca[x + 1] + ca[x + 2] + ca[x + 3];
      out.s2[i] = cb[x] + cb[x + 1] + cb[x + 2] + cb[x + 3];
      out.ss[i] = css[x] + css[x + 1] + css[x + 2] + css[x + 3];
      out.s12[i] = cab[x] + cab[x + 1] + cab[x + 2] + cab[x + 3];
    }
  }
};

// SSIM of every 8x8 window of one line from the block sums of two block rows, then their
// sum in order. Integer terms in Acc (int32 for 8-bit samples, as FFmpeg's C code; nothing
// overflows), the ratio in float as in the reference; the first loop vectorises.
template <typename Acc, typename Rows>
float line_ssim(const Rows& prev, const Rows& cur, std::size_t windows, Acc c1, Acc c2,
                std::vector<float>& scratch) {
  scratch.resize(windows);
  float* __restrict__ out = scratch.data();
  const Acc* __restrict__ p1 = prev.s1.data();
  const Acc* __restrict__ p2 = prev.s2.data();
  const Acc* __restrict__ pss = prev.ss.data();
  const Acc* __restrict__ p12 = prev.s12.data();
  const Acc* __restrict__ q1 = cur.s1.data();
  const Acc* __restrict__ q2 = cur.s2.data();
  const Acc* __restrict__ qss = cur.ss.data();
  const Acc* __restrict__ q12 = cur.s12.data();
  for (std::size_t i = 0; i < windows; ++i) {
    const Acc s1 = p1[i] + p1[i + 1] + q1[i] + q1[i + 1];
    const Acc s2 = p2[i] + p2[i + 1] + q2[i] + q2[i + 1];
    const Acc ss = pss[i] + pss[i + 1] + qss[i] + qss[i + 1];
    const Acc s12 = p12[i] + p12[i + 1] + q12[i] + q12[i + 1];
    const Acc vars = ss * 64 - s1 * s1 - s2 * s2;
    const Acc covar = s12 * 64 - s1 * s2;
    out[i] = static_cast<float>(2 * s1 * s2 + c1) * static_cast<float>(2 * covar + c2) /
             (static_cast<float>(s1 * s1 + s2 * s2 + c1) * static_cast<float>(vars + c2));
  }
  float sum = 0.0F;
  for (std::size_t i = 0; i < windows; ++i) sum += out[i];
  return sum;
}

template <typename T, typename Acc>
double plane_ssim(const AVFrame& a, const AVFrame& b, int plane, int w, int h, int max) {
  const int bw = w >> 2;
  const int bh = h >> 2;
  if (bw < 2 || bh < 2) return 1.0;  // too small for one 8x8 window
  const auto c1 = static_cast<Acc>(.01 * .01 * max * max * 64 + .5);
  const auto c2 = static_cast<Acc>(.03 * .03 * max * max * 64 * 63 + .5);
  std::vector<float> line_sum(static_cast<std::size_t>(bh), 0.0F);
  tbb::parallel_for(tbb::blocked_range<int>(1, bh, 8), [&](const tbb::blocked_range<int>& r) {
    using Rows = typename BlockRows<T, Acc>::Out;
    Rows prev, cur;
    std::vector<float> scratch;
    BlockRows<T, Acc> rows;
    rows.compute(a, b, plane, r.begin() - 1, bw, prev);
    for (int y = r.begin(); y < r.end(); ++y) {
      rows.compute(a, b, plane, y, bw, cur);
      line_sum[static_cast<std::size_t>(y)] =
          line_ssim<Acc>(prev, cur, static_cast<std::size_t>(bw - 1), c1, c2, scratch);
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
      const double v = layout_.depth > 8
                           ? plane_ssim<std::uint16_t, std::int64_t>(dist, ref, p, layout_.width[p],
                                                                     layout_.height[p], max)
                           : plane_ssim<std::uint8_t, std::int32_t>(dist, ref, p, layout_.width[p],
                                                                    layout_.height[p], max);
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

std::vector<MetricOutput> plane_outputs(const std::string& title, const std::string& unit);

MetricDescriptor ssim_descriptor() {
  MetricDescriptor d;
  d.name = "ssim";
  d.type = MediaType::kVideo;
  d.title = "SSIM";
  d.description =
      "SSIM per plane and combined, as FFmpeg's ssim filter (libavfilter/vf_ssim.c; Wang et al. "
      "2004 with overlapped 8x8 block sums), run average = mean of frame values";
  d.outputs = {{"all", "", Better::kHigher, false, "SSIM", true}};
  for (auto& o : plane_outputs("SSIM", "")) d.outputs.push_back(std::move(o));
  d.outputs.push_back({"db", "dB", Better::kHigher, false, "SSIM (dB)"});
  d.measured_by_default = true;
  d.cost = 4;
  d.supports = planar_metric_format;
  d.create = [](AVPixelFormat fmt, int w, int h,
                const MetricOptionValues&) -> std::unique_ptr<VideoMetric> {
    return std::make_unique<Ssim>(fmt, w, h);
  };
  d.min_size = 8;
  return d;
}

}  // namespace codecbench::detail
