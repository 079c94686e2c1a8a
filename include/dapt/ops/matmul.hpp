/// @file matmul.hpp
/// @brief The GEMMs of a linear layer, on any device: `linear_forward` (y = x W^T + b),
/// `linear_backward_input` (dx = dy W) and `linear_backward_weight` (dW += dy^T x, db += sum dy).
/// Inputs are 2-D views (rows, features); shapes are checked here once, then the device's
/// `backend::MatmulKernels` runs. x, w, bias, y, dy and dx are F32, or all BF16 on the GPU
/// (mixed precision: bf16 activations and weight copies); dw and db are always F32.
#pragma once

#include "dapt/backend/cpu/matmul.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/detail/dispatch.hpp"

namespace dapt::ops {

namespace detail {
/// A 2-D contiguous storage operand (F32, or BF16 off the CPU); `f32_only`: F32 on every device.
template <class Device>
void check_matrix(const TensorView<Device>& t, const char* what, bool f32_only = false) {
  if (f32_only) check_f32(t, what);
  else check_storage(t, what);
  DAPT_CHECK_AS(kShape, t.rank() == 2, what, " must be 2-D, got shape ", t.shape().str());
  DAPT_CHECK_AS(kShape, t.is_contiguous(), what, " must be contiguous");
}
}  // namespace detail

/// y (N, M) = x (N, K) · w (M, K)^T + bias (M, optional: pass an empty view); `accumulate` adds into y.
/// x, w, bias and y share one storage dtype.
template <class Device>
void linear_forward(const TensorView<Device>& x, const TensorView<Device>& w, const TensorView<Device>& bias,
                    const TensorView<Device>& y, bool accumulate = false) {
  detail::check_matrix(x, "linear input");
  detail::check_matrix(w, "linear weight");
  detail::check_matrix(y, "linear output");
  DAPT_CHECK_AS(kShape, x.dim(1) == w.dim(1), "linear input ", x.shape().str(), " does not match weight ",
                w.shape().str());
  DAPT_CHECK_AS(kShape, y.dim(0) == x.dim(0) && y.dim(1) == w.dim(0), "linear output has shape ", y.shape().str(),
                ", expected (", x.dim(0), ", ", w.dim(0), ")");
  if (bias.raw()) {
    DAPT_CHECK_AS(kShape, bias.rank() == 1 && bias.dim(0) == w.dim(0), "linear bias has shape ", bias.shape().str(),
                  ", expected (", w.dim(0), ")");
  }
  constexpr const char* fn = "linear_forward";
  const DType st = detail::common_storage<Device>(fn, {{"linear input", &x},
                                                       {"linear weight", &w},
                                                       {"linear output", &y},
                                                       {"linear bias", bias.raw() ? &bias : nullptr}});
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* b = bias.raw() ? bias.template data<const T>() : nullptr;
    backend::MatmulKernels<Device>::linear_forward(x.template data<const T>(), w.template data<const T>(), b,
                                                   y.template data<T>(), x.dim(0), x.dim(1), w.dim(0), accumulate);
  });
}

/// dx (N, K) = dy (N, M) · w (M, K); `accumulate` adds into dx. dy, w and dx share one storage dtype.
template <class Device>
void linear_backward_input(const TensorView<Device>& dy, const TensorView<Device>& w, const TensorView<Device>& dx,
                           bool accumulate = false) {
  detail::check_matrix(dy, "linear output gradient");
  detail::check_matrix(w, "linear weight");
  detail::check_matrix(dx, "linear input gradient");
  DAPT_CHECK_AS(kShape, dy.dim(1) == w.dim(0) && dx.dim(0) == dy.dim(0) && dx.dim(1) == w.dim(1),
                "linear backward: dy ", dy.shape().str(), ", weight ", w.shape().str(), ", dx ", dx.shape().str(),
                " do not agree");
  constexpr const char* fn = "linear_backward_input";
  const DType st = detail::common_storage<Device>(
      fn, {{"linear output gradient", &dy}, {"linear weight", &w}, {"linear input gradient", &dx}});
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::MatmulKernels<Device>::linear_backward_input(dy.template data<const T>(), w.template data<const T>(),
                                                          dx.template data<T>(), dy.dim(0), w.dim(1), w.dim(0),
                                                          accumulate);
  });
}

/// dw (M, K) += dy (N, M)^T · x (N, K) (skipped when dw is empty); db (M) += sum_rows dy (when given).
/// dy and x share one storage dtype; dw and db are F32 on every device.
template <class Device>
void linear_backward_weight(const TensorView<Device>& dy, const TensorView<Device>& x, const TensorView<Device>& dw,
                            const TensorView<Device>& db) {
  detail::check_matrix(dy, "linear output gradient");
  detail::check_matrix(x, "linear input");
  DAPT_CHECK_AS(kShape, dy.dim(0) == x.dim(0), "linear backward: dy ", dy.shape().str(), " and input ",
                x.shape().str(), " differ in rows");
  float* w = nullptr;
  float* b = nullptr;
  if (dw.raw()) {
    detail::check_matrix(dw, "linear weight gradient", /*f32_only=*/true);
    DAPT_CHECK_AS(kShape, dw.dim(0) == dy.dim(1) && dw.dim(1) == x.dim(1), "linear weight gradient has shape ",
                  dw.shape().str(), ", expected (", dy.dim(1), ", ", x.dim(1), ")");
    w = dw.template data<float>();
  }
  if (db.raw()) {
    DAPT_CHECK_AS(kShape, db.rank() == 1 && db.dim(0) == dy.dim(1), "linear bias gradient has shape ",
                  db.shape().str(), ", expected (", dy.dim(1), ")");
    detail::check_f32(db, "linear bias gradient");
    b = db.template data<float>();
  }
  constexpr const char* fn = "linear_backward_weight";
  const DType st = detail::common_storage<Device>(fn, {{"linear output gradient", &dy}, {"linear input", &x}});
  if (!w && !b) return;
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::MatmulKernels<Device>::linear_backward_weight(dy.template data<const T>(), x.template data<const T>(), w,
                                                           b, dy.dim(0), x.dim(1), dy.dim(1));
  });
}

}  // namespace dapt::ops
