// Activation recomputation (nn::Llama::set_recompute, TrainerOptions::recompute_activations): the
// loss, the logits and every gradient are bitwise those of the plain model (the tiny Hugging Face
// fixture; a random 6-layer GQA model with biases on packed documents, every block or every k-th
// one recomputed; LoRA adapters with dropout on some layers), a Trainer run gives bitwise the
// same losses and weights, the activation memory really drops (the bound is stated at the test),
// and a second step allocates nothing.
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "dapt/core/parallel.hpp"
#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/nn/lora.hpp"
#include "dapt/train/trainer.hpp"
#include "dapt_catch.hpp"
#include "dapt/extern_templates.hpp"
#include "model_util.hpp"
#include "test_util.hpp"

using namespace dapt;
namespace fs = std::filesystem;

namespace {


io::LlamaConfig small_config(std::int64_t layers, bool bias) {
  io::LlamaConfig c;
  c.vocab_size = 96;
  c.hidden_size = 64;
  c.intermediate_size = 128;
  c.num_hidden_layers = layers;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;  // GQA
  c.head_dim = 16;
  c.max_position_embeddings = 128;
  c.rms_norm_eps = 1e-5;
  c.attention_bias = bias;
  c.mlp_bias = bias;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  return c;
}

struct PackedBatch {
  Tensor<Cpu> ids, labels, segs;
};

// Rows of packed documents of random lengths (3 to 12 tokens); the first token of each document
// but the first is not scored (label -100), as the packer does.
PackedBatch packed_batch(std::int64_t b, std::int64_t t, std::int64_t v, std::uint64_t seed) {
  PackedBatch r{Tensor<Cpu>::empty({b, t}, DType::kI32), Tensor<Cpu>::empty({b, t}, DType::kI32),
          Tensor<Cpu>::empty({b, t}, DType::kI32)};
  Rng rng(seed);
  for (std::int64_t i = 0; i < b; ++i) {
    std::int32_t seg = 0;
    std::int64_t left = 3 + static_cast<std::int64_t>(rng.uniform_int(10));
    for (std::int64_t j = 0; j < t; ++j, --left) {
      if (left == 0) {
        ++seg;
        left = 3 + static_cast<std::int64_t>(rng.uniform_int(10));
      }
      const auto id = static_cast<std::int32_t>(3 + rng.uniform_int(static_cast<std::uint64_t>(v - 3)));
      r.ids.data<std::int32_t>()[i * t + j] = id;
      r.segs.data<std::int32_t>()[i * t + j] = seg;
      r.labels.data<std::int32_t>()[i * t + j] = id;
    }
    for (std::int64_t j = 1; j < t; ++j)
      if (r.segs.data<std::int32_t>()[i * t + j] != r.segs.data<std::int32_t>()[i * t + j - 1])
        r.labels.data<std::int32_t>()[i * t + j] = -100;
  }
  return r;
}

std::vector<std::pair<std::string, std::vector<float>>> grads_of(nn::Llama<Cpu>& m) {
  std::vector<std::pair<std::string, std::vector<float>>> g;
  m.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) { g.emplace_back(name, dapt_test::copy_of(p.grad().view())); });
  return g;
}

// What one model computes on a batch: the training step (forward_backward) and, separately,
// forward + backward of a custom loss on the logits (0.5e-3 * sum(logits^2)).
struct Result {
  double loss_sum = 0;
  std::vector<std::pair<std::string, std::vector<float>>> grads;
  std::vector<float> logits;
  std::vector<std::pair<std::string, std::vector<float>>> logit_grads;
};

Result run(nn::Llama<Cpu>& m, const PackedBatch& batch, bool packed) {
  Result r;
  const TensorView<Cpu> segs = packed ? TensorView<Cpu>(batch.segs) : TensorView<Cpu>();
  m.zero_grad();
  nn::LossOptions lo;
  lo.segment_ids = segs;
  r.loss_sum = m.forward_backward(batch.ids, batch.labels, lo).sum;
  r.grads = grads_of(m);
  m.zero_grad();
  const TensorView<Cpu> logits = m.forward(batch.ids, segs);
  r.logits = dapt_test::copy_of(logits);
  Tensor<Cpu> dlogits = Tensor<Cpu>::empty(logits.shape(), DType::kF32);
  for (std::int64_t i = 0; i < logits.numel(); ++i) dlogits.data<float>()[i] = 1e-3f * logits.data<const float>()[i];
  m.backward(dlogits);
  r.logit_grads = grads_of(m);
  return r;
}

