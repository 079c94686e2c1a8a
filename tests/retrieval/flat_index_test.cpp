/// @file flat_index_test.cpp
/// @brief Tests of `dapt::retrieval::FlatIndex` and of the index file container beneath it. Search
/// results are checked against a brute-force double-precision reference on seeded random data for
/// both metrics and awkward dimensions (the SIMD tails), a batch must return bitwise the lists of
/// single searches for any thread count, and add / remove / filter / k > n / save / load (with
/// copy-on-write after load) keep results exact. The hostile half builds index files that break
/// one rule each (with valid checksums, so the rule itself is what is tested), truncates a file
/// at every offset and flips every byte of it: each must fail with a dapt::Error naming the file,
/// never crash or load silently.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "dapt_catch.hpp"
#include "test_util.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/retrieval/detail/index_file.hpp"
#include "dapt/retrieval/flat_index.hpp"

namespace fs = std::filesystem;
using dapt::ErrorCategory;
using CpuFlatIndex = dapt::retrieval::FlatIndex<dapt::Cpu>;
using dapt::retrieval::Hit;
using dapt::retrieval::Metric;
namespace rd = dapt::retrieval::detail;

namespace {

/// n x d gaussian floats, seeded.
std::vector<float> random_vectors(std::int64_t n, std::int64_t d, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n * d));
  for (float& x : v) x = g(rng);
  return v;
}

/// Scores of every row against `query` in double, normalising both for cosine.
std::vector<double> reference_scores(const std::vector<float>& x, std::int64_t d, const float* query, Metric m) {
  const std::int64_t n = static_cast<std::int64_t>(x.size()) / d;
  auto norm = [&](const float* v) {
    double s = 0;
    for (std::int64_t j = 0; j < d; ++j) s += static_cast<double>(v[j]) * v[j];
    return std::sqrt(s);
  };
  const double qn = m == Metric::kCosine ? norm(query) : 1.0;
  std::vector<double> out(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < n; ++r) {
    double s = 0;
    for (std::int64_t j = 0; j < d; ++j) s += static_cast<double>(x[r * d + j]) * query[j];
    out[r] = s / (qn * (m == Metric::kCosine ? norm(&x[r * d]) : 1.0));
  }
  return out;
}

/// Checks `hits` is the exact top-k (up to float rounding) of `ref` (score of row r = id base + r).
void check_against_reference(const std::vector<Hit>& hits, const std::vector<double>& ref, std::int64_t k,
                             std::int64_t id_base, double tol) {
  const std::int64_t n = static_cast<std::int64_t>(ref.size());
  REQUIRE(static_cast<std::int64_t>(hits.size()) == std::min(k, n));
  for (std::size_t i = 1; i < hits.size(); ++i) CHECK(dapt::retrieval::hit_before(hits[i - 1], hits[i]));
  std::set<std::int64_t> seen;
  for (const Hit& h : hits) {
    REQUIRE(h.id >= id_base);
    REQUIRE(h.id < id_base + n);
    CHECK(seen.insert(h.id).second);
    CHECK(std::abs(h.score - ref[static_cast<std::size_t>(h.id - id_base)]) <= tol);
  }
  // Nothing left out ranks clearly above what was returned.
  std::vector<double> sorted = ref;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  if (!hits.empty()) {
    const double kth = sorted[hits.size() - 1];
    CHECK(hits.back().score >= kth - tol);
    // With a clear gap at rank k, the id sets agree exactly.
    if (hits.size() < sorted.size() && sorted[hits.size() - 1] - sorted[hits.size()] > 4 * tol) {
      for (const Hit& h : hits) CHECK(ref[static_cast<std::size_t>(h.id - id_base)] >= kth - tol);
    }
  }
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

CpuFlatIndex small_index(Metric m = Metric::kInnerProduct, std::int64_t n = 5, std::int64_t d = 4) {
  CpuFlatIndex index(d, m);
  const auto v = random_vectors(n, d, 99);
  std::vector<std::int64_t> ids;
  for (std::int64_t i = 0; i < n; ++i) ids.push_back(10 + 3 * i);
  index.add(ids, v);
  return index;
}

}  // namespace

