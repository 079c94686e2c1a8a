/// @file added_vocabulary.hpp
/// @brief Added and special tokens, matched in the text before the model sees it, with the
/// semantics of Hugging Face `tokenizers`: leftmost-longest matching; tokens with
/// `normalized: false` are matched in the raw text and the others in the normalised text;
/// `single_word` drops a match that touches a word character; `lstrip`/`rstrip` absorb the
/// whitespace beside the match.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/tokenizer/bpe.hpp"
#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer {

struct AddedToken {
  TokenId id = 0;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
  /// False for SentencePiece control pieces (<s>, </s>): ids with a name that text never matches.
  bool match_in_text = true;
  /// What is looked for in the text when it differs from `content`: HF matches a `normalized`
  /// token by its normalised content (a Lowercase normaliser makes "HeLLo" match "hello").
  std::string match_content;

  const std::string& pattern() const noexcept { return match_content.empty() ? content : match_content; }
};

/// A span of the text: either an added token (`token` set) or text for the model.
struct TextSegment {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::optional<TokenId> token;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  explicit AddedVocabulary(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
    for (auto& b : by_first_byte_) b.clear();
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      DAPT_CHECK_AS(kFormat, !tokens_[i].content.empty(), "added token ", tokens_[i].id, " has empty content");
      if (!tokens_[i].match_in_text) continue;
      if (tokens_[i].pattern().empty()) continue;
      by_first_byte_[static_cast<unsigned char>(tokens_[i].pattern()[0])].push_back(i);
    }
    for (auto& b : by_first_byte_)
      std::stable_sort(b.begin(), b.end(), [&](std::size_t x, std::size_t y) { return tokens_[x].pattern().size() > tokens_[y].pattern().size(); });
  }

  const std::vector<AddedToken>& tokens() const noexcept { return tokens_; }
  bool empty() const noexcept { return tokens_.empty(); }
  const AddedToken* find_id(TokenId id) const {
    for (const auto& t : tokens_)
      if (t.id == id) return &t;
    return nullptr;
  }
  const AddedToken* find_content(std::string_view content) const {
    for (const auto& t : tokens_)
      if (t.content == content) return &t;
    return nullptr;
  }

  /// Splits `text` into segments, matching the added tokens whose `normalized` flag equals
  /// `normalized_pass`. Segments cover the text in order (whitespace absorbed by lstrip/rstrip
  /// belongs to the token's segment).
  void split(std::string_view text, bool normalized_pass, std::vector<TextSegment>& out) const {
    out.clear();
    std::size_t start_offset = 0;  // end of the previous token segment
    std::size_t pos = 0;
    bool any = false;
    for (const auto& t : tokens_) any = any || (t.normalized == normalized_pass && t.match_in_text);
    while (any && pos < text.size()) {
      const AddedToken* hit = nullptr;
      for (std::size_t i : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
        const AddedToken& t = tokens_[i];
        if (t.normalized != normalized_pass) continue;
        if (text.compare(pos, t.pattern().size(), t.pattern()) == 0) {
          hit = &t;
          break;  // sorted by length: the first hit is the longest
        }
      }
      if (!hit) {
        ++pos;
        continue;
      }
      std::size_t start = pos, stop = pos + hit->pattern().size();
      pos = stop;
      if (hit->single_word) {
        const bool start_ok = start == 0 || !ends_with_word(text.substr(0, start));
        const bool stop_ok = stop == text.size() || !starts_with_word(text.substr(stop));
        if (!start_ok || !stop_ok) continue;
      }
      if (hit->lstrip) start = std::max(leading_space_start(text.substr(0, start)), start_offset);
      if (hit->rstrip) stop += trailing_space_length(text.substr(stop));
      if (start > start_offset) out.push_back({start_offset, start, std::nullopt});
      out.push_back({start, stop, hit->id});
      start_offset = stop;
      pos = std::max(pos, stop);
    }
    if (start_offset < text.size()) out.push_back({start_offset, text.size(), std::nullopt});
  }

 private:
  static bool is_word_char(char32_t c) { return is_letter(c) || is_number(c); }
  static bool ends_with_word(std::string_view s) {
    // Find the last character: step back over continuation bytes.
    std::size_t i = s.size();
    while (i > 0 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80) --i;
    if (i == 0) return false;
    const auto step = decode_utf8(s, i - 1);
    return step.valid && is_word_char(step.code_point);
  }
  static bool starts_with_word(std::string_view s) {
    if (s.empty()) return false;
    const auto step = decode_utf8(s, 0);
    return step.valid && is_word_char(step.code_point);
  }
  /// Start of the whitespace run that ends `s`.
  static std::size_t leading_space_start(std::string_view s) {
    std::size_t i = s.size();
    while (i > 0) {
      std::size_t j = i - 1;
      while (j > 0 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) --j;
      const auto step = decode_utf8(s, j);
      if (!step.valid || !is_whitespace(step.code_point)) break;
      i = j;
    }
    return i;
  }
  static std::size_t trailing_space_length(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
      const auto step = decode_utf8(s, i);
      if (!step.valid || !is_whitespace(step.code_point)) break;
      i += step.length;
    }
    return i;
  }

  std::vector<AddedToken> tokens_;
  std::array<std::vector<std::size_t>, 256> by_first_byte_;
};

}  // namespace dapt::tokenizer
