/// @file progress.hpp
/// @brief A terminal progress bar for long work (tokenizer training, corpus packing, embedding a
/// document store). It draws on stderr only when stderr is a terminal, so logs and pipes stay
/// clean; DAPT_PROGRESS=0 or =1 overrides the detection. Redraws are throttled (10 per second by
/// default) so a bar advanced once per token costs an atomic add and a clock read, and `advance`
/// may be called from several threads at once (for example inside `parallel_for`).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "dapt/core/error.hpp"

#if defined(_WIN32)
#include <io.h>
#else
#include <unistd.h>
#endif

namespace dapt {

/// The environment variable that turns progress bars off ("0") or on ("1") regardless of whether
/// stderr is a terminal. Unset or empty: draw only on a terminal.
inline constexpr const char* kProgressEnv = "DAPT_PROGRESS";

/// How a ProgressBar draws. The defaults suit a program; tests set `out`, `force` and `clock`.
struct ProgressOptions {
  ProgressOptions() = default;
  /// The common case: only the unit's name (`ProgressOptions("tok")`).
  explicit ProgressOptions(std::string item_unit) : unit(std::move(item_unit)) {}

  /// The name of one item, shown after the count and in the rate ("tok" gives "1.2k tok/s").
  std::string unit = "it";
  /// Where to draw; nullptr means std::cerr. A stream other than std::cerr/std::clog is drawn on
  /// only with `force` or DAPT_PROGRESS=1, since there is no terminal to detect.
  std::ostream* out = nullptr;
  /// Draw whatever the terminal detection and DAPT_PROGRESS say (for tests and for programs that
  /// want a bar in a log file).
  bool force = false;
  /// The least time between two redraws, in seconds; the final draw in `finish` is never skipped.
  double min_interval_s = 0.1;
  /// Cells in the bar itself.
  int bar_width = 30;
  /// Monotonic time in seconds; empty means std::chrono::steady_clock. Tests inject a fake clock
  /// so rates, ETAs and throttling are deterministic.
  std::function<double()> clock;
};

namespace detail {

/// True when the process's stderr is a terminal.
inline bool stderr_is_terminal() noexcept {
#if defined(_WIN32)
  return _isatty(_fileno(stderr)) != 0;
#else
  return ::isatty(STDERR_FILENO) != 0;
#endif
}

/// Whether DAPT_PROGRESS forces bars on (true) or off (false); nothing when unset or empty.
/// Any other value throws kConfig naming the variable and value.
inline int progress_env_override() {
  const char* v = std::getenv(kProgressEnv);
  if (v == nullptr || *v == '\0') return -1;
  const std::string_view s(v);
  if (s == "0") return 0;
  if (s == "1") return 1;
  DAPT_FAIL(ErrorCategory::kConfig, "environment variable ", kProgressEnv, "=\"", s,
            "\" must be 0 (no progress bars) or 1 (always draw them)");
}

/// "mm:ss", or "h:mm:ss" from one hour on.
inline std::string format_duration(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // also maps NaN to 0
  if (seconds > 359999999.0) seconds = 359999999.0;  // keeps the cast defined; ~11 years
  const auto total = static_cast<long long>(seconds);
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buf[32];
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", h, m, s);
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", m, s);
  }
  return buf;
}

/// A rate with three significant digits and an SI suffix: "0.25", "12.3", "456", "1.23k", "45.6M".
inline std::string format_rate(double rate) {
  if (!(rate >= 0)) rate = 0;
  const char* suffix = "";
  if (rate >= 999.5e9) {
    rate /= 1e12;
    suffix = "T";
  } else if (rate >= 999.5e6) {
    rate /= 1e9;
    suffix = "G";
  } else if (rate >= 999.5e3) {
    rate /= 1e6;
    suffix = "M";
  } else if (rate >= 999.5) {
    rate /= 1e3;
    suffix = "k";
  }
  char buf[48];
  const int decimals = rate < 9.995 ? 2 : rate < 99.95 ? 1 : 0;
  std::snprintf(buf, sizeof buf, "%.*f%s", decimals, rate, suffix);
  return buf;
}

}  // namespace detail

/// A one-line progress bar: label, percentage, bar, count/total, rate, elapsed time and ETA.
///
///     tokenize  42% [############..................] 4200/10000 tok | 1.23k tok/s | 00:03 < ETA 00:04
///
/// A total of 0 means unknown: the line then shows the count, the rate and the elapsed time. The
/// rate is the average since construction, which is steady enough for an ETA and needs no tuning.
/// The destructor finishes the bar, so an early return or an exception still ends the line.
class ProgressBar {
 public:
  /// Throws kInvalidArgument when `total` < 0, kConfig when DAPT_PROGRESS is neither 0 nor 1.
  explicit ProgressBar(std::int64_t total, std::string label = {}, ProgressOptions options = {})
      : total_(total), label_(std::move(label)), options_(std::move(options)) {
    DAPT_CHECK(total >= 0, "ProgressBar: total must be >= 0 (0 = unknown), got ", total);
    DAPT_CHECK(options_.bar_width >= 1, "ProgressBar: bar_width must be >= 1, got ", options_.bar_width);
    out_ = options_.out != nullptr ? options_.out : &std::cerr;
    enabled_ = decide_enabled();
    start_ = now_s();
    if (enabled_) {
      std::lock_guard<std::mutex> lock(mutex_);
      draw(start_, false);
    }
  }

