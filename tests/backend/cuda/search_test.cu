/// @file search_test.cu
/// @brief The device flat search against a brute-force CPU ranking (retrieval::hit_before: score
/// descending, ties by ascending id): scores built with heavy ties so that the k-th place falls
/// inside a tie, -0 beside +0, NaN (never ranked), -inf and +inf, a validity mask, caller ids that
/// are not in row order (a few negative), k from 1 past N up to 1024, a query with nothing
/// rankable and an empty database (every slot id -1, score -inf), each in one stage and in two
/// (segments smaller and larger than k), and distinct clustered scores over several segments. Then the whole search (GEMM +
/// top-k) in fp32 and bf16 through cuBLASLt and the cublasGemmEx fallback: its scores against a
/// double reference, its top-k exactly the brute-force ranking of those scores.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <type_traits>
#include <vector>

#include "dapt/backend/cuda/search.cuh"
#include "dapt/retrieval/search.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_search_test {

namespace {

using dapt::bf16;
using dapt::retrieval::Hit;
using dapt_gpu_test::as_t;
using dapt_gpu_test::DeviceBuffer;

/// Brute force: per query, the rankable rows (valid, score not NaN) sorted by hit_before, the
/// first k, then (id -1, -inf) up to k.
std::vector<Hit> brute_topk(const std::vector<float>& scores, const std::vector<std::int64_t>& ids,
                            const std::vector<std::uint8_t>& valid, std::int64_t q, std::int64_t n, std::int64_t k) {
  std::vector<Hit> out;
  for (std::int64_t qi = 0; qi < q; ++qi) {
    std::vector<Hit> all;
    for (std::int64_t i = 0; i < n; ++i) {
      const float s = scores[static_cast<std::size_t>(qi * n + i)];
      if ((!valid.empty() && !valid[static_cast<std::size_t>(i)]) || std::isnan(s)) continue;
      all.push_back({ids.empty() ? i : ids[static_cast<std::size_t>(i)], s});
    }
    std::sort(all.begin(), all.end(), dapt::retrieval::hit_before);
    for (std::int64_t r = 0; r < k; ++r)
      out.push_back(r < static_cast<std::int64_t>(all.size()) ? all[static_cast<std::size_t>(r)]
                                                              : Hit{-1, -std::numeric_limits<float>::infinity()});
  }
  return out;
}

/// Mismatching slots between the device output and the brute-force hits (scores compared with
/// ==, so -0 and +0 agree, as they tie on the CPU).
std::int64_t mismatches(const std::vector<float>& got_scores, const std::vector<std::int64_t>& got_ids,
                        const std::vector<Hit>& want) {
  std::int64_t bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const bool same = got_ids[i] == want[i].id && got_scores[i] == want[i].score;
    if (!same && bad < 5) UNSCOPED_INFO("slot " << i << ": got (" << got_ids[i] << ", " << got_scores[i] << "), want ("
                                                << want[i].id << ", " << want[i].score << ")");
    bad += same ? 0 : 1;
  }
  return bad;
}

/// Scores with few distinct values (heavy ties), both zeros, and some NaN, -inf and +inf.
std::vector<float> tied_scores(std::mt19937_64& g, std::int64_t q, std::int64_t n) {
  std::uniform_int_distribution<int> level(-4, 4), special(0, 49);
  std::vector<float> s(static_cast<std::size_t>(q * n));
  for (auto& x : s) {
    const int sp = special(g);
    if (sp == 0) x = std::numeric_limits<float>::quiet_NaN();
    else if (sp == 1) x = -std::numeric_limits<float>::infinity();
    else if (sp == 2) x = std::numeric_limits<float>::infinity();
    else if (sp == 3) x = -0.0f;
    else x = 0.5f * static_cast<float>(level(g));  // includes +0
  }
  return s;
}

/// n distinct ids in shuffled order, spread over int64 (a few negative).
std::vector<std::int64_t> shuffled_ids(std::mt19937_64& g, std::int64_t n) {
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = (i % 5 == 0) ? -1000 - i : i * 1000003 + (i % 7) * (std::int64_t{1} << 40);
  std::shuffle(ids.begin(), ids.end(), g);
  return ids;
}

