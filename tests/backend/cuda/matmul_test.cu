/// @file matmul_test.cu
/// @brief The CUDA linear-layer GEMMs against a double-precision reference on the issue's odd
/// shapes, each dimension taking each role (37, 96, 419 as rows, features and outputs), with and
/// without bias and accumulation, through cuBLASLt (the MatmulKernels<Cuda> members) and through
/// the cublasGemmEx fallback (the launchers with no cuBLASLt handle), from an operand view that
/// is not 16-byte aligned, with a bias at an odd offset beside aligned operands, and on the empty
/// edges (no rows, no outputs, no inner dimension).
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "dapt/backend/cuda/matmul.cuh"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_matmul_test {

namespace {

using dapt::bf16;
using dapt_gpu_test::as_t;
using dapt_gpu_test::DeviceBuffer;
using dapt_gpu_test::kTol;
using Kernels = dapt::backend::MatmulKernels<dapt::Cuda>;

struct Shape {
  std::int64_t n, k, m;
};
constexpr Shape kShapes[] = {{dapt_gpu_test::kT, dapt_gpu_test::kD, dapt_gpu_test::kVocab},
                             {dapt_gpu_test::kVocab, dapt_gpu_test::kT, dapt_gpu_test::kD},
                             {dapt_gpu_test::kD, dapt_gpu_test::kVocab, dapt_gpu_test::kT}};

// Double-precision references (row-major, as the CPU backend).
std::vector<float> ref_forward(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>* bias,
                               const std::vector<float>* y0, std::int64_t n, std::int64_t k, std::int64_t m) {
  std::vector<float> y(static_cast<std::size_t>(n * m));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < m; ++j) {
      double s = y0 ? (*y0)[i * m + j] : 0.0;
      for (std::int64_t p = 0; p < k; ++p) s += static_cast<double>(x[i * k + p]) * w[j * k + p];
      if (bias) s += (*bias)[j];
      y[i * m + j] = static_cast<float>(s);
    }
  return y;
}
std::vector<float> ref_backward_input(const std::vector<float>& dy, const std::vector<float>& w,
                                      const std::vector<float>* dx0, std::int64_t n, std::int64_t k, std::int64_t m) {
  std::vector<float> dx(static_cast<std::size_t>(n * k));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t p = 0; p < k; ++p) {
      double s = dx0 ? (*dx0)[i * k + p] : 0.0;
      for (std::int64_t j = 0; j < m; ++j) s += static_cast<double>(dy[i * m + j]) * w[j * k + p];
      dx[i * k + p] = static_cast<float>(s);
    }
  return dx;
}
std::vector<float> ref_backward_weight(const std::vector<float>& dy, const std::vector<float>& x,
                                       const std::vector<float>& dw0, std::int64_t n, std::int64_t k, std::int64_t m) {
  std::vector<float> dw(dw0);
  for (std::int64_t j = 0; j < m; ++j)
    for (std::int64_t p = 0; p < k; ++p) {
      double s = dw0[j * k + p];
      for (std::int64_t i = 0; i < n; ++i) s += static_cast<double>(dy[i * m + j]) * x[i * k + p];
      dw[j * k + p] = static_cast<float>(s);
    }
  return dw;
}
std::vector<float> ref_bias_grad(const std::vector<float>& dy, const std::vector<float>& db0, std::int64_t n,
                                 std::int64_t m) {
  std::vector<float> db(db0);
  for (std::int64_t j = 0; j < m; ++j) {
    double s = db0[j];
    for (std::int64_t i = 0; i < n; ++i) s += dy[i * m + j];
    db[j] = static_cast<float>(s);
  }
  return db;
}

/// The resources that skip cuBLASLt, so the launchers run cublasGemmEx and the bias kernel.
dapt::cuda::GemmResources fallback_resources() {
  auto r = dapt::cuda::gemm_resources(dapt::cuda::current());
  r.lt = nullptr;
  return r;
}

