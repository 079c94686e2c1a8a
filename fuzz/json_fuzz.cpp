/// @file json_fuzz.cpp
/// @brief libFuzzer target for the strict JSON layer under every reader (safetensors headers,
/// config.json, index and tokenizer files). Any byte string goes to parse_json; an accepted
/// document must re-serialise to text that parse_json accepts again and that compares equal (up
/// to a few ulps in doubles, see fuzz_util.hpp), and the typed JsonFields getters must either
/// return or throw dapt::Error for every field of every object. Only dapt::Error is an acceptable
/// failure; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dapt/io/json.hpp"
#include "fuzz_util.hpp"

namespace {

namespace json = boost::json;
using dapt_fuzz::require;

template <class F>
void quietly(F&& f) {
  try {
    f();
  } catch (const dapt::Error&) {
  }
}

void walk(const json::value& v, int depth) {
  if (depth > 200) __builtin_trap();  // parse_json bounds the depth at 64
  if (v.is_array()) {
    for (const auto& e : v.get_array()) walk(e, depth + 1);
  } else if (v.is_object()) {
    const dapt::io::JsonFields f(v.get_object(), "fuzz.json", dapt::ErrorCategory::kConfig);
    for (const auto& kv : v.get_object()) {
      const std::string_view key(kv.key().data(), kv.key().size());
      require(f.has(key) == !kv.value().is_null());
      quietly([&] { (void)f.get_int(key); });
      quietly([&] { (void)f.get_number(key); });
      quietly([&] { (void)f.get_bool(key); });
      quietly([&] { (void)f.get_string(key); });
      quietly([&] { (void)f.get_object(key); });
      quietly([&] { (void)f.get_array(key); });
      quietly([&] { (void)f.to_int(kv.value(), key); });
      walk(kv.value(), depth + 1);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  json::value v;
  try {
    v = dapt::io::parse_json(text, "fuzz.json");
  } catch (const dapt::Error&) {
    return 0;  // a clean rejection
  }
  walk(v, 0);
  const std::string again = json::serialize(v);
  const json::value w = dapt::io::parse_json(again, "fuzz-reserialised.json");  // must not throw
  require(dapt_fuzz::near(v, w));
  return 0;
}
