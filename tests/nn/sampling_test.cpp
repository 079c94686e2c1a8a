/// @file sampling_test.cpp
/// @brief Token sampling: greedy argmax and its ties, the repetition penalty rule of transformers,
/// top-k (with ties), top-p on known probabilities and after top-k, the distribution of plain
/// temperature sampling against softmax(logits / T) by a chi-square test that a wrong temperature
/// fails, reproducibility from the seed, and the errors.
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "dapt/nn/sampling.hpp"
#include "dapt_catch.hpp"

using dapt::nn::SamplingOptions;
using dapt::nn::Sampler;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

/// Counts of `draws` samples from a fresh copy of `logits` each time.
std::vector<int> histogram(Sampler& s, const std::vector<float>& logits, int draws) {
  std::vector<int> counts(logits.size(), 0);
  std::vector<float> row;
  for (int i = 0; i < draws; ++i) {
    row = logits;
    const std::int32_t t = s.sample(row);
    REQUIRE(t >= 0);
    REQUIRE(static_cast<std::size_t>(t) < logits.size());
    ++counts[static_cast<std::size_t>(t)];
  }
  return counts;
}

std::vector<double> softmax(const std::vector<float>& logits, double t) {
  double m = -1e300, z = 0.0;
  for (float l : logits) m = std::max(m, static_cast<double>(l));
  std::vector<double> p;
  for (float l : logits) p.push_back(std::exp((l - m) / t));
  for (double v : p) z += v;
  for (double& v : p) v /= z;
  return p;
}

double chi_square(const std::vector<int>& counts, const std::vector<double>& p, int n) {
  double chi2 = 0.0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double e = p[i] * n;
    chi2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi2;
}

SamplingOptions opts(float temperature, int top_k = 0, float top_p = 1.0f, float penalty = 1.0f) {
  SamplingOptions o;
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  o.repetition_penalty = penalty;
  return o;
}

}  // namespace

TEST_CASE("greedy sampling is argmax, lowest id among ties", "[nn][sampling]") {
  const std::vector<float> logits{1.0f, 5.0f, 5.0f, 2.0f, -kInf};
  CHECK(dapt::nn::argmax_token(logits) == 1);
  SamplingOptions g;
  g.greedy = true;
  Sampler greedy(g, 7);
  std::vector<float> row = logits;
  CHECK(greedy.sample(row) == 1);
  Sampler zero_t(opts(0.0f), 7);
  row = logits;
  CHECK(zero_t.sample(row) == 1);
  CHECK(greedy.rng().counter() == 0);  // no random draw for a greedy token
  CHECK(zero_t.rng().counter() == 0);
  // torch.argmax of an all -inf row is 0.
  std::vector<float> masked{-kInf, -kInf, -kInf};
  CHECK(greedy.sample(masked) == 0);
  CHECK(dapt::nn::argmax_token(masked) == 0);
}

