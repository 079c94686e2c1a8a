/// @file matmul.cuh
/// @brief CUDA GEMMs of the linear layers, with the CPU backend's row-major contract (y = x W^T + b,
/// dx = dy W, dW += dy^T x, db += column sums of dy) mapped onto column-major cuBLASLt without
/// moving any data: a row-major (r, c) buffer is the column-major (c, r) matrix, so each op is one
/// cuBLASLt matmul with the operands swapped. fp32 storage runs exact fp32 (CUBLAS_COMPUTE_32F,
/// never TF32) for parity with the CPU; bf16 storage runs bf16 A/B on tensor cores with fp32
/// accumulation, bf16 activations out and fp32 parameter gradients accumulated in place (DESIGN
/// §4). The bias is stored like the weight (T) and added by the BIAS epilogue when cuBLASLt
/// offers it for the shape, else by a small kernel. db is a fixed-order column sum (deterministic;
/// the BGRAD epilogues overwrite rather than accumulate). Matmul plans (descriptors and the
/// heuristic's algorithm) are cached per shape and pointer alignment in a per-thread map, and when
/// cuBLASLt has no algorithm for a case the classic cublasGemmEx runs instead.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <type_traits>

#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/detail/numeric.cuh"
#include "dapt/backend/kernels.hpp"
#include "dapt/core/dtype.hpp"
#include "dapt/core/tensor.hpp"

namespace dapt::cuda {

/// What a GEMM launcher needs besides its operands: the cuBLASLt handle (nullptr skips cuBLASLt
/// and runs cublasGemmEx directly, which the tests use to exercise the fallback), the classic
/// cuBLAS handle used as the fallback (nullptr: no fallback), and the cuBLASLt workspace. The
/// workspace and the fallback handle must belong to the stream given to the launcher (a
/// Context's own stream), since GEMMs on one workspace must not overlap.
struct GemmResources {
  cublasLtHandle_t lt = nullptr;
  cublasHandle_t blas = nullptr;
  void* workspace = nullptr;
  std::size_t workspace_bytes = 0;
};

/// The GEMM resources of a context (use with ctx.stream()).
inline GemmResources gemm_resources(const Context& ctx) {
  return {ctx.cublas_lt(), ctx.cublas(), ctx.workspace(), ctx.workspace_bytes()};
}

namespace detail {

template <class T>
constexpr cudaDataType_t cuda_data_type() {
  if constexpr (std::is_same_v<T, float>) return CUDA_R_32F;
  else return CUDA_R_16BF;
}

/// A CUDA status as a cuBLAS one for the GEMM launchers (the CUDA error itself stays readable
/// through cudaPeekAtLastError, which the host wrappers check first).
inline cublasStatus_t blas_status(cudaError_t e) {
  return e == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

/// Largest power of two (at most 256) dividing the address: what cuBLASLt's heuristic must assume
/// (its default of 256 would admit kernels that fault on an offset view).
inline std::uint32_t pointer_alignment(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  if (a == 0) return 256;
  const std::uintptr_t low = a & (~a + 1);
  return static_cast<std::uint32_t>(low < 256 ? low : 256);
}

// ------------------------------------------------------------------------------------------------
// Small kernels around the GEMMs.

/// y (N, M) += bias (M), rounding once to T. The fallback when no BIAS epilogue runs.
template <class T>
__global__ void add_bias_kernel(T* y, const T* bias, std::int64_t n, std::int64_t m) {
  const std::int64_t total = n * m;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride)
    y[e] = from_f32<T>(to_f32(y[e]) + to_f32(bias[e % m]));
}

inline constexpr int kColSumX = 32;  // columns per block (one warp: coalesced rows)
inline constexpr int kColSumY = 16;  // row slices per block

/// db (M) += column sums of dy (N, M). Each thread sums a strided slice of rows of one column in
/// double, then one thread adds the slices in a fixed order: deterministic, like the CPU's
/// fixed-order double sum.
template <class T>
__global__ void column_sum_add_kernel(const T* dy, float* db, std::int64_t n, std::int64_t m) {
  __shared__ double part[kColSumY][kColSumX + 1];
  const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * kColSumX + threadIdx.x;
  double s = 0;
  if (col < m)
    for (std::int64_t r = threadIdx.y; r < n; r += kColSumY) s += static_cast<double>(to_f32(dy[r * m + col]));
  part[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && col < m) {
    double t = 0;
    for (int y = 0; y < kColSumY; ++y) t += part[y][threadIdx.x];
    db[col] += static_cast<float>(t);
  }
}

// ------------------------------------------------------------------------------------------------
// cuBLASLt plans.

/// Descriptors and the chosen algorithm of one (types, shape, alignment) case; `ok` is false when
/// cuBLASLt offered no algorithm (the launcher then falls back).
struct LtPlan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool ok = false;

