/// @file search.cuh
/// @brief The device half of exact (flat) vector search: one GEMM scores every query against every
/// database row in fp32 (scores = queries · database^T, bf16 or fp32 inputs), then one block per
/// query selects its k best rows (k <= 1024) with the CPU FlatIndex's ranking: score descending,
/// ties by ascending id (`retrieval::hit_before`), NaN scores and rows whose validity byte is 0
/// never ranked, -inf ranked like any score. The selection is a radix select on an order-keyed
/// copy of the score (four 8-bit passes over the row's scores, shared-memory histograms), then,
/// only when the k-th score is tied past k, a radix select on the ids among that score's rows;
/// the k survivors are bitonic-sorted in shared memory. Every step is a count or a total order,
/// so the output does not depend on thread scheduling. Free functions: `flat_topk` (scores given),
/// `flat_search` (GEMM then top-k), and `FlatSearch`, their host wrappers on the current context.
/// A query with fewer than k rankable rows gets its hits first and then id -1, score -inf: unlike
/// the CPU's shorter list, the device output is a fixed (Q, k) block.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/cuda/matmul.cuh"
#include "dapt/core/error.hpp"

namespace dapt::cuda {

/// Largest k of a device top-k (the survivors are sorted in shared memory).
inline constexpr std::int64_t kMaxTopK = 1024;

namespace detail {

inline constexpr int kTopKThreads = 512;  // >= kMaxTopK / 2: one compare-exchange per thread per step

/// Maps a score to a key whose unsigned order is the score's order; -0 maps like +0 (they tie,
/// as `==` says on the CPU). Not for NaN (never ranked).
__device__ __forceinline__ std::uint32_t score_key(float f) {
  if (f == 0.0f) f = 0.0f;
  const std::uint32_t b = __float_as_uint(f);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
__device__ __forceinline__ float key_score(std::uint32_t u) {
  return __uint_as_float((u & 0x80000000u) ? (u & 0x7fffffffu) : ~u);
}
/// Maps an int64 id to a key whose unsigned order is the signed order.
__device__ __forceinline__ std::uint64_t id_key(std::int64_t id) {
  return static_cast<std::uint64_t>(id) ^ 0x8000000000000000ull;
}

/// Block q: the k best of scores (Q, N) row q into top_scores / top_ids (Q, k), best first.
/// ids (N) nullable (then the id is the row); valid (N) nullable (then every row is valid).
/// A template only so that the header can be included by several translation units (a plain
/// __global__ function would be defined in each).
template <int Threads>
__global__ void __launch_bounds__(Threads)
    flat_topk_kernel(const float* scores, const std::int64_t* ids, const std::uint8_t* valid, std::int64_t n,
                     std::int64_t k, float* top_scores, std::int64_t* top_ids) {
  __shared__ unsigned hist[256];
  __shared__ std::uint32_t keep_key[kMaxTopK];
  __shared__ std::int64_t keep_id[kMaxTopK];
  __shared__ unsigned count, tied, at_cut;
  __shared__ unsigned sel_digit, sel_rest, sel_equal;

  const std::int64_t q = blockIdx.x;
  const float* s = scores + q * n;
  const unsigned tid = threadIdx.x;
  auto rankable = [&](std::int64_t i, float f) { return (!valid || valid[i] != 0) && !isnan(f); };
  auto id_of = [&](std::int64_t i) { return ids ? ids[i] : i; };

  // 1. How many rows can be ranked.
  if (tid == 0) count = 0;
  __syncthreads();
  unsigned mine = 0;
  for (std::int64_t i = tid; i < n; i += blockDim.x) mine += rankable(i, s[i]) ? 1u : 0u;
  if (mine) atomicAdd(&count, mine);
  __syncthreads();
  const unsigned ranked = count;
  __syncthreads();  // everyone has read `count` before step 4 resets it
  const unsigned kk = ranked < static_cast<unsigned>(k) ? ranked : static_cast<unsigned>(k);
  const bool take_all = ranked <= static_cast<unsigned>(k);

  // 2. The k-th best key, 8 bits at a time from the top: `rest` is the rank still wanted among the
  // rows matching the key prefix so far (invariant: 1 <= rest <= rows matching the prefix).
  std::uint32_t kth = 0, kth_mask = 0;
  unsigned rest = kk, equal = 0;
  if (!take_all) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      for (unsigned b = tid; b < 256; b += blockDim.x) hist[b] = 0;
      __syncthreads();
      for (std::int64_t i = tid; i < n; i += blockDim.x) {
        const float f = s[i];
        if (!rankable(i, f)) continue;
        const std::uint32_t key = score_key(f);
        if ((key & kth_mask) == kth) atomicAdd(&hist[(key >> shift) & 255u], 1u);
      }
      __syncthreads();
      if (tid == 0) {
        unsigned above = 0;
        for (int b = 255; b >= 0; --b) {
          if (above + hist[b] >= rest) {
            sel_digit = static_cast<unsigned>(b);
            sel_rest = rest - above;
            sel_equal = hist[b];
            break;
          }
          above += hist[b];
        }
      }
      __syncthreads();
      kth |= static_cast<std::uint32_t>(sel_digit) << shift;
      kth_mask |= 0xffu << shift;
      rest = sel_rest;
      equal = sel_equal;
      __syncthreads();  // sel_* and hist are rewritten in the next pass
    }
  }
  // Now `rest` rows with key == kth are wanted, of `equal` such rows, besides all rows above kth.

