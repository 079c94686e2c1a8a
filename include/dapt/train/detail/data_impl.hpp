/// @file data_impl.hpp
/// @brief The definitions behind train/data.hpp: reading sources line by line, tokenizing a batch
/// of documents on the thread policy's threads with errors that name file:line, the content-hash
/// split, packing and row filling, the weighted epoch order, and the SFT rendering, piecewise
/// tokenization and truncation. Included at the end of data.hpp; it includes data.hpp itself so
/// that it also compiles alone.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/io/json.hpp"
#include "dapt/tokenizer/chat_template.hpp"
#include "dapt/tokenizer/tokenizer.hpp"
#include "dapt/train/data.hpp"

namespace dapt::train {
namespace detail {

/// FNV-1a, 64 bit: a fast, stable (platform- and version-independent) hash for the split key and
/// the fingerprint. Not cryptographic; collisions only merge two documents' split decisions.
inline constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
inline std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h = kFnvOffset) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}
template <class T>
std::uint64_t fnv1a_value(const T& v, std::uint64_t h) noexcept {
  return fnv1a(&v, sizeof(T), h);
}

/// Whether a document goes to validation: a Philox draw keyed by the seed, on the stream named by
/// the document's content hash, so the decision depends on nothing else.
inline bool held_out(std::uint64_t split_seed, std::string_view text, double fraction) {
  if (fraction <= 0.0) return false;
  if (fraction >= 1.0) return true;
  Rng rng(split_seed, fnv1a(text.data(), text.size()));
  return rng.uniform_double() < fraction;
}

inline bool is_blank(std::string_view s) noexcept {
  for (char c : s)
    if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')) return false;
  return true;
}

/// Checks a (B, T) host int32 batch tensor; an empty view passes when `optional`.
inline void check_batch_tensor(const TensorView<Cpu>& t, std::string_view what, std::int64_t b, std::int64_t width,
                               bool optional) {
  if (optional && !t.raw()) return;
  DAPT_CHECK_AS(kShape, t.raw() && t.rank() == 2, what, " must be a (B, T) tensor, got shape ", t.shape().str());
  DAPT_CHECK_AS(kDtype, t.dtype() == DType::kI32, what, " must be I32, got ", dtype_name(t.dtype()));
  DAPT_CHECK_AS(kShape, t.is_contiguous(), what, " must be contiguous");
  if (b >= 0)
    DAPT_CHECK_AS(kShape, t.dim(0) == b && (width < 0 || t.dim(1) == width), what, " has shape ", t.shape().str(),
                  ", expected (", b, ", ", width < 0 ? t.dim(1) : width, ")");
}

inline std::int32_t* ptr_or_null(const TensorView<Cpu>& t) { return t.raw() ? t.data<std::int32_t>() : nullptr; }

inline void check_split_fraction(double f, const char* who) {
  DAPT_CHECK(std::isfinite(f) && f >= 0.0 && f <= 1.0, who, ": validation_fraction must be in [0, 1], got ", f);
}

/// Encodes `docs` in order into `out`, on up to num_threads() threads with one scratch each.
/// A tokenizer error is rethrown with the same category, prefixed with `where(i)`.
template <class Text, class Where>
void encode_parallel(const tokenizer::Tokenizer& tok, std::size_t n, Text&& text, Where&& where,
                     std::vector<std::vector<TokenId>>& out) {
  out.resize(n);
  const int threads = static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(
                                                                   static_cast<std::size_t>(num_threads()), n)));
  std::vector<tokenizer::EncodeScratch> scratch(static_cast<std::size_t>(threads));
  parallel_for(0, threads, [&](std::int64_t t) {
    for (std::size_t i = static_cast<std::size_t>(t); i < n; i += static_cast<std::size_t>(threads)) {
      out[i].clear();
      try {
        tok.encode(text(i), out[i], scratch[static_cast<std::size_t>(t)]);
      } catch (const Error& e) {
        throw Error(e.category(), where(i) + ": " + e.message(), __FILE__, __LINE__);
      }
    }
  });
}

/// Reads `path` line by line: fn(std::string& line, std::int64_t line_number), "\n" and a
/// trailing "\r" removed.
template <class Fn>
void for_each_line(const std::filesystem::path& path, Fn&& fn) {
  { io::detail::ReadOnlyFile check(path); }  // kIo with the reason for a missing or odd file
  std::ifstream in(path, std::ios::binary);
  if (!in) DAPT_FAIL(ErrorCategory::kIo, "cannot open ", path.string());
  std::string line;
  std::int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    fn(line, number);
  }
  if (in.bad()) DAPT_FAIL(ErrorCategory::kIo, "cannot read ", path.string(), " after line ", number);
}

