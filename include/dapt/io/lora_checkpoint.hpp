/// @file lora_checkpoint.hpp
/// @brief LoRA adapters in peft's format, both ways: a folder with `adapter_config.json` and
/// `adapter_model.safetensors`, as written by `PeftModel.save_pretrained` and read by
/// `PeftModel.from_pretrained`.
///
/// Tensor keys are `base_model.model.<module>.lora_A.weight` / `.lora_B.weight` (peft drops the
/// adapter name, "default", when saving), and `base_model.model.<parameter>` for each parameter of
/// `modules_to_save` (peft's `...modules_to_save.default.` infix removed the same way). The
/// config fields are peft's; features this SDK does not implement (DoRA, LoRA biases,
/// fan_in_fan_out, trainable token indices, layer replication, ...) are refused with an error
/// that names the field, never ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/io/json.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt/nn/lora.hpp"

namespace dapt::io {

inline constexpr const char* kAdapterConfigFile = "adapter_config.json";
inline constexpr const char* kAdapterWeightsFile = "adapter_model.safetensors";
/// The prefix peft puts before a module name of the wrapped model.
inline constexpr std::string_view kPeftKeyPrefix = "base_model.model.";

namespace detail {

template <class T>
json::value json_list(const std::vector<T>& v) {
  json::array a;
  for (const auto& x : v) a.emplace_back(x);
  return a;
}

inline std::vector<std::string> json_string_list(const JsonFields& f, std::string_view key) {
  std::vector<std::string> out;
  const json::array* a = f.get_array(key);
  if (!a) return out;
  for (const auto& v : *a) {
    if (!v.is_string()) f.wrong_type(key, "a list of strings", v);
    out.emplace_back(v.get_string());
  }
  return out;
}

/// A field that must be absent, null, false, empty or equal to `ok` (a feature we do not implement).
inline void refuse_feature(const JsonFields& f, std::string_view key, const char* what) {
  const json::value* v = f.find(key);
  if (!v) return;
  const bool off = (v->is_bool() && !v->get_bool()) || (v->is_object() && v->get_object().empty()) ||
                   (v->is_array() && v->get_array().empty());
  DAPT_CHECK_AS(kConfig, off, f.source(), ": \"", key, "\" = ", json::serialize(*v).substr(0, 80), " (", what,
                ") is not supported by dapt's LoRA");
}

}  // namespace detail

/// Parses a peft `adapter_config.json` into a LoraConfig. kConfig naming the field for a
/// non-LoRA adapter, a bad value, or an unsupported feature; kFormat for broken JSON.
inline nn::LoraConfig parse_lora_config(const json::value& root, const std::string& source) {
  const json::object& obj = as_object(root, source, ErrorCategory::kFormat);
  JsonFields f(obj, source, ErrorCategory::kConfig);
  const std::string type = f.require_string("peft_type");
  DAPT_CHECK_AS(kConfig, type == "LORA", source, ": peft_type is \"", type, "\", only \"LORA\" adapters are supported");
  nn::LoraConfig c;
  c.r = f.require_int("r");
  c.alpha = f.get_number("lora_alpha").value_or(8.0);
  c.dropout = static_cast<float>(f.get_number("lora_dropout").value_or(0.0));
  c.use_rslora = f.get_bool("use_rslora").value_or(false);
  if (const json::value* t = f.find("target_modules")) {
    if (t->is_string()) {
      const std::string s(t->get_string());
      if (s == "all-linear") c.target_modules = {s};
      else c.target_regex = s;
    } else {
      c.target_modules = detail::json_string_list(f, "target_modules");
    }
  }
  if (const json::value* e = f.find("exclude_modules")) {
    DAPT_CHECK_AS(kConfig, !e->is_string(), source, ": exclude_modules as a regex string is not supported; use a list");
    c.exclude_modules = detail::json_string_list(f, "exclude_modules");
  }
  if (const json::value* l = f.find("layers_to_transform")) {
    if (l->is_array()) {
      for (const auto& v : l->get_array()) c.layers_to_transform.push_back(f.to_int(v, "layers_to_transform"));
    } else {
      c.layers_to_transform.push_back(f.to_int(*l, "layers_to_transform"));
    }
  }
  if (const json::object* rp = f.get_object("rank_pattern"))
    for (const auto& [k, v] : *rp) c.rank_pattern[std::string(k)] = f.to_int(v, "rank_pattern");
  if (const json::object* ap = f.get_object("alpha_pattern"))
    for (const auto& [k, v] : *ap) {
      if (!v.is_number()) f.wrong_type("alpha_pattern", "an object of numbers", v);
      c.alpha_pattern[std::string(k)] = v.to_number<double>();
    }
  c.modules_to_save = detail::json_string_list(f, "modules_to_save");
  c.base_model_name_or_path = f.get_string("base_model_name_or_path").value_or("");
  if (const auto bias = f.get_string("bias"))
    DAPT_CHECK_AS(kConfig, *bias == "none", f.source(), ": bias = \"", *bias, "\" is not supported (only \"none\")");
  detail::refuse_feature(f, "use_dora", "DoRA");
  detail::refuse_feature(f, "lora_bias", "LoRA bias");
  detail::refuse_feature(f, "fan_in_fan_out", "transposed base weights");
  detail::refuse_feature(f, "trainable_token_indices", "trainable tokens");
  detail::refuse_feature(f, "layer_replication", "layer replication");
  detail::refuse_feature(f, "target_parameters", "LoRA on parameters");
  detail::refuse_feature(f, "layers_pattern", "custom layer pattern");
  try {
    c.validate();
  } catch (const Error& e) {
    DAPT_FAIL(ErrorCategory::kConfig, source, ": ", e.what());
  }
  return c;
}

inline nn::LoraConfig load_lora_config(const std::filesystem::path& dir) {
  const auto path = dir / kAdapterConfigFile;
  return parse_lora_config(read_json_file(path, 1u << 20), path.string());
}

/// The adapter_config.json that peft reads for `cfg`.
inline json::object lora_config_json(const nn::LoraConfig& cfg) {
  json::object o;
  o["peft_type"] = "LORA";
  o["task_type"] = "CAUSAL_LM";
  o["base_model_name_or_path"] = cfg.base_model_name_or_path.empty() ? json::value(nullptr)
                                                                     : json::value(cfg.base_model_name_or_path);
  o["r"] = cfg.r;
  o["lora_alpha"] = cfg.alpha;
  o["lora_dropout"] = static_cast<double>(cfg.dropout);
  o["use_rslora"] = cfg.use_rslora;
  if (cfg.target_regex) {
    o["target_modules"] = *cfg.target_regex;
  } else {
    std::vector<std::string> t = cfg.target_modules;
    if (t.empty()) t = {"q_proj", "v_proj"};
    if (t.size() == 1 && t[0] == "all-linear") o["target_modules"] = "all-linear";
    else o["target_modules"] = detail::json_list(t);
  }
  o["exclude_modules"] = cfg.exclude_modules.empty() ? json::value(nullptr) : detail::json_list(cfg.exclude_modules);
  o["layers_to_transform"] =
      cfg.layers_to_transform.empty() ? json::value(nullptr) : detail::json_list(cfg.layers_to_transform);
  json::object rp, ap;
  for (const auto& [k, v] : cfg.rank_pattern) rp[k] = v;
  for (const auto& [k, v] : cfg.alpha_pattern) ap[k] = v;
  o["rank_pattern"] = rp;
  o["alpha_pattern"] = ap;
  o["modules_to_save"] = cfg.modules_to_save.empty() ? json::value(nullptr) : detail::json_list(cfg.modules_to_save);
  o["bias"] = "none";
  o["fan_in_fan_out"] = false;
  o["use_dora"] = false;
  o["init_lora_weights"] = true;
  o["inference_mode"] = true;
  o["peft_version"] = "0.13.0";
  return o;
}

/// Writes `dir/adapter_config.json` and `dir/adapter_model.safetensors` (f32) for the model's
/// adapters and `cfg.modules_to_save` parameters; each file atomically. kInvalidArgument when the
/// model has no adapter. A device model's tensors are written from host copies.
template <class Model, class Device = nn::model_device_t<Model>>
void save_lora(Model& model, const std::filesystem::path& dir, const nn::LoraConfig& cfg) {
  std::vector<NamedTensor> tensors;
  std::vector<Tensor<Cpu>> host;  // the host copies of a device model's tensors
  std::int64_t adapters = 0;
  const nn::ParamVisitor<Device> visit = [&](const std::string& name, nn::Param<Device>& p) {
    const bool lora = nn::is_lora_parameter(name);
    adapters += lora;
    if (!lora && !nn::lora_saves_module(cfg, name)) return;
    if constexpr (std::is_same_v<Device, Cpu>) {
      tensors.push_back({std::string(kPeftKeyPrefix) + name, p.value().view()});
    } else {
      host.push_back(to_host(p.value().view()));
      tensors.push_back({std::string(kPeftKeyPrefix) + name, host.back().view()});
    }
  };
  model.visit_parameters(visit);
  DAPT_CHECK(adapters > 0, "save_lora: the model has no LoRA adapter (apply_lora or load_lora first)");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) DAPT_FAIL(ErrorCategory::kIo, "cannot create directory ", dir.string(), ": ", ec.message());
  save_safetensors(dir / kAdapterWeightsFile, tensors, {{"format", "pt"}});
  ::dapt::io::detail::write_file_atomic(dir / kAdapterConfigFile, json::serialize(lora_config_json(cfg)) + "\n");
}

