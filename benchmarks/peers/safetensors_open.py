"""@file safetensors_open.py
@brief The Python peer of benchmarks/safetensors_open_bench.cpp: the same two operations on the
same file through the reference implementation, `safetensors.safe_open(path, framework="numpy")`.
(a) "read": open the file, get_tensor() every key and reduce its bytes as little-endian uint32
words summed into a uint64 (`arr.view(np.uint32).sum(dtype=np.uint64)`), the exact integer
reduction the C++ side does, so both sides do the same arithmetic and must agree on the checksum.
(b) "handles": open the file, list keys() and get_slice() every key, reading its shape (the
metadata path: no tensor data is touched). Each is run once untimed to warm up, then timed `reps`
times with time.perf_counter(); the median, min and max seconds are printed as one JSON object on
stdout, with the checksum and the versions that ran. numpy has no bfloat16, so get_tensor() refuses
BF16 tensors: that is why the benchmark file is F32.
"""

import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np
import safetensors
from safetensors import safe_open


def read_all(path):
    """Open, materialise every tensor, reduce every 4-byte word; returns (checksum, tensor count)."""
    total = 0
    count = 0
    with safe_open(path, framework="numpy") as f:
        for key in f.keys():
            arr = f.get_tensor(key)
            # Python ints do not wrap; the C++ side wraps at 2**64, so fold the same way.
            total = (total + int(arr.view(np.uint32).sum(dtype=np.uint64))) % (1 << 64)
            count += 1
    return total, count


def handles(path):
    """Open and obtain a handle (with its shape) for every tensor; returns the summed rank."""
    rank_sum = 0
    with safe_open(path, framework="numpy") as f:
        for key in f.keys():
            rank_sum += len(f.get_slice(key).get_shape())
    return rank_sum


def measure(fn, path, reps, warmup):
    for _ in range(warmup):
        fn(path)
    samples = []
    result = None
    for _ in range(reps):
        t0 = time.perf_counter()
        result = fn(path)
        samples.append(time.perf_counter() - t0)
    stats = {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "reps": reps}
    return stats, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--read-reps", type=int, default=11)
    parser.add_argument("--handle-reps", type=int, default=101)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()

    read_stats, (checksum, count) = measure(read_all, args.path, args.read_reps, args.warmup)
    handle_stats, rank_sum = measure(handles, args.path, args.handle_reps, args.warmup)
    json.dump(
        {
            "read": read_stats,
            "handles": handle_stats,
            "checksum": checksum,
            "tensors": count,
            "rank_sum": rank_sum,
            "safetensors": safetensors.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
