/// @file attention.cuh
/// @brief CUDA grouped-query attention with the CPU backend's semantics (causal or bidirectional,
/// packed documents through segment ids, a KV-cache variant), as plain tiled kernels in fp32
/// math that are easy to check; the flash-style tensor-core kernel replaces them later. The
/// query heads of one kv group are stacked into the rows of one tile (row f = token f / group,
/// head f % group), so every key/value tile read into shared memory serves the whole group, and
/// a decode step (one token) still fills a tile with `group` rows. Forward keeps an online
/// softmax per row and writes the log-sum-exp; backward recomputes the probabilities from it and
/// runs without atomics: one kernel forms D = rowsum(dout * out), one owns a key tile and sums
/// dk, dv over every query row of its group, and one owns a query tile and sums dq over keys.
/// Shared memory stays under the 48 KiB a block gets without opt-in, for head_dim up to 128.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::cuda::detail {

/// Warps per block of every attention kernel (the row-owning kernels give each warp kRows rows).
inline constexpr int kAttnWarps = 4;
inline constexpr int kAttnThreads = kAttnWarps * 32;
/// Keys per tile where lanes map to keys (forward, dq), and query rows per tile where lanes map
/// to query rows (dk/dv): one per lane.
inline constexpr int kAttnLaneTile = 32;
/// Largest head_dim the kernels take; head_dim is bucketed to 32, 64 or 128 (zero padded).
inline constexpr std::int64_t kAttnMaxHeadDim = 128;
/// Static shared memory a block may use without the opt-in attribute.
inline constexpr std::size_t kAttnSmemLimit = 48 * 1024;

/// Rows each warp owns, by head_dim bucket: as many as fit the shared-memory budget (the structs
/// below are static_assert-ed against it).
template <int kHd>
inline constexpr int kFwdRowsPerWarp = kHd <= 64 ? 8 : 4;
template <int kHd>
inline constexpr int kBwdRowsPerWarp = kHd <= 64 ? 8 : 2;

/// Sizes shared by the kernels. Training: tq == tk == the sequence length. Cached: tq new tokens
/// against a cache of capacity tk.
struct AttnDims {
  std::int64_t batch, tq, tk, heads, kv_heads, hd, group;
  float scale;
  bool causal;
};

/// Element offset of (batch b, token t, head h) in a (B, tq, H, hd) tensor.
__device__ __forceinline__ std::int64_t attn_q_offset(const AttnDims& d, std::int64_t b, std::int64_t t,
                                                      std::int64_t h) {
  return ((b * d.tq + t) * d.heads + h) * d.hd;
}

/// Forward (and cached) tile: kBQ stacked query rows against 32 keys at a time.
template <int kHd, int kBQ>
struct FwdSmem {
  float q[kBQ][kHd];                   // scaled queries; all lanes read one element (broadcast)
  float k[kAttnLaneTile][kHd + 1];     // lane j reads row j: the +1 keeps the 32 rows in 32 banks
  float v[kAttnLaneTile][kHd];         // lanes read consecutive columns of one row
  std::int32_t seg_q[kBQ];
  std::int32_t seg_k[kAttnLaneTile];
};

/// dk/dv tile: kBK keys (broadcast reads) against 32 query rows at a time (lane = row).
template <int kHd, int kBK>
struct DkvSmem {
  float k[kBK][kHd];
  float v[kBK][kHd];
  float q[kAttnLaneTile][kHd + 1];     // unscaled queries, read by row (lane) and by column
  float dout[kAttnLaneTile][kHd + 1];
  float lse[kAttnLaneTile];
  float dsum[kAttnLaneTile];
  std::int32_t seg_q[kAttnLaneTile];
  std::int32_t seg_k[kBK];
};

/// dq tile: kBQ query rows (broadcast reads) against 32 keys at a time (lane = key).
template <int kHd, int kBQ>
struct DqSmem {
  float q[kBQ][kHd];                   // scaled queries
  float dout[kBQ][kHd];
  float k[kAttnLaneTile][kHd + 1];
  float v[kAttnLaneTile][kHd + 1];
  std::int32_t seg_q[kBQ];
  std::int32_t seg_k[kAttnLaneTile];
};

template <int kHd>
inline constexpr bool kAttnSmemFits =
    sizeof(FwdSmem<kHd, kAttnWarps * kFwdRowsPerWarp<kHd>>) <= kAttnSmemLimit &&
    sizeof(DkvSmem<kHd, kAttnWarps * kBwdRowsPerWarp<kHd>>) <= kAttnSmemLimit &&
    sizeof(DqSmem<kHd, kAttnWarps * kBwdRowsPerWarp<kHd>>) <= kAttnSmemLimit;
static_assert(kAttnSmemFits<32> && kAttnSmemFits<64> && kAttnSmemFits<128>,
              "attention tiles exceed the 48 KiB of static shared memory");

/// Smallest and largest segment id among the first n entries of a shared array (n <= 32).
__device__ __forceinline__ void attn_seg_range(const std::int32_t* s, int n, std::int32_t& lo, std::int32_t& hi) {
  lo = INT_MAX;
  hi = INT_MIN;
  for (int i = 0; i < n; ++i) {
    lo = s[i] < lo ? s[i] : lo;
    hi = s[i] > hi ? s[i] : hi;
  }
}

