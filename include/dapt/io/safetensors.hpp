/// @file safetensors.hpp
/// @brief The safetensors format: a validating, zero-copy reader over a memory mapping, sharded
/// checkpoints through `model.safetensors.index.json`, and an atomic writer. A safetensors file is
/// an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name to its dtype,
/// shape and [begin, end) byte offsets into the data section, then the data section. The reader
/// trusts nothing: it bounds N, parses the JSON strictly, and checks every offset, size and name
/// before handing out a view, so that a corrupt or hostile file gets a dapt::Error, never a crash.
/// The rules match the reference implementation (the data section must be covered exactly, with
/// no gap, overlap or trailing byte).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dapt/core/dtype.hpp"
#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/io/json.hpp"

namespace dapt::io {

/// The largest header accepted (the reference implementation's limit).
inline constexpr std::uint64_t kMaxSafetensorsHeader = 100u * 1000u * 1000u;

/// One tensor's entry in a safetensors header. Offsets are relative to the data section.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t nbytes() const noexcept { return end - begin; }
};

/// A parsed and validated safetensors file (or in-memory buffer). Tensors are views into the
/// mapping; they keep it alive, so they remain valid after the SafetensorsFile is gone.
class SafetensorsFile {
 public:
  /// Maps and validates a file. kIo when it cannot be read, kFormat when it is not valid.
  static SafetensorsFile open(const std::filesystem::path& path) {
    auto mapped = detail::MappedFile::open(path);
    return SafetensorsFile(mapped->bytes(), path.string(), mapped);
  }

  /// Validates a buffer held elsewhere; `keep_alive` (may be null) is shared by every tensor view.
  static SafetensorsFile from_bytes(std::span<const std::byte> bytes, std::string source,
                                    std::shared_ptr<const void> keep_alive = nullptr) {
    return SafetensorsFile(bytes, std::move(source), std::move(keep_alive));
  }

