// LLaMA greedy decoding at batch 1 with the KV cache on the GPU, beside transformers' generate on
// the same GPU (benchmarks/peers/llama_decode.py --device cuda), on the same checkpoint and
// prompt ids, in fp32 and in bf16 (ours: Llama<Cuda> with set_compute_dtype(BF16), which decodes
// with its bf16 weight copies; the peer: the model cast to bf16). Ours is nn::generate, which
// keeps the logits and the sampling on the device and downloads one id per token. Decode tokens/s
// excludes the prefill on both sides: (N - 1) tokens over the time from the first new token to
// the last, each timestamp taken when the host has the token. The fp32 greedy ids must equal the
// peer's up to a near-tie of the two best logits; in bf16 the shared prefix is reported.
//   llama_decode_gpu_bench [--prompt-len 32] [--new-tokens 128] [--repeats 3] [--no-save] [--python PATH]
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "gpu_bench_util.cuh"
#include "dapt/cuda.cuh"
#include "dapt/nn/generate.hpp"
#include "llama_bench_model.hpp"

namespace {

constexpr const char* kBenchmark = "llama_decode_gpu";
namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::Cuda;
using dapt::DType;
using dapt::bench::Better;
using dapt::bench::Result;
using Clock = std::chrono::steady_clock;

struct Side {
  double decode_tok_s = 0, prefill_ms = 0;
  std::vector<std::int32_t> ids;
};

/// One warm-up generation, then `repeats` timed ones; medians over the timed runs.
Side run_ours(dapt::nn::Llama<Cpu>& host, const std::vector<std::int32_t>& prompt, std::int64_t n, DType dtype,
              int repeats) {
  dapt::nn::Llama<Cuda> model(host.config());
  dapt::nn::copy_parameters<Cpu, Cuda>(host, model);
  model.set_compute_dtype(dtype);
  dapt::nn::GenerationOptions o;
  o.max_new_tokens = n;
  o.ignore_config_eos = true;  // plain argmax for N tokens, as the peer
  std::vector<Clock::time_point> times;
  const dapt::nn::TokenCallback stamp = [&](std::size_t, std::int32_t, std::string_view) {
    times.push_back(Clock::now());
    return true;
  };
  std::vector<double> rates, prefill;
  Side s;
  for (int rep = 0; rep <= repeats; ++rep) {
    times.clear();
    const auto t0 = Clock::now();
    const auto out = dapt::nn::generate(model, prompt, o, nullptr, stamp);
    if (static_cast<std::int64_t>(times.size()) != n) throw std::runtime_error("generate stopped early");
    if (rep == 0) {
      s.ids = out.tokens;
      continue;
    }
    if (out.tokens != s.ids) throw std::runtime_error("greedy ids differ between runs");
    prefill.push_back(std::chrono::duration<double>(times.front() - t0).count());
    rates.push_back(static_cast<double>(n - 1) / std::chrono::duration<double>(times.back() - times.front()).count());
  }
  s.decode_tok_s = dapt::bench::summarize(rates).median;
  s.prefill_ms = dapt::bench::summarize(prefill).median * 1e3;
  return s;
}

struct Peer {
  Side side;
  std::vector<double> margin;  // best minus second-best logit at each step
  std::string name;
};

std::optional<Peer> run_peer(const dapt::bench::Options& opt, const fs::path& model, std::int64_t p, std::int64_t n,
                             int repeats, const char* dtype, std::string& error) {
  using dapt::bench::shell_quote;
  const auto r = dapt::bench::run_command(
      shell_quote(opt.python.string()) + " " + shell_quote((opt.peers_dir / "llama_decode.py").string()) + " --model " +
      shell_quote(model.string()) + " --prompt-len " + std::to_string(p) + " --new-tokens " + std::to_string(n) +
      " --repeats " + std::to_string(repeats) + " --device cuda --dtype " + dtype);
  if (r.exit_code != 0) {
    error = std::string("peer (") + dtype + ") exited with status " + std::to_string(r.exit_code);
    return std::nullopt;
  }
  const boost::json::object o = dapt::bench::last_json_line(r.out);
  const auto& hf = o.at("hf").as_object();
  Peer peer;
  peer.name = "transformers " + std::string(hf.at("transformers").as_string()) + " (torch " +
              std::string(hf.at("torch").as_string()) + ", " + std::string(o.at("device").as_string()) + ")";
  peer.side.decode_tok_s = hf.at("decode_tok_s").to_number<double>();
  peer.side.prefill_ms = hf.at("prefill_ms").to_number<double>();
  for (const auto& v : hf.at("ids").as_array()) peer.side.ids.push_back(static_cast<std::int32_t>(v.to_number<std::int64_t>()));
  for (const auto& v : hf.at("top2_margin").as_array()) peer.margin.push_back(v.to_number<double>());
  return peer;
}

int run(int argc, char** argv) {
  double prompt_len = 32, new_tokens = 128, repeats = 3;
  const auto opt = dapt::bench::parse_options(argc, argv,
                                              {{"--prompt-len", &prompt_len}, {"--new-tokens", &new_tokens}, {"--repeats", &repeats}});
  dapt::bench::print_header(kBenchmark);
  const std::string device = dapt::bench::device_description();
  std::printf("device: %s\n", device.c_str());
  const auto p = static_cast<std::int64_t>(prompt_len), n = static_cast<std::int64_t>(new_tokens);
  const int reps = static_cast<int>(repeats);
  if (n < 2 || reps < 1) throw std::runtime_error("--new-tokens must be at least 2 and --repeats at least 1");
  const fs::path dir = opt.data_dir / "llama_bench_model";
  auto host = dapt::bench::make_bench_llama(dir);
  const std::vector<std::int32_t> prompt = dapt::bench::splitmix_ids(p, host->config().vocab_size);

  std::vector<Result> results;
  bool same = true;
  std::string error, peer_name = "transformers";
  for (const auto& [dtype, label] : {std::pair{DType::kF32, "float32"}, std::pair{DType::kBF16, "bf16"}}) {
    const Side ours = run_ours(*host, prompt, n, dtype, reps);
    std::printf("ours %s: decode %.0f tokens/s, prefill %.2f ms\n", label, ours.decode_tok_s, ours.prefill_ms);
    std::fflush(stdout);
    std::optional<Peer> peer;
    if (!fs::exists(opt.python) && opt.python.has_parent_path()) error = "no Python at " + opt.python.string();
    else peer = run_peer(opt, dir, p, n, reps, label, error);
    if (peer) {
      peer_name = peer->name;
      std::size_t common = 0;
      while (common < peer->side.ids.size() && common < ours.ids.size() && peer->side.ids[common] == ours.ids[common])
        ++common;
      // A random model's logits are nearly flat: where the two best are within float rounding,
      // either may win. In bf16 the two sides round differently from the first layer on.
      const bool tie = common < peer->margin.size() && peer->margin[common] < 1e-4;
      if (dtype == DType::kF32 && common < peer->side.ids.size() && !tie) same = false;
      std::printf("peer %s: decode %.0f tokens/s, prefill %.2f ms; greedy ids equal for %zu of %zu tokens%s\n", label,
                  peer->side.decode_tok_s, peer->side.prefill_ms, common, peer->side.ids.size(),
                  common < peer->side.ids.size() ? (tie ? " (then a near-tie)" : " (then a difference)") : "");
    }
    Result r;
    r.benchmark = kBenchmark;
    char metric[160];
    std::snprintf(metric, sizeof metric, "decode tokens/s, %s, batch 1, prompt %lld, %lld new (d256 L4 V8192)", label,
                  static_cast<long long>(p), static_cast<long long>(n));
    r.metric = metric;
    r.unit = "tokens/s";
    r.better = Better::kHigher;
    r.ours = ours.decode_tok_s;
    if (peer) r.peer_value = peer->side.decode_tok_s;
    results.push_back(r);
  }
  for (auto& r : results) {
    r.peer = peer_name;
    r.device = device;
  }
  if (!error.empty()) std::fprintf(stderr, "peer not compared: %s\n", error.c_str());
  if (!same) std::fprintf(stderr, "the fp32 greedy ids differ beyond a near-tie: not the same model or prompt\n");
  return dapt::bench::finish(kBenchmark, results, opt, same, error.empty());
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
