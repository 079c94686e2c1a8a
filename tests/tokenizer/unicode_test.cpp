/// @file unicode_test.cpp
/// @brief UTF-8 decoding, validation and encoding at every boundary (overlong forms, surrogates,
/// truncation, the largest code point), checked exhaustively for one- to three-byte sequences and
/// by sampling four-byte ones; and the \p{L} / \p{N} / \s tables against the classes that
/// tokenizers' own regex engine reports for every code point (tests/data/tokenizers/splits.json).
#include <cstdint>
#include <string>
#include <vector>

#include "dapt/io/json.hpp"
#include "dapt/tokenizer/unicode.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

using dapt::tokenizer::append_utf8;
using dapt::tokenizer::CharClass;
using dapt::tokenizer::char_class;
using dapt::tokenizer::decode_utf8;
using dapt::tokenizer::first_invalid_utf8;
using dapt::tokenizer::is_letter;
using dapt::tokenizer::is_number;
using dapt::tokenizer::is_valid_utf8;
using dapt::tokenizer::is_whitespace;
using dapt::tokenizer::Utf8Char;

namespace {

bool is_scalar(std::uint32_t cp) { return cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF); }

// What a sequence's bits spell when read without any validation (for 2..4 byte forms).
std::uint32_t raw_bits(const std::string& s) {
  const auto b = [&](std::size_t i) { return std::uint32_t(static_cast<unsigned char>(s[i])); };
  if (s.size() == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (s.size() == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

// A sequence is valid UTF-8 exactly when it is the encoding of the scalar value its bits spell.
bool reference_valid(const std::string& s) {
  const std::uint32_t cp = raw_bits(s);
  return is_scalar(cp) && dapt_test::utf8(char32_t(cp)) == s;
}

void check_sequence(const std::string& s) {
  const Utf8Char c = decode_utf8(s, 0);
  const bool want = reference_valid(s);
  if (c.valid != want || (want && (c.length != s.size() || c.code_point != raw_bits(s))) ||
      (!want && (c.length != 1 || c.code_point != 0xFFFD))) {
    std::string hex;
    for (unsigned char ch : s) hex += " " + std::to_string(ch);
    FAIL("bytes" << hex << ": valid " << c.valid << " length " << c.length << ", want valid " << want);
  }
}

// Compile-time use: the decoder and the tables are constexpr.
static_assert(is_letter(U'a') && is_letter(U'\u00e9') && !is_letter(U'\u0301'));
static_assert(is_number(U'7') && is_number(U'\u00b2') && !is_number(U'x'));
static_assert(is_whitespace(U' ') && is_whitespace(U'\u3000') && !is_whitespace(U'\u200b'));
static_assert(decode_utf8("\xC3\xA9", 0).code_point == 0xE9 && decode_utf8("\xC3\xA9", 0).length == 2);
static_assert(is_valid_utf8("h\xC3\xA9llo") && !is_valid_utf8("\xC0\x80"));
static_assert(*first_invalid_utf8("ab\xED\xA0\x80") == 2);

}  // namespace

TEST_CASE("unicode: decode_utf8 at the boundaries of each length", "[tokenizer][unicode]") {
  struct Case {
    const char* bytes;
    std::size_t size;
    char32_t cp;  // expected code point when valid
    std::uint32_t length;
    bool valid;
  };
  const Case cases[] = {
      {"\x00", 1, 0x00, 1, true},
      {"\x7F", 1, 0x7F, 1, true},
      {"\xC2\x80", 2, 0x80, 2, true},
      {"\xDF\xBF", 2, 0x7FF, 2, true},
      {"\xE0\xA0\x80", 3, 0x800, 3, true},
      {"\xED\x9F\xBF", 3, 0xD7FF, 3, true},   // last before the surrogates
      {"\xEE\x80\x80", 3, 0xE000, 3, true},   // first after them
      {"\xEF\xBF\xBF", 3, 0xFFFF, 3, true},
      {"\xF0\x90\x80\x80", 4, 0x10000, 4, true},
      {"\xF4\x8F\xBF\xBF", 4, 0x10FFFF, 4, true},  // the largest code point
      {"\x80", 1, 0, 1, false},                    // stray continuation
      {"\xBF", 1, 0, 1, false},
      {"\xC0\x80", 2, 0, 1, false},  // overlong NUL
      {"\xC1\xBF", 2, 0, 1, false},  // overlong 0x7F
      {"\xE0\x80\x80", 3, 0, 1, false},
      {"\xE0\x9F\xBF", 3, 0, 1, false},  // overlong 0x7FF
      {"\xF0\x80\x80\x80", 4, 0, 1, false},
      {"\xF0\x8F\xBF\xBF", 4, 0, 1, false},  // overlong 0xFFFF
      {"\xED\xA0\x80", 3, 0, 1, false},      // U+D800
      {"\xED\xBF\xBF", 3, 0, 1, false},      // U+DFFF
      {"\xF4\x90\x80\x80", 4, 0, 1, false},  // U+110000
      {"\xF5\x80\x80\x80", 4, 0, 1, false},
      {"\xFF", 1, 0, 1, false},
      {"\xC3", 1, 0, 1, false},              // truncated at the end
      {"\xE2\x82", 2, 0, 1, false},
      {"\xF0\x9F\x98", 3, 0, 1, false},
      {"\xC3x", 2, 0, 1, false},             // truncated by an ASCII byte
      {"\xE2\x82x", 3, 0, 1, false},
      {"\xF0\x9F\x98\xC3\xA9", 5, 0, 1, false},  // truncated by the next lead byte
  };
  for (const Case& c : cases) {
    const Utf8Char d = decode_utf8(std::string_view(c.bytes, c.size), 0);
    INFO("case " << (&c - cases));
    CHECK(d.valid == c.valid);
    CHECK(d.length == c.length);
    CHECK(d.code_point == (c.valid ? c.cp : dapt::tokenizer::kReplacementCharacter));
  }
  // At or past the end: nothing to decode.
  CHECK(decode_utf8("ab", 2).length == 0);
  CHECK_FALSE(decode_utf8("ab", 7).valid);
  CHECK(decode_utf8("", 0).length == 0);
  // Decoding starts at `pos`, and a sequence may end exactly at the end of the text.
  CHECK(decode_utf8("x\xE2\x82\xAC", 1).code_point == 0x20AC);
}

TEST_CASE("unicode: every one to three byte sequence decodes as the reference says", "[tokenizer][unicode]") {
  for (unsigned a = 0; a < 0x100; ++a) {  // one byte: only ASCII is complete
    const Utf8Char d = decode_utf8(std::string(1, char(a)), 0);
    CHECK((d.valid && d.code_point == a) == (a < 0x80));
  }
  for (unsigned a = 0x80; a < 0x100; ++a)  // two bytes; a lead of a longer form is truncated
    for (unsigned b = 0; b < 0x100; ++b) check_sequence(std::string{char(a), char(b)});
  for (unsigned a = 0xE0; a < 0xF0; ++a)
    for (unsigned b = 0; b < 0x100; ++b)
      for (unsigned c = 0; c < 0x100; ++c) check_sequence(std::string{char(a), char(b), char(c)});
  // Four bytes: every lead and second byte, with third and fourth bytes at their edges.
  const unsigned edges[] = {0x00, 0x7F, 0x80, 0x81, 0xBE, 0xBF, 0xC0, 0xFF};
  for (unsigned a = 0xF0; a < 0x100; ++a)
    for (unsigned b = 0; b < 0x100; ++b)
      for (unsigned c : edges)
        for (unsigned d : edges) check_sequence(std::string{char(a), char(b), char(c), char(d)});
}

TEST_CASE("unicode: append_utf8 round trips every scalar value and refuses the rest", "[tokenizer][unicode]") {
  std::string all;
  std::size_t count = 0;
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (!is_scalar(cp)) continue;
    const std::size_t at = all.size();
    append_utf8(all, char32_t(cp));
    const Utf8Char d = decode_utf8(all, at);
    if (!d.valid || d.code_point != cp || at + d.length != all.size()) FAIL("round trip of " << cp);
    ++count;
  }
  CHECK(count == 0x110000 - 0x800);
  CHECK(is_valid_utf8(all));
  CHECK(all.size() == 128 + 1920 * 2 + (0x10000 - 0x800 - 0x800) * 3 + 0x100000 * 4);
  std::string s = "keep";
  REQUIRE_DAPT_ERROR(append_utf8(s, char32_t(0xD800)), kInvalidArgument, "U+D800");
  REQUIRE_DAPT_ERROR(append_utf8(s, char32_t(0xDFFF)), kInvalidArgument, "U+DFFF");
  REQUIRE_DAPT_ERROR(append_utf8(s, char32_t(0x110000)), kInvalidArgument, "U+110000");
  CHECK(s == "keep");
  CHECK(dapt_test::utf8(U'\U0010FFFF') == "\xF4\x8F\xBF\xBF");
  CHECK(dapt_test::utf8(U'\u20AC') == "\xE2\x82\xAC");
}

TEST_CASE("unicode: first_invalid_utf8 reports the byte offset, also past long ASCII runs", "[tokenizer][unicode]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii text that is longer than eight bytes"));
  CHECK(is_valid_utf8("caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x91\x8D"));
  CHECK(first_invalid_utf8("caf\xC3\xA9") == std::nullopt);
  CHECK(first_invalid_utf8("caf\xC3") == std::optional<std::size_t>(3));
  CHECK(first_invalid_utf8("\xC3\xA9\xC3\xA9\xED\xA0\x80") == std::optional<std::size_t>(4));
  // An invalid byte at every offset of an ASCII run, across the eight-byte fast path.
  for (std::size_t len = 0; len < 40; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      std::string s(len, 'a');
      s[at] = '\xFF';
      REQUIRE(first_invalid_utf8(s) == std::optional<std::size_t>(at));
      s[at] = '\xE2';  // truncated three-byte sequence
      if (at + 2 < len) {
        CHECK(first_invalid_utf8(s) == std::optional<std::size_t>(at));
        s[at + 1] = '\x82';
        s[at + 2] = '\xAC';
        CHECK(is_valid_utf8(s));
      }
    }
  }
}

