/// @file optim_test.cu
/// @brief OptimKernels<Cuda> against OptimKernels<Cpu> on fresh random inputs: the AdamW update
/// over several steps (weight decay, gradient scale, both lerp branches) equal bit for bit to the
/// CPU's; the multi-tensor AdamW over 45 tensors of odd sizes (0, 1, chunk edges, 100,003), in two
/// launches, against per-tensor CPU updates, its bf16 copies equal to bf16(master), a device
/// clipping factor applied and a NaN one skipping the step; the sums of squares (one tensor, many
/// tensors) against the CPU's double sums and reproducible bit for bit; the clipping factor equal
/// to train::clip_coefficient's; and the in-place scale.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "dapt/backend/cpu/optim.hpp"
#include "dapt/backend/cuda/optim.cuh"
#include "dapt/train/optimizer.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_optim_test {

namespace {

using dapt::bf16;
using dapt::Cpu;
using dapt::Cuda;
using dapt::backend::OptimKernels;
using namespace dapt_gpu_test;

/// Elements whose bits differ between two float vectors of one size.
std::size_t bit_mismatches(const std::vector<float>& a, const std::vector<float>& b) {
  std::size_t bad = 0;
  for (std::size_t i = 0; i < a.size(); ++i) bad += std::memcmp(&a[i], &b[i], sizeof(float)) != 0;
  return bad;
}


struct Hyper {
  double lr, beta1, beta2, eps, wd;
};

/// One parameter through `steps` AdamW steps on the GPU and the CPU, fresh gradients each step.
void check_adamw_single(std::int64_t n, const Hyper& h, const std::vector<double>& grad_scales, std::uint64_t salt) {
  INFO("n = " << n << ", beta1 = " << h.beta1 << ", weight decay = " << h.wd);
  auto g = rng(salt);
  const auto count = static_cast<std::size_t>(n);
  std::vector<float> p = uniform(g, count), m = uniform(g, count, -0.1f, 0.1f), v = uniform(g, count, 0.0f, 0.01f);
  DeviceBuffer<float> dp(p), dm(m), dv(v), dg(count);
  for (std::size_t step = 1; step <= grad_scales.size(); ++step) {
    INFO("step " << step << ", grad_scale " << grad_scales[step - 1]);
    const auto grad = uniform(g, count, -2.0f, 2.0f);
    dg.upload(grad);
    const double bc1 = 1.0 - std::pow(h.beta1, static_cast<double>(step));
    const double bc2 = 1.0 - std::pow(h.beta2, static_cast<double>(step));
    const double lr = h.lr * (1.0 + 0.25 * static_cast<double>(step));  // a schedule
    OptimKernels<Cpu>::adamw_update(p.data(), grad.data(), m.data(), v.data(), n, lr, h.beta1, h.beta2, h.eps, h.wd,
                                    bc1, bc2, grad_scales[step - 1]);
    OptimKernels<Cuda>::adamw_update(dp.get(), dg.get(), dm.get(), dv.get(), n, lr, h.beta1, h.beta2, h.eps, h.wd, bc1,
                                     bc2, grad_scales[step - 1]);
    const auto gp = dp.download(), gm = dm.download(), gv = dv.download();
    DAPT_GPU_REQUIRE_CLOSE(gp, p, kTolF32);
    DAPT_GPU_REQUIRE_CLOSE(gm, m, kTolF32);
    DAPT_GPU_REQUIRE_CLOSE(gv, v, kTolF32);
    // The same float operations in the same order: equal bits, not only close values.
    CHECK(bit_mismatches(gp, p) == 0);
    CHECK(bit_mismatches(gm, m) == 0);
    CHECK(bit_mismatches(gv, v) == 0);
  }
}

}  // namespace

