/// @file config_fuzz.cpp
/// @brief libFuzzer target for the Hugging Face config.json reader. Any byte string goes to
/// parse_llama_config; a config it accepts must also survive a round trip through
/// to_config_json in both layouts (legacy and transformers 5) and come back identical, since
/// that is what save_llama_config followed by load_llama_config does. Only dapt::Error is an
/// acceptable failure on the first parse; a round trip that throws or changes a field is a
/// finding (__builtin_trap), as is any other exception or sanitizer report. Doubles may move by
/// an ulp (see fuzz_util.hpp).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dapt/io/hf_config.hpp"
#include "fuzz_util.hpp"

namespace {

using dapt_fuzz::near;
using dapt_fuzz::require;

bool same(const dapt::io::RopeConfig& a, const dapt::io::RopeConfig& b) {
  return a.type == b.type && near(a.theta, b.theta) && near(a.factor, b.factor) &&
         near(a.low_freq_factor, b.low_freq_factor) && near(a.high_freq_factor, b.high_freq_factor) &&
         a.original_max_position_embeddings == b.original_max_position_embeddings;
}

bool same(const dapt::io::LlamaConfig& a, const dapt::io::LlamaConfig& b) {
  if (!(a.model_type == b.model_type && a.vocab_size == b.vocab_size && a.hidden_size == b.hidden_size &&
        a.intermediate_size == b.intermediate_size && a.num_hidden_layers == b.num_hidden_layers &&
        a.num_attention_heads == b.num_attention_heads && a.num_key_value_heads == b.num_key_value_heads &&
        a.head_dim == b.head_dim && a.max_position_embeddings == b.max_position_embeddings &&
        near(a.rms_norm_eps, b.rms_norm_eps) && same(a.rope, b.rope) && a.tie_word_embeddings == b.tie_word_embeddings &&
        a.attention_bias == b.attention_bias && a.mlp_bias == b.mlp_bias && a.hidden_act == b.hidden_act &&
        a.bos_token_id == b.bos_token_id && a.eos_token_ids == b.eos_token_ids && a.pad_token_id == b.pad_token_id &&
        a.dtype == b.dtype))
    return false;
  // Fields dapt does not interpret are written back unchanged ("architectures" may be added).
  for (const auto& kv : a.extra) {
    const auto* v = b.extra.if_contains(kv.key());
    if (!v || !near(kv.value(), *v)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dapt::io::LlamaConfig c;
  try {
    c = dapt::io::parse_llama_config(text, "fuzz/config.json");
  } catch (const dapt::Error&) {
    return 0;  // a clean rejection
  }
  (void)c.gqa_ratio();
  for (auto layout : {dapt::io::ConfigLayout::kLegacy, dapt::io::ConfigLayout::kTransformers5}) {
    const std::string written = dapt::io::to_config_json(c, layout);  // throws only on a bug: it validated
    const dapt::io::LlamaConfig back = dapt::io::parse_llama_config(written, "fuzz/roundtrip.json");
    require(same(c, back));
  }
  return 0;
}
