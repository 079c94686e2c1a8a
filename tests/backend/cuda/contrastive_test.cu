/// @file contrastive_test.cu
/// @brief ops::info_nce on Tensor<Cuda> against ops::info_nce<Cpu> on the same inputs (the CPU
/// form is checked against the definition and central differences in tests/embed): the losses,
/// the accuracy flags, the embeddings' gradients and d/d log scale, with duplicate keys (a hard
/// negative equal to the positive, and two queries sharing a positive), one direction and
/// symmetric, logit scales 20 and 100, more passages than a block has threads, and the limit
/// cases: every passage a duplicate (only the positive is a candidate: loss 0, gradient 0) and
/// no hard negatives (P = B).
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <tuple>
#include <vector>

#include "dapt/backend/cuda/allocator.cuh"
#include "dapt/backend/cuda/contrastive.cuh"
#include "dapt/backend/cuda/matmul.cuh"
#include "dapt/ops/contrastive.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_contrastive_test {

namespace {

using dapt::Cpu;
using dapt::Cuda;
using dapt::DType;
using dapt::Shape;
using dapt::Tensor;

using dapt_gpu_test::device_copy;
using dapt_gpu_test::host_tensor;
using dapt_gpu_test::host_values;
using dapt_gpu_test::poisoned_f32;

/// Rows of unit length (the embedder's normalised output).
std::vector<float> unit_rows(std::mt19937_64& g, std::int64_t n, std::int64_t c) {
  auto v = dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * c));
  for (std::int64_t i = 0; i < n; ++i) {
    double ss = 0;
    for (std::int64_t j = 0; j < c; ++j) ss += double(v[i * c + j]) * v[i * c + j];
    for (std::int64_t j = 0; j < c; ++j) v[i * c + j] = static_cast<float>(v[i * c + j] / std::sqrt(ss));
  }
  return v;
}

/// Runs ops::info_nce on both devices from the same inputs and compares every output.
void compare(std::mt19937_64& g, std::int64_t b, std::int64_t np, std::int64_t c, const std::vector<std::int64_t>& keys,
             float log_scale, bool symmetric) {
  const auto q = host_tensor<float>({b, c}, unit_rows(g, b, c));
  const auto p = host_tensor<float>({np, c}, unit_rows(g, np, c));
  const auto k = host_tensor<std::int64_t>({np}, keys);
  const std::int64_t nl = symmetric ? 2 * b : b;
  const float grad_scale = 0.25f, dls0 = 0.5f;
  auto dots = Tensor<Cpu>::empty({b, np}, DType::kF32), gs = Tensor<Cpu>::empty({b, np}, DType::kF32);
  auto losses = Tensor<Cpu>::empty({nl}, DType::kF32), correct = Tensor<Cpu>::empty({b}, DType::kF32);
  auto dq = Tensor<Cpu>::empty({b, c}, DType::kF32), dp = Tensor<Cpu>::empty({np, c}, DType::kF32);
  float dls = dls0;
  dapt::ops::info_nce<Cpu>(q.view(), p.view(), k.view(), &log_scale, symmetric, dots.view(), losses.view(),
                           correct.view(), grad_scale, gs.view(), dq.view(), dp.view(), &dls);

  const auto dq_in = device_copy(q), dp_in = device_copy(p), dk = device_copy(k);
  const auto dscale = device_copy(host_tensor<float>({1}, {log_scale}));
  auto ddls = device_copy(host_tensor<float>({1}, {dls0}));
  auto ddots = poisoned_f32({b, np}), dg = poisoned_f32({b, np}), dlosses = poisoned_f32({nl}), dcorrect = poisoned_f32({b});
  auto ddq = poisoned_f32({b, c}), ddp = poisoned_f32({np, c});
  dapt::ops::info_nce<Cuda>(dq_in.view(), dp_in.view(), dk.view(), dscale.data<const float>(), symmetric, ddots.view(),
                            dlosses.view(), dcorrect.view(), grad_scale, dg.view(), ddq.view(), ddp.view(),
                            ddls.data<float>());
  DAPT_GPU_REQUIRE_CLOSE(host_values(ddots), host_values(dots), dapt_gpu_test::kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(host_values(dlosses), host_values(losses), 1e-5);
  REQUIRE(host_values(dcorrect) == host_values(correct));
  DAPT_GPU_REQUIRE_CLOSE(host_values(ddq), host_values(dq), 1e-4);
  DAPT_GPU_REQUIRE_CLOSE(host_values(ddp), host_values(dp), 1e-4);
  const float got_dls = host_values(ddls)[0];
  REQUIRE(std::abs(got_dls - dls) <= 1e-4f * std::max(1.0f, std::abs(dls - dls0)));

  // The loss alone (no gradients) writes the same losses and flags.
  auto dlosses2 = poisoned_f32({nl}), dcorrect2 = poisoned_f32({b});
  dapt::ops::info_nce<Cuda>(dq_in.view(), dp_in.view(), dk.view(), dscale.data<const float>(), symmetric, ddots.view(),
                            dlosses2.view(), dcorrect2.view());
  REQUIRE(host_values(dlosses2) == host_values(dlosses));
  REQUIRE(host_values(dcorrect2) == host_values(dcorrect));
}

}  // namespace

