/// @file metrics_test.cpp
/// @brief Tests of dapt/core/metrics.hpp: lines written and read back from a temporary file,
/// append and truncate modes, repair of a torn last line, JSON string escaping (including
/// malformed UTF-8), NaN and infinities as null, exact round trip of doubles, and I/O errors.
#include "dapt/core/metrics.hpp"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dapt_catch.hpp"

#if !defined(_WIN32)
#include <unistd.h>
#endif

namespace fs = std::filesystem;

namespace {

/// A fresh directory under the system temp dir, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    static int serial = 0;  // test-local, not in a header
    path_ = fs::temp_directory_path() /
            ("dapt_metrics_test_" + std::to_string(::getpid()) + "_" + std::to_string(serial++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string json(std::string_view s) {
  std::string out;
  dapt::append_json_string(out, s);
  return out;
}

std::string value_json(const dapt::MetricValue& v) {
  std::string out;
  v.append_json(out);
  return out;
}

}  // namespace

TEST_CASE("MetricsLogger writes one JSON object per line, fields in order", "[core][metrics]") {
  TempDir dir;
  const fs::path file = dir.path() / "metrics.jsonl";
  {
    dapt::MetricsLogger log(file);
    log.log({{"step", 3}, {"loss", 2.5}, {"tag", "x"}});
    log.log({{"step", 4}, {"loss", 2.25}, {"lr", 3e-4}, {"nan_step", false}, {"tokens", std::uint64_t{4096}}});
    log.log({{"zeta", 1}, {"alpha", 2}});  // order as given, not sorted
    // Each line is on disk as soon as log returns (flushed), before the logger closes.
    CHECK(read_lines(file).size() == 3);
  }
  const auto lines = read_lines(file);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == R"({"step":3,"loss":2.5,"tag":"x"})");
  // to_chars picks the shortest exact form; "3e-04" is valid JSON (leading zeros are allowed in
  // an exponent) and reads back as 0.0003.
  CHECK(lines[1] == R"({"step":4,"loss":2.25,"lr":3e-04,"nan_step":false,"tokens":4096})");
  CHECK(lines[2] == R"({"zeta":1,"alpha":2})");
  CHECK(read_all(file).back() == '\n');
}

TEST_CASE("MetricsLogger appends by default and truncates on request", "[core][metrics]") {
  TempDir dir;
  const fs::path file = dir.path() / "m.jsonl";
  { dapt::MetricsLogger(file).log({{"step", 1}}); }
  { dapt::MetricsLogger(file).log({{"step", 2}}); }
  CHECK(read_lines(file) == std::vector<std::string>{R"({"step":1})", R"({"step":2})"});
  { dapt::MetricsLogger(file, /*append=*/false).log({{"step", 3}}); }
  CHECK(read_lines(file) == std::vector<std::string>{R"({"step":3})"});
}

TEST_CASE("MetricsLogger isolates a line torn by a crash", "[core][metrics]") {
  TempDir dir;
  const fs::path file = dir.path() / "torn.jsonl";
  {
    std::ofstream out(file, std::ios::binary);
    out << "{\"step\":1}\n{\"step\":2,\"lo";  // the process died mid-line
  }
  { dapt::MetricsLogger(file).log({{"step", 3}}); }
  CHECK(read_all(file) == "{\"step\":1}\n{\"step\":2,\"lo\n{\"step\":3}\n");
}

TEST_CASE("MetricsLogger accepts fields built at run time", "[core][metrics]") {
  std::vector<dapt::MetricField> fields;
  fields.push_back({"step", 7});
  fields.push_back({"name", std::string("run-1")});
  fields.push_back({"ratio", 0.5f});
  CHECK(dapt::MetricsLogger::format_line(fields) == R"({"step":7,"name":"run-1","ratio":0.5})");
  CHECK(dapt::MetricsLogger::format_line({}) == "{}");
  REQUIRE_DAPT_ERROR(dapt::MetricsLogger::format_line({{"a", 1}, {"b", 2}, {"a", 3}}), kInvalidArgument,
                     "\"a\" appears twice");
}

TEST_CASE("JSON strings are escaped", "[core][metrics]") {
  CHECK(json("plain") == R"("plain")");
  CHECK(json("say \"hi\"") == R"("say \"hi\"")");
  CHECK(json("C:\\path\\x") == R"("C:\\path\\x")");
  CHECK(json("a\nb\tc\rd\be\ff") == R"("a\nb\tc\rd\be\ff")");
  CHECK(json(std::string_view("\x00\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
  CHECK(json("\x7f") == "\"\x7f\"");  // DEL is legal in JSON strings
  CHECK(json("/") == R"("/")");  // no need to escape the solidus
  // Valid UTF-8 passes through unchanged: 2-, 3- and 4-byte sequences.
  CHECK(json("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80") == "\"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80\"");
  CHECK(json("\xef\xbf\xbf\xf4\x8f\xbf\xbf") == "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");  // U+FFFF, U+10FFFF
  // Malformed UTF-8: one replacement character per bad byte, so the line stays valid JSON.
  CHECK(json("a\xff" "b") == R"("a\ufffdb")");
  CHECK(json("\x80") == R"("\ufffd")");                           // stray continuation byte
  CHECK(json("\xe2\x82") == R"("\ufffd\ufffd")");                 // truncated sequence
  CHECK(json("\xc0\xaf") == R"("\ufffd\ufffd")");                 // overlong '/'
  CHECK(json("\xe0\x80\xaf") == R"("\ufffd\ufffd\ufffd")");       // overlong 3-byte form
  CHECK(json("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");       // UTF-16 surrogate D800
  CHECK(json("\xf4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  // Field names are escaped too.
  CHECK(dapt::MetricsLogger::format_line({{"a\"b", 1}}) == R"({"a\"b":1})");
}

TEST_CASE("Non-finite doubles are written as null", "[core][metrics]") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(dapt::MetricsLogger::format_line({{"loss", std::nan("")}, {"g", inf}, {"h", -inf},
                                          {"f", std::numeric_limits<float>::quiet_NaN()}}) ==
        R"({"loss":null,"g":null,"h":null,"f":null})");
}

TEST_CASE("Numbers keep their type and doubles round-trip exactly", "[core][metrics]") {
  CHECK(value_json(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
  CHECK(value_json(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
  CHECK(value_json(true) == "true");
  CHECK(value_json(2.0) == "2.0");  // stays a float for type-inferring readers
  CHECK(value_json(-0.0) == "-0.0");
  CHECK(value_json(0.1f) == "0.1");  // float precision, not 0.10000000149011612
  CHECK(value_json(1e22) == "1e+22");
  CHECK(dapt::MetricValue(3).kind() == dapt::MetricValue::Kind::kInt);
  CHECK(dapt::MetricValue("s").kind() == dapt::MetricValue::Kind::kString);  // not bool

  std::vector<double> values = {0.1,     1.0 / 3.0, 2.5e-4, 123456789.123456789, 1e-300, 5e-324,
                                2.2250738585072014e-308, std::numeric_limits<double>::max(),
                                -7.0e15, 9007199254740993.0, 3.141592653589793};
  std::mt19937_64 gen(12345);
  while (values.size() < 2000) {
    double d;
    const std::uint64_t bits = gen();
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) values.push_back(d);
  }
  for (double d : values) {
    const std::string text = value_json(d);
    char* end = nullptr;
    const double back = std::strtod(text.c_str(), &end);
    INFO(text);
    CHECK(*end == '\0');
    CHECK(std::memcmp(&back, &d, sizeof d) == 0);
  }
  for (float f : {0.1f, 1.0f / 3.0f, 3.4e38f, 1e-45f, 16777217.0f}) {
    const std::string text = value_json(f);
    INFO(text);
    CHECK(std::strtof(text.c_str(), nullptr) == f);
  }
}

TEST_CASE("MetricsLogger reports files it cannot open", "[core][metrics]") {
  TempDir dir;
  const fs::path missing = dir.path() / "no_such_dir" / "m.jsonl";
  REQUIRE_DAPT_ERROR(dapt::MetricsLogger(missing), kIo, missing.string());
  REQUIRE_DAPT_ERROR(dapt::MetricsLogger(missing), kIo, std::strerror(ENOENT));
  // A directory is not a writable file.
  REQUIRE_DAPT_ERROR(dapt::MetricsLogger(dir.path()), kIo, dir.path().string());
  REQUIRE_DAPT_ERROR(dapt::MetricsLogger(dir.path(), false), kIo, "cannot open metrics file");

  dapt::MetricsLogger a(dir.path() / "moved.jsonl");
  dapt::MetricsLogger b(std::move(a));
  b.log({{"ok", true}});
  REQUIRE_DAPT_ERROR(a.log({{"step", 1}}), kIo, "closed");  // NOLINT(bugprone-use-after-move)
}

#if defined(__linux__)
TEST_CASE("MetricsLogger reports a failed write", "[core][metrics]") {
  // /dev/full accepts the open and fails every write with ENOSPC, like a full disk.
  if (!fs::exists("/dev/full")) return;
  dapt::MetricsLogger log("/dev/full", false);
  REQUIRE_DAPT_ERROR(log.log({{"step", 1}}), kIo, "/dev/full");
}
#endif

TEST_CASE("MetricsLogger lines never interleave across threads", "[core][metrics]") {
  TempDir dir;
  const fs::path file = dir.path() / "mt.jsonl";
  {
    dapt::MetricsLogger log(file);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 500; ++i) log.log({{"thread", t}, {"i", i}, {"pad", std::string(100, 'x')}});
      });
    }
    for (auto& th : threads) th.join();
  }
  const auto lines = read_lines(file);
  REQUIRE(lines.size() == 2000);
  int bad = 0;
  for (const auto& l : lines) {
    bad += (l.rfind("{\"thread\":", 0) == 0 && l.back() == '}' && l.size() > 100) ? 0 : 1;
  }
  CHECK(bad == 0);
}
