/// @file llama_bench_model.hpp
/// @brief The model and inputs the LLaMA benchmarks share with their PyTorch and llama.cpp peers:
/// the configuration (d256, L4, H8, kv4, ffn688, V8192), seeded random weights saved as
/// a Hugging Face checkpoint the peers load, and token ids from the splitmix64 sequence that
/// benchmarks/peers/llama_train.py documents, so both sides run on the same weights and ids.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include <Eigen/Core>

#include "bench_util.hpp"
#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/train/optimizer.hpp"

namespace dapt::bench {

inline io::LlamaConfig bench_llama_config() {
  io::LlamaConfig c;
  c.vocab_size = 8192;
  c.hidden_size = 256;
  c.intermediate_size = 688;
  c.num_hidden_layers = 4;
  c.num_attention_heads = 8;
  c.num_key_value_heads = 4;
  c.head_dim = 32;
  c.max_position_embeddings = 1024;
  c.rms_norm_eps = 1e-5;
  c.rope.theta = 10000.0;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  return c;
}

/// The benchmark model, with seeded normal(0, 0.02) weights, saved into `dir` for the peers.
inline std::unique_ptr<nn::Llama<Cpu>> make_bench_llama(const std::filesystem::path& dir) {
  auto m = std::make_unique<nn::Llama<Cpu>>(bench_llama_config());
  m->init_weights(20261202, 0.02);
  io::save_llama(*m, dir);
  return m;
}

/// ids[i] = splitmix64(i + 1) % vocab for i in [0, n): llama_train.py's and llama_decode.py's default input.
inline std::vector<std::int32_t> splitmix_ids(std::int64_t n, std::int64_t vocab) {
  std::vector<std::int32_t> ids(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint64_t z = splitmix64(static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ull);  // mixes (i + 1) * gamma
    ids[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(z % static_cast<std::uint64_t>(vocab));
  }
  return ids;
}

/// Model FLOPs of one token of training (forward + backward): 6 N + 12 L d T, with N the
/// parameters that multiply activations (all but the input embedding, whose lookup is free).
inline double train_flops_per_token(nn::Llama<Cpu>& m, std::int64_t seq) {
  const auto& c = m.config();
  const double n = static_cast<double>(m.num_parameters() - c.vocab_size * c.hidden_size * (c.tie_word_embeddings ? 0 : 1));
  return 6.0 * n + 12.0 * static_cast<double>(c.num_hidden_layers * c.hidden_size * seq);
}

/// What the training benchmarks time, one step: zero_grad, forward_backward over `ids` (labels =
/// ids), clip_grad_norm(1.0) and AdamW(lr 1e-4, betas (0.9, 0.95), eps 1e-8, weight decay 0.01 on
/// every trainable parameter, as torch's plain AdamW) — the peers' loop. Runs `warmup + steps`
/// steps; returns the seconds of the last `steps` and appends every step's loss to `losses`.
inline std::vector<double> time_training_steps(nn::Llama<Cpu>& model, const TensorView<Cpu>& ids, int warmup, int steps,
                                               std::vector<double>& losses) {
  train::AdamW<Cpu> adamw({.lr = 1e-4, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.01,
                           .decay_norms_and_biases = true});
  std::vector<double> seconds;
  for (int s = 0; s < warmup + steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    model.zero_grad();
    losses.push_back(model.forward_backward(ids, TensorView<Cpu>()).loss);
    (void)train::clip_grad_norm(model, 1.0);
    adamw.step(model);
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s >= warmup) seconds.push_back(el);
  }
  return seconds;
}

/// This process's Eigen sgemm rate (GFLOP/s, best of a few runs) on the shapes a training step
/// runs: (B*T, d) x (d, ffn) and (B*T, d) x (d, V), row-major as the layers use them.
inline double eigen_sgemm_gflops(std::int64_t rows, std::int64_t d, std::int64_t ffn, std::int64_t vocab) {
  using M = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  double best = 0;
  for (std::int64_t n : {ffn, vocab / 4}) {
    M x = M::Random(rows, d), w = M::Random(n, d), y(rows, n);
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      y.noalias() = x * w.transpose();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::max(best, 2.0 * static_cast<double>(rows * d * n) / s / 1e9);
    }
    do_not_optimize(y(0, 0));
  }
  return best;
}

}  // namespace dapt::bench
