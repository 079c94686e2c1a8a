/// @file embedding_test.cu
/// @brief The CUDA embedding gather and scatter-add against the CPU backend on the issue's odd
/// shapes: many repeated ids (a scatter row summed from positions in several 256-position tiles),
/// rows wider than one block, a non-zero starting gradient, bit-for-bit equality with the CPU's
/// in-order sums and between two runs, and out-of-range ids (a zero row for the gather, skipped
/// by the scatter, the first bad position reported).
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include "dapt/backend/cpu/embedding.hpp"
#include "dapt/backend/cuda/embedding.cuh"
#include "dapt_catch.hpp"
#include "gpu_test_util.cuh"

// The gpu test sources share translation units (CMakeLists.txt): each has a namespace of its own.
namespace dapt_gpu_embedding_test {

namespace {

using dapt::bf16;
using dapt_gpu_test::as_t;
using dapt_gpu_test::DeviceBuffer;
using Cpu = dapt::backend::EmbeddingKernels<dapt::Cpu>;
using Gpu = dapt::backend::EmbeddingKernels<dapt::Cuda>;

/// n ids in [0, v), drawn from `distinct` values so that most repeat.
std::vector<std::int32_t> repeated_ids(std::mt19937_64& g, std::int64_t n, std::int64_t v, std::int64_t distinct) {
  std::uniform_int_distribution<std::int32_t> pick_value(0, static_cast<std::int32_t>(v - 1));
  std::vector<std::int32_t> values(static_cast<std::size_t>(distinct));
  for (auto& x : values) x = pick_value(g);
  values.back() = static_cast<std::int32_t>(v - 1);  // the table's last row is used
  std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
  std::vector<std::int32_t> ids(static_cast<std::size_t>(n));
  for (auto& id : ids) id = values[pick(g)];
  return ids;
}

struct Case {
  std::int64_t n, c, distinct;
};
// Positions within one tile and across three; rows narrower and wider than the 256-thread blocks.
constexpr Case kCases[] = {{dapt_gpu_test::kT, dapt_gpu_test::kD, 9},
                           {600, dapt_gpu_test::kVocab, 50},
                           {600, dapt_gpu_test::kD, 3}};

}  // namespace

TEMPLATE_TEST_CASE("gpu embedding: gather copies table rows like the CPU", "[gpu][embedding]", float, bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(201);
  const std::int64_t v = dapt_gpu_test::kVocab;
  for (const Case cs : kCases) {
    INFO("n " << cs.n << " c " << cs.c);
    const auto table = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(v * cs.c)));
    const auto ids = repeated_ids(g, cs.n, v, cs.distinct);
    std::vector<float> want(static_cast<std::size_t>(cs.n * cs.c));
    Cpu::gather(table.data(), ids.data(), want.data(), cs.n, cs.c, v);
    DeviceBuffer<T> d_table(table), d_out(static_cast<std::size_t>(cs.n * cs.c));
    DeviceBuffer<std::int32_t> d_ids(ids.size());
    d_ids.write(ids);
    d_out.poison();
    Gpu::gather(d_table.get(), d_ids.get(), d_out.get(), cs.n, cs.c, v);
    REQUIRE(d_out.download() == want);  // a copy: exact
  }
}

TEMPLATE_TEST_CASE("gpu embedding: gather writes zero rows for out-of-range ids and reports the first",
                   "[gpu][embedding]", float, bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(202);
  const std::int64_t v = dapt_gpu_test::kVocab, c = dapt_gpu_test::kD, n = dapt_gpu_test::kT;
  const auto table = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(v * c)));
  auto ids = repeated_ids(g, n, v, 9);
  ids[5] = -1;
  ids[9] = static_cast<std::int32_t>(v);
  ids[30] = std::numeric_limits<std::int32_t>::max();
  std::vector<float> want(static_cast<std::size_t>(n * c), 0.0f);
  for (std::int64_t i = 0; i < n; ++i)
    if (ids[i] >= 0 && ids[i] < v)
      for (std::int64_t j = 0; j < c; ++j) want[i * c + j] = table[ids[i] * c + j];
  DeviceBuffer<T> d_table(table), d_out(static_cast<std::size_t>(n * c));
  DeviceBuffer<std::int32_t> d_ids(ids.size());
  DeviceBuffer<std::int64_t> d_bad(1);
  d_ids.write(ids);
  d_bad.write(std::vector<std::int64_t>{n});
  d_out.poison();
  REQUIRE(dapt::cuda::embedding_gather<T>(d_table.get(), d_ids.get(), d_out.get(), n, c, v, d_bad.get(),
                                          dapt::cuda::current_stream()) == cudaSuccess);
  REQUIRE(d_out.download() == want);
  REQUIRE(d_bad.read()[0] == 5);
}

