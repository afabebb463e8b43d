// MS-SSIM on the luma plane: Wang, Simoncelli, Bovik, "Multiscale structural similarity for
// image quality assessment", Asilomar 2003. Five scales with the paper's exponents
// (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), an 11x11 Gaussian window with sigma 1.5 applied
// "valid" (no padding), C1 = (0.01 L)^2, C2 = (0.03 L)^2, and 2x2 averaging between scales.
// As in TensorFlow's tf.image.ssim_multiscale, scales 1-4 contribute their mean
// contrast-structure term and scale 5 its mean SSIM; negative terms are clamped to 0 before
// the fractional powers. The run's value is the mean of frame values.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "codecbench/metrics.hpp"
#include "planes.hpp"

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

template <typename T>
Image luma(const AVFrame& f, int w, int h) {
  Image img{w, h, std::vector<float>(static_cast<std::size_t>(w) * static_cast<std::size_t>(h))};
  for (int y = 0; y < h; ++y) {
    const T* row = reinterpret_cast<const T*>(f.data[0] + y * f.linesize[0]);
    for (int x = 0; x < w; ++x)
      img.px[static_cast<std::size_t>(y * w + x)] = static_cast<float>(row[x]);
  }
  return img;
}

Image half(const Image& in) {
  Image out{in.w / 2, in.h / 2, {}};
  out.px.resize(static_cast<std::size_t>(out.w) * static_cast<std::size_t>(out.h));
  for (int y = 0; y < out.h; ++y) {
    for (int x = 0; x < out.w; ++x) {
      out.px[static_cast<std::size_t>(y * out.w + x)] =
          0.25F * (in.at(2 * x, 2 * y) + in.at(2 * x + 1, 2 * y) + in.at(2 * x, 2 * y + 1) +
                   in.at(2 * x + 1, 2 * y + 1));
    }
  }
  return out;
}

