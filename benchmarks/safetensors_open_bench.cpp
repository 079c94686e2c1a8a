/// @file safetensors_open_bench.cpp
/// @brief How fast dapt opens a LLaMA-sized safetensors checkpoint, beside the reference
/// implementation (Python `safetensors.safe_open(path, framework="numpy")`, in
/// benchmarks/peers/safetensors_open.py). The input is generated once with dapt's
/// save_safetensors and cached in benchmarks/.data: a LLaMA-shaped F32 checkpoint of about 1 GB
/// (32 layers, hidden 768, 4 of 12 heads for K/V, MLP 2048, vocabulary 32000, untied lm_head: 291
/// tensors under Hugging Face names; fewer layers when the disk has under 5 GB free). F32 because
/// numpy has no bfloat16, so the peer could not read a BF16 file. The file is read once before
/// timing, so both sides measure a warm page cache, not the disk. Two operations are timed, each
/// once untimed and then repeatedly, and the medians are compared:
///   (a) "open + read every tensor": SafetensorsFile::open (mmap, strict header parse, offset
///       checks), tensor(name) for every tensor (a zero-copy view), and a pass over every byte,
///       summing the data as little-endian uint32 words into a uint64. The peer does get_tensor
///       (which copies the bytes into a numpy array) and `view(np.uint32).sum(dtype=np.uint64)`:
///       the same integer reduction, so both sides must print the same checksum, which is checked.
///       Both sides are single-threaded (numpy's sum is), so the result records 1 thread.
///   (b) "open + every tensor handle": open, then obtain every tensor's handle and read its shape
///       (tensors() + tensor(name) here; keys() + get_slice(key).get_shape() there). No tensor
///       data is touched: this is the metadata path, dominated by parsing the JSON header.
/// Run it through `benchmarks/run safetensors_open_bench`; it takes about 10 s on 2 cores (a few
/// seconds more the first time, to write the file).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "bench_util.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/llama_layout.hpp"
#include "dapt/io/safetensors.hpp"

namespace {

namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::DType;
using dapt::Tensor;
using dapt::bench::Better;
using dapt::bench::Result;

constexpr const char* kBenchmark = "safetensors_open";
constexpr int kReadReps = 11;     // each rep reads ~1 GB; a few give a stable median
constexpr int kHandleReps = 101; // each rep takes a fraction of a millisecond: many, for a steady median

/// The shape of the generated checkpoint: a small LLaMA with grouped-query attention. The tensor
/// list comes from the SDK's own LLaMA layout (dapt/io/llama_layout.hpp).
struct LlamaShape {
  int layers = 32;

  dapt::io::LlamaConfig config() const {
    dapt::io::LlamaConfig c;
    c.vocab_size = 32000;
    c.hidden_size = 768;
    c.num_attention_heads = 12;
    c.num_key_value_heads = 4;  // K/V of 256
    c.head_dim = 64;
    c.intermediate_size = 2048;
    c.num_hidden_layers = layers;
    return c;
  }

  /// (name, shape) of every tensor, in the order transformers lists them.
  std::vector<dapt::io::ExpectedTensor> tensors() const { return dapt::io::llama_expected_tensors(config()); }

  std::uint64_t data_bytes() const {
    std::uint64_t n = 0;
    for (const auto& t : tensors()) n += static_cast<std::uint64_t>(t.shape.numel()) * 4;
    return n;
  }
};

/// Deterministic weights of a plausible size (uniform in [-0.05, 0.05)), from splitmix64: the
/// values only need to be non-trivial so that the checksum means something.
void fill_weights(float* out, std::size_t n, std::uint64_t seed) {
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    out[i] = (static_cast<float>(z >> 40) * (1.0f / 16777216.0f) - 0.5f) * 0.1f;
  }
}