TEST_CASE("repetition penalty follows transformers' rule", "[nn][sampling]") {
  // Positive logits are divided, negative multiplied, zero stays; each distinct id once.
  std::vector<float> logits{2.0f, -2.0f, 1.0f, -1.0f, 0.5f, 0.0f};
  const std::vector<std::int32_t> context{0, 1, 1, 3, 5, 0, 1};
  dapt::nn::apply_repetition_penalty(logits, context, 2.0f);
  CHECK(logits == std::vector<float>{1.0f, -4.0f, 1.0f, -2.0f, 0.5f, 0.0f});
  // A penalty below 1 rewards repetition with the same rule.
  std::vector<float> reward{2.0f, -2.0f, 1.0f};
  dapt::nn::apply_repetition_penalty(reward, std::vector<std::int32_t>{0, 1, 0}, 0.5f);
  CHECK(reward == std::vector<float>{4.0f, -1.0f, 1.0f});

  // In the Sampler: applied in place, before the argmax, and repeatedly consistent (the bitmap
  // is cleared between calls, so a repeated id is penalised once on every call).
  SamplingOptions g = opts(1.0f, 0, 1.0f, 2.0f);
  g.greedy = true;
  Sampler s(g, 1);
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<float> row{3.0f, 2.5f, -1.0f};
    const std::vector<std::int32_t> ctx{0, 0, 2};
    CHECK(s.sample(row, ctx) == 1);  // 3 / 2 = 1.5 < 2.5
    CHECK(row == std::vector<float>{1.5f, 2.5f, -2.0f});
  }
  // Sampling too: penalised by 1000, the favourite's logit 8 becomes 0.008, so its probability
  // drops from 0.9993 to e^0.008 / (e^0.008 + 2) = 0.336 (200 draws: mean 67, sd 6.7).
  Sampler sp(opts(1.0f, 0, 1.0f, 1000.0f), 3);
  int picked_zero = 0;
  for (int i = 0; i < 200; ++i) {
    std::vector<float> row{8.0f, 0.0f, 0.0f};
    picked_zero += sp.sample(row, std::vector<std::int32_t>{0}) == 0;
  }
  CHECK(picked_zero > 40);
  CHECK(picked_zero < 95);
}

TEST_CASE("top-k = 1 is greedy and top-k keeps only the k largest", "[nn][sampling]") {
  dapt::Rng gen(99);
  Sampler k1(opts(1.5f, 1), 5);
  for (int i = 0; i < 200; ++i) {
    std::vector<float> row(50);
    for (float& v : row) v = gen.normal();
    const auto expected = dapt::nn::argmax_token(row);
    CHECK(k1.sample(row) == expected);
  }
  CHECK(k1.rng().counter() == 400);  // one uniform_double (two words) per sampled token

  // Distinct logits: only ids 7, 2 and 4 (the three largest) ever appear, and all of them do.
  const std::vector<float> logits{0.1f, -0.3f, 1.9f, 0.0f, 1.7f, -2.0f, 0.4f, 2.0f, 1.1f, 0.3f};
  Sampler k3(opts(1.0f, 3), 11);
  const auto counts = histogram(k3, logits, 5000);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    INFO("id " << i);
    if (i == 7 || i == 2 || i == 4) CHECK(counts[i] > 0);
    else CHECK(counts[i] == 0);
  }
  // Ties at the k-th value are kept, as transformers' TopKLogitsWarper (scores < k-th are removed).
  Sampler k2(opts(1.0f, 2), 12);
  const auto tie = histogram(k2, {1.0f, 3.0f, 3.0f, 3.0f, 0.0f}, 3000);
  CHECK(tie[0] == 0);
  CHECK(tie[4] == 0);
  CHECK((tie[1] > 0 && tie[2] > 0 && tie[3] > 0));
  // k >= vocabulary disables the filter.
  Sampler big(opts(1.0f, 100), 13);
  const auto all = histogram(big, {0.0f, 0.0f, 0.0f}, 300);
  CHECK((all[0] > 0 && all[1] > 0 && all[2] > 0));
}

