/// @file utf8.hpp
/// @brief The SDK's one UTF-8 codec: strict decoding (overlong forms, surrogates U+D800..U+DFFF,
/// code points above U+10FFFF and truncated or stray continuation bytes are invalid, as in Rust's
/// `str` and Boost.JSON), validation with an ASCII fast path, and encoding. An invalid sequence is
/// always reported as one byte, so a caller that skips it resynchronises on the next byte. Every
/// parser, the metrics logger and the tokenizers use these functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "dapt/core/error.hpp"

namespace dapt {

/// The largest Unicode scalar value.
inline constexpr char32_t kMaxCodePoint = 0x10FFFF;
/// U+FFFD, what decode_utf8 reports as the code point of an invalid byte.
inline constexpr char32_t kReplacementCharacter = 0xFFFD;

/// One decoded UTF-8 sequence. An invalid sequence has `valid == false`, `length == 1` and
/// `code_point == kReplacementCharacter`.
struct Utf8Char {
  char32_t code_point = 0;
  std::uint32_t length = 0;  ///< bytes consumed: 1..4, or 0 only when decoding at the end of the text
  bool valid = false;
};

namespace detail {

constexpr bool is_continuation(unsigned char b) noexcept { return (b & 0xC0) == 0x80; }

/// Decodes the sequence starting at p[0], given `avail` >= 1 readable bytes. Shared by the public
/// decoder and the splitter's hot loop, which calls it only for bytes >= 0x80.
constexpr Utf8Char decode_utf8_at(const unsigned char* p, std::size_t avail) noexcept {
  constexpr Utf8Char kBad{kReplacementCharacter, 1, false};
  const unsigned b0 = p[0];
  if (b0 < 0x80) return {char32_t(b0), 1, true};
  if (b0 < 0xC2) return kBad;  // a stray continuation byte, or C0/C1 (always overlong)
  if (b0 < 0xE0) {
    if (avail < 2 || !is_continuation(p[1])) return kBad;
    return {char32_t(((b0 & 0x1F) << 6) | (p[1] & 0x3F)), 2, true};
  }
  if (b0 < 0xF0) {
    if (avail < 3) return kBad;
    const unsigned b1 = p[1];
    // E0 needs A0..BF (else overlong), ED needs 80..9F (else a surrogate).
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
    if (b1 < lo || b1 > hi || !is_continuation(p[2])) return kBad;
    return {char32_t(((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (p[2] & 0x3F)), 3, true};
  }
  if (b0 < 0xF5) {
    if (avail < 4) return kBad;
    const unsigned b1 = p[1];
    // F0 needs 90..BF (else overlong), F4 needs 80..8F (else above U+10FFFF).
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (b1 < lo || b1 > hi || !is_continuation(p[2]) || !is_continuation(p[3])) return kBad;
    return {char32_t(((b0 & 0x07) << 18) | ((b1 & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F)), 4,
            true};
  }
  return kBad;  // F5..FF never occur in UTF-8
}

/// "U+00E9" style name of a code point, for error messages.
inline std::string code_point_name(char32_t cp) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string digits;
  for (std::uint32_t v = cp; v != 0 || digits.size() < 4; v >>= 4) digits.insert(digits.begin(), kHex[v & 15]);
  return "U+" + digits;
}

}  // namespace detail

/// Decodes the code point that starts at byte `pos` of `text`. Invalid input (see the file brief)
/// yields {U+FFFD, 1, false}; `pos >= text.size()` yields {0, 0, false}.
constexpr Utf8Char decode_utf8(std::string_view text, std::size_t pos) noexcept {
  if (pos >= text.size()) return {0, 0, false};
  if (std::is_constant_evaluated()) {
    // The reinterpret_cast below is not allowed in constant evaluation; copy at most 4 bytes.
    unsigned char buf[4] = {};
    const std::size_t avail = text.size() - pos < 4 ? text.size() - pos : 4;
    for (std::size_t i = 0; i < avail; ++i) buf[i] = static_cast<unsigned char>(text[pos + i]);
    return detail::decode_utf8_at(buf, avail);
  }
  return detail::decode_utf8_at(reinterpret_cast<const unsigned char*>(text.data()) + pos, text.size() - pos);
}

/// The byte offset of the first invalid UTF-8 sequence in `text`, or nullopt when it is valid.
constexpr std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    if (!std::is_constant_evaluated()) {
      // Skip ASCII eight bytes at a time: most tokenizer input is mostly ASCII.
      while (i + 8 <= n) {
        std::uint64_t word;
        std::memcpy(&word, text.data() + i, 8);
        if (word & 0x8080808080808080ull) break;
        i += 8;
      }
      if (i >= n) break;
    }
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const Utf8Char c = decode_utf8(text, i);
    if (!c.valid) return i;
    i += c.length;
  }
  return std::nullopt;
}

/// True when `text` is well-formed UTF-8 (the empty string is).
constexpr bool is_valid_utf8(std::string_view text) noexcept { return !first_invalid_utf8(text).has_value(); }

namespace detail {
/// Appends the UTF-8 form of `cp`, which the caller knows to be a scalar value (hot loops that
/// copy code points from tables or from decoded text).
inline void append_utf8_unchecked(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    const char b[2] = {char(0xC0 | (cp >> 6)), char(0x80 | (cp & 0x3F))};
    out.append(b, 2);
  } else if (cp < 0x10000) {
    const char b[3] = {char(0xE0 | (cp >> 12)), char(0x80 | ((cp >> 6) & 0x3F)), char(0x80 | (cp & 0x3F))};
    out.append(b, 3);
  } else {
    const char b[4] = {char(0xF0 | (cp >> 18)), char(0x80 | ((cp >> 12) & 0x3F)),
                       char(0x80 | ((cp >> 6) & 0x3F)), char(0x80 | (cp & 0x3F))};
    out.append(b, 4);
  }
}
}  // namespace detail

/// Appends the UTF-8 encoding of `cp`. Throws dapt::Error (kInvalidArgument) for a surrogate or a
/// value above U+10FFFF, which have no UTF-8 encoding.
inline void append_utf8(std::string& out, char32_t cp) {
  DAPT_CHECK(cp <= kMaxCodePoint && (cp < 0xD800 || cp > 0xDFFF), "append_utf8: ",
             detail::code_point_name(cp), " is not a Unicode scalar value");
  detail::append_utf8_unchecked(out, cp);
}

}  // namespace dapt
