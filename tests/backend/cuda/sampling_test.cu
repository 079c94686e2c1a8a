/// @file sampling_test.cu
/// @brief cuda::sample_tokens / sample_token against nn::Sampler, token for token: for every row
/// the CPU Sampler's own next `uniform_double()` is read from a copy of its Rng and handed to the
/// device, so both draw the same u. Greedy and temperature 0, plain sampling, top-k (ties at the
/// k-th value kept), top-p (the full sort of a 50,000 and a 128,256 vocabulary), all combined with
/// temperature and a repetition penalty over contexts with repeated ids, on vocabularies of 419
/// and 50,000, fp32 and bf16 logits, random and tie-heavy (quantised) logits; then u = 0, -inf
/// masks, and the rows the CPU rejects (NaN, +inf, all -inf, a context id out of range). Then the
/// `ops::sample_tokens` / `ops::append_tokens` facades on Tensor<Cuda> against the same calls on
/// the CPU: logits read through a column slice, contexts in a padded matrix with lengths.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "dapt/backend/cuda/sampling.cuh"
#include "dapt/nn/sampling.hpp"
#include "dapt/ops/sampling.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_sampling_test {

namespace {

using dapt::bf16;
using dapt::nn::SamplingOptions;
using namespace dapt_gpu_test;

constexpr float kInf = std::numeric_limits<float>::infinity();


/// Rows of logits with their contexts (CSR), as the test builds them.
struct Batch {
  std::int64_t rows = 0, vocab = 0;
  std::vector<float> logits;            // (rows, vocab), already rounded to T
  std::vector<std::int32_t> context;    // concatenated
  std::vector<std::int64_t> offsets;    // (rows + 1,)
  std::span<const float> row(std::int64_t r) const {
    return std::span<const float>(logits).subspan(static_cast<std::size_t>(r * vocab), static_cast<std::size_t>(vocab));
  }
  std::span<const std::int32_t> ctx(std::int64_t r) const {
    const auto lo = static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]);
    const auto hi = static_cast<std::size_t>(offsets[static_cast<std::size_t>(r) + 1]);
    return std::span<const std::int32_t>(context).subspan(lo, hi - lo);
  }
};

/// `rows` rows of logits in [-4, 4) (quantised to steps of 0.5 when `ties`, so the top-k
/// threshold and the top-p order meet many equal logits), rounded to T, with contexts of 0..40
/// ids drawn from the first 60 ids (many repeats; both signs of logits get penalised).
template <class T>
Batch make_batch(std::int64_t rows, std::int64_t vocab, bool ties, std::uint64_t salt) {
  auto g = rng(salt);
  Batch b;
  b.rows = rows;
  b.vocab = vocab;
  b.logits = uniform(g, static_cast<std::size_t>(rows * vocab), -4.0f, 4.0f);
  if (ties)
    for (auto& l : b.logits) l = std::round(l * 2.0f) / 2.0f;
  if constexpr (std::is_same_v<T, bf16>) b.logits = round_bf16(std::move(b.logits));
  std::uniform_int_distribution<int> len(0, 40);
  std::uniform_int_distribution<std::int32_t> id(0, static_cast<std::int32_t>(std::min<std::int64_t>(vocab, 60) - 1));
  b.offsets.push_back(0);
  for (std::int64_t r = 0; r < rows; ++r) {
    const int n = len(g);
    for (int i = 0; i < n; ++i) b.context.push_back(id(g));
    b.offsets.push_back(static_cast<std::int64_t>(b.context.size()));
  }
  return b;
}

/// The CPU's tokens for every row (nn::kInvalidToken where it throws) and the draws it used: each
/// row's u is the next uniform_double() of the Sampler's Rng, read from a copy beforehand.
std::vector<std::int32_t> cpu_tokens(const Batch& b, const SamplingOptions& o, std::uint64_t seed,
                                     std::vector<double>& draws) {
  dapt::nn::Sampler sampler(o, seed);
  std::vector<std::int32_t> tokens(static_cast<std::size_t>(b.rows));
  draws.assign(static_cast<std::size_t>(b.rows), 0.0);
  for (std::int64_t r = 0; r < b.rows; ++r) {
    dapt::Rng probe = sampler.rng();
    draws[static_cast<std::size_t>(r)] = probe.uniform_double();
    std::vector<float> row(b.row(r).begin(), b.row(r).end());
    try {
      tokens[static_cast<std::size_t>(r)] = sampler.sample(row, b.ctx(r));
    } catch (const dapt::Error&) {
      tokens[static_cast<std::size_t>(r)] = dapt::nn::kInvalidToken;
    }
  }
  return tokens;
}

