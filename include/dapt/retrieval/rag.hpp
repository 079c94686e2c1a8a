/// @file rag.hpp
/// @brief Retrieval-augmented prompts, as ChipNeMo's engineering assistant builds them: the
/// retrieved passages, numbered in rank order, and the question go into one user message after
/// a system prompt, rendered in the model's chat format by `tokenizer::render_chat`. The prompt
/// must fit the model's context, so passages are packed in rank order while the *rendered*
/// prompt, counted by the caller's tokenizer (or any counting function), stays within the token
/// budget: counting the whole rendered text, not summing per-passage counts, keeps the budget
/// exact whatever the chat markup and the tokenizer's merges across boundaries cost. Lower-ranked
/// passages are dropped first; the first passage that does not fit may be truncated (at a word
/// boundary, else a character boundary) when `truncate_last` allows it.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/utf8.hpp"
#include "dapt/tokenizer/chat_template.hpp"

namespace dapt::retrieval {

/// A retrieved passage: its id (a chunk id of the index), its text and an optional title or
/// source ("spec/axi.md §3"), shown to the model before the text.
struct Passage {
  std::int64_t id = -1;
  std::string text;
  std::string title;
};

/// Counts the tokens of a text.
using TokenCounter = std::function<std::int64_t(std::string_view text)>;

/// What `token_counter` needs of a tokenizer: `encode(text)` giving a sized range of token ids.
template <class T>
concept EncodingTokenizer = requires(const T& t, std::string_view text) {
  { t.encode(text) } -> std::ranges::sized_range;
};

/// A counter that encodes with `tok` (without adding special tokens: the rendered prompt already
/// holds the BOS as text where the format writes it, see chat_template.hpp). `tok` is held by
/// reference and must outlive the counter.
template <EncodingTokenizer Tok>
TokenCounter token_counter(const Tok& tok) {
  return [&tok](std::string_view text) { return static_cast<std::int64_t>(std::ranges::size(tok.encode(text))); };
}

struct RagOptions {
  /// The most tokens of the rendered prompt (leave room for the answer: the model's context
  /// minus the tokens to generate). At least 1.
  std::int64_t token_budget = 4096;
  /// The system message; empty writes none (ChipNeMo's format still writes an empty system turn).
  std::string system_prompt =
      "You are an assistant for chip design engineers. Answer the question using the numbered context "
      "passages, and say so when they do not contain the answer.";
  tokenizer::ChatFormat format = tokenizer::ChatFormat::kChipNeMo;
  /// How render_chat renders; by default the prompt ends with the assistant header.
  tokenizer::ChatRenderOptions render{/*add_generation_prompt=*/true, std::nullopt, std::nullopt, std::nullopt};
  /// The line before the passages (omitted with the passages when none fits).
  std::string context_intro = "Context:";
  /// Written before the question.
  std::string question_intro = "Question: ";
  /// Truncate the first passage that does not fit instead of dropping it.
  bool truncate_last = false;
  /// A truncated passage keeps at least this many characters, else it is dropped.
  std::int64_t min_truncated_chars = 32;
  /// Appended to a truncated passage, so the model knows it is cut.
  std::string truncation_marker = " ...";
};

/// A built prompt.
struct RagPrompt {
  std::string text;                       ///< the rendered prompt, to encode without special tokens
  std::vector<tokenizer::ChatMessage> messages;  ///< the messages it renders
  std::vector<std::int64_t> passage_ids;  ///< the passages included, in rank order
  bool last_truncated = false;            ///< whether the last included passage was truncated
  std::int64_t tokens = 0;                ///< the counter's count of `text` (<= the budget)
};

/// Builds token-budgeted RAG prompts.
///
/// ```cpp
/// RagOptions o;
/// o.token_budget = 4096 - 512;  // the context minus the answer's tokens
/// o.format = tokenizer::ChatFormat::kLlama3;
/// Rag rag(token_counter(tok), o);
/// std::vector<Passage> passages;
/// for (const Hit& h : hybrid.search(question, 8)) passages.push_back({h.id, chunks[h.id].text});
/// RagPrompt p = rag.build(question, passages);
/// auto ids = tok.encode(p.text);   // p.tokens ids, within the budget
/// ```
class Rag {
 public:
  /// Throws kInvalidArgument when the counter is empty or an option is out of range.
  explicit Rag(TokenCounter counter, RagOptions options = {}) : counter_(std::move(counter)), options_(std::move(options)) {
    DAPT_CHECK(static_cast<bool>(counter_), "Rag: the token counter is empty");
    DAPT_CHECK(options_.token_budget >= 1, "Rag: token_budget must be at least 1, got ", options_.token_budget);
    DAPT_CHECK(options_.min_truncated_chars >= 1, "Rag: min_truncated_chars must be at least 1, got ",
               options_.min_truncated_chars);
  }

  const RagOptions& options() const noexcept { return options_; }

