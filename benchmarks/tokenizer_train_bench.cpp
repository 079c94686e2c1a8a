/// @file tokenizer_train_bench.cpp
/// @brief How fast dapt trains BPE tokenizers, beside the reference trainers (in
/// benchmarks/peers/tokenizer_train.py):
///   (a) byte-level BPE, LLaMA-3 pre-tokenization, vocabulary 32000, min_frequency 2, special token
///       <|endoftext|>: dapt's BpeTrainer (feed_files + train) against Hugging Face `tokenizers`'
///       BpeTrainer fed the same corpus through train_from_iterator, cut where dapt may cut it, so
///       both count the same pieces. The two vocabularies and merge lists must then be identical,
///       which is checked (a mismatch fails the run and records nothing).
///   (b) SentencePiece-style BPE, vocabulary 8000 (LLaMA-2 settings: byte fallback, split digits,
///       coverage 0.9995, dummy prefix, whitespace-only pieces): dapt's BpeTrainer against
///       `sentencepiece` (model_type=bpe, same settings, every line a sentence). The algorithms
///       differ in their details (SentencePiece's scripts and tie-breaks), so the vocabularies are
///       compared by quality instead: tokens per byte over the lines of the corpus's first 2 MB.
/// Both sides use all of dapt's thread count (RAYON_NUM_THREADS and num_threads for the peers).
/// The corpus is ~100 MB of English and code gathered from this machine: man pages (gzip -dc),
/// C/C++ headers from /usr/include and plain-text files from /usr/share/doc, interleaved in 256 KB
/// slices so that any prefix is a mix, with lines that are not valid UTF-8 (or hold NUL) dropped.
/// It is written once to benchmarks/.data/tokenizer_corpus_<N>MB.txt; `--corpus-mb N` picks
/// another size (say 10 for a quick run). dapt's trainings are timed 3 times after one untimed run
/// (median reported); each peer training runs once, since one takes up to a minute.
/// Run it through `benchmarks/run tokenizer_train_bench [--corpus-mb N]`.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "bench_util.hpp"
#include "dapt/core/utf8.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/trainer.hpp"

namespace {

namespace fs = std::filesystem;
using dapt::bench::Better;
using dapt::bench::Result;
using dapt::tokenizer::BpeTrainer;
using dapt::tokenizer::Tokenizer;
using dapt::tokenizer::TrainerOptions;

constexpr const char* kBenchmark = "tokenizer_train";
constexpr std::size_t kByteLevelVocab = 32000;
constexpr std::size_t kSpmVocab = 8000;
constexpr std::size_t kEvalBytes = std::size_t{2} << 20;
constexpr int kOurReps = 3;
constexpr std::size_t kSlice = 256 << 10;

// ------------------------------------------------------------------------------------------------
// The corpus

/// Appends the lines of `text` that are valid UTF-8 without NUL bytes (each with its '\n').
void append_clean_lines(std::string_view text, std::string& out) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find('\0') != std::string_view::npos || !dapt::is_valid_utf8(line)) continue;
    out.append(line);
    out.push_back('\n');
  }
}