TEST_CASE("gpu optim: adamw_update matches the CPU step for step", "[gpu][optim]") {
  // Decay, a clipping factor on some steps, torch's defaults otherwise (lerp from m).
  check_adamw_single(100003, {1e-3, 0.9, 0.999, 1e-8, 0.1}, {1.0, 0.37, 1.0, 0.8125}, 101);
  // beta1 = 0.3: 1 - beta1 >= 0.5, the lerp from the gradient's end.
  check_adamw_single(100003, {3e-3, 0.3, 0.95, 1e-6, 0.0}, {0.5, 1.0, 1.0}, 102);
  check_adamw_single(1, {1e-2, 0.9, 0.999, 1e-8, 0.01}, {1.0, 2.0}, 103);
  // n = 0 does nothing and does not fail.
  OptimKernels<Cuda>::adamw_update(nullptr, nullptr, nullptr, nullptr, 0, 1e-3, 0.9, 0.999, 1e-8, 0.0, 0.1, 0.001, 1.0);
  dapt::cuda::current().synchronize();
}

namespace {

/// The sizes of the multi-tensor test: empty, single, chunk edges (8192) and a long one, then
/// random odd sizes; 45 tensors, more than one launch's 36.
std::vector<std::int64_t> multi_sizes(std::mt19937_64& g) {
  std::vector<std::int64_t> sizes = {1, 0, 37, 96, 419, 8191, 8192, 8193, 100003, 0, 1, 3, 16385, 2, 0};
  std::uniform_int_distribution<std::int64_t> d(1, 3000);
  while (sizes.size() < 45) sizes.push_back(d(g));
  return sizes;
}

}  // namespace

