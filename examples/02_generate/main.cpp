/// @file main.cpp
/// @brief Example 02: load a checkpoint, run a chat, stream tokens. It loads a LLaMA-family model
/// from a Hugging Face checkpoint directory (config.json + safetensors + tokenizer.json or
/// tokenizer.model [+ tokenizer_config.json]) or from a GGUF file with its embedded tokenizer,
/// renders the conversation in a chat format (ChipNeMo/NeMo, LLaMA-2, LLaMA-3 or ChatML; detected
/// from the chat template unless `--format` names one), generates the assistant's reply with a KV
/// cache and prints its text as it is produced. It prints the model, tokenizer, chat format and
/// sampling settings it used, each streamed reply, and after each reply a summary line: prompt
/// tokens, new tokens, stop reason, prefill time and decode speed in tokens/s.
///
/// Usage: 02_generate [--model DIR|FILE.gguf] [--tokenizer PATH] [--format chipnemo|llama2|llama3|chatml]
///                    [--system TEXT] [--prompt TEXT]... [--interactive] [--show-prompt]
///                    [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P]
///                    [--repetition-penalty R] [--seed S]
/// Each --prompt is one user turn, answered in order within one conversation; --interactive then
/// reads more user turns from stdin, one per line, until EOF. --show-prompt prints each rendered
/// prompt and its token ids (to check a chat format against a reference). Decoding is greedy unless
/// --temperature is above 0. Without --model it runs the tiny LLaMA fixture of tests/data, whose
/// weights are random, so its text is meaningless: that mode exists to run in a few seconds.
/// For a real model: `02_generate --model "$(scripts/fetch-smollm2)"` (SmolLM2-135M-Instruct).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <unistd.h>

#include "common/cli.hpp"
#include "dapt/extern_templates.hpp"  // instantiated once for all examples (dapt_instances)
#include "dapt/core/parallel.hpp"
#include "dapt/io/gguf_llama.hpp"
#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/nn/generate.hpp"
#include "dapt/tokenizer/chat_template.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt/tokenizer/tokenizer_config.hpp"

namespace {

namespace fs = std::filesystem;
namespace tk = dapt::tokenizer;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// A loaded model with what the chat needs besides the weights.
struct Loaded {
  std::unique_ptr<dapt::nn::Llama<dapt::Cpu>> model;
  tk::Tokenizer tokenizer;
  std::string model_desc, tokenizer_desc;
  std::optional<std::string> chat_template;      ///< Jinja source, to detect the format
  std::optional<tk::TokenId> tokenizer_eos;      ///< the tokenizer's own EOS (config or GGUF)
};

std::optional<std::string> read_file(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  std::FILE* f = std::fopen(p.string().c_str(), "rb");
  if (!f) return std::nullopt;
  std::string s;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
  std::fclose(f);
  return s;
}

/// The most common ggml type among the weight matrices of a GGUF, for the model line.
std::string gguf_weight_types(const dapt::io::GgufFile& f) {
  std::map<std::string, int> count;
  for (const auto& t : f.tensors())
    if (t.n_dims >= 2) ++count[std::string(dapt::io::ggml_type_name(t.type))];
  std::string out;
  for (const auto& [name, n] : count) out += (out.empty() ? "" : "+") + name;
  return out;
}

std::string describe(const dapt::io::LlamaConfig& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%lld layers, hidden %lld, heads %lld (kv %lld, head_dim %lld), vocab %lld, rope theta %g%s",
                (long long)c.num_hidden_layers, (long long)c.hidden_size, (long long)c.num_attention_heads,
                (long long)c.num_key_value_heads, (long long)c.head_dim, (long long)c.vocab_size, c.rope.theta,
                c.tie_word_embeddings ? ", tied embeddings" : "");
  return buf;
}