/// FlatSearch::topk of host scores, ids (empty: the row index) and validity bytes (empty: all
/// valid) on the device, at `segment_rows` rows per first-stage segment (0: its own choice); the
/// number of slots that differ from the brute force.
std::int64_t device_topk_mismatches(const std::vector<float>& scores, const std::vector<std::int64_t>& ids,
                                    const std::vector<std::uint8_t>& valid, std::int64_t q, std::int64_t n,
                                    std::int64_t k, std::int64_t segment_rows = 0) {
  DeviceBuffer<float> d_scores(scores), d_top(static_cast<std::size_t>(q * k));
  DeviceBuffer<std::int64_t> d_ids(ids.size()), d_top_ids(static_cast<std::size_t>(q * k));
  DeviceBuffer<std::uint8_t> d_valid(valid.size());
  d_ids.write(ids);
  d_valid.write(valid);
  d_top.poison();
  dapt::cuda::FlatSearch::topk(d_scores.get(), ids.empty() ? nullptr : d_ids.get(),
                               valid.empty() ? nullptr : d_valid.get(), q, n, k, d_top.get(), d_top_ids.get(),
                               segment_rows);
  return mismatches(d_top.download(), d_top_ids.read(), brute_topk(scores, ids, valid, q, n, k));
}

}  // namespace

TEST_CASE("gpu search: top-k of tied scores matches the brute-force ranking", "[gpu][search]") {
  auto g = dapt_gpu_test::rng(401);
  const std::int64_t q = 7;
  for (const std::int64_t n : {dapt_gpu_test::kVocab, std::int64_t{3000}})
    for (const bool with_ids : {false, true})
      for (const bool with_mask : {false, true})
        for (const std::int64_t k : {std::int64_t{1}, std::int64_t{5}, dapt_gpu_test::kT, dapt_gpu_test::kVocab,
                                     std::int64_t{500}, std::int64_t{1024}}) {
          INFO("n " << n << " k " << k << " ids " << with_ids << " mask " << with_mask);
          auto scores = tied_scores(g, q, n);
          // Query 3 has nothing rankable; query 4 nothing but -inf.
          for (std::int64_t i = 0; i < n; ++i) {
            scores[static_cast<std::size_t>(3 * n + i)] = std::numeric_limits<float>::quiet_NaN();
            scores[static_cast<std::size_t>(4 * n + i)] = -std::numeric_limits<float>::infinity();
          }
          const auto ids = with_ids ? shuffled_ids(g, n) : std::vector<std::int64_t>{};
          std::vector<std::uint8_t> valid;
          if (with_mask) {
            std::bernoulli_distribution keep(0.8);
            for (std::int64_t i = 0; i < n; ++i) valid.push_back(keep(g) ? 1 : 0);
          }
          // One stage (n fits in a segment), then two: segments smaller than k (every candidate
          // taken, many empty) and larger (the k-th score's tie spread over segments).
          for (const std::int64_t segment_rows : {std::int64_t{0}, std::int64_t{61}, std::int64_t{1000}}) {
            INFO("segment rows " << segment_rows);
            REQUIRE(device_topk_mismatches(scores, ids, valid, q, n, k, segment_rows) == 0);
          }
        }
}

