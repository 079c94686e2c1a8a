/// @file chat_template_test.cpp
/// @brief Chat formats: exact text for ChipNeMo, LLaMA-2, LLaMA-3 and ChatML (single and multi
/// turn, with and without a system message, with the generation prompt), assistant spans, the
/// errors, format detection on real chat_template strings, and stop strings. The expected texts
/// were rendered by jinja2 3.1 from the real Hugging Face templates (sandboxed environment with
/// trim_blocks and lstrip_blocks, as transformers renders them) and, for ChipNeMo, by NeMo's
/// GPTSFTChatDataset code path (`_get_header_conversation_type_mask_role` with the default
/// special tokens; the generation prompt as NeMo's `apply_nemo_chat_template`).
#include <string>
#include <vector>

#include "dapt/tokenizer/chat_template.hpp"
#include "dapt/tokenizer/tokenizer_config.hpp"
#include "dapt_catch.hpp"

using namespace dapt::tokenizer;

namespace {

const ChatMessage kSys{"system", "You are a chip design assistant."};
const ChatMessage kU1{"user", "  What does DRC stand for?\n"};  // padded: formats differ in stripping
const ChatMessage kA1{"assistant", " Design rule check. "};
const ChatMessage kU2{"user", "And LVS?"};
const ChatMessage kA2{"assistant", "Layout versus schematic."};

const std::vector<ChatMessage> kSingle{kU1};
const std::vector<ChatMessage> kSingleSys{kSys, kU1};
const std::vector<ChatMessage> kMulti{kU1, kA1, kU2};
const std::vector<ChatMessage> kMultiSys{kSys, kU1, kA1, kU2, kA2};

std::string render(ChatFormat f, const std::vector<ChatMessage>& m, bool gen = false) {
  ChatRenderOptions o;
  o.add_generation_prompt = gen;
  return render_chat(f, m, o).text;
}

std::vector<std::string> span_texts(const RenderedChat& r) {
  std::vector<std::string> out;
  for (const auto& [b, e] : r.assistant_spans) {
    REQUIRE(b <= e);
    REQUIRE(e <= r.text.size());
    out.push_back(r.text.substr(b, e - b));
  }
  return out;
}

// Real templates, as the Jinja source reads after JSON decoding of tokenizer_config.json.
// meta-llama/Llama-2-7b-chat-hf
const char* const kLlama2Template =
    R"({% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %})";
// meta-llama/Meta-Llama-3-8B-Instruct
const char* const kLlama3Template =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
    "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 "
    "%}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
// ChatML, transformers' documentation (and e.g. cognitivecomputations/dolphin-2.5-mixtral-8x7b)
const char* const kChatMlTemplate =
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% for message "
    "in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor "
    "%}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
// NeMo's chat_prompt_tokens_to_hf_jinja_chat_template with the default special tokens.
const char* const kNemoTemplate =
    R"({{'<extra_id_0>System\n'}}{% for message in messages %}{% if message['role'] == 'system' %}{{message['content'].strip()}}{% endif %}{% endfor %}{{'\n'}}{% for message in messages %}{% if message['role'] == 'user' %}{{ '<extra_id_1>User\n' + message['content'].strip() + '\n<extra_id_1>Assistant\n' }}{% elif message['role'] == 'assistant' %}{{ message['content'].strip() }}{% endif %}{% endfor %})";
// mistralai/Mixtral-8x7B-Instruct-v0.1: [INST] without <<SYS>>, a different format.
const char* const kMistralTemplate =
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ "
    "raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if "
    "message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == "
    "'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are "
    "supported!') }}{% endif %}{% endfor %}";

}  // namespace

