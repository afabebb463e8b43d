#pragma once
// Explicit SIMD for the metric kernels without a library: GCC/Clang vector types of eight
// floats, and function multiversioning. A kernel marked CODECBENCH_SIMD_CLONES is built twice by
// GCC, for AVX2 and for the x86-64 baseline, and the loader picks the one this CPU runs
// (target_clones, an ifunc); other compilers build the baseline only. No FMA in either: products
// round as in the baseline, so results do not depend on the CPU. Vector code stays inside
// kernels (loads and stores through memcpy macros, never a vector argument), so the baseline
// build's ABI is untouched.
#include <cstring>

// CODECBENCH_SIMD_BASELINE builds the baseline only: the unit tests' second build of the
// kernels (tests/meson.build), so that the clone an AVX2 machine never runs is tested too.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(CODECBENCH_SIMD_BASELINE)
#define CODECBENCH_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CODECBENCH_SIMD_CLONES
#endif

namespace codecbench::detail {

/// Eight floats, one AVX2 register or two SSE registers.
using v8 = float __attribute__((vector_size(32)));

}  // namespace codecbench::detail

/// Unaligned load and store of eight floats.
#define CODECBENCH_LOAD8(v, p) std::memcpy(&(v), (p), sizeof(::codecbench::detail::v8))
#define CODECBENCH_STORE8(p, v) std::memcpy((p), &(v), sizeof(::codecbench::detail::v8))
