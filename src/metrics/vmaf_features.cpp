// The elementary features of VMAF v0.6.1 (VIF at four scales, ADM, motion), written from their
// published definitions; vmaf.hpp names the papers. Where a definition leaves a choice open
// (border handling, window sizes, the pooling border, constants), the choice is the one
// libvmaf's float extractors make, so that scores agree with the model files' training
// (checked against libvmaf by tests/cli/test_vmaf_oracle.py): kernels work in single
// precision as libvmaf does; sums are kept in double and reduced in row order, so the result
// does not depend on the thread count.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "codecbench/vmaf.hpp"

namespace codecbench::vmaf {

Plane::Plane(int w, int h)
    : width(w), height(h), px(static_cast<std::size_t>(w) * static_cast<std::size_t>(h)) {}

double VifScores::scale(int s) const {
  const auto i = static_cast<std::size_t>(s);
  return den[i] == 0 ? 1.0 : num[i] / den[i];
}

double AdmScores::adm2(int width, int height) const {
  double n = 0, d = 0;
  for (std::size_t s = 0; s < 4; ++s) {
    n += num[s];
    d += den[s];
  }
  // Sums below a size-proportional floor count as zero (a flat frame): the score is then 1.
  const double floor = 1e-10 * width * height / (1920.0 * 1080.0);
  if (n < floor) n = 0;
  if (d < floor) d = 0;
  return d == 0 ? 1.0 : n / d;
}

namespace {

// Mirror an index into [0, n): -k -> k, n-1+k -> n-k. The edge sample is repeated at the far
// end, as libvmaf 1.x (the models' training, and our oracle) does in every filter; libvmaf 2.x
// mirrors VIF's and motion's windows without repeating it, which moves VMAF by about 0.05 at
// 352x288 and less at larger sizes.
int reflect_dup(int i, int n) {
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - i - 1;
  return std::clamp(i, 0, n - 1);
}

std::vector<float> gaussian(int taps) {
  const double sigma = taps / 5.0;
  std::vector<float> g(static_cast<std::size_t>(taps));
  double sum = 0;
  for (int i = 0; i < taps; ++i) {
    const double x = i - taps / 2;
    g[static_cast<std::size_t>(i)] = static_cast<float>(std::exp(-0.5 * x * x / (sigma * sigma)));
    sum += g[static_cast<std::size_t>(i)];
  }
  for (auto& v : g) v = static_cast<float>(v / sum);
  return g;
}

// Taps of VIF's window at a scale: 2^(4 - scale) + 1 (17, 9, 5, 3).
int vif_taps(int scale) { return (1 << (4 - scale)) + 1; }

// Blurs `in` with `g` (vertical pass, then horizontal) and keeps every second sample of every
// second row: the next VIF scale.
Plane blur_decimate(const Plane& in, const std::vector<float>& g) {
  const int w = in.width, h = in.height, taps = static_cast<int>(g.size()), r = taps / 2;
  Plane out(w / 2, h / 2);
  tbb::parallel_for(tbb::blocked_range<int>(0, out.height, 16), [&](const auto& range) {
    std::vector<float> tmp(static_cast<std::size_t>(w));
    for (int oy = range.begin(); oy < range.end(); ++oy) {
      const int y = 2 * oy;
      for (int x = 0; x < w; ++x) {
        float acc = 0;
        for (int k = 0; k < taps; ++k)
          acc += g[static_cast<std::size_t>(k)] * in.at(x, reflect_dup(y - r + k, h));
        tmp[static_cast<std::size_t>(x)] = acc;
      }
      for (int ox = 0; ox < out.width; ++ox) {
        const int x = 2 * ox;
        float acc = 0;
        for (int k = 0; k < taps; ++k)
          acc += g[static_cast<std::size_t>(k)] *
                 tmp[static_cast<std::size_t>(reflect_dup(x - r + k, w))];
        out.at(ox, oy) = acc;
      }
    }
  });
  return out;
}

// One VIF scale: local means, variances and covariance under the window, then the
// information ratio of Sheikh and Bovik per pixel, summed.
void vif_scale(const Plane& ref, const Plane& dist, const std::vector<float>& g, double gain_limit,
               double& num, double& den) {
  const int w = ref.width, h = ref.height, taps = static_cast<int>(g.size()), r = taps / 2;
  constexpr float kSigmaNsq = 2.0f;
  constexpr float kEps = 1.0e-10f;
  const float sigma_max_inv = kSigmaNsq * kSigmaNsq / (255.0f * 255.0f);
  const auto limit = static_cast<float>(gain_limit);
  std::vector<double> row_num(static_cast<std::size_t>(h)), row_den(static_cast<std::size_t>(h));
  tbb::parallel_for(tbb::blocked_range<int>(0, h, 8), [&](const auto& range) {
    // Row buffers: the vertical pass into padded rows (mirrored borders), then the
    // horizontal pass; both loop over taps outside and pixels inside, so they vectorise and
    // add the taps in the same order as a per-pixel loop would.
    const auto n = static_cast<std::size_t>(w);
    const auto padded = n + 2 * static_cast<std::size_t>(r);
    std::array<std::vector<float>, 5> pad, out;
    for (auto& v : pad) v.resize(padded);
    for (auto& v : out) v.resize(n);
    for (int y = range.begin(); y < range.end(); ++y) {
      for (auto& v : pad) std::fill(v.begin(), v.end(), 0.0f);
      float* t1 = pad[0].data() + r;
      float* t2 = pad[1].data() + r;
      float* t11 = pad[2].data() + r;
      float* t22 = pad[3].data() + r;
      float* t12 = pad[4].data() + r;
      for (int k = 0; k < taps; ++k) {
        const float c = g[static_cast<std::size_t>(k)];
        const std::size_t row = static_cast<std::size_t>(reflect_dup(y - r + k, h)) * n;
        const float* rp = ref.px.data() + row;
        const float* dp = dist.px.data() + row;
        for (std::size_t x = 0; x < n; ++x) {
          const float p = rp[x], q = dp[x];
          t1[x] += c * p;
          t2[x] += c * q;
          t11[x] += c * (p * p);
          t22[x] += c * (q * q);
          t12[x] += c * (p * q);
        }
      }
      for (auto& v : pad) {
        for (int i = 1; i <= r; ++i) {
          v[static_cast<std::size_t>(r - i)] = v[static_cast<std::size_t>(r + reflect_dup(-i, w))];
          v[static_cast<std::size_t>(r + w - 1 + i)] =
              v[static_cast<std::size_t>(r + reflect_dup(w - 1 + i, w))];
        }
      }
      for (std::size_t q = 0; q < 5; ++q) {
        float* o = out[q].data();
        const float* in = pad[q].data();
        std::fill(o, o + n, 0.0f);
        for (int k = 0; k < taps; ++k) {
          const float c = g[static_cast<std::size_t>(k)];
          const float* src = in + k;
          for (std::size_t x = 0; x < n; ++x) o[x] += c * src[x];
        }
      }
      double sum_num = 0, sum_den = 0;
      for (std::size_t x = 0; x < n; ++x) {
        const float mu1 = out[0][x], mu2 = out[1][x], xx = out[2][x], yy = out[3][x],
                    xy = out[4][x];
        float s1 = std::max(xx - mu1 * mu1, 0.0f);
        const float s2 = std::max(yy - mu2 * mu2, 0.0f);
        const float s12 = xy - mu1 * mu2;
        float gain = s12 / (s1 + kEps);
        float sv = s2 - gain * s12;
        if (s1 < kEps) {
          gain = 0;
          sv = s2;
          s1 = 0;
        }
        if (s2 < kEps) {
          gain = 0;
          sv = 0;
        }
        if (gain < 0) {
          sv = s2;
          gain = 0;
        }
        sv = std::max(sv, kEps);
        gain = std::min(gain, limit);
        float nv = std::log2(1.0f + gain * gain * s1 / (sv + kSigmaNsq));
        float dv = std::log2(1.0f + s1 / kSigmaNsq);
        if (s12 < 0) nv = 0;
        if (s1 < kSigmaNsq) {
          nv = 1.0f - s2 * sigma_max_inv;
          dv = 1.0f;
        }
        sum_num += nv;
        sum_den += dv;
      }
      row_num[static_cast<std::size_t>(y)] = sum_num;
      row_den[static_cast<std::size_t>(y)] = sum_den;
    }
  });
  num = 0;
  den = 0;
  for (std::size_t y = 0; y < row_num.size(); ++y) {
    num += row_num[y];
    den += row_den[y];
  }
}

// ---- ADM ----

struct Bands {
  Plane a, h, v, d;  // approximation; vertical high-pass; horizontal high-pass; both
};

// Daubechies-2 analysis filters (the coefficients of the db2 wavelet).
constexpr float kLo[4] = {0.482962913144690f, 0.836516303737469f, 0.224143868041857f,
                          -0.129409522550921f};
constexpr float kHi[4] = {-0.129409522550921f, -0.224143868041857f, 0.836516303737469f,
                          -0.482962913144690f};

Bands dwt2(const Plane& src) {
  const int w = src.width, h = src.height;
  const int w2 = (w + 1) / 2, h2 = (h + 1) / 2;
  Bands b{Plane(w2, h2), Plane(w2, h2), Plane(w2, h2), Plane(w2, h2)};
  std::vector<int> cols(static_cast<std::size_t>(w2) * 4);
  for (int j = 0; j < w2; ++j)
    for (int k = 0; k < 4; ++k)
      cols[static_cast<std::size_t>(j * 4 + k)] = reflect_dup(2 * j - 1 + k, w);
  tbb::parallel_for(tbb::blocked_range<int>(0, h2, 16), [&](const auto& range) {
    std::vector<float> lo(static_cast<std::size_t>(w)), hi(static_cast<std::size_t>(w));
    for (int i = range.begin(); i < range.end(); ++i) {
      int rows[4];
      for (int k = 0; k < 4; ++k) rows[k] = reflect_dup(2 * i - 1 + k, h);
      for (int x = 0; x < w; ++x) {
        float l = 0, hh = 0;
        for (int k = 0; k < 4; ++k) {
          const float s = src.at(x, rows[k]);
          l += kLo[k] * s;
          hh += kHi[k] * s;
        }
        lo[static_cast<std::size_t>(x)] = l;
        hi[static_cast<std::size_t>(x)] = hh;
      }
      for (int j = 0; j < w2; ++j) {
        float aa = 0, vv = 0, hv = 0, dd = 0;
        for (int k = 0; k < 4; ++k) {
          const auto c = static_cast<std::size_t>(cols[static_cast<std::size_t>(j * 4 + k)]);
          aa += kLo[k] * lo[c];
          vv += kHi[k] * lo[c];
          hv += kLo[k] * hi[c];
          dd += kHi[k] * hi[c];
        }
        b.a.at(j, i) = aa;
        b.v.at(j, i) = vv;
        b.h.at(j, i) = hv;
        b.d.at(j, i) = dd;
      }
    }
  });
  return b;
}

// Watson, Yang, Solomon, Villasenor, "Visibility of wavelet quantization noise", IEEE TIP 6(8)
// 1997: the luma threshold model (formula 7, Table IV: a, k, f0, g per orientation) and the
// basis function amplitudes A(lambda, theta) (Table V), at 3 picture heights on a 1080-line
// display. Orientation 1 is horizontal/vertical, 2 diagonal.
float csf_factor(int scale, int theta) {
  constexpr double kA = 0.495, kK = 0.466, kF0 = 0.401;
  constexpr double kG[4] = {1.501, 1.0, 0.534, 1.0};
  constexpr double kAmp[4][4] = {{0.62171, 0.67234, 0.72709, 0.67234},
                                 {0.34537, 0.41317, 0.49428, 0.41317},
                                 {0.18004, 0.22727, 0.28688, 0.22727},
                                 {0.091401, 0.11792, 0.15214, 0.11792}};
  // Display visual resolution, pixels per degree.
  const auto r = static_cast<float>(3.0 * 1080 * std::numbers::pi / 180.0);
  const auto t = static_cast<float>(std::log10(std::pow(2.0, scale + 1) * kF0 * kG[theta] / r));
  const auto q = static_cast<float>(2.0 * kA * std::pow(10.0, kK * t * t) / kAmp[scale][theta]);
  return 1.0f / q;
}

// The pooling window of a band: the frame less border_factor 0.1 on each side.
struct Region {
  int left, top, right, bottom;
};
Region pooling_region(int w, int h) {
  const auto left = static_cast<int>(w * 0.1 - 0.5);
  const auto top = static_cast<int>(h * 0.1 - 0.5);
  return {left, top, w - left, h - top};
}

double minkowski3(double sum_cubes) { return std::cbrt(sum_cubes); }

void adm_scale(const Bands& ref, const Bands& dist, int scale, double gain_limit, double& num,
               double& den) {
  const int w = ref.h.width, h = ref.h.height;
  const float f1 = csf_factor(scale, 1), f2 = csf_factor(scale, 2);
  const Region g = pooling_region(w, h);
  const double noise = std::cbrt((g.right - g.left) * (g.bottom - g.top) / 32.0);

  // Decoupling (Li et al. 2011): the distorted coefficient splits into the part that restores
  // the reference's detail (r) and the additive impairment (a = t - r).
  const std::size_t n = ref.h.px.size();
  std::array<std::vector<float>, 3> rest, csf_a, csf_f;
  for (int o = 0; o < 3; ++o) {
    rest[static_cast<std::size_t>(o)].resize(n);
    csf_a[static_cast<std::size_t>(o)].resize(n);
    csf_f[static_cast<std::size_t>(o)].resize(n);
  }
  const auto cos1_sq =
      static_cast<float>(std::cos(std::numbers::pi / 180.0) * std::cos(std::numbers::pi / 180.0));
  const auto limit = static_cast<float>(gain_limit);
  const bool unlimited = gain_limit >= 100.0;
  const float factor[3] = {f1, f1, f2};
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 4096), [&](const auto& range) {
    for (std::size_t i = range.begin(); i < range.end(); ++i) {
      const float o[3] = {ref.h.px[i], ref.v.px[i], ref.d.px[i]};
      const float t[3] = {dist.h.px[i], dist.v.px[i], dist.d.px[i]};
      // Angle between (oh, ov) and (th, tv) under one degree, without atan.
      const float dot = o[0] * t[0] + o[1] * t[1];
      const float om = o[0] * o[0] + o[1] * o[1];
      const float tm = t[0] * t[0] + t[1] * t[1];
      const bool same_angle = dot >= 0 && dot * dot >= cos1_sq * om * tm;
      for (std::size_t b = 0; b < 3; ++b) {
        const float k = std::clamp(t[b] / (o[b] + 1e-30f), 0.0f, 1.0f);
        float r = k * o[b];
        if (same_angle) {
          if (unlimited) {
            r = t[b];
          } else if (r > 0) {
            r = std::min(r * limit, t[b]);
          } else if (r < 0) {
            r = std::max(r * limit, t[b]);
          }
        }
        rest[b][i] = r;
        const float a = factor[b] * (t[b] - r);
        csf_a[b][i] = a;
        csf_f[b][i] = (1.0f / 30.0f) * std::fabs(a);
      }
    }
  });

