/// @file gguf_hostile_test.cpp
/// @brief Hostile-input battery for the GGUF reader. Every corrupt file is built in memory, byte
/// by byte, so that each case states exactly which rule it breaks, and each must fail with a
/// dapt::Error of the right category (kFormat for a corrupt file) whose message names the
/// problem, without allocating from a lying length. Valid edge cases (no tensors, zero-element
/// tensors, a file that ends without its final padding) must keep working, every prefix of a
/// valid file must be rejected, and a seeded mutation loop checks the property that matters for
/// untrusted files: every input either parses into tensors that lie inside the buffer and can be
/// dequantised, or throws dapt::Error, and nothing else happens.
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/io/gguf.hpp"
#include "dapt_catch.hpp"

using dapt::ErrorCategory;
using namespace dapt::io;

namespace {

/// A little-endian byte builder for GGUF files.
struct Bytes {
  std::string b;
  Bytes& raw(std::string_view s) {
    b.append(s);
    return *this;
  }
  Bytes& u8(std::uint8_t v) {
    b.push_back(static_cast<char>(v));
    return *this;
  }
  Bytes& u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  Bytes& u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  Bytes& str(std::string_view s) { return u64(s.size()).raw(s); }
  /// A key/value header: key, then the value type.
  Bytes& key(std::string_view k, GgufValueType t) { return str(k).u32(static_cast<std::uint32_t>(t)); }
  /// A tensor info with the given ggml-order dims.
  Bytes& tensor(std::string_view name, std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset) {
    str(name).u32(static_cast<std::uint32_t>(ne.size()));
    for (auto e : ne) u64(e);
    return u32(type).u64(offset);
  }
  Bytes& pad_to(std::size_t alignment) {
    while (b.size() % alignment) b.push_back('\0');
    return *this;
  }
  Bytes& zeros(std::size_t n) {
    b.append(n, '\0');
    return *this;
  }
};

/// "GGUF", version, tensor count, KV count.
Bytes head(std::uint64_t n_tensors, std::uint64_t n_kv, std::uint32_t version = 3) {
  Bytes x;
  x.raw("GGUF").u32(version).u64(n_tensors).u64(n_kv);
  return x;
}

GgufFile parse_gguf(const std::string& buf) {
  return GgufFile::from_bytes({reinterpret_cast<const std::byte*>(buf.data()), buf.size()}, "hostile.gguf");
}

/// One F32 tensor "t" of `n` elements at offset 0, with `kv` already-encoded KV pairs.
std::string one_f32(std::uint64_t n, std::size_t n_kv = 0, const std::string& kv = {}) {
  Bytes x = head(1, n_kv);
  x.raw(kv).tensor("t", {n}, 0, 0).pad_to(32).zeros(static_cast<std::size_t>(n * 4));
  return x.b;
}

/// A valid file with metadata of several types and three tensors (F32, Q8_0, Q4_K).
std::string valid_file() {
  GgufWriter w;
  w.set_string("general.architecture", "test");
  w.set_uint32("a.u32", 7);
  w.set_float32("a.f32", 0.5f);
  w.set_bool("a.bool", true);
  w.set_array("a.strs", GgufArray::of_strings({"x", "yy", ""}));
  w.set_array("a.nested", GgufArray::of_arrays({GgufArray::of(std::vector<std::int8_t>{1, -1}), GgufArray::of_strings({"z"})}));
  std::vector<float> v(512);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 17) - 8.0f;
  auto t = dapt::Tensor<dapt::Cpu>::empty({2, 256}, dapt::DType::kF32);
  std::memcpy(t.raw(), v.data(), 512 * 4);
  w.add_tensor("f32", t.view().slice(1, 0, 8), GgmlType::kF32);
  w.add_tensor("q8", t.view(), GgmlType::kQ8_0);
  w.add_tensor("q4k", t.view(), GgmlType::kQ4_K);
  return w.to_bytes();
}

