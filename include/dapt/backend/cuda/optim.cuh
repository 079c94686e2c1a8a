/// @file optim.cuh
/// @brief CUDA kernels of the optimizer family. The single-tensor AdamW update repeats the CPU
/// backend's float arithmetic operation by operation with round-to-nearest intrinsics (which nvcc
/// never fuses into multiply-adds), from the same host-computed factors, so a GPU step and a CPU
/// step agree bit for bit in fp32. Beyond the CPU members it offers what a GPU trainer needs to
/// step without waiting on the host: a multi-tensor AdamW that updates many fp32 master weights in
/// one launch per 36 tensors (the list travels as a kernel argument, so nothing is copied) and
/// writes their bf16 copies; a global gradient sum of squares written to device memory, in
/// double as on the CPU and deterministic (fixed per-block partials, reduced in order by one
/// block); and the clipping factor computed on the device with the trainer's formula, which the
/// update reads from device memory. A non-finite factor makes the update a no-op: the device-side
/// counterpart of the trainer skipping a step whose gradient norm is not finite.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/backend/multi_tensor.hpp"
#include "dapt/core/dtype.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::cuda {

// AdamwTensor, AdamwHyper and GradTensor are the host-visible argument types of
// backend/multi_tensor.hpp, shared with the CPU backend.
using backend::AdamwHyper;
using backend::AdamwTensor;
using backend::GradTensor;

