/// @file flat_index_cuda.cuh
/// @brief `dapt::retrieval::FlatIndex<Cuda>`: the exact flat index with its vectors in GPU memory
/// ((size, dim) row-major, unit length for cosine; fp32, or bf16 at half the memory), searched by
/// `cuda::FlatSearch`: one GEMM scores a chunk of queries against every row with fp32
/// accumulation (fp32: pedantic cuBLAS, no TF32; bf16: the queries rounded to bf16 too, so every
/// product is exact and only the summation order differs from the CPU), then one block per
/// query keeps its k best (k <= cuda::kMaxTopK = 1024), ranked as `hit_before` (score descending,
/// ties by ascending id). The ids, the checks of added rows and of queries, the cosine
/// normalisation and the file format are FlatIndex<Cpu>'s (retrieval/flat_index.hpp, run on the
/// host), so both indexes store the same floats, rank ties alike and read each other's files; only
/// the order in which a dot product is summed differs (scores agree to fp32 rounding). A bf16 index
/// stores the bf16 rounding of those floats and ranks as FlatIndex<Cpu> over the rounded vectors
/// and queries; its files hold the rounded values widened to fp32, so they load anywhere. Rows grow
/// by doubling, and the query, mask and result buffers are members that only grow, so once a
/// search has run at its size it allocates nothing (the GEMM's scores go to the context's scratch,
/// which only grows too). Reached through dapt/cuda.cuh.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "dapt/backend/cuda/allocator.cuh"
#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/search.cuh"
#include "dapt/core/dtype.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/retrieval/flat_index.hpp"
#include "dapt/retrieval/search.hpp"

namespace dapt::retrieval {

namespace detail {

/// A device array of T that only grows (at least doubling), keeping its leading elements.
template <class T>
class GrowingDeviceArray {
 public:
  T* get() const noexcept { return reinterpret_cast<T*>(mem_.get()); }
  std::size_t capacity() const noexcept { return capacity_; }

  /// Room for n elements. When it grows, the first `keep` elements are copied to the new memory,
  /// and the old memory is released after the current stream's work (a rare host wait).
  void reserve(std::size_t n, std::size_t keep = 0) {
    if (n <= capacity_) return;
    const std::size_t grown = std::max(n, capacity_ * 2);
    std::shared_ptr<std::byte> mem = DeviceAllocator<Cuda>::allocate(grown * sizeof(T));
    if (keep)
      DAPT_CUDA_CHECK(cudaMemcpyAsync(mem.get(), mem_.get(), keep * sizeof(T), cudaMemcpyDeviceToDevice,
                                      cuda::current_stream()));
    if (mem_) cuda::current().synchronize();  // nothing enqueued still reads the old memory
    mem_ = std::move(mem);
    capacity_ = grown;
  }

 private:
  std::shared_ptr<std::byte> mem_;
  std::size_t capacity_ = 0;
};

/// Rows the device search ranks at most (cuda::flat_topk: N < 2^31).
inline constexpr std::int64_t kFlatMaxDeviceRows = 0x7fffffff;

/// Queries per GEMM of a host search: their (queries, rows) fp32 scores fit in this many bytes of
/// the context's scratch.
inline constexpr std::size_t kFlatScoreBytes = std::size_t{256} << 20;

inline std::int64_t flat_query_chunk(std::int64_t rows, std::int64_t queries) {
  const auto per_query = static_cast<std::size_t>(std::max<std::int64_t>(rows, 1)) * sizeof(float);
  const auto fit = static_cast<std::int64_t>(std::max<std::size_t>(kFlatScoreBytes / per_query, 1));
  return std::min({fit, queries, std::int64_t{0x7fffffff}});
}

}  // namespace detail

/// Exact search over vectors of dimension d in GPU memory (fp32, or bf16: `storage`), by inner
/// product or cosine: the
/// interface of FlatIndex<Cpu> (ids, add, remove, search, search_batch, save, load: the same
/// checks, errors and results up to fp32 rounding of the scores), plus `search_device` for
/// queries already on the device.
///
/// Differences from FlatIndex<Cpu>: k is at most cuda::kMaxTopK = 1024 (kUnsupported above it,
/// whatever size()); a filter is evaluated on the host for every row, in row order, on the
/// calling thread, and uploaded as a mask; there is no `vector(id)` view (`reconstruct` and
/// `download_vectors` copy from the device); the index is move-only; searches of one index are
/// serialised (they share its buffers). Every call runs on the current cuda::Context
/// (ContextScope), which must be on the device that holds the vectors (kDevice otherwise); host
/// searches, reconstruct, download_vectors and save wait for their results.
template <>
class FlatIndex<Cuda> {
 public:
  /// An empty index of `dim`-dimensional vectors (kInvalidArgument when dim < 1) stored as
  /// `storage`: DType::kF32, or DType::kBF16 (half the memory; the vectors, normalised first for
  /// cosine, and the queries are rounded to bf16, the scores summed in fp32); kUnsupported for
  /// any other type. Allocates nothing until the first add.
  explicit FlatIndex(std::int64_t dim, Metric metric = Metric::kInnerProduct, DType storage = DType::kF32)
      : dim_(dim), metric_(metric), storage_(storage) {
    DAPT_CHECK(dim >= 1, "FlatIndex: dimension must be at least 1, got ", dim);
    DAPT_CHECK(metric == Metric::kInnerProduct || metric == Metric::kCosine, "FlatIndex: unknown metric ",
               static_cast<std::uint32_t>(metric));
    DAPT_CHECK_AS(kUnsupported, storage == DType::kF32 || storage == DType::kBF16, "FlatIndex<Cuda>: storage ",
                  dtype_name(storage), " is not supported (F32 or BF16)");
  }
  FlatIndex(FlatIndex&&) noexcept = default;
  FlatIndex& operator=(FlatIndex&&) noexcept = default;
  FlatIndex(const FlatIndex&) = delete;
  FlatIndex& operator=(const FlatIndex&) = delete;

