/// @file main.cpp
/// @brief Example 03: domain-adaptive pretraining (DAPT), ChipNeMo's second step. It loads a
/// LLaMA model (a Hugging Face checkpoint directory, or a GGUF file dequantised to f32) and a
/// tokenizer, growing the model's vocabulary with ChipNeMo's initialisation when the tokenizer is
/// an augmented one with more ids. It packs a weighted mix of text folders into fixed-length rows
/// (by default the bundled Yosys Verilog of data/chip_design at 91% and the license prose of
/// data/general at 9%, ChipNeMo's domain/public blend) and trains every parameter with
/// train::Trainer<Full, Cpu>: AdamW (0.9, 0.95), weight decay 0.01, a constant learning rate,
/// clipping at 1.0, validation loss on held-out documents, JSON Lines metrics and crash-safe
/// checkpoints every N steps under --out, and --resume from the latest one. It prints the model,
/// the data mix, the hyper-parameters it uses, the validation loss before and after, and a final
/// summary line:
///   dapt: steps N, loss A -> B (down X%, ...), val loss C -> D, saved <dir>
/// where A and B are the mean training losses of the first and last few steps.
///
/// Usage: 03_dapt [--model DIR|FILE.gguf] [--tokenizer PATH] [--data DIR[:WEIGHT]]... [--steps N]
///                [--seq-len T] [--batch B] [--grad-accum K] [--lr LR] [--schedule constant|cosine|linear]
///                [--warmup N] [--unit file|paragraph|line] [--validation FRACTION] [--eval-every N]
///                [--checkpoint-every N] [--seed S] [--out DIR] [--resume] [--threads N] [--recompute]
///
/// Without --model it runs its small mode: the tiny random LLaMA fixture of tests/data (vocabulary
/// 320) with the byte-level test tokenizer (2000 ids, so the model grows to 2000 rows), 40 steps of
/// 8 x 128 tokens at lr 3e-3 on one thread, in a few seconds. The random model starts far from
/// the data, so a rate that large is what makes the loss fall visibly in 40 steps; ChipNeMo's 5e-6
/// is the default as soon as --model names a model. --out holds step-NNNNNN/ checkpoints (each a
/// Hugging Face model directory; the last one with the tokenizer), metrics.jsonl and the
/// tokenizer; `--model <out>` in 04_sft picks the latest checkpoint. Plot the metrics with
/// tools/plot_metrics. The guide is docs/training.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/training.hpp"
#include "common/cli.hpp"
#include "dapt/extern_templates.hpp"  // instantiated once for all examples (dapt_instances)
#include "dapt/train/trainer.hpp"

namespace {

namespace fs = std::filesystem;
namespace tk = dapt::tokenizer;
namespace train = dapt::train;
using examples::training::parse_number;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: 03_dapt [--model DIR|FILE.gguf] [--tokenizer PATH] [--data DIR[:WEIGHT]]... [--steps N] [--seq-len T] [--batch B] "
    "[--grad-accum K] [--lr LR] [--schedule constant|cosine|linear] [--warmup N] [--unit file|paragraph|line] "
    "[--validation FRACTION] [--eval-every N] [--checkpoint-every N] [--seed S] [--out DIR] [--resume] [--threads N] [--recompute]";

/// One --data entry: a folder (every regular file in it, sorted) and its mixing weight.
struct DataDir {
  fs::path dir;
  double weight = 1.0;
};

/// "DIR" or "DIR:WEIGHT" (the last colon followed by a number splits; paths may hold colons).
DataDir parse_data_dir(const std::string& spec) {
  DataDir d{spec, 1.0};
  const auto colon = spec.rfind(':');
  if (colon != std::string::npos && colon + 1 < spec.size()) {
    try {
      std::size_t used = 0;
      const double w = std::stod(spec.substr(colon + 1), &used);
      if (used == spec.size() - colon - 1) {
        d.dir = spec.substr(0, colon);
        d.weight = w;
      }
    } catch (const std::exception&) {
    }
  }
  DAPT_CHECK(std::isfinite(d.weight) && d.weight >= 0, "--data ", spec, ": the weight must be a number >= 0");
  return d;
}

const char* schedule_name(train::ScheduleKind k) {
  switch (k) {
    case train::ScheduleKind::kConstant: return "constant";
    case train::ScheduleKind::kLinear: return "linear decay";
    case train::ScheduleKind::kCosine: return "cosine decay";
  }
  return "?";
}

train::TextUnit parse_unit(const std::string& s) {
  if (s == "file") return train::TextUnit::kFile;
  if (s == "paragraph") return train::TextUnit::kParagraph;
  if (s == "line") return train::TextUnit::kLine;
  DAPT_FAIL(dapt::ErrorCategory::kInvalidArgument, "--unit must be file, paragraph or line, got \"", s, "\"");
}

}  // namespace

