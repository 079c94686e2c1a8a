// The numerical gradient checker: correct layers pass it reliably, and each kind of broken
// gradient (wrong factor, transposed weight, missing term, broken write/add contract) fails it.
#include "dapt/testing/grad_check.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dapt/core/rng.hpp"
#include "dapt_catch.hpp"
#include "model_util.hpp"

using namespace dapt;

namespace {

enum class Bug {
  kNone,
  kDwTimesTwo,           // dW off by a factor 2
  kDwFivePercent,        // dW off by 5%: small, still caught
  kDxTransposedW,        // dx reads W (out, in) as if it were stored (in, out)
  kOverwriteParamGrads,  // gW = ... instead of gW += ...
  kAccumulateDx,         // dx += ... instead of dx = ...
};

Tensor<Cpu> randn(Shape shape, std::uint64_t seed, float scale = 1.0f) {
  auto t = Tensor<Cpu>::empty(shape, DType::kF32);
  Rng rng(seed);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = scale * rng.normal();
  return t;
}

// y (B, out) = x (B, in) W^T + b, with W (out, in) and b (out).
template <Bug kBug = Bug::kNone>
class Affine {
 public:
  Affine(std::int64_t in, std::int64_t out, std::uint64_t seed, bool freeze_bias = false)
      : in_(in), out_(out), weight_(randn({out, in}, seed, 0.5f)), bias_(randn({out}, seed + 1, 0.5f), !freeze_bias) {
    bias_.decay = false;
  }

  TensorView<Cpu> forward(TensorView<Cpu> x) {
    x_ = x;
    const std::int64_t b = x.dim(0);
    TensorView<Cpu> y = y_.view({b, out_});
    const float* xp = x.data<const float>();
    const float* w = weight_.value().data<const float>();
    const float* bias = bias_.value().data<const float>();
    float* yp = y.data<float>();
    for (std::int64_t r = 0; r < b; ++r)
      for (std::int64_t j = 0; j < out_; ++j) {
        float s = bias[j];
        for (std::int64_t k = 0; k < in_; ++k) s += xp[r * in_ + k] * w[j * in_ + k];
        yp[r * out_ + j] = s;
      }
    return y;
  }

  TensorView<Cpu> backward(TensorView<Cpu> dy) {
    const std::int64_t b = x_.dim(0);
    TensorView<Cpu> dx = dx_.view({b, in_});
    if (kBug == Bug::kAccumulateDx && !dx_zeroed_) {
      dx = dx_.zeros({b, in_});
      dx_zeroed_ = true;
    }
    const float* xp = x_.data<const float>();
    const float* g = dy.data<const float>();
    const float* w = weight_.value().data<const float>();
    float* dxp = dx.data<float>();
    for (std::int64_t r = 0; r < b; ++r)
      for (std::int64_t k = 0; k < in_; ++k) {
        float s = 0;
        for (std::int64_t j = 0; j < out_; ++j) {
          const float wjk = kBug == Bug::kDxTransposedW ? w[k * out_ + j] : w[j * in_ + k];
          s += g[r * out_ + j] * wjk;
        }
        if (kBug == Bug::kAccumulateDx) {
          dxp[r * in_ + k] += s;
        } else {
          dxp[r * in_ + k] = s;
        }
      }
    if (weight_.trainable()) {
      float* gw = weight_.grad().data<float>();
      for (std::int64_t j = 0; j < out_; ++j)
        for (std::int64_t k = 0; k < in_; ++k) {
          float s = 0;
          for (std::int64_t r = 0; r < b; ++r) s += g[r * out_ + j] * xp[r * in_ + k];
          if (kBug == Bug::kDwTimesTwo) s *= 2.0f;
          if (kBug == Bug::kDwFivePercent) s *= 1.05f;
          if (kBug == Bug::kOverwriteParamGrads) {
            gw[j * in_ + k] = s;
          } else {
            gw[j * in_ + k] += s;
          }
        }
    }
    if (bias_.trainable()) {
      float* gb = bias_.grad().data<float>();
      for (std::int64_t j = 0; j < out_; ++j)
        for (std::int64_t r = 0; r < b; ++r) gb[j] += g[r * out_ + j];
    }
    return dx;
  }

