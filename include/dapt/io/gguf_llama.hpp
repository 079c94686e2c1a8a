/// @file gguf_llama.hpp
/// @brief LLaMA models in GGUF files, as dapt sees a Hugging Face checkpoint: tensors under HF
/// names and shapes, dequantised to float32; the hyper-parameters as a LlamaConfig; the embedded
/// tokenizer as a dapt Tokenizer. And the way back, for writing a LlamaConfig and HF tensors into
/// a GgufWriter.
///
/// llama.cpp's converter (convert_hf_to_gguf.py, LlamaModel.permute) reorders the rows of the Q
/// and K projections from HF's rotate-half rotary layout to the interleaved one llama.cpp
/// computes with: within each head of d rows, HF row s*d/2 + i becomes GGUF row 2i + s. The
/// loader undoes it, so the tensors it returns equal the HF ones exactly (for F32 files), and
/// add_llama_tensor applies it.
///
/// Embedded tokenizers: `tokenizer.ggml.model` "llama" (SentencePiece: pieces, scores and types)
/// is rebuilt as a SentencePiece BPE model and goes through tokenizer_from_sentencepiece, the
/// same path as a `.model` file; "gpt2" (byte-level BPE: tokens and merges) gets the
/// pre-tokenizer named by `tokenizer.ggml.pre` when it is one dapt implements exactly ("llama-bpe"
/// and its aliases, "gpt-2", "smollm"). Anything else is refused by name (kUnsupported).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/gguf.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/io/llama_layout.hpp"
#include "dapt/tokenizer/builders.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt/tokenizer/sentencepiece_model.hpp"
#include "dapt/tokenizer/tokenizer.hpp"

namespace dapt::io {

namespace detail {

/// Per-layer tensors: GGUF suffix after "blk.N." and HF suffix after "model.layers.N.".
struct LlamaLayerName {
  std::string_view gguf;
  std::string_view hf;
};
inline constexpr LlamaLayerName kLlamaLayerNames[] = {
    {"attn_norm.weight", "input_layernorm.weight"},
    {"attn_q.weight", "self_attn.q_proj.weight"},
    {"attn_k.weight", "self_attn.k_proj.weight"},
    {"attn_v.weight", "self_attn.v_proj.weight"},
    {"attn_output.weight", "self_attn.o_proj.weight"},
    {"attn_q.bias", "self_attn.q_proj.bias"},
    {"attn_k.bias", "self_attn.k_proj.bias"},
    {"attn_v.bias", "self_attn.v_proj.bias"},
    {"attn_output.bias", "self_attn.o_proj.bias"},
    {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"ffn_gate.weight", "mlp.gate_proj.weight"},
    {"ffn_up.weight", "mlp.up_proj.weight"},
    {"ffn_down.weight", "mlp.down_proj.weight"},
    {"ffn_gate.bias", "mlp.gate_proj.bias"},
    {"ffn_up.bias", "mlp.up_proj.bias"},
    {"ffn_down.bias", "mlp.down_proj.bias"},
};
inline constexpr LlamaLayerName kLlamaGlobalNames[] = {
    {"token_embd.weight", "model.embed_tokens.weight"},
    {"output_norm.weight", "model.norm.weight"},
    {"output.weight", "lm_head.weight"},
};

/// Splits "<prefix><layer>.<rest>" with a canonical decimal layer number (no sign, no leading
/// zero), so that each name has exactly one counterpart.
inline std::optional<std::pair<std::string_view, std::string_view>> split_layer(std::string_view name,
                                                                              std::string_view prefix) {
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  name.remove_prefix(prefix.size());
  const auto dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 9) return std::nullopt;
  const std::string_view num = name.substr(0, dot);
  for (char ch : num)
    if (ch < '0' || ch > '9') return std::nullopt;
  if (num.size() > 1 && num[0] == '0') return std::nullopt;
  return std::make_pair(num, name.substr(dot + 1));
}

/// Whether an HF tensor gets llama.cpp's rotary row permutation, and with how many heads.
inline std::optional<std::int64_t> llama_permute_heads(std::string_view hf_name, const LlamaConfig& c) {
  auto ends_with = [&](std::string_view s) {
    return hf_name.size() >= s.size() && hf_name.substr(hf_name.size() - s.size()) == s;
  };
  if (ends_with("self_attn.q_proj.weight") || ends_with("self_attn.q_proj.bias")) return c.num_attention_heads;
  if (ends_with("self_attn.k_proj.weight") || ends_with("self_attn.k_proj.bias")) return c.num_key_value_heads;
  return std::nullopt;
}

/// Moves rows between HF order and llama.cpp's rotary order: `rows` rows of `width` floats in
/// `n_head` heads. Within a head of d rows, HF row s*d/2 + i is GGUF row 2i + s.
inline void llama_rope_permute(const float* src, float* dst, std::int64_t rows, std::int64_t width, std::int64_t n_head,
                               bool hf_to_gguf, std::string_view name) {
  if (n_head <= 0 || rows % n_head != 0 || (rows / n_head) % 2 != 0)
    DAPT_FAIL(ErrorCategory::kConfig, "tensor \"", name, "\" has ", rows, " rows, which do not split into ", n_head,
              " heads of an even size");
  const std::int64_t d = rows / n_head, half = d / 2;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t h = r / d, w = r % d, s = w / half, i = w % half;
    const std::int64_t g = h * d + 2 * i + s;
    const std::int64_t from = hf_to_gguf ? r : g, to = hf_to_gguf ? g : r;
    std::memcpy(dst + to * width, src + from * width, static_cast<std::size_t>(width) * sizeof(float));
  }
}

