/// @file sampling.hpp
/// @brief Picks the next token from one row of logits, as transformers' `generate` does when
/// sampling: repetition penalty, then temperature, then top-k, then top-p (nucleus), then one
/// draw from the softmax of the surviving tokens; or the argmax (greedy, or temperature 0),
/// after the repetition penalty. Each processor follows its transformers counterpart
/// (`RepetitionPenaltyLogitsProcessor`, `TemperatureLogitsWarper`, `TopKLogitsWarper`,
/// `TopPLogitsWarper`). The draw comes from dapt's seeded Philox `Rng`, exactly one
/// `uniform_double()` (two 32-bit words) per sampled token and none for a greedy one, so a
/// sequence is reproducible from its seed and the RNG position after n sampled tokens is 2n words.
/// A `Sampler` keeps scratch buffers sized to the vocabulary and reuses them: after the first
/// call at a vocabulary size, sampling allocates nothing.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"

namespace dapt::nn {

/// How to pick a token. The defaults sample from the plain softmax.
struct SamplingOptions {
  /// Logits are divided by it before the softmax. 0 means greedy (argmax). Must be finite, >= 0.
  float temperature = 1.0f;
  /// Keep only the tokens whose logit is at least the k-th largest (ties at that value are kept,
  /// as transformers does). 0, or k >= vocabulary size, disables it. Must be >= 0.
  int top_k = 0;
  /// Keep the smallest set of most probable tokens (probabilities at this temperature, among the
  /// top-k survivors) whose total probability is >= top_p; at least one token is always kept.
  /// 1 disables it. Must be in (0, 1]. It is compared as the float given: 0.8f is slightly above
  /// 0.8, so a nucleus summing to exactly 0.8 takes one more token, as in transformers' float32.
  float top_p = 1.0f;
  /// For every distinct token id in the context, a logit l becomes l * penalty when l < 0 and
  /// l / penalty otherwise (CTRL's rule, as transformers). 1 disables it. Must be finite, > 0.
  float repetition_penalty = 1.0f;
  /// Take the argmax (lowest id among ties, as torch.argmax) instead of sampling.
  bool greedy = false;
};

/// The token id that a device sampler writes for a row the CPU `Sampler` would reject with an
/// exception (a NaN or +inf logit, a context id outside the vocabulary, no finite logit to sample):
/// a device cannot throw without a host synchronisation.
inline constexpr std::int32_t kInvalidToken = -1;

/// Whether `Sampler` consumes a uniform draw for a row with these options: exactly one
/// `uniform_double()` per row unless it takes the argmax (greedy, or temperature 0). A caller
/// that samples elsewhere (`ops::sample_tokens`) draws its u this way, in row order, to keep the
/// Sampler's random stream.
inline bool draws_uniform(const SamplingOptions& o) noexcept { return !(o.greedy || o.temperature == 0.0f); }

/// Throws kInvalidArgument naming the first option outside its domain (NaN included).
inline void validate_sampling_options(const SamplingOptions& o) {
  DAPT_CHECK(std::isfinite(o.temperature) && o.temperature >= 0.0f,
             "SamplingOptions.temperature must be finite and >= 0 (0 means greedy), got ", o.temperature);
  DAPT_CHECK(o.top_k >= 0, "SamplingOptions.top_k must be >= 0 (0 disables it), got ", o.top_k);
  DAPT_CHECK(o.top_p > 0.0f && o.top_p <= 1.0f, "SamplingOptions.top_p must be in (0, 1] (1 disables it), got ",
             o.top_p);
  DAPT_CHECK(std::isfinite(o.repetition_penalty) && o.repetition_penalty > 0.0f,
             "SamplingOptions.repetition_penalty must be finite and > 0 (1 disables it), got ", o.repetition_penalty);
}

/// The index of the largest logit, the lowest one among ties (torch.argmax); index 0 when every
/// logit is -inf. Throws kInvalidArgument for an empty row and kNumeric for a NaN (naming it).
inline std::int32_t argmax_token(std::span<const float> logits) {
  DAPT_CHECK(!logits.empty(), "argmax_token: the logits row is empty");
  DAPT_CHECK(logits.size() <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
             "argmax_token: a vocabulary of ", logits.size(), " does not fit int32 token ids");
  std::size_t best = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    DAPT_CHECK_AS(kNumeric, !std::isnan(logits[i]), "argmax_token: logit ", i, " is NaN");
    if (logits[i] > logits[best]) best = i;
  }
  return static_cast<std::int32_t>(best);
}

