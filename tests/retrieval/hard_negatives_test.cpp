// retrieval::HardNegativeMiner: positives and their duplicates (by text or group) are never
// returned, skip and the count, rank order, seeded sampling that is deterministic per query
// index, and refused options.
#include "dapt/retrieval/hard_negatives.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "dapt_catch.hpp"

using namespace dapt;
using namespace dapt::retrieval;

namespace {

/// A searcher that ranks ids 0..99 by a per-query rotation, so every query sees other orders.
Searcher rotating_searcher(std::vector<std::int64_t>* asked = nullptr) {
  return [asked](std::string_view q, std::int64_t k) {
    if (asked) asked->push_back(k);
    std::vector<Hit> hits;
    const auto shift = static_cast<std::int64_t>(q.size());
    for (std::int64_t r = 0; r < std::min<std::int64_t>(k, 100); ++r)
      hits.push_back(Hit{(r + shift) % 100, 1.0f - 0.001f * static_cast<float>(r)});
    return hits;
  };
}

/// Passages 0..99; ids congruent mod 10 share their text ("text 3" for 3, 13, 23, ...).
std::string text_of(std::int64_t id) { return "text " + std::to_string(id % 10); }

}  // namespace

TEST_CASE("HardNegativeMiner: positives excluded, best-ranked negatives in order", "[retrieval][hard_negatives]") {
  std::vector<std::int64_t> asked;
  const HardNegativeMiner miner(rotating_searcher(&asked), {20, 5, 0, false, 0});
  const std::vector<std::int64_t> positives = {2, 4};
  // Query "ab" ranks 2, 3, 4, 5, ...
  CHECK(miner.mine("ab", positives) == std::vector<std::int64_t>{3, 5, 6, 7, 8});
  CHECK(asked == std::vector<std::int64_t>{20});
  // skip drops the top eligible candidates.
  const HardNegativeMiner skipping(rotating_searcher(), {20, 3, 2, false, 0});
  CHECK(skipping.mine("ab", positives) == std::vector<std::int64_t>{6, 7, 8});
  // Fewer candidates than negatives: what is left.
  const HardNegativeMiner few(rotating_searcher(), {4, 10, 1, false, 0});
  CHECK(few.mine("ab", positives) == std::vector<std::int64_t>{5});
  // No positives at all: the top candidates.
  CHECK(miner.mine("", {}) == std::vector<std::int64_t>{0, 1, 2, 3, 4});
}

TEST_CASE("HardNegativeMiner: duplicates of positives are never returned", "[retrieval][hard_negatives]") {
  std::vector<std::string> store;
  for (std::int64_t i = 0; i < 100; ++i) store.push_back(text_of(i));
  SECTION("by text") {
    HardNegativeMiner miner(rotating_searcher(), {100, 50, 0, false, 0});
    miner.with_passage_text([&](std::int64_t id) -> std::string_view { return store.at(static_cast<std::size_t>(id)); });
    const std::vector<std::int64_t> positives = {3};
    const auto neg = miner.mine("x", positives);
    // Every id ending in 3 has the positive's text; repeats among negatives are dropped too, so
    // one id of each other text remains: 1, 2, 4, ..., 10 (ranked from 1).
    CHECK(neg == std::vector<std::int64_t>{1, 2, 4, 5, 6, 7, 8, 9, 10});
    for (std::int64_t id : neg) CHECK(store[static_cast<std::size_t>(id)] != store[3]);
  }
  SECTION("by duplicate group") {
    HardNegativeMiner miner(rotating_searcher(), {100, 50, 0, false, 0});
    miner.with_duplicate_groups([](std::int64_t id) { return id % 10; });
    const std::vector<std::int64_t> positives = {3, 17};
    const auto neg = miner.mine("x", positives);
    CHECK(neg == std::vector<std::int64_t>{1, 2, 4, 5, 6, 8, 9, 10});
  }
}

TEST_CASE("HardNegativeMiner: seeded sampling is deterministic per query index", "[retrieval][hard_negatives]") {
  const HardNegativeMiner miner(rotating_searcher(), {60, 6, 3, true, 1234});
  std::vector<MiningQuery> queries;
  for (int i = 0; i < 20; ++i) queries.push_back({std::string(static_cast<std::size_t>(i), 'q'), {i, i + 1}});
  const auto a = miner.mine(queries);
  const auto b = miner.mine(queries);
  CHECK(a == b);
  REQUIRE(a.size() == 20);
  std::set<std::vector<std::int64_t>> distinct;
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("query " << i);
    REQUIRE(a[i].size() == 6);
    const std::set<std::int64_t> ids(a[i].begin(), a[i].end());
    CHECK(ids.size() == 6);
    CHECK_FALSE(ids.count(static_cast<std::int64_t>(i)));
    CHECK_FALSE(ids.count(static_cast<std::int64_t>(i) + 1));
    // Query i ranks i, i+1, ...: positives i and i+1 go, then skip 3 leaves ranks from i+5.
    for (std::size_t j = 0; j < a[i].size(); ++j) {
      const std::int64_t rank = (a[i][j] - static_cast<std::int64_t>(i) + 100) % 100;
      CHECK(rank >= 5);
      CHECK(rank < 60);
      if (j > 0) CHECK(rank > (a[i][j - 1] - static_cast<std::int64_t>(i) + 100) % 100);  // rank order
    }
    // One query alone gives what it gave in the batch.
    CHECK(miner.mine(queries[i].query, queries[i].positives, i) == a[i]);
    distinct.insert(a[i]);
  }
  CHECK(distinct.size() > 1);
  // Another seed gives another sample.
  const HardNegativeMiner other(rotating_searcher(), {60, 6, 3, true, 99});
  CHECK(other.mine(queries) != a);
}

TEST_CASE("HardNegativeMiner: refused options", "[retrieval][hard_negatives]") {
  REQUIRE_DAPT_ERROR(HardNegativeMiner(Searcher{}), kInvalidArgument, "searcher is empty");
  REQUIRE_DAPT_ERROR(HardNegativeMiner(rotating_searcher(), {0, 1, 0, false, 0}), kInvalidArgument, "candidates");
  REQUIRE_DAPT_ERROR(HardNegativeMiner(rotating_searcher(), {10, 0, 0, false, 0}), kInvalidArgument, "negatives");
  REQUIRE_DAPT_ERROR(HardNegativeMiner(rotating_searcher(), {10, 1, -1, false, 0}), kInvalidArgument, "skip");
  HardNegativeMiner m(rotating_searcher());
  REQUIRE_DAPT_ERROR(m.with_passage_text({}), kInvalidArgument, "with_passage_text");
  REQUIRE_DAPT_ERROR(m.with_duplicate_groups({}), kInvalidArgument, "with_duplicate_groups");
}
