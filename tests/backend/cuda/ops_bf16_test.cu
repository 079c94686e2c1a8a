/// @file ops_bf16_test.cu
/// @brief The `ops::` facades on `Tensor<Cuda>` in the mixed-precision mode: BF16 activations and
/// weight copies, with the parameter gradients, rstd, lse, losses and pooling norms in F32. Each
/// op family runs through its facade in bf16 and is compared with the CPU facade computing in fp32
/// on the same (bf16-rounded) inputs: relative L2 <= 1e-2, the issue's bf16 threshold. Outputs
/// that are written start as NaN bytes; gradients that are added start non-zero. Each family also
/// checks that a call mixing F32 and BF16 storage operands, or giving BF16 to an fp32-only
/// operand, throws kDtype naming the operand.
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "dapt/backend/cuda/activation.cuh"
#include "dapt/backend/cuda/allocator.cuh"
#include "dapt/backend/cuda/attention.cuh"
#include "dapt/backend/cuda/elementwise.cuh"
#include "dapt/backend/cuda/embedding.cuh"
#include "dapt/backend/cuda/loss.cuh"
#include "dapt/backend/cuda/matmul.cuh"
#include "dapt/backend/cuda/norm.cuh"
#include "dapt/backend/cuda/optim.cuh"
#include "dapt/backend/cuda/pooling.cuh"
#include "dapt/backend/cuda/rope.cuh"
#include "dapt/ops/activation.hpp"
#include "dapt/ops/attention.hpp"
#include "dapt/ops/elementwise.hpp"
#include "dapt/ops/embedding.hpp"
#include "dapt/ops/loss.hpp"
#include "dapt/ops/matmul.hpp"
#include "dapt/ops/norm.hpp"
#include "dapt/ops/optim.hpp"
#include "dapt/ops/pooling.hpp"
#include "dapt/ops/rope.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_ops_bf16_test {

namespace {

using dapt::bf16;
using dapt::Cpu;
using dapt::Cuda;
using dapt::DType;
using dapt::Shape;
using dapt::Tensor;
using dapt_gpu_test::kTolBf16;

/// Values as the bf16 kernels see them (rounded to bf16), for both the device and the CPU reference.
std::vector<float> bf(std::vector<float> v) { return dapt_gpu_test::as_t<bf16>(std::move(v)); }

Tensor<Cpu> host_f32(Shape s, const std::vector<float>& v) {
  auto t = Tensor<Cpu>::empty(s, DType::kF32);
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}
Tensor<Cpu> host_i32(Shape s, const std::vector<std::int32_t>& v) {
  auto t = Tensor<Cpu>::empty(s, DType::kI32);
  std::copy(v.begin(), v.end(), t.data<std::int32_t>());
  return t;
}
std::vector<float> values(const Tensor<Cpu>& h) { return {h.data<float>(), h.data<float>() + h.numel()}; }

/// A device tensor of dtype `dt` (BF16: rounded to nearest even) holding `v`.
Tensor<Cuda> device(Shape s, const std::vector<float>& v, DType dt = DType::kBF16) {
  auto h = Tensor<Cpu>::empty(s, dt);
  dapt::convert_from_f32(v.data(), dt, h.raw(), v.size());
  auto d = Tensor<Cuda>::empty(s, dt);
  dapt::cuda::copy(h.view(), d.view());
  return d;
}
Tensor<Cuda> device_i32(const Tensor<Cpu>& h) {
  auto d = Tensor<Cuda>::empty(h.shape(), h.dtype());
  dapt::cuda::copy(h.view(), d.view());
  return d;
}
/// A device tensor filled with NaN bytes (0xFF: NaN in F32 and BF16), so an unwritten element fails.
Tensor<Cuda> poisoned(Shape s, DType dt = DType::kBF16) {
  auto d = Tensor<Cuda>::empty(s, dt);
  DAPT_CUDA_CHECK(cudaMemsetAsync(d.raw(), 0xff, d.nbytes(), dapt::cuda::current_stream()));
  return d;
}
/// The device tensor's values as fp32 (after the work queued so far).
std::vector<float> to_host(const Tensor<Cuda>& d) { return dapt_gpu_test::host_values(d.view()); }
std::vector<float> filled(std::int64_t n, float x) { return std::vector<float>(static_cast<std::size_t>(n), x); }

}  // namespace

