/// @file optim.hpp
/// @brief CPU kernels of the optimizer family: the fused AdamW update, the sum of squares behind
/// gradient norms, and an in-place scale for clipping. The AdamW update follows the arithmetic of
/// torch's `_single_tensor_adamw` on float32 tensors operation by operation (scalar factors
/// computed in double and rounded to float once, per-element math in float), so a step here and a
/// step there differ by rounding only. The sum of squares splits the range into blocks that depend
/// only on its length, never on the thread count, and adds the block sums in order, so a gradient
/// norm is bitwise reproducible on any number of threads.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dapt/backend/kernels.hpp"
#include "dapt/backend/multi_tensor.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

template <>
struct OptimKernels<Cpu> {
  /// Elements per parallel chunk of the elementwise kernels: large enough to amortise a thread's
  /// start, small enough to spread a single 4096 x 4096 weight over every core.
  static constexpr std::int64_t kChunk = 1 << 15;
  /// The most blocks a sum of squares is split into; their partial sums live on the stack.
  static constexpr std::int64_t kMaxBlocks = 256;
  /// The fewest elements of one block of a sum of squares.
  static constexpr std::int64_t kMinBlock = 1 << 14;

  /// One AdamW step on `n` elements, in place on param, m and v:
  ///   g      = grad * grad_scale
  ///   param *= 1 - lr * weight_decay                        (decoupled decay, before the update)
  ///   m      = lerp(m, g, 1 - beta1)                        (= beta1 m + (1 - beta1) g)
  ///   v      = beta2 v + (1 - beta2) g g
  ///   param -= lr / bias_correction1 * m / (sqrt(v) / sqrt(bias_correction2) + eps)
  /// `bias_correction1` = 1 - beta1^t and `bias_correction2` = 1 - beta2^t for the parameter's
  /// step t (from 1). `grad_scale` applies a clipping coefficient without touching `grad`.
  /// `lerp` is computed from the nearer end, as ATen's scalar `lerp` does (its vectorised path
  /// fuses the multiply-add, so the two may differ in the last bit).
  ///
  /// The hyper-parameters are doubles, as Python floats are: each factor (1 - lr wd, 1 - beta1,
  /// 1 - beta2, lr / bias_correction1, sqrt(bias_correction2)) is computed in double and rounded
  /// once to float, as ATen does when a Python float meets a float32 tensor. Rounding beta2 to
  /// float first would make 1 - beta2 wrong by 1.3e-5 relative for beta2 = 0.999.
  static void adamw_update(float* param, const float* grad, float* m, float* v, std::int64_t n, double lr,
                           double beta1, double beta2, double eps, double weight_decay, double bias_correction1,
                           double bias_correction2, double grad_scale) {
    const auto decay = static_cast<float>(1.0 - lr * weight_decay);
    const auto w1 = static_cast<float>(1.0 - beta1);
    const auto b2 = static_cast<float>(beta2);
    const auto c2 = static_cast<float>(1.0 - beta2);
    const auto neg_step = static_cast<float>(-(lr / bias_correction1));
    const auto bc2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
    const auto eps_f = static_cast<float>(eps);
    const auto gs = static_cast<float>(grad_scale);
    // ATen's lerp(a, b, w) is a + w (b - a) for |w| < 0.5, else b - (b - a) (1 - w); both are
    // base + coeff * (g - m) with the base and coefficient below (negation is exact).
    const bool from_m = std::abs(w1) < 0.5f;
    const float coeff = from_m ? w1 : -(1.0f - w1);
    const AdamWFactors f{decay, coeff, b2, c2, neg_step, bc2_sqrt, eps_f, gs};
    const std::int64_t chunks = (n + kChunk - 1) / kChunk;
    parallel_for(0, chunks, [&](std::int64_t c) {
      const std::int64_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
      if (from_m) {
        gs == 1.0f ? adamw_chunk<true, false>(param, grad, m, v, lo, hi, f)
                   : adamw_chunk<true, true>(param, grad, m, v, lo, hi, f);
      } else {
        gs == 1.0f ? adamw_chunk<false, false>(param, grad, m, v, lo, hi, f)
                   : adamw_chunk<false, true>(param, grad, m, v, lo, hi, f);
      }
    });
  }

