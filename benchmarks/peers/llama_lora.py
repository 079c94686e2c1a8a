"""@file llama_lora.py
@brief The PyTorch peer of the LoRA benchmark: training steps of a Hugging Face `LlamaForCausalLM`
(transformers on torch, float32, CPU) with full fine-tuning and with peft LoRA adapters, on exactly
the checkpoint and token ids the C++ side uses, timed step by step.

  llama_lora.py --model DIR --batch B --seq T --threads N --steps S --warmup W --ranks 8,64

The ids are benchmarks/peers/llama_common.py's splitmix64 ids. For each method — "full", then
"lora_r<R>" for each rank R — a freshly loaded model trains for W untimed and S timed steps:
    optimizer.zero_grad(set_to_none=True)
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    optimizer.step()
with torch.optim.AdamW(trainable, lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.01), where
`trainable` is every parameter (full) or the LoRA tensors: peft.LoraConfig(r=R, lora_alpha=2R,
lora_dropout=0, target_modules="all-linear") (every linear layer of the blocks, not lm_head),
applied with get_peft_model, which freezes the base. The attention implementation is sdpa.

The last line of stdout is one JSON object:
    {"peer": "torch", "torch": ..., "transformers": ..., "peft": ..., "threads": N, "batch": B,
     "seq": T, "methods": {"full": {"trainable": P, "step_ms_median": ..., "step_ms_all": [...],
     "tokens_per_s": ..., "loss_first": ...}, "lora_r8": {...}, ...}}
"""

import argparse
import json
import os
import statistics
import sys
import time

from llama_common import check_loading, fp32_kwargs, splitmix_ids  # noqa: E402


def run(args, method, rank, ids, lib):
    torch, LlamaForCausalLM, peft = lib
    import transformers

    model, info = LlamaForCausalLM.from_pretrained(args.model, **fp32_kwargs(transformers, torch),
                                                   attn_implementation="sdpa", output_loading_info=True)
    check_loading(args.model, info)
    if rank:
        cfg = peft.LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules="all-linear")
        model = peft.get_peft_model(model, cfg)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.01)
    losses, samples = [], []
    for step in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        losses.append(loss.item())
        if step >= args.warmup:
            samples.append(time.perf_counter() - t0)
    ms = [s * 1e3 for s in samples]
    median = statistics.median(ms)
    batch, seq = ids.shape
    return {"trainable": sum(p.numel() for p in trainable), "step_ms_median": median, "step_ms_min": min(ms),
            "step_ms_max": max(ms), "step_ms_all": ms, "tokens_per_s": batch * seq / (median / 1e3),
            "loss_first": losses[0], "losses": losses}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].removeprefix("@brief "))
    parser.add_argument("--model", required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--seq", type=int, required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--ranks", default="8,64")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["MKL_NUM_THREADS"] = str(args.threads)
    import numpy as np
    import peft
    import torch
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    config = LlamaConfig.from_pretrained(args.model)
    ids = torch.from_numpy(np.ascontiguousarray(
        splitmix_ids(args.batch * args.seq, config.vocab_size).reshape(args.batch, args.seq)))
    methods = {}
    for rank in [0] + [int(r) for r in args.ranks.split(",") if r.strip()]:
        name = f"lora_r{rank}" if rank else "full"
        methods[name] = run(args, name, rank, ids, (torch, LlamaForCausalLM, peft))
        print(f"{name}: median step {methods[name]['step_ms_median']:.1f} ms", file=sys.stderr)
    json.dump({"peer": "torch", "torch": torch.__version__, "transformers": transformers.__version__,
               "peft": peft.__version__, "threads": args.threads, "batch": args.batch, "seq": args.seq,
               "methods": methods}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
