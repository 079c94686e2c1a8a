/// @file multiple_choice.hpp
/// @brief Multiple-choice evaluation by log-likelihood, as ChipNeMo's AutoEval and
/// lm-eval-harness score it: each choice is a continuation of the question's context, its score
/// is the sum of the log-probabilities of its tokens given the context, and the prediction is
/// the best-scoring choice, raw (lm-eval's `acc`) or normalised by the choice's length in tokens
/// or bytes (`acc_norm`, which removes the bias towards short answers). Tokenization follows
/// lm-eval exactly (see `tokenize_continuation`), choices of one or many questions are batched
/// into padded (B, T) rows of one `forward` call, and the log-softmax is taken in double at the
/// continuation positions only. `load_questions` reads a JSONL file of questions; every bad line
/// is a kFormat error that names file:line and the problem.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/progress.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/io/json.hpp"
#include "dapt/tokenizer/tokenizer.hpp"

namespace dapt::eval {

using tokenizer::TokenId;

/// A model that `evaluate_multiple_choice` can score: `forward(ids (B, T) int32)` on host tensors
/// returning the (B, T, V) float32 logits, and a `config()` giving `vocab_size` and
/// `max_position_embeddings`. `nn::Llama<Cpu>` is one. The logits of one batch exist at once, so
/// `MultipleChoiceOptions::batch_size` bounds memory to batch_size * T * V floats.
template <class M>
concept LogitsModel = requires(M& m, const TensorView<Cpu>& ids) {
  { m.forward(ids) } -> std::convertible_to<TensorView<Cpu>>;
  { m.config().vocab_size } -> std::convertible_to<std::int64_t>;
  { m.config().max_position_embeddings } -> std::convertible_to<std::int64_t>;
};

/// How a choice's log-likelihood is normalised before the argmax.
enum class Normalization {
  kNone,      ///< the sum of the token log-probabilities (lm-eval `acc`)
  kPerToken,  ///< divided by the number of continuation tokens (tokenizer-dependent)
  kPerByte,   ///< divided by the UTF-8 bytes of the choice text (lm-eval `acc_norm` divides by its
              ///< characters, which is the same for ASCII; `acc_bytes` by its bytes)
};

/// "none", "per token", "per byte".
constexpr const char* normalization_name(Normalization n) noexcept {
  switch (n) {
    case Normalization::kNone: return "none";
    case Normalization::kPerToken: return "per token";
    case Normalization::kPerByte: return "per byte";
  }
  return "?";
}

/// One multiple-choice question as text.
struct Question {
  std::string context;               ///< the prompt the choices continue (may be empty: see bos_id)
  std::vector<std::string> choices;  ///< the candidate continuations, without the delimiter
  std::int64_t answer = 0;           ///< index of the correct choice
  std::string source;                ///< where it came from ("file:line"), for reports; may be empty
};

/// One question as token ids (what `tokenize_question` makes; or build it from your own ids).
struct TokenizedQuestion {
  std::vector<TokenId> context;                ///< the context's ids, BOS included when wanted
  std::vector<std::vector<TokenId>> choices;   ///< each choice's continuation ids
  /// UTF-8 bytes of each choice's text (Normalization::kPerByte). May be empty when another
  /// normalisation is used.
  std::vector<std::int64_t> choice_bytes;
  std::int64_t answer = 0;
};

struct MultipleChoiceOptions {
  /// Put between the context and each choice (lm-eval's target_delimiter): " " for a context
  /// like "Question: ... Answer:" and choices like "Paris".
  std::string delimiter = " ";
  /// The normalisation of the `_norm` prediction and accuracy (the raw ones are always computed).
  Normalization normalization = Normalization::kPerByte;
  /// When set, this token (BOS) is put before every context, as lm-eval's add_bos_token=True. An
  /// empty context needs it: a continuation cannot be scored with nothing before it.
  std::optional<TokenId> bos_id;
  /// The longest input row; 0 means the model's max_position_embeddings. A longer context loses
  /// its first tokens (as lm-eval truncates); a continuation longer than this is an error.
  std::int64_t max_length = 0;
  /// Choices (rows) per forward call. Rows are sorted by length, longest first, so each batch
  /// pads little; memory is batch_size * longest row * vocab floats of logits.
  std::int64_t batch_size = 8;
  /// The id that pads short rows (never scored; causal attention makes right padding inert).
  TokenId pad_id = 0;
  /// A progress bar over the choices (drawn only on a terminal, see core/progress.hpp).
  bool show_progress = false;
};

/// The score of one choice.
struct ChoiceScore {
  double logprob = 0;        ///< sum of the log-probabilities (nats) of the continuation tokens
  std::int64_t tokens = 0;   ///< continuation tokens
  std::int64_t bytes = 0;    ///< UTF-8 bytes of the choice text (0 when not known)
  bool greedy = false;       ///< every continuation token is the model's argmax (lm-eval is_greedy)

