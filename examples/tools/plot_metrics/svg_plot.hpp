/// @file svg_plot.hpp
/// @brief The reusable half of tools/plot_metrics: reading the JSON Lines metrics that
/// train::Trainer writes (dapt/core/metrics.hpp) into series, and drawing them as a standalone
/// SVG with no plotting library. Kept in a header so that a test includes it.
///
/// Input: one JSON object per line. `{"type":"train","step":N,"loss":X|null,"lr":Y,...}` lines
/// give the training loss and learning rate (a null or non-finite loss, or "skipped":true, is a
/// skipped step: a gap in the curve and a red cross); `{"type":"eval","step":N,"val_loss":X}`
/// lines the validation loss; `{"type":"checkpoint","step":N}` lines a marker. Lines of other
/// types are counted and ignored; blank lines are ignored. Several runs may be appended to one
/// file (the Trainer appends): a step that goes backwards (or a training step that repeats)
/// starts a new run. A run resumed from a checkpoint carries on the step count, so it is drawn
/// as a continuation on the same step axis; where it restarts below steps an earlier run had
/// already logged (a crash after the last checkpoint, or a fresh run), the earlier run's points
/// from there on are superseded and drawn dashed and faded. `PlotOptions::concat` instead lays
/// independent runs end to end.
///
/// Output: two panels sharing the step axis: loss (train and validation) above, learning rate
/// below; ticks at 1-2-5 steps, grid, axis titles, legends, run-start lines.
///
/// Errors: anything that is not such a file (not JSON, not an object, a missing or mistyped
/// field, a negative step, an empty file) throws `InputError` whose message starts with
/// "file:line: " (or "file: " for the file as a whole); nothing is drawn from a bad file unless
/// `ParseOptions::skip_bad_lines` asks to skip bad lines with a warning.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

namespace plot_metrics {

/// A metrics file that cannot be plotted; what() is "file:line: reason" or "file: reason".
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what, std::size_t line = 0) : std::runtime_error(what), line_(line) {}
  /// The 1-based line at fault, or 0 when the problem is the file as a whole.
  std::size_t line() const noexcept { return line_; }

 private:
  std::size_t line_ = 0;
};

struct ParseOptions {
  /// Skip lines that are not valid metrics lines (a line cut short by a crash, say) with a
  /// warning each, instead of failing on the first.
  bool skip_bad_lines = false;
};

struct TrainPoint {
  std::int64_t step = 0;
  double loss = 0;        ///< NaN for a skipped step
  double lr = 0;          ///< NaN when the line has none
  bool skipped = false;   ///< "skipped": true, or a null / non-finite loss
  int run = 0;
  std::size_t line = 0;   ///< 1-based line in the file
};

struct EvalPoint {
  std::int64_t step = 0;
  double val_loss = 0;    ///< NaN when null
  int run = 0;
  std::size_t line = 0;
};

struct CheckpointPoint {
  std::int64_t step = 0;
  int run = 0;
};

/// One stretch of the file whose steps only go forward.
struct Run {
  std::int64_t first_step = 0;
  std::int64_t last_step = 0;
  std::size_t first_line = 0;
};

struct Metrics {
  std::string source;                  ///< the file name used in messages
  std::vector<TrainPoint> train;
  std::vector<EvalPoint> eval;
  std::vector<CheckpointPoint> checkpoints;
  std::vector<Run> runs;
  std::size_t lines = 0;               ///< non-blank lines read
  std::size_t other_lines = 0;         ///< lines of other types, ignored
  std::vector<std::string> warnings;   ///< bad lines skipped under skip_bad_lines

  std::size_t skipped_steps() const {
    return static_cast<std::size_t>(std::count_if(train.begin(), train.end(), [](const TrainPoint& p) { return p.skipped; }));
  }
};

