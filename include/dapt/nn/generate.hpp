/// @file generate.hpp
/// @brief Text generation with a KV cache: each prompt is prefilled into its own cache row, then
/// all rows decode together one token per step. Tokens are chosen by `Sampler` (greedy,
/// temperature, top-k, top-p, repetition penalty) from one seeded RNG, so a seed reproduces a run.
/// A row stops at an EOS id, at a stop string (with a tokenizer), at `max_new_tokens`, or when the
/// streaming callback returns false. The callback receives each row's text as it becomes final:
/// text that could still turn into a stop string, or that ends in an incomplete UTF-8 sequence,
/// is held back until it is decided.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/kv_cache.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/nn/sampling.hpp"
#include "dapt/ops/sampling.hpp"
#include "dapt/tokenizer/tokenizer.hpp"

namespace dapt::nn {

struct GenerationOptions {
  std::int64_t max_new_tokens = 128;
  /// Greedy by default, as transformers' generate without do_sample.
  SamplingOptions sampling{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .repetition_penalty = 1.0f, .greedy = true};
  std::uint64_t seed = 0;
  /// Stop ids; the model config's eos_token_id(s) are added unless `ignore_config_eos`.
  std::vector<std::int32_t> eos_token_ids;
  bool ignore_config_eos = false;
  /// Stop when the decoded text contains one of these (needs a tokenizer); the text returned and
  /// streamed ends before it.
  std::vector<std::string> stop_strings;
};

enum class StopReason { kLength, kEos, kStopString, kCallback };

inline const char* stop_reason_name(StopReason r) noexcept {
  switch (r) {
    case StopReason::kLength: return "length";
    case StopReason::kEos: return "eos";
    case StopReason::kStopString: return "stop_string";
    case StopReason::kCallback: return "callback";
  }
  return "?";
}

struct GenerationOutput {
  std::vector<std::int32_t> tokens;  ///< new tokens, including the EOS id that ended the row
  std::string text;                  ///< decoded new text (with a tokenizer), without EOS or stop string
  StopReason reason = StopReason::kLength;
};

/// (row, token, newly final text) for every generated token; return false to stop that row.
using TokenCallback = std::function<bool(std::size_t row, std::int32_t token, std::string_view text)>;

namespace detail {

/// Per-row incremental decoding: decodes the row's new tokens and releases text once it can no
/// longer change (no trailing U+FFFD of a cut UTF-8 sequence, no suffix that starts a stop string).
class TextStream {
 public:
  TextStream(const tokenizer::Tokenizer* tok, const std::vector<std::string>* stops) : tok_(tok), stops_(stops) {}

  /// Returns the newly final text after `tokens` changed; sets `stopped` when a stop string appeared.
  std::string update(const std::vector<std::int32_t>& tokens, bool final, bool& stopped) {
    stopped = false;
    if (!tok_) return {};
    tokenizer::DecodeOptions opt;
    opt.skip_special_tokens = false;
    std::string text = tok_->decode(tokens, opt);
    std::size_t stable = text.size();
    for (const auto& s : *stops_) {
      if (s.empty()) continue;
      const std::size_t at = text.find(s);
      if (at != std::string::npos && at < stable) {
        stable = at;
        stopped = true;
      }
    }
    if (stopped) {
      text.resize(stable);
    } else if (!final) {
      // Hold back a trailing replacement character (a multi-byte character cut between tokens)
      // and any suffix that is a proper prefix of a stop string.
      static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
      if (stable >= 3 && std::string_view(text).substr(stable - 3) == kReplacement) stable -= 3;
      for (const auto& s : *stops_)
        for (std::size_t len = std::min(s.size() - 1, stable); len > 0; --len)
          if (std::string_view(text).substr(stable - len, len) == std::string_view(s).substr(0, len)) {
            stable -= len;
            break;
          }
    }
    stable = std::max(stable, emitted_);
    std::string out = text.substr(emitted_, stable - emitted_);
    emitted_ = stable;
    full_ = text.substr(0, stable);
    return out;
  }
  const std::string& text() const noexcept { return full_; }