/// llama.cpp's LLaMA-3 rope frequency factors (convert_hf_to_gguf.py, LlamaModel), one per pair
/// of rotary dimensions.
inline std::vector<double> llama3_rope_factors(const RopeConfig& r, std::int64_t head_dim) {
  constexpr double kPi = 3.14159265358979323846;
  std::vector<double> out;
  const double low_wavelen = static_cast<double>(r.original_max_position_embeddings) / r.low_freq_factor;
  const double high_wavelen = static_cast<double>(r.original_max_position_embeddings) / r.high_freq_factor;
  for (std::int64_t i = 0; i < head_dim; i += 2) {
    const double freq = 1.0 / std::pow(r.theta, static_cast<double>(i) / static_cast<double>(head_dim));
    const double wavelen = 2 * kPi / freq;
    if (wavelen < high_wavelen) {
      out.push_back(1.0);
    } else if (wavelen > low_wavelen) {
      out.push_back(r.factor);
    } else {
      const double smooth = (static_cast<double>(r.original_max_position_embeddings) / wavelen - r.low_freq_factor) /
                            (r.high_freq_factor - r.low_freq_factor);
      out.push_back(1.0 / ((1 - smooth) / r.factor + smooth));
    }
  }
  return out;
}

inline std::int64_t gguf_positive(const GgufFile& f, std::string_view key, std::uint64_t v) {
  if (v == 0 || v > (std::uint64_t{1} << 40))
    DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": GGUF key \"", key, "\" is ", v, ", outside 1..2^40");
  return static_cast<std::int64_t>(v);
}

/// A key that some models store as a per-layer array: dapt needs one value for all layers.
inline std::optional<std::uint64_t> gguf_uniform_uint(const GgufFile& f, const std::string& key) {
  if (const GgufValue* v = f.find(key); v && v->is_array())
    DAPT_FAIL(ErrorCategory::kUnsupported, f.source(), ": GGUF key \"", key,
              "\" is a per-layer array; models whose layers differ in shape are not supported");
  return f.get_uint(key);
}

}  // namespace detail

/// The GGUF name of an HF LLaMA tensor ("model.layers.3.mlp.up_proj.weight" -> "blk.3.ffn_up.weight"),
/// or nullopt when the name is not part of a LLaMA model.
inline std::optional<std::string> llama_gguf_tensor_name(std::string_view hf) {
  for (const auto& g : detail::kLlamaGlobalNames)
    if (hf == g.hf) return std::string(g.gguf);
  if (const auto parts = detail::split_layer(hf, "model.layers."))
    for (const auto& l : detail::kLlamaLayerNames)
      if (parts->second == l.hf) return "blk." + std::string(parts->first) + "." + std::string(l.gguf);
  return std::nullopt;
}

/// The HF name of a GGUF LLaMA tensor ("blk.3.attn_output.weight" -> "model.layers.3.self_attn.o_proj.weight").
inline std::optional<std::string> llama_hf_tensor_name(std::string_view gguf) {
  for (const auto& g : detail::kLlamaGlobalNames)
    if (gguf == g.gguf) return std::string(g.hf);
  if (const auto parts = detail::split_layer(gguf, "blk."))
    for (const auto& l : detail::kLlamaLayerNames)
      if (parts->second == l.gguf) return "model.layers." + std::string(parts->first) + "." + std::string(l.hf);
  return std::nullopt;
}

