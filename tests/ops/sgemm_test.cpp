// Tests of backend::detail::sgemm (the packed fp32 GEMM meant for MatmulKernels<Cpu>) against a naive
// double-precision product: every transpose combination, odd shapes that leave ragged register
// tiles and several K, M and N blocks, padded leading dimensions, beta = 0 / 1 / general, 1 and 2
// threads, bitwise reproducibility, the packing scratch reused across calls, and the three
// linear-layer kernels (sgemm from 16 rows up, Eigen below).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "dapt/backend/cpu/detail/sgemm.hpp"
#include "dapt/backend/cpu/matmul.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/activation.hpp"
#include "dapt/ops/elementwise.hpp"
#include "dapt/ops/embedding.hpp"
#include "dapt/ops/loss.hpp"
#include "dapt/ops/matmul.hpp"
#include "dapt/ops/norm.hpp"
#include "dapt/ops/optim.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

namespace {

using dapt::backend::detail::sgemm;

std::vector<float> random_vector(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

struct Gemm {
  bool trans_a, trans_b;
  std::int64_t m, n, k;
  std::int64_t lda, ldb, ldc;  // leading dimensions, with padding
  std::vector<float> a, b, c;
  std::vector<double> prod, mag;

  Gemm(bool ta, bool tb, std::int64_t m_, std::int64_t n_, std::int64_t k_, std::int64_t pad, std::uint32_t seed,
       bool with_reference = true)
      : trans_a(ta), trans_b(tb), m(m_), n(n_), k(k_) {
    lda = (ta ? m : k) + pad;
    ldb = (tb ? k : n) + pad;
    ldc = n + pad;
    a = random_vector(static_cast<std::size_t>((ta ? k : m) * lda), seed);
    b = random_vector(static_cast<std::size_t>((tb ? n : k) * ldb), seed + 1);
    c = random_vector(static_cast<std::size_t>(m * ldc), seed + 2);
    if (!with_reference) return;
    // The product in double, and the sum of the magnitudes of its terms (the error scale).
    prod.assign(static_cast<std::size_t>(m * n), 0.0);
    mag.assign(static_cast<std::size_t>(m * n), 0.0);
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        double s = 0, sa = 0;
        for (std::int64_t p = 0; p < k; ++p) {
          const double t = static_cast<double>(at_a(i, p)) * static_cast<double>(at_b(p, j));
          s += t;
          sa += std::fabs(t);
        }
        prod[i * n + j] = s;
        mag[i * n + j] = sa;
      }
    }
  }
  float at_a(std::int64_t i, std::int64_t p) const { return trans_a ? a[p * lda + i] : a[i * lda + p]; }
  float at_b(std::int64_t p, std::int64_t j) const { return trans_b ? b[j * ldb + p] : b[p * ldb + j]; }

  std::vector<float> run(float alpha, float beta, std::vector<float> out) const {
    sgemm(trans_a, trans_b, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, out.data(), ldc);
    return out;
  }

  /// Checks `out` (from C0 = `c0`) against alpha op(A) op(B) + beta C0 in double, element by element,
  /// relative to the magnitude of the terms summed: |err| <= 1e-5 (|alpha| sum|a b| + |beta c0|).
  /// Padding columns of C must be untouched.
  void check(float alpha, float beta, const std::vector<float>& c0, const std::vector<float>& out) const {
    std::int64_t bad = 0;
    double worst = 0;
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        const double prior = beta == 0.0f ? 0.0 : static_cast<double>(beta) * c0[i * ldc + j];
        const double ref = alpha * prod[i * n + j] + prior;
        const double scale = std::fabs(alpha) * mag[i * n + j] + std::fabs(prior) + 1e-30;
        const double err = std::fabs(static_cast<double>(out[i * ldc + j]) - ref) / scale;
        if (!(err <= 1e-5)) ++bad;
        if (!(err <= worst)) worst = err;
      }
      for (std::int64_t j = n; j < ldc; ++j) {
        if (std::memcmp(&out[i * ldc + j], &c0[i * ldc + j], sizeof(float)) != 0) ++bad;
      }
    }
    INFO("trans_a " << trans_a << " trans_b " << trans_b << " (m, n, k) = (" << m << ", " << n << ", " << k
                    << ") alpha " << alpha << " beta " << beta << " worst relative error " << worst);
    CHECK(bad == 0);
  }
};

