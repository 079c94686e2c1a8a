/// @file rng.hpp
/// @brief The one random number generator of dapt: Philox4x32-10, the counter-based generator of
/// Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3" (SC11, the Random123 library).
/// A counter-based generator is a pure function of (counter, key), so any position of any stream
/// can be computed directly: a checkpoint stores three integers, a CUDA kernel reproduces the host
/// stream without sharing state, and skipping ahead is O(1). `Philox4x32` is the bare block
/// function (host and device); `Rng` is the host-side stream built on it (seed, stream, position)
/// with the draws that init, dropout, sampling and shuffling need.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>

#include "dapt/core/config.hpp"
#include "dapt/core/error.hpp"

namespace dapt {

/// Four 32-bit words: one Philox counter or output block. A plain struct (not std::array) so the
/// block function compiles unchanged under nvcc in device code.
struct Uint4 {
  std::uint32_t x, y, z, w;

  DAPT_HOST_DEVICE constexpr std::uint32_t operator[](int i) const {
    return i == 0 ? x : i == 1 ? y : i == 2 ? z : w;
  }
  DAPT_HOST_DEVICE friend constexpr bool operator==(const Uint4& a, const Uint4& b) {
    return a.x == b.x && a.y == b.y && a.z == b.z && a.w == b.w;
  }
  DAPT_HOST_DEVICE friend constexpr bool operator!=(const Uint4& a, const Uint4& b) { return !(a == b); }
};

/// Two 32-bit words: one Philox key.
struct Uint2 {
  std::uint32_t x, y;

  DAPT_HOST_DEVICE friend constexpr bool operator==(const Uint2& a, const Uint2& b) {
    return a.x == b.x && a.y == b.y;
  }
  DAPT_HOST_DEVICE friend constexpr bool operator!=(const Uint2& a, const Uint2& b) { return !(a == b); }
};

/// The Philox4x32 block function: 128-bit counter and 64-bit key in, 128 random bits out.
///
/// The constants and key schedule are those of Random123 (`philox4x32_R`), so the outputs match
/// its published known-answer vectors bit for bit (tests/core/rng_test.cpp checks them).
struct Philox4x32 {
  static constexpr std::uint32_t kM0 = 0xD2511F53u;  ///< multiplier of words x (Random123 PHILOX_M4x32_0)
  static constexpr std::uint32_t kM1 = 0xCD9E8D57u;  ///< multiplier of words z (PHILOX_M4x32_1)
  static constexpr std::uint32_t kW0 = 0x9E3779B9u;  ///< key bump of x: golden ratio (PHILOX_W32_0)
  static constexpr std::uint32_t kW1 = 0xBB67AE85u;  ///< key bump of y: sqrt(3) - 1 (PHILOX_W32_1)
  /// Ten rounds is Random123's default and has a safety margin: seven already pass BigCrush.
  static constexpr int kRounds = 10;

  /// One round: two 32x32->64 multiplies, then a Feistel-like mix with the round key.
  DAPT_HOST_DEVICE static constexpr Uint4 round(Uint4 ctr, Uint2 key) {
    // A 64-bit product compiles to a single mul.hi/mul.lo pair on the GPU and to one mul on x86,
    // and unlike __umulhi it stays usable in constant expressions.
    const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * ctr.x;
    const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * ctr.z;
    const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    return Uint4{hi1 ^ ctr.y ^ key.x, lo1, hi0 ^ ctr.w ^ key.y, lo0};
  }

  /// The key schedule: a Weyl sequence, added before every round but the first.
  DAPT_HOST_DEVICE static constexpr Uint2 bump_key(Uint2 key) {
    return Uint2{key.x + kW0, key.y + kW1};
  }

  /// Philox4x32-R: `Rounds` rounds of `round` with the key bumped in between.
  template <int Rounds = kRounds>
  DAPT_HOST_DEVICE static constexpr Uint4 generate(Uint4 ctr, Uint2 key) {
    static_assert(Rounds >= 1 && Rounds <= 16, "Philox4x32 is defined for 1..16 rounds");
    ctr = round(ctr, key);
    for (int r = 1; r < Rounds; ++r) {
      key = bump_key(key);
      ctr = round(ctr, key);
    }
    return ctr;
  }

  DAPT_HOST_DEVICE constexpr Uint4 operator()(Uint4 ctr, Uint2 key) const { return generate<kRounds>(ctr, key); }
};

/// Everything needed to resume an `Rng` exactly: store these three integers in a checkpoint.
struct RngState {
  std::uint64_t seed = 0;     ///< the Philox key
  std::uint64_t stream = 0;   ///< the subsequence (upper 64 bits of the Philox counter)
  std::uint64_t counter = 0;  ///< 32-bit words drawn so far from this stream (the position)

