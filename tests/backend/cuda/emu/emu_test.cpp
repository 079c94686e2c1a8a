/// @file emu_test.cpp
/// @brief The CUDA emulator's own tests: what it computes (warp collectives, barriers with
/// predicates, GEMMs against a plain loop, bf16 rounding against dapt::bf16) and, above all, that
/// it refuses what a GPU would not do or would leave undefined, so that a kernel bug fails the
/// emulated gpu tests instead of passing by luck. The kernels are written as translate.py leaves
/// them: a launch is ::dapt_emu::launch, a __shared__ variable is static and poisoned per block.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dapt/core/dtype.hpp"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

namespace dapt_emu_test {

namespace {

using dapt_gpu_test::DeviceBuffer;
using dapt_emu::launch;
using dapt_emu::LaunchConfig;

/// The launch failed, and the error is cleared for the next one.
bool launch_failed(cudaError_t want = cudaErrorLaunchFailure) { return cudaGetLastError() == want; }

// ------------------------------------------------------------------------------------------------
// Kernels.

/// Each thread reads its neighbour's value through shared memory; `sync` false leaves out the
/// barrier between the writes and the reads (a classic bug).
__global__ void neighbour(const float* x, float* out, bool sync) {
  static float part[256];
  dapt_emu::poison_shared(&part, sizeof(part));
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  part[threadIdx.x] = x[i];
  if (sync) __syncthreads();
  out[i] = part[(threadIdx.x + 1) % blockDim.x];
}

/// Threads past `n` return before a barrier the others wait at.
__global__ void early_return(float* x, int n) {
  if (static_cast<int>(threadIdx.x) >= n) return;
  __syncthreads();
  x[threadIdx.x] = 1.0f;
}

__global__ void warp_ops(const int* in, int* xor_out, int* shfl_out, unsigned* ballot_out, unsigned* match_out,
                         int* or_out, int* count_out) {
  const int v = in[threadIdx.x];
  const unsigned lane = threadIdx.x & 31u;
  xor_out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, v, 5);
  shfl_out[threadIdx.x] = __shfl_sync(0xffffffffu, v, 3, 8);  // lane 3 of each group of 8
  ballot_out[threadIdx.x] = __ballot_sync(0xffffffffu, v > 0);
  match_out[threadIdx.x] = __match_any_sync(0xffffffffu, v & 3);
  or_out[threadIdx.x] = __syncthreads_or(threadIdx.x == 37 && lane == 5);
  count_out[threadIdx.x] = __syncthreads_count(v > 0);
}

/// A full-mask shuffle in which lanes past `n` have already returned.
__global__ void shuffle_after_exit(float* x, int n) {
  if (static_cast<int>(threadIdx.x) >= n) return;
  x[threadIdx.x] = __shfl_xor_sync(0xffffffffu, x[threadIdx.x], 1);
}

/// Lanes of one warp in two different collectives.
__global__ void mismatched_collectives(int* x) {
  if (threadIdx.x & 1u) x[threadIdx.x] = __shfl_xor_sync(0xffffffffu, x[threadIdx.x], 1);
  else x[threadIdx.x] = static_cast<int>(__ballot_sync(0xffffffffu, 1));
}

__global__ void write_index(int* x) { x[blockIdx.x * blockDim.x + threadIdx.x] = static_cast<int>(threadIdx.x); }

__global__ void uses_dynamic_shared(float* x) {
  auto* s = reinterpret_cast<float*>(dapt_emu::dynamic_shared());
  s[threadIdx.x] = x[threadIdx.x];
  __syncthreads();
  x[threadIdx.x] = s[blockDim.x - 1 - threadIdx.x];
}

__global__ void to_bf16(const float* in, std::uint16_t* out, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) out[i] = __bfloat16_as_ushort(__float2bfloat16_rn(in[i]));
}

}  // namespace