namespace detail {

/// Throws kOutOfRange for a context id outside [0, vocab).
inline void check_context_ids(std::span<const std::int32_t> context, std::size_t vocab, const char* who) {
  for (std::size_t i = 0; i < context.size(); ++i)
    DAPT_CHECK_AS(kOutOfRange, context[i] >= 0 && static_cast<std::size_t>(context[i]) < vocab, who, ": context[",
                  i, "] = ", context[i], " is outside the vocabulary of ", vocab);
}

/// The repetition penalty with a caller-owned all-zero bitmap of at least `logits.size()` bytes,
/// left all-zero again on return. Context ids must already be checked.
inline void apply_repetition_penalty(std::span<float> logits, std::span<const std::int32_t> context, float penalty,
                                     std::span<std::uint8_t> seen) noexcept {
  // Each distinct id is penalised once, however often it occurs (transformers gathers the
  // original scores of the context ids and scatters the penalised values back).
  for (std::int32_t id : context) {
    const auto i = static_cast<std::size_t>(id);
    if (seen[i]) continue;
    seen[i] = 1;
    float& l = logits[i];
    l = l < 0.0f ? l * penalty : l / penalty;
  }
  for (std::int32_t id : context) seen[static_cast<std::size_t>(id)] = 0;
}

}  // namespace detail

/// Applies the repetition penalty in place to `logits` (vocab) for the distinct ids of `context`
/// (prompt and generated tokens). Throws kInvalidArgument for a penalty that is not finite and
/// positive, kOutOfRange for a context id outside the vocabulary. Allocates a bitmap per call;
/// `Sampler` reuses one.
inline void apply_repetition_penalty(std::span<float> logits, std::span<const std::int32_t> context, float penalty) {
  DAPT_CHECK(std::isfinite(penalty) && penalty > 0.0f, "apply_repetition_penalty: the penalty must be finite and > 0, got ",
             penalty);
  detail::check_context_ids(context, logits.size(), "apply_repetition_penalty");
  if (penalty == 1.0f || context.empty()) return;
  std::vector<std::uint8_t> seen(logits.size(), 0);
  detail::apply_repetition_penalty(logits, context, penalty, seen);
}

/// Samples token ids from logits rows with fixed options and its own seeded `Rng`.
///
/// Numerics: the softmax is computed in double as exp((l - max) / T), which equals
/// softmax(l / T) without overflow for any temperature; top-k and top-p compare logits directly
/// (dividing by T > 0 keeps their order). Logits must be finite or -inf (a masked token):
/// NaN and +inf throw kNumeric; a row that is all -inf throws kNumeric when sampling (greedy
/// returns id 0, as torch.argmax). Not thread-safe: give each thread its own Sampler (seed it
/// from `Rng::fork` for independent streams).
class Sampler {
 public:
  /// Throws kInvalidArgument for invalid options (see `validate_sampling_options`).
  explicit Sampler(SamplingOptions options = {}, std::uint64_t seed = 0) : options_(options), rng_(seed) {
    validate_sampling_options(options_);
  }

  const SamplingOptions& options() const noexcept { return options_; }
  /// Replaces the options (validated first; the Sampler is unchanged when they are invalid).
  void set_options(const SamplingOptions& options) {
    validate_sampling_options(options);
    options_ = options;
  }

  /// The random stream: its `state()` goes into a checkpoint and `Rng::from_state` restores it.
  Rng& rng() noexcept { return rng_; }
  const Rng& rng() const noexcept { return rng_; }

  /// The next token for one row of `logits` (vocab,), given the `context` ids seen so far
  /// (prompt and generated; only the repetition penalty reads them). `logits` is modified in
  /// place: on return it holds the logits after the repetition penalty (temperature and the
  /// filters are not written back). Throws kInvalidArgument for an empty row, kOutOfRange for a
  /// context id outside the vocabulary, kNumeric for NaN or +inf logits (naming the index) and
  /// for a row with no finite logit when sampling.
  std::int32_t sample(std::span<float> logits, std::span<const std::int32_t> context = {}) {
    return pick(logits, context, [this] { return rng_.uniform_double(); });
  }

  /// As `sample`, with the uniform draw `u` in [0, 1) given instead of taken from `rng()` (which is
  /// left untouched); `u` is read only when `draws_uniform(options())`. This is how a row sampled
  /// elsewhere (`ops::sample_tokens`) follows a stream of draws taken from one Rng.
  std::int32_t sample_with_draw(std::span<float> logits, std::span<const std::int32_t> context, double u) {
    return pick(logits, context, [u] { return u; });
  }

