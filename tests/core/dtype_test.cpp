/// @file dtype_test.cpp
/// @brief Exhaustive tests of the bf16/f16 conversions over all 65,536 bit patterns: exact
/// round trips, round-to-nearest-even at every midpoint between adjacent values, NaN and Inf,
/// and (where the compiler has _Float16) agreement with the hardware conversion.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "dapt/core/dtype.hpp"
#include "dapt_catch.hpp"

using dapt::bf16;
using dapt::f16;

namespace {

template <class H>
bool is_nan_bits(std::uint16_t b);
template <>
bool is_nan_bits<bf16>(std::uint16_t b) { return (b & 0x7f80u) == 0x7f80u && (b & 0x7fu) != 0; }
template <>
bool is_nan_bits<f16>(std::uint16_t b) { return (b & 0x7c00u) == 0x7c00u && (b & 0x3ffu) != 0; }

template <class H>
std::uint16_t quiet_bit();
template <> std::uint16_t quiet_bit<bf16>() { return 0x0040u; }
template <> std::uint16_t quiet_bit<f16>() { return 0x0200u; }

template <class H>
std::uint16_t inf_bits();
template <> std::uint16_t inf_bits<bf16>() { return 0x7f80u; }
template <> std::uint16_t inf_bits<f16>() { return 0x7c00u; }

// Every bit pattern converts to float and back to itself; NaN comes back quiet with its sign.
template <class H>
void check_round_trip() {
  int nan_count = 0;
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const float f = H::to_float(bits);
    const std::uint16_t back = H::from_float(f);
    if (is_nan_bits<H>(bits)) {
      ++nan_count;
      REQUIRE(std::isnan(f));
      REQUIRE(is_nan_bits<H>(back));
      REQUIRE((back & quiet_bit<H>()) != 0);
      REQUIRE((back & 0x8000u) == (bits & 0x8000u));
      if (bits & quiet_bit<H>()) REQUIRE(back == bits);  // quiet NaN payloads survive
    } else {
      INFO("bits 0x" << std::hex << b);
      REQUIRE(back == bits);
      REQUIRE(std::signbit(f) == ((bits & 0x8000u) != 0));
    }
  }
  REQUIRE(nan_count > 0);
}

// For each pair of adjacent non-negative values a < b (b may be Inf, treated as the next binade
// power of two), the midpoint rounds to the one with an even mantissa, and the floats just below
// and just above the midpoint round down and up. Negative values mirror the positive ones.
template <class H>
void check_midpoints(double inf_as_value) {
  for (std::uint32_t a = 0; a < inf_bits<H>(); ++a) {
    const std::uint32_t b = a + 1;
    const double va = H::to_float(static_cast<std::uint16_t>(a));
    const double vb = (b == inf_bits<H>()) ? inf_as_value : H::to_float(static_cast<std::uint16_t>(b));
    const double mid_d = (va + vb) / 2;
    const float mid = static_cast<float>(mid_d);
    REQUIRE(static_cast<double>(mid) == mid_d);  // midpoints of 16-bit floats are exact floats
    const std::uint16_t even = (a & 1u) ? static_cast<std::uint16_t>(b) : static_cast<std::uint16_t>(a);
    INFO("a=0x" << std::hex << a);
    REQUIRE(H::from_float(mid) == even);
    REQUIRE(H::from_float(std::nextafter(mid, 0.0f)) == a);
    REQUIRE(H::from_float(std::nextafter(mid, std::numeric_limits<float>::infinity())) == b);
    REQUIRE(H::from_float(-mid) == (even | 0x8000u));
    REQUIRE(H::from_float(-std::nextafter(mid, 0.0f)) == (a | 0x8000u));
  }
}

}  // namespace

TEST_CASE("bf16: every bit pattern round-trips through float", "[core][dtype]") {
  check_round_trip<bf16>();
}

TEST_CASE("f16: every bit pattern round-trips through float", "[core][dtype]") {
  check_round_trip<f16>();
}

TEST_CASE("bf16: round to nearest even at every midpoint", "[core][dtype]") {
  check_midpoints<bf16>(std::ldexp(1.0, 128));
}

TEST_CASE("f16: round to nearest even at every midpoint, subnormals included", "[core][dtype]") {
  check_midpoints<f16>(65536.0);
}