  LtPlan() = default;
  LtPlan(const LtPlan&) = delete;
  LtPlan& operator=(const LtPlan&) = delete;
  ~LtPlan() {
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

using LtKey = std::array<std::int64_t, 17>;

/// This thread's plans (a function-local thread_local: no locking, no global state). Bounded:
/// beyond kMaxPlans cases (e.g. many decode lengths) it starts over.
inline std::map<LtKey, std::unique_ptr<LtPlan>>& lt_plans() {
  thread_local std::map<LtKey, std::unique_ptr<LtPlan>> plans;
  return plans;
}
inline constexpr std::size_t kMaxPlans = 512;

/// Builds a plan: column-major D (m, n) = op(A) (m, k) · op(B) (k, n) + beta C, C and D one
/// buffer of layout (m, n, ldc), compute fp32, optional BIAS epilogue (bias of length m, type TCD).
template <class TAB, class TCD>
std::unique_ptr<LtPlan> make_lt_plan(cublasLtHandle_t lt, bool transa, bool transb, std::int64_t m, std::int64_t n,
                                     std::int64_t k, std::int64_t lda, std::int64_t ldb, std::int64_t ldc,
                                     const void* a_ptr, const void* b_ptr, const void* d_ptr, const void* bias,
                                     std::size_t workspace_bytes) {
  auto plan = std::make_unique<LtPlan>();
  const cudaDataType_t tab = cuda_data_type<TAB>(), tcd = cuda_data_type<TCD>();
  if (cublasLtMatmulDescCreate(&plan->op, CUBLAS_COMPUTE_32F, CUDA_R_32F) != CUBLAS_STATUS_SUCCESS) return plan;
  const cublasOperation_t ta = transa ? CUBLAS_OP_T : CUBLAS_OP_N, tb = transb ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta) != CUBLAS_STATUS_SUCCESS ||
      cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb) != CUBLAS_STATUS_SUCCESS)
    return plan;
  if (bias) {
    const cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
    const auto bias_type = static_cast<std::int32_t>(tcd);
    if (cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi) != CUBLAS_STATUS_SUCCESS ||
        cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof bias_type) !=
            CUBLAS_STATUS_SUCCESS ||
        cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias) !=
            CUBLAS_STATUS_SUCCESS)
      return plan;
  }
  // Stored shapes (before op): A is (k, m) when transposed, else (m, k); B is (n, k) or (k, n).
  const auto rows_a = static_cast<std::uint64_t>(transa ? k : m), cols_a = static_cast<std::uint64_t>(transa ? m : k);
  const auto rows_b = static_cast<std::uint64_t>(transb ? n : k), cols_b = static_cast<std::uint64_t>(transb ? k : n);
  if (cublasLtMatrixLayoutCreate(&plan->a, tab, rows_a, cols_a, lda) != CUBLAS_STATUS_SUCCESS ||
      cublasLtMatrixLayoutCreate(&plan->b, tab, rows_b, cols_b, ldb) != CUBLAS_STATUS_SUCCESS ||
      cublasLtMatrixLayoutCreate(&plan->c, tcd, static_cast<std::uint64_t>(m), static_cast<std::uint64_t>(n), ldc) !=
          CUBLAS_STATUS_SUCCESS)
    return plan;

  cublasLtMatmulPreference_t pref = nullptr;
  if (cublasLtMatmulPreferenceCreate(&pref) != CUBLAS_STATUS_SUCCESS) return plan;
  const std::uint64_t ws = workspace_bytes;
  const std::uint32_t al_a = pointer_alignment(a_ptr), al_b = pointer_alignment(b_ptr), al_d = pointer_alignment(d_ptr);
  bool set = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws) ==
             CUBLAS_STATUS_SUCCESS;
  set = set && cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al_a,
                                                    sizeof al_a) == CUBLAS_STATUS_SUCCESS;
  set = set && cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al_b,
                                                    sizeof al_b) == CUBLAS_STATUS_SUCCESS;
  set = set && cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_d,
                                                    sizeof al_d) == CUBLAS_STATUS_SUCCESS;
  set = set && cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_d,
                                                    sizeof al_d) == CUBLAS_STATUS_SUCCESS;
  cublasLtMatmulHeuristicResult_t result{};
  int returned = 0;
  if (set && cublasLtMatmulAlgoGetHeuristic(lt, plan->op, plan->a, plan->b, plan->c, plan->c, pref, 1, &result,
                                            &returned) == CUBLAS_STATUS_SUCCESS &&
      returned > 0 && result.state == CUBLAS_STATUS_SUCCESS && result.workspaceSize <= workspace_bytes) {
    plan->algo = result.algo;
    plan->ok = true;
  }
  cublasLtMatmulPreferenceDestroy(pref);
  return plan;
}

