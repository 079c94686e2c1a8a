/// @file pooling.cuh
/// @brief CUDA sequence pooling for embedders (mean over the real tokens, last or first real
/// token, optional L2 normalisation) and its exact backward, mirroring the CPU backend operation
/// for operation: the mean sums in token order in fp32 and multiplies by 1/count, the picked token
/// is the last (first) with mask 1 or token 0 when none, and the norm is that of the pooled
/// vector before normalisation, kept in fp32 for backward. The forward runs one block per row and
/// keeps the pooled row in shared memory, so bf16 output is rounded once (after normalising); the
/// backward splits each row's (T, C) gradient over blocks of 32 tokens. The op facade hands the
/// mask over as host memory (it validates it on the host), so the `PoolingKernels<Cuda>` members
/// copy it to the context's scratch first; the launchers take a device mask.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "dapt/backend/cpu/pooling.hpp"
#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::cuda {

namespace detail {

inline constexpr int kPoolThreads = 256;          // a multiple of 32 (block_sum)
inline constexpr int kPoolBackwardTokens = 32;    // tokens of one row per backward block
inline constexpr std::size_t kPoolDefaultSharedBytes = 48 * 1024;
inline constexpr int kPoolReduceSlots = 32;       // the block reductions' static shared floats

/// The number of real tokens of a row's mask m (len) and the token a last/first pooling reads
/// (0 when the row has none, as on the CPU). Called by the whole block (it synchronises).
/// Positions are exact in fp32 below 2^24 tokens.
__device__ inline void pool_row_select(const std::int32_t* m, std::int64_t len, backend::PoolMode mode, float* red,
                                       float& count, std::int64_t& pick) {
  float cnt = 0.0f, last = -1.0f, first = static_cast<float>(len);
  for (std::int64_t t = threadIdx.x; t < len; t += blockDim.x) {
    if (!m[t]) continue;
    cnt += 1.0f;
    last = fmaxf(last, static_cast<float>(t));
    first = fminf(first, static_cast<float>(t));
  }
  count = block_sum(cnt, red);
  last = block_max(last, red);
  first = -block_max(-first, red);
  if (mode == backend::PoolMode::kLastToken) pick = last >= 0.0f ? static_cast<std::int64_t>(last) : 0;
  else pick = first < static_cast<float>(len) ? static_cast<std::int64_t>(first) : 0;
}

/// One block per row n: out (N, C) and norms (N) from h (N, T, C) and mask (N, T).
template <class T>
__global__ void pool_forward_kernel(const T* h, const std::int32_t* mask, T* out, float* norms, std::int64_t len,
                                    std::int64_t c, backend::PoolMode mode, bool normalize) {
  extern __shared__ float pooled[];  // (C): the row's pooled vector before normalisation
  __shared__ float red[kPoolReduceSlots];
  const std::int64_t n = blockIdx.x;
  const std::int32_t* m = mask + n * len;
  const T* hn = h + n * len * c;
  float count = 0.0f;
  std::int64_t pick = 0;
  pool_row_select(m, len, mode, red, count, pick);
  const float inv_count = 1.0f / fmaxf(count, 1.0f);
  float ss = 0.0f;
  for (std::int64_t col = threadIdx.x; col < c; col += blockDim.x) {
    float v = 0.0f;
    if (mode == backend::PoolMode::kMean) {
      for (std::int64_t t = 0; t < len; ++t)
        if (m[t]) v += to_f32(hn[t * c + col]);
      v *= inv_count;
    } else if (len > 0) {
      v = to_f32(hn[pick * c + col]);
    }
    pooled[col] = v;  // read back below by this same thread only
    ss += v * v;
  }
  const float norm = sqrtf(block_sum(ss, red));
  if (threadIdx.x == 0) norms[n] = norm;
  const float scale = normalize ? 1.0f / fmaxf(norm, backend::kPoolNormEps) : 1.0f;
  for (std::int64_t col = threadIdx.x; col < c; col += blockDim.x) out[n * c + col] = from_f32<T>(pooled[col] * scale);
}

/// Block (n, tile): dh (N, T, C) of row n at tokens [tile * 32, tile * 32 + 32), written in full
/// (zero where the pooling read nothing).
template <class T>
__global__ void pool_backward_kernel(const T* dout, const T* out, const float* norms, const std::int32_t* mask, T* dh,
                                     std::int64_t len, std::int64_t c, backend::PoolMode mode, bool normalize) {
  __shared__ float red[kPoolReduceSlots];
  const std::int64_t n = blockIdx.x;
  const std::int64_t t0 = static_cast<std::int64_t>(blockIdx.y) * kPoolBackwardTokens;
  const std::int64_t t1 = t0 + kPoolBackwardTokens < len ? t0 + kPoolBackwardTokens : len;
  const std::int32_t* m = mask + n * len;
  const T* g = dout + n * c;
  const T* y = out + n * c;
  float count = 0.0f;
  std::int64_t pick = 0;
  pool_row_select(m, len, mode, red, count, pick);
  // With y = p / |p|: dp = (dy - y (y . dy)) / |p|; the mean spreads dp / count over the real tokens.
  float dot = 0.0f;
  if (normalize) {  // uniform: a kernel argument
    float part = 0.0f;
    for (std::int64_t col = threadIdx.x; col < c; col += blockDim.x) part += to_f32(y[col]) * to_f32(g[col]);
    dot = block_sum(part, red);
  }
  const float inv = normalize ? 1.0f / fmaxf(norms[n], backend::kPoolNormEps) : 1.0f;
  const float scale = mode == backend::PoolMode::kMean ? inv / fmaxf(count, 1.0f) : inv;
  for (std::int64_t t = t0; t < t1; ++t) {
    const bool used = mode == backend::PoolMode::kMean ? m[t] != 0 : t == pick;
    T* d = dh + (n * len + t) * c;
    for (std::int64_t col = threadIdx.x; col < c; col += blockDim.x) {
      float v = 0.0f;
      if (used) {
        const float gc = to_f32(g[col]);
        v = scale * (normalize ? gc - dot * to_f32(y[col]) : gc);
      }
      d[col] = from_f32<T>(v);
    }
  }
}

}  // namespace detail

