// The CUDA emulator's stand-in for <cublasLt.h> (see dapt_emu/blas.hpp).
#pragma once
#include "dapt_emu/blas.hpp"
