/// @file merge.hpp
/// @brief ChipNeMo's tokenizer augmentation: add to a base tokenizer the tokens of a domain
/// tokenizer that the base lacks and that are rare in general text, as real vocabulary entries
/// (never as added-token string matches). New merges are appended after every base merge, with
/// whatever intermediate tokens make each new token reachable, so base merges always act first
/// and the augmented tokenization of any text is a coarsening of the base one: every new token
/// covers a contiguous run of base tokens and decoding is unchanged. The result carries, for
/// every new id, its decomposition into base ids, which is what the embedding initialisation
/// (mean of the base rows) needs, and a report of token counts before and after.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/tokenizer/bpe.hpp"
#include "dapt/tokenizer/tokenizer.hpp"
#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer {

struct VocabMergeOptions {
  /// Keep a candidate only if the domain tokenizer emits it at most this often per million
  /// tokens of the general sample (when a general sample is given).
  double max_general_per_million = 20.0;
  /// Skip candidates the domain tokenizer never emits on the domain sample (when given).
  bool require_domain_use = true;
  /// Upper bound on new tokens, intermediates included (0: no bound). ChipNeMo added about 9k.
  std::size_t max_new_tokens = 0;
  /// Skip candidates shorter than this many bytes.
  std::size_t min_token_bytes = 2;
};

/// One token added to the base vocabulary.
struct NewToken {
  TokenId id = 0;
  std::string content;                 ///< in the model alphabet (raw bytes for byte-level)
  std::vector<TokenId> decomposition;  ///< base ids whose concatenation is `content`
  bool intermediate = false;           ///< added only to make another new token reachable
  std::uint64_t domain_count = 0;      ///< emissions by the domain tokenizer on the domain sample
  std::uint64_t general_count = 0;     ///< emissions by the domain tokenizer on the general sample
};

/// Token counts of one sample before and after augmentation.
struct SampleCounts {
  std::uint64_t bytes = 0;
  std::uint64_t tokens_before = 0;
  std::uint64_t tokens_after = 0;
  double reduction() const noexcept {
    return tokens_before ? 1.0 - static_cast<double>(tokens_after) / static_cast<double>(tokens_before) : 0.0;
  }
};

struct VocabMergeReport {
  std::size_t base_vocab = 0;
  std::size_t merged_vocab = 0;
  std::size_t candidates = 0;            ///< domain tokens absent from the base
  std::size_t rejected_common = 0;       ///< too frequent in general text
  std::size_t rejected_unused = 0;       ///< never emitted on the domain sample
  std::size_t rejected_unreachable = 0;  ///< could not be made reachable (should be 0)
  SampleCounts domain, general;
};

struct VocabMergeResult {
  Tokenizer tokenizer;               ///< the base pipeline with the augmented model
  std::vector<NewToken> new_tokens;  ///< in id order
  VocabMergeReport report;
};

namespace detail {

inline std::uint64_t count_tokens(const Tokenizer& tok, std::span<const std::string> texts, std::uint64_t* bytes = nullptr) {
  std::uint64_t n = 0;
  EncodeScratch scratch;
  std::vector<TokenId> ids;
  for (const auto& t : texts) {
    ids.clear();
    tok.encode(t, ids, scratch);
    n += ids.size();
    if (bytes) *bytes += t.size();
  }
  return n;
}

inline std::unordered_map<TokenId, std::uint64_t> token_histogram(const Tokenizer& tok, std::span<const std::string> texts,
                                                                 std::uint64_t& total) {
  std::unordered_map<TokenId, std::uint64_t> h;
  EncodeScratch scratch;
  std::vector<TokenId> ids;
  total = 0;
  for (const auto& t : texts) {
    ids.clear();
    tok.encode(t, ids, scratch);
    total += ids.size();
    for (TokenId id : ids) ++h[id];
  }
  return h;
}

}  // namespace detail

