/// @file flat_index_gpu_test.cu
/// @brief retrieval::FlatIndex<Cuda> against FlatIndex<Cpu> on fresh random data of odd shapes
/// (1000 x 96 vectors, 37 queries, k 1, 10, 1024 > n), both metrics, vectors added in pieces (the
/// device rows grow), duplicated vectors (exact ties), filters, and removals. Continuous data: the
/// scores agree to relative L2 1e-5 and the ids agree wherever the CPU's ranking has no near-tie
/// (a swap is accepted only between scores within fp32 rounding of each other). Data on a grid of
/// halves: every score is exact in fp32 whatever the summation order, so the lists (ids, scores,
/// the order of ties) are equal exactly, for host and device queries. Files saved on one device
/// load on the other, byte for byte the same file; bad input gets FlatIndex<Cpu>'s errors, and
/// k > 1024 kUnsupported. A bf16 index ranks as FlatIndex<Cpu> over the bf16-rounded vectors and
/// queries (exactly, ties and all, on the grid).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "dapt/backend/cuda/context.cuh"
#include "dapt/retrieval/flat_index.hpp"
#include "dapt/retrieval/flat_index_cuda.cuh"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"
#include "test_util.hpp"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_flat_index_gpu_test {

namespace {

namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::Cuda;
using dapt::retrieval::Filter;
using dapt::retrieval::FlatIndex;
using dapt::retrieval::Hit;
using dapt::retrieval::HitLists;
using dapt::retrieval::Metric;
using dapt_gpu_test::DeviceBuffer;

constexpr std::int64_t kN = 1000, kD = dapt_gpu_test::kD, kQ = dapt_gpu_test::kT;

/// n distinct, non-negative ids that are neither contiguous nor in row order.
std::vector<std::int64_t> shuffled_ids(std::mt19937_64& g, std::int64_t n) {
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = 7 * i + 3 + (i % 3) * 100000;
  std::shuffle(ids.begin(), ids.end(), g);
  return ids;
}

/// Copies some rows over others (row r gets an earlier row's vector): exact ties for every query.
void duplicate_rows(std::mt19937_64& g, std::vector<float>& x, std::int64_t n, std::int64_t d, double share) {
  std::bernoulli_distribution dup(share);
  for (std::int64_t r = 1; r < n; ++r) {
    if (!dup(g)) continue;
    const std::int64_t src = std::uniform_int_distribution<std::int64_t>(0, r - 1)(g);
    std::copy_n(x.begin() + src * d, d, x.begin() + r * d);
  }
}

/// Values in {-1, -0.5, 0, 0.5, 1}: every dot product of d <= 96 of them is a multiple of 0.25
/// below 2^7 in magnitude, so every partial sum is exact in fp32, in any order.
std::vector<float> grid(std::mt19937_64& g, std::size_t count) {
  std::uniform_int_distribution<int> level(-2, 2);
  std::vector<float> v(count);
  for (auto& x : v) x = 0.5f * static_cast<float>(level(g));
  return v;
}

/// The score of stored row `id` for a query (dim), in double, with the query prepared as the
/// indexes prepare it (normalised for cosine).
double reference_score(const FlatIndex<Cpu>& cpu, std::span<const float> query, std::int64_t id) {
  std::vector<float> q(query.size());
  dapt::retrieval::detail::prepare_flat_queries(query, 1, cpu.dim(), cpu.metric(), "test", q.data());
  const auto v = cpu.vector(id);
  double s = 0;
  for (std::size_t j = 0; j < q.size(); ++j) s += static_cast<double>(v[j]) * q[j];
  return s;
}

/// GPU lists against CPU lists: the same lengths, scores within relative L2 1e-5 slot by slot,
/// and the same id in every slot except swaps inside a near-tie: there both the slot's scores and
/// the GPU id's exact score lie within fp32 rounding of the CPU's score.
void require_same_up_to_near_ties(const HitLists& gpu, const HitLists& cpu, const FlatIndex<Cpu>& index,
                                          std::span<const float> queries) {
  REQUIRE(gpu.size() == cpu.size());
  std::vector<float> got, want;
  const auto d = static_cast<std::size_t>(index.dim());
  for (std::size_t q = 0; q < cpu.size(); ++q) {
    INFO("query " << q << ", seed " << dapt_gpu_test::run_seed());
    REQUIRE(gpu[q].size() == cpu[q].size());
    std::vector<std::int64_t> seen;
    for (const Hit& h : gpu[q]) seen.push_back(h.id);
    std::ranges::sort(seen);
    CHECK(std::ranges::adjacent_find(seen) == seen.end());  // no id twice
    for (std::size_t r = 0; r < cpu[q].size(); ++r) {
      const Hit& a = gpu[q][r];
      const Hit& b = cpu[q][r];
      got.push_back(a.score);
      want.push_back(b.score);
      if (r > 0) CHECK(gpu[q][r - 1].score >= a.score);
      if (a.id == b.id) continue;
      INFO("slot " << r << ": gpu (" << a.id << ", " << a.score << "), cpu (" << b.id << ", " << b.score << ")");
      const double tol = 2e-5 * (1.0 + std::abs(b.score));
      REQUIRE(index.contains(a.id));
      CHECK(std::abs(a.score - b.score) <= tol);
      CHECK(std::abs(reference_score(index, queries.subspan(q * d, d), a.id) - b.score) <= tol);
    }
  }
  DAPT_GPU_REQUIRE_CLOSE(got, want, dapt_gpu_test::kTolF32);
}

HitLists singles(const auto& index, std::span<const float> queries, std::int64_t k, const Filter& filter = {}) {
  HitLists out;
  const auto d = static_cast<std::size_t>(index.dim());
  for (std::size_t q = 0; q * d < queries.size(); ++q) out.push_back(index.search(queries.subspan(q * d, d), k, filter));
  return out;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("gpu FlatIndex<Cuda> searches like FlatIndex<Cpu> on random data", "[gpu][retrieval]") {
  auto g = dapt_gpu_test::rng(501);
  for (const Metric m : {Metric::kInnerProduct, Metric::kCosine}) {
    INFO("metric " << dapt::retrieval::metric_name(m) << ", seed " << dapt_gpu_test::run_seed());
    auto x = dapt_gpu_test::uniform(g, static_cast<std::size_t>(kN * kD));
    duplicate_rows(g, x, kN, kD, 0.1);
    const auto ids = shuffled_ids(g, kN);
    FlatIndex<Cpu> cpu(kD, m);
    cpu.add(ids, x);
    FlatIndex<Cuda> gpu(kD, m);
    // In pieces of 1, 299 and 700 rows: the device rows grow twice, keeping what they hold.
    for (const auto& [r0, r1] : {std::pair<std::int64_t, std::int64_t>{0, 1}, {1, 300}, {300, kN}})
      gpu.add(std::span(ids).subspan(static_cast<std::size_t>(r0), static_cast<std::size_t>(r1 - r0)),
              std::span(x).subspan(static_cast<std::size_t>(r0 * kD), static_cast<std::size_t>((r1 - r0) * kD)));
    REQUIRE(gpu.size() == kN);
    CHECK(gpu.dim() == kD);
    CHECK(gpu.metric() == m);
    CHECK(gpu.next_id() == cpu.next_id());
    CHECK(std::ranges::equal(gpu.ids(), cpu.ids()));
    CHECK(gpu.device() == dapt::cuda::current().device());
    // The same floats on both devices (cosine rows normalised by the same host code).
    const auto stored = gpu.download_vectors();
    CHECK(std::ranges::equal(stored, cpu.vectors()));
    CHECK(gpu.reconstruct(ids[17]) == cpu.reconstruct(ids[17]));

    auto queries = dapt_gpu_test::uniform(g, static_cast<std::size_t>(kQ * kD));
    std::copy_n(x.begin() + 5 * kD, kD, queries.begin());           // query 0 is stored row 5
    for (const std::int64_t k : {std::int64_t{1}, std::int64_t{10}, std::int64_t{1024}}) {
      INFO("k " << k);
      const HitLists want = cpu.search_batch(queries, k);
      const HitLists got = gpu.search_batch(queries, k);
      require_same_up_to_near_ties(got, want, cpu, queries);
      if (k == 1024) CHECK(got[0].size() == static_cast<std::size_t>(kN));  // k > n: every row
      require_same_up_to_near_ties(singles(gpu, queries, k), want, cpu, queries);
    }
    if (m == Metric::kCosine) {  // a stored row finds itself (or a duplicate of itself) first
      const Hit top = gpu.search_batch(queries, 1)[0][0];
      CHECK(top.score == Approx(1.0f).epsilon(1e-5));
      CHECK(gpu.reconstruct(top.id) == cpu.reconstruct(ids[5]));
    }

    const Filter even = [](std::int64_t id) { return id % 2 == 0; };
    require_same_up_to_near_ties(gpu.search_batch(queries, 10, even), cpu.search_batch(queries, 10, even), cpu,
                                 queries);
    const auto first = std::span<const float>(queries).first(static_cast<std::size_t>(kD));
    CHECK(gpu.search(first, 5, [](std::int64_t) { return false; }).empty());
    const std::int64_t few[] = {ids[1], ids[2], ids[3]};
    CHECK(gpu.search(first, 1000, [&](std::int64_t id) { return std::ranges::count(few, id) > 0; }).size() == 3);
  }
}

TEST_CASE("gpu FlatIndex<Cuda> ranks exact ties by id as FlatIndex<Cpu> does", "[gpu][retrieval]") {
  auto g = dapt_gpu_test::rng(502);
  auto x = grid(g, static_cast<std::size_t>(kN * kD));
  duplicate_rows(g, x, kN, kD, 0.3);
  const auto ids = shuffled_ids(g, kN);
  FlatIndex<Cpu> cpu(kD);
  FlatIndex<Cuda> gpu(kD);
  cpu.add(ids, x);
  gpu.add(ids, x);
  auto queries = grid(g, static_cast<std::size_t>(kQ * kD));
  std::fill_n(queries.begin() + 3 * kD, kD, 0.0f);  // query 3 ties every row at 0
  const Filter odd_rows = [](std::int64_t id) { return id % 3 != 0; };

  auto compare = [&](const char* stage) {
    INFO(stage << ", seed " << dapt_gpu_test::run_seed());
    for (const std::int64_t k : {std::int64_t{1}, std::int64_t{10}, kQ, std::int64_t{1024}}) {
      INFO("k " << k);
      const HitLists want = cpu.search_batch(queries, k);
      CHECK(gpu.search_batch(queries, k) == want);
      CHECK(singles(gpu, queries, k) == want);
      CHECK(gpu.search_batch(queries, k, odd_rows) == cpu.search_batch(queries, k, odd_rows));
    }
  };
  compare("as added");

  // Remove a tenth of the rows (the last rows move into the holes), then add rows under new ids.
  std::vector<std::int64_t> gone;
  for (std::size_t i = 0; i < ids.size(); i += 10) gone.push_back(ids[i]);
  gone.push_back(ids[0]);  // repeated: ignored
  gone.push_back(-5);      // unknown: ignored
  CHECK(gpu.remove(gone) == cpu.remove(gone));
  CHECK(std::ranges::equal(gpu.ids(), cpu.ids()));
  CHECK(gpu.remove(std::vector<std::int64_t>{ids[0]}) == 0);
  const auto more = grid(g, static_cast<std::size_t>(50 * kD));
  CHECK(gpu.add(more) == cpu.add(more));
  CHECK(gpu.download_vectors() == std::vector<float>(cpu.vectors().begin(), cpu.vectors().end()));
  compare("after remove and add");

  SECTION("device queries: a fixed (nq, k) block, padded with (id -1, -inf) past the hits") {
    const std::int64_t k = 1024, n = gpu.size();
    REQUIRE(n < k);
    DeviceBuffer<float> d_queries(queries), d_top(static_cast<std::size_t>(kQ * k));
    DeviceBuffer<std::int64_t> d_top_ids(static_cast<std::size_t>(kQ * k));
    std::vector<std::uint8_t> valid(static_cast<std::size_t>(n));
    for (std::int64_t r = 0; r < n; ++r) valid[static_cast<std::size_t>(r)] = odd_rows(gpu.ids()[r]) ? 1 : 0;
    DeviceBuffer<std::uint8_t> d_valid(valid);
    for (const bool masked : {false, true}) {
      INFO("masked " << masked);
      d_top.poison();
      d_top_ids.poison(0x7f);  // not -1, the id of an empty slot
      gpu.search_device(d_queries.get(), kQ, k, d_top.get(), d_top_ids.get(), masked ? d_valid.get() : nullptr);
      const auto scores = d_top.download();
      const auto top_ids = d_top_ids.read();
      const HitLists want = masked ? cpu.search_batch(queries, k, odd_rows) : cpu.search_batch(queries, k);
      for (std::int64_t q = 0; q < kQ; ++q)
        for (std::int64_t r = 0; r < k; ++r) {
          const auto slot = static_cast<std::size_t>(q * k + r);
          const auto& w = want[static_cast<std::size_t>(q)];
          const Hit expected = r < static_cast<std::int64_t>(w.size()) ? w[static_cast<std::size_t>(r)]
                                                                      : Hit{-1, -std::numeric_limits<float>::infinity()};
          if (top_ids[slot] != expected.id || scores[slot] != expected.score) {
            FAIL("query " << q << " slot " << r << ": got (" << top_ids[slot] << ", " << scores[slot] << "), want ("
                          << expected.id << ", " << expected.score << ")");
          }
        }
    }
  }

  SECTION("a moved index keeps its rows") {
    FlatIndex<Cuda> moved = std::move(gpu);
    CHECK(moved.search_batch(queries, 10) == cpu.search_batch(queries, 10));
  }
}

TEST_CASE("gpu FlatIndex<Cuda> and FlatIndex<Cpu> read each other's files", "[gpu][retrieval]") {
  dapt_test::TempDir tmp("gpu_flat_index_files");
  auto g = dapt_gpu_test::rng(503);
  for (const Metric m : {Metric::kInnerProduct, Metric::kCosine}) {
    INFO("metric " << dapt::retrieval::metric_name(m) << ", seed " << dapt_gpu_test::run_seed());
    const std::int64_t n = 333, d = 19;
    auto x = dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * d));
    duplicate_rows(g, x, n, d, 0.1);
    const auto ids = shuffled_ids(g, n);
    FlatIndex<Cpu> cpu(d, m);
    FlatIndex<Cuda> gpu(d, m);
    cpu.add(ids, x);
    gpu.add(ids, x);
    const std::vector<std::int64_t> gone{ids[0], ids[100], ids[332]};
    cpu.remove(gone);
    gpu.remove(gone);
    const fs::path from_gpu = tmp.path / "gpu.flat", from_cpu = tmp.path / "cpu.flat";
    gpu.save(from_gpu);
    cpu.save(from_cpu);
    CHECK(file_bytes(from_gpu) == file_bytes(from_cpu));  // one format, the same floats

    const auto queries = dapt_gpu_test::uniform(g, static_cast<std::size_t>(kQ * d));
    const auto on_cpu = FlatIndex<Cpu>::load(from_gpu);
    CHECK(on_cpu.next_id() == cpu.next_id());
    CHECK(std::ranges::equal(on_cpu.ids(), cpu.ids()));
    CHECK(std::ranges::equal(on_cpu.vectors(), cpu.vectors()));
    CHECK(on_cpu.search_batch(queries, 12) == cpu.search_batch(queries, 12));

    auto on_gpu = FlatIndex<Cuda>::load(from_cpu);
    CHECK(on_gpu.dim() == d);
    CHECK(on_gpu.metric() == m);
    CHECK(on_gpu.next_id() == cpu.next_id());
    CHECK(std::ranges::equal(on_gpu.ids(), cpu.ids()));
    CHECK(on_gpu.download_vectors() == std::vector<float>(cpu.vectors().begin(), cpu.vectors().end()));
    require_same_up_to_near_ties(on_gpu.search_batch(queries, 12), cpu.search_batch(queries, 12), cpu, queries);
    CHECK(FlatIndex<Cuda>::load(from_cpu, {.verify_checksums = false}).size() == cpu.size());

    // A loaded index grows like any other.
    auto more = dapt_gpu_test::uniform(g, static_cast<std::size_t>(40 * d));
    CHECK(on_gpu.add(more) == cpu.add(more));
    require_same_up_to_near_ties(on_gpu.search_batch(queries, 50), cpu.search_batch(queries, 50), cpu, queries);
  }
  FlatIndex<Cuda> empty(3);
  empty.save(tmp.path / "empty.flat");
  CHECK(FlatIndex<Cpu>::load(tmp.path / "empty.flat").empty());
  FlatIndex<Cpu>(4, Metric::kCosine).save(tmp.path / "empty_cpu.flat");
  const auto e = FlatIndex<Cuda>::load(tmp.path / "empty_cpu.flat");
  CHECK(e.empty());
  CHECK(e.dim() == 4);
  CHECK(e.metric() == Metric::kCosine);
}

