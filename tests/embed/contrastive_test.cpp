// Contrastive training: InfoNCE against a double-precision reference and central differences
// (in-batch + hard negatives, duplicates masked, symmetric, the logit scale); GradCache chunking
// gives the gradients of one pass (full fine-tuning and LoRA); the dataset's layout, shuffling and
// state; JSON Lines pairs with hostile lines; and train::Trainer over the embedder, Full and LoRA:
// the loss falls, validation runs, and 6 + resume + 6 steps equal 12 bit for bit.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "dapt/embed/contrastive.hpp"
#include "dapt/embed/contrastive_data.hpp"
#include "dapt/io/lora_checkpoint.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/train/trainer.hpp"
#include "dapt_catch.hpp"
#include "dapt/extern_templates.hpp"
#include "test_util.hpp"
#include "model_util.hpp"

using namespace dapt;
namespace fs = std::filesystem;

namespace {

Tensor<Cpu> random_unit_rows(std::int64_t n, std::int64_t c, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  Tensor<Cpu> t = Tensor<Cpu>::empty({n, c}, DType::kF32);
  for (std::int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::int64_t j = 0; j < c; ++j) s += std::pow(t.data<float>()[i * c + j] = dist(rng), 2);
    for (std::int64_t j = 0; j < c; ++j) t.data<float>()[i * c + j] /= static_cast<float>(std::sqrt(s));
  }
  return t;
}

/// The InfoNCE sum in double, written from the definition.
double info_nce_ref(const std::vector<double>& q, const std::vector<double>& p, std::int64_t B, std::int64_t P,
                    std::int64_t C, const std::vector<std::int64_t>& keys, double scale, bool symmetric) {
  auto dot = [&](std::int64_t i, std::int64_t j) {
    double s = 0;
    for (std::int64_t c = 0; c < C; ++c) s += q[static_cast<std::size_t>(i * C + c)] * p[static_cast<std::size_t>(j * C + c)];
    return scale * s;
  };
  double sum = 0;
  for (std::int64_t i = 0; i < B; ++i) {
    double z = 0;
    for (std::int64_t j = 0; j < P; ++j)
      if (j == i || keys[static_cast<std::size_t>(j)] != keys[static_cast<std::size_t>(i)]) z += std::exp(dot(i, j));
    sum += std::log(z) - dot(i, i);
  }
  if (!symmetric) return sum;
  double back = 0;
  for (std::int64_t i = 0; i < B; ++i) {
    double z = 0;
    for (std::int64_t j = 0; j < B; ++j)
      if (j == i || keys[static_cast<std::size_t>(j)] != keys[static_cast<std::size_t>(i)]) z += std::exp(dot(j, i));
    back += std::log(z) - dot(i, i);
  }
  return 0.5 * (sum + back);
}

std::unique_ptr<embed::Embedder<Cpu>> tiny_embedder(std::uint64_t seed = 3) {
  embed::EmbedderConfig c;
  c.model = dapt_test::small_llama_config();
  c.max_length = 24;
  auto e = std::make_unique<embed::Embedder<Cpu>>(c);
  e->init_weights(seed, 0.1);
  return e;
}

/// Synthetic chip-design retrieval pairs: the query names a signal and a module, the positive
/// passage describes it, negatives describe other signals of the same module.
std::vector<embed::ContrastivePair> make_pairs(int n) {
  const char* modules[] = {"fifo", "uart", "alu", "dma", "spi", "i2c", "cache", "timer"};
  const char* signals[] = {"clk_en", "rst_n", "valid", "ready", "full", "empty", "irq", "data_out"};
  std::vector<embed::ContrastivePair> out;
  for (int i = 0; i < n; ++i) {
    const std::string m = modules[i % 8], s = signals[(i / 8) % 8];
    embed::ContrastivePair p;
    p.query = "what does " + s + " do in the " + m;
    p.positive = "In the " + m + " block, " + s + " is asserted when the " + m + " " + s + " condition holds.";
    for (int k = 1; k <= 3; ++k) {
      const std::string o = signals[((i / 8) + k) % 8];
      p.negatives.push_back("In the " + m + " block, " + o + " is asserted when the " + m + " " + o + " condition holds.");
    }
    out.push_back(std::move(p));
  }
  return out;
}

