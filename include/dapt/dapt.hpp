/// @file dapt.hpp
/// @brief Umbrella header of the host SDK. It compiles with g++ alone: no CUDA header is
/// reached from here (the CUDA backend is opt-in through dapt/cuda.cuh).
#pragma once

#include "dapt/core/config.hpp"
#include "dapt/core/dtype.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/metrics.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/progress.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/gguf.hpp"
#include "dapt/io/gguf_llama.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/io/json.hpp"
#include "dapt/io/llama_layout.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/merge.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt/tokenizer/tokenizer_config.hpp"
#include "dapt/tokenizer/trainer.hpp"
