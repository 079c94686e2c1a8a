/// @file sentencepiece_model_test.cpp
/// @brief SentencePiece .model I/O. The tests cover:
/// - the BPE fixture against its .vocab listing and its specs;
/// - a byte-identical round trip;
/// - an edit made in C++ that must equal the same edit made by the Python sentencepiece library
///   (spm_bpe_edited.model, made by tools/spm_make_edited_fixture.py);
/// - presence and unknown-field preservation, and the piece-list API;
/// - hostile input: each malformed case, every truncation of the fixture, and seeded bit flips.
///   Each must be a dapt::Error or a valid parse, never a crash.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dapt/tokenizer/sentencepiece_model.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

using dapt::tokenizer::SpmModel;
using dapt::tokenizer::SpmModelType;
using dapt::tokenizer::SpmPiece;
using dapt::tokenizer::SpmPieceType;
using dapt::tokenizer::detail::ProtoWire;
using dapt::tokenizer::detail::ProtoWriter;

namespace {

const std::string kDir = DAPT_TEST_DATA_DIR "/tokenizers/";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SpmModel parse(std::string_view bytes) { return dapt::tokenizer::parse_sentencepiece_model(bytes, "test.model"); }
std::string serialize(const SpmModel& m) { return dapt::tokenizer::serialize_sentencepiece_model(m); }

std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

/// The wire bytes of one SentencePiece message.
std::string piece_msg(std::string_view piece, float score, int type = 0) {
  ProtoWriter w;
  w.len_field(1, piece);
  w.tag(2, ProtoWire::kFixed32);
  w.fixed32(bits(score));
  if (type != 0) {
    w.tag(3, ProtoWire::kVarint);
    w.int32_value(type);
  }
  return w.str();
}

/// A ModelProto holding these (already encoded) piece messages, then `tail` verbatim.
std::string model_bytes(const std::vector<std::string>& pieces, std::string_view tail = {}) {
  ProtoWriter w;
  for (const auto& p : pieces) w.len_field(1, p);
  w.raw(tail);
  return w.str();
}

/// A small valid model: <unk>, <s>, </s>, then "a" and "b".
std::string small_model(std::string_view tail = {}) {
  return model_bytes({piece_msg("<unk>", 0, 2), piece_msg("<s>", 0, 3), piece_msg("</s>", 0, 3), piece_msg("a", -1),
                      piece_msg("b", -2)},
                     tail);
}

std::string varint_bytes(std::uint64_t v) {
  ProtoWriter w;
  w.varint(v);
  return w.str();
}

/// Parses and, when that succeeds, checks that the model re-serializes stably. Returns whether
/// the bytes parsed. Anything but dapt::Error escaping is a test failure.
bool parses_or_throws_dapt_error(std::string_view bytes) {
  try {
    const SpmModel m = parse(bytes);
    const std::string once = serialize(m);
    CHECK(serialize(parse(once)) == once);
    return true;
  } catch (const dapt::Error& e) {
    CHECK(e.category() == dapt::ErrorCategory::kFormat);
    return false;
  }
}

}  // namespace

