/// @file embedding.hpp
/// @brief Embedding lookup and its backward on any device: out[i] = table[ids[i]], and the
/// scatter-add of the output gradient into the table's gradient.
#pragma once

#include "dapt/backend/cpu/embedding.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::ops {

/// out (N, C) = table (V, C)[ids (N) int32]; out-of-vocabulary ids throw kOutOfRange.
template <class Device>
void embedding_forward(const TensorView<Device>& table, const TensorView<Device>& ids, const TensorView<Device>& out) {
  DAPT_CHECK_AS(kDtype, ids.dtype() == DType::kI32, "token ids must be I32, got ", dtype_name(ids.dtype()));
  DAPT_CHECK_AS(kShape, table.rank() == 2 && out.numel() == ids.numel() * table.dim(1), "embedding: table ",
                table.shape().str(), ", ids ", ids.shape().str(), ", out ", out.shape().str(), " do not agree");
  backend::EmbeddingKernels<Device>::gather(table.template data<const float>(), ids.template data<const std::int32_t>(),
                                            out.template data<float>(), ids.numel(), table.dim(1), table.dim(0));
}

/// dtable (V, C)[ids[i]] += dout[i].
template <class Device>
void embedding_backward(const TensorView<Device>& dout, const TensorView<Device>& ids, const TensorView<Device>& dtable) {
  DAPT_CHECK_AS(kShape, dtable.rank() == 2 && dout.numel() == ids.numel() * dtable.dim(1), "embedding backward: dout ",
                dout.shape().str(), ", ids ", ids.shape().str(), ", table gradient ", dtable.shape().str(),
                " do not agree");
  backend::EmbeddingKernels<Device>::scatter_add(dout.template data<const float>(), ids.template data<const std::int32_t>(),
                                                 dtable.template data<float>(), ids.numel(), dtable.dim(1),
                                                 dtable.dim(0));
}

}  // namespace dapt::ops