TEST_CASE("bf16 and f16: known values, Inf, overflow and underflow", "[core][dtype]") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(bf16::from_float(1.0f) == 0x3f80);
  CHECK(bf16::from_float(-2.0f) == 0xc000);
  CHECK(bf16::from_float(inf) == 0x7f80);
  CHECK(bf16::from_float(-inf) == 0xff80);
  CHECK(bf16::from_float(std::numeric_limits<float>::max()) == 0x7f80);  // rounds up to Inf
  CHECK(bf16::from_float(std::numeric_limits<float>::denorm_min()) == 0x0000);
  CHECK(bf16::from_float(-0.0f) == 0x8000);
  CHECK(f16::from_float(1.0f) == 0x3c00);
  CHECK(f16::from_float(65504.0f) == 0x7bff);
  CHECK(f16::from_float(65519.99f) == 0x7bff);
  CHECK(f16::from_float(65520.0f) == 0x7c00);
  CHECK(f16::from_float(1e10f) == 0x7c00);
  CHECK(f16::from_float(-inf) == 0xfc00);
  CHECK(f16::from_float(5.9604645e-8f) == 0x0001);       // smallest subnormal
  CHECK(f16::from_float(2.9802322e-8f) == 0x0000);       // exactly half of it: ties to even (0)
  CHECK(f16::from_float(2.9802326e-8f) == 0x0001);       // just above half
  CHECK(f16::from_float(1e-30f) == 0x0000);
  CHECK(f16::from_float(-1e-30f) == 0x8000);
  CHECK(f16::to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(f16::to_float(0x0400) == std::ldexp(1.0f, -14));
  CHECK(std::isnan(f16::to_float(0x7e00)));
  CHECK(std::isnan(bf16::to_float(0xffc1)));
  CHECK(static_cast<float>(bf16(3.140625f)) == 3.140625f);
}

#if defined(__FLT16_MAX__) && !defined(__clang__)
TEST_CASE("f16: agrees with the compiler's _Float16 on all halves and on pseudo-random floats",
          "[core][dtype]") {
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    if (is_nan_bits<f16>(bits)) continue;
    _Float16 h;
    std::memcpy(&h, &bits, 2);
    REQUIRE(static_cast<float>(h) == f16::to_float(bits));
  }
  std::uint64_t s = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 2000000; ++i) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    // Bias the exponent into the half range so most draws exercise rounding, not overflow.
    std::uint32_t u = static_cast<std::uint32_t>(s);
    u = (u & 0x807fffffu) | ((96u + static_cast<std::uint32_t>((s >> 40) % 48)) << 23);
    const float f = dapt::detail::bits_float(u);
    const _Float16 h = static_cast<_Float16>(f);
    std::uint16_t hb;
    std::memcpy(&hb, &h, 2);
    INFO("float bits 0x" << std::hex << u);
    REQUIRE(f16::from_float(f) == hb);
  }
}
#endif

TEST_CASE("dtype names, sizes and parsing", "[core][dtype]") {
  for (dapt::DType t : dapt::kAllDTypes) {
    CHECK(dapt::parse_dtype(dapt::dtype_name(t)) == t);
    CHECK(dapt::dtype_size(t) >= 1);
  }
  CHECK(dapt::dtype_size(dapt::DType::kBF16) == 2);
  CHECK(dapt::dtype_size(dapt::DType::kF64) == 8);
  CHECK(dapt::dtype_size(dapt::DType::kBool) == 1);
  CHECK_FALSE(dapt::parse_dtype("f32").has_value());
  CHECK_FALSE(dapt::parse_dtype("FLOAT").has_value());
  CHECK_FALSE(dapt::parse_dtype("").has_value());
  CHECK(dapt::dtype_of<float> == dapt::DType::kF32);
  CHECK(dapt::dtype_of<bf16> == dapt::DType::kBF16);
}

TEST_CASE("convert_to_f32 and convert_from_f32 across dtypes, from unaligned memory", "[core][dtype]") {
  const std::vector<float> src = {0.0f, -1.5f, 2.25f, 65504.0f, 1e-3f};
  for (dapt::DType t : {dapt::DType::kF64, dapt::DType::kF32, dapt::DType::kF16, dapt::DType::kBF16}) {
    std::vector<unsigned char> buf(src.size() * dapt::dtype_size(t) + 1);
    dapt::convert_from_f32(src.data(), t, buf.data() + 1, src.size());  // deliberately unaligned
    std::vector<float> back(src.size());
    dapt::convert_to_f32(buf.data() + 1, t, back.data(), src.size());
    for (std::size_t i = 0; i < src.size(); ++i) {
      const double tol = (t == dapt::DType::kBF16) ? 4e-3 : (t == dapt::DType::kF16 ? 1e-3 : 0.0);
      CHECK(std::abs(back[i] - src[i]) <= tol * std::abs(src[i]));
    }
  }
  std::int64_t ints[] = {-3, 0, 7};
  float out[3];
  dapt::convert_to_f32(ints, dapt::DType::kI64, out, 3);
  CHECK(out[0] == -3.0f);
  CHECK(out[2] == 7.0f);
  REQUIRE_DAPT_ERROR(dapt::convert_from_f32(out, dapt::DType::kI32, ints, 1), kUnsupported, "I32");
}
