// The embedder: pooling (mean, last, first; with and without L2 normalisation) against a
// double-precision reference and central differences; bidirectional attention in the model (a
// token sees later tokens; padding, left or right, changes nothing); the causal setting agrees
// with the language model's trunk; embed_ids equals row-by-row embedding; a numerical gradient
// check through the whole embedder; sentence-transformers save/load round trips, starting from a
// causal LM checkpoint, and hostile folders.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "dapt/embed/embedder.hpp"
#include "dapt/retrieval/flat_index.hpp"
#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt_catch.hpp"
#include "dapt/extern_templates.hpp"
#include "test_util.hpp"
#include "model_util.hpp"

using namespace dapt;
namespace fs = std::filesystem;

namespace {

/// The shared small shape with room for 128 positions.
io::LlamaConfig embed_config() {
  io::LlamaConfig c = dapt_test::small_llama_config();
  c.max_position_embeddings = 128;
  return c;
}

std::unique_ptr<embed::Embedder<Cpu>> make_embedder(embed::Pooling pooling = embed::Pooling::kMean, bool causal = false,
                                                    bool normalize = true, std::uint64_t seed = 5) {
  embed::EmbedderConfig c;
  c.model = embed_config();
  c.pooling = pooling;
  c.causal = causal;
  c.normalize = normalize;
  auto e = std::make_unique<embed::Embedder<Cpu>>(c);
  e->init_weights(seed, 0.1);
  return e;
}

Tensor<Cpu> i32(Shape s, const std::vector<std::int32_t>& v) {
  Tensor<Cpu> t = Tensor<Cpu>::empty(s, DType::kI32);
  std::copy(v.begin(), v.end(), t.data<std::int32_t>());
  return t;
}

using Seqs = std::vector<std::vector<std::int32_t>>;

std::vector<float> row(const TensorView<Cpu>& e, std::int64_t r) {
  return std::vector<float>(e.data<const float>() + r * e.dim(1), e.data<const float>() + (r + 1) * e.dim(1));
}

double rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  return dapt_test::relative_l2(a.data(), b.data(), static_cast<std::int64_t>(a.size()));
}

/// Double reference of pooling + normalisation for one row.
std::vector<double> pool_ref(const std::vector<double>& h, const std::vector<int>& m, std::int64_t T, std::int64_t C,
                             ops::PoolMode mode, bool normalize) {
  std::vector<double> p(static_cast<std::size_t>(C), 0.0);
  std::int64_t first = -1, last = -1, count = 0;
  for (std::int64_t t = 0; t < T; ++t)
    if (m[static_cast<std::size_t>(t)]) {
      if (first < 0) first = t;
      last = t;
      ++count;
      for (std::int64_t c = 0; c < C; ++c) p[static_cast<std::size_t>(c)] += h[static_cast<std::size_t>(t * C + c)];
    }
  if (mode == ops::PoolMode::kMean) {
    for (auto& x : p) x /= static_cast<double>(count);
  } else {
    const std::int64_t t = mode == ops::PoolMode::kLastToken ? last : first;
    for (std::int64_t c = 0; c < C; ++c) p[static_cast<std::size_t>(c)] = h[static_cast<std::size_t>(t * C + c)];
  }
  if (normalize) {
    double n = 0;
    for (double x : p) n += x * x;
    n = std::sqrt(n);
    for (auto& x : p) x /= n;
  }
  return p;
}

}  // namespace