TEST_CASE("sentencepiece_model: the BPE fixture matches its vocab listing and specs", "[tokenizer][spm]") {
  const SpmModel m = dapt::tokenizer::load_sentencepiece_model(kDir + "spm_bpe.model");
  REQUIRE(m.size() == 2000);

  const auto& t = m.trainer_spec;
  CHECK(t.model_type == SpmModelType::kBpe);
  CHECK(t.vocab_size == 2000);
  CHECK(t.byte_fallback);
  CHECK(t.split_digits);
  CHECK(t.allow_whitespace_only_pieces);
  CHECK(t.split_by_whitespace);  // absent from the file: the proto default
  CHECK(t.split_by_unicode_script);
  CHECK_FALSE(t.treat_whitespace_as_suffix);
  CHECK(t.max_sentencepiece_length == 16);
  CHECK(t.unk_id == 0);
  CHECK(t.bos_id == 1);
  CHECK(t.eos_id == 2);
  CHECK(t.pad_id == -1);
  CHECK(t.unk_piece == "<unk>");
  CHECK(t.unk_surface == " \xE2\x81\x87 ");
  CHECK(t.input == std::vector<std::string>{"corpus/domain.txt", "corpus/general.txt"});
  CHECK(t.model_prefix == "/tmp/fx/tokenizers/spm_bpe");
  CHECK(t.input_sentence_size == 200000);
  CHECK(t.num_threads == 8);
  CHECK(t.max_sentence_length == 8192);
  CHECK(t.character_coverage == 0.9995f);
  CHECK(t.unknown_fields.empty());

  const auto& n = m.normalizer_spec;
  CHECK(n.name == "identity");
  CHECK(n.precompiled_charsmap.empty());
  CHECK(n.present_fields.test(2));  // present, though empty
  CHECK(n.add_dummy_prefix);
  CHECK_FALSE(n.remove_extra_whitespaces);
  CHECK(n.escape_whitespaces);
  CHECK_FALSE(m.denormalizer_spec.has_value());
  CHECK_FALSE(m.self_test_data.has_value());
  CHECK(m.unknown_fields.empty());

  // Every piece, score and id against spm_bpe.vocab ("piece<TAB>score" per line, in id order).
  std::ifstream vocab(kDir + "spm_bpe.vocab");
  std::string line;
  int id = 0;
  while (std::getline(vocab, line)) {
    const auto tab = line.rfind('\t');
    REQUIRE(tab != std::string::npos);
    const std::string piece = line.substr(0, tab);
    const float score = std::strtof(line.c_str() + tab + 1, nullptr);
    INFO("id " << id << " piece " << piece);
    REQUIRE(id < static_cast<int>(m.size()));
    CHECK(m.piece(id).piece == piece);
    CHECK(bits(m.piece(id).score) == bits(score));  // "-0" in the listing is -0.0f in the model
    CHECK(m.piece_id(piece) == id);
    ++id;
  }
  CHECK(id == 2000);

  CHECK(m.piece(0).type == SpmPieceType::kUnknown);
  CHECK(m.piece(1).type == SpmPieceType::kControl);
  CHECK(m.piece(2).type == SpmPieceType::kControl);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    CHECK(m.piece(3 + b).piece == name);
    CHECK(m.piece(3 + b).type == SpmPieceType::kByte);
  }
  for (int i = 259; i < 2000; ++i) CHECK(m.piece(i).type == SpmPieceType::kNormal);
  CHECK(std::signbit(m.piece(259).score));  // "▁▁" has score -0.0
  CHECK(m.piece(259).piece == "\xE2\x96\x81\xE2\x96\x81");
  CHECK_FALSE(m.piece_id("not a piece").has_value());
  CHECK_FALSE(m.contains(""));
}

TEST_CASE("sentencepiece_model: serialize(parse(x)) reproduces the fixture byte for byte", "[tokenizer][spm]") {
  for (const char* name : {"spm_bpe.model", "spm_bpe_edited.model"}) {
    INFO(name);
    const std::string bytes = read_file(kDir + name);
    const SpmModel m = parse(bytes);
    CHECK(serialize(m) == bytes);
    const SpmModel copy = m;  // a copy keeps a working index
    CHECK(copy.piece_id("<0x41>") == 3 + 0x41);
    CHECK(serialize(copy) == bytes);
  }

  dapt_test::TempDir dir("spm_roundtrip");
  const auto path = dir.path / "copy.model";
  dapt::tokenizer::save_sentencepiece_model(path, dapt::tokenizer::load_sentencepiece_model(kDir + "spm_bpe.model"));
  CHECK(read_file(path) == read_file(kDir + "spm_bpe.model"));
}

