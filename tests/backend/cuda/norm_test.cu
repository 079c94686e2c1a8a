/// @file norm_test.cu
/// @brief NormKernels<Cuda> against NormKernels<Cpu> on fresh random inputs, in fp32 and bf16:
/// rows shorter and longer than one block (C = 96, 4099), the fused residual add (also in place),
/// dx written and accumulated, dw accumulated over several row groups and bit-reproducible.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <type_traits>
#include <vector>

#include "dapt/backend/cpu/norm.hpp"
#include "dapt/backend/cuda/norm.cuh"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_norm_test {

namespace {

using dapt::bf16;
using dapt::Cpu;
using dapt::Cuda;
using dapt::backend::NormKernels;
using namespace dapt_gpu_test;

constexpr float kEps = 1e-5f;

template <class T>
void check_forward(std::int64_t n, std::int64_t c, bool fused, bool in_place, std::uint64_t salt) {
  INFO((std::is_same_v<T, bf16> ? "bf16" : "fp32") << " N = " << n << ", C = " << c << (fused ? ", fused" : "")
                                                    << (in_place ? ", h_out aliases x" : ""));
  auto g = rng(salt);
  const auto nc = static_cast<std::size_t>(n * c);
  const auto x = as_t<T>(uniform(g, nc, -2.0f, 2.0f));
  const auto delta = as_t<T>(uniform(g, nc));
  const auto w = as_t<T>(uniform(g, static_cast<std::size_t>(c), 0.5f, 1.5f));

  // Reference: the CPU's fused pass gives h; the GPU stores h in T and normalises the stored value.
  std::vector<float> h_ref(nc), y_ref(nc), rstd_ref(static_cast<std::size_t>(n));
  if (fused) {
    NormKernels<Cpu>::rms_norm_forward(x.data(), delta.data(), h_ref.data(), w.data(), y_ref.data(), rstd_ref.data(),
                                       n, c, kEps);
    if constexpr (std::is_same_v<T, bf16>) {
      h_ref = as_t<T>(h_ref);
      NormKernels<Cpu>::rms_norm_forward(h_ref.data(), nullptr, nullptr, w.data(), y_ref.data(), rstd_ref.data(), n, c,
                                         kEps);
    }
  } else {
    NormKernels<Cpu>::rms_norm_forward(x.data(), nullptr, nullptr, w.data(), y_ref.data(), rstd_ref.data(), n, c, kEps);
  }

  DeviceBuffer<T> d_x(x), d_delta(delta), d_w(w), d_h(nc), d_y(nc);
  DeviceBuffer<float> d_rstd(static_cast<std::size_t>(n));
  d_h.poison();
  d_y.poison();
  d_rstd.poison();
  T* h_out = in_place ? d_x.get() : d_h.get();
  NormKernels<Cuda>::rms_norm_forward<T>(d_x.get(), fused ? d_delta.get() : nullptr, fused ? h_out : nullptr, d_w.get(),
                                         d_y.get(), d_rstd.get(), n, c, kEps);
  DAPT_GPU_REQUIRE_CLOSE(d_y.download(), y_ref, kTol<T>);
  DAPT_GPU_REQUIRE_CLOSE(d_rstd.download(), rstd_ref, kTol<T>);
  if (fused) DAPT_GPU_REQUIRE_CLOSE((in_place ? d_x : d_h).download(), h_ref, kTol<T>);
}

template <class T>
void check_backward(std::int64_t n, std::int64_t c, bool accumulate, bool with_dw, std::uint64_t salt) {
  INFO((std::is_same_v<T, bf16> ? "bf16" : "fp32") << " N = " << n << ", C = " << c
                                                    << (accumulate ? ", dx accumulated" : ", dx written")
                                                    << (with_dw ? ", dw" : ", no dw"));
  auto g = rng(salt);
  const auto nc = static_cast<std::size_t>(n * c);
  const auto x = as_t<T>(uniform(g, nc, -2.0f, 2.0f));
  const auto w = as_t<T>(uniform(g, static_cast<std::size_t>(c), 0.5f, 1.5f));
  const auto dy = as_t<T>(uniform(g, nc));
  const auto dx0 = as_t<T>(uniform(g, nc));                  // the residual branch's gradient already in dx
  const auto dw0 = uniform(g, static_cast<std::size_t>(c));  // fp32, non-zero: dw must add
  std::vector<float> y(nc), rstd(static_cast<std::size_t>(n));
  NormKernels<Cpu>::rms_norm_forward(x.data(), nullptr, nullptr, w.data(), y.data(), rstd.data(), n, c, kEps);

  std::vector<float> dx_ref = accumulate ? dx0 : std::vector<float>(nc, 0.0f), dw_ref = dw0;
  NormKernels<Cpu>::rms_norm_backward(dy.data(), x.data(), w.data(), rstd.data(), dx_ref.data(),
                                      with_dw ? dw_ref.data() : nullptr, n, c, accumulate);

  DeviceBuffer<T> d_dy(dy), d_x(x), d_w(w), d_dx(nc);
  DeviceBuffer<float> d_rstd(rstd), d_dw(dw0);
  if (accumulate) d_dx.upload(dx0);
  else d_dx.poison();
  NormKernels<Cuda>::rms_norm_backward<T>(d_dy.get(), d_x.get(), d_w.get(), d_rstd.get(), d_dx.get(),
                                          with_dw ? d_dw.get() : nullptr, n, c, accumulate);
  DAPT_GPU_REQUIRE_CLOSE(d_dx.download(), dx_ref, kTol<T>);
  if (with_dw) {
    DAPT_GPU_REQUIRE_CLOSE(d_dw.download(), dw_ref, kTol<T>);
  } else {
    REQUIRE(d_dw.download() == dw0);  // untouched
  }
}

}  // namespace

