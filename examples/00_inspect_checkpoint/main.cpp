/// @file main.cpp
/// @brief Example 00: open a Hugging Face LLaMA checkpoint (config.json + safetensors, single or
/// sharded, f32/f16/bf16), check that the weights match the config, and print a summary of the
/// config and a table of every tensor with its dtype, shape and statistics (mean, std, max |x|).
/// With `--convert-bf16 DIR` it also writes a bf16 copy, sharded like transformers does
/// (`--shard-mb`), re-opens it and prints the largest relative rounding error per tensor.
///
/// Usage: 00_inspect_checkpoint [CHECKPOINT_DIR] [--convert-bf16 OUT_DIR] [--shard-mb N]
/// Without a directory it inspects the tiny LLaMA fixture bundled in tests/data.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "dapt/core/progress.hpp"
#include "dapt/io/llama_checkpoint.hpp"

namespace {

struct Stats {
  double mean = 0, std = 0, absmax = 0;
  bool finite = true;
};

Stats stats_of(const dapt::Tensor<dapt::Cpu>& t) {
  const float* p = t.data<float>();
  const std::int64_t n = t.numel();
  double s = 0, s2 = 0, m = 0;
  bool finite = true;
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = p[i];
    finite = finite && std::isfinite(v);
    s += v;
    s2 += v * v;
    m = std::max(m, std::abs(v));
  }
  Stats st;
  st.finite = finite;
  if (n > 0) {
    st.mean = s / static_cast<double>(n);
    st.std = std::sqrt(std::max(0.0, s2 / static_cast<double>(n) - st.mean * st.mean));
  }
  st.absmax = m;
  return st;
}

std::string with_commas(std::int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  return examples::run_main(argc, argv, [](std::vector<std::string> args) {
    namespace fs = std::filesystem;
    const auto convert_dir = examples::take_option(args, "--convert-bf16");
    const auto shard_mb = examples::take_option(args, "--shard-mb");
    DAPT_CHECK(args.size() <= 1, "usage: 00_inspect_checkpoint [CHECKPOINT_DIR] [--convert-bf16 OUT_DIR] [--shard-mb N]");
    const fs::path dir = args.empty() ? fs::path(DAPT_EXAMPLE_MODEL_DIR) : fs::path(args[0]);
    const int threads = dapt::apply_thread_policy();

    const dapt::io::LlamaConfig cfg = dapt::io::load_llama_config(dir);
    const auto ckpt = dapt::io::SafetensorsCheckpoint::open(dir);
    dapt::io::check_llama_checkpoint(cfg, ckpt);

    std::printf("checkpoint  %s\n", dir.string().c_str());
    std::printf("config      %s, %lld layers, hidden %lld, heads %lld (kv %lld, GQA %lld:1, head_dim %lld), ffn %lld, vocab %lld\n",
                cfg.model_type.c_str(), (long long)cfg.num_hidden_layers, (long long)cfg.hidden_size,
                (long long)cfg.num_attention_heads, (long long)cfg.num_key_value_heads, (long long)cfg.gqa_ratio(),
                (long long)cfg.head_dim, (long long)cfg.intermediate_size, (long long)cfg.vocab_size);
    std::printf("            rope %s theta %g, rms_norm_eps %g, tied embeddings %s, max positions %lld, saved as %s\n",
                std::string(dapt::io::rope_type_name(cfg.rope.type)).c_str(), cfg.rope.theta, cfg.rms_norm_eps,
                cfg.tie_word_embeddings ? "yes" : "no", (long long)cfg.max_position_embeddings, cfg.dtype.c_str());

    const auto expected = dapt::io::llama_expected_tensors(cfg);
    std::vector<Stats> stats(expected.size());
    std::int64_t params = 0;
    std::uint64_t bytes = 0;
    for (const auto& e : expected) {
      params += e.shape.numel();
      bytes += ckpt.info(e.name).nbytes();
    }
    {
      dapt::ProgressBar bar(static_cast<std::int64_t>(expected.size()), "reading", dapt::ProgressOptions("tensor"));
      for (std::size_t i = 0; i < expected.size(); ++i) {
        stats[i] = stats_of(ckpt.to_f32(expected[i].name));
        bar.advance();
      }
    }
    std::printf("weights     %zu tensors in %zu shard(s), %.2f MB, %s parameters; the layout matches the config (%d threads)\n\n",
                expected.size(), ckpt.shards().size(), static_cast<double>(bytes) / 1e6, with_commas(params).c_str(), threads);
    std::printf("%-46s %-5s %-12s %11s %11s %11s\n", "tensor", "dtype", "shape", "mean", "std", "max|x|");
    int nonfinite = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const auto& info = ckpt.info(expected[i].name);
      std::printf("%-46s %-5s %-12s %11.4g %11.4g %11.4g%s\n", expected[i].name.c_str(),
                  std::string(dapt::dtype_name(info.dtype)).c_str(), info.shape.str().c_str(), stats[i].mean,
                  stats[i].std, stats[i].absmax, stats[i].finite ? "" : "  NON-FINITE");
      nonfinite += stats[i].finite ? 0 : 1;
    }
    if (nonfinite) std::printf("\nwarning: %d tensors hold NaN or Inf\n", nonfinite);

    if (convert_dir) {
      const fs::path out(*convert_dir);
      const std::uint64_t shard_bytes = static_cast<std::uint64_t>(std::stod(shard_mb.value_or("2000")) * 1e6);
      std::vector<dapt::Tensor<dapt::Cpu>> owned;
      std::vector<dapt::io::NamedTensor> list;
      for (const auto& e : expected) {
        const auto f32 = ckpt.to_f32(e.name);
        auto b = dapt::Tensor<dapt::Cpu>::empty(e.shape, dapt::DType::kBF16);
        dapt::convert_from_f32(f32.data<float>(), dapt::DType::kBF16, b.raw(), static_cast<std::size_t>(f32.numel()));
        owned.push_back(b);
        list.push_back({e.name, b.view()});
      }
      fs::create_directories(out);
      dapt::io::save_safetensors_sharded(out, list, shard_bytes, {{"format", "pt"}});
      dapt::io::LlamaConfig bf = cfg;
      bf.dtype = "bfloat16";
      dapt::io::save_llama_config(out / "config.json", bf);
      const auto back = dapt::io::SafetensorsCheckpoint::open(out);
      dapt::io::check_llama_checkpoint(dapt::io::load_llama_config(out), back);
      double worst = 0;
      for (const auto& e : expected) {
        const auto a = ckpt.to_f32(e.name), b = back.to_f32(e.name);
        for (std::int64_t i = 0; i < a.numel(); ++i) {
          const double x = a.data<float>()[i], y = b.data<float>()[i];
          if (x != 0) worst = std::max(worst, std::abs(y - x) / std::abs(x));
        }
      }
      std::printf("\nwrote a bf16 copy to %s (%zu shard(s)); largest relative rounding error %.3g (bf16 bound 2^-9 = %.3g)\n",
                  out.string().c_str(), back.shards().size(), worst, std::ldexp(1.0, -9));
    }
    return 0;
  });
}
