/// @file trainer.hpp
/// @brief Trains a BPE tokenizer on a domain corpus, in either flavour the SDK uses. Byte-level
/// BPE as LLaMA-3 and GPT-2 have it: regex pre-tokenization, 256 byte tokens, merges over bytes,
/// chosen exactly as Hugging Face `tokenizers`' BpeTrainer chooses them (same vocabulary, ids and
/// merges; tests/tokenizer/trainer_test.cpp checks a fixture, the benchmark 100 MB).
/// SentencePiece-style BPE in the LLaMA-2 setting: lines as sentences with a dummy "▁" prefix,
/// characters as initial symbols, rare characters left to `<0xXX>` byte fallback, and
/// SentencePiece's piece rules and tie-breaks, so the pieces come out as sentencepiece's BPE
/// trainer ranks them (up to the rare ties its approximate candidate ranking orders otherwise).
/// The corpus is streamed: feed() text, files or a callback, and only the distinct pieces and
/// their counts are kept, so memory follows the vocabulary of the corpus, not its size. Counting
/// runs on `num_threads()` threads with one map per thread; training updates pair counts
/// incrementally. The result is the same for any thread count and any block size. The trained
/// tokenizer comes from builders.hpp, so it saves as tokenizer.json unchanged.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/progress.hpp"
#include "dapt/tokenizer/builders.hpp"
#include "dapt/tokenizer/byte_level.hpp"
#include "dapt/tokenizer/detail/trainer_impl.hpp"
#include "dapt/tokenizer/regex_split.hpp"
#include "dapt/tokenizer/tokenizer.hpp"
#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer {

/// Which kind of BPE tokenizer to train.
enum class TrainerFlavour {
  /// Byte-level BPE (LLaMA-3, GPT-2): pieces from the `pattern` regex, counted as raw bytes; the
  /// alphabet is all 256 bytes, so any text encodes. Ids: special tokens, then the 256 bytes in
  /// GPT-2's character order (as `tokenizers` assigns them), then merged tokens.
  kByteLevel,
  /// SentencePiece-style BPE in the LLaMA-2 setting: each line is a sentence, "▁" prefix, spaces as
  /// "▁", words split before "▁", characters as the initial symbols. Ids: special tokens (the first
  /// is the unknown token), the 256 `<0xXX>` byte tokens, merged pieces by rank, then the kept
  /// characters by frequency, the layout of LLaMA-2's tokenizer.model.
  kSentencePiece,
};

/// Everything a BpeTrainer needs to know. Start from byte_level() or sentencepiece().
struct TrainerOptions {
  TrainerFlavour flavour = TrainerFlavour::kByteLevel;
  /// The size of the trained vocabulary, special and byte tokens included. Training stops earlier
  /// only when no pair is left or the best pair is below min_frequency (see TrainerStats).
  std::size_t vocab_size = 32000;
  /// Pairs seen fewer times than this are never merged (HF's min_frequency). 0 counts as 1.
  std::uint64_t min_frequency = 2;
  /// Tokens that get ids 0..k-1 in this order and are matched as special added tokens. For the
  /// SentencePiece flavour the first is the unknown token; empty means {"<unk>", "<s>", "</s>"}.
  std::vector<std::string> special_tokens;
  /// SentencePiece flavour: characters (one UTF-8 character each) kept whatever their frequency.
  /// Ignored by the byte-level flavour, whose alphabet is always all 256 bytes.
  std::vector<std::string> initial_alphabet;
  /// Byte-level flavour: the pre-tokenizer regex (and thus the pipeline of the trained tokenizer).
  SplitRegex pattern = SplitRegex::kLlama3;
  /// SentencePiece flavour: keep the most frequent characters until they cover this fraction of
  /// all character occurrences; the rest are left to byte fallback and never merged.
  double character_coverage = 0.9995;
  /// SentencePiece flavour: a digit (0-9 and fullwidth ０-９) is always a token of its own.
  bool split_digits = true;
  /// SentencePiece flavour: the longest piece, in characters.
  int max_piece_length = 16;
  /// SentencePiece flavour: lines longer than this many bytes are skipped, as SentencePiece skips
  /// sentences above max_sentence_length (4192, LLaMA-2's value too). 0 keeps every line; a
  /// very long line is one very long word, which every merge touching it must rescan.
  std::size_t max_sentence_bytes = 4192;
  /// SentencePiece flavour: a piece never mixes Unicode scripts (SentencePiece's
  /// split_by_unicode_script; scripts from Scripts.txt, see detail::spm_script).
  bool split_by_script = true;
  /// SentencePiece flavour: runs of "▁" may form pieces ("▁▁▁▁" for indentation), as LLaMA-2's
  /// allow_whitespace_only_pieces; false makes every "▁" start a word of its own.
  bool whitespace_only_pieces = true;
  /// Draw progress bars (dapt::ProgressBar: only on a terminal unless DAPT_PROGRESS=1).
  bool show_progress = false;
  /// Threads for counting; 0 means dapt::num_threads(). The result does not depend on it.
  int threads = 0;
  /// Bytes read and counted per parallel round (files are read in blocks of this size, cut where
  /// pre-tokenization cannot change). The result does not depend on it.
  std::size_t block_bytes = std::size_t{16} << 20;