TEST_CASE("gpu norm: the dw row groups cover every row once, in at most 128 groups", "[gpu][norm]") {
  for (std::int64_t n = 0; n <= 20000; n += (n < 600 ? 1 : 97)) {
    const auto g = dapt::cuda::detail::rms_norm_dw_groups(n);
    INFO("n = " << n << ": " << g.groups << " groups of " << g.rows);
    REQUIRE(g.rows >= 1);
    REQUIRE(g.groups <= 128);
    REQUIRE(g.groups * g.rows >= n);
    if (n > 0) REQUIRE((g.groups - 1) * g.rows < n);
    else REQUIRE(g.groups == 0);
  }
  REQUIRE(dapt::cuda::rms_norm_dw_scratch_floats(37, 96) == 3 * 96);
}

TEST_CASE("gpu norm: rms_norm_forward matches the CPU (fp32 and bf16, plain and fused)", "[gpu][norm]") {
  const std::int64_t shapes[][2] = {{kT, kD}, {5, 4099}, {1, 1}};
  std::uint64_t salt = 100;
  for (const auto& s : shapes) {
    for (const bool fused : {false, true}) {
      check_forward<float>(s[0], s[1], fused, false, ++salt);
      check_forward<bf16>(s[0], s[1], fused, false, ++salt);
    }
  }
  // The in-place residual add: h_out is x.
  check_forward<float>(kT, kD, true, true, ++salt);
  check_forward<bf16>(kT, 4099, true, true, ++salt);
}

TEST_CASE("gpu norm: rms_norm_backward matches the CPU (dx written or added, dw added)", "[gpu][norm]") {
  const std::int64_t shapes[][2] = {{kT, kD}, {5, 4099}, {2053, kD}};
  std::uint64_t salt = 200;
  for (const auto& s : shapes) {
    for (const bool accumulate : {false, true}) {
      check_backward<float>(s[0], s[1], accumulate, true, ++salt);
      check_backward<bf16>(s[0], s[1], accumulate, true, ++salt);
    }
  }
  check_backward<float>(kT, kD, false, false, ++salt);
  check_backward<bf16>(kT, kD, true, false, ++salt);
}

TEST_CASE("gpu norm: dw is bit-reproducible across calls", "[gpu][norm]") {
  const std::int64_t n = 2053, c = 4099;
  const auto nc = static_cast<std::size_t>(n * c);
  auto g = rng(300);
  const auto x = uniform(g, nc), w = uniform(g, static_cast<std::size_t>(c)), dy = uniform(g, nc);
  const auto rstd = uniform(g, static_cast<std::size_t>(n), 0.5f, 2.0f);
  DeviceBuffer<float> d_x(x), d_w(w), d_dy(dy), d_rstd(rstd), d_dx(nc);
  DeviceBuffer<float> d_dw1(std::vector<float>(static_cast<std::size_t>(c), 0.0f));
  DeviceBuffer<float> d_dw2(std::vector<float>(static_cast<std::size_t>(c), 0.0f));
  NormKernels<Cuda>::rms_norm_backward(d_dy.get(), d_x.get(), d_w.get(), d_rstd.get(), d_dx.get(), d_dw1.get(), n, c,
                                       false);
  NormKernels<Cuda>::rms_norm_backward(d_dy.get(), d_x.get(), d_w.get(), d_rstd.get(), d_dx.get(), d_dw2.get(), n, c,
                                       false);
  const auto dw1 = d_dw1.download(), dw2 = d_dw2.download();
  REQUIRE(dw1 == dw2);
  // And it is the right sum (the fp32 signature is the CPU's).
  std::vector<float> dx_ref(nc), dw_ref(static_cast<std::size_t>(c), 0.0f);
  NormKernels<Cpu>::rms_norm_backward(dy.data(), x.data(), w.data(), rstd.data(), dx_ref.data(), dw_ref.data(), n, c,
                                      false);
  DAPT_GPU_REQUIRE_CLOSE(dw1, dw_ref, kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(d_dx.download(), dx_ref, kTolF32);
}

}  // namespace dapt_gpu_norm_test
