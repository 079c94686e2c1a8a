/// @file attention.hpp
/// @brief CPU grouped-query attention (causal, or bidirectional for embedders), tiled in the manner of FlashAttention-2: scores are
/// computed one (64 queries x 64 keys) tile at a time with an online softmax, so no (T, T) matrix
/// ever exists and each task's scratch is two score tiles on its stack. Forward keeps the
/// log-sum-exp of every query row; backward recomputes the probabilities from it, tile by tile,
/// with D_i = rowsum(dout_i * out_i). Tile products go through Eigen (row-major maps with outer
/// strides, so q, k, v are read in place). Training forward runs one task per (batch, head, query
/// tile); backward one per (batch, kv head), so all the query heads that write one dk/dv slice
/// are in one task and nothing races. The cached variant (inference with a KV cache) reuses the
/// forward tiles, and for a single new token (decode) stacks the query heads of a kv group into
/// one tile, so the cache is streamed once per kv head.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include <Eigen/Core>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

namespace detail::attn {

/// Query rows per tile.
inline constexpr std::int64_t kTileQ = 64;
/// Keys per tile in training; equal to kTileQ so that only diagonal tiles need the causal mask.
inline constexpr std::int64_t kTileK = 64;
/// Floats in one score tile of scratch (16 KB).
inline constexpr std::int64_t kScoreCapacity = kTileQ * kTileK;
/// Keys per chunk of the decode path.
inline constexpr std::int64_t kMaxKeyTile = 512;

inline constexpr float kNegInf = -std::numeric_limits<float>::infinity();

/// Up to kTileQ consecutive query tokens of one head. Row i sits at absolute position pos0 + i
/// and sees keys [0, pos0 + i] (causal) or all keys of the KeySet (bidirectional).
struct QueryBlock {
  const float* q;          // (nq, hd) rows at q + i * q_stride
  std::int64_t q_stride;
  float* out;              // (nq, hd) rows at out + i * out_stride
  std::int64_t out_stride;
  float* lse;              // (nq) or null
  std::int64_t nq;
  std::int64_t pos0;
  bool causal = true;
};

/// The keys and values of one (batch row, kv head): key j at k + j * stride.
struct KeySet {
  const float* k;
  const float* v;
  std::int64_t stride;
  const std::int32_t* seg;  // (keys) document ids, or null; a query at position p has id seg[p]
  std::int64_t count = 0;   // keys in the set (what a bidirectional query sees)
};

/// Smallest and largest of seg[begin, begin + n).
inline void seg_range(const std::int32_t* seg, std::int64_t begin, std::int64_t n, std::int32_t& lo,
                      std::int32_t& hi) {
  lo = std::numeric_limits<std::int32_t>::max();
  hi = std::numeric_limits<std::int32_t>::min();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t s = seg[begin + i];
    lo = std::min(lo, s);
    hi = std::max(hi, s);
  }
}

/// Sets to -inf the scores S (nq, nk) of keys [k0, k0 + nk) a row may not see: after its
/// position (when causal), or (with `seg`) in another document.
inline void mask_tile(float* s, std::int64_t nq, std::int64_t nk, std::int64_t k0, std::int64_t pos0,
                      const std::int32_t* seg, bool causal) {
  for (std::int64_t i = 0; i < nq; ++i) {
    float* row = s + i * nk;
    const std::int64_t pos = pos0 + i;
    // keys [0, visible) pass the causal test
    const std::int64_t visible = causal ? std::clamp<std::int64_t>(pos - k0 + 1, 0, nk) : nk;
    if (seg) {
      const std::int32_t qs = seg[pos];
      for (std::int64_t j = 0; j < visible; ++j)
        if (seg[k0 + j] != qs) row[j] = kNegInf;
    }
    std::fill(row + visible, row + nk, kNegInf);
  }
}

/// Decides how to treat keys [k0, k0 + nk) for rows of `qb`: returns false when no row can see
/// any of them (different documents), and sets `need_mask` when some (row, key) pair is masked.
inline bool plan_tile(const QueryBlock& qb, const KeySet& ks, std::int64_t k0, std::int64_t nk, std::int32_t qseg_lo,
                      std::int32_t qseg_hi, bool& need_mask) {
  need_mask = qb.causal && k0 + nk - 1 > qb.pos0;  // a key after the first row's position
  if (ks.seg) {
    std::int32_t lo, hi;
    seg_range(ks.seg, k0, nk, lo, hi);
    if (hi < qseg_lo || lo > qseg_hi) return false;
    if (!(lo == hi && qseg_lo == qseg_hi && lo == qseg_lo)) need_mask = true;
  }
  return true;
}