TEST_CASE("gpu optim: adamw_multi matches per-tensor CPU updates and writes bf16 copies", "[gpu][optim]") {
  auto g = rng(201);
  const auto sizes = multi_sizes(g);
  const std::size_t k = sizes.size();
  std::vector<std::size_t> off(k + 1, 0);
  for (std::size_t i = 0; i < k; ++i) off[i + 1] = off[i] + static_cast<std::size_t>(sizes[i]);
  const std::size_t total = off[k];

  // Packed at odd offsets, so the tensors' pointers are only 4-byte aligned.
  std::vector<float> p = uniform(g, total), m = uniform(g, total, -0.1f, 0.1f), v = uniform(g, total, 0.0f, 0.01f);
  DeviceBuffer<float> dp(p), dm(m), dv(v), dg(total), dscale(1);
  DeviceBuffer<bf16> dcopy(total);
  DeviceBuffer<double> dsum(1);

  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  std::vector<double> wd(k);
  std::vector<std::int64_t> t0(k);  // each tensor's step count before this test (a resized one restarts)
  for (std::size_t i = 0; i < k; ++i) {
    wd[i] = i % 3 == 0 ? 0.0 : 0.05;
    t0[i] = static_cast<std::int64_t>(i % 4);
  }
  const auto make_list = [&](std::int64_t step) {
    std::vector<dapt::cuda::AdamwTensor> list(k);
    for (std::size_t i = 0; i < k; ++i) {
      auto& t = list[i];
      t.master = dp.get() + off[i];
      t.grad = dg.get() + off[i];
      t.m = dm.get() + off[i];
      t.v = dv.get() + off[i];
      t.copy = i % 2 == 0 ? dcopy.get() + off[i] : nullptr;
      t.n = sizes[i];
      t.weight_decay = wd[i];
      const auto tt = static_cast<double>(t0[i] + step);
      t.bias_correction1 = 1.0 - std::pow(beta1, tt);
      t.bias_correction2 = 1.0 - std::pow(beta2, tt);
    }
    return list;
  };
  const auto cpu_step = [&](const std::vector<float>& grad, std::int64_t step, double lr, double grad_scale) {
    for (std::size_t i = 0; i < k; ++i) {
      const auto tt = static_cast<double>(t0[i] + step);
      OptimKernels<Cpu>::adamw_update(p.data() + off[i], grad.data() + off[i], m.data() + off[i], v.data() + off[i],
                                      sizes[i], lr, beta1, beta2, eps, wd[i], 1.0 - std::pow(beta1, tt),
                                      1.0 - std::pow(beta2, tt), grad_scale);
    }
  };
  const auto compare = [&]() {
    const auto gp = dp.download(), gm = dm.download(), gv = dv.download(), gc = dcopy.download();
    DAPT_GPU_REQUIRE_CLOSE(gp, p, kTolF32);
    DAPT_GPU_REQUIRE_CLOSE(gm, m, kTolF32);
    DAPT_GPU_REQUIRE_CLOSE(gv, v, kTolF32);
    CHECK(bit_mismatches(gp, p) == 0);
    CHECK(bit_mismatches(gm, m) == 0);
    CHECK(bit_mismatches(gv, v) == 0);
    // Copies: bf16(master) exactly where a copy was asked for, untouched (NaN poison) elsewhere.
    std::size_t copy_bad = 0, untouched_bad = 0;
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = off[i]; j < off[i + 1]; ++j) {
        if (i % 2 == 0) copy_bad += bf16(gc[j]).bits != bf16(gp[j]).bits || std::isnan(gc[j]);
        else untouched_bad += !std::isnan(gc[j]);
      }
    CHECK(copy_bad == 0);
    CHECK(untouched_bad == 0);
    return gp;
  };
  dcopy.poison();

  SECTION("several steps: host scale, then a device clipping factor, then a NaN factor") {
    // Step 1: the gradient scale comes from the host hyper-parameters.
    auto grad = uniform(g, total, -2.0f, 2.0f);
    dg.upload(grad);
    dapt::cuda::AdamwHyper h;
    h.lr = 2e-3;
    h.beta1 = beta1;
    h.beta2 = beta2;
    h.eps = eps;
    h.grad_scale = 0.75;
    cpu_step(grad, 1, h.lr, h.grad_scale);
    auto list = make_list(1);
    OptimKernels<Cuda>::adamw_multi(list, h);
    compare();

    // Step 2: norm on the device, clipping factor on the device, update reading it (no host sync).
    grad = uniform(g, total, -2.0f, 2.0f);
    dg.upload(grad);
    double sum = 0.0;
    for (std::size_t i = 0; i < k; ++i) sum += OptimKernels<Cpu>::sum_squares(grad.data() + off[i], sizes[i]);
    const double max_norm = 0.5 * std::sqrt(sum);  // clipping active
    const double coef = dapt::train::clip_coefficient(std::sqrt(sum), max_norm);
    REQUIRE(coef < 1.0);
    h.lr = 1e-3;
    h.grad_scale = 1.0;  // ignored: the device factor wins
    cpu_step(grad, 2, h.lr, coef);
    dscale.poison();
    std::vector<dapt::cuda::GradTensor> grads(k);
    for (std::size_t i = 0; i < k; ++i) grads[i] = {dg.get() + off[i], sizes[i]};
    OptimKernels<Cuda>::grad_norm_squared_multi(grads, dsum.get());
    OptimKernels<Cuda>::clip_scale(dsum.get(), max_norm, dscale.get());
    list = make_list(2);
    OptimKernels<Cuda>::adamw_multi(list, h, dscale.get());
    const auto after2 = compare();
    CHECK(dscale.download()[0] == static_cast<float>(coef));

    // Step 3: a NaN gradient makes the norm NaN, the factor NaN, and the update a no-op.
    grad = uniform(g, total, -2.0f, 2.0f);
    grad[total / 2] = std::numeric_limits<float>::quiet_NaN();
    dg.upload(grad);
    OptimKernels<Cuda>::grad_norm_squared_multi(grads, dsum.get());
    OptimKernels<Cuda>::clip_scale(dsum.get(), max_norm, dscale.get());
    list = make_list(3);
    OptimKernels<Cuda>::adamw_multi(list, h, dscale.get());
    CHECK(std::isnan(dscale.download()[0]));
    CHECK(std::isnan(dsum.read()[0]));
    const auto after3 = compare();  // p, m, v still hold step 2's values
    CHECK(bit_mismatches(after3, after2) == 0);
  }

  SECTION("beta1 = 0.3 (lerp from the gradient) and no copies") {
    auto grad = uniform(g, total, -2.0f, 2.0f);
    dg.upload(grad);
    dapt::cuda::AdamwHyper h;
    h.lr = 1e-2;
    h.beta1 = 0.3;
    h.beta2 = beta2;
    h.eps = eps;
    for (std::size_t i = 0; i < k; ++i) {
      const auto tt = static_cast<double>(t0[i] + 1);
      OptimKernels<Cpu>::adamw_update(p.data() + off[i], grad.data() + off[i], m.data() + off[i], v.data() + off[i],
                                      sizes[i], h.lr, 0.3, beta2, eps, wd[i], 1.0 - std::pow(0.3, tt),
                                      1.0 - std::pow(beta2, tt), 1.0);
    }
    auto list = make_list(1);
    for (std::size_t i = 0; i < k; ++i) {
      list[i].copy = nullptr;
      list[i].bias_correction1 = 1.0 - std::pow(0.3, static_cast<double>(t0[i] + 1));
    }
    OptimKernels<Cuda>::adamw_multi(list, h);
    const auto gp = dp.download(), gm = dm.download(), gv = dv.download(), gc = dcopy.download();
    DAPT_GPU_REQUIRE_CLOSE(gp, p, kTolF32);
    DAPT_GPU_REQUIRE_CLOSE(gm, m, kTolF32);
    DAPT_GPU_REQUIRE_CLOSE(gv, v, kTolF32);
    CHECK(bit_mismatches(gp, p) == 0);
    std::size_t touched = 0;
    for (float c : gc) touched += !std::isnan(c);
    CHECK(touched == 0);
  }
}

