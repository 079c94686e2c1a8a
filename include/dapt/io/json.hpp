/// @file json.hpp
/// @brief JSON for every file format the SDK reads (safetensors headers, config.json, index
/// files, tokenizer files), on Boost.JSON. Parsing is strict where Boost.JSON is lenient: a
/// duplicate key in any object is an error (Boost.JSON silently keeps the last one, which would
/// let a hostile header hide a tensor), nesting depth is bounded, and invalid UTF-8 is refused.
/// The typed getters name the source, the field and the expected type in their errors.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "dapt/core/error.hpp"
#include "dapt/core/utf8.hpp"
#include "dapt/io/detail/file_util.hpp"

namespace dapt::io {

namespace json = boost::json;

/// Bounds applied to every parse.
struct JsonLimits {
  std::size_t max_depth = 64;
};

namespace detail {

/// A basic_parser handler that builds nothing and fails on the first duplicate key.
struct DuplicateKeyChecker {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::vector<std::unordered_set<std::string>> open_objects;
  std::string key;
  std::string duplicate;  // set when a duplicate was found
  bool non_finite = false;  // set when a number overflowed a double

  using ec_t = boost::system::error_code;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_object_begin(ec_t&) {
    open_objects.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    open_objects.pop_back();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_string(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_key_part(json::string_view s, std::size_t, ec_t&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, ec_t& ec) {
    key.append(s.data(), s.size());
    if (!open_objects.back().insert(key).second) {
      duplicate = key;
      ec = json::error::syntax;  // stops the parse; the caller reports `duplicate`
      return false;
    }
    key.clear();
    return true;
  }
  bool on_number_part(json::string_view, ec_t&) { return true; }
  bool on_int64(std::int64_t, json::string_view, ec_t&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, ec_t&) { return true; }
  bool on_double(double d, json::string_view, ec_t& ec) {
    // Boost.JSON turns a literal past the double range (1e400) into Inf, and serialises Inf as
    // "Infinity", which is not JSON: refuse it here so a parsed document always writes back.
    if (std::isfinite(d)) return true;
    non_finite = true;
    ec = json::error::exponent_overflow;
    return false;
  }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(json::string_view, ec_t&) { return true; }
  bool on_comment(json::string_view, ec_t&) { return true; }
};

inline const char* kind_name(json::kind k) {
  switch (k) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64: case json::kind::uint64: return "an integer";
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "?";
}


}  // namespace detail

/// Parses `text` as one JSON document. `source` names it in errors (a path, "safetensors header
/// of x.safetensors"). Throws kFormat on a syntax error, invalid UTF-8, a duplicate key, a number
/// too large for a double, or nesting deeper than the limit.
inline json::value parse_json(std::string_view text, std::string_view source, JsonLimits limits = {}) {
  json::parse_options opt;
  opt.max_depth = limits.max_depth;
  {
    json::basic_parser<detail::DuplicateKeyChecker> checker(opt);
    boost::system::error_code ec;
    const std::size_t at = checker.write_some(false, text.data(), text.size(), ec);  // error offset
    if (!checker.handler().duplicate.empty())
      DAPT_FAIL(ErrorCategory::kFormat, source, ": duplicate JSON key \"", checker.handler().duplicate, "\"");
    if (checker.handler().non_finite)
      DAPT_FAIL(ErrorCategory::kFormat, source, ": number out of the range of a double before byte ", at);
    if (ec) {
      const std::size_t bad_utf8 = ::dapt::first_invalid_utf8(text).value_or(std::string_view::npos);
      if (bad_utf8 <= at) DAPT_FAIL(ErrorCategory::kFormat, source, ": invalid UTF-8 at byte ", bad_utf8);
      if (ec == json::error::too_deep)
        DAPT_FAIL(ErrorCategory::kFormat, source, ": JSON nested deeper than ", limits.max_depth, " levels at byte ", at);
      DAPT_FAIL(ErrorCategory::kFormat, source, ": invalid JSON at byte ", at, ": ", ec.message());
    }
  }
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, json::storage_ptr(), opt);
  if (ec) DAPT_FAIL(ErrorCategory::kFormat, source, ": invalid JSON: ", ec.message());
  return v;
}

/// Reads and parses a JSON file of at most `max_bytes` (kIo when unreadable, kFormat when bad).
inline json::value read_json_file(const std::filesystem::path& path, std::size_t max_bytes = 256u << 20,
                                  JsonLimits limits = {}) {
  const std::string text = detail::read_text_file(path, max_bytes);
  return parse_json(text, path.string(), limits);
}

/// The value as an object, or kFormat naming `what` and the actual kind.
inline const json::object& as_object(const json::value& v, std::string_view what,
                                     ErrorCategory cat = ErrorCategory::kFormat) {
  if (!v.is_object()) DAPT_FAIL(cat, what, " must be a JSON object, found ", detail::kind_name(v.kind()));
  return v.get_object();
}

/// A reader for the fields of one JSON object, with errors that name the source and the field.
/// Getters return nullopt when the field is absent or null; a present field of the wrong type is
/// an error of category `cat` (kConfig for configs, kFormat for file headers).
class JsonFields {
 public:
  JsonFields(const json::object& obj, std::string source, ErrorCategory cat = ErrorCategory::kConfig)
      : obj_(obj), source_(std::move(source)), cat_(cat) {}

