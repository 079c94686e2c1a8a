/// @file activation.hpp
/// @brief Element-wise activations on any device: SwiGLU (out = silu(gate) * up) and dropout with a
/// counter-based mask. The tensors of one call are all F32, or all BF16 on the GPU (fp32 math).
#pragma once

#include <cstdint>

#include "dapt/backend/cpu/activation.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/detail/dispatch.hpp"

namespace dapt::ops {

template <class Device>
void swiglu_forward(const TensorView<Device>& gate, const TensorView<Device>& up, const TensorView<Device>& out) {
  DAPT_CHECK_AS(kShape, gate.shape() == up.shape() && out.shape() == gate.shape(), "swiglu: gate ",
                gate.shape().str(), ", up ", up.shape().str(), ", out ", out.shape().str(), " differ");
  constexpr const char* fn = "swiglu_forward";
  const DType st =
      detail::common_storage<Device>(fn, {{"swiglu gate", &gate}, {"swiglu up", &up}, {"swiglu output", &out}});
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::ActivationKernels<Device>::swiglu_forward(gate.template data<const T>(), up.template data<const T>(),
                                                       out.template data<T>(), gate.numel());
  });
}

template <class Device>
void swiglu_backward(const TensorView<Device>& dout, const TensorView<Device>& gate, const TensorView<Device>& up,
                     const TensorView<Device>& dgate, const TensorView<Device>& dup) {
  DAPT_CHECK_AS(kShape, dout.shape() == gate.shape() && up.shape() == gate.shape() && dgate.shape() == gate.shape() &&
                            dup.shape() == gate.shape(),
                "swiglu backward: shapes differ (gate ", gate.shape().str(), ", dout ", dout.shape().str(), ")");
  constexpr const char* fn = "swiglu_backward";
  const DType st = detail::common_storage<Device>(fn, {{"swiglu output gradient", &dout},
                                                       {"swiglu gate", &gate},
                                                       {"swiglu up", &up},
                                                       {"swiglu gate gradient", &dgate},
                                                       {"swiglu up gradient", &dup}});
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::ActivationKernels<Device>::swiglu_backward(dout.template data<const T>(), gate.template data<const T>(),
                                                        up.template data<const T>(), dgate.template data<T>(),
                                                        dup.template data<T>(), gate.numel());
  });
}

/// out (+)= in * mask / (1 - p), where mask keeps element i with probability 1 - p. The mask is a
/// pure function of (seed, stream, i) — see `backend::ActivationKernels<Cpu>::dropout` — so the
/// backward of a dropout is the same call on the output gradient, and recomputing a forward
/// replays it. `in` and `out` may alias when not accumulating.
template <class Device>
void dropout(const TensorView<Device>& in, const TensorView<Device>& out, float p, std::uint64_t seed,
             std::uint64_t stream, bool accumulate = false) {
  DAPT_CHECK(p >= 0.0f && p < 1.0f, "dropout: probability must be in [0, 1), got ", p);
  DAPT_CHECK_AS(kShape, in.numel() == out.numel(), "dropout: input of ", in.numel(), " elements, output of ",
                out.numel());
  detail::reject_cpu_bf16<Device>(in.dtype(), "input", "dropout");
  detail::reject_cpu_bf16<Device>(out.dtype(), "output", "dropout");
  DAPT_CHECK_AS(kDtype, detail::is_storage_dtype<Device>(in.dtype()) && detail::is_storage_dtype<Device>(out.dtype()),
                "dropout: tensors must be ", detail::storage_dtypes<Device>(), ", got ", dtype_name(in.dtype()),
                " and ", dtype_name(out.dtype()));
  constexpr const char* fn = "dropout";
  detail::check_same_storage(fn, out, "output", in.dtype(), "input");
  detail::with_storage_type<Device>(in.dtype(), fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::ActivationKernels<Device>::dropout(in.template data<const T>(), out.template data<T>(), in.numel(), p,
                                                seed, stream, accumulate);
  });
}

}  // namespace dapt::ops
