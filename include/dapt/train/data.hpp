/// @file data.hpp
/// @brief Training data for the two fine-tuning stages of ChipNeMo. DAPT: `TextSource` streams
/// plain text files or JSONL, `PackedDataset` tokenizes every document once, appends EOS (and
/// optionally a leading BOS), concatenates each source and cuts it into rows of `seq_len` tokens
/// with per-row segment ids, splits train/validation by document, and mixes several sources by
/// weight (ChipNeMo blended ~9% public data into its domain data). SFT: `SftDataset` reads JSONL
/// chat samples, renders them with `tokenizer::render_chat` and labels the assistant tokens only.
/// Both hand out batches into caller-owned (B, T) int32 tensors in a deterministic, seeded order,
/// and their position is a `DataState` of four integers, so a checkpoint resumes the exact stream
/// of batches. Long implementation parts live in detail/data_impl.hpp.
///
/// Labels follow nn::Llama (Hugging Face): `labels` is aligned with `ids`, position t is scored
/// against labels[t + 1], and a negative label (`kIgnoreLabel`, -100) is not scored. So "the label
/// of token j" is the id of token j when token j is a prediction target, else -100; label[0] of a
/// row is never read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/json.hpp"
#include "dapt/tokenizer/chat_template.hpp"
#include "dapt/tokenizer/tokenizer.hpp"

namespace dapt::train {

using tokenizer::TokenId;

/// The label of a token that is not a prediction target (the value transformers ignores).
inline constexpr std::int32_t kIgnoreLabel = -100;

/// Which part of a dataset a call reads.
enum class Split { kTrain, kValidation };

/// The position of a batch stream, everything a checkpoint needs to resume it exactly: the next
/// batch after `set_state(s)` equals the batch that followed when `s` was taken. The epoch order
/// is a pure function of (seed, epoch), so no generator state is stored. `fingerprint` hashes the
/// tokenized data and the options that shape rows and epochs; `set_state` refuses a state taken
/// on different data or a different seed, so a resumed run cannot silently read another stream.
struct DataState {
  std::int64_t epoch = 0;          ///< epochs completed
  std::int64_t index = 0;          ///< rows (DAPT) or samples (SFT) consumed in this epoch
  std::uint64_t seed = 0;          ///< the shuffle seed the order came from
  std::uint64_t fingerprint = 0;   ///< hash of the data and of the options shaping it

