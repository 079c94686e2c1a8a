/// @file loss_test.cu
/// @brief LossKernels<Cuda> against LossKernels<Cpu> on fresh random logits, in fp32 and bf16:
/// vocabularies of 419 and 50,000 (many chunks per row), ignored rows (loss 0, zero gradient),
/// logits of magnitude 80 (the log-sum-exp must not overflow), loss only (logits untouched), and
/// a target outside the vocabulary (NaN for that row only).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

#include "dapt/backend/cpu/loss.hpp"
#include "dapt/backend/cuda/loss.cuh"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_loss_test {

namespace {

using dapt::bf16;
using dapt::Cpu;
using dapt::Cuda;
using dapt::backend::LossKernels;
using namespace dapt_gpu_test;

std::vector<float> to_floats(const std::vector<std::int32_t>& v) { return {v.begin(), v.end()}; }

struct Case {
  std::int64_t n, v;
  float magnitude;  // logits uniform in [-magnitude, magnitude]
  bool write_grad;
};

/// Random targets, with rows 1, 4, 7, ... ignored (-1, and -100 as Hugging Face writes it).
std::vector<std::int32_t> make_targets(std::mt19937_64& g, std::int64_t n, std::int64_t v) {
  std::uniform_int_distribution<std::int32_t> d(0, static_cast<std::int32_t>(v - 1));
  std::vector<std::int32_t> t(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) t[static_cast<std::size_t>(i)] = i % 3 == 1 ? (i % 2 ? -1 : -100) : d(g);
  return t;
}

template <class T>
void check_cross_entropy(const Case& c, std::uint64_t salt) {
  INFO((std::is_same_v<T, bf16> ? "bf16" : "fp32") << " N = " << c.n << ", V = " << c.v << ", |logits| <= "
                                                    << c.magnitude << (c.write_grad ? ", with gradient" : ", loss only"));
  auto g = rng(salt);
  const auto nv = static_cast<std::size_t>(c.n * c.v);
  auto logits = uniform(g, nv, -c.magnitude, c.magnitude);
  const auto targets = make_targets(g, c.n, c.v);
  if (c.n >= 3) {
    // Row 0: every logit equal (loss = log V); row 2, for the large magnitudes only: the target
    // alone at +magnitude, the rest at -magnitude (loss ~ 0, exp(-2 * magnitude) underflows for
    // magnitude 80). Not for small ones: there the CPU reference sums V - 1 equal terms
    // exp(-2 * magnitude) one after the other in fp32, every addition rounding the same way
    // (V = 50,000, magnitude 4: a relative error of 2.6e-5 in the loss vector, above the fp32
    // tolerance, where the GPU's blocked sum stays within 1e-7 of the exact value).
    const bool far_ahead = c.magnitude >= 50.0f;
    for (std::int64_t j = 0; j < c.v; ++j) {
      logits[static_cast<std::size_t>(j)] = c.magnitude;
      if (far_ahead)
        logits[static_cast<std::size_t>(2 * c.v + j)] = j == targets[2] ? c.magnitude : -c.magnitude;
    }
  }
  logits = as_t<T>(logits);
  const float grad_scale = 1.0f / 29.0f;

  auto grad_ref = logits;
  std::vector<float> loss_ref(static_cast<std::size_t>(c.n));
  LossKernels<Cpu>::cross_entropy(grad_ref.data(), targets.data(), loss_ref.data(), c.n, c.v, grad_scale, c.write_grad);

  DeviceBuffer<T> d_logits(logits);
  DeviceBuffer<std::int32_t> d_targets(to_floats(targets));
  DeviceBuffer<float> d_loss(static_cast<std::size_t>(c.n));
  d_loss.poison();
  LossKernels<Cuda>::cross_entropy<T>(d_logits.get(), d_targets.get(), d_loss.get(), c.n, c.v, grad_scale,
                                      c.write_grad);
  const auto loss = d_loss.download(), grad = d_logits.download();
  DAPT_GPU_REQUIRE_CLOSE(loss, loss_ref, kTol<T>);
  if (c.write_grad) {
    DAPT_GPU_REQUIRE_CLOSE(grad, grad_ref, kTol<T>);
  } else {
    REQUIRE(grad == logits);  // loss only: the logits are left as they were
  }
  // Ignored rows: exactly zero loss and, with the gradient, exactly zero gradient.
  for (std::int64_t i = 0; i < c.n; ++i) {
    if (targets[static_cast<std::size_t>(i)] >= 0) continue;
    INFO("ignored row " << i);
    REQUIRE(loss[static_cast<std::size_t>(i)] == 0.0f);
    if (!c.write_grad) continue;
    std::int64_t non_zero = 0;
    for (std::int64_t j = 0; j < c.v; ++j) non_zero += grad[static_cast<std::size_t>(i * c.v + j)] != 0.0f;
    REQUIRE(non_zero == 0);
  }
  if (c.n >= 3) {
    INFO("row 0 (equal logits): " << loss[0] << ", row 2 (target far ahead): " << loss[2]);
    const float log_v = std::log(static_cast<float>(c.v));
    REQUIRE(std::abs(loss[0] - log_v) <= 1e-4f * std::max(log_v, 1.0f));
    if (c.magnitude >= 50.0f) REQUIRE(std::abs(loss[2]) < 1e-4f);  // exp(-2 * magnitude) underflows
  }
}

template <class T>
void check_bad_target(std::uint64_t salt) {
  INFO((std::is_same_v<T, bf16> ? "bf16" : "fp32"));
  const std::int64_t n = kT, v = kVocab, bad = 4;
  auto g = rng(salt);
  const auto logits = as_t<T>(uniform(g, static_cast<std::size_t>(n * v), -4.0f, 4.0f));
  auto targets = make_targets(g, n, v);
  targets[bad] = static_cast<std::int32_t>(v);  // one past the vocabulary
  auto ref_targets = targets;
  ref_targets[bad] = -1;  // the CPU would throw: compare the other rows
  auto grad_ref = logits;
  std::vector<float> loss_ref(static_cast<std::size_t>(n));
  LossKernels<Cpu>::cross_entropy(grad_ref.data(), ref_targets.data(), loss_ref.data(), n, v, 1.0f, true);

  DeviceBuffer<T> d_logits(logits);
  DeviceBuffer<std::int32_t> d_targets(to_floats(targets));
  DeviceBuffer<float> d_loss(static_cast<std::size_t>(n));
  d_loss.poison();
  LossKernels<Cuda>::cross_entropy<T>(d_logits.get(), d_targets.get(), d_loss.get(), n, v, 1.0f, true);
  auto loss = d_loss.download(), grad = d_logits.download();
  REQUIRE(std::isnan(loss[bad]));
  for (std::int64_t j = 0; j < v; ++j) REQUIRE(std::isnan(grad[static_cast<std::size_t>(bad * v + j)]));
  loss[bad] = 0.0f;  // the reference treated it as ignored
  for (std::int64_t j = 0; j < v; ++j) grad[static_cast<std::size_t>(bad * v + j)] = 0.0f;
  DAPT_GPU_REQUIRE_CLOSE(loss, loss_ref, kTol<T>);
  DAPT_GPU_REQUIRE_CLOSE(grad, grad_ref, kTol<T>);
}

}  // namespace

TEST_CASE("gpu loss: cross_entropy matches the CPU (fp32 and bf16)", "[gpu][loss]") {
  const Case cases[] = {
      {kT, kVocab, 4.0f, true},       // the odd test shape
      {kT, kVocab, 4.0f, false},      // loss only
      {6, 50000, 4.0f, true},         // ~100 chunks of the block per row
      {kT, kVocab, 80.0f, true},      // large logits: exp(80) overflows without the running max
      {5, 50000, 80.0f, false},       //
      {2, 1, 1.0f, true},             // a vocabulary of one: loss 0, gradient 0
  };
  std::uint64_t salt = 900;
  for (const auto& c : cases) {
    check_cross_entropy<float>(c, ++salt);
    check_cross_entropy<bf16>(c, ++salt);
  }
}

TEST_CASE("gpu loss: a target outside the vocabulary gives NaN for its row only", "[gpu][loss]") {
  check_bad_target<float>(950);
  check_bad_target<bf16>(951);
}

}  // namespace dapt_gpu_loss_test