  void visit_parameters(const nn::ParamVisitor<Cpu>& fn, const std::string& prefix = "") {
    fn(prefix + "weight", weight_);
    fn(prefix + "bias", bias_);
  }

  nn::Param<Cpu>& weight() { return weight_; }
  nn::Param<Cpu>& bias() { return bias_; }

 private:
  std::int64_t in_, out_;
  nn::Param<Cpu> weight_, bias_;
  TensorView<Cpu> x_;
  nn::Buffer<Cpu> y_, dx_;
  bool dx_zeroed_ = false;
};

static_assert(nn::Layer<Affine<>, Cpu>);

// y (N, C) = silu(x) * w, with w (C): a nonlinear layer. With kMissingTerm, dx drops the
// x * sigmoid'(x) part of silu's derivative.
template <bool kMissingTerm = false>
class SiluScale {
 public:
  SiluScale(std::int64_t c, std::uint64_t seed) : c_(c), w_(randn({c}, seed)) {}

  TensorView<Cpu> forward(TensorView<Cpu> x) {
    x_ = x;
    TensorView<Cpu> y = y_.view(x.shape());
    const float* xp = x.data<const float>();
    const float* w = w_.value().data<const float>();
    for (std::int64_t i = 0; i < x.numel(); ++i) y.data<float>()[i] = silu(xp[i]) * w[i % c_];
    return y;
  }

  TensorView<Cpu> backward(TensorView<Cpu> dy) {
    TensorView<Cpu> dx = dx_.view(x_.shape());
    const float* xp = x_.data<const float>();
    const float* w = w_.value().data<const float>();
    float* gw = w_.grad().data<float>();
    for (std::int64_t i = 0; i < x_.numel(); ++i) {
      const float s = 1.0f / (1.0f + std::exp(-xp[i]));
      const float dsilu = kMissingTerm ? s : s * (1.0f + xp[i] * (1.0f - s));
      dx.data<float>()[i] = dy.data<const float>()[i] * w[i % c_] * dsilu;
      gw[i % c_] += dy.data<const float>()[i] * silu(xp[i]);
    }
    return dx;
  }

  void visit_parameters(const nn::ParamVisitor<Cpu>& fn, const std::string& prefix = "") { fn(prefix + "w", w_); }

 private:
  static float silu(float v) { return v / (1.0f + std::exp(-v)); }
  std::int64_t c_;
  nn::Param<Cpu> w_;
  TensorView<Cpu> x_;
  nn::Buffer<Cpu> y_, dx_;
};

// out (N, D) = table (V, D)[ids (N) int32]: an input that is not differentiable. With kWrongRow
// the backward adds into the next row.
template <bool kWrongRow = false>
class Lookup {
 public:
  Lookup(std::int64_t v, std::int64_t d, std::uint64_t seed) : v_(v), d_(d), table_(randn({v, d}, seed)) {}

  TensorView<Cpu> forward(TensorView<Cpu> ids) {
    ids_ = ids;
    TensorView<Cpu> y = y_.view({ids.numel(), d_});
    for (std::int64_t i = 0; i < ids.numel(); ++i)
      std::memcpy(y.data<float>() + i * d_, table_.value().data<const float>() + ids.data<const std::int32_t>()[i] * d_,
                  static_cast<std::size_t>(d_) * sizeof(float));
    return y;
  }

  TensorView<Cpu> backward(TensorView<Cpu> dy) {
    for (std::int64_t i = 0; i < ids_.numel(); ++i) {
      std::int64_t row = ids_.data<const std::int32_t>()[i];
      if (kWrongRow) row = (row + 1) % v_;
      for (std::int64_t j = 0; j < d_; ++j) table_.grad().data<float>()[row * d_ + j] += dy.data<const float>()[i * d_ + j];
    }
    return TensorView<Cpu>();
  }

  void visit_parameters(const nn::ParamVisitor<Cpu>& fn, const std::string& prefix = "") {
    fn(prefix + "embed_tokens.weight", table_);
  }

