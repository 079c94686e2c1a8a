"""@file sgemm.py
@brief The machine's float32 GEMM rate through torch.matmul (MKL / oneDNN in the PyPI wheel) and
numpy.matmul (OpenBLAS in the PyPI wheel), on N threads: the yardstick the LLaMA benchmarks hold
their model GFLOP/s against, beside the C++ side's own Eigen sgemm.

  sgemm.py --threads N [--sizes 2048x256x688,...] [--reps 5] [--min-time 0.2] [--skip torch|numpy]

Each size is MxKxN: C (M x N) = A (M x K) @ B (K x N), row-major float32, A and B uniform in
[-1, 1), C preallocated and written through out=. The default sizes are the LLaMA benchmark's
shapes at 2048 tokens (B=8 x T=256, d=256, ffn=688, vocab 8192): the Q/O projections 2048x256x256,
gate/up 2048x256x688, down 2048x688x256 and the lm_head 2048x256x8192, then the squares 1024 and
2048. For each library and size: a few untimed calls, then `reps` samples, each timing as many
back-to-back calls as fill --min-time seconds (at least one) with time.perf_counter(); the rate of
a sample is 2*M*N*K*calls / seconds, and the reported rate is the median sample's.
`torch_sgemm_gflops` and `numpy_sgemm_gflops` are the best rate over the sizes (what the library
reaches on this machine at all); every size is under `by_size`.

The thread pools are sized before the libraries are imported (OMP_NUM_THREADS, MKL_NUM_THREADS,
OPENBLAS_NUM_THREADS), and torch.set_num_threads(N) as well. numpy runs first, then torch, with a
short pause between so that one library's spinning workers do not eat into the other's time.
The last line of stdout is one JSON object:
    {"threads": N, "torch": "2.15.0+cu132", "numpy": "2.4.6", "numpy_blas": "scipy-openblas 0.3.30",
     "torch_blas": "mkl", "torch_cpu_capability": "AVX2", "openblas_coretype": null,
     "torch_sgemm_gflops": ..., "numpy_sgemm_gflops": ...,
     "by_size": [{"m": 2048, "k": 256, "n": 688, "torch_gflops": ..., "numpy_gflops": ...}, ...]}
(a library that was skipped or is not installed has null rates and version).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

DEFAULT_SIZES = "2048x256x256,2048x256x688,2048x688x256,2048x256x8192,1024x1024x1024,2048x2048x2048"


def parse_sizes(text):
    sizes = []
    for item in text.split(","):
        parts = item.strip().lower().split("x")
        if len(parts) != 3:
            raise SystemExit(f"bad size {item!r}: expected MxKxN")
        sizes.append(tuple(int(p) for p in parts))
    return sizes


def rate(call, flops, reps, min_time, warmup=3):
    """GFLOP/s of the median sample; each sample times enough calls to last min_time."""
    for _ in range(warmup):
        call()
    t0 = time.perf_counter()
    call()
    one = max(time.perf_counter() - t0, 1e-9)
    calls = max(1, int(min_time / one))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(calls):
            call()
        samples.append(flops * calls / (time.perf_counter() - t0) / 1e9)
    return statistics.median(samples)


def numpy_blas(np):
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # older numpy: no dicts mode
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].removeprefix("@brief "))
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated MxKxN")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per sample")
    parser.add_argument("--skip", choices=["none", "torch", "numpy"], default="none")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np

    rng = np.random.default_rng(0)
    operands = {s: (rng.uniform(-1, 1, (s[0], s[1])).astype(np.float32),
                    rng.uniform(-1, 1, (s[1], s[2])).astype(np.float32),
                    np.empty((s[0], s[2]), np.float32)) for s in sizes}
    rows = [{"m": m, "k": k, "n": n, "torch_gflops": None, "numpy_gflops": None} for m, k, n in sizes]
    result = {"threads": args.threads, "python": platform.python_version(), "numpy": np.__version__,
              "numpy_blas": numpy_blas(np), "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
              "torch": None, "torch_blas": None, "torch_cpu_capability": None}

    if args.skip != "numpy":
        for row, s in zip(rows, sizes):
            a, b, c = operands[s]
            row["numpy_gflops"] = rate(lambda: np.matmul(a, b, out=c), 2.0 * s[0] * s[1] * s[2], args.reps,
                                       args.min_time)
            print(f"numpy {s[0]}x{s[1]}x{s[2]}: {row['numpy_gflops']:.1f} GFLOP/s", file=sys.stderr)
        time.sleep(0.5)

    if args.skip != "torch":
        try:
            import torch
        except ImportError:
            torch = None
            print("torch is not installed: skipped", file=sys.stderr)
        if torch is not None:
            torch.set_num_threads(args.threads)
            result["torch"] = torch.__version__
            result["torch_blas"] = "mkl" if torch.backends.mkl.is_available() else "other"
            result["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
            with torch.inference_mode():
                for row, s in zip(rows, sizes):
                    a, b, c = (torch.from_numpy(x) for x in operands[s])
                    row["torch_gflops"] = rate(lambda: torch.matmul(a, b, out=c), 2.0 * s[0] * s[1] * s[2],
                                               args.reps, args.min_time)
                    print(f"torch {s[0]}x{s[1]}x{s[2]}: {row['torch_gflops']:.1f} GFLOP/s", file=sys.stderr)

    def best(key):
        values = [r[key] for r in rows if r[key] is not None]
        return max(values) if values else None

    result["torch_sgemm_gflops"] = best("torch_gflops")
    result["numpy_sgemm_gflops"] = best("numpy_gflops")
    result["by_size"] = rows
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
