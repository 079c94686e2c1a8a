/// @file bm25.hpp
/// @brief Okapi BM25 keyword retrieval over any analyzer: the lexical half of ChipNeMo-style
/// hybrid retrieval, which catches exact identifiers (`clk_en`, `AXI_ARREADY`) that a dense
/// embedding blurs. The score of document d for query q is
///
///     score(q, d) = sum over query tokens t of idf(t) * tf(t, d) * (k1 + 1)
///                                                / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl))
///     idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
///
/// with Lucene's idf (BM25Similarity since Lucene 8, and Elasticsearch's), which is always
/// positive, unlike rank_bm25's BM25Okapi `ln((N - df + 0.5) / (df + 0.5))` that goes negative
/// for terms in more than half the documents. The (k1 + 1) factor, which Lucene 8 dropped, is
/// kept as in Robertson's formula and rank_bm25; it scales every score alike and changes no
/// ranking. A query token that occurs twice counts twice (as in rank_bm25 and a Lucene
/// BooleanQuery with a repeated clause). N, df and avgdl count the live documents only.
///
/// The index is inverted: each term keeps its postings (document row, term frequency), and a
/// search accumulates term at a time over the postings of the query's terms only, so its cost
/// is that of those postings, never a scan of every document. Removed documents are dropped from
/// the statistics at once and from the postings by a compaction (automatic when half the rows
/// are dead). Save and load use the shared index container (retrieval/detail/index_file.hpp,
/// kind 'BM25'); the analyzer is code and is not saved, but its name is, and loading with an
/// analyzer of another name is an error.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <queue>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/utf8.hpp"
#include "dapt/io/json.hpp"
#include "dapt/retrieval/detail/index_file.hpp"
#include "dapt/retrieval/search.hpp"

namespace dapt::retrieval {

/// Turns text into the terms BM25 counts: strings (`terms`) or integer term ids (`term_ids`,
/// such as a tokenizer's token ids). Exactly one of the two is set. `name` identifies the
/// analysis (its kind and configuration): an index stores it, and `Bm25::load` refuses an
/// analyzer of another name, because terms made by another analysis would silently match
/// nothing. The functions must be safe to call concurrently (`search_batch`, `add_batch`).
struct Analyzer {
  std::string name;
  std::function<std::vector<std::string>(std::string_view)> terms;
  std::function<std::vector<std::int64_t>(std::string_view)> term_ids;

  bool uses_ids() const noexcept { return static_cast<bool>(term_ids); }
};

/// An analyzer producing string terms.
inline Analyzer make_analyzer(std::string name, std::function<std::vector<std::string>(std::string_view)> fn) {
  DAPT_CHECK(static_cast<bool>(fn), "make_analyzer: the terms function of analyzer \"", name, "\" is empty");
  return Analyzer{std::move(name), std::move(fn), {}};
}

/// An analyzer producing integer term ids.
inline Analyzer make_id_analyzer(std::string name, std::function<std::vector<std::int64_t>(std::string_view)> fn) {
  DAPT_CHECK(static_cast<bool>(fn), "make_id_analyzer: the term id function of analyzer \"", name, "\" is empty");
  return Analyzer{std::move(name), {}, std::move(fn)};
}

/// Lucene's English stop words (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, 33 words).
inline std::vector<std::string> english_stop_words() {
  return {"a",    "an",   "and",  "are",   "as",    "at",   "be",   "but",  "by",  "for",  "if",
          "in",   "into", "is",   "it",    "no",    "not",  "of",   "on",   "or",  "such", "that",
          "the",  "their", "then", "there", "these", "they", "this", "to",   "was", "will", "with"};
}

struct DefaultAnalyzerOptions {
  /// Lowercase ASCII letters (non-ASCII text is kept as it is).
  bool lowercase = true;
  /// Terms dropped after lowercasing (for example english_stop_words()). Empty by default:
  /// in hardware documentation "in", "or" and "not" are often signal and port names.
  std::vector<std::string> stop_words;
  /// Terms shorter than this many bytes are dropped. At least 1.
  std::size_t min_length = 1;
};

namespace detail {

/// FNV-1a of a byte string (the analyzer fingerprints in names).
inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = kFnvOffset) noexcept {
  for (unsigned char c : s) h = (h ^ c) * kFnvPrime;
  return h;
}

inline std::string hex64(std::uint64_t v) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kHex[v & 15];
  return s;
}