TEST_CASE("gpu ops bf16: linear forward and backward in bf16, dw and db in fp32", "[gpu][ops]") {
  using namespace dapt_gpu_test;
  auto g = rng(201);
  const std::int64_t n = kT, k = kD, m = kVocab;
  const auto x = bf(uniform(g, n * k)), w = bf(uniform(g, m * k)), b = bf(uniform(g, m));
  const auto dy = bf(uniform(g, n * m));
  const auto hx = host_f32({n, k}, x), hw = host_f32({m, k}, w), hb = host_f32({m}, b), hdy = host_f32({n, m}, dy);
  auto y = Tensor<Cpu>::empty({n, m}, DType::kF32), dx = Tensor<Cpu>::empty({n, k}, DType::kF32);
  auto dw = host_f32({m, k}, filled(m * k, 0.25f)), db = host_f32({m}, filled(m, -0.5f));
  dapt::ops::linear_forward<Cpu>(hx.view(), hw.view(), hb.view(), y.view());
  dapt::ops::linear_backward_input<Cpu>(hdy.view(), hw.view(), dx.view());
  dapt::ops::linear_backward_weight<Cpu>(hdy.view(), hx.view(), dw.view(), db.view());

  const auto dx_in = device({n, k}, x), dw_in = device({m, k}, w), db_in = device({m}, b), ddy = device({n, m}, dy);
  auto dy_out = poisoned({n, m}), ddx = poisoned({n, k});
  auto ddw = device({m, k}, filled(m * k, 0.25f), DType::kF32), ddb = device({m}, filled(m, -0.5f), DType::kF32);
  dapt::ops::linear_forward<Cuda>(dx_in.view(), dw_in.view(), db_in.view(), dy_out.view());
  dapt::ops::linear_backward_input<Cuda>(ddy.view(), dw_in.view(), ddx.view());
  dapt::ops::linear_backward_weight<Cuda>(ddy.view(), dx_in.view(), ddw.view(), ddb.view());
  DAPT_GPU_REQUIRE_CLOSE(to_host(dy_out), values(y), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(ddx), values(dx), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(ddw), values(dw), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(ddb), values(db), kTolBf16);

  // Mixed storage, and bf16 where fp32 is required.
  const auto w_f32 = device({m, k}, w, DType::kF32);
  REQUIRE_DAPT_ERROR(dapt::ops::linear_forward<Cuda>(dx_in.view(), w_f32.view(), db_in.view(), dy_out.view()), kDtype,
                     "linear weight is F32 but linear input is BF16");
  REQUIRE_DAPT_ERROR(dapt::ops::linear_backward_input<Cuda>(ddy.view(), w_f32.view(), ddx.view()), kDtype,
                     "linear weight is F32");
  const auto dw_bf16 = poisoned({m, k});
  REQUIRE_DAPT_ERROR(dapt::ops::linear_backward_weight<Cuda>(ddy.view(), dx_in.view(), dw_bf16.view(), ddb.view()),
                     kDtype, "linear weight gradient must be F32, got BF16");
}

