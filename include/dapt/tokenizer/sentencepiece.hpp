/// @file sentencepiece.hpp
/// @brief SentencePiece BPE models (`.model`, the LLaMA-2 format) as dapt tokenizers, exact
/// against the `sentencepiece` library: the normaliser spec becomes Prepend/Replace/Collapse
/// steps, user-defined pieces become added tokens matched in the normalised text, control pieces
/// keep their ids but never match text, `<0xXX>` pieces give byte fallback, and piece scores
/// become merge ranks (every split of a piece into two pieces is a merge; equal scores share a
/// rank, so the leftmost pair wins, as in SentencePiece). Also the way back: appending new
/// pieces to a model for the vocabulary merger, and a single `load_tokenizer` for either format.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/tokenizer/builders.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/sentencepiece_model.hpp"
#include "dapt/tokenizer/tokenizer.hpp"

namespace dapt::tokenizer {

/// Builds the tokenizer of a SentencePiece BPE model. Unigram/word/char models, a precompiled
/// normalisation charsmap (nmt_nfkc and friends) and whitespace-as-suffix are refused by name.
inline Tokenizer tokenizer_from_sentencepiece(const SpmModel& spm, std::string_view source = "sentencepiece model") {
  const auto& ts = spm.trainer_spec;
  const auto& ns = spm.normalizer_spec;
  if (ts.model_type != SpmModelType::kBpe)
    DAPT_FAIL(ErrorCategory::kUnsupported, source, ": SentencePiece model type ", spm_model_type_name(ts.model_type),
              " is not supported (only BPE)");
  if (!ns.precompiled_charsmap.empty())
    DAPT_FAIL(ErrorCategory::kUnsupported, source, ": SentencePiece normalization \"", ns.name,
              "\" (a precompiled charsmap) is not supported; LLaMA-style models use \"identity\"");
  if (ts.treat_whitespace_as_suffix)
    DAPT_FAIL(ErrorCategory::kUnsupported, source, ": treat_whitespace_as_suffix is not supported");

  const auto& pieces = spm.pieces();
  std::vector<std::string> tokens(pieces.size());
  std::optional<TokenId> unk;
  std::vector<AddedToken> added;
  // Distinct scores, descending, give the ranks.
  std::vector<float> scores;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const SpmPiece& p = pieces[i];
    const auto id = static_cast<TokenId>(i);
    switch (p.type) {
      case SpmPieceType::kNormal:
        tokens[i] = p.piece;
        scores.push_back(p.score);
        break;
      case SpmPieceType::kByte:
        tokens[i] = p.piece;  // "<0xXX>": reached through byte fallback only
        break;
      case SpmPieceType::kUnknown:
        tokens[i] = p.piece;
        unk = id;
        break;
      case SpmPieceType::kUserDefined: {
        tokens[i] = p.piece;
        AddedToken t;
        t.id = id;
        t.content = p.piece;
        t.normalized = true;  // SentencePiece matches them in the normalised text
        added.push_back(std::move(t));
        break;
      }
      case SpmPieceType::kControl: {
        AddedToken t;
        t.id = id;
        t.content = p.piece;
        t.special = true;
        t.normalized = false;
        t.match_in_text = false;
        added.push_back(std::move(t));
        break;
      }
      case SpmPieceType::kUnused:
        break;  // a hole: never produced
    }
  }
  std::sort(scores.begin(), scores.end(), std::greater<float>());
  scores.erase(std::unique(scores.begin(), scores.end()), scores.end());
  auto rank_of = [&](float score) {
    return static_cast<std::uint32_t>(std::lower_bound(scores.begin(), scores.end(), score, std::greater<float>()) - scores.begin());
  };
  // Merges: every split of a normal piece into two pieces that can be symbols (normal pieces).
  std::map<std::string, TokenId> symbols;
  for (std::size_t i = 0; i < pieces.size(); ++i)
    if (pieces[i].type == SpmPieceType::kNormal) symbols.emplace(pieces[i].piece, static_cast<TokenId>(i));
  std::vector<std::tuple<std::uint32_t, TokenId, TokenId, TokenId>> found;  // rank, merged, left, right
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const SpmPiece& p = pieces[i];
    if (p.type != SpmPieceType::kNormal) continue;
    std::size_t pos = decode_utf8(p.piece, 0).length;
    while (pos < p.piece.size()) {
      const auto l = symbols.find(p.piece.substr(0, pos));
      const auto r = symbols.find(p.piece.substr(pos));
      if (l != symbols.end() && r != symbols.end())
        found.emplace_back(rank_of(p.score), static_cast<TokenId>(i), l->second, r->second);
      pos += decode_utf8(p.piece, pos).length;
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::pair<TokenId, TokenId>> merges;
  std::vector<std::uint32_t> ranks;
  for (const auto& [rank, merged, left, right] : found) {
    merges.emplace_back(left, right);
    ranks.push_back(rank);
  }

  TokenizerParts parts;
  BpeOptions options;
  options.alphabet = BpeAlphabet::kChars;
  options.byte_fallback = ts.byte_fallback;
  options.unk = unk;
  options.fuse_unk = true;  // SentencePiece emits one unk for a run of unknown characters
  parts.model = BpeModel(std::move(tokens), merges, options, std::move(ranks));
  parts.added_tokens = std::move(added);
  if (ns.remove_extra_whitespaces) parts.normalizer.steps.push_back(CollapseSpacesStep{});
  if (ns.add_dummy_prefix) parts.normalizer.steps.push_back(PrependStep{std::string(kSpmSpace)});
  if (ns.escape_whitespaces) parts.normalizer.steps.push_back(ReplaceStep{" ", std::string(kSpmSpace)});
  parts.decoder.steps.push_back(ReplaceDecodeStep{std::string(kSpmSpace), " "});
  parts.decoder.steps.push_back(ByteFallbackDecodeStep{});
  parts.decoder.steps.push_back(FuseDecodeStep{});
  if (ns.add_dummy_prefix) parts.decoder.steps.push_back(StripDecodeStep{" ", 1, 0});
  // Speed: SentencePiece encodes the whole text as one sequence, but when no piece holds "▁"
  // after another character, no merge can join across the start of a "▁" run, so splitting
  // there gives the same ids and lets the encoder cache words.
  if (ns.escape_whitespaces) {
    const BoundarySplitStep split{std::string(kSpmSpace)};
    bool spans = false;
    for (const auto& p : pieces)
      if (p.type == SpmPieceType::kNormal || p.type == SpmPieceType::kUserDefined) spans = spans || split.spans(p.piece);
    if (!spans) parts.pre_tokenizer.steps.push_back(split);
  }
  return Tokenizer(std::move(parts));
}

/// Loads a `.model` file as a tokenizer.
inline Tokenizer load_sentencepiece_tokenizer(const std::filesystem::path& path) {
  return tokenizer_from_sentencepiece(load_sentencepiece_model(path), path.string());
}

/// Appends pieces to a SentencePiece model, each scored below every existing piece and in the
/// given order (so they apply after every base merge, in that order). Used to save a merged
/// vocabulary in the base's format. Ids continue after the last piece.
inline void append_sentencepiece_pieces(SpmModel& spm, const std::vector<std::string>& new_pieces) {
  float lowest = 0.0f;
  for (const auto& p : spm.pieces())
    if (p.type == SpmPieceType::kNormal) lowest = std::min(lowest, p.score);
  float score = std::floor(lowest) - 1.0f;
  for (const auto& piece : new_pieces) {
    spm.add_piece(SpmPiece(piece, score, SpmPieceType::kNormal));
    score -= 1.0f;
  }
  spm.trainer_spec.vocab_size = static_cast<std::int32_t>(spm.size());
}

/// Loads either format: a tokenizer.json, a SentencePiece .model, or a directory holding
/// tokenizer.json (preferred) or tokenizer.model.
inline Tokenizer load_tokenizer(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / "tokenizer.json")) return load_hf_tokenizer(path / "tokenizer.json").tokenizer;
    if (fs::exists(path / "tokenizer.model")) return load_sentencepiece_tokenizer(path / "tokenizer.model");
    DAPT_FAIL(ErrorCategory::kIo, "no tokenizer.json or tokenizer.model in ", path.string());
  }
  if (path.extension() == ".model") return load_sentencepiece_tokenizer(path);
  return load_hf_tokenizer(path).tokenizer;
}

}  // namespace dapt::tokenizer