TEST_CASE("gpu search: the two-stage top-k over many segments ranks like the brute force", "[gpu][search]") {
  // Distinct scores clustered in a narrow range (they share their high key bytes, as a real
  // index's scores do), over more rows than one segment: flat_topk's own segments (8192 rows, so
  // 3 of them for k <= 1024 at n = 20000) and smaller ones.
  auto g = dapt_gpu_test::rng(403);
  const std::int64_t q = 3, n = 20000;
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> scores(static_cast<std::size_t>(q * n));
  for (auto& x : scores) x = 0.8f + 1e-3f * u(g);
  const auto ids = shuffled_ids(g, n);
  std::vector<std::uint8_t> valid(static_cast<std::size_t>(n), 1);
  for (std::int64_t i = 0; i < n; i += 7) valid[static_cast<std::size_t>(i)] = 0;
  REQUIRE(dapt::cuda::flat_topk_workspace(q, n, 10) > 0);
  REQUIRE(dapt::cuda::flat_topk_workspace(q, 8192, 10) == 0);
  for (const std::int64_t k : {std::int64_t{1}, std::int64_t{10}, std::int64_t{100}, std::int64_t{1024}})
    for (const std::int64_t segment_rows : {std::int64_t{0}, std::int64_t{777}}) {
      INFO("k " << k << " segment rows " << segment_rows);
      REQUIRE(device_topk_mismatches(scores, {}, {}, q, n, k, segment_rows) == 0);
      REQUIRE(device_topk_mismatches(scores, ids, valid, q, n, k, segment_rows) == 0);
    }
  // The launcher wants its workspace when there are segments.
  DeviceBuffer<float> d_scores(scores), d_top(static_cast<std::size_t>(q * 10));
  DeviceBuffer<std::int64_t> d_top_ids(static_cast<std::size_t>(q * 10));
  REQUIRE(dapt::cuda::flat_topk(d_scores.get(), nullptr, nullptr, q, n, 10, d_top.get(), d_top_ids.get(), nullptr,
                                dapt::cuda::current_stream()) == cudaErrorInvalidValue);
}

TEST_CASE("gpu search: repeated ids at the k-th score never displace a better row", "[gpu][search]") {
  // flat_topk takes any ids: with few distinct ids and few distinct scores, more tied rows than
  // wanted pass the id cut; the extra ones (equal in score and id) must be the ones dropped.
  auto g = dapt_gpu_test::rng(402);
  const std::int64_t q = 5, n = 3000;
  for (const std::int64_t k : {std::int64_t{1}, dapt_gpu_test::kT, std::int64_t{500}, std::int64_t{1024}}) {
    INFO("k " << k);
    const auto scores = tied_scores(g, q, n);
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = i % 97 - 20;
    std::shuffle(ids.begin(), ids.end(), g);
    REQUIRE(device_topk_mismatches(scores, ids, {}, q, n, k) == 0);
    REQUIRE(device_topk_mismatches(scores, ids, {}, q, n, k, 500) == 0);  // equal (score, id) across segments
  }
}

TEST_CASE("gpu search: an empty database fills every slot with (-1, -inf)", "[gpu][search]") {
  const std::int64_t q = 3, k = 4;
  DeviceBuffer<float> d_top(q * k);
  DeviceBuffer<std::int64_t> d_top_ids(q * k);
  d_top.poison();
  dapt::cuda::FlatSearch::topk(nullptr, nullptr, nullptr, q, 0, k, d_top.get(), d_top_ids.get());
  for (float s : d_top.download()) REQUIRE(s == -std::numeric_limits<float>::infinity());
  for (std::int64_t id : d_top_ids.read()) REQUIRE(id == -1);
  REQUIRE_DAPT_ERROR(dapt::cuda::FlatSearch::topk(nullptr, nullptr, nullptr, q, 0, 1025, d_top.get(), d_top_ids.get()),
                     kInvalidArgument, "k must be in [1, 1024]");
}