/// The hyper-parameters of a LLaMA GGUF (general.architecture "llama"), validated against its
/// tensors: missing keys are kConfig naming the key, features dapt does not implement (partial
/// rotary, YaRN, per-layer shapes) kUnsupported. vocab_size is the row count of token_embd.
/// Token ids come from the tokenizer keys; the LLaMA-3 frequency scaling, which GGUF stores as
/// the tensor rope_freqs.weight, is recognised when it matches llama3 rope scaling exactly.
inline LlamaConfig gguf_llama_config(const GgufFile& f) {
  const std::string arch = f.require_string("general.architecture");
  if (arch != "llama")
    DAPT_FAIL(ErrorCategory::kUnsupported, f.source(), ": general.architecture is \"", arch,
              "\"; only \"llama\" models are supported");
  const std::string p = "llama.";
  auto req = [&](const std::string& key) {
    const auto v = detail::gguf_uniform_uint(f, key);
    if (!v) DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": required GGUF key \"", key, "\" is missing");
    return detail::gguf_positive(f, key, *v);
  };
  LlamaConfig c;
  c.hidden_size = req(p + "embedding_length");
  c.intermediate_size = req(p + "feed_forward_length");
  c.num_hidden_layers = req(p + "block_count");
  c.num_attention_heads = req(p + "attention.head_count");
  c.max_position_embeddings = req(p + "context_length");
  if (detail::gguf_uniform_uint(f, p + "attention.head_count_kv"))
    c.num_key_value_heads = req(p + "attention.head_count_kv");
  else
    c.num_key_value_heads = c.num_attention_heads;
  const auto key_length = f.get_uint(p + "attention.key_length");
  const auto value_length = f.get_uint(p + "attention.value_length");
  if (key_length && value_length && *key_length != *value_length)
    DAPT_FAIL(ErrorCategory::kUnsupported, f.source(), ": attention.key_length (", *key_length,
              ") differs from attention.value_length (", *value_length, ")");
  if (key_length) {
    c.head_dim = detail::gguf_positive(f, p + "attention.key_length", *key_length);
  } else {
    if (c.hidden_size % c.num_attention_heads != 0)
      DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": embedding_length (", c.hidden_size,
                ") is not a multiple of attention.head_count (", c.num_attention_heads, ") and no key_length is given");
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  if (const auto rot = f.get_uint(p + "rope.dimension_count"); rot && static_cast<std::int64_t>(*rot) != c.head_dim)
    DAPT_FAIL(ErrorCategory::kUnsupported, f.source(), ": rope.dimension_count (", *rot, ") differs from the head size (",
              c.head_dim, "); partial rotary embeddings are not supported");
  const std::string eps_key = p + "attention.layer_norm_rms_epsilon";
  c.rms_norm_eps = f.require_float(eps_key);
  c.rope.theta = f.get_float(p + "rope.freq_base").value_or(10000.0);

  const std::string scaling = f.get_string(p + "rope.scaling.type").value_or("none");
  if (scaling == "linear") {
    c.rope.type = RopeType::kLinear;
    c.rope.factor = f.require_float(p + "rope.scaling.factor");
  } else if (scaling != "none") {
    DAPT_FAIL(ErrorCategory::kUnsupported, f.source(), ": rope scaling \"", scaling,
              "\" is not supported (supported: none, linear, and llama3 through rope_freqs.weight)");
  } else if (const auto legacy = f.get_float(p + "rope.scale_linear"); legacy && *legacy != 1.0) {
    c.rope.type = RopeType::kLinear;  // the key older converters wrote
    c.rope.factor = *legacy;
  }
  if (f.has_tensor("rope_freqs.weight")) {
    const GgufTensorInfo& t = f.tensor_info("rope_freqs.weight");
    if (c.rope.type != RopeType::kDefault)
      DAPT_FAIL(ErrorCategory::kUnsupported, f.source(), ": rope_freqs.weight together with rope scaling \"", scaling, "\"");
    if (!(t.shape() == Shape{c.head_dim / 2}))
      DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": rope_freqs.weight has shape ", t.shape().str(), ", expected (",
                c.head_dim / 2, ")");
    const Tensor<Cpu> factors = f.dequantize("rope_freqs.weight");
    const float* fv = factors.data<float>();
    RopeConfig r = c.rope;
    r.type = RopeType::kLlama3;
    r.factor = fv[c.head_dim / 2 - 1];
    r.low_freq_factor = 1.0;
    r.high_freq_factor = 4.0;
    r.original_max_position_embeddings =
        static_cast<std::int64_t>(f.get_uint(p + "rope.scaling.original_context_length").value_or(8192));
    const auto want = detail::llama3_rope_factors(r, c.head_dim);
    bool same = r.factor >= 1.0;
    for (std::size_t i = 0; i < want.size() && same; ++i)
      same = std::abs(static_cast<double>(fv[i]) - want[i]) <= 1e-5 * std::max(1.0, want[i]);
    if (!same)
      DAPT_FAIL(ErrorCategory::kUnsupported, f.source(), ": rope_freqs.weight does not match LLaMA-3 rope scaling (factor ",
                r.factor, ", low_freq_factor 1, high_freq_factor 4, original context ",
                r.original_max_position_embeddings, "); other frequency factors are not supported");
    if (!(r.factor == 1.0)) c.rope = r;
  }

  if (!f.has_tensor("token_embd.weight"))
    DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": tensor \"token_embd.weight\" is missing");
  const GgufTensorInfo& emb = f.tensor_info("token_embd.weight");
  if (emb.n_dims != 2)
    DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": token_embd.weight has shape ", emb.shape().str(), "; expected a matrix");
  c.vocab_size = emb.ne[1];
  if (const auto v = f.get_uint(p + "vocab_size"); v && static_cast<std::int64_t>(*v) != c.vocab_size)
    DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": llama.vocab_size (", *v, ") contradicts token_embd.weight, which has ",
              c.vocab_size, " rows");
  c.tie_word_embeddings = !f.has_tensor("output.weight");
  c.attention_bias = f.has_tensor("blk.0.attn_q.bias");
  c.mlp_bias = f.has_tensor("blk.0.ffn_gate.bias");
  c.dtype = "float32";
  auto id = [&](const char* key) -> std::optional<std::int64_t> {
    if (const auto v = f.get_uint(key)) return static_cast<std::int64_t>(std::min<std::uint64_t>(*v, 1ull << 40));
    return std::nullopt;
  };
  c.bos_token_id = id("tokenizer.ggml.bos_token_id");
  c.pad_token_id = id("tokenizer.ggml.padding_token_id");
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"})
    if (const auto e = id(key); e && std::find(c.eos_token_ids.begin(), c.eos_token_ids.end(), *e) == c.eos_token_ids.end())
      c.eos_token_ids.push_back(*e);
  c.validate(f.source());
  // Each layer has at least 9 tensors: check before listing them, so a lying block_count cannot
  // make the list below huge.
  if (static_cast<std::uint64_t>(c.num_hidden_layers) > f.size() / 9)
    DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": llama.block_count is ", c.num_hidden_layers, " but the file has only ",
              f.size(), " tensors");

  // The tensors must be exactly those of a LLaMA with this config.
  std::set<std::string> expected;
  for (const auto& e : llama_expected_tensors(c)) {
    const std::string g = *llama_gguf_tensor_name(e.name);
    expected.insert(g);
    if (!f.has_tensor(g))
      DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": tensor \"", g, "\" (", e.name, ") required by the config is missing");
    const Shape s = f.tensor_info(g).shape();
    if (!(s == e.shape))
      DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": tensor \"", g, "\" (", e.name, ") has shape ", s.str(),
                " but the config implies ", e.shape.str());
  }
  for (const auto& t : f.tensors())
    if (!expected.count(t.name) && t.name != "rope_freqs.weight")
      DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": tensor \"", t.name,
                "\" is not part of a LLaMA model with this config (wrong block_count or architecture?)");
  return c;
}

