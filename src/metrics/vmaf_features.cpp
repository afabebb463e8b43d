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
#include <cstdint>
#include <cstring>
#include <numbers>
#include <utility>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>  // valignd in the 16-lane horizontal pass
#endif

#include "codecbench/metrics/vmaf.hpp"
#include "simd.hpp"

namespace codecbench::vmaf {

using detail::v8;

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

struct Scratch::Buffers {
  std::array<Plane, 3> vif_ref, vif_dist;  // VIF scales 1-3
  // ADM levels 0-3: the approximation bands (the next level's input); the detail bands and
  // per-pixel terms live in row and stripe buffers only (adm_level).
  std::array<Plane, 4> adm_ref, adm_dist;
};

Scratch::Scratch() : buffers_(std::make_unique<Buffers>()) {}
Scratch::~Scratch() = default;
Scratch::Scratch(Scratch&&) noexcept = default;
Scratch& Scratch::operator=(Scratch&&) noexcept = default;

namespace {

// Gives `p` the size w x h, keeping its buffer (and its contents) when large enough.
void shape(Plane& p, int w, int h) {
  p.width = w;
  p.height = h;
  p.px.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
}

// The sum of n floats in double: eight float lanes, each adding every eighth value in order,
// then the lanes in double. The order is fixed, so the sum does not depend on the thread count.
CODECBENCH_SIMD_CLONES double row_sum(const float* __restrict v, std::size_t n) {
  v8 acc = {};
  std::size_t x = 0;
  for (; x + 8 <= n; x += 8) {
    v8 q;
    CODECBENCH_LOAD8(q, v + x);
    acc += q;
  }
  double sum = 0;
  for (int i = 0; i < 8; ++i) sum += acc[i];
  for (; x < n; ++x) sum += v[x];
  return sum;
}

// The sum of |a - b| over n floats, in double, the order fixed as in row_sum.
CODECBENCH_SIMD_CLONES double abs_diff_sum(const float* __restrict a, const float* __restrict b,
                                           std::size_t n) {
  v8 acc = {};
  std::size_t x = 0;
  for (; x + 8 <= n; x += 8) {
    v8 p, q;
    CODECBENCH_LOAD8(p, a + x);
    CODECBENCH_LOAD8(q, b + x);
    const v8 d = p - q;
    acc += d < 0 ? -d : d;
  }
  double sum = 0;
  for (int i = 0; i < 8; ++i) sum += acc[i];
  for (; x < n; ++x) sum += std::fabs(a[x] - b[x]);
  return sum;
}

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

// ---- Row kernels ----
// The filters run eight pixels at a time (simd.hpp) or tap by tap over whole rows, built for
// x86-64-v4, AVX2 and the baseline (CODECBENCH_SIMD_CLONES). Taps are added in index order.

// VIF's vertical pass for one row: the five window sums (means of ref and dist, of their
// squares, of their product) over the rows at offsets `off` (one per tap), accumulated in
// registers eight pixels at a time; each lane adds the taps in index order, as the scalar tail.
// The weighted samples c p and c q are formed first and reused for the second moments
// ((c p) p rather than c (p p)): five multiplications per tap instead of eight, which bound
// this loop.
CODECBENCH_SIMD_CLONES void vif_vertical(const float* __restrict ref, const float* __restrict dist,
                                         const std::size_t* __restrict off,
                                         const float* __restrict g, int taps, std::size_t n,
                                         float* __restrict t1, float* __restrict t2,
                                         float* __restrict t11, float* __restrict t22,
                                         float* __restrict t12) {
  std::size_t x = 0;
  for (; x + 8 <= n; x += 8) {
    v8 a1 = {}, a2 = {}, a11 = {}, a22 = {}, a12 = {};
    for (int k = 0; k < taps; ++k) {
      const float c = g[k];
      v8 p, q;
      CODECBENCH_LOAD8(p, ref + off[k] + x);
      CODECBENCH_LOAD8(q, dist + off[k] + x);
      const v8 cp = c * p, cq = c * q;
      a1 += cp;
      a2 += cq;
      a11 += cp * p;
      a22 += cq * q;
      a12 += cp * q;
    }
    CODECBENCH_STORE8(t1 + x, a1);
    CODECBENCH_STORE8(t2 + x, a2);
    CODECBENCH_STORE8(t11 + x, a11);
    CODECBENCH_STORE8(t22 + x, a22);
    CODECBENCH_STORE8(t12 + x, a12);
  }
  for (; x < n; ++x) {
    float a1 = 0, a2 = 0, a11 = 0, a22 = 0, a12 = 0;
    for (int k = 0; k < taps; ++k) {
      const float c = g[k];
      const float p = ref[off[k] + x], q = dist[off[k] + x];
      const float cp = c * p, cq = c * q;
      a1 += cp;
      a2 += cq;
      a11 += cp * p;
      a22 += cq * q;
      a12 += cp * q;
    }
    t1[x] = a1;
    t2[x] = a2;
    t11[x] = a11;
    t22[x] = a22;
    t12[x] = a12;
  }
}

// vif_vertical for four consecutive output rows at once, one vector of V per row and moment per
// step (20 accumulators): `off` holds taps + 3 row offsets, and output row j reads
// off[j .. j + taps - 1]; row j's five sums go to t1 + j * ostride etc. Each input row is loaded
// once and serves tap i of row 0, i - 1 of row 1, i - 2 of row 2 and i - 3 of row 3, so a load
// feeds four taps' arithmetic instead of one. Per output the taps are added in index order with
// vif_vertical's arithmetic, so the values are vif_vertical's whatever V is. Needs n >= lanes;
// the last step ends at n, overlapping outputs already written (which get the same values).
// Macros, not lambdas: GCC may outline a lambda, and an outlined lambda is not cloned.
template <class V>
__attribute__((always_inline)) inline void vif_vertical4_body(
    const float* __restrict ref, const float* __restrict dist, const std::size_t* __restrict off,
    const float* __restrict g, int taps, std::size_t n, std::size_t ostride, float* __restrict t1,
    float* __restrict t2, float* __restrict t11, float* __restrict t22, float* __restrict t12) {
  constexpr std::size_t kLanes = sizeof(V) / sizeof(float);
#define CODECBENCH_ROW(i)                   \
  CODECBENCH_LOADV(p, ref + off[(i)] + at); \
  CODECBENCH_LOADV(q, dist + off[(i)] + at)
#define CODECBENCH_TAP(j, k)        \
  {                                 \
    const float c = g[(k)];         \
    const V cp = c * p, cq = c * q; \
    s1_##j += cp;                   \
    s2_##j += cq;                   \
    s11_##j += cp * p;              \
    s22_##j += cq * q;              \
    s12_##j += cp * q;              \
  }
#define CODECBENCH_STORE(j)                           \
  CODECBENCH_STOREV(t1 + (j)*ostride + at, s1_##j);   \
  CODECBENCH_STOREV(t2 + (j)*ostride + at, s2_##j);   \
  CODECBENCH_STOREV(t11 + (j)*ostride + at, s11_##j); \
  CODECBENCH_STOREV(t22 + (j)*ostride + at, s22_##j); \
  CODECBENCH_STOREV(t12 + (j)*ostride + at, s12_##j)
  for (std::size_t at = 0;;) {
    V s1_0 = {}, s2_0 = {}, s11_0 = {}, s22_0 = {}, s12_0 = {};
    V s1_1 = {}, s2_1 = {}, s11_1 = {}, s22_1 = {}, s12_1 = {};
    V s1_2 = {}, s2_2 = {}, s11_2 = {}, s22_2 = {}, s12_2 = {};
    V s1_3 = {}, s2_3 = {}, s11_3 = {}, s22_3 = {}, s12_3 = {};
    V p, q;
    // Rows 0-2 start the windows one by one, rows taps..taps+2 finish them.
    CODECBENCH_ROW(0);
    CODECBENCH_TAP(0, 0);
    CODECBENCH_ROW(1);
    CODECBENCH_TAP(0, 1);
    CODECBENCH_TAP(1, 0);
    CODECBENCH_ROW(2);
    CODECBENCH_TAP(0, 2);
    CODECBENCH_TAP(1, 1);
    CODECBENCH_TAP(2, 0);
    for (int i = 3; i < taps; ++i) {
      CODECBENCH_ROW(i);
      CODECBENCH_TAP(0, i);
      CODECBENCH_TAP(1, i - 1);
      CODECBENCH_TAP(2, i - 2);
      CODECBENCH_TAP(3, i - 3);
    }
    CODECBENCH_ROW(taps);
    CODECBENCH_TAP(1, taps - 1);
    CODECBENCH_TAP(2, taps - 2);
    CODECBENCH_TAP(3, taps - 3);
    CODECBENCH_ROW(taps + 1);
    CODECBENCH_TAP(2, taps - 1);
    CODECBENCH_TAP(3, taps - 2);
    CODECBENCH_ROW(taps + 2);
    CODECBENCH_TAP(3, taps - 1);
    CODECBENCH_STORE(0);
    CODECBENCH_STORE(1);
    CODECBENCH_STORE(2);
    CODECBENCH_STORE(3);
    if (at + kLanes == n) break;
    at = at + 2 * kLanes <= n ? at + kLanes : n - kLanes;
  }
#undef CODECBENCH_ROW
#undef CODECBENCH_TAP
#undef CODECBENCH_STORE
}

CODECBENCH_SIMD_CLONES void vif_vertical4_v8(
    const float* __restrict ref, const float* __restrict dist, const std::size_t* __restrict off,
    const float* __restrict g, int taps, std::size_t n, std::size_t ostride, float* __restrict t1,
    float* __restrict t2, float* __restrict t11, float* __restrict t22, float* __restrict t12) {
  vif_vertical4_body<v8>(ref, dist, off, g, taps, n, ostride, t1, t2, t11, t22, t12);
}

#if defined(CODECBENCH_SIMD_WIDE)
CODECBENCH_TARGET_V4 void vif_vertical4_v16(
    const float* __restrict ref, const float* __restrict dist, const std::size_t* __restrict off,
    const float* __restrict g, int taps, std::size_t n, std::size_t ostride, float* __restrict t1,
    float* __restrict t2, float* __restrict t11, float* __restrict t22, float* __restrict t12) {
  vif_vertical4_body<detail::v16>(ref, dist, off, g, taps, n, ostride, t1, t2, t11, t22, t12);
}
#endif

// VIF's vertical pass for four consecutive output rows (see vif_vertical4_body): sixteen lanes
// where the CPU has AVX-512 and the row is wide enough, else eight, else one row at a time.
void vif_vertical4(const float* ref, const float* dist, const std::size_t* off, const float* g,
                   int taps, std::size_t n, std::size_t ostride, float* t1, float* t2, float* t11,
                   float* t22, float* t12) {
  if (taps >= 3) {
#if defined(CODECBENCH_SIMD_WIDE)
    if (n >= 16 && detail::cpu_has_v4()) {
      vif_vertical4_v16(ref, dist, off, g, taps, n, ostride, t1, t2, t11, t22, t12);
      return;
    }
#endif
    if (n >= 8) {
      vif_vertical4_v8(ref, dist, off, g, taps, n, ostride, t1, t2, t11, t22, t12);
      return;
    }
  }
  for (std::size_t j = 0; j < 4; ++j) {
    const std::size_t o = j * ostride;
    vif_vertical(ref, dist, off + j, g, taps, n, t1 + o, t2 + o, t11 + o, t22 + o, t12 + o);
  }
}

// Horizontal pass on a row padded with `taps / 2` mirrored samples on each side, for a
// symmetric window (g[k] = g[taps - 1 - k], as every window here is): the two samples sharing a
// weight are added first, which halves the multiplications.
CODECBENCH_SIMD_CLONES void hfilter_v8(const float* __restrict padded, const float* __restrict g,
                                       int taps, std::size_t n, float* __restrict out) {
  const int r = taps / 2;
  const auto rr = static_cast<std::size_t>(r);
  std::size_t x = 0;
  // 32 outputs per step in four registers, each summing its taps in two chains (the centre
  // and the even pairs; the odd pairs) added at the end: eight independent chains hide the add
  // latency. Per lane the arithmetic is that of the one-register loop below.
  for (; x + 32 <= n; x += 32) {
    const float* p = padded + x;
    v8 a0, a1, a2, a3;  // named, not an array: an array stays in memory
    v8 b0 = {}, b1 = {}, b2 = {}, b3 = {};
    CODECBENCH_LOAD8(a0, p + rr);
    CODECBENCH_LOAD8(a1, p + 8 + rr);
    CODECBENCH_LOAD8(a2, p + 16 + rr);
    CODECBENCH_LOAD8(a3, p + 24 + rr);
    a0 *= g[r];
    a1 *= g[r];
    a2 *= g[r];
    a3 *= g[r];
    // Tap pair k (samples k and taps - 1 - k) of the 32 outputs into the chain c0..c3.
    auto pair = [&](int k, v8& c0, v8& c1, v8& c2, v8& c3) {
      const float* lo = p + static_cast<std::size_t>(k);
      const float* hi = p + static_cast<std::size_t>(taps - 1 - k);
      v8 l0, l1, l2, l3, h0, h1, h2, h3;
      CODECBENCH_LOAD8(l0, lo);
      CODECBENCH_LOAD8(l1, lo + 8);
      CODECBENCH_LOAD8(l2, lo + 16);
      CODECBENCH_LOAD8(l3, lo + 24);
      CODECBENCH_LOAD8(h0, hi);
      CODECBENCH_LOAD8(h1, hi + 8);
      CODECBENCH_LOAD8(h2, hi + 16);
      CODECBENCH_LOAD8(h3, hi + 24);
      c0 += g[k] * (l0 + h0);
      c1 += g[k] * (l1 + h1);
      c2 += g[k] * (l2 + h2);
      c3 += g[k] * (l3 + h3);
    };
    int k = 0;
    for (; k + 2 <= r; k += 2) {
      pair(k, a0, a1, a2, a3);
      pair(k + 1, b0, b1, b2, b3);
    }
    if (k < r) pair(k, a0, a1, a2, a3);
    a0 += b0;
    a1 += b1;
    a2 += b2;
    a3 += b3;
    CODECBENCH_STORE8(out + x, a0);
    CODECBENCH_STORE8(out + x + 8, a1);
    CODECBENCH_STORE8(out + x + 16, a2);
    CODECBENCH_STORE8(out + x + 24, a3);
  }
  for (; x + 8 <= n; x += 8) {
    v8 acc, odd = {};  // odd k: the second chain, as in the 32-output step
    CODECBENCH_LOAD8(acc, padded + x + rr);
    acc *= g[r];
    for (int k = 0; k < r; ++k) {
      v8 lo, hi;
      CODECBENCH_LOAD8(lo, padded + x + static_cast<std::size_t>(k));
      CODECBENCH_LOAD8(hi, padded + x + static_cast<std::size_t>(taps - 1 - k));
      if (k % 2 == 1) {
        odd += g[k] * (lo + hi);
      } else {
        acc += g[k] * (lo + hi);
      }
    }
    acc += odd;
    CODECBENCH_STORE8(out + x, acc);
  }
  for (; x < n; ++x) {
    float acc = g[r] * padded[x + rr], odd = 0;  // odd k: the second chain, as above
    for (int k = 0; k < r; ++k) {
      const float v = g[k] * (padded[x + static_cast<std::size_t>(k)] +
                              padded[x + static_cast<std::size_t>(taps - 1 - k)]);
      if (k % 2 == 1) {
        odd += v;
      } else {
        acc += v;
      }
    }
    out[x] = acc + odd;
  }
}

// Readable floats a padded row must have after its r + n + r values, for hfilter's 16-lane
// loads (the last step reads up to 15 floats past a 17-tap row, more for shorter windows).
constexpr std::size_t kRowSlack = 16;

#if defined(CODECBENCH_SIMD_WIDE)
// Window K of a 16-lane step: the 16 samples from K on, given the 32 at p (a = p[0..15],
// b = p[16..31]). Odd K are loaded again, even K (0 < K < 16) are shifted out of a and b with
// valignd: the unaligned loads alone (one per tap, half of them splitting a cache line) bound
// the eight-lane loop, and the shifts alone bound the FP ports; half and half ran 0.65x the
// eight-lane time (stand-alone test at 1280 wide).
template <int K>
CODECBENCH_TARGET_V4 __attribute__((always_inline)) inline detail::v16 window16(const float* p,
                                                                                detail::v16 a,
                                                                                detail::v16 b) {
  if constexpr (K == 0) {
    return a;
  } else if constexpr (K == 16) {
    return b;
  } else if constexpr (K % 2 == 1) {
    detail::v16 v;
    CODECBENCH_LOADV(v, p + K);
    return v;
  } else {
    // The zero-masking form with every lane kept: the plain one's undefined passthrough trips
    // GCC 12's -Wmaybe-uninitialized.
    return reinterpret_cast<detail::v16>(
        _mm512_maskz_alignr_epi32(static_cast<__mmask16>(0xffff), reinterpret_cast<__m512i>(b),
                                  reinterpret_cast<__m512i>(a), K));
  }
}

// hfilter_v8's arithmetic, lane for lane, for a window of Taps (3 to 17, odd) known when
// compiled: 32 outputs per step in two registers of 16, each summing its taps in the same two
// chains (the centre and the even pairs; the odd pairs). Outputs from the last multiple of 32 on
// are left to hfilter_v8. Reads up to kRowSlack floats past the padded row.
template <int Taps, int... K>
CODECBENCH_TARGET_V4 void hfilter_v16_pairs(const float* __restrict padded,
                                            const float* __restrict g, std::size_t n,
                                            float* __restrict out,
                                            std::integer_sequence<int, K...> /*pairs*/) {
  constexpr int r = Taps / 2;
  using detail::v16;
  for (std::size_t x = 0; x + 32 <= n; x += 32) {
    const float* p0 = padded + x;
    const float* p1 = p0 + 16;
    v16 a, b, c;
    CODECBENCH_LOADV(a, p0);
    CODECBENCH_LOADV(b, p1);
    CODECBENCH_LOADV(c, p0 + 32);
    v16 even0 = g[r] * window16<r>(p0, a, b), even1 = g[r] * window16<r>(p1, b, c);
    v16 odd0 = {}, odd1 = {};
    // Pair k: samples k and Taps - 1 - k, into the even or the odd chain.
    (((K % 2 == 0 ? even0 : odd0) +=
      g[K] * (window16<K>(p0, a, b) + window16<Taps - 1 - K>(p0, a, b)),
      (K % 2 == 0 ? even1 : odd1) +=
      g[K] * (window16<K>(p1, b, c) + window16<Taps - 1 - K>(p1, b, c))),
     ...);
    even0 += odd0;
    even1 += odd1;
    CODECBENCH_STOREV(out + x, even0);
    CODECBENCH_STOREV(out + x + 16, even1);
  }
}

// hfilter_v16_pairs with the pair indices 0 .. Taps / 2 - 1 that Taps implies.
template <int Taps>
void hfilter_v16(const float* padded, const float* g, std::size_t n, float* out) {
  hfilter_v16_pairs<Taps>(padded, g, n, out, std::make_integer_sequence<int, Taps / 2>{});
}
#endif

// Horizontal pass (see hfilter_v8) on a padded row with kRowSlack readable floats after it:
// sixteen lanes for the windows VMAF uses where the CPU has AVX-512, eight otherwise, and
// always eight for what is left after the 16-lane steps. Values do not depend on the path.
void hfilter(const float* padded, const float* g, int taps, std::size_t n, float* out) {
  std::size_t done = 0;
#if defined(CODECBENCH_SIMD_WIDE)
  if (n >= 32 && detail::cpu_has_v4()) {
    done = n / 32 * 32;
    switch (taps) {
      case 17:
        hfilter_v16<17>(padded, g, n, out);
        break;
      case 9:
        hfilter_v16<9>(padded, g, n, out);
        break;
      case 5:
        hfilter_v16<5>(padded, g, n, out);
        break;
      case 3:
        hfilter_v16<3>(padded, g, n, out);
        break;
      default:
        done = 0;
    }
  }
#endif
  if (done < n) hfilter_v8(padded + done, g, taps, n - done, out + done);
}

// log2 of x >= 1 and of y >= 1 (finite floats), vectorisable: x = 2^e m with m in
// [sqrt(1/2), sqrt(2)), and log2(m) = (2 / ln 2) atanh(t), t = (m - 1) / (m + 1), |t| < 0.172,
// from the series t + t^3/3 + ... + t^9/9 (truncation error below 4e-10). The two quotients
// share one division: t_x = (m_x - 1)(m_y + 1) / ((m_x + 1)(m_y + 1)), and t_y likewise
// (divisions bound this loop as much as its other arithmetic).
__attribute__((always_inline)) inline void split_log2(float x, float& e, float& m) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  e = static_cast<float>(static_cast<int>(bits >> 23) - 127);
  const std::uint32_t mbits = (bits & 0x007fffffu) | 0x3f800000u;
  std::memcpy(&m, &mbits, sizeof m);
  const bool big = m > 1.41421356f;
  m = big ? 0.5f * m : m;
  e = big ? e + 1.0f : e;
}

__attribute__((always_inline)) inline float atanh_series(float t) {
  const float t2 = t * t;
  const float series =
      t *
      (1.0f + t2 * (1.0f / 3.0f + t2 * (1.0f / 5.0f + t2 * (1.0f / 7.0f + t2 * (1.0f / 9.0f)))));
  return 2.8853900817779268f * series;  // 2 / ln 2
}

__attribute__((always_inline)) inline void log2_pair(float x, float y, float& lx, float& ly) {
  float ex = 0, mx = 0, ey = 0, my = 0;
  split_log2(x, ex, mx);
  split_log2(y, ey, my);
  const float px = mx + 1.0f, py = my + 1.0f;
  const float inv = 1.0f / (px * py);
  lx = ex + atanh_series((mx - 1.0f) * py * inv);
  ly = ey + atanh_series((my - 1.0f) * px * inv);
}

// VIF's information ratio per pixel (Sheikh and Bovik 2006, as libvmaf states it): numerator
// and denominator terms from the window means, variances and covariance; selects instead of
// branches, so that it vectorises.
CODECBENCH_SIMD_CLONES void vif_terms(const float* __restrict mu1, const float* __restrict mu2,
                                      const float* __restrict xx, const float* __restrict yy,
                                      const float* __restrict xy, std::size_t n, float limit,
                                      float* __restrict num, float* __restrict den) {
  constexpr float kSigmaNsq = 2.0f;
  constexpr float kEps = 1.0e-10f;
  const float sigma_max_inv = kSigmaNsq * kSigmaNsq / (255.0f * 255.0f);
  for (std::size_t x = 0; x < n; ++x) {
    float s1 = std::max(xx[x] - mu1[x] * mu1[x], 0.0f);
    const float s2 = std::max(yy[x] - mu2[x] * mu2[x], 0.0f);
    const float s12 = xy[x] - mu1[x] * mu2[x];
    float gain = s12 / (s1 + kEps);
    float sv = s2 - gain * s12;
    const bool flat_ref = s1 < kEps;
    gain = flat_ref ? 0.0f : gain;
    sv = flat_ref ? s2 : sv;
    s1 = flat_ref ? 0.0f : s1;
    const bool flat_dist = s2 < kEps;
    gain = flat_dist ? 0.0f : gain;
    sv = flat_dist ? 0.0f : sv;
    const bool negative = gain < 0.0f;
    sv = negative ? s2 : sv;
    gain = negative ? 0.0f : gain;
    sv = std::max(sv, kEps);
    gain = std::min(gain, limit);
    float nv = 0, dv = 0;
    log2_pair(1.0f + gain * gain * s1 / (sv + kSigmaNsq), 1.0f + s1 / kSigmaNsq, nv, dv);
    nv = s12 < 0.0f ? 0.0f : nv;
    const bool low = s1 < kSigmaNsq;
    nv = low ? 1.0f - s2 * sigma_max_inv : nv;
    dv = low ? 1.0f : dv;
    num[x] = nv;
    den[x] = dv;
  }
}

// Fills the `r` samples on each side of the padded row at v[at] (r + n + r values) by
// mirroring.
void pad_row(std::vector<float>& v, std::size_t at, int r, int n) {
  float* row = v.data() + at;
  for (int i = 1; i <= r; ++i) {
    row[r - i] = row[r + reflect_dup(-i, n)];
    row[r + n - 1 + i] = row[r + reflect_dup(n - 1 + i, n)];
  }
}

// Even and odd samples of 2 count values: e[j] = src[2j], o[j] = src[2j + 1].
CODECBENCH_SIMD_CLONES void deinterleave(const float* __restrict src, std::size_t count,
                                         float* __restrict e, float* __restrict o) {
  for (std::size_t j = 0; j < count; ++j) {
    e[j] = src[2 * j];
    o[j] = src[2 * j + 1];
  }
}

// Row y of `in` blurred by `g` (vertical, then horizontal pass) into `out` (in.width values);
// `pad` is scratch.
void blur_row(const Plane& in, const std::vector<float>& g, int y, std::vector<float>& pad,
              float* out) {
  const int w = in.width, h = in.height, taps = static_cast<int>(g.size()), r = taps / 2;
  const auto n = static_cast<std::size_t>(w);
  pad.resize(n + 2 * static_cast<std::size_t>(r) + kRowSlack);
  std::size_t off[32];
  for (int k = 0; k < taps; ++k) off[k] = static_cast<std::size_t>(reflect_dup(y - r + k, h)) * n;
  detail::window_sum(in.px.data(), off, g.data(), taps, n, pad.data() + r);
  pad_row(pad, 0, r, w);
  hfilter(pad.data(), g.data(), taps, n, out);
}

// Blurs `in` with `g` (vertical pass, then horizontal) and keeps every second sample of every
// second row: the next VIF scale, into `out`.
void blur_decimate(const Plane& in, const std::vector<float>& g, Plane& out) {
  const int w = in.width, h = in.height;
  shape(out, w / 2, h / 2);
  tbb::parallel_for(tbb::blocked_range<int>(0, out.height, 16), [&](const auto& range) {
    // Row buffers kept by each thread (no TBB call inside the body, so no reentry).
    thread_local std::vector<float> pad, row, odd;
    row.resize(static_cast<std::size_t>(w));
    const auto m = static_cast<std::size_t>(out.width);
    odd.resize(m);
    for (int oy = range.begin(); oy < range.end(); ++oy) {
      blur_row(in, g, 2 * oy, pad, row.data());
      // The even samples into the output row, vectorised (a loop here, in the TBB lambda, is
      // not cloned: scalar baseline code, 2% of VMAF's time).
      deinterleave(row.data(), m, out.px.data() + static_cast<std::size_t>(oy) * m, odd.data());
    }
  });
}

// One VIF scale: local means, variances and covariance under the window, then the
// information ratio of Sheikh and Bovik per pixel, summed.
void vif_scale(const Plane& ref, const Plane& dist, const std::vector<float>& g, double gain_limit,
               double& num, double& den) {
  const int w = ref.width, h = ref.height, taps = static_cast<int>(g.size()), r = taps / 2;
  const auto limit = static_cast<float>(gain_limit);
  std::vector<double> row_num(static_cast<std::size_t>(h)), row_den(static_cast<std::size_t>(h));
  // Rows in groups of four: the vertical pass of a whole group is one vif_vertical4 call.
  const int groups = (h + 3) / 4;
  tbb::parallel_for(tbb::blocked_range<int>(0, groups, 2), [&](const auto& range) {
    // Row buffers: the vertical pass into padded rows (mirrored borders), four rows per
    // moment, then the horizontal pass.
    const auto n = static_cast<std::size_t>(w);
    const auto padded = n + 2 * static_cast<std::size_t>(r);
    const auto rr = static_cast<std::size_t>(r);
    // Buffers kept by each thread (no TBB call inside the body, so no reentry).
    thread_local std::array<std::vector<float>, 5> pad, out;
    thread_local std::vector<float> terms_num, terms_den;
    for (auto& v : pad) v.resize(4 * padded + kRowSlack);
    for (auto& v : out) v.resize(n);
    terms_num.resize(n);
    terms_den.resize(n);
    std::size_t off[32 + 3];
    for (int grp = range.begin(); grp < range.end(); ++grp) {
      const int y0 = 4 * grp, rows = std::min(4, h - y0);
      for (int k = 0; k < taps + rows - 1; ++k) {
        off[k] = static_cast<std::size_t>(reflect_dup(y0 - r + k, h)) * n;
      }
      if (rows == 4) {
        vif_vertical4(ref.px.data(), dist.px.data(), off, g.data(), taps, n, padded,
                      pad[0].data() + rr, pad[1].data() + rr, pad[2].data() + rr,
                      pad[3].data() + rr, pad[4].data() + rr);
      } else {
        for (int j = 0; j < rows; ++j) {
          const std::size_t o = static_cast<std::size_t>(j) * padded + rr;
          vif_vertical(ref.px.data(), dist.px.data(), off + j, g.data(), taps, n, pad[0].data() + o,
                       pad[1].data() + o, pad[2].data() + o, pad[3].data() + o, pad[4].data() + o);
        }
      }
      for (int j = 0; j < rows; ++j) {
        const std::size_t o = static_cast<std::size_t>(j) * padded;
        for (std::size_t q = 0; q < 5; ++q) {
          pad_row(pad[q], o, r, w);
          hfilter(pad[q].data() + o, g.data(), taps, n, out[q].data());
        }
        vif_terms(out[0].data(), out[1].data(), out[2].data(), out[3].data(), out[4].data(), n,
                  limit, terms_num.data(), terms_den.data());
        const auto y = static_cast<std::size_t>(y0 + j);
        row_num[y] = row_sum(terms_num.data(), n);
        row_den[y] = row_sum(terms_den.data(), n);
      }
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

// Daubechies-2 analysis filters (the coefficients of the db2 wavelet).
constexpr float kLo[4] = {0.482962913144690f, 0.836516303737469f, 0.224143868041857f,
                          -0.129409522550921f};
constexpr float kHi[4] = {-0.129409522550921f, -0.224143868041857f, 0.836516303737469f,
                          -0.482962913144690f};

// Vertical db2 pass of one output row from its four source rows: low and high pass.
CODECBENCH_SIMD_CLONES void dwt_vertical(const float* __restrict r0, const float* __restrict r1,
                                         const float* __restrict r2, const float* __restrict r3,
                                         std::size_t n, float* __restrict lo,
                                         float* __restrict hi) {
  for (std::size_t x = 0; x < n; ++x) {
    lo[x] = kLo[0] * r0[x] + kLo[1] * r1[x] + kLo[2] * r2[x] + kLo[3] * r3[x];
    hi[x] = kHi[0] * r0[x] + kHi[1] * r1[x] + kHi[2] * r2[x] + kHi[3] * r3[x];
  }
}

// Horizontal db2 pass with decimation: output j reads samples 2j-1 .. 2j+2, given split into
// the two phases of the mirrored row (see dwt2) so that the loop is unit-stride.
CODECBENCH_SIMD_CLONES void dwt_horizontal(const float* __restrict e, const float* __restrict o,
                                           std::size_t n, float* __restrict low,
                                           float* __restrict high) {
  for (std::size_t j = 0; j < n; ++j) {
    low[j] = kLo[0] * e[j] + kLo[1] * o[j] + kLo[2] * e[j + 1] + kLo[3] * o[j + 1];
    high[j] = kHi[0] * e[j] + kHi[1] * o[j] + kHi[2] * e[j + 1] + kHi[3] * o[j + 1];
  }
}

// Row buffers of the wavelet decomposition (dwt_row).
struct DwtRows {
  std::vector<float> lo, hi, e, o;
};

// Output row i of one level of the db2 decomposition of `src`: the approximation into `a`, the
// vertical high-pass band into `hb`, the horizontal high-pass band into `vb`, both into `db`,
// (src.width + 1) / 2 values each. Output column j reads source columns 2j-1 .. 2j+2
// (mirrored): with m = 2j - 1 + k, the padded index m + 1 = 2j + k splits into even phase
// e[j + k/2] and odd phase o[j + k/2]; `src_col` maps m + 1 to the mirrored source column.
void dwt_row(const Plane& src, int i, const std::vector<int>& src_col, DwtRows& s, float* a,
             float* hb, float* vb, float* db) {
  const int w = src.width, h = src.height;
  const auto n = static_cast<std::size_t>(w);
  const auto n2 = static_cast<std::size_t>((w + 1) / 2);
  s.lo.resize(n);
  s.hi.resize(n);
  s.e.resize(n2 + 1);
  s.o.resize(n2 + 1);
  // Inside the row (2q <= n - 1) the phases are plain: e[q] = row[2q - 1], o[q] = row[2q].
  const std::size_t inner = (n - 1) / 2 + 1;
  auto phases = [&](const std::vector<float>& row) {
    for (std::size_t q = 0; q <= n2; q = q == 0 ? inner : q + 1) {
      s.e[q] = row[static_cast<std::size_t>(src_col[2 * q])];
      s.o[q] = row[static_cast<std::size_t>(src_col[2 * q + 1])];
    }
    deinterleave(row.data() + 1, inner - 1, s.e.data() + 1, s.o.data() + 1);
  };
  const float* r[4];
  for (int k = 0; k < 4; ++k) {
    r[k] = src.px.data() + static_cast<std::size_t>(reflect_dup(2 * i - 1 + k, h)) * n;
  }
  dwt_vertical(r[0], r[1], r[2], r[3], n, s.lo.data(), s.hi.data());
  phases(s.lo);
  dwt_horizontal(s.e.data(), s.o.data(), n2, a, vb);
  phases(s.hi);
  dwt_horizontal(s.e.data(), s.o.data(), n2, hb, db);
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

// Decoupling (Li et al. 2011) of n coefficients of one orientation: the distorted coefficient
// t splits into the part that restores the reference's detail (r) and the additive impairment
// (a = t - r). `same` marks where the (h, v) directions of reference and distortion are within
// one degree: there all of t counts as restored (libvmaf 1.x), or at most the gain limit's
// multiple of r when a limit is set. Writes |factor r| and the impairment's masking weight
// |factor a| / 30 (accumulated over orientations into `mask`, which the `first` orientation
// sets).
CODECBENCH_SIMD_CLONES void decouple(const float* __restrict o, const float* __restrict t,
                                     const float* __restrict same, std::size_t n, float factor,
                                     float limit, bool unlimited, bool first,
                                     float* __restrict rest, float* __restrict mask) {
  // Written as selects without branches so that it vectorises.
  const float lim = unlimited ? 0.0f : limit;
  const float use_t = unlimited ? 1.0f : 0.0f;
  const float keep = first ? 0.0f : 1.0f;  // (float flags: a bool select stops vectorising)
  for (std::size_t i = 0; i < n; ++i) {
    const float ti = t[i];
    const float k = std::min(std::max(ti / (o[i] + 1e-30f), 0.0f), 1.0f);
    const float r = k * o[i];
    const float rl = r * lim;
    float c = r > 0.0f ? std::min(rl, ti) : r;
    c = r < 0.0f ? std::max(rl, ti) : c;
    c = use_t > 0.0f ? ti : c;
    const float rr = same[i] > 0.0f ? c : r;
    rest[i] = std::fabs(factor * rr);
    const float before = keep > 0.0f ? mask[i] : 0.0f;
    mask[i] = before + (1.0f / 30.0f) * std::fabs(factor * (ti - rr));
  }
}

// The angle test of the decoupling for n coefficients.
CODECBENCH_SIMD_CLONES void same_direction(const float* __restrict oh, const float* __restrict ov,
                                           const float* __restrict th, const float* __restrict tv,
                                           std::size_t n, float cos1_sq, float* __restrict same) {
  for (std::size_t i = 0; i < n; ++i) {
    const float dot = oh[i] * th[i] + ov[i] * tv[i];
    const float om = oh[i] * oh[i] + ov[i] * ov[i];
    const float tm = th[i] * th[i] + tv[i] * tv[i];
    same[i] = (dot >= 0.0f && dot * dot >= cos1_sq * om * tm) ? 1.0f : 0.0f;
  }
}

// max(rest - thr, 0)^3 per pixel of one row.
CODECBENCH_SIMD_CLONES void masked_cubes(const float* __restrict rest, const float* __restrict thr,
                                         std::size_t n, float* __restrict out) {
  for (std::size_t i = 0; i < n; ++i) {
    const float v = std::max(rest[i] - thr[i], 0.0f);
    out[i] = v * v * v;
  }
}

// out[x] = r0[x] + r1[x] + r2[x]: the column sums of ADM's 3x3 masking window.
CODECBENCH_SIMD_CLONES void column_sum3(const float* __restrict r0, const float* __restrict r1,
                                        const float* __restrict r2, std::size_t n,
                                        float* __restrict out) {
  for (std::size_t x = 0; x < n; ++x) out[x] = r0[x] + r1[x] + r2[x];
}

// ADM's masking threshold: the 3x3 window's sum from its three column sums (vsum[x] holds
// column x - 1's), the centre pixel counted twice: thr[x] = vsum[x] + vsum[x + 1] + vsum[x + 2]
// + centre[x].
CODECBENCH_SIMD_CLONES void threshold_row(const float* __restrict vsum,
                                          const float* __restrict centre, std::size_t n,
                                          float* __restrict thr) {
  for (std::size_t x = 0; x < n; ++x) thr[x] = vsum[x] + vsum[x + 1] + vsum[x + 2] + centre[x];
}

// out[b] = the sum over x < n of |f[b] o_b[x]|^3, in double and in column order, for the three
// orientations together: three independent add chains where one band at a time was one chain
// (bound by the add's latency), each band's sum unchanged.
void cube_sums3(const float* __restrict o0, const float* __restrict o1, const float* __restrict o2,
                const float* f, std::size_t n, double* out) {
  double s0 = 0, s1 = 0, s2 = 0;
  for (std::size_t x = 0; x < n; ++x) {
    const double v0 = std::fabs(f[0] * o0[x]);
    const double v1 = std::fabs(f[1] * o1[x]);
    const double v2 = std::fabs(f[2] * o2[x]);
    s0 += v0 * v0 * v0;
    s1 += v1 * v1 * v1;
    s2 += v2 * v2 * v2;
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
}

// The masking threshold's 3x3 neighbourhood, mirrored at the edges: -1 -> 1, size -> size - 1.
int mirror_edge(int i, int size) {
  return std::min(i < 0 ? 1 : (i >= size ? size - 1 : i), size - 1);
}

// Stripes of kAdmStripe rows, each computed with the row above and the row below it (which the
// masking threshold reads; their neighbouring stripes compute them too), so that a stripe's
// per-pixel terms stay in the core's L2 between the two steps of adm_stripes.
constexpr int kAdmStripe = 32;

// What the stripes of one ADM level read and write (see adm_level).
struct AdmLevel {
  const Plane& ref_src;
  const Plane& dist_src;
  Plane& ref_a;
  Plane& dist_a;
  int w = 0, h = 0;
  Region g{};
  std::vector<int> src_col{};  // source column of each decomposed column, mirrored
  float factor[3] = {};
  float cos1_sq = 0, limit = 0;
  bool unlimited = false;
  // Per row of the pooling region: the numerator's three sums, then the denominator's (the
  // reference's contrast-weighted detail, in double), each added in column order.
  std::vector<std::array<double, 6>> rows{};
};

// Stripes first .. last - 1 of an ADM level.
void adm_stripes(AdmLevel& L, int first, int last) {
  const int w = L.w, h = L.h;
  const Region& g = L.g;
  const auto n = static_cast<std::size_t>(w);
  const int cols = g.right - g.left;
  constexpr int kStripe = kAdmStripe;
  // Row buffers kept by each thread (no TBB call inside the body, so no reentry).
  thread_local DwtRows work;
  thread_local std::array<std::vector<float>, 6> band;  // ref h, v, d; dist h, v, d
  thread_local std::vector<float> same, unused_a, vsum, thr, cubes;
  // Per pixel of the stripe's rows: the restored detail |factor r| per orientation, and the
  // masking weight T, the impairment's |factor a| / 30 summed over the three orientations.
  thread_local std::array<std::vector<float>, 4> terms;  // rest h, v, d; mask
  for (auto& v : band) v.resize(n);
  same.resize(n);
  unused_a.resize(n);
  for (auto& v : terms) v.resize(static_cast<std::size_t>(kStripe + 2) * n);
  vsum.resize(n + 2);
  thr.resize(static_cast<std::size_t>(std::max(cols, 0)));
  cubes.resize(thr.size());
  const float* ob[3] = {band[0].data(), band[1].data(), band[2].data()};
  const float* tb[3] = {band[3].data(), band[4].data(), band[5].data()};
  for (int stripe = first; stripe < last; ++stripe) {
    const int s0 = stripe * kStripe, s1 = std::min(h, s0 + kStripe);
    const int lo = std::max(0, s0 - 1), hi = std::min(h, s1 + 1);
    // Step 1, rows lo..hi-1: decomposition, decoupling, and (own rows only) the approximation
    // bands and the denominator's cube sums.
    for (int y = lo; y < hi; ++y) {
      const bool own = y >= s0 && y < s1;
      const std::size_t at = static_cast<std::size_t>(y) * n;
      dwt_row(L.ref_src, y, L.src_col, work, own ? L.ref_a.px.data() + at : unused_a.data(),
              band[0].data(), band[1].data(), band[2].data());
      dwt_row(L.dist_src, y, L.src_col, work, own ? L.dist_a.px.data() + at : unused_a.data(),
              band[3].data(), band[4].data(), band[5].data());
      same_direction(ob[0], ob[1], tb[0], tb[1], n, L.cos1_sq, same.data());
      const std::size_t t = static_cast<std::size_t>(y - lo) * n;
      for (std::size_t b = 0; b < 3; ++b) {
        decouple(ob[b], tb[b], same.data(), n, L.factor[b], L.limit, L.unlimited, b == 0,
                 terms[b].data() + t, terms[3].data() + t);
      }
      if (own && y >= g.top && y < g.bottom) {
        const auto left = static_cast<std::size_t>(g.left);
        cube_sums3(ob[0] + left, ob[1] + left, ob[2] + left, L.factor,
                   static_cast<std::size_t>(cols), &L.rows[static_cast<std::size_t>(y - g.top)][3]);
      }
    }
    // Step 2, own rows in the pooling region: restored detail above the masking threshold,
    // which is the 3x3 sum of T around the pixel with its centre counted twice, in all three
    // orientations together.
    for (int y = std::max(s0, g.top); y < std::min(s1, g.bottom); ++y) {
      auto mask_row = [&](int row) {
        return terms[3].data() + static_cast<std::size_t>(mirror_edge(row, h) - lo) * n;
      };
      const float* r0 = mask_row(y - 1);
      const float* r1 = mask_row(y);
      const float* r2 = mask_row(y + 1);
      // vsum[x + 1] = column sums of the three rows; vsum[0] and vsum[n + 1] mirrored.
      column_sum3(r0, r1, r2, n, vsum.data() + 1);
      vsum[0] = vsum[static_cast<std::size_t>(mirror_edge(-1, w)) + 1];
      vsum[n + 1] = vsum[static_cast<std::size_t>(mirror_edge(w, w)) + 1];
      const auto left = static_cast<std::size_t>(g.left), count = static_cast<std::size_t>(cols);
      threshold_row(vsum.data() + left, r1 + left, count, thr.data());
      std::array<double, 6>& acc = L.rows[static_cast<std::size_t>(y - g.top)];
      const std::size_t at = static_cast<std::size_t>(y - lo) * n + left;
      for (std::size_t b = 0; b < 3; ++b) {
        masked_cubes(terms[b].data() + at, thr.data(), count, cubes.data());
        acc[b] = row_sum(cubes.data(), count);
      }
    }
  }
}

// One ADM level: the decomposition of ref_src and dist_src (their approximation bands into
// ref_a and dist_a, the next level's input), and the level's numerator and denominator. The
// detail bands are used where they are made, row by row: the restored detail and the masking
// weight per pixel, and the denominator's cube sums, need only their own pixel; the numerator's
// threshold needs the masking weights of the rows above and below, so those per-pixel terms are
// kept for a stripe of rows (in L2) rather than a plane. Written as planes, the six detail bands
// (5.5 MB at level 0) and the four terms (3.7 MB) went through memory every frame, and ADM ran
// 1.75x slower per pixel at 720p than at 320x180.
void adm_level(const Plane& ref_src, const Plane& dist_src, int scale, double gain_limit,
               Plane& ref_a, Plane& dist_a, double& num, double& den) {
  const int w = (ref_src.width + 1) / 2, h = (ref_src.height + 1) / 2;
  shape(ref_a, w, h);
  shape(dist_a, w, h);
  AdmLevel L{ref_src, dist_src, ref_a, dist_a};
  L.w = w;
  L.h = h;
  const float f1 = csf_factor(scale, 1), f2 = csf_factor(scale, 2);
  L.factor[0] = f1;
  L.factor[1] = f1;
  L.factor[2] = f2;
  L.g = pooling_region(w, h);
  const Region& g = L.g;
  const double noise = std::cbrt((g.right - g.left) * (g.bottom - g.top) / 32.0);
  L.src_col.resize(static_cast<std::size_t>(2 * w + 2));
  for (int m = -1; m <= 2 * w; ++m) {
    L.src_col[static_cast<std::size_t>(m + 1)] = reflect_dup(m, ref_src.width);
  }
  L.cos1_sq =
      static_cast<float>(std::cos(std::numbers::pi / 180.0) * std::cos(std::numbers::pi / 180.0));
  L.limit = static_cast<float>(gain_limit);
  L.unlimited = gain_limit >= 100.0;
  L.rows.resize(static_cast<std::size_t>(std::max(0, g.bottom - g.top)));
  const int stripes = (h + kAdmStripe - 1) / kAdmStripe;
  tbb::parallel_for(tbb::blocked_range<int>(0, stripes, 1),
                    [&](const auto& range) { adm_stripes(L, range.begin(), range.end()); });
  std::array<double, 6> sums{};  // in row order, as one pass over the region would add them
  for (const auto& r : L.rows)
    for (std::size_t b = 0; b < 6; ++b) sums[b] += r[b];
  num = 0;
  den = 0;
  for (std::size_t b = 0; b < 3; ++b) {
    num += minkowski3(sums[b]) + noise;
    den += minkowski3(sums[3 + b]) + noise;
  }
}

}  // namespace

VifScores vif(const Plane& ref, const Plane& dist, const FeatureOptions& options) {
  Scratch scratch;
  return vif(ref, dist, options, scratch);
}

VifScores vif(const Plane& ref, const Plane& dist, const FeatureOptions& options,
              Scratch& scratch) {
  Scratch::Buffers& b = scratch.buffers();
  VifScores out;
  const Plane* cr = &ref;
  const Plane* cd = &dist;
  for (int s = 0; s < 4; ++s) {
    const std::vector<float> g = gaussian(vif_taps(s));
    if (s > 0) {
      const auto at = static_cast<std::size_t>(s - 1);
      blur_decimate(*cr, g, b.vif_ref[at]);
      blur_decimate(*cd, g, b.vif_dist[at]);
      cr = &b.vif_ref[at];
      cd = &b.vif_dist[at];
    }
    const auto i = static_cast<std::size_t>(s);
    vif_scale(*cr, *cd, g, options.vif_enhn_gain_limit, out.num[i], out.den[i]);
  }
  return out;
}

AdmScores adm(const Plane& ref, const Plane& dist, const FeatureOptions& options) {
  Scratch scratch;
  return adm(ref, dist, options, scratch);
}

AdmScores adm(const Plane& ref, const Plane& dist, const FeatureOptions& options,
              Scratch& scratch) {
  Scratch::Buffers& b = scratch.buffers();
  AdmScores out;
  for (std::size_t s = 0; s < 4; ++s) {
    adm_level(s == 0 ? ref : b.adm_ref[s - 1], s == 0 ? dist : b.adm_dist[s - 1],
              static_cast<int>(s), options.adm_enhn_gain_limit, b.adm_ref[s], b.adm_dist[s],
              out.num[s], out.den[s]);
  }
  return out;
}

Plane motion_blur(const Plane& in) {
  Plane out;
  motion_blur(in, out);
  return out;
}

void motion_blur(const Plane& in, Plane& out) {
  static constexpr float kTaps[5] = {0.054488685f, 0.244201342f, 0.402619947f, 0.244201342f,
                                     0.054488685f};
  const int h = in.height;
  out.width = in.width;
  out.height = in.height;
  out.px.resize(in.px.size());
  const std::vector<float> g(std::begin(kTaps), std::end(kTaps));
  // Groups of four rows: the vertical pass of a group is one window_sum4 call (each loaded row
  // serves four windows), then each row's horizontal pass; values as blur_row's.
  const int w = in.width, taps = 5, r = taps / 2;
  const auto n = static_cast<std::size_t>(w);
  const std::size_t padded = n + 2 * static_cast<std::size_t>(r);
  tbb::parallel_for(tbb::blocked_range<int>(0, (h + 3) / 4, 4), [&](const auto& range) {
    thread_local std::vector<float> pad;  // kept by each thread
    pad.resize(4 * padded + kRowSlack);
    std::size_t off[taps + 3];
    for (int grp = range.begin(); grp < range.end(); ++grp) {
      const int y0 = 4 * grp, rows = std::min(4, h - y0);
      for (int k = 0; k < taps + rows - 1; ++k) {
        off[k] = static_cast<std::size_t>(reflect_dup(y0 - r + k, h)) * n;
      }
      const auto rr = static_cast<std::size_t>(r);
      if (rows == 4) {
        detail::window_sum4(in.px.data(), off, g.data(), taps, n, pad.data() + rr, padded);
      } else {
        for (int j = 0; j < rows; ++j) {
          detail::window_sum(in.px.data(), off + j, g.data(), taps, n,
                             pad.data() + static_cast<std::size_t>(j) * padded + rr);
        }
      }
      for (int j = 0; j < rows; ++j) {
        const std::size_t o = static_cast<std::size_t>(j) * padded;
        pad_row(pad, o, r, w);
        hfilter(pad.data() + o, g.data(), taps, n, &out.at(0, y0 + j));
      }
    }
  });
}

double motion_sad(const Plane& a, const Plane& b) {
  const auto n = static_cast<std::size_t>(a.width);
  double sum = 0;
  for (int y = 0; y < a.height; ++y) {
    const std::size_t at = static_cast<std::size_t>(y) * n;
    sum += abs_diff_sum(a.px.data() + at, b.px.data() + at, n);
  }
  return sum / (static_cast<double>(a.width) * a.height);
}

}  // namespace codecbench::vmaf