TEST_CASE("chat format names parse and print", "[tokenizer][chat]") {
  for (ChatFormat f : {ChatFormat::kChipNeMo, ChatFormat::kLlama2, ChatFormat::kLlama3, ChatFormat::kChatMl})
    CHECK(parse_chat_format(chat_format_name(f)) == f);
  CHECK(parse_chat_format("ChipNeMo") == ChatFormat::kChipNeMo);
  CHECK(parse_chat_format("LLAMA3") == ChatFormat::kLlama3);
  REQUIRE_DAPT_ERROR(parse_chat_format("llama-2"), kInvalidArgument, "chipnemo, llama2, llama3, chatml");
  REQUIRE_DAPT_ERROR(parse_chat_format(""), kInvalidArgument, "unknown chat format");
}

TEST_CASE("LLaMA-2 chat: the text of the Hugging Face template", "[tokenizer][chat]") {
  constexpr auto f = ChatFormat::kLlama2;
  // huggingface.js jinja's end-to-end test of the LLaMA template (with a system message).
  const std::vector<ChatMessage> pirate{
      {"system", "You are a friendly chatbot who always responds in the style of a pirate"},
      {"user", "Hello, how are you?"},
      {"assistant", "I'm doing great. How can I help you today?"},
      {"user", "I'd like to show off how chat templating works!"}};
  CHECK(render(f, pirate) ==
        "<s>[INST] <<SYS>>\nYou are a friendly chatbot who always responds in the style of a pirate\n<</SYS>>\n\n"
        "Hello, how are you? [/INST] I'm doing great. How can I help you today? </s><s>[INST] I'd like to show off "
        "how chat templating works! [/INST]");

  CHECK(render(f, kSingle) == "<s>[INST] What does DRC stand for? [/INST]");
  // With a system block the first user message is stripped as a whole: its leading spaces stay.
  CHECK(render(f, kSingleSys) ==
        "<s>[INST] <<SYS>>\nYou are a chip design assistant.\n<</SYS>>\n\n  What does DRC stand for? [/INST]");
  CHECK(render(f, kMulti) ==
        "<s>[INST] What does DRC stand for? [/INST] Design rule check. </s><s>[INST] And LVS? [/INST]");
  const std::string multi_sys =
      "<s>[INST] <<SYS>>\nYou are a chip design assistant.\n<</SYS>>\n\n  What does DRC stand for? [/INST] Design "
      "rule check. </s><s>[INST] And LVS? [/INST] Layout versus schematic. </s>";
  CHECK(render(f, kMultiSys) == multi_sys);
  // The prompt already ends where the assistant begins: the generation prompt adds nothing.
  CHECK(render(f, kSingle, true) == render(f, kSingle));
  CHECK(render(f, kMulti, true) == render(f, kMulti));

  const auto r = render_chat(f, kMultiSys);
  CHECK(span_texts(r) == std::vector<std::string>{"Design rule check. </s>", "Layout versus schematic. </s>"});
  CHECK(render_chat(f, kMulti).assistant_spans.size() == 1);

  // bos_in_text = false drops only the leading BOS; later turns keep their <s>.
  ChatRenderOptions no_bos;
  no_bos.bos_in_text = false;
  const auto nb = render_chat(f, kMultiSys, no_bos);
  CHECK(nb.text == multi_sys.substr(3));
  CHECK(span_texts(nb) == span_texts(r));
  ChatRenderOptions custom;
  custom.bos_token = "<BOS>";
  custom.eos_token = "<EOS>";
  CHECK(render_chat(f, kMulti, custom).text ==
        "<BOS>[INST] What does DRC stand for? [/INST] Design rule check. <EOS><BOS>[INST] And LVS? [/INST]");
}