  /// The score under a normalisation (kInvalidArgument for kPerByte when `bytes` is 0).
  double score(Normalization n) const {
    switch (n) {
      case Normalization::kNone: return logprob;
      case Normalization::kPerToken: return logprob / static_cast<double>(tokens);
      case Normalization::kPerByte:
        DAPT_CHECK(bytes > 0, "per-byte normalisation of a choice whose byte count is unknown (0)");
        return logprob / static_cast<double>(bytes);
    }
    return logprob;
  }
};

/// The index of the best choice under `n`; the first one on ties (as numpy's argmax).
inline std::int64_t pick(std::span<const ChoiceScore> choices, Normalization n) {
  DAPT_CHECK(!choices.empty(), "pick: no choices");
  std::int64_t best = 0;
  double best_score = choices[0].score(n);
  for (std::size_t i = 1; i < choices.size(); ++i) {
    const double s = choices[i].score(n);
    if (s > best_score) {
      best_score = s;
      best = static_cast<std::int64_t>(i);
    }
  }
  return best;
}

/// The scores of one question and what was picked.
struct QuestionResult {
  std::vector<ChoiceScore> choices;
  std::int64_t answer = 0;
  std::int64_t prediction = 0;       ///< argmax of the raw log-likelihood
  std::int64_t prediction_norm = 0;  ///< argmax under MultipleChoiceOptions::normalization
  bool correct() const noexcept { return prediction == answer; }
  bool correct_norm() const noexcept { return prediction_norm == answer; }
};

/// Per-question scores and the accuracies over all questions.
struct MultipleChoiceResult {
  std::vector<QuestionResult> questions;
  Normalization normalization = Normalization::kPerByte;  ///< the one behind the `_norm` fields
  std::int64_t correct = 0;       ///< questions whose raw prediction is the answer
  std::int64_t correct_norm = 0;  ///< questions whose normalised prediction is the answer
  double accuracy = 0;            ///< correct / questions (0 when there are none)
  double accuracy_norm = 0;       ///< correct_norm / questions
};

/// The ids of a context and of one continuation, as lm-eval-harness makes them (`_encode_pair`):
///
/// 1. trailing whitespace of the context moves to the front of the continuation (so "Answer: "
///    + "4" is scored as "Answer:" + " 4", the way the text would be tokenized in training);
/// 2. `whole = encode(context + continuation)`, `ctx = encode(context)`;
/// 3. the continuation's ids are `whole[len(ctx):]`, and the context's ids are `ctx`.
///
/// Where BPE merges across the boundary (context "... t", continuation "he cat": "the" is one
/// token), `whole` does not start with `ctx`; the split at len(ctx) then drops or shifts the
/// merged characters, exactly as lm-eval does, so scores stay comparable with it. Use a
/// delimiter (a space) so that boundaries fall between pre-tokenized words and this never
/// happens. When the whole continuation merged into the context's tokens, the continuation's ids
/// are empty, and scoring refuses it. `bos_id`, when set, goes before the context's ids. Texts
/// are encoded without special tokens. Invalid UTF-8 is kInvalidArgument (from the tokenizer).
struct ContinuationTokens {
  std::vector<TokenId> context;
  std::vector<TokenId> continuation;
};

/// Context trailing whitespace, as Python's str.rstrip() without arguments strips it for ASCII
/// (non-ASCII whitespace such as U+00A0 stays in the context).
inline std::size_t trailing_whitespace(std::string_view s) noexcept {
  std::size_t n = 0;
  while (n < s.size()) {
    const char c = s[s.size() - 1 - n];
    if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || (c >= '\x1c' && c <= '\x1f')))
      break;
    ++n;
  }
  return n;
}

