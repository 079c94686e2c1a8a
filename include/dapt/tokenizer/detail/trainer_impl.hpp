/// @file trainer_impl.hpp
/// @brief The internals of tokenizer/trainer.hpp: the piece counter (an open-addressing map from
/// byte strings to counts, its keys in one arena, so counting a 100 MB corpus allocates a handful
/// of times instead of once per distinct word), the rule that cuts a document into blocks without
/// changing how it is pre-tokenized, SentencePiece's sentence and word splitting and its script
/// rule, and the merge engine shared by both flavours. The engine keeps, for every live pair, its
/// weighted count and the words that contain it; a merge rewrites only those words and applies
/// the count changes as deltas, and a max-heap with lazy invalidation picks the next pair, so no
/// merge ever recounts the corpus.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/progress.hpp"
#include "dapt/tokenizer/detail/script_tables.hpp"
#include "dapt/tokenizer/regex_split.hpp"
#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer::detail {

// ------------------------------------------------------------------------------------------------
// Hashing and the piece counter

/// A fast 64-bit hash of a short byte string (eight bytes per multiply). Only its determinism
/// matters for results: the words are sorted by (hash, bytes) before training, so a different
/// hash changes the memory layout, never the vocabulary.
inline std::uint64_t hash_bytes(const char* p, std::size_t n) noexcept {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = (static_cast<std::uint64_t>(n) + 1) * 0xC2B2AE3D27D4EB4Full;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    // 1..7 tail bytes with fixed-size loads (a variable-length memcpy becomes a byte loop):
    // two overlapping 4-byte words, or first/middle/last byte; n is in the seed, so the
    // overlaps cannot make two lengths collide.
    std::uint64_t w;
    if (n >= 4) {
      std::uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      w = (static_cast<std::uint64_t>(hi) << 32) | lo;
    } else {
      const auto* u = reinterpret_cast<const unsigned char*>(p);
      w = (static_cast<std::uint64_t>(u[0]) << 16) | (static_cast<std::uint64_t>(u[n >> 1]) << 8) | u[n - 1];
    }
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return h;
}

/// A multiset of byte strings: string -> count. Open addressing over 8-byte slots (a 32-bit hash
/// tag and an entry index), entries in a dense vector, key bytes in one arena. No erase.
class PieceCountMap {
 public:
  struct Entry {
    std::uint64_t hash;
    std::uint64_t offset;  // into the arena
    std::uint64_t count;
    std::uint32_t length;
  };

  void add(std::string_view piece, std::uint64_t count) { add_hashed(piece, hash_bytes(piece.data(), piece.size()), count); }

  void add_hashed(std::string_view piece, std::uint64_t hash, std::uint64_t count) {
    if ((entries_.size() + 1) * 4 > slots_.size() * 3) grow();
    const std::uint64_t tag = hash >> 32;
    std::size_t i = static_cast<std::size_t>(hash) & mask_;
    for (;;) {
      const std::uint64_t s = slots_[i];
      if (s == 0) {
        slots_[i] = (tag << 32) | (entries_.size() + 1);
        entries_.push_back({hash, arena_.size(), count, static_cast<std::uint32_t>(piece.size())});
        arena_.append(piece.data(), piece.size());
        return;
      }
      if ((s >> 32) == tag) {
        Entry& e = entries_[static_cast<std::size_t>((s & 0xffffffffu) - 1)];
        if (e.length == piece.size() && std::memcmp(arena_.data() + e.offset, piece.data(), piece.size()) == 0) {
          e.count += count;
          return;
        }
      }
      i = (i + 1) & mask_;
    }
  }

  std::size_t size() const noexcept { return entries_.size(); }
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  std::vector<Entry>& entries() noexcept { return entries_; }
  std::string_view key(const Entry& e) const noexcept { return {arena_.data() + e.offset, e.length}; }

  /// Forgets every piece but keeps the allocations, so a per-thread map reused for the next block
  /// does not grow again from nothing.
  void clear() noexcept {
    std::fill(slots_.begin(), slots_.end(), 0);
    entries_.clear();
    arena_.clear();
  }

