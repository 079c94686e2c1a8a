/// @file flat_bench_data.hpp
/// @brief The data of the flat-index benchmarks (flat_index_bench on the CPU, flat_index_gpu_bench
/// on the GPU): clustered gaussian vectors from a counter-based generator, cached as .npy files in
/// the bench data folder so that the Python peers load exactly the same floats, and the recall of
/// one side's id lists against the other's.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_util.hpp"

namespace dapt::bench {

// Data: counter-based, so each float depends only on (seed, row, column) and rows are generated
// in parallel with the same result for any thread count.

inline constexpr std::int64_t kCentres = 1024;
inline constexpr float kSpread = 0.6f;

/// Rows [0, n) of stream `seed`: centre (row hash % kCentres) + kSpread * N(0, 1) per column. The
/// centres are the same for every stream, so queries fall in the clusters of the database.
inline std::vector<float> clustered(std::int64_t n, std::int64_t d, std::uint64_t seed) {
  std::vector<float> centres(static_cast<std::size_t>(kCentres * d));
  for (std::size_t i = 0; i < centres.size(); ++i) centres[i] = gaussian(splitmix64(0xC0FFEEull * 1000003ull + i));
  std::vector<float> out(static_cast<std::size_t>(n * d));
  dapt::parallel_for(
      0, n,
      [&](std::int64_t r) {
        const std::uint64_t c = splitmix64(seed * 0x100000001b3ull + static_cast<std::uint64_t>(r)) % kCentres;
        const float* centre = centres.data() + c * static_cast<std::uint64_t>(d);
        for (std::int64_t j = 0; j < d; ++j) {
          const float noise = gaussian(splitmix64((seed << 40) ^ (static_cast<std::uint64_t>(r) * d + j)));
          out[static_cast<std::size_t>(r * d + j)] = centre[j] + kSpread * noise;
        }
      },
      1024);
  return out;
}

/// Writes a float32 (n, d) array as .npy version 1.0 (header padded to 64 bytes).
inline void write_npy(const std::filesystem::path& path, const std::vector<float>& v, std::int64_t n,
                      std::int64_t d) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(n) + ", " +
                     std::to_string(d) + "), }";
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
    out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

/// Reads back an (n, d) float32 .npy written by write_npy; empty when absent or of another size.
inline std::vector<float> read_npy(const std::filesystem::path& path, std::int64_t n, std::int64_t d) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  char head[10];
  if (!in.read(head, 10) || std::memcmp(head, "\x93NUMPY\x01\x00", 8) != 0) return {};
  const std::size_t header = static_cast<unsigned char>(head[8]) | static_cast<std::size_t>(static_cast<unsigned char>(head[9])) << 8;
  const std::size_t bytes = static_cast<std::size_t>(n * d) * sizeof(float);
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) != 10 + header + bytes) return {};
  in.seekg(static_cast<std::streamoff>(10 + header));
  std::vector<float> v(static_cast<std::size_t>(n * d));
  if (!in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(bytes))) return {};
  return v;
}

/// The (n, d) stream `seed`, from the cache file when it is there, else generated and cached.
inline std::vector<float> dataset(const std::filesystem::path& dir, const std::string& name, std::int64_t n,
                                  std::int64_t d, std::uint64_t seed, std::filesystem::path& path) {
  std::filesystem::create_directories(dir);
  path = dir / ("flat_" + name + "_" + std::to_string(n) + "x" + std::to_string(d) + "_s" + std::to_string(seed) + "_v1.npy");
  std::vector<float> v = read_npy(path, n, d);
  if (v.empty()) {
    std::printf("generating %s\n", path.filename().c_str());
    std::fflush(stdout);
    v = clustered(n, d, seed);
    write_npy(path, v, n, d);
  }
  return v;
}

/// Mean over queries of |ours ∩ peer| / k.
inline double recall(const std::vector<std::vector<std::int64_t>>& ours,
                     const std::vector<std::vector<std::int64_t>>& peer) {
  if (ours.empty() || ours.size() != peer.size()) return 0;
  double sum = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const std::set<std::int64_t> p(peer[i].begin(), peer[i].end());
    std::size_t hit = 0;
    for (std::int64_t id : ours[i]) hit += p.count(id);
    sum += peer[i].empty() ? 1.0 : static_cast<double>(hit) / static_cast<double>(peer[i].size());
  }
  return sum / static_cast<double>(ours.size());
}

/// The id lists of a peer's JSON: an array of arrays of ids.
inline std::vector<std::vector<std::int64_t>> id_lists(const boost::json::array& a) {
  std::vector<std::vector<std::int64_t>> out;
  for (const auto& row : a) {
    out.emplace_back();
    for (const auto& v : row.as_array()) out.back().push_back(v.to_number<std::int64_t>());
  }
  return out;
}

}  // namespace dapt::bench