/// What the tokenizer keys of a GGUF file say besides the vocabulary.
struct GgufTokenizerInfo {
  std::string model;  ///< tokenizer.ggml.model: "llama" (SentencePiece) or "gpt2" (byte-level BPE)
  std::string pre;    ///< tokenizer.ggml.pre ("" when absent)
  std::optional<tokenizer::TokenId> bos, eos, unk, pad;
  bool add_bos = false;  ///< whether encode(add_special_tokens) prepends bos
  bool add_eos = false;
  std::optional<std::string> chat_template;  ///< tokenizer.chat_template
};

namespace detail {

/// GGUF token types (llama_token_type): the SentencePiece piece types, plus 0 for "undefined".
inline tokenizer::SpmPieceType gguf_piece_type(const GgufFile& f, std::int64_t type, std::size_t id) {
  if (type == 0) return tokenizer::SpmPieceType::kNormal;
  if (type < 1 || type > 6)
    DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": tokenizer.ggml.token_type[", id, "] is ", type,
              ", not a token type (0..6)");
  return static_cast<tokenizer::SpmPieceType>(type);
}

inline tokenizer::Tokenizer gguf_spm_tokenizer(const GgufFile& f, const std::vector<std::string>& tokens,
                                               const std::vector<std::int64_t>& types) {
  using namespace tokenizer;
  std::vector<double> scores;
  if (const auto s = f.get_array("tokenizer.ggml.scores")) scores = s->floats();
  if (!scores.empty() && scores.size() != tokens.size())
    DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": tokenizer.ggml.scores has ", scores.size(), " entries for ",
              tokens.size(), " tokens");
  std::vector<SpmPiece> pieces;
  pieces.reserve(tokens.size());
  std::unordered_map<std::string_view, std::size_t> seen;
  seen.reserve(tokens.size());
  bool all_bytes = true;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].empty()) DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": token ", i, " is empty");
    if (const auto bad = first_invalid_utf8(tokens[i]))
      DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": token ", i, " is not valid UTF-8 (byte ", *bad, ")");
    if (const auto [it, fresh] = seen.emplace(tokens[i], i); !fresh)
      DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": tokens ", it->second, " and ", i, " are both ",
                tokenizer::detail::spm_quote(tokens[i]));
    const SpmPieceType t = types.empty() ? SpmPieceType::kNormal : gguf_piece_type(f, types[i], i);
    pieces.emplace_back(tokens[i], scores.empty() ? 0.0f : static_cast<float>(scores[i]), t);
  }
  for (int b = 0; b < 256 && all_bytes; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const auto it = seen.find(name);
    all_bytes = it != seen.end() && pieces[it->second].type == SpmPieceType::kByte;
  }
  SpmModel spm(std::move(pieces));
  spm.trainer_spec.model_type = SpmModelType::kBpe;
  spm.trainer_spec.byte_fallback = all_bytes;
  spm.trainer_spec.vocab_size = static_cast<std::int32_t>(tokens.size());
  spm.normalizer_spec.name = "identity";
  spm.normalizer_spec.add_dummy_prefix = f.get_bool("tokenizer.ggml.add_space_prefix").value_or(true);
  spm.normalizer_spec.remove_extra_whitespaces = f.get_bool("tokenizer.ggml.remove_extra_whitespaces").value_or(false);
  spm.normalizer_spec.escape_whitespaces = true;
  return tokenizer_from_sentencepiece(spm, f.source());
}