namespace detail {

inline std::string shorten(std::string_view s, std::size_t n = 60) {
  std::string out;
  for (char c : s.substr(0, n)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  if (s.size() > n) out += "...";
  return out;
}

inline const char* kind_name(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
  }
  return "?";
}

/// A number field that may be null (NaN) or absent (nullopt).
inline std::optional<double> number_field(const boost::json::object& o, std::string_view key, const std::string& where) {
  const boost::json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (v->is_number()) return v->to_number<double>();
  throw InputError(where + "field \"" + std::string(key) + "\" must be a number or null, got " + kind_name(*v));
}

inline std::int64_t step_field(const boost::json::object& o, const std::string& type, const std::string& where) {
  const boost::json::value* v = o.if_contains("step");
  if (!v) throw InputError(where + "a \"" + type + "\" line has no \"step\" field");
  if (v->is_int64() && v->get_int64() >= 0) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) {
    const double d = v->get_double();
    if (d >= 0 && d < 9e18 && d == std::floor(d)) return static_cast<std::int64_t>(d);
  }
  throw InputError(where + "\"step\" must be a non-negative integer, got " +
                   (v->is_number() || v->is_string() ? boost::json::serialize(*v) : std::string(kind_name(*v))));
}

}  // namespace detail

/// Reads metrics from `in`; `source` names it in messages.
inline Metrics parse_metrics(std::istream& in, const std::string& source, const ParseOptions& options = {}) {
  Metrics m;
  m.source = source;
  std::string text;
  std::size_t line_no = 0;
  std::int64_t prev_step = -1, prev_train_step = -1;  // -1: none yet in this run
  bool any_bytes = false;
  while (std::getline(in, text)) {
    ++line_no;
    any_bytes = true;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    ++m.lines;
    const std::string where = source + ":" + std::to_string(line_no) + ": ";
    try {
      boost::system::error_code ec;
      const boost::json::value v = boost::json::parse(text, ec);
      if (ec) throw InputError(where + "not valid JSON (" + ec.message() + "): " + detail::shorten(text));
      if (!v.is_object()) throw InputError(where + "expected a JSON object, got " + detail::kind_name(v));
      const boost::json::object& o = v.get_object();
      const boost::json::value* type_v = o.if_contains("type");
      if (!type_v) throw InputError(where + "the line has no \"type\" field (expected \"train\", \"eval\" or \"checkpoint\")");
      if (!type_v->is_string()) throw InputError(where + "field \"type\" must be a string, got " + detail::kind_name(*type_v));
      const std::string type(type_v->get_string());
      if (type != "train" && type != "eval" && type != "checkpoint") {
        ++m.other_lines;
        continue;
      }
      const std::int64_t step = detail::step_field(o, type, where);
      // Parse every field before touching `m`, so a bad line leaves nothing behind when skipped.
      TrainPoint tp;
      EvalPoint ep;
      if (type == "train") {
        const auto loss = detail::number_field(o, "loss", where);
        if (!loss) throw InputError(where + "a \"train\" line has no \"loss\" field");
        tp.loss = *loss;
        tp.lr = detail::number_field(o, "lr", where).value_or(std::numeric_limits<double>::quiet_NaN());
        bool flagged = false;
        if (const auto* s = o.if_contains("skipped")) {
          if (!s->is_bool()) throw InputError(where + "field \"skipped\" must be a boolean, got " + detail::kind_name(*s));
          flagged = s->get_bool();
        }
        tp.skipped = flagged || !std::isfinite(tp.loss);
        if (tp.skipped) tp.loss = std::numeric_limits<double>::quiet_NaN();
      } else if (type == "eval") {
        const auto val = detail::number_field(o, "val_loss", where);
        if (!val) throw InputError(where + "an \"eval\" line has no \"val_loss\" field");
        ep.val_loss = std::isfinite(*val) ? *val : std::numeric_limits<double>::quiet_NaN();
      }

      // A step below the last one, or a training step that repeats, starts a new run.
      const bool new_run = m.runs.empty() || step < prev_step || (type == "train" && step <= prev_train_step);
      if (new_run) {
        m.runs.push_back({step, step, line_no});
        prev_train_step = -1;
      }
      const int run = static_cast<int>(m.runs.size()) - 1;
      m.runs.back().last_step = std::max(m.runs.back().last_step, step);
      prev_step = step;
      if (type == "train") {
        tp.step = step;
        tp.run = run;
        tp.line = line_no;
        m.train.push_back(tp);
        prev_train_step = step;
      } else if (type == "eval") {
        ep.step = step;
        ep.run = run;
        ep.line = line_no;
        m.eval.push_back(ep);
      } else {
        m.checkpoints.push_back({step, run});
      }
    } catch (const InputError& e) {
      if (!options.skip_bad_lines) throw InputError(e.what(), line_no);
      m.warnings.push_back(std::string("skipped ") + e.what());
    }
  }
  if (in.bad()) throw InputError(source + ": read error");
  if (!any_bytes) throw InputError(source + ": the file is empty (no metrics lines)");
  if (m.train.empty() && m.eval.empty())
    throw InputError(source + ": no \"train\" or \"eval\" lines among " + std::to_string(m.lines) +
                     " non-blank lines; is this a metrics file written by dapt::train::Trainer?");
  return m;
}

