/// @file embedder_gpu_test.cu
/// @brief `embed::Embedder<Cuda>` against `Embedder<Cpu>`: the tiny fixture's shape (GQA) as a
/// bidirectional embedder with random weights, copied to the device; a batch with full, right-
/// and left-padded rows; every pooling mode, normalised. The embeddings agree in fp32 (relative
/// L2 1e-5) and so does every parameter gradient after a backward of a random embedding gradient
/// (1e-4); in bf16 mixed precision the F32 embeddings stay within 2e-2.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dapt/cuda.cuh"
#include "dapt/embed/embedder.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_embedder_gpu_test {

namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::Cuda;
using dapt::DType;
using dapt::Tensor;
using dapt::TensorView;

namespace {

dapt::embed::EmbedderConfig config(dapt::embed::Pooling pooling) {
  dapt::embed::EmbedderConfig c;
  c.model = dapt::io::load_llama_config(fs::path(DAPT_TEST_DATA_DIR) / "fixtures" / "llama_tiny" / "model");
  c.pooling = pooling;
  c.normalize = true;
  c.causal = false;
  return c;
}

}  // namespace

TEST_CASE("gpu embedder: embeddings and gradients follow the CPU, in every pooling mode", "[gpu][embed]") {
  using dapt::embed::Pooling;
  for (const Pooling pooling : {Pooling::kMean, Pooling::kLastToken, Pooling::kFirstToken}) {
    INFO("pooling " << dapt::ops::pool_mode_name(pooling));
    const auto c = config(pooling);
    dapt::embed::Embedder<Cpu> host(c);
    host.init_weights(5, 0.1);
    dapt::embed::Embedder<Cuda> dev(c);
    dapt::nn::copy_parameters<Cpu, Cuda>(host, dev);

    const std::int64_t n = 3, t = 9, dim = host.dim();
    auto g = dapt_gpu_test::rng(401);
    auto ids = Tensor<Cpu>::empty({n, t}, DType::kI32), mask = Tensor<Cpu>::empty({n, t}, DType::kI32);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < t; ++j) {
        ids.data<std::int32_t>()[i * t + j] = static_cast<std::int32_t>(g() % static_cast<std::uint64_t>(c.model.vocab_size));
        // Row 0 full, row 1 right-padded to 6 tokens, row 2 left-padded (its last 5 are real).
        mask.data<std::int32_t>()[i * t + j] = i == 0 || (i == 1 && j < 6) || (i == 2 && j >= t - 5);
      }
    auto dids = Tensor<Cuda>::empty({n, t}, DType::kI32);
    dapt::upload(ids.view(), dids.view());

    const auto want = dapt_gpu_test::host_values(host.forward(ids.view(), mask.view()));
    const TensorView<Cuda> got = dev.forward(dids.view(), mask.view());
    REQUIRE(got.dtype() == DType::kF32);
    DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(got), want, 1e-5);

    const auto demb = dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * dim));
    auto hd = Tensor<Cpu>::empty({n, dim}, DType::kF32);
    std::copy(demb.begin(), demb.end(), hd.data<float>());
    auto dd = Tensor<Cuda>::empty({n, dim}, DType::kF32);
    dapt::upload(hd.view(), dd.view());
    host.visit_parameters([](const std::string&, dapt::nn::Param<Cpu>& p) { p.zero_grad(); });
    dev.visit_parameters([](const std::string&, dapt::nn::Param<Cuda>& p) { p.zero_grad(); });
    host.backward(hd.view());
    dev.backward(dd.view());
    int grads = 0;
    dev.visit_parameters([&](const std::string& name, dapt::nn::Param<Cuda>& p) {
      host.visit_parameters([&](const std::string& n2, dapt::nn::Param<Cpu>& q) {
        if (n2 != name) return;
        INFO("grad of " << name);
        DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(p.grad().view()), dapt_gpu_test::host_values(q.grad().view()), 1e-4);
        ++grads;
      });
    });
    CHECK(grads > 0);

    // bf16 mixed precision: the trunk and the pooling in bf16, the embeddings returned in F32.
    dev.set_compute_dtype(DType::kBF16);
    REQUIRE(dev.compute_dtype() == DType::kBF16);
    const TensorView<Cuda> low = dev.forward(dids.view(), mask.view());
    REQUIRE(low.dtype() == DType::kF32);
    DAPT_GPU_REQUIRE_CLOSE(dapt_gpu_test::host_values(low), want, 2e-2);
    dev.backward(dd.view());  // the F32 gradient is narrowed to bf16 for the pooling
    dev.visit_parameters([](const std::string& name, dapt::nn::Param<Cuda>& p) {
      INFO("bf16 grad of " << name);
      for (float x : dapt_gpu_test::host_values(p.grad().view())) REQUIRE(std::isfinite(x));
    });
  }
}

}  // namespace dapt_gpu_embedder_gpu_test
