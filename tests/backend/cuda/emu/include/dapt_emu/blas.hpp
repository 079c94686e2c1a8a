/// @file blas.hpp
/// @brief The CUDA emulator's cuBLAS and cuBLASLt: the calls dapt makes (handles, cublasGemmEx,
/// cuBLASLt matmul descriptors, layouts, preferences, heuristics and the matmul with the BIAS
/// epilogue), computed on the host in double and rounded once to the output type. Column-major,
/// as cuBLAS is. Every operand is checked as the real library would have it: leading dimensions
/// at least the rows, layouts that agree with the operation's shape, pointers inside device
/// memory for the whole extent they span, aligned to their element. A violation returns
/// CUBLAS_STATUS_INVALID_VALUE and says why on stderr.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "cuda_bf16.h"
#include "dapt_emu/runtime.hpp"

enum cublasStatus_t {
  CUBLAS_STATUS_SUCCESS = 0,
  CUBLAS_STATUS_NOT_INITIALIZED = 1,
  CUBLAS_STATUS_ALLOC_FAILED = 3,
  CUBLAS_STATUS_INVALID_VALUE = 7,
  CUBLAS_STATUS_ARCH_MISMATCH = 8,
  CUBLAS_STATUS_MAPPING_ERROR = 11,
  CUBLAS_STATUS_EXECUTION_FAILED = 13,
  CUBLAS_STATUS_INTERNAL_ERROR = 14,
  CUBLAS_STATUS_NOT_SUPPORTED = 15,
  CUBLAS_STATUS_LICENSE_ERROR = 16,
};
enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 };
enum cublasComputeType_t {
  CUBLAS_COMPUTE_16F = 64,
  CUBLAS_COMPUTE_32F = 68,
  CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
  CUBLAS_COMPUTE_64F = 70,
};
enum cublasGemmAlgo_t { CUBLAS_GEMM_DEFAULT = -1 };
enum cublasMath_t {
  CUBLAS_DEFAULT_MATH = 0,
  CUBLAS_TENSOR_OP_MATH = 1,
  CUBLAS_PEDANTIC_MATH = 2,
  CUBLAS_TF32_TENSOR_OP_MATH = 3,
};

struct cublasContext {
  cudaStream_t stream = nullptr;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
  void* workspace = nullptr;
  std::size_t workspace_bytes = 0;
};
using cublasHandle_t = cublasContext*;

enum cublasLtMatmulDescAttributes_t {
  CUBLASLT_MATMUL_DESC_COMPUTE_TYPE = 0,
  CUBLASLT_MATMUL_DESC_SCALE_TYPE = 1,
  CUBLASLT_MATMUL_DESC_POINTER_MODE = 2,
  CUBLASLT_MATMUL_DESC_TRANSA = 3,
  CUBLASLT_MATMUL_DESC_TRANSB = 4,
  CUBLASLT_MATMUL_DESC_TRANSC = 5,
  CUBLASLT_MATMUL_DESC_EPILOGUE = 7,
  CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8,
  CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE = 26,
};
enum cublasLtEpilogue_t {
  CUBLASLT_EPILOGUE_DEFAULT = 1,
  CUBLASLT_EPILOGUE_RELU = 2,
  CUBLASLT_EPILOGUE_BIAS = 4,
};
enum cublasLtMatmulPreferenceAttributes_t {
  CUBLASLT_MATMUL_PREF_SEARCH_MODE = 0,
  CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1,
  CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5,
  CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES = 6,
  CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES = 7,
  CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES = 8,
};