/// The promises to callers of a file that parsed: every tensor's bytes lie inside the buffer,
/// are disjoint and aligned, and dequantising them (when supported) is safe.
void check_gguf_is_sane(const GgufFile& f, const std::string& buf) {
  const auto* lo = reinterpret_cast<const std::byte*>(buf.data());
  const auto* hi = lo + buf.size();
  REQUIRE(f.data_offset() <= buf.size());
  REQUIRE(f.alignment() > 0);
  for (const auto& t : f.tensors()) {
    REQUIRE(t.offset % f.alignment() == 0);
    const auto bytes = f.tensor_bytes(t.name);
    REQUIRE(bytes.size() == t.nbytes);
    if (!bytes.empty()) {
      REQUIRE(bytes.data() >= lo);
      REQUIRE(bytes.data() + bytes.size() <= hi);
    }
    const auto traits = ggml_type_traits(t.type);
    REQUIRE(t.ne[0] % traits.block_size == 0);
    REQUIRE(static_cast<std::uint64_t>(t.numel()) / traits.block_size * traits.type_size == t.nbytes);
    if (ggml_can_dequantize(t.type) && t.numel() <= (1 << 16)) {
      const auto x = f.dequantize(t.name);
      REQUIRE(x.numel() == t.numel());
    }
  }
  for (const auto& [k, v] : f.metadata()) {
    REQUIRE(!k.empty());
    if (v.is_array()) {
      const auto& a = std::get<GgufArray>(v.data());
      switch (a.type()) {
        case GgufValueType::kString: REQUIRE(a.strings().size() == a.size()); break;
        case GgufValueType::kArray: REQUIRE(a.arrays().size() == a.size()); break;
        case GgufValueType::kBool: REQUIRE(a.bools().size() == a.size()); break;
        case GgufValueType::kFloat32: case GgufValueType::kFloat64: REQUIRE(a.floats().size() == a.size()); break;
        default:
          try {
            REQUIRE(a.ints().size() == a.size());
          } catch (const dapt::Error& e) {
            REQUIRE(e.category() == ErrorCategory::kOutOfRange);  // a uint64 above INT64_MAX
          }
      }
    }
  }
}

}  // namespace

TEST_CASE("GGUF hostile: the valid baselines parse", "[io][gguf][hostile]") {
  const std::string buf = valid_file();
  const auto f = parse_gguf(buf);
  check_gguf_is_sane(f, buf);
  CHECK(f.size() == 3);

  // No tensors, no KV, and a file that ends without the padding of its (empty) data section.
  CHECK(parse_gguf(head(0, 0).b).size() == 0);
  // A zero-element tensor and a scalar-like [1] tensor.
  Bytes z = head(2, 0);
  z.tensor("empty", {0, 5}, 0, 0).tensor("one", {1}, 0, 0).pad_to(32).zeros(4);
  const auto zf = parse_gguf(z.b);
  CHECK(zf.tensor_info("empty").numel() == 0);
  CHECK(zf.dequantize("empty").numel() == 0);
  CHECK(zf.dequantize("one").numel() == 1);
  // Version 2 has the same layout.
  Bytes v2 = head(0, 1, 2);
  v2.key("k", GgufValueType::kUint8).u8(1);
  CHECK(parse_gguf(v2.b).version() == 2);
}

TEST_CASE("GGUF hostile: magic and version", "[io][gguf][hostile]") {
  REQUIRE_DAPT_ERROR(parse_gguf(""), kFormat, "too short");
  REQUIRE_DAPT_ERROR(parse_gguf("GGU"), kFormat, "too short");
  REQUIRE_DAPT_ERROR(parse_gguf("GGUX" + head(0, 0).b.substr(4)), kFormat, "magic");
  REQUIRE_DAPT_ERROR(parse_gguf("ggml" + head(0, 0).b.substr(4)), kFormat, "not a GGUF file");
  REQUIRE_DAPT_ERROR(parse_gguf("GGUF"), kFormat, "truncated");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 0, 1).b), kUnsupported, "version 1");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 0, 4).b), kFormat, "unknown GGUF version 4");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 0, 0).b), kFormat, "unknown GGUF version 0");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 0, 0x03000000u).b), kUnsupported, "big-endian");
}

