/// @file metrics.hpp
/// @brief A JSON Lines metrics logger: one JSON object per line (step, loss, lr, grad norm,
/// tokens/s, ...), fields in the order given, each line flushed to the operating system as it is
/// written so a crash loses at most the line being written. JSON Lines appends cheaply, survives
/// truncation, and loads directly into pandas or the plotting tool. The escaping is written here,
/// so core needs no JSON library.
#pragma once

#include <cerrno>
#include <charconv>
#include <concepts>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "dapt/core/error.hpp"
#include "dapt/core/utf8.hpp"

namespace dapt {

/// One metric value: an integer, a floating-point number, a string or a boolean.
///
/// It converts implicitly from each of those, so fields read naturally:
/// `logger.log({{"step", 3}, {"loss", 2.5}, {"tag", "x"}, {"skipped", false}})`.
/// A float keeps float precision when printed (0.1f prints as 0.1, not 0.10000000149011612).
class MetricValue {
 public:
  enum class Kind { kInt, kUint, kDouble, kString, kBool };

  template <std::signed_integral T>
  MetricValue(T v) noexcept : kind_(Kind::kInt), int_(static_cast<std::int64_t>(v)) {}  // NOLINT

  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  MetricValue(T v) noexcept : kind_(Kind::kUint), uint_(static_cast<std::uint64_t>(v)) {}  // NOLINT

  MetricValue(double v) noexcept : kind_(Kind::kDouble), double_(v) {}  // NOLINT
  MetricValue(float v) noexcept : kind_(Kind::kDouble), double_(v), is_float_(true) {}  // NOLINT

  // A template, so a pointer or another type never converts to a bool value by accident.
  template <class T>
    requires std::same_as<T, bool>
  MetricValue(T v) noexcept : kind_(Kind::kBool), bool_(v) {}  // NOLINT

  MetricValue(std::string v) : kind_(Kind::kString), string_(std::move(v)) {}  // NOLINT
  MetricValue(std::string_view v) : kind_(Kind::kString), string_(v) {}         // NOLINT
  MetricValue(const char* v) : kind_(Kind::kString), string_(v ? v : "") {}     // NOLINT

  Kind kind() const noexcept { return kind_; }
  std::int64_t as_int() const noexcept { return int_; }
  std::uint64_t as_uint() const noexcept { return uint_; }
  double as_double() const noexcept { return double_; }
  bool as_bool() const noexcept { return bool_; }
  const std::string& as_string() const noexcept { return string_; }

  /// Appends the JSON text of this value. A NaN or infinite double is written as `null`: JSON has
  /// no literal for them, and `null` keeps the line parseable while marking the value missing
  /// (count NaN steps with a separate field if you need them).
  void append_json(std::string& out) const;

 private:
  Kind kind_;
  std::int64_t int_ = 0;
  std::uint64_t uint_ = 0;
  double double_ = 0;
  bool bool_ = false;
  bool is_float_ = false;
  std::string string_;
};

/// One "name": value pair of a metrics line.
struct MetricField {
  std::string name;
  MetricValue value;
};

/// Appends `s` as a quoted JSON string: `"` and `\` are escaped, control characters become \n,
/// \t, ... or \u00XX, valid UTF-8 passes through unchanged, and each byte of malformed UTF-8 becomes
/// \ufffd (the replacement character), so the line stays valid JSON whatever a tag contains.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const Utf8Char ch = decode_utf8(s, i);
      const std::size_t len = ch.valid ? ch.length : 0;
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

inline void MetricValue::append_json(std::string& out) const {
  char buf[64];
  switch (kind_) {
    case Kind::kInt: {
      auto r = std::to_chars(buf, buf + sizeof buf, int_);
      out.append(buf, r.ptr);
      return;
    }
    case Kind::kUint: {
      auto r = std::to_chars(buf, buf + sizeof buf, uint_);
      out.append(buf, r.ptr);
      return;
    }
    case Kind::kDouble: {
      if (!std::isfinite(double_)) {
        out += "null";
        return;
      }
      // Shortest text that parses back to the same value (strtod, Python, pandas): exact round trip
      // with fewer digits than %.17g.
      auto r = is_float_ ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(double_))
                         : std::to_chars(buf, buf + sizeof buf, double_);
      const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
      out += text;
      // Keep "2.0" a float for readers that infer types (json.loads, pandas) instead of "2".
      if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
      return;
    }
    case Kind::kString: append_json_string(out, string_); return;
    case Kind::kBool: out += bool_ ? "true" : "false"; return;
  }
}

