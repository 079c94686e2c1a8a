/// @file safetensors_hostile_test.cpp
/// @brief Hostile-input battery for the safetensors reader, the sharded checkpoint loader and the
/// strict JSON parser beneath them. Every corrupt buffer is built in memory (8-byte little-endian
/// header length + header + data) so that each case states exactly which rule it breaks, and each
/// must fail with a dapt::Error of the right category whose message names the problem. Valid edge
/// cases (no tensors, zero-element tensors, padded headers) must keep working, and a seeded
/// mutation loop checks the one property that matters for untrusted files: every input either
/// parses into views that lie inside the buffer, or throws dapt::Error, and nothing else.
#include <algorithm>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dapt_catch.hpp"
#include "test_util.hpp"
#include "dapt/io/json.hpp"
#include "dapt/io/safetensors.hpp"

namespace fs = std::filesystem;
using dapt::DType;
using dapt::ErrorCategory;
using dapt::io::SafetensorsCheckpoint;
using dapt::io::SafetensorsFile;

namespace {

/// Concatenation by append: `"literal" + std::string` trips a GCC 12 -Wrestrict false positive.
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

/// The 8-byte little-endian length prefix.
std::string le64(std::uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(n >> (8 * i));
  return out;
}

/// A whole safetensors buffer whose length prefix tells the truth about `header`.
std::string st_file(std::string_view header, std::string_view data = {}) {
  return le64(header.size()) + std::string(header) + std::string(data);
}

/// One header entry, as JSON text: "name":{"dtype":..,"shape":..,"data_offsets":..}. The shape and
/// offsets are raw JSON so that cases can put anything there.
std::string entry(std::string_view name, std::string_view dtype, std::string_view shape, std::string_view offsets) {
  return cat("\"", name, "\":{\"dtype\":\"", dtype, "\",\"shape\":", shape, ",\"data_offsets\":", offsets, "}");
}

/// A one-tensor file: `name` with the given raw JSON fields, followed by `data`.
std::string one_tensor(std::string_view dtype, std::string_view shape, std::string_view offsets,
                       std::string_view data) {
  return st_file(cat("{", entry("t", dtype, shape, offsets), "}"), data);
}

SafetensorsFile parse_safetensors(const std::string& buf) {
  return SafetensorsFile::from_bytes({reinterpret_cast<const std::byte*>(buf.data()), buf.size()},
                                     "hostile.safetensors");
}

/// A valid file with one F32 tensor `name` of 1 element (4 bytes).
std::string scalar_file(std::string_view name) {
  return st_file(cat("{", entry(name, "F32", "[1]", "[0,4]"), "}"), std::string(4, '\x01'));
}

/// Checks the invariant promised to callers of a file that parsed: every tensor's span lies inside
/// the buffer, the spans tile the data section, and reading every byte (and converting small
/// tensors) is safe.
void check_safetensors_is_sane(const SafetensorsFile& f, const std::string& buf) {
  const auto* lo = reinterpret_cast<const std::byte*>(buf.data());
  const auto* hi = lo + buf.size();
  REQUIRE(f.data_offset() >= 8);
  REQUIRE(f.data_offset() <= buf.size());
  std::uint64_t covered = 0;
  for (const auto& t : f.tensors()) {
    REQUIRE(t.begin <= t.end);
    REQUIRE(t.end <= buf.size() - f.data_offset());
    REQUIRE(t.shape.numel() * static_cast<std::int64_t>(dapt::dtype_size(t.dtype)) ==
            static_cast<std::int64_t>(t.nbytes()));
    const auto bytes = f.bytes(t.name);
    REQUIRE(bytes.size() == t.nbytes());
    if (!bytes.empty()) {
      REQUIRE(bytes.data() >= lo);
      REQUIRE(bytes.data() + bytes.size() <= hi);
    }
    unsigned sum = 0;
    for (std::byte b : bytes) sum += static_cast<unsigned>(b);
    (void)sum;
    auto view = f.tensor(t.name);
    REQUIRE(view.numel() == t.shape.numel());
    if (t.shape.numel() <= 4096) {
      try {
        auto f32 = f.to_f32(t.name);
        REQUIRE(f32.numel() == t.shape.numel());
      } catch (const dapt::Error& e) {
        REQUIRE(e.category() == ErrorCategory::kUnsupported);  // F8 types
      }
    }
    covered += t.nbytes();
  }
  REQUIRE(covered == f.data_section().size());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The 8-byte length prefix.

TEST_CASE("hostile safetensors: buffers too short for the length prefix", "[io][safetensors][hostile]") {
  REQUIRE_DAPT_ERROR(parse_safetensors(""), kFormat, "0 bytes, too short for the 8-byte header length");
  REQUIRE_DAPT_ERROR(parse_safetensors(std::string(7, '\0')), kFormat, "7 bytes, too short");
  REQUIRE_DAPT_ERROR(parse_safetensors("{}"), kFormat, "2 bytes, too short");
}

TEST_CASE("hostile safetensors: absurd header lengths", "[io][safetensors][hostile]") {
  REQUIRE_DAPT_ERROR(parse_safetensors(le64(std::uint64_t{1} << 63) + "{}"), kFormat,
                     "header length 9223372036854775808 exceeds the limit of 100000000");
  REQUIRE_DAPT_ERROR(parse_safetensors(le64(~std::uint64_t{0}) + "{}"), kFormat,
                     "header length 18446744073709551615 exceeds the limit");
  // Just over the limit, with a buffer that really holds that many bytes, so the limit (not the
  // truncation check) is what refuses it.
  {
    std::string big = le64(100'000'001) + "{}";
    big.resize(8 + 100'000'001, ' ');
    REQUIRE_DAPT_ERROR(parse_safetensors(big), kFormat, "header length 100000001 exceeds the limit of 100000000");
  }
  // A header length larger than the rest of the file: truncation.
  REQUIRE_DAPT_ERROR(parse_safetensors(le64(50) + "{\"a\":1}"), kFormat,
                     "header length 50 exceeds the 7 bytes that follow it (truncated file?)");
  REQUIRE_DAPT_ERROR(parse_safetensors(le64(1)), kFormat, "header length 1 exceeds the 0 bytes that follow it");
  REQUIRE_DAPT_ERROR(parse_safetensors(le64(0)), kFormat, "header of 0 bytes cannot hold a JSON object");
  REQUIRE_DAPT_ERROR(parse_safetensors(le64(1) + "{"), kFormat, "header of 1 bytes cannot hold a JSON object");
}

TEST_CASE("hostile safetensors: a header at exactly the limit is accepted", "[io][safetensors][hostile]") {
  std::string big = le64(100'000'000) + "{}";
  big.resize(8 + 100'000'000, ' ');
  const auto f = parse_safetensors(big);
  CHECK(f.size() == 0);
  CHECK(f.data_offset() == 8 + 100'000'000);
}

// ---------------------------------------------------------------------------------------------
// The header JSON itself.

TEST_CASE("hostile safetensors: headers that are not a JSON object", "[io][safetensors][hostile]") {
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{not json}")), kFormat, "invalid JSON at byte 1: syntax error");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("not json at all")), kFormat, "header does not start with '{'");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file(" {}")), kFormat, "header does not start with '{'");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("[1, 2, 3]")), kFormat, "header does not start with '{'");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("\"a string\"")), kFormat, "header does not start with '{'");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("        ")), kFormat, "header does not start with '{'");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file(std::string(8, '\0'))), kFormat, "header does not start with '{'");
  // Truncated JSON: the object never closes.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1]")), kFormat, "incomplete JSON");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":{\"dtype\":\"F3")), kFormat, "incomplete JSON");
  // Two documents, a trailing comma, a comment, NUL padding, NaN.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{}{}")), kFormat, "extra data");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":{},}")), kFormat, "invalid JSON at byte");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{/* hi */}")), kFormat, "invalid JSON at byte 1");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file(std::string("{}\0\0\0\0\0\0", 8))), kFormat, "extra data");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":{\"a\":NaN}}")), kFormat, "invalid JSON at byte");
}

