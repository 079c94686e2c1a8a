/// @file gguf.hpp
/// @brief GGUF, the llama.cpp model format (versions 2 and 3, little-endian): a validating,
/// zero-copy reader over a memory mapping, dequantisation of the common types to float32, and a
/// writer. A GGUF file is a header (magic "GGUF", version, tensor count, key/value count), typed
/// key/value metadata, one info record per tensor (name, dims, ggml type, offset), padding to the
/// alignment, then the data section. The reader trusts nothing, like the safetensors reader: every
/// count and length is bounded by the bytes that remain before anything is allocated, value types,
/// ggml types and nesting depth are checked, and each tensor's offset must be aligned and its
/// bytes inside the file and disjoint from every other tensor's, so a corrupt or hostile file gets
/// a dapt::Error (kFormat), never a crash or a huge allocation. Tensor shapes are reported in
/// PyTorch order (GGUF stores ne[0], the innermost extent, first). The LLaMA mapping (HF names,
/// config, tokenizer) is in gguf_llama.hpp.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "dapt/core/dtype.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/core/utf8.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/io/detail/gguf_quants.hpp"

namespace dapt::io {

/// The four bytes every GGUF file starts with.
inline constexpr std::string_view kGgufMagic = "GGUF";
/// Alignment of the data section and of every tensor when `general.alignment` is absent.
inline constexpr std::uint32_t kGgufDefaultAlignment = 32;
/// Most dimensions a ggml tensor has (GGML_MAX_DIMS).
inline constexpr int kGgufMaxDims = 4;
/// Deepest nesting of arrays in metadata accepted (an array of arrays has depth 2). Real files
/// use depth 1; the bound keeps a hostile file from recursing without end.
inline constexpr int kGgufMaxArrayDepth = 4;
/// Longest key accepted (the GGUF specification's limit).
inline constexpr std::uint64_t kGgufMaxKeyBytes = 65535;

/// The ggml tensor types, numbered as in ggml.h (holes are types ggml has removed).
enum class GgmlType : std::uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8, kQ8_1 = 9,
  kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14, kQ8_K = 15,
  kIQ2_XXS = 16, kIQ2_XS = 17, kIQ3_XXS = 18, kIQ1_S = 19, kIQ4_NL = 20, kIQ3_S = 21, kIQ2_S = 22,
  kIQ4_XS = 23, kI8 = 24, kI16 = 25, kI32 = 26, kI64 = 27, kF64 = 28, kIQ1_M = 29, kBF16 = 30,
  kTQ1_0 = 34, kTQ2_0 = 35, kMXFP4 = 39,
};

/// Name and block geometry of a ggml type: `block_size` elements take `type_size` bytes.
struct GgmlTypeTraits {
  std::string_view name;
  std::uint32_t block_size = 0;
  std::uint32_t type_size = 0;
};

namespace detail {
struct GgmlTypeEntry {
  std::uint32_t id;
  GgmlTypeTraits traits;
};
// Block geometry from ggml-common.h (the same table as gguf-py's GGML_QUANT_SIZES).
inline constexpr GgmlTypeEntry kGgmlTypes[] = {
    {0, {"F32", 1, 4}},           {1, {"F16", 1, 2}},          {2, {"Q4_0", 32, 18}},
    {3, {"Q4_1", 32, 20}},        {6, {"Q5_0", 32, 22}},       {7, {"Q5_1", 32, 24}},
    {8, {"Q8_0", 32, 34}},        {9, {"Q8_1", 32, 40}},       {10, {"Q2_K", 256, 84}},
    {11, {"Q3_K", 256, 110}},     {12, {"Q4_K", 256, 144}},    {13, {"Q5_K", 256, 176}},
    {14, {"Q6_K", 256, 210}},     {15, {"Q8_K", 256, 292}},    {16, {"IQ2_XXS", 256, 66}},
    {17, {"IQ2_XS", 256, 74}},    {18, {"IQ3_XXS", 256, 98}},  {19, {"IQ1_S", 256, 50}},
    {20, {"IQ4_NL", 32, 18}},     {21, {"IQ3_S", 256, 110}},   {22, {"IQ2_S", 256, 82}},
    {23, {"IQ4_XS", 256, 136}},   {24, {"I8", 1, 1}},          {25, {"I16", 1, 2}},
    {26, {"I32", 1, 4}},          {27, {"I64", 1, 8}},         {28, {"F64", 1, 8}},
    {29, {"IQ1_M", 256, 56}},     {30, {"BF16", 1, 2}},        {34, {"TQ1_0", 256, 54}},
    {35, {"TQ2_0", 256, 66}},     {39, {"MXFP4", 32, 17}},
};
}  // namespace detail

/// The traits of a raw ggml type id, or nullopt when it is not a type ggml defines.
constexpr std::optional<GgmlTypeTraits> ggml_type_traits(std::uint32_t id) noexcept {
  for (const auto& e : detail::kGgmlTypes)
    if (e.id == id) return e.traits;
  return std::nullopt;
}
constexpr GgmlTypeTraits ggml_type_traits(GgmlType t) noexcept {
  return ggml_type_traits(static_cast<std::uint32_t>(t)).value_or(GgmlTypeTraits{"?", 0, 0});
}
/// "Q4_K", "F32", ... ("?" for an id outside the enum).
constexpr std::string_view ggml_type_name(GgmlType t) noexcept { return ggml_type_traits(t).name; }

/// The types dapt dequantises to float32 (the others are refused with kUnsupported).
constexpr bool ggml_can_dequantize(GgmlType t) noexcept {
  switch (t) {
    case GgmlType::kF32: case GgmlType::kF16: case GgmlType::kBF16: case GgmlType::kF64:
    case GgmlType::kQ8_0: case GgmlType::kQ4_0: case GgmlType::kQ4_1: case GgmlType::kQ4_K: case GgmlType::kQ6_K:
      return true;
    default: return false;
  }
}
/// The types the writer produces from floats.
constexpr bool ggml_can_quantize(GgmlType t) noexcept { return ggml_can_dequantize(t); }

/// The value types of GGUF metadata.
enum class GgufValueType : std::uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};

constexpr std::string_view gguf_value_type_name(GgufValueType t) noexcept {
  switch (t) {
    case GgufValueType::kUint8: return "uint8";
    case GgufValueType::kInt8: return "int8";
    case GgufValueType::kUint16: return "uint16";
    case GgufValueType::kInt16: return "int16";
    case GgufValueType::kUint32: return "uint32";
    case GgufValueType::kInt32: return "int32";
    case GgufValueType::kFloat32: return "float32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kUint64: return "uint64";
    case GgufValueType::kInt64: return "int64";
    case GgufValueType::kFloat64: return "float64";
  }
  return "?";
}