std::vector<fs::path> list_files(const fs::path& root, bool (*keep)(const fs::path&)) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    if (keep(it->path())) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const fs::path& p, std::uintmax_t limit) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec || size > limit) return {};
  std::ifstream in(p, std::ios::binary);
  std::string s(static_cast<std::size_t>(size), '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

/// One source of text: a sorted list of files, read (or decompressed) on demand.
struct Source {
  std::vector<fs::path> files;
  bool gzip = false;
  std::size_t next = 0;
  std::string pending;

  bool exhausted() const { return next >= files.size() && pending.empty(); }

  /// Up to `want` bytes of whole lines.
  std::string take(std::size_t want) {
    while (pending.size() < want && next < files.size()) {
      if (gzip) {
        // Decompress man pages in batches: one process per page would take most of the time.
        std::string cmd = "gzip -dc --";
        for (int k = 0; k < 64 && next < files.size(); ++k) cmd += " " + dapt::bench::shell_quote(files[next++].string());
        const auto r = dapt::bench::run_command(cmd + " 2>/dev/null");
        append_clean_lines(r.out, pending);
      } else {
        const std::string s = read_file(files[next++], 4u << 20);
        if (s.find('\0') == std::string::npos) append_clean_lines(s, pending);
      }
    }
    std::size_t n = std::min(want, pending.size());
    if (n < pending.size()) {
      std::size_t nl = pending.rfind('\n', n - 1);
      if (nl == std::string::npos) nl = pending.find('\n');  // a first line longer than `want`
      n = nl == std::string::npos ? pending.size() : nl + 1;
    }
    std::string out = pending.substr(0, n);
    pending.erase(0, n);
    return out;
  }
};

bool is_man_page(const fs::path& p) {
  const std::string dir = p.parent_path().filename().string();
  return p.extension() == ".gz" && dir.rfind("man", 0) == 0 && p.parent_path().parent_path() == "/usr/share/man";
}
bool is_source(const fs::path& p) {
  static const char* const kExt[] = {".h", ".hpp", ".hh", ".hxx", ".c", ".cc", ".cpp", ".tcc", ".ipp", ".inl"};
  const std::string e = p.extension().string();
  return std::any_of(std::begin(kExt), std::end(kExt), [&](const char* x) { return e == x; });
}
bool is_plain_doc(const fs::path& p) {
  static const char* const kSkip[] = {".gz", ".bz2", ".xz", ".zst", ".png", ".jpg", ".gif", ".svg", ".pdf", ".ico", ".woff"};
  const std::string e = p.extension().string();
  return std::none_of(std::begin(kSkip), std::end(kSkip), [&](const char* x) { return e == x; });
}

/// The cached corpus of `mb` megabytes (10^6 bytes), written when missing.
fs::path ensure_corpus(const fs::path& data_dir, std::size_t mb) {
  fs::create_directories(data_dir);
  const fs::path path = data_dir / ("tokenizer_corpus_" + std::to_string(mb) + "MB.txt");
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return path;
  const std::size_t target = mb * 1000 * 1000;
  std::printf("gathering a %zu MB corpus from man pages, /usr/include and /usr/share/doc into %s (once)\n", mb,
              path.c_str());
  std::fflush(stdout);
  std::vector<Source> sources(3);
  sources[0].files = list_files("/usr/share/man", is_man_page);
  sources[0].gzip = true;
  sources[1].files = list_files("/usr/include", is_source);
  sources[2].files = list_files("/usr/share/doc", is_plain_doc);
  const fs::path tmp = path.string() + ".tmp";
  std::ofstream out(tmp, std::ios::binary);
  std::size_t written = 0;
  bool any = true;
  while (written < target && any) {
    any = false;
    for (auto& s : sources) {
      if (written >= target || s.exhausted()) continue;
      const std::string slice = s.take(std::min(kSlice, target - written));
      out.write(slice.data(), static_cast<std::streamsize>(slice.size()));
      written += slice.size();
      any = any || !slice.empty();
    }
  }
  out.close();
  if (!out) throw std::runtime_error("cannot write " + tmp.string());
  if (written < target) std::printf("note: this machine had only %.1f MB of text\n", written / 1e6);
  fs::rename(tmp, path);
  return path;
}

/// The lines of the corpus's first kEvalBytes (whole lines, one final '\r' dropped, empty lines
/// skipped): what both sides' SentencePiece-style tokenizers are measured on.
std::vector<std::string> eval_lines(const fs::path& corpus) {
  std::string head = read_file(corpus, ~std::uintmax_t{0}).substr(0, kEvalBytes);
  head.resize(head.rfind('\n') + 1);
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < head.size()) {
    const std::size_t nl = head.find('\n', pos);
    std::string line = head.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

// ------------------------------------------------------------------------------------------------
// The peer

struct PeerRun {
  std::string tokenizers_name = "tokenizers", spm_name = "sentencepiece";
  std::optional<double> tokenizers_s, spm_s, spm_tokens_per_byte;
  fs::path tokenizers_json;
  std::string error;
};

PeerRun run_peer(const dapt::bench::Options& opt, const fs::path& corpus, const fs::path& out_dir, int threads) {
  PeerRun p;
  if (!fs::exists(opt.python)) {
    p.error = "no Python at " + opt.python.string() + " (run benchmarks/setup)";
    return p;
  }
  using dapt::bench::shell_quote;
  const auto r = dapt::bench::run_command(
      shell_quote(opt.python.string()) + " " + shell_quote((opt.peers_dir / "tokenizer_train.py").string()) + " " +
      shell_quote(corpus.string()) + " --out-dir " + shell_quote(out_dir.string()) + " --threads " +
      std::to_string(threads) + " --bytelevel-vocab " + std::to_string(kByteLevelVocab) + " --spm-vocab " +
      std::to_string(kSpmVocab) + " --eval-bytes " + std::to_string(kEvalBytes));
  if (r.exit_code != 0) {
    p.error = "peer exited with status " + std::to_string(r.exit_code);
    return p;
  }
  try {
    std::string out = r.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    const auto nl = out.rfind('\n');
    const boost::json::object o = boost::json::parse(nl == std::string::npos ? out : out.substr(nl + 1)).as_object();
    const auto& t = o.at("tokenizers").as_object();
    p.tokenizers_name = "tokenizers " + std::string(t.at("version").as_string());
    p.tokenizers_s = t.at("time").as_object().at("median").to_number<double>();
    p.tokenizers_json = std::string(t.at("tokenizer").as_string());
    const auto& s = o.at("sentencepiece").as_object();
    p.spm_name = "sentencepiece " + std::string(s.at("version").as_string());
    p.spm_s = s.at("time").as_object().at("median").to_number<double>();
    p.spm_tokens_per_byte = s.at("tokens_per_byte").to_number<double>();
  } catch (const std::exception& e) {
    p.error = std::string("unreadable peer output: ") + e.what();
  }
  return p;
}

/// The first difference between two trained tokenizers' vocabularies and merges, or "".
std::string first_difference(const Tokenizer& a, const Tokenizer& b) {
  if (a.vocab_size() != b.vocab_size())
    return "vocabulary sizes " + std::to_string(a.vocab_size()) + " and " + std::to_string(b.vocab_size());
  for (std::size_t i = 0; i < a.vocab_size(); ++i) {
    const auto id = static_cast<dapt::tokenizer::TokenId>(i);
    if (a.id_to_token(id) != b.id_to_token(id)) return "token " + std::to_string(i);
  }
  const auto& ma = a.model().merges();
  const auto& mb = b.model().merges();
  if (ma.size() != mb.size()) return "merge counts " + std::to_string(ma.size()) + " and " + std::to_string(mb.size());
  for (std::size_t i = 0; i < ma.size(); ++i)
    if (ma[i].left != mb[i].left || ma[i].right != mb[i].right) return "merge " + std::to_string(i);
  return {};
}

// ------------------------------------------------------------------------------------------------

int run(int argc, char** argv) {
  // --corpus-mb is this benchmark's own option; the rest go to the shared parser.
  std::size_t corpus_mb = 100;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--corpus-mb" && i + 1 < argc) {
      corpus_mb = static_cast<std::size_t>(std::stoul(argv[++i]));
      if (corpus_mb == 0) throw std::runtime_error("--corpus-mb must be positive");
    } else {
      rest.push_back(argv[i]);
    }
  }
  const auto opt = dapt::bench::parse_options(static_cast<int>(rest.size()), rest.data());
  dapt::bench::print_header(kBenchmark);

  const fs::path corpus = ensure_corpus(opt.data_dir, corpus_mb);
  const std::uint64_t corpus_bytes = fs::file_size(corpus);
  (void)read_file(corpus, ~std::uintmax_t{0});  // warm the page cache for both sides
  const int threads = dapt::bench::thread_count();

  TrainerOptions bl = TrainerOptions::byte_level(kByteLevelVocab);
  bl.special_tokens = {"<|endoftext|>"};
  Tokenizer ours_bl;
  dapt::tokenizer::TrainerStats bl_stats;
  const auto bl_time = dapt::bench::time_runs(kOurReps, [&] {
    BpeTrainer t(bl);
    t.feed_files({corpus});
    ours_bl = t.train();
    bl_stats = t.stats();
  });
  std::printf("corpus: %s, %.1f MB, %llu distinct byte-level pieces; ours: byte-level %.2f s (count %.2f s + merges "
              "%.2f s, %zu merges), ",
              corpus.filename().c_str(), corpus_bytes / 1e6, static_cast<unsigned long long>(bl_stats.distinct_pieces),
              bl_time.median, bl_stats.feed_seconds, bl_stats.train_seconds, bl_stats.merges);
  std::fflush(stdout);

  const TrainerOptions sp = TrainerOptions::sentencepiece(kSpmVocab);
  Tokenizer ours_sp;
  dapt::tokenizer::TrainerStats sp_stats;
  const auto sp_time = dapt::bench::time_runs(kOurReps, [&] {
    BpeTrainer t(sp);
    t.feed_files({corpus});
    ours_sp = t.train();
    sp_stats = t.stats();
  });
  std::size_t eval_tokens = 0, eval_bytes = 0;
  for (const auto& line : eval_lines(corpus)) {
    eval_tokens += ours_sp.encode(line).size();
    eval_bytes += line.size();
  }
  const double ours_tpb = static_cast<double>(eval_tokens) / static_cast<double>(std::max<std::size_t>(eval_bytes, 1));
  std::printf("SentencePiece-style %.2f s (%llu distinct words, %zu characters kept), %.4f tokens/byte\n", sp_time.median,
              static_cast<unsigned long long>(sp_stats.distinct_pieces), sp_stats.alphabet_size, ours_tpb);
  std::fflush(stdout);

  const fs::path out_dir = opt.data_dir / "tokenizer_train_peer";
  fs::create_directories(out_dir);
  const PeerRun peer = run_peer(opt, corpus, out_dir, threads);
  if (!peer.error.empty()) std::fprintf(stderr, "peer not compared: %s\n", peer.error.c_str());
  bool consistent = true;
  if (peer.tokenizers_s) {
    const Tokenizer reference = dapt::tokenizer::load_hf_tokenizer(peer.tokenizers_json).tokenizer;
    const std::string diff = first_difference(ours_bl, reference);
    if (diff.empty()) {
      std::printf("peer: byte-level vocabulary and all %zu merges identical to %s\n", ours_bl.model().merges().size(),
                  peer.tokenizers_name.c_str());
    } else {
      // Not the same result: the timing comparison would be meaningless, so nothing is recorded.
      std::fprintf(stderr, "peer trained a different byte-level tokenizer: first difference at %s\n", diff.c_str());
      consistent = false;
    }
  }

  const std::string size = " (" + std::to_string(corpus_mb) + " MB)";
  std::vector<Result> results(3);
  results[0].metric = "byte-level BPE train, vocab 32000" + size;
  results[0].unit = "s";
  results[0].ours = bl_time.median;
  results[0].peer = peer.tokenizers_name;
  results[0].peer_value = peer.tokenizers_s;
  results[1].metric = "SentencePiece-style BPE train, vocab 8000" + size;
  results[1].unit = "s";
  results[1].ours = sp_time.median;
  results[1].peer = peer.spm_name;
  results[1].peer_value = peer.spm_s;
  results[2].metric = "SentencePiece-style tokens/byte, first 2 MB";
  results[2].unit = "tok/B";
  results[2].ours = ours_tpb;
  results[2].peer = peer.spm_name;
  results[2].peer_value = peer.spm_tokens_per_byte;
  for (auto& r : results) {
    r.benchmark = kBenchmark;
    r.better = Better::kLower;
    r.threads = threads;
  }
  std::printf("\n");
  dapt::bench::print_table(results);
  if (!consistent) return 1;
  if (opt.write_results) {
    dapt::bench::append_results(opt.results_dir, results);
    std::printf("\nappended to %s\n", (opt.results_dir / (std::string(kBenchmark) + ".json")).c_str());
  }
  return peer.error.empty() ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", kBenchmark, e.what());
    return 1;
  }
}