/// Reads the metrics file at `path`; an unreadable file is InputError naming it.
inline Metrics read_metrics(const std::filesystem::path& path, const ParseOptions& options = {}) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path.string() + ": is a directory, not a metrics file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open: " + std::strerror(errno));
  return parse_metrics(in, path.string(), options);
}

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

struct PlotOptions {
  std::string title;        ///< empty: "training metrics"
  int width = 960;
  int height = 660;
  /// Lay runs end to end (x = step + the previous runs' last steps) instead of on one step axis.
  bool concat = false;
};

/// Ticks at 1, 2 or 5 times a power of ten covering [lo, hi] with about `target` intervals.
struct Ticks {
  double lo = 0, hi = 1, step = 1;
  std::vector<double> values;
};

inline Ticks nice_ticks(double lo, double hi, int target = 6, bool integer = false) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double f : {1.0, 2.0, 5.0, 10.0}) {
    step = f * mag;
    if (step >= raw) break;
  }
  if (integer) step = std::max(1.0, std::round(step));
  Ticks t;
  t.step = step;
  t.lo = std::floor(lo / step + 1e-9) * step;
  t.hi = std::ceil(hi / step - 1e-9) * step;
  if (t.hi <= t.lo) t.hi = t.lo + step;
  for (double v = t.lo; v <= t.hi + step * 1e-6; v += step) t.values.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

/// A tick label: plain for ordinary magnitudes, "5e-6" style for small or large ones.
inline std::string format_tick(double v, double step) {
  if (v == 0) return "0";
  char buf[64];
  const double av = std::abs(v);
  if (av >= 1e-3 && av < 1e6) {
    const int decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 6);
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
  }
  const int exp10 = static_cast<int>(std::floor(std::log10(av)));
  const double mant = v / std::pow(10.0, exp10);
  const int digits = std::clamp(exp10 - static_cast<int>(std::floor(std::log10(step) + 1e-9)), 0, 3);
  std::snprintf(buf, sizeof buf, "%.*fe%d", digits, mant, exp10);
  return buf;
}

/// `s` with &, <, >, " and ' escaped for XML text and attributes.
inline std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += (static_cast<unsigned char>(c) < 0x20 && c != '\t') ? ' ' : c;
    }
  }
  return out;
}

