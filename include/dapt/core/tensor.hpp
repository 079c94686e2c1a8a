/// @file tensor.hpp
/// @brief The one tensor type of the SDK. `TensorView<Device>` is a non-owning (pointer, dtype,
/// shape, strides) record that layers pass around; `Tensor<Device>` adds shared ownership of its
/// storage, which is either allocated by dapt (64-byte aligned on the CPU) or borrowed from
/// someone else (a memory-mapped file, a user buffer) with an optional keep-alive handle. The
/// device is a type parameter, so CPU and CUDA code paths are chosen at compile time; this header
/// only defines the CPU allocator, and the CUDA backend provides its own.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <type_traits>

#include "dapt/core/config.hpp"
#include "dapt/core/dtype.hpp"
#include "dapt/core/error.hpp"

namespace dapt {

/// Device tag of host memory.
struct Cpu {
  static constexpr const char* kName = "cpu";
};
/// Device tag of CUDA global memory (allocator and ops live in dapt/backend/cuda, via dapt/cuda.cuh).
struct Cuda {
  static constexpr const char* kName = "cuda";
};

inline constexpr int kMaxRank = 8;

/// A small fixed-capacity list of extents (or strides), at most kMaxRank of them.
class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) { assign(dims.begin(), dims.size()); }
  explicit Shape(std::span<const std::int64_t> dims) { assign(dims.data(), dims.size()); }

  int rank() const noexcept { return rank_; }
  std::int64_t operator[](int i) const noexcept { return dims_[static_cast<std::size_t>(i)]; }
  std::int64_t& operator[](int i) noexcept { return dims_[static_cast<std::size_t>(i)]; }
  /// Extent `i`, counting from the back when negative (dim(-1) is the last one); checked.
  std::int64_t dim(int i) const {
    const int j = i < 0 ? i + rank_ : i;
    DAPT_CHECK_AS(kShape, j >= 0 && j < rank_, "dimension ", i, " out of range for shape ", str());
    return dims_[static_cast<std::size_t>(j)];
  }
  std::span<const std::int64_t> dims() const noexcept { return {dims_.data(), static_cast<std::size_t>(rank_)}; }

  /// Number of elements; throws kShape on a negative extent or on int64 overflow.
  std::int64_t numel() const {
    std::int64_t n = 1;
    for (int i = 0; i < rank_; ++i) {
      DAPT_CHECK_AS(kShape, dims_[i] >= 0, "negative extent in shape ", str());
      DAPT_CHECK_AS(kShape, !__builtin_mul_overflow(n, dims_[i], &n), "shape ", str(),
                    " has more elements than fit in int64");
    }
    return n;
  }

  /// "(2, 3, 4)".
  std::string str() const {
    std::string s = "(";
    for (int i = 0; i < rank_; ++i) {
      if (i) s += ", ";
      s += std::to_string(dims_[static_cast<std::size_t>(i)]);
    }
    return s + ")";
  }

  friend bool operator==(const Shape& a, const Shape& b) noexcept {
    return a.rank_ == b.rank_ && std::equal(a.dims_.begin(), a.dims_.begin() + a.rank_, b.dims_.begin());
  }

  /// Row-major (C order) strides, in elements, for this shape.
  Shape contiguous_strides() const {
    Shape s;
    s.rank_ = rank_;
    std::int64_t step = 1;
    for (int i = rank_ - 1; i >= 0; --i) {
      s.dims_[static_cast<std::size_t>(i)] = step;
      step *= std::max<std::int64_t>(dims_[static_cast<std::size_t>(i)], 1);
    }
    return s;
  }

 private:
  void assign(const std::int64_t* p, std::size_t n) {
    DAPT_CHECK_AS(kShape, n <= static_cast<std::size_t>(kMaxRank), "rank ", n, " exceeds the maximum rank ", kMaxRank);
    rank_ = static_cast<int>(n);
    std::copy(p, p + n, dims_.begin());
  }

  int rank_ = 0;
  std::array<std::int64_t, kMaxRank> dims_{};
};

/// Allocation policy of a device: `allocate(bytes)` returns owning storage. Only Cpu is defined
/// here; dapt/backend/cuda defines the Cuda specialisation.
template <class Device>
struct DeviceAllocator;

