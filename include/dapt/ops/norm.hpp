/// @file norm.hpp
/// @brief RMSNorm on any device, optionally fused with the residual add that precedes it in a
/// decoder block. Rows are the leading dimensions flattened; the last dimension is normalised.
/// x, delta, h_out, w, y, dy and dx are F32, or all BF16 on the GPU (mixed precision); rstd and
/// dw are always F32.
#pragma once

#include "dapt/backend/cpu/norm.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/detail/dispatch.hpp"

namespace dapt::ops {

namespace detail {
/// A storage operand (F32, or BF16 off the CPU) of n contiguous rows of c; with `f32_only`, F32
/// on every device.
template <class Device>
void check_rows(const TensorView<Device>& t, std::int64_t n, std::int64_t c, const char* what, bool f32_only = false) {
  if (f32_only) check_f32(t, what);
  else check_storage(t, what);
  DAPT_CHECK_AS(kShape, t.is_contiguous() && t.numel() == n * c && t.dim(-1) == c, what, " has shape ",
                t.shape().str(), ", expected ", n, " rows of ", c);
}
}  // namespace detail

/// y = rmsnorm(x) * w, rstd (rows) written. With a non-empty `delta`, h_out = x + delta is
/// written first and normalised instead.
template <class Device>
void rms_norm_forward(const TensorView<Device>& x, const TensorView<Device>& delta, const TensorView<Device>& h_out,
                      const TensorView<Device>& w, const TensorView<Device>& y, const TensorView<Device>& rstd,
                      float eps) {
  const std::int64_t c = w.numel(), n = c ? x.numel() / c : 0;
  detail::check_rows(x, n, c, "rmsnorm input");
  detail::check_rows(y, n, c, "rmsnorm output");
  DAPT_CHECK_AS(kShape, rstd.dtype() == DType::kF32 && rstd.is_contiguous() && rstd.numel() == n,
                "rmsnorm rstd must be ", n, " contiguous F32 values, got shape ", rstd.shape().str());
  if (delta.raw()) {
    detail::check_rows(delta, n, c, "rmsnorm residual delta");
    detail::check_rows(h_out, n, c, "rmsnorm residual output");
  }
  constexpr const char* fn = "rms_norm_forward";
  const bool fused = delta.raw() != nullptr;
  const DType st = detail::common_storage<Device>(fn, {{"rmsnorm input", &x},
                                                       {"rmsnorm weight", &w},
                                                       {"rmsnorm output", &y},
                                                       {"rmsnorm residual delta", fused ? &delta : nullptr},
                                                       {"rmsnorm residual output", fused ? &h_out : nullptr}});
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::NormKernels<Device>::rms_norm_forward(
        x.template data<const T>(), fused ? delta.template data<const T>() : nullptr,
        fused ? h_out.template data<T>() : nullptr, w.template data<const T>(), y.template data<T>(),
        rstd.template data<float>(), n, c, eps);
  });
}

/// dx written (or added with `accumulate`); dw += its gradient unless dw is empty.
template <class Device>
void rms_norm_backward(const TensorView<Device>& dy, const TensorView<Device>& x, const TensorView<Device>& w,
                       const TensorView<Device>& rstd, const TensorView<Device>& dx, const TensorView<Device>& dw,
                       bool accumulate) {
  const std::int64_t c = w.numel(), n = c ? x.numel() / c : 0;
  detail::check_rows(dy, n, c, "rmsnorm output gradient");
  detail::check_rows(dx, n, c, "rmsnorm input gradient");
  if (dw.raw()) detail::check_rows(dw, 1, c, "rmsnorm weight gradient", /*f32_only=*/true);
  DAPT_CHECK_AS(kShape, rstd.numel() == n, "rmsnorm rstd holds ", rstd.numel(), " values for ", n, " rows");
  detail::check_f32(rstd, "rmsnorm rstd");
  constexpr const char* fn = "rms_norm_backward";
  const DType st = detail::common_storage<Device>(fn, {{"rmsnorm output gradient", &dy},
                                                       {"rmsnorm input", &x},
                                                       {"rmsnorm weight", &w},
                                                       {"rmsnorm input gradient", &dx}});
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::NormKernels<Device>::rms_norm_backward(
        dy.template data<const T>(), x.template data<const T>(), w.template data<const T>(),
        rstd.template data<const float>(), dx.template data<T>(), dw.raw() ? dw.template data<float>() : nullptr, n, c,
        accumulate);
  });
}

}  // namespace dapt::ops