TEST_CASE("dot kernels agree bitwise: tile, 16-way reduction and single", "[retrieval][flat]") {
  for (std::int64_t d : {1, 3, 15, 16, 17, 31, 64, 100}) {
    const auto x = random_vectors(rd::kTileRows, d, 1);
    const auto y = random_vectors(rd::kTileQueries, d, 2);
    const float* xs[rd::kTileRows];
    const float* ys[rd::kTileQueries];
    for (int r = 0; r < rd::kTileRows; ++r) xs[r] = x.data() + r * d;
    for (int q = 0; q < rd::kTileQueries; ++q) ys[q] = y.data() + q * d;
    float tile[rd::kTileRows * rd::kTileQueries];
    rd::dot_tile<rd::kTileRows, rd::kTileQueries>(xs, ys, d, tile);
    for (int r = 0; r < rd::kTileRows; ++r)
      for (int q = 0; q < rd::kTileQueries; ++q) {
        const float single = rd::dot(xs[r], ys[q], d);
        CHECK(std::memcmp(&single, &tile[r * rd::kTileQueries + q], sizeof(float)) == 0);
        double ref = 0;
        for (std::int64_t j = 0; j < d; ++j) ref += static_cast<double>(xs[r][j]) * ys[q][j];
        CHECK(std::abs(single - ref) <= 1e-5 * (1 + std::sqrt(static_cast<double>(d))));
      }
  }
}

TEST_CASE("CpuFlatIndex search is exact against a double reference", "[retrieval][flat]") {
  for (Metric m : {Metric::kInnerProduct, Metric::kCosine}) {
    for (std::int64_t d : {1, 5, 16, 37}) {
      for (std::int64_t n : {1, 7, 300}) {
        INFO("metric " << dapt::retrieval::metric_name(m) << " d " << d << " n " << n);
        const auto x = random_vectors(n, d, static_cast<std::uint32_t>(d * 1000 + n));
        CpuFlatIndex index(d, m);
        const auto ids = index.add(x);  // ids 0 .. n-1
        REQUIRE(ids.size() == static_cast<std::size_t>(n));
        CHECK(index.size() == n);
        CHECK(index.dim() == d);
        CHECK(index.metric() == m);
        const auto queries = random_vectors(5, d, 7);
        const double tol = 1e-5 * (m == Metric::kCosine ? 1.0 : 2.0 * d);
        for (std::int64_t q = 0; q < 5; ++q) {
          const auto ref = reference_scores(x, d, &queries[q * d], m);
          for (std::int64_t k : {1, 4, 1000}) {
            const auto hits = index.search(std::span(&queries[q * d], d), k);
            check_against_reference(hits, ref, k, 0, tol);
          }
        }
      }
    }
  }
}

TEST_CASE("CpuFlatIndex batch search equals single searches bitwise, for any thread count", "[retrieval][flat]") {
  const std::int64_t d = 24, n = 2600;
  const auto x = random_vectors(n, d, 5);
  for (Metric m : {Metric::kInnerProduct, Metric::kCosine}) {
    CpuFlatIndex index(d, m);
    index.add(x);
    for (std::int64_t nq : {1, 3, 8, 19}) {
      const auto queries = random_vectors(nq, d, static_cast<std::uint32_t>(nq));
      std::vector<std::vector<Hit>> single;
      for (std::int64_t q = 0; q < nq; ++q) single.push_back(index.search(std::span(&queries[q * d], d), 7));
      for (int threads : {1, 2, 3}) {
        dapt::ThreadScope scope(threads);
        INFO("nq " << nq << " threads " << threads);
        const auto batch = index.search_batch(queries, 7);
        REQUIRE(batch.size() == static_cast<std::size_t>(nq));
        for (std::int64_t q = 0; q < nq; ++q) CHECK(batch[q] == single[q]);
        CHECK(index.search(std::span(&queries[0], d), 7) == single[0]);
      }
    }
  }
  CpuFlatIndex empty(d);
  CHECK(empty.search_batch(random_vectors(2, d, 1), 3) == dapt::retrieval::HitLists(2));
  CHECK(empty.search(random_vectors(1, d, 1), 3).empty());
  CHECK(empty.search_batch({}, 3).empty());
}

