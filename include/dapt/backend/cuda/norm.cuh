/// @file norm.cuh
/// @brief CUDA RMSNorm, fused with the decoder block's residual add, and its backward, with the
/// signatures of backend/cpu/norm.hpp on the storage type T (float or bf16). A row is reduced by
/// one block, so rows of any length work and the row statistic (rstd, fp32) comes from a single
/// ordered block reduction. The weight gradient is a column reduction over all rows; it is done
/// in two passes (fixed row groups write partial sums to scratch, then one thread per column adds
/// them in order) instead of float atomics, so dw is bit-reproducible from run to run.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::cuda {

namespace detail {

/// Threads of a one-block-per-row kernel for rows of `c` elements: c rounded up to a warp,
/// between one warp and 256 threads (a multiple of 32, as block_sum needs).
inline unsigned norm_row_threads(std::int64_t c, std::int64_t max_threads = 256) {
  return static_cast<unsigned>(std::clamp<std::int64_t>((c + 31) / 32 * 32, 32, max_threads));
}

/// How the weight-gradient reduction splits the N rows: `groups` groups of `rows` consecutive
/// rows (the last one possibly shorter). It depends on N only, never on the device, so the
/// summation order, and hence dw, is the same on every run and every GPU.
struct NormDwGroups {
  std::int64_t rows = 0;    ///< rows per group
  std::int64_t groups = 0;  ///< ceil(n / rows); 0 when n == 0
};
__host__ __device__ inline NormDwGroups rms_norm_dw_groups(std::int64_t n) {
  constexpr std::int64_t kMaxGroups = 128, kMinRows = 16;
  NormDwGroups g;
  g.rows = std::max<std::int64_t>(kMinRows, (n + kMaxGroups - 1) / kMaxGroups);
  g.groups = n > 0 ? (n + g.rows - 1) / g.rows : 0;
  return g;
}

/// One block per row: h = x + delta (rounded to T, written), rstd = 1/sqrt(mean(h^2) + eps),
/// y = w * (h * rstd). Each thread reads back only the h elements it wrote itself, so h_out may
/// alias x (the in-place residual add).
template <class T>
__global__ void rms_norm_forward_kernel(const T* x,      // (N, C)
                                        const T* delta,  // (N, C) or null
                                        T* h_out,        // (N, C), written when delta is non-null
                                        const T* w,      // (C)
                                        T* y,            // (N, C)
                                        float* rstd,     // (N)
                                        std::int64_t c, float eps) {
  __shared__ float red[32];
  const std::int64_t row = blockIdx.x;
  const T* src = x + row * c;
  float ss = 0.0f;
  if (delta) {  // uniform over the block: a kernel argument
    const T* di = delta + row * c;
    T* hi = h_out + row * c;
    for (std::int64_t j = threadIdx.x; j < c; j += blockDim.x) {
      const T h = from_f32<T>(to_f32(src[j]) + to_f32(di[j]));
      hi[j] = h;
      const float v = to_f32(h);  // normalise the stored h: backward sees the same value
      ss += v * v;
    }
    src = hi;
  } else {
    for (std::int64_t j = threadIdx.x; j < c; j += blockDim.x) {
      const float v = to_f32(src[j]);
      ss += v * v;
    }
  }
  ss = block_sum(ss, red);
  const float r = 1.0f / sqrtf(ss / static_cast<float>(c) + eps);
  if (threadIdx.x == 0) rstd[row] = r;
  T* yi = y + row * c;
  for (std::int64_t j = threadIdx.x; j < c; j += blockDim.x) yi[j] = from_f32<T>(to_f32(w[j]) * (to_f32(src[j]) * r));
}

/// One block per row: dx (=, or += when accumulate) r * (dy * w - x * r * mean(dy * w * x * r)).
template <class T>
__global__ void rms_norm_backward_dx_kernel(const T* dy,          // (N, C)
                                            const T* x,           // (N, C)
                                            const T* w,           // (C)
                                            const float* rstd,    // (N)
                                            T* dx,                // (N, C)
                                            std::int64_t c, bool accumulate) {
  __shared__ float red[32];
  const std::int64_t row = blockIdx.x;
  const T* dyi = dy + row * c;
  const T* xi = x + row * c;
  T* dxi = dx + row * c;
  const float r = rstd[row];
  float dot = 0.0f;
  for (std::int64_t j = threadIdx.x; j < c; j += blockDim.x) dot += to_f32(dyi[j]) * to_f32(w[j]) * to_f32(xi[j]) * r;
  dot = block_sum(dot, red);
  const float mean = dot / static_cast<float>(c);
  for (std::int64_t j = threadIdx.x; j < c; j += blockDim.x) {
    const float g = r * (to_f32(dyi[j]) * to_f32(w[j]) - to_f32(xi[j]) * r * mean);
    dxi[j] = from_f32<T>(accumulate ? to_f32(dxi[j]) + g : g);
  }
}

/// Pass 1 of dw: block (bx, g) sums dy * x * rstd over the rows of group g for 256 columns;
/// thread j owns column j, so the loads of a warp are contiguous.
template <class T>
__global__ void rms_norm_dw_partial_kernel(const T* dy,        // (N, C)
                                           const T* x,         // (N, C)
                                           const float* rstd,  // (N)
                                           float* partial,     // (groups, C)
                                           std::int64_t n, std::int64_t c, std::int64_t rows_per_group) {
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= c) return;
  const std::int64_t i0 = static_cast<std::int64_t>(blockIdx.y) * rows_per_group;
  const std::int64_t i1 = std::min(n, i0 + rows_per_group);
  float acc = 0.0f;
  for (std::int64_t i = i0; i < i1; ++i) acc += to_f32(dy[i * c + j]) * to_f32(x[i * c + j]) * rstd[i];
  partial[static_cast<std::int64_t>(blockIdx.y) * c + j] = acc;
}

