/// @file dtype.hpp
/// @brief Element types: the `DType` tag carried by every tensor, and the 16-bit float host types
/// `bf16` and `f16`. Float-to-16-bit conversion rounds to nearest, ties to even, exactly like the
/// hardware (tested exhaustively over all 65,536 bit patterns). NaN stays NaN (quietened, sign
/// kept), Inf stays Inf, and finite values past the largest 16-bit value round to Inf. The types
/// are usable in CUDA device code because they only use DAPT_HOST_DEVICE inline functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "dapt/core/config.hpp"
#include "dapt/core/error.hpp"

namespace dapt {

namespace detail {
DAPT_HOST_DEVICE inline std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
DAPT_HOST_DEVICE inline float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
}  // namespace detail

/// bfloat16: 1 sign, 8 exponent, 7 mantissa bits; the upper half of an IEEE float.
struct bf16 {
  std::uint16_t bits = 0;

  bf16() = default;
  DAPT_HOST_DEVICE explicit bf16(float f) : bits(from_float(f)) {}
  DAPT_HOST_DEVICE static bf16 from_bits(std::uint16_t b) {
    bf16 r;
    r.bits = b;
    return r;
  }
  DAPT_HOST_DEVICE explicit operator float() const { return to_float(bits); }
  DAPT_HOST_DEVICE float to_float() const { return to_float(bits); }

  DAPT_HOST_DEVICE static std::uint16_t from_float(float f) {
    std::uint32_t u = detail::float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
      return static_cast<std::uint16_t>((u >> 16) | 0x0040u);  // quiet NaN, sign and top payload kept
    }
    u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even; a carry may reach Inf, as it should
    return static_cast<std::uint16_t>(u >> 16);
  }
  DAPT_HOST_DEVICE static float to_float(std::uint16_t b) {
    return detail::bits_float(static_cast<std::uint32_t>(b) << 16);
  }
};

/// IEEE 754 binary16: 1 sign, 5 exponent, 10 mantissa bits, with subnormals.
struct f16 {
  std::uint16_t bits = 0;

  f16() = default;
  DAPT_HOST_DEVICE explicit f16(float f) : bits(from_float(f)) {}
  DAPT_HOST_DEVICE static f16 from_bits(std::uint16_t b) {
    f16 r;
    r.bits = b;
    return r;
  }
  DAPT_HOST_DEVICE explicit operator float() const { return to_float(bits); }
  DAPT_HOST_DEVICE float to_float() const { return to_float(bits); }

  DAPT_HOST_DEVICE static std::uint16_t from_float(float f) {
    std::uint32_t x = detail::float_bits(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u | ((x >> 13) & 0x3ffu));
    if (x >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // >= 65520: Inf
    if (x >= 0x38800000u) {  // normal half: |f| >= 2^-14
      const std::uint32_t odd = (x >> 13) & 1u;
      x += (static_cast<std::uint32_t>(15 - 127) << 23) + 0xfffu + odd;
      return static_cast<std::uint16_t>(sign | (x >> 13));
    }
    // Subnormal half: the result is round_half_even(|f| * 2^24).
    const std::uint32_t exp = x >> 23;
    const std::uint32_t mant = (x & 0x7fffffu) | (exp ? 0x800000u : 0u);
    const std::uint32_t shift = 126u - exp;  // >= 14 here
    if (exp == 0 || shift > 24) return static_cast<std::uint16_t>(sign);
    std::uint32_t r = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (r & 1u))) ++r;
    return static_cast<std::uint16_t>(sign | r);
  }
  DAPT_HOST_DEVICE static float to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1fu;
    const std::uint32_t mant = h & 0x3ffu;
    if (exp == 0x1fu) return detail::bits_float(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {
      // Subnormal (or zero): mant * 2^-24 is exact in float.
      const float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
      return detail::bits_float(detail::float_bits(v) | sign);
    }
    return detail::bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
  }
};

static_assert(sizeof(bf16) == 2 && sizeof(f16) == 2, "16-bit float types must be 2 bytes");

/// Element type of a tensor. The names are those of the safetensors format.
enum class DType : std::uint8_t {
  kF64, kF32, kF16, kBF16, kF8E4M3, kF8E5M2,
  kI64, kI32, kI16, kI8, kU64, kU32, kU16, kU8, kBool,
};

inline constexpr DType kAllDTypes[] = {
    DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kF8E4M3,
    DType::kF8E5M2, DType::kI64, DType::kI32, DType::kI16, DType::kI8,
    DType::kU64, DType::kU32, DType::kU16, DType::kU8, DType::kBool};

/// Bytes per element.
constexpr std::size_t dtype_size(DType t) noexcept {
  switch (t) {
    case DType::kF64: case DType::kI64: case DType::kU64: return 8;
    case DType::kF32: case DType::kI32: case DType::kU32: return 4;
    case DType::kF16: case DType::kBF16: case DType::kI16: case DType::kU16: return 2;
    case DType::kF8E4M3: case DType::kF8E5M2: case DType::kI8: case DType::kU8: case DType::kBool:
      return 1;
  }
  return 0;
}

