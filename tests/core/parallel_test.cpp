/// @file parallel_test.cpp
/// @brief Tests of dapt/core/parallel.hpp: the thread-count policy (DAPT_NUM_THREADS, then
/// OMP_NUM_THREADS, then the core count, with invalid values rejected), ThreadScope, and
/// parallel_for's coverage, grain, nesting and exception transport. Each test that edits the
/// environment restores it, since ctest runs these with DAPT_NUM_THREADS=2 already set.
#include "dapt/core/parallel.hpp"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dapt_catch.hpp"
#include "test_util.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace {

using dapt_test::EnvGuard;

}  // namespace

TEST_CASE("num_threads reads DAPT_NUM_THREADS first", "[core][parallel]") {
  EnvGuard omp("OMP_NUM_THREADS", "5");
  {
    EnvGuard dapt_env("DAPT_NUM_THREADS", "3");
    CHECK(dapt::num_threads() == 3);
  }
  {
    EnvGuard dapt_env("DAPT_NUM_THREADS", " 7 ");  // surrounding blanks are tolerated
    CHECK(dapt::num_threads() == 7);
  }
  {
    EnvGuard dapt_env("DAPT_NUM_THREADS", "");  // empty counts as unset
    CHECK(dapt::num_threads() == 5);
  }
}

TEST_CASE("num_threads falls back to OMP_NUM_THREADS, then the core count", "[core][parallel]") {
  EnvGuard dapt_env("DAPT_NUM_THREADS", nullptr);
  {
    EnvGuard omp("OMP_NUM_THREADS", "6");
    CHECK(dapt::num_threads() == 6);
  }
  {
    EnvGuard omp("OMP_NUM_THREADS", "4,2");  // one count per nesting level: the first is ours
    CHECK(dapt::num_threads() == 4);
  }
  {
    EnvGuard omp("OMP_NUM_THREADS", nullptr);
    const unsigned hw = std::thread::hardware_concurrency();
    CHECK(dapt::num_threads() == (hw == 0 ? 1 : static_cast<int>(hw)));
    CHECK(dapt::num_threads() >= 1);
  }
}

TEST_CASE("num_threads rejects invalid values, naming the variable and value", "[core][parallel]") {
  EnvGuard omp("OMP_NUM_THREADS", nullptr);
  for (const char* bad : {"abc", "0", "-3", "2x", "+4", "1.5", "99999999999", "4,2"}) {
    INFO("DAPT_NUM_THREADS=" << bad);
    EnvGuard dapt_env("DAPT_NUM_THREADS", bad);
    REQUIRE_DAPT_ERROR(dapt::num_threads(), kConfig, "DAPT_NUM_THREADS");
    REQUIRE_DAPT_ERROR(dapt::num_threads(), kConfig, std::string("\"") + bad + "\"");
  }
  EnvGuard dapt_env("DAPT_NUM_THREADS", nullptr);
  for (const char* bad : {"abc", "0,2", "-1", ",4"}) {
    INFO("OMP_NUM_THREADS=" << bad);
    EnvGuard omp_bad("OMP_NUM_THREADS", bad);
    REQUIRE_DAPT_ERROR(dapt::num_threads(), kConfig, "OMP_NUM_THREADS");
    REQUIRE_DAPT_ERROR(dapt::num_threads(), kConfig, bad);
  }
}

TEST_CASE("apply_thread_policy applies the count to OpenMP", "[core][parallel]") {
  dapt::ThreadScope restore(dapt::max_threads());  // undo the global change at the end
  EnvGuard dapt_env("DAPT_NUM_THREADS", "3");
  CHECK(dapt::apply_thread_policy() == 3);
#if defined(_OPENMP)
  CHECK(omp_get_max_threads() == 3);
#endif
}

TEST_CASE("ThreadScope sets and restores the thread count", "[core][parallel]") {
  const int before = dapt::max_threads();
  {
    dapt::ThreadScope outer(2);
    CHECK(outer.previous() == before);
#if defined(_OPENMP)
    CHECK(dapt::max_threads() == 2);
#endif
    {
      dapt::ThreadScope inner(1);
      CHECK(dapt::max_threads() == 1);
    }
#if defined(_OPENMP)
    CHECK(dapt::max_threads() == 2);
#endif
  }
  CHECK(dapt::max_threads() == before);
  REQUIRE_DAPT_ERROR(dapt::ThreadScope(0), kInvalidArgument, "at least 1");
  CHECK(dapt::max_threads() == before);
}

