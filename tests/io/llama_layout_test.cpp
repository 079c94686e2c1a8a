/// @file llama_layout_test.cpp
/// @brief The expected HF tensor layout of a LLaMA config, checked against the fixture, and the
/// errors for a config that contradicts the weights (they name the tensor and both shapes).
#include "dapt/io/llama_layout.hpp"
#include "dapt_catch.hpp"

using namespace dapt::io;

namespace {
const char* kModelDir = DAPT_TEST_DATA_DIR "/fixtures/llama_tiny/model";
}

TEST_CASE("llama_layout: the fixture checkpoint matches its config", "[io][layout]") {
  const LlamaConfig c = load_llama_config(kModelDir);
  const auto expected = llama_expected_tensors(c);
  CHECK(expected.size() == 2 + 2 * 9 + 1);
  const auto ckpt = SafetensorsCheckpoint::open(kModelDir);
  CHECK_NOTHROW(check_llama_checkpoint(c, ckpt));
  std::int64_t params = 0;
  for (const auto& e : expected) params += e.shape.numel();
  CHECK(params == 320 * 64 * 2 + 64 + 2 * (2 * 64 + 64 * 64 * 2 + 32 * 64 * 2 + 3 * 176 * 64));
}

TEST_CASE("llama_layout: contradictions name the tensor and both shapes", "[io][layout]") {
  const auto ckpt = SafetensorsCheckpoint::open(kModelDir);
  LlamaConfig c = load_llama_config(kModelDir);
  c.intermediate_size = 128;
  REQUIRE_DAPT_ERROR(check_llama_checkpoint(c, ckpt), kConfig,
                     "\"model.layers.0.mlp.gate_proj.weight\" has shape (176, 64) but the config implies (128, 64)");
  c = load_llama_config(kModelDir);
  c.num_key_value_heads = 4;
  REQUIRE_DAPT_ERROR(check_llama_checkpoint(c, ckpt), kConfig, "k_proj.weight\" has shape (32, 64)");
  c = load_llama_config(kModelDir);
  c.num_hidden_layers = 3;
  REQUIRE_DAPT_ERROR(check_llama_checkpoint(c, ckpt), kConfig, "model.layers.2.input_layernorm.weight");
  c = load_llama_config(kModelDir);
  c.num_hidden_layers = 1;
  REQUIRE_DAPT_ERROR(check_llama_checkpoint(c, ckpt), kConfig, "model.layers.1.");
  c = load_llama_config(kModelDir);
  c.tie_word_embeddings = true;  // a redundant lm_head of a tied model is tolerated
  CHECK_NOTHROW(check_llama_checkpoint(c, ckpt));
  CHECK(llama_expected_tensors(c).back().name == "model.norm.weight");
}
