/// @file lora.hpp
/// @brief LoRA on any model built from `Linear` layers: `LoraConfig` (peft's `LoraConfig` fields
/// and matching rules), `apply_lora` (attach adapters to the targeted layers and freeze the base),
/// `merge_lora` / `unmerge_lora` (exact: unmerging restores the base weights bit for bit) and
/// `merge_and_unload`. Adapters are saved and loaded in peft's format by io/lora_checkpoint.hpp,
/// and trained by `train::Trainer<train::Lora, Device>`.
///
/// Targeting follows peft (`check_target_module_exists`), on module names such as
/// `model.layers.3.self_attn.q_proj`:
/// - `target_modules` (a list): a module matches when its name equals an entry or ends with
///   "." + entry; `{"all-linear"}` takes every linear layer except the output head;
/// - `target_regex` (peft's string form of target_modules): the whole name must match;
/// - `exclude_modules` removes modules the same way; `layers_to_transform` keeps only the given
///   layer indices (`layers.<i>.`);
/// - `rank_pattern` / `alpha_pattern` override r and alpha for modules whose name matches
///   `(.*\.)?<pattern>$`.
/// `modules_to_save` names whole modules (e.g. `embed_tokens`, `lm_head`) whose weights train in
/// full and are saved with the adapter: that is how the rows of newly added domain tokens learn.
///
/// A model takes part by providing `visit_linears(model, fn)`, found by argument-dependent lookup;
/// it is given here for `Llama` and its blocks. The language-model head of `Llama` is not a LoRA
/// target (its chunked loss bypasses the layer); train it through `modules_to_save`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/nn/attention.hpp"
#include "dapt/nn/block.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/linear.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/nn/lora_adapter.hpp"
#include "dapt/nn/mlp.hpp"

namespace dapt::nn {

/// What LoRA adapts and how; the fields and defaults are peft's `LoraConfig`.
struct LoraConfig {
  std::int64_t r = 8;
  double alpha = 8.0;              ///< peft `lora_alpha`; the update is scaled by alpha / r
  float dropout = 0.0f;            ///< on the adapter input, in training mode only
  bool use_rslora = false;         ///< scale by alpha / sqrt(r) instead (rsLoRA)
  /// Module-name suffixes (see the file comment); empty: peft's LLaMA default {q_proj, v_proj}.
  std::vector<std::string> target_modules;
  std::optional<std::string> target_regex;  ///< peft's string target_modules: a full-match regex
  std::vector<std::string> exclude_modules;
  std::vector<std::int64_t> layers_to_transform;  ///< empty: every layer
  std::map<std::string, std::int64_t> rank_pattern;
  std::map<std::string, double> alpha_pattern;
  std::vector<std::string> modules_to_save;  ///< trained in full and saved with the adapter
  std::uint64_t seed = 0;          ///< adapter initialisation and dropout masks
  std::string base_model_name_or_path;  ///< recorded in adapter_config.json

  /// kInvalidArgument naming the field when a value is out of range.
  void validate() const {
    DAPT_CHECK(r >= 1, "LoraConfig: r must be >= 1, got ", r);
    DAPT_CHECK(std::isfinite(alpha), "LoraConfig: alpha must be finite, got ", alpha);
    DAPT_CHECK(dropout >= 0.0f && dropout < 1.0f, "LoraConfig: dropout must be in [0, 1), got ", dropout);
    for (const auto& [k, v] : rank_pattern) DAPT_CHECK(v >= 1, "LoraConfig: rank_pattern[\"", k, "\"] must be >= 1, got ", v);
    for (const auto& [k, v] : alpha_pattern)
      DAPT_CHECK(std::isfinite(v), "LoraConfig: alpha_pattern[\"", k, "\"] must be finite, got ", v);
  }
};

/// The visitor of `visit_linears`: (module name, layer).
template <class Device>
using LinearVisitor = std::function<void(const std::string&, Linear<Device>&)>;

template <class Device>
void visit_linears(Attention<Device>& a, const LinearVisitor<Device>& fn, const std::string& prefix) {
  fn(prefix + "q_proj", a.q_proj());
  fn(prefix + "k_proj", a.k_proj());
  fn(prefix + "v_proj", a.v_proj());
  fn(prefix + "o_proj", a.o_proj());
}
template <class Device>
void visit_linears(Mlp<Device>& m, const LinearVisitor<Device>& fn, const std::string& prefix) {
  fn(prefix + "gate_proj", m.gate_proj());
  fn(prefix + "up_proj", m.up_proj());
  fn(prefix + "down_proj", m.down_proj());
}
template <class Device>
void visit_linears(DecoderBlock<Device>& b, const LinearVisitor<Device>& fn, const std::string& prefix) {
  visit_linears(b.self_attn(), fn, prefix + "self_attn.");
  visit_linears(b.mlp(), fn, prefix + "mlp.");
}
/// The decoder blocks' seven projections per layer, as `prefix` + "layers.<i>.".
template <class Device>
void visit_linears(LlamaTrunk<Device>& t, const LinearVisitor<Device>& fn, const std::string& prefix) {
  for (std::int64_t i = 0; i < t.num_layers(); ++i)
    visit_linears(t.layer(i), fn, prefix + "layers." + std::to_string(i) + ".");
}
/// The decoder blocks' seven projections per layer. Not the head (see the file comment).
template <class Device>
void visit_linears(Llama<Device>& m, const LinearVisitor<Device>& fn) {
  visit_linears(m.trunk(), fn, "model.");
}

/// The visitor of `visit_lora_adapters`: (module name, the layer, its adapter).
template <class Device>
using LoraVisitor = std::function<void(const std::string&, Linear<Device>&, LoraAdapter<Device>&)>;

/// Every attached adapter, in layer order.
template <class Model, class Device = model_device_t<Model>>
void visit_lora_adapters(Model& model, const LoraVisitor<Device>& fn) {
  const LinearVisitor<Device> visit = [&](const std::string& name, Linear<Device>& l) {
    if (l.lora()) fn(name, l, *l.lora());
  };
  visit_linears(model, visit);
}

namespace detail {

/// peft's suffix rule: `name` equals `key` or ends with "." + key.
inline bool module_suffix_match(std::string_view name, std::string_view key) {
  if (name == key) return true;
  return name.size() > key.size() && name.substr(name.size() - key.size()) == key &&
         name[name.size() - key.size() - 1] == '.';
}

/// The layer index in a module name ("model.layers.3.mlp.up_proj" -> 3), or -1.
inline std::int64_t module_layer_index(std::string_view name) {
  static const std::regex re(R"((^|.*\.)(layers|h|blocks|layer)\.(\d+)(\.|$).*)");
  std::cmatch m;
  if (!std::regex_match(name.begin(), name.end(), m, re)) return -1;
  return std::stoll(m[3].str());
}

inline std::regex compile_pattern(const std::string& pattern, const char* field) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    DAPT_FAIL(ErrorCategory::kInvalidArgument, "LoraConfig: ", field, " \"", pattern, "\" is not a valid regex: ", e.what());
  }
}