struct Shape3 {
  std::int64_t m, n, k;
};

// Ragged tiles (M % 6, N % 16), K over one and two K blocks (384), several M blocks, several N
// blocks (3072), and short C that the 2-thread run splits by columns.
const Shape3 kShapes[] = {
    {1, 1, 1},     {7, 17, 37},    {17, 7, 95},    {37, 130, 301}, {95, 37, 517},   {130, 301, 7},
    {301, 95, 130}, {517, 17, 17}, {6, 16, 384},   {12, 32, 385},  {5, 200, 40},    {1, 517, 130},
    {517, 1, 95},  {37, 3100, 17}, {301, 517, 800}, {18, 48, 16},
};

}  // namespace

TEST_CASE("sgemm matches a double reference for every transpose, odd shapes and beta", "[ops][sgemm]") {
  std::uint32_t seed = 1;
  for (const Shape3& s : kShapes) {
    for (int t = 0; t < 4; ++t) {
      const Gemm g(t & 1, (t >> 1) & 1, s.m, s.n, s.k, (seed % 3 == 0) ? 0 : 3, seed);
      seed += 7;
      std::vector<float> nan_c = g.c;  // beta = 0 must not read C
      for (std::int64_t i = 0; i < g.m; ++i)
        for (std::int64_t j = 0; j < g.n; ++j) nan_c[i * g.ldc + j] = std::numeric_limits<float>::quiet_NaN();
      for (int threads : {1, 2}) {
        dapt::ThreadScope scope(threads);
        g.check(1.0f, 0.0f, nan_c, g.run(1.0f, 0.0f, nan_c));
        g.check(1.0f, 1.0f, g.c, g.run(1.0f, 1.0f, g.c));
        g.check(-0.75f, 0.5f, g.c, g.run(-0.75f, 0.5f, g.c));
      }
    }
  }
}

TEST_CASE("sgemm is bitwise reproducible, for a fixed and across thread counts", "[ops][sgemm]") {
  const Shape3 shapes[] = {{300, 520, 700}, {256, 1100, 64}, {20, 700, 300}, {700, 40, 900}};
  for (const Shape3& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      const Gemm g(t & 1, (t >> 1) & 1, s.m, s.n, s.k, 0, 11 + t, false);
      std::vector<float> one, two_a, two_b, three;
      {
        dapt::ThreadScope scope(1);
        one = g.run(1.0f, 1.0f, g.c);
      }
      {
        dapt::ThreadScope scope(2);
        two_a = g.run(1.0f, 1.0f, g.c);
        two_b = g.run(1.0f, 1.0f, g.c);
      }
      {
        dapt::ThreadScope scope(3);  // an uneven split, even on a 2-core machine
        three = g.run(1.0f, 1.0f, g.c);
      }
      INFO("trans " << t << " (m, n, k) = (" << s.m << ", " << s.n << ", " << s.k << ")");
      CHECK(dapt_test::same_bits(two_a, two_b));
      CHECK(dapt_test::same_bits(one, two_a));
      CHECK(dapt_test::same_bits(one, three));
    }
  }
}

