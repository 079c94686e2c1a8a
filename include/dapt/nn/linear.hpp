/// @file linear.hpp
/// @brief `Linear`: y = x W^T (+ b) over the last dimension, with W stored (out, in) as in PyTorch
/// and Hugging Face checkpoints. Forward keeps a view of its input (the caller keeps that buffer
/// unchanged until backward, as every layer of a model does for the next). A frozen weight skips
/// its gradient GEMM entirely. The weight can also be shared with another layer (`tie`), which is
/// how a tied language-model head reuses the embedding table. A LoRA adapter may be attached
/// (`attach_lora`, usually through nn::apply_lora): the layer then adds its low-rank update in
/// forward and its gradients in backward (see lora_adapter.hpp). The output and the input gradient
/// have the input's dtype, which must be the weight's compute dtype (F32, or BF16 in mixed
/// precision on the GPU).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/lora_adapter.hpp"
#include "dapt/ops/matmul.hpp"

namespace dapt::nn {

/// Fills a host parameter with normal(0, std) draws (the Hugging Face LLaMA initialisation).
inline void init_normal(Param<Cpu>& p, Rng& rng, float std) {
  float* w = p.value().data<float>();
  const std::int64_t n = p.numel();
  for (std::int64_t i = 0; i < n; ++i) w[i] = rng.normal(0.0f, std);
}
/// Fills a host parameter with a constant.
inline void init_constant(Param<Cpu>& p, float value) {
  float* w = p.value().data<float>();
  const std::int64_t n = p.numel();
  for (std::int64_t i = 0; i < n; ++i) w[i] = value;
}

template <class Device>
class Linear {
 public:
  Linear() = default;
  /// W (out, in), zero-initialised; optional bias (out).
  Linear(std::int64_t in, std::int64_t out, bool bias = false)
      : in_(in), out_(out), weight_(Tensor<Device>::zeros({out, in}, DType::kF32)) {
    DAPT_CHECK(in > 0 && out > 0, "Linear: features must be positive, got in=", in, " out=", out);
    if (bias) {
      bias_ = Param<Device>(Tensor<Device>::zeros({out}, DType::kF32));
      bias_.decay = false;
    }
  }

  std::int64_t in_features() const noexcept { return in_; }
  std::int64_t out_features() const noexcept { return out_; }
  bool has_bias() const noexcept { return bias_.value().defined(); }
  Param<Device>& weight() noexcept { return tied_ ? *tied_ : weight_; }
  Param<Device>& bias() noexcept { return bias_; }

  /// Shares `p` (shape (out, in)) as this layer's weight; visit_parameters then skips it, since
  /// its owner visits it. Gradients from this layer add into p's gradient.
  void tie(Param<Device>* p) {
    DAPT_CHECK_AS(kShape, p && p->value().shape() == Shape({out_, in_}), "Linear::tie: weight of shape ",
                  p ? p->value().shape().str() : std::string("null"), ", expected (", out_, ", ", in_, ")");
    tied_ = p;
    weight_ = Param<Device>();
  }
  bool tied() const noexcept { return tied_ != nullptr; }

  void init(Rng& rng, float std) requires std::is_same_v<Device, Cpu> {
    if (!tied_) init_normal(weight_, rng, std);
    if (has_bias()) init_constant(bias_, 0.0f);
  }

  /// x (..., in) -> y (..., out); keeps a view of x for backward.
  TensorView<Device> forward(const TensorView<Device>& x) {
    DAPT_CHECK_AS(kShape, x.rank() >= 1 && x.dim(-1) == in_, "Linear: input of shape ", x.shape().str(),
                  " does not end in in_features=", in_);
    x_ = x;
    const std::int64_t rows = x.numel() / in_;
    Shape ys = x.shape();
    ys[ys.rank() - 1] = out_;
    TensorView<Device> y = y_.view(ys, x.dtype());
    ops::linear_forward(x.reshape({rows, in_}), weight().compute().view(), bias_view(), y.reshape({rows, out_}));
    if (lora_active()) lora_->forward_add(x.reshape({rows, in_}), y.reshape({rows, out_}));
    return y;
  }

