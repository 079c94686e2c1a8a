/// @file bpe.hpp
/// @brief The BPE model: a vocabulary of byte strings, a table of merge rules, and the encoder
/// that turns one pre-tokenized piece into ids. One engine serves both flavours of the SDK:
/// byte-level BPE (GPT-2, LLaMA-3: the piece is raw bytes and every byte has a token) and
/// SentencePiece-style BPE (LLaMA-2: the piece is UTF-8, every character starts as its own symbol,
/// and a character outside the vocabulary falls back to `<0xXX>` byte tokens or to `unk`).
/// Merges are applied by rank, lowest first and leftmost among equals, exactly as Hugging Face
/// `tokenizers` and tiktoken do; SentencePiece's "highest score first" is the same rule once
/// scores are turned into ranks (equal scores share a rank, so the leftmost wins, as in
/// SentencePiece). Long pieces use a heap so a 10 MB word costs O(n log n), not O(n^2).
#pragma once

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdint>
#include <limits>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer {

using TokenId = std::int32_t;

/// How a BPE model splits a piece into initial symbols.
enum class BpeAlphabet {
  kBytes,  ///< one symbol per byte (byte-level BPE); every byte value must have a token
  kChars,  ///< one symbol per UTF-8 character, with byte fallback or unk for unknown characters
};

namespace detail {

/// Open-addressing hash map from a 64-bit key to a 64-bit value (no erase). Used for the merge
/// table, where std::unordered_map's node allocation and hashing dominate the encoder's time.
class FlatMap64 {
 public:
  void reserve(std::size_t n) {
    std::size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    rehash(cap);
  }
  void insert_or_assign(std::uint64_t key, std::uint64_t value) {
    if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.empty() ? 16 : keys_.size() * 2);
    std::size_t i = slot(key);
    while (used_[i] && keys_[i] != key) i = (i + 1) & (keys_.size() - 1);
    if (!used_[i]) {
      used_[i] = 1;
      keys_[i] = key;
      ++size_;
    }
    values_[i] = value;
  }
  /// The value for `key`, or nullptr.
  const std::uint64_t* find(std::uint64_t key) const noexcept {
    if (keys_.empty()) return nullptr;
    std::size_t i = slot(key);
    while (used_[i]) {
      if (keys_[i] == key) return &values_[i];
      i = (i + 1) & (keys_.size() - 1);
    }
    return nullptr;
  }
  std::size_t size() const noexcept { return size_; }

 private:
  std::size_t slot(std::uint64_t key) const noexcept {
    std::uint64_t h = key * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    return static_cast<std::size_t>(h) & (keys_.size() - 1);
  }
  void rehash(std::size_t cap) {
    std::vector<std::uint64_t> k(cap), v(cap);
    std::vector<std::uint8_t> u(cap, 0);
    std::swap(k, keys_);
    std::swap(v, values_);
    std::swap(u, used_);
    size_ = 0;
    for (std::size_t i = 0; i < u.size(); ++i)
      if (u[i]) insert_or_assign(k[i], v[i]);
  }
  std::vector<std::uint64_t> keys_, values_;
  std::vector<std::uint8_t> used_;
  std::size_t size_ = 0;
};

inline std::uint64_t pair_key(TokenId a, TokenId b) noexcept {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
}

}  // namespace detail

/// One merge rule: `left` + `right` -> `merged`, applied in rank order.
struct BpeMerge {
  TokenId left = 0;
  TokenId right = 0;
  TokenId merged = 0;
  std::uint32_t rank = 0;
};

/// Options of a BpeModel that the file formats carry.
struct BpeOptions {
  BpeAlphabet alphabet = BpeAlphabet::kBytes;
  bool byte_fallback = false;    ///< unknown characters become `<0xXX>` tokens (kChars only)
  bool ignore_merges = false;    ///< a piece that is itself a token is emitted whole
  std::optional<TokenId> unk;    ///< token for unknown characters (kChars only)
  bool fuse_unk = false;         ///< consecutive unknowns give one unk
};

