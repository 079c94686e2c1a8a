/// @file chat_template.hpp
/// @brief Chat formats of the LLaMA family and of ChipNeMo, rendered by plain C++ (no Jinja
/// engine): ChipNeMo's NeMo SFT format (`<extra_id_0>System` / `<extra_id_1>User` /
/// `<extra_id_1>Assistant`), LLaMA-2-chat (`[INST]`, `<<SYS>>`), LLaMA-3-Instruct
/// (`<|start_header_id|>`, `<|eot_id|>`) and ChatML (`<|im_start|>`, `<|im_end|>`). Each format
/// reproduces, character for character, the text of its reference: the Hugging Face
/// `chat_template` of meta-llama/Llama-2-7b-chat-hf and meta-llama/Meta-Llama-3-8B-Instruct, the
/// ChatML template of transformers' documentation, and NeMo's `GPTSFTChatDataset` (the SFT data
/// path ChipNeMo used). `render_chat` returns the prompt text and, for the SFT trainer that puts
/// the loss on assistant tokens only, the byte spans of every assistant reply with its
/// end-of-turn marker. `detect_chat_format` maps a tokenizer_config.json `chat_template` string
/// to a format by its marker substrings, and `chat_stop_strings` gives the strings that end a
/// generated reply.
///
/// BOS: the text is what the reference renders, so it is meant to be encoded *without* the
/// tokenizer's own BOS (transformers' `apply_chat_template` encodes with
/// `add_special_tokens=False` for the same reason), by a tokenizer that matches special tokens
/// in text (a tokenizer.json; a SentencePiece .model never matches control pieces such as `<s>`
/// in text). The LLaMA-2 and LLaMA-3 templates write the BOS token as text, so by default
/// `render_chat` does too; ChipNeMo's NeMo data path and ChatML write none. Set
/// `ChatRenderOptions::bos_in_text = false` to leave the leading BOS to the tokenizer instead
/// (`encode_with_config` or `add_special_tokens = true`); never do both, or BOS is doubled.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"

