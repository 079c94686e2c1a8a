/// @file hnsw_index.hpp
/// @brief `HnswIndex`: approximate nearest-neighbour search by inner product or cosine similarity
/// over a hierarchical navigable small-world graph (Malkov & Yashunin, "Efficient and robust
/// approximate nearest neighbor search using Hierarchical Navigable Small World graphs", TPAMI
/// 2018). Each item lives on level 0 and, with probability M^-l, on levels 1..l; a search descends
/// greedily through the sparse upper levels and runs a best-first beam of width `ef` on level 0.
/// Links are chosen with the paper's neighbour-selection heuristic (algorithm 4), both when an item
/// is inserted and when a full neighbour list is shrunk. The layout is built for memory speed:
/// vectors in one 64-byte aligned array, padded to a multiple of 16 floats so that the SIMD inner
/// product (AVX-512 or AVX2+FMA, chosen at compile time, scalar otherwise) needs no tail;
/// level-0 links in fixed blocks of 2M; a reusable epoch-tagged visited array per search thread;
/// neighbour vectors prefetched before they are scored. Batches are inserted on dapt's threads with
/// one spin lock per item (a thread never holds two, so insertion cannot deadlock), and item levels
/// come from Philox keyed by the seed and the item's position, so one thread and one seed always
/// build the same graph. Removal leaves a tombstone: the item keeps routing searches but is never
/// returned. Indexes are saved in dapt's index container (retrieval/detail/index_file.hpp, kind
/// 'HNSW') and every field that could misdirect a search is validated on load.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dapt/core/aligned.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/io/json.hpp"
#include "dapt/retrieval/detail/index_file.hpp"
#include "dapt/retrieval/search.hpp"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define DAPT_HNSW_X86 1
#endif

namespace dapt::retrieval {

/// How an HnswIndex is built and searched.
struct HnswOptions {
  std::int64_t dim = 0;                      ///< vector dimension (required, > 0)
  Metric metric = Metric::kInnerProduct;     ///< kCosine normalises vectors on add and queries on search
  std::int64_t m = 16;                       ///< M: links per item on levels >= 1; level 0 keeps 2M
  std::int64_t ef_construction = 200;        ///< beam width while inserting (raised to at least m)
  std::int64_t ef_search = 64;               ///< default beam width of search (ef = 0 there)
  std::uint64_t seed = 0;                    ///< seeds the level draws (Philox): same seed, same graph
  std::int64_t initial_capacity = 0;         ///< items to reserve storage for; storage grows on demand
};

namespace detail {

/// Floats per SIMD-friendly block: stored vectors are padded to a multiple of this (64 bytes).
inline constexpr std::size_t kHnswFloatBlock = 16;
/// The highest level an item may get (levels are stored as bytes; M = 2 reaches ~22 at most).
inline constexpr int kHnswMaxLevel = 40;
/// Bounds on M that keep link blocks small and the level multiplier finite.
inline constexpr std::int64_t kHnswMinM = 2;
inline constexpr std::int64_t kHnswMaxM = 2048;
/// The most items an index holds: internal node numbers are 32-bit.
inline constexpr std::uint64_t kHnswMaxNodes = 0xFFFFFFFEull;
/// Dimensions beyond this are refused in files (a hostile dimension must not size an allocation).
inline constexpr std::int64_t kHnswMaxDim = 1 << 20;

/// Vectors padded to whole cache lines start on one.
using HnswAlignedFloats = AlignedVector<float>;

/// Inner product of two vectors of `n` floats, `n` a multiple of kHnswFloatBlock (the padding is
/// zero, so it adds nothing). Four independent accumulators hide the FMA latency.
inline float hnsw_dot(const float* a, const float* b, std::size_t n) noexcept {
#if defined(__AVX512F__)
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
  }
  for (; i < n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
  // Reduced by hand with zero-masked extracts: g++ 12's _mm512_reduce_add_ps and
  // _mm512_castps512_ps256 trip -Wuninitialized inside its own headers.
  const __m512d s = _mm512_castps_pd(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  const __m256 h = _mm256_add_ps(_mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xFF, s, 0)),
                                 _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xFF, s, 1)));
  __m128 r = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
#elif defined(__AVX2__) && defined(__FMA__)
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i < n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 r = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
#else
  float s[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < n; i += 4) {
    s[0] += a[i] * b[i];
    s[1] += a[i + 1] * b[i + 1];
    s[2] += a[i + 2] * b[i + 2];
    s[3] += a[i + 3] * b[i + 3];
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
#endif
}

inline void hnsw_prefetch(const void* p) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 0, 3);
#else
  (void)p;
#endif
}

inline void hnsw_cpu_relax() noexcept {
#if defined(DAPT_HNSW_X86)
  _mm_pause();
#endif
}

/// A one-byte test-and-test-and-set lock per graph node. Critical sections are a copy or an
/// update of one link list, far shorter than a futex round trip; after a short spin the waiter
/// yields, so a descheduled holder on a busy machine does not burn the other core. Copies are
/// unlocked: the lock array is only resized while no insertion runs.
class HnswSpinLock {
 public:
  HnswSpinLock() noexcept = default;
  HnswSpinLock(const HnswSpinLock&) noexcept {}
  HnswSpinLock& operator=(const HnswSpinLock&) noexcept { return *this; }

  void lock() noexcept {
    for (int spins = 0;;) {
      if (flag_.exchange(1, std::memory_order_acquire) == 0) return;
      while (flag_.load(std::memory_order_relaxed) != 0) {
        if (++spins < 128) hnsw_cpu_relax();
        else std::this_thread::yield();
      }
    }
  }
  void unlock() noexcept { flag_.store(0, std::memory_order_release); }

 private:
  std::atomic<std::uint8_t> flag_{0};
};

/// A (distance, node) pair of the search heaps. Distance is the negated inner product, so
/// smaller is closer.
struct HnswCandidate {
  float dist;
  std::uint32_t node;
};

inline bool hnsw_closer_first(const HnswCandidate& a, const HnswCandidate& b) noexcept {
  return a.dist < b.dist || (a.dist == b.dist && a.node < b.node);
}