TEMPLATE_TEST_CASE("gpu search: flat_search scores by GEMM and ranks like the brute force", "[gpu][search]", float,
                   bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(402);
  const std::int64_t n = dapt_gpu_test::kVocab, q = dapt_gpu_test::kT, d = dapt_gpu_test::kD;
  const auto database = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * d)));
  const auto queries = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(q * d)));
  std::vector<float> want_scores(static_cast<std::size_t>(q * n));
  for (std::int64_t qi = 0; qi < q; ++qi)
    for (std::int64_t i = 0; i < n; ++i) {
      double s = 0;
      for (std::int64_t j = 0; j < d; ++j) s += static_cast<double>(queries[qi * d + j]) * database[i * d + j];
      want_scores[static_cast<std::size_t>(qi * n + i)] = static_cast<float>(s);
    }
  const auto ids = shuffled_ids(g, n);
  std::vector<std::uint8_t> valid(static_cast<std::size_t>(n), 1);
  for (std::int64_t i = 0; i < n; i += 4) valid[static_cast<std::size_t>(i)] = 0;

  DeviceBuffer<T> d_db(database), d_q(queries);
  DeviceBuffer<std::int64_t> d_ids(ids.size());
  DeviceBuffer<std::uint8_t> d_valid(valid.size());
  d_ids.write(ids);
  d_valid.write(valid);
  for (const bool fallback : {false, true})
    for (const std::int64_t k : {std::int64_t{10}, std::int64_t{500}}) {
      INFO("k " << k << " fallback " << fallback);
      DeviceBuffer<float> d_scores(static_cast<std::size_t>(q * n)), d_top(static_cast<std::size_t>(q * k));
      DeviceBuffer<std::int64_t> d_top_ids(static_cast<std::size_t>(q * k));
      d_scores.poison();
      d_top.poison();
      if (!fallback) {
        dapt::cuda::FlatSearch::search(d_db.get(), d_q.get(), d_ids.get(), d_valid.get(), n, q, d, k, d_top.get(),
                                       d_top_ids.get(), d_scores.get());
      } else {
        auto r = dapt::cuda::gemm_resources(dapt::cuda::current());
        r.lt = nullptr;
        REQUIRE(dapt::cuda::flat_search<T>(d_db.get(), d_q.get(), d_ids.get(), d_valid.get(), n, q, d, k,
                                           d_scores.get(), d_top.get(), d_top_ids.get(), nullptr, r,
                                           dapt::cuda::current_stream()) == CUBLAS_STATUS_SUCCESS);
      }
      const auto scores = d_scores.download();
      // fp32 sums of exact products of storage values: fp32-tight for bf16 inputs as well.
      DAPT_GPU_REQUIRE_CLOSE(scores, want_scores, (std::is_same_v<T, bf16> ? 1e-4 : dapt_gpu_test::kTolF32));
      REQUIRE(mismatches(d_top.download(), d_top_ids.read(), brute_topk(scores, ids, valid, q, n, k)) == 0);
    }

  SECTION("without ids or mask, and with the context's scratch for the scores") {
    const std::int64_t k = 37;
    DeviceBuffer<float> d_top(static_cast<std::size_t>(q * k));
    DeviceBuffer<std::int64_t> d_top_ids(static_cast<std::size_t>(q * k));
    d_top.poison();
    dapt::cuda::FlatSearch::search(d_db.get(), d_q.get(), nullptr, nullptr, n, q, d, k, d_top.get(),
                                   d_top_ids.get());
    const auto got = d_top.download();
    const auto got_ids = d_top_ids.read();
    // Near-ties may order differently from the double reference: check each hit's score against
    // the reference of its row, the order, and that nothing better was left out.
    for (std::int64_t qi = 0; qi < q; ++qi) {
      std::vector<float> row(want_scores.begin() + qi * n, want_scores.begin() + (qi + 1) * n);
      std::vector<float> sorted = row;
      std::sort(sorted.begin(), sorted.end(), std::greater<float>());
      const float kth = sorted[static_cast<std::size_t>(k - 1)];
      for (std::int64_t r = 0; r < k; ++r) {
        const std::size_t slot = static_cast<std::size_t>(qi * k + r);
        REQUIRE(got_ids[slot] >= 0);
        REQUIRE(got_ids[slot] < n);
        const float ref = row[static_cast<std::size_t>(got_ids[slot])];
        REQUIRE(std::abs(got[slot] - ref) <= 1e-4f * (1.0f + std::abs(ref)));
        REQUIRE(ref >= kth - 1e-3f);
        if (r > 0) REQUIRE(got[slot] <= got[slot - 1]);
      }
    }
  }
}

}  // namespace dapt_gpu_search_test
