/// @file dapt_catch.hpp
/// @brief One include for Catch2 2.13 (Debian 12) and Catch2 3.x (Ubuntu 24.04). The CMake
/// branch in tests/CMakeLists.txt defines DAPT_CATCH2_V3 when it found Catch2 3; test sources
/// include only this header and use the helpers below instead of version-specific matchers.
#pragma once

#if defined(DAPT_CATCH2_V3)
#include <catch2/catch_all.hpp>
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif

#include <string>

#include "dapt/core/error.hpp"

namespace dapt_test {

/// True when `text` contains `needle`, with a readable failure via INFO at the call site.
inline bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace dapt_test

/// Requires that `expr` throws dapt::Error of category `cat` whose message contains `needle`.
#define REQUIRE_DAPT_ERROR(expr, cat, needle)                                        \
  do {                                                                               \
    bool dapt_thrown_ = false;                                                       \
    try {                                                                            \
      (void)(expr);                                                                  \
    } catch (const ::dapt::Error& e) {                                               \
      dapt_thrown_ = true;                                                           \
      INFO("message: " << e.what());                                                 \
      CHECK(e.category() == ::dapt::ErrorCategory::cat);                             \
      CHECK(::dapt_test::contains(e.what(), needle));                                \
    }                                                                                \
    if (!dapt_thrown_) FAIL("expected dapt::Error (" #cat ") from: " #expr);         \
  } while (0)

/// Checks (without stopping the test) that `expr` throws a dapt::Error, of any category, whose
/// message contains `needle`: for cases that reach different layers (parser, shape check, I/O).
#define CHECK_DAPT_ERROR_MESSAGE(expr, needle)                                      \
  do {                                                                       \
    bool thrown_ = false;                                                    \
    try {                                                                    \
      (void)(expr);                                                          \
    } catch (const ::dapt::Error& e) {                                       \
      thrown_ = true;                                                        \
      INFO("message: " << e.what());                                         \
      CHECK(::dapt_test::contains(e.what(), needle));                        \
    }                                                                        \
    if (!thrown_) FAIL_CHECK("expected dapt::Error from: " #expr);           \
  } while (0)
