/// @file sentencepiece_model.hpp
/// @brief Loads and saves SentencePiece `.model` files (a serialized `sentencepiece.ModelProto`) by
/// decoding the protobuf wire format directly, so the SDK needs no protobuf library. The pieces,
/// TrainerSpec and NormalizerSpec become plain structs for the BPE encoder and the vocabulary
/// merger. Anything dapt does not interpret (self-test data, fields from newer sentencepiece
/// versions, extensions) is kept as raw bytes, and every field remembers whether the file had it.
/// As a result `serialize(parse(x))` reproduces a file written by the sentencepiece library byte for
/// byte, and a model edited here saves exactly as the same edit made through protobuf would. The
/// decoder is bounded against hostile input. Varints are at most 10 bytes, and each length is
/// checked against the bytes left before anything is allocated. Groups are refused. Unknown fields
/// are skipped as opaque bytes, never descended into, so nesting depth is fixed at two.
///
/// Field numbers and defaults follow src/sentencepiece_model.proto of google/sentencepiece, and
/// the descriptor shipped in the sentencepiece 0.2.3 Python package, which adds TrainerSpec
/// fields 50-55.
#pragma once

#include <bit>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/utf8.hpp"
#include "dapt/io/detail/file_util.hpp"

namespace dapt::tokenizer {

/// ModelProto.SentencePiece.Type. BYTE pieces ("<0x00>".."<0xFF>") exist when
/// TrainerSpec.byte_fallback is set; UNUSED pieces keep their id but are never produced.
enum class SpmPieceType : int { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

/// TrainerSpec.ModelType: which segmentation algorithm the pieces were trained for.
enum class SpmModelType : int { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };

/// The proto enum name of a piece type ("NORMAL", "USER_DEFINED", ...), or "?" outside 1..6.
constexpr std::string_view spm_piece_type_name(SpmPieceType t) noexcept {
  switch (t) {
    case SpmPieceType::kNormal: return "NORMAL";
    case SpmPieceType::kUnknown: return "UNKNOWN";
    case SpmPieceType::kControl: return "CONTROL";
    case SpmPieceType::kUserDefined: return "USER_DEFINED";
    case SpmPieceType::kUnused: return "UNUSED";
    case SpmPieceType::kByte: return "BYTE";
  }
  return "?";
}

/// The proto enum name of a model type ("UNIGRAM", "BPE", "WORD", "CHAR"), or "?" outside 1..4.
constexpr std::string_view spm_model_type_name(SpmModelType t) noexcept {
  switch (t) {
    case SpmModelType::kUnigram: return "UNIGRAM";
    case SpmModelType::kBpe: return "BPE";
    case SpmModelType::kWord: return "WORD";
    case SpmModelType::kChar: return "CHAR";
  }
  return "?";
}

/// The largest file load_sentencepiece_model reads. Protobuf cannot serialize a message over
/// 2 GiB, so no real model is larger.
inline constexpr std::size_t kMaxSpmModelBytes = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

/// One entry of the vocabulary (ModelProto.SentencePiece). Its id is its position in the model.
///
/// `present_fields` and `unknown_fields` make saving reproduce the file exactly. A field is
/// written when its bit is set (the file had it) or its value differs from the proto default. The
/// default bits {piece, score} match what the sentencepiece trainer writes for a new piece.
struct SpmPiece {
  SpmPiece() = default;
  /// `{"piece", score}` or `{"piece", score, type}`. Two arguments at least, so a bare string
  /// never converts to a piece by accident.
  SpmPiece(std::string text, float score_value, SpmPieceType piece_type = SpmPieceType::kNormal)
      : piece(std::move(text)), score(score_value), type(piece_type) {}

  std::string piece;  ///< field 1: non-empty, valid UTF-8, unique within a model
  float score = 0;    ///< field 2: log probability (unigram) or merge priority (BPE: higher merges first)
  SpmPieceType type = SpmPieceType::kNormal;  ///< field 3, default NORMAL
  std::bitset<4> present_fields{0b0110};      ///< by field number
  std::string unknown_fields;                 ///< extensions (fields 200+), raw wire bytes
};

/// TrainerSpec: how the model was trained. The encoder reads the segmentation flags. The training
/// fields are kept so that a saved model still records its provenance. Each member carries the
/// proto default. Field numbers are in the comments.
struct SpmTrainerSpec {
  std::vector<std::string> input;                           // 1
  std::string model_prefix;                                 // 2
  SpmModelType model_type = SpmModelType::kUnigram;         // 3
  std::int32_t vocab_size = 8000;                           // 4
  std::vector<std::string> accept_language;                 // 5
  std::int32_t self_test_sample_size = 0;                   // 6
  std::string input_format;                                 // 7
  float character_coverage = 0.9995f;                       // 10
  std::uint64_t input_sentence_size = 0;                    // 11
  std::int32_t mining_sentence_size = 0;                    // 12 (deprecated)
  std::int32_t training_sentence_size = 0;                  // 13 (deprecated)
  std::int32_t seed_sentencepiece_size = 1000000;           // 14
  float shrinking_factor = 0.75f;                           // 15
  std::int32_t num_threads = 16;                            // 16
  std::int32_t num_sub_iterations = 2;                      // 17
  std::int32_t max_sentence_length = 4192;                  // 18
  bool shuffle_input_sentence = true;                       // 19
  std::int32_t max_sentencepiece_length = 16;               // 20
  bool split_by_unicode_script = true;                      // 21
  bool split_by_whitespace = true;                          // 22
  bool split_by_number = true;                              // 23
  bool treat_whitespace_as_suffix = false;                  // 24
  bool split_digits = false;                                // 25
  bool allow_whitespace_only_pieces = false;                // 26
  std::vector<std::string> control_symbols;                 // 30
  std::vector<std::string> user_defined_symbols;            // 31
  bool vocabulary_output_piece_score = true;                // 32
  bool hard_vocab_limit = true;                             // 33
  bool use_all_vocab = false;                               // 34
  bool byte_fallback = false;                               // 35
  std::string required_chars;                               // 36
  std::int32_t unk_id = 0;                                  // 40
  std::int32_t bos_id = 1;                                  // 41
  std::int32_t eos_id = 2;                                  // 42
  std::int32_t pad_id = -1;                                 // 43 (-1: no padding piece)
  std::string unk_surface = " \xE2\x81\x87 ";               // 44 (" ⁇ ", what <unk> decodes to)
  std::string unk_piece = "<unk>";                          // 45
  std::string bos_piece = "<s>";                            // 46
  std::string eos_piece = "</s>";                           // 47
  std::string pad_piece = "<pad>";                          // 48
  bool train_extremely_large_corpus = false;                // 49
  bool enable_differential_privacy = false;                 // 50
  float differential_privacy_noise_level = 0.0f;            // 51
  std::uint64_t differential_privacy_clipping_threshold = 0;  // 52
  std::string pretokenization_delimiter;                    // 53
  std::string seed_sentencepieces_file;                     // 54
  bool auto_character_coverage = false;                     // 55