/// Pass 2 of dw: dw[j] += the group partials of column j, summed in group order. (A template,
/// like every kernel of a header, so that each translation unit may instantiate it.)
template <unsigned kThreads>
__global__ void __launch_bounds__(kThreads) rms_norm_dw_reduce_kernel(const float* partial,  // (groups, C)
                                                                      float* dw,             // (C)
                                                                      std::int64_t c, std::int64_t groups) {
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= c) return;
  float s = 0.0f;
  for (std::int64_t g = 0; g < groups; ++g) s += partial[g * c + j];
  dw[j] += s;
}

}  // namespace detail

/// Floats of scratch that rms_norm_backward needs for dw over `n` rows of `c` (0 without dw).
inline std::size_t rms_norm_dw_scratch_floats(std::int64_t n, std::int64_t c) {
  return static_cast<std::size_t>(detail::rms_norm_dw_groups(n).groups * c);
}

/// Launches the RMSNorm forward (see NormKernels<Cuda>::rms_norm_forward).
template <class T>
cudaError_t rms_norm_forward(const T* x,      // (N, C)
                             const T* delta,  // (N, C) or null
                             T* h_out,        // (N, C); used when delta is non-null
                             const T* w,      // (C)
                             T* y,            // (N, C)
                             float* rstd,     // (N)
                             std::int64_t n, std::int64_t c, float eps, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>, "rms_norm_forward: T must be float or dapt::bf16");
  if (n <= 0) return cudaPeekAtLastError();
  if (n > 0x7fffffff) return cudaErrorInvalidValue;  // one block per row
  detail::rms_norm_forward_kernel<T>
      <<<static_cast<unsigned>(n), detail::norm_row_threads(c), 0, stream>>>(x, delta, h_out, w, y, rstd, c, eps);
  return cudaPeekAtLastError();
}

