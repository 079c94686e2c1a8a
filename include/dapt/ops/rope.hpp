/// @file rope.hpp
/// @brief Rotary position embedding on any device. `RopeTable` holds the inverse frequencies of a
/// config.json's rotary settings, computed in float32 with the operations, in the order,
/// that Hugging Face transformers uses (default, linear and llama3 scaling), and cos/sin tables
/// indexed by position that grow on demand. `rope_forward` rotates q or k (B, T, H, hd) in place
/// at the given positions (HF `rotate_half` layout); `rope_backward` applies the transpose. The
/// rotated tensor is F32, or BF16 on the GPU (rotated in fp32 with the fp32 tables).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "dapt/backend/cpu/rope.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/ops/detail/dispatch.hpp"

namespace dapt::ops {

namespace detail {

/// Returns `v` rounded to float through memory, so the compiler cannot fuse the product that
/// produced it into a following add (-ffp-contract=fast would): torch rounds every operation.
inline float rope_round_f32(float v) noexcept {
  volatile float r = v;
  return r;
}

}  // namespace detail

/// Inverse frequencies and cos/sin tables of the rotary embedding of one model.
///
/// The tables hold rows [0, max_positions()); kernels reject a position outside them, so call
/// `ensure(largest position + 1)` before a batch (it allocates only when the table must grow).
/// Angles are pos * inv_freq evaluated in double and rounded once to float, so the tables are at
/// least as accurate as transformers' float32 `inv_freq @ positions` at every position.
/// `ensure` is not thread-safe; the kernels only read.
class RopeTable {
 public:
  RopeTable() = default;

  /// Validates `config` (kConfig naming the field) and `head_dim` (positive and even,
  /// kInvalidArgument) and precomputes `max_positions` rows.
  RopeTable(const io::RopeConfig& config, std::int64_t head_dim, std::int64_t max_positions = 0)
      : config_(config), head_dim_(head_dim), inv_freq_(compute_inv_freq(config, head_dim)) {
    ensure(max_positions);
  }

  /// inv_freq (hd/2) exactly as transformers' ROPE_INIT_FUNCTIONS computes it on the CPU in
  /// float32 (`_compute_default_rope_parameters`, `_compute_linear_scaling_rope_parameters`,
  /// `_compute_llama3_parameters`), including the order of its float operations.
  static std::vector<float> compute_inv_freq(const io::RopeConfig& config, std::int64_t head_dim) {
    DAPT_CHECK(head_dim > 0 && head_dim % 2 == 0, "RopeTable: head_dim must be positive and even, got ", head_dim);
    DAPT_CHECK_AS(kConfig, config.theta > 0 && std::isfinite(config.theta),
                  "RopeTable: rope_theta must be positive and finite, got ", config.theta);
    if (config.type != io::RopeType::kDefault) {
      DAPT_CHECK_AS(kConfig, config.factor > 0 && std::isfinite(config.factor),
                    "RopeTable: rope scaling \"factor\" must be positive and finite, got ", config.factor);
    }
    if (config.type == io::RopeType::kLlama3) {
      DAPT_CHECK_AS(kConfig, config.low_freq_factor > 0 && config.high_freq_factor > config.low_freq_factor,
                    "RopeTable: llama3 rope scaling needs 0 < low_freq_factor < high_freq_factor, got ",
                    config.low_freq_factor, " and ", config.high_freq_factor);
      DAPT_CHECK_AS(kConfig, config.original_max_position_embeddings > 0,
                    "RopeTable: llama3 rope scaling needs a positive original_max_position_embeddings, got ",
                    config.original_max_position_embeddings);
    }
    const std::int64_t half = head_dim / 2;
    std::vector<float> inv(static_cast<std::size_t>(half));
    // torch: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), all float32. A correctly rounded
    // float pow is what torch's powf returns for these arguments.
    const float base = static_cast<float>(config.theta);
    for (std::int64_t i = 0; i < half; ++i) {
      const float e = static_cast<float>(2 * i) / static_cast<float>(head_dim);
      const float p = static_cast<float>(std::pow(static_cast<double>(base), static_cast<double>(e)));
      inv[static_cast<std::size_t>(i)] = 1.0f / p;
    }
    const float factor = static_cast<float>(config.factor);
    if (config.type == io::RopeType::kLinear) {
      for (float& f : inv) f = f / factor;
    } else if (config.type == io::RopeType::kLlama3) {
      // Python scalars meet float32 tensors, so each scalar is rounded to float first, and
      // `scalar / tensor` is torch's `tensor.reciprocal() * scalar`.
      const double old_len = static_cast<double>(config.original_max_position_embeddings);
      const float low_wavelen = static_cast<float>(old_len / config.low_freq_factor);
      const float high_wavelen = static_cast<float>(old_len / config.high_freq_factor);
      const float two_pi = static_cast<float>(2.0 * std::numbers::pi);
      const float old_len_f = static_cast<float>(old_len);
      const float low_f = static_cast<float>(config.low_freq_factor);
      const float band = static_cast<float>(config.high_freq_factor - config.low_freq_factor);
      for (float& f : inv) {
        const float wavelen = detail::rope_round_f32((1.0f / f) * two_pi);
        const float llama = wavelen > low_wavelen ? f / factor : f;
        const float smooth = (detail::rope_round_f32((1.0f / wavelen) * old_len_f) - low_f) / band;
        const float smoothed = ((1.0f - smooth) * llama) / factor + detail::rope_round_f32(smooth * llama);
        const bool medium = !(wavelen < high_wavelen) && !(wavelen > low_wavelen);
        f = medium ? smoothed : llama;
      }
    }
    return inv;
  }

