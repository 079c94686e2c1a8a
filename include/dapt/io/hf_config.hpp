/// @file hf_config.hpp
/// @brief The LLaMA-family `config.json` of Hugging Face transformers, read and written. Both
/// layouts of the rotary settings are understood: transformers 5 (`rope_parameters` holding
/// `rope_theta` and `rope_type`) and the older one (top-level `rope_theta` plus an optional
/// `rope_scaling`), including `rope_type: llama3` frequency scaling. A required field that is
/// missing, a field of the wrong type, or two fields that contradict each other are errors
/// (kConfig) that name the field; a feature we do not implement (another activation, YaRN or
/// dynamic rope scaling) is refused by name (kUnsupported) rather than approximated.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/io/json.hpp"

namespace dapt::io {

/// Rotary-embedding frequency scaling.
enum class RopeType {
  kDefault,  ///< inv_freq = theta^(-2i/d)
  kLinear,   ///< positions divided by `factor`
  kLlama3,   ///< LLaMA 3.1 piecewise scaling of low frequencies
};

constexpr std::string_view rope_type_name(RopeType t) noexcept {
  switch (t) {
    case RopeType::kDefault: return "default";
    case RopeType::kLinear: return "linear";
    case RopeType::kLlama3: return "llama3";
  }
  return "?";
}

struct RopeConfig {
  RopeType type = RopeType::kDefault;
  double theta = 10000.0;
  double factor = 1.0;                                 ///< linear and llama3
  double low_freq_factor = 1.0;                        ///< llama3
  double high_freq_factor = 4.0;                       ///< llama3
  std::int64_t original_max_position_embeddings = 0;  ///< llama3
  friend bool operator==(const RopeConfig&, const RopeConfig&) = default;
};

/// How to write config.json.
enum class ConfigLayout {
  kLegacy,         ///< top-level rope_theta (+ rope_scaling) and torch_dtype: transformers 4 and 5 read it
  kTransformers5,  ///< rope_parameters and dtype, as transformers 5 writes
};

/// The hyper-parameters of a LLaMA-family decoder.
struct LlamaConfig {
  std::string model_type = "llama";
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_hidden_layers = 0;
  std::int64_t num_attention_heads = 0;
  std::int64_t num_key_value_heads = 0;  ///< defaults to num_attention_heads
  std::int64_t head_dim = 0;             ///< defaults to hidden_size / num_attention_heads
  std::int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  RopeConfig rope;
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  bool mlp_bias = false;
  std::string hidden_act = "silu";
  std::optional<std::int64_t> bos_token_id;
  std::vector<std::int64_t> eos_token_ids;  ///< `eos_token_id`, an int or a list in the file
  std::optional<std::int64_t> pad_token_id;
  std::string dtype = "float32";  ///< `dtype` / `torch_dtype`: the dtype the weights were saved in
  /// Fields we do not interpret, written back unchanged by to_config_json.
  json::object extra;

  /// Number of query heads per key/value head.
  std::int64_t gqa_ratio() const noexcept { return num_key_value_heads ? num_attention_heads / num_key_value_heads : 0; }

