/// @file main.cpp
/// @brief Example 04: supervised fine-tuning (SFT), ChipNeMo's third step. It loads a model (a
/// Hugging Face checkpoint, the --out directory of 03_dapt, whose latest checkpoint and tokenizer
/// it picks up, or a GGUF file), reads chat samples from JSONL files ({"messages": [{"role", "content"},
/// ...]}; by default the bundled data/sft/chip_design_qa.jsonl, questions and answers about the
/// Yosys internal cells), renders them in ChipNeMo's chat format (NeMo's `<extra_id_1>User` /
/// `<extra_id_1>Assistant` turns; --format for LLaMA-2, LLaMA-3 or ChatML) and trains every
/// parameter with train::Trainer<Full, Cpu> on the assistant tokens only: the prompt tokens carry
/// label -100 (train::SftDataset). It prints the data counts, the hyper-parameters, the
/// answer-token loss on held-out samples before and after, a reply generated for a held-out
/// question next to the reference answer, and a final summary line:
///   sft: steps N, answer-token loss A -> B (down X%), val answer-token loss C -> D, saved <dir>
/// where A and B are the mean training losses of the first and last few steps.
///
/// Usage: 04_sft [--model DIR|FILE.gguf] [--tokenizer PATH] [--data FILE.jsonl]... [--format chipnemo|llama2|llama3|chatml]
///               [--steps N] [--seq-len T] [--batch B] [--grad-accum K] [--lr LR] [--pack]
///               [--validation FRACTION] [--eval-every N] [--checkpoint-every N] [--seed S]
///               [--max-new-tokens N] [--out DIR] [--resume] [--threads N] [--recompute]
///
/// Without --model it runs its small mode on the tiny random LLaMA fixture of tests/data with the
/// byte-level test tokenizer (the model grows from 320 to 2000 rows, as in 03_dapt): 60 steps of
/// 8 samples at lr 2e-3 on one thread, a few seconds. With --model it uses ChipNeMo's SFT settings:
/// AdamW (0.9, 0.95), weight decay 0.01, constant lr 5e-6. The text a tiny model generates after
/// a few seconds is at best a half-remembered answer: the point is the mechanics and the loss.
/// The guide is docs/training.md.
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
#include "dapt/nn/generate.hpp"
#include "dapt/tokenizer/chat_template.hpp"
#include "dapt/train/trainer.hpp"

namespace {

namespace fs = std::filesystem;
namespace tk = dapt::tokenizer;
namespace train = dapt::train;
using examples::training::parse_number;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: 04_sft [--model DIR|FILE.gguf] [--tokenizer PATH] [--data FILE.jsonl]... [--format chipnemo|llama2|llama3|chatml] "
    "[--steps N] [--seq-len T] [--batch B] [--grad-accum K] [--lr LR] [--pack] [--validation FRACTION] [--eval-every N] "
    "[--checkpoint-every N] [--seed S] [--max-new-tokens N] [--out DIR] [--resume] [--threads N] [--recompute]";

/// Text with newlines and control characters shown as escapes, on one line.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20) out += '?';
    else out += c;
  }
  return out;
}

