// Exact inner-product search of dapt::retrieval::FlatIndex beside faiss's IndexFlatIP
// (benchmarks/peers/flat_index.py), on the same vectors, queries, k and thread count. The vectors
// are clustered gaussians (1024 centres, seeded counter-based generator), written once as .npy
// files in the bench data folder so that the peer loads exactly the same floats. For each
// database size it measures (a) a batch of queries searched in one call, in queries/s, and (b)
// single queries one call at a time, as the median latency and the database bytes streamed per
// second, also as a percentage of the memory read bandwidth, measured by a STREAM-like sum on the
// same threads: once over a fresh 1 GiB buffer at the start, and over the database itself,
// alternating with our single queries (a shared machine's bandwidth drifts, so the sum measured
// beside the queries is the yardstick the recorded percentage uses; faiss runs later and is
// compared with the same figure). Ours must return the same neighbours
// as faiss (recall of our top-k against faiss's >= 0.99, the rest being float-rounding ties),
// else nothing is recorded.
//   flat_index_bench [--small 200000] [--large 1000000] [--dim 384] [--queries 1000] [--k 10]
//                    [--single 20] [--reps 3] [--stream-mb 1024] [--no-save]
// (--large 0 skips the second size; a quick run: --small 20000 --large 0 --queries 100)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "flat_bench_data.hpp"
#include "dapt/retrieval/flat_index.hpp"

