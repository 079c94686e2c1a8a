/// @file rope.cuh
/// @brief CUDA rotary position embedding in the Hugging Face `rotate_half` layout, with the
/// signatures of backend/cpu/rope.hpp on the storage type T (float or bf16). The angles are not
/// recomputed here: the kernel reads the same fp32 cos/sin tables (table_rows, hd/2) that
/// ops::RopeTable builds on the host (default, linear and llama3 scaling are all baked into
/// them), uploaded to the device, so CPU and GPU rotate by identical angles. One thread rotates
/// one (lo, hi) pair in place, which is a streaming pass with no reuse to exploit.
///
/// Unlike the CPU, which throws on a position outside the table before writing anything, the GPU
/// cannot look at device positions without synchronising; a token with such a position gets NaN
/// in all its head vectors instead, so the mistake surfaces as a NaN loss, never as a silently
/// wrong rotation.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::cuda {

namespace detail {

/// Rotates every (i, i + hd/2) pair of x by sign * angle(position, i), in place; item
/// k = (token * H + head) * (hd/2) + i, grid-stride.
template <class T>
__global__ void rope_kernel(T* x,                          // (N, H, hd)
                            const std::int32_t* positions,  // (N)
                            std::int64_t n_tokens, std::int64_t n_heads, std::int64_t head_dim,
                            const float* cos_table,  // (table_rows, hd/2)
                            const float* sin_table,  // (table_rows, hd/2)
                            std::int64_t table_rows, float sign) {
  const std::int64_t half = head_dim / 2;
  const std::int64_t total = n_tokens * n_heads * half;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t k = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total; k += stride) {
    const std::int64_t i = k % half;
    const std::int64_t token_head = k / half;  // token * H + head
    const std::int64_t token = token_head / n_heads;
    T* lo = x + token_head * head_dim + i;
    T* hi = lo + half;
    const std::int64_t p = positions[token];
    if (p < 0 || p >= table_rows) {
      const T nan = from_f32<T>(__int_as_float(0x7fffffff));
      *lo = nan;
      *hi = nan;
      continue;
    }
    const float c = cos_table[p * half + i];
    const float s = sign * sin_table[p * half + i];
    const float a = to_f32(*lo), b = to_f32(*hi);
    *lo = from_f32<T>(a * c - b * s);
    *hi = from_f32<T>(b * c + a * s);
  }
}

template <class T>
cudaError_t rope_launch(T* x, const std::int32_t* positions, std::int64_t n_tokens, std::int64_t n_heads,
                        std::int64_t head_dim, const float* cos_table, const float* sin_table, std::int64_t table_rows,
                        float sign, cudaStream_t stream) {
  static_assert(kStorageType<T>, "rope: T must be float or dapt::bf16");
  const std::int64_t total = n_tokens * n_heads * (head_dim / 2);
  if (n_tokens <= 0 || n_heads <= 0 || total <= 0) return cudaPeekAtLastError();
  constexpr unsigned kThreads = 256;
  const unsigned blocks = std::min<unsigned>(grid_for(total, kThreads), 1u << 20);  // grid-stride beyond
  rope_kernel<T><<<blocks, kThreads, 0, stream>>>(x, positions, n_tokens, n_heads, head_dim, cos_table, sin_table,
                                                  table_rows, sign);
  return cudaPeekAtLastError();
}

}  // namespace detail

/// Launches the in-place rotation of x by +angle (see RopeKernels<Cuda>::forward). All pointers
/// are device pointers.
template <class T>
cudaError_t rope_forward(T* x,                          // (N, H, hd)
                         const std::int32_t* positions,  // (N)
                         std::int64_t n_tokens, std::int64_t n_heads, std::int64_t head_dim,
                         const float* cos_table,  // (table_rows, hd/2)
                         const float* sin_table,  // (table_rows, hd/2)
                         std::int64_t table_rows, cudaStream_t stream) {
  return detail::rope_launch<T>(x, positions, n_tokens, n_heads, head_dim, cos_table, sin_table, table_rows, 1.0f,
                                stream);
}

/// Launches the in-place rotation of dx by -angle, the gradient of rope_forward.
template <class T>
cudaError_t rope_backward(T* dx,                         // (N, H, hd)
                          const std::int32_t* positions,  // (N)
                          std::int64_t n_tokens, std::int64_t n_heads, std::int64_t head_dim,
                          const float* cos_table,  // (table_rows, hd/2)
                          const float* sin_table,  // (table_rows, hd/2)
                          std::int64_t table_rows, cudaStream_t stream) {
  return detail::rope_launch<T>(dx, positions, n_tokens, n_heads, head_dim, cos_table, sin_table, table_rows, -1.0f,
                                stream);
}

}  // namespace dapt::cuda

namespace dapt::backend {

/// RoPE on the current CUDA context's stream. With T = float the signatures are those of
/// RopeKernels<Cpu>, but every pointer, the cos/sin tables included, is a device pointer: the
/// tables are ops::RopeTable's, uploaded. Tables stay fp32 in bf16 mode.
template <>
struct RopeKernels<Cuda> {
  /// x (N, H, hd) rotated in place by positions (N) * inv_freq; cos, sin: (table_rows, hd/2).
  /// A token whose position is outside [0, table_rows) gets NaN in all its head vectors.
  template <class T>
  static void forward(T* x, const std::int32_t* positions, std::int64_t n_tokens, std::int64_t n_heads,
                      std::int64_t head_dim, const float* cos, const float* sin, std::int64_t table_rows) {
    static_assert(cuda::detail::kStorageType<T>, "RopeKernels<Cuda>: T must be float or dapt::bf16");
    DAPT_CUDA_CHECK(cuda::rope_forward<T>(x, positions, n_tokens, n_heads, head_dim, cos, sin, table_rows,
                                          cuda::current_stream()));
  }

  /// dx (N, H, hd) rotated in place by the opposite angle: the gradient of forward.
  template <class T>
  static void backward(T* dx, const std::int32_t* positions, std::int64_t n_tokens, std::int64_t n_heads,
                       std::int64_t head_dim, const float* cos, const float* sin, std::int64_t table_rows) {
    static_assert(cuda::detail::kStorageType<T>, "RopeKernels<Cuda>: T must be float or dapt::bf16");
    DAPT_CUDA_CHECK(cuda::rope_backward<T>(dx, positions, n_tokens, n_heads, head_dim, cos, sin, table_rows,
                                           cuda::current_stream()));
  }
};

}  // namespace dapt::backend