  /// Byte-level BPE with the given regex (LLaMA-3's by default).
  static TrainerOptions byte_level(std::size_t vocab_size, SplitRegex pattern = SplitRegex::kLlama3) {
    TrainerOptions o;
    o.flavour = TrainerFlavour::kByteLevel;
    o.vocab_size = vocab_size;
    o.pattern = pattern;
    return o;
  }
  /// SentencePiece-style BPE with LLaMA-2's settings (<unk>, <s>, </s>; byte fallback; split
  /// digits; pieces up to 16 characters; coverage 0.9995) and min_frequency 1, since SentencePiece
  /// has no minimum.
  static TrainerOptions sentencepiece(std::size_t vocab_size) {
    TrainerOptions o;
    o.flavour = TrainerFlavour::kSentencePiece;
    o.vocab_size = vocab_size;
    o.min_frequency = 1;
    return o;
  }
};

/// Why training stopped.
enum class TrainStop {
  kNotTrained,    ///< train() has not run yet
  kVocabSize,     ///< vocab_size was reached
  kMinFrequency,  ///< the best remaining pair occurs fewer than min_frequency times
  kNoPairs,       ///< every word is a single token: the corpus allows no more merges
};

/// What the trainer has read and what training did.
struct TrainerStats {
  std::uint64_t bytes = 0;               ///< bytes fed
  std::uint64_t documents = 0;           ///< feed() calls, stream items and files
  std::uint64_t lines = 0;               ///< SentencePiece flavour: non-empty lines (sentences) counted
  std::uint64_t skipped_lines = 0;       ///< SentencePiece flavour: lines above max_sentence_bytes
  std::uint64_t pieces = 0;              ///< pre-tokenized pieces (words), repeats included
  std::uint64_t distinct_pieces = 0;     ///< distinct pieces: what memory is proportional to
  std::uint64_t invalid_utf8_bytes = 0;  ///< invalid bytes seen (see BpeTrainer for their fate)
  std::size_t alphabet_size = 0;         ///< initial symbols: 256 bytes, or the kept characters
  std::size_t dropped_characters = 0;    ///< SentencePiece flavour: distinct characters left to byte fallback
  double character_coverage = 1.0;       ///< SentencePiece flavour: share of character occurrences kept
  std::size_t merges = 0;                ///< merges made
  std::size_t vocab_size = 0;            ///< size of the trained vocabulary
  TrainStop stop = TrainStop::kNotTrained;
  std::uint64_t last_merge_count = 0;    ///< weighted count of the last merged pair
  std::size_t threaded_merges = 0;       ///< merges whose words were rewritten on several threads
  double feed_seconds = 0;               ///< time spent counting pieces
  double train_seconds = 0;              ///< time spent in train()

  /// True when training ended before reaching vocab_size.
  bool stopped_early() const noexcept { return stop == TrainStop::kMinFrequency || stop == TrainStop::kNoPairs; }
};

namespace detail {

/// The byte-level flavour's rules: every pair may merge; equal counts go to the smaller pair of ids
/// (left, then right), which is what `tokenizers` does; a merge that spells an existing token
/// (two different pairs giving the same string, or a special token's text) reuses its id.
struct ByteLevelPolicy {
  static constexpr bool kAllPairs = true;
  std::vector<std::string> tokens;                   // raw bytes by id
  std::unordered_map<std::string, std::uint32_t> index;

