// Parity of nn::Llama with the Hugging Face reference, data-driven: every fixture directory under
// tests/data/fixtures holding a reference.safetensors, and each directory in DAPT_EXTRA_FIXTURES
// (colon-separated, same layout). Shapes, GQA ratio, tying, rope and config layout come from the
// files. Tolerances (relative L2) are the fixture README's: logits and losses 1e-5, gradients and
// gradient norms 1e-4, parameters after two AdamW steps 1e-3; greedy ids equal.
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/train/optimizer.hpp"
#include "dapt_catch.hpp"
#include "dapt/extern_templates.hpp"
#include "test_util.hpp"
#include "nn/reference_util.hpp"

using namespace dapt;
namespace fs = std::filesystem;
using dapt_test::rel;
using dapt_test::to_i32;

namespace {

double scalar(const io::SafetensorsFile& f, const std::string& name) { return f.to_f32(name).data<const float>()[0]; }

void check_fixture(const fs::path& dir) {
  INFO("fixture " << dir.string());
  REQUIRE(fs::exists(dir / "reference.safetensors"));
  const auto ref = io::SafetensorsFile::open(dir / "reference.safetensors");
  auto model = io::load_llama(dir / "model");
  const auto& cfg = model->config();
  const Tensor<Cpu> ids = to_i32(ref.copy("input_ids"));
  const Tensor<Cpu> labels = to_i32(ref.copy("labels"));
  const std::int64_t b = ids.dim(0), t = ids.dim(1), v = cfg.vocab_size;

  SECTION("logits") {
    const TensorView<Cpu> logits = model->forward(ids);
    REQUIRE(logits.shape() == Shape({b, t, v}));
    const double e = rel(logits, ref.to_f32("logits"));
    INFO("logits relative L2 " << e);
    CHECK(e < 1e-5);
  }

  SECTION("masked and unmasked loss") {
    const double loss = model->forward_loss(ids, labels).loss;
    const double loss_ref = scalar(ref, "loss");
    INFO("loss " << loss << " reference " << loss_ref);
    CHECK(std::abs(loss - loss_ref) / std::abs(loss_ref) < 1e-5);
    const double nomask = model->forward_loss(ids, TensorView<Cpu>()).loss;
    const double nomask_ref = scalar(ref, "loss_nomask");
    INFO("loss_nomask " << nomask << " reference " << nomask_ref);
    CHECK(std::abs(nomask - nomask_ref) / std::abs(nomask_ref) < 1e-5);
    CHECK(std::abs(loss - nomask) > 1e-4);  // the mask really changes the loss
  }

  SECTION("gradient of every parameter") {
    model->zero_grad();
    const double loss = model->forward_backward(ids, labels).loss;
    CHECK(std::abs(loss - scalar(ref, "loss")) / std::abs(scalar(ref, "loss")) < 1e-5);
    int checked = 0;
    model->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
      INFO("grad of " << name);
      REQUIRE(ref.info("grad." + name).shape == p.value().shape());
      const double e = rel(p.grad().view(), ref.to_f32("grad." + name));
      INFO("relative L2 " << e);
      CHECK(e < 1e-4);
      ++checked;
    });
    int expected = 0;
    for (const auto& n : ref.names()) expected += n.rfind("grad.", 0) == 0;
    CHECK(checked == expected);
    // A small chunk of rows in the fused head gives the same gradients.
    model->zero_grad();
    model->set_loss_chunk_rows(5);
    (void)model->forward_backward(ids, labels);
    model->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
      INFO("chunked grad of " << name);
      CHECK(rel(p.grad().view(), ref.to_f32("grad." + name)) < 1e-4);
    });
  }

  SECTION("two AdamW steps with clipping") {
    const auto fixture = io::detail::read_text_file(dir / "fixture.json", 1 << 20);
    const boost::json::object a = io::parse_json(fixture, "fixture.json").as_object().at("adamw").as_object();
    train::AdamWOptions o;
    o.lr = a.at("lr").to_number<double>();
    o.beta1 = a.at("beta1").to_number<double>();
    o.beta2 = a.at("beta2").to_number<double>();
    o.eps = a.at("eps").to_number<double>();
    o.weight_decay = a.at("weight_decay").to_number<double>();
    o.decay_norms_and_biases = true;  // the reference decays every parameter
    const double clip = a.at("clip").to_number<double>();
    train::AdamW<Cpu> opt(o);
    for (int step = 0; step < 2; ++step) {
      INFO("step " << step);
      model->zero_grad();
      const double loss = model->forward_backward(ids, labels).loss;
      const double ref_loss = scalar(ref, "adamw.step" + std::to_string(step) + ".loss");
      CHECK(std::abs(loss - ref_loss) / std::abs(ref_loss) < 1e-5);
      const double norm = train::clip_grad_norm(*model, clip);
      const double ref_norm = scalar(ref, "adamw.step" + std::to_string(step) + ".grad_norm");
      INFO("grad norm " << norm << " reference " << ref_norm);
      CHECK(std::abs(norm - ref_norm) / ref_norm < 1e-4);
      opt.step(*model);
    }
    model->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
      INFO("parameter after two steps: " << name);
      const double e = rel(p.value().view(), ref.to_f32("adamw.after2." + name));
      INFO("relative L2 " << e);
      CHECK(e < 1e-3);
    });
  }

  SECTION("greedy generation with the KV cache") {
    const Tensor<Cpu> prompt = to_i32(ref.copy("generate.prompt"));
    const Tensor<Cpu> expected = to_i32(ref.copy("generate.output"));
    const std::int64_t p = prompt.dim(1), total = expected.dim(1);
    nn::KvCache<Cpu> cache(cfg, 1, total);
    std::vector<std::int32_t> out(prompt.data<const std::int32_t>(), prompt.data<const std::int32_t>() + p);
    TensorView<Cpu> logits = model->forward_cached(prompt, cache);
    while (static_cast<std::int64_t>(out.size()) < total) {
      const float* row = logits.data<const float>();
      std::int32_t best = 0;
      for (std::int64_t j = 1; j < v; ++j)
        if (row[j] > row[best]) best = static_cast<std::int32_t>(j);
      out.push_back(best);
      std::int32_t next = best;
      logits = model->forward_cached(TensorView<Cpu>(&next, DType::kI32, {1, 1}), cache);
    }
    for (std::int64_t i = 0; i < total; ++i) {
      INFO("position " << i);
      CHECK(out[static_cast<std::size_t>(i)] == expected.data<const std::int32_t>()[i]);
    }
  }
}

}  // namespace

TEST_CASE("Llama matches the Hugging Face reference on every fixture", "[nn][llama][parity]") {
  const auto dirs = dapt_test::fixture_dirs(fs::path(DAPT_TEST_DATA_DIR) / "fixtures", "reference.safetensors");
  REQUIRE(!dirs.empty());
  for (const auto& dir : dirs) {
    DYNAMIC_SECTION("fixture " << dir.filename().string()) { check_fixture(dir); }
  }
}
