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
///       `sentencepiece` (model_type=bpe, same settings, every line a sentence). These are the
///       same rules, but SentencePiece ranks only a few hundred candidate pairs exactly at a time,
///       so a few equal-count ties may come out in another order: the run prints how many pieces
///       sit at the same id, and records tokens per byte over the lines of the corpus's first 2 MB
///       for both (a quality check).
/// Both sides use all of dapt's thread count (RAYON_NUM_THREADS and num_threads for the peers).
/// The corpus is the tokenizer benchmarks' shared English + code mix (peers/corpus.py: man pages,
/// package documentation, C/C++ headers, Python sources), 100 MB by default, cached in
/// benchmarks/.data; `--corpus-mb N` picks another size (say 10 for a quick run). dapt's trainings
/// are timed 3 times after one untimed run (median reported); each peer training runs once, since
/// one takes up to a minute.
/// Run it through `benchmarks/run tokenizer_train_bench [--corpus-mb N]`.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "bench_util.hpp"
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

// ------------------------------------------------------------------------------------------------
// The corpus

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return ss.str();
}

/// The shared English + code corpus of the tokenizer benchmarks (peers/corpus.py builds it once and
/// prints its size and hash), `mb` megabytes.
fs::path ensure_corpus(const dapt::bench::Options& opt, double mb) {
  fs::create_directories(opt.data_dir);
  char name[64];
  std::snprintf(name, sizeof name, "corpus_en_code_%gMB.txt", mb);
  const fs::path corpus = opt.data_dir / name;
  using dapt::bench::shell_quote;
  const auto r = dapt::bench::run_command(shell_quote(opt.python.string()) + " " +
                                          shell_quote((opt.peers_dir / "corpus.py").string()) + " " +
                                          shell_quote(corpus.string()) + " " + std::to_string(mb));
  if (r.exit_code != 0) throw std::runtime_error("could not build the corpus (peers/corpus.py; run benchmarks/setup)");
  std::printf("corpus: %s", r.out.c_str());
  return corpus;
}

/// The lines of the corpus's first kEvalBytes (whole lines, empty ones skipped): what both sides'
/// SentencePiece-style tokenizers are measured on.
std::vector<std::string> eval_lines(const fs::path& corpus) {
  std::string head = read_file(corpus).substr(0, kEvalBytes);
  head.resize(head.rfind('\n') + 1);
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < head.size()) {
    const std::size_t nl = head.find('\n', pos);
    std::string line = head.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

// ------------------------------------------------------------------------------------------------
// The peer

struct PeerRun {
  std::string tokenizers_name = "tokenizers", spm_name = "sentencepiece";
  std::optional<double> tokenizers_s, spm_s, spm_tokens_per_byte;
  fs::path tokenizers_json, spm_pieces;
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
    const boost::json::object o = dapt::bench::last_json_line(r.out);
    const auto& t = o.at("tokenizers").as_object();
    p.tokenizers_name = "tokenizers " + std::string(t.at("version").as_string());
    p.tokenizers_s = t.at("time").as_object().at("median").to_number<double>();
    p.tokenizers_json = std::string(t.at("tokenizer").as_string());
    const auto& s = o.at("sentencepiece").as_object();
    p.spm_name = "sentencepiece " + std::string(s.at("version").as_string());
    p.spm_s = s.at("time").as_object().at("median").to_number<double>();
    p.spm_tokens_per_byte = s.at("tokens_per_byte").to_number<double>();
    p.spm_pieces = std::string(s.at("pieces").as_string());
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
  double corpus_mb = 100;
  const auto opt = dapt::bench::parse_options(argc, argv, {{"--corpus-mb", &corpus_mb}});
  if (!(corpus_mb > 0)) throw std::runtime_error("--corpus-mb must be positive");
  dapt::bench::print_header(kBenchmark);

  const fs::path corpus = ensure_corpus(opt, corpus_mb);
  const std::uint64_t corpus_bytes = fs::file_size(corpus);
  (void)read_file(corpus);  // warm the page cache for both sides
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
  std::printf("%.1f MB, %llu distinct byte-level pieces; ours: byte-level %.2f s (count %.2f s + merges %.2f s, "
              "%zu merges), ",
              corpus_bytes / 1e6, static_cast<unsigned long long>(bl_stats.distinct_pieces),
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

  if (peer.spm_s) {
    // Informational: SentencePiece follows the same rules, but only approximately (it re-ranks a
    // few hundred candidate pairs at a time), so a handful of equal-count ties may land elsewhere.
    const auto pieces = boost::json::parse(read_file(peer.spm_pieces)).as_array();
    std::size_t same = 0;
    for (std::size_t i = 0; i < pieces.size() && i < ours_sp.vocab_size(); ++i)
      same += ours_sp.id_to_token(static_cast<dapt::tokenizer::TokenId>(i)) == pieces[i].as_string() ? 1 : 0;
    std::printf("peer: %zu of %zu SentencePiece-style pieces at the same id as %s's\n", same, pieces.size(),
                peer.spm_name.c_str());
  }

  char size[32];
  std::snprintf(size, sizeof size, " (%g MB)", corpus_mb);
  std::vector<Result> results(3);
  results[0].metric = std::string("byte-level BPE train, vocab 32000") + size;
  results[0].unit = "s";
  results[0].ours = bl_time.median;
  results[0].peer = peer.tokenizers_name;
  results[0].peer_value = peer.tokenizers_s;
  results[1].metric = std::string("SentencePiece-style BPE train, vocab 8000") + size;
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
  return dapt::bench::finish(kBenchmark, results, opt, consistent, peer.error.empty());
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
