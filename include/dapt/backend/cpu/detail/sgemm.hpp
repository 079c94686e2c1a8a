/// @file sgemm.hpp
/// @brief dapt's own fp32 GEMM for the CPU, in the style of GotoBLAS and BLIS: C (M, N) = alpha ·
/// op(A) (M, K) · op(B) (K, N) + beta · C, row-major, with op() the identity or a transpose that is
/// folded into the packing (nothing is transposed in memory). K is cut into blocks of at most 384,
/// M into blocks that fit L2 and N into blocks that fit L3; each block of A and B is packed into
/// an aligned buffer in the order a 6x16 register-tile micro-kernel reads it (AVX2 + FMA, or plain
/// C++ that the compiler vectorises when those are not enabled), and ragged tiles are computed into
/// a scratch tile and copied out, so any M, N, K work. OpenMP threads split the rows of C (sharing
/// one packed block of B) or, when C has few rows, its columns. Every element of C is computed by
/// one thread, with the K blocks in a fixed order, so results are bitwise the same for any thread
/// count. Eigen's gebp kernel reaches about two thirds of this speed on an AVX2 core, and a LLaMA
/// training step spends most of its time here. Not wired into MatmulKernels<Cpu> yet: it allocates
/// its pack buffers per call, and the layers promise no allocation inside a step (a caller-owned
/// workspace is the next step).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "dapt/core/error.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace dapt::backend::detail {

/// True when sgemm runs its AVX2 + FMA micro-kernel; otherwise it runs the portable one, which is
/// correct but no faster than Eigen, so callers prefer Eigen then.
#if defined(__AVX2__) && defined(__FMA__)
inline constexpr bool kSgemmSimd = true;
#else
inline constexpr bool kSgemmSimd = false;
#endif

namespace sgemm_impl {

inline constexpr std::int64_t kMr = 6;       ///< rows of the register tile
inline constexpr std::int64_t kNr = 16;      ///< columns of the register tile (two ymm registers)
inline constexpr std::int64_t kKcMax = 384;  ///< K block: a 16-column B panel (24 KiB) stays in L1
inline constexpr std::int64_t kMcMax = 144;  ///< M block: the packed A block (216 KiB) stays in L2
inline constexpr std::int64_t kNcMax = 3072; ///< N block: the packed B block (4.5 MiB) stays in L3
inline constexpr std::int64_t kAlign = 64;   ///< bytes; packed panels start on cache lines
/// Floats of slack after each packed buffer: the vector packers store 8 floats where the last
/// step of a panel needs 6.
inline constexpr std::int64_t kPad = 16;

inline constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
inline constexpr std::int64_t round_up(std::int64_t a, std::int64_t b) { return ceil_div(a, b) * b; }

/// Splits `total` into the fewest blocks of at most `max_block`, of near-equal size rounded up to
/// a multiple of `unit` (balanced blocks: 688 becomes 344 + 344, not 384 + 304).
inline std::int64_t balanced_block(std::int64_t total, std::int64_t max_block, std::int64_t unit) {
  const std::int64_t blocks = ceil_div(total, max_block);
  return std::min(round_up(ceil_div(total, blocks), unit), round_up(max_block, unit));
}

/// How the micro-kernel writes its tile: C = acc, C += acc, or C = alpha · acc + beta · C.
enum class Store { kOverwrite, kAccumulate, kGeneral };

/// The operands of one call, as the packers and the macro-kernel see them.
struct Problem {
  bool trans_a, trans_b;
  std::int64_t m, n, k;
  float alpha, beta;
  const float* a;
  std::int64_t lda;
  const float* b;
  std::int64_t ldb;
  float* c;
  std::int64_t ldc;
};

// ---------------------------------------------------------------------------------------------
// Packing. A panel of A holds kMr rows: for each p in [0, kc), kMr consecutive floats
// (A[i0 + 0][p], ..., A[i0 + 5][p]), rows past M as zeros. A panel of B holds kNr columns: for
// each p, kNr consecutive floats (B[p][j0 + 0], ..., B[p][j0 + 15]), columns past N as zeros.
// ---------------------------------------------------------------------------------------------

#if defined(__AVX2__) && defined(__FMA__)
/// Transposes the 8x8 block held in r[0..7] (row i in r[i]) in place.
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
#endif

/// Packs rows [i0, i0 + mr) x columns [p0, p0 + kc) of a row-major A (element (i, p) at
/// a[i * lda + p]) into one A panel: a gather across rows, done as 8x8 transposes.
inline void pack_a_rows(const float* a, std::int64_t lda, std::int64_t i0, std::int64_t mr, std::int64_t p0,
                        std::int64_t kc, float* dst) {
  const float* src = a + i0 * lda + p0;
  std::int64_t p = 0;
#if defined(__AVX2__) && defined(__FMA__)
  if (mr == kMr) {
    for (; p + 8 <= kc; p += 8) {
      __m256 r[8];
      for (int i = 0; i < kMr; ++i) r[i] = _mm256_loadu_ps(src + i * lda + p);
      r[6] = r[7] = _mm256_setzero_ps();
      transpose8(r);
      // Each store writes 8 floats where 6 belong; the next one overwrites the extra 2 (kPad
      // covers the last).
      for (int q = 0; q < 8; ++q) _mm256_storeu_ps(dst + (p + q) * kMr, r[q]);
    }
  }
#endif
  for (; p < kc; ++p) {
    for (std::int64_t i = 0; i < mr; ++i) dst[p * kMr + i] = src[i * lda + p];
    for (std::int64_t i = mr; i < kMr; ++i) dst[p * kMr + i] = 0.0f;
  }
}

/// Packs rows [i0, i0 + mr) x columns [p0, p0 + kc) of A = a^T (element (i, p) at a[p * lda + i])
/// into one A panel: kMr contiguous floats per p.
inline void pack_a_cols(const float* a, std::int64_t lda, std::int64_t i0, std::int64_t mr, std::int64_t p0,
                        std::int64_t kc, float* dst) {
  const float* src = a + p0 * lda + i0;
  if (mr == kMr) {
    for (std::int64_t p = 0; p < kc; ++p) {
      const float* s = src + p * lda;
      float* d = dst + p * kMr;
#if defined(__AVX2__) && defined(__FMA__)
      _mm_storeu_ps(d, _mm_loadu_ps(s));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(d + 4), _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s + 4)));
#else
      for (int i = 0; i < kMr; ++i) d[i] = s[i];
#endif
    }
    return;
  }
  for (std::int64_t p = 0; p < kc; ++p) {
    for (std::int64_t i = 0; i < mr; ++i) dst[p * kMr + i] = src[p * lda + i];
    for (std::int64_t i = mr; i < kMr; ++i) dst[p * kMr + i] = 0.0f;
  }
}

