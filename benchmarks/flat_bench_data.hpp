/// @file flat_bench_data.hpp
/// @brief The data of the flat-index benchmarks (flat_index_bench on the CPU, flat_index_gpu_bench
/// on the GPU): clustered gaussian vectors from a counter-based generator, cached as .npy files
/// (npy.hpp) in the bench data folder so that the Python peers load exactly the same floats, and
/// the recall of one side's id lists against the other's.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "npy.hpp"

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

/// The (n, d) stream `seed`, from the cache file when it is there, else generated and cached.
inline std::vector<float> dataset(const std::filesystem::path& dir, const std::string& name, std::int64_t n,
                                  std::int64_t d, std::uint64_t seed, std::filesystem::path& path) {
  std::filesystem::create_directories(dir);
  path = dir / ("flat_" + name + "_" + std::to_string(n) + "x" + std::to_string(d) + "_s" + std::to_string(seed) + "_v1.npy");
  try {
    if (const auto a = read_npy(path, "<f4", sizeof(float)); a && a->rows == n && a->cols == d) return as_floats(*a);
  } catch (const std::runtime_error&) {
    // not a cache file of ours (damaged, say): made again below
  }
  std::printf("generating %s\n", path.filename().c_str());
  std::fflush(stdout);
  std::vector<float> v = clustered(n, d, seed);
  write_npy(path, v.data(), "<f4", sizeof(float), n, d);
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