  /// Grows the tables to hold at least `max_positions` rows (positions [0, max_positions)).
  /// Growth at least doubles, so a decode loop calling ensure(pos + 1) reallocates O(log n) times.
  void ensure(std::int64_t max_positions) {
    DAPT_CHECK(max_positions >= 0 && max_positions <= kMaxRows, "RopeTable::ensure: max_positions must be in [0, ",
               kMaxRows, "], got ", max_positions);
    DAPT_CHECK(head_dim_ > 0 || max_positions == 0, "RopeTable::ensure on a default-constructed table");
    if (max_positions <= rows_) return;
    const std::int64_t rows = std::max(max_positions, std::min<std::int64_t>(2 * rows_, kMaxRows));
    const std::int64_t half = head_dim_ / 2;
    cos_.resize(static_cast<std::size_t>(rows * half));
    sin_.resize(static_cast<std::size_t>(rows * half));
    const std::int64_t first = rows_;
    parallel_for(first, rows, [&](std::int64_t p) {
      float* c = cos_.data() + p * half;
      float* s = sin_.data() + p * half;
      for (std::int64_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(p) * static_cast<double>(inv_freq_[static_cast<std::size_t>(i)]);
        c[i] = static_cast<float>(std::cos(angle));
        s[i] = static_cast<float>(std::sin(angle));
      }
    }, 256);
    rows_ = rows;
  }

  const io::RopeConfig& config() const noexcept { return config_; }
  std::int64_t head_dim() const noexcept { return head_dim_; }
  /// Rows in the tables: positions [0, max_positions()) are valid.
  std::int64_t max_positions() const noexcept { return rows_; }
  /// (hd/2)
  std::span<const float> inv_freq() const noexcept { return inv_freq_; }
  /// (max_positions, hd/2), row-major.
  const float* cos_data() const noexcept { return cos_.data(); }
  /// (max_positions, hd/2), row-major.
  const float* sin_data() const noexcept { return sin_.data(); }
  /// The (cos, sin) tables where kernels of `Device` read them: the host tables on the CPU; on
  /// another device a copy in its memory, made on first use and again after the tables grew
  /// (so, like `ensure`, it allocates only on growth). One such device per table.
  template <class Device>
  std::pair<const float*, const float*> tables() const {
    if constexpr (std::is_same_v<Device, Cpu>) {
      return {cos_.data(), sin_.data()};
    } else {
      const std::size_t bytes = cos_.size() * sizeof(float);
      if (mirror_rows_ != rows_ || !mirror_) {
        auto storage = DeviceAllocator<Device>::allocate(2 * bytes);
        DeviceAllocator<Device>::copy_from_host(storage.get(), cos_.data(), bytes);
        DeviceAllocator<Device>::copy_from_host(storage.get() + bytes, sin_.data(), bytes);
        mirror_ = std::move(storage);
        mirror_rows_ = rows_;
      }
      return {reinterpret_cast<const float*>(mirror_.get()), reinterpret_cast<const float*>(mirror_.get() + bytes)};
    }
  }
  /// transformers' `attention_scaling` (multiplies cos and sin): 1 for default, linear and llama3.
  float attention_scaling() const noexcept { return 1.0f; }