  std::int64_t dim() const noexcept { return dim_; }
  Metric metric() const noexcept { return metric_; }
  /// The element type of the stored vectors on the device (kF32 or kBF16).
  DType storage() const noexcept { return storage_; }
  std::int64_t size() const noexcept { return ids_.size(); }
  bool empty() const noexcept { return ids_.empty(); }
  /// The id `add(vectors)` assigns next (as FlatIndex<Cpu>::next_id).
  std::int64_t next_id() const noexcept { return ids_.next_id(); }
  /// The CUDA device that holds the vectors, or -1 before anything was stored.
  int device() const noexcept { return device_; }

  /// Ids in row order (size()), host memory, valid until the next add or remove.
  std::span<const std::int64_t> ids() const noexcept { return ids_.ids(); }
  bool contains(std::int64_t id) const { return ids_.contains(id); }

  /// The stored vectors in device memory, (size(), dim) row-major (unit length for cosine, up to
  /// bf16 rounding in a bf16 index); null while empty. Valid until the next add or remove. T is
  /// float or bf16, the index's storage() (kDtype otherwise).
  template <class T = float>
  const T* device_vectors() const {
    check_storage<T>("device_vectors");
    return size() ? reinterpret_cast<const T*>(vectors_.get()) : nullptr;
  }
  /// The ids in device memory (size()), in the row order of device_vectors() and ids().
  const std::int64_t* device_ids() const noexcept { return size() ? ids_d_.get() : nullptr; }

  /// A copy of the stored vector of `id` (dim), downloaded (widened to fp32 from bf16); for cosine
  /// it is the normalised vector. kOutOfRange when the id is not in the index.
  std::vector<float> reconstruct(std::int64_t id) const {
    const std::int64_t row = ids_.row(id);
    check_device("reconstruct");
    return download_rows(row, 1);
  }
  /// A copy of every stored vector, (size(), dim) row-major in row order, downloaded (widened to
  /// fp32 from bf16).
  std::vector<float> download_vectors() const {
    if (empty()) return {};
    check_device("download_vectors");
    return download_rows(0, size());
  }

  /// Adds n vectors with the given ids, uploaded to the device (the rows grow by doubling).
  ///   ids: (n) non-negative, unique, none already in the index (kInvalidArgument naming the id)
  ///   vectors: (n, dim) row-major host memory (kShape when its size is not ids.size() * dim)
  /// kNumeric naming the row for NaN or Inf, and for cosine a zero vector; kUnsupported past
  /// 2^31 - 1 rows (the device search's limit). Nothing is added when anything throws.
  void add(std::span<const std::int64_t> ids, std::span<const float> vectors) {
    ids_.check_add(ids, vectors, dim_);
    append(ids, vectors);
  }