void check_same(const Result& want, const Result& got) {
  CHECK(std::memcmp(&want.loss_sum, &got.loss_sum, sizeof(double)) == 0);
  CHECK(dapt_test::same_bits(want.logits, got.logits));
  REQUIRE(want.grads.size() == got.grads.size());
  for (std::size_t i = 0; i < want.grads.size(); ++i) {
    INFO(want.grads[i].first);
    CHECK(want.grads[i].first == got.grads[i].first);
    CHECK(dapt_test::same_bits(want.grads[i].second, got.grads[i].second));
    CHECK(dapt_test::same_bits(want.logit_grads[i].second, got.logit_grads[i].second));
  }
}

std::int64_t buffer_allocations(nn::Llama<Cpu>& m) {
  std::int64_t n = 0;
  m.visit_buffers([&n](nn::Buffer<Cpu>& b) { n += b.allocations(); });
  return n;
}

// Bytes of heap in use (all arenas, mmapped chunks included); 0 where not measurable.
std::size_t heap_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#else
  return 0;
#endif
}

}  // namespace

TEST_CASE("recompute: the tiny fixture's loss, logits and gradients are bitwise unchanged", "[nn][recompute]") {
  ThreadScope threads(2);
  auto model = io::load_llama(dapt_test::tiny_llama_dir());
  const PackedBatch batch = packed_batch(2, 24, model->config().vocab_size, 3);
  auto cached_logits = [&] {  // KV-cache prefill: generation runs through the same blocks
    nn::KvCache<Cpu> cache(model->config(), 2, 32);
    return dapt_test::copy_of(model->forward_cached(batch.ids, cache, 0));
  };
  const Result plain = run(*model, batch, false);
  const std::vector<float> cached = cached_logits();
  model->set_recompute({.enabled = true});
  CHECK(model->recompute().enabled);
  check_same(plain, run(*model, batch, false));
  check_same(plain, run(*model, batch, false));  // again: nothing stale is carried between steps
  CHECK(dapt_test::same_bits(cached, cached_logits()));
  model->set_recompute({});
  check_same(plain, run(*model, batch, false));
}

TEST_CASE("recompute: a random 6-layer GQA model on packed documents, every block or every k-th",
          "[nn][recompute][packing]") {
  ThreadScope threads(2);
  nn::Llama<Cpu> model(small_config(6, true));
  model.init_weights(21);
  const PackedBatch batch = packed_batch(2, 40, 96, 9);
  const Result plain = run(model, batch, true);
  for (std::int64_t every : {1, 2, 4, 6}) {
    INFO("every " << every);
    model.set_recompute({.enabled = true, .every = every});
    check_same(plain, run(model, batch, true));
  }
  model.set_recompute({});
  check_same(plain, run(model, batch, true));
  REQUIRE_DAPT_ERROR(model.set_recompute({.enabled = true, .every = 0}), kInvalidArgument, "every must be >= 1");
}

