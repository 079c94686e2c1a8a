/// @file normalization_test.cpp
/// @brief The Unicode normalizers (unicode_normalization.hpp, and their tokenizer.json form in
/// hf_json.hpp) against Hugging Face `tokenizers` 0.23.3, from fixtures that
/// tools/gen_normalizer_fixtures.py made with the real library: the outputs of every normalizer
/// config for some 600 hard strings, block hashes of each config over every Unicode scalar value
/// (exhaustive table checks), and NormalizationTest.txt lines with tokenizers' own columns. Two
/// optional dev-time inputs: DAPT_NORMALIZATION_CONFORMANCE (all 19074 lines, same format) and
/// DAPT_NORMALIZER_STRESS (more random cases, normalizers.json format).
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "dapt/io/json.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/unicode_normalization.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

using namespace dapt::tokenizer;
namespace json = boost::json;

namespace {

constexpr NormalForm kForms[] = {NormalForm::kNfc, NormalForm::kNfd, NormalForm::kNfkc, NormalForm::kNfkd};

std::string hex_of(const std::string& s) {
  std::ostringstream os;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = dapt::decode_utf8(s, i);
    os << (i ? " " : "") << std::hex << std::uppercase << std::uint32_t(c.code_point);
    i += c.length ? c.length : 1;
  }
  return os.str();
}

// CRC-32 (IEEE, as Python's zlib.crc32, which the generator uses), one table lookup per byte:
// the probes hash about 300 MB of output.
struct Crc32 {
  std::array<std::uint32_t, 256> table{};
  Crc32() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
  }
  std::uint32_t update(std::uint32_t crc, std::string_view data) const {
    crc = ~crc;
    for (unsigned char b : data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
    return ~crc;
  }
};

Normalizer normalizer_from(const json::value& config, const std::string& name) {
  Normalizer n;
  detail::read_normalizer(config, "normalizers.json: " + name, n);
  return n;
}

std::map<std::string, Normalizer> read_configs(const json::object& root) {
  std::map<std::string, Normalizer> out;
  for (const auto& [name, config] : root.at("configs").as_object())
    out.emplace(std::string(name), normalizer_from(config, std::string(name)));
  return out;
}

/// Checks every case of a normalizers.json-format file; returns the number of comparisons.
std::size_t check_cases(const json::object& root) {
  const auto configs = read_configs(root);
  std::size_t checks = 0;
  for (const auto& v : root.at("cases").as_array()) {
    const auto& c = v.as_object();
    const std::string text(c.at("text").as_string());
    const auto& outs = c.at("out").as_object();
    for (const auto& [name, n] : configs) {
      const auto* want = outs.if_contains(name);
      const std::string expected = want ? std::string(want->as_string()) : text;
      std::string got = text;
      n.apply(got);
      if (got != expected)
        FAIL(name << " of [" << hex_of(text) << "]: got [" << hex_of(got) << "], tokenizers gives [" << hex_of(expected)
                  << "]");
      ++checks;
    }
  }
  return checks;
}

/// Lines "c1;NFC;NFD;NFKC;NFKD" (hex code points; an empty field is c1). Returns the lines checked.
std::size_t check_conformance_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, ';');) {
      std::string s;
      std::stringstream hs(field);
      for (std::string h; hs >> h;) dapt::append_utf8(s, char32_t(std::stoul(h, nullptr, 16)));
      cols.push_back(s);
    }
    while (cols.size() < 5) cols.emplace_back();
    REQUIRE(!cols[0].empty());
    for (std::size_t f = 0; f < 4; ++f) {
      const std::string& want = cols[f + 1].empty() ? cols[0] : cols[f + 1];
      const std::string got = normalize(cols[0], kForms[f]);
      if (got != want)
        FAIL(normal_form_name(kForms[f]) << " of [" << hex_of(cols[0]) << "]: got [" << hex_of(got)
                                         << "], tokenizers gives [" << hex_of(want) << "]");
      // A normalized string is a fixed point, and the quick check never calls a changed one inert.
      if (normalize(want, kForms[f]) != want)
        FAIL(normal_form_name(kForms[f]) << " is not idempotent on [" << hex_of(want) << "]");
      if (quick_check_normalized(cols[0], kForms[f]) && got != cols[0])
        FAIL("quick check passed [" << hex_of(cols[0]) << "]");
      CHECK(is_normalized(want, kForms[f]));
    }
    ++lines;
  }
  return lines;
}

}  // namespace

