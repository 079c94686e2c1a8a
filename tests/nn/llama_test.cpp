// nn::Llama beyond the reference fixture: checkpoint round trips (f32, bf16, sharded, tied, both
// config layouts), configs that contradict the weights, packed sequences with document masks,
// batch and KV-cache consistency, vocabulary resizing (ChipNeMo initialisation), generation
// (sampling, EOS, stop strings, streaming) and the no-allocation-per-step rule.
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/nn/generate.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/nn/resize_vocab.hpp"
#include "dapt/tokenizer/builders.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt/train/optimizer.hpp"
#include "dapt_catch.hpp"
#include "dapt/extern_templates.hpp"
#include "model_util.hpp"
#include "test_util.hpp"

// Counts heap allocations of at least 4 KiB (tensor-sized), to show that a training or decode
// step at a fixed shape allocates no activation or workspace memory.
namespace {
std::atomic<std::int64_t> g_large_allocations{0};
}
void* operator new(std::size_t n) {
  if (n >= 4096) g_large_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// Every replaceable form goes through malloc/free, so allocation and release always pair up
// (AddressSanitizer checks that new and free are not mixed). GCC 13 does not know that this
// operator new is malloc, and warns where a sized delete, inlined into a std::map, frees it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (n >= 4096) g_large_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
// Tensor storage comes from std::aligned_alloc (core/tensor.hpp): interpose it in this executable.
extern "C" void* aligned_alloc(std::size_t alignment, std::size_t n) noexcept {
  if (n >= 4096) g_large_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = nullptr;
  return posix_memalign(&p, alignment < sizeof(void*) ? sizeof(void*) : alignment, n ? n : 1) == 0 ? p : nullptr;
}
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace dapt;
namespace fs = std::filesystem;

namespace {

io::LlamaConfig tiny_config(bool tied = false) {
  io::LlamaConfig c;
  c.vocab_size = 96;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.max_position_embeddings = 64;
  c.rms_norm_eps = 1e-5;
  c.tie_word_embeddings = tied;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  return c;
}

Tensor<Cpu> random_ids(std::int64_t b, std::int64_t t, std::int64_t v, std::uint64_t seed) {
  Tensor<Cpu> ids = Tensor<Cpu>::empty({b, t}, DType::kI32);
  Rng rng(seed);
  for (std::int64_t i = 0; i < b * t; ++i) ids.data<std::int32_t>()[i] = static_cast<std::int32_t>(3 + rng.uniform_int(static_cast<std::uint64_t>(v - 3)));
  return ids;
}

double rel_l2(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  return dapt_test::relative_l2(a.data(), b.data(), static_cast<std::int64_t>(a.size()));
}

const fs::path kFixture = dapt_test::tiny_llama_dir();

}  // namespace

TEST_CASE("save_llama and load_llama round-trip f32, bf16, sharded and tied checkpoints", "[nn][llama][io]") {
  dapt_test::TempDir tmp("llama_roundtrip");
  auto model = io::load_llama(kFixture);
  const Tensor<Cpu> ids = random_ids(2, 9, model->config().vocab_size, 7);
  const auto ref = dapt_test::copy_of(model->forward(ids));

  SECTION("f32, both config layouts: identical logits") {
    for (auto layout : {io::ConfigLayout::kLegacy, io::ConfigLayout::kTransformers5}) {
      io::save_llama(*model, tmp.path / "f32", {.layout = layout});
      auto again = io::load_llama(tmp.path / "f32");
      CHECK(dapt_test::copy_of(again->forward(ids)) == ref);
    }
  }
  SECTION("bf16 on disk loads back within bf16 rounding") {
    io::save_llama(*model, tmp.path / "bf16", {.dtype = DType::kBF16});
    CHECK(io::SafetensorsFile::open(tmp.path / "bf16" / "model.safetensors").info("lm_head.weight").dtype == DType::kBF16);
    CHECK(io::load_llama_config(tmp.path / "bf16").dtype == "bfloat16");
    auto again = io::load_llama(tmp.path / "bf16");
    const double e = rel_l2(dapt_test::copy_of(again->forward(ids)), ref);
    CHECK(e > 0);
    CHECK(e < 2e-2);
  }
  SECTION("sharded, then single again: the stale index is removed") {
    io::save_llama(*model, tmp.path / "sh", {.max_shard_bytes = 100000});
    CHECK(fs::exists(tmp.path / "sh" / "model.safetensors.index.json"));
    CHECK(dapt_test::copy_of(io::load_llama(tmp.path / "sh")->forward(ids)) == ref);
    io::save_llama(*model, tmp.path / "sh");
    CHECK_FALSE(fs::exists(tmp.path / "sh" / "model.safetensors.index.json"));
    CHECK(dapt_test::copy_of(io::load_llama(tmp.path / "sh")->forward(ids)) == ref);
  }
  SECTION("a tied model saves no lm_head.weight and reloads identically") {
    nn::Llama<Cpu> tied(tiny_config(true));
    tied.init_weights(3);
    const Tensor<Cpu> tids = random_ids(2, 5, 96, 1);
    const auto tref = dapt_test::copy_of(tied.forward(tids));
    io::save_llama(tied, tmp.path / "tied");
    const auto file = io::SafetensorsFile::open(tmp.path / "tied" / "model.safetensors");
    const auto names = file.names();
    CHECK(std::find(names.begin(), names.end(), "lm_head.weight") == names.end());
    CHECK(names.size() == 1 + 2 * 9 + 1);
    auto again = io::load_llama(tmp.path / "tied");
    CHECK(again->config().tie_word_embeddings);
    CHECK(dapt_test::copy_of(again->forward(tids)) == tref);
  }
}

TEST_CASE("a config that contradicts the weights names the tensor and both shapes", "[nn][llama][io]") {
  dapt_test::TempDir tmp("llama_contradict");
  fs::copy(kFixture, tmp.path / "m");
  auto cfg = io::load_llama_config(kFixture);
  cfg.intermediate_size = 180;
  io::save_llama_config(tmp.path / "m" / "config.json", cfg);
  REQUIRE_DAPT_ERROR(io::load_llama(tmp.path / "m"), kConfig, "model.layers.0.mlp.gate_proj.weight\" has shape (176, 64) but the config implies (180, 64)");
  cfg.intermediate_size = 176;
  cfg.num_hidden_layers = 1;
  io::save_llama_config(tmp.path / "m" / "config.json", cfg);
  REQUIRE_DAPT_ERROR(io::load_llama(tmp.path / "m"), kConfig, "model.layers.1.");
  cfg.num_hidden_layers = 2;
  cfg.num_key_value_heads = 4;
  io::save_llama_config(tmp.path / "m" / "config.json", cfg);
  REQUIRE_DAPT_ERROR(io::load_llama(tmp.path / "m"), kConfig, "k_proj.weight\" has shape (32, 64) but the config implies (64, 64)");
}

TEST_CASE("bad ids, labels and positions are clear errors", "[nn][llama]") {
  nn::Llama<Cpu> model(tiny_config());
  model.init_weights(1);
  Tensor<Cpu> ids = random_ids(1, 4, 96, 2);
  ids.data<std::int32_t>()[2] = 96;
  REQUIRE_DAPT_ERROR(model.forward(ids), kOutOfRange, "token id 96 at position 2");
  ids.data<std::int32_t>()[2] = 5;
  Tensor<Cpu> labels = ids.clone();
  labels.data<std::int32_t>()[3] = 500;
  REQUIRE_DAPT_ERROR(model.forward_loss(ids, labels), kOutOfRange, "label 500");
  const Tensor<Cpu> wrong = Tensor<Cpu>::zeros({1, 3}, DType::kI32);
  REQUIRE_DAPT_ERROR(model.forward_loss(ids, wrong), kShape, "labels of shape (1, 3)");
  const Tensor<Cpu> f = Tensor<Cpu>::zeros({1, 4}, DType::kF32);
  REQUIRE_DAPT_ERROR(model.forward(f), kDtype, "ids must be I32");
}

TEST_CASE("packed documents with segment ids equal each document run alone", "[nn][llama][packing]") {
  nn::Llama<Cpu> model(tiny_config());
  model.init_weights(11);
  const Tensor<Cpu> a = random_ids(1, 7, 96, 1), b = random_ids(1, 5, 96, 2);
  Tensor<Cpu> packed = Tensor<Cpu>::empty({1, 12}, DType::kI32), seg = Tensor<Cpu>::empty({1, 12}, DType::kI32);
  for (int i = 0; i < 12; ++i) {
    packed.data<std::int32_t>()[i] = i < 7 ? a.data<std::int32_t>()[i] : b.data<std::int32_t>()[i - 7];
    seg.data<std::int32_t>()[i] = i < 7 ? 0 : 1;
  }
  const auto la = dapt_test::copy_of(model.forward(a)), lb = dapt_test::copy_of(model.forward(b));
  const auto lp = dapt_test::copy_of(model.forward(packed, seg));
  const std::size_t v = 96;
  CHECK(rel_l2(std::vector<float>(lp.begin(), lp.begin() + 7 * v), la) < 1e-6);
  CHECK(rel_l2(std::vector<float>(lp.begin() + 7 * v, lp.end()), lb) < 1e-6);
  // Without the mask the second document sees the first: the logits differ.
  const auto lu = dapt_test::copy_of(model.forward(packed));
  CHECK(rel_l2(std::vector<float>(lu.begin() + 7 * v, lu.end()), lb) > 1e-3);
  // The loss of the packed row equals the token-weighted loss of the two documents when the
  // boundary target is masked.
  Tensor<Cpu> labels = packed.clone();
  labels.data<std::int32_t>()[7] = -100;
  const auto pl = model.forward_loss(packed, labels, {.segment_ids = seg});
  const auto al = model.forward_loss(a, TensorView<Cpu>()), bl = model.forward_loss(b, TensorView<Cpu>());
  CHECK(pl.tokens == al.tokens + bl.tokens);
  CHECK(std::abs(pl.sum - (al.sum + bl.sum)) < 1e-4);
}

TEST_CASE("a batch equals its rows run alone, and gradient accumulation equals the big batch", "[nn][llama]") {
  nn::Llama<Cpu> model(tiny_config());
  model.init_weights(5);
  const Tensor<Cpu> ids = random_ids(3, 10, 96, 4);
  const auto all = dapt_test::copy_of(model.forward(ids));
  for (std::int64_t r = 0; r < 3; ++r) {
    Tensor<Cpu> row = Tensor<Cpu>::empty({1, 10}, DType::kI32);
    std::copy(ids.data<std::int32_t>() + r * 10, ids.data<std::int32_t>() + r * 10 + 10, row.data<std::int32_t>());
    const auto one = dapt_test::copy_of(model.forward(row));
    CHECK(rel_l2(std::vector<float>(all.begin() + r * 10 * 96, all.begin() + (r + 1) * 10 * 96), one) < 1e-6);
  }
  // Gradients of the 3-row batch (mean loss) == sum of per-row gradients with the total as normalizer.
  model.zero_grad();
  const auto full = model.forward_backward(ids, TensorView<Cpu>());
  std::vector<std::vector<float>> g_full;
  model.visit_parameters([&](const std::string&, nn::Param<Cpu>& p) { g_full.push_back(dapt_test::copy_of(p.grad().view())); });
  model.zero_grad();
  for (std::int64_t r = 0; r < 3; ++r) {
    Tensor<Cpu> row = Tensor<Cpu>::empty({1, 10}, DType::kI32);
    std::copy(ids.data<std::int32_t>() + r * 10, ids.data<std::int32_t>() + r * 10 + 10, row.data<std::int32_t>());
    (void)model.forward_backward(row, TensorView<Cpu>(), {.normalizer = static_cast<double>(full.tokens)});
  }
  std::size_t i = 0;
  model.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    INFO(name);
    CHECK(rel_l2(dapt_test::copy_of(p.grad().view()), g_full[i++]) < 1e-5);
  });
}