  /// Tensors in data order (ascending offsets).
  const std::vector<TensorInfo>& tensors() const noexcept { return tensors_; }
  std::size_t size() const noexcept { return tensors_.size(); }
  bool contains(std::string_view name) const { return index_.count(std::string(name)) != 0; }
  /// Names in data order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(tensors_.size());
    for (const auto& t : tensors_) out.push_back(t.name);
    return out;
  }

  const TensorInfo& info(std::string_view name) const {
    auto it = index_.find(std::string(name));
    if (it == index_.end()) DAPT_FAIL(ErrorCategory::kOutOfRange, "no tensor named \"", name, "\" in ", source_);
    return tensors_[it->second];
  }

  /// The raw little-endian bytes of a tensor (zero copy).
  std::span<const std::byte> bytes(std::string_view name) const {
    const TensorInfo& t = info(name);
    return {data_ + t.begin, static_cast<std::size_t>(t.nbytes())};
  }

  /// A zero-copy view that keeps the mapping alive. The data is read-only: do not write through
  /// it. It may be misaligned for its dtype (then typed access refuses; use to_f32 or copy()).
  Tensor<Cpu> tensor(std::string_view name) const {
    const TensorInfo& t = info(name);
    return Tensor<Cpu>::borrow(const_cast<std::byte*>(data_ + t.begin), t.dtype, t.shape, keep_alive_);
  }

  /// An owned, aligned copy in the file's dtype.
  Tensor<Cpu> copy(std::string_view name) const {
    const TensorInfo& t = info(name);
    auto out = Tensor<Cpu>::empty(t.shape, t.dtype);
    if (t.nbytes()) std::memcpy(out.raw(), data_ + t.begin, static_cast<std::size_t>(t.nbytes()));
    return out;
  }

  /// An owned float32 copy, converting F64/F16/BF16 and integer types.
  Tensor<Cpu> to_f32(std::string_view name) const {
    const TensorInfo& t = info(name);
    auto out = Tensor<Cpu>::empty(t.shape, DType::kF32);
    convert_to_f32(data_ + t.begin, t.dtype, out.data<float>(), static_cast<std::size_t>(t.shape.numel()));
    return out;
  }

  /// The string map stored under "__metadata__" (empty when absent).
  const std::map<std::string, std::string>& metadata() const noexcept { return metadata_; }
  /// The path or name this file was opened from (used in every error message).
  const std::string& source() const noexcept { return source_; }
  /// Byte offset of the data section from the start of the file (8 + header length).
  std::uint64_t data_offset() const noexcept { return data_offset_; }
  std::span<const std::byte> data_section() const noexcept { return {data_, data_size_}; }
  const std::shared_ptr<const void>& keep_alive() const noexcept { return keep_alive_; }

 private:
  SafetensorsFile(std::span<const std::byte> bytes, std::string source, std::shared_ptr<const void> keep_alive)
      : source_(std::move(source)), keep_alive_(std::move(keep_alive)) {
    parse(bytes);
  }

  [[noreturn]] void bad(const std::string& what) const { DAPT_FAIL(ErrorCategory::kFormat, source_, ": ", what); }

  void parse(std::span<const std::byte> bytes) {
    if (bytes.size() < 8)
      bad("file is " + std::to_string(bytes.size()) + " bytes, too short for the 8-byte header length");
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(i)]);
    if (n > kMaxSafetensorsHeader)
      bad("header length " + std::to_string(n) + " exceeds the limit of " + std::to_string(kMaxSafetensorsHeader));
    if (n > bytes.size() - 8)
      bad("header length " + std::to_string(n) + " exceeds the " + std::to_string(bytes.size() - 8) +
          " bytes that follow it (truncated file?)");
    if (n < 2) bad("header of " + std::to_string(n) + " bytes cannot hold a JSON object");
    const std::string_view header(reinterpret_cast<const char*>(bytes.data() + 8), static_cast<std::size_t>(n));
    if (header.front() != '{') bad("header does not start with '{'");
    data_offset_ = 8 + n;
    data_ = bytes.data() + data_offset_;
    data_size_ = bytes.size() - static_cast<std::size_t>(data_offset_);

    const json::value root = parse_json(header, source_ + " (safetensors header)");
    const json::object& obj = as_object(root, source_ + ": header");
    tensors_.reserve(obj.size());
    for (const auto& kv : obj) {
      const std::string key(kv.key());
      if (key == "__metadata__") {
        parse_metadata(kv.value());
        continue;
      }
      tensors_.push_back(parse_entry(key, kv.value()));
    }
    std::sort(tensors_.begin(), tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t expected = 0;
    for (const auto& t : tensors_) {
      if (t.begin < expected) bad("tensor \"" + t.name + "\" at bytes [" + std::to_string(t.begin) + ", " +
                                  std::to_string(t.end) + ") overlaps the previous tensor, which ends at " +
                                  std::to_string(expected));
      if (t.begin > expected) bad("gap in the data section before tensor \"" + t.name + "\" (it starts at " +
                                  std::to_string(t.begin) + ", the previous tensor ends at " +
                                  std::to_string(expected) + ")");
      expected = t.end;
    }
    if (expected != data_size_)
      bad("the tensors cover " + std::to_string(expected) + " bytes but the data section has " +
          std::to_string(data_size_) + " (truncated or padded file?)");
    index_.reserve(tensors_.size());
    for (std::size_t i = 0; i < tensors_.size(); ++i) index_.emplace(tensors_[i].name, i);
  }

  void parse_metadata(const json::value& v) {
    if (!v.is_object()) bad("\"__metadata__\" must be an object of strings");
    for (const auto& m : v.get_object()) {
      if (!m.value().is_string()) bad("\"__metadata__\" value of \"" + std::string(m.key()) + "\" is not a string");
      metadata_.emplace(std::string(m.key()), std::string(m.value().get_string()));
    }
  }

  TensorInfo parse_entry(const std::string& name, const json::value& v) const {
    const std::string where = "tensor \"" + name + "\"";
    if (!v.is_object()) bad(where + " must map to an object with dtype, shape and data_offsets");
    JsonFields f(v.get_object(), source_ + ": " + where, ErrorCategory::kFormat);
    TensorInfo t;
    t.name = name;
    const std::string dt = f.require_string("dtype");
    const auto parsed = parse_dtype(dt);
    if (!parsed) bad(where + " has unknown dtype \"" + dt + "\"");
    t.dtype = *parsed;

    const json::array* shape = f.get_array("shape");
    if (!shape) bad(where + " has no \"shape\" array");
    if (shape->size() > static_cast<std::size_t>(kMaxRank))
      bad(where + " has rank " + std::to_string(shape->size()) + ", more than " + std::to_string(kMaxRank));
    std::vector<std::int64_t> dims;
    std::uint64_t numel = 1;
    // The product of the extents with zeros counted as 1 bounds every row-major stride, so it
    // must fit int64 too: otherwise a zero-element shape such as [0, 2^62, 4] would pass here
    // and overflow (UB) when a view computes its strides.
    std::uint64_t stride_bound = 1;
    for (const auto& d : *shape) {
      if (!d.is_int64() && !d.is_uint64()) bad(where + " has a shape entry that is not an integer");
      if (d.is_int64() && d.get_int64() < 0) bad(where + " has a negative extent in its shape");
      const std::uint64_t e = d.is_int64() ? static_cast<std::uint64_t>(d.get_int64()) : d.get_uint64();
      if (e > static_cast<std::uint64_t>(INT64_MAX) ||
          __builtin_mul_overflow(stride_bound, std::max<std::uint64_t>(e, 1), &stride_bound) ||
          stride_bound > static_cast<std::uint64_t>(INT64_MAX))
        bad(where + " has a shape whose element count overflows");
      numel *= e;  // <= stride_bound, so it cannot overflow
      dims.push_back(static_cast<std::int64_t>(e));
    }
    t.shape = Shape(std::span<const std::int64_t>(dims));

    const json::array* off = f.get_array("data_offsets");
    if (!off || off->size() != 2) bad(where + " needs \"data_offsets\" as [begin, end]");
    std::uint64_t be[2];
    for (int i = 0; i < 2; ++i) {
      const json::value& o = (*off)[static_cast<std::size_t>(i)];
      if (o.is_uint64()) be[i] = o.get_uint64();
      else if (o.is_int64() && o.get_int64() >= 0) be[i] = static_cast<std::uint64_t>(o.get_int64());
      else bad(where + " has a data offset that is not a non-negative integer");
    }
    t.begin = be[0];
    t.end = be[1];
    if (t.begin > t.end) bad(where + " has data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                             "] with begin after end");
    if (t.end > data_size_)
      bad(where + " ends at byte " + std::to_string(t.end) + " of a data section of " + std::to_string(data_size_) +
          " bytes");
    std::uint64_t expect = 0;
    const bool too_many = __builtin_mul_overflow(numel, static_cast<std::uint64_t>(dtype_size(t.dtype)), &expect);
    if (too_many || expect != t.nbytes())
      bad(where + ": " + std::string(dtype_name(t.dtype)) + " " + t.shape.str() + " needs " +
          (too_many ? std::string("more than 2^64") : std::to_string(expect)) + " bytes but data_offsets span " +
          std::to_string(t.nbytes()));
    return t;
  }

  std::string source_;
  std::shared_ptr<const void> keep_alive_;
  const std::byte* data_ = nullptr;
  std::size_t data_size_ = 0;
  std::uint64_t data_offset_ = 0;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, std::size_t> index_;
  std::map<std::string, std::string> metadata_;
};