TEST_CASE("recompute: the activation memory drops to one block plus one hidden state per layer",
          "[nn][recompute][memory]") {
  ThreadScope threads(2);
  const std::int64_t layers = 6, b = 2, t = 64, d = 64;
  const io::LlamaConfig cfg = small_config(layers, false);
  const PackedBatch batch = packed_batch(b, t, cfg.vocab_size, 5);
  auto step = [&](nn::Llama<Cpu>& m) {
    nn::LossOptions lo;
    lo.segment_ids = batch.segs;
    (void)m.forward_backward(batch.ids, batch.labels, lo);
  };
  {  // warm up the thread pool and the kernels' lazily created state outside the measurement
    nn::Llama<Cpu> warm(cfg);
    warm.init_weights(1);
    step(warm);
  }
  nn::Llama<Cpu> plain(cfg), recomputed(cfg);
  plain.init_weights(1);
  recomputed.init_weights(1);
  recomputed.set_recompute({.enabled = true});
  std::size_t heap0 = heap_in_use();
  step(plain);
  const std::size_t plain_heap = heap_in_use() - heap0;
  heap0 = heap_in_use();
  step(recomputed);
  const std::size_t recomputed_heap = heap_in_use() - heap0;

  // The buffers' own account. Without recomputation: L blocks of (internal A + dx O + output O)
  // plus the model's M (embedding output, final norm, head chunk, index buffers). With it: the L
  // outputs (each the next block's saved input), one shared set of A, two shared dx of O, and M:
  // exactly (L - 1) A + (L - 2) O less.
  const std::size_t plain_bytes = plain.activation_bytes(), recomputed_bytes = recomputed.activation_bytes();
  std::size_t a = 0;
  plain.layer(0).visit_internal_buffers([&a](nn::Buffer<Cpu>& buf) { a += buf.capacity(); });
  const std::size_t o = static_cast<std::size_t>(b * t * d) * sizeof(float);
  INFO("activation bytes: plain " << plain_bytes << ", recomputed " << recomputed_bytes << "; block internal " << a
                                  << ", hidden state " << o << "; heap growth of the first step: plain " << plain_heap
                                  << ", recomputed " << recomputed_heap);
  CHECK(recomputed_bytes == plain_bytes - static_cast<std::size_t>(layers - 1) * a - static_cast<std::size_t>(layers - 2) * o);
  std::size_t outputs = 0;
  for (std::int64_t l = 0; l < layers; ++l) {
    std::size_t out = 0, internal = 0;
    recomputed.layer(l).visit_buffers([&out](nn::Buffer<Cpu>& buf) { out += buf.capacity(); });
    recomputed.layer(l).visit_internal_buffers([&internal](nn::Buffer<Cpu>& buf) { internal += buf.capacity(); });
    CHECK(internal == 0);  // everything a recomputed block needs lives in the shared set
    CHECK(recomputed.layer(l).dx_buffer().capacity() == 0);
    outputs += out;
  }
  CHECK(outputs == static_cast<std::size_t>(layers) * o);
  // The bound. A block's activations A are ~26 hidden states O here (12 C + 4 C_kv + 6 C_ff floats
  // per token with the projections' outputs), M ~ 5.6 O, so for 6 layers the ratio
  // (6 (A + 2 O) + M) / (6 O + A + 2 O + M) is about 4.4: require 4, of the buffers' account and of
  // the heap, measured independently.
  CHECK(recomputed_bytes * 4 < plain_bytes);
  if (heap_in_use() > 0) CHECK(recomputed_heap * 4 < plain_heap);
}

TEST_CASE("recompute: LoRA adapters with dropout on some layers replay the same masks", "[nn][recompute][lora]") {
  ThreadScope threads(2);
  nn::Llama<Cpu> model(small_config(4, false));
  model.init_weights(4);
  nn::LoraConfig lc;
  lc.r = 4;
  lc.alpha = 8;
  lc.dropout = 0.2f;
  lc.target_modules = {"all-linear"};
  lc.layers_to_transform = {0, 2, 3};  // blocks of different make-up share one set of buffers
  lc.seed = 7;
  REQUIRE(nn::apply_lora(model, lc) > 0);
  nn::set_lora_training(model, true);
  const PackedBatch batch = packed_batch(2, 32, 96, 6);
  // Two micro-batches (the second draws new masks) from dropout generation 0.
  auto run = [&] {
    nn::visit_lora_adapters<nn::Llama<Cpu>, Cpu>(
        model, [](const std::string&, nn::Linear<Cpu>&, nn::LoraAdapter<Cpu>& a) { a.set_generation(0); });
    model.zero_grad();
    nn::LossOptions lo;
    lo.segment_ids = batch.segs;
    Result r;
    for (int k = 0; k < 2; ++k) r.loss_sum += model.forward_backward(batch.ids, batch.labels, lo).sum;
    model.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
      if (p.trainable()) r.grads.emplace_back(name, dapt_test::copy_of(p.grad().view()));
    });
    return r;
  };
  const Result plain = run();
  for (std::int64_t every : {1, 2}) {
    INFO("every " << every);
    model.set_recompute({.enabled = true, .every = every});
    const Result got = run();
    CHECK(std::memcmp(&plain.loss_sum, &got.loss_sum, sizeof(double)) == 0);
    REQUIRE(got.grads.size() == plain.grads.size());
    for (std::size_t i = 0; i < got.grads.size(); ++i) {
      INFO(got.grads[i].first);
      CHECK(dapt_test::same_bits(plain.grads[i].second, got.grads[i].second));
    }
  }
}

TEST_CASE("recompute: a second step at the same shape allocates nothing", "[nn][recompute][memory]") {
  ThreadScope threads(2);
  nn::Llama<Cpu> model(small_config(4, false));
  model.init_weights(3);
  const PackedBatch batch = packed_batch(2, 32, 96, 4);
  for (std::int64_t every : {1, 3}) {
    INFO("every " << every);
    model.set_recompute({.enabled = true, .every = every});
    auto step = [&] {
      model.zero_grad();
      nn::LossOptions lo;
      lo.segment_ids = batch.segs;
      (void)model.forward_backward(batch.ids, batch.labels, lo);
    };
    step();
    const std::int64_t allocations = buffer_allocations(model);
    const std::size_t heap = heap_in_use();
    CHECK(allocations > 0);
    step();
    step();
    CHECK(buffer_allocations(model) == allocations);
    CHECK(heap_in_use() < heap + 4096);  // no tensor-sized growth (the test framework keeps a few bytes)
  }
}

