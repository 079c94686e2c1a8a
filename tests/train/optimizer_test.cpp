// AdamW against a double-precision transcription of torch.optim.AdamW, and against hand arithmetic;
// gradient norms and clipping with torch.nn.utils.clip_grad_norm_'s semantics; state handling.
#include "dapt/train/optimizer.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "dapt/core/parallel.hpp"
#include "dapt/core/rng.hpp"
#include "dapt_catch.hpp"
#include "model_util.hpp"

using namespace dapt;

namespace {

Tensor<Cpu> make(Shape shape, std::vector<float> values) {
  auto t = Tensor<Cpu>::empty(shape, DType::kF32);
  REQUIRE(static_cast<std::int64_t>(values.size()) == t.numel());
  for (std::size_t i = 0; i < values.size(); ++i) t.data<float>()[i] = values[i];
  return t;
}

void set_grad(nn::Param<Cpu>& p, const std::vector<float>& g) {
  REQUIRE(static_cast<std::int64_t>(g.size()) == p.grad().numel());
  for (std::size_t i = 0; i < g.size(); ++i) p.grad().data<float>()[i] = g[i];
}

// A model with one decayed weight, one norm weight (decay = false) and one frozen embedding.
struct FakeModel {
  nn::Param<Cpu> weight{make({2, 3}, {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f})};
  nn::Param<Cpu> norm{make({3}, {1.0f, 0.9f, 1.1f})};
  nn::Param<Cpu> frozen{make({2}, {3.0f, -3.0f}), false};

  FakeModel() { norm.decay = false; }

  void visit_parameters(const nn::ParamVisitor<Cpu>& fn, const std::string& prefix = "") {
    fn(prefix + "model.layers.0.mlp.down_proj.weight", weight);
    fn(prefix + "model.norm.weight", norm);
    fn(prefix + "model.embed_tokens.weight", frozen);
  }
};

// torch.optim.AdamW (_single_tensor_adamw), written out in double for one tensor.
struct RefAdamW {
  std::vector<double> p, m, v;
  int t = 0;

  explicit RefAdamW(const std::vector<float>& init) : p(init.begin(), init.end()), m(init.size()), v(init.size()) {}

  void step(const std::vector<float>& g, double lr, double b1, double b2, double eps, double wd) {
    ++t;
    const double bc1 = 1.0 - std::pow(b1, t);
    const double bc2 = 1.0 - std::pow(b2, t);
    for (std::size_t i = 0; i < p.size(); ++i) {
      p[i] *= 1.0 - lr * wd;
      m[i] = b1 * m[i] + (1.0 - b1) * g[i];
      v[i] = b2 * v[i] + (1.0 - b2) * static_cast<double>(g[i]) * g[i];
      const double denom = std::sqrt(v[i]) / std::sqrt(bc2) + eps;
      p[i] -= lr / bc1 * m[i] / denom;
    }
  }
};

void require_close(const std::vector<float>& got, const std::vector<double>& want, double tol = 2e-6) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    CHECK(std::abs(static_cast<double>(got[i]) - want[i]) <= tol * std::max(1.0, std::abs(want[i])));
  }
}

double ref_norm(const std::vector<std::vector<float>>& grads) {
  double s = 0;
  for (const auto& g : grads)
    for (float x : g) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

const std::string kW = "model.layers.0.mlp.down_proj.weight";
const std::string kNorm = "model.norm.weight";
const std::string kFrozen = "model.embed_tokens.weight";

}  // namespace