/// qt-th of n query tiles in an order that alternates cheap (early) and expensive (late) causal
/// tiles, so the contiguous blocks of a static schedule carry similar work.
inline std::int64_t balanced_tile(std::int64_t r, std::int64_t n) { return (r & 1) ? n - 1 - r / 2 : r / 2; }

/// The CPU attention kernels; Scalar is float (the CPU backend computes in fp32). A class template only
/// so that Eigen's products are instantiated in a translation unit that calls them, not in every
/// one that includes this header.
template <class Scalar>
struct CpuAttention {
  static_assert(std::is_same_v<Scalar, float>, "CpuAttention: the CPU backend computes in fp32");
  using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  /// Rows of a (.., hd) slice inside a larger tensor: row r at data + r * stride.
  using ConstRows = Eigen::Map<const RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
  using Rows = Eigen::Map<RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
  /// A dense score tile in stack scratch.
  using Tile = Eigen::Map<RowMatrix, Eigen::Aligned64>;
  using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

  /// Online-softmax attention of one query block over keys [0, last row position] (causal) or all
  /// ks.count keys, kTileK keys at a time: writes out (and lse when non-null).
  static void forward_block(const QueryBlock& qb, const KeySet& ks, std::int64_t hd, float scale) {
    alignas(64) float s_buf[kScoreCapacity];  // (nq, kTileK) scores, then probabilities
    float m[kTileQ], l[kTileQ];                // running row max and row sum
    const std::int64_t nq = qb.nq;
    ConstRows Q(qb.q, nq, hd, Eigen::OuterStride<>(qb.q_stride));
    Rows O(qb.out, nq, hd, Eigen::OuterStride<>(qb.out_stride));  // accumulated in place
    O.setZero();
    std::fill(m, m + nq, kNegInf);
    std::fill(l, l + nq, 0.0f);
    std::int32_t qseg_lo = 0, qseg_hi = 0;
    if (ks.seg) seg_range(ks.seg, qb.pos0, nq, qseg_lo, qseg_hi);
    const std::int64_t n_keys = qb.causal ? qb.pos0 + nq : ks.count;
    for (std::int64_t k0 = 0; k0 < n_keys; k0 += kTileK) {
      const std::int64_t nk = std::min(kTileK, n_keys - k0);
      bool need_mask = false;
      if (!plan_tile(qb, ks, k0, nk, qseg_lo, qseg_hi, need_mask)) continue;
      ConstRows K(ks.k + k0 * ks.stride, nk, hd, Eigen::OuterStride<>(ks.stride));
      ConstRows V(ks.v + k0 * ks.stride, nk, hd, Eigen::OuterStride<>(ks.stride));
      Tile S(s_buf, nq, nk);
      S.noalias() = (scale * Q) * K.transpose();
      if (need_mask) mask_tile(s_buf, nq, nk, k0, qb.pos0, ks.seg, qb.causal);
      for (std::int64_t i = 0; i < nq; ++i) {
        Eigen::Map<Array> row(s_buf + i * nk, nk);
        const float m_new = std::max(m[i], row.maxCoeff());
        // A row that has seen only masked keys keeps max -inf; subtracting 0 then gives exp(-inf) = 0.
        const float m_use = m_new == kNegInf ? 0.0f : m_new;
        const float alpha = std::exp(m[i] - m_use);
        row = (row - m_use).exp();
        l[i] = alpha * l[i] + row.sum();
        if (alpha != 1.0f) O.row(i) *= alpha;
        m[i] = m_new;
      }
      O.noalias() += S * V;
    }
    for (std::int64_t i = 0; i < nq; ++i) {
      if (l[i] > 0.0f) {
        O.row(i) *= 1.0f / l[i];
        if (qb.lse) qb.lse[i] = m[i] + std::log(l[i]);
      } else {  // every key masked: cannot happen (a query sees itself); defined anyway
        O.row(i).setZero();
        if (qb.lse) qb.lse[i] = kNegInf;
      }
    }
  }

