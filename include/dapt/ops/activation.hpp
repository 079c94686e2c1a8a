/// @file activation.hpp
/// @brief SwiGLU on any device: out = silu(gate) * up, element-wise over equal shapes.
#pragma once

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

}  // namespace dapt::ops