template <class T>
void forward(bool fallback, const T* x, const T* w, const T* bias, T* y, std::int64_t n, std::int64_t k, std::int64_t m,
             bool accumulate) {
  if (!fallback) {
    Kernels::linear_forward(x, w, bias, y, n, k, m, accumulate);
  } else {
    const auto s = dapt::cuda::linear_forward<T>(x, w, bias, y, n, k, m, accumulate, fallback_resources(),
                                                 dapt::cuda::current_stream());
    REQUIRE(s == CUBLAS_STATUS_SUCCESS);
  }
}
template <class T>
void backward_input(bool fallback, const T* dy, const T* w, T* dx, std::int64_t n, std::int64_t k, std::int64_t m,
                    bool accumulate) {
  if (!fallback) {
    Kernels::linear_backward_input(dy, w, dx, n, k, m, accumulate);
  } else {
    const auto s = dapt::cuda::linear_backward_input<T>(dy, w, dx, n, k, m, accumulate, fallback_resources(),
                                                        dapt::cuda::current_stream());
    REQUIRE(s == CUBLAS_STATUS_SUCCESS);
  }
}
template <class T>
void backward_weight(bool fallback, const T* dy, const T* x, float* dw, float* db, std::int64_t n, std::int64_t k,
                     std::int64_t m) {
  if (!fallback) {
    Kernels::linear_backward_weight(dy, x, dw, db, n, k, m);
  } else {
    const auto s = dapt::cuda::linear_backward_weight<T>(dy, x, dw, db, n, k, m, fallback_resources(),
                                                         dapt::cuda::current_stream());
    REQUIRE(s == CUBLAS_STATUS_SUCCESS);
  }
}

/// Tolerance of the fp32 parameter gradients: sums of exact products of storage values in fp32
/// (tensor-core accumulation for bf16 is given a little room).
template <class T>
constexpr double kGradTol = std::is_same_v<T, bf16> ? 1e-4 : dapt_gpu_test::kTolF32;

bool all_nan(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isnan(x)) return false;
  return true;
}

}  // namespace

TEMPLATE_TEST_CASE("gpu matmul: linear_forward matches a double reference on odd shapes", "[gpu][matmul]", float,
                   bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(101);
  for (const bool fallback : {false, true})
    for (const Shape sh : kShapes)
      for (const bool with_bias : {false, true})
        for (const bool accumulate : {false, true}) {
          const auto [n, k, m] = sh;
          INFO("n " << n << " k " << k << " m " << m << " bias " << with_bias << " accumulate " << accumulate
                    << " fallback " << fallback);
          const auto x = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * k)));
          const auto w = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(m * k)));
          const auto b = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(m)));
          const auto y0 = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * m)));
          DeviceBuffer<T> dx(x), dw(w), db(b), dy(static_cast<std::size_t>(n * m));
          if (accumulate) dy.upload(y0);
          else dy.poison();
          forward<T>(fallback, dx.get(), dw.get(), with_bias ? db.get() : nullptr, dy.get(), n, k, m, accumulate);
          const auto want = ref_forward(x, w, with_bias ? &b : nullptr, accumulate ? &y0 : nullptr, n, k, m);
          DAPT_GPU_REQUIRE_CLOSE(dy.download(), want, kTol<T>);
        }
}

TEMPLATE_TEST_CASE("gpu matmul: linear_backward_input matches a double reference on odd shapes", "[gpu][matmul]",
                   float, bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(102);
  for (const bool fallback : {false, true})
    for (const Shape sh : kShapes)
      for (const bool accumulate : {false, true}) {
        const auto [n, k, m] = sh;
        INFO("n " << n << " k " << k << " m " << m << " accumulate " << accumulate << " fallback " << fallback);
        const auto dy = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * m)));
        const auto w = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(m * k)));
        const auto dx0 = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * k)));
        DeviceBuffer<T> d_dy(dy), d_w(w), d_dx(static_cast<std::size_t>(n * k));
        if (accumulate) d_dx.upload(dx0);
        else d_dx.poison();
        backward_input<T>(fallback, d_dy.get(), d_w.get(), d_dx.get(), n, k, m, accumulate);
        DAPT_GPU_REQUIRE_CLOSE(d_dx.download(), ref_backward_input(dy, w, accumulate ? &dx0 : nullptr, n, k, m),
                               kTol<T>);
      }
}