TEST_CASE("parallel_for visits every index exactly once", "[core][parallel]") {
  dapt::ThreadScope two(2);
  for (std::int64_t grain : {1, 3, 1000, 5000}) {
    constexpr std::int64_t kBegin = -17, kEnd = 1000;
    std::vector<std::atomic<int>> hits(static_cast<std::size_t>(kEnd - kBegin));
    dapt::parallel_for(
        kBegin, kEnd, [&](std::int64_t i) { hits[static_cast<std::size_t>(i - kBegin)].fetch_add(1); }, grain);
    int wrong = 0;
    for (auto& h : hits) wrong += h.load() == 1 ? 0 : 1;
    INFO("grain " << grain);
    CHECK(wrong == 0);
  }
  int calls = 0;
  dapt::parallel_for(5, 5, [&](std::int64_t) { ++calls; });
  dapt::parallel_for(5, 2, [&](std::int64_t) { ++calls; });
  CHECK(calls == 0);
  REQUIRE_DAPT_ERROR(dapt::parallel_for(0, 10, [](std::int64_t) {}, 0), kInvalidArgument, "grain");
}

#if defined(_OPENMP)
TEST_CASE("parallel_for uses the allowed threads, and the grain limits them", "[core][parallel]") {
  dapt::ThreadScope two(2);
  auto threads_used = [](std::int64_t n, std::int64_t grain) {
    std::mutex m;
    std::set<int> ids;
    dapt::parallel_for(
        0, n,
        [&](std::int64_t) {
          std::lock_guard<std::mutex> lock(m);
          ids.insert(omp_get_thread_num());
        },
        grain);
    return ids.size();
  };
  CHECK(threads_used(1000, 1) == 2);  // static schedule: each thread gets a block
  CHECK(threads_used(1000, 1000) == 1);  // one grain of work: serial
  CHECK(threads_used(1000, 600) == 2);

  // Nested calls run serially inside the outer region instead of oversubscribing.
  std::atomic<int> max_inner{0};
  dapt::parallel_for(0, 2, [&](std::int64_t) {
    std::mutex m;
    std::set<int> ids;
    dapt::parallel_for(0, 100, [&](std::int64_t) {
      std::lock_guard<std::mutex> lock(m);
      ids.insert(omp_get_thread_num());
    });
    int n = static_cast<int>(ids.size());
    int cur = max_inner.load();
    while (n > cur && !max_inner.compare_exchange_weak(cur, n)) {
    }
  });
  CHECK(max_inner.load() == 1);
}
#endif

TEST_CASE("parallel_for rethrows the lowest-index exception on the caller", "[core][parallel]") {
  dapt::ThreadScope two(2);
  // Indices 10 and 900 fall in different threads' blocks; the serial answer is 10.
  try {
    dapt::parallel_for(0, 1000, [](std::int64_t i) {
      if (i == 10 || i == 900) throw std::runtime_error("failed at " + std::to_string(i));
    });
    FAIL("parallel_for did not rethrow");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "failed at 10");
  }
  // The exception type and its payload survive the trip out of the region.
  REQUIRE_DAPT_ERROR(dapt::parallel_for(0, 100,
                                        [](std::int64_t i) {
                                          DAPT_CHECK_AS(kShape, i != 42, "bad row ", i);
                                        }),
                     kShape, "bad row 42");
  // Serial path (one grain) behaves the same.
  REQUIRE_DAPT_ERROR(dapt::parallel_for(0, 100,
                                        [](std::int64_t i) {
                                          DAPT_CHECK_AS(kShape, i != 42, "bad row ", i);
                                        },
                                        1000),
                     kShape, "bad row 42");
  // After a failure the pool is still usable.
  std::atomic<std::int64_t> sum{0};
  dapt::parallel_for(0, 100, [&](std::int64_t i) { sum += i; });
  CHECK(sum.load() == 4950);
}
