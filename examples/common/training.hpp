/// @file training.hpp
/// @brief What the training examples (03_dapt, 04_sft) share besides the SDK: number and thread
/// flags, loading the model (a Hugging Face checkpoint, a training output root whose latest
/// step-NNNNNN checkpoint is taken, or a GGUF file, dequantised) and its tokenizer, choosing
/// EOS/BOS ids, growing the model's vocabulary to the tokenizer's with ChipNeMo's initialisation,
/// and putting the tokenizer next to the saved weights so that every output directory is a
/// complete model that 02_generate, 04_sft and transformers load as it is. Example code only (it
/// prints; its errors are dapt::Error for examples::run_main to report); 04_sft includes it from
/// here. It would sit better in examples/common/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/io/gguf_llama.hpp"
#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/nn/resize_vocab.hpp"
#include "dapt/tokenizer/bpe.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/merge.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt/tokenizer/tokenizer_config.hpp"
#include "dapt/train/checkpoint.hpp"

namespace examples::training {

namespace fs = std::filesystem;
namespace tk = dapt::tokenizer;

/// The number in `value` of option `name`, or kInvalidArgument naming the option.
template <class T>
T parse_number(const std::string& name, const std::string& value) {
  try {
    std::size_t used = 0;
    T v{};
    if constexpr (std::is_floating_point_v<T>) v = static_cast<T>(std::stod(value, &used));
    else if constexpr (std::is_unsigned_v<T>) v = static_cast<T>(std::stoull(value, &used));
    else v = static_cast<T>(std::stoll(value, &used));
    if (used == value.size()) return v;
  } catch (const std::exception&) {
  }
  DAPT_FAIL(dapt::ErrorCategory::kInvalidArgument, "option ", name, " needs a number, got \"", value, "\"");
}

/// Applies --threads (through DAPT_NUM_THREADS, so the tokenizer and the dataset builder use the
/// same count as Eigen and OpenMP) and returns the thread count in force. Without the flag and
/// without DAPT_NUM_THREADS, `small_mode` runs on one thread: the tiny model's matrices are too
/// small to gain from more, and on a loaded machine (CI) spinning OpenMP threads made a 2-second
/// run take 30 seconds.
inline int apply_threads(const std::optional<std::string>& flag, bool small_mode) {
  if (flag) {
    const auto n = parse_number<int>("--threads", *flag);
    DAPT_CHECK(n >= 1, "option --threads needs a count >= 1, got ", n);
    ::setenv(dapt::kNumThreadsEnv, std::to_string(n).c_str(), 1);
  } else if (small_mode && std::getenv(dapt::kNumThreadsEnv) == nullptr) {
    ::setenv(dapt::kNumThreadsEnv, "1", 1);
  }
  return dapt::apply_thread_policy();
}

/// `dir` itself when it holds config.json (a Hugging Face checkpoint), else the latest complete
/// step-NNNNNN checkpoint under it (the --out root of 03_dapt or 04_sft).
/// `option` names the flag in errors ("--model", "--init").
inline fs::path resolve_model_dir(const fs::path& dir, std::string_view option = "--model") {
  std::error_code ec;
  DAPT_CHECK_AS(kIo, fs::is_directory(dir, ec), option, " ", dir.string(), " is not a directory");
  if (fs::is_regular_file(dir / "config.json", ec)) return dir;
  const auto latest = dapt::train::latest_checkpoint(dir);
  DAPT_CHECK_AS(kIo, latest.has_value(), option, " ", dir.string(),
                " holds neither config.json (a model or an embedder) nor a step-NNNNNN checkpoint");
  return latest->dir;
}

inline bool has_tokenizer(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "tokenizer.json", ec) || fs::is_regular_file(dir / "tokenizer.model", ec);
}

