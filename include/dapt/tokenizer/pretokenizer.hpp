/// @file pretokenizer.hpp
/// @brief Pre-tokenization: splitting normalised text into the pieces the BPE model encodes one
/// by one, with the semantics of Hugging Face `tokenizers` for Split (five delimiter behaviours,
/// invert), ByteLevel (optional prefix space and the GPT-2 regex), Metaspace (whitespace escape,
/// prepend scheme, split) and Digits, applied in sequence. Regex patterns are matched by the
/// hand-written matchers of regex_split.hpp; the byte-to-character mapping of ByteLevel is not
/// performed here because dapt's BPE engine works on raw bytes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "dapt/tokenizer/regex_split.hpp"
#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer {

/// What Split does with the delimiters it finds (HF SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

/// Split on a literal string or on one of the recognised regexes.
struct SplitStep {
  std::optional<SplitRegex> regex;  ///< when set, the pattern is this regex
  std::string literal;              ///< otherwise this literal string (non-empty)
  std::string pattern_text;         ///< the pattern as written in the file (for saving)
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;
};
struct ByteLevelStep {
  bool add_prefix_space = false;
  bool use_regex = true;
  bool trim_offsets = true;  ///< offsets only; kept for round trips
};
enum class PrependScheme { kAlways, kFirst, kNever };
struct MetaspaceStep {
  std::string replacement = "\xe2\x96\x81";  ///< U+2581
  PrependScheme prepend_scheme = PrependScheme::kAlways;
  bool split = true;
};
struct DigitsStep {
  bool individual_digits = false;
};
/// Splits before each run of `marker` that follows other text ("a▁▁b" -> "a", "▁▁b"). A pure
/// speed-up that SentencePiece models get when no token spans such a boundary (checked by the
/// builder), so the tokenization is unchanged; it has no tokenizer.json form and is not saved.
struct BoundarySplitStep {
  std::string marker;
  /// True when `token` holds the marker right after other text, i.e. spans a boundary.
  bool spans(std::string_view token) const {
    for (std::size_t pos = token.find(marker, 1); pos != std::string_view::npos; pos = token.find(marker, pos + 1))
      if (pos < marker.size() || token.compare(pos - marker.size(), marker.size(), marker) != 0) return true;
    return false;
  }
};
using PreTokenizerStep = std::variant<SplitStep, ByteLevelStep, MetaspaceStep, DigitsStep, BoundarySplitStep>;

/// Scratch memory of one pre-tokenization (reuse it across calls).
struct PreTokenizeScratch {
  std::vector<std::string_view> pieces, next;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
  std::vector<std::pair<std::pair<std::size_t, std::size_t>, bool>> marks;
  std::deque<std::string> owned;  // content created by steps that rewrite text (stable addresses)
};

/// An ordered list of pre-tokenizer steps (empty: the whole text is one piece).
struct PreTokenizer {
  std::vector<PreTokenizerStep> steps;

  bool has_byte_level() const {
    for (const auto& s : steps)
      if (std::holds_alternative<ByteLevelStep>(s)) return true;
    return false;
  }

  /// Splits `text` into pieces (views into `text` or into `scratch.owned`) in `scratch.pieces`.
  /// `at_start` says whether `text` begins the input (Metaspace's "first" prepend scheme).
  void run(std::string_view text, bool at_start, PreTokenizeScratch& scratch) const {
    scratch.owned.clear();
    scratch.pieces.clear();
    if (!text.empty()) scratch.pieces.push_back(text);
    for (const auto& step : steps) {
      scratch.next.clear();
      for (std::string_view piece : scratch.pieces) std::visit([&](const auto& s) { apply(s, piece, at_start, scratch); }, step);
      std::swap(scratch.pieces, scratch.next);
    }
  }

 private:
  // Emits the pieces of `piece` given its match marks (covering it), per the behaviour.
  static void emit_marks(std::string_view piece, SplitBehavior behavior, bool invert, PreTokenizeScratch& s) {
    auto& marks = s.marks;
    if (invert)
      for (auto& m : marks) m.second = !m.second;
    std::vector<std::pair<std::pair<std::size_t, std::size_t>, bool>> acc;
    acc.reserve(marks.size());
    bool previous_match = false;
    switch (behavior) {
      case SplitBehavior::kIsolated: acc = marks; break;
      case SplitBehavior::kRemoved:
        for (const auto& m : marks)
          if (!m.second) acc.push_back(m);
        break;
      case SplitBehavior::kMergedWithPrevious:
        for (const auto& m : marks) {
          if (m.second && !previous_match) {
            if (!acc.empty()) acc.back().first.second = m.first.second;
            else acc.push_back({m.first, true});
          } else {
            acc.push_back({m.first, false});
          }
          previous_match = m.second;
        }
        break;
      case SplitBehavior::kMergedWithNext:
        for (auto it = marks.rbegin(); it != marks.rend(); ++it) {
          if (it->second && !previous_match) {
            if (!acc.empty()) acc.back().first.first = it->first.first;
            else acc.push_back({it->first, true});
          } else {
            acc.push_back({it->first, false});
          }
          previous_match = it->second;
        }
        std::reverse(acc.begin(), acc.end());
        break;
      case SplitBehavior::kContiguous:
        for (const auto& m : marks) {
          if (m.second == previous_match && !acc.empty()) acc.back().first.second = m.first.second;
          else acc.push_back({m.first, false});
          previous_match = m.second;
        }
        break;
    }
    for (const auto& a : acc)
      if (a.first.second > a.first.first) s.next.push_back(piece.substr(a.first.first, a.first.second - a.first.first));
  }

