/// @file bench_util.hpp
/// @brief What every dapt benchmark shares, so that each `*_bench.cpp` holds only its own
/// workload: timing a lambda over repetitions (the median is what we report, because a shared
/// machine is noisy and the median shrugs off the odd descheduled run, with min and max kept to
/// show the spread), a description of the machine and of the run (CPU model, cores, threads, UTC
/// date, git commit), running a Python peer and capturing its stdout, and the two outputs: a
/// table on stdout and JSON lines appended to `benchmarks/results/<benchmark>.json`. A ratio above
/// 1 always means dapt is better: peer/ours for times, ours/peer for throughputs. The paths come
/// from `benchmarks/run` through the environment (DAPT_BENCH_PYTHON, DAPT_BENCH_RESULTS,
/// DAPT_BENCH_DATA) or from `--python`, `--results` and `--data`, and default to the source tree,
/// so a benchmark also runs by hand from the build folder.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <initializer_list>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "dapt/core/parallel.hpp"

#ifndef DAPT_BENCH_DIR
#error "DAPT_BENCH_DIR (the benchmarks/ source folder) is set by benchmarks/CMakeLists.txt"
#endif

namespace dapt::bench {

// ------------------------------------------------------------------------------------------------
// Counter-based inputs: each value depends only on (seed, index), so data is generated in
// parallel with the same result for any thread count, and a Python peer can reproduce it.

/// splitmix64: the 64-bit mix of x + 0x9e3779b97f4a7c15.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// A standard normal from one 64-bit hash (Box-Muller on its two 32-bit halves).
inline float gaussian(std::uint64_t h) {
  const double u1 = (static_cast<double>(h >> 32) + 1.0) / 4294967297.0;  // (0, 1]
  const double u2 = static_cast<double>(h & 0xffffffffull) / 4294967296.0;
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

// ------------------------------------------------------------------------------------------------
// Timing

/// Wall-clock statistics of one measured operation, in seconds.
struct Stats {
  double median = 0;
  double min = 0;
  double max = 0;
  int reps = 0;
};

/// Summarises samples (seconds); the median of an even count is the mean of the middle two.
inline Stats summarize(std::vector<double> samples) {
  Stats s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  s.median = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  s.min = samples.front();
  s.max = samples.back();
  s.reps = static_cast<int>(n);
  return s;
}

/// Runs `fn` `warmup` times untimed (to fault in code, allocator pools and caches), then `reps`
/// times timed with a monotonic clock.
template <class F>
Stats time_runs(int reps, F&& fn, int warmup = 1) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(std::max(reps, 0)));
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const auto t1 = std::chrono::steady_clock::now();
    samples.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  return summarize(std::move(samples));
}

/// Keeps the compiler from deleting work whose result is otherwise unused.
template <class T>
inline void do_not_optimize(const T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

// ------------------------------------------------------------------------------------------------
// The machine and the run

/// The CPU model from /proc/cpuinfo ("unknown CPU" when it cannot be read, e.g. off Linux).
inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) break;
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  }
  return "unknown CPU";
}

