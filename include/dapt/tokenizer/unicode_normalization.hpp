/// @file unicode_normalization.hpp
/// @brief The Unicode text transforms of the Hugging Face `tokenizers` normalizers, exactly as
/// tokenizers 0.23.3 computes them: the normalization forms NFC, NFD, NFKC and NFKD (its crate
/// `unicode-normalization-alignments` has Unicode 9.0 tables, so characters added later are left
/// alone), Lowercase (Rust's `char::to_lowercase`, Unicode 17.0, one character at a time: U+0130
/// becomes "i̇" and Σ always becomes σ, never the final ς), Strip (White_Space at either end) and
/// StripAccents (removes every General_Category Mark of Unicode 9.0: Mn, Mc and Me). The data is
/// generated into detail/normalization_tables.hpp by tools/gen_normalization_tables.py.
///
/// Speed: most text is already normalized, so each form first scans for the first code point that
/// is not "inert" (a starter the form keeps and that never combines with what precedes it), eight
/// ASCII bytes at a time, and returns the input unchanged when there is none. Otherwise only the
/// stretch from the last inert code point before it to the next inert one goes through the full
/// algorithm (decompose, order the combining marks, compose), and the rest is copied.
///
/// Every function that decodes its whole input throws dapt::Error (kInvalidArgument) for invalid
/// UTF-8, giving the byte offset.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/utf8.hpp"
#include "dapt/tokenizer/detail/normalization_tables.hpp"
#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer {

/// A Unicode normalization form (UAX #15).
enum class NormalForm : std::uint8_t { kNfc, kNfd, kNfkc, kNfkd };

/// "NFC", "NFD", "NFKC" or "NFKD": the form's name, which is also its tokenizer.json type.
constexpr const char* normal_form_name(NormalForm form) noexcept {
  switch (form) {
    case NormalForm::kNfc:
      return "NFC";
    case NormalForm::kNfd:
      return "NFD";
    case NormalForm::kNfkc:
      return "NFKC";
    case NormalForm::kNfkd:
      return "NFKD";
  }
  return "?";
}

namespace detail {

inline constexpr char32_t kHangulSBase = 0xAC00, kHangulLBase = 0x1100, kHangulVBase = 0x1161, kHangulTBase = 0x11A7;
inline constexpr std::uint32_t kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28,
                               kHangulNCount = kHangulVCount * kHangulTCount,
                               kHangulSCount = kHangulLCount * kHangulNCount;

/// The normalization record of a code point (the default record above the table).
constexpr const NormRecord& norm_record(char32_t cp) noexcept {
  if (cp >= kNormTableLimit) return kNormRecords[0];
  const std::size_t block = kNormStage1[cp >> kNormBlockShift];
  return kNormRecords[kNormStage2[(block << kNormBlockShift) | (cp & ((1u << kNormBlockShift) - 1))]];
}

/// The case/mark byte of a code point: kCaseMarkBit, plus a kLowerDelta index in the low 7 bits.
constexpr std::uint8_t case_entry(char32_t cp) noexcept {
  if (cp >= kCaseTableLimit) return 0;
  const std::size_t block = kCaseStage1[cp >> kCaseBlockShift];
  return kCaseStage2[(block << kCaseBlockShift) | (cp & ((1u << kCaseBlockShift) - 1))];
}

constexpr std::uint8_t inert_bit(NormalForm form) noexcept {
  switch (form) {
    case NormalForm::kNfc:
      return kInertNfc;
    case NormalForm::kNfd:
      return kInertNfd;
    case NormalForm::kNfkc:
      return kInertNfkc;
    case NormalForm::kNfkd:
      return kInertNfkd;
  }
  return 0;
}


/// The error for invalid UTF-8 at byte `pos`, kept out of line so the decoding loops stay small
/// enough to inline.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_invalid_utf8(std::size_t pos) {
  DAPT_FAIL(ErrorCategory::kInvalidArgument, "text is not valid UTF-8 (byte offset ", pos, ")");
}

/// Decodes the code point at `pos` (a byte >= 0x80) and sets `length`; invalid UTF-8 throws
/// kInvalidArgument. The two- and three-byte forms whose only constraint is continuation bytes
/// are decoded right here, inline: the loops of this file spend most of their time on them, and
/// a call that returns a Utf8Char through memory costs them 3x. The rest (E0 and ED leads,
/// four-byte forms, anything invalid) goes through the SDK's codec.
inline char32_t decode_or_throw(std::string_view text, std::size_t pos, std::uint32_t& length) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  const std::size_t avail = text.size() - pos;
  const unsigned b0 = p[0];
  if (b0 - 0xC2u < 0x1Eu && avail >= 2 && is_continuation(p[1])) {
    length = 2;
    return char32_t(((b0 & 0x1F) << 6) | (p[1] & 0x3F));
  }
  if (b0 - 0xE1u < 0x0Fu && b0 != 0xED && avail >= 3 && is_continuation(p[1]) && is_continuation(p[2])) {
    length = 3;
    return char32_t(((b0 & 0x0F) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3F));
  }
  const Utf8Char c = decode_utf8_at(p, avail);
  if (!c.valid) [[unlikely]]
    throw_invalid_utf8(pos);
  length = c.length;
  return c.code_point;
}