  /// Decode: `nq` (<= kTileQ) query heads of one token (rows of q, contiguous, (nq, hd)) against
  /// keys [0, n_keys) of one kv head; out (nq, hd) contiguous, written. Memory bound and thin, so
  /// each head runs two matrix-vector products per key chunk (scores, then p^T V) instead of a
  /// GEMM, whose packing costs more than it saves here. Chunks are the outer loop: a chunk of k
  /// and v is read from memory once and stays in cache for all the heads of the group.
  static void decode_block(const float* q, const KeySet& ks, std::int64_t n_keys, float* out, std::int64_t nq,
                            std::int64_t hd, float scale) {
    alignas(64) float s_buf[kMaxKeyTile];  // (chunk) scores of one head, then probabilities
    float m[kTileQ], l[kTileQ];             // running max and sum per head
    using Vec = Eigen::Map<const Vector>;
    using MutVec = Eigen::Map<Vector>;
    std::fill(m, m + nq, kNegInf);
    std::fill(l, l + nq, 0.0f);
    std::fill_n(out, nq * hd, 0.0f);  // accumulated in place
    for (std::int64_t k0 = 0; k0 < n_keys; k0 += kMaxKeyTile) {
      const std::int64_t nk = std::min(kMaxKeyTile, n_keys - k0);
      ConstRows K(ks.k + k0 * ks.stride, nk, hd, Eigen::OuterStride<>(ks.stride));
      ConstRows V(ks.v + k0 * ks.stride, nk, hd, Eigen::OuterStride<>(ks.stride));
      MutVec s(s_buf, nk);
      for (std::int64_t g = 0; g < nq; ++g) {
        MutVec og(out + g * hd, hd);
        s.noalias() = K * (scale * Vec(q + g * hd, hd));
        const float m_new = std::max(m[g], s.maxCoeff());
        const float m_use = m_new == kNegInf ? 0.0f : m_new;  // all -inf (overflowed scores): p = 0
        const float alpha = std::exp(m[g] - m_use);
        s = (s.array() - m_use).exp().matrix();
        l[g] = alpha * l[g] + s.sum();
        if (alpha != 1.0f) og *= alpha;
        og.noalias() += V.transpose() * s;
        m[g] = m_new;
      }
    }
    for (std::int64_t g = 0; g < nq; ++g) MutVec(out + g * hd, hd) *= l[g] > 0.0f ? 1.0f / l[g] : 0.0f;
  }

  /// GQA forward. q (B, T, H, hd); k, v (B, T, Hkv, hd); segment_ids (B, T) or null (query i
  /// sees key j iff j <= i when causal, and, when given, seg[j] == seg[i]); out (B, T, H, hd)
  /// and lse (B, H, T) written. Query head h reads kv head h / (H / Hkv).
  static void forward(const float* q, const float* k, const float* v, const std::int32_t* segment_ids, float* out,
                      float* lse, std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t Hkv,
                      std::int64_t hd, float scale, bool causal = true) {
    if (B == 0 || T == 0 || H == 0) return;
    const std::int64_t group = H / Hkv;
    const std::int64_t n_tiles = (T + kTileQ - 1) / kTileQ;
    parallel_for(0, B * H * n_tiles, [&](std::int64_t task) {
      const std::int64_t bh = task / n_tiles, b = bh / H, h = bh % H;
      const std::int64_t q0 = balanced_tile(task % n_tiles, n_tiles) * kTileQ;
      const std::int64_t row = (b * T + q0) * H + h;
      QueryBlock qb{q + row * hd, H * hd, out + row * hd, H * hd, lse + bh * T + q0,
                    std::min(kTileQ, T - q0), q0, causal};
      KeySet ks{k + (b * T * Hkv + h / group) * hd, v + (b * T * Hkv + h / group) * hd, Hkv * hd,
                segment_ids ? segment_ids + b * T : nullptr, T};
      forward_block(qb, ks, hd, scale);
    });
  }