/// The tokenizer to use: --tokenizer, else the model directory's, else the training root's (the
/// parent of a step directory), else `fallback` (the small mode's byte-level tokenizer).
inline fs::path resolve_tokenizer(const std::optional<std::string>& flag, const fs::path& model_dir,
                                  const std::optional<fs::path>& fallback) {
  if (flag) return *flag;
  if (has_tokenizer(model_dir)) return model_dir;
  if (dapt::train::parse_step_dir_name(model_dir.filename().string()) && has_tokenizer(model_dir.parent_path()))
    return model_dir.parent_path();
  DAPT_CHECK_AS(kIo, fallback.has_value(), "no tokenizer.json or tokenizer.model in ", model_dir.string(),
                " or its parent; pass --tokenizer");
  return *fallback;
}

/// tokenizer_config.json of a tokenizer: in its directory, or beside a file named tokenizer.json
/// or tokenizer.model (a file with another name has no config of its own).
inline std::optional<fs::path> tokenizer_config_path(const fs::path& tokenizer_path) {
  std::error_code ec;
  fs::path dir;
  if (fs::is_directory(tokenizer_path, ec)) dir = tokenizer_path;
  else if (tokenizer_path.filename() == "tokenizer.json" || tokenizer_path.filename() == "tokenizer.model")
    dir = tokenizer_path.parent_path();
  else return std::nullopt;
  if (fs::is_regular_file(dir / "tokenizer_config.json", ec)) return dir / "tokenizer_config.json";
  return std::nullopt;
}

/// The ids that end and (optionally) start a document, and where they came from.
struct SpecialIds {
  tk::TokenId eos = 0;
  std::string eos_from;
  std::optional<tk::TokenId> bos;
};

/// EOS: tokenizer_config.json's eos_token, else a special token with a usual EOS name, else the
/// model config's first eos_token_id. BOS: only when the tokenizer config asks for it
/// (add_bos_token) or the tokenizer's post-processor prepends one: LLaMA-2/3 models expect it,
/// byte-level GPT-style tokenizers have none.
inline SpecialIds choose_special_ids(const tk::Tokenizer& tok, const fs::path& tokenizer_path,
                                     const dapt::io::LlamaConfig& config) {
  SpecialIds s;
  std::optional<tk::TokenizerConfig> tc;
  if (const auto p = tokenizer_config_path(tokenizer_path)) tc = tk::load_tokenizer_config(*p);
  std::optional<tk::TokenId> eos;
  if (tc && tc->eos_token) {
    eos = tok.token_to_id(*tc->eos_token);
    if (eos) s.eos_from = "tokenizer_config.json eos_token \"" + *tc->eos_token + "\"";
  }
  if (!eos) {
    for (const char* name : {"</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>", "<|eot_id|>", "<|im_end|>"}) {
      const auto id = tok.token_to_id(name);
      if (id && tok.is_special(*id)) {
        eos = id;
        s.eos_from = std::string("the tokenizer's special token \"") + name + "\"";
        break;
      }
    }
  }
  if (!eos && !config.eos_token_ids.empty()) {
    eos = static_cast<tk::TokenId>(config.eos_token_ids.front());
    s.eos_from = "the model config's eos_token_id";
  }
  DAPT_CHECK_AS(kConfig, eos.has_value(), "cannot tell the EOS token: ", tokenizer_path.string(),
                " names none and the model config has no eos_token_id");
  s.eos = *eos;
  if (tc && tc->add_bos_token && tc->bos_token) {
    s.bos = tok.token_to_id(*tc->bos_token);
  } else {
    const auto with = tok.encode("a", {.add_special_tokens = true});
    const auto without = tok.encode("a");
    if (with.size() > without.size() && !with.empty() && tok.is_special(with.front())) s.bos = with.front();
  }
  return s;
}

/// What `fit_vocabulary` did.
struct VocabFit {
  std::int64_t before = 0, after = 0;
  std::size_t initialised = 0;  ///< new rows set to the mean of their sub-token embeddings
};

