"""@file llama_decode.py
@brief The Python peers of the LLaMA decode benchmark: greedy generation with a KV cache from
Hugging Face transformers (`LlamaForCausalLM.generate`, torch, float32, CPU) and, when
llama-cpp-python is installed, llama.cpp on an F32 GGUF copy of the same weights. It reports the
decode rate (tokens/s after the prompt) and the generated ids, which the C++ side compares with
its own greedy output.

  llama_decode.py --model DIR [--input FILE | --prompt-len P] --new-tokens N --threads T
                  [--repeats R] [--warmup 1] [--attn sdpa] [--gguf FILE] [--skip-hf]
                  [--device cpu|cuda] [--dtype float32|bf16]

--model is a Hugging Face checkpoint folder (config.json + *.safetensors), loaded in float32 with
attn_implementation --attn (default sdpa). The prompt is one sequence of P ids: from --input (a
.safetensors file with an integer tensor `input_ids` of shape (P,) or (1, P), or a .npy of it) or,
without it, the first P ids of the splitmix64 sequence that benchmarks/peers/llama_train.py
documents (z = splitmix64 of i + 1, id = z % vocab_size); the ids used are echoed in
`prompt_ids`.

Greedy means the plain argmax of the logits at every step: the checkpoint's eos_token_id is
cleared from the model's generation config, so nothing stops generation early and no logits
processor runs (with an eos id set, min_new_tokens would mask the eos logit, which is not plain
argmax). transformers runs
    model.generate(ids, attention_mask=ones, max_new_tokens=N, min_new_tokens=N, do_sample=False,
                   use_cache=True, streamer=timer)
and llama.cpp runs the same loop by hand through llama-cpp-python: Llama.eval(prompt), then
argmax of the last logits, eval([token]), argmax, ... (its own sampler chain is not used, so that
greedy means the same argmax on both sides; the KV cache is F32, not llama.cpp's default F16, so
that both peers keep the same precision as the checkpoint).

How decode time is measured, on both peers: a timestamp (time.perf_counter) is taken when each
new token becomes available (for transformers, a streamer's put(); its first put() is the prompt,
before any forward pass). Token 1 needs the prompt's forward pass (prefill); tokens 2..N each need
one single-token forward with the KV cache. So
    prefill_ms     = t(token 1) - t(start)
    decode_tok_s   = (N - 1) / (t(token N) - t(token 1))
which excludes the prefill from the decode rate without subtracting two separately timed runs.
N must be at least 2. Each peer runs --warmup untimed generations (default 1), then R timed ones;
the medians over the R runs are reported, and the ids of every run must be the same. The warm-up
run also keeps the logits, from which `top2_margin` is the gap between the best and the second-best
logit at each step: a random checkpoint has near-uniform logits, so a step whose margin is tiny
may legitimately differ between float32 implementations.

--gguf FILE gives llama.cpp its model: written from --model (with the `gguf` package) when the file
is missing or older than the checkpoint's safetensors, else used as it is. The writer maps the
Hugging Face names to GGUF ones, permutes the rows of q_proj and k_proj back to the interleaved
rotary layout llama.cpp's LLaMA graph expects (what llama.cpp's convert_hf_to_gguf.py does),
stores every tensor as F32 and adds a placeholder SentencePiece vocabulary of vocab_size tokens
(the ids are fed directly; no text is tokenized). llama.cpp is measured with flash attention off
and on, both under `by_config`; the top-level figures are those of flash attention off, because
ggml's CPU flash attention rounds Q to F16: with it off, llama.cpp's logits match transformers' to
float32 rounding (about 1e-6 on the benchmark's model), with it on they are off by about 1e-3. Without llama_cpp (or gguf) installed,
or without --gguf, the llama.cpp peer is skipped and `llama_cpp` holds {"skipped": "why"}.

--device cuda runs transformers on the first GPU (model and ids moved there; llama.cpp, a CPU
peer here, is skipped), and each token's timestamp is taken after torch.cuda.synchronize(), so a
token counts as available once its kernels are done. --dtype bf16 (GPU only) casts the model to
bfloat16 before generating, the usual way to decode in bf16. The JSON then also holds "device"
(the GPU's name, or "cpu") and "dtype".

torch and llama.cpp get T threads (torch.set_num_threads, OMP_NUM_THREADS and MKL_NUM_THREADS
before torch is imported; n_threads and n_threads_batch). The last line of stdout is one JSON
object:
    {"threads": T, "prompt_len": P, "new_tokens": N, "repeats": R, "input": "FILE" | "splitmix64",
     "prompt_ids": [...P...], "python": "3.11.7",
     "hf": {"peer": "transformers", "torch": "...", "transformers": "...", "attn_implementation":
            "sdpa", "decode_tok_s": ..., "decode_tok_s_all": [...R...], "decode_ms_per_token": ...,
            "prefill_ms": ..., "generate_ms": ..., "ids": [...N...], "top2_margin": [...N...]},
     "llama_cpp": {"peer": "llama.cpp", "llama_cpp_python": "0.3.36", "gguf": "FILE",
                   "flash_attn": false, "kv_type": "f32", same timing keys, "ids": [...],
                   "top2_margin": [...], "by_config": {"flash_attn=off": {...}, "flash_attn=on": {...}}}
                  | {"skipped": "why"},
     "ids_agree": true | false | null, "ids_common_prefix": k}
(`ids_agree` compares the two peers' ids when both ran; `ids_common_prefix` counts their leading
equal tokens.)
"""