TEST_CASE("normalization: every config on the hand-picked and random strings equals tokenizers",
          "[tokenizer][normalization]") {
  const auto root = dapt::io::read_json_file(DAPT_TEST_DATA_DIR "/tokenizers/normalizers.json");
  const std::size_t checks = check_cases(root.as_object());
  CHECK(root.at("cases").as_array().size() >= 500);
  CHECK(checks >= 9000);
}

TEST_CASE("normalization: every code point through every probe hashes as in tokenizers", "[tokenizer][normalization]") {
  const auto root = dapt::io::read_json_file(DAPT_TEST_DATA_DIR "/tokenizers/normalizers.json").as_object();
  const auto configs = read_configs(root);
  const Crc32 crc;
  const auto& probes = root.at("probes").as_array();
  REQUIRE(probes.size() >= 10);
  for (const auto& p : probes) {
    const auto& o = p.as_object();
    const std::string config(o.at("config").as_string());
    const std::string prefix(o.at("prefix").as_string()), suffix(o.at("suffix").as_string());
    const Normalizer& n = configs.at(config);
    const auto& hashes = o.at("block_hashes").as_array();
    REQUIRE(hashes.size() == 0x110000 / 4096);
    std::string text, joined;
    for (std::uint32_t block = 0; block < hashes.size(); ++block) {
      std::uint32_t h = 0;
      for (char32_t cp = block * 4096; cp < (block + 1) * 4096; ++cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        text = prefix;
        dapt::append_utf8(text, cp);
        text += suffix;
        n.apply(text);
        text += '\xFF';
        h = crc.update(h, text);
      }
      const std::uint32_t want = std::uint32_t(std::stoul(std::string(hashes[block].as_string()), nullptr, 16));
      INFO(config << " probe with prefix [" << hex_of(prefix) << "] suffix [" << hex_of(suffix) << "], code points U+"
                  << std::hex << block * 4096 << "..U+" << block * 4096 + 4095);
      CHECK(h == want);
    }
  }
}

TEST_CASE("normalization: NormalizationTest lines, with tokenizers' Unicode 9.0 columns",
          "[tokenizer][normalization]") {
  CHECK(check_conformance_file(DAPT_TEST_DATA_DIR "/tokenizers/normalization_conformance.txt") >= 2000);
  if (const char* full = std::getenv("DAPT_NORMALIZATION_CONFORMANCE")) {
    CHECK(check_conformance_file(full) >= 19000);
  }
  if (const char* stress = std::getenv("DAPT_NORMALIZER_STRESS")) {
    const auto root = dapt::io::read_json_file(stress);
    CHECK(check_cases(root.as_object()) > 0);
  }
}

TEST_CASE("normalization: the examples everyone asks about", "[tokenizer][normalization]") {
  CHECK(normalize("cafe\xCC\x81", NormalForm::kNfc) == "caf\xC3\xA9");
  CHECK(normalize("caf\xC3\xA9", NormalForm::kNfd) == "cafe\xCC\x81");
  CHECK(normalize("\xEF\xAC\x81", NormalForm::kNfkc) == "fi");  // U+FB01 ligature
  CHECK(normalize("\xEF\xAC\x81", NormalForm::kNfc) == "\xEF\xAC\x81");
  CHECK(normalize("\xE2\x91\xA0\xEF\xBC\x91", NormalForm::kNfkd) == "11");  // circled and fullwidth 1
  CHECK(normalize("\xED\x95\x9C", NormalForm::kNfd) == "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB");  // Hangul 한
  CHECK(normalize("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", NormalForm::kNfc) == "\xED\x95\x9C");
  CHECK(normalize("a\xCC\x81\xCC\xA3", NormalForm::kNfd) == "a\xCC\xA3\xCC\x81");  // reordered by class
  CHECK(normalize("\xE2\x84\xAB", NormalForm::kNfc) == "\xC3\x85");                // Angstrom sign: singleton
  CHECK(normalize("\xF0\x91\xA4\xB8", NormalForm::kNfd) == "\xF0\x91\xA4\xB8");    // U+11938: Unicode 13, kept
  CHECK(to_lowercase("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3 \xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3.") ==
        "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x83 \xCE\xBF\xCE\xB4\xCE\xBF\xCF\x83.");  // no final sigma
  CHECK(to_lowercase("\xC4\xB0stanbul") == "i\xCC\x87stanbul");                 // U+0130
  CHECK(to_lowercase("HeLLo, World! 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{") ==
        "hello, world! 0123456789 abcdefghijklmnopqrstuvwxyz@[`{");
  CHECK(strip_accents("e\xCC\x81t\xC3\xA9") == "et\xC3\xA9");  // marks only, no decomposition
  CHECK(strip_whitespace("\xE3\x80\x80 x \xC2\xA0\t") == "x");
  CHECK(strip_whitespace("\xE2\x80\x8Bx") == "\xE2\x80\x8Bx");  // U+200B is not White_Space
  CHECK(strip_whitespace("  x  ", true, false) == "x  ");
  CHECK(strip_whitespace("  x  ", false, true) == "  x");
  CHECK(strip_whitespace(" \t\n") == "");
  for (NormalForm f : kForms) {
    CHECK(normalize("", f).empty());
    CHECK(normalize("plain ASCII text, long enough to use the 8-byte path.", f) ==
          "plain ASCII text, long enough to use the 8-byte path.");
  }
  static_assert(canonical_combining_class(U'\u0301') == 230 && canonical_combining_class(U'a') == 0);
  static_assert(canonical_combining_class(U'\u0334') == 1 && canonical_combining_class(U'\U0001E08F') == 0);
  static_assert(is_combining_mark(U'\u0301') && is_combining_mark(U'\u0903') && is_combining_mark(U'\u20DD'));
  static_assert(!is_combining_mark(U'a') && is_combining_mark(U'\u1CF2') && !is_combining_mark(U'\U000111C9'));
  static_assert(strip_whitespace(" a ") == "a");
  CHECK(std::string(detail::kNormalizationVersion) == "9.0.0");
}

