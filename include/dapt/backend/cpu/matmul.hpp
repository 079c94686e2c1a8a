/// @file matmul.hpp
/// @brief CPU GEMMs of the linear layers: y = x W^T + b, dx = dy W, dW += dy^T x, db += sum(dy).
/// Row-major throughout, so every operand is the contiguous buffer a layer holds and nothing is
/// transposed in memory. In a build for AVX2 and FMA without AVX-512 (detail::kSgemmSimd) and
/// from kSgemmMinRows rows of tokens up they run on dapt's packed sgemm (detail/sgemm.hpp; on a
/// 2-core AMD EPYC, 1.3-1.9x Eigen on the training shapes, bitwise the same for every thread
/// count). Everything else goes through Eigen, which threads with the SDK's thread policy: small
/// problems (decode), builds without AVX2, and AVX-512 builds, where Eigen's 16-wide kernels beat
/// the 8-wide sgemm (1.3-1.7x on a 2-core Xeon, measured 2026-12-02).
#pragma once

#include <cstdint>

#include <Eigen/Core>

#include "dapt/backend/cpu/detail/sgemm.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

namespace detail {
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapMatrix = Eigen::Map<RowMatrix, Eigen::Aligned16>;
using ConstMapMatrix = Eigen::Map<const RowMatrix>;
}  // namespace detail

template <>
struct MatmulKernels<Cpu> {
  /// Fewest rows (tokens) for which the packed sgemm beats Eigen; below, Eigen runs.
  static constexpr std::int64_t kSgemmMinRows = 16;
#if defined(__AVX512F__)
  static constexpr bool kUseSgemm = false;
#else
  static constexpr bool kUseSgemm = detail::kSgemmSimd;
#endif
  static constexpr bool use_sgemm(std::int64_t rows) { return kUseSgemm && rows >= kSgemmMinRows; }

  /// y (N, M) = x (N, K) · w (M, K)^T (+ bias (M)); `accumulate` adds into y instead.
  static void linear_forward(const float* x, const float* w, const float* bias, float* y, std::int64_t n,
                             std::int64_t k, std::int64_t m, bool accumulate = false) {
    if (n == 0 || m == 0) return;
    Eigen::Map<detail::RowMatrix> Y(y, n, m);
    if (use_sgemm(n)) {
      detail::sgemm(false, true, n, m, k, 1.0f, x, k, w, k, accumulate ? 1.0f : 0.0f, y, m);
    } else {
      detail::ConstMapMatrix X(x, n, k), W(w, m, k);
      if (accumulate) Y.noalias() += X * W.transpose();
      else Y.noalias() = X * W.transpose();
    }
    if (bias) {
      Eigen::Map<const Eigen::RowVectorXf> b(bias, m);
      Y.rowwise() += b;
    }
  }

  /// dx (N, K) = dy (N, M) · w (M, K); `accumulate` adds into dx.
  static void linear_backward_input(const float* dy, const float* w, float* dx, std::int64_t n, std::int64_t k,
                                    std::int64_t m, bool accumulate = false) {
    if (n == 0 || k == 0) return;
    if (use_sgemm(n)) {
      detail::sgemm(false, false, n, k, m, 1.0f, dy, m, w, k, accumulate ? 1.0f : 0.0f, dx, k);
      return;
    }
    detail::ConstMapMatrix DY(dy, n, m), W(w, m, k);
    Eigen::Map<detail::RowMatrix> DX(dx, n, k);
    if (accumulate) DX.noalias() += DY * W;
    else DX.noalias() = DY * W;
  }

  /// dw (M, K) += dy (N, M)^T · x (N, K); db (M) += column sums of dy, when db is given.
  static void linear_backward_weight(const float* dy, const float* x, float* dw, float* db, std::int64_t n,
                                     std::int64_t k, std::int64_t m) {
    if (n == 0) return;
    detail::ConstMapMatrix DY(dy, n, m), X(x, n, k);
    if (dw && use_sgemm(n)) {
      detail::sgemm(true, false, m, k, n, 1.0f, dy, m, x, k, 1.0f, dw, k);
    } else if (dw) {
      Eigen::Map<detail::RowMatrix> DW(dw, m, k);
      DW.noalias() += DY.transpose() * X;
    }
    if (db) {
      // Column sums in a fixed order per column: deterministic for any thread count.
      parallel_for(0, m, [&](std::int64_t j) {
        double s = 0;
        for (std::int64_t i = 0; i < n; ++i) s += dy[i * m + j];
        db[j] += static_cast<float>(s);
      }, 64);
    }
  }
};

}  // namespace dapt::backend