  /// dy (..., out) -> dx (..., in), in this layer's buffer.
  TensorView<Device> backward(const TensorView<Device>& dy) {
    TensorView<Device> dx = dx_.view(x_.shape(), x_.dtype());
    backward(dy, dx, false);
    return dx;
  }

  /// Writes (or, with `accumulate`, adds) dx into a caller buffer shaped like the input; adds the
  /// parameter gradients. An empty `dx` skips the input gradient (a first layer needs none).
  void backward(const TensorView<Device>& dy, const TensorView<Device>& dx, bool accumulate) {
    const std::int64_t rows = x_.numel() / in_;
    DAPT_CHECK_AS(kShape, dy.numel() == rows * out_, "Linear::backward: gradient of shape ", dy.shape().str(),
                  " does not match the forward output (", rows, " rows of ", out_, ")");
    const TensorView<Device> dy2 = dy.reshape({rows, out_});
    Param<Device>& w = weight();
    ops::linear_backward_weight(dy2, x_.reshape({rows, in_}), w.trainable() ? w.grad().view() : TensorView<Device>(),
                                has_bias() && bias_.trainable() ? bias_.grad().view() : TensorView<Device>());
    if (dx.raw()) ops::linear_backward_input(dy2, w.compute().view(), dx.reshape({rows, in_}), accumulate);
    if (lora_active()) lora_->backward(dy2, dx.raw() ? dx.reshape({rows, in_}) : TensorView<Device>());
  }

  /// (prefix + "weight", W), with a bias (prefix + "bias", b), and with an adapter its
  /// (prefix + "lora_A.weight", A) and (prefix + "lora_B.weight", B). A tied weight is not visited.
  void visit_parameters(const ParamVisitor<Device>& fn, const std::string& prefix = "") {
    if (!tied_) fn(prefix + "weight", weight_);
    if (has_bias()) fn(prefix + "bias", bias_);
    if (lora_) lora_->visit_parameters(fn, prefix);
  }

  /// The activation buffers (output, input gradient, the adapter's). A model whose layers run one
  /// at a time can share them (activation recomputation, see nn/llama.hpp).
  void visit_buffers(const BufferVisitor<Device>& fn) {
    fn(y_);
    fn(dx_);
    if (lora_) lora_->visit_buffers(fn);
  }

  /// The attached LoRA adapter, or nullptr.
  LoraAdapter<Device>* lora() noexcept { return lora_.get(); }
  /// Attaches `adapter` (its shape must match this layer), replacing any previous one; the
  /// adapter computes in the layer weight's dtype.
  LoraAdapter<Device>& attach_lora(std::unique_ptr<LoraAdapter<Device>> adapter) {
    DAPT_CHECK(adapter != nullptr, "Linear::attach_lora: null adapter");
    DAPT_CHECK_AS(kShape, adapter->in_features() == in_ && adapter->out_features() == out_, "Linear::attach_lora: adapter for (",
                  adapter->out_features(), ", ", adapter->in_features(), "), the layer is (", out_, ", ", in_, ")");
    lora_ = std::move(adapter);
    lora_->set_compute_dtype(weight().compute_dtype());
    return *lora_;
  }
  /// Removes and returns the adapter (a merged adapter's update stays in the weight).
  std::unique_ptr<LoraAdapter<Device>> detach_lora() { return std::move(lora_); }

 private:
  TensorView<Device> bias_view() const { return has_bias() ? bias_.compute().view() : TensorView<Device>(); }
  bool lora_active() const noexcept { return lora_ && !lora_->merged(); }

  std::int64_t in_ = 0, out_ = 0;
  Param<Device> weight_;
  Param<Device> bias_;
  Param<Device>* tied_ = nullptr;
  std::unique_ptr<LoraAdapter<Device>> lora_;
  TensorView<Device> x_;
  Buffer<Device> y_, dx_;
};

}  // namespace dapt::nn