inline bool is_jsonl_path(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".jsonl" || ext == ".ndjson";
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// TextSource
// ---------------------------------------------------------------------------------------------

inline std::string TextSource::location(const Document& d) const {
  if (in_memory_) return name_ + "[" + std::to_string(d.file) + "]";
  std::string out = d.file < files_.size() ? files_[d.file].string() : name_;
  if (d.line > 0) out += ":" + std::to_string(d.line);
  return out;
}

template <class Fn>
SourceReadStats TextSource::read(Fn&& fn) const {
  SourceReadStats st;
  const auto emit = [&](std::string&& text, std::size_t file, std::int64_t line) {
    if (detail::is_blank(text)) {
      ++st.empty_skipped;
      return;
    }
    ++st.documents;
    st.bytes += static_cast<std::int64_t>(text.size());
    fn(Document{std::move(text), file, line});
  };
  if (in_memory_) {
    for (std::size_t i = 0; i < texts_.size(); ++i) emit(std::string(texts_[i]), i, 0);
    return st;
  }
  for (std::size_t f = 0; f < files_.size(); ++f) {
    const auto& path = files_[f];
    ++st.files;
    const bool jsonl = options_.format == SourceFormat::kJsonl ||
                       (options_.format == SourceFormat::kAuto && detail::is_jsonl_path(path));
    if (jsonl) {
      detail::for_each_line(path, [&](std::string& line, std::int64_t n) {
        if (detail::is_blank(line)) return;
        const std::string where = path.string() + ":" + std::to_string(n);
        try {
          const boost::json::value v = io::parse_json(line, where);
          io::JsonFields fields(io::as_object(v, where, ErrorCategory::kFormat), where, ErrorCategory::kFormat);
          const boost::json::value* t = fields.find(options_.field);
          if (!t) DAPT_FAIL(ErrorCategory::kFormat, where, ": field \"", options_.field, "\" is missing");
          if (!t->is_string()) fields.wrong_type(options_.field, "a string", *t);
          emit(std::string(t->get_string()), f, n);
        } catch (const Error& e) {
          if (!options_.skip_malformed || e.category() != ErrorCategory::kFormat) throw;
          ++st.malformed_skipped;
        }
      });
    } else if (options_.unit == TextUnit::kFile) {
      emit(io::detail::read_text_file(path, options_.max_file_bytes), f, 0);
    } else if (options_.unit == TextUnit::kLine) {
      detail::for_each_line(path, [&](std::string& line, std::int64_t n) { emit(std::move(line), f, n); });
    } else {
      std::string para;
      std::int64_t first = 0;
      detail::for_each_line(path, [&](std::string& line, std::int64_t n) {
        if (detail::is_blank(line)) {
          if (!para.empty()) emit(std::move(para), f, first);
          para.clear();
          return;
        }
        if (para.empty()) first = n;
        else para += '\n';
        para += line;
      });
      if (!para.empty()) emit(std::move(para), f, first);
    }
  }
  return st;
}

// ---------------------------------------------------------------------------------------------
// PackedDataset
// ---------------------------------------------------------------------------------------------

inline PackedDataset::PackedDataset(const tokenizer::Tokenizer& tok, std::vector<TextSource> sources,
                                    PackOptions options)
    : options_(std::move(options)) {
  const PackOptions& o = options_;
  DAPT_CHECK(!sources.empty(), "PackedDataset: no sources");
  DAPT_CHECK(o.seq_len >= 2, "PackedDataset: seq_len must be at least 2, got ", o.seq_len);
  DAPT_CHECK(o.eos_id >= 0, "PackedDataset: eos_id must be set (>= 0), got ", o.eos_id);
  DAPT_CHECK(!o.bos_id || *o.bos_id >= 0, "PackedDataset: bos_id must be >= 0, got ", o.bos_id.value_or(0));
  DAPT_CHECK(o.pad_id >= 0, "PackedDataset: pad_id must be >= 0, got ", o.pad_id);
  DAPT_CHECK(o.epoch_rows >= 0, "PackedDataset: epoch_rows must be >= 0, got ", o.epoch_rows);
  DAPT_CHECK(o.read_batch_docs >= 1, "PackedDataset: read_batch_docs must be >= 1, got ", o.read_batch_docs);
  detail::check_split_fraction(o.validation_fraction, "PackedDataset");
  double weight_sum = 0;
  for (const auto& s : sources) {
    DAPT_CHECK(std::isfinite(s.weight()) && s.weight() >= 0.0, "PackedDataset: source \"", s.name(),
               "\" has weight ", s.weight(), "; weights must be finite and >= 0");
    weight_sum += s.weight();
  }
  DAPT_CHECK(weight_sum > 0.0, "PackedDataset: every source has weight 0; at least one must be positive");

  const std::size_t ns = sources.size();
  train_.resize(ns);
  val_.resize(ns);
  stats_.resize(ns);
  std::vector<Document> batch;
  std::vector<std::vector<TokenId>> encoded;
  for (std::size_t s = 0; s < ns; ++s) {
    const TextSource& src = sources[s];
    PackedSourceStats& ps = stats_[s];
    ps.name = src.name();
    ps.weight = src.weight();
    // Documents are tokenized a batch at a time (in parallel) and appended in reading order, so
    // the streams never depend on the thread count.
    const auto flush = [&] {
      detail::encode_parallel(
          tok, batch.size(), [&](std::size_t i) -> std::string_view { return batch[i].text; },
          [&](std::size_t i) { return src.location(batch[i]); }, encoded);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const bool val = detail::held_out(o.split_seed, batch[i].text, o.validation_fraction);
        Stream& st = val ? val_[s] : train_[s];
        (val ? ps.validation_documents : ps.train_documents) += 1;
        st.doc_starts.push_back(static_cast<std::int64_t>(st.tokens.size()));
        if (o.bos_id) st.tokens.push_back(*o.bos_id);
        st.tokens.insert(st.tokens.end(), encoded[i].begin(), encoded[i].end());
        st.tokens.push_back(o.eos_id);
      }
      batch.clear();
    };
    ps.read = src.read([&](Document&& d) {
      batch.push_back(std::move(d));
      if (static_cast<std::int64_t>(batch.size()) >= o.read_batch_docs) flush();
    });
    flush();
    for (Stream* st : {&train_[s], &val_[s]}) {
      st->tokens.shrink_to_fit();
      const auto n = static_cast<std::int64_t>(st->tokens.size());
      st->rows = n / o.seq_len;
      if (n % o.seq_len != 0) {
        if (o.last_row == LastRow::kPad) ++st->rows;
        else ps.dropped_tokens += n % o.seq_len;
      }
    }
    ps.train_tokens = static_cast<std::int64_t>(train_[s].tokens.size());
    ps.validation_tokens = static_cast<std::int64_t>(val_[s].tokens.size());
    ps.train_rows = train_[s].rows;
    ps.validation_rows = val_[s].rows;
    train_offset_.push_back(train_offset_.back() + ps.train_rows);
    val_offset_.push_back(val_offset_.back() + ps.validation_rows);
  }

  // Epoch composition: largest-remainder apportionment of N rows by weight.
  std::int64_t n = o.epoch_rows;
  if (n == 0)
    for (std::size_t s = 0; s < ns; ++s)
      if (stats_[s].weight > 0) n += stats_[s].train_rows;
  epoch_rows_ = n;
  if (n > 0) {
    std::vector<double> frac(ns);
    std::int64_t given = 0;
    for (std::size_t s = 0; s < ns; ++s) {
      const double q = static_cast<double>(n) * stats_[s].weight / weight_sum;
      stats_[s].epoch_rows = static_cast<std::int64_t>(std::floor(q));
      frac[s] = q - std::floor(q);
      given += stats_[s].epoch_rows;
    }
    std::vector<std::size_t> by_frac(ns);
    std::iota(by_frac.begin(), by_frac.end(), std::size_t{0});
    std::stable_sort(by_frac.begin(), by_frac.end(), [&](std::size_t a, std::size_t b) { return frac[a] > frac[b]; });
    for (std::size_t k = 0; given < n; k = (k + 1) % ns) {
      if (stats_[by_frac[k]].weight <= 0) continue;
      ++stats_[by_frac[k]].epoch_rows;
      ++given;
    }
    std::int64_t max_rows = 0;
    for (std::size_t s = 0; s < ns; ++s) {
      DAPT_CHECK(stats_[s].epoch_rows == 0 || stats_[s].train_rows > 0, "PackedDataset: source \"", stats_[s].name,
                 "\" has weight ", stats_[s].weight, " but no training rows (", stats_[s].train_tokens,
                 " training tokens, seq_len ", o.seq_len, ")");
      stats_[s].share = static_cast<double>(stats_[s].epoch_rows) / static_cast<double>(n);
      max_rows = std::max(max_rows, stats_[s].train_rows);
    }
    order_.resize(static_cast<std::size_t>(n));
    scratch_.resize(static_cast<std::size_t>(max_rows));
  }
  taken_.resize(ns);

  // The fingerprint covers what decides the rows and the epoch order (not the seed: stored apart).
  std::uint64_t h = detail::kFnvOffset;
  for (std::size_t s = 0; s < ns; ++s) {
    for (const Stream* st : {&train_[s], &val_[s]}) {
      h = detail::fnv1a(st->tokens.data(), st->tokens.size() * sizeof(std::int32_t), h);
      h = detail::fnv1a(st->doc_starts.data(), st->doc_starts.size() * sizeof(std::int64_t), h);
    }
    h = detail::fnv1a_value(stats_[s].epoch_rows, h);
  }
  for (std::int64_t v : {o.seq_len, static_cast<std::int64_t>(o.mask_boundary), static_cast<std::int64_t>(o.last_row),
                         static_cast<std::int64_t>(o.pad_id), static_cast<std::int64_t>(o.shuffle)})
    h = detail::fnv1a_value(v, h);
  fingerprint_ = h;
}