  /// Singular fields present in the file, by field number (see SpmPiece for the rule).
  std::bitset<64> present_fields;
  /// Fields dapt does not know (newer versions, extensions), raw wire bytes in file order.
  std::string unknown_fields;
};

/// NormalizerSpec: the text normalization applied before segmentation (and, as
/// ModelProto.denormalizer_spec, after decoding).
struct SpmNormalizerSpec {
  std::string name;                      // 1 ("nmt_nfkc", "identity", ...)
  std::string precompiled_charsmap;      // 2 bytes: a double-array trie + replacement strings
  bool add_dummy_prefix = true;          // 3
  bool remove_extra_whitespaces = true;  // 4
  bool escape_whitespaces = true;        // 5
  std::string normalization_rule_tsv;    // 6

  std::bitset<8> present_fields;  ///< see SpmPiece
  std::string unknown_fields;     ///< raw wire bytes of unknown fields
};

class SpmModel;

namespace detail {

struct SpmModelCodec;

/// Protobuf wire types. 3 and 4 (groups) are legal protobuf but never appear in ModelProto.
enum class ProtoWire : std::uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

constexpr std::string_view proto_wire_name(std::uint64_t wire) noexcept {
  switch (wire) {
    case 0: return "varint";
    case 1: return "fixed64";
    case 2: return "length-delimited";
    case 3: return "start group";
    case 4: return "end group";
    case 5: return "fixed32";
  }
  return "invalid";
}

/// A field named in an error: `name` when known, else only its number (0: no field, the tag).
struct ProtoFieldRef {
  std::string_view name;
  std::uint32_t number = 0;
};

/// Where a reader reads, for error messages. `message` is a path such as "ModelProto.pieces".
/// `index` is the element of a repeated field (-1: none). `category` is kFormat for files, and
/// kInvalidArgument when re-reading caller-supplied raw bytes during serialization.
struct ProtoContext {
  std::string_view source;
  std::string_view message;
  std::ptrdiff_t index = -1;
  ErrorCategory category = ErrorCategory::kFormat;
};

struct ProtoTag {
  std::uint32_t number = 0;
  ProtoWire wire = ProtoWire::kVarint;
  std::size_t begin = 0;  ///< offset of the tag within the reader's bytes
};

/// A bounds-checked cursor over one message's bytes. It never reads past its span and never
/// allocates from a declared length, and every error names the source, the field path and the
/// absolute byte offset.
class ProtoReader {
 public:
  ProtoReader(std::span<const std::byte> bytes, std::size_t base, ProtoContext ctx) noexcept
      : bytes_(bytes), base_(base), ctx_(ctx) {}

  bool done() const noexcept { return pos_ == bytes_.size(); }
  std::size_t pos() const noexcept { return pos_; }
  std::span<const std::byte> bytes() const noexcept { return bytes_; }
  const ProtoContext& context() const noexcept { return ctx_; }

  /// Reads a field key: the number must be 1..2^29-1, the wire type 0, 1, 2 or 5.
  ProtoTag read_tag() {
    const std::size_t begin = pos_;
    const std::uint64_t key = read_varint({});
    const std::uint64_t wire = key & 7;
    const std::uint64_t number = key >> 3;
    if (number == 0) fail(begin, {}, "field number 0 is not valid protobuf");
    if (number > kMaxFieldNumber) fail(begin, {}, "field number ", number, " exceeds the protobuf limit of 2^29-1");
    if (wire == 3 || wire == 4)
      fail(begin, {}, "field ", number, " uses wire type ", wire, " (", proto_wire_name(wire),
           "); groups never occur in a SentencePiece model");
    if (wire > 5) fail(begin, {}, "field ", number, " has invalid wire type ", wire);
    return {static_cast<std::uint32_t>(number), static_cast<ProtoWire>(wire), begin};
  }

  /// Reads a base-128 varint of at most 10 bytes whose value fits in 64 bits.
  std::uint64_t read_varint(ProtoFieldRef field) {
    const std::size_t begin = pos_;
    std::uint64_t value = 0;
    for (int i = 0; i < 10; ++i) {
      if (pos_ == bytes_.size()) fail(begin, field, "truncated varint");
      const auto b = std::to_integer<std::uint8_t>(bytes_[pos_++]);
      if (i == 9 && b > 1)
        fail(begin, field, (b & 0x80) != 0 ? "varint longer than 10 bytes" : "varint overflows 64 bits");
      value |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) return value;
    }
    fail(begin, field, "varint longer than 10 bytes");  // not reached: i == 9 returns or fails
  }

