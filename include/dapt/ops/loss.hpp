/// @file loss.hpp
/// @brief Softmax cross-entropy on any device. `cross_entropy` computes each row's loss and, for
/// training, replaces the logits by their gradient in place (see backend/cpu/loss.hpp). The logits
/// are F32, or BF16 on the GPU (the softmax is computed in fp32); the losses are always F32.
#pragma once

#include "dapt/backend/cpu/loss.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/detail/dispatch.hpp"

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
  detail::check_contiguous<Device>("cross_entropy", {{"targets", &targets}, {"losses", &losses}});
  detail::check_storage(logits, "cross_entropy: logits");
  detail::check_f32(losses, "cross_entropy: losses");
  detail::with_storage_type<Device>(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::LossKernels<Device>::cross_entropy(logits.template data<T>(), targets.template data<const std::int32_t>(),
                                                losses.template data<float>(), logits.dim(0), logits.dim(1),
                                                grad_scale, write_grad);
  });
}

/// *acc += the sum of the per-token `losses` (F32, contiguous), in double. `acc` points to memory
/// of `Device`: on a GPU the sum stays there and nothing waits (the trainer reads it once per step).
template <class Device>
void accumulate_sum(const TensorView<Device>& losses, double* acc) {
  DAPT_CHECK_AS(kDtype, losses.dtype() == DType::kF32 && losses.is_contiguous(),
                "accumulate_sum: losses must be contiguous F32, got ", dtype_name(losses.dtype()));
  DAPT_CHECK(acc != nullptr, "accumulate_sum: the accumulator pointer is null");
  backend::LossKernels<Device>::accumulate_sum(losses.template data<const float>(), losses.numel(), acc);
}

}  // namespace dapt::ops