TEST_CASE("CpuFlatIndex ranks ties by ascending id", "[retrieval][flat]") {
  CpuFlatIndex index(3);
  const std::vector<float> v{1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0};
  index.add(std::vector<std::int64_t>{40, 7, 3, 12}, v);
  const std::vector<float> q{1, 0, 0};
  const auto hits = index.search(q, 2);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0] == Hit{7, 1.0f});
  CHECK(hits[1] == Hit{12, 1.0f});
  CHECK(index.search(q, 10).size() == 4);
  CHECK(index.search(q, 10).back() == Hit{3, 0.0f});
}

TEST_CASE("CpuFlatIndex filter applies before the top k", "[retrieval][flat]") {
  const std::int64_t d = 8, n = 500;
  const auto x = random_vectors(n, d, 11);
  CpuFlatIndex index(d);
  index.add(x);
  const auto q = random_vectors(1, d, 12);
  const dapt::retrieval::Filter even = [](std::int64_t id) { return id % 2 == 0; };
  const auto hits = index.search(q, 10, even);
  REQUIRE(hits.size() == 10);  // still k results: the filter runs before a hit enters
  for (const Hit& h : hits) CHECK(h.id % 2 == 0);
  // The same as an unfiltered search over the even items only.
  const auto all = index.search(q, n);
  std::vector<Hit> expected;
  for (const Hit& h : all)
    if (h.id % 2 == 0 && expected.size() < 10) expected.push_back(h);
  CHECK(hits == expected);
  const auto batch = index.search_batch(random_vectors(3, d, 12), 10, even);
  CHECK(batch[0] == hits);
  CHECK(index.search(q, 5, [](std::int64_t) { return false; }).empty());
  CHECK(index.search(q, 1000, [](std::int64_t id) { return id < 3; }).size() == 3);
}

TEST_CASE("CpuFlatIndex add, remove, contains and vector", "[retrieval][flat]") {
  const std::int64_t d = 6;
  const auto x = random_vectors(40, d, 21);
  CpuFlatIndex index(d);
  std::vector<std::int64_t> ids;
  for (std::int64_t i = 0; i < 40; ++i) ids.push_back(1000 - 5 * i);
  index.add(ids, x);
  CHECK(index.next_id() == 1001);
  CHECK(index.contains(1000));
  CHECK_FALSE(index.contains(999));
  CHECK(index.reconstruct(995) == std::vector<float>(x.begin() + d, x.begin() + 2 * d));

  const std::vector<std::int64_t> gone{1000, 900, 805, 12345, 900};
  CHECK(index.remove(gone) == 3);  // unknown and repeated ids are ignored
  CHECK(index.size() == 37);
  CHECK_FALSE(index.contains(900));
  REQUIRE_DAPT_ERROR(index.vector(900), kOutOfRange, "900");

  // The same results as an index built from the remaining items alone.
  CpuFlatIndex fresh(d);
  std::vector<std::int64_t> keep_ids;
  std::vector<float> keep;
  for (std::int64_t i = 0; i < 40; ++i) {
    if (ids[i] == 1000 || ids[i] == 900 || ids[i] == 805) continue;
    keep_ids.push_back(ids[i]);
    keep.insert(keep.end(), x.begin() + i * d, x.begin() + (i + 1) * d);
  }
  fresh.add(keep_ids, keep);
  const auto qs = random_vectors(4, d, 22);
  CHECK(index.search_batch(qs, 50) == fresh.search_batch(qs, 50));
  for (std::int64_t id : keep_ids) CHECK(index.reconstruct(id) == fresh.reconstruct(id));

  // Ids of removed items are not reused by add without ids.
  const auto more = index.add(random_vectors(2, d, 23));
  CHECK(more == std::vector<std::int64_t>{1001, 1002});
  CHECK(index.remove(std::vector<std::int64_t>{7}) == 0);
}