TEST_CASE("gpu ops bf16: RMSNorm with the residual in bf16, rstd and dw in fp32", "[gpu][ops]") {
  using namespace dapt_gpu_test;
  auto g = rng(202);
  const std::int64_t n = kT, c = kD;
  const auto x = bf(uniform(g, n * c)), delta = bf(uniform(g, n * c)), w = bf(uniform(g, c, 0.5f, 1.5f));
  const auto hx = host_f32({n, c}, x), hdelta = host_f32({n, c}, delta), hw = host_f32({c}, w);
  auto h = Tensor<Cpu>::empty({n, c}, DType::kF32), y = Tensor<Cpu>::empty({n, c}, DType::kF32);
  auto rstd = Tensor<Cpu>::empty({n}, DType::kF32);
  dapt::ops::rms_norm_forward<Cpu>(hx.view(), hdelta.view(), h.view(), hw.view(), y.view(), rstd.view(), 1e-5f);

  const auto dx_in = device({n, c}, x), ddelta = device({n, c}, delta), dw_in = device({c}, w);
  auto dh = poisoned({n, c}), dy_out = poisoned({n, c}), drstd = poisoned({n}, DType::kF32);
  dapt::ops::rms_norm_forward<Cuda>(dx_in.view(), ddelta.view(), dh.view(), dw_in.view(), dy_out.view(), drstd.view(),
                                    1e-5f);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dh), values(h), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dy_out), values(y), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(drstd), values(rstd), kTolBf16);

  // Backward from the reference forward's h (as stored in bf16) and rstd, on both sides.
  const auto hb = bf(values(h)), dy = bf(uniform(g, n * c));
  const auto hh = host_f32({n, c}, hb), hdy = host_f32({n, c}, dy);
  auto dx = Tensor<Cpu>::empty({n, c}, DType::kF32), dw = host_f32({c}, filled(c, 0.25f));
  dapt::ops::rms_norm_backward<Cpu>(hdy.view(), hh.view(), hw.view(), rstd.view(), dx.view(), dw.view(), false);
  const auto dh_in = device({n, c}, hb), ddy = device({n, c}, dy), drstd_in = device({n}, values(rstd), DType::kF32);
  auto ddx = poisoned({n, c}), ddw = device({c}, filled(c, 0.25f), DType::kF32);
  dapt::ops::rms_norm_backward<Cuda>(ddy.view(), dh_in.view(), dw_in.view(), drstd_in.view(), ddx.view(), ddw.view(),
                                     false);
  DAPT_GPU_REQUIRE_CLOSE(to_host(ddx), values(dx), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(ddw), values(dw), kTolBf16);

  const auto w_f32 = device({c}, w, DType::kF32);
  REQUIRE_DAPT_ERROR(dapt::ops::rms_norm_forward<Cuda>(dx_in.view(), ddelta.view(), dh.view(), w_f32.view(),
                                                       dy_out.view(), drstd.view(), 1e-5f),
                     kDtype, "rmsnorm weight is F32 but rmsnorm input is BF16");
  const auto delta_f32 = device({n, c}, delta, DType::kF32);
  REQUIRE_DAPT_ERROR(dapt::ops::rms_norm_forward<Cuda>(dx_in.view(), delta_f32.view(), dh.view(), dw_in.view(),
                                                       dy_out.view(), drstd.view(), 1e-5f),
                     kDtype, "rmsnorm residual delta is F32");
  const auto dw_bf16 = poisoned({c});
  REQUIRE_DAPT_ERROR(dapt::ops::rms_norm_backward<Cuda>(ddy.view(), dh_in.view(), dw_in.view(), drstd_in.view(),
                                                        ddx.view(), dw_bf16.view(), false),
                     kDtype, "rmsnorm weight gradient must be F32, got BF16");
}

TEST_CASE("gpu ops bf16: RoPE rotates bf16 q/k with the fp32 device tables", "[gpu][ops][rope]") {
  using namespace dapt_gpu_test;
  auto g = rng(203);
  dapt::io::RopeConfig rc;
  rc.theta = 10000.0;
  dapt::ops::RopeTable table(rc, kHeadDim, 64);
  const std::int64_t b = 2, t = kT, heads = kHeads, total = b * t * heads * kHeadDim;
  std::vector<std::int32_t> pos(static_cast<std::size_t>(b * t));
  for (auto& p : pos) p = static_cast<std::int32_t>(g() % 64);
  const auto hpos = host_i32({b, t}, pos);
  const auto dpos = device_i32(hpos);
  for (const bool forward : {true, false}) {
    INFO((forward ? "rope_forward" : "rope_backward"));
    const auto x = bf(uniform(g, static_cast<std::size_t>(total)));
    auto hx = host_f32({b, t, heads, kHeadDim}, x);
    auto dx = device({b, t, heads, kHeadDim}, x);
    if (forward) {
      dapt::ops::rope_forward<Cpu>(hx.view(), hpos.view(), table);
      dapt::ops::rope_forward<Cuda>(dx.view(), dpos.view(), table);
    } else {
      dapt::ops::rope_backward<Cpu>(hx.view(), hpos.view(), table);
      dapt::ops::rope_backward<Cuda>(dx.view(), dpos.view(), table);
    }
    DAPT_GPU_REQUIRE_CLOSE(to_host(dx), values(hx), kTolBf16);
  }
}

