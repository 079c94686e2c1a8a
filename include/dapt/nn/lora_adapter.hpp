/// @file lora_adapter.hpp
/// @brief `LoraAdapter`, the low-rank update that LoRA (Hu et al., 2021) attaches to a `Linear`:
/// y = x W^T + s · dropout(x) A^T B^T, with A (r, in), B (out, r) and s = alpha / r, or
/// alpha / sqrt(r) for rsLoRA (Kalajdzievski, 2023). The names, shapes and scaling are peft's, so
/// an adapter moves both ways between this SDK and Python (io/lora_checkpoint.hpp).
///
/// A `Linear` owns at most one adapter and calls it from its own forward and backward; the
/// adapter's parameters are visited after the layer's weight as `<prefix>lora_A.weight` and
/// `<prefix>lora_B.weight`. Targeting, merging and the rest of the user-facing API are in
/// nn/lora.hpp; this header is only the arithmetic, so that linear.hpp can include it.
///
/// Dropout (on the adapter's input, as in peft) is active only in training mode. Its mask is a
/// pure function of (seed, generation, element) — see ops::dropout — and the generation advances
/// after each backward, so recomputing a forward before its backward replays the same mask, and
/// a checkpoint that stores `generation()` resumes the same masks.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/ops/activation.hpp"
#include "dapt/ops/elementwise.hpp"
#include "dapt/ops/matmul.hpp"
#include "dapt/ops/optim.hpp"

namespace dapt::nn {

/// The parameter-name suffixes of an adapter, after the owning layer's prefix ("...q_proj.").
inline constexpr std::string_view kLoraASuffix = "lora_A.weight";
inline constexpr std::string_view kLoraBSuffix = "lora_B.weight";

/// Whether a visited parameter name is a LoRA adapter's (rather than a base model weight).
inline bool is_lora_parameter(std::string_view name) {
  auto ends = [&](std::string_view s) {
    return name.size() > s.size() && name.substr(name.size() - s.size()) == s && name[name.size() - s.size() - 1] == '.';
  };
  return ends(kLoraASuffix) || ends(kLoraBSuffix);
}

/// peft's LoRA scaling: alpha / r, or alpha / sqrt(r) with rsLoRA.
inline double lora_scaling(std::int64_t r, double alpha, bool rslora) {
  DAPT_CHECK(r >= 1, "LoRA: rank r must be >= 1, got ", r);
  DAPT_CHECK(std::isfinite(alpha), "LoRA: alpha must be finite, got ", alpha);
  return rslora ? alpha / std::sqrt(static_cast<double>(r)) : alpha / static_cast<double>(r);
}

template <class Device>
class LoraAdapter {
 public:
  /// A (r, in) and B (out, r), both zero (call `init` or load weights); `scaling` multiplies the
  /// update; `dropout` in [0, 1) applies to the adapter's input in training mode; `seed` keys the
  /// dropout masks (give every adapter of a model its own).
  LoraAdapter(std::int64_t in, std::int64_t out, std::int64_t r, double scaling, float dropout = 0.0f,
              std::uint64_t seed = 0)
      : in_(in), out_(out), r_(r), scaling_(scaling), dropout_(dropout), seed_(seed),
        a_(Tensor<Device>::zeros({r, in}, DType::kF32)), b_(Tensor<Device>::zeros({out, r}, DType::kF32)) {
    DAPT_CHECK(in > 0 && out > 0 && r >= 1, "LoraAdapter: in, out and r must be positive, got in=", in, " out=", out,
               " r=", r);
    DAPT_CHECK(std::isfinite(scaling), "LoraAdapter: scaling must be finite, got ", scaling);
    DAPT_CHECK(dropout >= 0.0f && dropout < 1.0f, "LoraAdapter: dropout must be in [0, 1), got ", dropout);
  }
  LoraAdapter(const LoraAdapter&) = delete;
  LoraAdapter& operator=(const LoraAdapter&) = delete;