TEST_CASE("hostile safetensors: invalid UTF-8 in the header", "[io][safetensors][hostile]") {
  const std::string data(4, '\0');
  // A lone continuation byte, an overlong '/', a UTF-16 surrogate, a truncated sequence, 0xff.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("a\x80", "F32", "[1]", "[0,4]") + "}", data)), kFormat,
                     "invalid UTF-8 at byte 3");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("\xc0\xaf", "F32", "[1]", "[0,4]") + "}", data)), kFormat,
                     "invalid UTF-8 at byte 2");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("\xed\xa0\x80", "F32", "[1]", "[0,4]") + "}", data)), kFormat,
                     "invalid UTF-8 at byte 2");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("w\xe2\x82", "F32", "[1]", "[0,4]") + "}", data)), kFormat,
                     "invalid UTF-8 at byte 3");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":{\"k\":\"\xff\"}}")), kFormat, "invalid UTF-8 at byte 22");
  // An escaped lone surrogate is refused too.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":{\"k\":\"\\ud800\"}}")), kFormat, "invalid JSON at byte");
  // Valid multi-byte names are fine.
  const auto ok = parse_safetensors(st_file("{" + entry("gewicht_\xc3\xa4_\xe2\x82\xac_\xf0\x9f\x98\x80", "F32", "[1]", "[0,4]") + "}",
                                data));
  CHECK(ok.contains("gewicht_\xc3\xa4_\xe2\x82\xac_\xf0\x9f\x98\x80"));
}

TEST_CASE("hostile safetensors: deeply nested JSON", "[io][safetensors][hostile]") {
  // 10,000 '[' would blow the stack of a recursive parser; the depth limit refuses it.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":" + std::string(10000, '['))), kFormat,
                     "JSON nested deeper than 64 levels");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"a\":" + std::string(10000, '[') + std::string(10000, ']') + "}")), kFormat,
                     "JSON nested deeper than 64 levels");
  std::string objects = "{";
  for (int i = 0; i < 10000; ++i) objects += "\"k\":{";
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file(objects)), kFormat, "JSON nested deeper than 64 levels");
}

TEST_CASE("hostile safetensors: duplicate keys", "[io][safetensors][hostile]") {
  const std::string data(8, '\0');
  // Two tensors with one name: Boost.JSON alone would silently keep the last one.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("w", "F32", "[1]", "[0,4]") + "," + entry("w", "F32", "[1]", "[4,8]") +
                                   "}",
                                   data)),
                     kFormat, "duplicate JSON key \"w\"");
  // The same name spelled with an escape is the same key.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("w", "F32", "[1]", "[0,4]") + "," + entry("\\u0077", "F32", "[1]", "[4,8]") +
                                   "}",
                                   data)),
                     kFormat, "duplicate JSON key \"w\"");
  // Duplicate fields inside one entry.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":{\"dtype\":\"F32\",\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                                   std::string(4, '\0'))),
                     kFormat, "duplicate JSON key \"dtype\"");
  REQUIRE_DAPT_ERROR(
      parse_safetensors(st_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"data_offsets\":[0,4]}}",
                    std::string(4, '\0'))),
      kFormat, "duplicate JSON key \"data_offsets\"");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":{},\"__metadata__\":{}}")), kFormat,
                     "duplicate JSON key \"__metadata__\"");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}")), kFormat,
                     "duplicate JSON key \"a\"");
}

// ---------------------------------------------------------------------------------------------
// Tensor entries.

