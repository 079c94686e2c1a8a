/// @file hnsw_index_bench.cpp
/// @brief Approximate search of dapt::retrieval::HnswIndex beside hnswlib (Index(space='ip')) and
/// faiss (IndexHNSWFlat, METRIC_INNER_PRODUCT), in benchmarks/peers/hnsw_index.py, on the same
/// vectors, queries, M, efConstruction, k and thread count. The vectors are synthetic embeddings
/// (unless --vectors gives real ones): unit-length rows with a low intrinsic dimension, as text
/// embeddings have, made as x = normalise(W z + noise) with z a `--rank`-dimensional gaussian
/// around one of `--clusters` centres (each with its own spread) and W a fixed random (dim, rank)
/// map, generated from a counter-based hash so that every float depends only on (seed, row,
/// column). Uniform random vectors would be meaningless for ANN (every point is about equally far
/// from every other). With `--vectors FILE.npy` (fp32, (N, d), C order) the last `--queries`
/// rows are held out as queries and the rest are the database. The database, the queries and the
/// exact top-k (computed here once with dapt's FlatIndex, an exact inner-product scan) are cached
/// as .npy files in the bench data folder, where the peer reads them.
///
/// Measured on each side: the build (one add of all n rows on T threads, timed once), then for
/// each ef of the sweep the recall@k against the exact top-k and the throughput of a batch of all
/// queries searched in one call on the same T threads: one untimed round over the sweep, then
/// `--reps` timed rounds (each round runs every ef once, so that a burst of load on a shared
/// machine hits one sample of each ef, not all samples of one), and the median per ef. The comparison that matters is the throughput at recall@k 0.95: printed
/// and recorded both at the smallest ef of the sweep at which each system reaches recall@k >=
/// 0.95 (each at its own ef) and interpolated between the sweep points around 0.95 (the fairer
/// figure, since the systems' recall at a given ef differs). Our index is freed before the peer
/// runs. It takes about 10 minutes on 2 idle cores (faiss's build is the longest part).
///   hnsw_index_bench [--n 200000] [--dim 384] [--clusters 1000] [--queries 1000] [--k 10]
///                    [--m 16] [--ef-construction 200] [--reps 5] [--rank 32] [--spread 1]
///                    [--noise 0.25] [--vectors FILE.npy] [--efs 16,24,32,48,64,96,128,192,256]
///                    [--embedder DIR --corpus PATHS [--max-passages 67000]] [--no-save]
/// With `--embedder DIR --corpus PATHS` the vectors are real embeddings made here: every text file
/// under the comma-separated PATHS (in that order), chunked as ChipNeMo indexed its documents (retrieval::Chunker,
/// ~512 characters with overlap; at most --max-passages chunks, 67,000 like ChipNeMo's corpus),
/// embedded as passages by the embedder folder DIR (06_embedder_retrieval's --out, with its
/// tokenizer.json), and cached in the data folder; they then serve as --vectors.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "npy.hpp"
#include "dapt/embed/embedder.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt/retrieval/chunker.hpp"
#include "dapt/retrieval/flat_index.hpp"
#include "dapt/retrieval/hnsw_index.hpp"

namespace {

constexpr const char* kBenchmark = "hnsw_index";
constexpr double kRecallTarget = 0.95;
namespace fs = std::filesystem;
using dapt::bench::Better;
using dapt::bench::Result;

// ------------------------------------------------------------------------------------------------
// Synthetic embeddings: counter-based, so rows are generated in parallel with the same result for
// any thread count.

using dapt::bench::gaussian;
using dapt::bench::splitmix64;

std::uint64_t hash3(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return splitmix64(splitmix64(splitmix64(a) ^ b) ^ c);
}

struct SynthSpec {
  std::int64_t dim = 384;
  std::int64_t clusters = 1000;
  std::int64_t rank = 32;   // intrinsic dimension of the latent gaussian
  double spread = 1.0;      // within-cluster standard deviation (relative to unit-variance centres), scaled per cluster by [0.5, 1.5)
  double noise = 0.25;      // isotropic noise per output dimension, relative to the latent signal per dimension

  std::string tag() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "d%lld_c%lld_r%lld_s%g_e%g", static_cast<long long>(dim),
                  static_cast<long long>(clusters), static_cast<long long>(rank), spread, noise);
    return buf;
  }
};