namespace detail {

/// Bytes of a fixed-size value type, 0 for string and array.
constexpr std::size_t gguf_scalar_size(GgufValueType t) noexcept {
  switch (t) {
    case GgufValueType::kUint8: case GgufValueType::kInt8: case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16: case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32: case GgufValueType::kInt32: case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64: case GgufValueType::kInt64: case GgufValueType::kFloat64: return 8;
    case GgufValueType::kString: case GgufValueType::kArray: return 0;
  }
  return 0;
}
constexpr bool gguf_is_unsigned(GgufValueType t) noexcept {
  return t == GgufValueType::kUint8 || t == GgufValueType::kUint16 || t == GgufValueType::kUint32 ||
         t == GgufValueType::kUint64;
}
constexpr bool gguf_is_signed(GgufValueType t) noexcept {
  return t == GgufValueType::kInt8 || t == GgufValueType::kInt16 || t == GgufValueType::kInt32 ||
         t == GgufValueType::kInt64;
}
constexpr bool gguf_is_float(GgufValueType t) noexcept {
  return t == GgufValueType::kFloat32 || t == GgufValueType::kFloat64;
}
/// The fewest bytes one array element of type `t` occupies (a string's length, an array's type
/// and count), used to bound a declared element count by the bytes left.
constexpr std::size_t gguf_min_element_size(GgufValueType t) noexcept {
  if (t == GgufValueType::kString) return 8;
  if (t == GgufValueType::kArray) return 12;
  return gguf_scalar_size(t);
}

inline std::uint64_t le_load(const std::byte* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}
inline void le_append(std::string& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

/// Reads a validated scalar of type `t` at p (any alignment) as the three numeric families.
inline std::uint64_t gguf_load_unsigned(const std::byte* p, GgufValueType t) noexcept {
  return le_load(p, gguf_scalar_size(t));
}
inline std::int64_t gguf_load_signed(const std::byte* p, GgufValueType t) noexcept {
  const std::size_t n = gguf_scalar_size(t);
  const std::uint64_t u = le_load(p, n);
  if (n == 8) return static_cast<std::int64_t>(u);
  const std::uint64_t sign = std::uint64_t{1} << (8 * n - 1);
  return static_cast<std::int64_t>((u ^ sign) - sign);  // sign-extend
}
inline double gguf_load_float(const std::byte* p, GgufValueType t) noexcept {
  if (t == GgufValueType::kFloat32) {
    const auto u = static_cast<std::uint32_t>(le_load(p, 4));
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  const std::uint64_t u = le_load(p, 8);
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

}  // namespace detail

/// A metadata array: element type, count and the encoded elements. Arrays read from a file are
/// views into its mapping (validated when the file was opened) and share its keep-alive handle;
/// arrays made with the `of` factories own their bytes. Copies are cheap.
class GgufArray {
 public:
  GgufArray() = default;

  GgufValueType type() const noexcept { return type_; }
  std::uint64_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  /// The encoded elements (what follows the type and count in the file).
  std::span<const std::byte> bytes() const noexcept { return bytes_; }

  /// String elements (kConfig when the elements are not strings).
  std::vector<std::string> strings() const {
    expect(type_ == GgufValueType::kString, "strings");
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(count_));
    std::size_t pos = 0;
    for (std::uint64_t i = 0; i < count_; ++i) {
      const auto n = static_cast<std::size_t>(detail::le_load(bytes_.data() + pos, 8));
      out.emplace_back(reinterpret_cast<const char*>(bytes_.data() + pos + 8), n);
      pos += 8 + n;
    }
    return out;
  }
  /// Integer elements of any integer type as int64 (kConfig for other types, kOutOfRange for a
  /// uint64 above INT64_MAX).
  std::vector<std::int64_t> ints() const {
    expect(detail::gguf_is_signed(type_) || detail::gguf_is_unsigned(type_), "integers");
    const std::size_t w = detail::gguf_scalar_size(type_);
    std::vector<std::int64_t> out(static_cast<std::size_t>(count_));
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::byte* p = bytes_.data() + i * w;
      if (detail::gguf_is_signed(type_)) {
        out[i] = detail::gguf_load_signed(p, type_);
      } else {
        const std::uint64_t u = detail::gguf_load_unsigned(p, type_);
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          DAPT_FAIL(ErrorCategory::kOutOfRange, "GGUF array element ", i, " (", u, ") does not fit int64");
        out[i] = static_cast<std::int64_t>(u);
      }
    }
    return out;
  }
  /// Float elements (float32 or float64) as double.
  std::vector<double> floats() const {
    expect(detail::gguf_is_float(type_), "floats");
    const std::size_t w = detail::gguf_scalar_size(type_);
    std::vector<double> out(static_cast<std::size_t>(count_));
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = detail::gguf_load_float(bytes_.data() + i * w, type_);
    return out;
  }
  std::vector<bool> bools() const {
    expect(type_ == GgufValueType::kBool, "bools");
    std::vector<bool> out(static_cast<std::size_t>(count_));
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = bytes_[i] != std::byte{0};
    return out;
  }
  /// Nested array elements.
  std::vector<GgufArray> arrays() const {
    expect(type_ == GgufValueType::kArray, "arrays");
    std::vector<GgufArray> out;
    out.reserve(static_cast<std::size_t>(count_));
    std::size_t pos = 0;
    for (std::uint64_t i = 0; i < count_; ++i) {
      GgufArray a;
      a.type_ = static_cast<GgufValueType>(detail::le_load(bytes_.data() + pos, 4));
      a.count_ = detail::le_load(bytes_.data() + pos + 4, 8);
      const std::size_t n = encoded_size(a.type_, a.count_, bytes_.subspan(pos + 12));
      a.bytes_ = bytes_.subspan(pos + 12, n);
      a.owner_ = owner_;
      out.push_back(std::move(a));
      pos += 12 + n;
    }
    return out;
  }

  /// An array of numbers: T one of uint8..uint64, int8..int64, float, double (bool: use of_bools).
  template <class T>
  static GgufArray of(std::span<const T> values) {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, "GgufArray::of takes numbers");
    std::string buf;
    buf.reserve(values.size() * sizeof(T));
    for (T v : values) {
      if constexpr (std::is_floating_point_v<T>) {
        std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t> u;
        std::memcpy(&u, &v, sizeof v);
        detail::le_append(buf, u, sizeof v);
      } else {
        detail::le_append(buf, static_cast<std::uint64_t>(v), sizeof v);
      }
    }
    return owned(type_of<T>(), values.size(), std::move(buf));
  }
  template <class T>
  static GgufArray of(const std::vector<T>& values) {
    return of(std::span<const T>(values));
  }
  static GgufArray of_bools(const std::vector<bool>& values) {
    std::string buf;
    for (bool b : values) buf.push_back(b ? '\1' : '\0');
    return owned(GgufValueType::kBool, values.size(), std::move(buf));
  }
  static GgufArray of_strings(const std::vector<std::string>& values) {
    std::string buf;
    for (const auto& s : values) {
      detail::le_append(buf, s.size(), 8);
      buf += s;
    }
    return owned(GgufValueType::kString, values.size(), std::move(buf));
  }
  /// An array of arrays (they may differ in element type, as GGUF allows).
  static GgufArray of_arrays(const std::vector<GgufArray>& values) {
    std::string buf;
    for (const auto& a : values) {
      detail::le_append(buf, static_cast<std::uint32_t>(a.type_), 4);
      detail::le_append(buf, a.count_, 8);
      buf.append(reinterpret_cast<const char*>(a.bytes_.data()), a.bytes_.size());
    }
    return owned(GgufValueType::kArray, values.size(), std::move(buf));
  }

 private:
  friend class GgufFile;

  template <class T>
  static constexpr GgufValueType type_of() {
    if constexpr (std::is_same_v<T, float>) return GgufValueType::kFloat32;
    else if constexpr (std::is_same_v<T, double>) return GgufValueType::kFloat64;
    else if constexpr (std::is_signed_v<T> && sizeof(T) == 1) return GgufValueType::kInt8;
    else if constexpr (std::is_signed_v<T> && sizeof(T) == 2) return GgufValueType::kInt16;
    else if constexpr (std::is_signed_v<T> && sizeof(T) == 4) return GgufValueType::kInt32;
    else if constexpr (std::is_signed_v<T> && sizeof(T) == 8) return GgufValueType::kInt64;
    else if constexpr (sizeof(T) == 1) return GgufValueType::kUint8;
    else if constexpr (sizeof(T) == 2) return GgufValueType::kUint16;
    else if constexpr (sizeof(T) == 4) return GgufValueType::kUint32;
    else return GgufValueType::kUint64;
  }

