/// @file merge_test.cpp
/// @brief The ChipNeMo vocabulary merger: new tokens are real vocabulary entries appended after
/// the base, each reachable and decomposed into base ids; and the property that must hold — on any
/// text the augmented tokenization is a coarsening of the base one (each token covers a
/// contiguous run of base tokens) and decodes to the same text — checked on the fixture strings
/// and on seeded generated text.
#include <cstdint>
#include <string>
#include <vector>

#include "dapt/core/rng.hpp"
#include "dapt/tokenizer/builders.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/merge.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

using namespace dapt::tokenizer;

namespace {

/// Bytes of the model alphabet a token spans (a `<0xXX>` fallback token spans one byte).
std::size_t span_of(const Tokenizer& tok, TokenId id) {
  if (const auto* a = tok.added_vocabulary().find_id(id)) return a->content.size();
  const std::string& t = tok.model().token(id);
  if (tok.model().options().byte_fallback && t.size() == 6 && t.rfind("<0x", 0) == 0) return 1;
  return t.size();
}

/// True when every token of `after` covers a whole, contiguous run of tokens of `before`.
bool is_coarsening(const Tokenizer& base, const std::vector<TokenId>& before, const Tokenizer& merged,
                   const std::vector<TokenId>& after) {
  std::size_t i = 0, pos_before = 0, pos_after = 0;
  for (TokenId t : after) {
    pos_after += span_of(merged, t);
    while (i < before.size() && pos_before < pos_after) pos_before += span_of(base, before[i++]);
    if (pos_before != pos_after) return false;
  }
  return i == before.size();
}

std::vector<std::string> generated_texts(std::uint64_t seed, int count) {
  // Words from both fixtures' domains plus random bytes of Unicode, glued with varied spacing.
  const std::vector<std::string> words = {"module", "endmodule", "always", "posedge", "negedge", "assign", "wire", "reg",
                                          "synth_ice40", "yosys", "-top", "clk", "rst_n", "[7:0]", "8'd0", "<=", "the",
                                          "counter", "input", "output", "set_property", "PACKAGE_PIN", "naïve", "東京",
                                          "🙂", "Straße", "0xDEADBEEF", "\t", "\n", "  ", "don't", "I'LL"};
  dapt::Rng rng(seed);
  std::vector<std::string> out;
  for (int n = 0; n < count; ++n) {
    std::string s;
    const int len = 1 + static_cast<int>(rng.uniform_int(40));
    for (int k = 0; k < len; ++k) {
      const auto r = rng.uniform_int(10);
      if (r < 7) s += words[rng.uniform_int(words.size())];
      else if (r < 9) s += " ";
      else append_utf8(s, static_cast<char32_t>(0x20 + rng.uniform_int(0x2fff)));
    }
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> fixture_texts(const std::string& name) {
  std::vector<std::string> out;
  const auto root = dapt::io::read_json_file(DAPT_TEST_DATA_DIR "/tokenizers/" + name);
  for (const auto& v : root.as_array())
    out.emplace_back(v.as_object().at("text").as_string());
  return out;
}

}  // namespace

TEST_CASE("vocabulary merge (byte-level): new tokens are reachable, decomposed, and coarsen every text", "[tokenizer][merge]") {
  const auto base = load_hf_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/bytelevel_bpe.tokenizer.json").tokenizer;
  const auto domain = load_hf_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/llama3_style.tokenizer.json").tokenizer;
  const auto domain_sample = generated_texts(1, 200);
  const std::vector<std::string> general_sample = {"The quick brown fox jumps over the lazy dog.",
                                                   "It was the best of times, it was the worst of times."};
  VocabMergeOptions options;
  options.max_general_per_million = 1e6;  // keep everything the domain sample uses
  const auto merged = merge_vocabularies(base, domain, domain_sample, general_sample, options);
  const auto& report = merged.report;
  REQUIRE(report.candidates > 0);
  REQUIRE(!merged.new_tokens.empty());
  CHECK(report.merged_vocab == base.vocab_size() + merged.new_tokens.size());
  CHECK(report.rejected_unreachable == 0);
  CHECK(report.domain.tokens_after < report.domain.tokens_before);
  CHECK(report.general.tokens_after <= report.general.tokens_before);

  // Ids follow the base vocabulary; each decomposition spells the token in base tokens.
  TokenId expect = static_cast<TokenId>(base.vocab_size());
  for (const auto& t : merged.new_tokens) {
    CHECK(t.id == expect++);
    CHECK(merged.tokenizer.model().token(t.id) == t.content);
    std::string spelled;
    for (TokenId b : t.decomposition) {
      REQUIRE(b < static_cast<TokenId>(base.vocab_size()));
      spelled += base.model().token(b);
    }
    CHECK(spelled == t.content);
    CHECK(merged.tokenizer.model().encode_piece(t.content) == std::vector<TokenId>{t.id});
  }
  // Base ids keep their meaning.
  for (TokenId id = 0; id < static_cast<TokenId>(base.vocab_size()); ++id) CHECK(merged.tokenizer.id_to_token(id) == base.id_to_token(id));

  std::vector<std::string> texts = generated_texts(99, 300);
  for (const auto& t : fixture_texts("bytelevel_bpe.encodings.json")) texts.push_back(t);
  for (const auto& t : fixture_texts("llama3_style.encodings.json")) texts.push_back(t);
  for (const auto& text : texts) {
    INFO("text: " << text);
    const auto before = base.encode(text);
    const auto after = merged.tokenizer.encode(text);
    REQUIRE(after.size() <= before.size());
    REQUIRE(is_coarsening(base, before, merged.tokenizer, after));
    REQUIRE(merged.tokenizer.decode(after) == base.decode(before));
  }

  // The merged tokenizer saves as tokenizer.json and loads back with the same ids.
  dapt_test::TempDir dir("merge_save");
  save_hf_tokenizer(dir.path / "merged.json", merged.tokenizer);
  const auto again = load_hf_tokenizer(dir.path / "merged.json").tokenizer;
  for (const auto& text : texts) REQUIRE(again.encode(text) == merged.tokenizer.encode(text));
}

TEST_CASE("vocabulary merge: the general-text filter and the bound on new tokens", "[tokenizer][merge]") {
  const auto base = load_hf_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/bytelevel_bpe.tokenizer.json").tokenizer;
  const auto domain = load_hf_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/llama3_style.tokenizer.json").tokenizer;
  const auto sample = generated_texts(5, 100);
  VocabMergeOptions strict;
  strict.max_general_per_million = 0.0;  // anything the domain tokenizer emits on the general sample is common
  const auto a = merge_vocabularies(base, domain, sample, sample, strict);
  CHECK(a.report.rejected_common > 0);
  for (const auto& t : a.new_tokens)
    if (!t.intermediate) CHECK(t.general_count == 0);
  VocabMergeOptions bounded;
  bounded.max_general_per_million = 1e6;
  bounded.max_new_tokens = 10;
  const auto b = merge_vocabularies(base, domain, sample, {}, bounded);
  CHECK(b.new_tokens.size() >= 10);
  CHECK(b.new_tokens.size() < 10 + 16);  // the last candidate may bring its intermediates
  const auto chars = make_sentencepiece_style_tokenizer({"<unk>", "a", "b", "ab"}, {{1, 2}}, {0}, 0, {});
  REQUIRE_DAPT_ERROR(merge_vocabularies(base, chars, sample, {}), kInvalidArgument, "byte-level");
}

TEST_CASE("vocabulary merge (SentencePiece): new pieces, unknown characters, and the .model round trip", "[tokenizer][merge]") {
  const auto spm = load_sentencepiece_model(DAPT_TEST_DATA_DIR "/tokenizers/spm_bpe.model");
  const auto base = tokenizer_from_sentencepiece(spm);
  // A domain vocabulary with a word the base lacks and characters the base only knows as bytes.
  const auto domain = make_sentencepiece_style_tokenizer(
      {"<unk>", "\xe2\x96\x81", "\xe6\x9d\xb1", "\xe4\xba\xac", "\xe2\x96\x81\xe6\x9d\xb1", "\xe2\x96\x81\xe6\x9d\xb1\xe4\xba\xac",
       "c", "o", "u", "n", "t", "e", "r", "\xe2\x96\x81" "c", "\xe2\x96\x81" "co", "\xe2\x96\x81" "cou", "\xe2\x96\x81" "coun",
       "\xe2\x96\x81" "count", "\xe2\x96\x81" "counte", "\xe2\x96\x81" "counter"},
      {{1, 2}, {4, 3}, {1, 6}, {13, 7}, {14, 8}, {15, 9}, {16, 10}, {17, 11}, {18, 12}}, {0, 1, 2, 3, 4, 5, 6, 7, 8}, 0, {});
  const std::vector<std::string> sample = {"the counter in 東京", "counter counter", "東京 東京"};
  VocabMergeOptions options;
  options.max_general_per_million = 1e6;
  const auto merged = merge_vocabularies(base, domain, sample, {}, options);
  REQUIRE(!merged.new_tokens.empty());
  bool has_char = false, has_word = false;
  for (const auto& t : merged.new_tokens) {
    has_char = has_char || t.content == "\xe6\x9d\xb1";
    has_word = has_word || t.content == "\xe2\x96\x81\xe6\x9d\xb1\xe4\xba\xac";
  }
  CHECK(has_char);  // 東 was byte fallback in the base: it became a token first
  CHECK(has_word);
  CHECK(merged.report.domain.tokens_after < merged.report.domain.tokens_before);

  auto texts = generated_texts(7, 200);
  for (const auto& t : sample) texts.push_back(t);
  for (const auto& t : fixture_texts("spm_bpe.encodings.json")) texts.push_back(t);
  for (const auto& text : texts) {
    INFO("text: " << text);
    const auto before = base.encode(text);
    const auto after = merged.tokenizer.encode(text);
    REQUIRE(is_coarsening(base, before, merged.tokenizer, after));
    REQUIRE(merged.tokenizer.decode(after) == base.decode(before));
  }

  // Saved in the base's format: pieces appended with scores below every base piece.
  auto out = spm;
  std::vector<std::string> pieces;
  for (const auto& t : merged.new_tokens) pieces.push_back(t.content);
  append_sentencepiece_pieces(out, pieces);
  dapt_test::TempDir dir("merge_spm");
  save_sentencepiece_model(dir.path / "merged.model", out);
  const auto reloaded = load_sentencepiece_tokenizer(dir.path / "merged.model");
  CHECK(reloaded.vocab_size() == merged.tokenizer.vocab_size());
  for (const auto& text : texts) {
    const auto before = base.encode(text);
    const auto after = reloaded.encode(text);
    REQUIRE(is_coarsening(base, before, reloaded, after));
    REQUIRE(reloaded.decode(after) == base.decode(before));
  }
}
