// Exact inner-product search of retrieval::FlatIndex<Cuda> beside PyTorch on the same GPU
// (benchmarks/peers/flat_index_torch.py: torch.topk(queries @ X^T, k)), on flat_index_bench's
// clustered vectors (the same cached .npy files), in fp32 (ours: the pedantic fp32 GEMM; the peer:
// TF32 off) and in bf16 (ours: bf16 rows and queries, fp32 scores; the peer: bf16 tensors, whose
// product is bf16). Both sides are timed from queries in host memory to ids in host memory: (a) a
// batch of queries in one call, in queries/s, and (b) single queries one call at a time, the
// median latency. Our index is freed before the peer runs, so the two never share the device.
// The fp32 ids must agree with the peer's (recall@k >= 0.99, the rest being rounding ties), else
// nothing is recorded; in bf16 the recall of each side against the fp32 peer's ids is printed.
//   flat_index_gpu_bench [--size 1000000] [--dim 384] [--queries 1000] [--k 10] [--single 20] [--reps 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "bench_util.hpp"
#include "dapt/cuda.cuh"
#include "flat_bench_data.hpp"
#include "gpu_bench_util.cuh"

namespace {

constexpr const char* kBenchmark = "flat_index_gpu";
namespace fs = std::filesystem;
using dapt::Cuda;
using dapt::DType;
using dapt::bench::Better;
using dapt::bench::Result;
using dapt::retrieval::FlatIndex;
using IdLists = std::vector<std::vector<std::int64_t>>;

struct Side {
  double batch_s = 0, single_s = 0;
  IdLists batch_ids, single_ids;
};

IdLists ids_of(const dapt::retrieval::HitLists& lists) {
  IdLists out;
  for (const auto& hits : lists) {
    out.emplace_back();
    for (const auto& h : hits) out.back().push_back(h.id);
  }
  return out;
}

/// Median seconds of `fn` over `reps` runs after one untimed, each ended by a wait for the stream.
template <class Fn>
double device_seconds(int reps, Fn&& fn) {
  return dapt::bench::time_runs(reps, [&] {
           fn();
           DAPT_CUDA_CHECK(cudaStreamSynchronize(dapt::cuda::current_stream()));
         }).median;
}

/// Where a batch's time goes (printed only): the whole batch from device queries to device hits
/// (search_device: no host copies), and for one chunk of queries (the queries whose scores fit
/// in the score budget) the GEMM + top-k and the top-k alone.
void print_breakdown(const FlatIndex<Cuda>& index, const std::vector<float>& q, std::int64_t d, std::int64_t k,
                     DType storage, int reps) {
  namespace cuda = dapt::cuda;
  const auto nq = static_cast<std::int64_t>(q.size()) / d, n = index.size();
  const std::int64_t chunk = dapt::retrieval::detail::flat_query_chunk(n, nq);
  using dapt::DeviceAllocator;
  auto top = DeviceAllocator<Cuda>::allocate(static_cast<std::size_t>(nq * k) * sizeof(float));
  auto ids = DeviceAllocator<Cuda>::allocate(static_cast<std::size_t>(nq * k) * sizeof(std::int64_t));
  auto scores = DeviceAllocator<Cuda>::allocate(static_cast<std::size_t>(chunk * n) * sizeof(float));
  auto* top_p = reinterpret_cast<float*>(top.get());
  auto* ids_p = reinterpret_cast<std::int64_t*>(ids.get());
  auto* scores_p = reinterpret_cast<float*>(scores.get());
  double whole = 0, one = 0, topk = 0;
  const auto run = [&](const auto* dq) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(dq)>>;
    whole = device_seconds(reps, [&] { index.search_device(dq, nq, k, top_p, ids_p); });
    one = device_seconds(reps, [&] {
      cuda::FlatSearch::search<T>(index.template device_vectors<T>(), dq, index.device_ids(), nullptr, n, chunk, d, k,
                                  top_p, ids_p, scores_p);
    });
    topk = device_seconds(reps, [&] { cuda::FlatSearch::topk(scores_p, index.device_ids(), nullptr, chunk, n, k, top_p, ids_p); });
  };
  if (storage == DType::kBF16) {
    std::vector<dapt::bf16> narrow(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) narrow[i] = dapt::bf16(q[i]);
    auto dq = DeviceAllocator<Cuda>::allocate(narrow.size() * sizeof(dapt::bf16));
    DeviceAllocator<Cuda>::copy_from_host(dq.get(), narrow.data(), narrow.size() * sizeof(dapt::bf16));
    run(reinterpret_cast<const dapt::bf16*>(dq.get()));
  } else {
    auto dq = DeviceAllocator<Cuda>::allocate(q.size() * sizeof(float));
    DeviceAllocator<Cuda>::copy_from_host(dq.get(), q.data(), q.size() * sizeof(float));
    run(reinterpret_cast<const float*>(dq.get()));
  }
  std::printf("  breakdown (%s): the batch from device queries to device hits %.2f ms; one chunk of %lld queries:"
              " GEMM + top-k %.3f ms, top-k alone %.3f ms (%lld chunks a batch)\n",
              storage == DType::kBF16 ? "bf16" : "float32", whole * 1e3, static_cast<long long>(chunk), one * 1e3,
              topk * 1e3, static_cast<long long>((nq + chunk - 1) / chunk));
}