namespace {

/// x rounded to bf16 and widened back: what a bf16 index stores of it.
std::vector<float> bf16_rounded(std::span<const float> x) {
  std::vector<float> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = dapt::bf16(x[i]).to_float();
  return out;
}

}  // namespace

TEST_CASE("gpu FlatIndex<Cuda> in bf16 ranks as FlatIndex<Cpu> over the bf16-rounded vectors", "[gpu][retrieval]") {
  using dapt::DType;
  auto g = dapt_gpu_test::rng(505);
  dapt_test::TempDir tmp("gpu_flat_index_bf16");
  for (const Metric m : {Metric::kInnerProduct, Metric::kCosine}) {
    INFO("metric " << dapt::retrieval::metric_name(m) << ", seed " << dapt_gpu_test::run_seed());
    auto x = dapt_gpu_test::uniform(g, static_cast<std::size_t>(kN * kD));
    duplicate_rows(g, x, kN, kD, 0.1);
    const auto ids = shuffled_ids(g, kN);
    FlatIndex<Cuda> gpu(kD, m, DType::kBF16);
    CHECK(gpu.storage() == DType::kBF16);
    for (const auto& [r0, r1] : {std::pair<std::int64_t, std::int64_t>{0, 1}, {1, 300}, {300, kN}})
      gpu.add(std::span(ids).subspan(static_cast<std::size_t>(r0), static_cast<std::size_t>(r1 - r0)),
              std::span(x).subspan(static_cast<std::size_t>(r0 * kD), static_cast<std::size_t>((r1 - r0) * kD)));
    // The reference: an inner-product CPU index over the rows the fp32 index would store (cosine:
    // normalised in fp32), rounded to bf16; its queries are prepared likewise, then rounded.
    FlatIndex<Cpu> fp32(kD, m);
    fp32.add(ids, x);
    const auto rows = bf16_rounded(fp32.vectors());
    FlatIndex<Cpu> ref(kD);
    ref.add(ids, rows);
    CHECK(std::ranges::equal(gpu.ids(), ref.ids()));
    CHECK(gpu.download_vectors() == rows);
    CHECK(gpu.reconstruct(ids[17]) == ref.reconstruct(ids[17]));

    auto queries = dapt_gpu_test::uniform(g, static_cast<std::size_t>(kQ * kD));
    std::vector<float> prepared(queries.size());
    dapt::retrieval::detail::prepare_flat_queries(queries, kQ, kD, m, "test", prepared.data());
    const auto ref_queries = bf16_rounded(prepared);
    for (const std::int64_t k : {std::int64_t{1}, std::int64_t{10}, std::int64_t{1024}}) {
      INFO("k " << k);
      const HitLists want = ref.search_batch(ref_queries, k);
      require_same_up_to_near_ties(gpu.search_batch(queries, k), want, ref, ref_queries);
      require_same_up_to_near_ties(singles(gpu, queries, k), want, ref, ref_queries);
    }
    const Filter even = [](std::int64_t id) { return id % 2 == 0; };
    require_same_up_to_near_ties(gpu.search_batch(queries, 10, even), ref.search_batch(ref_queries, 10, even), ref,
                                 ref_queries);

    // Device queries in bf16 (the rounded prepared ones), into a fixed (nq, k) block.
    const std::int64_t k = 7;
    DeviceBuffer<dapt::bf16> d_queries(ref_queries);
    DeviceBuffer<float> d_top(static_cast<std::size_t>(kQ * k));
    DeviceBuffer<std::int64_t> d_top_ids(static_cast<std::size_t>(kQ * k));
    d_top.poison();
    gpu.search_device(d_queries.get(), kQ, k, d_top.get(), d_top_ids.get());
    const auto top = d_top.download();
    const auto top_ids = d_top_ids.read();
    HitLists from_device(static_cast<std::size_t>(kQ));
    for (std::int64_t q = 0; q < kQ; ++q)
      for (std::int64_t r = 0; r < k; ++r)
        from_device[static_cast<std::size_t>(q)].push_back(
            {top_ids[static_cast<std::size_t>(q * k + r)], top[static_cast<std::size_t>(q * k + r)]});
    require_same_up_to_near_ties(from_device, ref.search_batch(ref_queries, k), ref, ref_queries);

    // Removal moves whole bf16 rows; the file holds the rounded values, widened.
    std::vector<std::int64_t> gone;
    for (std::size_t i = 0; i < ids.size(); i += 7) gone.push_back(ids[i]);
    CHECK(gpu.remove(gone) == ref.remove(gone));
    CHECK(std::ranges::equal(gpu.ids(), ref.ids()));
    CHECK(gpu.download_vectors() == std::vector<float>(ref.vectors().begin(), ref.vectors().end()));
    const fs::path saved = tmp.path / "bf16.flat";
    gpu.save(saved);
    const auto on_cpu = FlatIndex<Cpu>::load(saved);
    CHECK(on_cpu.metric() == m);
    CHECK(std::ranges::equal(on_cpu.vectors(), ref.vectors()));
    const auto again = FlatIndex<Cuda>::load(saved, {}, DType::kBF16);  // rounding rounded values: no change
    CHECK(again.storage() == DType::kBF16);
    CHECK(again.download_vectors() == std::vector<float>(ref.vectors().begin(), ref.vectors().end()));
    // An fp32 file loaded into bf16 storage is rounded on the way.
    const fs::path full = tmp.path / "fp32.flat";
    fp32.save(full);
    CHECK(FlatIndex<Cuda>::load(full, {}, DType::kBF16).download_vectors() == rows);
  }
}