/// Per-thread working memory of one search or insertion, reused across calls so that a query
/// allocates nothing once the pool is warm.
struct HnswScratch {
  std::vector<std::uint16_t> tags;         // visited[node] == epoch
  std::uint16_t epoch = 0;
  std::vector<HnswCandidate> candidates;   // min-heap on dist: the frontier
  std::vector<HnswCandidate> top;          // max-heap on dist: the best ef found
  std::vector<HnswCandidate> sorted;       // top, sorted closest first
  std::vector<HnswCandidate> selected;     // heuristic output
  std::vector<HnswCandidate> prune;        // a full neighbour list plus the new link
  std::vector<std::uint32_t> links;        // a locked copy of one link list
  std::vector<std::uint32_t> fresh;        // unvisited neighbours of the node being expanded
  HnswAlignedFloats query;                     // the padded (and normalised) query

  /// Starts a new visit over `nodes` nodes: O(1) except when the array grows or the epoch wraps.
  void begin_visit(std::size_t nodes, std::size_t capacity) {
    if (tags.size() < nodes) {
      tags.assign(std::max(nodes, capacity), 0);
      epoch = 0;
    }
    if (++epoch == 0) {
      std::fill(tags.begin(), tags.end(), std::uint16_t{0});
      epoch = 1;
    }
  }
  bool visited(std::uint32_t n) const noexcept { return tags[n] == epoch; }
  void mark(std::uint32_t n) noexcept { tags[n] = epoch; }
};

/// A free list of scratch spaces shared by the searching threads.
class HnswScratchPool {
 public:
  std::unique_ptr<HnswScratch> acquire() {
    {
      std::lock_guard<std::mutex> g(mutex_);
      if (!free_.empty()) {
        auto s = std::move(free_.back());
        free_.pop_back();
        return s;
      }
    }
    return std::make_unique<HnswScratch>();
  }
  void release(std::unique_ptr<HnswScratch> s) noexcept {
    try {
      std::lock_guard<std::mutex> g(mutex_);
      free_.push_back(std::move(s));
    } catch (...) {  // a failed push only loses the cache
    }
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<HnswScratch>> free_;
};

/// Borrows a scratch space from a pool for one scope.
class HnswScratchLease {
 public:
  explicit HnswScratchLease(HnswScratchPool& pool) : pool_(pool), scratch_(pool.acquire()) {}
  ~HnswScratchLease() { pool_.release(std::move(scratch_)); }
  HnswScratchLease(const HnswScratchLease&) = delete;
  HnswScratchLease& operator=(const HnswScratchLease&) = delete;
  HnswScratch& operator*() noexcept { return *scratch_; }

 private:
  HnswScratchPool& pool_;
  std::unique_ptr<HnswScratch> scratch_;
};

}  // namespace detail

/// An HNSW graph over (int64 id, float vector) items, searched by inner product or cosine.
///
/// Thread safety: search() and search_batch() are const and may run concurrently with each other;
/// add(), remove() and load-style assignment need exclusive access (no search running). add()
/// and search_batch() use dapt's threads (dapt::num_threads() via OpenMP); with one thread,
/// building is deterministic: the same seed and the same adds give the same graph and results.
/// The index is move-only; a moved-from index may only be destroyed or assigned to.
class HnswIndex {
 public:
  /// The kind tag of HNSW index files.
  static constexpr std::uint32_t kFileKind = detail::index_kind("HNSW");

  /// kInvalidArgument when dim < 1, m outside [2, 2048], ef_construction, ef_search or
  /// initial_capacity out of range, or the metric is unknown.
  explicit HnswIndex(HnswOptions options) : options_(options) {
    DAPT_CHECK(options.dim > 0 && options.dim <= detail::kHnswMaxDim, "HnswOptions::dim must be in [1, ",
               detail::kHnswMaxDim, "], got ", options.dim);
    DAPT_CHECK(options.metric == Metric::kInnerProduct || options.metric == Metric::kCosine,
               "HnswOptions::metric is not a known Metric (", static_cast<std::uint32_t>(options.metric), ")");
    DAPT_CHECK(options.m >= detail::kHnswMinM && options.m <= detail::kHnswMaxM, "HnswOptions::m must be in [",
               detail::kHnswMinM, ", ", detail::kHnswMaxM, "], got ", options.m);
    DAPT_CHECK(options.ef_construction >= 1, "HnswOptions::ef_construction must be positive, got ",
               options.ef_construction);
    DAPT_CHECK(options.ef_search >= 1, "HnswOptions::ef_search must be positive, got ", options.ef_search);
    DAPT_CHECK(options.initial_capacity >= 0 &&
                   static_cast<std::uint64_t>(options.initial_capacity) <= detail::kHnswMaxNodes,
               "HnswOptions::initial_capacity must be in [0, ", detail::kHnswMaxNodes, "], got ",
               options.initial_capacity);
    const auto d = static_cast<std::size_t>(options.dim);
    stride_ = (d + detail::kHnswFloatBlock - 1) / detail::kHnswFloatBlock * detail::kHnswFloatBlock;
    m_ = static_cast<std::size_t>(options.m);
    m0_ = 2 * m_;
    block0_ = 1 + m0_;
    block_upper_ = 1 + m_;
    ef_construction_ = std::max<std::size_t>(static_cast<std::size_t>(options.ef_construction), m_);
    level_mult_ = 1.0 / std::log(static_cast<double>(m_));
    entry_mutex_ = std::make_unique<std::mutex>();
    pool_ = std::make_unique<detail::HnswScratchPool>();
    reserve(options.initial_capacity);
  }

  HnswIndex(HnswIndex&&) noexcept = default;
  HnswIndex& operator=(HnswIndex&&) noexcept = default;
  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  // ----------------------------------------------------------------------------------------------
  // Building

