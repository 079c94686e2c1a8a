/// @file search.cuh
/// @brief The device half of exact (flat) vector search: one GEMM scores every query against every
/// database row in fp32 (scores = queries · database^T, bf16 or fp32 inputs), then a top-k selects
/// each query's k best rows (k <= 1024) with the CPU FlatIndex's ranking: score descending, ties by
/// ascending id (`retrieval::hit_before`), NaN scores and rows whose validity byte is 0 never
/// ranked, -inf ranked like any score.
///
/// The top-k runs in two stages when a query has more rows than one segment (8192 rows, or 8k for
/// a larger k): first one block per (segment, query) selects the segment's k best into a
/// workspace, so that every SM has work even for one query and each block's passes stay in cache;
/// then one block per query selects the k best of those candidates and sorts them. The global k
/// best are among the segments' k best (the ranking is a total order on (score, id)), so the
/// result is the one-stage result exactly. A block selects by radix select on an order-keyed copy
/// of the score (8-bit passes from the top, shared-memory histograms to which the lanes of a warp
/// that share a digit add once; the passes stop as soon as every row with the key prefix so far is
/// wanted), then, only when the k-th score is tied past k, a radix select on the ids among that
/// score's rows; the final k are bitonic-sorted in shared memory. Every step is a count or a total
/// order, so the output does not depend on thread scheduling. Free functions: `flat_topk` (scores
/// given; `flat_topk_workspace` says how many bytes of workspace it needs), `flat_search` (GEMM
/// then top-k), and `FlatSearch`, their host wrappers on the current context (workspace from its
/// scratch). A query with fewer than k rankable rows gets its hits first and then id -1, score
/// -inf: unlike the CPU's shorter list, the device output is a fixed (Q, k) block.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
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

inline constexpr int kTopKThreads = 512;         // the blocks that sort: kMaxTopK / 2 compare-exchanges a step
inline constexpr int kTopKSegmentThreads = 256;  // the first stage's blocks (one segment each)
inline constexpr std::int64_t kTopKSegmentRows = 8192;
inline constexpr unsigned kNoDigit = 256;  // a row that a histogram pass skips

/// Rows per segment of the first stage for k: 8192, or 8k when that is more (so that the
/// candidates, k per segment, are at most an eighth of the rows).
inline std::int64_t topk_segment_rows(std::int64_t k) { return std::max(kTopKSegmentRows, 8 * k); }

/// Segments of n rows at `rows` per segment (at least 1).
inline std::int64_t topk_segments(std::int64_t n, std::int64_t rows) {
  return std::max<std::int64_t>(1, (n + rows - 1) / rows);
}

/// Maps a score to a key whose unsigned order is the score's order; -0 maps like +0 (they tie,
/// as `==` says on the CPU). Not for NaN (never ranked); every other score's key is at least
/// 0x007fffff (-inf), so key 0 marks "no row".
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

/// The shared memory of one block's selection.
struct TopKShared {
  unsigned hist[256];
  std::uint32_t keep_key[kMaxTopK];
  std::int64_t keep_id[kMaxTopK];
  std::int32_t keep_pos[kMaxTopK];
  unsigned count, tied, at_cut, total;
  unsigned sel_digit, sel_rest, sel_equal;
};

/// hist[digit(i)] += 1 for each position i in [0, n) whose digit is below 256; the lanes of a warp
/// that share a digit add once, together (clustered scores share their high key bytes, and 32
/// lanes adding to one counter one by one would serialise). blockDim.x is a multiple of 32.
template <class Digit>
__device__ void warp_histogram(unsigned* hist, std::int64_t n, Digit digit) {
  const unsigned lane = threadIdx.x & 31u;
  for (std::int64_t base = threadIdx.x - lane; base < n; base += blockDim.x) {
    const std::int64_t i = base + lane;
    const unsigned b = i < n ? digit(i) : kNoDigit;
    const unsigned peers = __match_any_sync(0xffffffffu, b);
    if (b < kNoDigit && (peers & ((1u << lane) - 1u)) == 0)
      atomicAdd(&hist[b], static_cast<unsigned>(__popc(peers)));
  }
}

