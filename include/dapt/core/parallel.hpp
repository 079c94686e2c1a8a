/// @file parallel.hpp
/// @brief The one thread-count policy of dapt and its OpenMP loop. Eigen, OpenMP and the tokenizer
/// trainer must share a single thread count or they oversubscribe the cores, so every component
/// asks `num_threads()` (DAPT_NUM_THREADS, else OMP_NUM_THREADS, else the core count) and a program
/// calls `apply_thread_policy()` once at startup. `parallel_for` is the exception-safe loop the
/// CPU backend builds on: an exception must never escape an OpenMP region (that terminates the
/// process), so it is carried out of the region and rethrown on the calling thread.
#pragma once

#include <atomic>
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "dapt/core/error.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace dapt {

/// The environment variable that sets dapt's thread count; it takes precedence over OMP_NUM_THREADS.
inline constexpr const char* kNumThreadsEnv = "DAPT_NUM_THREADS";

namespace detail {

/// Parses a thread count from environment variable `name` with value `value`.
///
/// Returns nothing when the variable is unset, empty or only blanks (the shell idiom for
/// "unset"). With `first_of_list`, only the text before the first comma counts, because
/// OMP_NUM_THREADS may list one count per nesting level ("8,2"). Anything other than a positive
/// decimal integer that fits an int throws kConfig naming the variable and the value: a typo in a
/// thread count should stop the run, not silently fall back to every core.
inline std::optional<int> parse_thread_env(const char* name, const char* value, bool first_of_list) {
  if (value == nullptr) return std::nullopt;
  std::string_view all(value);
  std::string_view text = all;
  if (first_of_list) text = text.substr(0, text.find(','));
  const auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  if (text.empty()) {
    if (all.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos) return std::nullopt;
    DAPT_FAIL(ErrorCategory::kConfig, "environment variable ", name, "=\"", all,
              "\" is not a positive integer thread count");
  }
  long long n = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || n > INT_MAX) {
      DAPT_FAIL(ErrorCategory::kConfig, "environment variable ", name, "=\"", all,
                "\" is not a positive integer thread count");
    }
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > INT_MAX) {
    DAPT_FAIL(ErrorCategory::kConfig, "environment variable ", name, "=\"", all,
              "\" is not a positive integer thread count (expected 1..", INT_MAX, ")");
  }
  return static_cast<int>(n);
}

}  // namespace detail

/// The thread count every dapt component uses: DAPT_NUM_THREADS when set, else the first number
/// of OMP_NUM_THREADS, else std::thread::hardware_concurrency() (at least 1).
///
/// The environment is read on each call (no cached global), so it is cheap but not free: read it
/// once per job, not per element. An invalid value ("abc", "0", "-3") throws kConfig naming the
/// variable and the value; an empty value counts as unset.
inline int num_threads() {
  if (auto n = detail::parse_thread_env(kNumThreadsEnv, std::getenv(kNumThreadsEnv), false)) return *n;
  if (auto n = detail::parse_thread_env("OMP_NUM_THREADS", std::getenv("OMP_NUM_THREADS"), true)) return *n;
  const unsigned hw = std::thread::hardware_concurrency();  // 0 when unknown
  return hw == 0 ? 1 : static_cast<int>(hw > static_cast<unsigned>(INT_MAX) ? INT_MAX : hw);
}