TEST_CASE("sgemm edge cases: empty sizes, k = 0, alpha = 0 and bad arguments", "[ops][sgemm]") {
  std::vector<float> a(64, 1.0f), b(64, 1.0f), c(64, 2.0f);
  sgemm(false, false, 0, 4, 4, 1.0f, a.data(), 4, b.data(), 4, 0.0f, c.data(), 4);
  sgemm(false, false, 4, 0, 4, 1.0f, a.data(), 4, b.data(), 0, 0.0f, c.data(), 0);
  CHECK(c[0] == 2.0f);
  sgemm(false, false, 4, 4, 0, 1.0f, a.data(), 0, b.data(), 4, 0.5f, c.data(), 4);  // C = beta C
  CHECK(c[0] == 1.0f);
  c[5] = std::numeric_limits<float>::quiet_NaN();
  sgemm(false, false, 4, 4, 4, 0.0f, a.data(), 4, b.data(), 4, 0.0f, c.data(), 4);  // beta = 0 clears NaN
  for (int i = 0; i < 16; ++i) CHECK(c[i] == 0.0f);
  REQUIRE_DAPT_ERROR(sgemm(false, false, -1, 4, 4, 1.0f, a.data(), 4, b.data(), 4, 0.0f, c.data(), 4),
                     kInvalidArgument, "negative size");
  REQUIRE_DAPT_ERROR(sgemm(false, false, 4, 4, 4, 1.0f, a.data(), 3, b.data(), 4, 0.0f, c.data(), 4),
                     kInvalidArgument, "lda");
  REQUIRE_DAPT_ERROR(sgemm(false, true, 4, 4, 5, 1.0f, a.data(), 5, b.data(), 4, 0.0f, c.data(), 4),
                     kInvalidArgument, "ldb");
  REQUIRE_DAPT_ERROR(sgemm(false, false, 4, 5, 4, 1.0f, a.data(), 4, b.data(), 5, 0.0f, c.data(), 4),
                     kInvalidArgument, "ldc");
}

TEST_CASE("sgemm reuses its packing scratch: a repeated shape allocates nothing", "[ops][sgemm]") {
  auto& scratch = dapt::backend::detail::sgemm_impl::pack_scratch();
  const std::int64_t m = 300, n = 500, k = 700;
  const auto a = random_vector(static_cast<std::size_t>(m * k), 1);
  const auto b = random_vector(static_cast<std::size_t>(k * n), 2);
  std::vector<float> c(static_cast<std::size_t>(m * n));
  for (int threads : {2, 1}) {
    dapt::ThreadScope scope(threads);
    sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
    const std::int64_t after_first = scratch.allocations();
    for (int rep = 0; rep < 3; ++rep) {
      sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
      sgemm(true, true, 40, 60, 80, 1.0f, a.data(), 40, b.data(), 80, 0.0f, c.data(), 60);  // smaller: fits
    }
    CHECK(scratch.allocations() == after_first);
  }
  dapt::backend::detail::release_sgemm_scratch();
  sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);  // works again after release
  CHECK(std::isfinite(c[0]));
}

