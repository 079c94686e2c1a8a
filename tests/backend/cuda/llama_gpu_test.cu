/// @file llama_gpu_test.cu
/// @brief `nn::Llama<Cuda>` in fp32 against the Hugging Face reference of the tiny fixture (the
/// CPU model's parity test, on the device): the weights are loaded on the host and copied into a
/// device model parameter by parameter (by Hugging Face name), then logits, the masked and
/// unmasked losses and the gradient of every parameter are compared with the reference. KV-cache
/// prefill and decode and `nn::generate` on the device are compared with the CPU model.
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

#include "dapt/backend/cuda/activation.cuh"
#include "dapt/backend/cuda/allocator.cuh"
#include "dapt/backend/cuda/attention.cuh"
#include "dapt/backend/cuda/elementwise.cuh"
#include "dapt/backend/cuda/embedding.cuh"
#include "dapt/backend/cuda/loss.cuh"
#include "dapt/backend/cuda/matmul.cuh"
#include "dapt/backend/cuda/norm.cuh"
#include "dapt/backend/cuda/optim.cuh"
#include "dapt/backend/cuda/rope.cuh"
#include "dapt/backend/cuda/sampling.cuh"
#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt/nn/generate.hpp"
#include "dapt/nn/kv_cache.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_llama_gpu_test {

namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::Cuda;
using dapt::DType;
using dapt::Tensor;
using dapt::TensorView;

namespace {

Tensor<Cpu> to_i32(const Tensor<Cpu>& t) {
  auto out = Tensor<Cpu>::empty(t.shape(), DType::kI32);
  const auto n = t.numel();
  for (std::int64_t i = 0; i < n; ++i) {
    out.data<std::int32_t>()[i] = t.dtype() == DType::kI64 ? static_cast<std::int32_t>(t.data<const std::int64_t>()[i])
                                                           : t.data<const std::int32_t>()[i];
  }
  return out;
}

std::vector<float> values(const Tensor<Cpu>& h) { return {h.data<const float>(), h.data<const float>() + h.numel()}; }

/// The tiny fixture on both devices: its Hugging Face reference, the model loaded on the host and
/// copied to the device, and the reference batch (ids and labels on the host, ids on the device).
struct Fixture {
  fs::path dir = fs::path(DAPT_TEST_DATA_DIR) / "fixtures" / "llama_tiny";
  dapt::io::SafetensorsFile ref = dapt::io::SafetensorsFile::open(dir / "reference.safetensors");
  std::unique_ptr<dapt::nn::Llama<Cpu>> host = dapt::io::load_llama(dir / "model");
  const dapt::io::LlamaConfig& cfg = host->config();
  dapt::nn::Llama<Cuda> model{cfg};
  Tensor<Cpu> ids = to_i32(ref.copy("input_ids")), labels = to_i32(ref.copy("labels"));
  Tensor<Cuda> dids = Tensor<Cuda>::empty(ids.shape(), DType::kI32);

  Fixture() {
    dapt::nn::copy_parameters<Cpu, Cuda>(*host, model);
    dapt::upload(ids.view(), dids.view());
  }
};

double scalar(const dapt::io::SafetensorsFile& ref, const std::string& name) {
  return static_cast<double>(ref.to_f32(name).data<const float>()[0]);
}

}  // namespace