int main(int argc, char** argv) {
  return examples::run_main(argc, argv, [](std::vector<std::string> args) {
    const auto model_opt = examples::take_option(args, "--model");
    const auto tokenizer_opt = examples::take_option(args, "--tokenizer");
    std::vector<DataDir> data_dirs;
    while (const auto d = examples::take_option(args, "--data")) data_dirs.push_back(parse_data_dir(*d));
    const auto steps_opt = examples::take_option(args, "--steps");
    const auto seq_opt = examples::take_option(args, "--seq-len");
    const auto batch_opt = examples::take_option(args, "--batch");
    const auto accum_opt = examples::take_option(args, "--grad-accum");
    const auto lr_opt = examples::take_option(args, "--lr");
    const auto schedule_opt = examples::take_option(args, "--schedule");
    const auto warmup_opt = examples::take_option(args, "--warmup");
    const auto unit_opt = examples::take_option(args, "--unit");
    const auto val_opt = examples::take_option(args, "--validation");
    const auto eval_every_opt = examples::take_option(args, "--eval-every");
    const auto ckpt_every_opt = examples::take_option(args, "--checkpoint-every");
    const auto seed_opt = examples::take_option(args, "--seed");
    const fs::path out = examples::take_option(args, "--out").value_or("dapt_out");
    const bool resume = examples::take_flag(args, "--resume");
    const auto threads_opt = examples::take_option(args, "--threads");
    const bool recompute = examples::take_flag(args, "--recompute");
    DAPT_CHECK(args.empty(), "unknown argument \"", args.empty() ? "" : args[0], "\"; ", kUsage);

    const auto t_start = Clock::now();
    const bool small = !model_opt;
    const int threads = examples::training::apply_threads(threads_opt, small);
    const fs::path data_root(DAPT_EXAMPLE_DATA_DIR);
    const bool bundled_data = data_dirs.empty();
    if (bundled_data) data_dirs = {{data_root / "chip_design", 0.91}, {data_root / "general", 0.09}};
    examples::training::check_resume(out, resume);

    // ---- model and tokenizer ------------------------------------------------------------------
    auto loaded = examples::training::load_and_fit(model_opt, tokenizer_opt, DAPT_EXAMPLE_MODEL_DIR,
                                                   DAPT_EXAMPLE_BYTE_LEVEL_TOKENIZER);
    auto& model = loaded.model;
    const tk::Tokenizer& tok = loaded.tok;
    const auto& special = loaded.special;
    std::printf("documents  end with EOS %d (%s)%s\n", special.eos, special.eos_from.c_str(),
                special.bos ? (", start with BOS " + std::to_string(*special.bos)).c_str() : ", no BOS");

    // ---- hyper-parameters ---------------------------------------------------------------------
    const std::int64_t max_pos = model->config().max_position_embeddings;
    train::TrainerOptions o;
    o.max_steps = steps_opt ? parse_number<std::int64_t>("--steps", *steps_opt) : (small ? 40 : 1000);
    o.seq_len = seq_opt ? parse_number<std::int64_t>("--seq-len", *seq_opt) : std::min<std::int64_t>(small ? 128 : 4096, max_pos);
    o.micro_batch = batch_opt ? parse_number<std::int64_t>("--batch", *batch_opt) : (small ? 8 : 1);
    o.grad_accum = accum_opt ? parse_number<std::int64_t>("--grad-accum", *accum_opt) : 1;
    DAPT_CHECK(o.max_steps >= 1, "--steps must be >= 1");
    DAPT_CHECK(o.seq_len >= 2 && o.seq_len <= max_pos, "--seq-len must lie in [2, ", max_pos,
               "] (the model's max_position_embeddings), got ", o.seq_len);
    o.schedule.kind = train::parse_schedule_kind(schedule_opt.value_or("constant"));
    o.schedule.lr = lr_opt ? parse_number<double>("--lr", *lr_opt) : (small ? 3e-3 : 5e-6);
    o.schedule.warmup_steps = warmup_opt ? parse_number<std::int64_t>("--warmup", *warmup_opt) : 0;
    // A constant rate ignores total_steps; leaving it 0 lets --resume extend --steps (the trainer
    // refuses a checkpoint written under another schedule). A decay is tied to the run's length.
    o.schedule.total_steps = o.schedule.kind == train::ScheduleKind::kConstant ? 0 : o.max_steps;
    o.schedule.min_lr = o.schedule.kind == train::ScheduleKind::kConstant ? 0.0 : o.schedule.lr * 0.1;
    o.adamw = {.beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.01};
    o.clip = 1.0;
    o.recompute_activations = recompute;  // one hidden state per block kept: far less memory, ~1/3 more compute
    o.eval_every = eval_every_opt ? parse_number<std::int64_t>("--eval-every", *eval_every_opt)
                                  : std::max<std::int64_t>(1, o.max_steps / 4);
    o.eval_batches = small ? 4 : 16;
    o.checkpoint_dir = out;
    o.checkpoint_every = ckpt_every_opt ? parse_number<std::int64_t>("--checkpoint-every", *ckpt_every_opt)
                                        : std::max<std::int64_t>(1, o.max_steps / 2);
    o.keep_last = 3;
    o.seed = seed_opt ? parse_number<std::uint64_t>("--seed", *seed_opt) : 0;
    o.metrics_path = out / "metrics.jsonl";
    o.progress = true;
    std::printf("training   full fine-tuning, %lld steps of %lld x %lld x %lld tokens, AdamW betas (%.2f, %.2f), "
                "weight decay %.2f, clip %.1f\n",
                static_cast<long long>(o.max_steps), static_cast<long long>(o.grad_accum),
                static_cast<long long>(o.micro_batch), static_cast<long long>(o.seq_len), o.adamw.beta1, o.adamw.beta2,
                o.adamw.weight_decay, o.clip);
    std::printf("lr         %g %s%s%s\n", o.schedule.lr, schedule_name(o.schedule.kind),
                o.schedule.warmup_steps ? (", " + std::to_string(o.schedule.warmup_steps) + " warmup steps").c_str() : "",
                small && !lr_opt ? " (small mode: the tiny random model needs a large rate to move visibly within a few dozen steps; "
                                   "ChipNeMo's DAPT used 5e-6 constant, the default with --model)"
                                 : "");

    // ---- data ---------------------------------------------------------------------------------
    train::TextSourceOptions so;
    // A document is a file, as in ChipNeMo; the bundled corpus has only 11 files, so there it is a
    // paragraph, which gives a validation split and keeps attention within a module or section.
    const std::string unit = unit_opt.value_or(bundled_data ? "paragraph" : "file");
    so.unit = parse_unit(unit);
    std::vector<train::TextSource> sources;
    for (const auto& d : data_dirs) sources.emplace_back(d.dir.filename().string(), examples::training::folder_files(d.dir), d.weight, so);
    train::PackOptions po;
    po.seq_len = o.seq_len;
    po.eos_id = special.eos;
    po.bos_id = special.bos;
    po.mask_boundary = true;  // segment ids isolate documents: do not train EOS -> next document
    po.validation_fraction = val_opt ? parse_number<double>("--validation", *val_opt) : 0.05;
    po.split_seed = 1;
    po.shuffle_seed = o.seed;
    const auto t_data = Clock::now();
    train::PackedDataset data(tok, std::move(sources), po);
    const double data_s = std::chrono::duration<double>(Clock::now() - t_data).count();
    std::printf("data       packed in %.2f s (documents: one per %s), %lld rows per epoch, %lld validation rows:\n",
                data_s, unit.c_str(), static_cast<long long>(data.epoch_rows()),
                static_cast<long long>(data.rows(train::Split::kValidation)));
    for (const auto& s : data.source_stats())
      std::printf("           %-14s weight %.2f -> %5.1f%% of each epoch; %lld files, %lld docs, %lld train tokens "
                  "(%lld rows), %lld validation tokens\n",
                  s.name.c_str(), s.weight, 100.0 * s.share, static_cast<long long>(s.read.files),
                  static_cast<long long>(s.read.documents), static_cast<long long>(s.train_tokens),
                  static_cast<long long>(s.train_rows), static_cast<long long>(s.validation_tokens));
    DAPT_CHECK(data.rows(train::Split::kTrain) > 0, "the data holds no training rows of ", o.seq_len, " tokens");
    if (po.validation_fraction > 0 && data.rows(train::Split::kValidation) == 0)
      std::printf("note       no document fell into the validation split: no validation loss (use more documents, "
                  "--unit paragraph, or a larger --validation)\n");

    // ---- train --------------------------------------------------------------------------------
    examples::training::save_tokenizer(loaded, out);
    train::Trainer<train::Full, dapt::Cpu> trainer(*model, data, o);
    examples::training::start_or_resume(trainer, out, resume);
    std::vector<double> losses;
    trainer.set_on_step([&](const train::StepInfo& s) {
      if (!s.skipped) losses.push_back(s.loss);
      return true;
    });
    std::optional<double> val_before, val_after;
    if (const auto ev = trainer.evaluate()) val_before = ev->val_loss;
    if (val_before) std::printf("val loss   %.4f before training (step %lld)\n", *val_before, static_cast<long long>(trainer.step()));
    std::fflush(stdout);

    const auto t_fit = Clock::now();
    const std::int64_t step0 = trainer.step();
    const train::FitResult r = trainer.fit();
    const double fit_s = std::chrono::duration<double>(Clock::now() - t_fit).count();
    if (r.last_val_loss && (o.eval_every > 0 && r.steps % o.eval_every == 0)) val_after = r.last_val_loss;
    else if (const auto ev = trainer.evaluate()) val_after = ev->val_loss;

    const auto saved = r.last_checkpoint ? std::optional<fs::path>(*r.last_checkpoint)
                                         : [&]() -> std::optional<fs::path> {
      if (const auto l = train::latest_checkpoint(out)) return l->dir;
      return std::nullopt;
    }();
    if (saved) examples::training::save_tokenizer(loaded, *saved);  // a complete HF model directory

    std::size_t window = 0;
    const auto [first, last] = examples::training::loss_ends(losses, window);
    const double tokens = static_cast<double>(r.steps_run * o.grad_accum * o.micro_batch * o.seq_len);
    std::printf("trained    %lld steps (%lld to %lld) in %.1f s, %.0f tokens/s, %lld skipped; %d thread%s\n",
                static_cast<long long>(r.steps_run), static_cast<long long>(step0 + (r.steps_run > 0)),
                static_cast<long long>(r.steps), fit_s, fit_s > 0 ? tokens / fit_s : 0.0,
                static_cast<long long>(r.skipped_total), threads, threads == 1 ? "" : "s");
    std::printf("metrics    %s (plot: plot_metrics %s)\n", o.metrics_path.c_str(), o.metrics_path.c_str());
    std::printf("total      %.1f s\n", std::chrono::duration<double>(Clock::now() - t_start).count());
    char loss_text[160] = "loss n/a (no step run)";
    if (!losses.empty()) {
      const double change = first > 0 ? 100.0 * (first - last) / first : 0.0;
      std::snprintf(loss_text, sizeof loss_text, "loss %.4f -> %.4f (%s %.1f%%, mean of the first/last %zu steps)", first,
                    last, change >= 0 ? "down" : "up", std::abs(change), window);
    }
    char val_text[96] = "val loss n/a (no validation rows)";
    if (val_before && val_after) std::snprintf(val_text, sizeof val_text, "val loss %.4f -> %.4f", *val_before, *val_after);
    std::printf("dapt: steps %lld, %s, %s, saved %s\n", static_cast<long long>(r.steps), loss_text, val_text,
                saved ? saved->c_str() : "(nothing)");
    return 0;
  });
}