TEST_CASE("cuda emulator: a missing barrier reads poisoned shared memory", "[emu]") {
  std::vector<float> h(512);
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<float>(i);
  DeviceBuffer<float> x(512), out(512);
  x.write(h);
  launch(LaunchConfig(2, 256), neighbour, "neighbour", x.get(), out.get(), true);
  REQUIRE(cudaGetLastError() == cudaSuccess);
  auto got = out.read();
  for (std::size_t i = 0; i < h.size(); ++i) CHECK(got[i] == h[i / 256 * 256 + (i + 1) % 256]);
  // Without the barrier, the first thread the scheduler runs (whatever DAPT_EMU_ORDER says)
  // reads a neighbour that has not written yet: the 0xff poison (NaN), in every block, since
  // shared memory is poisoned again for each block.
  launch(LaunchConfig(2, 256), neighbour, "neighbour", x.get(), out.get(), false);
  REQUIRE(cudaGetLastError() == cudaSuccess);
  got = out.read();
  for (std::size_t block = 0; block < 2; ++block) {
    std::size_t poisoned = 0;
    for (std::size_t i = block * 256; i < block * 256 + 256; ++i) poisoned += std::isnan(got[i]);
    CHECK(poisoned >= 1);
  }
}

TEST_CASE("cuda emulator: a barrier some threads skip fails the launch", "[emu]") {
  DeviceBuffer<float> x(64);
  launch(LaunchConfig(1, 64), early_return, "early_return", x.get(), 64);
  CHECK(cudaGetLastError() == cudaSuccess);
  launch(LaunchConfig(1, 64), early_return, "early_return", x.get(), 40);
  CHECK(launch_failed());
  launch(LaunchConfig(1, 64), shuffle_after_exit, "shuffle_after_exit", x.get(), 64);
  CHECK(cudaGetLastError() == cudaSuccess);
  launch(LaunchConfig(1, 64), shuffle_after_exit, "shuffle_after_exit", x.get(), 48);
  CHECK(launch_failed());
  DeviceBuffer<int> y(32);
  launch(LaunchConfig(1, 32), mismatched_collectives, "mismatched_collectives", y.get());
  CHECK(launch_failed());
  // A full-mask collective in a block of 16 threads names lanes that do not exist.
  launch(LaunchConfig(1, 16), shuffle_after_exit, "shuffle_after_exit", x.get(), 16);
  CHECK(launch_failed());
}

TEST_CASE("cuda emulator: warp collectives and predicated barriers follow CUDA", "[emu]") {
  constexpr int n = 64;
  std::mt19937 rng(7);
  std::vector<int> in(n);
  for (auto& v : in) v = static_cast<int>(rng() % 11) - 5;
  DeviceBuffer<int> din(n), x(n), s(n), o(n), c(n);
  DeviceBuffer<unsigned> b(n), m(n);
  din.write(in);
  launch(LaunchConfig(1, n), warp_ops, "warp_ops", din.get(), x.get(), s.get(), b.get(), m.get(), o.get(), c.get());
  REQUIRE(cudaGetLastError() == cudaSuccess);
  const auto xs = x.read(), ss = s.read(), os = o.read(), cs = c.read();
  const auto bs = b.read(), ms = m.read();
  int positives = 0;
  for (int v : in) positives += v > 0;
  for (int t = 0; t < n; ++t) {
    const int warp = t / 32 * 32, lane = t % 32;
    CHECK(xs[t] == in[warp + (lane ^ 5)]);
    CHECK(ss[t] == in[warp + lane / 8 * 8 + 3]);
    unsigned ballot = 0, match = 0;
    for (int j = 0; j < 32; ++j) {
      ballot |= (in[warp + j] > 0 ? 1u : 0u) << j;
      match |= ((in[warp + j] & 3) == (in[t] & 3) ? 1u : 0u) << j;
    }
    CHECK(bs[t] == ballot);
    CHECK(ms[t] == match);
    CHECK(os[t] == 1);
    CHECK(cs[t] == positives);
  }
}

