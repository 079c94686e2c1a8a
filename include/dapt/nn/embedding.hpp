/// @file embedding.hpp
/// @brief `Embedding`: token ids (any shape, int32) to rows of a (vocab, dim) table. Its input is
/// not differentiable, so backward only adds into the table's gradient and returns an empty view.
#pragma once

#include <cstdint>
#include <string>

#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/linear.hpp"
#include "dapt/ops/embedding.hpp"

namespace dapt::nn {

template <class Device>
class Embedding {
 public:
  Embedding() = default;
  Embedding(std::int64_t vocab, std::int64_t dim) : vocab_(vocab), dim_(dim), weight_(Tensor<Device>::zeros({vocab, dim}, DType::kF32)) {
    DAPT_CHECK(vocab > 0 && dim > 0, "Embedding: vocab and dim must be positive, got ", vocab, " and ", dim);
  }

  std::int64_t vocab_size() const noexcept { return vocab_; }
  std::int64_t dim() const noexcept { return dim_; }
  Param<Device>& weight() noexcept { return weight_; }

  void init(Rng& rng, float std) requires std::is_same_v<Device, Cpu> { init_normal(weight_, rng, std); }

  /// ids (...) int32 -> (..., dim), in the table's compute dtype (which sets the model's activations).
  TensorView<Device> forward(const TensorView<Device>& ids) {
    ids_ = ids;
    Shape s;
    std::array<std::int64_t, kMaxRank> d{};
    for (int i = 0; i < ids.rank(); ++i) d[static_cast<std::size_t>(i)] = ids.dim(i);
    d[static_cast<std::size_t>(ids.rank())] = dim_;
    s = Shape(std::span<const std::int64_t>(d.data(), static_cast<std::size_t>(ids.rank() + 1)));
    TensorView<Device> y = y_.view(s, weight_.compute_dtype());
    ops::embedding_forward(weight_.compute().view(), ids, y);
    return y;
  }

  /// Adds dy (..., dim) into the table's gradient at the forward ids; returns an empty view.
  TensorView<Device> backward(const TensorView<Device>& dy) {
    if (weight_.trainable()) ops::embedding_backward(dy, ids_, weight_.grad().view());
    return TensorView<Device>();
  }

  void visit_parameters(const ParamVisitor<Device>& fn, const std::string& prefix = "") { fn(prefix + "weight", weight_); }

  void visit_buffers(const BufferVisitor<Device>& fn) { fn(y_); }

  /// Replaces the table (vocabulary resizing); keeps trainability.
  void reset_table(Tensor<Device> table) {
    vocab_ = table.dim(0);
    weight_.reset(std::move(table));
  }

 private:
  std::int64_t vocab_ = 0, dim_ = 0;
  Param<Device> weight_;
  TensorView<Device> ids_;
  Buffer<Device> y_;
};

}  // namespace dapt::nn
