/// @file llama.hpp
/// @brief `Llama`, a LLaMA-family causal language model composed from the SDK's blocks: token
/// embedding, `num_hidden_layers` decoder blocks, a final RMSNorm and a language-model head that
/// is its own matrix or tied to the embedding. Parameters carry their Hugging Face names, so a
/// checkpoint maps onto `visit_parameters` one to one (see io/llama_checkpoint.hpp).
///
/// Three ways to run it:
/// - `forward(ids)` returns the (B, T, V) logits and keeps the activations; `backward(dlogits)`
///   then adds every parameter gradient. Use it to put your own loss on top.
/// - `forward_backward(ids, labels)` is the training step: the head and the cross-entropy run
///   in chunks of rows, with the gradient written over each chunk's logits, so the (B*T, V)
///   logits never exist at once. `forward_loss` is the same without gradients (evaluation).
/// - `forward_cached(ids, cache)` is inference with a KV cache (prefill, then decode).
///
/// `set_recompute` turns on activation recomputation (gradient checkpointing) for the first two:
/// forward keeps only each block's input, and backward re-runs a block's forward right before
/// its backward. The recomputed blocks share one set of activation buffers, so the activations of
/// the trunk shrink from one block's worth per layer to one block's worth plus one (B, T, C)
/// hidden state per layer, for about one more forward pass of compute. Results are bitwise the same.
///
/// Labels follow Hugging Face: `labels` is aligned with `ids`, position t is scored against
/// labels[t + 1], and negative labels (-100) are ignored.
#pragma once

#include <algorithm>
#include <cstdint>
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
#include "dapt/nn/linear.hpp"
#include "dapt/nn/rms_norm.hpp"
#include "dapt/ops/loss.hpp"
#include "dapt/ops/rope.hpp"

namespace dapt::nn {

/// The mean loss over the scored tokens and their count (`tokens` == 0 gives loss 0).
struct LossResult {
  double loss = 0;
  double sum = 0;
  std::int64_t tokens = 0;
};

/// Activation recomputation (gradient checkpointing) of the decoder blocks: see Llama::set_recompute.
struct RecomputeOptions {
  /// Keep only the input of each recomputed block through the forward pass; re-run its forward
  /// right before its backward.
  bool enabled = false;
  /// Recompute blocks 0, every, 2 * every, ...; the others keep their activations (less extra
  /// compute, more memory). 1: every block.
  std::int64_t every = 1;
};

/// Options of `forward_backward` / `forward_loss`.
struct LossOptions {
  /// Gradients are d(sum of token losses) / normalizer; 0 means the number of scored tokens of
  /// this call (the mean). Gradient accumulation over micro-batches passes the total instead.
  double normalizer = 0;
  /// Segment ids (B, T) int32 of packed documents: attention stays inside a document and
  /// positions restart at each document (empty: one document per row).
  TensorView<Cpu> segment_ids;
  /// Explicit positions (B, T) int32 (empty: derived as above).
  TensorView<Cpu> positions;
};

template <class Device>
class Llama {
 public:
  explicit Llama(const io::LlamaConfig& config) : config_(config) {
    config_.validate("Llama");
    DAPT_CHECK_AS(kUnsupported, config_.hidden_act == "silu", "Llama: hidden_act \"", config_.hidden_act,
                  "\" is not supported (only silu)");
    embed_ = Embedding<Device>(config_.vocab_size, config_.hidden_size);
    blocks_ = std::make_unique<std::vector<DecoderBlock<Device>>>();
    blocks_->reserve(static_cast<std::size_t>(config_.num_hidden_layers));
    rope_ = std::make_unique<ops::RopeTable>(config_.rope, config_.head_dim);
    rope_->ensure(std::min<std::int64_t>(config_.max_position_embeddings, 4096));  // grows on demand
    for (std::int64_t l = 0; l < config_.num_hidden_layers; ++l) {
      blocks_->emplace_back(config_);
      blocks_->back().set_rope(rope_.get());
    }
    inputs_.resize(blocks_->size());
    norm_ = RmsNorm<Device>(config_.hidden_size, static_cast<float>(config_.rms_norm_eps));
    head_ = Linear<Device>(config_.hidden_size, config_.vocab_size, false);
    if (config_.tie_word_embeddings) head_.tie(&embed_.weight());
  }
  // Blocks point at the rope table and the head may point at the embedding: not copyable.
  Llama(const Llama&) = delete;
  Llama& operator=(const Llama&) = delete;
  Llama(Llama&&) = delete;

