/// @file pooling.hpp
/// @brief Sequence pooling of an embedder on any device: the (N, T, C) hidden states of N padded
/// sequences become N vectors — the mean over each row's real tokens (E5, the default), its last
/// real token (decoder embedders) or its first one (CLS-style) — optionally L2-normalised, and
/// the gradient of that. The facade checks shapes and masks, then calls
/// `backend::PoolingKernels<Device>`. h, out, dout and dh are F32, or all BF16 on the GPU; norms
/// are always F32.
#pragma once

#include <cstdint>
#include <string_view>

#include "dapt/backend/cpu/pooling.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/detail/dispatch.hpp"

namespace dapt::ops {

using backend::PoolMode;

/// "mean", "lasttoken", "cls" (sentence-transformers' names for the three modes).
constexpr std::string_view pool_mode_name(PoolMode m) noexcept {
  switch (m) {
    case PoolMode::kMean: return "mean";
    case PoolMode::kLastToken: return "lasttoken";
    case PoolMode::kFirstToken: return "cls";
  }
  return "mean";
}

namespace detail {
/// `h` (N, T, C) lives on the device; the mask (N, T) is a host tensor on every device (its rows
/// are checked here, and the CUDA kernels copy it to the device).
template <class Device>
void check_pool_args(const char* fn, const TensorView<Device>& h, const TensorView<Cpu>& mask) {
  reject_cpu_bf16<Device>(h.dtype(), "h", fn);
  DAPT_CHECK_AS(kShape, h.rank() == 3 && is_storage_dtype<Device>(h.dtype()) && h.is_contiguous(), fn,
                ": h must be contiguous ", storage_dtypes<Device>(), " (N, T, C), got ", h.shape().str(), " ",
                dtype_name(h.dtype()));
  DAPT_CHECK_AS(kShape, mask.shape() == Shape({h.dim(0), h.dim(1)}) && mask.dtype() == DType::kI32, fn,
                ": mask must be I32 (N, T) = (", h.dim(0), ", ", h.dim(1), "), got ", mask.shape().str(), " ",
                dtype_name(mask.dtype()));
  const auto* m = mask.data<const std::int32_t>();
  for (std::int64_t n = 0; n < h.dim(0); ++n) {
    bool any = false;
    for (std::int64_t t = 0; t < h.dim(1); ++t) any = any || m[n * h.dim(1) + t] != 0;
    DAPT_CHECK(any, fn, ": row ", n, " of the mask has no real token");
  }
}
}  // namespace detail

/// h (N, T, C) F32 (or BF16 on the GPU); mask (N, T) I32 host (1 real, 0 padding; every row has
/// a real token); out (N, C) of h's dtype, written; norms (N) F32, written: each pooled vector's
/// L2 norm before normalisation (kept for backward).
template <class Device>
void pool_forward(const TensorView<Device>& h, const TensorView<Cpu>& mask, const TensorView<Device>& out,
                  const TensorView<Device>& norms, PoolMode mode, bool normalize) {
  detail::check_pool_args("pool_forward", h, mask);
  const std::int64_t n = h.dim(0), t = h.dim(1), c = h.dim(2);
  DAPT_CHECK_AS(kShape, out.shape() == Shape({n, c}) && norms.shape() == Shape({n}), "pool_forward: out ",
                out.shape().str(), " and norms ", norms.shape().str(), " must be (N, C) = (", n, ", ", c, ") and (N)");
  detail::check_f32(norms, "pool_forward: norms");
  constexpr const char* fn = "pool_forward";
  const DType st = detail::common_storage<Device>(fn, {{"h", &h}, {"out", &out}});
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::PoolingKernels<Device>::forward(h.template data<const T>(), mask.data<const std::int32_t>(),
                                             out.template data<T>(), norms.template data<float>(), n, t, c, mode,
                                             normalize);
  });
}

/// dout (N, C); out, norms as pool_forward wrote them; dh (N, T, C) written (zero where the
/// pooling read nothing). dout, out and dh share one storage dtype.
template <class Device>
void pool_backward(const TensorView<Device>& dout, const TensorView<Device>& out, const TensorView<Device>& norms,
                   const TensorView<Cpu>& mask, const TensorView<Device>& dh, PoolMode mode, bool normalize) {
  detail::check_pool_args("pool_backward", dh, mask);
  const std::int64_t n = dh.dim(0), t = dh.dim(1), c = dh.dim(2);
  DAPT_CHECK_AS(kShape, dout.shape() == Shape({n, c}) && out.shape() == Shape({n, c}) && norms.shape() == Shape({n}),
                "pool_backward: dout ", dout.shape().str(), ", out ", out.shape().str(), " and norms ",
                norms.shape().str(), " must be (N, C) = (", n, ", ", c, ") and (N)");
  detail::check_f32(norms, "pool_backward: norms");
  constexpr const char* fn = "pool_backward";
  const DType st = detail::common_storage<Device>(fn, {{"dh", &dh}, {"dout", &dout}, {"out", &out}});
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::PoolingKernels<Device>::backward(dout.template data<const T>(), out.template data<const T>(),
                                              norms.template data<const float>(), mask.data<const std::int32_t>(),
                                              dh.template data<T>(), n, t, c, mode, normalize);
  });
}

}  // namespace dapt::ops
