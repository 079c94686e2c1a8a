/// @file dispatch.hpp
/// @brief The storage-type rules shared by the op facades (DESIGN §4, mixed precision). An op's
/// "storage" operands — activations, their gradients and the bf16 weight copies a forward reads —
/// are F32 on every device and may be BF16 on the GPU; all storage operands of one call share one
/// dtype. Parameter gradients, RMSNorm's rstd, attention's lse, per-token losses, pooling norms
/// and optimizer tensors stay F32 everywhere. The CPU kernels are F32 only: a BF16 operand on
/// `Cpu` throws kDtype, and the BF16 branch is never instantiated for `Cpu`.
///
/// A facade checks its operands with these helpers, then runs the kernel for the storage type:
/// ```cpp
/// detail::with_storage_type<Device>(x.dtype(), "linear_forward", [&](auto tag) {
///   using T = typename decltype(tag)::type;  // float, or dapt::bf16 (never on Cpu)
///   backend::MatmulKernels<Device>::linear_forward(x.template data<const T>(), ...);
/// });
/// ```
#pragma once

#include <cstddef>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "dapt/core/dtype.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::ops::detail {

/// Names a storage type for `with_storage_type`'s callback: `typename decltype(tag)::type`.
template <class T>
struct StorageTag {
  using type = T;
};

/// Whether `Device`'s kernels accept BF16 storage (every device but the CPU).
template <class Device>
inline constexpr bool kBf16Storage = !std::is_same_v<Device, Cpu>;

/// Whether `t` is a storage dtype of `Device`: F32, or BF16 off the CPU.
template <class Device>
constexpr bool is_storage_dtype(DType t) noexcept {
  return t == DType::kF32 || (kBf16Storage<Device> && t == DType::kBF16);
}

/// The storage dtypes of `Device`, for messages: "F32" on the CPU, "F32 or BF16" elsewhere.
template <class Device>
constexpr const char* storage_dtypes() noexcept {
  return kBf16Storage<Device> ? "F32 or BF16" : "F32";
}

/// On the CPU, throws kDtype when `t` is BF16 (`what` names the operand, `op`, when given, the
/// call); elsewhere does nothing.
template <class Device>
void reject_cpu_bf16(DType t, const char* what, const char* op = nullptr) {
  if constexpr (!kBf16Storage<Device>) {
    DAPT_CHECK_AS(kDtype, t != DType::kBF16, op ? op : "", op ? ": " : "", what,
                  " is BF16: BF16 activations need the CUDA backend (the CPU kernels are F32 only)");
  }
}

/// Checks that storage operand `t` holds F32 (or BF16 off the CPU). The message is
/// "<what> must be F32, got <dtype>" on the CPU, "... F32 or BF16 ..." elsewhere.
template <class Device>
void check_storage(const TensorView<Device>& t, const char* what) {
  reject_cpu_bf16<Device>(t.dtype(), what);
  DAPT_CHECK_AS(kDtype, is_storage_dtype<Device>(t.dtype()), what, " must be ", storage_dtypes<Device>(), ", got ",
                dtype_name(t.dtype()));
}

/// Checks that storage operand `t` (`what`) has the dtype `ref` of the call's first storage
/// operand `ref_what`: kDtype naming both when not.
template <class Device>
void check_same_storage(const char* op, const TensorView<Device>& t, const char* what, DType ref,
                        const char* ref_what) {
  DAPT_CHECK_AS(kDtype, t.dtype() == ref, op, ": ", what, " is ", dtype_name(t.dtype()), " but ", ref_what, " is ",
                dtype_name(ref), "; the activations and weight copies of one call must share one dtype");
}

/// One storage operand of a call: its name in messages and the view (null: absent, not checked).
template <class Device>
struct StorageOperand {
  const char* what;
  const TensorView<Device>* t;
};

/// Checks every present operand with `check_storage`, then that all share the first one's dtype
/// (naming the one that differs), and returns that dtype. `operands` must name at least one.
template <class Device>
DType common_storage(const char* op, std::initializer_list<StorageOperand<Device>> operands) {
  const StorageOperand<Device>* first = nullptr;
  for (const auto& o : operands) {
    if (!o.t) continue;
    check_storage(*o.t, o.what);
    if (!first) first = &o;
    else check_same_storage(op, *o.t, o.what, first->t->dtype(), first->what);
  }
  DAPT_CHECK(first != nullptr, op, ": no storage operand");
  return first->t->dtype();
}