TEMPLATE_TEST_CASE("gpu matmul: linear_backward_weight accumulates fp32 dw and db into non-zero starts",
                   "[gpu][matmul]", float, bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(103);
  for (const bool fallback : {false, true})
    for (const Shape sh : kShapes)
      for (const int which : {0, 1, 2}) {  // dw and db, dw only, db only
        const auto [n, k, m] = sh;
        const bool with_dw = which != 2, with_db = which != 1;
        INFO("n " << n << " k " << k << " m " << m << " dw " << with_dw << " db " << with_db << " fallback "
                  << fallback);
        const auto dy = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * m)));
        const auto x = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * k)));
        const auto dw0 = dapt_gpu_test::uniform(g, static_cast<std::size_t>(m * k));  // fp32 gradients
        const auto db0 = dapt_gpu_test::uniform(g, static_cast<std::size_t>(m));
        DeviceBuffer<T> d_dy(dy), d_x(x);
        DeviceBuffer<float> d_dw(dw0), d_db(db0);
        backward_weight<T>(fallback, d_dy.get(), d_x.get(), with_dw ? d_dw.get() : nullptr,
                           with_db ? d_db.get() : nullptr, n, k, m);
        DAPT_GPU_REQUIRE_CLOSE(d_dw.download(), with_dw ? ref_backward_weight(dy, x, dw0, n, k, m) : dw0,
                               kGradTol<T>);
        DAPT_GPU_REQUIRE_CLOSE(d_db.download(), with_db ? ref_bias_grad(dy, db0, n, m) : db0, dapt_gpu_test::kTolF32);
      }
}

TEMPLATE_TEST_CASE("gpu matmul: operands at an offset that is not 16-byte aligned", "[gpu][matmul]", float, bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(104);
  const std::int64_t n = dapt_gpu_test::kT, k = dapt_gpu_test::kD, m = dapt_gpu_test::kVocab;
  // One element in front of every operand: the pointers are 4- (fp32) or 2-byte (bf16) aligned.
  auto padded = [&](std::size_t count) { return as_t<T>(dapt_gpu_test::uniform(g, count + 1)); };
  const auto x = padded(n * k), w = padded(m * k), b = padded(m), dy = padded(n * m);
  auto tail = [](const std::vector<float>& v) { return std::vector<float>(v.begin() + 1, v.end()); };
  DeviceBuffer<T> d_x(x), d_w(w), d_b(b), d_dy(dy), d_y(n * m + 1), d_dx(n * k + 1);
  DeviceBuffer<float> d_dw(m * k + 1);
  const auto dw0 = dapt_gpu_test::uniform(g, m * k + 1);
  d_dw.upload(dw0);
  d_y.poison();
  d_dx.poison();
  Kernels::linear_forward(d_x.get() + 1, d_w.get() + 1, d_b.get() + 1, d_y.get() + 1, n, k, m);
  Kernels::linear_backward_input(d_dy.get() + 1, d_w.get() + 1, d_dx.get() + 1, n, k, m);
  Kernels::linear_backward_weight(d_dy.get() + 1, d_x.get() + 1, d_dw.get() + 1, nullptr, n, k, m);
  const auto tb = tail(b);
  DAPT_GPU_REQUIRE_CLOSE(tail(d_y.download()), ref_forward(tail(x), tail(w), &tb, nullptr, n, k, m), kTol<T>);
  DAPT_GPU_REQUIRE_CLOSE(tail(d_dx.download()), ref_backward_input(tail(dy), tail(w), nullptr, n, k, m), kTol<T>);
  DAPT_GPU_REQUIRE_CLOSE(tail(d_dw.download()), ref_backward_weight(tail(dy), tail(x), tail(dw0), n, k, m),
                         kGradTol<T>);
}

TEMPLATE_TEST_CASE("gpu matmul: aligned operands with a bias that is not 16-byte aligned", "[gpu][matmul]", float,
                   bf16) {
  // cuBLASLt's alignment preferences do not cover the bias: with aligned x, w and y (and sizes
  // that keep every row 16-byte aligned) its heuristic may pick vectorised kernels, so a bias at
  // an odd offset must take the add_bias path rather than the epilogue.
  using T = TestType;
  auto g = dapt_gpu_test::rng(106);
  const std::int64_t n = dapt_gpu_test::kT, k = dapt_gpu_test::kD, m = 128;
  const auto x = as_t<T>(dapt_gpu_test::uniform(g, n * k));
  const auto w = as_t<T>(dapt_gpu_test::uniform(g, m * k));
  const auto b = as_t<T>(dapt_gpu_test::uniform(g, m + 1));
  const auto y0 = as_t<T>(dapt_gpu_test::uniform(g, n * m));
  const std::vector<float> tb(b.begin() + 1, b.end());
  DeviceBuffer<T> d_x(x), d_w(w), d_b(b), d_y(n * m);
  d_y.poison();
  Kernels::linear_forward(d_x.get(), d_w.get(), d_b.get() + 1, d_y.get(), n, k, m);
  DAPT_GPU_REQUIRE_CLOSE(d_y.download(), ref_forward(x, w, &tb, nullptr, n, k, m), kTol<T>);
  d_y.upload(y0);
  Kernels::linear_forward(d_x.get(), d_w.get(), d_b.get() + 1, d_y.get(), n, k, m, true);
  DAPT_GPU_REQUIRE_CLOSE(d_y.download(), ref_forward(x, w, &tb, &y0, n, k, m), kTol<T>);
}