template <class Model>
std::vector<float> all_grads(Model& m) {
  std::vector<float> g;
  m.visit_parameters([&](const std::string&, nn::Param<Cpu>& p) {
    if (!p.trainable()) return;
    g.insert(g.end(), p.grad().template data<const float>(), p.grad().template data<const float>() + p.numel());
  });
  return g;
}

template <class Model>
void zero_grads(Model& m) {
  m.visit_parameters([](const std::string&, nn::Param<Cpu>& p) { p.zero_grad(); });
}

}  // namespace

TEST_CASE("InfoNCE: loss against the definition, gradients against central differences", "[embed][loss]") {
  const std::int64_t B = 4, k = 2, P = B + B * k, C = 6;
  const Tensor<Cpu> q = random_unit_rows(B, C, 1), p = random_unit_rows(P, C, 2);
  // Passage 6 duplicates query 1's positive; passage 9 duplicates query 3's.
  std::vector<std::int64_t> keys(static_cast<std::size_t>(P));
  std::iota(keys.begin(), keys.end(), 100);
  keys[6] = keys[1];
  keys[9] = keys[3];
  for (bool symmetric : {false, true}) {
    for (double scale : {20.0, 1.0 / 0.01}) {
      INFO("symmetric " << symmetric << " scale " << scale);
      Tensor<Cpu> dq = Tensor<Cpu>::empty(q.shape(), DType::kF32), dp = Tensor<Cpu>::empty(p.shape(), DType::kF32);
      double dls = 0;
      const auto r = embed::info_nce(q.view(), p.view(), keys, scale, symmetric, 0.25, dq.view(), dp.view(), &dls);
      std::vector<double> qd(q.data<const float>(), q.data<const float>() + q.numel());
      std::vector<double> pd(p.data<const float>(), p.data<const float>() + p.numel());
      const double ref = info_nce_ref(qd, pd, B, P, C, keys, scale, symmetric);
      CHECK(std::abs(r.sum - ref) <= 1e-4 * std::abs(ref));
      CHECK(r.count == B);
      const double h = 1e-4;
      for (std::size_t i = 0; i < qd.size(); ++i) {
        auto x = qd;
        x[i] += h;
        const double up = info_nce_ref(x, pd, B, P, C, keys, scale, symmetric);
        x[i] -= 2 * h;
        const double fd = 0.25 * (up - info_nce_ref(x, pd, B, P, C, keys, scale, symmetric)) / (2 * h);
        CHECK(std::abs(dq.data<float>()[i] - fd) <= 2e-3 * std::max(1.0, std::abs(fd)));
      }
      for (std::size_t i = 0; i < pd.size(); ++i) {
        auto x = pd;
        x[i] += h;
        const double up = info_nce_ref(qd, x, B, P, C, keys, scale, symmetric);
        x[i] -= 2 * h;
        const double fd = 0.25 * (up - info_nce_ref(qd, x, B, P, C, keys, scale, symmetric)) / (2 * h);
        CHECK(std::abs(dp.data<float>()[i] - fd) <= 2e-3 * std::max(1.0, std::abs(fd)));
      }
      // d / d log(scale).
      const double hs = 1e-5;
      const double fd = 0.25 * (info_nce_ref(qd, pd, B, P, C, keys, scale * std::exp(hs), symmetric) -
                                info_nce_ref(qd, pd, B, P, C, keys, scale * std::exp(-hs), symmetric)) / (2 * hs);
      CHECK(std::abs(dls - fd) <= 1e-3 * std::max(1.0, std::abs(fd)));
    }
  }
  // Duplicate-aware: a passage with the positive's content (here its very embedding, as a true
  // duplicate has) is not a negative. Queries 1 and 3 get positives equal to themselves, so that
  // the positive dominates their candidates at scale 50: unmasked, the duplicate would score as
  // high and cost about log 2 for each; masked, it costs nothing.
  {
    Tensor<Cpu> pdup = Tensor<Cpu>::empty(p.shape(), DType::kF32);
    std::copy_n(p.data<const float>(), p.numel(), pdup.data<float>());
    for (const auto& [query, dup] : {std::pair<std::int64_t, std::int64_t>{1, 6}, {3, 9}}) {
      std::copy_n(q.data<const float>() + query * C, C, pdup.data<float>() + query * C);
      std::copy_n(q.data<const float>() + query * C, C, pdup.data<float>() + dup * C);
    }
    std::vector<std::int64_t> distinct(static_cast<std::size_t>(P));
    std::iota(distinct.begin(), distinct.end(), 100);
    const auto with_dup = embed::info_nce(q.view(), pdup.view(), keys, 50.0, false);
    const auto unmasked = embed::info_nce(q.view(), pdup.view(), distinct, 50.0, false);
    CHECK(unmasked.sum - with_dup.sum > 1.0);  // about 2 log 2 = 1.39, less what the other negatives add
    CHECK(unmasked.sum - with_dup.sum < 2 * std::log(2.0) + 1e-4);
  }
  const std::vector<std::int64_t> few(3, 0);
  REQUIRE_DAPT_ERROR(embed::info_nce(q.view(), p.view(), few, 50.0, false), kShape, "3 keys for 12 passages");
  REQUIRE_DAPT_ERROR(embed::info_nce(q.view(), p.view(), keys, -1.0, false), kNumeric, "logit scale");
}