/// kShape unless every view is contiguous (the kernels walk raw memory).
template <class Device>
void check_contiguous(const char* op, std::initializer_list<std::pair<const char*, const TensorView<Device>*>> views) {
  for (const auto& [what, t] : views)
    DAPT_CHECK_AS(kShape, t->is_contiguous(), op, ": ", what, " of shape ", t->shape().str(), " must be contiguous");
}

/// Checks an operand of a fixed dtype and shape (ids, lengths, statistics): kDtype unless `t`
/// (`name`) is `dtype`; kShape unless its shape is `expected` (`layout` spells it, e.g. "(B, T)",
/// and `relative_to` names the operand `ref` whose shape fixes it) and it is contiguous.
template <class Device>
void check_operand(const char* fn, const char* name, const TensorView<Device>& t, DType dtype, const Shape& expected,
                   const char* layout, const char* relative_to, const TensorView<Device>& ref) {
  DAPT_CHECK_AS(kDtype, t.dtype() == dtype, fn, ": ", name, " must be ", dtype_name(dtype), ", got ",
                dtype_name(t.dtype()));
  DAPT_CHECK_AS(kShape, t.shape() == expected, fn, ": ", name, " has shape ", t.shape().str(), ", expected ", layout,
                " = ", expected.str(), " to match ", relative_to, " of shape ", ref.shape().str());
  check_contiguous<Device>(fn, {{name, &t}});
}

/// Throws kInvalidArgument when output `out` (contiguous) shares memory with `other` (contiguous).
template <class Device>
void check_disjoint(const char* fn, const char* out_name, const TensorView<Device>& out, const char* other_name,
                    const TensorView<Device>& other) {
  if (!out.raw() || !other.raw() || out.nbytes() == 0 || other.nbytes() == 0) return;
  const auto* a = static_cast<const std::byte*>(out.raw());
  const auto* b = static_cast<const std::byte*>(other.raw());
  DAPT_CHECK(a + out.nbytes() <= b || b + other.nbytes() <= a, fn, ": ", out_name, " overlaps ", other_name,
             " in memory; the output needs its own buffer");
}

/// Checks that `t` holds F32: for the operands that stay fp32 on every device (parameter
/// gradients, rstd, lse, losses, norms, optimizer tensors). "<what> must be F32, got <dtype>",
/// with the mixed-precision rule added when it is BF16.
template <class Device>
void check_f32(const TensorView<Device>& t, const char* what) {
  DAPT_CHECK_AS(kDtype, t.dtype() != DType::kBF16, what,
                " must be F32, got BF16: it stays fp32 in mixed precision (only activations and weight copies may "
                "be BF16)");
  DAPT_CHECK_AS(kDtype, t.dtype() == DType::kF32, what, " must be F32, got ", dtype_name(t.dtype()));
}

/// Calls `fn(StorageTag<float>{})` for F32 and, off the CPU, `fn(StorageTag<bf16>{})` for BF16;
/// any other dtype throws kDtype naming `op`. On `Cpu` the BF16 branch is not instantiated and
/// BF16 throws kDtype ("BF16 activations need the CUDA backend"). Returns what `fn` returns.
template <class Device, class Fn>
std::invoke_result_t<Fn&&, StorageTag<float>> with_storage_type(DType dtype, const char* op, Fn&& fn) {
  if (dtype == DType::kF32) return std::forward<Fn>(fn)(StorageTag<float>{});
  if constexpr (kBf16Storage<Device>) {
    if (dtype == DType::kBF16) return std::forward<Fn>(fn)(StorageTag<bf16>{});
  } else {
    if (dtype == DType::kBF16)
      DAPT_FAIL(ErrorCategory::kDtype, op,
                ": BF16 activations need the CUDA backend (the CPU kernels are F32 only)");
  }
  DAPT_FAIL(ErrorCategory::kDtype, op, ": storage must be ", storage_dtypes<Device>(), ", got ", dtype_name(dtype));
}

}  // namespace dapt::ops::detail
