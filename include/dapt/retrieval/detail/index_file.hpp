/// @file index_file.hpp
/// @brief The one on-disk container of every dapt index (FlatIndex, HnswIndex, Bm25): a fixed
/// little-endian header, a table of named sections, then the sections, each 64-byte aligned so
/// that an array of floats or ids can be used in place from a memory mapping. The layout is
/// canonical (sections in table order, each at the next 64-byte boundary, zero padding, nothing
/// after the last one), the table carries a checksum and every section carries its own, so that
/// every byte of a file is checked by something: a truncated, corrupt or hostile file gets a
/// dapt::Error (kFormat) naming the path and the fault, never a crash or a silently wrong index.
/// `IndexFileWriter` writes through io::detail::AtomicFile, so an existing file is never damaged.
///
/// Layout (all integers little-endian):
/// ```
///   0  char[8] magic "DAPTIDX\0"     8  u32 version (1)     12 u32 kind ('FLAT', 'HNSW', ...)
///  16  u64 section count             24 u64 file size       32 u64 table checksum
///  40  u64 reserved (0)
///  48  section table: count x {char[32] name (NUL-padded), u64 offset, u64 size, u64 checksum}
///      then the sections, each at the next multiple of 64, padding bytes zero
/// ```
/// The checksum (`detail::index_checksum`) is an FNV-1a style hash over 8-byte words in four
/// independent lanes per 1 MiB block, blocks hashed in parallel and folded in order: it detects
/// any single changed word with certainty and runs at memory speed.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/parallel.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/io/json.hpp"

