/// @file hybrid.hpp
/// @brief Hybrid retrieval: reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009)
/// of ranked lists, and a `HybridRetriever` that fuses a dense searcher (FlatIndex, HnswIndex
/// behind an embedder) with a lexical one (Bm25). RRF uses ranks only, never scores, so lists
/// whose scores live on different scales (cosine similarities, BM25 sums) fuse without any
/// calibration: an item's fused score is sum_i w_i / (rrf_k + rank_i) over the lists that hold
/// it, with 1-based ranks and rrf_k = 60 as in the paper. A `Searcher` is the common currency of
/// every retriever here: a function from a query and a count to ranked hits.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/retrieval/search.hpp"

namespace dapt::retrieval {

/// Fuses ranked lists by reciprocal rank fusion and returns the `k` best items.
///
/// An item at position p (0-based) of list i earns weights[i] / (rrf_k + p + 1); its fused score
/// is the sum over the lists that hold it (an item missing from a list earns nothing there; an
/// id repeated within one list counts at its first, best, rank only). The sums are taken in
/// double and returned as float, ranked by `hit_before` (score descending, ties by ascending
/// id), so the result is deterministic and independent of hash order. The lists are taken in
/// the order given, whatever their scores. Empty `weights` means 1 for every list.
/// Throws kInvalidArgument when k < 1, rrf_k is negative or not finite, or `weights` has
/// another size than `lists` or a negative or non-finite entry.
inline std::vector<Hit> rrf_fuse(std::span<const std::vector<Hit>> lists, std::int64_t k, double rrf_k = 60.0,
                                 std::span<const double> weights = {}) {
  DAPT_CHECK(k >= 1, "rrf_fuse: k must be at least 1, got ", k);
  DAPT_CHECK(std::isfinite(rrf_k) && rrf_k >= 0, "rrf_fuse: rrf_k must be finite and >= 0, got ", rrf_k);
  DAPT_CHECK(weights.empty() || weights.size() == lists.size(), "rrf_fuse: ", weights.size(), " weights for ",
             lists.size(), " lists");
  for (std::size_t i = 0; i < weights.size(); ++i)
    DAPT_CHECK(std::isfinite(weights[i]) && weights[i] >= 0, "rrf_fuse: weights[", i,
               "] must be finite and >= 0, got ", weights[i]);
  // Items in first-seen order with their sums; lists are added in order, so each sum is
  // accumulated in the same order on every run.
  struct Item {
    std::int64_t id;
    double sum;
    std::size_t last_list;  // the list that counted it last (to skip repeats within a list)
  };
  std::unordered_map<std::int64_t, std::size_t> slot;
  std::vector<Item> items;
  for (std::size_t i = 0; i < lists.size(); ++i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    for (std::size_t p = 0; p < lists[i].size(); ++p) {
      const std::int64_t id = lists[i][p].id;
      const auto [it, added] = slot.try_emplace(id, items.size());
      if (added) {
        items.push_back(Item{id, 0.0, i});
      } else if (items[it->second].last_list == i) {
        continue;
      }
      Item& item = items[it->second];
      item.last_list = i;
      item.sum += w / (rrf_k + static_cast<double>(p + 1));
    }
  }
  std::vector<Hit> out;
  out.reserve(items.size());
  for (const Item& item : items) out.push_back(Hit{item.id, static_cast<float>(item.sum)});
  const std::size_t keep = std::min<std::size_t>(out.size(), static_cast<std::size_t>(k));
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), hit_before);
  out.resize(keep);
  return out;
}

struct HybridOptions {
  /// Hits taken from each searcher before fusing (at least the k of a search, which is used
  /// when larger). More candidates let an item ranked low by one searcher and high by the other
  /// surface.
  std::int64_t candidates = 50;
  /// The RRF constant (60 in the paper, and in Elasticsearch and OpenSearch).
  double rrf_k = 60.0;
  /// Weights of the dense and the lexical list in the fusion.
  double dense_weight = 1.0;
  double lexical_weight = 1.0;
};

/// Dense + lexical retrieval fused by RRF: each searcher returns its top `candidates`, and the
/// fused top k is returned. Thread-safe when both searchers are.
///
/// ```cpp
/// HybridRetriever hybrid(
///     dapt::embed::dense_searcher(embedder, tok, index),   // dapt/embed/embedder.hpp
///     [&](std::string_view q, std::int64_t k) { return bm25.search(q, k); });
/// std::vector<Hit> hits = hybrid.search("what drives clk_en?", 8);
/// ```
class HybridRetriever {
 public:
  /// Throws kInvalidArgument when a searcher is empty or an option is out of range.
  HybridRetriever(Searcher dense, Searcher lexical, HybridOptions options = {})
      : dense_(std::move(dense)), lexical_(std::move(lexical)), options_(options) {
    DAPT_CHECK(static_cast<bool>(dense_), "HybridRetriever: the dense searcher is empty");
    DAPT_CHECK(static_cast<bool>(lexical_), "HybridRetriever: the lexical searcher is empty");
    DAPT_CHECK(options_.candidates >= 1, "HybridRetriever: candidates must be at least 1, got ", options_.candidates);
    const double w[2] = {options_.dense_weight, options_.lexical_weight};
    std::vector<std::vector<Hit>> none(2);
    (void)rrf_fuse(none, 1, options_.rrf_k, w);  // validates rrf_k and the weights once, here
  }

  const HybridOptions& options() const noexcept { return options_; }

  /// The fused `k` best hits for `query`. Throws kInvalidArgument when k < 1; whatever a
  /// searcher throws passes through.
  std::vector<Hit> search(std::string_view query, std::int64_t k) const {
    DAPT_CHECK(k >= 1, "HybridRetriever::search: k must be at least 1, got ", k);
    const std::int64_t n = std::max(k, options_.candidates);
    const std::vector<Hit> lists[2] = {dense_(query, n), lexical_(query, n)};
    const double w[2] = {options_.dense_weight, options_.lexical_weight};
    return rrf_fuse(lists, k, options_.rrf_k, w);
  }

  /// This retriever as a Searcher (to fuse it further, or to mine hard negatives with it). The
  /// retriever must outlive the returned function.
  Searcher searcher() const {
    return [this](std::string_view query, std::int64_t k) { return search(query, k); };
  }

 private:
  Searcher dense_;
  Searcher lexical_;
  HybridOptions options_;
};

}  // namespace dapt::retrieval