inline tokenizer::Tokenizer gguf_bpe_tokenizer(const GgufFile& f, const std::vector<std::string>& tokens,
                                               const std::vector<std::int64_t>& types, const std::string& pre) {
  using namespace tokenizer;
  TokenizerParts parts;
  BpeOptions options;
  options.alphabet = BpeAlphabet::kBytes;
  if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe") {
    options.ignore_merges = true;
    parts.pre_tokenizer = byte_level_pre_tokenizer(SplitRegex::kLlama3);
  } else if (pre == "gpt-2" || pre == "gpt2") {
    parts.pre_tokenizer = byte_level_pre_tokenizer(SplitRegex::kGpt2);
  } else if (pre == "smollm") {
    // llama.cpp splits on \p{N} and then the GPT-2 regex: HF's Digits(individual_digits) + ByteLevel.
    parts.pre_tokenizer.steps.push_back(DigitsStep{true});
    parts.pre_tokenizer.steps.push_back(ByteLevelStep{false, true, true});
  } else {
    DAPT_FAIL(ErrorCategory::kUnsupported, f.source(), ": byte-level BPE pre-tokenizer \"", pre.empty() ? "default" : pre,
              "\" (tokenizer.ggml.pre) is not supported; supported: llama-bpe (llama3, llama-v3), gpt-2, smollm");
  }
  if (f.get_bool("tokenizer.ggml.add_space_prefix").value_or(false))
    DAPT_FAIL(ErrorCategory::kUnsupported, f.source(), ": tokenizer.ggml.add_space_prefix with a byte-level BPE tokenizer");

  // Tokens are stored in the byte-level character form of tokenizer.json; dapt's BPE works on bytes.
  std::vector<std::string> raw(tokens.size());
  std::unordered_map<std::string_view, TokenId> ids;
  ids.reserve(tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (const auto [it, fresh] = ids.emplace(tokens[i], static_cast<TokenId>(i)); !fresh && !tokens[i].empty())
      DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": tokens ", it->second, " and ", i, " are both \"", tokens[i], "\"");
    const auto bytes = byte_level_to_bytes(tokens[i]);
    raw[i] = bytes ? *bytes : tokens[i];  // unmappable: reachable only as an added token
    const SpmPieceType t = types.empty() ? SpmPieceType::kNormal : gguf_piece_type(f, types[i], i);
    if (t == SpmPieceType::kControl || t == SpmPieceType::kUserDefined) {
      AddedToken a;
      a.id = static_cast<TokenId>(i);
      a.content = tokens[i];
      a.normalized = false;
      a.special = t == SpmPieceType::kControl;
      parts.added_tokens.push_back(std::move(a));
    }
  }
  const GgufArray merge_array = f.require_array("tokenizer.ggml.merges");
  if (merge_array.type() != GgufValueType::kString)
    DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": tokenizer.ggml.merges holds ", gguf_value_type_name(merge_array.type()),
              ", expected strings");
  const std::vector<std::string> merge_text = merge_array.strings();
  std::vector<std::pair<TokenId, TokenId>> merges;
  merges.reserve(merge_text.size());
  for (std::size_t i = 0; i < merge_text.size(); ++i) {
    const std::string& m = merge_text[i];
    const auto sp = m.find(' ');
    if (sp == std::string::npos || m.find(' ', sp + 1) != std::string::npos)
      DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": merge ", i, " \"", m, "\" is not two tokens separated by one space");
    const auto a = ids.find(std::string_view(m).substr(0, sp));
    const auto b = ids.find(std::string_view(m).substr(sp + 1));
    if (a == ids.end() || b == ids.end())
      DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": merge ", i, " \"", m, "\" uses a token that is not in the vocabulary");
    merges.emplace_back(a->second, b->second);
  }
  parts.model = BpeModel(std::move(raw), merges, options);
  parts.decoder.steps.push_back(ByteLevelDecodeStep{});
  return Tokenizer(std::move(parts));
}

}  // namespace detail

