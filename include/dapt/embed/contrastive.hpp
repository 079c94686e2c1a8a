/// @file contrastive.hpp
/// @brief Contrastive training of an `Embedder`, as E5 and ChipNeMo's retriever did it: the
/// InfoNCE loss over query and passage embeddings with in-batch negatives and hard negatives
/// (temperature 0.01 by default, optionally learned), duplicate-aware (a passage whose tokens
/// equal a query's positive is never that query's negative) and optionally symmetric; and
/// `ContrastiveModel`, which makes an embedder trainable by `train::Trainer` (Full or Lora), with
/// GradCache-style chunking so that a large batch of in-batch negatives fits in bounded memory.
///
/// GradCache (Gao et al. 2021): embed the batch chunk by chunk without keeping activations, take
/// the loss and its gradient with respect to every embedding, then re-run each chunk's forward
/// and back-propagate that chunk's embedding gradients. The gradients equal those of one forward
/// and backward over the whole batch (up to float rounding), for one more forward pass;
/// activations are those of one chunk. LoRA dropout masks are replayed: a chunk uses the same
/// adapter generation in both passes.
///
/// Batches reach `ContrastiveModel::forward_backward(ids, labels, options)` in the Trainer's
/// (rows, T) form, `rows_per_example` = 2 + hard_negatives rows per example, laid out as
/// [B queries][B positives][B * k hard negatives, query-major]; `labels[r, t] >= 0` marks a real
/// token and a negative label padding (embed/contrastive_data.hpp writes them). An example whose
/// query row is all padding is absent (a short last batch); a negative row that is all padding
/// is a missing negative.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>


#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/embed/embedder.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/nn/lora.hpp"
#include "dapt/ops/contrastive.hpp"
#include "dapt/ops/elementwise.hpp"
#include "dapt/ops/loss.hpp"

namespace dapt::embed {

/// The loss of one InfoNCE call.
struct InfoNceResult {
  double sum = 0;             ///< summed over queries (the symmetric loss averages both directions)
  std::int64_t count = 0;     ///< queries
  std::int64_t correct = 0;   ///< queries whose positive scored highest among their candidates
  double loss() const noexcept { return count ? sum / static_cast<double>(count) : 0.0; }
};

/// InfoNCE over embeddings (host tensors; ops::info_nce is the device-generic form):
///   q     (B, C): query embeddings;
///   p     (P, C), P >= B: passage embeddings, row i < B the positive of query i, every row a
///         candidate for every query (in-batch and hard negatives);
///   keys  (P): a content key per passage (e.g. a hash of its tokens); passage j != i with
///         keys[j] == keys[i] is not a candidate of query i (it is its positive, duplicated);
///   scale the logit scale 1 / temperature.
/// loss_i = logsumexp_j (scale q_i.p_j) - scale q_i.p_i over i's candidates. `symmetric` adds the
/// passage-to-query direction over the positives (candidates: the B queries, minus those whose
/// positive has the same key) and averages the two. With `dq`/`dp` given ((B, C), (P, C)), writes
/// grad_scale * d(sum)/d(q, p) and, when `dlog_scale` is non-null, adds grad_scale *
/// d(sum)/d(log scale) to it. (A template only so that it is compiled where it is called: Scalar
/// is float, the default; call it as info_nce(...).)
template <class Scalar = float>
InfoNceResult info_nce(const TensorView<Cpu>& q, const TensorView<Cpu>& p, std::span<const std::int64_t> keys,
                       double scale, bool symmetric, double grad_scale = 1.0, const TensorView<Cpu>& dq = {},
                       const TensorView<Cpu>& dp = {}, double* dlog_scale = nullptr) {
  static_assert(std::is_same_v<Scalar, float>, "info_nce: the embeddings are F32");
  DAPT_CHECK_AS(kShape, q.rank() == 2 && p.rank() == 2 && q.dim(1) == p.dim(1) && p.dim(0) >= q.dim(0),
                "info_nce: q (B, C) and p (P >= B, C) expected, got ", q.shape().str(), " and ", p.shape().str());
  DAPT_CHECK_AS(kDtype, q.dtype() == DType::kF32 && p.dtype() == DType::kF32, "info_nce: q and p must be F32");
  DAPT_CHECK_AS(kShape, static_cast<std::int64_t>(keys.size()) == p.dim(0), "info_nce: ", keys.size(),
                " keys for ", p.dim(0), " passages");
  DAPT_CHECK_AS(kNumeric, std::isfinite(scale) && scale > 0, "info_nce: the logit scale must be finite and > 0, got ", scale);
  const std::int64_t B = q.dim(0), P = p.dim(0);
  const bool grads = dq.raw() != nullptr;
  if (grads)
    DAPT_CHECK_AS(kShape, dq.shape() == q.shape() && dp.shape() == p.shape(), "info_nce: dq ", dq.shape().str(), " and dp ",
                  dp.shape().str(), " must match q ", q.shape().str(), " and p ", p.shape().str());
  Tensor<Cpu> dots = Tensor<Cpu>::empty({B, P}, DType::kF32), losses = Tensor<Cpu>::empty({symmetric ? 2 * B : B}, DType::kF32),
              correct = Tensor<Cpu>::empty({B}, DType::kF32), g;
  if (grads) g = Tensor<Cpu>::empty({B, P}, DType::kF32);
  const float log_scale = static_cast<float>(std::log(scale));
  float dls = 0;
  const TensorView<Cpu> key_view(const_cast<std::int64_t*>(keys.data()), DType::kI64, {P});
  ops::info_nce<Cpu>(q, p, key_view, &log_scale, symmetric, dots.view(), losses.view(), correct.view(),
                     static_cast<float>(grad_scale), grads ? g.view() : TensorView<Cpu>(), dq, dp,
                     dlog_scale ? &dls : nullptr);
  if (dlog_scale) *dlog_scale += dls;
  InfoNceResult r;
  r.count = B;
  for (std::int64_t i = 0; i < losses.numel(); ++i) r.sum += losses.data<const float>()[i];
  for (std::int64_t i = 0; i < B; ++i) r.correct += correct.data<const float>()[i] > 0.5f;
  return r;
}

/// FNV-1a of a token sequence: the content key of a passage.
inline std::int64_t token_key(std::span<const std::int32_t> tokens) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::int32_t t : tokens) {
    auto u = static_cast<std::uint32_t>(t);
    for (int b = 0; b < 4; ++b) {
      h ^= (u >> (8 * b)) & 0xffu;
      h *= 1099511628211ull;
    }
  }
  return static_cast<std::int64_t>(h);
}