 private:
  const tokenizer::Tokenizer* tok_;
  const std::vector<std::string>* stops_;
  std::size_t emitted_ = 0;
  std::string full_;
};

}  // namespace detail

/// Generates a continuation of each prompt (token ids). `tok` (optional) enables text output,
/// streaming text and stop strings; with it, logits of ids the tokenizer does not have (padding
/// rows of a resized model) are never sampled, and a prompt holding such an id throws
/// kOutOfRange. Works on `Llama<Cpu>` and `Llama<Cuda>` alike: the model, its KV cache, the
/// logits and the sampling (`ops::sample_tokens`) stay on the device. Per generated token the
/// host sends the rows' input ids and uniform draws and gets back one id per row (on a GPU, one
/// host synchronisation per token: the host decides EOS, stop strings and streaming). The draws
/// come from one `Rng` seeded with `opt.seed`, one per sampled row in row order as `Sampler`
/// takes them, so a seed reproduces a run, and the CPU and the GPU pick the same tokens up to
/// the logits' rounding.
template <class Device>
std::vector<GenerationOutput> generate(Llama<Device>& model, const std::vector<std::vector<std::int32_t>>& prompts,
                                       const GenerationOptions& opt, const tokenizer::Tokenizer* tok = nullptr,
                                       const TokenCallback& on_token = {}) {
  DAPT_CHECK(!prompts.empty(), "generate: no prompts");
  DAPT_CHECK(opt.max_new_tokens >= 0, "generate: max_new_tokens must be non-negative, got ", opt.max_new_tokens);
  DAPT_CHECK(opt.stop_strings.empty() || tok, "generate: stop strings need a tokenizer");
  validate_sampling_options(opt.sampling);
  const std::int64_t v = model.config().vocab_size;
  const std::int64_t allowed = tok ? std::min<std::int64_t>(v, static_cast<std::int64_t>(tok->vocab_size())) : v;
  std::vector<std::int32_t> eos = opt.eos_token_ids;
  if (!opt.ignore_config_eos)
    for (auto e : model.config().eos_token_ids) eos.push_back(static_cast<std::int32_t>(e));
  std::size_t longest = 0;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    DAPT_CHECK(!prompts[i].empty(), "generate: prompt ", i, " is empty");
    // Checked here for every device: a GPU embedding kernel cannot throw for an id it does not have.
    for (std::size_t j = 0; j < prompts[i].size(); ++j) {
      const std::int32_t id = prompts[i][j];
      DAPT_CHECK_AS(kOutOfRange, id >= 0 && id < v, "generate: prompt ", i, " token ", j, " is id ", id,
                    ", outside the model's vocabulary of ", v);
      DAPT_CHECK_AS(kOutOfRange, id < allowed, "generate: prompt ", i, " token ", j, " is id ", id,
                    ", which the tokenizer (", allowed, " ids) does not have");
    }
    longest = std::max(longest, prompts[i].size());
  }
  std::vector<GenerationOutput> out(prompts.size());
  if (opt.max_new_tokens == 0) return out;
  const auto rows = static_cast<std::int64_t>(prompts.size());
  // Each row's context (prompt, then its new tokens) has room for every token it can see: a row
  // takes at most max_new_tokens - 1 appends (its first new token comes from the prefill).
  const std::int64_t capacity = static_cast<std::int64_t>(longest) + opt.max_new_tokens;
  KvCache<Device> cache(model.config(), rows, capacity, model.compute_dtype());
  Rng rng(opt.seed);
  const bool draws = draws_uniform(opt.sampling);
  std::vector<detail::TextStream> streams;
  for (std::size_t i = 0; i < prompts.size(); ++i) streams.emplace_back(tok, &opt.stop_strings);
  std::vector<char> done(prompts.size(), 0);

