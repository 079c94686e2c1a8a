/// @file llama.hpp
/// @brief `Llama`, a LLaMA-family causal language model: the SDK's `LlamaTrunk` (token
/// embedding, `num_hidden_layers` decoder blocks, a final RMSNorm; see nn/llama_trunk.hpp) and a
/// language-model head that is its own matrix or tied to the embedding. Parameters carry their Hugging Face names, so a
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
/// `set_recompute` turns on activation recomputation (gradient checkpointing) of the trunk for the
/// first two (see LlamaTrunk::set_recompute). Results are bitwise the same.
///
/// Labels follow Hugging Face: `labels` is aligned with `ids`, position t is scored against
/// labels[t + 1], and negative labels (-100) are ignored.
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
#include "dapt/nn/kv_cache.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/linear.hpp"
#include "dapt/nn/llama_trunk.hpp"
#include "dapt/ops/elementwise.hpp"
#include "dapt/ops/loss.hpp"

namespace dapt::nn {

/// The mean loss over the scored tokens and their count (`tokens` == 0 gives loss 0).
struct LossResult {
  double loss = 0;
  double sum = 0;
  std::int64_t tokens = 0;
};

/// Options of `forward_backward` / `forward_loss`.
struct LossOptions {
  /// Gradients are d(sum of token losses) / normalizer; 0 means the number of scored tokens of
  /// this call (the mean). Gradient accumulation over micro-batches passes the total instead.
  double normalizer = 0;
  /// Segment ids (B, T) int32 of packed documents: attention stays inside a document and
  /// positions restart at each document (empty: one document per row).
  TensorView<Cpu> segment_ids{};
  /// Explicit positions (B, T) int32 (empty: derived as above).
  TensorView<Cpu> positions{};
  /// When set: a double in the model's device memory that the sum of this call's token losses is
  /// added to, and LossResult::sum and ::loss are left 0, so that nothing waits for the device
  /// (Trainer<Cuda> reads its window's sum once per step). Empty: the sum is returned, which on
  /// a GPU reads the per-token losses back.
  double* loss_sum = nullptr;
};

template <class Device>
class Llama {
 public:
  explicit Llama(const io::LlamaConfig& config) : config_(validated(config)), trunk_(config_) {
    head_ = Linear<Device>(config_.hidden_size, config_.vocab_size, false);
    if (config_.tie_word_embeddings) head_.tie(&trunk_.embed_tokens().weight());
  }
  // Blocks point at the rope table and the head may point at the embedding: not copyable.
  Llama(const Llama&) = delete;
  Llama& operator=(const Llama&) = delete;
  Llama(Llama&&) = delete;

  const io::LlamaConfig& config() const noexcept { return config_; }
  /// The body (HF `LlamaModel`): embedding, blocks, final norm.
  LlamaTrunk<Device>& trunk() noexcept { return trunk_; }
  Embedding<Device>& embed_tokens() noexcept { return trunk_.embed_tokens(); }
  DecoderBlock<Device>& layer(std::int64_t i) { return trunk_.layer(i); }
  RmsNorm<Device>& norm() noexcept { return trunk_.norm(); }
  Linear<Device>& lm_head() noexcept { return head_; }
  const ops::RopeTable& rope() const noexcept { return trunk_.rope(); }

  /// Normal(0, std) weights (std defaults to the config's initializer_range, else 0.02) and unit
  /// norm weights, from `seed`: the same seed gives the same model.
  void init_weights(std::uint64_t seed, double std = 0) requires std::is_same_v<Device, Cpu> {
    if (std <= 0) std = config_.extra.contains("initializer_range") && config_.extra.at("initializer_range").is_number()
                            ? config_.extra.at("initializer_range").to_number<double>()
                            : 0.02;
    Rng rng(seed);
    const auto s = static_cast<float>(std);
    trunk_.init(rng, s);
    head_.init(rng, s);
  }

  /// Every parameter under its Hugging Face name, in checkpoint order. A tied head is not visited.
  void visit_parameters(const ParamVisitor<Device>& fn) {
    trunk_.visit_parameters(fn, "model.");
    head_.visit_parameters(fn, "lm_head.");
  }

  void zero_grad() {
    visit_parameters([](const std::string&, Param<Device>& p) { p.zero_grad(); });
  }