  /// Reads a little-endian fixed32 (floats travel as their IEEE-754 bits).
  std::uint32_t read_fixed32(ProtoFieldRef field) {
    need(4, field, "fixed32");
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint8_t>(bytes_[pos_ + static_cast<std::size_t>(i)]);
    pos_ += 4;
    return v;
  }

  /// Reads a length-delimited payload, checking the declared length against the bytes left
  /// before touching them (a declared 2^62 fails here, allocating nothing).
  std::span<const std::byte> read_len(ProtoFieldRef field) {
    const std::size_t begin = pos_;
    const std::uint64_t len = read_varint(field);
    const std::size_t left = bytes_.size() - pos_;
    if (len > left) fail(begin, field, "declared length ", len, " runs past the end of the data (", left, " bytes left)");
    const auto out = bytes_.subspan(pos_, static_cast<std::size_t>(len));
    pos_ += static_cast<std::size_t>(len);
    return out;
  }

  /// Skips the value of a field dapt does not interpret, without looking inside it.
  void skip_value(const ProtoTag& tag) {
    const ProtoFieldRef field{{}, tag.number};
    switch (tag.wire) {
      case ProtoWire::kVarint: (void)read_varint(field); return;
      case ProtoWire::kFixed64: need(8, field, "fixed64"); pos_ += 8; return;
      case ProtoWire::kLen: (void)read_len(field); return;
      case ProtoWire::kFixed32: need(4, field, "fixed32"); pos_ += 4; return;
      case ProtoWire::kStartGroup:
      case ProtoWire::kEndGroup: break;  // read_tag never returns these
    }
    fail(tag.begin, field, "cannot skip wire type ", static_cast<int>(tag.wire));
  }

  /// Fails unless `tag` carries the wire type the schema gives its field.
  void expect_wire(const ProtoTag& tag, ProtoFieldRef field, ProtoWire want) const {
    if (tag.wire != want)
      fail(tag.begin, field, "has wire type ", static_cast<int>(tag.wire), " (", proto_wire_name(static_cast<int>(tag.wire)),
           "), expected ", static_cast<int>(want), " (", proto_wire_name(static_cast<int>(want)), ")");
  }

  /// A reader over a payload returned by read_len, keeping absolute offsets in its errors.
  ProtoReader sub(std::span<const std::byte> payload, ProtoContext ctx) const noexcept {
    return ProtoReader(payload, base_ + static_cast<std::size_t>(payload.data() - bytes_.data()), ctx);
  }

  /// The raw bytes from `begin` to the current position (a whole field after skip_value).
  std::string_view raw_since(std::size_t begin) const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()) + begin, pos_ - begin};
  }

  /// Throws ctx.category with "<source>: <path>: <parts> (at byte N)".
  template <class... Parts>
  [[noreturn]] void fail(std::size_t at, ProtoFieldRef field, const Parts&... parts) const {
    std::string path(ctx_.message);
    if (ctx_.index >= 0) path += "[" + std::to_string(ctx_.index) + "]";
    if (!field.name.empty()) {
      path += '.';
      path += field.name;
      if (field.number != 0) path += " (field " + std::to_string(field.number) + ")";
    } else if (field.number != 0) {
      path += ", unknown field " + std::to_string(field.number);
    }
    DAPT_FAIL(ctx_.category, ctx_.source, ": ", path, ": ", parts..., " (at byte ", base_ + at, ")");
  }

  static constexpr std::uint64_t kMaxFieldNumber = (std::uint64_t{1} << 29) - 1;

 private:
  void need(std::size_t n, ProtoFieldRef field, std::string_view what) const {
    if (bytes_.size() - pos_ < n)
      fail(pos_, field, "truncated ", what, " (", n, " bytes needed, ", bytes_.size() - pos_, " left)");
  }

  std::span<const std::byte> bytes_;
  std::size_t base_ = 0;
  std::size_t pos_ = 0;
  ProtoContext ctx_;
};

/// Appends protobuf wire encoding to a string.
class ProtoWriter {
 public:
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void tag(std::uint32_t number, ProtoWire wire) { varint((std::uint64_t{number} << 3) | static_cast<std::uint64_t>(wire)); }
  /// int32 and enum values are sign-extended to 64 bits, as protobuf does (-1 takes 10 bytes).
  void int32_value(std::int32_t v) { varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(v))); }
  void fixed32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void len_field(std::uint32_t number, std::string_view payload) {
    tag(number, ProtoWire::kLen);
    varint(payload.size());
    out_.append(payload);
  }
  void raw(std::string_view bytes) { out_.append(bytes); }
  void clear() noexcept { out_.clear(); }
  bool empty() const noexcept { return out_.empty(); }
  std::string& str() noexcept { return out_; }

 private:
  std::string out_;
};

/// The unknown fields of one message, split so that serialization can put each back between the
/// known fields by number, where protobuf (and so the sentencepiece library) writes it. A file
/// from a newer sentencepiece version with, say, TrainerSpec field 37 therefore also round-trips
/// byte for byte.
class ProtoUnknownFields {
 public:
  ProtoUnknownFields(std::string_view raw, ProtoContext ctx) {
    if (raw.empty()) return;
    ProtoReader r(std::as_bytes(std::span(raw.data(), raw.size())), 0, ctx);
    while (!r.done()) {
      const ProtoTag tag = r.read_tag();
      r.skip_value(tag);
      fields_.push_back({tag.number, r.raw_since(tag.begin)});
    }
  }
  /// Writes, in stored order, the pending unknown fields numbered below `number`.
  void write_below(ProtoWriter& w, std::uint32_t number) {
    while (next_ < fields_.size() && fields_[next_].number < number) w.raw(fields_[next_++].bytes);
  }
  void write_rest(ProtoWriter& w) {
    while (next_ < fields_.size()) w.raw(fields_[next_++].bytes);
  }