/// Writes metrics as JSON Lines: `log` appends one object per call and flushes it.
///
/// Lines reach the operating system before `log` returns (fflush, not fsync): a crash of the
/// process loses nothing already logged, a crash of the machine may lose what the OS had not yet
/// written. `log` may be called from several threads; lines never interleave.
class MetricsLogger {
 public:
  /// Opens `path` for appending (or truncates it when `append` is false), creating it if needed.
  /// When appending to a file whose last line was cut off by a crash, a newline is written first,
  /// so the torn line stays one unparseable line instead of corrupting the next one.
  /// Throws kIo naming the path and the system's reason when the file cannot be opened.
  explicit MetricsLogger(const std::filesystem::path& path, bool append = true) : path_(path) {
    const std::string name = path.string();
    errno = 0;
    // "a+" also lets us read the last byte; a write-only file (or device) still opens with "a".
    file_ = std::fopen(name.c_str(), append ? "a+b" : "wb");
    bool can_read = append && file_ != nullptr;
    if (file_ == nullptr && append) {
      errno = 0;
      file_ = std::fopen(name.c_str(), "ab");
    }
    if (file_ == nullptr) {
      const int err = errno;
      DAPT_FAIL(ErrorCategory::kIo, "cannot open metrics file '", name, "' for writing: ",
                err != 0 ? std::strerror(err) : "unknown error");
    }
    if (can_read && std::fseek(file_, 0, SEEK_END) == 0) {
      const long size = std::ftell(file_);
      if (size > 0 && std::fseek(file_, size - 1, SEEK_SET) == 0) {
        const int last = std::fgetc(file_);
        std::fseek(file_, 0, SEEK_END);  // required between a read and a write on one stream
        if (last != '\n' && last != EOF) write_raw("\n");
      }
    }
  }

  ~MetricsLogger() {
    if (file_ != nullptr) std::fclose(file_);
  }

  MetricsLogger(const MetricsLogger&) = delete;
  MetricsLogger& operator=(const MetricsLogger&) = delete;
  MetricsLogger(MetricsLogger&& other) noexcept
      : path_(std::move(other.path_)), file_(std::exchange(other.file_, nullptr)) {}
  MetricsLogger& operator=(MetricsLogger&& other) noexcept {
    if (this != &other) {
      if (file_ != nullptr) std::fclose(file_);
      path_ = std::move(other.path_);
      file_ = std::exchange(other.file_, nullptr);
    }
    return *this;
  }

  /// Writes one line: `{"step":3,"loss":2.5,"tag":"x"}`. Field names must be distinct (a JSON
  /// object with a repeated name is read differently by different parsers); a repeated name
  /// throws kInvalidArgument and writes nothing. A write failure (disk full) throws kIo.
  void log(std::initializer_list<MetricField> fields) {
    log(std::span<const MetricField>(fields.begin(), fields.size()));
  }

  /// As above, for fields assembled at run time.
  void log(std::span<const MetricField> fields) {
    const std::string line = format_line(fields) + '\n';
    std::lock_guard<std::mutex> lock(mutex_);
    write_raw(line);
  }

  /// The JSON object of one line, without the newline.
  static std::string format_line(std::span<const MetricField> fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        DAPT_CHECK(fields[i].name != fields[j].name, "MetricsLogger: field \"", fields[i].name,
                   "\" appears twice in one line");
      }
    }
    std::string out = "{";
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ',';
      append_json_string(out, fields[i].name);
      out += ':';
      fields[i].value.append_json(out);
    }
    out += '}';
    return out;
  }

  static std::string format_line(std::initializer_list<MetricField> fields) {
    return format_line(std::span<const MetricField>(fields.begin(), fields.size()));
  }

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  void write_raw(std::string_view text) {
    DAPT_CHECK_AS(kIo, file_ != nullptr, "metrics file '", path_.string(), "' is closed (moved from)");
    errno = 0;
    const std::size_t written = std::fwrite(text.data(), 1, text.size(), file_);
    if (written != text.size() || std::fflush(file_) != 0) {
      const int err = errno;
      DAPT_FAIL(ErrorCategory::kIo, "cannot write to metrics file '", path_.string(), "': ",
                err != 0 ? std::strerror(err) : "unknown error");
    }
  }

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::mutex mutex_;
};

}  // namespace dapt