TEST_CASE("hostile safetensors: entries that are not objects or lack fields", "[io][safetensors][hostile]") {
  const std::string data(4, '\0');
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":[1,2]}")), kFormat,
                     "tensor \"t\" must map to an object with dtype, shape and data_offsets");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":null}")), kFormat, "tensor \"t\" must map to an object");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":\"F32\"}")), kFormat, "tensor \"t\" must map to an object");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", data)), kFormat,
                     "tensor \"t\": required field \"dtype\" is missing");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":{\"dtype\":null,\"shape\":[1],\"data_offsets\":[0,4]}}", data)), kFormat,
                     "required field \"dtype\" is missing");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", data)), kFormat,
                     "tensor \"t\" has no \"shape\" array");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", data)), kFormat,
                     "tensor \"t\" needs \"data_offsets\" as [begin, end]");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":{}}", data)), kFormat, "required field \"dtype\" is missing");
}

TEST_CASE("hostile safetensors: unknown dtypes", "[io][safetensors][hostile]") {
  const std::string data(4, '\0');
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F31", "[1]", "[0,4]", data)), kFormat, "tensor \"t\" has unknown dtype \"F31\"");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("f32", "[1]", "[0,4]", data)), kFormat, "unknown dtype \"f32\"");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("", "[1]", "[0,4]", data)), kFormat, "unknown dtype \"\"");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32 ", "[1]", "[0,4]", data)), kFormat, "unknown dtype \"F32 \"");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("float32", "[1]", "[0,4]", data)), kFormat, "unknown dtype \"float32\"");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", data)), kFormat,
                     "field \"dtype\" must be a string, found an integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"t\":{\"dtype\":[\"F32\"],\"shape\":[1],\"data_offsets\":[0,4]}}", data)), kFormat,
                     "field \"dtype\" must be a string, found an array");
}

TEST_CASE("hostile safetensors: bad shapes", "[io][safetensors][hostile]") {
  const std::string data(4, '\0');
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "1", "[0,4]", data)), kFormat,
                     "field \"shape\" must be an array, found an integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "\"[1]\"", "[0,4]", data)), kFormat, "field \"shape\" must be an array");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "{\"0\":1}", "[0,4]", data)), kFormat, "field \"shape\" must be an array");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[-1]", "[0,4]", data)), kFormat, "has a negative extent in its shape");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2,-2]", "[0,4]", data)), kFormat, "negative extent");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[1.5]", "[0,4]", data)), kFormat, "has a shape entry that is not an integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[1.0]", "[0,4]", data)), kFormat, "not an integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[\"3\"]", "[0,4]", data)), kFormat, "not an integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[null]", "[0,4]", data)), kFormat, "not an integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[[1]]", "[0,4]", data)), kFormat, "not an integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[true]", "[0,4]", data)), kFormat, "not an integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[1e400]", "[0,4]", data)), kFormat, "number out of the range of a double");
  // 2^64 no longer fits an integer, so JSON hands it over as a double.
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[18446744073709551616]", "[0,4]", data)), kFormat, "not an integer");
  // Element counts that overflow int64 or uint64.
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[9223372036854775808]", "[0,4]", data)), kFormat,
                     "has a shape whose element count overflows");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[18446744073709551615]", "[0,4]", data)), kFormat,
                     "element count overflows");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[4294967296,4294967296]", "[0,4]", data)), kFormat,
                     "element count overflows");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[3037000500,3037000500]", "[0,4]", data)), kFormat,
                     "element count overflows");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[65536,65536,65536,65536]", "[0,4]", data)), kFormat,
                     "element count overflows");
  // Regression: a zero extent made the element count 0, so [0, 2^62, 4] used to be accepted and
  // then overflowed (signed, UB) when the view computed its row-major strides.
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[0,4611686018427387904,4]", "[0,0]", "")), kFormat,
                     "element count overflows");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[9223372036854775807,2,0]", "[0,0]", "")), kFormat,
                     "element count overflows");
  // Rank above kMaxRank (8).
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]", data)), kFormat,
                     "tensor \"t\" has rank 9, more than 8");
  // A 20,000-digit extent (too large even for a double).
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", cat("[", std::string(20000, '7'), "]"), "[0,4]", data)), kFormat,
                     "number out of the range of a double");
  {
    std::string many = "[";
    for (int i = 0; i < 5000; ++i) many += (i ? ",1" : "1");
    many += "]";
    REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", many, "[0,4]", data)), kFormat, "has rank 5000, more than 8");
  }
}

TEST_CASE("hostile safetensors: bad data_offsets", "[io][safetensors][hostile]") {
  const std::string data(8, '\0');
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[0]", data)), kFormat, "needs \"data_offsets\" as [begin, end]");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[]", data)), kFormat, "needs \"data_offsets\" as [begin, end]");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[0,8,8]", data)), kFormat, "needs \"data_offsets\" as [begin, end]");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "\"0-8\"", data)), kFormat, "field \"data_offsets\" must be an array");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "{\"begin\":0,\"end\":8}", data)), kFormat,
                     "field \"data_offsets\" must be an array");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[-8,0]", data)), kFormat,
                     "has a data offset that is not a non-negative integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[0,-1]", data)), kFormat, "not a non-negative integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[0.0,8.0]", data)), kFormat, "not a non-negative integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[\"0\",\"8\"]", data)), kFormat, "not a non-negative integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[0,18446744073709551616]", data)), kFormat,
                     "not a non-negative integer");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[8,0]", data)), kFormat,
                     "has data_offsets [8, 0] with begin after end");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[18446744073709551615,0]", data)), kFormat, "begin after end");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[4]", "[0,16]", data)), kFormat,
                     "tensor \"t\" ends at byte 16 of a data section of 8 bytes");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[0,18446744073709551615]", data)), kFormat,
                     "ends at byte 18446744073709551615 of a data section of 8 bytes");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[18446744073709551615,18446744073709551615]", data)), kFormat,
                     "ends at byte 18446744073709551615");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[9223372036854775808,9223372036854775816]", data)), kFormat,
                     "ends at byte 9223372036854775816");
  // begin + size wraps around 2^64 back into the buffer: the size check must still refuse it.
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[18446744073709551612,4]", data)), kFormat, "begin after end");
}