  /// Adds n vectors (n, dim) row-major under the next ids and returns them (as FlatIndex<Cpu>).
  std::vector<std::int64_t> add(std::span<const float> vectors) {
    std::vector<std::int64_t> ids = ids_.fresh_for(vectors, dim_);
    append(ids, vectors);
    return ids;
  }

  /// Removes the given ids (unknown or repeated ids are ignored) and returns how many were
  /// removed. The last row moves into each hole on the device, as on the CPU.
  std::int64_t remove(std::span<const std::int64_t> ids) {
    bool any = false;
    for (std::int64_t id : ids) any = any || contains(id);
    if (!any) return 0;
    check_device("remove");
    const cudaStream_t stream = cuda::current_stream();
    const std::size_t row_bytes = this->row_bytes();
    std::int64_t removed = 0;
    for (std::int64_t id : ids) {
      const std::int64_t row = ids_.erase(id);
      if (row < 0) continue;
      const auto last = static_cast<std::size_t>(ids_.size());
      if (static_cast<std::size_t>(row) != last)
        DAPT_CUDA_CHECK(cudaMemcpyAsync(vectors_.get() + static_cast<std::size_t>(row) * row_bytes,
                                        vectors_.get() + last * row_bytes, row_bytes, cudaMemcpyDeviceToDevice,
                                        stream));
      ++removed;
    }
    const std::span<const std::int64_t> left = ids_.ids();
    DeviceAllocator<Cuda>::copy_from_host(ids_d_.get(), left.data(), left.size_bytes());
    return removed;
  }

  /// The k best hits for one host query (dim), ranked as FlatIndex<Cpu>::search ranks them.
  /// kInvalidArgument for k < 1, kUnsupported for k > 1024, kShape, kNumeric (NaN, Inf, a zero
  /// cosine query) as on the CPU; an empty index returns no hits.
  std::vector<Hit> search(std::span<const float> query, std::int64_t k, const Filter& filter = {}) const {
    check_k(k, "search");
    DAPT_CHECK_AS(kShape, query.size() == static_cast<std::size_t>(dim_), "FlatIndex::search: query has ",
                  query.size(), " floats, expected dim = ", dim_);
    HitLists out = run(query, 1, k, filter, "search");
    return std::move(out.front());
  }

  /// The k best hits for each of nq host queries (nq, dim) row-major: the lists FlatIndex<Cpu>
  /// returns, up to fp32 rounding of the scores. Queries go to the device in chunks whose scores
  /// fit in 256 MiB.
  HitLists search_batch(std::span<const float> queries, std::int64_t k, const Filter& filter = {}) const {
    check_k(k, "search_batch");
    DAPT_CHECK_AS(kShape, queries.size() % static_cast<std::size_t>(dim_) == 0, "FlatIndex::search_batch: queries has ",
                  queries.size(), " floats, not a multiple of dim = ", dim_);
    const auto nq = static_cast<std::int64_t>(queries.size() / static_cast<std::size_t>(dim_));
    return run(queries, nq, k, filter, "search_batch");
  }

  /// Enqueues the search of nq queries already in device memory, for pipelines that embed on the
  /// GPU, on the current stream without waiting (the outputs are ready after its work).
  ///   queries: (nq, dim) of the index's storage() type (fp32 or bf16; kDtype for the other),
  ///            used as given: for cosine pass unit-length queries (nothing is checked on the
  ///            device; a NaN score is never ranked)
  ///   top_scores: (nq, k) fp32, top_ids: (nq, k) int64, written best first; the slots past the
  ///            hits hold (id -1, score -inf): a fixed block, where search() returns shorter lists
  ///   valid: (size()) uint8 in row order (see device_ids()), nullable; 0 skips the row (a filter)
  /// kInvalidArgument for k < 1 or nq < 0, kUnsupported for k > 1024.
  void search_device(const float* queries, std::int64_t nq, std::int64_t k, float* top_scores, std::int64_t* top_ids,
                     const std::uint8_t* valid = nullptr) const {
    search_device_as(queries, nq, k, top_scores, top_ids, valid);
  }
  /// search_device for a bf16 index, with bf16 queries.
  void search_device(const bf16* queries, std::int64_t nq, std::int64_t k, float* top_scores, std::int64_t* top_ids,
                     const std::uint8_t* valid = nullptr) const {
    search_device_as(queries, nq, k, top_scores, top_ids, valid);
  }

