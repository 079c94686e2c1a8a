// LLaMA training step on the GPU, beside PyTorch on the same GPU (transformers LlamaForCausalLM)
// on the same checkpoint and ids, in fp32 and in bf16 mixed precision (ours: Llama<Cuda> with
// set_compute_dtype(BF16); torch: autocast to bf16), both with fp32 master weights. One step is
// what train::Trainer<Full, Cuda>::train_step does — forward + backward, the gradient norm and
// clipping at 1.0 and AdamW (lr 1e-4, betas (0.9, 0.95), weight decay 0.01 on every parameter,
// as torch's plain AdamW), ending with its one wait — and the peer's loop is the same
// (benchmarks/peers/llama_train.py --device cuda). Prints tokens/s of both and the ratio; the
// first fp32 losses must agree to 1e-4 (bf16: 2e-2), else nothing is recorded.
//   llama_train_gpu_bench [--steps 10] [--warmup 2] [--batch 16] [--seq 512] [--no-save] [--python PATH]
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "gpu_bench_util.cuh"
#include "dapt/cuda.cuh"
#include "dapt/train/trainer.hpp"
#include "llama_bench_model.hpp"

namespace {

constexpr const char* kBenchmark = "llama_train_gpu";
namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::Cuda;
using dapt::DType;
using dapt::TensorView;
using dapt::bench::Better;
using dapt::bench::Result;

/// The same rows every step (labels = ids, one document per row), as the peer's fixed batch.
struct FixedBatch {
  std::vector<std::int32_t> ids;
  std::int64_t len = 0;
  std::int64_t seq_len() const { return len; }
  void next_batch(const TensorView<Cpu>& out, const TensorView<Cpu>& labels, const TensorView<Cpu>& segs) const {
    std::copy(ids.begin(), ids.begin() + out.numel(), out.data<std::int32_t>());
    std::copy(ids.begin(), ids.begin() + out.numel(), labels.data<std::int32_t>());
    std::fill_n(segs.data<std::int32_t>(), segs.numel(), 0);
  }
  dapt::train::DataState state() const { return {}; }
  void set_state(const dapt::train::DataState&) {}
};

struct Side {
  double tokens_per_s = 0, median_ms = 0, loss_first = 0;
};

Side run_ours(dapt::nn::Llama<Cpu>& host, const FixedBatch& data, std::int64_t batch, DType dtype, int warmup, int steps) {
  dapt::nn::Llama<Cuda> model(host.config());
  dapt::nn::copy_parameters<Cpu, Cuda>(host, model);
  model.set_compute_dtype(dtype);
  dapt::train::TrainerOptions o;
  o.micro_batch = batch;
  o.max_steps = warmup + steps;
  o.schedule.lr = 1e-4;
  o.schedule.warmup_steps = 0;
  o.schedule.total_steps = warmup + steps;
  o.adamw.beta1 = 0.9;
  o.adamw.beta2 = 0.95;
  o.adamw.eps = 1e-8;
  o.adamw.weight_decay = 0.01;
  o.adamw.decay_norms_and_biases = true;
  o.clip = 1.0;
  o.progress = false;
  FixedBatch d = data;
  dapt::train::Trainer<dapt::train::Full, Cuda> trainer(model, d, o);
  std::vector<double> seconds;
  Side s;
  for (int i = 0; i < warmup + steps; ++i) {
    const auto info = trainer.train_step();
    if (i == 0) s.loss_first = info.loss;
    if (i >= warmup) seconds.push_back(info.step_seconds);
  }
  const auto st = dapt::bench::summarize(seconds);
  s.median_ms = st.median * 1e3;
  s.tokens_per_s = static_cast<double>(batch * data.len) / st.median;
  return s;
}

std::optional<Side> run_peer(const dapt::bench::Options& opt, const fs::path& model, std::int64_t b, std::int64_t t,
                             const char* dtype, int warmup, int steps, std::string& name, std::string& error) {
  using dapt::bench::shell_quote;
  const auto r = dapt::bench::run_command(
      shell_quote(opt.python.string()) + " " + shell_quote((opt.peers_dir / "llama_train.py").string()) + " --model " +
      shell_quote(model.string()) + " --batch " + std::to_string(b) + " --seq " + std::to_string(t) +
      " --steps " + std::to_string(steps) + " --warmup " + std::to_string(warmup) + " --device cuda --dtype " + dtype +
      " --attn sdpa");
  if (r.exit_code != 0) {
    error = std::string("peer (") + dtype + ") exited with status " + std::to_string(r.exit_code);
    return std::nullopt;
  }
  const boost::json::object o = dapt::bench::last_json_line(r.out);
  name = "torch " + std::string(o.at("torch").as_string()) + " + transformers " +
         std::string(o.at("transformers").as_string()) + " (sdpa, " + std::string(o.at("device").as_string()) + ")";
  return Side{o.at("tokens_per_s").to_number<double>(), o.at("step_ms_median").to_number<double>(),
              o.at("loss_first").to_number<double>()};
}

int run(int argc, char** argv) {
  double steps = 10, warmup = 2, batch = 16, seq = 512;
  const auto opt = dapt::bench::parse_options(argc, argv, {{"--steps", &steps}, {"--warmup", &warmup}, {"--batch", &batch}, {"--seq", &seq}});
  dapt::bench::print_header(kBenchmark);
  const std::string device = dapt::bench::device_description();
  std::printf("device: %s\n", device.c_str());
  const auto b = static_cast<std::int64_t>(batch), t = static_cast<std::int64_t>(seq);
  const fs::path dir = opt.data_dir / "llama_bench_model";
  auto host = dapt::bench::make_bench_llama(dir);
  const FixedBatch data{dapt::bench::splitmix_ids(b * t, host->config().vocab_size), t};

  std::vector<Result> results;
  bool same = true;
  std::string error, peer_name = "torch";
  for (const auto& [dtype, label, tol] : {std::tuple{DType::kF32, "float32", 1e-4}, std::tuple{DType::kBF16, "bf16", 2e-2}}) {
    const Side ours = run_ours(*host, data, b, dtype, static_cast<int>(warmup), static_cast<int>(steps));
    std::printf("ours %s: step median %.2f ms, %.0f tokens/s, first loss %.5f\n", label, ours.median_ms,
                ours.tokens_per_s, ours.loss_first);
    std::optional<Side> peer;
    if (!fs::exists(opt.python) && opt.python.has_parent_path()) error = "no Python at " + opt.python.string();
    else peer = run_peer(opt, dir, b, t, label, static_cast<int>(warmup), static_cast<int>(steps), peer_name, error);
    if (peer) {
      std::printf("peer %s: step median %.2f ms, %.0f tokens/s, first loss %.5f\n", label, peer->median_ms,
                  peer->tokens_per_s, peer->loss_first);
      if (std::abs(peer->loss_first - ours.loss_first) > tol * std::abs(peer->loss_first)) same = false;
    }
    Result r;
    r.benchmark = kBenchmark;
    char metric[160];
    std::snprintf(metric, sizeof metric, "training step tokens/s, %s (d256 L4 H8 kv4 ffn688 V8192, B%lld T%lld)", label,
                  static_cast<long long>(b), static_cast<long long>(t));
    r.metric = metric;
    r.unit = "tokens/s";
    r.better = Better::kHigher;
    r.ours = ours.tokens_per_s;
    if (peer) r.peer_value = peer->tokens_per_s;
    results.push_back(r);
  }
  for (auto& r : results) {
    r.peer = peer_name;
    r.device = device;
  }
  if (!error.empty()) std::fprintf(stderr, "peer not compared: %s\n", error.c_str());
  if (!same) std::fprintf(stderr, "the first losses differ: not the same model or ids\n");
  return dapt::bench::finish(kBenchmark, results, opt, same, error.empty());
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
