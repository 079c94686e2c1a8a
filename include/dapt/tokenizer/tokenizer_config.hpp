/// @file tokenizer_config.hpp
/// @brief transformers' `tokenizer_config.json`: the special tokens (a string or an AddedToken
/// object each), `add_bos_token` / `add_eos_token`, the chat template string (or the "default"
/// entry of a list of named templates), and `added_tokens_decoder`. Fields dapt does not
/// interpret are kept and written back.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/io/json.hpp"
#include "dapt/tokenizer/added_vocabulary.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/tokenizer.hpp"

namespace dapt::tokenizer {

struct TokenizerConfig {
  std::optional<std::string> bos_token, eos_token, unk_token, pad_token;
  bool add_bos_token = false;
  bool add_eos_token = false;
  std::optional<std::string> chat_template;
  std::optional<std::int64_t> model_max_length;
  std::vector<AddedToken> added_tokens_decoder;
  boost::json::object extra;  ///< everything else, written back unchanged
};

namespace detail {
inline std::optional<std::string> read_token_field(const io::JsonFields& f, std::string_view key) {
  const boost::json::value* v = f.find(key);
  if (!v) return std::nullopt;
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_object()) {
    io::JsonFields t(v->get_object(), f.source() + "." + std::string(key), ErrorCategory::kFormat);
    return t.require_string("content");
  }
  f.wrong_type(key, "a string or an object with \"content\"", *v);
}
}  // namespace detail

inline TokenizerConfig parse_tokenizer_config(std::string_view text, std::string_view source = "tokenizer_config.json") {
  const std::string src(source);
  const auto root = io::parse_json(text, src);
  io::JsonFields f(io::as_object(root, src, ErrorCategory::kFormat), src, ErrorCategory::kFormat);
  TokenizerConfig c;
  c.bos_token = detail::read_token_field(f, "bos_token");
  c.eos_token = detail::read_token_field(f, "eos_token");
  c.unk_token = detail::read_token_field(f, "unk_token");
  c.pad_token = detail::read_token_field(f, "pad_token");
  c.add_bos_token = f.get_bool("add_bos_token").value_or(false);
  c.add_eos_token = f.get_bool("add_eos_token").value_or(false);
  c.model_max_length = [&]() -> std::optional<std::int64_t> {
    const auto* v = f.find("model_max_length");
    if (!v || !(v->is_int64() || v->is_uint64())) return std::nullopt;  // often 1e30 as a float: "no limit"
    return f.to_int(*v, "model_max_length");
  }();
  if (const auto* t = f.find("chat_template")) {
    if (t->is_string()) {
      c.chat_template = std::string(t->get_string());
    } else if (t->is_array()) {
      for (const auto& e : t->get_array()) {
        io::JsonFields tf(io::as_object(e, src + ": chat_template[]", ErrorCategory::kFormat), src + ": chat_template[]",
                          ErrorCategory::kFormat);
        if (tf.require_string("name") == "default") c.chat_template = tf.require_string("template");
      }
    } else {
      f.wrong_type("chat_template", "a string or a list of named templates", *t);
    }
  }
  if (const auto* dec = f.get_object("added_tokens_decoder")) {
    for (const auto& kv : *dec) {
      const std::string where = src + ": added_tokens_decoder." + std::string(kv.key());
      const std::string key(kv.key());
      char* end = nullptr;
      const long id = std::strtol(key.c_str(), &end, 10);
      if (key.empty() || *end != '\0' || id < 0 || id > INT32_MAX)
        DAPT_FAIL(ErrorCategory::kFormat, where, ": key is not a token id");
      io::JsonFields a(io::as_object(kv.value(), where, ErrorCategory::kFormat), where, ErrorCategory::kFormat);
      c.added_tokens_decoder.push_back(detail::read_added_token(a, static_cast<TokenId>(id)));
    }
  }
  for (const auto& kv : f.object()) {
    const std::string_view k(kv.key().data(), kv.key().size());
    if (k != "bos_token" && k != "eos_token" && k != "unk_token" && k != "pad_token" && k != "add_bos_token" &&
        k != "add_eos_token" && k != "chat_template" && k != "added_tokens_decoder" && k != "model_max_length")
      c.extra.emplace(kv.key(), kv.value());
  }
  return c;
}

/// Reads tokenizer_config.json (the file or its directory).
inline TokenizerConfig load_tokenizer_config(const std::filesystem::path& path) {
  std::error_code ec;
  const auto file = std::filesystem::is_directory(path, ec) ? path / "tokenizer_config.json" : path;
  return parse_tokenizer_config(io::detail::read_text_file(file, 64u << 20), file.string());
}

inline std::string to_tokenizer_config_json(const TokenizerConfig& c) {
  boost::json::object o = c.extra;
  auto put = [&](const char* k, const std::optional<std::string>& v) {
    if (v) o[k] = *v;
  };
  put("bos_token", c.bos_token);
  put("eos_token", c.eos_token);
  put("unk_token", c.unk_token);
  put("pad_token", c.pad_token);
  o["add_bos_token"] = c.add_bos_token;
  o["add_eos_token"] = c.add_eos_token;
  if (c.model_max_length) o["model_max_length"] = *c.model_max_length;
  if (c.chat_template) o["chat_template"] = *c.chat_template;
  if (!c.added_tokens_decoder.empty()) {
    boost::json::object dec;
    for (const auto& t : c.added_tokens_decoder)
      dec[std::to_string(t.id)] = detail::write_added_token(t);
    o["added_tokens_decoder"] = std::move(dec);
  }
  return boost::json::serialize(o);
}

inline void save_tokenizer_config(const std::filesystem::path& path, const TokenizerConfig& c) {
  io::detail::write_file_atomic(path, to_tokenizer_config_json(c));
}

/// Encodes `text` and adds BOS/EOS as the config asks (for tokenizers whose file has no
/// post-processor, such as a SentencePiece .model). Throws kConfig when a requested token is not
/// in the vocabulary.
inline std::vector<TokenId> encode_with_config(const Tokenizer& tok, const TokenizerConfig& c, std::string_view text) {
  std::vector<TokenId> out;
  auto id_of = [&](const std::optional<std::string>& t, const char* what) {
    if (!t) DAPT_FAIL(ErrorCategory::kConfig, "tokenizer_config asks for ", what, " but defines no ", what);
    const auto id = tok.token_to_id(*t);
    if (!id) DAPT_FAIL(ErrorCategory::kConfig, what, " \"", *t, "\" is not in the vocabulary");
    return *id;
  };
  if (c.add_bos_token) out.push_back(id_of(c.bos_token, "bos_token"));
  EncodeScratch scratch;
  tok.encode(text, out, scratch);
  if (c.add_eos_token) out.push_back(id_of(c.eos_token, "eos_token"));
  return out;
}

}  // namespace dapt::tokenizer