TEST_CASE("AdamW: two steps match torch's formulas, norms and biases skip decay by default", "[train][optimizer]") {
  for (bool decay_all : {false, true}) {
    INFO("decay_norms_and_biases = " << decay_all);
    FakeModel model;
    train::AdamWOptions o;
    o.lr = 0.1;
    o.weight_decay = 0.1;  // large enough that a misplaced decay shows
    o.decay_norms_and_biases = decay_all;
    train::AdamW<Cpu> opt(o);
    RefAdamW rw(dapt_test::copy_of(model.weight.value())), rn(dapt_test::copy_of(model.norm.value()));
    const auto frozen_before = dapt_test::copy_of(model.frozen.value());

    const std::vector<std::vector<float>> gw = {{0.1f, -0.2f, 0.3f, 1.5f, -0.05f, 0.0f},
                                                {-0.3f, 0.1f, 0.25f, -2.0f, 0.5f, 0.01f}};
    const std::vector<std::vector<float>> gn = {{0.2f, -0.4f, 0.05f}, {0.1f, 0.3f, -0.6f}};
    for (int s = 0; s < 2; ++s) {
      set_grad(model.weight, gw[s]);
      set_grad(model.norm, gn[s]);
      opt.step(model);
      rw.step(gw[s], o.lr, o.beta1, o.beta2, o.eps, o.weight_decay);
      rn.step(gn[s], o.lr, o.beta1, o.beta2, o.eps, decay_all ? o.weight_decay : 0.0);
      require_close(dapt_test::copy_of(model.weight.value()), rw.p);
      require_close(dapt_test::copy_of(model.norm.value()), rn.p);
    }
    REQUIRE(opt.step_count() == 2);
    REQUIRE(dapt_test::copy_of(model.frozen.value()) == frozen_before);
    REQUIRE_FALSE(model.frozen.grad().defined());
    REQUIRE_FALSE(opt.has_state(kFrozen));
    REQUIRE(opt.state_size() == 2);
    REQUIRE(opt.state_step(kW) == 2);

    // The moments themselves, through the checkpoint accessor.
    int seen = 0;
    opt.visit_state([&](const std::string& name, const TensorView<Cpu>& m, const TensorView<Cpu>& v) {
      const RefAdamW& r = name == kW ? rw : rn;
      REQUIRE(m.numel() == static_cast<std::int64_t>(r.m.size()));
      for (std::size_t i = 0; i < r.m.size(); ++i) {
        CHECK(m.data<float>()[i] == Approx(r.m[i]).margin(1e-7));
        CHECK(v.data<float>()[i] == Approx(r.v[i]).epsilon(1e-6).margin(1e-12));
      }
      ++seen;
    });
    REQUIRE(seen == 2);
  }
}

TEST_CASE("AdamW: small beta1 (lerp from the far end) and beta1 = 0", "[train][optimizer]") {
  for (double beta1 : {0.3, 0.0}) {
    INFO("beta1 = " << beta1);
    FakeModel model;
    train::AdamWOptions o;
    o.lr = 0.05;
    o.beta1 = beta1;
    o.beta2 = 0.5;
    train::AdamW<Cpu> opt(o);
    RefAdamW rw(dapt_test::copy_of(model.weight.value()));
    const std::vector<std::vector<float>> gw = {{0.1f, -0.2f, 0.3f, 1.5f, -0.05f, 0.7f},
                                                {-0.3f, 0.1f, 0.25f, -2.0f, 0.5f, 0.01f}};
    for (const auto& g : gw) {
      set_grad(model.weight, g);
      opt.step(model);
      rw.step(g, o.lr, o.beta1, o.beta2, o.eps, o.weight_decay);
      require_close(dapt_test::copy_of(model.weight.value()), rw.p);
    }
  }
}

TEST_CASE("AdamW: a scalar through two steps, by hand", "[train][optimizer]") {
  // lr 0.1, betas (0.9, 0.999), eps 1e-8, weight decay 0.01; p0 = 1, g1 = 0.5, g2 = -0.25.
  struct Scalar {
    nn::Param<Cpu> p{make({1}, {1.0f})};
    void visit_parameters(const nn::ParamVisitor<Cpu>& fn) { fn("p", p); }
  } model;
  train::AdamWOptions o;
  o.lr = 0.1;
  train::AdamW<Cpu> opt(o);

  // Step 1: p = 1 * (1 - 0.1 * 0.01) = 0.999; m = 0.1 * 0.5 = 0.05; v = 0.001 * 0.25 = 0.00025;
  // bias corrections 1 - 0.9 = 0.1 and 1 - 0.999 = 0.001, so step size 0.1 / 0.1 = 1 and
  // denom = sqrt(0.00025) / sqrt(0.001) + 1e-8 = 0.5 + 1e-8; p = 0.999 - 0.05 / 0.50000001.
  set_grad(model.p, {0.5f});
  opt.step(model);
  const double p1 = 0.999 - 0.05 / 0.50000001;  // 0.899000002
  CHECK(model.p.value().data<float>()[0] == Approx(p1).epsilon(2e-7));

  // Step 2: p = p1 * 0.999; m = 0.9 * 0.05 + 0.1 * -0.25 = 0.02;
  // v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225; bias corrections 1 - 0.81 = 0.19 and
  // 1 - 0.998001 = 0.001999; p -= (0.1 / 0.19) * 0.02 / (sqrt(0.00031225) / sqrt(0.001999) + 1e-8).
  set_grad(model.p, {-0.25f});
  opt.step(model);
  const double p2 = p1 * 0.999 - (0.1 / 0.19) * 0.02 / (std::sqrt(0.00031225) / std::sqrt(0.001999) + 1e-8);
  CHECK(p2 == Approx(0.8714672987058463).epsilon(1e-12));
  CHECK(model.p.value().data<float>()[0] == Approx(p2).epsilon(1e-6));
  // Without bias correction the first step alone would have moved p by about 0.32, and with
  // bias_correction2 taken without its square root by about 0.0016.
}