  /// The prompt for `question` with as many of `passages` (best first) as fit the budget: the
  /// included passages are always a prefix of `passages`, in their order, numbered [1], [2], ...
  /// Throws kInvalidArgument when the prompt without passages already exceeds the budget (naming
  /// the budget and the count), when the question or a passage is not valid UTF-8 (naming the
  /// passage id), or when the counter returns a negative count.
  RagPrompt build(std::string_view question, std::span<const Passage> passages) const {
    check_utf8(question, "the question");
    for (const Passage& p : passages) {
      check_utf8(p.text, "the text of passage " + std::to_string(p.id));
      check_utf8(p.title, "the title of passage " + std::to_string(p.id));
    }
    RagPrompt best = render(question, passages.first(0), std::nullopt);
    if (best.tokens > options_.token_budget)
      DAPT_FAIL(ErrorCategory::kInvalidArgument, "Rag::build: the token budget is ", options_.token_budget,
                " tokens but the prompt with the question alone needs ", best.tokens);
    std::size_t taken = 0;
    for (; taken < passages.size(); ++taken) {
      RagPrompt next = render(question, passages.first(taken + 1), std::nullopt);
      if (next.tokens > options_.token_budget) break;
      best = std::move(next);
    }
    if (taken < passages.size() && options_.truncate_last) {
      if (auto cut = truncated(question, passages.first(taken + 1))) best = std::move(*cut);
    }
    return best;
  }

  /// The user message for `question` and `passages` (all of them, untruncated).
  std::string user_message(std::string_view question, std::span<const Passage> passages) const {
    return user_message(question, passages, std::nullopt);
  }

 private:
  void check_utf8(std::string_view text, const std::string& what) const {
    if (const auto bad = first_invalid_utf8(text))
      DAPT_FAIL(ErrorCategory::kInvalidArgument, "Rag::build: ", what, " is not valid UTF-8 (byte offset ", *bad, ")");
  }

  /// `last_text`, when set, replaces the text of the last passage (a truncated prefix).
  std::string user_message(std::string_view question, std::span<const Passage> passages,
                           const std::optional<std::string>& last_text) const {
    std::string u;
    if (!passages.empty()) {
      u += options_.context_intro;
      u += "\n\n";
      for (std::size_t i = 0; i < passages.size(); ++i) {
        u += "[" + std::to_string(i + 1) + "] ";
        if (!passages[i].title.empty()) {
          u += passages[i].title;
          u += '\n';
        }
        u += (i + 1 == passages.size() && last_text) ? *last_text : passages[i].text;
        u += "\n\n";
      }
    }
    u += options_.question_intro;
    u += question;
    return u;
  }

  RagPrompt render(std::string_view question, std::span<const Passage> passages,
                   const std::optional<std::string>& last_text) const {
    RagPrompt out;
    if (!options_.system_prompt.empty()) out.messages.push_back({"system", options_.system_prompt});
    out.messages.push_back({"user", user_message(question, passages, last_text)});
    out.text = tokenizer::render_chat(options_.format, out.messages, options_.render).text;
    out.tokens = counter_(out.text);
    DAPT_CHECK(out.tokens >= 0, "Rag::build: the token counter returned ", out.tokens, " for a ", out.text.size(),
               "-byte prompt");
    for (const Passage& p : passages) out.passage_ids.push_back(p.id);
    out.last_truncated = last_text.has_value();
    return out;
  }

  /// The prompt with the last of `passages` cut to the longest prefix that fits, or nothing.
  /// Cuts go before a whitespace that follows a non-space (whole words); when no such cut fits,
  /// at code point boundaries. Each kind is searched by bisection over its cut positions, and
  /// only a prompt that was counted and fits is returned, so the budget holds even when the
  /// counter is not monotone in the prefix length.
  std::optional<RagPrompt> truncated(std::string_view question, std::span<const Passage> passages) const {
    const std::string& text = passages.back().text;
    std::vector<std::size_t> word_cuts, char_cuts;
    std::int64_t chars = 0;
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t len = decode_utf8(text, i).length;
      if (i > 0 && chars >= options_.min_truncated_chars) {
        char_cuts.push_back(i);
        const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
        if (is_space(text[i]) && !is_space(text[i - 1])) word_cuts.push_back(i);
      }
      ++chars;
      i += len;
    }
    for (const auto* cuts : {&word_cuts, &char_cuts}) {
      std::optional<RagPrompt> best;
      std::size_t lo = 0, hi = cuts->size();  // bisect for the last fitting cut in [lo, hi)
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        RagPrompt p = render(question, passages, text.substr(0, (*cuts)[mid]) + options_.truncation_marker);
        if (p.tokens <= options_.token_budget) {
          best = std::move(p);
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      if (best) return best;
    }
    return std::nullopt;
  }

  TokenCounter counter_;
  RagOptions options_;
};

}  // namespace dapt::retrieval
