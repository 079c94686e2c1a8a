/// @file builders.hpp
/// @brief Ready-made pipelines for the two tokenizer flavours the SDK trains and merges, so that
/// the trainer, the vocabulary merger and users assemble them in one way:
/// byte-level BPE (GPT-2 or LLaMA-3 pre-tokenization, ByteLevel decoding) and SentencePiece-style
/// BPE in the LLaMA-2 setting (a dummy "▁" prefix, spaces as "▁", `<0xXX>` byte fallback, and the
/// decoder chain transformers uses for LLaMA-2).
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dapt/tokenizer/regex_split.hpp"
#include "dapt/tokenizer/tokenizer.hpp"

namespace dapt::tokenizer {

/// The U+2581 "▁" that SentencePiece uses for spaces.
inline constexpr std::string_view kSpmSpace = "\xe2\x96\x81";

/// Marks ids as special added tokens (matched before the model, skipped by skip_special_tokens).
inline std::vector<AddedToken> special_added_tokens(const std::vector<std::pair<TokenId, std::string>>& specials) {
  std::vector<AddedToken> out;
  for (const auto& [id, content] : specials) {
    AddedToken t;
    t.id = id;
    t.content = content;
    t.normalized = false;
    t.special = true;
    out.push_back(std::move(t));
  }
  return out;
}

/// The pre-tokenizer of a byte-level BPE pipeline: LLaMA-3's (its Split regex, then ByteLevel
/// without a regex) or GPT-2's (ByteLevel with its built-in regex), as tokenizer.json writes them.
inline PreTokenizer byte_level_pre_tokenizer(SplitRegex pattern) {
  PreTokenizer pre;
  if (pattern == SplitRegex::kLlama3) {
    SplitStep split;
    split.regex = SplitRegex::kLlama3;
    split.pattern_text = std::string(kLlama3Pattern);
    split.behavior = SplitBehavior::kIsolated;
    pre.steps.push_back(split);
    pre.steps.push_back(ByteLevelStep{false, false, true});
  } else {
    pre.steps.push_back(ByteLevelStep{false, true, true});
  }
  return pre;
}

/// A byte-level BPE tokenizer. `tokens` are raw bytes (special tokens as their literal text),
/// `merges` id pairs in rank order, `specials` (id, content) of the special tokens.
/// `pattern` kLlama3 gives the LLaMA-3 pipeline (Split + ByteLevel without regex, ignore_merges);
/// kGpt2 gives the GPT-2 one (ByteLevel with its regex).
inline Tokenizer make_byte_level_tokenizer(std::vector<std::string> tokens, const std::vector<std::pair<TokenId, TokenId>>& merges,
                                           const std::vector<std::pair<TokenId, std::string>>& specials,
                                           SplitRegex pattern = SplitRegex::kLlama3) {
  TokenizerParts parts;
  BpeOptions options;
  options.alphabet = BpeAlphabet::kBytes;
  options.ignore_merges = pattern == SplitRegex::kLlama3;
  parts.model = BpeModel(std::move(tokens), merges, options);
  parts.added_tokens = special_added_tokens(specials);
  parts.pre_tokenizer = byte_level_pre_tokenizer(pattern);
  parts.decoder.steps.push_back(ByteLevelDecodeStep{});
  return Tokenizer(std::move(parts));
}

/// A SentencePiece-style BPE tokenizer (LLaMA-2 setting). `tokens` are UTF-8 pieces with "▁" for
/// spaces; `merges` id pairs with `ranks` (equal ranks merge leftmost first, as SentencePiece's
/// equal scores do); `unk` the unknown token; `specials` the control tokens (<s>, </s>, ...).
/// Byte fallback is on when the vocabulary has the 256 `<0xXX>` tokens.
inline Tokenizer make_sentencepiece_style_tokenizer(std::vector<std::string> tokens,
                                                    const std::vector<std::pair<TokenId, TokenId>>& merges,
                                                    std::vector<std::uint32_t> ranks, TokenId unk,
                                                    const std::vector<std::pair<TokenId, std::string>>& specials,
                                                    bool add_dummy_prefix = true) {
  TokenizerParts parts;
  BpeOptions options;
  options.alphabet = BpeAlphabet::kChars;
  options.unk = unk;
  options.fuse_unk = true;
  std::unordered_set<std::string_view> present(tokens.begin(), tokens.end());
  bool all_bytes = true;
  for (int b = 0; b < 256 && all_bytes; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    all_bytes = present.count(name) != 0;
  }
  options.byte_fallback = all_bytes;
  parts.model = BpeModel(std::move(tokens), merges, options, std::move(ranks));
  parts.added_tokens = special_added_tokens(specials);
  if (add_dummy_prefix) parts.normalizer.steps.push_back(PrependStep{std::string(kSpmSpace)});
  parts.normalizer.steps.push_back(ReplaceStep{" ", std::string(kSpmSpace)});
  parts.decoder.steps.push_back(ReplaceDecodeStep{std::string(kSpmSpace), " "});
  parts.decoder.steps.push_back(ByteFallbackDecodeStep{});
  parts.decoder.steps.push_back(FuseDecodeStep{});
  if (add_dummy_prefix) parts.decoder.steps.push_back(StripDecodeStep{" ", 1, 0});
  return Tokenizer(std::move(parts));
}

}  // namespace dapt::tokenizer