Side run_ours(const std::vector<float>& x, const std::vector<float>& q, std::int64_t d, std::int64_t k, DType storage,
              int reps, int nsingle) {
  FlatIndex<Cuda> index(d, dapt::retrieval::Metric::kInnerProduct, storage);
  index.add(x);  // ids 0 .. n-1, the peer's row numbers
  Side s;
  dapt::retrieval::HitLists batch;
  s.batch_s = dapt::bench::time_runs(reps, [&] { batch = index.search_batch(q, k); }).median;
  s.batch_ids = ids_of(batch);
  const auto query = [&](int i) {
    return std::span(q.data() + static_cast<std::size_t>(i * d), static_cast<std::size_t>(d));
  };
  (void)index.search(query(0), k);
  std::vector<double> samples;
  dapt::retrieval::HitLists singles;
  for (int i = 0; i < nsingle; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    singles.push_back(index.search(query(i), k));
    samples.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  s.single_s = dapt::bench::summarize(samples).median;
  s.single_ids = ids_of(singles);
  print_breakdown(index, q, d, k, storage, reps);
  return s;
}

std::optional<Side> run_peer(const dapt::bench::Options& opt, const fs::path& data, const fs::path& queries,
                             std::int64_t k, int reps, int nsingle, const char* dtype, std::string& name,
                             std::string& error) {
  if (!fs::exists(opt.python) && opt.python.has_parent_path()) {
    error = "no Python at " + opt.python.string();
    return std::nullopt;
  }
  using dapt::bench::shell_quote;
  const auto r = dapt::bench::run_command(
      shell_quote(opt.python.string()) + " " + shell_quote((opt.peers_dir / "flat_index_torch.py").string()) +
      " --data " + shell_quote(data.string()) + " --queries " + shell_quote(queries.string()) + " --k " +
      std::to_string(k) + " --reps " + std::to_string(reps) + " --single " + std::to_string(nsingle) +
      " --device cuda --dtype " + dtype);
  if (r.exit_code != 0) {
    error = std::string("peer (") + dtype + ") exited with status " + std::to_string(r.exit_code);
    return std::nullopt;
  }
  const boost::json::object o = dapt::bench::last_json_line(r.out);
  name = "torch " + std::string(o.at("torch").as_string()) + " (matmul + topk, " +
         std::string(o.at("device").as_string()) + ")";
  Side s;
  s.batch_s = o.at("batch_s_median").to_number<double>();
  s.single_s = o.at("single_s_median").to_number<double>();
  s.batch_ids = dapt::bench::id_lists(o.at("batch_ids").as_array());
  s.single_ids = dapt::bench::id_lists(o.at("single_ids").as_array());
  return s;
}

int run(int argc, char** argv) {
  double size = 1000000, dim = 384, queries = 1000, kk = 10, single = 20, reps = 5;
  const auto opt = dapt::bench::parse_options(argc, argv,
                                              {{"--size", &size}, {"--dim", &dim}, {"--queries", &queries},
                                               {"--k", &kk}, {"--single", &single}, {"--reps", &reps}});
  dapt::bench::print_header(kBenchmark);
  const std::string device = dapt::bench::device_description();
  std::printf("device: %s\n", device.c_str());
  const auto n = static_cast<std::int64_t>(size), d = static_cast<std::int64_t>(dim),
             nq = static_cast<std::int64_t>(queries), k = static_cast<std::int64_t>(kk);
  const int nreps = static_cast<int>(reps), nsingle = static_cast<int>(std::min(single, queries));
  if (n < 1 || d < 1 || nq < 1 || k < 1 || k > dapt::cuda::kMaxTopK || nreps < 1 || nsingle < 1)
    throw std::runtime_error("--size, --dim, --queries, --single and --reps must be at least 1, --k in [1, 1024]");
  fs::path data_path, query_path;
  const std::vector<float> x = dapt::bench::dataset(opt.data_dir, "base", n, d, 1, data_path);
  const std::vector<float> q = dapt::bench::dataset(opt.data_dir, "queries", nq, d, 2, query_path);

  std::vector<Result> results;
  bool same = true, peer_ran = true;
  std::string peer_name = "torch (matmul + topk)";
  std::optional<Side> exact;  // the fp32 peer's, the reference of the bf16 recall
  for (const auto& [storage, label] : {std::pair{DType::kF32, "float32"}, std::pair{DType::kBF16, "bf16"}}) {
    const Side ours = run_ours(x, q, d, k, storage, nreps, nsingle);
    const double gb = static_cast<double>(n * d) * (storage == DType::kF32 ? 4.0 : 2.0) / 1e9;
    std::printf("ours %s (%.2f GB of vectors on the device): batch %.2f ms (%.0f queries/s), single median %.3f ms\n",
                label, gb, ours.batch_s * 1e3, static_cast<double>(nq) / ours.batch_s, ours.single_s * 1e3);
    std::fflush(stdout);
    std::string error;
    const std::optional<Side> peer = run_peer(opt, data_path, query_path, k, nreps, nsingle, label, peer_name, error);
    if (!error.empty()) {
      std::fprintf(stderr, "peer not compared: %s\n", error.c_str());
      peer_ran = false;
    }
    if (peer) {
      const double rb = dapt::bench::recall(ours.batch_ids, peer->batch_ids),
                   rs = dapt::bench::recall(ours.single_ids, peer->single_ids);
      std::printf("peer %s: batch %.2f ms (%.0f queries/s), single median %.3f ms; recall@%lld of ours against the"
                  " peer: batch %.4f, single %.4f\n",
                  label, peer->batch_s * 1e3, static_cast<double>(nq) / peer->batch_s, peer->single_s * 1e3,
                  static_cast<long long>(k), rb, rs);
      if (storage == DType::kF32 && (rb < 0.99 || rs < 0.99)) {
        std::fprintf(stderr, "fp32 results differ from the peer's (recall %.4f / %.4f): not the same work\n", rb, rs);
        same = false;
      }
      if (storage == DType::kF32) exact = peer;
      if (storage == DType::kBF16 && exact)
        std::printf("bf16 recall@%lld against the fp32 peer's ids: ours batch %.4f, single %.4f; the peer's bf16 batch"
                    " %.4f, single %.4f\n",
                    static_cast<long long>(k), dapt::bench::recall(ours.batch_ids, exact->batch_ids),
                    dapt::bench::recall(ours.single_ids, exact->single_ids),
                    dapt::bench::recall(peer->batch_ids, exact->batch_ids),
                    dapt::bench::recall(peer->single_ids, exact->single_ids));
    }
    char shape[96];
    std::snprintf(shape, sizeof shape, " (%lldx%lld %s, k=%lld)", static_cast<long long>(n),
                  static_cast<long long>(d), label, static_cast<long long>(k));
    auto add = [&](const std::string& metric, const char* unit, Better better, double o, std::optional<double> p) {
      Result r;
      r.benchmark = kBenchmark;
      r.metric = metric + shape;
      r.unit = unit;
      r.better = better;
      r.ours = o;
      r.peer_value = p;
      results.push_back(r);
    };
    add("batch search, " + std::to_string(nq) + " queries", "queries/s", Better::kHigher,
        static_cast<double>(nq) / ours.batch_s,
        peer ? std::optional<double>(static_cast<double>(nq) / peer->batch_s) : std::nullopt);
    add("single query latency (median)", "ms", Better::kLower, ours.single_s * 1e3,
        peer ? std::optional<double>(peer->single_s * 1e3) : std::nullopt);
  }
  for (auto& r : results) {
    r.peer = peer_name;
    r.device = device;
  }
  return dapt::bench::finish(kBenchmark, results, opt, same, peer_ran);
}

}  // namespace

int main(int argc, char** argv) {
  return dapt::bench::guarded_main(kBenchmark, [&] { return run(argc, argv); });
}