/// See ContinuationTokens.
inline ContinuationTokens tokenize_continuation(const tokenizer::Tokenizer& tok, std::string_view context,
                                                std::string_view continuation, std::optional<TokenId> bos_id = {}) {
  const std::size_t ws = trailing_whitespace(context);
  std::string cont(context.substr(context.size() - ws));
  cont += continuation;
  const std::string_view ctx = context.substr(0, context.size() - ws);
  std::string whole(ctx);
  whole += cont;
  tokenizer::EncodeScratch scratch;
  ContinuationTokens out;
  if (bos_id) out.context.push_back(*bos_id);
  tok.encode(ctx, out.context, scratch);  // appends after the BOS
  std::vector<TokenId> all;
  tok.encode(whole, all, scratch);
  const std::size_t split = out.context.size() - (bos_id ? 1 : 0);
  if (all.size() > split) out.continuation.assign(all.begin() + static_cast<std::ptrdiff_t>(split), all.end());
  return out;
}

/// Tokenizes a question: the context once, each `delimiter + choice` as its continuation (see
/// `tokenize_continuation`); choice_bytes are the bytes of the choice texts without delimiter.
inline TokenizedQuestion tokenize_question(const tokenizer::Tokenizer& tok, const Question& q,
                                           const MultipleChoiceOptions& options = {}) {
  TokenizedQuestion t;
  t.answer = q.answer;
  for (const std::string& choice : q.choices) {
    ContinuationTokens ct = tokenize_continuation(tok, q.context, options.delimiter + choice, options.bos_id);
    if (t.choices.empty()) t.context = std::move(ct.context);  // the same for every choice
    t.choices.push_back(std::move(ct.continuation));
    t.choice_bytes.push_back(static_cast<std::int64_t>(choice.size()));
  }
  if (q.choices.empty()) t.context = tokenize_continuation(tok, q.context, "", options.bos_id).context;
  return t;
}

