/// @file rng_test.cpp
/// @brief Tests of dapt/core/rng.hpp: Philox4x32-10 against the Random123 known-answer vectors,
/// then the Rng stream (determinism, streams, save/restore, skip) and the statistics of each draw,
/// with tolerances derived from the standard error so the checks fail only on real bias.
#include "dapt/core/rng.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "dapt_catch.hpp"

namespace {

using dapt::Philox4x32;
using dapt::Rng;
using dapt::Uint2;
using dapt::Uint4;

// The three "philox4x32 10" lines of Random123's tests/kat_vectors
// (github.com/DEShawResearch/random123): counter (4 words), key (2 words), expected output.
struct Kat {
  Uint4 ctr;
  Uint2 key;
  Uint4 expected;
};
constexpr Kat kKats[] = {
    {{0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u}, {0x00000000u, 0x00000000u},
     {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
    {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu},
     {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
    {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u},
     {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
};

// The block function is constexpr: the vectors also hold at compile time.
static_assert(Philox4x32::generate(kKats[0].ctr, kKats[0].key) == kKats[0].expected);
static_assert(Philox4x32::generate(kKats[1].ctr, kKats[1].key) == kKats[1].expected);
static_assert(Philox4x32::generate(kKats[2].ctr, kKats[2].key) == kKats[2].expected);

}  // namespace

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vectors", "[core][rng]") {
  for (const Kat& k : kKats) {
    const Uint4 got = Philox4x32{}(k.ctr, k.key);
    CHECK(got.x == k.expected.x);
    CHECK(got.y == k.expected.y);
    CHECK(got.z == k.expected.z);
    CHECK(got.w == k.expected.w);
  }
}

TEST_CASE("Philox4x32 with 7 rounds matches Random123 (the key schedule, not only R=10)", "[core][rng]") {
  // kat_vectors, "philox4x32 7" lines (zero and pi inputs).
  CHECK(Philox4x32::generate<7>({0, 0, 0, 0}, {0, 0}) ==
        Uint4{0x5f6fb709u, 0x0d893f64u, 0x4f121f81u, 0x4f730a48u});
  CHECK(Philox4x32::generate<7>(kKats[2].ctr, kKats[2].key) ==
        Uint4{0x4dfccabau, 0x190a87f0u, 0xc47362bau, 0xb6b5242au});
}

TEST_CASE("Rng maps seed, stream and position onto the Philox counter as documented", "[core][rng]") {
  // Seed 0, stream 0, block 0 is the all-zero KAT: the first four words are its output.
  Rng r(0, 0);
  CHECK(r.next_u32() == 0x6627e8d5u);
  CHECK(r.next_u32() == 0xe169c58du);
  CHECK(r.next_u32() == 0xbc57ac4cu);
  CHECK(r.next_u32() == 0x9b00dbd8u);
  CHECK(r.counter() == 4);

  // The pi KAT: seed = key (low word first), block = ctr x,y, stream = ctr z,w.
  const std::uint64_t seed = 0x299f31d0a4093822ull;
  const std::uint64_t stream = 0x0370734413198a2eull;
  Rng p(seed, stream);
  CHECK(p.block(0x85a308d3243f6a88ull) == kKats[2].expected);

  // Word c of the stream is word c % 4 of block c / 4 (positions count words, so the blocks a
  // stream reaches are those below 2^62).
  const std::uint64_t block = 0x05a308d3243f6a88ull;
  p.set_counter(block * 4 + 1);
  const Uint4 expected = Philox4x32::generate({0x243f6a88u, 0x05a308d3u, 0x13198a2eu, 0x03707344u},
                                              {0xa4093822u, 0x299f31d0u});
  CHECK(p.next_u32() == expected.y);
  CHECK(p.next_u32() == expected.z);
  CHECK(p.next_u32() == expected.w);
  CHECK(p.next_u32() == p.block(block + 1).x);
}

TEST_CASE("Rng is deterministic for a seed and differs across seeds and streams", "[core][rng]") {
  auto draw = [](Rng r) {
    std::vector<std::uint32_t> v(64);
    for (auto& x : v) x = r.next_u32();
    return v;
  };
  CHECK(draw(Rng(42, 0)) == draw(Rng(42, 0)));
  CHECK(draw(Rng(42, 0)) != draw(Rng(43, 0)));
  CHECK(draw(Rng(42, 0)) != draw(Rng(42, 1)));
  // Seeds that differ only in the high word must differ too (the key uses all 64 bits).
  CHECK(draw(Rng(1, 0)) != draw(Rng(1 | (1ull << 32), 0)));

  // Streams are not shifted copies of each other.
  const auto a = draw(Rng(7, 0));
  const auto b = draw(Rng(7, 1));
  std::set<std::uint32_t> sa(a.begin(), a.end());
  int shared = 0;
  for (auto x : b) shared += static_cast<int>(sa.count(x));
  CHECK(shared == 0);
}

TEST_CASE("Rng state save and restore reproduces the sequence at every offset", "[core][rng]") {
  for (int offset = 0; offset < 9; ++offset) {  // covers all four positions within a block
    Rng a(123, 9);
    for (int i = 0; i < offset; ++i) (void)a.next_u32();
    const dapt::RngState s = a.state();
    CHECK(s.seed == 123);
    CHECK(s.stream == 9);
    CHECK(s.counter == static_cast<std::uint64_t>(offset));
    Rng b = Rng::from_state(s);
    CHECK(b.state() == s);
    for (int i = 0; i < 10; ++i) {
      CHECK(a.next_u32() == b.next_u32());
      CHECK(a.normal() == b.normal());
      CHECK(a.uniform_int(1000) == b.uniform_int(1000));
    }
  }
}

TEST_CASE("Rng skip and set_counter equal drawing and discarding", "[core][rng]") {
  for (std::uint64_t n : {0ull, 1ull, 3ull, 4ull, 5ull, 17ull, 1000ull}) {
    Rng a(5, 2), b(5, 2);
    (void)a.next_u32();  // start mid-block
    (void)b.next_u32();
    for (std::uint64_t i = 0; i < n; ++i) (void)a.next_u32();
    b.skip(n);
    CHECK(b.counter() == a.counter());
    for (int i = 0; i < 8; ++i) CHECK(a.next_u32() == b.next_u32());
  }
  // Backwards works too: the generator is a pure function of the position.
  Rng c(5, 2);
  const std::uint32_t first = c.next_u32();
  c.skip(100);
  c.set_counter(0);
  CHECK(c.next_u32() == first);
  // Each normal() takes two words, so the i-th normal is at position 2i.
  Rng d(8, 0), e(8, 0);
  for (int i = 0; i < 5; ++i) (void)d.normal();
  e.skip(10);
  CHECK(d.normal() == e.normal());
}

TEST_CASE("Rng next_u64 combines two words, low first", "[core][rng]") {
  Rng a(11, 0), b(11, 0);
  const std::uint64_t lo = b.next_u32();
  const std::uint64_t hi = b.next_u32();
  CHECK(a.next_u64() == ((hi << 32) | lo));
  CHECK(a.counter() == 2);
}

TEST_CASE("Rng fork gives independent, reproducible streams", "[core][rng]") {
  const Rng parent(99, 0);
  Rng f1 = parent.fork(1), f1b = parent.fork(1), f2 = parent.fork(2);
  CHECK(f1.seed() == 99);
  CHECK(f1.stream() == f1b.stream());
  CHECK(f1.stream() != f2.stream());
  CHECK(f1.stream() != 1);  // not the same as Rng(seed, 1)
  CHECK(f1.next_u32() == f1b.next_u32());
  // Forking does not depend on the parent's position.
  Rng moved(99, 0);
  moved.skip(12345);
  CHECK(moved.fork(2).stream() == f2.stream());
  // Forks of different parents differ.
  CHECK(Rng(99, 1).fork(1).stream() != f1.stream());
  std::set<std::uint64_t> streams;
  for (std::uint64_t id = 0; id < 1000; ++id) streams.insert(parent.fork(id).stream());
  CHECK(streams.size() == 1000);
}

TEST_CASE("Rng uniform lies in the half-open unit interval with mean 1/2", "[core][rng][stats]") {
  Rng r(2024, 0);
  constexpr int kN = 1'000'000;
  double sum = 0;
  float lo = 1, hi = 0;
  for (int i = 0; i < kN; ++i) {
    const float u = r.uniform();
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
  }
  CHECK(lo >= 0.0f);
  CHECK(hi < 1.0f);
  // U(0,1) has variance 1/12; allow 5 standard errors.
  const double se = std::sqrt(1.0 / 12.0 / kN);
  CHECK(std::abs(sum / kN - 0.5) < 5 * se);

  double sum_d = 0;
  double lo_d = 1, hi_d = 0;
  for (int i = 0; i < kN; ++i) {
    const double u = r.uniform_double();
    lo_d = std::min(lo_d, u);
    hi_d = std::max(hi_d, u);
    sum_d += u;
  }
  CHECK(lo_d >= 0.0);
  CHECK(hi_d < 1.0);
  CHECK(std::abs(sum_d / kN - 0.5) < 5 * se);

  // The extreme words map inside the interval.
  CHECK(static_cast<float>(0xFFFFFFFFu >> 8) * 0x1p-24f < 1.0f);
}

TEST_CASE("Rng normal has mean 0 and variance 1", "[core][rng][stats]") {
  Rng r(31337, 4);
  constexpr int kN = 1'000'000;
  double sum = 0, sum_sq = 0;
  int beyond_3 = 0, non_finite = 0;
  for (int i = 0; i < kN; ++i) {
    const double z = r.normal();
    non_finite += std::isfinite(z) ? 0 : 1;
    sum += z;
    sum_sq += z * z;
    beyond_3 += std::abs(z) > 3.0 ? 1 : 0;
  }
  CHECK(non_finite == 0);
  const double mean = sum / kN;
  const double var = sum_sq / kN - mean * mean;
  CHECK(std::abs(mean) < 5 * std::sqrt(1.0 / kN));  // SE of the mean is 1/sqrt(N)
  CHECK(std::abs(var - 1.0) < 5 * std::sqrt(2.0 / kN));  // SE of the variance is sqrt(2/N)
  // Tails: P(|z| > 3) = 0.0026998; binomial SE.
  const double p3 = 0.0026998;
  CHECK(std::abs(beyond_3 / double(kN) - p3) < 5 * std::sqrt(p3 * (1 - p3) / kN));

  Rng s(1, 0);
  double sum2 = 0;
  for (int i = 0; i < 100000; ++i) sum2 += s.normal(10.0f, 2.0f);
  CHECK(std::abs(sum2 / 100000 - 10.0) < 5 * 2.0 / std::sqrt(100000.0));
}

TEST_CASE("Rng uniform_int is unbiased (chi-square)", "[core][rng][stats]") {
  // For n = 3, 7 and 10 the chi-square statistic has n-1 degrees of freedom; the bounds are far in
  // the upper tail (p < 1e-6), so a correct generator essentially never fails.
  struct Case {
    std::uint64_t n;
    double bound;  // chi-square quantile with p ~ 1e-6 for n-1 dof
  };
  for (const Case c : {Case{3, 27.7}, Case{7, 39.0}, Case{10, 44.9}}) {
    Rng r(77, c.n);  // a different stream per case
    constexpr int kDraws = 200'000;
    std::vector<int> hist(c.n + 1, 0);  // the extra bin catches out-of-range values
    for (int i = 0; i < kDraws; ++i) ++hist[std::min(r.uniform_int(c.n), c.n)];
    CHECK(hist[c.n] == 0);
    hist.pop_back();
    const double expected = double(kDraws) / double(c.n);
    double chi2 = 0;
    for (int h : hist) chi2 += (h - expected) * (h - expected) / expected;
    INFO("n = " << c.n << ", chi2 = " << chi2);
    CHECK(chi2 < c.bound);
  }

  // A range just above 2^31 is where plain modulo is most biased: (2^32 mod n) / 2^32 ~ 1/2 of
  // the words would map to the lower part. Lemire's rejection keeps P(v < n/2) = 1/2.
  Rng r(5, 5);
  const std::uint64_t n = (1ull << 31) + (1ull << 30);
  int lower = 0;
  constexpr int kDraws = 200'000;
  for (int i = 0; i < kDraws; ++i) lower += r.uniform_int(n) < n / 2 ? 1 : 0;
  CHECK(std::abs(lower / double(kDraws) - 0.5) < 5 * std::sqrt(0.25 / kDraws));

  // Ranges beyond 32 bits use the 64-bit path.
  const std::uint64_t big = (1ull << 40) + 12345;
  std::uint64_t max_seen = 0;
  for (int i = 0; i < 10000; ++i) max_seen = std::max(max_seen, r.uniform_int(big));
  CHECK(max_seen < big);
  CHECK(max_seen > (1ull << 39));  // not stuck in the low 32 bits
  CHECK(r.uniform_int(1) == 0);
  CHECK(r.uniform_int(~0ull) < ~0ull);
  REQUIRE_DAPT_ERROR(r.uniform_int(0), kInvalidArgument, "uniform_int");
}

TEST_CASE("Rng shuffle yields a uniform permutation", "[core][rng][stats]") {
  Rng r(3, 3);
  std::vector<int> v(1000);
  std::iota(v.begin(), v.end(), 0);
  r.shuffle(v.begin(), v.end());
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(sorted == identity);
  CHECK(v != identity);

  // Empty and single-element ranges are fine.
  std::vector<int> empty, one{1};
  r.shuffle(empty.begin(), empty.end());
  r.shuffle(one.begin(), one.end());
  CHECK(one == std::vector<int>{1});

  // All 6 permutations of 3 elements are equally likely (chi-square, 5 dof, p ~ 1e-6 bound 35.9).
  std::vector<int> counts(6, 0);
  constexpr int kTrials = 60'000;
  for (int t = 0; t < kTrials; ++t) {
    int a[3] = {0, 1, 2};
    r.shuffle(a, a + 3);
    counts[static_cast<std::size_t>(a[0] * 2 + (a[1] > a[2] ? 1 : 0))]++;
  }
  double chi2 = 0;
  for (int c : counts) chi2 += (c - kTrials / 6.0) * (c - kTrials / 6.0) / (kTrials / 6.0);
  INFO("chi2 = " << chi2);
  CHECK(chi2 < 35.9);

  // Same seed, same permutation.
  std::vector<int> x(50), y(50);
  std::iota(x.begin(), x.end(), 0);
  std::iota(y.begin(), y.end(), 0);
  Rng(1, 2).shuffle(x.begin(), x.end());
  Rng(1, 2).shuffle(y.begin(), y.end());
  CHECK(x == y);
}

TEST_CASE("Rng works as a UniformRandomBitGenerator", "[core][rng]") {
  static_assert(std::uniform_random_bit_generator<Rng>);
  Rng a(4, 0), b(4, 0);
  CHECK(a() == b.next_u32());
}