import argparse
import glob
import json
import os
import platform
import statistics
import sys
import time

# ------------------------------------------------------------------------------------------------
# Inputs


from llama_common import check_loading, fp32_kwargs, splitmix_ids  # noqa: E402  (shared with the other peers)


def load_ids(path):
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
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1:
        raise SystemExit(f"{path}: input_ids must be (P,) or (1, P), got {arr.shape}")
    return arr.astype(np.int64)


def top2_margin(logits_rows):
    """best - second best logit of each row (a 2-D numpy array)."""
    import numpy as np

    part = np.partition(logits_rows, -2, axis=-1)
    return [float(x) for x in part[:, -1] - part[:, -2]]


def summarize(runs, new_tokens):
    """runs: list of (t_start, [t(token 1) .. t(token N)]) -> medians over runs."""
    decode = [(new_tokens - 1) / (ts[-1] - ts[0]) for _, ts in runs]
    prefill = [(ts[0] - t0) * 1e3 for t0, ts in runs]
    total = [(ts[-1] - t0) * 1e3 for t0, ts in runs]
    rate = statistics.median(decode)
    return {"decode_tok_s": rate, "decode_tok_s_all": decode, "decode_ms_per_token": 1e3 / rate,
            "prefill_ms": statistics.median(prefill), "generate_ms": statistics.median(total)}


# ------------------------------------------------------------------------------------------------
# transformers


def run_hf(args, prompt):
    import torch
    import transformers
    from transformers import LlamaForCausalLM
    from transformers.generation.streamers import BaseStreamer

    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    model, info = LlamaForCausalLM.from_pretrained(args.model, **fp32_kwargs(transformers, torch), attn_implementation=args.attn,
                                                   output_loading_info=True)
    check_loading(args.model, info)
    model.eval()
    cuda = args.device == "cuda"
    if cuda:
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no CUDA device")
        model.to("cuda")
        if args.dtype == "bf16":
            model.to(torch.bfloat16)
    # Plain argmax: no eos, so no early stop and no min-length masking of the eos logit.
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = None
    model.generation_config.bos_token_id = None

    class Timer(BaseStreamer):
        def __init__(self):
            self.times = []

        def put(self, value):
            if cuda:
                torch.cuda.synchronize()
            self.times.append(time.perf_counter())

        def end(self):
            pass

    ids = torch.tensor(prompt, dtype=torch.long)[None, :].to(args.device)
    mask = torch.ones_like(ids)
    kwargs = dict(attention_mask=mask, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                  do_sample=False, use_cache=True, eos_token_id=None, pad_token_id=0)

    def generate(keep_logits):
        timer = Timer()
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(ids, streamer=timer, return_dict_in_generate=True, output_logits=keep_logits,
                                 **kwargs)
        new = out.sequences[0, ids.shape[1]:].tolist()
        if len(new) != args.new_tokens or len(timer.times) != args.new_tokens + 1:
            raise SystemExit(f"transformers generated {len(new)} tokens, expected {args.new_tokens}")
        margin = None
        if keep_logits:
            margin = top2_margin(torch.cat(out.logits, 0).float().cpu().numpy())
        return new, (t0, timer.times[1:]), margin

    ids_ref, margin = None, None
    for _ in range(max(args.warmup, 1)):
        ids_ref, _, margin = generate(True)
    runs = []
    for _ in range(args.repeats):
        new, times, _ = generate(False)
        if new != ids_ref:
            raise SystemExit("transformers: greedy ids differ between runs")
        runs.append(times)
    result = {"peer": "transformers", "torch": torch.__version__, "transformers": transformers.__version__,
              "attn_implementation": args.attn, **summarize(runs, args.new_tokens), "ids": ids_ref,
              "top2_margin": margin}
    return result


# ------------------------------------------------------------------------------------------------
# llama.cpp


HF_TO_GGUF = {
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
}