TEST_CASE("hostile safetensors: dtype x shape disagrees with the byte span", "[io][safetensors][hostile]") {
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[2]", "[0,4]", std::string(4, '\0'))), kFormat,
                     "tensor \"t\": F32 (2) needs 8 bytes but data_offsets span 4");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("BF16", "[2,3]", "[0,24]", std::string(24, '\0'))), kFormat,
                     "BF16 (2, 3) needs 12 bytes but data_offsets span 24");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[]", "[0,8]", std::string(8, '\0'))), kFormat,
                     "F32 () needs 4 bytes but data_offsets span 8");
  // A zero-element tensor claiming bytes (the message used to say "needs too many bytes").
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[0]", "[0,4]", std::string(4, '\0'))), kFormat,
                     "F32 (0) needs 0 bytes but data_offsets span 4");
  // numel fits int64 but numel * 8 bytes does not fit uint64.
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F64", "[2305843009213693952]", "[0,0]", "")), kFormat,
                     "needs more than 2^64 bytes but data_offsets span 0");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("U8", "[3]", "[0,4]", std::string(4, '\0'))), kFormat,
                     "U8 (3) needs 3 bytes but data_offsets span 4");
}

TEST_CASE("hostile safetensors: the data section must be tiled exactly", "[io][safetensors][hostile]") {
  // Overlap: b starts inside a.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[4,12]") + "}",
                                   std::string(12, '\0'))),
                     kFormat, "tensor \"b\" at bytes [4, 12) overlaps the previous tensor, which ends at 8");
  // Two tensors sharing one span (aliasing).
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("b", "F32", "[1]", "[0,4]") + "}",
                                   std::string(4, '\0'))),
                     kFormat, "overlaps the previous tensor");
  // A tensor nested inside a larger one.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("a", "F32", "[4]", "[0,16]") + "," + entry("b", "F32", "[1]", "[4,8]") + "}",
                                   std::string(16, '\0'))),
                     kFormat, "overlaps the previous tensor");
  // Gap between tensors, and before the first one.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("b", "F32", "[1]", "[8,12]") + "}",
                                   std::string(12, '\0'))),
                     kFormat, "gap in the data section before tensor \"b\" (it starts at 8, the previous tensor ends at 4)");
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[1]", "[4,8]", std::string(8, '\0'))), kFormat,
                     "gap in the data section before tensor \"t\"");
  // Trailing bytes after the last tensor, and data with no tensors at all.
  REQUIRE_DAPT_ERROR(parse_safetensors(one_tensor("F32", "[1]", "[0,4]", std::string(8, '\0'))), kFormat,
                     "the tensors cover 4 bytes but the data section has 8 (truncated or padded file?)");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{}", "x")), kFormat, "the tensors cover 0 bytes but the data section has 1");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":{}}", std::string(16, '\0'))), kFormat,
                     "the tensors cover 0 bytes but the data section has 16");
  // Truncated data section: the header is intact, the last tensor is cut short.
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("b", "F32", "[4]", "[4,20]") + "}",
                                   std::string(10, '\0'))),
                     kFormat, "tensor \"b\" ends at byte 20 of a data section of 10 bytes");
}

TEST_CASE("hostile safetensors: bad __metadata__", "[io][safetensors][hostile]") {
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":\"pt\"}")), kFormat,
                     "\"__metadata__\" must be an object of strings");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":[\"format\",\"pt\"]}")), kFormat,
                     "\"__metadata__\" must be an object of strings");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":null}")), kFormat, "\"__metadata__\" must be an object");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":{\"format\":1}}")), kFormat,
                     "\"__metadata__\" value of \"format\" is not a string");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":{\"format\":{\"x\":\"y\"}}}")), kFormat,
                     "value of \"format\" is not a string");
  REQUIRE_DAPT_ERROR(parse_safetensors(st_file("{\"__metadata__\":{\"format\":null}}")), kFormat,
                     "value of \"format\" is not a string");
}

TEST_CASE("hostile safetensors: errors name the source", "[io][safetensors][hostile]") {
  try {
    (void)SafetensorsFile::from_bytes({}, "some/dir/shard-7.safetensors");
    FAIL("expected an error");
  } catch (const dapt::Error& e) {
    CHECK(e.category() == ErrorCategory::kFormat);
    CHECK(dapt_test::contains(e.message(), "some/dir/shard-7.safetensors"));
  }
}

// ---------------------------------------------------------------------------------------------
// Valid edge cases that a strict reader must not refuse.

