/// @file attention_test.cu
/// @brief The CUDA attention kernels against AttentionKernels<Cpu>, in fp32 and bf16 storage, on
/// odd shapes (T = 37 and 300, 6 query heads over 2 kv heads, head_dim 8 to 128), causal and
/// bidirectional, with and without packed documents (contiguous and recurring segment ids), for
/// forward (out, lse), backward (dq, dk, dv; written, so poisoned buffers must come back finite
/// and equal from run to run) and cached decode with odd past lengths and NaN beyond the valid
/// cache entries (which must never be read), and the KV-cache append.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "dapt/backend/cpu/attention.hpp"
#include "dapt/backend/cuda/attention.cuh"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_attention_test {

namespace {

using dapt::bf16;
using dapt_gpu_test::as_t;
using dapt_gpu_test::DeviceBuffer;
using dapt_gpu_test::kTol;
using dapt_gpu_test::kTolF32;
using CpuAttention = dapt::backend::AttentionKernels<dapt::Cpu>;
using GpuAttention = dapt::backend::AttentionKernels<dapt::Cuda>;

std::vector<float> to_float(const std::vector<std::int32_t>& v) { return std::vector<float>(v.begin(), v.end()); }

/// Largest |x| (+Inf when any element is not finite).
double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::isfinite(x) ? std::max(m, std::fabs(static_cast<double>(x))) : INFINITY;
  return m;
}

enum class Segments { kNone, kPacked, kRecurring };

/// Segment ids (B, T). kPacked: row 0 holds documents of 10, 1, then 26 tokens each (T = 37:
/// 10, 1, 26); row 1 one long document and a 5-token tail. kRecurring: id (t / 5) % 3, so one id
/// comes back after others (ids need not be contiguous or sorted).
std::vector<std::int32_t> make_segments(Segments kind, std::int64_t B, std::int64_t T) {
  std::vector<std::int32_t> ids;
  if (kind == Segments::kNone) return ids;
  ids.resize(static_cast<std::size_t>(B * T));
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t t = 0; t < T; ++t) {
      std::int32_t id = 0;
      if (kind == Segments::kRecurring) {
        id = static_cast<std::int32_t>((t / 5) % 3);
      } else if (b % 2 == 0) {
        id = t < 10 ? 0 : t < 11 ? 1 : static_cast<std::int32_t>(2 + (t - 11) / 26);
      } else {
        id = t < T - 5 ? 7 : 8;
      }
      ids[static_cast<std::size_t>(b * T + t)] = id;
    }
  }
  return ids;
}

struct TrainCase {
  const char* name;
  std::int64_t B, T, H, Hkv, hd;
  bool causal;
  Segments segments;
};

