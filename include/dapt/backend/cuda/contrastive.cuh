/// @file contrastive.cuh
/// @brief The device half of InfoNCE over query-passage dot products, as backend/cpu/contrastive.hpp
/// defines it (candidates, logits s * dot with s = exp(*log_scale) read from device memory, the
/// softmax and sums in double). One block per query row (rows), per positive's column (cols) or
/// per row (grad); every reduction is a fixed tree, so results do not depend on scheduling, and
/// the logit scale never goes through the host: a learned temperature costs no synchronisation.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::cuda {
namespace detail {

inline constexpr int kNceThreads = 256;  // a multiple of 32

__device__ __forceinline__ double warp_max_f64(double v) {
  for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/// Sum (or maximum) over the block in a fixed tree, returned to every thread. `scratch`: 32
/// doubles of shared memory. blockDim.x is a multiple of 32.
__device__ __forceinline__ double block_all_f64(double v, double* scratch, bool max) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = max ? warp_max_f64(v) : warp_sum_f64(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : (max ? -INFINITY : 0.0);
  return max ? warp_max_f64(v) : warp_sum_f64(v);
}

/// Block i: query i against its candidate passages (see ContrastiveKernels<Cpu>::rows).
template <int Threads>
__global__ void __launch_bounds__(Threads)
    nce_rows_kernel(const float* dots, const std::int64_t* keys, const float* log_scale, std::int64_t p, float w,
                    float* losses, float* correct, float* g) {
  __shared__ double scratch[32];
  const std::int64_t i = blockIdx.x;
  const float* row = dots + i * p;
  const double s = exp(static_cast<double>(*log_scale));
  const std::int64_t key = keys[i];
  const double pos = s * row[i];
  double mx = -INFINITY;
  int beaten = 0;
  for (std::int64_t j = threadIdx.x; j < p; j += Threads) {
    if (j != i && keys[j] == key) continue;
    const double l = s * row[j];
    mx = fmax(mx, l);
    if (j != i && l >= pos) beaten = 1;
  }
  mx = block_all_f64(mx, scratch, true);
  beaten = __syncthreads_or(beaten);
  double z = 0;
  for (std::int64_t j = threadIdx.x; j < p; j += Threads)
    if (j == i || keys[j] != key) z += exp(s * row[j] - mx);
  z = block_all_f64(z, scratch, false);
  if (threadIdx.x == 0) {
    losses[i] = static_cast<float>(w * (mx + log(z) - pos));
    correct[i] = beaten ? 0.0f : 1.0f;
  }
  if (!g) return;
  for (std::int64_t j = threadIdx.x; j < p; j += Threads)
    g[i * p + j] = (j == i || keys[j] != key)
                       ? static_cast<float>(w * exp(s * row[j] - mx) / z - (j == i ? static_cast<double>(w) : 0.0))
                       : 0.0f;
}

/// Block i: positive i against the queries (see ContrastiveKernels<Cpu>::cols); adds column i of g.
template <int Threads>
__global__ void __launch_bounds__(Threads)
    nce_cols_kernel(const float* dots, const std::int64_t* keys, const float* log_scale, std::int64_t b,
                    std::int64_t p, float w, float* losses, float* g) {
  __shared__ double scratch[32];
  const std::int64_t i = blockIdx.x;
  const double s = exp(static_cast<double>(*log_scale));
  const std::int64_t key = keys[i];
  const double pos = s * dots[i * p + i];
  double mx = -INFINITY;
  for (std::int64_t j = threadIdx.x; j < b; j += Threads)
    if (j == i || keys[j] != key) mx = fmax(mx, s * dots[j * p + i]);
  mx = block_all_f64(mx, scratch, true);
  double z = 0;
  for (std::int64_t j = threadIdx.x; j < b; j += Threads)
    if (j == i || keys[j] != key) z += exp(s * dots[j * p + i] - mx);
  z = block_all_f64(z, scratch, false);
  if (threadIdx.x == 0) losses[i] = static_cast<float>(w * (mx + log(z) - pos));
  if (!g) return;
  for (std::int64_t j = threadIdx.x; j < b; j += Threads)
    if (j == i || keys[j] != key)
      g[j * p + i] += static_cast<float>(w * exp(s * dots[j * p + i] - mx) / z - (j == i ? static_cast<double>(w) : 0.0));
}

/// Block i: row i of g becomes the gradient of the dots times grad_scale; partial[i] = sum_j
/// g[i, j] * logit[i, j] (before the scaling), in double.
template <int Threads>
__global__ void __launch_bounds__(Threads)
    nce_grad_kernel(const float* dots, const float* log_scale, std::int64_t p, float grad_scale, float* g,
                    double* partial) {
  __shared__ double scratch[32];
  const std::int64_t i = blockIdx.x;
  const double s = exp(static_cast<double>(*log_scale));
  double acc = 0;
  for (std::int64_t j = threadIdx.x; j < p; j += Threads) {
    const double gd = g[i * p + j];
    acc += gd * s * dots[i * p + j];
    g[i * p + j] = static_cast<float>(gd * grad_scale * s);
  }
  acc = block_all_f64(acc, scratch, false);
  if (threadIdx.x == 0) partial[i] = acc;
}

/// One block: *dlog_scale += grad_scale * sum(partial[0, b)), in a fixed order.
template <int Threads>
__global__ void __launch_bounds__(Threads)
    nce_scale_grad_kernel(const double* partial, std::int64_t b, float grad_scale, float* dlog_scale) {
  __shared__ double scratch[32];
  double acc = 0;
  for (std::int64_t i = threadIdx.x; i < b; i += Threads) acc += partial[i];
  acc = block_all_f64(acc, scratch, false);
  if (threadIdx.x == 0) *dlog_scale += static_cast<float>(grad_scale * acc);
}

}  // namespace detail

/// Launchers of the kernels above on `stream` (device pointers; see ContrastiveKernels<Cpu> for
/// the meaning). b queries (and blocks) < 2^31.
inline cudaError_t nce_rows(const float* dots, const std::int64_t* keys, const float* log_scale, std::int64_t b,
                            std::int64_t p, float w, float* losses, float* correct, float* g, cudaStream_t stream) {
  if (b <= 0) return cudaPeekAtLastError();
  if (b > 0x7fffffff) return cudaErrorInvalidValue;
  detail::nce_rows_kernel<detail::kNceThreads><<<static_cast<unsigned>(b), detail::kNceThreads, 0, stream>>>(
      dots, keys, log_scale, p, w, losses, correct, g);
  return cudaPeekAtLastError();
}
inline cudaError_t nce_cols(const float* dots, const std::int64_t* keys, const float* log_scale, std::int64_t b,
                            std::int64_t p, float w, float* losses, float* g, cudaStream_t stream) {
  if (b <= 0) return cudaPeekAtLastError();
  if (b > 0x7fffffff) return cudaErrorInvalidValue;
  detail::nce_cols_kernel<detail::kNceThreads><<<static_cast<unsigned>(b), detail::kNceThreads, 0, stream>>>(
      dots, keys, log_scale, b, p, w, losses, g);
  return cudaPeekAtLastError();
}
/// `partial`: b doubles of device workspace.
inline cudaError_t nce_grad(const float* dots, const float* log_scale, std::int64_t b, std::int64_t p,
                            float grad_scale, float* g, float* dlog_scale, double* partial, cudaStream_t stream) {
  if (b <= 0) return cudaPeekAtLastError();
  if (b > 0x7fffffff) return cudaErrorInvalidValue;
  detail::nce_grad_kernel<detail::kNceThreads><<<static_cast<unsigned>(b), detail::kNceThreads, 0, stream>>>(
      dots, log_scale, p, grad_scale, g, partial);
  if (dlog_scale) {
    const cudaError_t e = cudaPeekAtLastError();
    if (e != cudaSuccess) return e;
    detail::nce_scale_grad_kernel<detail::kNceThreads><<<1, detail::kNceThreads, 0, stream>>>(partial, b, grad_scale,
                                                                                            dlog_scale);
  }
  return cudaPeekAtLastError();
}

}  // namespace dapt::cuda

