/// @file safetensors_fuzz.cpp
/// @brief libFuzzer target for the safetensors reader. Any byte string goes to
/// SafetensorsFile::from_bytes; when it parses, every tensor is touched the way a loader would
/// (info, raw bytes, zero-copy view, owned copy, F32 conversion) and the reader's promises are
/// checked: each span lies inside the input and the spans tile the data section exactly. Only
/// dapt::Error is an acceptable failure; any other exception, a sanitizer report or a broken
/// promise (__builtin_trap) is a finding.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dapt/io/safetensors.hpp"
#include "fuzz_util.hpp"

namespace {

using dapt_fuzz::require;

// Keeps the optimiser from dropping the reads that let ASan see every byte.
volatile unsigned g_sink = 0;

void touch(const dapt::io::SafetensorsFile& f, const std::uint8_t* data, std::size_t size) {
  const auto* lo = reinterpret_cast<const std::byte*>(data);
  require(f.data_offset() >= 8 && f.data_offset() <= size);
  require(f.data_section().size() == size - f.data_offset());
  std::uint64_t covered = 0;
  for (const auto& t : f.tensors()) {
    const auto& info = f.info(t.name);
    require(&info == &t);
    require(info.begin <= info.end && info.end <= f.data_section().size());
    require(static_cast<std::uint64_t>(info.shape.numel()) * dapt::dtype_size(info.dtype) == info.nbytes());
    const auto bytes = f.bytes(t.name);
    require(bytes.size() == info.nbytes());
    require(bytes.empty() || (bytes.data() >= lo && bytes.data() + bytes.size() <= lo + size));
    unsigned sum = 0;
    for (std::byte b : bytes) sum += static_cast<unsigned>(b);
    g_sink = g_sink + sum;

    const auto view = f.tensor(t.name);
    require(view.numel() == info.shape.numel() && view.shape() == info.shape);
    if (info.nbytes() <= (1u << 16)) {
      const auto copy = f.copy(t.name);
      require(copy.nbytes() == info.nbytes());
    }
    if (dapt::is_floating(info.dtype) && info.shape.numel() <= (1 << 14)) {
      try {
        const auto x = f.to_f32(t.name);
        require(x.numel() == info.shape.numel());
        float acc = 0.0f;
        for (std::int64_t i = 0; i < x.numel(); ++i) acc += x.data<float>()[i] * 0.0f;
        g_sink = g_sink + static_cast<unsigned>(acc == 0.0f);
      } catch (const dapt::Error& e) {
        require(e.category() == dapt::ErrorCategory::kUnsupported);  // F8 types
      }
    }
    covered += info.nbytes();
  }
  require(covered == f.data_section().size());
  require(f.names().size() == f.size());
  for (const auto& [k, v] : f.metadata()) g_sink = g_sink + static_cast<unsigned>(k.size() + v.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto f = dapt::io::SafetensorsFile::from_bytes(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size), "fuzz.safetensors");
    touch(f, data, size);
  } catch (const dapt::Error&) {
    // A clean rejection: exactly what hostile input should get.
  }
  return 0;
}