TEST_CASE("gpu llama: fp32 parity with the Hugging Face reference of the tiny fixture", "[gpu][llama][parity]") {
  Fixture f;
  const auto& ref = f.ref;
  auto& model = f.model;
  const Tensor<Cpu>& ids = f.ids;
  const Tensor<Cpu>& labels = f.labels;
  const Tensor<Cuda>& dids = f.dids;

  SECTION("logits") {
    const TensorView<Cuda> logits = model.forward(dids.view());
    DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(logits), values(ref.to_f32("logits")), 1e-5);
  }
  SECTION("masked and unmasked loss") {
    const double loss = model.forward_loss(dids.view(), labels.view()).loss;
    INFO("loss " << loss << " reference " << scalar(ref, "loss"));
    CHECK(std::abs(loss - scalar(ref, "loss")) / std::abs(scalar(ref, "loss")) < 1e-5);
    const double nomask = model.forward_loss(dids.view(), ids.view()).loss;
    INFO("loss_nomask " << nomask << " reference " << scalar(ref, "loss_nomask"));
    CHECK(std::abs(nomask - scalar(ref, "loss_nomask")) / std::abs(scalar(ref, "loss_nomask")) < 1e-5);
  }
  SECTION("gradient of every parameter") {
    model.zero_grad();
    const double loss = model.forward_backward(dids.view(), labels.view()).loss;
    CHECK(std::abs(loss - scalar(ref, "loss")) / std::abs(scalar(ref, "loss")) < 1e-5);
    int checked = 0;
    model.visit_parameters([&](const std::string& name, dapt::nn::Param<Cuda>& p) {
      INFO("grad of " << name);
      DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(p.grad().view()), values(ref.to_f32("grad." + name)), 1e-4);
      ++checked;
    });
    int expected = 0;  // every gradient of the reference was compared
    for (const auto& n : ref.names()) expected += n.rfind("grad.", 0) == 0;
    CHECK(checked == expected);
  }
}

TEST_CASE("gpu llama: KV-cache prefill and decode on the device follow the CPU", "[gpu][llama][decode]") {
  Fixture f;
  auto& host = f.host;
  auto& model = f.model;
  const auto& cfg = f.cfg;
  dapt::nn::KvCache<Cpu> hc(cfg, 2, 16);
  dapt::nn::KvCache<Cuda> dc(cfg, 2, 16);
  auto g = dapt_gpu_test::rng(71);
  const auto ids_of = [&](std::int64_t r, std::int64_t t) {
    auto h = Tensor<Cpu>::empty({r, t}, DType::kI32);
    for (std::int64_t i = 0; i < r * t; ++i)
      h.data<std::int32_t>()[i] = static_cast<std::int32_t>(g() % static_cast<std::uint64_t>(cfg.vocab_size));
    auto d = Tensor<Cuda>::empty({r, t}, DType::kI32);
    dapt::upload(h.view(), d.view());
    return std::pair{h, d};
  };
  // Prompts of different lengths, prefilled row by row, then four decode steps of both rows.
  for (const auto& [row, len] : {std::pair<std::int64_t, std::int64_t>{0, 5}, {1, 3}}) {
    const auto [h, d] = ids_of(1, len);
    const auto want = values(Tensor<Cpu>::borrow(host->forward_cached(h.view(), hc, row)).clone());
    INFO("prefill row " << row);
    DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(model.forward_cached(d.view(), dc, row)), want, 1e-5);
  }
  for (int step = 0; step < 4; ++step) {
    const auto [h, d] = ids_of(2, 1);
    const auto want = values(Tensor<Cpu>::borrow(host->forward_cached(h.view(), hc, 0)).clone());
    INFO("decode step " << step);
    DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(model.forward_cached(d.view(), dc, 0)), want, 1e-5);
  }
  CHECK(dc.length(0) == 9);
  CHECK(dc.length(1) == 7);
  dc.reset_row(1);
  hc.reset_row(1);
  const auto [h, d] = ids_of(1, 2);
  DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(model.forward_cached(d.view(), dc, 1)),
                         values(Tensor<Cpu>::borrow(host->forward_cached(h.view(), hc, 1)).clone()), 1e-5);
}