  /// Checks the values against each other; throws kConfig naming the field. `source` prefixes
  /// the message (a path).
  void validate(std::string_view source = "config") const {
    auto positive = [&](std::int64_t v, const char* name) {
      if (v <= 0) DAPT_FAIL(ErrorCategory::kConfig, source, ": \"", name, "\" must be positive, got ", v);
    };
    positive(vocab_size, "vocab_size");
    positive(hidden_size, "hidden_size");
    positive(intermediate_size, "intermediate_size");
    positive(num_hidden_layers, "num_hidden_layers");
    positive(num_attention_heads, "num_attention_heads");
    positive(num_key_value_heads, "num_key_value_heads");
    positive(head_dim, "head_dim");
    positive(max_position_embeddings, "max_position_embeddings");
    if (num_attention_heads % num_key_value_heads != 0)
      DAPT_FAIL(ErrorCategory::kConfig, source, ": num_attention_heads (", num_attention_heads,
                ") is not a multiple of num_key_value_heads (", num_key_value_heads, ")");
    if (head_dim % 2 != 0) DAPT_FAIL(ErrorCategory::kConfig, source, ": head_dim (", head_dim, ") must be even for RoPE");
    if (!(rms_norm_eps > 0) || !std::isfinite(rms_norm_eps))
      DAPT_FAIL(ErrorCategory::kConfig, source, ": \"rms_norm_eps\" must be positive and finite, got ", rms_norm_eps);
    if (!(rope.theta > 0) || !std::isfinite(rope.theta))
      DAPT_FAIL(ErrorCategory::kConfig, source, ": \"rope_theta\" must be positive and finite, got ", rope.theta);
    if (rope.type != RopeType::kDefault && (!(rope.factor > 0) || !std::isfinite(rope.factor)))
      DAPT_FAIL(ErrorCategory::kConfig, source, ": rope scaling \"factor\" must be positive, got ", rope.factor);
    if (rope.type == RopeType::kLlama3) {
      if (!(rope.high_freq_factor > rope.low_freq_factor) || !(rope.low_freq_factor > 0))
        DAPT_FAIL(ErrorCategory::kConfig, source, ": llama3 rope scaling needs 0 < low_freq_factor < high_freq_factor, got ",
                  rope.low_freq_factor, " and ", rope.high_freq_factor);
      if (rope.original_max_position_embeddings <= 0)
        DAPT_FAIL(ErrorCategory::kConfig, source, ": llama3 rope scaling needs a positive original_max_position_embeddings");
    }
    auto check_id = [&](std::int64_t id, const char* name) {
      if (id < 0 || id >= vocab_size)
        DAPT_FAIL(ErrorCategory::kConfig, source, ": \"", name, "\" = ", id, " is outside the vocabulary of ", vocab_size);
    };
    if (bos_token_id) check_id(*bos_token_id, "bos_token_id");
    if (pad_token_id) check_id(*pad_token_id, "pad_token_id");
    for (std::int64_t e : eos_token_ids) check_id(e, "eos_token_id");
  }
};

namespace detail {

/// Reads a rope dictionary (transformers-5 rope_parameters, or old rope_scaling) into `rope`.
inline void read_rope_dict(const json::object& d, const std::string& where, RopeConfig& rope, bool allow_theta) {
  JsonFields f(d, where);
  for (const auto& kv : d)
    if (kv.value().is_object())
      DAPT_FAIL(ErrorCategory::kUnsupported, where, ": per-layer-type rope parameters (\"", std::string(kv.key()),
                "\") are not supported for LLaMA models");
  std::optional<std::string> type = f.get_string("rope_type");
  const std::optional<std::string> legacy_type = f.get_string("type");
  if (type && legacy_type && *type != *legacy_type)
    DAPT_FAIL(ErrorCategory::kConfig, where, ": \"rope_type\" (", *type, ") contradicts \"type\" (", *legacy_type, ")");
  if (!type) type = legacy_type;
  const std::string t = type.value_or("default");
  if (t == "default") rope.type = RopeType::kDefault;
  else if (t == "linear") rope.type = RopeType::kLinear;
  else if (t == "llama3") rope.type = RopeType::kLlama3;
  else
    DAPT_FAIL(ErrorCategory::kUnsupported, where, ": rope type \"", t,
              "\" is not supported (supported: default, linear, llama3)");
  if (allow_theta) {
    if (auto th = f.get_number("rope_theta")) rope.theta = *th;
  }
  if (rope.type != RopeType::kDefault) rope.factor = f.require_number("factor");
  if (rope.type == RopeType::kLlama3) {
    rope.low_freq_factor = f.require_number("low_freq_factor");
    rope.high_freq_factor = f.require_number("high_freq_factor");
    rope.original_max_position_embeddings = f.require_int("original_max_position_embeddings");
  }
}

inline bool same_number(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b)); }

inline const char* const kKnownConfigKeys[] = {
    "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "head_dim", "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling",
    "rope_parameters", "tie_word_embeddings", "attention_bias", "mlp_bias", "hidden_act", "bos_token_id",
    "eos_token_id", "pad_token_id", "torch_dtype", "dtype"};

}  // namespace detail

