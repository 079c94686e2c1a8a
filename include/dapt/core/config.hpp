/// @file config.hpp
/// @brief Version, compiler and platform macros shared by every dapt header. It holds the
/// `DAPT_HOST_DEVICE` qualifier so small value types (bf16, f16, Philox) compile both for the host
/// and, under nvcc, for the device, without any header pulling in CUDA itself.
#pragma once

#define DAPT_VERSION_MAJOR 0
#define DAPT_VERSION_MINOR 1
#define DAPT_VERSION_PATCH 0
#define DAPT_VERSION_STRING "0.1.0"

#if defined(__CUDACC__)
#define DAPT_HOST_DEVICE __host__ __device__
#define DAPT_DEVICE __device__
#else
#define DAPT_HOST_DEVICE
#define DAPT_DEVICE
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DAPT_LIKELY(x) __builtin_expect(!!(x), 1)
#define DAPT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define DAPT_LIKELY(x) (x)
#define DAPT_UNLIKELY(x) (x)
#endif

namespace dapt {

/// Alignment, in bytes, of every CPU buffer dapt allocates (one cache line, AVX-512 friendly).
inline constexpr unsigned kCpuAlignment = 64;

}  // namespace dapt
