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
#include <type_traits>

#include <Eigen/Core>

#include "dapt/backend/cpu/detail/sgemm.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

namespace detail {

/// The CPU GEMMs (the CPU backend computes in fp32). A class template only so that Eigen's
/// products are instantiated in a translation unit that calls them, not in every one that
/// includes this header; T must be float (the packed sgemm is fp32).
template <class T>
struct CpuMatmul {
  static_assert(std::is_same_v<T, float>, "CpuMatmul: the CPU backend computes in fp32");
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using MapMatrix = Eigen::Map<Matrix>;
  using ConstMapMatrix = Eigen::Map<const Matrix>;

  /// Fewest rows (tokens) for which the packed sgemm beats Eigen; below, Eigen runs.
  static constexpr std::int64_t kSgemmMinRows = 16;
#if defined(__AVX512F__)
  static constexpr bool kUseSgemm = false;  // Eigen's 16-wide kernels are faster there
#else
  static constexpr bool kUseSgemm = kSgemmSimd;
#endif
  static constexpr bool use_sgemm(std::int64_t rows) { return kUseSgemm && rows >= kSgemmMinRows; }

  /// y (N, M) = x (N, K) · w (M, K)^T (+ bias (M)); `accumulate` adds into y instead.
  static void linear_forward(const T* x, const T* w, const T* bias, T* y, std::int64_t n,
                             std::int64_t k, std::int64_t m, bool accumulate = false) {
    if (n == 0 || m == 0) return;
    MapMatrix Y(y, n, m);
    if (use_sgemm(n)) {
      sgemm(false, true, n, m, k, 1.0f, x, k, w, k, accumulate ? 1.0f : 0.0f, y, m);
    } else {
      ConstMapMatrix X(x, n, k), W(w, m, k);
      if (accumulate) Y.noalias() += X * W.transpose();
      else Y.noalias() = X * W.transpose();
    }
    if (bias) {
      Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> b(bias, m);
      Y.rowwise() += b;
    }
  }

  /// dx (N, K) = dy (N, M) · w (M, K); `accumulate` adds into dx.
  static void linear_backward_input(const T* dy, const T* w, T* dx, std::int64_t n, std::int64_t k,
                                    std::int64_t m, bool accumulate = false) {
    if (n == 0 || k == 0) return;
    if (use_sgemm(n)) {
      sgemm(false, false, n, k, m, 1.0f, dy, m, w, k, accumulate ? 1.0f : 0.0f, dx, k);
      return;
    }
    ConstMapMatrix DY(dy, n, m), W(w, m, k);
    MapMatrix DX(dx, n, k);
    if (accumulate) DX.noalias() += DY * W;
    else DX.noalias() = DY * W;
  }

  /// dw (M, K) += dy (N, M)^T · x (N, K); db (M) += column sums of dy, when db is given.
  static void linear_backward_weight(const T* dy, const T* x, T* dw, T* db, std::int64_t n,
                                     std::int64_t k, std::int64_t m) {
    if (n == 0) return;
    ConstMapMatrix DY(dy, n, m), X(x, n, k);
    if (dw && use_sgemm(n)) {
      sgemm(true, false, m, k, n, 1.0f, dy, m, x, k, 1.0f, dw, k);
    } else if (dw) {
      MapMatrix DW(dw, m, k);
      DW.noalias() += DY.transpose() * X;
    }
    if (db) {
      // Column sums in a fixed order per column: deterministic for any thread count.
      parallel_for(0, m, [&](std::int64_t j) {
        double s = 0;
        for (std::int64_t i = 0; i < n; ++i) s += dy[i * m + j];
        db[j] += static_cast<T>(s);
      }, 64);
    }
  }
};

}  // namespace detail

template <>
struct MatmulKernels<Cpu> : detail::CpuMatmul<float> {};

}  // namespace dapt::backend