/// The first pattern of `patterns` that matches `(.*\.)?pattern$` against `name`, as peft's
/// rank_pattern / alpha_pattern lookup does.
template <class V>
const V* pattern_value(const std::map<std::string, V>& patterns, const std::string& name, const char* field) {
  for (const auto& [key, value] : patterns) {
    if (std::regex_match(name, compile_pattern("(.*\\.)?(" + key + ")", field))) return &value;
  }
  return nullptr;
}

/// Whether `cfg` targets module `name` (peft's check_target_module_exists).
inline bool lora_targets(const LoraConfig& cfg, const std::string& name, bool is_output_head) {
  for (const auto& e : cfg.exclude_modules)
    if (module_suffix_match(name, e)) return false;
  bool hit = false;
  if (cfg.target_regex) {
    hit = std::regex_match(name, compile_pattern(*cfg.target_regex, "target_regex"));
  } else if (cfg.target_modules.size() == 1 && cfg.target_modules[0] == "all-linear") {
    hit = !is_output_head;
  } else {
    static const std::vector<std::string> kDefault{"q_proj", "v_proj"};
    for (const auto& t : cfg.target_modules.empty() ? kDefault : cfg.target_modules) hit = hit || module_suffix_match(name, t);
  }
  if (hit && !cfg.layers_to_transform.empty()) {
    const std::int64_t i = module_layer_index(name);
    hit = false;
    for (std::int64_t l : cfg.layers_to_transform) hit = hit || l == i;
  }
  return hit;
}

/// The module name of a parameter name ("model.embed_tokens.weight" -> "model.embed_tokens").
inline std::string_view param_module(std::string_view param) {
  const auto dot = param.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : param.substr(0, dot);
}

}  // namespace detail

/// Whether parameter `name` belongs to one of `cfg.modules_to_save`.
inline bool lora_saves_module(const LoraConfig& cfg, std::string_view param_name) {
  if (is_lora_parameter(param_name)) return false;
  const std::string_view module = detail::param_module(param_name);
  for (const auto& m : cfg.modules_to_save)
    if (detail::module_suffix_match(module, m)) return true;
  return false;
}

/// Sets which parameters train under LoRA: the adapters and `cfg.modules_to_save`; every other
/// parameter is frozen (its gradient buffer freed). Called by apply_lora and by the trainer.
template <class Model, class Device = model_device_t<Model>>
void set_lora_trainable(Model& model, const LoraConfig& cfg) {
  const ParamVisitor<Device> visit = [&](const std::string& name, Param<Device>& p) {
    p.set_trainable(is_lora_parameter(name) || lora_saves_module(cfg, name));
  };
  model.visit_parameters(visit);
}

