/// @file attention.hpp
/// @brief `Attention`, LLaMA's self-attention: q/k/v projections, rotary position embedding, causal
/// (or, for an embedder, bidirectional) grouped-query attention (any ratio of heads to KV heads) and the output projection, under the
/// Hugging Face names (`q_proj`, `k_proj`, `v_proj`, `o_proj`). A `Sequence` gives the positions
/// and, for packed training sequences, the document (segment) ids: attention is then
/// block-diagonal by document, and positions normally restart at 0 in each document. The
/// attention kernel is tiled, so no (T, T) score matrix is kept for backward: only the per-row
/// log-sum-exp.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/nn/kv_cache.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/linear.hpp"
#include "dapt/ops/attention.hpp"
#include "dapt/ops/rope.hpp"

namespace dapt::nn {

/// Positions (B, T) int32 and optional segment ids (B, T) int32 of one batch (empty: one document
/// per row). Build one with `make_sequence` or let the model default to 0..T-1.
template <class Device>
struct Sequence {
  TensorView<Device> positions;
  TensorView<Device> segment_ids;
};

/// Positions for a batch (B, T): 0..T-1 per row, or, with segment ids, restarting at 0 wherever
/// the segment id changes (packed documents). Host tensors.
inline void fill_positions(const TensorView<Cpu>& positions, const TensorView<Cpu>& segment_ids) {
  const std::int64_t b = positions.dim(0), t = positions.dim(1);
  auto* pos = positions.data<std::int32_t>();
  const std::int32_t* seg = segment_ids.raw() ? segment_ids.data<const std::int32_t>() : nullptr;
  if (seg)
    DAPT_CHECK_AS(kShape, segment_ids.shape() == positions.shape(), "segment ids of shape ", segment_ids.shape().str(),
                  " for positions of shape ", positions.shape().str());
  for (std::int64_t i = 0; i < b; ++i) {
    std::int32_t p = 0;
    for (std::int64_t j = 0; j < t; ++j) {
      if (seg && j > 0 && seg[i * t + j] != seg[i * t + j - 1]) p = 0;
      pos[i * t + j] = p++;
    }
  }
}

template <class Device>
class Attention {
 public:
  Attention() = default;
  explicit Attention(const io::LlamaConfig& c)
      : heads_(c.num_attention_heads), kv_heads_(c.num_key_value_heads), head_dim_(c.head_dim),
        q_(c.hidden_size, c.num_attention_heads * c.head_dim, c.attention_bias),
        k_(c.hidden_size, c.num_key_value_heads * c.head_dim, c.attention_bias),
        v_(c.hidden_size, c.num_key_value_heads * c.head_dim, c.attention_bias),
        o_(c.num_attention_heads * c.head_dim, c.hidden_size, c.attention_bias),
        scale_(static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)))) {
    DAPT_CHECK_AS(kConfig, kv_heads_ > 0 && heads_ % kv_heads_ == 0, "num_attention_heads (", heads_,
                  ") must be a multiple of num_key_value_heads (", kv_heads_, ")");
  }

  Linear<Device>& q_proj() noexcept { return q_; }
  Linear<Device>& k_proj() noexcept { return k_; }
  Linear<Device>& v_proj() noexcept { return v_; }
  Linear<Device>& o_proj() noexcept { return o_; }

  /// The rotary table, shared by all layers of a model (owned by the model).
  void set_rope(const ops::RopeTable* rope) noexcept { rope_ = rope; }

  /// Causal (a language model, the default) or bidirectional (an embedder: every token sees the
  /// whole sequence, or its segment). The KV-cache path is always causal.
  void set_causal(bool causal) noexcept { causal_ = causal; }
  bool causal() const noexcept { return causal_; }

  void init(Rng& rng, float std) requires std::is_same_v<Device, Cpu> {
    q_.init(rng, std);
    k_.init(rng, std);
    v_.init(rng, std);
    o_.init(rng, std);
  }

  /// x (B, T, C) with positions 0..T-1 and no document mask.
  TensorView<Device> forward(const TensorView<Device>& x) requires std::is_same_v<Device, Cpu> {
    TensorView<Cpu> pos = default_pos_.view({x.dim(0), x.dim(1)}, DType::kI32);
    fill_positions(pos, TensorView<Cpu>());
    return forward(x, Sequence<Device>{pos, TensorView<Device>()});
  }

  /// x (B, T, C) -> (B, T, C).
  TensorView<Device> forward(const TensorView<Device>& x, const Sequence<Device>& seq) {
    DAPT_CHECK_AS(kShape, x.rank() == 3, "Attention: input must be (B, T, C), got ", x.shape().str());
    DAPT_CHECK(rope_ != nullptr, "Attention: no rotary table set (set_rope)");
    const std::int64_t b = x.dim(0), t = x.dim(1);
    seq_ = seq;
    q4_ = q_.forward(x).reshape({b, t, heads_, head_dim_});
    k4_ = k_.forward(x).reshape({b, t, kv_heads_, head_dim_});
    v4_ = v_.forward(x).reshape({b, t, kv_heads_, head_dim_});
    ops::rope_forward(q4_, seq.positions, *rope_);
    ops::rope_forward(k4_, seq.positions, *rope_);
    att_ = att_buf_.view({b, t, heads_, head_dim_}, q4_.dtype());
    lse_ = lse_buf_.view({b, heads_, t});
    ops::attention_forward(q4_, k4_, v4_, seq.segment_ids, att_, lse_, scale_, causal_);
    return o_.forward(att_.reshape({b, t, heads_ * head_dim_}));
  }

  TensorView<Device> backward(const TensorView<Device>& dy) {
    TensorView<Device> dx = dx_.view(dy.shape(), dy.dtype());
    backward(dy, dx, false);
    return dx;
  }

  /// Writes (or adds) dx (B, T, C) into a caller buffer.
  void backward(const TensorView<Device>& dy, const TensorView<Device>& dx, bool accumulate) {
    const std::int64_t b = q4_.dim(0), t = q4_.dim(1);
    TensorView<Device> datt = datt_.view({b, t, heads_, head_dim_}, dy.dtype());
    o_.backward(dy, datt.reshape({b, t, heads_ * head_dim_}), false);
    TensorView<Device> dq = dq_.view(q4_.shape(), q4_.dtype()), dk = dk_.view(k4_.shape(), k4_.dtype()),
                       dv = dv_.view(v4_.shape(), v4_.dtype());
    ops::attention_backward(q4_, k4_, v4_, seq_.segment_ids, att_, lse_, datt, dq, dk, dv, scale_, causal_);
    ops::rope_backward(dq, seq_.positions, *rope_);
    ops::rope_backward(dk, seq_.positions, *rope_);
    q_.backward(dq.reshape({b, t, heads_ * head_dim_}), dx, accumulate);
    k_.backward(dk.reshape({b, t, kv_heads_ * head_dim_}), dx, true);
    v_.backward(dv.reshape({b, t, kv_heads_ * head_dim_}), dx, true);
  }

  /// Inference with a KV cache: x (R, Tq, C) are the next Tq tokens of cache rows [row0, row0 + R);
  /// their keys and values are appended at each row's current length (the caller advances the
  /// cache after the last layer). `positions` (R, Tq) int32, in device memory.
  TensorView<Device> forward_cached(const TensorView<Device>& x, KvCache<Device>& cache, std::int64_t layer,
                                    std::int64_t row0, const TensorView<Device>& positions) {
    const std::int64_t r = x.dim(0), tq = x.dim(1);
    TensorView<Device> q = q_.forward(x).reshape({r, tq, heads_, head_dim_});
    TensorView<Device> k = k_.forward(x).reshape({r, tq, kv_heads_, head_dim_});
    TensorView<Device> v = v_.forward(x).reshape({r, tq, kv_heads_, head_dim_});
    ops::rope_forward(q, positions, *rope_);
    ops::rope_forward(k, positions, *rope_);
    const TensorView<Device> kc = cache.keys(layer, row0, r), vc = cache.values(layer, row0, r);
    // The capacity is checked on the host lengths (the device kernel cannot throw); then each
    // row's new keys and values go in at its length, in one call.
    const TensorView<Cpu> past = cache.lengths(row0, r);
    for (std::int64_t i = 0; i < r; ++i) {
      const std::int64_t p = past.data<const std::int32_t>()[i];
      DAPT_CHECK_AS(kOutOfRange, p + tq <= cache.capacity(), "KvCache: row ", row0 + i, " would hold ", p + tq,
                    " tokens, beyond its capacity of ", cache.capacity());
    }
    ops::kv_append(k, v, kc, vc, cache.device_lengths(row0, r));
    TensorView<Device> att = att_buf_.view({r, tq, heads_, head_dim_}, q.dtype());
    ops::attention_cached(q, kc, vc, cache.device_lengths(row0, r), att, scale_);
    return o_.forward(att.reshape({r, tq, heads_ * head_dim_}));
  }

  void visit_parameters(const ParamVisitor<Device>& fn, const std::string& prefix = "") {
    q_.visit_parameters(fn, prefix + "q_proj.");
    k_.visit_parameters(fn, prefix + "k_proj.");
    v_.visit_parameters(fn, prefix + "v_proj.");
    o_.visit_parameters(fn, prefix + "o_proj.");
  }

  void visit_buffers(const BufferVisitor<Device>& fn) {
    q_.visit_buffers(fn);
    k_.visit_buffers(fn);
    v_.visit_buffers(fn);
    o_.visit_buffers(fn);
    fn(att_buf_);
    fn(lse_buf_);
    fn(datt_);
    fn(dq_);
    fn(dk_);
    fn(dv_);
    fn(dx_);
  }

 private:
  std::int64_t heads_ = 0, kv_heads_ = 0, head_dim_ = 0;
  Linear<Device> q_, k_, v_, o_;
  float scale_ = 1.0f;
  bool causal_ = true;
  const ops::RopeTable* rope_ = nullptr;
  Sequence<Device> seq_;
  TensorView<Device> q4_, k4_, v4_, att_, lse_;
  Buffer<Device> att_buf_, lse_buf_, datt_, dq_, dk_, dv_, dx_;
  Buffer<Cpu> default_pos_;
};

}  // namespace dapt::nn
