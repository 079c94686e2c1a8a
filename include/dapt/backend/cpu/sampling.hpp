/// @file sampling.hpp
/// @brief CPU token sampling for `ops::sample_tokens`: each row goes through `nn::Sampler` with
/// the caller's uniform draw, so the CPU and the GPU kernels take the same u for a row and the
/// facade has one meaning on every device. And the append of chosen tokens to per-row contexts.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/sampling.hpp"

namespace dapt::backend {

template <>
struct SamplingKernels<Cpu> {
  /// out[r] = the token nn::Sampler with options `o` picks for logits row r (`vocab` values at
  /// logits + r * ld) with context ids context[r * context_stride, + lengths[r]) and draw u[r].
  /// Throws kOutOfRange for a length outside [0, context_stride], before anything is written, and
  /// then as the Sampler does (kNumeric for NaN or +inf logits or a row with nothing to sample,
  /// kOutOfRange for a context id outside [0, vocab)), naming the row.
  static void sample(const float* logits, std::int64_t rows, std::int64_t vocab, std::int64_t ld,
                     const std::int32_t* context, std::int64_t context_stride, const std::int32_t* lengths,
                     const nn::SamplingOptions& o, const double* u, std::int32_t* out) {
    for (std::int64_t r = 0; r < rows; ++r)
      DAPT_CHECK_AS(kOutOfRange, lengths[r] >= 0 && lengths[r] <= context_stride, "sample_tokens: lengths[", r,
                    "] = ", lengths[r], " is outside [0, ", context_stride, "], the context's capacity");
    // The Sampler's scratch and a copy of the row (the Sampler writes the penalised logits back)
    // are the calling thread's, as sgemm's packing scratch is (backend/cpu/detail/sgemm.hpp): a
    // decode loop allocates only while the vocabulary grows, and they are freed with the thread.
    thread_local nn::Sampler sampler;
    thread_local std::vector<float> row;
    sampler.set_options(o);
    row.resize(static_cast<std::size_t>(vocab));
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* x = logits + r * ld;
      std::copy(x, x + vocab, row.begin());
      const std::span<const std::int32_t> ctx(context + r * context_stride, static_cast<std::size_t>(lengths[r]));
      try {
        out[r] = sampler.sample_with_draw(row, ctx, u[r]);
      } catch (const Error& e) {
        DAPT_FAIL(e.category(), "sample_tokens: row ", r, ": ", e.message());
      }
    }
  }

  /// context[r * capacity + lengths[r]] = tokens[r], then ++lengths[r], for every row. Throws
  /// kOutOfRange for a full row (lengths[r] >= capacity) or a negative length, before writing.
  static void append(const std::int32_t* tokens, std::int64_t rows, std::int32_t* context, std::int64_t capacity,
                     std::int32_t* lengths) {
    for (std::int64_t r = 0; r < rows; ++r)
      DAPT_CHECK_AS(kOutOfRange, lengths[r] >= 0 && lengths[r] < capacity, "append_tokens: row ", r, " holds ",
                    lengths[r], " ids, capacity ", capacity, ": no room for another");
    for (std::int64_t r = 0; r < rows; ++r) context[r * capacity + lengths[r]++] = tokens[r];
  }
};

}  // namespace dapt::backend
