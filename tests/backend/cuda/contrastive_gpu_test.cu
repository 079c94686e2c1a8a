/// @file contrastive_gpu_test.cu
/// @brief Contrastive training of an `Embedder<Cuda>` against the same on the CPU: the tiny
/// fixture's shape as a bidirectional embedder with random weights, copied to the device;
/// batches of (query, positive, hard negative) rows with padding, a missing negative, a duplicate
/// passage and an absent example. `BasicContrastiveModel<Cuda>` gives the CPU model's loss, its
/// accuracy and every gradient (the learned logit scale's too), chunked (GradCache) or not, one
/// direction or symmetric; `Trainer<Full, Cuda, BasicContrastiveModel<Cuda>>` follows the CPU
/// trainer's loss curve over 8 steps, and its checkpoint resumes on the CPU with the same weights.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dapt/cuda.cuh"
#include "dapt/embed/contrastive.hpp"
#include "dapt/embed/embedder.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/nn/lora.hpp"
#include "dapt/train/trainer.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_contrastive_gpu_test {

namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::Cuda;
using dapt::DType;
using dapt::Tensor;
using dapt::TensorView;

namespace {

dapt::embed::EmbedderConfig config() {
  dapt::embed::EmbedderConfig c;
  c.model = dapt::io::load_llama_config(fs::path(DAPT_TEST_DATA_DIR) / "fixtures" / "llama_tiny" / "model");
  c.causal = false;
  return c;
}

/// Contrastive batches of 3 rows per example (query, positive, one hard negative) in the
/// Trainer's layout, from a fixed hash of (seed, example): real tokens are labelled with
/// themselves, padding -1. Example 1 of every batch has no negative; the negative of example 2
/// repeats the positive of example 0 (a duplicate, not a negative of query 0).
struct SyntheticPairs {
  std::int64_t vocab = 0, len = 10;
  std::uint64_t seed = 3;
  std::int64_t example = 0;

  std::int64_t seq_len() const { return len; }
  std::int64_t rows_per_example() const { return 3; }
  void fill_row(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, std::int64_t r, std::uint64_t h,
                std::int64_t real) const {
    const std::int64_t t = ids.dim(1);
    for (std::int64_t j = 0; j < t; ++j) {
      const bool on = j < real;
      const auto tok = static_cast<std::int32_t>(2 + dapt_gpu_test::mix64(h * 131u + static_cast<std::uint64_t>(j)) %
                                                         static_cast<std::uint64_t>(vocab - 2));
      ids.data<std::int32_t>()[r * t + j] = on ? tok : 0;
      labels.data<std::int32_t>()[r * t + j] = on ? tok : -1;
    }
  }
  void next_batch(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const TensorView<Cpu>& = {}) {
    const std::int64_t b = ids.dim(0) / 3, t = ids.dim(1);
    for (std::int64_t i = 0; i < b; ++i, ++example) {
      // A topic of 6 shared by query and positive, so that the loss can fall.
      const std::uint64_t topic = dapt_gpu_test::mix64(seed + static_cast<std::uint64_t>(example % 6));
      fill_row(ids, labels, i, topic, 3 + example % 4);
      fill_row(ids, labels, b + i, topic + 1, 4 + example % (t - 4));
      if (i == 1) fill_row(ids, labels, 2 * b + i, 0, 0);  // no negative
      else if (i == 2) fill_row(ids, labels, 2 * b + i, dapt_gpu_test::mix64(seed + static_cast<std::uint64_t>((example - 2) % 6)) + 1,
                                4 + (example - 2) % (t - 4));  // example 0's positive, if the batch is aligned
      else fill_row(ids, labels, 2 * b + i, dapt_gpu_test::mix64(topic + 7), 5);
    }
  }
  std::int64_t count_scored(const TensorView<Cpu>& labels) const {
    const std::int64_t b = labels.dim(0) / 3, t = labels.dim(1);
    std::int64_t n = 0;
    for (std::int64_t i = 0; i < b; ++i) n += labels.data<const std::int32_t>()[i * t] >= 0;
    return n;
  }
  dapt::train::DataState state() const { return {0, example, seed, 0xc0de}; }
  void set_state(const dapt::train::DataState& s) { example = s.index; }
};

/// The same random embedder on both devices.
struct Embedders {
  dapt::embed::EmbedderConfig c = config();
  dapt::embed::Embedder<Cpu> host{c};
  dapt::embed::Embedder<Cuda> dev{c};
  explicit Embedders(std::uint64_t seed) {
    host.init_weights(seed, 0.1);
    dapt::nn::copy_parameters<Cpu, Cuda>(host, dev);
  }
};

/// One hard negative per example (the data's layout), temperature 0.05.
dapt::embed::ContrastiveOptions options(bool learn_temperature, std::int64_t chunk_rows, bool symmetric = false) {
  dapt::embed::ContrastiveOptions o;
  o.hard_negatives = 1;
  o.temperature = 0.05;
  o.learn_temperature = learn_temperature;
  o.chunk_rows = chunk_rows;
  o.symmetric = symmetric;
  return o;
}

template <class Device>
std::vector<float> grads(dapt::embed::BasicContrastiveModel<Device>& m) {
  return dapt_gpu_test::parameter_values<Device>(m, true);
}
template <class Device>
std::vector<float> weights(dapt::embed::BasicContrastiveModel<Device>& m) {
  return dapt_gpu_test::parameter_values<Device>(m);
}

}  // namespace