Loaded load(const fs::path& model_path, const std::optional<fs::path>& tokenizer_path) {
  Loaded m;
  std::error_code ec;
  if (fs::is_directory(model_path, ec)) {
    m.model = dapt::io::load_llama(model_path);
    m.model_desc = model_path.string() + " (HF checkpoint): " + describe(m.model->config());
    const fs::path tok_path = tokenizer_path.value_or(model_path);
    m.tokenizer = tk::load_tokenizer(tok_path);
    m.tokenizer_desc = tok_path.string();
    // tokenizer_config.json next to the tokenizer, else in the model directory.
    const fs::path tok_dir = fs::is_directory(tok_path, ec) ? tok_path : tok_path.parent_path();
    for (const fs::path& dir : {tok_dir, model_path}) {
      if (!fs::exists(dir / "tokenizer_config.json", ec)) continue;
      const tk::TokenizerConfig tc = tk::load_tokenizer_config(dir / "tokenizer_config.json");
      m.chat_template = tc.chat_template;
      if (tc.eos_token) m.tokenizer_eos = m.tokenizer.token_to_id(*tc.eos_token);
      break;
    }
    // transformers >= 4.43 may keep the template in its own file.
    for (const fs::path& dir : {tok_dir, model_path})
      if (!m.chat_template) m.chat_template = read_file(dir / "chat_template.jinja");
    return m;
  }
  DAPT_CHECK_AS(kIo, fs::is_regular_file(model_path, ec), "--model ", model_path.string(),
                " is neither a checkpoint directory nor a file");
  const dapt::io::GgufLlama gguf = dapt::io::load_gguf_llama(model_path);
  m.model = dapt::io::load_llama_gguf(gguf);
  m.model_desc = model_path.string() + " (GGUF " + gguf_weight_types(gguf.file) + ", dequantised to f32): " +
                 describe(gguf.config);
  if (tokenizer_path) {
    m.tokenizer = tk::load_tokenizer(*tokenizer_path);
    m.tokenizer_desc = tokenizer_path->string();
  } else {
    DAPT_CHECK_AS(kConfig, gguf.tokenizer.has_value(), model_path.string(),
                  " embeds no tokenizer; pass one with --tokenizer");
    m.tokenizer = *gguf.tokenizer;
    m.tokenizer_desc = "embedded in the GGUF (" + gguf.tokenizer_info.model +
                       (gguf.tokenizer_info.pre.empty() ? "" : "/" + gguf.tokenizer_info.pre) + ")";
    m.chat_template = gguf.tokenizer_info.chat_template;
    m.tokenizer_eos = gguf.tokenizer_info.eos;
  }
  return m;
}

bool byte_level(const tk::Tokenizer& tok) { return tok.model().options().alphabet == tk::BpeAlphabet::kBytes; }

/// The chat format: --format, else the chat template's, else ChatML for a byte-level tokenizer
/// (the usual format of byte-level instruct models) and ChipNeMo's for a SentencePiece one.
std::pair<tk::ChatFormat, std::string> choose_format(const std::optional<std::string>& flag, const Loaded& m) {
  if (flag) return {tk::parse_chat_format(*flag), "from --format"};
  if (m.chat_template) {
    if (const auto f = tk::detect_chat_format(*m.chat_template)) return {*f, "detected from the chat template"};
    if (byte_level(m.tokenizer)) return {tk::ChatFormat::kChatMl, "chat template not recognised; default for a byte-level tokenizer"};
    return {tk::ChatFormat::kChipNeMo, "chat template not recognised; default for a SentencePiece tokenizer"};
  }
  if (byte_level(m.tokenizer)) return {tk::ChatFormat::kChatMl, "no chat template; default for a byte-level tokenizer"};
  return {tk::ChatFormat::kChipNeMo, "no chat template; default for a SentencePiece tokenizer"};
}

