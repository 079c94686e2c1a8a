/// @file tensor_test.cpp
/// @brief Tensor and TensorView: shapes, strides, views that share storage, borrowed storage with
/// keep-alive, alignment of the CPU allocator, and the errors for bad shapes and dtypes.
#include <cstdint>
#include <limits>
#include <memory>

#include "dapt/core/tensor.hpp"
#include "dapt_catch.hpp"

using dapt::Cpu;
using dapt::DType;
using dapt::Shape;
using dapt::Tensor;

TEST_CASE("Shape: numel, strides, printing and overflow", "[core][tensor]") {
  Shape s{2, 3, 4};
  CHECK(s.rank() == 3);
  CHECK(s.numel() == 24);
  CHECK(s.dim(-1) == 4);
  CHECK(s.str() == "(2, 3, 4)");
  CHECK(s.contiguous_strides() == Shape{12, 4, 1});
  CHECK(Shape{}.numel() == 1);
  CHECK(Shape{5, 0}.numel() == 0);
  REQUIRE_DAPT_ERROR(Shape({1LL << 40, 1LL << 40}).numel(), kShape, "int64");
  REQUIRE_DAPT_ERROR(Shape({3, -1}).numel(), kShape, "negative");
  REQUIRE_DAPT_ERROR(Shape({1, 1, 1, 1, 1, 1, 1, 1, 1}), kShape, "maximum rank");
  REQUIRE_DAPT_ERROR(s.dim(3), kShape, "out of range");
}

TEST_CASE("Tensor: CPU storage is 64-byte aligned and zeros() zeroes", "[core][tensor]") {
  for (std::int64_t n : {1, 3, 17, 1000}) {
    auto t = Tensor<Cpu>::zeros({n}, DType::kF32);
    CHECK(reinterpret_cast<std::uintptr_t>(t.raw()) % 64 == 0);
    for (std::int64_t i = 0; i < n; ++i) REQUIRE(t.data<float>()[i] == 0.0f);
  }
}

TEST_CASE("Tensor: copies share storage, clone does not, views slice and transpose", "[core][tensor]") {
  auto t = Tensor<Cpu>::empty({2, 3}, DType::kF32);
  for (int i = 0; i < 6; ++i) t.data<float>()[i] = static_cast<float>(i);
  Tensor<Cpu> shared = t;
  shared.data<float>()[0] = 42.0f;
  CHECK(t.data<float>()[0] == 42.0f);
  auto deep = t.clone();
  deep.data<float>()[1] = -1.0f;
  CHECK(t.data<float>()[1] == 1.0f);

  auto tr = t.view().transpose(0, 1);  // (3, 2), strided
  CHECK(tr.shape() == Shape{3, 2});
  CHECK_FALSE(tr.is_contiguous());
  CHECK(tr.at<float>({2, 1}) == 5.0f);
  CHECK(tr.at<float>({1, 0}) == 1.0f);
  auto tcopy = Tensor<Cpu>::empty({3, 2}, DType::kF32);
  Tensor<Cpu>::copy_view(tr, tcopy.view());
  CHECK(tcopy.data<float>()[1] == 3.0f);  // row 0 of the transpose is column 0 of t: 42, 3

  auto row = t.view().slice(0, 1, 2);
  CHECK(row.shape() == Shape{1, 3});
  CHECK(row.at<float>({0, 2}) == 5.0f);
  auto col = t.view().slice(1, 1, 3);
  CHECK(col.at<float>({1, 0}) == 4.0f);
  CHECK(t.view().reshape({3, 2}).at<float>({2, 1}) == 5.0f);
  REQUIRE_DAPT_ERROR(tr.reshape({6}), kShape, "non-contiguous");
  REQUIRE_DAPT_ERROR(t.view().reshape({7}), kShape, "cannot reshape");
  REQUIRE_DAPT_ERROR(t.view().slice(0, 1, 3), kOutOfRange, "slice");
  REQUIRE_DAPT_ERROR(t.at<float>({2, 0}), kOutOfRange, "out of range");
  REQUIRE_DAPT_ERROR(t.data<double>(), kDtype, "F32");
}

TEST_CASE("Tensor: borrowed storage keeps its owner alive", "[core][tensor]") {
  std::weak_ptr<int> watch;
  Tensor<Cpu> t;
  {
    auto owner = std::make_shared<int>(7);
    watch = owner;
    static float buffer[4] = {1, 2, 3, 4};
    t = Tensor<Cpu>::borrow(buffer, DType::kF32, {4}, owner);
  }
  CHECK_FALSE(watch.expired());
  CHECK(t.at<float>({3}) == 4.0f);
  t = Tensor<Cpu>();
  CHECK(watch.expired());
}

TEST_CASE("TensorView: misaligned typed access is refused", "[core][tensor]") {
  alignas(8) unsigned char buf[16] = {};
  dapt::TensorView<Cpu> v(buf + 2, DType::kF32, {2});
  REQUIRE_DAPT_ERROR(v.data<float>(), kInvalidArgument, "aligned");
}