/// The tokenizer embedded in a GGUF file, or nullopt when it has none (no tokenizer.ggml.model,
/// or "none"/"no_vocab"). `info`, when given, receives the model type, pre-tokenizer and special
/// ids. kUnsupported for tokenizer models other than "llama" and "gpt2" and for pre-tokenizers
/// dapt does not implement; kFormat for an inconsistent vocabulary.
inline std::optional<tokenizer::Tokenizer> gguf_tokenizer(const GgufFile& f, GgufTokenizerInfo* info = nullptr) {
  using namespace tokenizer;
  GgufTokenizerInfo local;
  GgufTokenizerInfo& in = info ? *info : local;
  in = GgufTokenizerInfo{};
  const auto model = f.get_string("tokenizer.ggml.model");
  if (!model || *model == "none" || *model == "no_vocab") return std::nullopt;
  in.model = *model;
  in.pre = f.get_string("tokenizer.ggml.pre").value_or("");
  in.chat_template = f.get_string("tokenizer.chat_template");
  if (in.model != "llama" && in.model != "gpt2")
    DAPT_FAIL(ErrorCategory::kUnsupported, f.source(), ": tokenizer model \"", in.model,
              "\" (tokenizer.ggml.model) is not supported; supported: llama (SentencePiece), gpt2 (byte-level BPE)");

  const GgufArray token_array = f.require_array("tokenizer.ggml.tokens");
  if (token_array.type() != GgufValueType::kString)
    DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": tokenizer.ggml.tokens holds ", gguf_value_type_name(token_array.type()),
              ", expected strings");
  if (token_array.size() == 0 || token_array.size() >= (std::uint64_t{1} << 31))
    DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": tokenizer.ggml.tokens has ", token_array.size(), " tokens");
  const std::vector<std::string> tokens = token_array.strings();
  std::vector<std::int64_t> types;
  if (const auto t = f.get_array("tokenizer.ggml.token_type")) {
    types = t->ints();
    if (types.size() != tokens.size())
      DAPT_FAIL(ErrorCategory::kFormat, f.source(), ": tokenizer.ggml.token_type has ", types.size(), " entries for ",
                tokens.size(), " tokens");
  }
  auto special = [&](const char* key) -> std::optional<TokenId> {
    const auto v = f.get_uint(key);
    if (!v) return std::nullopt;
    if (*v >= tokens.size())
      DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": ", key, " = ", *v, " is outside the vocabulary of ", tokens.size());
    return static_cast<TokenId>(*v);
  };
  in.bos = special("tokenizer.ggml.bos_token_id");
  in.eos = special("tokenizer.ggml.eos_token_id");
  in.unk = special("tokenizer.ggml.unknown_token_id");
  in.pad = special("tokenizer.ggml.padding_token_id");
  // llama.cpp's defaults: SentencePiece models prepend BOS, byte-level ones do not.
  in.add_bos = f.get_bool("tokenizer.ggml.add_bos_token").value_or(in.model == "llama");
  in.add_eos = f.get_bool("tokenizer.ggml.add_eos_token").value_or(false);

  Tokenizer tok = in.model == "llama" ? detail::gguf_spm_tokenizer(f, tokens, types)
                                      : detail::gguf_bpe_tokenizer(f, tokens, types, in.pre);
  if (!in.add_bos && !in.add_eos) return tok;
  TokenizerParts parts = tok.parts();
  PostProcessor& post = parts.post_processor;
  auto add = [&](std::optional<TokenId> id, const char* what) {
    if (!id) DAPT_FAIL(ErrorCategory::kConfig, f.source(), ": tokenizer.ggml.add_", what, "_token is set but tokenizer.ggml.",
                       what, "_token_id is missing");
    const std::string& name = tokens[static_cast<std::size_t>(*id)];
    post.special_tokens[name] = {*id};
    post.single.push_back(PostProcessor::Special{name});
  };
  if (in.add_bos) add(in.bos, "bos");
  post.single.push_back(PostProcessor::Sequence{});
  if (in.add_eos) add(in.eos, "eos");
  return Tokenizer(std::move(parts));
}