  /// Adds every piece of `other` (with its count) to this map.
  void absorb(const PieceCountMap& other) {
    for (const Entry& e : other.entries_) add_hashed(other.key(e), e.hash, e.count);
  }

  std::size_t memory_bytes() const noexcept {
    return slots_.capacity() * sizeof(std::uint64_t) + entries_.capacity() * sizeof(Entry) + arena_.capacity();
  }

 private:
  void grow() {
    const std::size_t cap = slots_.empty() ? 1024 : slots_.size() * 2;
    DAPT_CHECK_AS(kOutOfRange, entries_.size() < 0xfffffffeu, "tokenizer trainer: more than 4 billion distinct pieces");
    slots_.assign(cap, 0);
    mask_ = cap - 1;
    for (std::size_t k = 0; k < entries_.size(); ++k) {
      std::size_t i = static_cast<std::size_t>(entries_[k].hash) & mask_;
      while (slots_[i] != 0) i = (i + 1) & mask_;
      slots_[i] = ((entries_[k].hash >> 32) << 32) | (k + 1);
    }
  }

  std::vector<std::uint64_t> slots_;
  std::vector<Entry> entries_;
  std::string arena_;
  std::size_t mask_ = 0;
};

// ------------------------------------------------------------------------------------------------
// Where a document may be cut into blocks

/// True when the code point that ends just before `end` (at most 4 bytes back from `end`, not
/// before `begin`) is a regex whitespace character. An invalid byte counts as "other", as the
/// splitter treats it.
inline bool ends_with_whitespace(const unsigned char* begin, const unsigned char* end) noexcept {
  const unsigned char last = end[-1];
  if (last < 0x80) return (kAsciiClass[last] & 3) == kClassWhitespace;
  const unsigned char* p = end - 1;
  int back = 0;
  while (p > begin && back < 3 && is_continuation(*p)) {
    --p;
    ++back;
  }
  const Utf8Char c = decode_utf8_at(p, static_cast<std::size_t>(end - p));
  if (!c.valid || p + c.length != end) return false;
  return class_of(c.code_point) == kClassWhitespace;
}

/// True when the symbol at p (p < end) is a regex whitespace character.
inline bool starts_with_whitespace(const unsigned char* p, const unsigned char* end) noexcept {
  if (*p < 0x80) return (kAsciiClass[*p] & 3) == kClassWhitespace;
  const Utf8Char c = decode_utf8_at(p, static_cast<std::size_t>(end - p));
  return c.valid && class_of(c.code_point) == kClassWhitespace;
}

/// Whether a byte-level document may be cut at byte `pos` (between pos-1 and pos) without changing
/// its pre-tokenization by either regex. The rule: text[pos-1] is a lone '\n' between two
/// non-whitespace characters. Both patterns then end a match exactly after that '\n' whatever
/// follows (GPT-2: no alternative joins a non-space to a following space, and `\s+` takes the
/// lone '\n'; LLaMA-3: `\s*[\r\n]+`, or the `[\r\n]*` tail of a punctuation run, stops at the
/// non-newline after it), and no match looks behind, so the text after the cut is matched the same
/// alone as in place. tests/tokenizer/trainer_test.cpp checks this against split_regex.
inline bool is_safe_byte_level_cut(std::string_view text, std::size_t pos) noexcept {
  if (pos < 2 || pos >= text.size() || text[pos - 1] != '\n') return false;
  const auto* base = reinterpret_cast<const unsigned char*>(text.data());
  return !ends_with_whitespace(base, base + pos - 1) && !starts_with_whitespace(base + pos, base + text.size());
}

/// The first position >= `from` where the document may be cut (see is_safe_byte_level_cut for the
/// byte-level flavour; after any '\n' for SentencePiece, whose sentences are lines), or npos.
inline std::size_t next_cut(std::string_view text, std::size_t from, bool lines) noexcept {
  while (from < text.size()) {
    const void* hit = std::memchr(text.data() + from, '\n', text.size() - from);
    if (!hit) return std::string_view::npos;
    const std::size_t pos = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data()) + 1;
    if (lines || is_safe_byte_level_cut(text, pos)) return pos;
    from = pos;
  }
  return std::string_view::npos;
}