inline std::int64_t PackedDataset::tokens(Split split) const noexcept {
  std::int64_t n = 0;
  for (const Stream& st : split == Split::kTrain ? train_ : val_) n += static_cast<std::int64_t>(st.tokens.size());
  return n;
}

inline std::int64_t PackedDataset::first_row(Split split, std::size_t source) const {
  const auto& off = split == Split::kTrain ? train_offset_ : val_offset_;
  DAPT_CHECK_AS(kOutOfRange, source < off.size(), "PackedDataset: source ", source, " of ", stats_.size());
  return off[source];
}

inline std::size_t PackedDataset::row_source(Split split, std::int64_t row) const {
  const auto& off = split == Split::kTrain ? train_offset_ : val_offset_;
  DAPT_CHECK_AS(kOutOfRange, row >= 0 && row < off.back(), "PackedDataset: row ", row, " of ", off.back());
  return static_cast<std::size_t>(std::upper_bound(off.begin(), off.end(), row) - off.begin()) - 1;
}

inline void PackedDataset::fill_stream_row(const Stream& st, std::int64_t r, std::int32_t* ids, std::int32_t* labels,
                                           std::int32_t* segs) const {
  const std::int64_t t = options_.seq_len, begin = r * t;
  const std::int64_t real = std::min<std::int64_t>(t, static_cast<std::int64_t>(st.tokens.size()) - begin);
  const std::int32_t* src = st.tokens.data() + begin;
  if (ids) {
    std::copy(src, src + real, ids);
    std::fill(ids + real, ids + t, options_.pad_id);
  }
  if (labels) std::copy(src, src + real, labels);
  // The documents starting after column 0 of this row: each opens a new segment.
  auto next = std::upper_bound(st.doc_starts.begin(), st.doc_starts.end(), begin);
  std::int32_t seg = 0;
  if (segs) segs[0] = 0;
  for (std::int64_t j = 1; j < real; ++j) {
    if (next != st.doc_starts.end() && *next == begin + j) {
      ++seg;
      ++next;
      if (labels && options_.mask_boundary) labels[j] = kIgnoreLabel;
    }
    if (segs) segs[j] = seg;
  }
  if (real < t) {
    if (labels) std::fill(labels + real, labels + t, kIgnoreLabel);
    if (segs) std::fill(segs + real, segs + t, real > 0 ? seg + 1 : 0);
  }
}