TEMPLATE_TEST_CASE("gpu embedding: scatter_add sums repeated ids in order, bit for bit as the CPU",
                   "[gpu][embedding]", float, bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(203);
  const std::int64_t v = dapt_gpu_test::kVocab;
  for (const Case cs : kCases) {
    INFO("n " << cs.n << " c " << cs.c << " distinct ids " << cs.distinct);
    const auto dout = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(cs.n * cs.c)));
    const auto ids = repeated_ids(g, cs.n, v, cs.distinct);
    const auto dtable0 = dapt_gpu_test::uniform(g, static_cast<std::size_t>(v * cs.c));  // fp32, non-zero
    auto want = dtable0;
    Cpu::scatter_add(dout.data(), ids.data(), want.data(), cs.n, cs.c);
    DeviceBuffer<T> d_dout(dout);
    DeviceBuffer<std::int32_t> d_ids(ids.size());
    d_ids.write(ids);
    DeviceBuffer<float> d_table(dtable0);
    Gpu::scatter_add(d_dout.get(), d_ids.get(), d_table.get(), cs.n, cs.c, v);
    const auto got = d_table.download();
    // The same fp32 additions in the same order as the CPU (storage values are exact in fp32).
    DAPT_GPU_REQUIRE_CLOSE(got, want, dapt_gpu_test::kTolF32);
    REQUIRE(got == want);
    // Deterministic: a second run from the same start gives the same bits.
    d_table.upload(dtable0);
    Gpu::scatter_add(d_dout.get(), d_ids.get(), d_table.get(), cs.n, cs.c, v);
    REQUIRE(d_table.download() == got);
  }
}

TEMPLATE_TEST_CASE("gpu embedding: scatter_add skips out-of-range ids and reports the first", "[gpu][embedding]",
                   float, bf16) {
  using T = TestType;
  auto g = dapt_gpu_test::rng(204);
  const std::int64_t v = dapt_gpu_test::kVocab, c = dapt_gpu_test::kD, n = 300;
  const auto dout = as_t<T>(dapt_gpu_test::uniform(g, static_cast<std::size_t>(n * c)));
  auto ids = repeated_ids(g, n, v, 20);
  ids[7] = static_cast<std::int32_t>(v);
  ids[40] = -3;
  ids[299] = static_cast<std::int32_t>(v + 1000);
  const auto dtable0 = dapt_gpu_test::uniform(g, static_cast<std::size_t>(v * c));
  // The CPU reference on the in-range positions only.
  std::vector<float> kept_dout;
  std::vector<std::int32_t> kept_ids;
  for (std::int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= v) continue;
    kept_ids.push_back(ids[i]);
    kept_dout.insert(kept_dout.end(), dout.begin() + i * c, dout.begin() + (i + 1) * c);
  }
  auto want = dtable0;
  Cpu::scatter_add(kept_dout.data(), kept_ids.data(), want.data(), static_cast<std::int64_t>(kept_ids.size()), c);

  DeviceBuffer<T> d_dout(dout);
  DeviceBuffer<std::int32_t> d_ids(ids.size());
  DeviceBuffer<std::int64_t> d_bad(1);
  DeviceBuffer<float> d_table(dtable0);
  d_ids.write(ids);
  d_bad.write(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max()});
  REQUIRE(dapt::cuda::embedding_scatter_add<T>(d_dout.get(), d_ids.get(), d_table.get(), n, c, v, d_bad.get(),
                                               dapt::cuda::current_stream()) == cudaSuccess);
  REQUIRE(d_table.download() == want);
  REQUIRE(d_bad.read()[0] == 7);

  SECTION("without the table size, negative ids are still skipped") {
    std::vector<std::int32_t> neg(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) neg[i] = ids[i] >= v ? -1 : ids[i];
    d_ids.write(neg);
    d_table.upload(dtable0);
    Gpu::scatter_add(d_dout.get(), d_ids.get(), d_table.get(), n, c);
    REQUIRE(d_table.download() == want);
  }
}

TEST_CASE("gpu embedding: no positions is a no-op", "[gpu][embedding]") {
  DeviceBuffer<float> table(4), out(4);
  DeviceBuffer<std::int32_t> ids(1);
  table.upload({1, 2, 3, 4});
  out.poison();
  Gpu::gather(table.get(), ids.get(), out.get(), 0, 2, 2);
  Gpu::scatter_add(out.get(), ids.get(), table.get(), 0, 2, 2);
  REQUIRE(table.download() == std::vector<float>{1, 2, 3, 4});
  for (float x : out.download()) REQUIRE(std::isnan(x));
}

}  // namespace dapt_gpu_embedding_test
