/// @file trainer_gpu_test.cu
/// @brief `train::Trainer<Full, Cuda>` against `Trainer<Full, Cpu>`: the tiny HF fixture model,
/// copied to the device, trains 20 steps (gradient accumulation, packed segments, cosine schedule,
/// clipping) beside the same model on the CPU, fed the same batches; the loss curves and gradient
/// norms agree step by step and the weights at the end agree. A checkpoint written by the GPU
/// trainer resumes in a CPU trainer with the very same weights and optimizer state. A NaN step is
/// skipped by the device and taken back by the host. In bf16 mixed precision the loss curve stays
/// within the bf16 tolerance of the CPU's fp32 one, and the optimizer keeps every bf16 copy equal
/// to bf16(master). LoRA trains on the GPU as on the CPU, and its peft checkpoint resumes there.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "dapt/cuda.cuh"
#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/nn/lora.hpp"
#include "dapt/train/trainer.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_trainer_gpu_test {

namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::Cuda;
using dapt::DType;
using dapt::Tensor;
using dapt::TensorView;

namespace {

/// Deterministic token rows: row r of the stream holds tokens from a fixed hash of (seed, r), in
/// two documents (segment ids 0 then 1, the second starting at a position that depends on r).
struct SyntheticData {
  std::int64_t vocab = 0, len = 16;
  std::uint64_t seed = 1;
  std::int64_t row = 0;

  std::int64_t seq_len() const { return len; }
  void next_batch(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const TensorView<Cpu>& segs) {
    const std::int64_t b = ids.dim(0), t = ids.dim(1);
    for (std::int64_t i = 0; i < b; ++i, ++row) {
      const std::int64_t cut = 3 + row % (t - 4);
      for (std::int64_t j = 0; j < t; ++j) {
        // A small repeated alphabet, so that the loss has something to learn in 20 steps.
        const auto tok = static_cast<std::int32_t>(2 + dapt_gpu_test::mix64(seed * 1000003u + static_cast<std::uint64_t>(row % 5) * 97u +
                                                           static_cast<std::uint64_t>(j)) % 24);
        ids.data<std::int32_t>()[i * t + j] = tok;
        labels.data<std::int32_t>()[i * t + j] = j == cut ? -100 : tok;  // one ignored label per row
        segs.data<std::int32_t>()[i * t + j] = j < cut ? 0 : 1;
      }
    }
  }
  dapt::train::DataState state() const { return {0, row, seed, 0x5eed}; }
  void set_state(const dapt::train::DataState& s) { row = s.index; }
};

dapt::train::TrainerOptions options() {
  dapt::train::TrainerOptions o;
  o.micro_batch = 2;
  o.grad_accum = 2;
  o.max_steps = 20;
  o.schedule.kind = dapt::train::ScheduleKind::kCosine;
  o.schedule.lr = 3e-3;
  o.schedule.warmup_steps = 3;
  o.schedule.total_steps = 20;
  o.clip = 1.0;
  o.progress = false;
  return o;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("dapt_gpu_trainer_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  return d;
}

template <class Device>
std::vector<float> weights(dapt::nn::Llama<Device>& m) {
  return dapt_gpu_test::parameter_values<Device>(m);
}

/// A GPU trainer's optimizer state, downloaded: (m, v, step count) by parameter name.
template <class Trainer>
std::map<std::string, std::tuple<std::vector<float>, std::vector<float>, std::int64_t>> device_state(Trainer& t) {
  std::map<std::string, std::tuple<std::vector<float>, std::vector<float>, std::int64_t>> out;
  t.optimizer().visit_state(
      [&](const std::string& name, const TensorView<Cuda>& m, const TensorView<Cuda>& v, std::int64_t step) {
        out[name] = {dapt_gpu_test::host_values(m), dapt_gpu_test::host_values(v), step};
      });
  return out;
}

double rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-12); }

const fs::path& fixture_model() {
  static const fs::path p = fs::path(DAPT_TEST_DATA_DIR) / "fixtures" / "llama_tiny" / "model";
  return p;
}

}  // namespace

