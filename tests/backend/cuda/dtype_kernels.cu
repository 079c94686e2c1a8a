/// @file dtype_kernels.cu
/// @brief Device side of the dtype test: the same bf16/f16 code the host uses, run in a kernel,
/// so the GPU test can compare device conversions bit for bit with the host ones.
#include <cuda_runtime.h>

#include "backend/cuda/dtype_kernels.hpp"
#include "dapt/backend/cuda/allocator.cuh"
#include "dapt/core/dtype.hpp"

namespace {

__global__ void decode_all(float* bf, float* hf) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < 65536u) {
    bf[i] = dapt::bf16::to_float(static_cast<std::uint16_t>(i));
    hf[i] = dapt::f16::to_float(static_cast<std::uint16_t>(i));
  }
}

__global__ void encode(const float* in, std::uint16_t* bf, std::uint16_t* hf, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    bf[i] = dapt::bf16::from_float(in[i]);
    hf[i] = dapt::f16::from_float(in[i]);
  }
}

}  // namespace

namespace dapt_test {

void gpu_decode_all(std::vector<float>& bf16_out, std::vector<float>& f16_out) {
  using dapt::Cuda;
  using dapt::Tensor;
  auto bf = Tensor<Cuda>::empty({65536}, dapt::DType::kF32);
  auto hf = Tensor<Cuda>::empty({65536}, dapt::DType::kF32);
  decode_all<<<256, 256>>>(bf.data<float>(), hf.data<float>());
  DAPT_CUDA_CHECK(cudaGetLastError());
  bf16_out.resize(65536);
  f16_out.resize(65536);
  DAPT_CUDA_CHECK(cudaMemcpy(bf16_out.data(), bf.raw(), 65536 * 4, cudaMemcpyDeviceToHost));
  DAPT_CUDA_CHECK(cudaMemcpy(f16_out.data(), hf.raw(), 65536 * 4, cudaMemcpyDeviceToHost));
}

void gpu_encode(const std::vector<float>& in, std::vector<std::uint16_t>& bf16_out, std::vector<std::uint16_t>& f16_out) {
  using dapt::Cuda;
  using dapt::Tensor;
  const auto n = static_cast<std::int64_t>(in.size());
  auto d_in = Tensor<Cuda>::empty({n}, dapt::DType::kF32);
  auto d_bf = Tensor<Cuda>::empty({n}, dapt::DType::kU16);
  auto d_hf = Tensor<Cuda>::empty({n}, dapt::DType::kU16);
  DAPT_CUDA_CHECK(cudaMemcpy(d_in.raw(), in.data(), in.size() * 4, cudaMemcpyHostToDevice));
  encode<<<static_cast<unsigned>((n + 255) / 256), 256>>>(d_in.data<float>(), d_bf.data<std::uint16_t>(),
                                                           d_hf.data<std::uint16_t>(), static_cast<int>(n));
  DAPT_CUDA_CHECK(cudaGetLastError());
  bf16_out.resize(in.size());
  f16_out.resize(in.size());
  DAPT_CUDA_CHECK(cudaMemcpy(bf16_out.data(), d_bf.raw(), in.size() * 2, cudaMemcpyDeviceToHost));
  DAPT_CUDA_CHECK(cudaMemcpy(f16_out.data(), d_hf.raw(), in.size() * 2, cudaMemcpyDeviceToHost));
}

}  // namespace dapt_test
