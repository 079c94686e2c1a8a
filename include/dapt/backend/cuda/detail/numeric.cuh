/// @file numeric.cuh
/// @brief Device helpers shared by the CUDA kernels: loading and storing the storage types
/// (float, dapt::bf16) as fp32, warp and block sums and maxima in fp32, and grid sizing. Kernels
/// template on the storage type `T` and always compute in fp32 (DESIGN §4).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "dapt/core/dtype.hpp"

namespace dapt::cuda::detail {

/// The storage types the kernels accept for activations and weight copies.
template <class T>
inline constexpr bool kStorageType = std::is_same_v<T, float> || std::is_same_v<T, bf16>;

__device__ __forceinline__ float to_f32(float x) { return x; }
__device__ __forceinline__ float to_f32(bf16 x) { return __uint_as_float(static_cast<unsigned>(x.bits) << 16); }

/// fp32 -> T, rounding to nearest even (the hardware conversion; equal to bf16::from_float).
template <class T>
__device__ __forceinline__ T from_f32(float x) {
  if constexpr (std::is_same_v<T, float>) {
    return x;
  } else {
    const __nv_bfloat16 h = __float2bfloat16_rn(x);
    return bf16::from_bits(__bfloat16_as_ushort(h));
  }
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
/// `scratch` holds 32 floats of shared memory; the call synchronises the block twice.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  v = warp_sum(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : 0.0f;
  return warp_sum(v);
}
/// Maximum over the block, as block_sum.
__device__ __forceinline__ float block_max(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : -INFINITY;
  return warp_max(v);
}

__device__ __forceinline__ double warp_sum_f64(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

/// Sum over the block in a fixed tree (deterministic); the result is valid in thread 0 only.
/// `scratch` holds 32 doubles of shared memory. blockDim.x is a multiple of 32.
__device__ __forceinline__ double block_sum_f64_to_0(double v, double* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum_f64(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < warps ? scratch[lane] : 0.0;
    v = warp_sum_f64(v);
  }
  return v;
}

/// Blocks needed for `n` items at `per_block` items per block (at least 1, capped at 2^31 - 1).
inline unsigned grid_for(std::int64_t n, std::int64_t per_block) {
  const std::int64_t g = (std::max<std::int64_t>(n, 1) + per_block - 1) / per_block;
  return static_cast<unsigned>(std::min<std::int64_t>(g, 0x7fffffff));
}

}  // namespace dapt::cuda::detail