TEST_CASE("KV-cache prefill and decode equal the full forward, rows of different lengths", "[nn][llama][generate]") {
  nn::Llama<Cpu> model(tiny_config());
  model.init_weights(9);
  const Tensor<Cpu> ids = random_ids(2, 12, 96, 8);
  const auto full = dapt_test::copy_of(model.forward(ids));
  nn::KvCache<Cpu> cache(model.config(), 2, 16);
  REQUIRE_DAPT_ERROR(nn::KvCache<Cpu>(model.config(), 2, 16, DType::kBF16), kDtype, "keys and values are F32, not BF16");
  REQUIRE_DAPT_ERROR(model.set_compute_dtype(DType::kBF16), kDtype, "BF16 compute needs the CUDA backend");
  CHECK(model.compute_dtype() == DType::kF32);
  // Row 0: prefill 5 then decode 7 single tokens; row 1: prefill 8 then decode 4, batched with row 0.
  auto logits_at = [&](std::int64_t r, std::int64_t t) {
    return std::vector<float>(full.begin() + (r * 12 + t) * 96, full.begin() + (r * 12 + t + 1) * 96);
  };
  Tensor<Cpu> p0 = Tensor<Cpu>::empty({1, 5}, DType::kI32);
  std::copy(ids.data<std::int32_t>(), ids.data<std::int32_t>() + 5, p0.data<std::int32_t>());
  CHECK(rel_l2(dapt_test::copy_of(model.forward_cached(p0, cache, 0)), logits_at(0, 4)) < 1e-5);
  Tensor<Cpu> p1 = Tensor<Cpu>::empty({1, 8}, DType::kI32);
  std::copy(ids.data<std::int32_t>() + 12, ids.data<std::int32_t>() + 20, p1.data<std::int32_t>());
  CHECK(rel_l2(dapt_test::copy_of(model.forward_cached(p1, cache, 1)), logits_at(1, 7)) < 1e-5);
  CHECK(cache.length(0) == 5);
  CHECK(cache.length(1) == 8);
  for (int s = 0; s < 4; ++s) {
    std::int32_t step[2] = {ids.data<std::int32_t>()[5 + s], ids.data<std::int32_t>()[12 + 8 + s]};
    const auto out = dapt_test::copy_of(model.forward_cached(TensorView<Cpu>(step, DType::kI32, {2, 1}), cache, 0));
    CHECK(rel_l2(std::vector<float>(out.begin(), out.begin() + 96), logits_at(0, 5 + s)) < 1e-5);
    CHECK(rel_l2(std::vector<float>(out.begin() + 96, out.end()), logits_at(1, 8 + s)) < 1e-5);
  }
  std::int32_t tok = 5;
  (void)model.forward_cached(TensorView<Cpu>(&tok, DType::kI32, {1, 1}), cache, 1);
  (void)model.forward_cached(TensorView<Cpu>(&tok, DType::kI32, {1, 1}), cache, 1);
  (void)model.forward_cached(TensorView<Cpu>(&tok, DType::kI32, {1, 1}), cache, 1);
  (void)model.forward_cached(TensorView<Cpu>(&tok, DType::kI32, {1, 1}), cache, 1);
  REQUIRE_DAPT_ERROR(model.forward_cached(TensorView<Cpu>(&tok, DType::kI32, {1, 1}), cache, 1), kOutOfRange,
                     "beyond its capacity of 16");
}

