/// @file loss.hpp
/// @brief Softmax cross-entropy on any device. `cross_entropy` computes each row's loss and, for
/// training, replaces the logits by their gradient in place (see backend/cpu/loss.hpp).
#pragma once

#include "dapt/backend/cpu/loss.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::ops {

/// logits (N, V); targets (N) int32, negative = ignored; losses (N) written. With `write_grad`,
/// logits become grad_scale * (softmax - onehot).
template <class Device>
void cross_entropy(const TensorView<Device>& logits, const TensorView<Device>& targets, const TensorView<Device>& losses,
                   float grad_scale, bool write_grad) {
  DAPT_CHECK_AS(kShape, logits.rank() == 2 && logits.is_contiguous(), "cross_entropy: logits must be contiguous (N, V), got ",
                logits.shape().str());
  DAPT_CHECK_AS(kDtype, targets.dtype() == DType::kI32, "cross_entropy: targets must be I32, got ",
                dtype_name(targets.dtype()));
  DAPT_CHECK_AS(kShape, targets.numel() == logits.dim(0) && losses.numel() == logits.dim(0), "cross_entropy: logits ",
                logits.shape().str(), ", targets ", targets.shape().str(), ", losses ", losses.shape().str(),
                " do not agree");
  backend::LossKernels<Device>::cross_entropy(logits.template data<float>(), targets.template data<const std::int32_t>(),
                                              losses.template data<float>(), logits.dim(0), logits.dim(1), grad_scale,
                                              write_grad);
}

}  // namespace dapt::ops