template <>
struct DeviceAllocator<Cpu> {
  /// 64-byte-aligned, uninitialised host memory; released when the last owner goes away.
  static std::shared_ptr<std::byte> allocate(std::size_t bytes) {
    const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment;
    void* p = std::aligned_alloc(kCpuAlignment, rounded);
    if (!p) DAPT_FAIL(ErrorCategory::kInvalidArgument, "out of host memory allocating ", bytes, " bytes");
    return std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
  }
  /// Sets `bytes` bytes at `p` to zero.
  static void fill_zero(void* p, std::size_t bytes) noexcept {
    if (bytes) std::memset(p, 0, bytes);
  }
  /// Copies `bytes` bytes of host memory to `dst` (memory of this device).
  static void copy_from_host(void* dst, const void* src, std::size_t bytes) noexcept {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  /// Copies `bytes` bytes of this device's memory to host memory at `dst`, complete on return.
  static void copy_to_host(void* dst, const void* src, std::size_t bytes) noexcept {
    if (bytes) std::memcpy(dst, src, bytes);
  }
};

/// A non-owning view: pointer, dtype, shape and strides (in elements). Cheap to copy. The caller
/// keeps the storage alive (a Tensor, a mapped file) for as long as the view is used.
template <class Device>
class TensorView {
 public:
  TensorView() = default;
  TensorView(void* data, DType dtype, Shape shape) : TensorView(data, dtype, shape, shape.contiguous_strides()) {}
  TensorView(void* data, DType dtype, Shape shape, Shape strides)
      : data_(static_cast<std::byte*>(data)), dtype_(dtype), shape_(shape), strides_(strides) {
    DAPT_CHECK_AS(kShape, shape.rank() == strides.rank(), "shape ", shape.str(), " and strides ",
                  strides.str(), " differ in rank");
    (void)shape_.numel();  // validates extents
  }

  DType dtype() const noexcept { return dtype_; }
  const Shape& shape() const noexcept { return shape_; }
  const Shape& strides() const noexcept { return strides_; }
  int rank() const noexcept { return shape_.rank(); }
  std::int64_t dim(int i) const { return shape_.dim(i); }
  std::int64_t numel() const { return shape_.numel(); }
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }
  bool empty() const { return numel() == 0; }
  void* raw() const noexcept { return data_; }
  bool is_contiguous() const {
    Shape c = shape_.contiguous_strides();
    for (int i = 0; i < rank(); ++i)
      if (shape_[i] != 1 && strides_[i] != c[i]) return false;
    return true;
  }

  /// Typed pointer to the first element; checks the dtype and the alignment of T.
  template <class T>
  T* data() const {
    DAPT_CHECK_AS(kDtype, dtype_of<std::remove_const_t<T>> == dtype_, "tensor holds ", dtype_name(dtype_),
                  ", accessed as ", dtype_name(dtype_of<std::remove_const_t<T>>));
    DAPT_CHECK_AS(kInvalidArgument, reinterpret_cast<std::uintptr_t>(data_) % alignof(T) == 0,
                  "tensor data is not aligned for ", dtype_name(dtype_), " access; copy it first");
    return reinterpret_cast<T*>(data_);
  }

  /// Element at a multi-index (CPU only; bounds-checked, for tests and tools, not inner loops).
  template <class T>
  T& at(std::initializer_list<std::int64_t> index) const {
    static_assert(std::is_same_v<Device, Cpu>, "at() reads host memory");
    DAPT_CHECK_AS(kShape, static_cast<int>(index.size()) == rank(), "index of rank ", index.size(),
                  " into tensor of shape ", shape_.str());
    std::int64_t off = 0;
    int d = 0;
    for (std::int64_t i : index) {
      DAPT_CHECK_AS(kOutOfRange, i >= 0 && i < shape_[d], "index ", i, " out of range for dimension ", d,
                    " of shape ", shape_.str());
      off += i * strides_[d];
      ++d;
    }
    return data<T>()[off];
  }

  /// Same storage, new shape; needs a contiguous view and the same element count.
  TensorView reshape(Shape shape) const {
    DAPT_CHECK_AS(kShape, is_contiguous(), "reshape of a non-contiguous view of shape ", shape_.str());
    DAPT_CHECK_AS(kShape, shape.numel() == numel(), "cannot reshape ", shape_.str(), " to ", shape.str());
    return TensorView(data_, dtype_, shape);
  }