/// Forward over one tile of kBQ stacked query rows of kv head blockIdx.y, batch row blockIdx.z.
/// Training (past == nullptr): row token t sits at position t and sees keys j <= t (causal) or all
/// tk keys, of its own segment when seg is given; lse is written. Cached (past given): positions
/// start at past[b], keys come from the cache, seg and lse are null.
///   q    (B, tq, H, hd)     k, v (B, tk, Hkv, hd)     seg (B, tq) or null     past (B) or null
///   out  (B, tq, H, hd) written                       lse (B, H, tq) or null, written
template <class T, int kHd>
__global__ void __launch_bounds__(kAttnThreads)
    attention_forward_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                             const std::int32_t* __restrict__ seg, const std::int32_t* __restrict__ past,
                             T* __restrict__ out, float* __restrict__ lse, AttnDims d) {
  constexpr int kR = kFwdRowsPerWarp<kHd>;
  constexpr int kBQ = kAttnWarps * kR;
  constexpr int kC = kHd / 32;  // columns per lane in the output accumulator
  __shared__ FwdSmem<kHd, kBQ> sm;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const std::int64_t b = blockIdx.z, kvh = blockIdx.y;
  const std::int64_t n_rows = d.tq * d.group;
  const std::int64_t f0 = static_cast<std::int64_t>(blockIdx.x) * kBQ;
  const int n_valid = static_cast<int>(n_rows - f0 < kBQ ? n_rows - f0 : kBQ);  // >= 1 by the grid size
  const std::int64_t pos0 = past ? past[b] : 0;

  if (past && (pos0 < 0 || pos0 + d.tq > d.tk)) {
    // The cache cannot hold these tokens: NaN rows make the misuse visible (no host check here,
    // which would need a synchronisation). The condition is the same for the whole block.
    for (int idx = tid; idx < n_valid * d.hd; idx += kAttnThreads) {
      const std::int64_t f = f0 + idx / d.hd, t = f / d.group;
      out[attn_q_offset(d, b, t, kvh * d.group + (f - t * d.group)) + idx % d.hd] = from_f32<T>(NAN);
    }
    return;
  }

  for (int idx = tid; idx < kBQ * kHd; idx += kAttnThreads) {
    const int r = idx / kHd, c = idx % kHd;
    float x = 0.0f;
    if (r < n_valid && c < d.hd) {
      const std::int64_t f = f0 + r, t = f / d.group;
      x = d.scale * to_f32(q[attn_q_offset(d, b, t, kvh * d.group + (f - t * d.group)) + c]);
    }
    sm.q[r][c] = x;
  }
  if (tid < kBQ) sm.seg_q[tid] = (seg && tid < n_valid) ? seg[b * d.tq + (f0 + tid) / d.group] : 0;
  __syncthreads();

  std::int32_t qlo = 0, qhi = 0;
  if (seg) attn_seg_range(sm.seg_q, n_valid, qlo, qhi);
  float m[kR], l[kR], o[kR][kC];
  std::int64_t pos[kR];
  std::int32_t sq[kR];
#pragma unroll
  for (int i = 0; i < kR; ++i) {
    const int r = warp * kR + i;
    pos[i] = pos0 + (f0 + r) / d.group;
    sq[i] = sm.seg_q[r];
    m[i] = -INFINITY;
    l[i] = 0.0f;
#pragma unroll
    for (int c = 0; c < kC; ++c) o[i][c] = 0.0f;
  }
  // Keys past the last row's position are masked for every row: stop there.
  const std::int64_t last_pos = pos0 + (f0 + n_valid - 1) / d.group;
  const std::int64_t key_end = d.causal ? (last_pos + 1 < d.tk ? last_pos + 1 : d.tk) : d.tk;
  const std::int64_t kstride = d.kv_heads * d.hd;
  const std::int64_t kbase = (b * d.tk * d.kv_heads + kvh) * d.hd;

  for (std::int64_t k0 = 0; k0 < key_end; k0 += kAttnLaneTile) {
    const int nk = static_cast<int>(key_end - k0 < kAttnLaneTile ? key_end - k0 : kAttnLaneTile);
    __syncthreads();  // every warp is done with the previous tile
    if (seg) {
      int hit = 0;
      if (tid < kAttnLaneTile) {
        const std::int32_t s = tid < nk ? seg[b * d.tq + k0 + tid] : 0;
        sm.seg_k[tid] = s;
        hit = tid < nk && s >= qlo && s <= qhi;
      }
      if (!__syncthreads_or(hit)) continue;  // no row's document reaches into this tile
    }
    // Keys beyond key_end are never read (in a cache they may be unwritten): zeros instead.
    for (int idx = tid; idx < kAttnLaneTile * kHd; idx += kAttnThreads) {
      const int j = idx / kHd, c = idx % kHd;
      float kx = 0.0f, vx = 0.0f;
      if (j < nk && c < d.hd) {
        const std::int64_t off = kbase + (k0 + j) * kstride + c;
        kx = to_f32(k[off]);
        vx = to_f32(v[off]);
      }
      sm.k[j][c] = kx;
      sm.v[j][c] = vx;
    }
    __syncthreads();

    float s[kR];
#pragma unroll
    for (int i = 0; i < kR; ++i) s[i] = 0.0f;
#pragma unroll 8
    for (int c = 0; c < kHd; ++c) {  // columns >= hd are zero in both operands
      const float kc = sm.k[lane][c];
#pragma unroll
      for (int i = 0; i < kR; ++i) s[i] = fmaf(sm.q[warp * kR + i][c], kc, s[i]);
    }
    const std::int64_t j = k0 + lane;
    const std::int32_t sk = seg ? sm.seg_k[lane] : 0;
    float p[kR];
#pragma unroll
    for (int i = 0; i < kR; ++i) {
      const bool visible = lane < nk && (!d.causal || j <= pos[i]) && (!seg || sk == sq[i]);
      const float si = visible ? s[i] : -INFINITY;
      const float m_new = fmaxf(m[i], warp_max(si));
      // A row that has seen only masked keys keeps max -inf; subtracting 0 then gives p = 0.
      const float m_use = m_new == -INFINITY ? 0.0f : m_new;
      const float alpha = expf(m[i] - m_use);
      p[i] = expf(si - m_use);
      l[i] = alpha * l[i] + warp_sum(p[i]);
#pragma unroll
      for (int c = 0; c < kC; ++c) o[i][c] *= alpha;
      m[i] = m_new;
    }
#pragma unroll 4
    for (int jj = 0; jj < kAttnLaneTile; ++jj) {  // keys >= nk have p = 0 and v = 0
      float vj[kC];
#pragma unroll
      for (int c = 0; c < kC; ++c) vj[c] = sm.v[jj][lane + 32 * c];
#pragma unroll
      for (int i = 0; i < kR; ++i) {
        const float pj = __shfl_sync(0xffffffffu, p[i], jj);
#pragma unroll
        for (int c = 0; c < kC; ++c) o[i][c] = fmaf(pj, vj[c], o[i][c]);
      }
    }
  }

#pragma unroll
  for (int i = 0; i < kR; ++i) {
    const int r = warp * kR + i;
    if (r >= n_valid) continue;
    const std::int64_t f = f0 + r, t = f / d.group, h = kvh * d.group + (f - t * d.group);
    const float inv = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;  // no visible key: zeros, lse -inf
    T* orow = out + attn_q_offset(d, b, t, h);
#pragma unroll
    for (int c = 0; c < kC; ++c) {
      const int col = lane + 32 * c;
      if (col < d.hd) orow[col] = from_f32<T>(o[i][c] * inv);
    }
    if (lse && lane == 0) lse[(b * d.heads + h) * d.tq + t] = l[i] > 0.0f ? m[i] + logf(l[i]) : -INFINITY;
  }
}

