/// @file tokenizer.hpp
/// @brief The tokenizer pipeline: added tokens, normaliser, pre-tokenizer, BPE model, post-
/// processor and decoder, composed as Hugging Face `tokenizers` composes them, so that the ids
/// are identical. A Tokenizer is immutable and thread-safe; encoding state lives in an
/// EncodeScratch that each thread owns (the convenience overloads make a temporary one).
/// Loading and saving the file formats is in hf_json.hpp and sentencepiece.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/tokenizer/added_vocabulary.hpp"
#include "dapt/tokenizer/bpe.hpp"
#include "dapt/tokenizer/byte_level.hpp"
#include "dapt/tokenizer/decoder.hpp"
#include "dapt/tokenizer/normalizer.hpp"
#include "dapt/tokenizer/pretokenizer.hpp"
#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer {

/// TemplateProcessing for one sequence: special tokens around the text ("<s> $A").
struct PostProcessor {
  struct Special {
    std::string name;  ///< key into special_tokens
  };
  struct Sequence {};
  using Item = std::variant<Special, Sequence>;
  std::vector<Item> single;                                ///< empty: no post-processing
  std::map<std::string, std::vector<TokenId>> special_tokens;

  bool empty() const noexcept { return single.empty(); }
  void apply(std::vector<TokenId>& ids) const {
    if (single.empty()) return;
    std::vector<TokenId> out;
    out.reserve(ids.size() + 4);
    for (const auto& item : single) {
      if (std::holds_alternative<Sequence>(item)) {
        out.insert(out.end(), ids.begin(), ids.end());
      } else {
        const auto& name = std::get<Special>(item).name;
        const auto it = special_tokens.find(name);
        DAPT_CHECK_AS(kFormat, it != special_tokens.end(), "post-processor template uses undefined special token \"", name, "\"");
        out.insert(out.end(), it->second.begin(), it->second.end());
      }
    }
    ids.swap(out);
  }
};

struct EncodeOptions {
  bool add_special_tokens = false;  ///< apply the post-processor (BOS/EOS)
};
struct DecodeOptions {
  bool skip_special_tokens = false;
};

/// Per-thread encoding state (caches and buffers). Reuse one per thread for speed.
struct EncodeScratch {
  BpeCache cache;
  PreTokenizeScratch pre;
  std::vector<TextSegment> raw_segments, norm_segments;
  std::string normalized;
};

/// Everything a Tokenizer is made of.
struct TokenizerParts {
  BpeModel model;
  std::vector<AddedToken> added_tokens;
  Normalizer normalizer;
  PreTokenizer pre_tokenizer;
  Decoder decoder;
  bool has_decoder = true;  ///< without a decoder, tokens are joined with spaces (as HF does)
  PostProcessor post_processor;
};

class Tokenizer {
 public:
  Tokenizer() = default;
  explicit Tokenizer(TokenizerParts parts) : parts_(std::move(parts)), added_(parts_.added_tokens) {
    const bool byte_level = parts_.model.options().alphabet == BpeAlphabet::kBytes;
    std::size_t n = parts_.model.vocab_size();
    for (const auto& t : parts_.added_tokens) n = std::max(n, static_cast<std::size_t>(t.id) + 1);
    token_strings_.resize(n);
    is_added_.assign(n, 0);
    is_special_.assign(n, 0);
    for (std::size_t i = 0; i < parts_.model.vocab_size(); ++i) {
      const std::string& t = parts_.model.token(static_cast<TokenId>(i));
      token_strings_[i] = byte_level ? bytes_to_byte_level(t) : t;
    }
    for (const auto& t : parts_.added_tokens) {
      DAPT_CHECK_AS(kFormat, t.id >= 0, "added token \"", t.content, "\" has a negative id");
      token_strings_[static_cast<std::size_t>(t.id)] = t.pattern();  // as HF: a normalized token reads normalised
      is_added_[static_cast<std::size_t>(t.id)] = 1;
      is_special_[static_cast<std::size_t>(t.id)] = t.special ? 1 : 0;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (token_strings_[i].empty()) continue;
      ids_by_string_.emplace(token_strings_[i], static_cast<TokenId>(i));
    }
  }

  const TokenizerParts& parts() const noexcept { return parts_; }
  const BpeModel& model() const noexcept { return parts_.model; }
  const AddedVocabulary& added_vocabulary() const noexcept { return added_; }

  /// Number of ids (the model's vocabulary and the added tokens, holes included).
  std::size_t vocab_size() const noexcept { return token_strings_.size(); }
  /// The token as the HF file writes it (byte-level tokens in their character form).
  const std::string& id_to_token(TokenId id) const {
    DAPT_CHECK_AS(kOutOfRange, id >= 0 && static_cast<std::size_t>(id) < token_strings_.size(), "token id ", id,
                  " is outside the vocabulary of ", token_strings_.size());
    return token_strings_[static_cast<std::size_t>(id)];
  }
  std::optional<TokenId> token_to_id(std::string_view token) const {
    const auto it = ids_by_string_.find(std::string(token));
    if (it == ids_by_string_.end()) return std::nullopt;
    return it->second;
  }
  bool is_special(TokenId id) const {
    return id >= 0 && static_cast<std::size_t>(id) < is_special_.size() && is_special_[static_cast<std::size_t>(id)];
  }

