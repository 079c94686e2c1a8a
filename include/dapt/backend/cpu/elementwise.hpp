/// @file elementwise.hpp
/// @brief CPU element-wise arithmetic of the decoder's residual stream: out = a + b, and a copy
/// (which is also the conversion between storage types: the CPU stores F32 only).
/// Chunks of 8192 elements per parallel task, so a single activation spreads over every core.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

template <>
struct ElementwiseKernels<Cpu> {
  /// out (n) = a (n) + b (n); out may alias a or b.
  static void add(const float* a, const float* b, float* out, std::int64_t n) {
    constexpr std::int64_t kChunk = 8192;
    parallel_for(0, (n + kChunk - 1) / kChunk, [&](std::int64_t c) {
      const std::int64_t e = std::min(n, (c + 1) * kChunk);
      for (std::int64_t i = c * kChunk; i < e; ++i) out[i] = a[i] + b[i];
    });
  }
  /// dst (n) = src (n).
  static void copy(const float* src, float* dst, std::int64_t n) {
    if (n > 0) std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
  }
  /// The conversion between storage types: F32 is the CPU's only one, so a copy.
  static void convert(const float* src, float* dst, std::int64_t n) { copy(src, dst, n); }
};

}  // namespace dapt::backend
