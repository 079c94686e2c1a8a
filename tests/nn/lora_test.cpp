// LoRA: parity with peft on every fixture holding a lora/ folder (tests/data/fixtures and
// DAPT_EXTRA_FIXTURES): logits, loss, the gradient of every LoRA tensor and the merged logits;
// numerical gradient checks of an adapted Linear (with dropout and rsLoRA); peft's targeting
// rules; exact merge and unmerge; peft-format save/load round trips and hostile adapter folders;
// and train::Trainer<Lora>: the base stays frozen, modules_to_save trains, checkpoints hold a
// peft adapter, and 10 + resume + 10 steps equal 20 straight, bit for bit, with dropout on.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/io/lora_checkpoint.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt/nn/lora.hpp"
#include "dapt/testing/grad_check.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/train/trainer.hpp"
#include "dapt_catch.hpp"
#include "dapt/extern_templates.hpp"
#include "test_util.hpp"
#include "model_util.hpp"
#include "nn/reference_util.hpp"

using namespace dapt;
namespace fs = std::filesystem;
using dapt_test::rel;
using dapt_test::to_i32;


namespace {

std::map<std::string, std::vector<float>> base_weights(nn::Llama<Cpu>& m) {
  std::map<std::string, std::vector<float>> out;
  m.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    if (!nn::is_lora_parameter(name)) out[name] = dapt_test::copy_of(p.value().view());
  });
  return out;
}

/// The peft name of our parameter in lora_reference.safetensors' gradients.
std::string peft_grad_name(const std::string& name) {
  const auto dot = name.rfind(".weight");
  return "grad.base_model.model." + name.substr(0, dot) + ".default.weight";
}

void check_lora_fixture(const fs::path& dir) {
  INFO("fixture " << dir.string());
  const auto ref = io::SafetensorsFile::open(dir / "reference.safetensors");
  const auto lref = io::SafetensorsFile::open(dir / "lora" / "lora_reference.safetensors");
  auto model = io::load_llama(dir / "model");
  const auto before = base_weights(*model);
  const Tensor<Cpu> ids = to_i32(ref.copy("input_ids"));
  const Tensor<Cpu> labels = to_i32(ref.copy("labels"));
  const nn::LoraConfig cfg = io::load_lora(*model, dir / "lora");
  std::int64_t adapters = 0;
  nn::visit_lora_adapters<nn::Llama<Cpu>, Cpu>(*model, [&](const std::string&, nn::Linear<Cpu>&, nn::LoraAdapter<Cpu>& a) {
    CHECK(a.scaling() == nn::lora_scaling(a.rank(), cfg.alpha, cfg.use_rslora));
    ++adapters;
  });
  CHECK(adapters > 0);

  SECTION("logits, loss and the gradient of every LoRA tensor") {
    const TensorView<Cpu> logits = model->forward(ids);
    const double el = rel(logits, lref.to_f32("logits"));
    INFO("logits relative L2 " << el);
    CHECK(el < 1e-5);
    // The adapted logits differ from the base model's (lora_B was randomised), so the test bites.
    CHECK(rel(logits, ref.to_f32("logits")) > 1e-3);
    model->zero_grad();
    const double loss = model->forward_backward(ids, labels).loss;
    const double loss_ref = lref.to_f32("loss").data<const float>()[0];
    INFO("loss " << loss << " reference " << loss_ref);
    CHECK(std::abs(loss - loss_ref) / std::abs(loss_ref) < 1e-5);
    int checked = 0;
    model->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
      if (!nn::is_lora_parameter(name)) {
        CHECK_FALSE(p.trainable());  // the base is frozen: no gradient buffer at all
        CHECK_FALSE(p.grad().defined());
        return;
      }
      INFO("grad of " << name);
      const double e = rel(p.grad().view(), lref.to_f32(peft_grad_name(name)));
      INFO("relative L2 " << e);
      CHECK(e < 1e-4);
      ++checked;
    });
    CHECK(checked == 2 * adapters);
  }

  SECTION("merge matches merged_logits; unmerge restores the base bit for bit") {
    const std::vector<float> unmerged = dapt_test::copy_of(model->forward(ids));
    nn::merge_lora(*model);
    const double em = rel(model->forward(ids), lref.to_f32("merged_logits"));
    INFO("merged logits relative L2 " << em);
    CHECK(em < 1e-5);
    nn::unmerge_lora(*model);
    CHECK(base_weights(*model) == before);
    CHECK(dapt_test::same_bits(dapt_test::copy_of(model->forward(ids)), unmerged));
  }
}