/// Packs rows [p0, p0 + kc) x columns [j0, j0 + nr) of a row-major B (element (p, j) at
/// b[p * ldb + j]) into one B panel: kNr contiguous floats per p.
inline void pack_b_rows(const float* b, std::int64_t ldb, std::int64_t j0, std::int64_t nr, std::int64_t p0,
                        std::int64_t kc, float* dst) {
  const float* src = b + p0 * ldb + j0;
  if (nr == kNr) {
    for (std::int64_t p = 0; p < kc; ++p) {
#if defined(__AVX2__) && defined(__FMA__)
      _mm256_store_ps(dst + p * kNr, _mm256_loadu_ps(src + p * ldb));
      _mm256_store_ps(dst + p * kNr + 8, _mm256_loadu_ps(src + p * ldb + 8));
#else
      for (int j = 0; j < kNr; ++j) dst[p * kNr + j] = src[p * ldb + j];
#endif
    }
    return;
  }
  for (std::int64_t p = 0; p < kc; ++p) {
    for (std::int64_t j = 0; j < nr; ++j) dst[p * kNr + j] = src[p * ldb + j];
    for (std::int64_t j = nr; j < kNr; ++j) dst[p * kNr + j] = 0.0f;
  }
}

/// Packs rows [p0, p0 + kc) x columns [j0, j0 + nr) of B = b^T (element (p, j) at b[j * ldb + p],
/// the layout of a linear layer's weight) into one B panel: a gather, done as 8x8 transposes.
inline void pack_b_cols(const float* b, std::int64_t ldb, std::int64_t j0, std::int64_t nr, std::int64_t p0,
                        std::int64_t kc, float* dst) {
  const float* src = b + j0 * ldb + p0;
  std::int64_t p = 0;
#if defined(__AVX2__) && defined(__FMA__)
  if (nr == kNr) {
    for (; p + 8 <= kc; p += 8) {
      for (int half = 0; half < 2; ++half) {
        __m256 r[8];
        for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(src + (half * 8 + j) * ldb + p);
        transpose8(r);
        for (int q = 0; q < 8; ++q) _mm256_store_ps(dst + (p + q) * kNr + half * 8, r[q]);
      }
    }
  }
#endif
  for (; p < kc; ++p) {
    for (std::int64_t j = 0; j < nr; ++j) dst[p * kNr + j] = src[j * ldb + p];
    for (std::int64_t j = nr; j < kNr; ++j) dst[p * kNr + j] = 0.0f;
  }
}