 private:
  struct Field {
    std::uint32_t number;
    std::string_view bytes;
  };
  std::vector<Field> fields_;
  std::size_t next_ = 0;
};

constexpr bool spm_enum_valid(SpmPieceType t) noexcept {
  return static_cast<int>(t) >= 1 && static_cast<int>(t) <= 6;
}
constexpr bool spm_enum_valid(SpmModelType t) noexcept {
  return static_cast<int>(t) >= 1 && static_cast<int>(t) <= 4;
}
constexpr std::string_view spm_enum_domain(SpmPieceType) noexcept {
  return "1..6 (NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE)";
}
constexpr std::string_view spm_enum_domain(SpmModelType) noexcept { return "1..4 (UNIGRAM, BPE, WORD, CHAR)"; }

/// `s` quoted for a message: valid UTF-8 passes through; control bytes, quotes, backslashes and
/// bytes of malformed UTF-8 become \xNN, so a hostile piece cannot garble a terminal or a log.
inline std::string spm_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const Utf8Char ch = ::dapt::decode_utf8(s, i);
    const std::size_t n = c < 0x80 ? 1 : (ch.valid ? ch.length : 0);
    if (n > 1) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    if (n == 0 || c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out + "\"";
}


/// Why `p` cannot be a piece of a model (empty when it can). This is shared by the parser (kFormat)
/// and the mutators of SpmModel (kInvalidArgument).
inline std::string spm_piece_problem(const SpmPiece& p) {
  if (p.piece.empty()) return "the piece string is empty";
  if (const auto bad = ::dapt::first_invalid_utf8(p.piece))
    return ::dapt::detail::concat("the piece ", spm_quote(p.piece), " is not valid UTF-8 (at byte ", *bad, " of the piece)");
  if (!spm_enum_valid(p.type))
    return ::dapt::detail::concat("piece type ", static_cast<int>(p.type), " is not one of ", spm_enum_domain(p.type));
  return {};
}

/// A hash index from piece string to id that stores ids only, in open addressing with linear
/// probing. Lookups compare against the piece vector, so the index stays valid when that vector
/// reallocates (short strings move with it) and when the model is copied. It costs at most 16
/// bytes per piece. There is no deletion because models only grow or are rebuilt whole.
class SpmPieceIndex {
 public:
  std::optional<int> find(std::string_view key, const std::vector<SpmPiece>& pieces) const noexcept {
    if (slots_.empty()) return std::nullopt;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      const std::int32_t id = slots_[i];
      if (id < 0) return std::nullopt;  // load factor <= 1/2: an empty slot always ends the probe
      if (pieces[static_cast<std::size_t>(id)].piece == key) return id;
    }
  }

  /// Records pieces[id], whose string the caller has checked is not indexed yet.
  void insert(int id, const std::vector<SpmPiece>& pieces) {
    if ((count_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2, pieces);
    place(id, pieces);
    ++count_;
  }

  void clear() noexcept {
    slots_.clear();
    count_ = 0;
  }
  void reserve(std::size_t n, const std::vector<SpmPiece>& pieces) {
    std::size_t want = 16;
    while (want < 2 * n) want *= 2;
    if (want > slots_.size()) rehash(want, pieces);
  }

 private:
  static std::size_t hash(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }
  void place(int id, const std::vector<SpmPiece>& pieces) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash(pieces[static_cast<std::size_t>(id)].piece) & mask;
    while (slots_[i] >= 0) i = (i + 1) & mask;
    slots_[i] = id;
  }
  void rehash(std::size_t size, const std::vector<SpmPiece>& pieces) {
    std::vector<std::int32_t> old(size, -1);
    old.swap(slots_);
    for (const std::int32_t id : old)
      if (id >= 0) place(id, pieces);
  }

  std::vector<std::int32_t> slots_;
  std::size_t count_ = 0;
};

}  // namespace detail

/// A SentencePiece model: the vocabulary plus the specs it was trained and normalizes with.
///
/// Ids are positions in pieces(). The piece list keeps an invariant: every piece is non-empty,
/// valid UTF-8, unique and of a type in 1..6, and it is indexed for piece_id(). So the list is
/// read through accessors and changed through the mutators below, which check that invariant
/// (kInvalidArgument). The specs are plain data and are edited directly. Fields dapt does not
/// interpret (`self_test_data`, `unknown_fields`) are kept as raw bytes so that saving loses
/// nothing.
class SpmModel {
 public:
  SpmTrainerSpec trainer_spec;                          ///< field 2
  SpmNormalizerSpec normalizer_spec;                    ///< field 3
  std::optional<std::string> self_test_data;            ///< field 4, the raw SelfTestData payload
  std::optional<SpmNormalizerSpec> denormalizer_spec;   ///< field 5 (absent: no denormalization)
  /// Presence of trainer_spec (bit 2) and normalizer_spec (bit 3). Each spec is written when its
  /// bit is set or when it has any field to write.
  std::bitset<8> present_fields;
  std::string unknown_fields;  ///< unknown top-level fields, raw wire bytes

  SpmModel() = default;
  /// A model with these pieces (ids in order). Throws kInvalidArgument for an empty, duplicate,
  /// non-UTF-8 or mistyped piece.
  explicit SpmModel(std::vector<SpmPiece> pieces) { set_pieces(std::move(pieces)); }

  const std::vector<SpmPiece>& pieces() const noexcept { return pieces_; }
  std::size_t size() const noexcept { return pieces_.size(); }

  /// The piece with this id (kOutOfRange outside [0, size())).
  const SpmPiece& piece(int id) const { return pieces_[checked(id)]; }

