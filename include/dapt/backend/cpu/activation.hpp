/// @file activation.hpp
/// @brief CPU SwiGLU, the LLaMA MLP's gate: out = silu(gate) * up, and its backward, element-wise;
/// and counter-based dropout (the mask is a pure function of seed, stream and element index).
#pragma once

#include <cmath>
#include <cstdint>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/rng.hpp"
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

  /// out[i] (+)= keep(i) ? in[i] / (1 - p) : 0, keep(i) = uniform(i) >= p, where uniform(i) is word
  /// i % 4 of the Philox4x32-10 block (i / 4, stream) under key `seed`, taken to 24 bits (the
  /// layout of dapt::Rng, so a GPU kernel draws the same mask). The same (seed, stream) gives the
  /// same mask in forward and backward, on any thread count.
  static void dropout(const float* in, float* out, std::int64_t n, float p, std::uint64_t seed, std::uint64_t stream,
                      bool accumulate) {
    const float keep_scale = 1.0f / (1.0f - p);
    const Uint2 key{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
    constexpr std::int64_t kChunk = 4096;  // a multiple of 4: a chunk starts on a Philox block
    parallel_for(0, (n + kChunk - 1) / kChunk, [&](std::int64_t c) {
      const std::int64_t e = std::min(n, (c + 1) * kChunk);
      for (std::int64_t i = c * kChunk; i < e; i += 4) {
        const auto b = static_cast<std::uint64_t>(i / 4);
        const Uint4 r = Philox4x32{}(Uint4{static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32),
                                           static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
                                     key);
        for (int k = 0; k < 4 && i + k < e; ++k) {
          const float u = static_cast<float>(r[k] >> 8) * 0x1p-24f;
          const float v = u >= p ? in[i + k] * keep_scale : 0.0f;
          out[i + k] = accumulate ? out[i + k] + v : v;
        }
      }
    });
  }
};

}  // namespace dapt::backend