inline void pack_a(const Problem& pr, std::int64_t i0, std::int64_t mr, std::int64_t p0, std::int64_t kc,
                   float* dst) {
  if (pr.trans_a) pack_a_cols(pr.a, pr.lda, i0, mr, p0, kc, dst);
  else pack_a_rows(pr.a, pr.lda, i0, mr, p0, kc, dst);
}

inline void pack_b(const Problem& pr, std::int64_t j0, std::int64_t nr, std::int64_t p0, std::int64_t kc,
                   float* dst) {
  if (pr.trans_b) pack_b_cols(pr.b, pr.ldb, j0, nr, p0, kc, dst);
  else pack_b_rows(pr.b, pr.ldb, j0, nr, p0, kc, dst);
}

// ---------------------------------------------------------------------------------------------
// Micro-kernel: the kMr x kNr tile C (row stride ldc) from one A panel and one B panel of depth kc.
// ---------------------------------------------------------------------------------------------

#if defined(__AVX2__) && defined(__FMA__)
inline void micro_kernel(std::int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                         std::int64_t ldc, Store store, float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  if (store != Store::kOverwrite) {
    for (int i = 0; i < kMr; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (std::int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    __m256 x = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(x, b0, c40);
    c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(x, b0, c50);
    c51 = _mm256_fmadd_ps(x, b1, c51);
    a += kMr;
    b += kNr;
  }
  const auto put = [&](float* row, __m256 lo, __m256 hi) {
    switch (store) {
      case Store::kOverwrite:
        _mm256_storeu_ps(row, lo);
        _mm256_storeu_ps(row + 8, hi);
        break;
      case Store::kAccumulate:
        _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), lo));
        _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_loadu_ps(row + 8), hi));
        break;
      case Store::kGeneral: {
        const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
        _mm256_storeu_ps(row, _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), _mm256_mul_ps(va, lo)));
        _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), _mm256_mul_ps(va, hi)));
        break;
      }
    }
  };
  put(c + 0 * ldc, c00, c01);
  put(c + 1 * ldc, c10, c11);
  put(c + 2 * ldc, c20, c21);
  put(c + 3 * ldc, c30, c31);
  put(c + 4 * ldc, c40, c41);
  put(c + 5 * ldc, c50, c51);
}
#else
/// The portable micro-kernel: the same tile and summation order, in plain C++.
inline void micro_kernel(std::int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                         std::int64_t ldc, Store store, float alpha, float beta) {
  float acc[kMr][kNr] = {};
  for (std::int64_t p = 0; p < kc; ++p) {
    for (int i = 0; i < kMr; ++i) {
      const float x = a[p * kMr + i];
      for (int j = 0; j < kNr; ++j) acc[i][j] += x * b[p * kNr + j];
    }
  }
  for (int i = 0; i < kMr; ++i) {
    float* row = c + i * ldc;
    for (int j = 0; j < kNr; ++j) {
      switch (store) {
        case Store::kOverwrite: row[j] = acc[i][j]; break;
        case Store::kAccumulate: row[j] = row[j] + acc[i][j]; break;
        case Store::kGeneral: {
          const float scaled = alpha * acc[i][j];
          row[j] = beta * row[j] + scaled;
          break;
        }
      }
    }
  }
}
#endif

/// Writes an mr x nr corner of a scratch tile into C with the same arithmetic as micro_kernel.
inline void store_edge(const float* tile, std::int64_t mr, std::int64_t nr, float* c, std::int64_t ldc, Store store,
                       float alpha, float beta) {
  for (std::int64_t i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    const float* t = tile + i * kNr;
    for (std::int64_t j = 0; j < nr; ++j) {
      switch (store) {
        case Store::kOverwrite: row[j] = t[j]; break;
        case Store::kAccumulate: row[j] = row[j] + t[j]; break;
#if defined(__FMA__)
        case Store::kGeneral: row[j] = __builtin_fmaf(beta, row[j], alpha * t[j]); break;
#else
        case Store::kGeneral: {
          const float scaled = alpha * t[j];
          row[j] = beta * row[j] + scaled;
          break;
        }
#endif
      }
    }
  }
}