  /// Writes the index to `path` in FlatIndex<Cpu>'s format (the vectors are downloaded; a bf16
  /// index writes them widened to fp32), so either index loads it; atomically, as there.
  void save(const std::filesystem::path& path) const {
    const std::vector<float> vectors = download_vectors();
    detail::write_flat_file(path, dim_, metric_, next_id(), ids(), vectors);
  }

  /// Loads a file written by FlatIndex<Cpu>::save or FlatIndex<Cuda>::save and uploads it to the
  /// current context's device, stored as `storage` (kBF16 rounds the file's floats). Errors as
  /// FlatIndex<Cpu>::load (kIo, kFormat naming the path), plus kUnsupported past 2^31 - 1 rows.
  static FlatIndex load(const std::filesystem::path& path, IndexFileOptions options = {},
                        DType storage = DType::kF32) {
    detail::FlatFile file = detail::read_flat_file(path, options);
    FlatIndex index(file.dim, file.metric, storage);
    const std::int64_t n = file.ids.size();
    DAPT_CHECK_AS(kUnsupported, n <= detail::kFlatMaxDeviceRows, path.string(), ": ", n,
                  " rows exceed the device search's limit of 2^31 - 1 rows");
    if (n > 0) {
      index.reserve(n, 0);
      // From pageable (mapped) memory the copies are staged before they return: unmapping is safe.
      std::vector<bf16> staging;
      index.to_device(index.vectors_.get(), file.vectors, staging);
      DeviceAllocator<Cuda>::copy_from_host(index.ids_d_.get(), file.ids.ids().data(), file.ids.ids().size_bytes());
    }
    index.ids_ = std::move(file.ids);
    return index;
  }

 private:
  void check_k(std::int64_t k, const char* what) const {
    DAPT_CHECK(k >= 1, "FlatIndex::", what, ": k must be at least 1, got ", k);
    DAPT_CHECK_AS(kUnsupported, k <= cuda::kMaxTopK, "FlatIndex<Cuda>::", what, ": k = ", k,
                  " is above the device top-k limit of ", cuda::kMaxTopK,
                  " (cuda::kMaxTopK); search a FlatIndex<Cpu> for more hits");
  }

  /// kDtype unless T is the storage type.
  template <class T>
  void check_storage(const char* what) const {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, bf16>, "FlatIndex<Cuda> stores float or bf16");
    DAPT_CHECK_AS(kDtype, dtype_of<T> == storage_, "FlatIndex<Cuda>::", what, ": the index stores ",
                  dtype_name(storage_), ", not ", dtype_name(dtype_of<T>));
  }

  bool is_bf16() const noexcept { return storage_ == DType::kBF16; }
  std::size_t row_bytes() const noexcept {
    return static_cast<std::size_t>(dim_) * (is_bf16() ? sizeof(bf16) : sizeof(float));
  }

  /// Copies host fp32 values (rows or queries) to device memory at `dst` in the storage type: as
  /// they are for fp32; for bf16 rounded through `staging`, in pieces of at most 8M elements (a
  /// search passes a member, so a repeated search allocates nothing). The copies from pageable
  /// memory are staged before they return, so `staging` is free again afterwards.
  void to_device(std::byte* dst, std::span<const float> src, std::vector<bf16>& staging) const {
    if (!is_bf16()) {
      DeviceAllocator<Cuda>::copy_from_host(dst, src.data(), src.size_bytes());
      return;
    }
    const std::size_t piece = std::min(std::size_t{8} << 20, src.size());
    if (staging.size() < piece) staging.resize(piece);
    for (std::size_t i = 0; i < src.size(); i += piece) {
      const std::size_t m = std::min(piece, src.size() - i);
      for (std::size_t j = 0; j < m; ++j) staging[j] = bf16(src[i + j]);
      DeviceAllocator<Cuda>::copy_from_host(dst + i * sizeof(bf16), staging.data(), m * sizeof(bf16));
    }
  }

  /// One GEMM and top-k of qc device queries, in the storage type, against every row.
  void search_rows(const std::byte* queries, std::int64_t qc, std::int64_t k, const std::uint8_t* valid,
                   float* top_scores, std::int64_t* top_ids) const {
    const std::int64_t n = size();
    if (is_bf16())
      cuda::FlatSearch::search<bf16>(device_vectors<bf16>(), reinterpret_cast<const bf16*>(queries), ids_d_.get(),
                                     valid, n, qc, dim_, k, top_scores, top_ids);
    else
      cuda::FlatSearch::search<float>(device_vectors<float>(), reinterpret_cast<const float*>(queries), ids_d_.get(),
                                      valid, n, qc, dim_, k, top_scores, top_ids);
  }

