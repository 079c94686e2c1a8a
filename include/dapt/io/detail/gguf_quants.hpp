/// @file gguf_quants.hpp
/// @brief The ggml block formats that dapt reads and writes (Q4_0, Q4_1, Q8_0, Q4_K, Q6_K), as
/// plain loops over little-endian bytes: dequantisation of whole blocks to float, and the
/// reference quantisers of ggml (the `quantize_row_*_ref` behaviour, with no importance matrix)
/// so that tests and the GGUF writer can produce blocks a llama.cpp build reads identically.
/// Bytes are read one at a time, never through a cast struct, so any alignment and any host byte
/// order work, and a hostile block can only produce odd floats (NaN, Inf), never a bad access.
///
/// Layouts (ggml/src/ggml-common.h; element order within a block is what the loops below write):
///
///   Q4_0   32 elements, 18 bytes: f16 d | u8 qs[16]. x[j] = (qs[j] & 15) - 8, x[j+16] = (qs[j] >> 4) - 8,
///          each times d.
///   Q4_1   32 elements, 20 bytes: f16 d | f16 m | u8 qs[16]. Nibbles as Q4_0, value q*d + m.
///   Q8_0   32 elements, 34 bytes: f16 d | i8 qs[32]. x[j] = qs[j]*d.
///   Q4_K  256 elements, 144 bytes: f16 d | f16 dmin | u8 scales[12] | u8 qs[128]. Eight sub-blocks
///          of 32 with a 6-bit scale and a 6-bit min each (packed, see scale_min_k4). Chunk c of 64
///          elements uses qs[32c..32c+31]: low nibbles are sub-block 2c, high nibbles 2c+1; value
///          d*sc*q - dmin*m.
///   Q6_K  256 elements, 210 bytes: u8 ql[128] | u8 qh[64] | i8 scales[16] | f16 d. Sixteen
///          sub-blocks of 16 with an 8-bit signed scale. Half h of 128 elements uses ql[64h..],
///          qh[32h..], scales[8h..]; the 6-bit q (4 low bits from ql, 2 high bits from qh) minus
///          32, times d*scale.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dapt/core/dtype.hpp"
#include "dapt/core/error.hpp"