  const io::LlamaConfig& config() const noexcept { return config_; }
  Embedding<Device>& embed_tokens() noexcept { return embed_; }
  DecoderBlock<Device>& layer(std::int64_t i) { return blocks_->at(static_cast<std::size_t>(i)); }
  RmsNorm<Device>& norm() noexcept { return norm_; }
  Linear<Device>& lm_head() noexcept { return head_; }
  const ops::RopeTable& rope() const noexcept { return *rope_; }

  /// Normal(0, std) weights (std defaults to the config's initializer_range, else 0.02) and unit
  /// norm weights, from `seed`: the same seed gives the same model.
  void init_weights(std::uint64_t seed, double std = 0) requires std::is_same_v<Device, Cpu> {
    if (std <= 0) std = config_.extra.contains("initializer_range") && config_.extra.at("initializer_range").is_number()
                            ? config_.extra.at("initializer_range").to_number<double>()
                            : 0.02;
    Rng rng(seed);
    const auto s = static_cast<float>(std);
    embed_.init(rng, s);
    for (auto& b : *blocks_) b.init(rng, s);
    norm_.init();
    head_.init(rng, s);
  }

  /// Every parameter under its Hugging Face name, in checkpoint order. A tied head is not visited.
  void visit_parameters(const ParamVisitor<Device>& fn) {
    embed_.visit_parameters(fn, "model.embed_tokens.");
    for (std::size_t i = 0; i < blocks_->size(); ++i)
      (*blocks_)[i].visit_parameters(fn, "model.layers." + std::to_string(i) + ".");
    norm_.visit_parameters(fn, "model.norm.");
    head_.visit_parameters(fn, "lm_head.");
  }

  void zero_grad() {
    visit_parameters([](const std::string&, Param<Device>& p) { p.zero_grad(); });
  }

  std::int64_t num_parameters() {
    std::int64_t n = 0;
    visit_parameters([&](const std::string&, Param<Device>& p) { n += p.numel(); });
    return n;
  }

  /// ids (B, T) int32 -> logits (B, T, V), keeping activations for `backward`.
  TensorView<Device> forward(const TensorView<Device>& ids, const TensorView<Cpu>& segment_ids = {},
                             const TensorView<Cpu>& positions = {}) {
    TensorView<Device> h = trunk_forward(ids, segment_ids, positions);
    const std::int64_t b = ids.dim(0), t = ids.dim(1);
    return head_.forward(h).reshape({b, t, config_.vocab_size});
  }

  /// dlogits (B, T, V) -> parameter gradients (added).
  void backward(const TensorView<Device>& dlogits) {
    trunk_backward(head_.backward(dlogits));
  }

  /// Training step body: forward, chunked head + cross-entropy with gradients, backward. Returns
  /// the loss; gradients are added into the trainable parameters.
  LossResult forward_backward(const TensorView<Device>& ids, const TensorView<Cpu>& labels, const LossOptions& opt = {}) {
    TensorView<Device> h = trunk_forward(ids, opt.segment_ids, opt.positions);
    LossResult r = head_loss(h, ids, labels, opt, true);
    trunk_backward(dh_);
    return r;
  }

  /// The loss without gradients (evaluation).
  LossResult forward_loss(const TensorView<Device>& ids, const TensorView<Cpu>& labels, const LossOptions& opt = {}) {
    TensorView<Device> h = trunk_forward(ids, opt.segment_ids, opt.positions);
    return head_loss(h, ids, labels, opt, false);
  }