namespace detail {

/// Tensors per launch of the multi-tensor kernels: the list is a kernel argument (about 2.5 KB
/// for AdamW), well under the 4 KB every toolkit accepts; longer lists take several launches.
inline constexpr int kMultiMaxTensors = 36;
/// Threads per block and elements per block of the AdamW kernel (32 elements per thread).
inline constexpr int kAdamwThreads = 256;
inline constexpr std::int64_t kAdamwChunk = 8192;
/// Threads per block and elements per block (one partial sum each) of the sum of squares.
inline constexpr int kSumSqThreads = 256;
inline constexpr std::int64_t kSumSqChunk = 16384;
/// Threads of the one block that adds the partial sums.
inline constexpr int kSumSqFinalThreads = 1024;
/// The most blocks one multi-tensor launch may hold (gridDim.x is below 2^31).
inline constexpr std::int64_t kMultiMaxBlocks = std::int64_t{1} << 30;

/// One AdamW tensor as the kernel sees it, with its float factors.
struct AdamwSlot {
  float* master;
  const float* grad;
  float* m;
  float* v;
  bf16* copy;
  std::int64_t n;
  float decay;     // 1 - lr * weight_decay
  float neg_step;  // -(lr / bias_correction1)
  float bc2_sqrt;  // sqrt(bias_correction2)
};

/// The factors shared by every tensor of a launch.
struct AdamwCommon {
  float coeff;       // lerp coefficient (see OptimKernels<Cpu>::adamw_update)
  float b2, c2;      // beta2, 1 - beta2
  float eps;
  float grad_scale;  // used when the kernel gets no device scale
};

/// Up to kMultiMaxTensors tensors; block b works on tensor s with block_start[s] <= b <
/// block_start[s + 1], elements [(b - block_start[s]) * kAdamwChunk, ... + kAdamwChunk).
struct AdamwBatch {
  AdamwSlot slot[kMultiMaxTensors];
  int block_start[kMultiMaxTensors + 1];
  int count;
};

struct SumSqBatch {
  const float* data[kMultiMaxTensors];
  std::int64_t n[kMultiMaxTensors];
  int block_start[kMultiMaxTensors + 1];
  int count;
};

// Kernel arguments stay within the 4 KB that every architecture and toolkit accepts.
static_assert(sizeof(AdamwBatch) + sizeof(AdamwCommon) + sizeof(const float*) <= 4096);
static_assert(sizeof(SumSqBatch) + sizeof(double*) + sizeof(std::int64_t) <= 4096);

/// The tensor of a multi-tensor launch that block `b` works on (a short linear search: at most
/// kMultiMaxTensors steps, every slot holding at least one block).
template <class Batch>
__device__ __forceinline__ int slot_of_block(const Batch& batch, int b) {
  int s = 0;
  while (s + 1 < batch.count && batch.block_start[s + 1] <= b) ++s;
  return s;
}

/// The host-side factors of one tensor, exactly as OptimKernels<Cpu>::adamw_update derives them:
/// in double, rounded to float once.
inline AdamwSlot make_adamw_slot(const AdamwTensor& t, double lr) {
  AdamwSlot s{};
  s.master = t.master;
  s.grad = t.grad;
  s.m = t.m;
  s.v = t.v;
  s.copy = t.copy;
  s.n = t.n;
  s.decay = static_cast<float>(1.0 - lr * t.weight_decay);
  s.neg_step = static_cast<float>(-(lr / t.bias_correction1));
  s.bc2_sqrt = static_cast<float>(std::sqrt(t.bias_correction2));
  return s;
}

/// The shared factors, and whether the lerp is computed from m (|1 - beta1| < 0.5) or from g.
inline AdamwCommon make_adamw_common(const AdamwHyper& h, bool& from_m) {
  const auto w1 = static_cast<float>(1.0 - h.beta1);
  from_m = std::abs(w1) < 0.5f;
  AdamwCommon c{};
  c.coeff = from_m ? w1 : -(1.0f - w1);
  c.b2 = static_cast<float>(h.beta2);
  c.c2 = static_cast<float>(1.0 - h.beta2);
  c.eps = static_cast<float>(h.eps);
  c.grad_scale = static_cast<float>(h.grad_scale);
  return c;
}

/// The AdamW update of one chunk per block. The float operations are those of the CPU scalar
/// loop, in the same order, each an explicit round-to-nearest intrinsic so that nvcc cannot
/// contract a multiply and an add into an FMA (that would change the last bit).
template <bool kFromM>
__global__ void __launch_bounds__(kAdamwThreads)
    adamw_multi_kernel(const __grid_constant__ AdamwBatch batch, const AdamwCommon c,
                       const float* __restrict__ device_scale) {
  float gs = c.grad_scale;
  if (device_scale != nullptr) {
    gs = *device_scale;
    if (!isfinite(gs)) return;  // non-finite gradient norm: the step is skipped (no barrier here)
  }
  const int b = static_cast<int>(blockIdx.x);
  const int s = slot_of_block(batch, b);
  const AdamwSlot t = batch.slot[s];
  const std::int64_t lo = static_cast<std::int64_t>(b - batch.block_start[s]) * kAdamwChunk;
  const std::int64_t hi = lo + kAdamwChunk < t.n ? lo + kAdamwChunk : t.n;
  for (std::int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
    const float g = __fmul_rn(t.grad[i], gs);  // exact when gs == 1, as the CPU's unscaled path
    const float m0 = t.m[i];
    const float p = __fmul_rn(t.master[i], t.decay);
    const float mi = __fadd_rn(kFromM ? m0 : g, __fmul_rn(c.coeff, __fsub_rn(g, m0)));
    const float vi = __fadd_rn(__fmul_rn(t.v[i], c.b2), __fmul_rn(__fmul_rn(c.c2, g), g));
    const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), t.bc2_sqrt), c.eps);
    const float pn = __fadd_rn(p, __fdiv_rn(__fmul_rn(t.neg_step, mi), denom));
    t.m[i] = mi;
    t.v[i] = vi;
    t.master[i] = pn;
    if (t.copy != nullptr) t.copy[i] = from_f32<bf16>(pn);
  }
}

/// One partial sum of squares (in double) per block: partials[partial_base + b]. (The kernels
/// of this file are templates, on their block size, so that every translation unit may include
/// the header.)
template <int kThreads>
__global__ void __launch_bounds__(kThreads)
    sum_squares_partial_kernel(const __grid_constant__ SumSqBatch batch, double* __restrict__ partials,
                               std::int64_t partial_base) {
  __shared__ double scratch[32];
  const int b = static_cast<int>(blockIdx.x);
  const int s = slot_of_block(batch, b);
  const float* __restrict__ x = batch.data[s];
  const std::int64_t n = batch.n[s];
  const std::int64_t lo = static_cast<std::int64_t>(b - batch.block_start[s]) * kSumSqChunk;
  const std::int64_t hi = lo + kSumSqChunk < n ? lo + kSumSqChunk : n;
  double acc = 0.0;
  for (std::int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
    const double a = x[i];
    acc += a * a;
  }
  acc = block_sum_f64_to_0(acc, scratch);
  if (threadIdx.x == 0) partials[partial_base + b] = acc;
}

