/// @file safetensors_test.cpp
/// @brief The safetensors reader and writer on well-formed data: the fixture checkpoint, every
/// dtype, zero-copy views, sharded checkpoints, metadata, and the atomicity of the writer.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "dapt/io/safetensors.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using dapt::Cpu;
using dapt::DType;
using dapt::Tensor;
using dapt::io::NamedTensor;
using dapt::io::SafetensorsCheckpoint;
using dapt::io::SafetensorsFile;
using dapt_test::TempDir;

namespace {

Tensor<Cpu> iota_f32(dapt::Shape shape, float start = 0.0f) {
  auto t = Tensor<Cpu>::empty(shape, DType::kF32);
  std::iota(t.data<float>(), t.data<float>() + t.numel(), start);
  return t;
}

}  // namespace

TEST_CASE("safetensors: reads the fixture checkpoint", "[io][safetensors]") {
  const auto f = SafetensorsFile::open(DAPT_TEST_DATA_DIR "/fixtures/llama_tiny/model/model.safetensors");
  // 2 layers x 9 tensors + embed + norm + lm_head.
  CHECK(f.size() == 21);
  const auto& e = f.info("model.embed_tokens.weight");
  CHECK(e.dtype == DType::kF32);
  CHECK(e.shape == dapt::Shape{320, 64});
  CHECK(f.info("model.layers.0.self_attn.k_proj.weight").shape == dapt::Shape{32, 64});
  CHECK(f.info("model.layers.1.mlp.down_proj.weight").shape == dapt::Shape{64, 176});
  const auto norm = f.to_f32("model.norm.weight");
  double sum = 0;
  for (std::int64_t i = 0; i < norm.numel(); ++i) sum += norm.data<float>()[i];
  CHECK(std::isfinite(sum));
  CHECK(f.metadata().count("format"));
  REQUIRE_DAPT_ERROR(f.info("model.nope"), kOutOfRange, "model.nope");
}

TEST_CASE("safetensors: every dtype round-trips bit for bit, views are zero-copy", "[io][safetensors]") {
  TempDir dir("st_dtypes");
  std::vector<Tensor<Cpu>> owned;
  std::vector<NamedTensor> list;
  std::uint8_t pattern = 1;
  for (DType t : dapt::kAllDTypes) {
    auto x = Tensor<Cpu>::empty({3, 5}, t);
    auto* p = static_cast<std::uint8_t*>(x.raw());
    for (std::size_t i = 0; i < x.nbytes(); ++i) p[i] = pattern++;
    list.push_back({"t." + std::string(dapt::dtype_name(t)), x.view()});
    owned.push_back(x);
  }
  owned.push_back(Tensor<Cpu>::empty({0, 4}, DType::kF32));
  list.push_back({"empty", owned.back().view()});
  owned.push_back(iota_f32({}, 7.0f));
  list.push_back({"scalar", owned.back().view()});
  dapt::io::save_safetensors(dir.path / "all.safetensors", list, {{"format", "pt"}, {"note", "dapt \"test\""}});

  const auto f = SafetensorsFile::open(dir.path / "all.safetensors");
  CHECK(f.size() == list.size());
  CHECK(f.metadata().at("note") == "dapt \"test\"");
  CHECK(f.data_offset() % 8 == 0);
  for (const auto& nt : list) {
    const auto& info = f.info(nt.name);
    CHECK(info.dtype == nt.view.dtype());
    CHECK(info.shape == nt.view.shape());
    const auto bytes = f.bytes(nt.name);
    REQUIRE(bytes.size() == nt.view.nbytes());
    CHECK(std::memcmp(bytes.data(), nt.view.raw(), bytes.size()) == 0);
    // Natural alignment: the writer orders tensors by element size.
    CHECK(reinterpret_cast<std::uintptr_t>(bytes.data()) % dapt::dtype_size(info.dtype) == 0);
  }
  CHECK(f.tensor("scalar").at<float>({}) == 7.0f);

  // The view outlives the file object: it keeps the mapping.
  Tensor<Cpu> view;
  {
    const auto g = SafetensorsFile::open(dir.path / "all.safetensors");
    view = g.tensor("t.F32");
  }
  CHECK(std::memcmp(view.raw(), owned[1].raw(), owned[1].nbytes()) == 0);
}

