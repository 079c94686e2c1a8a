"""@file embedder.py
@brief The PyTorch peer of the embedder benchmark: transformers' LlamaModel (float32, CPU, sdpa)
loaded from the folder the C++ side saved (config.json + model.safetensors of a LlamaModel), run
over the same passages (passages.txt: one line of token ids each) in batches of the same size,
padded on the right with an attention mask, then mean pooling over real tokens and L2
normalisation, as sentence-transformers does.

  embedder.py --model DIR --batch B --threads N --reps R

Batches follow the C++ side's order (longest first), so padding is the same. The last line of
stdout is one JSON object: {"peer": "torch", "torch": ..., "transformers": ..., "threads": N,
"seconds_median": ..., "seconds_all": [...], "relative_l2_vs_ours": ...}, the last comparing the
embeddings with the C++ side's (ours.f32 in DIR).
"""

import argparse
import json
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    import numpy as np
    import torch
    import transformers
    from transformers import LlamaModel

    from llama_common import check_loading, fp32_kwargs

    torch.set_num_threads(args.threads)
    model, info = LlamaModel.from_pretrained(args.model, **fp32_kwargs(transformers, torch), attn_implementation="sdpa",
                                             output_loading_info=True)
    check_loading(args.model, info, "LlamaModel")
    model.eval()
    with open(os.path.join(args.model, "passages.txt")) as f:
        passages = [[int(x) for x in line.split()] for line in f if line.strip()]
    order = sorted(range(len(passages)), key=lambda i: -len(passages[i]))  # stable, as std::stable_sort
    batches = []
    for b0 in range(0, len(order), args.batch):
        idx = order[b0:b0 + args.batch]
        t = len(passages[idx[0]])
        ids = torch.zeros((len(idx), t), dtype=torch.long)
        mask = torch.zeros((len(idx), t), dtype=torch.long)
        for r, i in enumerate(idx):
            ids[r, :len(passages[i])] = torch.tensor(passages[i])
            mask[r, :len(passages[i])] = 1
        batches.append((idx, ids, mask))

    def embed_all():
        out = torch.empty((len(passages), model.config.hidden_size))
        with torch.inference_mode():
            for idx, ids, mask in batches:
                h = model(input_ids=ids, attention_mask=mask).last_hidden_state
                m = mask.unsqueeze(-1).to(h.dtype)
                e = (h * m).sum(1) / m.sum(1)
                out[idx] = torch.nn.functional.normalize(e, dim=-1)
        return out

    samples = []
    emb = None
    for r in range(args.reps + 1):
        t0 = time.perf_counter()
        emb = embed_all()
        dt = time.perf_counter() - t0
        if r > 0:
            samples.append(dt)
    ours = np.fromfile(os.path.join(args.model, "ours.f32"), dtype=np.float32).reshape(emb.shape)
    theirs = emb.numpy()
    rel = float(np.linalg.norm(ours - theirs) / np.linalg.norm(theirs))
    print(json.dumps({"peer": "torch", "torch": torch.__version__, "transformers": transformers.__version__,
                      "threads": args.threads, "seconds_median": statistics.median(samples),
                      "seconds_all": samples, "relative_l2_vs_ours": rel}))


if __name__ == "__main__":
    sys.exit(main())