TEST_CASE("cuda emulator: launch configurations the device refuses", "[emu]") {
  DeviceBuffer<int> x(4096);
  launch(LaunchConfig(4, 1024), write_index, "write_index", x.get());
  CHECK(cudaGetLastError() == cudaSuccess);
  launch(LaunchConfig(1, 2048), write_index, "write_index", x.get());
  CHECK(launch_failed(cudaErrorInvalidConfiguration));
  launch(LaunchConfig(1, dim3(8, 8, 128)), write_index, "write_index", x.get());
  CHECK(launch_failed(cudaErrorInvalidConfiguration));
  launch(LaunchConfig(dim3(1, 70000), 1), write_index, "write_index", x.get());
  CHECK(launch_failed(cudaErrorInvalidConfiguration));
  launch(LaunchConfig(0, 32), write_index, "write_index", x.get());
  CHECK(launch_failed(cudaErrorInvalidConfiguration));

  // Dynamic shared memory over 48 KiB needs the attribute first.
  DeviceBuffer<float> f(256);
  std::vector<float> h(256);
  for (int i = 0; i < 256; ++i) h[static_cast<std::size_t>(i)] = static_cast<float>(i);
  f.write(h);
  launch(LaunchConfig(1, 256, 64 * 1024), uses_dynamic_shared, "uses_dynamic_shared", f.get());
  CHECK(launch_failed(cudaErrorInvalidValue));
  REQUIRE(cudaFuncSetAttribute(uses_dynamic_shared, cudaFuncAttributeMaxDynamicSharedMemorySize, 64 * 1024) ==
          cudaSuccess);
  launch(LaunchConfig(1, 256, 64 * 1024), uses_dynamic_shared, "uses_dynamic_shared", f.get());
  REQUIRE(cudaGetLastError() == cudaSuccess);
  CHECK(f.read()[0] == 255.0f);
  CHECK(cudaFuncSetAttribute(uses_dynamic_shared, cudaFuncAttributeMaxDynamicSharedMemorySize, 300 * 1024) ==
        cudaErrorInvalidValue);
  cudaGetLastError();
}