std::unique_ptr<nn::Llama<Cpu>> small_model(std::uint64_t seed = 11) {
  auto m = std::make_unique<nn::Llama<Cpu>>(dapt_test::small_llama_config());
  m->init_weights(seed);
  return m;
}

Tensor<Cpu> some_ids(std::int64_t b, std::int64_t t, std::int64_t vocab, std::uint64_t seed) {
  Tensor<Cpu> ids = Tensor<Cpu>::empty({b, t}, DType::kI32);
  Rng rng(seed);
  for (std::int64_t i = 0; i < ids.numel(); ++i) ids.data<std::int32_t>()[i] = static_cast<std::int32_t>(rng.uniform_int(vocab));
  return ids;
}

/// Randomises every lora_B so adapters change the output (a fresh B is zero).
void randomise_b(nn::Llama<Cpu>& m, std::uint64_t seed) {
  Rng rng(seed);
  m.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    if (name.size() > 13 && name.substr(name.size() - 13) == "lora_B.weight")
      for (std::int64_t i = 0; i < p.numel(); ++i) p.value().data<float>()[i] = rng.normal(0.0f, 0.05f);
  });
}

std::vector<std::string> adapted_modules(nn::Llama<Cpu>& m) {
  std::vector<std::string> out;
  nn::visit_lora_adapters<nn::Llama<Cpu>, Cpu>(m, [&](const std::string& name, nn::Linear<Cpu>&, nn::LoraAdapter<Cpu>&) {
    out.push_back(name);
  });
  return out;
}

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

/// A layer whose backward leaves the dropout generation where it was, so the perturbed forwards
/// of grad_check see the mask the analytic gradient used.
struct FixedMaskLinear {
  nn::Linear<Cpu>* lin;
  TensorView<Cpu> forward(const TensorView<Cpu>& x) { return lin->forward(x); }
  TensorView<Cpu> backward(const TensorView<Cpu>& dy) {
    const std::uint64_t g = lin->lora()->generation();
    TensorView<Cpu> dx = lin->backward(dy);
    lin->lora()->set_generation(g);
    return dx;
  }
  void visit_parameters(const nn::ParamVisitor<Cpu>& fn) { lin->visit_parameters(fn); }
};

}  // namespace

TEST_CASE("LoRA parity with peft on every fixture with a lora/ folder", "[nn][lora][parity]") {
  const auto dirs = dapt_test::fixture_dirs(DAPT_TEST_DATA_DIR "/fixtures", "lora");
  REQUIRE_FALSE(dirs.empty());
  for (const auto& d : dirs) check_lora_fixture(d);
}