/// Forward and backward of one case on the device against the CPU backend.
template <class T>
void check_training(const TrainCase& c, std::uint64_t salt) {
  INFO("case " << c.name << (std::is_same_v<T, bf16> ? " (bf16)" : " (fp32)"));
  auto g = dapt_gpu_test::rng(salt);
  const auto nq = static_cast<std::size_t>(c.B * c.T * c.H * c.hd);
  const auto nk = static_cast<std::size_t>(c.B * c.T * c.Hkv * c.hd);
  const auto nl = static_cast<std::size_t>(c.B * c.H * c.T);
  const auto q = as_t<T>(dapt_gpu_test::uniform(g, nq, -2.0f, 2.0f));
  const auto k = as_t<T>(dapt_gpu_test::uniform(g, nk));
  const auto v = as_t<T>(dapt_gpu_test::uniform(g, nk));
  const auto dout = as_t<T>(dapt_gpu_test::uniform(g, nq));
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.hd));
  const std::vector<std::int32_t> seg = make_segments(c.segments, c.B, c.T);
  const std::int32_t* seg_host = seg.empty() ? nullptr : seg.data();
  DeviceBuffer<std::int32_t> seg_d(to_float(seg));
  const std::int32_t* seg_dev = seg.empty() ? nullptr : seg_d.get();

  // Forward.
  std::vector<float> out_ref(nq), lse_ref(nl);
  CpuAttention::forward(q.data(), k.data(), v.data(), seg_host, out_ref.data(), lse_ref.data(), c.B, c.T, c.H, c.Hkv,
                        c.hd, scale, c.causal);
  DeviceBuffer<T> q_d(q), k_d(k), v_d(v), out_d(nq);
  DeviceBuffer<float> lse_d(nl);
  out_d.poison();
  lse_d.poison();
  GpuAttention::forward(q_d.get(), k_d.get(), v_d.get(), seg_dev, out_d.get(), lse_d.get(), c.B, c.T, c.H, c.Hkv,
                        c.hd, scale, c.causal);
  DAPT_GPU_REQUIRE_CLOSE(out_d.download(), out_ref, kTol<T>);
  // lse is fp32 from the same (rounded) inputs in both modes.
  DAPT_GPU_REQUIRE_CLOSE(lse_d.download(), lse_ref, kTolF32);

  // Backward from the reference forward's out (as stored in T) and lse.
  const auto out_in = as_t<T>(out_ref);
  std::vector<float> dq_ref(nq), dk_ref(nk), dv_ref(nk);
  CpuAttention::backward(q.data(), k.data(), v.data(), seg_host, out_in.data(), lse_ref.data(), dout.data(),
                         dq_ref.data(), dk_ref.data(), dv_ref.data(), c.B, c.T, c.H, c.Hkv, c.hd, scale, c.causal);
  DeviceBuffer<T> out_in_d(out_in), dout_d(dout), dq_d(nq), dk_d(nk), dv_d(nk);
  DeviceBuffer<float> lse_in_d(lse_ref);
  const auto run_backward = [&] {
    dq_d.poison();
    dk_d.poison();
    dv_d.poison();
    GpuAttention::backward(q_d.get(), k_d.get(), v_d.get(), seg_dev, out_in_d.get(), lse_in_d.get(), dout_d.get(),
                           dq_d.get(), dk_d.get(), dv_d.get(), c.B, c.T, c.H, c.Hkv, c.hd, scale, c.causal);
  };
  run_backward();
  const auto dq = dq_d.download(), dk = dk_d.download(), dv = dv_d.download();
  if (c.T == 1) {
    // One key: p = 1, so dq and dk are exactly 0 and both backends return rounding noise of
    // dout.v - dout.out, which no relative error can judge.
    CHECK(max_abs(dq) <= 1e-5);
    CHECK(max_abs(dk) <= 1e-5);
  } else {
    DAPT_GPU_REQUIRE_CLOSE(dq, dq_ref, kTol<T>);
    DAPT_GPU_REQUIRE_CLOSE(dk, dk_ref, kTol<T>);
  }
  DAPT_GPU_REQUIRE_CLOSE(dv, dv_ref, kTol<T>);
  // No atomics: a second run gives the same bits.
  run_backward();
  const auto dq2 = dq_d.download(), dk2 = dk_d.download(), dv2 = dv_d.download();
  CHECK(std::memcmp(dq.data(), dq2.data(), nq * sizeof(float)) == 0);
  CHECK(std::memcmp(dk.data(), dk2.data(), nk * sizeof(float)) == 0);
  CHECK(std::memcmp(dv.data(), dv2.data(), nk * sizeof(float)) == 0);
}

const TrainCase kTrainCases[] = {
    {"T37 hd16 causal", 1, 37, 6, 2, 16, true, Segments::kNone},
    {"T37 hd16 bidirectional", 1, 37, 6, 2, 16, false, Segments::kNone},
    {"T37 hd64 causal, 2 rows of packed documents", 2, 37, 6, 2, 64, true, Segments::kPacked},
    {"T37 hd64 bidirectional, 2 rows of packed documents", 2, 37, 6, 2, 64, false, Segments::kPacked},
    {"T37 hd16 causal, recurring segment ids", 1, 37, 6, 2, 16, true, Segments::kRecurring},
    {"T37 hd32 bidirectional, recurring segment ids", 1, 37, 6, 2, 32, false, Segments::kRecurring},
    {"T300 hd128 causal", 1, 300, 6, 2, 128, true, Segments::kNone},
    {"T300 hd64 bidirectional", 1, 300, 6, 2, 64, false, Segments::kNone},
    {"T300 hd128 causal, 2 rows of packed documents", 2, 300, 6, 2, 128, true, Segments::kPacked},
    {"T300 hd64 bidirectional, 2 rows of packed documents", 2, 300, 6, 2, 64, false, Segments::kPacked},
    {"T70 hd96 causal, one kv head for 4 query heads", 1, 70, 4, 1, 96, true, Segments::kNone},
    {"T45 hd8 bidirectional, recurring segment ids", 1, 45, 4, 2, 8, false, Segments::kRecurring},
    {"T1 hd8, one head per kv head", 2, 1, 4, 4, 8, true, Segments::kNone},
};