TEST_CASE("resize_vocab: ChipNeMo initialisation keeps base logits unchanged", "[nn][llama][resize]") {
  for (bool tied : {false, true}) {
    INFO("tied " << tied);
    nn::Llama<Cpu> model(tiny_config(tied));
    model.init_weights(21);
    const Tensor<Cpu> ids = random_ids(2, 6, 96, 3);
    const auto before = dapt_test::copy_of(model.forward(ids));
    std::vector<float> e5(model.embed_tokens().weight().value().data<float>() + 5 * 32,
                          model.embed_tokens().weight().value().data<float>() + 6 * 32);
    std::vector<float> e9(model.embed_tokens().weight().value().data<float>() + 9 * 32,
                          model.embed_tokens().weight().value().data<float>() + 10 * 32);
    std::vector<tokenizer::NewToken> added(3);
    added[0].id = 96, added[0].content = "ab", added[0].decomposition = {5, 9};
    added[1].id = 97, added[1].content = "abc", added[1].decomposition = {5, 9, 9};
    added[2].id = 98, added[2].content = "x", added[2].decomposition = {7};
    const std::int64_t v = nn::resize_vocab(model, added, {.pad_to_multiple_of = 64});
    CHECK(v == 128);
    CHECK(model.config().vocab_size == 128);
    CHECK(model.embed_tokens().weight().value().shape() == Shape({128, 32}));
    const float* e = model.embed_tokens().weight().value().data<float>();
    for (int j = 0; j < 32; ++j) {
      CHECK(e[96 * 32 + j] == Approx((e5[j] + e9[j]) / 2).epsilon(1e-6));
      CHECK(e[97 * 32 + j] == Approx((e5[j] + 2 * e9[j]) / 3).epsilon(1e-6));
    }
    const auto after = dapt_test::copy_of(model.forward(ids));
    for (std::int64_t r = 0; r < 12; ++r) {
      const std::vector<float> a(after.begin() + r * 128, after.begin() + r * 128 + 96);
      const std::vector<float> b(before.begin() + r * 96, before.begin() + (r + 1) * 96);
      CHECK(rel_l2(a, b) < 1e-6);
      if (!tied)
        for (int j = 96; j < 128; ++j) CHECK(after[static_cast<std::size_t>(r * 128 + j)] == 0.0f);
    }
    // The resized model trains: gradients reach the new rows, and an id of the new vocabulary is accepted.
    Tensor<Cpu> with_new = ids.clone();
    with_new.data<std::int32_t>()[1] = 97;
    model.zero_grad();
    (void)model.forward_backward(with_new, TensorView<Cpu>());
    double g = 0;
    for (int j = 0; j < 32; ++j) g += std::abs(model.embed_tokens().weight().grad().data<float>()[97 * 32 + j]);
    CHECK(g > 0);
  }
  nn::Llama<Cpu> model(tiny_config());
  std::vector<tokenizer::NewToken> bad(1);
  bad[0].id = 96;
  REQUIRE_DAPT_ERROR(nn::resize_vocab(model, bad), kInvalidArgument, "empty decomposition");
  bad[0].decomposition = {100};
  REQUIRE_DAPT_ERROR(nn::resize_vocab(model, bad), kInvalidArgument, "not a base id");
  bad[0].id = 50;
  REQUIRE_DAPT_ERROR(nn::resize_vocab(model, bad), kInvalidArgument, "not above the current vocabulary");
}