/// True when the 8 bytes at p are all ASCII.
inline bool ascii8(const char* p) noexcept {
  std::uint64_t word;
  std::memcpy(&word, p, 8);
  return (word & 0x8080808080808080ull) == 0;
}

/// Packed code point as the algorithm carries it: combining class in the top byte.
constexpr std::uint32_t packed(char32_t cp, std::uint8_t ccc) noexcept { return std::uint32_t(ccc) << 24 | cp; }
constexpr char32_t packed_cp(std::uint32_t p) noexcept { return p & 0xFFFFFF; }
constexpr std::uint8_t packed_ccc(std::uint32_t p) noexcept { return std::uint8_t(p >> 24); }

/// Appends the full decomposition of `cp` (canonical, or compatibility when `compat`) to `buf`.
inline void decompose_into(char32_t cp, bool compat, std::vector<std::uint32_t>& buf) {
  if (cp - kHangulSBase < kHangulSCount) {
    const std::uint32_t s = cp - kHangulSBase;
    buf.push_back(kHangulLBase + s / kHangulNCount);
    buf.push_back(kHangulVBase + (s % kHangulNCount) / kHangulTCount);
    if (s % kHangulTCount) buf.push_back(kHangulTBase + s % kHangulTCount);
    return;  // jamo have combining class 0
  }
  const NormRecord& r = norm_record(cp);
  const std::uint16_t off = compat ? r.compat : r.canon;
  if (off == 0) {
    buf.push_back(packed(cp, r.ccc));
    return;
  }
  buf.insert(buf.end(), kNormPool + off + 1, kNormPool + off + 1 + kNormPool[off]);
}

/// Canonical ordering: stable sort of each run of non-starters by combining class.
inline void canonical_order(std::vector<std::uint32_t>& buf) {
  const std::size_t n = buf.size();
  for (std::size_t i = 0; i < n;) {
    if (packed_ccc(buf[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < n && packed_ccc(buf[j]) != 0) ++j;
    if (j - i > 1) {
      const auto by_ccc = [](std::uint32_t a, std::uint32_t b) { return packed_ccc(a) < packed_ccc(b); };
      if (j - i <= 16) {
        for (std::size_t k = i + 1; k < j; ++k)  // insertion sort: stable, and runs are short
          for (std::size_t m = k; m > i && by_ccc(buf[m], buf[m - 1]); --m) std::swap(buf[m], buf[m - 1]);
      } else {
        std::stable_sort(buf.begin() + std::ptrdiff_t(i), buf.begin() + std::ptrdiff_t(j), by_ccc);
      }
    }
    i = j;
  }
}

/// The primary composite of the pair (a, b), or 0 when they do not compose.
inline char32_t compose_pair(char32_t a, char32_t b) noexcept {
  if (a - kHangulLBase < kHangulLCount && b - kHangulVBase < kHangulVCount)
    return kHangulSBase + ((a - kHangulLBase) * kHangulVCount + (b - kHangulVBase)) * kHangulTCount;
  if (a - kHangulSBase < kHangulSCount && (a - kHangulSBase) % kHangulTCount == 0 &&
      b - kHangulTBase - 1 < kHangulTCount - 1)
    return a + (b - kHangulTBase);
  const std::uint16_t off = norm_record(a).compose;
  if (off == 0) return 0;
  const std::uint32_t* pairs = kNormPool + off + 1;
  for (std::uint32_t k = 0, count = kNormPool[off]; k < count; ++k) {
    if (pairs[2 * k] == b) return pairs[2 * k + 1];
    if (pairs[2 * k] > b) break;  // sorted by second
  }
  return 0;
}

/// Canonical composition of a canonically ordered buffer, in place: a code point combines with
/// the last starter unless a code point between them has class 0 or at least its own class.
inline void canonical_compose(std::vector<std::uint32_t>& buf) {
  std::size_t write = 0;
  std::size_t starter = SIZE_MAX;
  int last_ccc = -1;  // class of the last code point kept after the starter; -1: none kept
  for (std::size_t read = 0; read < buf.size(); ++read) {
    const std::uint32_t p = buf[read];
    const int ccc = packed_ccc(p);
    if (starter != SIZE_MAX && last_ccc < ccc) {
      if (const char32_t c = compose_pair(packed_cp(buf[starter]), packed_cp(p))) {
        buf[starter] = packed(c, norm_record(c).ccc);
        continue;
      }
    }
    if (ccc == 0) {
      starter = write;
      last_ccc = -1;
    } else {
      last_ccc = ccc;
    }
    buf[write++] = p;
  }
  buf.resize(write);
}

/// Index of the first code point of `text` at or after `i` that is not inert for the form
/// (text.size() when all are), and in `boundary` the start of the last inert code point before
/// it (`i` when none).
inline std::size_t first_unstable(std::string_view text, std::size_t i, std::uint8_t bit, std::size_t& boundary) {
  const std::size_t n = text.size();
  boundary = i;
  while (i < n) {
    if (i + 8 <= n && ascii8(text.data() + i)) {
      i += 8;
      boundary = i - 1;
      continue;
    }
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      boundary = i++;
      continue;
    }
    std::uint32_t length;
    const char32_t cp = decode_or_throw(text, i, length);
    if (!(norm_record(cp).inert & bit)) return i;
    boundary = i;
    i += length;
  }
  return n;
}

/// Appends the normalization of `text` (whose first `unstable` bytes hold only inert code points,
/// the last starting at `boundary`) to `out`.
inline void normalize_from(std::string_view text, NormalForm form, std::size_t unstable, std::size_t boundary,
                           std::string& out) {
  const std::uint8_t bit = inert_bit(form);
  const bool compat = form == NormalForm::kNfkc || form == NormalForm::kNfkd;
  const bool compose = form == NormalForm::kNfc || form == NormalForm::kNfkc;
  const std::size_t n = text.size();
  std::vector<std::uint32_t> buf;
  std::size_t copied = 0;  // text[0, copied) is in `out`
  while (true) {
    // text[copied, boundary) is final; text[boundary, unstable) is one inert starter that a later
    // code point may combine with. Run the full algorithm up to the next inert code point.
    out.append(text, copied, boundary - copied);
    buf.clear();
    std::size_t j = boundary;
    while (j < n) {
      std::uint32_t length = 1;
      char32_t cp = static_cast<unsigned char>(text[j]);
      if (cp >= 0x80) cp = decode_or_throw(text, j, length);
      if (j > unstable && (norm_record(cp).inert & bit)) break;
      decompose_into(cp, compat, buf);
      j += length;
    }
    canonical_order(buf);
    if (compose) canonical_compose(buf);
    for (const std::uint32_t p : buf) ::dapt::detail::append_utf8_unchecked(out, packed_cp(p));
    copied = j;
    if (j == n) return;
    // Back to the fast scan, from the inert code point at j.
    unstable = first_unstable(text, j, bit, boundary);
    if (unstable == n) {
      out.append(text, j, std::string_view::npos);
      return;
    }
  }
}

}  // namespace detail

