/// @file rope_test.cu
/// @brief RopeKernels<Cuda> against RopeKernels<Cpu> on fresh random inputs and positions, in
/// fp32 and bf16, for the GQA shapes (6 query and 2 kv heads of 16) and a head of 128; backward
/// undoes forward; a token whose position is outside the table comes out NaN, the others exact.
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

#include "dapt/backend/cpu/rope.hpp"
#include "dapt/backend/cuda/rope.cuh"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_rope_test {

namespace {

using dapt::bf16;
using dapt::Cpu;
using dapt::Cuda;
using dapt::backend::RopeKernels;
using namespace dapt_gpu_test;

/// cos/sin tables (rows, hd/2) of the default rotary embedding (theta 10000), as RopeTable builds them.
struct Tables {
  std::vector<float> cos, sin;
};
Tables make_tables(std::int64_t rows, std::int64_t head_dim) {
  const std::int64_t half = head_dim / 2;
  Tables t;
  t.cos.resize(static_cast<std::size_t>(rows * half));
  t.sin.resize(t.cos.size());
  for (std::int64_t p = 0; p < rows; ++p) {
    for (std::int64_t i = 0; i < half; ++i) {
      const double inv_freq = std::pow(10000.0, -static_cast<double>(2 * i) / static_cast<double>(head_dim));
      t.cos[static_cast<std::size_t>(p * half + i)] = static_cast<float>(std::cos(p * inv_freq));
      t.sin[static_cast<std::size_t>(p * half + i)] = static_cast<float>(std::sin(p * inv_freq));
    }
  }
  return t;
}

std::vector<std::int32_t> random_positions(std::mt19937_64& g, std::int64_t n, std::int64_t rows) {
  std::uniform_int_distribution<std::int32_t> d(0, static_cast<std::int32_t>(rows - 1));
  std::vector<std::int32_t> p(static_cast<std::size_t>(n));
  for (auto& v : p) v = d(g);
  return p;
}

std::vector<float> to_floats(const std::vector<std::int32_t>& v) { return {v.begin(), v.end()}; }

template <class T>
void check_rope(std::int64_t n_tokens, std::int64_t n_heads, std::int64_t head_dim, std::uint64_t salt) {
  INFO((std::is_same_v<T, bf16> ? "bf16" : "fp32") << " N = " << n_tokens << ", H = " << n_heads
                                                    << ", hd = " << head_dim);
  constexpr std::int64_t kRows = 300;
  auto g = rng(salt);
  const Tables tab = make_tables(kRows, head_dim);
  const auto pos = random_positions(g, n_tokens, kRows);
  const auto x = as_t<T>(uniform(g, static_cast<std::size_t>(n_tokens * n_heads * head_dim)));

  auto fwd_ref = x, bwd_ref = x;
  RopeKernels<Cpu>::forward(fwd_ref.data(), pos.data(), n_tokens, n_heads, head_dim, tab.cos.data(), tab.sin.data(),
                            kRows);
  RopeKernels<Cpu>::backward(bwd_ref.data(), pos.data(), n_tokens, n_heads, head_dim, tab.cos.data(), tab.sin.data(),
                             kRows);

  DeviceBuffer<T> d_fwd(x), d_bwd(x);
  DeviceBuffer<std::int32_t> d_pos(to_floats(pos));
  DeviceBuffer<float> d_cos(tab.cos), d_sin(tab.sin);
  RopeKernels<Cuda>::forward<T>(d_fwd.get(), d_pos.get(), n_tokens, n_heads, head_dim, d_cos.get(), d_sin.get(), kRows);
  RopeKernels<Cuda>::backward<T>(d_bwd.get(), d_pos.get(), n_tokens, n_heads, head_dim, d_cos.get(), d_sin.get(),
                                 kRows);
  DAPT_GPU_REQUIRE_CLOSE(d_fwd.download(), fwd_ref, kTol<T>);
  DAPT_GPU_REQUIRE_CLOSE(d_bwd.download(), bwd_ref, kTol<T>);

  // backward is the inverse of forward (an orthogonal map and its transpose).
  RopeKernels<Cuda>::backward<T>(d_fwd.get(), d_pos.get(), n_tokens, n_heads, head_dim, d_cos.get(), d_sin.get(),
                                 kRows);
  DAPT_GPU_REQUIRE_CLOSE(d_fwd.download(), x, kTol<T>);
}

template <class T>
void check_bad_positions(std::uint64_t salt) {
  INFO((std::is_same_v<T, bf16> ? "bf16" : "fp32"));
  constexpr std::int64_t kRows = 64, n = kT, h = kHeads, hd = kHeadDim, row = h * hd;
  auto g = rng(salt);
  const Tables tab = make_tables(kRows, hd);
  auto pos = random_positions(g, n, kRows);
  const auto x = as_t<T>(uniform(g, static_cast<std::size_t>(n * row)));
  const std::int64_t bad[] = {0, 5, n - 1};
  pos[0] = static_cast<std::int32_t>(kRows);  // one past the table
  pos[5] = -1;
  pos[static_cast<std::size_t>(n - 1)] = 1 << 30;

  auto ref_pos = pos;  // the CPU would throw: give the bad tokens a valid position and skip them
  for (const auto t : bad) ref_pos[static_cast<std::size_t>(t)] = 0;
  auto ref = x;
  RopeKernels<Cpu>::forward(ref.data(), ref_pos.data(), n, h, hd, tab.cos.data(), tab.sin.data(), kRows);

  DeviceBuffer<T> d_x(x);
  DeviceBuffer<std::int32_t> d_pos(to_floats(pos));
  DeviceBuffer<float> d_cos(tab.cos), d_sin(tab.sin);
  RopeKernels<Cuda>::forward<T>(d_x.get(), d_pos.get(), n, h, hd, d_cos.get(), d_sin.get(), kRows);
  const auto got = d_x.download();
  std::vector<float> got_ok, ref_ok;
  for (std::int64_t t = 0; t < n; ++t) {
    const bool is_bad = t == bad[0] || t == bad[1] || t == bad[2];
    for (std::int64_t j = 0; j < row; ++j) {
      const auto k = static_cast<std::size_t>(t * row + j);
      if (is_bad) {
        INFO("token " << t << ", element " << j);
        REQUIRE(std::isnan(got[k]));
      } else {
        got_ok.push_back(got[k]);
        ref_ok.push_back(ref[k]);
      }
    }
  }
  DAPT_GPU_REQUIRE_CLOSE(got_ok, ref_ok, kTol<T>);
}

}  // namespace

TEST_CASE("gpu rope: forward and backward match the CPU (fp32 and bf16)", "[gpu][rope]") {
  // (tokens, heads, head_dim): q and k of the GQA test shape over B = 2 sequences, and a larger head.
  const std::int64_t shapes[][3] = {{2 * kT, kHeads, kHeadDim}, {2 * kT, kKvHeads, kHeadDim}, {kT, 3, 128}, {1, 1, 2}};
  std::uint64_t salt = 400;
  for (const auto& s : shapes) {
    check_rope<float>(s[0], s[1], s[2], ++salt);
    check_rope<bf16>(s[0], s[1], s[2], ++salt);
  }
}

TEST_CASE("gpu rope: a position outside the table gives NaN for its token only", "[gpu][rope]") {
  check_bad_positions<float>(500);
  check_bad_positions<bf16>(501);
}

}  // namespace dapt_gpu_rope_test
