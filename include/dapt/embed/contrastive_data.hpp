/// @file contrastive_data.hpp
/// @brief Training data of the contrastive embedder: (query, positive passage, hard negatives)
/// examples, read from JSON Lines or given in memory, tokenised once with the embedder's
/// prefixes, and served to `train::Trainer` in `ContrastiveModel`'s layout: each batch of B
/// examples is (B * (2 + k), T) rows [queries][positives][k negatives per query], with
/// labels = token id at real tokens and -100 at padding. Examples are shuffled per epoch from a
/// seed (Philox), an example with more than k negatives gets a fresh random k each time it is
/// drawn, one with fewer leaves the rest of its negative rows empty, and the state (epoch,
/// position, seed, fingerprint) goes into checkpoints, so a resumed run draws the same batches.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/embed/contrastive.hpp"
#include "dapt/embed/embedder.hpp"
#include "dapt/io/json.hpp"
#include "dapt/tokenizer/tokenizer.hpp"
#include "dapt/train/data.hpp"

namespace dapt::embed {

/// One training example: a query, its positive passage, and any number of hard negatives.
struct ContrastivePair {
  std::string query;
  std::string positive;
  std::vector<std::string> negatives;
};

/// Reads JSON Lines of {"query": str, "positive": str, "negatives": [str, ...]} ("negatives"
/// optional; other fields ignored; blank lines skipped). kIo for an unreadable file, kFormat
/// naming file:line for a malformed line, a missing or non-string field, or an empty query or
/// positive.
inline std::vector<ContrastivePair> read_pairs_jsonl(const std::filesystem::path& path) {
  std::vector<ContrastivePair> out;
  train::detail::for_each_line(path, [&](std::string& line, std::int64_t n) {
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    const std::string where = path.string() + ":" + std::to_string(n);
    const boost::json::value v = io::parse_json(line, where);
    const auto& o = io::as_object(v, where);
    ContrastivePair p;
    for (const auto& [key, var] : {std::pair{"query", &p.query}, std::pair{"positive", &p.positive}}) {
      const auto* f = o.if_contains(key);
      DAPT_CHECK_AS(kFormat, f && f->is_string(), where, ": \"", key, "\" must be a string");
      *var = std::string(f->get_string());
      DAPT_CHECK_AS(kFormat, !var->empty(), where, ": \"", key, "\" is empty");
    }
    if (const auto* neg = o.if_contains("negatives"); neg && !neg->is_null()) {
      DAPT_CHECK_AS(kFormat, neg->is_array(), where, ": \"negatives\" must be an array of strings");
      for (const auto& x : neg->get_array()) {
        DAPT_CHECK_AS(kFormat, x.is_string() && !x.get_string().empty(), where,
                      ": \"negatives\" must hold non-empty strings");
        p.negatives.emplace_back(x.get_string());
      }
    }
    out.push_back(std::move(p));
  });
  return out;
}

struct ContrastiveDataOptions {
  std::int64_t max_len = 128;        ///< tokens per text (T of a batch); longer texts are cut
  std::int64_t hard_negatives = 0;   ///< k negative rows per example (ContrastiveOptions::hard_negatives)
  bool shuffle = true;
  std::uint64_t shuffle_seed = 0;
  std::int64_t validation_pairs = 0; ///< the last N examples are held out for validation
};

class ContrastiveDataset {
 public:
  /// Tokenises every text with `embedder.tokenize` (its prefixes, BOS/EOS), cut to max_len.
  ContrastiveDataset(const Embedder<Cpu>& embedder, const tokenizer::Tokenizer& tok, std::span<const ContrastivePair> pairs,
                     ContrastiveDataOptions options)
      : o_(options) {
    DAPT_CHECK(o_.max_len >= 1, "ContrastiveDataset: max_len must be >= 1, got ", o_.max_len);
    DAPT_CHECK(o_.hard_negatives >= 0, "ContrastiveDataset: hard_negatives must be >= 0, got ", o_.hard_negatives);
    DAPT_CHECK(o_.validation_pairs >= 0 && o_.validation_pairs < static_cast<std::int64_t>(pairs.size()),
               "ContrastiveDataset: validation_pairs must be in [0, ", pairs.size(), "), got ", o_.validation_pairs);
    auto encode = [&](const std::string& s, TextKind kind) {
      std::vector<std::int32_t> ids = embedder.tokenize(tok, s, kind);
      if (static_cast<std::int64_t>(ids.size()) > o_.max_len) ids.resize(static_cast<std::size_t>(o_.max_len));
      return ids;
    };
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&h](std::uint64_t x) { h = (h ^ x) * 1099511628211ull; };
    for (const auto& p : pairs) {
      Example e;
      e.query = encode(p.query, TextKind::kQuery);
      e.positive = encode(p.positive, TextKind::kPassage);
      for (const auto& n : p.negatives) e.negatives.push_back(encode(n, TextKind::kPassage));
      mix(static_cast<std::uint64_t>(token_key(e.query)));
      mix(static_cast<std::uint64_t>(token_key(e.positive)));
      for (const auto& n : e.negatives) mix(static_cast<std::uint64_t>(token_key(n)));
      examples_.push_back(std::move(e));
    }
    for (auto x : {o_.max_len, o_.hard_negatives, o_.validation_pairs, static_cast<std::int64_t>(o_.shuffle)})
      mix(static_cast<std::uint64_t>(x));
    fingerprint_ = h;
    train_count_ = static_cast<std::int64_t>(examples_.size()) - o_.validation_pairs;
  }