/// Warp 0: the bin at which the running count of sh.hist, from bin 255 down (`descending`) or from
/// bin 0 up, first reaches `rest` (1 <= rest <= the total): sel_digit, sel_rest (rest less the
/// rows before that bin) and sel_equal (the bin's count). With `with_total`, writes the total to
/// sh.total first and picks only when rest <= total. Each lane holds 8 consecutive bins of the
/// walk; a warp scan finds the lane where the count crosses `rest`, and that lane walks its bins.
__device__ __forceinline__ void pick_bin(TopKShared& sh, unsigned rest, bool descending, bool with_total) {
  if (threadIdx.x >= 32) return;
  const unsigned lane = threadIdx.x;
  auto bin = [&](unsigned p) { return descending ? 255u - p : p; };  // p: position in the walk
  unsigned local = 0;
  for (unsigned j = 0; j < 8; ++j) local += sh.hist[bin(lane * 8 + j)];
  unsigned incl = local;
  for (unsigned off = 1; off < 32; off <<= 1) {
    const unsigned up = __shfl_sync(0xffffffffu, incl, static_cast<int>(lane >= off ? lane - off : lane));
    if (lane >= off) incl += up;
  }
  const unsigned total = __shfl_sync(0xffffffffu, incl, 31);
  if (with_total && lane == 0) sh.total = total;
  if (with_total && rest > total) return;
  const unsigned before = incl - local;
  if (before < rest && incl >= rest) {  // exactly one lane
    unsigned seen = before;
    for (unsigned j = 0; j < 8; ++j) {
      const unsigned b = bin(lane * 8 + j), h = sh.hist[b];
      if (seen + h >= rest) {
        sh.sel_digit = b;
        sh.sel_rest = rest - seen;
        sh.sel_equal = h;
        break;
      }
      seen += h;
    }
  }
}