/// out[0] = the sum of partials[0, count), in an order fixed by `count` alone.
template <int kThreads>
__global__ void __launch_bounds__(kThreads)
    sum_partials_kernel(const double* __restrict__ partials, std::int64_t count, double* __restrict__ out) {
  __shared__ double scratch[32];
  double acc = 0.0;
  for (std::int64_t i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
  acc = block_sum_f64_to_0(acc, scratch);
  if (threadIdx.x == 0) *out = acc;
}

/// The trainer's clipping factor (train::clip_coefficient, rounded to float as AdamW rounds its
/// grad_scale): min(1, max_norm / (sqrt(sum_sq) + 1e-6)); NaN when the norm, or the value at
/// `gate` (the step's loss sum, when given), is not finite.
template <int kThreads>
__global__ void clip_scale_kernel(const double* __restrict__ sum_sq, double max_norm, float* __restrict__ scale,
                                  double* __restrict__ norm_out, const double* __restrict__ gate) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  const double norm = __dsqrt_rn(*sum_sq);
  if (norm_out != nullptr) *norm_out = norm;
  if (!isfinite(norm) || (gate != nullptr && !isfinite(*gate))) {
    *scale = __int_as_float(0x7fc00000);  // quiet NaN: the update that reads it is skipped
    return;
  }
  const double coef = __ddiv_rn(max_norm, __dadd_rn(norm, 1e-6));
  *scale = __double2float_rn(coef < 1.0 ? coef : 1.0);
}

/// x[i] *= s (in fp32, rounded to T), with s from `device_s` when given (then a non-finite s
/// leaves x untouched).
template <int kThreads, class T>
__global__ void __launch_bounds__(kThreads) scale_kernel(T* __restrict__ x, std::int64_t n, float s, const float* __restrict__ device_s) {
  if (device_s != nullptr) {
    s = *device_s;
    if (!isfinite(s)) return;
  }
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    x[i] = from_f32<T>(__fmul_rn(to_f32(x[i]), s));
}

/// Blocks of `n` elements at `chunk` elements per block (0 for an empty tensor).
inline std::int64_t blocks_of(std::int64_t n, std::int64_t chunk) { return n <= 0 ? 0 : (n + chunk - 1) / chunk; }

}  // namespace detail

/// One AdamW step over `count` tensors (see AdamwTensor), in ceil(nonempty / 36) launches. The
/// gradient scale is `*device_grad_scale` when that is not null (a non-finite value skips every
/// update of the call, leaving masters, moments and copies untouched), else `h.grad_scale`.
/// Each element gets exactly the float arithmetic of OptimKernels<Cpu>::adamw_update with that
/// tensor's weight decay and bias corrections. Tensors must not overlap. Returns
/// cudaErrorInvalidValue for a negative size or a single tensor too large for one grid.
inline cudaError_t adamw_multi(const AdamwTensor* tensors, std::size_t count, const AdamwHyper& h,
                               const float* device_grad_scale, cudaStream_t stream) {
  bool from_m = true;
  const detail::AdamwCommon common = detail::make_adamw_common(h, from_m);
  detail::AdamwBatch batch{};
  std::int64_t blocks = 0;
  const auto flush = [&]() -> cudaError_t {
    if (batch.count == 0) return cudaSuccess;
    batch.block_start[batch.count] = static_cast<int>(blocks);
    const dim3 grid(static_cast<unsigned>(blocks));
    if (from_m)
      detail::adamw_multi_kernel<true><<<grid, detail::kAdamwThreads, 0, stream>>>(batch, common, device_grad_scale);
    else
      detail::adamw_multi_kernel<false><<<grid, detail::kAdamwThreads, 0, stream>>>(batch, common, device_grad_scale);
    batch.count = 0;
    blocks = 0;
    return cudaPeekAtLastError();
  };
  for (std::size_t i = 0; i < count; ++i) {
    const AdamwTensor& t = tensors[i];
    if (t.n < 0) return cudaErrorInvalidValue;
    const std::int64_t nb = detail::blocks_of(t.n, detail::kAdamwChunk);
    if (nb == 0) continue;
    if (nb > detail::kMultiMaxBlocks) return cudaErrorInvalidValue;
    if (batch.count == detail::kMultiMaxTensors || blocks + nb > detail::kMultiMaxBlocks) {
      if (const cudaError_t e = flush(); e != cudaSuccess) return e;
    }
    batch.slot[batch.count] = detail::make_adamw_slot(t, h.lr);
    batch.block_start[batch.count] = static_cast<int>(blocks);
    ++batch.count;
    blocks += nb;
  }
  return flush();
}