/// Grows `model` when the tokenizer has more ids than the model has rows (an augmented tokenizer
/// from 01_tokenizer_augmentation, or the small mode's byte-level tokenizer on the tiny fixture),
/// with ChipNeMo's initialisation (nn::resize_vocab): a new token's embedding is the mean of the
/// embeddings of the base tokens it splits into, its lm_head row is zero.
///
/// The base tokenizer is this tokenizer cut to the model's rows: ids below the model's vocabulary
/// and the merges among them. An augmented tokenizer keeps the base ids as a prefix and appends
/// its new tokens (tokenizer::merge_vocabularies does), so this is exactly the base tokenizer.
/// A token that does not split into base ids (an added special token) keeps resize_vocab's
/// default row, the mean of all base embeddings.
inline VocabFit fit_vocabulary(dapt::nn::Llama<dapt::Cpu>& model, const tk::Tokenizer& tok) {
  VocabFit fit;
  fit.before = fit.after = model.config().vocab_size;
  const auto need = static_cast<std::int64_t>(tok.vocab_size());
  if (need <= fit.before) return fit;
  const tk::BpeModel& m = tok.model();
  const std::int64_t old_v = fit.before;
  std::vector<tk::NewToken> new_tokens;
  try {
    std::vector<std::string> tokens;
    for (std::int64_t i = 0; i < std::min<std::int64_t>(old_v, static_cast<std::int64_t>(m.vocab_size())); ++i)
      tokens.push_back(m.token(static_cast<tk::TokenId>(i)));
    std::vector<std::pair<tk::TokenId, tk::TokenId>> merges;
    std::vector<std::uint32_t> ranks;
    for (const auto& mg : m.merges()) {
      if (mg.merged >= old_v || mg.left >= old_v || mg.right >= old_v) continue;
      merges.emplace_back(mg.left, mg.right);
      ranks.push_back(mg.rank);
    }
    const tk::BpeModel base(std::move(tokens), merges, m.options(), std::move(ranks));
    for (std::int64_t id = old_v; id < static_cast<std::int64_t>(m.vocab_size()); ++id) {
      const std::string& content = m.token(static_cast<tk::TokenId>(id));
      if (content.empty()) continue;
      std::vector<tk::TokenId> parts;
      try {
        parts = base.encode_piece(content);
      } catch (const dapt::Error&) {
        continue;
      }
      const bool usable = !parts.empty() && std::all_of(parts.begin(), parts.end(), [&](tk::TokenId p) {
        return p >= 0 && p < old_v;
      });
      if (!usable) continue;
      tk::NewToken t;
      t.id = static_cast<tk::TokenId>(id);
      t.content = content;
      t.decomposition = std::move(parts);
      new_tokens.push_back(std::move(t));
    }
  } catch (const dapt::Error& e) {
    // The prefix is not a tokenizer of its own (bytes missing from its alphabet): every new row
    // then starts from the mean of the base embeddings.
    std::printf("note       the first %lld ids of the tokenizer are not a complete base tokenizer (%s);\n"
                "           new rows start from the mean embedding\n", static_cast<long long>(old_v), e.what());
    new_tokens.clear();
  }
  fit.after = dapt::nn::resize_vocab(model, new_tokens, {.min_vocab_size = need});
  fit.initialised = new_tokens.size();
  return fit;
}

/// Copies the tokenizer (a tokenizer.json or .model file, or a directory holding one) into `dir`
/// as tokenizer.json / tokenizer.model, with its tokenizer_config.json when it has one.
inline void copy_tokenizer(const fs::path& tokenizer_path, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  auto copy = [&](const fs::path& from, const fs::path& to) {
    std::error_code e;
    if (fs::exists(to, e) && fs::equivalent(from, to, e)) return;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, e);
    DAPT_CHECK_AS(kIo, !e, "cannot copy ", from.string(), " to ", to.string(), ": ", e.message());
  };
  if (fs::is_directory(tokenizer_path, ec)) {
    for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"})
      if (fs::is_regular_file(tokenizer_path / name, ec)) copy(tokenizer_path / name, dir / name);
    return;
  }
  copy(tokenizer_path, dir / (tokenizer_path.extension() == ".model" ? "tokenizer.model" : "tokenizer.json"));
  if (const auto tc = tokenizer_config_path(tokenizer_path)) copy(*tc, dir / "tokenizer_config.json");
}

/// A model with its tokenizer, however they were stored.
struct LoadedModel {
  std::unique_ptr<dapt::nn::Llama<dapt::Cpu>> model;
  tk::Tokenizer tok;
  std::string model_desc;                  ///< where the weights came from
  std::string tokenizer_desc;              ///< where the tokenizer came from
  std::optional<fs::path> tokenizer_path;  ///< a file or directory; unset: embedded in a GGUF
  SpecialIds special;
  std::optional<std::string> chat_template;  ///< a GGUF's tokenizer.chat_template
};

