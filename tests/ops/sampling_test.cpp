// Tests of ops::sample_tokens and ops::append_tokens on the CPU: every row's token equals
// nn::Sampler's with the same draw (rows read through a column slice of wider logits, contexts of
// different lengths in a padded matrix), Sampler::sample_with_draw against sample, the append's
// counting and its refusal of a full row, and the errors of bad operands.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "dapt/nn/sampling.hpp"
#include "dapt/ops/sampling.hpp"
#include "dapt_catch.hpp"

namespace {

using dapt::Cpu;
using dapt::DType;
using dapt::Rng;
using dapt::Tensor;
using dapt::TensorView;
using dapt::nn::Sampler;
using dapt::nn::SamplingOptions;

constexpr std::int64_t kRows = 6, kVocab = 301, kWidth = 320, kCapacity = 14;

struct LogitBatch {
  Tensor<Cpu> logits;   // (kRows, kWidth); the columns past kVocab are huge, never to be picked
  Tensor<Cpu> context;  // (kRows, kCapacity)
  Tensor<Cpu> lengths;  // (kRows)
};

/// Logits in [-3, 3) quantised to 0.25 (ties at the top-k threshold and in the top-p order), ids
/// of contexts drawn from the first 40 (repeats), lengths 0 .. kCapacity, padding of the context
/// rows poisoned with an id outside the vocabulary (reading it would make the row fail).
LogitBatch make_batch(std::uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> logit(-3.0f, 3.0f);
  std::uniform_int_distribution<std::int32_t> id(0, 39), len(0, kCapacity);
  LogitBatch b{Tensor<Cpu>::empty({kRows, kWidth}, DType::kF32), Tensor<Cpu>::empty({kRows, kCapacity}, DType::kI32),
          Tensor<Cpu>::empty({kRows}, DType::kI32)};
  for (std::int64_t r = 0; r < kRows; ++r) {
    for (std::int64_t i = 0; i < kWidth; ++i)
      b.logits.data<float>()[r * kWidth + i] = i < kVocab ? std::round(logit(g) * 4.0f) / 4.0f : 50.0f;
    const std::int32_t n = r == 0 ? 0 : r == 1 ? static_cast<std::int32_t>(kCapacity) : len(g);
    b.lengths.data<std::int32_t>()[r] = n;
    for (std::int64_t j = 0; j < kCapacity; ++j)
      b.context.data<std::int32_t>()[r * kCapacity + j] = j < n ? id(g) : static_cast<std::int32_t>(kWidth + 7);
  }
  return b;
}

/// The Sampler's tokens, row after row with one Sampler, and the draw it took for each row.
std::vector<std::int32_t> sampler_tokens(const LogitBatch& b, const SamplingOptions& o, std::uint64_t seed,
                                         std::vector<double>& draws) {
  Sampler s(o, seed);
  std::vector<std::int32_t> out;
  draws.clear();
  for (std::int64_t r = 0; r < kRows; ++r) {
    Rng probe = s.rng();
    draws.push_back(dapt::nn::draws_uniform(o) ? probe.uniform_double() : 0.0);
    std::vector<float> row(b.logits.data<float>() + r * kWidth, b.logits.data<float>() + r * kWidth + kVocab);
    const std::int32_t* c = b.context.data<std::int32_t>() + r * kCapacity;
    out.push_back(s.sample(row, std::span<const std::int32_t>(c, static_cast<std::size_t>(b.lengths.data<std::int32_t>()[r]))));
  }
  return out;
}

std::vector<std::int32_t> op_tokens(const LogitBatch& b, const SamplingOptions& o, std::vector<double> draws) {
  std::vector<std::int32_t> out(kRows, -7);
  dapt::ops::sample_tokens(b.logits.view().slice(1, 0, kVocab), b.context.view(), b.lengths.view(), o,
                           TensorView<Cpu>(draws.data(), DType::kF64, {kRows}),
                           TensorView<Cpu>(out.data(), DType::kI32, {kRows}));
  return out;
}

SamplingOptions options(float temperature, int top_k, float top_p, float penalty, bool greedy = false) {
  return {.temperature = temperature, .top_k = top_k, .top_p = top_p, .repetition_penalty = penalty, .greedy = greedy};
}

}  // namespace