/// Per-thread scratch for encoding: a cache of recent pieces and the work buffers. Reusing one
/// across calls avoids allocation and makes repeated words nearly free.
class BpeCache {
 public:
  explicit BpeCache(std::size_t max_entries = 1u << 16) : max_entries_(max_entries) {}
  void clear() { map_.clear(); }
  std::size_t size() const noexcept { return map_.size(); }

 private:
  friend class BpeModel;
  std::unordered_map<std::string, std::vector<TokenId>> map_;
  std::size_t max_entries_;
  std::vector<TokenId> symbols_;
  std::vector<std::int32_t> prev_, next_;
  std::vector<std::string_view> unknown_;  // bytes of unknown symbol k, stored as symbol -(k+1)
};

/// Vocabulary + merges + the encoder of one piece.
class BpeModel {
 public:
  BpeModel() = default;

  /// Builds a model. `tokens[i]` is the content of id i in the model's alphabet: raw bytes for
  /// kBytes, UTF-8 for kChars. Ids without a token (holes) are allowed and hold "".
  /// Merges are (left, right) id pairs in rank order; each must produce a token in the vocabulary.
  BpeModel(std::vector<std::string> tokens, const std::vector<std::pair<TokenId, TokenId>>& merges, BpeOptions options,
           std::vector<std::uint32_t> ranks = {})
      : tokens_(std::move(tokens)), options_(options) {
    index_.reserve(tokens_.size());
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      if (tokens_[i].empty()) continue;
      index_.emplace(tokens_[i], static_cast<TokenId>(i));
    }
    DAPT_CHECK(ranks.empty() || ranks.size() == merges.size(), "BPE: ", ranks.size(), " ranks for ", merges.size(),
               " merges");
    merges_.reserve(merges.size());
    table_.reserve(merges.size());
    for (std::size_t r = 0; r < merges.size(); ++r) {
      const auto [a, b] = merges[r];
      DAPT_CHECK_AS(kFormat, valid_id(a) && valid_id(b), "BPE merge ", r, " refers to an id outside the vocabulary");
      const std::string joined = tokens_[static_cast<std::size_t>(a)] + tokens_[static_cast<std::size_t>(b)];
      const auto it = index_.find(joined);
      DAPT_CHECK_AS(kFormat, it != index_.end(), "BPE merge ", r, " (", printable(tokens_[static_cast<std::size_t>(a)]),
                    " + ", printable(tokens_[static_cast<std::size_t>(b)]), ") produces ", printable(joined),
                    ", which is not in the vocabulary");
      const std::uint32_t rank = ranks.empty() ? static_cast<std::uint32_t>(r) : ranks[r];
      const std::uint64_t key = detail::pair_key(a, b);
      if (table_.find(key)) continue;  // a duplicate merge keeps its first (best) rank
      table_.insert_or_assign(key, (static_cast<std::uint64_t>(rank) << 32) | static_cast<std::uint32_t>(it->second));
      merges_.push_back({a, b, it->second, rank});
    }
    build_alphabet();
  }

  const BpeOptions& options() const noexcept { return options_; }
  std::size_t vocab_size() const noexcept { return tokens_.size(); }
  /// The token's content in the model alphabet (raw bytes for kBytes).
  const std::string& token(TokenId id) const {
    DAPT_CHECK_AS(kOutOfRange, valid_id(id), "token id ", id, " is outside the vocabulary of ", tokens_.size());
    return tokens_[static_cast<std::size_t>(id)];
  }
  std::optional<TokenId> find(std::string_view content) const {
    const auto it = index_.find(std::string(content));
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }
  bool valid_id(TokenId id) const noexcept { return id >= 0 && static_cast<std::size_t>(id) < tokens_.size(); }
  /// Merge rules in the order given (rank order).
  const std::vector<BpeMerge>& merges() const noexcept { return merges_; }
  /// The byte-fallback token of byte b, when byte fallback is on and `<0xXX>` exists.
  std::optional<TokenId> byte_token(std::uint8_t b) const {
    const TokenId t = byte_ids_[b];
    if (t < 0) return std::nullopt;
    return t;
  }

  /// Appends the ids of one piece to `out`.
  void encode_piece(std::string_view piece, std::vector<TokenId>& out, BpeCache& cache) const {
    if (piece.empty()) return;
    if (options_.ignore_merges) {
      if (auto id = find(piece)) {
        out.push_back(*id);
        return;
      }
    }
    if (piece.size() <= kCachedPieceBytes) {
      // A std::string key, not a string_view with a transparent hash: with libstdc++ 12 the
      // heterogeneous find measured 20% slower on encoding (short keys fit the SSO buffer).
      const auto it = cache.map_.find(std::string(piece));
      if (it != cache.map_.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    const std::size_t start = out.size();
    initial_symbols(piece, cache);
    merge(cache);
    emit(cache, out);
    if (piece.size() <= kCachedPieceBytes) {
      if (cache.map_.size() >= cache.max_entries_) cache.map_.clear();
      cache.map_.emplace(std::string(piece), std::vector<TokenId>(out.begin() + static_cast<std::ptrdiff_t>(start), out.end()));
    }
  }

  /// Convenience overload with a throwaway cache.
  std::vector<TokenId> encode_piece(std::string_view piece) const {
    BpeCache cache(0);
    std::vector<TokenId> out;
    encode_piece(piece, out, cache);
    return out;
  }

  /// A token's content shown with non-printable bytes escaped (for messages).
  static std::string printable(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out += static_cast<char>(c);
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      }
    }
    return out + "\"";
  }

 private:
  static constexpr std::size_t kCachedPieceBytes = 64;
  static constexpr std::size_t kQuadraticLimit = 48;  // symbols; above this the heap merge wins

  void build_alphabet() {
    byte_ids_.fill(-1);
    if (options_.alphabet == BpeAlphabet::kBytes) {
      for (int b = 0; b < 256; ++b) {
        const auto id = find(std::string(1, static_cast<char>(b)));
        byte_ids_[static_cast<std::size_t>(b)] = id ? *id : -1;
      }
    } else if (options_.byte_fallback) {
      for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        const auto id = find(name);
        byte_ids_[static_cast<std::size_t>(b)] = id ? *id : -1;
      }
    }
    if (options_.unk) DAPT_CHECK_AS(kFormat, valid_id(*options_.unk), "BPE: unk id ", *options_.unk, " is outside the vocabulary");
  }

  /// Splits a piece into initial symbols. A character (or byte) without a token becomes the
  /// negative symbol -(k+1), where k indexes its bytes in cache.unknown_; emit() resolves it.
  void initial_symbols(std::string_view piece, BpeCache& cache) const {
    auto& sym = cache.symbols_;
    sym.clear();
    cache.unknown_.clear();
    auto unknown = [&](std::size_t pos, std::size_t len) {
      cache.unknown_.push_back(piece.substr(pos, len));
      sym.push_back(-static_cast<TokenId>(cache.unknown_.size()));
    };
    if (options_.alphabet == BpeAlphabet::kBytes) {
      for (std::size_t i = 0; i < piece.size(); ++i) {
        const TokenId id = byte_ids_[static_cast<unsigned char>(piece[i])];
        if (id >= 0) sym.push_back(id);
        else unknown(i, 1);
      }
      return;
    }
    std::size_t pos = 0;
    while (pos < piece.size()) {
      const std::size_t len = decode_utf8(piece, pos).length;
      const auto it = index_.find(std::string(piece.substr(pos, len)));
      if (it != index_.end()) sym.push_back(it->second);
      else unknown(pos, len);
      pos += len;
    }
  }

  // The merge loops treat negative symbols as unmergeable.
  std::uint64_t lookup(TokenId a, TokenId b) const noexcept {
    if (a < 0 || b < 0) return std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t* v = table_.find(detail::pair_key(a, b));
    return v ? *v : std::numeric_limits<std::uint64_t>::max();
  }

  void merge(BpeCache& cache) const {
    auto& sym = cache.symbols_;
    if (sym.size() < 2) return;
    if (sym.size() <= kQuadraticLimit) {
      // Few symbols: scan for the best pair each round (cache friendly, no heap).
      while (sym.size() > 1) {
        std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
        std::size_t at = 0;
        for (std::size_t i = 0; i + 1 < sym.size(); ++i) {
          const std::uint64_t v = lookup(sym[i], sym[i + 1]);
          if ((v >> 32) < (best >> 32)) {
            best = v;
            at = i;
          }
        }
        if (best == std::numeric_limits<std::uint64_t>::max()) break;
        sym[at] = static_cast<TokenId>(best & 0xffffffffu);
        sym.erase(sym.begin() + static_cast<std::ptrdiff_t>(at) + 1);
      }
      return;
    }
    // Many symbols: a doubly linked list and a min-heap of (rank, position), validated lazily.
    const auto n = static_cast<std::int32_t>(sym.size());
    auto& prev = cache.prev_;
    auto& next = cache.next_;
    prev.resize(static_cast<std::size_t>(n));
    next.resize(static_cast<std::size_t>(n));
    for (std::int32_t i = 0; i < n; ++i) {
      prev[static_cast<std::size_t>(i)] = i - 1;
      next[static_cast<std::size_t>(i)] = i + 1 < n ? i + 1 : -1;
    }
    struct Cand {
      std::uint32_t rank;
      std::int32_t pos;
      TokenId left, right;
      bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
    auto push = [&](std::int32_t i) {
      if (i < 0) return;
      const std::int32_t j = next[static_cast<std::size_t>(i)];
      if (j < 0) return;
      const std::uint64_t v = lookup(sym[static_cast<std::size_t>(i)], sym[static_cast<std::size_t>(j)]);
      if (v != std::numeric_limits<std::uint64_t>::max())
        heap.push({static_cast<std::uint32_t>(v >> 32), i, sym[static_cast<std::size_t>(i)], sym[static_cast<std::size_t>(j)]});
    };
    for (std::int32_t i = 0; i + 1 < n; ++i) push(i);
    while (!heap.empty()) {
      const Cand c = heap.top();
      heap.pop();
      const auto i = static_cast<std::size_t>(c.pos);
      const std::int32_t j = next[i];
      // Stale: the left symbol was merged away or changed, or its right neighbour changed.
      if (sym[i] != c.left || j < 0 || sym[static_cast<std::size_t>(j)] != c.right) continue;
      const std::uint64_t v = lookup(c.left, c.right);
      sym[i] = static_cast<TokenId>(v & 0xffffffffu);
      const std::int32_t k = next[static_cast<std::size_t>(j)];
      next[i] = k;
      if (k >= 0) prev[static_cast<std::size_t>(k)] = c.pos;
      sym[static_cast<std::size_t>(j)] = kRemoved;
      push(prev[i]);
      push(c.pos);
    }
    std::size_t w = 0;
    for (std::int32_t i = 0; i >= 0; i = next[static_cast<std::size_t>(i)]) sym[w++] = sym[static_cast<std::size_t>(i)];
    sym.resize(w);
  }

  void emit(const BpeCache& cache, std::vector<TokenId>& out) const {
    bool last_was_unk = false;
    for (TokenId s : cache.symbols_) {
      if (s >= 0) {
        out.push_back(s);
        last_was_unk = false;
        continue;
      }
      // Unknown: its bytes through byte fallback, else unk, else dropped (as HF tokenizers does).
      const std::string_view bytes = cache.unknown_[static_cast<std::size_t>(-s - 1)];
      bool fallback = options_.byte_fallback && options_.alphabet == BpeAlphabet::kChars;
      for (unsigned char c : bytes) fallback = fallback && byte_ids_[c] >= 0;
      if (fallback) {
        for (unsigned char c : bytes) out.push_back(byte_ids_[c]);
        last_was_unk = false;
      } else if (options_.unk) {
        if (!(options_.fuse_unk && last_was_unk)) out.push_back(*options_.unk);
        last_was_unk = true;
      }
    }
  }

  static constexpr TokenId kRemoved = std::numeric_limits<TokenId>::min();

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, TokenId> index_;
  detail::FlatMap64 table_;
  std::vector<BpeMerge> merges_;
  BpeOptions options_;
  std::array<TokenId, 256> byte_ids_{};
};

}  // namespace dapt::tokenizer