  /// Rows [row0, row0 + n) of the device storage, downloaded and widened to fp32.
  std::vector<float> download_rows(std::int64_t row0, std::int64_t n) const {
    const auto count = static_cast<std::size_t>(n) * static_cast<std::size_t>(dim_);
    std::vector<float> out(count);
    const std::byte* src = vectors_.get() + static_cast<std::size_t>(row0) * row_bytes();
    if (!is_bf16()) {
      DeviceAllocator<Cuda>::copy_to_host(out.data(), src, count * sizeof(float));
      return out;
    }
    std::vector<bf16> narrow(count);
    DeviceAllocator<Cuda>::copy_to_host(narrow.data(), src, count * sizeof(bf16));
    for (std::size_t i = 0; i < count; ++i) out[i] = narrow[i].to_float();
    return out;
  }

  template <class T>
  void search_device_as(const T* queries, std::int64_t nq, std::int64_t k, float* top_scores, std::int64_t* top_ids,
                        const std::uint8_t* valid) const {
    check_k(k, "search_device");
    check_storage<T>("search_device");
    DAPT_CHECK(nq >= 0, "FlatIndex<Cuda>::search_device: nq must be non-negative, got ", nq);
    if (nq == 0) return;
    check_device("search_device");
    const std::int64_t n = size();
    const std::int64_t chunk = detail::flat_query_chunk(n, nq);
    for (std::int64_t q0 = 0; q0 < nq; q0 += chunk)
      search_rows(reinterpret_cast<const std::byte*>(queries + q0 * dim_), std::min(chunk, nq - q0), k, valid,
                  top_scores + q0 * k, top_ids + q0 * k);
  }

  /// kDevice when the vectors live on another device than the current context's.
  void check_device(const char* what) const {
    if (device_ < 0) return;
    const int current = cuda::current().device();
    DAPT_CHECK_AS(kDevice, current == device_, "FlatIndex<Cuda>::", what, ": the index is on device ", device_,
                  " but the current cuda::Context is on device ", current);
  }

  /// Room for `rows` rows on the device (the first `keep` rows kept); sets the device on first use.
  void reserve(std::int64_t rows, std::int64_t keep) {
    if (device_ < 0) device_ = cuda::current().device();
    vectors_.reserve(static_cast<std::size_t>(rows) * row_bytes(), static_cast<std::size_t>(keep) * row_bytes());
    ids_d_.reserve(static_cast<std::size_t>(rows), static_cast<std::size_t>(keep));
  }

  /// Checks the rows of `vectors` (n, dim) and appends them under `ids` (already checked).
  void append(std::span<const std::int64_t> ids, std::span<const float> vectors) {
    const auto n = static_cast<std::int64_t>(ids.size());
    if (n == 0) return;
    const std::vector<float> scale = detail::flat_row_scales(ids, vectors, dim_, metric_);
    const std::int64_t old_rows = size();
    DAPT_CHECK_AS(kUnsupported, n <= detail::kFlatMaxDeviceRows - old_rows, "FlatIndex<Cuda>::add: ", old_rows, " + ", n,
                  " rows exceed the device search's limit of 2^31 - 1 rows");
    check_device("add");
    const std::int64_t d = dim_;
    std::vector<float> normalised;  // for cosine, the rows FlatIndex<Cpu> stores: v[j] * scale, in fp32
    std::span<const float> rows = vectors;
    if (metric_ == Metric::kCosine) {
      normalised.resize(vectors.size());
      for (std::int64_t r = 0; r < n; ++r) {
        const float s = scale[static_cast<std::size_t>(r)];
        for (std::int64_t j = 0; j < d; ++j) normalised[r * d + j] = vectors[r * d + j] * s;
      }
      rows = normalised;
    }
    reserve(old_rows + n, old_rows);
    std::vector<bf16> staging;
    to_device(vectors_.get() + static_cast<std::size_t>(old_rows) * row_bytes(), rows, staging);
    DeviceAllocator<Cuda>::copy_from_host(ids_d_.get() + old_rows, ids.data(), ids.size_bytes());
    ids_.append(ids);
  }