struct ContrastiveOptions {
  std::int64_t hard_negatives = 0;  ///< k hard-negative rows per example (the data's layout)
  double temperature = 0.01;        ///< InfoNCE temperature (E5: 0.01)
  bool learn_temperature = false;   ///< train log(1 / temperature) as parameter "logit_scale"
  bool symmetric = false;           ///< add the passage -> query direction
  /// GradCache chunk: rows embedded per forward/backward; 0 = the whole batch in one pass.
  std::int64_t chunk_rows = 0;

  void validate() const {
    DAPT_CHECK(hard_negatives >= 0, "ContrastiveOptions: hard_negatives must be >= 0, got ", hard_negatives);
    DAPT_CHECK(std::isfinite(temperature) && temperature > 0, "ContrastiveOptions: temperature must be > 0, got ", temperature);
    DAPT_CHECK(chunk_rows >= 0, "ContrastiveOptions: chunk_rows must be >= 0, got ", chunk_rows);
  }
};

/// An embedder with its contrastive loss, in the shape `train::Trainer` trains: parameters by
/// `visit_parameters` (the embedder's, plus "logit_scale" when the temperature is learned) and a
/// step by `forward_backward(ids, labels, options)`. Holds a reference to the embedder. On the
/// CPU use it as `ContrastiveModel` (below); on a GPU as `BasicContrastiveModel<Cuda>` over an
/// `Embedder<Cuda>` (include <dapt/cuda.cuh>): the batch is laid out on the host (it takes host
/// ids even there), each chunk's ids go to the device, and the InfoNCE (ops::info_nce), its
/// gradients and the loss sum stay on the device; the logit scale is read from device memory.
/// (A template also so that its members, and the embedder members they call, are compiled where
/// a program uses them rather than in every source that includes this header.)
template <class Device>
class BasicContrastiveModel {
 public:
  BasicContrastiveModel(Embedder<Device>& embedder, ContrastiveOptions options) : e_(embedder), o_(options) {
    o_.validate();
    Tensor<Cpu> v = Tensor<Cpu>::empty({1}, DType::kF32);
    v.data<float>()[0] = static_cast<float>(std::log(1.0 / o_.temperature));
    Tensor<Device> d = Tensor<Device>::empty({1}, DType::kF32);
    upload(v.view(), d.view());
    logit_scale_ = nn::Param<Device>(std::move(d), o_.learn_temperature);
    logit_scale_.decay = false;
    correct_sum_ = Tensor<Device>::zeros({1}, DType::kF64);
  }
  BasicContrastiveModel(const BasicContrastiveModel&) = delete;
  BasicContrastiveModel& operator=(const BasicContrastiveModel&) = delete;

