// The layer contract's building blocks: Param gradients follow trainability, Buffer reuses storage.
#include "dapt/nn/layer.hpp"

#include "dapt_catch.hpp"

using namespace dapt;

TEST_CASE("Param allocates a zeroed gradient only when trainable", "[nn][layer]") {
  auto v = Tensor<Cpu>::zeros({3, 4}, DType::kF32);
  nn::Param<Cpu> p(v, true);
  REQUIRE(p.grad().defined());
  REQUIRE(p.grad().shape() == Shape{3, 4});
  for (int i = 0; i < 12; ++i) REQUIRE(p.grad().data<float>()[i] == 0.0f);
  p.grad().data<float>()[5] = 2.0f;
  p.zero_grad();
  REQUIRE(p.grad().data<float>()[5] == 0.0f);
  p.set_trainable(false);
  REQUIRE_FALSE(p.grad().defined());
  p.zero_grad();  // no-op on a frozen parameter
  nn::Param<Cpu> frozen(v, false);
  REQUIRE_FALSE(frozen.grad().defined());
  REQUIRE_DAPT_ERROR(p.assign(Tensor<Cpu>::zeros({4, 3}, DType::kF32)), kShape, "(3, 4)");
}

TEST_CASE("Param computes in F32 on the CPU, and BF16 compute is refused there", "[nn][layer]") {
  nn::Param<Cpu> p(Tensor<Cpu>::zeros({2, 3}, DType::kF32));
  CHECK(p.compute_dtype() == DType::kF32);
  CHECK(p.compute().raw() == p.value().raw());  // forward reads the master itself
  CHECK_FALSE(p.copy().defined());
  REQUIRE_DAPT_ERROR(p.set_compute_dtype(DType::kBF16), kDtype, "BF16 compute needs the CUDA backend");
  REQUIRE_DAPT_ERROR(p.set_compute_dtype(DType::kI32), kDtype, "F32 or BF16, not I32");
  CHECK_FALSE(p.copy().defined());
  p.set_compute_dtype(DType::kF32);
  p.refresh_copy();  // nothing to remake in fp32
  CHECK(p.compute_dtype() == DType::kF32);
}

TEST_CASE("Buffer allocates once per capacity and reuses its storage", "[nn][layer]") {
  nn::Buffer<Cpu> b;
  auto a = b.view({8, 16});
  REQUIRE(b.allocations() == 1);
  auto c = b.view({4, 16});
  REQUIRE(c.raw() == a.raw());
  auto d = b.view({8, 16});
  REQUIRE(d.raw() == a.raw());
  REQUIRE(b.allocations() == 1);
  (void)b.view({9, 16});
  REQUIRE(b.allocations() == 2);
  auto z = b.zeros({2, 2});
  REQUIRE(z.data<float>()[3] == 0.0f);
}