/// The device's tokens for the batch with the given draws (sample_tokens), poisoned first.
template <class T>
std::vector<std::int32_t> gpu_tokens(const Batch& b, const SamplingOptions& o, const std::vector<double>& draws) {
  DeviceBuffer<T> logits(b.logits);
  DeviceBuffer<std::int32_t> context(b.context), tokens(std::vector<std::int32_t>(static_cast<std::size_t>(b.rows)));
  DeviceBuffer<std::int64_t> offsets(b.offsets);
  DeviceBuffer<double> u(draws);
  tokens.poison(0x7f);
  dapt::cuda::sample_tokens(logits.get(), b.rows, b.vocab, context.get(), offsets.get(), o, u.get(), tokens.get());
  return tokens.read();
}

template <class T>
void check_against_cpu(const Batch& b, const SamplingOptions& o, std::uint64_t seed, const char* what) {
  INFO((std::is_same_v<T, bf16> ? "bf16" : "fp32")
       << " " << what << ": vocab " << b.vocab << ", temperature " << o.temperature << ", top_k " << o.top_k
       << ", top_p " << o.top_p << ", penalty " << o.repetition_penalty << (o.greedy ? ", greedy" : "") << ", seed "
       << run_seed());
  std::vector<double> draws;
  const auto want = cpu_tokens(b, o, seed, draws);
  const auto got = gpu_tokens<T>(b, o, draws);
  std::size_t mismatches = 0;
  std::int64_t first = -1;
  for (std::size_t r = 0; r < want.size(); ++r)
    if (got[r] != want[r]) {
      if (first < 0) first = static_cast<std::int64_t>(r);
      ++mismatches;
    }
  INFO("first mismatch at row " << first << ": gpu " << (first >= 0 ? got[static_cast<std::size_t>(first)] : 0)
                                << ", cpu " << (first >= 0 ? want[static_cast<std::size_t>(first)] : 0) << ", u "
                                << (first >= 0 ? draws[static_cast<std::size_t>(first)] : 0.0));
  CHECK(mismatches == 0);
}

SamplingOptions options(float temperature, int top_k, float top_p, float penalty, bool greedy = false) {
  SamplingOptions o;
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  o.repetition_penalty = penalty;
  o.greedy = greedy;
  return o;
}

template <class T>
void check_all_options(std::int64_t vocab, std::uint64_t salt) {
  const std::int64_t rows = 48;
  for (bool ties : {false, true}) {
    const Batch b = make_batch<T>(rows, vocab, ties, salt + (ties ? 1 : 0));
    const char* what = ties ? "quantised logits" : "random logits";
    const std::uint64_t seed = salt * 7 + (ties ? 3 : 0);
    check_against_cpu<T>(b, options(1.0f, 0, 1.0f, 1.0f, true), seed, what);     // greedy
    check_against_cpu<T>(b, options(0.0f, 0, 1.0f, 1.3f), seed, what);           // temperature 0, penalty
    check_against_cpu<T>(b, options(1.0f, 0, 1.0f, 1.0f), seed, what);           // plain softmax
    check_against_cpu<T>(b, options(0.7f, 0, 1.0f, 1.2f), seed, what);           // temperature, penalty
    check_against_cpu<T>(b, options(1.0f, 1, 1.0f, 1.0f), seed, what);           // top-1 (all maxima kept)
    check_against_cpu<T>(b, options(1.0f, 5, 1.0f, 1.0f), seed, what);
    check_against_cpu<T>(b, options(1.3f, 50, 1.0f, 1.1f), seed, what);
    check_against_cpu<T>(b, options(1.0f, static_cast<int>(vocab - 1), 1.0f, 1.0f), seed, what);
    check_against_cpu<T>(b, options(1.0f, static_cast<int>(vocab), 1.0f, 1.0f), seed, what);  // disabled
    check_against_cpu<T>(b, options(1.0f, 0, 0.9f, 1.0f), seed, what);           // top-p over everything
    check_against_cpu<T>(b, options(0.5f, 0, 0.7f, 1.0f), seed, what);
    check_against_cpu<T>(b, options(1.0f, 0, 0.05f, 1.0f), seed, what);          // tiny nucleus
    check_against_cpu<T>(b, options(0.7f, 100, 0.8f, 1.2f), seed, what);         // all combined
    check_against_cpu<T>(b, options(2.0f, 3, 0.95f, 1.5f), seed, what);
  }
}

}  // namespace