TEST_CASE("sentencepiece_model: a C++ edit equals the same edit made by the Python library", "[tokenizer][spm]") {
  // tools/spm_make_edited_fixture.py made spm_bpe_edited.model with sentencepiece 0.2.3 and
  // protobuf, applying exactly these edits. sentencepiece loads it and uses both new pieces (see
  // spm_bpe_edited.encodings.json: "module counter(...)" encodes "▁counter" as id 2001).
  SpmModel m = dapt::tokenizer::load_sentencepiece_model(kDir + "spm_bpe.model");
  REQUIRE(m.piece(300).piece == "INIT");
  m.set_score(300, -41.5f);
  CHECK(m.add_piece({"<domain>", 0.0f, SpmPieceType::kUserDefined}) == 2000);
  CHECK(m.add_piece({"\xE2\x96\x81" "counter", 1.0f}) == 2001);
  m.trainer_spec.user_defined_symbols.push_back("<domain>");
  m.trainer_spec.vocab_size = 2002;

  const std::string expected = read_file(kDir + "spm_bpe_edited.model");
  CHECK(serialize(m) == expected);

  dapt_test::TempDir dir("spm_edit");
  const auto path = dir.path / "edited.model";
  dapt::tokenizer::save_sentencepiece_model(path, m);
  CHECK(read_file(path) == expected);

  const SpmModel back = dapt::tokenizer::load_sentencepiece_model(path);
  REQUIRE(back.size() == 2002);
  CHECK(back.piece_id("<domain>") == 2000);
  CHECK(back.piece(2000).type == SpmPieceType::kUserDefined);
  CHECK(back.piece_id("\xE2\x96\x81" "counter") == 2001);
  CHECK(back.piece(2001).type == SpmPieceType::kNormal);
  CHECK(back.piece(2001).score == 1.0f);
  CHECK(back.piece(300).score == -41.5f);
  CHECK(back.trainer_spec.user_defined_symbols == std::vector<std::string>{"<domain>"});
  CHECK(back.trainer_spec.vocab_size == 2002);
}

TEST_CASE("sentencepiece_model: a model built in C++ writes only what protobuf would", "[tokenizer][spm]") {
  SpmModel m({{"<unk>", 0.0f, SpmPieceType::kUnknown}, {"a", -1.0f}});
  // No spec was set or loaded, so neither spec is written. Each piece carries piece and score,
  // as the sentencepiece trainer writes them, and a type only when it is not NORMAL.
  const std::string expected = model_bytes({piece_msg("<unk>", 0, 2), piece_msg("a", -1)});
  CHECK(serialize(m) == expected);

  // Non-default values are written. Defaults stay implicit unless marked present.
  m.trainer_spec.byte_fallback = true;    // field 35: tag 0x118 -> 98 02
  m.trainer_spec.pad_id = -1;             // the default: omitted
  m.normalizer_spec.present_fields.set(5);  // escape_whitespaces=true, forced out
  {
    const std::string bytes = serialize(m);
    CHECK(bytes == expected + std::string("\x12\x03\x98\x02\x01", 5) + std::string("\x1a\x02\x28\x01", 4));
    const SpmModel back = parse(bytes);
    CHECK(back.trainer_spec.byte_fallback);
    CHECK(back.trainer_spec.present_fields.test(35));
    CHECK(back.normalizer_spec.present_fields.test(5));
    CHECK(serialize(back) == bytes);
  }
  // A negative int32 takes 10 bytes, sign-extended, as protobuf encodes it.
  m.trainer_spec.pad_id = -2;
  {
    const SpmModel back = parse(serialize(m));
    CHECK(back.trainer_spec.pad_id == -2);
  }
  // An empty but present denormalizer_spec and opaque self-test data both survive.
  m.denormalizer_spec.emplace();
  m.self_test_data = std::string("\x0a\x04\x0a\x02hi", 6);
  {
    const std::string bytes = serialize(m);
    const SpmModel back = parse(bytes);
    REQUIRE(back.denormalizer_spec.has_value());
    CHECK(back.denormalizer_spec->name.empty());
    CHECK(back.self_test_data == m.self_test_data);
    CHECK(serialize(back) == bytes);
    CHECK(bytes.substr(bytes.size() - 2) == std::string("\x2a\x00", 2));  // field 5 after field 4
  }
  // An invalid enum set in C++ is refused rather than written.
  m.trainer_spec.model_type = static_cast<SpmModelType>(9);
  REQUIRE_DAPT_ERROR(serialize(m), kInvalidArgument, "model_type is 9");
  REQUIRE_DAPT_ERROR(serialize(SpmModel{}), kInvalidArgument, "no pieces");
}