namespace detail {

/// "question 3" or "question 3 (file.jsonl:7)".
inline std::string question_name(std::size_t q, std::span<const Question> text) {
  std::string s = "question " + std::to_string(q);
  if (q < text.size() && !text[q].source.empty()) s += " (" + text[q].source + ")";
  return s;
}

/// Checks the questions against the model and the options; returns the resolved max_length.
inline std::int64_t check_questions(std::span<const TokenizedQuestion> qs, std::span<const Question> text,
                                    const MultipleChoiceOptions& o, std::int64_t vocab, std::int64_t max_positions) {
  DAPT_CHECK(o.batch_size >= 1, "multiple choice: batch_size must be at least 1, got ", o.batch_size);
  DAPT_CHECK(o.max_length >= 0, "multiple choice: max_length must be >= 0 (0: the model's), got ", o.max_length);
  const std::int64_t max_len = o.max_length > 0 ? o.max_length : max_positions;
  DAPT_CHECK(max_len >= 1, "multiple choice: max_length must be at least 1, got ", max_len);
  DAPT_CHECK(o.pad_id >= 0 && o.pad_id < vocab, "multiple choice: pad_id ", o.pad_id,
             " is outside the vocabulary of ", vocab, " tokens");
  const auto check_ids = [&](std::span<const TokenId> ids, std::size_t q, const std::string& what) {
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (ids[i] < 0 || ids[i] >= vocab)
        DAPT_FAIL(ErrorCategory::kOutOfRange, "multiple choice: ", question_name(q, text), ", ", what, ": token id ",
                  ids[i], " at position ", i, " is outside the vocabulary of ", vocab, " tokens");
  };
  for (std::size_t q = 0; q < qs.size(); ++q) {
    const TokenizedQuestion& t = qs[q];
    const auto n = static_cast<std::int64_t>(t.choices.size());
    DAPT_CHECK(n > 0, "multiple choice: ", question_name(q, text), " has no choices");
    DAPT_CHECK(t.answer >= 0 && t.answer < n, "multiple choice: ", question_name(q, text), ": answer ", t.answer,
               " is out of range for ", n, " choices");
    DAPT_CHECK(!t.context.empty(), "multiple choice: ", question_name(q, text),
               ": the context has no tokens; an empty context needs bos_id");
    DAPT_CHECK(t.choice_bytes.empty() || t.choice_bytes.size() == t.choices.size(), "multiple choice: ",
               question_name(q, text), " has ", t.choices.size(), " choices but ", t.choice_bytes.size(),
               " byte counts");
    check_ids(t.context, q, "context");
    for (std::size_t c = 0; c < t.choices.size(); ++c) {
      const auto k = static_cast<std::int64_t>(t.choices[c].size());
      DAPT_CHECK(k > 0, "multiple choice: ", question_name(q, text), ", choice ", c,
                 ": the continuation has no tokens of its own (it merged into the context's last token; lm-eval "
                 "refuses this too): separate the choice from the context with a delimiter");
      DAPT_CHECK(k <= max_len, "multiple choice: ", question_name(q, text), ", choice ", c, " is ", k,
                 " tokens, longer than max_length ", max_len);
      check_ids(t.choices[c], q, "choice " + std::to_string(c));
      if (o.normalization == Normalization::kPerByte) {
        const std::int64_t bytes = t.choice_bytes.empty() ? 0 : t.choice_bytes[c];
        DAPT_CHECK(bytes > 0, "multiple choice: ", question_name(q, text), ", choice ", c,
                   " has no byte count (", bytes, "), which per-byte normalisation divides by");
      }
    }
  }
  return max_len;
}

template <class Model>
MultipleChoiceResult evaluate_impl(Model& model, std::span<const TokenizedQuestion> qs, std::span<const Question> text,
                                   const MultipleChoiceOptions& o) {
  const std::int64_t vocab = model.config().vocab_size;
  const std::int64_t max_len = check_questions(qs, text, o, vocab, model.config().max_position_embeddings);

  // One row per (question, choice): the input is the last n tokens of context ++ continuation
  // without its final token, n = min(len - 1, max_len); continuation token i is predicted at
  // input position n - k + i.
  struct Row {
    std::size_t q, c;
    std::int64_t n, k;
  };
  std::vector<Row> rows;
  MultipleChoiceResult res;
  res.normalization = o.normalization;
  res.questions.resize(qs.size());
  for (std::size_t q = 0; q < qs.size(); ++q) {
    res.questions[q].answer = qs[q].answer;
    res.questions[q].choices.resize(qs[q].choices.size());
    for (std::size_t c = 0; c < qs[q].choices.size(); ++c) {
      const auto k = static_cast<std::int64_t>(qs[q].choices[c].size());
      const std::int64_t len = static_cast<std::int64_t>(qs[q].context.size()) + k;
      rows.push_back(Row{q, c, std::min(len - 1, max_len), k});
      ChoiceScore& s = res.questions[q].choices[c];
      s.tokens = k;
      s.bytes = qs[q].choice_bytes.empty() ? 0 : qs[q].choice_bytes[c];
    }
  }
  // Longest first (stable: ties keep question order), so a batch pads little.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.n > b.n; });

  const std::int64_t longest = rows.empty() ? 0 : rows.front().n;
  std::vector<std::int32_t> ids_buf(static_cast<std::size_t>(std::min<std::int64_t>(
      o.batch_size, static_cast<std::int64_t>(rows.size())) * longest));
  std::optional<ProgressBar> bar;
  if (o.show_progress) bar.emplace(static_cast<std::int64_t>(rows.size()), "multiple choice", ProgressOptions("choice"));

  for (std::size_t r0 = 0; r0 < rows.size(); r0 += static_cast<std::size_t>(o.batch_size)) {
    const std::size_t r1 = std::min(rows.size(), r0 + static_cast<std::size_t>(o.batch_size));
    const auto b = static_cast<std::int64_t>(r1 - r0);
    const std::int64_t t = rows[r0].n;
    for (std::int64_t r = 0; r < b; ++r) {
      const Row& row = rows[r0 + static_cast<std::size_t>(r)];
      const TokenizedQuestion& tq = qs[row.q];
      const std::vector<TokenId>& cont = tq.choices[row.c];
      const auto ctx_len = static_cast<std::int64_t>(tq.context.size());
      const std::int64_t off = ctx_len + row.k - 1 - row.n;  // first input token in context ++ continuation
      std::int32_t* dst = ids_buf.data() + r * t;
      for (std::int64_t j = 0; j < t; ++j) {
        const std::int64_t s = off + j;
        dst[j] = j >= row.n ? o.pad_id
                 : s < ctx_len ? tq.context[static_cast<std::size_t>(s)]
                               : cont[static_cast<std::size_t>(s - ctx_len)];
      }
    }
    const TensorView<Cpu> ids(ids_buf.data(), DType::kI32, {b, t});
    const TensorView<Cpu> logits = model.forward(ids);
    DAPT_CHECK_AS(kShape, logits.shape() == Shape({b, t, vocab}) && logits.is_contiguous(),
                  "multiple choice: the model returned logits of shape ", logits.shape().str(), " for ids of shape ",
                  ids.shape().str(), " and a vocabulary of ", vocab);
    const float* lg = logits.data<const float>();
    parallel_for(0, b, [&](std::int64_t r) {
      const Row& row = rows[r0 + static_cast<std::size_t>(r)];
      const std::vector<TokenId>& cont = qs[row.q].choices[row.c];
      double total = 0;
      bool greedy = true;
      for (std::int64_t i = 0; i < row.k; ++i) {
        const float* x = lg + (r * t + row.n - row.k + i) * vocab;
        const TokenId target = cont[static_cast<std::size_t>(i)];
        std::int64_t arg = 0;
        for (std::int64_t v = 1; v < vocab; ++v)
          if (x[v] > x[arg]) arg = v;
        const double m = x[arg];
        double sum = 0;
        for (std::int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(x[v]) - m);
        total += static_cast<double>(x[target]) - (m + std::log(sum));
        greedy = greedy && arg == target;
      }
      ChoiceScore& s = res.questions[row.q].choices[row.c];
      s.logprob = total;
      s.greedy = greedy;
    });
    for (std::size_t r = r0; r < r1; ++r)
      DAPT_CHECK_AS(kNumeric, std::isfinite(res.questions[rows[r].q].choices[rows[r].c].logprob), "multiple choice: ",
                    question_name(rows[r].q, text), ", choice ", rows[r].c, ": the log-likelihood is ",
                    res.questions[rows[r].q].choices[rows[r].c].logprob, " (the model produced NaN or Inf)");
    if (bar) bar->advance(b);
  }
  if (bar) bar->finish();

  for (QuestionResult& qr : res.questions) {
    qr.prediction = pick(qr.choices, Normalization::kNone);
    qr.prediction_norm = pick(qr.choices, o.normalization);
    res.correct += qr.correct();
    res.correct_norm += qr.correct_norm();
  }
  if (!qs.empty()) {
    res.accuracy = static_cast<double>(res.correct) / static_cast<double>(qs.size());
    res.accuracy_norm = static_cast<double>(res.correct_norm) / static_cast<double>(qs.size());
  }
  return res;
}

}  // namespace detail