TEST_CASE("generate: seeded sampling, EOS, stop strings and streaming", "[nn][llama][generate]") {
  auto model = io::load_llama(kFixture);
  const auto tok = tokenizer::load_tokenizer(fs::path(DAPT_TEST_DATA_DIR) / "tokenizers" / "bytelevel_bpe.tokenizer.json");
  const std::vector<std::int32_t> prompt = {5, 17, 42, 99, 120, 7};
  nn::GenerationOptions greedy;
  greedy.max_new_tokens = 12;
  greedy.ignore_config_eos = true;

  SECTION("batch generation equals one prompt at a time") {
    const std::vector<std::vector<std::int32_t>> prompts = {prompt, {9, 8, 7}, {200, 201, 202, 203, 204, 205, 206, 207}};
    const auto batch = nn::generate(*model, prompts, greedy);
    for (std::size_t i = 0; i < prompts.size(); ++i) CHECK(batch[i].tokens == nn::generate(*model, prompts[i], greedy).tokens);
    CHECK(batch[0].reason == nn::StopReason::kLength);
    CHECK(batch[0].tokens.size() == 12);
  }
  SECTION("sampling is reproducible from the seed") {
    nn::GenerationOptions s = greedy;
    s.sampling = {.temperature = 1.5f, .top_k = 50, .top_p = 0.95f, .repetition_penalty = 1.1f, .greedy = false};
    s.seed = 42;
    const auto a = nn::generate(*model, prompt, s), b = nn::generate(*model, prompt, s);
    CHECK(a.tokens == b.tokens);
    s.seed = 43;
    CHECK(nn::generate(*model, prompt, s).tokens != a.tokens);
  }
  SECTION("an EOS id stops the row and is reported") {
    const auto free_run = nn::generate(*model, prompt, greedy);
    nn::GenerationOptions e = greedy;
    e.eos_token_ids = {free_run.tokens[4]};
    const auto out = nn::generate(*model, prompt, e);
    CHECK(out.reason == nn::StopReason::kEos);
    const auto first = std::find(free_run.tokens.begin(), free_run.tokens.end(), free_run.tokens[4]);
    CHECK(out.tokens == std::vector<std::int32_t>(free_run.tokens.begin(), first + 1));
  }
  SECTION("streamed pieces concatenate to the text; a stop string ends it before the string") {
    std::string streamed;
    const auto full = nn::generate(*model, prompt, greedy, &tok, [&](std::size_t, std::int32_t, std::string_view piece) {
      streamed += piece;
      return true;
    });
    CHECK(streamed == full.text);
    CHECK(full.text == tok.decode(full.tokens));
    REQUIRE(full.text.size() >= 6);
    nn::GenerationOptions st = greedy;
    st.stop_strings = {full.text.substr(full.text.size() / 2, 3)};
    streamed.clear();
    const auto stopped = nn::generate(*model, prompt, st, &tok, [&](std::size_t, std::int32_t, std::string_view piece) {
      streamed += piece;
      return true;
    });
    CHECK(stopped.reason == nn::StopReason::kStopString);
    CHECK(stopped.text == full.text.substr(0, full.text.find(st.stop_strings[0])));
    CHECK(streamed == stopped.text);
  }
  SECTION("a prompt id outside the vocabulary is named before anything runs") {
    const std::int32_t v = static_cast<std::int32_t>(model->config().vocab_size);
    REQUIRE_DAPT_ERROR((nn::generate(*model, std::vector<std::vector<std::int32_t>>{prompt, {3, v}}, greedy)), kOutOfRange,
                       "prompt 1 token 1 is id " + std::to_string(v));
    REQUIRE_DAPT_ERROR(nn::generate(*model, std::vector<std::int32_t>{-1}, greedy), kOutOfRange, "prompt 0 token 0 is id -1");
  }
  SECTION("the callback can stop a row") {
    int calls = 0;
    const auto out = nn::generate(*model, prompt, greedy, nullptr, [&](std::size_t, std::int32_t, std::string_view) {
      return ++calls < 3;
    });
    CHECK(out.reason == nn::StopReason::kCallback);
    CHECK(out.tokens.size() == 3);
  }
}