  /// Elements [begin, end) along `dim` (a view: no copy).
  TensorView slice(int dim, std::int64_t begin, std::int64_t end) const {
    const std::int64_t extent = shape_.dim(dim);
    const int d = dim < 0 ? dim + rank() : dim;
    DAPT_CHECK_AS(kOutOfRange, 0 <= begin && begin <= end && end <= extent, "slice [", begin, ", ", end,
                  ") out of range for dimension ", dim, " of shape ", shape_.str());
    Shape s = shape_;
    s[d] = end - begin;
    return TensorView(data_ + begin * strides_[d] * static_cast<std::int64_t>(dtype_size(dtype_)), dtype_, s, strides_);
  }

  /// Swaps two dimensions (a strided view: no copy).
  TensorView transpose(int d0, int d1) const {
    (void)shape_.dim(d0);
    (void)shape_.dim(d1);
    const int a = d0 < 0 ? d0 + rank() : d0, b = d1 < 0 ? d1 + rank() : d1;
    Shape s = shape_, st = strides_;
    std::swap(s[a], s[b]);
    std::swap(st[a], st[b]);
    return TensorView(data_, dtype_, s, st);
  }

 private:
  std::byte* data_ = nullptr;
  DType dtype_ = DType::kF32;
  Shape shape_;
  Shape strides_;
};

/// A view plus shared ownership of its storage. Copies share the storage (like a shared_ptr);
/// `clone()` makes a deep, contiguous copy.
template <class Device>
class Tensor {
 public:
  Tensor() = default;

  /// Uninitialised storage for `shape` elements of `dtype`.
  static Tensor empty(Shape shape, DType dtype) {
    const auto bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(dtype);
    auto storage = DeviceAllocator<Device>::allocate(bytes);
    return Tensor(storage, TensorView<Device>(storage.get(), dtype, shape));
  }

  /// Zero-filled tensor (on a GPU the fill is enqueued on the current stream, not waited for).
  static Tensor zeros(Shape shape, DType dtype) {
    Tensor t = empty(shape, dtype);
    DeviceAllocator<Device>::fill_zero(t.raw(), t.nbytes());
    return t;
  }

  /// Wraps memory owned elsewhere. `keep_alive` (may be null) is held as long as the tensor lives,
  /// e.g. the mapping of a safetensors file.
  static Tensor borrow(void* data, DType dtype, Shape shape, std::shared_ptr<const void> keep_alive = nullptr) {
    return borrow(TensorView<Device>(data, dtype, shape), std::move(keep_alive));
  }
  static Tensor borrow(TensorView<Device> view, std::shared_ptr<const void> keep_alive = nullptr) {
    Tensor t;
    t.view_ = view;
    t.owner_ = std::move(keep_alive);
    return t;
  }

  /// Deep contiguous copy on the host.
  Tensor clone() const requires std::is_same_v<Device, Cpu> {
    Tensor t = empty(shape(), dtype());
    copy_to(t.view());
    return t;
  }

  /// Copies into `dst` (same shape and dtype; either may be strided). Host only.
  void copy_to(const TensorView<Device>& dst) const requires std::is_same_v<Device, Cpu> {
    copy_view(view_, dst);
  }

  const TensorView<Device>& view() const noexcept { return view_; }
  operator const TensorView<Device>&() const noexcept { return view_; }  // NOLINT: implicit by design

  DType dtype() const noexcept { return view_.dtype(); }
  const Shape& shape() const noexcept { return view_.shape(); }
  const Shape& strides() const noexcept { return view_.strides(); }
  int rank() const noexcept { return view_.rank(); }
  std::int64_t dim(int i) const { return view_.dim(i); }
  std::int64_t numel() const { return view_.numel(); }
  std::size_t nbytes() const { return view_.nbytes(); }
  bool defined() const noexcept { return view_.raw() != nullptr || owner_ != nullptr; }
  void* raw() const noexcept { return view_.raw(); }
  bool is_contiguous() const { return view_.is_contiguous(); }
  template <class T> T* data() const { return view_.template data<T>(); }
  template <class T> T& at(std::initializer_list<std::int64_t> index) const { return view_.template at<T>(index); }

