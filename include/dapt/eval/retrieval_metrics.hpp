/// @file retrieval_metrics.hpp
/// @brief Retrieval quality, as ChipNeMo reports its retriever's hit rate and as BEIR and
/// pytrec_eval report recall, MRR and nDCG: ranked result lists (HitLists, one per query)
/// against the set of relevant ids of each query, with binary relevance. For one query with
/// relevant set R and ranked ids r_1, r_2, ... (an id repeated in a list counts at its first
/// rank only):
///
///     recall@k = |R ∩ {r_1..r_k}| / |R|                (BEIR's recall, not capped at k)
///     hit@k    = 1 if R ∩ {r_1..r_k} is not empty, else 0
///     RR@k     = 1 / (first rank i <= k with r_i in R), or 0 when there is none
///     nDCG@k   = (sum_{i<=k, r_i in R} 1 / log2(i + 1)) / (sum_{i=1}^{min(k,|R|)} 1 / log2(i + 1))
///
/// Each metric is the mean over the queries that have at least one relevant id: a query with an
/// empty relevant set has no defined recall, so it is skipped (pytrec_eval likewise scores only
/// the queries present in the qrels) and counted in `RetrievalMetrics::skipped`.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_set>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/retrieval/search.hpp"

namespace dapt::eval {

/// The metrics of a batch of queries at one cutoff k (means over the evaluated queries).
struct RetrievalMetrics {
  std::int64_t k = 0;
  double recall = 0;   ///< mean recall@k
  double hit_rate = 0; ///< mean hit@k: the fraction of queries with a relevant id in the top k
  double mrr = 0;      ///< mean reciprocal rank, cut at k
  double ndcg = 0;     ///< mean nDCG@k
  std::int64_t queries = 0;  ///< queries evaluated (with at least one relevant id)
  std::int64_t skipped = 0;  ///< queries skipped for an empty relevant set
};

namespace detail {

/// The per-query terms of every metric, accumulated over the queries; `cutoff` < 0 means none.
inline RetrievalMetrics retrieval_sums(const retrieval::HitLists& results,
                                       std::span<const std::vector<std::int64_t>> relevant, std::int64_t cutoff,
                                       const char* what) {
  DAPT_CHECK(results.size() == relevant.size(), what, ": ", results.size(), " result lists but ", relevant.size(),
             " relevant sets");
  RetrievalMetrics m;
  m.k = cutoff;
  for (std::size_t q = 0; q < results.size(); ++q) {
    const std::unordered_set<std::int64_t> rel(relevant[q].begin(), relevant[q].end());
    if (rel.empty()) {
      ++m.skipped;
      continue;
    }
    ++m.queries;
    const std::vector<retrieval::Hit>& hits = results[q];
    const std::size_t n = cutoff < 0 ? hits.size() : std::min(hits.size(), static_cast<std::size_t>(cutoff));
    std::unordered_set<std::int64_t> seen;
    std::size_t found = 0;
    double dcg = 0, rr = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t id = hits[i].id;
      if (!rel.count(id) || !seen.insert(id).second) continue;
      ++found;
      dcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
      if (rr == 0) rr = 1.0 / static_cast<double>(i + 1);
    }
    double ideal = 0;
    const std::size_t ideal_n = cutoff < 0 ? rel.size() : std::min(rel.size(), static_cast<std::size_t>(cutoff));
    for (std::size_t i = 0; i < ideal_n; ++i) ideal += 1.0 / std::log2(static_cast<double>(i) + 2.0);
    m.recall += static_cast<double>(found) / static_cast<double>(rel.size());
    m.hit_rate += found > 0 ? 1.0 : 0.0;
    m.mrr += rr;
    m.ndcg += dcg / ideal;
  }
  DAPT_CHECK(m.queries > 0, what, ": none of the ", results.size(), " queries has a relevant id");
  const double n = static_cast<double>(m.queries);
  m.recall /= n;
  m.hit_rate /= n;
  m.mrr /= n;
  m.ndcg /= n;
  return m;
}

inline void check_k(std::int64_t k, const char* what) {
  DAPT_CHECK(k >= 1, what, ": k must be at least 1, got ", k);
}

}  // namespace detail

/// Every metric at cutoff `k`. Throws kInvalidArgument when k < 1, when `results` and `relevant`
/// differ in size, or when no query has a relevant id.
inline RetrievalMetrics evaluate_retrieval(const retrieval::HitLists& results,
                                           std::span<const std::vector<std::int64_t>> relevant, std::int64_t k) {
  detail::check_k(k, "evaluate_retrieval");
  return detail::retrieval_sums(results, relevant, k, "evaluate_retrieval");
}

/// Mean recall@k (see the file brief; errors as evaluate_retrieval).
inline double recall_at_k(const retrieval::HitLists& results, std::span<const std::vector<std::int64_t>> relevant,
                          std::int64_t k) {
  detail::check_k(k, "recall_at_k");
  return detail::retrieval_sums(results, relevant, k, "recall_at_k").recall;
}

/// Mean hit@k: the fraction of queries with at least one relevant id in the top k.
inline double hit_at_k(const retrieval::HitLists& results, std::span<const std::vector<std::int64_t>> relevant,
                       std::int64_t k) {
  detail::check_k(k, "hit_at_k");
  return detail::retrieval_sums(results, relevant, k, "hit_at_k").hit_rate;
}

/// Mean reciprocal rank of the first relevant id, over the whole lists or, with `k`, counting
/// only the top k (MRR@k).
inline double mean_reciprocal_rank(const retrieval::HitLists& results,
                                   std::span<const std::vector<std::int64_t>> relevant,
                                   std::optional<std::int64_t> k = std::nullopt) {
  if (k) detail::check_k(*k, "mean_reciprocal_rank");
  return detail::retrieval_sums(results, relevant, k ? *k : -1, "mean_reciprocal_rank").mrr;
}

/// Mean nDCG@k with binary relevance.
inline double ndcg_at_k(const retrieval::HitLists& results, std::span<const std::vector<std::int64_t>> relevant,
                        std::int64_t k) {
  detail::check_k(k, "ndcg_at_k");
  return detail::retrieval_sums(results, relevant, k, "ndcg_at_k").ndcg;
}

}  // namespace dapt::eval
