// Embedding throughput (passages/s) of embed::Embedder beside PyTorch running the same
// architecture (benchmarks/peers/embedder.py: transformers' LlamaModel on the same saved weights,
// masked mean pooling and L2 normalisation in torch), on the same token ids, batch size and thread
// count. The model has an E5-small shape in LLaMA form (d 384, 12 layers, 12 heads, ffn 1536;
// vocabulary 8192): ChipNeMo tuned e5_small_unsupervised. Passages are 128 tokens (about the 512
// characters ChipNeMo retrieved), with seeded lengths between 64 and 128 so padding and length
// sorting matter. Both sides run the causal trunk for the comparison (transformers' LlamaModel is
// causal), and their embeddings must agree; our bidirectional embedder (the default) is timed too.
//   embedder_bench [--passages 256] [--batch 32] [--reps 2] [--no-save]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "bench_util.hpp"
#include "dapt/embed/embedder.hpp"
#include "llama_bench_model.hpp"

namespace {

constexpr const char* kBenchmark = "embedder";
namespace fs = std::filesystem;
using dapt::bench::Better;
using dapt::bench::Result;

dapt::io::LlamaConfig e5_small_shape() {
  dapt::io::LlamaConfig c = dapt::bench::bench_llama_config();
  c.hidden_size = 384;
  c.intermediate_size = 1536;
  c.num_hidden_layers = 12;
  c.num_attention_heads = 12;
  c.num_key_value_heads = 12;
  c.head_dim = 32;
  c.max_position_embeddings = 512;
  return c;
}

/// Passage i: `len[i]` ids of the splitmix sequence, starting at a seeded offset.
std::vector<std::vector<std::int32_t>> make_passages(std::int64_t n, std::int64_t vocab) {
  const std::vector<std::int32_t> ids = dapt::bench::splitmix_ids(n * 128, vocab);
  std::vector<std::vector<std::int32_t>> out;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t len = 64 + (ids[static_cast<std::size_t>(i * 128)] % 65);
    out.emplace_back(ids.begin() + i * 128, ids.begin() + i * 128 + len);
  }
  return out;
}

double time_embedding(dapt::embed::Embedder<dapt::Cpu>& e, const std::vector<std::vector<std::int32_t>>& p,
                      std::int64_t batch, int reps, dapt::Tensor<dapt::Cpu>* out) {
  std::vector<double> s;
  for (int r = 0; r < reps + 1; ++r) {  // one warm-up
    const auto t0 = std::chrono::steady_clock::now();
    dapt::Tensor<dapt::Cpu> emb = e.embed_ids(p, batch);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) s.push_back(dt);
    if (out) *out = std::move(emb);
  }
  return dapt::bench::summarize(s).median;
}

int run(int argc, char** argv) {
  double passages = 256, batch = 32, reps = 2;
  const auto opt = dapt::bench::parse_options(argc, argv, {{"--passages", &passages}, {"--batch", &batch}, {"--reps", &reps}});
  const int threads = dapt::apply_thread_policy();
  dapt::bench::print_header(kBenchmark);
  const auto n = static_cast<std::int64_t>(passages), b = static_cast<std::int64_t>(batch);
  dapt::embed::EmbedderConfig c;
  c.model = e5_small_shape();
  c.causal = true;
  c.max_length = 128;
  dapt::embed::Embedder<dapt::Cpu> causal(c);
  causal.init_weights(7, 0.02);
  const fs::path dir = opt.data_dir / "embedder_bench_model";
  dapt::embed::save_embedder(causal, dir);
  c.causal = false;
  auto bidirectional = dapt::embed::load_embedder(dir, c);  // same weights
  const auto p = make_passages(n, c.model.vocab_size);
  // The ids for the peer: one line per passage.
  {
    std::ofstream f(dir / "passages.txt");
    for (const auto& s : p) {
      for (std::size_t j = 0; j < s.size(); ++j) f << (j ? " " : "") << s[j];
      f << "\n";
    }
  }
  dapt::Tensor<dapt::Cpu> ours_emb;
  const double t_causal = time_embedding(causal, p, b, static_cast<int>(reps), &ours_emb);
  const double t_bi = time_embedding(*bidirectional, p, b, static_cast<int>(reps), nullptr);
  std::printf("ours causal       : %.3f s for %lld passages, %.1f passages/s\n", t_causal, static_cast<long long>(n),
              static_cast<double>(n) / t_causal);
  std::printf("ours bidirectional: %.3f s, %.1f passages/s\n", t_bi, static_cast<double>(n) / t_bi);
  {
    std::ofstream f(dir / "ours.f32", std::ios::binary);
    f.write(reinterpret_cast<const char*>(ours_emb.data<float>()), static_cast<std::streamsize>(ours_emb.numel() * 4));
  }

  std::string peer_name = "torch", error;
  std::optional<double> peer_s;
  bool same = true;
  if (!fs::exists(opt.python)) {
    error = "no Python at " + opt.python.string() + " (run benchmarks/setup)";
  } else {
    using dapt::bench::shell_quote;
    const auto r = dapt::bench::run_command(shell_quote(opt.python.string()) + " " +
                                            shell_quote((opt.peers_dir / "embedder.py").string()) + " --model " +
                                            shell_quote(dir.string()) + " --batch " + std::to_string(b) + " --threads " +
                                            std::to_string(threads) + " --reps " + std::to_string(static_cast<int>(reps)));
    if (r.exit_code != 0) {
      error = "peer exited with status " + std::to_string(r.exit_code);
    } else {
      const boost::json::object o = dapt::bench::last_json_line(r.out);
      peer_name = "torch " + std::string(o.at("torch").as_string()) + " + transformers " +
                  std::string(o.at("transformers").as_string());
      peer_s = o.at("seconds_median").to_number<double>();
      const double rel = o.at("relative_l2_vs_ours").to_number<double>();
      std::printf("peer              : %.3f s, %.1f passages/s; embeddings vs ours: relative L2 %.2e\n", *peer_s,
                  static_cast<double>(n) / *peer_s, rel);
      same = rel < 1e-4;
    }
  }
  if (!error.empty()) std::fprintf(stderr, "peer not compared: %s\n", error.c_str());
  std::vector<Result> results;
  char shape[128];
  std::snprintf(shape, sizeof shape, " (d384 L12 ffn1536, %lld passages of 64-128 tokens, batch %lld)",
                static_cast<long long>(n), static_cast<long long>(b));
  for (const auto& [name, t] : {std::pair{"causal", t_causal}, std::pair{"bidirectional", t_bi}}) {
    Result r;
    r.benchmark = kBenchmark;
    r.metric = std::string("embedding passages/s, ours ") + name + shape;
    r.unit = "passages/s";
    r.better = Better::kHigher;
    r.threads = threads;
    r.peer = peer_name + " (LlamaModel, causal)";
    r.ours = static_cast<double>(n) / t;
    if (peer_s) r.peer_value = static_cast<double>(n) / *peer_s;
    results.push_back(r);
  }
  if (!same) std::fprintf(stderr, "embeddings differ from the peer's: not the same work\n");
  return dapt::bench::finish(kBenchmark, results, opt, same, error.empty());
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