/// Launches the RMSNorm backward (see NormKernels<Cuda>::rms_norm_backward). With dw non-null,
/// `dw_scratch` holds rms_norm_dw_scratch_floats(n, c) floats.
template <class T>
cudaError_t rms_norm_backward(const T* dy,        // (N, C)
                              const T* x,         // (N, C)
                              const T* w,         // (C)
                              const float* rstd,  // (N)
                              T* dx,              // (N, C)
                              float* dw,          // (C) or null
                              float* dw_scratch,  // (groups, C) when dw is non-null
                              std::int64_t n, std::int64_t c, bool accumulate, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>, "rms_norm_backward: T must be float or dapt::bf16");
  if (n <= 0) return cudaPeekAtLastError();
  if (n > 0x7fffffff) return cudaErrorInvalidValue;
  detail::rms_norm_backward_dx_kernel<T>
      <<<static_cast<unsigned>(n), detail::norm_row_threads(c), 0, stream>>>(dy, x, w, rstd, dx, c, accumulate);
  if (const cudaError_t e = cudaPeekAtLastError(); e != cudaSuccess) return e;
  if (!dw || c <= 0) return cudaSuccess;
  const detail::NormDwGroups g = detail::rms_norm_dw_groups(n);
  constexpr unsigned kThreads = 256;
  const dim3 grid(detail::grid_for(c, kThreads), static_cast<unsigned>(g.groups));  // groups <= 128
  detail::rms_norm_dw_partial_kernel<T><<<grid, kThreads, 0, stream>>>(dy, x, rstd, dw_scratch, n, c, g.rows);
  if (const cudaError_t e = cudaPeekAtLastError(); e != cudaSuccess) return e;
  detail::rms_norm_dw_reduce_kernel<kThreads><<<detail::grid_for(c, kThreads), kThreads, 0, stream>>>(dw_scratch, dw, c,
                                                                                          g.groups);
  return cudaPeekAtLastError();
}

}  // namespace dapt::cuda

namespace dapt::backend {

/// RMSNorm on the current CUDA context's stream. With T = float the signatures are those of
/// NormKernels<Cpu>; rstd and dw are fp32 in every mode (DESIGN §4).
template <>
struct NormKernels<Cuda> {
  /// y (N, C) = rmsnorm(x (N, C)) * w (C); rstd (N) = 1 / sqrt(mean(x^2) + eps). With `delta`
  /// non-null, h = x + delta is first written to `h_out` (N, C) in T and that stored h is
  /// normalised. h_out may alias x.
  template <class T>
  static void rms_norm_forward(const T* x, std::type_identity_t<const T*> delta, std::type_identity_t<T*> h_out,
                               const T* w, T* y, float* rstd, std::int64_t n, std::int64_t c, float eps) {
    static_assert(cuda::detail::kStorageType<T>, "NormKernels<Cuda>: T must be float or dapt::bf16");
    DAPT_CUDA_CHECK(cuda::rms_norm_forward<T>(x, delta, h_out, w, y, rstd, n, c, eps, cuda::current_stream()));
  }

  /// dx (N, C) written, or added when `accumulate`; dw (C, fp32) += sum over rows of dy * x * rstd
  /// when non-null (deterministic two-pass reduction through the context's scratch buffer).
  template <class T>
  static void rms_norm_backward(const T* dy, const T* x, const T* w, const float* rstd, T* dx, float* dw,
                                std::int64_t n, std::int64_t c, bool accumulate) {
    static_assert(cuda::detail::kStorageType<T>, "NormKernels<Cuda>: T must be float or dapt::bf16");
    cuda::Context& ctx = cuda::current();
    float* scratch = nullptr;
    if (dw && n > 0 && c > 0)
      scratch = static_cast<float*>(ctx.scratch(cuda::rms_norm_dw_scratch_floats(n, c) * sizeof(float)));
    DAPT_CUDA_CHECK(cuda::rms_norm_backward<T>(dy, x, w, rstd, dx, dw, scratch, n, c, accumulate, ctx.stream()));
  }
};

}  // namespace dapt::backend
