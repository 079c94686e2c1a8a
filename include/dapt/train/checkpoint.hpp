/// @file checkpoint.hpp
/// @brief The on-disk layout of training checkpoints and the file-system steps that make them
/// crash-safe. A checkpoint root holds one directory per saved step, `step-000020/`, with the model
/// weights (written by the fine-tuning method: Hugging Face `config.json` + `model.safetensors` for
/// Full), `optimizer.safetensors` (AdamW moments `m.<name>` / `v.<name>`, per-parameter step
/// counts in the metadata) and `trainer_state.json`, written last. Every checkpoint is assembled in
/// a hidden temporary directory `.tmp-step-000020-<pid>-<stamp>/` beside the others, each file
/// fsynced, then renamed into place in one `rename(2)`, so a crash (even SIGKILL) leaves either the
/// complete new directory or none; the previous checkpoints are never touched until the new one is
/// in place. Resolution of the latest checkpoint scans the step directories that hold a
/// `trainer_state.json` and ignores everything else (temporary directories, stray files).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt/train/optimizer.hpp"

namespace dapt::train {

/// The file names inside one checkpoint directory.
inline constexpr const char* kTrainerStateFile = "trainer_state.json";
inline constexpr const char* kOptimizerStateFile = "optimizer.safetensors";
/// The prefix of a step directory ("step-000020") and of a temporary one (".tmp-step-000020-...").
inline constexpr std::string_view kStepDirPrefix = "step-";
inline constexpr std::string_view kTempDirPrefix = ".tmp-step-";

/// "step-000020": at least six digits, so names sort like their steps up to a million.
inline std::string step_dir_name(std::int64_t step) {
  DAPT_CHECK(step >= 0, "checkpoint: step must be >= 0, got ", step);
  char buf[40];
  std::snprintf(buf, sizeof buf, "step-%06lld", static_cast<long long>(step));
  return buf;
}

/// The step of a directory named "step-<digits>", or nothing for any other name.
inline std::optional<std::int64_t> parse_step_dir_name(std::string_view name) {
  if (name.substr(0, kStepDirPrefix.size()) != kStepDirPrefix) return std::nullopt;
  name.remove_prefix(kStepDirPrefix.size());
  if (name.empty() || name.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

/// One complete checkpoint found under a root.
struct CheckpointEntry {
  std::int64_t step = 0;
  std::filesystem::path dir;
};

/// The complete checkpoints under `root` (step directories holding trainer_state.json), by
/// ascending step. A missing root gives none; temporary directories and other entries are ignored.
inline std::vector<CheckpointEntry> list_checkpoints(const std::filesystem::path& root) {
  std::vector<CheckpointEntry> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return out;
  for (std::filesystem::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    const auto step = parse_step_dir_name(name);
    if (!step) continue;
    std::error_code e2;
    if (!it->is_directory(e2) || !std::filesystem::is_regular_file(it->path() / kTrainerStateFile, e2)) continue;
    out.push_back({*step, it->path()});
  }
  if (ec) DAPT_FAIL(ErrorCategory::kIo, "cannot list checkpoint directory ", root.string(), ": ", ec.message());
  std::sort(out.begin(), out.end(), [](const CheckpointEntry& a, const CheckpointEntry& b) { return a.step < b.step; });
  return out;
}

/// The newest complete checkpoint under `root`, if any.
inline std::optional<CheckpointEntry> latest_checkpoint(const std::filesystem::path& root) {
  auto all = list_checkpoints(root);
  if (all.empty()) return std::nullopt;
  return all.back();
}

/// `dir` itself when it is a checkpoint (holds trainer_state.json), else the latest checkpoint
/// under it. kIo naming the directory when there is none.
inline std::filesystem::path resolve_checkpoint(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(dir / kTrainerStateFile, ec)) return dir;
  auto latest = latest_checkpoint(dir);
  if (!latest)
    DAPT_FAIL(ErrorCategory::kIo, "no complete checkpoint in ", dir.string(), " (expected ", kTrainerStateFile,
              " in it or in a step-NNNNNN directory under it)");
  return latest->dir;
}

namespace detail {

/// fsync of a directory, so the names created or renamed in it survive a power loss.
inline void fsync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some file systems refuse to open directories
  ::fsync(fd);
  ::close(fd);
}

inline std::string unique_suffix() {
  const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "-" + std::to_string(stamp);
}

}  // namespace detail

/// A checkpoint directory being written: created as `<root>/.tmp-step-NNNNNN-<pid>-<stamp>/`,
/// filled by the caller through `path()`, then `commit()` renames it to `<root>/step-NNNNNN/`
/// (replacing an older directory of that step only after the new one is complete). Destroying an
/// uncommitted writer removes the temporary directory; a process killed before `commit` leaves it
/// behind, and `list_checkpoints` ignores it.
class CheckpointDirWriter {
 public:
  CheckpointDirWriter(std::filesystem::path root, std::int64_t step) : root_(std::move(root)), step_(step) {
    std::error_code ec;
    std::filesystem::create_directories(root_, ec);
    if (ec) DAPT_FAIL(ErrorCategory::kIo, "cannot create checkpoint directory ", root_.string(), ": ", ec.message());
    final_ = root_ / step_dir_name(step_);
    tmp_ = root_ / (std::string(kTempDirPrefix) + step_dir_name(step_).substr(kStepDirPrefix.size()) + "-" +
                    detail::unique_suffix());
    if (!std::filesystem::create_directory(tmp_, ec) || ec)
      DAPT_FAIL(ErrorCategory::kIo, "cannot create temporary checkpoint directory ", tmp_.string(), ": ",
                ec ? ec.message() : std::string("it already exists"));
  }
  CheckpointDirWriter(const CheckpointDirWriter&) = delete;
  CheckpointDirWriter& operator=(const CheckpointDirWriter&) = delete;
  ~CheckpointDirWriter() {
    if (committed_) return;
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  /// Where to write the files now.
  const std::filesystem::path& path() const noexcept { return tmp_; }
  /// Where they will be after commit().
  const std::filesystem::path& final_path() const noexcept { return final_; }

  /// Makes the checkpoint visible under its final name, atomically.
  void commit() {
    detail::fsync_dir(tmp_);
    std::error_code ec;
    std::filesystem::path old;
    if (std::filesystem::exists(final_, ec)) {
      // rename(2) cannot replace a non-empty directory: move the old one aside first. A crash
      // between the two renames leaves the old one under a temporary name (ignored) and no
      // step directory of this step; earlier checkpoints are unaffected.
      old = root_ / (".old-" + final_.filename().string() + "-" + detail::unique_suffix());
      std::filesystem::rename(final_, old, ec);
      if (ec)
        DAPT_FAIL(ErrorCategory::kIo, "cannot move the old checkpoint ", final_.string(), " aside: ", ec.message());
    }
    std::filesystem::rename(tmp_, final_, ec);
    if (ec) DAPT_FAIL(ErrorCategory::kIo, "cannot rename ", tmp_.string(), " to ", final_.string(), ": ", ec.message());
    committed_ = true;
    detail::fsync_dir(root_);
    if (!old.empty()) std::filesystem::remove_all(old, ec);
  }

 private:
  std::filesystem::path root_;
  std::int64_t step_ = 0;
  std::filesystem::path final_, tmp_;
  bool committed_ = false;
};

/// Removes all but the newest `keep_last` complete checkpoints under `root` (0 keeps all).
/// Returns the directories removed.
inline std::vector<std::filesystem::path> prune_checkpoints(const std::filesystem::path& root, std::int64_t keep_last) {
  std::vector<std::filesystem::path> removed;
  if (keep_last <= 0) return removed;
  const auto all = list_checkpoints(root);
  if (static_cast<std::int64_t>(all.size()) <= keep_last) return removed;
  const std::size_t drop = all.size() - static_cast<std::size_t>(keep_last);
  for (std::size_t i = 0; i < drop; ++i) {
    std::error_code ec;
    // Rename first so that a half-deleted directory never looks like a checkpoint.
    const auto doomed = root / (".old-" + all[i].dir.filename().string() + "-" + detail::unique_suffix());
    std::filesystem::rename(all[i].dir, doomed, ec);
    if (ec) DAPT_FAIL(ErrorCategory::kIo, "cannot remove old checkpoint ", all[i].dir.string(), ": ", ec.message());
    std::filesystem::remove_all(doomed, ec);
    removed.push_back(all[i].dir);
  }
  return removed;
}

/// Writes the AdamW state to a safetensors file (atomically): tensors "m.<name>" and "v.<name>"
/// for every parameter with state, metadata "step.<name>" (the parameter's step count) and
/// "step_count" (the optimizer's). State on a GPU is copied to the host first; the file is the same.
template <class Device>
void save_optimizer_state(const AdamW<Device>& opt, const std::filesystem::path& file) {
  std::vector<io::NamedTensor> tensors;
  std::vector<Tensor<Cpu>> staged;  // host copies of device state, alive until written
  std::map<std::string, std::string> meta;
  meta["format"] = "dapt.adamw";
  meta["step_count"] = std::to_string(opt.step_count());
  opt.visit_state([&](const std::string& name, const TensorView<Device>& m, const TensorView<Device>& v,
                      std::int64_t t) {
    if constexpr (std::is_same_v<Device, Cpu>) {
      tensors.push_back({"m." + name, m});
      tensors.push_back({"v." + name, v});
    } else {
      staged.push_back(to_host(m));
      tensors.push_back({"m." + name, staged.back().view()});
      staged.push_back(to_host(v));
      tensors.push_back({"v." + name, staged.back().view()});
    }
    meta["step." + name] = std::to_string(t);
  });
  io::save_safetensors(file, tensors, meta);
}

/// Replaces the AdamW state by the one `save_optimizer_state` wrote. kFormat naming the file and
/// the entry when it is not such a file. On a GPU the moments are copied to the device.
template <class Device>
void load_optimizer_state(AdamW<Device>& opt, const std::filesystem::path& file) {
  const io::SafetensorsFile f = io::SafetensorsFile::open(file);
  const auto& meta = f.metadata();
  const auto parse_int = [&](const std::string& key) -> std::int64_t {
    auto it = meta.find(key);
    DAPT_CHECK_AS(kFormat, it != meta.end(), file.string(), ": metadata entry \"", key, "\" is missing");
    try {
      std::size_t used = 0;
      const long long v = std::stoll(it->second, &used);
      DAPT_CHECK_AS(kFormat, used == it->second.size() && v >= 0, file.string(), ": metadata \"", key,
                    "\" is not a non-negative integer: \"", it->second, "\"");
      return v;
    } catch (const std::logic_error&) {
      DAPT_FAIL(ErrorCategory::kFormat, file.string(), ": metadata \"", key, "\" is not an integer: \"", it->second,
                "\"");
    }
  };
  {
    auto it = meta.find("format");
    DAPT_CHECK_AS(kFormat, it != meta.end() && it->second == "dapt.adamw", file.string(),
                  ": not an AdamW state file (metadata \"format\" is not \"dapt.adamw\")");
  }
  const std::int64_t step_count = parse_int("step_count");
  opt.reset_state();
  for (const auto& name : f.names()) {
    if (name.rfind("m.", 0) != 0) {
      DAPT_CHECK_AS(kFormat, name.rfind("v.", 0) == 0, file.string(), ": unexpected tensor \"", name, "\"");
      continue;
    }
    const std::string param = name.substr(2);
    DAPT_CHECK_AS(kFormat, f.contains("v." + param), file.string(), ": tensor \"v.", param, "\" is missing");
    const auto& mi = f.info(name);
    const auto& vi = f.info("v." + param);
    DAPT_CHECK_AS(kFormat, mi.dtype == DType::kF32 && vi.dtype == DType::kF32 && mi.shape == vi.shape, file.string(),
                  ": moments of \"", param, "\" must be F32 of one shape");
    const std::int64_t step = parse_int("step." + param);
    if constexpr (std::is_same_v<Device, Cpu>) {
      opt.set_state(param, f.copy(name), f.copy("v." + param), step);
    } else {
      Tensor<Device> m = Tensor<Device>::empty(mi.shape, DType::kF32), v = Tensor<Device>::empty(vi.shape, DType::kF32);
      upload(f.copy(name).view(), m.view());
      upload(f.copy("v." + param).view(), v.view());
      opt.set_state(param, std::move(m), std::move(v), step);
    }
  }
  opt.set_step_count(step_count);
}

}  // namespace dapt::train