  friend bool operator==(const DataState&, const DataState&) = default;
};

/// The state as a JSON object {"epoch", "index", "seed", "fingerprint"} (for checkpoints).
inline boost::json::object data_state_to_json(const DataState& s) {
  boost::json::object o;
  o["epoch"] = s.epoch;
  o["index"] = s.index;
  o["seed"] = s.seed;
  o["fingerprint"] = s.fingerprint;
  return o;
}

/// Reads what `data_state_to_json` wrote; kFormat naming `source` and the field when it is not.
inline DataState data_state_from_json(const boost::json::value& v, std::string_view source = "data state") {
  const std::string src(source);
  io::JsonFields f(io::as_object(v, src, ErrorCategory::kFormat), src, ErrorCategory::kFormat);
  const auto u64 = [&](std::string_view key) -> std::uint64_t {
    const boost::json::value* x = f.find(key);
    if (!x) DAPT_FAIL(ErrorCategory::kFormat, src, ": required field \"", key, "\" is missing");
    if (x->is_uint64()) return x->get_uint64();
    if (x->is_int64() && x->get_int64() >= 0) return static_cast<std::uint64_t>(x->get_int64());
    f.wrong_type(key, "a non-negative integer", *x);
  };
  DataState s;
  s.epoch = f.require_int("epoch");
  s.index = f.require_int("index");
  DAPT_CHECK_AS(kFormat, s.epoch >= 0 && s.index >= 0, src, ": epoch and index must be non-negative, got ", s.epoch,
                " and ", s.index);
  s.seed = u64("seed");
  s.fingerprint = u64("fingerprint");
  return s;
}

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

/// How a source file is read.
enum class SourceFormat {
  kAuto,   ///< by extension: ".jsonl" or ".ndjson" is JSONL, anything else plain text
  kText,   ///< UTF-8 text, cut into documents by `TextUnit`
  kJsonl,  ///< one JSON object per line; the document is the string field `TextSourceOptions::field`
};

/// What one document of a plain text file is.
enum class TextUnit {
  kFile,       ///< the whole file (the default: a source file, a spec, a bug report)
  kLine,       ///< each line (without its "\n" and a trailing "\r")
  kParagraph,  ///< each run of non-blank lines, joined by "\n" (blank: only spaces, tabs, "\r")
};

struct TextSourceOptions {
  SourceFormat format = SourceFormat::kAuto;
  TextUnit unit = TextUnit::kFile;  ///< plain text only
  std::string field = "text";       ///< JSONL only: the field holding the document
  /// JSONL only: a line that is not a JSON object with a string `field` is skipped and counted in
  /// `SourceReadStats::malformed_skipped` instead of throwing kFormat naming file:line. Blank
  /// lines are never malformed; they are ignored.
  bool skip_malformed = false;
  /// The largest file read whole (TextUnit::kFile); larger is kFormat. Lines are streamed.
  std::size_t max_file_bytes = std::size_t{1} << 30;
};

/// What reading a source found. A document that is empty or only ASCII whitespace carries no
/// training signal and is skipped and counted, in every format.
struct SourceReadStats {
  std::int64_t files = 0;
  std::int64_t documents = 0;          ///< documents kept
  std::int64_t empty_skipped = 0;      ///< empty or whitespace-only documents
  std::int64_t malformed_skipped = 0;  ///< JSONL lines skipped under `skip_malformed`
  std::int64_t bytes = 0;              ///< UTF-8 bytes of the documents kept
};

/// One document as a source hands it out: the text and where it came from, for error messages.
struct Document {
  std::string text;
  std::size_t file = 0;    ///< index into TextSource::files() (0 for in-memory texts)
  std::int64_t line = 0;   ///< first line, 1-based; 0 for a whole-file document or an in-memory text
};

/// A named, weighted list of files (or in-memory texts) read in order, the unit of mixing. A
/// TextSource holds only paths and options; it reads when a dataset is built, streaming lines,
/// so corpora larger than memory are fine up to their tokens.
class TextSource {
 public:
  /// `weight` is the source's share of the training tokens of each epoch, relative to the other
  /// sources of the dataset (see `PackedDataset`); it must be finite and >= 0 (0: validation only).
  TextSource(std::string name, std::vector<std::filesystem::path> files, double weight = 1.0,
             TextSourceOptions options = {})
      : name_(std::move(name)), files_(std::move(files)), weight_(weight), options_(std::move(options)) {}

  /// A source of in-memory documents (tests, generated data); each string is one document.
  static TextSource from_texts(std::string name, std::vector<std::string> texts, double weight = 1.0) {
    TextSource s(std::move(name), {}, weight);
    s.texts_ = std::move(texts);
    s.in_memory_ = true;
    return s;
  }

  const std::string& name() const noexcept { return name_; }
  double weight() const noexcept { return weight_; }
  const std::vector<std::filesystem::path>& files() const noexcept { return files_; }
  const TextSourceOptions& options() const noexcept { return options_; }

  /// "path:line", "path" or "name[i]" for a document of this source (error messages).
  std::string location(const Document& d) const;

  /// Calls `fn(Document&&)` for every kept document, in file order then line order, and returns
  /// the counts. Throws kIo for an unreadable file and kFormat for a malformed JSONL line (naming
  /// file:line; see `skip_malformed`). Invalid UTF-8 in plain text is reported by the tokenizer
  /// when the document is encoded (with this location); in JSONL by the JSON parser.
  template <class Fn>
  SourceReadStats read(Fn&& fn) const;