  bool can_pair(std::uint32_t, std::uint32_t) const noexcept { return true; }
  bool before(std::uint64_t k1, std::uint64_t k2) const noexcept { return k1 < k2; }
  std::optional<std::uint32_t> merge_tokens(std::uint32_t a, std::uint32_t b, bool& created) {
    std::string s = tokens[a];
    s += tokens[b];
    const auto [it, inserted] = index.try_emplace(s, static_cast<std::uint32_t>(tokens.size()));
    if (inserted) tokens.push_back(std::move(s));
    created = inserted;
    return it->second;
  }
};

/// The SentencePiece flavour's rules (TrainerInterface::IsValidSentencePiece for LLaMA-2's
/// settings): no piece holds an unknown character, a digit beside anything (split_digits), more
/// than max_piece_length characters, "▁" after the first position unless it is all "▁", or two
/// scripts. Equal counts go to the shorter merged piece, then the bytewise smaller one (as
/// SentencePiece's BPE trainer orders them), then the shorter left part.
struct SpmPolicy {
  static constexpr bool kAllPairs = false;
  struct Info {
    std::uint32_t chars = 1;
    std::uint32_t lead_spaces = 0;  // leading "▁"
    bool all_spaces = false;
    bool digit = false;
    std::int32_t script = kScriptNone;
  };
  std::vector<std::string> tokens;  // UTF-8 by internal id
  std::vector<Info> info;
  std::unordered_map<std::string, std::uint32_t> index;
  std::unordered_set<std::string> reserved;  // special and byte tokens: never produced by a merge
  bool split_digits = true;
  bool split_by_script = true;
  bool whitespace_only_pieces = true;
  std::uint32_t max_chars = 16;

  bool can_pair(std::uint32_t a, std::uint32_t b) const noexcept {
    if (a == kNoSymbol || b == kNoSymbol) return false;
    const Info& x = info[a];
    const Info& y = info[b];
    if (split_digits && (x.digit || y.digit)) return false;
    if (x.chars + y.chars > max_chars) return false;
    if (x.all_spaces && y.all_spaces) return whitespace_only_pieces;
    if (y.lead_spaces > 0) return false;
    if (x.all_spaces && x.chars > 1) return false;
    if (split_by_script && x.script != kScriptNone && y.script != kScriptNone && x.script != y.script) return false;
    return true;
  }

  bool before(std::uint64_t k1, std::uint64_t k2) const noexcept {
    const std::uint32_t a1 = pair_left(k1), b1 = pair_right(k1), a2 = pair_left(k2), b2 = pair_right(k2);
    const std::uint32_t n1 = info[a1].chars + info[b1].chars, n2 = info[a2].chars + info[b2].chars;
    if (n1 != n2) return n1 < n2;
    const int c = compare_concat(tokens[a1], tokens[b1], tokens[a2], tokens[b2]);
    if (c != 0) return c < 0;
    return tokens[a1].size() < tokens[a2].size();
  }

  /// A pair that spells a piece made before (by another split: "ab" + "c" after "a" + "bc") is
  /// dropped without merging, as SentencePiece drops it; so is one that spells a reserved token.
  std::optional<std::uint32_t> merge_tokens(std::uint32_t a, std::uint32_t b, bool& created) {
    std::string s = tokens[a];
    s += tokens[b];
    if (reserved.count(s)) return std::nullopt;
    const auto [it, inserted] = index.try_emplace(s, static_cast<std::uint32_t>(tokens.size()));
    if (!inserted) return std::nullopt;
    created = true;
    const Info& x = info[a];
    const Info& y = info[b];
    Info m;
    m.chars = x.chars + y.chars;
    m.all_spaces = x.all_spaces && y.all_spaces;
    m.lead_spaces = x.all_spaces ? x.lead_spaces + y.lead_spaces : x.lead_spaces;
    m.script = x.script != kScriptNone ? x.script : y.script;
    tokens.push_back(std::move(s));
    info.push_back(m);
    return it->second;
  }

