/// @file flat_index.hpp
/// @brief `dapt::retrieval::FlatIndex<Cpu>`: exact nearest-neighbour search by inner product or
/// cosine over fp32 vectors on the CPU (`FlatIndex<Cuda>`, in flat_index_cuda.cuh, shares the ids,
/// checks and file format kept here in `detail`). A single query is memory bound, so it streams
/// the database once, split in contiguous row ranges across dapt's threads, with an AVX-512 / AVX2
/// FMA dot-product kernel and a per-thread bounded heap. A batch of queries is compute bound, so it runs a
/// register-blocked kernel (a tile of database rows x a tile of queries held in registers, the
/// database block in L2 and the query tile in L1) and feeds each score to the query's heap. Both
/// paths sum every dot product in the same fixed order (16 strided partial sums, then a halving
/// tree), so a batch returns bitwise the scores of single searches, for any thread count.
/// Results are `Hit`s sorted by descending score, ties by ascending id. An index saved with
/// `save` is one dapt index file (retrieval/detail/index_file.hpp, kind 'FLAT'); `load` maps it
/// and searches the vectors in place, copying them only when the index is first modified.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dapt/core/aligned.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/io/json.hpp"
#include "dapt/retrieval/detail/index_file.hpp"
#include "dapt/retrieval/search.hpp"

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace dapt::retrieval {

namespace detail {

// ------------------------------------------------------------------------------------------------
// The dot-product kernels. Every dot product of this file is defined as: 16 partial sums, lane
// l accumulating x[j] * y[j] (fused) for j = l, l + 16, l + 32, ... in order, then the lanes
// added by a halving tree (l + l+8, then + l+4, then + l+2, then + l+1). A `Dot16` is one set of
// 16 lanes on whatever the build has (one zmm, two ymm, or 16 floats), so the single-query and
// the batched kernels give bitwise the same score for the same pair.

#if defined(__AVX512F__)
// The maskz_ forms with a full mask below compile to the plain instructions; the plain intrinsics
// of GCC 12 start from _mm512_undefined_ps(), which -Wall reports as used uninitialised.
struct Dot16 {
  __m512 v;
};
inline Dot16 dot16_zero() noexcept { return {_mm512_setzero_ps()}; }
inline Dot16 dot16_load(const float* p) noexcept { return {_mm512_loadu_ps(p)}; }
/// Loads n < 16 floats, the other lanes zero (a masked load never touches the masked-out bytes).
inline Dot16 dot16_load_tail(const float* p, std::int64_t n) noexcept {
  return {_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p)};
}
inline Dot16 dot16_fma(Dot16 a, Dot16 b, Dot16 c) noexcept { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
/// Keeps a loaded vector in a register: without it GCC folds the load into every FMA that uses
/// it as a memory operand, loading each query once per row of the tile (18 loads per 16 FMAs).
inline void dot16_pin(Dot16& a) noexcept {
#if defined(__GNUC__)
  asm("" : "+v"(a.v));
#else
  (void)a;
#endif
}
inline float dot16_reduce(Dot16 a) noexcept {
  const __m256 lo = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xFF, _mm512_castps_pd(a.v), 0));
  const __m256 hi = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xFF, _mm512_castps_pd(a.v), 1));
  const __m256 t = _mm256_add_ps(lo, hi);                                                       // l + l+8
  const __m128 u = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));       // + l+4
  const __m128 w = _mm_add_ps(u, _mm_movehl_ps(u, u));                                         // + l+2
  return _mm_cvtss_f32(_mm_add_ss(w, _mm_movehdup_ps(w)));                                     // + l+1
}
/// Reduces 16 accumulators at once with the same tree as dot16_reduce; out[i] = dot16_reduce(acc[i]).
/// Each step folds two vectors into one: a blend keeps some halves of the first and of the second,
/// one shuffle brings the partner halves, and one add sums them (a + b == b + a bitwise, so the
/// order of the partners does not matter). That is about one port-5 shuffle per accumulator, so
/// the reduction stays small beside the 2 * d / 16 FMA cycles of a tile. Lanes end up permuted;
/// the last permutation puts accumulator i in lane i.
inline void dot16_reduce16(const Dot16* acc, float* out) noexcept {
  __m512 s1[8], s2[4], s3[2];
  for (int m = 0; m < 8; ++m) {  // l + l+8: s1[m] = [acc 2m folded (8 lanes), acc 2m+1 folded]
    const __m512 a = acc[2 * m].v, b = acc[2 * m + 1].v;
    s1[m] = _mm512_add_ps(_mm512_mask_blend_ps(0xFF00, a, b), _mm512_maskz_shuffle_f32x4(0xFFFF, a, b, 0x4E));
  }
  // + l+4: from [A0 A1 B0 B1] and [C0 C1 D0 D1] (128-bit chunks, A = acc 4m, B = 4m+1, C = 4m+2,
  // D = 4m+3), blend [A0 C1 B0 D1] + permute [A1 C0 B1 D0] = chunks [A C B D].
  const __m512i fold4 = _mm512_setr_epi32(4, 5, 6, 7, 16, 17, 18, 19, 12, 13, 14, 15, 24, 25, 26, 27);
  for (int m = 0; m < 4; ++m) {
    const __m512 a = s1[2 * m], b = s1[2 * m + 1];
    s2[m] = _mm512_add_ps(_mm512_mask_blend_ps(0xF0F0, a, b), _mm512_maskz_permutex2var_ps(0xFFFF, a, fold4, b));
  }
  // + l+2 within each chunk: [e0 e1 f2 f3] + [e2 e3 f0 f1].
  for (int m = 0; m < 2; ++m) {
    const __m512 a = s2[2 * m], b = s2[2 * m + 1];
    s3[m] = _mm512_add_ps(_mm512_mask_blend_ps(0xCCCC, a, b), _mm512_shuffle_ps(a, b, 0x4E));
  }
  // + l+1: [g0 g2 h0 h2] + [g1 g3 h1 h3]; lane 4k + p now holds accumulator 4p + (0, 2, 1, 3)[k].
  const __m512 s4 = _mm512_add_ps(_mm512_shuffle_ps(s3[0], s3[1], 0x88), _mm512_shuffle_ps(s3[0], s3[1], 0xDD));
  const __m512i order = _mm512_setr_epi32(0, 8, 4, 12, 1, 9, 5, 13, 2, 10, 6, 14, 3, 11, 7, 15);
  _mm512_storeu_ps(out, _mm512_maskz_permutexvar_ps(0xFFFF, order, s4));
}
inline constexpr bool kDot16Reduce16 = true;
#elif defined(__AVX2__) && defined(__FMA__)
struct Dot16 {
  __m256 lo, hi;  // lanes 0-7, lanes 8-15
};
inline Dot16 dot16_zero() noexcept { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
inline Dot16 dot16_load(const float* p) noexcept { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
inline Dot16 dot16_load_tail(const float* p, std::int64_t n) noexcept {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i mlo = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lane);
  const __m256i mhi = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n) - 8), lane);
  return {_mm256_maskload_ps(p, mlo), _mm256_maskload_ps(p + 8, mhi)};
}
inline Dot16 dot16_fma(Dot16 a, Dot16 b, Dot16 c) noexcept {
  return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
}
inline void dot16_pin(Dot16&) noexcept {}
inline float dot16_reduce(Dot16 a) noexcept {
  const __m256 t = _mm256_add_ps(a.lo, a.hi);
  const __m128 u = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
  const __m128 w = _mm_add_ps(u, _mm_movehl_ps(u, u));
  return _mm_cvtss_f32(_mm_add_ss(w, _mm_movehdup_ps(w)));
}
inline void dot16_reduce16(const Dot16* acc, float* out) noexcept {
  for (int i = 0; i < 16; ++i) out[i] = dot16_reduce(acc[i]);
}
inline constexpr bool kDot16Reduce16 = false;
#else
struct Dot16 {
  float v[16];
};
inline Dot16 dot16_zero() noexcept { return {}; }
inline Dot16 dot16_load(const float* p) noexcept {
  Dot16 r;
  std::memcpy(r.v, p, sizeof r.v);
  return r;
}
inline Dot16 dot16_load_tail(const float* p, std::int64_t n) noexcept {
  Dot16 r{};
  std::memcpy(r.v, p, static_cast<std::size_t>(n) * sizeof(float));
  return r;
}
inline Dot16 dot16_fma(Dot16 a, Dot16 b, Dot16 c) noexcept {
  for (int l = 0; l < 16; ++l) c.v[l] = a.v[l] * b.v[l] + c.v[l];
  return c;
}
inline void dot16_pin(Dot16&) noexcept {}
inline float dot16_reduce(Dot16 a) noexcept {
  float t[8], u[4], w[2];
  for (int l = 0; l < 8; ++l) t[l] = a.v[l] + a.v[l + 8];
  for (int l = 0; l < 4; ++l) u[l] = t[l] + t[l + 4];
  for (int l = 0; l < 2; ++l) w[l] = u[l] + u[l + 2];
  return w[0] + w[1];
}
inline void dot16_reduce16(const Dot16* acc, float* out) noexcept {
  for (int i = 0; i < 16; ++i) out[i] = dot16_reduce(acc[i]);
}
inline constexpr bool kDot16Reduce16 = false;
#endif

