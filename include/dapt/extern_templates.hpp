/// @file extern_templates.hpp
/// @brief Opt-in compile-time saver for programs with several translation units: declares the CPU
/// model classes (the LLaMA layers and model, the embedder and its contrastive model, the Trainer
/// for full and LoRA fine-tuning of both) as explicit instantiations made elsewhere, so a source
/// file that includes this header compiles its calls into them without instantiating their member
/// functions again.
/// Exactly one source file of the program must make the instantiations:
/// ```cpp
/// #define DAPT_INSTANTIATE_EXTERN_TEMPLATES
/// #include "dapt/extern_templates.hpp"
/// ```
/// dapt's own tests and examples do this (one shared static library). `dapt/dapt.hpp` does not include this header: a
/// program that never defines the instantiations must not see the declarations.
#pragma once

#include "dapt/embed/contrastive.hpp"
#include "dapt/embed/embedder.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/train/trainer.hpp"

/// Applies `prefix` (`extern` or nothing) to each explicit instantiation.
#define DAPT_DETAIL_CPU_INSTANTIATIONS(prefix)                                                      \
  prefix template class ::dapt::nn::Linear<::dapt::Cpu>;                                            \
  prefix template class ::dapt::nn::Embedding<::dapt::Cpu>;                                         \
  prefix template class ::dapt::nn::RmsNorm<::dapt::Cpu>;                                           \
  prefix template class ::dapt::nn::Attention<::dapt::Cpu>;                                         \
  prefix template class ::dapt::nn::Mlp<::dapt::Cpu>;                                               \
  prefix template class ::dapt::nn::DecoderBlock<::dapt::Cpu>;                                      \
  prefix template class ::dapt::nn::LlamaTrunk<::dapt::Cpu>;                                        \
  prefix template class ::dapt::nn::Llama<::dapt::Cpu>;                                             \
  prefix template class ::dapt::embed::Embedder<::dapt::Cpu>;                                       \
  prefix template class ::dapt::embed::BasicContrastiveModel<::dapt::Cpu>;                          \
  prefix template class ::dapt::train::Trainer<::dapt::train::Full, ::dapt::Cpu>;                   \
  prefix template class ::dapt::train::Trainer<::dapt::train::Lora, ::dapt::Cpu>;                   \
  prefix template class ::dapt::train::Trainer<::dapt::train::Full, ::dapt::Cpu, ::dapt::embed::ContrastiveModel>; \
  prefix template class ::dapt::train::Trainer<::dapt::train::Lora, ::dapt::Cpu, ::dapt::embed::ContrastiveModel>;

#if defined(DAPT_INSTANTIATE_EXTERN_TEMPLATES)
DAPT_DETAIL_CPU_INSTANTIATIONS()
#else
DAPT_DETAIL_CPU_INSTANTIATIONS(extern)
#endif