  /// Inserts items: `ids` (n) and `vectors` (n, dim) row-major.
  ///
  /// Everything is checked before anything changes, so a rejected batch leaves the index as it
  /// was: kShape when vectors.size() != n * dim, kNumeric naming the row and id of a NaN or Inf
  /// (or, for cosine, of a zero vector, which has no direction), kInvalidArgument naming an id
  /// that is already live or repeated in the batch. Any int64 is a valid id. An id that was
  /// removed may be added again (a new item replaces the tombstone). Cosine indexes store the
  /// vectors normalised.
  void add(std::span<const std::int64_t> ids, std::span<const float> vectors) {
    const std::size_t n = ids.size();
    const auto d = static_cast<std::size_t>(options_.dim);
    DAPT_CHECK_AS(kShape, vectors.size() == n * d, "HnswIndex::add: vectors hold ", vectors.size(),
                  " floats, expected ids.size() x dim = ", n, " x ", d, " = ", n * d);
    if (n == 0) return;
    DAPT_CHECK(static_cast<std::uint64_t>(ids_.size()) + n <= detail::kHnswMaxNodes, "HnswIndex::add: ",
               ids_.size(), " + ", n, " items exceed the limit of ", detail::kHnswMaxNodes,
               " (items, removed ones included)");
    for (std::size_t i = 0; i < n; ++i) {
      const float* v = vectors.data() + i * d;
      bool nonzero = false;
      for (std::size_t j = 0; j < d; ++j) {
        DAPT_CHECK_AS(kNumeric, std::isfinite(v[j]), "HnswIndex::add: vector ", i, " (id ", ids[i],
                      ") has a non-finite value (", v[j], ") at component ", j);
        nonzero = nonzero || v[j] != 0.0f;
      }
      DAPT_CHECK_AS(kNumeric, nonzero || options_.metric != Metric::kCosine, "HnswIndex::add: vector ", i, " (id ",
                    ids[i], ") is zero, which has no direction for the cosine metric");
      DAPT_CHECK(!id_to_node_.contains(ids[i]), "HnswIndex::add: id ", ids[i], " (row ", i,
                 ") is already in the index");
    }
    if (n > 1) {
      std::vector<std::int64_t> sorted(ids.begin(), ids.end());
      std::sort(sorted.begin(), sorted.end());
      const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
      DAPT_CHECK(dup == sorted.end(), "HnswIndex::add: id ", dup == sorted.end() ? 0 : *dup,
                 " appears more than once in the batch");
    }

    // Storage first (serially: the arrays may move), then the graph in parallel.
    const std::size_t first = ids_.size();
    const std::size_t total = first + n;
    if (total > ids_.capacity()) {
      // Geometric growth, so that many small adds stay amortised O(1) per item.
      const std::size_t grown = std::min<std::size_t>(std::max(total, 2 * ids_.capacity()), detail::kHnswMaxNodes);
      reserve(static_cast<std::int64_t>(grown));
    }
    vectors_.resize(total * stride_, 0.0f);
    links0_.resize(total * block0_, 0u);
    locks_.resize(total);
    upper_.resize(total);
    levels_.resize(total);
    deleted_.resize(total, 0);
    ids_.insert(ids_.end(), ids.begin(), ids.end());
    parallel_for(
        0, static_cast<std::int64_t>(n),
        [&](std::int64_t i) {
          const auto u = static_cast<std::size_t>(i);
          float* dst = vectors_.data() + (first + u) * stride_;
          std::memcpy(dst, vectors.data() + u * d, d * sizeof(float));
          if (options_.metric == Metric::kCosine) normalize(dst, d);
        },
        /*grain=*/1024);
    for (std::size_t i = first; i < total; ++i) {
      const int level = sample_level(i);
      levels_[i] = static_cast<std::uint8_t>(level);
      upper_[i].assign(static_cast<std::size_t>(level) * block_upper_, 0u);
      id_to_node_.emplace(ids_[i], static_cast<std::uint32_t>(i));
    }
    live_ += static_cast<std::int64_t>(n);
    insert_nodes(first, total);
  }

  /// Inserts one item: `vector` (dim). Same checks as the batch form.
  void add(std::int64_t id, std::span<const float> vector) { add(std::span<const std::int64_t>(&id, 1), vector); }

  /// Marks the item `id` removed and returns true, or returns false when no live item has `id`.
  /// A removed item is never returned again but still routes searches (its links stay, as the
  /// paper's graph needs them to stay navigable), and its id may be added again.
  bool remove(std::int64_t id) {
    const auto it = id_to_node_.find(id);
    if (it == id_to_node_.end()) return false;
    deleted_[it->second] = 1;
    id_to_node_.erase(it);
    --live_;
    return true;
  }

  /// Removes each of `ids` (unknown or repeated ids are ignored, as in FlatIndex::remove) and
  /// returns how many were removed.
  std::int64_t remove(std::span<const std::int64_t> ids) {
    std::int64_t removed = 0;
    for (std::int64_t id : ids) removed += remove(id) ? 1 : 0;
    return removed;
  }

  /// Reserves storage for `n` items (removed ones included), so that adds up to it do not move
  /// the arrays. kInvalidArgument when n is negative or beyond the node limit.
  void reserve(std::int64_t n) {
    DAPT_CHECK(n >= 0 && static_cast<std::uint64_t>(n) <= detail::kHnswMaxNodes,
               "HnswIndex::reserve: n must be in [0, ", detail::kHnswMaxNodes, "], got ", n);
    const auto u = static_cast<std::size_t>(n);
    vectors_.reserve(u * stride_);
    links0_.reserve(u * block0_);
    locks_.reserve(u);
    upper_.reserve(u);
    levels_.reserve(u);
    deleted_.reserve(u);
    ids_.reserve(u);
  }

  /// Sets the default beam width of search() (kInvalidArgument when < 1).
  void set_ef_search(std::int64_t ef) {
    DAPT_CHECK(ef >= 1, "HnswIndex::set_ef_search: ef must be positive, got ", ef);
    options_.ef_search = ef;
  }

  // ----------------------------------------------------------------------------------------------
  // Searching