/// A checkpoint that may be split over several safetensors files. open() accepts a
/// `model.safetensors.index.json`, a single `.safetensors` file, or a directory holding either
/// (the index wins). Every tensor of the index must be in the shard it names, no shard may hold a
/// tensor the index does not list, no tensor may appear twice, and shard names must be plain file
/// names in the same directory.
class SafetensorsCheckpoint {
 public:
  static SafetensorsCheckpoint open(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    // The throwing fs::exists would let std::filesystem::filesystem_error escape (a symlink loop,
    // EACCES); a path whose status cannot be read counts as present, so opening it reports kIo.
    auto present = [](const fs::path& p) {
      std::error_code e;
      return fs::exists(p, e) || e;
    };
    if (fs::is_directory(path, ec)) {
      if (present(path / "model.safetensors.index.json")) return open_index(path / "model.safetensors.index.json");
      if (present(path / "model.safetensors")) return open_single(path / "model.safetensors");
      DAPT_FAIL(ErrorCategory::kIo, "no model.safetensors or model.safetensors.index.json in ", path.string());
    }
    const std::string name = path.filename().string();
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".json") == 0) return open_index(path);
    return open_single(path);
  }

  std::size_t size() const noexcept { return where_.size(); }
  bool contains(std::string_view name) const { return where_.count(std::string(name)) != 0; }
  /// Every tensor name, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(where_.size());
    for (const auto& [n, _] : where_) out.push_back(n);
    return out;
  }
  const SafetensorsFile& shard_of(std::string_view name) const {
    auto it = where_.find(std::string(name));
    if (it == where_.end()) DAPT_FAIL(ErrorCategory::kOutOfRange, "no tensor named \"", name, "\" in ", source_);
    return shards_[it->second];
  }
  const TensorInfo& info(std::string_view name) const { return shard_of(name).info(name); }
  Tensor<Cpu> tensor(std::string_view name) const { return shard_of(name).tensor(name); }
  Tensor<Cpu> copy(std::string_view name) const { return shard_of(name).copy(name); }
  Tensor<Cpu> to_f32(std::string_view name) const { return shard_of(name).to_f32(name); }
  const std::vector<SafetensorsFile>& shards() const noexcept { return shards_; }
  /// "metadata" of the index file (e.g. total_size), or the single file's __metadata__.
  const std::map<std::string, std::string>& metadata() const noexcept { return metadata_; }
  const std::string& source() const noexcept { return source_; }

 private:
  static SafetensorsCheckpoint open_single(const std::filesystem::path& file) {
    SafetensorsCheckpoint c;
    c.source_ = file.string();
    c.shards_.push_back(SafetensorsFile::open(file));
    for (const auto& t : c.shards_[0].tensors()) c.where_.emplace(t.name, 0);
    c.metadata_ = c.shards_[0].metadata();
    return c;
  }

  static SafetensorsCheckpoint open_index(const std::filesystem::path& index_path) {
    SafetensorsCheckpoint c;
    c.source_ = index_path.string();
    const json::value root = read_json_file(index_path, 64u << 20);
    JsonFields f(as_object(root, c.source_), c.source_, ErrorCategory::kFormat);
    if (const json::object* meta = f.get_object("metadata")) {
      for (const auto& m : *meta) {
        if (m.value().is_string()) c.metadata_.emplace(std::string(m.key()), std::string(m.value().get_string()));
        else c.metadata_.emplace(std::string(m.key()), json::serialize(m.value()));
      }
    }
    const json::object* map = f.get_object("weight_map");
    if (!map) DAPT_FAIL(ErrorCategory::kFormat, c.source_, ": missing \"weight_map\" object");
    std::map<std::string, std::size_t> shard_ids;
    std::map<std::string, std::string> wanted;  // tensor -> shard file name
    for (const auto& kv : *map) {
      if (!kv.value().is_string())
        DAPT_FAIL(ErrorCategory::kFormat, c.source_, ": weight_map entry \"", std::string(kv.key()),
                  "\" is not a file name");
      const std::string shard(kv.value().get_string());
      const std::filesystem::path sp(shard);
      // A NUL (JSON "\u0000") would silently cut the name short at the open() call.
      if (shard.find('\0') != std::string::npos)
        DAPT_FAIL(ErrorCategory::kFormat, c.source_, ": the shard name of tensor \"", std::string(kv.key()),
                  "\" contains a NUL byte");
      if (shard.empty() || sp.has_parent_path() || sp.is_absolute() || shard == "." || shard == "..")
        DAPT_FAIL(ErrorCategory::kFormat, c.source_, ": shard \"", shard,
                  "\" must be a plain file name in the index's directory");
      wanted.emplace(std::string(kv.key()), shard);
      if (!shard_ids.count(shard)) {
        shard_ids.emplace(shard, c.shards_.size());
        c.shards_.push_back(SafetensorsFile::open(index_path.parent_path() / sp));
      }
    }
    for (const auto& [tensor, shard] : wanted) {
      const std::size_t id = shard_ids.at(shard);
      if (!c.shards_[id].contains(tensor))
        DAPT_FAIL(ErrorCategory::kFormat, c.source_, ": tensor \"", tensor, "\" is mapped to ", shard,
                  ", which does not contain it");
      c.where_.emplace(tensor, id);
    }
    for (std::size_t id = 0; id < c.shards_.size(); ++id)
      for (const auto& t : c.shards_[id].tensors())
        if (!wanted.count(t.name) || c.where_.at(t.name) != id)
          DAPT_FAIL(ErrorCategory::kFormat, c.source_, ": shard ", c.shards_[id].source(), " holds tensor \"",
                    t.name, "\" which the index maps elsewhere or not at all");
    return c;
  }

  std::string source_;
  std::vector<SafetensorsFile> shards_;
  std::map<std::string, std::size_t> where_;
  std::map<std::string, std::string> metadata_;
};