TEST_CASE("gpu trainer: 20 steps on the GPU follow the CPU's loss curve, and the checkpoint resumes on the CPU",
          "[gpu][train][long]") {
  auto host = dapt::io::load_llama(fixture_model());
  dapt::nn::Llama<Cuda> dev(host->config());
  dapt::nn::copy_parameters<Cpu, Cuda>(*host, dev);
  REQUIRE(weights(dev) == weights(*host));

  SyntheticData dc{host->config().vocab_size}, dg{host->config().vocab_size};
  const fs::path dir = fresh_dir("resume");
  auto o = options();
  dapt::train::Trainer<dapt::train::Full, Cpu> tc(*host, dc, o);
  o.checkpoint_dir = dir;
  dapt::train::Trainer<dapt::train::Full, Cuda> tg(dev, dg, o);

  double first = 0, last = 0;
  for (int s = 0; s < 20; ++s) {
    const auto c = tc.train_step();
    const auto g = tg.train_step();
    INFO("step " << s + 1 << ": loss cpu " << c.loss << " gpu " << g.loss << ", norm cpu " << c.grad_norm << " gpu "
                 << g.grad_norm);
    REQUIRE_FALSE(g.skipped);
    CHECK(g.tokens == c.tokens);
    // fp32 on both sides (the GEMMs sum in other orders, and Adam amplifies rounding in tiny
    // gradients over the steps): inside a tenth of the issue's bf16 tolerance (1e-2).
    CHECK(rel(g.loss, c.loss) < 1e-3);
    CHECK(rel(g.grad_norm, c.grad_norm) < 1e-2);
    if (s == 0) first = g.loss;
    last = g.loss;
  }
  CHECK(last < first - 0.3);  // it learned the repeated rows
  DAPT_GPU_REQUIRE_CLOSE(weights(dev), weights(*host), 1e-3);
  CHECK(tg.optimizer().step_count() == 20);
  CHECK(tg.optimizer().state_step("model.norm.weight") == 20);

  // The GPU trainer's checkpoint holds exactly its weights and optimizer state, in the CPU format.
  const fs::path ckpt = tg.save_checkpoint();
  auto resumed = std::make_unique<dapt::nn::Llama<Cpu>>(host->config());
  SyntheticData dr{host->config().vocab_size};
  // The resumed trainers run a longer schedule, so that their steps 21 to 23 train (at step 20
  // the cosine has reached 0) and use the optimizer state they loaded; a strict resume would
  // refuse the changed option.
  auto longer = options();
  longer.schedule.total_steps = 30;
  longer.strict_resume = false;
  dapt::train::Trainer<dapt::train::Full, Cpu> tr(*resumed, dr, longer);
  tr.resume(ckpt);
  CHECK(tr.step() == 20);
  CHECK(dr.row == dg.row);
  CHECK(weights(*resumed) == weights(dev));
  int moments = 0;
  tg.optimizer().visit_state([&](const std::string& name, const TensorView<Cuda>& m, const TensorView<Cuda>& v,
                                 std::int64_t t) {
    INFO("state of " << name);
    CHECK(tr.optimizer().state_step(name) == t);
    bool found = false;
    tr.optimizer().visit_state([&](const std::string& n2, const TensorView<Cpu>& m2, const TensorView<Cpu>& v2) {
      if (n2 != name) return;
      found = true;
      const Tensor<Cpu> hm = dapt::to_host(m), hv = dapt::to_host(v);
      CHECK(std::equal(hm.data<const float>(), hm.data<const float>() + hm.numel(), m2.data<const float>()));
      CHECK(std::equal(hv.data<const float>(), hv.data<const float>() + hv.numel(), v2.data<const float>()));
    });
    CHECK(found);
    ++moments;
  });
  CHECK(moments == static_cast<int>(tr.optimizer().state_size()));

  // And a GPU trainer resumes from it too, continuing as the CPU one does.
  dapt::nn::Llama<Cuda> dev2(host->config());
  SyntheticData dg2{host->config().vocab_size};
  dapt::train::Trainer<dapt::train::Full, Cuda> tg2(dev2, dg2, longer);
  tg2.resume(ckpt);
  CHECK(weights(dev2) == weights(dev));
  const auto state = device_state(tg);
  CHECK(state.size() == tr.optimizer().state_size());
  CHECK(device_state(tg2) == state);  // the moments and step counts went up unchanged
  for (int s = 0; s < 3; ++s) {
    const auto c = tr.train_step();
    const auto g = tg2.train_step();
    INFO("resumed step " << s + 21 << ": cpu " << c.loss << " gpu " << g.loss);
    REQUIRE_FALSE(g.skipped);
    CHECK(rel(g.loss, c.loss) < 1e-3);
  }
  DAPT_GPU_REQUIRE_CLOSE(weights(dev2), weights(*resumed), 1e-3);  // the resumed updates agree too
  fs::remove_all(dir);
}

