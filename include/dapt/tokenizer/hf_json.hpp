/// @file hf_json.hpp
/// @brief Hugging Face `tokenizer.json`, read and written. The BPE model (merges as "a b"
/// strings or ["a", "b"] pairs), added tokens, and the normalizers, pre-tokenizers, decoders and
/// post-processors dapt implements are translated to and from the pipeline of tokenizer.hpp.
/// Any other component type, and any regex we have no exact matcher for, is refused with a
/// kUnsupported error that names it: a tokenizer is never silently approximated. Fields dapt
/// does not interpret (truncation, padding) are kept and written back.
#pragma once

#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/io/json.hpp"
#include "dapt/tokenizer/tokenizer.hpp"

namespace dapt::tokenizer {

namespace json = boost::json;

namespace detail {

using io::JsonFields;

[[noreturn]] inline void unsupported(const std::string& where, std::string_view what) {
  DAPT_FAIL(ErrorCategory::kUnsupported, where, ": ", what, " is not supported by dapt");
}

inline std::string type_of(const JsonFields& f) { return f.require_string("type"); }

/// The flags and content of an AddedToken object ({"content", "single_word", "lstrip", "rstrip",
/// "normalized", "special"}), shared by tokenizer.json and tokenizer_config.json.
inline AddedToken read_added_token(const JsonFields& a, TokenId id) {
  AddedToken t;
  t.id = id;
  t.content = a.require_string("content");
  t.single_word = a.get_bool("single_word").value_or(false);
  t.lstrip = a.get_bool("lstrip").value_or(false);
  t.rstrip = a.get_bool("rstrip").value_or(false);
  t.normalized = a.get_bool("normalized").value_or(true);
  t.special = a.get_bool("special").value_or(false);
  return t;
}

inline json::object write_added_token(const AddedToken& t) {
  return json::object{{"content", t.content}, {"single_word", t.single_word}, {"lstrip", t.lstrip},
                      {"rstrip", t.rstrip}, {"normalized", t.normalized}, {"special", t.special}};
}

/// {"String": s} or {"Regex": r} -> SplitStep pattern fields.
inline void read_pattern(const JsonFields& f, const std::string& where, SplitStep& st, bool regex_allowed) {
  const json::object* p = f.get_object("pattern");
  if (!p) DAPT_FAIL(ErrorCategory::kFormat, where, ": missing \"pattern\"");
  JsonFields pf(*p, where + ".pattern", ErrorCategory::kFormat);
  if (auto s = pf.get_string("String")) {
    if (s->empty()) DAPT_FAIL(ErrorCategory::kFormat, where, ": empty pattern");
    st.literal = *s;
    st.pattern_text = *s;
    return;
  }
  if (auto r = pf.get_string("Regex")) {
    if (regex_allowed) {
      if (auto known = recognize_split_regex(*r)) {
        st.regex = known;
        st.pattern_text = *r;
        return;
      }
    }
    unsupported(where, "the regex " + json::serialize(json::value(*r)));
  }
  DAPT_FAIL(ErrorCategory::kFormat, where, ": pattern must be {\"String\": ...} or {\"Regex\": ...}");
}

inline json::object write_pattern(const SplitStep& st) {
  json::object p;
  if (st.regex) p["Regex"] = st.pattern_text;
  else p["String"] = st.literal;
  return p;
}

/// The one string a Replace normalizer's regex matches, when it is that simple: literal
/// characters, and backslash escapes of ASCII punctuation, space and \t \n \r \f \v \a \e
/// (each checked against tokenizers' Oniguruma). Anything else (classes, quantifiers, groups,
/// alternation, anchors, \d, \p{..}, an empty regex) has no literal form: nullopt, and the
/// loader keeps refusing it.
inline std::optional<std::string> literal_of_regex(std::string_view r) {
  std::string out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const char c = r[i];
    if (c == '\\') {
      if (++i == r.size()) return std::nullopt;
      const char e = r[i];
      if (e == 't') out += '\t';
      else if (e == 'n') out += '\n';
      else if (e == 'r') out += '\r';
      else if (e == 'f') out += '\f';
      else if (e == 'v') out += '\v';
      else if (e == 'a') out += '\a';
      else if (e == 'e') out += '\x1B';
      else if (e >= ' ' && e < 0x7F && !std::isalnum(static_cast<unsigned char>(e))) out += e;
      else return std::nullopt;  // \d \s \p{..} \b \1 \x.. and the like
      continue;
    }
    if (std::string_view(".^$|?*+()[]{}").find(c) != std::string_view::npos) return std::nullopt;
    out += c;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

inline void read_normalizer(const json::value& v, const std::string& where, Normalizer& out) {
  if (v.is_null()) return;
  JsonFields f(io::as_object(v, where, ErrorCategory::kFormat), where, ErrorCategory::kFormat);
  const std::string type = type_of(f);
  if (type == "Sequence") {
    const json::array* list = f.get_array("normalizers");
    if (!list) DAPT_FAIL(ErrorCategory::kFormat, where, ": Sequence without \"normalizers\"");
    for (std::size_t i = 0; i < list->size(); ++i) read_normalizer((*list)[i], where + ".normalizers[" + std::to_string(i) + "]", out);
  } else if (type == "Prepend") {
    out.steps.push_back(PrependStep{f.require_string("prepend")});
  } else if (type == "Replace") {
    const json::object* p = f.get_object("pattern");
    const std::optional<std::string> regex =
        p ? JsonFields(*p, where + ".pattern", ErrorCategory::kFormat).get_string("Regex") : std::nullopt;
    if (regex) {
      const auto literal = literal_of_regex(*regex);
      if (!literal) unsupported(where, "the Replace regex " + json::serialize(json::value(*regex)));
      out.steps.push_back(ReplaceStep{*literal, f.require_string("content"), *regex});
    } else {
      SplitStep pattern;
      read_pattern(f, where, pattern, false);
      out.steps.push_back(ReplaceStep{pattern.literal, f.require_string("content")});
    }
  } else if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    const NormalForm form = type == "NFC" ? NormalForm::kNfc : type == "NFD" ? NormalForm::kNfd
                          : type == "NFKC" ? NormalForm::kNfkc : NormalForm::kNfkd;
    out.steps.push_back(UnicodeNormalizeStep{form});
  } else if (type == "Lowercase") {
    out.steps.push_back(LowercaseStep{});
  } else if (type == "Strip") {
    const auto left = f.get_bool("strip_left"), right = f.get_bool("strip_right");
    if (!left || !right) DAPT_FAIL(ErrorCategory::kFormat, where, ": Strip needs \"strip_left\" and \"strip_right\"");
    out.steps.push_back(StripStep{*left, *right});
  } else if (type == "StripAccents") {
    out.steps.push_back(StripAccentsStep{});
  } else {
    unsupported(where, "the normalizer \"" + type + "\"");
  }
}

inline json::value write_normalizer(const Normalizer& n) {
  if (n.steps.empty()) return nullptr;
  json::array list;
  for (const auto& s : n.steps) {
    if (const auto* p = std::get_if<PrependStep>(&s)) {
      list.push_back(json::object{{"type", "Prepend"}, {"prepend", p->prefix}});
    } else if (const auto* r = std::get_if<ReplaceStep>(&s)) {
      json::object pattern;
      if (r->regex.empty()) pattern["String"] = r->pattern;
      else pattern["Regex"] = r->regex;
      list.push_back(json::object{{"type", "Replace"}, {"pattern", std::move(pattern)}, {"content", r->content}});
    } else if (const auto* u = std::get_if<UnicodeNormalizeStep>(&s)) {
      list.push_back(json::object{{"type", normal_form_name(u->form)}});
    } else if (std::holds_alternative<LowercaseStep>(s)) {
      list.push_back(json::object{{"type", "Lowercase"}});
    } else if (const auto* st = std::get_if<StripStep>(&s)) {
      list.push_back(json::object{{"type", "Strip"}, {"strip_left", st->left}, {"strip_right", st->right}});
    } else if (std::holds_alternative<StripAccentsStep>(s)) {
      list.push_back(json::object{{"type", "StripAccents"}});
    } else {
      DAPT_FAIL(ErrorCategory::kUnsupported, "SentencePiece's remove_extra_whitespaces has no tokenizer.json form in dapt; "
                "save this tokenizer as a .model instead");
    }
  }
  if (list.size() == 1) return list[0];
  return json::object{{"type", "Sequence"}, {"normalizers", std::move(list)}};
}

inline PrependScheme read_prepend_scheme(const JsonFields& f, const std::string& where) {
  if (auto s = f.get_string("prepend_scheme")) {
    if (*s == "always") return PrependScheme::kAlways;
    if (*s == "first") return PrependScheme::kFirst;
    if (*s == "never") return PrependScheme::kNever;
    unsupported(where, "prepend_scheme \"" + *s + "\"");
  }
  // Files from tokenizers < 0.14 carry add_prefix_space instead.
  return f.get_bool("add_prefix_space").value_or(true) ? PrependScheme::kAlways : PrependScheme::kNever;
}

inline const char* prepend_scheme_name(PrependScheme s) {
  return s == PrependScheme::kAlways ? "always" : s == PrependScheme::kFirst ? "first" : "never";
}

inline void read_pre_tokenizer(const json::value& v, const std::string& where, PreTokenizer& out) {
  if (v.is_null()) return;
  JsonFields f(io::as_object(v, where, ErrorCategory::kFormat), where, ErrorCategory::kFormat);
  const std::string type = type_of(f);
  if (type == "Sequence") {
    const json::array* list = f.get_array("pretokenizers");
    if (!list) DAPT_FAIL(ErrorCategory::kFormat, where, ": Sequence without \"pretokenizers\"");
    for (std::size_t i = 0; i < list->size(); ++i) read_pre_tokenizer((*list)[i], where + ".pretokenizers[" + std::to_string(i) + "]", out);
  } else if (type == "ByteLevel") {
    ByteLevelStep st;
    st.add_prefix_space = f.get_bool("add_prefix_space").value_or(true);
    st.trim_offsets = f.get_bool("trim_offsets").value_or(true);
    st.use_regex = f.get_bool("use_regex").value_or(true);
    out.steps.push_back(st);
  } else if (type == "Split") {
    SplitStep st;
    read_pattern(f, where, st, true);
    const std::string b = f.require_string("behavior");
    if (b == "Removed") st.behavior = SplitBehavior::kRemoved;
    else if (b == "Isolated") st.behavior = SplitBehavior::kIsolated;
    else if (b == "MergedWithPrevious") st.behavior = SplitBehavior::kMergedWithPrevious;
    else if (b == "MergedWithNext") st.behavior = SplitBehavior::kMergedWithNext;
    else if (b == "Contiguous") st.behavior = SplitBehavior::kContiguous;
    else unsupported(where, "the split behavior \"" + b + "\"");
    st.invert = f.get_bool("invert").value_or(false);
    out.steps.push_back(st);
  } else if (type == "Metaspace") {
    MetaspaceStep st;
    st.replacement = f.get_string("replacement").value_or("\xe2\x96\x81");
    if (st.replacement.empty()) DAPT_FAIL(ErrorCategory::kFormat, where, ": empty Metaspace replacement");
    st.prepend_scheme = read_prepend_scheme(f, where);
    st.split = f.get_bool("split").value_or(true);
    out.steps.push_back(st);
  } else if (type == "Digits") {
    out.steps.push_back(DigitsStep{f.get_bool("individual_digits").value_or(false)});
  } else {
    unsupported(where, "the pre-tokenizer \"" + type + "\"");
  }
}

inline const char* behavior_name(SplitBehavior b) {
  switch (b) {
    case SplitBehavior::kRemoved: return "Removed";
    case SplitBehavior::kIsolated: return "Isolated";
    case SplitBehavior::kMergedWithPrevious: return "MergedWithPrevious";
    case SplitBehavior::kMergedWithNext: return "MergedWithNext";
    case SplitBehavior::kContiguous: return "Contiguous";
  }
  return "Isolated";
}

inline json::value write_pre_tokenizer(const PreTokenizer& p) {
  if (p.steps.empty()) return nullptr;
  json::array list;
  for (const auto& s : p.steps) {
    if (const auto* b = std::get_if<ByteLevelStep>(&s))
      list.push_back(json::object{{"type", "ByteLevel"}, {"add_prefix_space", b->add_prefix_space},
                                  {"trim_offsets", b->trim_offsets}, {"use_regex", b->use_regex}});
    else if (const auto* sp = std::get_if<SplitStep>(&s))
      list.push_back(json::object{{"type", "Split"}, {"pattern", write_pattern(*sp)},
                                  {"behavior", behavior_name(sp->behavior)}, {"invert", sp->invert}});
    else if (const auto* m = std::get_if<MetaspaceStep>(&s))
      list.push_back(json::object{{"type", "Metaspace"}, {"replacement", m->replacement},
                                  {"prepend_scheme", prepend_scheme_name(m->prepend_scheme)}, {"split", m->split}});
    else if (const auto* d = std::get_if<DigitsStep>(&s))
      list.push_back(json::object{{"type", "Digits"}, {"individual_digits", d->individual_digits}});
    // BoundarySplitStep changes no tokenization: it has no tokenizer.json form and is left out.
  }
  if (list.empty()) return nullptr;
  if (list.size() == 1) return list[0];
  return json::object{{"type", "Sequence"}, {"pretokenizers", std::move(list)}};
}

inline void read_decoder(const json::value& v, const std::string& where, Decoder& out) {
  JsonFields f(io::as_object(v, where, ErrorCategory::kFormat), where, ErrorCategory::kFormat);
  const std::string type = type_of(f);
  if (type == "Sequence") {
    const json::array* list = f.get_array("decoders");
    if (!list) DAPT_FAIL(ErrorCategory::kFormat, where, ": Sequence without \"decoders\"");
    for (std::size_t i = 0; i < list->size(); ++i) read_decoder((*list)[i], where + ".decoders[" + std::to_string(i) + "]", out);
  } else if (type == "ByteLevel") {
    out.steps.push_back(ByteLevelDecodeStep{});
  } else if (type == "Metaspace") {
    MetaspaceDecodeStep st;
    st.replacement = f.get_string("replacement").value_or("\xe2\x96\x81");
    st.prepend_scheme = read_prepend_scheme(f, where);
    out.steps.push_back(st);
  } else if (type == "ByteFallback") {
    out.steps.push_back(ByteFallbackDecodeStep{});
  } else if (type == "Fuse") {
    out.steps.push_back(FuseDecodeStep{});
  } else if (type == "Strip") {
    StripDecodeStep st;
    st.content = f.require_string("content");
    if (st.content.empty() || decode_utf8(st.content, 0).length != st.content.size()) DAPT_FAIL(ErrorCategory::kFormat, where, ": Strip content must be one character");
    st.start = static_cast<int>(f.get_int("start").value_or(0));
    st.stop = static_cast<int>(f.get_int("stop").value_or(0));
    out.steps.push_back(st);
  } else if (type == "Replace") {
    SplitStep pattern;
    read_pattern(f, where, pattern, false);
    out.steps.push_back(ReplaceDecodeStep{pattern.literal, f.require_string("content")});
  } else {
    unsupported(where, "the decoder \"" + type + "\"");
  }
}

inline json::value write_decoder(const Decoder& d) {
  json::array list;
  for (const auto& s : d.steps) {
    if (std::holds_alternative<ByteLevelDecodeStep>(s))
      list.push_back(json::object{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}});
    else if (const auto* m = std::get_if<MetaspaceDecodeStep>(&s))
      list.push_back(json::object{{"type", "Metaspace"}, {"replacement", m->replacement},
                                  {"prepend_scheme", prepend_scheme_name(m->prepend_scheme)}, {"split", true}});
    else if (std::holds_alternative<ByteFallbackDecodeStep>(s)) list.push_back(json::object{{"type", "ByteFallback"}});
    else if (std::holds_alternative<FuseDecodeStep>(s)) list.push_back(json::object{{"type", "Fuse"}});
    else if (const auto* st = std::get_if<StripDecodeStep>(&s))
      list.push_back(json::object{{"type", "Strip"}, {"content", st->content}, {"start", st->start}, {"stop", st->stop}});
    else if (const auto* r = std::get_if<ReplaceDecodeStep>(&s))
      list.push_back(json::object{{"type", "Replace"}, {"pattern", json::object{{"String", r->pattern}}}, {"content", r->content}});
  }
  if (list.size() == 1) return list[0];
  return json::object{{"type", "Sequence"}, {"decoders", std::move(list)}};
}

inline void read_post_processor(const json::value& v, const std::string& where, PostProcessor& out) {
  if (v.is_null()) return;
  JsonFields f(io::as_object(v, where, ErrorCategory::kFormat), where, ErrorCategory::kFormat);
  const std::string type = type_of(f);
  if (type == "Sequence") {
    const json::array* list = f.get_array("processors");
    if (!list) DAPT_FAIL(ErrorCategory::kFormat, where, ": Sequence without \"processors\"");
    for (std::size_t i = 0; i < list->size(); ++i) read_post_processor((*list)[i], where + ".processors[" + std::to_string(i) + "]", out);
  } else if (type == "ByteLevel") {
    // Only adjusts offsets; ids are unchanged.
  } else if (type == "TemplateProcessing") {
    if (!out.single.empty()) unsupported(where, "more than one TemplateProcessing");
    const json::array* single = f.get_array("single");
    if (!single) DAPT_FAIL(ErrorCategory::kFormat, where, ": TemplateProcessing without \"single\"");
    for (const auto& item : *single) {
      JsonFields it(io::as_object(item, where + ".single[]", ErrorCategory::kFormat), where + ".single[]", ErrorCategory::kFormat);
      if (const json::object* sp = it.get_object("SpecialToken")) {
        out.single.push_back(PostProcessor::Special{JsonFields(*sp, where, ErrorCategory::kFormat).require_string("id")});
      } else if (const json::object* sq = it.get_object("Sequence")) {
        if (JsonFields(*sq, where, ErrorCategory::kFormat).require_string("id") != "A")
          unsupported(where, "a single-sequence template that refers to sequence B");
        out.single.push_back(PostProcessor::Sequence{});
      } else {
        DAPT_FAIL(ErrorCategory::kFormat, where, ": template item must be SpecialToken or Sequence");
      }
    }
    if (const json::object* specials = f.get_object("special_tokens")) {
      for (const auto& kv : *specials) {
        JsonFields sf(io::as_object(kv.value(), where, ErrorCategory::kFormat), where + ".special_tokens." + std::string(kv.key()),
                      ErrorCategory::kFormat);
        std::vector<TokenId> ids;
        if (const json::array* a = sf.get_array("ids"))
          for (const auto& id : *a) ids.push_back(static_cast<TokenId>(sf.to_int(id, "ids")));
        out.special_tokens[std::string(kv.key())] = ids;
      }
    }
    for (const auto& item : out.single)
      if (const auto* sp = std::get_if<PostProcessor::Special>(&item))
        if (!out.special_tokens.count(sp->name))
          DAPT_FAIL(ErrorCategory::kFormat, where, ": template uses \"", sp->name, "\", which special_tokens does not define");
  } else {
    unsupported(where, "the post-processor \"" + type + "\"");
  }
}

inline json::value write_post_processor(const PostProcessor& p, const std::vector<std::string>& id_to_token) {
  if (p.single.empty()) return nullptr;
  json::array single, pair;
  for (const auto& item : p.single) {
    json::value v = std::holds_alternative<PostProcessor::Sequence>(item)
                        ? json::value(json::object{{"Sequence", json::object{{"id", "A"}, {"type_id", 0}}}})
                        : json::value(json::object{{"SpecialToken", json::object{{"id", std::get<PostProcessor::Special>(item).name}, {"type_id", 0}}}});
    single.push_back(v);
  }
  pair = single;  // the pair template: the single one followed by sequence B
  for (const auto& item : p.single)
    if (std::holds_alternative<PostProcessor::Sequence>(item))
      pair.push_back(json::object{{"Sequence", json::object{{"id", "B"}, {"type_id", 1}}}});
  json::object specials;
  for (const auto& [name, ids] : p.special_tokens) {
    json::array jids, tokens;
    for (TokenId id : ids) {
      jids.push_back(id);
      tokens.push_back(json::string(static_cast<std::size_t>(id) < id_to_token.size() ? id_to_token[static_cast<std::size_t>(id)] : name));
    }
    specials[name] = json::object{{"id", name}, {"ids", std::move(jids)}, {"tokens", std::move(tokens)}};
  }
  return json::object{{"type", "TemplateProcessing"}, {"single", std::move(single)}, {"pair", std::move(pair)},
                      {"special_tokens", std::move(specials)}};
}

}  // namespace detail