namespace {

// Packed rows of random documents; row k of the stream depends on k only.
struct SyntheticData {
  std::int64_t index = 0;
  std::int64_t seq_len() const { return 24; }
  void next_batch(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const TensorView<Cpu>& segs) {
    const std::int64_t b = ids.dim(0), t = ids.dim(1);
    for (std::int64_t i = 0; i < b; ++i) {
      const PackedBatch row = packed_batch(1, t, 96, 100 + static_cast<std::uint64_t>(index++));
      std::memcpy(ids.data<std::int32_t>() + i * t, row.ids.data<std::int32_t>(), static_cast<std::size_t>(t) * 4);
      std::memcpy(labels.data<std::int32_t>() + i * t, row.labels.data<std::int32_t>(), static_cast<std::size_t>(t) * 4);
      std::memcpy(segs.data<std::int32_t>() + i * t, row.segs.data<std::int32_t>(), static_cast<std::size_t>(t) * 4);
    }
  }
  train::DataState state() const { return {.index = index}; }
  void set_state(const train::DataState& s) { index = s.index; }
};

// A model without set_recompute.
struct PlainModel {
  nn::Llama<Cpu>& inner;
  void visit_parameters(const nn::ParamVisitor<Cpu>& fn) { inner.visit_parameters(fn); }
  nn::LossResult forward_backward(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const nn::LossOptions& o) {
    return inner.forward_backward(ids, labels, o);
  }
  nn::LossResult forward_loss(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const nn::LossOptions& o) {
    return inner.forward_loss(ids, labels, o);
  }
};

}  // namespace

TEST_CASE("Trainer: recompute_activations gives bitwise the same losses and weights", "[train][trainer][recompute]") {
  ThreadScope threads(2);
  train::TrainerOptions o;
  o.micro_batch = 2;
  o.grad_accum = 2;
  o.max_steps = 4;
  o.schedule.lr = 5e-3;
  o.progress = false;
  auto train_run = [&](bool recompute, nn::Llama<Cpu>& model) {
    SyntheticData data;
    train::TrainerOptions opt = o;
    opt.recompute_activations = recompute;
    train::Trainer<train::Full, Cpu> trainer(model, data, opt);
    CHECK(model.recompute().enabled == recompute);
    std::vector<double> out;
    trainer.set_on_step([&](const train::StepInfo& s) {
      out.push_back(s.loss);
      out.push_back(s.grad_norm);
      return true;
    });
    (void)trainer.fit();
    return out;
  };
  nn::Llama<Cpu> a(small_config(3, false)), b(small_config(3, false));
  a.init_weights(8);
  b.init_weights(8);
  const std::vector<double> plain = train_run(false, a), recomputed = train_run(true, b);
  REQUIRE(plain.size() == 8);
  REQUIRE(recomputed.size() == plain.size());
  CHECK(std::memcmp(plain.data(), recomputed.data(), plain.size() * sizeof(double)) == 0);
  const auto ga = grads_of(a), gb = grads_of(b);  // gradients of the last step
  REQUIRE(ga.size() == gb.size());
  for (std::size_t i = 0; i < ga.size(); ++i) CHECK(dapt_test::same_bits(ga[i].second, gb[i].second));
  std::vector<float> wa, wb;
  a.visit_parameters([&](const std::string&, nn::Param<Cpu>& p) {
    const auto w = dapt_test::copy_of(p.value().view());
    wa.insert(wa.end(), w.begin(), w.end());
  });
  b.visit_parameters([&](const std::string&, nn::Param<Cpu>& p) {
    const auto w = dapt_test::copy_of(p.value().view());
    wb.insert(wb.end(), w.begin(), w.end());
  });
  CHECK(dapt_test::same_bits(wa, wb));
  CHECK(b.activation_bytes() < a.activation_bytes());

  nn::Llama<Cpu> inner(small_config(2, false));
  PlainModel plain_model{inner};
  SyntheticData data;
  train::TrainerOptions opt = o;
  opt.recompute_activations = true;
  REQUIRE_DAPT_ERROR((train::Trainer<train::Full, Cpu, PlainModel>(plain_model, data, opt)), kUnsupported,
                     "recompute_activations");
}