/// Reads `dir/adapter_model.safetensors` into the model's attached adapters and modules_to_save
/// parameters. Strict both ways: kFormat naming the key when the file holds a tensor the model
/// has no place for, or lacks one it needs; kShape naming both shapes on a mismatch. Tensors are
/// converted to f32 (bf16/f16 adapters load). Everything is checked before anything is copied.
/// A device model receives copies (and remakes its bf16 copies in mixed precision).
template <class Model, class Device = nn::model_device_t<Model>>
void load_lora_weights(Model& model, const std::filesystem::path& dir, const nn::LoraConfig& cfg) {
  const auto file = SafetensorsFile::open(dir / kAdapterWeightsFile);
  std::vector<std::pair<std::string, nn::Param<Device>*>> targets;
  std::set<std::string> wanted;
  const nn::ParamVisitor<Device> visit = [&](const std::string& name, nn::Param<Device>& p) {
    if (!nn::is_lora_parameter(name) && !nn::lora_saves_module(cfg, name)) return;
    const std::string key = std::string(kPeftKeyPrefix) + name;
    DAPT_CHECK_AS(kFormat, file.contains(key), file.source(), ": tensor \"", key, "\" is missing");
    const auto& info = file.info(key);
    DAPT_CHECK_AS(kShape, info.shape == p.value().shape(), file.source(), ": tensor \"", key, "\" has shape ",
                  info.shape.str(), ", the model's is ", p.value().shape().str());
    DAPT_CHECK_AS(kDtype, info.dtype == DType::kF32 || info.dtype == DType::kBF16 || info.dtype == DType::kF16,
                  file.source(), ": tensor \"", key, "\" has dtype ", dtype_name(info.dtype), " (F32, BF16 or F16 expected)");
    targets.emplace_back(key, &p);
    wanted.insert(key);
  };
  model.visit_parameters(visit);
  DAPT_CHECK(!targets.empty(), "load_lora_weights: the model has no LoRA adapter to load into");
  for (const auto& name : file.names())
    DAPT_CHECK_AS(kFormat, wanted.count(name), file.source(), ": tensor \"", name,
                  "\" matches no adapter or modules_to_save parameter of the model (different target_modules?)");
  for (auto& [key, p] : targets) {
    upload(file.to_f32(key).view(), p->value().view());
    p->refresh_copy();
  }
}