TEST_CASE("gpu ops bf16: attention forward, backward and cached in bf16, lse in fp32", "[gpu][ops][attention]") {
  using namespace dapt_gpu_test;
  auto g = rng(204);
  const std::int64_t B = 2, T = kT, H = kHeads, Hkv = kKvHeads, hd = kHeadDim;
  const std::int64_t nq = B * T * H * hd, nk = B * T * Hkv * hd;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const auto q = bf(uniform(g, nq, -2.0f, 2.0f)), k = bf(uniform(g, nk)), v = bf(uniform(g, nk));
  const auto dout = bf(uniform(g, nq));
  std::vector<std::int32_t> seg(static_cast<std::size_t>(B * T));
  for (std::int64_t i = 0; i < B * T; ++i) seg[static_cast<std::size_t>(i)] = (i % T) < 20 ? 0 : 1;  // two documents
  const auto hseg = host_i32({B, T}, seg);
  const auto hq = host_f32({B, T, H, hd}, q), hk = host_f32({B, T, Hkv, hd}, k), hv = host_f32({B, T, Hkv, hd}, v);
  auto out = Tensor<Cpu>::empty({B, T, H, hd}, DType::kF32), lse = Tensor<Cpu>::empty({B, H, T}, DType::kF32);
  dapt::ops::attention_forward<Cpu>(hq.view(), hk.view(), hv.view(), hseg.view(), out.view(), lse.view(), scale);

  const auto dq_in = device({B, T, H, hd}, q), dk_in = device({B, T, Hkv, hd}, k), dv_in = device({B, T, Hkv, hd}, v);
  const auto dseg = device_i32(hseg);
  auto dout_ = poisoned({B, T, H, hd}), dlse = poisoned({B, H, T}, DType::kF32);
  dapt::ops::attention_forward<Cuda>(dq_in.view(), dk_in.view(), dv_in.view(), dseg.view(), dout_.view(), dlse.view(),
                                     scale);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dout_), values(out), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dlse), values(lse), kTolBf16);

  // Backward from the reference forward's out (as stored in bf16) and lse, on both sides.
  const auto out_b = bf(values(out));
  const auto hout = host_f32({B, T, H, hd}, out_b), hdout = host_f32({B, T, H, hd}, dout);
  auto gq = Tensor<Cpu>::empty({B, T, H, hd}, DType::kF32), gk = Tensor<Cpu>::empty({B, T, Hkv, hd}, DType::kF32);
  auto gv = Tensor<Cpu>::empty({B, T, Hkv, hd}, DType::kF32);
  dapt::ops::attention_backward<Cpu>(hq.view(), hk.view(), hv.view(), hseg.view(), hout.view(), lse.view(),
                                     hdout.view(), gq.view(), gk.view(), gv.view(), scale);
  const auto dout_in = device({B, T, H, hd}, out_b), dlse_in = device({B, H, T}, values(lse), DType::kF32);
  const auto ddout = device({B, T, H, hd}, dout);
  auto dgq = poisoned({B, T, H, hd}), dgk = poisoned({B, T, Hkv, hd}), dgv = poisoned({B, T, Hkv, hd});
  dapt::ops::attention_backward<Cuda>(dq_in.view(), dk_in.view(), dv_in.view(), dseg.view(), dout_in.view(),
                                      dlse_in.view(), ddout.view(), dgq.view(), dgk.view(), dgv.view(), scale);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dgq), values(gq), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dgk), values(gk), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dgv), values(gv), kTolBf16);

  // Cached: 3 new tokens per row against a bf16 KV cache of capacity T, rows at different pasts.
  const std::int64_t tq = 3;
  const auto cq = bf(uniform(g, B * tq * H * hd, -2.0f, 2.0f));
  const auto hcq = host_f32({B, tq, H, hd}, cq), hpast = host_i32({B}, {5, 30});
  auto cout = Tensor<Cpu>::empty({B, tq, H, hd}, DType::kF32);
  dapt::ops::attention_cached<Cpu>(hcq.view(), hk.view(), hv.view(), hpast.view(), cout.view(), scale);
  const auto dcq = device({B, tq, H, hd}, cq), dpast = device_i32(hpast);
  auto dcout = poisoned({B, tq, H, hd});
  dapt::ops::attention_cached<Cuda>(dcq.view(), dk_in.view(), dv_in.view(), dpast.view(), dcout.view(), scale);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dcout), values(cout), kTolBf16);

  const auto v_f32 = device({B, T, Hkv, hd}, v, DType::kF32);
  REQUIRE_DAPT_ERROR(dapt::ops::attention_forward<Cuda>(dq_in.view(), dk_in.view(), v_f32.view(), dseg.view(),
                                                        dout_.view(), dlse.view(), scale),
                     kDtype, "attention_forward: v is F32 but q is BF16");
  const auto lse_bf16 = poisoned({B, H, T});
  REQUIRE_DAPT_ERROR(dapt::ops::attention_forward<Cuda>(dq_in.view(), dk_in.view(), dv_in.view(), dseg.view(),
                                                        dout_.view(), lse_bf16.view(), scale),
                     kDtype, "lse must be F32, got BF16");
  const auto dgq_f32 = poisoned({B, T, H, hd}, DType::kF32);
  REQUIRE_DAPT_ERROR(dapt::ops::attention_backward<Cuda>(dq_in.view(), dk_in.view(), dv_in.view(), dseg.view(),
                                                         dout_in.view(), dlse_in.view(), ddout.view(), dgq_f32.view(),
                                                         dgk.view(), dgv.view(), scale),
                     kDtype, "dq is F32 but q is BF16");
  REQUIRE_DAPT_ERROR(dapt::ops::attention_cached<Cuda>(dcq.view(), dk_in.view(), v_f32.view(), dpast.view(),
                                                       dcout.view(), scale),
                     kDtype, "v_cache is F32 but q is BF16");
}