  static GgufArray owned(GgufValueType type, std::uint64_t count, std::string buf) {
    auto holder = std::make_shared<const std::string>(std::move(buf));
    GgufArray a;
    a.type_ = type;
    a.count_ = count;
    a.bytes_ = {reinterpret_cast<const std::byte*>(holder->data()), holder->size()};
    a.owner_ = holder;
    return a;
  }

  /// Bytes of `count` already-validated elements of `type` at the start of `b`.
  static std::size_t encoded_size(GgufValueType type, std::uint64_t count, std::span<const std::byte> b) {
    if (const std::size_t w = detail::gguf_scalar_size(type)) return static_cast<std::size_t>(count) * w;
    std::size_t pos = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      if (type == GgufValueType::kString) {
        pos += 8 + static_cast<std::size_t>(detail::le_load(b.data() + pos, 8));
      } else {
        const auto t = static_cast<GgufValueType>(detail::le_load(b.data() + pos, 4));
        const std::uint64_t c = detail::le_load(b.data() + pos + 4, 8);
        pos += 12 + encoded_size(t, c, b.subspan(pos + 12));
      }
    }
    return pos;
  }

  void expect(bool ok, const char* what) const {
    if (!ok)
      DAPT_FAIL(ErrorCategory::kConfig, "GGUF array of ", gguf_value_type_name(type_), " read as ", what);
  }

  GgufValueType type_ = GgufValueType::kUint8;
  std::uint64_t count_ = 0;
  std::span<const std::byte> bytes_;
  std::shared_ptr<const void> owner_;
};

/// One metadata value: its type and its content. Unsigned integers are held as uint64, signed as
/// int64 and floats as double (exact for float32), so a value written back keeps its type.
class GgufValue {
 public:
  GgufValue() = default;

  static GgufValue uint8(std::uint8_t v) { return GgufValue(GgufValueType::kUint8, std::uint64_t{v}); }
  static GgufValue int8(std::int8_t v) { return GgufValue(GgufValueType::kInt8, std::int64_t{v}); }
  static GgufValue uint16(std::uint16_t v) { return GgufValue(GgufValueType::kUint16, std::uint64_t{v}); }
  static GgufValue int16(std::int16_t v) { return GgufValue(GgufValueType::kInt16, std::int64_t{v}); }
  static GgufValue uint32(std::uint32_t v) { return GgufValue(GgufValueType::kUint32, std::uint64_t{v}); }
  static GgufValue int32(std::int32_t v) { return GgufValue(GgufValueType::kInt32, std::int64_t{v}); }
  static GgufValue uint64(std::uint64_t v) { return GgufValue(GgufValueType::kUint64, v); }
  static GgufValue int64(std::int64_t v) { return GgufValue(GgufValueType::kInt64, v); }
  static GgufValue float32(float v) { return GgufValue(GgufValueType::kFloat32, static_cast<double>(v)); }
  static GgufValue float64(double v) { return GgufValue(GgufValueType::kFloat64, v); }
  static GgufValue boolean(bool v) { return GgufValue(GgufValueType::kBool, v); }
  static GgufValue string(std::string v) { return GgufValue(GgufValueType::kString, std::move(v)); }
  static GgufValue array(GgufArray v) { return GgufValue(GgufValueType::kArray, std::move(v)); }

  GgufValueType type() const noexcept { return type_; }
  bool is_integer() const noexcept { return detail::gguf_is_signed(type_) || detail::gguf_is_unsigned(type_); }
  bool is_float() const noexcept { return detail::gguf_is_float(type_); }
  bool is_string() const noexcept { return type_ == GgufValueType::kString; }
  bool is_bool() const noexcept { return type_ == GgufValueType::kBool; }
  bool is_array() const noexcept { return type_ == GgufValueType::kArray; }

  /// The raw payload, for callers that switch on type() themselves.
  const std::variant<std::uint64_t, std::int64_t, double, bool, std::string, GgufArray>& data() const noexcept {
    return data_;
  }

 private:
  template <class T>
  GgufValue(GgufValueType t, T v) : type_(t), data_(std::move(v)) {}

  GgufValueType type_ = GgufValueType::kUint8;
  std::variant<std::uint64_t, std::int64_t, double, bool, std::string, GgufArray> data_{std::uint64_t{0}};
};

/// One tensor of a GGUF file. `ne` is in ggml order (ne[0] is the innermost, contiguous extent);
/// `shape()` gives the PyTorch order. `offset` is relative to the data section.
struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::kF32;
  int n_dims = 0;
  std::array<std::int64_t, kGgufMaxDims> ne{1, 1, 1, 1};
  std::uint64_t offset = 0;
  std::uint64_t nbytes = 0;

  std::int64_t numel() const noexcept { return ne[0] * ne[1] * ne[2] * ne[3]; }
  /// Rows of ne[0] elements (each a whole number of blocks).
  std::int64_t rows() const noexcept { return ne[1] * ne[2] * ne[3]; }
  /// The PyTorch shape: ne reversed ((ne[1], ne[0]) for a matrix).
  Shape shape() const {
    std::array<std::int64_t, kGgufMaxDims> d{};
    for (int i = 0; i < n_dims; ++i) d[static_cast<std::size_t>(i)] = ne[static_cast<std::size_t>(n_dims - 1 - i)];
    return Shape(std::span<const std::int64_t>(d.data(), static_cast<std::size_t>(n_dims)));
  }
};

namespace detail {

/// The DType of a ggml type that has a plain element type, if any.
constexpr std::optional<DType> ggml_plain_dtype(GgmlType t) noexcept {
  switch (t) {
    case GgmlType::kF32: return DType::kF32;
    case GgmlType::kF16: return DType::kF16;
    case GgmlType::kBF16: return DType::kBF16;
    case GgmlType::kF64: return DType::kF64;
    case GgmlType::kI8: return DType::kI8;
    case GgmlType::kI16: return DType::kI16;
    case GgmlType::kI32: return DType::kI32;
    case GgmlType::kI64: return DType::kI64;
    default: return std::nullopt;
  }
}

/// Dequantises `rows` rows of `row_elems` elements each (a whole number of blocks) from `src`
/// to `dst`, on the thread policy's threads. The caller has checked that `type` is supported.
inline void ggml_dequantize_rows(GgmlType type, const std::byte* src, float* dst, std::int64_t rows,
                                 std::int64_t row_elems) {
  const GgmlTypeTraits tt = ggml_type_traits(type);
  const std::int64_t blocks_per_row = row_elems / tt.block_size;
  const std::size_t row_bytes = static_cast<std::size_t>(blocks_per_row) * tt.type_size;
  // Chunks of at least ~64K elements, so small tensors stay on one thread.
  const std::int64_t rows_per_chunk = std::max<std::int64_t>(1, (std::int64_t{1} << 16) / std::max<std::int64_t>(row_elems, 1));
  const std::int64_t chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
  parallel_for(0, chunks, [&](std::int64_t c) {
    const std::int64_t r0 = c * rows_per_chunk, r1 = std::min(rows, r0 + rows_per_chunk);
    const auto* s = reinterpret_cast<const unsigned char*>(src) + static_cast<std::size_t>(r0) * row_bytes;
    float* y = dst + r0 * row_elems;
    const std::int64_t n = (r1 - r0) * row_elems;  // elements in the chunk
    const std::int64_t nb = (r1 - r0) * blocks_per_row;
    switch (type) {
      case GgmlType::kF32: std::memcpy(y, s, static_cast<std::size_t>(n) * 4); break;
      case GgmlType::kF16: convert_to_f32(s, DType::kF16, y, static_cast<std::size_t>(n)); break;
      case GgmlType::kBF16: convert_to_f32(s, DType::kBF16, y, static_cast<std::size_t>(n)); break;
      case GgmlType::kF64: convert_to_f32(s, DType::kF64, y, static_cast<std::size_t>(n)); break;
      case GgmlType::kQ8_0: ggml::dequantize_q8_0(s, y, nb); break;
      case GgmlType::kQ4_0: ggml::dequantize_q4_0(s, y, nb); break;
      case GgmlType::kQ4_1: ggml::dequantize_q4_1(s, y, nb); break;
      case GgmlType::kQ4_K: ggml::dequantize_q4_k(s, y, nb); break;
      case GgmlType::kQ6_K: ggml::dequantize_q6_k(s, y, nb); break;
      default: DAPT_FAIL(ErrorCategory::kInternal, "dequantization of ", ggml_type_name(type), " reached the kernel");
    }
  }, 1);
}

}  // namespace detail