TEST_CASE("sample_tokens picks nn::Sampler's token for every row with the same draws", "[ops][sampling]") {
  const std::vector<SamplingOptions> all = {
      options(1.0f, 0, 1.0f, 1.0f, true), options(0.0f, 0, 1.0f, 1.4f), options(1.0f, 0, 1.0f, 1.0f),
      options(0.7f, 0, 1.0f, 1.3f),       options(1.0f, 1, 1.0f, 1.0f), options(1.2f, 9, 1.0f, 1.0f),
      options(1.0f, 0, 0.6f, 1.0f),       options(0.8f, 40, 0.85f, 1.2f), options(2.0f, 3, 0.95f, 2.0f)};
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    const LogitBatch b = make_batch(seed);
    for (const auto& o : all) {
      INFO("seed " << seed << ", temperature " << o.temperature << ", top_k " << o.top_k << ", top_p " << o.top_p
                   << ", penalty " << o.repetition_penalty);
      std::vector<double> draws;
      const auto want = sampler_tokens(b, o, seed * 11, draws);
      const auto got = op_tokens(b, o, draws);
      CHECK(got == want);
      for (auto t : got) CHECK((t >= 0 && t < kVocab));  // never a column past the slice
    }
  }
  // The draws matter: u near 0 and near 1 pick different tokens of a flat row.
  const LogitBatch b = make_batch(9);
  const auto low = op_tokens(b, options(1.0f, 0, 1.0f, 1.0f), std::vector<double>(kRows, 0.001));
  const auto high = op_tokens(b, options(1.0f, 0, 1.0f, 1.0f), std::vector<double>(kRows, 0.999));
  for (std::int64_t r = 0; r < kRows; ++r) CHECK(low[static_cast<std::size_t>(r)] < high[static_cast<std::size_t>(r)]);
}

TEST_CASE("Sampler::sample_with_draw is sample with the draw given, and leaves the Rng alone", "[ops][sampling]") {
  std::mt19937 g(5);
  std::uniform_real_distribution<float> logit(-2.0f, 2.0f);
  std::vector<float> logits(500);
  for (auto& l : logits) l = logit(g);
  const std::vector<std::int32_t> context = {3, 3, 17, 250};
  Sampler a(options(0.9f, 50, 0.9f, 1.2f), 77), b(options(0.9f, 50, 0.9f, 1.2f), 77);
  for (int i = 0; i < 20; ++i) {
    Rng probe = a.rng();
    const double u = probe.uniform_double();
    std::vector<float> ra = logits, rb = logits;
    const auto before = b.rng().state();
    CHECK(b.sample_with_draw(rb, context, u) == a.sample(ra, context));
    CHECK(b.rng().state() == before);
    CHECK(ra == rb);  // both wrote the penalised logits back
    b.rng() = a.rng();
  }
}

TEST_CASE("append_tokens writes each row's next slot and counts it, and refuses a full row", "[ops][sampling]") {
  auto context = Tensor<Cpu>::zeros({3, 4}, DType::kI32);
  std::vector<std::int32_t> lengths = {0, 2, 3}, tokens = {7, 8, 9};
  const TensorView<Cpu> len(lengths.data(), DType::kI32, {3}), tok(tokens.data(), DType::kI32, {3});
  dapt::ops::append_tokens(tok, context.view(), len);
  CHECK(lengths == std::vector<std::int32_t>{1, 3, 4});
  const auto* c = context.data<std::int32_t>();
  CHECK(std::vector<std::int32_t>(c, c + 12) == std::vector<std::int32_t>{7, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 9});
  // Row 2 is full now: nothing is written, not even to the rows with room.
  REQUIRE_DAPT_ERROR(dapt::ops::append_tokens(tok, context.view(), len), kOutOfRange, "row 2 holds 4 ids, capacity 4");
  CHECK(lengths == std::vector<std::int32_t>{1, 3, 4});
  CHECK(c[1] == 0);
  lengths = {-1, 0, 0};
  REQUIRE_DAPT_ERROR(dapt::ops::append_tokens(tok, context.view(), len), kOutOfRange, "row 0 holds -1 ids");
  std::vector<std::int32_t> two = {1, 2};
  REQUIRE_DAPT_ERROR(dapt::ops::append_tokens(TensorView<Cpu>(two.data(), DType::kI32, {2}), context.view(), len),
                     kShape, "context must be (R, C) with R = 2");
  REQUIRE_DAPT_ERROR(dapt::ops::append_tokens(tok, context.view(), tok), kInvalidArgument, "overlaps");
}