  // Denominator: the reference's contrast-weighted detail.
  const Plane* rb[3] = {&ref.h, &ref.v, &ref.d};
  std::array<double, 3> den_acc{};
  for (std::size_t b = 0; b < 3; ++b) {
    double acc = 0;
    for (int y = g.top; y < g.bottom; ++y) {
      double row = 0;
      for (int x = g.left; x < g.right; ++x) {
        const double v = std::fabs(factor[b] * rb[b]->at(x, y));
        row += v * v * v;
      }
      acc += row;
    }
    den_acc[b] = acc;
  }
  den = 0;
  for (double a : den_acc) den += minkowski3(a) + noise;

  // Numerator: restored detail above the masking threshold that the impairment's 3x3
  // neighbourhood sets (centre counted twice), in all three orientations together.
  auto mi = [](int i, int size) { return i < 0 ? 1 : (i >= size ? size - 1 : i); };
  std::vector<std::array<double, 3>> rows(static_cast<std::size_t>(std::max(0, g.bottom - g.top)));
  tbb::parallel_for(tbb::blocked_range<int>(g.top, g.bottom, 8), [&](const auto& range) {
    for (int y = range.begin(); y < range.end(); ++y) {
      std::array<double, 3> acc{};
      int ys[3];
      for (int k = 0; k < 3; ++k) ys[k] = std::min(mi(y - 1 + k, h), h - 1);
      for (int x = g.left; x < g.right; ++x) {
        int xs[3];
        for (int k = 0; k < 3; ++k) xs[k] = std::min(mi(x - 1 + k, w), w - 1);
        float thr = 0;
        for (std::size_t b = 0; b < 3; ++b) {
          float sum = 0;
          for (int dy = 0; dy < 3; ++dy) {
            for (int dx = 0; dx < 3; ++dx) {
              const auto idx = static_cast<std::size_t>(ys[dy]) * static_cast<std::size_t>(w) +
                               static_cast<std::size_t>(xs[dx]);
              if (dy == 1 && dx == 1) {
                sum += (1.0f / 15.0f) * std::fabs(csf_a[b][idx]);
              } else {
                sum += csf_f[b][idx];
              }
            }
          }
          thr += sum;
        }
        const auto idx =
            static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x);
        for (std::size_t b = 0; b < 3; ++b) {
          const float v = std::max(std::fabs(factor[b] * rest[b][idx]) - thr, 0.0f);
          acc[b] += static_cast<double>(v) * v * v;
        }
      }
      rows[static_cast<std::size_t>(y - g.top)] = acc;
    }
  });
  std::array<double, 3> num_acc{};
  for (const auto& r : rows)
    for (std::size_t b = 0; b < 3; ++b) num_acc[b] += r[b];
  num = 0;
  for (double a : num_acc) num += minkowski3(a) + noise;
}

}  // namespace

