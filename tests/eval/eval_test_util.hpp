/// @file eval_test_util.hpp
/// @brief What the eval tests share: the tiny LLaMA fixture, a byte-level BPE trained on a small
/// corpus with a vocabulary that fits the fixture's 320 ids, and the brute-force reference: the
/// log-probability of tokens computed from `forward()` logits of one unpadded row with a
/// log-softmax in double, independent of the code under test.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/tokenizer/trainer.hpp"

namespace eval_test {

using dapt::Cpu;
using dapt::tokenizer::TokenId;

inline std::filesystem::path fixture_dir() {
  return std::filesystem::path(DAPT_TEST_DATA_DIR) / "fixtures" / "llama_tiny";
}

inline std::unique_ptr<dapt::nn::Llama<Cpu>> tiny_model() { return dapt::io::load_llama(fixture_dir() / "model"); }

/// A small English corpus in which " the", " cat", " dog" and " sun" are frequent enough to
/// become single tokens.
inline std::vector<std::string> corpus() {
  std::vector<std::string> docs;
  const char* lines[] = {
      "the cat sat on the mat and the dog sat on the rug.",
      "the sun is hot; the cat and the dog sleep in the sun.",
      "a red cat, a blue dog, the sun and the moon.",
      "the clock gates the flop and the reset drives the cell.",
      "is the sun red? the cat says yes, the dog says no.",
  };
  for (int i = 0; i < 40; ++i)
    for (const char* l : lines) docs.emplace_back(l);
  return docs;
}

/// A byte-level BPE (LLaMA-3 pre-tokenizer) of 300 ids: 1 special, 256 bytes, 43 merges.
inline dapt::tokenizer::Tokenizer tiny_tokenizer() {
  dapt::tokenizer::TrainerOptions o = dapt::tokenizer::TrainerOptions::byte_level(300);
  o.special_tokens = {"<|endoftext|>"};
  o.threads = 1;
  dapt::tokenizer::BpeTrainer trainer(o);
  for (const auto& d : corpus()) trainer.feed(d);
  return trainer.train();
}

/// log p(token | previous) in double for every position of one row of logits (V floats).
inline double log_prob(const float* logits, std::int64_t v, TokenId target) {
  double m = logits[0];
  for (std::int64_t i = 1; i < v; ++i) m = std::max(m, static_cast<double>(logits[i]));
  double s = 0;
  for (std::int64_t i = 0; i < v; ++i) s += std::exp(static_cast<double>(logits[i]) - m);
  return static_cast<double>(logits[target]) - m - std::log(s);
}

/// The index of the largest logit, the first one on ties.
inline TokenId argmax(const float* logits, std::int64_t v) {
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < v; ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<TokenId>(best);
}

/// Runs `ids` as one (1, T) row through `model.forward` and returns the (T, V) logits, copied.
inline std::vector<float> row_logits(dapt::nn::Llama<Cpu>& model, std::vector<TokenId> ids) {
  const auto t = static_cast<std::int64_t>(ids.size());
  const dapt::TensorView<Cpu> in(ids.data(), dapt::DType::kI32, {1, t});
  const dapt::TensorView<Cpu> logits = model.forward(in);
  const float* p = logits.data<const float>();
  return std::vector<float>(p, p + logits.numel());
}

}  // namespace eval_test