/// Scores every choice of every question and picks the best, raw and normalised. Throws
/// kInvalidArgument for a question with no choices, an answer out of range, an empty context
/// (without BOS) or continuation, a continuation longer than max_length, or a missing byte count
/// under per-byte normalisation; kOutOfRange for an id outside the vocabulary; kNumeric when the
/// model's logits give a non-finite log-likelihood. Errors name the question (and its source).
template <LogitsModel Model>
MultipleChoiceResult evaluate_multiple_choice(Model& model, std::span<const TokenizedQuestion> questions,
                                              const MultipleChoiceOptions& options = {}) {
  return detail::evaluate_impl(model, questions, {}, options);
}

/// Tokenizes the questions with `tok` (see `tokenize_question`), then scores them.
template <LogitsModel Model>
MultipleChoiceResult evaluate_multiple_choice(Model& model, const tokenizer::Tokenizer& tok,
                                              std::span<const Question> questions,
                                              const MultipleChoiceOptions& options = {}) {
  std::vector<TokenizedQuestion> tokenized(questions.size());
  parallel_for(0, static_cast<std::int64_t>(questions.size()), [&](std::int64_t i) {
    const auto q = static_cast<std::size_t>(i);
    try {
      tokenized[q] = tokenize_question(tok, questions[q], options);
    } catch (const Error& e) {
      throw Error(e.category(), "multiple choice: " + detail::question_name(q, questions) + ": " + e.message(),
                  __FILE__, __LINE__);
    }
  });
  return detail::evaluate_impl(model, tokenized, questions, options);
}