TEMPLATE_TEST_CASE("gpu matmul: empty rows, outputs and inner dimension behave as on the CPU", "[gpu][matmul]", float,
                   bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(105);
  const std::int64_t n = dapt_gpu_test::kT, k = dapt_gpu_test::kD, m = dapt_gpu_test::kVocab;
  const auto x = as_t<T>(dapt_gpu_test::uniform(g, n * k));
  const auto w = as_t<T>(dapt_gpu_test::uniform(g, m * k));
  const auto b = as_t<T>(dapt_gpu_test::uniform(g, m));
  const auto y0 = as_t<T>(dapt_gpu_test::uniform(g, n * m));
  DeviceBuffer<T> d_x(x), d_w(w), d_b(b), d_y(n * m);

  SECTION("no rows or no outputs: nothing is written") {
    for (const bool fallback : {false, true}) {
      d_y.poison();
      forward<T>(fallback, d_x.get(), d_w.get(), d_b.get(), d_y.get(), 0, k, m, false);
      forward<T>(fallback, d_x.get(), d_w.get(), d_b.get(), d_y.get(), n, k, 0, false);
      backward_input<T>(fallback, d_y.get(), d_w.get(), d_x.get(), 0, k, m, false);
      REQUIRE(all_nan(d_y.download()));
      REQUIRE(d_x.download() == x);
      DeviceBuffer<float> dw(m * k), db(m);
      dw.poison();
      db.poison();
      backward_weight<T>(fallback, d_y.get(), d_x.get(), dw.get(), db.get(), 0, k, m);
      REQUIRE(all_nan(dw.download()));
      REQUIRE(all_nan(db.download()));
    }
  }
  SECTION("no inner dimension: y = bias (or y + bias), dx = 0 (or kept)") {
    for (const bool fallback : {false, true})
      for (const bool accumulate : {false, true}) {
        INFO("fallback " << fallback << " accumulate " << accumulate);
        if (accumulate) d_y.upload(y0);
        else d_y.poison();
        forward<T>(fallback, d_x.get(), d_w.get(), d_b.get(), d_y.get(), n, 0, m, accumulate);
        DAPT_GPU_REQUIRE_CLOSE(d_y.download(), ref_forward(x, w, &b, accumulate ? &y0 : nullptr, n, 0, m), kTol<T>);
        // linear_backward_input with m = 0 outputs: dx (N, K) = 0, or unchanged when accumulating.
        DeviceBuffer<T> d_dx(x);
        if (!accumulate) d_dx.poison();
        backward_input<T>(fallback, d_y.get(), d_w.get(), d_dx.get(), n, k, 0, accumulate);
        REQUIRE(d_dx.download() == (accumulate ? x : std::vector<float>(x.size(), 0.0f)));
      }
  }
}

TEST_CASE("gpu matmul: the fp32 members take the CPU backend's arguments unchanged", "[gpu][matmul]") {
  // What ops::linear_* pass on the CPU: float pointers, a nullable bias, default accumulate.
  auto g = dapt_gpu_test::rng(106);
  const std::int64_t n = 5, k = 3, m = 4;
  const auto x = dapt_gpu_test::uniform(g, n * k), w = dapt_gpu_test::uniform(g, m * k);
  DeviceBuffer<float> d_x(x), d_w(w), d_y(n * m);
  d_y.poison();
  const float* xp = d_x.get();
  const float* wp = d_w.get();
  const float* bp = nullptr;
  float* yp = d_y.get();
  dapt::backend::MatmulKernels<dapt::Cuda>::linear_forward(xp, wp, bp, yp, n, k, m);
  DAPT_GPU_REQUIRE_CLOSE(d_y.download(), ref_forward(x, w, nullptr, nullptr, n, k, m), dapt_gpu_test::kTolF32);
}

}  // namespace dapt_gpu_matmul_test