/// k_cache[b, past[b] + t] = k[b, t] and the same for v, one element per thread (grid-stride):
///   k, v (B, tq, Hkv, hd)   k_cache, v_cache (B, S, Hkv, hd)   past (B)
/// A row whose past[b] is negative or leaves no room for tq tokens is not written (attention_cached
/// fills that row's output with NaN).
template <class T>
__global__ void kv_append_kernel(const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ k_cache,
                                 T* __restrict__ v_cache, const std::int32_t* __restrict__ past, std::int64_t total,
                                 std::int64_t block, std::int64_t tq, std::int64_t capacity, std::int64_t row_elems) {
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t b = i / block, rest = i - b * block;
    const std::int64_t p = past[b];
    if (p < 0 || p + tq > capacity) continue;
    const std::int64_t at = (b * capacity + p) * row_elems + rest;
    k_cache[at] = k[i];
    v_cache[at] = v[i];
  }
}

/// D[b, h, t] = sum_c dout[b, t, h, c] * out[b, t, h, c], one warp per (b, t, h) row.
///   out, dout (B, T, H, hd)     dsum (B, H, T) written
template <class T>
__global__ void attention_row_dot_kernel(const T* __restrict__ out, const T* __restrict__ dout,
                                         float* __restrict__ dsum, std::int64_t n_rows, std::int64_t seq,
                                         std::int64_t heads, std::int64_t hd) {
  const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x & 31;
  if (row >= n_rows) return;  // the same for the whole warp, so warp_sum below has all lanes
  float acc = 0.0f;
  for (std::int64_t c = lane; c < hd; c += 32) acc = fmaf(to_f32(out[row * hd + c]), to_f32(dout[row * hd + c]), acc);
  acc = warp_sum(acc);
  if (lane == 0) {
    const std::int64_t h = row % heads, bt = row / heads, t = bt % seq, b = bt / seq;
    dsum[(b * heads + h) * seq + t] = acc;
  }
}

