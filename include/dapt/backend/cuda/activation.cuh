/// @file activation.cuh
/// @brief CUDA SwiGLU (out = silu(gate) * up) and its backward, and counter-based dropout, with
/// the signatures of backend/cpu/activation.hpp on the storage type T (float or bf16). Dropout
/// calls the same Philox4x32-10 block function as the CPU with the same counter layout (element i
/// is word i % 4 of block (i / 4, stream) under key `seed`) and the same 24-bit uniform, so for a
/// given (seed, stream) the GPU keeps exactly the elements the CPU keeps: a run can move between
/// backends, and a recomputed forward or the backward replays the mask without storing it.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::cuda {

namespace detail {

/// Blocks of `threads` for `items` grid-stride items (capped: the loop covers the rest).
inline unsigned activation_blocks(std::int64_t items, unsigned threads) {
  return std::min<unsigned>(grid_for(items, threads), 1u << 20);
}

template <class T>
__global__ void swiglu_forward_kernel(const T* gate,  // (n)
                                      const T* up,    // (n)
                                      T* out,         // (n)
                                      std::int64_t n) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float g = to_f32(gate[i]);
    out[i] = from_f32<T>(g / (1.0f + expf(-g)) * to_f32(up[i]));
  }
}

template <class T>
__global__ void swiglu_backward_kernel(const T* dout,  // (n)
                                       const T* gate,  // (n)
                                       const T* up,    // (n)
                                       T* dgate,       // (n)
                                       T* dup,         // (n)
                                       std::int64_t n) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float g = to_f32(gate[i]);
    const float s = 1.0f / (1.0f + expf(-g));
    const float d = to_f32(dout[i]);
    const float u = to_f32(up[i]);  // read before writing: dup or dgate may alias an input
    dup[i] = from_f32<T>(d * (g * s));
    dgate[i] = from_f32<T>(d * u * (s * (1.0f + g * (1.0f - s))));
  }
}

/// One item per Philox block b: elements 4b .. 4b+3 (the tail block of n stops at n).
template <class T>
__global__ void dropout_kernel(const T* in,  // (n)
                               T* out,       // (n); may alias `in`
                               std::int64_t n, float p, float keep_scale, Uint2 key, std::uint64_t stream,
                               bool accumulate) {
  const std::int64_t blocks = (n + 3) / 4;
  const std::int64_t step = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t b = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += step) {
    const Uint4 r = Philox4x32{}(Rng::make_counter(static_cast<std::uint64_t>(b), stream), key);
    for (int k = 0; k < 4; ++k) {
      const std::int64_t i = 4 * b + k;
      if (i >= n) break;
      const float u = static_cast<float>(r[k] >> 8) * 0x1p-24f;
      const float v = u >= p ? to_f32(in[i]) * keep_scale : 0.0f;
      out[i] = from_f32<T>(accumulate ? to_f32(out[i]) + v : v);
    }
  }
}

}  // namespace detail

/// Launches out (n) = silu(gate (n)) * up (n).
template <class T>
cudaError_t swiglu_forward(const T* gate, const T* up, T* out, std::int64_t n, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>, "swiglu_forward: T must be float or dapt::bf16");
  if (n <= 0) return cudaPeekAtLastError();
  constexpr unsigned kThreads = 256;
  detail::swiglu_forward_kernel<T><<<detail::activation_blocks(n, kThreads), kThreads, 0, stream>>>(gate, up, out, n);
  return cudaPeekAtLastError();
}

/// Launches dgate (n) = dout * up * silu'(gate), dup (n) = dout * silu(gate), both written.
template <class T>
cudaError_t swiglu_backward(const T* dout, const T* gate, const T* up, T* dgate, T* dup, std::int64_t n,
                            cudaStream_t stream) {
  static_assert(detail::kStorageType<T>, "swiglu_backward: T must be float or dapt::bf16");
  if (n <= 0) return cudaPeekAtLastError();
  constexpr unsigned kThreads = 256;
  detail::swiglu_backward_kernel<T>
      <<<detail::activation_blocks(n, kThreads), kThreads, 0, stream>>>(dout, gate, up, dgate, dup, n);
  return cudaPeekAtLastError();
}

/// Launches out (n) (+)= keep(i) ? in (n) / (1 - p) : 0 with the CPU's Philox mask (see
/// ActivationKernels<Cpu>::dropout). `in` and `out` may alias when not accumulating.
template <class T>
cudaError_t dropout(const T* in, T* out, std::int64_t n, float p, std::uint64_t seed, std::uint64_t stream,
                    bool accumulate, cudaStream_t cuda_stream) {
  static_assert(detail::kStorageType<T>, "dropout: T must be float or dapt::bf16");
  if (n <= 0) return cudaPeekAtLastError();
  const float keep_scale = 1.0f / (1.0f - p);  // the CPU's expression, evaluated on the host
  constexpr unsigned kThreads = 256;
  detail::dropout_kernel<T><<<detail::activation_blocks((n + 3) / 4, kThreads), kThreads, 0, cuda_stream>>>(
      in, out, n, p, keep_scale, Rng::make_key(seed), stream, accumulate);
  return cudaPeekAtLastError();
}

}  // namespace dapt::cuda

namespace dapt::backend {

/// SwiGLU and dropout on the current CUDA context's stream. With T = float the signatures are
/// those of ActivationKernels<Cpu>.
template <>
struct ActivationKernels<Cuda> {
  /// out (n) = silu(gate (n)) * up (n).
  template <class T>
  static void swiglu_forward(const T* gate, const T* up, T* out, std::int64_t n) {
    static_assert(cuda::detail::kStorageType<T>, "ActivationKernels<Cuda>: T must be float or dapt::bf16");
    DAPT_CUDA_CHECK(cuda::swiglu_forward<T>(gate, up, out, n, cuda::current_stream()));
  }

  /// dgate, dup (n) written from dout (n); dgate = dout * up * silu'(gate), dup = dout * silu(gate).
  template <class T>
  static void swiglu_backward(const T* dout, const T* gate, const T* up, T* dgate, T* dup, std::int64_t n) {
    static_assert(cuda::detail::kStorageType<T>, "ActivationKernels<Cuda>: T must be float or dapt::bf16");
    DAPT_CUDA_CHECK(cuda::swiglu_backward<T>(dout, gate, up, dgate, dup, n, cuda::current_stream()));
  }

  /// out[i] (+)= keep(i) ? in[i] / (1 - p) : 0, keep(i) = uniform(i) >= p with the CPU's Philox
  /// layout, so the mask equals ActivationKernels<Cpu>::dropout's for the same (seed, stream).
  template <class T>
  static void dropout(const T* in, T* out, std::int64_t n, float p, std::uint64_t seed, std::uint64_t stream,
                      bool accumulate) {
    static_assert(cuda::detail::kStorageType<T>, "ActivationKernels<Cuda>: T must be float or dapt::bf16");
    DAPT_CUDA_CHECK(cuda::dropout<T>(in, out, n, p, seed, stream, accumulate, cuda::current_stream()));
  }
};

}  // namespace dapt::backend