/// Loads --model (a checkpoint directory, a training root, or a .gguf file) or, without it,
/// `default_model` with `default_tokenizer` (the small mode), and the tokenizer: --tokenizer, else
/// the model's own (next to the weights, in the training root, or embedded in the GGUF).
inline LoadedModel load_model(const std::optional<std::string>& model_flag, const std::optional<std::string>& tokenizer_flag,
                              const fs::path& default_model, const fs::path& default_tokenizer) {
  LoadedModel m;
  const fs::path path = model_flag ? fs::path(*model_flag) : default_model;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    DAPT_CHECK_AS(kIo, path.extension() == ".gguf", "--model ", path.string(),
                  " is a file but not a .gguf; pass a checkpoint directory or a GGUF file");
    dapt::io::GgufLlama g = dapt::io::load_gguf_llama(path);
    m.model = dapt::io::load_llama_gguf(g);
    m.model_desc = path.string() + " (GGUF, dequantised to f32)";
    if (tokenizer_flag) {
      m.tokenizer_path = fs::path(*tokenizer_flag);
    } else {
      DAPT_CHECK_AS(kConfig, g.tokenizer.has_value(), path.string(), " embeds no tokenizer; pass --tokenizer");
      m.tok = *g.tokenizer;
      m.tokenizer_desc = "embedded in the GGUF (" + g.tokenizer_info.model + ")";
      const auto& info = g.tokenizer_info;
      if (info.eos) {
        m.special.eos = *info.eos;
        m.special.eos_from = "the GGUF's tokenizer.ggml.eos_token_id";
      } else {
        DAPT_CHECK_AS(kConfig, !m.model->config().eos_token_ids.empty(), path.string(), " names no EOS token");
        m.special.eos = static_cast<tk::TokenId>(m.model->config().eos_token_ids.front());
        m.special.eos_from = "the model config's eos_token_id";
      }
      if (info.add_bos && info.bos) m.special.bos = info.bos;
      m.chat_template = info.chat_template;
      return m;
    }
  } else {
    const fs::path dir = resolve_model_dir(path);
    m.model = dapt::io::load_llama(dir);
    m.model_desc = dir.string();
    m.tokenizer_path = resolve_tokenizer(tokenizer_flag, dir, model_flag ? std::nullopt : std::optional<fs::path>(default_tokenizer));
  }
  m.tok = tk::load_tokenizer(*m.tokenizer_path);
  m.tokenizer_desc = m.tokenizer_path->string();
  m.special = choose_special_ids(m.tok, *m.tokenizer_path, m.model->config());
  return m;
}

/// "2 layers, hidden 64, vocab 320, 0.27M parameters".
inline std::string describe(dapt::nn::Llama<dapt::Cpu>& model) {
  const auto& c = model.config();
  char buf[200];
  std::snprintf(buf, sizeof buf, "%lld layers, hidden %lld, heads %lld (kv %lld), vocab %lld, %.2fM parameters",
                static_cast<long long>(c.num_hidden_layers), static_cast<long long>(c.hidden_size),
                static_cast<long long>(c.num_attention_heads), static_cast<long long>(c.num_key_value_heads),
                static_cast<long long>(c.vocab_size), static_cast<double>(model.num_parameters()) / 1e6);
  return buf;
}

/// load_model, then fit_vocabulary: prints where the model and the tokenizer came from and, when
/// the tokenizer has more ids than the model has rows, how the vocabulary grew (03_dapt, 04_sft).
inline LoadedModel load_and_fit(const std::optional<std::string>& model_flag, const std::optional<std::string>& tokenizer_flag,
                                const fs::path& default_model, const fs::path& default_tokenizer) {
  LoadedModel m = load_model(model_flag, tokenizer_flag, default_model, default_tokenizer);
  std::printf("model      %s: %s\n", m.model_desc.c_str(), describe(*m.model).c_str());
  std::printf("tokenizer  %s, %zu ids\n", m.tokenizer_desc.c_str(), m.tok.vocab_size());
  const VocabFit fit = fit_vocabulary(*m.model, m.tok);
  if (fit.after != fit.before)
    std::printf("vocabulary grown %lld -> %lld rows for the tokenizer (ChipNeMo init: %zu new rows = mean of their "
                "sub-token embeddings, lm_head rows 0)\n",
                static_cast<long long>(fit.before), static_cast<long long>(fit.after), fit.initialised);
  return m;
}

