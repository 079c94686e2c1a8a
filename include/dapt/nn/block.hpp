/// @file block.hpp
/// @brief `DecoderBlock`, one LLaMA layer: h = x + attn(norm1(x)); out = h + mlp(norm2(h)). The
/// first residual add is fused into norm2's pass. Parameter names follow Hugging Face
/// (`input_layernorm`, `self_attn.*`, `post_attention_layernorm`, `mlp.*`).
#pragma once

#include <cstdint>
#include <string>

#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/ops/elementwise.hpp"
#include "dapt/nn/attention.hpp"
#include "dapt/nn/kv_cache.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/mlp.hpp"
#include "dapt/nn/rms_norm.hpp"

namespace dapt::nn {


template <class Device>
class DecoderBlock {
 public:
  DecoderBlock() = default;
  explicit DecoderBlock(const io::LlamaConfig& c)
      : norm1_(c.hidden_size, static_cast<float>(c.rms_norm_eps)), attn_(c),
        norm2_(c.hidden_size, static_cast<float>(c.rms_norm_eps)), mlp_(c.hidden_size, c.intermediate_size, c.mlp_bias) {}

  RmsNorm<Device>& input_layernorm() noexcept { return norm1_; }
  Attention<Device>& self_attn() noexcept { return attn_; }
  RmsNorm<Device>& post_attention_layernorm() noexcept { return norm2_; }
  Mlp<Device>& mlp() noexcept { return mlp_; }

  void init(Rng& rng, float std) requires std::is_same_v<Device, Cpu> {
    norm1_.init();
    attn_.init(rng, std);
    norm2_.init();
    mlp_.init(rng, std);
  }

  /// x (B, T, C), positions 0..T-1.
  TensorView<Device> forward(const TensorView<Device>& x) requires std::is_same_v<Device, Cpu> {
    TensorView<Cpu> pos = default_pos_.view({x.dim(0), x.dim(1)}, DType::kI32);
    fill_positions(pos, TensorView<Cpu>());
    return forward(x, Sequence<Device>{pos, TensorView<Device>()});
  }

  TensorView<Device> forward(const TensorView<Device>& x, const Sequence<Device>& seq) {
    TensorView<Device> a = attn_.forward(norm1_.forward(x), seq);
    TensorView<Device> h;
    TensorView<Device> n2 = norm2_.forward_residual(x, a, h);
    TensorView<Device> m = mlp_.forward(n2);
    TensorView<Device> out = out_.view(x.shape(), x.dtype());
    ops::add(h, m, out);
    return out;
  }

  /// Inference with a KV cache (see Attention::forward_cached).
  TensorView<Device> forward_cached(const TensorView<Device>& x, KvCache<Device>& cache, std::int64_t layer,
                                    std::int64_t row0, const TensorView<Device>& positions) {
    TensorView<Device> a = attn_.forward_cached(norm1_.forward(x), cache, layer, row0, positions);
    TensorView<Device> h;
    TensorView<Device> m = mlp_.forward(norm2_.forward_residual(x, a, h));
    TensorView<Device> out = out_.view(x.shape(), x.dtype());
    ops::add(h, m, out);
    return out;
  }

  /// dout (B, T, C) -> dx (B, T, C).
  TensorView<Device> backward(const TensorView<Device>& dout) {
    TensorView<Device> dn2 = mlp_.backward(dout);
    TensorView<Device> dh = dh_.view(dout.shape(), dout.dtype());
    ops::copy(dout, dh);
    norm2_.backward(dn2, dh, true);
    TensorView<Device> dn1 = attn_.backward(dh);
    TensorView<Device> dx = dx_.view(dout.shape(), dout.dtype());
    ops::copy(dh, dx);
    norm1_.backward(dn1, dx, true);
    return dx;
  }

  void visit_parameters(const ParamVisitor<Device>& fn, const std::string& prefix = "") {
    norm1_.visit_parameters(fn, prefix + "input_layernorm.");
    attn_.visit_parameters(fn, prefix + "self_attn.");
    norm2_.visit_parameters(fn, prefix + "post_attention_layernorm.");
    mlp_.visit_parameters(fn, prefix + "mlp.");
  }

  void set_rope(const ops::RopeTable* rope) noexcept { attn_.set_rope(rope); }

  /// Every activation buffer of the block: the internal ones, then dx's and the output's.
  void visit_buffers(const BufferVisitor<Device>& fn) {
    visit_internal_buffers(fn);
    fn(dx_);
    fn(out_);
  }

  /// The buffers the block uses only between its own forward and its own backward: all but the
  /// output's (the next block's input) and dx's (the previous block's dout). Blocks that run one
  /// at a time can share them (activation recomputation, see Llama::set_recompute).
  void visit_internal_buffers(const BufferVisitor<Device>& fn) {
    norm1_.visit_buffers(fn);
    attn_.visit_buffers(fn);
    norm2_.visit_buffers(fn);
    mlp_.visit_buffers(fn);
    fn(dh_);
  }

  /// The buffer backward writes dx into.
  Buffer<Device>& dx_buffer() noexcept { return dx_; }

 private:
  RmsNorm<Device> norm1_;
  Attention<Device> attn_;
  RmsNorm<Device> norm2_;
  Mlp<Device> mlp_;
  Buffer<Device> out_, dh_, dx_;
  Buffer<Cpu> default_pos_;
};

}  // namespace dapt::nn