TEST_CASE("CpuFlatIndex refuses bad arguments and bad numbers", "[retrieval][flat]") {
  REQUIRE_DAPT_ERROR(CpuFlatIndex(0), kInvalidArgument, "dimension");
  CpuFlatIndex index(4);
  index.add(std::vector<std::int64_t>{5}, random_vectors(1, 4, 1));
  REQUIRE_DAPT_ERROR(index.add(std::vector<std::int64_t>{5}, random_vectors(1, 4, 2)), kInvalidArgument, "id 5");
  REQUIRE_DAPT_ERROR(index.add(std::vector<std::int64_t>{8, 9, 8}, random_vectors(3, 4, 2)), kInvalidArgument, "id 8");
  REQUIRE_DAPT_ERROR(index.add(std::vector<std::int64_t>{-2}, random_vectors(1, 4, 2)), kInvalidArgument, "-2");
  REQUIRE_DAPT_ERROR(index.add(std::vector<std::int64_t>{6}, random_vectors(1, 5, 2)), kShape, "dim");
  REQUIRE_DAPT_ERROR(index.add(random_vectors(1, 5, 2)), kShape, "dim");
  auto bad = random_vectors(3, 4, 3);
  bad[2 * 4 + 1] = std::nanf("");
  REQUIRE_DAPT_ERROR(index.add(std::vector<std::int64_t>{6, 7, 8}, bad), kNumeric, "row 2 (id 8)");
  bad[2 * 4 + 1] = INFINITY;
  REQUIRE_DAPT_ERROR(index.add(bad), kNumeric, "row 2");
  CHECK(index.size() == 1);  // nothing was added by the failed calls
  CHECK_FALSE(index.contains(6));
  const auto q = random_vectors(1, 4, 4);
  REQUIRE_DAPT_ERROR(index.search(q, 0), kInvalidArgument, "k");
  REQUIRE_DAPT_ERROR(index.search_batch(q, -1), kInvalidArgument, "k");
  REQUIRE_DAPT_ERROR(index.search(random_vectors(1, 3, 4), 1), kShape, "dim");
  REQUIRE_DAPT_ERROR(index.search_batch(random_vectors(1, 6, 4), 1), kShape, "dim");
  std::vector<float> nan_q(4, 0.0f);
  nan_q[3] = std::nanf("");
  REQUIRE_DAPT_ERROR(index.search(nan_q, 1), kNumeric, "query 0");

  CpuFlatIndex cosine(3, Metric::kCosine);
  REQUIRE_DAPT_ERROR(cosine.add(std::vector<float>{1, 2, 3, 0, 0, 0}), kNumeric, "row 1");
  cosine.add(std::vector<float>{3, 0, 4});
  const auto v = cosine.vector(0);
  CHECK(v[0] == Approx(0.6f));
  CHECK(v[2] == Approx(0.8f));
  REQUIRE_DAPT_ERROR(cosine.search(std::vector<float>{0, 0, 0}, 1), kNumeric, "zero");
  CHECK(cosine.search(std::vector<float>{0, 0, 10}, 1)[0].score == Approx(0.8f));
}

TEST_CASE("CpuFlatIndex save and load: bitwise the same results, searched in place", "[retrieval][flat]") {
  dapt_test::TempDir tmp("flat_index_roundtrip");
  for (Metric m : {Metric::kInnerProduct, Metric::kCosine}) {
    const std::int64_t d = 19, n = 333;
    CpuFlatIndex index(d, m);
    std::vector<std::int64_t> ids;
    for (std::int64_t i = 0; i < n; ++i) ids.push_back(i * 7 + 1);
    const auto x = random_vectors(n, d, 31);
    index.add(ids, x);
    index.remove(std::vector<std::int64_t>{8, 15});
    const fs::path path = tmp.path / "flat.dapt";
    index.save(path);

    auto loaded = CpuFlatIndex::load(path);
    CHECK(loaded.is_mapped());
    CHECK(loaded.size() == index.size());
    CHECK(loaded.dim() == d);
    CHECK(loaded.metric() == m);
    CHECK(loaded.next_id() == index.next_id());
    const auto qs = random_vectors(9, d, 32);
    const auto expected = index.search_batch(qs, 12);
    CHECK(loaded.search_batch(qs, 12) == expected);
    CHECK(loaded.search(std::span(qs.data(), d), 12) == expected[0]);
    // The vectors are used in place: they lie inside the file's mapping.
    const auto bytes = read_file(path);
    CHECK(bytes.size() == fs::file_size(path));
    CHECK(reinterpret_cast<std::uintptr_t>(loaded.vectors().data()) % 64 == 0);
    CHECK(CpuFlatIndex::load(path, {.verify_checksums = false}).search_batch(qs, 12) == expected);

    // Copy-on-write: modifying the loaded index copies it and leaves the file alone.
    auto copy = loaded;
    const auto extra = random_vectors(3, d, 33);
    copy.add(std::vector<std::int64_t>{5000, 5001, 5002}, extra);
    index.add(std::vector<std::int64_t>{5000, 5001, 5002}, extra);
    CHECK_FALSE(copy.is_mapped());
    CHECK(loaded.is_mapped());
    CHECK(copy.search_batch(qs, 12) == index.search_batch(qs, 12));
    CHECK(loaded.search_batch(qs, 12) == expected);
    CHECK(loaded.remove(std::vector<std::int64_t>{1, 22}) == 2);
    CHECK_FALSE(loaded.is_mapped());
    CHECK(read_file(path) == bytes);
    CHECK(CpuFlatIndex::load(path).search_batch(qs, 12) == expected);

    // Saving over the file a mapped index was loaded from: the old mapping stays valid.
    auto mapped = CpuFlatIndex::load(path);
    index.save(path);
    CHECK(mapped.search_batch(qs, 12) == expected);
    CHECK(CpuFlatIndex::load(path).search_batch(qs, 12) == index.search_batch(qs, 12));
  }
  CpuFlatIndex empty(3);
  empty.save(tmp.path / "empty.dapt");
  const auto e = CpuFlatIndex::load(tmp.path / "empty.dapt");
  CHECK(e.size() == 0);
  CHECK(e.search(std::vector<float>{1, 2, 3}, 4).empty());
  REQUIRE_DAPT_ERROR(empty.save(tmp.path / "no_such_dir" / "x.dapt"), kIo, "no_such_dir");
}