TEST_CASE("sentencepiece_model: unknown fields come back where protobuf writes them", "[tokenizer][spm]") {
  // TrainerSpec field 37 (unknown to dapt, as a field from a newer sentencepiece would be) sits
  // between fields 36 and 40 in canonical order, a piece carries an extension (field 200), and
  // the ModelProto ends with unknown fields 6 and 300.
  ProtoWriter spec;
  spec.tag(4, ProtoWire::kVarint);
  spec.varint(500);
  spec.len_field(37, "future");
  spec.tag(40, ProtoWire::kVarint);
  spec.varint(0);
  ProtoWriter piece_ext;
  piece_ext.raw(piece_msg("x", -3));
  piece_ext.tag(200, ProtoWire::kFixed64);
  piece_ext.raw(std::string(8, '\x07'));
  ProtoWriter tail;
  tail.len_field(2, spec.str());
  tail.tag(6, ProtoWire::kVarint);
  tail.varint(1);
  tail.tag(300, ProtoWire::kFixed32);
  tail.fixed32(42);
  const std::string bytes = model_bytes({piece_msg("<unk>", 0, 2), piece_ext.str()}, tail.str());

  SpmModel m = parse(bytes);
  CHECK(m.trainer_spec.vocab_size == 500);
  CHECK_FALSE(m.trainer_spec.unknown_fields.empty());
  CHECK_FALSE(m.piece(1).unknown_fields.empty());
  CHECK_FALSE(m.unknown_fields.empty());
  CHECK(serialize(m) == bytes);

  // After an edit the unknown field still lands between fields 36 and 40.
  m.trainer_spec.vocab_size = 600;
  m.trainer_spec.byte_fallback = true;
  const SpmModel back = parse(serialize(m));
  CHECK(back.trainer_spec.vocab_size == 600);
  CHECK(back.trainer_spec.byte_fallback);
  CHECK(back.trainer_spec.unknown_fields == m.trainer_spec.unknown_fields);
  const std::string spec_out = [&] {
    ProtoWriter w;
    dapt::tokenizer::detail::proto_write_fields(w, back.trainer_spec, dapt::tokenizer::detail::kSpmTrainerSpecFields,
                                                {"test", "trainer_spec"});
    return w.str();
  }();
  const auto at_35 = spec_out.find("\x98\x02\x01");
  const auto at_37 = spec_out.find("future");
  const auto at_40 = spec_out.find(std::string("\xc0\x02\x00", 3));
  CHECK(at_35 < at_37);
  CHECK(at_37 < at_40);

  // Garbage put into unknown_fields by a caller is refused when saving.
  m.unknown_fields = "\x0f";
  REQUIRE_DAPT_ERROR(serialize(m), kInvalidArgument, "invalid wire type 7");

  // A message field that occurs twice is merged, as protobuf merges it.
  ProtoWriter a, b2, twice;
  a.tag(4, ProtoWire::kVarint);
  a.varint(100);
  b2.tag(35, ProtoWire::kVarint);
  b2.varint(1);
  twice.len_field(2, a.str());
  twice.len_field(2, b2.str());
  const SpmModel merged = parse(small_model(twice.str()));
  CHECK(merged.trainer_spec.vocab_size == 100);
  CHECK(merged.trainer_spec.byte_fallback);
}

