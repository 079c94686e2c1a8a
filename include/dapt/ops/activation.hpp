/// @file activation.hpp
/// @brief Element-wise activations on any device: SwiGLU (out = silu(gate) * up) and dropout with a
/// counter-based mask.
#pragma once

#include <cstdint>

#include "dapt/backend/cpu/activation.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::ops {

template <class Device>
void swiglu_forward(const TensorView<Device>& gate, const TensorView<Device>& up, const TensorView<Device>& out) {
  DAPT_CHECK_AS(kShape, gate.shape() == up.shape() && out.shape() == gate.shape(), "swiglu: gate ",
                gate.shape().str(), ", up ", up.shape().str(), ", out ", out.shape().str(), " differ");
  backend::ActivationKernels<Device>::swiglu_forward(gate.template data<const float>(), up.template data<const float>(),
                                                     out.template data<float>(), gate.numel());
}

template <class Device>
void swiglu_backward(const TensorView<Device>& dout, const TensorView<Device>& gate, const TensorView<Device>& up,
                     const TensorView<Device>& dgate, const TensorView<Device>& dup) {
  DAPT_CHECK_AS(kShape, dout.shape() == gate.shape() && up.shape() == gate.shape() && dgate.shape() == gate.shape() &&
                            dup.shape() == gate.shape(),
                "swiglu backward: shapes differ (gate ", gate.shape().str(), ", dout ", dout.shape().str(), ")");
  backend::ActivationKernels<Device>::swiglu_backward(dout.template data<const float>(), gate.template data<const float>(),
                                                      up.template data<const float>(), dgate.template data<float>(),
                                                      dup.template data<float>(), gate.numel());
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
  DAPT_CHECK_AS(kDtype, in.dtype() == DType::kF32 && out.dtype() == DType::kF32, "dropout: tensors must be F32");
  backend::ActivationKernels<Device>::dropout(in.template data<const float>(), out.template data<float>(), in.numel(),
                                              p, seed, stream, accumulate);
}

}  // namespace dapt::ops