  /// Bytewise comparison of x1 + y1 with x2 + y2, without building either.
  static int compare_concat(std::string_view x1, std::string_view y1, std::string_view x2, std::string_view y2) noexcept {
    const std::size_t n1 = x1.size() + y1.size(), n2 = x2.size() + y2.size();
    const std::size_t n = std::min(n1, n2);
    for (std::size_t i = 0; i < n; ++i) {
      const auto c1 = static_cast<unsigned char>(i < x1.size() ? x1[i] : y1[i - x1.size()]);
      const auto c2 = static_cast<unsigned char>(i < x2.size() ? x2[i] : y2[i - x2.size()]);
      if (c1 != c2) return c1 < c2 ? -1 : 1;
    }
    return n1 == n2 ? 0 : (n1 < n2 ? -1 : 1);
  }
};

/// Per-thread counting state, reused across blocks.
struct CountState {
  PieceCountMap map;
  Ranges ranges;
  std::string word;
  CountCounters counters;
};

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace detail

/// Trains a BPE tokenizer: feed the corpus (any mix of feed, feed_files and feed_stream), then
/// call train(). Not thread-safe itself; it uses threads internally.
///
/// Documents: each feed() call, each stream item and each file is one document, and pre-
/// tokenization never spans two documents. Inside a document the trainer cuts blocks only where
/// the pre-tokenization provably cannot change (byte-level: after a lone '\n' between two non-space
/// characters; SentencePiece: at line ends), so how a document arrives never changes the result.
///
/// Invalid UTF-8: the byte-level flavour counts the raw bytes anyway (the regex treats an invalid
/// byte as punctuation, and every byte has a token, so such pieces train like any other); the
/// SentencePiece flavour replaces each invalid byte by U+FFFD, as SentencePiece's own normalizer
/// does. Both count them in stats().invalid_utf8_bytes. (A trained Tokenizer, like the reference
/// libraries, still refuses invalid UTF-8 in encode().)
///
/// Choosing merges: the pair with the highest count (weighted by word frequency, overlapping
/// occurrences counted as `tokenizers` counts them) merges next. Ties: byte-level, the smaller
/// pair of ids (left, then right), as `tokenizers`; SentencePiece, the shorter merged piece, then
/// the bytewise smaller one, as sentencepiece. A merge that spells an existing token (two pairs
/// giving one string) reuses its id in the byte-level flavour (`tokenizers` does) and is dropped in
/// the SentencePiece flavour (sentencepiece does). Ids, and so the tie order, never depend on hash
/// maps or threads.
///
/// Known differences from sentencepiece 0.2 (same settings): it ranks only a window of candidate
/// pairs exactly, so some equal-count pieces come out a few ids apart (on 100 MB, 78 of 8000; the
/// set of pieces was the same); it escapes its own control pieces ("<s>", ...) in the text and
/// skips sentences holding U+2585, which this trainer counts as text; and its script table is
/// older than the Unicode 15 one here (characters added since count as Common there).
class BpeTrainer {
 public:
  /// Throws kInvalidArgument for an option outside its domain (a zero block size, a coverage
  /// outside (0, 1], duplicate or empty special tokens, an initial_alphabet entry that is not one
  /// character, ...). vocab_size is checked by train(), when the alphabet is known.
  explicit BpeTrainer(TrainerOptions options) : options_(std::move(options)) {
    DAPT_CHECK(options_.block_bytes >= 1, "BpeTrainer: block_bytes must be at least 1");
    DAPT_CHECK(options_.threads >= 0, "BpeTrainer: threads must be >= 0 (0 = dapt::num_threads()), got ", options_.threads);
    if (spm()) {
      DAPT_CHECK(options_.character_coverage > 0 && options_.character_coverage <= 1.0,
                 "BpeTrainer: character_coverage must be in (0, 1], got ", options_.character_coverage);
      DAPT_CHECK(options_.max_piece_length >= 1, "BpeTrainer: max_piece_length must be at least 1, got ",
                 options_.max_piece_length);
      if (options_.special_tokens.empty()) options_.special_tokens = {"<unk>", "<s>", "</s>"};
      for (const auto& c : options_.initial_alphabet) {
        const Utf8Char d = decode_utf8(c, 0);
        DAPT_CHECK(!c.empty() && d.valid && d.length == c.size(), "BpeTrainer: initial_alphabet entry \"", c,
                   "\" is not exactly one UTF-8 character");
      }
    }
    std::unordered_set<std::string> seen;
    for (const auto& s : options_.special_tokens) {
      DAPT_CHECK(!s.empty(), "BpeTrainer: a special token is empty");
      DAPT_CHECK(seen.insert(s).second, "BpeTrainer: special token \"", s, "\" is listed twice");
    }
  }

  const TrainerOptions& options() const noexcept { return options_; }

  /// Counts one document. (With show_progress, a document of 64 MB or more gets a progress bar;
  /// smaller ones are quick, and a caller feeding many would otherwise get a bar for each.)
  void feed(std::string_view text) {
    const auto t0 = std::chrono::steady_clock::now();
    ++stats_.documents;
    stats_.bytes += text.size();
    std::vector<std::string_view> units;
    detail::cut_into_units(text, unit_bytes(), spm(), units);
    std::unique_ptr<ProgressBar> bar;
    if (options_.show_progress && text.size() >= (std::size_t{64} << 20))
      bar = std::make_unique<ProgressBar>(static_cast<std::int64_t>(text.size()), "count pieces", ProgressOptions{"B"});
    count_units(units, bar.get());
    stats_.feed_seconds += detail::seconds_since(t0);
  }

  /// Counts files, each one document, read in blocks of block_bytes. Throws kIo naming the file
  /// when one cannot be opened or read; every file is checked before any is counted.
  void feed_files(const std::vector<std::filesystem::path>& files) {
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t total = 0;
    for (const auto& f : files) {
      std::error_code ec;
      DAPT_CHECK_AS(kIo, std::filesystem::is_regular_file(f, ec), "BpeTrainer: cannot read \"", f.string(),
                    "\": not a regular file");
      const auto n = std::filesystem::file_size(f, ec);
      if (!ec) total += n;
    }
    std::unique_ptr<ProgressBar> bar;
    if (options_.show_progress)
      bar = std::make_unique<ProgressBar>(static_cast<std::int64_t>(total), "count pieces", ProgressOptions{"B"});
    for (const auto& f : files) feed_file(f, bar.get());
    stats_.feed_seconds += detail::seconds_since(t0);
  }

