/// @file perplexity.hpp
/// @brief Perplexity of a causal language model on held-out documents, with the sliding window
/// of the Hugging Face perplexity guide: windows of `context` tokens start every `stride` tokens,
/// and each window scores only the tokens that no earlier window scored, so every token is scored
/// once, with at least context - stride tokens of the same document before it (fewer only in the
/// document's first window).
/// Windows of one or many documents are batched into (B, T) rows for `forward_loss`, whose
/// chunked head means the (B*T, V) logits never exist at once. The result is the mean negative
/// log-likelihood per scored token, its exponential (the perplexity), the token count and, when
/// the documents' UTF-8 byte count is known, bits per byte (comparable across tokenizers, which
/// is what a domain-adapted tokenizer needs: its tokens are longer, so per-token perplexities of
/// two tokenizers cannot be compared).
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/progress.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/tokenizer/tokenizer.hpp"

namespace dapt::eval {

using tokenizer::TokenId;

/// A model that `perplexity` can score: `forward_loss(ids (B, T) int32, labels (B, T) int32,
/// LossOptions)` on host tensors, with Hugging Face label semantics (see nn/llama.hpp), and a
/// `config()` giving `vocab_size` and `max_position_embeddings`. `nn::Llama<Cpu>` is one.
template <class M>
concept LossModel = requires(M& m, const TensorView<Cpu>& ids, const TensorView<Cpu>& labels,
                             const nn::LossOptions& options) {
  { m.forward_loss(ids, labels, options) } -> std::convertible_to<nn::LossResult>;
  { m.config().vocab_size } -> std::convertible_to<std::int64_t>;
  { m.config().max_position_embeddings } -> std::convertible_to<std::int64_t>;
};

struct PerplexityOptions {
  /// Tokens per window (the model's context for this evaluation); 0 means the model's
  /// `max_position_embeddings`. At least 2.
  std::int64_t context = 0;
  /// Tokens between the starts of two windows, 1 <= stride <= context; 0 means `context`
  /// (disjoint windows: fastest, but the first tokens of each window have little context).
  /// A smaller stride gives each scored token more context at the cost of more windows
  /// (about n / stride windows of `context` tokens for a document of n tokens).
  std::int64_t stride = 0;
  /// Windows per `forward_loss` call. Rows shorter than the longest window of the batch (the
  /// last window of a document, short documents) are padded with `pad_id` and not scored.
  std::int64_t batch_size = 1;
  /// When set, this token (BOS, or the EOS that separated documents in training) is put before
  /// every document, so the document's first token is scored too (as lm-eval-harness's rolling
  /// log-likelihood does) and bits per byte covers every byte. Unset, a document's first token is
  /// only context (as in the Hugging Face guide).
  std::optional<TokenId> prefix_id;
  /// The id that pads short rows of a batch; any id of the vocabulary (it is never scored, and
  /// under causal attention padding at the end of a row changes nothing before it).
  TokenId pad_id = 0;
  /// `perplexity_files` only: the largest file read (a larger one is kFormat).
  std::size_t max_file_bytes = std::size_t{1} << 30;
  /// A progress bar over the windows (drawn only on a terminal, see core/progress.hpp).
  bool show_progress = false;
};

/// What `perplexity` measured. `nll` is in nats: perplexity = exp(nll).
struct PerplexityResult {
  double nll = 0;               ///< mean negative log-likelihood per scored token
  double perplexity = 0;        ///< exp(nll)
  double nll_sum = 0;           ///< sum over the scored tokens
  std::int64_t tokens = 0;      ///< tokens scored
  std::int64_t documents = 0;   ///< documents read (those of fewer than 2 tokens score nothing)
  std::int64_t windows = 0;     ///< windows run through the model
  std::int64_t bytes = 0;       ///< UTF-8 bytes of the documents' text; 0 when not known
  /// nll_sum / (bytes * ln 2), when `bytes` is known. Without `prefix_id` the first token of each
  /// document is not scored, so this slightly underestimates the bits of the text.
  std::optional<double> bits_per_byte;
};

namespace detail {

/// Calls fn(begin, end, first_scored) for each window of the Hugging Face scheme over a sequence
/// of `n` tokens: tokens [begin, end) are the window's input, tokens [first_scored, end) are
/// scored. A token is scored in the first window whose end passes it, except the first token of
/// a window, which has nothing before it in the window (with stride == context that is every
/// window's first token; the guide's loss drops it the same way). Windows that would score
/// nothing are not visited.
template <class Fn>
void for_each_window(std::int64_t n, std::int64_t context, std::int64_t stride, Fn&& fn) {
  if (n < 2) return;
  std::int64_t prev_end = 0;
  for (std::int64_t begin = 0;; begin += stride) {
    const std::int64_t end = std::min(begin + context, n);
    const std::int64_t first = std::max(prev_end, begin + 1);
    if (first < end) fn(begin, end, first);
    prev_end = end;
    if (end == n) break;
  }
}

/// Checks the options against the model and fills in the defaults (context, stride).
inline PerplexityOptions resolve_options(PerplexityOptions o, std::int64_t vocab, std::int64_t max_positions) {
  if (o.context == 0) o.context = max_positions;
  DAPT_CHECK(o.context >= 2, "perplexity: context must be at least 2 tokens, got ", o.context);
  if (o.stride == 0) o.stride = o.context;
  DAPT_CHECK(o.stride >= 1 && o.stride <= o.context, "perplexity: stride must be in [1, context = ", o.context,
             "], got ", o.stride, " (a stride above the context would skip tokens)");
  DAPT_CHECK(o.batch_size >= 1, "perplexity: batch_size must be at least 1, got ", o.batch_size);
  DAPT_CHECK(o.pad_id >= 0 && o.pad_id < vocab, "perplexity: pad_id ", o.pad_id, " is outside the vocabulary of ",
             vocab, " tokens");
  if (o.prefix_id)
    DAPT_CHECK(*o.prefix_id >= 0 && *o.prefix_id < vocab, "perplexity: prefix_id ", *o.prefix_id,
               " is outside the vocabulary of ", vocab, " tokens");
  return o;
}

/// The engine behind every overload: `doc(i)` gives document i as a span of ids.
template <class Model, class Doc>
PerplexityResult perplexity_impl(Model& model, std::size_t num_docs, Doc&& doc, const PerplexityOptions& options,
                                 std::int64_t bytes) {
  const std::int64_t vocab = model.config().vocab_size;
  const PerplexityOptions o = resolve_options(options, vocab, model.config().max_position_embeddings);
  DAPT_CHECK(bytes >= 0, "perplexity: bytes must be >= 0 (0: unknown), got ", bytes);
  const std::int64_t extra = o.prefix_id ? 1 : 0;

  // Validate every id first, so that a bad one is reported by document and position rather than
  // by its place in a batch, and count the windows for the progress bar.
  std::int64_t total_windows = 0;
  for (std::size_t d = 0; d < num_docs; ++d) {
    const std::span<const TokenId> ids = doc(d);
    for (std::size_t i = 0; i < ids.size(); ++i)
      DAPT_CHECK_AS(kOutOfRange, ids[i] >= 0 && ids[i] < vocab, "perplexity: token id ", ids[i], " at position ", i,
                    " of document ", d, " is outside the vocabulary of ", vocab, " tokens");
    for_each_window(static_cast<std::int64_t>(ids.size()) + extra, o.context, o.stride,
                    [&](std::int64_t, std::int64_t, std::int64_t) { ++total_windows; });
  }

  struct Window {
    std::size_t doc;
    std::int64_t begin, end, first;
  };
  // Every buffer is sized once for the largest batch and reused by every window.
  std::vector<Window> batch;
  batch.reserve(static_cast<std::size_t>(o.batch_size));
  const auto cap = static_cast<std::size_t>(o.batch_size * o.context);
  std::vector<std::int32_t> ids_buf(cap), labels_buf(cap);

  std::optional<ProgressBar> bar;
  if (o.show_progress) bar.emplace(total_windows, "perplexity", ProgressOptions("window"));

  PerplexityResult res;
  res.documents = static_cast<std::int64_t>(num_docs);
  const auto run_batch = [&] {
    if (batch.empty()) return;
    std::int64_t t = 0, expected = 0;
    for (const Window& w : batch) {
      t = std::max(t, w.end - w.begin);
      expected += w.end - w.first;
    }
    const auto b = static_cast<std::int64_t>(batch.size());
    for (std::int64_t r = 0; r < b; ++r) {
      const Window& w = batch[static_cast<std::size_t>(r)];
      const std::span<const TokenId> ids = doc(w.doc);
      std::int32_t* row_ids = ids_buf.data() + r * t;
      std::int32_t* row_labels = labels_buf.data() + r * t;
      for (std::int64_t j = 0; j < t; ++j) {
        const std::int64_t i = w.begin + j;  // index into [prefix] + document
        if (i >= w.end) {
          row_ids[j] = o.pad_id;
          row_labels[j] = -100;
          continue;
        }
        const TokenId id = i < extra ? *o.prefix_id : ids[static_cast<std::size_t>(i - extra)];
        row_ids[j] = id;
        row_labels[j] = i >= w.first ? id : -100;  // label j is the target of position j - 1
      }
    }
    const TensorView<Cpu> ids_view(ids_buf.data(), DType::kI32, {b, t});
    const TensorView<Cpu> labels_view(labels_buf.data(), DType::kI32, {b, t});
    const nn::LossResult lr = model.forward_loss(ids_view, labels_view, nn::LossOptions{});
    DAPT_CHECK_AS(kInternal, lr.tokens == expected, "perplexity: the model scored ", lr.tokens,
                  " tokens of a batch where ", expected, " were labelled");
    DAPT_CHECK_AS(kNumeric, std::isfinite(lr.sum), "perplexity: the loss of the batch starting at token ",
                  batch.front().begin, " of document ", batch.front().doc, " is ", lr.sum,
                  " (the model produced NaN or Inf)");
    res.nll_sum += lr.sum;
    res.tokens += lr.tokens;
    res.windows += b;
    if (bar) bar->advance(b);
    batch.clear();
  };

  for (std::size_t d = 0; d < num_docs; ++d) {
    const auto n = static_cast<std::int64_t>(doc(d).size()) + extra;
    for_each_window(n, o.context, o.stride, [&](std::int64_t begin, std::int64_t end, std::int64_t first) {
      batch.push_back(Window{d, begin, end, first});
      if (static_cast<std::int64_t>(batch.size()) == o.batch_size) run_batch();
    });
  }
  run_batch();
  if (bar) bar->finish();

  DAPT_CHECK(res.tokens > 0, "perplexity: nothing to score in ", num_docs,
             " document(s): a document needs at least 2 tokens (1 with prefix_id)");
  res.nll = res.nll_sum / static_cast<double>(res.tokens);
  res.perplexity = std::exp(res.nll);
  res.bytes = bytes;
  if (bytes > 0) res.bits_per_byte = res.nll_sum / (static_cast<double>(bytes) * std::numbers::ln2);
  return res;
}

/// Encodes texts on the thread policy's threads; an error names `where(i)`.
template <class Where>
std::vector<std::vector<TokenId>> encode_texts(const tokenizer::Tokenizer& tok, std::span<const std::string> texts,
                                               tokenizer::EncodeOptions encode, Where&& where) {
  std::vector<std::vector<TokenId>> out(texts.size());
  const int threads = std::max(1, std::min<int>(num_threads(), static_cast<int>(texts.size())));
  std::vector<tokenizer::EncodeScratch> scratch(static_cast<std::size_t>(threads));
  parallel_for(0, threads, [&](std::int64_t t) {
    for (std::size_t i = static_cast<std::size_t>(t); i < texts.size(); i += static_cast<std::size_t>(threads)) {
      try {
        tok.encode(texts[i], out[i], scratch[static_cast<std::size_t>(t)], encode);
      } catch (const Error& e) {
        throw Error(e.category(), where(i) + ": " + e.message(), __FILE__, __LINE__);
      }
    }
  });
  return out;
}

}  // namespace detail

/// Perplexity of `model` on tokenized documents, each scored on its own (no window crosses a
/// document boundary). `bytes`, when known, is the UTF-8 byte count of the documents' text and
/// fills `bits_per_byte`. Throws kInvalidArgument for bad options or when no token can be scored,
/// kOutOfRange for an id outside the model's vocabulary, kNumeric when the model's loss is not
/// finite.
template <LossModel Model>
PerplexityResult perplexity(Model& model, std::span<const std::vector<TokenId>> documents,
                            const PerplexityOptions& options = {}, std::int64_t bytes = 0) {
  return detail::perplexity_impl(
      model, documents.size(), [&](std::size_t i) { return std::span<const TokenId>(documents[i]); }, options, bytes);
}

/// Perplexity of `model` on one tokenized document.
template <LossModel Model>
PerplexityResult perplexity(Model& model, std::span<const TokenId> document, const PerplexityOptions& options = {},
                            std::int64_t bytes = 0) {
  return detail::perplexity_impl(model, 1, [&](std::size_t) { return document; }, options, bytes);
}

/// Perplexity of `model` on texts, each one document, encoded with `tok` (`encode` as in
/// Tokenizer::encode: add_special_tokens applies the post-processor, e.g. LLaMA's BOS). Bits per
/// byte counts the texts' UTF-8 bytes. Invalid UTF-8 is kInvalidArgument naming the text.
template <LossModel Model>
PerplexityResult perplexity(Model& model, const tokenizer::Tokenizer& tok, std::span<const std::string> texts,
                            const PerplexityOptions& options = {}, tokenizer::EncodeOptions encode = {}) {
  const auto docs = detail::encode_texts(tok, texts, encode, [](std::size_t i) { return "text " + std::to_string(i); });
  std::int64_t bytes = 0;
  for (const auto& t : texts) bytes += static_cast<std::int64_t>(t.size());
  return perplexity(model, std::span<const std::vector<TokenId>>(docs), options, bytes);
}

/// Perplexity of `model` on text files, each file one document (read whole, at most
/// `options.max_file_bytes`). Errors name the file: kIo when unreadable, kFormat when too large,
/// kInvalidArgument when not valid UTF-8.
template <LossModel Model>
PerplexityResult perplexity_files(Model& model, const tokenizer::Tokenizer& tok,
                                  std::span<const std::filesystem::path> files, const PerplexityOptions& options = {},
                                  tokenizer::EncodeOptions encode = {}) {
  std::vector<std::string> texts;
  texts.reserve(files.size());
  for (const auto& f : files) texts.push_back(io::detail::read_text_file(f, options.max_file_bytes));
  const auto docs = detail::encode_texts(tok, texts, encode, [&](std::size_t i) { return files[i].string(); });
  std::int64_t bytes = 0;
  for (const auto& t : texts) bytes += static_cast<std::int64_t>(t.size());
  return perplexity(model, std::span<const std::vector<TokenId>>(docs), options, bytes);
}

}  // namespace dapt::eval