/// Column-major D (m, n) = op(A) · op(B) + beta D (+ bias (m) when `bias`, of type TCD), alpha 1,
/// fp32 compute. m, n, k >= 1. *bias_done tells whether the bias was added (by the epilogue);
/// when it is false the caller adds it. Tries cuBLASLt (with the epilogue, then without), then
/// cublasGemmEx on r.blas when that handle runs on `stream`.
template <class TAB, class TCD>
cublasStatus_t gemm(const GemmResources& r, bool transa, bool transb, std::int64_t m, std::int64_t n, std::int64_t k,
                    const TAB* a, std::int64_t lda, const TAB* b, std::int64_t ldb, float beta, TCD* d,
                    std::int64_t ldd, const TCD* bias, bool* bias_done, cudaStream_t stream) {
  *bias_done = false;
  const float alpha = 1.0f;
  if (r.lt) {
    int device = 0;
    if (cudaGetDevice(&device) != cudaSuccess) return CUBLAS_STATUS_EXECUTION_FAILED;
    auto& plans = lt_plans();
    // With a bias, first the epilogue plan; without one (or when it has no algorithm), the plain one.
    // cuBLASLt's alignment preferences cover A, B, C and D but not the bias, so a heuristic for
    // aligned operands may pick a kernel that loads the bias in 16-byte vectors: a bias that is
    // not 16-byte aligned is added by add_bias instead.
    for (int with_bias = bias && pointer_alignment(bias) >= 16 ? 1 : 0; with_bias >= 0; --with_bias) {
      const LtKey key{device,
                      static_cast<std::int64_t>(cuda_data_type<TAB>()),
                      static_cast<std::int64_t>(cuda_data_type<TCD>()),
                      transa,
                      transb,
                      m,
                      n,
                      k,
                      lda,
                      ldb,
                      ldd,
                      with_bias,
                      pointer_alignment(a),
                      pointer_alignment(b),
                      pointer_alignment(d),
                      with_bias ? pointer_alignment(bias) : 0,
                      static_cast<std::int64_t>(r.workspace_bytes)};
      auto it = plans.find(key);
      if (it == plans.end()) {
        if (plans.size() >= kMaxPlans) plans.clear();
        it = plans
                 .emplace(key, make_lt_plan<TAB, TCD>(r.lt, transa, transb, m, n, k, lda, ldb, ldd, a, b, d,
                                                      with_bias ? bias : nullptr, r.workspace_bytes))
                 .first;
      }
      LtPlan& plan = *it->second;
      if (!plan.ok) continue;
      if (with_bias) {
        const void* bp = bias;
        if (cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bp, sizeof bp) !=
            CUBLAS_STATUS_SUCCESS) {
          plan.ok = false;
          continue;
        }
      }
      const cublasStatus_t s = cublasLtMatmul(r.lt, plan.op, &alpha, a, plan.a, b, plan.b, &beta, d, plan.c, d, plan.c,
                                              &plan.algo, r.workspace, r.workspace_bytes, stream);
      if (s == CUBLAS_STATUS_SUCCESS) {
        *bias_done = with_bias != 0;
        return s;
      }
      if (s != CUBLAS_STATUS_NOT_SUPPORTED && s != CUBLAS_STATUS_INVALID_VALUE) return s;
      plan.ok = false;  // rejected at launch: never try this plan again, fall through
    }
  }
  // Fallback: the classic API, on its own handle, which must already run on `stream` (switching
  // its stream would also reset its workspace).
  if (!r.blas) return CUBLAS_STATUS_NOT_SUPPORTED;
  cudaStream_t blas_stream = nullptr;
  if (const cublasStatus_t s = cublasGetStream(r.blas, &blas_stream); s != CUBLAS_STATUS_SUCCESS) return s;
  if (blas_stream != stream) return CUBLAS_STATUS_NOT_SUPPORTED;
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX || ldd > INT_MAX)
    return CUBLAS_STATUS_NOT_SUPPORTED;
  return cublasGemmEx(r.blas, transa ? CUBLAS_OP_T : CUBLAS_OP_N, transb ? CUBLAS_OP_T : CUBLAS_OP_N,
                      static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), &alpha, a,
                      cuda_data_type<TAB>(), static_cast<int>(lda), b, cuda_data_type<TAB>(), static_cast<int>(ldb),
                      &beta, d, cuda_data_type<TCD>(), static_cast<int>(ldd), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
}

}  // namespace detail