/// Rows [0, n) of stream `seed`: normalise(W (mu_c + spread_c g) + noise), c = hash(row) % clusters.
std::vector<float> synthesize(const SynthSpec& s, std::int64_t n, std::uint64_t seed) {
  const auto d = static_cast<std::size_t>(s.dim), r = static_cast<std::size_t>(s.rank);
  std::vector<float> w(d * r), mu(static_cast<std::size_t>(s.clusters) * r), sigma(static_cast<std::size_t>(s.clusters));
  const float w_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(r)));
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = w_scale * gaussian(hash3(0xA11CE, 1, i));
  for (std::size_t i = 0; i < mu.size(); ++i) mu[i] = gaussian(hash3(0xA11CE, 2, i));
  for (std::size_t c = 0; c < sigma.size(); ++c)
    sigma[c] = static_cast<float>(s.spread * (0.5 + static_cast<double>(hash3(0xA11CE, 3, c) >> 11) * 0x1p-53));
  const auto noise = static_cast<float>(s.noise);
  std::vector<float> out(static_cast<std::size_t>(n) * d);
  dapt::parallel_for(
      0, n,
      [&](std::int64_t row) {
        const auto i = static_cast<std::uint64_t>(row);
        const std::size_t c = hash3(seed, 0, i) % static_cast<std::uint64_t>(s.clusters);
        std::vector<float> z(r);
        for (std::size_t t = 0; t < r; ++t) z[t] = mu[c * r + t] + sigma[c] * gaussian(hash3(seed, 1 + i, t));
        float* x = out.data() + static_cast<std::size_t>(row) * d;
        double ss = 0;
        for (std::size_t j = 0; j < d; ++j) {
          float v = noise * gaussian(hash3(seed ^ 0x5EED, 1 + i, j));
          for (std::size_t t = 0; t < r; ++t) v += w[j * r + t] * z[t];
          x[j] = v;
          ss += static_cast<double>(v) * v;
        }
        const auto inv = static_cast<float>(1.0 / std::sqrt(ss));
        for (std::size_t j = 0; j < d; ++j) x[j] *= inv;
      },
      256);
  return out;
}

using dapt::bench::as_floats;
using dapt::bench::read_npy;
using dapt::bench::write_npy;

// ------------------------------------------------------------------------------------------------
// Real embeddings: a corpus chunked as ChipNeMo indexed its documents (~512 characters, overlap)
// and embedded as passages by a dapt embedder folder (06_embedder_retrieval's --out).

/// Every regular file under `roots` (comma-separated files or folders) that reads as text (valid
/// UTF-8, no NUL byte, at most 4 MiB), root by root in the order given and in sorted path order
/// within a folder, chunked with retrieval::Chunker's
/// defaults; at most `max_passages` chunks, taken from the files in that order.
std::vector<std::string> corpus_passages(const std::string& roots, std::int64_t max_passages) {
  std::vector<fs::path> files;
  std::size_t at = 0;
  while (at <= roots.size()) {
    const std::size_t end = std::min(roots.find(',', at), roots.size());
    const fs::path root = roots.substr(at, end - at);
    at = end + 1;
    if (root.empty()) continue;
    if (fs::is_regular_file(root)) {
      files.push_back(root);
    } else if (fs::is_directory(root)) {
      const std::size_t first = files.size();
      for (const auto& e : fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied))
        if (e.is_regular_file() && e.file_size() <= (4u << 20)) files.push_back(e.path());
      std::sort(files.begin() + static_cast<std::ptrdiff_t>(first), files.end());
    } else {
      throw std::runtime_error("--corpus: no file or folder " + root.string());
    }
  }
  const dapt::retrieval::Chunker chunker;
  std::vector<std::string> passages;
  for (const auto& f : files) {
    if (static_cast<std::int64_t>(passages.size()) >= max_passages) break;
    std::ifstream in(f, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.empty() || text.find('\0') != std::string::npos || dapt::first_invalid_utf8(text)) continue;
    for (auto& c : chunker.chunk(dapt::retrieval::DocId{f.string()}, text)) {
      if (static_cast<std::int64_t>(passages.size()) >= max_passages) break;
      passages.push_back(std::move(c.text));
    }
  }
  return passages;
}

// ------------------------------------------------------------------------------------------------
// The measurement

struct SweepPoint {
  std::int64_t ef = 0;
  double recall = 0;
  double qps = 0;
};

struct System {
  std::string name;
  double build_s = 0;
  std::vector<SweepPoint> sweep;
  std::string error;  // set when the peer could not run this system

