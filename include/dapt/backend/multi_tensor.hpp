/// @file multi_tensor.hpp
/// @brief The argument types of the optimizer family's multi-tensor members
/// (`OptimKernels<Device>::adamw_multi`, `grad_norm_squared_multi`): a list of parameters updated,
/// or gradients reduced, by one call. Plain host structs of device pointers, shared by every
/// backend; on a GPU the list travels as a kernel argument, so nothing is copied.
#pragma once

#include <cstdint>

#include "dapt/core/dtype.hpp"

namespace dapt::backend {

/// One parameter of a multi-tensor AdamW step. Everything is fp32 except the optional bf16 copy
/// that a mixed-precision forward pass reads (DESIGN §4).
struct AdamwTensor {
  float* master = nullptr;        // (n,) fp32 master weights, updated in place
  const float* grad = nullptr;    // (n,) fp32 gradient (not written)
  float* m = nullptr;             // (n,) first moment, updated in place
  float* v = nullptr;             // (n,) second moment, updated in place
  bf16* copy = nullptr;           // (n,) nullable: receives bf16(master) after the update
  std::int64_t n = 0;             // elements (0 is allowed and does nothing)
  double weight_decay = 0.0;      // this tensor's decay (0 for norms and biases)
  double bias_correction1 = 1.0;  // 1 - beta1^t for this tensor's own step t (from 1)
  double bias_correction2 = 1.0;  // 1 - beta2^t
};

/// The hyper-parameters shared by the tensors of one multi-tensor step (doubles, as in torch).
struct AdamwHyper {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  /// Multiplies each gradient as it is read when no device scale is given (rounded to float once).
  double grad_scale = 1.0;
};

/// One gradient of a multi-tensor sum of squares.
struct GradTensor {
  const float* data = nullptr;  // (n,)
  std::int64_t n = 0;
};

}  // namespace dapt::backend