TEST_CASE("LLaMA-3 chat: the text of the Hugging Face template", "[tokenizer][chat]") {
  constexpr auto f = ChatFormat::kLlama3;
  CHECK(render(f, kSingle) ==
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat does DRC stand for?<|eot_id|>");
  CHECK(render(f, kSingle, true) ==
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat does DRC stand for?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(render(f, kSingleSys, true) ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a chip design assistant.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhat does DRC stand for?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(render(f, kMulti) ==
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat does DRC stand for?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nDesign rule check.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nAnd LVS?<|eot_id|>");
  const auto r = render_chat(f, kMultiSys);
  CHECK(r.text ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a chip design assistant.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhat does DRC stand for?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nDesign rule check.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nAnd LVS?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nLayout versus schematic.<|eot_id|>");
  CHECK(span_texts(r) == std::vector<std::string>{"Design rule check.<|eot_id|>", "Layout versus schematic.<|eot_id|>"});

  // `| trim` is Python's str.strip(): Unicode spaces (NBSP, ideographic space, line separator) too.
  const std::vector<ChatMessage> unicode{{"user", "\xC2\xA0 hi \xE3\x80\x80\xE2\x80\xA8"}};
  ChatRenderOptions o;
  o.bos_in_text = false;
  CHECK(render_chat(f, unicode, o).text == "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>");
  // Not whitespace: U+00A9 (C2 A9) and a lone CJK character that starts with E3 80.
  const std::vector<ChatMessage> not_space{{"user", "\xC2\xA9x\xE3\x80\x81"}};
  CHECK(render_chat(f, not_space, o).text ==
        "<|start_header_id|>user<|end_header_id|>\n\n\xC2\xA9x\xE3\x80\x81<|eot_id|>");
  // LLaMA-3's template does not enforce an order: an assistant turn may come first.
  const std::vector<ChatMessage> free_order{kA2, kSys};
  CHECK(render_chat(f, free_order, o).text ==
        "<|start_header_id|>assistant<|end_header_id|>\n\nLayout versus schematic.<|eot_id|>"
        "<|start_header_id|>system<|end_header_id|>\n\nYou are a chip design assistant.<|eot_id|>");
}

TEST_CASE("ChatML: the text of the reference template", "[tokenizer][chat]") {
  constexpr auto f = ChatFormat::kChatMl;
  CHECK(render(f, kSingle) == "<|im_start|>user\n  What does DRC stand for?\n<|im_end|>\n");
  CHECK(render(f, kSingle, true) == "<|im_start|>user\n  What does DRC stand for?\n<|im_end|>\n<|im_start|>assistant\n");
  CHECK(render(f, kSingleSys, true) ==
        "<|im_start|>system\nYou are a chip design assistant.<|im_end|>\n<|im_start|>user\n  What does DRC stand "
        "for?\n<|im_end|>\n<|im_start|>assistant\n");
  CHECK(render(f, kMulti, true) ==
        "<|im_start|>user\n  What does DRC stand for?\n<|im_end|>\n<|im_start|>assistant\n Design rule check. "
        "<|im_end|>\n<|im_start|>user\nAnd LVS?<|im_end|>\n<|im_start|>assistant\n");
  const auto r = render_chat(f, kMultiSys);
  CHECK(r.text ==
        "<|im_start|>system\nYou are a chip design assistant.<|im_end|>\n<|im_start|>user\n  What does DRC stand "
        "for?\n<|im_end|>\n<|im_start|>assistant\n Design rule check. <|im_end|>\n<|im_start|>user\nAnd "
        "LVS?<|im_end|>\n<|im_start|>assistant\nLayout versus schematic.<|im_end|>\n");
  CHECK(span_texts(r) == std::vector<std::string>{" Design rule check. <|im_end|>", "Layout versus schematic.<|im_end|>"});
  // huggingface.js jinja's `_base` (ChatML) end-to-end case.
  const std::vector<ChatMessage> hf{{"user", "Hello, how are you?"},
                                    {"assistant", "I'm doing great. How can I help you today?"},
                                    {"user", "I'd like to show off how chat templating works!"}};
  CHECK(render(f, hf) ==
        "<|im_start|>user\nHello, how are you?<|im_end|>\n<|im_start|>assistant\nI'm doing great. How can I help you "
        "today?<|im_end|>\n<|im_start|>user\nI'd like to show off how chat templating works!<|im_end|>\n");
  // ChatML has no BOS; asking for one writes the given text.
  ChatRenderOptions o;
  o.bos_in_text = true;
  o.bos_token = "<s>";
  CHECK(render_chat(f, kSingle, o).text.rfind("<s><|im_start|>user\n", 0) == 0);
}

TEST_CASE("ChipNeMo: NeMo's SFT chat format", "[tokenizer][chat]") {
  constexpr auto f = ChatFormat::kChipNeMo;
  // The system header is always written (empty without a system message), contents verbatim.
  CHECK(render(f, kSingle) == "<extra_id_0>System\n\n<extra_id_1>User\n  What does DRC stand for?\n\n");
  CHECK(render(f, kSingle, true) ==
        "<extra_id_0>System\n\n<extra_id_1>User\n  What does DRC stand for?\n\n<extra_id_1>Assistant\n");
  CHECK(render(f, kSingleSys, true) ==
        "<extra_id_0>System\nYou are a chip design assistant.\n<extra_id_1>User\n  What does DRC stand "
        "for?\n\n<extra_id_1>Assistant\n");
  CHECK(render(f, kMulti) ==
        "<extra_id_0>System\n\n<extra_id_1>User\n  What does DRC stand for?\n\n<extra_id_1>Assistant\n Design rule "
        "check. \n<extra_id_1>User\nAnd LVS?\n");
  CHECK(render(f, kMulti, true) ==
        "<extra_id_0>System\n\n<extra_id_1>User\n  What does DRC stand for?\n\n<extra_id_1>Assistant\n Design rule "
        "check. \n<extra_id_1>User\nAnd LVS?\n<extra_id_1>Assistant\n");
  // A final assistant reply is followed by <extra_id_1>, the end signal NeMo trains on.
  const auto r = render_chat(f, kMultiSys);
  CHECK(r.text ==
        "<extra_id_0>System\nYou are a chip design assistant.\n<extra_id_1>User\n  What does DRC stand "
        "for?\n\n<extra_id_1>Assistant\n Design rule check. \n<extra_id_1>User\nAnd LVS?\n<extra_id_1>Assistant\nLayout "
        "versus schematic.\n<extra_id_1>");
  CHECK(span_texts(r) ==
        std::vector<std::string>{" Design rule check. \n<extra_id_1>", "Layout versus schematic.\n<extra_id_1>"});
  // Spans cover no header: the text outside them is exactly the prompt side.
  std::string outside;
  std::size_t at = 0;
  for (const auto& [b, e] : r.assistant_spans) {
    outside += r.text.substr(at, b - at);
    at = e;
  }
  outside += r.text.substr(at);
  CHECK(outside ==
        "<extra_id_0>System\nYou are a chip design assistant.\n<extra_id_1>User\n  What does DRC stand "
        "for?\n\n<extra_id_1>Assistant\nUser\nAnd LVS?\n<extra_id_1>Assistant\n");
  ChatRenderOptions bos;
  bos.bos_in_text = true;
  CHECK(render_chat(f, kSingle, bos).text.rfind("<s><extra_id_0>System\n", 0) == 0);
}

TEST_CASE("chat rendering rejects bad conversations", "[tokenizer][chat]") {
  for (ChatFormat f : {ChatFormat::kChipNeMo, ChatFormat::kLlama2, ChatFormat::kLlama3, ChatFormat::kChatMl}) {
    INFO(chat_format_name(f));
    REQUIRE_DAPT_ERROR(render_chat(f, std::vector<ChatMessage>{}), kInvalidArgument, "empty");
    const std::vector<ChatMessage> tool{kU1, kA1, {"tool", "42"}};
    REQUIRE_DAPT_ERROR(render_chat(f, tool), kInvalidArgument, "message 2 has role \"tool\"");
    const std::vector<ChatMessage> upper{{"User", "hi"}};
    REQUIRE_DAPT_ERROR(render_chat(f, upper), kInvalidArgument, "message 0 has role \"User\"");
  }
  for (ChatFormat f : {ChatFormat::kChipNeMo, ChatFormat::kLlama2}) {
    INFO(chat_format_name(f));
    REQUIRE_DAPT_ERROR(render_chat(f, std::vector<ChatMessage>{kA1, kU1}), kInvalidArgument,
                       "message 0 has role \"assistant\" but roles must alternate");
    REQUIRE_DAPT_ERROR(render_chat(f, std::vector<ChatMessage>{kSys, kU1, kU2}), kInvalidArgument,
                       "message 2 has role \"user\" but roles must alternate");
    REQUIRE_DAPT_ERROR(render_chat(f, std::vector<ChatMessage>{kU1, kA1, kA2}), kInvalidArgument,
                       "message 2 has role \"assistant\"");
    REQUIRE_DAPT_ERROR(render_chat(f, std::vector<ChatMessage>{kU1, kSys}), kInvalidArgument,
                       "message 1 is a system message");
    REQUIRE_DAPT_ERROR(render_chat(f, std::vector<ChatMessage>{kSys}), kInvalidArgument, "no user message");
    ChatRenderOptions gen;
    gen.add_generation_prompt = true;
    REQUIRE_DAPT_ERROR(render_chat(f, std::vector<ChatMessage>{kU1, kA1}, gen), kInvalidArgument,
                       "add_generation_prompt needs the last message to be a user message");
  }
  // LLaMA-3 and ChatML follow their templates: a system-only conversation renders.
  CHECK(render(ChatFormat::kChatMl, {kSys}) == "<|im_start|>system\nYou are a chip design assistant.<|im_end|>\n");
}

TEST_CASE("chat format detection from real chat_template strings", "[tokenizer][chat]") {
  CHECK(detect_chat_format(kLlama2Template) == ChatFormat::kLlama2);
  CHECK(detect_chat_format(kLlama3Template) == ChatFormat::kLlama3);
  CHECK(detect_chat_format(kChatMlTemplate) == ChatFormat::kChatMl);
  CHECK(detect_chat_format(kNemoTemplate) == ChatFormat::kChipNeMo);
  CHECK_FALSE(detect_chat_format(kMistralTemplate).has_value());
  CHECK_FALSE(detect_chat_format("").has_value());
  CHECK_FALSE(detect_chat_format("{% for message in messages %}{{ message['content'] }}{% endfor %}").has_value());

  // Through tokenizer_config.json, where the template is a JSON string (LLaMA-3 excerpt).
  const std::string json = R"({"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "chat_template": )" +
                           std::string(R"("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"})");
  const auto cfg = parse_tokenizer_config(json);
  REQUIRE(cfg.chat_template.has_value());
  CHECK(*cfg.chat_template == kLlama3Template);
  const auto fmt = detect_chat_format(*cfg.chat_template);
  REQUIRE(fmt == ChatFormat::kLlama3);
  ChatRenderOptions o;
  o.bos_token = cfg.bos_token;
  o.eos_token = cfg.eos_token;
  o.add_generation_prompt = true;
  CHECK(render_chat(*fmt, kSingle, o).text == render(ChatFormat::kLlama3, kSingle, true));
}

TEST_CASE("chat stop strings", "[tokenizer][chat]") {
  using V = std::vector<std::string>;
  CHECK(chat_stop_strings(ChatFormat::kLlama2) == V{"</s>"});
  CHECK(chat_stop_strings(ChatFormat::kLlama3) == V{"<|eot_id|>", "<|end_of_text|>"});
  CHECK(chat_stop_strings(ChatFormat::kChatMl) == V{"<|im_end|>"});
  CHECK(chat_stop_strings(ChatFormat::kChipNeMo) == V{"<extra_id_1>", "</s>"});
  ChatRenderOptions o;
  o.eos_token = "<|end_of_text|>";
  CHECK(chat_stop_strings(ChatFormat::kLlama3, o) == V{"<|end_of_text|>"});
  o.eos_token = "";
  CHECK(chat_stop_strings(ChatFormat::kChipNeMo, o) == V{"<extra_id_1>"});
}
