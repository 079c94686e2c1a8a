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
#include <type_traits>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/kv_cache.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/nn/sampling.hpp"
#include "dapt/ops/elementwise.hpp"
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
/// rows of a resized model) are never sampled. Works on `Llama<Cpu>` and `Llama<Cuda>` alike: the
/// model and its KV cache stay on the device, the tokens are chosen on the host.
template <class Device>
std::vector<GenerationOutput> generate(Llama<Device>& model, const std::vector<std::vector<std::int32_t>>& prompts,
                                       const GenerationOptions& opt, const tokenizer::Tokenizer* tok = nullptr,
                                       const TokenCallback& on_token = {}) {
  DAPT_CHECK(!prompts.empty(), "generate: no prompts");
  DAPT_CHECK(opt.max_new_tokens >= 0, "generate: max_new_tokens must be non-negative, got ", opt.max_new_tokens);
  DAPT_CHECK(opt.stop_strings.empty() || tok, "generate: stop strings need a tokenizer");
  const std::int64_t v = model.config().vocab_size;
  const std::int64_t allowed = tok ? std::min<std::int64_t>(v, static_cast<std::int64_t>(tok->vocab_size())) : v;
  std::vector<std::int32_t> eos = opt.eos_token_ids;
  if (!opt.ignore_config_eos)
    for (auto e : model.config().eos_token_ids) eos.push_back(static_cast<std::int32_t>(e));
  std::size_t longest = 0;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    DAPT_CHECK(!prompts[i].empty(), "generate: prompt ", i, " is empty");
    // Checked here for every device: a GPU embedding kernel cannot throw for an id it does not have.
    for (std::size_t j = 0; j < prompts[i].size(); ++j)
      DAPT_CHECK_AS(kOutOfRange, prompts[i][j] >= 0 && prompts[i][j] < v, "generate: prompt ", i, " token ", j, " is id ",
                    prompts[i][j], ", outside the model's vocabulary of ", v);
    longest = std::max(longest, prompts[i].size());
  }
  const auto rows = static_cast<std::int64_t>(prompts.size());
  KvCache<Device> cache(model.config(), rows, static_cast<std::int64_t>(longest) + std::max<std::int64_t>(opt.max_new_tokens, 1),
                        model.compute_dtype());
  Sampler sampler(opt.sampling, opt.seed);
  std::vector<GenerationOutput> out(prompts.size());
  std::vector<std::vector<std::int32_t>> context(prompts.begin(), prompts.end());
  std::vector<detail::TextStream> streams;
  for (std::size_t i = 0; i < prompts.size(); ++i) streams.emplace_back(tok, &opt.stop_strings);
  std::vector<char> done(prompts.size(), opt.max_new_tokens == 0);
  std::vector<std::int32_t> next(prompts.size(), 0);
  std::vector<float> row_logits(static_cast<std::size_t>(allowed));

  auto choose = [&](std::size_t i, const float* logits) {
    std::copy(logits, logits + allowed, row_logits.begin());
    const std::int32_t t = sampler.sample(row_logits, context[i]);
    GenerationOutput& o = out[i];
    o.tokens.push_back(t);
    context[i].push_back(t);
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

  // On a GPU the ids go up and each step's last-token logits come down (R x V floats, one
  // synchronisation per generated token; bf16 logits are widened on the device first); sampling
  // runs on the host with the same Sampler, so a seed gives the same tokens on both devices up to
  // the logits' rounding.
  Tensor<Device> dev_ids, dev_logits;
  Tensor<Cpu> host_logits;
  if constexpr (!std::is_same_v<Device, Cpu>) {
    // Room for the longest prompt (a prefill) and for one id per row (a decode step).
    dev_ids = Tensor<Device>::empty({std::max(static_cast<std::int64_t>(longest), rows)}, DType::kI32);
    if (model.compute_dtype() != DType::kF32) dev_logits = Tensor<Device>::empty({rows * v}, DType::kF32);
    host_logits = Tensor<Cpu>::empty({rows * v}, DType::kF32);
  }
  // ids (r, t) host int32 -> forward_cached on rows [row0, row0 + r) -> host logits (r, V).
  auto step = [&](const std::int32_t* ids, std::int64_t r, std::int64_t t, std::int64_t row0) -> const float* {
    const TensorView<Cpu> host_ids(const_cast<std::int32_t*>(ids), DType::kI32, {r, t});
    if constexpr (std::is_same_v<Device, Cpu>) {
      return model.forward_cached(host_ids, cache, row0).template data<const float>();
    } else {
      const TensorView<Device> d = dev_ids.view().slice(0, 0, r * t).reshape({r, t});
      upload(host_ids, d);
      const TensorView<Device> logits = model.forward_cached(d, cache, row0);
      TensorView<Device> wide = logits;
      if (logits.dtype() != DType::kF32) {
        wide = dev_logits.view().slice(0, 0, r * v).reshape({r, v});
        ops::convert(logits, wide);
      }
      const TensorView<Cpu> h = host_logits.view().slice(0, 0, r * v).reshape({r, v});
      download(wide, h);
      return h.template data<const float>();
    }
  };
  if (opt.max_new_tokens > 0) {
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto& p = prompts[static_cast<std::size_t>(i)];
      choose(static_cast<std::size_t>(i), step(p.data(), 1, static_cast<std::int64_t>(p.size()), i));
    }
    while (std::find(done.begin(), done.end(), 0) != done.end()) {
      // Finished rows still step (feeding their last token) so all rows decode as one batch;
      // their outputs are ignored.
      const float* logits = step(next.data(), rows, 1, 0);
      for (std::int64_t i = 0; i < rows; ++i)
        if (!done[static_cast<std::size_t>(i)]) choose(static_cast<std::size_t>(i), logits + i * v);
    }
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
