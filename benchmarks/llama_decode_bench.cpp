// LLaMA greedy decoding at batch 1 with the KV cache on the CPU, beside transformers' generate
// and, when llama-cpp-python is installed, llama.cpp on an F32 GGUF of the same weights; same
// prompt ids and thread count. Decode tokens/s excludes the prefill: (N - 1) tokens over the time
// from the first new token to the last. The greedy ids are compared with transformers'.
//   llama_decode_bench [--prompt-len 32] [--new-tokens 128] [--repeats 3] [--no-save]
#include <chrono>
#include <cstdio>

#include "bench_util.hpp"
#include "dapt/nn/kv_cache.hpp"
#include "llama_bench_model.hpp"

namespace {

constexpr const char* kBenchmark = "llama_decode";
namespace fs = std::filesystem;
using dapt::bench::Better;
using dapt::bench::Result;

std::int32_t argmax(const float* row, std::int64_t v) {
  std::int64_t best = 0;
  for (std::int64_t j = 1; j < v; ++j)
    if (row[j] > row[best]) best = j;
  return static_cast<std::int32_t>(best);
}

int run(int argc, char** argv) {
  double prompt_len = 32, new_tokens = 128, repeats = 3;
  const auto opt = dapt::bench::parse_options(argc, argv,
                                              {{"--prompt-len", &prompt_len}, {"--new-tokens", &new_tokens}, {"--repeats", &repeats}});
  const int threads = dapt::apply_thread_policy();
  dapt::bench::print_header(kBenchmark);
  const auto p = static_cast<std::int64_t>(prompt_len), n = static_cast<std::int64_t>(new_tokens);
  const fs::path dir = opt.data_dir / "llama_bench_model";
  auto model = dapt::bench::make_bench_llama(dir);
  const std::int64_t v = model->config().vocab_size;
  std::vector<std::int32_t> prompt = dapt::bench::splitmix_ids(p, v);

  dapt::nn::KvCache<dapt::Cpu> cache(model->config(), 1, p + n);
  std::vector<std::int32_t> ids;
  std::vector<double> rates, prefill;
  for (int rep = 0; rep < 1 + static_cast<int>(repeats); ++rep) {  // the first run is warm-up
    cache.reset();
    ids.clear();
    const auto t0 = std::chrono::steady_clock::now();
    auto logits = model->forward_cached(dapt::TensorView<dapt::Cpu>(prompt.data(), dapt::DType::kI32, {1, p}), cache);
    ids.push_back(argmax(logits.data<const float>(), v));
    const auto t1 = std::chrono::steady_clock::now();
    for (std::int64_t i = 1; i < n; ++i) {
      std::int32_t next = ids.back();
      logits = model->forward_cached(dapt::TensorView<dapt::Cpu>(&next, dapt::DType::kI32, {1, 1}), cache);
      ids.push_back(argmax(logits.data<const float>(), v));
    }
    const auto t2 = std::chrono::steady_clock::now();
    if (rep == 0) continue;
    prefill.push_back(std::chrono::duration<double>(t1 - t0).count());
    rates.push_back(static_cast<double>(n - 1) / std::chrono::duration<double>(t2 - t1).count());
  }
  const double ours = dapt::bench::summarize(rates).median;
  std::printf("ours: %d threads, prompt %lld, %lld new tokens: decode %.0f tokens/s, prefill %.1f ms\n", threads,
              static_cast<long long>(p), static_cast<long long>(n), ours, dapt::bench::summarize(prefill).median * 1e3);
  std::fflush(stdout);

  std::optional<double> hf_rate, cpp_rate;
  std::string hf_name = "transformers", cpp_name = "llama.cpp", error;
  bool same = true;
  if (!fs::exists(opt.python)) {
    error = "no Python at " + opt.python.string() + " (run benchmarks/setup)";
  } else {
    using dapt::bench::shell_quote;
    const auto r = dapt::bench::run_command(
        shell_quote(opt.python.string()) + " " + shell_quote((opt.peers_dir / "llama_decode.py").string()) + " --model " +
        shell_quote(dir.string()) + " --prompt-len " + std::to_string(p) + " --new-tokens " + std::to_string(n) +
        " --threads " + std::to_string(threads) + " --repeats " + std::to_string(static_cast<int>(repeats)) + " --gguf " +
        shell_quote((opt.data_dir / "llama_bench_model.f32.gguf").string()));
    if (r.exit_code != 0) {
      error = "peer exited with status " + std::to_string(r.exit_code);
    } else {
      const boost::json::object o = dapt::bench::last_json_line(r.out);
      const auto& hf = o.at("hf").as_object();
      hf_name = "transformers " + std::string(hf.at("transformers").as_string()) + " (torch " +
                std::string(hf.at("torch").as_string()) + ")";
      hf_rate = hf.at("decode_tok_s").to_number<double>();
      const auto& hid = hf.at("ids").as_array();
      const auto& margin = hf.at("top2_margin").as_array();
      std::size_t common = 0;
      while (common < hid.size() && common < ids.size() && hid[common].to_number<std::int64_t>() == ids[common]) ++common;
      // A random model's logits are nearly flat: a step where the two best logits are within
      // float rounding may legitimately go either way; anything else is a real difference.
      const bool tie = common < hid.size() && margin[common].to_number<double>() < 1e-4;
      same = common == hid.size() || tie;
      std::printf("peer: %s decode %.0f tokens/s; greedy ids equal for %zu of %zu tokens%s\n", hf_name.c_str(), *hf_rate,
                  common, hid.size(), common < hid.size() ? (tie ? " (then a near-tie)" : " (then a real difference)") : "");
      const auto& lc = o.at("llama_cpp").as_object();
      if (lc.contains("decode_tok_s")) {
        cpp_name = "llama.cpp (llama-cpp-python " + std::string(lc.at("llama_cpp_python").as_string()) + ", F32)";
        cpp_rate = lc.at("decode_tok_s").to_number<double>();
        std::printf("peer: %s decode %.0f tokens/s\n", cpp_name.c_str(), *cpp_rate);
      } else if (lc.contains("skipped")) {
        std::printf("peer: llama.cpp skipped: %s\n", std::string(lc.at("skipped").as_string()).c_str());
      }
    }
  }
  if (!error.empty()) std::fprintf(stderr, "peer not compared: %s\n", error.c_str());

  std::vector<Result> results(2);
  char what[128];
  std::snprintf(what, sizeof what, "decode tokens/s, batch 1, prompt %lld, %lld new (d256 L4 V8192)",
                static_cast<long long>(p), static_cast<long long>(n));
  results[0].metric = what;
  results[0].peer = hf_name;
  results[0].peer_value = hf_rate;
  results[1].metric = what;
  results[1].peer = cpp_name;
  results[1].peer_value = cpp_rate;
  for (auto& r : results) {
    r.benchmark = kBenchmark;
    r.unit = "tokens/s";
    r.better = Better::kHigher;
    r.ours = ours;
    r.threads = threads;
  }
  return dapt::bench::finish(kBenchmark, results, opt, same, error.empty());
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
