/// @file cuda.cuh
/// @brief Opt-in umbrella of the CUDA backend. Include it from .cu files (or host .cpp files that
/// link dapt::cuda) to get Tensor<Cuda> storage and the status-checking macros on top of the host
/// SDK. The kernels and launchers of later issues are reached through here too.
#pragma once

#include "dapt/dapt.hpp"
#include "dapt/backend/cuda/allocator.cuh"
#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
