// Tests of ops::RopeTable (inverse frequencies as transformers computes them, cos/sin tables) and
// of rope_forward / rope_backward against a naive double-precision rotation.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <random>
#include <vector>

#include "dapt/ops/rope.hpp"
#include "dapt_catch.hpp"
#include "model_util.hpp"

namespace {

using dapt::Cpu;
using dapt::DType;
using dapt::Shape;
using dapt::Tensor;
using dapt::io::RopeConfig;
using dapt::io::RopeType;
using dapt::ops::RopeTable;

Tensor<Cpu> positions_tensor(std::int64_t B, std::int64_t T, const std::vector<std::int32_t>& values) {
  Tensor<Cpu> t = Tensor<Cpu>::empty({B, T}, DType::kI32);
  std::copy(values.begin(), values.end(), t.data<std::int32_t>());
  return t;
}

/// 1 / theta^(2i / hd) in double: the textbook formula.
std::vector<double> default_inv_freq(double theta, std::int64_t hd) {
  std::vector<double> out;
  for (std::int64_t i = 0; i < hd / 2; ++i) out.push_back(1.0 / std::pow(theta, 2.0 * static_cast<double>(i) / hd));
  return out;
}

RopeConfig llama3_config() {
  RopeConfig c;
  c.type = RopeType::kLlama3;
  c.theta = 500000.0;
  c.factor = 8.0;
  c.low_freq_factor = 1.0;
  c.high_freq_factor = 4.0;
  c.original_max_position_embeddings = 8192;
  return c;
}

double dot(const float* a, const float* b, std::int64_t n) {
  double s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return s;
}

}  // namespace

TEST_CASE("RopeTable default inv_freq follows transformers", "[ops][rope]") {
  RopeConfig c;
  c.theta = 10000.0;
  const RopeTable table(c, 64);
  const auto inv = table.inv_freq();
  REQUIRE(inv.size() == 32);
  const auto expect = default_inv_freq(10000.0, 64);
  CHECK(inv[0] == 1.0f);
  for (std::size_t i = 0; i < inv.size(); ++i) {
    INFO("i = " << i);
    CHECK(std::abs(inv[i] - expect[i]) <= 1e-6 * expect[i]);
    // transformers: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), every step in float32.
    const float e = static_cast<float>(2 * i) / 64.0f;
    const float p = static_cast<float>(std::pow(10000.0, static_cast<double>(e)));
    CHECK(inv[i] == 1.0f / p);
  }
  CHECK(table.attention_scaling() == 1.0f);
}

TEST_CASE("RopeTable linear scaling divides inv_freq by the factor", "[ops][rope]") {
  RopeConfig c;
  c.theta = 10000.0;
  const RopeTable plain(c, 32);
  c.type = RopeType::kLinear;
  c.factor = 4.0;
  const RopeTable linear(c, 32);
  for (std::size_t i = 0; i < 16; ++i) CHECK(linear.inv_freq()[i] == plain.inv_freq()[i] / 4.0f);
}

TEST_CASE("RopeTable llama3 scaling keeps high, divides low and smooths medium frequencies", "[ops][rope]") {
  const RopeConfig c = llama3_config();
  const RopeTable table(c, 128);
  RopeConfig d;
  d.theta = c.theta;
  const RopeTable plain(d, 128);
  const auto inv = table.inv_freq();
  const auto base = default_inv_freq(c.theta, 128);
  // The formula of _compute_llama3_parameters, in double.
  const double old_len = 8192.0, low_wavelen = old_len / 1.0, high_wavelen = old_len / 4.0;
  int high = 0, low = 0, medium = 0;
  for (std::size_t i = 0; i < 64; ++i) {
    INFO("i = " << i);
    const double f = base[i];
    const double wavelen = 2 * std::numbers::pi / f;
    double expect;
    if (wavelen < high_wavelen) {
      expect = f;
      ++high;
      CHECK(inv[i] == plain.inv_freq()[i]);
    } else if (wavelen > low_wavelen) {
      expect = f / 8.0;
      ++low;
      CHECK(inv[i] == plain.inv_freq()[i] / 8.0f);
    } else {
      const double smooth = (old_len / wavelen - 1.0) / (4.0 - 1.0);
      expect = (1 - smooth) * f / 8.0 + smooth * f;
      ++medium;
      CHECK(inv[i] > plain.inv_freq()[i] / 8.0f);
      CHECK(inv[i] < plain.inv_freq()[i]);
    }
    CHECK(std::abs(inv[i] - expect) <= 2e-6 * expect);
  }
  // theta 500000, hd 128: wavelen crosses 2048 after i = 28 and 8192 after i = 34.
  CHECK(high == 29);
  CHECK(medium == 6);
  CHECK(low == 29);
  // One medium entry computed as torch does: float32 ops, `scalar / t` as t.reciprocal() * scalar.
  const float f = plain.inv_freq()[31];
  volatile float wavelen = (1.0f / f) * static_cast<float>(2 * std::numbers::pi);
  volatile float ratio = (1.0f / wavelen) * 8192.0f;
  const float smooth = (ratio - 1.0f) / 3.0f;
  volatile float right = smooth * f;
  CHECK(inv[31] == ((1.0f - smooth) * f) / 8.0f + right);
}