namespace dapt::tokenizer {

/// One message of a conversation. Roles are "system", "user" and "assistant"; anything else is
/// rejected by `render_chat` (kInvalidArgument, naming the role and the message index).
struct ChatMessage {
  std::string role;
  std::string content;
};

/// The chat formats dapt renders.
enum class ChatFormat {
  /// NeMo's SFT chat format, as ChipNeMo (arXiv 2311.00176) fine-tuned with it: NeMo
  /// `GPTSFTChatDataset` with its default special tokens (system_turn_start `<extra_id_0>`,
  /// turn_start `<extra_id_1>`, end_of_name and end_of_turn "\n"; no SteerLM labels).
  kChipNeMo,
  kLlama2,  ///< meta-llama/Llama-2-*-chat-hf: `<s>[INST] <<SYS>>\n..\n<</SYS>>\n\n.. [/INST] .. </s>`
  kLlama3,  ///< meta-llama/Meta-Llama-3-*-Instruct (3.0; 3.1's date preamble is not added)
  kChatMl,  ///< `<|im_start|>role\n..<|im_end|>\n`
};

/// The name of a format as `parse_chat_format` reads it: "chipnemo", "llama2", "llama3", "chatml".
constexpr std::string_view chat_format_name(ChatFormat format) noexcept {
  switch (format) {
    case ChatFormat::kChipNeMo: return "chipnemo";
    case ChatFormat::kLlama2: return "llama2";
    case ChatFormat::kLlama3: return "llama3";
    case ChatFormat::kChatMl: return "chatml";
  }
  return "unknown";
}

/// The format named `name` (ASCII case-insensitive). Throws kInvalidArgument listing the valid
/// names otherwise.
inline ChatFormat parse_chat_format(std::string_view name) {
  constexpr std::array kAll{ChatFormat::kChipNeMo, ChatFormat::kLlama2, ChatFormat::kLlama3, ChatFormat::kChatMl};
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (ChatFormat f : kAll) {
    const std::string_view n = chat_format_name(f);
    if (n.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < n.size() && same; ++i) same = lower(name[i]) == n[i];
    if (same) return f;
  }
  DAPT_FAIL(ErrorCategory::kInvalidArgument, "unknown chat format \"", name,
            "\"; valid names: chipnemo, llama2, llama3, chatml");
}

/// The BOS token text of a format's reference tokenizer ("" for ChatML, which has none).
constexpr std::string_view default_chat_bos(ChatFormat format) noexcept {
  switch (format) {
    case ChatFormat::kChipNeMo:
    case ChatFormat::kLlama2: return "<s>";
    case ChatFormat::kLlama3: return "<|begin_of_text|>";
    case ChatFormat::kChatMl: return "";
  }
  return "";
}

/// The token that ends an assistant turn in each format: `</s>` (LLaMA-2; for ChipNeMo it is
/// the tokenizer's EOS, which the NeMo format does not write, see `ChatRenderOptions::eos_token`),
/// `<|eot_id|>` (LLaMA-3) and `<|im_end|>` (ChatML).
constexpr std::string_view default_chat_eos(ChatFormat format) noexcept {
  switch (format) {
    case ChatFormat::kChipNeMo:
    case ChatFormat::kLlama2: return "</s>";
    case ChatFormat::kLlama3: return "<|eot_id|>";
    case ChatFormat::kChatMl: return "<|im_end|>";
  }
  return "";
}

/// Whether `render_chat` writes the BOS token as text by default: true where the reference
/// template does (LLaMA-2, LLaMA-3), false for ChipNeMo (NeMo's chat dataset writes none) and
/// ChatML (no BOS token).
constexpr bool default_chat_bos_in_text(ChatFormat format) noexcept {
  return format == ChatFormat::kLlama2 || format == ChatFormat::kLlama3;
}

struct ChatRenderOptions {
  /// End the text with the header that opens an assistant turn, for generation:
  /// `<extra_id_1>Assistant\n` (ChipNeMo), `<|start_header_id|>assistant<|end_header_id|>\n\n`
  /// (LLaMA-3), `<|im_start|>assistant\n` (ChatML). LLaMA-2 has no such header (its prompt ends
  /// with ` [/INST]` already), so this adds nothing there. ChipNeMo and LLaMA-2 alternate
  /// strictly, so for them this requires the last message to be a user message.
  bool add_generation_prompt = false;
  /// The BOS token text; unset: `default_chat_bos(format)`.
  std::optional<std::string> bos_token;
  /// The end-of-turn token text; unset: `default_chat_eos(format)`. LLaMA-2 writes it after each
  /// assistant reply; LLaMA-3 and ChatML after every message (their templates hard-code
  /// `<|eot_id|>` / `<|im_end|>`, which are the defaults). ChipNeMo ends a turn with "\n" and the
  /// next `<extra_id_1>`, and never writes this token; it only joins `chat_stop_strings`.
  std::optional<std::string> eos_token;
  /// Write the leading BOS as text; unset: `default_chat_bos_in_text(format)`. For LLaMA-2 this
  /// concerns only the first `<s>`: the `<s>` that opens every later `[INST]` is part of the
  /// format and always written.
  std::optional<bool> bos_in_text;
};

/// A rendered conversation: the text, and the byte ranges [first, second) of `text` that hold
/// each assistant reply and its end-of-turn marker (in message order), the tokens an SFT loss
/// is computed on:
/// - ChipNeMo: the reply, its "\n" and the following `<extra_id_1>` (the next turn's start, or
///   one appended after a final assistant reply), exactly the tokens NeMo's `_mask_targets`
///   leaves unmasked (the `<extra_id_1>` "serves as the end of turn signal");
/// - LLaMA-2: the stripped reply, " " and `</s>`;
/// - LLaMA-3: the trimmed reply and `<|eot_id|>`;
/// - ChatML: the reply and `<|im_end|>` (not the "\n" after it).
/// The role headers before a reply are never inside a span.
struct RenderedChat {
  std::string text;
  std::vector<std::pair<std::size_t, std::size_t>> assistant_spans;
};

namespace detail {

/// Byte length of the Unicode whitespace code point that starts at `s[i]` (0 if none). The set
/// is Python's str.isspace(), which `str.strip()` and Jinja's `trim` remove.
inline std::size_t chat_space_at(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned c0 = b(i);
  if (c0 == ' ' || (c0 >= 0x09 && c0 <= 0x0D) || (c0 >= 0x1C && c0 <= 0x1F)) return 1;
  if (c0 == 0xC2 && (b(i + 1) == 0x85 || b(i + 1) == 0xA0)) return 2;                     // U+0085, U+00A0
  if (c0 == 0xE1 && b(i + 1) == 0x9A && b(i + 2) == 0x80) return 3;                       // U+1680
  if (c0 == 0xE2 && b(i + 1) == 0x80) {
    const unsigned c2 = b(i + 2);
    if ((c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF) return 3;  // U+2000..200A, 2028, 2029, 202F
  }
  if (c0 == 0xE2 && b(i + 1) == 0x81 && b(i + 2) == 0x9F) return 3;                       // U+205F
  if (c0 == 0xE3 && b(i + 1) == 0x80 && b(i + 2) == 0x80) return 3;                       // U+3000
  return 0;
}

/// Python's `str.strip()` on UTF-8 text (the reference templates' `.strip()` and `| trim`).
inline std::string_view chat_strip(std::string_view s) noexcept {
  std::size_t begin = 0;
  while (begin < s.size()) {
    const std::size_t n = chat_space_at(s, begin);
    if (n == 0) break;
    begin += n;
  }
  std::size_t end = s.size();
  while (end > begin) {
    // Whitespace code points are 1 to 3 bytes long: try each length that ends at `end`.
    std::size_t n = 0;
    for (std::size_t len = 1; len <= 3 && len <= end - begin && n == 0; ++len)
      if (chat_space_at(s, end - len) == len) n = len;
    if (n == 0) break;
    end -= n;
  }
  return s.substr(begin, end - begin);
}

enum class ChatRole { kSystem, kUser, kAssistant };

inline ChatRole chat_role(const ChatMessage& m, std::size_t index) {
  if (m.role == "system") return ChatRole::kSystem;
  if (m.role == "user") return ChatRole::kUser;
  if (m.role == "assistant") return ChatRole::kAssistant;
  DAPT_FAIL(ErrorCategory::kInvalidArgument, "render_chat: message ", index, " has role \"", m.role,
            "\"; valid roles: system, user, assistant");
}

/// ChipNeMo and LLaMA-2: an optional leading system message, then user, assistant, user, ...
inline void check_alternation(ChatFormat format, std::span<const ChatMessage> messages, bool generation) {
  const std::string_view name = chat_format_name(format);
  const std::size_t first = chat_role(messages[0], 0) == ChatRole::kSystem ? 1 : 0;
  DAPT_CHECK(first < messages.size(), "render_chat (", name,
             "): the conversation has a system message but no user message");
  for (std::size_t i = first; i < messages.size(); ++i) {
    const ChatRole r = chat_role(messages[i], i);
    DAPT_CHECK(r != ChatRole::kSystem, "render_chat (", name, "): message ", i,
               " is a system message; only the first message may be one");
    const bool user_expected = (i - first) % 2 == 0;
    DAPT_CHECK((r == ChatRole::kUser) == user_expected, "render_chat (", name, "): message ", i, " has role \"",
               messages[i].role, "\" but roles must alternate user/assistant/user/... after an optional system message");
  }
  DAPT_CHECK(!generation || chat_role(messages.back(), messages.size() - 1) == ChatRole::kUser, "render_chat (", name,
             "): add_generation_prompt needs the last message to be a user message (roles alternate)");
}

}  // namespace detail

/// Renders `messages` in `format`. Throws kInvalidArgument for an empty conversation, an unknown
/// role (naming it and its index), and, for ChipNeMo and LLaMA-2, a conversation that does not
/// alternate user/assistant after an optional leading system message (both references assume
/// it; transformers raises "Conversation roles must alternate"). LLaMA-3 and ChatML accept any
/// order, as their templates do.
///
/// Whitespace, as the references do: LLaMA-2 strips every message (after prefixing the system
/// block to the first user message, so only that message's end is stripped then), LLaMA-3 trims
/// every message, ChatML and ChipNeMo keep contents verbatim. ChipNeMo always writes the system
/// header (with an empty system message when there is none), as NeMo does.
inline RenderedChat render_chat(ChatFormat format, std::span<const ChatMessage> messages,
                                const ChatRenderOptions& options = {}) {
  DAPT_CHECK(!messages.empty(), "render_chat (", chat_format_name(format), "): the conversation is empty");
  for (std::size_t i = 0; i < messages.size(); ++i) (void)detail::chat_role(messages[i], i);
  const std::string bos = options.bos_token ? *options.bos_token : std::string(default_chat_bos(format));
  const std::string eos = options.eos_token ? *options.eos_token : std::string(default_chat_eos(format));
  const bool bos_in_text = options.bos_in_text.value_or(default_chat_bos_in_text(format));
  const bool gen = options.add_generation_prompt;

  RenderedChat out;
  std::string& t = out.text;
  std::size_t reserve = 64;
  for (const auto& m : messages) reserve += m.content.size() + 48;
  t.reserve(reserve);
  if (bos_in_text) t += bos;

  switch (format) {
    case ChatFormat::kChipNeMo: {
      constexpr std::string_view kTurn = "<extra_id_1>";
      detail::check_alternation(format, messages, gen);
      const bool has_system = messages[0].role == "system";
      t += "<extra_id_0>System\n";
      if (has_system) t += messages[0].content;
      t += '\n';
      for (std::size_t i = has_system ? 1 : 0; i < messages.size(); ++i) {
        const bool assistant = messages[i].role == "assistant";
        t += kTurn;
        t += assistant ? "Assistant\n" : "User\n";
        const std::size_t begin = t.size();
        t += messages[i].content;
        t += '\n';
        // The reply's end marker is "\n" plus the next turn's <extra_id_1>, written by the next
        // turn (or below, after a final reply), so the span ends past that token.
        if (assistant) out.assistant_spans.emplace_back(begin, t.size() + kTurn.size());
      }
      if (messages.back().role == "assistant") t += kTurn;  // NeMo: the loss includes the end signal
      if (gen) {
        t += kTurn;
        t += "Assistant\n";
      }
      break;
    }
    case ChatFormat::kLlama2: {
      detail::check_alternation(format, messages, gen);
      const bool has_system = messages[0].role == "system";
      std::string first_user;
      for (std::size_t i = has_system ? 1 : 0; i < messages.size(); ++i) {
        const bool first = i == (has_system ? 1u : 0u);
        std::string_view content = messages[i].content;
        if (first && has_system) {
          first_user = "<<SYS>>\n" + messages[0].content + "\n<</SYS>>\n\n" + messages[i].content;
          content = first_user;
        }
        if (messages[i].role == "user") {
          if (!first) t += bos;  // the first BOS was written above when bos_in_text
          t += "[INST] ";
          t += detail::chat_strip(content);
          t += " [/INST]";
        } else {
          t += ' ';
          const std::size_t begin = t.size();
          t += detail::chat_strip(content);
          t += ' ';
          t += eos;
          out.assistant_spans.emplace_back(begin, t.size());
        }
      }
      break;  // add_generation_prompt: the text already ends with " [/INST]"
    }
    case ChatFormat::kLlama3: {
      for (const auto& m : messages) {
        t += "<|start_header_id|>";
        t += m.role;
        t += "<|end_header_id|>\n\n";
        const std::size_t begin = t.size();
        t += detail::chat_strip(m.content);
        t += eos;
        if (m.role == "assistant") out.assistant_spans.emplace_back(begin, t.size());
      }
      if (gen) t += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    }
    case ChatFormat::kChatMl: {
      for (const auto& m : messages) {
        t += "<|im_start|>";
        t += m.role;
        t += '\n';
        const std::size_t begin = t.size();
        t += m.content;
        t += eos;
        if (m.role == "assistant") out.assistant_spans.emplace_back(begin, t.size());
        t += '\n';
      }
      if (gen) t += "<|im_start|>assistant\n";
      break;
    }
  }
  return out;
}

/// The format of a tokenizer_config.json `chat_template` (its Jinja source), recognised by
/// marker substrings, first match wins: `<|start_header_id|>` → LLaMA-3 (3.0, 3.1 and later
/// variants all map here), `<|im_start|>` → ChatML, `<extra_id_1>` → ChipNeMo (NeMo/SteerLM
/// templates), `[INST]` together with `<<SYS>>` → LLaMA-2 (and CodeLlama). Returns nullopt for
/// anything else, including Mistral's `[INST]` templates without `<<SYS>>`, whose spacing differs
/// from LLaMA-2's, and an empty string.
inline std::optional<ChatFormat> detect_chat_format(std::string_view chat_template) noexcept {
  const auto has = [&](std::string_view s) { return chat_template.find(s) != std::string_view::npos; };
  if (has("<|start_header_id|>")) return ChatFormat::kLlama3;
  if (has("<|im_start|>")) return ChatFormat::kChatMl;
  if (has("<extra_id_1>")) return ChatFormat::kChipNeMo;
  if (has("[INST]") && has("<<SYS>>")) return ChatFormat::kLlama2;
  return std::nullopt;
}

/// The strings that end a generated assistant reply, to stop decoding on: `</s>` (LLaMA-2),
/// `<|eot_id|>` and `<|end_of_text|>` (LLaMA-3, whose generation_config stops on both),
/// `<|im_end|>` (ChatML), `<extra_id_1>` and `</s>` (ChipNeMo: NeMo's inference stops at the
/// next turn start). The eos entry follows `options.eos_token` when set.
inline std::vector<std::string> chat_stop_strings(ChatFormat format, const ChatRenderOptions& options = {}) {
  const std::string eos = options.eos_token ? *options.eos_token : std::string(default_chat_eos(format));
  std::vector<std::string> out;
  const auto add = [&](std::string s) {
    if (s.empty()) return;
    for (const auto& o : out)
      if (o == s) return;
    out.push_back(std::move(s));
  };
  switch (format) {
    case ChatFormat::kChipNeMo:
      add("<extra_id_1>");
      add(eos);
      break;
    case ChatFormat::kLlama2:
    case ChatFormat::kChatMl:
      add(eos);
      break;
    case ChatFormat::kLlama3:
      add(eos);
      add("<|end_of_text|>");
      break;
  }
  return out;
}

}  // namespace dapt::tokenizer
