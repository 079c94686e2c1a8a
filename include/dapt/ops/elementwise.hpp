/// @file elementwise.hpp
/// @brief Element-wise add and copy of same-shaped contiguous F32 tensors on any device: the
/// decoder block's residual stream.
#pragma once

#include "dapt/backend/cpu/elementwise.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::ops {

namespace detail {
template <class Device>
void check_same(const char* fn, const TensorView<Device>& a, const TensorView<Device>& b) {
  DAPT_CHECK_AS(kDtype, a.dtype() == DType::kF32 && b.dtype() == DType::kF32, fn, ": tensors must be F32, got ",
                dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  DAPT_CHECK_AS(kShape, a.numel() == b.numel() && a.is_contiguous() && b.is_contiguous(), fn,
                ": contiguous tensors of equal size needed, got ", a.shape().str(), " and ", b.shape().str());
}
}  // namespace detail

/// out = a + b (out may alias a or b).
template <class Device>
void add(const TensorView<Device>& a, const TensorView<Device>& b, const TensorView<Device>& out) {
  detail::check_same("ops::add", a, b);
  detail::check_same("ops::add", a, out);
  backend::ElementwiseKernels<Device>::add(a.template data<const float>(), b.template data<const float>(),
                                           out.template data<float>(), a.numel());
}

/// dst = src.
template <class Device>
void copy(const TensorView<Device>& src, const TensorView<Device>& dst) {
  detail::check_same("ops::copy", src, dst);
  backend::ElementwiseKernels<Device>::copy(src.template data<const float>(), dst.template data<float>(), src.numel());
}

}  // namespace dapt::ops