TEST_CASE("sentencepiece_model: the piece list keeps its invariant", "[tokenizer][spm]") {
  SpmModel m = parse(small_model());
  REQUIRE(m.size() == 5);
  REQUIRE_DAPT_ERROR(m.add_piece({"a", 0.0f}), kInvalidArgument, "already piece 3");
  REQUIRE_DAPT_ERROR(m.add_piece({"", 0.0f}), kInvalidArgument, "empty");
  REQUIRE_DAPT_ERROR(m.add_piece({"\xC0\xAF", 0.0f}), kInvalidArgument, "not valid UTF-8");
  REQUIRE_DAPT_ERROR(m.add_piece({"z", 0.0f, static_cast<SpmPieceType>(7)}), kInvalidArgument, "piece type 7");
  REQUIRE_DAPT_ERROR(m.piece(5), kOutOfRange, "piece id 5 is out of range");
  REQUIRE_DAPT_ERROR(m.set_score(-1, 0.0f), kOutOfRange, "piece id -1");
  REQUIRE_DAPT_ERROR(m.set_type(3, static_cast<SpmPieceType>(0)), kInvalidArgument, "piece type 0");
  CHECK(m.size() == 5);

  m.set_type(3, SpmPieceType::kUnused);
  CHECK(parse(serialize(m)).piece(3).type == SpmPieceType::kUnused);

  // set_pieces is all or nothing.
  std::vector<SpmPiece> bad = m.pieces();
  bad.push_back({"b", 0.0f});
  REQUIRE_DAPT_ERROR(m.set_pieces(bad), kInvalidArgument, "duplicate piece \"b\", already piece 4");
  CHECK(m.size() == 5);
  CHECK(m.piece_id("b") == 4);
  std::vector<SpmPiece> reversed(m.pieces().rbegin(), m.pieces().rend());
  m.set_pieces(reversed);
  CHECK(m.piece_id("b") == 0);
  CHECK(m.piece_id("<unk>") == 4);

  // The index survives growth and reallocation: 20000 short pieces, each found at its id.
  for (int i = 0; i < 20000; ++i) CHECK(m.add_piece({"p" + std::to_string(i), static_cast<float>(-i)}) == 5 + i);
  bool all_found = true;
  for (int i = 0; i < 20000; ++i) all_found = all_found && m.piece_id("p" + std::to_string(i)) == 5 + i;
  CHECK(all_found);
  CHECK_FALSE(m.piece_id("p20000").has_value());
  const SpmModel copy = m;
  m = SpmModel{};
  CHECK(copy.piece_id("p19999") == 20004);
}

