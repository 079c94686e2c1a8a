/// @file loss.hpp
/// @brief CPU softmax cross-entropy over rows of logits. The training form overwrites the logits
/// with their gradient in place, so no probability matrix exists beside the logits, and the
/// language-model head calls it on a chunk of rows at a time, so the full (tokens, vocab) logits
/// never exist either.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

template <>
struct LossKernels<Cpu> {
  /// For each row i of logits (N, V) with target t = targets[i] >= 0: loss[i] = logsumexp(row) -
  /// row[t]; rows with a negative target are ignored (loss 0). When `grad_scale` is non-zero the row
  /// is overwritten with grad_scale * (softmax(row) - onehot(t)) (zeros for ignored rows).
  /// Targets >= V throw kOutOfRange. `losses` (N) receives each row's loss.
  static void cross_entropy(float* logits, const std::int32_t* targets, float* losses, std::int64_t n,
                            std::int64_t v, float grad_scale, bool write_grad) {
    for (std::int64_t i = 0; i < n; ++i)
      DAPT_CHECK_AS(kOutOfRange, targets[i] < v, "target id ", targets[i], " at row ", i,
                    " is outside the vocabulary of ", v, " tokens");
    parallel_for(0, n, [&](std::int64_t i) {
      float* row = logits + i * v;
      const std::int32_t t = targets[i];
      if (t < 0) {
        losses[i] = 0.0f;
        if (write_grad) std::fill(row, row + v, 0.0f);
        return;
      }
      float mx = row[0];
      for (std::int64_t j = 1; j < v; ++j) mx = std::max(mx, row[j]);
      const float target_logit = row[t];
      float sum = 0.0f;
      if (write_grad) {
        // One exp per element: keep exp(x - max) in place, then scale it into the gradient.
        for (std::int64_t j = 0; j < v; ++j) {
          const float e = std::exp(row[j] - mx);
          row[j] = e;
          sum += e;
        }
      } else {
        for (std::int64_t j = 0; j < v; ++j) sum += std::exp(row[j] - mx);
      }
      losses[i] = mx + std::log(sum) - target_logit;
      if (!write_grad) return;
      const float inv = grad_scale / sum;
      for (std::int64_t j = 0; j < v; ++j) row[j] *= inv;
      row[t] -= grad_scale;
    }, 4);
  }

  /// *acc += the sum of the n per-token losses, in double, in order.
  static void accumulate_sum(const float* losses, std::int64_t n, double* acc) {
    double s = 0.0;
    for (std::int64_t i = 0; i < n; ++i) s += losses[i];
    *acc += s;
  }
};

}  // namespace dapt::backend
