/// @file main.cpp
/// @brief Example 05: full fine-tuning against LoRA on the same DAPT data, ChipNeMo's comparison
/// (their Table XIII found full fine-tuning clearly better for domain adaptation). Each method
/// starts from the same checkpoint, sees the same packed rows in the same order for the same
/// number of steps with the same schedule, and is scored on the same held-out domain rows and on
/// held-out general text (how much general ability it kept). It prints one table:
///
///   method        trainable   step ms   domain val loss   general val loss
///   base model            -         -             ...                ...
///   full            1.2M ...
///   LoRA r=8         ...
///   LoRA r=64        ...
///
/// then a line "lora_vs_full: best domain loss <method>". LoRA targets every linear layer of the
/// blocks (alpha = 2r, peft's common choice); when the model's vocabulary had to grow for the
/// tokenizer, embed_tokens and lm_head are in modules_to_save, so the new tokens' rows can train
/// under LoRA too (as they must for ChipNeMo's augmented tokenizer).
///
/// Usage: 05_lora_vs_full [--model DIR] [--tokenizer PATH] [--steps N] [--seq-len T] [--batch B]
///                        [--lr-full LR] [--lr-lora LR] [--ranks R1,R2] [--threads N]
///
/// Without --model it runs its small mode on the tiny random fixture with the byte-level test
/// tokenizer (see 03_dapt), 30 steps per method of 8 x 64 tokens, in a few seconds. LoRA is
/// usually run with a larger learning rate than full fine-tuning (its B starts at zero); the
/// defaults are 3e-3 / 1e-2 in the small mode and 5e-6 / 1e-4 otherwise.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/training.hpp"
#include "common/cli.hpp"
#include "dapt/extern_templates.hpp"  // instantiated once for all examples (dapt_instances)
#include "dapt/nn/lora.hpp"
#include "dapt/train/trainer.hpp"

namespace {

namespace fs = std::filesystem;
namespace tk = dapt::tokenizer;
namespace train = dapt::train;
using examples::training::parse_number;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: 05_lora_vs_full [--model DIR] [--tokenizer PATH] [--steps N] [--seq-len T] [--batch B] [--lr-full LR] "
    "[--lr-lora LR] [--ranks R1,R2] [--threads N]";

/// Mean loss over the validation rows of `data` (at most `max_rows`), dropout off.
double validation_loss(dapt::nn::Llama<dapt::Cpu>& model, train::PackedDataset& data, std::int64_t batch,
                       std::int64_t max_rows) {
  const std::int64_t t = data.seq_len();
  auto ids = dapt::Tensor<dapt::Cpu>::empty({batch, t}, dapt::DType::kI32);
  auto labels = dapt::Tensor<dapt::Cpu>::empty({batch, t}, dapt::DType::kI32);
  auto segs = dapt::Tensor<dapt::Cpu>::empty({batch, t}, dapt::DType::kI32);
  double sum = 0;
  std::int64_t tokens = 0;
  for (std::int64_t first = 0; first < max_rows; first += batch) {
    const std::int64_t real = data.fill_validation(first, ids.view(), labels.view(), segs.view());
    if (real <= 0) break;
    dapt::nn::LossOptions lo;
    lo.segment_ids = segs.view();
    const auto r = model.forward_loss(ids.view(), labels.view(), lo);
    sum += r.sum;
    tokens += r.tokens;
    if (real < batch) break;
  }
  return tokens ? sum / static_cast<double>(tokens) : std::numeric_limits<double>::quiet_NaN();
}

struct Row {
  std::string method;
  std::int64_t trainable = 0;
  double step_ms = 0;
  double domain = 0, general = 0;
};

}  // namespace