/// One block selects the min(k, rankable) best of positions [0, n) into sh.keep_* [0, kk), in no
/// particular order, and returns kk. key(i): the position's order key (score_key), 0 when it is
/// not ranked; id(i): its id (ties: ascending id); keep_pos holds the positions. Every thread
/// of the block calls it; it ends with a barrier.
template <class Key, class Id>
__device__ unsigned block_select(TopKShared& sh, std::int64_t n, unsigned k, Key key, Id id) {
  const unsigned tid = threadIdx.x;

  // 1. The top key byte of every ranked position: its total says whether all are taken; else the
  // k-th best key, 8 bits at a time from the top. `rest` is the rank still wanted among the
  // positions matching the prefix `kth` under `mask` (invariant: 1 <= rest <= equal, the number
  // of positions that match); the passes stop when all of those are wanted (rest == equal).
  for (unsigned b = tid; b < 256; b += blockDim.x) sh.hist[b] = 0;
  __syncthreads();
  warp_histogram(sh.hist, n, [&](std::int64_t i) {
    const std::uint32_t x = key(i);
    return x != 0 ? x >> 24 : kNoDigit;
  });
  __syncthreads();
  pick_bin(sh, k, true, true);
  __syncthreads();
  const unsigned ranked = sh.total;
  const bool take_all = ranked <= k;
  const unsigned kk = take_all ? ranked : k;
  std::uint32_t kth = 0, mask = 0;
  unsigned rest = kk, equal = ranked;
  if (!take_all) {
    kth = sh.sel_digit << 24;
    mask = 0xff000000u;
    rest = sh.sel_rest;
    equal = sh.sel_equal;
    for (int shift = 16; shift >= 0 && rest < equal; shift -= 8) {
      __syncthreads();  // everyone has read sel_* and hist is free
      for (unsigned b = tid; b < 256; b += blockDim.x) sh.hist[b] = 0;
      __syncthreads();
      warp_histogram(sh.hist, n, [&](std::int64_t i) {
        const std::uint32_t x = key(i);
        return x != 0 && (x & mask) == kth ? (x >> shift) & 255u : kNoDigit;
      });
      __syncthreads();
      pick_bin(sh, rest, true, false);
      __syncthreads();
      kth |= sh.sel_digit << shift;
      mask |= 0xffu << shift;
      rest = sh.sel_rest;
      equal = sh.sel_equal;
    }
  }
  // Now all positions whose key prefix is above kth are wanted (kk - rest of them), and `rest` of
  // the `equal` ones that match it; when rest < equal, the key is whole (mask is all ones).

  // 2. Ties at the k-th key: the `rest` smallest ids among them, 8 bits at a time from the top.
  const bool cut_ids = !take_all && rest < equal;
  std::uint64_t id_cut = 0, id_mask = 0;
  unsigned id_rest = rest;  // after the cut: the positions wanted among those whose id is id_cut
  if (cut_ids) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      __syncthreads();
      for (unsigned b = tid; b < 256; b += blockDim.x) sh.hist[b] = 0;
      __syncthreads();
      warp_histogram(sh.hist, n, [&](std::int64_t i) {
        if (key(i) != kth) return kNoDigit;
        const std::uint64_t ik = id_key(id(i));
        return (ik & id_mask) == id_cut ? static_cast<unsigned>((ik >> shift) & 255u) : kNoDigit;
      });
      __syncthreads();
      pick_bin(sh, id_rest, false, false);
      __syncthreads();
      id_cut |= static_cast<std::uint64_t>(sh.sel_digit) << shift;
      id_mask |= 0xffull << shift;
      id_rest = sh.sel_rest;
    }
  }

  // 3. Collect the kk survivors, each kind in its own range of slots: the positions above the
  // k-th key prefix (kk - rest of them) first; then the tied ones below the id cut (all wanted);
  // then the tied ones at the id cut, of which id_rest are wanted (one, with unique ids; with
  // repeated ids the extra ones, equal in score and id, are dropped, so they never take the slot
  // of a better row).
  __syncthreads();
  if (tid == 0) sh.count = sh.tied = sh.at_cut = 0;
  __syncthreads();
  const unsigned above = kk - rest;
  for (std::int64_t i = tid; i < n; i += blockDim.x) {
    const std::uint32_t x = key(i);
    if (x == 0) continue;
    unsigned slot;
    if (take_all || (x & mask) > kth) {
      slot = atomicAdd(&sh.count, 1u);
    } else if ((x & mask) != kth) {
      continue;
    } else if (!cut_ids || id_key(id(i)) < id_cut) {
      slot = above + atomicAdd(&sh.tied, 1u);
    } else if (id_key(id(i)) == id_cut) {
      const unsigned t = atomicAdd(&sh.at_cut, 1u);
      if (t >= id_rest) continue;
      slot = kk - id_rest + t;
    } else {
      continue;
    }
    sh.keep_key[slot] = x;
    sh.keep_id[slot] = id(i);
    sh.keep_pos[slot] = static_cast<std::int32_t>(i);
  }
  __syncthreads();
  return kk;
}

/// Bitonic sort of sh.keep_key / keep_id [0, kk) best first, then k slots written to top_scores and
/// top_ids: the hits, then (id -1, -inf). Every thread of the block calls it.
__device__ __forceinline__ void sort_and_write(TopKShared& sh, unsigned kk, std::int64_t k, float* top_scores,
                                               std::int64_t* top_ids) {
  const unsigned tid = threadIdx.x;
  unsigned span = 1;
  while (span < kk) span <<= 1;
  for (unsigned i = kk + tid; i < span; i += blockDim.x) {
    sh.keep_key[i] = 0;  // below every score's key (-inf maps to 0x007fffff)
    sh.keep_id[i] = INT64_MAX;
  }
  __syncthreads();
  for (unsigned size = 2; size <= span; size <<= 1) {
    for (unsigned stride = size >> 1; stride > 0; stride >>= 1) {
      for (unsigned t = tid; t < span / 2; t += blockDim.x) {
        const unsigned i = 2 * t - (t & (stride - 1)), j = i + stride;
        const std::uint32_t ki = sh.keep_key[i], kj = sh.keep_key[j];
        const std::int64_t ii = sh.keep_id[i], ij = sh.keep_id[j];
        const bool j_first = kj > ki || (kj == ki && ij < ii);
        const bool i_first = ki > kj || (ki == kj && ii < ij);
        if ((i & size) == 0 ? j_first : i_first) {  // this half sorts best-first, the other worst-first
          sh.keep_key[i] = kj;
          sh.keep_key[j] = ki;
          sh.keep_id[i] = ij;
          sh.keep_id[j] = ii;
        }
      }
      __syncthreads();
    }
  }
  for (std::int64_t r = tid; r < k; r += blockDim.x) {
    const bool hit = r < static_cast<std::int64_t>(kk);
    top_scores[r] = hit ? key_score(sh.keep_key[r]) : -INFINITY;
    top_ids[r] = hit ? sh.keep_id[r] : -1;
  }
}