/// C block (mc, nc) at c (row stride ldc) from a packed A block (mc rows) and B block (nc cols).
inline void macro_kernel(std::int64_t mc, std::int64_t nc, std::int64_t kc, const float* ap, const float* bp, float* c,
                         std::int64_t ldc, Store store, float alpha, float beta) {
  alignas(kAlign) float tile[kMr * kNr];
  for (std::int64_t jr = 0; jr < nc; jr += kNr) {
    const std::int64_t nr = std::min(kNr, nc - jr);
    const float* b_panel = bp + jr * kc;
    for (std::int64_t ir = 0; ir < mc; ir += kMr) {
      const std::int64_t mr = std::min(kMr, mc - ir);
      const float* a_panel = ap + ir * kc;
      float* c_tile = c + ir * ldc + jr;
      if (mr == kMr && nr == kNr) {
        micro_kernel(kc, a_panel, b_panel, c_tile, ldc, store, alpha, beta);
      } else {
        micro_kernel(kc, a_panel, b_panel, tile, kNr, Store::kOverwrite, 1.0f, 0.0f);
        store_edge(tile, mr, nr, c_tile, ldc, store, alpha, beta);
      }
    }
  }
}

/// The store mode of the K block starting at p0: the caller's beta for the first, += after.
inline Store store_for(const Problem& pr, std::int64_t p0) {
  const float beta = p0 == 0 ? pr.beta : 1.0f;
  if (pr.alpha == 1.0f && beta == 0.0f) return Store::kOverwrite;
  if (pr.alpha == 1.0f && beta == 1.0f) return Store::kAccumulate;
  return Store::kGeneral;
}

/// Runs rows [m0, m1) x columns [n0, n1) of C on the calling thread alone, with its own packed
/// buffers bp (kc x nc floats) and ap (mc x kc floats).
inline void gemm_block_serial(const Problem& pr, std::int64_t m0, std::int64_t m1, std::int64_t n0, std::int64_t n1,
                              std::int64_t kc_max, std::int64_t mc_max, std::int64_t nc_max, float* bp, float* ap) {
  for (std::int64_t jc = n0; jc < n1; jc += nc_max) {
    const std::int64_t nc = std::min(nc_max, n1 - jc);
    for (std::int64_t pc = 0; pc < pr.k; pc += kc_max) {
      const std::int64_t kc = std::min(kc_max, pr.k - pc);
      for (std::int64_t jr = 0; jr < nc; jr += kNr) pack_b(pr, jc + jr, std::min(kNr, nc - jr), pc, kc, bp + jr * kc);
      const Store store = store_for(pr, pc);
      const float beta = pc == 0 ? pr.beta : 1.0f;
      for (std::int64_t ic = m0; ic < m1; ic += mc_max) {
        const std::int64_t mc = std::min(mc_max, m1 - ic);
        for (std::int64_t ir = 0; ir < mc; ir += kMr) pack_a(pr, ic + ir, std::min(kMr, mc - ir), pc, kc, ap + ir * kc);
        macro_kernel(mc, nc, kc, ap, bp, pr.c + ic * pr.ldc + jc, pr.ldc, store, pr.alpha, beta);
      }
    }
  }
}

/// The packing scratch of the calling thread: malloc'd, aligned by hand and grown only when a
/// larger problem than any before needs more, then reused by every later call, like a layer's
/// activation `Buffer`. So a training or decode step at a fixed shape allocates nothing after its
/// first run. It holds at most about 9 MiB plus 216 KiB per worker thread, per calling thread,
/// until `release_pack_scratch` or the thread's exit.
class PackScratch {
 public:
  PackScratch() = default;
  ~PackScratch() { std::free(raw_); }
  PackScratch(const PackScratch&) = delete;
  PackScratch& operator=(const PackScratch&) = delete;

