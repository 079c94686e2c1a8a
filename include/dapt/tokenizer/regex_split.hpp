/// @file regex_split.hpp
/// @brief The two pre-tokenizer regexes of byte-level BPE tokenizers (GPT-2's, which Hugging Face's
/// ByteLevel pre-tokenizer applies, and the LLaMA-3 / cl100k one of "Split" pre-tokenizers), run as
/// hand-written single-pass matchers instead of a regex engine. Each matcher reproduces what
/// Oniguruma's find_iter returns for the pattern in tokenizers: leftmost-first alternation,
/// greedy quantifiers and the backtracking of `\s+(?!\S)` and `\s*[\r\n]+`, with the character
/// classes of unicode.hpp. Every valid UTF-8 text is covered by the matches without gaps; an invalid
/// byte is treated as one "other" symbol (neither letter, number nor whitespace), so any byte string
/// is split without reading out of bounds. tests/tokenizer/regex_split_test.cpp checks the ranges
/// against tokenizers 0.23.3 itself (tests/data/tokenizers/splits.json).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer {

/// The pre-tokenizer regexes dapt implements.
enum class SplitRegex {
  /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
  kGpt2,
  /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|`
  /// `\s*[\r\n]+|\s+(?!\S)|\s+`
  kLlama3,
};

/// The GPT-2 pattern, as HF's ByteLevel pre-tokenizer and tokenizer.json files spell it.
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
/// The LLaMA-3 pattern, as the "Regex" of a tokenizer.json "Split" pre-tokenizer (after JSON
/// unescaping).
inline constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

/// The regex whose pattern string is exactly `pattern`, or nullopt for any other string (the
/// caller then rejects the file, naming the pattern). Only exact spellings are recognised: a
/// different but equivalent regex is refused rather than guessed at.
constexpr std::optional<SplitRegex> recognize_split_regex(std::string_view pattern) noexcept {
  if (pattern == kGpt2Pattern) return SplitRegex::kGpt2;
  if (pattern == kLlama3Pattern) return SplitRegex::kLlama3;
  return std::nullopt;
}

/// The pattern string of `which` (the inverse of recognize_split_regex).
constexpr std::string_view split_regex_pattern(SplitRegex which) noexcept {
  return which == SplitRegex::kGpt2 ? kGpt2Pattern : kLlama3Pattern;
}

namespace detail {

// Splitter symbol classes. The low two bits are the regex class (as in the Unicode tables); the
// ASCII characters the patterns name literally get their own values on top.
inline constexpr std::uint8_t kSymOther = kClassOther;
inline constexpr std::uint8_t kSymLetter = kClassLetter;
inline constexpr std::uint8_t kSymNumber = kClassNumber;
inline constexpr std::uint8_t kSymWhite = kClassWhitespace;       // \s other than ' ', \r, \n
inline constexpr std::uint8_t kSymSpace = 4 | kClassWhitespace;   // U+0020, the ` ?` of the patterns
inline constexpr std::uint8_t kSymNewline = 8 | kClassWhitespace;  // \r or \n
inline constexpr std::uint8_t kSymApostrophe = 4 | kClassOther;   // ', which may start a contraction
inline constexpr std::uint8_t kSymEnd = 0xFF;                     // past the end of the text

constexpr std::array<std::uint8_t, 128> make_split_ascii() noexcept {
  std::array<std::uint8_t, 128> t{};
  for (std::size_t i = 0; i < 128; ++i) t[i] = kAsciiClass[i];
  t[' '] = kSymSpace;
  t['\r'] = kSymNewline;
  t['\n'] = kSymNewline;
  t['\''] = kSymApostrophe;
  return t;
}
inline constexpr std::array<std::uint8_t, 128> kSplitAscii = make_split_ascii();

struct Sym {
  std::uint8_t cls;
  std::uint8_t len;
};

/// The symbol at p, where *p >= 0x80. The common two- and three-byte forms whose lead byte puts
/// no limit on the second byte are decoded inline; the rest (E0, ED, four bytes, invalid) go
/// through the strict decoder, in which an invalid byte is a one-byte kSymOther.
inline Sym sym_multibyte(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned b0 = p[0];
  const std::ptrdiff_t avail = end - p;
  if (b0 >= 0xC2 && b0 < 0xE0 && avail >= 2 && is_continuation(p[1]))
    return {class_of(char32_t(((b0 & 0x1F) << 6) | (p[1] & 0x3F))), 2};
  if (b0 > 0xE0 && b0 < 0xF0 && b0 != 0xED && avail >= 3 && is_continuation(p[1]) && is_continuation(p[2]))
    return {class_of(char32_t(((b0 & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F))), 3};
  const Utf8Char c = decode_utf8_at(p, std::size_t(avail));
  if (!c.valid) return {kSymOther, 1};
  return {class_of(c.code_point), std::uint8_t(c.length)};
}

/// The symbol at p (p < end): ASCII through one table load, else sym_multibyte.
inline Sym sym_at(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned b = *p;
  if (b < 0x80) return {kSplitAscii[b], 1};
  return sym_multibyte(p, end);
}

inline Sym sym_or_end(const unsigned char* p, const unsigned char* end) noexcept {
  return p < end ? sym_at(p, end) : Sym{kSymEnd, 0};
}

inline constexpr std::uint64_t kEachByte = 0x0101010101010101ull;

/// The bytes of the little-endian word `x` that lie in [lo, hi] (both below 0x80), as their 0x80
/// bit. Adds stay within each byte: the operands are at most 0x7F + 0x7F.
constexpr std::uint64_t swar_in_range(std::uint64_t x, unsigned lo, unsigned hi) noexcept {
  const std::uint64_t low7 = x & (0x7F * kEachByte);
  const std::uint64_t at_least_lo = low7 + (0x80 - lo) * kEachByte;
  const std::uint64_t above_hi = low7 + (0x7F - hi) * kEachByte;
  return at_least_lo & ~above_hi & ~x & (0x80 * kEachByte);
}

/// The end of the run of symbols of regex class `cls` (0..3) that starts at p. ASCII letter and
/// digit runs are scanned eight bytes at a time, so a typical word costs one load and one branch
/// instead of one per byte (a third faster on English and code).
template <std::uint8_t cls>
inline const unsigned char* skip_class(const unsigned char* p, const unsigned char* end) noexcept {
  for (;;) {
    if constexpr ((cls == kClassLetter || cls == kClassNumber) && std::endian::native == std::endian::little) {
      while (end - p >= 8) {
        std::uint64_t x;
        std::memcpy(&x, p, 8);
        const std::uint64_t in = cls == kClassLetter ? swar_in_range(x | (0x20 * kEachByte), 'a', 'z')
                                                     : swar_in_range(x, '0', '9');
        const std::uint64_t out = ~in & (0x80 * kEachByte);
        if (out == 0) {
          p += 8;
          continue;
        }
        p += std::countr_zero(out) >> 3;
        break;
      }
    }
    if (p >= end) return p;
    if (*p < 0x80) {
      if ((kSplitAscii[*p] & 3) != cls) return p;
      ++p;
      continue;
    }
    // Stay in the multi-byte loop until the next ASCII byte: going back to the 8-byte step
    // after each non-ASCII symbol would cost a load and a test per CJK or Cyrillic letter.
    do {
      const Sym s = sym_multibyte(p, end);
      if (s.cls != cls) return p;
      p += s.len;
    } while (p < end && *p >= 0x80);
  }
}

/// `\s+(?!\S)|\s+` at p, where p holds a whitespace symbol of `len` bytes. `\s+` takes the whole
/// run; the lookahead then fails on the non-space after it, so the engine gives back one symbol:
/// the run without its last symbol when that leaves at least one, the whole run when it reaches
/// the end of the text or has only one symbol (the plain `\s+`).
///
/// With `newline_alt` this is `\s*[\r\n]+|\s+(?!\S)|\s+` (LLaMA-3), where the first alternative
/// wins whenever the run holds a \r or \n: greedy `\s*` backs off to the last of them, so the match
/// ends just after the last \r or \n of the run.
template <bool newline_alt>
inline const unsigned char* match_whitespace(const unsigned char* p, std::uint8_t len,
                                             const unsigned char* end) noexcept {
  const unsigned char* start = p;
  const unsigned char* last = p;  // start of the run's last symbol
  const unsigned char* after_newline = nullptr;
  if (newline_alt && len == 1 && (*p == '\r' || *p == '\n')) after_newline = p + 1;
  p += len;
  while (p < end) {
    const unsigned b = *p;
    if (b < 0x80) {
      const std::uint8_t c = kSplitAscii[b];
      if ((c & 3) != kClassWhitespace) break;
      if (newline_alt && c == kSymNewline) after_newline = p + 1;
      last = p++;
    } else {
      const Sym s = sym_multibyte(p, end);
      if (s.cls != kClassWhitespace) break;
      last = p;
      p += s.len;
    }
  }
  if (newline_alt && after_newline) return after_newline;
  if (p == end || last == start) return p;
  return last;
}

/// The byte length of the GPT-2 contraction body after an apostrophe ('s 't 're 've 'm 'll 'd,
/// lower case only), or 0.
inline std::size_t gpt2_contraction(const unsigned char* p, const unsigned char* end) noexcept {
  if (p >= end) return 0;
  switch (p[0]) {
    case 's': case 't': case 'm': case 'd': return 1;
    case 'r': case 'v': return (p + 1 < end && p[1] == 'e') ? 2 : 0;
    case 'l': return (p + 1 < end && p[1] == 'l') ? 2 : 0;
    default: return 0;
  }
}

/// As gpt2_contraction for `(?i:'s|'t|'re|'ve|'m|'ll|'d)`. Oniguruma matches case-insensitively by
/// Unicode simple case folding, and the only non-ASCII code point folding onto one of these
/// letters is U+017F LATIN SMALL LETTER LONG S (to 's'; bytes C5 BF); the Kelvin sign folds to 'k',
/// which no contraction uses. tools/gen_unicode_tables.py checks this against CaseFolding.txt.
inline std::size_t llama3_contraction(const unsigned char* p, const unsigned char* end) noexcept {
  if (p >= end) return 0;
  switch (p[0] | 0x20) {  // ASCII lower case; no other byte maps onto the letters below
    case 's': case 't': case 'm': case 'd': return 1;
    case 'r': case 'v': return (p + 1 < end && (p[1] | 0x20) == 'e') ? 2 : 0;
    case 'l': return (p + 1 < end && (p[1] | 0x20) == 'l') ? 2 : 0;
    default: return (p[0] == 0xC5 && p + 1 < end && p[1] == 0xBF) ? 2 : 0;
  }
}

/// Skips a run of \r and \n bytes (the `[\r\n]*` of LLaMA-3).
inline const unsigned char* skip_newlines(const unsigned char* p, const unsigned char* end) noexcept {
  while (p < end && (*p == '\r' || *p == '\n')) ++p;
  return p;
}

using Ranges = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

// The two splitters test the symbol classes in an if-chain, most frequent first (letters, then
// the space before a word), rather than through a switch: the jump table of a switch is one
// indirect branch that mispredicts on most pieces of ordinary text.

inline void split_gpt2(const unsigned char* base, const unsigned char* end, Ranges& out) {
  const unsigned char* p = base;
  while (p < end) {
    const unsigned char* start = p;
    const Sym s = sym_at(p, end);
    if (s.cls == kSymLetter) {
      p = skip_class<kClassLetter>(p + s.len, end);
    } else if (s.cls == kSymSpace) {
      // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: the space joins a following run.
      const Sym t = sym_or_end(p + 1, end);
      if (t.cls == kSymLetter) {
        p = skip_class<kClassLetter>(p + 1 + t.len, end);
      } else if (t.cls == kSymEnd || (t.cls & 3) == kClassWhitespace) {
        p = match_whitespace<false>(p, 1, end);
      } else if (t.cls == kSymNumber) {
        p = skip_class<kClassNumber>(p + 1 + t.len, end);
      } else {
        p = skip_class<kClassOther>(p + 1 + t.len, end);
      }
    } else if ((s.cls & 3) == kClassOther) {
      std::size_t n = 0;
      if (s.cls == kSymApostrophe && (n = gpt2_contraction(p + 1, end)) != 0) {
        p += 1 + n;
      } else {  // `'` is then an ordinary `[^\s\p{L}\p{N}]`
        p = skip_class<kClassOther>(p + s.len, end);
      }
    } else if (s.cls == kSymNumber) {
      p = skip_class<kClassNumber>(p + s.len, end);
    } else {  // \t, \r, \n, U+3000, ...
      p = match_whitespace<false>(p, s.len, end);
    }
    out.emplace_back(std::uint32_t(start - base), std::uint32_t(p - base));
  }
}

inline void split_llama3(const unsigned char* base, const unsigned char* end, Ranges& out) {
  const unsigned char* p = base;
  while (p < end) {
    const unsigned char* start = p;
    const Sym s = sym_at(p, end);
    if (s.cls == kSymLetter) {
      p = skip_class<kClassLetter>(p + s.len, end);
    } else if (s.cls == kSymSpace) {
      const Sym t = sym_or_end(p + 1, end);
      if (t.cls == kSymLetter) {
        p = skip_class<kClassLetter>(p + 1 + t.len, end);
      } else if (t.cls != kSymEnd && (t.cls & 3) == kClassOther) {
        p = skip_newlines(skip_class<kClassOther>(p + 1 + t.len, end), end);
      } else {
        p = match_whitespace<true>(p, 1, end);
      }
    } else if ((s.cls & 3) == kClassOther) {
      std::size_t n = 0;
      if (s.cls == kSymApostrophe && (n = llama3_contraction(p + 1, end)) != 0) {
        p += 1 + n;
      } else {
        // `[^\r\n\p{L}\p{N}]?\p{L}+` first: one non-letter may lead a letter run; else
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*` without the space.
        const Sym t = sym_or_end(p + s.len, end);
        if (t.cls == kSymLetter) {
          p = skip_class<kClassLetter>(p + s.len + t.len, end);
        } else {
          p = skip_newlines(skip_class<kClassOther>(p + s.len, end), end);
        }
      }
    } else if (s.cls == kSymNumber) {
      // \p{N}{1,3}: digit runs split in threes from the left.
      p += s.len;
      for (int k = 0; k < 2 && p < end; ++k) {
        const Sym t = sym_at(p, end);
        if (t.cls != kSymNumber) break;
        p += t.len;
      }
    } else if (s.cls == kSymNewline) {
      p = match_whitespace<true>(p, 1, end);
    } else {  // other whitespace (\t, \f, U+00A0, U+3000, ...) may lead a letter run too
      const Sym t = sym_or_end(p + s.len, end);
      if (t.cls == kSymLetter) {
        p = skip_class<kClassLetter>(p + s.len + t.len, end);
      } else {
        p = match_whitespace<true>(p, s.len, end);
      }
    }
    out.emplace_back(std::uint32_t(start - base), std::uint32_t(p - base));
  }
}

}  // namespace detail

/// Appends to `out` the [begin, end) byte ranges of the successive matches of the `which` regex
/// in `text`, as the regex engine's find_iter returns them (non-overlapping, leftmost, in order).
/// For any text the ranges tile it exactly: both patterns match at every position, so there are
/// no gaps, and invalid UTF-8 bytes are split as "other" symbols. Allocates nothing beyond `out`.
/// Throws dapt::Error (kInvalidArgument) when the text is 4 GiB or longer (offsets are 32-bit).
inline void split_regex(SplitRegex which, std::string_view text,
                        std::vector<std::pair<std::uint32_t, std::uint32_t>>& out) {
  DAPT_CHECK(text.size() <= std::numeric_limits<std::uint32_t>::max(), "split_regex: text of ",
             text.size(), " bytes exceeds the 4 GiB limit of 32-bit offsets");
  const auto* base = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = base + text.size();
  if (which == SplitRegex::kGpt2) {
    detail::split_gpt2(base, end, out);
  } else {
    detail::split_llama3(base, end, out);
  }
}

}  // namespace dapt::tokenizer
