/// @file mlp.hpp
/// @brief `Mlp`, LLaMA's SwiGLU feed-forward: down(silu(gate(x)) * up(x)), with the three
/// projections under their Hugging Face names (`gate_proj`, `up_proj`, `down_proj`).
#pragma once

#include <cstdint>
#include <string>

#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/linear.hpp"
#include "dapt/ops/activation.hpp"

namespace dapt::nn {

template <class Device>
class Mlp {
 public:
  Mlp() = default;
  Mlp(std::int64_t dim, std::int64_t hidden, bool bias = false)
      : gate_(dim, hidden, bias), up_(dim, hidden, bias), down_(hidden, dim, bias) {}

  Linear<Device>& gate_proj() noexcept { return gate_; }
  Linear<Device>& up_proj() noexcept { return up_; }
  Linear<Device>& down_proj() noexcept { return down_; }

  void init(Rng& rng, float std) requires std::is_same_v<Device, Cpu> {
    gate_.init(rng, std);
    up_.init(rng, std);
    down_.init(rng, std);
  }

  /// x (..., dim) -> (..., dim).
  TensorView<Device> forward(const TensorView<Device>& x) {
    g_ = gate_.forward(x);
    u_ = up_.forward(x);
    TensorView<Device> a = act_.view(g_.shape(), g_.dtype());
    ops::swiglu_forward(g_, u_, a);
    return down_.forward(a);
  }

  TensorView<Device> backward(const TensorView<Device>& dy) {
    TensorView<Device> dx = dx_.view(down_out_shape(dy), dy.dtype());
    backward(dy, dx, false);
    return dx;
  }

  /// Writes (or adds) dx into a caller buffer shaped like the input.
  void backward(const TensorView<Device>& dy, const TensorView<Device>& dx, bool accumulate) {
    TensorView<Device> da = da_.view(g_.shape(), g_.dtype());
    down_.backward(dy, da, false);
    TensorView<Device> dg = dg_.view(g_.shape(), g_.dtype()), du = du_.view(g_.shape(), g_.dtype());
    ops::swiglu_backward(da, g_, u_, dg, du);
    gate_.backward(dg, dx, accumulate);
    up_.backward(du, dx, true);
  }

  void visit_parameters(const ParamVisitor<Device>& fn, const std::string& prefix = "") {
    gate_.visit_parameters(fn, prefix + "gate_proj.");
    up_.visit_parameters(fn, prefix + "up_proj.");
    down_.visit_parameters(fn, prefix + "down_proj.");
  }

  void visit_buffers(const BufferVisitor<Device>& fn) {
    gate_.visit_buffers(fn);
    up_.visit_buffers(fn);
    down_.visit_buffers(fn);
    fn(act_);
    fn(da_);
    fn(dg_);
    fn(du_);
    fn(dx_);
  }

 private:
  static Shape down_out_shape(const TensorView<Device>& dy) { return dy.shape(); }

  Linear<Device> gate_, up_, down_;
  TensorView<Device> g_, u_;
  Buffer<Device> act_, da_, dg_, du_, dx_;
};

}  // namespace dapt::nn