TEST_CASE("normalization: quick check, in-place forms and invalid UTF-8", "[tokenizer][normalization]") {
  CHECK(quick_check_normalized("caf\xC3\xA9", NormalForm::kNfc));
  CHECK_FALSE(quick_check_normalized("caf\xC3\xA9", NormalForm::kNfd));
  CHECK_FALSE(quick_check_normalized("cafe\xCC\x81", NormalForm::kNfc));  // U+0301 may combine: "maybe"
  CHECK(is_normalized("cafe\xCC\x81", NormalForm::kNfd));
  CHECK_FALSE(is_normalized("cafe\xCC\x81", NormalForm::kNfc));

  std::string s = "already normalized";
  const char* data = s.data();
  normalize_in_place(s, NormalForm::kNfkc);
  CHECK(s.data() == data);  // returned early, no copy
  s = "x\xEF\xAC\x81y";
  normalize_in_place(s, NormalForm::kNfkc);
  CHECK(s == "xfiy");
  s = "A\xCC\x81"
      "B\xE1\xBA\x9E";
  lowercase_in_place(s);
  CHECK(s ==
        "a\xCC\x81"
        "b\xC3\x9F");
  s = "a\xCC\x81\xCC\xA3"
      "b";
  strip_accents_in_place(s);
  CHECK(s == "ab");
  std::string out;
  append_lowercase(out, U'\u0130');
  append_lowercase(out, U'\u03A3');
  CHECK(out == "i\xCC\x87\xCF\x83");
  REQUIRE_DAPT_ERROR(append_lowercase(out, char32_t(0xD800)), kInvalidArgument, "U+D800");

  for (NormalForm f : kForms) {
    REQUIRE_DAPT_ERROR(normalize("ok \xFF", f), kInvalidArgument, "byte offset 3");
    REQUIRE_DAPT_ERROR(normalize("e\xCC\x81 \xC3", f), kInvalidArgument, "byte offset 4");  // in the slow path
    REQUIRE_DAPT_ERROR(normalize("\xED\xA0\x80", f), kInvalidArgument, "byte offset 0");    // a surrogate
  }
  REQUIRE_DAPT_ERROR(to_lowercase("AB\xC0\x80"), kInvalidArgument, "byte offset 2");
  REQUIRE_DAPT_ERROR(strip_accents("\xE2\x82"), kInvalidArgument, "byte offset 0");
}