TEST_CASE("gpu sampling: fp32 logits, every option, as nn::Sampler", "[gpu][sampling][long]") {
  check_all_options<float>(kVocab, 11);
  check_all_options<float>(50000, 13);
}

TEST_CASE("gpu sampling: bf16 logits, every option, as nn::Sampler", "[gpu][sampling][long]") {
  check_all_options<bf16>(kVocab, 21);
  check_all_options<bf16>(50000, 23);
}

TEST_CASE("gpu sampling: top-p over a 128,256 vocabulary (full sort)", "[gpu][sampling]") {
  const Batch b = make_batch<float>(6, 128256, false, 31);
  check_against_cpu<float>(b, options(1.0f, 0, 0.9f, 1.1f), 32, "large vocabulary");
  check_against_cpu<float>(b, options(0.8f, 40000, 0.6f, 1.0f), 33, "large vocabulary, large k");
}

TEST_CASE("gpu sampling: one row with a host draw (sample_token)", "[gpu][sampling]") {
  const Batch b = make_batch<float>(1, 50000, false, 41);
  DeviceBuffer<float> logits(b.logits);
  DeviceBuffer<std::int32_t> context(b.context), token(std::vector<std::int32_t>(1));
  const SamplingOptions o = options(0.9f, 200, 0.9f, 1.25f);
  dapt::nn::Sampler sampler(o, 42);
  for (int step = 0; step < 20; ++step) {
    INFO("step " << step);
    dapt::Rng probe = sampler.rng();
    const double u = probe.uniform_double();
    std::vector<float> row(b.logits);
    const auto want = sampler.sample(row, b.ctx(0));
    token.poison(0x7f);
    dapt::cuda::sample_token(logits.get(), b.vocab, context.get(), static_cast<std::int64_t>(b.context.size()), o, u,
                             token.get());
    CHECK(token.read()[0] == want);
  }
}

TEST_CASE("gpu sampling: u = 0 takes the first candidate, -inf masks, invalid rows", "[gpu][sampling]") {
  const std::int64_t vocab = 5000;
  Batch b = make_batch<float>(8, vocab, true, 51);
  std::fill(b.context.begin(), b.context.end(), 0);  // contexts only penalise id 0
  // Row 1: -inf everywhere but three ids; row 2: all -inf; row 3: a NaN; row 4: +inf;
  // row 5: the maximum masked to -inf; rows 0, 6, 7 plain.
  auto logit = [&](std::int64_t r, std::int64_t i) -> float& { return b.logits[static_cast<std::size_t>(r * vocab + i)]; };
  for (std::int64_t i = 0; i < vocab; ++i) logit(1, i) = -kInf;
  logit(1, 4321) = 1.0f;
  logit(1, 17) = 0.5f;
  logit(1, 2500) = 1.0f;
  for (std::int64_t i = 0; i < vocab; ++i) logit(2, i) = -kInf;
  logit(3, 1234) = std::numeric_limits<float>::quiet_NaN();
  logit(4, 4999) = kInf;
  for (std::int64_t i = 0; i < vocab; ++i)
    if (logit(5, i) == 4.0f) logit(5, i) = -kInf;

  // Against the CPU with its own draws: invalid rows give nn::kInvalidToken where the CPU throws.
  check_against_cpu<float>(b, options(1.0f, 0, 1.0f, 1.0f), 52, "masked rows");
  check_against_cpu<float>(b, options(1.0f, 7, 0.9f, 1.3f), 53, "masked rows");
  check_against_cpu<float>(b, options(1.0f, 1, 1.0f, 1.0f, true), 54, "masked rows, greedy");

  // u = 0: the first candidate of positive weight in the CPU's order.
  const std::vector<double> zeros(static_cast<std::size_t>(b.rows), 0.0);
  {
    // Without top-p, ids ascending: the lowest id that is finite and at least the k-th largest.
    const int k = 10;
    const auto got = gpu_tokens<float>(b, options(1.0f, k, 1.0f, 1.0f), zeros);
    for (std::int64_t r = 0; r < b.rows; ++r) {
      INFO("row " << r);
      std::vector<float> sorted(b.row(r).begin(), b.row(r).end());
      std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
      const float threshold = sorted[static_cast<std::size_t>(k - 1)];
      std::int32_t want = dapt::nn::kInvalidToken;
      if (r != 2 && r != 3 && r != 4)
        for (std::int64_t i = 0; i < vocab; ++i)
          if (b.row(r)[static_cast<std::size_t>(i)] >= threshold && b.row(r)[static_cast<std::size_t>(i)] != -kInf) {
            want = static_cast<std::int32_t>(i);
            break;
          }
      CHECK(got[static_cast<std::size_t>(r)] == want);
    }
  }
  {
    // With top-p, the most probable first: the argmax (lowest id among equal maxima).
    const auto got = gpu_tokens<float>(b, options(1.0f, 0, 0.9f, 1.0f), zeros);
    for (std::int64_t r = 0; r < b.rows; ++r) {
      INFO("row " << r);
      const std::int32_t want =
          r == 2 || r == 3 || r == 4 ? dapt::nn::kInvalidToken : dapt::nn::argmax_token(b.row(r));
      CHECK(got[static_cast<std::size_t>(r)] == want);
    }
  }

  // A context id outside the vocabulary makes the row invalid, as the CPU's kOutOfRange.
  Batch bad = make_batch<float>(2, kVocab, false, 55);
  bad.context = {3, static_cast<std::int32_t>(kVocab), 5, 7};
  bad.offsets = {0, 3, 4};
  check_against_cpu<float>(bad, options(1.0f, 0, 1.0f, 1.2f), 56, "context id out of range");
  const auto got = gpu_tokens<float>(bad, options(1.0f, 0, 1.0f, 1.2f), std::vector<double>(2, 0.5));
  CHECK(got[0] == dapt::nn::kInvalidToken);
  CHECK(got[1] != dapt::nn::kInvalidToken);
}