/// dk, dv of the kBK keys [k0, k0 + kBK) of kv head blockIdx.y, batch row blockIdx.z, summed over
/// every query row of the group (all `group` heads) that sees them; written, not accumulated.
///   q, dout (B, T, H, hd)   k, v (B, T, Hkv, hd)   seg (B, T) or null   lse, dsum (B, H, T)
///   dk, dv  (B, T, Hkv, hd) written
template <class T, int kHd>
__global__ void __launch_bounds__(kAttnThreads)
    attention_backward_dkv_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                                  const std::int32_t* __restrict__ seg, const float* __restrict__ lse,
                                  const float* __restrict__ dsum, const T* __restrict__ dout, T* __restrict__ dk,
                                  T* __restrict__ dv, AttnDims d) {
  constexpr int kR = kBwdRowsPerWarp<kHd>;
  constexpr int kBK = kAttnWarps * kR;
  constexpr int kC = kHd / 32;
  __shared__ DkvSmem<kHd, kBK> sm;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const std::int64_t b = blockIdx.z, kvh = blockIdx.y, seq = d.tq;
  const std::int64_t k0 = static_cast<std::int64_t>(blockIdx.x) * kBK;
  const int nk = static_cast<int>(seq - k0 < kBK ? seq - k0 : kBK);  // >= 1 by the grid size
  const std::int64_t kstride = d.kv_heads * d.hd;
  const std::int64_t kbase = (b * seq * d.kv_heads + kvh) * d.hd;

  for (int idx = tid; idx < kBK * kHd; idx += kAttnThreads) {
    const int j = idx / kHd, c = idx % kHd;
    float kx = 0.0f, vx = 0.0f;
    if (j < nk && c < d.hd) {
      const std::int64_t off = kbase + (k0 + j) * kstride + c;
      kx = to_f32(k[off]);
      vx = to_f32(v[off]);
    }
    sm.k[j][c] = kx;
    sm.v[j][c] = vx;
  }
  if (tid < kBK) sm.seg_k[tid] = (seg && tid < nk) ? seg[b * seq + k0 + tid] : 0;
  __syncthreads();

  std::int32_t klo = 0, khi = 0;
  if (seg) attn_seg_range(sm.seg_k, nk, klo, khi);
  float dk_acc[kR][kC], dv_acc[kR][kC];
  std::int32_t sk[kR];
#pragma unroll
  for (int i = 0; i < kR; ++i) {
    sk[i] = sm.seg_k[warp * kR + i];
#pragma unroll
    for (int c = 0; c < kC; ++c) dk_acc[i][c] = dv_acc[i][c] = 0.0f;
  }

  const std::int64_t n_rows = seq * d.group;
  // Causally, only the tokens from k0 on see these keys; their rows start at k0 * group.
  for (std::int64_t f0 = d.causal ? k0 * d.group : 0; f0 < n_rows; f0 += kAttnLaneTile) {
    const int nr = static_cast<int>(n_rows - f0 < kAttnLaneTile ? n_rows - f0 : kAttnLaneTile);
    __syncthreads();  // every warp is done with the previous query tile
    int hit = 0;
    if (tid < kAttnLaneTile) {
      float lse_r = 0.0f, d_r = 0.0f;
      std::int32_t s_r = 0;
      if (tid < nr) {
        const std::int64_t f = f0 + tid, t = f / d.group, h = kvh * d.group + (f - t * d.group);
        lse_r = lse[(b * d.heads + h) * seq + t];
        d_r = dsum[(b * d.heads + h) * seq + t];
        if (seg) s_r = seg[b * seq + t];
        hit = !seg || (s_r >= klo && s_r <= khi);
      }
      sm.lse[tid] = lse_r;
      sm.dsum[tid] = d_r;
      sm.seg_q[tid] = s_r;
    }
    if (seg) {
      if (!__syncthreads_or(hit)) continue;  // no row of this tile is in the keys' documents
    }
    for (int idx = tid; idx < kAttnLaneTile * kHd; idx += kAttnThreads) {
      const int r = idx / kHd, c = idx % kHd;
      float qx = 0.0f, ox = 0.0f;
      if (r < nr && c < d.hd) {
        const std::int64_t f = f0 + r, t = f / d.group;
        const std::int64_t off = attn_q_offset(d, b, t, kvh * d.group + (f - t * d.group)) + c;
        qx = to_f32(q[off]);
        ox = to_f32(dout[off]);
      }
      sm.q[r][c] = qx;
      sm.dout[r][c] = ox;
    }
    __syncthreads();

    // Lane = query row of the tile.
    const bool row_ok = lane < nr;
    const std::int64_t t = (f0 + lane) / d.group;
    const float lse_r = sm.lse[lane];
    // lse = -inf marks a row with no visible key; +inf then zeroes its probabilities.
    const float bias = lse_r == -INFINITY ? INFINITY : lse_r;
    const float d_r = sm.dsum[lane];
    const std::int32_t sq = sm.seg_q[lane];
    float s[kR], dp[kR];
#pragma unroll
    for (int i = 0; i < kR; ++i) s[i] = dp[i] = 0.0f;
#pragma unroll 8
    for (int c = 0; c < kHd; ++c) {
      const float qc = sm.q[lane][c], oc = sm.dout[lane][c];
#pragma unroll
      for (int i = 0; i < kR; ++i) {
        s[i] = fmaf(sm.k[warp * kR + i][c], qc, s[i]);
        dp[i] = fmaf(sm.v[warp * kR + i][c], oc, dp[i]);
      }
    }
    float p[kR], ds[kR];
#pragma unroll
    for (int i = 0; i < kR; ++i) {
      const int kk = warp * kR + i;
      const bool visible = row_ok && kk < nk && (!d.causal || k0 + kk <= t) && (!seg || sq == sk[i]);
      p[i] = visible ? expf(d.scale * s[i] - bias) : 0.0f;
      ds[i] = visible ? d.scale * p[i] * (dp[i] - d_r) : 0.0f;
    }
#pragma unroll 4
    for (int r = 0; r < kAttnLaneTile; ++r) {  // rows >= nr have p = ds = 0 and zero q, dout
      float qr[kC], orr[kC];
#pragma unroll
      for (int c = 0; c < kC; ++c) {
        qr[c] = sm.q[r][lane + 32 * c];
        orr[c] = sm.dout[r][lane + 32 * c];
      }
#pragma unroll
      for (int i = 0; i < kR; ++i) {
        const float pr = __shfl_sync(0xffffffffu, p[i], r);
        const float dsr = __shfl_sync(0xffffffffu, ds[i], r);
#pragma unroll
        for (int c = 0; c < kC; ++c) {
          dv_acc[i][c] = fmaf(pr, orr[c], dv_acc[i][c]);
          dk_acc[i][c] = fmaf(dsr, qr[c], dk_acc[i][c]);
        }
      }
    }
  }

#pragma unroll
  for (int i = 0; i < kR; ++i) {
    const int kk = warp * kR + i;
    if (kk >= nk) continue;
    const std::int64_t off = kbase + (k0 + kk) * kstride;
#pragma unroll
    for (int c = 0; c < kC; ++c) {
      const int col = lane + 32 * c;
      if (col < d.hd) {
        dk[off + col] = from_f32<T>(dk_acc[i][c]);
        dv[off + col] = from_f32<T>(dv_acc[i][c]);
      }
    }
  }
}

