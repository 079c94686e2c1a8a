/// @file loss.cuh
/// @brief CUDA softmax cross-entropy with the signature of backend/cpu/loss.hpp on the storage
/// type T (float or bf16): per-row losses in fp32 and, for training, the logits overwritten in
/// place by grad_scale * (softmax - onehot), so no probability matrix is ever allocated. A row is
/// one block that sweeps the vocabulary in chunks of blockDim elements, carrying an online
/// (max, sum of exp) pair in fp32, so a 128k vocabulary costs one read for the loss and one more
/// read and a write for the gradient, and logits of any magnitude never overflow exp.
///
/// Ignored rows (negative target) get loss 0 and a zero gradient, as on the CPU. A target >= V,
/// which the CPU rejects with kOutOfRange before computing anything, cannot be seen on the host
/// without synchronising: here its row gets a NaN loss (and a NaN gradient), so the bad batch
/// shows up as a NaN loss.
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

/// Threads per row of the cross-entropy kernel: the vocabulary rounded up to a warp, at most 512.
inline unsigned loss_row_threads(std::int64_t v) {
  return static_cast<unsigned>(std::clamp<std::int64_t>((v + 31) / 32 * 32, 32, 512));
}

/// Adds logit x to the running (max m, sum s of exp(. - m)). A -inf logit adds nothing (and never
/// forms -inf - -inf); a NaN logit makes s NaN, as on the CPU.
__device__ __forceinline__ void lse_add(float& m, float& s, float x) {
  if (x > m) {
    s = s * expf(m - x) + 1.0f;  // m = -inf: expf(-inf) = 0
    m = x;
  } else if (x != -INFINITY) {
    s += expf(x - m);
  }
}

/// Merges (m2, s2) into (m, s). A side with max -inf holds no finite logit: its sum is 0 (or NaN,
/// which is kept).
__device__ __forceinline__ void lse_merge(float& m, float& s, float m2, float s2) {
  if (m2 == -INFINITY) {
    s += s2;
  } else if (m == -INFINITY) {
    s += s2;
    m = m2;
  } else {
    const float mm = fmaxf(m, m2);
    s = s * expf(m - mm) + s2 * expf(m2 - mm);
    m = mm;
  }
}

/// Reduces (m, s) over the block (blockDim.x a multiple of 32, at most 1024); every thread gets
/// the value of thread 0, broadcast through shared memory, so all threads agree bit for bit.
/// Call from uniform control flow: it synchronises the block.
__device__ __forceinline__ void block_lse(float& m, float& s, float* red_m, float* red_s) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int o = 16; o > 0; o >>= 1) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, o);
    const float s2 = __shfl_xor_sync(0xffffffffu, s, o);
    lse_merge(m, s, m2, s2);
  }
  if (lane == 0) {
    red_m[warp] = m;
    red_s[warp] = s;
  }
  __syncthreads();
  if (warp == 0) {
    m = lane < warps ? red_m[lane] : -INFINITY;
    s = lane < warps ? red_s[lane] : 0.0f;
    for (int o = 16; o > 0; o >>= 1) {
      const float m2 = __shfl_xor_sync(0xffffffffu, m, o);
      const float s2 = __shfl_xor_sync(0xffffffffu, s, o);
      lse_merge(m, s, m2, s2);
    }
  }
  __syncthreads();  // every warp has read its slot before thread 0 overwrites slot 0
  if (threadIdx.x == 0) {
    red_m[0] = m;
    red_s[0] = s;
  }
  __syncthreads();
  m = red_m[0];
  s = red_s[0];
}