TEST_CASE("gpu ops bf16: SwiGLU and dropout in bf16", "[gpu][ops]") {
  using namespace dapt_gpu_test;
  auto g = rng(205);
  const std::int64_t n = kT * kD * 3 + 5;  // several blocks and a tail
  const auto gate = bf(uniform(g, n, -4.0f, 4.0f)), up = bf(uniform(g, n)), dout = bf(uniform(g, n));
  const auto hgate = host_f32({n}, gate), hup = host_f32({n}, up), hdout = host_f32({n}, dout);
  auto out = Tensor<Cpu>::empty({n}, DType::kF32), dgate = Tensor<Cpu>::empty({n}, DType::kF32);
  auto dup = Tensor<Cpu>::empty({n}, DType::kF32), drop = Tensor<Cpu>::empty({n}, DType::kF32);
  dapt::ops::swiglu_forward<Cpu>(hgate.view(), hup.view(), out.view());
  dapt::ops::swiglu_backward<Cpu>(hdout.view(), hgate.view(), hup.view(), dgate.view(), dup.view());
  dapt::ops::dropout<Cpu>(hup.view(), drop.view(), 0.25f, 1234, 7);

  const auto dgate_in = device({n}, gate), dup_in = device({n}, up), ddout = device({n}, dout);
  auto dout_ = poisoned({n}), ddgate = poisoned({n}), ddup = poisoned({n}), ddrop = poisoned({n});
  dapt::ops::swiglu_forward<Cuda>(dgate_in.view(), dup_in.view(), dout_.view());
  dapt::ops::swiglu_backward<Cuda>(ddout.view(), dgate_in.view(), dup_in.view(), ddgate.view(), ddup.view());
  dapt::ops::dropout<Cuda>(dup_in.view(), ddrop.view(), 0.25f, 1234, 7);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dout_), values(out), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(ddgate), values(dgate), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(ddup), values(dup), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(ddrop), values(drop), kTolBf16);

  const auto up_f32 = device({n}, up, DType::kF32);
  REQUIRE_DAPT_ERROR(dapt::ops::swiglu_forward<Cuda>(dgate_in.view(), up_f32.view(), dout_.view()), kDtype,
                     "swiglu up is F32 but swiglu gate is BF16");
  REQUIRE_DAPT_ERROR(dapt::ops::swiglu_backward<Cuda>(ddout.view(), dgate_in.view(), up_f32.view(), ddgate.view(),
                                                      ddup.view()),
                     kDtype, "swiglu up is F32");
  REQUIRE_DAPT_ERROR(dapt::ops::dropout<Cuda>(dup_in.view(), up_f32.view(), 0.25f, 1234, 7), kDtype,
                     "dropout: output is F32 but input is BF16");
}

