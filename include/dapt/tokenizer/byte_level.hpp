/// @file byte_level.hpp
/// @brief The GPT-2 byte <-> character map of byte-level BPE. tokenizer.json stores byte-level
/// tokens as printable characters ("Ġ" is the space byte 0x20); dapt's BPE engine works on raw
/// bytes, so tokens are translated once at load and save time, never while encoding.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer {

/// The character that stands for byte `b`: printable Latin-1 bytes stand for themselves, the
/// other 68 bytes map in order to U+0100.. (GPT-2's bytes_to_unicode).
constexpr char32_t byte_to_char(std::uint8_t b) noexcept {
  const auto printable = [](int c) { return (c >= 0x21 && c <= 0x7e) || (c >= 0xa1 && c <= 0xac) || (c >= 0xae && c <= 0xff); };
  if (printable(b)) return b;
  int n = 0;
  for (int c = 0; c < b; ++c)
    if (!printable(c)) ++n;
  return static_cast<char32_t>(0x100 + n);
}

namespace detail {
struct ByteLevelTables {
  std::array<char32_t, 256> to_char{};
  std::array<std::int16_t, 0x144> to_byte{};  // chars used are all below U+0144
  constexpr ByteLevelTables() {
    for (auto& v : to_byte) v = -1;
    for (int b = 0; b < 256; ++b) {
      to_char[static_cast<std::size_t>(b)] = byte_to_char(static_cast<std::uint8_t>(b));
      to_byte[static_cast<std::size_t>(to_char[static_cast<std::size_t>(b)])] = static_cast<std::int16_t>(b);
    }
  }
};
inline constexpr ByteLevelTables kByteLevel{};
}  // namespace detail

/// The byte a character stands for, or nullopt when it is not one of the 256.
constexpr std::optional<std::uint8_t> char_to_byte(char32_t c) noexcept {
  if (c >= detail::kByteLevel.to_byte.size()) return std::nullopt;
  const auto b = detail::kByteLevel.to_byte[static_cast<std::size_t>(c)];
  if (b < 0) return std::nullopt;
  return static_cast<std::uint8_t>(b);
}

/// Raw bytes -> the byte-level string ("hi there" -> "hiĠthere").
inline std::string bytes_to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) append_utf8(out, detail::kByteLevel.to_char[b]);
  return out;
}

/// Byte-level string -> raw bytes; nullopt when some character is not one of the 256 (or the
/// text is not valid UTF-8).
inline std::optional<std::string> byte_level_to_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto step = decode_utf8(text, pos);
    if (!step.valid) return std::nullopt;
    const auto b = char_to_byte(step.code_point);
    if (!b) return std::nullopt;
    out.push_back(static_cast<char>(*b));
    pos += step.length;
  }
  return out;
}

}  // namespace dapt::tokenizer