/// Letters, digits and '_' of ASCII, and every byte of a multi-byte UTF-8 sequence, so that
/// identifiers such as clk_en stay whole and non-ASCII words are never split inside a sequence.
constexpr bool is_term_byte(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

}  // namespace detail

/// The default analyzer: terms are the maximal runs of ASCII letters, digits, '_' and non-ASCII
/// characters (every other ASCII character separates terms), ASCII-lowercased, without stop
/// words and terms shorter than `min_length`. "Set clk_en=1 (see AXI-4)" gives
/// [set, clk_en, 1, see, axi, 4]. Its name records the options and a hash of the stop words.
inline Analyzer default_analyzer(DefaultAnalyzerOptions options = {}) {
  DAPT_CHECK(options.min_length >= 1, "default_analyzer: min_length must be at least 1, got ", options.min_length);
  auto lower = [lc = options.lowercase](std::string s) {
    if (lc)
      for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
  };
  std::vector<std::string> stops;
  for (const std::string& w : options.stop_words) stops.push_back(lower(w));
  std::sort(stops.begin(), stops.end());
  stops.erase(std::unique(stops.begin(), stops.end()), stops.end());
  std::uint64_t h = detail::kFnvOffset;
  for (const std::string& w : stops) h = detail::fnv1a(std::string_view(w.data(), w.size() + 1), h);  // with NUL
  std::string name = "dapt.default(lowercase=";
  name += options.lowercase ? "true" : "false";
  name += ",min_length=" + std::to_string(options.min_length) + ",stop_words=" + std::to_string(stops.size());
  if (!stops.empty()) name += ":" + detail::hex64(h);
  name += ")";
  auto stop_set = std::make_shared<const std::unordered_set<std::string>>(stops.begin(), stops.end());
  const std::size_t min_length = options.min_length;
  return make_analyzer(std::move(name), [lower, stop_set, min_length](std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && !detail::is_term_byte(static_cast<unsigned char>(text[i]))) ++i;
      const std::size_t begin = i;
      while (i < text.size() && detail::is_term_byte(static_cast<unsigned char>(text[i]))) ++i;
      if (i - begin < min_length) continue;
      std::string term = lower(std::string(text.substr(begin, i - begin)));
      if (!stop_set->count(term)) out.push_back(std::move(term));
    }
    return out;
  });
}

/// What `tokenizer_analyzer` needs of a tokenizer: `encode(text)` giving token ids, and the
/// vocabulary (`vocab_size()`, `id_to_token(id)`) to fingerprint. dapt::tokenizer::Tokenizer
/// is one.
template <class T>
concept TermTokenizer = requires(const T& t, std::string_view text) {
  { t.encode(text) } -> std::ranges::range;
  { t.vocab_size() } -> std::convertible_to<std::size_t>;
  { t.id_to_token(0) } -> std::convertible_to<std::string_view>;
};

/// An id analyzer whose terms are the token ids of `tok` (encoded without special tokens), so
/// BM25 matches what the language model sees, including a domain-adapted vocabulary's long
/// tokens. The name is "dapt.tokenizer(vocab=V,fnv=...)", a fingerprint of every token string:
/// an index built with one vocabulary cannot be loaded with another. `tok` is held by
/// reference and must outlive the analyzer (and every Bm25 that uses it).
template <TermTokenizer Tok>
Analyzer tokenizer_analyzer(const Tok& tok) {
  const std::size_t vocab = tok.vocab_size();
  std::uint64_t h = detail::kFnvOffset;
  using Id = std::ranges::range_value_t<decltype(tok.encode(std::string_view{}))>;
  for (std::size_t i = 0; i < vocab; ++i) {
    const std::string_view t = tok.id_to_token(static_cast<Id>(i));
    h = detail::fnv1a(std::string_view(t.data(), t.size()), h);
    h = (h ^ 0xFFu) * detail::kFnvPrime;  // a separator no UTF-8 token contains
  }
  std::string name = "dapt.tokenizer(vocab=" + std::to_string(vocab) + ",fnv=" + detail::hex64(h) + ")";
  return make_id_analyzer(std::move(name), [&tok](std::string_view text) {
    std::vector<std::int64_t> out;
    for (const auto id : tok.encode(text)) out.push_back(static_cast<std::int64_t>(id));
    return out;
  });
}

struct Bm25Options {
  /// Term frequency saturation: 1.2 is Lucene's and Elasticsearch's default, 1.5 rank_bm25's.
  double k1 = 1.2;
  /// Length normalisation: 0 ignores document length, 1 normalises fully.
  double b = 0.75;
};