TEST_CASE("AdamW: lr_override, set_lr and grad_scale", "[train][optimizer]") {
  FakeModel a, b;
  train::AdamW<Cpu> oa, ob;
  set_grad(a.weight, {1, 2, 3, 4, 5, 6});
  set_grad(b.weight, {1, 2, 3, 4, 5, 6});
  const auto before = dapt_test::copy_of(a.weight.value());
  oa.step(a, 0.0);  // lr 0: no decay, no update, but the moments move
  REQUIRE(dapt_test::copy_of(a.weight.value()) == before);
  REQUIRE(oa.state_step(kW) == 1);

  // Clipping inside the update equals clipping the gradients first, bit for bit.
  FakeModel c, d;
  train::AdamW<Cpu> oc, od;
  for (FakeModel* m : {&c, &d}) {
    set_grad(m->weight, {1, -2, 3, -4, 5, -6});
    set_grad(m->norm, {0.5f, 0.5f, -0.5f});
  }
  const double norm_c = train::clip_grad_norm(c, 1.0);
  oc.step(c);
  const double norm_d = train::grad_norm(d);
  REQUIRE(norm_c == norm_d);
  od.step(d, -1.0, train::clip_coefficient(norm_d, 1.0));
  REQUIRE(dapt_test::copy_of(c.weight.value()) == dapt_test::copy_of(d.weight.value()));
  REQUIRE(dapt_test::copy_of(c.norm.value()) == dapt_test::copy_of(d.norm.value()));

  ob.set_lr(0.5);
  REQUIRE(ob.options().lr == 0.5);
  REQUIRE_DAPT_ERROR(ob.set_lr(-1.0), kInvalidArgument, "lr");
  REQUIRE(ob.options().lr == 0.5);
  REQUIRE_DAPT_ERROR(ob.step(b, std::numeric_limits<double>::quiet_NaN()), kInvalidArgument, "lr_override");
  REQUIRE_DAPT_ERROR(ob.step(b, -1.0, -2.0), kInvalidArgument, "grad_scale");
  REQUIRE(ob.step_count() == 0);
}

TEST_CASE("AdamW: options are validated", "[train][optimizer]") {
  auto with = [](auto edit) {
    train::AdamWOptions o;
    edit(o);
    return o;
  };
  REQUIRE_DAPT_ERROR(train::AdamW<Cpu>(with([](auto& o) { o.lr = -1e-3; })), kInvalidArgument, "lr");
  REQUIRE_DAPT_ERROR(train::AdamW<Cpu>(with([](auto& o) { o.beta1 = 1.0; })), kInvalidArgument, "beta1");
  REQUIRE_DAPT_ERROR(train::AdamW<Cpu>(with([](auto& o) { o.beta2 = -0.1; })), kInvalidArgument, "beta2");
  REQUIRE_DAPT_ERROR(train::AdamW<Cpu>(with([](auto& o) { o.eps = 0.0; })), kInvalidArgument, "eps");
  REQUIRE_DAPT_ERROR(train::AdamW<Cpu>(with([](auto& o) { o.weight_decay = -0.01; })), kInvalidArgument,
                     "weight_decay");
  REQUIRE_DAPT_ERROR(train::AdamW<Cpu>(with([](auto& o) { o.lr = std::numeric_limits<double>::quiet_NaN(); })),
                     kInvalidArgument, "lr");
  REQUIRE_NOTHROW(train::AdamW<Cpu>(with([](auto& o) { o.beta1 = 0.0; o.weight_decay = 0.0; o.lr = 0.0; })));
}