TEST_CASE("pooling: forward against a double reference, backward against central differences", "[embed][pooling]") {
  const std::int64_t N = 3, T = 7, C = 5;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1, 1);
  Tensor<Cpu> h = Tensor<Cpu>::empty({N, T, C}, DType::kF32), dout = Tensor<Cpu>::empty({N, C}, DType::kF32);
  for (std::int64_t i = 0; i < h.numel(); ++i) h.data<float>()[i] = dist(rng);
  for (std::int64_t i = 0; i < dout.numel(); ++i) dout.data<float>()[i] = dist(rng);
  // Right padded, left padded, full.
  const std::vector<std::int32_t> mv = {1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  const Tensor<Cpu> mask = i32({N, T}, mv);
  for (auto mode : {ops::PoolMode::kMean, ops::PoolMode::kLastToken, ops::PoolMode::kFirstToken}) {
    for (bool normalize : {false, true}) {
      INFO("mode " << ops::pool_mode_name(mode) << " normalize " << normalize);
      Tensor<Cpu> out = Tensor<Cpu>::empty({N, C}, DType::kF32), norms = Tensor<Cpu>::empty({N}, DType::kF32);
      Tensor<Cpu> dh = Tensor<Cpu>::empty({N, T, C}, DType::kF32);
      std::fill(dh.data<float>(), dh.data<float>() + dh.numel(), 7.0f);  // garbage: backward must write every element
      ops::pool_forward(h.view(), mask.view(), out.view(), norms.view(), mode, normalize);
      ops::pool_backward(dout.view(), out.view(), norms.view(), mask.view(), dh.view(), mode, normalize);
      for (std::int64_t n = 0; n < N; ++n) {
        std::vector<double> hn(h.data<float>() + n * T * C, h.data<float>() + (n + 1) * T * C);
        std::vector<int> mn(mv.begin() + n * T, mv.begin() + (n + 1) * T);
        const auto ref = pool_ref(hn, mn, T, C, mode, normalize);
        for (std::int64_t c = 0; c < C; ++c) CHECK(std::abs(out.data<float>()[n * C + c] - ref[static_cast<std::size_t>(c)]) < 1e-6);
        // d/dh of sum(pool(h) * dout), by central differences in double.
        for (std::int64_t i = 0; i < T * C; ++i) {
          auto f = [&](double delta) {
            auto hp = hn;
            hp[static_cast<std::size_t>(i)] += delta;
            const auto p = pool_ref(hp, mn, T, C, mode, normalize);
            double s = 0;
            for (std::int64_t c = 0; c < C; ++c) s += p[static_cast<std::size_t>(c)] * dout.data<float>()[n * C + c];
            return s;
          };
          const double fd = (f(1e-6) - f(-1e-6)) / 2e-6;
          CHECK(std::abs(dh.data<float>()[n * T * C + i] - fd) < 1e-5);
        }
      }
    }
  }
  Tensor<Cpu> out = Tensor<Cpu>::empty({N, C}, DType::kF32), norms = Tensor<Cpu>::empty({N}, DType::kF32);
  const Tensor<Cpu> empty_row = i32({N, T}, std::vector<std::int32_t>(static_cast<std::size_t>(N * T), 0));
  REQUIRE_DAPT_ERROR(ops::pool_forward(h.view(), empty_row.view(), out.view(), norms.view(), ops::PoolMode::kMean, true),
                     kInvalidArgument, "row 0 of the mask has no real token");
}

TEST_CASE("embedder: the CPU computes in fp32 only, bf16 mixed precision is refused", "[embed]") {
  auto e = make_embedder();
  REQUIRE_DAPT_ERROR(e->set_compute_dtype(DType::kBF16), kDtype, "BF16 compute needs the CUDA backend");
  CHECK(e->compute_dtype() == DType::kF32);
  e->set_compute_dtype(DType::kF32);
}

TEST_CASE("embedder: bidirectional attention sees later tokens, and padding on either side changes nothing", "[embed]") {
  auto e = make_embedder();
  const std::vector<std::int32_t> a = {1, 50, 60, 70, 80};
  const std::vector<std::int32_t> b = {1, 50, 60, 70, 81};  // only the last token differs
  // Under causal attention with first-token pooling the first embedding would not change; with
  // bidirectional attention it does.
  auto first = make_embedder(embed::Pooling::kFirstToken);
  const auto ea = first->embed_ids(Seqs{a}), eb = first->embed_ids(Seqs{b});
  CHECK(rel_diff(row(ea.view(), 0), row(eb.view(), 0)) > 1e-3);
  auto first_causal = make_embedder(embed::Pooling::kFirstToken, true);
  const auto ca = first_causal->embed_ids(Seqs{a}), cb = first_causal->embed_ids(Seqs{b});
  CHECK(rel_diff(row(ca.view(), 0), row(cb.view(), 0)) == 0.0);

  const Tensor<Cpu> alone = e->embed_ids(Seqs{a});
  const std::vector<float> ref = row(alone.view(), 0);
  for (int left : {0, 1}) {
    INFO((left ? "left" : "right") << " padding");
    std::vector<std::int32_t> ids, mask;
    const std::vector<std::int32_t> longer = {1, 9, 8, 7, 6, 5, 4, 3};
    for (int r = 0; r < 2; ++r) {
      const auto& s = r == 0 ? a : longer;
      const std::size_t pad = longer.size() - s.size();
      for (std::size_t j = 0; j < longer.size(); ++j) {
        const bool real = left ? j >= pad : j < s.size();
        ids.push_back(real ? s[left ? j - pad : j] : 1234);  // a pad id that is a real token
        mask.push_back(real ? 1 : 0);
      }
    }
    const Tensor<Cpu> ti = i32({2, 8}, ids), tm = i32({2, 8}, mask);
    const TensorView<Cpu> out = e->forward(ti.view(), tm.view());
    CHECK(rel_diff(row(out, 0), ref) < 1e-5);
  }
  // Unit length.
  double n = 0;
  for (float x : ref) n += static_cast<double>(x) * x;
  CHECK(std::abs(n - 1.0) < 1e-5);
}