/// Dequantises `n` elements (a whole number of blocks) of ggml type `type` from `src` to `dst`.
/// kUnsupported for the types dapt cannot dequantise, kInvalidArgument when n is not a multiple
/// of the block size or `src` is too short.
inline void ggml_dequantize(GgmlType type, std::span<const std::byte> src, float* dst, std::int64_t n) {
  if (!ggml_can_dequantize(type))
    DAPT_FAIL(ErrorCategory::kUnsupported, "dequantization of ggml type ", ggml_type_name(type), " (",
              static_cast<std::uint32_t>(type), ") is not implemented; supported: F32, F16, BF16, F64, Q8_0, Q4_0, "
              "Q4_1, Q4_K, Q6_K");
  const GgmlTypeTraits tt = ggml_type_traits(type);
  DAPT_CHECK(n >= 0 && n % tt.block_size == 0, ggml_type_name(type), ": ", n, " elements is not a multiple of the block size ",
             tt.block_size);
  const std::uint64_t need = static_cast<std::uint64_t>(n / tt.block_size) * tt.type_size;
  DAPT_CHECK(src.size() >= need, ggml_type_name(type), ": ", n, " elements need ", need, " bytes, got ", src.size());
  // One row of everything: the chunking then splits on blocks of the same size.
  const std::int64_t row = tt.block_size;
  detail::ggml_dequantize_rows(type, src.data(), dst, n / row, row);
}

/// Quantises `n` floats (a whole number of blocks; finite for the block types) to ggml type
/// `type`, appending the bytes to `out`, with ggml's reference quantisers. kUnsupported for the
/// types dapt cannot write, kNumeric for a non-finite value or a scale that overflows f16.
inline void ggml_quantize(GgmlType type, const float* src, std::int64_t n, std::string& out) {
  if (!ggml_can_quantize(type))
    DAPT_FAIL(ErrorCategory::kUnsupported, "quantization to ggml type ", ggml_type_name(type),
              " is not implemented; supported: F32, F16, BF16, F64, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K");
  const GgmlTypeTraits tt = ggml_type_traits(type);
  DAPT_CHECK(n >= 0 && n % tt.block_size == 0, ggml_type_name(type), ": ", n,
             " elements is not a multiple of the block size ", tt.block_size);
  const std::int64_t blocks = n / tt.block_size;
  const std::size_t start = out.size();
  out.resize(start + static_cast<std::size_t>(blocks) * tt.type_size);
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + start);
  switch (type) {
    case GgmlType::kF32: std::memcpy(dst, src, static_cast<std::size_t>(n) * 4); return;
    case GgmlType::kF16: convert_from_f32(src, DType::kF16, dst, static_cast<std::size_t>(n)); return;
    case GgmlType::kBF16: convert_from_f32(src, DType::kBF16, dst, static_cast<std::size_t>(n)); return;
    case GgmlType::kF64: convert_from_f32(src, DType::kF64, dst, static_cast<std::size_t>(n)); return;
    default: break;
  }
  // Block types: independent blocks, so split them over threads in runs of 64.
  const std::int64_t per = 64;
  parallel_for(0, (blocks + per - 1) / per, [&](std::int64_t c) {
    const std::int64_t b0 = c * per, nb = std::min(blocks, b0 + per) - b0;
    const float* x = src + b0 * tt.block_size;
    unsigned char* y = dst + static_cast<std::size_t>(b0) * tt.type_size;
    switch (type) {
      case GgmlType::kQ8_0: detail::ggml::quantize_q8_0(x, y, nb); break;
      case GgmlType::kQ4_0: detail::ggml::quantize_q4_0(x, y, nb); break;
      case GgmlType::kQ4_1: detail::ggml::quantize_q4_1(x, y, nb); break;
      case GgmlType::kQ4_K: detail::ggml::quantize_q4_k(x, y, nb); break;
      case GgmlType::kQ6_K: detail::ggml::quantize_q6_k(x, y, nb); break;
      default: DAPT_FAIL(ErrorCategory::kInternal, "quantization to ", ggml_type_name(type), " reached the kernel");
    }
  });
}

/// A parsed and validated GGUF file (or in-memory buffer). Views and tensors it hands out keep
/// the mapping alive.
class GgufFile {
 public:
  /// Maps and validates a file. kIo when it cannot be read, kFormat when it is not valid GGUF,
  /// kUnsupported for GGUF version 1 and big-endian files.
  static GgufFile open(const std::filesystem::path& path) {
    auto mapped = detail::MappedFile::open(path);
    return GgufFile(mapped->bytes(), path.string(), mapped);
  }

  /// Validates a buffer held elsewhere; `keep_alive` (may be null) is shared by every view.
  static GgufFile from_bytes(std::span<const std::byte> bytes, std::string source,
                             std::shared_ptr<const void> keep_alive = nullptr) {
    return GgufFile(bytes, std::move(source), std::move(keep_alive));
  }

  std::uint32_t version() const noexcept { return version_; }
  std::uint32_t alignment() const noexcept { return alignment_; }
  /// Byte offset of the data section from the start of the file.
  std::uint64_t data_offset() const noexcept { return data_offset_; }
  const std::string& source() const noexcept { return source_; }
  const std::shared_ptr<const void>& keep_alive() const noexcept { return keep_alive_; }

  // ---- metadata -------------------------------------------------------------------------------

  /// Every key/value pair, in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const noexcept { return metadata_; }
  bool contains(std::string_view key) const { return key_index_.count(std::string(key)) != 0; }
  /// The value of `key`, or null.
  const GgufValue* find(std::string_view key) const {
    const auto it = key_index_.find(std::string(key));
    return it == key_index_.end() ? nullptr : &metadata_[it->second].second;
  }

  // Typed getters: nullopt when the key is absent; kConfig naming the key when it holds another
  // type (or a value out of range). The require_ forms fail with kConfig when the key is absent.