/// Loads a peft adapter folder onto `model`: parses the config, attaches adapters with it
/// (apply_lora: the base is frozen), then reads the weights. Returns the config. A failure after
/// the adapters were attached removes them again, so the model is left as it was.
template <class Model, class Device = nn::model_device_t<Model>>
nn::LoraConfig load_lora(Model& model, const std::filesystem::path& dir) {
  const nn::LoraConfig cfg = load_lora_config(dir);
  DAPT_CHECK(nn::count_lora_adapters(model) == 0,
             "load_lora: the model already has LoRA adapters (remove_lora or merge_and_unload first)");
  std::vector<bool> trainable;  // apply_lora freezes the base: restore it on failure
  const nn::ParamVisitor<Device> record = [&](const std::string&, nn::Param<Device>& p) { trainable.push_back(p.trainable()); };
  model.visit_parameters(record);
  nn::apply_lora<Model, Device>(model, cfg);
  try {
    load_lora_weights<Model, Device>(model, dir, cfg);
  } catch (...) {
    nn::remove_lora<Model, Device>(model);
    std::size_t i = 0;
    const nn::ParamVisitor<Device> restore = [&](const std::string&, nn::Param<Device>& p) { p.set_trainable(trainable[i++]); };
    model.visit_parameters(restore);
    throw;
  }
  return cfg;
}

}  // namespace dapt::io