  // The Isolated behaviour without inversion, the hot path of byte-level BPE: every match and
  // every gap between matches is a piece.
  static void emit_isolated(std::string_view piece, PreTokenizeScratch& s) {
    std::size_t pos = 0;
    for (const auto& [b, e] : s.ranges) {
      if (b > pos) s.next.push_back(piece.substr(pos, b - pos));
      s.next.push_back(piece.substr(b, e - b));
      pos = e;
    }
    if (pos < piece.size()) s.next.push_back(piece.substr(pos));
  }

  // Turns match ranges into marks covering the whole piece.
  static void marks_from_ranges(std::string_view piece, PreTokenizeScratch& s) {
    s.marks.clear();
    std::size_t pos = 0;
    for (const auto& [b, e] : s.ranges) {
      if (b > pos) s.marks.push_back({{pos, b}, false});
      if (e > b) s.marks.push_back({{b, e}, true});
      pos = e;
    }
    if (pos < piece.size()) s.marks.push_back({{pos, piece.size()}, false});
  }

  static void apply(const SplitStep& st, std::string_view piece, bool, PreTokenizeScratch& s) {
    s.ranges.clear();
    if (st.regex) {
      split_regex(*st.regex, piece, s.ranges);
    } else {
      for (std::size_t pos = 0, hit; (hit = piece.find(st.literal, pos)) != std::string_view::npos; pos = hit + st.literal.size())
        s.ranges.push_back({static_cast<std::uint32_t>(hit), static_cast<std::uint32_t>(hit + st.literal.size())});
    }
    if (!st.invert && st.behavior == SplitBehavior::kIsolated) {  // the hot path of byte-level BPE
      emit_isolated(piece, s);
      return;
    }
    marks_from_ranges(piece, s);
    emit_marks(piece, st.behavior, st.invert, s);
  }

  static void apply(const ByteLevelStep& st, std::string_view piece, bool, PreTokenizeScratch& s) {
    if (st.add_prefix_space && piece.front() != ' ') {
      s.owned.push_back(" " + std::string(piece));
      piece = s.owned.back();
    }
    if (!st.use_regex) {
      s.next.push_back(piece);
      return;
    }
    s.ranges.clear();
    split_regex(SplitRegex::kGpt2, piece, s.ranges);
    emit_isolated(piece, s);
  }

  static void apply(const MetaspaceStep& st, std::string_view piece, bool at_start, PreTokenizeScratch& s) {
    std::string text(piece);
    for (std::size_t pos = 0; (pos = text.find(' ', pos)) != std::string::npos; pos += st.replacement.size())
      text.replace(pos, 1, st.replacement);
    const bool starts = text.compare(0, st.replacement.size(), st.replacement) == 0;
    if (!starts && (st.prepend_scheme == PrependScheme::kAlways || (st.prepend_scheme == PrependScheme::kFirst && at_start)))
      text.insert(0, st.replacement);
    s.owned.push_back(std::move(text));
    const std::string_view owned = s.owned.back();
    if (!st.split) {
      s.next.push_back(owned);
      return;
    }
    s.ranges.clear();
    for (std::size_t pos = 0, hit; (hit = owned.find(st.replacement, pos)) != std::string_view::npos; pos = hit + st.replacement.size())
      s.ranges.push_back({static_cast<std::uint32_t>(hit), static_cast<std::uint32_t>(hit + st.replacement.size())});
    marks_from_ranges(owned, s);
    emit_marks(owned, SplitBehavior::kMergedWithNext, false, s);
  }

  static void apply(const BoundarySplitStep& st, std::string_view piece, bool, PreTokenizeScratch& s) {
    const std::string_view m = st.marker;
    std::size_t start = 0;
    for (std::size_t pos = piece.find(m, 1); pos != std::string_view::npos; pos = piece.find(m, pos + m.size())) {
      // A boundary only where the text before is not the marker itself.
      if (pos >= m.size() && piece.compare(pos - m.size(), m.size(), m) == 0) continue;
      s.next.push_back(piece.substr(start, pos - start));
      start = pos;
    }
    s.next.push_back(piece.substr(start));
  }

  static void apply(const DigitsStep& st, std::string_view piece, bool, PreTokenizeScratch& s) {
    s.ranges.clear();
    std::size_t pos = 0;
    while (pos < piece.size()) {
      const auto step = decode_utf8(piece, pos);
      if (step.valid && is_number(step.code_point))
        s.ranges.push_back({static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(pos + step.length)});
      pos += step.length;
    }
    marks_from_ranges(piece, s);
    emit_marks(piece, st.individual_digits ? SplitBehavior::kIsolated : SplitBehavior::kContiguous, false, s);
  }
};

}  // namespace dapt::tokenizer