  std::int64_t in_features() const noexcept { return in_; }
  std::int64_t out_features() const noexcept { return out_; }
  std::int64_t rank() const noexcept { return r_; }
  double scaling() const noexcept { return scaling_; }
  float dropout() const noexcept { return dropout_; }
  Param<Device>& lora_A() noexcept { return a_; }
  Param<Device>& lora_B() noexcept { return b_; }

  /// peft's default initialisation: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming-uniform with
  /// a = sqrt(5)), B = 0, so the adapted layer starts equal to the base layer. The draws are made
  /// on the host (the same numbers on every device) and copied to the adapter's memory.
  void init(Rng& rng) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(in_));
    Tensor<Cpu> a = Tensor<Cpu>::empty(a_.value().shape(), DType::kF32);
    for (std::int64_t i = 0; i < a.numel(); ++i) a.template data<float>()[i] = rng.uniform(-bound, bound);
    upload(a.view(), a_.value().view());
    DeviceAllocator<Device>::fill_zero(b_.value().raw(), b_.value().nbytes());
    a_.refresh_copy();
    b_.refresh_copy();
  }

  /// Training mode turns dropout on (a no-op when dropout is 0).
  void set_training(bool on) noexcept { training_ = on; }
  bool training() const noexcept { return training_; }
  /// The dropout stream position: backward calls made in training mode so far.
  std::uint64_t generation() const noexcept { return generation_; }
  void set_generation(std::uint64_t g) noexcept { generation_ = g; }

  /// A and B compute in `dtype` (their layer's: F32, or BF16 in mixed precision on the GPU).
  void set_compute_dtype(DType dtype) {
    a_.set_compute_dtype(dtype);
    b_.set_compute_dtype(dtype);
  }

  /// Whether the update has been added into the base weight (`merge`): forward and backward then
  /// skip the adapter.
  bool merged() const noexcept { return merged_; }

  /// y (rows, out) += s · dropout(x) A^T B^T, for x (rows, in). Keeps what backward needs.
  void forward_add(const TensorView<Device>& x, const TensorView<Device>& y) {
    const std::int64_t rows = x.dim(0);
    x_ = x;
    if (dropping()) {
      x_ = xd_.view({rows, in_}, x.dtype());
      ops::dropout(x, x_, dropout_, seed_, generation_);
    }
    const TensorView<Device> u = u_.view({rows, r_}, x.dtype());
    ops::linear_forward(x_, a_.compute().view(), TensorView<Device>(), u);
    ops::scale(u, static_cast<float>(scaling_));
    ops::linear_forward(u, b_.compute().view(), TensorView<Device>(), y, true);
    u_rows_ = rows;
  }

  /// Adds dA and dB (when trainable) and, when `dx` is given, adds the input gradient into dx.
  void backward(const TensorView<Device>& dy, const TensorView<Device>& dx) {
    const std::int64_t rows = dy.dim(0);
    DAPT_CHECK(rows == u_rows_, "LoraAdapter::backward: ", rows, " rows, but the last forward had ", u_rows_);
    const TensorView<Device> u = u_.view({rows, r_}, dy.dtype());
    if (b_.trainable()) ops::linear_backward_weight(dy, u, b_.grad().view(), TensorView<Device>());
    const TensorView<Device> du = du_.view({rows, r_}, dy.dtype());
    ops::linear_backward_input(dy, b_.compute().view(), du, false);
    ops::scale(du, static_cast<float>(scaling_));
    if (a_.trainable()) ops::linear_backward_weight(du, x_, a_.grad().view(), TensorView<Device>());
    if (dx.raw()) {
      if (dropping()) {
        // x_ (the dropped input) is no longer needed: its buffer takes du A, masked into dx.
        const TensorView<Device> t = xd_.view({rows, in_}, dy.dtype());
        ops::linear_backward_input(du, a_.compute().view(), t, false);
        ops::dropout(t, dx, dropout_, seed_, generation_, true);
      } else {
        ops::linear_backward_input(du, a_.compute().view(), dx, true);
      }
    }
    if (training_) ++generation_;
  }

  /// Adds s · B A into `w` (out, in): the base weight then computes the adapted layer alone.
  /// With `keep_base`, a copy of the base weight is kept so `unmerge` restores it bit for bit;
  /// without it, `unmerge` is refused. On a GPU the sum is formed on host copies (the CPU's
  /// arithmetic, so both devices merge to the same weight) and copied back.
  void merge(Param<Device>& w, bool keep_base = true) {
    DAPT_CHECK(!merged_, "LoraAdapter::merge: the adapter is already merged");
    check_base(w);
    if (keep_base) {
      base_copy_ = Tensor<Device>::empty(w.value().shape(), DType::kF32);
      ops::copy(w.value().view(), base_copy_.view());
    }
    // w += (s B) A as one GEMM: linear_forward computes x W'^T, here with x = s B (out, r) and
    // W' = A^T (in, r).
    Tensor<Cpu> sb = to_host(b_.value().view()), a = to_host(a_.value().view());
    Tensor<Cpu> host_w;  // a GPU weight's host copy
    TensorView<Cpu> merged;
    if constexpr (std::is_same_v<Device, Cpu>) {
      merged = w.value().view();
    } else {
      host_w = to_host(w.value().view());
      merged = host_w.view();
    }
    ops::scale(sb.view(), static_cast<float>(scaling_));
    Tensor<Cpu> at = Tensor<Cpu>::empty({in_, r_}, DType::kF32);
    const float* ap = a.data<const float>();
    float* t = at.data<float>();
    for (std::int64_t i = 0; i < r_; ++i)
      for (std::int64_t j = 0; j < in_; ++j) t[j * r_ + i] = ap[i * in_ + j];
    ops::linear_forward(sb.view(), at.view(), TensorView<Cpu>(), merged, true);
    if constexpr (!std::is_same_v<Device, Cpu>) upload(merged, w.value().view());
    w.refresh_copy();
    merged_ = true;
  }

  /// Restores the base weight saved by `merge(w, true)`, bit for bit.
  void unmerge(Param<Device>& w) {
    DAPT_CHECK(merged_, "LoraAdapter::unmerge: the adapter is not merged");
    DAPT_CHECK(base_copy_.defined(), "LoraAdapter::unmerge: merged without keep_base, the base weight is gone");
    check_base(w);
    ops::copy(base_copy_.view(), w.value().view());
    w.refresh_copy();
    base_copy_ = Tensor<Device>();
    merged_ = false;
  }

  /// The activation buffers, for sharing between layers that run one at a time (see Linear).
  void visit_buffers(const BufferVisitor<Device>& fn) {
    fn(u_);
    fn(du_);
    fn(xd_);
  }

  /// (prefix + "lora_A.weight", A) and (prefix + "lora_B.weight", B).
  void visit_parameters(const ParamVisitor<Device>& fn, const std::string& prefix = "") {
    fn(prefix + std::string(kLoraASuffix), a_);
    fn(prefix + std::string(kLoraBSuffix), b_);
  }

 private:
  bool dropping() const noexcept { return training_ && dropout_ > 0.0f; }
  void check_base(const Param<Device>& w) const {
    DAPT_CHECK_AS(kShape, w.value().shape() == Shape({out_, in_}), "LoraAdapter: base weight of shape ",
                  w.value().shape().str(), ", the adapter is (", out_, ", ", in_, ")");
  }

  std::int64_t in_ = 0, out_ = 0, r_ = 0;
  double scaling_ = 1.0;
  float dropout_ = 0.0f;
  std::uint64_t seed_ = 0;
  Param<Device> a_, b_;
  bool training_ = false;
  bool merged_ = false;
  std::uint64_t generation_ = 0;
  std::int64_t u_rows_ = -1;
  Tensor<Device> base_copy_;
  TensorView<Device> x_;
  Buffer<Device> u_, du_, xd_;
};

}  // namespace dapt::nn
