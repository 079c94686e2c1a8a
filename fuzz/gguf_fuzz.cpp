/// @file gguf_fuzz.cpp
/// @brief libFuzzer target for the GGUF reader and the LLaMA mapping above it. Any byte string
/// goes to GgufFile::from_bytes; when it parses, every promise is checked the way a loader would
/// rely on it (each tensor's bytes inside the input, aligned and sized for its type; metadata
/// arrays decodable; small tensors dequantisable), then the LLaMA config, tokenizer and model
/// loaders run on it. Only dapt::Error is an acceptable failure; any other exception, a sanitizer
/// report or a broken promise (__builtin_trap) is a finding.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "dapt/io/gguf.hpp"
#include "dapt/io/gguf_llama.hpp"
#include "fuzz_util.hpp"

namespace {

using dapt_fuzz::require;

// Keeps the optimiser from dropping the reads that let ASan see every byte.
volatile unsigned g_sink = 0;

void touch_array(const dapt::io::GgufArray& a, int depth) {
  using dapt::io::GgufValueType;
  require(depth <= dapt::io::kGgufMaxArrayDepth);
  switch (a.type()) {
    case GgufValueType::kString:
      for (const auto& s : a.strings()) g_sink = g_sink + static_cast<unsigned>(s.size());
      break;
    case GgufValueType::kArray:
      for (const auto& inner : a.arrays()) touch_array(inner, depth + 1);
      break;
    case GgufValueType::kBool: require(a.bools().size() == a.size()); break;
    case GgufValueType::kFloat32: case GgufValueType::kFloat64: require(a.floats().size() == a.size()); break;
    default:
      try {
        require(a.ints().size() == a.size());
      } catch (const dapt::Error& e) {
        require(e.category() == dapt::ErrorCategory::kOutOfRange);
      }
  }
}

void touch(const dapt::io::GgufFile& f, const std::uint8_t* data, std::size_t size) {
  const auto* lo = reinterpret_cast<const std::byte*>(data);
  require(f.data_offset() <= size);
  require(f.alignment() > 0 && (f.alignment() & (f.alignment() - 1)) == 0);
  for (const auto& [k, v] : f.metadata()) {
    require(!k.empty() && f.find(k) == &v);
    if (v.is_array()) touch_array(std::get<dapt::io::GgufArray>(v.data()), 1);
  }
  for (const auto& t : f.tensors()) {
    require(&f.tensor_info(t.name) == &t);
    require(t.n_dims >= 1 && t.n_dims <= dapt::io::kGgufMaxDims);
    require(t.offset % f.alignment() == 0);
    const auto traits = dapt::io::ggml_type_traits(t.type);
    require(traits.block_size > 0 && t.ne[0] % traits.block_size == 0);
    require(static_cast<std::uint64_t>(t.numel()) / traits.block_size * traits.type_size == t.nbytes);
    const auto bytes = f.tensor_bytes(t.name);
    require(bytes.size() == t.nbytes);
    require(bytes.empty() || (bytes.data() >= lo && bytes.data() + bytes.size() <= lo + size));
    unsigned sum = 0;
    for (std::byte b : bytes) sum += static_cast<unsigned>(b);
    g_sink = g_sink + sum;
    require(t.shape().numel() == t.numel());
    if (dapt::io::ggml_can_dequantize(t.type) && t.numel() <= (1 << 16)) {
      const auto x = f.dequantize(t.name);
      require(x.numel() == t.numel());
      float acc = 0.0f;
      for (std::int64_t i = 0; i < x.numel(); ++i) acc += x.data<float>()[i] * 0.0f;
      g_sink = g_sink + static_cast<unsigned>(acc == 0.0f);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto f = dapt::io::GgufFile::from_bytes(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size), "fuzz.gguf");
    touch(f, data, size);
    try {
      const auto tok = dapt::io::gguf_tokenizer(f);
      if (tok) {
        const auto ids = tok->encode("Hello world 123 \xe2\x96\x81 <s>");
        g_sink = g_sink + static_cast<unsigned>(tok->decode(ids).size());
      }
    } catch (const dapt::Error&) {
    }
    try {
      const auto m = dapt::io::load_gguf_llama(f);
      std::int64_t total = 0;
      for (const auto& e : dapt::io::llama_expected_tensors(m.config)) total += e.shape.numel();
      if (total <= (1 << 18)) m.visit_tensors([](const std::string&, dapt::Tensor<dapt::Cpu> t) {
        g_sink = g_sink + static_cast<unsigned>(t.numel());
      });
    } catch (const dapt::Error&) {
    }
  } catch (const dapt::Error&) {
    // A clean rejection: exactly what hostile input should get.
  }
  return 0;
}