  /// The `k` live items most similar to `query` (dim), best first (score descending, ties by
  /// ascending id); fewer when fewer live items pass `filter`. The beam width is `ef` (0: the
  /// index's ef_search), raised to at least k. Removed items and items the filter rejects are
  /// traversed but never returned. kShape when query.size() != dim, kNumeric for NaN or Inf,
  /// kInvalidArgument for k < 1 or ef < 0. For cosine a zero query throws kNumeric.
  std::vector<Hit> search(std::span<const float> query, std::int64_t k, std::int64_t ef = 0,
                          const Filter& filter = {}) const {
    DAPT_CHECK_AS(kShape, query.size() == static_cast<std::size_t>(options_.dim), "HnswIndex::search: query has ",
                  query.size(), " floats, the index dimension is ", options_.dim);
    check_k_ef("HnswIndex::search", k, ef);
    check_query(query.data(), "HnswIndex::search: query", 0);
    std::vector<Hit> out;
    if (live_ == 0) return out;
    detail::HnswScratchLease lease(*pool_);
    load_query(query.data(), *lease);
    search_prepared(*lease, static_cast<std::size_t>(k), effective_ef(k, ef), filter, out);
    return out;
  }

  /// search() for each row of `queries` (nq, dim) row-major, in parallel over the queries on
  /// dapt's threads; `filter` must then be safe to call concurrently. kShape when queries.size()
  /// is not a multiple of dim; every query is checked before any is searched, so a NaN or Inf
  /// (or, for cosine, a zero query) throws kNumeric naming the first bad row. The results do not
  /// depend on the thread count.
  HitLists search_batch(std::span<const float> queries, std::int64_t k, std::int64_t ef = 0,
                        const Filter& filter = {}) const {
    const auto d = static_cast<std::size_t>(options_.dim);
    DAPT_CHECK_AS(kShape, queries.size() % d == 0, "HnswIndex::search_batch: queries hold ", queries.size(),
                  " floats, not a multiple of the dimension ", d);
    check_k_ef("HnswIndex::search_batch", k, ef);
    const std::size_t nq = queries.size() / d;
    for (std::size_t i = 0; i < nq; ++i) check_query(queries.data() + i * d, "HnswIndex::search_batch: query", i);
    HitLists out(nq);
    if (nq == 0 || live_ == 0) return out;
    const std::size_t beam = effective_ef(k, ef);
    // Threads take the next query from a shared counter instead of a fixed half each: on a busy
    // machine a descheduled thread then delays only its current query, not half the batch.
    std::atomic<std::size_t> next{0};
    const std::int64_t workers = std::min<std::int64_t>(max_threads(), static_cast<std::int64_t>(nq));
    parallel_for(0, workers, [&](std::int64_t) {
      detail::HnswScratchLease lease(*pool_);
      try {
        for (std::size_t i = next.fetch_add(1, std::memory_order_relaxed); i < nq;
             i = next.fetch_add(1, std::memory_order_relaxed)) {
          load_query(queries.data() + i * d, *lease);
          search_prepared(*lease, static_cast<std::size_t>(k), beam, filter, out[i]);
        }
      } catch (...) {
        next.store(nq, std::memory_order_relaxed);  // a throwing filter stops the other threads too
        throw;
      }
    });
    return out;
  }

  // ----------------------------------------------------------------------------------------------
  // Inspecting

  /// Live items (added and not removed).
  std::int64_t size() const noexcept { return live_; }
  /// Graph nodes: live items plus tombstones.
  std::int64_t node_count() const noexcept { return static_cast<std::int64_t>(ids_.size()); }
  std::int64_t dim() const noexcept { return options_.dim; }
  Metric metric() const noexcept { return options_.metric; }
  const HnswOptions& options() const noexcept { return options_; }
  /// The top level of the graph (-1 when empty).
  int max_level() const noexcept { return max_level_; }
  bool contains(std::int64_t id) const { return id_to_node_.contains(id); }

  /// The stored vector of live item `id` (dim), normalised for cosine: a view valid until the
  /// next add. kOutOfRange when no live item has `id`.
  std::span<const float> vector(std::int64_t id) const {
    const auto it = id_to_node_.find(id);
    if (it == id_to_node_.end()) DAPT_FAIL(ErrorCategory::kOutOfRange, "HnswIndex::vector: no item with id ", id, " in the index");
    return {vec(it->second), static_cast<std::size_t>(options_.dim)};
  }

  // ----------------------------------------------------------------------------------------------
  // Files

  /// Writes the index to `path` atomically (a dapt index file of kind 'HNSW'; see the sections in
  /// load()). kIo when the file cannot be written; an existing file is then left untouched.
  void save(const std::filesystem::path& path) const {
    const std::size_t count = ids_.size();
    const auto d = static_cast<std::size_t>(options_.dim);
    io::json::object meta;
    meta["format"] = "dapt.hnsw";
    meta["version"] = 1;
    meta["dim"] = options_.dim;
    meta["metric"] = std::string(metric_name(options_.metric));
    meta["m"] = options_.m;
    meta["ef_construction"] = options_.ef_construction;
    meta["ef_search"] = options_.ef_search;
    meta["seed"] = std::to_string(options_.seed);  // a string: JSON readers lose uint64 above 2^53
    meta["nodes"] = static_cast<std::int64_t>(count);
    meta["live"] = live_;
    meta["entry_point"] = entry_;
    meta["max_level"] = max_level_;

    detail::IndexFileWriter w(kFileKind);
    w.add_json("meta", io::json::value(std::move(meta)));
    w.add_section("ids", std::span<const std::int64_t>(ids_));
    // Vectors are stored unpadded, so the file does not depend on this build's SIMD padding.
    std::vector<float> packed;
    if (stride_ == d) {
      w.add_section("vectors", std::span<const float>(vectors_.data(), count * d));
    } else {
      packed.resize(count * d);
      for (std::size_t i = 0; i < count; ++i)
        std::memcpy(packed.data() + i * d, vectors_.data() + i * stride_, d * sizeof(float));
      w.add_section("vectors", std::span<const float>(packed));
    }
    w.add_section("levels", std::span<const std::uint8_t>(levels_));
    w.add_section("links0", std::span<const std::uint32_t>(links0_.data(), count * block0_));
    std::vector<std::uint32_t> upper;
    for (const auto& u : upper_) upper.insert(upper.end(), u.begin(), u.end());
    w.add_section("links_upper", std::span<const std::uint32_t>(upper));
    w.add_section("deleted", std::span<const std::uint8_t>(deleted_));
    w.commit(path);
  }