TEST_CASE("gpu optim: sums of squares match the CPU's double sums and are reproducible", "[gpu][optim]") {
  auto g = rng(301);
  SECTION("one tensor, returned to the host and kept on the device") {
    for (std::int64_t n : {std::int64_t{1}, std::int64_t{37}, std::int64_t{16384}, std::int64_t{16385},
                           std::int64_t{100003}, std::int64_t{3000017}}) {
      INFO("n = " << n);
      const auto x = uniform(g, static_cast<std::size_t>(n), -3.0f, 3.0f);
      DeviceBuffer<float> dx(x);
      DeviceBuffer<double> out(1);
      out.poison();
      const double want = OptimKernels<Cpu>::sum_squares(x.data(), n);
      const double got = OptimKernels<Cuda>::sum_squares(dx.get(), n);
      CHECK(std::abs(got - want) <= 1e-10 * want);
      OptimKernels<Cuda>::sum_squares_device(dx.get(), n, out.get());
      const double got_dev = out.read()[0];
      CHECK(std::memcmp(&got_dev, &got, sizeof(double)) == 0);
    }
    CHECK(OptimKernels<Cuda>::sum_squares(nullptr, 0) == 0.0);
  }

  SECTION("many tensors of odd sizes, into device memory") {
    const auto sizes = multi_sizes(g);
    std::vector<std::size_t> off(sizes.size() + 1, 0);
    for (std::size_t i = 0; i < sizes.size(); ++i) off[i + 1] = off[i] + static_cast<std::size_t>(sizes[i]);
    const auto x = uniform(g, off.back(), -1.0f, 1.0f);
    DeviceBuffer<float> dx(x);
    DeviceBuffer<double> out(2);
    out.poison();
    std::vector<dapt::cuda::GradTensor> list(sizes.size());
    double want = 0.0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      list[i] = {dx.get() + off[i], sizes[i]};
      want += OptimKernels<Cpu>::sum_squares(x.data() + off[i], sizes[i]);
    }
    OptimKernels<Cuda>::grad_norm_squared_multi(list, out.get());
    OptimKernels<Cuda>::grad_norm_squared_multi(list, out.get() + 1);
    const auto got = out.read();
    CHECK(std::abs(got[0] - want) <= 1e-10 * want);
    CHECK(std::memcmp(&got[0], &got[1], sizeof(double)) == 0);  // deterministic

    // An empty list and an all-empty list write 0.
    out.poison();
    OptimKernels<Cuda>::grad_norm_squared_multi({}, out.get());
    const dapt::cuda::GradTensor empty{dx.get(), 0};
    OptimKernels<Cuda>::grad_norm_squared_multi(std::span(&empty, 1), out.get() + 1);
    const auto zeros = out.read();
    CHECK(zeros[0] == 0.0);
    CHECK(zeros[1] == 0.0);
  }
}