/// Rows and queries of the batched register tile: 16 accumulators on AVX-512 (of 32 registers),
/// 4 (8 ymm of 16) on AVX2, 4 for the portable build.
#if defined(__AVX512F__)
inline constexpr int kTileRows = 2;
inline constexpr int kTileQueries = 8;
#else
inline constexpr int kTileRows = 2;
inline constexpr int kTileQueries = 2;
#endif

/// out[r * Q + q] = dot(x[r], y[q]) for R database rows x (each d floats) and Q queries y.
template <int R, int Q>
inline void dot_tile(const float* const* x, const float* const* y, std::int64_t d, float* out) noexcept {
  Dot16 acc[R * Q];
  for (int i = 0; i < R * Q; ++i) acc[i] = dot16_zero();
  std::int64_t j = 0;
  for (; j + 16 <= d; j += 16) {
    Dot16 xv[R];
    for (int r = 0; r < R; ++r) xv[r] = dot16_load(x[r] + j);
    for (int q = 0; q < Q; ++q) {
      Dot16 yv = dot16_load(y[q] + j);
      if constexpr (R > 1) dot16_pin(yv);
      for (int r = 0; r < R; ++r) acc[r * Q + q] = dot16_fma(xv[r], yv, acc[r * Q + q]);
    }
  }
  if (j < d) {  // the zero lanes add 0 * 0: the partial sums are unchanged
    Dot16 xv[R];
    for (int r = 0; r < R; ++r) xv[r] = dot16_load_tail(x[r] + j, d - j);
    for (int q = 0; q < Q; ++q) {
      const Dot16 yv = dot16_load_tail(y[q] + j, d - j);
      for (int r = 0; r < R; ++r) acc[r * Q + q] = dot16_fma(xv[r], yv, acc[r * Q + q]);
    }
  }
  if constexpr (R * Q == 16 && kDot16Reduce16) {
    dot16_reduce16(acc, out);
  } else {
    for (int i = 0; i < R * Q; ++i) out[i] = dot16_reduce(acc[i]);
  }
}