TEST_CASE("generate picks the tokens of a plain decode loop: full forwards and nn::Sampler", "[nn][llama][generate]") {
  // The reference recomputes each row's whole context without a KV cache and samples its last
  // logits with one nn::Sampler, rows taking their draws in generate's order (every unfinished
  // row once per round, in row order). A tokenizer of 256 byte tokens leaves ids 256..319 of the
  // model unsampled.
  auto model = io::load_llama(kFixture);
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.emplace_back(1, static_cast<char>(b));
  const auto tok = tokenizer::make_byte_level_tokenizer(bytes, {}, {});
  REQUIRE(tok.vocab_size() == 256);
  const std::vector<std::vector<std::int32_t>> prompts = {{5, 17, 42, 99, 120, 7}, {9, 8, 7}, {200, 201, 202, 203}};
  auto reference = [&](const nn::GenerationOptions& o, std::int64_t allowed) {
    nn::Sampler sampler(o.sampling, o.seed);
    std::vector<std::vector<std::int32_t>> context = prompts, out(prompts.size());
    for (std::int64_t round = 0; round < o.max_new_tokens; ++round)
      for (std::size_t i = 0; i < prompts.size(); ++i) {
        const auto t = static_cast<std::int64_t>(context[i].size());
        const TensorView<Cpu> ids(context[i].data(), DType::kI32, {1, t});
        const float* last = model->forward(ids).data<const float>() + (t - 1) * model->config().vocab_size;
        std::vector<float> row(last, last + allowed);
        const std::int32_t next = sampler.sample(row, context[i]);
        context[i].push_back(next);
        out[i].push_back(next);
      }
    return out;
  };
  nn::GenerationOptions o;
  o.max_new_tokens = 8;
  o.ignore_config_eos = true;
  for (const auto& sampling : {nn::SamplingOptions{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f,
                                                   .repetition_penalty = 1.0f, .greedy = true},
                               nn::SamplingOptions{.temperature = 0.0f, .top_k = 0, .top_p = 1.0f,
                                                   .repetition_penalty = 1.5f, .greedy = false},
                               nn::SamplingOptions{.temperature = 1.3f, .top_k = 30, .top_p = 0.9f,
                                                   .repetition_penalty = 1.2f, .greedy = false},
                               nn::SamplingOptions{.temperature = 0.8f, .top_k = 0, .top_p = 1.0f,
                                                   .repetition_penalty = 1.0f, .greedy = false}}) {
    o.sampling = sampling;
    for (std::uint64_t seed : {3u, 4u}) {
      o.seed = seed;
      INFO("temperature " << sampling.temperature << ", top_k " << sampling.top_k << ", top_p " << sampling.top_p
                          << ", penalty " << sampling.repetition_penalty << ", seed " << seed);
      const auto want = reference(o, model->config().vocab_size);
      const auto got = nn::generate(*model, prompts, o);
      const auto want_tok = reference(o, 256);
      const auto got_tok = nn::generate(*model, prompts, o, &tok);
      for (std::size_t i = 0; i < prompts.size(); ++i) {
        CHECK(got[i].tokens == want[i]);
        CHECK(got_tok[i].tokens == want_tok[i]);
        for (auto t : got_tok[i].tokens) CHECK(t < 256);
      }
    }
  }
  // A prompt id the tokenizer does not have (a padding row of the model) is named.
  REQUIRE_DAPT_ERROR(nn::generate(*model, std::vector<std::int32_t>{5, 300}, o, &tok), kOutOfRange,
                     "prompt 0 token 1 is id 300, which the tokenizer (256 ids) does not have");
  nn::GenerationOptions bad = o;
  bad.sampling.top_p = 0.0f;
  REQUIRE_DAPT_ERROR(nn::generate(*model, std::vector<std::int32_t>{5}, bad), kInvalidArgument, "top_p");
  nn::GenerationOptions none;
  none.max_new_tokens = 0;
  CHECK(nn::generate(*model, std::vector<std::int32_t>{5}, none).tokens.empty());
}