 private:
  std::string name_;
  std::vector<std::filesystem::path> files_;
  double weight_ = 1.0;
  TextSourceOptions options_;
  std::vector<std::string> texts_;
  bool in_memory_ = false;
};

// ---------------------------------------------------------------------------------------------
// DAPT: packed next-token data
// ---------------------------------------------------------------------------------------------

/// What happens to the tokens of a source's stream after its last full row.
enum class LastRow {
  kDrop,  ///< dropped (counted in `dropped_tokens`): every row is full, as Megatron packs
  kPad,   ///< kept in one more row, padded with `pad_id`, label -100, in a segment of its own
};

struct PackOptions {
  std::int64_t seq_len = 2048;         ///< T, tokens per row
  TokenId eos_id = -1;                 ///< appended after every document; required (>= 0)
  std::optional<TokenId> bos_id;       ///< when set, prepended to every document
  /// Give the first token of every document that starts inside a row (not at its column 0) the
  /// label -100, so the last token of the previous document (its EOS) is not trained to predict
  /// the next, unrelated document. Without it, packing is GPT-style: the model learns to predict
  /// a new document's first token after EOS. Column 0 is never scored either way.
  bool mask_boundary = false;
  LastRow last_row = LastRow::kDrop;
  TokenId pad_id = 0;                  ///< LastRow::kPad and the rows `fill_validation` leaves empty
  /// The probability that a document is held out for validation. The decision is a pure function
  /// of (split_seed, the document's bytes): identical documents (common in scraped corpora)
  /// always fall on the same side, so none leaks, and adding, removing or reordering files never
  /// moves another document across the split. The held-out share is therefore binomial, not exact.
  double validation_fraction = 0.0;
  std::uint64_t split_seed = 0;
  /// Shuffle the rows of each epoch (seeded by (shuffle_seed, epoch)). Off: the sources are
  /// interleaved in a fixed weighted round robin and each source's rows come in packing order.
  bool shuffle = true;
  std::uint64_t shuffle_seed = 0;
  /// Rows per epoch; 0: the sum of the training rows of the sources with a non-zero weight.
  std::int64_t epoch_rows = 0;
  /// Documents read and tokenized together (across threads) before packing them: bounds memory.
  std::int64_t read_batch_docs = 1024;
};

/// Per-source counts of a PackedDataset.
struct PackedSourceStats {
  std::string name;
  double weight = 0;
  double share = 0;                    ///< epoch_rows / rows of the epoch (the realised token share)
  SourceReadStats read;
  std::int64_t train_documents = 0, validation_documents = 0;
  std::int64_t train_tokens = 0, validation_tokens = 0;   ///< with EOS/BOS, before cutting rows
  std::int64_t train_rows = 0, validation_rows = 0;
  std::int64_t dropped_tokens = 0;     ///< LastRow::kDrop: tail tokens of both splits
  std::int64_t epoch_rows = 0;         ///< rows this source contributes to each epoch
};

/// Fixed-length packed rows for domain-adaptive pretraining, built once from weighted sources.
///
/// Packing: each source's documents, in reading order, become `[BOS] tokens EOS`, concatenated
/// into one stream per source and split; the stream is cut into rows of T tokens (a document may
/// continue from one row into the next). Per row:
/// - `ids` (B, T): the tokens;
/// - `segment_ids` (B, T): the index of the document within the row, 0, 1, 2, ... (a document
///   continued from the previous row is segment 0; EOS belongs to the document it ends). Pass
///   them as `nn::LossOptions::segment_ids` to keep attention inside each document and restart
///   positions at each; leave them out for plain causal packing;
/// - `labels` (B, T): the ids, except -100 at the first token of each later document with
///   `mask_boundary`, and at padding.
///
/// Mixing: with weights w_i and N rows per epoch, source i contributes n_i = round(N w_i / sum w)
/// rows (largest remainders, so the n_i sum to N). Rows are all T tokens long, so the n_i are the
/// token shares. A source with n_i <= R_i rows gives a fresh random subset of n_i distinct rows
/// each epoch (downsampling without replacement); one with n_i > R_i gives every row
/// floor(n_i / R_i) times plus a random subset for the remainder (upsampling); then all rows of
/// the epoch are shuffled together, so any stretch of the epoch holds the sources near their
/// shares. Everything is drawn from Rng(shuffle_seed, epoch), so the order of epoch e is a pure
/// function of the seed and e.
///
/// Batches: `next_batch` fills caller-owned tensors, crossing into the next epoch when one ends;
/// after construction it allocates nothing (an epoch order is rebuilt in place).
/// Not thread-safe; the dataset is built on `num_threads()` threads, with results independent of
/// the thread count.
class PackedDataset {
 public:
  /// Reads and tokenizes every source (kInvalidArgument for bad options, naming the field; the
  /// reading errors of `TextSource::read`; the tokenizer's error prefixed with file:line).
  PackedDataset(const tokenizer::Tokenizer& tok, std::vector<TextSource> sources, PackOptions options);