TEST_CASE("MatmulKernels<Cpu> linear ops match a double reference at small and large sizes",
          "[ops][sgemm]") {
  using K = dapt::backend::MatmulKernels<dapt::Cpu>;
  // (rows, in, out): decode-like rows that stay on Eigen, then odd shapes that take sgemm.
  const Shape3 shapes[] = {{1, 37, 17}, {7, 95, 130}, {16, 16, 16}, {17, 37, 130}, {130, 301, 95}, {301, 17, 517}};
  std::uint32_t seed = 100;
  for (const Shape3& s : shapes) {
    const std::int64_t n = s.m, k = s.n, m = s.k;  // tokens, in features, out features
    const auto x = random_vector(static_cast<std::size_t>(n * k), seed++);
    const auto w = random_vector(static_cast<std::size_t>(m * k), seed++);
    const auto bias = random_vector(static_cast<std::size_t>(m), seed++);
    const auto dy = random_vector(static_cast<std::size_t>(n * m), seed++);
    const auto y0 = random_vector(static_cast<std::size_t>(n * m), seed++);
    const auto dx0 = random_vector(static_cast<std::size_t>(n * k), seed++);
    const auto dw0 = random_vector(static_cast<std::size_t>(m * k), seed++);
    const auto db0 = random_vector(static_cast<std::size_t>(m), seed++);
    INFO("(rows, in, out) = (" << n << ", " << k << ", " << m << ")");
    const auto close = [](double got, double ref, double mag) { return std::fabs(got - ref) <= 1e-5 * mag + 1e-6; };
    for (int threads : {1, 2}) {
      dapt::ThreadScope scope(threads);
      for (bool accumulate : {false, true}) {
        std::vector<float> y = y0, dx = dx0;
        K::linear_forward(x.data(), w.data(), bias.data(), y.data(), n, k, m, accumulate);
        K::linear_backward_input(dy.data(), w.data(), dx.data(), n, k, m, accumulate);
        std::int64_t bad = 0;
        for (std::int64_t i = 0; i < n; ++i) {
          for (std::int64_t j = 0; j < m; ++j) {
            double s0 = 0, mag = 0;
            for (std::int64_t p = 0; p < k; ++p) {
              const double t = static_cast<double>(x[i * k + p]) * w[j * k + p];
              s0 += t;
              mag += std::fabs(t);
            }
            const double prior = accumulate ? y0[i * m + j] : 0.0;
            if (!close(y[i * m + j], s0 + bias[j] + prior, mag + std::fabs(bias[j]) + std::fabs(prior))) ++bad;
          }
          for (std::int64_t p = 0; p < k; ++p) {
            double s0 = 0, mag = 0;
            for (std::int64_t j = 0; j < m; ++j) {
              const double t = static_cast<double>(dy[i * m + j]) * w[j * k + p];
              s0 += t;
              mag += std::fabs(t);
            }
            const double prior = accumulate ? dx0[i * k + p] : 0.0;
            if (!close(dx[i * k + p], s0 + prior, mag + std::fabs(prior))) ++bad;
          }
        }
        INFO("threads " << threads << " accumulate " << accumulate);
        CHECK(bad == 0);
      }
      std::vector<float> dw = dw0, db = db0;
      K::linear_backward_weight(dy.data(), x.data(), dw.data(), db.data(), n, k, m);
      std::int64_t bad = 0;
      for (std::int64_t j = 0; j < m; ++j) {
        for (std::int64_t p = 0; p < k; ++p) {
          double s0 = 0, mag = 0;
          for (std::int64_t i = 0; i < n; ++i) {
            const double t = static_cast<double>(dy[i * m + j]) * x[i * k + p];
            s0 += t;
            mag += std::fabs(t);
          }
          if (!close(dw[j * k + p], s0 + dw0[j * k + p], mag + std::fabs(dw0[j * k + p]))) ++bad;
        }
        double sb = db0[j], magb = std::fabs(db0[j]);
        for (std::int64_t i = 0; i < n; ++i) {
          sb += dy[i * m + j];
          magb += std::fabs(dy[i * m + j]);
        }
        if (!close(db[j], sb, magb)) ++bad;
      }
      INFO("threads " << threads << " backward weight");
      CHECK(bad == 0);
    }
  }
}