  /// The id of the piece spelled `piece`, if the vocabulary has it. The lookup is by hash.
  std::optional<int> piece_id(std::string_view piece) const noexcept { return index_.find(piece, pieces_); }
  bool contains(std::string_view piece) const noexcept { return piece_id(piece).has_value(); }

  /// Appends a piece and returns its id (the old size). Throws kInvalidArgument when it is empty,
  /// not UTF-8, of a type outside 1..6, or already in the vocabulary.
  int add_piece(SpmPiece piece) {
    if (std::string problem = detail::spm_piece_problem(piece); !problem.empty())
      DAPT_FAIL(ErrorCategory::kInvalidArgument, "cannot add a piece to the SentencePiece model: ", problem);
    if (const auto id = piece_id(piece.piece))
      DAPT_FAIL(ErrorCategory::kInvalidArgument, "cannot add piece ", detail::spm_quote(piece.piece),
                " to the SentencePiece model: it is already piece ", *id);
    DAPT_CHECK(pieces_.size() < static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
               "a SentencePiece model cannot hold more than 2^31-1 pieces");
    const int id = static_cast<int>(pieces_.size());
    pieces_.push_back(std::move(piece));
    index_.insert(id, pieces_);
    return id;
  }

  /// Sets the score of piece `id`, marking it present as protobuf's setter does.
  void set_score(int id, float score) {
    SpmPiece& p = pieces_[checked(id)];
    p.score = score;
    p.present_fields.set(2);
  }

  /// Sets the type of piece `id` (kInvalidArgument outside 1..6), marking it present.
  void set_type(int id, SpmPieceType type) {
    const std::size_t i = checked(id);
    DAPT_CHECK(detail::spm_enum_valid(type), "piece type ", static_cast<int>(type), " is not one of ",
               detail::spm_enum_domain(type));
    pieces_[i].type = type;
    pieces_[i].present_fields.set(3);
  }

  /// Replaces the whole vocabulary (ids in order) and rebuilds the index. This is for reordering
  /// or renaming. It is all or nothing: on kInvalidArgument the model is unchanged.
  void set_pieces(std::vector<SpmPiece> pieces) {
    DAPT_CHECK(pieces.size() <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
               "a SentencePiece model cannot hold more than 2^31-1 pieces");
    detail::SpmPieceIndex index;
    index.reserve(pieces.size(), pieces);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      if (std::string problem = detail::spm_piece_problem(pieces[i]); !problem.empty())
        DAPT_FAIL(ErrorCategory::kInvalidArgument, "piece ", i, " of the SentencePiece model: ", problem);
      if (const auto id = index.find(pieces[i].piece, pieces))
        DAPT_FAIL(ErrorCategory::kInvalidArgument, "piece ", i, " of the SentencePiece model: duplicate piece ",
                  detail::spm_quote(pieces[i].piece), ", already piece ", *id);
      index.insert(static_cast<int>(i), pieces);
    }
    pieces_ = std::move(pieces);
    index_ = std::move(index);
  }

 private:
  friend struct detail::SpmModelCodec;

  std::size_t checked(int id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= pieces_.size())
      DAPT_FAIL(ErrorCategory::kOutOfRange, "piece id ", id, " is out of range: the SentencePiece model has ",
                pieces_.size(), " pieces");
    return static_cast<std::size_t>(id);
  }

  std::vector<SpmPiece> pieces_;
  detail::SpmPieceIndex index_;
};