/// A tokenizer loaded from tokenizer.json, with what is needed to write it back.
struct HfTokenizerFile {
  Tokenizer tokenizer;
  json::object extra;  ///< top-level fields dapt does not interpret (version, truncation, padding)
};

/// Parses tokenizer.json text. `source` names it in errors.
inline HfTokenizerFile parse_hf_tokenizer(std::string_view text, std::string_view source = "tokenizer.json") {
  using detail::JsonFields;
  const std::string src(source);
  const json::value root = io::parse_json(text, src);
  JsonFields f(io::as_object(root, src, ErrorCategory::kFormat), src, ErrorCategory::kFormat);
  TokenizerParts parts;

  if (const json::value* n = f.find("normalizer")) detail::read_normalizer(*n, src + ": normalizer", parts.normalizer);
  if (const json::value* p = f.find("pre_tokenizer")) detail::read_pre_tokenizer(*p, src + ": pre_tokenizer", parts.pre_tokenizer);
  if (const json::value* d = f.find("decoder")) detail::read_decoder(*d, src + ": decoder", parts.decoder);
  else parts.has_decoder = false;
  if (const json::value* pp = f.find("post_processor")) detail::read_post_processor(*pp, src + ": post_processor", parts.post_processor);

  if (const json::array* added = f.get_array("added_tokens")) {
    for (std::size_t i = 0; i < added->size(); ++i) {
      const std::string where = src + ": added_tokens[" + std::to_string(i) + "]";
      JsonFields a(io::as_object((*added)[i], where, ErrorCategory::kFormat), where, ErrorCategory::kFormat);
      const std::int64_t id = a.require_int("id");
      if (id < 0 || id > INT32_MAX) DAPT_FAIL(ErrorCategory::kFormat, where, ": id ", id, " is out of range");
      AddedToken t = detail::read_added_token(a, static_cast<TokenId>(id));
      if (t.normalized && !parts.normalizer.empty()) {
        std::string normalized = t.content;
        parts.normalizer.apply(normalized);
        if (normalized != t.content) t.match_content = std::move(normalized);
      }
      parts.added_tokens.push_back(std::move(t));
    }
  }

  const std::string mwhere = src + ": model";
  const json::object* model = f.get_object("model");
  if (!model) DAPT_FAIL(ErrorCategory::kFormat, src, ": missing \"model\"");
  JsonFields m(*model, mwhere, ErrorCategory::kFormat);
  const std::string type = m.get_string("type").value_or("BPE");
  if (type != "BPE") detail::unsupported(mwhere, "the model type \"" + type + "\"");
  if (auto dropout = m.get_number("dropout"); dropout && *dropout != 0.0) detail::unsupported(mwhere, "BPE dropout");
  if (auto p = m.get_string("continuing_subword_prefix"); p && !p->empty()) detail::unsupported(mwhere, "continuing_subword_prefix");
  if (auto s = m.get_string("end_of_word_suffix"); s && !s->empty()) detail::unsupported(mwhere, "end_of_word_suffix");

  BpeOptions options;
  options.alphabet = parts.pre_tokenizer.has_byte_level() ? BpeAlphabet::kBytes : BpeAlphabet::kChars;
  options.byte_fallback = m.get_bool("byte_fallback").value_or(false);
  options.ignore_merges = m.get_bool("ignore_merges").value_or(false);
  options.fuse_unk = m.get_bool("fuse_unk").value_or(false);

  const json::object* vocab = m.get_object("vocab");
  if (!vocab) DAPT_FAIL(ErrorCategory::kFormat, mwhere, ": missing \"vocab\" object");
  std::int64_t max_id = -1;
  for (const auto& kv : *vocab) max_id = std::max(max_id, m.to_int(kv.value(), "vocab[\"" + std::string(kv.key()) + "\"]"));
  if (max_id >= (1 << 24)) DAPT_FAIL(ErrorCategory::kFormat, mwhere, ": vocabulary id ", max_id, " is implausibly large");
  std::vector<std::string> tokens(static_cast<std::size_t>(max_id + 1));
  std::vector<std::uint8_t> seen(tokens.size(), 0);
  std::unordered_map<std::string, TokenId> hf_ids;
  hf_ids.reserve(vocab->size());
  for (const auto& kv : *vocab) {
    const std::int64_t id = m.to_int(kv.value(), "vocab");
    if (id < 0) DAPT_FAIL(ErrorCategory::kFormat, mwhere, ": token \"", std::string(kv.key()), "\" has a negative id");
    if (kv.key().empty()) DAPT_FAIL(ErrorCategory::kFormat, mwhere, ": empty token in the vocabulary");
    if (seen[static_cast<std::size_t>(id)])
      DAPT_FAIL(ErrorCategory::kFormat, mwhere, ": id ", id, " is given to two tokens (\"", tokens[static_cast<std::size_t>(id)], "\" and \"",
                std::string(kv.key()), "\")");
    seen[static_cast<std::size_t>(id)] = 1;
    const std::string hf(kv.key());
    hf_ids.emplace(hf, static_cast<TokenId>(id));
    if (options.alphabet == BpeAlphabet::kBytes) {
      auto bytes = byte_level_to_bytes(hf);
      tokens[static_cast<std::size_t>(id)] = bytes ? *bytes : hf;  // unmappable: reachable only as an added token
    } else {
      tokens[static_cast<std::size_t>(id)] = hf;
    }
  }
  if (auto unk = m.get_string("unk_token")) {
    const auto it = hf_ids.find(*unk);
    if (it == hf_ids.end()) DAPT_FAIL(ErrorCategory::kFormat, mwhere, ": unk_token \"", *unk, "\" is not in the vocabulary");
    options.unk = it->second;
  }

  std::vector<std::pair<TokenId, TokenId>> merges;
  if (const json::array* list = m.get_array("merges")) {
    merges.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json::value& e = (*list)[i];
      std::string a, b;
      if (e.is_string()) {
        const std::string s(e.get_string());
        const auto sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
          DAPT_FAIL(ErrorCategory::kFormat, mwhere, ": merge ", i, " \"", s, "\" is not two tokens separated by one space");
        a = s.substr(0, sp);
        b = s.substr(sp + 1);
      } else if (e.is_array() && e.get_array().size() == 2 && e.get_array()[0].is_string() && e.get_array()[1].is_string()) {
        a = std::string(e.get_array()[0].get_string());
        b = std::string(e.get_array()[1].get_string());
      } else {
        DAPT_FAIL(ErrorCategory::kFormat, mwhere, ": merge ", i, " must be \"a b\" or [\"a\", \"b\"]");
      }
      const auto ia = hf_ids.find(a), ib = hf_ids.find(b);
      if (ia == hf_ids.end() || ib == hf_ids.end())
        DAPT_FAIL(ErrorCategory::kFormat, mwhere, ": merge ", i, " uses \"", ia == hf_ids.end() ? a : b, "\", which is not in the vocabulary");
      merges.emplace_back(ia->second, ib->second);
    }
  }
  parts.model = BpeModel(std::move(tokens), merges, options);

  for (const auto& t : parts.added_tokens)
    if (const auto it = hf_ids.find(t.content); it != hf_ids.end() && it->second != t.id)
      DAPT_FAIL(ErrorCategory::kFormat, src, ": added token \"", t.content, "\" has id ", t.id, " but the vocabulary gives it ", it->second);

  HfTokenizerFile out{Tokenizer(std::move(parts)), {}};
  for (const auto& kv : f.object()) {
    const std::string_view k(kv.key().data(), kv.key().size());
    if (k != "model" && k != "added_tokens" && k != "normalizer" && k != "pre_tokenizer" && k != "decoder" && k != "post_processor")
      out.extra.emplace(kv.key(), kv.value());
  }
  return out;
}