inline void PackedDataset::fill_row(Split split, std::int64_t row, std::int32_t* ids, std::int32_t* labels,
                                    std::int32_t* segment_ids) const {
  const std::size_t s = row_source(split, row);
  if (split == Split::kTrain) fill_stream_row(train_[s], row - train_offset_[s], ids, labels, segment_ids);
  else fill_stream_row(val_[s], row - val_offset_[s], ids, labels, segment_ids);
}

inline void PackedDataset::build_order(std::int64_t epoch) {
  if (order_epoch_ == epoch) return;
  const std::size_t ns = stats_.size();
  if (options_.shuffle) {
    Rng rng(options_.shuffle_seed, static_cast<std::uint64_t>(epoch));
    std::size_t pos = 0;
    for (std::size_t s = 0; s < ns; ++s) {
      const std::int64_t r = stats_[s].train_rows, want = stats_[s].epoch_rows, off = train_offset_[s];
      if (want == 0) continue;
      for (std::int64_t pass = 0; pass < want / r; ++pass)
        for (std::int64_t k = 0; k < r; ++k) order_[pos++] = off + k;
      const std::int64_t rem = want % r;
      if (rem == 0) continue;
      // A fresh subset of distinct rows: the first `rem` steps of a Fisher-Yates shuffle.
      Rng sub = rng.fork(s);
      std::iota(scratch_.begin(), scratch_.begin() + r, std::int64_t{0});
      for (std::int64_t k = 0; k < rem; ++k) {
        const auto j = k + static_cast<std::int64_t>(sub.uniform_int(static_cast<std::uint64_t>(r - k)));
        std::swap(scratch_[static_cast<std::size_t>(k)], scratch_[static_cast<std::size_t>(j)]);
        order_[pos++] = off + scratch_[static_cast<std::size_t>(k)];
      }
    }
    rng.shuffle(order_.begin(), order_.end());
  } else {
    // Smooth weighted round robin: step k serves the source furthest behind its share, so the
    // sources interleave; each source continues where the previous epoch left it.
    const std::int64_t n = epoch_rows_;
    std::fill(taken_.begin(), taken_.end(), 0);
    for (std::int64_t k = 0; k < n; ++k) {
      std::size_t best = 0;
      std::int64_t best_lag = -1;
      for (std::size_t s = 0; s < ns; ++s) {
        if (taken_[s] >= stats_[s].epoch_rows) continue;
        const std::int64_t lag = stats_[s].epoch_rows * (k + 1) - taken_[s] * n;  // n * (due - taken)
        if (lag > best_lag) best_lag = lag, best = s;
      }
      const std::int64_t r = stats_[best].train_rows;
      const std::int64_t start = ((epoch % r) * (stats_[best].epoch_rows % r)) % r;
      order_[static_cast<std::size_t>(k)] = train_offset_[best] + (start + taken_[best]) % r;
      ++taken_[best];
    }
  }
  order_epoch_ = epoch;
}