/// The canonical combining class of `cp` (Unicode 9.0; 0 for later characters).
constexpr std::uint8_t canonical_combining_class(char32_t cp) noexcept {
  return cp > kMaxCodePoint ? 0 : detail::norm_record(cp).ccc;
}

/// True when StripAccents removes `cp`: General_Category Mn, Mc or Me in Unicode 9.0.
constexpr bool is_combining_mark(char32_t cp) noexcept {
  return cp <= kMaxCodePoint && (detail::case_entry(cp) & detail::kCaseMarkBit) != 0;
}

/// Quick check: true when `text` is certainly in the form without running the algorithm (every
/// code point inert). False means "maybe not": compare with normalize() to know.
inline bool quick_check_normalized(std::string_view text, NormalForm form) {
  std::size_t boundary;
  return detail::first_unstable(text, 0, detail::inert_bit(form), boundary) == text.size();
}

/// `text` in the normalization form, as tokenizers' NFC/NFD/NFKC/NFKD normalizers give it.
inline std::string normalize(std::string_view text, NormalForm form) {
  std::size_t boundary;
  const std::size_t unstable = detail::first_unstable(text, 0, detail::inert_bit(form), boundary);
  if (unstable == text.size()) return std::string(text);
  std::string out;
  out.reserve(text.size() + text.size() / 4 + 16);
  detail::normalize_from(text, form, unstable, boundary, out);
  return out;
}

/// Normalizes `text` in place; returns without copying when it is already normalized.
inline void normalize_in_place(std::string& text, NormalForm form) {
  std::size_t boundary;
  const std::size_t unstable = detail::first_unstable(text, 0, detail::inert_bit(form), boundary);
  if (unstable == text.size()) return;
  std::string out;
  out.reserve(text.size() + text.size() / 4 + 16);
  detail::normalize_from(text, form, unstable, boundary, out);
  text.swap(out);
}

/// True when `text` equals its normalization in the form.
inline bool is_normalized(std::string_view text, NormalForm form) {
  std::size_t boundary;
  const std::size_t unstable = detail::first_unstable(text, 0, detail::inert_bit(form), boundary);
  if (unstable == text.size()) return true;
  std::string out;
  detail::normalize_from(text, form, unstable, boundary, out);
  return out == text;
}