/// Loads tokenizer.json (give the file or the directory holding it).
inline HfTokenizerFile load_hf_tokenizer(const std::filesystem::path& path) {
  std::error_code ec;
  const auto file = std::filesystem::is_directory(path, ec) ? path / "tokenizer.json" : path;
  return parse_hf_tokenizer(io::detail::read_text_file(file, 512u << 20), file.string());
}

/// Serialises a tokenizer as tokenizer.json (merges as ["a", "b"] pairs, as tokenizers >= 0.20 writes).
inline std::string to_hf_json(const Tokenizer& tok, const json::object& extra = {}) {
  const TokenizerParts& parts = tok.parts();
  std::vector<std::string> id_to_token(tok.vocab_size());
  for (std::size_t i = 0; i < id_to_token.size(); ++i) id_to_token[i] = tok.id_to_token(static_cast<TokenId>(i));
  json::object root;
  root["version"] = extra.contains("version") ? extra.at("version") : json::value("1.0");
  root["truncation"] = extra.contains("truncation") ? extra.at("truncation") : json::value(nullptr);
  root["padding"] = extra.contains("padding") ? extra.at("padding") : json::value(nullptr);
  json::array added;
  for (const auto& t : parts.added_tokens) {
    json::object o{{"id", t.id}};
    for (auto& kv : detail::write_added_token(t)) o.emplace(kv.key(), kv.value());
    added.push_back(std::move(o));
  }
  root["added_tokens"] = std::move(added);
  root["normalizer"] = detail::write_normalizer(parts.normalizer);
  root["pre_tokenizer"] = detail::write_pre_tokenizer(parts.pre_tokenizer);
  root["post_processor"] = detail::write_post_processor(parts.post_processor, id_to_token);
  root["decoder"] = parts.has_decoder ? detail::write_decoder(parts.decoder) : json::value(nullptr);
  const BpeModel& m = parts.model;
  const bool bytes = m.options().alphabet == BpeAlphabet::kBytes;
  auto hf = [&](TokenId id) { return bytes ? bytes_to_byte_level(m.token(id)) : m.token(id); };
  json::object model;
  model["type"] = "BPE";
  model["dropout"] = nullptr;
  model["unk_token"] = m.options().unk ? json::value(hf(*m.options().unk)) : json::value(nullptr);
  model["continuing_subword_prefix"] = nullptr;
  model["end_of_word_suffix"] = nullptr;
  model["fuse_unk"] = m.options().fuse_unk;
  model["byte_fallback"] = m.options().byte_fallback;
  model["ignore_merges"] = m.options().ignore_merges;
  json::object vocab;
  vocab.reserve(m.vocab_size());
  for (std::size_t i = 0; i < m.vocab_size(); ++i) {
    const auto id = static_cast<TokenId>(i);
    if (m.token(id).empty()) continue;
    vocab[hf(id)] = id;
  }
  model["vocab"] = std::move(vocab);
  json::array merges;
  merges.reserve(m.merges().size());
  for (const auto& mg : m.merges()) merges.push_back(json::array{json::string(hf(mg.left)), json::string(hf(mg.right))});
  model["merges"] = std::move(merges);
  root["model"] = std::move(model);
  for (const auto& kv : extra)
    if (!root.contains(kv.key())) root[kv.key()] = kv.value();
  return json::serialize(root);
}

/// Writes tokenizer.json atomically.
inline void save_hf_tokenizer(const std::filesystem::path& path, const Tokenizer& tok, const json::object& extra = {}) {
  io::detail::write_file_atomic(path, to_hf_json(tok, extra));
}

}  // namespace dapt::tokenizer