TEST_CASE("gpu trainer: 20 steps in bf16 mixed precision follow the CPU's fp32 loss curve", "[gpu][train][bf16][long]") {
  auto host = dapt::io::load_llama(fixture_model());
  dapt::nn::Llama<Cuda> dev(host->config());
  dapt::nn::copy_parameters<Cpu, Cuda>(*host, dev);
  dev.set_compute_dtype(DType::kBF16);
  REQUIRE(dev.compute_dtype() == DType::kBF16);
  SyntheticData dc{host->config().vocab_size}, dg{host->config().vocab_size};
  dapt::train::Trainer<dapt::train::Full, Cpu> tc(*host, dc, options());
  dapt::train::Trainer<dapt::train::Full, Cuda> tg(dev, dg, options());
  double first = 0, last = 0, worst = 0;
  for (int s = 0; s < 20; ++s) {
    const auto c = tc.train_step();
    const auto g = tg.train_step();
    INFO("step " << s + 1 << ": loss cpu " << c.loss << " gpu bf16 " << g.loss);
    REQUIRE_FALSE(g.skipped);
    // bf16 activations and weight copies (8 bits of mantissa) against fp32: the issue's bf16
    // tolerance, 1e-2, on every step's loss.
    CHECK(rel(g.loss, c.loss) < 1e-2);
    worst = std::max(worst, rel(g.loss, c.loss));
    if (s == 0) first = g.loss;
    last = g.loss;
  }
  WARN("largest relative loss difference over 20 bf16 steps: " << worst);
  CHECK(last < first - 0.3);
  // The masters stay fp32 and near the CPU's; every bf16 copy is exactly bf16(master), written by
  // the multi-tensor AdamW.
  DAPT_GPU_REQUIRE_CLOSE(weights(dev), weights(*host), 5e-2);
  int copies = 0;
  dev.visit_parameters([&](const std::string& name, dapt::nn::Param<Cuda>& p) {
    INFO("parameter " << name);
    REQUIRE(p.copy().defined());
    const Tensor<Cpu> master = dapt::to_host(p.value().view()), copy = dapt::to_host(p.copy().view());
    std::int64_t wrong = 0;
    for (std::int64_t i = 0; i < master.numel(); ++i)
      wrong += dapt::bf16(master.data<const float>()[i]).bits != copy.data<const dapt::bf16>()[i].bits;
    CHECK(wrong == 0);
    ++copies;
  });
  CHECK(copies > 0);
  // Back to fp32: the copies are dropped and the model computes on the masters.
  dev.set_compute_dtype(DType::kF32);
  dev.visit_parameters([](const std::string&, dapt::nn::Param<Cuda>& p) { CHECK_FALSE(p.copy().defined()); });
}