/// dq of kBQ stacked query rows of kv head blockIdx.y, batch row blockIdx.z, summed over keys
/// 32 at a time; written, not accumulated.
///   q, dout, dq (B, T, H, hd)   k, v (B, T, Hkv, hd)   seg (B, T) or null   lse, dsum (B, H, T)
template <class T, int kHd>
__global__ void __launch_bounds__(kAttnThreads)
    attention_backward_dq_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                                 const std::int32_t* __restrict__ seg, const float* __restrict__ lse,
                                 const float* __restrict__ dsum, const T* __restrict__ dout, T* __restrict__ dq,
                                 AttnDims d) {
  constexpr int kR = kBwdRowsPerWarp<kHd>;
  constexpr int kBQ = kAttnWarps * kR;
  constexpr int kC = kHd / 32;
  __shared__ DqSmem<kHd, kBQ> sm;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const std::int64_t b = blockIdx.z, kvh = blockIdx.y, seq = d.tq;
  const std::int64_t n_rows = seq * d.group;
  const std::int64_t f0 = static_cast<std::int64_t>(blockIdx.x) * kBQ;
  const int n_valid = static_cast<int>(n_rows - f0 < kBQ ? n_rows - f0 : kBQ);  // >= 1 by the grid size

  for (int idx = tid; idx < kBQ * kHd; idx += kAttnThreads) {
    const int r = idx / kHd, c = idx % kHd;
    float qx = 0.0f, ox = 0.0f;
    if (r < n_valid && c < d.hd) {
      const std::int64_t f = f0 + r, t = f / d.group;
      const std::int64_t off = attn_q_offset(d, b, t, kvh * d.group + (f - t * d.group)) + c;
      qx = d.scale * to_f32(q[off]);
      ox = to_f32(dout[off]);
    }
    sm.q[r][c] = qx;
    sm.dout[r][c] = ox;
  }
  if (tid < kBQ) sm.seg_q[tid] = (seg && tid < n_valid) ? seg[b * seq + (f0 + tid) / d.group] : 0;
  __syncthreads();

  std::int32_t qlo = 0, qhi = 0;
  if (seg) attn_seg_range(sm.seg_q, n_valid, qlo, qhi);
  float bias[kR], d_r[kR], acc[kR][kC];
  std::int64_t t_r[kR];
  std::int32_t sq[kR];
  bool row_ok[kR];
#pragma unroll
  for (int i = 0; i < kR; ++i) {
    const int r = warp * kR + i;
    const std::int64_t f = f0 + r, t = f / d.group, h = kvh * d.group + (f - t * d.group);
    row_ok[i] = r < n_valid;
    t_r[i] = t;
    sq[i] = sm.seg_q[r];
    const float l = row_ok[i] ? lse[(b * d.heads + h) * seq + t] : 0.0f;
    bias[i] = l == -INFINITY ? INFINITY : l;  // no visible key: probabilities 0
    d_r[i] = row_ok[i] ? dsum[(b * d.heads + h) * seq + t] : 0.0f;
#pragma unroll
    for (int c = 0; c < kC; ++c) acc[i][c] = 0.0f;
  }
  const std::int64_t last_t = (f0 + n_valid - 1) / d.group;
  const std::int64_t key_end = d.causal ? last_t + 1 : seq;
  const std::int64_t kstride = d.kv_heads * d.hd;
  const std::int64_t kbase = (b * seq * d.kv_heads + kvh) * d.hd;

  for (std::int64_t k0 = 0; k0 < key_end; k0 += kAttnLaneTile) {
    const int nk = static_cast<int>(key_end - k0 < kAttnLaneTile ? key_end - k0 : kAttnLaneTile);
    __syncthreads();  // every warp is done with the previous tile
    if (seg) {
      int hit = 0;
      if (tid < kAttnLaneTile) {
        const std::int32_t s = tid < nk ? seg[b * seq + k0 + tid] : 0;
        sm.seg_k[tid] = s;
        hit = tid < nk && s >= qlo && s <= qhi;
      }
      if (!__syncthreads_or(hit)) continue;
    }
    for (int idx = tid; idx < kAttnLaneTile * kHd; idx += kAttnThreads) {
      const int j = idx / kHd, c = idx % kHd;
      float kx = 0.0f, vx = 0.0f;
      if (j < nk && c < d.hd) {
        const std::int64_t off = kbase + (k0 + j) * kstride + c;
        kx = to_f32(k[off]);
        vx = to_f32(v[off]);
      }
      sm.k[j][c] = kx;
      sm.v[j][c] = vx;
    }
    __syncthreads();

    // Lane = key of the tile.
    float s[kR], dp[kR];
#pragma unroll
    for (int i = 0; i < kR; ++i) s[i] = dp[i] = 0.0f;
#pragma unroll 8
    for (int c = 0; c < kHd; ++c) {
      const float kc = sm.k[lane][c], vc = sm.v[lane][c];
#pragma unroll
      for (int i = 0; i < kR; ++i) {
        s[i] = fmaf(sm.q[warp * kR + i][c], kc, s[i]);
        dp[i] = fmaf(sm.dout[warp * kR + i][c], vc, dp[i]);
      }
    }
    const std::int64_t j = k0 + lane;
    const std::int32_t sk = seg ? sm.seg_k[lane] : 0;
    float ds[kR];
#pragma unroll
    for (int i = 0; i < kR; ++i) {
      const bool visible = row_ok[i] && lane < nk && (!d.causal || j <= t_r[i]) && (!seg || sk == sq[i]);
      ds[i] = visible ? expf(s[i] - bias[i]) * (dp[i] - d_r[i]) : 0.0f;
    }
#pragma unroll 4
    for (int jj = 0; jj < kAttnLaneTile; ++jj) {  // keys >= nk have ds = 0 and k = 0
      float kj[kC];
#pragma unroll
      for (int c = 0; c < kC; ++c) kj[c] = sm.k[jj][lane + 32 * c];
#pragma unroll
      for (int i = 0; i < kR; ++i) {
        const float dsj = __shfl_sync(0xffffffffu, ds[i], jj);
#pragma unroll
        for (int c = 0; c < kC; ++c) acc[i][c] = fmaf(dsj, kj[c], acc[i][c]);
      }
    }
  }

#pragma unroll
  for (int i = 0; i < kR; ++i) {
    if (!row_ok[i]) continue;
    const std::int64_t f = f0 + warp * kR + i, t = f / d.group;
    T* row = dq + attn_q_offset(d, b, t, kvh * d.group + (f - t * d.group));
#pragma unroll
    for (int c = 0; c < kC; ++c) {
      const int col = lane + 32 * c;
      if (col < d.hd) row[col] = from_f32<T>(d.scale * acc[i][c]);
    }
  }
}

