/// @file tokenizer_config_test.cpp
/// @brief tokenizer_config.json: special tokens as strings or objects, BOS/EOS flags, the chat
/// template as a string or a named list, added_tokens_decoder, round trips, and bad input.
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt/tokenizer/tokenizer_config.hpp"
#include "dapt_catch.hpp"

using namespace dapt::tokenizer;

TEST_CASE("tokenizer_config.json: LLaMA-2 style, with AddedToken objects", "[tokenizer][config]") {
  const char* text = R"({"add_bos_token": true, "add_eos_token": false,
    "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false},
    "eos_token": "</s>", "unk_token": "<unk>", "pad_token": null, "clean_up_tokenization_spaces": false,
    "model_max_length": 1000000000000000019884624838656, "tokenizer_class": "LlamaTokenizer",
    "chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}",
    "added_tokens_decoder": {"0": {"content": "<unk>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}}})";
  const auto c = parse_tokenizer_config(text);
  CHECK(c.bos_token == "<s>");
  CHECK(c.eos_token == "</s>");
  CHECK_FALSE(c.pad_token.has_value());
  CHECK(c.add_bos_token);
  CHECK_FALSE(c.model_max_length.has_value());
  REQUIRE(c.chat_template.has_value());
  REQUIRE(c.added_tokens_decoder.size() == 1);
  CHECK(c.added_tokens_decoder[0].special);
  CHECK(c.extra.at("tokenizer_class").as_string() == "LlamaTokenizer");
  const auto again = parse_tokenizer_config(to_tokenizer_config_json(c));
  CHECK(again.bos_token == c.bos_token);
  CHECK(again.chat_template == c.chat_template);
  CHECK(again.extra == c.extra);

  const auto tok = load_sentencepiece_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/spm_bpe.model");
  const auto ids = encode_with_config(tok, c, "Hello world");
  REQUIRE(!ids.empty());
  CHECK(ids.front() == 1);
  CHECK(tok.decode(ids, {.skip_special_tokens = true}) == "Hello world");
}

TEST_CASE("tokenizer_config.json: named chat templates and bad input", "[tokenizer][config]") {
  const auto c = parse_tokenizer_config(R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})");
  CHECK(c.chat_template == "D");
  REQUIRE_DAPT_ERROR(parse_tokenizer_config(R"({"bos_token": 5})"), kFormat, "bos_token");
  REQUIRE_DAPT_ERROR(parse_tokenizer_config(R"({"added_tokens_decoder": {"x": {"content": "a"}}})"), kFormat, "not a token id");
  REQUIRE_DAPT_ERROR(parse_tokenizer_config(R"({"chat_template": 3})"), kFormat, "chat_template");
  REQUIRE_DAPT_ERROR(parse_tokenizer_config("[]"), kFormat, "JSON object");
  const auto tok = load_sentencepiece_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/spm_bpe.model");
  TokenizerConfig bad;
  bad.add_eos_token = true;
  bad.eos_token = "<nope>";
  REQUIRE_DAPT_ERROR(encode_with_config(tok, bad, "x"), kConfig, "<nope>");
}