/// Appends the lowercase of `cp` (Rust's `char::to_lowercase`: one or two code points).
inline void append_lowercase(std::string& out, char32_t cp) {
  DAPT_CHECK(cp <= kMaxCodePoint && (cp < 0xD800 || cp > 0xDFFF), "append_lowercase: ", detail::code_point_name(cp),
             " is not a Unicode scalar value");
  const unsigned index = detail::case_entry(cp) & 0x7F;
  if (index == 0)
    ::dapt::detail::append_utf8_unchecked(out, cp);
  else if (index == detail::kLowerSpecial)
    out.append("i\xCC\x87");  // U+0069 U+0307
  else
    ::dapt::detail::append_utf8_unchecked(out, char32_t(std::int32_t(cp) + detail::kLowerDelta[index]));
}

/// `text` lowercased code point by code point, as tokenizers' Lowercase normalizer does (no
/// Final_Sigma context: "ΟΔΟΣ" becomes "οδοσ").
inline std::string to_lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n && detail::ascii8(text.data() + i)) {
      // Eight ASCII bytes at once: add 0x20 to the bytes in 'A'..'Z' (no carries: bytes < 0x80).
      std::uint64_t w;
      std::memcpy(&w, text.data() + i, 8);
      constexpr std::uint64_t kOnes = 0x0101010101010101ull;
      const std::uint64_t ge_a = w + kOnes * (0x80 - 'A');
      const std::uint64_t gt_z = w + kOnes * (0x7F - 'Z');
      w |= ((ge_a & ~gt_z) & (kOnes * 0x80)) >> 2;
      char bytes[8];
      std::memcpy(bytes, &w, 8);
      out.append(bytes, 8);
      i += 8;
      continue;
    }
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out.push_back(char(b >= 'A' && b <= 'Z' ? b + 0x20 : b));
      ++i;
      continue;
    }
    std::uint32_t length;
    const char32_t cp = detail::decode_or_throw(text, i, length);
    if ((detail::case_entry(cp) & 0x7F) == 0)
      out.append(text, i, length);
    else
      append_lowercase(out, cp);
    i += length;
  }
  return out;
}

/// Lowercases `text` in place (see to_lowercase).
inline void lowercase_in_place(std::string& text) { text = to_lowercase(text); }

/// Removes the combining marks (is_combining_mark) from `text` in place, as tokenizers'
/// StripAccents does. It does not decompose first: "é" (U+00E9) stays, "e\u0301" becomes "e";
/// tokenizers pipelines put NFD or NFKD in front of it.
inline void strip_accents_in_place(std::string& text) {
  const std::size_t n = text.size();
  std::size_t read = 0;
  while (read + 8 <= n && detail::ascii8(text.data() + read)) read += 8;  // nothing to move yet
  while (read < n && static_cast<unsigned char>(text[read]) < 0x80) ++read;
  std::size_t write = read;
  while (read < n) {
    const auto b = static_cast<unsigned char>(text[read]);
    if (b < 0x80) {
      text[write++] = char(b);
      ++read;
      continue;
    }
    std::uint32_t length;
    const char32_t cp = detail::decode_or_throw(text, read, length);
    if (!is_combining_mark(cp)) {
      if (write != read) std::memmove(text.data() + write, text.data() + read, length);
      write += length;
    }
    read += length;
  }
  text.resize(write);
}

/// `text` without its combining marks (see strip_accents_in_place).
inline std::string strip_accents(std::string_view text) {
  std::string out(text);
  strip_accents_in_place(out);
  return out;
}

/// `text` without the White_Space code points (Rust's `char::is_whitespace`) at its start (when
/// `left`) and end (when `right`), as tokenizers' Strip normalizer. Only the ends are decoded, so
/// invalid UTF-8 in the middle is not reported.
constexpr std::string_view strip_whitespace(std::string_view text, bool left = true, bool right = true) noexcept {
  if (left) {
    std::size_t i = 0;
    while (i < text.size()) {
      const Utf8Char c = decode_utf8(text, i);
      if (!c.valid || !is_whitespace(c.code_point)) break;
      i += c.length;
    }
    text.remove_prefix(i);
  }
  if (right) {
    std::size_t end = text.size();
    while (end > 0) {
      std::size_t start = end - 1;  // back to the lead byte (at most 3 continuation bytes)
      while (start > 0 && end - start < 4 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
      const Utf8Char c = decode_utf8(text, start);
      if (!c.valid || start + c.length != end || !is_whitespace(c.code_point)) break;
      end = start;
    }
    text.remove_suffix(text.size() - end);
  }
  return text;
}

}  // namespace dapt::tokenizer
