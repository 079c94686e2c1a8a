/// @file catch_main.cpp
/// @brief The Catch2 2.x main, compiled once into a static library (Catch2 3 brings its own).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