  friend constexpr bool operator==(const RngState&, const RngState&) = default;
};

/// A seeded stream of random numbers on the host, backed by Philox4x32-10.
///
/// Layout, so a CUDA kernel can reproduce any draw: the key is (seed low word, seed high word);
/// word number `c` of the stream is word `c % 4` of the block for counter
/// (b low word, b high word, stream low word, stream high word) with `b = c / 4`.
/// Each draw consumes a fixed number of 32-bit words (documented per method), so skipping to the
/// i-th draw of a kind is `skip(i * words_per_draw)` and never depends on the drawn values, except
/// for `uniform_int`, whose rejection step may consume extra words.
///
/// The position is a 64-bit count of words: 2^64 words (64 EiB) per stream is never exhausted in
/// practice; past it the position wraps to 0. A position therefore reaches blocks below 2^62;
/// `block(b)` computes any block directly. Not thread-safe: give each thread its own
/// `fork(thread_or_item_id)` or stream.
class Rng {
 public:
  /// The word type of `operator()`, which makes Rng a UniformRandomBitGenerator for <random>.
  using result_type = std::uint32_t;

  explicit Rng(std::uint64_t seed = 0, std::uint64_t stream = 0) noexcept
      : seed_(seed), stream_(stream) {}

  /// Restores a generator saved with `state()`; the next draws equal those the saved one would
  /// have produced.
  static Rng from_state(const RngState& s) {
    Rng r(s.seed, s.stream);
    r.set_counter(s.counter);
    return r;
  }

  RngState state() const noexcept { return RngState{seed_, stream_, pos_}; }
  std::uint64_t seed() const noexcept { return seed_; }
  std::uint64_t stream() const noexcept { return stream_; }

  /// The number of 32-bit words drawn so far (the position in the stream).
  std::uint64_t counter() const noexcept { return pos_; }

  /// Moves to word `position` of the stream, forwards or backwards, in O(1).
  void set_counter(std::uint64_t position) noexcept {
    pos_ = position;
    // Invariant: whenever the position is inside a block, buf_ holds that block.
    if (pos_ % 4 != 0) buf_ = block(pos_ / 4);
  }

  /// Skips `n` 32-bit words in O(1), as if `next_u32()` had been called n times.
  void skip(std::uint64_t n) noexcept { set_counter(pos_ + n); }

  /// The Philox output block `b` of this stream (four words: positions 4b .. 4b+3).
  Uint4 block(std::uint64_t b) const noexcept {
    return Philox4x32::generate(make_counter(b, stream_), make_key(seed_));
  }

  /// 32 uniform random bits. One word.
  std::uint32_t next_u32() noexcept {
    const unsigned i = static_cast<unsigned>(pos_ % 4);
    if (i == 0) buf_ = block(pos_ / 4);
    ++pos_;
    return buf_[static_cast<int>(i)];
  }

  /// 64 uniform random bits: the first word is the low half. Two words.
  std::uint64_t next_u64() noexcept {
    const std::uint64_t lo = next_u32();
    const std::uint64_t hi = next_u32();
    return (hi << 32) | lo;
  }

  result_type operator()() noexcept { return next_u32(); }
  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  /// A float in [0, 1) on the grid k * 2^-24: every value is exact, and 1.0f is never returned
  /// (rounding more than 24 bits to float could give 1.0f). One word.
  float uniform() noexcept { return static_cast<float>(next_u32() >> 8) * 0x1p-24f; }

  /// A float in [lo, hi) (float rounding of lo + (hi - lo) * u can reach hi when the range is
  /// tiny relative to lo). One word.
  float uniform(float lo, float hi) noexcept { return lo + (hi - lo) * uniform(); }

  /// A double in [0, 1) on the grid k * 2^-53. Two words.
  double uniform_double() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1p-53; }

  /// A standard normal float (Box-Muller). Two words.
  ///
  /// The second value of each Box-Muller pair is discarded rather than cached, so the state stays a
  /// bare position and the i-th normal is always words 2i and 2i+1 (see `skip`). The transform is
  /// computed in double and rounds once, so it is deterministic on one platform; libm's log and cos
  /// may differ by an ulp between platforms.
  float normal() noexcept { return static_cast<float>(normal_double()); }

  /// A normal float with the given mean and standard deviation. Two words.
  float normal(float mean, float stddev) noexcept {
    return static_cast<float>(mean + static_cast<double>(stddev) * normal_double());
  }