TEST_CASE("gpu contrastive model: loss, accuracy and gradients follow the CPU, chunked or not", "[gpu][embed][train]") {
  Embedders e(11);
  const auto& c = e.c;

  SyntheticPairs data{c.model.vocab_size};
  const std::int64_t b = 4, t = data.len;
  auto ids = Tensor<Cpu>::empty({3 * b, t}, DType::kI32), labels = Tensor<Cpu>::empty({3 * b, t}, DType::kI32);
  data.next_batch(ids.view(), labels.view());
  // Example 3 is absent (its query row all padding), as in a short last batch.
  for (std::int64_t j = 0; j < t; ++j) labels.data<std::int32_t>()[3 * t + j] = -1;

  for (const bool symmetric : {false, true})
    for (const std::int64_t chunk : {std::int64_t{0}, std::int64_t{4}}) {
      INFO("symmetric " << symmetric << " chunk rows " << chunk);
      const auto o = options(true, chunk, symmetric);
      dapt::embed::ContrastiveModel mc(e.host, o);
      dapt::embed::BasicContrastiveModel<Cuda> mg(e.dev, o);
      mc.visit_parameters([](const std::string&, dapt::nn::Param<Cpu>& p) { p.zero_grad(); });
      mg.visit_parameters([](const std::string&, dapt::nn::Param<Cuda>& p) { p.zero_grad(); });
      dapt::nn::LossOptions lo;
      lo.normalizer = 2.5;
      const auto rc = mc.forward_backward(ids.view(), labels.view(), lo);
      const auto rg = mg.forward_backward(ids.view(), labels.view(), lo);
      REQUIRE(rg.tokens == 3);
      REQUIRE(rg.tokens == rc.tokens);
      REQUIRE(std::abs(rg.sum - rc.sum) <= 1e-4 * std::abs(rc.sum));
      REQUIRE(mg.last_accuracy() == mc.last_accuracy());
      DAPT_GPU_REQUIRE_CLOSE(grads(mg), grads(mc), 1e-4);
      // The loss summed on the device (what the Trainer asks for) is the returned one.
      auto sum = Tensor<Cuda>::zeros({1}, DType::kF64);
      lo.loss_sum = sum.data<double>();
      (void)mg.forward_loss(ids.view(), labels.view(), lo);
      double got = 0;
      dapt::DeviceAllocator<Cuda>::copy_to_host(&got, sum.raw(), sizeof(double));
      REQUIRE(std::abs(got - rc.sum) <= 1e-4 * std::abs(rc.sum));
      REQUIRE(std::abs(mg.temperature() - 0.05) <= 1e-6);
    }
}