TEST_CASE("gpu ops bf16: cross-entropy of bf16 logits, fp32 losses", "[gpu][ops]") {
  using namespace dapt_gpu_test;
  auto g = rng(206);
  const std::int64_t n = kT, v = kVocab;
  const auto logits = bf(uniform(g, n * v, -4.0f, 4.0f));
  std::vector<std::int32_t> targets(static_cast<std::size_t>(n));
  for (auto& t : targets) t = static_cast<std::int32_t>(g() % static_cast<std::uint64_t>(v));
  targets[3] = -1;  // ignored
  const auto htargets = host_i32({n}, targets);
  auto hlogits = host_f32({n, v}, logits);
  auto losses = Tensor<Cpu>::empty({n}, DType::kF32);
  const float grad_scale = 1.0f / static_cast<float>(n);
  dapt::ops::cross_entropy<Cpu>(hlogits.view(), htargets.view(), losses.view(), grad_scale, true);

  auto dlogits = device({n, v}, logits);
  const auto dtargets = device_i32(htargets);
  auto dlosses = poisoned({n}, DType::kF32);
  dapt::ops::cross_entropy<Cuda>(dlogits.view(), dtargets.view(), dlosses.view(), grad_scale, true);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dlosses), values(losses), kTolBf16);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dlogits), values(hlogits), kTolBf16);

  const auto losses_bf16 = poisoned({n});
  REQUIRE_DAPT_ERROR(dapt::ops::cross_entropy<Cuda>(dlogits.view(), dtargets.view(), losses_bf16.view(), 1.0f, false),
                     kDtype, "cross_entropy: losses must be F32, got BF16");
}

