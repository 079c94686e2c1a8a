/// @file llama_trunk.hpp
/// @brief `LlamaTrunk`, the body of a LLaMA-family model without its head — Hugging Face's
/// `LlamaModel`: token embedding, `num_hidden_layers` decoder blocks sharing one rotary table,
/// and the final RMSNorm. `nn::Llama` puts the language-model head on it; `embed::Embedder` puts
/// pooling on it and may make its attention bidirectional (`set_causal(false)`).
///
/// `forward(ids)` returns the normalised hidden states (B, T, C) and keeps what `backward`
/// needs; `backward(dh)` adds every trainable parameter's gradient. `set_recompute` turns on
/// activation recomputation (gradient checkpointing): forward keeps only each block's input, and
/// backward re-runs a block's forward right before its backward. The recomputed blocks share one
/// set of activation buffers, so the activations shrink from one block's worth per layer to one
/// block's worth plus one (B, T, C) hidden state per layer, for about one more forward pass of
/// compute. Results are bitwise the same.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/nn/attention.hpp"
#include "dapt/nn/block.hpp"
#include "dapt/nn/embedding.hpp"
#include "dapt/nn/kv_cache.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/rms_norm.hpp"
#include "dapt/ops/rope.hpp"

namespace dapt::nn {

/// Activation recomputation (gradient checkpointing) of the decoder blocks: see
/// LlamaTrunk::set_recompute.
struct RecomputeOptions {
  /// Keep only the input of each recomputed block through the forward pass; re-run its forward
  /// right before its backward.
  bool enabled = false;
  /// Recompute blocks 0, every, 2 * every, ...; the others keep their activations (less extra
  /// compute, more memory). 1: every block.
  std::int64_t every = 1;
};

template <class Device>
class LlamaTrunk {
 public:
  /// The config must be valid (`LlamaConfig::validate`); its vocab_size sizes the embedding.
  explicit LlamaTrunk(const io::LlamaConfig& config)
      : vocab_(config.vocab_size), hidden_(config.hidden_size) {
    embed_ = Embedding<Device>(config.vocab_size, config.hidden_size);
    blocks_ = std::make_unique<std::vector<DecoderBlock<Device>>>();
    blocks_->reserve(static_cast<std::size_t>(config.num_hidden_layers));
    rope_ = std::make_unique<ops::RopeTable>(config.rope, config.head_dim);
    rope_->ensure(std::min<std::int64_t>(config.max_position_embeddings, 4096));  // grows on demand
    for (std::int64_t l = 0; l < config.num_hidden_layers; ++l) {
      blocks_->emplace_back(config);
      blocks_->back().set_rope(rope_.get());
    }
    inputs_.resize(blocks_->size());
    norm_ = RmsNorm<Device>(config.hidden_size, static_cast<float>(config.rms_norm_eps));
  }
  // Blocks point at the rope table, and a head may point at the embedding: not copyable.
  LlamaTrunk(const LlamaTrunk&) = delete;
  LlamaTrunk& operator=(const LlamaTrunk&) = delete;

  Embedding<Device>& embed_tokens() noexcept { return embed_; }
  DecoderBlock<Device>& layer(std::int64_t i) { return blocks_->at(static_cast<std::size_t>(i)); }
  std::int64_t num_layers() const noexcept { return static_cast<std::int64_t>(blocks_->size()); }
  RmsNorm<Device>& norm() noexcept { return norm_; }
  const ops::RopeTable& rope() const noexcept { return *rope_; }
  std::int64_t vocab_size() const noexcept { return vocab_; }
  std::int64_t hidden_size() const noexcept { return hidden_; }

  /// Normal(0, std) embedding and projection weights from `rng`, unit norm weights.
  void init(Rng& rng, float std) requires std::is_same_v<Device, Cpu> {
    embed_.init(rng, std);
    for (auto& b : *blocks_) b.init(rng, std);
    norm_.init();
  }

  /// Causal attention in every block (a language model) or bidirectional (an embedder).
  void set_causal(bool causal) noexcept {
    causal_ = causal;
    for (auto& b : *blocks_) b.self_attn().set_causal(causal);
  }
  bool causal() const noexcept { return causal_; }

  /// Every parameter under `prefix` + its Hugging Face name within LlamaModel
  /// ("embed_tokens.weight", "layers.3.self_attn.q_proj.weight", "norm.weight").
  void visit_parameters(const ParamVisitor<Device>& fn, const std::string& prefix = "") {
    embed_.visit_parameters(fn, prefix + "embed_tokens.");
    for (std::size_t i = 0; i < blocks_->size(); ++i)
      (*blocks_)[i].visit_parameters(fn, prefix + "layers." + std::to_string(i) + ".");
    norm_.visit_parameters(fn, prefix + "norm.");
  }