/// The dot product of two d-vectors, as defined above (the reference for every kernel).
inline float dot(const float* x, const float* y, std::int64_t d) noexcept {
  float s;
  dot_tile<1, 1>(&x, &y, d, &s);
  return s;
}

// ------------------------------------------------------------------------------------------------
// Top-k

/// The best k hits seen so far: a heap whose top is the worst kept hit (last in hit_before order).
/// A candidate enters when it ranks before that worst hit and passes the filter (the filter runs
/// only for candidates that would enter, so k results come back whenever k items pass). NaN
/// scores never enter, so ranking stays a strict weak order.
class TopK {
 public:
  explicit TopK(std::int64_t k) : k_(static_cast<std::size_t>(k)) { heap_.reserve(k_); }

  void offer(float score, std::int64_t id, const Filter& filter) {
    if (!(score >= worst_)) return;  // below the threshold, or NaN: the common, cheap exit
    insert(score, id, filter);
  }

  std::vector<Hit>& hits() noexcept { return heap_; }

 private:
  // Out of line, so that the inlined offer() in the kernels' loops is only a compare and a branch.
#if defined(__GNUC__)
  __attribute__((noinline))
#endif
  void insert(float score, std::int64_t id, const Filter& filter) {
    if (heap_.size() == k_ && score == worst_ && id > heap_.front().id) return;
    if (filter && !filter(id)) return;
    const Hit hit{id, score};
    if (heap_.size() == k_) {
      std::pop_heap(heap_.begin(), heap_.end(), hit_before);
      heap_.back() = hit;
    } else {
      heap_.push_back(hit);
    }
    std::push_heap(heap_.begin(), heap_.end(), hit_before);
    if (heap_.size() == k_) worst_ = heap_.front().score;
  }

  std::size_t k_;
  std::vector<Hit> heap_;
  float worst_ = -std::numeric_limits<float>::infinity();  // the threshold once k hits are kept
};

/// Merges per-part top-k lists into one ranked list of at most k hits.
inline std::vector<Hit> merge_hits(std::vector<Hit> all, std::int64_t k) {
  const auto keep = std::min(all.size(), static_cast<std::size_t>(k));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), hit_before);
  all.resize(keep);
  return all;
}


/// 1 / ||v|| computed in double, as a float; 0 when v is zero.
inline float inverse_norm(const float* v, std::int64_t d) noexcept {
  double s = 0;
  for (std::int64_t j = 0; j < d; ++j) s += static_cast<double>(v[j]) * static_cast<double>(v[j]);
  return s > 0 ? static_cast<float>(1.0 / std::sqrt(s)) : 0.0f;
}

inline constexpr std::uint32_t kFlatKind = index_kind("FLAT");

// ------------------------------------------------------------------------------------------------
// What every FlatIndex<Device> shares on the host: the ids, the checks of added rows and of
// queries (with the cosine normalisation, so every device stores and searches the same floats),
// and the file format.

/// The id bookkeeping of a flat index, kept on the host on every device: the id of each row, the
/// row of each id, and the id add() assigns next. Messages name FlatIndex.
class FlatIds {
 public:
  std::int64_t size() const noexcept { return static_cast<std::int64_t>(ids_.size()); }
  bool empty() const noexcept { return ids_.empty(); }
  std::span<const std::int64_t> ids() const noexcept { return ids_; }
  std::int64_t operator[](std::size_t row) const noexcept { return ids_[row]; }
  std::int64_t next_id() const noexcept { return next_id_; }
  bool contains(std::int64_t id) const { return row_of_.count(id) != 0; }

  /// The row of `id`; kOutOfRange when it is not in the index.
  std::int64_t row(std::int64_t id) const {
    const auto it = row_of_.find(id);
    if (it == row_of_.end()) DAPT_FAIL(ErrorCategory::kOutOfRange, "FlatIndex: id ", id, " is not in the index");
    return it->second;
  }

  /// kInvalidArgument naming the first id that is out of range or already in the index, then a
  /// repeated one.
  void check_new(std::span<const std::int64_t> ids) const {
    for (std::int64_t id : ids) {
      DAPT_CHECK(id >= 0 && id < std::numeric_limits<std::int64_t>::max(), "FlatIndex::add: id ", id,
                 " is out of range (ids must be in [0, 2^63 - 1))");
      DAPT_CHECK(!contains(id), "FlatIndex::add: id ", id, " is already in the index");
    }
    std::vector<std::int64_t> sorted(ids.begin(), ids.end());
    std::sort(sorted.begin(), sorted.end());
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    DAPT_CHECK(dup == sorted.end(), "FlatIndex::add: id ", dup == sorted.end() ? 0 : *dup, " appears twice in ids");
  }

