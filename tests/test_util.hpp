/// @file test_util.hpp
/// @brief Small helpers shared by the test executables: a scoped environment variable, a scratch
/// directory that is removed afterwards, files written whole, bitwise and relative comparisons.
/// The test executables are unity builds (tests/CMakeLists.txt): a helper that more than one test
/// file needs lives here or in model_util.hpp, never as a second copy in an anonymous namespace.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/core/utf8.hpp"

namespace dapt_test {

/// Sets or unsets an environment variable for one scope, restoring the previous value after.
class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = std::string(old);
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~EnvGuard() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// A fresh directory under the system temp dir, removed with everything in it at scope exit.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("dapt_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

/// ||a - b|| / ||b|| in double (0 when both are zero); b is the reference.
inline double relative_l2(const float* a, const float* b, std::int64_t n) {
  double num = 0, den = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    num += d * d;
    den += static_cast<double>(b[i]) * static_cast<double>(b[i]);
  }
  if (den == 0) return std::sqrt(num);
  return std::sqrt(num / den);
}

/// The UTF-8 bytes of code point `cp`.
inline std::string utf8(char32_t cp) {
  std::string s;
  dapt::append_utf8(s, cp);
  return s;
}

/// True when `a` and `b` hold the same floats bit for bit (so NaNs and signed zeros count).
inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

/// Writes `bytes` to `p`, replacing the file; throws (failing the test) when it cannot.
inline void write_file(const std::filesystem::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) throw std::runtime_error("cannot write " + p.string());
}

/// The reference-fixture directories a data-driven parity test runs: every directory under
/// tests/data/fixtures that holds `marker` (a file or folder name), then each entry of the
/// colon-separated environment variable DAPT_EXTRA_FIXTURES (same layout), in that order.
inline std::vector<std::filesystem::path> fixture_dirs(const std::filesystem::path& root, const std::string& marker) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root, ec))
    if (e.is_directory() && std::filesystem::exists(e.path() / marker)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  if (const char* extra = std::getenv("DAPT_EXTRA_FIXTURES")) {
    std::string list(extra);
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t end = std::min(list.find(':', start), list.size());
      if (end > start) out.emplace_back(list.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

}  // namespace dapt_test