TEST_CASE("embedder: causal with last-token pooling equals the language model's trunk", "[embed]") {
  embed::EmbedderConfig c;
  c.model = embed_config();
  c.causal = true;
  c.pooling = embed::Pooling::kLastToken;
  c.normalize = false;
  embed::Embedder<Cpu> e(c);
  nn::Llama<Cpu> lm(c.model);
  lm.init_weights(21);
  // Same weights.
  std::map<std::string, nn::Param<Cpu>*> lm_params;
  lm.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) { lm_params[name] = &p; });
  e.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    const nn::Param<Cpu>& src = *lm_params.at("model." + name);
    std::copy_n(src.value().data<const float>(), p.numel(), p.value().data<float>());
  });
  const Tensor<Cpu> ids = i32({1, 6}, {1, 11, 12, 13, 14, 15});
  const TensorView<Cpu> h = lm.trunk().forward(ids.view());
  const std::vector<float> last(h.data<const float>() + 5 * 32, h.data<const float>() + 6 * 32);
  const Tensor<Cpu> emb = e.embed_ids(std::vector<std::vector<std::int32_t>>{{1, 11, 12, 13, 14, 15}});
  CHECK(rel_diff(row(emb.view(), 0), last) < 1e-6);
}

TEST_CASE("embedder: embed_ids batches by length and returns input order", "[embed]") {
  auto e = make_embedder();
  std::vector<std::vector<std::int32_t>> seqs;
  std::mt19937 rng(4);
  for (int i = 0; i < 11; ++i) {
    std::vector<std::int32_t> s{1};
    const int len = 1 + static_cast<int>(rng() % 20);
    for (int j = 0; j < len; ++j) s.push_back(2 + static_cast<std::int32_t>(rng() % 1990));
    seqs.push_back(s);
  }
  const Tensor<Cpu> all = e->embed_ids(seqs, 4);
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    const Tensor<Cpu> one = e->embed_ids(Seqs{seqs[i]});
    INFO("sequence " << i);
    CHECK(rel_diff(row(all.view(), static_cast<std::int64_t>(i)), row(one.view(), 0)) < 1e-5);
  }
  REQUIRE_DAPT_ERROR(e->embed_ids(std::vector<std::vector<std::int32_t>>{{1, 2000}}), kOutOfRange, "outside the vocabulary");
  REQUIRE_DAPT_ERROR(e->embed_ids(std::vector<std::vector<std::int32_t>>{{}}), kInvalidArgument, "sequence 0 is empty");
  const Tensor<Cpu> ids = i32({1, 4}, {1, 2, 3, 4}), holes = i32({1, 4}, {1, 0, 1, 1});
  REQUIRE_DAPT_ERROR(e->forward(ids.view(), holes.view()), kInvalidArgument, "has holes");
}