/// The last position in (0, text.size()] where the document may be cut, or 0 when there is none.
inline std::size_t last_cut(std::string_view text, bool lines) noexcept {
  for (std::size_t pos = text.size(); pos > 0; --pos) {
    if (text[pos - 1] != '\n') continue;
    if (lines || is_safe_byte_level_cut(text, pos)) return pos;
  }
  return 0;
}

/// Appends to `out` the pieces of `text` cut at safe positions, each about `target` bytes (a
/// piece is longer only when no safe position comes sooner).
inline void cut_into_units(std::string_view text, std::size_t target, bool lines, std::vector<std::string_view>& out) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t want = pos + target;
    const std::size_t cut = want >= text.size() ? std::string_view::npos : next_cut(text, want, lines);
    const std::size_t end = cut == std::string_view::npos ? text.size() : cut;
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
}

// ------------------------------------------------------------------------------------------------
// SentencePiece sentences, words and scripts

/// "▁" (U+2581) as UTF-8.
inline constexpr std::string_view kSpmSpaceUtf8 = "\xe2\x96\x81";
/// U+FFFD as UTF-8: what an invalid byte becomes in the SentencePiece flavour.
inline constexpr std::string_view kReplacementUtf8 = "\xef\xbf\xbd";

/// Counters a counting pass fills in (one per thread, summed afterwards).
struct CountCounters {
  std::uint64_t pieces = 0;
  std::uint64_t lines = 0;
  std::uint64_t skipped_lines = 0;
  std::uint64_t invalid_bytes = 0;
};

/// Number of invalid UTF-8 bytes in `text` (each invalid sequence is one byte, as decode_utf8 says).
inline std::uint64_t count_invalid_utf8(std::string_view text) noexcept {
  std::uint64_t n = 0;
  while (auto bad = first_invalid_utf8(text)) {
    ++n;
    text.remove_prefix(*bad + 1);
  }
  return n;
}

/// Counts the pre-tokenized pieces of one byte-level unit.
inline void count_byte_level_unit(std::string_view unit, SplitRegex regex, Ranges& ranges, PieceCountMap& map,
                                  CountCounters& counters) {
  ranges.clear();
  split_regex(regex, unit, ranges);
  for (const auto& [b, e] : ranges) map.add(unit.substr(b, e - b), 1);
  counters.pieces += ranges.size();
  counters.invalid_bytes += count_invalid_utf8(unit);
}