namespace dapt::io::detail::ggml {

inline constexpr int kQk32 = 32;    ///< elements per block of Q4_0, Q4_1, Q8_0
inline constexpr int kQkK = 256;    ///< elements per super-block of the k-quants
inline constexpr std::size_t kQ4_0Bytes = 18;
inline constexpr std::size_t kQ4_1Bytes = 20;
inline constexpr std::size_t kQ8_0Bytes = 34;
inline constexpr std::size_t kQ4_KBytes = 144;
inline constexpr std::size_t kQ6_KBytes = 210;

inline float load_f16(const unsigned char* p) noexcept {
  return f16::to_float(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
}

/// Stores `v` as f16 (round to nearest even, as GGML_FP32_TO_FP16) and returns the stored value,
/// which is what a reader will see: the quantisers must compute with it, not with `v`.
inline float store_f16(unsigned char* p, float v) noexcept {
  const std::uint16_t h = f16::from_float(v);
  p[0] = static_cast<unsigned char>(h & 0xff);
  p[1] = static_cast<unsigned char>(h >> 8);
  return f16::to_float(h);
}

// ---------------------------------------------------------------------------------------------
// Dequantisation: `blocks` whole blocks from `src` to `dst` (blocks * block size floats).

inline void dequantize_q4_0(const unsigned char* src, float* dst, std::int64_t blocks) noexcept {
  for (std::int64_t b = 0; b < blocks; ++b, src += kQ4_0Bytes, dst += kQk32) {
    const float d = load_f16(src);
    const unsigned char* qs = src + 2;
    for (int j = 0; j < 16; ++j) {
      dst[j] = static_cast<float>((qs[j] & 15) - 8) * d;
      dst[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
  }
}

inline void dequantize_q4_1(const unsigned char* src, float* dst, std::int64_t blocks) noexcept {
  for (std::int64_t b = 0; b < blocks; ++b, src += kQ4_1Bytes, dst += kQk32) {
    const float d = load_f16(src);
    const float m = load_f16(src + 2);
    const unsigned char* qs = src + 4;
    for (int j = 0; j < 16; ++j) {
      dst[j] = static_cast<float>(qs[j] & 15) * d + m;
      dst[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
    }
  }
}

inline void dequantize_q8_0(const unsigned char* src, float* dst, std::int64_t blocks) noexcept {
  for (std::int64_t b = 0; b < blocks; ++b, src += kQ8_0Bytes, dst += kQk32) {
    const float d = load_f16(src);
    for (int j = 0; j < kQk32; ++j) dst[j] = static_cast<float>(static_cast<std::int8_t>(src[2 + j])) * d;
  }
}

/// The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K super-block. Bytes 0..3 hold the
/// low 6 bits of scales 0..3 (top 2 bits: high bits of scale 4..7), bytes 4..7 the same for the
/// mins, and bytes 8..11 the low 4 bits of scale (low nibble) and min (high nibble) of 4..7.
inline void scale_min_k4(int j, const unsigned char* s, unsigned& scale, unsigned& min) noexcept {
  if (j < 4) {
    scale = s[j] & 63u;
    min = s[j + 4] & 63u;
  } else {
    scale = (s[j + 4] & 15u) | ((s[j - 4] >> 6) << 4);
    min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

inline void dequantize_q4_k(const unsigned char* src, float* dst, std::int64_t blocks) noexcept {
  for (std::int64_t b = 0; b < blocks; ++b, src += kQ4_KBytes, dst += kQkK) {
    const float d = load_f16(src);
    const float dmin = load_f16(src + 2);
    const unsigned char* scales = src + 4;
    const unsigned char* qs = src + 16;
    for (int c = 0; c < 4; ++c) {
      unsigned sc0, m0, sc1, m1;
      scale_min_k4(2 * c, scales, sc0, m0);
      scale_min_k4(2 * c + 1, scales, sc1, m1);
      const float d0 = d * static_cast<float>(sc0), min0 = dmin * static_cast<float>(m0);
      const float d1 = d * static_cast<float>(sc1), min1 = dmin * static_cast<float>(m1);
      const unsigned char* q = qs + 32 * c;
      float* y = dst + 64 * c;
      for (int l = 0; l < 32; ++l) y[l] = d0 * static_cast<float>(q[l] & 15) - min0;
      for (int l = 0; l < 32; ++l) y[32 + l] = d1 * static_cast<float>(q[l] >> 4) - min1;
    }
  }
}

inline void dequantize_q6_k(const unsigned char* src, float* dst, std::int64_t blocks) noexcept {
  for (std::int64_t b = 0; b < blocks; ++b, src += kQ6_KBytes, dst += kQkK) {
    const float d = load_f16(src + 208);
    for (int h = 0; h < 2; ++h) {
      const unsigned char* ql = src + 64 * h;
      const unsigned char* qh = src + 128 + 32 * h;
      const auto* sc = reinterpret_cast<const std::int8_t*>(src + 192 + 8 * h);
      float* y = dst + 128 * h;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Quantisation (ggml's reference quantisers). Inputs must be finite; a block whose scale does
// not fit f16 is refused (kNumeric) rather than written as Inf.

/// Round to nearest, ties to even, as ggml's nearest_int (which adds 1.5 * 2^23 under the default
/// rounding mode). Clamped first, so a huge quotient (a denormal scale) cannot overflow the int.
inline int nearest_int(float v) noexcept { return static_cast<int>(std::nearbyint(std::clamp(v, -4194303.0f, 4194303.0f))); }

inline void check_block_finite(const float* x, int n, const char* type) {
  for (int i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      DAPT_FAIL(ErrorCategory::kNumeric, "cannot quantize to ", type, ": element ", i, " of a block is ", x[i]);
}

inline void check_scale(float stored, const char* type) {
  if (!std::isfinite(stored))
    DAPT_FAIL(ErrorCategory::kNumeric, "cannot quantize to ", type, ": a block scale overflows f16 (values too large)");
}

inline void check_fit(float scale, float min, const char* type) {
  if (!std::isfinite(scale) || !std::isfinite(min))
    DAPT_FAIL(ErrorCategory::kNumeric, "cannot quantize to ", type, ": values too large for the f16 block scales");
}

inline void quantize_q8_0(const float* x, unsigned char* dst, std::int64_t blocks) {
  for (std::int64_t b = 0; b < blocks; ++b, x += kQk32, dst += kQ8_0Bytes) {
    check_block_finite(x, kQk32, "Q8_0");
    float amax = 0.0f;
    for (int j = 0; j < kQk32; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    check_scale(store_f16(dst, d), "Q8_0");
    // ggml rounds with the unrounded 1/d (roundf: half away from zero).
    for (int j = 0; j < kQk32; ++j) dst[2 + j] = static_cast<unsigned char>(static_cast<std::int8_t>(std::round(x[j] * id)));
  }
}

inline void quantize_q4_0(const float* x, unsigned char* dst, std::int64_t blocks) {
  for (std::int64_t b = 0; b < blocks; ++b, x += kQk32, dst += kQ4_0Bytes) {
    check_block_finite(x, kQk32, "Q4_0");
    float amax = 0.0f, max = 0.0f;  // the signed value of largest magnitude (first one wins)
    for (int j = 0; j < kQk32; ++j)
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    // Mapping the extreme value to -8 uses the full signed range [-8, 7] on that side.
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    check_scale(store_f16(dst, d), "Q4_0");
    for (int j = 0; j < 16; ++j) {
      const int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));  // truncation, as ggml
      const int q1 = std::min(15, static_cast<int>(x[j + 16] * id + 8.5f));
      dst[2 + j] = static_cast<unsigned char>(q0 | (q1 << 4));
    }
  }
}

inline void quantize_q4_1(const float* x, unsigned char* dst, std::int64_t blocks) {
  for (std::int64_t b = 0; b < blocks; ++b, x += kQk32, dst += kQ4_1Bytes) {
    check_block_finite(x, kQk32, "Q4_1");
    float min = x[0], max = x[0];
    for (int j = 1; j < kQk32; ++j) {
      min = std::min(min, x[j]);
      max = std::max(max, x[j]);
    }
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    check_scale(store_f16(dst, d), "Q4_1");
    check_scale(store_f16(dst + 2, min), "Q4_1");
    for (int j = 0; j < 16; ++j) {
      const int q0 = std::min(15, static_cast<int>((x[j] - min) * id + 0.5f));
      const int q1 = std::min(15, static_cast<int>((x[j + 16] - min) * id + 0.5f));
      dst[4 + j] = static_cast<unsigned char>(q0 | (q1 << 4));
    }
  }
}

/// Fits x ~ scale * L - min_out with L in [0, nmax] minimising the weighted squared error
/// (ggml's make_qkx2_quants without the mean-absolute option): the plain min/max fit first, then
/// nstep + 1 nudged scales, each refined by least squares for (scale, min) with min <= 0.
/// Returns the scale; `min_out` gets the (non-negative) offset.
inline float fit_scale_min(int n, int nmax, const float* x, const float* w, std::uint8_t* L, float& min_out,
                           std::uint8_t* Laux, float rmin, float rdelta, int nstep) {
  float min = x[0], max = x[0];
  float sum_w = w[0], sum_x = w[0] * x[0];
  for (int i = 1; i < n; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::fill(L, L + n, std::uint8_t{0});
    min_out = -min;
    return 0.0f;
  }
  float iscale = static_cast<float>(nmax) / (max - min);
  float scale = 1.0f / iscale;
  float best_error = 0.0f;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<std::uint8_t>(std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax));
    const float diff = scale * static_cast<float>(L[i]) + min - x[i];
    best_error += w[i] * diff * diff;
  }
  for (int step = 0; step <= nstep; ++step) {
    iscale = (rmin + rdelta * static_cast<float>(step) + static_cast<float>(nmax)) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax);
      Laux[i] = static_cast<std::uint8_t>(l);
      const float fl = static_cast<float>(l);
      sum_l += w[i] * fl;
      sum_l2 += w[i] * fl * fl;
      sum_xl += w[i] * fl * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float error = 0.0f;
      for (int i = 0; i < n; ++i) {
        const float diff = this_scale * static_cast<float>(Laux[i]) + this_min - x[i];
        error += w[i] * diff * diff;
      }
      if (error < best_error) {
        std::copy(Laux, Laux + n, L);
        best_error = error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  min_out = -min;
  return scale;
}

/// Fits x ~ scale * (L - nmax) with L - nmax in [-nmax, nmax - 1], weights x^2 (ggml's
/// make_qx_quants with rmse_type 1 and no importance weights): the scale that maps the largest
/// magnitude to -nmax, then 18 nudged scales, keeping the least-squares best. Returns the scale.
inline float fit_symmetric_scale(int n, int nmax, const float* x, std::int8_t* L) {
  float max = 0.0f, amax = 0.0f;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  if (amax < 1e-15f) {
    std::fill(L, L + n, std::int8_t{0});
    return 0.0f;
  }
  auto level = [&](float iscale, int i) { return std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1); };
  float iscale = -static_cast<float>(nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = level(iscale, i);
    L[i] = static_cast<std::int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = level(iscale, i);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * static_cast<float>(l);
      suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) L[i] = static_cast<std::int8_t>(level(iscale, i) + nmax);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

inline void quantize_q4_k(const float* x, unsigned char* dst, std::int64_t blocks) {
  std::uint8_t L[kQkK], Laux[32];
  float weights[32], mins[8], scales[8];
  for (std::int64_t b = 0; b < blocks; ++b, x += kQkK, dst += kQ4_KBytes) {
    check_block_finite(x, kQkK, "Q4_K");
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
      const float* xs = x + 32 * j;
      float sum_x2 = 0;
      for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
      const float av_x = std::sqrt(sum_x2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
      scales[j] = fit_scale_min(32, 15, xs, weights, L + 32 * j, mins[j], Laux, -1.0f, 0.1f, 20);
      // Squares of values beyond ~1e19 overflow float and poison the fit with Inf/NaN.
      check_fit(scales[j], mins[j], "Q4_K");
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    // Sub-block scales and mins become 6-bit multiples of the super-block's d and dmin.
    const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
    const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
    unsigned char* s = dst + 4;
    std::memset(s, 0, 12);
    for (int j = 0; j < 8; ++j) {
      const unsigned ls = static_cast<unsigned>(std::clamp(nearest_int(inv_scale * scales[j]), 0, 63));
      const unsigned lm = static_cast<unsigned>(std::clamp(nearest_int(inv_min * mins[j]), 0, 63));
      if (j < 4) {
        s[j] = static_cast<unsigned char>(ls);
        s[j + 4] = static_cast<unsigned char>(lm);
      } else {
        s[j + 4] = static_cast<unsigned char>((ls & 15) | ((lm & 15) << 4));
        s[j - 4] = static_cast<unsigned char>(s[j - 4] | ((ls >> 4) << 6));
        s[j] = static_cast<unsigned char>(s[j] | ((lm >> 4) << 6));
      }
    }
    const float d = store_f16(dst, max_scale / 63.0f);
    const float dmin = store_f16(dst + 2, max_min / 63.0f);
    check_scale(d, "Q4_K");
    check_scale(dmin, "Q4_K");
    // Requantise against the scales a reader will see.
    for (int j = 0; j < 8; ++j) {
      unsigned sc, m;
      scale_min_k4(j, s, sc, m);
      const float dj = d * static_cast<float>(sc);
      if (dj == 0.0f) continue;
      const float dmj = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l)
        L[32 * j + l] = static_cast<std::uint8_t>(std::clamp(nearest_int((x[32 * j + l] + dmj) / dj), 0, 15));
    }
    unsigned char* q = dst + 16;
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) q[32 * c + l] = static_cast<unsigned char>(L[64 * c + l] | (L[64 * c + l + 32] << 4));
  }
}

inline void quantize_q6_k(const float* x, unsigned char* dst, std::int64_t blocks) {
  std::int8_t L[kQkK];
  float scales[16];
  for (std::int64_t b = 0; b < blocks; ++b, x += kQkK, dst += kQ6_KBytes) {
    check_block_finite(x, kQkK, "Q6_K");
    float max_scale = 0, max_abs_scale = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_symmetric_scale(16, 32, x + 16 * j, L + 16 * j);
      check_fit(scales[j], 0.0f, "Q6_K");
      if (std::fabs(scales[j]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    std::memset(dst, 0, kQ6_KBytes);
    if (max_abs_scale < 1e-15f) continue;  // an all-zero block: d = 0
    // The sub-block scale of largest magnitude maps to -128, the others proportionally.
    const float iscale = -128.0f / max_scale;
    const float d = store_f16(dst + 208, 1.0f / iscale);
    check_scale(d, "Q6_K");
    auto* sc = reinterpret_cast<std::int8_t*>(dst + 192);
    for (int j = 0; j < 16; ++j) sc[j] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * scales[j])));
    for (int j = 0; j < 16; ++j) {
      const float dj = d * static_cast<float>(sc[j]);
      if (dj == 0.0f) continue;
      for (int l = 0; l < 16; ++l)
        L[16 * j + l] = static_cast<std::int8_t>(std::clamp(nearest_int(x[16 * j + l] / dj), -32, 31) + 32);
    }
    for (int h = 0; h < 2; ++h) {
      unsigned char* ql = dst + 64 * h;
      unsigned char* qh = dst + 128 + 32 * h;
      const std::int8_t* Lh = L + 128 * h;
      for (int l = 0; l < 32; ++l) {
        const unsigned q1 = static_cast<unsigned>(Lh[l]), q2 = static_cast<unsigned>(Lh[l + 32]);
        const unsigned q3 = static_cast<unsigned>(Lh[l + 64]), q4 = static_cast<unsigned>(Lh[l + 96]);
        ql[l] = static_cast<unsigned char>((q1 & 15) | ((q3 & 15) << 4));
        ql[l + 32] = static_cast<unsigned char>((q2 & 15) | ((q4 & 15) << 4));
        qh[l] = static_cast<unsigned char>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

}  // namespace dapt::io::detail::ggml