/// An Okapi BM25 index over documents with int64 ids (see the file brief for the formula).
///
/// ```cpp
/// Bm25 bm25(default_analyzer());
/// for (const Chunk& c : chunks) bm25.add(next_id++, c.text);
/// std::vector<Hit> hits = bm25.search("clk_en glitch", 10);
/// bm25.save("docs.bm25");
/// Bm25 again = Bm25::load("docs.bm25", default_analyzer());
/// ```
/// Searching is const and thread-safe; adding and removing are not (no search may run then).
class Bm25 {
 public:
  /// Throws kInvalidArgument when the analyzer has no function or both, or an option is out of
  /// range (k1 >= 0, 0 <= b <= 1, both finite).
  explicit Bm25(Analyzer analyzer, Bm25Options options = {}) : analyzer_(std::move(analyzer)), options_(options) {
    DAPT_CHECK(static_cast<bool>(analyzer_.terms) != static_cast<bool>(analyzer_.term_ids), "Bm25: analyzer \"",
               analyzer_.name, "\" must set exactly one of terms and term_ids");
    DAPT_CHECK(std::isfinite(options_.k1) && options_.k1 >= 0, "Bm25: k1 must be finite and >= 0, got ", options_.k1);
    DAPT_CHECK(std::isfinite(options_.b) && options_.b >= 0 && options_.b <= 1, "Bm25: b must be in [0, 1], got ",
               options_.b);
  }

  const Analyzer& analyzer() const noexcept { return analyzer_; }
  const Bm25Options& options() const noexcept { return options_; }
  /// Live documents.
  std::int64_t size() const noexcept { return static_cast<std::int64_t>(live_); }
  bool empty() const noexcept { return live_ == 0; }
  /// Distinct terms seen (including those whose documents were all removed).
  std::int64_t term_count() const noexcept { return static_cast<std::int64_t>(term_keys_.size()); }
  bool contains(std::int64_t id) const { return row_of_.count(id) != 0; }
  /// The number of terms (tokens) of document `id`; kOutOfRange when it is not in the index.
  std::int64_t document_length(std::int64_t id) const { return lengths_[require_row(id, "document_length")]; }
  /// The mean document length over the live documents (0 when empty).
  double average_length() const noexcept {
    return live_ == 0 ? 0.0 : static_cast<double>(total_length_) / static_cast<double>(live_);
  }

  /// Adds document `id`. Throws kInvalidArgument when `id` is already present (remove it first)
  /// or `text` is not valid UTF-8.
  void add(std::int64_t id, std::string_view text) {
    DAPT_CHECK(!contains(id), "Bm25::add: document id ", id, " is already in the index (remove it first)");
    check_text(text, id);
    insert(id, analyze(text));
  }