  /// The ids add(vectors) gives n new rows: next_id() ... next_id() + n - 1 (kInvalidArgument
  /// when they overflow int64).
  std::vector<std::int64_t> fresh(std::int64_t n) const {
    DAPT_CHECK(n < std::numeric_limits<std::int64_t>::max() - next_id_, "FlatIndex::add: ", n,
               " new ids after next_id = ", next_id_, " overflow int64");
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = next_id_ + i;
    return ids;
  }

  /// The checks of add(ids, vectors): kShape when `vectors` is not ids.size() rows of `dim`
  /// floats, then check_new(ids).
  void check_add(std::span<const std::int64_t> ids, std::span<const float> vectors, std::int64_t dim) const {
    DAPT_CHECK_AS(kShape, vectors.size() == ids.size() * static_cast<std::size_t>(dim), "FlatIndex::add: vectors has ",
                  vectors.size(), " floats, expected ids.size() * dim = ", ids.size(), " * ", dim);
    check_new(ids);
  }

  /// The ids of add(vectors): kShape when `vectors` is not whole rows of `dim` floats, then
  /// fresh(rows).
  std::vector<std::int64_t> fresh_for(std::span<const float> vectors, std::int64_t dim) const {
    DAPT_CHECK_AS(kShape, vectors.size() % static_cast<std::size_t>(dim) == 0, "FlatIndex::add: vectors has ",
                  vectors.size(), " floats, not a multiple of dim = ", dim);
    return fresh(static_cast<std::int64_t>(vectors.size() / static_cast<std::size_t>(dim)));
  }

  /// Appends rows under `ids` (already checked).
  void append(std::span<const std::int64_t> ids) {
    const std::size_t old_rows = ids_.size();
    row_of_.reserve(old_rows + ids.size());
    ids_.reserve(old_rows + ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      ids_.push_back(ids[i]);
      row_of_.emplace(ids[i], static_cast<std::int64_t>(old_rows + i));
      next_id_ = std::max(next_id_, ids[i] + 1);
    }
  }

  /// Removes `id` and returns the row it had, or -1 when it is absent. The id of the last row
  /// moves into that row, so the caller moves the vector of row size() (after this call) there
  /// too when the two rows differ.
  std::int64_t erase(std::int64_t id) {
    const auto it = row_of_.find(id);
    if (it == row_of_.end()) return -1;
    const auto row = static_cast<std::size_t>(it->second);
    const std::size_t last = ids_.size() - 1;
    row_of_.erase(it);
    if (row != last) {
      ids_[row] = ids_[last];
      row_of_[ids_[row]] = static_cast<std::int64_t>(row);
    }
    ids_.pop_back();
    return static_cast<std::int64_t>(row);
  }

  /// The ids of a file written by save(), in row order, then its next_id (read by `read_next`
  /// after the ids are checked); kFormat naming `path` for a negative or repeated id, or a next_id
  /// that is not above the largest id.
  template <class ReadNext>
  void assign_from_file(std::span<const std::int64_t> ids, const std::filesystem::path& path,
                        const std::string& source, ReadNext read_next) {
    ids_.assign(ids.begin(), ids.end());
    row_of_.reserve(ids.size());
    std::int64_t max_id = -1;
    for (std::size_t r = 0; r < ids.size(); ++r) {
      const std::int64_t id = ids[r];
      DAPT_CHECK_AS(kFormat, id >= 0, path.string(), ": id ", id, " at row ", r, " is negative");
      DAPT_CHECK_AS(kFormat, row_of_.emplace(id, static_cast<std::int64_t>(r)).second, path.string(), ": id ", id,
                    " appears twice");
      max_id = std::max(max_id, id);
    }
    const std::int64_t next = read_next();
    DAPT_CHECK_AS(kFormat, next > max_id, source, ": next_id = ", next, " is not above the largest id ", max_id);
    next_id_ = next;
  }

 private:
  std::vector<std::int64_t> ids_;                          // (size) the id of each row
  std::unordered_map<std::int64_t, std::int64_t> row_of_;  // id -> row
  std::int64_t next_id_ = 0;
};

/// Checks n rows to add, (n, dim) row-major under `ids` (n): kNumeric naming the row for NaN or
/// Inf, and for cosine a zero vector. Returns the scale of each row for cosine (n; the stored row
/// is v[j] * scale), else nothing.
inline std::vector<float> flat_row_scales(std::span<const std::int64_t> ids, std::span<const float> vectors,
                                          std::int64_t dim, Metric metric) {
  const auto n = static_cast<std::int64_t>(ids.size());
  const std::int64_t d = dim;
  std::vector<float> scale(metric == Metric::kCosine ? static_cast<std::size_t>(n) : 0);
  parallel_for(
      0, n,
      [&](std::int64_t r) {
        const float* v = vectors.data() + r * d;
        for (std::int64_t j = 0; j < d; ++j)
          DAPT_CHECK_AS(kNumeric, std::isfinite(v[j]), "FlatIndex::add: row ", r, " (id ",
                        ids[static_cast<std::size_t>(r)], ") holds ", v[j], " at column ", j);
        if (metric == Metric::kCosine) {
          const float s = inverse_norm(v, d);
          DAPT_CHECK_AS(kNumeric, s > 0 && std::isfinite(s), "FlatIndex::add: row ", r, " (id ",
                        ids[static_cast<std::size_t>(r)],
                        ") is a zero vector (or too small to normalise), which has no direction for cosine");
          scale[static_cast<std::size_t>(r)] = s;
        }
      },
      256);
  return scale;
}