/// h (N, T, C) T; mask (N, T) int32 in device memory (1 real token, 0 padding); out (N, C) T
/// written; norms (N) fp32 written (the pooled vector's L2 norm before normalisation).
template <class T>
cudaError_t pool_forward(const T* h, const std::int32_t* mask, T* out, float* norms, std::int64_t n, std::int64_t len,
                         std::int64_t c, backend::PoolMode mode, bool normalize, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (n <= 0) return cudaSuccess;
  if (n > 0x7fffffff) return cudaErrorInvalidValue;
  const std::size_t shared = static_cast<std::size_t>(c > 0 ? c : 0) * sizeof(float);
  // The default limit covers the kernel's static shared memory too: rows wider than 12256
  // features need the opt-in shared memory (up to 227 KiB on Hopper).
  if (shared + detail::kPoolReduceSlots * sizeof(float) > detail::kPoolDefaultSharedBytes) {
    const cudaError_t e = cudaFuncSetAttribute(detail::pool_forward_kernel<T>,
                                               cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared));
    if (e != cudaSuccess) return e;
  }
  detail::pool_forward_kernel<T><<<static_cast<unsigned>(n), detail::kPoolThreads, shared, stream>>>(
      h, mask, out, norms, len, c, mode, normalize);
  return cudaPeekAtLastError();
}

/// dout (N, C) T; out (N, C) T and norms (N) fp32 as pool_forward wrote them; mask (N, T) int32
/// in device memory; dh (N, T, C) T written (zero at the tokens the pooling did not read).
template <class T>
cudaError_t pool_backward(const T* dout, const T* out, const float* norms, const std::int32_t* mask, T* dh,
                          std::int64_t n, std::int64_t len, std::int64_t c, backend::PoolMode mode, bool normalize,
                          cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (n <= 0 || len <= 0 || c <= 0) return cudaSuccess;
  const std::int64_t tiles = (len + detail::kPoolBackwardTokens - 1) / detail::kPoolBackwardTokens;
  if (n > 0x7fffffff || tiles > 65535) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(n), static_cast<unsigned>(tiles));
  detail::pool_backward_kernel<T><<<grid, detail::kPoolThreads, 0, stream>>>(dout, out, norms, mask, dh, len, c, mode,
                                                                             normalize);
  return cudaPeekAtLastError();
}

}  // namespace dapt::cuda

namespace dapt::backend {

/// The CPU signatures, templated on the storage type T of the hidden states, pooled vectors and
/// their gradients; norms are fp32. `mask` may be host memory (what the op facade passes) or
/// device memory: it is copied (cudaMemcpyDefault) into the context's scratch on the stream. From
/// pageable host memory that copy may wait for the stream's earlier work; call the launchers with
/// a device mask to avoid it.
template <>
struct PoolingKernels<Cuda> {
  /// h (N, T, C); mask (N, T): 1 real token, 0 padding; out (N, C) written; norms (N) written.
  template <class T>
  static void forward(const T* h, const std::int32_t* mask, T* out, float* norms, std::int64_t N, std::int64_t T_,
                      std::int64_t C, PoolMode mode, bool normalize) {
    static_assert(cuda::detail::kStorageType<T>);
    if (N <= 0) return;
    cuda::Context& ctx = cuda::current();
    const std::int32_t* dmask = upload_mask(ctx, mask, N * T_);
    DAPT_CUDA_CHECK(cuda::pool_forward<T>(h, dmask, out, norms, N, T_, C, mode, normalize, ctx.stream()));
  }

  /// dout (N, C); out (N, C) and norms (N) as forward wrote them; dh (N, T, C) written.
  template <class T>
  static void backward(const T* dout, const T* out, const float* norms, const std::int32_t* mask, T* dh,
                       std::int64_t N, std::int64_t T_, std::int64_t C, PoolMode mode, bool normalize) {
    static_assert(cuda::detail::kStorageType<T>);
    if (N <= 0 || T_ <= 0 || C <= 0) return;
    cuda::Context& ctx = cuda::current();
    const std::int32_t* dmask = upload_mask(ctx, mask, N * T_);
    DAPT_CUDA_CHECK(cuda::pool_backward<T>(dout, out, norms, dmask, dh, N, T_, C, mode, normalize, ctx.stream()));
  }

 private:
  static const std::int32_t* upload_mask(cuda::Context& ctx, const std::int32_t* mask, std::int64_t count) {
    const std::size_t bytes = static_cast<std::size_t>(count > 0 ? count : 0) * sizeof(std::int32_t);
    auto* dmask = static_cast<std::int32_t*>(ctx.scratch(bytes > 0 ? bytes : sizeof(std::int32_t)));
    if (bytes) DAPT_CUDA_CHECK(cudaMemcpyAsync(dmask, mask, bytes, cudaMemcpyDefault, ctx.stream()));
    return dmask;
  }
};

}  // namespace dapt::backend
