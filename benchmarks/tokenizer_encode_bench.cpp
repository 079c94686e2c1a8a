/// @file tokenizer_encode_bench.cpp
/// @brief Encoding throughput (MB/s of UTF-8 input) of dapt's tokenizers against tiktoken, HF
/// `tokenizers` and `sentencepiece`, on the same documents, the same vocabularies and the same
/// thread counts. The vocabularies are trained once by the peers (peers/tokenizer_encode.py
/// prepare) on the English + code corpus of peers/corpus.py: byte-level BPE in the LLaMA-3
/// setting at 32k and 128k (tiktoken gets the same ranks through tiktoken.Encoding), and a
/// SentencePiece BPE model at 32k in the LLaMA-2 setting. Documents are whole lines of at least
/// 8 KB, split identically on both sides. dapt is measured on one thread (one EncodeScratch,
/// encode() per document) and on all threads (encode_batch); the token totals of dapt and the
/// reference library are compared, as a check that the work is the same.
///
/// Options besides the common ones: --corpus-mb N (default 40), --train-mb N (default 20),
/// --reps N (default 5).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "bench_util.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"

namespace {

namespace fs = std::filesystem;
using dapt::bench::Better;
using dapt::bench::Result;
using namespace dapt::tokenizer;

constexpr const char* kBenchmark = "tokenizer_encode";

/// Whole lines, at least `size` bytes per document (as corpus.documents does).
std::vector<std::string> documents(const std::string& text, std::size_t size = 8192) {
  std::vector<std::string> docs;
  std::string cur;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    const std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
    cur.append(text, pos, end - pos);
    pos = end;
    if (cur.size() >= size) {
      docs.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) docs.push_back(std::move(cur));
  return docs;
}


struct Measured {
  double one = 0, all = 0;
  std::size_t tokens = 0;
};

Measured measure(const Tokenizer& tok, const std::vector<std::string>& docs, std::size_t bytes, int reps) {
  Measured m;
  EncodeScratch scratch;
  std::vector<TokenId> ids;
  const auto one = dapt::bench::time_runs(reps, [&] {
    std::size_t n = 0;
    for (const auto& d : docs) {
      ids.clear();
      tok.encode(d, ids, scratch);
      n += ids.size();
    }
    m.tokens = n;
  });
  const auto all = dapt::bench::time_runs(reps, [&] {
    const auto out = tok.encode_batch(docs);
    dapt::bench::do_not_optimize(out.size());
  });
  m.one = static_cast<double>(bytes) / one.median / 1e6;
  m.all = static_cast<double>(bytes) / all.median / 1e6;
  return m;
}

int run(int argc, char** argv) {
  double corpus_mb = 40, train_mb = 20, reps_option = 5;
  const auto opt = dapt::bench::parse_options(argc, argv, {{"--corpus-mb", &corpus_mb}, {"--train-mb", &train_mb}, {"--reps", &reps_option}});
  const int reps = static_cast<int>(reps_option);
  dapt::bench::print_header(kBenchmark);
  fs::create_directories(opt.data_dir);
  const std::string py = dapt::bench::shell_quote(opt.python.string());
  const std::string peer = dapt::bench::shell_quote((opt.peers_dir / "tokenizer_encode.py").string());

  char corpus_name[64];
  std::snprintf(corpus_name, sizeof corpus_name, "corpus_en_code_%gMB.txt", corpus_mb);
  const fs::path corpus = opt.data_dir / corpus_name;
  const auto c = dapt::bench::run_command(py + " " + dapt::bench::shell_quote((opt.peers_dir / "corpus.py").string()) + " " +
                                          dapt::bench::shell_quote(corpus.string()) + " " + std::to_string(corpus_mb));
  if (c.exit_code != 0) throw std::runtime_error("could not build the corpus");
  std::printf("corpus: %s", c.out.c_str());
  std::printf("training the vocabularies with the peers (once; cached in %s)...\n", opt.data_dir.c_str());
  const auto prep = dapt::bench::run_command(py + " " + peer + " prepare " + dapt::bench::shell_quote(opt.data_dir.string()) + " " +
                                             dapt::bench::shell_quote(corpus.string()) + " " + std::to_string(train_mb));
  if (prep.exit_code != 0) throw std::runtime_error("peer prepare failed");
  const auto paths = dapt::bench::last_json_line(prep.out);
  const std::string bl32k(paths.at("bl32k").as_string()), bl128k(paths.at("bl128k").as_string()),
      spm32k(paths.at("spm32k").as_string());

  std::ifstream in(corpus, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const auto docs = documents(text);
  const int threads = dapt::bench::thread_count();

  struct Row {
    std::string name;
    Measured ours;
  };
  std::vector<Row> rows;
  rows.push_back({"bl32k", measure(load_hf_tokenizer(bl32k).tokenizer, docs, text.size(), reps)});
  rows.push_back({"bl128k", measure(load_hf_tokenizer(bl128k).tokenizer, docs, text.size(), reps)});
  rows.push_back({"spm32k", measure(load_sentencepiece_tokenizer(spm32k), docs, text.size(), reps)});
  for (const auto& r : rows)
    std::printf("ours %-7s %8.2f MB/s (1 thread) %8.2f MB/s (%d threads), %zu tokens\n", r.name.c_str(), r.ours.one, r.ours.all,
                threads, r.ours.tokens);
  std::fflush(stdout);

  const auto pr = dapt::bench::run_command(py + " " + peer + " run " + dapt::bench::shell_quote(corpus.string()) + " " +
                                           std::to_string(threads) + " " + std::to_string(reps) + " " +
                                           dapt::bench::shell_quote(bl32k) + " " + dapt::bench::shell_quote(bl128k) + " " +
                                           dapt::bench::shell_quote(spm32k));
  if (pr.exit_code != 0) throw std::runtime_error("peer run failed");
  const auto p = dapt::bench::last_json_line(pr.out);
  const auto& ver = p.at("versions").as_object();
  const std::string tiktoken = "tiktoken " + std::string(ver.at("tiktoken").as_string());
  const std::string hf = "tokenizers " + std::string(ver.at("tokenizers").as_string());
  const std::string sp = "sentencepiece " + std::string(ver.at("sentencepiece").as_string());

  std::vector<Result> results;
  auto add = [&](const std::string& metric, int t, double ours, const std::string& peer_name, double peer_value) {
    Result r;
    r.benchmark = kBenchmark;
    r.metric = metric;
    r.unit = "MB/s";
    r.better = Better::kHigher;
    r.ours = ours;
    r.peer = peer_name;
    r.peer_value = peer_value;
    r.threads = t;
    results.push_back(r);
  };
  bool same_work = true;
  for (const auto& r : rows) {
    const auto& o = p.at(r.name).as_object();
    const std::string label = r.name == "bl32k" ? "byte-level 32k" : r.name == "bl128k" ? "byte-level 128k" : "SentencePiece 32k";
    if (r.name == "spm32k") {
      add("encode " + label + ", 1 thread", 1, r.ours.one, sp, o.at("sp_1t").to_number<double>());
      add("encode " + label + ", all threads", threads, r.ours.all, sp, o.at("sp_nt").to_number<double>());
      const auto theirs = o.at("tokens_sp").to_number<std::size_t>();
      std::printf("%s: dapt %zu tokens, sentencepiece %zu\n", label.c_str(), r.ours.tokens, theirs);
      same_work = same_work && theirs == r.ours.tokens;
      continue;
    }
    add("encode " + label + ", 1 thread", 1, r.ours.one, tiktoken, o.at("tiktoken_1t").to_number<double>());
    add("encode " + label + ", 1 thread", 1, r.ours.one, hf, o.at("hf_1t").to_number<double>());
    add("encode " + label + ", all threads", threads, r.ours.all, tiktoken, o.at("tiktoken_nt").to_number<double>());
    add("encode " + label + ", all threads", threads, r.ours.all, hf, o.at("hf_nt").to_number<double>());
    const auto theirs = o.at("tokens_hf").to_number<std::size_t>();
    std::printf("%s: dapt %zu tokens, tokenizers %zu, tiktoken %zu\n", label.c_str(), r.ours.tokens, theirs,
                o.at("tokens_tiktoken").to_number<std::size_t>());
    same_work = same_work && theirs == r.ours.tokens;
  }
  return dapt::bench::finish(kBenchmark, results, opt, same_work, true);
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
