/// @file chunker.hpp
/// @brief Splits documents into retrieval passages of about `target_chars` characters (Unicode
/// code points), as ChipNeMo's retriever indexes its design documents. A cut goes at the best
/// boundary the window offers: a paragraph break (a blank line) first, then a line break, a
/// sentence end, a space between words, and only when a window holds none of these (one huge
/// unbroken token) at a code point boundary: never inside a UTF-8 sequence. Consecutive chunks
/// share about `overlap_chars` characters, so a fact cut in two by one boundary still appears
/// whole in one chunk; the overlap also starts at a boundary where the window has one. Each Chunk
/// keeps its document id and byte offsets [begin, end) into the original text, so a hit can be
/// traced back to its place in the document and `text == document.substr(begin, end - begin)`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/utf8.hpp"

namespace dapt::retrieval {

/// A document id: an integer or a name (a file path, a URL).
using DocId = std::variant<std::int64_t, std::string>;

/// A document to chunk: its id and its UTF-8 text.
struct Document {
  DocId id;
  std::string text;
};

/// One passage of a document.
struct Chunk {
  DocId doc;                ///< the document it comes from
  std::int64_t index = 0;   ///< its position among the chunks of that document (0, 1, ...)
  std::size_t begin = 0;    ///< byte offset of its first byte in the document text
  std::size_t end = 0;      ///< byte offset one past its last byte
  std::string text;         ///< the document's bytes [begin, end)
};

struct ChunkerOptions {
  /// The most characters (code points) of a chunk. At least 1.
  std::int64_t target_chars = 512;
  /// About how many characters consecutive chunks share; 0 <= overlap_chars < target_chars.
  std::int64_t overlap_chars = 64;
  /// A boundary is used only when it leaves at least this many characters in the chunk, so a
  /// paragraph break near the start of a window does not make a tiny chunk (a window with no
  /// boundary past this point is cut hard at target_chars). 0 <= min_chars <= target_chars.
  /// Only the last chunk of a document (or a short document) may be shorter.
  std::int64_t min_chars = 128;
};

/// The kinds of boundary a chunk may start at, weakest first.
enum class BoundaryLevel : std::uint8_t { kNone = 0, kWord = 1, kSentence = 2, kLine = 3, kParagraph = 4 };

/// Splits documents into overlapping chunks of at most `target_chars` characters.
///
/// Positions are between code points; a boundary position is where a chunk may start: the start
/// of a word after a space (kWord), the start of a sentence after ". ", "! ", "? " (optionally
/// with closing quotes or brackets before the space) or after "。", "！", "？" (kSentence), the
/// start of a line (kLine), or the start of a line after a blank line (kParagraph). Whitespace
/// therefore stays at the end of the chunk it follows. Each chunk ends at the strongest boundary
/// in its window (characters min_chars..target_chars of the chunk), the last one of that
/// strength; a window without any boundary is cut after exactly target_chars characters.
/// The next chunk starts at the first of the strongest boundaries in the first half of the
/// overlap window (overlap_chars down to about overlap_chars/2 characters before the end), else
/// at the first boundary of the rest of the window, else exactly overlap_chars characters before
/// the end (never at or before the previous start), and it always ends after the previous chunk,
/// so the chunks cover the document in order. An empty document has no chunks.
///
/// Memory: about 13 bytes per character of the document being split (its code points, their
/// offsets and boundary levels), released when `split` returns.
class Chunker {
 public:
  /// Throws kInvalidArgument naming the option when an option is out of range.
  explicit Chunker(ChunkerOptions options = {}) : options_(options) {
    DAPT_CHECK(options_.target_chars >= 1, "Chunker: target_chars must be at least 1, got ", options_.target_chars);
    DAPT_CHECK(options_.overlap_chars >= 0 && options_.overlap_chars < options_.target_chars,
               "Chunker: overlap_chars must be in [0, target_chars = ", options_.target_chars, "), got ",
               options_.overlap_chars);
    DAPT_CHECK(options_.min_chars >= 0 && options_.min_chars <= options_.target_chars,
               "Chunker: min_chars must be in [0, target_chars = ", options_.target_chars, "], got ",
               options_.min_chars);
  }

  const ChunkerOptions& options() const noexcept { return options_; }

  /// The byte ranges [begin, end) of the chunks of `text`, in order. Throws kInvalidArgument
  /// with the byte offset when `text` is not valid UTF-8.
  std::vector<std::pair<std::size_t, std::size_t>> split(std::string_view text) const {
    if (const auto bad = first_invalid_utf8(text))
      DAPT_FAIL(ErrorCategory::kInvalidArgument, "Chunker: text is not valid UTF-8 (byte offset ", *bad, ")");
    return split_valid(text);
  }

  /// The chunks of one document. Throws kInvalidArgument naming the document when its text is
  /// not valid UTF-8.
  std::vector<Chunk> chunk(const DocId& doc, std::string_view text) const {
    if (const auto bad = first_invalid_utf8(text))
      DAPT_FAIL(ErrorCategory::kInvalidArgument, "Chunker: document ", doc_id_string(doc),
                " is not valid UTF-8 (byte offset ", *bad, ")");
    std::vector<Chunk> out;
    const auto spans = split_valid(text);
    out.reserve(spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) {
      const auto [b, e] = spans[i];
      out.push_back(Chunk{doc, static_cast<std::int64_t>(i), b, e, std::string(text.substr(b, e - b))});
    }
    return out;
  }