/// Parses config.json text. `source` names it in errors.
inline LlamaConfig parse_llama_config(std::string_view text, std::string_view source = "config.json") {
  const std::string src(source);
  const json::value root = parse_json(text, src);
  JsonFields f(as_object(root, src, ErrorCategory::kConfig), src);
  LlamaConfig c;
  c.model_type = f.get_string("model_type").value_or("llama");
  if (c.model_type != "llama" && c.model_type != "mistral")
    DAPT_FAIL(ErrorCategory::kUnsupported, src, ": model_type \"", c.model_type, "\" is not a LLaMA-family model");
  c.vocab_size = f.require_int("vocab_size");
  c.hidden_size = f.require_int("hidden_size");
  c.intermediate_size = f.require_int("intermediate_size");
  c.num_hidden_layers = f.require_int("num_hidden_layers");
  c.num_attention_heads = f.require_int("num_attention_heads");
  if (c.num_attention_heads <= 0)
    DAPT_FAIL(ErrorCategory::kConfig, src, ": \"num_attention_heads\" must be positive, got ", c.num_attention_heads);
  c.num_key_value_heads = f.get_int("num_key_value_heads").value_or(c.num_attention_heads);
  if (auto hd = f.get_int("head_dim")) {
    c.head_dim = *hd;
  } else {
    if (c.hidden_size % c.num_attention_heads != 0)
      DAPT_FAIL(ErrorCategory::kConfig, src, ": hidden_size (", c.hidden_size, ") is not a multiple of num_attention_heads (",
                c.num_attention_heads, ") and no head_dim is given");
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  c.max_position_embeddings = f.get_int("max_position_embeddings").value_or(2048);
  c.rms_norm_eps = f.get_number("rms_norm_eps").value_or(1e-6);
  c.tie_word_embeddings = f.get_bool("tie_word_embeddings").value_or(false);
  c.attention_bias = f.get_bool("attention_bias").value_or(false);
  c.mlp_bias = f.get_bool("mlp_bias").value_or(false);
  c.hidden_act = f.get_string("hidden_act").value_or("silu");
  if (c.hidden_act != "silu")
    DAPT_FAIL(ErrorCategory::kUnsupported, src, ": hidden_act \"", c.hidden_act, "\" is not supported (LLaMA uses silu)");
  c.bos_token_id = f.get_int("bos_token_id");
  c.pad_token_id = f.get_int("pad_token_id");
  if (const json::value* eos = f.find("eos_token_id")) {
    if (eos->is_array()) {
      for (const auto& e : eos->get_array()) c.eos_token_ids.push_back(f.to_int(e, "eos_token_id"));
    } else {
      c.eos_token_ids.push_back(f.to_int(*eos, "eos_token_id"));
    }
  }
  const auto dtype = f.get_string("dtype");
  const auto torch_dtype = f.get_string("torch_dtype");
  if (dtype && torch_dtype && *dtype != *torch_dtype)
    DAPT_FAIL(ErrorCategory::kConfig, src, ": \"dtype\" (", *dtype, ") contradicts \"torch_dtype\" (", *torch_dtype, ")");
  c.dtype = dtype ? *dtype : torch_dtype.value_or("float32");

  // Rotary settings: the new layout, the old one, or both when they agree.
  const std::optional<double> top_theta = f.get_number("rope_theta");
  const json::object* params = f.get_object("rope_parameters");
  const json::object* scaling = f.get_object("rope_scaling");
  if (params) {
    detail::read_rope_dict(*params, src + ": rope_parameters", c.rope, true);
    if (top_theta && !detail::same_number(*top_theta, c.rope.theta))
      DAPT_FAIL(ErrorCategory::kConfig, src, ": \"rope_theta\" (", *top_theta, ") contradicts rope_parameters.rope_theta (",
                c.rope.theta, ")");
    if (scaling) {
      RopeConfig old = c.rope;
      detail::read_rope_dict(*scaling, src + ": rope_scaling", old, true);
      if (!(old == c.rope))
        DAPT_FAIL(ErrorCategory::kConfig, src, ": \"rope_scaling\" contradicts \"rope_parameters\"");
    }
  } else {
    if (top_theta) c.rope.theta = *top_theta;
    if (scaling) detail::read_rope_dict(*scaling, src + ": rope_scaling", c.rope, false);
  }

  for (const auto& kv : f.object()) {
    bool known = false;
    for (const char* k : detail::kKnownConfigKeys) known = known || kv.key() == k;
    if (!known) c.extra.emplace(kv.key(), kv.value());
  }
  c.validate(src);
  return c;
}

/// Reads `config.json` (give the file or the checkpoint directory).
inline LlamaConfig load_llama_config(const std::filesystem::path& path) {
  std::error_code ec;
  const auto file = std::filesystem::is_directory(path, ec) ? path / "config.json" : path;
  return parse_llama_config(detail::read_text_file(file, 16u << 20), file.string());
}

/// Serialises a config in the chosen layout (pretty-printed, one field per line), fields we do
/// not interpret included.
inline std::string to_config_json(const LlamaConfig& c, ConfigLayout layout = ConfigLayout::kLegacy) {
  c.validate();
  json::object o = c.extra;
  o["model_type"] = c.model_type;
  if (!o.contains("architectures")) o["architectures"] = json::array{"LlamaForCausalLM"};
  o["vocab_size"] = c.vocab_size;
  o["hidden_size"] = c.hidden_size;
  o["intermediate_size"] = c.intermediate_size;
  o["num_hidden_layers"] = c.num_hidden_layers;
  o["num_attention_heads"] = c.num_attention_heads;
  o["num_key_value_heads"] = c.num_key_value_heads;
  o["head_dim"] = c.head_dim;
  o["max_position_embeddings"] = c.max_position_embeddings;
  o["rms_norm_eps"] = c.rms_norm_eps;
  o["tie_word_embeddings"] = c.tie_word_embeddings;
  o["attention_bias"] = c.attention_bias;
  o["mlp_bias"] = c.mlp_bias;
  o["hidden_act"] = c.hidden_act;
  o["bos_token_id"] = c.bos_token_id ? json::value(*c.bos_token_id) : json::value(nullptr);
  o["pad_token_id"] = c.pad_token_id ? json::value(*c.pad_token_id) : json::value(nullptr);
  if (c.eos_token_ids.size() == 1) {
    o["eos_token_id"] = c.eos_token_ids[0];
  } else {
    json::array a;
    for (auto e : c.eos_token_ids) a.push_back(e);
    o["eos_token_id"] = std::move(a);
  }
  json::object rope;
  rope["rope_type"] = std::string(rope_type_name(c.rope.type));
  if (c.rope.type != RopeType::kDefault) rope["factor"] = c.rope.factor;
  if (c.rope.type == RopeType::kLlama3) {
    rope["low_freq_factor"] = c.rope.low_freq_factor;
    rope["high_freq_factor"] = c.rope.high_freq_factor;
    rope["original_max_position_embeddings"] = c.rope.original_max_position_embeddings;
  }
  if (layout == ConfigLayout::kTransformers5) {
    rope["rope_theta"] = c.rope.theta;
    o["rope_parameters"] = std::move(rope);
    o["dtype"] = c.dtype;
  } else {
    o["rope_theta"] = c.rope.theta;
    o["rope_scaling"] = c.rope.type == RopeType::kDefault ? json::value(nullptr) : json::value(std::move(rope));
    o["torch_dtype"] = c.dtype;
  }
  // One field per line, like transformers' save_pretrained, so diffs stay readable.
  std::string out = "{\n";
  bool first = true;
  for (const auto& kv : o) {
    if (!first) out += ",\n";
    first = false;
    out += "  " + json::serialize(json::value(kv.key())) + ": " + json::serialize(kv.value());
  }
  out += "\n}\n";
  return out;
}

/// Writes config.json atomically.
inline void save_llama_config(const std::filesystem::path& path, const LlamaConfig& c,
                              ConfigLayout layout = ConfigLayout::kLegacy) {
  detail::write_file_atomic(path, to_config_json(c, layout));
}

}  // namespace dapt::io
