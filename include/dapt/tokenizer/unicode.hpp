/// @file unicode.hpp
/// @brief The three character classes of the Hugging Face pre-tokenizer regexes (\p{L}, \p{N},
/// \s), answered from generated tables without a regex engine or ICU, plus the UTF-8 codec of
/// dapt/core/utf8.hpp under tokenizer names. The classes follow Oniguruma as bundled by tokenizers
/// (Unicode 16.0); see detail/unicode_tables.hpp and tools/gen_unicode_tables.py.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "dapt/core/error.hpp"
#include "dapt/core/utf8.hpp"
#include "dapt/tokenizer/detail/unicode_tables.hpp"

namespace dapt::tokenizer {

// The UTF-8 codec lives in dapt/core/utf8.hpp; the tokenizer names it unqualified.
using ::dapt::append_utf8;
using ::dapt::decode_utf8;
using ::dapt::first_invalid_utf8;
using ::dapt::is_valid_utf8;
using ::dapt::kMaxCodePoint;
using ::dapt::kReplacementCharacter;
using ::dapt::Utf8Char;
namespace detail {
using ::dapt::detail::code_point_name;
using ::dapt::detail::decode_utf8_at;
using ::dapt::detail::is_continuation;
}  // namespace detail

/// The regex class of a code point: \p{L}, \p{N}, \s, or none of them. The three are disjoint.
enum class CharClass : std::uint8_t {
  kOther = detail::kClassOther,
  kLetter = detail::kClassLetter,          ///< general category L (Lu Ll Lt Lm Lo); marks (M) are not
  kNumber = detail::kClassNumber,          ///< general category N (Nd Nl No)
  kWhitespace = detail::kClassWhitespace,  ///< Oniguruma's \s: the 25 White_Space code points
};

namespace detail {

/// The class of a code point known to be below 0x110000, as the raw 2-bit table value.
constexpr std::uint8_t class_of(char32_t cp) noexcept {
  if (cp < 0x80) return kAsciiClass[cp];
  if (cp >= kClassTableLimit) return kClassOther;
  const unsigned block = kClassStage1[cp >> kClassBlockShift];
  const unsigned within = cp & ((1u << kClassBlockShift) - 1);
  const unsigned byte = kClassStage2[(block << (kClassBlockShift - 2)) + (within >> 2)];
  return std::uint8_t((byte >> ((within & 3) * 2)) & 3);
}

}  // namespace detail

/// The regex class of `cp`; values that are not scalar values are kOther.
constexpr CharClass char_class(char32_t cp) noexcept {
  return cp > kMaxCodePoint ? CharClass::kOther : CharClass(detail::class_of(cp));
}

/// \p{L}: general category Lu, Ll, Lt, Lm or Lo.
constexpr bool is_letter(char32_t cp) noexcept { return char_class(cp) == CharClass::kLetter; }
/// \p{N}: general category Nd, Nl or No.
constexpr bool is_number(char32_t cp) noexcept { return char_class(cp) == CharClass::kNumber; }
/// The regex \s: U+0009..U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
/// U+202F, U+205F, U+3000 (White_Space; not U+200B, U+FEFF or U+180E).
constexpr bool is_whitespace(char32_t cp) noexcept { return char_class(cp) == CharClass::kWhitespace; }

}  // namespace dapt::tokenizer