/// Whether the launchers can run these sizes (the host wrappers say why not, with dapt::Error).
inline bool attention_dims_ok(std::int64_t batch, std::int64_t tq, std::int64_t heads, std::int64_t kv_heads,
                              std::int64_t hd) {
  return hd >= 1 && hd <= kAttnMaxHeadDim && kv_heads >= 1 && heads % kv_heads == 0 && batch <= 65535 &&
         kv_heads <= 65535 && tq * (heads / kv_heads) / 8 < 0x7fffffff;
}

template <class T, int kHd>
cudaError_t launch_attention_forward(const T* q, const T* k, const T* v, const std::int32_t* seg,
                                     const std::int32_t* past, T* out, float* lse, const AttnDims& d,
                                     cudaStream_t stream) {
  const dim3 grid(grid_for(d.tq * d.group, kAttnWarps * kFwdRowsPerWarp<kHd>), static_cast<unsigned>(d.kv_heads),
                  static_cast<unsigned>(d.batch));
  attention_forward_kernel<T, kHd><<<grid, kAttnThreads, 0, stream>>>(q, k, v, seg, past, out, lse, d);
  return cudaPeekAtLastError();
}

template <class T>
cudaError_t launch_attention_forward(const T* q, const T* k, const T* v, const std::int32_t* seg,
                                     const std::int32_t* past, T* out, float* lse, const AttnDims& d,
                                     cudaStream_t stream) {
  if (d.hd <= 32) return launch_attention_forward<T, 32>(q, k, v, seg, past, out, lse, d, stream);
  if (d.hd <= 64) return launch_attention_forward<T, 64>(q, k, v, seg, past, out, lse, d, stream);
  return launch_attention_forward<T, 128>(q, k, v, seg, past, out, lse, d, stream);
}

template <class T, int kHd>
cudaError_t launch_attention_backward(const T* q, const T* k, const T* v, const std::int32_t* seg, const float* lse,
                                      const float* dsum, const T* dout, T* dq, T* dk, T* dv, const AttnDims& d,
                                      cudaStream_t stream) {
  constexpr int kTile = kAttnWarps * kBwdRowsPerWarp<kHd>;
  const unsigned kvh = static_cast<unsigned>(d.kv_heads), batch = static_cast<unsigned>(d.batch);
  attention_backward_dkv_kernel<T, kHd>
      <<<dim3(grid_for(d.tq, kTile), kvh, batch), kAttnThreads, 0, stream>>>(q, k, v, seg, lse, dsum, dout, dk, dv, d);
  if (const cudaError_t e = cudaPeekAtLastError(); e != cudaSuccess) return e;
  attention_backward_dq_kernel<T, kHd>
      <<<dim3(grid_for(d.tq * d.group, kTile), kvh, batch), kAttnThreads, 0, stream>>>(q, k, v, seg, lse, dsum, dout,
                                                                                        dq, d);
  return cudaPeekAtLastError();
}

}  // namespace dapt::cuda::detail