struct cublasLtContext {};
using cublasLtHandle_t = cublasLtContext*;
struct cublasLtMatmulDescOpaque_t {
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  cudaDataType_t scale = CUDA_R_32F;
  cublasOperation_t transa = CUBLAS_OP_N, transb = CUBLAS_OP_N;
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  const void* bias = nullptr;
  std::int32_t bias_type = -1;  // -1: the type of D
};
using cublasLtMatmulDesc_t = cublasLtMatmulDescOpaque_t*;
struct cublasLtMatrixLayoutOpaque_t {
  cudaDataType_t type = CUDA_R_32F;
  std::uint64_t rows = 0, cols = 0;
  std::int64_t ld = 0;
};
using cublasLtMatrixLayout_t = cublasLtMatrixLayoutOpaque_t*;
struct cublasLtMatmulPreferenceOpaque_t {
  std::uint64_t max_workspace = 0;
  std::uint32_t align[4] = {256, 256, 256, 256};  // A, B, C, D
};
using cublasLtMatmulPreference_t = cublasLtMatmulPreferenceOpaque_t*;
struct cublasLtMatmulAlgo_t {
  std::uint64_t data[8];
};
struct cublasLtMatmulHeuristicResult_t {
  cublasLtMatmulAlgo_t algo;
  std::size_t workspaceSize;
  cublasStatus_t state;
  float wavesCount;
  int reserved[4];
};

namespace dapt_emu {

inline cublasStatus_t blas_fail(const std::string& why) {
  std::fprintf(stderr, "[cuda-emu] %s\n", why.c_str());
  std::fflush(stderr);
  return CUBLAS_STATUS_INVALID_VALUE;
}

inline std::size_t type_bytes(cudaDataType_t t) {
  switch (t) {
    case CUDA_R_32F: return 4;
    case CUDA_R_64F: return 8;
    case CUDA_R_16F:
    case CUDA_R_16BF: return 2;
  }
  return 0;
}

inline double load(const void* p, cudaDataType_t t, std::int64_t i) {
  if (t == CUDA_R_32F) return static_cast<const float*>(p)[i];
  if (t == CUDA_R_64F) return static_cast<const double*>(p)[i];
  if (t == CUDA_R_16BF) return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
  std::fprintf(stderr, "[cuda-emu] cuBLAS: unsupported data type %d\n", static_cast<int>(t));
  std::abort();
}

inline void store(void* p, cudaDataType_t t, std::int64_t i, double v) {
  const float f = static_cast<float>(v);
  if (t == CUDA_R_32F) {
    static_cast<float*>(p)[i] = f;
  } else if (t == CUDA_R_64F) {
    static_cast<double*>(p)[i] = v;
  } else {
    static_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(f);  // the emulator's one bf16 rounding
  }
}

/// Checks that a column-major (rows, cols, ld) matrix of type t at p lies in device memory.
inline bool check_matrix(const char* call, const char* name, const void* p, cudaDataType_t t, std::int64_t rows,
                         std::int64_t cols, std::int64_t ld, std::string& why) {
  const std::size_t eb = type_bytes(t);
  if (eb == 0) {
    why = std::string(call) + ": " + name + " has an unsupported data type " + std::to_string(static_cast<int>(t));
    return false;
  }
  if (rows < 1 || cols < 1 || ld < rows) {
    why = std::string(call) + ": " + name + " is (" + std::to_string(rows) + ", " + std::to_string(cols) +
          ") with leading dimension " + std::to_string(ld);
    return false;
  }
  if (reinterpret_cast<std::uintptr_t>(p) % eb != 0) {
    why = std::string(call) + ": " + name + " at " + pointer_str(p) + " is not aligned to its element";
    return false;
  }
  const std::size_t extent = (static_cast<std::size_t>(cols - 1) * static_cast<std::size_t>(ld) +
                              static_cast<std::size_t>(rows)) * eb;
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!in_device_memory(p, extent)) {
    why = std::string(call) + ": " + name + " at " + pointer_str(p) + " spans " + std::to_string(extent) +
          " bytes that are not inside one device allocation";
    return false;
  }
  return true;
}

