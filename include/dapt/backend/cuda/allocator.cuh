/// @file allocator.cuh
/// @brief Device memory for Tensor<Cuda>: the DeviceAllocator<Cuda> specialisation and the
/// host/device copies between tensors. (The per-shape arena that keeps allocation out of the
/// training step builds on this in the CUDA backend issue.)
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/core/tensor.hpp"

namespace dapt {

template <>
struct DeviceAllocator<Cuda> {
  static std::shared_ptr<std::byte> allocate(std::size_t bytes) {
    void* p = nullptr;
    DAPT_CUDA_CHECK(cudaMalloc(&p, bytes == 0 ? 1 : bytes));
    return std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [](std::byte* q) { cudaFree(q); });
  }
  /// Sets `bytes` bytes at `p` to zero, on the current context's stream (no host synchronisation).
  static void fill_zero(void* p, std::size_t bytes) {
    if (bytes) DAPT_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, cuda::current_stream()));
  }
  /// Copies `bytes` bytes of host memory to device memory at `dst`, on the current context's
  /// stream. The source may be reused as soon as this returns (pageable memory is staged).
  static void copy_from_host(void* dst, const void* src, std::size_t bytes) {
    if (bytes) DAPT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cuda::current_stream()));
  }
  /// Copies `bytes` bytes of device memory to host memory at `dst` after the work already
  /// enqueued on the current stream, and waits for it: a host synchronisation.
  static void copy_to_host(void* dst, const void* src, std::size_t bytes) {
    if (!bytes) return;
    DAPT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, cuda::current_stream()));
    cuda::current().synchronize();
  }
};

namespace cuda {

/// Copies a contiguous host tensor to a contiguous device tensor of the same shape and dtype.
inline void copy(const TensorView<Cpu>& src, const TensorView<Cuda>& dst, cudaStream_t stream = current_stream()) {
  DAPT_CHECK_AS(kShape, src.shape() == dst.shape() && src.dtype() == dst.dtype(), "copy to device: ",
                src.shape().str(), " ", dtype_name(src.dtype()), " vs ", dst.shape().str(), " ", dtype_name(dst.dtype()));
  DAPT_CHECK_AS(kShape, src.is_contiguous() && dst.is_contiguous(), "copy to device needs contiguous tensors");
  DAPT_CUDA_CHECK(cudaMemcpyAsync(dst.raw(), src.raw(), src.nbytes(), cudaMemcpyHostToDevice, stream));
}

/// Copies a contiguous device tensor to a contiguous host tensor of the same shape and dtype.
inline void copy(const TensorView<Cuda>& src, const TensorView<Cpu>& dst, cudaStream_t stream = current_stream()) {
  DAPT_CHECK_AS(kShape, src.shape() == dst.shape() && src.dtype() == dst.dtype(), "copy to host: ",
                src.shape().str(), " ", dtype_name(src.dtype()), " vs ", dst.shape().str(), " ", dtype_name(dst.dtype()));
  DAPT_CHECK_AS(kShape, src.is_contiguous() && dst.is_contiguous(), "copy to host needs contiguous tensors");
  DAPT_CUDA_CHECK(cudaMemcpyAsync(dst.raw(), src.raw(), src.nbytes(), cudaMemcpyDeviceToHost, stream));
}

/// Number of visible CUDA devices (0 when there is no driver or no device; never throws).
inline int device_count() noexcept {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
  return n;
}

}  // namespace cuda
}  // namespace dapt