TEST_CASE("top-p keeps exactly the nucleus", "[nn][sampling]") {
  // Probabilities 0.5 (id 2), 0.3 (id 0), 0.15 (id 3), 0.05 (id 1).
  const std::vector<float> logits{std::log(0.3f), std::log(0.05f), std::log(0.5f), std::log(0.15f)};
  constexpr int kDraws = 20000;
  {
    Sampler s(opts(1.0f, 0, 0.75f), 21);  // 0.5 < 0.75 <= 0.8: ids 2 and 0
    const auto c = histogram(s, logits, kDraws);
    CHECK(c[1] == 0);
    CHECK(c[3] == 0);
    // Renormalised over the nucleus: 0.625 and 0.375 (sd of the estimate ~0.0034).
    CHECK(static_cast<double>(c[2]) / kDraws == Approx(0.625).margin(0.015));
    CHECK(static_cast<double>(c[0]) / kDraws == Approx(0.375).margin(0.015));
  }
  {
    Sampler s(opts(1.0f, 0, 0.85f), 22);  // 0.8 < 0.85 <= 0.95: ids 2, 0 and 3
    const auto c = histogram(s, logits, kDraws);
    CHECK(c[1] == 0);
    CHECK((c[0] > 0 && c[2] > 0 && c[3] > 0));
    CHECK(static_cast<double>(c[3]) / kDraws == Approx(0.15 / 0.95).margin(0.015));
  }
  {
    Sampler s(opts(1.0f, 0, 0.4f), 23);  // the top token alone already reaches 0.4
    const auto c = histogram(s, logits, 500);
    CHECK(c[2] == 500);
  }
  {
    // top-p applies to the top-k survivors, renormalised: with k = 2 they are 0.625 and 0.375,
    // so top_p = 0.6 keeps only id 2; without top-k, 0.6 needs ids 2 and 0.
    Sampler with_k(opts(1.0f, 2, 0.6f), 24);
    CHECK(histogram(with_k, logits, 500)[2] == 500);
    Sampler without_k(opts(1.0f, 0, 0.6f), 24);
    const auto c = histogram(without_k, logits, 2000);
    CHECK((c[2] > 0 && c[0] > 0));
    CHECK(c[1] + c[3] == 0);
  }
  {
    // The nucleus is taken at the sampling temperature: at T = 0.5 the probabilities are
    // 0.25, 0.09, 0.0225, 0.0025 over 0.365 (0.685, 0.247, ...), so top_p = 0.6 keeps id 2 alone.
    Sampler cold(opts(0.5f, 0, 0.6f), 25);
    CHECK(histogram(cold, logits, 500)[2] == 500);
  }
}

TEST_CASE("temperature sampling matches softmax(logits / T)", "[nn][sampling]") {
  const std::vector<float> logits{1.0f, 0.5f, 0.0f, -0.5f, 2.0f, -1.0f};
  constexpr int kDraws = 20000;
  // Chi-square with 5 degrees of freedom: P(chi2 > 20.52) = 0.001 under the right distribution.
  constexpr double kCritical = 20.52;
  for (float t : {0.7f, 1.0f, 1.8f}) {
    INFO("T = " << t);
    Sampler s(opts(t), 1234);
    const auto counts = histogram(s, logits, kDraws);
    const double right = chi_square(counts, softmax(logits, t), kDraws);
    CHECK(right < kCritical);
    // The test has power: the same counts are far from the distribution of a wrong temperature.
    CHECK(chi_square(counts, softmax(logits, t * 1.25), kDraws) > 5 * kCritical);
    CHECK(chi_square(counts, softmax(logits, t / 1.25), kDraws) > 5 * kCritical);
  }
  // Masked (-inf) tokens are never drawn.
  Sampler s(opts(1.0f), 77);
  const auto c = histogram(s, {0.0f, -kInf, 0.0f, -kInf}, 2000);
  CHECK(c[1] + c[3] == 0);
  CHECK(c[0] + c[2] == 2000);
}

TEST_CASE("sampling is reproducible from the seed", "[nn][sampling]") {
  const std::vector<float> logits{0.2f, 0.1f, 0.0f, -0.1f, 0.3f, 0.05f, -0.2f, 0.15f};
  const SamplingOptions o = opts(1.0f, 6, 0.95f, 1.3f);
  const auto run = [&](Sampler& s, int n) {
    std::vector<std::int32_t> out;
    std::vector<float> row;
    for (int i = 0; i < n; ++i) {
      row = logits;
      out.push_back(s.sample(row, out));
    }
    return out;
  };
  Sampler a(o, 42), b(o, 42), c(o, 43);
  const auto sa = run(a, 100);
  CHECK(sa == run(b, 100));
  CHECK(sa != run(c, 100));
  // Resuming from a saved RNG state continues the same sequence.
  Sampler d(o, 42);
  (void)run(d, 10);
  const auto state = d.rng().state();
  const auto next = run(d, 5);
  Sampler e(o, 0);
  e.rng() = dapt::Rng::from_state(state);
  CHECK(run(e, 5) == next);
  // A larger vocabulary after a smaller one grows the scratch and still works.
  std::vector<float> big(1000, 0.0f), small{1.0f, 2.0f};
  big[500] = 50.0f;
  Sampler g(opts(1.0f), 5);
  CHECK(g.sample(small) >= 0);
  CHECK(g.sample(big) == 500);
  CHECK(g.sample(small) >= 0);
}