int main(int argc, char** argv) {
  return examples::run_main(argc, argv, [](std::vector<std::string> args) {
    const auto model_opt = examples::take_option(args, "--model");
    const auto tokenizer_opt = examples::take_option(args, "--tokenizer");
    const auto steps_opt = examples::take_option(args, "--steps");
    const auto seq_opt = examples::take_option(args, "--seq-len");
    const auto batch_opt = examples::take_option(args, "--batch");
    const auto lr_full_opt = examples::take_option(args, "--lr-full");
    const auto lr_lora_opt = examples::take_option(args, "--lr-lora");
    const auto ranks_opt = examples::take_option(args, "--ranks");
    const auto threads_opt = examples::take_option(args, "--threads");
    DAPT_CHECK(args.empty(), "unknown argument \"", args.empty() ? "" : args[0], "\"; ", kUsage);

    const auto t_start = Clock::now();
    const bool small = !model_opt;
    const int threads = examples::training::apply_threads(threads_opt, small);
    const fs::path model_dir =
        examples::training::resolve_model_dir(model_opt ? fs::path(*model_opt) : fs::path(DAPT_EXAMPLE_MODEL_DIR));
    const fs::path tokenizer_path = examples::training::resolve_tokenizer(
        tokenizer_opt, model_dir, small ? std::optional<fs::path>(DAPT_EXAMPLE_BYTE_LEVEL_TOKENIZER) : std::nullopt);
    const tk::Tokenizer tok = tk::load_tokenizer(tokenizer_path);

    std::vector<std::int64_t> ranks;
    {
      std::stringstream ss(ranks_opt.value_or("8,64"));
      for (std::string r; std::getline(ss, r, ',');) {
        const auto v = parse_number<std::int64_t>("--ranks", r);
        DAPT_CHECK(v >= 1, "--ranks: every rank must be >= 1, got ", v);
        ranks.push_back(v);
      }
    }
    // A fresh model for each method: the checkpoint, grown to the tokenizer as 03_dapt does.
    bool grown = false;
    auto load = [&]() {
      auto m = dapt::io::load_llama(model_dir);
      const auto fit = examples::training::fit_vocabulary(*m, tok);
      grown = fit.after != fit.before;
      return m;
    };
    auto probe = load();
    std::printf("model      %s: %s%s\n", model_dir.c_str(), examples::training::describe(*probe).c_str(),
                grown ? " (vocabulary grown for the tokenizer)" : "");
    const auto special = examples::training::choose_special_ids(tok, tokenizer_path, probe->config());
    const std::int64_t max_pos = probe->config().max_position_embeddings;

    train::TrainerOptions o;
    o.max_steps = steps_opt ? parse_number<std::int64_t>("--steps", *steps_opt) : (small ? 30 : 200);
    o.seq_len = seq_opt ? parse_number<std::int64_t>("--seq-len", *seq_opt) : std::min<std::int64_t>(small ? 64 : 2048, max_pos);
    o.micro_batch = batch_opt ? parse_number<std::int64_t>("--batch", *batch_opt) : (small ? 8 : 1);
    DAPT_CHECK(o.max_steps >= 1, "--steps must be >= 1");
    DAPT_CHECK(o.seq_len >= 2 && o.seq_len <= max_pos, "--seq-len must lie in [2, ", max_pos, "], got ", o.seq_len);
    o.schedule.kind = train::ScheduleKind::kCosine;
    o.schedule.warmup_steps = std::max<std::int64_t>(1, o.max_steps / 10);
    o.schedule.total_steps = o.max_steps;
    o.adamw = {.beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.01};
    o.clip = 1.0;
    o.progress = false;
    const double lr_full = lr_full_opt ? parse_number<double>("--lr-full", *lr_full_opt) : (small ? 3e-3 : 5e-6);
    const double lr_lora = lr_lora_opt ? parse_number<double>("--lr-lora", *lr_lora_opt) : (small ? 1e-2 : 1e-4);

    // Domain rows (chip design) to train on and validate with, general rows only to validate.
    const fs::path data_root(DAPT_EXAMPLE_DATA_DIR);
    train::TextSourceOptions so;
    so.unit = small ? train::TextUnit::kParagraph : train::TextUnit::kFile;
    auto make_data = [&](const char* folder, double validation) {
      train::PackOptions po;
      po.seq_len = o.seq_len;
      po.eos_id = special.eos;
      po.bos_id = special.bos;
      po.mask_boundary = true;
      po.validation_fraction = validation;
      po.split_seed = 1;
      po.shuffle_seed = 0;
      return train::PackedDataset(tok, {train::TextSource(folder, examples::training::folder_files(data_root / folder, "data folder"), 1.0, so)}, po);
    };
    const std::int64_t val_rows = small ? 32 : 256;
    std::printf("data       train on %s, validate on held-out %s rows and on %s (general text, what the model keeps)\n",
                (data_root / "chip_design").c_str(), "chip_design", (data_root / "general").c_str());
    std::printf("schedule   %lld steps of %lld x %lld tokens, cosine with %lld warmup steps, lr full %g, LoRA %g; "
                "%d threads\n",
                static_cast<long long>(o.max_steps), static_cast<long long>(o.micro_batch),
                static_cast<long long>(o.seq_len), static_cast<long long>(o.schedule.warmup_steps), lr_full, lr_lora,
                threads);
    std::fflush(stdout);

    std::vector<Row> rows;
    {
      auto domain = make_data("chip_design", 0.1);
      auto general = make_data("general", 0.5);
      rows.push_back({"base model", 0, 0, validation_loss(*probe, domain, o.micro_batch, val_rows),
                      validation_loss(*probe, general, o.micro_batch, val_rows)});
    }
    probe.reset();

    auto run = [&](const std::string& name, auto method, double lr) {
      auto model = load();
      auto domain = make_data("chip_design", 0.1);
      auto general = make_data("general", 0.5);
      train::TrainerOptions opt = o;
      opt.schedule.lr = lr;
      opt.schedule.min_lr = lr * 0.1;
      train::Trainer<decltype(method), dapt::Cpu> trainer(*model, domain, opt, method);
      std::vector<double> step_s;
      trainer.set_on_step([&](const train::StepInfo& s) {
        step_s.push_back(s.step_seconds);
        return true;
      });
      trainer.fit();
      Row r{name, 0, 0, validation_loss(*model, domain, o.micro_batch, val_rows),
            validation_loss(*model, general, o.micro_batch, val_rows)};
      model->visit_parameters([&](const std::string&, dapt::nn::Param<dapt::Cpu>& p) {
        if (p.trainable()) r.trainable += p.numel();
      });
      std::sort(step_s.begin(), step_s.end());
      r.step_ms = step_s.empty() ? 0 : 1e3 * step_s[step_s.size() / 2];
      std::printf("trained    %-10s %lld steps, median step %.1f ms\n", name.c_str(), static_cast<long long>(o.max_steps),
                  r.step_ms);
      std::fflush(stdout);
      rows.push_back(r);
    };
    run("full", train::Full{}, lr_full);
    for (const std::int64_t r : ranks) {
      train::Lora lora;
      lora.config.r = r;
      lora.config.alpha = 2.0 * static_cast<double>(r);
      lora.config.target_modules = {"all-linear"};
      if (grown) lora.config.modules_to_save = {"embed_tokens", "lm_head"};
      run("LoRA r=" + std::to_string(r), lora, lr_lora);
    }

    std::printf("\n%-12s %12s %9s %16s %17s\n", "method", "trainable", "step ms", "domain val loss", "general val loss");
    const Row* best = nullptr;
    for (const Row& r : rows) {
      if (r.trainable == 0) {
        std::printf("%-12s %12s %9s %16.4f %17.4f\n", r.method.c_str(), "-", "-", r.domain, r.general);
        continue;
      }
      std::printf("%-12s %12lld %9.1f %16.4f %17.4f\n", r.method.c_str(), static_cast<long long>(r.trainable), r.step_ms,
                  r.domain, r.general);
      if (!best || r.domain < best->domain) best = &r;
    }
    std::printf("\ntotal      %.1f s\n", std::chrono::duration<double>(Clock::now() - t_start).count());
    std::printf("lora_vs_full: best domain loss %s (%.4f, base %.4f)\n", best->method.c_str(), best->domain,
                rows.front().domain);
    return 0;
  });
}