  /// Inference: ids (R, Tq) are the next tokens of cache rows [row0, row0 + R). Appends their keys
  /// and values, advances the rows, and returns the logits of each row's last new token (R, V).
  TensorView<Device> forward_cached(const TensorView<Device>& ids, KvCache<Device>& cache, std::int64_t row0 = 0)
      requires std::is_same_v<Device, Cpu> {
    DAPT_CHECK_AS(kShape, ids.rank() == 2, "forward_cached: ids must be (R, Tq), got ", ids.shape().str());
    const std::int64_t r = ids.dim(0), tq = ids.dim(1);
    cache.check_rows(row0, r);
    DAPT_CHECK_AS(kShape, cache.layers() == config_.num_hidden_layers, "forward_cached: cache has ", cache.layers(),
                  " layers, the model ", config_.num_hidden_layers);
    TensorView<Cpu> pos = cache_pos_.view({r, tq}, DType::kI32);
    std::int64_t max_pos = 0;
    for (std::int64_t i = 0; i < r; ++i)
      for (std::int64_t j = 0; j < tq; ++j) {
        const std::int64_t p = cache.length(row0 + i) + j;
        pos.data<std::int32_t>()[i * tq + j] = static_cast<std::int32_t>(p);
        max_pos = std::max(max_pos, p + 1);
      }
    if (max_pos > rope_->max_positions()) rope_->ensure(std::max<std::int64_t>(max_pos, 2 * rope_->max_positions()));
    TensorView<Device> x = embed_.forward(ids);
    for (std::int64_t l = 0; l < config_.num_hidden_layers; ++l)
      x = (*blocks_)[static_cast<std::size_t>(l)].forward_cached(x, cache, l, row0, pos);
    cache.advance(row0, r, tq);
    // Only each row's last position goes through the final norm and the head.
    const std::int64_t c = config_.hidden_size;
    TensorView<Device> last = last_.view({r, c});
    for (std::int64_t i = 0; i < r; ++i)
      std::memcpy(last.template data<float>() + i * c, x.template data<const float>() + (i * tq + tq - 1) * c,
                  static_cast<std::size_t>(c) * sizeof(float));
    return head_.forward(norm_.forward(last));
  }

  /// Activation recomputation (gradient checkpointing). When enabled, `forward` and
  /// `forward_backward` keep, of each recomputed block, only its input (one (B, T, C) hidden
  /// state, the previous block's output), and backward re-runs the block's forward from it just
  /// before the block's backward. All recomputed blocks draw their activation and gradient buffers
  /// from one shared set, so they hold one block's activations between them instead of one each.
  /// Costs one more forward pass of the recomputed blocks (about a third more compute for the
  /// trunk); losses and gradients are bitwise the same. The buffers are (re)assigned on the next
  /// forward, so adapters added before it share theirs too; call again after changing the
  /// model's layers later. Nothing is allocated per step at a fixed shape, as without it.
  void set_recompute(const RecomputeOptions& options) {
    DAPT_CHECK(options.every >= 1, "Llama::set_recompute: every must be >= 1, got ", options.every);
    recompute_ = options;
    share_pending_ = true;
  }
  const RecomputeOptions& recompute() const noexcept { return recompute_; }

  /// Every activation and workspace buffer of the model (the shared set of recomputed blocks
  /// included; host index buffers too on the CPU). A layer type that does not list its buffers
  /// (`visit_buffers`) is not visited.
  void visit_buffers(const BufferVisitor<Device>& fn) {
    embed_.visit_buffers(fn);
    for (auto& blk : *blocks_) blk.visit_buffers(fn);
    norm_.visit_buffers(fn);
    head_.visit_buffers(fn);
    for (auto& b : shared_) fn(b);
    fn(shared_dx_[0]);
    fn(shared_dx_[1]);
    fn(dh_buf_);
    fn(logits_);
    fn(losses_);
    fn(last_);
    if constexpr (std::is_same_v<Device, Cpu>) {
      fn(pos_);
      fn(cache_pos_);
      fn(targets_);
    }
  }

