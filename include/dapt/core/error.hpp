/// @file error.hpp
/// @brief The one exception type of the SDK. Every public call reports bad input by throwing
/// `dapt::Error`, which derives from `std::runtime_error`, carries a category a caller can branch
/// on, and records the source location that raised it. The library never calls exit or abort.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace dapt {

/// What kind of failure an Error reports. Callers branch on this, never on message text.
enum class ErrorCategory {
  kInvalidArgument,  ///< a caller passed a value outside the documented domain
  kShape,            ///< tensor shapes or ranks do not agree
  kDtype,            ///< a tensor has the wrong element type
  kIo,               ///< the operating system failed to open, read, map or write a file
  kFormat,           ///< a file or buffer is corrupt, truncated or not in the expected format
  kConfig,           ///< a configuration is missing a field, or contradicts itself or the weights
  kUnsupported,      ///< valid input that uses a feature dapt does not implement
  kOutOfRange,       ///< an index or id is outside its valid range
  kNumeric,          ///< NaN, Inf or overflow where finite values are required
  kDevice,           ///< a CUDA, cuBLAS or NCCL call failed
  kInternal,         ///< a broken invariant inside dapt (a bug: please report it)
};

/// A short lowercase name for a category, as printed in messages ("format", "io", ...).
constexpr std::string_view category_name(ErrorCategory c) noexcept {
  switch (c) {
    case ErrorCategory::kInvalidArgument: return "invalid argument";
    case ErrorCategory::kShape: return "shape";
    case ErrorCategory::kDtype: return "dtype";
    case ErrorCategory::kIo: return "io";
    case ErrorCategory::kFormat: return "format";
    case ErrorCategory::kConfig: return "config";
    case ErrorCategory::kUnsupported: return "unsupported";
    case ErrorCategory::kOutOfRange: return "out of range";
    case ErrorCategory::kNumeric: return "numeric";
    case ErrorCategory::kDevice: return "device";
    case ErrorCategory::kInternal: return "internal";
  }
  return "unknown";
}

/// The exception thrown by every public dapt call.
///
/// `what()` reads "dapt [category]: message (file:line)"; `message()` is the bare message.
class Error : public std::runtime_error {
 public:
  Error(ErrorCategory category, std::string message, const char* file = nullptr, int line = 0)
      : std::runtime_error(format(category, message, file, line)),
        category_(category),
        message_(std::move(message)),
        file_(file ? file : ""),
        line_(line) {}

  ErrorCategory category() const noexcept { return category_; }
  const std::string& message() const noexcept { return message_; }
  /// The source file of dapt that raised the error (empty when unknown).
  const std::string& source_file() const noexcept { return file_; }
  int source_line() const noexcept { return line_; }

 private:
  static std::string format(ErrorCategory c, const std::string& msg, const char* file, int line) {
    std::string out = "dapt [";
    out += category_name(c);
    out += "]: ";
    out += msg;
    if (file && *file) {
      std::string_view f(file);
      if (auto pos = f.rfind("include/dapt/"); pos != std::string_view::npos) f.remove_prefix(pos + 8);
      out += " (";
      out += f;
      out += ':';
      out += std::to_string(line);
      out += ')';
    }
    return out;
  }

  ErrorCategory category_;
  std::string message_;
  std::string file_;
  int line_;
};

namespace detail {

/// Concatenates message parts with operator<< (numbers, strings, anything streamable).
template <class... Parts>
std::string concat(const Parts&... parts) {
  if constexpr (sizeof...(Parts) == 0) {
    return {};
  } else {
    std::ostringstream os;
    (os << ... << parts);
    return os.str();
  }
}

template <class... Parts>
[[noreturn]] void raise(ErrorCategory c, const char* file, int line, const Parts&... parts) {
  throw Error(c, concat(parts...), file, line);
}

}  // namespace detail
}  // namespace dapt

/// Throws dapt::Error of category `cat` with the streamed message parts.
#define DAPT_FAIL(cat, ...) ::dapt::detail::raise((cat), __FILE__, __LINE__, __VA_ARGS__)

/// Checks `cond`; when false throws dapt::Error (kInvalidArgument) whose message is the parts.
/// Example: `DAPT_CHECK(n > 0, "batch size must be positive, got ", n);`
#define DAPT_CHECK(cond, ...)                                                                 \
  do {                                                                                        \
    if (DAPT_UNLIKELY_CHECK(!(cond)))                                                         \
      ::dapt::detail::raise(::dapt::ErrorCategory::kInvalidArgument, __FILE__, __LINE__,     \
                            __VA_ARGS__);                                                     \
  } while (0)

/// Like DAPT_CHECK with an explicit category: `DAPT_CHECK_AS(kFormat, ok, "bad header in ", p)`.
#define DAPT_CHECK_AS(cat, cond, ...)                                                        \
  do {                                                                                       \
    if (DAPT_UNLIKELY_CHECK(!(cond)))                                                        \
      ::dapt::detail::raise(::dapt::ErrorCategory::cat, __FILE__, __LINE__, __VA_ARGS__);    \
  } while (0)

#if defined(__GNUC__) || defined(__clang__)
#define DAPT_UNLIKELY_CHECK(x) __builtin_expect(!!(x), 0)
#else
#define DAPT_UNLIKELY_CHECK(x) (x)
#endif