TEST_CASE("gpu trainer: LoRA on the GPU follows the CPU, and its peft checkpoint resumes on the CPU", "[gpu][train][lora]") {
  auto host = dapt::io::load_llama(fixture_model());
  dapt::nn::Llama<Cuda> dev(host->config());
  dapt::nn::copy_parameters<Cpu, Cuda>(*host, dev);
  dapt::nn::LoraConfig lc;
  lc.r = 4;
  lc.alpha = 16.0;
  lc.dropout = 0.05f;
  lc.seed = 5;
  lc.target_modules = {"q_proj", "v_proj", "down_proj"};
  const dapt::train::Lora method{lc};
  SyntheticData dc{host->config().vocab_size}, dg{host->config().vocab_size};
  const fs::path dir = fresh_dir("lora");
  auto o = options();
  o.max_steps = 12;
  o.schedule.total_steps = 12;
  dapt::train::Trainer<dapt::train::Lora, Cpu> tc(*host, dc, o, method);
  o.checkpoint_dir = dir;
  dapt::train::Trainer<dapt::train::Lora, Cuda> tg(dev, dg, o, method);
  double first = 0, last = 0;
  for (int s = 0; s < 12; ++s) {
    const auto c = tc.train_step();
    const auto g = tg.train_step();
    INFO("LoRA step " << s + 1 << ": loss cpu " << c.loss << " gpu " << g.loss);
    REQUIRE_FALSE(g.skipped);
    CHECK(rel(g.loss, c.loss) < 1e-3);
    if (s == 0) first = g.loss;
    last = g.loss;
  }
  CHECK(last < first);
  // Only the adapters trained, and they end near the CPU's (compared alone: the frozen base
  // would dominate a norm over every weight).
  int adapters = 0;
  dev.visit_parameters([&](const std::string& name, dapt::nn::Param<Cuda>& p) {
    INFO(name);
    if (!dapt::nn::is_lora_parameter(name)) {
      CHECK_FALSE(p.trainable());
      return;
    }
    host->visit_parameters([&](const std::string& n2, dapt::nn::Param<Cpu>& q) {
      if (n2 != name) return;
      DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(p.value().view()), dapt_gpu_test::host_values(q.value().view()),
                             1e-3);
      ++adapters;
    });
  });
  CHECK(adapters == 6 * host->config().num_hidden_layers);  // A and B of q_proj, v_proj, down_proj

  // The GPU trainer's peft checkpoint resumes a CPU LoRA trainer with the same adapters.
  const fs::path ckpt = tg.save_checkpoint();
  auto resumed = dapt::io::load_llama(fixture_model());
  SyntheticData dr{host->config().vocab_size};
  auto o2 = o;  // the checkpoint's options (a strict resume compares them), without the directory
  o2.checkpoint_dir.clear();
  dapt::train::Trainer<dapt::train::Lora, Cpu> tr(*resumed, dr, o2, method);
  tr.resume(ckpt);
  CHECK(tr.step() == 12);
  CHECK(weights(*resumed) == weights(dev));
  fs::remove_all(dir);
}

TEST_CASE("gpu trainer: a NaN step is skipped on the device and taken back on the host", "[gpu][train]") {
  auto host = dapt::io::load_llama(fixture_model());
  dapt::nn::Llama<Cuda> dev(host->config());
  dapt::nn::copy_parameters<Cpu, Cuda>(*host, dev);
  SyntheticData d{host->config().vocab_size};
  auto o = options();
  o.max_consecutive_skips = 2;
  dapt::train::Trainer<dapt::train::Full, Cuda> t(dev, d, o);
  REQUIRE_FALSE(t.train_step().skipped);
  const auto before = weights(dev);

  // A NaN in the final norm's weight makes every loss NaN: the update must not happen.
  auto& norm = dev.norm().weight().value();
  Tensor<Cpu> w = dapt::to_host(norm.view());
  const float saved = w.data<float>()[3];
  w.data<float>()[3] = std::nanf("");
  dapt::upload(w.view(), norm.view());
  const auto s2 = t.train_step();
  CHECK(s2.skipped);
  CHECK(std::isnan(s2.loss));
  CHECK(t.skipped_total() == 1);
  CHECK(t.optimizer().step_count() == 1);
  CHECK(t.optimizer().state_step("model.layers.0.mlp.up_proj.weight") == 1);
  auto after = weights(dev);
  REQUIRE(after.size() == before.size());
  std::size_t nan_count = 0;
  for (std::size_t i = 0; i < after.size(); ++i) {
    if (std::isnan(after[i])) {
      ++nan_count;
      continue;
    }
    CHECK(after[i] == before[i]);
  }
  CHECK(nan_count == 1);
  REQUIRE_DAPT_ERROR(t.train_step(), kNumeric, "consecutive steps");

  // With the weight restored the run goes on from step count 1.
  w.data<float>()[3] = saved;
  dapt::upload(w.view(), norm.view());
  const auto s4 = t.train_step();
  CHECK_FALSE(s4.skipped);
  CHECK(t.optimizer().step_count() == 2);
  CHECK(t.optimizer().state_step("model.layers.0.mlp.up_proj.weight") == 2);
}

}  // namespace dapt_gpu_trainer_gpu_test
