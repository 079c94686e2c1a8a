/// @file kernels.hpp
/// @brief The primary templates through which the op facades in `dapt/ops/` reach a backend. Each
/// op family is one class template on the device; `backend/cpu/*.hpp` specialises it for `Cpu`
/// and `backend/cuda/*.cuh` for `Cuda`, with the same static member signatures. The facades
/// check shapes once and call `backend::FamilyKernels<Device>::op(...)`, so the device is chosen
/// at compile time and a program built without nvcc never sees CUDA code.
#pragma once

namespace dapt::backend {

template <class Device> struct MatmulKernels;      ///< linear forward/backward (GEMM)
template <class Device> struct EmbeddingKernels;   ///< row gather and scatter-add
template <class Device> struct NormKernels;        ///< RMSNorm, fused with the residual add
template <class Device> struct RopeKernels;        ///< rotary position embedding
template <class Device> struct AttentionKernels;   ///< GQA attention (causal or not), training and cached
template <class Device> struct ActivationKernels;  ///< SwiGLU
template <class Device> struct LossKernels;        ///< softmax cross-entropy
template <class Device> struct OptimKernels;       ///< AdamW, gradient norms, clipping
template <class Device> struct PoolingKernels;     ///< sequence pooling + L2 normalisation (embedders)
template <class Device> struct ContrastiveKernels; ///< InfoNCE over query-passage dot products (embedders)
template <class Device> struct ElementwiseKernels; ///< the residual stream's add and copy
template <class Device> struct SamplingKernels;    ///< next-token choice from logits rows (generation)

}  // namespace dapt::backend
