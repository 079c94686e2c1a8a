/// @file reference_util.hpp
/// @brief What the parity tests against the Hugging Face / peft reference files share: int64 ids
/// of a reference file as the model's int32, and the relative L2 error of an output against a
/// reference tensor.
#pragma once

#include <cstdint>

#include "dapt/core/tensor.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

namespace dapt_test {

/// An int64 tensor (reference ids and labels) converted to the int32 the model takes.
inline dapt::Tensor<dapt::Cpu> to_i32(const dapt::Tensor<dapt::Cpu>& t) {
  dapt::Tensor<dapt::Cpu> out = dapt::Tensor<dapt::Cpu>::empty(t.shape(), dapt::DType::kI32);
  const auto* src = t.data<const std::int64_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i) out.data<std::int32_t>()[i] = static_cast<std::int32_t>(src[i]);
  return out;
}

/// ||ours - ref|| / ||ref|| over all elements (the counts must agree).
inline double rel(const dapt::TensorView<dapt::Cpu>& ours, const dapt::Tensor<dapt::Cpu>& ref) {
  REQUIRE(ours.numel() == ref.numel());
  return relative_l2(ours.data<const float>(), ref.data<const float>(), ref.numel());
}

}  // namespace dapt_test