TEST_CASE("safetensors edge cases that are valid", "[io][safetensors][hostile]") {
  SECTION("zero tensors, padded and unpadded") {
    CHECK(parse_safetensors(st_file("{}      ")).size() == 0);
    CHECK(parse_safetensors(st_file("{}")).size() == 0);
    CHECK(parse_safetensors(st_file("{ }")).size() == 0);
  }
  SECTION("__metadata__ only") {
    const auto f = parse_safetensors(st_file("{\"__metadata__\":{\"format\":\"pt\",\"note\":\"\"}}"));
    CHECK(f.size() == 0);
    CHECK(f.metadata().at("format") == "pt");
    CHECK(f.metadata().at("note").empty());
  }
  SECTION("zero-element tensors, alone, several at one offset, and beside a real tensor") {
    const auto a = parse_safetensors(one_tensor("F32", "[0]", "[0,0]", ""));
    REQUIRE(a.contains("t"));
    CHECK(a.info("t").shape.numel() == 0);
    CHECK(a.bytes("t").empty());
    CHECK(a.to_f32("t").numel() == 0);
    CHECK(a.tensor("t").numel() == 0);
    const auto b = parse_safetensors(st_file("{" + entry("z1", "BF16", "[3,0,5]", "[4,4]") + "," + entry("x", "F32", "[1]", "[0,4]") +
                                 "," + entry("z2", "I64", "[0]", "[4,4]") + "}",
                                 std::string(4, '\0')));
    CHECK(b.size() == 3);
    CHECK(b.info("z1").shape == dapt::Shape{3, 0, 5});
    CHECK(b.tensor("z1").numel() == 0);
    const auto c = parse_safetensors(st_file("{" + entry("z", "F32", "[0,1000000,1000000]", "[0,0]") + "}"));
    CHECK(c.tensor("z").numel() == 0);
  }
  SECTION("a header padded with many trailing spaces, and whitespace inside") {
    std::string header = "{ \"t\" : { \"dtype\" : \"I32\" , \"shape\" : [ 2 ] , \"data_offsets\" : [ 0 , 8 ] } }";
    header.append(4096, ' ');
    const auto f = parse_safetensors(st_file(header, std::string(8, '\x02')));
    CHECK(f.info("t").dtype == DType::kI32);
    CHECK(f.data_offset() == 8 + header.size());
  }
  SECTION("a scalar (rank 0) and a rank-8 tensor") {
    const auto f = parse_safetensors(st_file("{" + entry("s", "F32", "[]", "[0,4]") + "," +
                                 entry("r8", "U8", "[1,1,1,1,1,1,1,2]", "[4,6]") + "}",
                                 std::string(6, '\0')));
    CHECK(f.info("s").shape.rank() == 0);
    CHECK(f.info("r8").shape.rank() == 8);
  }
  SECTION("every dtype, with header order unlike data order") {
    std::string header = "{";
    std::string data;
    std::uint64_t off = 0;
    int i = 0;
    for (DType t : dapt::kAllDTypes) {
      const std::uint64_t n = dapt::dtype_size(t) * 3;
      if (i) header += ",";
      header += entry(cat("t", std::to_string(99 - i)), dapt::dtype_name(t), "[3]",
                      cat("[", std::to_string(off), ",", std::to_string(off + n), "]"));
      data.append(n, static_cast<char>(i));
      off += n;
      ++i;
    }
    header += "}";
    const std::string buf = st_file(header, data);
    const auto f = parse_safetensors(buf);
    CHECK(f.size() == std::size(dapt::kAllDTypes));
    check_safetensors_is_sane(f, buf);
  }
  SECTION("a file written by save_safetensors") {
    dapt_test::TempDir dir("hostile_saved");
    auto a = dapt::Tensor<dapt::Cpu>::zeros({2, 3}, DType::kF32);
    auto b = dapt::Tensor<dapt::Cpu>::zeros({5}, DType::kBF16);
    auto z = dapt::Tensor<dapt::Cpu>::zeros({0, 4}, DType::kF16);
    dapt::io::save_safetensors(dir.path / "x.safetensors", {{"a", a.view()}, {"b", b.view()}, {"z", z.view()}},
                               {{"format", "pt"}});
    const auto f = SafetensorsFile::open(dir.path / "x.safetensors");
    CHECK(f.size() == 3);
    CHECK(f.data_offset() % 8 == 0);
    CHECK(f.metadata().at("format") == "pt");
  }
}

// ---------------------------------------------------------------------------------------------
// Files on disk.

TEST_CASE("hostile safetensors files: unreadable paths are kIo", "[io][safetensors][hostile]") {
  dapt_test::TempDir dir("hostile_paths");
  REQUIRE_DAPT_ERROR(SafetensorsFile::open(dir.path), kIo, "is not a regular file");
  REQUIRE_DAPT_ERROR(SafetensorsFile::open(dir.path / "missing.safetensors"), kIo, "cannot open");
  REQUIRE_DAPT_ERROR(SafetensorsFile::open(dir.path / "no" / "such" / "dir.safetensors"), kIo, "No such file or directory");
  REQUIRE_DAPT_ERROR(SafetensorsFile::open("/dev/null"), kIo, "/dev/null is not a regular file");
  dapt_test::write_file(dir.path / "empty.safetensors", "");
  REQUIRE_DAPT_ERROR(SafetensorsFile::open(dir.path / "empty.safetensors"), kFormat, "0 bytes, too short");
  // A file truncated on disk names the path.
  const std::string good = scalar_file("w");
  dapt_test::write_file(dir.path / "cut.safetensors", good.substr(0, good.size() - 2));
  REQUIRE_DAPT_ERROR(SafetensorsFile::open(dir.path / "cut.safetensors"), kFormat,
                     (dir.path / "cut.safetensors").string() + ": tensor \"w\" ends at byte 4 of a data section of 2 bytes");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(dir.path / "missing"), kIo, "cannot open");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(dir.path / "missing.json"), kIo, "cannot open");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(dir.path), kIo, "no model.safetensors or model.safetensors.index.json");
}

TEST_CASE("hostile checkpoint: a symlink loop where the index should be", "[io][safetensors][hostile]") {
  // Regression: fs::exists threw std::filesystem::filesystem_error (ELOOP) out of open().
  dapt_test::TempDir dir("hostile_symlink");
  fs::create_symlink("model.safetensors.index.json", dir.path / "model.safetensors.index.json");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(dir.path), kIo, "Too many levels of symbolic links");
}

