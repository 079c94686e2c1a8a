/// @file hard_negatives.hpp
/// @brief Hard-negative mining for contrastive retriever fine-tuning (ChipNeMo fine-tuned its
/// e5 retriever on domain query/passage pairs with mined negatives). For each query, a searcher
/// (BM25, a dense index, or a hybrid of both) retrieves the top candidates; the negatives are
/// drawn from those candidates that are *not* answers: every positive id is excluded, and so is
/// every duplicate of a positive (the same text under another id, common when a document is
/// chunked twice or a page is mirrored), since a "negative" that is really a positive teaches
/// the retriever the wrong thing. The top few remaining candidates can be skipped as well: they
/// are the most likely unlabeled positives (false negatives). From the rest, the negatives are
/// the best-ranked or a seeded random sample, deterministic per query index.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/retrieval/search.hpp"

namespace dapt::retrieval {

/// A training query and the ids of the passages that answer it.
struct MiningQuery {
  std::string query;
  std::vector<std::int64_t> positives;
};

struct HardNegativeOptions {
  /// Candidates retrieved per query (the searcher's k). At least 1.
  std::int64_t candidates = 50;
  /// Negatives returned per query, at most (fewer when the candidates run out). At least 1.
  std::int64_t negatives = 8;
  /// Eligible candidates skipped from the top (after positives and duplicates are removed):
  /// the highest-ranked non-positives are often unlabeled positives. At least 0.
  std::int64_t skip = 0;
  /// false: the best-ranked `negatives` of the remaining candidates; true: a uniform sample of
  /// them without replacement, returned in rank order.
  bool sample = false;
  /// Seed of the sample: query i draws from Rng(seed).fork(i), so a query's negatives depend
  /// only on the seed, its index and its candidates, never on the other queries.
  std::uint64_t seed = 0;
};

/// The text of a passage, for duplicate detection by identical text. The returned view must stay
/// valid until the next call.
using PassageTextFn = std::function<std::string_view(std::int64_t id)>;
/// A duplicate-group id of a passage (passages of one group are duplicates of each other).
using DuplicateGroupFn = std::function<std::int64_t(std::int64_t id)>;

/// Mines hard negatives with a searcher.
///
/// ```cpp
/// HardNegativeMiner miner([&](std::string_view q, std::int64_t k) { return bm25.search(q, k); },
///                         {.candidates = 100, .negatives = 7, .skip = 3, .sample = true, .seed = 1});
/// miner.with_passage_text([&](std::int64_t id) -> std::string_view { return chunks[id].text; });
/// std::vector<std::vector<std::int64_t>> negatives = miner.mine(training_queries);
/// ```
/// Besides excluding duplicates of positives, the duplicate checks also keep duplicates out of
/// one query's negatives (the best-ranked copy stays): a repeated negative adds no signal.
class HardNegativeMiner {
 public:
  /// Throws kInvalidArgument when the searcher is empty or an option is out of range.
  explicit HardNegativeMiner(Searcher searcher, HardNegativeOptions options = {})
      : searcher_(std::move(searcher)), options_(options) {
    DAPT_CHECK(static_cast<bool>(searcher_), "HardNegativeMiner: the searcher is empty");
    DAPT_CHECK(options_.candidates >= 1, "HardNegativeMiner: candidates must be at least 1, got ", options_.candidates);
    DAPT_CHECK(options_.negatives >= 1, "HardNegativeMiner: negatives must be at least 1, got ", options_.negatives);
    DAPT_CHECK(options_.skip >= 0, "HardNegativeMiner: skip must be at least 0, got ", options_.skip);
  }

  const HardNegativeOptions& options() const noexcept { return options_; }

  /// Excludes candidates whose text equals a positive's text (and repeats among negatives).
  HardNegativeMiner& with_passage_text(PassageTextFn text) {
    DAPT_CHECK(static_cast<bool>(text), "HardNegativeMiner::with_passage_text: the function is empty");
    text_ = std::move(text);
    return *this;
  }

  /// Excludes candidates in the duplicate group of a positive (and repeats among negatives).
  HardNegativeMiner& with_duplicate_groups(DuplicateGroupFn group) {
    DAPT_CHECK(static_cast<bool>(group), "HardNegativeMiner::with_duplicate_groups: the function is empty");
    group_ = std::move(group);
    return *this;
  }

  /// The negatives of one query, in rank order. `query_index` selects the sample's stream
  /// (see HardNegativeOptions::seed).
  std::vector<std::int64_t> mine(std::string_view query, std::span<const std::int64_t> positives,
                                 std::uint64_t query_index = 0) const {
    const std::unordered_set<std::int64_t> positive_ids(positives.begin(), positives.end());
    std::unordered_set<std::string> texts;        // of positives, then of chosen candidates
    std::unordered_set<std::int64_t> groups;      // likewise
    for (std::int64_t id : positives) {
      if (text_) texts.emplace(text_(id));
      if (group_) groups.insert(group_(id));
    }
    // Eligible candidates in rank order: not a positive, not a duplicate of one, not a repeat.
    std::unordered_set<std::int64_t> seen;
    std::vector<std::int64_t> eligible;
    for (const Hit& h : searcher_(query, options_.candidates)) {
      if (positive_ids.count(h.id) || !seen.insert(h.id).second) continue;
      if (text_ && !texts.emplace(text_(h.id)).second) continue;
      if (group_ && !groups.insert(group_(h.id)).second) continue;
      eligible.push_back(h.id);
    }
    const auto skip = static_cast<std::size_t>(std::min<std::int64_t>(options_.skip, static_cast<std::int64_t>(eligible.size())));
    eligible.erase(eligible.begin(), eligible.begin() + static_cast<std::ptrdiff_t>(skip));
    const auto k = static_cast<std::size_t>(options_.negatives);
    if (eligible.size() <= k) return eligible;
    if (!options_.sample) {
      eligible.resize(k);
      return eligible;
    }
    std::vector<std::size_t> order(eligible.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    Rng rng = Rng(options_.seed).fork(query_index);
    rng.shuffle(order.begin(), order.end());
    order.resize(k);
    std::sort(order.begin(), order.end());  // back to rank order
    std::vector<std::int64_t> out;
    out.reserve(k);
    for (std::size_t i : order) out.push_back(eligible[i]);
    return out;
  }

  /// The negatives of every query (query i uses sample stream i), one query after another.
  std::vector<std::vector<std::int64_t>> mine(std::span<const MiningQuery> queries) const {
    std::vector<std::vector<std::int64_t>> out;
    out.reserve(queries.size());
    for (std::size_t i = 0; i < queries.size(); ++i) out.push_back(mine(queries[i].query, queries[i].positives, i));
    return out;
  }

 private:
  Searcher searcher_;
  HardNegativeOptions options_;
  PassageTextFn text_;
  DuplicateGroupFn group_;
};

}  // namespace dapt::retrieval