TEST_CASE("gpu FlatIndex<Cuda> in bf16: exact data ranks exactly as the CPU, and types are checked", "[gpu][retrieval]") {
  using dapt::DType;
  auto g = dapt_gpu_test::rng(506);
  // Halves are exact in bf16, so every score is exact: the lists equal the CPU's, ties and all.
  auto x = grid(g, static_cast<std::size_t>(kN * kD));
  duplicate_rows(g, x, kN, kD, 0.3);
  const auto ids = shuffled_ids(g, kN);
  FlatIndex<Cpu> cpu(kD);
  FlatIndex<Cuda> gpu(kD, Metric::kInnerProduct, DType::kBF16);
  cpu.add(ids, x);
  gpu.add(ids, x);
  const auto queries = grid(g, static_cast<std::size_t>(kQ * kD));
  for (const std::int64_t k : {std::int64_t{1}, std::int64_t{10}, std::int64_t{1024}})
    CHECK(gpu.search_batch(queries, k) == cpu.search_batch(queries, k));

  REQUIRE_DAPT_ERROR(FlatIndex<Cuda>(4, Metric::kInnerProduct, DType::kF16), kUnsupported, "F16");
  REQUIRE_DAPT_ERROR(gpu.device_vectors<float>(), kDtype, "BF16");
  CHECK(gpu.device_vectors<dapt::bf16>() != nullptr);
  DeviceBuffer<float> d_f32(queries), d_top(static_cast<std::size_t>(kQ));
  DeviceBuffer<dapt::bf16> d_bf16(queries);
  DeviceBuffer<std::int64_t> d_top_ids(static_cast<std::size_t>(kQ));
  REQUIRE_DAPT_ERROR(gpu.search_device(d_f32.get(), kQ, 1, d_top.get(), d_top_ids.get()), kDtype, "stores BF16");
  FlatIndex<Cuda> fp32(kD);
  fp32.add(ids, x);
  REQUIRE_DAPT_ERROR(fp32.search_device(d_bf16.get(), kQ, 1, d_top.get(), d_top_ids.get()), kDtype, "stores F32");
  REQUIRE_DAPT_ERROR(fp32.device_vectors<dapt::bf16>(), kDtype, "F32");
}

