// eval retrieval metrics: recall@k, hit@k, MRR (with and without a cutoff) and nDCG@k against
// values computed by hand, skipped queries without relevant ids, repeated ids, refused input.
#include "dapt/eval/retrieval_metrics.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include "dapt_catch.hpp"

using namespace dapt;
using dapt::retrieval::Hit;
using dapt::retrieval::HitLists;

namespace {
std::vector<Hit> ranked(std::vector<std::int64_t> ids) {
  std::vector<Hit> out;
  for (auto id : ids) out.push_back(Hit{id, 0.0f});
  return out;
}
}  // namespace

TEST_CASE("retrieval metrics: hand-computed values", "[eval][retrieval_metrics]") {
  const HitLists results = {ranked({5, 1, 7, 2}), ranked({3, 3, 4}), ranked({8}), ranked({6, 7, 10})};
  const std::vector<std::vector<std::int64_t>> relevant = {{1, 2, 9}, {3}, {}, {10}};
  const double l3 = 1 / std::log2(3.0);

  const auto m3 = eval::evaluate_retrieval(results, relevant, 3);
  CHECK(m3.k == 3);
  CHECK(m3.queries == 3);
  CHECK(m3.skipped == 1);
  // Query 1: 1 at rank 2. Query 2: 3 at rank 1 (its repeat ignored). Query 4: 10 at rank 3.
  CHECK(m3.recall == Approx((1.0 / 3 + 1 + 1) / 3));
  CHECK(m3.hit_rate == Approx(1.0));
  CHECK(m3.mrr == Approx((0.5 + 1 + 1.0 / 3) / 3));
  CHECK(m3.ndcg == Approx((l3 / (1 + l3 + 0.5) + 1 + 0.5 / 1) / 3));

  const auto m1 = eval::evaluate_retrieval(results, relevant, 1);
  CHECK(m1.recall == Approx(1.0 / 3));
  CHECK(m1.hit_rate == Approx(1.0 / 3));
  CHECK(m1.mrr == Approx(1.0 / 3));
  CHECK(m1.ndcg == Approx(1.0 / 3));

  // k beyond the lists: query 1 also finds 2 at rank 4.
  CHECK(eval::recall_at_k(results, relevant, 10) == Approx((2.0 / 3 + 1 + 1) / 3));
  CHECK(eval::ndcg_at_k(results, relevant, 10) ==
        Approx(((l3 + 1 / std::log2(5.0)) / (1 + l3 + 0.5) + 1 + 0.5) / 3));
  CHECK(eval::hit_at_k(results, relevant, 2) == Approx(2.0 / 3));
  CHECK(eval::recall_at_k(results, relevant, 3) == Approx(m3.recall));
  CHECK(eval::ndcg_at_k(results, relevant, 3) == Approx(m3.ndcg));
  // MRR over whole lists, and cut at 2 (query 4's rank 3 no longer counts).
  CHECK(eval::mean_reciprocal_rank(results, relevant) == Approx((0.5 + 1 + 1.0 / 3) / 3));
  CHECK(eval::mean_reciprocal_rank(results, relevant, 2) == Approx((0.5 + 1) / 3));
}

TEST_CASE("retrieval metrics: perfect and empty rankings", "[eval][retrieval_metrics]") {
  const HitLists perfect = {ranked({1, 2, 3}), ranked({4})};
  const std::vector<std::vector<std::int64_t>> relevant = {{3, 2, 1}, {4, 4}};  // repeated relevant ids count once
  const auto m = eval::evaluate_retrieval(perfect, relevant, 3);
  CHECK(m.recall == Approx(1.0));
  CHECK(m.hit_rate == Approx(1.0));
  CHECK(m.mrr == Approx(1.0));
  CHECK(m.ndcg == Approx(1.0));
  // Recall is over |R|, not capped at k: 1 of 3 relevant ids in the top 1.
  CHECK(eval::recall_at_k(perfect, relevant, 1) == Approx((1.0 / 3 + 1) / 2));
  const HitLists nothing = {{}, {}};
  const auto z = eval::evaluate_retrieval(nothing, relevant, 5);
  CHECK(z.recall == 0.0);
  CHECK(z.mrr == 0.0);
  CHECK(z.ndcg == 0.0);
}

TEST_CASE("retrieval metrics: refused input", "[eval][retrieval_metrics]") {
  const HitLists results = {ranked({1})};
  const std::vector<std::vector<std::int64_t>> relevant = {{1}};
  REQUIRE_DAPT_ERROR(eval::evaluate_retrieval(results, relevant, 0), kInvalidArgument, "k must be at least 1");
  REQUIRE_DAPT_ERROR(eval::recall_at_k(results, relevant, -2), kInvalidArgument, "recall_at_k");
  REQUIRE_DAPT_ERROR(eval::mean_reciprocal_rank(results, relevant, 0), kInvalidArgument, "k must be");
  const std::vector<std::vector<std::int64_t>> two = {{1}, {2}};
  REQUIRE_DAPT_ERROR(eval::hit_at_k(results, two, 1), kInvalidArgument, "1 result lists but 2 relevant sets");
  const std::vector<std::vector<std::int64_t>> none = {{}};
  REQUIRE_DAPT_ERROR(eval::ndcg_at_k(results, none, 1), kInvalidArgument, "none of the 1 queries");
}
