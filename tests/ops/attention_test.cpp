// Tests of the tiled attention kernels (forward, backward, KV-cache inference) against a naive
// double-precision reference that materialises the score matrix, on odd shapes, with and without
// document masks; the reference backward is itself checked by central finite differences.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "dapt/ops/attention.hpp"
#include "dapt_catch.hpp"
#include "model_util.hpp"

namespace {

using dapt::Cpu;
using dapt::DType;
using dapt::Shape;
using dapt::Tensor;
using dapt::TensorView;

struct Dims {
  std::int64_t B, T, H, Hkv, hd;
};

Tensor<Cpu> i32_tensor(Shape shape, const std::vector<std::int32_t>& values) {
  Tensor<Cpu> t = Tensor<Cpu>::empty(shape, DType::kI32);
  REQUIRE(static_cast<std::int64_t>(values.size()) == t.numel());
  std::copy(values.begin(), values.end(), t.data<std::int32_t>());
  return t;
}

std::vector<double> to_double(const Tensor<Cpu>& t) {
  const float* p = t.data<float>();
  return std::vector<double>(p, p + t.numel());
}

/// ||a - ref|| / ||ref||.
double rel_err(const Tensor<Cpu>& a, const std::vector<double>& ref) {
  const float* p = a.data<float>();
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    num += (p[i] - ref[i]) * (p[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}

/// Naive GQA attention (causal or bidirectional) in double, materialising each (T, T) score matrix.
struct Reference {
  Dims d;
  double scale;
  std::vector<double> q, k, v;  // (B, T, H, hd), (B, T, Hkv, hd) x 2
  std::vector<std::int32_t> seg;  // (B, T) or empty
  bool causal = true;

  double& at(std::vector<double>& x, std::int64_t heads, std::int64_t b, std::int64_t t, std::int64_t h,
             std::int64_t i) const {
    return x[static_cast<std::size_t>(((b * d.T + t) * heads + h) * d.hd + i)];
  }
  bool visible(std::int64_t b, std::int64_t i, std::int64_t j) const {
    if (causal && j > i) return false;
    return seg.empty() || seg[static_cast<std::size_t>(b * d.T + j)] == seg[static_cast<std::size_t>(b * d.T + i)];
  }
  /// Probabilities P (T, T) of (b, h).
  std::vector<double> probs(std::int64_t b, std::int64_t h, std::vector<double>* lse_row = nullptr) {
    const std::int64_t T = d.T, g = d.H / d.Hkv;
    std::vector<double> p(static_cast<std::size_t>(T * T), 0.0);
    for (std::int64_t i = 0; i < T; ++i) {
      double mx = -std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j < T; ++j) {
        if (!visible(b, i, j)) continue;
        double s = 0;
        for (std::int64_t c = 0; c < d.hd; ++c) s += at(q, d.H, b, i, h, c) * at(k, d.Hkv, b, j, h / g, c);
        p[static_cast<std::size_t>(i * T + j)] = s * scale;
        mx = std::max(mx, s * scale);
      }
      double sum = 0;
      for (std::int64_t j = 0; j < T; ++j) {
        double& x = p[static_cast<std::size_t>(i * T + j)];
        x = visible(b, i, j) ? std::exp(x - mx) : 0.0;
        sum += x;
      }
      for (std::int64_t j = 0; j < T; ++j) p[static_cast<std::size_t>(i * T + j)] /= sum;
      if (lse_row) lse_row->push_back(mx + std::log(sum));
    }
    return p;
  }
  void forward(std::vector<double>& out, std::vector<double>& lse) {
    const std::int64_t T = d.T, g = d.H / d.Hkv;
    out.assign(static_cast<std::size_t>(d.B * T * d.H * d.hd), 0.0);
    lse.clear();
    for (std::int64_t b = 0; b < d.B; ++b)
      for (std::int64_t h = 0; h < d.H; ++h) {
        const auto p = probs(b, h, &lse);
        for (std::int64_t i = 0; i < T; ++i)
          for (std::int64_t j = 0; j < T; ++j)
            for (std::int64_t c = 0; c < d.hd; ++c)
              at(out, d.H, b, i, h, c) += p[static_cast<std::size_t>(i * T + j)] * at(v, d.Hkv, b, j, h / g, c);
      }
  }
  void backward(std::vector<double> dout, std::vector<double>& dq, std::vector<double>& dk, std::vector<double>& dv) {
    const std::int64_t T = d.T, g = d.H / d.Hkv;
    dq.assign(q.size(), 0.0);
    dk.assign(k.size(), 0.0);
    dv.assign(v.size(), 0.0);
    for (std::int64_t b = 0; b < d.B; ++b)
      for (std::int64_t h = 0; h < d.H; ++h) {
        const auto p = probs(b, h);
        const std::int64_t kh = h / g;
        for (std::int64_t i = 0; i < T; ++i) {
          std::vector<double> dp(static_cast<std::size_t>(T), 0.0);
          double D = 0;
          for (std::int64_t j = 0; j < T; ++j) {
            double& dpj = dp[static_cast<std::size_t>(j)];
            for (std::int64_t c = 0; c < d.hd; ++c) dpj += at(dout, d.H, b, i, h, c) * at(v, d.Hkv, b, j, kh, c);
            D += p[static_cast<std::size_t>(i * T + j)] * dpj;
          }
          for (std::int64_t j = 0; j < T; ++j) {
            const double pij = p[static_cast<std::size_t>(i * T + j)];
            const double ds = pij * (dp[static_cast<std::size_t>(j)] - D) * scale;
            for (std::int64_t c = 0; c < d.hd; ++c) {
              at(dv, d.Hkv, b, j, kh, c) += pij * at(dout, d.H, b, i, h, c);
              at(dq, d.H, b, i, h, c) += ds * at(k, d.Hkv, b, j, kh, c);
              at(dk, d.Hkv, b, j, kh, c) += ds * at(q, d.H, b, i, h, c);
            }
          }
        }
      }
  }
};

/// Inputs and kernel outputs of one forward + backward problem.
struct Problem {
  Dims d;
  float scale;
  Tensor<Cpu> q, k, v, seg, out, lse, dout, dq, dk, dv;
  bool causal = true;

  Problem(Dims dims, std::vector<std::int32_t> segments, std::uint32_t seed, bool causal_ = true)
      : d(dims), causal(causal_) {
    scale = 1.0f / std::sqrt(static_cast<float>(d.hd));
    q = dapt_test::uniform_tensor({d.B, d.T, d.H, d.hd}, seed, 2.0f);
    k = dapt_test::uniform_tensor({d.B, d.T, d.Hkv, d.hd}, seed + 1, 2.0f);
    v = dapt_test::uniform_tensor({d.B, d.T, d.Hkv, d.hd}, seed + 2);
    dout = dapt_test::uniform_tensor({d.B, d.T, d.H, d.hd}, seed + 3);
    if (!segments.empty()) seg = i32_tensor({d.B, d.T}, segments);
    out = Tensor<Cpu>::empty(q.shape(), DType::kF32);
    lse = Tensor<Cpu>::empty({d.B, d.H, d.T}, DType::kF32);
    dq = dapt_test::uniform_tensor(q.shape(), 99);  // garbage: the kernel must write, not add
    dk = dapt_test::uniform_tensor(k.shape(), 98);
    dv = dapt_test::uniform_tensor(v.shape(), 97);
  }
  void run() {
    dapt::ops::attention_forward(q.view(), k.view(), v.view(), seg.view(), out.view(), lse.view(), scale, causal);
    dapt::ops::attention_backward(q.view(), k.view(), v.view(), seg.view(), out.view(), lse.view(), dout.view(),
                                  dq.view(), dk.view(), dv.view(), scale, causal);
  }
  Reference reference() const {
    Reference r{d, scale, to_double(q), to_double(k), to_double(v), {}, causal};
    if (seg.defined()) r.seg.assign(seg.data<std::int32_t>(), seg.data<std::int32_t>() + seg.numel());
    return r;
  }
};

void check_against_reference(Dims d, std::vector<std::int32_t> segments, std::uint32_t seed, bool causal = true) {
  Problem pr(d, segments, seed, causal);
  pr.run();
  Reference ref = pr.reference();
  std::vector<double> out, lse, dq, dk, dv;
  ref.forward(out, lse);
  ref.backward(to_double(pr.dout), dq, dk, dv);
  INFO("B=" << d.B << " T=" << d.T << " H=" << d.H << " Hkv=" << d.Hkv << " hd=" << d.hd
            << " segments=" << !segments.empty() << " causal=" << causal);
  CHECK(rel_err(pr.out, out) <= 1e-5);
  CHECK(rel_err(pr.lse, lse) <= 1e-5);
  CHECK(rel_err(pr.dq, dq) <= 1e-5);
  CHECK(rel_err(pr.dk, dk) <= 1e-5);
  CHECK(rel_err(pr.dv, dv) <= 1e-5);
}

/// Documents of the given lengths packed into each of B rows.
std::vector<std::int32_t> packed(std::int64_t B, std::int64_t T, const std::vector<std::int64_t>& lengths) {
  std::vector<std::int32_t> out;
  for (std::int64_t b = 0; b < B; ++b) {
    std::int32_t id = 0;
    std::int64_t left = lengths[0];
    std::size_t next = 1;
    for (std::int64_t t = 0; t < T; ++t) {
      if (left == 0) {
        ++id;
        left = next < lengths.size() ? lengths[next++] : T;
      }
      out.push_back(id + static_cast<std::int32_t>(b) * 100);
      --left;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("attention forward and backward match the reference on odd shapes", "[ops][attention]") {
  SECTION("GQA B=2 T=37 H=6 Hkv=2 hd=16") { check_against_reference({2, 37, 6, 2, 16}, {}, 10); }
  SECTION("GQA with documents [0,0,0,1,1,2,...]") {
    check_against_reference({2, 37, 6, 2, 16}, packed(2, 37, {3, 2, 1, 10, 4}), 11);
  }
  SECTION("H == Hkv") { check_against_reference({1, 20, 3, 3, 8}, {}, 12); }
  SECTION("multi-query, T smaller than a tile") { check_against_reference({2, 5, 4, 1, 12}, {}, 13); }
  SECTION("T = 130 spans three tiles") { check_against_reference({1, 130, 4, 2, 32}, {}, 14); }
  SECTION("T = 130 with documents across tile boundaries") {
    check_against_reference({2, 130, 4, 2, 32}, packed(2, 130, {3, 2, 1, 60, 7, 40}), 15);
  }
  SECTION("T = 130 with non-contiguous segment ids") {
    std::vector<std::int32_t> seg;
    for (std::int64_t t = 0; t < 130; ++t) seg.push_back(static_cast<std::int32_t>((t / 7) % 3));
    check_against_reference({1, 130, 2, 1, 16}, seg, 16);
  }
  SECTION("T = 1") { check_against_reference({3, 1, 2, 2, 4}, {}, 17); }
}

TEST_CASE("bidirectional attention (embedders) matches the reference, with padding as a segment", "[ops][attention]") {
  SECTION("GQA B=2 T=37 H=6 Hkv=2 hd=16") { check_against_reference({2, 37, 6, 2, 16}, {}, 30, false); }
  SECTION("T = 130 spans three tiles") { check_against_reference({1, 130, 4, 2, 32}, {}, 31, false); }
  SECTION("right padding: real tokens segment 0, padding segment 1") {
    std::vector<std::int32_t> seg;
    for (std::int64_t b = 0; b < 2; ++b)
      for (std::int64_t t = 0; t < 75; ++t) seg.push_back(t < (b ? 70 : 9) ? 0 : 1);
    check_against_reference({2, 75, 4, 1, 8}, seg, 32, false);
  }
  SECTION("left padding and non-contiguous segments across tiles") {
    std::vector<std::int32_t> seg;
    for (std::int64_t t = 0; t < 130; ++t) seg.push_back(t < 50 ? 1 : static_cast<std::int32_t>((t / 9) % 2));
    check_against_reference({1, 130, 2, 2, 16}, seg, 33, false);
  }
}

TEST_CASE("attention reference backward agrees with finite differences, and so does the kernel", "[ops][attention]") {
  const Dims d{1, 6, 2, 1, 4};
  const std::vector<std::int32_t> segs = {0, 0, 0, 1, 1, 1};
  Problem pr(d, segs, 21);
  pr.run();
  const std::vector<double> R = to_double(pr.dout);  // L = sum(out * R), so dL/dout = R
  Reference ref = pr.reference();
  std::vector<double> dq, dk, dv;
  ref.backward(R, dq, dk, dv);
  auto loss = [&](Reference& r) {
    std::vector<double> out, lse;
    r.forward(out, lse);
    double l = 0;
    for (std::size_t i = 0; i < out.size(); ++i) l += out[i] * R[i];
    return l;
  };
  // Double reference against central differences of the double reference.
  const double eps = 1e-6;
  for (auto [x, g] : {std::pair{&Reference::q, &dq}, std::pair{&Reference::k, &dk}, std::pair{&Reference::v, &dv}}) {
    for (std::size_t i = 0; i < (ref.*x).size(); ++i) {
      Reference r = ref;
      (r.*x)[i] += eps;
      const double up = loss(r);
      (r.*x)[i] -= 2 * eps;
      const double down = loss(r);
      const double fd = (up - down) / (2 * eps);
      CHECK(std::abs(fd - (*g)[i]) <= 1e-7 + 1e-6 * std::abs(fd));
    }
  }
  // The float kernel against central differences of the float kernel (loose: float rounding).
  auto kernel_loss = [&]() {
    dapt::ops::attention_forward(pr.q.view(), pr.k.view(), pr.v.view(), pr.seg.view(), pr.out.view(), pr.lse.view(),
                                 pr.scale);
    double l = 0;
    for (std::int64_t i = 0; i < pr.out.numel(); ++i) l += pr.out.data<float>()[i] * R[static_cast<std::size_t>(i)];
    return l;
  };
  const float feps = 1e-2f;
  for (auto [t, g] : {std::pair{&pr.q, &pr.dq}, std::pair{&pr.k, &pr.dk}, std::pair{&pr.v, &pr.dv}}) {
    for (std::int64_t i = 0; i < t->numel(); ++i) {
      float& x = t->data<float>()[i];
      const float x0 = x;
      x = x0 + feps;
      const double up = kernel_loss();
      x = x0 - feps;
      const double down = kernel_loss();
      x = x0;
      const double fd = (up - down) / (2.0 * feps);
      const double grad = g->data<float>()[i];
      CHECK(std::abs(fd - grad) <= 2e-3 + 2e-2 * std::abs(fd));
    }
  }
}

namespace {

/// Runs attention_cached on rows whose caches hold `past[b] + Tq` tokens of the sequences in `pr`
/// (positions past[b] .. past[b] + Tq - 1 are the queries), with NaN in every unused cache slot,
/// and compares with the reference forward of the whole sequences.
void check_cached(const Problem& pr, const std::vector<std::int32_t>& past, std::int64_t Tq, std::int64_t S) {
  const Dims d = pr.d;
  Reference ref = pr.reference();
  std::vector<double> full_out, lse;
  ref.forward(full_out, lse);
  Tensor<Cpu> kc = Tensor<Cpu>::empty({d.B, S, d.Hkv, d.hd}, DType::kF32);
  Tensor<Cpu> vc = Tensor<Cpu>::empty({d.B, S, d.Hkv, d.hd}, DType::kF32);
  std::fill_n(kc.data<float>(), kc.numel(), std::numeric_limits<float>::quiet_NaN());
  std::fill_n(vc.data<float>(), vc.numel(), std::numeric_limits<float>::quiet_NaN());
  Tensor<Cpu> q = Tensor<Cpu>::empty({d.B, Tq, d.H, d.hd}, DType::kF32);
  std::vector<double> expect;
  const std::int64_t kv_row = d.Hkv * d.hd, q_row = d.H * d.hd;
  for (std::int64_t b = 0; b < d.B; ++b) {
    const std::int64_t p = past[static_cast<std::size_t>(b)];
    REQUIRE(p + Tq <= d.T);
    std::copy_n(pr.k.data<float>() + b * d.T * kv_row, (p + Tq) * kv_row, kc.data<float>() + b * S * kv_row);
    std::copy_n(pr.v.data<float>() + b * d.T * kv_row, (p + Tq) * kv_row, vc.data<float>() + b * S * kv_row);
    std::copy_n(pr.q.data<float>() + (b * d.T + p) * q_row, Tq * q_row, q.data<float>() + b * Tq * q_row);
    const auto first = full_out.begin() + (b * d.T + p) * q_row;
    expect.insert(expect.end(), first, first + Tq * q_row);
  }
  Tensor<Cpu> past_t = i32_tensor({d.B}, past);
  Tensor<Cpu> out = Tensor<Cpu>::empty(q.shape(), DType::kF32);
  dapt::ops::attention_cached(q.view(), kc.view(), vc.view(), past_t.view(), out.view(), pr.scale);
  INFO("Tq = " << Tq << " S = " << S << " H = " << d.H << " Hkv = " << d.Hkv);
  CHECK(rel_err(out, expect) <= 1e-5);
}

}  // namespace

TEST_CASE("attention_cached prefill of a whole sequence equals attention_forward", "[ops][attention]") {
  Problem pr({2, 70, 6, 2, 16}, {}, 31);
  pr.run();
  const std::int64_t S = 80;
  Tensor<Cpu> kc = Tensor<Cpu>::zeros({2, S, 2, 16}, DType::kF32), vc = Tensor<Cpu>::zeros({2, S, 2, 16}, DType::kF32);
  std::copy_n(pr.k.data<float>(), 70 * 32, kc.data<float>());
  std::copy_n(pr.k.data<float>() + 70 * 32, 70 * 32, kc.data<float>() + S * 32);
  std::copy_n(pr.v.data<float>(), 70 * 32, vc.data<float>());
  std::copy_n(pr.v.data<float>() + 70 * 32, 70 * 32, vc.data<float>() + S * 32);
  Tensor<Cpu> past = i32_tensor({2}, {0, 0});
  Tensor<Cpu> out = Tensor<Cpu>::empty(pr.q.shape(), DType::kF32);
  dapt::ops::attention_cached(pr.q.view(), kc.view(), vc.view(), past.view(), out.view(), pr.scale);
  CHECK(rel_err(out, to_double(pr.out)) <= 1e-6);
}

TEST_CASE("attention_cached prefill then token-by-token decode reproduces the full forward", "[ops][attention]") {
  const Dims d{2, 37, 6, 2, 16};
  Problem pr(d, {}, 41);
  pr.run();
  const std::int64_t S = 40, prefill = 10, row = d.H * d.hd, kv_row = d.Hkv * d.hd;
  Tensor<Cpu> kc = Tensor<Cpu>::zeros({d.B, S, d.Hkv, d.hd}, DType::kF32);
  Tensor<Cpu> vc = Tensor<Cpu>::zeros({d.B, S, d.Hkv, d.hd}, DType::kF32);
  auto append = [&](std::int64_t t0, std::int64_t n) {  // write tokens [t0, t0 + n) into the cache
    for (std::int64_t b = 0; b < d.B; ++b) {
      std::copy_n(pr.k.data<float>() + (b * d.T + t0) * kv_row, n * kv_row, kc.data<float>() + (b * S + t0) * kv_row);
      std::copy_n(pr.v.data<float>() + (b * d.T + t0) * kv_row, n * kv_row, vc.data<float>() + (b * S + t0) * kv_row);
    }
  };
  auto run = [&](std::int64_t t0, std::int64_t n) {
    Tensor<Cpu> q = Tensor<Cpu>::empty({d.B, n, d.H, d.hd}, DType::kF32);
    for (std::int64_t b = 0; b < d.B; ++b)
      std::copy_n(pr.q.data<float>() + (b * d.T + t0) * row, n * row, q.data<float>() + b * n * row);
    Tensor<Cpu> past = i32_tensor({d.B}, {static_cast<std::int32_t>(t0), static_cast<std::int32_t>(t0)});
    Tensor<Cpu> out = Tensor<Cpu>::empty(q.shape(), DType::kF32);
    append(t0, n);
    dapt::ops::attention_cached(q.view(), kc.view(), vc.view(), past.view(), out.view(), pr.scale);
    double worst = 0;
    for (std::int64_t b = 0; b < d.B; ++b) {
      const float* got = out.data<float>() + b * n * row;
      const float* want = pr.out.data<float>() + (b * d.T + t0) * row;
      for (std::int64_t i = 0; i < n * row; ++i)
        worst = std::max(worst, static_cast<double>(std::abs(got[i] - want[i])));
    }
    return worst;
  };
  CHECK(run(0, prefill) <= 1e-5);
  for (std::int64_t t = prefill; t < d.T; ++t) {
    INFO("decode step at position " << t);
    CHECK(run(t, 1) <= 1e-5);
  }
}

TEST_CASE("attention_cached handles rows at different positions", "[ops][attention]") {
  SECTION("prefill chunks") {
    Problem pr({3, 150, 4, 2, 8}, {}, 51);
    check_cached(pr, {0, 5, 17}, 3, 24);
    check_cached(pr, {3, 80, 0}, 70, 160);
  }
  SECTION("decode") {
    Problem pr({3, 40, 6, 3, 8}, {}, 52);
    check_cached(pr, {0, 39, 12}, 1, 45);
  }
  SECTION("decode with a cache longer than one key tile") {
    Problem pr({2, 700, 2, 1, 8}, {}, 53);
    check_cached(pr, {699, 530}, 1, 720);
  }
  SECTION("decode with more query heads per group than a tile") {
    Problem pr({1, 9, 72, 1, 4}, {}, 54);
    check_cached(pr, {8}, 1, 9);
  }
}

TEST_CASE("attention ops report bad shapes by argument name", "[ops][attention]") {
  Problem pr({2, 5, 4, 2, 8}, {}, 61);
  auto fwd = [&](const TensorView<Cpu>& q, const TensorView<Cpu>& k, const TensorView<Cpu>& v,
                 const TensorView<Cpu>& seg, const TensorView<Cpu>& out, const TensorView<Cpu>& lse) {
    dapt::ops::attention_forward(q, k, v, seg, out, lse, pr.scale);
  };
  Tensor<Cpu> k3 = dapt_test::uniform_tensor({2, 5, 3, 8}, 1);
  REQUIRE_DAPT_ERROR(fwd(pr.q, k3, k3, {}, pr.out, pr.lse), kShape, "not a multiple of the 3 kv heads of k");
  Tensor<Cpu> k_hd = dapt_test::uniform_tensor({2, 5, 2, 4}, 2);
  REQUIRE_DAPT_ERROR(fwd(pr.q, k_hd, pr.v, {}, pr.out, pr.lse), kShape, "k has shape (2, 5, 2, 4)");
  Tensor<Cpu> v_t = dapt_test::uniform_tensor({2, 6, 2, 8}, 3);
  REQUIRE_DAPT_ERROR(fwd(pr.q, pr.k, v_t, {}, pr.out, pr.lse), kShape, "v has shape (2, 6, 2, 8)");
  Tensor<Cpu> lse_bad = dapt_test::uniform_tensor({2, 5, 4}, 4);
  REQUIRE_DAPT_ERROR(fwd(pr.q, pr.k, pr.v, {}, pr.out, lse_bad), kShape,
                     "lse has shape (2, 5, 4), expected (B, H, T) = (2, 4, 5)");
  Tensor<Cpu> seg_bad = i32_tensor({2, 4}, {0, 0, 0, 0, 0, 0, 0, 0});
  REQUIRE_DAPT_ERROR(fwd(pr.q, pr.k, pr.v, seg_bad, pr.out, pr.lse), kShape, "segment_ids has shape (2, 4)");
  Tensor<Cpu> seg_f32 = dapt_test::uniform_tensor({2, 5}, 5);
  REQUIRE_DAPT_ERROR(fwd(pr.q, pr.k, pr.v, seg_f32, pr.out, pr.lse), kDtype, "segment_ids must be I32");
  REQUIRE_DAPT_ERROR(fwd(pr.q.view().reshape({10, 4, 8}), pr.k, pr.v, {}, pr.out, pr.lse), kShape,
                     "q must be (B, T, H, hd)");
  REQUIRE_DAPT_ERROR(fwd(pr.q, pr.k, pr.v, {}, pr.q, pr.lse), kInvalidArgument, "out overlaps q");

  auto bwd = [&](const TensorView<Cpu>& dq, const TensorView<Cpu>& dk, const TensorView<Cpu>& dv) {
    dapt::ops::attention_backward(pr.q.view(), pr.k.view(), pr.v.view(), {}, pr.out.view(), pr.lse.view(),
                                  pr.dout.view(), dq, dk, dv, pr.scale);
  };
  REQUIRE_DAPT_ERROR(bwd(pr.dq, pr.dq, pr.dv), kShape, "dk has shape (2, 5, 4, 8)");
  REQUIRE_DAPT_ERROR(bwd(pr.dout, pr.dk, pr.dv), kInvalidArgument, "dq overlaps dout");

  auto cached = [&](const TensorView<Cpu>& kc, const TensorView<Cpu>& vc, const TensorView<Cpu>& past) {
    dapt::ops::attention_cached(pr.q.view(), kc, vc, past, pr.out.view(), pr.scale);
  };
  Tensor<Cpu> kc = dapt_test::uniform_tensor({2, 8, 2, 8}, 6), vc = dapt_test::uniform_tensor({2, 8, 2, 8}, 7);
  Tensor<Cpu> past = i32_tensor({2}, {0, 4});
  REQUIRE_DAPT_ERROR(cached(kc, vc, past), kOutOfRange, "past[1] = 4");
  Tensor<Cpu> neg = i32_tensor({2}, {-1, 0});
  REQUIRE_DAPT_ERROR(cached(kc, vc, neg), kOutOfRange, "past[0] = -1");
  Tensor<Cpu> kc_bad = dapt_test::uniform_tensor({2, 8, 2, 6}, 8);
  REQUIRE_DAPT_ERROR(cached(kc_bad, vc, past), kShape, "k_cache has shape (2, 8, 2, 6)");
  Tensor<Cpu> past3 = i32_tensor({3}, {0, 0, 0});
  REQUIRE_DAPT_ERROR(cached(kc, vc, past3), kShape, "past has shape (3)");
  Tensor<Cpu> small = dapt_test::uniform_tensor({2, 3, 2, 8}, 9);
  REQUIRE_DAPT_ERROR(cached(small, small, past), kShape, "cache capacity S = 3");
}

TEST_CASE("kv_append writes each row's new tokens at its length and nothing else, and refuses bad lengths",
          "[ops][attention]") {
  const std::int64_t B = 3, S = 10, Hkv = 2, hd = 4, Tq = 3, row = Hkv * hd;
  const Tensor<Cpu> k = dapt_test::uniform_tensor({B, Tq, Hkv, hd}, 71), v = dapt_test::uniform_tensor({B, Tq, Hkv, hd}, 72);
  const Tensor<Cpu> kc0 = dapt_test::uniform_tensor({B, S, Hkv, hd}, 73), vc0 = dapt_test::uniform_tensor({B, S, Hkv, hd}, 74);
  Tensor<Cpu> kc = kc0.clone(), vc = vc0.clone();
  const std::vector<std::int32_t> lengths{0, 4, 7};  // row 2 fills the cache
  const Tensor<Cpu> past = i32_tensor({B}, lengths);
  dapt::ops::kv_append(k.view(), v.view(), kc.view(), vc.view(), past.view());
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t s = 0; s < S; ++s)
      for (std::int64_t e = 0; e < row; ++e) {
        const std::int64_t t = s - lengths[static_cast<std::size_t>(b)];
        const bool fresh = t >= 0 && t < Tq;
        const std::int64_t at = (b * S + s) * row + e, from = (b * Tq + t) * row + e;
        INFO("row " << b << " position " << s << " element " << e);
        REQUIRE(kc.data<float>()[at] == (fresh ? k.data<float>()[from] : kc0.data<float>()[at]));
        REQUIRE(vc.data<float>()[at] == (fresh ? v.data<float>()[from] : vc0.data<float>()[at]));
      }

  // A row that would overflow, or a negative length: kOutOfRange, and nothing is written.
  Tensor<Cpu> kc1 = kc0.clone();
  const Tensor<Cpu> over = i32_tensor({B}, {0, 8, 0}), neg = i32_tensor({B}, {0, 0, -1});
  REQUIRE_DAPT_ERROR(dapt::ops::kv_append(k.view(), v.view(), kc1.view(), vc.view(), over.view()), kOutOfRange,
                     "past[1] = 8 with 3 new tokens does not fit the cache capacity S = 10");
  REQUIRE_DAPT_ERROR(dapt::ops::kv_append(k.view(), v.view(), kc1.view(), vc.view(), neg.view()), kOutOfRange,
                     "past[2] = -1");
  REQUIRE(std::equal(kc1.data<float>(), kc1.data<float>() + kc1.numel(), kc0.data<float>()));

  // Shapes and aliasing, by argument name.
  const Tensor<Cpu> v_bad = dapt_test::uniform_tensor({B, Tq, Hkv, hd + 1}, 75), kc_bad = dapt_test::uniform_tensor({B, S, Hkv + 1, hd}, 76);
  REQUIRE_DAPT_ERROR(dapt::ops::kv_append(k.view(), v_bad.view(), kc.view(), vc.view(), past.view()), kShape,
                     "v has shape (3, 3, 2, 5)");
  REQUIRE_DAPT_ERROR(dapt::ops::kv_append(k.view(), v.view(), kc_bad.view(), vc.view(), past.view()), kShape,
                     "k_cache has shape (3, 10, 3, 4)");
  REQUIRE_DAPT_ERROR(dapt::ops::kv_append(k.view(), v.view(), kc.view(), kc_bad.view(), past.view()), kShape,
                     "v_cache has shape (3, 10, 3, 4)");
  const Tensor<Cpu> past2 = i32_tensor({2}, {0, 0});
  REQUIRE_DAPT_ERROR(dapt::ops::kv_append(k.view(), v.view(), kc.view(), vc.view(), past2.view()), kShape,
                     "past has shape (2)");
  const Tensor<Cpu> tiny = dapt_test::uniform_tensor({B, 2, Hkv, hd}, 77);
  REQUIRE_DAPT_ERROR(dapt::ops::kv_append(k.view(), v.view(), tiny.view(), tiny.clone().view(), past.view()), kShape,
                     "more than the cache capacity S = 2");
  REQUIRE_DAPT_ERROR(dapt::ops::kv_append(k.view(), v.view(), kc.view(), kc.view(), past.view()), kInvalidArgument,
                     "k_cache overlaps v_cache");
  const Tensor<Cpu> past_f = dapt_test::uniform_tensor({B}, 78);
  REQUIRE_DAPT_ERROR(dapt::ops::kv_append(k.view(), v.view(), kc.view(), vc.view(), past_f.view()), kDtype,
                     "past must be I32");
}