TEST_CASE("ops facades on the CPU: BF16 operands throw kDtype (BF16 needs the CUDA backend), F32 messages stand",
          "[ops]") {
  using dapt::Cpu;
  using dapt::DType;
  using dapt::Tensor;
  namespace ops = dapt::ops;
  const std::int64_t n = 3, k = 4, m = 5;
  const auto f32 = [](std::initializer_list<std::int64_t> s) { return Tensor<Cpu>::zeros(dapt::Shape(s), DType::kF32); };
  const auto bf16 = [](std::initializer_list<std::int64_t> s) { return Tensor<Cpu>::zeros(dapt::Shape(s), DType::kBF16); };
  const auto x = f32({n, k}), w = f32({m, k}), y = f32({n, m}), dy = f32({n, m}), dx = f32({n, k});
  const auto dw = f32({m, k}), db = f32({m});
  const auto xb = bf16({n, k}), wb = bf16({m, k}), yb = bf16({n, m}), dyb = bf16({n, m});
  const Tensor<Cpu> none;
  constexpr const char* kNeedsCuda = "BF16 activations need the CUDA backend";

  // All-BF16 and mixed calls alike: the CPU kernels are F32 only.
  REQUIRE_DAPT_ERROR(ops::linear_forward<Cpu>(xb.view(), wb.view(), none.view(), yb.view()), kDtype, kNeedsCuda);
  REQUIRE_DAPT_ERROR(ops::linear_forward<Cpu>(xb.view(), wb.view(), none.view(), yb.view()), kDtype,
                     "linear input is BF16");
  REQUIRE_DAPT_ERROR(ops::linear_forward<Cpu>(x.view(), wb.view(), none.view(), y.view()), kDtype,
                     "linear weight is BF16");
  REQUIRE_DAPT_ERROR(ops::linear_backward_input<Cpu>(dyb.view(), w.view(), dx.view()), kDtype, kNeedsCuda);
  REQUIRE_DAPT_ERROR(ops::linear_backward_weight<Cpu>(dyb.view(), x.view(), dw.view(), db.view()), kDtype, kNeedsCuda);
  // Parameter gradients stay F32 on every device.
  REQUIRE_DAPT_ERROR(ops::linear_backward_weight<Cpu>(dy.view(), x.view(), bf16({m, k}).view(), db.view()), kDtype,
                     "linear weight gradient must be F32, got BF16");

  const auto rstd = f32({n});
  REQUIRE_DAPT_ERROR(ops::rms_norm_forward<Cpu>(xb.view(), none.view(), none.view(), f32({k}).view(), xb.view(),
                                                rstd.view(), 1e-5f),
                     kDtype, kNeedsCuda);
  REQUIRE_DAPT_ERROR(ops::swiglu_forward<Cpu>(xb.view(), xb.view(), xb.view()), kDtype, kNeedsCuda);
  REQUIRE_DAPT_ERROR(ops::dropout<Cpu>(xb.view(), xb.view(), 0.5f, 1, 2), kDtype, kNeedsCuda);
  REQUIRE_DAPT_ERROR(ops::add<Cpu>(xb.view(), xb.view(), xb.view()), kDtype, kNeedsCuda);
  REQUIRE_DAPT_ERROR(ops::copy<Cpu>(x.view(), xb.view()), kDtype, "ops::copy: dst is BF16");
  REQUIRE_DAPT_ERROR(ops::convert<Cpu>(x.view(), xb.view()), kDtype, "ops::convert: dst is BF16");
  REQUIRE_DAPT_ERROR(ops::convert<Cpu>(xb.view(), x.view()), kDtype, "ops::convert: src is BF16");
  REQUIRE_DAPT_ERROR(ops::scale<Cpu>(xb.view(), 2.0f), kDtype, kNeedsCuda);
  const auto targets = Tensor<Cpu>::zeros({n}, DType::kI32);
  REQUIRE_DAPT_ERROR(ops::cross_entropy<Cpu>(yb.view(), targets.view(), rstd.view(), 1.0f, false), kDtype, kNeedsCuda);
  const auto ids = Tensor<Cpu>::zeros({n}, DType::kI32);
  REQUIRE_DAPT_ERROR(ops::embedding_forward<Cpu>(wb.view(), ids.view(), xb.view()), kDtype, kNeedsCuda);
  REQUIRE_DAPT_ERROR(ops::embedding_backward<Cpu>(xb.view(), ids.view(), w.view()), kDtype, kNeedsCuda);

  // The F32 messages of other dtypes are those of before.
  const auto xi = Tensor<Cpu>::zeros({n, k}, DType::kI32);
  REQUIRE_DAPT_ERROR(ops::linear_forward<Cpu>(xi.view(), w.view(), none.view(), y.view()), kDtype,
                     "linear input must be F32, got I32");
  REQUIRE_DAPT_ERROR(ops::add<Cpu>(xi.view(), x.view(), x.view()), kDtype, "ops::add: tensors must be F32, got I32");
  REQUIRE_DAPT_ERROR(ops::dropout<Cpu>(xi.view(), x.view(), 0.5f, 1, 2), kDtype, "dropout: tensors must be F32");
  REQUIRE_DAPT_ERROR(ops::convert<Cpu>(xi.view(), x.view()), kDtype, "ops::convert: tensors must be F32, got I32");
  REQUIRE_DAPT_ERROR(ops::convert<Cpu>(x.view(), f32({n, k + 1}).view()), kShape, "equal size");
  // And F32 still runs; convert between F32 tensors is a copy.
  x.data<float>()[2] = 1.5f;
  const auto x2 = f32({n * k});
  ops::convert<Cpu>(x.view(), x2.view());
  CHECK(x2.data<float>()[2] == 1.5f);
  ops::linear_forward<Cpu>(x.view(), w.view(), none.view(), y.view());
  ops::linear_backward_weight<Cpu>(dy.view(), x.view(), dw.view(), db.view());
  CHECK(y.data<float>()[0] == 0.0f);
}