namespace dapt::retrieval::detail {

static_assert(std::endian::native == std::endian::little,
              "dapt index files are little-endian and are used in place: a big-endian host is not supported");

/// The magic bytes that open every index file.
inline constexpr char kIndexFileMagic[8] = {'D', 'A', 'P', 'T', 'I', 'D', 'X', '\0'};
/// The format version this header writes and reads.
inline constexpr std::uint32_t kIndexFileVersion = 1;
/// Sections start at multiples of this (a cache line, and enough for any SIMD load).
inline constexpr std::uint64_t kIndexSectionAlignment = 64;
/// Bytes of a section name in the table; a name has 1..31 printable ASCII characters.
inline constexpr std::size_t kIndexSectionNameBytes = 32;
/// Bytes of the fixed header and of one table entry.
inline constexpr std::uint64_t kIndexHeaderBytes = 48;
inline constexpr std::uint64_t kIndexEntryBytes = kIndexSectionNameBytes + 24;
/// The most sections a file may declare (bounds the table a hostile header can make us read).
inline constexpr std::uint64_t kIndexMaxSections = 4096;
/// Sections of at most this many bytes are verified even when verify_checksums is false.
inline constexpr std::uint64_t kIndexAlwaysVerifyBytes = 1u << 20;

/// The kind tag of a four-character code: index_kind("FLAT"). Stored little-endian, so the file
/// shows the code in order at byte 12.
constexpr std::uint32_t index_kind(const char (&code)[5]) noexcept {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(code[0])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(code[1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(code[2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(code[3])) << 24;
}

/// A kind tag as text for messages: "'FLAT'", or hex when it is not printable.
inline std::string index_kind_name(std::uint32_t kind) {
  std::string s = "'";
  bool printable = true;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((kind >> (8 * i)) & 0xFF);
    printable = printable && c >= 0x20 && c < 0x7F;
    s += c;
  }
  if (printable) return s + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", kind);
  return buf;
}

// ------------------------------------------------------------------------------------------------
// Checksum

inline constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
inline constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;
inline constexpr std::size_t kChecksumBlock = std::size_t{1} << 20;

/// Hash of one block (at most kChecksumBlock bytes): four FNV-1a lanes over 8-byte words (four
/// independent multiply chains keep the core busy), the tail bytes FNV-1a into lane 0, then the
/// lanes folded. Each step is a bijection of the lane state for a fixed input, so changing any
/// word always changes the result.
inline std::uint64_t checksum_block(const std::byte* p, std::size_t n) noexcept {
  std::uint64_t h[4] = {kFnvOffset, kFnvOffset ^ 1, kFnvOffset ^ 2, kFnvOffset ^ 3};
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int j = 0; j < 4; ++j) {
      std::uint64_t w;
      std::memcpy(&w, p + i + 8 * j, 8);  // memcpy: the block need not be 8-byte aligned
      h[j] = (h[j] ^ w) * kFnvPrime;
    }
  }
  for (; i < n; ++i) h[0] = (h[0] ^ static_cast<std::uint64_t>(p[i])) * kFnvPrime;
  std::uint64_t out = kFnvOffset;
  for (int j = 0; j < 4; ++j) out = (out ^ h[j]) * kFnvPrime;
  return out;
}

/// The checksum of a section's bytes. Blocks are hashed on dapt's threads and folded in order,
/// so the value depends only on the bytes, never on the thread count.
inline std::uint64_t index_checksum(std::span<const std::byte> bytes) {
  const std::size_t n = bytes.size();
  const std::size_t blocks = (n + kChecksumBlock - 1) / kChecksumBlock;
  std::vector<std::uint64_t> block_hash(blocks);
  parallel_for(
      0, static_cast<std::int64_t>(blocks),
      [&](std::int64_t b) {
        const std::size_t begin = static_cast<std::size_t>(b) * kChecksumBlock;
        block_hash[static_cast<std::size_t>(b)] =
            checksum_block(bytes.data() + begin, std::min(kChecksumBlock, n - begin));
      },
      /*grain=*/8);
  std::uint64_t h = kFnvOffset;
  for (std::uint64_t v : block_hash) h = (h ^ v) * kFnvPrime;
  return (h ^ static_cast<std::uint64_t>(n)) * kFnvPrime;
}

inline constexpr std::uint64_t align_section(std::uint64_t offset) noexcept {
  return (offset + kIndexSectionAlignment - 1) / kIndexSectionAlignment * kIndexSectionAlignment;
}

/// Checks that `name` can be stored in the table (kInvalidArgument otherwise; a writer bug).
inline void check_section_name(std::string_view name) {
  DAPT_CHECK(!name.empty() && name.size() < kIndexSectionNameBytes, "index file section name \"", name,
             "\" must have 1 to ", kIndexSectionNameBytes - 1, " characters");
  for (char c : name)
    DAPT_CHECK(c > 0x20 && c < 0x7F, "index file section name \"", name, "\" must be printable ASCII without spaces");
}

inline void put_u32(std::byte* p, std::uint32_t v) noexcept { std::memcpy(p, &v, 4); }
inline void put_u64(std::byte* p, std::uint64_t v) noexcept { std::memcpy(p, &v, 8); }
inline std::uint32_t get_u32(const std::byte* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline std::uint64_t get_u64(const std::byte* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// ------------------------------------------------------------------------------------------------
// Writer

/// Builds an index file section by section and writes it atomically.
///
/// ```cpp
/// IndexFileWriter w(index_kind("FLAT"));
/// w.add_json("meta", meta);                           // copied
/// w.add_section("vectors", std::span<const float>(v)); // borrowed until commit()
/// w.commit(path);
/// ```
class IndexFileWriter {
 public:
  explicit IndexFileWriter(std::uint32_t kind) : kind_(kind) {}

  /// Adds a section whose bytes are *borrowed*: they must stay valid and unchanged until commit()
  /// returns (a 1.5 GB vector section is not copied). kInvalidArgument for a bad or repeated name.
  void add_section(std::string_view name, std::span<const std::byte> bytes) {
    check_new_name(name);
    sections_.push_back({std::string(name), bytes, nullptr});
  }

  /// Adds an array of trivially copyable values (borrowed, as above), stored as their raw bytes.
  template <class T>
  void add_section(std::string_view name, std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>, "index file sections hold raw bytes of trivially copyable types");
    add_section(name, std::as_bytes(values));
  }

  /// Adds a section holding a copy of `bytes` (for small sections built on the fly).
  void add_section_copy(std::string_view name, std::string bytes) {
    check_new_name(name);
    auto owned = std::make_shared<std::string>(std::move(bytes));
    const std::span<const std::byte> view(reinterpret_cast<const std::byte*>(owned->data()), owned->size());
    sections_.push_back({std::string(name), view, std::move(owned)});
  }

  /// Adds a section holding `value` serialised as JSON (metadata: dimensions, metric, counts).
  void add_json(std::string_view name, const io::json::value& value) {
    add_section_copy(name, io::json::serialize(value));
  }

  bool has_section(std::string_view name) const {
    return std::any_of(sections_.begin(), sections_.end(), [&](const Pending& s) { return s.name == name; });
  }

  /// Computes the checksums and writes the file to a temporary beside `path`, then renames it
  /// into place: a failure (kIo) leaves any previous file at `path` untouched.
  void commit(const std::filesystem::path& path) const {
    const std::uint64_t count = sections_.size();
    const std::uint64_t table_end = kIndexHeaderBytes + count * kIndexEntryBytes;
    std::vector<std::byte> head(static_cast<std::size_t>(table_end), std::byte{0});
    std::uint64_t offset = table_end;
    for (std::size_t i = 0; i < sections_.size(); ++i) {
      const Pending& s = sections_[i];
      offset = align_section(offset);
      std::byte* e = head.data() + kIndexHeaderBytes + i * kIndexEntryBytes;
      std::memcpy(e, s.name.data(), s.name.size());
      put_u64(e + kIndexSectionNameBytes, offset);
      put_u64(e + kIndexSectionNameBytes + 8, s.bytes.size());
      put_u64(e + kIndexSectionNameBytes + 16, index_checksum(s.bytes));
      offset += s.bytes.size();
    }
    std::memcpy(head.data(), kIndexFileMagic, 8);
    put_u32(head.data() + 8, kIndexFileVersion);
    put_u32(head.data() + 12, kind_);
    put_u64(head.data() + 16, count);
    put_u64(head.data() + 24, offset);  // the file size: it ends with the last section
    put_u64(head.data() + 32, index_checksum(std::span<const std::byte>(head).subspan(kIndexHeaderBytes)));

    io::detail::AtomicFile out(path);
    out.write(head.data(), head.size());
    std::uint64_t at = table_end;
    static constexpr char kZeros[kIndexSectionAlignment] = {};
    for (const Pending& s : sections_) {
      const std::uint64_t aligned = align_section(at);
      out.write(kZeros, static_cast<std::size_t>(aligned - at));
      out.write(s.bytes.data(), s.bytes.size());
      at = aligned + s.bytes.size();
    }
    out.commit();
  }

 private:
  struct Pending {
    std::string name;
    std::span<const std::byte> bytes;
    std::shared_ptr<const std::string> owned;  // set for copied sections
  };

  void check_new_name(std::string_view name) const {
    check_section_name(name);
    DAPT_CHECK(!has_section(name), "index file section \"", name, "\" added twice");
    DAPT_CHECK(sections_.size() < kIndexMaxSections, "an index file holds at most ", kIndexMaxSections, " sections");
  }

  std::uint32_t kind_;
  std::vector<Pending> sections_;
};

// ------------------------------------------------------------------------------------------------
// Reader

/// How much of an index file open() checks.
struct IndexFileOptions {
  /// Verify the checksum of every section. Hashing runs at memory speed on dapt's threads, but it
  /// still reads every byte: about 0.1-0.5 s for a 1.5 GB vector section, and it faults the
  /// whole file into the page cache. With false, sections of at most kIndexAlwaysVerifyBytes
  /// (metadata, ids of small indexes) are still verified; larger ones are trusted as read (call
  /// IndexFile::verify_section later to check one). The header, table and layout are always
  /// checked, so a truncated or malformed file is refused either way.
  bool verify_checksums = true;
};

/// One section of an open index file.
struct IndexSection {
  std::string name;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint64_t checksum = 0;
};

/// A validated, memory-mapped index file. Section spans point into the mapping; `mapping()`
/// keeps it alive for zero-copy users after the IndexFile is gone.
class IndexFile {
 public:
  /// Maps `path` and validates it: kIo when it cannot be opened (missing, a directory), kFormat
  /// when it is short, has a bad magic, an unknown version, another kind than `expected_kind`, a
  /// size that disagrees with the header, a malformed table or layout, or a wrong checksum.
  static IndexFile open(const std::filesystem::path& path, std::uint32_t expected_kind, IndexFileOptions options = {}) {
    IndexFile f;
    f.mapping_ = io::detail::MappedFile::open(path);
    f.parse(expected_kind, options);
    return f;
  }

  const std::filesystem::path& path() const noexcept { return mapping_->path(); }
  std::uint32_t kind() const noexcept { return kind_; }
  const std::vector<IndexSection>& sections() const noexcept { return sections_; }
  const std::shared_ptr<const io::detail::MappedFile>& mapping() const noexcept { return mapping_; }

  bool has_section(std::string_view name) const noexcept { return find(name) != nullptr; }

  /// The bytes of section `name`; kFormat naming the file when it has no such section.
  std::span<const std::byte> section(std::string_view name) const {
    const IndexSection& s = require(name);
    return mapping_->bytes().subspan(static_cast<std::size_t>(s.offset), static_cast<std::size_t>(s.size));
  }

  /// Section `name` as an array of T; kFormat when its size is not a multiple of sizeof(T) or
  /// when it is misaligned for T.
  template <class T>
  std::span<const T> section_as(std::string_view name) const {
    static_assert(std::is_trivially_copyable_v<T>, "sections are read as trivially copyable types");
    const std::span<const std::byte> b = section(name);
    DAPT_CHECK_AS(kFormat, b.size() % sizeof(T) == 0, path().string(), ": section \"", name, "\" has ", b.size(),
                  " bytes, not a multiple of the ", sizeof(T), "-byte element");
    DAPT_CHECK_AS(kFormat, reinterpret_cast<std::uintptr_t>(b.data()) % alignof(T) == 0, path().string(),
                  ": section \"", name, "\" is not aligned for its ", alignof(T), "-byte aligned elements");
    return {reinterpret_cast<const T*>(b.data()), b.size() / sizeof(T)};
  }

  /// Section `name` as exactly `expected_count` values of T; kFormat naming the counts otherwise.
  template <class T>
  std::span<const T> section_as(std::string_view name, std::uint64_t expected_count) const {
    const std::span<const T> v = section_as<T>(name);
    DAPT_CHECK_AS(kFormat, v.size() == expected_count, path().string(), ": section \"", name, "\" holds ", v.size(),
                  " elements of ", sizeof(T), " bytes, expected ", expected_count);
    return v;
  }

  /// Section `name` as a (rows, cols) row-major array of T; kFormat unless it holds exactly
  /// rows * cols values. Compared by division, so counts read from a hostile header cannot make
  /// the product overflow into a match (prefer this to section_as(name, rows * cols)).
  template <class T>
  std::span<const T> section_as(std::string_view name, std::uint64_t rows, std::uint64_t cols) const {
    const std::span<const T> v = section_as<T>(name);
    const bool match = cols == 0 ? v.empty() : (v.size() % cols == 0 && v.size() / cols == rows);
    DAPT_CHECK_AS(kFormat, match, path().string(), ": section \"", name, "\" holds ", v.size(), " elements of ",
                  sizeof(T), " bytes, expected ", rows, " x ", cols);
    return v;
  }

  /// Section `name` parsed as JSON (strictly, see io::parse_json); kFormat when it is not valid.
  io::json::value json(std::string_view name) const {
    const std::span<const std::byte> b = section(name);
    const std::string source = path().string() + ": section \"" + std::string(name) + "\"";
    return io::parse_json(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), source);
  }

  /// Section `name` parsed as a JSON object (kFormat when it is another JSON value).
  io::json::object json_object(std::string_view name) const {
    const io::json::value v = json(name);
    return io::as_object(v, path().string() + ": section \"" + std::string(name) + "\"");
  }

  /// Verifies the checksum of section `name` now (for sections open() skipped); kFormat on mismatch.
  void verify_section(std::string_view name) const { verify(require(name)); }

 private:
  IndexFile() = default;

  const IndexSection* find(std::string_view name) const noexcept {
    for (const IndexSection& s : sections_)
      if (s.name == name) return &s;
    return nullptr;
  }

  const IndexSection& require(std::string_view name) const {
    const IndexSection* s = find(name);
    if (!s) DAPT_FAIL(ErrorCategory::kFormat, path().string(), ": index file has no section \"", name, "\"");
    return *s;
  }

  void verify(const IndexSection& s) const {
    const auto bytes = mapping_->bytes().subspan(static_cast<std::size_t>(s.offset), static_cast<std::size_t>(s.size));
    DAPT_CHECK_AS(kFormat, index_checksum(bytes) == s.checksum, path().string(), ": checksum mismatch in section \"",
                  s.name, "\" (", s.size, " bytes at offset ", s.offset, "): the file is corrupt");
  }

  template <class... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    DAPT_FAIL(ErrorCategory::kFormat, path().string(), ": ", parts...);
  }

