// The CUDA emulator's stand-in for <cuda_bf16.h>: the bfloat16 type and the conversions dapt uses.
#pragma once
#include <bit>
#include <cstdint>

#include "dapt_emu/runtime.hpp"

struct __nv_bfloat16 {
  unsigned short x;
};

/// fp32 -> bf16, rounding to nearest even; a NaN stays a (quiet) NaN.
inline __nv_bfloat16 __float2bfloat16_rn(float f) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return {static_cast<unsigned short>((u >> 16) | 0x40u)};
  const std::uint32_t rounded = u + 0x7fffu + ((u >> 16) & 1u);
  return {static_cast<unsigned short>(rounded >> 16)};
}
inline __nv_bfloat16 __float2bfloat16(float f) { return __float2bfloat16_rn(f); }
inline float __bfloat162float(__nv_bfloat16 h) { return std::bit_cast<float>(static_cast<std::uint32_t>(h.x) << 16); }
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.x; }
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short u) { return {u}; }