/// Whether `path` is a complete checkpoint of `shape` (a stale or interrupted file is rewritten).
bool is_valid_checkpoint(const fs::path& path, const LlamaShape& shape) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  try {
    const auto f = dapt::io::SafetensorsFile::open(path);
    const auto expected = shape.tensors();
    if (f.size() != expected.size() || f.data_section().size() != shape.data_bytes()) return false;
    for (const auto& [name, s] : expected)
      if (!f.contains(name) || !(f.info(name).shape == s) || f.info(name).dtype != DType::kF32) return false;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

/// Returns the cached checkpoint, writing it first when it is missing or stale.
fs::path ensure_checkpoint(const fs::path& data_dir, LlamaShape& shape) {
  fs::create_directories(data_dir);
  constexpr std::uintmax_t kNeedFree = 5ull << 30;
  const auto name = [&] { return "llama_like_" + std::to_string(shape.layers) + "L_f32.safetensors"; };
  fs::path path = data_dir / name();
  if (is_valid_checkpoint(path, shape)) return path;
  // Writing ~1 GB onto a nearly full disk would hurt whoever else uses it: use a smaller file and
  // say so, since the numbers are then not comparable with a full-size run.
  if (fs::space(data_dir).available < kNeedFree) {
    shape.layers = 8;
    path = data_dir / name();
    std::printf("note: under 5 GB free in %s: using a smaller %d-layer checkpoint\n", data_dir.c_str(),
                shape.layers);
    if (is_valid_checkpoint(path, shape)) return path;
  }
  std::printf("writing %s (%.2f GB, once; cached for later runs)\n", path.c_str(), shape.data_bytes() / 1e9);
  std::fflush(stdout);
  std::vector<Tensor<Cpu>> storage;
  std::vector<dapt::io::NamedTensor> named;
  std::uint64_t seed = 0;
  for (const auto& [tname, s] : shape.tensors()) {
    auto t = Tensor<Cpu>::empty(s, DType::kF32);
    fill_weights(t.data<float>(), static_cast<std::size_t>(t.numel()), ++seed);
    named.push_back({tname, t.view()});
    storage.push_back(std::move(t));
  }
  dapt::io::save_safetensors(path, named, {{"format", "pt"}});
  return path;
}

/// Reads the whole file through read() so that the timed runs find it in the page cache.
void warm_page_cache(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(8u << 20);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
  }
}

/// Sum of the bytes as little-endian uint32 words, into a uint64 (a trailing partial word is
/// ignored; F32 data has none). memcpy loads, because a view may be misaligned in a foreign file;
/// the compiler turns them into plain vector loads.
std::uint64_t sum_words(const std::byte* p, std::size_t nbytes) {
  const std::size_t words = nbytes / 4;
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < words; ++i) {
    std::uint32_t w;
    std::memcpy(&w, p + 4 * i, 4);
    sum += w;
  }
  return sum;
}

struct PeerRun {
  std::string name = "safetensors (numpy)";
  std::optional<double> read_s, handles_s;
  std::optional<std::uint64_t> checksum;
  std::optional<std::int64_t> tensors;
  std::string error;
};

PeerRun run_peer(const dapt::bench::Options& opt, const fs::path& file) {
  PeerRun p;
  const fs::path script = opt.peers_dir / "safetensors_open.py";
  if (!fs::exists(opt.python)) {
    p.error = "no Python at " + opt.python.string() + " (run benchmarks/setup)";
    return p;
  }
  using dapt::bench::shell_quote;
  const auto r = dapt::bench::run_command(shell_quote(opt.python.string()) + " " + shell_quote(script.string()) +
                                          " " + shell_quote(file.string()) + " --read-reps " +
                                          std::to_string(kReadReps) + " --handle-reps " +
                                          std::to_string(kHandleReps));
  if (r.exit_code != 0) {
    p.error = "peer exited with status " + std::to_string(r.exit_code);
    return p;
  }
  try {
    const boost::json::object o = dapt::bench::last_json_line(r.out);
    p.name = "safetensors " + std::string(o.at("safetensors").as_string()) + " (numpy " +
             std::string(o.at("numpy").as_string()) + ")";
    p.read_s = o.at("read").as_object().at("median").to_number<double>();
    p.handles_s = o.at("handles").as_object().at("median").to_number<double>();
    p.checksum = o.at("checksum").to_number<std::uint64_t>();
    p.tensors = o.at("tensors").to_number<std::int64_t>();
  } catch (const std::exception& e) {
    p.error = std::string("unreadable peer output: ") + e.what();
  }
  return p;
}