/// Copies nq queries (nq, dim) to `dst` (nq, dim), normalised for cosine. kNumeric naming the
/// query for NaN, Inf or (cosine) a zero query; `what` names the calling method.
inline void prepare_flat_queries(std::span<const float> queries, std::int64_t nq, std::int64_t dim, Metric metric,
                                 const char* what, float* dst) {
  const std::int64_t d = dim;
  for (std::int64_t i = 0; i < nq; ++i) {
    const float* src = queries.data() + i * d;
    float* out = dst + i * d;
    for (std::int64_t j = 0; j < d; ++j)
      DAPT_CHECK_AS(kNumeric, std::isfinite(src[j]), "FlatIndex::", what, ": query ", i, " holds ", src[j],
                    " at column ", j);
    float s = 1.0f;
    if (metric == Metric::kCosine) {
      s = inverse_norm(src, d);
      DAPT_CHECK_AS(kNumeric, s > 0 && std::isfinite(s), "FlatIndex::", what, ": query ", i,
                    " is a zero vector (or too small to normalise), which has no direction for cosine");
    }
    for (std::int64_t j = 0; j < d; ++j) out[j] = metric == Metric::kCosine ? src[j] * s : src[j];
  }
}

/// Writes a flat index file (see FlatIndex<Cpu>::save): ids (count), vectors (count, dim).
inline void write_flat_file(const std::filesystem::path& path, std::int64_t dim, Metric metric, std::int64_t next_id,
                            std::span<const std::int64_t> ids, std::span<const float> vectors) {
  io::json::object meta;
  meta["format"] = "dapt.flat_index";
  meta["dim"] = dim;
  meta["metric"] = std::string(metric_name(metric));
  meta["count"] = static_cast<std::int64_t>(ids.size());
  meta["next_id"] = next_id;
  IndexFileWriter w(kFlatKind);
  w.add_json("meta", meta);
  w.add_section("ids", ids);
  w.add_section("vectors", vectors);
  w.commit(path);
}

/// A flat index file, checked: its vectors (count, dim) point into `mapping`.
struct FlatFile {
  std::int64_t dim = 0;
  Metric metric = Metric::kInnerProduct;
  FlatIds ids;
  std::span<const float> vectors;
  std::shared_ptr<const io::detail::MappedFile> mapping;
};

/// Maps and checks a file written by FlatIndex<Device>::save (see FlatIndex<Cpu>::load).
inline FlatFile read_flat_file(const std::filesystem::path& path, IndexFileOptions options) {
  const auto file = IndexFile::open(path, kFlatKind, options);
  const std::string source = path.string() + ": section \"meta\"";
  const io::json::object meta = file.json_object("meta");
  const io::JsonFields f(meta, source, ErrorCategory::kFormat);
  const std::string format = f.require_string("format");
  DAPT_CHECK_AS(kFormat, format == "dapt.flat_index", source, ": format is \"", format, "\", not \"dapt.flat_index\"");
  const std::int64_t dim = f.require_int("dim");
  DAPT_CHECK_AS(kFormat, dim >= 1 && dim <= (std::int64_t{1} << 24), source, ": dim = ", dim, " is out of range");
  const std::string metric = f.require_string("metric");
  Metric m = Metric::kInnerProduct;
  if (metric == metric_name(Metric::kCosine)) m = Metric::kCosine;
  else DAPT_CHECK_AS(kFormat, metric == metric_name(Metric::kInnerProduct), source, ": unknown metric \"", metric, "\"");
  const std::int64_t count = f.require_int("count");
  DAPT_CHECK_AS(kFormat, count >= 0, source, ": count = ", count, " is negative");
  const auto ids = file.section_as<std::int64_t>("ids", static_cast<std::uint64_t>(count));
  const auto vectors = file.section_as<float>("vectors", static_cast<std::uint64_t>(count),
                                              static_cast<std::uint64_t>(dim));
  FlatFile out;
  out.dim = dim;
  out.metric = m;
  out.ids.assign_from_file(ids, path, source, [&] { return f.require_int("next_id"); });
  out.vectors = vectors;
  out.mapping = file.mapping();
  return out;
}

}  // namespace detail

/// Exact search over fp32 vectors of dimension d, by inner product or cosine, with the vectors on
/// `Device`. `FlatIndex<Cpu>` (or `FlatIndex<>`) is defined here; `FlatIndex<Cuda>` keeps its
/// vectors in GPU memory and is defined in dapt/retrieval/flat_index_cuda.cuh (reached through
/// dapt/cuda.cuh). Both rank alike (score descending, ties by ascending id) and read and write the
/// same file.
template <class Device = Cpu>
class FlatIndex;