  const ContrastiveDataOptions& options() const noexcept { return o_; }
  std::int64_t seq_len() const noexcept { return o_.max_len; }
  std::int64_t rows_per_example() const noexcept { return 2 + o_.hard_negatives; }
  std::int64_t train_examples() const noexcept { return train_count_; }
  std::int64_t validation_examples() const noexcept { return o_.validation_pairs; }

  /// Fills (B * (2 + k), T) rows with the next B training examples.
  void next_batch(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const TensorView<Cpu>& segs = {}) {
    const std::int64_t b = batch_rows(ids, labels);
    for (std::int64_t i = 0; i < b; ++i) {
      if (order_epoch_ != epoch_) build_order();
      const std::int64_t ex = order_[static_cast<std::size_t>(index_)];
      Rng rng(o_.shuffle_seed ^ 0x6e656761746976ull, static_cast<std::uint64_t>(epoch_ * train_count_ + index_));
      place(ids, labels, segs, b, i, ex, &rng);
      if (++index_ == train_count_) {
        index_ = 0;
        ++epoch_;
      }
    }
  }

  /// Validation examples [first, first + B) in the same layout; returns how many were real (the
  /// rest of the rows are padding, which ContrastiveModel skips). Negatives: the first k.
  std::int64_t fill_validation(std::int64_t first, const TensorView<Cpu>& ids, const TensorView<Cpu>& labels,
                               const TensorView<Cpu>& segs = {}) const {
    const std::int64_t b = batch_rows(ids, labels);
    std::int64_t real = 0;
    for (std::int64_t i = 0; i < b; ++i) {
      const std::int64_t ex = train_count_ + first + i;
      if (first + i < o_.validation_pairs) {
        place(ids, labels, segs, b, i, ex, nullptr);
        ++real;
      } else {
        clear_example(ids, labels, segs, b, i);
      }
    }
    return real;
  }

  /// Examples present in a batch (query rows with a token): what the Trainer averages over.
  std::int64_t count_scored(const TensorView<Cpu>& labels) const {
    const std::int64_t b = labels.dim(0) / rows_per_example(), t = labels.dim(1);
    std::int64_t n = 0;
    for (std::int64_t i = 0; i < b; ++i) n += labels.data<const std::int32_t>()[i * t] >= 0;
    return n;
  }

  train::DataState state() const noexcept { return {epoch_, index_, o_.shuffle_seed, fingerprint_}; }
  void set_state(const train::DataState& s) {
    DAPT_CHECK(s.fingerprint == fingerprint_, "ContrastiveDataset::set_state: the state is of other data or options");
    DAPT_CHECK(s.seed == o_.shuffle_seed, "ContrastiveDataset::set_state: the state was taken with shuffle seed ", s.seed,
               ", this dataset uses ", o_.shuffle_seed);
    DAPT_CHECK(s.epoch >= 0 && s.index >= 0 && s.index < train_count_, "ContrastiveDataset::set_state: position (epoch ",
               s.epoch, ", index ", s.index, ") is outside the ", train_count_, " training examples");
    epoch_ = s.epoch;
    index_ = s.index;
  }

