/// @file npy.hpp
/// @brief NumPy .npy files for the benchmarks, whose Python peers load exactly the floats (and
/// ids) the C++ side made: version 1.0 written (atomically: a temporary file, then a rename), 1.0
/// to 3.0 read, float32 or int64, C order, two dimensions.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dapt::bench {

/// Writes rows x cols elements of `elem` bytes at `data` as a .npy of dtype `descr` ('<f4', '<i8').
inline void write_npy(const std::filesystem::path& path, const void* data, const char* descr, std::size_t elem,
                      std::int64_t rows, std::int64_t cols) {
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" +
                     std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string head = "\x93NUMPY";
  head += '\x01';
  head += '\x00';
  head += static_cast<char>(dict.size() & 0xff);
  head += static_cast<char>(dict.size() >> 8);
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << head << dict;
    const auto bytes = static_cast<std::size_t>(rows * cols) * elem;
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

/// A two-dimensional array read from .npy: its shape and raw little-endian bytes.
struct NpyArray {
  std::int64_t rows = 0, cols = 0;
  std::vector<char> bytes;
};

/// Reads a C-order 2-D .npy of dtype `descr` ('<f4' or '<i8'); nothing when absent, and throws when
/// it is not such an array.
inline std::optional<NpyArray> read_npy(const std::filesystem::path& path, const std::string& descr,
                                        std::size_t elem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error(path.string() + " is not a .npy file");
  std::size_t header = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header = b[0] | static_cast<std::size_t>(b[1]) << 8;
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header = b[0] | static_cast<std::size_t>(b[1]) << 8 | static_cast<std::size_t>(b[2]) << 16 | static_cast<std::size_t>(b[3]) << 24;
  }
  std::string dict(header, '\0');
  if (!in.read(dict.data(), static_cast<std::streamsize>(header))) throw std::runtime_error(path.string() + ": truncated header");
  auto field = [&](const std::string& key) -> std::string {
    const auto at = dict.find("'" + key + "'");
    if (at == std::string::npos) throw std::runtime_error(path.string() + ": no '" + key + "' in the header");
    return dict.substr(dict.find(':', at) + 1);
  };
  const std::string d = field("descr");
  if (d.find("'" + descr + "'") != d.find_first_not_of(' ') || d.find("'" + descr + "'") == std::string::npos)
    throw std::runtime_error(path.string() + ": dtype is not " + descr);
  if (field("fortran_order").find("False") != field("fortran_order").find_first_not_of(' '))
    throw std::runtime_error(path.string() + ": Fortran order is not supported");
  const std::string shape = field("shape");
  NpyArray a;
  if (std::sscanf(shape.c_str(), " (%lld, %lld)", reinterpret_cast<long long*>(&a.rows), reinterpret_cast<long long*>(&a.cols)) != 2)
    throw std::runtime_error(path.string() + ": expected a two-dimensional array");
  a.bytes.resize(static_cast<std::size_t>(a.rows * a.cols) * elem);
  if (!in.read(a.bytes.data(), static_cast<std::streamsize>(a.bytes.size()))) throw std::runtime_error(path.string() + ": truncated data");
  return a;
}

/// The bytes of a '<f4' array as floats.
inline std::vector<float> as_floats(const NpyArray& a) {
  std::vector<float> v(a.bytes.size() / sizeof(float));
  std::memcpy(v.data(), a.bytes.data(), a.bytes.size());
  return v;
}

}  // namespace dapt::bench