/// `FlatIndex index(dim)` and `FlatIndex index(dim, metric)` make a FlatIndex<Cpu>.
FlatIndex(std::int64_t) -> FlatIndex<Cpu>;
FlatIndex(std::int64_t, Metric) -> FlatIndex<Cpu>;

/// Exact search over fp32 vectors of dimension d in host memory, by inner product or cosine.
///
/// Ids are non-negative int64 chosen by the caller (or assigned: one more than the largest id
/// ever added), unique in the index. Removing swaps the last row into the hole, so row order is
/// not insertion order; results never depend on it (ties rank by ascending id), nor on the thread
/// count. Searches run on up to `max_threads()` OpenMP threads (dapt's thread policy: call
/// apply_thread_policy() once, or narrow a scope with ThreadScope), and are const and safe from
/// several threads at once (a call from inside a parallel region runs serially); add and remove
/// are not.
template <>
class FlatIndex<Cpu> {
 public:
  /// An empty index of `dim`-dimensional vectors (kInvalidArgument when dim < 1).
  explicit FlatIndex(std::int64_t dim, Metric metric = Metric::kInnerProduct) : dim_(dim), metric_(metric) {
    DAPT_CHECK(dim >= 1, "FlatIndex: dimension must be at least 1, got ", dim);
    DAPT_CHECK(metric == Metric::kInnerProduct || metric == Metric::kCosine, "FlatIndex: unknown metric ",
               static_cast<std::uint32_t>(metric));
  }

  std::int64_t dim() const noexcept { return dim_; }
  Metric metric() const noexcept { return metric_; }
  std::int64_t size() const noexcept { return ids_.size(); }
  bool empty() const noexcept { return ids_.empty(); }
  /// The id `add(vectors)` assigns next: one more than the largest id ever added (ids of removed
  /// items are not reused).
  std::int64_t next_id() const noexcept { return ids_.next_id(); }
  /// True while the vectors are searched in place from the file `load` mapped.
  bool is_mapped() const noexcept { return mapping_ != nullptr; }

  /// Ids in row order (size()), valid until the next add or remove.
  std::span<const std::int64_t> ids() const noexcept { return ids_.ids(); }
  /// The stored vectors in row order, (size(), dim) row-major; unit length for cosine. Valid
  /// until the next add or remove.
  std::span<const float> vectors() const noexcept {
    return {data(), static_cast<std::size_t>(ids_.size()) * static_cast<std::size_t>(dim_)};
  }

  bool contains(std::int64_t id) const { return ids_.contains(id); }

  /// The stored vector of `id` (dim), a view valid until the next add or remove; for cosine it is
  /// the normalised vector. kOutOfRange when the id is not in the index.
  std::span<const float> vector(std::int64_t id) const {
    const std::int64_t row = ids_.row(id);
    return {data() + static_cast<std::size_t>(row) * static_cast<std::size_t>(dim_), static_cast<std::size_t>(dim_)};
  }
  /// A copy of the stored vector of `id` (dim); kOutOfRange when absent.
  std::vector<float> reconstruct(std::int64_t id) const {
    const auto v = vector(id);
    return {v.begin(), v.end()};
  }

  /// Adds n vectors with the given ids.
  ///   ids: (n) non-negative, unique, none already in the index (kInvalidArgument naming the id)
  ///   vectors: (n, dim) row-major (kShape when its size is not ids.size() * dim)
  /// kNumeric naming the row for NaN or Inf, and for cosine a zero vector (it has no direction).
  /// Nothing is added when anything throws.
  void add(std::span<const std::int64_t> ids, std::span<const float> vectors) {
    ids_.check_add(ids, vectors, dim_);
    append(ids, vectors);
  }

  /// Adds n vectors (n, dim) row-major under the next ids (next_id() ... next_id() + n - 1), and
  /// returns them. kShape when the size is not a multiple of dim; kNumeric as for add(ids, ...).
  std::vector<std::int64_t> add(std::span<const float> vectors) {
    std::vector<std::int64_t> ids = ids_.fresh_for(vectors, dim_);
    append(ids, vectors);
    return ids;
  }

  /// Removes the given ids (unknown or repeated ids are ignored) and returns how many were
  /// removed. The last row moves into each hole, so removal costs O(dim) per id.
  std::int64_t remove(std::span<const std::int64_t> ids) {
    bool any = false;
    for (std::int64_t id : ids) any = any || contains(id);
    if (!any) return 0;
    make_owned();
    std::int64_t removed = 0;
    const auto d = static_cast<std::size_t>(dim_);
    for (std::int64_t id : ids) {
      const std::int64_t erased = ids_.erase(id);
      if (erased < 0) continue;
      const auto row = static_cast<std::size_t>(erased);
      const auto last = static_cast<std::size_t>(ids_.size());
      if (row != last) std::memcpy(vectors_.data() + row * d, vectors_.data() + last * d, d * sizeof(float));
      vectors_.resize(last * d);
      ++removed;
    }
    return removed;
  }

