/// @file model_util.hpp
/// @brief What the model-side tests share: the small LLaMA shape (2 layers, d 32, GQA 4:2, the
/// vocabulary of the byte-level test tokenizer, so real text can be tokenised for it), that
/// tokenizer loaded once, a small packed corpus for it, the tiny HF fixture's directory, random
/// tensors and a tensor's floats copied out. Tests that need another shape build their own config.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/train/data.hpp"

namespace dapt_test {

/// vocab 2000 (tests/data/tokenizers/bytelevel_bpe.tokenizer.json), hidden 32, ffn 48, 2 layers,
/// 4 heads over 2 kv heads of 8, 64 positions, BOS 1, EOS 0.
inline dapt::io::LlamaConfig small_llama_config() {
  dapt::io::LlamaConfig c;
  c.vocab_size = 2000;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.max_position_embeddings = 64;
  c.rms_norm_eps = 1e-5;
  c.bos_token_id = 1;
  c.eos_token_ids = {0};
  return c;
}

/// The byte-level BPE test tokenizer (2000 ids), loaded on first use.
inline const dapt::tokenizer::Tokenizer& bytelevel_tokenizer() {
  static const dapt::tokenizer::Tokenizer tok =
      dapt::tokenizer::load_hf_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/bytelevel_bpe.tokenizer.json").tokenizer;
  return tok;
}

/// 24 short documents about clocks and latches (lengths vary by document), and the packed
/// dataset of sequences of 16 the training tests run on: EOS 0, shuffled with seed 5, the
/// `validation_fraction` held out with split seed 3.
inline std::vector<std::string> clock_tree_corpus() {
  std::vector<std::string> docs;
  for (int i = 0; i < 24; ++i) {
    std::string d = "The clock tree " + std::to_string(i % 4) + " feeds the flop";
    for (int k = 0; k < i % 3; ++k) d += " and the latch holds the data";
    docs.push_back(d);
  }
  return docs;
}
inline std::unique_ptr<dapt::train::PackedDataset> clock_tree_data(double validation_fraction = 0.0) {
  dapt::train::PackOptions o;
  o.seq_len = 16;
  o.eos_id = 0;
  o.shuffle_seed = 5;
  o.validation_fraction = validation_fraction;
  o.split_seed = 3;
  return std::make_unique<dapt::train::PackedDataset>(
      bytelevel_tokenizer(), std::vector<dapt::train::TextSource>{dapt::train::TextSource::from_texts("d", clock_tree_corpus())},
      o);
}

/// The tiny HF LLaMA fixture's model directory (config.json and safetensors).
inline std::filesystem::path tiny_llama_dir() {
  return std::filesystem::path(DAPT_TEST_DATA_DIR) / "fixtures" / "llama_tiny" / "model";
}

/// The floats of an f32 tensor, copied out.
inline std::vector<float> copy_of(const dapt::TensorView<dapt::Cpu>& t) {
  const float* p = t.data<const float>();
  return std::vector<float>(p, p + t.numel());
}

/// An f32 tensor of uniform values in [-amplitude, amplitude) from std::mt19937(seed).
inline dapt::Tensor<dapt::Cpu> uniform_tensor(dapt::Shape shape, std::uint32_t seed, float amplitude = 1.0f) {
  auto t = dapt::Tensor<dapt::Cpu>::empty(shape, dapt::DType::kF32);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-amplitude, amplitude);
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

/// An f32 tensor of normal values (mean 0, deviation `std`) from dapt::Rng(seed).
inline dapt::Tensor<dapt::Cpu> normal_tensor(dapt::Shape shape, std::uint64_t seed, float std = 1.0f) {
  auto t = dapt::Tensor<dapt::Cpu>::empty(shape, dapt::DType::kF32);
  dapt::Rng rng(seed);
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = rng.normal(0.0f, std);
  return t;
}

}  // namespace dapt_test