TEST_CASE("gpu llama: generate on the device picks the CPU's tokens", "[gpu][llama][generate]") {
  Fixture f;
  auto& host = f.host;
  auto& model = f.model;
  const std::vector<std::vector<std::int32_t>> prompts = {{5, 17, 42, 99, 120, 7}, {9, 8, 7}};
  dapt::nn::GenerationOptions opt;
  opt.max_new_tokens = 10;
  opt.ignore_config_eos = true;
  SECTION("greedy") {
    const auto want = dapt::nn::generate(*host, prompts, opt);
    const auto got = dapt::nn::generate(model, prompts, opt);
    for (std::size_t i = 0; i < prompts.size(); ++i) CHECK(got[i].tokens == want[i].tokens);
  }
  SECTION("seeded top-k / top-p sampling") {
    opt.sampling = {.temperature = 1.2f, .top_k = 40, .top_p = 0.9f, .repetition_penalty = 1.1f, .greedy = false};
    opt.seed = 7;
    const auto want = dapt::nn::generate(*host, prompts, opt);
    const auto got = dapt::nn::generate(model, prompts, opt);
    for (std::size_t i = 0; i < prompts.size(); ++i) CHECK(got[i].tokens == want[i].tokens);
  }
  SECTION("more rows than the longest prompt has tokens") {
    const std::vector<std::vector<std::int32_t>> singles = {{5}, {9}, {11}, {200}};
    const auto want = dapt::nn::generate(*host, singles, opt);
    const auto got = dapt::nn::generate(model, singles, opt);
    for (std::size_t i = 0; i < singles.size(); ++i) CHECK(got[i].tokens == want[i].tokens);
  }
  REQUIRE_DAPT_ERROR(dapt::nn::generate(model, std::vector<std::int32_t>{1, -4}, opt), kOutOfRange, "token 1 is id -4");
}

TEST_CASE("gpu llama: bf16 mixed precision stays near the fp32 reference, and decodes", "[gpu][llama][bf16]") {
  Fixture f;
  const auto& ref = f.ref;
  auto& host = f.host;
  auto& model = f.model;
  const auto& cfg = f.cfg;
  const Tensor<Cpu>& labels = f.labels;
  const Tensor<Cuda>& dids = f.dids;
  model.set_compute_dtype(DType::kBF16);

  // Every op rounds its output to bf16 (2^-9 relative), through two blocks and the head: the
  // model-level error is a few times the per-op 1e-2 bound of the op tests.
  const TensorView<Cuda> logits = model.forward(dids.view());
  CHECK(logits.dtype() == DType::kBF16);
  DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(logits), values(ref.to_f32("logits")), 3e-2);
  model.zero_grad();
  const double loss = model.forward_backward(dids.view(), labels.view()).loss;
  INFO("bf16 loss " << loss << " reference " << scalar(ref, "loss"));
  CHECK(std::abs(loss - scalar(ref, "loss")) / std::abs(scalar(ref, "loss")) < 1e-2);
  model.visit_parameters([&](const std::string& name, dapt::nn::Param<Cuda>& p) {
    INFO("bf16 grad of " << name);
    CHECK(p.grad().dtype() == DType::kF32);
    DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(p.grad().view()), values(ref.to_f32("grad." + name)), 1e-1);
  });

  // Decode with a bf16 KV cache: each step's logits stay near the fp32 CPU model's.
  dapt::nn::KvCache<Cpu> hc(cfg, 1, 12);
  dapt::nn::KvCache<Cuda> dc(cfg, 1, 12, model.compute_dtype());
  const std::vector<std::int32_t> prompt = {5, 17, 42, 99, 120, 7};
  std::vector<std::int32_t> feed = prompt;
  for (int step = 0; step < 4; ++step) {
    const auto n = static_cast<std::int64_t>(feed.size());
    Tensor<Cpu> h = Tensor<Cpu>::empty({1, n}, DType::kI32);
    std::copy(feed.begin(), feed.end(), h.data<std::int32_t>());
    auto d = Tensor<Cuda>::empty({1, n}, DType::kI32);
    dapt::upload(h.view(), d.view());
    const auto want = values(Tensor<Cpu>::borrow(host->forward_cached(h.view(), hc, 0)).clone());
    INFO("bf16 decode step " << step);
    DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(model.forward_cached(d.view(), dc, 0)), want, 3e-2);
    feed = {static_cast<std::int32_t>(3 + step)};
  }
  dapt::nn::GenerationOptions opt;
  opt.max_new_tokens = 6;
  opt.ignore_config_eos = true;
  CHECK(dapt::nn::generate(model, prompt, opt).tokens.size() == 6);
}

}  // namespace dapt_gpu_llama_gpu_test
