#pragma once
// Explicit SIMD for the metric kernels without a library: GCC/Clang vector types of eight
// floats, and function multiversioning. A kernel marked CODECBENCH_SIMD_CLONES is built three
// times by GCC, for x86-64-v4 (AVX-512: 32 vector registers, and 16-lane loops where the
// compiler vectorises), for AVX2 and for the x86-64 baseline, and the loader picks the best one
// this CPU runs (target_clones, an ifunc); other compilers build the baseline only. No FMA in
// any: the kernels are compiled with -ffp-contract=off (src/meson.build), so products round as in
// the baseline and results do not depend on the CPU. Vector code stays inside kernels (loads
// and stores through memcpy macros, never a vector argument), so the baseline build's ABI is
// untouched.
#include <cstddef>
#include <cstring>

// The unit tests build the kernels twice more (tests/meson.build), so that the clones an
// AVX-512 machine never runs are tested too: CODECBENCH_SIMD_BASELINE builds the baseline only,
// CODECBENCH_SIMD_AVX2 the AVX2 and baseline clones.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(CODECBENCH_SIMD_BASELINE)
#if defined(CODECBENCH_SIMD_AVX2)
#define CODECBENCH_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CODECBENCH_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
#else
#define CODECBENCH_SIMD_CLONES
#endif

// Sixteen-lane kernels for AVX-512 (a loop of one register of eight floats per step bound by
// the number of its operations, not by the FP units, runs about 0.7x the time with 16 lanes):
// a kernel whose accumulators fill 32 vector registers cannot be one body for every clone (the
// AVX2 clone has 16 registers), so it is a template on the vector type built twice, the v16
// instance with CODECBENCH_TARGET_V4 and called where cpu_has_v4() says so. Off for the test
// builds that exercise the other clones, and for other compilers.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(CODECBENCH_SIMD_BASELINE) && !defined(CODECBENCH_SIMD_AVX2)
#define CODECBENCH_SIMD_WIDE 1
#define CODECBENCH_TARGET_V4 __attribute__((target("arch=x86-64-v4")))
#endif

namespace codecbench::detail {

/// Eight floats, one AVX2 register or two SSE registers.
using v8 = float __attribute__((vector_size(32)));

/// Sixteen floats, one AVX-512 register; used only in CODECBENCH_TARGET_V4 code.
using v16 = float __attribute__((vector_size(64)));

#if defined(CODECBENCH_SIMD_WIDE)
/// Whether this CPU runs x86-64-v4 (AVX-512 F, BW, CD, DQ, VL) code; asked once.
inline bool cpu_has_v4() {
  static const bool has = __builtin_cpu_supports("x86-64-v4") != 0;
  return has;
}
#endif

}  // namespace codecbench::detail

/// Unaligned load and store of eight floats.
#define CODECBENCH_LOAD8(v, p) std::memcpy(&(v), (p), sizeof(::codecbench::detail::v8))
#define CODECBENCH_STORE8(p, v) std::memcpy((p), &(v), sizeof(::codecbench::detail::v8))
/// Unaligned load and store of one vector of whatever type v has.
#define CODECBENCH_LOADV(v, p) std::memcpy(&(v), (p), sizeof(v))
#define CODECBENCH_STOREV(p, v) std::memcpy((p), &(v), sizeof(v))