/// Logical cores online.
inline int core_count() {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (n > 0) return static_cast<int>(n);
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

/// The thread count dapt would use (DAPT_NUM_THREADS, else OMP_NUM_THREADS, else the cores):
/// the same policy as the library, so a result records what the library was allowed to use.
inline int thread_count() { return dapt::num_threads(); }

/// "AMD EPYC, 2 cores".
inline std::string machine_description() {
  const int cores = core_count();
  return cpu_model() + ", " + std::to_string(cores) + (cores == 1 ? " core" : " cores");
}

/// Now, in UTC, as ISO 8601 to the second ("2026-11-28T04:39:58Z").
inline std::string utc_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// Single-quotes `s` for /bin/sh, so that paths with spaces or quotes survive popen().
inline std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

/// Output of a shell command.
struct CommandResult {
  int exit_code = -1;  // the command's exit status; -1 when it did not exit normally
  std::string out;     // its stdout (stderr is left on the terminal, where errors belong)
};

/// Runs `command` through /bin/sh and captures its stdout. Throws only when it cannot be started.
inline CommandResult run_command(const std::string& command) {
  std::fflush(nullptr);  // our buffered output must come before the child's stderr
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run: " + command);
  CommandResult r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return r;
}

/// The short hash of the commit the benchmarks were built from, or "unknown" (no git, no commit).
inline std::string git_commit() {
  const auto r = run_command("git -C " + shell_quote(DAPT_BENCH_DIR) + " rev-parse --short HEAD 2>/dev/null");
  std::string h = r.out;
  while (!h.empty() && (h.back() == '\n' || h.back() == '\r' || h.back() == ' ')) h.pop_back();
  return r.exit_code == 0 && !h.empty() ? h : "unknown";
}

// ------------------------------------------------------------------------------------------------
// Where things are

/// Paths and knobs of one benchmark run.
struct Options {
  std::filesystem::path python;       // the venv interpreter that runs the peers
  std::filesystem::path results_dir;  // where <benchmark>.json lines are appended
  std::filesystem::path data_dir;     // cached inputs (large generated files)
  std::filesystem::path peers_dir;    // benchmarks/peers
  bool write_results = true;          // --no-save: print only (for trying things out)
};

inline std::filesystem::path env_path(const char* name, const std::filesystem::path& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::filesystem::path(v) : fallback;
}

/// A numeric option of one benchmark ("--corpus-mb 40"), parsed beside the common ones.
struct NumberOption {
  std::string_view name;
  double* value;
};

/// Reads the environment that benchmarks/run sets, then the command line, which wins. `extra`
/// lists the benchmark's own numeric options. Unknown arguments throw, so a typo does not
/// silently run with the defaults.
inline Options parse_options(int argc, char** argv, std::initializer_list<NumberOption> extra = {}) {
  const std::filesystem::path dir(DAPT_BENCH_DIR);
  Options o;
  o.python = env_path("DAPT_BENCH_PYTHON", dir / ".venv" / "bin" / "python");
  o.results_dir = env_path("DAPT_BENCH_RESULTS", dir / "results");
  o.data_dir = env_path("DAPT_BENCH_DATA", dir / ".data");
  o.peers_dir = dir / "peers";
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(std::string(a) + " needs a value");
      return argv[++i];
    };
    bool matched = false;
    for (const auto& e : extra)
      if (a == e.name) {
        *e.value = std::stod(value());
        matched = true;
      }
    if (matched) continue;
    if (a == "--python") o.python = value();
    else if (a == "--results") o.results_dir = value();
    else if (a == "--data") o.data_dir = value();
    else if (a == "--no-save") o.write_results = false;
    else throw std::runtime_error("unknown argument \"" + std::string(a) +
                                  "\" (expected --python PATH, --results DIR, --data DIR, --no-save)");
  }
  return o;
}

// ------------------------------------------------------------------------------------------------
// Results

/// Which direction is better for a metric; it fixes how the ratio is formed.
enum class Better { kLower, kHigher };

/// One measured metric, ours beside the peer's.
struct Result {
  std::string benchmark;  // "safetensors_open"
  std::string metric;     // "open + read every tensor"
  std::string unit;       // "s", "ms", "GB/s", "tokens/s"
  Better better = Better::kLower;
  double ours = 0;
  std::string peer;                 // "safetensors 0.8.0 (numpy)"
  std::optional<double> peer_value; // empty when the peer could not run
  int threads = thread_count();     // threads the measured code was allowed to use
  std::string device;               // the accelerator that ran it (GPU benchmarks), else empty

  /// > 1 when dapt is better: peer/ours for times (lower is better), ours/peer for throughputs.
  std::optional<double> ratio() const {
    if (!peer_value || ours <= 0 || *peer_value <= 0) return std::nullopt;
    return better == Better::kLower ? *peer_value / ours : ours / *peer_value;
  }
};