TEST_CASE("LoRA: gradient checks of an adapted Linear", "[nn][lora][grad]") {
  Rng rng(3);
  Tensor<Cpu> x = Tensor<Cpu>::empty({2, 5, 7}, DType::kF32);
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = rng.normal(0.0f, 1.0f);

  SECTION("base frozen, rank 3, bias, rsLoRA") {
    nn::Linear<Cpu> lin(7, 6, true);
    lin.init(rng, 0.4f);
    lin.weight().set_trainable(false);
    auto& a = lin.attach_lora(std::make_unique<nn::LoraAdapter<Cpu>>(7, 6, 3, nn::lora_scaling(3, 5.0, true)));
    a.init(rng);
    for (std::int64_t i = 0; i < a.lora_B().numel(); ++i) a.lora_B().value().data<float>()[i] = rng.normal(0.0f, 0.3f);
    const testing::GradCheckResult r = testing::grad_check(lin, x);
    INFO(r.report);
    CHECK(r.ok);
  }
  SECTION("everything trainable, dropout 0.3 in training mode (the mask is replayed)") {
    nn::Linear<Cpu> lin(7, 6, false);
    lin.init(rng, 0.4f);
    auto& a = lin.attach_lora(std::make_unique<nn::LoraAdapter<Cpu>>(7, 6, 2, 2.0, 0.3f, 99));
    a.init(rng);
    for (std::int64_t i = 0; i < a.lora_B().numel(); ++i) a.lora_B().value().data<float>()[i] = rng.normal(0.0f, 0.3f);
    a.set_training(true);
    FixedMaskLinear layer{&lin};
    const testing::GradCheckResult r = testing::grad_check(layer, x);
    INFO(r.report);
    CHECK(r.ok);
  }
  SECTION("dropout masks: about p dropped, new each generation, off in eval mode") {
    nn::Linear<Cpu> lin(7, 6, false);
    auto& a = lin.attach_lora(std::make_unique<nn::LoraAdapter<Cpu>>(7, 6, 2, 1.0, 0.5f, 7));
    // With A = I-like rows and B = e_0, the adapter output reveals the dropped inputs.
    Tensor<Cpu> big = Tensor<Cpu>::empty({400, 7}, DType::kF32);
    for (std::int64_t i = 0; i < big.numel(); ++i) big.data<float>()[i] = 1.0f;
    a.lora_A().value().data<float>()[0] = 1.0f;  // u = x[:, 0] (scaled)
    a.lora_B().value().data<float>()[0] = 1.0f;  // y[:, 0] += u
    auto count_dropped = [&]() {
      const TensorView<Cpu> y = lin.forward(big);
      std::vector<float> col;
      for (std::int64_t i = 0; i < 400; ++i) col.push_back(y.data<const float>()[i * 6]);
      return col;
    };
    const std::vector<float> eval = count_dropped();
    for (float v : eval) CHECK(v == 1.0f);
    a.set_training(true);
    const std::vector<float> g0 = count_dropped();
    int dropped = 0;
    for (float v : g0) {
      CHECK((v == 0.0f || v == 2.0f));  // kept inputs are scaled by 1 / (1 - p)
      dropped += v == 0.0f;
    }
    CHECK(dropped > 150);
    CHECK(dropped < 250);
    CHECK(count_dropped() == g0);  // same generation, same mask (recomputation replays it)
    a.set_generation(a.generation() + 1);
    CHECK(count_dropped() != g0);
  }
}

TEST_CASE("LoRA: targeting follows peft", "[nn][lora]") {
  auto m = small_model();
  SECTION("default: q_proj and v_proj of every layer") {
    nn::LoraConfig c;
    CHECK(nn::apply_lora(*m, c) == 4);
    CHECK(adapted_modules(*m) == std::vector<std::string>{"model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                                                         "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"});
  }
  SECTION("all-linear, exclusions, layer selection") {
    nn::LoraConfig c;
    c.target_modules = {"all-linear"};
    c.exclude_modules = {"down_proj"};
    c.layers_to_transform = {1};
    CHECK(nn::apply_lora(*m, c) == 6);
    for (const auto& n : adapted_modules(*m)) {
      CHECK(n.rfind("model.layers.1.", 0) == 0);
      CHECK(n.find("down_proj") == std::string::npos);
    }
  }
  SECTION("regex, rank_pattern and alpha_pattern") {
    nn::LoraConfig c;
    c.target_regex = R"(.*\.(k_proj|up_proj))";
    c.r = 4;
    c.alpha = 8;
    c.rank_pattern = {{"up_proj", 2}};
    c.alpha_pattern = {{"layers\\.1\\.self_attn\\.k_proj", 16.0}};
    CHECK(nn::apply_lora(*m, c) == 4);
    nn::visit_lora_adapters<nn::Llama<Cpu>, Cpu>(*m, [&](const std::string& name, nn::Linear<Cpu>&, nn::LoraAdapter<Cpu>& a) {
      INFO(name);
      if (name.find("up_proj") != std::string::npos) {
        CHECK(a.rank() == 2);
        CHECK(a.scaling() == 4.0);
      } else if (name == "model.layers.1.self_attn.k_proj") {
        CHECK(a.rank() == 4);
        CHECK(a.scaling() == 4.0);
      } else {
        CHECK(a.scaling() == 2.0);
      }
    });
  }
  SECTION("a fresh adapter leaves the output unchanged, and the base is frozen") {
    const Tensor<Cpu> ids = some_ids(2, 9, 2000, 4);
    const std::vector<float> base = dapt_test::copy_of(m->forward(ids));
    nn::LoraConfig c;
    c.target_modules = {"all-linear"};
    c.modules_to_save = {"embed_tokens"};
    nn::apply_lora(*m, c);
    CHECK(dapt_test::same_bits(dapt_test::copy_of(m->forward(ids)), base));
    m->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
      INFO(name);
      CHECK(p.trainable() == (nn::is_lora_parameter(name) || name == "model.embed_tokens.weight"));
    });
  }
  SECTION("errors name the problem") {
    nn::LoraConfig c;
    c.target_modules = {"nonexistent"};
    CHECK_DAPT_ERROR_MESSAGE(nn::apply_lora(*m, c), "no layer matches");
    c.target_modules = {"lm_head"};
    CHECK_DAPT_ERROR_MESSAGE(nn::apply_lora(*m, c), "modules_to_save");
    c.target_modules = {"q_proj"};
    c.modules_to_save = {"no_such_module"};
    CHECK_DAPT_ERROR_MESSAGE(nn::apply_lora(*m, c), "no_such_module");
    c.modules_to_save.clear();
    c.r = 0;
    CHECK_DAPT_ERROR_MESSAGE(nn::apply_lora(*m, c), "r must be >= 1");
    c.r = 4;
    c.target_modules.clear();
    c.target_regex = "([unclosed";
    CHECK_DAPT_ERROR_MESSAGE(nn::apply_lora(*m, c), "not a valid regex");
  }
}