namespace {

/// The facades' operands of one batch: (rows, width) logits of which the first `vocab` columns
/// are sampled (the rest are 50, never to be picked), a (rows, capacity) context matrix whose
/// padding holds an id outside the vocabulary, lengths, and one draw per row.
struct FacadeBatch {
  std::int64_t rows = 0, vocab = 0, width = 0, capacity = 0;
  std::vector<float> logits;
  std::vector<std::int32_t> context, lengths;
  std::vector<double> draws;
};

template <class T>
FacadeBatch make_facade_batch(std::uint64_t salt) {
  auto g = rng(salt);
  FacadeBatch b;
  b.rows = 9;
  b.vocab = 5000;
  b.width = 5024;
  b.capacity = 33;
  b.logits = uniform(g, static_cast<std::size_t>(b.rows * b.width), -4.0f, 4.0f);
  for (std::int64_t r = 0; r < b.rows; ++r)
    for (std::int64_t i = 0; i < b.width; ++i) {
      float& l = b.logits[static_cast<std::size_t>(r * b.width + i)];
      l = i < b.vocab ? std::round(l * 2.0f) / 2.0f : 50.0f;
    }
  if constexpr (std::is_same_v<T, bf16>) b.logits = round_bf16(std::move(b.logits));
  std::uniform_int_distribution<std::int32_t> id(0, 59), len(0, static_cast<std::int32_t>(b.capacity));
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::int64_t r = 0; r < b.rows; ++r) {
    const std::int32_t n = r == 0 ? 0 : r == 1 ? static_cast<std::int32_t>(b.capacity) : len(g);
    b.lengths.push_back(n);
    for (std::int64_t j = 0; j < b.capacity; ++j) b.context.push_back(j < n ? id(g) : static_cast<std::int32_t>(b.vocab + 5));
    b.draws.push_back(u(g));
  }
  return b;
}

/// ops::sample_tokens on the CPU (fp32 logits, already rounded to T).
std::vector<std::int32_t> facade_cpu(FacadeBatch b, const SamplingOptions& o) {
  using dapt::Cpu;
  using dapt::DType;
  using dapt::TensorView;
  std::vector<std::int32_t> out(static_cast<std::size_t>(b.rows), -7);
  const TensorView<Cpu> logits(b.logits.data(), DType::kF32, {b.rows, b.width});
  dapt::ops::sample_tokens(logits.slice(1, 0, b.vocab), TensorView<Cpu>(b.context.data(), DType::kI32, {b.rows, b.capacity}),
                           TensorView<Cpu>(b.lengths.data(), DType::kI32, {b.rows}), o,
                           TensorView<Cpu>(b.draws.data(), DType::kF64, {b.rows}),
                           TensorView<Cpu>(out.data(), DType::kI32, {b.rows}));
  return out;
}

