// MS-SSIM on the luma plane: Wang, Simoncelli, Bovik, "Multiscale structural similarity for
// image quality assessment", Asilomar 2003. Five scales with the paper's exponents
// (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), an 11x11 Gaussian window with sigma 1.5 applied
// "valid" (no padding), C1 = (0.01 L)^2, C2 = (0.03 L)^2, and 2x2 averaging between scales.
// As in TensorFlow's tf.image.ssim_multiscale, scales 1-4 contribute their mean
// contrast-structure term and scale 5 its mean SSIM; negative terms are clamped to 0 before
// the fractional powers. The run's value is the mean of frame values.
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "codecbench/metrics/metrics.hpp"
#include "planes.hpp"
#include "simd.hpp"

namespace codecbench::detail {
namespace {

constexpr int kScales = 5;
constexpr std::array<double, kScales> kWeights = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};
constexpr int kTaps = 11;

std::array<double, kTaps> gaussian() {
  std::array<double, kTaps> g{};
  double sum = 0;
  for (int i = 0; i < kTaps; ++i) {
    const double x = i - kTaps / 2;
    g[static_cast<std::size_t>(i)] = std::exp(-x * x / (2 * 1.5 * 1.5));
    sum += g[static_cast<std::size_t>(i)];
  }
  for (auto& v : g) v /= sum;
  return g;
}

struct Image {
  int w = 0, h = 0;
  std::vector<float> px;
  [[nodiscard]] float at(int x, int y) const {
    return px[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
              static_cast<std::size_t>(x)];
  }
};

// Grows `v` to at least `n` elements, never shrinks it: a buffer reused across frames and
// scales is zero-filled once, not every time a larger scale follows a smaller one.
void ensure(std::vector<float>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

// The luma plane as floats into `img` (whose buffer is reused from frame to frame).
template <typename T>
void luma(const AVFrame& f, int w, int h, Image& img) {
  img.w = w;
  img.h = h;
  ensure(img.px, static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  for (int y = 0; y < h; ++y) {
    const T* row = reinterpret_cast<const T*>(f.data[0] + y * f.linesize[0]);
    for (int x = 0; x < w; ++x)
      img.px[static_cast<std::size_t>(y * w + x)] = static_cast<float>(row[x]);
  }
}

// One row of 2x2 averages: out[x] = ((r0[2x] + r0[2x + 1]) + r1[2x]) + r1[2x + 1], times 1/4.
CODECBENCH_SIMD_CLONES void half_row(const float* __restrict r0, const float* __restrict r1,
                                     std::size_t n, float* __restrict out) {
  for (std::size_t x = 0; x < n; ++x) {
    out[x] = 0.25F * (r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1]);
  }
}

// 2x2 averages of `in` into `out` (buffer reused).
void half(const Image& in, Image& out) {
  out.w = in.w / 2;
  out.h = in.h / 2;
  ensure(out.px, static_cast<std::size_t>(out.w) * static_cast<std::size_t>(out.h));
  const auto w = static_cast<std::size_t>(in.w);
  const auto ow = static_cast<std::size_t>(out.w);
  for (std::size_t y = 0; y < static_cast<std::size_t>(out.h); ++y) {
    half_row(&in.px[2 * y * w], &in.px[(2 * y + 1) * w], ow, &out.px[y * ow]);
  }
}

// Row sums of `rows` rows of cs and SSIM terms (row i at offset i * n), each added in column
// order from zero as one chain, as a row-at-a-time loop would; the rows' chains run side by
// side, which hides the latency of the double additions.
void row_sums(const double* __restrict cs, const double* __restrict ss, std::size_t n, int rows,
              double* __restrict cs_sum, double* __restrict ss_sum) {
  if (rows == 4) {
    double c0 = 0, c1 = 0, c2 = 0, c3 = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (std::size_t x = 0; x < n; ++x) {
      c0 += cs[x];
      c1 += cs[n + x];
      c2 += cs[2 * n + x];
      c3 += cs[3 * n + x];
      s0 += ss[x];
      s1 += ss[n + x];
      s2 += ss[2 * n + x];
      s3 += ss[3 * n + x];
    }
    cs_sum[0] = c0;
    cs_sum[1] = c1;
    cs_sum[2] = c2;
    cs_sum[3] = c3;
    ss_sum[0] = s0;
    ss_sum[1] = s1;
    ss_sum[2] = s2;
    ss_sum[3] = s3;
    return;
  }
  for (int i = 0; i < rows; ++i) {
    double c = 0, s = 0;
    const std::size_t o = static_cast<std::size_t>(i) * n;
    for (std::size_t x = 0; x < n; ++x) {
      c += cs[o + x];
      s += ss[o + x];
    }
    cs_sum[i] = c;
    ss_sum[i] = s;
  }
}

// Contrast-structure and SSIM per pixel from the window moments, in double.
CODECBENCH_SIMD_CLONES void ssim_terms(const float* __restrict mua, const float* __restrict mub,
                                       const float* __restrict eaa, const float* __restrict ebb,
                                       const float* __restrict eab, std::size_t n, double c1,
                                       double c2, double* __restrict cs_out,
                                       double* __restrict ssim_out) {
  for (std::size_t x = 0; x < n; ++x) {
    const double m1 = mua[x], m2 = mub[x];
    const double va = eaa[x] - m1 * m1, vb = ebb[x] - m2 * m2, cov = eab[x] - m1 * m2;
    const double cs = (2 * cov + c2) / (va + vb + c2);
    const double l = (2 * m1 * m2 + c1) / (m1 * m1 + m2 * m2 + c1);
    cs_out[x] = cs;
    ssim_out[x] = l * cs;
  }
}

// The horizontal window sums of one row's five moments: out_q[x] = sum_k g[k] m_q[x + k] for
// m = a, b, a a, b b, a b, each product rounded to float first and the taps added in index
// order from zero, as window_sum over rows of the products computes them. Two loads per tap
// serve all five sums, where five window_sum passes load five times: the filters are bound
// by loads on this machine (docs/performance.md). Eight outputs per step, the last step
// ending at n (overlapping outputs already written get the same values again).
CODECBENCH_SIMD_CLONES void horizontal_moments(const float* __restrict ra,
                                               const float* __restrict rb,
                                               const float* __restrict g, int taps, std::size_t n,
                                               float* __restrict oa, float* __restrict ob,
                                               float* __restrict oaa, float* __restrict obb,
                                               float* __restrict oab) {
  if (n < 8) {
    for (std::size_t x = 0; x < n; ++x) {
      float sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (int k = 0; k < taps; ++k) {
        const float va = ra[x + static_cast<std::size_t>(k)];
        const float vb = rb[x + static_cast<std::size_t>(k)];
        const float aa = va * va, bb = vb * vb, ab = va * vb;
        sa += g[k] * va;
        sb += g[k] * vb;
        saa += g[k] * aa;
        sbb += g[k] * bb;
        sab += g[k] * ab;
      }
      oa[x] = sa;
      ob[x] = sb;
      oaa[x] = saa;
      obb[x] = sbb;
      oab[x] = sab;
    }
    return;
  }
  for (std::size_t at = 0;;) {
    v8 sa = {}, sb = {}, saa = {}, sbb = {}, sab = {};
    for (int k = 0; k < taps; ++k) {
      v8 va, vb;
      CODECBENCH_LOAD8(va, ra + at + static_cast<std::size_t>(k));
      CODECBENCH_LOAD8(vb, rb + at + static_cast<std::size_t>(k));
      const v8 aa = va * va, bb = vb * vb, ab = va * vb;
      sa += g[k] * va;
      sb += g[k] * vb;
      saa += g[k] * aa;
      sbb += g[k] * bb;
      sab += g[k] * ab;
    }
    CODECBENCH_STORE8(oa + at, sa);
    CODECBENCH_STORE8(ob + at, sb);
    CODECBENCH_STORE8(oaa + at, saa);
    CODECBENCH_STORE8(obb + at, sbb);
    CODECBENCH_STORE8(oab + at, sab);
    if (at + 8 == n) break;
    at = at + 16 <= n ? at + 8 : n - 8;
  }
}

// Scratch of one worker: a ring of the five horizontal moment rows, and row buffers.
struct Strip {
  std::array<std::vector<float>, 5> h;  // kRing rows of width ow: input row y in slot y % kRing
  std::array<std::vector<float>, 5> e;  // kSumRows rows of the vertical pass
  std::vector<double> cs, ss;
};
using StripScratch = tbb::enumerable_thread_specific<Strip>;

// Output rows per strip. A strip keeps the horizontal moments of the last kRing input rows in a
// ring (5 x 14 rows, 356 KB at 1280 wide: in the core's 1 MiB L2, where the strip of all its
// rows, 1.9 MB, was not); the first output row of a strip needs 10 rows more, so a strip of 64
// recomputes 10/64 of its horizontal work.
constexpr int kStripRows = 64;

// Output rows whose vertical pass runs together (window_sum4) and whose terms are held and
// summed together (see row_sums).
constexpr int kSumRows = 4;

// Input rows in a strip's ring of horizontal moments: the windows of kSumRows output rows.
constexpr int kRing = kTaps + kSumRows - 1;

// Mean contrast-structure and mean SSIM of one scale: per strip of output rows, kSumRows output
// rows at a time, the horizontal pass of the five moments (a, b, a^2, b^2, ab) of their next
// input rows into the ring, then the vertical pass of those output rows over the ring's rows,
// both in float with taps added in order; the terms in double, summed in row order. Every value
// is computed exactly as a whole-plane pass would compute it.
std::pair<double, double> scale_terms(const Image& a, const Image& b, double c1, double c2,
                                      StripScratch& scratch) {
  static const std::array<float, kTaps> g = [] {
    std::array<float, kTaps> f{};
    const std::array<double, kTaps> d = gaussian();
    for (std::size_t i = 0; i < kTaps; ++i) f[i] = static_cast<float>(d[i]);
    return f;
  }();
  const int ow = a.w - kTaps + 1;
  const int oh = a.h - kTaps + 1;
  const auto uow = static_cast<std::size_t>(ow);
  const auto uw = static_cast<std::size_t>(a.w);
  std::vector<double> row_cs(static_cast<std::size_t>(oh)), row_ssim(static_cast<std::size_t>(oh));
  const int strips = (oh + kStripRows - 1) / kStripRows;
  tbb::parallel_for(tbb::blocked_range<int>(0, strips, 1), [&](const tbb::blocked_range<int>& r) {
    Strip& st = scratch.local();
    for (auto& v : st.h) ensure(v, kRing * uow);
    for (auto& v : st.e) ensure(v, kSumRows * uow);
    if (st.cs.size() < kSumRows * uow) st.cs.resize(kSumRows * uow);
    if (st.ss.size() < kSumRows * uow) st.ss.resize(kSumRows * uow);
    for (int strip = r.begin(); strip < r.end(); ++strip) {
      const int y0 = strip * kStripRows;
      const int y1 = std::min(oh, y0 + kStripRows);
      // Horizontal moments of input row y into its ring slot.
      auto horizontal = [&](int y) {
        const std::size_t o = static_cast<std::size_t>(y % kRing) * uow;
        horizontal_moments(&a.px[static_cast<std::size_t>(y) * uw],
                           &b.px[static_cast<std::size_t>(y) * uw], g.data(), kTaps, uow,
                           &st.h[0][o], &st.h[1][o], &st.h[2][o], &st.h[3][o], &st.h[4][o]);
      };
      for (int y = y0; y < y0 + kTaps - 1; ++y) horizontal(y);
      // Output rows kSumRows at a time (fewer at the strip's end): their input rows' horizontal
      // moments, their vertical pass over the ring, their terms and their row sums.
      for (int y = y0; y < y1; y += kSumRows) {
        const int rows = std::min(kSumRows, y1 - y);
        for (int i = 0; i < rows; ++i) horizontal(y + kTaps - 1 + i);
        // The input rows y .. y + kTaps + rows - 2, in order, from their ring slots.
        std::array<std::size_t, kRing> voff{};
        for (int i = 0; i < kTaps + rows - 1; ++i) {
          voff[static_cast<std::size_t>(i)] = static_cast<std::size_t>((y + i) % kRing) * uow;
        }
        for (std::size_t q = 0; q < 5; ++q) {
          if (rows == kSumRows) {
            window_sum4(st.h[q].data(), voff.data(), g.data(), kTaps, uow, st.e[q].data(), uow);
          } else {
            for (int j = 0; j < rows; ++j) {
              window_sum(st.h[q].data(), voff.data() + j, g.data(), kTaps, uow,
                         st.e[q].data() + static_cast<std::size_t>(j) * uow);
            }
          }
        }
        for (int j = 0; j < rows; ++j) {
          const std::size_t o = static_cast<std::size_t>(j) * uow;
          ssim_terms(st.e[0].data() + o, st.e[1].data() + o, st.e[2].data() + o, st.e[3].data() + o,
                     st.e[4].data() + o, uow, c1, c2, st.cs.data() + o, st.ss.data() + o);
        }
        const auto first = static_cast<std::size_t>(y);
        row_sums(st.cs.data(), st.ss.data(), uow, rows, &row_cs[first], &row_ssim[first]);
      }
    }
  });
  double cs = 0, ssim = 0;
  for (int y = 0; y < oh; ++y) {
    cs += row_cs[static_cast<std::size_t>(y)];
    ssim += row_ssim[static_cast<std::size_t>(y)];
  }
  const double n = static_cast<double>(ow) * oh;
  return {cs / n, ssim / n};
}

class MsSsim final : public VideoMetric {
 public:
  MsSsim(AVPixelFormat fmt, int w, int h) : layout_(fmt, w, h) {
    const double peak = static_cast<double>((1 << layout_.depth) - 1);
    c1_ = (0.01 * peak) * (0.01 * peak);
    c2_ = (0.03 * peak) * (0.03 * peak);
  }

  MetricValues add(const AVFrame& ref, const AVFrame& dist) override {
    const int w = layout_.width[0], h = layout_.height[0];
    // The two images' conversions and reductions run side by side (a tenth of the kernel when
    // serial).
    if (layout_.depth > 8) {
      tbb::parallel_invoke([&] { luma<std::uint16_t>(ref, w, h, a_[0]); },
                           [&] { luma<std::uint16_t>(dist, w, h, b_[0]); });
    } else {
      tbb::parallel_invoke([&] { luma<std::uint8_t>(ref, w, h, a_[0]); },
                           [&] { luma<std::uint8_t>(dist, w, h, b_[0]); });
    }
    double value = 1.0;
    std::size_t cur = 0;
    for (int s = 0; s < kScales; ++s) {
      const auto [cs, ssim] = scale_terms(a_[cur], b_[cur], c1_, c2_, scratch_);
      const double term = s + 1 < kScales ? cs : ssim;
      value *= std::pow(std::max(term, 0.0), kWeights[static_cast<std::size_t>(s)]);
      if (s + 1 < kScales) {
        tbb::parallel_invoke([&] { half(a_[cur], a_[1 - cur]); },
                             [&] { half(b_[cur], b_[1 - cur]); });
        cur = 1 - cur;
      }
    }
    sum_ += value;
    ++frames_;
    return {{"y", value}};
  }

  [[nodiscard]] MetricValues summary() const override {
    return {{"y", sum_ / static_cast<double>(frames_)}};
  }

 private:
  PlaneLayout layout_;
  double c1_ = 0, c2_ = 0;
  double sum_ = 0;
  std::uint64_t frames_ = 0;
  // Buffers reused from frame to frame: the scales of both images (ping-pong) and the moments.
  std::array<Image, 2> a_, b_;
  StripScratch scratch_;
};

}  // namespace

MetricDescriptor ms_ssim_descriptor() {
  MetricDescriptor d;
  d.name = "ms_ssim";
  d.type = MediaType::kVideo;
  d.title = "MS-SSIM";
  d.description =
      "MS-SSIM of the luma plane (Wang, Simoncelli, Bovik 2003): 5 scales, 11x11 Gaussian "
      "window, sigma 1.5; needs frames of at least 176x176";
  d.outputs = {{"y", "", Better::kHigher, true, "MS-SSIM (Y)", true}};
  d.measured_by_default = false;
  d.cost = 12;
  d.supports = planar_metric_format;
  d.create = [](AVPixelFormat fmt, int w, int h,
                const MetricOptionValues&) -> std::unique_ptr<VideoMetric> {
    return std::make_unique<MsSsim>(fmt, w, h);
  };
  d.min_size = 176;
  return d;
}

}  // namespace codecbench::detail