  /// The sweep point with the smallest ef reaching the recall target, if any.
  std::optional<SweepPoint> at_target() const {
    for (const auto& p : sweep)
      if (p.recall >= kRecallTarget) return p;
    return std::nullopt;
  }
  /// Queries/s at exactly the recall target, interpolated (log-linearly in queries/s) between the
  /// two sweep points around it: systems reach the target at different efs of a coarse sweep, so
  /// comparing whole sweep points would compare different recalls. The first point when it is
  /// already above the target; nothing when no point reaches it.
  std::optional<double> qps_at_target() const {
    for (std::size_t i = 0; i < sweep.size(); ++i) {
      if (sweep[i].recall < kRecallTarget) continue;
      if (i == 0) return sweep[0].qps;
      const SweepPoint& a = sweep[i - 1];
      const SweepPoint& b = sweep[i];
      const double t = (kRecallTarget - a.recall) / (b.recall - a.recall);
      return std::exp(std::log(a.qps) + t * (std::log(b.qps) - std::log(a.qps)));
    }
    return std::nullopt;
  }
  std::optional<SweepPoint> at_ef(std::int64_t ef) const {
    for (const auto& p : sweep)
      if (p.ef == ef) return p;
    return std::nullopt;
  }
};

double recall_at(const dapt::retrieval::HitLists& got, const std::vector<std::int64_t>& gt, std::int64_t k) {
  double hits = 0;
  for (std::size_t q = 0; q < got.size(); ++q) {
    const std::set<std::int64_t> want(gt.begin() + static_cast<std::ptrdiff_t>(q * k),
                                      gt.begin() + static_cast<std::ptrdiff_t>((q + 1) * k));
    for (const auto& h : got[q]) hits += want.count(h.id) ? 1 : 0;
  }
  return hits / static_cast<double>(got.size() * static_cast<std::size_t>(k));
}

std::vector<std::int64_t> parse_list(const std::string& s) {
  std::vector<std::int64_t> out;
  std::size_t at = 0;
  while (at < s.size()) {
    const std::size_t end = std::min(s.find(',', at), s.size());
    if (end > at) out.push_back(std::stoll(s.substr(at, end - at)));
    at = end + 1;
  }
  if (out.empty()) throw std::runtime_error("--efs needs a comma-separated list of ef values");
  return out;
}