/// Encodes rendered chat text without adding BOS/EOS (the text holds them where the format writes
/// them). A tokenizer that matches special tokens in text (tokenizer.json, byte-level GGUF) turns
/// "<s>" or "<|im_start|>" into their ids itself; a SentencePiece model never matches control
/// pieces in text, so the format's BOS/EOS markers in `specials` are cut out here and their ids
/// put in their place, with each piece between them encoded on its own (as transformers' slow
/// LLaMA tokenizer does: "<s>[INST]" gives <s> "▁[" ...).
std::vector<tk::TokenId> encode_chat(const tk::Tokenizer& tok, const std::string& text, const std::vector<std::string>& specials) {
  std::vector<std::pair<std::string, tk::TokenId>> cut;
  for (const auto& s : specials) {
    if (s.empty()) continue;
    const auto id = tok.token_to_id(s);
    if (id && tok.encode(s) != std::vector<tk::TokenId>{*id}) cut.emplace_back(s, *id);
  }
  std::vector<tk::TokenId> out;
  tk::EncodeScratch scratch;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t at = std::string::npos;
    const std::pair<std::string, tk::TokenId>* hit = nullptr;
    for (const auto& c : cut) {
      const std::size_t a = text.find(c.first, pos);
      if (a < at) at = a, hit = &c;
    }
    const std::size_t end = hit ? at : text.size();
    if (end > pos) tok.encode(std::string_view(text).substr(pos, end - pos), out, scratch);
    if (!hit) break;
    out.push_back(hit->second);
    pos = at + hit->first.size();
  }
  return out;
}

/// Byte length of the UTF-8 sequence that starts with `c`.
std::size_t utf8_length(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

/// Prompt ids the model has no embedding row for (its vocabulary is smaller than the tokenizer's,
/// as for the tiny fixture) are replaced by the single-character tokens of their text or, failing
/// that, by SentencePiece byte tokens (<0xXX>), when those fit; anything else is an error naming
/// the id. Returns how many ids were split.
std::size_t fit_vocabulary(const tk::Tokenizer& tok, std::vector<tk::TokenId>& ids, std::int64_t vocab) {
  std::size_t split = 0;
  std::vector<tk::TokenId> out;
  out.reserve(ids.size());
  auto fits = [&](const std::optional<tk::TokenId>& id) { return id && *id < vocab; };
  for (const tk::TokenId id : ids) {
    if (id < vocab) {
      out.push_back(id);
      continue;
    }
    const std::string& s = tok.id_to_token(id);
    for (std::size_t i = 0; i < s.size();) {
      const std::size_t n = std::min(utf8_length(static_cast<unsigned char>(s[i])), s.size() - i);
      if (const auto c = tok.token_to_id(std::string_view(s).substr(i, n)); fits(c)) {
        out.push_back(*c);
      } else {
        for (std::size_t j = i; j < i + n; ++j) {
          char name[8];
          std::snprintf(name, sizeof name, "<0x%02X>", static_cast<unsigned char>(s[j]));
          const auto b = tok.token_to_id(name);
          DAPT_CHECK_AS(kOutOfRange, fits(b), "prompt token ", id, " (\"", s, "\") is outside the model's vocabulary of ",
                        vocab, " and cannot be split into smaller tokens; use the model's own tokenizer");
          out.push_back(*b);
        }
      }
      i += n;
    }
    ++split;
  }
  ids.swap(out);
  return split;
}

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

}  // namespace

