// retrieval::rrf_fuse and HybridRetriever: fusion computed by hand, items in one list only,
// weights, repeated ids, ties by id, determinism, and refused arguments.
#include "dapt/retrieval/hybrid.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "dapt_catch.hpp"

using namespace dapt;
using namespace dapt::retrieval;

namespace {
std::vector<Hit> ranked(std::vector<std::int64_t> ids) {
  std::vector<Hit> out;
  float s = 100;
  for (auto id : ids) out.push_back(Hit{id, s--});
  return out;
}
}  // namespace

TEST_CASE("rrf_fuse: hand-computed fusion", "[retrieval][hybrid]") {
  // Dense ranks 1, 2, 3 = {10, 20, 30}; lexical ranks 1, 2 = {30, 40}.
  const std::vector<std::vector<Hit>> lists = {ranked({10, 20, 30}), ranked({30, 40})};
  const auto fused = rrf_fuse(lists, 10);
  REQUIRE(fused.size() == 4);
  // 30: 1/63 + 1/61; 10: 1/61; 20: 1/62; 40: 1/62 (tie with 20, broken by id).
  CHECK(fused[0].id == 30);
  CHECK(fused[0].score == Approx(1.0 / 63 + 1.0 / 61));
  CHECK(fused[1].id == 10);
  CHECK(fused[1].score == Approx(1.0 / 61));
  CHECK(fused[2].id == 20);
  CHECK(fused[3].id == 40);
  CHECK(fused[2].score == fused[3].score);
  CHECK(fused[2].score == Approx(1.0 / 62));
  // k cuts the list; rrf_k = 0 gives 1 / rank.
  const auto top = rrf_fuse(lists, 2, 0.0);
  REQUIRE(top.size() == 2);
  CHECK(top[0].id == 30);
  CHECK(top[0].score == Approx(1.0 / 3 + 1.0));
  CHECK(top[1].id == 10);
  CHECK(top[1].score == Approx(1.0));
}

TEST_CASE("rrf_fuse: weights, one-list items, repeats and empty input", "[retrieval][hybrid]") {
  const std::vector<std::vector<Hit>> lists = {ranked({1, 2}), ranked({3, 1})};
  const std::vector<double> w = {0.5, 2.0};
  const auto fused = rrf_fuse(lists, 5, 60.0, w);
  REQUIRE(fused.size() == 3);
  CHECK(fused[0].id == 1);
  CHECK(fused[0].score == Approx(0.5 / 61 + 2.0 / 62));
  CHECK(fused[1].id == 3);
  CHECK(fused[1].score == Approx(2.0 / 61));
  CHECK(fused[2].id == 2);
  CHECK(fused[2].score == Approx(0.5 / 62));
  // A zero weight keeps the list's items, with score 0 from it.
  const std::vector<double> w0 = {1.0, 0.0};
  const auto only_first = rrf_fuse(lists, 5, 60.0, w0);
  CHECK(only_first[0].id == 1);
  CHECK(only_first.back().id == 3);
  CHECK(only_first.back().score == 0.0f);
  // An id repeated within one list counts at its best rank only.
  const std::vector<std::vector<Hit>> repeated = {ranked({7, 8, 7})};
  const auto r = rrf_fuse(repeated, 5);
  REQUIRE(r.size() == 2);
  CHECK(r[0].score == Approx(1.0 / 61));
  CHECK(r[1].score == Approx(1.0 / 62));
  // Ranks come from positions, not scores.
  std::vector<std::vector<Hit>> unsorted = {{{5, 0.1f}, {6, 0.9f}}};
  CHECK(rrf_fuse(unsorted, 1)[0].id == 5);
  CHECK(rrf_fuse(std::span<const std::vector<Hit>>(), 3).empty());
  const std::vector<std::vector<Hit>> empties(3);
  CHECK(rrf_fuse(empties, 3).empty());
}