  std::optional<std::string> get_string(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) wrong_type(key, *v, "a string");
    return std::get<std::string>(v->data());
  }
  /// Any integer type, as uint64 (a negative value is kConfig).
  std::optional<std::uint64_t> get_uint(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    if (const auto* u = std::get_if<std::uint64_t>(&v->data()); u && v->is_integer()) return *u;
    if (const auto* s = std::get_if<std::int64_t>(&v->data())) {
      if (*s < 0) DAPT_FAIL(ErrorCategory::kConfig, source_, ": GGUF key \"", key, "\" is ", *s, ", expected a non-negative integer");
      return static_cast<std::uint64_t>(*s);
    }
    wrong_type(key, *v, "an integer");
  }
  /// Any integer type, as int64 (a uint64 above INT64_MAX is kConfig).
  std::optional<std::int64_t> get_int(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    if (const auto* s = std::get_if<std::int64_t>(&v->data())) return *s;
    if (const auto* u = std::get_if<std::uint64_t>(&v->data()); u && v->is_integer()) {
      if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        DAPT_FAIL(ErrorCategory::kConfig, source_, ": GGUF key \"", key, "\" is ", *u, ", which does not fit int64");
      return static_cast<std::int64_t>(*u);
    }
    wrong_type(key, *v, "an integer");
  }
  /// float32 or float64, as double.
  std::optional<double> get_float(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_float()) wrong_type(key, *v, "a float");
    return std::get<double>(v->data());
  }
  std::optional<bool> get_bool(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_bool()) wrong_type(key, *v, "a bool");
    return std::get<bool>(v->data());
  }
  std::optional<GgufArray> get_array(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_array()) wrong_type(key, *v, "an array");
    return std::get<GgufArray>(v->data());
  }
  std::string require_string(std::string_view key) const { return required(get_string(key), key); }
  std::uint64_t require_uint(std::string_view key) const { return required(get_uint(key), key); }
  std::int64_t require_int(std::string_view key) const { return required(get_int(key), key); }
  double require_float(std::string_view key) const { return required(get_float(key), key); }
  bool require_bool(std::string_view key) const { return required(get_bool(key), key); }
  GgufArray require_array(std::string_view key) const { return required(get_array(key), key); }

  // ---- tensors --------------------------------------------------------------------------------

  /// Tensors in file order.
  const std::vector<GgufTensorInfo>& tensors() const noexcept { return tensors_; }
  std::size_t size() const noexcept { return tensors_.size(); }
  bool has_tensor(std::string_view name) const { return tensor_index_.count(std::string(name)) != 0; }
  /// kOutOfRange when there is no such tensor.
  const GgufTensorInfo& tensor_info(std::string_view name) const {
    const auto it = tensor_index_.find(std::string(name));
    if (it == tensor_index_.end()) DAPT_FAIL(ErrorCategory::kOutOfRange, "no tensor named \"", name, "\" in ", source_);
    return tensors_[it->second];
  }
  /// The tensor's raw bytes in its ggml type (zero copy).
  std::span<const std::byte> tensor_bytes(std::string_view name) const {
    const GgufTensorInfo& t = tensor_info(name);
    return {data_ + t.offset, static_cast<std::size_t>(t.nbytes)};
  }

  /// A zero-copy view in the file's element type, for the plain types (F32, F16, BF16, F64, I8..I64);
  /// kUnsupported for block types (use dequantize). Read-only, possibly misaligned for its dtype.
  Tensor<Cpu> tensor(std::string_view name) const {
    const GgufTensorInfo& t = tensor_info(name);
    const auto dt = detail::ggml_plain_dtype(t.type);
    if (!dt)
      DAPT_FAIL(ErrorCategory::kUnsupported, source_, ": tensor \"", name, "\" is ", ggml_type_name(t.type),
                ", a block type with no element view; use dequantize()");
    return Tensor<Cpu>::borrow(const_cast<std::byte*>(data_ + t.offset), *dt, t.shape(), keep_alive_);
  }

  /// A new float32 tensor in PyTorch shape with the tensor's values, dequantised on the thread
  /// policy's threads. kUnsupported (naming the type) for the types dapt cannot dequantise.
  Tensor<Cpu> dequantize(std::string_view name) const {
    const GgufTensorInfo& t = tensor_info(name);
    check_dequantizable(t);
    auto out = Tensor<Cpu>::empty(t.shape(), DType::kF32);
    if (t.numel() > 0) detail::ggml_dequantize_rows(t.type, data_ + t.offset, out.data<float>(), t.rows(), t.ne[0]);
    return out;
  }

  /// Dequantises tensor `name` into `out` (row-major, PyTorch order), which must hold exactly
  /// its numel() floats (kInvalidArgument otherwise): for callers that reuse a buffer.
  void dequantize_into(std::string_view name, std::span<float> out) const {
    const GgufTensorInfo& t = tensor_info(name);
    check_dequantizable(t);
    DAPT_CHECK(out.size() == static_cast<std::size_t>(t.numel()), source_, ": tensor \"", name, "\" has ", t.numel(),
               " elements, the output buffer ", out.size());
    if (t.numel() > 0) detail::ggml_dequantize_rows(t.type, data_ + t.offset, out.data(), t.rows(), t.ne[0]);
  }

 private:
  GgufFile(std::span<const std::byte> bytes, std::string source, std::shared_ptr<const void> keep_alive)
      : source_(std::move(source)), keep_alive_(std::move(keep_alive)) {
    parse(bytes);
  }

  void check_dequantizable(const GgufTensorInfo& t) const {
    if (!ggml_can_dequantize(t.type))
      DAPT_FAIL(ErrorCategory::kUnsupported, source_, ": tensor \"", t.name, "\" has ggml type ", ggml_type_name(t.type),
                " (", static_cast<std::uint32_t>(t.type),
                "), which dapt does not dequantize (supported: F32, F16, BF16, F64, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K)");
  }

  [[noreturn]] void wrong_type(std::string_view key, const GgufValue& v, const char* expected) const {
    DAPT_FAIL(ErrorCategory::kConfig, source_, ": GGUF key \"", key, "\" holds ", gguf_value_type_name(v.type()),
              ", expected ", expected);
  }
  template <class T>
  T required(std::optional<T> v, std::string_view key) const {
    if (!v) DAPT_FAIL(ErrorCategory::kConfig, source_, ": required GGUF key \"", key, "\" is missing");
    return std::move(*v);
  }

  // ---- parsing --------------------------------------------------------------------------------

  /// A bounds-checked little-endian cursor; every failure names the source and the byte offset.
  struct Cursor {
    std::span<const std::byte> b;
    std::size_t pos = 0;
    const std::string* source = nullptr;

    std::size_t left() const noexcept { return b.size() - pos; }
    template <class... Parts>
    [[noreturn]] void fail(const Parts&... parts) const {
      DAPT_FAIL(ErrorCategory::kFormat, *source, ": ", parts..., " (at byte ", pos, ")");
    }
    std::uint64_t read(std::size_t n, std::string_view what) {
      if (left() < n) fail("truncated file: ", what, " needs ", n, " bytes but only ", left(), " remain");
      const std::uint64_t v = detail::le_load(b.data() + pos, n);
      pos += n;
      return v;
    }
    std::uint32_t u32(std::string_view what) { return static_cast<std::uint32_t>(read(4, what)); }
    std::uint64_t u64(std::string_view what) { return read(8, what); }
    /// A string: u64 length, then that many bytes, bounded by what is left (no allocation from
    /// the declared length before that check).
    std::string_view str(std::string_view what) {
      const std::uint64_t n = u64(what);
      if (n > left())
        fail(what, " declares a length of ", n, " bytes but only ", left(), " remain (truncated or corrupt file)");
      const std::string_view s(reinterpret_cast<const char*>(b.data() + pos), static_cast<std::size_t>(n));
      pos += static_cast<std::size_t>(n);
      return s;
    }
    void skip(std::size_t n) { pos += n; }
  };

  /// Reads a value type id (0..12).
  static GgufValueType value_type(Cursor& c, const std::string& where) {
    const std::uint32_t t = c.u32("the value type of " + where);
    if (t > static_cast<std::uint32_t>(GgufValueType::kFloat64))
      c.fail(where, " has value type ", t, ", which is not a GGUF type (0..12)");
    return static_cast<GgufValueType>(t);
  }

  /// Validates an array payload (element type and count already read) and returns its bytes.
  std::span<const std::byte> array_payload(Cursor& c, GgufValueType type, std::uint64_t count, int depth,
                                           const std::string& where) const {
    if (depth > kGgufMaxArrayDepth)
      c.fail(where, " nests arrays deeper than ", kGgufMaxArrayDepth, " levels");
    const std::size_t min_size = detail::gguf_min_element_size(type);
    if (count > c.left() / min_size)
      c.fail(where, " declares ", count, " elements of ", gguf_value_type_name(type), " but only ", c.left(),
             " bytes remain (truncated or corrupt file)");
    const std::size_t begin = c.pos;
    if (const std::size_t w = detail::gguf_scalar_size(type)) {
      if (type == GgufValueType::kBool)
        for (std::uint64_t i = 0; i < count; ++i)
          if (static_cast<std::uint8_t>(c.b[c.pos + i]) > 1)
            c.fail(where, " element ", i, " is a bool with value ", static_cast<unsigned>(c.b[c.pos + i]));
      c.skip(static_cast<std::size_t>(count) * w);
    } else if (type == GgufValueType::kString) {
      for (std::uint64_t i = 0; i < count; ++i) (void)c.str(where);
    } else {
      for (std::uint64_t i = 0; i < count; ++i) {
        const std::string inner = where + "[" + std::to_string(i) + "]";
        const GgufValueType t = value_type(c, inner);
        const std::uint64_t n = c.u64("the element count of " + inner);
        (void)array_payload(c, t, n, depth + 1, inner);
      }
    }
    return c.b.subspan(begin, c.pos - begin);
  }

  GgufValue read_value(Cursor& c, GgufValueType type, const std::string& where) const {
    const std::size_t at = c.pos;
    switch (type) {
      case GgufValueType::kUint8: case GgufValueType::kUint16: case GgufValueType::kUint32: case GgufValueType::kUint64: {
        const std::uint64_t u = c.read(detail::gguf_scalar_size(type), where);
        switch (type) {
          case GgufValueType::kUint8: return GgufValue::uint8(static_cast<std::uint8_t>(u));
          case GgufValueType::kUint16: return GgufValue::uint16(static_cast<std::uint16_t>(u));
          case GgufValueType::kUint32: return GgufValue::uint32(static_cast<std::uint32_t>(u));
          default: return GgufValue::uint64(u);
        }
      }
      case GgufValueType::kInt8: case GgufValueType::kInt16: case GgufValueType::kInt32: case GgufValueType::kInt64: {
        (void)c.read(detail::gguf_scalar_size(type), where);
        const std::int64_t s = detail::gguf_load_signed(c.b.data() + at, type);
        switch (type) {
          case GgufValueType::kInt8: return GgufValue::int8(static_cast<std::int8_t>(s));
          case GgufValueType::kInt16: return GgufValue::int16(static_cast<std::int16_t>(s));
          case GgufValueType::kInt32: return GgufValue::int32(static_cast<std::int32_t>(s));
          default: return GgufValue::int64(s);
        }
      }
      case GgufValueType::kFloat32: case GgufValueType::kFloat64: {
        (void)c.read(detail::gguf_scalar_size(type), where);
        const double d = detail::gguf_load_float(c.b.data() + at, type);
        return type == GgufValueType::kFloat32 ? GgufValue::float32(static_cast<float>(d)) : GgufValue::float64(d);
      }
      case GgufValueType::kBool: {
        const std::uint64_t v = c.read(1, where);
        if (v > 1) c.fail(where, " is a bool with value ", v, " (must be 0 or 1)");
        return GgufValue::boolean(v != 0);
      }
      case GgufValueType::kString: return GgufValue::string(std::string(c.str(where)));
      case GgufValueType::kArray: {
        const GgufValueType et = value_type(c, where + " (array element type)");
        const std::uint64_t count = c.u64("the element count of " + where);
        GgufArray a;
        a.type_ = et;
        a.count_ = count;
        a.bytes_ = array_payload(c, et, count, 1, where);
        a.owner_ = keep_alive_;
        return GgufValue::array(std::move(a));
      }
    }
    c.fail(where, " has an invalid value type");
  }

  void parse(std::span<const std::byte> bytes) {
    Cursor c{bytes, 0, &source_};
    if (bytes.size() < 4 || std::memcmp(bytes.data(), kGgufMagic.data(), 4) != 0) {
      if (bytes.size() < 4) c.fail("file of ", bytes.size(), " bytes is too short for the GGUF magic");
      c.fail("not a GGUF file: the magic is not \"GGUF\"");
    }
    c.skip(4);
    version_ = c.u32("the version");
    if (version_ == 1)
      DAPT_FAIL(ErrorCategory::kUnsupported, source_, ": GGUF version 1 (32-bit counts, 2023) is not supported; "
                "re-convert the model with a current llama.cpp");
    if (version_ != 2 && version_ != 3) {
      // A big-endian file (gguf-py can write one) has its version byte-swapped.
      const std::uint32_t swapped = ((version_ & 0xff) << 24) | ((version_ & 0xff00) << 8) |
                                    ((version_ >> 8) & 0xff00) | (version_ >> 24);
      if (swapped >= 1 && swapped <= 3)
        DAPT_FAIL(ErrorCategory::kUnsupported, source_, ": big-endian GGUF files are not supported");
      c.fail("unknown GGUF version ", version_, " (dapt reads versions 2 and 3)");
    }
    const std::uint64_t n_tensors = c.u64("the tensor count");
    const std::uint64_t n_kv = c.u64("the key/value count");
    // The smallest KV pair: key length (8) + 1-byte key + type (4) + a 1-byte value.
    if (n_kv > c.left() / 14)
      c.fail("the key/value count ", n_kv, " exceeds what the remaining ", c.left(), " bytes can hold");
    // The smallest tensor info: name length (8) + 1-byte name + n_dims (4) + one dim (8) + type (4) + offset (8).
    if (n_tensors > c.left() / 33)
      c.fail("the tensor count ", n_tensors, " exceeds what the remaining ", c.left(), " bytes can hold");

    metadata_.reserve(static_cast<std::size_t>(n_kv));
    for (std::uint64_t i = 0; i < n_kv; ++i) {
      const std::size_t at = c.pos;
      const std::string_view key = c.str("key " + std::to_string(i));
      if (key.empty()) c.fail("key ", i, " is empty");
      if (key.size() > kGgufMaxKeyBytes) c.fail("key ", i, " is ", key.size(), " bytes, more than ", kGgufMaxKeyBytes);
      if (const auto bad = first_invalid_utf8(key)) c.fail("key ", i, " is not valid UTF-8 (byte ", *bad, " of the key)");
      const std::string k(key);
      if (key_index_.count(k)) {
        c.pos = at;
        c.fail("duplicate key \"", k, "\"");
      }
      const std::string where = "the value of \"" + k + "\"";
      const GgufValueType type = value_type(c, where);
      GgufValue v = read_value(c, type, where);
      key_index_.emplace(k, metadata_.size());
      metadata_.emplace_back(k, std::move(v));
    }

    if (const GgufValue* a = find("general.alignment")) {
      if (!a->is_integer())
        c.fail("\"general.alignment\" holds ", gguf_value_type_name(a->type()), ", expected an integer");
      const auto* s = std::get_if<std::int64_t>(&a->data());
      if (s && *s < 0) c.fail("\"general.alignment\" is ", *s, "; it must be a power of two");
      const std::uint64_t al = s ? static_cast<std::uint64_t>(*s) : std::get<std::uint64_t>(a->data());
      if (al == 0 || (al & (al - 1)) != 0 || al > (std::uint64_t{1} << 30))
        c.fail("\"general.alignment\" is ", al, "; it must be a power of two (at most 2^30)");
      alignment_ = static_cast<std::uint32_t>(al);
    }

    tensors_.reserve(static_cast<std::size_t>(n_tensors));
    for (std::uint64_t i = 0; i < n_tensors; ++i) tensors_.push_back(read_tensor_info(c, i));

    // The data section starts at the next multiple of the alignment.
    const std::uint64_t pad = (alignment_ - c.pos % alignment_) % alignment_;
    data_offset_ = c.pos + pad;
    if (data_offset_ > bytes.size()) {
      if (!tensors_.empty())
        c.fail("truncated file: the data section would start at byte ", data_offset_, " of a ", bytes.size(), "-byte file");
      data_offset_ = bytes.size();  // no tensors: a file may end without the padding
    }
    data_ = bytes.data() + data_offset_;
    data_size_ = bytes.size() - static_cast<std::size_t>(data_offset_);

    tensor_index_.reserve(tensors_.size());
    for (std::size_t i = 0; i < tensors_.size(); ++i) {
      const GgufTensorInfo& t = tensors_[i];
      const std::string where = source_ + ": tensor \"" + t.name + "\"";
      if (!tensor_index_.emplace(t.name, i).second)
        DAPT_FAIL(ErrorCategory::kFormat, source_, ": duplicate tensor name \"", t.name, "\"");
      if (t.offset % alignment_ != 0)
        DAPT_FAIL(ErrorCategory::kFormat, where, " has offset ", t.offset, ", which is not a multiple of the alignment ",
                  alignment_);
      if (t.offset > data_size_ || t.nbytes > data_size_ - t.offset)
        DAPT_FAIL(ErrorCategory::kFormat, where, " spans bytes [", t.offset, ", ", t.offset, " + ", t.nbytes,
                  ") of a data section of ", data_size_, " bytes (truncated or corrupt file)");
    }
    std::vector<const GgufTensorInfo*> order;
    order.reserve(tensors_.size());
    for (const auto& t : tensors_) order.push_back(&t);
    std::sort(order.begin(), order.end(), [](const GgufTensorInfo* a, const GgufTensorInfo* b) {
      return a->offset != b->offset ? a->offset < b->offset : a->nbytes < b->nbytes;
    });
    for (std::size_t i = 1; i < order.size(); ++i) {
      const GgufTensorInfo& prev = *order[i - 1];
      const GgufTensorInfo& t = *order[i];
      if (t.offset < prev.offset + prev.nbytes)
        DAPT_FAIL(ErrorCategory::kFormat, source_, ": tensor \"", t.name, "\" at bytes [", t.offset, ", ",
                  t.offset + t.nbytes, ") overlaps tensor \"", prev.name, "\" at [", prev.offset, ", ",
                  prev.offset + prev.nbytes, ")");
    }
  }

  GgufTensorInfo read_tensor_info(Cursor& c, std::uint64_t i) const {
    GgufTensorInfo t;
    const std::string_view name = c.str("the name of tensor " + std::to_string(i));
    if (name.empty()) c.fail("tensor ", i, " has an empty name");
    if (const auto bad = first_invalid_utf8(name)) c.fail("the name of tensor ", i, " is not valid UTF-8 (byte ", *bad, ")");
    t.name = std::string(name);
    const std::string where = "tensor \"" + t.name + "\"";
    const std::uint32_t n_dims = c.u32("the dimension count of " + where);
    if (n_dims < 1 || n_dims > static_cast<std::uint32_t>(kGgufMaxDims))
      c.fail(where, " has ", n_dims, " dimensions; GGUF tensors have 1 to ", kGgufMaxDims);
    t.n_dims = static_cast<int>(n_dims);
    // The product with zeros counted as 1 bounds every stride, so it must fit int64 too (as in
    // the safetensors reader); the element count is at most that.
    std::uint64_t bound = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const std::uint64_t e = c.u64("a dimension of " + where);
      if (e > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
          __builtin_mul_overflow(bound, std::max<std::uint64_t>(e, 1), &bound) ||
          bound > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        c.fail(where, " has dimensions whose element count overflows int64");
      t.ne[d] = static_cast<std::int64_t>(e);
    }
    const std::uint32_t type = c.u32("the ggml type of " + where);
    const auto traits = ggml_type_traits(type);
    if (!traits) c.fail(where, " has ggml type ", type, ", which is not a known ggml type");
    t.type = static_cast<GgmlType>(type);
    t.offset = c.u64("the offset of " + where);
    if (t.ne[0] % traits->block_size != 0)
      c.fail(where, " is ", traits->name, " with rows of ", t.ne[0], " elements, not a multiple of its block size ",
             traits->block_size);
    const std::uint64_t numel = static_cast<std::uint64_t>(t.numel());
    if (__builtin_mul_overflow(numel / traits->block_size, std::uint64_t{traits->type_size}, &t.nbytes))
      c.fail(where, " needs more than 2^64 bytes");
    return t;
  }

  std::string source_;
  std::shared_ptr<const void> keep_alive_;
  std::uint32_t version_ = 0;
  std::uint32_t alignment_ = kGgufDefaultAlignment;
  std::uint64_t data_offset_ = 0;
  const std::byte* data_ = nullptr;
  std::size_t data_size_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::unordered_map<std::string, std::size_t> key_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, std::size_t> tensor_index_;
};