/// The same call on Tensor<Cuda> views of device buffers (the tokens poisoned first).
template <class T>
std::vector<std::int32_t> facade_gpu(const FacadeBatch& b, const SamplingOptions& o,
                                     const std::vector<std::int32_t>& lengths) {
  using dapt::Cuda;
  using dapt::DType;
  using dapt::TensorView;
  DeviceBuffer<T> logits(b.logits);
  DeviceBuffer<std::int32_t> context(b.context), len(lengths), out(std::vector<std::int32_t>(static_cast<std::size_t>(b.rows)));
  DeviceBuffer<double> draws(b.draws);
  out.poison(0x7f);
  const DType dt = std::is_same_v<T, bf16> ? DType::kBF16 : DType::kF32;
  const TensorView<Cuda> l(logits.get(), dt, {b.rows, b.width});
  dapt::ops::sample_tokens(l.slice(1, 0, b.vocab), TensorView<Cuda>(context.get(), DType::kI32, {b.rows, b.capacity}),
                           TensorView<Cuda>(len.get(), DType::kI32, {b.rows}), o,
                           TensorView<Cuda>(draws.get(), DType::kF64, {b.rows}),
                           TensorView<Cuda>(out.get(), DType::kI32, {b.rows}));
  return out.read();
}

template <class T>
void check_facade(std::uint64_t salt) {
  const FacadeBatch b = make_facade_batch<T>(salt);
  for (const auto& o : {options(1.0f, 0, 1.0f, 1.0f, true), options(0.0f, 0, 1.0f, 1.4f), options(1.0f, 0, 1.0f, 1.0f),
                        options(0.8f, 30, 1.0f, 1.2f), options(1.1f, 0, 0.8f, 1.3f), options(0.9f, 200, 0.9f, 1.1f)}) {
    INFO((std::is_same_v<T, bf16> ? "bf16" : "fp32") << ": temperature " << o.temperature << ", top_k " << o.top_k
                                                     << ", top_p " << o.top_p << ", penalty " << o.repetition_penalty
                                                     << ", seed " << run_seed());
    const auto want = facade_cpu(b, o);
    CHECK(facade_gpu<T>(b, o, b.lengths) == want);
    for (auto t : want) CHECK((t >= 0 && t < b.vocab));
    // A length the context cannot hold rejects only its own row (the CPU throws for it).
    std::vector<std::int32_t> bad = b.lengths;
    bad[2] = static_cast<std::int32_t>(b.capacity + 1);
    bad[4] = -1;
    const auto got = facade_gpu<T>(b, o, bad);
    for (std::size_t r = 0; r < want.size(); ++r) {
      INFO("row " << r);
      CHECK(got[r] == (r == 2 || r == 4 ? dapt::nn::kInvalidToken : want[r]));
    }
  }
}

}  // namespace

TEST_CASE("gpu sampling: ops::sample_tokens on strided rows and padded contexts, as on the CPU", "[gpu][sampling]") {
  check_facade<float>(61);
  check_facade<bf16>(62);
}

TEST_CASE("gpu sampling: ops::append_tokens counts each row and leaves a full one alone", "[gpu][sampling]") {
  using dapt::Cuda;
  using dapt::DType;
  using dapt::TensorView;
  const std::int64_t rows = 300, capacity = 5;  // more rows than one block of the kernel
  auto g = rng(71);
  std::uniform_int_distribution<std::int32_t> len(0, static_cast<std::int32_t>(capacity)), id(0, 1000);
  std::vector<std::int32_t> context(static_cast<std::size_t>(rows * capacity), -3), lengths, tokens;
  for (std::int64_t r = 0; r < rows; ++r) lengths.push_back(len(g)), tokens.push_back(id(g));
  lengths[7] = -1;
  DeviceBuffer<std::int32_t> dctx(context), dlen(lengths), dtok(tokens);
  dapt::ops::append_tokens(TensorView<Cuda>(dtok.get(), DType::kI32, {rows}),
                           TensorView<Cuda>(dctx.get(), DType::kI32, {rows, capacity}),
                           TensorView<Cuda>(dlen.get(), DType::kI32, {rows}));
  const auto got_ctx = dctx.read();
  const auto got_len = dlen.read();
  std::vector<std::int32_t> want_ctx = context, want_len = lengths;
  for (std::int64_t r = 0; r < rows; ++r) {
    auto& n = want_len[static_cast<std::size_t>(r)];
    if (n < 0 || n >= capacity) continue;  // full or invalid: unchanged
    want_ctx[static_cast<std::size_t>(r * capacity + n)] = tokens[static_cast<std::size_t>(r)];
    ++n;
  }
  CHECK(got_len == want_len);
  CHECK(got_ctx == want_ctx);
}

}  // namespace dapt_gpu_sampling_test