 private:
  std::int64_t v_, d_;
  nn::Param<Cpu> table_;
  TensorView<Cpu> ids_;
  nn::Buffer<Cpu> y_;
};

}  // namespace

TEST_CASE("grad_check: a correct affine layer passes and is left as it was", "[testing][grad_check]") {
  Affine<> layer(5, 4, 11);
  const Tensor<Cpu> x = randn({3, 5}, 12);
  const auto x_before = dapt_test::copy_of(x), w_before = dapt_test::copy_of(layer.weight().value()), b_before = dapt_test::copy_of(layer.bias().value());
  const testing::GradCheckResult r = testing::grad_check(layer, x);
  INFO(r.report);
  REQUIRE(r.ok);
  REQUIRE(static_cast<bool>(r));
  CHECK(r.worst_relative_error < 1e-3);
  CHECK(dapt_test::contains(r.report, "input"));
  CHECK(dapt_test::contains(r.report, "weight"));
  CHECK(dapt_test::contains(r.report, "bias"));
  CHECK(dapt_test::contains(r.report, "15 of 15 elements"));  // small tensors are checked in full
  REQUIRE(dapt_test::copy_of(x) == x_before);
  REQUIRE(dapt_test::copy_of(layer.weight().value()) == w_before);
  REQUIRE(dapt_test::copy_of(layer.bias().value()) == b_before);
  for (float g : dapt_test::copy_of(layer.weight().grad())) REQUIRE(g == 0.0f);
}

TEST_CASE("grad_check: correct layers pass over many seeds and shapes", "[testing][grad_check]") {
  int runs = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    for (auto [b, in, out] : {std::array<std::int64_t, 3>{1, 1, 1}, {2, 7, 3}, {6, 16, 9}, {4, 40, 24}}) {
      Affine<> layer(in, out, seed * 100);
      const Tensor<Cpu> x = randn({b, in}, seed * 100 + 7, 2.0f);
      testing::GradCheckOptions o;
      o.seed = seed;
      const auto r = testing::grad_check(layer, x, o);
      INFO("affine seed " << seed << " shape " << b << "x" << in << "->" << out << "\n" << r.report);
      REQUIRE(r.ok);
      ++runs;
    }
    SiluScale<> silu(6, seed);
    const Tensor<Cpu> x = randn({5, 6}, seed + 50, 2.0f);
    testing::GradCheckOptions o;
    o.seed = seed;
    const auto r = testing::grad_check(silu, x, o);
    INFO("silu seed " << seed << "\n" << r.report);
    REQUIRE(r.ok);
    ++runs;
  }
  REQUIRE(runs == 60);
}

TEST_CASE("grad_check: each broken gradient fails", "[testing][grad_check]") {
  const Tensor<Cpu> x = randn({3, 5}, 21);
  SECTION("dW off by a factor 2") {
    Affine<Bug::kDwTimesTwo> layer(5, 4, 22);
    const auto r = testing::grad_check(layer, x);
    INFO(r.report);
    REQUIRE_FALSE(r.ok);
    CHECK(r.worst_name == "weight");
    CHECK(r.worst_relative_error == Approx(1.0 / 3.0).epsilon(1e-3));
    CHECK(dapt_test::contains(r.report, "FAIL  weight"));
    CHECK(dapt_test::contains(r.report, "ok    input"));
  }
  SECTION("dW off by 5%") {
    Affine<Bug::kDwFivePercent> layer(5, 4, 22);
    const auto r = testing::grad_check(layer, x);
    INFO(r.report);
    REQUIRE_FALSE(r.ok);
    CHECK(r.worst_name == "weight");
  }
  SECTION("dx computed with a transposed W") {
    Affine<Bug::kDxTransposedW> layer(5, 4, 22);  // W is (4, 5): not square
    const auto r = testing::grad_check(layer, x);
    INFO(r.report);
    REQUIRE_FALSE(r.ok);
    CHECK(r.worst_name == "input");
  }
  SECTION("backward overwrites parameter gradients") {
    Affine<Bug::kOverwriteParamGrads> layer(5, 4, 22);
    const auto r = testing::grad_check(layer, x);
    INFO(r.report);
    REQUIRE_FALSE(r.ok);  // the numbers are right, the contract is not
    CHECK(r.worst_name == "weight (backward adds into the gradient)");
    CHECK(dapt_test::contains(r.report, "FAIL  weight (backward adds into the gradient)"));
    CHECK(dapt_test::contains(r.report, "ok    weight: 20 of 20"));
  }
  SECTION("backward accumulates dx") {
    Affine<Bug::kAccumulateDx> layer(5, 4, 22);
    const auto r = testing::grad_check(layer, x);
    INFO(r.report);
    REQUIRE_FALSE(r.ok);
    CHECK(dapt_test::contains(r.report, "FAIL  input (backward writes dx)"));
  }
  SECTION("a missing term in a nonlinear derivative") {
    SiluScale<true> layer(5, 23);
    const auto r = testing::grad_check(layer, randn({3, 5}, 24, 2.0f));
    INFO(r.report);
    REQUIRE_FALSE(r.ok);
    CHECK(r.worst_name == "input");
  }
}