TEST_CASE("hostile checkpoint: bad index files", "[io][safetensors][hostile]") {
  dapt_test::TempDir dir("hostile_index");
  dapt_test::write_file(dir.path / "a.safetensors", scalar_file("x"));
  const auto index = dir.path / "model.safetensors.index.json";
  auto open_with = [&](std::string_view json) {
    dapt_test::write_file(index, json);
    return SafetensorsCheckpoint::open(dir.path);
  };
  REQUIRE_DAPT_ERROR(open_with(""), kFormat, "incomplete JSON");
  REQUIRE_DAPT_ERROR(open_with("{\"weight_map\":"), kFormat, "incomplete JSON");
  REQUIRE_DAPT_ERROR(open_with("[]"), kFormat, "must be a JSON object, found an array");
  REQUIRE_DAPT_ERROR(open_with("{}"), kFormat, "missing \"weight_map\" object");
  REQUIRE_DAPT_ERROR(open_with("{\"metadata\":{\"total_size\":4}}"), kFormat, "missing \"weight_map\"");
  REQUIRE_DAPT_ERROR(open_with("{\"weight_map\":null}"), kFormat, "missing \"weight_map\"");
  REQUIRE_DAPT_ERROR(open_with("{\"weight_map\":[\"a.safetensors\"]}"), kFormat,
                     "field \"weight_map\" must be an object, found an array");
  REQUIRE_DAPT_ERROR(open_with("{\"metadata\":[],\"weight_map\":{\"x\":\"a.safetensors\"}}"), kFormat,
                     "field \"metadata\" must be an object");
  REQUIRE_DAPT_ERROR(open_with("{\"weight_map\":{\"x\":1}}"), kFormat, "weight_map entry \"x\" is not a file name");
  REQUIRE_DAPT_ERROR(open_with("{\"weight_map\":{\"x\":null}}"), kFormat, "weight_map entry \"x\" is not a file name");
  REQUIRE_DAPT_ERROR(open_with("{\"weight_map\":{\"x\":[\"a.safetensors\"]}}"), kFormat, "is not a file name");
  REQUIRE_DAPT_ERROR(open_with("{\"weight_map\":{\"x\":\"a.safetensors\",\"x\":\"a.safetensors\"}}"), kFormat,
                     "duplicate JSON key \"x\"");
  REQUIRE_DAPT_ERROR(open_with("{\"weight_map\":{\"x\":\"a.safetensors\"},\"deep\":" + std::string(100, '[')), kFormat,
                     "JSON nested deeper than 64 levels");
  REQUIRE_DAPT_ERROR(open_with("{\"weight_map\":{\"x\":\"a\xff.safetensors\"}}"), kFormat, "invalid UTF-8 at byte 21");
}

TEST_CASE("hostile checkpoint: shard names that escape the directory", "[io][safetensors][hostile]") {
  dapt_test::TempDir dir("hostile_shard_names");
  fs::create_directories(dir.path / "sub");
  dapt_test::write_file(dir.path / "a.safetensors", scalar_file("x"));
  dapt_test::write_file(dir.path / "sub" / "b.safetensors", scalar_file("x"));
  const auto index = dir.path / "sub" / "model.safetensors.index.json";
  auto open_with = [&](std::string_view shard) {
    dapt_test::write_file(index, "{\"weight_map\":{\"x\":\"" + std::string(shard) + "\"}}");
    return SafetensorsCheckpoint::open(index);
  };
  REQUIRE_DAPT_ERROR(open_with("../a.safetensors"), kFormat,
                     "shard \"../a.safetensors\" must be a plain file name in the index's directory");
  REQUIRE_DAPT_ERROR(open_with((dir.path / "a.safetensors").string()), kFormat, "must be a plain file name");
  REQUIRE_DAPT_ERROR(open_with("/etc/passwd"), kFormat, "must be a plain file name");
  REQUIRE_DAPT_ERROR(open_with("./b.safetensors"), kFormat, "must be a plain file name");
  REQUIRE_DAPT_ERROR(open_with("sub/b.safetensors"), kFormat, "must be a plain file name");
  REQUIRE_DAPT_ERROR(open_with(""), kFormat, "must be a plain file name");
  REQUIRE_DAPT_ERROR(open_with("."), kFormat, "must be a plain file name");
  REQUIRE_DAPT_ERROR(open_with(".."), kFormat, "must be a plain file name");
  // Regression: an escaped NUL cut the name short when it reached open(): "b.safetensors\0x"
  // silently opened b.safetensors.
  REQUIRE_DAPT_ERROR(open_with("b.safetensors\\u0000.evil"), kFormat, "the shard name of tensor \"x\" contains a NUL byte");
  // The plain name works.
  const auto ok = open_with("b.safetensors");
  CHECK(ok.contains("x"));
}

TEST_CASE("hostile checkpoint: index and shards disagree", "[io][safetensors][hostile]") {
  dapt_test::TempDir dir("hostile_disagree");
  const auto index = dir.path / "model.safetensors.index.json";
  dapt_test::write_file(dir.path / "a.safetensors", scalar_file("x"));
  dapt_test::write_file(dir.path / "b.safetensors", scalar_file("y"));
  dapt_test::write_file(dir.path / "both.safetensors",
             st_file("{" + entry("x", "F32", "[1]", "[0,4]") + "," + entry("y", "F32", "[1]", "[4,8]") + "}",
                     std::string(8, '\0')));
  dapt_test::write_file(dir.path / "corrupt.safetensors", le64(1000) + "{}");

  // The index says x is in b, which does not hold it.
  dapt_test::write_file(index, R"({"weight_map":{"x":"b.safetensors","y":"b.safetensors"}})");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(index), kFormat,
                     "tensor \"x\" is mapped to b.safetensors, which does not contain it");
  // A shard holds a tensor the index does not list.
  dapt_test::write_file(index, R"({"weight_map":{"x":"both.safetensors"}})");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(index), kFormat,
                     "holds tensor \"y\" which the index maps elsewhere or not at all");
  // One tensor in two shards: the index maps y to b, but both.safetensors holds a second y.
  dapt_test::write_file(index, R"({"weight_map":{"x":"both.safetensors","y":"b.safetensors"}})");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(index), kFormat, "holds tensor \"y\" which the index maps elsewhere");
  // A shard file that is missing is an I/O error, and names the file.
  dapt_test::write_file(index, R"({"weight_map":{"x":"a.safetensors","y":"gone.safetensors"}})");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(index), kIo, "gone.safetensors");
  // A shard that is corrupt is a format error naming the shard.
  dapt_test::write_file(index, R"({"weight_map":{"x":"a.safetensors","y":"corrupt.safetensors"}})");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(index), kFormat,
                     "corrupt.safetensors: header length 1000 exceeds the 2 bytes that follow it");
  // The index itself named as a shard.
  dapt_test::write_file(index, R"({"weight_map":{"x":"model.safetensors.index.json"}})");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(index), kFormat, "exceeds the limit");
  // A directory named as a shard.
  fs::create_directories(dir.path / "d.safetensors");
  dapt_test::write_file(index, R"({"weight_map":{"x":"d.safetensors"}})");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(index), kIo, "is not a regular file");
  // And the consistent index opens.
  dapt_test::write_file(index, R"({"metadata":{"total_size":8},"weight_map":{"x":"a.safetensors","y":"b.safetensors"}})");
  const auto ok = SafetensorsCheckpoint::open(dir.path);
  CHECK(ok.size() == 2);
  CHECK(ok.shards().size() == 2);
  CHECK(ok.metadata().at("total_size") == "8");
}

