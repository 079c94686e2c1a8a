// The CUDA emulator's stand-in for <cublas_api.h> (see dapt_emu/blas.hpp).
#pragma once
#include "dapt_emu/blas.hpp"
