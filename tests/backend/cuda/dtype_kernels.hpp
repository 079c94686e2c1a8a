/// @file dtype_kernels.hpp
/// @brief Host entry points of the dtype test kernels (plain C++, so g++ can call them).
#pragma once

#include <cstdint>
#include <vector>

namespace dapt_test {

/// Converts all 65,536 bf16 and f16 bit patterns to float on the device.
void gpu_decode_all(std::vector<float>& bf16_out, std::vector<float>& f16_out);
/// Rounds floats to bf16 and f16 bits on the device.
void gpu_encode(const std::vector<float>& in, std::vector<std::uint16_t>& bf16_out, std::vector<std::uint16_t>& f16_out);

}  // namespace dapt_test