namespace detail {

/// A schema field of a table-driven message: its number, name and member. The member type picks
/// the wire encoding: varint for bool, int32, uint64 and the enums; fixed32 for float;
/// length-delimited for string and bytes (std::string) and repeated string.
template <class Msg>
using ProtoMember = std::variant<bool Msg::*, std::int32_t Msg::*, std::uint64_t Msg::*, float Msg::*,
                                 std::string Msg::*, std::vector<std::string> Msg::*, SpmModelType Msg::*,
                                 SpmPieceType Msg::*>;

template <class Msg>
struct ProtoField {
  std::uint32_t number;
  std::string_view name;
  ProtoMember<Msg> member;
};

template <class T>
constexpr ProtoWire proto_wire_of() noexcept {
  if constexpr (std::is_same_v<T, float>) {
    return ProtoWire::kFixed32;
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<std::string>>) {
    return ProtoWire::kLen;
  } else {
    return ProtoWire::kVarint;
  }
}

/// Checks a table at compile time: ascending numbers (the write order) and each number within
/// the message's presence bitset.
template <class Msg, std::size_t N>
constexpr bool proto_table_ok(const ProtoField<Msg> (&fields)[N]) {
  constexpr std::size_t kBits = decltype(Msg::present_fields){}.size();
  for (std::size_t i = 0; i < N; ++i) {
    if (fields[i].number == 0 || fields[i].number >= kBits) return false;
    if (i > 0 && fields[i - 1].number >= fields[i].number) return false;
  }
  return true;
}

inline constexpr ProtoField<SpmPiece> kSpmPieceFields[] = {
    {1, "piece", &SpmPiece::piece},
    {2, "score", &SpmPiece::score},
    {3, "type", &SpmPiece::type},
};

inline constexpr ProtoField<SpmTrainerSpec> kSpmTrainerSpecFields[] = {
    {1, "input", &SpmTrainerSpec::input},
    {2, "model_prefix", &SpmTrainerSpec::model_prefix},
    {3, "model_type", &SpmTrainerSpec::model_type},
    {4, "vocab_size", &SpmTrainerSpec::vocab_size},
    {5, "accept_language", &SpmTrainerSpec::accept_language},
    {6, "self_test_sample_size", &SpmTrainerSpec::self_test_sample_size},
    {7, "input_format", &SpmTrainerSpec::input_format},
    {10, "character_coverage", &SpmTrainerSpec::character_coverage},
    {11, "input_sentence_size", &SpmTrainerSpec::input_sentence_size},
    {12, "mining_sentence_size", &SpmTrainerSpec::mining_sentence_size},
    {13, "training_sentence_size", &SpmTrainerSpec::training_sentence_size},
    {14, "seed_sentencepiece_size", &SpmTrainerSpec::seed_sentencepiece_size},
    {15, "shrinking_factor", &SpmTrainerSpec::shrinking_factor},
    {16, "num_threads", &SpmTrainerSpec::num_threads},
    {17, "num_sub_iterations", &SpmTrainerSpec::num_sub_iterations},
    {18, "max_sentence_length", &SpmTrainerSpec::max_sentence_length},
    {19, "shuffle_input_sentence", &SpmTrainerSpec::shuffle_input_sentence},
    {20, "max_sentencepiece_length", &SpmTrainerSpec::max_sentencepiece_length},
    {21, "split_by_unicode_script", &SpmTrainerSpec::split_by_unicode_script},
    {22, "split_by_whitespace", &SpmTrainerSpec::split_by_whitespace},
    {23, "split_by_number", &SpmTrainerSpec::split_by_number},
    {24, "treat_whitespace_as_suffix", &SpmTrainerSpec::treat_whitespace_as_suffix},
    {25, "split_digits", &SpmTrainerSpec::split_digits},
    {26, "allow_whitespace_only_pieces", &SpmTrainerSpec::allow_whitespace_only_pieces},
    {30, "control_symbols", &SpmTrainerSpec::control_symbols},
    {31, "user_defined_symbols", &SpmTrainerSpec::user_defined_symbols},
    {32, "vocabulary_output_piece_score", &SpmTrainerSpec::vocabulary_output_piece_score},
    {33, "hard_vocab_limit", &SpmTrainerSpec::hard_vocab_limit},
    {34, "use_all_vocab", &SpmTrainerSpec::use_all_vocab},
    {35, "byte_fallback", &SpmTrainerSpec::byte_fallback},
    {36, "required_chars", &SpmTrainerSpec::required_chars},
    {40, "unk_id", &SpmTrainerSpec::unk_id},
    {41, "bos_id", &SpmTrainerSpec::bos_id},
    {42, "eos_id", &SpmTrainerSpec::eos_id},
    {43, "pad_id", &SpmTrainerSpec::pad_id},
    {44, "unk_surface", &SpmTrainerSpec::unk_surface},
    {45, "unk_piece", &SpmTrainerSpec::unk_piece},
    {46, "bos_piece", &SpmTrainerSpec::bos_piece},
    {47, "eos_piece", &SpmTrainerSpec::eos_piece},
    {48, "pad_piece", &SpmTrainerSpec::pad_piece},
    {49, "train_extremely_large_corpus", &SpmTrainerSpec::train_extremely_large_corpus},
    {50, "enable_differential_privacy", &SpmTrainerSpec::enable_differential_privacy},
    {51, "differential_privacy_noise_level", &SpmTrainerSpec::differential_privacy_noise_level},
    {52, "differential_privacy_clipping_threshold", &SpmTrainerSpec::differential_privacy_clipping_threshold},
    {53, "pretokenization_delimiter", &SpmTrainerSpec::pretokenization_delimiter},
    {54, "seed_sentencepieces_file", &SpmTrainerSpec::seed_sentencepieces_file},
    {55, "auto_character_coverage", &SpmTrainerSpec::auto_character_coverage},
};

inline constexpr ProtoField<SpmNormalizerSpec> kSpmNormalizerSpecFields[] = {
    {1, "name", &SpmNormalizerSpec::name},
    {2, "precompiled_charsmap", &SpmNormalizerSpec::precompiled_charsmap},
    {3, "add_dummy_prefix", &SpmNormalizerSpec::add_dummy_prefix},
    {4, "remove_extra_whitespaces", &SpmNormalizerSpec::remove_extra_whitespaces},
    {5, "escape_whitespaces", &SpmNormalizerSpec::escape_whitespaces},
    {6, "normalization_rule_tsv", &SpmNormalizerSpec::normalization_rule_tsv},
};

static_assert(proto_table_ok(kSpmPieceFields));
static_assert(proto_table_ok(kSpmTrainerSpecFields));
static_assert(proto_table_ok(kSpmNormalizerSpecFields));

inline std::string proto_string(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

/// Decodes the fields of one message into `msg`, merging into what is there as protobuf does when
/// a message field occurs twice. Known fields must have their schema wire type. Others are kept
/// raw in msg.unknown_fields.
template <class Msg, std::size_t N>
void proto_read_fields(ProtoReader& r, Msg& msg, const ProtoField<Msg> (&fields)[N]) {
  while (!r.done()) {
    const ProtoTag tag = r.read_tag();
    const ProtoField<Msg>* field = nullptr;
    for (const auto& f : fields)
      if (f.number == tag.number) field = &f;
    if (field == nullptr) {
      r.skip_value(tag);
      msg.unknown_fields.append(r.raw_since(tag.begin));
      continue;
    }
    const ProtoFieldRef ref{field->name, field->number};
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(msg.*member)>;
          r.expect_wire(tag, ref, proto_wire_of<T>());
          if constexpr (std::is_same_v<T, bool>) {
            msg.*member = r.read_varint(ref) != 0;
          } else if constexpr (std::is_same_v<T, std::int32_t>) {
            // int32 keeps the low 32 bits of the varint, as protobuf's parser does.
            msg.*member = static_cast<std::int32_t>(static_cast<std::uint32_t>(r.read_varint(ref)));
          } else if constexpr (std::is_same_v<T, std::uint64_t>) {
            msg.*member = r.read_varint(ref);
          } else if constexpr (std::is_same_v<T, float>) {
            msg.*member = std::bit_cast<float>(r.read_fixed32(ref));
          } else if constexpr (std::is_same_v<T, std::string>) {
            msg.*member = proto_string(r.read_len(ref));
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            (msg.*member).push_back(proto_string(r.read_len(ref)));
          } else {  // SpmModelType, SpmPieceType
            const auto value = static_cast<T>(static_cast<std::int32_t>(static_cast<std::uint32_t>(r.read_varint(ref))));
            if (!spm_enum_valid(value))
              r.fail(tag.begin, ref, "value ", static_cast<int>(value), " is not one of ", spm_enum_domain(value));
            msg.*member = value;
          }
        },
        field->member);
    msg.present_fields.set(field->number);
  }
}

