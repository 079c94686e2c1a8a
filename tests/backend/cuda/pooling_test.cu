/// @file pooling_test.cu
/// @brief The CUDA sequence pooling against the CPU backend: mean, last-token and first-token
/// pooling, with and without L2 normalisation, forward and backward, over rows padded on the
/// right, on the left, with holes, with a single real token (in the middle or at the end), and
/// one all-padding row (the CPU's token 0 fallback); rows narrower and wider than a block, and
/// sequences longer than one backward tile and than one block, and a row of 12288 features. The
/// mask comes from host memory (what the op facade passes) through the PoolingKernels<Cuda>
/// members, and from device memory through the launchers.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <type_traits>
#include <vector>

#include "dapt/backend/cpu/pooling.hpp"
#include "dapt/backend/cuda/pooling.cuh"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_pooling_test {

namespace {

using dapt::bf16;
using dapt::backend::PoolMode;
using dapt_gpu_test::as_t;
using dapt_gpu_test::DeviceBuffer;
using dapt_gpu_test::kTol;
using Cpu = dapt::backend::PoolingKernels<dapt::Cpu>;
using Gpu = dapt::backend::PoolingKernels<dapt::Cuda>;

constexpr std::int64_t kRows = 7;

/// Masks (kRows, len): full; right padding; left padding; holes; one token in the middle; one
/// token at the end; all padding (the facade forbids it, the kernels must still mirror the CPU).
std::vector<std::int32_t> make_mask(std::int64_t len) {
  std::vector<std::int32_t> m(static_cast<std::size_t>(kRows * len), 0);
  auto at = [&](std::int64_t r, std::int64_t t) -> std::int32_t& { return m[static_cast<std::size_t>(r * len + t)]; };
  for (std::int64_t t = 0; t < len; ++t) {
    at(0, t) = 1;
    at(1, t) = t < len / 2 + 3 ? 1 : 0;
    at(2, t) = t >= len / 3 ? 1 : 0;
    at(3, t) = (t % 3 != 1) ? 1 : 0;
  }
  at(4, len / 2) = 1;
  at(5, len - 1) = 1;
  return m;
}

struct Shape {
  std::int64_t len, c;
};
// Two backward tiles and a row narrower than a block; more tokens than threads, wider than a block;
// a row of 12288 features, whose 48 KiB of pooled floats need the opt-in shared memory (beside the
// kernel's static shared memory).
constexpr Shape kShapes[] = {{dapt_gpu_test::kT, dapt_gpu_test::kD}, {300, dapt_gpu_test::kVocab}, {4, 12288}};

}  // namespace

TEMPLATE_TEST_CASE("gpu pooling: forward and backward match the CPU in every mode", "[gpu][pooling]", float, bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(301);
  for (const Shape sh : kShapes)
    for (const PoolMode mode : {PoolMode::kMean, PoolMode::kLastToken, PoolMode::kFirstToken})
      for (const bool normalize : {false, true}) {
        const std::int64_t n = kRows, len = sh.len, c = sh.c;
        INFO("T " << len << " C " << c << " mode " << static_cast<int>(mode) << " normalize " << normalize);
        const auto mask = make_mask(len);
        const auto h = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * len * c)));
        const auto dout = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * c)));

        std::vector<float> out(static_cast<std::size_t>(n * c)), norms(static_cast<std::size_t>(n));
        Cpu::forward(h.data(), mask.data(), out.data(), norms.data(), n, len, c, mode, normalize);

        DeviceBuffer<T> d_h(h), d_out(static_cast<std::size_t>(n * c));
        DeviceBuffer<float> d_norms(static_cast<std::size_t>(n));
        d_out.poison();
        d_norms.poison();
        Gpu::forward(d_h.get(), mask.data(), d_out.get(), d_norms.get(), n, len, c, mode, normalize);  // host mask
        DAPT_GPU_REQUIRE_CLOSE(d_out.download(), out, kTol<T>);
        DAPT_GPU_REQUIRE_CLOSE(d_norms.download(), norms, dapt_gpu_test::kTolF32);

        // Backward from the CPU's forward state (out in storage precision), so both sides see
        // the same out and norms.
        const auto out_s = as_t<T>(out);
        std::vector<float> dh(static_cast<std::size_t>(n * len * c));
        Cpu::backward(dout.data(), out_s.data(), norms.data(), mask.data(), dh.data(), n, len, c, mode, normalize);
        DeviceBuffer<T> d_dout(dout), d_out_s(out_s), d_dh(static_cast<std::size_t>(n * len * c));
        DeviceBuffer<float> d_norms_cpu(norms);
        d_dh.poison();
        Gpu::backward(d_dout.get(), d_out_s.get(), d_norms_cpu.get(), mask.data(), d_dh.get(), n, len, c, mode,
                      normalize);
        DAPT_GPU_REQUIRE_CLOSE(d_dh.download(), dh, kTol<T>);
      }
}

TEMPLATE_TEST_CASE("gpu pooling: the launchers take a device mask", "[gpu][pooling]", float, bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(302);
  const std::int64_t n = kRows, len = dapt_gpu_test::kT, c = dapt_gpu_test::kD;
  const auto mask = make_mask(len);
  const auto h = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * len * c)));
  const auto dout = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * c)));
  const PoolMode mode = PoolMode::kLastToken;
  std::vector<float> out(static_cast<std::size_t>(n * c)), norms(static_cast<std::size_t>(n));
  Cpu::forward(h.data(), mask.data(), out.data(), norms.data(), n, len, c, mode, true);
  const auto out_s = as_t<T>(out);
  std::vector<float> dh(static_cast<std::size_t>(n * len * c));
  Cpu::backward(dout.data(), out_s.data(), norms.data(), mask.data(), dh.data(), n, len, c, mode, true);

  DeviceBuffer<std::int32_t> d_mask(mask);
  DeviceBuffer<T> d_h(h), d_out(static_cast<std::size_t>(n * c)), d_dout(dout), d_out_s(out_s),
      d_dh(static_cast<std::size_t>(n * len * c));
  DeviceBuffer<float> d_norms(static_cast<std::size_t>(n)), d_norms_cpu(norms);
  d_out.poison();
  d_norms.poison();
  d_dh.poison();
  const cudaStream_t stream = dapt::cuda::current_stream();
  REQUIRE(dapt::cuda::pool_forward<T>(d_h.get(), d_mask.get(), d_out.get(), d_norms.get(), n, len, c, mode, true,
                                      stream) == cudaSuccess);
  REQUIRE(dapt::cuda::pool_backward<T>(d_dout.get(), d_out_s.get(), d_norms_cpu.get(), d_mask.get(), d_dh.get(), n,
                                       len, c, mode, true, stream) == cudaSuccess);
  DAPT_GPU_REQUIRE_CLOSE(d_out.download(), out, kTol<T>);
  DAPT_GPU_REQUIRE_CLOSE(d_norms.download(), norms, dapt_gpu_test::kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(d_dh.download(), dh, kTol<T>);
}

}  // namespace dapt_gpu_pooling_test
