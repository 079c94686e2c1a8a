/// @file gpu_main.cpp
/// @brief Main of the GPU test program: without a visible CUDA device it prints why and exits
/// 77, which ctest reports as "skipped" (SKIP_RETURN_CODE); otherwise, or to list the test
/// cases, it runs Catch2.
#if defined(DAPT_CATCH2_V3)
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include <cstdio>
#include <string_view>

#include "dapt/backend/cuda/allocator.cuh"

int main(int argc, char** argv) {
  // Listing the test cases (--list-tests, --list-test-names-only, ...) needs no device.
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing = listing || std::string_view(argv[i]).starts_with("--list");
  if (!listing && dapt::cuda::device_count() == 0) {
    std::printf("no CUDA device visible: skipping the gpu tests\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