namespace detail {

inline std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

/// One rectangle of the figure with its data ranges.
struct Panel {
  double left = 0, top = 0, width = 0, height = 0;
  Ticks x, y;
  double px(double v) const { return left + (v - x.lo) / (x.hi - x.lo) * width; }
  double py(double v) const { return top + height - (v - y.lo) / (y.hi - y.lo) * height; }
};

struct Svg {
  std::string out;
  void line(double x1, double y1, double x2, double y2, std::string_view style) {
    out += "<line x1=\"" + fmt(x1) + "\" y1=\"" + fmt(y1) + "\" x2=\"" + fmt(x2) + "\" y2=\"" + fmt(y2) + "\" " +
           std::string(style) + "/>\n";
  }
  void text(double x, double y, std::string_view s, std::string_view attrs) {
    out += "<text x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" " + std::string(attrs) + ">" + xml_escape(s) + "</text>\n";
  }
  /// A polyline through `pts` (pixel coordinates); fewer than two points draw nothing.
  void polyline(const std::vector<std::pair<double, double>>& pts, std::string_view style) {
    if (pts.size() < 2) return;
    out += "<polyline fill=\"none\" " + std::string(style) + " points=\"";
    for (std::size_t i = 0; i < pts.size(); ++i) {
      if (i) out += ' ';
      out += fmt(pts[i].first) + "," + fmt(pts[i].second);
    }
    out += "\"/>\n";
  }
};

/// Keeps a long series drawable: at most two points (the lowest and highest, in order) per pixel
/// column, which preserves the envelope of a noisy loss curve.
inline std::vector<std::pair<double, double>> thin(const std::vector<std::pair<double, double>>& pts) {
  if (pts.size() < 4000) return pts;
  std::vector<std::pair<double, double>> out;
  std::size_t i = 0;
  while (i < pts.size()) {
    const double col = std::floor(pts[i].first);
    std::size_t j = i, lo = i, hi = i;
    while (j < pts.size() && std::floor(pts[j].first) == col) {
      if (pts[j].second > pts[lo].second) lo = j;  // pixel y grows downwards: the lowest value
      if (pts[j].second < pts[hi].second) hi = j;
      ++j;
    }
    out.push_back(pts[std::min(lo, hi)]);
    if (lo != hi) out.push_back(pts[std::max(lo, hi)]);
    i = j;
  }
  return out;
}

inline void draw_axes(Svg& svg, const Panel& p, std::string_view y_title, bool x_labels) {
  svg.out += "<rect x=\"" + fmt(p.left) + "\" y=\"" + fmt(p.top) + "\" width=\"" + fmt(p.width) + "\" height=\"" +
             fmt(p.height) + "\" fill=\"#ffffff\" stroke=\"#444444\" stroke-width=\"1\"/>\n";
  for (double v : p.y.values) {
    const double y = p.py(v);
    svg.line(p.left, y, p.left + p.width, y, "stroke=\"#e4e4e4\" stroke-width=\"1\"");
    svg.line(p.left - 5, y, p.left, y, "stroke=\"#444444\" stroke-width=\"1\"");
    svg.text(p.left - 8, y + 4, format_tick(v, p.y.step), "text-anchor=\"end\" font-size=\"12\"");
  }
  for (double v : p.x.values) {
    const double x = p.px(v);
    svg.line(x, p.top, x, p.top + p.height, "stroke=\"#efefef\" stroke-width=\"1\"");
    svg.line(x, p.top + p.height, x, p.top + p.height + 5, "stroke=\"#444444\" stroke-width=\"1\"");
    if (x_labels) svg.text(x, p.top + p.height + 19, format_tick(v, p.x.step), "text-anchor=\"middle\" font-size=\"12\"");
  }
  const double cy = p.top + p.height / 2;
  svg.text(p.left - 58, cy, y_title,
           "text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 " + fmt(p.left - 58) + " " + fmt(cy) + ")\"");
}

struct LegendEntry {
  std::string label;
  std::string kind;  // "line", "dashed", "marker-circle", "cross", "triangle", "vline"
  std::string color;
};

inline void draw_legend(Svg& svg, const Panel& p, const std::vector<LegendEntry>& entries) {
  if (entries.empty()) return;
  std::size_t longest = 0;
  for (const auto& e : entries) longest = std::max(longest, e.label.size());
  const double w = 44 + 6.8 * static_cast<double>(longest), h = 8 + 18.0 * static_cast<double>(entries.size());
  const double x0 = p.left + p.width - w - 10, y0 = p.top + 10;
  svg.out += "<rect x=\"" + fmt(x0) + "\" y=\"" + fmt(y0) + "\" width=\"" + fmt(w) + "\" height=\"" + fmt(h) +
             "\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#bbbbbb\" stroke-width=\"1\"/>\n";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const double y = y0 + 16 + 18.0 * static_cast<double>(i), x = x0 + 8;
    const std::string stroke = "stroke=\"" + e.color + "\" stroke-width=\"2\"";
    if (e.kind == "line") svg.line(x, y - 4, x + 24, y - 4, stroke);
    else if (e.kind == "dashed") svg.line(x, y - 4, x + 24, y - 4, stroke + " stroke-dasharray=\"5,3\" stroke-opacity=\"0.6\"");
    else if (e.kind == "vline") svg.line(x + 12, y - 11, x + 12, y + 3, "stroke=\"" + e.color + "\" stroke-width=\"1\" stroke-dasharray=\"2,3\"");
    else if (e.kind == "marker-circle") {
      svg.line(x, y - 4, x + 24, y - 4, stroke);
      svg.out += "<circle cx=\"" + fmt(x + 12) + "\" cy=\"" + fmt(y - 4) + "\" r=\"3.5\" fill=\"" + e.color + "\"/>\n";
    } else if (e.kind == "cross") {
      svg.out += "<path d=\"M" + fmt(x + 8) + "," + fmt(y - 8) + " L" + fmt(x + 16) + "," + fmt(y) + " M" + fmt(x + 8) + "," +
                 fmt(y) + " L" + fmt(x + 16) + "," + fmt(y - 8) + "\" " + stroke + "/>\n";
    } else if (e.kind == "triangle") {
      svg.out += "<path d=\"M" + fmt(x + 12) + "," + fmt(y - 9) + " L" + fmt(x + 17) + "," + fmt(y) + " L" + fmt(x + 7) + "," +
                 fmt(y) + " Z\" fill=\"" + e.color + "\"/>\n";
    }
    svg.text(x + 32, y, e.label, "font-size=\"12\"");
  }
}

}  // namespace detail