/// A named tensor to write.
struct NamedTensor {
  std::string name;
  TensorView<Cpu> view;
};

namespace detail {

/// Header JSON and data order for a set of tensors: largest element size first, then by name, so
/// every tensor is naturally aligned in the data section (which starts 8-byte aligned).
inline std::string safetensors_header(std::vector<const NamedTensor*>& order,
                                      const std::map<std::string, std::string>& metadata) {
  std::sort(order.begin(), order.end(), [](const NamedTensor* a, const NamedTensor* b) {
    const auto sa = dtype_size(a->view.dtype()), sb = dtype_size(b->view.dtype());
    return sa != sb ? sa > sb : a->name < b->name;
  });
  json::object header;
  if (!metadata.empty()) {
    json::object meta;
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  std::uint64_t offset = 0;
  for (const NamedTensor* t : order) {
    DAPT_CHECK(!t->name.empty() && t->name != "__metadata__", "invalid tensor name \"", t->name, "\"");
    DAPT_CHECK(!header.contains(t->name), "tensor \"", t->name, "\" is given twice");
    json::object e;
    e["dtype"] = std::string(dtype_name(t->view.dtype()));
    json::array shape;
    for (std::int64_t d : t->view.shape().dims()) shape.push_back(d);
    e["shape"] = std::move(shape);
    const std::uint64_t n = t->view.nbytes();
    e["data_offsets"] = json::array{offset, offset + n};
    offset += n;
    header[t->name] = std::move(e);
  }
  std::string text = json::serialize(header);
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

}  // namespace detail

/// Writes tensors (any layout; strided views are written contiguously) to a safetensors file,
/// atomically: an error or a crash leaves any previous file at `path` untouched.
inline void save_safetensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                             const std::map<std::string, std::string>& metadata = {}) {
  std::vector<const NamedTensor*> order;
  order.reserve(tensors.size());
  for (const auto& t : tensors) order.push_back(&t);
  const std::string header = detail::safetensors_header(order, metadata);
  detail::AtomicFile out(path);
  unsigned char len[8];
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  out.write(len, 8);
  out.write(header);
  for (const NamedTensor* t : order) {
    if (t->view.is_contiguous()) {
      out.write(t->view.raw(), t->view.nbytes());
    } else {
      auto tmp = Tensor<Cpu>::empty(t->view.shape(), t->view.dtype());
      Tensor<Cpu>::copy_view(t->view, tmp.view());
      out.write(tmp.raw(), tmp.nbytes());
    }
  }
  out.commit();
}

/// Writes a checkpoint split into shards of at most `max_shard_bytes` (a tensor larger than that
/// gets a shard of its own) as `model-0000i-of-0000n.safetensors` plus `model.safetensors.index.json`
/// in `dir`, the layout transformers writes. With one shard, writes `model.safetensors` only.
inline void save_safetensors_sharded(const std::filesystem::path& dir, const std::vector<NamedTensor>& tensors,
                                     std::uint64_t max_shard_bytes,
                                     const std::map<std::string, std::string>& metadata = {}) {
  DAPT_CHECK(max_shard_bytes > 0, "max_shard_bytes must be positive");
  std::error_code ec;  // the throwing overload would leak std::filesystem::filesystem_error
  std::filesystem::create_directories(dir, ec);
  if (ec) DAPT_FAIL(ErrorCategory::kIo, "cannot create directory ", dir.string(), ": ", ec.message());
  std::vector<std::vector<NamedTensor>> shards(1);
  std::uint64_t cur = 0, total = 0;
  for (const auto& t : tensors) {
    const std::uint64_t n = t.view.nbytes();
    if (!shards.back().empty() && cur + n > max_shard_bytes) {
      shards.emplace_back();
      cur = 0;
    }
    shards.back().push_back(t);
    cur += n;
    total += n;
  }
  if (shards.size() == 1) {
    save_safetensors(dir / "model.safetensors", tensors, metadata);
    return;
  }
  json::object weight_map;
  const std::size_t count = shards.size();
  auto shard_name = [count](std::size_t i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, count);
    return std::string(buf);
  };
  for (std::size_t i = 0; i < count; ++i) {
    save_safetensors(dir / shard_name(i), shards[i], metadata);
    for (const auto& t : shards[i]) weight_map[t.name] = shard_name(i);
  }
  json::object index;
  index["metadata"] = json::object{{"total_size", total}};
  index["weight_map"] = std::move(weight_map);
  detail::write_file_atomic(dir / "model.safetensors.index.json", json::serialize(index));
}

}  // namespace dapt::io
