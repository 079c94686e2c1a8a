/// @file regex_split_test.cpp
/// @brief The GPT-2 and LLaMA-3 pre-tokenizer matchers against Hugging Face tokenizers itself
/// (tests/data/tokenizers/splits.json, made by tools/gen_split_fixtures.py: hand-picked edge
/// cases and seeded random strings), readable spot checks of the subtle regex semantics, pattern
/// recognition, and robustness on arbitrary bytes (no crash, ranges tile the input).
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "dapt/io/json.hpp"
#include "dapt/tokenizer/regex_split.hpp"
#include "dapt/tokenizer/unicode.hpp"
#include "dapt_catch.hpp"

using dapt::tokenizer::recognize_split_regex;
using dapt::tokenizer::split_regex;
using dapt::tokenizer::SplitRegex;

namespace {

using Ranges = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

std::vector<std::string> pieces(SplitRegex which, std::string_view text) {
  Ranges r;
  split_regex(which, text, r);
  std::vector<std::string> out;
  for (const auto& [b, e] : r) out.emplace_back(text.substr(b, e - b));
  return out;
}

std::string show(const Ranges& r) {
  std::ostringstream os;
  for (const auto& [b, e] : r) os << '[' << b << ',' << e << ')';
  return os.str();
}

// The ranges are non-empty, in order, and tile [0, size) without gaps or overlaps.
bool tiles(const Ranges& r, std::size_t size) {
  std::uint32_t pos = 0;
  for (const auto& [b, e] : r) {
    if (b != pos || e <= b) return false;
    pos = e;
  }
  return pos == size;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("regex_split: recognises exactly the two pattern strings", "[tokenizer][split]") {
  CHECK(recognize_split_regex(dapt::tokenizer::kGpt2Pattern) == SplitRegex::kGpt2);
  CHECK(recognize_split_regex(dapt::tokenizer::kLlama3Pattern) == SplitRegex::kLlama3);
  CHECK(dapt::tokenizer::split_regex_pattern(SplitRegex::kLlama3) == dapt::tokenizer::kLlama3Pattern);
  // The LLaMA-3-style fixture tokenizer.json, as a loader sees it.
  const auto tok = dapt::io::read_json_file(DAPT_TEST_DATA_DIR "/tokenizers/llama3_style.tokenizer.json");
  const auto& pattern = tok.at("pre_tokenizer").at("pretokenizers").at(0).at("pattern").at("Regex").as_string();
  CHECK(recognize_split_regex(std::string_view(pattern.data(), pattern.size())) == SplitRegex::kLlama3);
  // Near misses are refused, not guessed at.
  const std::string gpt2(dapt::tokenizer::kGpt2Pattern);
  CHECK_FALSE(recognize_split_regex(""));
  CHECK_FALSE(recognize_split_regex(gpt2 + " "));
  CHECK_FALSE(recognize_split_regex(gpt2.substr(0, gpt2.size() - 1)));
  CHECK_FALSE(recognize_split_regex(  // Qwen2: single digits
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"));
  CHECK_FALSE(recognize_split_regex(  // tiktoken's cl100k spelling
      R"('(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)"));
}

TEST_CASE("regex_split: matches tokenizers on the fixture texts", "[tokenizer][split]") {
  const auto doc = dapt::io::read_json_file(DAPT_TEST_DATA_DIR "/tokenizers/splits.json");
  const auto& patterns = doc.at("patterns").as_object();
  for (const char* name : {"gpt2", "llama3"}) {
    const auto& p = patterns.at(name).as_string();
    REQUIRE(recognize_split_regex(std::string_view(p.data(), p.size())).has_value());
  }
  const auto& cases = doc.at("cases").as_array();
  REQUIRE(cases.size() >= 600);
  std::size_t checked = 0, failures = 0;
  for (const auto& c : cases) {
    const auto& t = c.at("text").as_string();
    const std::string_view text(t.data(), t.size());
    for (const auto& [name, which] : {std::pair{"gpt2", SplitRegex::kGpt2}, std::pair{"llama3", SplitRegex::kLlama3}}) {
      Ranges want;
      for (const auto& r : c.at(name).as_array())
        want.emplace_back(r.as_array().at(0).to_number<std::uint32_t>(), r.as_array().at(1).to_number<std::uint32_t>());
      Ranges got;
      split_regex(which, text, got);
      ++checked;
      if (got != want && ++failures <= 20) {
        FAIL_CHECK(name << " on \"" << text << "\" (" << text.size() << " bytes):\n  got  " << show(got)
                        << "\n  want " << show(want));
      }
    }
  }
  CHECK(failures == 0);
  CHECK(checked == 2 * cases.size());
}

TEST_CASE("regex_split: whitespace runs give back their last symbol", "[tokenizer][split]") {
  // `\s+(?!\S)` backtracks one symbol so that the last space joins the next word ...
  CHECK(pieces(SplitRegex::kGpt2, "a   b") == V{"a", "  ", " b"});
  CHECK(pieces(SplitRegex::kLlama3, "a   b") == V{"a", "  ", " b"});
  // ... takes the whole run at the end of the text, and a lone non-space symbol stays alone.
  CHECK(pieces(SplitRegex::kGpt2, "a   ") == V{"a", "   "});
  CHECK(pieces(SplitRegex::kGpt2, "a\tb") == V{"a", "\t", "b"});
  CHECK(pieces(SplitRegex::kGpt2, "a \t b") == V{"a", " \t", " b"});
  // The symbol given back may be multi-byte (U+3000), and is then its own piece in GPT-2 ...
  CHECK(pieces(SplitRegex::kGpt2, "a \xE3\x80\x80" "b") == V{"a", " ", "\xE3\x80\x80", "b"});
  // ... but in LLaMA-3 any whitespace except \r \n may lead a letter run.
  CHECK(pieces(SplitRegex::kLlama3, "a \xE3\x80\x80" "b") == V{"a", " ", "\xE3\x80\x80" "b"});
  CHECK(pieces(SplitRegex::kLlama3, "\tfoo") == V{"\tfoo"});
  // LLaMA-3: `\s*[\r\n]+` ends just after the last newline of the run.
  CHECK(pieces(SplitRegex::kLlama3, "a\n\nb") == V{"a", "\n\n", "b"});
  CHECK(pieces(SplitRegex::kLlama3, "  \n  x") == V{"  \n", " ", " x"});
  CHECK(pieces(SplitRegex::kLlama3, "x.\n\ny") == V{"x", ".\n\n", "y"});
  CHECK(pieces(SplitRegex::kGpt2, "  \n  x") == V{"  \n ", " x"});
}

TEST_CASE("regex_split: contractions, digits and prefixes", "[tokenizer][split]") {
  CHECK(pieces(SplitRegex::kGpt2, "it's") == V{"it", "'s"});
  CHECK(pieces(SplitRegex::kGpt2, "IT'S") == V{"IT", "'", "S"});  // GPT-2 is case-sensitive
  CHECK(pieces(SplitRegex::kLlama3, "IT'S") == V{"IT", "'S"});
  CHECK(pieces(SplitRegex::kLlama3, "WE'Ll") == V{"WE", "'Ll"});
  // (?i) folds U+017F LONG S onto 's'.
  CHECK(pieces(SplitRegex::kLlama3, "'\xC5\xBFx") == V{"'\xC5\xBF", "x"});
  CHECK(pieces(SplitRegex::kLlama3, "'x") == V{"'x"});  // a non-letter leads the letter run
  CHECK(pieces(SplitRegex::kGpt2, "'x") == V{"'", "x"});
  CHECK(pieces(SplitRegex::kGpt2, " 's") == V{" '", "s"});
  // \p{N}{1,3} splits from the left; GPT-2 keeps the run whole.
  CHECK(pieces(SplitRegex::kLlama3, "1234567") == V{"123", "456", "7"});
  CHECK(pieces(SplitRegex::kGpt2, " 1234567") == V{" 1234567"});
  CHECK(pieces(SplitRegex::kLlama3, " 12") == V{" ", "12"});
  // Combining marks are not letters.
  CHECK(pieces(SplitRegex::kGpt2, "cafe\xCC\x81 x") == V{"cafe", "\xCC\x81", " x"});
  CHECK(pieces(SplitRegex::kLlama3, "cafe\xCC\x81x") == V{"cafe", "\xCC\x81x"});
}

TEST_CASE("regex_split: appends to the output and handles empty text", "[tokenizer][split]") {
  Ranges r{{7, 9}};
  split_regex(SplitRegex::kGpt2, "", r);
  CHECK(r == Ranges{{7, 9}});
  split_regex(SplitRegex::kLlama3, "ab cd", r);
  CHECK(r == Ranges{{7, 9}, {0, 2}, {2, 5}});
}

TEST_CASE("regex_split: invalid UTF-8 bytes are single other symbols", "[tokenizer][split]") {
  CHECK(pieces(SplitRegex::kGpt2, "a\xFF" "b") == V{"a", "\xFF", "b"});
  CHECK(pieces(SplitRegex::kLlama3, "a\xFF" "b") == V{"a", "\xFF" "b"});
  CHECK(pieces(SplitRegex::kGpt2, " \xC3!") == V{" \xC3!"});
  CHECK(pieces(SplitRegex::kGpt2, "x\xE2\x82") == V{"x", "\xE2\x82"});  // truncated at the end
  CHECK(pieces(SplitRegex::kLlama3, "\xED\xA0\x80") == V{"\xED\xA0\x80"});  // a surrogate: 3 others
}

TEST_CASE("regex_split: arbitrary bytes never break the tiling", "[tokenizer][split]") {
  std::mt19937 rng(12345);
  // Fragments that stress the decoder: valid sequences, their prefixes, and bytes the patterns name.
  const std::vector<std::string> fragments = {
      " ", "  ", "\n", "\r", "\t", "'", "'s", "'L", "a", "Z", "7", "!", "\xC5\xBF", "\xC5", "\xE3\x80\x80",
      "\xE3\x80", "\xF0\x9F\x98\x80", "\xF0\x9F", "\xF4\x90\x80\x80", "\xC0\xAF", "\xED\xA0\x80", "\x80",
      "\xBF", "\xFF", "\xCC\x81", "\xE4\xB8\xAD", "\xD9\xA3"};
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    const int n = int(rng() % 64);
    for (int i = 0; i < n; ++i) {
      if (iter % 2 == 0) {
        text += char(rng() & 0xFF);  // raw random bytes
      } else {
        text += fragments[rng() % fragments.size()];
      }
    }
    for (SplitRegex which : {SplitRegex::kGpt2, SplitRegex::kLlama3}) {
      Ranges r;
      split_regex(which, text, r);
      if (!tiles(r, text.size())) FAIL("ranges " << show(r) << " do not tile " << text.size() << " bytes");
      // On valid UTF-8, pieces start and end on code point boundaries.
      if (dapt::tokenizer::is_valid_utf8(text)) {
        for (const auto& [b, e] : r)
          REQUIRE(dapt::tokenizer::is_valid_utf8(std::string_view(text).substr(b, e - b)));
      }
    }
  }
}

TEST_CASE("regex_split: long runs stay linear", "[tokenizer][split]") {
  const std::string spaces(1 << 20, ' ');
  CHECK(pieces(SplitRegex::kGpt2, spaces + "x") == V{spaces.substr(1), " x"});
  CHECK(pieces(SplitRegex::kLlama3, spaces + "\n" + spaces) == V{spaces + "\n", spaces});
  const std::string digits(3000, '9');
  Ranges r;
  split_regex(SplitRegex::kLlama3, digits, r);
  CHECK(r.size() == 1000);
}