// ------------------------------------------------------------------------------------------------
// Launchers: size the work, never synchronise, never allocate. They return the cuBLAS status;
// a failed launch of one of the small kernels returns CUBLAS_STATUS_EXECUTION_FAILED and leaves
// its CUDA error for cudaPeekAtLastError.

/// y (N, M) += bias (M) on `stream` (the bias fallback; also usable alone).
template <class T>
cudaError_t add_bias(T* y, const std::type_identity_t<T>* bias, std::int64_t n, std::int64_t m, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (n <= 0 || m <= 0) return cudaSuccess;
  const unsigned blocks = std::min(detail::grid_for(n * m, 256), 65536u);
  detail::add_bias_kernel<T><<<blocks, 256, 0, stream>>>(y, bias, n, m);
  return cudaPeekAtLastError();
}

/// db (M) += column sums of dy (N, M), in a fixed order (deterministic).
template <class T>
cudaError_t column_sum_add(const T* dy, float* db, std::int64_t n, std::int64_t m, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (n <= 0 || m <= 0) return cudaSuccess;
  const dim3 block(detail::kColSumX, detail::kColSumY);
  detail::column_sum_add_kernel<T><<<detail::grid_for(m, detail::kColSumX), block, 0, stream>>>(dy, db, n, m);
  return cudaPeekAtLastError();
}

/// y (N, M) = x (N, K) · w (M, K)^T (+ bias (M), nullable); `accumulate` adds into y. All in T.
template <class T>
cublasStatus_t linear_forward(const T* x, const T* w, const std::type_identity_t<T>* bias, T* y, std::int64_t n,
                              std::int64_t k, std::int64_t m, bool accumulate, const GemmResources& r,
                              cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (n <= 0 || m <= 0) return CUBLAS_STATUS_SUCCESS;
  bool bias_done = false;
  if (k <= 0) {  // an empty product: y = 0 (or kept), then the bias
    if (!accumulate)
      if (cudaMemsetAsync(y, 0, static_cast<std::size_t>(n * m) * sizeof(T), stream) != cudaSuccess)
        return CUBLAS_STATUS_EXECUTION_FAILED;
  } else {
    // Column-major: y^T (M, N) = (w stored as (K, M))^T · (x stored as (K, N)).
    const cublasStatus_t s = detail::gemm<T, T>(r, true, false, m, n, k, w, k, x, k, accumulate ? 1.0f : 0.0f, y, m,
                                                bias, &bias_done, stream);
    if (s != CUBLAS_STATUS_SUCCESS) return s;
  }
  if (bias && !bias_done) return detail::blas_status(add_bias<T>(y, bias, n, m, stream));
  return CUBLAS_STATUS_SUCCESS;
}