TEST_CASE("ops facades: embedding and cross-entropy refuse non-contiguous views (kShape, naming the operand)",
          "[ops]") {
  using dapt::Cpu;
  using dapt::DType;
  using dapt::Tensor;
  namespace ops = dapt::ops;
  const std::int64_t v = 6, c = 4, n = 3;
  const auto f32 = [](std::int64_t a, std::int64_t b) { return Tensor<Cpu>::zeros({a, b}, DType::kF32); };
  const auto table = f32(v, c), out = f32(n, c), out2 = f32(2 * n, c);
  const auto ids = Tensor<Cpu>::zeros({n}, DType::kI32), ids2 = Tensor<Cpu>::zeros({2, n}, DType::kI32);
  // Transposed views: same sizes, not contiguous.
  const auto table_t = f32(c, v), wide_t = f32(c, 2 * n), square = f32(c, c);
  REQUIRE_DAPT_ERROR(ops::embedding_forward<Cpu>(square.view().transpose(0, 1), ids.view(), out.view()), kShape,
                     "embedding_forward: embedding table of shape (4, 4) must be contiguous");
  REQUIRE_DAPT_ERROR(ops::embedding_forward<Cpu>(table.view(), ids2.view().transpose(0, 1), out2.view()), kShape,
                     "token ids of shape (3, 2) must be contiguous");
  REQUIRE_DAPT_ERROR(ops::embedding_forward<Cpu>(table.view(), ids2.view(), wide_t.view().transpose(0, 1)), kShape,
                     "embedding output of shape (6, 4) must be contiguous");
  REQUIRE_DAPT_ERROR(ops::embedding_backward<Cpu>(wide_t.view().transpose(0, 1), ids2.view(), table.view()), kShape,
                     "embedding_backward: embedding output gradient of shape (6, 4) must be contiguous");
  REQUIRE_DAPT_ERROR(ops::embedding_backward<Cpu>(out2.view(), ids2.view(), table_t.view().transpose(0, 1)), kShape,
                     "embedding table gradient of shape (6, 4) must be contiguous");
  const auto logits = f32(n, v), losses = Tensor<Cpu>::zeros({n}, DType::kF32);
  const auto targets2 = Tensor<Cpu>::zeros({n, 2}, DType::kI32), losses2 = f32(n, 2);
  REQUIRE_DAPT_ERROR(
      ops::cross_entropy<Cpu>(logits.view(), targets2.view().slice(1, 0, 1), losses.view(), 1.0f, false), kShape,
      "cross_entropy: targets of shape (3, 1) must be contiguous");
  REQUIRE_DAPT_ERROR(ops::cross_entropy<Cpu>(logits.view(), ids.view(), losses2.view().slice(1, 1, 2), 1.0f, false),
                     kShape, "cross_entropy: losses of shape (3, 1) must be contiguous");
  // Contiguous views still run: uniform logits give log(6) per row.
  ops::embedding_forward<Cpu>(table.view(), ids.view(), out.view());
  ops::cross_entropy<Cpu>(logits.view(), ids.view(), losses.view(), 1.0f, false);
  CHECK(std::fabs(losses.data<float>()[0] - std::log(6.0f)) < 1e-6f);
}