TEST_CASE("sample_tokens names what is wrong with its operands and rows", "[ops][sampling]") {
  LogitBatch b = make_batch(4);
  std::vector<double> draws(kRows, 0.5);
  std::vector<std::int32_t> out(kRows);
  const TensorView<Cpu> u(draws.data(), DType::kF64, {kRows}), o(out.data(), DType::kI32, {kRows});
  const TensorView<Cpu> logits = b.logits.view().slice(1, 0, kVocab);
  const SamplingOptions plain = options(1.0f, 0, 1.0f, 1.1f);
  using dapt::ops::sample_tokens;
  REQUIRE_DAPT_ERROR(sample_tokens(logits, b.context.view(), b.lengths.view(), options(-1.0f, 0, 1.0f, 1.0f), u, o),
                     kInvalidArgument, "temperature");
  REQUIRE_DAPT_ERROR(sample_tokens(b.logits.view().reshape({kRows * kWidth}), b.context.view(), b.lengths.view(), plain,
                                   u, o),
                     kShape, "logits must be (R, V)");
  // Rows that overlap (a stride shorter than the row) and columns that are not contiguous.
  const TensorView<Cpu> overlapping(b.logits.raw(), DType::kF32, {kRows, kVocab}, {100, 1});
  REQUIRE_DAPT_ERROR(sample_tokens(overlapping, b.context.view(), b.lengths.view(), plain, u, o), kShape,
                     "rows must be contiguous and must not overlap");
  REQUIRE_DAPT_ERROR(sample_tokens(b.logits.view().slice(0, 0, 2).transpose(0, 1), b.context.view(), b.lengths.view(),
                                   plain, u, o),
                     kShape, "rows must be contiguous");
  REQUIRE_DAPT_ERROR(sample_tokens(logits, b.context.view().slice(0, 0, 2), b.lengths.view(), plain, u, o), kShape,
                     "context must be (R, C) with R = 6");
  REQUIRE_DAPT_ERROR(sample_tokens(logits, b.context.view(), b.lengths.view(), plain, o, o), kDtype, "u must be F64");
  REQUIRE_DAPT_ERROR(sample_tokens(logits, b.context.view(), b.lengths.view(), plain, u, u), kDtype, "out must be I32");
  REQUIRE_DAPT_ERROR(sample_tokens(logits, b.context.view(), b.lengths.view(), plain, u, b.lengths.view()),
                     kInvalidArgument, "out overlaps lengths");
  b.lengths.data<std::int32_t>()[3] = kCapacity + 1;
  REQUIRE_DAPT_ERROR(sample_tokens(logits, b.context.view(), b.lengths.view(), plain, u, o), kOutOfRange,
                     "lengths[3] = 15 is outside [0, 14]");
  // A context id outside the sampled columns.
  b.lengths.data<std::int32_t>()[3] = kCapacity;
  std::fill_n(b.context.data<std::int32_t>() + 3 * kCapacity, kCapacity, 2);
  b.context.data<std::int32_t>()[3 * kCapacity + 5] = static_cast<std::int32_t>(kVocab);
  REQUIRE_DAPT_ERROR(sample_tokens(logits, b.context.view(), b.lengths.view(), plain, u, o), kOutOfRange,
                     "row 3: Sampler::sample: context[5] = 301 is outside the vocabulary of 301");
  b = make_batch(4);
  b.logits.data<float>()[2 * kWidth + 17] = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_DAPT_ERROR(sample_tokens(b.logits.view().slice(1, 0, kVocab), b.context.view(), b.lengths.view(), plain, u, o),
                     kNumeric, "row 2: Sampler::sample: logit 17 is NaN");
}