struct CachedCase {
  const char* name;
  std::int64_t Tq, S, H, Hkv, hd;
  std::vector<std::int32_t> past;  // one per batch row
};

/// Cached attention of one case against the CPU; cache entries at or after past[b] + Tq are NaN.
template <class T>
void check_cached(const CachedCase& c, std::uint64_t salt) {
  INFO("case " << c.name << (std::is_same_v<T, bf16> ? " (bf16)" : " (fp32)"));
  auto g = dapt_gpu_test::rng(salt);
  const auto B = static_cast<std::int64_t>(c.past.size());
  const auto nq = static_cast<std::size_t>(B * c.Tq * c.H * c.hd);
  const auto nc = static_cast<std::size_t>(B * c.S * c.Hkv * c.hd);
  const auto q = as_t<T>(dapt_gpu_test::uniform(g, nq, -2.0f, 2.0f));
  auto kc = as_t<T>(dapt_gpu_test::uniform(g, nc));
  auto vc = as_t<T>(dapt_gpu_test::uniform(g, nc));
  const std::size_t row = static_cast<std::size_t>(c.Hkv * c.hd);  // one cache position
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t s = c.past[b] + c.Tq; s < c.S; ++s) {
      const std::size_t at = static_cast<std::size_t>(b * c.S + s) * row;
      for (std::size_t i = 0; i < row; ++i) kc[at + i] = vc[at + i] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.hd));
  std::vector<float> out_ref(nq);
  CpuAttention::cached(q.data(), kc.data(), vc.data(), c.past.data(), out_ref.data(), B, c.Tq, c.S, c.H, c.Hkv, c.hd,
                       scale);
  DeviceBuffer<T> q_d(q), kc_d(kc), vc_d(vc), out_d(nq);
  DeviceBuffer<std::int32_t> past_d(to_float(c.past));
  out_d.poison();
  GpuAttention::cached(q_d.get(), kc_d.get(), vc_d.get(), past_d.get(), out_d.get(), B, c.Tq, c.S, c.H, c.Hkv, c.hd,
                       scale);
  DAPT_GPU_REQUIRE_CLOSE(out_d.download(), out_ref, kTol<T>);
}

const CachedCase kCachedCases[] = {
    {"decode, hd16, past 13 and 47 of 48", 1, 48, 6, 2, 16, {13, 47}},
    {"decode, hd64, past 0 and 29", 1, 48, 6, 2, 64, {0, 29}},
    {"3 new tokens, hd64, past 0 and 21", 3, 48, 6, 2, 64, {0, 21}},
    {"prefill of 37, hd16, past 5 and 11 (cache full)", 37, 48, 6, 2, 16, {5, 11}},
    {"decode, hd128, past 333 and 399 of 400", 1, 400, 6, 2, 128, {333, 399}},
    {"40 new tokens, hd96, past 100 and 360 of 400", 40, 400, 6, 2, 96, {100, 360}},
    {"decode, hd8, one kv head for 4 query heads", 1, 48, 4, 1, 8, {17}},
};

}  // namespace

TEMPLATE_TEST_CASE("gpu attention: forward and backward match the CPU backend", "[gpu][attention][long]", float, bf16) {
  std::uint64_t salt = std::is_same_v<TestType, bf16> ? 0x5100 : 0x5000;
  for (const TrainCase& c : kTrainCases) check_training<TestType>(c, ++salt);
}

TEMPLATE_TEST_CASE("gpu attention: cached attention matches the CPU backend", "[gpu][attention]", float, bf16) {
  std::uint64_t salt = std::is_same_v<TestType, bf16> ? 0x5300 : 0x5200;
  for (const CachedCase& c : kCachedCases) check_cached<TestType>(c, ++salt);
}