namespace dapt::cuda {

/// Training forward: see AttentionKernels<Cuda>::forward. Returns the launch status.
///   q (B, seq, H, hd)   k, v (B, seq, Hkv, hd)   segment_ids (B, seq) or null
///   out (B, seq, H, hd) written   lse (B, H, seq) written
template <class T>
cudaError_t attention_forward(const T* q, const T* k, const T* v, const std::int32_t* segment_ids, T* out,
                              float* lse, std::int64_t batch, std::int64_t seq, std::int64_t heads,
                              std::int64_t kv_heads, std::int64_t head_dim, float scale, bool causal,
                              cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (batch == 0 || seq == 0 || heads == 0) return cudaSuccess;
  if (!detail::attention_dims_ok(batch, seq, heads, kv_heads, head_dim)) return cudaErrorInvalidValue;
  const detail::AttnDims d{batch, seq, seq, heads, kv_heads, head_dim, heads / kv_heads, scale, causal};
  return detail::launch_attention_forward<T>(q, k, v, segment_ids, nullptr, out, lse, d, stream);
}

/// Training backward: see AttentionKernels<Cuda>::backward. `dsum` (B, H, seq) fp32 is scratch
/// that the first kernel fills with rowsum(dout * out). Returns the launch status.
///   q, out, dout (B, seq, H, hd)   k, v (B, seq, Hkv, hd)   segment_ids (B, seq) or null
///   lse (B, H, seq)   dq (B, seq, H, hd), dk, dv (B, seq, Hkv, hd) written
template <class T>
cudaError_t attention_backward(const T* q, const T* k, const T* v, const std::int32_t* segment_ids, const T* out,
                               const float* lse, const T* dout, T* dq, T* dk, T* dv, float* dsum,
                               std::int64_t batch, std::int64_t seq, std::int64_t heads, std::int64_t kv_heads,
                               std::int64_t head_dim, float scale, bool causal, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (batch == 0 || seq == 0 || heads == 0) return cudaSuccess;
  if (!detail::attention_dims_ok(batch, seq, heads, kv_heads, head_dim)) return cudaErrorInvalidValue;
  const std::int64_t rows = batch * seq * heads;
  constexpr int kRowsPerBlock = 8;  // one warp per row
  detail::attention_row_dot_kernel<T>
      <<<detail::grid_for(rows, kRowsPerBlock), kRowsPerBlock * 32, 0, stream>>>(out, dout, dsum, rows, seq, heads,
                                                                                 head_dim);
  if (const cudaError_t e = cudaPeekAtLastError(); e != cudaSuccess) return e;
  const detail::AttnDims d{batch, seq, seq, heads, kv_heads, head_dim, heads / kv_heads, scale, causal};
  if (head_dim <= 32) return detail::launch_attention_backward<T, 32>(q, k, v, segment_ids, lse, dsum, dout, dq, dk, dv, d, stream);
  if (head_dim <= 64) return detail::launch_attention_backward<T, 64>(q, k, v, segment_ids, lse, dsum, dout, dq, dk, dv, d, stream);
  return detail::launch_attention_backward<T, 128>(q, k, v, segment_ids, lse, dsum, dout, dq, dk, dv, d, stream);
}

/// Cached (inference) attention: see AttentionKernels<Cuda>::cached. Returns the launch status.
///   q (B, tq, H, hd)   k_cache, v_cache (B, S, Hkv, hd)   past (B) on the device
///   out (B, tq, H, hd) written
template <class T>
cudaError_t attention_cached(const T* q, const T* k_cache, const T* v_cache, const std::int32_t* past, T* out,
                             std::int64_t batch, std::int64_t tq, std::int64_t capacity, std::int64_t heads,
                             std::int64_t kv_heads, std::int64_t head_dim, float scale, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (batch == 0 || tq == 0 || heads == 0) return cudaSuccess;
  if (!detail::attention_dims_ok(batch, tq, heads, kv_heads, head_dim)) return cudaErrorInvalidValue;
  const detail::AttnDims d{batch, tq, capacity, heads, kv_heads, head_dim, heads / kv_heads, scale, true};
  return detail::launch_attention_forward<T>(q, k_cache, v_cache, nullptr, past, out, nullptr, d, stream);
}

/// Appends tq new keys and values per row to a KV cache: see AttentionKernels<Cuda>::append.
///   k, v (B, tq, Hkv, hd)   k_cache, v_cache (B, S, Hkv, hd)   past (B) on the device
template <class T>
cudaError_t kv_append(const T* k, const T* v, T* k_cache, T* v_cache, const std::int32_t* past, std::int64_t batch,
                      std::int64_t tq, std::int64_t capacity, std::int64_t kv_heads, std::int64_t head_dim,
                      cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  const std::int64_t row_elems = kv_heads * head_dim, block = tq * row_elems, total = batch * block;
  if (total <= 0) return cudaSuccess;
  constexpr unsigned kThreads = 256;
  const unsigned blocks = std::min<unsigned>(detail::grid_for(total, kThreads), 1u << 16);  // grid-stride beyond
  detail::kv_append_kernel<T><<<blocks, kThreads, 0, stream>>>(k, v, k_cache, v_cache, past, total, block, tq,
                                                               capacity, row_elems);
  return cudaPeekAtLastError();
}

namespace detail {
/// Throws a dapt::Error naming what the CUDA kernels cannot run.
inline void check_attention_support(const char* fn, std::int64_t batch, std::int64_t tq, std::int64_t heads,
                                    std::int64_t kv_heads, std::int64_t hd) {
  DAPT_CHECK_AS(kUnsupported, hd >= 1 && hd <= kAttnMaxHeadDim, fn, ": head_dim ", hd,
                " is not supported by the CUDA attention kernels (1 to ", kAttnMaxHeadDim, ")");
  DAPT_CHECK_AS(kShape, kv_heads >= 1 && heads % kv_heads == 0, fn, ": ", heads,
                " query heads are not a multiple of the ", kv_heads, " kv heads");
  DAPT_CHECK_AS(kUnsupported, attention_dims_ok(batch, tq, heads, kv_heads, hd), fn, ": batch ", batch, ", ",
                kv_heads, " kv heads or ", tq, " tokens exceed the CUDA grid limits (65535, 65535, 2^31 tiles)");
}
}  // namespace detail

}  // namespace dapt::cuda