TEST_CASE("rrf_fuse: deterministic, ties by ascending id", "[retrieval][hybrid]") {
  // Many items each in one list at the same rank: all tie and come back by id.
  std::vector<std::vector<Hit>> lists;
  for (std::int64_t i = 50; i > 0; --i) lists.push_back(ranked({i * 13 % 101}));
  const auto a = rrf_fuse(lists, 100);
  const auto b = rrf_fuse(lists, 100);
  CHECK(a == b);
  REQUIRE(a.size() == 50);
  for (std::size_t i = 1; i < a.size(); ++i) CHECK(a[i - 1].id < a[i].id);
  const auto top3 = rrf_fuse(lists, 3);
  CHECK(std::vector<Hit>(a.begin(), a.begin() + 3) == top3);
}

TEST_CASE("rrf_fuse and HybridRetriever: refused arguments", "[retrieval][hybrid]") {
  const std::vector<std::vector<Hit>> lists = {ranked({1})};
  REQUIRE_DAPT_ERROR(rrf_fuse(lists, 0), kInvalidArgument, "k must be at least 1");
  REQUIRE_DAPT_ERROR(rrf_fuse(lists, 1, -1.0), kInvalidArgument, "rrf_k");
  const std::vector<double> two = {1.0, 1.0};
  REQUIRE_DAPT_ERROR(rrf_fuse(lists, 1, 60.0, two), kInvalidArgument, "2 weights for 1 lists");
  const std::vector<double> negative = {-1.0};
  REQUIRE_DAPT_ERROR(rrf_fuse(lists, 1, 60.0, negative), kInvalidArgument, "weights[0]");
  const Searcher s = [](std::string_view, std::int64_t) { return std::vector<Hit>{}; };
  REQUIRE_DAPT_ERROR(HybridRetriever(s, Searcher{}), kInvalidArgument, "lexical searcher");
  REQUIRE_DAPT_ERROR(HybridRetriever(s, s, {0, 60.0, 1.0, 1.0}), kInvalidArgument, "candidates");
  REQUIRE_DAPT_ERROR(HybridRetriever(s, s, {10, 60.0, -1.0, 1.0}), kInvalidArgument, "weights[0]");
  REQUIRE_DAPT_ERROR(HybridRetriever(s, s).search("q", 0), kInvalidArgument, "k must be at least 1");
}

TEST_CASE("HybridRetriever: fuses the top candidates of both searchers", "[retrieval][hybrid]") {
  std::vector<std::int64_t> asked;
  const Searcher dense = [&](std::string_view q, std::int64_t k) {
    asked.push_back(k);
    CHECK(q == "clk_en");
    std::vector<Hit> all = ranked({1, 2, 3, 4, 5, 6});
    all.resize(static_cast<std::size_t>(std::min<std::int64_t>(k, 6)));
    return all;
  };
  const Searcher lexical = [&](std::string_view, std::int64_t k) {
    asked.push_back(k);
    std::vector<Hit> all = ranked({6, 5, 9});
    all.resize(static_cast<std::size_t>(std::min<std::int64_t>(k, 3)));
    return all;
  };
  const HybridRetriever hybrid(dense, lexical, {4, 60.0, 1.0, 1.0});
  const auto hits = hybrid.search("clk_en", 3);
  CHECK(asked == std::vector<std::int64_t>{4, 4});
  // Dense top 4: 1, 2, 3, 4; lexical top 4: 6, 5, 9. No item is in both: 1 and 6 tie at 1/61.
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].id == 1);
  CHECK(hits[1].id == 6);
  CHECK(hits[0].score == hits[1].score);
  CHECK(hits[2].id == 2);
  // With more candidates, 5 and 6 (in both lists) win.
  const HybridRetriever wide(dense, lexical, {10, 60.0, 1.0, 1.0});
  const auto w = wide.search("clk_en", 2);
  CHECK(w[0].id == 6);
  CHECK(w[0].score == Approx(1.0 / 61 + 1.0 / 66));
  CHECK(w[1].id == 5);
  CHECK(wide.searcher()("clk_en", 2) == w);
  // Weights shift the balance.
  const HybridRetriever lex_heavy(dense, lexical, {10, 60.0, 1.0, 3.0});
  CHECK(lex_heavy.search("clk_en", 1)[0].id == 6);
  CHECK(lex_heavy.search("clk_en", 3)[2].id == 9);
}