  /// ids (B, T) int32 -> normalised hidden states (B, T, C), keeping activations for `backward`.
  /// segment_ids (B, T) int32 (optional): attention stays inside a segment, and positions restart
  /// at each segment unless `positions` (B, T) int32 are given.
  TensorView<Device> forward(const TensorView<Device>& ids, const TensorView<Cpu>& segment_ids = {},
                             const TensorView<Cpu>& positions = {}) {
    DAPT_CHECK_AS(kShape, ids.rank() == 2, "Llama: ids must be (B, T), got ", ids.shape().str());
    DAPT_CHECK_AS(kDtype, ids.dtype() == DType::kI32, "Llama: ids must be I32, got ", dtype_name(ids.dtype()));
    const std::int64_t b = ids.dim(0), t = ids.dim(1);
    TensorView<Cpu> pos;
    if (segment_ids.raw())
      DAPT_CHECK_AS(kShape, segment_ids.shape() == ids.shape() && segment_ids.dtype() == DType::kI32,
                    "Llama: segment ids must be I32 of the ids' shape ", ids.shape().str(), ", got ",
                    segment_ids.shape().str());
    if (positions.raw()) {
      DAPT_CHECK_AS(kShape, positions.shape() == ids.shape() && positions.dtype() == DType::kI32,
                    "Llama: positions must be I32 of the ids' shape ", ids.shape().str(), ", got ", positions.shape().str());
      pos = positions;
    } else {
      pos = pos_.view({b, t}, DType::kI32);
      fill_positions(pos, segment_ids);
    }
    std::int64_t max_pos = 0;
    const auto* pp = pos.data<const std::int32_t>();
    for (std::int64_t i = 0; i < b * t; ++i) {
      DAPT_CHECK_AS(kOutOfRange, pp[i] >= 0, "Llama: negative position ", pp[i], " at index ", i);
      max_pos = std::max<std::int64_t>(max_pos, pp[i] + 1);
    }
    if (max_pos > rope_->max_positions()) rope_->ensure(max_pos);
    if (share_pending_) share_block_buffers();
    if constexpr (std::is_same_v<Device, Cpu>) {
      seq_ = Sequence<Device>{pos, segment_ids};
    } else {
      // The kernels read positions and segment ids in device memory: copy this batch's there
      // (enqueued on the stream, no wait; the buffers grow only with the batch shape).
      DAPT_CHECK_AS(kShape, pos.is_contiguous() && (!segment_ids.raw() || segment_ids.is_contiguous()),
                    "Llama: positions and segment ids must be contiguous");
      TensorView<Device> dpos = dev_pos_.view({b, t}, DType::kI32), dseg;
      DeviceAllocator<Device>::copy_from_host(dpos.raw(), pos.raw(), pos.nbytes());
      if (segment_ids.raw()) {
        dseg = dev_seg_.view({b, t}, DType::kI32);
        DeviceAllocator<Device>::copy_from_host(dseg.raw(), segment_ids.raw(), segment_ids.nbytes());
      }
      seq_ = Sequence<Device>{dpos, dseg};
    }
    TensorView<Device> x = embed_.forward(ids);
    for (std::size_t l = 0; l < blocks_->size(); ++l) {
      inputs_[l] = x;  // the previous block's output buffer (or the embedding's): each block keeps its own
      x = (*blocks_)[l].forward(x, seq_);
    }
    return norm_.forward(x);
  }

  /// dh (B, T, C), the gradient of forward's output -> parameter gradients (added).
  void backward(const TensorView<Device>& dh) {
    TensorView<Device> dx = norm_.backward(dh);
    for (std::size_t l = blocks_->size(); l-- > 0;) {
      DecoderBlock<Device>& blk = (*blocks_)[l];
      // The shared buffers hold a later block's activations: rebuild this block's. Its output
      // buffer is rewritten with the same values, after the next block's backward has used them.
      if (recomputed(l)) (void)blk.forward(inputs_[l], seq_);
      dx = blk.backward(dx);
    }
    embed_.backward(dx);
  }

  /// Inference: ids (R, Tq) are the next tokens of cache rows [row0, row0 + R). Appends their keys
  /// and values, advances the rows, and returns the last block's output (R, Tq, C), before the
  /// final norm (callers normalise only the rows they need, with `norm()`).
  TensorView<Device> forward_cached(const TensorView<Device>& ids, KvCache<Device>& cache, std::int64_t row0 = 0) {
    DAPT_CHECK_AS(kShape, ids.rank() == 2, "forward_cached: ids must be (R, Tq), got ", ids.shape().str());
    DAPT_CHECK(causal_, "forward_cached: a bidirectional trunk has no KV-cache inference");
    const std::int64_t r = ids.dim(0), tq = ids.dim(1);
    cache.check_rows(row0, r);
    DAPT_CHECK_AS(kShape, cache.layers() == num_layers(), "forward_cached: cache has ", cache.layers(),
                  " layers, the model ", num_layers());
    TensorView<Cpu> pos = cache_pos_.view({r, tq}, DType::kI32);
    std::int64_t max_pos = 0;
    for (std::int64_t i = 0; i < r; ++i)
      for (std::int64_t j = 0; j < tq; ++j) {
        const std::int64_t p = cache.length(row0 + i) + j;
        pos.data<std::int32_t>()[i * tq + j] = static_cast<std::int32_t>(p);
        max_pos = std::max(max_pos, p + 1);
      }
    if (max_pos > rope_->max_positions()) rope_->ensure(std::max<std::int64_t>(max_pos, 2 * rope_->max_positions()));
    TensorView<Device> dpos;
    if constexpr (std::is_same_v<Device, Cpu>) {
      dpos = pos;
    } else {
      dpos = dev_pos_.view({r, tq}, DType::kI32);
      upload(pos, dpos);
    }
    TensorView<Device> x = embed_.forward(ids);
    for (std::int64_t l = 0; l < num_layers(); ++l)
      x = (*blocks_)[static_cast<std::size_t>(l)].forward_cached(x, cache, l, row0, dpos);
    cache.advance(row0, r, tq);
    return x;
  }