  const PackOptions& options() const noexcept { return options_; }
  std::int64_t seq_len() const noexcept { return options_.seq_len; }
  std::size_t num_sources() const noexcept { return stats_.size(); }
  const std::vector<PackedSourceStats>& source_stats() const noexcept { return stats_; }

  /// Rows available in a split (before mixing; the validation rows of all sources, source-major).
  std::int64_t rows(Split split = Split::kTrain) const noexcept {
    return split == Split::kTrain ? train_offset_.back() : val_offset_.back();
  }
  /// Tokens in a split's streams, before cutting (dropped tail tokens included).
  std::int64_t tokens(Split split = Split::kTrain) const noexcept;
  /// Rows of one epoch (the sum of the sources' `epoch_rows`).
  std::int64_t epoch_rows() const noexcept { return epoch_rows_; }
  /// The first row of source `s` in `rows(split)` numbering; row r of the split is in the source
  /// s with first_row(s) <= r < first_row(s + 1).
  std::int64_t first_row(Split split, std::size_t source) const;
  std::size_t row_source(Split split, std::int64_t row) const;

  /// Fills one row of a split (in packing order, unshuffled): T entries at each non-null pointer.
  void fill_row(Split split, std::int64_t row, std::int32_t* ids, std::int32_t* labels,
                std::int32_t* segment_ids) const;

  /// The next B training rows into ids / labels / segment_ids, each (B, T) contiguous int32 on the
  /// host with T == seq_len; an empty `labels` or `segment_ids` view is skipped. Throws
  /// kInvalidArgument when the dataset has no training rows, kShape/kDtype for a wrong tensor.
  void next_batch(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels = {},
                  const TensorView<Cpu>& segment_ids = {});

  /// Validation rows [first, first + B) into the (B, T) tensors; returns how many were real
  /// (rows past the end are filled with pad_id, label -100, segment 0). Loop with first += B.
  std::int64_t fill_validation(std::int64_t first, const TensorView<Cpu>& ids, const TensorView<Cpu>& labels = {},
                               const TensorView<Cpu>& segment_ids = {}) const;

  /// The row (a split row number) at position `index` of epoch `epoch` of the training order.
  /// Rebuilds the epoch order when it is not the current one; for inspection and tests.
  std::int64_t epoch_row(std::int64_t epoch, std::int64_t index);

  std::int64_t epoch() const noexcept { return epoch_; }
  DataState state() const noexcept { return DataState{epoch_, index_, options_.shuffle_seed, fingerprint_}; }
  /// Resumes at `s` (from `state()` of a dataset built from the same data and options).
  /// kInvalidArgument when the seed or fingerprint differs, or the position is out of range.
  void set_state(const DataState& s);

 private:
  struct Stream {
    std::vector<std::int32_t> tokens;
    std::vector<std::int64_t> doc_starts;  // stream offset of every document's first token
    std::int64_t rows = 0;
  };

  void fill_stream_row(const Stream& st, std::int64_t r, std::int32_t* ids, std::int32_t* labels,
                       std::int32_t* segs) const;
  void build_order(std::int64_t epoch);