  Embedder<Device>& embedder() noexcept { return e_; }
  const ContrastiveOptions& options() const noexcept { return o_; }
  std::int64_t rows_per_example() const noexcept { return 2 + o_.hard_negatives; }
  /// The current temperature (1 / exp(logit_scale)); on a GPU it waits for the queued work.
  double temperature() const {
    float v = 0;
    DeviceAllocator<Device>::copy_to_host(&v, logit_scale_.value().raw(), sizeof(float));
    return 1.0 / std::exp(static_cast<double>(v));
  }
  /// Accuracy (positive ranked first) of the last call; on a GPU it waits for the queued work.
  double last_accuracy() const {
    if (last_count_ == 0) return 0.0;
    double c = 0;
    DeviceAllocator<Device>::copy_to_host(&c, correct_sum_.raw(), sizeof(double));
    return c / static_cast<double>(last_count_);
  }

  void visit_parameters(const nn::ParamVisitor<Device>& fn) {
    e_.visit_parameters(fn);
    if (o_.learn_temperature) fn("logit_scale", logit_scale_);
  }
  void set_recompute(const nn::RecomputeOptions& o) { e_.set_recompute(o); }

  /// One step's loss and gradients (added) over a batch in the layout of the file comment; ids
  /// and labels in host memory on every device. `options.normalizer` (the Trainer passes the
  /// window's example count) divides the summed loss's gradient; 0: this batch's example count.
  /// `options.loss_sum` (memory of Device), when set, gets the loss sum added there, and the
  /// returned sum is then 0 on a GPU (nothing waits); without it the sum is returned. Returns
  /// tokens = examples.
  nn::LossResult forward_backward(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels,
                                  const nn::LossOptions& options = {}) {
    return run(ids, labels, options, true);
  }
  nn::LossResult forward_loss(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels,
                              const nn::LossOptions& options = {}) {
    return run(ids, labels, options, false);
  }