TEST_CASE("AdamW: a resized parameter needs its state reset", "[train][optimizer]") {
  FakeModel model;
  train::AdamW<Cpu> opt;
  set_grad(model.weight, {1, 1, 1, 1, 1, 1});
  set_grad(model.norm, {1, 1, 1});
  opt.step(model);
  model.weight.reset(make({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}));  // a vocabulary resize
  set_grad(model.weight, {1, 1, 1, 1, 1, 1, 1, 1, 1});
  const auto norm_before = dapt_test::copy_of(model.norm.value());
  REQUIRE_DAPT_ERROR(opt.step(model), kShape, kW);
  // Checked before any update: nothing moved.
  REQUIRE(dapt_test::copy_of(model.norm.value()) == norm_before);
  REQUIRE(opt.step_count() == 1);
  REQUIRE(opt.state_step(kNorm) == 1);
  opt.reset_state(kW);
  opt.step(model);
  REQUIRE(opt.state_step(kW) == 1);  // its own count restarts, as for a new torch parameter
  REQUIRE(opt.state_step(kNorm) == 2);
  REQUIRE(opt.step_count() == 2);
  REQUIRE_DAPT_ERROR(opt.state_step(kFrozen), kOutOfRange, kFrozen);
}

TEST_CASE("AdamW: state moves to a new optimizer and the run continues identically", "[train][optimizer]") {
  FakeModel a;
  train::AdamW<Cpu> oa;
  set_grad(a.weight, {0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f});
  set_grad(a.norm, {0.3f, -0.1f, 0.2f});
  oa.step(a);
  oa.step(a);

  FakeModel b;
  b.weight.assign(a.weight.value().clone());
  b.norm.assign(a.norm.value().clone());
  set_grad(b.weight, dapt_test::copy_of(a.weight.grad()));
  set_grad(b.norm, dapt_test::copy_of(a.norm.grad()));
  train::AdamW<Cpu> ob;
  oa.visit_state([&](const std::string& name, const TensorView<Cpu>& m, const TensorView<Cpu>& v, std::int64_t t) {
    auto mc = Tensor<Cpu>::empty(m.shape(), DType::kF32), vc = Tensor<Cpu>::empty(v.shape(), DType::kF32);
    Tensor<Cpu>::copy_view(m, mc.view());
    Tensor<Cpu>::copy_view(v, vc.view());
    ob.set_state(name, mc, vc, t);
  });
  ob.set_step_count(oa.step_count());
  oa.step(a);
  ob.step(b);
  REQUIRE(dapt_test::copy_of(a.weight.value()) == dapt_test::copy_of(b.weight.value()));
  REQUIRE(dapt_test::copy_of(a.norm.value()) == dapt_test::copy_of(b.norm.value()));
  REQUIRE(ob.step_count() == 3);
  REQUIRE(ob.state_step(kW) == 3);

  // Moment buffers are allocated once: later steps reuse them.
  const void* m_before = nullptr;
  oa.visit_state([&](const std::string& name, const TensorView<Cpu>& m, const TensorView<Cpu>&) {
    if (name == kW) m_before = m.raw();
  });
  oa.step(a);
  oa.visit_state([&](const std::string& name, const TensorView<Cpu>& m, const TensorView<Cpu>&) {
    if (name == kW) CHECK(m.raw() == m_before);
  });

  REQUIRE_DAPT_ERROR(ob.set_state("x", Tensor<Cpu>::zeros({2}, DType::kF32), Tensor<Cpu>::zeros({3}, DType::kF32), 1),
                     kShape, "'x'");
  REQUIRE_DAPT_ERROR(ob.set_state("x", Tensor<Cpu>::zeros({2}, DType::kF32), Tensor<Cpu>::zeros({2}, DType::kF32), -1),
                     kInvalidArgument, "'x'");
}

TEST_CASE("AdamW: a parameter name visited twice is an error", "[train][optimizer]") {
  struct Twice {
    nn::Param<Cpu> a{make({1}, {1.0f})}, b{make({1}, {2.0f})};
    void visit_parameters(const nn::ParamVisitor<Cpu>& fn) {
      fn("same", a);
      fn("same", b);
    }
  } model;
  train::AdamW<Cpu> opt;
  REQUIRE_DAPT_ERROR(opt.step(model), kInvalidArgument, "'same'");
  REQUIRE_DAPT_ERROR(opt.step(model), kInvalidArgument, "'same'");  // caught by the check pass now
}