TEST_CASE("LoRA: merge, unmerge, merge_and_unload and save_llama", "[nn][lora][io]") {
  auto m = small_model();
  nn::LoraConfig c;
  c.target_modules = {"all-linear"};
  c.r = 3;
  c.alpha = 6;
  nn::apply_lora(*m, c);
  randomise_b(*m, 5);
  const Tensor<Cpu> ids = some_ids(2, 11, 2000, 6);
  const std::vector<float> adapted = dapt_test::copy_of(m->forward(ids));
  const auto base = base_weights(*m);
  dapt_test::TempDir tmp("lora_merge");

  CHECK_DAPT_ERROR_MESSAGE(io::save_llama(*m, tmp.path / "refused"), "unmerged LoRA adapter");
  CHECK_FALSE(fs::exists(tmp.path / "refused" / "model.safetensors"));

  nn::merge_lora(*m);
  CHECK(dapt_test::relative_l2(dapt_test::copy_of(m->forward(ids)).data(), adapted.data(), static_cast<std::int64_t>(adapted.size())) <
        1e-5);
  CHECK(base_weights(*m) != base);
  nn::unmerge_lora(*m);
  CHECK(base_weights(*m) == base);
  CHECK(dapt_test::same_bits(dapt_test::copy_of(m->forward(ids)), adapted));

  nn::merge_and_unload(*m);
  CHECK(nn::count_lora_adapters(*m) == 0);
  io::save_llama(*m, tmp.path / "merged");
  auto reloaded = io::load_llama(tmp.path / "merged");
  CHECK(dapt_test::same_bits(dapt_test::copy_of(reloaded->forward(ids)), dapt_test::copy_of(m->forward(ids))));
  CHECK(dapt_test::relative_l2(dapt_test::copy_of(reloaded->forward(ids)).data(), adapted.data(),
                               static_cast<std::int64_t>(adapted.size())) < 1e-5);
}