  /// Gradients of forward: dq (B, T, H, hd), dk, dv (B, T, Hkv, hd) written (not accumulated),
  /// from the forward's inputs, out, lse (B, H, T) and dout (B, T, H, hd).
  static void backward(const float* q, const float* k, const float* v, const std::int32_t* segment_ids,
                       const float* out, const float* lse, const float* dout, float* dq, float* dk, float* dv,
                       std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t Hkv, std::int64_t hd,
                       float scale, bool causal = true) {
    if (B == 0 || T == 0 || H == 0) return;
    const std::int64_t group = H / Hkv;
    const std::int64_t qs = H * hd, ks = Hkv * hd;  // row strides
    parallel_for(0, B * Hkv, [&](std::int64_t task) {
      alignas(64) float p_buf[kScoreCapacity];   // (nq, nk) probabilities
      alignas(64) float ds_buf[kScoreCapacity];  // (nq, nk) dP, then dS
      float d_row[kTileQ];  // D_i = rowsum(dout_i * out_i)
      const std::int64_t b = task / Hkv, kvh = task % Hkv, h0 = kvh * group;
      const std::int32_t* seg = segment_ids ? segment_ids + b * T : nullptr;
      // The group's heads are adjacent in dq: one (group * hd) run per token.
      for (std::int64_t t = 0; t < T; ++t) std::fill_n(dq + ((b * T + t) * H + h0) * hd, group * hd, 0.0f);
      for (std::int64_t k0 = 0; k0 < T; k0 += kTileK) {
        const std::int64_t nk = std::min(kTileK, T - k0);
        const std::int64_t krow = (b * T + k0) * Hkv + kvh;
        ConstRows K(k + krow * hd, nk, hd, Eigen::OuterStride<>(ks));
        ConstRows V(v + krow * hd, nk, hd, Eigen::OuterStride<>(ks));
        Rows DK(dk + krow * hd, nk, hd, Eigen::OuterStride<>(ks));
        Rows DV(dv + krow * hd, nk, hd, Eigen::OuterStride<>(ks));
        DK.setZero();
        DV.setZero();
        const KeySet keys{k, v, ks, seg, T};
        for (std::int64_t g = 0; g < group; ++g) {
          const std::int64_t h = h0 + g;
          // Causally, query tiles before the key tile see none of its keys.
          for (std::int64_t q0 = causal ? k0 / kTileQ * kTileQ : 0; q0 < T; q0 += kTileQ) {
            const std::int64_t nq = std::min(kTileQ, T - q0);
            const std::int64_t qrow = (b * T + q0) * H + h;
            const QueryBlock qb{q + qrow * hd, qs, nullptr, qs, nullptr, nq, q0, causal};
            std::int32_t qseg_lo = 0, qseg_hi = 0;
            if (seg) seg_range(seg, q0, nq, qseg_lo, qseg_hi);
            bool need_mask = false;
            if (!plan_tile(qb, keys, k0, nk, qseg_lo, qseg_hi, need_mask)) continue;
            ConstRows Q(q + qrow * hd, nq, hd, Eigen::OuterStride<>(qs));
            ConstRows O(out + qrow * hd, nq, hd, Eigen::OuterStride<>(qs));
            ConstRows dO(dout + qrow * hd, nq, hd, Eigen::OuterStride<>(qs));
            Rows dQ(dq + qrow * hd, nq, hd, Eigen::OuterStride<>(qs));
            Tile P(p_buf, nq, nk), dS(ds_buf, nq, nk);
            P.noalias() = (scale * Q) * K.transpose();
            if (need_mask) mask_tile(p_buf, nq, nk, k0, q0, seg, causal);
            const float* lse_row = lse + (b * H + h) * T + q0;
            for (std::int64_t i = 0; i < nq; ++i) {
              // lse = -inf marks a row with no visible key; +inf then zeroes its probabilities.
              const float bias = lse_row[i] == kNegInf ? std::numeric_limits<float>::infinity() : lse_row[i];
              Eigen::Map<Array> row(p_buf + i * nk, nk);
              row = (row - bias).exp();
              d_row[i] = dO.row(i).dot(O.row(i));
            }
            DV.noalias() += P.transpose() * dO;
            dS.noalias() = dO * V.transpose();  // dP
            for (std::int64_t i = 0; i < nq; ++i) {
              Eigen::Map<const Array> p_row(p_buf + i * nk, nk);
              Eigen::Map<Array> ds_row(ds_buf + i * nk, nk);
              ds_row = scale * p_row * (ds_row - d_row[i]);
            }
            dQ.noalias() += dS * K;
            DK.noalias() += dS.transpose() * Q;
          }
        }
      }
    });
  }

