/// @file fuzz_util.hpp
/// @brief Helpers shared by the fuzz targets: a trap that libFuzzer records as a crash, and
/// equality of JSON values that tolerates a few ulps in doubles. Boost.JSON 1.81 (Debian 12)
/// parses decimal text to double quickly but not always correctly rounded, so a serialise/parse
/// round trip can move a double by an ulp; that is a property of Boost, not a dapt finding.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include <boost/json/value.hpp>

namespace dapt_fuzz {

/// Crashes (so libFuzzer saves the input) when a promised property does not hold.
inline void require(bool ok) {
  if (!ok) __builtin_trap();
}

/// True when a and b are equal or at most 4 ulps apart (same sign, finite or equal infinities).
inline bool near(double a, double b) {
  if (a == b) return true;
  if (std::isnan(a) || std::isnan(b) || std::isinf(a) || std::isinf(b) || std::signbit(a) != std::signbit(b))
    return false;
  std::int64_t ia, ib;
  std::memcpy(&ia, &a, sizeof a);
  std::memcpy(&ib, &b, sizeof b);
  const std::int64_t d = ia > ib ? ia - ib : ib - ia;  // same sign: the bit patterns are ordered
  return d <= 4;
}

/// Structural equality of two JSON values with near() for doubles.
inline bool near(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) return near(a.get_double(), b.get_double());
  if (a.kind() != b.kind()) return a == b;  // int64 vs uint64 of one value compare equal
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!near(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const auto* v = y.if_contains(kv.key());
      if (!v || !near(kv.value(), *v)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace dapt_fuzz