/// Encodes `msg` in field-number order, as protobuf does. A singular field is written when present
/// or non-default (floats compared by bits, so -0.0 survives). Each unknown field goes back before
/// the first known field numbered above it.
template <class Msg, std::size_t N>
void proto_write_fields(ProtoWriter& w, const Msg& msg, const ProtoField<Msg> (&fields)[N], const ProtoContext& ctx) {
  const Msg defaults{};
  ProtoUnknownFields unknown(msg.unknown_fields, ctx);
  for (const auto& f : fields) {
    unknown.write_below(w, f.number);
    const bool present = msg.present_fields.test(f.number);
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(msg.*member)>;
          const T& value = msg.*member;
          if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            for (const std::string& s : value) w.len_field(f.number, s);
          } else if constexpr (std::is_same_v<T, float>) {
            if (!present && std::bit_cast<std::uint32_t>(value) == std::bit_cast<std::uint32_t>(defaults.*member)) return;
            w.tag(f.number, ProtoWire::kFixed32);
            w.fixed32(std::bit_cast<std::uint32_t>(value));
          } else {
            if (!present && value == defaults.*member) return;
            if constexpr (std::is_same_v<T, std::string>) {
              w.len_field(f.number, value);
            } else {
              w.tag(f.number, ProtoWire::kVarint);
              if constexpr (std::is_same_v<T, bool>) {
                w.varint(value ? 1 : 0);
              } else if constexpr (std::is_same_v<T, std::uint64_t>) {
                w.varint(value);
              } else if constexpr (std::is_same_v<T, std::int32_t>) {
                w.int32_value(value);
              } else {  // SpmModelType, SpmPieceType: refuse what our own parser would reject
                if (!spm_enum_valid(value))
                  DAPT_FAIL(ErrorCategory::kInvalidArgument, ctx.source, ": ", ctx.message, ".", f.name, " is ",
                            static_cast<int>(value), ", not one of ", spm_enum_domain(value));
                w.int32_value(static_cast<std::int32_t>(value));
              }
            }
          }
        },
        f.member);
  }
  unknown.write_rest(w);
}

/// Reads and writes the top level (ModelProto), which SpmModel befriends so that parsing can fill
/// the piece list and index in one pass, with errors that carry byte offsets.
struct SpmModelCodec {
  static SpmModel parse(std::span<const std::byte> bytes, std::string_view source) {
    // 0x7B ('{') would be field 15 as a group, which can never start a ModelProto. Name the
    // likely mix-up instead of reporting a wire type.
    if (!bytes.empty() && std::to_integer<char>(bytes[0]) == '{')
      DAPT_FAIL(ErrorCategory::kFormat, source,
                ": starts with '{', so it looks like JSON (a tokenizer.json?), not a binary SentencePiece .model");
    SpmModel m;
    ProtoReader r(bytes, 0, {source, "ModelProto"});
    while (!r.done()) {
      const ProtoTag tag = r.read_tag();
      switch (tag.number) {
        case 1: {
          const ProtoFieldRef ref{"pieces", 1};
          r.expect_wire(tag, ref, ProtoWire::kLen);
          const auto index = static_cast<std::ptrdiff_t>(m.pieces_.size());
          ProtoReader pr = r.sub(r.read_len(ref), {source, "ModelProto.pieces", index});
          SpmPiece piece;
          piece.present_fields.reset();
          proto_read_fields(pr, piece, kSpmPieceFields);
          add_parsed_piece(m, std::move(piece), pr);
          break;
        }
        case 2: {
          const ProtoFieldRef ref{"trainer_spec", 2};
          r.expect_wire(tag, ref, ProtoWire::kLen);
          ProtoReader sr = r.sub(r.read_len(ref), {source, "ModelProto.trainer_spec"});
          proto_read_fields(sr, m.trainer_spec, kSpmTrainerSpecFields);
          m.present_fields.set(2);
          break;
        }
        case 3: {
          const ProtoFieldRef ref{"normalizer_spec", 3};
          r.expect_wire(tag, ref, ProtoWire::kLen);
          ProtoReader sr = r.sub(r.read_len(ref), {source, "ModelProto.normalizer_spec"});
          proto_read_fields(sr, m.normalizer_spec, kSpmNormalizerSpecFields);
          m.present_fields.set(3);
          break;
        }
        case 4: {
          // Kept opaque. Two occurrences concatenate, which on the wire is exactly protobuf's merge.
          const ProtoFieldRef ref{"self_test_data", 4};
          r.expect_wire(tag, ref, ProtoWire::kLen);
          const auto payload = r.read_len(ref);
          if (!m.self_test_data) m.self_test_data.emplace();
          m.self_test_data->append(reinterpret_cast<const char*>(payload.data()), payload.size());
          break;
        }
        case 5: {
          const ProtoFieldRef ref{"denormalizer_spec", 5};
          r.expect_wire(tag, ref, ProtoWire::kLen);
          ProtoReader sr = r.sub(r.read_len(ref), {source, "ModelProto.denormalizer_spec"});
          if (!m.denormalizer_spec) m.denormalizer_spec.emplace();
          proto_read_fields(sr, *m.denormalizer_spec, kSpmNormalizerSpecFields);
          break;
        }
        default:
          r.skip_value(tag);
          m.unknown_fields.append(r.raw_since(tag.begin));
      }
    }
    // An empty buffer is a valid empty ModelProto, but sentencepiece refuses it ("unk is not
    // defined"), and so does dapt. It is far more often a truncated or wrong file.
    if (m.pieces_.empty())
      DAPT_FAIL(ErrorCategory::kFormat, source, ": the SentencePiece model has no pieces (",
                bytes.empty() ? "the data is empty" : "ModelProto.pieces never occurs", ")");
    return m;
  }

