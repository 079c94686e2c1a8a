/// @file context.cuh
/// @brief The CUDA execution context: one device, one stream, the cuBLAS and cuBLASLt handles
/// bound to that stream, and a GEMM workspace. Every `backend::*Kernels<Cuda>` call enqueues its
/// work on the *current* context of the calling thread, so the op facades keep the same
/// signatures as on the CPU. A `cuda::ContextScope` makes a context current for a block; without
/// one, each thread lazily gets a default context on device 0 (its own non-default stream).
/// Launchers never synchronise; `Context::synchronize()` is the one place that waits.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <memory>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/core/error.hpp"

namespace dapt::cuda {

/// Owns a stream and the library handles that run on it. Not copyable; movable only by pointer.
class Context {
 public:
  /// GEMM workspace handed to cuBLASLt (its heuristics prefer 32 MiB on Hopper).
  static constexpr std::size_t kDefaultWorkspaceBytes = std::size_t{32} << 20;

  /// A context on `device` with a new non-blocking stream. Throws kDevice when the device is
  /// absent or a handle cannot be created.
  explicit Context(int device = 0, std::size_t workspace_bytes = kDefaultWorkspaceBytes) : device_(device) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || device < 0 || device >= count)
      DAPT_FAIL(ErrorCategory::kDevice, "cuda::Context: device ", device, " is not available (", count,
                " visible)");
    DAPT_CUDA_CHECK(cudaSetDevice(device));
    DAPT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    try {
      DAPT_CUBLAS_CHECK(cublasCreate(&cublas_));
      DAPT_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
      // fp32 GEMMs stay exact fp32 (no TF32): the fp32 mode exists for parity with the CPU.
      DAPT_CUBLAS_CHECK(cublasSetMathMode(cublas_, CUBLAS_PEDANTIC_MATH));
      DAPT_CUBLAS_CHECK(cublasLtCreate(&lt_));
      if (workspace_bytes) DAPT_CUDA_CHECK(cudaMalloc(&workspace_, workspace_bytes));
      workspace_bytes_ = workspace_bytes;
      DAPT_CUBLAS_CHECK(cublasSetWorkspace(cublas_, workspace_, workspace_bytes_));
    } catch (...) {
      release();
      throw;
    }
  }
  ~Context() { release(); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int device() const noexcept { return device_; }
  cudaStream_t stream() const noexcept { return stream_; }
  cublasHandle_t cublas() const noexcept { return cublas_; }
  cublasLtHandle_t cublas_lt() const noexcept { return lt_; }
  void* workspace() const noexcept { return workspace_; }
  std::size_t workspace_bytes() const noexcept { return workspace_bytes_; }

  /// A device scratch buffer of at least `bytes` bytes for the ops that need one (partial sums,
  /// per-chunk statistics), valid until the next call to scratch(). It only grows, stream-ordered
  /// (cudaFreeAsync / cudaMallocAsync on this stream), so after the first step at a shape no
  /// call allocates. One op uses it at a time: ops on one stream run in order.
  void* scratch(std::size_t bytes) {
    if (bytes > scratch_bytes_) {
      const std::size_t grown = std::max(bytes, scratch_bytes_ * 2);
      if (scratch_) DAPT_CUDA_CHECK(cudaFreeAsync(scratch_, stream_));
      scratch_ = nullptr;
      scratch_bytes_ = 0;
      DAPT_CUDA_CHECK(cudaMallocAsync(&scratch_, grown, stream_));
      scratch_bytes_ = grown;
    }
    return scratch_;
  }

  /// Waits for everything enqueued on this context's stream; reports asynchronous kernel faults.
  void synchronize() const {
    DAPT_CUDA_CHECK(cudaStreamSynchronize(stream_));
    DAPT_CUDA_CHECK(cudaGetLastError());
  }

 private:
  void release() noexcept {
    if (stream_) cudaStreamSynchronize(stream_);
    if (lt_) cublasLtDestroy(lt_);
    if (cublas_) cublasDestroy(cublas_);
    if (workspace_) cudaFree(workspace_);
    if (scratch_) cudaFree(scratch_);
    if (stream_) cudaStreamDestroy(stream_);
    lt_ = nullptr;
    cublas_ = nullptr;
    workspace_ = nullptr;
    scratch_ = nullptr;
    stream_ = nullptr;
  }

  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cublasLtHandle_t lt_ = nullptr;
  void* workspace_ = nullptr;
  std::size_t workspace_bytes_ = 0;
  void* scratch_ = nullptr;
  std::size_t scratch_bytes_ = 0;
};

namespace detail {
/// The calling thread's current context (set by ContextScope) and its lazily made default.
struct ThreadContexts {
  Context* current = nullptr;
  std::unique_ptr<Context> fallback;
};
inline ThreadContexts& thread_contexts() {
  thread_local ThreadContexts contexts;
  return contexts;
}
}  // namespace detail

/// The context that `*Kernels<Cuda>` calls on this thread use: the innermost ContextScope's, else
/// this thread's default context on device 0 (made on first use).
inline Context& current() {
  auto& t = detail::thread_contexts();
  if (t.current) return *t.current;
  if (!t.fallback) t.fallback = std::make_unique<Context>(0);
  return *t.fallback;
}

/// The current context's stream (what launchers are given).
inline cudaStream_t current_stream() { return current().stream(); }

/// Makes `ctx` current on this thread for the scope's lifetime; scopes nest.
class ContextScope {
 public:
  explicit ContextScope(Context& ctx) : previous_(detail::thread_contexts().current) {
    DAPT_CUDA_CHECK(cudaSetDevice(ctx.device()));
    detail::thread_contexts().current = &ctx;
  }
  ~ContextScope() {
    detail::thread_contexts().current = previous_;
    if (previous_) cudaSetDevice(previous_->device());
  }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  Context* previous_;
};

/// Checks for a launch error right after a kernel launch (configuration errors surface here;
/// faults inside the kernel surface at the next synchronisation). Never synchronises.
#define DAPT_CUDA_CHECK_LAUNCH() DAPT_CUDA_CHECK(cudaPeekAtLastError())

}  // namespace dapt::cuda
