/// @file file_util.hpp
/// @brief File plumbing shared by every reader and writer: reading a bounded text file, an
/// atomic writer (temporary file in the same directory, fsync, rename) so that a crash or an
/// error never leaves a half-written file where a good one was, and a read-only memory mapping.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "dapt/core/error.hpp"

namespace dapt::io::detail {

inline std::string errno_text(int err) { return std::strerror(err); }

/// An open, read-only file descriptor of a regular file, closed on scope exit.
struct ReadOnlyFile {
  int fd = -1;
  std::size_t size = 0;
  explicit ReadOnlyFile(const std::filesystem::path& path) {
    // O_NONBLOCK: opening a FIFO must not hang before the regular-file check below.
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) DAPT_FAIL(ErrorCategory::kIo, "cannot open ", path.string(), ": ", errno_text(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      DAPT_FAIL(ErrorCategory::kIo, "cannot stat ", path.string(), ": ", errno_text(err));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      DAPT_FAIL(ErrorCategory::kIo, path.string(), " is not a regular file");
    }
    size = static_cast<std::size_t>(st.st_size);
  }
  ~ReadOnlyFile() { ::close(fd); }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
};

/// Reads a whole file of at most `max_bytes` into a string (kIo when unreadable, kFormat when
/// larger than the limit).
inline std::string read_text_file(const std::filesystem::path& path, std::size_t max_bytes) {
  ReadOnlyFile file(path);
  if (file.size > max_bytes)
    DAPT_FAIL(ErrorCategory::kFormat, path.string(), " is ", file.size, " bytes, more than the limit of ", max_bytes);
  std::string out(file.size, '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t r = ::read(file.fd, out.data() + got, out.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) DAPT_FAIL(ErrorCategory::kIo, "cannot read ", path.string(), ": ", errno_text(errno));
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

/// Writes a file atomically: data goes to "<name>.tmp-<pid>-<n>" beside the target, is fsynced,
/// then renamed over the target by commit(). Destroying an uncommitted AtomicFile removes the
/// temporary file, so the previous version of the target is never damaged.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
    // pid + clock + this address make the name unique; O_EXCL guarantees we never clobber a file.
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    tmp_ = target_;
    tmp_ += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(stamp) + "-" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this) % 100000);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0)
      DAPT_FAIL(ErrorCategory::kIo, "cannot create ", tmp_.string(), " (to write ", target_.string(), "): ",
                errno_text(errno));
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }

  void write(const void* data, std::size_t n) {
    const auto* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) DAPT_FAIL(ErrorCategory::kIo, "cannot write ", tmp_.string(), ": ", errno_text(errno));
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  void write(std::string_view s) { write(s.data(), s.size()); }

  /// Flushes to disk and renames into place.
  void commit() {
    if (::fsync(fd_) != 0) DAPT_FAIL(ErrorCategory::kIo, "cannot fsync ", tmp_.string(), ": ", errno_text(errno));
    if (::close(fd_) != 0) {
      fd_ = -1;
      DAPT_FAIL(ErrorCategory::kIo, "cannot close ", tmp_.string(), ": ", errno_text(errno));
    }
    fd_ = -1;
    if (::rename(tmp_.c_str(), target_.c_str()) != 0)
      DAPT_FAIL(ErrorCategory::kIo, "cannot rename ", tmp_.string(), " to ", target_.string(), ": ", errno_text(errno));
    committed_ = true;
    // Persist the rename itself.
    const auto dir = target_.has_parent_path() ? target_.parent_path() : std::filesystem::path(".");
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }

  const std::filesystem::path& temp_path() const noexcept { return tmp_; }

 private:
  std::filesystem::path target_;
  std::filesystem::path tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

/// Writes `content` to `path` atomically.
inline void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  AtomicFile f(path);
  f.write(content);
  f.commit();
}

/// A read-only private mapping of a whole file. Shared through shared_ptr so that zero-copy
/// tensor views can keep it alive. (A file truncated by another process while mapped can still
/// raise SIGBUS on access; dapt never modifies files it has mapped.)
class MappedFile {
 public:
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path) {
    std::shared_ptr<MappedFile> m(new MappedFile());
    m->path_ = path;
    ReadOnlyFile file(path);
    m->size_ = file.size;
    if (m->size_ > 0) {
      void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, file.fd, 0);
      if (p == MAP_FAILED) DAPT_FAIL(ErrorCategory::kIo, "cannot mmap ", path.string(), ": ", errno_text(errno));
      m->data_ = static_cast<const std::byte*>(p);
    }
    return m;
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
  }

  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  const std::filesystem::path& path() const noexcept { return path_; }

  /// Hints the kernel to read the whole file ahead (used before touching every tensor).
  void advise_sequential() const noexcept {
    if (!data_) return;
    ::madvise(const_cast<std::byte*>(data_), size_, MADV_SEQUENTIAL);
    ::madvise(const_cast<std::byte*>(data_), size_, MADV_WILLNEED);
  }

 private:
  MappedFile() = default;
  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace dapt::io::detail