inline void PackedDataset::next_batch(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels,
                                      const TensorView<Cpu>& segment_ids) {
  detail::check_batch_tensor(ids, "PackedDataset::next_batch: ids", -1, -1, false);
  const std::int64_t b = ids.dim(0), t = options_.seq_len;
  detail::check_batch_tensor(ids, "PackedDataset::next_batch: ids", b, t, false);
  detail::check_batch_tensor(labels, "PackedDataset::next_batch: labels", b, t, true);
  detail::check_batch_tensor(segment_ids, "PackedDataset::next_batch: segment_ids", b, t, true);
  DAPT_CHECK(epoch_rows_ > 0, "PackedDataset::next_batch: the dataset has no training rows (", tokens(Split::kTrain),
             " training tokens, seq_len ", t, ")");
  std::int32_t* pi = ids.data<std::int32_t>();
  std::int32_t* pl = detail::ptr_or_null(labels);
  std::int32_t* ps = detail::ptr_or_null(segment_ids);
  for (std::int64_t i = 0; i < b; ++i) {
    if (index_ == epoch_rows_) {
      ++epoch_;
      index_ = 0;
    }
    build_order(epoch_);
    const std::int64_t row = order_[static_cast<std::size_t>(index_++)];
    fill_row(Split::kTrain, row, pi + i * t, pl ? pl + i * t : nullptr, ps ? ps + i * t : nullptr);
  }
}

inline std::int64_t PackedDataset::fill_validation(std::int64_t first, const TensorView<Cpu>& ids,
                                                   const TensorView<Cpu>& labels,
                                                   const TensorView<Cpu>& segment_ids) const {
  detail::check_batch_tensor(ids, "PackedDataset::fill_validation: ids", -1, -1, false);
  const std::int64_t b = ids.dim(0), t = options_.seq_len;
  detail::check_batch_tensor(ids, "PackedDataset::fill_validation: ids", b, t, false);
  detail::check_batch_tensor(labels, "PackedDataset::fill_validation: labels", b, t, true);
  detail::check_batch_tensor(segment_ids, "PackedDataset::fill_validation: segment_ids", b, t, true);
  DAPT_CHECK_AS(kOutOfRange, first >= 0, "PackedDataset::fill_validation: first row ", first, " is negative");
  std::int32_t* pi = ids.data<std::int32_t>();
  std::int32_t* pl = detail::ptr_or_null(labels);
  std::int32_t* ps = detail::ptr_or_null(segment_ids);
  const std::int64_t total = rows(Split::kValidation);
  std::int64_t real = 0;
  for (std::int64_t i = 0; i < b; ++i) {
    if (first + i < total) {
      fill_row(Split::kValidation, first + i, pi + i * t, pl ? pl + i * t : nullptr, ps ? ps + i * t : nullptr);
      ++real;
      continue;
    }
    std::fill(pi + i * t, pi + (i + 1) * t, options_.pad_id);
    if (pl) std::fill(pl + i * t, pl + (i + 1) * t, kIgnoreLabel);
    if (ps) std::fill(ps + i * t, ps + (i + 1) * t, 0);
  }
  return real;
}

inline std::int64_t PackedDataset::epoch_row(std::int64_t epoch, std::int64_t index) {
  DAPT_CHECK_AS(kOutOfRange, epoch >= 0 && index >= 0 && index < epoch_rows_, "PackedDataset::epoch_row: position (",
                epoch, ", ", index, ") outside an epoch of ", epoch_rows_, " rows");
  build_order(epoch);
  return order_[static_cast<std::size_t>(index)];
}

inline void PackedDataset::set_state(const DataState& s) {
  DAPT_CHECK(s.seed == options_.shuffle_seed, "PackedDataset::set_state: the state was taken with shuffle seed ", s.seed,
             ", this dataset uses ", options_.shuffle_seed);
  DAPT_CHECK(s.fingerprint == fingerprint_, "PackedDataset::set_state: the state was taken on different data or "
             "packing options (fingerprint ", s.fingerprint, ", this dataset ", fingerprint_, ")");
  DAPT_CHECK(s.epoch >= 0 && s.index >= 0 && s.index <= epoch_rows_, "PackedDataset::set_state: position (", s.epoch,
             ", ", s.index, ") outside an epoch of ", epoch_rows_, " rows");
  epoch_ = s.epoch;
  index_ = s.index;
}

// ---------------------------------------------------------------------------------------------
// SftDataset
// ---------------------------------------------------------------------------------------------

namespace detail {

/// The messages of one JSONL chat line (kFormat naming `where` and the field otherwise).
inline std::vector<tokenizer::ChatMessage> parse_chat_line(std::string_view line, const std::string& where,
                                                           const std::string& field) {
  const boost::json::value v = io::parse_json(line, where);
  io::JsonFields f(io::as_object(v, where, ErrorCategory::kFormat), where, ErrorCategory::kFormat);
  const boost::json::array* msgs = f.get_array(field);
  if (!msgs) DAPT_FAIL(ErrorCategory::kFormat, where, ": field \"", field, "\" (the array of messages) is missing");
  DAPT_CHECK_AS(kFormat, !msgs->empty(), where, ": field \"", field, "\" is an empty array");
  std::vector<tokenizer::ChatMessage> out;
  out.reserve(msgs->size());
  for (std::size_t i = 0; i < msgs->size(); ++i) {
    const std::string mw = where + ": " + field + "[" + std::to_string(i) + "]";
    io::JsonFields m(io::as_object((*msgs)[i], mw, ErrorCategory::kFormat), mw, ErrorCategory::kFormat);
    out.push_back({m.require_string("role"), m.require_string("content")});
  }
  return out;
}

}  // namespace detail