TEST_CASE("sentencepiece_model: hostile inputs are refused with the field named", "[tokenizer][spm]") {
  // An empty file is a valid empty ModelProto, but a model needs pieces (sentencepiece itself
  // says "unk is not defined").
  REQUIRE_DAPT_ERROR(parse(""), kFormat, "no pieces (the data is empty)");
  REQUIRE_DAPT_ERROR(parse(std::string("\x12\x02\x20\x05", 4)), kFormat, "ModelProto.pieces never occurs");
  // Varints: 11 bytes, 10 bytes overflowing 64 bits, truncated.
  REQUIRE_DAPT_ERROR(parse(std::string(10, '\x80') + '\x01'), kFormat, "varint longer than 10 bytes");
  REQUIRE_DAPT_ERROR(parse(std::string(9, '\xff') + '\x02'), kFormat, "varint overflows 64 bits");
  REQUIRE_DAPT_ERROR(parse(small_model("\x80")), kFormat, "truncated varint");
  REQUIRE_DAPT_ERROR(parse(std::string("\x0a", 1)), kFormat, "ModelProto.pieces (field 1): truncated varint");
  // Lengths past the end, including a declared 2^62 (nothing is allocated from it).
  REQUIRE_DAPT_ERROR(parse(std::string("\x0a\x05\x0a\x01", 4)), kFormat, "declared length 5 runs past the end");
  REQUIRE_DAPT_ERROR(parse("\x0a" + varint_bytes(std::uint64_t{1} << 62) + "abc"), kFormat,
                     "ModelProto.pieces (field 1): declared length 4611686018427387904 runs past the end of the data (3 bytes left)");
  // Wire types 3 and 4 (groups), 6 and 7 (invalid), field number 0, and a number above 2^29-1.
  REQUIRE_DAPT_ERROR(parse(small_model("\x0b")), kFormat, "field 1 uses wire type 3 (start group)");
  REQUIRE_DAPT_ERROR(parse(small_model("\x0c")), kFormat, "field 1 uses wire type 4 (end group)");
  REQUIRE_DAPT_ERROR(parse(small_model("\x0e")), kFormat, "field 1 has invalid wire type 6");
  REQUIRE_DAPT_ERROR(parse(small_model("\x0f")), kFormat, "field 1 has invalid wire type 7");
  REQUIRE_DAPT_ERROR(parse(small_model(std::string("\x02\x00", 2))), kFormat, "field number 0");
  REQUIRE_DAPT_ERROR(parse(small_model(varint_bytes(std::uint64_t{1} << 32 | 2))), kFormat, "exceeds the protobuf limit");
  // A known field with the wrong wire type: pieces as a varint, byte_fallback as a string.
  REQUIRE_DAPT_ERROR(parse(std::string("\x08\x01", 2)), kFormat,
                     "ModelProto.pieces (field 1): has wire type 0 (varint), expected 2 (length-delimited)");
  {
    ProtoWriter spec;
    spec.len_field(35, "yes");
    ProtoWriter tail;
    tail.len_field(2, spec.str());
    REQUIRE_DAPT_ERROR(parse(small_model(tail.str())), kFormat, "ModelProto.trainer_spec.byte_fallback (field 35): has wire type 2");
  }
  // Piece types 0 and 9, model_type 9.
  REQUIRE_DAPT_ERROR(parse(model_bytes({piece_msg("a", 0, 0), piece_msg("b", 0)}) + model_bytes({piece_msg("c", 0, 9)})),
                     kFormat, "ModelProto.pieces[2].type (field 3): value 9 is not one of 1..6");
  {
    ProtoWriter p;
    p.len_field(1, "a");
    p.tag(3, ProtoWire::kVarint);
    p.varint(0);
    REQUIRE_DAPT_ERROR(parse(model_bytes({p.str()})), kFormat, "pieces[0].type (field 3): value 0 is not one of 1..6");
  }
  {
    ProtoWriter spec;
    spec.tag(3, ProtoWire::kVarint);
    spec.varint(9);
    ProtoWriter tail;
    tail.len_field(2, spec.str());
    REQUIRE_DAPT_ERROR(parse(small_model(tail.str())), kFormat, "trainer_spec.model_type (field 3): value 9 is not one of 1..4");
  }
  // Duplicate, empty, missing and non-UTF-8 piece strings.
  REQUIRE_DAPT_ERROR(parse(model_bytes({piece_msg("<unk>", 0, 2), piece_msg("a", 0), piece_msg("a", -1)})), kFormat,
                     "ModelProto.pieces[2].piece (field 1): duplicate piece \"a\", already piece 1");
  REQUIRE_DAPT_ERROR(parse(model_bytes({piece_msg("", 0)})), kFormat, "pieces[0].piece (field 1): the piece string is empty");
  REQUIRE_DAPT_ERROR(parse(model_bytes({std::string("\x15\0\0\0\0", 5)})), kFormat, "the piece string is empty");
  REQUIRE_DAPT_ERROR(parse(model_bytes({piece_msg("ok", 0), piece_msg("\xff", 0)})), kFormat,
                     "pieces[1].piece (field 1): the piece \"\\xff\" is not valid UTF-8 (at byte 0 of the piece)");
  REQUIRE_DAPT_ERROR(parse(model_bytes({piece_msg("a\xed\xa0\x80", 0)})), kFormat, "not valid UTF-8 (at byte 1");
  // Truncated fields inside a piece, and an unknown field that is cut short.
  REQUIRE_DAPT_ERROR(parse(model_bytes({std::string("\x0a\x01\x61\x15\x00\x00", 6)})), kFormat,
                     "pieces[0].score (field 2): truncated fixed32 (4 bytes needed, 2 left)");
  REQUIRE_DAPT_ERROR(parse(small_model("\x49\x01\x02")), kFormat, "ModelProto, unknown field 9: truncated fixed64");
  // A tokenizer.json handed to the wrong loader.
  REQUIRE_DAPT_ERROR(parse("{\"model\": {\"type\": \"BPE\"}}"), kFormat, "looks like JSON");
  // Missing file, and a directory.
  REQUIRE_DAPT_ERROR(dapt::tokenizer::load_sentencepiece_model(kDir + "no_such.model"), kIo, "no_such.model");
  REQUIRE_DAPT_ERROR(dapt::tokenizer::load_sentencepiece_model(kDir), kIo, "not a regular file");
  // The offset in a message is absolute in the file.
  try {
    (void)parse(model_bytes({piece_msg("<unk>", 0, 2), piece_msg("x", 0, 9)}));
    FAIL("expected an error");
  } catch (const dapt::Error& e) {
    const std::size_t type_at = 2 + piece_msg("<unk>", 0, 2).size() + 2 + 3 + 5;  // tag of field 3 in piece 1
    CHECK(dapt_test::contains(e.what(), "(at byte " + std::to_string(type_at) + ")"));
  }
}