  /// Reads an index written by save(). Sections: "meta" (JSON: dim, metric, m, ef_construction,
  /// ef_search, seed, nodes, live, entry_point, max_level), "ids" (int64, nodes), "vectors" (f32,
  /// nodes x dim), "levels" (u8, nodes), "links0" (u32, nodes x (1 + 2m): count, then neighbours),
  /// "links_upper" (u32, (1 + m) per upper level of each node, in node order), "deleted" (u8).
  /// Everything a search trusts is validated: kIo when the file cannot be read, kFormat naming the
  /// file for a corrupt container (checksums, truncation), bad metadata, a link count above its
  /// capacity, a neighbour out of range or below the level it is linked on, an inconsistent entry
  /// point or top level, a repeated live id, or a non-finite vector. The graph is copied into
  /// memory (the file is not kept mapped, unlike FlatIndex::load), so the loaded index accepts
  /// further adds and removes and the file may be replaced meanwhile.
  static HnswIndex load(const std::filesystem::path& path) {
    const auto file = detail::IndexFile::open(path, kFileKind);
    const std::string where = path.string();
    const io::json::object meta_obj = file.json_object("meta");
    const io::JsonFields meta(meta_obj, where + ": section \"meta\"", ErrorCategory::kFormat);
    auto fail = [&](const auto&... parts) { DAPT_FAIL(ErrorCategory::kFormat, where, ": ", parts...); };

    if (meta.require_string("format") != "dapt.hnsw") fail("meta.format is not \"dapt.hnsw\"");
    if (const auto v = meta.require_int("version"); v != 1) fail("unknown HNSW format version ", v);
    HnswOptions o;
    o.dim = meta.require_int("dim");
    if (o.dim < 1 || o.dim > detail::kHnswMaxDim) fail("dim ", o.dim, " is out of range");
    const std::string metric = meta.require_string("metric");
    if (metric == metric_name(Metric::kInnerProduct)) o.metric = Metric::kInnerProduct;
    else if (metric == metric_name(Metric::kCosine)) o.metric = Metric::kCosine;
    else fail("unknown metric \"", metric, "\"");
    o.m = meta.require_int("m");
    if (o.m < detail::kHnswMinM || o.m > detail::kHnswMaxM) fail("m ", o.m, " is out of range");
    o.ef_construction = meta.require_int("ef_construction");
    o.ef_search = meta.require_int("ef_search");
    if (o.ef_construction < 1 || o.ef_search < 1) fail("ef_construction and ef_search must be positive");
    {
      const std::string seed = meta.require_string("seed");
      std::uint64_t s = 0;
      bool ok = !seed.empty() && seed.size() <= 20;
      for (char c : seed) {
        if (c < '0' || c > '9') ok = false;
        const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (ok && s > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) ok = false;
        if (ok) s = s * 10 + digit;
      }
      if (!ok) fail("meta.seed \"", seed, "\" is not an unsigned 64-bit integer");
      o.seed = s;
    }
    const std::int64_t nodes = meta.require_int("nodes");
    if (nodes < 0 || static_cast<std::uint64_t>(nodes) > detail::kHnswMaxNodes) fail("node count ", nodes, " is out of range");
    const auto count = static_cast<std::size_t>(nodes);
    const std::int64_t live = meta.require_int("live");
    const std::int64_t entry = meta.require_int("entry_point");
    const std::int64_t max_level = meta.require_int("max_level");

    HnswIndex index(o);
    const auto d = static_cast<std::size_t>(o.dim);
    const auto ids = file.section_as<std::int64_t>("ids", count);
    const auto vectors = file.section_as<float>("vectors", count, d);
    const auto levels = file.section_as<std::uint8_t>("levels", count);
    const auto links0 = file.section_as<std::uint32_t>("links0", count, index.block0_);
    const auto deleted = file.section_as<std::uint8_t>("deleted", count);
    const auto upper = file.section_as<std::uint32_t>("links_upper");

    // Levels, entry point and top level.
    std::uint64_t upper_words = 0;
    int top = -1;
    for (std::size_t i = 0; i < count; ++i) {
      if (levels[i] > detail::kHnswMaxLevel) fail("node ", i, " has level ", int{levels[i]}, " above ", detail::kHnswMaxLevel);
      top = std::max(top, int{levels[i]});
      upper_words += static_cast<std::uint64_t>(levels[i]) * index.block_upper_;
    }
    if (upper.size() != upper_words)
      fail("section \"links_upper\" holds ", upper.size(), " words, the levels need ", upper_words);
    if (count == 0) {
      if (entry != -1 || max_level != -1) fail("an empty index must have entry_point -1 and max_level -1");
    } else {
      if (entry < 0 || static_cast<std::uint64_t>(entry) >= count)
        fail("entry point ", entry, " is out of range for ", count, " nodes");
      if (max_level != top) fail("max_level ", max_level, " disagrees with the highest node level ", top);
      if (levels[static_cast<std::size_t>(entry)] != top)
        fail("entry point ", entry, " has level ", int{levels[static_cast<std::size_t>(entry)]}, ", not the top level ", top);
    }

    // Links: counts within capacity, neighbours in range and present on the level they link on.
    auto check_list = [&](const std::uint32_t* block, std::size_t cap, std::size_t node, int level) {
      if (block[0] > cap) fail("node ", node, " has ", block[0], " links on level ", level, ", more than ", cap);
      for (std::uint32_t j = 0; j < block[0]; ++j) {
        const std::uint32_t nb = block[1 + j];
        if (nb >= count) fail("node ", node, " links to node ", nb, " on level ", level, ", out of range for ", count, " nodes");
        if (level > 0 && levels[nb] < level)
          fail("node ", node, " links to node ", nb, " on level ", level, ", but that node only reaches level ", int{levels[nb]});
      }
    };
    std::size_t at = 0;
    for (std::size_t i = 0; i < count; ++i) {
      check_list(links0.data() + i * index.block0_, index.m0_, i, 0);
      for (int l = 1; l <= levels[i]; ++l, at += index.block_upper_) check_list(upper.data() + at, index.m_, i, l);
    }

    // Items: deleted flags, live ids unique, finite vectors.
    std::int64_t live_count = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (deleted[i] > 1) fail("node ", i, " has a deleted flag of ", int{deleted[i]}, " (expected 0 or 1)");
      if (deleted[i] == 0) ++live_count;
    }
    if (live_count != live) fail("meta.live is ", live, " but ", live_count, " nodes are not deleted");
    for (std::size_t i = 0; i < count * d; ++i)
      if (!std::isfinite(vectors[i])) fail("vector of node ", i / d, " has a non-finite value at component ", i % d);