// ---------------------------------------------------------------------------------------------
// JSONL questions
// ---------------------------------------------------------------------------------------------

/// Parses one question from the text of a JSON object: {"question": "...", "choices": ["...",
/// ...], "answer": 1} where the prompt may be named "context" instead of "question" (not both),
/// and "answer" is a 0-based index or a letter ("A" or "a" is choice 0, up to "Z"). Other fields
/// are ignored. Every problem is kFormat, prefixed with `where`: not JSON, invalid UTF-8, a
/// duplicate key, not an object, a missing or mistyped field, no choices, a choice that is not
/// a string or is empty, an answer that is not an index or a letter, or out of range.
inline Question parse_question(std::string_view text, std::string_view where) {
  const std::string src(where);
  const boost::json::value v = io::parse_json(text, src);
  io::JsonFields f(io::as_object(v, src + ": the line", ErrorCategory::kFormat), src, ErrorCategory::kFormat);
  Question q;
  q.source = src;
  const boost::json::value* question = f.find("question");
  const boost::json::value* context = f.find("context");
  if (question && context)
    DAPT_FAIL(ErrorCategory::kFormat, src, ": has both \"question\" and \"context\"; give the prompt in one of them");
  if (!question && !context)
    DAPT_FAIL(ErrorCategory::kFormat, src, ": required field \"question\" (or \"context\") is missing");
  const char* prompt_key = question ? "question" : "context";
  const boost::json::value& prompt = question ? *question : *context;
  if (!prompt.is_string()) f.wrong_type(prompt_key, "a string", prompt);
  q.context = std::string(prompt.get_string());

  const boost::json::array* choices = f.get_array("choices");
  if (!choices) DAPT_FAIL(ErrorCategory::kFormat, src, ": required field \"choices\" is missing");
  if (choices->empty()) DAPT_FAIL(ErrorCategory::kFormat, src, ": \"choices\" is empty");
  for (std::size_t i = 0; i < choices->size(); ++i) {
    const boost::json::value& c = (*choices)[i];
    if (!c.is_string())
      DAPT_FAIL(ErrorCategory::kFormat, src, ": choice ", i, " must be a string, found ",
                io::detail::kind_name(c.kind()), " (", boost::json::serialize(c).substr(0, 80), ")");
    if (c.get_string().empty()) DAPT_FAIL(ErrorCategory::kFormat, src, ": choice ", i, " is an empty string");
    q.choices.emplace_back(c.get_string());
  }

  const boost::json::value* answer = f.find("answer");
  if (!answer) DAPT_FAIL(ErrorCategory::kFormat, src, ": required field \"answer\" is missing");
  const auto n = static_cast<std::int64_t>(q.choices.size());
  if (answer->is_string()) {
    const std::string_view s(answer->get_string());
    const bool letter = s.size() == 1 && ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'));
    if (!letter)
      DAPT_FAIL(ErrorCategory::kFormat, src, ": \"answer\" must be a 0-based index or a letter A-Z, found \"",
                std::string(s.substr(0, 40)), "\"");
    q.answer = s[0] >= 'a' ? s[0] - 'a' : s[0] - 'A';
    if (q.answer >= n)
      DAPT_FAIL(ErrorCategory::kFormat, src, ": answer \"", std::string(s), "\" (choice ", q.answer,
                ") is out of range for ", n, " choices");
  } else {
    q.answer = f.to_int(*answer, "answer");  // kFormat naming the field for a bool, a fraction, ...
    if (q.answer < 0 || q.answer >= n)
      DAPT_FAIL(ErrorCategory::kFormat, src, ": answer ", q.answer, " is out of range for ", n, " choices");
  }
  return q;
}