int main(int argc, char** argv) {
  return examples::run_main(argc, argv, [](std::vector<std::string> args) {
    const auto model_opt = examples::take_option(args, "--model");
    const auto tokenizer_opt = examples::take_option(args, "--tokenizer");
    const auto format_opt = examples::take_option(args, "--format");
    const auto system_opt = examples::take_option(args, "--system");
    std::vector<std::string> prompts;
    while (const auto p = examples::take_option(args, "--prompt")) prompts.push_back(*p);
    const bool interactive = examples::take_flag(args, "--interactive");
    const bool show_prompt = examples::take_flag(args, "--show-prompt");
    const auto max_new = examples::take_option(args, "--max-new-tokens");
    const auto temperature = examples::take_option(args, "--temperature");
    const auto top_k = examples::take_option(args, "--top-k");
    const auto top_p = examples::take_option(args, "--top-p");
    const auto rep = examples::take_option(args, "--repetition-penalty");
    const auto seed = examples::take_option(args, "--seed");
    DAPT_CHECK(args.empty(), "unknown argument \"", args.empty() ? "" : args[0],
               "\"; usage: 02_generate [--model DIR|FILE.gguf] [--tokenizer PATH] [--format chipnemo|llama2|llama3|chatml] "
               "[--system TEXT] [--prompt TEXT]... [--interactive] [--show-prompt] [--max-new-tokens N] [--temperature T] [--top-k K] "
               "[--top-p P] [--repetition-penalty R] [--seed S]");

    dapt::nn::GenerationOptions gen;
    gen.max_new_tokens = max_new ? parse_number<std::int64_t>("--max-new-tokens", *max_new) : 128;
    const float temp = temperature ? parse_number<float>("--temperature", *temperature) : 0.0f;
    gen.sampling.greedy = temp <= 0.0f;
    gen.sampling.temperature = gen.sampling.greedy ? 1.0f : temp;
    gen.sampling.top_k = top_k ? parse_number<int>("--top-k", *top_k) : 0;
    gen.sampling.top_p = top_p ? parse_number<float>("--top-p", *top_p) : 1.0f;
    gen.sampling.repetition_penalty = rep ? parse_number<float>("--repetition-penalty", *rep) : 1.0f;
    gen.seed = seed ? parse_number<std::uint64_t>("--seed", *seed) : 0;
    dapt::nn::validate_sampling_options(gen.sampling);
    if (!temperature || temp <= 0.0f)
      DAPT_CHECK(!top_k && !top_p && !seed, "--top-k, --top-p and --seed only apply when sampling: add --temperature T > 0");
    if (prompts.empty() && !interactive) prompts.push_back("What does a flip-flop do in a digital circuit?");

    const int threads = dapt::apply_thread_policy();
    const bool tiny = !model_opt;
    const fs::path model_path = model_opt ? fs::path(*model_opt) : fs::path(DAPT_EXAMPLE_MODEL_DIR);
    std::optional<fs::path> tokenizer_path;
    if (tokenizer_opt) tokenizer_path = fs::path(*tokenizer_opt);
    else if (tiny) tokenizer_path = fs::path(DAPT_EXAMPLE_BYTE_LEVEL_TOKENIZER);

    const auto t_load = Clock::now();
    Loaded m = load(model_path, tokenizer_path);
    auto& model = *m.model;
    const double load_s = seconds_since(t_load);
    const auto chosen = choose_format(format_opt, m);
    const tk::ChatFormat format = chosen.first;
    tk::ChatRenderOptions render;
    render.add_generation_prompt = true;
    gen.stop_strings = tk::chat_stop_strings(format, render);
    // Stop ids: the config's eos (generate adds them), the tokenizer's eos, and the format's
    // end-of-turn markers when they are single tokens (stopping on the id beats on the text).
    if (m.tokenizer_eos) gen.eos_token_ids.push_back(*m.tokenizer_eos);
    for (const auto& s : gen.stop_strings)
      if (const auto id = m.tokenizer.token_to_id(s); id && m.tokenizer.encode(s) == std::vector<tk::TokenId>{*id})
        gen.eos_token_ids.push_back(*id);
    std::vector<std::string> eos_names;
    {
      std::vector<std::int32_t> all = gen.eos_token_ids;
      for (auto e : model.config().eos_token_ids) all.push_back(static_cast<std::int32_t>(e));
      std::sort(all.begin(), all.end());
      all.erase(std::unique(all.begin(), all.end()), all.end());
      for (auto e : all) {
        const bool known = e >= 0 && static_cast<std::size_t>(e) < m.tokenizer.vocab_size();
        eos_names.push_back(known ? m.tokenizer.id_to_token(e) + " (" + std::to_string(e) + ")" : std::to_string(e));
      }
    }

    std::printf("model      %s\n", m.model_desc.c_str());
    std::printf("tokenizer  %s, %zu tokens\n", m.tokenizer_desc.c_str(), m.tokenizer.vocab_size());
    std::printf("format     %s (%s)\n", std::string(tk::chat_format_name(format)).c_str(), chosen.second.c_str());
    std::string stop_ids, stop_texts;
    for (const auto& s : eos_names) stop_ids += (stop_ids.empty() ? "" : ", ") + s;
    for (const auto& s : gen.stop_strings) stop_texts += (stop_texts.empty() ? "\"" : ", \"") + s + "\"";
    std::printf("stop on    ids %s; text %s; at most %lld new tokens\n", stop_ids.c_str(), stop_texts.c_str(),
                (long long)gen.max_new_tokens);
    if (gen.sampling.greedy)
      std::printf("decoding   greedy%s\n", rep ? (", repetition penalty " + *rep).c_str() : "");
    else
      std::printf("decoding   sampling: temperature %g, top-k %d, top-p %g, repetition penalty %g, seed %llu\n",
                  gen.sampling.temperature, gen.sampling.top_k, gen.sampling.top_p, gen.sampling.repetition_penalty,
                  (unsigned long long)gen.seed);
    std::printf("loaded in  %.2f s, %d threads\n", load_s, threads);
    if (tiny)
      std::printf("note       the default model is the tiny test fixture with random weights: its text is meaningless.\n"
                  "           Run with --model \"$(scripts/fetch-smollm2)\" for a real chat model.\n");
    std::fflush(stdout);

    std::vector<tk::ChatMessage> chat;
    if (system_opt) chat.push_back({"system", *system_opt});
    const std::vector<std::string> specials{render.bos_token.value_or(std::string(tk::default_chat_bos(format))),
                                            render.eos_token.value_or(std::string(tk::default_chat_eos(format)))};

    bool split_noted = false;
    // One user turn: render the whole conversation, encode, generate while streaming, summarise.
    auto turn = [&](const std::string& user, bool echo) {
      chat.push_back({"user", user});
      const tk::RenderedChat text = tk::render_chat(format, chat, render);
      std::vector<tk::TokenId> ids = encode_chat(m.tokenizer, text.text, specials);
      if (echo) std::printf("\nuser> %s\n", user.c_str());
      const std::size_t split = fit_vocabulary(m.tokenizer, ids, model.config().vocab_size);
      if (split && !split_noted) {
        std::printf("(the model's vocabulary of %lld is smaller than the tokenizer's: prompt tokens above it are split "
                    "into single characters)\n", (long long)model.config().vocab_size);
        split_noted = true;
      }
      const std::int64_t max_pos = model.config().max_position_embeddings;
      if (static_cast<std::int64_t>(ids.size()) + gen.max_new_tokens > max_pos)
        std::printf("(warning: %zu prompt + %lld new tokens exceed the model's %lld positions; quality may drop)\n",
                    ids.size(), (long long)gen.max_new_tokens, (long long)max_pos);
      if (show_prompt) {
        std::printf("prompt text: \"%s\"\nprompt ids: ", text.text.c_str());
        for (const auto id : ids) std::printf(" %d", id);
        std::printf("\n");
      }
      std::printf("assistant> ");
      std::fflush(stdout);

      const auto t0 = Clock::now();
      std::optional<Clock::time_point> first;
      const auto out = dapt::nn::generate(model, ids, gen, &m.tokenizer, [&](std::size_t, std::int32_t, std::string_view piece) {
        if (!first) first = Clock::now();
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        return true;
      });
      const auto t1 = Clock::now();
      // Prefill: the prompt's forward pass and the first token; decode: every later token.
      const double prefill = first ? std::chrono::duration<double>(*first - t0).count() : 0.0;
      const double decode = first ? std::chrono::duration<double>(t1 - *first).count() : 0.0;
      const std::size_t decoded = out.tokens.size() > 1 ? out.tokens.size() - 1 : 0;
      std::printf("\n[prompt %zu tokens, %zu new tokens, stop %s, prefill %.3f s (%.0f tokens/s), decode %.1f tokens/s]\n",
                  ids.size(), out.tokens.size(), dapt::nn::stop_reason_name(out.reason), prefill,
                  prefill > 0 ? static_cast<double>(ids.size()) / prefill : 0.0,
                  decode > 0 ? static_cast<double>(decoded) / decode : 0.0);
      std::fflush(stdout);
      chat.push_back({"assistant", out.text});
    };

    for (const auto& p : prompts) turn(p, true);
    if (interactive) {
      const bool stdin_is_terminal = isatty(0) != 0;
      std::string line;
      for (;;) {
        std::printf("\nuser (end with EOF)> ");
        std::fflush(stdout);
        if (!std::getline(std::cin, line)) break;
        if (line.empty()) continue;
        if (!stdin_is_terminal) std::printf("%s\n", line.c_str());  // piped input: show what was read
        turn(line, false);
      }
      std::printf("\n");
    }
    return 0;
  });
}