 private:
  struct Example {
    std::vector<std::int32_t> query, positive;
    std::vector<std::vector<std::int32_t>> negatives;
  };

  std::int64_t batch_rows(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels) const {
    DAPT_CHECK_AS(kShape, ids.rank() == 2 && ids.shape() == labels.shape() && ids.dtype() == DType::kI32 &&
                              labels.dtype() == DType::kI32 && ids.dim(1) >= o_.max_len &&
                              ids.dim(0) % rows_per_example() == 0,
                  "ContrastiveDataset: ids and labels must be I32 (B * ", rows_per_example(), ", T >= ", o_.max_len,
                  "), got ", ids.shape().str(), " and ", labels.shape().str());
    return ids.dim(0) / rows_per_example();
  }

  void build_order() {
    order_.resize(static_cast<std::size_t>(train_count_));
    std::iota(order_.begin(), order_.end(), std::int64_t{0});
    if (o_.shuffle) {
      Rng rng(o_.shuffle_seed, static_cast<std::uint64_t>(epoch_));
      rng.shuffle(order_.begin(), order_.end());
    }
    order_epoch_ = epoch_;
  }

  static void put_row(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const TensorView<Cpu>& segs,
                      std::int64_t row, const std::vector<std::int32_t>* tokens) {
    const std::int64_t t = ids.dim(1);
    auto* ip = ids.data<std::int32_t>() + row * t;
    auto* lp = labels.data<std::int32_t>() + row * t;
    auto* sp = segs.raw() ? segs.data<std::int32_t>() + row * t : nullptr;
    const std::int64_t n = tokens ? static_cast<std::int64_t>(tokens->size()) : 0;
    for (std::int64_t j = 0; j < t; ++j) {
      const bool real = j < n;
      ip[j] = real ? (*tokens)[static_cast<std::size_t>(j)] : 0;
      lp[j] = real ? ip[j] : -100;
      if (sp) sp[j] = real ? 0 : 1;
    }
  }

  void place(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const TensorView<Cpu>& segs, std::int64_t b,
             std::int64_t i, std::int64_t ex, Rng* rng) const {
    const Example& e = examples_[static_cast<std::size_t>(ex)];
    put_row(ids, labels, segs, i, &e.query);
    put_row(ids, labels, segs, b + i, &e.positive);
    // Which negatives: a random k of them when training (rng), else the first k.
    std::vector<std::size_t> pick(e.negatives.size());
    std::iota(pick.begin(), pick.end(), std::size_t{0});
    if (rng && static_cast<std::int64_t>(pick.size()) > o_.hard_negatives) rng->shuffle(pick.begin(), pick.end());
    for (std::int64_t s = 0; s < o_.hard_negatives; ++s) {
      const std::int64_t row = 2 * b + i * o_.hard_negatives + s;
      put_row(ids, labels, segs, row,
              s < static_cast<std::int64_t>(pick.size()) ? &e.negatives[pick[static_cast<std::size_t>(s)]] : nullptr);
    }
  }

  void clear_example(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const TensorView<Cpu>& segs,
                     std::int64_t b, std::int64_t i) const {
    put_row(ids, labels, segs, i, nullptr);
    put_row(ids, labels, segs, b + i, nullptr);
    for (std::int64_t s = 0; s < o_.hard_negatives; ++s) put_row(ids, labels, segs, 2 * b + i * o_.hard_negatives + s, nullptr);
  }

  ContrastiveDataOptions o_;
  std::vector<Example> examples_;
  std::int64_t train_count_ = 0;
  std::vector<std::int64_t> order_;
  std::int64_t order_epoch_ = -1;
  std::int64_t epoch_ = 0, index_ = 0;
  std::uint64_t fingerprint_ = 0;
};

}  // namespace dapt::embed
