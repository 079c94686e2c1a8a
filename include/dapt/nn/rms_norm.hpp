/// @file rms_norm.hpp
/// @brief `RmsNorm` (LLaMA's LlamaRMSNorm): y = w * x / sqrt(mean(x^2) + eps) over the last
/// dimension. `forward_residual(x, delta)` fuses the decoder block's residual add: it writes
/// h = x + delta and normalises h in one pass.
#pragma once

#include <cstdint>
#include <string>

#include "dapt/core/tensor.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/linear.hpp"
#include "dapt/ops/norm.hpp"

namespace dapt::nn {

template <class Device>
class RmsNorm {
 public:
  RmsNorm() = default;
  RmsNorm(std::int64_t dim, float eps) : dim_(dim), eps_(eps), weight_(Tensor<Device>::zeros({dim}, DType::kF32)) {
    DAPT_CHECK(dim > 0, "RmsNorm: dim must be positive, got ", dim);
    DAPT_CHECK(eps > 0, "RmsNorm: eps must be positive, got ", eps);
    weight_.decay = false;
    if constexpr (std::is_same_v<Device, Cpu>) init_constant(weight_, 1.0f);
  }

  Param<Device>& weight() noexcept { return weight_; }
  float eps() const noexcept { return eps_; }
  void init() requires std::is_same_v<Device, Cpu> { init_constant(weight_, 1.0f); }

  TensorView<Device> forward(const TensorView<Device>& x) {
    x_ = x;
    TensorView<Device> y = y_.view(x.shape(), x.dtype());
    ops::rms_norm_forward(x, TensorView<Device>(), TensorView<Device>(), weight_.compute().view(), y,
                          rstd_.view({x.numel() / dim_}), eps_);
    return y;
  }

  /// h = x + delta (returned through `h`, a buffer of this layer), y = rmsnorm(h).
  TensorView<Device> forward_residual(const TensorView<Device>& x, const TensorView<Device>& delta, TensorView<Device>& h) {
    h = h_.view(x.shape(), x.dtype());
    x_ = h;
    TensorView<Device> y = y_.view(x.shape(), x.dtype());
    ops::rms_norm_forward(x, delta, h, weight_.compute().view(), y, rstd_.view({x.numel() / dim_}), eps_);
    return y;
  }

  TensorView<Device> backward(const TensorView<Device>& dy) {
    TensorView<Device> dx = dx_.view(x_.shape(), x_.dtype());
    backward(dy, dx, false);
    return dx;
  }

  /// Writes (or with `accumulate` adds) the input gradient into dx; adds the weight gradient.
  void backward(const TensorView<Device>& dy, const TensorView<Device>& dx, bool accumulate) {
    ops::rms_norm_backward(dy, x_, weight_.compute().view(), rstd_.view({x_.numel() / dim_}), dx,
                           weight_.trainable() ? weight_.grad().view() : TensorView<Device>(), accumulate);
  }

  void visit_parameters(const ParamVisitor<Device>& fn, const std::string& prefix = "") { fn(prefix + "weight", weight_); }

  void visit_buffers(const BufferVisitor<Device>& fn) {
    fn(y_);
    fn(h_);
    fn(rstd_);
    fn(dx_);
  }

 private:
  std::int64_t dim_ = 0;
  float eps_ = 1e-6f;
  Param<Device> weight_;
  TensorView<Device> x_;
  Buffer<Device> y_, h_, rstd_, dx_;
};

}  // namespace dapt::nn