  /// At least `floats` floats aligned to kAlign (contents unspecified); throws kInvalidArgument,
  /// as Tensor does, when host memory is exhausted (the previous scratch is kept then).
  float* get(std::int64_t floats) {
    if (floats > capacity_) {
      const std::size_t bytes = static_cast<std::size_t>(floats) * sizeof(float) + static_cast<std::size_t>(kAlign);
      void* raw = std::malloc(bytes);
      if (!raw) {
        DAPT_FAIL(ErrorCategory::kInvalidArgument, "sgemm: out of host memory allocating ", bytes,
                  " bytes of packing buffers");
      }
      std::free(raw_);
      raw_ = raw;
      capacity_ = floats;
      ++allocations_;
      const auto address = reinterpret_cast<std::uintptr_t>(raw_);
      const auto align = static_cast<std::uintptr_t>(kAlign);
      data_ = reinterpret_cast<float*>((address + align - 1) / align * align);
    }
    return data_;
  }
  void release() {
    std::free(raw_);
    raw_ = nullptr;
    data_ = nullptr;
    capacity_ = 0;
  }
  std::int64_t allocations() const noexcept { return allocations_; }

 private:
  void* raw_ = nullptr;
  float* data_ = nullptr;
  std::int64_t capacity_ = 0;
  std::int64_t allocations_ = 0;
};

inline PackScratch& pack_scratch() {
  thread_local PackScratch scratch;
  return scratch;
}

/// C = beta · C over (m, n) (beta = 0 writes zeros, even over NaN).
inline void scale_c(float* c, std::int64_t ldc, std::int64_t m, std::int64_t n, float beta) {
  if (beta == 1.0f) return;
  for (std::int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.0f) std::fill(row, row + n, 0.0f);
    else for (std::int64_t j = 0; j < n; ++j) row[j] *= beta;
  }
}

/// The thread count for a problem: OpenMP's limit (1 inside a parallel region or without
/// OpenMP), lowered so that each thread gets at least ~2 MFLOP and one register tile of rows or
/// columns.
inline int choose_threads(std::int64_t m, std::int64_t n, std::int64_t k) {
#if defined(_OPENMP)
  if (omp_in_parallel()) return 1;
  std::int64_t t = omp_get_max_threads();
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  t = std::min<std::int64_t>(t, std::max<std::int64_t>(1, static_cast<std::int64_t>(flops / 2.0e6)));
  t = std::min(t, std::max(ceil_div(m, kMr), ceil_div(n, kNr)));
  return static_cast<int>(std::max<std::int64_t>(t, 1));
#else
  (void)m;
  (void)n;
  (void)k;
  return 1;
#endif
}

}  // namespace sgemm_impl

