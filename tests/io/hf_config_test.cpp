/// @file hf_config_test.cpp
/// @brief config.json: the fixture (transformers-5 layout), the older layout with llama3 rope
/// scaling as LLaMA 3.1 ships it, eos as a list, round trips through both writers, and an error
/// that names the field for each missing, mistyped or contradictory value.
#include <filesystem>
#include <string>

#include "dapt/io/hf_config.hpp"
#include "dapt_catch.hpp"

using dapt::io::ConfigLayout;
using dapt::io::LlamaConfig;
using dapt::io::RopeType;
using dapt::io::parse_llama_config;

namespace {

const char* kLlama31 = R"({
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "bos_token_id": 128000,
  "eos_token_id": [128001, 128008, 128009],
  "hidden_act": "silu",
  "hidden_size": 4096,
  "intermediate_size": 14336,
  "max_position_embeddings": 131072,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 32,
  "num_key_value_heads": 8,
  "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.43.0.dev0",
  "vocab_size": 128256
})";

const char* kLlama2 = R"({"architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2,
  "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 11008, "max_position_embeddings": 4096,
  "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
  "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "tie_word_embeddings": false,
  "torch_dtype": "float16", "vocab_size": 32000})";

// Replaces the first occurrence of `from` in `s`.
std::string with(std::string s, const std::string& from, const std::string& to) {
  const auto p = s.find(from);
  REQUIRE(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

}  // namespace

TEST_CASE("hf_config: the fixture config (transformers-5 layout)", "[io][config]") {
  const LlamaConfig c = dapt::io::load_llama_config(DAPT_TEST_DATA_DIR "/fixtures/llama_tiny/model");
  CHECK(c.vocab_size == 320);
  CHECK(c.hidden_size == 64);
  CHECK(c.intermediate_size == 176);
  CHECK(c.num_hidden_layers == 2);
  CHECK(c.num_attention_heads == 4);
  CHECK(c.num_key_value_heads == 2);
  CHECK(c.gqa_ratio() == 2);
  CHECK(c.head_dim == 16);
  CHECK(c.max_position_embeddings == 128);
  CHECK(c.rms_norm_eps == Approx(1e-5));
  CHECK(c.rope.type == RopeType::kDefault);
  CHECK(c.rope.theta == 10000.0);
  CHECK_FALSE(c.tie_word_embeddings);
  CHECK(c.bos_token_id == 1);
  REQUIRE(c.eos_token_ids.size() == 1);
  CHECK(c.eos_token_ids[0] == 2);
  CHECK(c.pad_token_id == 0);
  CHECK(c.dtype == "float32");
  CHECK(c.extra.contains("transformers_version"));
}

TEST_CASE("hf_config: older layout with llama3 rope scaling and an eos list", "[io][config]") {
  const LlamaConfig c = parse_llama_config(kLlama31);
  CHECK(c.rope.type == RopeType::kLlama3);
  CHECK(c.rope.theta == 500000.0);
  CHECK(c.rope.factor == 8.0);
  CHECK(c.rope.low_freq_factor == 1.0);
  CHECK(c.rope.high_freq_factor == 4.0);
  CHECK(c.rope.original_max_position_embeddings == 8192);
  CHECK(c.eos_token_ids == std::vector<std::int64_t>{128001, 128008, 128009});
  CHECK(c.head_dim == 128);
  CHECK(c.dtype == "bfloat16");

  const LlamaConfig l2 = parse_llama_config(kLlama2);
  CHECK(l2.rope.type == RopeType::kDefault);
  CHECK(l2.rope.theta == 10000.0);  // the default when absent
  CHECK(l2.num_key_value_heads == 32);
  CHECK(l2.extra.contains("pretraining_tp"));
}

TEST_CASE("hf_config: linear scaling in both layouts, and consistent duplicates are accepted", "[io][config]") {
  std::string old = with(kLlama2, R"("rope_scaling": null)", R"("rope_scaling": {"type": "linear", "factor": 4.0})");
  const LlamaConfig a = parse_llama_config(old);
  CHECK(a.rope.type == RopeType::kLinear);
  CHECK(a.rope.factor == 4.0);
  std::string both = with(kLlama2, R"("rope_scaling": null)",
                          R"("rope_theta": 10000.0, "rope_parameters": {"rope_type": "linear", "factor": 4.0, "rope_theta": 10000.0})");
  const LlamaConfig b = parse_llama_config(both);
  CHECK(b.rope == a.rope);
}

TEST_CASE("hf_config: writing and reading back gives the same config in both layouts", "[io][config]") {
  for (const char* text : {kLlama31, kLlama2}) {
    const LlamaConfig c = parse_llama_config(text);
    for (ConfigLayout layout : {ConfigLayout::kLegacy, ConfigLayout::kTransformers5}) {
      const std::string out = dapt::io::to_config_json(c, layout);
      INFO(out);
      const LlamaConfig d = parse_llama_config(out);
      CHECK(d.vocab_size == c.vocab_size);
      CHECK(d.num_key_value_heads == c.num_key_value_heads);
      CHECK(d.head_dim == c.head_dim);
      CHECK(d.rope == c.rope);
      CHECK(d.eos_token_ids == c.eos_token_ids);
      CHECK(d.bos_token_id == c.bos_token_id);
      CHECK(d.rms_norm_eps == c.rms_norm_eps);
      CHECK(d.dtype == c.dtype);
      CHECK(d.extra == c.extra);
      CHECK(dapt_test::contains(out, layout == ConfigLayout::kLegacy ? "\"rope_theta\"" : "\"rope_parameters\""));
    }
  }
  const auto dir = std::filesystem::temp_directory_path() / "dapt_hf_config_test";
  std::filesystem::create_directories(dir);
  dapt::io::save_llama_config(dir / "config.json", parse_llama_config(kLlama31));
  CHECK(dapt::io::load_llama_config(dir).rope.type == RopeType::kLlama3);
  std::filesystem::remove_all(dir);
}

TEST_CASE("hf_config: missing, mistyped and contradictory fields are named", "[io][config]") {
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("vocab_size": 32000)", R"("vocab": 32000)")), kConfig,
                     "\"vocab_size\" is missing");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("vocab_size": 32000)", R"("vocab_size": "32000")")), kConfig,
                     "\"vocab_size\" must be an integer");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("hidden_size": 4096)", R"("hidden_size": 40.5)")), kConfig,
                     "hidden_size");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("num_hidden_layers": 32)", R"("num_hidden_layers": -1)")),
                     kConfig, "num_hidden_layers");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("num_key_value_heads": 32)", R"("num_key_value_heads": 5)")),
                     kConfig, "not a multiple of num_key_value_heads");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("hidden_size": 4096)", R"("hidden_size": 4095)")), kConfig,
                     "no head_dim");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("eos_token_id": 2)", R"("eos_token_id": [2, "x"])")), kConfig,
                     "eos_token_id");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("eos_token_id": 2)", R"("eos_token_id": 32000)")), kConfig,
                     "outside the vocabulary");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama31, R"("rope_theta": 500000.0)",
                                             R"("rope_theta": 500000.0, "rope_parameters": {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})")),
                     kConfig, "contradicts");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama31, R"("factor": 8.0, )", "")), kConfig, "\"factor\" is missing");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama31, R"("torch_dtype": "bfloat16")",
                                             R"("torch_dtype": "bfloat16", "dtype": "float16")")),
                     kConfig, "contradicts");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama31, R"("high_freq_factor": 4.0)", R"("high_freq_factor": 0.5)")),
                     kConfig, "low_freq_factor");
  REQUIRE_DAPT_ERROR(parse_llama_config("[1, 2]"), kConfig, "JSON object");
  REQUIRE_DAPT_ERROR(parse_llama_config("{\"vocab_size\": 3"), kFormat, "invalid JSON");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("vocab_size": 32000)", R"("vocab_size": 32000, "vocab_size": 7)")),
                     kFormat, "duplicate JSON key");
  REQUIRE_DAPT_ERROR(dapt::io::load_llama_config("/nonexistent/dapt/config.json"), kIo, "cannot open");
}

TEST_CASE("hf_config: unsupported features are refused by name", "[io][config]") {
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("rope_scaling": null)",
                                             R"("rope_scaling": {"type": "dynamic", "factor": 2.0})")),
                     kUnsupported, "\"dynamic\"");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("rope_scaling": null)",
                                             R"("rope_parameters": {"rope_type": "yarn", "factor": 2.0})")),
                     kUnsupported, "\"yarn\"");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("hidden_act": "silu")", R"("hidden_act": "gelu")")),
                     kUnsupported, "gelu");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("model_type": "llama")", R"("model_type": "gpt2")")),
                     kUnsupported, "gpt2");
  REQUIRE_DAPT_ERROR(parse_llama_config(with(kLlama2, R"("rope_scaling": null)",
                                             R"("rope_parameters": {"full_attention": {"rope_type": "default"}})")),
                     kUnsupported, "per-layer-type");
}