/// The number of partial sums (doubles of workspace) that sum_squares_multi needs for a list.
inline std::int64_t sum_squares_partials(const GradTensor* tensors, std::size_t count) {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < count; ++i) total += detail::blocks_of(tensors[i].n, detail::kSumSqChunk);
  return total;
}

/// *device_out = sum over the tensors of sum x^2, accumulated in double. `partials` holds
/// sum_squares_partials(tensors, count) doubles of device workspace. The result depends only on
/// the list's sizes and values (fixed blocks, fixed reduction order), never on the device. An
/// empty list (or all-empty tensors) writes 0.
inline cudaError_t sum_squares_multi(const GradTensor* tensors, std::size_t count, double* partials, double* device_out,
                                     cudaStream_t stream) {
  detail::SumSqBatch batch{};
  std::int64_t blocks = 0, base = 0;
  const auto flush = [&]() -> cudaError_t {
    if (batch.count == 0) return cudaSuccess;
    batch.block_start[batch.count] = static_cast<int>(blocks);
    detail::sum_squares_partial_kernel<detail::kSumSqThreads><<<static_cast<unsigned>(blocks), detail::kSumSqThreads, 0, stream>>>(
        batch, partials, base);
    base += blocks;
    batch.count = 0;
    blocks = 0;
    return cudaPeekAtLastError();
  };
  for (std::size_t i = 0; i < count; ++i) {
    const GradTensor& t = tensors[i];
    if (t.n < 0) return cudaErrorInvalidValue;
    const std::int64_t nb = detail::blocks_of(t.n, detail::kSumSqChunk);
    if (nb == 0) continue;
    if (nb > detail::kMultiMaxBlocks) return cudaErrorInvalidValue;
    if (batch.count == detail::kMultiMaxTensors || blocks + nb > detail::kMultiMaxBlocks) {
      if (const cudaError_t e = flush(); e != cudaSuccess) return e;
    }
    batch.data[batch.count] = t.data;
    batch.n[batch.count] = t.n;
    batch.block_start[batch.count] = static_cast<int>(blocks);
    ++batch.count;
    blocks += nb;
  }
  if (const cudaError_t e = flush(); e != cudaSuccess) return e;
  detail::sum_partials_kernel<detail::kSumSqFinalThreads><<<1, detail::kSumSqFinalThreads, 0, stream>>>(partials, base, device_out);
  return cudaPeekAtLastError();
}

/// *device_scale = min(1, max_norm / (sqrt(*device_sum_sq) + 1e-6)) rounded to float, or NaN
/// when the norm or *device_gate (nullable: the loss sum) is not finite; *device_norm (nullable) =
/// the norm. max_norm = +Inf gives 1.
inline cudaError_t clip_scale(const double* device_sum_sq, double max_norm, float* device_scale, double* device_norm,
                              cudaStream_t stream, const double* device_gate = nullptr) {
  detail::clip_scale_kernel<32><<<1, 32, 0, stream>>>(device_sum_sq, max_norm, device_scale, device_norm, device_gate);
  return cudaPeekAtLastError();
}