/// C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C, all row-major.
///
/// op(A) is A (element (i, p) at a[i * lda + p]) or, with `trans_a`, the transpose of a stored
/// (k, m) matrix (element (i, p) at a[p * lda + i]); likewise op(B) with `trans_b` (element (p, j)
/// at b[j * ldb + p]). So for a linear layer: y = x W^T is sgemm(false, true, ...), dx = dy W is
/// sgemm(false, false, ...) and dW += dy^T x is sgemm(true, false, ..., beta = 1). beta = 0
/// overwrites C without reading it (NaN in C does not survive). C must not overlap A or B.
///
/// Threads: up to OpenMP's current limit (serial when called from inside a parallel region or
/// built without OpenMP). Each element of C is summed by one thread in a fixed order, so the
/// result is bitwise the same for every thread count. Packs into the calling thread's scratch
/// (sgemm_impl::pack_scratch: at most about 9 MiB, plus 216 KiB per thread), which grows when a
/// larger problem first needs it and is reused afterwards, so repeated shapes allocate nothing.
/// Throws kInvalidArgument for negative sizes or leading dimensions too small for the shape, and
/// when the buffers cannot be allocated.
inline void sgemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                  const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
                  std::int64_t ldc) {
  using namespace sgemm_impl;
  DAPT_CHECK(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size (m, n, k) = (", m, ", ", n, ", ", k, ")");
  DAPT_CHECK(ldc >= n, "sgemm: ldc = ", ldc, " is less than n = ", n);
  DAPT_CHECK(lda >= (trans_a ? m : k), "sgemm: lda = ", lda, " is less than ", trans_a ? "m = " : "k = ",
             trans_a ? m : k);
  DAPT_CHECK(ldb >= (trans_b ? k : n), "sgemm: ldb = ", ldb, " is less than ", trans_b ? "k = " : "n = ",
             trans_b ? k : n);
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.0f) {
    scale_c(c, ldc, m, n, beta);
    return;
  }
  const Problem pr{trans_a, trans_b, m, n, k, alpha, beta, a, lda, b, ldb, c, ldc};
  const std::int64_t kc = balanced_block(k, kKcMax, 8);
  const int threads = choose_threads(m, n, k);
  const std::int64_t m_panels = ceil_div(m, kMr), n_panels = ceil_div(n, kNr);

  // Row split (threads share each packed B block) unless C is too short to give every thread a
  // few register tiles of rows; then column split (each thread runs alone on its columns).
  const bool split_rows = threads == 1 || m_panels >= 4 * threads || m_panels >= n_panels;
  if (split_rows) {
    const std::int64_t nc = balanced_block(n, kNcMax, kNr);
    const std::int64_t rows_per_thread = ceil_div(m_panels, threads) * kMr;
    const std::int64_t mc = balanced_block(std::min(rows_per_thread, m), kMcMax, kMr);
    const std::int64_t b_floats = round_up(kc * nc + kPad, kAlign / 4);
    const std::int64_t a_floats = round_up(mc * kc + kPad, kAlign / 4);
    // With several (N, K) blocks the shared B block is double-buffered, so one barrier per block
    // suffices: a thread packing block r + 2 has passed block r + 1's barrier, which every thread
    // reaches only after it has finished reading block r.
    const std::int64_t rounds = ceil_div(n, nc) * ceil_div(k, kc);
    const std::int64_t b_buffers = threads > 1 && rounds > 1 ? 2 : 1;
    float* const scratch = pack_scratch().get(b_buffers * b_floats + threads * a_floats);
    float* ap_all = scratch + b_buffers * b_floats;
    if (threads == 1) {
      gemm_block_serial(pr, 0, m, 0, n, kc, mc, nc, scratch, ap_all);
      return;
    }
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads)
    {
      // The team may be smaller than asked for; split by the team actually running.
      const std::int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
      const std::int64_t m0 = std::min(m, t * m_panels / nt * kMr), m1 = std::min(m, (t + 1) * m_panels / nt * kMr);
      float* ap = ap_all + t * a_floats;
      std::int64_t round = 0;
      for (std::int64_t jc = 0; jc < n; jc += nc) {
        const std::int64_t ncur = std::min(nc, n - jc);
        const std::int64_t panels = ceil_div(ncur, kNr);
        for (std::int64_t pc = 0; pc < k; pc += kc, ++round) {
          const std::int64_t kcur = std::min(kc, k - pc);
          float* bp = scratch + (round % b_buffers) * b_floats;
          for (std::int64_t q = t * panels / nt; q < (t + 1) * panels / nt; ++q) {
            pack_b(pr, jc + q * kNr, std::min(kNr, ncur - q * kNr), pc, kcur, bp + q * kNr * kcur);
          }
#pragma omp barrier
          const Store store = store_for(pr, pc);
          const float beta_now = pc == 0 ? beta : 1.0f;
          for (std::int64_t ic = m0; ic < m1; ic += mc) {
            const std::int64_t mcur = std::min(mc, m1 - ic);
            for (std::int64_t ir = 0; ir < mcur; ir += kMr) {
              pack_a(pr, ic + ir, std::min(kMr, mcur - ir), pc, kcur, ap + ir * kcur);
            }
            macro_kernel(mcur, ncur, kcur, ap, bp, c + ic * ldc + jc, ldc, store, alpha, beta_now);
          }
        }
      }
    }
#endif
    return;
  }

  // Column split: each thread owns columns [n0, n1) of C and packs its own A and B.
  const std::int64_t cols_per_thread = ceil_div(n_panels, threads) * kNr;
  const std::int64_t nc = balanced_block(std::min(cols_per_thread, n), kNcMax, kNr);
  const std::int64_t mc = balanced_block(m, kMcMax, kMr);
  const std::int64_t b_floats = round_up(kc * nc + kPad, kAlign / 4);
  const std::int64_t a_floats = round_up(mc * kc + kPad, kAlign / 4);
  float* const scratch = pack_scratch().get(threads * (b_floats + a_floats));
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const std::int64_t n0 = std::min(n, t * n_panels / nt * kNr), n1 = std::min(n, (t + 1) * n_panels / nt * kNr);
    float* bp = scratch + t * (b_floats + a_floats);
    if (n0 < n1) gemm_block_serial(pr, 0, m, n0, n1, kc, mc, nc, bp, bp + b_floats);
  }
#else
  (void)scratch;  // without OpenMP threads is 1, and the row split above ran
#endif
}

/// Frees the calling thread's sgemm packing scratch (the next call allocates it again).
inline void release_sgemm_scratch() { sgemm_impl::pack_scratch().release(); }

}  // namespace dapt::backend::detail