/// With --resume, a complete checkpoint must already be under `out`: checked before anything is
/// loaded, so that a mistyped --out fails at once.
inline void check_resume(const fs::path& out, bool resume) {
  if (resume)
    DAPT_CHECK_AS(kIo, dapt::train::latest_checkpoint(out).has_value(), "--resume: no complete checkpoint under ",
                  out.string(), " (run once without --resume first, or point --out at the earlier run)");
}

/// Puts the tokenizer of `m` into `dir`: a copy of its files, or, for the tokenizer a GGUF embeds,
/// a tokenizer.json and a tokenizer_config.json naming its EOS/BOS and chat template (so that a
/// later run on this directory picks the same special tokens).
inline void save_tokenizer(const LoadedModel& m, const fs::path& dir) {
  if (m.tokenizer_path) {
    copy_tokenizer(*m.tokenizer_path, dir);
    return;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  try {
    tk::save_hf_tokenizer(dir / "tokenizer.json", m.tok);
    tk::TokenizerConfig tc;
    tc.eos_token = m.tok.id_to_token(m.special.eos);
    if (m.special.bos) tc.bos_token = m.tok.id_to_token(*m.special.bos);
    tc.add_bos_token = m.special.bos.has_value();
    tc.chat_template = m.chat_template;
    tk::save_tokenizer_config(dir / "tokenizer_config.json", tc);
  } catch (const dapt::Error& e) {
    std::printf("note       the GGUF's tokenizer cannot be saved as tokenizer.json (%s); pass --tokenizer next time\n",
                e.what());
  }
}

/// The regular files of `dir`, sorted (a text corpus folder); kIo naming `what` and the folder when
/// it is not a directory or holds no file.
inline std::vector<fs::path> folder_files(const fs::path& dir, const std::string& what = "--data") {
  std::error_code ec;
  DAPT_CHECK_AS(kIo, fs::is_directory(dir, ec), what, " ", dir.string(), " is not a directory");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  DAPT_CHECK_AS(kIo, !files.empty(), what, " ", dir.string(), " holds no files");
  return files;
}

/// Starts a run of `trainer` writing to `out`: with `resume`, restores the latest checkpoint
/// under `out` and says so; without, warns when `out` already holds checkpoints that this run,
/// starting at step 0, will replace.
template <class Trainer>
void start_or_resume(Trainer& trainer, const fs::path& out, bool resume) {
  if (resume) {
    const fs::path from = trainer.resume(out);
    std::printf("resumed from %s at step %lld\n", from.c_str(), static_cast<long long>(trainer.step()));
  } else if (const auto last = dapt::train::latest_checkpoint(out)) {
    std::printf("note       %s already holds checkpoints up to step %lld; this run starts at step 0 and replaces "
                "the ones it reaches (pass --resume to continue instead)\n",
                out.c_str(), static_cast<long long>(last->step));
  }
}

/// The mean of values[first, last) (NaN for an empty range).
inline double mean(const std::vector<double>& v, std::size_t first, std::size_t last) {
  if (last <= first) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (std::size_t i = first; i < last; ++i) s += v[i];
  return s / static_cast<double>(last - first);
}

/// Losses of the first and last few steps (a quarter of the run, at most 5 steps), so that one
/// noisy step does not decide whether the loss went down.
inline std::pair<double, double> loss_ends(const std::vector<double>& losses, std::size_t& window) {
  window = std::max<std::size_t>(1, std::min<std::size_t>(5, losses.size() / 4));
  if (losses.empty()) return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  return {mean(losses, 0, window), mean(losses, losses.size() - window, losses.size())};
}

}  // namespace examples::training