  /// A standard normal double (Box-Muller on two 32-bit uniforms). Two words.
  double normal_double() noexcept {
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    // u1 in (0, 1] so log(u1) is finite; the largest |z| is sqrt(2 * 32 ln 2) ~ 6.66.
    const double u1 = (static_cast<double>(next_u32()) + 1.0) * 0x1p-32;
    const double u2 = static_cast<double>(next_u32()) * 0x1p-32;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
  }

  /// An integer uniform in [0, n), without modulo bias (Lemire's multiply-and-reject, 2019).
  /// One word per attempt when n <= 2^32, two otherwise; a retry is needed with probability
  /// below n / 2^32 (resp. n / 2^64). Throws kInvalidArgument when n == 0.
  std::uint64_t uniform_int(std::uint64_t n) {
    DAPT_CHECK(n != 0, "Rng::uniform_int: the range size n must be positive, got 0");
    if (n <= 0xFFFFFFFFull) {
      const auto n32 = static_cast<std::uint32_t>(n);
      std::uint64_t m = static_cast<std::uint64_t>(next_u32()) * n32;
      auto low = static_cast<std::uint32_t>(m);
      if (low < n32) {
        // 2^32 mod n: the count of products that would over-represent some outputs.
        const std::uint32_t threshold = static_cast<std::uint32_t>(-n32) % n32;
        while (low < threshold) {
          m = static_cast<std::uint64_t>(next_u32()) * n32;
          low = static_cast<std::uint32_t>(m);
        }
      }
      return m >> 32;
    }
    std::uint64_t hi = 0;
    std::uint64_t low = mul_64x64(next_u64(), n, hi);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) low = mul_64x64(next_u64(), n, hi);
    }
    return hi;
  }

  /// An independent generator for `stream_id` (a worker, a document, a layer), with the same seed.
  ///
  /// The child stream is a Philox hash of (this stream, stream_id), so `fork(k)` never equals
  /// `Rng(seed, k)` or a fork of another parent stream (barring a 2^-64 collision), and it does not
  /// depend on or advance this generator's position.
  Rng fork(std::uint64_t stream_id) const noexcept {
    // Domain-separate the hash key from every stream key: the constants are the next digits of pi
    // after those used by Random123's test vectors, an arbitrary but fixed choice.
    const Uint2 key = make_key(seed_ ^ 0x082EFA98EC4E6C89ull);
    const Uint4 h = Philox4x32::generate(make_counter(stream_id, stream_ ^ 0x452821E638D01377ull), key);
    return Rng(seed_, (static_cast<std::uint64_t>(h.y) << 32) | h.x);
  }

  /// Shuffles [first, last) uniformly (Fisher-Yates, drawing with `uniform_int`).
  template <class RandomIt>
  void shuffle(RandomIt first, RandomIt last) {
    const auto n = static_cast<std::uint64_t>(std::distance(first, last));
    for (std::uint64_t i = n; i > 1; --i) {
      const std::uint64_t j = uniform_int(i);
      using Diff = typename std::iterator_traits<RandomIt>::difference_type;
      std::iter_swap(first + static_cast<Diff>(i - 1), first + static_cast<Diff>(j));
    }
  }

  /// The Philox key of a seed: low word first.
  DAPT_HOST_DEVICE static constexpr Uint2 make_key(std::uint64_t seed) {
    return Uint2{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
  }

  /// The Philox counter of block `b` of `stream`: the block index in the low 64 bits.
  DAPT_HOST_DEVICE static constexpr Uint4 make_counter(std::uint64_t b, std::uint64_t stream) {
    return Uint4{static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32),
                 static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)};
  }

 private:
  /// Full 64x64 -> 128-bit product, portable (no __int128): returns the low half, sets `hi`.
  static constexpr std::uint64_t mul_64x64(std::uint64_t a, std::uint64_t b, std::uint64_t& hi) noexcept {
    const std::uint64_t a_lo = a & 0xFFFFFFFFull, a_hi = a >> 32;
    const std::uint64_t b_lo = b & 0xFFFFFFFFull, b_hi = b >> 32;
    const std::uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
    const std::uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFull) + (hl & 0xFFFFFFFFull);
    hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return (mid << 32) | (ll & 0xFFFFFFFFull);
  }

  std::uint64_t seed_;
  std::uint64_t stream_;
  std::uint64_t pos_ = 0;
  Uint4 buf_{0, 0, 0, 0};  // the block holding position pos_ when pos_ % 4 != 0
};

}  // namespace dapt