TEST_CASE("LoRA: peft-format save and load", "[nn][lora][io]") {
  dapt_test::TempDir tmp("lora_io");
  auto m = small_model();
  nn::LoraConfig c;
  c.target_modules = {"q_proj", "down_proj"};
  c.r = 4;
  c.alpha = 16;
  c.use_rslora = true;
  c.modules_to_save = {"lm_head"};
  c.base_model_name_or_path = "tiny";
  nn::apply_lora(*m, c);
  randomise_b(*m, 8);
  m->lm_head().weight().value().data<float>()[3] += 0.5f;  // a trained modules_to_save row
  const Tensor<Cpu> ids = some_ids(1, 13, 2000, 9);
  const std::vector<float> want = dapt_test::copy_of(m->forward(ids));
  const fs::path dir = tmp.path / "adapter";
  io::save_lora(*m, dir, c);

  SECTION("files use peft's names and load back exactly") {
    const auto f = io::SafetensorsFile::open(dir / io::kAdapterWeightsFile);
    CHECK(f.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
    CHECK(f.contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
    CHECK(f.contains("base_model.model.lm_head.weight"));
    CHECK(f.size() == 2 * 2 * 2 + 1);
    const nn::LoraConfig back = io::load_lora_config(dir);
    CHECK(back.r == 4);
    CHECK(back.alpha == 16);
    CHECK(back.use_rslora);
    CHECK(back.target_modules == c.target_modules);
    CHECK(back.modules_to_save == c.modules_to_save);
    auto fresh = small_model();
    io::load_lora(*fresh, dir);
    CHECK(dapt_test::same_bits(dapt_test::copy_of(fresh->forward(ids)), want));
  }
  SECTION("hostile adapter folders give errors and leave the model as it was") {
    auto fresh = small_model();
    const std::vector<float> plain = dapt_test::copy_of(fresh->forward(ids));
    const std::string cfg_text = read_text(dir / io::kAdapterConfigFile);
    auto expect_error = [&](const std::string& what) {
      CHECK_DAPT_ERROR_MESSAGE(io::load_lora(*fresh, dir), what);
      CHECK(nn::count_lora_adapters(*fresh) == 0);
      CHECK(dapt_test::same_bits(dapt_test::copy_of(fresh->forward(ids)), plain));
      fresh->visit_parameters([](const std::string& name, nn::Param<Cpu>& p) {
        INFO(name);
        CHECK(p.trainable());  // the failed load unfroze what apply_lora froze
      });
      write_text(dir / io::kAdapterConfigFile, cfg_text);
    };
    auto with_field = [&](const std::string& key, const std::string& value) {
      auto v = boost::json::parse(cfg_text);
      v.as_object()[key] = boost::json::parse(value);
      write_text(dir / io::kAdapterConfigFile, boost::json::serialize(v));
    };
    with_field("peft_type", "\"IA3\"");
    expect_error("only \"LORA\"");
    with_field("use_dora", "true");
    expect_error("use_dora");
    with_field("r", "0");
    expect_error("r must be >= 1");
    with_field("r", "\"four\"");
    expect_error("\"r\" must be an integer");
    with_field("bias", "\"all\"");
    expect_error("bias");
    with_field("r", "8");  // the weights file has rank 4
    expect_error("has shape");
    with_field("target_modules", "[\"q_proj\"]");  // down_proj tensors have no place
    expect_error("matches no adapter");
    write_text(dir / io::kAdapterConfigFile, "{\"peft_type\": \"LORA\", \"r\": ");
    expect_error(io::kAdapterConfigFile);
    // Weights: truncated, and a missing tensor.
    const std::string weights = read_text(dir / io::kAdapterWeightsFile);
    write_text(dir / io::kAdapterWeightsFile, weights.substr(0, weights.size() / 2));
    expect_error(io::kAdapterWeightsFile);
    write_text(tmp.path / "full.safetensors", weights);
    {
      const auto full = io::SafetensorsFile::open(tmp.path / "full.safetensors");
      std::vector<Tensor<Cpu>> keep;
      std::vector<io::NamedTensor> some;
      for (const auto& name : full.names()) {
        if (name.find("layers.1.mlp.down_proj.lora_A") != std::string::npos) continue;
        keep.push_back(full.copy(name));
        some.push_back({name, keep.back().view()});
      }
      io::save_safetensors(dir / io::kAdapterWeightsFile, some);
    }
    expect_error("layers.1.mlp.down_proj.lora_A.weight\" is missing");
    write_text(dir / io::kAdapterWeightsFile, weights);
    io::load_lora(*fresh, dir);
    CHECK(dapt_test::same_bits(dapt_test::copy_of(fresh->forward(ids)), want));
  }
}

namespace {

train::TrainerOptions lora_options(const fs::path& ckpt, std::int64_t steps) {
  train::TrainerOptions o;
  o.micro_batch = 2;
  o.grad_accum = 2;
  o.max_steps = steps;
  o.schedule.kind = train::ScheduleKind::kCosine;
  o.schedule.lr = 2e-2;
  o.schedule.warmup_steps = 2;
  o.schedule.total_steps = 20;
  o.progress = false;
  o.checkpoint_dir = ckpt;
  o.checkpoint_every = 10;
  return o;
}

train::Lora lora_method() {
  train::Lora l;
  l.config.target_modules = {"all-linear"};
  l.config.r = 4;
  l.config.alpha = 8;
  l.config.dropout = 0.1f;
  l.config.modules_to_save = {"lm_head"};
  l.config.seed = 17;
  return l;
}

}  // namespace

TEST_CASE("Trainer<Lora>: frozen base, peft checkpoints, bit-exact resume with dropout", "[train][lora]") {
  dapt_test::TempDir tmp("lora_trainer");
  std::vector<double> straight;
  std::vector<float> straight_adapter;
  {
    auto model = small_model();
    const auto base = base_weights(*model);
    auto data = dapt_test::clock_tree_data();
    train::Trainer<train::Lora, Cpu> tr(*model, *data, lora_options(tmp.path / "a", 20), lora_method());
    tr.set_on_step([&](const train::StepInfo& i) {
      straight.push_back(i.loss);
      return true;
    });
    tr.fit();
    CHECK(straight.back() < straight.front() - 0.5);  // it learns
    // Only the adapters and the head moved.
    const auto after = base_weights(*model);
    for (const auto& [name, w] : base) {
      INFO(name);
      CHECK((w == after.at(name)) == (name != "lm_head.weight"));
    }
    model->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
      if (nn::is_lora_parameter(name)) {
        const auto v = dapt_test::copy_of(p.value().view());
        straight_adapter.insert(straight_adapter.end(), v.begin(), v.end());
      }
    });
    const fs::path last = tmp.path / "a" / "step-000020";
    CHECK(fs::exists(last / io::kAdapterConfigFile));
    CHECK(fs::exists(last / io::kAdapterWeightsFile));
    CHECK_FALSE(fs::exists(last / "model.safetensors"));
    // The checkpoint's adapter reproduces the trained model on a fresh base.
    auto fresh = small_model();
    io::load_lora(*fresh, last);
    const Tensor<Cpu> ids = some_ids(1, 12, 2000, 3);
    CHECK(dapt_test::same_bits(dapt_test::copy_of(fresh->forward(ids)), dapt_test::copy_of(model->forward(ids))));
  }
  std::vector<double> resumed;
  {
    auto model = small_model();
    auto data = dapt_test::clock_tree_data();
    train::Trainer<train::Lora, Cpu> tr(*model, *data, lora_options(tmp.path / "b", 10), lora_method());
    tr.set_on_step([&](const train::StepInfo& i) {
      resumed.push_back(i.loss);
      return true;
    });
    tr.fit();
  }
  {
    auto model = small_model();
    auto data = dapt_test::clock_tree_data();
    train::Trainer<train::Lora, Cpu> tr(*model, *data, lora_options(tmp.path / "b", 20), lora_method());
    tr.resume(tmp.path / "b");
    CHECK(tr.step() == 10);
    tr.set_on_step([&](const train::StepInfo& i) {
      resumed.push_back(i.loss);
      return true;
    });
    tr.fit();
    std::vector<float> adapter;
    model->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
      if (nn::is_lora_parameter(name)) {
        const auto v = dapt_test::copy_of(p.value().view());
        adapter.insert(adapter.end(), v.begin(), v.end());
      }
    });
    CHECK(dapt_test::same_bits(adapter, straight_adapter));
  }
  REQUIRE(resumed.size() == straight.size());
  for (std::size_t i = 0; i < straight.size(); ++i) {
    INFO("step " << i + 1);
    CHECK(std::memcmp(&resumed[i], &straight[i], sizeof(double)) == 0);
  }
  {  // a checkpoint of another rank is refused
    auto model = small_model();
    auto data = dapt_test::clock_tree_data();
    train::Lora other = lora_method();
    other.config.r = 8;
    train::TrainerOptions o = lora_options(tmp.path / "c", 20);
    o.strict_resume = false;
    train::Trainer<train::Lora, Cpu> tr(*model, *data, o, other);
    CHECK_DAPT_ERROR_MESSAGE(tr.resume(tmp.path / "a"), "differs from this trainer");
  }
}
