/// @file llama_layout.hpp
/// @brief The tensors a LLaMA checkpoint must hold, derived from its config, under Hugging Face
/// names and shapes, and a check of a checkpoint against them. It is the single place that knows
/// the HF tensor layout; loaders and tools call it so that a config contradicting the weights is
/// reported with the tensor's name and both shapes.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/io/safetensors.hpp"

namespace dapt::io {

struct ExpectedTensor {
  std::string name;
  Shape shape;
};

/// Every parameter of a LlamaForCausalLM with this config, in model order. A tied model has no
/// `lm_head.weight`.
inline std::vector<ExpectedTensor> llama_expected_tensors(const LlamaConfig& c) {
  const std::int64_t d = c.hidden_size, q = c.num_attention_heads * c.head_dim,
                     kv = c.num_key_value_heads * c.head_dim, f = c.intermediate_size;
  std::vector<ExpectedTensor> out;
  out.push_back({"model.embed_tokens.weight", {c.vocab_size, d}});
  for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    out.push_back({p + "input_layernorm.weight", {d}});
    out.push_back({p + "self_attn.q_proj.weight", {q, d}});
    out.push_back({p + "self_attn.k_proj.weight", {kv, d}});
    out.push_back({p + "self_attn.v_proj.weight", {kv, d}});
    out.push_back({p + "self_attn.o_proj.weight", {d, q}});
    if (c.attention_bias) {
      out.push_back({p + "self_attn.q_proj.bias", {q}});
      out.push_back({p + "self_attn.k_proj.bias", {kv}});
      out.push_back({p + "self_attn.v_proj.bias", {kv}});
      out.push_back({p + "self_attn.o_proj.bias", {d}});
    }
    out.push_back({p + "post_attention_layernorm.weight", {d}});
    out.push_back({p + "mlp.gate_proj.weight", {f, d}});
    out.push_back({p + "mlp.up_proj.weight", {f, d}});
    out.push_back({p + "mlp.down_proj.weight", {d, f}});
    if (c.mlp_bias) {
      out.push_back({p + "mlp.gate_proj.bias", {f}});
      out.push_back({p + "mlp.up_proj.bias", {f}});
      out.push_back({p + "mlp.down_proj.bias", {d}});
    }
  }
  out.push_back({"model.norm.weight", {d}});
  if (!c.tie_word_embeddings) out.push_back({"lm_head.weight", {c.vocab_size, d}});
  return out;
}

/// Checks that `ckpt` holds exactly the tensors `c` implies, with the same shapes, in a floating
/// dtype. Throws kConfig naming the first offending tensor (and both shapes when they differ).
/// Extra tensors are reported too, except the rotary caches some exporters keep
/// (`*.rotary_emb.inv_freq`), which are ignored, and a redundant `lm_head.weight` of a tied model.
inline void check_llama_checkpoint(const LlamaConfig& c, const SafetensorsCheckpoint& ckpt) {
  std::set<std::string> expected;
  for (const auto& e : llama_expected_tensors(c)) {
    expected.insert(e.name);
    if (!ckpt.contains(e.name))
      DAPT_FAIL(ErrorCategory::kConfig, ckpt.source(), ": tensor \"", e.name, "\" required by the config is missing");
    const TensorInfo& info = ckpt.info(e.name);
    if (!(info.shape == e.shape))
      DAPT_FAIL(ErrorCategory::kConfig, ckpt.source(), ": tensor \"", e.name, "\" has shape ", info.shape.str(),
                " but the config implies ", e.shape.str());
    if (!is_floating(info.dtype) || info.dtype == DType::kF8E4M3 || info.dtype == DType::kF8E5M2)
      DAPT_FAIL(ErrorCategory::kConfig, ckpt.source(), ": tensor \"", e.name, "\" has dtype ", dtype_name(info.dtype),
                "; expected F32, F16, BF16 or F64");
  }
  for (const auto& name : ckpt.names()) {
    if (expected.count(name)) continue;
    if (name.size() > 21 && name.compare(name.size() - 21, 21, ".rotary_emb.inv_freq") == 0) continue;
    if (c.tie_word_embeddings && name == "lm_head.weight") continue;
    DAPT_FAIL(ErrorCategory::kConfig, ckpt.source(), ": tensor \"", name,
              "\" is not part of a LLaMA model with this config (wrong num_hidden_layers or model type?)");
  }
}

}  // namespace dapt::io