  PackOptions options_;
  std::vector<Stream> train_, val_;                      // per source
  std::vector<std::int64_t> train_offset_{0}, val_offset_{0};
  std::vector<PackedSourceStats> stats_;
  std::vector<std::int64_t> order_, scratch_, taken_;     // epoch order and its workspaces
  std::int64_t epoch_rows_ = 0;
  std::int64_t order_epoch_ = -1;                          // the epoch `order_` holds
  std::int64_t epoch_ = 0, index_ = 0;
  std::uint64_t fingerprint_ = 0;
};

// ---------------------------------------------------------------------------------------------
// SFT: chat samples with the loss on assistant tokens
// ---------------------------------------------------------------------------------------------

/// Which assistant replies of a conversation are trained on.
enum class LossOn {
  kAllAssistant,   ///< every assistant reply (with its end-of-turn marker)
  kLastAssistant,  ///< only the last assistant reply: earlier ones are context
};

/// What happens to a sample of more than `max_len` tokens.
enum class SftTruncation {
  kTruncateEnd,  ///< keep its first max_len tokens (counted in `truncated`): the prompt survives,
                 ///< the tail of the last reply and its end marker are lost
  kDrop,         ///< skip it (counted in `too_long_dropped`)
};

struct SftOptions {
  tokenizer::ChatFormat format = tokenizer::ChatFormat::kChipNeMo;
  tokenizer::ChatRenderOptions render;  ///< BOS-as-text, eos token text (see chat_template.hpp)
  LossOn loss_on = LossOn::kAllAssistant;
  std::int64_t max_len = 2048;
  SftTruncation truncation = SftTruncation::kTruncateEnd;
  /// Prepended to every sample as an id (label -100), for formats whose text writes no BOS
  /// (ChipNeMo, ChatML) when the model expects one. Never together with BOS in the text.
  std::optional<TokenId> bos_id;
  TokenId pad_id = 0;                   ///< padding: label -100, a segment of its own
  /// Pack several samples per row (greedily, in epoch order) with one segment id per sample,
  /// instead of one sample per row padded to T.
  bool pack = false;
  std::string messages_field = "messages";  ///< JSONL: the array of {"role", "content"} objects
  /// A malformed JSONL line (bad JSON, no message array, a message without string role/content,
  /// or a conversation render_chat rejects) is skipped and counted instead of kFormat naming
  /// file:line.
  bool skip_malformed = false;
  double validation_fraction = 0.0;     ///< per sample, by (split_seed, rendered text), as PackOptions
  std::uint64_t split_seed = 0;
  bool shuffle = true;                  ///< shuffle the training samples of each epoch
  std::uint64_t shuffle_seed = 0;
  std::int64_t read_batch = 1024;       ///< samples rendered and tokenized together
};

/// Counts of an SftDataset. Every sample read ends in exactly one of: train, validation,
/// malformed_skipped, too_long_dropped, no_trainable_skipped.
struct SftStats {
  std::int64_t samples_read = 0;
  std::int64_t malformed_skipped = 0;
  std::int64_t too_long_dropped = 0;      ///< SftTruncation::kDrop
  std::int64_t truncated = 0;             ///< SftTruncation::kTruncateEnd (kept, shortened)
  std::int64_t no_trainable_skipped = 0;  ///< no assistant token left to score (none, or truncated away)
  std::int64_t train_samples = 0, validation_samples = 0;
  std::int64_t train_tokens = 0, train_trainable_tokens = 0;
};

/// What one `next_batch` of an SftDataset holds.
struct SftBatchInfo {
  std::int64_t samples = 0;           ///< samples placed (B without packing)
  std::int64_t tokens = 0;            ///< real (non-padding) tokens
  std::int64_t trainable_tokens = 0;  ///< labels >= 0, the tokens the loss scores
  std::int64_t longest = 0;           ///< longest sample of the batch
};

/// Chat samples for supervised fine-tuning, with the loss on assistant tokens only.
///
/// Labels: the conversation is rendered by `render_chat(format)`, whose `assistant_spans` are the
/// byte ranges of each reply and its end-of-turn marker. The text is cut at every span boundary
/// and each piece is encoded on its own (no BOS/EOS added), the ids concatenated. A token is
/// trainable iff it comes from an assistant piece (the last one only, with kLastAssistant): exact
/// by construction, as no token can straddle a span boundary. This is how NeMo's
/// GPTSFTChatDataset (ChipNeMo's SFT data path) tokenizes, turn by turn. The ids can differ from
/// encoding the whole text at once only at a piece boundary, where a merge across it is
/// prevented; the boundaries sit after role headers and at special end-of-turn tokens, where the
/// pre-tokenizer splits anyway for the supported formats and byte-level tokenizers (a tokenizer
/// that prepends a word marker at the start of every text, SentencePiece-style, gets one at each
/// piece). The pieces are the same under both LossOn modes, so only the labels differ. The first
/// token of a sample is never labelled (nothing predicts it). Pieces of all spans are cut, so
/// `labels[j] = ids[j]` for trainable tokens j, else -100.
///
/// Then `max_len` applies (`SftTruncation`), and a sample without a trainable token is skipped
/// and counted.
class SftDataset {
 public:
  /// Reads JSONL files of {"messages": [{"role": ..., "content": ...}, ...]} (other fields are
  /// ignored). Errors: kIo for an unreadable file; kFormat naming file:line for a malformed line
  /// (see `skip_malformed`); kInvalidArgument for bad options.
  SftDataset(const tokenizer::Tokenizer& tok, const std::vector<std::filesystem::path>& files, SftOptions options);
  /// Conversations from memory; a conversation render_chat rejects is kInvalidArgument naming its
  /// index (or skipped and counted as malformed under `skip_malformed`).
  SftDataset(const tokenizer::Tokenizer& tok, const std::vector<std::vector<tokenizer::ChatMessage>>& conversations,
             SftOptions options);