  /// Counts the documents `next` returns until it returns nullopt. Documents are gathered into
  /// rounds of about block_bytes, so memory holds one round of text at a time.
  void feed_stream(const std::function<std::optional<std::string>()>& next) {
    DAPT_CHECK(static_cast<bool>(next), "BpeTrainer::feed_stream: empty callback");
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<ProgressBar> bar;
    if (options_.show_progress) bar = std::make_unique<ProgressBar>(0, "count pieces", ProgressOptions{"B"});
    std::vector<std::string> batch;
    std::size_t batch_bytes = 0;
    auto flush = [&] {
      std::vector<std::string_view> units;
      for (const auto& d : batch) detail::cut_into_units(d, unit_bytes(), spm(), units);
      count_units(units, bar.get());
      batch.clear();
      batch_bytes = 0;
    };
    while (std::optional<std::string> doc = next()) {
      ++stats_.documents;
      stats_.bytes += doc->size();
      batch_bytes += doc->size();
      batch.push_back(std::move(*doc));
      if (batch_bytes >= options_.block_bytes) flush();
    }
    if (!batch.empty()) flush();
    stats_.feed_seconds += detail::seconds_since(t0);
  }

  /// Trains on everything fed so far and returns the tokenizer (byte-level: the LLaMA-3 or GPT-2
  /// pipeline of make_byte_level_tokenizer; SentencePiece: make_sentencepiece_style_tokenizer with
  /// byte fallback). The counts are kept, so more can be fed and train() called again.
  /// Throws kInvalidArgument when vocab_size cannot hold the special tokens and the alphabet.
  Tokenizer train() {
    const auto t0 = std::chrono::steady_clock::now();
    stats_.distinct_pieces = counts_.size();
    Tokenizer out = spm() ? train_sentencepiece() : train_byte_level();
    stats_.train_seconds = detail::seconds_since(t0);
    return out;
  }

  const TrainerStats& stats() const noexcept { return stats_; }

 private:
  bool spm() const noexcept { return options_.flavour == TrainerFlavour::kSentencePiece; }
  int thread_count() const { return options_.threads > 0 ? options_.threads : num_threads(); }

  /// Units are the work items of one parallel round: many per thread, so that uneven units, or
  /// a thread descheduled on a shared machine, delay the round by one small unit; and at most
  /// 1 MB, so per-thread scratch stays small.
  std::size_t unit_bytes() const {
    const std::size_t per = options_.block_bytes / (16 * static_cast<std::size_t>(thread_count()));
    return std::clamp<std::size_t>(per, 1, std::size_t{1} << 20);
  }

  /// Counts units in rounds of about block_bytes: threads take units in turn into their own
  /// maps, which are then added into the trainer's map. Counts are sums, so neither the split nor
  /// the order can change them.
  void count_units(const std::vector<std::string_view>& units, ProgressBar* bar) {
    std::size_t first = 0;
    while (first < units.size()) {
      std::size_t last = first, bytes = 0;
      while (last < units.size() && (last == first || bytes + units[last].size() <= options_.block_bytes))
        bytes += units[last++].size();
      count_round(units.data() + first, last - first, bar);
      first = last;
    }
  }