TEST_CASE("clip_grad_norm: returns the norm before clipping and scales only above max_norm", "[train][optimizer]") {
  const std::vector<float> gw = {0.3f, -1.2f, 2.5f, 0.0f, -0.7f, 1.1f}, gn = {0.4f, -0.9f, 0.05f};
  const double norm = ref_norm({gw, gn});

  FakeModel model;
  set_grad(model.weight, gw);
  set_grad(model.norm, gn);
  REQUIRE(train::grad_norm(model) == Approx(norm).epsilon(1e-15));

  // Below the threshold: nothing changes, bit for bit.
  REQUIRE(train::clip_grad_norm(model, 10.0 * norm) == Approx(norm).epsilon(1e-15));
  REQUIRE(dapt_test::copy_of(model.weight.grad()) == gw);
  REQUIRE(dapt_test::copy_of(model.norm.grad()) == gn);

  // Above: grads scale by max_norm / (norm + 1e-6), so their norm becomes that times the old norm.
  const double max_norm = norm / 4.0;
  REQUIRE(train::clip_grad_norm(model, max_norm) == Approx(norm).epsilon(1e-15));
  const double coef = max_norm / (norm + 1e-6);
  for (std::size_t i = 0; i < gw.size(); ++i)
    CHECK(model.weight.grad().data<float>()[i] == static_cast<float>(gw[i] * static_cast<float>(coef)));
  CHECK(train::grad_norm(model) == Approx(coef * norm).epsilon(1e-6));
  CHECK(train::clip_coefficient(norm, max_norm) == Approx(coef).epsilon(1e-15));
  CHECK(train::clip_coefficient(norm, 10 * norm) == 1.0);

  // A non-finite norm is returned and the gradients are left alone.
  model.norm.grad().data<float>()[1] = std::numeric_limits<float>::quiet_NaN();
  const auto w_before = dapt_test::copy_of(model.weight.grad());
  REQUIRE(std::isnan(train::clip_grad_norm(model, 1e-3)));
  REQUIRE(dapt_test::copy_of(model.weight.grad()) == w_before);
  model.norm.grad().data<float>()[1] = std::numeric_limits<float>::infinity();
  REQUIRE(std::isinf(train::clip_grad_norm(model, 1e-3)));
  REQUIRE(dapt_test::copy_of(model.weight.grad()) == w_before);

  REQUIRE_DAPT_ERROR(train::clip_grad_norm(model, 0.0), kInvalidArgument, "max_norm");
  REQUIRE_DAPT_ERROR(train::clip_grad_norm(model, -1.0), kInvalidArgument, "max_norm");
  REQUIRE_DAPT_ERROR(train::clip_coefficient(std::numeric_limits<double>::infinity(), 1.0), kNumeric, "norm");

  train::zero_grad(model);
  REQUIRE(train::grad_norm(model) == 0.0);
}

TEST_CASE("grad_norm: accumulated in double and the same for any thread count", "[train][optimizer]") {
  // 300001 elements span many blocks; values with a wide dynamic range stress float accumulation.
  struct Big {
    nn::Param<Cpu> p{Tensor<Cpu>::zeros({300001}, DType::kF32)};
    void visit_parameters(const nn::ParamVisitor<Cpu>& fn) { fn("big", p); }
  } model;
  Rng rng(7);
  std::vector<float> g(300001);
  for (auto& x : g) x = rng.normal() * (rng.uniform() < 0.01f ? 1000.0f : 0.001f);
  set_grad(model.p, g);
  long double sum = 0;  // a wider reference: a plain double loop over 3e5 terms drifts by ~1e-11
  for (float x : g) sum += static_cast<long double>(x) * x;
  const auto want = static_cast<double>(std::sqrt(sum));
  double one = 0, two = 0;
  {
    ThreadScope scope(1);
    one = train::grad_norm(model);
  }
  {
    ThreadScope scope(2);
    two = train::grad_norm(model);
  }
  REQUIRE(one == two);
  REQUIRE(one == Approx(want).epsilon(1e-12));
}

