/// @file gpu_bench_util.cuh
/// @brief What the GPU benchmarks add to bench_util.hpp: the description of the device they ran
/// on, printed under the header line and stored in each result's JSON ("device"), so that a
/// figure carries its card as docs/performance.md asks.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdio>
#include <string>

#include "dapt/backend/cuda/check.cuh"

namespace dapt::bench {

/// "NVIDIA H200, 139.8 GiB, sm_90, driver API 13.0": the current device.
inline std::string device_description() {
  int device = 0;
  DAPT_CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  DAPT_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  int driver = 0;
  DAPT_CUDA_CHECK(cudaDriverGetVersion(&driver));
  char buf[400];
  std::snprintf(buf, sizeof buf, "%s, %.1f GiB, sm_%d%d, driver API %d.%d", prop.name,
                static_cast<double>(prop.totalGlobalMem) / static_cast<double>(1ull << 30), prop.major, prop.minor,
                driver / 1000, driver % 1000 / 10);
  return buf;
}

}  // namespace dapt::bench