TEST_CASE("GradCache: chunked and unchunked give the same loss and gradients (full and LoRA)", "[embed][gradcache]") {
  const ThreadScope one_thread(1);  // a tiny model: see the Trainer test below
  const auto pairs = make_pairs(12);
  for (bool lora : {false, true}) {
    for (bool symmetric : {false, true}) {
      INFO("lora " << lora << " symmetric " << symmetric);
      auto e = tiny_embedder();
      if (lora) {
        nn::LoraConfig lc;
        lc.target_modules = {"q_proj", "v_proj", "down_proj"};
        lc.r = 4;
        lc.alpha = 8;
        lc.seed = 5;
        nn::apply_lora(*e, lc);
        // Non-zero B so the adapters' gradients are non-trivial.
        e->visit_parameters([](const std::string& name, nn::Param<Cpu>& p) {
          if (name.find("lora_B") != std::string::npos)
            for (std::int64_t i = 0; i < p.numel(); ++i) p.value().data<float>()[i] = 0.01f * static_cast<float>((i % 7) - 3);
        });
      }
      embed::ContrastiveDataOptions dopt;
      dopt.max_len = 24;
      dopt.hard_negatives = 2;
      embed::ContrastiveDataset data(*e, dapt_test::bytelevel_tokenizer(), pairs, dopt);
      const std::int64_t b = 4, rows = b * data.rows_per_example();
      Tensor<Cpu> ids = Tensor<Cpu>::empty({rows, 24}, DType::kI32), labels = Tensor<Cpu>::empty({rows, 24}, DType::kI32);
      data.next_batch(ids.view(), labels.view());
      std::vector<std::vector<float>> grads;
      std::vector<double> losses;
      for (std::int64_t chunk : {0, 5}) {
        embed::ContrastiveOptions co;
        co.hard_negatives = 2;
        co.symmetric = symmetric;
        co.temperature = 0.05;
        co.learn_temperature = true;
        co.chunk_rows = chunk;
        embed::ContrastiveModel m(*e, co);
        if (lora) nn::set_lora_trainable(m, nn::LoraConfig{});
        zero_grads(m);
        const auto r = m.forward_backward(ids.view(), labels.view());
        CHECK(r.tokens == b);
        losses.push_back(r.loss);
        grads.push_back(all_grads(m));
      }
      CHECK(grads[0].size() > 0);
      for (std::size_t i = 1; i < grads.size(); ++i) {
        CHECK(std::abs(losses[i] - losses[0]) <= 1e-5 * std::abs(losses[0]));
        CHECK(dapt_test::relative_l2(grads[i].data(), grads[0].data(), static_cast<std::int64_t>(grads[0].size())) < 1e-5);
      }
    }
  }
}

