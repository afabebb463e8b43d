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
#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "codecbench/metrics/metrics.hpp"
#include "planes.hpp"
#include "simd.hpp"

namespace codecbench::detail {
namespace {

// 8-bit kernels, built for x86-64-v4, AVX2 and the baseline (simd.hpp): the same integer sums,
// and the window ratio in float without FMA, so the values do not depend on the CPU. AVX2 has
// what the baseline lacks here: 32-bit multiplies and byte-to-int widening in one instruction.

// Block sums of one 8-bit block row (4 rows from r0, each `stride` apart) for `blocks` 4x4
// blocks: column sums over the 4 rows, then 4 columns at a time.
CODECBENCH_SIMD_CLONES void block_sums_u8(const std::uint8_t* __restrict ra,
                                          const std::uint8_t* __restrict rb, std::ptrdiff_t sa,
                                          std::ptrdiff_t sb, std::size_t blocks,
                                          std::int32_t* __restrict col, std::int32_t* __restrict s1,
                                          std::int32_t* __restrict s2, std::int32_t* __restrict ss,
                                          std::int32_t* __restrict s12) {
  const std::size_t n = 4 * blocks;
  std::int32_t* __restrict ca = col;
  std::int32_t* __restrict cb = col + n;
  std::int32_t* __restrict css = col + 2 * n;
  std::int32_t* __restrict cab = col + 3 * n;
  const std::uint8_t* __restrict a0 = ra;
  const std::uint8_t* __restrict a1 = ra + sa;
  const std::uint8_t* __restrict a2 = ra + 2 * sa;
  const std::uint8_t* __restrict a3 = ra + 3 * sa;
  const std::uint8_t* __restrict b0 = rb;
  const std::uint8_t* __restrict b1 = rb + sb;
  const std::uint8_t* __restrict b2 = rb + 2 * sb;
  const std::uint8_t* __restrict b3 = rb + 3 * sb;
  for (std::size_t x = 0; x < n; ++x) {
    const std::int32_t x0 = a0[x], x1 = a1[x], x2 = a2[x], x3 = a3[x];
    const std::int32_t y0 = b0[x], y1 = b1[x], y2 = b2[x], y3 = b3[x];
    ca[x] = x0 + x1 + x2 + x3;
    cb[x] = y0 + y1 + y2 + y3;
    css[x] = x0 * x0 + x1 * x1 + x2 * x2 + x3 * x3 + y0 * y0 + y1 * y1 + y2 * y2 + y3 * y3;
    cab[x] = x0 * y0 + x1 * y1 + x2 * y2 + x3 * y3;
  }
  // The even and odd elements of two vectors of eight (GCC's and Clang's spellings).
#if defined(__clang__)
#define CODECBENCH_EVEN8(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)
#define CODECBENCH_ODD8(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15)
#else
#define CODECBENCH_EVEN8(a, b) __builtin_shuffle(a, b, v8i{0, 2, 4, 6, 8, 10, 12, 14})
#define CODECBENCH_ODD8(a, b) __builtin_shuffle(a, b, v8i{1, 3, 5, 7, 9, 11, 13, 15})
#endif
  // Four columns into a block: eight blocks at a time with even/odd shuffles (pairs, then
  // pairs of pairs; integer sums, so the order changes nothing), the rest one by one.
  using v8i = std::int32_t __attribute__((vector_size(32)));
  auto reduce8 = [&](const std::int32_t* c, std::int32_t* out) {
    v8i v0, v1, v2, v3;
    std::memcpy(&v0, c, sizeof v0);
    std::memcpy(&v1, c + 8, sizeof v1);
    std::memcpy(&v2, c + 16, sizeof v2);
    std::memcpy(&v3, c + 24, sizeof v3);
    const v8i p0 = CODECBENCH_EVEN8(v0, v1) + CODECBENCH_ODD8(v0, v1);
    const v8i p1 = CODECBENCH_EVEN8(v2, v3) + CODECBENCH_ODD8(v2, v3);
    const v8i r = CODECBENCH_EVEN8(p0, p1) + CODECBENCH_ODD8(p0, p1);
    std::memcpy(out, &r, sizeof r);
  };
  std::size_t i = 0;
  for (; i + 8 <= blocks; i += 8) {
    reduce8(ca + 4 * i, s1 + i);
    reduce8(cb + 4 * i, s2 + i);
    reduce8(css + 4 * i, ss + i);
    reduce8(cab + 4 * i, s12 + i);
  }
  for (; i < blocks; ++i) {
    const std::size_t x = 4 * i;
    s1[i] = ca[x] + ca[x + 1] + ca[x + 2] + ca[x + 3];
    s2[i] = cb[x] + cb[x + 1] + cb[x + 2] + cb[x + 3];
    ss[i] = css[x] + css[x + 1] + css[x + 2] + css[x + 3];
    s12[i] = cab[x] + cab[x + 1] + cab[x + 2] + cab[x + 3];
  }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(CODECBENCH_SIMD_BASELINE)
#define CODECBENCH_SSIM_AVX2 1
// block_sums_u8 with AVX2 intrinsics, chosen at run time where the CPU has AVX2: 16 columns of
// the 8 rows widened to 16 bits; vpmaddwd on rows interleaved in pairs gives each column's
// a0^2 + a1^2 (and a0 b0 + a1 b1) as 32 bits in one instruction, in the order of the 128-bit
// lanes (columns 0-3 and 8-11 from the low halves, 4-7 and 12-15 from the high ones), which is
// the order two horizontal adds need to make 4x4 block sums; a 64-bit permute restores block
// order. The same integer sums as the portable loops, 8 blocks per step.
#define CODECBENCH_AVX2 __attribute__((target("avx2")))

CODECBENCH_AVX2 inline __m256i load16(const std::uint8_t* p) {
  return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

CODECBENCH_AVX2 inline __m256i unpack16(__m256i x, __m256i y, bool high) {
  return high ? _mm256_unpackhi_epi16(x, y) : _mm256_unpacklo_epi16(x, y);
}

// Block sums 0-7 from two groups' pair sums (blocks 0 1 4 5 | 2 3 6 7 after the add).
CODECBENCH_AVX2 inline void store_blocks8(__m256i g0, __m256i g1, std::int32_t* out) {
  const __m256i h = _mm256_hadd_epi32(g0, g1);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                      _mm256_permute4x64_epi64(h, _MM_SHUFFLE(3, 1, 2, 0)));
}

CODECBENCH_AVX2 void block_sums_u8_avx2(const std::uint8_t* ra, const std::uint8_t* rb,
                                        std::ptrdiff_t sa, std::ptrdiff_t sb, std::size_t blocks,
                                        std::int32_t* s1, std::int32_t* s2, std::int32_t* ss,
                                        std::int32_t* s12) {
  std::size_t i = 0;
  for (; i + 8 <= blocks; i += 8) {
    __m256i q1[2], q2[2], qss[2], q12[2];  // per 16 columns: pair sums of columns
    for (int g = 0; g < 2; ++g) {
      const std::size_t c = 4 * i + 16 * static_cast<std::size_t>(g);
      const __m256i a0 = load16(ra + c), a1 = load16(ra + sa + c);
      const __m256i a2 = load16(ra + 2 * sa + c), a3 = load16(ra + 3 * sa + c);
      const __m256i b0 = load16(rb + c), b1 = load16(rb + sb + c);
      const __m256i b2 = load16(rb + 2 * sb + c), b3 = load16(rb + 3 * sb + c);
      const __m256i zero = _mm256_setzero_si256();
      const __m256i sum_a = _mm256_add_epi16(_mm256_add_epi16(a0, a1), _mm256_add_epi16(a2, a3));
      const __m256i sum_b = _mm256_add_epi16(_mm256_add_epi16(b0, b1), _mm256_add_epi16(b2, b3));
      __m256i half[2][4];  // [low/high][s1, s2, ss, s12]: one 32-bit value per column
      for (int h = 0; h < 2; ++h) {
        const __m256i a01 = unpack16(a0, a1, h == 1), a23 = unpack16(a2, a3, h == 1);
        const __m256i b01 = unpack16(b0, b1, h == 1), b23 = unpack16(b2, b3, h == 1);
        half[h][0] = unpack16(sum_a, zero, h == 1);
        half[h][1] = unpack16(sum_b, zero, h == 1);
        half[h][2] = _mm256_add_epi32(
            _mm256_add_epi32(_mm256_madd_epi16(a01, a01), _mm256_madd_epi16(a23, a23)),
            _mm256_add_epi32(_mm256_madd_epi16(b01, b01), _mm256_madd_epi16(b23, b23)));
        half[h][3] = _mm256_add_epi32(_mm256_madd_epi16(a01, b01), _mm256_madd_epi16(a23, b23));
      }
      q1[g] = _mm256_hadd_epi32(half[0][0], half[1][0]);
      q2[g] = _mm256_hadd_epi32(half[0][1], half[1][1]);
      qss[g] = _mm256_hadd_epi32(half[0][2], half[1][2]);
      q12[g] = _mm256_hadd_epi32(half[0][3], half[1][3]);
    }
    store_blocks8(q1[0], q1[1], s1 + i);
    store_blocks8(q2[0], q2[1], s2 + i);
    store_blocks8(qss[0], qss[1], ss + i);
    store_blocks8(q12[0], q12[1], s12 + i);
  }
  for (; i < blocks; ++i) {
    std::int32_t t1 = 0, t2 = 0, tss = 0, t12 = 0;
    for (std::ptrdiff_t y = 0; y < 4; ++y) {
      for (std::size_t x = 4 * i; x < 4 * i + 4; ++x) {
        const std::int32_t va = ra[y * sa + static_cast<std::ptrdiff_t>(x)];
        const std::int32_t vb = rb[y * sb + static_cast<std::ptrdiff_t>(x)];
        t1 += va;
        t2 += vb;
        tss += va * va + vb * vb;
        t12 += va * vb;
      }
    }
    s1[i] = t1;
    s2[i] = t2;
    ss[i] = tss;
    s12[i] = t12;
  }
}

const bool kHaveAvx2 = __builtin_cpu_supports("avx2") != 0;
#endif

// The window SSIMs of one line from two block rows' sums (see line_ssim below), 8-bit.
CODECBENCH_SIMD_CLONES void windows_u8(
    const std::int32_t* __restrict p1, const std::int32_t* __restrict p2,
    const std::int32_t* __restrict pss, const std::int32_t* __restrict p12,
    const std::int32_t* __restrict q1, const std::int32_t* __restrict q2,
    const std::int32_t* __restrict qss, const std::int32_t* __restrict q12, std::size_t windows,
    std::int32_t c1, std::int32_t c2, float* __restrict out) {
  for (std::size_t i = 0; i < windows; ++i) {
    const std::int32_t s1 = p1[i] + p1[i + 1] + q1[i] + q1[i + 1];
    const std::int32_t s2 = p2[i] + p2[i + 1] + q2[i] + q2[i + 1];
    const std::int32_t ss = pss[i] + pss[i + 1] + qss[i] + qss[i + 1];
    const std::int32_t s12 = p12[i] + p12[i + 1] + q12[i] + q12[i + 1];
    const std::int32_t vars = ss * 64 - s1 * s1 - s2 * s2;
    const std::int32_t covar = s12 * 64 - s1 * s2;
    out[i] = static_cast<float>(2 * s1 * s2 + c1) * static_cast<float>(2 * covar + c2) /
             (static_cast<float>(s1 * s1 + s2 * s2 + c1) * static_cast<float>(vars + c2));
  }
}

// Column sums over the 4 rows of a block row, then 4 columns at a time into block sums. The
// column loops run over contiguous samples, so the compiler vectorises them; Acc is int32 for
// 8-bit samples (a 4x4 block's sums fit easily) and int64 for deeper ones. The 8-bit case runs
// the kernels above.
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
    if constexpr (sizeof(T) == 1) {
      a.resize(4 * n);
      out.resize(static_cast<std::size_t>(blocks));
#ifdef CODECBENCH_SSIM_AVX2
      if (kHaveAvx2) {
        block_sums_u8_avx2(fa.data[plane] + 4 * row * fa.linesize[plane],
                           fb.data[plane] + 4 * row * fb.linesize[plane], fa.linesize[plane],
                           fb.linesize[plane], static_cast<std::size_t>(blocks), out.s1.data(),
                           out.s2.data(), out.ss.data(), out.s12.data());
        return;
      }
#endif
      block_sums_u8(fa.data[plane] + 4 * row * fa.linesize[plane],
                    fb.data[plane] + 4 * row * fb.linesize[plane], fa.linesize[plane],
                    fb.linesize[plane], static_cast<std::size_t>(blocks), a.data(), out.s1.data(),
                    out.s2.data(), out.ss.data(), out.s12.data());
      return;
    }
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
  if constexpr (sizeof(Acc) == 4) {
    windows_u8(prev.s1.data(), prev.s2.data(), prev.ss.data(), prev.s12.data(), cur.s1.data(),
               cur.s2.data(), cur.ss.data(), cur.s12.data(), windows, c1, c2, out);
    float sum = 0.0F;
    for (std::size_t i = 0; i < windows; ++i) sum += out[i];
    return sum;
  }
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
