// Writes a LoRA adapter with dapt (rsLoRA, a rank_pattern, lm_head in modules_to_save, random
// B so the adapter matters) for the tiny fixture, and the adapted model's logits, into argv[1];
// scripts/check-peft-interop then loads the adapter with peft and compares the logits.
#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/io/lora_checkpoint.hpp"
#include "dapt/io/safetensors.hpp"
#include <algorithm>
using namespace dapt;
int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string out = argv[1];
  auto m = io::load_llama(DAPT_TINY_MODEL);
  nn::LoraConfig c;
  c.target_modules = {"q_proj", "v_proj", "down_proj"};
  c.r = 6; c.alpha = 5; c.use_rslora = true; c.modules_to_save = {"lm_head"};
  c.rank_pattern = {{"down_proj", 3}};
  c.base_model_name_or_path = DAPT_TINY_MODEL;
  nn::apply_lora(*m, c);
  Rng rng(5);
  m->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    if (name.find("lora_B") != std::string::npos || name == "lm_head.weight")
      for (std::int64_t i = 0; i < p.numel(); ++i) p.value().data<float>()[i] += rng.normal(0.0f, 0.05f);
  });
  Tensor<Cpu> ids = Tensor<Cpu>::empty({1, 20}, DType::kI32);
  for (int i = 0; i < 20; ++i) ids.data<std::int32_t>()[i] = (i * 37 + 11) % 320;
  io::save_lora(*m, out + "/adapter", c);
  Tensor<Cpu> logits = Tensor<Cpu>::empty({1, 20, 320}, DType::kF32);
  const auto lv = m->forward(ids);
  std::copy(lv.data<const float>(), lv.data<const float>() + lv.numel(), logits.data<float>());
  io::save_safetensors(out + "/logits.safetensors", {{"logits", logits.view()}, {"ids", ids.view()}});
}