namespace codecbench::detail {

/// The body of window_sum for a vector type V of L floats (v8 or v16): 8L outputs per step in
/// eight registers, then 4L in four, then L at a time (the last L overlapping), one at a time
/// only for n < L; every output adds its taps in index order from zero, so the result depends
/// neither on the path nor on V.
template <class V>
__attribute__((always_inline)) inline void window_sum_body(const float* __restrict in,
                                                           const std::size_t* __restrict off,
                                                           const float* __restrict g, int taps,
                                                           std::size_t n, float* __restrict out) {
  constexpr std::size_t L = sizeof(V) / sizeof(float);
  std::size_t x = 0;
  // Tap k of 4L outputs from p into c0..c3.
  auto tap = [&](int k, const float* p, V& c0, V& c1, V& c2, V& c3) {
    V v0, v1, v2, v3;
    std::memcpy(&v0, p, sizeof(V));
    std::memcpy(&v1, p + L, sizeof(V));
    std::memcpy(&v2, p + 2 * L, sizeof(V));
    std::memcpy(&v3, p + 3 * L, sizeof(V));
    c0 += g[k] * v0;
    c1 += g[k] * v1;
    c2 += g[k] * v2;
    c3 += g[k] * v3;
  };
  auto store4 = [&](std::size_t at, const V& c0, const V& c1, const V& c2, const V& c3) {
    std::memcpy(out + at, &c0, sizeof(V));
    std::memcpy(out + at + L, &c1, sizeof(V));
    std::memcpy(out + at + 2 * L, &c2, sizeof(V));
    std::memcpy(out + at + 3 * L, &c3, sizeof(V));
  };
  // 8L outputs per step in eight registers: eight independent add chains, enough to hide the
  // add latency (four left the multipliers idle a third of the time).
  for (; x + 8 * L <= n; x += 8 * L) {
    V a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {};
    for (int k = 0; k < taps; ++k) {
      const float* p = in + off[k] + x;
      tap(k, p, a0, a1, a2, a3);
      tap(k, p + 4 * L, a4, a5, a6, a7);
    }
    store4(x, a0, a1, a2, a3);
    store4(x + 4 * L, a4, a5, a6, a7);
  }
  for (; x + 4 * L <= n; x += 4 * L) {
    V a0 = {}, a1 = {}, a2 = {}, a3 = {};
    for (int k = 0; k < taps; ++k) tap(k, in + off[k] + x, a0, a1, a2, a3);
    store4(x, a0, a1, a2, a3);
  }
  // The rest L at a time, the last L ending at n (overlapping outputs already written, which
  // get the same values again): a scalar tail of up to 4L - 1 outputs, each a chain of
  // dependent adds, took 40% of the time at widths such as MS-SSIM's 1270.
  auto one = [&](std::size_t at) {
    V a = {};
    for (int k = 0; k < taps; ++k) {
      V v;
      std::memcpy(&v, in + off[k] + at, sizeof(V));
      a += g[k] * v;
    }
    std::memcpy(out + at, &a, sizeof(V));
  };
  for (; x + L <= n; x += L) one(x);
  if (x < n && n >= L) {
    one(n - L);
    x = n;
  }
  for (; x < n; ++x) {
    float acc = 0;
    for (int k = 0; k < taps; ++k) acc += g[k] * in[off[k] + x];
    out[x] = acc;
  }
}

[[maybe_unused]] CODECBENCH_SIMD_CLONES static void window_sum_v8(const float* __restrict in,
                                                                  const std::size_t* __restrict off,
                                                                  const float* __restrict g,
                                                                  int taps, std::size_t n,
                                                                  float* __restrict out) {
  window_sum_body<v8>(in, off, g, taps, n, out);
}

#if defined(CODECBENCH_SIMD_WIDE)
[[maybe_unused]] CODECBENCH_TARGET_V4 static void window_sum_v16(const float* __restrict in,
                                                                 const std::size_t* __restrict off,
                                                                 const float* __restrict g,
                                                                 int taps, std::size_t n,
                                                                 float* __restrict out) {
  window_sum_body<v16>(in, off, g, taps, n, out);
}
#endif

/// A window sum per output: out[x] = sum_k g[k] in[off[k] + x] for x < n (off[k] = k for a
/// horizontal window, k * stride for a vertical one), each output adding its taps in index
/// order from zero: 16 lanes where the CPU has AVX-512 and n >= 16, else 8 (window_sum_body).
/// One copy per translation unit (static).
[[maybe_unused]] static void window_sum(const float* in, const std::size_t* off, const float* g,
                                        int taps, std::size_t n, float* out) {
#if defined(CODECBENCH_SIMD_WIDE)
  if (n >= 16 && cpu_has_v4()) {
    window_sum_v16(in, off, g, taps, n, out);
    return;
  }
#endif
  window_sum_v8(in, off, g, taps, n, out);
}

/// Four vertical window sums at once: out[j * ostride + x] = sum_k g[k] in[off[j + k] + x] for
/// j < 4 and x < n, where off holds taps + 3 row offsets (four consecutive windows). Per output
/// the taps are added in index order from zero, as window_sum adds them, so the values are
/// window_sum's. Each input row is loaded once and serves tap i of window 0, i - 1 of window 1,
/// i - 2 of window 2 and i - 3 of window 3: four multiply-adds per load where window_sum has
/// one, and L2 serves each row once per four outputs instead of once per output (the 11 rows
/// of 5 KB do not fit L1). On this machine the window filters with one load per multiply-add
/// run at half the core's peak. The body for a vector type V of L floats: 2L outputs of each
/// window per step in eight registers, the last step ending at n (overlapping outputs already
/// written, which get the same values again); needs n >= 2L and taps >= 3. No lambdas here:
/// GCC may outline one, and an outlined lambda is not cloned (it ran the baseline build, 6x
/// slower); the row steps are macros instead.
template <class V>
__attribute__((always_inline)) inline void window_sum4_body(const float* __restrict in,
                                                            const std::size_t* __restrict off,
                                                            const float* __restrict g, int taps,
                                                            std::size_t n, float* __restrict out,
                                                            std::size_t ostride) {
  constexpr std::size_t L = sizeof(V) / sizeof(float);
#define CODECBENCH_ROW(i)                          \
  std::memcpy(&v0, in + off[(i)] + at, sizeof(V)); \
  std::memcpy(&v1, in + off[(i)] + at + L, sizeof(V))
#define CODECBENCH_TAP(x0, x1, k) \
  x0 += g[(k)] * v0;              \
  x1 += g[(k)] * v1
#define CODECBENCH_PUT(j, x0, x1)                        \
  std::memcpy(out + (j)*ostride + at, &(x0), sizeof(V)); \
  std::memcpy(out + (j)*ostride + at + L, &(x1), sizeof(V))
  for (std::size_t at = 0;;) {
    V a0 = {}, a1 = {}, b0 = {}, b1 = {}, c0 = {}, c1 = {}, d0 = {}, d1 = {};
    V v0, v1;
    // Rows 0-2 start the windows one by one, rows taps..taps+2 finish them.
    CODECBENCH_ROW(0);
    CODECBENCH_TAP(a0, a1, 0);
    CODECBENCH_ROW(1);
    CODECBENCH_TAP(a0, a1, 1);
    CODECBENCH_TAP(b0, b1, 0);
    CODECBENCH_ROW(2);
    CODECBENCH_TAP(a0, a1, 2);
    CODECBENCH_TAP(b0, b1, 1);
    CODECBENCH_TAP(c0, c1, 0);
    for (int i = 3; i < taps; ++i) {
      CODECBENCH_ROW(i);
      CODECBENCH_TAP(a0, a1, i);
      CODECBENCH_TAP(b0, b1, i - 1);
      CODECBENCH_TAP(c0, c1, i - 2);
      CODECBENCH_TAP(d0, d1, i - 3);
    }
    CODECBENCH_ROW(taps);
    CODECBENCH_TAP(b0, b1, taps - 1);
    CODECBENCH_TAP(c0, c1, taps - 2);
    CODECBENCH_TAP(d0, d1, taps - 3);
    CODECBENCH_ROW(taps + 1);
    CODECBENCH_TAP(c0, c1, taps - 1);
    CODECBENCH_TAP(d0, d1, taps - 2);
    CODECBENCH_ROW(taps + 2);
    CODECBENCH_TAP(d0, d1, taps - 1);
    CODECBENCH_PUT(0, a0, a1);
    CODECBENCH_PUT(1, b0, b1);
    CODECBENCH_PUT(2, c0, c1);
    CODECBENCH_PUT(3, d0, d1);
    if (at + 2 * L == n) break;
    at = at + 4 * L <= n ? at + 2 * L : n - 2 * L;
  }
#undef CODECBENCH_ROW
#undef CODECBENCH_TAP
#undef CODECBENCH_PUT
}

[[maybe_unused]] CODECBENCH_SIMD_CLONES static void window_sum4_v8(
    const float* __restrict in, const std::size_t* __restrict off, const float* __restrict g,
    int taps, std::size_t n, float* __restrict out, std::size_t ostride) {
  window_sum4_body<v8>(in, off, g, taps, n, out, ostride);
}

#if defined(CODECBENCH_SIMD_WIDE)
[[maybe_unused]] CODECBENCH_TARGET_V4 static void window_sum4_v16(
    const float* __restrict in, const std::size_t* __restrict off, const float* __restrict g,
    int taps, std::size_t n, float* __restrict out, std::size_t ostride) {
  window_sum4_body<v16>(in, off, g, taps, n, out, ostride);
}
#endif

/// window_sum4_body's four windows: 16 lanes where the CPU has AVX-512 and n >= 32, 8 where
/// n >= 16, else window_sum per window.
[[maybe_unused]] static void window_sum4(const float* in, const std::size_t* off, const float* g,
                                         int taps, std::size_t n, float* out, std::size_t ostride) {
  if (taps >= 3) {
#if defined(CODECBENCH_SIMD_WIDE)
    if (n >= 32 && cpu_has_v4()) {
      window_sum4_v16(in, off, g, taps, n, out, ostride);
      return;
    }
#endif
    if (n >= 16) {
      window_sum4_v8(in, off, g, taps, n, out, ostride);
      return;
    }
  }
  for (std::size_t j = 0; j < 4; ++j) window_sum(in, off + j, g, taps, n, out + j * ostride);
}

}  // namespace codecbench::detail