  /// Activation recomputation (gradient checkpointing): see the file comment. The buffers are
  /// (re)assigned on the next forward, so adapters added before it share theirs too; call again
  /// after changing the model's layers later. Nothing is allocated per step at a fixed shape.
  void set_recompute(const RecomputeOptions& options) {
    DAPT_CHECK(options.every >= 1, "set_recompute: every must be >= 1, got ", options.every);
    recompute_ = options;
    share_pending_ = true;
  }
  const RecomputeOptions& recompute() const noexcept { return recompute_; }

  /// Every activation and workspace buffer (the shared set of recomputed blocks included; host
  /// index buffers too on the CPU).
  void visit_buffers(const BufferVisitor<Device>& fn) {
    embed_.visit_buffers(fn);
    for (auto& blk : *blocks_) blk.visit_buffers(fn);
    norm_.visit_buffers(fn);
    for (auto& b : shared_) fn(b);
    fn(shared_dx_[0]);
    fn(shared_dx_[1]);
    if constexpr (std::is_same_v<Device, Cpu>) {
      fn(pos_);
      fn(cache_pos_);
    } else {
      fn(dev_pos_);
      fn(dev_seg_);
    }
  }

  /// Replaces the embedding table (vocabulary resizing).
  void reset_table(Tensor<Device> embed) {
    vocab_ = embed.dim(0);
    embed_.reset_table(std::move(embed));
  }

 private:
  bool recomputed(std::size_t l) const noexcept {
    return recompute_.enabled && static_cast<std::int64_t>(l) % recompute_.every == 0;
  }

  /// Points the internal buffers of the recomputed blocks at one shared set (index k of every
  /// block at shared_[k]: the blocks need not list the same buffers) and gives the others their
  /// own. A block's output buffer stays its own: it is the next block's saved input. Its dx
  /// buffer, which the previous block's backward reads, alternates between two shared ones.
  void share_block_buffers() {
    share_pending_ = false;
    const BufferVisitor<Device> own = [](Buffer<Device>& b) {
      if (b.shared()) b.share(nullptr);
    };
    for (auto& blk : *blocks_) {
      blk.visit_internal_buffers(own);
      own(blk.dx_buffer());
    }
    shared_.clear();
    shared_dx_[0].release();
    shared_dx_[1].release();
    if (!recompute_.enabled) return;
    std::size_t n = 0;
    for (std::size_t l = 0; l < blocks_->size(); ++l) {
      std::size_t k = 0;
      if (recomputed(l)) (*blocks_)[l].visit_internal_buffers([&k](Buffer<Device>&) { ++k; });
      n = std::max(n, k);
    }
    shared_ = std::vector<Buffer<Device>>(n);  // sized once: the blocks keep pointers into it
    for (std::size_t l = 0; l < blocks_->size(); ++l) {
      if (!recomputed(l)) continue;
      std::size_t k = 0;
      (*blocks_)[l].visit_internal_buffers([&](Buffer<Device>& b) { b.share(&shared_[k++]); });
      (*blocks_)[l].dx_buffer().share(&shared_dx_[l % 2]);
    }
  }

  std::int64_t vocab_ = 0, hidden_ = 0;
  bool causal_ = true;
  Embedding<Device> embed_;
  std::unique_ptr<std::vector<DecoderBlock<Device>>> blocks_;
  std::unique_ptr<ops::RopeTable> rope_;
  RmsNorm<Device> norm_;
  RecomputeOptions recompute_;
  bool share_pending_ = false;
  std::vector<Buffer<Device>> shared_;      // the recomputed blocks' internal buffers
  Buffer<Device> shared_dx_[2];             // their dx buffers, alternating by layer
  std::vector<TensorView<Device>> inputs_;  // (B, T, C) input of each block, from the last forward
  Sequence<Device> seq_;                    // positions and segment ids of the last forward
  Buffer<Cpu> pos_, cache_pos_;
  Buffer<Device> dev_pos_, dev_seg_;         // this batch's positions and segment ids on a GPU
};

}  // namespace dapt::nn