  // 3. Ties at the k-th score: the `rest` smallest ids among them, 8 bits at a time from the top.
  const bool cut_ids = !take_all && rest < equal;
  std::uint64_t id_cut = 0, id_mask = 0;
  unsigned id_rest = rest;  // after the cut: the rows wanted among those whose id is id_cut
  if (cut_ids) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      for (unsigned b = tid; b < 256; b += blockDim.x) hist[b] = 0;
      __syncthreads();
      for (std::int64_t i = tid; i < n; i += blockDim.x) {
        const float f = s[i];
        if (!rankable(i, f) || score_key(f) != kth) continue;
        const std::uint64_t ik = id_key(id_of(i));
        if ((ik & id_mask) == id_cut) atomicAdd(&hist[(ik >> shift) & 255u], 1u);
      }
      __syncthreads();
      if (tid == 0) {
        unsigned below = 0;
        for (int b = 0; b < 256; ++b) {
          if (below + hist[b] >= id_rest) {
            sel_digit = static_cast<unsigned>(b);
            sel_rest = id_rest - below;
            break;
          }
          below += hist[b];
        }
      }
      __syncthreads();
      id_cut |= static_cast<std::uint64_t>(sel_digit) << shift;
      id_mask |= 0xffull << shift;
      id_rest = sel_rest;
      __syncthreads();
    }
  }

  // 4. Collect the kk survivors (in any order: the sort below fixes it), each kind in its own
  // range of slots: the rows above the k-th key (kk - rest of them) first; then the tied rows
  // below the id cut (all wanted); then the tied rows at the id cut, of which id_rest are wanted
  // (one, with unique ids; with repeated ids the extra ones, equal in score and id, are dropped,
  // so they never take the slot of a better row).
  if (tid == 0) count = tied = at_cut = 0;
  __syncthreads();
  const unsigned above = take_all ? kk : kk - rest;
  for (std::int64_t i = tid; i < n; i += blockDim.x) {
    const float f = s[i];
    if (!rankable(i, f)) continue;
    const std::uint32_t key = score_key(f);
    unsigned slot;
    if (take_all || key > kth) {
      slot = atomicAdd(&count, 1u);
    } else if (key != kth) {
      continue;
    } else if (!cut_ids || id_key(id_of(i)) < id_cut) {
      slot = above + atomicAdd(&tied, 1u);
    } else if (id_key(id_of(i)) == id_cut) {
      const unsigned t = atomicAdd(&at_cut, 1u);
      if (t >= id_rest) continue;
      slot = kk - id_rest + t;
    } else {
      continue;
    }
    keep_key[slot] = key;
    keep_id[slot] = id_of(i);
  }
  __syncthreads();

  // 5. Bitonic sort of a power-of-two span, padded with entries that rank last.
  unsigned span = 1;
  while (span < kk) span <<= 1;
  for (unsigned i = kk + tid; i < span; i += blockDim.x) {
    keep_key[i] = 0;  // below every score's key (-inf maps to 0x007fffff)
    keep_id[i] = INT64_MAX;
  }
  __syncthreads();
  for (unsigned size = 2; size <= span; size <<= 1) {
    for (unsigned stride = size >> 1; stride > 0; stride >>= 1) {
      for (unsigned t = tid; t < span / 2; t += blockDim.x) {
        const unsigned i = 2 * t - (t & (stride - 1)), j = i + stride;
        const std::uint32_t ki = keep_key[i], kj = keep_key[j];
        const std::int64_t ii = keep_id[i], ij = keep_id[j];
        const bool j_first = kj > ki || (kj == ki && ij < ii);
        const bool i_first = ki > kj || (ki == kj && ii < ij);
        if ((i & size) == 0 ? j_first : i_first) {  // this half sorts best-first, the other worst-first
          keep_key[i] = kj;
          keep_key[j] = ki;
          keep_id[i] = ij;
          keep_id[j] = ii;
        }
      }
      __syncthreads();
    }
  }

  // 6. Write k slots: the hits, then (id -1, -inf).
  for (std::int64_t r = tid; r < k; r += blockDim.x) {
    const bool hit = r < static_cast<std::int64_t>(kk);
    top_scores[q * k + r] = hit ? key_score(keep_key[r]) : -INFINITY;
    top_ids[q * k + r] = hit ? keep_id[r] : -1;
  }
}

}  // namespace detail