  // Device buffers, made once: the input ids (the longest prompt for a prefill, one id per row
  // for a decode step), the contexts the repetition penalty reads, each row's draw and token.
  auto ids = Tensor<Device>::empty({std::max(static_cast<std::int64_t>(longest), rows)}, DType::kI32);
  auto context = Tensor<Device>::empty({rows, capacity}, DType::kI32);
  auto lengths = Tensor<Device>::empty({rows}, DType::kI32);
  auto row_draws = Tensor<Device>::empty({rows}, DType::kF64);
  auto tokens = Tensor<Device>::empty({rows}, DType::kI32);
  {
    auto host_context = Tensor<Cpu>::zeros({rows, capacity}, DType::kI32);
    auto host_lengths = Tensor<Cpu>::empty({rows}, DType::kI32);
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto& p = prompts[static_cast<std::size_t>(i)];
      std::copy(p.begin(), p.end(), host_context.template data<std::int32_t>() + i * capacity);
      host_lengths.template data<std::int32_t>()[i] = static_cast<std::int32_t>(p.size());
    }
    upload(host_context.view(), context.view());
    upload(host_lengths.view(), lengths.view());
  }
  std::vector<std::int32_t> next(prompts.size(), 0);  // each row's latest token: the next step's input
  std::vector<double> u(prompts.size(), 0.0);
  std::vector<std::int32_t> picked(prompts.size(), 0);
  const TensorView<Cpu> host_u(u.data(), DType::kF64, {rows});
  const TensorView<Cpu> host_picked(picked.data(), DType::kI32, {rows});

  // Samples rows [row0, row0 + logits.dim(0)) from their logits (among the first `allowed` ids).
  auto sample = [&](const TensorView<Device>& logits, std::int64_t row0, const char* when, std::int64_t n) {
    const std::int64_t r = logits.dim(0);
    try {
      ops::sample_tokens(logits.slice(1, 0, allowed), context.view().slice(0, row0, row0 + r),
                         lengths.view().slice(0, row0, row0 + r), opt.sampling,
                         row_draws.view().slice(0, row0, row0 + r), tokens.view().slice(0, row0, row0 + r));
    } catch (const Error& e) {
      DAPT_FAIL(e.category(), "generate: ", when, " ", n, ": ", e.message());
    }
  };
  // Takes row i's token: records it, streams its text, decides whether the row stops.
  auto choose = [&](std::size_t i, std::int32_t t) {
    DAPT_CHECK_AS(kNumeric, t != kInvalidToken, "generate: row ", i, ", new token ", out[i].tokens.size(),
                  ": no token can be sampled (a NaN or +inf logit, or every candidate is -inf)");
    GenerationOutput& o = out[i];
    o.tokens.push_back(t);
    next[i] = t;
    const bool is_eos = std::find(eos.begin(), eos.end(), t) != eos.end();
    const bool at_limit = static_cast<std::int64_t>(o.tokens.size()) >= opt.max_new_tokens;
    bool stopped = false;
    std::string piece;
    if (tok) {
      std::vector<std::int32_t> visible(o.tokens.begin(), o.tokens.end() - (is_eos ? 1 : 0));
      piece = streams[i].update(visible, is_eos || at_limit, stopped);
    }
    if (on_token && !on_token(i, t, piece) && !stopped && !is_eos) {
      o.reason = StopReason::kCallback;
      done[i] = 1;
    }
    if (stopped) o.reason = StopReason::kStopString, done[i] = 1;
    else if (is_eos) o.reason = StopReason::kEos, done[i] = 1;
    else if (at_limit && !done[i]) o.reason = StopReason::kLength, done[i] = 1;
  };

  // Prefill: each prompt into its own cache row, its first new token sampled there.
  for (std::int64_t i = 0; i < rows; ++i) {
    const auto& p = prompts[static_cast<std::size_t>(i)];
    const auto len = static_cast<std::int64_t>(p.size());
    const TensorView<Device> d = ids.view().slice(0, 0, len).reshape({1, len});
    upload(TensorView<Cpu>(const_cast<std::int32_t*>(p.data()), DType::kI32, {1, len}), d);
    const TensorView<Device> logits = model.forward_cached(d, cache, i);
    u[static_cast<std::size_t>(i)] = draws ? rng.uniform_double() : 0.0;
    upload(host_u.slice(0, i, i + 1), row_draws.view().slice(0, i, i + 1));
    sample(logits, i, "prompt", i);
  }
  download(tokens.view(), host_picked);
  for (std::size_t i = 0; i < prompts.size(); ++i) choose(i, picked[i]);

  // Decode: every row steps together, one token each. Finished rows still step (feeding their
  // last token, which only repeats an id of their context) so that the batch keeps its shape;
  // their tokens are ignored and they take no draw.
  for (std::int64_t step = 1; std::find(done.begin(), done.end(), 0) != done.end(); ++step) {
    const TensorView<Device> d = ids.view().slice(0, 0, rows);
    upload(TensorView<Cpu>(next.data(), DType::kI32, {rows}), d);
    ops::append_tokens(d, context.view(), lengths.view());
    const TensorView<Device> logits = model.forward_cached(d.reshape({rows, 1}), cache, 0);
    for (std::size_t i = 0; i < prompts.size(); ++i) u[i] = draws && !done[i] ? rng.uniform_double() : 0.0;
    upload(host_u, row_draws.view());
    sample(logits, 0, "decode step", step);
    download(tokens.view(), host_picked);
    for (std::size_t i = 0; i < prompts.size(); ++i)
      if (!done[i]) choose(i, picked[i]);
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i].text = streams[i].text();
  return out;
}

/// One prompt.
template <class Device>
GenerationOutput generate(Llama<Device>& model, const std::vector<std::int32_t>& prompt, const GenerationOptions& opt,
                          const tokenizer::Tokenizer* tok = nullptr, const TokenCallback& on_token = {}) {
  return generate(model, std::vector<std::vector<std::int32_t>>{prompt}, opt, tok, on_token).front();
}

}  // namespace dapt::nn