int run(int argc, char** argv) {
  const auto opt = dapt::bench::parse_options(argc, argv);
  dapt::bench::print_header(kBenchmark);

  LlamaShape shape;
  const fs::path file = ensure_checkpoint(opt.data_dir, shape);
  const std::uint64_t file_bytes = fs::file_size(file);
  warm_page_cache(file);

  std::uint64_t checksum = 0;
  std::size_t tensor_count = 0;
  const auto read = dapt::bench::time_runs(kReadReps, [&] {
    const auto f = dapt::io::SafetensorsFile::open(file);
    std::uint64_t sum = 0;
    for (const auto& t : f.tensors()) {
      const Tensor<Cpu> v = f.tensor(t.name);
      sum += sum_words(static_cast<const std::byte*>(v.raw()), v.nbytes());
    }
    checksum = sum;
    tensor_count = f.size();
  });
  std::int64_t rank_sum = 0;
  const auto handles = dapt::bench::time_runs(kHandleReps, [&] {
    const auto f = dapt::io::SafetensorsFile::open(file);
    std::int64_t ranks = 0;
    for (const auto& t : f.tensors()) ranks += f.tensor(t.name).rank();
    rank_sum = ranks;
    dapt::bench::do_not_optimize(ranks);
  });
  std::printf("file: %s, %.3f GB, %zu tensors; ours: checksum %llu, %.2f GB/s read (median of %d), "
              "handles min %.3f ms max %.3f ms\n",
              file.filename().c_str(), file_bytes / 1e9, tensor_count, static_cast<unsigned long long>(checksum),
              file_bytes / 1e9 / read.median, read.reps, handles.min * 1e3, handles.max * 1e3);
  (void)rank_sum;
  std::fflush(stdout);

  const PeerRun peer = run_peer(opt, file);
  if (!peer.error.empty()) std::fprintf(stderr, "peer not compared: %s\n", peer.error.c_str());
  bool consistent = true;
  if (peer.checksum && (*peer.checksum != checksum || *peer.tensors != static_cast<std::int64_t>(tensor_count))) {
    // Not the same work: the comparison would be meaningless, so it is not recorded.
    std::fprintf(stderr, "peer read different data: checksum %llu over %lld tensors, ours %llu over %zu\n",
                 static_cast<unsigned long long>(*peer.checksum), static_cast<long long>(*peer.tensors),
                 static_cast<unsigned long long>(checksum), tensor_count);
    consistent = false;
  } else if (peer.read_s) {
    std::printf("peer: checksum matches; %.2f GB/s read\n", file_bytes / 1e9 / *peer.read_s);
  }

  char read_metric[96];
  std::snprintf(read_metric, sizeof read_metric, "open + read every tensor (%.2f GB)", file_bytes / 1e9);
  char handle_metric[96];
  std::snprintf(handle_metric, sizeof handle_metric, "open + every tensor handle (%zu)", tensor_count);
  std::vector<Result> results(2);
  results[0].metric = read_metric;
  results[0].unit = "s";
  results[0].ours = read.median;
  results[0].peer_value = peer.read_s;
  results[1].metric = handle_metric;
  results[1].unit = "ms";
  results[1].ours = handles.median * 1e3;
  if (peer.handles_s) results[1].peer_value = *peer.handles_s * 1e3;
  for (auto& r : results) {
    r.benchmark = kBenchmark;
    r.better = Better::kLower;
    r.peer = peer.name;
    r.threads = 1;  // both sides are single-threaded; see the file brief
  }
  return dapt::bench::finish(kBenchmark, results, opt, consistent, peer.error.empty());
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