/// The safetensors spelling: "F32", "BF16", "BOOL", ...
constexpr std::string_view dtype_name(DType t) noexcept {
  switch (t) {
    case DType::kF64: return "F64";
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF8E4M3: return "F8_E4M3";
    case DType::kF8E5M2: return "F8_E5M2";
    case DType::kI64: return "I64";
    case DType::kI32: return "I32";
    case DType::kI16: return "I16";
    case DType::kI8: return "I8";
    case DType::kU64: return "U64";
    case DType::kU32: return "U32";
    case DType::kU16: return "U16";
    case DType::kU8: return "U8";
    case DType::kBool: return "BOOL";
  }
  return "?";
}

/// Parses a safetensors dtype string; nullopt when it is not one (the caller names the context).
constexpr std::optional<DType> parse_dtype(std::string_view s) noexcept {
  for (DType t : kAllDTypes)
    if (dtype_name(t) == s) return t;
  return std::nullopt;
}

constexpr bool is_floating(DType t) noexcept {
  return t == DType::kF64 || t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 ||
         t == DType::kF8E4M3 || t == DType::kF8E5M2;
}

/// The DType of a C++ element type (`dtype_of<float>` is DType::kF32).
template <class T> struct DTypeOf;
template <> struct DTypeOf<double> { static constexpr DType value = DType::kF64; };
template <> struct DTypeOf<float> { static constexpr DType value = DType::kF32; };
template <> struct DTypeOf<f16> { static constexpr DType value = DType::kF16; };
template <> struct DTypeOf<bf16> { static constexpr DType value = DType::kBF16; };
template <> struct DTypeOf<std::int64_t> { static constexpr DType value = DType::kI64; };
template <> struct DTypeOf<std::int32_t> { static constexpr DType value = DType::kI32; };
template <> struct DTypeOf<std::int16_t> { static constexpr DType value = DType::kI16; };
template <> struct DTypeOf<std::int8_t> { static constexpr DType value = DType::kI8; };
template <> struct DTypeOf<std::uint64_t> { static constexpr DType value = DType::kU64; };
template <> struct DTypeOf<std::uint32_t> { static constexpr DType value = DType::kU32; };
template <> struct DTypeOf<std::uint16_t> { static constexpr DType value = DType::kU16; };
template <> struct DTypeOf<std::uint8_t> { static constexpr DType value = DType::kU8; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };
template <class T> inline constexpr DType dtype_of = DTypeOf<T>::value;

/// Converts `n` elements of type `src_type` at `src` (any alignment) to float. Integer and bool
/// sources convert by value; 8-bit float types are not convertible yet (kUnsupported).
inline void convert_to_f32(const void* src, DType src_type, float* dst, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(src);
  auto load = [p](std::size_t i, auto tag) {
    decltype(tag) v;
    std::memcpy(&v, p + i * sizeof v, sizeof v);
    return v;
  };
  switch (src_type) {
    case DType::kF32: std::memcpy(dst, src, n * sizeof(float)); return;
    case DType::kF64: for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load(i, double{})); return;
    case DType::kF16: for (std::size_t i = 0; i < n; ++i) dst[i] = f16::to_float(load(i, std::uint16_t{})); return;
    case DType::kBF16: for (std::size_t i = 0; i < n; ++i) dst[i] = bf16::to_float(load(i, std::uint16_t{})); return;
    case DType::kI64: for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load(i, std::int64_t{})); return;
    case DType::kI32: for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load(i, std::int32_t{})); return;
    case DType::kI16: for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load(i, std::int16_t{})); return;
    case DType::kI8: for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load(i, std::int8_t{})); return;
    case DType::kU64: for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load(i, std::uint64_t{})); return;
    case DType::kU32: for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load(i, std::uint32_t{})); return;
    case DType::kU16: for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load(i, std::uint16_t{})); return;
    case DType::kU8: for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(p[i]); return;
    case DType::kBool: for (std::size_t i = 0; i < n; ++i) dst[i] = p[i] ? 1.0f : 0.0f; return;
    case DType::kF8E4M3: case DType::kF8E5M2: break;
  }
  DAPT_FAIL(ErrorCategory::kUnsupported, "conversion from ", dtype_name(src_type), " to F32 is not implemented");
}

/// Converts `n` floats to `dst_type` at `dst` (any alignment); floating targets round to nearest
/// even. Only floating targets are allowed (F64, F32, F16, BF16).
inline void convert_from_f32(const float* src, DType dst_type, void* dst, std::size_t n) {
  auto* p = static_cast<unsigned char*>(dst);
  switch (dst_type) {
    case DType::kF32: std::memcpy(dst, src, n * sizeof(float)); return;
    case DType::kF64:
      for (std::size_t i = 0; i < n; ++i) { double v = src[i]; std::memcpy(p + 8 * i, &v, 8); }
      return;
    case DType::kF16:
      for (std::size_t i = 0; i < n; ++i) { std::uint16_t v = f16::from_float(src[i]); std::memcpy(p + 2 * i, &v, 2); }
      return;
    case DType::kBF16:
      for (std::size_t i = 0; i < n; ++i) { std::uint16_t v = bf16::from_float(src[i]); std::memcpy(p + 2 * i, &v, 2); }
      return;
    default: break;
  }
  DAPT_FAIL(ErrorCategory::kUnsupported, "conversion from F32 to ", dtype_name(dst_type), " is not implemented");
}

}  // namespace dapt