TEST_CASE("contrastive data: layout, negatives, shuffling, state, validation", "[embed][data]") {
  auto e = tiny_embedder();
  auto pairs = make_pairs(10);
  pairs[2].negatives.resize(1);  // fewer than k: the other negative row stays empty
  embed::ContrastiveDataOptions o;
  o.max_len = 20;
  o.hard_negatives = 2;
  o.validation_pairs = 2;
  o.shuffle_seed = 4;
  embed::ContrastiveDataset data(*e, dapt_test::bytelevel_tokenizer(), pairs, o);
  CHECK(data.train_examples() == 8);
  CHECK(data.rows_per_example() == 4);
  const std::int64_t b = 8, rows = b * 4, t = 20;
  Tensor<Cpu> ids = Tensor<Cpu>::empty({rows, t}, DType::kI32), labels = Tensor<Cpu>::empty({rows, t}, DType::kI32);
  data.next_batch(ids.view(), labels.view());
  // One epoch: every training example's query once; rows of an example agree with its pair.
  std::vector<std::int32_t> first_tokens;
  std::int64_t empty_rows = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    const bool any = labels.data<std::int32_t>()[r * t] >= 0;
    if (!any) ++empty_rows;
    for (std::int64_t j = 0; j < t; ++j) {
      const std::int32_t l = labels.data<std::int32_t>()[r * t + j];
      CHECK((l < 0 || l == ids.data<std::int32_t>()[r * t + j]));
    }
  }
  CHECK(empty_rows == 1);
  CHECK(data.count_scored(labels.view()) == 8);
  // The query row tokenises "query: " + the query, with BOS.
  const auto state = data.state();
  Tensor<Cpu> ids2 = Tensor<Cpu>::empty({rows, t}, DType::kI32), labels2 = Tensor<Cpu>::empty({rows, t}, DType::kI32);
  data.next_batch(ids2.view(), labels2.view());  // epoch 2: another order
  CHECK(std::memcmp(ids.data<std::int32_t>(), ids2.data<std::int32_t>(), static_cast<std::size_t>(b * t) * 4) != 0);
  data.set_state(state);
  Tensor<Cpu> ids3 = Tensor<Cpu>::empty({rows, t}, DType::kI32), labels3 = Tensor<Cpu>::empty({rows, t}, DType::kI32);
  data.next_batch(ids3.view(), labels3.view());
  CHECK(std::memcmp(ids2.data<std::int32_t>(), ids3.data<std::int32_t>(), static_cast<std::size_t>(rows * t) * 4) == 0);
  // Validation: 2 real examples, the rest empty.
  CHECK(data.fill_validation(0, ids.view(), labels.view()) == 2);
  CHECK(data.count_scored(labels.view()) == 2);
  CHECK(data.fill_validation(2, ids.view(), labels.view()) == 0);
  // Another dataset's state is refused.
  embed::ContrastiveDataOptions o2 = o;
  o2.max_len = 19;
  embed::ContrastiveDataset other(*e, dapt_test::bytelevel_tokenizer(), pairs, o2);
  REQUIRE_THROWS_AS(other.set_state(state), dapt::Error);
  Tensor<Cpu> odd = Tensor<Cpu>::empty({rows - 1, t}, DType::kI32);
  REQUIRE_DAPT_ERROR(data.next_batch(odd.view(), odd.view()), kShape, "ContrastiveDataset");
}

TEST_CASE("contrastive pairs from JSON Lines, and hostile lines", "[embed][data]") {
  dapt_test::TempDir tmp("pairs");
  auto write = [&](const std::string& s) {
    std::ofstream(tmp.path / "p.jsonl", std::ios::binary) << s;
    return tmp.path / "p.jsonl";
  };
  const auto ok = embed::read_pairs_jsonl(
      write("{\"query\": \"q1\", \"positive\": \"p1\", \"negatives\": [\"n1\", \"n2\"], \"id\": 7}\n\n"
            "{\"query\": \"q2\", \"positive\": \"p2\"}\r\n"));
  REQUIRE(ok.size() == 2);
  CHECK(ok[0].negatives.size() == 2);
  CHECK(ok[1].positive == "p2");
  const std::pair<const char*, const char*> bad[] = {
      {"{\"query\": \"q\"}", "\"positive\" must be a string"},
      {"{\"query\": 3, \"positive\": \"p\"}", "\"query\" must be a string"},
      {"{\"query\": \"\", \"positive\": \"p\"}", "\"query\" is empty"},
      {"{\"query\": \"q\", \"positive\": \"p\", \"negatives\": \"n\"}", "array of strings"},
      {"{\"query\": \"q\", \"positive\": \"p\", \"negatives\": [1]}", "non-empty strings"},
      {"[1, 2]", "p.jsonl:1"},
      {"{\"query\": \"q\", \"positive\": \"p\"", "p.jsonl:1"},
      {"\xff\xfe", "p.jsonl:1"},
  };
  for (const auto& [text, needle] : bad) {
    INFO(text);
    REQUIRE_THROWS_AS(embed::read_pairs_jsonl(write(text)), dapt::Error);
    CHECK_DAPT_ERROR_MESSAGE(embed::read_pairs_jsonl(write(text)), needle);
  }
  REQUIRE_DAPT_ERROR(embed::read_pairs_jsonl(tmp.path / "missing.jsonl"), kIo, "missing.jsonl");
}