// Mean contrast-structure and mean SSIM of one scale. The separable filter runs tap-major
// over contiguous rows (so the compiler vectorises it) in float; moments are combined in double.
std::pair<double, double> scale_terms(const Image& a, const Image& b, double c1, double c2) {
  static const std::array<double, kTaps> g = gaussian();
  const int ow = a.w - kTaps + 1;
  const int oh = a.h - kTaps + 1;
  const auto uow = static_cast<std::size_t>(ow);
  // Horizontal pass: five moments per pixel, rows of width ow.
  const std::size_t hsize = uow * static_cast<std::size_t>(a.h);
  std::vector<float> ma(hsize, 0.0F), mb(hsize, 0.0F), maa(hsize, 0.0F), mbb(hsize, 0.0F),
      mab(hsize, 0.0F);
  tbb::parallel_for(tbb::blocked_range<int>(0, a.h, 16), [&](const tbb::blocked_range<int>& r) {
    std::vector<float> sq_a(static_cast<std::size_t>(a.w)), sq_b(static_cast<std::size_t>(a.w)),
        prod(static_cast<std::size_t>(a.w));
    for (int y = r.begin(); y < r.end(); ++y) {
      const float* ra = &a.px[static_cast<std::size_t>(y) * static_cast<std::size_t>(a.w)];
      const float* rb = &b.px[static_cast<std::size_t>(y) * static_cast<std::size_t>(b.w)];
      for (int x = 0; x < a.w; ++x) {
        sq_a[static_cast<std::size_t>(x)] = ra[x] * ra[x];
        sq_b[static_cast<std::size_t>(x)] = rb[x] * rb[x];
        prod[static_cast<std::size_t>(x)] = ra[x] * rb[x];
      }
      const std::size_t o = static_cast<std::size_t>(y) * uow;
      // __restrict__: the five outputs and inputs never overlap, which lets the loop vectorise.
      float* __restrict__ oa = &ma[o];
      float* __restrict__ ob = &mb[o];
      float* __restrict__ oaa = &maa[o];
      float* __restrict__ obb = &mbb[o];
      float* __restrict__ oab = &mab[o];
      for (int k = 0; k < kTaps; ++k) {
        const auto wk = static_cast<float>(g[static_cast<std::size_t>(k)]);
        const float* __restrict__ pa = ra + k;
        const float* __restrict__ pb = rb + k;
        const float* __restrict__ paa = sq_a.data() + k;
        const float* __restrict__ pbb = sq_b.data() + k;
        const float* __restrict__ pab = prod.data() + k;
        for (int x = 0; x < ow; ++x) {
          oa[x] += wk * pa[x];
          ob[x] += wk * pb[x];
          oaa[x] += wk * paa[x];
          obb[x] += wk * pbb[x];
          oab[x] += wk * pab[x];
        }
      }
    }
  });
  std::vector<double> row_cs(static_cast<std::size_t>(oh)), row_ssim(static_cast<std::size_t>(oh));
  tbb::parallel_for(tbb::blocked_range<int>(0, oh, 8), [&](const tbb::blocked_range<int>& r) {
    std::vector<float> mua(uow), mub(uow), eaa(uow), ebb(uow), eab(uow);
    for (int y = r.begin(); y < r.end(); ++y) {
      std::fill(mua.begin(), mua.end(), 0.0F);
      std::fill(mub.begin(), mub.end(), 0.0F);
      std::fill(eaa.begin(), eaa.end(), 0.0F);
      std::fill(ebb.begin(), ebb.end(), 0.0F);
      std::fill(eab.begin(), eab.end(), 0.0F);
      for (int k = 0; k < kTaps; ++k) {
        const auto wk = static_cast<float>(g[static_cast<std::size_t>(k)]);
        const std::size_t o = static_cast<std::size_t>(y + k) * uow;
        float* __restrict__ d1 = mua.data();
        float* __restrict__ d2 = mub.data();
        float* __restrict__ d3 = eaa.data();
        float* __restrict__ d4 = ebb.data();
        float* __restrict__ d5 = eab.data();
        const float* __restrict__ s1 = &ma[o];
        const float* __restrict__ s2 = &mb[o];
        const float* __restrict__ s3 = &maa[o];
        const float* __restrict__ s4 = &mbb[o];
        const float* __restrict__ s5 = &mab[o];
        for (std::size_t x = 0; x < uow; ++x) {
          d1[x] += wk * s1[x];
          d2[x] += wk * s2[x];
          d3[x] += wk * s3[x];
          d4[x] += wk * s4[x];
          d5[x] += wk * s5[x];
        }
      }
      double cs_sum = 0, ssim_sum = 0;
      for (std::size_t x = 0; x < uow; ++x) {
        const double m1 = mua[x], m2 = mub[x];
        const double va = eaa[x] - m1 * m1, vb = ebb[x] - m2 * m2, cov = eab[x] - m1 * m2;
        const double cs = (2 * cov + c2) / (va + vb + c2);
        const double l = (2 * m1 * m2 + c1) / (m1 * m1 + m2 * m2 + c1);
        cs_sum += cs;
        ssim_sum += l * cs;
      }
      row_cs[static_cast<std::size_t>(y)] = cs_sum;
      row_ssim[static_cast<std::size_t>(y)] = ssim_sum;
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
    Image a = layout_.depth > 8 ? luma<std::uint16_t>(ref, w, h) : luma<std::uint8_t>(ref, w, h);
    Image b = layout_.depth > 8 ? luma<std::uint16_t>(dist, w, h) : luma<std::uint8_t>(dist, w, h);
    double value = 1.0;
    for (int s = 0; s < kScales; ++s) {
      const auto [cs, ssim] = scale_terms(a, b, c1_, c2_);
      const double term = s + 1 < kScales ? cs : ssim;
      value *= std::pow(std::max(term, 0.0), kWeights[static_cast<std::size_t>(s)]);
      if (s + 1 < kScales) {
        a = half(a);
        b = half(b);
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