  /// Bytes held by the buffers of `visit_buffers`: the activation memory after a step, at the
  /// largest shape seen so far.
  std::size_t activation_bytes() {
    std::size_t n = 0;
    visit_buffers([&n](Buffer<Device>& b) { n += b.capacity(); });
    return n;
  }

  /// Rows of the head and cross-entropy processed at once in `forward_backward`; bounds the
  /// logits buffer to chunk_rows * V floats. 0 picks about 8 MB of logits.
  void set_loss_chunk_rows(std::int64_t rows) { chunk_rows_ = rows; }

  /// Replaces the embedding table and head (vocabulary resizing; see nn/resize_vocab.hpp).
  void reset_vocab(Tensor<Device> embed, Tensor<Device> head) {
    const std::int64_t v = embed.dim(0);
    embed_.reset_table(std::move(embed));
    Linear<Device> new_head(config_.hidden_size, v, false);
    if (config_.tie_word_embeddings) {
      new_head.tie(&embed_.weight());
    } else {
      DAPT_CHECK_AS(kShape, head.shape() == Shape({v, config_.hidden_size}), "reset_vocab: head of shape ",
                    head.shape().str(), " for a table of shape ", embed_.weight().value().shape().str());
      const bool trainable = head_.weight().trainable();
      new_head.weight().reset(std::move(head));
      new_head.weight().set_trainable(trainable);
    }
    head_ = std::move(new_head);
    config_.vocab_size = v;
  }

 private:
  TensorView<Device> trunk_forward(const TensorView<Device>& ids, const TensorView<Cpu>& segment_ids,
                                   const TensorView<Cpu>& positions) {
    DAPT_CHECK_AS(kShape, ids.rank() == 2, "Llama: ids must be (B, T), got ", ids.shape().str());
    DAPT_CHECK_AS(kDtype, ids.dtype() == DType::kI32, "Llama: ids must be I32, got ", dtype_name(ids.dtype()));
    const std::int64_t b = ids.dim(0), t = ids.dim(1);
    TensorView<Cpu> pos;
    if (positions.raw()) {
      DAPT_CHECK_AS(kShape, positions.shape() == ids.shape() && positions.dtype() == DType::kI32,
                    "Llama: positions must be I32 of the ids' shape ", ids.shape().str(), ", got ", positions.shape().str());
      pos = positions;
    } else {
      pos = pos_.view({b, t}, DType::kI32);
      fill_positions(pos, segment_ids);
    }
    if (segment_ids.raw())
      DAPT_CHECK_AS(kShape, segment_ids.shape() == ids.shape() && segment_ids.dtype() == DType::kI32,
                    "Llama: segment ids must be I32 of the ids' shape ", ids.shape().str(), ", got ",
                    segment_ids.shape().str());
    std::int64_t max_pos = 0;
    const auto* pp = pos.data<const std::int32_t>();
    for (std::int64_t i = 0; i < b * t; ++i) {
      DAPT_CHECK_AS(kOutOfRange, pp[i] >= 0, "Llama: negative position ", pp[i], " at index ", i);
      max_pos = std::max<std::int64_t>(max_pos, pp[i] + 1);
    }
    if (max_pos > rope_->max_positions()) rope_->ensure(max_pos);
    if (share_pending_) share_block_buffers();
    seq_ = Sequence<Device>{pos, segment_ids};
    TensorView<Device> x = embed_.forward(ids);
    for (std::size_t l = 0; l < blocks_->size(); ++l) {
      inputs_[l] = x;  // the previous block's output buffer (or the embedding's): each block keeps its own
      x = (*blocks_)[l].forward(x, seq_);
    }
    return norm_.forward(x);
  }