TEST_CASE("sentencepiece_model: deep nesting is opaque and costs no recursion", "[tokenizer][spm]") {
  // 20000 nested length-delimited layers in an unknown top-level field and in self_test_data.
  // Neither is descended into, so both parse and round-trip unchanged.
  std::string nest;
  for (int i = 0; i < 20000; ++i) {
    ProtoWriter w;
    w.len_field(1, nest);
    nest = std::move(w.str());
  }
  ProtoWriter tail;
  tail.len_field(4, nest);
  tail.len_field(99, nest);
  const std::string bytes = small_model(tail.str());
  const SpmModel m = parse(bytes);
  CHECK(m.self_test_data == nest);
  CHECK(serialize(m) == bytes);
}

TEST_CASE("sentencepiece_model: every truncation of the fixture is an error or a valid prefix", "[tokenizer][spm]") {
  const std::string bytes = read_file(kDir + "spm_bpe.model");
  std::size_t valid = 0;
  bool prefixes_exact = true;
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const std::string_view prefix(bytes.data(), n);
    try {
      const SpmModel m = parse(prefix);
      ++valid;
      // A prefix that parses ends on a top-level field boundary, so it re-serializes to itself.
      prefixes_exact = prefixes_exact && serialize(m) == prefix;
    } catch (const dapt::Error& e) {
      if (e.category() != dapt::ErrorCategory::kFormat) FAIL("prefix " << n << ": " << e.what());
    }
  }
  CHECK(prefixes_exact);
  // One boundary after each of the 2000 pieces, then after trainer_spec and normalizer_spec.
  CHECK(valid == 2002);
}

TEST_CASE("sentencepiece_model: seeded bit flips and garbage never escape as anything but dapt::Error",
          "[tokenizer][spm]") {
  const std::string original = read_file(kDir + "spm_bpe.model");
  std::mt19937_64 rng(20240611);
  int parsed = 0, refused = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    std::string bytes = original;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Bias half the flips into the first 600 bytes, where the tags and lengths are dense.
      const std::size_t span = (rng() & 1) != 0 ? 600 : bytes.size();
      bytes[rng() % span] ^= static_cast<char>(1u << (rng() % 8));
    }
    try {
      (parses_or_throws_dapt_error(bytes) ? parsed : refused) += 1;
    } catch (const std::exception& e) {
      FAIL("iteration " << iter << ": non-dapt exception " << e.what());
    }
  }
  for (int iter = 0; iter < 1500; ++iter) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    try {
      (parses_or_throws_dapt_error(bytes) ? parsed : refused) += 1;
    } catch (const std::exception& e) {
      FAIL("garbage " << iter << ": non-dapt exception " << e.what());
    }
  }
  INFO("parsed " << parsed << ", refused " << refused);
  CHECK(parsed > 0);
  CHECK(refused > 0);
}

TEST_CASE("sentencepiece_model: a failed save leaves the previous file intact", "[tokenizer][spm]") {
  dapt_test::TempDir dir("spm_save");
  const auto path = dir.path / "tok.model";
  const SpmModel good = parse(small_model());
  dapt::tokenizer::save_sentencepiece_model(path, good);
  const std::string before = read_file(path);
  SpmModel bad = good;
  bad.trainer_spec.model_type = static_cast<SpmModelType>(0);
  REQUIRE_DAPT_ERROR(dapt::tokenizer::save_sentencepiece_model(path, bad), kInvalidArgument, "model_type");
  CHECK(read_file(path) == before);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 1);  // no temporary file left behind
  REQUIRE_DAPT_ERROR(dapt::tokenizer::save_sentencepiece_model(dir.path / "no_dir" / "x.model", good), kIo, "cannot create");
}