inline void SftDataset::init_options() const {
  const SftOptions& o = options_;
  DAPT_CHECK(o.max_len >= 2, "SftDataset: max_len must be at least 2, got ", o.max_len);
  DAPT_CHECK(o.pad_id >= 0, "SftDataset: pad_id must be >= 0, got ", o.pad_id);
  DAPT_CHECK(!o.bos_id || *o.bos_id >= 0, "SftDataset: bos_id must be >= 0, got ", o.bos_id.value_or(0));
  DAPT_CHECK(o.read_batch >= 1, "SftDataset: read_batch must be >= 1, got ", o.read_batch);
  detail::check_split_fraction(o.validation_fraction, "SftDataset");
}

inline SftDataset::SftDataset(const tokenizer::Tokenizer& tok, const std::vector<std::filesystem::path>& files,
                              SftOptions options)
    : options_(std::move(options)) {
  init_options();
  std::vector<Pending> batch;
  for (const auto& path : files) {
    detail::for_each_line(path, [&](std::string& line, std::int64_t n) {
      if (detail::is_blank(line)) return;
      ++stats_.samples_read;
      std::string where = path.string() + ":" + std::to_string(n);
      try {
        batch.push_back({detail::parse_chat_line(line, where, options_.messages_field), std::move(where), true});
      } catch (const Error& e) {
        if (!options_.skip_malformed || e.category() != ErrorCategory::kFormat) throw;
        ++stats_.malformed_skipped;
      }
      if (static_cast<std::int64_t>(batch.size()) >= options_.read_batch) process(tok, batch);
    });
  }
  process(tok, batch);
  finish();
}

inline SftDataset::SftDataset(const tokenizer::Tokenizer& tok,
                              const std::vector<std::vector<tokenizer::ChatMessage>>& conversations, SftOptions options)
    : options_(std::move(options)) {
  init_options();
  std::vector<Pending> batch;
  for (std::size_t i = 0; i < conversations.size(); ++i) {
    ++stats_.samples_read;
    batch.push_back({conversations[i], "conversation " + std::to_string(i), false});
    if (static_cast<std::int64_t>(batch.size()) >= options_.read_batch) process(tok, batch);
  }
  process(tok, batch);
  finish();
}

inline void SftDataset::process(const tokenizer::Tokenizer& tok, std::vector<Pending>& batch) {
  const SftOptions& o = options_;
  const std::size_t n = batch.size();
  if (n == 0) return;
  // Render every conversation; a rejected one is malformed (its location named).
  std::vector<tokenizer::RenderedChat> rendered(n);
  std::vector<std::uint8_t> ok(n, 1);
  for (std::size_t i = 0; i < n; ++i) {
    try {
      rendered[i] = tokenizer::render_chat(o.format, batch[i].messages, o.render);
    } catch (const Error& e) {
      if (!o.skip_malformed)
        throw Error(batch[i].from_file ? ErrorCategory::kFormat : e.category(), batch[i].where + ": " + e.message(),
                    __FILE__, __LINE__);
      ok[i] = 0;
      ++stats_.malformed_skipped;
    }
  }
  // The pieces between span boundaries, flattened: piece p of sample i is text[cut[p], cut[p+1]).
  struct Piece {
    std::size_t sample, begin, end;
    bool trainable;
  };
  std::vector<Piece> pieces;
  for (std::size_t i = 0; i < n; ++i) {
    if (!ok[i]) continue;
    const auto& spans = rendered[i].assistant_spans;
    std::size_t at = 0;
    for (std::size_t k = 0; k < spans.size(); ++k) {
      const bool train = o.loss_on == LossOn::kAllAssistant || k + 1 == spans.size();
      if (spans[k].first > at) pieces.push_back({i, at, spans[k].first, false});
      if (spans[k].second > spans[k].first) pieces.push_back({i, spans[k].first, spans[k].second, train});
      at = spans[k].second;
    }
    if (rendered[i].text.size() > at) pieces.push_back({i, at, rendered[i].text.size(), false});
  }
  std::vector<std::vector<TokenId>> encoded;
  detail::encode_parallel(
      tok, pieces.size(),
      [&](std::size_t p) {
        return std::string_view(rendered[pieces[p].sample].text).substr(pieces[p].begin, pieces[p].end - pieces[p].begin);
      },
      [&](std::size_t p) { return batch[pieces[p].sample].where; }, encoded);

  std::vector<std::int32_t> ids, labels;
  std::size_t p = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!ok[i]) continue;
    ids.clear();
    labels.clear();
    if (o.bos_id) {
      ids.push_back(*o.bos_id);
      labels.push_back(kIgnoreLabel);
    }
    for (; p < pieces.size() && pieces[p].sample == i; ++p)
      for (TokenId id : encoded[p]) {
        ids.push_back(id);
        labels.push_back(pieces[p].trainable ? id : kIgnoreLabel);
      }
    if (!labels.empty()) labels[0] = kIgnoreLabel;  // nothing predicts a sample's first token
    if (static_cast<std::int64_t>(ids.size()) > o.max_len) {
      if (o.truncation == SftTruncation::kDrop) {
        ++stats_.too_long_dropped;
        continue;
      }
      ids.resize(static_cast<std::size_t>(o.max_len));
      labels.resize(static_cast<std::size_t>(o.max_len));
      ++stats_.truncated;
    }
    const auto trainable = std::count_if(labels.begin(), labels.end(), [](std::int32_t l) { return l >= 0; });
    if (trainable == 0) {
      ++stats_.no_trainable_skipped;
      continue;
    }
    const bool val = detail::held_out(o.split_seed, rendered[i].text, o.validation_fraction);
    SampleSet& set = val ? val_ : train_;
    set.ids.insert(set.ids.end(), ids.begin(), ids.end());
    set.labels.insert(set.labels.end(), labels.begin(), labels.end());
    set.offsets.push_back(static_cast<std::int64_t>(set.ids.size()));
    if (val) {
      ++stats_.validation_samples;
    } else {
      ++stats_.train_samples;
      stats_.train_tokens += static_cast<std::int64_t>(ids.size());
      stats_.train_trainable_tokens += trainable;
    }
  }
  batch.clear();
}