  /// Appends Tq new keys and values per row to a KV cache: k_cache[b, past[b] + t] = k[b, t] and
  /// v_cache[b, past[b] + t] = v[b, t]. k, v (B, Tq, Hkv, hd); k_cache, v_cache (B, S, Hkv, hd);
  /// past (B). Throws kOutOfRange (before writing anything) when past[b] < 0 or past[b] + Tq > S.
  static void append(const float* k, const float* v, float* k_cache, float* v_cache, const std::int32_t* past,
                     std::int64_t B, std::int64_t Tq, std::int64_t S, std::int64_t Hkv, std::int64_t hd) {
    for (std::int64_t b = 0; b < B; ++b)
      DAPT_CHECK_AS(kOutOfRange, past[b] >= 0 && past[b] + Tq <= S, "kv_append: past[", b, "] = ", past[b], " with ",
                    Tq, " new tokens does not fit the cache capacity S = ", S);
    const std::int64_t block = Tq * Hkv * hd;  // one row's new tokens: contiguous on both sides
    for (std::int64_t b = 0; b < B; ++b) {
      const std::int64_t at = (b * S + past[b]) * Hkv * hd;
      std::copy_n(k + b * block, block, k_cache + at);
      std::copy_n(v + b * block, block, v_cache + at);
    }
  }

  /// Attention of Tq new tokens per row against a KV cache. q (B, Tq, H, hd); k_cache, v_cache
  /// (B, S, Hkv, hd) already holding the new tokens at [past[b], past[b] + Tq); past (B); out
  /// (B, Tq, H, hd) written. Query i of row b sees cache positions [0, past[b] + i]. Throws
  /// kOutOfRange when past[b] < 0 or past[b] + Tq > S.
  static void cached(const float* q, const float* k_cache, const float* v_cache, const std::int32_t* past,
                     float* out, std::int64_t B, std::int64_t Tq, std::int64_t S, std::int64_t H, std::int64_t Hkv,
                     std::int64_t hd, float scale) {
    if (B == 0 || Tq == 0 || H == 0) return;
    for (std::int64_t b = 0; b < B; ++b) {
      DAPT_CHECK_AS(kOutOfRange, past[b] >= 0 && past[b] + Tq <= S, "attention_cached: past[", b, "] = ", past[b],
                    " with ", Tq, " new tokens does not fit the cache capacity S = ", S);
    }
    const std::int64_t group = H / Hkv;
    const std::int64_t ks = Hkv * hd;
    if (Tq == 1) {
      // Decode: the group's query heads are adjacent rows of one token, all at position past[b];
      // stacked as one block they stream the kv head's cache once.
      const std::int64_t chunks = (group + kTileQ - 1) / kTileQ;
      parallel_for(0, B * Hkv * chunks, [&](std::int64_t task) {
        const std::int64_t b = task / (Hkv * chunks), kvh = task / chunks % Hkv, c = task % chunks;
        const std::int64_t h = kvh * group + c * kTileQ, nq = std::min(kTileQ, group - c * kTileQ);
        const KeySet keys{k_cache + (b * S * Hkv + kvh) * hd, v_cache + (b * S * Hkv + kvh) * hd, ks, nullptr, S};
        decode_block(q + (b * H + h) * hd, keys, past[b] + 1, out + (b * H + h) * hd, nq, hd, scale);
      });
      return;
    }
    const std::int64_t n_tiles = (Tq + kTileQ - 1) / kTileQ;
    parallel_for(0, B * H * n_tiles, [&](std::int64_t task) {
      const std::int64_t bh = task / n_tiles, b = bh / H, h = bh % H;
      const std::int64_t q0 = balanced_tile(task % n_tiles, n_tiles) * kTileQ;
      const std::int64_t row = (b * Tq + q0) * H + h;
      const QueryBlock qb{q + row * hd, H * hd, out + row * hd, H * hd, nullptr, std::min(kTileQ, Tq - q0),
                          past[b] + q0};
      const KeySet keys{k_cache + (b * S * Hkv + h / group) * hd, v_cache + (b * S * Hkv + h / group) * hd, ks,
                        nullptr, S};
      forward_block(qb, keys, hd, scale);
    });
  }
};

}  // namespace detail::attn

template <>
struct AttentionKernels<Cpu> : detail::attn::CpuAttention<float> {};

}  // namespace dapt::backend