/// x[i] *= s over `n` elements; with `device_s` not null the factor is *device_s instead, and a
/// non-finite one leaves x untouched (as clip_grad_norm leaves gradients alone for a NaN norm).
/// T is float (gradients) or bf16 (an activation, e.g. a LoRA adapter's scaled product).
template <class T>
cudaError_t scale(T* x, std::int64_t n, float s, const float* device_s, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const unsigned blocks = std::min<unsigned>(detail::grid_for(n, kThreads * 8), 65535u * 16u);
  detail::scale_kernel<kThreads, T><<<blocks, kThreads, 0, stream>>>(x, n, s, device_s);
  return cudaPeekAtLastError();
}

}  // namespace dapt::cuda

namespace dapt::backend {

/// The optimizer family on the GPU. Every buffer is fp32 (master weights, gradients, moments),
/// except the bf16 weight copies that adamw_multi may write.
template <>
struct OptimKernels<Cuda> {
  /// The CPU signature: one AdamW step on `n` elements in place (see OptimKernels<Cpu>); the
  /// result equals the CPU's bit for bit.
  static void adamw_update(float* param,       // (n,) fp32 master weights
                           const float* grad,  // (n,)
                           float* m,           // (n,)
                           float* v,           // (n,)
                           std::int64_t n, double lr, double beta1, double beta2, double eps, double weight_decay,
                           double bias_correction1, double bias_correction2, double grad_scale) {
    DAPT_CHECK(n >= 0, "OptimKernels<Cuda>::adamw_update: negative size ", n);
    if (n == 0) return;
    cuda::AdamwTensor t;
    t.master = param;
    t.grad = grad;
    t.m = m;
    t.v = v;
    t.n = n;
    t.weight_decay = weight_decay;
    t.bias_correction1 = bias_correction1;
    t.bias_correction2 = bias_correction2;
    cuda::AdamwHyper h;
    h.lr = lr;
    h.beta1 = beta1;
    h.beta2 = beta2;
    h.eps = eps;
    h.grad_scale = grad_scale;
    DAPT_CUDA_CHECK(cuda::adamw_multi(&t, 1, h, nullptr, cuda::current_stream()));
  }

  /// The CPU signature: sum of x^2 in double, returned to the host. It waits for the stream (the
  /// value is needed on the host); sum_squares_device keeps it on the device.
  static double sum_squares(const float* x, std::int64_t n) {  // x: (n,)
    DAPT_CHECK(n >= 0, "OptimKernels<Cuda>::sum_squares: negative size ", n);
    if (n == 0) return 0.0;
    const cuda::GradTensor t{x, n};
    cuda::Context& ctx = cuda::current();
    const std::int64_t parts = cuda::sum_squares_partials(&t, 1);
    auto* buf = static_cast<double*>(ctx.scratch(static_cast<std::size_t>(parts + 1) * sizeof(double)));
    DAPT_CUDA_CHECK(cuda::sum_squares_multi(&t, 1, buf + 1, buf, ctx.stream()));
    double out = 0.0;
    DAPT_CUDA_CHECK(cudaMemcpyAsync(&out, buf, sizeof(double), cudaMemcpyDeviceToHost, ctx.stream()));
    DAPT_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
    return out;
  }

  /// *device_out = sum of x^2 in double, without waiting.
  static void sum_squares_device(const float* x,      // (n,)
                                 std::int64_t n,
                                 double* device_out) {  // (1,) device
    const cuda::GradTensor t{x, n};
    grad_norm_squared_multi(std::span<const cuda::GradTensor>(&t, 1), device_out);
  }

  /// The CPU signature: x *= s in place; T is float or bf16 (storage).
  template <class T>
  static void scale(T* x, std::int64_t n, float s) {  // x: (n,)
    static_assert(cuda::detail::kStorageType<T>);
    DAPT_CHECK(n >= 0, "OptimKernels<Cuda>::scale: negative size ", n);
    DAPT_CUDA_CHECK(cuda::scale(x, n, s, nullptr, cuda::current_stream()));
  }

  /// x *= *device_s in place; a non-finite *device_s leaves x untouched.
  static void scale_device(float* x,  // (n,)
                           std::int64_t n,
                           const float* device_s) {  // (1,) device
    DAPT_CHECK(n >= 0, "OptimKernels<Cuda>::scale_device: negative size ", n);
    DAPT_CHECK(device_s != nullptr, "OptimKernels<Cuda>::scale_device: the scale pointer is null");
    DAPT_CUDA_CHECK(cuda::scale(x, n, 1.0f, device_s, cuda::current_stream()));
  }

