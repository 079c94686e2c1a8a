/// @file normalizer.hpp
/// @brief Text normalisation before pre-tokenization, as a sequence of steps with the semantics
/// of Hugging Face `tokenizers`: Prepend (only to non-empty text), Replace (literal pattern,
/// every occurrence), the Unicode normalization forms NFC/NFD/NFKC/NFKD, Lowercase, Strip and
/// StripAccents (see unicode_normalization.hpp for what each does exactly), plus SentencePiece's
/// collapsing of extra spaces. SentencePiece's dummy prefix and whitespace escaping are expressed
/// with Prepend and Replace.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "dapt/tokenizer/unicode_normalization.hpp"

namespace dapt::tokenizer {

struct PrependStep {
  std::string prefix;  ///< added in front of non-empty text
};
struct ReplaceStep {
  std::string pattern;  ///< literal, non-empty
  std::string content;
  /// The tokenizer.json regex this literal was read from, written back as {"Regex": ...}; empty
  /// for a {"String": ...} pattern. Only regexes that match one fixed string are accepted.
  std::string regex{};
};
/// NFC, NFD, NFKC or NFKD.
struct UnicodeNormalizeStep {
  NormalForm form = NormalForm::kNfc;
};
/// Lowercase, code point by code point (Rust's char::to_lowercase).
struct LowercaseStep {};
/// Strip: remove White_Space at the start and/or the end.
struct StripStep {
  bool left = true;
  bool right = true;
};
/// StripAccents: remove combining marks (General_Category M of Unicode 9.0).
struct StripAccentsStep {};
/// SentencePiece's remove_extra_whitespaces: drop leading and trailing spaces and collapse runs
/// of spaces into one (no tokenizer.json equivalent without a regex).
struct CollapseSpacesStep {};
using NormalizerStep = std::variant<PrependStep, ReplaceStep, CollapseSpacesStep, UnicodeNormalizeStep, LowercaseStep,
                                    StripStep, StripAccentsStep>;

/// An ordered list of normalisation steps (empty: identity).
struct Normalizer {
  std::vector<NormalizerStep> steps;

  bool empty() const noexcept { return steps.empty(); }

  /// Applies every step to `text` in place.
  void apply(std::string& text) const {
    for (const auto& step : steps) {
      std::visit(
          [&text](const auto& st) {
            using T = std::decay_t<decltype(st)>;
            if constexpr (std::is_same_v<T, PrependStep>) {
              if (!text.empty()) text.insert(0, st.prefix);
            } else if constexpr (std::is_same_v<T, ReplaceStep>) {
              replace_all(text, st.pattern, st.content);
            } else if constexpr (std::is_same_v<T, CollapseSpacesStep>) {
              collapse_spaces(text);
            } else if constexpr (std::is_same_v<T, UnicodeNormalizeStep>) {
              normalize_in_place(text, st.form);
            } else if constexpr (std::is_same_v<T, LowercaseStep>) {
              lowercase_in_place(text);
            } else if constexpr (std::is_same_v<T, StripStep>) {
              const std::string_view kept = strip_whitespace(text, st.left, st.right);
              if (kept.size() != text.size()) text = std::string(kept);
            } else {
              static_assert(std::is_same_v<T, StripAccentsStep>);
              strip_accents_in_place(text);
            }
          },
          step);
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