  const SftOptions& options() const noexcept { return options_; }
  const SftStats& stats() const noexcept { return stats_; }
  std::int64_t samples(Split split = Split::kTrain) const noexcept {
    return static_cast<std::int64_t>(set(split).offsets.size()) - 1;
  }
  /// The ids and labels of one sample (in reading order).
  std::span<const std::int32_t> sample_ids(Split split, std::int64_t i) const;
  std::span<const std::int32_t> sample_labels(Split split, std::int64_t i) const;

  /// Fills the (B, T) tensors with the next training samples: one per row padded to T, or packed
  /// (`SftOptions::pack`) several per row with segment ids 0, 1, ...; padding has pad_id, label
  /// -100 and the next segment id. kShape when a sample is longer than T (use T >= max_len);
  /// kInvalidArgument when there are no training samples.
  SftBatchInfo next_batch(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels,
                          const TensorView<Cpu>& segment_ids = {});

  /// Validation samples [first, first + B), one per row; returns how many were real (rows past
  /// the end are all padding with label -100).
  std::int64_t fill_validation(std::int64_t first, const TensorView<Cpu>& ids, const TensorView<Cpu>& labels,
                               const TensorView<Cpu>& segment_ids = {}) const;

  /// The training sample at position `index` of epoch `epoch` (for inspection and tests).
  std::int64_t epoch_sample(std::int64_t epoch, std::int64_t index);

  std::int64_t epoch() const noexcept { return epoch_; }
  DataState state() const noexcept { return DataState{epoch_, index_, options_.shuffle_seed, fingerprint_}; }
  void set_state(const DataState& s);

 private:
  struct SampleSet {
    std::vector<std::int32_t> ids, labels;
    std::vector<std::int64_t> offsets{0};
  };
  struct Pending {  // a conversation waiting to be tokenized
    std::vector<tokenizer::ChatMessage> messages;
    std::string where;
    bool from_file = false;  // a render error is then a malformed line (kFormat)
  };

  const SampleSet& set(Split s) const noexcept { return s == Split::kTrain ? train_ : val_; }
  void init_options() const;
  void process(const tokenizer::Tokenizer& tok, std::vector<Pending>& batch);
  void finish();
  void build_order(std::int64_t epoch);
  std::int64_t take_sample();  // the next sample of the order, advancing (and rolling epochs)

  SftOptions options_;
  SftStats stats_;
  SampleSet train_, val_;
  std::vector<std::int64_t> order_;
  std::int64_t order_epoch_ = -1;
  std::int64_t epoch_ = 0, index_ = 0;
  std::uint64_t fingerprint_ = 0;
};

}  // namespace dapt::train

#include "dapt/train/detail/data_impl.hpp"