TEST_CASE("gpu attention: a row whose tokens do not fit the cache comes back NaN", "[gpu][attention]") {
  // Row 0 is valid (past 3 + 2 <= 16); row 1 is not (15 + 2 > 16). The device cannot throw.
  const std::int64_t Tq = 2, S = 16, H = 6, Hkv = 2, hd = 16;
  auto g = dapt_gpu_test::rng(0x5400);
  const auto q = dapt_gpu_test::uniform(g, static_cast<std::size_t>(2 * Tq * H * hd));
  const auto kc = dapt_gpu_test::uniform(g, static_cast<std::size_t>(2 * S * Hkv * hd));
  const auto vc = dapt_gpu_test::uniform(g, kc.size());
  const std::vector<std::int32_t> past{3, 15};
  DeviceBuffer<float> q_d(q), kc_d(kc), vc_d(vc), out_d(q.size());
  DeviceBuffer<std::int32_t> past_d(to_float(past));
  out_d.poison();
  GpuAttention::cached(q_d.get(), kc_d.get(), vc_d.get(), past_d.get(), out_d.get(), 2, Tq, S, H, Hkv, hd, 0.25f);
  const auto out = out_d.download();
  const std::size_t half = q.size() / 2;
  std::vector<float> ref(half);
  CpuAttention::cached(q.data(), kc.data(), vc.data(), past.data(), ref.data(), 1, Tq, S, H, Hkv, hd, 0.25f);
  DAPT_GPU_REQUIRE_CLOSE(std::vector<float>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(half)), ref,
                         kTolF32);
  for (std::size_t i = half; i < out.size(); ++i) REQUIRE(std::isnan(out[i]));
}

TEMPLATE_TEST_CASE("gpu attention: kv_append writes each row's new tokens at its length, bit for bit as the CPU",
                   "[gpu][attention]", float, bf16) {
  // Rows at different lengths (0, mid, the last Tq positions) and one whose tokens do not fit
  // (the device cannot throw: it leaves that row alone); every other cache entry is untouched.
  using T = TestType;
  auto g = dapt_gpu_test::rng(std::is_same_v<T, bf16> ? 0x5501 : 0x5500);
  const std::int64_t S = 48, Hkv = 2, hd = 24;
  for (const std::int64_t Tq : {std::int64_t{1}, std::int64_t{5}}) {
    INFO("Tq " << Tq);
    const std::vector<std::int32_t> past{0, 17, static_cast<std::int32_t>(S - Tq), static_cast<std::int32_t>(S - Tq + 1)};
    const auto B = static_cast<std::int64_t>(past.size());
    const auto k = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(B * Tq * Hkv * hd)));
    const auto v = as_t<T>(dapt_gpu_test::uniform(g, k.size()));
    const auto kc0 = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(B * S * Hkv * hd)));
    const auto vc0 = as_t<T>(dapt_gpu_test::uniform(g, kc0.size()));
    DeviceBuffer<T> k_d(k), v_d(v), kc_d(kc0), vc_d(vc0);
    DeviceBuffer<std::int32_t> past_d(to_float(past));
    GpuAttention::append(k_d.get(), v_d.get(), kc_d.get(), vc_d.get(), past_d.get(), B, Tq, S, Hkv, hd);
    // The CPU appends the rows that fit (it throws on the last one, as documented).
    auto kc = kc0, vc = vc0;
    CpuAttention::append(k.data(), v.data(), kc.data(), vc.data(), past.data(), B - 1, Tq, S, Hkv, hd);
    REQUIRE_THROWS(CpuAttention::append(k.data(), v.data(), kc.data(), vc.data(), past.data(), B, Tq, S, Hkv, hd));
    REQUIRE(kc_d.download() == kc);
    REQUIRE(vc_d.download() == vc);
    REQUIRE(kc != kc0);  // something was appended
  }
}

TEST_CASE("gpu attention: head_dim above 128 is refused before any launch", "[gpu][attention]") {
  REQUIRE_DAPT_ERROR(GpuAttention::forward<float>(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 1, 4, 2, 1,
                                                  160, 1.0f),
                     kUnsupported, "head_dim 160");
  REQUIRE_DAPT_ERROR(GpuAttention::backward<bf16>(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                                  nullptr, nullptr, 1, 4, 2, 1, 160, 1.0f),
                     kUnsupported, "head_dim 160");
  REQUIRE_DAPT_ERROR(GpuAttention::cached<float>(nullptr, nullptr, nullptr, nullptr, nullptr, 1, 1, 4, 2, 1, 160, 1.0f),
                     kUnsupported, "head_dim 160");
}

}  // namespace dapt_gpu_attention_test
