// LLaMA training step on the CPU, beside PyTorch (transformers LlamaForCausalLM, float32) on the
// same checkpoint, ids and thread count: forward + backward + clip_grad_norm(1.0) + AdamW(lr 1e-4,
// betas (0.9, 0.95), weight decay 0.01 on every parameter, as torch's plain AdamW does). Prints
// tokens/s and model GFLOP/s (6N + 12 L d T per token) for both, beside the sgemm rate of Eigen
// (ours) and torch on this machine. The first losses of the two sides must agree, else nothing
// is recorded.
//   llama_train_bench [--steps 5] [--warmup 1] [--batch 8] [--seq 256] [--no-save]
#include <chrono>
#include <cmath>
#include <cstdio>

#include "bench_util.hpp"
#include "dapt/train/optimizer.hpp"
#include "llama_bench_model.hpp"

namespace {

constexpr const char* kBenchmark = "llama_train";
namespace fs = std::filesystem;
using dapt::bench::Better;
using dapt::bench::Result;

int run(int argc, char** argv) {
  double steps = 5, warmup = 1, batch = 8, seq = 256;
  const auto opt = dapt::bench::parse_options(argc, argv, {{"--steps", &steps}, {"--warmup", &warmup}, {"--batch", &batch}, {"--seq", &seq}});
  const int threads = dapt::apply_thread_policy();
  dapt::bench::print_header(kBenchmark);
  const auto b = static_cast<std::int64_t>(batch), t = static_cast<std::int64_t>(seq);
  const fs::path dir = opt.data_dir / "llama_bench_model";
  auto model = dapt::bench::make_bench_llama(dir);
  const auto& c = model->config();
  std::vector<std::int32_t> ids_v = dapt::bench::splitmix_ids(b * t, c.vocab_size);
  const dapt::TensorView<dapt::Cpu> ids(ids_v.data(), dapt::DType::kI32, {b, t});

  std::vector<double> losses;
  const std::vector<double> step_s =
      dapt::bench::time_training_steps(*model, ids, static_cast<int>(warmup), static_cast<int>(steps), losses);
  const auto stats = dapt::bench::summarize(step_s);
  const double tokens = static_cast<double>(b * t);
  const double flops_tok = dapt::bench::train_flops_per_token(*model, t);
  const double ours_tps = tokens / stats.median;
  const double sgemm = dapt::bench::eigen_sgemm_gflops(b * t, c.hidden_size, c.intermediate_size, c.vocab_size);
  std::printf("ours: %d threads, step median %.1f ms (min %.1f, max %.1f), %.0f tokens/s, %.1f model GFLOP/s, "
              "Eigen sgemm %.1f GFLOP/s (%.0f%%), loss %.5f -> %.5f\n",
              threads, stats.median * 1e3, stats.min * 1e3, stats.max * 1e3, ours_tps, ours_tps * flops_tok / 1e9, sgemm,
              100 * ours_tps * flops_tok / 1e9 / sgemm, losses.front(), losses.back());
  std::fflush(stdout);

  // The peer.
  std::optional<double> peer_tps, peer_sgemm;
  std::string peer_name = "torch", error;
  bool same = true;
  if (!fs::exists(opt.python)) {
    error = "no Python at " + opt.python.string() + " (run benchmarks/setup)";
  } else {
    using dapt::bench::shell_quote;
    const auto r = dapt::bench::run_command(
        shell_quote(opt.python.string()) + " " + shell_quote((opt.peers_dir / "llama_train.py").string()) + " --model " +
        shell_quote(dir.string()) + " --batch " + std::to_string(b) + " --seq " + std::to_string(t) + " --threads " +
        std::to_string(threads) + " --steps " + std::to_string(static_cast<int>(steps)) + " --warmup " +
        std::to_string(static_cast<int>(warmup)));
    if (r.exit_code != 0) {
      error = "peer exited with status " + std::to_string(r.exit_code);
    } else {
      const boost::json::object o = dapt::bench::last_json_line(r.out);
      peer_name = "torch " + std::string(o.at("torch").as_string()) + " + transformers " +
                  std::string(o.at("transformers").as_string()) + " (" + std::string(o.at("attn_implementation").as_string()) + ")";
      peer_tps = o.at("tokens_per_s").to_number<double>();
      const double lf = o.at("loss_first").to_number<double>();
      std::printf("peer: %s, step median %.1f ms, %.0f tokens/s, first loss %.5f (ours %.5f)\n", peer_name.c_str(),
                  o.at("step_ms_median").to_number<double>(), *peer_tps, lf, losses.front());
      same = std::abs(lf - losses.front()) <= 1e-4 * std::abs(lf);
    }
    const auto g = dapt::bench::run_command(shell_quote(opt.python.string()) + " " +
                                            shell_quote((opt.peers_dir / "sgemm.py").string()) + " --threads " +
                                            std::to_string(threads));
    if (g.exit_code == 0) peer_sgemm = dapt::bench::last_json_line(g.out).at("torch_sgemm_gflops").to_number<double>();
  }
  if (!error.empty()) std::fprintf(stderr, "peer not compared: %s\n", error.c_str());

  std::vector<Result> results(3);
  char shape[96];
  std::snprintf(shape, sizeof shape, " (d256 L4 H8 kv4 ffn688 V8192, B%lld T%lld)", static_cast<long long>(b),
                static_cast<long long>(t));
  results[0].metric = std::string("training step tokens/s") + shape;
  results[0].unit = "tokens/s";
  results[0].ours = ours_tps;
  results[0].peer_value = peer_tps;
  results[1].metric = "training model GFLOP/s (6N + 12 L d T per token)";
  results[1].unit = "GFLOP/s";
  results[1].ours = ours_tps * flops_tok / 1e9;
  if (peer_tps) results[1].peer_value = *peer_tps * flops_tok / 1e9;
  results[2].metric = "sgemm GFLOP/s of this machine (Eigen vs torch)";
  results[2].unit = "GFLOP/s";
  results[2].ours = sgemm;
  results[2].peer_value = peer_sgemm;
  for (auto& r : results) {
    r.benchmark = kBenchmark;
    r.better = Better::kHigher;
    r.threads = threads;
    r.peer = peer_name;
  }
  if (peer_sgemm) std::printf("ours: %.0f%% of torch's sgemm rate in model FLOPs\n", 100 * results[1].ours / *peer_sgemm);
  if (!same) std::fprintf(stderr, "the first losses differ: not the same model or ids\n");
  return dapt::bench::finish(kBenchmark, results, opt, same, error.empty());
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