    index.reserve(nodes);
    index.ids_.assign(ids.begin(), ids.end());
    index.levels_.assign(levels.begin(), levels.end());
    index.deleted_.assign(deleted.begin(), deleted.end());
    index.links0_.assign(links0.begin(), links0.end());
    index.locks_.resize(count);
    index.vectors_.assign(count * index.stride_, 0.0f);
    for (std::size_t i = 0; i < count; ++i)
      std::memcpy(index.vectors_.data() + i * index.stride_, vectors.data() + i * d, d * sizeof(float));
    index.upper_.resize(count);
    at = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t words = static_cast<std::size_t>(levels[i]) * index.block_upper_;
      index.upper_[i].assign(upper.begin() + static_cast<std::ptrdiff_t>(at),
                             upper.begin() + static_cast<std::ptrdiff_t>(at + words));
      at += words;
    }
    index.id_to_node_.reserve(static_cast<std::size_t>(live_count));
    for (std::size_t i = 0; i < count; ++i) {
      if (deleted[i]) continue;
      if (!index.id_to_node_.emplace(ids[i], static_cast<std::uint32_t>(i)).second)
        fail("id ", ids[i], " belongs to more than one live node (node ", i, ")");
    }
    index.live_ = live_count;
    index.entry_ = entry;
    index.max_level_ = static_cast<int>(max_level);
    return index;
  }

 private:
  using Candidate = detail::HnswCandidate;

  const float* vec(std::size_t node) const noexcept { return vectors_.data() + node * stride_; }
  float dist(const float* q, std::size_t node) const noexcept { return -detail::hnsw_dot(q, vec(node), stride_); }

  /// The link block of `node` on `level`: word 0 is the count, then the neighbours.
  std::uint32_t* links(std::size_t node, int level) noexcept {
    return level == 0 ? links0_.data() + node * block0_
                      : upper_[node].data() + static_cast<std::size_t>(level - 1) * block_upper_;
  }
  const std::uint32_t* links(std::size_t node, int level) const noexcept {
    return const_cast<HnswIndex*>(this)->links(node, level);
  }

  static void normalize(float* v, std::size_t d) noexcept {
    double ss = 0;
    for (std::size_t j = 0; j < d; ++j) ss += static_cast<double>(v[j]) * v[j];
    if (ss == 0) return;
    const auto inv = static_cast<float>(1.0 / std::sqrt(ss));
    for (std::size_t j = 0; j < d; ++j) v[j] *= inv;
  }

  /// The level of node `node`: floor(-ln(U) / ln(M)) with U uniform in (0, 1] from the Philox
  /// block of (seed, node), so levels do not depend on the thread count or the batch split.
  int sample_level(std::size_t node) const noexcept {
    const Uint4 b = Rng(options_.seed).block(static_cast<std::uint64_t>(node));
    const double u = (static_cast<double>(b.x) + 1.0) * 0x1p-32;
    const double level = -std::log(u) * level_mult_;
    return level >= detail::kHnswMaxLevel ? detail::kHnswMaxLevel : static_cast<int>(level);
  }

  static void check_k_ef(const char* what, std::int64_t k, std::int64_t ef) {
    DAPT_CHECK(k >= 1, what, ": k must be at least 1, got ", k);
    DAPT_CHECK(ef >= 0, what, ": ef must be non-negative (0 = the index default), got ", ef);
  }

  std::size_t effective_ef(std::int64_t k, std::int64_t ef) const noexcept {
    return static_cast<std::size_t>(std::max(ef == 0 ? options_.ef_search : ef, k));
  }

  /// Checks a query (dim): kNumeric for NaN or Inf, and for cosine a zero vector.
  void check_query(const float* q, const char* what, std::size_t row) const {
    const auto d = static_cast<std::size_t>(options_.dim);
    bool nonzero = false;
    for (std::size_t j = 0; j < d; ++j) {
      DAPT_CHECK_AS(kNumeric, std::isfinite(q[j]), what, " ", row, " has a non-finite value (", q[j], ") at component ", j);
      nonzero = nonzero || q[j] != 0.0f;
    }
    DAPT_CHECK_AS(kNumeric, nonzero || options_.metric != Metric::kCosine, what, " ", row,
                  " is zero, which has no direction for the cosine metric");
  }

  /// Copies a checked query into the scratch, padded with zeros (and normalised for cosine).
  void load_query(const float* q, detail::HnswScratch& s) const {
    const auto d = static_cast<std::size_t>(options_.dim);
    s.query.assign(stride_, 0.0f);
    std::memcpy(s.query.data(), q, d * sizeof(float));
    if (options_.metric == Metric::kCosine) normalize(s.query.data(), d);
  }

  // ----------------------------------------------------------------------------------------------
  // Graph search

  /// Greedy walk on `level` towards q (the ef = 1 search of the upper levels).
  template <bool kLocked>
  void greedy(const float* q, std::uint32_t& ep, float& ep_dist, int level, detail::HnswScratch& s) const {
    for (bool changed = true; changed;) {
      changed = false;
      const std::uint32_t* nbrs;
      std::uint32_t n;
      if constexpr (kLocked) {
        copy_links(ep, level, s);
        n = static_cast<std::uint32_t>(s.links.size());
        nbrs = s.links.data();
      } else {
        const std::uint32_t* block = links(ep, level);
        n = block[0];
        nbrs = block + 1;
      }
      for (std::uint32_t j = 0; j < n; ++j) {
        if (j + 1 < n) detail::hnsw_prefetch(vec(nbrs[j + 1]));
        const float dj = dist(q, nbrs[j]);
        if (dj < ep_dist) {
          ep_dist = dj;
          ep = nbrs[j];
          changed = true;
        }
      }
    }
  }

  /// Copies the link list of `node` on `level` into s.links under the node's lock (insertion
  /// only: other threads may be rewriting it).
  void copy_links(std::uint32_t node, int level, detail::HnswScratch& s) const {
    std::lock_guard<detail::HnswSpinLock> g(locks_[node]);
    const std::uint32_t* block = links(node, level);
    s.links.assign(block + 1, block + 1 + block[0]);
  }

  /// Best-first search on `level` from `ep` with beam `ef` (algorithm 2 of the paper). On return
  /// s.top holds up to ef accepted nodes (a max-heap on distance). Nodes that `accept` rejects
  /// (removed, filtered) are expanded like the others but never enter s.top.
  template <bool kLocked, class Accept>
  void search_layer(const float* q, std::uint32_t ep, float ep_dist, int level, std::size_t ef,
                    detail::HnswScratch& s, Accept&& accept) const {
    const auto farther_first = [](const Candidate& a, const Candidate& b) { return a.dist < b.dist; };
    const auto closer_on_top = [](const Candidate& a, const Candidate& b) { return a.dist > b.dist; };
    s.begin_visit(ids_.size(), ids_.capacity());
    auto& frontier = s.candidates;
    auto& top = s.top;
    frontier.clear();
    top.clear();
    s.fresh.resize(m0_);
    s.mark(ep);
    float bound = std::numeric_limits<float>::infinity();
    if (accept(ep)) {
      top.push_back({ep_dist, ep});
      bound = ep_dist;
    }
    frontier.push_back({ep_dist, ep});
    const std::size_t vector_bytes = stride_ * sizeof(float);
    const std::size_t prefetch_bytes = std::min<std::size_t>(vector_bytes, 8 * 64);
    while (!frontier.empty()) {
      const Candidate c = frontier.front();
      if (c.dist > bound && top.size() >= ef) break;
      std::pop_heap(frontier.begin(), frontier.end(), closer_on_top);
      frontier.pop_back();

      const std::uint32_t* nbrs;
      std::uint32_t n;
      if constexpr (kLocked) {
        copy_links(c.node, level, s);
        n = static_cast<std::uint32_t>(s.links.size());
        nbrs = s.links.data();
      } else {
        const std::uint32_t* block = links(c.node, level);
        n = block[0];
        nbrs = block + 1;
      }
      // Collect the unvisited neighbours first and start fetching their vectors, so that the
      // memory system works on all of them while the first ones are scored.
      std::size_t nf = 0;
      for (std::uint32_t j = 0; j < n; ++j) {
        const std::uint32_t nb = nbrs[j];
        if (s.visited(nb)) continue;
        s.mark(nb);
        s.fresh[nf++] = nb;
        const char* v = reinterpret_cast<const char*>(vec(nb));
        detail::hnsw_prefetch(v);
        if (vector_bytes > 64) detail::hnsw_prefetch(v + 64);
      }
      for (std::size_t j = 0; j < nf; ++j) {
        if (j + 1 < nf) {
          // The next vector's following lines; the hardware streamer carries on from there. Whole
          // vectors (24 lines at d = 384) measured slower: the fill buffers saturate and the
          // prefetches themselves stall.
          const char* next = reinterpret_cast<const char*>(vec(s.fresh[j + 1]));
          for (std::size_t off = 128; off < prefetch_bytes; off += 64) detail::hnsw_prefetch(next + off);
        }
        const std::uint32_t nb = s.fresh[j];
        const float d = dist(q, nb);
        if (top.size() < ef || d < bound) {
          frontier.push_back({d, nb});
          std::push_heap(frontier.begin(), frontier.end(), closer_on_top);
          if (level == 0) detail::hnsw_prefetch(links0_.data() + static_cast<std::size_t>(nb) * block0_);
          if (accept(nb)) {
            top.push_back({d, nb});
            std::push_heap(top.begin(), top.end(), farther_first);
            if (top.size() > ef) {
              std::pop_heap(top.begin(), top.end(), farther_first);
              top.pop_back();
            }
            bound = top.front().dist;
          }
        }
      }
    }
  }

  /// Runs a prepared query (s.query) and writes the best k hits to `out`.
  void search_prepared(detail::HnswScratch& s, std::size_t k, std::size_t ef, const Filter& filter,
                       std::vector<Hit>& out) const {
    out.clear();
    const float* q = s.query.data();
    const std::size_t count = ids_.size();
    const bool has_filter = static_cast<bool>(filter);
    auto accept = [&](std::uint32_t n) { return deleted_[n] == 0 && (!has_filter || filter(ids_[n])); };
    if (count <= ef) {
      // The beam would cover every node: an exact scan is cheaper and cannot miss an item that
      // the graph happens not to reach.
      s.top.clear();
      for (std::uint32_t n = 0; n < count; ++n)
        if (accept(n)) s.top.push_back({dist(q, n), n});
    } else {
      auto ep = static_cast<std::uint32_t>(entry_);
      float ep_dist = dist(q, ep);
      for (int level = max_level_; level > 0; --level) greedy<false>(q, ep, ep_dist, level, s);
      if (live_ == static_cast<std::int64_t>(count) && !has_filter)
        search_layer<false>(q, ep, ep_dist, 0, ef, s, [](std::uint32_t) { return true; });
      else
        search_layer<false>(q, ep, ep_dist, 0, ef, s, accept);
    }
    out.reserve(std::min(k, s.top.size()));
    for (const Candidate& c : s.top) out.push_back({ids_[c.node], -c.dist});
    const std::size_t keep = std::min(k, out.size());
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), hit_before);
    out.resize(keep);
  }

  // ----------------------------------------------------------------------------------------------
  // Insertion

  /// Links nodes [first, end) into the graph, on dapt's threads. Threads take the next node from
  /// a shared counter, so the insertion order stays close to the add order (as in hnswlib); with
  /// one thread it is exactly the add order, which makes the graph deterministic.
  void insert_nodes(std::size_t first, std::size_t end) {
    if (entry_ < 0) {
      entry_ = static_cast<std::int64_t>(first);
      max_level_ = levels_[first];
      ++first;
    }
    if (first >= end) return;
    std::atomic<std::size_t> next{first};
    const std::int64_t workers = std::min<std::int64_t>(max_threads(), static_cast<std::int64_t>(end - first));
    parallel_for(0, workers, [&](std::int64_t) {
      detail::HnswScratchLease lease(*pool_);
      for (std::size_t i = next.fetch_add(1, std::memory_order_relaxed); i < end;
           i = next.fetch_add(1, std::memory_order_relaxed))
        insert_node(static_cast<std::uint32_t>(i), *lease);
    });
  }

  /// Algorithm 1 of the paper for one node whose vector and level are already stored.
  void insert_node(std::uint32_t x, detail::HnswScratch& s) {
    const float* q = vec(x);
    const int level = levels_[x];
    // A node that raises the top level keeps the entry lock until it is linked, so that no other
    // insertion starts from a half-built top (hnswlib does the same; it happens ~log_M(n) times).
    std::unique_lock<std::mutex> entry_lock(*entry_mutex_);
    auto ep = static_cast<std::uint32_t>(entry_);
    const int top = max_level_;
    if (level <= top) entry_lock.unlock();

    float ep_dist = dist(q, ep);
    for (int l = top; l > level; --l) greedy<true>(q, ep, ep_dist, l, s);
    for (int l = std::min(level, top); l >= 0; --l) {
      search_layer<true>(q, ep, ep_dist, l, ef_construction_, s, [](std::uint32_t) { return true; });
      s.sorted.assign(s.top.begin(), s.top.end());
      std::sort(s.sorted.begin(), s.sorted.end(), detail::hnsw_closer_first);
      ep = s.sorted.front().node;  // the closest found: where the next level starts
      ep_dist = s.sorted.front().dist;
      select_neighbors(s.sorted, m_, s.selected);
      connect(x, l, s);
    }
    if (level > top) {
      entry_ = x;
      max_level_ = level;
    }
  }

  /// The neighbour-selection heuristic (algorithm 4 of the paper, without extending the
  /// candidates or keeping pruned ones, as in hnswlib): walking `candidates` closest first, keep
  /// one only when it is closer to the base than to every one kept so far. It spreads links over
  /// directions instead of spending them all inside one cluster, which keeps the graph navigable.
  void select_neighbors(const std::vector<Candidate>& candidates, std::size_t m, std::vector<Candidate>& out) const {
    out.clear();
    if (candidates.size() < m) {
      out = candidates;
      return;
    }
    for (const Candidate& c : candidates) {
      if (out.size() >= m) break;
      const float* cv = vec(c.node);
      bool keep = true;
      for (const Candidate& r : out) {
        if (-detail::hnsw_dot(cv, vec(r.node), stride_) < c.dist) {
          keep = false;
          break;
        }
      }
      if (keep) out.push_back(c);
    }
  }

  /// Links x to s.selected on `level`, and each of them back to x; a full list is shrunk with the
  /// heuristic. One lock at a time: x's list is written before any other node links to x, so no
  /// other thread can reach it meanwhile.
  void connect(std::uint32_t x, int level, detail::HnswScratch& s) {
    const std::size_t cap = level == 0 ? m0_ : m_;
    {
      std::lock_guard<detail::HnswSpinLock> g(locks_[x]);
      std::uint32_t* block = links(x, level);
      block[0] = static_cast<std::uint32_t>(s.selected.size());
      for (std::size_t j = 0; j < s.selected.size(); ++j) block[1 + j] = s.selected[j].node;
    }
    for (const Candidate& nb : s.selected) {
      std::lock_guard<detail::HnswSpinLock> g(locks_[nb.node]);
      std::uint32_t* block = links(nb.node, level);
      const std::uint32_t n = block[0];
      if (n < cap) {
        block[1 + n] = x;
        block[0] = n + 1;
        continue;
      }
      const float* base = vec(nb.node);
      s.prune.clear();
      s.prune.push_back({nb.dist, x});  // the inner product is symmetric: dist(nb, x) == dist(x, nb)
      for (std::uint32_t j = 0; j < n; ++j) s.prune.push_back({dist(base, block[1 + j]), block[1 + j]});
      std::sort(s.prune.begin(), s.prune.end(), detail::hnsw_closer_first);
      select_neighbors(s.prune, cap, s.sorted);  // s.sorted is free again at this point
      block[0] = static_cast<std::uint32_t>(s.sorted.size());
      for (std::size_t j = 0; j < s.sorted.size(); ++j) block[1 + j] = s.sorted[j].node;
    }
  }

  HnswOptions options_;
  std::size_t stride_ = 0;       // floats per stored vector: dim rounded up to 16
  std::size_t m_ = 0;            // links per node on levels >= 1
  std::size_t m0_ = 0;           // links per node on level 0 (2M)
  std::size_t block0_ = 0;       // words per level-0 link block (count + m0_)
  std::size_t block_upper_ = 0;  // words per upper-level link block (count + m_)
  std::size_t ef_construction_ = 0;
  double level_mult_ = 0;        // 1 / ln(M)

  detail::HnswAlignedFloats vectors_;                     // (nodes, stride_)
  std::vector<std::uint32_t> links0_;                 // (nodes, block0_)
  std::vector<std::vector<std::uint32_t>> upper_;     // per node: (level, block_upper_)
  std::vector<std::uint8_t> levels_;                  // (nodes)
  std::vector<std::int64_t> ids_;                     // (nodes)
  std::vector<std::uint8_t> deleted_;                 // (nodes) tombstones
  mutable std::vector<detail::HnswSpinLock> locks_;       // (nodes) link-list locks
  std::unordered_map<std::int64_t, std::uint32_t> id_to_node_;  // live items only
  std::int64_t live_ = 0;
  std::int64_t entry_ = -1;
  int max_level_ = -1;
  std::unique_ptr<std::mutex> entry_mutex_;
  std::unique_ptr<detail::HnswScratchPool> pool_;
};

}  // namespace dapt::retrieval

#undef DAPT_HNSW_X86
