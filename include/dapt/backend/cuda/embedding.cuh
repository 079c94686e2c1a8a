/// @file embedding.cuh
/// @brief CUDA embedding lookup (row gather) and its backward, the scatter-add of the output
/// gradient into the fp32 table gradient. The CPU checks ids and throws; a kernel cannot throw
/// without the host waiting, so on the device an out-of-range id never touches memory outside the
/// table: the gather writes a zero row for it, the scatter skips it, and both can report the first
/// bad position into an optional device word for a caller that wants to check. The scatter is
/// deterministic without sorting or float atomics: the block of a position whose id appeared
/// earlier does nothing, and the block of an id's first position adds every row of that id in
/// position order, so in fp32 the result equals the CPU's bit for bit. Finding first positions
/// costs O(N^2) id comparisons (read from shared memory, ~1e9 for N = 32k tokens, about a
/// millisecond); past that a sort-based scatter would pay.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::cuda {

namespace detail {

inline constexpr int kGatherThreads = 256;
inline constexpr int kScatterThreads = 256;

/// Records position i as bad in *first_bad (the smallest one wins; nullable).
__device__ __forceinline__ void note_bad_id(std::int64_t* first_bad, std::int64_t i) {
  if (first_bad) atomicMin(reinterpret_cast<long long*>(first_bad), static_cast<long long>(i));
}

/// out (N, C) = table (V, C)[ids (N)]; a row whose id is outside [0, V) is written as zeros.
template <class T>
__global__ void gather_kernel(const T* table, const std::int32_t* ids, T* out, std::int64_t n, std::int64_t c,
                              std::int64_t v, std::int64_t* first_bad) {
  const std::int64_t total = n * c;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const std::int64_t i = e / c, col = e - i * c;
    const std::int64_t id = ids[i];
    if (id >= 0 && id < v) {
      out[e] = table[id * c + col];
    } else {
      out[e] = from_f32<T>(0.0f);
      if (col == 0) note_bad_id(first_bad, i);
    }
  }
}

/// dtable (V, C)[ids[i]] += dout (N, C)[i] for every i whose id is in [0, V). One block per
/// position i (grid-stride): it first asks whether id = ids[i] occurs at an earlier position; if
/// so another block owns the row. Otherwise it walks positions i..N-1 in order, tile by tile
/// through shared memory, and adds each row with that id, thread `t` owning columns t, t + B, ...
/// so no two threads ever touch one element.
template <class T>
__global__ void scatter_add_kernel(const T* dout, const std::int32_t* ids, float* dtable, std::int64_t n,
                                   std::int64_t c, std::int64_t v, std::int64_t* first_bad) {
  __shared__ std::int32_t tile[kScatterThreads];
  for (std::int64_t i = blockIdx.x; i < n; i += gridDim.x) {  // i is uniform over the block
    const std::int32_t id = ids[i];
    if (id < 0 || id >= v) {
      if (threadIdx.x == 0) note_bad_id(first_bad, i);
      continue;
    }
    // Did id occur before i? (__syncthreads_or: uniform answer, so the loop and exit are uniform.)
    bool seen = false;
    for (std::int64_t j0 = 0; j0 < i && !seen; j0 += kScatterThreads) {
      const std::int64_t j = j0 + threadIdx.x;
      seen = __syncthreads_or(j < i && ids[j] == id) != 0;
    }
    if (seen) continue;
    float* dst = dtable + static_cast<std::int64_t>(id) * c;
    for (std::int64_t j0 = i; j0 < n; j0 += kScatterThreads) {
      const std::int64_t j = j0 + threadIdx.x;
      __syncthreads();  // the previous tile is no longer read
      tile[threadIdx.x] = j < n ? ids[j] : -1;
      __syncthreads();
      const std::int64_t rest = n - j0;
      const int len = rest < kScatterThreads ? static_cast<int>(rest) : kScatterThreads;
      for (int t = 0; t < len; ++t) {
        if (tile[t] != id) continue;  // uniform: every thread reads the same tile entry
        const T* src = dout + (j0 + t) * c;
        for (std::int64_t col = threadIdx.x; col < c; col += kScatterThreads) dst[col] += to_f32(src[col]);
      }
    }
  }
}

}  // namespace detail

/// out (N, C) T = table (V, C) T [ids (N) int32]. An id outside [0, V) gives a zero row and, when
/// `first_bad` (device, nullable) is given, lowers *first_bad to its position: set it to N (or
/// INT64_MAX) before, and a smaller value afterwards names the first bad position.
template <class T>
cudaError_t embedding_gather(const T* table, const std::int32_t* ids, T* out, std::int64_t n, std::int64_t c,
                             std::int64_t v, std::int64_t* first_bad, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (n <= 0 || c <= 0) return cudaSuccess;
  const unsigned blocks = std::min(detail::grid_for(n * c, detail::kGatherThreads), 65536u);
  detail::gather_kernel<T><<<blocks, detail::kGatherThreads, 0, stream>>>(table, ids, out, n, c, v, first_bad);
  return cudaPeekAtLastError();
}

/// dtable (V, C) fp32 [ids[i]] += dout (N, C) T [i], in order of i (deterministic). Ids outside
/// [0, V) are skipped and reported through `first_bad` as for the gather.
template <class T>
cudaError_t embedding_scatter_add(const T* dout, const std::int32_t* ids, float* dtable, std::int64_t n,
                                  std::int64_t c, std::int64_t v, std::int64_t* first_bad, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (n <= 0 || c <= 0) return cudaSuccess;
  const unsigned blocks = detail::grid_for(n, 1);
  detail::scatter_add_kernel<T><<<blocks, detail::kScatterThreads, 0, stream>>>(dout, ids, dtable, n, c, v, first_bad);
  return cudaPeekAtLastError();
}

}  // namespace dapt::cuda

namespace dapt::backend {

/// The CPU signatures, templated on the storage type T of the table copy and activations; the
/// table gradient is fp32. The ids are device memory, so they are not checked on the host: see
/// the launchers' `first_bad` for a device-side check.
template <>
struct EmbeddingKernels<Cuda> {
  /// out (N, C) = table (V, C)[ids (N)]; an id outside [0, V) gives a zero row (the CPU throws).
  template <class T>
  static void gather(const T* table, const std::int32_t* ids, T* out, std::int64_t n, std::int64_t c,
                     std::int64_t v) {
    static_assert(cuda::detail::kStorageType<T>);
    DAPT_CUDA_CHECK(cuda::embedding_gather<T>(table, ids, out, n, c, v, nullptr, cuda::current_stream()));
  }

  /// dtable (V, C) fp32 [ids[i]] += dout (N, C)[i] for every i, in order of i. `v` (the table's
  /// rows) is an addition to the CPU signature: with it, ids outside [0, V) are skipped; without
  /// it only negative ids are (pass it: the CPU's unchecked out-of-range write has no safe
  /// device equivalent).
  template <class T>
  static void scatter_add(const T* dout, const std::int32_t* ids, float* dtable, std::int64_t n, std::int64_t c,
                          std::int64_t v = std::numeric_limits<std::int64_t>::max()) {
    static_assert(cuda::detail::kStorageType<T>);
    DAPT_CUDA_CHECK(cuda::embedding_scatter_add<T>(dout, ids, dtable, n, c, v, nullptr, cuda::current_stream()));
  }
};

}  // namespace dapt::backend