namespace dapt::backend {

/// The CUDA attention ops, with the CPU signatures for T = float (AttentionKernels<Cpu>) and the
/// same in bf16 storage. q, k, v, out, dout and dq, dk, dv are T; lse is fp32 always.
template <>
struct AttentionKernels<Cuda> {
  /// GQA forward. q (B, seq, H, hd); k, v (B, seq, Hkv, hd); segment_ids (B, seq) or null (query
  /// i sees key j iff j <= i when causal, and, when given, seg[j] == seg[i]); out (B, seq, H, hd)
  /// and lse (B, H, seq) written. Query head h reads kv head h / (H / Hkv). hd must be 1..128.
  template <class T>
  static void forward(const T* q, const T* k, const T* v, const std::int32_t* segment_ids, T* out, float* lse,
                      std::int64_t B, std::int64_t seq, std::int64_t H, std::int64_t Hkv, std::int64_t hd,
                      float scale, bool causal = true) {
    static_assert(cuda::detail::kStorageType<T>);
    if (B == 0 || seq == 0 || H == 0) return;
    cuda::detail::check_attention_support("AttentionKernels<Cuda>::forward", B, seq, H, Hkv, hd);
    DAPT_CUDA_CHECK(cuda::attention_forward(q, k, v, segment_ids, out, lse, B, seq, H, Hkv, hd, scale, causal,
                                            cuda::current_stream()));
  }

  /// Gradients of forward: dq (B, seq, H, hd), dk, dv (B, seq, Hkv, hd) written (not accumulated),
  /// from the forward's inputs, out, lse (B, H, seq) and dout (B, seq, H, hd). Uses B * H * seq
  /// floats of the context's scratch.
  template <class T>
  static void backward(const T* q, const T* k, const T* v, const std::int32_t* segment_ids, const T* out,
                       const float* lse, const T* dout, T* dq, T* dk, T* dv, std::int64_t B, std::int64_t seq,
                       std::int64_t H, std::int64_t Hkv, std::int64_t hd, float scale, bool causal = true) {
    static_assert(cuda::detail::kStorageType<T>);
    if (B == 0 || seq == 0 || H == 0) return;
    cuda::detail::check_attention_support("AttentionKernels<Cuda>::backward", B, seq, H, Hkv, hd);
    cuda::Context& ctx = cuda::current();
    auto* dsum = static_cast<float*>(ctx.scratch(static_cast<std::size_t>(B * H * seq) * sizeof(float)));
    DAPT_CUDA_CHECK(cuda::attention_backward(q, k, v, segment_ids, out, lse, dout, dq, dk, dv, dsum, B, seq, H, Hkv,
                                             hd, scale, causal, ctx.stream()));
  }

  /// Appends Tq new keys and values per row to a KV cache, in one launch: k_cache[b, past[b] + t]
  /// = k[b, t], the same for v. k, v (B, Tq, Hkv, hd); k_cache, v_cache (B, S, Hkv, hd); past (B)
  /// in device memory. A row with past[b] < 0 or past[b] + Tq > S cannot throw here: it is left
  /// unwritten (and `cached` fills its output with NaN). The model checks the host lengths first.
  template <class T>
  static void append(const T* k, const T* v, T* k_cache, T* v_cache, const std::int32_t* past, std::int64_t B,
                     std::int64_t Tq, std::int64_t S, std::int64_t Hkv, std::int64_t hd) {
    static_assert(cuda::detail::kStorageType<T>);
    DAPT_CUDA_CHECK(cuda::kv_append(k, v, k_cache, v_cache, past, B, Tq, S, Hkv, hd, cuda::current_stream()));
  }

  /// Attention of Tq new tokens per row against a KV cache. q (B, Tq, H, hd); k_cache, v_cache
  /// (B, S, Hkv, hd) already holding the new tokens at [past[b], past[b] + Tq); past (B), in
  /// device memory; out (B, Tq, H, hd) written. Query i of row b sees cache positions
  /// [0, past[b] + i]; cache entries after past[b] + Tq are never read. past[b] < 0 or
  /// past[b] + Tq > S cannot throw here (past is on the device and nothing synchronises): that
  /// row's out is filled with NaN instead.
  template <class T>
  static void cached(const T* q, const T* k_cache, const T* v_cache, const std::int32_t* past, T* out,
                     std::int64_t B, std::int64_t Tq, std::int64_t S, std::int64_t H, std::int64_t Hkv,
                     std::int64_t hd, float scale) {
    static_assert(cuda::detail::kStorageType<T>);
    if (B == 0 || Tq == 0 || H == 0) return;
    cuda::detail::check_attention_support("AttentionKernels<Cuda>::cached", B, Tq, H, Hkv, hd);
    DAPT_CUDA_CHECK(cuda::attention_cached(q, k_cache, v_cache, past, out, B, Tq, S, H, Hkv, hd, scale,
                                           cuda::current_stream()));
  }
};

}  // namespace dapt::backend