TEST_CASE("GGUF hostile: every proper prefix of a valid file is rejected", "[io][gguf][hostile]") {
  const std::string buf = valid_file();
  const auto f = parse_gguf(buf);
  std::uint64_t end = 0;  // the last byte any tensor needs; beyond it is only padding
  for (const auto& t : f.tensors()) end = std::max(end, f.data_offset() + t.offset + t.nbytes);
  for (std::size_t n = 0; n < buf.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    if (n < end) {
      try {
        (void)parse_gguf(buf.substr(0, n));
        FAIL("a truncated file parsed");
      } catch (const dapt::Error& e) {
        CHECK(e.category() == ErrorCategory::kFormat);
        CHECK((dapt_test::contains(e.what(), "truncated") || dapt_test::contains(e.what(), "too short") ||
               dapt_test::contains(e.what(), "remain")));
      }
    } else {
      check_gguf_is_sane(parse_gguf(buf.substr(0, n)), buf.substr(0, n));  // only trailing padding is missing
    }
  }
}

TEST_CASE("GGUF hostile: counts and lengths bounded by the file size", "[io][gguf][hostile]") {
  const std::uint64_t huge = std::uint64_t{1} << 63;
  REQUIRE_DAPT_ERROR(parse_gguf(head(huge, 0).b), kFormat, "tensor count");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, huge).b), kFormat, "key/value count");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, ~std::uint64_t{0}).b), kFormat, "key/value count");
  REQUIRE_DAPT_ERROR(parse_gguf(head(1000, 0).zeros(100).b), kFormat, "tensor count 1000");
  // A key claiming 2^63 bytes.
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).u64(huge).raw("key").u32(4).u32(1).b), kFormat, "declares a length");
  // A string value claiming 2^63 bytes.
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("k", GgufValueType::kString).u64(huge).raw("abc").zeros(10).b), kFormat,
                     "declares a length of 9223372036854775808");
  // Arrays of 2^60 elements: numbers, strings, arrays.
  for (auto t : {GgufValueType::kUint32, GgufValueType::kString, GgufValueType::kArray, GgufValueType::kBool}) {
    INFO(gguf_value_type_name(t));
    REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("k", GgufValueType::kArray).u32(static_cast<std::uint32_t>(t)).u64(std::uint64_t{1} << 60).zeros(64).b),
                       kFormat, "declares 1152921504606846976 elements");
  }
  // An array of strings each claiming more than remains.
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("k", GgufValueType::kArray).u32(8).u64(2).str("ok").u64(1000).raw("x").b),
                     kFormat, "declares a length of 1000");
  // A tensor name claiming 2^63 bytes.
  REQUIRE_DAPT_ERROR(parse_gguf(head(1, 0).u64(huge).zeros(40).b), kFormat, "the name of tensor 0");
}

TEST_CASE("GGUF hostile: nested arrays are bounded in depth and size", "[io][gguf][hostile]") {
  // Depth kGgufMaxArrayDepth is accepted, one more is not.
  auto nested = [](int depth) {
    Bytes x = head(0, 1);
    x.key("k", GgufValueType::kArray);
    for (int d = 1; d < depth; ++d) x.u32(static_cast<std::uint32_t>(GgufValueType::kArray)).u64(1);
    x.u32(static_cast<std::uint32_t>(GgufValueType::kUint8)).u64(1).u8(7);
    return x.b;
  };
  CHECK(parse_gguf(nested(kGgufMaxArrayDepth)).metadata().size() == 1);
  REQUIRE_DAPT_ERROR(parse_gguf(nested(kGgufMaxArrayDepth + 1)), kFormat, "nests arrays deeper");
  REQUIRE_DAPT_ERROR(parse_gguf(nested(100000)), kFormat, "nests arrays deeper");
  // An array of 2^40 empty arrays: each needs 12 bytes, so the count is refused up front.
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("k", GgufValueType::kArray).u32(9).u64(std::uint64_t{1} << 40).u32(0).u64(0).b),
                     kFormat, "elements of array");
  // An inner array that lies about its count.
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("k", GgufValueType::kArray).u32(9).u64(1).u32(4).u64(1000).u32(1).b), kFormat,
                     "k\"[0]");
}