TEST_CASE("gpu FlatIndex<Cuda> refuses bad input with FlatIndex<Cpu>'s errors", "[gpu][retrieval]") {
  auto g = dapt_gpu_test::rng(504);
  REQUIRE_DAPT_ERROR(FlatIndex<Cuda>(0), kInvalidArgument, "dimension");
  FlatIndex<Cuda> index(4);
  const auto q = dapt_gpu_test::uniform(g, 4);
  // Empty: no hits, as on the CPU (the arguments are still checked).
  CHECK(index.search(q, 3).empty());
  CHECK(index.search_batch(dapt_gpu_test::uniform(g, 8), 3) == HitLists(2));
  CHECK(index.search_batch({}, 3).empty());
  REQUIRE_DAPT_ERROR(index.search(q, 2000), kUnsupported, "1024");
  CHECK(index.device() == -1);  // nothing was allocated

  index.add(std::vector<std::int64_t>{5}, dapt_gpu_test::uniform(g, 4));
  REQUIRE_DAPT_ERROR(index.add(std::vector<std::int64_t>{5}, dapt_gpu_test::uniform(g, 4)), kInvalidArgument, "id 5");
  REQUIRE_DAPT_ERROR(index.add(std::vector<std::int64_t>{8, 9, 8}, dapt_gpu_test::uniform(g, 12)), kInvalidArgument,
                     "id 8");
  REQUIRE_DAPT_ERROR(index.add(std::vector<std::int64_t>{-2}, dapt_gpu_test::uniform(g, 4)), kInvalidArgument, "-2");
  REQUIRE_DAPT_ERROR(index.add(std::vector<std::int64_t>{6}, dapt_gpu_test::uniform(g, 5)), kShape, "dim");
  REQUIRE_DAPT_ERROR(index.add(dapt_gpu_test::uniform(g, 5)), kShape, "dim");
  auto bad = dapt_gpu_test::uniform(g, 12);
  bad[2 * 4 + 1] = std::nanf("");
  REQUIRE_DAPT_ERROR(index.add(std::vector<std::int64_t>{6, 7, 8}, bad), kNumeric, "row 2 (id 8)");
  bad[2 * 4 + 1] = INFINITY;
  REQUIRE_DAPT_ERROR(index.add(bad), kNumeric, "row 2");
  CHECK(index.size() == 1);  // nothing was added by the failed calls
  CHECK_FALSE(index.contains(6));
  REQUIRE_DAPT_ERROR(index.reconstruct(999), kOutOfRange, "999");

  REQUIRE_DAPT_ERROR(index.search(q, 0), kInvalidArgument, "k");
  REQUIRE_DAPT_ERROR(index.search_batch(q, -1), kInvalidArgument, "k");
  REQUIRE_DAPT_ERROR(index.search(q, 1025), kUnsupported, "device top-k limit of 1024");
  REQUIRE_DAPT_ERROR(index.search_batch(q, 5000), kUnsupported, "1024");
  CHECK(index.search(q, 1024).size() == 1);
  REQUIRE_DAPT_ERROR(index.search(dapt_gpu_test::uniform(g, 3), 1), kShape, "dim");
  REQUIRE_DAPT_ERROR(index.search_batch(dapt_gpu_test::uniform(g, 6), 1), kShape, "dim");
  std::vector<float> nan_q(4, 0.0f);
  nan_q[3] = std::nanf("");
  REQUIRE_DAPT_ERROR(index.search(nan_q, 1), kNumeric, "query 0");
  DeviceBuffer<float> d_top(1);
  DeviceBuffer<std::int64_t> d_top_ids(1);
  REQUIRE_DAPT_ERROR(index.search_device(static_cast<const float*>(nullptr), 1, 1025, d_top.get(), d_top_ids.get()), kUnsupported, "1024");
  REQUIRE_DAPT_ERROR(index.search_device(static_cast<const float*>(nullptr), -1, 1, d_top.get(), d_top_ids.get()), kInvalidArgument, "nq");

  FlatIndex<Cuda> cosine(3, Metric::kCosine);
  REQUIRE_DAPT_ERROR(cosine.add(std::vector<float>{1, 2, 3, 0, 0, 0}), kNumeric, "row 1");
  cosine.add(std::vector<float>{3, 0, 4});
  const auto v = cosine.reconstruct(0);
  CHECK(v[0] == Approx(0.6f));
  CHECK(v[2] == Approx(0.8f));
  REQUIRE_DAPT_ERROR(cosine.search(std::vector<float>{0, 0, 0}, 1), kNumeric, "zero");
  CHECK(cosine.search(std::vector<float>{0, 0, 10}, 1)[0].score == Approx(0.8f));

  dapt_test::TempDir tmp("gpu_flat_index_errors");
  REQUIRE_DAPT_ERROR(FlatIndex<Cuda>::load(tmp.path / "missing.flat"), kIo, "missing.flat");
  index.save(tmp.path / "good.flat");
  std::string bytes = file_bytes(tmp.path / "good.flat");
  bytes.resize(bytes.size() - 3);
  const fs::path truncated = tmp.path / "truncated.flat";
  std::ofstream(truncated, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE_DAPT_ERROR(FlatIndex<Cuda>::load(truncated), kFormat, truncated.string());
}

}  // namespace dapt_gpu_flat_index_gpu_test
