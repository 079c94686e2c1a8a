/// @file main.cpp
/// @brief Tool plot_metrics: turns the JSON Lines metrics that train::Trainer writes (examples
/// 03_dapt and 04_sft put them in <out>/metrics.jsonl) into a standalone SVG: training and
/// validation loss above, learning rate below, on one step axis, with skipped (NaN/Inf) steps
/// marked, checkpoints marked, and several runs appended to one file drawn as a continuation
/// (a run that restarted below an earlier run's last step supersedes that run's later points,
/// which are drawn dashed). No plotting library is involved; the drawing is svg_plot.hpp.
/// It prints one line: what it read and where the SVG went. A file that is not such a metrics
/// file gets a message naming file:line and exit code 1.
///
/// Usage: plot_metrics METRICS.jsonl [--out FILE.svg] [--title TEXT] [--concat] [--skip-bad-lines]
///   --out             default: the input with the extension .svg
///   --concat          lay independent runs end to end instead of on one step axis
///   --skip-bad-lines  skip (and report) lines that are not metrics, such as a line cut by a crash
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "tools/plot_metrics/svg_plot.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  return examples::run_main(argc, argv, [](std::vector<std::string> args) {
    const auto out_opt = examples::take_option(args, "--out");
    const auto title_opt = examples::take_option(args, "--title");
    const bool concat = examples::take_flag(args, "--concat");
    const bool skip_bad = examples::take_flag(args, "--skip-bad-lines");
    constexpr const char* kUsage =
        "usage: plot_metrics METRICS.jsonl [--out FILE.svg] [--title TEXT] [--concat] [--skip-bad-lines]";
    DAPT_CHECK(args.size() == 1 && !args[0].starts_with("--"),
               args.empty() ? std::string("no metrics file given; ") + kUsage
                            : "unexpected argument \"" + args[args.size() > 1 ? 1 : 0] + "\"; " + kUsage);
    const fs::path in = args[0];
    const fs::path out = out_opt ? fs::path(*out_opt) : fs::path(in).replace_extension(".svg");

    try {
      const plot_metrics::Metrics m = plot_metrics::read_metrics(in, {.skip_bad_lines = skip_bad});
      for (const auto& w : m.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
      plot_metrics::PlotOptions po;
      po.title = title_opt.value_or(in.filename().string());
      po.concat = concat;
      const std::string svg = plot_metrics::render_svg(m, po);
      {
        std::ofstream f(out, std::ios::binary | std::ios::trunc);
        f << svg;
        f.flush();
        if (!f) {
          std::fprintf(stderr, "error: cannot write %s\n", out.c_str());
          return 1;
        }
      }
      std::printf("plot_metrics: %zu training steps (%zu run%s, %zu skipped), %zu validation points, %zu checkpoints%s -> %s\n",
                  m.train.size(), m.runs.size(), m.runs.size() == 1 ? "" : "s", m.skipped_steps(), m.eval.size(),
                  m.checkpoints.size(), m.warnings.empty() ? "" : (", " + std::to_string(m.warnings.size()) + " bad lines skipped").c_str(),
                  out.c_str());
      return 0;
    } catch (const plot_metrics::InputError& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      if (!skip_bad && e.line() > 0) std::fprintf(stderr, "(--skip-bad-lines skips lines that are not metrics, such as one cut by a crash)\n");
      return 1;
    }
  });
}
