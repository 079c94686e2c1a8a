/// @file layer.hpp
/// @brief The layer contract, written once. A layer's `forward(x)` returns a view of its output and
/// keeps what backward needs; `backward(dy)` *writes* the input gradient and returns a view of it,
/// and *adds* (`+=`) into the gradients of its trainable parameters. A frozen parameter has no
/// gradient buffer and costs no gradient work. Every parameter is reachable through
/// `visit_parameters(fn, prefix)` under its Hugging Face name, which is all that checkpoint I/O,
/// optimizers, LoRA targeting, gradient clipping and data parallelism need. Activation buffers are
/// `Buffer`s: they are allocated when a shape is first seen (or grows) and reused afterwards, so a
/// training or decode step at a fixed shape allocates nothing. A layer lists its buffers through
/// `visit_buffers(fn)`; layers that run one at a time can then point theirs at one shared set
/// (`Buffer::share`), which is how activation recomputation saves memory (see nn/llama.hpp).
#pragma once

#include <concepts>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <utility>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/elementwise.hpp"

namespace dapt::nn {

/// One parameter: its fp32 value (the master weight) and, when trainable, an fp32 gradient of the
/// same shape. In mixed precision (`set_compute_dtype(DType::kBF16)`, GPU only) it also keeps a
/// bf16 copy of the value, which forward and backward read (`compute()`); the optimizer writes the
/// copy with each update, and every other change of the value through this class (assign, reset)
/// remakes it. Code that writes into `value()` directly calls `refresh_copy()` afterwards.
template <class Device>
class Param {
 public:
  Param() = default;
  /// Takes `value` (f32); allocates a zeroed gradient when `trainable`.
  explicit Param(Tensor<Device> value, bool trainable = true) : value_(std::move(value)) { set_trainable(trainable); }

  const Tensor<Device>& value() const noexcept { return value_; }
  /// Replaces the value; the shape and dtype must match (checkpoint loading, resizing goes through reset()).
  void assign(const Tensor<Device>& v) {
    DAPT_CHECK_AS(kShape, v.shape() == value_.shape(), "parameter of shape ", value_.shape().str(),
                  " assigned a tensor of shape ", v.shape().str());
    DAPT_CHECK_AS(kDtype, v.dtype() == value_.dtype(), "parameter of dtype ", dtype_name(value_.dtype()),
                  " assigned a tensor of dtype ", dtype_name(v.dtype()));
    value_ = v;
    refresh_copy();
  }
  /// Replaces value and shape (vocabulary resizing); the gradient is reallocated if trainable,
  /// and the bf16 copy remade in mixed precision.
  void reset(Tensor<Device> v) {
    value_ = std::move(v);
    grad_ = Tensor<Device>();
    set_trainable(trainable_);
    if (copy_.defined()) set_compute_dtype(DType::kBF16);  // reallocated at the new shape
  }

  /// What forward and backward read: the bf16 copy in mixed precision, else the value itself.
  const Tensor<Device>& compute() const noexcept { return copy_.defined() ? copy_ : value_; }
  DType compute_dtype() const noexcept { return copy_.defined() ? DType::kBF16 : value_.dtype(); }
  /// The bf16 copy (undefined in fp32): the optimizer writes bf16(master) into it after each update.
  const Tensor<Device>& copy() const noexcept { return copy_; }
  /// F32: forward and backward read the fp32 value (the copy is dropped). BF16: they read a bf16
  /// copy of it, made now; on the CPU, whose kernels are fp32 only, BF16 throws kDtype.
  void set_compute_dtype(DType dtype) {
    DAPT_CHECK_AS(kDtype, dtype == DType::kF32 || dtype == DType::kBF16,
                  "a parameter computes in F32 or BF16, not ", dtype_name(dtype));
    if (dtype == DType::kF32) {
      copy_ = Tensor<Device>();
      return;
    }
    DAPT_CHECK_AS(kDtype, (!std::is_same_v<Device, Cpu>),
                  "BF16 compute needs the CUDA backend (the CPU kernels are F32 only)");
    if (!value_.defined()) return;
    if (!copy_.defined() || copy_.shape() != value_.shape()) copy_ = Tensor<Device>::empty(value_.shape(), DType::kBF16);
    refresh_copy();
  }
  /// Remakes the bf16 copy from the value (nothing in fp32).
  void refresh_copy() {
    if (copy_.defined()) ops::convert(value_.view(), copy_.view());
  }