 private:
  /// The body of `sample`: `draw()` yields the uniform, called once and only when sampling.
  template <class Draw>
  std::int32_t pick(std::span<float> logits, std::span<const std::int32_t> context, Draw&& draw) {
    const std::size_t n = logits.size();
    DAPT_CHECK(n > 0, "Sampler::sample: the logits row is empty");
    DAPT_CHECK(n <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()), "Sampler::sample: a vocabulary of ",
               n, " does not fit int32 token ids");
    detail::check_context_ids(context, n, "Sampler::sample");
    reserve(n);
    if (options_.repetition_penalty != 1.0f)
      detail::apply_repetition_penalty(logits, context, options_.repetition_penalty, std::span(seen_).first(n));

    constexpr float kNegInf = -std::numeric_limits<float>::infinity();
    std::size_t best = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const float l = logits[i];
      DAPT_CHECK_AS(kNumeric, !std::isnan(l), "Sampler::sample: logit ", i, " is NaN");
      DAPT_CHECK_AS(kNumeric, !(std::isinf(l) && l > 0.0f), "Sampler::sample: logit ", i, " is +inf");
      if (l > logits[best]) best = i;
    }
    if (!draws_uniform(options_)) return static_cast<std::int32_t>(best);
    const float max_logit = logits[best];
    DAPT_CHECK_AS(kNumeric, max_logit != kNegInf, "Sampler::sample: every logit is -inf; no token can be sampled");

    // Candidates: the top-k survivors (every finite logit without top-k), in id order.
    std::size_t count = 0;
    const auto k = static_cast<std::size_t>(options_.top_k);
    if (k > 0 && k < n) {
      // The k-th largest value in O(n): nth_element on a copy, never a sort of the vocabulary.
      std::copy(logits.begin(), logits.end(), values_.begin());
      const auto kth = values_.begin() + static_cast<std::ptrdiff_t>(k - 1);
      std::nth_element(values_.begin(), kth, values_.begin() + static_cast<std::ptrdiff_t>(n), std::greater<float>());
      const float threshold = *kth;
      for (std::size_t i = 0; i < n; ++i)
        if (logits[i] >= threshold && logits[i] != kNegInf) ids_[count++] = static_cast<std::int32_t>(i);
    } else {
      for (std::size_t i = 0; i < n; ++i)
        if (logits[i] != kNegInf) ids_[count++] = static_cast<std::int32_t>(i);
    }

    const double inv_t = 1.0 / static_cast<double>(options_.temperature);
    const auto weight = [&](std::int32_t id) {
      return std::exp((static_cast<double>(logits[static_cast<std::size_t>(id)]) - max_logit) * inv_t);
    };
    double total = 0.0;
    if (options_.top_p < 1.0f) {
      // Most probable first (lowest id among equal logits), then the shortest prefix whose
      // probability reaches top_p. Summing in this same order makes the last prefix sum equal
      // `z` exactly, so the loop always stops by the end.
      std::sort(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(count), [&](std::int32_t a, std::int32_t b) {
        const float la = logits[static_cast<std::size_t>(a)], lb = logits[static_cast<std::size_t>(b)];
        return la > lb || (la == lb && a < b);
      });
      double z = 0.0;
      for (std::size_t j = 0; j < count; ++j) z += (weights_[j] = weight(ids_[j]));
      const double target = static_cast<double>(options_.top_p) * z;
      for (std::size_t j = 0; j < count; ++j) {
        total += weights_[j];
        if (total >= target) {
          count = j + 1;
          break;
        }
      }
    } else {
      for (std::size_t j = 0; j < count; ++j) total += (weights_[j] = weight(ids_[j]));
    }

    // Inverse CDF with one uniform draw.
    const double u = draw() * total;
    double acc = 0.0;
    std::size_t last_positive = 0;
    for (std::size_t j = 0; j < count; ++j) {
      if (weights_[j] <= 0.0) continue;
      acc += weights_[j];
      last_positive = j;
      if (u < acc) return ids_[j];
    }
    return ids_[last_positive];  // u * total rounded up to total
  }

  /// Grows the scratch buffers to a vocabulary of n (never shrinks them).
  void reserve(std::size_t n) {
    if (seen_.size() >= n) return;
    seen_.resize(n, 0);
    values_.resize(n);
    ids_.resize(n);
    weights_.resize(n);
  }

  SamplingOptions options_;
  Rng rng_;
  std::vector<std::uint8_t> seen_;    // (vocab,) all zero between calls: repetition-penalty marks
  std::vector<float> values_;         // (vocab,) logits copy for nth_element
  std::vector<std::int32_t> ids_;     // (vocab,) candidate ids
  std::vector<double> weights_;       // (vocab,) exp((l - max) / T) of the candidates, same order
};

}  // namespace dapt::nn