/// D (m, n) = alpha op(A) op(B) + beta C (+ bias (m)), in double, rounded once into D's type.
/// beta == 0 does not read C (it may hold NaN), as in cuBLAS.
inline void gemm(bool transa, bool transb, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
                 const void* a, cudaDataType_t ta, std::int64_t lda, const void* b, cudaDataType_t tb,
                 std::int64_t ldb, double beta, const void* c, cudaDataType_t tc, std::int64_t ldc, void* d,
                 cudaDataType_t td, std::int64_t ldd, const void* bias, cudaDataType_t tbias) {
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t i = 0; i < m; ++i) {
      double s = 0;
      for (std::int64_t l = 0; l < k; ++l) {
        const double x = load(a, ta, transa ? l + i * lda : i + l * lda);
        const double y = load(b, tb, transb ? j + l * ldb : l + j * ldb);
        s += x * y;
      }
      double v = alpha * s;
      if (beta != 0) v += beta * load(c, tc, i + j * ldc);
      if (bias) v += load(bias, tbias, i);
      store(d, td, i + j * ldd, v);
    }
}

}  // namespace dapt_emu

// ------------------------------------------------------------------------------------------------
// cuBLAS.

inline cublasStatus_t cublasCreate(cublasHandle_t* h) {
  *h = new cublasContext{};
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasDestroy(cublasHandle_t h) {
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->stream = s;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasGetStream(cublasHandle_t h, cudaStream_t* s) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  *s = h->stream;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t m) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->math = m;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasSetWorkspace(cublasHandle_t h, void* ws, std::size_t bytes) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (ws) {
    std::lock_guard<std::mutex> lock(dapt_emu::state().mutex);
    if (!dapt_emu::in_device_memory(ws, bytes)) return dapt_emu::blas_fail("cublasSetWorkspace: not device memory");
  }
  h->workspace = ws;
  h->workspace_bytes = bytes;
  return CUBLAS_STATUS_SUCCESS;
}

inline cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                                   int k, const void* alpha, const void* a, cudaDataType_t ta, int lda, const void* b,
                                   cudaDataType_t tb, int ldb, const void* beta, void* c, cudaDataType_t tc, int ldc,
                                   cublasComputeType_t compute, cublasGemmAlgo_t) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (m < 0 || n < 0 || k < 0) return dapt_emu::blas_fail("cublasGemmEx: a negative dimension");
  if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
  if (compute != CUBLAS_COMPUTE_32F && compute != CUBLAS_COMPUTE_32F_FAST_TF32)
    return dapt_emu::blas_fail("cublasGemmEx: only the fp32 compute types are emulated");
  if (ta != tb) return dapt_emu::blas_fail("cublasGemmEx: A and B of different types");
  std::string why;
  const bool ok = (k == 0 || (dapt_emu::check_matrix("cublasGemmEx", "A", a, ta, transa ? k : m, transa ? m : k, lda, why) &&
                              dapt_emu::check_matrix("cublasGemmEx", "B", b, tb, transb ? n : k, transb ? k : n, ldb, why))) &&
                  dapt_emu::check_matrix("cublasGemmEx", "C", c, tc, m, n, ldc, why);
  if (!ok) return dapt_emu::blas_fail(why);
  const double al = *static_cast<const float*>(alpha), be = *static_cast<const float*>(beta);
  dapt_emu::gemm(transa != CUBLAS_OP_N, transb != CUBLAS_OP_N, m, n, k, al, a, ta, lda, b, tb, ldb, be, c, tc, ldc, c,
                 tc, ldc, nullptr, tc);
  return CUBLAS_STATUS_SUCCESS;
}

// ------------------------------------------------------------------------------------------------
// cuBLASLt.

