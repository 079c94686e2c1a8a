"""@file hnsw_index.py
@brief The peers of benchmarks/hnsw_index_bench.cpp: hnswlib's `Index(space='ip')` and faiss's
`IndexHNSWFlat(d, M, METRIC_INNER_PRODUCT)`, built on the same fp32 vectors with the same M,
efConstruction and thread count as the C++ side, then searched with the same queries and ef sweep.

  hnsw_index.py --base X.npy --queries Q.npy --gt G.npy --m 16 --ef-construction 200 --threads N
                --efs 16,24,32,48,64,96,128,192,256 --k 10 --reps 5 [--systems hnswlib,faiss]

X.npy (n, d) float32, Q.npy (nq, d) float32 and G.npy (nq, k) int64 (the exact top-k ids by inner
product, rows of X numbered from 0) are files the C++ side wrote. For each system: the build is
timed once (hnswlib: init_index(max_elements=n, ef_construction, M, random_seed=100) is untimed,
set_num_threads(N), then add_items(X, arange(n)) is timed; faiss: IndexHNSWFlat with
hnsw.efConstruction set, faiss.omp_set_num_threads(N), then add(X) is timed). Then the sweep, as
on the C++ side: one untimed round and `reps` timed rounds, each round setting every ef in turn
(hnswlib set_ef, faiss hnsw.efSearch) and searching all nq queries in one call on N threads
(hnswlib knn_query(Q, k, num_threads=N), faiss search(Q, k)); the median per ef gives queries/s,
and recall@k is |result ∩ G| / k averaged over the queries (from the untimed round). Times come
from time.perf_counter(). A system whose module is missing is reported with an "error" field and
skipped. The last line of stdout is one JSON object:
    {"peer": "hnswlib+faiss", "numpy": ..., "threads": N, "n": n, "d": d, "nq": nq, "k": k,
     "base_sum": sum of X in float64 (lets the C++ side check that both sides read the same data),
     "systems": {"hnswlib": {"version": ..., "build_s": ..., "sweep": [{"ef": 16, "recall": ...,
     "qps": ..., "s_median": ..., "s_all": [...]}, ...]}, "faiss": {...}}}
"""

import argparse
import json
import os
import statistics
import sys
import time
from importlib import metadata


def recall_at(ids, gt):
    """Mean over queries of |ids[i] ∩ gt[i]| / k."""
    k = gt.shape[1]
    hits = 0
    for row, truth in zip(ids, gt):
        hits += len(set(int(v) for v in row[:k]) & set(int(v) for v in truth))
    return hits / (k * len(gt))


def sweep(search, set_ef, efs, q, gt, k, reps):
    """Round 0 (untimed) gives the recall per ef; rounds 1..reps each time every ef once."""
    samples = {ef: [] for ef in efs}
    recall = {}
    for rnd in range(reps + 1):
        for ef in efs:
            set_ef(ef)
            t0 = time.perf_counter()
            ids = search(q, k)
            dt = time.perf_counter() - t0
            if rnd == 0:
                recall[ef] = recall_at(ids, gt)
            else:
                samples[ef].append(dt)
    out = []
    for ef in efs:
        med = statistics.median(samples[ef])
        out.append({"ef": ef, "recall": recall[ef], "qps": q.shape[0] / med, "s_median": med, "s_all": samples[ef]})
        print(f"  ef {ef:4d}: recall@{k} {recall[ef]:.4f}, {q.shape[0] / med:10.0f} queries/s", file=sys.stderr)
    return out


def run_hnswlib(x, q, gt, args, efs):
    import hnswlib
    import numpy as np

    n, d = x.shape
    index = hnswlib.Index(space="ip", dim=d)
    index.init_index(max_elements=n, ef_construction=args.ef_construction, M=args.m, random_seed=100)
    index.set_num_threads(args.threads)
    t0 = time.perf_counter()
    index.add_items(x, np.arange(n, dtype=np.int64), num_threads=args.threads)
    build_s = time.perf_counter() - t0
    print(f"hnswlib: build {build_s:.2f} s", file=sys.stderr)

    def search(qs, k):
        labels, _ = index.knn_query(qs, k=k, num_threads=args.threads)
        return labels

    result = {"version": metadata.version("hnswlib"), "build_s": build_s,
              "sweep": sweep(search, index.set_ef, efs, q, gt, args.k, args.reps)}
    del index
    return result


def run_faiss(x, q, gt, args, efs):
    import faiss

    faiss.omp_set_num_threads(args.threads)
    n, d = x.shape
    index = faiss.IndexHNSWFlat(d, args.m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = args.ef_construction
    t0 = time.perf_counter()
    index.add(x)
    build_s = time.perf_counter() - t0
    print(f"faiss: build {build_s:.2f} s", file=sys.stderr)

    def set_ef(ef):
        index.hnsw.efSearch = ef

    def search(qs, k):
        _, ids = index.search(qs, k)
        return ids

    result = {"version": faiss.__version__, "build_s": build_s,
              "sweep": sweep(search, set_ef, efs, q, gt, args.k, args.reps)}
    del index
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].removeprefix("@brief "))
    parser.add_argument("--base", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--gt", required=True)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--efs", default="16,24,32,48,64,96,128,192,256")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--systems", default="hnswlib,faiss")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import numpy as np

    x = np.ascontiguousarray(np.load(args.base), dtype=np.float32)
    q = np.ascontiguousarray(np.load(args.queries), dtype=np.float32)
    gt = np.load(args.gt)[:, :args.k]
    efs = [int(e) for e in args.efs.split(",") if e]
    n, d = x.shape
    out = {"peer": "hnswlib+faiss", "numpy": np.__version__, "threads": args.threads, "n": int(n), "d": int(d),
           "nq": int(q.shape[0]), "k": args.k, "base_sum": float(x.sum(dtype=np.float64)), "systems": {}}
    runners = {"hnswlib": run_hnswlib, "faiss": run_faiss}
    for name in [s for s in args.systems.split(",") if s]:
        try:
            out["systems"][name] = runners[name](x, q, gt, args, efs)
        except ImportError as e:
            print(f"{name}: not available ({e})", file=sys.stderr)
            out["systems"][name] = {"error": str(e)}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