  /// Adds many documents, analysing them on dapt's threads. All ids are checked before anything
  /// is added, so a refused batch (a present or repeated id, invalid UTF-8) changes nothing.
  void add_batch(std::span<const std::int64_t> ids, std::span<const std::string> texts) {
    DAPT_CHECK(ids.size() == texts.size(), "Bm25::add_batch: ", ids.size(), " ids but ", texts.size(), " texts");
    std::unordered_set<std::int64_t> seen;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      DAPT_CHECK(!contains(ids[i]), "Bm25::add_batch: document id ", ids[i], " is already in the index");
      DAPT_CHECK(seen.insert(ids[i]).second, "Bm25::add_batch: document id ", ids[i], " appears twice in the batch");
      check_text(texts[i], ids[i]);
    }
    std::vector<std::vector<std::string>> analysed(ids.size());
    parallel_for(0, static_cast<std::int64_t>(ids.size()),
                 [&](std::int64_t i) { analysed[static_cast<std::size_t>(i)] = analyze(texts[static_cast<std::size_t>(i)]); });
    for (std::size_t i = 0; i < ids.size(); ++i) insert(ids[i], std::move(analysed[i]));
  }

  /// Removes document `id`; returns false (and changes nothing) when it is not in the index.
  bool remove(std::int64_t id) {
    const auto it = row_of_.find(id);
    if (it == row_of_.end()) return false;
    const std::uint32_t row = it->second;
    row_of_.erase(it);
    for (std::uint64_t j = row_terms_begin_[row]; j < row_terms_begin_[row + 1]; ++j) --df_[row_terms_[j]];
    alive_[row] = 0;
    --live_;
    total_length_ -= lengths_[row];
    if (2 * (ids_.size() - live_) > ids_.size() && ids_.size() >= 64) compact();
    return true;
  }

  /// Removes the given ids (unknown or repeated ids are ignored, as in FlatIndex::remove) and
  /// returns how many were removed.
  std::int64_t remove(std::span<const std::int64_t> ids) {
    std::int64_t removed = 0;
    for (std::int64_t id : ids) removed += remove(id) ? 1 : 0;
    return removed;
  }

  /// Drops removed documents from the postings and renumbers the rows (automatic when half the
  /// rows are dead; call it before a long read-only phase to reclaim the memory at once).
  void compact() {
    if (live_ == ids_.size()) return;
    std::vector<std::uint32_t> new_row(ids_.size(), kNoRow);
    std::uint32_t next = 0;
    for (std::size_t r = 0; r < ids_.size(); ++r)
      if (alive_[r]) new_row[r] = next++;
    for (auto& list : postings_) {
      std::size_t w = 0;
      for (const Posting& p : list)
        if (new_row[p.row] != kNoRow) list[w++] = Posting{new_row[p.row], p.tf};
      list.resize(w);
      list.shrink_to_fit();
    }
    std::vector<std::int64_t> ids;
    std::vector<std::uint32_t> lengths, terms;
    std::vector<std::uint64_t> begin{0};
    ids.reserve(live_);
    lengths.reserve(live_);
    begin.reserve(live_ + 1);
    for (std::size_t r = 0; r < ids_.size(); ++r) {
      if (!alive_[r]) continue;
      ids.push_back(ids_[r]);
      lengths.push_back(lengths_[r]);
      terms.insert(terms.end(), row_terms_.begin() + static_cast<std::ptrdiff_t>(row_terms_begin_[r]),
                   row_terms_.begin() + static_cast<std::ptrdiff_t>(row_terms_begin_[r + 1]));
      begin.push_back(terms.size());
      row_of_[ids_[r]] = new_row[r];
    }
    ids_ = std::move(ids);
    lengths_ = std::move(lengths);
    row_terms_ = std::move(terms);
    row_terms_begin_ = std::move(begin);
    alive_.assign(ids_.size(), 1);
  }

  /// The `k` best documents for `query` that `filter` accepts, by descending score (ties by
  /// ascending id). Only documents holding at least one query term are returned, so fewer than
  /// k may come back; a query without known terms returns none. Throws kInvalidArgument when
  /// k < 1 or the query is not valid UTF-8.
  std::vector<Hit> search(std::string_view query, std::int64_t k, const Filter& filter = {}) const {
    DAPT_CHECK(k >= 1, "Bm25::search: k must be at least 1, got ", k);
    check_query(query, 0);
    Scratch scratch;
    return search_with(query, k, filter, scratch);
  }

  /// `search` for each query, on dapt's threads (the analyzer and `filter` must be thread-safe).
  HitLists search_batch(std::span<const std::string> queries, std::int64_t k, const Filter& filter = {}) const {
    DAPT_CHECK(k >= 1, "Bm25::search_batch: k must be at least 1, got ", k);
    for (std::size_t i = 0; i < queries.size(); ++i) check_query(queries[i], i);
    HitLists out(queries.size());
    const auto n = static_cast<std::int64_t>(queries.size());
    const std::int64_t threads = std::max<std::int64_t>(1, std::min<std::int64_t>(num_threads(), n));
    // One scratch per thread, reused across its queries, so the dense accumulator is allocated
    // once per thread rather than once per query.
    std::vector<Scratch> scratch(static_cast<std::size_t>(threads));
    parallel_for(0, threads, [&](std::int64_t t) {
      for (std::int64_t i = t; i < n; i += threads)
        out[static_cast<std::size_t>(i)] =
            search_with(queries[static_cast<std::size_t>(i)], k, filter, scratch[static_cast<std::size_t>(t)]);
    });
    return out;
  }

  /// Writes the index (live documents only) to `path` atomically, as an index file of kind
  /// 'BM25' with the analyzer's name and the options.
  void save(const std::filesystem::path& path) const {
    std::vector<std::uint32_t> new_row(ids_.size(), kNoRow);
    std::vector<std::int64_t> ids;
    std::vector<std::uint32_t> lengths;
    for (std::size_t r = 0; r < ids_.size(); ++r) {
      if (!alive_[r]) continue;
      new_row[r] = static_cast<std::uint32_t>(ids.size());
      ids.push_back(ids_[r]);
      lengths.push_back(lengths_[r]);
    }
    std::vector<std::uint64_t> term_offsets{0}, posting_offsets{0};
    std::string term_bytes;
    std::vector<std::uint32_t> rows, tfs;
    for (std::size_t t = 0; t < term_keys_.size(); ++t) {
      term_bytes += term_keys_[t];
      term_offsets.push_back(term_bytes.size());
      for (const Posting& p : postings_[t]) {
        if (new_row[p.row] == kNoRow) continue;
        rows.push_back(new_row[p.row]);
        tfs.push_back(p.tf);
      }
      posting_offsets.push_back(rows.size());
    }
    io::json::object meta;
    meta["format"] = "dapt.bm25";
    meta["version"] = 1;
    meta["analyzer"] = analyzer_.name;
    meta["term_kind"] = analyzer_.uses_ids() ? "id" : "string";
    meta["k1"] = options_.k1;
    meta["b"] = options_.b;
    meta["documents"] = ids.size();
    meta["terms"] = term_keys_.size();
    meta["postings"] = rows.size();
    meta["total_length"] = total_length_;
    detail::IndexFileWriter w(kFileKind);
    w.add_json("meta", meta);
    w.add_section("ids", std::span<const std::int64_t>(ids));
    w.add_section("lengths", std::span<const std::uint32_t>(lengths));
    w.add_section("term_offsets", std::span<const std::uint64_t>(term_offsets));
    w.add_section("term_bytes", std::as_bytes(std::span<const char>(term_bytes.data(), term_bytes.size())));
    w.add_section("posting_offsets", std::span<const std::uint64_t>(posting_offsets));
    w.add_section("posting_rows", std::span<const std::uint32_t>(rows));
    w.add_section("posting_tfs", std::span<const std::uint32_t>(tfs));
    w.commit(path);
  }

  /// Loads an index saved by `save`, to be analysed by `analyzer`. Throws kIo when the file
  /// cannot be read, kFormat when it is corrupt or inconsistent (naming the path and the fault),
  /// and kConfig when `analyzer` is not the one the index was built with (another name, or ids
  /// where the index holds strings or the reverse).
  static Bm25 load(const std::filesystem::path& path, Analyzer analyzer) {
    const detail::IndexFile file = detail::IndexFile::open(path, kFileKind);
    const std::string src = path.string();
    const io::json::object meta_obj = file.json_object("meta");
    const io::JsonFields meta(meta_obj, src + ": section \"meta\"", ErrorCategory::kFormat);
    auto bad = [&](const auto&... parts) { DAPT_FAIL(ErrorCategory::kFormat, src, ": ", parts...); };
    if (meta.require_string("format") != "dapt.bm25") bad("not a BM25 index (meta.format)");
    if (meta.require_int("version") != 1) bad("unknown BM25 index version ", meta.require_int("version"));
    const std::string name = meta.require_string("analyzer");
    const std::string kind = meta.require_string("term_kind");
    if (kind != "id" && kind != "string") bad("meta.term_kind must be \"id\" or \"string\", got \"", kind, "\"");
    if (name != analyzer.name)
      DAPT_FAIL(ErrorCategory::kConfig, src, ": the index was built with analyzer \"", name,
                "\" but the analyzer given to load is \"", analyzer.name, "\"");
    if ((kind == "id") != analyzer.uses_ids())
      DAPT_FAIL(ErrorCategory::kConfig, src, ": the index holds ", kind, " terms but analyzer \"", analyzer.name,
                "\" produces ", analyzer.uses_ids() ? "ids" : "strings");
    Bm25Options options{meta.require_number("k1"), meta.require_number("b")};
    if (!(std::isfinite(options.k1) && options.k1 >= 0 && std::isfinite(options.b) && options.b >= 0 && options.b <= 1))
      bad("k1 = ", options.k1, " or b = ", options.b, " is out of range");
    const std::int64_t n_docs = meta.require_int("documents"), n_terms = meta.require_int("terms");
    const std::int64_t n_postings = meta.require_int("postings"), total = meta.require_int("total_length");
    if (n_docs < 0 || n_docs >= static_cast<std::int64_t>(kNoRow) || n_terms < 0 || n_terms >= (std::int64_t{1} << 32) ||
        n_postings < 0 || total < 0)
      bad("negative or too large counts in meta");

    const auto ids = file.section_as<std::int64_t>("ids", static_cast<std::uint64_t>(n_docs));
    const auto lengths = file.section_as<std::uint32_t>("lengths", static_cast<std::uint64_t>(n_docs));
    const auto term_offsets = file.section_as<std::uint64_t>("term_offsets", static_cast<std::uint64_t>(n_terms) + 1);
    const auto term_bytes = file.section("term_bytes");
    const auto posting_offsets = file.section_as<std::uint64_t>("posting_offsets", static_cast<std::uint64_t>(n_terms) + 1);
    const auto rows = file.section_as<std::uint32_t>("posting_rows", static_cast<std::uint64_t>(n_postings));
    const auto tfs = file.section_as<std::uint32_t>("posting_tfs", static_cast<std::uint64_t>(n_postings));

    Bm25 out(std::move(analyzer), options);
    for (std::int64_t r = 0; r < n_docs; ++r) {
      if (!out.row_of_.emplace(ids[static_cast<std::size_t>(r)], static_cast<std::uint32_t>(r)).second)
        bad("document id ", ids[static_cast<std::size_t>(r)], " appears twice");
    }
    out.ids_.assign(ids.begin(), ids.end());
    out.lengths_.assign(lengths.begin(), lengths.end());
    out.alive_.assign(static_cast<std::size_t>(n_docs), 1);
    out.live_ = static_cast<std::size_t>(n_docs);
    if (term_offsets[0] != 0 || posting_offsets[0] != 0) bad("term or posting offsets do not start at 0");
    if (term_offsets.back() != term_bytes.size())
      bad("term offsets end at ", term_offsets.back(), " but section \"term_bytes\" has ", term_bytes.size(), " bytes");
    if (posting_offsets.back() != static_cast<std::uint64_t>(n_postings))
      bad("posting offsets end at ", posting_offsets.back(), " but there are ", n_postings, " postings");
    const char* chars = reinterpret_cast<const char*>(term_bytes.data());
    std::vector<std::uint64_t> length_sum(static_cast<std::size_t>(n_docs), 0);
    std::vector<std::vector<std::uint32_t>> doc_terms(static_cast<std::size_t>(n_docs));
    out.term_keys_.reserve(static_cast<std::size_t>(n_terms));
    out.postings_.resize(static_cast<std::size_t>(n_terms));
    out.df_.resize(static_cast<std::size_t>(n_terms));
    for (std::size_t t = 0; t < static_cast<std::size_t>(n_terms); ++t) {
      if (term_offsets[t + 1] < term_offsets[t]) bad("term offsets decrease at term ", t);
      if (posting_offsets[t + 1] < posting_offsets[t]) bad("posting offsets decrease at term ", t);
      std::string key(chars + term_offsets[t], static_cast<std::size_t>(term_offsets[t + 1] - term_offsets[t]));
      if (kind == "id" && key.size() != 8) bad("term ", t, " of an id index has ", key.size(), " bytes, not 8");
      if (!out.term_index_.emplace(key, static_cast<std::uint32_t>(t)).second) bad("term ", t, " appears twice");
      out.term_keys_.push_back(std::move(key));
      auto& list = out.postings_[t];
      list.reserve(static_cast<std::size_t>(posting_offsets[t + 1] - posting_offsets[t]));
      for (std::uint64_t j = posting_offsets[t]; j < posting_offsets[t + 1]; ++j) {
        const std::uint32_t row = rows[static_cast<std::size_t>(j)], tf = tfs[static_cast<std::size_t>(j)];
        if (row >= static_cast<std::uint64_t>(n_docs)) bad("posting ", j, " names row ", row, " of ", n_docs);
        if (tf == 0) bad("posting ", j, " has term frequency 0");
        if (!list.empty() && row <= list.back().row) bad("the postings of term ", t, " are not in increasing row order");
        list.push_back(Posting{row, tf});
        length_sum[row] += tf;
        doc_terms[row].push_back(static_cast<std::uint32_t>(t));
      }
      out.df_[t] = static_cast<std::uint32_t>(list.size());
    }
    std::uint64_t total_sum = 0;
    out.row_terms_begin_.assign(1, 0);
    for (std::size_t r = 0; r < static_cast<std::size_t>(n_docs); ++r) {
      if (length_sum[r] != lengths[r])
        bad("document ", ids[r], " has length ", lengths[r], " but its postings sum to ", length_sum[r]);
      total_sum += lengths[r];
      out.row_terms_.insert(out.row_terms_.end(), doc_terms[r].begin(), doc_terms[r].end());
      out.row_terms_begin_.push_back(out.row_terms_.size());
    }
    if (total_sum != static_cast<std::uint64_t>(total)) bad("meta.total_length ", total, " disagrees with the documents (", total_sum, ")");
    out.total_length_ = total_sum;
    return out;
  }

 private:
  struct Posting {
    std::uint32_t row;
    std::uint32_t tf;
  };

  /// Per-search buffers: a dense accumulator over rows (with the list of rows it touched, so
  /// that resetting it costs only what the search touched), or pairs for a sparse search.
  struct Scratch {
    std::vector<double> acc;
    std::vector<std::uint32_t> touched;
    std::vector<std::pair<std::uint32_t, double>> pairs;
  };

  /// Transparent hashing, so that a query term is looked up without copying it into a string.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  static constexpr std::uint32_t kNoRow = 0xFFFFFFFFu;
  static constexpr std::uint32_t kFileKind = detail::index_kind("BM25");

  static void check_text(std::string_view text, std::int64_t id) {
    if (const auto bad = first_invalid_utf8(text))
      DAPT_FAIL(ErrorCategory::kInvalidArgument, "Bm25::add: the text of document ", id,
                " is not valid UTF-8 (byte offset ", *bad, ")");
  }
  static void check_query(std::string_view query, std::size_t index) {
    if (const auto bad = first_invalid_utf8(query))
      DAPT_FAIL(ErrorCategory::kInvalidArgument, "Bm25::search: query ", index, " is not valid UTF-8 (byte offset ",
                *bad, ")");
  }

  std::uint32_t require_row(std::int64_t id, const char* what) const {
    const auto it = row_of_.find(id);
    if (it == row_of_.end()) DAPT_FAIL(ErrorCategory::kOutOfRange, "Bm25::", what, ": document id ", id, " is not in the index");
    return it->second;
  }

  /// The analyzer's terms as map keys: strings as they are, ids as their 8 little-endian bytes.
  std::vector<std::string> analyze(std::string_view text) const {
    if (!analyzer_.uses_ids()) return analyzer_.terms(text);
    const std::vector<std::int64_t> ids = analyzer_.term_ids(text);
    std::vector<std::string> keys(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) keys[i].assign(reinterpret_cast<const char*>(&ids[i]), 8);
    return keys;
  }

  void insert(std::int64_t id, std::vector<std::string> terms) {
    DAPT_CHECK(ids_.size() < kNoRow, "Bm25::add: the index holds at most ", kNoRow - 1, " rows");
    DAPT_CHECK(terms.size() < kNoRow, "Bm25::add: document ", id, " has ", terms.size(), " terms, more than ", kNoRow - 1);
    std::vector<std::uint32_t> t(terms.size());
    for (std::size_t i = 0; i < terms.size(); ++i) {
      auto it = term_index_.find(terms[i]);
      if (it == term_index_.end()) {
        DAPT_CHECK(term_keys_.size() < kNoRow, "Bm25::add: the index holds at most ", kNoRow - 1, " terms");
        it = term_index_.emplace(terms[i], static_cast<std::uint32_t>(term_keys_.size())).first;
        term_keys_.push_back(std::move(terms[i]));
        postings_.emplace_back();
        df_.push_back(0);
      }
      t[i] = it->second;
    }
    std::sort(t.begin(), t.end());
    const auto row = static_cast<std::uint32_t>(ids_.size());
    for (std::size_t i = 0; i < t.size();) {
      std::size_t j = i;
      while (j < t.size() && t[j] == t[i]) ++j;
      postings_[t[i]].push_back(Posting{row, static_cast<std::uint32_t>(j - i)});
      ++df_[t[i]];
      row_terms_.push_back(t[i]);
      i = j;
    }
    row_terms_begin_.push_back(row_terms_.size());
    ids_.push_back(id);
    lengths_.push_back(static_cast<std::uint32_t>(t.size()));
    alive_.push_back(1);
    row_of_.emplace(id, row);
    ++live_;
    total_length_ += t.size();
  }

  std::vector<Hit> search_with(std::string_view query, std::int64_t k, const Filter& filter, Scratch& s) const {
    std::vector<Hit> out;
    if (live_ == 0) return out;
    // Known query terms with their multiplicity, in term order (a fixed order of additions
    // makes every score independent of the path below).
    std::vector<std::uint32_t> q;
    for (const std::string& term : analyze(query))
      if (const auto it = term_index_.find(std::string_view(term)); it != term_index_.end() && df_[it->second] > 0)
        q.push_back(it->second);
    if (q.empty()) return out;
    std::sort(q.begin(), q.end());

    const double n = static_cast<double>(live_);
    const double k1 = options_.k1, b = options_.b;
    const double norm_const = k1 * (1 - b), norm_slope = k1 * b / average_length_nonzero();
    std::size_t total_postings = 0;
    for (std::size_t i = 0; i < q.size(); ++i)
      if (i == 0 || q[i] != q[i - 1]) total_postings += postings_[q[i]].size();
    // Dense accumulation costs a buffer of one double per row; sparse costs a sort of the
    // touched postings. Dense once the buffer exists or the postings are a fair share of rows.
    const bool dense = s.acc.size() == ids_.size() || total_postings * 8 >= ids_.size();
    if (dense && s.acc.size() != ids_.size()) s.acc.assign(ids_.size(), 0.0);
    s.touched.clear();
    s.pairs.clear();
    for (std::size_t i = 0; i < q.size();) {
      const std::uint32_t t = q[i];
      std::size_t j = i;
      while (j < q.size() && q[j] == t) ++j;
      const double df = static_cast<double>(df_[t]);
      const double weight = static_cast<double>(j - i) * std::log(1.0 + (n - df + 0.5) / (df + 0.5)) * (k1 + 1);
      for (const Posting& p : postings_[t]) {
        if (!alive_[p.row]) continue;
        const double tf = static_cast<double>(p.tf);
        const double c = weight * tf / (tf + norm_const + norm_slope * static_cast<double>(lengths_[p.row]));
        if (dense) {
          if (s.acc[p.row] == 0.0) s.touched.push_back(p.row);
          s.acc[p.row] += c;
        } else {
          s.pairs.emplace_back(p.row, c);
        }
      }
      i = j;
    }
    if (!dense) {
      // Stable, so each row's contributions are summed in term order, as the dense path does.
      std::stable_sort(s.pairs.begin(), s.pairs.end(), [](const auto& a, const auto& b2) { return a.first < b2.first; });
      // Each row's sum goes to pairs[touched index], in place: that index is at most i.
      for (std::size_t i = 0; i < s.pairs.size();) {
        const std::uint32_t row = s.pairs[i].first;
        double sum = 0;
        std::size_t j = i;
        for (; j < s.pairs.size() && s.pairs[j].first == row; ++j) sum += s.pairs[j].second;
        s.pairs[s.touched.size()] = {row, sum};
        s.touched.push_back(row);
        i = j;
      }
    }
    // A min-heap (worst hit on top) keeps the k best.
    const auto worse = [](const Hit& a, const Hit& c) { return hit_before(a, c); };
    std::priority_queue<Hit, std::vector<Hit>, decltype(worse)> heap(worse);
    for (std::size_t i = 0; i < s.touched.size(); ++i) {
      const std::uint32_t row = s.touched[i];
      double score = 0;
      if (dense) {
        score = s.acc[row];
        s.acc[row] = 0.0;
      } else {
        score = s.pairs[i].second;
      }
      if (filter && !filter(ids_[row])) continue;
      const Hit h{ids_[row], static_cast<float>(score)};
      if (static_cast<std::int64_t>(heap.size()) < k) {
        heap.push(h);
      } else if (hit_before(h, heap.top())) {
        heap.pop();
        heap.push(h);
      }
    }
    out.resize(heap.size());
    for (std::size_t i = out.size(); i-- > 0; heap.pop()) out[i] = heap.top();
    return out;
  }

  double average_length_nonzero() const noexcept {
    const double a = average_length();
    return a > 0 ? a : 1.0;  // every live document is empty: lengths are 0, the slope is moot
  }

  Analyzer analyzer_;
  Bm25Options options_;
  // Terms: key (string, or an id's 8 bytes) -> term index, and back.
  std::unordered_map<std::string, std::uint32_t, KeyHash, std::equal_to<>> term_index_;
  std::vector<std::string> term_keys_;
  std::vector<std::vector<Posting>> postings_;  // per term, rows increasing (dead rows until compact)
  std::vector<std::uint32_t> df_;               // per term: live documents holding it
  // Rows: one per added document, dead after remove until compact.
  std::vector<std::int64_t> ids_;
  std::vector<std::uint32_t> lengths_;
  std::vector<std::uint8_t> alive_;
  std::vector<std::uint32_t> row_terms_;             // the distinct terms of each row (for remove)
  std::vector<std::uint64_t> row_terms_begin_{0};    // row r's terms: [begin[r], begin[r + 1])
  std::unordered_map<std::int64_t, std::uint32_t> row_of_;  // live ids only
  std::size_t live_ = 0;
  std::uint64_t total_length_ = 0;
};

}  // namespace dapt::retrieval
