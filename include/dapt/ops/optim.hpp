/// @file optim.hpp
/// @brief Optimizer ops on any device: the fused AdamW update of one parameter, the sum of squares
/// of a gradient (for gradient norms) and an in-place scale (for clipping). The facades check
/// dtypes and shapes once and hand raw pointers to `backend::OptimKernels<Device>`; the optimizer
/// itself (step counts, state, options) lives in dapt/train/optimizer.hpp.
#pragma once

#include <cstdint>
#include <span>

#include "dapt/backend/cpu/optim.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/backend/multi_tensor.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/detail/dispatch.hpp"

namespace dapt::ops {

namespace detail {

/// `t` must be a contiguous F32 tensor on every device (master weights, gradients and optimizer
/// state stay fp32 in mixed precision); `what` names it in the error.
template <class Device>
void check_optim_operand(const TensorView<Device>& t, const char* what) {
  check_f32(t, what);
  DAPT_CHECK_AS(kShape, t.is_contiguous(), what, " of shape ", t.shape().str(), " must be contiguous");
}

}  // namespace detail

/// One AdamW step, in place on `param`, `m` and `v` (all F32, contiguous, of one shape):
/// param *= 1 - lr * weight_decay; m = lerp(m, g, 1 - beta1); v = beta2 v + (1 - beta2) g^2;
/// param -= lr / bias_correction1 * m / (sqrt(v) / sqrt(bias_correction2) + eps), with
/// g = grad * grad_scale. `bias_correction1/2` are 1 - beta1^t and 1 - beta2^t (t from 1) and
/// must be positive. The scalars are doubles: the backend derives each factor in double and
/// rounds it once to float (see backend/cpu/optim.hpp for the exact float arithmetic).
template <class Device>
void adamw_update(const TensorView<Device>& param,  // (any shape)
                  const TensorView<Device>& grad,   // same shape
                  const TensorView<Device>& m,      // same shape, first moment
                  const TensorView<Device>& v,      // same shape, second moment
                  double lr, double beta1, double beta2, double eps, double weight_decay, double bias_correction1,
                  double bias_correction2, double grad_scale = 1.0) {
  detail::check_optim_operand(param, "AdamW parameter");
  detail::check_optim_operand(grad, "AdamW gradient");
  detail::check_optim_operand(m, "AdamW first moment");
  detail::check_optim_operand(v, "AdamW second moment");
  DAPT_CHECK_AS(kShape, grad.shape() == param.shape() && m.shape() == param.shape() && v.shape() == param.shape(),
                "AdamW: parameter ", param.shape().str(), ", gradient ", grad.shape().str(), ", first moment ",
                m.shape().str(), " and second moment ", v.shape().str(), " must have one shape");
  DAPT_CHECK(bias_correction1 > 0.0 && bias_correction2 > 0.0, "AdamW: bias corrections must be positive, got ",
             bias_correction1, " and ", bias_correction2);
  backend::OptimKernels<Device>::adamw_update(param.template data<float>(), grad.template data<const float>(),
                                              m.template data<float>(), v.template data<float>(), param.numel(), lr,
                                              beta1, beta2, eps, weight_decay, bias_correction1, bias_correction2,
                                              grad_scale);
}

/// Sum of x^2 over every element of `x` (F32, contiguous), accumulated in double; the same for
/// every thread count.
template <class Device>
double sum_squares(const TensorView<Device>& x) {
  detail::check_optim_operand(x, "sum_squares input");
  return backend::OptimKernels<Device>::sum_squares(x.template data<const float>(), x.numel());
}

/// x *= s, in place (contiguous; F32, or BF16 on the GPU, where the product is rounded once).
template <class Device>
void scale(const TensorView<Device>& x, float s) {
  detail::check_storage(x, "scale input");
  DAPT_CHECK_AS(kShape, x.is_contiguous(), "scale input of shape ", x.shape().str(), " must be contiguous");
  detail::with_storage_type<Device>(x.dtype(), "ops::scale", [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::OptimKernels<Device>::scale(x.template data<T>(), x.numel(), s);
  });
}

/// One AdamW step over many parameters (see backend::AdamwTensor: fp32 masters, gradients and
/// moments, optional bf16 copies written from the new masters), in as few launches as the device
/// allows. The gradient scale is `*grad_scale` when not null — memory of `Device`, written by
/// clip_scale; a non-finite value makes the whole update a no-op, which the host does not learn
/// without reading it — else h.grad_scale. Bit for bit the per-tensor adamw_update.
template <class Device>
void adamw_multi(std::span<const backend::AdamwTensor> tensors, const backend::AdamwHyper& h,
                 const float* grad_scale = nullptr) {
  backend::OptimKernels<Device>::adamw_multi(tensors, h, grad_scale);
}

/// *sum_sq (memory of `Device`) = the sum of squares of every listed gradient, in double and in a
/// fixed order (the square of the global gradient norm), without waiting for the device.
template <class Device>
void grad_norm_squared_multi(std::span<const backend::GradTensor> tensors, double* sum_sq) {
  backend::OptimKernels<Device>::grad_norm_squared_multi(tensors, sum_sq);
}

/// From *sum_sq, on the device: *scale = the clipping factor min(1, max_norm / (norm + 1e-6)) as a
/// float (+Inf max_norm: 1), or NaN when the norm or *gate (nullable; the step's loss sum) is not
/// finite, so that adamw_multi skips the update; *norm (nullable) = the norm. All pointers are
/// memory of `Device`.
template <class Device>
void clip_scale(const double* sum_sq, double max_norm, float* scale, double* norm = nullptr,
                const double* gate = nullptr) {
  backend::OptimKernels<Device>::clip_scale(sum_sq, max_norm, scale, norm, gate);
}

}  // namespace dapt::ops
