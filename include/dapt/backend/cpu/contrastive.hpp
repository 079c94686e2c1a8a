/// @file contrastive.hpp
/// @brief The CPU half of InfoNCE over query-passage dot products (the loss of embedders'
/// contrastive training; ops/contrastive.hpp composes it with the GEMMs). Candidates, logits and
/// gradients are defined once here and followed by backend/cuda/contrastive.cuh:
///   dots (B, P) row-major, dots[i, j] = q_i . p_j; logit = s * dot with s = exp(log_scale);
///   the candidates of query i are passage i (its positive) and every passage j whose key differs
///   from key i (a passage with the positive's content is never a negative);
///   the passage -> query direction (symmetric InfoNCE) scores positive i against the queries
///   j < B with j == i or key j != key i.
/// Sums and the softmax are in double.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

template <>
struct ContrastiveKernels<Cpu> {
  /// Query -> passages. For each query i < b: losses[i] = w (logsumexp_j logit[i, j] - logit[i, i])
  /// over its candidates; correct[i] = 1 when no other candidate's logit is >= the positive's,
  /// else 0; with g non-null, g[i, j] = w (softmax_j - [j == i]) over the candidates and 0 for the
  /// rest (the gradient of the loss with respect to the logits). log_scale: one float.
  static void rows(const float* dots, const std::int64_t* keys, const float* log_scale, std::int64_t b,
                   std::int64_t p, float w, float* losses, float* correct, float* g) {
    const double s = std::exp(static_cast<double>(*log_scale));
    parallel_for(0, b, [&](std::int64_t i) {
      const float* row = dots + i * p;
      const auto candidate = [&](std::int64_t j) { return j == i || keys[j] != keys[i]; };
      const double pos = s * row[i];
      double mx = -INFINITY;
      bool best = true;
      for (std::int64_t j = 0; j < p; ++j) {
        if (!candidate(j)) continue;
        const double l = s * row[j];
        mx = std::max(mx, l);
        if (j != i && l >= pos) best = false;
      }
      double z = 0;
      for (std::int64_t j = 0; j < p; ++j)
        if (candidate(j)) z += std::exp(s * row[j] - mx);
      losses[i] = static_cast<float>(w * (mx + std::log(z) - pos));
      correct[i] = best ? 1.0f : 0.0f;
      if (!g) return;
      for (std::int64_t j = 0; j < p; ++j)
        g[i * p + j] = candidate(j) ? static_cast<float>(w * std::exp(s * row[j] - mx) / z - (j == i ? w : 0.0))
                                    : 0.0f;
    }, 4);
  }

  /// Passage -> queries over the positives: for each i < b, over the queries j < b with j == i or
  /// keys[j] != keys[i]: losses[i] = w (logsumexp_j logit[j, i] - logit[i, i]); with g non-null,
  /// g[j, i] += w (softmax_j - [j == i]).
  static void cols(const float* dots, const std::int64_t* keys, const float* log_scale, std::int64_t b,
                   std::int64_t p, float w, float* losses, float* g) {
    const double s = std::exp(static_cast<double>(*log_scale));
    parallel_for(0, b, [&](std::int64_t i) {
      const auto candidate = [&](std::int64_t j) { return j == i || keys[j] != keys[i]; };
      const double pos = s * dots[i * p + i];
      double mx = -INFINITY;
      for (std::int64_t j = 0; j < b; ++j)
        if (candidate(j)) mx = std::max(mx, s * dots[j * p + i]);
      double z = 0;
      for (std::int64_t j = 0; j < b; ++j)
        if (candidate(j)) z += std::exp(s * dots[j * p + i] - mx);
      losses[i] = static_cast<float>(w * (mx + std::log(z) - pos));
      if (!g) return;
      for (std::int64_t j = 0; j < b; ++j)  // column i: each i writes its own column
        if (candidate(j))
          g[j * p + i] += static_cast<float>(w * std::exp(s * dots[j * p + i] - mx) / z - (j == i ? w : 0.0));
    }, 4);
  }

  /// g (b, p), the gradient of the loss sum with respect to the logits, becomes that of the dots
  /// times grad_scale (g *= grad_scale * s); with dlog_scale non-null, *dlog_scale += grad_scale *
  /// sum(g * logit) (d logit / d log s = logit), summed in double in row order.
  static void grad(const float* dots, const float* log_scale, std::int64_t b, std::int64_t p, float grad_scale,
                   float* g, float* dlog_scale) {
    const double s = std::exp(static_cast<double>(*log_scale));
    double acc = 0;
    for (std::int64_t i = 0; i < b * p; ++i) {
      acc += static_cast<double>(g[i]) * s * dots[i];
      g[i] = static_cast<float>(static_cast<double>(g[i]) * grad_scale * s);
    }
    if (dlog_scale) *dlog_scale += static_cast<float>(grad_scale * acc);
  }
};

}  // namespace dapt::backend
