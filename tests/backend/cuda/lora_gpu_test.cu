/// @file lora_gpu_test.cu
/// @brief LoRA on the device against the CPU: the tiny fixture model with adapters on every
/// projection (applied by `nn::apply_lora` on each device from one seed, so A starts equal), B set
/// to random values on the host and copied over, adapter dropout on. The loss and the gradients
/// of every adapter agree with the CPU in fp32; merging on the device gives the CPU's merged
/// weights and leaves the function unchanged; unmerging restores the base bit for bit. In bf16
/// mixed precision the adapters follow their layers' dtype and the loss stays near the CPU's.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "dapt/cuda.cuh"
#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/nn/lora.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_lora_gpu_test {

namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::Cuda;
using dapt::DType;
using dapt::Tensor;
using dapt::TensorView;

namespace {

dapt::nn::LoraConfig lora_config() {
  dapt::nn::LoraConfig c;
  c.r = 4;
  c.alpha = 8.0;
  c.dropout = 0.1f;
  c.seed = 17;
  c.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  return c;
}

}  // namespace

TEST_CASE("gpu lora: adapters on the device follow the CPU in fp32, merge and unmerge", "[gpu][lora]") {
  const fs::path dir = fs::path(DAPT_TEST_DATA_DIR) / "fixtures" / "llama_tiny" / "model";
  auto host = dapt::io::load_llama(dir);
  const auto& cfg = host->config();
  dapt::nn::Llama<Cuda> dev(cfg);
  dapt::nn::copy_parameters<Cpu, Cuda>(*host, dev);
  const auto lc = lora_config();
  const auto adapted = dapt::nn::apply_lora(*host, lc);
  REQUIRE(dapt::nn::apply_lora<dapt::nn::Llama<Cuda>, Cuda>(dev, lc) == adapted);
  // Same seed, same A on both devices; B gets random values (zero would hide the B path).
  auto g = dapt_gpu_test::rng(301);
  host->visit_parameters([&](const std::string& name, dapt::nn::Param<Cpu>& p) {
    if (name.size() > 13 && name.substr(name.size() - 13) == "lora_B.weight") {
      const auto v = dapt_gpu_test::uniform(g, static_cast<std::size_t>(p.numel()), -0.05f, 0.05f);
      std::copy(v.begin(), v.end(), p.value().data<float>());
    }
  });
  int same_a = 0;
  dev.visit_parameters([&](const std::string& name, dapt::nn::Param<Cuda>& p) {
    if (name.size() > 13 && name.substr(name.size() - 13) == "lora_A.weight") {
      host->visit_parameters([&](const std::string& n2, dapt::nn::Param<Cpu>& q) {
        if (n2 == name) same_a += dapt_gpu_test::host_values(p.value().view()) == dapt_gpu_test::host_values(q.value().view());
      });
    }
  });
  CHECK(same_a == adapted);
  dapt::nn::copy_parameters<Cpu, Cuda>(*host, dev);
  dapt::nn::set_lora_training(*host, true);
  dapt::nn::set_lora_training<dapt::nn::Llama<Cuda>, Cuda>(dev, true);

  const std::int64_t b = 2, t = 11;
  auto ids = Tensor<Cpu>::empty({b, t}, DType::kI32);
  for (std::int64_t i = 0; i < b * t; ++i)
    ids.data<std::int32_t>()[i] = static_cast<std::int32_t>(g() % static_cast<std::uint64_t>(cfg.vocab_size));
  auto dids = Tensor<Cuda>::empty({b, t}, DType::kI32);
  dapt::upload(ids.view(), dids.view());

  host->zero_grad();
  dev.zero_grad();
  const double lc_loss = host->forward_backward(ids.view(), ids.view()).loss;
  const double lg_loss = dev.forward_backward(dids.view(), ids.view()).loss;
  INFO("loss cpu " << lc_loss << " gpu " << lg_loss);
  CHECK(std::abs(lg_loss - lc_loss) / std::abs(lc_loss) < 1e-5);
  int grads = 0;
  dev.visit_parameters([&](const std::string& name, dapt::nn::Param<Cuda>& p) {
    if (!p.trainable()) return;
    host->visit_parameters([&](const std::string& n2, dapt::nn::Param<Cpu>& q) {
      if (n2 != name) return;
      INFO("grad of " << name);
      DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(p.grad().view()), dapt_gpu_test::host_values(q.grad().view()), 1e-4);
      ++grads;
    });
  });
  CHECK(grads == 2 * adapted);

  // Merging: the same merged weights as the CPU's, the same function, and unmerge restores the base.
  dapt::nn::set_lora_training<dapt::nn::Llama<Cuda>, Cuda>(dev, false);
  dapt::nn::set_lora_training(*host, false);
  const auto before = dapt_gpu_test::host_values(dev.forward(dids.view()));
  const auto base_q = dapt_gpu_test::host_values(dev.layer(0).self_attn().q_proj().weight().value().view());
  dapt::nn::merge_lora<dapt::nn::Llama<Cuda>, Cuda>(dev);
  dapt::nn::merge_lora(*host);
  CHECK(dapt_gpu_test::host_values(dev.layer(0).self_attn().q_proj().weight().value().view()) ==
        dapt_gpu_test::host_values(host->layer(0).self_attn().q_proj().weight().value().view()));
  DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(dev.forward(dids.view())), before, 1e-5);
  dapt::nn::unmerge_lora<dapt::nn::Llama<Cuda>, Cuda>(dev);
  CHECK(dapt_gpu_test::host_values(dev.layer(0).self_attn().q_proj().weight().value().view()) == base_q);
}

TEST_CASE("gpu lora: adapters compute in bf16 with their layers", "[gpu][lora][bf16]") {
  const fs::path dir = fs::path(DAPT_TEST_DATA_DIR) / "fixtures" / "llama_tiny" / "model";
  auto host = dapt::io::load_llama(dir);
  dapt::nn::Llama<Cuda> dev(host->config());
  dapt::nn::copy_parameters<Cpu, Cuda>(*host, dev);
  dev.set_compute_dtype(DType::kBF16);
  auto lc = lora_config();
  lc.dropout = 0.0f;
  dapt::nn::apply_lora(*host, lc);
  dapt::nn::apply_lora<dapt::nn::Llama<Cuda>, Cuda>(dev, lc);
  dev.visit_parameters([](const std::string& name, dapt::nn::Param<Cuda>& p) {
    INFO(name);
    CHECK(p.compute_dtype() == DType::kBF16);
  });
  const std::int64_t t = 13;
  auto ids = Tensor<Cpu>::empty({1, t}, DType::kI32);
  for (std::int64_t i = 0; i < t; ++i) ids.data<std::int32_t>()[i] = static_cast<std::int32_t>(3 + 7 * i);
  auto dids = Tensor<Cuda>::empty({1, t}, DType::kI32);
  dapt::upload(ids.view(), dids.view());
  const double lc_loss = host->forward_backward(ids.view(), ids.view()).loss;
  const double lg_loss = dev.forward_backward(dids.view(), ids.view()).loss;
  INFO("loss cpu fp32 " << lc_loss << " gpu bf16 " << lg_loss);
  CHECK(std::abs(lg_loss - lc_loss) / std::abs(lc_loss) < 1e-2);
}

}  // namespace dapt_gpu_lora_gpu_test
