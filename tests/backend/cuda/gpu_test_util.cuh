/// @file gpu_test_util.cuh
/// @brief Helpers of the GPU op tests: fresh random inputs on every run (the seed is printed by
/// INFO so a failure can be replayed with DAPT_GPU_TEST_SEED), device buffers poisoned with NaN
/// before a kernel writes them (an unwritten element then fails the comparison), copies both
/// ways in fp32 or bf16, and the relative L2 error the issue's thresholds are stated in:
/// <= 1e-5 in fp32 mode, <= 1e-2 in bf16.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "dapt/backend/cuda/allocator.cuh"
#include "dapt/backend/cuda/check.cuh"
#include "dapt/backend/cuda/context.cuh"
#include "dapt/core/dtype.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/layer.hpp"

namespace dapt_gpu_test {

inline constexpr double kTolF32 = 1e-5;
inline constexpr double kTolBf16 = 1e-2;

/// The odd shapes every op test uses (issue: T = 37, d = 96, vocab = 419, GQA 3:1).
inline constexpr std::int64_t kT = 37, kD = 96, kVocab = 419, kHeads = 6, kKvHeads = 2, kHeadDim = 16;

/// A seed per run (random_device), or DAPT_GPU_TEST_SEED to replay one.
inline std::uint64_t run_seed() {
  static const std::uint64_t seed = [] {
    if (const char* s = std::getenv("DAPT_GPU_TEST_SEED")) return static_cast<std::uint64_t>(std::strtoull(s, nullptr, 10));
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  return seed;
}

/// A generator for one test, derived from the run seed and a per-test salt.
inline std::mt19937_64 rng(std::uint64_t salt) { return std::mt19937_64(run_seed() ^ (salt * 0x9e3779b97f4a7c15ull)); }

inline std::vector<float> uniform(std::mt19937_64& g, std::size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

/// Rounds every value to bf16 and back: the inputs a bf16 kernel sees, so the CPU reference
/// computes on exactly the same numbers.
inline std::vector<float> round_bf16(std::vector<float> v) {
  for (auto& x : v) x = dapt::bf16::to_float(dapt::bf16::from_float(x));
  return v;
}

/// The values a kernel with storage T sees (bf16-rounded for bf16), for the CPU reference.
template <class T>
std::vector<float> as_t(std::vector<float> v) {
  if constexpr (std::is_same_v<T, dapt::bf16>) return round_bf16(std::move(v));
  else return v;
}

/// A device buffer of `n` elements of a trivially copyable T, freed on scope exit. Every copy
/// and fill runs on the current context's stream and is waited for, so a test's uploads are
/// ordered before the ops it launches next, and its downloads after them.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t n) : n_(n) { DAPT_CUDA_CHECK(cudaMalloc(&p_, std::max<std::size_t>(n, 1) * sizeof(T))); }
  /// Uploads fp32 values converted to T.
  explicit DeviceBuffer(const std::vector<float>& host) : DeviceBuffer(host.size()) { upload(host); }
  /// Uploads `host` as is.
  explicit DeviceBuffer(const std::vector<T>& host) requires(!std::is_same_v<T, float>) : DeviceBuffer(host.size()) {
    write(host);
  }
  ~DeviceBuffer() { cudaFree(p_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return p_; }
  std::size_t size() const { return n_; }

  /// Uploads `host` (at most size() elements) as is.
  void write(const std::vector<T>& host) {
    if (host.size() > n_) DAPT_FAIL(dapt::ErrorCategory::kShape, "DeviceBuffer::write: ", host.size(), " > ", n_);
    if (host.empty()) return;
    DAPT_CUDA_CHECK(cudaMemcpyAsync(p_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice,
                                    dapt::cuda::current_stream()));
    dapt::cuda::current().synchronize();
  }
  /// Uploads fp32 values converted to T.
  void upload(const std::vector<float>& host) {
    std::vector<T> tmp(host.size());
    for (std::size_t i = 0; i < host.size(); ++i) tmp[i] = convert(host[i]);
    write(tmp);
  }
  /// Fills every byte with `byte` (0xFF: NaN in fp32, bf16 and fp64), so unwritten elements show.
  void poison(unsigned char byte = 0xff) {
    DAPT_CUDA_CHECK(cudaMemsetAsync(p_, byte, n_ * sizeof(T), dapt::cuda::current_stream()));
    dapt::cuda::current().synchronize();
  }
  /// Waits for the current context, then downloads as is.
  std::vector<T> read() const {
    std::vector<T> out(n_);
    dapt::cuda::current().synchronize();
    if (n_)
      DAPT_CUDA_CHECK(cudaMemcpyAsync(out.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost, dapt::cuda::current_stream()));
    dapt::cuda::current().synchronize();
    return out;
  }
  /// Waits for the current context, then downloads as fp32.
  std::vector<float> download() const {
    const std::vector<T> tmp = read();
    std::vector<float> out(n_);
    for (std::size_t i = 0; i < n_; ++i) out[i] = static_cast<float>(tmp[i]);
    return out;
  }

 private:
  static T convert(float x) {
    if constexpr (std::is_same_v<T, dapt::bf16>) return dapt::bf16(x);
    else return static_cast<T>(x);
  }
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

/// ||got - want|| / max(||want||, tiny); NaN or Inf anywhere in `got` gives +Inf.
inline double rel_l2(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return INFINITY;
  double num = 0, den = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    const double d = static_cast<double>(got[i]) - want[i];
    num += d * d;
    den += static_cast<double>(want[i]) * want[i];
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

/// Where got and want differ, for a failure report: the sizes, the non-finite elements of got
/// (how many, the first; an unwritten poisoned element shows here), and the largest difference.
inline std::string describe_difference(const std::vector<float>& got, const std::vector<float>& want) {
  std::ostringstream os;
  if (got.size() != want.size()) {
    os << "sizes differ: got " << got.size() << ", want " << want.size();
    return os.str();
  }
  std::size_t non_finite = 0, first_non_finite = 0, worst = 0;
  double worst_d = -1;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i]) && std::isfinite(want[i])) {
      if (non_finite++ == 0) first_non_finite = i;
      continue;
    }
    const double d = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (d > worst_d) {
      worst_d = d;
      worst = i;
    }
  }
  os << got.size() << " elements";
  if (non_finite)
    os << "; " << non_finite << " not finite where want is, the first at " << first_non_finite << " (got "
       << got[first_non_finite] << ", want " << want[first_non_finite] << ")";
  if (worst_d >= 0)
    os << "; largest difference " << worst_d << " at " << worst << " (got " << got[worst] << ", want " << want[worst]
       << ")";
  return os.str();
}

/// The values of a tensor of any device, F32 or BF16 (widened exactly), after the work queued so far.
template <class Device>
std::vector<float> host_values(const dapt::TensorView<Device>& t) {
  const dapt::Tensor<dapt::Cpu> h = dapt::to_host(t);
  std::vector<float> out(static_cast<std::size_t>(h.numel()));
  dapt::convert_to_f32(h.raw(), h.dtype(), out.data(), out.size());
  return out;
}

/// A host tensor of `values` (its dtype that of T: float, int32_t, int64_t, ...).
template <class T>
dapt::Tensor<dapt::Cpu> host_tensor(const dapt::Shape& s, const std::vector<T>& values) {
  auto t = dapt::Tensor<dapt::Cpu>::empty(s, dapt::dtype_of<T>);
  std::copy(values.begin(), values.end(), t.template data<T>());
  return t;
}

/// A device copy of a host tensor.
inline dapt::Tensor<dapt::Cuda> device_copy(const dapt::Tensor<dapt::Cpu>& h) {
  auto d = dapt::Tensor<dapt::Cuda>::empty(h.shape(), h.dtype());
  dapt::upload(h.view(), d.view());
  return d;
}

/// A device F32 tensor filled with NaN, so an element the op does not write fails the comparison.
inline dapt::Tensor<dapt::Cuda> poisoned_f32(const dapt::Shape& s) {
  auto d = dapt::Tensor<dapt::Cuda>::empty(s, dapt::DType::kF32);
  DAPT_CUDA_CHECK(cudaMemsetAsync(d.raw(), 0xff, d.nbytes(), dapt::cuda::current_stream()));
  return d;
}

/// The values (or, with `grads`, the gradients) of every parameter a model visits, in its
/// visiting order, as host floats.
template <class Device, class Model>
std::vector<float> parameter_values(Model& m, bool grads = false) {
  std::vector<float> out;
  m.visit_parameters([&](const std::string&, dapt::nn::Param<Device>& p) {
    const auto v = host_values((grads ? p.grad() : p.value()).view());
    out.insert(out.end(), v.begin(), v.end());
  });
  return out;
}

/// A 64-bit mixing function (splitmix64's finaliser): deterministic synthetic data.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

/// The values of a tensor of any device, as host_values of its view.
template <class Device>
std::vector<float> host_values(const dapt::Tensor<Device>& t) {
  return host_values(t.view());
}

/// Tolerance for storage type T.
template <class T>
inline constexpr double kTol = std::is_same_v<T, dapt::bf16> ? kTolBf16 : kTolF32;

}  // namespace dapt_gpu_test

/// Checks rel_l2(got, want) <= tol with the seed and the error in the report, and on failure
/// where they differ (describe_difference). got and want are evaluated once.
#define DAPT_GPU_REQUIRE_CLOSE(got, want, tol)                                                 \
  do {                                                                                         \
    const std::vector<float>& dapt_got_ = (got);                                               \
    const std::vector<float>& dapt_want_ = (want);                                             \
    const double dapt_err_ = ::dapt_gpu_test::rel_l2(dapt_got_, dapt_want_);                   \
    INFO(#got " vs " #want ": relative L2 " << dapt_err_ << " (tolerance " << (tol)            \
         << "), seed " << ::dapt_gpu_test::run_seed());                                        \
    if (!(dapt_err_ <= (tol))) UNSCOPED_INFO(::dapt_gpu_test::describe_difference(dapt_got_, dapt_want_)); \
    REQUIRE(dapt_err_ <= (tol));                                                               \
  } while (0)
