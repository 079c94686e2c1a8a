/// @file embedding.hpp
/// @brief CPU row gather (embedding lookup) and its backward, a scatter-add into the table's
/// gradient. The scatter is parallel over column blocks, so repeated ids never race and the sum
/// order is fixed: the result is the same for any thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "dapt/backend/kernels.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::backend {

template <>
struct EmbeddingKernels<Cpu> {
  /// out (N, C) = table (V, C)[ids (N)]; ids are checked against V.
  static void gather(const float* table, const std::int32_t* ids, float* out, std::int64_t n, std::int64_t c,
                     std::int64_t v) {
    for (std::int64_t i = 0; i < n; ++i)
      DAPT_CHECK_AS(kOutOfRange, ids[i] >= 0 && ids[i] < v, "token id ", ids[i], " at position ", i,
                    " is outside the vocabulary of ", v, " tokens");
    parallel_for(0, n, [&](std::int64_t i) {
      std::memcpy(out + i * c, table + static_cast<std::int64_t>(ids[i]) * c, static_cast<std::size_t>(c) * sizeof(float));
    }, 16);
  }

  /// dtable (V, C)[ids[i]] += dout (N, C)[i] for every i, in order of i. `v` (the table's rows)
  /// is the CUDA backend's bound for skipping bad ids; here gather has already refused them.
  static void scatter_add(const float* dout, const std::int32_t* ids, float* dtable, std::int64_t n,
                          std::int64_t c, [[maybe_unused]] std::int64_t v = 0) {
    constexpr std::int64_t kBlock = 64;
    const std::int64_t blocks = (c + kBlock - 1) / kBlock;
    parallel_for(0, blocks, [&](std::int64_t b) {
      const std::int64_t c0 = b * kBlock, c1 = std::min(c, c0 + kBlock);
      for (std::int64_t i = 0; i < n; ++i) {
        float* dst = dtable + static_cast<std::int64_t>(ids[i]) * c;
        const float* src = dout + i * c;
        for (std::int64_t j = c0; j < c1; ++j) dst[j] += src[j];
      }
    });
  }
};

}  // namespace dapt::backend
