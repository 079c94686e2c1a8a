/// @file ops_facade_test.cu
/// @brief The `ops::` facades on `Tensor<Cuda>` in fp32 mode: the same calls a layer makes, run on
/// the device and on the CPU from the same inputs, agree (relative L2 <= 1e-5). This is what the
/// per-kernel tests do not show: the facades' argument plumbing for Cuda (RoPE reading device
/// copies of its tables, including after they grew; pooling with a host mask; the embedding
/// backward's table bound), and Tensor<Cuda> storage with the host <-> device copies.
#include <cstdint>
#include <vector>

#include "dapt/backend/cuda/allocator.cuh"
#include "dapt/backend/cuda/elementwise.cuh"
#include "dapt/backend/cuda/embedding.cuh"
#include "dapt/backend/cuda/norm.cuh"
#include "dapt/backend/cuda/pooling.cuh"
#include "dapt/backend/cuda/rope.cuh"
#include "dapt/ops/elementwise.hpp"
#include "dapt/ops/embedding.hpp"
#include "dapt/ops/norm.hpp"
#include "dapt/ops/pooling.hpp"
#include "dapt/ops/rope.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_ops_facade_test {

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

}  // namespace

TEST_CASE("gpu ops facades: RMSNorm with the residual, forward and backward, on Tensor<Cuda>", "[gpu][ops]") {
  using namespace dapt_gpu_test;
  auto g = rng(101);
  const std::int64_t n = kT, c = kD;
  const auto x = host_tensor<float>({n, c}, uniform(g, n * c)), delta = host_tensor<float>({n, c}, uniform(g, n * c));
  const auto w = host_tensor<float>({c}, uniform(g, c, 0.5f, 1.5f)), dy = host_tensor<float>({n, c}, uniform(g, n * c));
  auto h = Tensor<Cpu>::empty({n, c}, DType::kF32), y = Tensor<Cpu>::empty({n, c}, DType::kF32);
  auto rstd = Tensor<Cpu>::empty({n}, DType::kF32), dx = Tensor<Cpu>::empty({n, c}, DType::kF32);
  auto dw = host_tensor<float>({c}, std::vector<float>(static_cast<std::size_t>(c), 0.25f));
  dapt::ops::rms_norm_forward<Cpu>(x.view(), delta.view(), h.view(), w.view(), y.view(), rstd.view(), 1e-5f);
  dapt::ops::rms_norm_backward<Cpu>(dy.view(), h.view(), w.view(), rstd.view(), dx.view(), dw.view(), false);

  const auto dx_ = device_copy(x), ddelta = device_copy(delta), dw_ = device_copy(w), ddy = device_copy(dy);
  auto dh = poisoned_f32({n, c}), dy_out = poisoned_f32({n, c}), drstd = poisoned_f32({n}), ddx = poisoned_f32({n, c});
  auto ddw = device_copy(host_tensor<float>({c}, std::vector<float>(static_cast<std::size_t>(c), 0.25f)));
  dapt::ops::rms_norm_forward<Cuda>(dx_.view(), ddelta.view(), dh.view(), dw_.view(), dy_out.view(), drstd.view(), 1e-5f);
  dapt::ops::rms_norm_backward<Cuda>(ddy.view(), dh.view(), dw_.view(), drstd.view(), ddx.view(), ddw.view(), false);
  DAPT_GPU_REQUIRE_CLOSE(host_values(dh), host_values(h), kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(host_values(dy_out), host_values(y), kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(host_values(drstd), host_values(rstd), kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(host_values(ddx), host_values(dx), kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(host_values(ddw), host_values(dw), kTolF32);
}

TEST_CASE("gpu ops facades: RoPE reads device copies of its tables, also after they grew", "[gpu][ops][rope]") {
  using namespace dapt_gpu_test;
  auto g = rng(102);
  dapt::io::RopeConfig rc;
  rc.type = dapt::io::RopeType::kLlama3;
  rc.theta = 500000.0;
  rc.factor = 8.0;
  rc.low_freq_factor = 1.0;
  rc.high_freq_factor = 4.0;
  rc.original_max_position_embeddings = 64;
  dapt::ops::RopeTable table(rc, kHeadDim, 16);
  const std::int64_t b = 2, t = kT, heads = kHeads;
  for (const std::int32_t span : {16, 300}) {  // the second round needs more rows: the table grows
    std::vector<std::int32_t> pos(static_cast<std::size_t>(b * t));
    for (std::size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<std::int32_t>(g() % static_cast<std::uint64_t>(span));
    table.ensure(span);
    const auto hpos = host_tensor<std::int32_t>({b, t}, pos);
    auto x = host_tensor<float>({b, t, heads, kHeadDim}, uniform(g, static_cast<std::size_t>(b * t * heads * kHeadDim)));
    auto dx = device_copy(x);
    const auto dpos = device_copy(hpos);
    dapt::ops::rope_forward<Cpu>(x.view(), hpos.view(), table);
    dapt::ops::rope_forward<Cuda>(dx.view(), dpos.view(), table);
    INFO("positions below " << span);
    DAPT_GPU_REQUIRE_CLOSE(host_values(dx), host_values(x), kTolF32);
    dapt::ops::rope_backward<Cpu>(x.view(), hpos.view(), table);
    dapt::ops::rope_backward<Cuda>(dx.view(), dpos.view(), table);
    DAPT_GPU_REQUIRE_CLOSE(host_values(dx), host_values(x), kTolF32);
  }
}

TEST_CASE("gpu ops facades: embedding and mean pooling with a host mask", "[gpu][ops]") {
  using namespace dapt_gpu_test;
  auto g = rng(103);
  const std::int64_t n = 3, t = kT, c = kD, v = kVocab;
  std::vector<std::int32_t> ids(static_cast<std::size_t>(n * t)), mask(static_cast<std::size_t>(n * t), 1);
  for (auto& id : ids) id = static_cast<std::int32_t>(g() % static_cast<std::uint64_t>(v));
  for (std::int64_t j = 20; j < t; ++j) mask[static_cast<std::size_t>(t + j)] = 0;   // row 1: right padding
  for (std::int64_t j = 0; j < 11; ++j) mask[static_cast<std::size_t>(2 * t + j)] = 0;  // row 2: left padding
  const auto table = host_tensor<float>({v, c}, uniform(g, v * c)), hids = host_tensor<std::int32_t>({n * t}, ids), hmask = host_tensor<std::int32_t>({n, t}, mask);
  auto e = Tensor<Cpu>::empty({n, t, c}, DType::kF32), out = Tensor<Cpu>::empty({n, c}, DType::kF32);
  auto norms = Tensor<Cpu>::empty({n}, DType::kF32);
  dapt::ops::embedding_forward<Cpu>(table.view(), hids.view(), e.view());
  dapt::ops::pool_forward<Cpu>(e.view(), hmask.view(), out.view(), norms.view(), dapt::ops::PoolMode::kMean, true);
  const auto dout = host_tensor<float>({n, c}, uniform(g, n * c));
  auto dh = Tensor<Cpu>::empty({n, t, c}, DType::kF32);
  auto dtable = host_tensor<float>({v, c}, std::vector<float>(static_cast<std::size_t>(v * c), 0.5f));
  dapt::ops::pool_backward<Cpu>(dout.view(), out.view(), norms.view(), hmask.view(), dh.view(), dapt::ops::PoolMode::kMean, true);
  dapt::ops::embedding_backward<Cpu>(dh.view(), hids.view(), dtable.view());

  const auto dtab = device_copy(table), dids = device_copy(hids), ddout = device_copy(dout);
  auto de = poisoned_f32({n, t, c}), dout_ = poisoned_f32({n, c}), dnorms = poisoned_f32({n}), ddh = poisoned_f32({n, t, c});
  auto ddtable = device_copy(host_tensor<float>({v, c}, std::vector<float>(static_cast<std::size_t>(v * c), 0.5f)));
  dapt::ops::embedding_forward<Cuda>(dtab.view(), dids.view(), de.view());
  dapt::ops::pool_forward<Cuda>(de.view(), hmask.view(), dout_.view(), dnorms.view(), dapt::ops::PoolMode::kMean, true);
  dapt::ops::pool_backward<Cuda>(ddout.view(), dout_.view(), dnorms.view(), hmask.view(), ddh.view(), dapt::ops::PoolMode::kMean, true);
  dapt::ops::embedding_backward<Cuda>(ddh.view(), dids.view(), ddtable.view());
  DAPT_GPU_REQUIRE_CLOSE(host_values(de), host_values(e), kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(host_values(dout_), host_values(out), kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(host_values(dnorms), host_values(norms), kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(host_values(ddh), host_values(dh), kTolF32);
  DAPT_GPU_REQUIRE_CLOSE(host_values(ddtable), host_values(dtable), kTolF32);
}

TEST_CASE("gpu ops facades: the residual stream's add and copy, and Tensor<Cuda>::zeros", "[gpu][ops]") {
  using namespace dapt_gpu_test;
  auto g = rng(104);
  const std::int64_t n = kT * kD * 3 + 5;  // several blocks and a tail
  const auto a = host_tensor<float>({n}, uniform(g, static_cast<std::size_t>(n))), b = host_tensor<float>({n}, uniform(g, static_cast<std::size_t>(n)));
  auto sum = Tensor<Cpu>::empty({n}, DType::kF32);
  dapt::ops::add<Cpu>(a.view(), b.view(), sum.view());
  const auto da = device_copy(a), db = device_copy(b);
  auto dsum = poisoned_f32({n}), dcopy = poisoned_f32({n});
  dapt::ops::add<Cuda>(da.view(), db.view(), dsum.view());
  dapt::ops::copy<Cuda>(dsum.view(), dcopy.view());
  DAPT_GPU_REQUIRE_CLOSE(host_values(dsum), host_values(sum), 0.0);
  DAPT_GPU_REQUIRE_CLOSE(host_values(dcopy), host_values(sum), 0.0);
  dapt::ops::add<Cuda>(dsum.view(), db.view(), dsum.view());  // in place
  dapt::ops::add<Cpu>(sum.view(), b.view(), sum.view());
  DAPT_GPU_REQUIRE_CLOSE(host_values(dsum), host_values(sum), 0.0);
  const auto z = Tensor<Cuda>::zeros({n}, DType::kF32);
  REQUIRE(host_values(z) == std::vector<float>(static_cast<std::size_t>(n), 0.0f));
}

}  // namespace dapt_gpu_ops_facade_test