/// A number with about four significant digits, for the table.
inline std::string format_number(double v) {
  char buf[64];
  const double a = v < 0 ? -v : v;
  if (a != 0 && (a >= 1e6 || a < 1e-3)) std::snprintf(buf, sizeof buf, "%.3e", v);
  else if (a >= 100) std::snprintf(buf, sizeof buf, "%.1f", v);
  else if (a >= 10) std::snprintf(buf, sizeof buf, "%.2f", v);
  else if (a >= 1) std::snprintf(buf, sizeof buf, "%.3f", v);
  else std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

/// Prints results as an aligned table (benchmark, metric, unit, ours, peer, peer value, ratio).
inline void print_table(const std::vector<Result>& results) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"benchmark", "metric", "unit", "ours", "peer", "peer value", "ratio"});
  for (const auto& r : results) {
    const auto ratio = r.ratio();
    rows.push_back({r.benchmark, r.metric, r.unit, format_number(r.ours), r.peer,
                    r.peer_value ? format_number(*r.peer_value) : "n/a", ratio ? format_number(*ratio) + "x" : "n/a"});
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      // Numbers right-aligned so that their magnitudes line up; text left-aligned.
      const bool numeric = c == 3 || c == 5 || c == 6;
      const std::string pad(width[c] - row[c].size(), ' ');
      line += numeric ? pad + row[c] : row[c] + pad;
      if (c + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  };
  print_row(rows[0]);
  std::size_t total = 0;
  for (std::size_t w : width) total += w + 2;
  std::printf("%s\n", std::string(total - 2, '-').c_str());
  for (std::size_t i = 1; i < rows.size(); ++i) print_row(rows[i]);
  std::fflush(stdout);
}

/// Appends one JSON object per result to `<dir>/<benchmark>.json` (JSON Lines, so that a history
/// of runs accumulates and each line stands alone), creating the folder when needed.
inline void append_results(const std::filesystem::path& dir, const std::vector<Result>& results) {
  if (results.empty()) return;
  std::filesystem::create_directories(dir);
  const std::string machine = machine_description();
  const std::string date = utc_date();
  const std::string commit = git_commit();
  for (const auto& r : results) {
    boost::json::object o;
    o["benchmark"] = r.benchmark;
    o["metric"] = r.metric;
    o["unit"] = r.unit;
    o["ours"] = r.ours;
    o["peer"] = r.peer;
    if (r.peer_value) o["peer_value"] = *r.peer_value;
    else o["peer_value"] = nullptr;
    if (const auto ratio = r.ratio()) o["ratio"] = *ratio;
    else o["ratio"] = nullptr;
    o["machine"] = machine;
    if (!r.device.empty()) o["device"] = r.device;
    o["threads"] = r.threads;
    o["date"] = date;
    o["commit"] = commit;
    const auto path = dir / (r.benchmark + ".json");
    std::ofstream out(path, std::ios::app);
    out << boost::json::serialize(o) << '\n';
    if (!out) throw std::runtime_error("cannot append to " + path.string());
  }
}

/// The run's header line: what ran where, so that a pasted log is self-describing.
inline void print_header(std::string_view benchmark) {
  std::printf("%.*s on %s; %d threads allowed; %s; commit %s\n", static_cast<int>(benchmark.size()),
              benchmark.data(), machine_description().c_str(), thread_count(), utc_date().c_str(),
              git_commit().c_str());
  std::fflush(stdout);
}


/// The JSON object on the last non-empty line of a peer's stdout (what came before is chatter).
inline boost::json::object last_json_line(const std::string& out) {
  std::string s = out;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  const auto nl = s.rfind('\n');
  return boost::json::parse(nl == std::string::npos ? s : s.substr(nl + 1)).as_object();
}

/// Prints the table and, when the two sides did the same work and saving is on, appends the
/// results. Returns the program's exit status: 1 when the work differed, 2 when the peer did not
/// run, else 0.
inline int finish(std::string_view benchmark, const std::vector<Result>& results, const Options& opt, bool same_work,
                  bool peer_ran) {
  std::printf("\n");
  print_table(results);
  if (!same_work) {
    std::fprintf(stderr, "the two sides did not do the same work: nothing recorded\n");
    return 1;
  }
  if (opt.write_results) {
    append_results(opt.results_dir, results);
    std::printf("\nappended to %s\n", (opt.results_dir / (std::string(benchmark) + ".json")).c_str());
  }
  return peer_ran ? 0 : 2;
}

/// main() of every benchmark: runs `run` and turns an exception into a message and status 1.
template <class Run>
int guarded_main(std::string_view benchmark, Run&& run) {
  try {
    return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(benchmark.size()), benchmark.data(), e.what());
    return 1;
  }
}

}  // namespace dapt::bench