/// First stage (or the only one, when `segments` is 1): block (s, y) selects, for the queries
/// q = y, y + gridDim.y, ..., the k best rows of segment s (rows [s * seg_rows, ...)) of scores
/// (Q, N) row q. With one segment it sorts and writes top_scores / top_ids (Q, k); else it
/// writes k candidates (order key, row; key 0 = none) to cand_key / cand_row (Q, segments, k).
/// ids (N) nullable (then the id is the row); valid (N) nullable (then every row is valid).
/// Templates only so that the header can be included by several translation units (a plain
/// __global__ function would be defined in each).
template <int Threads>
__global__ void __launch_bounds__(Threads)
    topk_segment_kernel(const float* scores, const std::int64_t* ids, const std::uint8_t* valid, std::int64_t q_count,
                        std::int64_t n, std::int64_t k, std::int64_t seg_rows, std::int64_t segments,
                        float* top_scores, std::int64_t* top_ids, std::uint32_t* cand_key, std::int32_t* cand_row) {
  __shared__ TopKShared sh;
  const std::int64_t s = blockIdx.x, row0 = s * seg_rows, rows = n - row0 < seg_rows ? n - row0 : seg_rows;
  for (std::int64_t q = blockIdx.y; q < q_count; q += gridDim.y) {
    const float* sc = scores + q * n + row0;
    const auto key = [&](std::int64_t i) -> std::uint32_t {
      const float f = sc[i];
      return (valid && valid[row0 + i] == 0) || isnan(f) ? 0u : score_key(f);
    };
    const auto id = [&](std::int64_t i) { return ids ? ids[row0 + i] : row0 + i; };
    const unsigned kk = block_select(sh, rows, static_cast<unsigned>(k), key, id);
    if (segments == 1) {
      sort_and_write(sh, kk, k, top_scores + q * k, top_ids + q * k);
    } else {
      const std::int64_t at = (q * segments + s) * k;
      for (std::int64_t r = threadIdx.x; r < k; r += blockDim.x) {
        const bool hit = r < static_cast<std::int64_t>(kk);
        cand_key[at + r] = hit ? sh.keep_key[r] : 0u;
        cand_row[at + r] = hit ? static_cast<std::int32_t>(row0 + sh.keep_pos[r]) : 0;
      }
    }
    __syncthreads();  // sh is reused for the next query
  }
}

/// Second stage: block q selects the k best of its `count` = segments * k candidates and writes
/// them, sorted, to top_scores / top_ids (Q, k).
template <int Threads>
__global__ void __launch_bounds__(Threads)
    topk_merge_kernel(const std::uint32_t* cand_key, const std::int32_t* cand_row, const std::int64_t* ids,
                      std::int64_t count, std::int64_t k, float* top_scores, std::int64_t* top_ids) {
  __shared__ TopKShared sh;
  const std::int64_t q = blockIdx.x;
  const std::uint32_t* ck = cand_key + q * count;
  const std::int32_t* cr = cand_row + q * count;
  const auto key = [&](std::int64_t i) { return ck[i]; };
  const auto id = [&](std::int64_t i) -> std::int64_t { return ids ? ids[cr[i]] : cr[i]; };
  const unsigned kk = block_select(sh, count, static_cast<unsigned>(k), key, id);
  sort_and_write(sh, kk, k, top_scores + q * k, top_ids + q * k);
}

/// Bytes of workspace the two-stage top-k needs at `seg_rows` rows per segment (0: one stage).
inline std::size_t topk_workspace(std::int64_t q, std::int64_t n, std::int64_t k, std::int64_t seg_rows) {
  const std::int64_t segments = topk_segments(n, seg_rows);
  if (segments <= 1 || q <= 0) return 0;
  return static_cast<std::size_t>(q * segments * k) * (sizeof(std::uint32_t) + sizeof(std::int32_t));
}

