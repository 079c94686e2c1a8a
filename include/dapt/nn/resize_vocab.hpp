/// @file resize_vocab.hpp
/// @brief Grows a model's vocabulary for an augmented tokenizer, with ChipNeMo's initialisation
/// (arXiv 2311.00176, section 2.2): the input embedding of each new token is the mean of the
/// embeddings of the base tokens it decomposes into (what the base tokenizer would have produced
/// for its text), and its output (`lm_head`) row is zero, so the resized model's predictions over
/// the base vocabulary are unchanged at first and every new token starts with logit 0.
///
/// Tied models share one matrix for input and output, so the zero and the mean cannot both hold;
/// dapt uses the mean there: a new token's logit is then the mean of its sub-tokens' logits, and
/// the logits of base tokens are still unchanged. Rows that no new token claims (padding to a
/// multiple, or ids the caller skipped) get the mean of all base embeddings and a zero output row.
/// Optimizer state of the two matrices no longer matches their shape afterwards: resize before
/// training starts, or start a new optimizer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/tokenizer/merge.hpp"

namespace dapt::nn {

struct ResizeVocabOptions {
  /// Round the new vocabulary size up to a multiple of this (64 suits GEMM tiles); 0 or 1: no padding.
  std::int64_t pad_to_multiple_of = 0;
  /// Minimum vocabulary size after resizing (e.g. the augmented tokenizer's size); 0: the largest
  /// new id + 1.
  std::int64_t min_vocab_size = 0;
};

/// Resizes `model` so that every `new_tokens[i].id` has a row, initialised from its
/// `decomposition` (base ids, each below the current vocabulary size). Returns the new size.
/// Throws kInvalidArgument for an empty decomposition, a decomposition id that is not a base id,
/// or a new id listed twice or below the current vocabulary.
inline std::int64_t resize_vocab(Llama<Cpu>& model, std::span<const tokenizer::NewToken> new_tokens,
                                 const ResizeVocabOptions& opt = {}) {
  const std::int64_t old_v = model.config().vocab_size, c = model.config().hidden_size;
  std::int64_t v = std::max(old_v, opt.min_vocab_size);
  for (const auto& t : new_tokens) {
    DAPT_CHECK(t.id >= old_v, "resize_vocab: new token id ", t.id, " (\"", t.content, "\") is not above the current vocabulary of ",
               old_v, " rows");
    v = std::max<std::int64_t>(v, std::int64_t{t.id} + 1);
  }
  if (opt.pad_to_multiple_of > 1) v = (v + opt.pad_to_multiple_of - 1) / opt.pad_to_multiple_of * opt.pad_to_multiple_of;
  const bool tied = model.config().tie_word_embeddings;

  const float* e_old = model.embed_tokens().weight().value().data<const float>();
  Tensor<Cpu> embed = Tensor<Cpu>::empty({v, c}, DType::kF32);
  float* e = embed.data<float>();
  std::copy(e_old, e_old + old_v * c, e);
  // Rows nobody claims: the mean of the base table.
  std::vector<double> mean(static_cast<std::size_t>(c), 0.0);
  for (std::int64_t i = 0; i < old_v; ++i)
    for (std::int64_t j = 0; j < c; ++j) mean[static_cast<std::size_t>(j)] += e_old[i * c + j];
  for (std::int64_t i = old_v; i < v; ++i)
    for (std::int64_t j = 0; j < c; ++j) e[i * c + j] = static_cast<float>(mean[static_cast<std::size_t>(j)] / static_cast<double>(old_v));

  std::vector<char> claimed(static_cast<std::size_t>(v - old_v), 0);
  for (const auto& t : new_tokens) {
    DAPT_CHECK(!t.decomposition.empty(), "resize_vocab: new token ", t.id, " (\"", t.content, "\") has an empty decomposition");
    auto& seen = claimed[static_cast<std::size_t>(t.id - old_v)];
    DAPT_CHECK(!seen, "resize_vocab: new token id ", t.id, " is listed twice");
    seen = 1;
    std::vector<double> acc(static_cast<std::size_t>(c), 0.0);
    for (const auto d : t.decomposition) {
      DAPT_CHECK(d >= 0 && d < old_v, "resize_vocab: the decomposition of new token ", t.id, " (\"", t.content,
                 "\") uses id ", d, ", which is not a base id (below ", old_v, ")");
      for (std::int64_t j = 0; j < c; ++j) acc[static_cast<std::size_t>(j)] += e_old[std::int64_t{d} * c + j];
    }
    const double n = static_cast<double>(t.decomposition.size());
    for (std::int64_t j = 0; j < c; ++j) e[std::int64_t{t.id} * c + j] = static_cast<float>(acc[static_cast<std::size_t>(j)] / n);
  }

  Tensor<Cpu> head;
  if (!tied) {
    const float* h_old = model.lm_head().weight().value().data<const float>();
    head = Tensor<Cpu>::zeros({v, c}, DType::kF32);
    std::copy(h_old, h_old + old_v * c, head.data<float>());
  }
  model.reset_vocab(std::move(embed), std::move(head));
  return v;
}

}  // namespace dapt::nn