/// The number of threads a `parallel_for` started now on this thread may use: OpenMP's current
/// limit, or 1 when dapt is built without OpenMP.
inline int max_threads() noexcept {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// apply_thread_policy and ThreadScope also set Eigen's count when Eigen is already included. Their
// bodies therefore differ between translation units that include Eigen first and those that do
// not; the inline namespace gives the two variants different mangled names, so mixing them in one
// program is not an ODR violation. A TU that includes this header before Eigen gets the OpenMP-only
// variant, which is still correct for Eigen unless the program itself called Eigen::setNbThreads:
// by default Eigen follows omp_get_max_threads().
#if defined(EIGEN_WORLD_VERSION)
#define DAPT_DETAIL_THREAD_ABI thread_policy_eigen
#else
#define DAPT_DETAIL_THREAD_ABI thread_policy_omp
#endif

inline namespace DAPT_DETAIL_THREAD_ABI {

/// Applies `num_threads()` to OpenMP (and to Eigen when Eigen is included) and returns it.
///
/// Call it once from the main thread at startup, before any parallel region: OpenMP's thread count
/// is per thread and is inherited by the threads a region starts, not pushed to existing ones.
inline int apply_thread_policy() {
  const int n = num_threads();
#if defined(_OPENMP)
  omp_set_num_threads(n);
#endif
#if defined(EIGEN_WORLD_VERSION)
  Eigen::setNbThreads(n);
#endif
  return n;
}

/// Sets the thread count of this thread's OpenMP regions (and Eigen's, when Eigen is included) for
/// a scope, and restores the previous count on exit. Use it to run one phase single-threaded (for
/// bitwise-reproducible reductions) or to leave cores free for a concurrent job.
class ThreadScope {
 public:
  /// Throws kInvalidArgument when `n` < 1.
  explicit ThreadScope(int n) : previous_(max_threads()) {
    DAPT_CHECK(n >= 1, "ThreadScope: thread count must be at least 1, got ", n);
#if defined(_OPENMP)
    omp_set_num_threads(n);
#endif
#if defined(EIGEN_WORLD_VERSION)
    previous_eigen_ = Eigen::nbThreads();
    Eigen::setNbThreads(n);
#endif
  }

  ~ThreadScope() {
#if defined(_OPENMP)
    omp_set_num_threads(previous_);
#endif
#if defined(EIGEN_WORLD_VERSION)
    Eigen::setNbThreads(previous_eigen_);
#endif
  }

  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

  /// The OpenMP thread limit in force before this scope (1 without OpenMP).
  int previous() const noexcept { return previous_; }

 private:
  int previous_;
#if defined(EIGEN_WORLD_VERSION)
  int previous_eigen_ = 1;
#endif
};

}  // inline namespace DAPT_DETAIL_THREAD_ABI

#undef DAPT_DETAIL_THREAD_ABI

/// Calls `fn(i)` for every i in [begin, end), on up to `max_threads()` OpenMP threads.
///
/// Scheduling is OpenMP `static`: each thread gets one contiguous block, so the split depends only
/// on the range and the thread count, never on timing. `grain` is the fewest iterations worth a
/// thread: at most ceil((end - begin) / grain) threads run, and a range of one grain, a nested call
/// from inside a parallel region, or a build without OpenMP runs serially on the calling thread.
///
/// If iterations throw, iterations above the lowest index that has thrown are skipped (those
/// already running finish), and after the loop the exception of the lowest throwing index is
/// rethrown on the calling thread: the same exception a serial loop would throw, provided whether
/// fn(i) throws does not depend on other iterations. `fn` must be safe to call concurrently for
/// different i.
/// Throws kInvalidArgument when grain < 1.
template <class F>
void parallel_for(std::int64_t begin, std::int64_t end, F&& fn, std::int64_t grain = 1) {
  DAPT_CHECK(grain >= 1, "parallel_for: grain must be at least 1, got ", grain);
  if (end <= begin) return;
#if defined(_OPENMP)
  // Unsigned, so a range spanning most of int64 cannot overflow.
  const std::uint64_t n = static_cast<std::uint64_t>(end) - static_cast<std::uint64_t>(begin);
  const std::uint64_t g = static_cast<std::uint64_t>(grain);
  const std::uint64_t chunks = n / g + (n % g != 0 ? 1 : 0);
  int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (chunks < static_cast<std::uint64_t>(threads)) threads = static_cast<int>(chunks);
  if (threads > 1) {
    // The lowest index that has thrown so far. Iterations above it are skipped, those below it
    // still run, so the lowest throwing index always runs and the rethrown exception is the one a
    // serial loop would have thrown, whatever the timing.
    std::atomic<std::int64_t> error_index{end};
    std::exception_ptr error;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t i = begin; i < end; ++i) {
      if (i > error_index.load(std::memory_order_relaxed)) continue;
      try {
        fn(i);
      } catch (...) {
#pragma omp critical(dapt_parallel_for_error)
        {
          if (i < error_index.load(std::memory_order_relaxed)) {
            error_index.store(i, std::memory_order_relaxed);
            error = std::current_exception();
          }
        }
      }
    }
    if (error) std::rethrow_exception(error);
    return;
  }
#endif
  for (std::int64_t i = begin; i < end; ++i) fn(i);
}

}  // namespace dapt