TEST_CASE("embedder: gradients through pooling, normalisation and the bidirectional trunk match finite differences",
          "[embed][grad]") {
  for (auto pooling : {embed::Pooling::kMean, embed::Pooling::kLastToken}) {
    INFO("pooling " << ops::pool_mode_name(pooling));
    auto e = make_embedder(pooling);
    const Tensor<Cpu> ids = i32({2, 5}, {1, 40, 41, 42, 43, 1, 50, 51, 0, 0});
    const Tensor<Cpu> mask = i32({2, 5}, {1, 1, 1, 1, 1, 1, 1, 1, 0, 0});
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> dist(-1, 1);
    Tensor<Cpu> w = Tensor<Cpu>::empty({2, 32}, DType::kF32);
    for (std::int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = dist(rng);
    auto loss = [&]() {
      const TensorView<Cpu> out = e->forward(ids.view(), mask.view());
      double s = 0;
      for (std::int64_t i = 0; i < out.numel(); ++i) s += static_cast<double>(out.data<const float>()[i]) * w.data<float>()[i];
      return s;
    };
    e->visit_parameters([](const std::string&, nn::Param<Cpu>& p) { p.zero_grad(); });
    (void)loss();
    e->backward(w.view());
    int checked = 0;
    e->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
      if (name.find("layers.1.") == std::string::npos && name != "embed_tokens.weight") return;
      float* v = p.value().data<float>();
      // A few elements of each tensor (for the embedding: rows of tokens in the batch).
      for (int k = 0; k < 3; ++k) {
        const std::int64_t i = name == "embed_tokens.weight" ? 41 * 32 + k * 7 : (k * 7919) % p.numel();
        const float old = v[i];
        const float eps = 1e-2f;
        v[i] = old + eps;
        const double up = loss();
        v[i] = old - eps;
        const double down = loss();
        v[i] = old;
        const double fd = (up - down) / (2 * eps), an = p.grad().data<float>()[i];
        INFO(name << "[" << i << "] analytic " << an << " numeric " << fd);
        CHECK(std::abs(an - fd) <= 2e-3 * std::max(1.0, std::abs(fd)) + 2e-4);
        ++checked;
      }
    });
    CHECK(checked >= 30);
  }
}

