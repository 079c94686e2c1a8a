/// @file trainer_test.cpp
/// @brief Tests of train::Trainer<Full, Cpu>: bit-exact resume from a checkpoint, loss going down,
/// gradient accumulation equal to a larger batch, checkpoint rotation and crash leftovers ignored,
/// NaN steps skipped then kNumeric, the metrics file, and a process SIGKILLed while writing a
/// checkpoint leaving the previous one loadable.
#include "dapt/train/trainer.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dapt/core/parallel.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt_catch.hpp"
#include "dapt/extern_templates.hpp"
#include "model_util.hpp"

namespace {

using namespace dapt;
using train::Full;
using train::PackedDataset;
using train::PackOptions;
using train::TextSource;
using train::Trainer;
using train::TrainerOptions;
namespace fs = std::filesystem;

std::unique_ptr<nn::Llama<Cpu>> make_model(std::uint64_t seed = 11) {
  auto m = std::make_unique<nn::Llama<Cpu>>(dapt_test::small_llama_config());
  m->init_weights(seed);
  return m;
}

TrainerOptions base_options() {
  TrainerOptions o;
  o.micro_batch = 2;
  o.grad_accum = 2;
  o.max_steps = 20;
  o.schedule.kind = train::ScheduleKind::kCosine;
  o.schedule.lr = 5e-3;
  o.schedule.warmup_steps = 3;
  o.schedule.total_steps = 20;
  o.clip = 1.0;
  o.progress = false;
  o.max_consecutive_skips = 3;
  return o;
}

template <class Model>
std::vector<float> snapshot(Model& m) {
  std::vector<float> out;
  m.visit_parameters([&](const std::string&, nn::Param<Cpu>& p) {
    const float* x = p.value().template data<const float>();
    out.insert(out.end(), x, x + p.numel());
  });
  return out;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("dapt_trainer_test_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  return d;
}

bool same_double_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::vector<boost::json::object> read_jsonl(const fs::path& p) {
  std::vector<boost::json::object> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
  return out;
}

/// A model that wraps a Llama and poisons chosen steps: the loss (NaN sum) or a gradient (NaN).
struct PoisonedLlama {
  nn::Llama<Cpu>& inner;
  std::function<int(std::int64_t call)> poison;  // 0: none, 1: loss, 2: gradient
  std::int64_t calls = 0;

  void visit_parameters(const nn::ParamVisitor<Cpu>& fn) { inner.visit_parameters(fn); }
  nn::LossResult forward_backward(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels,
                                  const nn::LossOptions& o) {
    nn::LossResult r = inner.forward_backward(ids, labels, o);
    const int what = poison ? poison(calls) : 0;
    ++calls;
    if (what == 1) r.sum = std::numeric_limits<double>::quiet_NaN();
    if (what == 2) inner.norm().weight().grad().template data<float>()[0] = std::numeric_limits<float>::infinity();
    return r;
  }
  nn::LossResult forward_loss(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const nn::LossOptions& o) {
    return inner.forward_loss(ids, labels, o);
  }
};

}  // namespace

TEST_CASE("Trainer: 20 steps equal 10 steps, a checkpoint, a new trainer resumed, and 10 more (bitwise)",
          "[train][trainer]") {
  ThreadScope threads(2);
  const fs::path dir = fresh_dir("resume");
  std::vector<double> straight, split;

  auto model_a = make_model();
  auto data_a = dapt_test::clock_tree_data();
  {
    Trainer<Full, Cpu> t(*model_a, *data_a, base_options());
    t.set_on_step([&](const train::StepInfo& s) {
      straight.push_back(s.loss);
      return true;
    });
    const auto r = t.fit();
    CHECK(r.steps == 20);
  }
  {
    auto model = make_model();
    auto data = dapt_test::clock_tree_data();
    TrainerOptions o = base_options();
    o.max_steps = 10;
    o.checkpoint_dir = dir;
    o.checkpoint_every = 10;
    Trainer<Full, Cpu> t(*model, *data, o);
    t.set_on_step([&](const train::StepInfo& s) {
      split.push_back(s.loss);
      return true;
    });
    const auto r = t.fit();
    REQUIRE(r.last_checkpoint);
    CHECK(*r.last_checkpoint == dir / "step-000010");
  }
  REQUIRE(fs::is_regular_file(dir / "step-000010" / "config.json"));
  REQUIRE(fs::is_regular_file(dir / "step-000010" / "model.safetensors"));
  REQUIRE(fs::is_regular_file(dir / "step-000010" / "optimizer.safetensors"));
  REQUIRE(fs::is_regular_file(dir / "step-000010" / "trainer_state.json"));
  // The weights are a plain HF checkpoint.
  CHECK(io::load_llama(dir / "step-000010")->num_parameters() == model_a->num_parameters());

  auto model_b = make_model(999);  // other weights: resume must overwrite them all
  auto data_b = dapt_test::clock_tree_data();
  {
    TrainerOptions o = base_options();
    o.checkpoint_dir = dir;
    o.checkpoint_at_end = false;
    Trainer<Full, Cpu> t(*model_b, *data_b, o);
    CHECK(t.resume(dir) == dir / "step-000010");
    CHECK(t.step() == 10);
    CHECK(t.optimizer().step_count() == 10);
    t.set_on_step([&](const train::StepInfo& s) {
      split.push_back(s.loss);
      return true;
    });
    t.fit();
  }
  REQUIRE(straight.size() == 20);
  REQUIRE(split.size() == 20);
  for (std::size_t i = 0; i < 20; ++i) {
    INFO("step " << i + 1 << ": " << straight[i] << " vs " << split[i]);
    CHECK(same_double_bits(straight[i], split[i]));
  }
  const auto wa = snapshot(*model_a), wb = snapshot(*model_b);
  REQUIRE(wa.size() == wb.size());
  CHECK(std::memcmp(wa.data(), wb.data(), wa.size() * sizeof(float)) == 0);
  CHECK(data_a->state() == data_b->state());
  fs::remove_all(dir);
}

TEST_CASE("Trainer: the loss goes down on a small repeated corpus", "[train][trainer]") {
  ThreadScope threads(2);
  auto model = make_model();
  auto data = dapt_test::clock_tree_data();
  TrainerOptions o = base_options();
  o.max_steps = 40;
  o.schedule.kind = train::ScheduleKind::kConstant;
  o.schedule.lr = 1e-2;
  o.schedule.warmup_steps = 0;
  std::vector<double> losses;
  Trainer<Full, Cpu> t(*model, *data, o);
  t.set_on_step([&](const train::StepInfo& s) {
    CHECK(!s.skipped);
    CHECK(s.tokens > 0);
    losses.push_back(s.loss);
    return true;
  });
  t.fit();
  REQUIRE(losses.size() == 40);
  double first = 0, last = 0;
  for (int i = 0; i < 5; ++i) {
    first += losses[static_cast<std::size_t>(i)] / 5;
    last += losses[losses.size() - 1 - static_cast<std::size_t>(i)] / 5;
  }
  INFO("first " << first << " last " << last);
  CHECK(losses[0] > std::log(2000.0) - 0.5);  // about uniform at init
  CHECK(last < first - 2.0);
}

TEST_CASE("Trainer: grad_accum 2 x micro_batch 2 updates as grad_accum 1 x micro_batch 4", "[train][trainer]") {
  ThreadScope threads(2);
  auto run = [](std::int64_t mb, std::int64_t accum, std::vector<double>& losses) {
    auto model = make_model();
    auto data = dapt_test::clock_tree_data();
    TrainerOptions o = base_options();
    o.micro_batch = mb;
    o.grad_accum = accum;
    o.max_steps = 3;
    o.use_segment_ids = true;
    Trainer<Full, Cpu> t(*model, *data, o);
    t.set_on_step([&](const train::StepInfo& s) {
      losses.push_back(s.loss);
      CHECK(s.tokens_processed == 4 * 16);
      return true;
    });
    t.fit();
    return snapshot(*model);
  };
  std::vector<double> la, lb;
  const auto wa = run(2, 2, la);
  const auto wb = run(4, 1, lb);
  REQUIRE(la.size() == 3);
  REQUIRE(lb.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(std::abs(la[i] - lb[i]) < 1e-5);
  REQUIRE(wa.size() == wb.size());
  double worst = 0;
  for (std::size_t i = 0; i < wa.size(); ++i) worst = std::max(worst, static_cast<double>(std::abs(wa[i] - wb[i])));
  INFO("largest weight difference " << worst);
  CHECK(worst < 1e-5);
}

TEST_CASE("Trainer: keep_last keeps the newest checkpoints and resume ignores partial ones", "[train][trainer]") {
  ThreadScope threads(2);
  const fs::path dir = fresh_dir("keep");
  {
    auto model = make_model();
    auto data = dapt_test::clock_tree_data();
    TrainerOptions o = base_options();
    o.max_steps = 7;
    o.checkpoint_dir = dir;
    o.checkpoint_every = 2;
    o.keep_last = 2;
    Trainer<Full, Cpu> t(*model, *data, o);
    t.fit();
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"step-000006", "step-000007"});

  // Leftovers of a crash: a temporary directory and a step directory without trainer_state.json.
  fs::create_directories(dir / ".tmp-step-000009-1-2");
  std::ofstream(dir / ".tmp-step-000009-1-2" / "trainer_state.json") << "{\"step\": 9";
  fs::create_directories(dir / "step-000012");
  std::ofstream(dir / "step-000012" / "model.safetensors") << "partial";
  auto model = make_model(3);
  auto data = dapt_test::clock_tree_data();
  Trainer<Full, Cpu> t(*model, *data, base_options());
  CHECK(t.resume(dir) == dir / "step-000007");
  CHECK(t.step() == 7);
  REQUIRE(train::latest_checkpoint(dir));
  CHECK(train::latest_checkpoint(dir)->step == 7);
  // An explicit step directory resumes that one.
  CHECK(t.resume(dir / "step-000006") == dir / "step-000006");
  CHECK(t.step() == 6);

  // Different training options are refused, naming the option.
  TrainerOptions other = base_options();
  other.micro_batch = 4;
  Trainer<Full, Cpu> t2(*model, *data, other);
  REQUIRE_DAPT_ERROR(t2.resume(dir), kConfig, "micro_batch");
  REQUIRE_DAPT_ERROR(t2.resume(dir / "nothing-here"), kIo, "no complete checkpoint");
  fs::remove_all(dir);
}

TEST_CASE("Trainer: non-finite steps are skipped and counted, and K in a row throw kNumeric", "[train][trainer]") {
  ThreadScope threads(2);
  const fs::path dir = fresh_dir("nan");
  const fs::path metrics = dir / "metrics.jsonl";
  fs::create_directories(dir);
  auto llama = make_model();
  auto data = dapt_test::clock_tree_data();
  // accum 1: forward_backward call c is step c + 1. Step 3: NaN loss; steps 9.. : Inf gradient.
  PoisonedLlama model{*llama, [](std::int64_t c) { return c == 2 ? 1 : c >= 8 ? 2 : 0; }};
  TrainerOptions o = base_options();
  o.grad_accum = 1;
  o.checkpoint_dir = dir / "ckpt";
  o.checkpoint_every = 2;
  o.metrics_path = metrics;
  std::vector<float> before_skip, after_skip;
  std::vector<train::StepInfo> infos;
  Trainer<Full, Cpu, PoisonedLlama> t(model, *data, o);
  t.set_on_step([&](const train::StepInfo& s) {
    infos.push_back(s);
    if (s.step == 2) before_skip = snapshot(*llama);
    if (s.step == 3) after_skip = snapshot(*llama);
    return true;
  });
  REQUIRE_DAPT_ERROR(t.fit(), kNumeric, "3 consecutive steps");
  REQUIRE(infos.size() == 10);  // step 11 threw before the callback
  CHECK(infos[2].skipped);
  CHECK(infos[2].skipped_total == 1);
  CHECK_FALSE(infos[3].skipped);
  CHECK(infos[3].consecutive_skips == 0);
  CHECK(infos[8].skipped);
  CHECK(infos[9].consecutive_skips == 2);
  CHECK(t.skipped_total() == 4);
  CHECK(before_skip == after_skip);  // a skipped step changes nothing
  const auto w = snapshot(*llama);
  CHECK(std::all_of(w.begin(), w.end(), [](float x) { return std::isfinite(x); }));

  // The metrics have the skipped steps.
  std::int64_t skipped_lines = 0;
  for (const auto& line : read_jsonl(metrics))
    if (line.at("type") == "train" && line.at("skipped").as_bool()) ++skipped_lines;
  CHECK(skipped_lines == 4);

  // The last checkpoint (step 10, inside the streak: weights of step 8) still loads.
  const auto latest = train::latest_checkpoint(o.checkpoint_dir);
  REQUIRE(latest);
  CHECK(latest->step == 10);
  auto fresh = make_model(77);
  auto data2 = dapt_test::clock_tree_data();
  PoisonedLlama clean{*fresh, nullptr};
  TrainerOptions o2 = o;
  o2.metrics_path.clear();
  o2.checkpoint_dir.clear();
  Trainer<Full, Cpu, PoisonedLlama> t2(clean, *data2, o2);
  t2.resume(o.checkpoint_dir);
  CHECK(t2.step() == 10);
  CHECK(t2.skipped_total() == 3);
  CHECK(t2.consecutive_skips() == 2);
  CHECK(snapshot(*fresh) == snapshot(*llama));
  fs::remove_all(dir);
}

TEST_CASE("Trainer: metrics lines carry the expected keys, eval lines every eval_every", "[train][trainer]") {
  ThreadScope threads(2);
  const fs::path dir = fresh_dir("metrics");
  fs::create_directories(dir);
  auto model = make_model();
  auto data = dapt_test::clock_tree_data(0.3);
  REQUIRE(data->rows(train::Split::kValidation) > 0);
  TrainerOptions o = base_options();
  o.max_steps = 6;
  o.eval_every = 2;
  o.eval_batches = 2;
  o.peak_flops = 1e12;
  o.metrics_path = dir / "m.jsonl";
  std::vector<std::int64_t> eval_steps;
  Trainer<Full, Cpu> t(*model, *data, o);
  CHECK(t.flops_per_token() > 0);
  t.set_on_eval([&](const train::EvalInfo& e) {
    eval_steps.push_back(e.step);
    CHECK(std::isfinite(e.val_loss));
    CHECK(e.val_tokens > 0);
    return e.step < 4;  // stop after the second evaluation
  });
  const auto r = t.fit();
  CHECK(r.stopped_by_callback);
  CHECK(r.steps == 4);
  CHECK(eval_steps == std::vector<std::int64_t>{2, 4});
  const auto lines = read_jsonl(o.metrics_path);
  std::int64_t train_lines = 0;
  std::vector<std::int64_t> eval_lines;
  for (const auto& l : lines) {
    if (l.at("type") == "train") {
      ++train_lines;
      for (const char* k : {"step", "loss", "lr", "grad_norm", "tokens_per_s", "mfu", "skipped_total"}) {
        INFO(k);
        CHECK(l.contains(k));
      }
      CHECK(l.at("mfu").as_double() > 0);
    } else if (l.at("type") == "eval") {
      eval_lines.push_back(l.at("step").as_int64());
      CHECK(l.contains("val_loss"));
    }
  }
  CHECK(train_lines == 4);
  CHECK(eval_lines == std::vector<std::int64_t>{2, 4});
  fs::remove_all(dir);
}

TEST_CASE("Trainer: a process killed while writing checkpoints leaves the previous ones loadable",
          "[train][trainer][fork]") {
  const fs::path dir = fresh_dir("kill");
  {
    ThreadScope threads(2);
    auto model = make_model();
    auto data = dapt_test::clock_tree_data();
    TrainerOptions o = base_options();
    o.max_steps = 2;
    o.checkpoint_dir = dir;
    Trainer<Full, Cpu> t(*model, *data, o);
    t.fit();
  }
  REQUIRE(train::latest_checkpoint(dir));
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: keep training and checkpointing every step until killed. One thread: the parent's
    // OpenMP pool does not survive fork().
    int rc = 0;
    try {
      ThreadScope one(1);
      auto model = make_model();
      auto data = dapt_test::clock_tree_data();
      TrainerOptions o = base_options();
      o.max_steps = 1000000;
      o.checkpoint_dir = dir;
      o.keep_last = 3;
      Trainer<Full, Cpu> t(*model, *data, o);
      t.resume(dir);
      for (;;) {
        t.train_step();
        t.save_checkpoint();
      }
    } catch (...) {
      rc = 1;
    }
    ::_exit(rc);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  ThreadScope threads(2);
  const auto latest = train::latest_checkpoint(dir);
  REQUIRE(latest);
  std::string leftovers;
  for (const auto& e : fs::directory_iterator(dir)) leftovers += " " + e.path().filename().string();
  INFO("latest complete checkpoint: step " << latest->step << "; entries:" << leftovers);
  CHECK(latest->step > 2);  // the child did write checkpoints before it was killed
  auto model = make_model(5);
  auto data = dapt_test::clock_tree_data();
  TrainerOptions o = base_options();
  o.max_steps = latest->step + 1;
  Trainer<Full, Cpu> t(*model, *data, o);
  CHECK(t.resume(dir) == latest->dir);
  CHECK(t.step() == latest->step);
  const auto info = t.train_step();  // and training goes on from it
  CHECK(std::isfinite(info.loss));
  fs::remove_all(dir);
}
