/// @file elementwise.cuh
/// @brief CUDA element-wise arithmetic of the residual stream: out = a + b in fp32 math on the
/// storage type T, a device-to-device copy, and the conversion between fp32 and bf16 (how the
/// bf16 weight copies of a mixed-precision model are made); all enqueued on the current stream.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::cuda {

namespace detail {
template <class T>
__global__ void add_kernel(const T* a, const T* b, T* out, std::int64_t n) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = from_f32<T>(to_f32(a[i]) + to_f32(b[i]));
}
template <class From, class To>
__global__ void convert_kernel(const From* src, To* dst, std::int64_t n) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dst[i] = from_f32<To>(to_f32(src[i]));
}
}  // namespace detail

/// out (n) = a (n) + b (n); out may alias a or b.
template <class T>
cudaError_t add(const T* a, const T* b, T* out, std::int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const unsigned blocks = std::min<unsigned>(detail::grid_for(n, kThreads), 65535u * 8u);
  detail::add_kernel<T><<<blocks, kThreads, 0, stream>>>(a, b, out, n);
  return cudaPeekAtLastError();
}

/// dst (n) = src (n) converted between storage types (fp32 to bf16 rounds to nearest even, as
/// dapt::bf16 does on the host; bf16 to fp32 is exact).
template <class From, class To>
cudaError_t convert(const From* src, To* dst, std::int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const unsigned blocks = std::min<unsigned>(detail::grid_for(n, kThreads), 65535u * 8u);
  detail::convert_kernel<From, To><<<blocks, kThreads, 0, stream>>>(src, dst, n);
  return cudaPeekAtLastError();
}

}  // namespace dapt::cuda

namespace dapt::backend {

template <>
struct ElementwiseKernels<Cuda> {
  template <class T>
  static void add(const T* a, const std::type_identity_t<T>* b, std::type_identity_t<T>* out, std::int64_t n) {
    static_assert(cuda::detail::kStorageType<T>);
    DAPT_CUDA_CHECK(cuda::add(a, b, out, n, cuda::current_stream()));
  }
  template <class T>
  static void copy(const T* src, std::type_identity_t<T>* dst, std::int64_t n) {
    static_assert(cuda::detail::kStorageType<T>);
    if (n > 0)
      DAPT_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<std::size_t>(n) * sizeof(T), cudaMemcpyDeviceToDevice,
                                      cuda::current_stream()));
  }
  template <class From, class To>
  static void convert(const From* src, To* dst, std::int64_t n) {
    static_assert(cuda::detail::kStorageType<From> && cuda::detail::kStorageType<To>);
    if constexpr (std::is_same_v<From, To>) copy(src, dst, n);
    else DAPT_CUDA_CHECK(cuda::convert(src, dst, n, cuda::current_stream()));
  }
};

}  // namespace dapt::backend