  /// Checks and prepares nq host queries, searches them in chunks, and downloads the hits.
  HitLists run(std::span<const float> queries, std::int64_t nq, std::int64_t k, const Filter& filter,
               const char* what) const {
    HitLists out(static_cast<std::size_t>(nq));
    if (nq == 0) return out;
    const std::lock_guard<std::mutex> lock(*mutex_);
    const std::int64_t d = dim_;
    host_queries_.resize(static_cast<std::size_t>(nq * d));
    detail::prepare_flat_queries(queries, nq, d, metric_, what, host_queries_.data());
    const std::int64_t n = size();
    if (n == 0) return out;
    check_device(what);
    k = std::min(k, n);
    const cudaStream_t stream = cuda::current_stream();
    const std::uint8_t* valid = nullptr;
    if (filter) {
      host_mask_.resize(static_cast<std::size_t>(n));
      for (std::int64_t r = 0; r < n; ++r)
        host_mask_[static_cast<std::size_t>(r)] = filter(ids_[static_cast<std::size_t>(r)]) ? 1 : 0;
      mask_.reserve(static_cast<std::size_t>(n));
      DeviceAllocator<Cuda>::copy_from_host(mask_.get(), host_mask_.data(), host_mask_.size());
      valid = mask_.get();
    }
    const std::int64_t chunk = detail::flat_query_chunk(n, nq);
    queries_.reserve(static_cast<std::size_t>(chunk) * row_bytes());  // a query is stored as a row is
    top_scores_.reserve(static_cast<std::size_t>(chunk * k));
    top_ids_.reserve(static_cast<std::size_t>(chunk * k));
    host_scores_.resize(static_cast<std::size_t>(chunk * k));
    host_ids_.resize(static_cast<std::size_t>(chunk * k));
    for (std::int64_t q0 = 0; q0 < nq; q0 += chunk) {
      const std::int64_t qc = std::min(chunk, nq - q0);
      to_device(queries_.get(), std::span<const float>(host_queries_).subspan(static_cast<std::size_t>(q0 * d),
                                                                               static_cast<std::size_t>(qc * d)),
                host_queries16_);
      search_rows(queries_.get(), qc, k, valid, top_scores_.get(), top_ids_.get());
      const auto slots = static_cast<std::size_t>(qc * k);
      DAPT_CUDA_CHECK(cudaMemcpyAsync(host_scores_.data(), top_scores_.get(), slots * sizeof(float),
                                      cudaMemcpyDeviceToHost, stream));
      DAPT_CUDA_CHECK(cudaMemcpyAsync(host_ids_.data(), top_ids_.get(), slots * sizeof(std::int64_t),
                                      cudaMemcpyDeviceToHost, stream));
      cuda::current().synchronize();
      for (std::int64_t i = 0; i < qc; ++i) {
        std::vector<Hit>& hits = out[static_cast<std::size_t>(q0 + i)];
        for (std::int64_t r = 0; r < k; ++r) {
          const auto slot = static_cast<std::size_t>(i * k + r);
          if (host_ids_[slot] < 0) break;  // (id -1, -inf): fewer than k rows passed the filter
          hits.push_back({host_ids_[slot], host_scores_[slot]});
        }
      }
    }
    return out;
  }

  std::int64_t dim_;
  Metric metric_;
  DType storage_;                                      // kF32 or kBF16: the element type of vectors_
  int device_ = -1;                                    // set by the first upload
  detail::FlatIds ids_;                                // the id of each row, the row of each id
  detail::GrowingDeviceArray<std::byte> vectors_;      // (capacity, dim) of storage_ on the device; size() rows used
  detail::GrowingDeviceArray<std::int64_t> ids_d_;     // (capacity) the ids on the device, in row order
  // Search buffers, grown on demand and reused (guarded by mutex_).
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
  mutable detail::GrowingDeviceArray<std::byte> queries_;     // (chunk, dim) of storage_
  mutable detail::GrowingDeviceArray<float> top_scores_;      // (chunk, k)
  mutable detail::GrowingDeviceArray<std::int64_t> top_ids_;  // (chunk, k)
  mutable detail::GrowingDeviceArray<std::uint8_t> mask_;     // (size) the filter's verdicts
  mutable std::vector<float> host_queries_;                   // (nq, dim) checked, normalised for cosine
  mutable std::vector<bf16> host_queries16_;                  // staging of their bf16 rounding (bf16 storage)
  mutable std::vector<std::uint8_t> host_mask_;
  mutable std::vector<float> host_scores_;
  mutable std::vector<std::int64_t> host_ids_;
};

}  // namespace dapt::retrieval