  /// The k best hits for one query, ranked (score descending, ties by ascending id).
  ///   query: (dim); for cosine it is normalised first (a zero query throws kNumeric)
  /// k > size() returns every item that passes the filter; k < 1 throws kInvalidArgument. The
  /// filter is called only for candidates that would enter the top k, possibly from several
  /// threads at once, so it must be thread-safe.
  std::vector<Hit> search(std::span<const float> query, std::int64_t k, const Filter& filter = {}) const {
    DAPT_CHECK(k >= 1, "FlatIndex::search: k must be at least 1, got ", k);
    DAPT_CHECK_AS(kShape, query.size() == static_cast<std::size_t>(dim_), "FlatIndex::search: query has ",
                  query.size(), " floats, expected dim = ", dim_);
    const AlignedVector<float> q = prepare_queries(query, 1, "search");
    const std::int64_t n = size();
    if (n == 0) return {};
    k = std::min(k, n);
    // Memory bound: give each thread at least ~1 MiB of the database so that starting it pays.
    const std::int64_t min_rows = std::max<std::int64_t>(64, (std::int64_t{1} << 20) / (dim_ * 4));
    const std::int64_t parts = std::clamp<std::int64_t>(n / min_rows, 1, max_threads());
    std::vector<std::vector<Hit>> part_hits(static_cast<std::size_t>(parts));
    const float* base = data();
    const std::int64_t d = dim_;
    parallel_for(0, parts, [&](std::int64_t p) {
      const std::int64_t r0 = n * p / parts, r1 = n * (p + 1) / parts;
      detail::TopK top(k);
      const float* qp = q.data();
      const float* qs[1] = {qp};
      std::int64_t r = r0;
      constexpr int kRows = 4;
      for (; r + kRows <= r1; r += kRows) {
        const float* xs[kRows];
        for (int i = 0; i < kRows; ++i) xs[i] = base + (r + i) * d;
        float s[kRows];
        detail::dot_tile<kRows, 1>(xs, qs, d, s);
        for (int i = 0; i < kRows; ++i) top.offer(s[i], ids_[static_cast<std::size_t>(r + i)], filter);
      }
      for (; r < r1; ++r) top.offer(detail::dot(base + r * d, qp, d), ids_[static_cast<std::size_t>(r)], filter);
      part_hits[static_cast<std::size_t>(p)] = std::move(top.hits());
    });
    std::vector<Hit> all;
    for (auto& h : part_hits) all.insert(all.end(), h.begin(), h.end());
    return detail::merge_hits(std::move(all), k);
  }

  /// The k best hits for each of nq queries: the same lists as nq calls of search(), computed as
  /// blocked tiles (compute bound rather than memory bound).
  ///   queries: (nq, dim) row-major (kShape when its size is not a multiple of dim)
  HitLists search_batch(std::span<const float> queries, std::int64_t k, const Filter& filter = {}) const {
    DAPT_CHECK(k >= 1, "FlatIndex::search_batch: k must be at least 1, got ", k);
    DAPT_CHECK_AS(kShape, queries.size() % static_cast<std::size_t>(dim_) == 0, "FlatIndex::search_batch: queries has ",
                  queries.size(), " floats, not a multiple of dim = ", dim_);
    const auto nq = static_cast<std::int64_t>(queries.size() / static_cast<std::size_t>(dim_));
    HitLists out(static_cast<std::size_t>(nq));
    const std::int64_t n = size();
    if (nq == 0) return out;
    const auto q = prepare_queries(queries, nq, "search_batch");  // padded to whole query tiles
    if (n == 0) return out;
    k = std::min(k, n);
    constexpr std::int64_t R = detail::kTileRows, Q = detail::kTileQueries;
    const std::int64_t groups = (nq + Q - 1) / Q;
    // Split the database rows across threads when each gets a good share (each thread then reads
    // the database once, and every query keeps one heap per part); else split the query groups.
    const int threads = max_threads();
    const bool split_rows = n >= static_cast<std::int64_t>(threads) * 1024 || groups < threads;
    const std::int64_t parts = split_rows ? std::clamp<std::int64_t>(n / 256, 1, threads)
                                          : std::min<std::int64_t>(groups, threads);
    // Rows per block: the block (about 256 KiB) stays in L2 while every query tile passes over it.
    const std::int64_t block = std::max<std::int64_t>(16, (std::int64_t{1} << 18) / (dim_ * 4)) / R * R;
    std::vector<std::vector<detail::TopK>> tops(static_cast<std::size_t>(parts));
    const float* base = data();
    const std::int64_t d = dim_;
    parallel_for(0, parts, [&](std::int64_t p) {
      const std::int64_t r0 = split_rows ? n * p / parts : 0, r1 = split_rows ? n * (p + 1) / parts : n;
      const std::int64_t g0 = split_rows ? 0 : groups * p / parts, g1 = split_rows ? groups : groups * (p + 1) / parts;
      auto& top = tops[static_cast<std::size_t>(p)];
      top.assign(static_cast<std::size_t>((g1 - g0) * Q), detail::TopK(k));
      for (std::int64_t b0 = r0; b0 < r1; b0 += block) {
        const std::int64_t b1 = std::min(r1, b0 + block);
        for (std::int64_t g = g0; g < g1; ++g) {
          const float* qs[Q];
          for (std::int64_t i = 0; i < Q; ++i) qs[i] = q.data() + (g * Q + i) * d;
          const std::int64_t live = std::min(Q, nq - g * Q);  // the padding queries are not ranked
          detail::TopK* tq = top.data() + (g - g0) * Q;
          std::int64_t r = b0;
          float s[R * Q];
          for (; r + R <= b1; r += R) {
            const float* xs[R];
            for (std::int64_t i = 0; i < R; ++i) xs[i] = base + (r + i) * d;
            detail::dot_tile<R, Q>(xs, qs, d, s);
            for (std::int64_t i = 0; i < R; ++i) {
              const std::int64_t id = ids_[static_cast<std::size_t>(r + i)];
              for (std::int64_t j = 0; j < live; ++j) tq[j].offer(s[i * Q + j], id, filter);
            }
          }
          for (; r < b1; ++r) {
            const float* xs[1] = {base + r * d};
            detail::dot_tile<1, Q>(xs, qs, d, s);
            const std::int64_t id = ids_[static_cast<std::size_t>(r)];
            for (std::int64_t j = 0; j < live; ++j) tq[j].offer(s[j], id, filter);
          }
        }
      }
    });
    parallel_for(0, nq, [&](std::int64_t i) {
      std::vector<Hit> all;
      for (std::int64_t p = 0; p < parts; ++p) {
        const std::int64_t g0 = split_rows ? 0 : groups * p / parts, g1 = split_rows ? groups : groups * (p + 1) / parts;
        if (i < g0 * Q || i >= g1 * Q) continue;
        auto& h = tops[static_cast<std::size_t>(p)][static_cast<std::size_t>(i - g0 * Q)].hits();
        all.insert(all.end(), h.begin(), h.end());
      }
      out[static_cast<std::size_t>(i)] = detail::merge_hits(std::move(all), k);
    });
    return out;
  }