namespace {

constexpr const char* kBenchmark = "flat_index";
namespace fs = std::filesystem;
using dapt::bench::Better;
using dapt::bench::Result;

using dapt::bench::dataset;
using dapt::bench::id_lists;
using dapt::bench::recall;

// ------------------------------------------------------------------------------------------------
// Memory read bandwidth: a STREAM-like sum of a buffer, on the same threads (each sums its own
// contiguous share, as FlatIndex::search streams its rows).

/// Seconds to sum the n floats at `buf` once.
double sum_seconds(const float* buf, std::size_t n) {
  const int threads = dapt::max_threads();
  std::vector<double> part(static_cast<std::size_t>(threads));
  const auto t0 = std::chrono::steady_clock::now();
  dapt::parallel_for(0, threads, [&](std::int64_t t) {
    const std::size_t b = n * static_cast<std::size_t>(t) / threads, e = n * static_cast<std::size_t>(t + 1) / threads;
    // 64 independent lanes: four vector add chains in flight, so the sum is bound by memory,
    // not by add latency (a single-accumulator reduction is not even vectorised).
    float lanes[64] = {};
    std::size_t i = b;
    for (; i + 64 <= e; i += 64)
      for (int j = 0; j < 64; ++j) lanes[j] += buf[i + static_cast<std::size_t>(j)];
    float s = 0;
    for (; i < e; ++i) s += buf[i];
    for (float l : lanes) s += l;
    part[static_cast<std::size_t>(t)] = s;
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  dapt::bench::do_not_optimize(part);
  return seconds;
}

/// GB/s of summing a fresh buffer of `bytes` (much larger than the caches), median of `reps`.
double read_bandwidth_gbps(std::size_t bytes, int reps) {
  const std::size_t n = bytes / sizeof(float);
  std::unique_ptr<float[]> buf(new float[n]);
  dapt::parallel_for(0, static_cast<std::int64_t>(n), [&](std::int64_t i) { buf[i] = static_cast<float>(i & 7); }, 1 << 20);
  std::vector<double> samples;
  for (int r = 0; r < reps + 1; ++r) samples.push_back(sum_seconds(buf.get(), n));
  samples.erase(samples.begin());  // the warm-up
  return static_cast<double>(n * sizeof(float)) / dapt::bench::summarize(samples).median / 1e9;
}

// ------------------------------------------------------------------------------------------------

struct Side {
  double batch_s = 0, single_s = 0;
  std::vector<std::vector<std::int64_t>> batch_ids, single_ids;
};

int run(int argc, char** argv) {
  double small = 200000, large = 1000000, dim = 384, queries = 1000, kk = 10, single = 20, reps = 3, stream_mb = 1024;
  const auto opt = dapt::bench::parse_options(
      argc, argv,
      {{"--small", &small}, {"--large", &large}, {"--dim", &dim}, {"--queries", &queries}, {"--k", &kk},
       {"--single", &single}, {"--reps", &reps}, {"--stream-mb", &stream_mb}});
  const int threads = dapt::apply_thread_policy();
  dapt::bench::print_header(kBenchmark);
  const auto d = static_cast<std::int64_t>(dim), nq = static_cast<std::int64_t>(queries), k = static_cast<std::int64_t>(kk);
  const int nreps = static_cast<int>(reps), nsingle = static_cast<int>(std::min(single, queries));

  const double stream_gbps = read_bandwidth_gbps(static_cast<std::size_t>(stream_mb) << 20, 5);
  std::printf("memory read bandwidth (sum over %.0f MiB, %d threads): %.2f GB/s\n", stream_mb, threads, stream_gbps);
  std::fflush(stdout);

  fs::path query_path;
  const std::vector<float> q = dataset(opt.data_dir, "queries", nq, d, 2, query_path);

  std::vector<Result> results;
  bool same = true, peer_ran = true;
  std::string peer_name = "faiss IndexFlatIP";
  for (const double size : {small, large}) {
    const auto n = static_cast<std::int64_t>(size);
    if (n <= 0) continue;
    fs::path data_path;
    Side ours;
    double sum_s = 0;  // median seconds of a plain sum over the database, measured beside our queries
    {
      dapt::retrieval::FlatIndex index(d, dapt::retrieval::Metric::kInnerProduct);
      {
        const std::vector<float> x = dataset(opt.data_dir, "base", n, d, 1, data_path);
        index.add(x);  // ids 0 .. n-1, as faiss numbers its rows
      }
      dapt::retrieval::HitLists batch;
      ours.batch_s = dapt::bench::time_runs(nreps, [&] { batch = index.search_batch(q, k); }).median;
      for (const auto& hits : batch) {
        ours.batch_ids.emplace_back();
        for (const auto& h : hits) ours.batch_ids.back().push_back(h.id);
      }
      // Each single query alternates with a plain sum over the same vectors: on a shared machine
      // the bandwidth drifts, and the sum measured beside the queries is the fair yardstick.
      std::vector<double> samples, sums;
      (void)index.search(std::span(q.data(), static_cast<std::size_t>(d)), k);
      for (int i = 0; i < nsingle; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto hits = index.search(std::span(q.data() + i * d, static_cast<std::size_t>(d)), k);
        samples.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        ours.single_ids.emplace_back();
        for (const auto& h : hits) ours.single_ids.back().push_back(h.id);
        sums.push_back(sum_seconds(index.vectors().data(), index.vectors().size()));
      }
      ours.single_s = dapt::bench::summarize(samples).median;
      sum_s = dapt::bench::summarize(sums).median;
    }
    const double db_gb = static_cast<double>(n) * static_cast<double>(d) * 4.0 / 1e9;
    const double local_gbps = db_gb / sum_s;
    std::printf("sum over the %.2f GB database beside our single queries: %.2f GB/s\n", db_gb, local_gbps);
    std::printf("ours  n=%lld: batch %.1f ms (%.0f queries/s), single median %.3f ms (%.2f GB/s, %.0f%% of the sum beside it,"
                " %.0f%% of the 1 GiB sum)\n",
                static_cast<long long>(n), ours.batch_s * 1e3, static_cast<double>(nq) / ours.batch_s,
                ours.single_s * 1e3, db_gb / ours.single_s, 100.0 * db_gb / ours.single_s / local_gbps,
                100.0 * db_gb / ours.single_s / stream_gbps);
    std::fflush(stdout);

    // The peer runs after our index is freed, so the two never hold the database at once.
    std::optional<Side> peer;
    std::string error;
    if (!fs::exists(opt.python)) {
      error = "no Python at " + opt.python.string() + " (run benchmarks/setup)";
    } else {
      using dapt::bench::shell_quote;
      const auto r = dapt::bench::run_command(
          shell_quote(opt.python.string()) + " " + shell_quote((opt.peers_dir / "flat_index.py").string()) +
          " --data " + shell_quote(data_path.string()) + " --queries " + shell_quote(query_path.string()) + " --k " +
          std::to_string(k) + " --threads " + std::to_string(threads) + " --reps " + std::to_string(nreps) +
          " --warmup 1 --single " + std::to_string(nsingle));
      if (r.exit_code != 0) {
        error = "peer exited with status " + std::to_string(r.exit_code);
      } else {
        const boost::json::object o = dapt::bench::last_json_line(r.out);
        peer_name = "faiss " + std::string(o.at("faiss").as_string()) + " IndexFlatIP (OpenBLAS " +
                    std::string(o.at("openblas_coretype").as_string()) + ")";
        Side s;
        s.batch_s = o.at("batch_s_median").to_number<double>();
        s.single_s = o.at("single_s_median").to_number<double>();
        s.batch_ids = id_lists(o.at("batch_ids").as_array());
        s.single_ids = id_lists(o.at("single_ids").as_array());
        peer = s;
      }
    }
    if (!error.empty()) {
      std::fprintf(stderr, "peer not compared: %s\n", error.c_str());
      peer_ran = false;
    }
    if (peer) {
      const double rb = recall(ours.batch_ids, peer->batch_ids), rs = recall(ours.single_ids, peer->single_ids);
      std::printf("faiss n=%lld: batch %.1f ms (%.0f queries/s), single median %.3f ms (%.2f GB/s, %.0f%% of the sum beside"
                  " ours)\n",
                  static_cast<long long>(n), peer->batch_s * 1e3, static_cast<double>(nq) / peer->batch_s,
                  peer->single_s * 1e3, db_gb / peer->single_s, 100.0 * db_gb / peer->single_s / local_gbps);
      std::printf("recall@%lld of ours against faiss: batch %.4f, single %.4f\n", static_cast<long long>(k), rb, rs);
      if (rb < 0.99 || rs < 0.99) {
        std::fprintf(stderr, "n=%lld: results differ from faiss (recall %.4f / %.4f): not the same work\n",
                     static_cast<long long>(n), rb, rs);
        same = false;
      }
    }

    char shape[96];
    std::snprintf(shape, sizeof shape, " (%lldx%lld fp32, k=%lld)", static_cast<long long>(n), static_cast<long long>(d),
                  static_cast<long long>(k));
    auto add = [&](const std::string& metric, const std::string& unit, Better better, double o, std::optional<double> p) {
      Result r;
      r.benchmark = kBenchmark;
      r.metric = metric + shape;
      r.unit = unit;
      r.better = better;
      r.threads = threads;
      r.peer = peer_name;
      r.ours = o;
      r.peer_value = p;
      results.push_back(r);
    };
    auto peer_value = [&](auto f) { return peer ? std::optional<double>(f(*peer)) : std::nullopt; };
    add("batch search, " + std::to_string(nq) + " queries", "queries/s", Better::kHigher,
        static_cast<double>(nq) / ours.batch_s, peer_value([&](const Side& s) { return static_cast<double>(nq) / s.batch_s; }));
    add("single query latency (median)", "ms", Better::kLower, ours.single_s * 1e3,
        peer_value([](const Side& s) { return s.single_s * 1e3; }));
    add("single query GB/s, % of a plain sum over the database (" + dapt::bench::format_number(local_gbps) + " GB/s)",
        "%", Better::kHigher, 100.0 * db_gb / ours.single_s / local_gbps,
        peer_value([&](const Side& s) { return 100.0 * db_gb / s.single_s / local_gbps; }));
  }
  return dapt::bench::finish(kBenchmark, results, opt, same, peer_ran);
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
