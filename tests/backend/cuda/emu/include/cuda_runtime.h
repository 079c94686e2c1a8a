// The CUDA emulator's stand-in for <cuda_runtime.h> (see dapt_emu/runtime.hpp).
#pragma once
#include "dapt_emu/runtime.hpp"