TEST_CASE("grad_check: frozen parameters are skipped", "[testing][grad_check]") {
  Affine<> layer(5, 4, 31, /*freeze_bias=*/true);
  REQUIRE_FALSE(layer.bias().grad().defined());
  const auto b_before = dapt_test::copy_of(layer.bias().value());
  const auto r = testing::grad_check(layer, randn({3, 5}, 32));
  INFO(r.report);
  REQUIRE(r.ok);
  CHECK(dapt_test::contains(r.report, "skip  bias: frozen"));
  CHECK_FALSE(dapt_test::contains(r.report, "ok    bias"));
  REQUIRE(dapt_test::copy_of(layer.bias().value()) == b_before);
  REQUIRE_FALSE(layer.bias().grad().defined());
}

TEST_CASE("grad_check: token ids with check_input = false", "[testing][grad_check]") {
  auto ids = Tensor<Cpu>::empty({5}, DType::kI32);
  const std::int32_t raw[] = {2, 0, 2, 5, 1};  // a repeated id: its gradients add
  std::memcpy(ids.raw(), raw, sizeof(raw));
  testing::GradCheckOptions o;
  o.check_input = false;
  {
    Lookup<> layer(6, 3, 41);
    const auto r = testing::grad_check(layer, ids, o);
    INFO(r.report);
    REQUIRE(r.ok);
    CHECK_FALSE(dapt_test::contains(r.report, "input"));
  }
  {
    Lookup<true> layer(6, 3, 41);
    const auto r = testing::grad_check(layer, ids, o);
    INFO(r.report);
    REQUIRE_FALSE(r.ok);
    CHECK(r.worst_name == "embed_tokens.weight");
  }
  Lookup<> layer(6, 3, 41);
  REQUIRE_DAPT_ERROR(testing::grad_check(layer, ids), kDtype, "check_input");
}

TEST_CASE("grad_check: large tensors are sampled and options are validated", "[testing][grad_check]") {
  Affine<> layer(40, 30, 51);
  testing::GradCheckOptions o;
  o.max_checks_per_tensor = 10;
  const auto r = testing::grad_check(layer, randn({2, 40}, 52), o);
  INFO(r.report);
  REQUIRE(r.ok);
  CHECK(dapt_test::contains(r.report, "10 of 1200 elements"));
  CHECK(dapt_test::contains(r.report, "10 of 80 elements"));

  const Tensor<Cpu> x = randn({2, 40}, 53);
  auto bad = [&](auto edit) {
    testing::GradCheckOptions b;
    edit(b);
    return testing::grad_check(layer, x, b);
  };
  REQUIRE_DAPT_ERROR(bad([](auto& b) { b.eps = 0.0; }), kInvalidArgument, "eps");
  REQUIRE_DAPT_ERROR(bad([](auto& b) { b.tolerance = -1.0; }), kInvalidArgument, "tolerance");
  REQUIRE_DAPT_ERROR(bad([](auto& b) { b.floor = 0.0; }), kInvalidArgument, "floor");
  REQUIRE_DAPT_ERROR(bad([](auto& b) { b.max_checks_per_tensor = -1; }), kInvalidArgument, "max_checks_per_tensor");
}