/// dx (N, K) = dy (N, M) · w (M, K); `accumulate` adds into dx. All in T.
template <class T>
cublasStatus_t linear_backward_input(const T* dy, const T* w, T* dx, std::int64_t n, std::int64_t k, std::int64_t m,
                                     bool accumulate, const GemmResources& r, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (n <= 0 || k <= 0) return CUBLAS_STATUS_SUCCESS;
  if (m <= 0) {
    if (accumulate) return CUBLAS_STATUS_SUCCESS;
    return detail::blas_status(cudaMemsetAsync(dx, 0, static_cast<std::size_t>(n * k) * sizeof(T), stream));
  }
  // Column-major: dx^T (K, N) = (w stored as (K, M)) · (dy stored as (M, N)).
  bool unused = false;
  return detail::gemm<T, T>(r, false, false, k, n, m, w, k, dy, m, accumulate ? 1.0f : 0.0f, dx, k, nullptr, &unused,
                            stream);
}

/// dw (M, K) += dy (N, M)^T · x (N, K) in fp32 (nullable); db (M) += column sums of dy (nullable).
template <class T>
cublasStatus_t linear_backward_weight(const T* dy, const T* x, float* dw, float* db, std::int64_t n, std::int64_t k,
                                      std::int64_t m, const GemmResources& r, cudaStream_t stream) {
  static_assert(detail::kStorageType<T>);
  if (n <= 0) return CUBLAS_STATUS_SUCCESS;
  if (dw && m > 0 && k > 0) {
    // Column-major: dw^T (K, M) += (x stored as (K, N)) · (dy stored as (M, N))^T.
    bool unused = false;
    const cublasStatus_t s =
        detail::gemm<T, float>(r, false, true, k, m, n, x, k, dy, m, 1.0f, dw, k, nullptr, &unused, stream);
    if (s != CUBLAS_STATUS_SUCCESS) return s;
  }
  if (db) return detail::blas_status(column_sum_add<T>(dy, db, n, m, stream));
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace dapt::cuda

namespace dapt::backend {

/// The CPU signatures, templated on the storage type T (float or bf16) of activations, weights
/// and the bias; parameter gradients (dw, db) are always fp32. Calls run on the current context.
template <>
struct MatmulKernels<Cuda> {
  /// Throws on a failed launcher: the CUDA error of a failed small kernel when there is one, else
  /// the cuBLAS status.
  static void check(cublasStatus_t s) {
    if (s == CUBLAS_STATUS_SUCCESS) return;
    DAPT_CUDA_CHECK(cudaPeekAtLastError());
    DAPT_CUBLAS_CHECK(s);
  }

  /// y (N, M) = x (N, K) · w (M, K)^T (+ bias (M), T like the weight, nullable); `accumulate` adds into y.
  template <class T>
  static void linear_forward(const T* x, const T* w, const std::type_identity_t<T>* bias, T* y, std::int64_t n,
                             std::int64_t k, std::int64_t m, bool accumulate = false) {
    static_assert(cuda::detail::kStorageType<T>);
    cuda::Context& ctx = cuda::current();
    const cublasStatus_t s = cuda::linear_forward<T>(x, w, bias, y, n, k, m, accumulate, cuda::gemm_resources(ctx),
                                                     ctx.stream());
    check(s);
  }

  /// dx (N, K) = dy (N, M) · w (M, K); `accumulate` adds into dx.
  template <class T>
  static void linear_backward_input(const T* dy, const T* w, T* dx, std::int64_t n, std::int64_t k, std::int64_t m,
                                    bool accumulate = false) {
    static_assert(cuda::detail::kStorageType<T>);
    cuda::Context& ctx = cuda::current();
    const cublasStatus_t s =
        cuda::linear_backward_input<T>(dy, w, dx, n, k, m, accumulate, cuda::gemm_resources(ctx), ctx.stream());
    check(s);
  }

  /// dw (M, K) += dy (N, M)^T · x (N, K) (fp32, nullable); db (M) += column sums of dy (fp32, nullable).
  template <class T>
  static void linear_backward_weight(const T* dy, const T* x, float* dw, float* db, std::int64_t n, std::int64_t k,
                                     std::int64_t m) {
    static_assert(cuda::detail::kStorageType<T>);
    cuda::Context& ctx = cuda::current();
    const cublasStatus_t s =
        cuda::linear_backward_weight<T>(dy, x, dw, db, n, k, m, cuda::gemm_resources(ctx), ctx.stream());
    check(s);
  }
};

}  // namespace dapt::backend
