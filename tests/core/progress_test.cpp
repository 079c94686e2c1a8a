/// @file progress_test.cpp
/// @brief Tests of dapt/core/progress.hpp: terminal detection and DAPT_PROGRESS, the drawn line
/// (percentage, bar, rate, ETA, unknown total), throttling and finishing. A fake clock makes the
/// rates and redraw counts deterministic.
#include "dapt/core/progress.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dapt_catch.hpp"
#include "test_util.hpp"

#if !defined(_WIN32)
#include <unistd.h>
#endif

namespace {

using dapt_test::EnvGuard;

/// Options that draw into `out` with a clock the test moves by hand.
dapt::ProgressOptions forced(std::ostringstream& out, const double& now, std::string unit = "tok") {
  dapt::ProgressOptions o;
  o.unit = std::move(unit);
  o.out = &out;
  o.force = true;
  o.clock = [&now] { return now; };
  return o;
}

std::size_t redraws(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\r')); }

}  // namespace

TEST_CASE("ProgressBar stays quiet when stderr is not a terminal", "[core][progress]") {
  EnvGuard env(dapt::kProgressEnv, nullptr);
  std::ostringstream captured;
  std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
  bool enabled = false;
  {
    dapt::ProgressBar bar(100, "quiet");
    enabled = bar.enabled();
    for (int i = 0; i < 100; ++i) bar.advance();
  }
  std::cerr.rdbuf(old);
  // Under ctest stderr is a pipe; run by hand in a terminal the bar rightly draws.
  const bool tty = dapt::detail::stderr_is_terminal();
  CHECK(enabled == tty);
  if (!tty) CHECK(captured.str().empty());

  // A stream other than stderr has no terminal to detect: quiet unless forced.
  std::ostringstream other;
  dapt::ProgressOptions o;
  o.out = &other;
  {
    dapt::ProgressBar bar(10, "x", o);
    CHECK_FALSE(bar.enabled());
    bar.update(10);
  }
  CHECK(other.str().empty());
}

TEST_CASE("DAPT_PROGRESS forces progress bars off or on", "[core][progress]") {
  std::ostringstream out;
  dapt::ProgressOptions o;
  o.out = &out;
  {
    EnvGuard env(dapt::kProgressEnv, "1");
    dapt::ProgressBar bar(10, "on", o);
    CHECK(bar.enabled());
  }
  CHECK(dapt_test::contains(out.str(), "on"));
  {
    EnvGuard env(dapt::kProgressEnv, "0");
    std::ostringstream captured;
    std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
    bool enabled = true;
    {
      dapt::ProgressBar bar(10, "off");
      enabled = bar.enabled();
      bar.update(10);
    }
    std::cerr.rdbuf(old);
    CHECK_FALSE(enabled);
    CHECK(captured.str().empty());
  }
  {
    EnvGuard env(dapt::kProgressEnv, "yes");
    REQUIRE_DAPT_ERROR(dapt::ProgressBar(10, "bad", o), kConfig, "DAPT_PROGRESS=\"yes\"");
  }
}

TEST_CASE("ProgressBar draws label, percentage, bar, count, rate and ETA", "[core][progress]") {
  std::ostringstream out;
  double now = 100.0;
  {
    dapt::ProgressBar bar(100, "tokenize", forced(out, now));
    now = 110.0;  // 42 items in 10 s: 4.2 tok/s, 58 left: ETA 13.8 s
    bar.update(42);
    const std::string s = out.str();
    INFO(s);
    CHECK(dapt_test::contains(s, "tokenize"));
    CHECK(dapt_test::contains(s, " 42% ["));
    CHECK(dapt_test::contains(s, "42/100 tok"));
    CHECK(dapt_test::contains(s, "4.20 tok/s"));
    CHECK(dapt_test::contains(s, "00:10"));  // elapsed
    CHECK(dapt_test::contains(s, "ETA 00:13"));
    CHECK(s.find('\n') == std::string::npos);  // still on one line
  }
  const std::string s = out.str();
  INFO(s);
  // The destructor finished the bar: final state then a newline.
  CHECK(s.back() == '\n');
  CHECK(dapt_test::contains(s, "42/100 tok"));

  // The bar has bar_width cells, '#' for the done fraction.
  dapt::ProgressBar probe(200, "", forced(out, now));
  const std::string half = probe.format_line(100, 5.0);
  INFO(half);
  CHECK(dapt_test::contains(half, " 50% [" + std::string(15, '#') + std::string(15, '.') + "] 100/200 tok"));
  CHECK(dapt_test::contains(probe.format_line(0, 0.0), "ETA --:--"));
  CHECK(dapt_test::contains(probe.format_line(200, 5.0), "100% [" + std::string(30, '#') + "]"));
  CHECK(dapt_test::contains(probe.format_line(300, 5.0), "100%"));  // overshoot is clamped
  CHECK(dapt_test::contains(probe.format_line(199, 5.0), " 99%"));  // floor: 100% only when done
}

TEST_CASE("ProgressBar throttles redraws", "[core][progress]") {
  std::ostringstream out;
  double now = 0.0;
  dapt::ProgressBar bar(1'000'000, "fast", forced(out, now));
  REQUIRE(redraws(out.str()) == 1);  // the initial 0% line
  for (int i = 0; i < 100'000; ++i) bar.advance();  // all within one instant
  CHECK(redraws(out.str()) == 1);
  now = 0.05;
  bar.advance();
  CHECK(redraws(out.str()) == 1);  // under 0.1 s since the last draw
  now = 0.11;
  bar.advance();
  CHECK(redraws(out.str()) == 2);
  // Ten seconds of updates every millisecond give about 10 redraws per second, not 1000.
  for (int ms = 0; ms < 10'000; ++ms) {
    now = 0.11 + ms * 0.001;
    bar.advance();
  }
  const std::size_t n = redraws(out.str());
  CHECK(n >= 90);
  CHECK(n <= 102);
  bar.finish();
  CHECK(redraws(out.str()) == n + 1);  // finish always draws
  bar.finish();                        // idempotent
  bar.advance();                       // and nothing draws after it
  CHECK(redraws(out.str()) == n + 1);
  const std::string text = out.str();
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK(bar.count() == 100'000 + 2 + 10'000 + 1);  // counting goes on after finish
}

TEST_CASE("ProgressBar with unknown total (0) shows count, rate and elapsed", "[core][progress]") {
  std::ostringstream out;
  double now = 0.0;
  {
    dapt::ProgressBar bar(0, "scan", forced(out, now, "doc"));
    now = 65.0;
    bar.advance(1300);
    const std::string s = out.str();
    INFO(s);
    CHECK(dapt_test::contains(s, "scan 1300 doc"));
    CHECK(dapt_test::contains(s, "20.0 doc/s"));
    CHECK(dapt_test::contains(s, "01:05"));
    CHECK_FALSE(dapt_test::contains(s, "%"));
    CHECK_FALSE(dapt_test::contains(s, "ETA"));
  }
  CHECK(out.str().back() == '\n');
}

TEST_CASE("ProgressBar pads over a longer previous line and rejects bad arguments", "[core][progress]") {
  std::ostringstream out;
  double now = 0.0;
  dapt::ProgressBar bar(0, "", forced(out, now));
  now = 1.0;
  bar.update(123456789);  // a long line
  now = 2.0;
  bar.update(1);  // a shorter one: padded with blanks so no stale characters remain
  const std::string s = out.str();
  const auto last = s.rfind('\r');
  const auto prev = s.rfind('\r', last - 1);
  CHECK(s.size() - last >= last - prev);
  REQUIRE_DAPT_ERROR(bar.update(-1), kInvalidArgument, "count");
  REQUIRE_DAPT_ERROR(bar.advance(-2), kInvalidArgument, "increment");
  REQUIRE_DAPT_ERROR(dapt::ProgressBar(-1, "neg"), kInvalidArgument, "total");
}

TEST_CASE("ProgressBar advance is safe from several threads", "[core][progress]") {
  std::ostringstream out;
  dapt::ProgressOptions o;
  o.out = &out;
  o.force = true;
  o.min_interval_s = 0.0;  // draw whenever the lock is free: maximum contention
  dapt::ProgressBar bar(40'000, "mt", o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&bar] {
      for (int i = 0; i < 10'000; ++i) bar.advance();
    });
  }
  for (auto& th : threads) th.join();
  bar.finish();
  CHECK(bar.count() == 40'000);
  CHECK(dapt_test::contains(out.str(), "40000/40000"));
}

TEST_CASE("progress formatting helpers", "[core][progress]") {
  using dapt::detail::format_duration;
  using dapt::detail::format_rate;
  CHECK(format_duration(0) == "00:00");
  CHECK(format_duration(65.9) == "01:05");
  CHECK(format_duration(3600) == "1:00:00");
  CHECK(format_duration(90061) == "25:01:01");
  CHECK(format_duration(-3) == "00:00");
  CHECK(format_rate(0.25) == "0.25");
  CHECK(format_rate(12.34) == "12.3");
  CHECK(format_rate(456.4) == "456");
  CHECK(format_rate(1234) == "1.23k");
  CHECK(format_rate(45.6e6) == "45.6M");
  CHECK(format_rate(999.9) == "1.00k");
}