/// `text` cut at the first stop string.
std::string cut_at_stop(std::string text, const std::vector<std::string>& stops) {
  for (const auto& s : stops)
    if (const auto at = text.find(s); !s.empty() && at != std::string::npos) text.resize(at);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  return examples::run_main(argc, argv, [](std::vector<std::string> args) {
    const auto model_opt = examples::take_option(args, "--model");
    const auto tokenizer_opt = examples::take_option(args, "--tokenizer");
    std::vector<fs::path> files;
    while (const auto d = examples::take_option(args, "--data")) files.emplace_back(*d);
    const auto format_opt = examples::take_option(args, "--format");
    const auto steps_opt = examples::take_option(args, "--steps");
    const auto seq_opt = examples::take_option(args, "--seq-len");
    const auto batch_opt = examples::take_option(args, "--batch");
    const auto accum_opt = examples::take_option(args, "--grad-accum");
    const auto lr_opt = examples::take_option(args, "--lr");
    const bool pack = examples::take_flag(args, "--pack");
    const auto val_opt = examples::take_option(args, "--validation");
    const auto eval_every_opt = examples::take_option(args, "--eval-every");
    const auto ckpt_every_opt = examples::take_option(args, "--checkpoint-every");
    const auto seed_opt = examples::take_option(args, "--seed");
    const auto max_new_opt = examples::take_option(args, "--max-new-tokens");
    const fs::path out = examples::take_option(args, "--out").value_or("sft_out");
    const bool resume = examples::take_flag(args, "--resume");
    const auto threads_opt = examples::take_option(args, "--threads");
    const bool recompute = examples::take_flag(args, "--recompute");
    DAPT_CHECK(args.empty(), "unknown argument \"", args.empty() ? "" : args[0], "\"; ", kUsage);

    const auto t_start = Clock::now();
    const bool small = !model_opt;
    const int threads = examples::training::apply_threads(threads_opt, small);
    if (files.empty()) files.push_back(fs::path(DAPT_EXAMPLE_DATA_DIR) / "sft" / "chip_design_qa.jsonl");
    const tk::ChatFormat format = tk::parse_chat_format(format_opt.value_or("chipnemo"));
    examples::training::check_resume(out, resume);

    // ---- model and tokenizer ------------------------------------------------------------------
    auto loaded = examples::training::load_and_fit(model_opt, tokenizer_opt, DAPT_EXAMPLE_MODEL_DIR,
                                                   DAPT_EXAMPLE_BYTE_LEVEL_TOKENIZER);
    auto& model = loaded.model;
    const tk::Tokenizer& tok = loaded.tok;
    const auto& special = loaded.special;

    // ---- hyper-parameters ---------------------------------------------------------------------
    const std::int64_t max_pos = model->config().max_position_embeddings;
    train::TrainerOptions o;
    o.max_steps = steps_opt ? parse_number<std::int64_t>("--steps", *steps_opt) : (small ? 60 : 500);
    o.micro_batch = batch_opt ? parse_number<std::int64_t>("--batch", *batch_opt) : (small ? 8 : 1);
    o.grad_accum = accum_opt ? parse_number<std::int64_t>("--grad-accum", *accum_opt) : 1;
    const std::int64_t max_len = seq_opt ? parse_number<std::int64_t>("--seq-len", *seq_opt) : std::min<std::int64_t>(small ? 128 : 4096, max_pos);
    DAPT_CHECK(o.max_steps >= 1, "--steps must be >= 1");
    DAPT_CHECK(max_len >= 2 && max_len <= max_pos, "--seq-len must lie in [2, ", max_pos,
               "] (the model's max_position_embeddings), got ", max_len);
    o.seq_len = max_len;
    o.schedule.kind = train::ScheduleKind::kConstant;
    o.schedule.lr = lr_opt ? parse_number<double>("--lr", *lr_opt) : (small ? 2e-3 : 5e-6);
    o.adamw = {.beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.01};
    o.clip = 1.0;
    o.recompute_activations = recompute;  // one hidden state per block kept: far less memory, ~1/3 more compute
    o.eval_every = eval_every_opt ? parse_number<std::int64_t>("--eval-every", *eval_every_opt)
                                  : std::max<std::int64_t>(1, o.max_steps / 4);
    o.checkpoint_dir = out;
    o.checkpoint_every = ckpt_every_opt ? parse_number<std::int64_t>("--checkpoint-every", *ckpt_every_opt)
                                        : std::max<std::int64_t>(1, o.max_steps / 2);
    o.keep_last = 3;
    o.seed = seed_opt ? parse_number<std::uint64_t>("--seed", *seed_opt) : 0;
    o.metrics_path = out / "metrics.jsonl";
    std::printf("training   full fine-tuning on assistant tokens, %lld steps of %lld x %lld samples%s (up to %lld tokens "
                "each), AdamW betas (%.2f, %.2f), weight decay %.2f, clip %.1f, %d thread%s\n",
                static_cast<long long>(o.max_steps), static_cast<long long>(o.grad_accum),
                static_cast<long long>(o.micro_batch), pack ? " rows, packed" : "", static_cast<long long>(max_len),
                o.adamw.beta1, o.adamw.beta2, o.adamw.weight_decay, o.clip, threads, threads == 1 ? "" : "s");
    std::printf("lr         %g constant%s\n", o.schedule.lr,
                small && !lr_opt ? " (small mode: a large rate for the tiny random model; ChipNeMo used 5e-6, the "
                                   "default with --model)"
                                 : "");

    // ---- data ---------------------------------------------------------------------------------
    train::SftOptions so;
    so.format = format;
    so.max_len = max_len;
    so.bos_id = special.bos;  // none of the formats' texts carries BOS for a tokenizer without one
    so.pad_id = special.eos;
    so.pack = pack;
    so.validation_fraction = val_opt ? parse_number<double>("--validation", *val_opt) : 0.1;
    so.split_seed = 1;
    so.shuffle_seed = o.seed;
    if (special.bos && tk::default_chat_bos_in_text(format)) so.bos_id.reset();  // the text writes it
    train::SftDataset data(tok, files, so);
    const auto& st = data.stats();
    std::printf("data       %s%s: %lld samples in chat format %s -> %lld train, %lld validation; %lld truncated to %lld "
                "tokens, %lld dropped; %lld of %lld train tokens are answer tokens (%.0f%%)\n",
                files.front().c_str(), files.size() > 1 ? (" and " + std::to_string(files.size() - 1) + " more").c_str() : "",
                static_cast<long long>(st.samples_read), std::string(tk::chat_format_name(format)).c_str(),
                static_cast<long long>(st.train_samples), static_cast<long long>(st.validation_samples),
                static_cast<long long>(st.truncated), static_cast<long long>(max_len),
                static_cast<long long>(st.too_long_dropped + st.no_trainable_skipped + st.malformed_skipped),
                static_cast<long long>(st.train_trainable_tokens), static_cast<long long>(st.train_tokens),
                st.train_tokens ? 100.0 * static_cast<double>(st.train_trainable_tokens) / static_cast<double>(st.train_tokens) : 0.0);
    DAPT_CHECK(st.train_samples > 0, "no training samples in the --data files");
    // Rows one sample each are padded to T: make T the longest sample, not max_len, so that short
    // chat samples do not pay for a 4096-token row (packed rows are filled up to max_len).
    if (!pack) {
      std::int64_t longest = 0;
      for (const auto split : {train::Split::kTrain, train::Split::kValidation})
        for (std::int64_t i = 0; i < data.samples(split); ++i)
          longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(data.sample_ids(split, i).size()));
      o.seq_len = std::max<std::int64_t>(2, longest);
    }
    std::printf("rows       %lld tokens (%s)\n", static_cast<long long>(o.seq_len),
                pack ? "packed up to --seq-len" : "the longest sample; shorter ones are padded");

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
    if (val_before)
      std::printf("val loss   %.4f on the answer tokens of %lld held-out samples before training (step %lld)\n",
                  *val_before, static_cast<long long>(st.validation_samples), static_cast<long long>(trainer.step()));
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
    if (saved) examples::training::save_tokenizer(loaded, *saved);
    std::printf("trained    %lld steps (%lld to %lld) in %.1f s, %lld skipped\n", static_cast<long long>(r.steps_run),
                static_cast<long long>(step0 + (r.steps_run > 0)), static_cast<long long>(r.steps), fit_s,
                static_cast<long long>(r.skipped_total));

    // ---- a held-out question ------------------------------------------------------------------
    tk::ChatRenderOptions render;
    const std::vector<std::string> stops = tk::chat_stop_strings(format, render);
    if (data.samples(train::Split::kValidation) > 0) {
      const auto ids = data.sample_ids(train::Split::kValidation, 0);
      const auto labels = data.sample_labels(train::Split::kValidation, 0);
      std::size_t k = 0;
      while (k < labels.size() && labels[k] < 0) ++k;  // the prompt: everything before the first answer token
      const std::vector<std::int32_t> prompt(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k));
      const std::vector<std::int32_t> answer(ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end());
      dapt::nn::GenerationOptions gen;
      gen.max_new_tokens = std::min<std::int64_t>(max_new_opt ? parse_number<std::int64_t>("--max-new-tokens", *max_new_opt) : 48,
                                                  max_pos - static_cast<std::int64_t>(prompt.size()));
      gen.stop_strings = stops;
      gen.eos_token_ids.push_back(special.eos);
      // The tiny fixture's config names ids 1 and 2 as BOS/EOS, which are ordinary characters in
      // the byte-level tokenizer: stop only on the tokenizer's own EOS then.
      gen.ignore_config_eos = std::none_of(model->config().eos_token_ids.begin(), model->config().eos_token_ids.end(),
                                           [&](std::int64_t e) { return tok.is_special(static_cast<tk::TokenId>(e)); });
      const auto g = gen.max_new_tokens > 0 ? dapt::nn::generate(*model, prompt, gen, &tok) : dapt::nn::GenerationOutput{};
      std::printf("\nheld-out   \"%s\"\nreference  %s\nmodel      %s\n           [%zu new tokens, stop %s, greedy]\n\n",
                  one_line(tok.decode(prompt)).c_str(), cut_at_stop(tok.decode(answer), stops).c_str(),
                  one_line(g.text).c_str(), g.tokens.size(), dapt::nn::stop_reason_name(g.reason));
    }

    std::size_t window = 0;
    const auto [first, last] = examples::training::loss_ends(losses, window);
    std::printf("metrics    %s (plot: plot_metrics %s)\n", o.metrics_path.c_str(), o.metrics_path.c_str());
    std::printf("total      %.1f s\n", std::chrono::duration<double>(Clock::now() - t_start).count());
    char loss_text[192] = "answer-token loss n/a (no step run)";
    if (!losses.empty()) {
      const double change = first > 0 ? 100.0 * (first - last) / first : 0.0;
      std::snprintf(loss_text, sizeof loss_text, "answer-token loss %.4f -> %.4f (%s %.1f%%, mean of the first/last %zu steps)",
                    first, last, change >= 0 ? "down" : "up", std::abs(change), window);
    }
    char val_text[112] = "val answer-token loss n/a (no validation samples)";
    if (val_before && val_after)
      std::snprintf(val_text, sizeof val_text, "val answer-token loss %.4f -> %.4f", *val_before, *val_after);
    std::printf("sft: steps %lld, %s, %s, saved %s\n", static_cast<long long>(r.steps), loss_text, val_text,
                saved ? saved->c_str() : "(nothing)");
    return 0;
  });
}