TEST_CASE("gpu ops bf16: embedding and pooling in bf16, dtable and norms in fp32", "[gpu][ops]") {
  using namespace dapt_gpu_test;
  using dapt::ops::PoolMode;
  auto g = rng(207);
  const std::int64_t n = 3, t = kT, c = kD, v = kVocab;
  std::vector<std::int32_t> ids(static_cast<std::size_t>(n * t)), mask(static_cast<std::size_t>(n * t), 1);
  for (auto& id : ids) id = static_cast<std::int32_t>(g() % static_cast<std::uint64_t>(v));
  for (std::int64_t j = 20; j < t; ++j) mask[static_cast<std::size_t>(t + j)] = 0;     // row 1: right padding
  for (std::int64_t j = 0; j < 11; ++j) mask[static_cast<std::size_t>(2 * t + j)] = 0;  // row 2: left padding
  const auto table = bf(uniform(g, v * c));
  const auto htable = host_f32({v, c}, table), hids = host_i32({n * t}, ids), hmask = host_i32({n, t}, mask);
  const auto dtable_in = device({v, c}, table), dids = device_i32(hids);

  // Gather.
  auto e = Tensor<Cpu>::empty({n, t, c}, DType::kF32);
  dapt::ops::embedding_forward<Cpu>(htable.view(), hids.view(), e.view());
  auto de = poisoned({n, t, c});
  dapt::ops::embedding_forward<Cuda>(dtable_in.view(), dids.view(), de.view());
  DAPT_GPU_REQUIRE_CLOSE(to_host(de), values(e), kTolBf16);

  for (const PoolMode mode : {PoolMode::kMean, PoolMode::kLastToken, PoolMode::kFirstToken}) {
    INFO("pooling " << dapt::ops::pool_mode_name(mode));
    // Forward on the gathered rows (exact in bf16 on both sides).
    auto out = Tensor<Cpu>::empty({n, c}, DType::kF32), norms = Tensor<Cpu>::empty({n}, DType::kF32);
    dapt::ops::pool_forward<Cpu>(e.view(), hmask.view(), out.view(), norms.view(), mode, true);
    auto dout_ = poisoned({n, c}), dnorms = poisoned({n}, DType::kF32);
    dapt::ops::pool_forward<Cuda>(de.view(), hmask.view(), dout_.view(), dnorms.view(), mode, true);
    DAPT_GPU_REQUIRE_CLOSE(to_host(dout_), values(out), kTolBf16);
    DAPT_GPU_REQUIRE_CLOSE(to_host(dnorms), values(norms), kTolBf16);

    // Backward from the reference out (as stored in bf16) and norms, on both sides.
    const auto out_b = bf(values(out)), gout = bf(uniform(g, n * c));
    const auto hout = host_f32({n, c}, out_b), hgout = host_f32({n, c}, gout);
    auto dh = Tensor<Cpu>::empty({n, t, c}, DType::kF32);
    dapt::ops::pool_backward<Cpu>(hgout.view(), hout.view(), norms.view(), hmask.view(), dh.view(), mode, true);
    const auto dout_in = device({n, c}, out_b), dgout = device({n, c}, gout);
    const auto dnorms_in = device({n}, values(norms), DType::kF32);
    auto ddh = poisoned({n, t, c});
    dapt::ops::pool_backward<Cuda>(dgout.view(), dout_in.view(), dnorms_in.view(), hmask.view(), ddh.view(), mode,
                                   true);
    DAPT_GPU_REQUIRE_CLOSE(to_host(ddh), values(dh), kTolBf16);

    const auto out_f32 = poisoned({n, c}, DType::kF32);
    REQUIRE_DAPT_ERROR(
        dapt::ops::pool_forward<Cuda>(de.view(), hmask.view(), out_f32.view(), dnorms.view(), mode, true), kDtype,
        "pool_forward: out is F32 but h is BF16");
    const auto norms_bf16 = poisoned({n});
    REQUIRE_DAPT_ERROR(dapt::ops::pool_backward<Cuda>(dgout.view(), dout_in.view(), norms_bf16.view(), hmask.view(),
                                                      ddh.view(), mode, true),
                       kDtype, "pool_backward: norms must be F32, got BF16");
  }

  // Scatter-add of a bf16 gradient into the fp32 table gradient (starting non-zero).
  const auto gemb = bf(uniform(g, n * t * c));
  const auto hgemb = host_f32({n, t, c}, gemb);
  auto dtable = host_f32({v, c}, filled(v * c, 0.5f));
  dapt::ops::embedding_backward<Cpu>(hgemb.view(), hids.view(), dtable.view());
  const auto dgemb = device({n, t, c}, gemb);
  auto ddtable = device({v, c}, filled(v * c, 0.5f), DType::kF32);
  dapt::ops::embedding_backward<Cuda>(dgemb.view(), dids.view(), ddtable.view());
  DAPT_GPU_REQUIRE_CLOSE(to_host(ddtable), values(dtable), kTolBf16);

  const auto e_f32 = poisoned({n, t, c}, DType::kF32);
  REQUIRE_DAPT_ERROR(dapt::ops::embedding_forward<Cuda>(dtable_in.view(), dids.view(), e_f32.view()), kDtype,
                     "embedding output is F32 but embedding table is BF16");
  const auto dtable_bf16 = poisoned({v, c});
  REQUIRE_DAPT_ERROR(dapt::ops::embedding_backward<Cuda>(dgemb.view(), dids.view(), dtable_bf16.view()), kDtype,
                     "embedding table gradient must be F32, got BF16");
}

