/// @file search.hpp
/// @brief The vocabulary every retriever of `dapt::retrieval` shares: a `Hit` (an int64 id and its
/// score, higher is better), the `Metric` of a vector index, and the `Filter` predicate over ids
/// with which a caller restricts a search to the items whose metadata it accepts (the caller keeps
/// the metadata, keyed by id). FlatIndex, HnswIndex, Bm25 and the hybrid fusion all return
/// `std::vector<Hit>` sorted by descending score (ties by ascending id), so results compose.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "dapt/core/error.hpp"

namespace dapt::retrieval {

/// One search result: the item's id and its score (higher is better).
struct Hit {
  std::int64_t id = -1;
  float score = 0;
  friend bool operator==(const Hit&, const Hit&) = default;
};

/// Ranking order of hits: score descending, then id ascending (deterministic ties).
inline bool hit_before(const Hit& a, const Hit& b) noexcept {
  return a.score > b.score || (a.score == b.score && a.id < b.id);
}

/// Similarity of a vector index. kCosine normalises vectors to unit length when they are added
/// and queries when they are searched, then ranks by inner product.
enum class Metric : std::uint32_t { kInnerProduct = 0, kCosine = 1 };

constexpr std::string_view metric_name(Metric m) noexcept {
  return m == Metric::kCosine ? "cosine" : "inner_product";
}

/// Accepts an id or not (a metadata filter). An empty Filter accepts everything.
using Filter = std::function<bool(std::int64_t id)>;

/// Results of a batch of queries: one ranked list per query.
using HitLists = std::vector<std::vector<Hit>>;

/// A retriever as a function: the `k` best hits for `query`, ranked (best first). Fusion and
/// hard-negative mining take these, so every retriever composes with them. Wrap an index in a
/// lambda, e.g. `[&](std::string_view q, std::int64_t k) { return bm25.search(q, k); }`.
using Searcher = std::function<std::vector<Hit>(std::string_view query, std::int64_t k)>;

}  // namespace dapt::retrieval
