"""@file flat_index.py
@brief The faiss peer of benchmarks/flat_index_bench.cpp: exact inner-product search with
`faiss.IndexFlatIP` over the same fp32 vectors, queries, k and thread count as the C++ side.

  flat_index.py --data X.npy --queries Q.npy --k 10 --threads N --reps R --warmup W --single S

X.npy (n, d) and Q.npy (nq, d) are float32 files the C++ side wrote. The index is built once
(index.add(X)); then (a) "batch": index.search(Q, k) for all nq queries at once, W untimed and R
timed runs; (b) "single": index.search(Q[i:i+1], k) for each of the first S queries, one call at a
time, after one untimed call. Times come from time.perf_counter(). The last line of stdout is one
JSON object:
    {"peer": "faiss", "faiss": ..., "numpy": ..., "threads": N, "n": n, "d": d, "nq": nq, "k": k,
     "batch_s_median": ..., "batch_s_all": [...], "qps": ...,
     "single_s_median": ..., "single_s_all": [...], "openblas_coretype": ...,
     "batch_ids": [[...], ...] (nq lists of k ids), "single_ids": [[...], ...] (S lists)}
The ids let the C++ side check that both sides returned the same neighbours before recording.

faiss-cpu's wheel bundles OpenBLAS 0.3.15, which does not recognise recent Xeons (in a VM it
reports "Core: Prescott") and falls back to its generic kernel, about 3x slower than its AVX-512
one. So that faiss runs at its best, OPENBLAS_CORETYPE is set (unless the caller set it) to the
kernel the CPU flags allow: SkylakeX with AVX-512, Haswell with AVX2. It must be set before faiss
loads OpenBLAS, hence before the import.
"""

import argparse
import json
import os
import statistics
import sys
import time


def openblas_coretype():
    """The OpenBLAS kernel name for this CPU's flags, or None to let OpenBLAS choose."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return None
    if "avx512f" in flags and "avx512bw" in flags and "avx512vl" in flags:
        return "SkylakeX"
    if "avx2" in flags and "fma" in flags:
        return "Haswell"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].removeprefix("@brief "))
    parser.add_argument("--data", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--single", type=int, default=20)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    coretype = os.environ.get("OPENBLAS_CORETYPE") or openblas_coretype()
    if coretype:
        os.environ["OPENBLAS_CORETYPE"] = coretype
    import faiss
    import numpy as np

    faiss.omp_set_num_threads(args.threads)
    x = np.ascontiguousarray(np.load(args.data), dtype=np.float32)
    q = np.ascontiguousarray(np.load(args.queries), dtype=np.float32)
    n, d = x.shape
    index = faiss.IndexFlatIP(d)
    index.add(x)
    del x

    ids = None
    for _ in range(args.warmup):
        index.search(q, args.k)
    batch = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        _, ids = index.search(q, args.k)
        batch.append(time.perf_counter() - t0)
    batch_median = statistics.median(batch)
    print(f"faiss batch: {batch_median * 1e3:.1f} ms for {q.shape[0]} queries", file=sys.stderr)

    single_count = min(args.single, q.shape[0])
    index.search(q[0:1], args.k)
    single, single_ids = [], []
    for i in range(single_count):
        t0 = time.perf_counter()
        _, sid = index.search(q[i:i + 1], args.k)
        single.append(time.perf_counter() - t0)
        single_ids.append(sid[0].tolist())
    single_median = statistics.median(single)
    print(f"faiss single: {single_median * 1e3:.2f} ms median", file=sys.stderr)

    json.dump({"peer": "faiss", "faiss": faiss.__version__, "numpy": np.__version__, "threads": args.threads,
               "openblas_coretype": coretype or "auto",
               "n": int(n), "d": int(d), "nq": int(q.shape[0]), "k": args.k,
               "batch_s_median": batch_median, "batch_s_all": batch, "qps": q.shape[0] / batch_median,
               "single_s_median": single_median, "single_s_all": single,
               "batch_ids": ids.tolist(), "single_ids": single_ids}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