TEST_CASE("sampling rejects invalid options and non-finite logits", "[nn][sampling]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_DAPT_ERROR(Sampler(opts(-0.5f)), kInvalidArgument, "temperature");
  REQUIRE_DAPT_ERROR(Sampler(opts(nan)), kInvalidArgument, "temperature");
  REQUIRE_DAPT_ERROR(Sampler(opts(kInf)), kInvalidArgument, "temperature");
  REQUIRE_DAPT_ERROR(Sampler(opts(1.0f, -1)), kInvalidArgument, "top_k");
  REQUIRE_DAPT_ERROR(Sampler(opts(1.0f, 0, 0.0f)), kInvalidArgument, "top_p");
  REQUIRE_DAPT_ERROR(Sampler(opts(1.0f, 0, 1.5f)), kInvalidArgument, "top_p");
  REQUIRE_DAPT_ERROR(Sampler(opts(1.0f, 0, nan)), kInvalidArgument, "top_p");
  REQUIRE_DAPT_ERROR(Sampler(opts(1.0f, 0, 1.0f, 0.0f)), kInvalidArgument, "repetition_penalty");
  REQUIRE_DAPT_ERROR(Sampler(opts(1.0f, 0, 1.0f, -1.0f)), kInvalidArgument, "repetition_penalty");
  REQUIRE_DAPT_ERROR(Sampler(opts(1.0f, 0, 1.0f, nan)), kInvalidArgument, "repetition_penalty");
  std::vector<float> r0{1.0f};
  REQUIRE_DAPT_ERROR(dapt::nn::apply_repetition_penalty(r0, std::vector<std::int32_t>{0}, 0.0f), kInvalidArgument,
                     "penalty");

  Sampler s(opts(0.8f, 5, 0.9f), 1);
  REQUIRE_DAPT_ERROR(s.set_options(opts(0.8f, 5, 2.0f)), kInvalidArgument, "top_p");
  CHECK(s.options().top_p == 0.9f);  // unchanged

  std::vector<float> with_nan{0.0f, nan, 1.0f};
  REQUIRE_DAPT_ERROR(s.sample(with_nan), kNumeric, "logit 1 is NaN");
  std::vector<float> with_inf{0.0f, 1.0f, kInf};
  REQUIRE_DAPT_ERROR(s.sample(with_inf), kNumeric, "logit 2 is +inf");
  std::vector<float> all_masked{-kInf, -kInf};
  REQUIRE_DAPT_ERROR(s.sample(all_masked), kNumeric, "every logit is -inf");
  std::vector<float> empty;
  REQUIRE_DAPT_ERROR(s.sample(empty), kInvalidArgument, "empty");
  std::vector<float> ok{0.0f, 1.0f};
  REQUIRE_DAPT_ERROR(s.sample(ok, std::vector<std::int32_t>{1, 2}), kOutOfRange, "context[1] = 2");
  REQUIRE_DAPT_ERROR(s.sample(ok, std::vector<std::int32_t>{-1}), kOutOfRange, "context[0] = -1");
  std::vector<float> nan_greedy{nan};
  REQUIRE_DAPT_ERROR(dapt::nn::argmax_token(nan_greedy), kNumeric, "NaN");
  SamplingOptions g;
  g.greedy = true;
  Sampler greedy(g);
  REQUIRE_DAPT_ERROR(greedy.sample(nan_greedy), kNumeric, "NaN");
}