TEST_CASE("unicode: class spot checks", "[tokenizer][unicode]") {
  // Letters: every L subcategory, scripts, astral letters, and Unicode 16.0 additions.
  for (char32_t cp : {U'A', U'z', U'\u00e9', U'\u00df', U'\u01c5' /* Lt */, U'\u02b0' /* Lm */,
                      U'\u4e2d' /* Lo */, U'\u0416', U'\u05d0', U'\u0627', U'\u0915', U'\uac00',
                      U'\U0001d49c', U'\U00020000', U'\U000323af' /* CJK Ext H, 15.0 */,
                      U'\u1c89' /* 16.0 */, U'\U00013460' /* 16.0 */, U'\U0002ebf0' /* 15.1 */})
    CHECK(char_class(cp) == CharClass::kLetter);
  // Numbers: Nd, Nl, No, in and out of the BMP, and a Unicode 16.0 digit.
  for (char32_t cp : {U'0', U'9', U'\u0663', U'\u0966', U'\uff19', U'\u00b2', U'\u00bd', U'\u2162',
                      U'\u2460', U'\U0001d7ce', U'\U00010d40'})
    CHECK(char_class(cp) == CharClass::kNumber);
  // Neither: marks (M is not \p{L}), format characters, symbols, punctuation, private use, the
  // C1/C0 separators Python counts as space, unassigned and out-of-range values.
  for (char32_t cp : {U'\u0301', U'\u0903' /* Mc */, U'\u20dd' /* Me */, U'\u200b', U'\u200d', U'\ufeff',
                      U'\u180e', U'\u001c', U'\u001f', U'\u00ad', U'!', U'\'', U'_', U'\u2019',
                      U'\U0001f600', U'\ue000', U'\U0010ffff', U'\U000323b0' /* 17.0 */, U'\u0378',
                      char32_t(0xD800), char32_t(0x110000), char32_t(0xFFFFFFFF)})
    CHECK(char_class(cp) == CharClass::kOther);
  // \s is exactly these 25 code points.
  const std::vector<char32_t> want = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680,
                                      0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
                                      0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
  std::vector<char32_t> got;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp)
    if (is_whitespace(cp)) got.push_back(cp);
  CHECK(got == want);
}