int run(int argc, char** argv) {
  // String options first; bench_util parses the numeric and common ones.
  std::string vectors_file, efs_text = "16,24,32,48,64,96,128,192,256", embedder_dir, corpus;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--vectors" || a == "--efs" || a == "--embedder" || a == "--corpus") && i + 1 < argc) {
      (a == "--vectors" ? vectors_file : a == "--efs" ? efs_text : a == "--embedder" ? embedder_dir : corpus) = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  double n_opt = 200000, dim = 384, clusters = 1000, queries = 1000, kk = 10, m = 16, efc = 200, reps = 5, rank = 32,
         spread = 1.0, noise = 0.25, max_passages = 67000;
  const auto opt = dapt::bench::parse_options(
      static_cast<int>(rest.size()), rest.data(),
      {{"--n", &n_opt}, {"--dim", &dim}, {"--clusters", &clusters}, {"--queries", &queries}, {"--k", &kk},
       {"--m", &m}, {"--ef-construction", &efc}, {"--reps", &reps}, {"--rank", &rank}, {"--spread", &spread},
       {"--noise", &noise}, {"--max-passages", &max_passages}});
  const std::vector<std::int64_t> efs = parse_list(efs_text);
  const int threads = dapt::apply_thread_policy();
  dapt::bench::print_header(kBenchmark);
  const auto nq = static_cast<std::int64_t>(queries), k = static_cast<std::int64_t>(kk);
  const int nreps = static_cast<int>(reps);

  // ---- data: database, queries, exact top-k, cached in the data folder
  fs::create_directories(opt.data_dir);
  std::string tag;
  std::vector<float> base, q;
  std::int64_t n = 0, d = 0;
  if (!embedder_dir.empty() || !corpus.empty()) {
    if (embedder_dir.empty() || corpus.empty() || !vectors_file.empty())
      throw std::runtime_error("--embedder and --corpus go together, and replace --vectors");
    // The passages' embeddings are cached under a name made of the embedder folder, the corpus
    // and the cap: delete the file to re-embed after retraining the embedder.
    const std::uint64_t h = splitmix64(std::hash<std::string>{}(fs::absolute(embedder_dir).string() + "|" + corpus) ^
                                       static_cast<std::uint64_t>(max_passages));
    char name[64];
    std::snprintf(name, sizeof name, "hnsw_corpus_%016llx.npy", static_cast<unsigned long long>(h));
    vectors_file = (opt.data_dir / name).string();
    if (!fs::exists(vectors_file)) {
      const std::vector<std::string> passages = corpus_passages(corpus, static_cast<std::int64_t>(max_passages));
      auto emb = dapt::embed::load_embedder(embedder_dir);
      const dapt::tokenizer::Tokenizer tok = dapt::tokenizer::load_tokenizer(fs::path(embedder_dir) / "tokenizer.json");
      const auto t0 = std::chrono::steady_clock::now();
      const dapt::Tensor<dapt::Cpu> e = emb->embed(tok, passages, dapt::embed::TextKind::kPassage, 64);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("embedded %zu passages of %s with %s (dim %lld) in %.1f s (%.0f passages/s)\n", passages.size(),
                  corpus.c_str(), embedder_dir.c_str(), static_cast<long long>(emb->dim()), secs,
                  static_cast<double>(passages.size()) / secs);
      write_npy(vectors_file, e.data<const float>(), "<f4", sizeof(float), e.dim(0), e.dim(1));
    }
  }
  if (!vectors_file.empty()) {
    const auto all = read_npy(vectors_file, "<f4", sizeof(float));
    if (!all) throw std::runtime_error("cannot open --vectors " + vectors_file);
    if (all->rows <= nq) throw std::runtime_error("--vectors has " + std::to_string(all->rows) + " rows, need more than --queries");
    d = all->cols;
    n = all->rows - nq;
    const std::vector<float> v = as_floats(*all);
    base.assign(v.begin(), v.begin() + n * d);
    q.assign(v.begin() + n * d, v.end());
    tag = "file_" + fs::path(vectors_file).stem().string() + "_" + std::to_string(all->rows) + "x" + std::to_string(d) +
          "_q" + std::to_string(nq);
  } else {
    SynthSpec s;
    s.dim = static_cast<std::int64_t>(dim);
    s.clusters = static_cast<std::int64_t>(clusters);
    s.rank = static_cast<std::int64_t>(rank);
    s.spread = spread;
    s.noise = noise;
    n = static_cast<std::int64_t>(n_opt);
    d = s.dim;
    tag = "syn_n" + std::to_string(n) + "_q" + std::to_string(nq) + "_" + s.tag() + "_v1";
    const fs::path bp = opt.data_dir / ("hnsw_" + tag + "_base.npy");
    if (const auto a = read_npy(bp, "<f4", sizeof(float)); a && a->rows == n && a->cols == d) {
      base = as_floats(*a);
    } else {
      std::printf("generating %lld x %lld synthetic embeddings\n", static_cast<long long>(n), static_cast<long long>(d));
      std::fflush(stdout);
      base = synthesize(s, n, 1);
    }
    q = synthesize(s, nq, 2);
  }
  const fs::path base_path = opt.data_dir / ("hnsw_" + tag + "_base.npy");
  const fs::path query_path = opt.data_dir / ("hnsw_" + tag + "_queries.npy");
  const fs::path gt_path = opt.data_dir / ("hnsw_" + tag + "_gt" + std::to_string(k) + ".npy");
  if (!fs::exists(base_path)) write_npy(base_path, base.data(), "<f4", sizeof(float), n, d);
  write_npy(query_path, q.data(), "<f4", sizeof(float), nq, d);
  std::vector<std::int64_t> gt;
  if (const auto a = read_npy(gt_path, "<i8", sizeof(std::int64_t)); a && a->rows == nq && a->cols == k) {
    gt.resize(static_cast<std::size_t>(nq * k));
    std::memcpy(gt.data(), a->bytes.data(), a->bytes.size());
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    dapt::retrieval::FlatIndex flat(d, dapt::retrieval::Metric::kInnerProduct);
    flat.add(base);  // ids 0 .. n-1: the row numbers, as hnswlib and faiss are given
    const auto exact = flat.search_batch(q, k);
    for (const auto& hits : exact) {
      if (static_cast<std::int64_t>(hits.size()) != k) throw std::runtime_error("exact search returned too few hits");
      for (const auto& h : hits) gt.push_back(h.id);
    }
    write_npy(gt_path, gt.data(), "<i8", sizeof(std::int64_t), nq, k);
    std::printf("exact top-%lld of %lld queries: %.1f s (FlatIndex)\n", static_cast<long long>(k),
                static_cast<long long>(nq), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  double base_sum = 0;
  for (float v : base) base_sum += v;
  std::printf("database %lld x %lld (%s), %lld queries, k %lld, M %lld, efConstruction %lld, %d threads\n",
              static_cast<long long>(n), static_cast<long long>(d), vectors_file.empty() ? "synthetic" : vectors_file.c_str(),
              static_cast<long long>(nq), static_cast<long long>(k), static_cast<long long>(m), static_cast<long long>(efc),
              threads);
  std::fflush(stdout);

  // ---- ours
  std::vector<System> systems;
  {
    System ours;
    ours.name = "dapt";
    dapt::retrieval::HnswOptions o;
    o.dim = d;
    o.metric = dapt::retrieval::Metric::kInnerProduct;
    o.m = static_cast<std::int64_t>(m);
    o.ef_construction = static_cast<std::int64_t>(efc);
    o.seed = 100;
    o.initial_capacity = n;
    dapt::retrieval::HnswIndex index(o);
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = i;
    const auto t0 = std::chrono::steady_clock::now();
    index.add(ids, base);
    ours.build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("dapt: build %.2f s\n", ours.build_s);
    std::fflush(stdout);
    // Rounds over the whole sweep rather than repetitions of one ef: on a shared machine a burst
    // of load then costs one sample of every ef instead of every sample of one ef.
    std::vector<std::vector<double>> samples(efs.size());
    std::vector<double> recalls(efs.size());
    for (int round = 0; round <= nreps; ++round) {  // round 0 is the untimed warm-up
      for (std::size_t e = 0; e < efs.size(); ++e) {
        const auto t1 = std::chrono::steady_clock::now();
        const auto got = index.search_batch(q, k, efs[e]);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
        if (round == 0) recalls[e] = recall_at(got, gt, k);
        else samples[e].push_back(s);
      }
    }
    for (std::size_t e = 0; e < efs.size(); ++e) {
      const SweepPoint p{efs[e], recalls[e], static_cast<double>(nq) / dapt::bench::summarize(samples[e]).median};
      std::printf("  ef %4lld: recall@%lld %.4f, %10.0f queries/s\n", static_cast<long long>(p.ef),
                  static_cast<long long>(k), p.recall, p.qps);
      ours.sweep.push_back(p);
    }
    std::fflush(stdout);
    systems.push_back(ours);
  }
  base.clear();
  base.shrink_to_fit();

  // ---- peers
  std::string error;
  bool same = true;
  std::map<std::string, std::string> versions;
  if (!fs::exists(opt.python)) {
    error = "no Python at " + opt.python.string() + " (run benchmarks/setup)";
  } else {
    using dapt::bench::shell_quote;
    std::string efs_arg;
    for (std::int64_t ef : efs) efs_arg += (efs_arg.empty() ? "" : ",") + std::to_string(ef);
    const auto r = dapt::bench::run_command(
        shell_quote(opt.python.string()) + " " + shell_quote((opt.peers_dir / "hnsw_index.py").string()) + " --base " +
        shell_quote(base_path.string()) + " --queries " + shell_quote(query_path.string()) + " --gt " +
        shell_quote(gt_path.string()) + " --m " + std::to_string(static_cast<int>(m)) + " --ef-construction " +
        std::to_string(static_cast<int>(efc)) + " --threads " + std::to_string(threads) + " --efs " + efs_arg +
        " --k " + std::to_string(k) + " --reps " + std::to_string(nreps));
    if (r.exit_code != 0) {
      error = "peer exited with status " + std::to_string(r.exit_code);
    } else {
      const boost::json::object o = dapt::bench::last_json_line(r.out);
      const double peer_sum = o.at("base_sum").to_number<double>();
      if (o.at("n").to_number<std::int64_t>() != n || o.at("d").to_number<std::int64_t>() != d ||
          o.at("nq").to_number<std::int64_t>() != nq || std::abs(peer_sum - base_sum) > 1e-6 * (1 + std::abs(base_sum))) {
        std::fprintf(stderr, "the peer read other data (n, d, nq or checksum differ): not the same work\n");
        same = false;
      }
      for (const auto& [name, value] : o.at("systems").as_object()) {
        System s;
        s.name = std::string(name);
        const auto& so = value.as_object();
        if (so.contains("error")) {
          s.error = std::string(so.at("error").as_string());
        } else {
          versions[s.name] = std::string(so.at("version").as_string());
          s.build_s = so.at("build_s").to_number<double>();
          for (const auto& pv : so.at("sweep").as_array()) {
            const auto& po = pv.as_object();
            s.sweep.push_back({po.at("ef").to_number<std::int64_t>(), po.at("recall").to_number<double>(),
                               po.at("qps").to_number<double>()});
          }
        }
        systems.push_back(s);
      }
    }
  }
  if (!error.empty()) std::fprintf(stderr, "peers not compared: %s\n", error.c_str());

  // ---- the sweep side by side
  std::printf("\nbatch of %lld queries on %d threads; recall@%lld against the exact top-%lld\n", static_cast<long long>(nq),
              threads, static_cast<long long>(k), static_cast<long long>(k));
  std::printf("%6s", "ef");
  for (const auto& s : systems) std::printf("  %12s recall %12s q/s", s.name.c_str(), s.name.c_str());
  std::printf("\n");
  for (const std::int64_t ef : efs) {
    std::printf("%6lld", static_cast<long long>(ef));
    for (const auto& s : systems) {
      const auto p = s.at_ef(ef);
      if (p) std::printf("  %19.4f %16.0f", p->recall, p->qps);
      else std::printf("  %19s %16s", "n/a", "n/a");
    }
    std::printf("\n");
  }
  std::printf("%6s", "build");
  for (const auto& s : systems) std::printf("  %19s %14.2fs", "", s.build_s);
  std::printf("\n\nsmallest ef reaching recall@%lld >= %.2f:\n", static_cast<long long>(k), kRecallTarget);
  for (const auto& s : systems) {
    if (!s.error.empty()) {
      std::printf("  %-8s not run: %s\n", s.name.c_str(), s.error.c_str());
    } else if (const auto p = s.at_target()) {
      std::printf("  %-8s ef %4lld: recall %.4f, %.0f queries/s (interpolated at recall %.2f: %.0f queries/s)\n",
                  s.name.c_str(), static_cast<long long>(p->ef), p->recall, p->qps, kRecallTarget, *s.qps_at_target());
    } else {
      std::printf("  %-8s never reaches it in the sweep\n", s.name.c_str());
    }
  }
  std::fflush(stdout);

  // ---- results: ours against each peer
  std::vector<Result> results;
  char shape[160];
  std::snprintf(shape, sizeof shape, " (%lldx%lld %s, M%lld efC%lld, k%lld)", static_cast<long long>(n),
                static_cast<long long>(d), vectors_file.empty() ? "synthetic" : fs::path(vectors_file).stem().c_str(),
                static_cast<long long>(m), static_cast<long long>(efc), static_cast<long long>(k));
  const System& ours = systems.front();
  bool peer_ran = error.empty();
  for (std::size_t i = 1; i < systems.size(); ++i) {
    const System& peer = systems[i];
    const bool ok = peer.error.empty();
    peer_ran = peer_ran && ok;
    const std::string peer_name =
        peer.name == "faiss" ? "faiss " + versions[peer.name] + " IndexHNSWFlat" : peer.name + " " + versions[peer.name];
    auto add = [&](const std::string& metric, const std::string& unit, Better better, double o, std::optional<double> p) {
      Result r;
      r.benchmark = kBenchmark;
      r.metric = metric + shape;
      r.unit = unit;
      r.better = better;
      r.threads = threads;
      r.peer = ok ? peer_name : peer.name;
      r.ours = o;
      r.peer_value = ok ? p : std::nullopt;
      results.push_back(r);
    };
    add("build time", "s", Better::kLower, ours.build_s, peer.build_s);
    const auto ot = ours.at_target(), pt = peer.at_target();
    add("queries/s at recall@" + std::to_string(k) + " >= 0.95 (batch, smallest ef of the sweep)", "queries/s", Better::kHigher,
        ot ? ot->qps : 0.0, pt ? std::optional<double>(pt->qps) : std::nullopt);
    add("queries/s at recall@" + std::to_string(k) + " = 0.95 (batch, interpolated in the sweep)", "queries/s",
        Better::kHigher, ours.qps_at_target().value_or(0.0), peer.qps_at_target());
    if (const auto o64 = ours.at_ef(64)) {
      const auto p64 = peer.at_ef(64);
      add("recall@" + std::to_string(k) + " at ef 64", "recall", Better::kHigher, o64->recall,
          p64 ? std::optional<double>(p64->recall) : std::nullopt);
    }
  }
  return dapt::bench::finish(kBenchmark, results, opt, same, peer_ran);
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