/// Augments `base` with tokens of `domain`. Both must be the same flavour (byte-level or
/// character BPE). `domain_sample` and `general_sample` are texts used to filter candidates and
/// for the report; either may be empty (then that filter is off).
inline VocabMergeResult merge_vocabularies(const Tokenizer& base, const Tokenizer& domain,
                                           std::span<const std::string> domain_sample,
                                           std::span<const std::string> general_sample,
                                           const VocabMergeOptions& options = {}) {
  const BpeModel& bm = base.model();
  const BpeModel& dm = domain.model();
  DAPT_CHECK(bm.options().alphabet == dm.options().alphabet,
             "the base and domain tokenizers must both be byte-level or both character BPE");
  VocabMergeResult result;
  VocabMergeReport& report = result.report;
  report.base_vocab = base.vocab_size();

  // Candidates: domain model tokens (not added/special, not byte-fallback) the base lacks, in the
  // domain's merge order (earlier merges are the more frequent pieces).
  std::vector<TokenId> order;
  std::unordered_set<TokenId> seen;
  for (const auto& m : dm.merges())
    if (seen.insert(m.merged).second) order.push_back(m.merged);
  std::vector<TokenId> candidates;
  for (TokenId id : order) {
    const std::string& content = dm.token(id);
    if (content.size() < options.min_token_bytes) continue;
    if (domain.added_vocabulary().find_id(id)) continue;
    if (bm.find(content)) continue;
    candidates.push_back(id);
  }
  report.candidates = candidates.size();

  std::uint64_t domain_total = 0, general_total = 0;
  const auto domain_hist = detail::token_histogram(domain, domain_sample, domain_total);
  const auto general_hist = detail::token_histogram(domain, general_sample, general_total);

  // Working state: the base merges (ranks kept) plus new ones appended after the largest rank.
  std::vector<std::string> tokens(bm.vocab_size());
  for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = bm.token(static_cast<TokenId>(i));
  std::vector<std::pair<TokenId, TokenId>> merges;
  std::vector<std::uint32_t> ranks;
  std::uint32_t next_rank = 0;
  for (const auto& m : bm.merges()) {
    merges.emplace_back(m.left, m.right);
    ranks.push_back(m.rank);
    next_rank = std::max(next_rank, m.rank + 1);
  }
  TokenId next_id = static_cast<TokenId>(base.vocab_size());
  std::unordered_map<std::string, TokenId> new_index;      // content -> new id
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, TokenId>> new_pairs;  // pair -> (rank, merged)

  // Character BPE: a character the base lacks (it falls back to bytes there) must first become a
  // token of its own. No base merge involves such a character, so base merges never cross it.
  auto char_tokens = [&](const std::string& content) {
    std::vector<std::pair<std::string, std::optional<TokenId>>> parts;  // known runs, and new chars
    std::size_t pos = 0, run = 0;
    while (pos < content.size()) {
      const std::size_t len = decode_utf8(content, pos).length;
      const std::string ch = content.substr(pos, len);
      if (!bm.find(ch)) {
        if (pos > run) parts.push_back({content.substr(run, pos - run), std::nullopt});
        TokenId id;
        if (const auto hit = new_index.find(ch); hit != new_index.end()) {
          id = hit->second;
        } else {
          id = next_id++;
          tokens.push_back(ch);
          new_index.emplace(ch, id);
          NewToken t;
          t.id = id;
          t.content = ch;
          t.decomposition = bm.encode_piece(ch);  // its byte-fallback tokens
          result.new_tokens.push_back(std::move(t));
        }
        parts.push_back({ch, id});
        run = pos + len;
      }
      pos += len;
    }
    if (run < content.size()) parts.push_back({content.substr(run), std::nullopt});
    return parts;
  };

  // The tokens of `content` as a standalone piece under the base model, then the new merges so far.
  auto current_segmentation = [&](const std::string& content) {
    std::vector<TokenId> sym;
    if (bm.options().alphabet == BpeAlphabet::kChars) {
      for (const auto& [text, id] : char_tokens(content)) {
        if (id) sym.push_back(*id);
        else for (TokenId t : bm.encode_piece(text)) sym.push_back(t);
      }
    } else {
      sym = bm.encode_piece(content);
    }
    while (sym.size() > 1) {
      std::uint32_t best = std::numeric_limits<std::uint32_t>::max();
      std::size_t at = 0;
      for (std::size_t i = 0; i + 1 < sym.size(); ++i) {
        const auto it = new_pairs.find(detail::pair_key(sym[i], sym[i + 1]));
        if (it != new_pairs.end() && it->second.first < best) {
          best = it->second.first;
          at = i;
        }
      }
      if (best == std::numeric_limits<std::uint32_t>::max()) break;
      sym[at] = new_pairs.at(detail::pair_key(sym[at], sym[at + 1])).second;
      sym.erase(sym.begin() + static_cast<std::ptrdiff_t>(at) + 1);
    }
    return sym;
  };
  auto content_of = [&](TokenId id) -> const std::string& { return tokens[static_cast<std::size_t>(id)]; };

  for (TokenId cid : candidates) {
    const std::string& content = dm.token(cid);
    NewToken info;
    const auto dh = domain_hist.find(cid);
    const auto gh = general_hist.find(cid);
    info.domain_count = dh == domain_hist.end() ? 0 : dh->second;
    info.general_count = gh == general_hist.end() ? 0 : gh->second;
    if (options.require_domain_use && !domain_sample.empty() && info.domain_count == 0) {
      ++report.rejected_unused;
      continue;
    }
    if (!general_sample.empty() && general_total > 0 &&
        static_cast<double>(info.general_count) * 1e6 / static_cast<double>(general_total) > options.max_general_per_million) {
      ++report.rejected_common;
      continue;
    }
    if (new_index.count(content)) continue;  // already added as an intermediate
    // Chain the current segmentation left to right, creating intermediates as needed.
    std::vector<TokenId> seg = current_segmentation(content);
    if (seg.size() < 2) continue;  // already a single token
    std::vector<NewToken> created;
    TokenId acc = seg[0];
    bool ok = true;
    for (std::size_t i = 1; i < seg.size() && ok; ++i) {
      const std::string joined = content_of(acc) + content_of(seg[i]);
      const auto existing = new_pairs.find(detail::pair_key(acc, seg[i]));
      if (existing != new_pairs.end()) {
        acc = existing->second.second;
        ok = content_of(acc) == joined;
        continue;
      }
      TokenId id;
      if (const auto hit = new_index.find(joined); hit != new_index.end()) {
        id = hit->second;
      } else if (const auto b = bm.find(joined)) {
        id = *b;  // reachable in the base vocabulary but not through base merges from here
      } else {
        id = next_id++;
        tokens.push_back(joined);
        new_index.emplace(joined, id);
        NewToken t;
        t.id = id;
        t.content = joined;
        t.decomposition = bm.encode_piece(joined);
        t.intermediate = i + 1 < seg.size();
        created.push_back(std::move(t));
      }
      merges.emplace_back(acc, seg[i]);
      ranks.push_back(next_rank);
      new_pairs.emplace(detail::pair_key(acc, seg[i]), std::make_pair(next_rank, id));
      ++next_rank;
      acc = id;
    }
    if (!created.empty()) {
      created.back().intermediate = false;
      created.back().domain_count = info.domain_count;
      created.back().general_count = info.general_count;
      for (auto& t : created) result.new_tokens.push_back(std::move(t));
    }
    if (options.max_new_tokens && result.new_tokens.size() >= options.max_new_tokens) break;
  }

  BpeModel merged(tokens, merges, bm.options(), ranks);
  // Every new token must come out whole when it is a piece of its own.
  std::size_t unreachable = 0;
  for (const auto& t : result.new_tokens)
    if (merged.encode_piece(t.content) != std::vector<TokenId>{t.id}) ++unreachable;
  report.rejected_unreachable = unreachable;
  DAPT_CHECK_AS(kInternal, unreachable == 0, "vocabulary merge produced ", unreachable, " unreachable tokens");

  TokenizerParts parts = base.parts();
  parts.model = std::move(merged);
  // A boundary split (a speed-up of SentencePiece models) stays only if no new token spans one.
  auto& steps = parts.pre_tokenizer.steps;
  std::erase_if(steps, [&](const PreTokenizerStep& step) {
    const auto* split = std::get_if<BoundarySplitStep>(&step);
    if (!split) return false;
    for (const auto& t : result.new_tokens)
      if (split->spans(t.content)) return true;
    return false;
  });
  result.tokenizer = Tokenizer(std::move(parts));
  report.merged_vocab = result.tokenizer.vocab_size();
  report.domain.tokens_before = detail::count_tokens(base, domain_sample, &report.domain.bytes);
  report.domain.tokens_after = detail::count_tokens(result.tokenizer, domain_sample);
  report.general.tokens_before = detail::count_tokens(base, general_sample, &report.general.bytes);
  report.general.tokens_after = detail::count_tokens(result.tokenizer, general_sample);
  return result;
}

}  // namespace dapt::tokenizer
