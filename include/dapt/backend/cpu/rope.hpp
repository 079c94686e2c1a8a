/// @file rope.hpp
/// @brief CPU rotary position embedding in the Hugging Face `rotate_half` layout: in each head
/// vector of size hd, element i pairs with element i + hd/2 and the pair is rotated by the angle
/// pos * inv_freq[i]. The angles come from precomputed cos/sin tables (ops::RopeTable), so the
/// kernel is a streaming multiply-add over the activations, in place. Backward is the rotation by
/// the opposite angle (the transpose of an orthogonal map), so both share one loop.
#pragma once

#include <cstdint>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

namespace detail::rope {

/// Throws kOutOfRange naming the first position outside [0, table_rows).
inline void check_positions(const std::int32_t* positions, std::int64_t n_tokens, std::int64_t table_rows) {
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    const std::int64_t p = positions[t];
    if (DAPT_UNLIKELY(p < 0 || p >= table_rows)) {
      DAPT_FAIL(ErrorCategory::kOutOfRange, "rope: position ", p, " (token ", t,
                " of the flattened (B, T) positions) is outside the RoPE table of ", table_rows,
                " positions; call RopeTable::ensure() with the largest position + 1 first");
    }
  }
}

/// Rotates x (N, H, hd) in place by +angle (`sign` = 1) or -angle (`sign` = -1).
inline void apply(float* x, const std::int32_t* positions, std::int64_t n_tokens, std::int64_t n_heads,
                  std::int64_t head_dim, const float* cos_table, const float* sin_table, std::int64_t table_rows,
                  float sign) {
  if (n_tokens == 0 || n_heads == 0 || head_dim == 0) return;
  check_positions(positions, n_tokens, table_rows);
  const std::int64_t half = head_dim / 2;
  parallel_for(0, n_tokens, [&](std::int64_t t) {
    const float* c = cos_table + static_cast<std::int64_t>(positions[t]) * half;  // (hd/2)
    const float* s0 = sin_table + static_cast<std::int64_t>(positions[t]) * half;  // (hd/2)
    float* row = x + t * n_heads * head_dim;                                        // (H, hd)
    for (std::int64_t h = 0; h < n_heads; ++h) {
      float* lo = row + h * head_dim;
      float* hi = lo + half;
      for (std::int64_t i = 0; i < half; ++i) {
        const float s = sign * s0[i];
        const float a = lo[i], b = hi[i];
        lo[i] = a * c[i] - b * s;
        hi[i] = b * c[i] + a * s;
      }
    }
  }, 16);
}

}  // namespace detail::rope

template <>
struct RopeKernels<Cpu> {
  /// x (N, H, hd) rotated in place by pos (N) * inv_freq; cos, sin: (table_rows, hd/2). A
  /// position outside [0, table_rows) throws kOutOfRange before anything is written.
  static void forward(float* x, const std::int32_t* positions, std::int64_t n_tokens, std::int64_t n_heads,
                      std::int64_t head_dim, const float* cos, const float* sin, std::int64_t table_rows) {
    detail::rope::apply(x, positions, n_tokens, n_heads, head_dim, cos, sin, table_rows, 1.0f);
  }

  /// dx (N, H, hd) rotated in place by the opposite angle: the gradient of forward.
  static void backward(float* dx, const std::int32_t* positions, std::int64_t n_tokens, std::int64_t n_heads,
                       std::int64_t head_dim, const float* cos, const float* sin, std::int64_t table_rows) {
    detail::rope::apply(dx, positions, n_tokens, n_heads, head_dim, cos, sin, table_rows, -1.0f);
  }
};

}  // namespace dapt::backend
