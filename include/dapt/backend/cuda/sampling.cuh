/// @file sampling.cuh
/// @brief Token sampling on the device, so a decode loop never copies logits to the host: one
/// block per row follows nn::Sampler step by step (repetition penalty, argmax for greedy or
/// temperature 0, top-k with ties kept, top-p over the top-k survivors, one inverse-CDF draw) and
/// writes the token id to device memory. The uniform draw `u` is an argument (from the host, or
/// one per row in device memory) that the caller takes from the same `Rng`, in the same way, as
/// the CPU Sampler would (`rng.uniform_double()` once per sampled row, none when
/// `nn::draws_uniform(options)` is false), so a run keeps its RNG sequence whichever device samples.
///
/// What matches the CPU: the penalised logits bit for bit (the same float multiply or divide),
/// the argmax (lowest id among equal maxima), the top-k threshold (the exact k-th largest value,
/// found by a radix select, and every tie at it kept), the candidate order (ids ascending, or for
/// top-p logits descending then ids ascending, by a stable radix sort) and the weights
/// exp((l - max) / T) in double. What may differ: the device's double `exp` may differ from the
/// host's by an ulp, and the prefix sums are added in another association (per-thread runs,
/// then their totals in order), so the chosen token equals the CPU's except when u * total (or
/// top_p * z) lies within a few ulps of a prefix sum — a float tie, never seen with random draws.
/// Differences on purpose: the input logits are not modified (the CPU writes the penalised
/// logits back), and an invalid row (a NaN or +inf logit after the penalty, a context id outside
/// the vocabulary, or every logit -inf when sampling) yields token nn::kInvalidToken (-1) instead of
/// an exception, since the device cannot throw without a host synchronisation.
#pragma once

#include <cuda_runtime.h>

#include <climits>
#include <cstddef>
#include <cstdint>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/dtype.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/sampling.hpp"

namespace dapt::cuda {

/// nn::SamplingOptions as the kernel receives them (a trivially copyable value).
struct SampleConfig {
  float temperature = 1.0f;
  int top_k = 0;
  float top_p = 1.0f;
  float repetition_penalty = 1.0f;
  bool greedy = false;