 private:
  nn::LossResult run(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const nn::LossOptions& options,
                     bool train) {
    DAPT_CHECK_AS(kShape, ids.rank() == 2 && labels.shape() == ids.shape() && ids.dtype() == DType::kI32 &&
                              labels.dtype() == DType::kI32,
                  "ContrastiveModel: ids and labels must be I32 of one shape (rows, T), got ", ids.shape().str(), " and ",
                  labels.shape().str());
    const std::int64_t g = rows_per_example(), rows = ids.dim(0), t = ids.dim(1), c = e_.dim();
    DAPT_CHECK_AS(kShape, rows % g == 0, "ContrastiveModel: ", rows, " rows are not a multiple of ", g,
                  " (query, positive and ", o_.hard_negatives, " hard negatives per example)");
    const std::int64_t b = rows / g;
    const auto* lab = labels.data<const std::int32_t>();
    auto real_len = [&](std::int64_t r) {
      std::int64_t n = 0;
      for (std::int64_t j = 0; j < t; ++j) n += lab[r * t + j] >= 0;
      return n;
    };
    // Rows to embed: queries of present examples, then their positives, then present negatives.
    order_.clear();
    std::vector<std::int64_t>& present = present_;  // member scratch: no allocation per step at a fixed shape
    present.clear();
    for (std::int64_t i = 0; i < b; ++i)
      if (real_len(i) > 0) present.push_back(i);
    const auto nq = static_cast<std::int64_t>(present.size());
    nn::LossResult res;
    last_count_ = 0;
    if (nq == 0) return res;
    for (auto i : present) order_.push_back(i);
    for (auto i : present) {
      DAPT_CHECK(real_len(b + i) > 0, "ContrastiveModel: example ", i, " has a query but an empty positive row");
      order_.push_back(b + i);
    }
    for (auto i : present)
      for (std::int64_t s = 0; s < o_.hard_negatives; ++s)
        if (real_len(2 * b + i * o_.hard_negatives + s) > 0) order_.push_back(2 * b + i * o_.hard_negatives + s);
    const auto n = static_cast<std::int64_t>(order_.size());
    // Gather ids and masks in that order; content keys of the passages.
    TensorView<Cpu> gid = ids_.view({n, t}, DType::kI32), gmask = mask_.view({n, t}, DType::kI32);
    TensorView<Cpu> keys = keys_.view({n - nq}, DType::kI64);
    std::vector<std::int32_t>& toks = toks_;
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t r = order_[static_cast<std::size_t>(k)];
      toks.clear();
      for (std::int64_t j = 0; j < t; ++j) {
        const bool real = lab[r * t + j] >= 0;
        gid.data<std::int32_t>()[k * t + j] = real ? ids.data<const std::int32_t>()[r * t + j] : 0;
        gmask.data<std::int32_t>()[k * t + j] = real ? 1 : 0;
        if (real) toks.push_back(ids.data<const std::int32_t>()[r * t + j]);
      }
      if (k >= nq) keys.data<std::int64_t>()[k - nq] = token_key(toks);
    }
    const std::int64_t chunk = o_.chunk_rows > 0 ? std::min(o_.chunk_rows, n) : n;
    const std::int64_t chunks = (n + chunk - 1) / chunk;
    // Each chunk runs at the width of its longest row (the batch's T is the data's max_len, and
    // queries are short): its ids and mask are compacted to (rows, width) once, for both passes.
    chunk_offset_.assign(static_cast<std::size_t>(chunks + 1), 0);
    chunk_width_.assign(static_cast<std::size_t>(chunks), 1);
    for (std::int64_t k = 0; k < chunks; ++k) {
      const std::int64_t r0 = k * chunk, r1 = std::min(n, r0 + chunk);
      std::int64_t w = 1;
      for (std::int64_t r = r0; r < r1; ++r)
        for (std::int64_t j = t; j-- > 0;)
          if (gmask.data<const std::int32_t>()[r * t + j]) {
            w = std::max(w, j + 1);
            break;
          }
      chunk_width_[static_cast<std::size_t>(k)] = w;
      chunk_offset_[static_cast<std::size_t>(k + 1)] = chunk_offset_[static_cast<std::size_t>(k)] + (r1 - r0) * w;
    }
    TensorView<Cpu> cid = cids_.view({chunk_offset_.back()}, DType::kI32), cmask = cmask_.view({chunk_offset_.back()}, DType::kI32);
    for (std::int64_t k = 0; k < chunks; ++k) {
      const std::int64_t r0 = k * chunk, r1 = std::min(n, r0 + chunk), w = chunk_width_[static_cast<std::size_t>(k)];
      for (std::int64_t r = r0; r < r1; ++r) {
        const std::int64_t dst = chunk_offset_[static_cast<std::size_t>(k)] + (r - r0) * w;
        std::copy_n(gid.data<const std::int32_t>() + r * t, w, cid.data<std::int32_t>() + dst);
        std::copy_n(gmask.data<const std::int32_t>() + r * t, w, cmask.data<std::int32_t>() + dst);
      }
    }
    // The compacted ids and the keys in the device's memory (on the CPU, the host buffers).
    TensorView<Device> dcid, dkeys;
    if constexpr (std::is_same_v<Device, Cpu>) {
      dcid = cid;
      dkeys = keys;
    } else {
      dcid = dcids_.view(cid.shape(), DType::kI32);
      dkeys = dkeys_.view(keys.shape(), DType::kI64);
      upload(cid, dcid);
      upload(keys, dkeys);
    }
    TensorView<Device> emb = emb_.view({n, c}, DType::kF32);
    // LoRA dropout: chunk k uses adapter generation g0 + k in both passes (see the file comment).
    std::vector<nn::LoraAdapter<Device>*>& adapters = adapters_;
    adapters.clear();
    nn::visit_lora_adapters<Embedder<Device>, Device>(
        e_, [&](const std::string&, nn::Linear<Device>&, nn::LoraAdapter<Device>& a) { adapters.push_back(&a); });
    const std::uint64_t g0 = adapters.empty() ? 0 : adapters.front()->generation();
    auto set_gen = [&](std::uint64_t gen) {
      for (auto* a : adapters) a->set_generation(gen);
    };
    auto forward_chunk = [&](std::int64_t k) {
      const std::int64_t r0 = k * chunk, r1 = std::min(n, r0 + chunk), w = chunk_width_[static_cast<std::size_t>(k)];
      const std::int64_t off = chunk_offset_[static_cast<std::size_t>(k)];
      set_gen(g0 + static_cast<std::uint64_t>(k));
      return e_.forward(TensorView<Device>(dcid.template data<std::int32_t>() + off, DType::kI32, {r1 - r0, w}),
                        TensorView<Cpu>(cmask.data<std::int32_t>() + off, DType::kI32, {r1 - r0, w}));
    };
    for (std::int64_t k = 0; k < chunks; ++k) {
      const std::int64_t r0 = k * chunk, r1 = std::min(n, r0 + chunk);
      ops::copy(forward_chunk(k), emb.slice(0, r0, r1));
    }
    const double norm = options.normalizer > 0 ? options.normalizer : static_cast<double>(nq);
    TensorView<Device> demb = demb_.view({n, c}, DType::kF32);
    TensorView<Device> dots = dots_.view({nq, n - nq}, DType::kF32);
    TensorView<Device> losses = losses_.view({o_.symmetric ? 2 * nq : nq}, DType::kF32);
    TensorView<Device> correct = correct_.view({nq}, DType::kF32);
    const float* log_scale = logit_scale_.value().template data<const float>();
    if (train) {
      float* dls = o_.learn_temperature && logit_scale_.trainable() ? logit_scale_.grad().template data<float>() : nullptr;
      ops::info_nce<Device>(emb.slice(0, 0, nq), emb.slice(0, nq, n), dkeys, log_scale, o_.symmetric, dots, losses,
                            correct, static_cast<float>(1.0 / norm), g_.view({nq, n - nq}, DType::kF32),
                            demb.slice(0, 0, nq), demb.slice(0, nq, n), dls);
    } else {
      ops::info_nce<Device>(emb.slice(0, 0, nq), emb.slice(0, nq, n), dkeys, log_scale, o_.symmetric, dots, losses,
                            correct);
    }
    // The accuracy's count, on the device; read by last_accuracy().
    DeviceAllocator<Device>::fill_zero(correct_sum_.raw(), sizeof(double));
    ops::accumulate_sum(TensorView<Device>(correct), correct_sum_.template data<double>());
    last_count_ = nq;
    res.tokens = nq;
    // The loss sum: added on the device where asked (a GPU step then waits for nothing); read on
    // the host on the CPU, and on a GPU only when no device sum is asked (evaluation).
    if (options.loss_sum) ops::accumulate_sum(TensorView<Device>(losses), options.loss_sum);
    if (std::is_same_v<Device, Cpu> || !options.loss_sum) {
      TensorView<Cpu> host;
      if constexpr (std::is_same_v<Device, Cpu>) {
        host = losses;
      } else {
        host = host_losses_.view(losses.shape(), DType::kF32);
        download(losses, host);
      }
      for (std::int64_t i = 0; i < host.numel(); ++i) res.sum += host.data<const float>()[i];
      res.loss = res.sum / static_cast<double>(nq);
    }
    if (train) {
      for (std::int64_t k = 0; k < chunks; ++k) {
        const std::int64_t r0 = k * chunk, r1 = std::min(n, r0 + chunk);
        if (chunks > 1) (void)forward_chunk(k);  // one chunk: its activations are still there
        else set_gen(g0);
        e_.backward(demb.slice(0, r0, r1));
      }
    }
    if (!adapters.empty()) set_gen(g0 + static_cast<std::uint64_t>(train ? chunks : 0));
    return res;
  }

  Embedder<Device>& e_;
  ContrastiveOptions o_;
  nn::Param<Device> logit_scale_;
  Tensor<Device> correct_sum_;  // (1) F64: the last call's correct count
  std::int64_t last_count_ = 0;
  std::vector<std::int64_t> order_, chunk_offset_, chunk_width_, present_;
  std::vector<std::int32_t> toks_;
  std::vector<nn::LoraAdapter<Device>*> adapters_;
  nn::Buffer<Cpu> ids_, mask_, cids_, cmask_, keys_, host_losses_;
  nn::Buffer<Device> dcids_, dkeys_, emb_, demb_, dots_, g_, losses_, correct_;
};

/// The contrastive model of an Embedder<Cpu>, for train::Trainer<Full or Lora, Cpu, ContrastiveModel>.
using ContrastiveModel = BasicContrastiveModel<Cpu>;

/// LoRA targets of the contrastive model: its embedder's.
template <class Device>
void visit_linears(BasicContrastiveModel<Device>& m, const std::type_identity_t<nn::LinearVisitor<Device>>& fn) {
  visit_linears(m.embedder(), fn);
}

}  // namespace dapt::embed