  /// Undefined (no storage) when the parameter is frozen.
  const Tensor<Device>& grad() const noexcept { return grad_; }
  bool trainable() const noexcept { return trainable_; }
  /// Freezing drops the gradient buffer; unfreezing allocates a zeroed one.
  void set_trainable(bool on) {
    trainable_ = on;
    if (!on) {
      grad_ = Tensor<Device>();
    } else if (!grad_.defined() && value_.defined()) {
      grad_ = Tensor<Device>::empty(value_.shape(), value_.dtype());
      zero_grad();
    }
  }
  void zero_grad() {
    if (grad_.defined()) DeviceAllocator<Device>::fill_zero(grad_.raw(), grad_.nbytes());
  }

  /// Weight decay applies to this parameter by default (false for norm weights and biases).
  bool decay = true;

  std::int64_t numel() const { return value_.numel(); }

 private:
  Tensor<Device> value_;
  Tensor<Device> grad_;
  Tensor<Device> copy_;  // bf16(value_) in mixed precision, else undefined
  bool trainable_ = true;
};

/// The device of a model type: `Device` for a template on one device type (`nn::Llama<Cuda>`,
/// `embed::Embedder<Cpu>`), else Cpu (a user's own host model). The generic model functions
/// (LoRA, its checkpoints) default their `Device` to it.
template <class Model>
struct model_device {
  using type = Cpu;
};
template <template <class> class M, class D>
  requires requires { D::kName; }  // a device type (Cpu, Cuda), not any one-parameter template
struct model_device<M<D>> {
  using type = D;
};
template <class Model>
using model_device_t = typename model_device<Model>::type;

/// The visitor of `visit_parameters`: (Hugging Face name, parameter).
template <class Device>
using ParamVisitor = std::function<void(const std::string&, Param<Device>&)>;

/// Copies every parameter value of `from` into the parameter of the same Hugging Face name of `to`
/// (models built from one config; either may live on the host or a device): how a model loaded
/// on the CPU goes to the GPU, and back for saving. Gradients and trainability are not copied.
/// kShape naming the parameter when the two disagree on a name, a shape or a dtype; nothing is
/// copied then. A device-to-device copy goes through host memory.
template <class FromDevice, class ToDevice, class From, class To>
void copy_parameters(From& from, To& to) {
  std::map<std::string, Param<ToDevice>*> dst;
  to.visit_parameters([&](const std::string& name, Param<ToDevice>& p) { dst[name] = &p; });
  std::size_t seen = 0;
  from.visit_parameters([&](const std::string& name, Param<FromDevice>& p) {
    const auto it = dst.find(name);
    DAPT_CHECK_AS(kShape, it != dst.end(), "copy_parameters: the destination has no parameter \"", name, "\"");
    const Tensor<ToDevice>& v = it->second->value();
    DAPT_CHECK_AS(kShape, v.shape() == p.value().shape() && v.dtype() == p.value().dtype(), "copy_parameters: \"",
                  name, "\" is ", p.value().shape().str(), " ", dtype_name(p.value().dtype()), " in the source and ",
                  v.shape().str(), " ", dtype_name(v.dtype()), " in the destination");
    ++seen;
  });
  DAPT_CHECK_AS(kShape, seen == dst.size(), "copy_parameters: the source has ", seen, " parameters, the destination ",
                dst.size());
  from.visit_parameters([&](const std::string& name, Param<FromDevice>& p) {
    const TensorView<ToDevice>& out = dst[name]->value().view();
    if constexpr (std::is_same_v<FromDevice, Cpu>) {
      upload(p.value().view(), out);
    } else if constexpr (std::is_same_v<ToDevice, Cpu>) {
      download(p.value().view(), out);
    } else {
      upload(to_host(p.value().view()).view(), out);
    }
    dst[name]->refresh_copy();
  });
}

/// What every layer provides (see the file comment for the gradient rules).
template <class L, class Device>
concept Layer = requires(L layer, TensorView<Device> x, TensorView<Device> dy, ParamVisitor<Device> visit) {
  { layer.forward(x) } -> std::same_as<TensorView<Device>>;
  { layer.backward(dy) } -> std::same_as<TensorView<Device>>;
  layer.visit_parameters(visit);
};

/// A reusable activation or workspace buffer. `view(shape)` returns storage for `shape`,
/// allocating only when the buffer has never held that many elements; the contents are whatever
/// was there before. Views handed out earlier stay valid until the next reallocation. A buffer
/// can instead draw its storage from another one (`share`).
template <class Device>
class Buffer {
 public:
  TensorView<Device> view(Shape shape, DType dtype = DType::kF32) {
    if (owner_) return owner_->view(shape, dtype);
    const std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(dtype);
    if (!storage_.defined() || capacity_ < bytes) {
      storage_ = Tensor<Device>::empty({static_cast<std::int64_t>(bytes)}, DType::kU8);
      capacity_ = bytes;
      ++allocations_;
    }
    return TensorView<Device>(storage_.raw(), dtype, shape);
  }
  /// Typed storage of `shape`, zero-filled (host only).
  TensorView<Device> zeros(Shape shape, DType dtype = DType::kF32) requires std::is_same_v<Device, Cpu> {
    TensorView<Device> v = view(shape, dtype);
    std::memset(v.raw(), 0, v.nbytes());
    return v;
  }
  /// How many times this buffer has (re)allocated: tests use it to show a step allocates nothing.
  /// A sharing buffer's allocations are counted by its owner.
  std::int64_t allocations() const noexcept { return allocations_; }
  /// Bytes held by this buffer itself (0 while it shares another's storage).
  std::size_t capacity() const noexcept { return capacity_; }
  void release() {
    storage_ = Tensor<Device>();
    capacity_ = 0;
  }

