/// @file hf_tokenizer_test.cpp
/// @brief Data-driven exactness of tokenizer.json tokenizers: every string of every
/// `NAME.encodings.json` beside a `NAME.tokenizer.json` (in tests/data/tokenizers and in each
/// directory of DAPT_EXTRA_TOKENIZER_FIXTURES) must encode to the reference ids and decode back
/// to the reference text. Also: save/load round trips, added tokens, and defined behaviour for
/// invalid UTF-8, empty input, a 10 MB line and out-of-range ids.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace dapt::tokenizer;

namespace {

struct Case {
  std::string text;
  std::vector<TokenId> ids;
  std::string decoded;
};

std::vector<Case> read_cases(const fs::path& path) {
  const auto root = dapt::io::read_json_file(path);
  std::vector<Case> out;
  for (const auto& v : root.as_array()) {
    const auto& o = v.as_object();
    Case c;
    c.text = std::string(o.at("text").as_string());
    for (const auto& id : o.at("ids").as_array()) c.ids.push_back(static_cast<TokenId>(id.to_number<std::int64_t>()));
    c.decoded = std::string(o.at("decoded").as_string());
    out.push_back(std::move(c));
  }
  return out;
}

/// Fixture directories: the bundled one plus DAPT_EXTRA_TOKENIZER_FIXTURES (colon-separated).
std::vector<fs::path> fixture_dirs() {
  std::vector<fs::path> dirs{DAPT_TEST_DATA_DIR "/tokenizers"};
  if (const char* extra = std::getenv("DAPT_EXTRA_TOKENIZER_FIXTURES")) {
    std::string s(extra);
    for (std::size_t pos = 0; pos <= s.size();) {
      const auto colon = s.find(':', pos);
      const std::string d = s.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
      if (!d.empty()) dirs.emplace_back(d);
      if (colon == std::string::npos) break;
      pos = colon + 1;
    }
  }
  return dirs;
}

std::vector<fs::path> json_fixtures() {
  std::vector<fs::path> out;
  for (const auto& dir : fixture_dirs())
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      const std::string suffix = ".tokenizer.json";
      if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) out.push_back(e.path());
    }
  return out;
}

std::vector<fs::path> spm_fixtures() {
  std::vector<fs::path> out;
  for (const auto& dir : fixture_dirs())
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".model" && fs::exists(e.path().parent_path() / (e.path().stem().string() + ".encodings.json")))
        out.push_back(e.path());
  return out;
}

fs::path encodings_of(const fs::path& tokenizer_file) {
  std::string name = tokenizer_file.filename().string();
  const std::string suffix = name.size() > 15 && name.compare(name.size() - 15, 15, ".tokenizer.json") == 0 ? ".tokenizer.json" : ".model";
  name.replace(name.size() - suffix.size(), std::string::npos, ".encodings.json");
  return tokenizer_file.parent_path() / name;
}

void check_exact(const Tokenizer& tok, const std::vector<Case>& cases, const std::string& label) {
  EncodeScratch scratch;
  for (const auto& c : cases) {
    INFO(label << ": text \"" << c.text.substr(0, 80) << "\"");
    std::vector<TokenId> ids;
    tok.encode(c.text, ids, scratch);
    REQUIRE(ids == c.ids);
    REQUIRE(tok.decode(ids) == c.decoded);
  }
}

}  // namespace

TEST_CASE("tokenizer.json fixtures: ids and decoded text equal the reference", "[tokenizer][hf]") {
  const auto files = json_fixtures();
  REQUIRE(files.size() >= 2);
  for (const auto& file : files) {
    const auto loaded = load_hf_tokenizer(file);
    const auto cases = read_cases(encodings_of(file));
    REQUIRE(cases.size() >= 5);
    check_exact(loaded.tokenizer, cases, file.filename().string());
  }
}

TEST_CASE("SentencePiece .model fixtures: ids and decoded text equal the reference", "[tokenizer][spm]") {
  const auto files = spm_fixtures();
  REQUIRE(files.size() >= 1);
  for (const auto& file : files) check_exact(load_tokenizer(file), read_cases(encodings_of(file)), file.filename().string());
}

TEST_CASE("tokenizer.json: what we save loads back with identical ids", "[tokenizer][hf]") {
  dapt_test::TempDir dir("tok_roundtrip");
  for (const auto& file : json_fixtures()) {
    const auto loaded = load_hf_tokenizer(file);
    const auto out = dir.path / file.filename();
    save_hf_tokenizer(out, loaded.tokenizer, loaded.extra);
    const auto again = load_hf_tokenizer(out);
    CHECK(again.tokenizer.vocab_size() == loaded.tokenizer.vocab_size());
    CHECK(again.tokenizer.model().merges().size() == loaded.tokenizer.model().merges().size());
    check_exact(again.tokenizer, read_cases(encodings_of(file)), out.string());
  }
}

TEST_CASE("tokenizer: special tokens are matched before the model and decode back", "[tokenizer][hf]") {
  const auto tok = load_hf_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/bytelevel_bpe.tokenizer.json").tokenizer;
  const auto ids = tok.encode("hi <|endoftext|> there");
  REQUIRE(std::count(ids.begin(), ids.end(), 0) == 1);
  CHECK(tok.decode(ids) == "hi <|endoftext|> there");
  CHECK(tok.decode(ids, {.skip_special_tokens = true}) == "hi  there");
  CHECK(tok.is_special(0));
  CHECK(tok.token_to_id("<|endoftext|>") == 0);
}

TEST_CASE("tokenizer: empty text, invalid UTF-8, out-of-range ids and a 10 MB line", "[tokenizer][hf]") {
  const auto tok = load_hf_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/llama3_style.tokenizer.json").tokenizer;
  CHECK(tok.encode("").empty());
  CHECK(tok.decode(std::vector<TokenId>{}).empty());
  REQUIRE_DAPT_ERROR(tok.encode(std::string("ok \xff\xfe bad")), kInvalidArgument, "byte offset 3");
  REQUIRE_DAPT_ERROR(tok.encode(std::string("\xe2\x82")), kInvalidArgument, "UTF-8");
  REQUIRE_DAPT_ERROR(tok.decode(std::vector<TokenId>{5, -1}), kOutOfRange, "-1");
  REQUIRE_DAPT_ERROR(tok.decode(std::vector<TokenId>{static_cast<TokenId>(tok.vocab_size())}), kOutOfRange, "outside");
  // One 10 MB line without spaces is one pre-token: the heap merge keeps it near-linear.
  std::string line;
  line.reserve(10u << 20);
  while (line.size() < (10u << 20)) line += "abcdefghij";
  const auto ids = tok.encode(line);
  CHECK(!ids.empty());
  CHECK(tok.decode(ids) == line);
}