  /// Mixed precision: BF16 (GPU only) gives every parameter a bf16 copy that forward and backward
  /// read, so activations, their gradients, the logits and the KV cache are bf16, while master
  /// weights, gradients and optimizer state stay fp32 (docs/gpu.md, precision rules). F32 (the
  /// default) drops the copies. LoRA adapters attached later follow their layer's dtype.
  void set_compute_dtype(DType dtype) {
    visit_parameters([dtype](const std::string&, Param<Device>& p) { p.set_compute_dtype(dtype); });
  }
  /// The activations' dtype: the embedding table's compute dtype.
  DType compute_dtype() { return trunk_.embed_tokens().weight().compute_dtype(); }

  std::int64_t num_parameters() {
    std::int64_t n = 0;
    visit_parameters([&](const std::string&, Param<Device>& p) { n += p.numel(); });
    return n;
  }

  /// ids (B, T) int32 -> logits (B, T, V), keeping activations for `backward`.
  TensorView<Device> forward(const TensorView<Device>& ids, const TensorView<Cpu>& segment_ids = {},
                             const TensorView<Cpu>& positions = {}) {
    TensorView<Device> h = trunk_.forward(ids, segment_ids, positions);
    const std::int64_t b = ids.dim(0), t = ids.dim(1);
    return head_.forward(h).reshape({b, t, config_.vocab_size});
  }

  /// dlogits (B, T, V) -> parameter gradients (added).
  void backward(const TensorView<Device>& dlogits) {
    trunk_.backward(head_.backward(dlogits));
  }

  /// Training step body: forward, chunked head + cross-entropy with gradients, backward. Returns
  /// the loss; gradients are added into the trainable parameters.
  LossResult forward_backward(const TensorView<Device>& ids, const TensorView<Cpu>& labels, const LossOptions& opt = {}) {
    TensorView<Device> h = trunk_.forward(ids, opt.segment_ids, opt.positions);
    LossResult r = head_loss(h, ids, labels, opt, true);
    trunk_.backward(dh_);
    return r;
  }

  /// The loss without gradients (evaluation).
  LossResult forward_loss(const TensorView<Device>& ids, const TensorView<Cpu>& labels, const LossOptions& opt = {}) {
    TensorView<Device> h = trunk_.forward(ids, opt.segment_ids, opt.positions);
    return head_loss(h, ids, labels, opt, false);
  }

  /// Inference: ids (R, Tq) are the next tokens of cache rows [row0, row0 + R). Appends their keys
  /// and values, advances the rows, and returns the logits of each row's last new token (R, V).
  TensorView<Device> forward_cached(const TensorView<Device>& ids, KvCache<Device>& cache, std::int64_t row0 = 0) {
    const TensorView<Device> x = trunk_.forward_cached(ids, cache, row0);
    const std::int64_t r = x.dim(0), tq = x.dim(1), c = config_.hidden_size;
    // Only each row's last position goes through the final norm and the head (a decode step,
    // Tq = 1, has nothing else).
    TensorView<Device> last = x.reshape({r * tq, c});
    if (tq > 1) {
      last = last_.view({r, c}, x.dtype());
      for (std::int64_t i = 0; i < r; ++i)
        ops::copy(x.reshape({r * tq, c}).slice(0, i * tq + tq - 1, i * tq + tq), last.slice(0, i, i + 1));
    }
    return head_.forward(trunk_.norm().forward(last));
  }

  /// Activation recomputation (gradient checkpointing) of the trunk, for `forward` and
  /// `forward_backward`: see LlamaTrunk::set_recompute.
  void set_recompute(const RecomputeOptions& options) { trunk_.set_recompute(options); }
  const RecomputeOptions& recompute() const noexcept { return trunk_.recompute(); }