/// Builds a GGUF file: metadata in insertion order, then tensors, each at an aligned offset in
/// insertion order (the layout gguf-py and llama.cpp write). Tensors are given either as raw
/// bytes of a ggml type or as floats to quantise.
class GgufWriter {
 public:
  /// `alignment` must be a power of two. A value other than 32 is recorded as general.alignment
  /// (uint32): where the caller sets that key (to the same value), else after the other keys.
  explicit GgufWriter(std::uint32_t alignment = kGgufDefaultAlignment, std::uint32_t version = 3)
      : alignment_(alignment), version_(version) {
    DAPT_CHECK(alignment > 0 && (alignment & (alignment - 1)) == 0, "GGUF alignment must be a power of two, got ",
               alignment);
    DAPT_CHECK(version == 2 || version == 3, "GGUF version must be 2 or 3, got ", version);
  }

  /// Adds a key (kInvalidArgument when it is empty or already set).
  void set(std::string key, GgufValue value) {
    DAPT_CHECK(!key.empty() && key.size() <= kGgufMaxKeyBytes && is_valid_utf8(key), "invalid GGUF key \"", key, "\"");
    DAPT_CHECK(!keys_.count(key), "GGUF key \"", key, "\" is set twice");
    if (key == "general.alignment")
      DAPT_CHECK(value.is_integer() && std::visit([&](const auto& v) {
                   if constexpr (std::is_integral_v<std::decay_t<decltype(v)>>)
                     return static_cast<std::uint64_t>(v) == alignment_;
                   else
                     return false;
                 }, value.data()),
                 "general.alignment must equal the writer's alignment ", alignment_);
    keys_.insert(key);
    kv_.emplace_back(std::move(key), std::move(value));
  }
  void set_string(std::string key, std::string v) { set(std::move(key), GgufValue::string(std::move(v))); }
  void set_uint32(std::string key, std::uint32_t v) { set(std::move(key), GgufValue::uint32(v)); }
  void set_int32(std::string key, std::int32_t v) { set(std::move(key), GgufValue::int32(v)); }
  void set_uint64(std::string key, std::uint64_t v) { set(std::move(key), GgufValue::uint64(v)); }
  void set_float32(std::string key, float v) { set(std::move(key), GgufValue::float32(v)); }
  void set_bool(std::string key, bool v) { set(std::move(key), GgufValue::boolean(v)); }
  void set_array(std::string key, GgufArray v) { set(std::move(key), GgufValue::array(std::move(v))); }