  static SampleConfig from(const nn::SamplingOptions& o) noexcept {
    SampleConfig c;
    c.temperature = o.temperature;
    c.top_k = o.top_k;
    c.top_p = o.top_p;
    c.repetition_penalty = o.repetition_penalty;
    c.greedy = o.greedy;
    return c;
  }
};

/// Where each row's context ids are in device memory: row r's are ids[offsets[r], offsets[r + 1])
/// when `offsets` is set (CSR); else ids[r * stride, r * stride + lengths[r]) when `lengths` is
/// set (a padded matrix, as a decode loop keeps it); else ids[0, len) for every row.
struct ContextRows {
  const std::int32_t* ids = nullptr;
  const std::int64_t* offsets = nullptr;  // (rows + 1,)
  const std::int32_t* lengths = nullptr;  // (rows,)
  std::int64_t stride = 0;
  std::int64_t len = 0;
};

namespace detail {

/// One block per row; the algorithms below assume exactly this many threads (>= 256 bins).
inline constexpr int kSampleThreads = 1024;
inline constexpr int kSampleWarps = kSampleThreads / 32;
static_assert(kSampleThreads % 32 == 0 && kSampleThreads >= 256 && kSampleWarps <= 32);

/// Scratch words per row: the penalised logits in fp32 and two candidate-id lists.
inline constexpr std::int64_t kSampleScratchWordsPerLogit = 3;

/// Shared memory of one row's block (about 27 KB).
struct SampleShared {
  double dscan[kSampleThreads];                    // per-thread run sums, then their exclusive prefixes
  unsigned short warp_count[kSampleWarps][256];    // radix sort: per-warp digit counts, then offsets
  int hist[256];                                   // digit histogram (radix select and sort)
  int bin_off[256];                                // radix sort: where each digit's next item goes
  int warp_total[kSampleWarps];                    // compaction: candidates per warp in a tile
  float red_v[kSampleWarps];                       // block reductions
  long long red_i[kSampleWarps];
  double total;                                    // segment_scan's result
  int flag;                                        // an invalid logit or context id was seen
  int sel_digit, sel_rank;                         // radix select / sort decisions of thread 0
};

/// A 32-bit key whose unsigned order is the float order (-0 and +0 share the key of +0). NaN
/// never reaches it.
__device__ __forceinline__ unsigned order_key(float l) {
  const unsigned b = __float_as_uint(l == 0.0f ? 0.0f : l);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
/// The float of an order_key.
__device__ __forceinline__ float key_value(unsigned k) {
  return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

/// The CPU's weight of a candidate: exp((l - max) / T) as exp((double(l) - max) * (1 / T)).
__device__ __forceinline__ double sample_weight(float l, float max_logit, double inv_t) {
  return exp(__dmul_rn(__dsub_rn(static_cast<double>(l), static_cast<double>(max_logit)), inv_t));
}

__device__ __forceinline__ unsigned lanes_below() { return (1u << (threadIdx.x & 31)) - 1u; }

/// hist[d] += 1 for each lane's digit d (256 = none), one shared atomic per distinct digit of
/// the warp. Every lane of the warp must call it.
__device__ __forceinline__ void warp_hist_add(int* hist, unsigned d) {
  const unsigned peers = __match_any_sync(0xffffffffu, d);
  if (d < 256u && (peers & lanes_below()) == 0u) atomicAdd(&hist[d], __popc(peers));
}

/// The block-wide (largest value, lowest index among equals); every thread gets it.
__device__ __forceinline__ void block_argmax(float& v, long long& i, SampleShared& s) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const auto combine = [&]() {
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, v, o);
      const long long oi = __shfl_xor_sync(0xffffffffu, i, o);
      if (ov > v || (ov == v && oi < i)) {
        v = ov;
        i = oi;
      }
    }
  };
  combine();
  __syncthreads();  // red_* may still be read by a previous reduction
  if (lane == 0) {
    s.red_v[warp] = v;
    s.red_i[warp] = i;
  }
  __syncthreads();
  v = lane < kSampleWarps ? s.red_v[lane] : -INFINITY;
  i = lane < kSampleWarps ? s.red_i[lane] : LLONG_MAX;
  combine();
}

/// The block-wide minimum (or maximum) of v; every thread gets it.
template <bool kMin>
__device__ __forceinline__ long long block_extreme(long long v, SampleShared& s) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const auto pick = [](long long a, long long b) { return kMin ? (a < b ? a : b) : (a > b ? a : b); };
  for (int o = 16; o > 0; o >>= 1) v = pick(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();
  if (lane == 0) s.red_i[warp] = v;
  __syncthreads();
  v = lane < kSampleWarps ? s.red_i[lane] : (kMin ? LLONG_MAX : LLONG_MIN);
  for (int o = 16; o > 0; o >>= 1) v = pick(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/// The k-th largest of work[0, n) (1 <= k <= n, repeats counted), by an MSB-first radix select
/// over order_key: four passes of 8 bits, each counting the keys that share the digits found so
/// far. Integer counts, so the result is exact and deterministic.
__device__ inline float kth_largest(const float* work, std::int64_t n, int k, SampleShared& s) {
  const int tid = threadIdx.x;
  unsigned prefix = 0u, mask = 0u;
  int rank = k;  // the rank wanted among the keys that match `prefix` under `mask`
  for (int shift = 24; shift >= 0; shift -= 8) {
    if (tid < 256) s.hist[tid] = 0;
    __syncthreads();
    for (std::int64_t base = 0; base < n; base += kSampleThreads) {
      const std::int64_t i = base + tid;
      unsigned d = 256u;
      if (i < n) {
        const unsigned key = order_key(work[i]);
        if ((key & mask) == prefix) d = (key >> shift) & 255u;
      }
      warp_hist_add(s.hist, d);
    }
    __syncthreads();
    if (tid == 0) {
      int above = 0, d = 255;
      for (; d > 0; --d) {
        if (above + s.hist[d] >= rank) break;
        above += s.hist[d];
      }
      s.sel_digit = d;
      s.sel_rank = rank - above;
    }
    __syncthreads();
    prefix |= static_cast<unsigned>(s.sel_digit) << shift;
    mask |= 255u << shift;
    rank = s.sel_rank;
  }
  return key_value(prefix);
}

/// Writes the ids i with work[i] != -inf (and work[i] >= threshold when `use_k`) to list, in
/// increasing order; returns their number.
__device__ inline std::int64_t compact_candidates(const float* work, std::int64_t n, bool use_k, float threshold,
                                                  int* list, SampleShared& s) {
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  std::int64_t out = 0;
  for (std::int64_t base = 0; base < n; base += kSampleThreads) {
    const std::int64_t i = base + tid;
    bool keep = false;
    if (i < n) {
      const float l = work[i];
      keep = l != -INFINITY && (!use_k || l >= threshold);
    }
    const unsigned ballot = __ballot_sync(0xffffffffu, keep);
    if (lane == 0) s.warp_total[warp] = __popc(ballot);
    __syncthreads();
    int before = 0, tile = 0;
    for (int w = 0; w < kSampleWarps; ++w) {
      const int c = s.warp_total[w];
      before += w < warp ? c : 0;
      tile += c;
    }
    if (keep) list[out + before + __popc(ballot & lanes_below())] = static_cast<int>(i);
    out += tile;
    __syncthreads();  // warp_total is rewritten by the next tile
  }
  return out;
}

/// The radix digit of candidate `id` for a sort by logit descending: the complement of its key.
__device__ __forceinline__ unsigned desc_digit(const float* work, int id, int shift) {
  return ((~order_key(work[id])) >> shift) & 255u;
}

/// Sorts the `count` ids of `a` (in increasing order on entry) by logit descending, ties keeping
/// their order (ids ascending): the CPU's top-p order. LSD radix sort, 8 bits a pass, stable;
/// `b` is the other buffer. Returns the buffer that holds the result (a or b).
__device__ inline int* sort_by_logit_desc(int* a, int* b, std::int64_t count, const float* work, SampleShared& s) {
  const int tid = threadIdx.x, warp = tid >> 5;
  int* src = a;
  int* dst = b;
  for (int shift = 0; shift < 32; shift += 8) {
    if (tid < 256) s.hist[tid] = 0;
    __syncthreads();
    for (std::int64_t base = 0; base < count; base += kSampleThreads) {
      const std::int64_t j = base + tid;
      warp_hist_add(s.hist, j < count ? desc_digit(work, src[j], shift) : 256u);
    }
    __syncthreads();
    if (tid == 0) {
      int run = 0, used = 0;
      for (int d = 0; d < 256; ++d) {
        const int c = s.hist[d];
        s.bin_off[d] = run;
        run += c;
        used += c != 0;
      }
      s.sel_digit = used;
    }
    __syncthreads();
    if (s.sel_digit <= 1) continue;  // one digit for every key: this stable pass keeps the order

    // Stable scatter, one tile of kSampleThreads items at a time: an item's place is its digit's
    // next free slot + the items of that digit in earlier warps of the tile + those in earlier
    // lanes of its warp.
    for (std::int64_t tile = 0; tile < count; tile += kSampleThreads) {
      for (int e = tid; e < kSampleWarps * 256; e += kSampleThreads) s.warp_count[e >> 8][e & 255] = 0;
      __syncthreads();
      const std::int64_t j = tile + tid;
      const bool valid = j < count;
      int id = 0;
      unsigned d = 256u;
      if (valid) {
        id = src[j];
        d = desc_digit(work, id, shift);
      }
      const unsigned peers = __match_any_sync(0xffffffffu, d);
      const int rank = __popc(peers & lanes_below());
      if (valid && rank == 0) s.warp_count[warp][d] = static_cast<unsigned short>(__popc(peers));
      __syncthreads();
      int tile_count = 0;
      if (tid < 256) {
        int run = 0;
        for (int w = 0; w < kSampleWarps; ++w) {
          const int c = s.warp_count[w][tid];
          s.warp_count[w][tid] = static_cast<unsigned short>(run);
          run += c;
        }
        tile_count = run;
      }
      __syncthreads();
      if (valid) dst[s.bin_off[d] + s.warp_count[warp][d] + rank] = id;
      __syncthreads();  // every read of bin_off and warp_count is done
      if (tid < 256) s.bin_off[tid] += tile_count;
    }
    int* t = src;
    src = dst;
    dst = t;
  }
  __syncthreads();
  return src;
}

/// The sum of the weights of list[0, count): each thread adds a contiguous run in order, then
/// the run totals are added in order. Leaves in s.dscan[t] the sum of the runs before thread
/// t's, for segment_find with the same list and count. Every thread gets the total.
__device__ inline double segment_scan(const int* list, std::int64_t count, const float* work, float max_logit,
                                      double inv_t, SampleShared& s) {
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const std::int64_t seg = (count + kSampleThreads - 1) / kSampleThreads;
  const std::int64_t lo = static_cast<std::int64_t>(tid) * seg < count ? static_cast<std::int64_t>(tid) * seg : count;
  const std::int64_t hi = lo + seg < count ? lo + seg : count;
  double sum = 0.0;
  for (std::int64_t j = lo; j < hi; ++j) sum += sample_weight(work[list[j]], max_logit, inv_t);
  __syncthreads();  // dscan and total may still be read by a previous scan or search
  s.dscan[tid] = sum;
  __syncthreads();
  if (warp == 0) {
    // Lane L owns dscan[L * per, (L + 1) * per): its sum, the sums of the lanes before it, then
    // the exclusive prefixes written back in place.
    constexpr int per = kSampleThreads / 32;
    double local = 0.0;
    for (int e = lane * per; e < lane * per + per; ++e) local += s.dscan[e];
    double before = 0.0, total = 0.0;
    for (int w = 0; w < 32; ++w) {
      const double t = __shfl_sync(0xffffffffu, local, w);
      if (w < lane) before += t;
      total += t;
    }
    double acc = before;
    for (int e = lane * per; e < lane * per + per; ++e) {
      const double v = s.dscan[e];
      s.dscan[e] = acc;
      acc += v;
    }
    if (lane == 0) s.total = total;
  }
  __syncthreads();
  return s.total;
}

/// The first j in [0, count) whose prefix sum of weights (the association of segment_scan, which
/// must have run just before with the same list and count) is >= x (`ge`) or > x; with
/// `skip_zero`, only entries of positive weight qualify (the CPU's draw skips zero weights).
/// Returns -1 when none does; `last_positive` gets the last j of positive weight then.
__device__ inline std::int64_t segment_find(const int* list, std::int64_t count, const float* work, float max_logit,
                                            double inv_t, double x, bool ge, bool skip_zero, SampleShared& s,
                                            std::int64_t& last_positive) {
  const int tid = threadIdx.x;
  const std::int64_t seg = (count + kSampleThreads - 1) / kSampleThreads;
  const std::int64_t lo = static_cast<std::int64_t>(tid) * seg < count ? static_cast<std::int64_t>(tid) * seg : count;
  const std::int64_t hi = lo + seg < count ? lo + seg : count;
  double acc = s.dscan[tid];
  long long found = LLONG_MAX, positive = -1;
  for (std::int64_t j = lo; j < hi; ++j) {
    const double w = sample_weight(work[list[j]], max_logit, inv_t);
    acc += w;
    if (w > 0.0) positive = j;
    if ((!skip_zero || w > 0.0) && (ge ? acc >= x : acc > x)) {
      found = j;
      break;
    }
  }
  found = block_extreme<true>(found, s);
  positive = block_extreme<false>(positive, s);
  last_positive = positive;
  return found == LLONG_MAX ? -1 : found;
}

/// One block per row: see the file comment. `scratch` holds kSampleScratchWordsPerLogit * vocab
/// 4-byte words per row; they are written and read back within the kernel, so no pointer into
/// them is `const __restrict__` (which would allow the non-coherent read-only cache).
template <class T>
__global__ void __launch_bounds__(kSampleThreads)
    sample_kernel(const T* __restrict__ logits,                  // (rows, ld), vocab used per row
                  std::int64_t vocab, std::int64_t ld,
                  const ContextRows context,
                  const SampleConfig cfg,
                  const double* __restrict__ device_u,           // (rows,) nullable
                  double u_host,                                 // used when device_u is null
                  float* scratch,                                // (rows, 3 * vocab) words
                  std::int32_t* __restrict__ out) {              // (rows,)
  __shared__ SampleShared s;
  const int tid = threadIdx.x;
  const std::int64_t row = blockIdx.x;
  const T* __restrict__ x = logits + row * ld;
  float* work = scratch + row * kSampleScratchWordsPerLogit * vocab;
  int* list_a = reinterpret_cast<int*>(work + vocab);
  int* list_b = list_a + vocab;
  const std::int32_t* ctx = context.ids;
  std::int64_t clen = context.len;
  if (context.offsets != nullptr) {
    ctx = context.ids + context.offsets[row];
    clen = context.offsets[row + 1] - context.offsets[row];
  } else if (context.lengths != nullptr) {
    ctx = context.ids + row * context.stride;
    clen = context.lengths[row];
    if (clen < 0 || clen > context.stride) {  // not a context this row can hold: rejected, as the CPU does
      if (tid == 0) out[row] = nn::kInvalidToken;
      return;  // the whole block, before any barrier
    }
  }

  // 1. The logits in fp32.
  if (tid == 0) s.flag = 0;
  for (std::int64_t i = tid; i < vocab; i += kSampleThreads) work[i] = to_f32(x[i]);
  __syncthreads();

  // 2. Context ids (checked even without a penalty, as the CPU does) and the repetition penalty.
  // Every occurrence of an id computes the penalised value from the *input* logit, so repeated
  // ids write the same value and each distinct id is penalised once (transformers' gather and
  // scatter).
  const bool penalise = cfg.repetition_penalty != 1.0f;
  for (std::int64_t j = tid; j < clen; j += kSampleThreads) {
    const std::int32_t id = ctx[j];
    if (id < 0 || id >= vocab) {
      s.flag = 1;
      continue;
    }
    if (penalise) {
      const float l = to_f32(x[id]);
      work[id] = l < 0.0f ? __fmul_rn(l, cfg.repetition_penalty) : __fdiv_rn(l, cfg.repetition_penalty);
    }
  }
  __syncthreads();

  // 3. NaN or +inf after the penalty makes the row invalid; the argmax, lowest id among ties.
  float best_v = -INFINITY;
  long long best_i = LLONG_MAX;
  bool bad = false;
  for (std::int64_t i = tid; i < vocab; i += kSampleThreads) {
    const float l = work[i];
    if (isnan(l) || l == INFINITY) {
      bad = true;
      continue;
    }
    if (best_i == LLONG_MAX || l > best_v) {
      best_v = l;
      best_i = i;
    }
  }
  if (bad) s.flag = 1;
  block_argmax(best_v, best_i, s);  // its barriers publish s.flag
  if (s.flag != 0) {
    if (tid == 0) out[row] = nn::kInvalidToken;
    return;
  }
  if (cfg.greedy || cfg.temperature == 0.0f) {
    if (tid == 0) out[row] = static_cast<std::int32_t>(best_i);
    return;
  }
  const float max_logit = best_v;
  if (max_logit == -INFINITY) {  // nothing can be sampled
    if (tid == 0) out[row] = nn::kInvalidToken;
    return;
  }

  // 4. The candidates in id order: the top-k survivors (ties at the k-th value kept), or every
  // finite logit.
  const bool use_k = cfg.top_k > 0 && static_cast<std::int64_t>(cfg.top_k) < vocab;
  const float threshold = use_k ? kth_largest(work, vocab, cfg.top_k, s) : -INFINITY;
  std::int64_t count = compact_candidates(work, vocab, use_k, threshold, list_a, s);
  const int* list = list_a;
  const double inv_t = __ddiv_rn(1.0, static_cast<double>(cfg.temperature));

  // 5. Top-p: the most probable first, then the shortest prefix whose mass reaches top_p * z.
  std::int64_t last_positive = -1;
  if (cfg.top_p < 1.0f) {
    list = sort_by_logit_desc(list_a, list_b, count, work, s);
    const double z = segment_scan(list, count, work, max_logit, inv_t, s);
    const double target = __dmul_rn(static_cast<double>(cfg.top_p), z);
    const std::int64_t j = segment_find(list, count, work, max_logit, inv_t, target, true, false, s, last_positive);
    if (j >= 0) count = j + 1;
  }

  // 6. The inverse CDF over the kept candidates, in the same order, with the caller's u.
  const double total = segment_scan(list, count, work, max_logit, inv_t, s);
  const double u = device_u != nullptr ? device_u[row] : u_host;
  std::int64_t j = segment_find(list, count, work, max_logit, inv_t, __dmul_rn(u, total), false, true, s,
                                last_positive);
  if (j < 0) j = last_positive;  // u * total rounded up to the total: the last positive weight
  if (tid == 0) out[row] = j >= 0 ? list[j] : nn::kInvalidToken;
}

}  // namespace detail

/// Device scratch bytes that sample_rows needs for `rows` rows of `vocab` logits.
inline std::size_t sample_scratch_bytes(std::int64_t rows, std::int64_t vocab) {
  return static_cast<std::size_t>(rows) * static_cast<std::size_t>(vocab) *
         static_cast<std::size_t>(detail::kSampleScratchWordsPerLogit) * 4u;
}

/// Samples one token per row of `logits` into `out` (see the file comment). Row r reads `vocab`
/// logits at logits + r * ld (ld >= vocab: a column slice of wider rows), the context ids that
/// `context` places for it, and the draw device_u[r] when `device_u` is not null, else `u`.
/// `scratch` holds sample_scratch_bytes(rows, vocab) bytes. Returns cudaErrorInvalidValue for a
/// vocabulary outside [1, 2^31), ld < vocab, too many rows or a negative shared context length.
template <class T>
cudaError_t sample_rows(const T* logits,                         // (rows, ld)
                        std::int64_t rows, std::int64_t vocab, std::int64_t ld,
                        const ContextRows& context,               // device ids (and offsets or lengths)
                        const SampleConfig& cfg,
                        const double* device_u,                   // (rows,) device, nullable
                        double u,
                        void* scratch,                            // sample_scratch_bytes(rows, vocab)
                        std::int32_t* out,                        // (rows,) device
                        cudaStream_t stream) {
  static_assert(detail::kStorageType<T>, "sample_rows: logits must be float or bf16");
  if (rows == 0) return cudaSuccess;
  if (rows < 0 || rows > 0x7fffffff || vocab <= 0 || vocab > 0x7fffffff || ld < vocab || context.len < 0)
    return cudaErrorInvalidValue;
  detail::sample_kernel<T><<<static_cast<unsigned>(rows), detail::kSampleThreads, 0, stream>>>(
      logits, vocab, ld, context, cfg, device_u, u, static_cast<float*>(scratch), out);
  return cudaPeekAtLastError();
}

namespace detail {

/// context[r * capacity + lengths[r]] = tokens[r] and ++lengths[r], for rows with room (a full
/// row is left as it is: the caller sizes the contexts). A template (on the id type), as every
/// kernel defined in a header, so that translation units that include it link together.
template <class Id>
__global__ void append_tokens_kernel(const Id* __restrict__ tokens, std::int64_t rows, Id* __restrict__ context,
                                     std::int64_t capacity, Id* __restrict__ lengths) {
  const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  const Id n = lengths[r];
  if (n < 0 || n >= capacity) return;
  context[r * capacity + n] = tokens[r];
  lengths[r] = n + 1;
}

}  // namespace detail

/// Appends tokens[r] to row r of a padded context matrix (rows, capacity) whose row r holds
/// lengths[r] ids, and counts it. A row already full is left unchanged. Never waits.
inline cudaError_t append_tokens(const std::int32_t* tokens, std::int64_t rows, std::int32_t* context,
                                 std::int64_t capacity, std::int32_t* lengths, cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  if (rows < 0 || capacity < 0) return cudaErrorInvalidValue;
  constexpr int kThreads = 128;
  const auto blocks = static_cast<unsigned>((rows + kThreads - 1) / kThreads);
  detail::append_tokens_kernel<std::int32_t><<<blocks, kThreads, 0, stream>>>(tokens, rows, context, capacity, lengths);
  return cudaPeekAtLastError();
}

/// One row of logits on the device: writes the token nn::Sampler would pick with options `o` and
/// draw `u` (take it as `rng.uniform_double()` when nn::draws_uniform(o); any value otherwise) to
/// *device_token, or nn::kInvalidToken for a row the Sampler would reject. `device_context` holds
/// the `context_len` ids seen so far (prompt and generated). Uses the current context's stream
/// and scratch; never waits.
template <class T>
void sample_token(const T* logits,                    // (vocab,) device
                  std::int64_t vocab,
                  const std::int32_t* device_context,  // (context_len,) device
                  std::int64_t context_len, const nn::SamplingOptions& o, double u,
                  std::int32_t* device_token) {        // (1,) device
  static_assert(detail::kStorageType<T>, "sample_token: logits must be float or bf16");
  nn::validate_sampling_options(o);
  DAPT_CHECK(vocab > 0 && vocab <= 0x7fffffff, "cuda::sample_token: vocabulary of ", vocab,
             " must be in [1, 2^31)");
  DAPT_CHECK(context_len >= 0 && (context_len == 0 || device_context != nullptr), "cuda::sample_token: context of ",
             context_len, " ids at ", static_cast<const void*>(device_context));
  Context& ctx = current();
  void* scratch = ctx.scratch(sample_scratch_bytes(1, vocab));
  const ContextRows shared{.ids = device_context, .len = context_len};
  DAPT_CUDA_CHECK(sample_rows(logits, 1, vocab, vocab, shared, SampleConfig::from(o), nullptr, u, scratch, device_token,
                              ctx.stream()));
}

/// A batch of rows: row r's context is device_context[device_context_offsets[r],
/// device_context_offsets[r + 1]) and its draw device_u[r] (draw them in row order as the CPU
/// would: one uniform_double() per row when nn::draws_uniform(o)). Writes device_tokens[r].
template <class T>
void sample_tokens(const T* logits,                              // (rows, vocab) device
                   std::int64_t rows, std::int64_t vocab,
                   const std::int32_t* device_context,           // (device_context_offsets[rows],) device
                   const std::int64_t* device_context_offsets,   // (rows + 1,) device
                   const nn::SamplingOptions& o,
                   const double* device_u,                       // (rows,) device
                   std::int32_t* device_tokens) {                // (rows,) device
  static_assert(detail::kStorageType<T>, "sample_tokens: logits must be float or bf16");
  nn::validate_sampling_options(o);
  DAPT_CHECK(vocab > 0 && vocab <= 0x7fffffff, "cuda::sample_tokens: vocabulary of ", vocab,
             " must be in [1, 2^31)");
  DAPT_CHECK(rows >= 0 && rows <= 0x7fffffff, "cuda::sample_tokens: ", rows, " rows");
  DAPT_CHECK(device_context_offsets != nullptr && device_u != nullptr,
             "cuda::sample_tokens: the context offsets and the draws must be given");
  if (rows == 0) return;
  Context& ctx = current();
  void* scratch = ctx.scratch(sample_scratch_bytes(rows, vocab));
  const ContextRows context{.ids = device_context, .offsets = device_context_offsets};
  DAPT_CUDA_CHECK(sample_rows(logits, rows, vocab, vocab, context, SampleConfig::from(o), device_u, 0.0, scratch,
                              device_tokens, ctx.stream()));
}

}  // namespace dapt::cuda

namespace dapt::backend {

template <>
struct SamplingKernels<Cuda> {
  /// As SamplingKernels<Cpu>::sample, on the current stream; a row the CPU would reject gets
  /// nn::kInvalidToken instead of an exception (the device cannot throw without waiting).
  template <class T>
  static void sample(const T* logits, std::int64_t rows, std::int64_t vocab, std::int64_t ld,
                     const std::int32_t* context, std::int64_t context_stride, const std::int32_t* lengths,
                     const nn::SamplingOptions& o, const double* u, std::int32_t* out) {
    static_assert(cuda::detail::kStorageType<T>);
    if (rows == 0) return;
    cuda::Context& ctx = cuda::current();
    void* scratch = ctx.scratch(cuda::sample_scratch_bytes(rows, vocab));
    const cuda::ContextRows rows_of{.ids = context, .lengths = lengths, .stride = context_stride};
    DAPT_CUDA_CHECK(cuda::sample_rows(logits, rows, vocab, ld, rows_of, cuda::SampleConfig::from(o), u, 0.0, scratch,
                                      out, ctx.stream()));
  }
  /// As SamplingKernels<Cpu>::append; a full row is left unchanged instead of throwing.
  static void append(const std::int32_t* tokens, std::int64_t rows, std::int32_t* context, std::int64_t capacity,
                     std::int32_t* lengths) {
    DAPT_CUDA_CHECK(cuda::append_tokens(tokens, rows, context, capacity, lengths, cuda::current_stream()));
  }
};

}  // namespace dapt::backend
