/// @file norm.hpp
/// @brief CPU RMSNorm as LLaMA defines it (y = w * x / sqrt(mean(x^2) + eps), statistics in fp32),
/// with the residual add of the decoder block fused into the same pass, and its backward. Row
/// statistics are kept (one reciprocal RMS per row) so backward never recomputes the reduction.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

template <>
struct NormKernels<Cpu> {
  /// y (N, C) = rmsnorm(x (N, C)) * w (C); rstd (N) = 1 / sqrt(mean(x^2) + eps).
  /// With `delta` non-null, first h = x + delta is written to `h_out` (N, C) and normalised instead
  /// (the decoder block's residual add, fused).
  static void rms_norm_forward(const float* x, const float* delta, float* h_out, const float* w, float* y,
                               float* rstd, std::int64_t n, std::int64_t c, float eps) {
    parallel_for(0, n, [&](std::int64_t i) {
      const float* xi = x + i * c;
      if (delta) {
        float* hi = h_out + i * c;
        const float* di = delta + i * c;
        for (std::int64_t j = 0; j < c; ++j) hi[j] = xi[j] + di[j];
        xi = hi;
      }
      float ss = 0.0f;
      for (std::int64_t j = 0; j < c; ++j) ss += xi[j] * xi[j];
      const float r = 1.0f / std::sqrt(ss / static_cast<float>(c) + eps);
      rstd[i] = r;
      float* yi = y + i * c;
      for (std::int64_t j = 0; j < c; ++j) yi[j] = w[j] * (xi[j] * r);
    }, 8);
  }

  /// dx (N, C) = d rmsnorm / dx · dy, written, or added when `accumulate` (the residual branch's
  /// gradient is already in dx); dw (C) += sum over rows of dy * x * rstd when dw is non-null.
  static void rms_norm_backward(const float* dy, const float* x, const float* w, const float* rstd, float* dx,
                                float* dw, std::int64_t n, std::int64_t c, bool accumulate) {
    parallel_for(0, n, [&](std::int64_t i) {
      const float* dyi = dy + i * c;
      const float* xi = x + i * c;
      const float r = rstd[i];
      float dot = 0.0f;  // sum(dy * w * xhat)
      for (std::int64_t j = 0; j < c; ++j) dot += dyi[j] * w[j] * xi[j] * r;
      const float mean = dot / static_cast<float>(c);
      float* dxi = dx + i * c;
      if (accumulate) {
        for (std::int64_t j = 0; j < c; ++j) dxi[j] += r * (dyi[j] * w[j] - xi[j] * r * mean);
      } else {
        for (std::int64_t j = 0; j < c; ++j) dxi[j] = r * (dyi[j] * w[j] - xi[j] * r * mean);
      }
    }, 8);
    if (!dw) return;
    // Column blocks own disjoint parts of dw; rows are summed in order: thread-count independent.
    constexpr std::int64_t kBlock = 32;
    parallel_for(0, (c + kBlock - 1) / kBlock, [&](std::int64_t b) {
      const std::int64_t c0 = b * kBlock, c1 = std::min(c, c0 + kBlock);
      float acc[kBlock] = {};
      for (std::int64_t i = 0; i < n; ++i) {
        const float r = rstd[i];
        const float* dyi = dy + i * c;
        const float* xi = x + i * c;
        for (std::int64_t j = c0; j < c1; ++j) acc[j - c0] += dyi[j] * xi[j] * r;
      }
      for (std::int64_t j = c0; j < c1; ++j) dw[j] += acc[j - c0];
    });
  }
};

}  // namespace dapt::backend