TEST_CASE("hostile checkpoint: an index file over its size limit", "[io][safetensors][hostile]") {
  dapt_test::TempDir dir("hostile_index_size");
  const auto index = dir.path / "model.safetensors.index.json";
  { std::ofstream(index).put('{'); }
  fs::resize_file(index, (64u << 20) + 1);  // sparse: nothing is really written
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(index), kFormat, "more than the limit of 67108864");
}

TEST_CASE("checkpoint written by save_safetensors_sharded opens", "[io][safetensors][hostile]") {
  dapt_test::TempDir dir("hostile_sharded");
  std::vector<dapt::Tensor<dapt::Cpu>> owned;
  std::vector<dapt::io::NamedTensor> named;
  for (int i = 0; i < 5; ++i) owned.push_back(dapt::Tensor<dapt::Cpu>::zeros({4, 4}, DType::kF32));
  for (int i = 0; i < 5; ++i) named.push_back({"layer." + std::to_string(i) + ".weight", owned[static_cast<std::size_t>(i)].view()});
  dapt::io::save_safetensors_sharded(dir.path, named, 100);
  const auto c = SafetensorsCheckpoint::open(dir.path);
  CHECK(c.size() == 5);
  CHECK(c.shards().size() == 5);
  // A shard file that is removed afterwards is kIo.
  fs::remove(dir.path / "model-00003-of-00005.safetensors");
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(dir.path), kIo, "model-00003-of-00005.safetensors");
}

// ---------------------------------------------------------------------------------------------
// The JSON parser directly (it also reads config.json, tokenizer.json and index files).

TEST_CASE("hostile JSON: strict parse", "[io][json][hostile]") {
  using dapt::io::parse_json;
  REQUIRE_DAPT_ERROR(parse_json("", "x.json"), kFormat, "x.json: invalid JSON at byte 0: incomplete JSON");
  REQUIRE_DAPT_ERROR(parse_json("{\"a\":{\"b\":1,\"b\":2}}", "x.json"), kFormat, "x.json: duplicate JSON key \"b\"");
  // Same key in sibling objects is fine; same key in one object twice is not.
  CHECK(parse_json("[{\"a\":1},{\"a\":2}]", "x.json").is_array());
  CHECK(parse_json(std::string(64, '[') + std::string(64, ']'), "x.json").is_array());
  REQUIRE_DAPT_ERROR(parse_json(std::string(65, '[') + std::string(65, ']'), "x.json"), kFormat,
                     "JSON nested deeper than 64 levels");
  REQUIRE_DAPT_ERROR(parse_json(std::string(10000, '['), "x.json"), kFormat, "nested deeper than 64");
  REQUIRE_DAPT_ERROR(parse_json("\"\xf4\x90\x80\x80\"", "x.json"), kFormat, "invalid UTF-8 at byte 1");  // > U+10FFFF
  REQUIRE_DAPT_ERROR(parse_json("\"\xe0\x80\xaf\"", "x.json"), kFormat, "invalid UTF-8 at byte 1");      // overlong
  REQUIRE_DAPT_ERROR(parse_json("\"\xf8\x88\x80\x80\x80\"", "x.json"), kFormat, "invalid UTF-8 at byte 1");
  REQUIRE_DAPT_ERROR(parse_json("{\"a\":1}x", "x.json"), kFormat, "extra data");
  REQUIRE_DAPT_ERROR(parse_json("{'a':1}", "x.json"), kFormat, "invalid JSON at byte 1: syntax error");
  REQUIRE_DAPT_ERROR(parse_json("[1,2,]", "x.json"), kFormat, "invalid JSON at byte 5");
  // Fuzzer regressions: Boost.JSON turns a literal past the double range into Inf and writes Inf
  // back as "Infinity", which is not JSON, so a config.json holding an unknown field such as
  // "rmsdnorm_eps": 1e406 was accepted and then saved as a file nothing could read.
  REQUIRE_DAPT_ERROR(parse_json("1e40044", "x.json"), kFormat, "x.json: number out of the range of a double");
  REQUIRE_DAPT_ERROR(parse_json("{\"hidden_size\":64,\"rmsdnorm_eps\":1e406,\"vocab_size\":320}", "config.json"),
                     kFormat, "number out of the range of a double");
  REQUIRE_DAPT_ERROR(parse_json("[-1e309]", "x.json"), kFormat, "number out of the range of a double");
  CHECK(parse_json("[1e308, -1e308, 1e-400, 4.9e-324]", "x.json").is_array());  // underflow to 0 is fine
  const auto v = parse_json("{\"n\":9223372036854775808,\"f\":2.5}", "c.json");
  dapt::io::JsonFields f(v.get_object(), "c.json", ErrorCategory::kConfig);
  REQUIRE_DAPT_ERROR(f.get_int("n"), kConfig, "field \"n\" = 9223372036854775808 is too large");
  REQUIRE_DAPT_ERROR(f.get_int("f"), kConfig, "field \"f\" must be an integer, found a number (2.5");
  REQUIRE_DAPT_ERROR(f.require_int("missing"), kConfig, "c.json: required field \"missing\" is missing");
}

// ---------------------------------------------------------------------------------------------
// Deterministic mutation loop.