/// Counts the words of one SentencePiece unit. Each line is a sentence: split at '\n' only (a CR
/// LF line keeps its '\r', as SentencePiece's line reader keeps it), empty lines skipped, lines
/// longer than `max_line` bytes (0: no limit) skipped as SentencePiece skips sentences above
/// max_sentence_length. A sentence is normalized as LLaMA-2's model does (a dummy "▁" prefix,
/// every U+0020 replaced by "▁", nothing else changed; an invalid UTF-8 byte becomes U+FFFD, as
/// SentencePiece's decoder makes it) and split before each "▁". With `whitespace_runs` a run of
/// "▁" stays with the word that follows it (allow_whitespace_only_pieces, as LLaMA-2 trains), so
/// indentation can become pieces such as "▁▁▁▁".
inline void count_spm_unit(std::string_view unit, bool whitespace_runs, std::size_t max_line, std::string& word,
                           PieceCountMap& map, CountCounters& counters) {
  std::size_t pos = 0;
  while (pos < unit.size()) {
    const void* nl = std::memchr(unit.data() + pos, '\n', unit.size() - pos);
    const std::size_t line_end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - unit.data()) : unit.size();
    const std::string_view line = unit.substr(pos, line_end - pos);
    pos = line_end + 1;
    if (line.empty()) continue;
    if (max_line != 0 && line.size() > max_line) {
      ++counters.skipped_lines;
      continue;
    }
    ++counters.lines;
    word.assign(kSpmSpaceUtf8);
    bool in_space_run = true;  // the dummy prefix opens the first word
    const auto* p = reinterpret_cast<const unsigned char*>(line.data());
    const auto* end = p + line.size();
    while (p < end) {
      if (*p == ' ') {
        if (!(in_space_run && whitespace_runs)) {
          map.add(word, 1);
          ++counters.pieces;
          word.clear();
        }
        word.append(kSpmSpaceUtf8);
        in_space_run = true;
        ++p;
        continue;
      }
      in_space_run = false;
      if (*p < 0x80) {
        word.push_back(static_cast<char>(*p));
        ++p;
        continue;
      }
      const Utf8Char c = decode_utf8_at(p, static_cast<std::size_t>(end - p));
      if (!c.valid) {
        word.append(kReplacementUtf8);
        ++counters.invalid_bytes;
        ++p;
        continue;
      }
      // "▁" in the input is a space to SentencePiece as well: it starts a word.
      if (c.length == 3 && std::memcmp(p, kSpmSpaceUtf8.data(), 3) == 0) {
        if (!(in_space_run && whitespace_runs)) {
          map.add(word, 1);
          ++counters.pieces;
          word.clear();
        }
        in_space_run = true;
      }
      word.append(reinterpret_cast<const char*>(p), c.length);
      p += c.length;
    }
    map.add(word, 1);
    ++counters.pieces;
  }
}

/// Script ids of spm_script. 0 means "takes the script of its neighbours": combining marks
/// (Unicode's Inherited), which SentencePiece assigns to the previous character, and the "▁"
/// symbol, which its script rule skips.
inline constexpr std::int32_t kScriptNone = kScriptInherited;
inline constexpr std::int32_t kScriptCommon = kScriptCommonId;
inline constexpr std::int32_t kScriptLatin = kScriptLatinId;

/// The Unicode script of `cp` as SentencePiece's split_by_unicode_script sees it (a piece never
/// mixes scripts): from Scripts.txt (detail/script_tables.hpp), Common when unlisted, Hiragana and
/// Katakana counted as Han.
inline std::int32_t spm_script(char32_t cp) noexcept {
  if (cp < 0x80) return (kAsciiClass[cp] & 3) == kClassLetter ? kScriptLatin : kScriptCommon;
  const std::uint32_t key = (static_cast<std::uint32_t>(cp) << 8) | 0xffu;
  const auto* it = std::upper_bound(std::begin(kScriptRuns), std::end(kScriptRuns), key);
  return static_cast<std::int32_t>(*(it - 1) & 0xffu);
}

/// SentencePiece's is_unicode_decimal_number: the digits split_digits keeps apart (ASCII and
/// fullwidth).
constexpr bool spm_digit(char32_t cp) noexcept { return (cp >= '0' && cp <= '9') || (cp >= 0xFF10 && cp <= 0xFF19); }

// ------------------------------------------------------------------------------------------------
// The merge engine

inline constexpr std::uint32_t kNoSymbol = 0xffffffffu;  // a character left to byte fallback

inline std::uint64_t pack_pair(std::uint32_t a, std::uint32_t b) noexcept {
  return (static_cast<std::uint64_t>(a) << 32) | b;
}
inline std::uint32_t pair_left(std::uint64_t key) noexcept { return static_cast<std::uint32_t>(key >> 32); }
inline std::uint32_t pair_right(std::uint64_t key) noexcept { return static_cast<std::uint32_t>(key); }

/// The words the engine trains on, in one array: each word is a header (its current length, a
/// scratch stamp, its corpus count as two halves) followed by its symbols, which shrink in place
/// as merges apply. A word is named by the offset of its header, so visiting a word touches one
/// place in memory: visits are random and their cache misses are most of a merge's cost.
class WordTable {
 public:
  static constexpr std::size_t kHeader = 4;