/// flat_topk at `seg_rows` rows per segment (seg_rows >= 1; flat_topk takes topk_segment_rows(k)).
inline cudaError_t topk_segmented(const float* scores, const std::int64_t* ids, const std::uint8_t* valid,
                                  std::int64_t q, std::int64_t n, std::int64_t k, float* top_scores,
                                  std::int64_t* top_ids, void* workspace, std::int64_t seg_rows, cudaStream_t stream) {
  if (k < 1 || k > kMaxTopK || n < 0 || n > 0x7fffffff || q > 0x7fffffff || seg_rows < 1) return cudaErrorInvalidValue;
  if (q <= 0) return cudaSuccess;
  const std::int64_t segments = topk_segments(n, seg_rows);
  if (segments > 1 && !workspace) return cudaErrorInvalidValue;
  auto* cand_key = static_cast<std::uint32_t*>(workspace);
  auto* cand_row = segments > 1 ? reinterpret_cast<std::int32_t*>(cand_key + q * segments * k) : nullptr;
  // One stage sorts (kTopKThreads); the first of two only selects, in smaller blocks.
  const int threads = segments > 1 ? kTopKSegmentThreads : kTopKThreads;
  const dim3 grid(static_cast<unsigned>(segments), static_cast<unsigned>(std::min<std::int64_t>(q, 65535)));
  if (segments > 1)
    topk_segment_kernel<kTopKSegmentThreads><<<grid, threads, 0, stream>>>(
        scores, ids, valid, q, n, k, seg_rows, segments, top_scores, top_ids, cand_key, cand_row);
  else
    topk_segment_kernel<kTopKThreads><<<grid, threads, 0, stream>>>(scores, ids, valid, q, n, k, seg_rows, segments,
                                                                     top_scores, top_ids, cand_key, cand_row);
  if (segments > 1) {
    const cudaError_t e = cudaPeekAtLastError();
    if (e != cudaSuccess) return e;
    topk_merge_kernel<kTopKThreads><<<static_cast<unsigned>(q), kTopKThreads, 0, stream>>>(
        cand_key, cand_row, ids, segments * k, k, top_scores, top_ids);
  }
  return cudaPeekAtLastError();
}

}  // namespace detail

/// Bytes of device workspace flat_topk needs for q queries of n rows and this k (0 when a query's
/// rows fit in one segment; else 8 bytes per query, segment and k).
inline std::size_t flat_topk_workspace(std::int64_t q, std::int64_t n, std::int64_t k) {
  return detail::topk_workspace(q, n, k, detail::topk_segment_rows(k));
}

/// Per-query top-k of precomputed scores.
///   scores (Q, N) fp32; ids (N) int64, nullable (then a row's id is its index), may repeat;
///   valid (N) uint8, nullable (0 = skip the row: deleted or filtered out); top_scores (Q, k)
///   fp32 and top_ids (Q, k) int64 written, best first (score descending, ties by ascending id),
///   slots past the rankable rows (id -1, score -inf); workspace: flat_topk_workspace(Q, N, k)
///   bytes of device memory, 4-byte aligned (nullable when that is 0). 1 <= k <= kMaxTopK,
///   N < 2^31 and a workspace when one is needed, else cudaErrorInvalidValue.
inline cudaError_t flat_topk(const float* scores, const std::int64_t* ids, const std::uint8_t* valid, std::int64_t q,
                             std::int64_t n, std::int64_t k, float* top_scores, std::int64_t* top_ids,
                             void* workspace, cudaStream_t stream) {
  if (k < 1 || k > kMaxTopK) return cudaErrorInvalidValue;
  return detail::topk_segmented(scores, ids, valid, q, n, k, top_scores, top_ids, workspace,
                                detail::topk_segment_rows(k), stream);
}

