/// @file contrastive.hpp
/// @brief InfoNCE on any device: the loss of an embedder's contrastive training (E5, ChipNeMo's
/// retriever) over query and passage embeddings, with in-batch and hard negatives, duplicate-aware
/// candidates and an optional symmetric direction (backend/cpu/contrastive.hpp defines them). One
/// GEMM gives the dots, the row (and column) kernels the losses and the gradient of the logits,
/// two GEMMs the embeddings' gradients. The logit scale is read from the device's memory, so a
/// learned temperature needs no synchronisation; the losses stay on the device (sum them with
/// ops::accumulate_sum).
#pragma once

#include <cstdint>

#include "dapt/backend/cpu/contrastive.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/detail/dispatch.hpp"
#include "dapt/ops/matmul.hpp"

namespace dapt::ops {

/// InfoNCE of queries q (B, C) against passages p (P >= B, C; passage i < B is query i's
/// positive, every passage a candidate of every query unless it shares the positive's key), F32
/// and contiguous on Device.
///   keys (P) I64: a content key per passage; log_scale: one float in Device memory (logit =
///   exp(*log_scale) * q_i . p_j); dots (B, P) F32: written (the raw dot products);
///   losses (B, or 2B when `symmetric`) F32: written, per query (then per positive, the
///   passage -> query direction), each weighted 1 (0.5 each when symmetric): their sum is the
///   loss sum; correct (B) F32: written, 1 where the positive beat every other candidate.
/// With g (B, P) F32 scratch and dq (B, C), dp (P, C) F32 given: dq and dp are overwritten with
/// grad_scale * d(sum)/d(q, p), and *dlog_scale (Device memory, nullable) gets grad_scale *
/// d(sum)/d(log_scale) added.
template <class Device>
void info_nce(const TensorView<Device>& q, const TensorView<Device>& p, const TensorView<Device>& keys,
              const float* log_scale, bool symmetric, const TensorView<Device>& dots, const TensorView<Device>& losses,
              const TensorView<Device>& correct, float grad_scale = 1.0f, const TensorView<Device>& g = {},
              const TensorView<Device>& dq = {}, const TensorView<Device>& dp = {}, float* dlog_scale = nullptr) {
  constexpr const char* fn = "info_nce";
  DAPT_CHECK_AS(kShape, q.rank() == 2 && p.rank() == 2 && q.dim(1) == p.dim(1) && p.dim(0) >= q.dim(0), fn,
                ": q (B, C) and p (P >= B, C) expected, got ", q.shape().str(), " and ", p.shape().str());
  DAPT_CHECK_AS(kDtype, q.dtype() == DType::kF32 && p.dtype() == DType::kF32, fn, ": q and p must be F32, got ",
                dtype_name(q.dtype()), " and ", dtype_name(p.dtype()));
  detail::check_contiguous<Device>(fn, {{"q", &q}, {"p", &p}});
  DAPT_CHECK(log_scale != nullptr, fn, ": the log_scale pointer is null");
  const std::int64_t b = q.dim(0), np = p.dim(0);
  detail::check_operand<Device>(fn, "keys", keys, DType::kI64, Shape{np}, "(P)", "p", p);
  detail::check_operand<Device>(fn, "dots", dots, DType::kF32, Shape{b, np}, "(B, P)", "q and p", p);
  detail::check_operand<Device>(fn, "losses", losses, DType::kF32, Shape{symmetric ? 2 * b : b},
                                symmetric ? "(2B), symmetric" : "(B)", "q", q);
  detail::check_operand<Device>(fn, "correct", correct, DType::kF32, Shape{b}, "(B)", "q", q);
  const bool grads = dq.raw() != nullptr;
  if (grads) {
    detail::check_operand<Device>(fn, "g", g, DType::kF32, Shape{b, np}, "(B, P)", "q and p", p);
    detail::check_operand<Device>(fn, "dq", dq, DType::kF32, q.shape(), "(B, C)", "q", q);
    detail::check_operand<Device>(fn, "dp", dp, DType::kF32, p.shape(), "(P, C)", "p", p);
  }
  if (b == 0) return;
  linear_forward(q, p, TensorView<Device>(), dots);
  const float w = symmetric ? 0.5f : 1.0f;
  const float* d = dots.template data<const float>();
  const std::int64_t* k = keys.template data<const std::int64_t>();
  float* gp = grads ? g.template data<float>() : nullptr;
  backend::ContrastiveKernels<Device>::rows(d, k, log_scale, b, np, w, losses.template data<float>(),
                                            correct.template data<float>(), gp);
  if (symmetric)
    backend::ContrastiveKernels<Device>::cols(d, k, log_scale, b, np, w, losses.template data<float>() + b, gp);
  if (!grads) return;
  backend::ContrastiveKernels<Device>::grad(d, log_scale, b, np, grad_scale, gp, dlog_scale);
  linear_backward_input(g, p, dq);  // dq = ds · p
  DeviceAllocator<Device>::fill_zero(dp.raw(), dp.nbytes());
  linear_backward_weight(g, q, dp, TensorView<Device>());  // dp = ds^T · q
}

}  // namespace dapt::ops