TEST_CASE("embedder: sentence-transformers folder round trip, a causal LM checkpoint as start, hostile folders",
          "[embed][io]") {
  dapt_test::TempDir tmp("embedder_io");
  embed::EmbedderConfig c;
  c.model = embed_config();
  c.pooling = embed::Pooling::kLastToken;
  c.query_prefix = "Instruct: find the RTL\nQuery: ";
  c.passage_prefix = "";
  c.max_length = 77;
  c.append_eos = true;
  embed::Embedder<Cpu> e(c);
  e.init_weights(8, 0.1);
  embed::save_embedder(e, tmp.path / "emb");
  for (const char* f : {"config.json", "model.safetensors", "modules.json", "1_Pooling/config.json",
                        "config_sentence_transformers.json", "sentence_bert_config.json", "dapt_embedder.json"})
    CHECK(fs::exists(tmp.path / "emb" / f));
  CHECK(fs::is_directory(tmp.path / "emb" / "2_Normalize"));
  const auto file = io::SafetensorsFile::open(tmp.path / "emb" / "model.safetensors");
  CHECK(file.contains("layers.1.mlp.down_proj.weight"));
  CHECK_FALSE(file.contains("model.norm.weight"));
  auto back = embed::load_embedder(tmp.path / "emb");
  CHECK(back->config().pooling == embed::Pooling::kLastToken);
  CHECK(back->config().query_prefix == c.query_prefix);
  CHECK(back->config().passage_prefix.empty());
  CHECK(back->config().max_length == 77);
  CHECK(back->config().append_eos);
  CHECK_FALSE(back->config().causal);
  const std::vector<std::vector<std::int32_t>> seqs{{1, 5, 6, 7, 0}, {1, 9, 0}};
  const Tensor<Cpu> x = e.embed_ids(seqs), y = back->embed_ids(seqs);
  CHECK(rel_diff(row(x.view(), 0), row(y.view(), 0)) == 0.0);

  // Tokenisation: BOS, prefix, text, EOS, cut to max_length keeping the EOS.
  const auto& tok = dapt_test::bytelevel_tokenizer();
  const auto ids = e.tokenize(tok, "module counter", embed::TextKind::kQuery);
  CHECK(ids.front() == 1);
  CHECK(ids.back() == 0);
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "wire w" + std::to_string(i) + "; ";
  const auto cut = e.tokenize(tok, long_text, embed::TextKind::kPassage);
  CHECK(cut.size() == 77);
  CHECK(cut.back() == 0);

  // A causal LM checkpoint (model.-prefixed, with lm_head) starts an embedder with the defaults.
  nn::Llama<Cpu> lm(embed_config());
  lm.init_weights(3);
  io::save_llama(lm, tmp.path / "lm");
  auto from_lm = embed::load_embedder(tmp.path / "lm");
  CHECK(from_lm->config().pooling == embed::Pooling::kMean);
  CHECK(from_lm->config().query_prefix == "query: ");
  std::vector<float> a, b;
  lm.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    if (name == "model.layers.1.self_attn.k_proj.weight") a = std::vector<float>(p.value().data<float>(), p.value().data<float>() + p.numel());
  });
  from_lm->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    if (name == "layers.1.self_attn.k_proj.weight") b = std::vector<float>(p.value().data<float>(), p.value().data<float>() + p.numel());
  });
  CHECK((!a.empty() && a == b));

  // Hostile folders.
  auto write = [](const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; };
  const fs::path d = tmp.path / "emb";
  write(d / "1_Pooling" / "config.json", R"({"pooling_mode_mean_tokens": true, "pooling_mode_lasttoken": true})");
  REQUIRE_DAPT_ERROR(embed::load_embedder(d), kFormat, "exactly one pooling mode");
  write(d / "1_Pooling" / "config.json", R"({"pooling_mode_max_tokens": true})");
  REQUIRE_DAPT_ERROR(embed::load_embedder(d), kUnsupported, "pooling_mode_max_tokens");
  write(d / "1_Pooling" / "config.json", R"({"pooling_mode_mean_tokens": "yes"})");
  REQUIRE_DAPT_ERROR(embed::load_embedder(d), kFormat, "must be a boolean");
  write(d / "1_Pooling" / "config.json", "{not json");
  REQUIRE_THROWS_AS(embed::load_embedder(d), dapt::Error);
  write(d / "1_Pooling" / "config.json", R"({"pooling_mode_mean_tokens": true})");
  write(d / "modules.json", R"([{"type": "sentence_transformers.models.Dense"}])");
  REQUIRE_DAPT_ERROR(embed::load_embedder(d), kUnsupported, "Dense");
  write(d / "modules.json", R"({"a": 1})");
  REQUIRE_DAPT_ERROR(embed::load_embedder(d), kFormat, "JSON array");
  write(d / "modules.json", R"([])");
  write(d / "dapt_embedder.json", R"({"causal": 1})");
  REQUIRE_DAPT_ERROR(embed::load_embedder(d), kFormat, "\"causal\" must be a boolean");
  write(d / "dapt_embedder.json", R"({"causal": false})");
  write(d / "sentence_bert_config.json", R"({"max_seq_length": -3})");
  REQUIRE_DAPT_ERROR(embed::load_embedder(d), kFormat, "max_seq_length");
  write(d / "sentence_bert_config.json", R"({"max_seq_length": 16})");
  CHECK_NOTHROW(embed::load_embedder(d));
  // Weights that do not fit the config.
  io::save_safetensors(d / "model.safetensors", {{"embed_tokens.weight", x.view()}}, {});
  REQUIRE_DAPT_ERROR(embed::load_embedder(d), kConfig, "embed_tokens.weight");
  fs::remove(d / "model.safetensors");
  REQUIRE_THROWS_AS(embed::load_embedder(d), dapt::Error);
}

TEST_CASE("embedder: dense_searcher embeds the query and searches the index", "[embed][retrieval]") {
  auto e = make_embedder();
  const auto& tok = dapt_test::bytelevel_tokenizer();
  const std::vector<std::string> passages = {"a FIFO with clk_en", "the UART baud divider", "reset synchroniser",
                                             "AXI burst length"};
  const Tensor<Cpu> p = e->embed(tok, passages, embed::TextKind::kPassage);
  retrieval::FlatIndex index(e->dim(), retrieval::Metric::kInnerProduct);
  index.add(std::vector<std::int64_t>{10, 11, 12, 13}, std::span<const float>(p.data<float>(), static_cast<std::size_t>(p.numel())));
  const retrieval::Searcher search = embed::dense_searcher(*e, tok, index);
  const std::vector<retrieval::Hit> hits = search("which block divides the baud clock?", 3);
  const Tensor<Cpu> q = e->embed(tok, std::vector<std::string>{"which block divides the baud clock?"}, embed::TextKind::kQuery);
  const std::vector<retrieval::Hit> expected = index.search(std::span<const float>(q.data<float>(), 32), 3);
  REQUIRE(hits.size() == 3);
  CHECK(hits == expected);
}