TEST_CASE("CpuFlatIndex load refuses truncated and corrupted files", "[retrieval][flat][hostile]") {
  dapt_test::TempDir tmp("flat_index_hostile");
  const fs::path good = tmp.path / "good.dapt";
  small_index().save(good);
  const std::string bytes = read_file(good);
  REQUIRE(bytes.size() > 200);
  const fs::path bad = tmp.path / "bad.dapt";

  SECTION("truncated at every offset") {
    for (std::size_t len = 0; len < bytes.size(); ++len) {
      INFO("length " << len);
      dapt_test::write_file(bad, bytes.substr(0, len));
      REQUIRE_DAPT_ERROR(CpuFlatIndex::load(bad), kFormat, bad.string());
    }
  }
  SECTION("a flipped byte anywhere, with or without full checksum verification") {
    for (std::size_t at = 0; at < bytes.size(); ++at) {
      INFO("byte " << at);
      std::string b = bytes;
      b[at] = static_cast<char>(b[at] ^ 0x10);
      dapt_test::write_file(bad, b);
      REQUIRE_DAPT_ERROR(CpuFlatIndex::load(bad), kFormat, bad.string());
      REQUIRE_DAPT_ERROR(CpuFlatIndex::load(bad, {.verify_checksums = false}), kFormat, bad.string());
    }
  }
  SECTION("bytes appended") {
    dapt_test::write_file(bad, bytes + std::string(64, '\0'));
    REQUIRE_DAPT_ERROR(CpuFlatIndex::load(bad), kFormat, "bytes but the file has");
  }
  SECTION("empty file, directory, missing file") {
    dapt_test::write_file(bad, "");
    REQUIRE_DAPT_ERROR(CpuFlatIndex::load(bad), kFormat, "shorter than");
    REQUIRE_DAPT_ERROR(CpuFlatIndex::load(tmp.path), kIo, tmp.path.string());
    REQUIRE_DAPT_ERROR(CpuFlatIndex::load(tmp.path / "missing.dapt"), kIo, "missing.dapt");
  }
  SECTION("another kind of index file") {
    rd::IndexFileWriter w(rd::index_kind("HNSW"));
    w.add_json("meta", dapt::io::json::object{});
    w.commit(bad);
    REQUIRE_DAPT_ERROR(CpuFlatIndex::load(bad), kFormat, "'HNSW', expected 'FLAT'");
    dapt_test::write_file(bad, "not an index at all, but long enough to hold a whole header of 48 bytes");
    REQUIRE_DAPT_ERROR(CpuFlatIndex::load(bad), kFormat, "bad magic");
  }
}