/// One block per row: loss = logsumexp(row) - row[t]; with write_grad, row = grad_scale *
/// (softmax(row) - onehot(t)) in T. Each thread rewrites only the elements it read itself, after
/// the block reduction, and thread 0 reads row[t] before it, so the in-place update is race free.
template <class T>
__global__ void cross_entropy_kernel(T* logits,                    // (N, V)
                                     const std::int32_t* targets,  // (N)
                                     float* losses,                // (N)
                                     std::int64_t v, float grad_scale, bool write_grad) {
  __shared__ float red_m[32], red_s[32];
  const std::int64_t i = blockIdx.x;
  T* row = logits + i * v;
  const std::int32_t t = targets[i];  // the same for the whole block: the branches below are uniform
  if (t < 0) {
    if (threadIdx.x == 0) losses[i] = 0.0f;
    if (write_grad)
      for (std::int64_t j = threadIdx.x; j < v; j += blockDim.x) row[j] = from_f32<T>(0.0f);
    return;
  }
  const bool bad = t >= v;
  const float nan = __int_as_float(0x7fffffff);
  float target_logit = 0.0f;
  if (threadIdx.x == 0 && !bad) target_logit = to_f32(row[t]);
  float m = -INFINITY, s = 0.0f;
  for (std::int64_t j = threadIdx.x; j < v; j += blockDim.x) lse_add(m, s, to_f32(row[j]));
  block_lse(m, s, red_m, red_s);
  if (threadIdx.x == 0) losses[i] = bad ? nan : m + logf(s) - target_logit;
  if (!write_grad) return;
  const float inv = grad_scale / s;
  for (std::int64_t j = threadIdx.x; j < v; j += blockDim.x) {
    float g = bad ? nan : expf(to_f32(row[j]) - m) * inv;
    if (j == t) g -= grad_scale;
    row[j] = from_f32<T>(g);
  }
}

/// *acc += the sum of x[0, n) in double, by one block in a fixed order (deterministic). A
/// template on the block size so that every translation unit may include the header.
template <int kThreads>
__global__ void __launch_bounds__(kThreads) accumulate_sum_kernel(const float* __restrict__ x, std::int64_t n,
                                                                  double* __restrict__ acc) {
  __shared__ double scratch[32];
  double v = 0.0;
  for (std::int64_t i = threadIdx.x; i < n; i += kThreads) v += static_cast<double>(x[i]);
  v = block_sum_f64_to_0(v, scratch);
  if (threadIdx.x == 0) *acc += v;
}

}  // namespace detail

/// Launches the cross-entropy of logits (N, V) against targets (N) (see
/// LossKernels<Cuda>::cross_entropy); all pointers are device pointers.
template <class T>
cudaError_t cross_entropy(T* logits,                    // (N, V)
                          const std::int32_t* targets,  // (N)
                          float* losses,                // (N)
                          std::int64_t n, std::int64_t v, float grad_scale, bool write_grad, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>, "cross_entropy: T must be float or dapt::bf16");
  if (n <= 0) return cudaPeekAtLastError();
  if (n > 0x7fffffff) return cudaErrorInvalidValue;  // one block per row
  detail::cross_entropy_kernel<T>
      <<<static_cast<unsigned>(n), detail::loss_row_threads(v), 0, stream>>>(logits, targets, losses, v, grad_scale,
                                                                            write_grad);
  return cudaPeekAtLastError();
}

/// *device_acc += sum of the n floats at x (device pointers), in double, without waiting.
inline cudaError_t accumulate_sum(const float* x, std::int64_t n, double* device_acc, cudaStream_t stream) {
  detail::accumulate_sum_kernel<1024><<<1, 1024, 0, stream>>>(x, n < 0 ? 0 : n, device_acc);
  return cudaPeekAtLastError();
}

}  // namespace dapt::cuda

namespace dapt::backend {

/// Cross-entropy on the current CUDA context's stream. With T = float the signature is that of
/// LossKernels<Cpu>; losses are fp32 in every mode, the gradient is written in T.
template <>
struct LossKernels<Cuda> {
  /// For each row i of logits (N, V) with target t = targets[i] >= 0: losses[i] = logsumexp(row)
  /// - row[t]; rows with a negative target get loss 0. With `write_grad` the row is overwritten
  /// with grad_scale * (softmax(row) - onehot(t)) (zeros for ignored rows). A target >= V gives
  /// that row a NaN loss and gradient (the CPU throws kOutOfRange; see the file comment).
  template <class T>
  static void cross_entropy(T* logits, const std::int32_t* targets, float* losses, std::int64_t n, std::int64_t v,
                            float grad_scale, bool write_grad) {
    static_assert(cuda::detail::kStorageType<T>, "LossKernels<Cuda>: T must be float or dapt::bf16");
    DAPT_CUDA_CHECK(cuda::cross_entropy<T>(logits, targets, losses, n, v, grad_scale, write_grad,
                                           cuda::current_stream()));
  }

  /// *acc (device memory) += the sum of the n per-token losses at `losses`, in double, on the
  /// stream: the loss of a step is summed without a host synchronisation.
  static void accumulate_sum(const float* losses, std::int64_t n, double* acc) {
    DAPT_CUDA_CHECK(cuda::accumulate_sum(losses, n, acc, cuda::current_stream()));
  }
};

}  // namespace dapt::backend