  /// Adds a tensor from raw bytes of ggml type `type`; `ne` is in ggml order (innermost first).
  void add_raw_tensor(std::string name, GgmlType type, std::span<const std::int64_t> ne, std::string bytes) {
    DAPT_CHECK(!name.empty() && is_valid_utf8(name), "invalid GGUF tensor name \"", name, "\"");
    DAPT_CHECK(!names_.count(name), "GGUF tensor \"", name, "\" is added twice");
    DAPT_CHECK(!ne.empty() && ne.size() <= static_cast<std::size_t>(kGgufMaxDims), "GGUF tensor \"", name, "\" has ",
               ne.size(), " dimensions; 1 to ", kGgufMaxDims, " are allowed");
    const auto traits = ggml_type_traits(static_cast<std::uint32_t>(type));
    DAPT_CHECK(traits.has_value(), "unknown ggml type ", static_cast<std::uint32_t>(type));
    GgufTensorInfo t;
    t.name = name;
    t.type = type;
    t.n_dims = static_cast<int>(ne.size());
    std::int64_t numel = 1;
    for (std::size_t i = 0; i < ne.size(); ++i) {
      DAPT_CHECK(ne[i] >= 0 && !__builtin_mul_overflow(numel, ne[i], &numel), "GGUF tensor \"", name,
                 "\" has an invalid dimension ", ne[i]);
      t.ne[i] = ne[i];
    }
    DAPT_CHECK_AS(kShape, t.ne[0] % traits->block_size == 0, "GGUF tensor \"", name, "\": rows of ", t.ne[0],
                  " elements are not a multiple of the ", traits->name, " block size ", traits->block_size);
    t.nbytes = static_cast<std::uint64_t>(numel / traits->block_size) * traits->type_size;
    DAPT_CHECK(bytes.size() == t.nbytes, "GGUF tensor \"", name, "\": ", traits->name, " with ", numel, " elements needs ",
               t.nbytes, " bytes, got ", bytes.size());
    t.offset = data_size_;
    data_size_ += align(t.nbytes);
    names_.insert(name);
    tensors_.push_back(std::move(t));
    data_.push_back(std::move(bytes));
  }

