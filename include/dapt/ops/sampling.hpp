/// @file sampling.hpp
/// @brief Next-token choice on any device, so that a decode loop samples where its logits are:
/// `sample_tokens` picks one token per row of logits exactly as `nn::Sampler` does (repetition
/// penalty over the row's context, temperature, top-k, top-p, one inverse-CDF draw), with the
/// row's uniform draw given by the caller; `append_tokens` adds the chosen tokens to the rows'
/// contexts, the ids the repetition penalty reads. A caller that draws each row's u from one
/// `Rng` as the Sampler would (`nn::draws_uniform`) gets the Sampler's tokens on every device.
///
/// On the CPU a row the Sampler rejects throws (kNumeric for a NaN or +inf logit or a row with
/// nothing to sample, kOutOfRange for a context id outside the vocabulary or a context length
/// outside [0, C]); on the GPU, which cannot throw without waiting, its token is
/// `nn::kInvalidToken` (-1), for the caller to check once the tokens are on the host. The GPU's
/// choice equals the CPU's except at float ties of the prefix sums (see backend/cuda/sampling.cuh).
#pragma once

#include <cstdint>
#include <limits>
#include <utility>

#include "dapt/backend/cpu/sampling.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/sampling.hpp"
#include "dapt/ops/detail/dispatch.hpp"

namespace dapt::ops {

/// One token per row:
///   logits   (R, V) F32, or BF16 on the GPU; rows may be strided (a column slice such as
///            `logits.slice(1, 0, n)` samples among the first n ids only), columns contiguous
///   context  (R, C) I32: row r's first lengths[r] ids are its context (prompt and generated)
///   lengths  (R) I32, each in [0, C]
///   u        (R) F64: row r's uniform draw in [0, 1), read only when nn::draws_uniform(o)
///   out      (R) I32, written: the token ids (see the file comment for rejected rows)
/// Invalid options throw kInvalidArgument (nn::validate_sampling_options). Never waits on the GPU.
template <class Device>
void sample_tokens(const TensorView<Device>& logits, const TensorView<Device>& context,
                   const TensorView<Device>& lengths, const nn::SamplingOptions& o, const TensorView<Device>& u,
                   const TensorView<Device>& out) {
  constexpr const char* fn = "sample_tokens";
  nn::validate_sampling_options(o);
  detail::check_storage(logits, "sample_tokens: logits");
  DAPT_CHECK_AS(kShape, logits.rank() == 2 && logits.dim(1) > 0, fn, ": logits must be (R, V) with V > 0, got shape ",
                logits.shape().str());
  const std::int64_t R = logits.dim(0), V = logits.dim(1);
  DAPT_CHECK_AS(kShape, V <= std::numeric_limits<std::int32_t>::max(), fn, ": a vocabulary of ", V,
                " does not fit int32 token ids");
  DAPT_CHECK_AS(kShape, (logits.strides()[1] == 1 || V == 1) && (logits.strides()[0] >= V || R == 1), fn,
                ": the logits' rows must be contiguous and must not overlap, got shape ", logits.shape().str(),
                " with strides ", logits.strides().str());
  const std::int64_t ld = R == 1 ? V : logits.strides()[0];
  DAPT_CHECK_AS(kShape, context.rank() == 2 && context.dim(0) == R, fn, ": context must be (R, C) with R = ", R,
                " (the logits' rows), got shape ", context.shape().str());
  detail::check_operand(fn, "context", context, DType::kI32, context.shape(), "(R, C)", "logits", logits);
  detail::check_operand(fn, "lengths", lengths, DType::kI32, Shape{R}, "(R)", "logits", logits);
  detail::check_operand(fn, "u", u, DType::kF64, Shape{R}, "(R)", "logits", logits);
  detail::check_operand(fn, "out", out, DType::kI32, Shape{R}, "(R)", "logits", logits);
  for (const auto& [name, t] : {std::pair{"context", context}, std::pair{"lengths", lengths}, std::pair{"u", u}})
    detail::check_disjoint(fn, "out", out, name, t);
  if (R == 0) return;
  detail::with_storage_type<Device>(logits.dtype(), fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::SamplingKernels<Device>::sample(logits.template data<const T>(), R, V, ld,
                                             context.template data<const std::int32_t>(), context.dim(1),
                                             lengths.template data<const std::int32_t>(), o,
                                             u.template data<const double>(), out.template data<std::int32_t>());
  });
}

/// Appends tokens[r] to row r of `context` and counts it:
///   tokens   (R) I32
///   context  (R, C) I32: context[r, lengths[r]] = tokens[r]
///   lengths  (R) I32: incremented
/// A full row (lengths[r] == C) or a negative length throws kOutOfRange on the CPU, before anything
/// is written; on the GPU such a row is left unchanged, so size C for the longest run.
template <class Device>
void append_tokens(const TensorView<Device>& tokens, const TensorView<Device>& context,
                   const TensorView<Device>& lengths) {
  constexpr const char* fn = "append_tokens";
  DAPT_CHECK_AS(kShape, tokens.rank() == 1, fn, ": tokens must be (R), got shape ", tokens.shape().str());
  const std::int64_t R = tokens.dim(0);
  DAPT_CHECK_AS(kDtype, tokens.dtype() == DType::kI32, fn, ": tokens must be I32, got ", dtype_name(tokens.dtype()));
  detail::check_contiguous<Device>(fn, {{"tokens", &tokens}});
  DAPT_CHECK_AS(kShape, context.rank() == 2 && context.dim(0) == R, fn, ": context must be (R, C) with R = ", R,
                " (the tokens), got shape ", context.shape().str());
  detail::check_operand(fn, "context", context, DType::kI32, context.shape(), "(R, C)", "tokens", tokens);
  detail::check_operand(fn, "lengths", lengths, DType::kI32, Shape{R}, "(R)", "tokens", tokens);
  detail::check_disjoint(fn, "context", context, "tokens", tokens);
  detail::check_disjoint(fn, "context", context, "lengths", lengths);
  detail::check_disjoint(fn, "lengths", lengths, "tokens", tokens);
  backend::SamplingKernels<Device>::append(tokens.template data<const std::int32_t>(), R,
                                           context.template data<std::int32_t>(), context.dim(1),
                                           lengths.template data<std::int32_t>());
}

}  // namespace dapt::ops
