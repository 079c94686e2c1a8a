// Training-step time of full fine-tuning against LoRA (r = 8 and 64, alpha = 2r, every linear
// layer of the blocks), on the CPU, beside PyTorch + peft (benchmarks/peers/llama_lora.py) on the
// same checkpoint, ids and thread count. One step: forward + backward + clip_grad_norm(1.0) over
// the trainable parameters + AdamW(lr 1e-4, betas (0.9, 0.95), weight decay 0.01) over them. For
// each method it prints the trainable parameters, the median step and tokens/s of both sides, and
// the ratio; a LoRA step's gain over a full step is printed for both. The first losses must agree
// (a fresh adapter leaves the model unchanged), else nothing is recorded.
//   llama_lora_bench [--steps 5] [--warmup 1] [--batch 8] [--seq 256] [--no-save]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "bench_util.hpp"
#include "dapt/nn/lora.hpp"
#include "dapt/train/optimizer.hpp"
#include "llama_bench_model.hpp"

namespace {

constexpr const char* kBenchmark = "llama_lora";
namespace fs = std::filesystem;
using dapt::bench::Better;
using dapt::bench::Result;

struct Measured {
  std::int64_t trainable = 0;
  double median_s = 0;
  double loss_first = 0;
};

Measured measure(const fs::path& dir, std::int64_t rank, const dapt::TensorView<dapt::Cpu>& ids, int warmup, int steps) {
  auto model = dapt::io::load_llama(dir);
  if (rank > 0) {
    dapt::nn::LoraConfig c;
    c.r = rank;
    c.alpha = 2.0 * static_cast<double>(rank);
    c.target_modules = {"all-linear"};
    dapt::nn::apply_lora(*model, c);
  }
  Measured m;
  model->visit_parameters([&](const std::string&, dapt::nn::Param<dapt::Cpu>& p) {
    if (p.trainable()) m.trainable += p.numel();
  });
  std::vector<double> losses;
  const std::vector<double> step_s = dapt::bench::time_training_steps(*model, ids, warmup, steps, losses);
  m.loss_first = losses.front();
  m.median_s = dapt::bench::summarize(step_s).median;
  return m;
}

int run(int argc, char** argv) {
  double steps = 5, warmup = 1, batch = 8, seq = 256;
  const auto opt = dapt::bench::parse_options(argc, argv, {{"--steps", &steps}, {"--warmup", &warmup}, {"--batch", &batch}, {"--seq", &seq}});
  const int threads = dapt::apply_thread_policy();
  dapt::bench::print_header(kBenchmark);
  const auto b = static_cast<std::int64_t>(batch), t = static_cast<std::int64_t>(seq);
  const fs::path dir = opt.data_dir / "llama_bench_model";
  const auto c = dapt::bench::make_bench_llama(dir)->config();
  std::vector<std::int32_t> ids_v = dapt::bench::splitmix_ids(b * t, c.vocab_size);
  const dapt::TensorView<dapt::Cpu> ids(ids_v.data(), dapt::DType::kI32, {b, t});
  const double tokens = static_cast<double>(b * t);

  const std::vector<std::pair<std::string, std::int64_t>> methods{{"full", 0}, {"lora_r8", 8}, {"lora_r64", 64}};
  std::map<std::string, Measured> ours;
  for (const auto& [name, rank] : methods) {
    ours[name] = measure(dir, rank, ids, static_cast<int>(warmup), static_cast<int>(steps));
    std::printf("ours %-9s: %lld trainable, step median %.1f ms, %.0f tokens/s, first loss %.5f\n", name.c_str(),
                static_cast<long long>(ours[name].trainable), ours[name].median_s * 1e3, tokens / ours[name].median_s,
                ours[name].loss_first);
    std::fflush(stdout);
  }

  std::string peer_name = "torch + peft", error;
  std::optional<boost::json::object> peer;
  bool same = true;
  if (!fs::exists(opt.python)) {
    error = "no Python at " + opt.python.string() + " (run benchmarks/setup)";
  } else {
    using dapt::bench::shell_quote;
    const auto r = dapt::bench::run_command(
        shell_quote(opt.python.string()) + " " + shell_quote((opt.peers_dir / "llama_lora.py").string()) + " --model " +
        shell_quote(dir.string()) + " --batch " + std::to_string(b) + " --seq " + std::to_string(t) + " --threads " +
        std::to_string(threads) + " --steps " + std::to_string(static_cast<int>(steps)) + " --warmup " +
        std::to_string(static_cast<int>(warmup)) + " --ranks 8,64");
    if (r.exit_code != 0) {
      error = "peer exited with status " + std::to_string(r.exit_code);
    } else {
      const boost::json::object o = dapt::bench::last_json_line(r.out);
      peer_name = "torch " + std::string(o.at("torch").as_string()) + " + transformers " +
                  std::string(o.at("transformers").as_string()) + " + peft " + std::string(o.at("peft").as_string());
      peer = o.at("methods").as_object();
    }
  }
  if (!error.empty()) std::fprintf(stderr, "peer not compared: %s\n", error.c_str());

  std::vector<Result> results;
  char shape[96];
  std::snprintf(shape, sizeof shape, " (d256 L4 V8192, B%lld T%lld)", static_cast<long long>(b), static_cast<long long>(t));
  for (const auto& [name, rank] : methods) {
    Result r;
    r.benchmark = kBenchmark;
    r.metric = name + " training step tokens/s" + shape;
    r.unit = "tokens/s";
    r.better = Better::kHigher;
    r.threads = threads;
    r.peer = peer_name;
    r.ours = tokens / ours[name].median_s;
    if (peer && peer->contains(name)) {
      const auto& m = peer->at(name).as_object();
      r.peer_value = m.at("tokens_per_s").to_number<double>();
      const double lf = m.at("loss_first").to_number<double>();
      const auto trainable = m.at("trainable").to_number<std::int64_t>();
      std::printf("peer %-9s: %lld trainable, step median %.1f ms, first loss %.5f\n", name.c_str(),
                  static_cast<long long>(trainable), m.at("step_ms_median").to_number<double>(), lf);
      same = same && std::abs(lf - ours[name].loss_first) <= 1e-4 * std::abs(lf) && trainable == ours[name].trainable;
    }
    results.push_back(r);
  }
  for (const char* name : {"lora_r8", "lora_r64"}) {
    std::printf("LoRA gain over full (%s): ours %.2fx", name, ours["full"].median_s / ours[name].median_s);
    if (peer && peer->contains(name) && peer->contains("full"))
      std::printf(", peer %.2fx", peer->at("full").as_object().at("step_ms_median").to_number<double>() /
                                      peer->at(name).as_object().at("step_ms_median").to_number<double>());
    std::printf("\n");
  }
  if (!same) std::fprintf(stderr, "first losses or trainable counts differ: not the same work\n");
  return dapt::bench::finish(kBenchmark, results, opt, same, error.empty());
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