/// A LLaMA model in a GGUF file, seen as an HF checkpoint. Tensors are dequantised on demand.
struct GgufLlama {
  GgufFile file;
  LlamaConfig config;
  std::optional<tokenizer::Tokenizer> tokenizer;  ///< absent when the file embeds none
  GgufTokenizerInfo tokenizer_info;

  /// HF tensor names in model order (llama_expected_tensors).
  std::vector<std::string> tensor_names() const {
    std::vector<std::string> out;
    for (const auto& e : llama_expected_tensors(config)) out.push_back(e.name);
    return out;
  }

  /// The float32 tensor `hf_name` in HF shape, exactly as in the HF checkpoint the file was
  /// converted from (up to the quantisation): the rotary row order of Q and K is undone.
  /// kOutOfRange for a name that is not a tensor of the model.
  Tensor<Cpu> tensor(std::string_view hf_name) const {
    const auto g = llama_gguf_tensor_name(hf_name);
    if (!g || !file.has_tensor(*g))
      DAPT_FAIL(ErrorCategory::kOutOfRange, "no tensor \"", hf_name, "\" in the LLaMA model of ", file.source());
    const GgufTensorInfo& info = file.tensor_info(*g);
    const auto heads = detail::llama_permute_heads(hf_name, config);
    if (!heads) return file.dequantize(*g);
    Tensor<Cpu> raw = file.dequantize(*g);
    Tensor<Cpu> out = Tensor<Cpu>::empty(info.shape(), DType::kF32);
    const std::int64_t rows = info.shape()[0];
    detail::llama_rope_permute(raw.data<float>(), out.data<float>(), rows, info.numel() / rows, *heads, false, hf_name);
    return out;
  }

  /// Calls fn(hf_name, tensor) for every tensor in model order, one at a time (so peak memory is
  /// one dequantised tensor beyond what fn keeps).
  void visit_tensors(const std::function<void(const std::string&, Tensor<Cpu>)>& fn) const {
    for (const auto& name : tensor_names()) fn(name, tensor(name));
  }

  /// Every tensor, dequantised.
  std::map<std::string, Tensor<Cpu>> load_tensors() const {
    std::map<std::string, Tensor<Cpu>> out;
    visit_tensors([&](const std::string& n, Tensor<Cpu> t) { out.emplace(n, std::move(t)); });
    return out;
  }
};