inline void SftDataset::finish() {
  order_.resize(static_cast<std::size_t>(samples(Split::kTrain)));
  std::uint64_t h = detail::kFnvOffset;
  for (const SampleSet* s : {&train_, &val_}) {
    h = detail::fnv1a(s->ids.data(), s->ids.size() * sizeof(std::int32_t), h);
    h = detail::fnv1a(s->labels.data(), s->labels.size() * sizeof(std::int32_t), h);
    h = detail::fnv1a(s->offsets.data(), s->offsets.size() * sizeof(std::int64_t), h);
  }
  for (std::int64_t v : {static_cast<std::int64_t>(options_.pack), static_cast<std::int64_t>(options_.pad_id),
                         static_cast<std::int64_t>(options_.shuffle)})
    h = detail::fnv1a_value(v, h);
  fingerprint_ = h;
}

inline std::span<const std::int32_t> SftDataset::sample_ids(Split split, std::int64_t i) const {
  const SampleSet& s = set(split);
  DAPT_CHECK_AS(kOutOfRange, i >= 0 && i < samples(split), "SftDataset: sample ", i, " of ", samples(split));
  return {s.ids.data() + s.offsets[static_cast<std::size_t>(i)],
          static_cast<std::size_t>(s.offsets[static_cast<std::size_t>(i) + 1] - s.offsets[static_cast<std::size_t>(i)])};
}

inline std::span<const std::int32_t> SftDataset::sample_labels(Split split, std::int64_t i) const {
  const SampleSet& s = set(split);
  DAPT_CHECK_AS(kOutOfRange, i >= 0 && i < samples(split), "SftDataset: sample ", i, " of ", samples(split));
  return {s.labels.data() + s.offsets[static_cast<std::size_t>(i)],
          static_cast<std::size_t>(s.offsets[static_cast<std::size_t>(i) + 1] - s.offsets[static_cast<std::size_t>(i)])};
}

inline void SftDataset::build_order(std::int64_t epoch) {
  if (order_epoch_ == epoch) return;
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
  if (options_.shuffle) {
    Rng rng(options_.shuffle_seed, static_cast<std::uint64_t>(epoch));
    rng.shuffle(order_.begin(), order_.end());
  }
  order_epoch_ = epoch;
}

inline std::int64_t SftDataset::take_sample() {
  const auto n = static_cast<std::int64_t>(order_.size());
  if (index_ == n) {
    ++epoch_;
    index_ = 0;
  }
  build_order(epoch_);
  return order_[static_cast<std::size_t>(index_++)];
}

