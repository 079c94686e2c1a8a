/// @file cuda.cuh
/// @brief Opt-in umbrella of the CUDA backend. Include it from .cu files (or host .cpp files that
/// link dapt::cuda) to get Tensor<Cuda> storage and the status-checking macros on top of the host
/// SDK. The kernels and launchers of later issues are reached through here too.
#pragma once

#include "dapt/dapt.hpp"
#include "dapt/backend/cuda/allocator.cuh"
#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/backend/cuda/activation.cuh"
#include "dapt/backend/cuda/attention.cuh"
#include "dapt/backend/cuda/contrastive.cuh"
#include "dapt/backend/cuda/elementwise.cuh"
#include "dapt/backend/cuda/embedding.cuh"
#include "dapt/backend/cuda/loss.cuh"
#include "dapt/backend/cuda/matmul.cuh"
#include "dapt/backend/cuda/norm.cuh"
#include "dapt/backend/cuda/optim.cuh"
#include "dapt/backend/cuda/pooling.cuh"
#include "dapt/backend/cuda/rope.cuh"
#include "dapt/backend/cuda/sampling.cuh"
#include "dapt/backend/cuda/search.cuh"
#include "dapt/retrieval/flat_index_cuda.cuh"