/// Attaches a fresh adapter (A kaiming-uniform, B zero, so the model's output is unchanged) to
/// every layer `cfg` targets, then freezes the base (set_lora_trainable). Returns the number of
/// adapted layers. kInvalidArgument when nothing matches, when a layer already has an adapter,
/// when a modules_to_save entry names no parameter, or when the configuration targets a
/// `Llama`'s `lm_head`.
template <class Model, class Device = model_device_t<Model>>
std::int64_t apply_lora(Model& model, const LoraConfig& cfg) {
  cfg.validate();
  if (!cfg.target_regex)
    for (const auto& t : cfg.target_modules)
      DAPT_CHECK(!detail::module_suffix_match("lm_head", t), "apply_lora: target_modules entry \"", t,
                 "\" names the language-model head, which LoRA does not adapt here; list it in modules_to_save to "
                 "train it in full");
  std::int64_t index = 0, adapted = 0;
  const LinearVisitor<Device> visit = [&](const std::string& name, Linear<Device>& layer) {
    const std::int64_t my_index = index++;
    if (!detail::lora_targets(cfg, name, false)) return;
    DAPT_CHECK(layer.lora() == nullptr, "apply_lora: ", name, " already has a LoRA adapter");
    const std::int64_t* r = detail::pattern_value(cfg.rank_pattern, name, "rank_pattern");
    const double* a = detail::pattern_value(cfg.alpha_pattern, name, "alpha_pattern");
    const std::int64_t rank = r ? *r : cfg.r;
    const double scaling = lora_scaling(rank, a ? *a : cfg.alpha, cfg.use_rslora);
    Rng rng(cfg.seed, static_cast<std::uint64_t>(my_index));
    const std::uint64_t dropout_seed = rng.next_u64();
    auto adapter = std::make_unique<LoraAdapter<Device>>(layer.in_features(), layer.out_features(), rank, scaling,
                                                         cfg.dropout, dropout_seed);
    adapter->init(rng);
    layer.attach_lora(std::move(adapter));
    ++adapted;
  };
  visit_linears(model, visit);
  DAPT_CHECK(adapted > 0, "apply_lora: no layer matches the target modules (",
             cfg.target_regex ? "regex " + *cfg.target_regex : std::to_string(cfg.target_modules.size()) + " names", ")");
  for (const auto& m : cfg.modules_to_save) {
    bool found = false;
    const ParamVisitor<Device> find = [&](const std::string& name, Param<Device>&) {
      found = found || (!is_lora_parameter(name) && detail::module_suffix_match(detail::param_module(name), m));
    };
    model.visit_parameters(find);
    DAPT_CHECK(found, "apply_lora: modules_to_save entry \"", m, "\" names no module of the model");
  }
  set_lora_trainable<Model, Device>(model, cfg);
  return adapted;
}

/// Number of layers with an adapter.
template <class Model, class Device = model_device_t<Model>>
std::int64_t count_lora_adapters(Model& model) {
  std::int64_t n = 0;
  visit_lora_adapters<Model, Device>(model, [&](const std::string&, Linear<Device>&, LoraAdapter<Device>&) { ++n; });
  return n;
}

/// Turns adapter dropout on or off (Trainer does this around training and evaluation).
template <class Model, class Device = model_device_t<Model>>
void set_lora_training(Model& model, bool on) {
  visit_lora_adapters<Model, Device>(model, [&](const std::string&, Linear<Device>&, LoraAdapter<Device>& a) {
    a.set_training(on);
  });
}

/// Adds every unmerged adapter's update into its layer's weight, so the model runs at base speed
/// with the adapted function. With `keep_base` (the default), `unmerge_lora` restores the base
/// weights bit for bit; that costs one copy of each adapted weight.
template <class Model, class Device = model_device_t<Model>>
void merge_lora(Model& model, bool keep_base = true) {
  visit_lora_adapters<Model, Device>(model, [&](const std::string&, Linear<Device>& l, LoraAdapter<Device>& a) {
    if (!a.merged()) a.merge(l.weight(), keep_base);
  });
}

/// Restores the base weights of every merged adapter (merged with keep_base).
template <class Model, class Device = model_device_t<Model>>
void unmerge_lora(Model& model) {
  visit_lora_adapters<Model, Device>(model, [&](const std::string&, Linear<Device>& l, LoraAdapter<Device>& a) {
    if (a.merged()) a.unmerge(l.weight());
  });
}

/// Merges every adapter into its weight and removes the adapters: the model is a plain model
/// again (saveable with io::save_llama). Base parameters stay frozen; unfreeze to train in full.
template <class Model, class Device = model_device_t<Model>>
void merge_and_unload(Model& model) {
  const LinearVisitor<Device> visit = [&](const std::string&, Linear<Device>& l) {
    if (!l.lora()) return;
    if (!l.lora()->merged()) l.lora()->merge(l.weight(), false);
    l.detach_lora();
  };
  visit_linears(model, visit);
}

/// Removes every adapter without merging (the model computes the base function again).
template <class Model, class Device = model_device_t<Model>>
void remove_lora(Model& model) {
  const LinearVisitor<Device> visit = [&](const std::string&, Linear<Device>& l) {
    if (l.lora() && l.lora()->merged()) l.lora()->unmerge(l.weight());
    l.detach_lora();
  };
  visit_linears(model, visit);
}

}  // namespace dapt::nn