  /// Draws storage from `owner` from now on (nullptr: own storage again, allocated on the next
  /// `view`), and releases what this buffer held. Buffers of layers that run one at a time — each
  /// layer's forward then backward, never interleaved with the other's — can share one owner.
  /// `owner` must not share itself and must outlive every later `view` of this buffer.
  void share(Buffer* owner) {
    DAPT_CHECK(owner == nullptr || (owner != this && owner->owner_ == nullptr),
               "Buffer::share: the owner must hold its own storage");
    release();
    owner_ = owner;
  }
  bool shared() const noexcept { return owner_ != nullptr; }

 private:
  Tensor<Device> storage_;
  std::size_t capacity_ = 0;
  std::int64_t allocations_ = 0;
  Buffer* owner_ = nullptr;
};

/// The visitor of `visit_buffers`: each activation or workspace buffer a layer owns.
template <class Device>
using BufferVisitor = std::function<void(Buffer<Device>&)>;

/// Checks that `t` is a contiguous f32 tensor of exactly `shape`; `what` names it in the error.
template <class Device>
inline void check_f32(const TensorView<Device>& t, const Shape& shape, const char* what) {
  DAPT_CHECK_AS(kDtype, t.dtype() == DType::kF32, what, " must be F32, got ", dtype_name(t.dtype()));
  DAPT_CHECK_AS(kShape, t.shape() == shape, what, " has shape ", t.shape().str(), ", expected ", shape.str());
  DAPT_CHECK_AS(kShape, t.is_contiguous(), what, " must be contiguous");
}

}  // namespace dapt::nn
