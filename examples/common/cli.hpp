/// @file cli.hpp
/// @brief Helpers shared by the example programs only: a main wrapper that prints a dapt::Error
/// and returns a non-zero exit code (the library itself never exits), and tiny argument parsing.
#pragma once

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/core/error.hpp"

namespace examples {

/// Runs `body(args)` and turns exceptions into a message on stderr and exit code 1 (2 for usage).
template <class Body>
int run_main(int argc, char** argv, Body&& body) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return body(args);
  } catch (const dapt::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return e.category() == dapt::ErrorCategory::kInvalidArgument ? 2 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

/// Removes "--name VALUE" from args and returns VALUE (nullopt when absent).
inline std::optional<std::string> take_option(std::vector<std::string>& args, std::string_view name) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name) {
      DAPT_CHECK(i + 1 < args.size(), "option ", name, " needs a value");
      std::string v = args[i + 1];
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
      return v;
    }
  }
  return std::nullopt;
}

/// Removes "--name" from args and says whether it was there.
inline bool take_flag(std::vector<std::string>& args, std::string_view name) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name) {
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  return false;
}

}  // namespace examples