  /// Appends a word; returns false when the table is full (offsets are 32-bit: 16 GB of words).
  bool add(const std::uint32_t* s, std::size_t n, std::uint64_t count) {
    if (data_.size() + kHeader + n > 0xffffffffu) return false;
    offsets_.push_back(static_cast<std::uint32_t>(data_.size()));
    data_.push_back(static_cast<std::uint32_t>(n));
    data_.push_back(0);
    data_.push_back(static_cast<std::uint32_t>(count));
    data_.push_back(static_cast<std::uint32_t>(count >> 32));
    data_.insert(data_.end(), s, s + n);
    return true;
  }
  std::size_t size() const noexcept { return offsets_.size(); }
  const std::vector<std::uint32_t>& offsets() const noexcept { return offsets_; }

  std::uint32_t* symbols(std::uint32_t w) noexcept { return data_.data() + w + kHeader; }
  std::uint32_t length(std::uint32_t w) const noexcept { return data_[w]; }
  void set_length(std::uint32_t w, std::uint32_t n) noexcept { data_[w] = n; }
  std::uint32_t& stamp(std::uint32_t w) noexcept { return data_[w + 1]; }
  std::int64_t count(std::uint32_t w) const noexcept {
    return static_cast<std::int64_t>(data_[w + 2] | (static_cast<std::uint64_t>(data_[w + 3]) << 32));
  }
  void prefetch(std::uint32_t w) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(data_.data() + w);
#endif
  }

 private:
  std::vector<std::uint32_t> data_;
  std::vector<std::uint32_t> offsets_;
};

/// Open-addressing map from a packed pair (never ~0) to its dense index, key and value side by
/// side so that a lookup costs one cache miss. No erase: a merged pair keeps its index.
class PairIndexMap {
 public:
  static constexpr std::uint64_t kEmpty = ~0ull;