/// The figure as a standalone SVG document.
inline std::string render_svg(const Metrics& m, const PlotOptions& opt = {}) {
  using detail::fmt;
  const std::size_t runs = std::max<std::size_t>(1, m.runs.size());

  // x of each run: the step, plus the earlier runs' lengths when laid end to end.
  std::vector<double> offset(runs, 0.0);
  if (opt.concat)
    for (std::size_t r = 1; r < runs; ++r)
      offset[r] = offset[r - 1] + static_cast<double>(m.runs[r - 1].last_step) - static_cast<double>(m.runs[r].first_step);
  auto x_of = [&](std::int64_t step, int run) { return static_cast<double>(step) + offset[static_cast<std::size_t>(run)]; };
  // A point of run r is superseded when a later run restarted below its step (not when concat).
  std::vector<double> cut(runs, std::numeric_limits<double>::infinity());
  if (!opt.concat)
    for (std::size_t r = runs - 1; r-- > 0;)
      cut[r] = std::min(cut[r + 1], static_cast<double>(m.runs[r + 1].first_step));
  auto superseded = [&](std::int64_t step, int run) { return static_cast<double>(step) > cut[static_cast<std::size_t>(run)]; };

  // Data ranges.
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, lmin = xmin, lmax = -xmin, lrmax = 0;
  bool any_lr = false;
  for (const auto& p : m.train) {
    xmin = std::min(xmin, x_of(p.step, p.run));
    xmax = std::max(xmax, x_of(p.step, p.run));
    if (std::isfinite(p.loss)) lmin = std::min(lmin, p.loss), lmax = std::max(lmax, p.loss);
    if (std::isfinite(p.lr)) lrmax = std::max(lrmax, p.lr), any_lr = true;
  }
  for (const auto& p : m.eval) {
    xmin = std::min(xmin, x_of(p.step, p.run));
    xmax = std::max(xmax, x_of(p.step, p.run));
    if (std::isfinite(p.val_loss)) lmin = std::min(lmin, p.val_loss), lmax = std::max(lmax, p.val_loss);
  }
  if (!std::isfinite(xmin)) xmin = 0, xmax = 1;
  if (!std::isfinite(lmin)) lmin = 0, lmax = 1;
  const double lpad = (lmax - lmin) * 0.04;

  const double W = opt.width, H = opt.height;
  const double left = 84, right = 24;
  detail::Panel loss_p{left, 58, W - left - right, H * 0.52, nice_ticks(xmin, xmax, 8, true), nice_ticks(lmin - lpad, lmax + lpad, 6)};
  detail::Panel lr_p{left, loss_p.top + loss_p.height + 46, W - left - right, H - (loss_p.top + loss_p.height + 46) - 52,
                     loss_p.x, nice_ticks(0, any_lr && lrmax > 0 ? lrmax * 1.05 : 1, 4)};

  detail::Svg svg;
  svg.out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg.out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(opt.width) + "\" height=\"" +
             std::to_string(opt.height) + "\" viewBox=\"0 0 " + std::to_string(opt.width) + " " + std::to_string(opt.height) +
             "\" font-family=\"Helvetica, Arial, sans-serif\">\n";
  svg.out += "<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\n";
  const std::string title = opt.title.empty() ? "training metrics" : opt.title;
  svg.text(W / 2, 24, title, "text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\"");
  {
    std::size_t finite_val = 0;
    for (const auto& e : m.eval) finite_val += std::isfinite(e.val_loss) ? 1 : 0;
    char sub[256];
    std::snprintf(sub, sizeof sub, "%zu training steps in %zu run%s%s, %zu skipped, %zu validation points, %zu checkpoints",
                  m.train.size(), m.runs.size(), m.runs.size() == 1 ? "" : "s", opt.concat ? " (laid end to end)" : "",
                  m.skipped_steps(), finite_val, m.checkpoints.size());
    svg.text(W / 2, 42, sub, "text-anchor=\"middle\" font-size=\"12\" fill=\"#555555\"");
  }

  detail::draw_axes(svg, loss_p, "loss", true);
  detail::draw_axes(svg, lr_p, "learning rate", true);
  svg.text(lr_p.left + lr_p.width / 2, lr_p.top + lr_p.height + 40, opt.concat ? "step (runs end to end)" : "step",
           "text-anchor=\"middle\" font-size=\"13\"");

  const std::string kTrain = "#1f77b4", kVal = "#ff7f0e", kLr = "#2ca02c", kSkip = "#d62728", kCkpt = "#7f7f7f";
  auto style = [](const std::string& color, bool faded) {
    return "stroke=\"" + color + "\" stroke-width=\"" + (faded ? "1.2" : "1.6") + "\"" +
           (faded ? " stroke-dasharray=\"5,3\" stroke-opacity=\"0.55\"" : "");
  };

  // Run starts (after the first): a dotted vertical line in both panels.
  for (std::size_t r = 1; r < m.runs.size(); ++r) {
    const double x = opt.concat ? x_of(m.runs[r].first_step, static_cast<int>(r)) : static_cast<double>(m.runs[r].first_step);
    for (const detail::Panel* p : {&loss_p, &lr_p})
      svg.line(p->px(x), p->top, p->px(x), p->top + p->height, "stroke=\"#555555\" stroke-width=\"1\" stroke-dasharray=\"2,3\"");
    svg.text(loss_p.px(x) + 3, loss_p.top + 12, "run " + std::to_string(r + 1), "font-size=\"10\" fill=\"#555555\"");
  }

  // A series of points split into polylines at gaps (NaN), run changes and superseded stretches.
  struct Pt {
    double x, y;
    int run;
    bool faded;
  };
  auto draw_series = [&](const std::vector<Pt>& pts, const detail::Panel& p, const std::string& color) {
    std::vector<std::pair<double, double>> cur;
    bool cur_faded = false;
    int cur_run = -1;
    auto flush = [&]() {
      svg.polyline(detail::thin(cur), style(color, cur_faded));
      cur.clear();
    };
    for (const auto& q : pts) {
      if (!std::isfinite(q.y)) {
        flush();
        continue;
      }
      if (!cur.empty() && (q.run != cur_run || q.faded != cur_faded)) flush();
      cur_run = q.run;
      cur_faded = q.faded;
      cur.emplace_back(p.px(q.x), p.py(q.y));
    }
    flush();
  };

  std::vector<Pt> train_pts, lr_pts, val_pts;
  for (const auto& t : m.train) {
    const bool faded = superseded(t.step, t.run);
    train_pts.push_back({x_of(t.step, t.run), t.loss, t.run, faded});
    lr_pts.push_back({x_of(t.step, t.run), t.lr, t.run, faded});
  }
  for (const auto& e : m.eval) val_pts.push_back({x_of(e.step, e.run), e.val_loss, e.run, superseded(e.step, e.run)});
  draw_series(train_pts, loss_p, kTrain);
  draw_series(val_pts, loss_p, kVal);
  for (const auto& q : val_pts) {
    if (!std::isfinite(q.y)) continue;
    svg.out += "<circle cx=\"" + fmt(loss_p.px(q.x)) + "\" cy=\"" + fmt(loss_p.py(q.y)) + "\" r=\"3.5\" fill=\"" + kVal + "\"" +
               (q.faded ? " fill-opacity=\"0.45\"" : "") + "/>\n";
  }
  // A lone finite training point (one step, or between two skipped ones) still shows as a dot.
  for (std::size_t i = 0; i < train_pts.size(); ++i) {
    const auto& q = train_pts[i];
    if (!std::isfinite(q.y)) continue;
    const bool before = i > 0 && std::isfinite(train_pts[i - 1].y) && train_pts[i - 1].run == q.run;
    const bool after = i + 1 < train_pts.size() && std::isfinite(train_pts[i + 1].y) && train_pts[i + 1].run == q.run;
    if (!before && !after)
      svg.out += "<circle cx=\"" + fmt(loss_p.px(q.x)) + "\" cy=\"" + fmt(loss_p.py(q.y)) + "\" r=\"2\" fill=\"" + kTrain + "\"/>\n";
  }
  draw_series(lr_pts, lr_p, kLr);
  if (!any_lr)
    svg.text(lr_p.left + lr_p.width / 2, lr_p.top + lr_p.height / 2, "no learning-rate values in the file",
             "text-anchor=\"middle\" font-size=\"12\" fill=\"#777777\"");

  // Skipped steps: red crosses along the bottom of the loss panel.
  for (const auto& t : m.train) {
    if (!t.skipped) continue;
    const double x = loss_p.px(x_of(t.step, t.run)), y = loss_p.top + loss_p.height - 10;
    svg.out += "<path d=\"M" + fmt(x - 4) + "," + fmt(y - 4) + " L" + fmt(x + 4) + "," + fmt(y + 4) + " M" + fmt(x - 4) + "," +
               fmt(y + 4) + " L" + fmt(x + 4) + "," + fmt(y - 4) + "\" stroke=\"" + kSkip + "\" stroke-width=\"2\"/>\n";
  }
  // Checkpoints: small triangles on the step axis of the loss panel.
  for (const auto& c : m.checkpoints) {
    const double x = loss_p.px(x_of(c.step, c.run)), y = loss_p.top + loss_p.height;
    svg.out += "<path d=\"M" + fmt(x) + "," + fmt(y - 9) + " L" + fmt(x + 5) + "," + fmt(y) + " L" + fmt(x - 5) + "," + fmt(y) +
               " Z\" fill=\"" + kCkpt + "\"/>\n";
  }

  std::vector<detail::LegendEntry> legend{{"train loss", "line", kTrain}};
  if (!m.eval.empty()) legend.push_back({"validation loss", "marker-circle", kVal});
  bool any_faded = false;
  for (const auto& q : train_pts) any_faded = any_faded || q.faded;
  for (const auto& q : val_pts) any_faded = any_faded || q.faded;
  if (any_faded) legend.push_back({"superseded by a later run", "dashed", "#555555"});
  if (m.skipped_steps() > 0) legend.push_back({"skipped step (non-finite)", "cross", kSkip});
  if (!m.checkpoints.empty()) legend.push_back({"checkpoint", "triangle", kCkpt});
  if (m.runs.size() > 1) legend.push_back({"start of a run", "vline", "#555555"});
  detail::draw_legend(svg, loss_p, legend);
  detail::draw_legend(svg, lr_p, {{"learning rate", "line", kLr}});
  svg.out += "</svg>\n";
  return svg.out;
}

}  // namespace plot_metrics