  /// Sum of x[i]^2 over `n` elements, accumulated in double.
  ///
  /// The blocks depend only on `n` (at most kMaxBlocks of at least kMinBlock elements), each block
  /// is summed in a fixed order and the block sums are added in order: the result is the same for
  /// every thread count.
  static double sum_squares(const float* x, std::int64_t n) {
    if (n <= 0) return 0.0;
    const std::int64_t block = std::max(kMinBlock, (n + kMaxBlocks - 1) / kMaxBlocks);
    const std::int64_t blocks = (n + block - 1) / block;
    std::array<double, kMaxBlocks> partial{};
    parallel_for(0, blocks, [&](std::int64_t b) {
      const std::int64_t lo = b * block, hi = std::min(n, lo + block);
      // Four independent lanes shorten the dependency chain; their order is still fixed.
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      std::int64_t i = lo;
      for (; i + 4 <= hi; i += 4) {
        const double a0 = x[i], a1 = x[i + 1], a2 = x[i + 2], a3 = x[i + 3];
        s0 += a0 * a0;
        s1 += a1 * a1;
        s2 += a2 * a2;
        s3 += a3 * a3;
      }
      for (; i < hi; ++i) {
        const double a = x[i];
        s0 += a * a;
      }
      partial[static_cast<std::size_t>(b)] = (s0 + s1) + (s2 + s3);
    });
    double total = 0.0;
    for (std::int64_t b = 0; b < blocks; ++b) total += partial[static_cast<std::size_t>(b)];
    return total;
  }

  /// The per-element factors of one AdamW update, each already rounded to float.
  struct AdamWFactors {
    float decay, coeff, b2, c2, neg_step, bc2_sqrt, eps, grad_scale;
  };

  /// Elements [lo, hi) of one AdamW update; the branches are template parameters so the loop
  /// body is straight-line code.
  template <bool kFromM, bool kScaled>
  static void adamw_chunk(float* param, const float* grad, float* m, float* v, std::int64_t lo, std::int64_t hi,
                          const AdamWFactors& f) {
    std::int64_t i = lo;
#if defined(__SSE2__)
    // The same operations in the same order, four lanes at a time: IEEE sqrt, division, multiplies
    // and adds round exactly as in the scalar loop, so the two agree bit for bit (unless the
    // compiler is allowed to fuse multiply-adds, e.g. -march=native with -ffp-contract=fast). The
    // scalar loop alone does not vectorise, because std::sqrt may set errno.
    const __m128 decay = _mm_set1_ps(f.decay), coeff = _mm_set1_ps(f.coeff), b2 = _mm_set1_ps(f.b2),
                 c2 = _mm_set1_ps(f.c2), neg_step = _mm_set1_ps(f.neg_step), bc2_sqrt = _mm_set1_ps(f.bc2_sqrt),
                 eps = _mm_set1_ps(f.eps), gs = _mm_set1_ps(f.grad_scale);
    for (; i + 4 <= hi; i += 4) {
      __m128 g = _mm_loadu_ps(grad + i);
      if constexpr (kScaled) g = _mm_mul_ps(g, gs);
      const __m128 m0 = _mm_loadu_ps(m + i);
      const __m128 p = _mm_mul_ps(_mm_loadu_ps(param + i), decay);
      const __m128 mi = _mm_add_ps(kFromM ? m0 : g, _mm_mul_ps(coeff, _mm_sub_ps(g, m0)));
      const __m128 vi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), b2), _mm_mul_ps(_mm_mul_ps(c2, g), g));
      const __m128 denom = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vi), bc2_sqrt), eps);
      _mm_storeu_ps(m + i, mi);
      _mm_storeu_ps(v + i, vi);
      _mm_storeu_ps(param + i, _mm_add_ps(p, _mm_div_ps(_mm_mul_ps(neg_step, mi), denom)));
    }