  /// The owner handle (storage or keep-alive); views derived from this tensor stay valid while
  /// it, or a copy of it, lives.
  const std::shared_ptr<const void>& owner() const noexcept { return owner_; }

  /// Copies between two host views of equal shape and dtype, element by element when strided.
  static void copy_view(const TensorView<Cpu>& src, const TensorView<Cpu>& dst) {
    DAPT_CHECK_AS(kShape, src.shape() == dst.shape(), "copy from ", src.shape().str(), " to ", dst.shape().str());
    DAPT_CHECK_AS(kDtype, src.dtype() == dst.dtype(), "copy from ", dtype_name(src.dtype()), " to ",
                  dtype_name(dst.dtype()));
    const std::size_t es = dtype_size(src.dtype());
    if (src.is_contiguous() && dst.is_contiguous()) {
      if (src.nbytes()) std::memmove(dst.raw(), src.raw(), src.nbytes());
      return;
    }
    const std::int64_t n = src.numel();
    const int r = src.rank();
    std::array<std::int64_t, kMaxRank> idx{};
    const auto* s = static_cast<const std::byte*>(src.raw());
    auto* d = static_cast<std::byte*>(dst.raw());
    for (std::int64_t k = 0; k < n; ++k) {
      std::int64_t so = 0, doff = 0;
      for (int i = 0; i < r; ++i) {
        so += idx[static_cast<std::size_t>(i)] * src.strides()[i];
        doff += idx[static_cast<std::size_t>(i)] * dst.strides()[i];
      }
      std::memcpy(d + doff * static_cast<std::int64_t>(es), s + so * static_cast<std::int64_t>(es), es);
      for (int i = r - 1; i >= 0; --i) {
        if (++idx[static_cast<std::size_t>(i)] < src.shape()[i]) break;
        idx[static_cast<std::size_t>(i)] = 0;
      }
    }
  }

 private:
  Tensor(std::shared_ptr<const void> owner, TensorView<Device> view) : view_(view), owner_(std::move(owner)) {}

  TensorView<Device> view_;
  std::shared_ptr<const void> owner_;
};

/// Copies the host view `src` into `dst`, memory of `Device` (both contiguous, of one shape and
/// dtype). On a GPU the copy is queued on the current stream and `src` may be reused as soon as
/// this returns; on the CPU it is a memcpy.
template <class Device>
void upload(const TensorView<Cpu>& src, const TensorView<Device>& dst) {
  DAPT_CHECK_AS(kShape, src.shape() == dst.shape() && src.dtype() == dst.dtype(), "upload: ", src.shape().str(), " ",
                dtype_name(src.dtype()), " into ", dst.shape().str(), " ", dtype_name(dst.dtype()));
  DAPT_CHECK_AS(kShape, src.is_contiguous() && dst.is_contiguous(), "upload needs contiguous tensors");
  DeviceAllocator<Device>::copy_from_host(dst.raw(), src.raw(), src.nbytes());
}

/// Copies `src`, memory of `Device`, into the host view `dst` (both contiguous, of one shape and
/// dtype), after the work already queued; complete on return (on a GPU, a host synchronisation).
template <class Device>
void download(const TensorView<Device>& src, const TensorView<Cpu>& dst) {
  DAPT_CHECK_AS(kShape, src.shape() == dst.shape() && src.dtype() == dst.dtype(), "download: ", src.shape().str(), " ",
                dtype_name(src.dtype()), " into ", dst.shape().str(), " ", dtype_name(dst.dtype()));
  DAPT_CHECK_AS(kShape, src.is_contiguous() && dst.is_contiguous(), "download needs contiguous tensors");
  DeviceAllocator<Device>::copy_to_host(dst.raw(), src.raw(), src.nbytes());
}

/// A host copy of `src` (contiguous), memory of `Device`.
template <class Device>
Tensor<Cpu> to_host(const TensorView<Device>& src) {
  Tensor<Cpu> out = Tensor<Cpu>::empty(src.shape(), src.dtype());
  download(src, out.view());
  return out;
}

}  // namespace dapt
