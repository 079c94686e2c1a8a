/// @file llama_checkpoint.hpp
/// @brief Hugging Face LLaMA checkpoints to and from `nn::Llama`. Loading reads `config.json` (old
/// or transformers-5 layout), checks the safetensors (single or sharded) against it — a
/// contradiction names the tensor and both shapes — and converts f32, bf16, f16 or f64 weights to
/// f32. Saving writes `config.json` and `model.safetensors` (or shards with an index) that
/// transformers' `from_pretrained` loads unchanged; a tied model saves no `lm_head.weight`. GGUF
/// files (dequantised) load through the same parameter visitor.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/gguf_llama.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/io/llama_layout.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/nn/lora.hpp"

namespace dapt::io {

/// Copies every base parameter of `model` from `ckpt` (converted to f32); LoRA adapters are left
/// alone (io/lora_checkpoint.hpp loads them). The checkpoint must match the model's config
/// exactly (check_llama_checkpoint).
inline void load_llama_weights(nn::Llama<Cpu>& model, const SafetensorsCheckpoint& ckpt) {
  check_llama_checkpoint(model.config(), ckpt);
  model.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    if (nn::is_lora_parameter(name)) return;
    const Tensor<Cpu> t = ckpt.to_f32(name);
    t.copy_to(p.value().view());
  });
}

/// Loads a model from a checkpoint directory (config.json + model.safetensors or shards).
inline std::unique_ptr<nn::Llama<Cpu>> load_llama(const std::filesystem::path& dir) {
  const LlamaConfig config = load_llama_config(dir);
  const SafetensorsCheckpoint ckpt = SafetensorsCheckpoint::open(dir);
  auto model = std::make_unique<nn::Llama<Cpu>>(config);
  load_llama_weights(*model, ckpt);
  return model;
}

/// Loads a model from a LLaMA GGUF file, dequantised to f32. The embedded tokenizer, if any, is
/// available from `load_gguf_llama(path).tokenizer`.
inline std::unique_ptr<nn::Llama<Cpu>> load_llama_gguf(const GgufLlama& gguf) {
  auto model = std::make_unique<nn::Llama<Cpu>>(gguf.config);
  model->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    const Tensor<Cpu> t = gguf.tensor(name);
    DAPT_CHECK_AS(kConfig, t.shape() == p.value().shape(), gguf.file.source(), ": tensor \"", name, "\" has shape ",
                  t.shape().str(), " but the config implies ", p.value().shape().str());
    t.copy_to(p.value().view());
  });
  return model;
}
inline std::unique_ptr<nn::Llama<Cpu>> load_llama_gguf(const std::filesystem::path& path) {
  return load_llama_gguf(load_gguf_llama(path));
}

struct SaveLlamaOptions {
  ConfigLayout layout = ConfigLayout::kLegacy;  ///< config.json layout (legacy loads in every transformers)
  DType dtype = DType::kF32;                     ///< F32, BF16 or F16 weights on disk
  std::uint64_t max_shard_bytes = 0;             ///< 0: one model.safetensors file
};

/// Writes config.json and the weights into `dir` (created if missing). Each file is written
/// atomically, so a failure leaves any previous file intact. A model with LoRA adapters is saved
/// only when every adapter is merged (the weights then hold the adapted model; the adapters
/// themselves go to io::save_lora); an unmerged adapter is kInvalidArgument, since the base
/// weights alone would silently drop the fine-tuning.
inline void save_llama(nn::Llama<Cpu>& model, const std::filesystem::path& dir, const SaveLlamaOptions& opt = {}) {
  DAPT_CHECK(opt.dtype == DType::kF32 || opt.dtype == DType::kBF16 || opt.dtype == DType::kF16,
             "save_llama: dtype must be F32, BF16 or F16, got ", dtype_name(opt.dtype));
  nn::visit_lora_adapters<nn::Llama<Cpu>, Cpu>(
      model, [&](const std::string& name, nn::Linear<Cpu>&, nn::LoraAdapter<Cpu>& a) {
        DAPT_CHECK(a.merged(), "save_llama: ", name, " has an unmerged LoRA adapter; merge it (nn::merge_lora or "
                   "nn::merge_and_unload) to save the adapted model, or save the adapter with io::save_lora");
      });
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) DAPT_FAIL(ErrorCategory::kIo, "cannot create directory ", dir.string(), ": ", ec.message());
  LlamaConfig config = model.config();
  config.dtype = opt.dtype == DType::kF32 ? "float32" : opt.dtype == DType::kBF16 ? "bfloat16" : "float16";
  std::vector<NamedTensor> tensors;
  std::vector<Tensor<Cpu>> converted;  // keeps converted copies alive until written
  model.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    if (nn::is_lora_parameter(name)) return;
    if (opt.dtype == DType::kF32) {
      tensors.push_back({name, p.value().view()});
      return;
    }
    Tensor<Cpu> t = Tensor<Cpu>::empty(p.value().shape(), opt.dtype);
    convert_from_f32(p.value().data<const float>(), opt.dtype, t.raw(), static_cast<std::size_t>(t.numel()));
    tensors.push_back({name, t.view()});
    converted.push_back(std::move(t));
  });
  const std::map<std::string, std::string> metadata{{"format", "pt"}};
  if (opt.max_shard_bytes > 0) save_safetensors_sharded(dir, tensors, opt.max_shard_bytes, metadata);
  else save_safetensors(dir / "model.safetensors", tensors, metadata);
  // A file of the other layout left from an earlier save would shadow this one for some loader
  // (transformers prefers model.safetensors, dapt the index): remove it now the new one is in place.
  if (opt.max_shard_bytes == 0) std::filesystem::remove(dir / "model.safetensors.index.json", ec);
  else if (std::filesystem::exists(dir / "model.safetensors.index.json", ec)) std::filesystem::remove(dir / "model.safetensors", ec);
  save_llama_config(dir / "config.json", config, opt.layout);
}

}  // namespace dapt::io