TEST_CASE("gpu contrastive trainer: 8 steps follow the CPU's loss curve, and the checkpoint resumes on the CPU",
          "[gpu][embed][train]") {
  Embedders e(12);
  const auto& c = e.c;
  const auto o = options(true, 5);
  dapt::embed::ContrastiveModel mc(e.host, o);
  dapt::embed::BasicContrastiveModel<Cuda> mg(e.dev, o);
  REQUIRE(weights(mg) == weights(mc));

  dapt::train::TrainerOptions to;
  to.micro_batch = 4;
  to.grad_accum = 2;
  to.max_steps = 8;
  to.schedule.lr = 2e-3;
  to.schedule.warmup_steps = 2;
  to.clip = 1.0;
  to.progress = false;
  SyntheticPairs dc{c.model.vocab_size}, dg{c.model.vocab_size};
  dapt::train::Trainer<dapt::train::Full, Cpu, dapt::embed::ContrastiveModel> tc(mc, dc, to);
  const fs::path dir = fs::temp_directory_path() / ("dapt_gpu_contrastive_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  to.checkpoint_dir = dir;
  dapt::train::Trainer<dapt::train::Full, Cuda, dapt::embed::BasicContrastiveModel<Cuda>> tg(mg, dg, to);
  double first = 0, last = 0;
  for (int s = 0; s < 8; ++s) {
    const auto a = tc.train_step();
    const auto g = tg.train_step();
    INFO("step " << s + 1 << ": CPU loss " << a.loss << ", GPU loss " << g.loss);
    REQUIRE(!g.skipped);
    REQUIRE(std::abs(g.loss - a.loss) <= 2e-3 * std::abs(a.loss));
    REQUIRE(std::abs(g.grad_norm - a.grad_norm) <= 2e-3 * std::abs(a.grad_norm));
    if (s == 0) first = g.loss;
    last = g.loss;
  }
  INFO("GPU loss " << first << " -> " << last);
  REQUIRE(last < first);
  REQUIRE(std::abs(mg.temperature() - mc.temperature()) <= 1e-4 * mc.temperature());

  // The GPU checkpoint resumes on the CPU, with the GPU's weights (the logit scale included).
  const fs::path saved = tg.save_checkpoint();
  dapt::embed::Embedder<Cpu> other(c);
  other.init_weights(99, 0.1);
  dapt::embed::ContrastiveModel mo(other, o);
  SyntheticPairs dn{c.model.vocab_size};
  auto to2 = to;
  to2.checkpoint_dir.clear();
  dapt::train::Trainer<dapt::train::Full, Cpu, dapt::embed::ContrastiveModel> tn(mo, dn, to2);
  tn.resume(saved);
  REQUIRE(tn.step() == 8);
  REQUIRE(weights(mo) == weights(mg));
  REQUIRE(dn.example == dg.example);
  fs::remove_all(dir);
}

TEST_CASE("gpu contrastive trainer: LoRA on the GPU follows the CPU", "[gpu][embed][train][lora]") {
  Embedders e(13);
  const auto& c = e.c;
  const auto o = options(false, 5);  // chunked: GradCache replays the adapters' dropout masks
  dapt::embed::ContrastiveModel mc(e.host, o);
  dapt::embed::BasicContrastiveModel<Cuda> mg(e.dev, o);
  dapt::nn::LoraConfig lc;
  lc.r = 4;
  lc.alpha = 16.0;
  lc.dropout = 0.05f;
  lc.seed = 5;
  lc.target_modules = {"q_proj", "v_proj", "down_proj"};
  const dapt::train::Lora method{lc};
  dapt::train::TrainerOptions to;
  to.micro_batch = 4;
  to.max_steps = 6;
  to.schedule.lr = 5e-3;
  to.progress = false;
  SyntheticPairs dc{c.model.vocab_size}, dg{c.model.vocab_size};
  dapt::train::Trainer<dapt::train::Lora, Cpu, dapt::embed::ContrastiveModel> tc(mc, dc, to, method);
  dapt::train::Trainer<dapt::train::Lora, Cuda, dapt::embed::BasicContrastiveModel<Cuda>> tg(mg, dg, to, method);
  for (int s = 0; s < 6; ++s) {
    const auto a = tc.train_step();
    const auto g = tg.train_step();
    INFO("LoRA step " << s + 1 << ": CPU loss " << a.loss << ", GPU loss " << g.loss);
    REQUIRE(!g.skipped);
    REQUIRE(std::abs(g.loss - a.loss) <= 2e-3 * std::abs(a.loss));
  }
  int adapters = 0;
  mg.visit_parameters([&](const std::string& name, dapt::nn::Param<Cuda>& p) {
    INFO(name);
    REQUIRE(p.trainable() == dapt::nn::is_lora_parameter(name));
    adapters += p.trainable();
  });
  REQUIRE(adapters == 2 * 3 * static_cast<int>(c.model.num_hidden_layers));
  DAPT_GPU_REQUIRE_CLOSE(weights(mg), weights(mc), 1e-4);
}

}  // namespace dapt_gpu_contrastive_gpu_test
