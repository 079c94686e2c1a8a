/// @file elementwise.hpp
/// @brief Element-wise add and copy of same-sized contiguous tensors on any device: the decoder
/// block's residual stream. The tensors of one call are all F32, or all BF16 on the GPU. And
/// `convert`, between F32 and BF16 on the GPU: the bf16 weight copies of a mixed-precision model.
#pragma once

#include "dapt/backend/cpu/elementwise.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/detail/dispatch.hpp"

namespace dapt::ops {

namespace detail {
/// Checks that `b` (`bname`) has the storage dtype, size and contiguity of `a` (`aname`).
template <class Device>
void check_same(const char* fn, const TensorView<Device>& a, const TensorView<Device>& b, const char* aname = "a",
                const char* bname = "b") {
  reject_cpu_bf16<Device>(a.dtype(), aname, fn);
  reject_cpu_bf16<Device>(b.dtype(), bname, fn);
  DAPT_CHECK_AS(kDtype, is_storage_dtype<Device>(a.dtype()) && is_storage_dtype<Device>(b.dtype()), fn,
                ": tensors must be ", storage_dtypes<Device>(), ", got ", dtype_name(a.dtype()), " and ",
                dtype_name(b.dtype()));
  check_same_storage(fn, b, bname, a.dtype(), aname);
  DAPT_CHECK_AS(kShape, a.numel() == b.numel() && a.is_contiguous() && b.is_contiguous(), fn,
                ": contiguous tensors of equal size needed, got ", a.shape().str(), " and ", b.shape().str());
}
}  // namespace detail

/// out = a + b (out may alias a or b).
template <class Device>
void add(const TensorView<Device>& a, const TensorView<Device>& b, const TensorView<Device>& out) {
  detail::check_same("ops::add", a, b, "a", "b");
  detail::check_same("ops::add", a, out, "a", "out");
  detail::with_storage_type<Device>(a.dtype(), "ops::add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::ElementwiseKernels<Device>::add(a.template data<const T>(), b.template data<const T>(),
                                             out.template data<T>(), a.numel());
  });
}

/// dst = src.
template <class Device>
void copy(const TensorView<Device>& src, const TensorView<Device>& dst) {
  detail::check_same("ops::copy", src, dst, "src", "dst");
  detail::with_storage_type<Device>(src.dtype(), "ops::copy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::ElementwiseKernels<Device>::copy(src.template data<const T>(), dst.template data<T>(), src.numel());
  });
}

/// dst = src converted to dst's storage dtype (F32 or BF16 on the GPU, F32 on the CPU, where it
/// is a copy): same number of elements, both contiguous. F32 to BF16 rounds to nearest even.
template <class Device>
void convert(const TensorView<Device>& src, const TensorView<Device>& dst) {
  detail::reject_cpu_bf16<Device>(src.dtype(), "src", "ops::convert");
  detail::reject_cpu_bf16<Device>(dst.dtype(), "dst", "ops::convert");
  DAPT_CHECK_AS(kDtype, detail::is_storage_dtype<Device>(src.dtype()) && detail::is_storage_dtype<Device>(dst.dtype()),
                "ops::convert: tensors must be ", detail::storage_dtypes<Device>(), ", got ", dtype_name(src.dtype()),
                " and ", dtype_name(dst.dtype()));
  DAPT_CHECK_AS(kShape, src.numel() == dst.numel() && src.is_contiguous() && dst.is_contiguous(),
                "ops::convert: contiguous tensors of equal size needed, got ", src.shape().str(), " and ",
                dst.shape().str());
  detail::with_storage_type<Device>(src.dtype(), "ops::convert", [&](auto from) {
    detail::with_storage_type<Device>(dst.dtype(), "ops::convert", [&](auto to) {
      using From = typename decltype(from)::type;
      using To = typename decltype(to)::type;
      backend::ElementwiseKernels<Device>::convert(src.template data<const From>(), dst.template data<To>(), src.numel());
    });
  });
}

}  // namespace dapt::ops