TEST_CASE("a training step and a decode step at a fixed shape allocate no tensor memory", "[nn][llama][memory]") {
  auto model = io::load_llama(kFixture);
  const Tensor<Cpu> ids = random_ids(2, 16, model->config().vocab_size, 1);
  train::AdamW<Cpu> opt({.lr = 1e-3});
  auto step = [&] {
    model->zero_grad();
    (void)model->forward_backward(ids, TensorView<Cpu>());
    (void)train::clip_grad_norm(*model, 1.0);
    opt.step(*model);
  };
  const auto start = g_large_allocations.load();
  step();
  const auto before = g_large_allocations.load();
  CHECK(before > start);  // the first step plans its buffers: the counter sees tensor allocations
  step();
  step();
  CHECK(g_large_allocations.load() == before);

  const auto before_cache = g_large_allocations.load();
  nn::KvCache<Cpu> cache(model->config(), 2, 40);
  CHECK(g_large_allocations.load() > before_cache);
  std::int32_t next[2] = {3, 4};
  (void)model->forward_cached(ids, cache, 0);
  (void)model->forward_cached(TensorView<Cpu>(next, DType::kI32, {2, 1}), cache, 0);
  const auto before_decode = g_large_allocations.load();
  for (int i = 0; i < 5; ++i) (void)model->forward_cached(TensorView<Cpu>(next, DType::kI32, {2, 1}), cache, 0);
  CHECK(g_large_allocations.load() == before_decode);
}

TEST_CASE("a model loaded from GGUF gives the safetensors model's logits", "[nn][llama][gguf]") {
  // tests/data/gguf/llama_tiny_f32.gguf is the fixture checkpoint converted by llama.cpp's gguf-py.
  auto from_st = io::load_llama(kFixture);
  auto from_gguf = io::load_llama_gguf(fs::path(DAPT_TEST_DATA_DIR) / "gguf" / "llama_tiny_f32.gguf");
  CHECK(from_gguf->config().num_key_value_heads == from_st->config().num_key_value_heads);
  const Tensor<Cpu> ids = random_ids(2, 11, from_st->config().vocab_size, 12);
  CHECK(dapt_test::copy_of(from_gguf->forward(ids)) == dapt_test::copy_of(from_st->forward(ids)));
}