TEST_CASE("gpu optim: clip_scale equals train::clip_coefficient rounded to float", "[gpu][optim]") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> sums = {0.0, 1e-14, 0.25, 0.999999, 1.0, 1.0000001, 4.0, 123.456, 1e6, 3.3e12};
  DeviceBuffer<double> dsum(sums.size()), dnorm(sums.size());
  DeviceBuffer<float> dscale(sums.size());
  for (double max_norm : {1.0, 0.5, 2.7, inf}) {
    INFO("max_norm = " << max_norm);
    dsum.write(sums);
    dscale.poison();
    dnorm.poison();
    for (std::size_t i = 0; i < sums.size(); ++i)
      OptimKernels<Cuda>::clip_scale(dsum.get() + i, max_norm, dscale.get() + i, dnorm.get() + i);
    const auto scale = dscale.download();
    const auto norm = dnorm.read();
    for (std::size_t i = 0; i < sums.size(); ++i) {
      INFO("sum of squares " << sums[i]);
      CHECK(norm[i] == std::sqrt(sums[i]));
      CHECK(scale[i] == static_cast<float>(dapt::train::clip_coefficient(std::sqrt(sums[i]), max_norm)));
    }
  }
  // Non-finite sums: NaN factor (the update is skipped), the norm passed through.
  const std::vector<double> bad = {std::numeric_limits<double>::quiet_NaN(), inf};
  DeviceBuffer<double> dbad(bad.size()), dbad_norm(bad.size());
  dbad.write(bad);
  dscale.poison();
  for (std::size_t i = 0; i < bad.size(); ++i)
    OptimKernels<Cuda>::clip_scale(dbad.get() + i, 1.0, dscale.get() + i, dbad_norm.get() + i);
  const auto scale = dscale.download();
  const auto norm = dbad_norm.read();
  CHECK(std::isnan(scale[0]));
  CHECK(std::isnan(scale[1]));
  CHECK(std::isnan(norm[0]));
  CHECK(norm[1] == inf);
  REQUIRE_THROWS_AS(OptimKernels<Cuda>::clip_scale(dbad.get(), 0.0, dscale.get()), dapt::Error);
}

TEST_CASE("gpu optim: scale in place, by a host or a device factor", "[gpu][optim]") {
  auto g = rng(401);
  const std::int64_t n = 100003;
  const auto x = uniform(g, static_cast<std::size_t>(n), -5.0f, 5.0f);
  DeviceBuffer<float> dx(x), ds(std::vector<float>{0.3f});
  auto want = x;
  OptimKernels<Cpu>::scale(want.data(), n, 0.7f);
  OptimKernels<Cuda>::scale(dx.get(), n, 0.7f);
  auto got = dx.download();
  DAPT_GPU_REQUIRE_CLOSE(got, want, kTolF32);
  CHECK(bit_mismatches(got, want) == 0);

  OptimKernels<Cpu>::scale(want.data(), n, 0.3f);
  OptimKernels<Cuda>::scale_device(dx.get(), n, ds.get());
  got = dx.download();
  CHECK(bit_mismatches(got, want) == 0);

  // A NaN device factor leaves x alone (clip_grad_norm with a NaN norm).
  ds.upload({std::numeric_limits<float>::quiet_NaN()});
  OptimKernels<Cuda>::scale_device(dx.get(), n, ds.get());
  got = dx.download();
  CHECK(bit_mismatches(got, want) == 0);
}

}  // namespace dapt_gpu_optim_test