#endif
    for (; i < hi; ++i) {
      const float g = kScaled ? grad[i] * f.grad_scale : grad[i];
      const float p = param[i] * f.decay;
      const float mi = (kFromM ? m[i] : g) + f.coeff * (g - m[i]);
      const float vi = v[i] * f.b2 + f.c2 * g * g;
      const float denom = std::sqrt(vi) / f.bc2_sqrt + f.eps;
      m[i] = mi;
      v[i] = vi;
      param[i] = p + f.neg_step * mi / denom;
    }
  }

  /// One AdamW step over many tensors: adamw_update on each, with that tensor's weight decay and
  /// bias corrections, then the bf16 copy (when given) written from the new master. The gradient
  /// scale is *grad_scale_ptr when not null (host memory here; a non-finite value skips the whole
  /// step, as on the GPU), else h.grad_scale. The members below are the GPU's multi-tensor API
  /// on the host, so a trainer has one code path for both.
  static void adamw_multi(std::span<const AdamwTensor> tensors, const AdamwHyper& h,
                          const float* grad_scale_ptr = nullptr) {
    double gs = h.grad_scale;
    if (grad_scale_ptr != nullptr) {
      if (!std::isfinite(*grad_scale_ptr)) return;
      gs = static_cast<double>(*grad_scale_ptr);
    }
    DAPT_CHECK(std::isfinite(gs) && gs >= 0.0, "OptimKernels<Cpu>::adamw_multi: grad_scale must be finite and >= 0, got ",
               gs);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const AdamwTensor& t = tensors[i];
      DAPT_CHECK(t.n >= 0, "OptimKernels<Cpu>::adamw_multi: tensor ", i, " has negative size ", t.n);
      DAPT_CHECK(t.n == 0 || (t.master && t.grad && t.m && t.v), "OptimKernels<Cpu>::adamw_multi: tensor ", i,
                 " has a null master, gradient or moment pointer");
      DAPT_CHECK(t.bias_correction1 > 0.0 && t.bias_correction2 > 0.0, "OptimKernels<Cpu>::adamw_multi: tensor ", i,
                 " has bias corrections ", t.bias_correction1, " and ", t.bias_correction2, "; they must be positive");
    }
    for (const AdamwTensor& t : tensors) {
      if (t.n == 0) continue;
      adamw_update(t.master, t.grad, t.m, t.v, t.n, h.lr, h.beta1, h.beta2, h.eps, t.weight_decay, t.bias_correction1,
                   t.bias_correction2, gs);
      if (t.copy != nullptr)
        for (std::int64_t j = 0; j < t.n; ++j) t.copy[j] = bf16(t.master[j]);
    }
  }

  /// *sum_sq = the sum of sum_squares over the listed gradients, added in list order (the square
  /// of the global gradient norm; the same for every thread count).
  static void grad_norm_squared_multi(std::span<const GradTensor> tensors, double* sum_sq) {
    DAPT_CHECK(sum_sq != nullptr, "OptimKernels<Cpu>::grad_norm_squared_multi: the output pointer is null");
    double total = 0.0;
    for (const GradTensor& t : tensors) total += sum_squares(t.data, t.n);
    *sum_sq = total;
  }

  /// *scale = min(1, max_norm / (sqrt(*sum_sq) + 1e-6)) rounded to float (train::clip_coefficient),
  /// or NaN when the norm or *gate (nullable: the step's loss sum) is not finite; *norm (nullable)
  /// = the norm. max_norm must be positive (+Inf never clips).
  static void clip_scale(const double* sum_sq, double max_norm, float* scale, double* norm = nullptr,
                         const double* gate = nullptr) {
    DAPT_CHECK(max_norm > 0.0, "clip_scale: max_norm must be positive, got ", max_norm);
    const double n = std::sqrt(*sum_sq);
    if (norm != nullptr) *norm = n;
    if (!std::isfinite(n) || (gate != nullptr && !std::isfinite(*gate))) {
      *scale = std::numeric_limits<float>::quiet_NaN();
      return;
    }
    const double coef = max_norm / (n + 1e-6);
    *scale = static_cast<float>(coef < 1.0 ? coef : 1.0);
  }

  /// x[i] *= s over `n` elements.
  static void scale(float* x, std::int64_t n, float s) {
    const std::int64_t chunks = (n + kChunk - 1) / kChunk;
    parallel_for(0, chunks, [&](std::int64_t c) {
      const std::int64_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
      for (std::int64_t i = lo; i < hi; ++i) x[i] *= s;
    });
  }
};

}  // namespace dapt::backend