TEST_CASE("cuda emulator: host memory handed to the device is refused", "[emu]") {
  std::vector<int> host(64);
  launch(LaunchConfig(1, 64), write_index, "write_index", host.data());
  CHECK(launch_failed(cudaErrorInvalidValue));
  DeviceBuffer<int> x(64);
  std::vector<int> back(64);
  CHECK(cudaMemcpy(back.data(), x.get(), 64 * sizeof(int), cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
  CHECK(cudaMemcpy(back.data(), x.get(), 64 * sizeof(int), cudaMemcpyDeviceToHost) == cudaSuccess);
  CHECK(cudaMemcpy(back.data(), x.get(), 65 * sizeof(int), cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);
  CHECK(cudaMemset(host.data(), 0, 16) == cudaErrorInvalidValue);
  CHECK(cudaMemset(x.get() + 60, 0, 5 * sizeof(int)) == cudaErrorInvalidValue);
  CHECK(cudaFree(x.get() + 1) == cudaErrorInvalidDevicePointer);
  cudaGetLastError();
  // Fresh device memory is not zero.
  DeviceBuffer<float> fresh(4);
  CHECK(fresh.read()[0] != 0.0f);
}

TEST_CASE("cuda emulator: device properties of device 0 only", "[emu]") {
  cudaDeviceProp prop{};
  REQUIRE(cudaGetDeviceProperties(&prop, 0) == cudaSuccess);
  CHECK(std::string(prop.name) == "dapt CUDA emulator");
  CHECK(prop.major == 9);
  CHECK(prop.totalGlobalMem > 0);
  CHECK(cudaGetDeviceProperties(&prop, 1) == cudaErrorInvalidDevice);
  CHECK(cudaGetDeviceProperties(&prop, -1) == cudaErrorInvalidDevice);
  cudaGetLastError();
  int driver = 0;
  CHECK(cudaDriverGetVersion(&driver) == cudaSuccess);
  CHECK(driver >= 13000);
}

TEST_CASE("cuda emulator: bf16 conversion equals dapt::bf16 on every kind of float", "[emu]") {
  std::vector<float> in;
  std::mt19937 rng(3);
  for (int i = 0; i < 4000; ++i) in.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(rng())));
  for (std::uint32_t u : {0x3f808000u, 0x3f818000u, 0x7f7fffffu, 0x7f800000u, 0xff800000u, 0x00000001u, 0x80000000u})
    in.push_back(std::bit_cast<float>(u));
  const int n = static_cast<int>(in.size());
  DeviceBuffer<float> d(in.size());
  DeviceBuffer<std::uint16_t> out(in.size());
  d.write(in);
  launch(LaunchConfig((n + 255) / 256, 256), to_bf16, "to_bf16", d.get(), out.get(), n);
  REQUIRE(cudaGetLastError() == cudaSuccess);
  const auto got = out.read();
  for (int i = 0; i < n; ++i) {
    const std::uint16_t want = dapt::bf16::from_float(in[static_cast<std::size_t>(i)]);
    if (std::isnan(in[static_cast<std::size_t>(i)])) CHECK(((got[static_cast<std::size_t>(i)] & 0x7fffu) > 0x7f80u));
    else CHECK(got[static_cast<std::size_t>(i)] == want);
  }
}

TEST_CASE("cuda emulator: GEMMs equal a plain loop, and bad operands are refused", "[emu]") {
  // Column-major D (m, n) = op(A) op(B) + beta C, every transpose, through both APIs.
  const int m = 5, n = 7, k = 3;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1, 1);
  cublasHandle_t h = nullptr;
  cublasLtHandle_t lt = nullptr;
  REQUIRE(cublasCreate(&h) == CUBLAS_STATUS_SUCCESS);
  REQUIRE(cublasLtCreate(&lt) == CUBLAS_STATUS_SUCCESS);
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      const int lda = (ta ? k : m) + 1, ldb = (tb ? n : k) + 2, ldc = m + 3;
      std::vector<float> a(static_cast<std::size_t>(lda * (ta ? m : k))), b(static_cast<std::size_t>(ldb * (tb ? k : n))),
          c(static_cast<std::size_t>(ldc * n));
      for (auto* v : {&a, &b, &c})
        for (auto& e : *v) e = u(rng);
      std::vector<double> want(static_cast<std::size_t>(m * n));
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
          double s = 0;
          for (int l = 0; l < k; ++l)
            s += static_cast<double>(ta ? a[static_cast<std::size_t>(l + i * lda)] : a[static_cast<std::size_t>(i + l * lda)]) *
                 (tb ? b[static_cast<std::size_t>(j + l * ldb)] : b[static_cast<std::size_t>(l + j * ldb)]);
          want[static_cast<std::size_t>(i + j * m)] = s + 0.5 * c[static_cast<std::size_t>(i + j * ldc)];
        }
      DeviceBuffer<float> da(a.size()), db(b.size()), dc(c.size());
      da.write(a);
      db.write(b);
      dc.write(c);
      const float alpha = 1.0f, beta = 0.5f;
      const auto opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N, opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
      REQUIRE(cublasGemmEx(h, opa, opb, m, n, k, &alpha, da.get(), CUDA_R_32F, lda, db.get(), CUDA_R_32F, ldb, &beta, dc.get(),
                           CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS);
      auto got = dc.read();
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j)
          CHECK(got[static_cast<std::size_t>(i + j * ldc)] ==
                Approx(want[static_cast<std::size_t>(i + j * m)]).epsilon(1e-6));

      // cuBLASLt with the BIAS epilogue (bias of length m added to every column).
      DeviceBuffer<float> bias(m);
      std::vector<float> hb(m);
      for (auto& e : hb) e = u(rng);
      bias.write(hb);
      dc.write(c);
      cublasLtMatmulDesc_t op = nullptr;
      cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
      REQUIRE(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F) == CUBLAS_STATUS_SUCCESS);
      REQUIRE(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &opa, sizeof opa) == CUBLAS_STATUS_SUCCESS);
      REQUIRE(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &opb, sizeof opb) == CUBLAS_STATUS_SUCCESS);
      const cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
      const void* bp = bias.get();
      REQUIRE(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi) == CUBLAS_STATUS_SUCCESS);
      REQUIRE(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bp, sizeof bp) == CUBLAS_STATUS_SUCCESS);
      REQUIRE(cublasLtMatrixLayoutCreate(&la, CUDA_R_32F, ta ? k : m, ta ? m : k, lda) == CUBLAS_STATUS_SUCCESS);
      REQUIRE(cublasLtMatrixLayoutCreate(&lb, CUDA_R_32F, tb ? n : k, tb ? k : n, ldb) == CUBLAS_STATUS_SUCCESS);
      REQUIRE(cublasLtMatrixLayoutCreate(&lc, CUDA_R_32F, m, n, ldc) == CUBLAS_STATUS_SUCCESS);
      REQUIRE(cublasLtMatmul(lt, op, &alpha, da.get(), la, db.get(), lb, &beta, dc.get(), lc, dc.get(), lc, nullptr, nullptr, 0,
                             nullptr) == CUBLAS_STATUS_SUCCESS);
      got = dc.read();
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j)
          CHECK(got[static_cast<std::size_t>(i + j * ldc)] ==
                Approx(want[static_cast<std::size_t>(i + j * m)] + hb[static_cast<std::size_t>(i)]).epsilon(1e-6));
      // A layout whose shape disagrees with the operation is refused.
      cublasLtMatrixLayout_t wrong = nullptr;
      REQUIRE(cublasLtMatrixLayoutCreate(&wrong, CUDA_R_32F, m, n + 1, ldc) == CUBLAS_STATUS_SUCCESS);
      CHECK(cublasLtMatmul(lt, op, &alpha, da.get(), la, db.get(), lb, &beta, dc.get(), wrong, dc.get(), wrong, nullptr, nullptr, 0,
                           nullptr) == CUBLAS_STATUS_INVALID_VALUE);
      cublasLtMatrixLayoutDestroy(wrong);
      cublasLtMatrixLayoutDestroy(lc);
      cublasLtMatrixLayoutDestroy(lb);
      cublasLtMatrixLayoutDestroy(la);
      cublasLtMatmulDescDestroy(op);
    }
  // A leading dimension below the rows, an operand past its allocation, a host operand.
  DeviceBuffer<float> a(15), b(21), c(35);
  std::vector<float> host(35);
  const float one = 1.0f, zero = 0.0f;
  CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 5, 7, 3, &one, a.get(), CUDA_R_32F, 4, b.get(), CUDA_R_32F, 3, &zero, c.get(),
                     CUDA_R_32F, 5, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 5, 7, 3, &one, a.get(), CUDA_R_32F, 5, b.get(), CUDA_R_32F, 4, &zero, c.get(),
                     CUDA_R_32F, 5, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 5, 7, 3, &one, a.get(), CUDA_R_32F, 5, b.get(), CUDA_R_32F, 3, &zero,
                     host.data(), CUDA_R_32F, 5, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 5, 7, 3, &one, a.get(), CUDA_R_32F, 5, b.get(), CUDA_R_32F, 3, &zero, c.get(),
                     CUDA_R_32F, 5, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS);
  cublasLtDestroy(lt);
  cublasDestroy(h);
}

}  // namespace dapt_emu_test