namespace {

/// A raw index file built byte by byte, so that a case can break one rule while keeping the
/// checksums right: header fields, table entries and section bytes are set directly.
struct RawFile {
  struct Entry {
    std::string name;
    std::uint64_t offset, size, checksum;
  };
  std::uint32_t version = rd::kIndexFileVersion;
  std::uint32_t kind = rd::index_kind("FLAT");
  std::vector<Entry> entries;
  std::vector<std::string> payloads;
  std::string body;  // everything after the table
  std::optional<std::uint64_t> count, file_size;

  /// Appends a section with its true checksum (build() assigns the offsets).
  void add(const std::string& name, const std::string& data) {
    entries.push_back({name, 0, data.size(), rd::index_checksum(std::as_bytes(std::span(data.data(), data.size())))});
    payloads.push_back(data);
  }

  /// Lays the sections out canonically (unless a case edits entries afterwards via `edit`).
  std::string build(const std::function<void(std::vector<Entry>&)>& edit = {}) {
    std::uint64_t at = rd::kIndexHeaderBytes + entries.size() * rd::kIndexEntryBytes;
    std::string data;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::uint64_t aligned = rd::align_section(at);
      data.append(aligned - at, '\0');
      entries[i].offset = aligned;
      data += payloads[i];
      at = aligned + payloads[i].size();
    }
    if (edit) edit(entries);
    std::string table(entries.size() * rd::kIndexEntryBytes, '\0');
    for (std::size_t i = 0; i < entries.size(); ++i) {
      char* e = table.data() + i * rd::kIndexEntryBytes;
      std::memcpy(e, entries[i].name.data(), std::min<std::size_t>(entries[i].name.size(), 32));
      std::memcpy(e + 32, &entries[i].offset, 8);
      std::memcpy(e + 40, &entries[i].size, 8);
      std::memcpy(e + 48, &entries[i].checksum, 8);
    }
    std::string head(rd::kIndexHeaderBytes, '\0');
    std::memcpy(head.data(), rd::kIndexFileMagic, 8);
    std::memcpy(head.data() + 8, &version, 4);
    std::memcpy(head.data() + 12, &kind, 4);
    const std::uint64_t n = count.value_or(entries.size());
    const std::uint64_t size = file_size.value_or(head.size() + table.size() + data.size());
    const std::uint64_t table_sum = rd::index_checksum(std::as_bytes(std::span(table.data(), table.size())));
    std::memcpy(head.data() + 16, &n, 8);
    std::memcpy(head.data() + 24, &size, 8);
    std::memcpy(head.data() + 32, &table_sum, 8);
    return head + table + data;
  }
};

std::string flat_meta(std::int64_t dim, std::int64_t count, std::int64_t next_id = 100,
                      const std::string& metric = "inner_product") {
  return "{\"format\":\"dapt.flat_index\",\"dim\":" + std::to_string(dim) + ",\"metric\":\"" + metric +
         "\",\"count\":" + std::to_string(count) + ",\"next_id\":" + std::to_string(next_id) + "}";
}

template <class T>
std::string raw_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

/// A valid raw flat file of 2 vectors of dimension 2.
RawFile valid_raw() {
  RawFile f;
  f.add("meta", flat_meta(2, 2));
  f.add("ids", raw_bytes(std::vector<std::int64_t>{4, 9}));
  f.add("vectors", raw_bytes(std::vector<float>{1, 0, 0, 1}));
  return f;
}

}  // namespace