  void trunk_backward(const TensorView<Device>& dh) {
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

  /// The chunked head: logits of `rows` rows at a time, cross-entropy in place, and (training)
  /// the head's weight gradient and the gradient of h, written to dh_.
  LossResult head_loss(const TensorView<Device>& h, const TensorView<Device>& ids, const TensorView<Cpu>& labels,
                       const LossOptions& opt, bool train) {
    const std::int64_t b = ids.dim(0), t = ids.dim(1), n = b * t, c = config_.hidden_size, v = config_.vocab_size;
    const TensorView<Cpu> lab = labels.raw() ? labels : TensorView<Cpu>(ids);
    DAPT_CHECK_AS(kShape, lab.shape() == ids.shape(), "Llama: labels of shape ", lab.shape().str(), " for ids of shape ",
                  ids.shape().str());
    DAPT_CHECK_AS(kDtype, lab.dtype() == DType::kI32, "Llama: labels must be I32, got ", dtype_name(lab.dtype()));
    TensorView<Cpu> targets = targets_.view({n}, DType::kI32);
    auto* tg = targets.data<std::int32_t>();
    const auto* lb = lab.data<const std::int32_t>();
    std::int64_t count = 0;
    for (std::int64_t i = 0; i < b; ++i)
      for (std::int64_t j = 0; j < t; ++j) {
        const std::int32_t y = j + 1 < t ? lb[i * t + j + 1] : -1;
        DAPT_CHECK_AS(kOutOfRange, y < v, "Llama: label ", y, " at (", i, ", ", j + 1, ") is outside the vocabulary of ",
                      v, " tokens");
        tg[i * t + j] = y < 0 ? -1 : y;
        count += y >= 0;
      }
    LossResult r;
    r.tokens = count;
    const double norm = opt.normalizer > 0 ? opt.normalizer : static_cast<double>(std::max<std::int64_t>(count, 1));
    const float scale = static_cast<float>(1.0 / norm);
    std::int64_t rows = chunk_rows_ > 0 ? chunk_rows_ : std::max<std::int64_t>(1, (std::int64_t{2} << 20) / v);
    rows = std::min(rows, n);
    const TensorView<Device> h2 = h.reshape({n, c});
    if (train) dh_ = dh_buf_.view(h.shape());
    Param<Device>& w = head_.weight();
    TensorView<Device> losses = losses_.view({n});
    for (std::int64_t r0 = 0; r0 < n; r0 += rows) {
      const std::int64_t r1 = std::min(n, r0 + rows);
      const TensorView<Device> hc = h2.slice(0, r0, r1);
      TensorView<Device> logits = logits_.view({r1 - r0, v});
      ops::linear_forward(hc, w.value().view(), TensorView<Device>(), logits);
      ops::cross_entropy(logits, targets.slice(0, r0, r1), losses.slice(0, r0, r1), scale, train);
      if (!train) continue;
      ops::linear_backward_weight(logits, hc, w.trainable() ? w.grad().view() : TensorView<Device>(), TensorView<Device>());
      ops::linear_backward_input(logits, w.value().view(), dh_.reshape({n, c}).slice(0, r0, r1));
    }
    double sum = 0;
    const float* ls = losses.template data<const float>();
    for (std::int64_t i = 0; i < n; ++i) sum += ls[i];
    r.sum = sum;
    r.loss = count ? sum / static_cast<double>(count) : 0.0;
    return r;
  }

  io::LlamaConfig config_;
  Embedding<Device> embed_;
  std::unique_ptr<std::vector<DecoderBlock<Device>>> blocks_;
  std::unique_ptr<ops::RopeTable> rope_;
  RmsNorm<Device> norm_;
  Linear<Device> head_;
  std::int64_t chunk_rows_ = 0;
  RecomputeOptions recompute_;
  bool share_pending_ = false;
  std::vector<Buffer<Device>> shared_;    // the recomputed blocks' internal buffers
  Buffer<Device> shared_dx_[2];           // their dx buffers, alternating by layer
  std::vector<TensorView<Device>> inputs_;  // (B, T, C) input of each block, from the last forward
  Sequence<Device> seq_;                  // positions and segment ids of the last forward
  TensorView<Device> dh_;
  Buffer<Cpu> pos_, cache_pos_, targets_;
  Buffer<Device> dh_buf_, logits_, losses_, last_;
};

}  // namespace dapt::nn
