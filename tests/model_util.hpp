/// @file model_util.hpp
/// @brief The small LLaMA shape the training-side tests share (2 layers, d 32, GQA 4:2, the
/// vocabulary of the byte-level test tokenizer, so real text can be tokenised for it) and that
/// tokenizer, loaded once. Tests that need another shape build their own config.
#pragma once

#include "dapt/io/hf_config.hpp"
#include "dapt/tokenizer/hf_json.hpp"

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

}  // namespace dapt_test