  /// Encodes UTF-8 text, appending to `out`. Invalid UTF-8 is an error (kInvalidArgument) that
  /// gives the byte offset: the reference libraries only accept valid text.
  void encode(std::string_view text, std::vector<TokenId>& out, EncodeScratch& scratch, EncodeOptions options = {}) const {
    if (const auto bad = first_invalid_utf8(text))
      DAPT_FAIL(ErrorCategory::kInvalidArgument, "text is not valid UTF-8 (byte offset ", *bad, ")");
    const std::size_t start = out.size();
    if (added_.empty()) {
      encode_segment(text, true, out, scratch);
    } else {
      added_.split(text, false, scratch.raw_segments);
      const auto raw = scratch.raw_segments;  // copied: the normalized pass reuses the buffers
      for (const auto& seg : raw) {
        if (seg.token) {
          out.push_back(*seg.token);
          continue;
        }
        encode_with_normalized_tokens(text.substr(seg.begin, seg.end - seg.begin), seg.begin == 0, out, scratch);
      }
    }
    if (options.add_special_tokens && !parts_.post_processor.empty()) {
      std::vector<TokenId> ids(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
      parts_.post_processor.apply(ids);
      out.resize(start);
      out.insert(out.end(), ids.begin(), ids.end());
    }
  }

  std::vector<TokenId> encode(std::string_view text, EncodeOptions options = {}) const {
    EncodeScratch scratch;
    std::vector<TokenId> out;
    encode(text, out, scratch, options);
    return out;
  }

  /// Encodes many texts on the thread policy's threads (one scratch per thread).
  std::vector<std::vector<TokenId>> encode_batch(std::span<const std::string> texts, EncodeOptions options = {}) const {
    std::vector<std::vector<TokenId>> out(texts.size());
    const int threads = std::max(1, std::min<int>(num_threads(), static_cast<int>(texts.size())));
    std::vector<EncodeScratch> scratch(static_cast<std::size_t>(threads));
    parallel_for(0, threads, [&](std::int64_t t) {
      for (std::size_t i = static_cast<std::size_t>(t); i < texts.size(); i += static_cast<std::size_t>(threads))
        encode(texts[i], out[i], scratch[static_cast<std::size_t>(t)], options);
    });
    return out;
  }

  /// Decodes ids to text. Ids outside the vocabulary are an error (kOutOfRange) naming the id.
  std::string decode(std::span<const TokenId> ids, DecodeOptions options = {}) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (TokenId id : ids) {
      const std::string& t = id_to_token(id);
      if (options.skip_special_tokens && is_special(id)) continue;
      tokens.push_back(t);
    }
    if (!parts_.has_decoder) {
      std::string out;
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i) out += ' ';
        out += tokens[i];
      }
      return out;
    }
    return parts_.decoder.decode(std::move(tokens));
  }

 private:
  void encode_with_normalized_tokens(std::string_view text, bool at_start, std::vector<TokenId>& out,
                                     EncodeScratch& scratch) const {
    if (parts_.normalizer.empty()) {
      added_.split(text, true, scratch.norm_segments);
      const auto segs = scratch.norm_segments;
      for (const auto& seg : segs) {
        if (seg.token) out.push_back(*seg.token);
        else encode_model(text.substr(seg.begin, seg.end - seg.begin), at_start && seg.begin == 0, out, scratch);
      }
      return;
    }
    std::string normalized(text);
    parts_.normalizer.apply(normalized);
    added_.split(normalized, true, scratch.norm_segments);
    const auto segs = scratch.norm_segments;
    for (const auto& seg : segs) {
      if (seg.token) out.push_back(*seg.token);
      else encode_model(std::string_view(normalized).substr(seg.begin, seg.end - seg.begin), at_start && seg.begin == 0, out, scratch);
    }
  }

  void encode_segment(std::string_view text, bool at_start, std::vector<TokenId>& out, EncodeScratch& scratch) const {
    if (parts_.normalizer.empty()) {
      encode_model(text, at_start, out, scratch);
      return;
    }
    scratch.normalized.assign(text);
    parts_.normalizer.apply(scratch.normalized);
    encode_model(scratch.normalized, at_start, out, scratch);
  }

  void encode_model(std::string_view text, bool at_start, std::vector<TokenId>& out, EncodeScratch& scratch) const {
    if (text.empty()) return;
    parts_.pre_tokenizer.run(text, at_start, scratch.pre);
    for (std::string_view piece : scratch.pre.pieces) parts_.model.encode_piece(piece, out, scratch.cache);
  }

  TokenizerParts parts_;
  AddedVocabulary added_;
  std::vector<std::string> token_strings_;
  std::vector<std::uint8_t> is_added_, is_special_;
  std::unordered_map<std::string, TokenId> ids_by_string_;
};

}  // namespace dapt::tokenizer
