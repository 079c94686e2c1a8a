/// @file pooling.hpp
/// @brief CPU sequence pooling for embedders: each row's hidden states (T, C) become one vector,
/// the mean over its real tokens, its last real token or its first one, optionally scaled to unit
/// L2 length, and the exact backward of both. One task per row; the work is a pass over (T, C),
/// negligible beside the trunk.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

/// How a row's token states become one vector. Values are stable (saved in files).
enum class PoolMode : std::uint32_t { kMean = 0, kLastToken = 1, kFirstToken = 2 };

/// Norms below this are treated as this (torch.nn.functional.normalize's eps).
inline constexpr float kPoolNormEps = 1e-12f;

template <>
struct PoolingKernels<Cpu> {
  /// h (N, T, C); mask (N, T): 1 real token, 0 padding (every row has a real token); out (N, C)
  /// written; norms (N) written: the pooled vector's L2 norm (before normalisation).
  static void forward(const float* h, const std::int32_t* mask, float* out, float* norms, std::int64_t N,
                      std::int64_t T, std::int64_t C, PoolMode mode, bool normalize) {
    parallel_for(0, N, [&](std::int64_t n) {
      const std::int32_t* m = mask + n * T;
      float* o = out + n * C;
      if (mode == PoolMode::kMean) {
        std::fill(o, o + C, 0.0f);
        std::int64_t count = 0;
        for (std::int64_t t = 0; t < T; ++t) {
          if (!m[t]) continue;
          const float* x = h + (n * T + t) * C;
          for (std::int64_t c = 0; c < C; ++c) o[c] += x[c];
          ++count;
        }
        const float inv = 1.0f / static_cast<float>(std::max<std::int64_t>(count, 1));
        for (std::int64_t c = 0; c < C; ++c) o[c] *= inv;
      } else {
        const std::int64_t t = pick(m, T, mode);
        std::copy(h + (n * T + t) * C, h + (n * T + t + 1) * C, o);
      }
      double ss = 0;
      for (std::int64_t c = 0; c < C; ++c) ss += static_cast<double>(o[c]) * o[c];
      norms[n] = static_cast<float>(std::sqrt(ss));
      if (normalize) {
        const float inv = 1.0f / std::max(norms[n], kPoolNormEps);
        for (std::int64_t c = 0; c < C; ++c) o[c] *= inv;
      }
    });
  }

  /// dout (N, C); out (N, C) and norms (N) as forward wrote them; dh (N, T, C) written (zero at
  /// the tokens the pooling did not read).
  static void backward(const float* dout, const float* out, const float* norms, const std::int32_t* mask, float* dh,
                       std::int64_t N, std::int64_t T, std::int64_t C, PoolMode mode, bool normalize) {
    parallel_for(0, N, [&](std::int64_t n) {
      const std::int32_t* m = mask + n * T;
      const float* g = dout + n * C;
      const float* y = out + n * C;
      float* d = dh + n * T * C;
      std::fill(d, d + T * C, 0.0f);
      // With y = p / |p|, the gradient of the pooled vector p is dp = (dy - y (y . dy)) / |p|;
      // the mean spreads dp / count over the real tokens, last/first put it on one token.
      double dot = 0;
      if (normalize)
        for (std::int64_t c = 0; c < C; ++c) dot += static_cast<double>(y[c]) * g[c];
      const float inv = normalize ? 1.0f / std::max(norms[n], kPoolNormEps) : 1.0f;
      const auto dotf = static_cast<float>(dot);
      auto write = [&](float* x, float scale) {
        for (std::int64_t c = 0; c < C; ++c) x[c] = scale * (normalize ? g[c] - dotf * y[c] : g[c]);
      };
      if (mode == PoolMode::kMean) {
        std::int64_t count = 0;
        for (std::int64_t t = 0; t < T; ++t) count += m[t] != 0;
        const float scale = inv / static_cast<float>(std::max<std::int64_t>(count, 1));
        for (std::int64_t t = 0; t < T; ++t)
          if (m[t]) write(d + t * C, scale);
      } else {
        write(d + pick(m, T, mode) * C, inv);
      }
    });
  }

  /// The token a last/first pooling reads: the last (first) t with mask 1; 0 if none.
  static std::int64_t pick(const std::int32_t* m, std::int64_t T, PoolMode mode) {
    if (mode == PoolMode::kLastToken) {
      for (std::int64_t t = T; t-- > 0;)
        if (m[t]) return t;
      return 0;
    }
    for (std::int64_t t = 0; t < T; ++t)
      if (m[t]) return t;
    return 0;
  }
};

}  // namespace dapt::backend