  /// The chunks of every document, document by document.
  std::vector<Chunk> chunk(std::span<const Document> docs) const {
    std::vector<Chunk> out;
    for (const Document& d : docs) {
      std::vector<Chunk> c = chunk(d.id, d.text);
      out.insert(out.end(), std::make_move_iterator(c.begin()), std::make_move_iterator(c.end()));
    }
    return out;
  }

  /// "42" or "\"name\"": a document id for messages.
  static std::string doc_id_string(const DocId& doc) {
    if (const auto* n = std::get_if<std::int64_t>(&doc)) return std::to_string(*n);
    return "\"" + std::get<std::string>(doc) + "\"";
  }

 private:
  static bool is_space(char32_t c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n'; }
  static bool is_inline_space(char32_t c) noexcept { return is_space(c) && c != '\n'; }
  static bool is_closing(char32_t c) noexcept {
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' || c == U'\u2019' || c == U'\u201D';
  }
  static bool is_terminal(char32_t c) noexcept { return c == '.' || c == '!' || c == '?'; }
  static bool is_cjk_terminal(char32_t c) noexcept { return c == U'\u3002' || c == U'\uFF01' || c == U'\uFF1F'; }

  /// The boundary level of the position before code point `e` (0 < e < n).
  static BoundaryLevel level_at(const std::vector<char32_t>& cp, std::size_t e) noexcept {
    const char32_t prev = cp[e - 1], cur = cp[e];
    if (prev == '\n') {
      if (cur == '\n' || cur == '\r') return BoundaryLevel::kNone;  // inside a run of newlines: cut after it
      // A paragraph starts after a blank line: the line that ends at e - 1 holds only spaces and
      // is itself preceded by a line break (so a blank first line is not a paragraph break).
      std::size_t j = e - 1;
      while (j > 0 && is_inline_space(cp[j - 1])) --j;
      if (j > 0 && cp[j - 1] == '\n') return BoundaryLevel::kParagraph;
      return BoundaryLevel::kLine;
    }
    if (is_space(cur)) return BoundaryLevel::kNone;  // a chunk starts at a non-space
    if (is_cjk_terminal(prev)) return BoundaryLevel::kSentence;
    if (!is_inline_space(prev)) return BoundaryLevel::kNone;
    std::size_t j = e - 1;
    while (j > 0 && is_inline_space(cp[j - 1])) --j;
    while (j > 0 && is_closing(cp[j - 1])) --j;
    if (j > 0 && is_terminal(cp[j - 1])) return BoundaryLevel::kSentence;
    return BoundaryLevel::kWord;
  }

  std::vector<std::pair<std::size_t, std::size_t>> split_valid(std::string_view text) const {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    if (text.empty()) return out;
    // Code points and their byte offsets (offset[n] = text.size()): sizes count characters,
    // offsets count bytes.
    std::vector<char32_t> cp;
    std::vector<std::size_t> offset;
    cp.reserve(text.size());
    offset.reserve(text.size() + 1);
    for (std::size_t i = 0; i < text.size();) {
      const Utf8Char c = decode_utf8(text, i);
      cp.push_back(c.code_point);
      offset.push_back(i);
      i += c.length;
    }
    offset.push_back(text.size());
    const std::size_t n = cp.size();
    std::vector<BoundaryLevel> level(n + 1, BoundaryLevel::kNone);
    for (std::size_t e = 1; e < n; ++e) level[e] = level_at(cp, e);

    const auto target = static_cast<std::size_t>(options_.target_chars);
    const auto overlap = static_cast<std::size_t>(options_.overlap_chars);
    const auto min_chars = static_cast<std::size_t>(options_.min_chars);
    std::size_t start = 0, prev_end = 0;
    while (true) {
      if (n - start <= target) {
        out.emplace_back(offset[start], offset[n]);
        break;
      }
      // The cut: the strongest boundary in [lo, hi], the last of that strength. lo > prev_end
      // guarantees progress when min_chars is below the overlap.
      const std::size_t hi = start + target;
      std::size_t lo = start + (min_chars > 0 ? min_chars : 1);
      if (lo <= prev_end) lo = prev_end + 1;
      std::size_t end = hi;
      BoundaryLevel best = BoundaryLevel::kNone;
      for (std::size_t e = lo; e <= hi; ++e)
        if (level[e] != BoundaryLevel::kNone && level[e] >= best) best = level[e], end = e;
      out.emplace_back(offset[start], offset[end]);
      prev_end = end;
      // The next start: within [end - overlap, end), and after `start`.
      std::size_t next = end;
      if (overlap > 0) {
        const std::size_t w_lo = end - start > overlap ? end - overlap : start + 1;
        const std::size_t w_mid = w_lo + (end - w_lo + 1) / 2;  // first half: [w_lo, w_mid)
        next = w_lo;
        BoundaryLevel b = BoundaryLevel::kNone;
        for (std::size_t s = w_lo; s < w_mid; ++s)
          if (level[s] > b) b = level[s], next = s;
        if (b == BoundaryLevel::kNone)
          for (std::size_t s = w_mid; s < end; ++s)
            if (level[s] != BoundaryLevel::kNone) {
              next = s;
              break;
            }
      }
      start = next;
    }
    return out;
  }

  ChunkerOptions options_;
};

}  // namespace dapt::retrieval