/// Opens a LLaMA GGUF: validates the file, reads the config and tokenizer, and checks that every
/// tensor is present with the shape the config implies and of a type dapt dequantises
/// (kUnsupported naming the first tensor that is not). Tensors are read on demand.
inline GgufLlama load_gguf_llama(GgufFile file) {
  GgufLlama m{std::move(file), {}, std::nullopt, {}};
  m.config = gguf_llama_config(m.file);
  for (const auto& t : m.file.tensors())
    if (!ggml_can_dequantize(t.type))
      DAPT_FAIL(ErrorCategory::kUnsupported, m.file.source(), ": tensor \"", t.name, "\" has ggml type ",
                ggml_type_name(t.type), " (", static_cast<std::uint32_t>(t.type),
                "), which dapt does not dequantize (supported: F32, F16, BF16, F64, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K)");
  m.tokenizer = gguf_tokenizer(m.file, &m.tokenizer_info);
  if (m.tokenizer && static_cast<std::int64_t>(m.tokenizer->vocab_size()) != m.config.vocab_size)
    DAPT_FAIL(ErrorCategory::kConfig, m.file.source(), ": the tokenizer has ", m.tokenizer->vocab_size(),
              " tokens but token_embd.weight has ", m.config.vocab_size, " rows");
  return m;
}
inline GgufLlama load_gguf_llama(const std::filesystem::path& path) { return load_gguf_llama(GgufFile::open(path)); }

/// Writes the LLaMA hyper-parameters of `c` as llama.cpp reads them (general.architecture and the
/// llama.* keys). LLaMA-3 rope scaling is refused (kUnsupported): GGUF stores it as a tensor.
inline void add_llama_metadata(GgufWriter& w, const LlamaConfig& c) {
  c.validate();
  if (c.rope.type == RopeType::kLlama3)
    DAPT_FAIL(ErrorCategory::kUnsupported, "writing llama3 rope scaling to GGUF (a rope_freqs tensor) is not implemented");
  w.set_string("general.architecture", "llama");
  auto u32 = [&](const char* key, std::int64_t v) {
    DAPT_CHECK(v >= 0 && v <= 0xffffffffLL, "LLaMA config value ", v, " for ", key, " does not fit uint32");
    w.set_uint32(std::string("llama.") + key, static_cast<std::uint32_t>(v));
  };
  u32("context_length", c.max_position_embeddings);
  u32("embedding_length", c.hidden_size);
  u32("block_count", c.num_hidden_layers);
  u32("feed_forward_length", c.intermediate_size);
  u32("attention.head_count", c.num_attention_heads);
  u32("attention.head_count_kv", c.num_key_value_heads);
  if (c.head_dim * c.num_attention_heads != c.hidden_size) {
    u32("attention.key_length", c.head_dim);
    u32("attention.value_length", c.head_dim);
  }
  u32("rope.dimension_count", c.head_dim);
  u32("vocab_size", c.vocab_size);
  w.set_float32("llama.rope.freq_base", static_cast<float>(c.rope.theta));
  w.set_float32("llama.attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  if (c.rope.type == RopeType::kLinear) {
    w.set_string("llama.rope.scaling.type", "linear");
    w.set_float32("llama.rope.scaling.factor", static_cast<float>(c.rope.factor));
  }
}

/// Adds HF tensor `hf_name` of a LLaMA with config `c` under its GGUF name, stored as `type`,
/// with llama.cpp's rotary row order for Q and K. kInvalidArgument for a name that is not part
/// of a LLaMA model.
inline void add_llama_tensor(GgufWriter& w, const LlamaConfig& c, std::string_view hf_name, const TensorView<Cpu>& values,
                             GgmlType type) {
  const auto g = llama_gguf_tensor_name(hf_name);
  DAPT_CHECK(g.has_value(), "\"", hf_name, "\" is not a tensor of a LLaMA model");
  const auto heads = detail::llama_permute_heads(hf_name, c);
  if (!heads) {
    w.add_tensor(*g, values, type);
    return;
  }
  Tensor<Cpu> src = Tensor<Cpu>::empty(values.shape(), DType::kF32);
  if (values.dtype() == DType::kF32) {
    Tensor<Cpu>::copy_view(values, src.view());
  } else {
    Tensor<Cpu> tmp = Tensor<Cpu>::empty(values.shape(), values.dtype());
    Tensor<Cpu>::copy_view(values, tmp.view());
    convert_to_f32(tmp.raw(), values.dtype(), src.data<float>(), static_cast<std::size_t>(values.numel()));
  }
  Tensor<Cpu> permuted = Tensor<Cpu>::empty(values.shape(), DType::kF32);
  const std::int64_t rows = values.dim(0);
  detail::llama_rope_permute(src.data<float>(), permuted.data<float>(), rows, values.numel() / std::max<std::int64_t>(rows, 1),
                             *heads, true, hf_name);
  w.add_tensor(*g, permuted.view(), type);
}

}  // namespace dapt::io
