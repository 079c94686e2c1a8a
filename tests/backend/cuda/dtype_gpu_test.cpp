/// @file dtype_gpu_test.cpp
/// @brief bf16/f16 conversions on the device agree bit for bit with the host conversions, over
/// all 65,536 patterns for decoding and over every midpoint (and its neighbours) for rounding.
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cuda/dtype_kernels.hpp"
#include "dapt/core/dtype.hpp"
#include "dapt_catch.hpp"

TEST_CASE("gpu dtype: decoding all bit patterns matches the host", "[gpu][dtype]") {
  std::vector<float> bf, hf;
  dapt_test::gpu_decode_all(bf, hf);
  for (std::uint32_t i = 0; i < 65536; ++i) {
    const float hb = dapt::bf16::to_float(static_cast<std::uint16_t>(i));
    const float hh = dapt::f16::to_float(static_cast<std::uint16_t>(i));
    REQUIRE(std::memcmp(&bf[i], &hb, 4) == 0);
    REQUIRE(std::memcmp(&hf[i], &hh, 4) == 0);
  }
}

TEST_CASE("gpu dtype: rounding matches the host at every midpoint", "[gpu][dtype]") {
  std::vector<float> in;
  for (std::uint32_t a = 0; a + 1 < 0x7c00u; ++a) {
    const float m = (dapt::f16::to_float(static_cast<std::uint16_t>(a)) + dapt::f16::to_float(static_cast<std::uint16_t>(a + 1))) / 2;
    in.insert(in.end(), {m, std::nextafter(m, 0.0f), std::nextafter(m, 1e30f), -m});
  }
  for (std::uint32_t a = 0; a + 1 < 0x7f80u; a += 7) {
    const float m = (dapt::bf16::to_float(static_cast<std::uint16_t>(a)) + dapt::bf16::to_float(static_cast<std::uint16_t>(a + 1))) / 2;
    in.insert(in.end(), {m, std::nextafter(m, 0.0f), -m});
  }
  std::vector<std::uint16_t> bf, hf;
  dapt_test::gpu_encode(in, bf, hf);
  for (std::size_t i = 0; i < in.size(); ++i) {
    REQUIRE(bf[i] == dapt::bf16::from_float(in[i]));
    REQUIRE(hf[i] == dapt::f16::from_float(in[i]));
  }
}