namespace dapt::backend {

/// InfoNCE on the current CUDA context's stream, with ContrastiveKernels<Cpu>'s signatures.
template <>
struct ContrastiveKernels<Cuda> {
  static void rows(const float* dots, const std::int64_t* keys, const float* log_scale, std::int64_t b,
                   std::int64_t p, float w, float* losses, float* correct, float* g) {
    DAPT_CUDA_CHECK(cuda::nce_rows(dots, keys, log_scale, b, p, w, losses, correct, g, cuda::current_stream()));
  }
  static void cols(const float* dots, const std::int64_t* keys, const float* log_scale, std::int64_t b,
                   std::int64_t p, float w, float* losses, float* g) {
    DAPT_CUDA_CHECK(cuda::nce_cols(dots, keys, log_scale, b, p, w, losses, g, cuda::current_stream()));
  }
  static void grad(const float* dots, const float* log_scale, std::int64_t b, std::int64_t p, float grad_scale,
                   float* g, float* dlog_scale) {
    cuda::Context& ctx = cuda::current();
    auto* partial = static_cast<double*>(ctx.scratch(static_cast<std::size_t>(b > 0 ? b : 1) * sizeof(double)));
    DAPT_CUDA_CHECK(cuda::nce_grad(dots, log_scale, b, p, grad_scale, g, dlog_scale, partial, ctx.stream()));
  }
};

}  // namespace dapt::backend