  /// Writes the index to `path` as a dapt index file of kind 'FLAT' (sections "meta": JSON with
  /// format, dim, metric, count, next_id; "ids": int64 (count); "vectors": float (count, dim)),
  /// atomically: a failure (kIo) leaves any previous file at `path` as it was.
  void save(const std::filesystem::path& path) const {
    detail::write_flat_file(path, dim_, metric_, next_id(), ids(), vectors());
  }

  /// Maps an index written by save(). The vectors are searched in place from the mapping (zero
  /// copy) until the first add or remove copies them into owned memory. kIo when the file cannot
  /// be opened, kFormat (naming the path) when it is truncated, corrupt or not a flat index.
  /// `options.verify_checksums = false` skips hashing the large sections (see IndexFileOptions).
  static FlatIndex load(const std::filesystem::path& path, IndexFileOptions options = {}) {
    detail::FlatFile file = detail::read_flat_file(path, options);
    FlatIndex index(file.dim, file.metric);
    index.ids_ = std::move(file.ids);
    index.mapping_ = std::move(file.mapping);
    index.mapped_ = file.vectors.data();
    return index;
  }

 private:
  using FloatVector = AlignedVector<float>;

  const float* data() const noexcept { return mapping_ ? mapped_ : vectors_.data(); }

  /// Copy-on-write: the first modification of a loaded index copies the mapped vectors.
  void make_owned() {
    if (!mapping_) return;
    vectors_.assign(mapped_, mapped_ + static_cast<std::size_t>(ids_.size()) * static_cast<std::size_t>(dim_));
    mapping_.reset();
    mapped_ = nullptr;
  }

  /// Validates the rows of `vectors` (n, dim) and appends them under `ids` (already checked).
  void append(std::span<const std::int64_t> ids, std::span<const float> vectors) {
    const auto n = static_cast<std::int64_t>(ids.size());
    if (n == 0) return;
    const std::int64_t d = dim_;
    const std::vector<float> scale = detail::flat_row_scales(ids, vectors, d, metric_);
    make_owned();
    const auto old_rows = static_cast<std::size_t>(ids_.size());
    vectors_.insert(vectors_.end(), vectors.begin(), vectors.end());
    if (metric_ == Metric::kCosine) {
      float* dst = vectors_.data() + old_rows * static_cast<std::size_t>(d);
      parallel_for(
          0, n,
          [&](std::int64_t r) {
            const float s = scale[static_cast<std::size_t>(r)];
            for (std::int64_t j = 0; j < d; ++j) dst[r * d + j] *= s;
          },
          256);
    }
    ids_.append(ids);
  }

  /// Copies nq queries (nq, dim) into a buffer padded with zero queries to whole tiles,
  /// normalised for cosine. kNumeric naming the query for NaN, Inf or (cosine) a zero query.
  FloatVector prepare_queries(std::span<const float> queries, std::int64_t nq, const char* what) const {
    const std::int64_t padded = (nq + detail::kTileQueries - 1) / detail::kTileQueries * detail::kTileQueries;
    FloatVector q(static_cast<std::size_t>(padded * dim_), 0.0f);
    detail::prepare_flat_queries(queries, nq, dim_, metric_, what, q.data());
    return q;
  }

  std::int64_t dim_;
  Metric metric_;
  detail::FlatIds ids_;                              // the id of each row, the row of each id
  FloatVector vectors_;                              // (size, dim) when owned
  std::shared_ptr<const io::detail::MappedFile> mapping_;  // set while searching a loaded file in place
  const float* mapped_ = nullptr;                    // (size, dim) inside mapping_
};

}  // namespace dapt::retrieval