TEST_CASE("AdamW kernel: a large tensor over parallel chunks matches the reference", "[train][optimizer][ops]") {
  const std::int64_t n = 100003;
  auto p = Tensor<Cpu>::empty({n}, DType::kF32), g = Tensor<Cpu>::empty({n}, DType::kF32);
  auto m = Tensor<Cpu>::zeros({n}, DType::kF32), v = Tensor<Cpu>::zeros({n}, DType::kF32);
  Rng rng(3);
  for (std::int64_t i = 0; i < n; ++i) {
    p.data<float>()[i] = rng.normal();
    g.data<float>()[i] = rng.normal();
  }
  const std::vector<float> p0 = dapt_test::copy_of(p), g0 = dapt_test::copy_of(g);
  ops::adamw_update(p.view(), g.view(), m.view(), v.view(), 0.01, 0.9, 0.95, 1e-8, 0.1, 0.1, 0.05, 0.5);
  for (std::int64_t i = 0; i < n; i += 997) {
    RefAdamW r({p0[static_cast<std::size_t>(i)]});
    r.step({g0[static_cast<std::size_t>(i)] * 0.5f}, 0.01, 0.9, 0.95, 1e-8, 0.1);
    CHECK(p.data<float>()[i] == Approx(r.p[0]).margin(1e-6));
  }

  // The vectorised body and the scalar tail agree: element 4 (tail) repeats element 0's inputs.
  // (Bit for bit in a default build; a build that fuses multiply-adds may differ in the last bit.)
  for (float scale : {1.0f, 0.25f}) {
    auto p5 = make({5}, {0.3f, -1.2f, 2.0f, 0.7f, 0.3f}), g5 = make({5}, {0.05f, 0.4f, -0.9f, 1.3f, 0.05f});
    auto m5 = make({5}, {0.01f, 0.0f, -0.2f, 0.1f, 0.01f}), v5 = make({5}, {0.002f, 0.0f, 0.04f, 0.01f, 0.002f});
    ops::adamw_update(p5.view(), g5.view(), m5.view(), v5.view(), 0.01, 0.9, 0.999, 1e-8, 0.1, 0.19, 0.002, scale);
    CHECK(p5.data<float>()[4] == Approx(p5.data<float>()[0]).epsilon(1e-6));
    CHECK(m5.data<float>()[4] == Approx(m5.data<float>()[0]).epsilon(1e-6));
    CHECK(v5.data<float>()[4] == Approx(v5.data<float>()[0]).epsilon(1e-6));
  }
  REQUIRE_DAPT_ERROR(ops::adamw_update(p.view(), g.view().slice(0, 0, 5), m.view(), v.view(), 0.01, 0.9, 0.95,
                                       1e-8, 0.1, 0.1, 0.05),
                     kShape, "gradient");
  REQUIRE_DAPT_ERROR(ops::sum_squares(Tensor<Cpu>::zeros({2}, DType::kI32).view()), kDtype, "F32");
}