  static std::string serialize(const SpmModel& m) {
    constexpr std::string_view kSource = "serialize_sentencepiece_model";
    if (m.pieces_.empty())
      DAPT_FAIL(ErrorCategory::kInvalidArgument, kSource, ": the SentencePiece model has no pieces");
    ProtoWriter w;
    ProtoWriter body;
    w.str().reserve(m.pieces_.size() * 16 + m.normalizer_spec.precompiled_charsmap.size() + 1024);
    ProtoUnknownFields unknown(m.unknown_fields, {kSource, "SpmModel.unknown_fields", -1, ErrorCategory::kInvalidArgument});
    for (std::size_t i = 0; i < m.pieces_.size(); ++i) {
      body.clear();
      proto_write_fields(body, m.pieces_[i], kSpmPieceFields,
                         {kSource, "pieces", static_cast<std::ptrdiff_t>(i), ErrorCategory::kInvalidArgument});
      w.len_field(1, body.str());
    }
    unknown.write_below(w, 2);
    body.clear();
    proto_write_fields(body, m.trainer_spec, kSpmTrainerSpecFields, {kSource, "trainer_spec", -1, ErrorCategory::kInvalidArgument});
    if (m.present_fields.test(2) || !body.empty()) w.len_field(2, body.str());
    unknown.write_below(w, 3);
    body.clear();
    proto_write_fields(body, m.normalizer_spec, kSpmNormalizerSpecFields,
                       {kSource, "normalizer_spec", -1, ErrorCategory::kInvalidArgument});
    if (m.present_fields.test(3) || !body.empty()) w.len_field(3, body.str());
    unknown.write_below(w, 4);
    if (m.self_test_data) w.len_field(4, *m.self_test_data);
    unknown.write_below(w, 5);
    if (m.denormalizer_spec) {
      body.clear();
      proto_write_fields(body, *m.denormalizer_spec, kSpmNormalizerSpecFields,
                         {kSource, "denormalizer_spec", -1, ErrorCategory::kInvalidArgument});
      w.len_field(5, body.str());
    }
    unknown.write_rest(w);
    return std::move(w.str());
  }

 private:
  // Errors point at the start of the piece's payload.
  static void add_parsed_piece(SpmModel& m, SpmPiece&& piece, const ProtoReader& pr) {
    if (std::string problem = spm_piece_problem(piece); !problem.empty()) pr.fail(0, {"piece", 1}, problem);
    if (const auto id = m.piece_id(piece.piece))
      pr.fail(0, {"piece", 1}, "duplicate piece ", spm_quote(piece.piece), ", already piece ", *id);
    if (m.pieces_.size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
      pr.fail(0, {"piece", 1}, "more than 2^31-1 pieces");
    const int id = static_cast<int>(m.pieces_.size());
    m.pieces_.push_back(std::move(piece));
    m.index_.insert(id, m.pieces_);
  }
};

}  // namespace detail

/// Decodes a serialized ModelProto. `source` names the data in errors (a path, "<memory>").
/// Throws kFormat, naming the field and byte offset, for truncated or malformed wire data, a
/// known field with the wrong wire type, a piece type outside 1..6 or a model_type outside 1..4,
/// and for an empty, non-UTF-8 or duplicate piece, or a model without pieces. Every well-formed
/// model parses, whatever algorithm or options it uses. Deciding what is supported is left to the
/// code that uses the model.
inline SpmModel parse_sentencepiece_model(std::span<const std::byte> bytes, std::string_view source) {
  return detail::SpmModelCodec::parse(bytes, source);
}

/// As above, for bytes held in a string (what serialize_sentencepiece_model returns).
inline SpmModel parse_sentencepiece_model(std::string_view bytes, std::string_view source) {
  return parse_sentencepiece_model(std::as_bytes(std::span(bytes.data(), bytes.size())), source);
}

/// Reads and parses a `.model` file (kIo when it cannot be read, kFormat as in parse).
inline SpmModel load_sentencepiece_model(const std::filesystem::path& path) {
  const std::string bytes = io::detail::read_text_file(path, kMaxSpmModelBytes);
  return parse_sentencepiece_model(std::string_view(bytes), path.string());
}

/// Encodes a model as the sentencepiece library would: fields in number order, present or
/// non-default singular fields only, unknown fields back in place. A parsed, unedited model
/// therefore reproduces its input exactly. kInvalidArgument for a model without pieces, an enum
/// outside its range, or unknown_fields that are not wire data.
inline std::string serialize_sentencepiece_model(const SpmModel& model) { return detail::SpmModelCodec::serialize(model); }

/// Writes a model to `path` atomically: it is encoded fully first, then written to a temporary
/// file and renamed into place. An error therefore never damages an existing file.
inline void save_sentencepiece_model(const std::filesystem::path& path, const SpmModel& model) {
  const std::string bytes = serialize_sentencepiece_model(model);
  io::detail::write_file_atomic(path, bytes);
}

}  // namespace dapt::tokenizer