TEST_CASE("RopeTable rejects bad configurations", "[ops][rope]") {
  RopeConfig c;
  REQUIRE_DAPT_ERROR(RopeTable(c, 7), kInvalidArgument, "head_dim");
  c.theta = -1;
  REQUIRE_DAPT_ERROR(RopeTable(c, 8), kConfig, "rope_theta");
  RopeConfig l = llama3_config();
  l.high_freq_factor = 0.5;
  REQUIRE_DAPT_ERROR(RopeTable(l, 8), kConfig, "low_freq_factor");
  l = llama3_config();
  l.original_max_position_embeddings = 0;
  REQUIRE_DAPT_ERROR(RopeTable(l, 8), kConfig, "original_max_position_embeddings");
  RopeConfig lin;
  lin.type = RopeType::kLinear;
  lin.factor = 0;
  REQUIRE_DAPT_ERROR(RopeTable(lin, 8), kConfig, "factor");
}

TEST_CASE("RopeTable cos and sin tables grow on demand and keep their rows", "[ops][rope]") {
  RopeTable table(llama3_config(), 16, 10);
  CHECK(table.max_positions() == 10);
  const float* before = table.cos_data();
  table.ensure(5);  // no growth, no reallocation
  CHECK(table.cos_data() == before);
  CHECK(table.max_positions() == 10);
  table.ensure(3000);
  CHECK(table.max_positions() >= 3000);
  const auto inv = table.inv_freq();
  for (std::int64_t p : {0, 1, 9, 10, 2999}) {
    for (std::int64_t i = 0; i < 8; ++i) {
      const double angle = static_cast<double>(p) * static_cast<double>(inv[static_cast<std::size_t>(i)]);
      CHECK(std::abs(table.cos_data()[p * 8 + i] - std::cos(angle)) <= 1e-7);
      CHECK(std::abs(table.sin_data()[p * 8 + i] - std::sin(angle)) <= 1e-7);
    }
  }
  REQUIRE_DAPT_ERROR(table.ensure(-1), kInvalidArgument, "max_positions");
}

TEST_CASE("rope_forward matches a double-precision rotation", "[ops][rope]") {
  const std::int64_t B = 2, T = 5, H = 3, hd = 8;
  RopeConfig c;
  c.theta = 10000.0;
  const RopeTable table(c, hd, 1024);
  Tensor<Cpu> x = dapt_test::uniform_tensor({B, T, H, hd}, 1);
  Tensor<Cpu> x0 = x.clone();
  const std::vector<std::int32_t> pos = {0, 1, 2, 3, 4, 1000, 7, 7, 500, 3};
  Tensor<Cpu> positions = positions_tensor(B, T, pos);
  dapt::ops::rope_forward(x.view(), positions.view(), table);
  const auto inv = table.inv_freq();
  double err = 0, norm = 0;
  for (std::int64_t bt = 0; bt < B * T; ++bt) {
    for (std::int64_t h = 0; h < H; ++h) {
      const float* a = x0.data<float>() + (bt * H + h) * hd;
      const float* y = x.data<float>() + (bt * H + h) * hd;
      for (std::int64_t i = 0; i < hd / 2; ++i) {
        const double angle = pos[static_cast<std::size_t>(bt)] * static_cast<double>(inv[static_cast<std::size_t>(i)]);
        const double lo = a[i] * std::cos(angle) - a[i + hd / 2] * std::sin(angle);
        const double hi = a[i + hd / 2] * std::cos(angle) + a[i] * std::sin(angle);
        err += (y[i] - lo) * (y[i] - lo) + (y[i + hd / 2] - hi) * (y[i + hd / 2] - hi);
        norm += lo * lo + hi * hi;
      }
    }
  }
  CHECK(std::sqrt(err / norm) <= 1e-6);
}