  /// The index of `key`, inserting it with index `next` when absent (then `inserted` is true).
  std::uint32_t find_or_insert(std::uint64_t key, std::uint32_t next, bool& inserted) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = slot(key);
    while (slots_[i].key != kEmpty) {
      if (slots_[i].key == key) {
        inserted = false;
        return slots_[i].value;
      }
      i = (i + 1) & mask_;
    }
    slots_[i] = {key, next};
    ++size_;
    inserted = true;
    return next;
  }
  void reserve(std::size_t n) {
    while (slots_.size() < n * 2) grow();
  }

 private:
  struct Slot {
    std::uint64_t key;
    std::uint32_t value;
  };
  std::size_t slot(std::uint64_t key) const noexcept {
    std::uint64_t h = key * 0x9E3779B97F4A7C15ull;
    h ^= h >> 32;
    return static_cast<std::size_t>(h) & mask_;
  }
  void grow() {
    const std::size_t cap = slots_.empty() ? 1024 : slots_.size() * 2;
    std::vector<Slot> old(cap, Slot{kEmpty, 0});
    old.swap(slots_);
    mask_ = cap - 1;
    for (const Slot& s : old) {
      if (s.key == kEmpty) continue;
      std::size_t i = slot(s.key);
      while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

/// Why the merge loop ended.
enum class MergeStop { kVocabSize, kMinFrequency, kNoPairs };

/// One merge the engine made: left + right -> merged (merged may be an existing token when two
/// different pairs spell the same string), and the weighted count of the pair when it merged.
struct EngineMerge {
  std::uint32_t left, right, merged;
  std::uint64_t count;
};

/// BPE merges over a WordTable. `Policy` supplies the flavour's rules:
///   bool can_pair(a, b) const       may a and b ever merge (checked once per pair, never per word)
///   bool before(key1, key2) const   for equal counts, does pair key1 merge first (a total order)
///   std::optional<uint32_t> merge_tokens(a, b, bool& created)   the merged token's id (created
///                                   when new), or nullopt to drop the pair for good
///   static constexpr bool kAllPairs  can_pair is always true (skips the call in the hot loop)
template <class Policy>
class MergeEngine {
 public:
  /// `threads` rewrite the words of large merges (1: all on the calling thread).
  MergeEngine(WordTable& words, Policy& policy, std::uint64_t min_frequency, int threads)
      : words_(words),
        policy_(policy),
        min_keep_(std::max<std::uint64_t>(1, min_frequency)),
        threads_(std::max(1, threads)) {}

  /// Counts every adjacent pair of every word (weighted by the word's count) and fills the heap.
  void count_initial_pairs() {
    pairs_.reserve(1024);
    for (const std::uint32_t w : words_.offsets()) {
      const std::uint32_t* s = words_.symbols(w);
      const std::uint32_t n = words_.length(w);
      const std::int64_t c = words_.count(w);
      for (std::uint32_t i = 0; i + 1 < n; ++i) add_delta(s[i], s[i + 1], c, w);
    }
    for (std::uint32_t idx = 0; idx < pairs_data_.size(); ++idx) push_if_eligible(idx);
    touched_.clear();
  }

  /// Merges until `vocab` reaches `target` (each merge that creates a token adds one), the best
  /// remaining pair is below min_frequency, or no pair is left. Calls `on_merge()` after each merge.
  template <class OnMerge>
  MergeStop run(std::size_t vocab, std::size_t target, std::vector<EngineMerge>& out, OnMerge&& on_merge) {
    while (vocab < target) {
      if (heap_.empty()) return below_min_ ? MergeStop::kMinFrequency : MergeStop::kNoPairs;
      std::pop_heap(heap_.begin(), heap_.end(), HeapLess{&policy_});
      const HeapEntry top = heap_.back();
      heap_.pop_back();
      PairData& pd = pairs_data_[top.index];
      if (static_cast<std::uint64_t>(pd.count) != top.count) {
        // Stale: the count fell since this entry was pushed. A rise always pushes a fresh entry,
        // so an entry above the current count is simply dropped.
        if (pd.count > 0 && static_cast<std::uint64_t>(pd.count) < top.count) push_if_eligible(top.index);
        continue;
      }
      const std::uint32_t a = pair_left(top.key), b = pair_right(top.key);
      bool created = false;
      const std::optional<std::uint32_t> merged = policy_.merge_tokens(a, b, created);
      if (!merged) {
        pd.count = 0;
        std::vector<std::uint32_t>().swap(pd.words);
        continue;
      }
      if (created) ++vocab;
      out.push_back({a, b, *merged, top.count});
      apply_merge(top.index, a, b, *merged);
      on_merge();
    }
    return MergeStop::kVocabSize;
  }

  std::size_t pair_count() const noexcept { return pairs_data_.size(); }
  /// Merges whose words were rewritten on several threads.
  std::size_t threaded_merges() const noexcept { return threaded_merges_; }

 private:
  struct HeapEntry {
    std::uint64_t count;
    std::uint64_t key;
    std::uint32_t index;
  };
  struct HeapLess {
    const Policy* policy;
    bool operator()(const HeapEntry& x, const HeapEntry& y) const noexcept {
      if (x.count != y.count) return x.count < y.count;
      return policy->before(y.key, x.key);
    }
  };
  /// Everything about one pair, together: a count change touches one cache line.
  struct PairData {
    std::int64_t count = 0;
    std::uint64_t key = 0;
    std::uint32_t touched = 0;          // the merge step that last raised the count
    std::vector<std::uint32_t> words;  // words that held the pair when it appeared there (may be stale)
  };
  /// A count change found by a worker thread, applied later in word order.
  struct Delta {
    std::uint32_t x, y;
    std::int64_t delta;
    std::uint32_t word;
  };

  void push_if_eligible(std::uint32_t idx) {
    const std::int64_t c = pairs_data_[idx].count;
    if (c <= 0) return;
    if (static_cast<std::uint64_t>(c) < min_keep_) {
      below_min_ = true;
      return;
    }
    heap_.push_back({static_cast<std::uint64_t>(c), pairs_data_[idx].key, idx});
    std::push_heap(heap_.begin(), heap_.end(), HeapLess{&policy_});
  }

  /// Adds `delta` to the count of pair (x, y); a positive delta also records that word w holds it.
  void add_delta(std::uint32_t x, std::uint32_t y, std::int64_t delta, std::uint32_t w) {
    if constexpr (!Policy::kAllPairs) {
      if (!policy_.can_pair(x, y)) return;
    }
    const std::uint64_t key = pack_pair(x, y);
    bool inserted = false;
    const std::uint32_t idx = pairs_.find_or_insert(key, static_cast<std::uint32_t>(pairs_data_.size()), inserted);
    if (inserted) {
      pairs_data_.emplace_back();
      pairs_data_.back().key = key;
    }
    PairData& pd = pairs_data_[idx];
    pd.count += delta;
    if (delta > 0) {
      if (pd.words.empty() || pd.words.back() != w) pd.words.push_back(w);
      if (pd.touched != step_) {
        pd.touched = step_;
        touched_.push_back(idx);
      }
    }
  }

  /// Rewrites word w, replacing every (a, b) by t left to right without overlap (as the encoder
  /// applies a merge), and reports the count changes of the neighbouring pairs to `emit`.
  template <class Emit>
  void rewrite_word(std::uint32_t w, std::uint32_t a, std::uint32_t b, std::uint32_t t, Emit&& emit) {
    std::uint32_t* s = words_.symbols(w);
    const std::uint32_t n = words_.length(w);
    // Most listed words hold the pair once, or no longer at all: find it before writing anything.
    std::uint32_t i = 0;
    while (i + 1 < n && !(s[i] == a && s[i + 1] == b)) ++i;
    if (i + 1 >= n) return;
    const std::int64_t c = words_.count(w);
    std::uint32_t j = i;
    while (i < n) {
      if (i + 1 < n && s[i] == a && s[i + 1] == b) {
        // The left neighbour is the symbol already written, so in a chain "a b a b" the first t
        // is the second one's neighbour, and the changes add up to the new word's pairs.
        if (j > 0) {
          emit(s[j - 1], a, -c);
          emit(s[j - 1], t, c);
        }
        if (i + 2 < n) {
          emit(b, s[i + 2], -c);
          emit(t, s[i + 2], c);
        }
        s[j++] = t;
        i += 2;
      } else {
        s[j++] = s[i++];
      }
    }
    words_.set_length(w, j);
  }

  /// Merges (a, b) -> t in every word that holds the pair and updates the pair counts. Large
  /// merges rewrite their words on several threads, each chunk collecting its count changes; the
  /// changes are then applied in word order, exactly as the serial loop applies them, so the
  /// result never depends on the thread count.
  void apply_merge(std::uint32_t idx, std::uint32_t a, std::uint32_t b, std::uint32_t t) {
    ++step_;
    std::vector<std::uint32_t> list;
    list.swap(pairs_data_[idx].words);
    // Drop words listed twice; the stamp lives in the word's header, which the rewrite reads next.
    std::size_t n = 0;
    for (std::size_t k = 0; k < list.size(); ++k) {
      if (k + kPrefetch < list.size()) words_.prefetch(list[k + kPrefetch]);
      const std::uint32_t w = list[k];
      std::uint32_t& stamp = words_.stamp(w);
      if (stamp == step_) continue;
      stamp = step_;
      list[n++] = w;
    }
    list.resize(n);
    const bool large = n >= kParallelWords;
    std::uint64_t work = 0;
    if (large)
      for (const std::uint32_t w : list) work += words_.length(w) + 8;  // + the cost of reaching the word
    const bool parallel = large && threads_ > 1 && pace_.choose_parallel();
    const auto t0 = std::chrono::steady_clock::now();
    if (!parallel) {
      for (std::size_t k = 0; k < n; ++k) {
        if (k + kPrefetch < n) words_.prefetch(list[k + kPrefetch]);
        const std::uint32_t w = list[k];
        rewrite_word(w, a, b, t, [&](std::uint32_t x, std::uint32_t y, std::int64_t d) { add_delta(x, y, d, w); });
      }
    } else {
      // Many more chunks than threads, taken in turn: on a shared machine a descheduled thread
      // then delays the merge by one small chunk, not by a whole share of the words.
      const std::size_t chunks = std::min<std::size_t>(n / (kParallelWords / 16), 16 * static_cast<std::size_t>(threads_));
      if (deltas_.size() < chunks) deltas_.resize(chunks);
      std::atomic<std::size_t> next{0};
      parallel_for(0, threads_, [&](std::int64_t) {
        for (;;) {
          const std::size_t ch = next.fetch_add(1, std::memory_order_relaxed);
          if (ch >= chunks) break;
          auto& out = deltas_[ch];
          out.clear();
          const std::size_t hi = n * (ch + 1) / chunks;
          for (std::size_t k = n * ch / chunks; k < hi; ++k) {
            if (k + kPrefetch < hi) words_.prefetch(list[k + kPrefetch]);
            const std::uint32_t w = list[k];
            rewrite_word(w, a, b, t, [&](std::uint32_t x, std::uint32_t y, std::int64_t d) {
              if constexpr (!Policy::kAllPairs) {
                if (!policy_.can_pair(x, y)) return;
              }
              out.push_back({x, y, d, w});
            });
          }
        }
      });
      for (std::size_t ch = 0; ch < chunks; ++ch)
        for (const Delta& d : deltas_[ch]) add_delta(d.x, d.y, d.delta, d.word);
    }
    threaded_merges_ += parallel ? 1 : 0;
    if (large) pace_.record(parallel, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), work);
    pairs_data_[idx].count = 0;  // every occurrence is gone
    for (const std::uint32_t p : touched_) push_if_eligible(p);
    touched_.clear();
  }

  // Below this many words a merge is rewritten on the calling thread: starting threads costs
  // more than it saves.
  static constexpr std::size_t kParallelWords = 4096;
  // How many words ahead of the one being rewritten to prefetch: enough to cover a memory
  // round trip, few enough to stay in L1.
  static constexpr std::size_t kPrefetch = 8;

  /// Decides whether large merges run on threads, from measured seconds per symbol of both ways.
  /// On an idle machine the threads win; on a shared one a descheduled thread stalls every merge
  /// at its barrier, and the serial loop wins. Either way the result is the same, so the choice
  /// can follow the clock; it is re-probed now and then, as the load changes.
  class Pace {
   public:
    bool choose_parallel() {
      ++decisions_;
      if (samples_[0] < kProbe) return false;
      if (samples_[1] < kProbe) return true;
      if (decisions_ % kReprobe == 0) return !prefer_parallel();
      return prefer_parallel();
    }
    void record(bool parallel, double seconds, std::uint64_t work) {
      const int k = parallel ? 1 : 0;
      // Exponential averages, so the estimate follows a change of load within a few dozen merges.
      const double rate = seconds / static_cast<double>(std::max<std::uint64_t>(work, 1));
      rate_[k] = samples_[k] == 0 ? rate : 0.8 * rate_[k] + 0.2 * rate;
      ++samples_[k];
    }

   private:
    static constexpr int kProbe = 4;
    static constexpr std::uint64_t kReprobe = 32;
    bool prefer_parallel() const noexcept { return rate_[1] < 0.9 * rate_[0]; }
    double rate_[2] = {0, 0};
    int samples_[2] = {0, 0};
    std::uint64_t decisions_ = 0;
  };

  WordTable& words_;
  Policy& policy_;
  std::uint64_t min_keep_;
  int threads_;
  bool below_min_ = false;
  PairIndexMap pairs_;
  std::vector<PairData> pairs_data_;
  std::vector<std::uint32_t> touched_;
  std::vector<HeapEntry> heap_;
  std::vector<std::vector<Delta>> deltas_;
  Pace pace_;
  std::size_t threaded_merges_ = 0;
  std::uint32_t step_ = 0;
};

}  // namespace dapt::tokenizer::detail