inline cublasStatus_t cublasLtCreate(cublasLtHandle_t* h) {
  *h = new cublasLtContext{};
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasLtDestroy(cublasLtHandle_t h) {
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t* d, cublasComputeType_t compute,
                                               cudaDataType_t scale) {
  *d = new cublasLtMatmulDescOpaque_t{};
  (*d)->compute = compute;
  (*d)->scale = scale;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t d) {
  delete d;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t attr,
                                                     const void* buf, std::size_t bytes) {
  if (!d) return CUBLAS_STATUS_NOT_INITIALIZED;
  auto get = [&](auto& field) {
    if (bytes != sizeof field) return false;
    std::memcpy(&field, buf, sizeof field);
    return true;
  };
  bool ok = false;
  switch (attr) {
    case CUBLASLT_MATMUL_DESC_TRANSA: ok = get(d->transa); break;
    case CUBLASLT_MATMUL_DESC_TRANSB: ok = get(d->transb); break;
    case CUBLASLT_MATMUL_DESC_EPILOGUE: ok = get(d->epilogue); break;
    case CUBLASLT_MATMUL_DESC_BIAS_POINTER: ok = get(d->bias); break;
    case CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE: ok = get(d->bias_type); break;
    default: return dapt_emu::blas_fail("cublasLtMatmulDescSetAttribute: attribute " + std::to_string(attr) +
                                        " is not emulated");
  }
  return ok ? CUBLAS_STATUS_SUCCESS
            : dapt_emu::blas_fail("cublasLtMatmulDescSetAttribute: attribute " + std::to_string(attr) + " given " +
                                  std::to_string(bytes) + " bytes");
}
inline cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t* l, cudaDataType_t type, std::uint64_t rows,
                                                 std::uint64_t cols, std::int64_t ld) {
  *l = new cublasLtMatrixLayoutOpaque_t{type, rows, cols, ld};
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t l) {
  delete l;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t* p) {
  *p = new cublasLtMatmulPreferenceOpaque_t{};
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t p) {
  delete p;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t p,
                                                           cublasLtMatmulPreferenceAttributes_t attr, const void* buf,
                                                           std::size_t bytes) {
  if (!p) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (attr == CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES && bytes == sizeof p->max_workspace) {
    std::memcpy(&p->max_workspace, buf, bytes);
    return CUBLAS_STATUS_SUCCESS;
  }
  if (attr >= CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES && attr <= CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES &&
      bytes == sizeof(std::uint32_t)) {
    std::memcpy(&p->align[attr - CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES], buf, bytes);
    return CUBLAS_STATUS_SUCCESS;
  }
  return dapt_emu::blas_fail("cublasLtMatmulPreferenceSetAttribute: attribute " + std::to_string(attr) + " with " +
                             std::to_string(bytes) + " bytes is not emulated");
}

namespace dapt_emu {

/// The shape checks cuBLASLt makes: op(A) (m, k), op(B) (k, n), C and D (m, n).
inline bool check_shapes(cublasLtMatmulDesc_t op, cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
                         cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t d, std::string& why) {
  if (!op || !a || !b || !c || !d) {
    why = "a null descriptor";
    return false;
  }
  const bool ta = op->transa != CUBLAS_OP_N, tb = op->transb != CUBLAS_OP_N;
  const std::uint64_t m = d->rows, n = d->cols;
  const std::uint64_t am = ta ? a->cols : a->rows, ak = ta ? a->rows : a->cols;
  const std::uint64_t bk = tb ? b->cols : b->rows, bn = tb ? b->rows : b->cols;
  if (c->rows != m || c->cols != n || am != m || bn != n || ak != bk) {
    why = "shapes disagree: op(A) (" + std::to_string(am) + ", " + std::to_string(ak) + "), op(B) (" +
          std::to_string(bk) + ", " + std::to_string(bn) + "), C (" + std::to_string(c->rows) + ", " +
          std::to_string(c->cols) + "), D (" + std::to_string(m) + ", " + std::to_string(n) + ")";
    return false;
  }
  if (a->type != b->type || c->type != d->type) {
    why = "A and B, or C and D, of different types";
    return false;
  }
  if (op->compute != CUBLAS_COMPUTE_32F && op->compute != CUBLAS_COMPUTE_32F_FAST_TF32) {
    why = "only the fp32 compute types are emulated";
    return false;
  }
  if (op->epilogue != CUBLASLT_EPILOGUE_DEFAULT && op->epilogue != CUBLASLT_EPILOGUE_BIAS) {
    why = "epilogue " + std::to_string(op->epilogue) + " is not emulated";
    return false;
  }
  return true;
}

}  // namespace dapt_emu