TEST_CASE("unicode: the tables agree with tokenizers' regex engine on every code point", "[tokenizer][unicode]") {
  const auto doc = dapt::io::read_json_file(DAPT_TEST_DATA_DIR "/tokenizers/splits.json");
  const auto& classes = doc.at("classes").as_object();
  std::vector<CharClass> want(0x110000, CharClass::kOther);
  const std::pair<const char*, CharClass> names[] = {
      {"letter", CharClass::kLetter}, {"number", CharClass::kNumber}, {"whitespace", CharClass::kWhitespace}};
  for (const auto& [name, cls] : names) {
    for (const auto& r : classes.at(name).as_array()) {
      const auto first = r.as_array().at(0).to_number<std::uint32_t>();
      const auto last = r.as_array().at(1).to_number<std::uint32_t>();
      REQUIRE(last <= 0x10FFFF);
      for (std::uint32_t cp = first; cp <= last; ++cp) {
        REQUIRE(want[cp] == CharClass::kOther);  // the engine's classes are disjoint
        want[cp] = cls;
      }
    }
  }
  std::size_t mismatches = 0, letters = 0;
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const CharClass got = char_class(char32_t(cp));
    letters += got == CharClass::kLetter;
    if (got != want[cp] && ++mismatches <= 10)
      FAIL_CHECK("U+" << std::hex << cp << ": table says " << int(got) << ", engine " << int(want[cp]));
  }
  CHECK(mismatches == 0);
  CHECK(letters == 141028);  // Unicode 16.0
}