namespace {

train::TrainerOptions contrastive_options(const fs::path& ckpt, std::int64_t steps) {
  train::TrainerOptions o;
  o.micro_batch = 4;
  o.max_steps = steps;
  o.schedule.lr = 3e-3;
  o.adamw.weight_decay = 0.0;
  o.clip = 1.0;
  o.progress = false;
  o.seed = 2;
  o.checkpoint_dir = ckpt;
  o.checkpoint_every = 6;
  o.eval_every = 6;
  return o;
}

}  // namespace

TEST_CASE("Trainer over the embedder: the loss falls, validation runs, and resume is bitwise (Full and LoRA)",
          "[embed][train]") {
  // One thread: the model is tiny (parallel regions would cost more than they save when ctest
  // runs two test programs on two cores), and bitwise resume is checked at a fixed thread count.
  const ThreadScope one_thread(1);
  const auto pairs = make_pairs(32);
  for (bool lora : {false, true}) {
    INFO("lora " << lora);
    dapt_test::TempDir tmp(lora ? "emb_trainer_lora" : "emb_trainer_full");
    embed::ContrastiveDataOptions dopt;
    dopt.max_len = 16;
    dopt.hard_negatives = 1;
    dopt.validation_pairs = 4;
    embed::ContrastiveOptions copt;
    copt.hard_negatives = 1;
    copt.temperature = 0.05;
    copt.chunk_rows = 5;  // GradCache inside the Trainer
    train::Lora method;
    method.config.target_modules = {"all-linear"};
    method.config.r = 4;
    method.config.alpha = 8;
    method.config.dropout = 0.1f;
    method.config.seed = 9;
    auto run = [&](const fs::path& dir, std::int64_t steps, bool resume, std::vector<double>& losses,
                   std::vector<float>* weights) {
      auto e = tiny_embedder();
      embed::ContrastiveDataset data(*e, dapt_test::bytelevel_tokenizer(), pairs, dopt);
      embed::ContrastiveModel model(*e, copt);
      auto body = [&](auto& tr) {
        if (resume) tr.resume(dir);
        tr.set_on_step([&](const train::StepInfo& i) {
          losses.push_back(i.loss);
          return true;
        });
        const auto res = tr.fit();
        if (weights) {
          weights->clear();
          model.visit_parameters([&](const std::string&, nn::Param<Cpu>& p) {
            if (p.trainable()) weights->insert(weights->end(), p.value().data<float>(), p.value().data<float>() + p.numel());
          });
        }
        return res;
      };
      if (lora) {
        train::Trainer<train::Lora, Cpu, embed::ContrastiveModel> tr(model, data, contrastive_options(dir, steps), method);
        return body(tr);
      }
      train::Trainer<train::Full, Cpu, embed::ContrastiveModel> tr(model, data, contrastive_options(dir, steps));
      return body(tr);
    };
    std::vector<double> straight, resumed;
    std::vector<float> w_straight, w_resumed;
    const auto res = run(tmp.path / "a", 12, false, straight, &w_straight);
    REQUIRE(straight.size() == 12);
    INFO("loss " << straight.front() << " -> " << straight.back());
    CHECK(straight.back() < straight.front() - 0.3);
    REQUIRE(res.last_val_loss.has_value());
    if (lora) CHECK(fs::exists(tmp.path / "a" / "step-000012" / io::kAdapterConfigFile));
    else CHECK(fs::exists(tmp.path / "a" / "step-000012" / "model.safetensors"));
    (void)run(tmp.path / "b", 6, false, resumed, nullptr);
    (void)run(tmp.path / "b", 12, true, resumed, &w_resumed);
    REQUIRE(resumed.size() == straight.size());
    for (std::size_t i = 0; i < straight.size(); ++i) {
      INFO("step " << i + 1);
      CHECK(std::memcmp(&resumed[i], &straight[i], sizeof(double)) == 0);
    }
    CHECK((w_straight == w_resumed && !w_straight.empty()));
  }
}