/// Reads questions from a JSONL file, one JSON object per line (see `parse_question`). Blank
/// lines are skipped, "\r\n" line ends and a UTF-8 byte order mark are accepted. Throws kIo when
/// the file cannot be read, and kFormat naming file:line for the first bad line, including a
/// line longer than `max_line_bytes`. An empty file gives no questions.
inline std::vector<Question> load_questions(const std::filesystem::path& path,
                                            std::size_t max_line_bytes = std::size_t{16} << 20) {
  { io::detail::ReadOnlyFile check(path); }  // kIo with the reason for a missing or odd file
  std::ifstream in(path, std::ios::binary);
  if (!in) DAPT_FAIL(ErrorCategory::kIo, "cannot open ", path.string());
  std::vector<Question> out;
  std::string line;
  std::int64_t number = 0;
  const auto finish_line = [&] {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    const bool blank = std::all_of(line.begin(), line.end(), [](char c) {
      return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    });
    if (!blank) out.push_back(parse_question(line, path.string() + ":" + std::to_string(number)));
    line.clear();
  };
  // Read in blocks rather than with getline, so that a hostile file of one huge line is refused
  // after max_line_bytes instead of filling memory.
  std::vector<char> block(std::size_t{1} << 16);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    std::size_t start = 0;
    for (std::size_t i = 0; i < got; ++i) {
      if (block[i] != '\n') continue;
      line.append(block.data() + start, i - start);
      start = i + 1;
      DAPT_CHECK_AS(kFormat, line.size() <= max_line_bytes + 1, path.string(), ":", number + 1, ": line longer than ",
                    max_line_bytes, " bytes");
      finish_line();
    }
    line.append(block.data() + start, got - start);
    DAPT_CHECK_AS(kFormat, line.size() <= max_line_bytes + 1, path.string(), ":", number + 1, ": line longer than ",
                  max_line_bytes, " bytes");
  }
  if (in.bad()) DAPT_FAIL(ErrorCategory::kIo, "cannot read ", path.string(), " after line ", number);
  if (!line.empty()) finish_line();
  return out;
}

}  // namespace dapt::eval