TEST_CASE("hostile safetensors: seeded mutations parse cleanly or throw dapt::Error", "[io][safetensors][hostile]") {
  // A small valid file with several dtypes, a zero-element tensor and metadata, written by the
  // real writer so that the mutations start from what dapt and transformers produce.
  std::string seed;
  {
    dapt_test::TempDir dir("hostile_mutation_seed");
    auto a = dapt::Tensor<dapt::Cpu>::zeros({2, 3}, DType::kF32);
    for (int i = 0; i < 6; ++i) a.data<float>()[i] = static_cast<float>(i) - 2.5f;
    auto b = dapt::Tensor<dapt::Cpu>::zeros({4}, DType::kBF16);
    auto c = dapt::Tensor<dapt::Cpu>::zeros({2}, DType::kI64);
    auto d = dapt::Tensor<dapt::Cpu>::zeros({3}, DType::kU8);
    auto e = dapt::Tensor<dapt::Cpu>::zeros({0, 2}, DType::kF16);
    auto g = dapt::Tensor<dapt::Cpu>::zeros({2}, DType::kF8E4M3);
    dapt::io::save_safetensors(dir.path / "seed.safetensors",
                               {{"model.a.weight", a.view()}, {"b", b.view()}, {"c", c.view()}, {"d", d.view()},
                                {"e", e.view()}, {"f8", g.view()}},
                               {{"format", "pt"}});
    std::ifstream in(dir.path / "seed.safetensors", std::ios::binary);
    seed.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE(seed.size() > 64);
  check_safetensors_is_sane(parse_safetensors(seed), seed);

  std::mt19937_64 rng(0xDA9753ull);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % std::max<std::size_t>(n, 1)); };
  static constexpr char kInteresting[] = {'\0', '\xff', '{', '}', '[', ']', '"', ',', ':', '-', '0', '1', '9',
                                          ' ', '.', 'e', '\\', '\x80', '\xc3'};
  int parsed = 0, rejected = 0;
  constexpr int kVariants = 4000;
  for (int iter = 0; iter < kVariants; ++iter) {
    std::string buf = seed;
    const int edits = 1 + static_cast<int>(pick(3));
    for (int k = 0; k < edits; ++k) {
      const std::size_t header_end = std::min<std::size_t>(buf.size(), 8 + 256);
      switch (pick(9)) {
        case 0:  // flip one bit anywhere
          if (!buf.empty()) buf[pick(buf.size())] ^= static_cast<char>(1u << pick(8));
          break;
        case 1:  // an interesting byte anywhere
          if (!buf.empty()) buf[pick(buf.size())] = kInteresting[pick(sizeof kInteresting)];
          break;
        case 2:  // truncate
          buf.resize(pick(buf.size() + 1));
          break;
        case 3:  // insert random bytes
          buf.insert(pick(buf.size() + 1), std::string(1 + pick(8), static_cast<char>(rng())));
          break;
        case 4:  // delete a range
          if (!buf.empty()) {
            const std::size_t at = pick(buf.size());
            buf.erase(at, 1 + pick(8));
          }
          break;
        case 5: {  // change a digit in the header: shapes and offsets that still parse as JSON
          std::vector<std::size_t> digits;
          for (std::size_t i = 8; i < header_end; ++i)
            if (buf[i] >= '0' && buf[i] <= '9') digits.push_back(i);
          if (!digits.empty()) buf[digits[pick(digits.size())]] = static_cast<char>('0' + pick(10));
          break;
        }
        case 6: {  // lie in the length prefix by a little
          if (buf.size() >= 8) {
            std::uint64_t n = 0;
            for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(buf[static_cast<std::size_t>(i)]);
            n += static_cast<std::uint64_t>(static_cast<std::int64_t>(pick(17)) - 8);
            const std::string p = le64(n);
            std::copy(p.begin(), p.end(), buf.begin());
          }
          break;
        }
        case 7: {  // duplicate a header slice (repeats keys and entries)
          if (header_end > 9) {
            const std::size_t from = 8 + pick(header_end - 8);
            const std::size_t len = 1 + pick(40);
            const std::string slice = buf.substr(from, len);
            buf.insert(8 + pick(header_end - 8), slice);
          }
          break;
        }
        default: {  // grow a digit run in the header (huge extents and offsets)
          for (std::size_t i = 8; i < header_end; ++i)
            if (buf[i] >= '0' && buf[i] <= '9' && pick(4) == 0) {
              buf.insert(i, std::string(1 + pick(20), static_cast<char>('1' + pick(9))));
              break;
            }
          break;
        }
      }
    }
    try {
      const auto f = parse_safetensors(buf);
      ++parsed;
      check_safetensors_is_sane(f, buf);
    } catch (const dapt::Error& e) {
      ++rejected;
      if (e.category() != ErrorCategory::kFormat) {
        INFO("variant " << iter << ": " << e.what());
        FAIL("a corrupt buffer must be reported as kFormat");
      }
      if (e.message().find("hostile.safetensors") == std::string::npos) {
        INFO("variant " << iter << ": " << e.what());
        FAIL("the error must name the source");
      }
    } catch (const std::exception& e) {
      INFO("variant " << iter << ": " << e.what());
      FAIL("a corrupt buffer threw something other than dapt::Error");
    }
  }
  INFO("parsed " << parsed << ", rejected " << rejected);
  CHECK(parsed + rejected == kVariants);
  CHECK(parsed > 0);  // some mutations (padding, metadata, same-size digits) stay valid
  CHECK(rejected > kVariants / 2);
}

TEST_CASE("hostile safetensors: a FIFO is refused at once, not read forever", "[io][safetensors][hostile]") {
  dapt_test::TempDir dir("st_fifo");
  const auto fifo = dir.path / "model.safetensors";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE_DAPT_ERROR(dapt::io::SafetensorsFile::open(fifo), kIo, "not a regular file");
  REQUIRE_DAPT_ERROR(dapt::io::read_json_file(fifo), kIo, "not a regular file");
}