/// Exact search: scores (Q, N) fp32 = queries (Q, d) T · database (N, d)^T T, written into the
/// caller's `scores` (Q * N floats), then flat_topk on them (ids, valid, outputs and workspace as
/// there). For cosine, store and pass unit-length vectors. Returns CUBLAS_STATUS_INVALID_VALUE for
/// k outside [1, kMaxTopK], N >= 2^31 or a missing workspace, and CUBLAS_STATUS_EXECUTION_FAILED
/// when the top-k launch fails.
template <class T>
cublasStatus_t flat_search(const T* database, const T* queries, const std::int64_t* ids, const std::uint8_t* valid,
                           std::int64_t n, std::int64_t q, std::int64_t d, std::int64_t k, float* scores,
                           float* top_scores, std::int64_t* top_ids, void* workspace, const GemmResources& r,
                           cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (k < 1 || k > kMaxTopK || n < 0 || n > 0x7fffffff || q > 0x7fffffff) return CUBLAS_STATUS_INVALID_VALUE;
  if (q <= 0) return CUBLAS_STATUS_SUCCESS;
  if (!workspace && flat_topk_workspace(q, n, k) > 0) return CUBLAS_STATUS_INVALID_VALUE;
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
  return detail::blas_status(flat_topk(scores, ids, valid, q, n, k, top_scores, top_ids, workspace, stream));
}

/// Host wrappers of the launchers above on the current context; they throw dapt::Error.
struct FlatSearch {
  /// See cuda::flat_search. `scores` (Q * N floats) nullable: then the context's scratch holds them
  /// (valid until the next op that uses the scratch); the top-k's workspace is in the scratch too.
  template <class T>
  static void search(const T* database, const T* queries, const std::int64_t* ids, const std::uint8_t* valid,
                     std::int64_t n, std::int64_t q, std::int64_t d, std::int64_t k, float* top_scores,
                     std::int64_t* top_ids, float* scores = nullptr) {
    static_assert(detail::kStorageType<T>);
    check_args(n, q, k);
    if (q <= 0) return;
    Context& ctx = current();
    const std::size_t score_bytes = (!scores && n > 0) ? static_cast<std::size_t>(q * n) * sizeof(float) : 0;
    const std::size_t work_bytes = flat_topk_workspace(q, n, k);
    std::byte* scratch = (score_bytes + work_bytes > 0)
                             ? static_cast<std::byte*>(ctx.scratch(score_bytes + work_bytes))
                             : nullptr;
    if (score_bytes > 0) scores = reinterpret_cast<float*>(scratch);
    void* workspace = work_bytes > 0 ? scratch + score_bytes : nullptr;
    const cublasStatus_t s = flat_search<T>(database, queries, ids, valid, n, q, d, k, scores, top_scores, top_ids,
                                            workspace, gemm_resources(ctx), ctx.stream());
    if (s != CUBLAS_STATUS_SUCCESS) {
      DAPT_CUDA_CHECK(cudaPeekAtLastError());
      DAPT_CUBLAS_CHECK(s);
    }
  }

  /// See cuda::flat_topk; the workspace is the context's scratch. `segment_rows`: the rows of a
  /// first-stage segment, 0 for flat_topk's choice (other values are for tests).
  static void topk(const float* scores, const std::int64_t* ids, const std::uint8_t* valid, std::int64_t q,
                   std::int64_t n, std::int64_t k, float* top_scores, std::int64_t* top_ids,
                   std::int64_t segment_rows = 0) {
    check_args(n, q, k);
    DAPT_CHECK(segment_rows >= 0, "cuda::FlatSearch::topk: segment_rows must be at least 0, got ", segment_rows);
    if (q <= 0) return;
    const std::int64_t rows = segment_rows > 0 ? segment_rows : detail::topk_segment_rows(k);
    const std::size_t work_bytes = detail::topk_workspace(q, n, k, rows);
    void* workspace = work_bytes > 0 ? current().scratch(work_bytes) : nullptr;
    DAPT_CUDA_CHECK(
        detail::topk_segmented(scores, ids, valid, q, n, k, top_scores, top_ids, workspace, rows, current_stream()));
  }

 private:
  static void check_args(std::int64_t n, std::int64_t q, std::int64_t k) {
    DAPT_CHECK(k >= 1 && k <= kMaxTopK, "cuda::FlatSearch: k must be in [1, ", kMaxTopK, "], got ", k);
    DAPT_CHECK(n >= 0 && n <= 0x7fffffff && q >= 0 && q <= 0x7fffffff, "cuda::FlatSearch: ", n, " rows and ", q,
               " queries: each must be in [0, 2^31)");
  }
};

}  // namespace dapt::cuda