TEST_CASE("GGUF hostile: value types and values", "[io][gguf][hostile]") {
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).str("k").u32(13).u32(0).b), kFormat, "value type 13");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).str("k").u32(0xffffffffu).u32(0).b), kFormat, "not a GGUF type");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("k", GgufValueType::kArray).u32(99).u64(0).b), kFormat, "value type 99");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("k", GgufValueType::kBool).u8(2).b), kFormat, "bool with value 2");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("k", GgufValueType::kArray).u32(7).u64(2).u8(1).u8(255).b), kFormat,
                     "element 1 is a bool");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("k", GgufValueType::kUint64).u32(1).b), kFormat, "truncated");
}

TEST_CASE("GGUF hostile: keys", "[io][gguf][hostile]") {
  Bytes dup = head(0, 2);
  dup.key("same", GgufValueType::kUint8).u8(1).key("same", GgufValueType::kUint32).u32(2);
  REQUIRE_DAPT_ERROR(parse_gguf(dup.b), kFormat, "duplicate key \"same\"");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("bad\xff\xfe", GgufValueType::kUint8).u8(1).b), kFormat, "not valid UTF-8");
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("\xed\xa0\x80", GgufValueType::kUint8).u8(1).b), kFormat, "not valid UTF-8");  // a surrogate
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key("", GgufValueType::kUint8).u8(1).zeros(8).b), kFormat, "key 0 is empty");
  const std::string long_key(70000, 'k');
  REQUIRE_DAPT_ERROR(parse_gguf(head(0, 1).key(long_key, GgufValueType::kUint8).u8(1).b), kFormat, "more than 65535");
}

TEST_CASE("GGUF hostile: alignment", "[io][gguf][hostile]") {
  for (std::uint32_t a : {0u, 3u, 48u, 0x80000001u}) {
    INFO("alignment " << a);
    Bytes kv;
    kv.key("general.alignment", GgufValueType::kUint32).u32(a);
    REQUIRE_DAPT_ERROR(parse_gguf(one_f32(8, 1, kv.b)), kFormat, "power of two");
  }
  Bytes s;
  s.key("general.alignment", GgufValueType::kString).str("32");
  REQUIRE_DAPT_ERROR(parse_gguf(one_f32(8, 1, s.b)), kFormat, "expected an integer");
  Bytes neg;
  neg.key("general.alignment", GgufValueType::kInt32).u32(static_cast<std::uint32_t>(-32));
  REQUIRE_DAPT_ERROR(parse_gguf(one_f32(8, 1, neg.b)), kFormat, "power of two");
  // A valid custom alignment moves the data section.
  Bytes ok = head(1, 1);
  ok.key("general.alignment", GgufValueType::kUint32).u32(256).tensor("t", {4}, 0, 0).pad_to(256).zeros(16);
  const auto f = parse_gguf(ok.b);
  CHECK(f.alignment() == 256);
  CHECK(f.data_offset() == 256);
}

TEST_CASE("GGUF hostile: tensor infos", "[io][gguf][hostile]") {
  auto one = [](std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset, std::size_t data = 64) {
    Bytes x = head(1, 0);
    x.tensor("t", std::move(ne), type, offset).pad_to(32).zeros(data);
    return x.b;
  };
  REQUIRE_DAPT_ERROR(parse_gguf(one({}, 0, 0)), kFormat, "has 0 dimensions");
  REQUIRE_DAPT_ERROR(parse_gguf(one({1, 1, 1, 1, 1}, 0, 0)), kFormat, "has 5 dimensions");
  REQUIRE_DAPT_ERROR(parse_gguf(head(1, 0).str("t").u32(0xffffffffu).zeros(64).b), kFormat, "4294967295 dimensions");
  REQUIRE_DAPT_ERROR(parse_gguf(one({std::uint64_t{1} << 32, std::uint64_t{1} << 32}, 0, 0)), kFormat, "overflows");
  REQUIRE_DAPT_ERROR(parse_gguf(one({std::uint64_t{1} << 63}, 0, 0)), kFormat, "overflows");
  REQUIRE_DAPT_ERROR(parse_gguf(one({0, std::uint64_t{1} << 62, 4}, 0, 0)), kFormat, "overflows");  // zero elements, huge strides
  for (std::uint32_t type : {4u, 5u, 31u, 40u, 1000u}) {
    INFO("ggml type " << type);
    REQUIRE_DAPT_ERROR(parse_gguf(one({32}, type, 0)), kFormat, "not a known ggml type");
  }
  REQUIRE_DAPT_ERROR(parse_gguf(one({16}, static_cast<std::uint32_t>(GgmlType::kQ4_0), 0)), kFormat, "not a multiple of its block size 32");
  REQUIRE_DAPT_ERROR(parse_gguf(one({255, 2}, static_cast<std::uint32_t>(GgmlType::kQ4_K), 0)), kFormat, "block size 256");
  // The element count divides the block size but the rows do not: ggml rows are whole blocks.
  REQUIRE_DAPT_ERROR(parse_gguf(one({16, 2}, static_cast<std::uint32_t>(GgmlType::kQ8_0), 0)), kFormat, "rows of 16");
  REQUIRE_DAPT_ERROR(parse_gguf(head(1, 0).str("").u32(1).u64(1).u32(0).u64(0).pad_to(32).zeros(4).b), kFormat, "empty name");
  REQUIRE_DAPT_ERROR(parse_gguf(head(1, 0).tensor("\xc0\xaf", {1}, 0, 0).pad_to(32).zeros(4).b), kFormat, "not valid UTF-8");
}