/// Per-query top-k of precomputed scores.
///   scores (Q, N) fp32; ids (N) int64, nullable (then a row's id is its index), may repeat;
///   valid (N) uint8, nullable (0 = skip the row: deleted or filtered out); top_scores (Q, k)
///   fp32 and top_ids (Q, k) int64 written, best first (score descending, ties by ascending id),
///   slots past the rankable rows (id -1, score -inf). 1 <= k <= kMaxTopK and N < 2^31, else
///   cudaErrorInvalidValue.
inline cudaError_t flat_topk(const float* scores, const std::int64_t* ids, const std::uint8_t* valid, std::int64_t q,
                             std::int64_t n, std::int64_t k, float* top_scores, std::int64_t* top_ids,
                             cudaStream_t stream) {
  if (k < 1 || k > kMaxTopK || n < 0 || n > 0x7fffffff || q > 0x7fffffff) return cudaErrorInvalidValue;
  if (q <= 0) return cudaSuccess;
  constexpr int threads = detail::kTopKThreads;
  detail::flat_topk_kernel<threads><<<static_cast<unsigned>(q), threads, 0, stream>>>(scores, ids, valid, n, k,
                                                                                      top_scores, top_ids);
  return cudaPeekAtLastError();
}

/// Exact search: scores (Q, N) fp32 = queries (Q, d) T · database (N, d)^T T, written into the
/// caller's `scores` (Q * N floats), then flat_topk on them (ids, valid, outputs as there). For
/// cosine, store and pass unit-length vectors. Returns CUBLAS_STATUS_INVALID_VALUE for k outside
/// [1, kMaxTopK] or N >= 2^31, and CUBLAS_STATUS_EXECUTION_FAILED when the top-k launch fails.
template <class T>
cublasStatus_t flat_search(const T* database, const T* queries, const std::int64_t* ids, const std::uint8_t* valid,
                           std::int64_t n, std::int64_t q, std::int64_t d, std::int64_t k, float* scores,
                           float* top_scores, std::int64_t* top_ids, const GemmResources& r, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (k < 1 || k > kMaxTopK || n < 0 || n > 0x7fffffff || q > 0x7fffffff) return CUBLAS_STATUS_INVALID_VALUE;
  if (q <= 0) return CUBLAS_STATUS_SUCCESS;
  if (n > 0) {
    if (d <= 0) {
      if (cudaMemsetAsync(scores, 0, static_cast<std::size_t>(q * n) * sizeof(float), stream) != cudaSuccess)
        return CUBLAS_STATUS_EXECUTION_FAILED;
    } else {
      // Column-major: scores^T (N, Q) = (database stored as (d, N))^T · (queries stored as (d, Q)).
      bool unused = false;
      const cublasStatus_t s = detail::gemm<T, float>(r, true, false, n, q, d, database, d, queries, d, 0.0f, scores,
                                                      n, nullptr, &unused, stream);
      if (s != CUBLAS_STATUS_SUCCESS) return s;
    }
  }
  return detail::blas_status(flat_topk(scores, ids, valid, q, n, k, top_scores, top_ids, stream));
}

/// Host wrappers of the launchers above on the current context; they throw dapt::Error.
struct FlatSearch {
  /// See cuda::flat_search. `scores` (Q * N floats) nullable: then the context's scratch holds them
  /// (valid until the next op that uses the scratch).
  template <class T>
  static void search(const T* database, const T* queries, const std::int64_t* ids, const std::uint8_t* valid,
                     std::int64_t n, std::int64_t q, std::int64_t d, std::int64_t k, float* top_scores,
                     std::int64_t* top_ids, float* scores = nullptr) {
    static_assert(detail::kStorageType<T>);
    check_args(n, q, k);
    if (q <= 0) return;
    Context& ctx = current();
    if (!scores && n > 0) scores = static_cast<float*>(ctx.scratch(static_cast<std::size_t>(q * n) * sizeof(float)));
    const cublasStatus_t s = flat_search<T>(database, queries, ids, valid, n, q, d, k, scores, top_scores, top_ids,
                                            gemm_resources(ctx), ctx.stream());
    if (s != CUBLAS_STATUS_SUCCESS) {
      DAPT_CUDA_CHECK(cudaPeekAtLastError());
      DAPT_CUBLAS_CHECK(s);
    }
  }

  /// See cuda::flat_topk.
  static void topk(const float* scores, const std::int64_t* ids, const std::uint8_t* valid, std::int64_t q,
                   std::int64_t n, std::int64_t k, float* top_scores, std::int64_t* top_ids) {
    check_args(n, q, k);
    DAPT_CUDA_CHECK(flat_topk(scores, ids, valid, q, n, k, top_scores, top_ids, current_stream()));
  }

 private:
  static void check_args(std::int64_t n, std::int64_t q, std::int64_t k) {
    DAPT_CHECK(k >= 1 && k <= kMaxTopK, "cuda::FlatSearch: k must be in [1, ", kMaxTopK, "], got ", k);
    DAPT_CHECK(n >= 0 && n <= 0x7fffffff && q >= 0 && q <= 0x7fffffff, "cuda::FlatSearch: ", n, " rows and ", q,
               " queries: each must be in [0, 2^31)");
  }
};

}  // namespace dapt::cuda