TEST_CASE("gpu contrastive: info_nce matches the CPU backend, with duplicates, in both directions",
          "[gpu][loss][contrastive]") {
  auto g = dapt_gpu_test::rng(501);
  for (const auto& [b, hard, c] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{6, 2, 24}, {37, 9, 40}}) {
    const std::int64_t np = b + b * hard;  // 37 + 333 = 370 passages: more than a block's 256 threads
    std::vector<std::int64_t> keys(static_cast<std::size_t>(np));
    std::iota(keys.begin(), keys.end(), 1000);
    keys[static_cast<std::size_t>(b + 1)] = keys[1];  // a hard negative with positive 1's content
    keys[3] = keys[2];                                 // queries 2 and 3 share their positive's content
    for (const bool symmetric : {false, true})
      for (const float log_scale : {std::log(20.0f), std::log(100.0f)}) {
        INFO("B " << b << " P " << np << " symmetric " << symmetric << " log scale " << log_scale);
        compare(g, b, np, c, keys, log_scale, symmetric);
      }
  }
}

TEST_CASE("gpu contrastive: only the positive a candidate, and no hard negatives", "[gpu][loss][contrastive]") {
  auto g = dapt_gpu_test::rng(502);
  const std::int64_t b = 5, c = 16;
  // Every passage has one key: each query's only candidate is its positive (loss 0, no gradient).
  compare(g, b, 3 * b, c, std::vector<std::int64_t>(static_cast<std::size_t>(3 * b), 7), std::log(50.0f), true);
  std::vector<std::int64_t> keys(static_cast<std::size_t>(b));
  std::iota(keys.begin(), keys.end(), 0);
  compare(g, b, b, c, keys, std::log(50.0f), false);  // P = B: in-batch negatives only
}

TEST_CASE("gpu contrastive: info_nce refuses bad operands", "[gpu][loss][contrastive]") {
  const auto q = Tensor<Cuda>::zeros({2, 4}, DType::kF32), p = Tensor<Cuda>::zeros({3, 4}, DType::kF32);
  const auto keys = Tensor<Cuda>::zeros({3}, DType::kI64), bad_keys = Tensor<Cuda>::zeros({2}, DType::kI64);
  const auto scale = Tensor<Cuda>::zeros({1}, DType::kF32);
  auto dots = Tensor<Cuda>::zeros({2, 3}, DType::kF32), losses = Tensor<Cuda>::zeros({2}, DType::kF32),
       correct = Tensor<Cuda>::zeros({2}, DType::kF32);
  REQUIRE_DAPT_ERROR(dapt::ops::info_nce<Cuda>(q.view(), p.view(), bad_keys.view(), scale.data<const float>(), false,
                                               dots.view(), losses.view(), correct.view()),
                     kShape, "keys has shape");
  REQUIRE_DAPT_ERROR(dapt::ops::info_nce<Cuda>(q.view(), p.view(), keys.view(), scale.data<const float>(), true,
                                               dots.view(), losses.view(), correct.view()),
                     kShape, "losses has shape");
  REQUIRE_DAPT_ERROR(dapt::ops::info_nce<Cuda>(p.view(), q.view(), keys.view(), scale.data<const float>(), false,
                                               dots.view(), losses.view(), correct.view()),
                     kShape, "P >= B");
}

}  // namespace dapt_gpu_contrastive_test
