"""@file llama_train.py
@brief The PyTorch peer of the LLaMA training benchmark: full training steps of a Hugging Face
`LlamaForCausalLM` (transformers on torch, float32, CPU) on exactly the checkpoint and the token ids
the C++ side uses, timed step by step.

  llama_train.py --model DIR [--input FILE] [--batch B --seq T] --threads N --steps S --warmup W
                 [--attn sdpa,eager] [--lr 1e-4] [--device cpu|cuda] [--dtype float32|bf16]

--model is a Hugging Face checkpoint folder (config.json + model.safetensors); it is loaded with
`LlamaForCausalLM.from_pretrained(DIR, dtype=torch.float32, attn_implementation=...)`, so the peer
runs on exactly those weights. --input is a .safetensors file holding an int64 tensor `input_ids`
of shape (B, T), or a .npy of that array; B and T then come from the file (--batch/--seq, when
given too, must agree). Without --input the ids are generated deterministically, so that the C++
side can make the same ones: for i = 0 .. B*T-1 (row-major), with 64-bit wrapping arithmetic,
    z = (i + 1) * 0x9E3779B97F4A7C15
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    z =  z ^ (z >> 31)
    input_ids[i] = z % vocab_size
(splitmix64, the generator benchmarks/safetensors_open_bench.cpp fills its weights with).

One step is what a plain PyTorch training loop does:
    optimizer.zero_grad(set_to_none=True)
    loss = model(input_ids=ids, labels=ids).loss   # mean causal-LM cross-entropy over B*(T-1)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
with torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), eps=1e-8,
weight_decay=0.01) (torch's default, single-tensor implementation; weight decay on every
parameter, norms and embeddings included). The model is in train() mode (LLaMA has no dropout at
rate > 0, so this changes no arithmetic). The first W steps are untimed warm-up (allocator pools,
oneDNN kernel selection), the next S are timed one by one with time.perf_counter(); the loss of
every step is kept, so `loss_first` is the loss of the untouched checkpoint (step 0, a warm-up step
when W > 0) and the C++ side can compare its losses step by step.

--device cuda runs the same loop on the first GPU (model and ids moved there; `loss.item()` ends
each timed step, so the step's kernels are done when the clock stops). --dtype bf16 (GPU only)
runs the forward under torch.autocast(dtype=torch.bfloat16), the usual mixed precision of a
PyTorch training script: fp32 master weights and optimizer state, bf16 matmuls. The JSON then
also holds "device" (the GPU's name) and "dtype".

Each attention implementation in --attn (default "sdpa,eager") is measured on a freshly loaded
model, so both start from the same weights; the top-level figures are those of the faster one
(smaller median step), and every one is under `by_attn`.

torch's intra-op pool is set to N threads (torch.set_num_threads, and OMP_NUM_THREADS and
MKL_NUM_THREADS before torch is imported, so that MKL and oneDNN agree). The last line of stdout is
one JSON object:
    {"peer": "torch", "torch": "2.15.0+cu132", "transformers": "5.24.0", "python": "3.11.7",
     "threads": N, "batch": B, "seq": T, "steps": S, "warmup": W, "input": "FILE" | "splitmix64",
     "params": P, "attn_implementation": "sdpa", "step_ms_median": ..., "step_ms_min": ...,
     "step_ms_max": ..., "step_ms_all": [...S values...], "tokens_per_s": B*T/median_seconds,
     "loss_first": ..., "loss_last": ..., "losses": [...W+S values...],
     "optimizer": {...}, "by_attn": {"sdpa": {same step/loss keys}, "eager": {...}}}
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time


from llama_common import check_loading, fp32_kwargs, splitmix_ids  # noqa: E402  (shared with the other peers)


def load_ids(path):
    """int64 `input_ids` from a .safetensors file or a .npy array."""
    import numpy as np

    if path.endswith(".npy"):
        arr = np.load(path)
    else:
        from safetensors.numpy import load_file

        tensors = load_file(path)
        if "input_ids" not in tensors:
            raise SystemExit(f"{path} has no tensor named input_ids (it has {sorted(tensors)})")
        arr = tensors["input_ids"]
    if arr.dtype.kind not in "iu":
        raise SystemExit(f"{path}: input_ids must be integers, got {arr.dtype}")
    return arr.astype(np.int64)


def stats_ms(seconds):
    ms = [s * 1e3 for s in seconds]
    return {"step_ms_median": statistics.median(ms), "step_ms_min": min(ms), "step_ms_max": max(ms), "step_ms_all": ms}


def train(args, attn, ids, lib):
    torch, transformers, LlamaForCausalLM = lib
    model, info = LlamaForCausalLM.from_pretrained(args.model, **fp32_kwargs(transformers, torch),
                                                   attn_implementation=attn, output_loading_info=True)
    check_loading(args.model, info)
    model.to(args.device)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), eps=1e-8,
                                  weight_decay=0.01)
    batch, seq = ids.shape
    losses, samples = [], []
    for step in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        if args.dtype == "bf16":
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                loss = model(input_ids=ids, labels=ids).loss
        else:
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        value = loss.item()
        t1 = time.perf_counter()
        losses.append(value)
        if step >= args.warmup:
            samples.append(t1 - t0)
    out = stats_ms(samples)
    out["tokens_per_s"] = batch * seq / (out["step_ms_median"] / 1e3)
    out["loss_first"] = losses[0]
    out["loss_last"] = losses[-1]
    out["losses"] = losses
    params = sum(p.numel() for p in model.parameters())
    return out, params


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].removeprefix("@brief "))
    parser.add_argument("--model", required=True, help="Hugging Face checkpoint folder")
    parser.add_argument("--input", help=".safetensors (tensor input_ids) or .npy, int64 (B, T)")
    parser.add_argument("--batch", type=int)
    parser.add_argument("--seq", type=int)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--attn", default="sdpa,eager", help="comma-separated attn_implementation values")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--dtype", default="float32", choices=["float32", "bf16"])
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0:
        parser.error("--steps must be >= 1 and --warmup >= 0")
    if args.dtype == "bf16" and args.device != "cuda":
        parser.error("--dtype bf16 needs --device cuda")

    # Before torch is imported: MKL and OpenMP size their pools from these.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["MKL_NUM_THREADS"] = str(args.threads)
    import numpy as np
    import torch
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()

    config = LlamaConfig.from_pretrained(args.model)
    if args.input:
        ids = load_ids(args.input)
        if ids.ndim == 1:
            ids = ids[None, :]
        if ids.ndim != 2:
            raise SystemExit(f"{args.input}: input_ids must be (B, T), got shape {ids.shape}")
        if (args.batch and args.batch != ids.shape[0]) or (args.seq and args.seq != ids.shape[1]):
            raise SystemExit(f"{args.input} holds {ids.shape}, but --batch {args.batch} --seq {args.seq}")
        source = args.input
    else:
        if not args.batch or not args.seq:
            parser.error("without --input, --batch and --seq are required")
        ids = splitmix_ids(args.batch * args.seq, config.vocab_size).reshape(args.batch, args.seq)
        source = "splitmix64"
    if ids.min() < 0 or ids.max() >= config.vocab_size:
        raise SystemExit(f"token ids out of range [0, {config.vocab_size})")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA device")
    ids_t = torch.from_numpy(np.ascontiguousarray(ids)).to(args.device)

    by_attn = {}
    params = 0
    for attn in [a.strip() for a in args.attn.split(",") if a.strip()]:
        by_attn[attn], params = train(args, attn, ids_t, (torch, transformers, LlamaForCausalLM))
        print(f"{attn}: median step {by_attn[attn]['step_ms_median']:.1f} ms, "
              f"loss {by_attn[attn]['loss_first']:.4f} -> {by_attn[attn]['loss_last']:.4f}", file=sys.stderr)
    best = min(by_attn, key=lambda a: by_attn[a]["step_ms_median"])

    result = {
        "peer": "torch",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "threads": args.threads,
        "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
        "dtype": args.dtype,
        "batch": int(ids.shape[0]),
        "seq": int(ids.shape[1]),
        "steps": args.steps,
        "warmup": args.warmup,
        "input": source,
        "params": params,
        "attn_implementation": best,
        **by_attn[best],
        "optimizer": {"name": "AdamW", "lr": args.lr, "betas": [0.9, 0.95], "eps": 1e-8, "weight_decay": 0.01,
                      "clip_grad_norm": 1.0},
        "by_attn": by_attn,
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