TEST_CASE("GGUF hostile: tensor offsets", "[io][gguf][hostile]") {
  auto file = [](std::uint64_t off_a, std::uint64_t off_b, std::size_t data) {
    Bytes x = head(2, 0);
    x.tensor("a", {16}, 0, off_a).tensor("b", {16}, 0, off_b).pad_to(32).zeros(data);
    return x.b;
  };
  CHECK(parse_gguf(file(0, 64, 128)).size() == 2);
  CHECK(parse_gguf(file(64, 0, 128)).size() == 2);  // any order, gaps allowed
  REQUIRE_DAPT_ERROR(parse_gguf(file(0, 8, 128)), kFormat, "not a multiple of the alignment 32");
  REQUIRE_DAPT_ERROR(parse_gguf(file(0, 32, 128)), kFormat, "overlaps tensor \"a\"");
  REQUIRE_DAPT_ERROR(parse_gguf(file(0, 0, 128)), kFormat, "overlaps");
  REQUIRE_DAPT_ERROR(parse_gguf(file(0, 96, 128)), kFormat, "spans bytes [96, 96 + 64) of a data section of 128 bytes");
  REQUIRE_DAPT_ERROR(parse_gguf(file(0, ~std::uint64_t{0} - 31, 128)), kFormat, "spans bytes");
  REQUIRE_DAPT_ERROR(parse_gguf(file(0, std::uint64_t{1} << 62, 128)), kFormat, "spans bytes");
  // The data section itself would start past the end of the file.
  Bytes cut = head(1, 0);
  cut.tensor("t", {0}, 0, 0);
  REQUIRE_DAPT_ERROR(parse_gguf(cut.b), kFormat, "the data section would start");
  Bytes dup = head(2, 0);
  dup.tensor("t", {8}, 0, 0).tensor("t", {8}, 0, 32).pad_to(32).zeros(64);
  REQUIRE_DAPT_ERROR(parse_gguf(dup.b), kFormat, "duplicate tensor name \"t\"");
}

TEST_CASE("GGUF hostile: seeded mutations parse sanely or throw dapt::Error", "[io][gguf][hostile]") {
  const std::string base = valid_file();
  std::mt19937 rng(0x6767);
  std::size_t parsed = 0, rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string buf = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = rng() % buf.size();
      switch (rng() % 4) {
        case 0: buf[pos] = static_cast<char>(rng()); break;                      // random byte
        case 1: buf[pos] = static_cast<char>(buf[pos] ^ (1 << (rng() % 8))); break;  // bit flip
        case 2: buf[pos] = static_cast<char>(0xff); break;                       // saturate a length byte
        case 3: buf.resize(pos); break;                                          // truncate
      }
      if (buf.empty()) break;
    }
    try {
      const auto f = parse_gguf(buf);
      check_gguf_is_sane(f, buf);
      ++parsed;
    } catch (const dapt::Error& e) {
      const auto c = e.category();
      CHECK((c == ErrorCategory::kFormat || c == ErrorCategory::kUnsupported));
      ++rejected;
    }
  }
  CHECK(parsed > 0);
  CHECK(rejected > 0);
}