inline SftBatchInfo SftDataset::next_batch(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels,
                                           const TensorView<Cpu>& segment_ids) {
  detail::check_batch_tensor(ids, "SftDataset::next_batch: ids", -1, -1, false);
  const std::int64_t b = ids.dim(0), t = ids.dim(1);
  detail::check_batch_tensor(labels, "SftDataset::next_batch: labels", b, t, false);
  detail::check_batch_tensor(segment_ids, "SftDataset::next_batch: segment_ids", b, t, true);
  DAPT_CHECK(!order_.empty(), "SftDataset::next_batch: no training samples (", stats_.samples_read, " read, ",
             stats_.validation_samples, " held out, ", stats_.malformed_skipped + stats_.too_long_dropped +
             stats_.no_trainable_skipped, " skipped)");
  std::int32_t* pi = ids.data<std::int32_t>();
  std::int32_t* pl = labels.data<std::int32_t>();
  std::int32_t* ps = detail::ptr_or_null(segment_ids);
  const auto length = [&](std::int64_t s) { return train_.offsets[static_cast<std::size_t>(s) + 1] - train_.offsets[static_cast<std::size_t>(s)]; };
  SftBatchInfo info;
  for (std::int64_t r = 0; r < b; ++r) {
    std::int64_t col = 0;
    std::int32_t seg = 0;
    while (true) {
      // Peek without consuming: a state with index == epoch size is the next epoch's start.
      if (index_ == static_cast<std::int64_t>(order_.size())) {
        ++epoch_;
        index_ = 0;
      }
      build_order(epoch_);
      const std::int64_t s = order_[static_cast<std::size_t>(index_)];
      const std::int64_t len = length(s);
      DAPT_CHECK_AS(kShape, len <= t, "SftDataset::next_batch: training sample ", s, " has ", len,
                    " tokens, more than the batch width T = ", t, " (use T >= max_len = ", options_.max_len, ")");
      if (col > 0 && (!options_.pack || col + len > t)) break;
      (void)take_sample();
      const std::size_t off = static_cast<std::size_t>(train_.offsets[static_cast<std::size_t>(s)]);
      std::copy_n(train_.ids.data() + off, len, pi + r * t + col);
      std::copy_n(train_.labels.data() + off, len, pl + r * t + col);
      if (ps) std::fill_n(ps + r * t + col, len, seg);
      for (std::int64_t j = 0; j < len; ++j) info.trainable_tokens += train_.labels[off + static_cast<std::size_t>(j)] >= 0;
      info.longest = std::max(info.longest, len);
      info.tokens += len;
      ++info.samples;
      col += len;
      ++seg;
      if (!options_.pack) break;
    }
    std::fill(pi + r * t + col, pi + (r + 1) * t, options_.pad_id);
    std::fill(pl + r * t + col, pl + (r + 1) * t, kIgnoreLabel);
    if (ps) std::fill(ps + r * t + col, ps + (r + 1) * t, seg);
  }
  return info;
}

inline std::int64_t SftDataset::fill_validation(std::int64_t first, const TensorView<Cpu>& ids,
                                                const TensorView<Cpu>& labels,
                                                const TensorView<Cpu>& segment_ids) const {
  detail::check_batch_tensor(ids, "SftDataset::fill_validation: ids", -1, -1, false);
  const std::int64_t b = ids.dim(0), t = ids.dim(1);
  detail::check_batch_tensor(labels, "SftDataset::fill_validation: labels", b, t, false);
  detail::check_batch_tensor(segment_ids, "SftDataset::fill_validation: segment_ids", b, t, true);
  DAPT_CHECK_AS(kOutOfRange, first >= 0, "SftDataset::fill_validation: first sample ", first, " is negative");
  std::int32_t* pi = ids.data<std::int32_t>();
  std::int32_t* pl = labels.data<std::int32_t>();
  std::int32_t* ps = detail::ptr_or_null(segment_ids);
  std::int64_t real = 0;
  for (std::int64_t r = 0; r < b; ++r) {
    std::int64_t len = 0;
    if (first + r < samples(Split::kValidation)) {
      const auto si = sample_ids(Split::kValidation, first + r);
      const auto sl = sample_labels(Split::kValidation, first + r);
      len = static_cast<std::int64_t>(si.size());
      DAPT_CHECK_AS(kShape, len <= t, "SftDataset::fill_validation: sample ", first + r, " has ", len,
                    " tokens, more than the batch width T = ", t);
      std::copy(si.begin(), si.end(), pi + r * t);
      std::copy(sl.begin(), sl.end(), pl + r * t);
      if (ps) std::fill_n(ps + r * t, len, 0);
      ++real;
    }
    std::fill(pi + r * t + len, pi + (r + 1) * t, options_.pad_id);
    std::fill(pl + r * t + len, pl + (r + 1) * t, kIgnoreLabel);
    if (ps) std::fill(ps + r * t + len, ps + (r + 1) * t, len > 0 ? 1 : 0);
  }
  return real;
}

inline std::int64_t SftDataset::epoch_sample(std::int64_t epoch, std::int64_t index) {
  DAPT_CHECK_AS(kOutOfRange, epoch >= 0 && index >= 0 && index < static_cast<std::int64_t>(order_.size()),
                "SftDataset::epoch_sample: position (", epoch, ", ", index, ") outside an epoch of ", order_.size(),
                " samples");
  build_order(epoch);
  return order_[static_cast<std::size_t>(index)];
}

inline void SftDataset::set_state(const DataState& s) {
  DAPT_CHECK(s.seed == options_.shuffle_seed, "SftDataset::set_state: the state was taken with shuffle seed ", s.seed,
             ", this dataset uses ", options_.shuffle_seed);
  DAPT_CHECK(s.fingerprint == fingerprint_, "SftDataset::set_state: the state was taken on different data or "
             "options (fingerprint ", s.fingerprint, ", this dataset ", fingerprint_, ")");
  DAPT_CHECK(s.epoch >= 0 && s.index >= 0 && s.index <= static_cast<std::int64_t>(order_.size()),
             "SftDataset::set_state: position (", s.epoch, ", ", s.index, ") outside an epoch of ", order_.size(),
             " samples");
  epoch_ = s.epoch;
  index_ = s.index;
}

}  // namespace dapt::train