def permute_rotary(w, n_head):
    """Hugging Face's half-split rotary rows -> the interleaved pairs of Meta's and llama.cpp's."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write_gguf(model_dir, path):
    import numpy as np
    import gguf
    from safetensors.numpy import load_file

    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    d = cfg["hidden_size"]
    n_head = cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads") or n_head
    head_dim = cfg.get("head_dim") or d // n_head
    vocab = cfg["vocab_size"]
    rope = cfg.get("rope_parameters") or {}
    theta = rope.get("rope_theta", cfg.get("rope_theta", 10000.0))
    if rope.get("rope_type", "default") != "default" or cfg.get("rope_scaling"):
        raise SystemExit("write_gguf: only plain rotary embeddings (no rope scaling) are supported")

    tensors = {}
    for f in sorted(glob.glob(os.path.join(model_dir, "*.safetensors"))):
        tensors.update(load_file(f))
    tmp = path + ".tmp"
    w = gguf.GGUFWriter(tmp, "llama")
    w.add_name(os.path.basename(os.path.normpath(model_dir)))
    w.add_context_length(cfg.get("max_position_embeddings", 2048))
    w.add_embedding_length(d)
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(float(theta))
    w.add_layer_norm_rms_eps(float(cfg.get("rms_norm_eps", 1e-6)))
    w.add_vocab_size(vocab)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    # Placeholder SentencePiece vocabulary: <unk> <s> </s>, the 256 byte tokens, then t<i>.
    names, types = [], []
    for i in range(vocab):
        if i < 3:
            names.append(["<unk>", "<s>", "</s>"][i])
            types.append(gguf.TokenType.UNKNOWN if i == 0 else gguf.TokenType.CONTROL)
        elif i < 259 and vocab >= 259:
            names.append(f"<0x{i - 3:02X}>")
            types.append(gguf.TokenType.BYTE)
        else:
            names.append(f"\u2581t{i}")
            types.append(gguf.TokenType.NORMAL)
    w.add_tokenizer_model("llama")
    w.add_token_list(names)
    w.add_token_scores([-float(i) for i in range(vocab)])
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(False)

    def f32(name):
        return np.ascontiguousarray(tensors[name], dtype=np.float32)

    w.add_tensor("token_embd.weight", f32("model.embed_tokens.weight"))
    for i in range(cfg["num_hidden_layers"]):
        for hf, gg in HF_TO_GGUF.items():
            t = f32(f"model.layers.{i}.{hf}")
            if hf.startswith("self_attn.q_proj"):
                t = permute_rotary(t, n_head)
            elif hf.startswith("self_attn.k_proj"):
                t = permute_rotary(t, n_kv)
            w.add_tensor(f"blk.{i}.{gg}", np.ascontiguousarray(t))
    w.add_tensor("output_norm.weight", f32("model.norm.weight"))
    if "lm_head.weight" in tensors and not cfg.get("tie_word_embeddings", False):
        w.add_tensor("output.weight", f32("lm_head.weight"))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, path)


def ensure_gguf(model_dir, path):
    sources = glob.glob(os.path.join(model_dir, "*.safetensors")) + [os.path.join(model_dir, "config.json")]
    newest = max(os.path.getmtime(s) for s in sources)
    if not os.path.exists(path) or os.path.getmtime(path) < newest:
        print(f"writing {path} from {model_dir}", file=sys.stderr)
        write_gguf(model_dir, path)


def run_llama_cpp(args, prompt):
    try:
        import numpy as np
        import llama_cpp
    except ImportError as e:
        return {"skipped": f"llama_cpp is not importable ({e}); benchmarks/setup installs it as optional"}
    try:
        import gguf  # noqa: F401
    except ImportError:
        if not os.path.exists(args.gguf):
            return {"skipped": "the gguf package is missing, so the GGUF copy cannot be written"}
    ensure_gguf(args.model, args.gguf)
    n_ctx = len(prompt) + args.new_tokens + 16
    by_config = {}
    ids_seen = None
    for flash in (False, True):
        llm = llama_cpp.Llama(model_path=args.gguf, n_ctx=n_ctx, n_batch=max(512, len(prompt)),
                              n_ubatch=max(512, len(prompt)), n_threads=args.threads, n_threads_batch=args.threads,
                              type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32, flash_attn=flash,
                              logits_all=False, verbose=False)
        n_vocab = llm.n_vocab()

        def last_logits():
            return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,))

        def generate(keep_logits):
            llm.reset()
            rows, out, times = [], [], []
            t0 = time.perf_counter()
            llm.eval(prompt)
            for k in range(args.new_tokens):
                logits = last_logits()
                tok = int(np.argmax(logits))
                if keep_logits:
                    rows.append(logits.copy())
                out.append(tok)
                times.append(time.perf_counter())
                if k + 1 < args.new_tokens:
                    llm.eval([tok])
            return out, (t0, times), (top2_margin(np.stack(rows)) if keep_logits else None)

        ids_ref, margin = None, None
        for _ in range(max(args.warmup, 1)):
            ids_ref, _, margin = generate(True)
        runs = []
        for _ in range(args.repeats):
            new, times, _ = generate(False)
            if new != ids_ref:
                raise SystemExit("llama.cpp: greedy ids differ between runs")
            runs.append(times)
        name = "flash_attn=" + ("on" if flash else "off")
        by_config[name] = {"flash_attn": flash, **summarize(runs, args.new_tokens), "ids": ids_ref,
                           "top2_margin": margin}
        if ids_seen is not None and ids_seen != ids_ref:
            print("llama.cpp: flash attention on and off gave different ids (its F16 rounding of Q)", file=sys.stderr)
        ids_seen = ids_ref
        del llm
    best = "flash_attn=off"  # full float32; see the file's brief
    return {"peer": "llama.cpp", "llama_cpp_python": llama_cpp.__version__, "gguf": args.gguf, "kv_type": "f32",
            **by_config[best], "by_config": by_config}


# ------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].removeprefix("@brief "))
    parser.add_argument("--model", required=True, help="Hugging Face checkpoint folder")
    parser.add_argument("--input", help=".safetensors (tensor input_ids) or .npy: the prompt ids")
    parser.add_argument("--prompt-len", type=int)
    parser.add_argument("--new-tokens", type=int, required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--attn", default="sdpa")
    parser.add_argument("--gguf", help="F32 GGUF for llama.cpp (written from --model when missing or stale)")
    parser.add_argument("--skip-hf", action="store_true")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--dtype", default="float32", choices=["float32", "bf16"])
    args = parser.parse_args()
    if args.dtype == "bf16" and args.device != "cuda":
        parser.error("--dtype bf16 needs --device cuda")
    if args.new_tokens < 2 or args.repeats < 1:
        parser.error("--new-tokens must be >= 2 and --repeats >= 1")

    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["MKL_NUM_THREADS"] = str(args.threads)
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    if args.input:
        prompt = load_ids(args.input)
        if args.prompt_len and args.prompt_len != len(prompt):
            parser.error(f"{args.input} holds {len(prompt)} ids, but --prompt-len {args.prompt_len}")
        source = args.input
    else:
        if not args.prompt_len:
            parser.error("without --input, --prompt-len is required")
        prompt = splitmix_ids(args.prompt_len, cfg["vocab_size"])
        source = "splitmix64"
    if prompt.min() < 0 or prompt.max() >= cfg["vocab_size"]:
        raise SystemExit(f"prompt ids out of range [0, {cfg['vocab_size']})")
    prompt = [int(x) for x in prompt]

    result = {"threads": args.threads, "prompt_len": len(prompt), "new_tokens": args.new_tokens,
              "repeats": args.repeats, "input": source, "prompt_ids": prompt, "python": platform.python_version()}
    # llama.cpp first: it does not link against torch's OpenMP runtime, and nothing of torch's
    # thread pool is yet alive to compete with it.
    if args.device == "cuda":
        result["llama_cpp"] = {"skipped": "--device cuda (llama.cpp runs on the CPU here)"}
    elif args.gguf:
        try:
            result["llama_cpp"] = run_llama_cpp(args, prompt)
        except Exception as e:  # a llama.cpp failure must not cost the transformers figures
            result["llama_cpp"] = {"skipped": f"llama.cpp failed: {type(e).__name__}: {e}"}
        if "skipped" in result["llama_cpp"]:
            print("llama.cpp skipped: " + result["llama_cpp"]["skipped"], file=sys.stderr)
    else:
        result["llama_cpp"] = {"skipped": "no --gguf given"}
    result["hf"] = {"skipped": "--skip-hf"} if args.skip_hf else run_hf(args, prompt)
    result["dtype"] = args.dtype
    result["device"] = "cpu"
    if args.device == "cuda":
        import torch

        result["device"] = torch.cuda.get_device_name(0)

    a, b = result["hf"].get("ids"), result["llama_cpp"].get("ids")
    result["ids_agree"] = (a == b) if a is not None and b is not None else None
    result["ids_common_prefix"] = (next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                                   if a is not None and b is not None else None)
    for name in ("hf", "llama_cpp"):
        if "decode_tok_s" in result[name]:
            r = result[name]
            print(f"{name}: {r['decode_tok_s']:.1f} tokens/s decode, prefill {r['prefill_ms']:.1f} ms",
                  file=sys.stderr)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