  /// Every activation and workspace buffer of the model (the shared set of recomputed blocks
  /// included; host index buffers too on the CPU). A layer type that does not list its buffers
  /// (`visit_buffers`) is not visited.
  void visit_buffers(const BufferVisitor<Device>& fn) {
    trunk_.visit_buffers(fn);
    head_.visit_buffers(fn);
    fn(dh_buf_);
    fn(logits_);
    fn(losses_);
    fn(last_);
    if constexpr (std::is_same_v<Device, Cpu>) fn(targets_);
    else fn(dev_targets_);
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
    trunk_.reset_table(std::move(embed));
    Linear<Device> new_head(config_.hidden_size, v, false);
    if (config_.tie_word_embeddings) {
      new_head.tie(&trunk_.embed_tokens().weight());
    } else {
      DAPT_CHECK_AS(kShape, head.shape() == Shape({v, config_.hidden_size}), "reset_vocab: head of shape ",
                    head.shape().str(), " for a table of shape ", trunk_.embed_tokens().weight().value().shape().str());
      const bool trainable = head_.weight().trainable();
      new_head.weight().reset(std::move(head));
      new_head.weight().set_trainable(trainable);
    }
    head_ = std::move(new_head);
    if (!config_.tie_word_embeddings) head_.weight().set_compute_dtype(compute_dtype());
    config_.vocab_size = v;
  }

 private:
  static io::LlamaConfig validated(const io::LlamaConfig& config) {
    config.validate("Llama");
    DAPT_CHECK_AS(kUnsupported, config.hidden_act == "silu", "Llama: hidden_act \"", config.hidden_act,
                  "\" is not supported (only silu)");
    return config;
  }

  /// The chunked head: logits of `rows` rows at a time, cross-entropy in place, and (training)
  /// the head's weight gradient and the gradient of h, written to dh_.
  LossResult head_loss(const TensorView<Device>& h, const TensorView<Device>& ids, const TensorView<Cpu>& labels,
                       const LossOptions& opt, bool train) {
    const std::int64_t b = ids.dim(0), t = ids.dim(1), n = b * t, c = config_.hidden_size, v = config_.vocab_size;
    TensorView<Cpu> lab = labels;
    if (!lab.raw()) {
      if constexpr (std::is_same_v<Device, Cpu>) lab = ids;
      else DAPT_FAIL(ErrorCategory::kInvalidArgument, "Llama<", Device::kName, ">: pass the labels as a host tensor "
                     "(the ids live on the device)");
    }
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
    if (train) dh_ = dh_buf_.view(h.shape(), h.dtype());
    Param<Device>& w = head_.weight();
    TensorView<Device> losses = losses_.view({n});
    TensorView<Device> dev_targets;
    if constexpr (std::is_same_v<Device, Cpu>) {
      dev_targets = targets;
    } else {
      dev_targets = dev_targets_.view({n}, DType::kI32);
      DeviceAllocator<Device>::copy_from_host(dev_targets.raw(), targets.raw(), targets.nbytes());
    }
    for (std::int64_t r0 = 0; r0 < n; r0 += rows) {
      const std::int64_t r1 = std::min(n, r0 + rows);
      const TensorView<Device> hc = h2.slice(0, r0, r1);
      TensorView<Device> logits = logits_.view({r1 - r0, v}, h.dtype());
      ops::linear_forward(hc, w.compute().view(), TensorView<Device>(), logits);
      ops::cross_entropy(logits, dev_targets.slice(0, r0, r1), losses.slice(0, r0, r1), scale, train);
      if (!train) continue;
      ops::linear_backward_weight(logits, hc, w.trainable() ? w.grad().view() : TensorView<Device>(), TensorView<Device>());
      ops::linear_backward_input(logits, w.compute().view(), dh_.reshape({n, c}).slice(0, r0, r1));
    }
    if (opt.loss_sum != nullptr) {
      ops::accumulate_sum(losses, opt.loss_sum);
      return r;
    }
    double sum = 0;
    const float* ls = losses.template data<const float>();
    if constexpr (!std::is_same_v<Device, Cpu>) {
      // The per-token losses come back to the host (a wait at the end of the step).
      TensorView<Cpu> host = host_losses_.view({n});
      DeviceAllocator<Device>::copy_to_host(host.raw(), losses.raw(), losses.nbytes());
      ls = host.template data<const float>();
    }
    for (std::int64_t i = 0; i < n; ++i) sum += ls[i];
    r.sum = sum;
    r.loss = count ? sum / static_cast<double>(count) : 0.0;
    return r;
  }

  io::LlamaConfig config_;
  LlamaTrunk<Device> trunk_;
  Linear<Device> head_;
  std::int64_t chunk_rows_ = 0;
  TensorView<Device> dh_;
  Buffer<Cpu> targets_, host_losses_;
  Buffer<Device> dev_targets_;  // the targets on a GPU (unused on the CPU)
  Buffer<Device> dh_buf_, logits_, losses_, last_;
};

}  // namespace dapt::nn