TEST_CASE("rope_backward is the adjoint and the inverse of rope_forward", "[ops][rope]") {
  const std::int64_t B = 3, T = 7, H = 2, hd = 16;
  const RopeTable table(llama3_config(), hd, 9000);
  std::vector<std::int32_t> pos;
  for (std::int64_t i = 0; i < B * T; ++i) pos.push_back(static_cast<std::int32_t>((i * 613) % 9000));
  Tensor<Cpu> positions = positions_tensor(B, T, pos);
  Tensor<Cpu> x = dapt_test::uniform_tensor({B, T, H, hd}, 2), y = dapt_test::uniform_tensor({B, T, H, hd}, 3);
  Tensor<Cpu> rx = x.clone(), ry = y.clone();
  dapt::ops::rope_forward(rx.view(), positions.view(), table);
  dapt::ops::rope_backward(ry.view(), positions.view(), table);
  const std::int64_t n = x.numel();
  const double lhs = dot(rx.data<float>(), y.data<float>(), n), rhs = dot(x.data<float>(), ry.data<float>(), n);
  CHECK(std::abs(lhs - rhs) <= 1e-5 * std::abs(lhs) + 1e-5);
  dapt::ops::rope_backward(rx.view(), positions.view(), table);
  double max_err = 0;
  for (std::int64_t i = 0; i < n; ++i)
    max_err = std::max(max_err, static_cast<double>(std::abs(rx.data<float>()[i] - x.data<float>()[i])));
  CHECK(max_err <= 1e-6);
}

TEST_CASE("rope_forward rejects positions beyond the table and bad shapes", "[ops][rope]") {
  RopeConfig c;
  const RopeTable table(c, 8, 64);
  Tensor<Cpu> x = dapt_test::uniform_tensor({1, 3, 2, 8}, 4);
  Tensor<Cpu> x0 = x.clone();
  Tensor<Cpu> far = positions_tensor(1, 3, {0, 70, 1});
  REQUIRE_DAPT_ERROR(dapt::ops::rope_forward(x.view(), far.view(), table), kOutOfRange, "position 70");
  CHECK(std::memcmp(x.raw(), x0.raw(), x.nbytes()) == 0);  // nothing written
  Tensor<Cpu> negative = positions_tensor(1, 3, {0, -2, 1});
  REQUIRE_DAPT_ERROR(dapt::ops::rope_backward(x.view(), negative.view(), table), kOutOfRange, "position -2");
  Tensor<Cpu> ok = positions_tensor(1, 3, {0, 1, 2});
  Tensor<Cpu> wrong_hd = dapt_test::uniform_tensor({1, 3, 2, 6}, 5);
  REQUIRE_DAPT_ERROR(dapt::ops::rope_forward(wrong_hd.view(), ok.view(), table), kShape, "head_dim 6");
  Tensor<Cpu> wrong_pos = positions_tensor(1, 2, {0, 1});
  REQUIRE_DAPT_ERROR(dapt::ops::rope_forward(x.view(), wrong_pos.view(), table), kShape, "positions has shape (1, 2)");
  Tensor<Cpu> f32_pos = dapt_test::uniform_tensor({1, 3}, 6);
  REQUIRE_DAPT_ERROR(dapt::ops::rope_forward(x.view(), f32_pos.view(), table), kDtype, "positions must be I32");
  REQUIRE_DAPT_ERROR(dapt::ops::rope_forward(x.view().reshape({3, 2, 8}), ok.view(), table), kShape, "(B, T, H, hd)");
}