  /// Adds a tensor from a view of any floating dtype and layout, in PyTorch shape, stored as
  /// `type` (quantised with ggml's reference quantisers for the block types).
  void add_tensor(std::string name, const TensorView<Cpu>& values, GgmlType type) {
    DAPT_CHECK(values.rank() >= 1 && values.rank() <= kGgufMaxDims, "GGUF tensor \"", name, "\" has rank ",
               values.rank(), "; 1 to ", kGgufMaxDims, " are allowed");
    Tensor<Cpu> f32 = Tensor<Cpu>::empty(values.shape(), DType::kF32);
    if (values.dtype() == DType::kF32) {
      Tensor<Cpu>::copy_view(values, f32.view());
    } else {
      DAPT_CHECK_AS(kDtype, is_floating(values.dtype()), "GGUF tensor \"", name, "\" has dtype ",
                    dtype_name(values.dtype()), "; give floats");
      Tensor<Cpu> contiguous = Tensor<Cpu>::empty(values.shape(), values.dtype());
      Tensor<Cpu>::copy_view(values, contiguous.view());
      convert_to_f32(contiguous.raw(), values.dtype(), f32.data<float>(), static_cast<std::size_t>(values.numel()));
    }
    std::vector<std::int64_t> ne(static_cast<std::size_t>(values.rank()));
    for (int i = 0; i < values.rank(); ++i) ne[static_cast<std::size_t>(i)] = values.dim(values.rank() - 1 - i);
    const GgmlTypeTraits tt = ggml_type_traits(type);
    DAPT_CHECK_AS(kShape, tt.block_size != 0 && ne[0] % tt.block_size == 0, "GGUF tensor \"", name, "\" of shape ",
                  values.shape().str(), ": the last dimension is not a multiple of the ", tt.name, " block size ",
                  tt.block_size);
    std::string bytes;
    ggml_quantize(type, f32.data<float>(), values.numel(), bytes);
    add_raw_tensor(std::move(name), type, ne, std::move(bytes));
  }

  /// The whole file in memory.
  std::string to_bytes() const {
    std::string out = header();
    for (std::size_t i = 0; i < data_.size(); ++i) {
      out += data_[i];
      out.append(static_cast<std::size_t>(align(data_[i].size()) - data_[i].size()), '\0');
    }
    return out;
  }

  /// Writes the file atomically (a temporary file renamed into place).
  void save(const std::filesystem::path& path) const {
    detail::AtomicFile out(path);
    out.write(header());
    const std::string zeros(alignment_, '\0');
    for (const auto& d : data_) {
      out.write(d);
      out.write(zeros.data(), static_cast<std::size_t>(align(d.size()) - d.size()));
    }
    out.commit();
  }

 private:
  std::uint64_t align(std::uint64_t n) const noexcept { return (n + alignment_ - 1) / alignment_ * alignment_; }

  static void append_value(std::string& out, const GgufValue& v) {
    using detail::le_append;
    const GgufValueType t = v.type();
    switch (t) {
      case GgufValueType::kString: {
        const auto& s = std::get<std::string>(v.data());
        le_append(out, s.size(), 8);
        out += s;
        return;
      }
      case GgufValueType::kArray: {
        const auto& a = std::get<GgufArray>(v.data());
        le_append(out, static_cast<std::uint32_t>(a.type()), 4);
        le_append(out, a.size(), 8);
        out.append(reinterpret_cast<const char*>(a.bytes().data()), a.bytes().size());
        return;
      }
      case GgufValueType::kBool: out.push_back(std::get<bool>(v.data()) ? '\1' : '\0'); return;
      case GgufValueType::kFloat32: {
        const float f = static_cast<float>(std::get<double>(v.data()));
        std::uint32_t u;
        std::memcpy(&u, &f, 4);
        le_append(out, u, 4);
        return;
      }
      case GgufValueType::kFloat64: {
        const double d = std::get<double>(v.data());
        std::uint64_t u;
        std::memcpy(&u, &d, 8);
        le_append(out, u, 8);
        return;
      }
      default: {
        const std::size_t n = detail::gguf_scalar_size(t);
        const std::uint64_t bits = std::visit([](const auto& x) -> std::uint64_t {
          if constexpr (std::is_integral_v<std::decay_t<decltype(x)>>) return static_cast<std::uint64_t>(x);
          else return 0;
        }, v.data());
        le_append(out, bits, n);
        return;
      }
    }
  }

  std::string header() const {
    using detail::le_append;
    std::vector<std::pair<std::string, GgufValue>> extra;
    if (alignment_ != kGgufDefaultAlignment && !keys_.count("general.alignment"))
      extra.emplace_back("general.alignment", GgufValue::uint32(alignment_));
    std::string out(kGgufMagic);
    le_append(out, version_, 4);
    le_append(out, tensors_.size(), 8);
    le_append(out, kv_.size() + extra.size(), 8);
    const std::vector<std::pair<std::string, GgufValue>>* lists[] = {&kv_, &extra};
    for (const auto* list : lists)
      for (const auto& [k, v] : *list) {
        le_append(out, k.size(), 8);
        out += k;
        le_append(out, static_cast<std::uint32_t>(v.type()), 4);
        append_value(out, v);
      }
    for (const auto& t : tensors_) {
      le_append(out, t.name.size(), 8);
      out += t.name;
      le_append(out, static_cast<std::uint32_t>(t.n_dims), 4);
      for (int i = 0; i < t.n_dims; ++i) le_append(out, static_cast<std::uint64_t>(t.ne[static_cast<std::size_t>(i)]), 8);
      le_append(out, static_cast<std::uint32_t>(t.type), 4);
      le_append(out, t.offset, 8);
    }
    out.append(static_cast<std::size_t>(align(out.size()) - out.size()), '\0');
    return out;
  }

  std::uint32_t alignment_;
  std::uint32_t version_;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::unordered_set<std::string> keys_;
  std::vector<GgufTensorInfo> tensors_;
  std::vector<std::string> data_;
  std::unordered_set<std::string> names_;
  std::uint64_t data_size_ = 0;
};

}  // namespace dapt::io