  void count_round(const std::string_view* units, std::size_t n, ProgressBar* bar) {
    const int threads = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(thread_count()), n));
    if (threads < 1) return;
    if (states_.size() < static_cast<std::size_t>(threads)) states_.resize(static_cast<std::size_t>(threads));
    std::atomic<std::size_t> next{0};
    const SplitRegex regex = options_.pattern;
    const bool is_spm = spm();
    const bool runs = options_.whitespace_only_pieces;
    const std::size_t max_line = options_.max_sentence_bytes;
    ThreadScope scope(threads);
    parallel_for(0, threads, [&](std::int64_t t) {
      detail::CountState& st = states_[static_cast<std::size_t>(t)];
      for (;;) {
        const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
        if (i >= n) break;
        if (is_spm) {
          detail::count_spm_unit(units[i], runs, max_line, st.word, st.map, st.counters);
        } else {
          detail::count_byte_level_unit(units[i], regex, st.ranges, st.map, st.counters);
        }
        if (bar) bar->advance(static_cast<std::int64_t>(units[i].size()));
      }
    });
    for (int t = 0; t < threads; ++t) {
      detail::CountState& st = states_[static_cast<std::size_t>(t)];
      counts_.absorb(st.map);
      st.map.clear();
      stats_.pieces += st.counters.pieces;
      stats_.lines += st.counters.lines;
      stats_.skipped_lines += st.counters.skipped_lines;
      stats_.invalid_utf8_bytes += st.counters.invalid_bytes;
      st.counters = {};
    }
  }

  void feed_file(const std::filesystem::path& path, ProgressBar* bar) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    DAPT_CHECK_AS(kIo, f != nullptr, "BpeTrainer: cannot open \"", path.string(), "\"");
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> guard(f, &std::fclose);
    ++stats_.documents;
    std::string buf;
    std::size_t filled = 0;
    for (;;) {
      buf.resize(filled + options_.block_bytes);
      const std::size_t got = std::fread(buf.data() + filled, 1, options_.block_bytes, f);
      DAPT_CHECK_AS(kIo, !std::ferror(f), "BpeTrainer: read error in \"", path.string(), "\"");
      filled += got;
      stats_.bytes += got;
      buf.resize(filled);
      const bool eof = std::feof(f) != 0;
      const std::size_t cut = eof ? filled : detail::last_cut(buf, spm());
      if (cut == 0) continue;  // no safe cut yet: read on (the block grows)
      std::vector<std::string_view> units;
      detail::cut_into_units(std::string_view(buf).substr(0, cut), unit_bytes(), spm(), units);
      count_units(units, bar);
      if (eof) break;
      buf.erase(0, cut);
      filled = buf.size();
    }
  }

  /// The counted pieces in a canonical order, (hash, bytes), which no thread count, block size or
  /// feeding order can change.
  std::vector<std::uint32_t> sorted_pieces() const {
    const auto& entries = counts_.entries();
    std::vector<std::uint32_t> order(entries.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
      const auto& ex = entries[x];
      const auto& ey = entries[y];
      if (ex.hash != ey.hash) return ex.hash < ey.hash;
      return counts_.key(ex) < counts_.key(ey);
    });
    return order;
  }

  template <class Policy>
  std::vector<detail::EngineMerge> run_engine(detail::WordTable& words, Policy& policy, std::size_t vocab_now) {
    const int threads = thread_count();
    ThreadScope scope(threads);
    detail::MergeEngine<Policy> engine(words, policy, options_.min_frequency, threads);
    engine.count_initial_pairs();
    std::vector<detail::EngineMerge> merges;
    const std::size_t target = options_.vocab_size;
    std::unique_ptr<ProgressBar> bar;
    if (options_.show_progress)
      bar = std::make_unique<ProgressBar>(static_cast<std::int64_t>(target - vocab_now), "merges", ProgressOptions{"merge"});
    const detail::MergeStop stop = engine.run(vocab_now, target, merges, [&] {
      if (bar) bar->advance();
    });
    stats_.stop = stop == detail::MergeStop::kVocabSize      ? TrainStop::kVocabSize
                  : stop == detail::MergeStop::kMinFrequency ? TrainStop::kMinFrequency
                                                             : TrainStop::kNoPairs;
    stats_.merges = merges.size();
    stats_.threaded_merges = engine.threaded_merges();
    stats_.last_merge_count = merges.empty() ? 0 : merges.back().count;
    return merges;
  }

  Tokenizer train_byte_level() {
    const auto& specials = options_.special_tokens;
    const std::size_t k = specials.size();
    DAPT_CHECK(options_.vocab_size >= k + 256, "BpeTrainer: vocab_size ", options_.vocab_size, " cannot hold the ", k,
               " special tokens and the 256 byte tokens");
    detail::ByteLevelPolicy policy;
    policy.tokens.reserve(options_.vocab_size);
    for (std::size_t i = 0; i < k; ++i) {
      // As tokenizers does, a merge that spells a special token (in its byte-level form) gets the
      // special token's id instead of a new one.
      const auto raw = byte_level_to_bytes(specials[i]);
      policy.tokens.push_back(raw ? *raw : std::string());
      if (raw) policy.index.emplace(*raw, static_cast<std::uint32_t>(i));
    }
    // The 256 bytes in the order of their byte-level characters: tokenizers sorts its alphabet by
    // character, and ties between equal counts go to the smaller ids, so the order matters.
    std::array<std::uint8_t, 256> order{};
    for (int b = 0; b < 256; ++b) order[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(b);
    std::sort(order.begin(), order.end(), [](std::uint8_t x, std::uint8_t y) { return byte_to_char(x) < byte_to_char(y); });
    std::array<std::uint32_t, 256> byte_id{};
    for (std::size_t i = 0; i < 256; ++i) {
      const std::uint32_t id = static_cast<std::uint32_t>(k + i);
      const std::string s(1, static_cast<char>(order[i]));
      DAPT_CHECK(policy.index.emplace(s, id).second, "BpeTrainer: a special token spells the byte token ",
                 BpeModel::printable(s));
      policy.tokens.push_back(s);
      byte_id[order[i]] = id;
    }
    stats_.alphabet_size = 256;

    detail::WordTable words;
    {
      std::vector<std::uint32_t> syms;
      for (const std::uint32_t e : sorted_pieces()) {
        const auto& entry = counts_.entries()[e];
        if (entry.length < 2) continue;  // a single byte has no pair
        const std::string_view piece = counts_.key(entry);
        syms.resize(piece.size());
        for (std::size_t i = 0; i < piece.size(); ++i) syms[i] = byte_id[static_cast<unsigned char>(piece[i])];
        DAPT_CHECK_AS(kOutOfRange, words.add(syms.data(), syms.size(), entry.count),
                      "BpeTrainer: the distinct pieces exceed the trainer's 16 GB word table");
      }
    }
    const auto merges = run_engine(words, policy, k + 256);

    std::vector<std::string> tokens = std::move(policy.tokens);
    std::vector<std::pair<TokenId, std::string>> special_ids;
    for (std::size_t i = 0; i < k; ++i) {
      tokens[i] = specials[i];  // the literal text, as builders.hpp expects
      special_ids.emplace_back(static_cast<TokenId>(i), specials[i]);
    }
    std::vector<std::pair<TokenId, TokenId>> pairs;
    pairs.reserve(merges.size());
    for (const auto& m : merges) pairs.emplace_back(static_cast<TokenId>(m.left), static_cast<TokenId>(m.right));
    stats_.vocab_size = tokens.size();
    return make_byte_level_tokenizer(std::move(tokens), pairs, special_ids, options_.pattern);
  }

  Tokenizer train_sentencepiece() {
    const auto& specials = options_.special_tokens;
    const std::size_t k = specials.size();
    const auto& entries = counts_.entries();

    // Character frequencies, from the distinct words and their counts.
    std::vector<std::uint64_t> char_count(kMaxCodePoint + 1, 0);
    std::uint64_t total_chars = 0;
    for (const auto& e : entries) {
      const std::string_view w = counts_.key(e);
      for (std::size_t pos = 0; pos < w.size();) {
        const char32_t cp = next_code_point(w, pos);
        if (cp == 0) continue;  // as SentencePiece: never counted, never kept
        char_count[cp] += e.count;
        total_chars += e.count;
      }
    }
    // The most frequent characters until they cover character_coverage (SentencePiece's rule:
    // test the coverage, then add; in single precision, as SentencePiece compares floats), then
    // the forced ones: "▁" and initial_alphabet.
    std::vector<char32_t> seen_chars;
    for (char32_t cp = 0; cp <= kMaxCodePoint; ++cp)
      if (char_count[cp] > 0) seen_chars.push_back(cp);
    const auto by_frequency = [&](char32_t x, char32_t y) {
      return char_count[x] != char_count[y] ? char_count[x] > char_count[y] : x < y;
    };
    std::sort(seen_chars.begin(), seen_chars.end(), by_frequency);
    std::vector<std::uint8_t> keep(kMaxCodePoint + 1, 0);
    std::uint64_t covered = 0;
    for (const char32_t cp : seen_chars) {
      const auto coverage = static_cast<float>(static_cast<double>(covered) / static_cast<double>(total_chars));
      if (coverage >= static_cast<float>(options_.character_coverage)) break;
      keep[cp] = 1;
      covered += char_count[cp];
    }
    keep[0x2581] = 1;
    for (const auto& c : options_.initial_alphabet) keep[decode_utf8(c, 0).code_point] = 1;
    // Never pieces in SentencePiece: NUL, and U+001F, its sentence-boundary marker (counted in the
    // coverage above, as SentencePiece counts it, but not kept).
    keep[0] = 0;
    keep[0x1F] = 0;
    std::vector<char32_t> kept;
    covered = 0;
    for (char32_t cp = 0; cp <= kMaxCodePoint; ++cp) {
      if (!keep[cp]) continue;
      kept.push_back(cp);
      covered += char_count[cp];
    }
    std::sort(kept.begin(), kept.end(), by_frequency);
    stats_.alphabet_size = kept.size();
    stats_.dropped_characters = 0;
    for (const char32_t cp : seen_chars) stats_.dropped_characters += keep[cp] ? 0 : 1;
    stats_.character_coverage = total_chars ? static_cast<double>(covered) / static_cast<double>(total_chars) : 1.0;

    const std::size_t base = k + 256 + kept.size();
    DAPT_CHECK(options_.vocab_size >= base, "BpeTrainer: vocab_size ", options_.vocab_size, " cannot hold the ", k,
               " special tokens, the 256 byte tokens and the ", kept.size(),
               " characters that character_coverage keeps (raise vocab_size or lower character_coverage)");

    detail::SpmPolicy policy;
    policy.split_digits = options_.split_digits;
    policy.split_by_script = options_.split_by_script;
    policy.whitespace_only_pieces = options_.whitespace_only_pieces;
    policy.max_chars = static_cast<std::uint32_t>(options_.max_piece_length);
    for (const auto& s : specials) policy.reserved.insert(s);
    for (int b = 0; b < 256; ++b) policy.reserved.insert(byte_token_name(static_cast<std::uint8_t>(b)));
    std::vector<std::uint32_t> char_id(kMaxCodePoint + 1, detail::kNoSymbol);
    for (std::size_t i = 0; i < kept.size(); ++i) {
      const char32_t cp = kept[i];
      std::string s;
      append_utf8(s, cp);
      detail::SpmPolicy::Info info;
      const bool space = cp == 0x2581;
      info.all_spaces = space;
      info.lead_spaces = space ? 1 : 0;
      info.digit = detail::spm_digit(cp);
      info.script = space ? detail::kScriptNone : detail::spm_script(cp);
      char_id[cp] = static_cast<std::uint32_t>(i);
      policy.index.emplace(s, static_cast<std::uint32_t>(i));
      policy.tokens.push_back(std::move(s));
      policy.info.push_back(info);
    }

    detail::WordTable words;
    {
      std::vector<std::uint32_t> syms;
      for (const std::uint32_t e : sorted_pieces()) {
        const auto& entry = entries[e];
        const std::string_view w = counts_.key(entry);
        syms.clear();
        for (std::size_t pos = 0; pos < w.size();) syms.push_back(char_id[next_code_point(w, pos)]);
        if (syms.size() >= 2)
          DAPT_CHECK_AS(kOutOfRange, words.add(syms.data(), syms.size(), entry.count),
                        "BpeTrainer: the distinct words exceed the trainer's 16 GB word table");
      }
    }
    const auto merges = run_engine(words, policy, base);

    // Final ids: specials, bytes, pieces in the order they were created, then the characters.
    const std::size_t chars = kept.size();
    const std::size_t pieces = policy.tokens.size() - chars;
    const auto final_id = [&](std::uint32_t internal) -> TokenId {
      return static_cast<TokenId>(internal < chars ? k + 256 + pieces + internal : k + 256 + (internal - chars));
    };
    std::vector<std::string> tokens;
    tokens.reserve(base + pieces);
    for (const auto& s : specials) tokens.push_back(s);
    for (int b = 0; b < 256; ++b) tokens.push_back(byte_token_name(static_cast<std::uint8_t>(b)));
    for (std::size_t p = 0; p < pieces; ++p) tokens.push_back(policy.tokens[chars + p]);
    for (std::size_t c = 0; c < chars; ++c) tokens.push_back(policy.tokens[c]);

    // SentencePiece encodes by piece score, merging any two adjacent symbols whose concatenation is
    // a piece, so every split of a piece into two known parts is a merge with the piece's rank.
    std::vector<std::pair<TokenId, TokenId>> pairs;
    std::vector<std::uint32_t> ranks;
    for (std::size_t p = 0; p < pieces; ++p) {
      const std::string& s = policy.tokens[chars + p];
      for (std::size_t cut = 1; cut < s.size(); ++cut) {
        if (detail::is_continuation(static_cast<unsigned char>(s[cut]))) continue;
        const auto l = policy.index.find(s.substr(0, cut));
        if (l == policy.index.end()) continue;
        const auto r = policy.index.find(s.substr(cut));
        if (r == policy.index.end()) continue;
        pairs.emplace_back(final_id(l->second), final_id(r->second));
        ranks.push_back(static_cast<std::uint32_t>(p));
      }
    }
    std::vector<std::pair<TokenId, std::string>> special_ids;
    for (std::size_t i = 0; i < k; ++i) special_ids.emplace_back(static_cast<TokenId>(i), specials[i]);
    stats_.vocab_size = tokens.size();
    (void)merges;
    return make_sentencepiece_style_tokenizer(std::move(tokens), pairs, std::move(ranks), 0, special_ids);
  }

  /// The code point at `pos` of a word (valid UTF-8 by construction), advancing `pos`.
  static char32_t next_code_point(std::string_view w, std::size_t& pos) noexcept {
    const auto b = static_cast<unsigned char>(w[pos]);
    if (b < 0x80) {
      ++pos;
      return b;
    }
    const Utf8Char c = decode_utf8(w, pos);
    pos += c.length;
    return c.code_point;
  }

  static std::string byte_token_name(std::uint8_t b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    return name;
  }

  TrainerOptions options_;
  TrainerStats stats_;
  detail::PieceCountMap counts_;
  std::vector<detail::CountState> states_;
};

}  // namespace dapt::tokenizer
