/// @file activation_test.cu
/// @brief ActivationKernels<Cuda> against ActivationKernels<Cpu> on fresh random inputs, in fp32
/// and bf16: SwiGLU forward and backward, and dropout, whose mask must equal the CPU's bit for
/// bit for the same (seed, stream), written, accumulated, in place, and with p = 0.
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

#include "dapt/backend/cpu/activation.hpp"
#include "dapt/backend/cuda/activation.cuh"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_activation_test {

namespace {

using dapt::bf16;
using dapt::Cpu;
using dapt::Cuda;
using dapt::backend::ActivationKernels;
using namespace dapt_gpu_test;

template <class T>
const char* type_name() {
  return std::is_same_v<T, bf16> ? "bf16" : "fp32";
}

template <class T>
void check_swiglu(std::int64_t n, std::uint64_t salt) {
  INFO(type_name<T>() << " n = " << n);
  auto g = rng(salt);
  const auto un = static_cast<std::size_t>(n);
  const auto gate = as_t<T>(uniform(g, un, -8.0f, 8.0f));
  const auto up = as_t<T>(uniform(g, un, -2.0f, 2.0f));
  const auto dout = as_t<T>(uniform(g, un));
  std::vector<float> out_ref(un), dgate_ref(un), dup_ref(un);
  ActivationKernels<Cpu>::swiglu_forward(gate.data(), up.data(), out_ref.data(), n);
  ActivationKernels<Cpu>::swiglu_backward(dout.data(), gate.data(), up.data(), dgate_ref.data(), dup_ref.data(), n);

  DeviceBuffer<T> d_gate(gate), d_up(up), d_dout(dout), d_out(un), d_dgate(un), d_dup(un);
  d_out.poison();
  d_dgate.poison();
  d_dup.poison();
  ActivationKernels<Cuda>::swiglu_forward<T>(d_gate.get(), d_up.get(), d_out.get(), n);
  ActivationKernels<Cuda>::swiglu_backward<T>(d_dout.get(), d_gate.get(), d_up.get(), d_dgate.get(), d_dup.get(), n);
  DAPT_GPU_REQUIRE_CLOSE(d_out.download(), out_ref, kTol<T>);
  DAPT_GPU_REQUIRE_CLOSE(d_dgate.download(), dgate_ref, kTol<T>);
  DAPT_GPU_REQUIRE_CLOSE(d_dup.download(), dup_ref, kTol<T>);
}

/// The mask: dropout of a tensor of ones keeps exactly the elements the CPU keeps.
template <class T>
void check_dropout_mask(std::int64_t n, float p, std::uint64_t seed, std::uint64_t stream) {
  INFO(type_name<T>() << " n = " << n << ", p = " << p << ", seed = " << seed << ", stream = " << stream);
  const auto un = static_cast<std::size_t>(n);
  const std::vector<float> ones(un, 1.0f);
  std::vector<float> ref(un);
  ActivationKernels<Cpu>::dropout(ones.data(), ref.data(), n, p, seed, stream, false);

  DeviceBuffer<T> d_in(ones), d_out(un);
  d_out.poison();
  ActivationKernels<Cuda>::dropout<T>(d_in.get(), d_out.get(), n, p, seed, stream, false);
  const auto got = d_out.download();
  std::size_t kept = 0, mismatched = 0;
  for (std::size_t i = 0; i < un; ++i) {
    kept += ref[i] != 0.0f;
    mismatched += (got[i] != 0.0f) != (ref[i] != 0.0f);
  }
  REQUIRE(mismatched == 0);
  if constexpr (std::is_same_v<T, float>) REQUIRE(got == ref);  // 1 * (1 / (1 - p)): the same float
  // A sanity check of the CPU side: the kept fraction is near 1 - p (n >= 10^4: 5 sigma < 0.025).
  if (n >= 10000) REQUIRE(std::abs(static_cast<double>(kept) / static_cast<double>(n) - (1.0 - p)) < 0.025);
}

/// The values: written (also in place), and accumulated onto a non-zero output.
template <class T>
void check_dropout_values(std::int64_t n, float p, std::uint64_t salt) {
  INFO(type_name<T>() << " n = " << n << ", p = " << p);
  auto g = rng(salt);
  const std::uint64_t seed = g(), stream = g();
  const auto un = static_cast<std::size_t>(n);
  const auto in = as_t<T>(uniform(g, un, -3.0f, 3.0f));
  const auto out0 = as_t<T>(uniform(g, un));
  std::vector<float> written(un), added = out0;
  ActivationKernels<Cpu>::dropout(in.data(), written.data(), n, p, seed, stream, false);
  ActivationKernels<Cpu>::dropout(in.data(), added.data(), n, p, seed, stream, true);

  DeviceBuffer<T> d_in(in), d_written(un), d_added(out0), d_inplace(in);
  d_written.poison();
  ActivationKernels<Cuda>::dropout<T>(d_in.get(), d_written.get(), n, p, seed, stream, false);
  ActivationKernels<Cuda>::dropout<T>(d_in.get(), d_added.get(), n, p, seed, stream, true);
  ActivationKernels<Cuda>::dropout<T>(d_inplace.get(), d_inplace.get(), n, p, seed, stream, false);
  DAPT_GPU_REQUIRE_CLOSE(d_written.download(), written, kTol<T>);
  DAPT_GPU_REQUIRE_CLOSE(d_added.download(), added, kTol<T>);
  DAPT_GPU_REQUIRE_CLOSE(d_inplace.download(), written, kTol<T>);
}

}  // namespace

TEST_CASE("gpu activation: swiglu forward and backward match the CPU (fp32 and bf16)", "[gpu][activation]") {
  // (T = 37) x (ffn 259), a single element, and a size that is not a multiple of the block.
  const std::int64_t sizes[] = {kT * 259, 1, 300001};
  std::uint64_t salt = 600;
  for (const auto n : sizes) {
    check_swiglu<float>(n, ++salt);
    check_swiglu<bf16>(n, ++salt);
  }
}

TEST_CASE("gpu activation: dropout draws the CPU's mask bit for bit", "[gpu][activation]") {
  auto g = rng(700);
  // Seeds and streams with both 32-bit halves non-zero, so a swapped or dropped half would show;
  // sizes that end inside a Philox block (n % 4 != 0), and one of a single element.
  const std::uint64_t seed = g() | (1ull << 63) | 1u, stream = g() | (1ull << 62) | 2u;
  for (const std::int64_t n : {std::int64_t{10007}, kT * kD + 3, std::int64_t{1}, std::int64_t{262147}}) {
    for (const float p : {0.1f, 0.5f}) {
      check_dropout_mask<float>(n, p, seed, stream);
      check_dropout_mask<bf16>(n, p, seed, stream);
    }
  }
  // Another stream of the same seed gives another mask on both sides.
  check_dropout_mask<float>(10007, 0.3f, seed, stream + 1);
  check_dropout_mask<float>(10007, 0.3f, 0, 0);
}

TEST_CASE("gpu activation: dropout values match the CPU (written, accumulated, in place, p = 0)", "[gpu][activation]") {
  std::uint64_t salt = 800;
  for (const std::int64_t n : {kT * kD + 1, std::int64_t{65539}}) {
    for (const float p : {0.0f, 0.1f, 0.9f}) {
      check_dropout_values<float>(n, p, ++salt);
      check_dropout_values<bf16>(n, p, ++salt);
    }
  }
}

}  // namespace dapt_gpu_activation_test