TEST_CASE("Index files that break one rule each", "[retrieval][flat][hostile]") {
  dapt_test::TempDir tmp("flat_index_rules");
  const fs::path p = tmp.path / "x.dapt";
  auto load = [&](const std::string& bytes) {
    dapt_test::write_file(p, bytes);
    return CpuFlatIndex::load(p);
  };
  {
    auto f = valid_raw();
    const auto index = load(f.build());
    CHECK(index.size() == 2);
    CHECK(index.search(std::vector<float>{0, 2}, 1)[0] == Hit{9, 2.0f});
  }
  using Entries = std::vector<RawFile::Entry>;
  SECTION("header") {
    auto f = valid_raw();
    f.version = 2;
    REQUIRE_DAPT_ERROR(load(f.build()), kFormat, "unknown index file version 2");
    f = valid_raw();
    f.count = std::uint64_t{1} << 60;
    REQUIRE_DAPT_ERROR(load(f.build()), kFormat, "more than the limit");
    f = valid_raw();
    f.count = 4000;
    REQUIRE_DAPT_ERROR(load(f.build()), kFormat, "runs past the end");
    f = valid_raw();
    f.file_size = ~std::uint64_t{0};
    REQUIRE_DAPT_ERROR(load(f.build()), kFormat, "header declares");
  }
  SECTION("sections out of bounds, overlapping, misaligned or leaving gaps") {
    auto f = valid_raw();
    REQUIRE_DAPT_ERROR(load(f.build([](Entries& e) { e[2].size = ~std::uint64_t{0} - 8; })), kFormat, "runs past the end");
    f = valid_raw();
    REQUIRE_DAPT_ERROR(load(f.build([](Entries& e) { e[2].offset = ~std::uint64_t{0} - 63; })), kFormat,
                       "runs past the end");
    f = valid_raw();
    REQUIRE_DAPT_ERROR(load(f.build([](Entries& e) { e[1].offset = e[0].offset; })), kFormat, "overlaps");
    f = valid_raw();
    REQUIRE_DAPT_ERROR(load(f.build([](Entries& e) { e[0].offset = 0; })), kFormat, "overlaps");
    f = valid_raw();
    REQUIRE_DAPT_ERROR(load(f.build([](Entries& e) { e[1].offset += 8; })), kFormat, "not a multiple of 64");
    f = valid_raw();
    REQUIRE_DAPT_ERROR(load(f.build([](Entries& e) { e[1].offset += 64; })), kFormat, "gap");
    f = valid_raw();
    REQUIRE_DAPT_ERROR(load(f.build([](Entries& e) { e[2].size -= 4; })), kFormat, "after the last section");
  }
  SECTION("names: duplicate, missing, empty") {
    RawFile f;
    f.add("meta", flat_meta(2, 1));
    f.add("meta", flat_meta(2, 1));
    REQUIRE_DAPT_ERROR(load(f.build()), kFormat, "appears twice");
    f = RawFile();
    f.add("meta", flat_meta(2, 1));
    f.add("vectors", raw_bytes(std::vector<float>{1, 2}));
    REQUIRE_DAPT_ERROR(load(f.build()), kFormat, "no section \"ids\"");
    f = valid_raw();
    REQUIRE_DAPT_ERROR(load(f.build([](Entries& e) { e[1].name = ""; })), kFormat, "empty or unterminated");
    f = valid_raw();
    REQUIRE_DAPT_ERROR(load(f.build([](Entries& e) { e[1].name = std::string(32, 'x'); })), kFormat,
                       "empty or unterminated");
  }
  SECTION("checksums") {
    auto f = valid_raw();
    REQUIRE_DAPT_ERROR(load(f.build([](Entries& e) { e[2].checksum ^= 1; })), kFormat,
                       "checksum mismatch in section \"vectors\"");
  }
  SECTION("metadata that contradicts the arrays") {
    auto with_meta = [](const std::string& meta, std::vector<std::int64_t> ids = {4, 9},
                        std::vector<float> v = {1, 0, 0, 1}) {
      RawFile f;
      f.add("meta", meta);
      f.add("ids", raw_bytes(ids));
      f.add("vectors", raw_bytes(v));
      return f.build();
    };
    REQUIRE_DAPT_ERROR(load(with_meta(flat_meta(2, 3))), kFormat, "expected 3");
    REQUIRE_DAPT_ERROR(load(with_meta(flat_meta(3, 2))), kFormat, "expected 2 x 3");
    REQUIRE_DAPT_ERROR(load(with_meta(flat_meta(0, 2))), kFormat, "dim = 0");
    REQUIRE_DAPT_ERROR(load(with_meta(flat_meta(2, -1))), kFormat, "negative");
    REQUIRE_DAPT_ERROR(load(with_meta(flat_meta(2, 2, 100, "l2"))), kFormat, "unknown metric");
    REQUIRE_DAPT_ERROR(load(with_meta(flat_meta(2, 2, 5))), kFormat, "next_id");
    REQUIRE_DAPT_ERROR(load(with_meta("{\"dim\":2}")), kFormat, "format");
    REQUIRE_DAPT_ERROR(load(with_meta("[1,2]")), kFormat, "JSON object");
    REQUIRE_DAPT_ERROR(load(with_meta("{\"dim\":")), kFormat, "invalid JSON");
    REQUIRE_DAPT_ERROR(load(with_meta(flat_meta(2, 2), {4, 4})), kFormat, "id 4 appears twice");
    REQUIRE_DAPT_ERROR(load(with_meta(flat_meta(2, 2), {4, -9})), kFormat, "id -9");
    REQUIRE_DAPT_ERROR(load(with_meta(flat_meta(2, 2), {4, 9}, {1, 0, 0})), kFormat, "expected 2 x 2");
  }
}

