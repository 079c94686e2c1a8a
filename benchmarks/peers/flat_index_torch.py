"""@file flat_index_torch.py
@brief The PyTorch peer of benchmarks/flat_index_gpu_bench.cu: exact inner-product search as
torch.topk(queries @ X^T, k), over the same vectors, queries and k as the C++ side.

  flat_index_torch.py --data X.npy --queries Q.npy --k 10 --reps R --single S [--device cuda] [--dtype bf16]

X.npy (n, d) and Q.npy (nq, d) are the float32 files the C++ side wrote. X goes to the device once
(as float32, or as bfloat16 with --dtype bf16); TF32 is off, so float32 products are float32 ones.
Each search is timed as the C++ side times its host API: from the queries in host memory to the
ids in host memory (the upload of the queries, the product, torch.topk, the download). (a)
"batch": all nq queries in one product, one untimed and R timed runs; (b) "single": each of the
first S queries alone, after one untimed call. In bf16 the product's output is bf16 too (torch's
matmul returns its inputs' type), so its scores are coarser than the C++ side's fp32 ones. Times
come from time.perf_counter(). The last line of stdout is one JSON object:
    {"peer": "torch", "torch": ..., "device": ..., "dtype": ..., "n": n, "d": d, "nq": nq, "k": k,
     "batch_s_median": ..., "batch_s_all": [...], "single_s_median": ..., "single_s_all": [...],
     "batch_ids": [[...], ...] (nq lists of k ids), "single_ids": [[...], ...] (S lists)}
"""

import argparse
import json
import statistics
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].removeprefix("@brief "))
    parser.add_argument("--data", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--single", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", choices=["float32", "bf16"], default="float32")
    args = parser.parse_args()
    import numpy as np
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    device = torch.device(args.device)
    x = torch.from_numpy(np.load(args.data)).to(device=device, dtype=dtype)
    q = np.ascontiguousarray(np.load(args.queries), dtype=np.float32)
    n, d = x.shape

    def search(queries):
        qd = torch.from_numpy(queries).to(device=device, dtype=dtype)
        _, ids = torch.topk(qd @ x.T, min(args.k, n), dim=1)
        return ids.cpu()  # waits for the device

    search(q)
    batch, ids = [], None
    for _ in range(args.reps):
        t0 = time.perf_counter()
        ids = search(q)
        batch.append(time.perf_counter() - t0)
    batch_median = statistics.median(batch)
    print(f"torch batch: {batch_median * 1e3:.2f} ms for {q.shape[0]} queries", file=sys.stderr)

    single_count = min(args.single, q.shape[0])
    search(q[0:1])
    single, single_ids = [], []
    for i in range(single_count):
        t0 = time.perf_counter()
        sid = search(q[i:i + 1])
        single.append(time.perf_counter() - t0)
        single_ids.append(sid[0].tolist())
    single_median = statistics.median(single)
    print(f"torch single: {single_median * 1e3:.3f} ms median", file=sys.stderr)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    json.dump({"peer": "torch", "torch": torch.__version__, "device": name, "dtype": args.dtype,
               "n": int(n), "d": int(d), "nq": int(q.shape[0]), "k": args.k,
               "batch_s_median": batch_median, "batch_s_all": batch,
               "single_s_median": single_median, "single_s_all": single,
               "batch_ids": ids.tolist(), "single_ids": single_ids}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
