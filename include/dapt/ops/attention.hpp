/// @file attention.hpp
/// @brief Grouped-query attention on any device: training forward (causal, or bidirectional for
/// embedders; with an optional block-diagonal document mask for packed sequences or padding) and
/// backward, and causal inference against a KV cache. Query head h uses kv head h / (H / Hkv). The facades check dtypes, shapes and
/// aliasing once, with messages that name the argument and both shapes, then call
/// `backend::AttentionKernels<Device>`. The kernels are tiled (FlashAttention-2): memory is
/// O(tile^2) per thread, never O(T^2). q, k, v, out, dout, dq, dk, dv and the KV cache are F32,
/// or all BF16 on the GPU (mixed precision; softmax in fp32); lse is always F32.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "dapt/backend/cpu/attention.hpp"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/ops/detail/dispatch.hpp"

namespace dapt::ops {

namespace detail {

/// Checks that storage argument `name` is F32 (or BF16 off the CPU) and, unless it is q, has q's dtype.
template <class Device>
void check_attention_storage(const char* fn, const char* name, const TensorView<Device>& t,
                             const TensorView<Device>& q) {
  reject_cpu_bf16<Device>(t.dtype(), name, fn);
  DAPT_CHECK_AS(kDtype, is_storage_dtype<Device>(t.dtype()), fn, ": ", name, " must be ", storage_dtypes<Device>(),
                ", got ", dtype_name(t.dtype()));
  if (&t != &q) check_same_storage(fn, t, name, q.dtype(), "q");
}

/// check_operand for a storage argument: q's dtype (F32, or BF16 off the CPU).
template <class Device>
void check_attention_storage_arg(const char* fn, const char* name, const TensorView<Device>& t,
                                 const TensorView<Device>& q, const Shape& expected, const char* layout,
                                 const char* relative_to, const TensorView<Device>& ref) {
  check_attention_storage(fn, name, t, q);
  check_operand(fn, name, t, q.dtype(), expected, layout, relative_to, ref);
}

/// Checks q: F32 (or BF16 off the CPU), contiguous, (B, T, H, hd) with hd > 0.
template <class Device>
void check_attention_query(const char* fn, const TensorView<Device>& q) {
  check_attention_storage(fn, "q", q, q);
  DAPT_CHECK_AS(kShape, q.rank() == 4, fn, ": q must be (B, T, H, hd), got shape ", q.shape().str());
  check_contiguous<Device>(fn, {{"q", &q}});
  DAPT_CHECK_AS(kShape, q.dim(3) > 0, fn, ": q of shape ", q.shape().str(), " has head_dim 0");
}

/// Checks k (rank 4, same B and hd as q; its T is `seq`) and that its heads divide q's.
template <class Device>
void check_attention_key(const char* fn, const char* name, const TensorView<Device>& k, const TensorView<Device>& q,
               std::int64_t seq) {
  check_attention_storage(fn, name, k, q);
  DAPT_CHECK_AS(kShape, k.rank() == 4 && k.dim(0) == q.dim(0) && k.dim(1) == seq && k.dim(3) == q.dim(3), fn,
                ": ", name, " has shape ", k.shape().str(), ", expected (", q.dim(0), ", ", seq, ", Hkv, ", q.dim(3),
                ") to match q of shape ", q.shape().str());
  DAPT_CHECK_AS(kShape, k.dim(2) > 0 && q.dim(2) % k.dim(2) == 0, fn, ": q of shape ", q.shape().str(), " has ",
                q.dim(2), " heads, not a multiple of the ", k.dim(2), " kv heads of ", name, " of shape ",
                k.shape().str());
  check_contiguous<Device>(fn, {{name, &k}});
}

inline void check_attention_scale(const char* fn, float scale) {
  DAPT_CHECK(std::isfinite(scale), fn, ": scale must be finite, got ", scale);
}

/// Checks segment_ids: absent (no storage) or I32 (B, T) matching q.
template <class Device>
void check_attention_segments(const char* fn, const TensorView<Device>& seg, const TensorView<Device>& q) {
  if (!seg.raw()) return;
  check_operand(fn, "segment_ids", seg, DType::kI32, Shape{q.dim(0), q.dim(1)}, "(B, T)", "q", q);
}

}  // namespace detail

/// Attention forward.
///   q           (B, T, H, hd)    F32, or BF16 on the GPU
///   k, v        (B, T, Hkv, hd)  q's dtype, H % Hkv == 0
///   segment_ids (B, T) I32, or an empty view: query i sees key j iff j <= i (when `causal`)
///               and, when given, segment_ids[b, j] == segment_ids[b, i] (documents packed into
///               one row; padding as its own segment)
///   out         (B, T, H, hd)    q's dtype, written
///   lse         (B, H, T)        F32, written: log-sum-exp of each query's scaled scores (for backward)
///   scale       usually 1 / sqrt(hd)
///   causal      false: every query sees every key of its segment (bidirectional encoder)
template <class Device>
void attention_forward(const TensorView<Device>& q, const TensorView<Device>& k, const TensorView<Device>& v,
                       const TensorView<Device>& segment_ids, const TensorView<Device>& out,
                       const TensorView<Device>& lse, float scale, bool causal = true) {
  constexpr const char* fn = "attention_forward";
  detail::check_attention_query(fn, q);
  const std::int64_t B = q.dim(0), T = q.dim(1), H = q.dim(2), hd = q.dim(3);
  detail::check_attention_key(fn, "k", k, q, T);
  detail::check_attention_storage_arg(fn, "v", v, q, k.shape(), "the shape of k", "k", k);
  const std::int64_t Hkv = k.dim(2);
  detail::check_attention_segments(fn, segment_ids, q);
  detail::check_attention_storage_arg(fn, "out", out, q, q.shape(), "(B, T, H, hd)", "q", q);
  detail::check_operand(fn, "lse", lse, DType::kF32, Shape{B, H, T}, "(B, H, T)", "q", q);
  detail::check_attention_scale(fn, scale);
  for (const auto& [name, t] : {std::pair{"q", q}, std::pair{"k", k}, std::pair{"v", v}}) {
    detail::check_disjoint(fn, "out", out, name, t);
    detail::check_disjoint(fn, "lse", lse, name, t);
  }
  detail::check_disjoint(fn, "out", out, "lse", lse);
  detail::with_storage_type<Device>(q.dtype(), fn, [&](auto tag) {
    using E = typename decltype(tag)::type;  // the storage type (T names the sequence length)
    backend::AttentionKernels<Device>::forward(
        q.template data<const E>(), k.template data<const E>(), v.template data<const E>(),
        segment_ids.raw() ? segment_ids.template data<const std::int32_t>() : nullptr, out.template data<E>(),
        lse.template data<float>(), B, T, H, Hkv, hd, scale, causal);
  });
}

/// Gradients of attention_forward. q, k, v, segment_ids, scale, causal as given to forward; out (B, T, H, hd)
/// and lse (B, H, T) as it wrote them; dout (B, T, H, hd). Writes (does not add) dq (B, T, H, hd)
/// and dk, dv (B, T, Hkv, hd). Every tensor but segment_ids and lse (F32) has q's dtype.
template <class Device>
void attention_backward(const TensorView<Device>& q, const TensorView<Device>& k, const TensorView<Device>& v,
                        const TensorView<Device>& segment_ids, const TensorView<Device>& out,
                        const TensorView<Device>& lse, const TensorView<Device>& dout, const TensorView<Device>& dq,
                        const TensorView<Device>& dk, const TensorView<Device>& dv, float scale,
                        bool causal = true) {
  constexpr const char* fn = "attention_backward";
  detail::check_attention_query(fn, q);
  const std::int64_t B = q.dim(0), T = q.dim(1), H = q.dim(2), hd = q.dim(3);
  detail::check_attention_key(fn, "k", k, q, T);
  detail::check_attention_storage_arg(fn, "v", v, q, k.shape(), "the shape of k", "k", k);
  const std::int64_t Hkv = k.dim(2);
  detail::check_attention_segments(fn, segment_ids, q);
  detail::check_attention_storage_arg(fn, "out", out, q, q.shape(), "(B, T, H, hd)", "q", q);
  detail::check_operand(fn, "lse", lse, DType::kF32, Shape{B, H, T}, "(B, H, T)", "q", q);
  detail::check_attention_storage_arg(fn, "dout", dout, q, q.shape(), "(B, T, H, hd)", "q", q);
  detail::check_attention_storage_arg(fn, "dq", dq, q, q.shape(), "(B, T, H, hd)", "q", q);
  detail::check_attention_storage_arg(fn, "dk", dk, q, k.shape(), "(B, T, Hkv, hd)", "k", k);
  detail::check_attention_storage_arg(fn, "dv", dv, q, k.shape(), "(B, T, Hkv, hd)", "k", k);
  detail::check_attention_scale(fn, scale);
  const std::pair<const char*, TensorView<Device>> inputs[] = {{"q", q},     {"k", k},     {"v", v},
                                                               {"out", out}, {"lse", lse}, {"dout", dout},
                                                               {"segment_ids", segment_ids}};
  const std::pair<const char*, TensorView<Device>> grads[] = {{"dq", dq}, {"dk", dk}, {"dv", dv}};
  for (const auto& [gname, g] : grads) {
    for (const auto& [iname, t] : inputs) detail::check_disjoint(fn, gname, g, iname, t);
  }
  detail::check_disjoint(fn, "dq", dq, "dk", dk);
  detail::check_disjoint(fn, "dq", dq, "dv", dv);
  detail::check_disjoint(fn, "dk", dk, "dv", dv);
  detail::with_storage_type<Device>(q.dtype(), fn, [&](auto tag) {
    using E = typename decltype(tag)::type;  // the storage type (T names the sequence length)
    backend::AttentionKernels<Device>::backward(
        q.template data<const E>(), k.template data<const E>(), v.template data<const E>(),
        segment_ids.raw() ? segment_ids.template data<const std::int32_t>() : nullptr, out.template data<const E>(),
        lse.template data<const float>(), dout.template data<const E>(), dq.template data<E>(),
        dk.template data<E>(), dv.template data<E>(), B, T, H, Hkv, hd, scale, causal);
  });
}

/// Appends Tq new keys and values per batch row to a KV cache (inference), in one call:
/// k_cache[b, past[b] + t] = k[b, t] and v_cache[b, past[b] + t] = v[b, t].
///   k, v     (B, Tq, Hkv, hd) F32, or BF16 on the GPU
///   k_cache, v_cache (B, S, Hkv, hd) k's dtype, capacity S; positions [past[b], past[b] + Tq)
///            written, the rest untouched
///   past     (B) I32: tokens cached before this call, per row
/// past[b] + Tq > S, or past[b] < 0, throws kOutOfRange on the CPU; on the GPU (past in device
/// memory) such a row is left unwritten, so check the lengths on the host first (nn::KvCache does).
template <class Device>
void kv_append(const TensorView<Device>& k, const TensorView<Device>& v, const TensorView<Device>& k_cache,
               const TensorView<Device>& v_cache, const TensorView<Device>& past) {
  constexpr const char* fn = "kv_append";
  detail::check_attention_storage(fn, "k", k, k);
  DAPT_CHECK_AS(kShape, k.rank() == 4, fn, ": k must be (B, Tq, Hkv, hd), got shape ", k.shape().str());
  const std::int64_t B = k.dim(0), Tq = k.dim(1), Hkv = k.dim(2), hd = k.dim(3);
  detail::check_attention_storage_arg(fn, "v", v, k, k.shape(), "the shape of k", "k", k);
  detail::check_attention_storage(fn, "k_cache", k_cache, k);
  DAPT_CHECK_AS(kShape, k_cache.rank() == 4 && k_cache.dim(0) == B && k_cache.dim(2) == Hkv && k_cache.dim(3) == hd,
                fn, ": k_cache has shape ", k_cache.shape().str(), ", expected (", B, ", S, ", Hkv, ", ", hd,
                ") to match k of shape ", k.shape().str());
  detail::check_contiguous<Device>(fn, {{"k", &k}, {"k_cache", &k_cache}});
  const std::int64_t S = k_cache.dim(1);
  detail::check_attention_storage_arg(fn, "v_cache", v_cache, k, k_cache.shape(), "the shape of k_cache", "k_cache",
                                      k_cache);
  detail::check_operand(fn, "past", past, DType::kI32, Shape{B}, "(B)", "k", k);
  DAPT_CHECK_AS(kShape, Tq <= S, fn, ": k of shape ", k.shape().str(), " has ", Tq,
                " new tokens, more than the cache capacity S = ", S, " of k_cache of shape ", k_cache.shape().str());
  for (const auto& [name, t] : {std::pair{"k", k}, std::pair{"v", v}, std::pair{"past", past}}) {
    detail::check_disjoint(fn, "k_cache", k_cache, name, t);
    detail::check_disjoint(fn, "v_cache", v_cache, name, t);
  }
  detail::check_disjoint(fn, "k_cache", k_cache, "v_cache", v_cache);
  detail::with_storage_type<Device>(k.dtype(), fn, [&](auto tag) {
    using E = typename decltype(tag)::type;  // the storage type
    backend::AttentionKernels<Device>::append(k.template data<const E>(), v.template data<const E>(),
                                              k_cache.template data<E>(), v_cache.template data<E>(),
                                              past.template data<const std::int32_t>(), B, Tq, S, Hkv, hd);
  });
}

/// Attention of Tq new tokens per batch row against a KV cache (inference; no lse).
///   q        (B, Tq, H, hd)  F32, or BF16 on the GPU
///   k_cache  (B, S, Hkv, hd) q's dtype, capacity S; row b already holds the new tokens' keys at
///            positions [past[b], past[b] + Tq)
///   v_cache  (B, S, Hkv, hd) q's dtype, likewise
///   past     (B) I32: tokens cached before this call, per row (rows may differ)
///   out      (B, Tq, H, hd)  q's dtype, written
/// Query i of row b sees cache positions [0, past[b] + i]. past[b] + Tq > S, or past[b] < 0,
/// throws kOutOfRange (on the CPU; checked as the kernel starts). Tq == 1 is the decode fast path.
template <class Device>
void attention_cached(const TensorView<Device>& q, const TensorView<Device>& k_cache,
                      const TensorView<Device>& v_cache, const TensorView<Device>& past,
                      const TensorView<Device>& out, float scale) {
  constexpr const char* fn = "attention_cached";
  detail::check_attention_query(fn, q);
  const std::int64_t B = q.dim(0), Tq = q.dim(1), H = q.dim(2), hd = q.dim(3);
  DAPT_CHECK_AS(kShape, k_cache.rank() == 4, fn, ": k_cache must be (B, S, Hkv, hd), got shape ",
                k_cache.shape().str());
  const std::int64_t S = k_cache.dim(1);
  detail::check_attention_key(fn, "k_cache", k_cache, q, S);
  detail::check_attention_storage_arg(fn, "v_cache", v_cache, q, k_cache.shape(), "the shape of k_cache",
                              "k_cache", k_cache);
  const std::int64_t Hkv = k_cache.dim(2);
  detail::check_operand(fn, "past", past, DType::kI32, Shape{B}, "(B)", "q", q);
  detail::check_attention_storage_arg(fn, "out", out, q, q.shape(), "(B, Tq, H, hd)", "q", q);
  detail::check_attention_scale(fn, scale);
  DAPT_CHECK_AS(kShape, Tq <= S, fn, ": q of shape ", q.shape().str(), " has ", Tq,
                " new tokens, more than the cache capacity S = ", S, " of k_cache of shape ", k_cache.shape().str());
  for (const auto& [name, t] : {std::pair{"q", q}, std::pair{"k_cache", k_cache}, std::pair{"v_cache", v_cache},
                                std::pair{"past", past}})
    detail::check_disjoint(fn, "out", out, name, t);
  detail::with_storage_type<Device>(q.dtype(), fn, [&](auto tag) {
    using E = typename decltype(tag)::type;  // the storage type
    backend::AttentionKernels<Device>::cached(q.template data<const E>(), k_cache.template data<const E>(),
                                              v_cache.template data<const E>(),
                                              past.template data<const std::int32_t>(), out.template data<E>(), B,
                                              Tq, S, H, Hkv, hd, scale);
  });
}

}  // namespace dapt::ops