  /// Positions are int32, so no table needs more rows than this.
  static constexpr std::int64_t kMaxRows = std::int64_t{1} << 31;

 private:
  io::RopeConfig config_;
  std::int64_t head_dim_ = 0;
  std::int64_t rows_ = 0;
  std::vector<float> inv_freq_;  // (hd/2)
  std::vector<float> cos_;       // (rows, hd/2)
  std::vector<float> sin_;       // (rows, hd/2)
  mutable std::shared_ptr<std::byte> mirror_;  // cos then sin on a non-CPU device (tables<Device>)
  mutable std::int64_t mirror_rows_ = -1;
};

namespace detail {

template <class Device>
void check_rope_args(const char* fn, const char* xname, const TensorView<Device>& x,
                     const TensorView<Device>& positions, const RopeTable& table) {
  reject_cpu_bf16<Device>(x.dtype(), xname, fn);
  DAPT_CHECK_AS(kDtype, is_storage_dtype<Device>(x.dtype()), fn, ": ", xname, " must be ", storage_dtypes<Device>(),
                ", got ", dtype_name(x.dtype()));
  DAPT_CHECK_AS(kShape, x.rank() == 4, fn, ": ", xname, " must be (B, T, H, hd), got shape ", x.shape().str());
  check_contiguous<Device>(fn, {{xname, &x}});
  DAPT_CHECK_AS(kShape, x.dim(3) == table.head_dim(), fn, ": ", xname, " of shape ", x.shape().str(),
                " has head_dim ", x.dim(3), " but the RopeTable was built for head_dim ", table.head_dim());
  DAPT_CHECK_AS(kDtype, positions.dtype() == DType::kI32, fn, ": positions must be I32, got ",
                dtype_name(positions.dtype()));
  DAPT_CHECK_AS(kShape, positions.shape() == Shape({x.dim(0), x.dim(1)}), fn, ": positions has shape ",
                positions.shape().str(), ", expected (B, T) = (", x.dim(0), ", ", x.dim(1), ") to match ", xname,
                " of shape ", x.shape().str());
  check_contiguous<Device>(fn, {{"positions", &positions}});
}

}  // namespace detail

/// Rotates x (B, T, H, hd) in place: each head vector at token (b, t) by positions[b, t] (B, T)
/// times inv_freq. On the CPU a position outside [0, table.max_positions()) throws kOutOfRange;
/// the CUDA kernel cannot throw without a host synchronisation and writes NaN for that token.
template <class Device>
void rope_forward(const TensorView<Device>& x, const TensorView<Device>& positions, const RopeTable& table) {
  detail::check_rope_args("rope_forward", "x", x, positions, table);
  const auto tabs = table.template tables<Device>();
  detail::with_storage_type<Device>(x.dtype(), "rope_forward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::RopeKernels<Device>::forward(x.template data<T>(), positions.template data<const std::int32_t>(),
                                          x.dim(0) * x.dim(1), x.dim(2), x.dim(3), tabs.first, tabs.second,
                                          table.max_positions());
  });
}

/// The gradient of rope_forward: rotates dx (B, T, H, hd) in place by the opposite angles.
template <class Device>
void rope_backward(const TensorView<Device>& dx, const TensorView<Device>& positions, const RopeTable& table) {
  detail::check_rope_args("rope_backward", "dx", dx, positions, table);
  const auto tabs = table.template tables<Device>();
  detail::with_storage_type<Device>(dx.dtype(), "rope_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::RopeKernels<Device>::backward(dx.template data<T>(), positions.template data<const std::int32_t>(),
                                           dx.dim(0) * dx.dim(1), dx.dim(2), dx.dim(3), tabs.first, tabs.second,
                                           table.max_positions());
  });
}

}  // namespace dapt::ops