VifScores vif(const Plane& ref, const Plane& dist, const FeatureOptions& options) {
  VifScores out;
  Plane r = ref, d = dist;
  for (int s = 0; s < 4; ++s) {
    const std::vector<float> g = gaussian(vif_taps(s));
    if (s > 0) {
      r = blur_decimate(r, g);
      d = blur_decimate(d, g);
    }
    const auto i = static_cast<std::size_t>(s);
    vif_scale(r, d, g, options.vif_enhn_gain_limit, out.num[i], out.den[i]);
  }
  return out;
}

AdmScores adm(const Plane& ref, const Plane& dist, const FeatureOptions& options) {
  AdmScores out;
  Bands rb = dwt2(ref), db = dwt2(dist);
  for (int s = 0; s < 4; ++s) {
    if (s > 0) {
      rb = dwt2(rb.a);
      db = dwt2(db.a);
    }
    const auto i = static_cast<std::size_t>(s);
    adm_scale(rb, db, s, options.adm_enhn_gain_limit, out.num[i], out.den[i]);
  }
  return out;
}

Plane motion_blur(const Plane& in) {
  static constexpr float kTaps[5] = {0.054488685f, 0.244201342f, 0.402619947f, 0.244201342f,
                                     0.054488685f};
  const int w = in.width, h = in.height;
  Plane out(w, h);
  tbb::parallel_for(tbb::blocked_range<int>(0, h, 16), [&](const auto& range) {
    std::vector<float> tmp(static_cast<std::size_t>(w));
    for (int y = range.begin(); y < range.end(); ++y) {
      int rows[5];
      for (int k = 0; k < 5; ++k) rows[k] = reflect_dup(y - 2 + k, h);
      for (int x = 0; x < w; ++x) {
        float acc = 0;
        for (int k = 0; k < 5; ++k) acc += kTaps[k] * in.at(x, rows[k]);
        tmp[static_cast<std::size_t>(x)] = acc;
      }
      for (int x = 0; x < w; ++x) {
        float acc = 0;
        for (int k = 0; k < 5; ++k)
          acc += kTaps[k] * tmp[static_cast<std::size_t>(reflect_dup(x - 2 + k, w))];
        out.at(x, y) = acc;
      }
    }
  });
  return out;
}

double motion_sad(const Plane& a, const Plane& b) {
  double sum = 0;
  for (int y = 0; y < a.height; ++y) {
    double row = 0;
    for (int x = 0; x < a.width; ++x) row += std::fabs(a.at(x, y) - b.at(x, y));
    sum += row;
  }
  return sum / (static_cast<double>(a.width) * a.height);
}

}  // namespace codecbench::vmaf