  const json::object& object() const noexcept { return obj_; }
  const std::string& source() const noexcept { return source_; }
  bool has(std::string_view key) const {
    const auto* v = obj_.if_contains(json::string_view(key.data(), key.size()));
    return v && !v->is_null();
  }
  const json::value* find(std::string_view key) const {
    const auto* v = obj_.if_contains(json::string_view(key.data(), key.size()));
    return (v && !v->is_null()) ? v : nullptr;
  }

  std::optional<std::int64_t> get_int(std::string_view key) const {
    const json::value* v = find(key);
    if (!v) return std::nullopt;
    return to_int(*v, key);
  }
  std::optional<double> get_number(std::string_view key) const {
    const json::value* v = find(key);
    if (!v) return std::nullopt;
    if (v->is_double()) {
      return v->get_double();
    }
    if (v->is_int64()) return static_cast<double>(v->get_int64());
    if (v->is_uint64()) return static_cast<double>(v->get_uint64());
    wrong_type(key, "a number", *v);
  }
  std::optional<bool> get_bool(std::string_view key) const {
    const json::value* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_bool()) wrong_type(key, "a boolean", *v);
    return v->get_bool();
  }
  std::optional<std::string> get_string(std::string_view key) const {
    const json::value* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) wrong_type(key, "a string", *v);
    return std::string(v->get_string());
  }
  const json::object* get_object(std::string_view key) const {
    const json::value* v = find(key);
    if (!v) return nullptr;
    if (!v->is_object()) wrong_type(key, "an object", *v);
    return &v->get_object();
  }
  const json::array* get_array(std::string_view key) const {
    const json::value* v = find(key);
    if (!v) return nullptr;
    if (!v->is_array()) wrong_type(key, "an array", *v);
    return &v->get_array();
  }

  std::int64_t require_int(std::string_view key) const { return require(get_int(key), key); }
  double require_number(std::string_view key) const { return require(get_number(key), key); }
  std::string require_string(std::string_view key) const { return require(get_string(key), key); }

  /// Converts a JSON integer (or an integral number such as 4096.0) to int64; errors name `key`.
  std::int64_t to_int(const json::value& v, std::string_view key) const {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) {
      if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        DAPT_FAIL(cat_, source_, ": field \"", key, "\" = ", v.get_uint64(), " is too large");
      return static_cast<std::int64_t>(v.get_uint64());
    }
    if (v.is_double()) {
      const double d = v.get_double();
      if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.0e15) return static_cast<std::int64_t>(d);
    }
    wrong_type(key, "an integer", v);
  }

  [[noreturn]] void wrong_type(std::string_view key, const char* expected, const json::value& v) const {
    DAPT_FAIL(cat_, source_, ": field \"", key, "\" must be ", expected, ", found ", detail::kind_name(v.kind()),
              " (", json::serialize(v).substr(0, 80), ")");
  }

 private:
  template <class T>
  T require(std::optional<T> v, std::string_view key) const {
    if (!v) DAPT_FAIL(cat_, source_, ": required field \"", key, "\" is missing");
    return *v;
  }

  const json::object& obj_;
  std::string source_;
  ErrorCategory cat_;
};

}  // namespace dapt::io
