/// @file activation.hpp
/// @brief CPU SwiGLU, the LLaMA MLP's gate: out = silu(gate) * up, and its backward, element-wise.
#pragma once

#include <cmath>
#include <cstdint>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

template <>
struct ActivationKernels<Cpu> {
  /// out (n) = silu(gate) * up.
  static void swiglu_forward(const float* gate, const float* up, float* out, std::int64_t n) {
    constexpr std::int64_t kChunk = 4096;
    parallel_for(0, (n + kChunk - 1) / kChunk, [&](std::int64_t b) {
      const std::int64_t e = std::min(n, (b + 1) * kChunk);
      for (std::int64_t i = b * kChunk; i < e; ++i) {
        const float g = gate[i];
        out[i] = g / (1.0f + std::exp(-g)) * up[i];
      }
    });
  }

  /// dgate, dup (n) written from dout (n); dgate = dout * up * silu'(gate), dup = dout * silu(gate).
  static void swiglu_backward(const float* dout, const float* gate, const float* up, float* dgate, float* dup,
                              std::int64_t n) {
    constexpr std::int64_t kChunk = 4096;
    parallel_for(0, (n + kChunk - 1) / kChunk, [&](std::int64_t b) {
      const std::int64_t e = std::min(n, (b + 1) * kChunk);
      for (std::int64_t i = b * kChunk; i < e; ++i) {
        const float g = gate[i];
        const float s = 1.0f / (1.0f + std::exp(-g));
        const float silu = g * s;
        const float d = dout[i];
        dup[i] = d * silu;
        dgate[i] = d * up[i] * (s * (1.0f + g * (1.0f - s)));
      }
    });
  }
};

}  // namespace dapt::backend