  ~ProgressBar() {
    try {
      finish();
    } catch (...) {
      // A destructor must not throw; a failed last redraw of a progress bar loses nothing.
    }
  }

  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Sets the number of items done. Throws kInvalidArgument when `done` < 0.
  void update(std::int64_t done) {
    DAPT_CHECK(done >= 0, "ProgressBar::update: count must be >= 0, got ", done);
    count_.store(done, std::memory_order_relaxed);
    maybe_draw();
  }

  /// Adds `k` items done; safe to call from several threads. Throws kInvalidArgument when k < 0.
  void advance(std::int64_t k = 1) {
    DAPT_CHECK(k >= 0, "ProgressBar::advance: increment must be >= 0, got ", k);
    count_.fetch_add(k, std::memory_order_relaxed);
    maybe_draw();
  }

  /// Draws the final state and ends the line. Later calls, and the destructor, do nothing.
  void finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_.exchange(true)) return;
    if (enabled_) draw(now_s(), true);
  }

  /// Whether this bar draws at all (terminal, DAPT_PROGRESS and `force` decided it at construction).
  bool enabled() const noexcept { return enabled_; }
  std::int64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  std::int64_t total() const noexcept { return total_; }

  /// The text of the line for `done` items after `elapsed_s` seconds, without "\r" or padding.
  /// Public so a caller can put the same summary in a log.
  std::string format_line(std::int64_t done, double elapsed_s) const {
    std::string line = label_;
    if (!line.empty()) line += ' ';
    const double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0.0;
    if (total_ > 0) {
      const double frac = std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0);
      // Floor, so 100% appears only when the work is done.
      const int pct = static_cast<int>(frac * 100.0);
      char buf[8];
      std::snprintf(buf, sizeof buf, "%3d%%", pct);
      line += buf;
      line += " [";
      const int filled = static_cast<int>(frac * options_.bar_width);
      line.append(static_cast<std::size_t>(filled), '#');
      line.append(static_cast<std::size_t>(options_.bar_width - filled), '.');
      line += "] ";
      line += std::to_string(done) + '/' + std::to_string(total_) + ' ' + options_.unit;
    } else {
      line += std::to_string(done) + ' ' + options_.unit;
    }
    line += " | " + detail::format_rate(rate) + ' ' + options_.unit + "/s | " +
            detail::format_duration(elapsed_s);
    if (total_ > 0) {
      line += " < ETA ";
      if (done >= total_) {
        line += detail::format_duration(0);
      } else if (rate > 0) {
        line += detail::format_duration(static_cast<double>(total_ - done) / rate);
      } else {
        line += "--:--";  // nothing done yet: no rate to extrapolate from
      }
    }
    return line;
  }

 private:
  bool decide_enabled() const {
    if (options_.force) return true;
    const int env = detail::progress_env_override();
    if (env >= 0) return env == 1;
    if (out_ != &std::cerr && out_ != &std::clog) return false;
    return detail::stderr_is_terminal();
  }

  double now_s() const {
    if (options_.clock) return options_.clock();
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }

  void maybe_draw() {
    if (!enabled_ || finished_.load(std::memory_order_relaxed)) return;
    // Another thread drawing right now will show a count at least as fresh: skip, never wait.
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock() || finished_.load(std::memory_order_relaxed)) return;
    const double now = now_s();
    if (now - last_draw_ < options_.min_interval_s) return;
    draw(now, false);
  }

  // Called with mutex_ held.
  void draw(double now, bool final_draw) {
    last_draw_ = now;
    std::string line = format_line(count(), now - start_);
    const std::size_t len = line.size();
    // Blank out the tail of a longer previous line (a shrinking ETA or rate) without relying on
    // ANSI escapes, which would litter a log when the bar is forced onto a file.
    if (len < last_len_) line.append(last_len_ - len, ' ');
    last_len_ = len;
    *out_ << '\r' << line;
    if (final_draw) *out_ << '\n';
    out_->flush();
  }

  std::int64_t total_;
  std::string label_;
  ProgressOptions options_;
  std::ostream* out_ = nullptr;
  bool enabled_ = false;
  double start_ = 0;
  double last_draw_ = 0;
  std::size_t last_len_ = 0;
  std::atomic<std::int64_t> count_{0};
  std::atomic<bool> finished_{false};
  std::mutex mutex_;
};

}  // namespace dapt