TEST_CASE("IndexFile sections: typed views and writer checks", "[retrieval][flat]") {
  dapt_test::TempDir tmp("index_file_api");
  const fs::path p = tmp.path / "sections.dapt";
  rd::IndexFileWriter w(rd::index_kind("TEST"));
  const std::vector<double> d{1.5, -2.5, 3.25};
  const std::vector<std::uint8_t> odd{1, 2, 3};
  w.add_section("doubles", std::span<const double>(d));
  w.add_section("odd", std::span<const std::uint8_t>(odd));
  w.add_section("empty", std::span<const float>());
  w.add_json("meta", dapt::io::json::object{{"answer", 42}});
  REQUIRE_DAPT_ERROR(w.add_section_copy("meta", "x"), kInvalidArgument, "added twice");
  REQUIRE_DAPT_ERROR(w.add_section_copy("", "x"), kInvalidArgument, "1 to 31");
  REQUIRE_DAPT_ERROR(w.add_section_copy(std::string(32, 'a'), "x"), kInvalidArgument, "1 to 31");
  REQUIRE_DAPT_ERROR(w.add_section_copy("has space", "x"), kInvalidArgument, "printable");
  w.commit(p);

  const auto f = rd::IndexFile::open(p, rd::index_kind("TEST"));
  CHECK(f.kind() == rd::index_kind("TEST"));
  REQUIRE(f.sections().size() == 4);
  for (const auto& s : f.sections()) CHECK(s.offset % 64 == 0);
  const auto got = f.section_as<double>("doubles", 3);
  CHECK(std::vector<double>(got.begin(), got.end()) == d);
  CHECK(f.section_as<float>("empty").empty());
  CHECK(f.section("odd").size() == 3);
  CHECK(f.json_object("meta").at("answer").as_int64() == 42);
  REQUIRE_DAPT_ERROR(f.section_as<double>("doubles", 4), kFormat, "expected 4");
  CHECK(f.section_as<double>("doubles", 3, 1).size() == 3);
  CHECK(f.section_as<float>("empty", 5, 0).empty());
  // 0xAAAAAAAAAAAAAAAB * 9 wraps to 3 in uint64: the (rows, cols) form must not be fooled.
  REQUIRE_DAPT_ERROR(f.section_as<double>("doubles", 0xAAAAAAAAAAAAAAABull, 9), kFormat, "x 9");
  REQUIRE_DAPT_ERROR(f.section_as<double>("doubles", 1, 2), kFormat, "expected 1 x 2");
  REQUIRE_DAPT_ERROR(f.section_as<std::uint16_t>("odd"), kFormat, "not a multiple");
  REQUIRE_DAPT_ERROR(f.section("nope"), kFormat, "no section \"nope\"");
  REQUIRE_DAPT_ERROR(f.json("odd"), kFormat, "section \"odd\"");
  f.verify_section("doubles");
  REQUIRE_DAPT_ERROR(rd::IndexFile::open(p, rd::index_kind("FLAT")), kFormat, "'TEST'");

  // The checksum depends only on the bytes: every thread count gives the same value, and any
  // changed word changes it.
  std::vector<std::uint32_t> big(700000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint32_t>(i * 2654435761u);
  const auto bytes = std::as_bytes(std::span(big));
  std::uint64_t one = 0;
  {
    dapt::ThreadScope scope(1);
    one = rd::index_checksum(bytes);
  }
  {
    dapt::ThreadScope scope(3);
    CHECK(rd::index_checksum(bytes) == one);
  }
  big[123457] ^= 0x100;
  CHECK(rd::index_checksum(bytes) != one);
  CHECK(rd::index_checksum(bytes.first(bytes.size() - 1)) != rd::index_checksum(bytes));
}
