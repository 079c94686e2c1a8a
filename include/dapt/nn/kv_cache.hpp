/// @file kv_cache.hpp
/// @brief `KvCache`: the keys and values of every layer for a batch of sequences being generated,
/// (batch, capacity, kv_heads, head_dim) per layer, plus each row's length so far. It is allocated
/// once for a batch size and a capacity, so prefill and decode steps allocate nothing. Rows advance
/// independently: prompts of different lengths are prefilled row by row and then decoded together.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/hf_config.hpp"

namespace dapt::nn {

template <class Device>
class KvCache {
 public:
  KvCache() = default;
  /// `dtype` is the model's activation dtype (`Llama::compute_dtype()`): F32, or BF16 on the GPU.
  KvCache(const io::LlamaConfig& c, std::int64_t batch, std::int64_t capacity, DType dtype = DType::kF32)
      : batch_(batch), capacity_(capacity), kv_heads_(c.num_key_value_heads), head_dim_(c.head_dim) {
    DAPT_CHECK(batch > 0, "KvCache: batch must be positive, got ", batch);
    DAPT_CHECK(capacity > 0, "KvCache: capacity must be positive, got ", capacity);
    DAPT_CHECK_AS(kDtype, dtype == DType::kF32 || (dtype == DType::kBF16 && !std::is_same_v<Device, Cpu>),
                  "KvCache: keys and values are F32", (std::is_same_v<Device, Cpu> ? "" : " or BF16"), ", not ",
                  dtype_name(dtype));
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) {
      k_.push_back(Tensor<Device>::empty({batch, capacity, kv_heads_, head_dim_}, dtype));
      v_.push_back(Tensor<Device>::empty({batch, capacity, kv_heads_, head_dim_}, dtype));
    }
    lengths_ = Tensor<Cpu>::zeros({batch}, DType::kI32);
    if constexpr (!std::is_same_v<Device, Cpu>) device_lengths_ = Tensor<Device>::zeros({batch}, DType::kI32);
  }

  std::int64_t batch() const noexcept { return batch_; }
  std::int64_t capacity() const noexcept { return capacity_; }
  std::int64_t layers() const noexcept { return static_cast<std::int64_t>(k_.size()); }

  /// Keys / values of `layer` for rows [row0, row0 + rows): (rows, capacity, kv_heads, head_dim).
  TensorView<Device> keys(std::int64_t layer, std::int64_t row0, std::int64_t rows) const {
    return k_.at(static_cast<std::size_t>(layer)).view().slice(0, row0, row0 + rows);
  }
  TensorView<Device> values(std::int64_t layer, std::int64_t row0, std::int64_t rows) const {
    return v_.at(static_cast<std::size_t>(layer)).view().slice(0, row0, row0 + rows);
  }

  /// Tokens held by `row`.
  std::int32_t length(std::int64_t row) const { return lengths_.at<std::int32_t>({row}); }
  /// The lengths of rows [row0, row0 + rows) as an int32 host view.
  TensorView<Cpu> lengths(std::int64_t row0, std::int64_t rows) const { return lengths_.view().slice(0, row0, row0 + rows); }
  /// The same lengths in the cache's device memory (the host view on the CPU), for the attention
  /// kernel; kept equal to the host copy by every change below (a queued copy, no wait).
  TensorView<Device> device_lengths(std::int64_t row0, std::int64_t rows) const {
    if constexpr (std::is_same_v<Device, Cpu>) return lengths(row0, rows);
    else return device_lengths_.view().slice(0, row0, row0 + rows);
  }

  /// Records that rows [row0, row0 + rows) each received `tokens` more positions.
  void advance(std::int64_t row0, std::int64_t rows, std::int64_t tokens) {
    check_rows(row0, rows);
    for (std::int64_t b = row0; b < row0 + rows; ++b) {
      DAPT_CHECK_AS(kOutOfRange, length(b) + tokens <= capacity_, "KvCache: row ", b, " would hold ", length(b) + tokens,
                    " tokens, beyond its capacity of ", capacity_);
      lengths_.at<std::int32_t>({b}) += static_cast<std::int32_t>(tokens);
    }
    sync_lengths();
  }

  /// Empties every row (the storage is kept).
  void reset() {
    for (std::int64_t b = 0; b < batch_; ++b) lengths_.at<std::int32_t>({b}) = 0;
    sync_lengths();
  }
  void reset_row(std::int64_t row) {
    check_rows(row, 1);
    lengths_.at<std::int32_t>({row}) = 0;
    sync_lengths();
  }

  void check_rows(std::int64_t row0, std::int64_t rows) const {
    DAPT_CHECK_AS(kOutOfRange, row0 >= 0 && rows >= 0 && row0 + rows <= batch_, "KvCache: rows [", row0, ", ",
                  row0 + rows, ") outside a cache of ", batch_, " rows");
  }

 private:
  void sync_lengths() {
    if constexpr (!std::is_same_v<Device, Cpu>) upload(lengths_.view(), device_lengths_.view());
  }

  std::int64_t batch_ = 0, capacity_ = 0, kv_heads_ = 0, head_dim_ = 0;
  std::vector<Tensor<Device>> k_, v_;
  Tensor<Cpu> lengths_;
  Tensor<Device> device_lengths_;  // a device copy of lengths_ (unused on the CPU)
};

}  // namespace dapt::nn