  void parse(std::uint32_t expected_kind, IndexFileOptions options) {
    const std::span<const std::byte> file = mapping_->bytes();
    const std::uint64_t size = file.size();
    if (size < kIndexHeaderBytes)
      fail("not a dapt index file: ", size, " bytes, shorter than the ", kIndexHeaderBytes, "-byte header");
    const std::byte* p = file.data();
    if (std::memcmp(p, kIndexFileMagic, 8) != 0) fail("not a dapt index file (bad magic)");
    const std::uint32_t version = get_u32(p + 8);
    if (version != kIndexFileVersion)
      fail("unknown index file version ", version, " (this build reads version ", kIndexFileVersion, ")");
    kind_ = get_u32(p + 12);
    if (kind_ != expected_kind)
      fail("index file of kind ", index_kind_name(kind_), ", expected ", index_kind_name(expected_kind));
    const std::uint64_t count = get_u64(p + 16);
    const std::uint64_t declared = get_u64(p + 24);
    if (declared != size)
      fail("header declares ", declared, " bytes but the file has ", size, " (truncated or extended)");
    if (get_u64(p + 40) != 0) fail("reserved header field is not zero");
    if (count > kIndexMaxSections) fail("header declares ", count, " sections, more than the limit of ", kIndexMaxSections);
    const std::uint64_t table_end = kIndexHeaderBytes + count * kIndexEntryBytes;  // no overflow: count is bounded
    if (table_end > size) fail("section table of ", count, " entries runs past the end of the ", size, "-byte file");
    const auto table = file.subspan(kIndexHeaderBytes, static_cast<std::size_t>(table_end - kIndexHeaderBytes));
    if (index_checksum(table) != get_u64(p + 32)) fail("checksum mismatch in the section table: the file is corrupt");

    sections_.reserve(static_cast<std::size_t>(count));
    std::uint64_t expected_offset = table_end;
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::byte* e = p + kIndexHeaderBytes + i * kIndexEntryBytes;
      IndexSection s;
      const char* raw = reinterpret_cast<const char*>(e);
      const std::size_t len = strnlen(raw, kIndexSectionNameBytes);
      if (len == 0 || len == kIndexSectionNameBytes) fail("section ", i, " has an empty or unterminated name");
      s.name.assign(raw, len);
      for (std::size_t j = len; j < kIndexSectionNameBytes; ++j)
        if (raw[j] != 0) fail("section \"", s.name, "\" has a name padded with non-zero bytes");
      for (char c : s.name)
        if (c <= 0x20 || c >= 0x7F) fail("section ", i, " has a name with a non-printable character");
      if (find(s.name)) fail("section \"", s.name, "\" appears twice");
      s.offset = get_u64(e + kIndexSectionNameBytes);
      s.size = get_u64(e + kIndexSectionNameBytes + 8);
      s.checksum = get_u64(e + kIndexSectionNameBytes + 16);
      if (s.offset % kIndexSectionAlignment != 0)
        fail("section \"", s.name, "\" starts at offset ", s.offset, ", not a multiple of ", kIndexSectionAlignment);
      if (s.offset > size || s.size > size - s.offset)
        fail("section \"", s.name, "\" (", s.size, " bytes at offset ", s.offset, ") runs past the end of the ", size,
             "-byte file");
      // The layout is canonical: each section starts at the first aligned offset after the one
      // before it, so sections can neither overlap nor hide bytes in a gap.
      const std::uint64_t want = align_section(expected_offset);
      if (s.offset < want)
        fail("section \"", s.name, "\" at offset ", s.offset, " overlaps the table or the section before it (expected ",
             want, ")");
      if (s.offset > want) fail("section \"", s.name, "\" at offset ", s.offset, " leaves a gap (expected ", want, ")");
      for (std::uint64_t j = expected_offset; j < s.offset; ++j)
        if (p[j] != std::byte{0}) fail("non-zero padding byte at offset ", j);
      expected_offset = s.offset + s.size;
      sections_.push_back(std::move(s));
    }
    if (expected_offset != size)
      fail("the file has ", size - expected_offset, " bytes after the last section (ends at ", expected_offset, ")");
    for (const IndexSection& s : sections_)
      if (options.verify_checksums || s.size <= kIndexAlwaysVerifyBytes) verify(s);
  }

  std::shared_ptr<const io::detail::MappedFile> mapping_;
  std::uint32_t kind_ = 0;
  std::vector<IndexSection> sections_;
};

}  // namespace dapt::retrieval::detail

namespace dapt::retrieval {

/// How much of an index file `load` checks (the public name of detail::IndexFileOptions).
using IndexFileOptions = detail::IndexFileOptions;

}  // namespace dapt::retrieval