  /// One AdamW step over many tensors (fp32 masters, optional bf16 copies written from the new
  /// masters), in one launch per 36 non-empty tensors. The gradient scale is *device_grad_scale
  /// when not null (a non-finite value skips the whole step; see clip_scale), else h.grad_scale.
  /// Note that a skipped step is invisible to the host: a caller that counts per-tensor steps
  /// (bias corrections) must learn of the skip from the norm before its next step.
  static void adamw_multi(std::span<const cuda::AdamwTensor> tensors, const cuda::AdamwHyper& h,
                          const float* device_grad_scale = nullptr) {
    DAPT_CHECK(device_grad_scale != nullptr || (std::isfinite(h.grad_scale) && h.grad_scale >= 0.0),
               "OptimKernels<Cuda>::adamw_multi: grad_scale must be finite and >= 0, got ", h.grad_scale);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const cuda::AdamwTensor& t = tensors[i];
      DAPT_CHECK(t.n >= 0, "OptimKernels<Cuda>::adamw_multi: tensor ", i, " has negative size ", t.n);
      DAPT_CHECK(t.n == 0 || (t.master && t.grad && t.m && t.v), "OptimKernels<Cuda>::adamw_multi: tensor ", i,
                 " has a null master, gradient or moment pointer");
      DAPT_CHECK(t.bias_correction1 > 0.0 && t.bias_correction2 > 0.0, "OptimKernels<Cuda>::adamw_multi: tensor ", i,
                 " has bias corrections ", t.bias_correction1, " and ", t.bias_correction2, "; they must be positive");
    }
    DAPT_CUDA_CHECK(cuda::adamw_multi(tensors.data(), tensors.size(), h, device_grad_scale, cuda::current_stream()));
  }

  /// *device_sum_sq = the sum of squares of every listed gradient, in double (the square of the
  /// global gradient norm), deterministic, without waiting. Uses the context's scratch.
  static void grad_norm_squared_multi(std::span<const cuda::GradTensor> tensors,
                                      double* device_sum_sq) {  // (1,) device
    DAPT_CHECK(device_sum_sq != nullptr, "OptimKernels<Cuda>::grad_norm_squared_multi: the output pointer is null");
    for (std::size_t i = 0; i < tensors.size(); ++i)
      DAPT_CHECK(tensors[i].n >= 0 && (tensors[i].n == 0 || tensors[i].data),
                 "OptimKernels<Cuda>::grad_norm_squared_multi: tensor ", i, " has size ", tensors[i].n,
                 " and data ", static_cast<const void*>(tensors[i].data));
    cuda::Context& ctx = cuda::current();
    const std::int64_t parts = cuda::sum_squares_partials(tensors.data(), tensors.size());
    auto* partials = static_cast<double*>(ctx.scratch(static_cast<std::size_t>(parts > 0 ? parts : 1) * sizeof(double)));
    DAPT_CUDA_CHECK(cuda::sum_squares_multi(tensors.data(), tensors.size(), partials, device_sum_sq, ctx.stream()));
  }

  /// *device_scale = train::clip_coefficient(sqrt(*device_sum_sq), max_norm) rounded to float (the
  /// factor AdamW::step applies), or NaN for a non-finite norm or a non-finite *device_gate (the
  /// step's loss sum: a NaN loss skips the update too); *device_norm (nullable) = the norm.
  /// `max_norm` must be positive (+Inf never clips), as for clip_coefficient.
  static void clip_scale(const double* device_sum_sq,  // (1,) device
                         double max_norm,
                         float* device_scale,              // (1,) device
                         double* device_norm = nullptr,    // (1,) device, nullable
                         const double* device_gate = nullptr) {  // (1,) device, nullable
    DAPT_CHECK(max_norm > 0.0, "clip_scale: max_norm must be positive, got ", max_norm);
    DAPT_CUDA_CHECK(cuda::clip_scale(device_sum_sq, max_norm, device_scale, device_norm, cuda::current_stream(),
                                     device_gate));
  }
};

}  // namespace dapt::backend