TEST_CASE("safetensors: to_f32 converts F16, BF16 and F64", "[io][safetensors]") {
  TempDir dir("st_convert");
  const std::vector<float> values = {0.5f, -2.0f, 3.25f, 1024.0f};
  std::vector<Tensor<Cpu>> owned;
  std::vector<NamedTensor> list;
  for (DType t : {DType::kF16, DType::kBF16, DType::kF64}) {
    auto x = Tensor<Cpu>::empty({4}, t);
    dapt::convert_from_f32(values.data(), t, x.raw(), 4);
    owned.push_back(x);
    list.push_back({std::string(dapt::dtype_name(t)), x.view()});
  }
  dapt::io::save_safetensors(dir.path / "c.safetensors", list);
  const auto f = SafetensorsFile::open(dir.path / "c.safetensors");
  for (const auto& nt : list) {
    const auto x = f.to_f32(nt.name);
    for (int i = 0; i < 4; ++i) CHECK(x.data<float>()[i] == values[static_cast<std::size_t>(i)]);
  }
}

TEST_CASE("safetensors: strided views are written contiguously", "[io][safetensors]") {
  TempDir dir("st_strided");
  const auto x = iota_f32({2, 3});
  dapt::io::save_safetensors(dir.path / "t.safetensors", {{"xt", x.view().transpose(0, 1)}});
  const auto f = SafetensorsFile::open(dir.path / "t.safetensors");
  const auto y = f.copy("xt");
  CHECK(y.shape() == dapt::Shape{3, 2});
  const float expect[] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; ++i) CHECK(y.data<float>()[i] == expect[i]);
}

TEST_CASE("safetensors: sharded checkpoints through the index", "[io][safetensors]") {
  TempDir dir("st_sharded");
  std::vector<Tensor<Cpu>> owned;
  std::vector<NamedTensor> list;
  for (int i = 0; i < 7; ++i) {
    owned.push_back(iota_f32({16, 16}, static_cast<float>(100 * i)));
    list.push_back({"model.layers." + std::to_string(i) + ".w", owned.back().view()});
  }
  dapt::io::save_safetensors_sharded(dir.path, list, 3 * 16 * 16 * 4);  // three tensors per shard
  CHECK(fs::exists(dir.path / "model.safetensors.index.json"));
  CHECK(fs::exists(dir.path / "model-00003-of-00003.safetensors"));
  const auto c = SafetensorsCheckpoint::open(dir.path);
  CHECK(c.shards().size() == 3);
  CHECK(c.size() == 7);
  CHECK(c.metadata().at("total_size") == std::to_string(7 * 16 * 16 * 4));
  for (int i = 0; i < 7; ++i) {
    const auto t = c.to_f32("model.layers." + std::to_string(i) + ".w");
    CHECK(t.data<float>()[5] == static_cast<float>(100 * i + 5));
  }
  // The same API opens a single file or a directory holding model.safetensors.
  dapt::io::save_safetensors_sharded(dir.path / "single", list, 1u << 30);
  CHECK(fs::exists(dir.path / "single" / "model.safetensors"));
  CHECK(SafetensorsCheckpoint::open(dir.path / "single").size() == 7);
  CHECK(SafetensorsCheckpoint::open(dir.path / "single" / "model.safetensors").size() == 7);
  REQUIRE_DAPT_ERROR(SafetensorsCheckpoint::open(dir.path / "nothing_here"), kIo, "nothing_here");
}

TEST_CASE("safetensors: a failed write leaves the previous file intact", "[io][safetensors]") {
  TempDir dir("st_atomic");
  const auto a = iota_f32({4});
  const auto path = dir.path / "w.safetensors";
  dapt::io::save_safetensors(path, {{"a", a.view()}});
  const auto before = fs::file_size(path);
  // A duplicate name is refused after the temporary file would have been started.
  REQUIRE_DAPT_ERROR(dapt::io::save_safetensors(path, {{"a", a.view()}, {"a", a.view()}}), kInvalidArgument, "twice");
  CHECK(fs::file_size(path) == before);
  CHECK(SafetensorsFile::open(path).size() == 1);
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) { (void)e; ++files; }
  CHECK(files == 1);
  // Writing into a missing directory is an I/O error naming the path.
  REQUIRE_DAPT_ERROR(dapt::io::save_safetensors(dir.path / "no" / "x.safetensors", {{"a", a.view()}}), kIo, "x.safetensors");
}