TEST_CASE("gpu ops bf16: the residual stream's add and copy in bf16", "[gpu][ops]") {
  using namespace dapt_gpu_test;
  auto g = rng(208);
  const std::int64_t n = kT * kD * 3 + 5;
  const auto a = bf(uniform(g, n)), b = bf(uniform(g, n));
  const auto ha = host_f32({n}, a), hb = host_f32({n}, b);
  auto sum = Tensor<Cpu>::empty({n}, DType::kF32);
  dapt::ops::add<Cpu>(ha.view(), hb.view(), sum.view());
  const auto da = device({n}, a), db = device({n}, b);
  auto dsum = poisoned({n}), dcopy = poisoned({n});
  dapt::ops::add<Cuda>(da.view(), db.view(), dsum.view());
  dapt::ops::copy<Cuda>(dsum.view(), dcopy.view());
  // fp32 sum rounded once to bf16 on both sides: equal.
  DAPT_GPU_REQUIRE_CLOSE(to_host(dsum), bf(values(sum)), 0.0);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dcopy), bf(values(sum)), 0.0);
  DAPT_GPU_REQUIRE_CLOSE(to_host(dsum), values(sum), kTolBf16);

  const auto out_f32 = poisoned({n}, DType::kF32);
  REQUIRE_DAPT_ERROR(dapt::ops::add<Cuda>(da.view(), db.view(), out_f32.view()), kDtype,
                     "ops::add: out is F32 but a is BF16");
  REQUIRE_DAPT_ERROR(dapt::ops::copy<Cuda>(da.view(), out_f32.view()), kDtype, "ops::copy: dst is F32 but src is BF16");
}

TEST_CASE("gpu ops bf16: convert between fp32 and bf16, and scale in bf16", "[gpu][ops]") {
  using namespace dapt_gpu_test;
  auto g = rng(209);
  const std::int64_t n = kT * kD + 3;
  auto v = uniform(g, n, -3.0f, 3.0f);
  v[0] = 1.0f + 1.0f / 256.0f;  // halfway between two bf16 values: rounds to even (1.0)
  v[1] = 0.0f;
  const auto f = device({n}, v, DType::kF32);
  auto b = poisoned({n}), back = poisoned({n}, DType::kF32);
  dapt::ops::convert<Cuda>(f.view(), b.view());
  dapt::ops::convert<Cuda>(b.view(), back.view());
  // The device rounding equals the host's dapt::bf16 (nearest even), and widening is exact.
  DAPT_GPU_REQUIRE_CLOSE(to_host(b), bf(v), 0.0);
  DAPT_GPU_REQUIRE_CLOSE(to_host(back), bf(v), 0.0);
  CHECK(to_host(b)[0] == 1.0f);
  auto same = poisoned({n}, DType::kF32);
  dapt::ops::convert<Cuda>(f.view(), same.view());
  DAPT_GPU_REQUIRE_CLOSE(to_host(same), v, 0.0);

  // x *= s in fp32, rounded once to bf16.
  dapt::ops::scale<Cuda>(b.view(), 0.375f);
  std::vector<float> want = bf(v);
  for (auto& x : want) x *= 0.375f;
  DAPT_GPU_REQUIRE_CLOSE(to_host(b), bf(want), 0.0);
  REQUIRE_DAPT_ERROR(dapt::ops::convert<Cuda>(f.view(), poisoned({n + 1}).view()), kShape, "equal size");
}

}  // namespace dapt_gpu_ops_bf16_test