TEST_CASE("AdamW: step_scaled reads the clipping factor from memory, and a NaN factor is undone exactly",
          "[train][optimizer]") {
  // The trainer's device-side path, run on the host: clip_scale from the squared norm, then the
  // update with the factor read from memory. It must equal step(model, lr, clip_coefficient).
  FakeModel a, b;
  set_grad(a.weight, {3.0f, -4.0f, 0.5f, 1.0f, 2.0f, -1.5f});
  set_grad(a.norm, {0.1f, 0.2f, -0.3f});
  set_grad(b.weight, {3.0f, -4.0f, 0.5f, 1.0f, 2.0f, -1.5f});
  set_grad(b.norm, {0.1f, 0.2f, -0.3f});
  train::AdamW<Cpu> oa, ob;
  const double norm = train::grad_norm(a);
  oa.step(a, 1e-2, train::clip_coefficient(norm, 1.0));

  std::vector<backend::GradTensor> grads{{b.weight.grad().data<const float>(), 6}, {b.norm.grad().data<const float>(), 3}};
  double sum_sq = 0, dnorm = 0;
  float scale = 0;
  ops::grad_norm_squared_multi<Cpu>(grads, &sum_sq);
  ops::clip_scale<Cpu>(&sum_sq, 1.0, &scale, &dnorm);
  CHECK(dnorm == norm);
  CHECK(scale == static_cast<float>(train::clip_coefficient(norm, 1.0)));
  CHECK(scale < 1.0f);
  ob.step_scaled(b, 1e-2, &scale);
  CHECK(dapt_test::copy_of(b.weight.value()) == dapt_test::copy_of(a.weight.value()));
  CHECK(dapt_test::copy_of(b.norm.value()) == dapt_test::copy_of(a.norm.value()));

  // No clipping (max_norm +Inf) gives exactly 1; a NaN loss (the gate) or norm gives NaN.
  ops::clip_scale<Cpu>(&sum_sq, std::numeric_limits<double>::infinity(), &scale);
  CHECK(scale == 1.0f);
  const double nan_loss = std::numeric_limits<double>::quiet_NaN();
  ops::clip_scale<Cpu>(&sum_sq, 1.0, &scale, &dnorm, &nan_loss);
  CHECK(std::isnan(scale));
  CHECK(dnorm == norm);

  // A NaN factor leaves parameters and moments alone; undo_step takes back the step counts, and
  // the next step is the same as if the skipped one had never been made.
  const auto w_before = dapt_test::copy_of(b.weight.value());
  ob.step_scaled(b, 1e-2, &scale);
  CHECK(dapt_test::copy_of(b.weight.value()) == w_before);
  CHECK(ob.step_count() == 2);
  CHECK(ob.state_step("model.norm.weight") == 2);
  ob.undo_step();
  CHECK(ob.step_count() == 1);
  CHECK(ob.state_step("model.norm.weight") == 1);
  REQUIRE_DAPT_ERROR(ob.undo_step(), kInvalidArgument, "no step to undo");
  oa.step(a, 1e-2);
  ob.step(b, 1e-2);
  CHECK(dapt_test::copy_of(b.weight.value()) == dapt_test::copy_of(a.weight.value()));
  CHECK(dapt_test::copy_of(b.norm.value()) == dapt_test::copy_of(a.norm.value()));
  CHECK(ob.state_step("model.layers.0.mlp.down_proj.weight") == 2);
  REQUIRE_DAPT_ERROR(ob.step_scaled(b, 1e-2, nullptr), kInvalidArgument, "pointer is null");
}

TEST_CASE("copy_parameters, upload and download: by name, checked before anything is copied", "[train][optimizer]") {
  FakeModel a, b;
  b.weight.value().data<float>()[0] = 42.0f;
  nn::copy_parameters<Cpu, Cpu>(a, b);
  CHECK(dapt_test::copy_of(b.weight.value()) == dapt_test::copy_of(a.weight.value()));
  CHECK(dapt_test::copy_of(b.frozen.value()) == dapt_test::copy_of(a.frozen.value()));

  struct Other {
    nn::Param<Cpu> weight{make({2, 3}, {1, 2, 3, 4, 5, 6})};
    void visit_parameters(const nn::ParamVisitor<Cpu>& fn) { fn("model.layers.0.mlp.down_proj.weight", weight); }
  } other;
  REQUIRE_DAPT_ERROR((nn::copy_parameters<Cpu, Cpu>(other, a)), kShape, "has 1 parameters");
  REQUIRE_DAPT_ERROR((nn::copy_parameters<Cpu, Cpu>(a, other)), kShape, "model.norm.weight");
  const auto before = dapt_test::copy_of(a.weight.value());
  FakeModel c;
  c.weight.reset(make({3, 2}, {1, 2, 3, 4, 5, 6}));
  REQUIRE_DAPT_ERROR((nn::copy_parameters<Cpu, Cpu>(c, a)), kShape, "(3, 2)");
  CHECK(dapt_test::copy_of(a.weight.value()) == before);

  auto t = Tensor<Cpu>::empty({3}, DType::kF32);
  upload<Cpu>(a.norm.value().view(), t.view());
  CHECK(dapt_test::copy_of(t) == dapt_test::copy_of(a.norm.value()));
  CHECK(dapt_test::copy_of(to_host<Cpu>(t.view())) == dapt_test::copy_of(t));
  REQUIRE_DAPT_ERROR(upload<Cpu>(a.weight.value().view(), t.view()), kShape, "upload");
  REQUIRE_DAPT_ERROR(download<Cpu>(a.weight.value().view().transpose(0, 1), a.weight.value().view()), kShape, "download");
}
