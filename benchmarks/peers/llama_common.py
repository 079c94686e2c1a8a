"""@file llama_common.py
@brief What the LLaMA peers (llama_train.py, llama_decode.py, ...) share: the documented splitmix64
token ids the C++ side reproduces, the check that a checkpoint filled LlamaForCausalLM exactly, and
the dtype argument of from_pretrained in the installed transformers.
"""


def splitmix_ids(count, vocab):
    """The documented deterministic ids: splitmix64 of 1..count, modulo the vocabulary size."""
    import numpy as np

    z = (np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(vocab)).astype(np.int64)


def check_loading(model_dir, info, model_class="LlamaForCausalLM"):
    """Refuses a checkpoint that did not fill the model exactly: transformers would otherwise
    initialise missing tensors at random (quietly, at error verbosity), and the peer would not run
    on the C++ side's weights."""
    problems = {k: list(v) for k, v in info.items() if v}
    if problems:
        raise SystemExit(f"{model_dir}: the checkpoint does not match {model_class}: {problems}")


def fp32_kwargs(transformers, torch):
    """The from_pretrained argument that loads fp32 weights: `dtype` since transformers 4.56,
    `torch_dtype` before (the GPU machines carry whatever version they were built with)."""
    try:
        major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    except ValueError:
        major, minor = 4, 56
    return {"dtype": torch.float32} if (major, minor) >= (4, 56) else {"torch_dtype": torch.float32}