TEST_CASE("normalization: the inline decoder agrees with the SDK codec on two- and three-byte forms",
          "[tokenizer][normalization]") {
  // unicode_normalization.hpp decodes the common forms itself; every lead byte, every second byte
  // and the boundary values of the third must give what dapt::decode_utf8 gives.
  const unsigned char thirds[] = {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  std::size_t checked = 0;
  for (unsigned b0 = 0x80; b0 <= 0xFF; ++b0)
    for (unsigned b1 = 0; b1 <= 0xFF; ++b1)
      for (unsigned char b2 : thirds) {
        const std::string s{char(b0), char(b1), char(b2)};
        const dapt::Utf8Char want = dapt::decode_utf8(s, 0);
        std::uint32_t length = 0;
        char32_t got = 0;
        bool threw = false;
        try {
          got = detail::decode_or_throw(s, 0, length);
        } catch (const dapt::Error&) {
          threw = true;
        }
        if (threw != !want.valid || (want.valid && (got != want.code_point || length != want.length)))
          FAIL("bytes " << b0 << " " << b1 << " " << unsigned(b2) << ": decoder disagrees with dapt::decode_utf8");
        ++checked;
      }
  CHECK(checked == 128u * 256u * 9u);
}

TEST_CASE("normalization: long runs of marks are ordered stably and composition blocks correctly",
          "[tokenizer][normalization]") {
  // 600 marks cycling through four classes: the run takes the stable_sort path, and the result
  // must be the marks grouped by class with their order kept inside each class.
  const char32_t marks[] = {U'\u0301', U'\u0323', U'\u0334', U'\u0300', U'\u0316', U'\u05B0'};  // 230 220 1 230 220 10
  std::string text = "a";
  std::vector<char32_t> seq;
  for (int i = 0; i < 600; ++i) seq.push_back(marks[(i * 7) % 6]);
  for (char32_t m : seq) text += dapt_test::utf8(m);
  std::vector<char32_t> want = seq;
  std::stable_sort(want.begin(), want.end(),
                   [](char32_t x, char32_t y) { return canonical_combining_class(x) < canonical_combining_class(y); });
  std::string nfd = "a";
  for (char32_t m : want) nfd += dapt_test::utf8(m);
  CHECK(normalize(text, NormalForm::kNfd) == nfd);
  // NFC composes only across unblocked marks; whatever it did, it must decompose back to the NFD
  // and be a fixed point.
  const std::string nfc = normalize(text, NormalForm::kNfc);
  CHECK(normalize(nfc, NormalForm::kNfd) == nfd);
  CHECK(normalize(nfc, NormalForm::kNfc) == nfc);
}

TEST_CASE("normalization: tokenizer.json normalizers load, save and refuse what dapt does not implement",
          "[tokenizer][normalization][hf]") {
  const auto parse = [](const std::string& s) {
    Normalizer n;
    detail::read_normalizer(json::parse(s), "test", n);
    return n;
  };
  const std::string seq =
      R"({"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"},{"type":"Lowercase"},)"
      R"({"type":"Strip","strip_left":false,"strip_right":true},{"type":"NFKC"},{"type":"NFC"},{"type":"NFKD"},)"
      R"({"type":"Replace","pattern":{"Regex":"\\."},"content":"!"},)"
      R"({"type":"Replace","pattern":{"String":"x"},"content":"y"}]})";
  const Normalizer n = parse(seq);
  REQUIRE(n.steps.size() == 9);
  CHECK(std::get<UnicodeNormalizeStep>(n.steps[0]).form == NormalForm::kNfd);
  CHECK(std::holds_alternative<StripAccentsStep>(n.steps[1]));
  CHECK(std::holds_alternative<LowercaseStep>(n.steps[2]));
  CHECK_FALSE(std::get<StripStep>(n.steps[3]).left);
  CHECK(std::get<ReplaceStep>(n.steps[7]).pattern == ".");
  CHECK(std::get<ReplaceStep>(n.steps[7]).regex == "\\.");
  // Written back as read.
  CHECK(json::serialize(detail::write_normalizer(n)) == json::serialize(json::parse(seq)));
  std::string text = "  \xC3\x89t\xC3\xA9.x  ";
  n.apply(text);
  CHECK(text == "  ete!y");

  // Literal regexes: escapes of punctuation and control characters.
  CHECK(*detail::literal_of_regex(R"(\ \(x\)\t\\)") == " (x)\t\\");
  CHECK(*detail::literal_of_regex("\xC3\xA9t\xC3\xA9") == "\xC3\xA9t\xC3\xA9");
  for (const char* r :
       {"", "a|b", "a+", "\\s", "\\d", "[ab]", "(a)", "^a", "a$", ".", "\\p{L}", "a{2}", "\\", "\\1", "\\x41", "\\b"})
    CHECK_FALSE(detail::literal_of_regex(r).has_value());
  REQUIRE_DAPT_ERROR(parse(R"({"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "})"), kUnsupported, "{2,}");
  REQUIRE_DAPT_ERROR(parse(R"({"type":"Strip","strip_left":true})"), kFormat, "strip_right");
  for (const char* t : {"BertNormalizer", "Precompiled", "Nmt", "ByteLevel"})
    REQUIRE_DAPT_ERROR(parse(std::string(R"({"type":")") + t + "\"}"), kUnsupported, t);
}
