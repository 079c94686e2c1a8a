/// @file embedding.hpp
/// @brief Embedding lookup and its backward on any device: out[i] = table[ids[i]], and the
/// scatter-add of the output gradient into the table's gradient. table, out and dout are F32, or
/// BF16 on the GPU (a bf16 weight copy and bf16 activations); dtable is always F32.
#pragma once

#include "dapt/backend/cpu/embedding.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/detail/dispatch.hpp"

namespace dapt::ops {

/// out (N, C) = table (V, C)[ids (N) int32]; out-of-vocabulary ids throw kOutOfRange. table and out
/// share one storage dtype.
template <class Device>
void embedding_forward(const TensorView<Device>& table, const TensorView<Device>& ids, const TensorView<Device>& out) {
  DAPT_CHECK_AS(kDtype, ids.dtype() == DType::kI32, "token ids must be I32, got ", dtype_name(ids.dtype()));
  DAPT_CHECK_AS(kShape, table.rank() == 2 && out.numel() == ids.numel() * table.dim(1), "embedding: table ",
                table.shape().str(), ", ids ", ids.shape().str(), ", out ", out.shape().str(), " do not agree");
  constexpr const char* fn = "embedding_forward";
  detail::check_contiguous<Device>(fn, {{"embedding table", &table}, {"token ids", &ids}, {"embedding output", &out}});
  const DType st = detail::common_storage<Device>(fn, {{"embedding table", &table}, {"embedding output", &out}});
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::EmbeddingKernels<Device>::gather(table.template data<const T>(), ids.template data<const std::int32_t>(),
                                              out.template data<T>(), ids.numel(), table.dim(1), table.dim(0));
  });
}

/// dtable (V, C)[ids[i]] += dout[i]. dout is F32 (or BF16 on the GPU); dtable is F32.
template <class Device>
void embedding_backward(const TensorView<Device>& dout, const TensorView<Device>& ids, const TensorView<Device>& dtable) {
  DAPT_CHECK_AS(kShape, dtable.rank() == 2 && dout.numel() == ids.numel() * dtable.dim(1), "embedding backward: dout ",
                dout.shape().str(), ", ids ", ids.shape().str(), ", table gradient ", dtable.shape().str(),
                " do not agree");
  detail::check_f32(dtable, "embedding table gradient");
  constexpr const char* fn = "embedding_backward";
  detail::check_contiguous<Device>(
      fn, {{"embedding output gradient", &dout}, {"token ids", &ids}, {"embedding table gradient", &dtable}});
  const DType st = detail::common_storage<Device>(fn, {{"embedding output gradient", &dout}});
  detail::with_storage_type<Device>(st, fn, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backend::EmbeddingKernels<Device>::scatter_add(dout.template data<const T>(),
                                                   ids.template data<const std::int32_t>(),
                                                   dtable.template data<float>(), ids.numel(), dtable.dim(1),
                                                   dtable.dim(0));
  });
}

}  // namespace dapt::ops
