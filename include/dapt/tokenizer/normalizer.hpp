/// @file normalizer.hpp
/// @brief Text normalisation before pre-tokenization, as a sequence of steps with the semantics
/// of Hugging Face `tokenizers`: Prepend (only to non-empty text) and Replace (literal pattern,
/// every occurrence), plus SentencePiece's collapsing of extra spaces. SentencePiece's dummy prefix and whitespace escaping are expressed with the
/// same two steps. Unicode normalisation forms are not implemented yet; a file that asks for one
/// is refused by the loader rather than silently approximated.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dapt::tokenizer {

struct PrependStep {
  std::string prefix;  ///< added in front of non-empty text
};
struct ReplaceStep {
  std::string pattern;  ///< literal, non-empty
  std::string content;
};
/// SentencePiece's remove_extra_whitespaces: drop leading and trailing spaces and collapse runs
/// of spaces into one (no tokenizer.json equivalent without a regex).
struct CollapseSpacesStep {};
using NormalizerStep = std::variant<PrependStep, ReplaceStep, CollapseSpacesStep>;

/// An ordered list of normalisation steps (empty: identity).
struct Normalizer {
  std::vector<NormalizerStep> steps;

  bool empty() const noexcept { return steps.empty(); }

  /// Applies every step to `text` in place.
  void apply(std::string& text) const {
    for (const auto& step : steps) {
      if (const auto* p = std::get_if<PrependStep>(&step)) {
        if (!text.empty()) text.insert(0, p->prefix);
      } else if (const auto* r = std::get_if<ReplaceStep>(&step)) {
        replace_all(text, r->pattern, r->content);
      } else {
        collapse_spaces(text);
      }
    }
  }

  static void collapse_spaces(std::string& text) {
    std::string out;
    out.reserve(text.size());
    bool pending_space = false;
    for (char c : text) {
      if (c == ' ') {
        pending_space = !out.empty();
        continue;
      }
      if (pending_space) out += ' ';
      pending_space = false;
      out += c;
    }
    text.swap(out);
  }

  static void replace_all(std::string& text, std::string_view pattern, std::string_view content) {
    if (pattern.empty() || text.find(pattern) == std::string::npos) return;
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    std::size_t pos = 0;
    for (std::size_t hit; (hit = text.find(pattern, pos)) != std::string::npos; pos = hit + pattern.size()) {
      out.append(text, pos, hit - pos);
      out.append(content);
    }
    out.append(text, pos, std::string::npos);
    text.swap(out);
  }
};

}  // namespace dapt::tokenizer
