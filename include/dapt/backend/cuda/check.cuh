/// @file check.cuh
/// @brief Turns CUDA runtime, cuBLAS and NCCL status codes into dapt::Error (category kDevice)
/// that carries the failing call and its status. Launchers return a status and never throw; the
/// host wrappers that call them use these macros.
#pragma once

#include <cublas_api.h>
#include <cuda_runtime_api.h>
#include <nccl.h>

#include "dapt/core/error.hpp"

namespace dapt::cuda {

inline const char* cublas_status_name(cublasStatus_t s) noexcept {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "CUBLAS_STATUS_<unknown>";
}

}  // namespace dapt::cuda

/// Throws dapt::Error (kDevice) when a CUDA runtime call fails: "cudaMalloc(&p, n) failed: out of memory".
#define DAPT_CUDA_CHECK(call)                                                                       \
  do {                                                                                              \
    const cudaError_t dapt_status_ = (call);                                                        \
    if (dapt_status_ != cudaSuccess)                                                                \
      DAPT_FAIL(::dapt::ErrorCategory::kDevice, #call, " failed: ", cudaGetErrorName(dapt_status_), \
                " (", cudaGetErrorString(dapt_status_), ")");                                       \
  } while (0)

/// Throws dapt::Error (kDevice) when a cuBLAS / cuBLASLt call fails.
#define DAPT_CUBLAS_CHECK(call)                                                                    \
  do {                                                                                             \
    const cublasStatus_t dapt_status_ = (call);                                                    \
    if (dapt_status_ != CUBLAS_STATUS_SUCCESS)                                                     \
      DAPT_FAIL(::dapt::ErrorCategory::kDevice, #call, " failed: ",                                \
                ::dapt::cuda::cublas_status_name(dapt_status_));                                   \
  } while (0)

/// Throws dapt::Error (kDevice) when an NCCL call fails.
#define DAPT_NCCL_CHECK(call)                                                                      \
  do {                                                                                             \
    const ncclResult_t dapt_status_ = (call);                                                      \
    if (dapt_status_ != ncclSuccess)                                                               \
      DAPT_FAIL(::dapt::ErrorCategory::kDevice, #call, " failed: ", ncclGetErrorString(dapt_status_)); \
  } while (0)
