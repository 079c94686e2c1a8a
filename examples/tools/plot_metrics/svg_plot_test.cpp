/// @file svg_plot_test.cpp
/// @brief Checks of svg_plot.hpp, run by ctest. Without arguments: parsing of good and hostile
/// metrics (runs, resumes, skipped steps, every kind of bad line naming file:line), tick and label
/// formatting, and that the SVG drawn is well formed. With `--check-svg FILE [--min-polylines N]`:
/// that FILE (written by plot_metrics) is a well-formed SVG document with at least N polylines
/// whose coordinates are all finite numbers. Prints one line per failed check and a summary;
/// exits 1 on any failure.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tools/plot_metrics/svg_plot.hpp"

namespace {

int failures = 0;
int checks = 0;

void check(bool ok, const std::string& what) {
  ++checks;
  if (!ok) {
    ++failures;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

plot_metrics::Metrics parse(const std::string& text, plot_metrics::ParseOptions o = {}) {
  std::istringstream in(text);
  return plot_metrics::parse_metrics(in, "m.jsonl", o);
}

/// The message of the InputError that parsing `text` throws ("" when it parses).
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const plot_metrics::InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// Well-formedness of the SVG subset plot_metrics writes: an XML declaration, one <svg> root,
/// balanced tags, no stray '<' in text, quoted attributes, and finite numbers in every
/// polyline's points. Returns "" or the first problem; counts the polylines.
std::string check_svg(const std::string& s, std::size_t& polylines) {
  polylines = 0;
  if (s.rfind("<?xml", 0) != 0) return "does not start with an XML declaration";
  const auto root = s.find("<svg ");
  if (root == std::string::npos || !contains(s, "xmlns=\"http://www.w3.org/2000/svg\"")) return "no <svg> root with the SVG namespace";
  if (s.find("</svg>") == std::string::npos || s.find_last_not_of("\n") + 1 != s.rfind("</svg>") + 6) return "does not end with </svg>";
  std::vector<std::string> stack;
  std::size_t i = root;
  while (i < s.size()) {
    const auto lt = s.find('<', i);
    if (lt == std::string::npos) break;
    const auto gt = s.find('>', lt);
    if (gt == std::string::npos) return "unterminated tag at byte " + std::to_string(lt);
    const std::string tag = s.substr(lt + 1, gt - lt - 1);
    if (tag.find('<') != std::string::npos) return "'<' inside a tag at byte " + std::to_string(lt);
    std::size_t quotes = 0;
    for (char c : tag) quotes += c == '"';
    if (quotes % 2) return "unbalanced quotes in <" + tag.substr(0, 40) + ">";
    if (tag.rfind("/", 0) == 0) {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return "closing </" + name + "> does not match";
      stack.pop_back();
    } else if (!tag.empty() && tag.back() != '/') {
      stack.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
    if (tag.rfind("polyline", 0) == 0) {
      ++polylines;
      const auto p = tag.find("points=\"");
      if (p == std::string::npos) return "a polyline without points";
      std::istringstream pts(tag.substr(p + 8, tag.find('"', p + 8) - p - 8));
      std::string xy;
      std::size_t n = 0;
      while (pts >> xy) {
        const auto comma = xy.find(',');
        if (comma == std::string::npos) return "a polyline point without a comma: " + xy;
        char* end = nullptr;
        const double x = std::strtod(xy.c_str(), &end);
        const double y = std::strtod(xy.c_str() + comma + 1, &end);
        if (!std::isfinite(x) || !std::isfinite(y)) return "a non-finite polyline point: " + xy;
        ++n;
      }
      if (n < 2) return "a polyline with fewer than two points";
    }
    i = gt + 1;
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  for (const char* bad : {"\"nan", "nan\"", ",nan", "nan,", "\"-nan", "\"inf", "inf\"", ",inf", "inf,", "-inf"})
    if (contains(s, bad)) return std::string("a NaN or Inf in the document (") + bad + ")";
  return "";
}

void unit_checks() {
  using plot_metrics::InputError;
  // A normal run: eval before, train steps, a skipped one, an eval, a checkpoint.
  const std::string run1 =
      "{\"type\":\"eval\",\"step\":0,\"val_loss\":7.5,\"val_tokens\":100}\n"
      "{\"type\":\"train\",\"step\":1,\"loss\":7.4,\"lr\":0.003,\"grad_norm\":2.0,\"skipped\":false}\n"
      "{\"type\":\"train\",\"step\":2,\"loss\":null,\"lr\":0.003,\"grad_norm\":null,\"skipped\":true}\n"
      "\n"
      "{\"type\":\"train\",\"step\":3,\"loss\":6.9,\"lr\":0.003,\"skipped\":false}\n"
      "{\"type\":\"eval\",\"step\":3,\"val_loss\":7.0}\n"
      "{\"type\":\"checkpoint\",\"step\":3,\"path\":\"out/step-000003\"}\n"
      "{\"type\":\"train\",\"step\":4,\"loss\":6.5,\"lr\":0.003}\n"
      "{\"type\":\"train\",\"step\":5,\"loss\":6.2,\"lr\":0.003}\n"
      "{\"type\":\"note\",\"text\":\"other types are ignored\"}\n";
  {
    const auto m = parse(run1);
    check(m.train.size() == 5 && m.eval.size() == 2 && m.checkpoints.size() == 1, "run1: counts");
    check(m.runs.size() == 1, "run1: one run");
    check(m.skipped_steps() == 1 && std::isnan(m.train[1].loss), "run1: the null loss is a skipped step");
    check(m.other_lines == 1, "run1: other types counted");
    std::size_t polylines = 0;
    plot_metrics::PlotOptions titled;
    titled.title = "a <title> & more";
    const std::string svg = plot_metrics::render_svg(m, titled);
    const std::string problem = check_svg(svg, polylines);
    check(problem.empty(), "run1: SVG well formed: " + problem);
    check(polylines >= 3, "run1: train (two pieces around the gap), val and lr polylines");
    check(contains(svg, "a &lt;title&gt; &amp; more"), "run1: the title is escaped");
    check(contains(svg, "skipped step"), "run1: legend names skipped steps");
  }
  // A crash after step 5 with the last checkpoint at 3: the resumed run starts at step 3 again.
  {
    const std::string resumed = run1 +
                                "{\"type\":\"eval\",\"step\":3,\"val_loss\":7.0}\n"
                                "{\"type\":\"train\",\"step\":4,\"loss\":6.4,\"lr\":0.003}\n"
                                "{\"type\":\"train\",\"step\":5,\"loss\":6.1,\"lr\":0.003}\n"
                                "{\"type\":\"train\",\"step\":6,\"loss\":5.9,\"lr\":0.003}\n";
    const auto m = parse(resumed);
    check(m.runs.size() == 2 && m.runs[1].first_step == 3, "resume: a second run from step 3");
    check(m.train.back().run == 1, "resume: later points belong to run 2");
    std::size_t polylines = 0;
    const std::string svg = plot_metrics::render_svg(m);
    check(check_svg(svg, polylines).empty(), "resume: SVG well formed");
    check(contains(svg, "superseded"), "resume: the old run's steps 4-5 are drawn as superseded");
    check(contains(svg, "run 2"), "resume: the run start is labelled");
    plot_metrics::PlotOptions end_to_end;
    end_to_end.concat = true;
    const std::string cat = plot_metrics::render_svg(m, end_to_end);
    check(check_svg(cat, polylines).empty() && !contains(cat, "superseded"), "concat: SVG well formed, nothing superseded");
  }
  // A resume from the final checkpoint continues seamlessly: still one run.
  {
    const auto m = parse(run1 + "{\"type\":\"eval\",\"step\":5,\"val_loss\":6.4}\n{\"type\":\"train\",\"step\":6,\"loss\":6.0,\"lr\":0.003}\n");
    check(m.runs.size() == 1, "continuation: one run");
  }
  // A single point, constant lr, large steps: still drawable.
  {
    const auto m = parse("{\"type\":\"train\",\"step\":100000,\"loss\":2.5,\"lr\":5e-6}\n");
    std::size_t polylines = 0;
    const std::string svg = plot_metrics::render_svg(m);
    check(check_svg(svg, polylines).empty(), "one point: SVG well formed");
    check(contains(svg, "<circle"), "one point: drawn as a dot");
  }
  // Hostile input: each names file:line and the problem.
  struct Bad {
    std::string text, expect;
  };
  const std::vector<Bad> bad{
      {"", "m.jsonl: the file is empty"},
      {"\n\n", "m.jsonl: no \"train\" or \"eval\" lines"},
      {"{\"type\":\"note\"}\n", "no \"train\" or \"eval\" lines"},
      {"{\"type\":\"train\",\"step\":1,\"loss\":2}\nnot json\n", "m.jsonl:2: not valid JSON"},
      {"{\"type\":\"train\",\"step\":1,\"loss\":2}\n{\"type\":\"train\",\"step\":2,\"lo", "m.jsonl:2: not valid JSON"},
      {"[1,2]\n", "m.jsonl:1: expected a JSON object, got an array"},
      {"{\"step\":1,\"loss\":2}\n", "m.jsonl:1: the line has no \"type\" field"},
      {"{\"type\":3,\"step\":1}\n", "m.jsonl:1: field \"type\" must be a string"},
      {"{\"type\":\"train\",\"loss\":2}\n", "m.jsonl:1: a \"train\" line has no \"step\" field"},
      {"{\"type\":\"train\",\"step\":-4,\"loss\":2}\n", "m.jsonl:1: \"step\" must be a non-negative integer, got -4"},
      {"{\"type\":\"train\",\"step\":1.5,\"loss\":2}\n", "m.jsonl:1: \"step\" must be a non-negative integer"},
      {"{\"type\":\"train\",\"step\":\"7\",\"loss\":2}\n", "m.jsonl:1: \"step\" must be a non-negative integer, got \"7\""},
      {"{\"type\":\"train\",\"step\":1}\n", "m.jsonl:1: a \"train\" line has no \"loss\" field"},
      {"{\"type\":\"train\",\"step\":1,\"loss\":\"low\"}\n", "m.jsonl:1: field \"loss\" must be a number or null, got a string"},
      {"{\"type\":\"train\",\"step\":1,\"loss\":1,\"skipped\":1}\n", "m.jsonl:1: field \"skipped\" must be a boolean"},
      {"{\"type\":\"eval\",\"step\":1}\n", "m.jsonl:1: an \"eval\" line has no \"val_loss\" field"},
      {"{\"type\":\"train\",\"step\":1,\"loss\":2}\n\xff\xfe\n", "m.jsonl:2: not valid JSON"},
  };
  for (const auto& b : bad) {
    const std::string e = error_of(b.text);
    check(contains(e, b.expect), "hostile input gives \"" + b.expect + "\", got \"" + e + "\"");
  }
  // skip_bad_lines keeps the good lines and reports the bad one.
  {
    const auto m = parse("{\"type\":\"train\",\"step\":1,\"loss\":2}\n{\"type\":\"tra\n{\"type\":\"train\",\"step\":2,\"loss\":1}\n",
                         {.skip_bad_lines = true});
    check(m.train.size() == 2 && m.warnings.size() == 1 && contains(m.warnings[0], "m.jsonl:2:"), "skip_bad_lines");
  }
  // Ticks and labels.
  {
    const auto t = plot_metrics::nice_ticks(0.3, 7.7, 6);
    check(t.lo == 0 && t.hi == 8 && t.step == 2, "nice_ticks(0.3, 7.7)");
    const auto s = plot_metrics::nice_ticks(1, 40, 8, true);
    check(s.step == 5 && s.lo == 0 && s.hi == 40, "nice_ticks(1, 40) on integers");
    const auto one = plot_metrics::nice_ticks(3, 3, 6, true);
    check(one.hi > one.lo && one.step >= 1, "nice_ticks on one value");
    check(plot_metrics::format_tick(5e-6, 1e-6) == "5e-6", "format_tick(5e-6) = " + plot_metrics::format_tick(5e-6, 1e-6));
    check(plot_metrics::format_tick(2.5e-6, 5e-7) == "2.5e-6", "format_tick(2.5e-6) = " + plot_metrics::format_tick(2.5e-6, 5e-7));
    check(plot_metrics::format_tick(0.003, 0.001) == "0.003", "format_tick(0.003) = " + plot_metrics::format_tick(0.003, 0.001));
    check(plot_metrics::format_tick(40, 5) == "40", "format_tick(40)");
    check(plot_metrics::format_tick(7.5, 0.5) == "7.5", "format_tick(7.5)");
  }
  // A long run is thinned to about two points per pixel column.
  {
    std::string text;
    for (int i = 1; i <= 20000; ++i)
      text += "{\"type\":\"train\",\"step\":" + std::to_string(i) + ",\"loss\":" + std::to_string(3.0 + std::sin(i * 0.37)) +
              ",\"lr\":0.0001}\n";
    const std::string svg = plot_metrics::render_svg(parse(text));
    std::size_t polylines = 0;
    check(check_svg(svg, polylines).empty(), "20000 steps: SVG well formed");
    check(svg.size() < 200000, "20000 steps: thinned to " + std::to_string(svg.size()) + " bytes");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--check-svg") {
    std::size_t min_polylines = 1;
    if (argc >= 5 && std::string(argv[3]) == "--min-polylines") min_polylines = std::stoul(argv[4]);
    std::ifstream in(argv[2], std::ios::binary);
    if (!in) {
      std::printf("FAILED: cannot open %s\n", argv[2]);
      return 1;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::size_t polylines = 0;
    const std::string problem = check_svg(ss.str(), polylines);
    if (!problem.empty() || polylines < min_polylines) {
      std::printf("FAILED: %s: %s (%zu polylines, at least %zu expected)\n", argv[2], problem.empty() ? "too few polylines" : problem.c_str(),
                  polylines, min_polylines);
      return 1;
    }
    std::printf("svg ok: %s, %zu bytes, %zu polylines\n", argv[2], ss.str().size(), polylines);
    return 0;
  }
  unit_checks();
  std::printf("plot_metrics checks: %d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