inline cublasStatus_t cublasLtMatmulAlgoGetHeuristic(cublasLtHandle_t h, cublasLtMatmulDesc_t op,
                                                     cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
                                                     cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t d,
                                                     cublasLtMatmulPreference_t pref, int requested,
                                                     cublasLtMatmulHeuristicResult_t* results, int* returned) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  std::string why;
  if (!dapt_emu::check_shapes(op, a, b, c, d, why)) return dapt_emu::blas_fail("cublasLtMatmulAlgoGetHeuristic: " + why);
  if (requested < 1 || !pref) return dapt_emu::blas_fail("cublasLtMatmulAlgoGetHeuristic: no room for a result");
  *returned = 1;
  results[0] = cublasLtMatmulHeuristicResult_t{};
  results[0].state = CUBLAS_STATUS_SUCCESS;
  results[0].workspaceSize = 0;
  results[0].wavesCount = 1.0f;
  return CUBLAS_STATUS_SUCCESS;
}

inline cublasStatus_t cublasLtMatmul(cublasLtHandle_t h, cublasLtMatmulDesc_t op, const void* alpha, const void* a,
                                     cublasLtMatrixLayout_t la, const void* b, cublasLtMatrixLayout_t lb,
                                     const void* beta, const void* c, cublasLtMatrixLayout_t lc, void* d,
                                     cublasLtMatrixLayout_t ld, const cublasLtMatmulAlgo_t*, void* workspace,
                                     std::size_t workspace_bytes, cudaStream_t) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  std::string why;
  if (!dapt_emu::check_shapes(op, la, lb, lc, ld, why)) return dapt_emu::blas_fail("cublasLtMatmul: " + why);
  const std::int64_t m = static_cast<std::int64_t>(ld->rows), n = static_cast<std::int64_t>(ld->cols);
  const std::int64_t k = static_cast<std::int64_t>(op->transa != CUBLAS_OP_N ? la->rows : la->cols);
  const double al = *static_cast<const float*>(alpha), be = *static_cast<const float*>(beta);
  const bool ok = dapt_emu::check_matrix("cublasLtMatmul", "A", a, la->type, static_cast<std::int64_t>(la->rows),
                                         static_cast<std::int64_t>(la->cols), la->ld, why) &&
                  dapt_emu::check_matrix("cublasLtMatmul", "B", b, lb->type, static_cast<std::int64_t>(lb->rows),
                                         static_cast<std::int64_t>(lb->cols), lb->ld, why) &&
                  (be == 0 || dapt_emu::check_matrix("cublasLtMatmul", "C", c, lc->type, m, n, lc->ld, why)) &&
                  dapt_emu::check_matrix("cublasLtMatmul", "D", d, ld->type, m, n, ld->ld, why);
  if (!ok) return dapt_emu::blas_fail(why);
  if (workspace_bytes > 0) {
    std::lock_guard<std::mutex> lock(dapt_emu::state().mutex);
    if (!dapt_emu::in_device_memory(workspace, workspace_bytes))
      return dapt_emu::blas_fail("cublasLtMatmul: the workspace is not device memory");
  }
  const void* bias = nullptr;
  cudaDataType_t bias_type = ld->type;
  if (op->epilogue == CUBLASLT_EPILOGUE_BIAS) {
    bias = op->bias;
    if (op->bias_type >= 0) bias_type = static_cast<cudaDataType_t>(op->bias_type);
    if (!bias) return dapt_emu::blas_fail("cublasLtMatmul: the BIAS epilogue without a bias pointer");
    if (!dapt_emu::check_matrix("cublasLtMatmul", "bias", bias, bias_type, m, 1, m, why)) return dapt_emu::blas_fail(why);
  }
  dapt_emu::gemm(op->transa != CUBLAS_OP_N, op->transb != CUBLAS_OP_N, m, n, k, al, a, la->type, la->ld, b, lb->type,
                 lb->ld, be, c, lc->type, lc->ld, d, ld->type, ld->ld, bias, bias_type);
  return CUBLAS_STATUS_SUCCESS;
}
