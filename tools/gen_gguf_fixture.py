#!/usr/bin/env python3
"""Makes the GGUF fixtures in tests/data/gguf/ with llama.cpp's own Python package (gguf-py).

  quant_types.gguf                 one tensor of each ggml type dapt reads (F32, F16, BF16, Q8_0,
                                   Q4_0, Q4_1, Q4_K, Q6_K), two it refuses (Q5_0, Q5_K), a 3-D
                                   tensor, metadata of every value type (nested arrays included),
                                   and a custom alignment of 64.
  quant_types.expected.safetensors what gguf-py's numpy reference dequantisers (gguf.quants)
                                   give for each readable tensor, in PyTorch shape, plus the float
                                   inputs of the types gguf-py quantises itself ("source.<name>"),
                                   so the C++ test can compare its quantisers byte for byte.
  llama_tiny_f32.gguf              tests/data/fixtures/llama_tiny/model converted as
                                   convert_hf_to_gguf.py converts a LlamaForCausalLM: llama.* keys,
                                   GGUF tensor names, and the rotary row permutation of Q and K
                                   (LlamaModel.permute); float32, so the HF tensors come back
                                   exactly. Its vocabulary is a small synthetic SentencePiece one
                                   (the checkpoint has no tokenizer): <unk>, <s>, </s>, the 256
                                   <0xXX> byte pieces and 61 pieces over "▁abcdefghijklmnopqrstuvwxyz".

Q4_K and Q6_K blocks are random bytes with small positive f16 super-block scales, because
gguf-py has no quantiser for them; the point is the bit layout, which random blocks exercise
fully. The test suite never runs this script. It needs Python with gguf (0.19), numpy and
safetensors:

    python -m venv /tmp/ggufvenv && /tmp/ggufvenv/bin/pip install gguf numpy safetensors
    /tmp/ggufvenv/bin/python tools/gen_gguf_fixture.py
"""
import importlib.metadata
import json
import pathlib

import numpy as np
from safetensors.numpy import load_file, save_file

import gguf
from gguf import GGMLQuantizationType as Q
from gguf import quants

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "gguf"


def random_k_blocks(rng, n_blocks, type_size, scale_offsets):
    """Random super-blocks whose f16 scales at the given byte offsets are small and positive."""
    b = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for off in scale_offsets:
        d = (np.abs(rng.standard_normal(n_blocks)) * 0.01 + 1e-3).astype(np.float16)
        b[:, off:off + 2] = d.view(np.uint8).reshape(n_blocks, 2)
    return b


def quant_types():
    rng = np.random.default_rng(20240611)
    w = gguf.GGUFWriter(str(OUT / "quant_types.gguf"), "dapt-test")
    w.add_custom_alignment(64)
    # Metadata of every value type, in a fixed order.
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -5)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 1.5)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "h\u00e9llo \u2581world")
    w.add_uint64("test.u64", 2**40 + 3)
    w.add_int64("test.i64", -(2**40) - 3)
    w.add_float64("test.f64", 0.1)
    w.add_array("test.array.i32", [1, -2, 3])
    w.add_array("test.array.f32", [0.5, -0.25])
    w.add_array("test.array.str", ["a", "bc", ""])
    w.add_array("test.array.bool", [True, False, True])
    w.add_array("test.array.nested", [[1, 2], [3], ["x", "yz"]])

    expected = {}
    sources = {}

    def put(name, data, qtype=None):
        if qtype is None:
            w.add_tensor(name, data)
        else:
            w.add_tensor(name, data, raw_dtype=qtype)

    x = rng.standard_normal((2, 8)).astype(np.float32)
    put("f32", x)
    expected["f32"] = x
    x3 = rng.standard_normal((2, 3, 32)).astype(np.float32)
    put("f32_3d", x3)
    expected["f32_3d"] = x3
    h = (rng.standard_normal((2, 8)) * 3).astype(np.float16)
    put("f16", h)
    expected["f16"] = h.astype(np.float32)
    sources["f16"] = h.astype(np.float32)

    for name, qtype, shape, scale in [("bf16", Q.BF16, (2, 32), 1.0), ("q8_0", Q.Q8_0, (3, 64), 0.5),
                                      ("q4_0", Q.Q4_0, (3, 64), 0.5), ("q4_1", Q.Q4_1, (3, 64), 0.5)]:
        src = (rng.standard_normal(shape) * scale + 0.1).astype(np.float32)
        src[0, 5] = 0.0  # a block with exact zeros
        if qtype != Q.BF16:
            src[1, :32] = 0.0  # an all-zero block: d = 0
        q = quants.quantize(src, qtype)
        put(name, q, qtype)
        expected[name] = quants.dequantize(q, qtype).astype(np.float32).reshape(shape)
        sources[name] = src

    k4 = random_k_blocks(rng, 4, 144, [0, 2]).reshape(2, 2 * 144)
    put("q4_k", k4, Q.Q4_K)
    expected["q4_k"] = quants.dequantize(k4, Q.Q4_K).astype(np.float32)
    k6 = random_k_blocks(rng, 4, 210, [208]).reshape(2, 2 * 210)
    put("q6_k", k6, Q.Q6_K)
    expected["q6_k"] = quants.dequantize(k6, Q.Q6_K).astype(np.float32)

    # Types dapt refuses to dequantise (kUnsupported naming the type).
    src = rng.standard_normal((1, 64)).astype(np.float32)
    put("q5_0", quants.quantize(src, Q.Q5_0), Q.Q5_0)
    put("q5_k", rng.integers(0, 256, size=(1, 176), dtype=np.uint8), Q.Q5_K)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    tensors = {k: np.ascontiguousarray(v) for k, v in expected.items()}
    for k, v in sources.items():
        tensors["source." + k] = np.ascontiguousarray(v)
    # One metadata key: safetensors writes its metadata map in hash order, so several keys would
    # make the file differ from run to run.
    save_file(tensors, str(OUT / "quant_types.expected.safetensors"),
              metadata={"generator": f"tools/gen_gguf_fixture.py, gguf {importlib.metadata.version('gguf')}"})


def permute(weights, n_head, n_head_kv):
    """convert_hf_to_gguf.py, LlamaModel.permute: HF rotate-half rows -> llama.cpp's interleaved rows."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2)
            .reshape(weights.shape))


GGUF_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def gguf_name(hf):
    if hf in GGUF_NAMES:
        return GGUF_NAMES[hf]
    parts = hf.split(".")
    assert parts[0] == "model" and parts[1] == "layers", hf
    return f"blk.{parts[2]}." + LAYER_NAMES[".".join(parts[3:])]


def synthetic_spm_vocab(n):
    pieces = [("<unk>", 0.0, gguf.TokenType.UNKNOWN), ("<s>", 0.0, gguf.TokenType.CONTROL),
              ("</s>", 0.0, gguf.TokenType.CONTROL)]
    pieces += [(f"<0x{b:02X}>", 0.0, gguf.TokenType.BYTE) for b in range(256)]
    letters = "\u2581abcdefghijklmnopqrstuvwxyz"
    normal = list(letters)
    for word in ["\u2581t", "he", "\u2581the", "\u2581a", "in", "er", "an", "on", "\u2581s", "\u2581w", "re", "at",
                 "en", "\u2581o", "\u2581c", "es", "\u2581f", "is", "it", "or", "\u2581b", "\u2581m", "\u2581p",
                 "nd", "\u2581and", "ed", "\u2581in", "ing", "\u2581i", "ou", "\u2581to", "ar", "\u2581of", "ll"]:
        normal.append(word)
    normal = normal[: n - len(pieces)]
    assert len(pieces) + len(normal) == n, (len(pieces), len(normal), n)
    # Higher scores merge first; single characters get the lowest scores.
    for i, p in enumerate(normal):
        pieces.append((p, -float(i), gguf.TokenType.NORMAL))
    return pieces


def llama_tiny():
    model_dir = ROOT / "tests" / "data" / "fixtures" / "llama_tiny" / "model"
    cfg = json.loads((model_dir / "config.json").read_text())
    tensors = load_file(str(model_dir / "model.safetensors"))
    n_head, n_kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    head_dim = cfg.get("head_dim", cfg["hidden_size"] // n_head)

    w = gguf.GGUFWriter(str(OUT / "llama_tiny_f32.gguf"), "llama")
    w.add_name("llama_tiny")
    w.add_vocab_size(cfg["vocab_size"])
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_rope_dimension_count(head_dim)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_rope_freq_base(cfg["rope_parameters"]["rope_theta"])
    w.add_file_type(gguf.LlamaFileType.ALL_F32)

    pieces = synthetic_spm_vocab(cfg["vocab_size"])
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list([p for p, _, _ in pieces])
    w.add_token_scores([s for _, s, _ in pieces])
    w.add_token_types([t for _, _, t in pieces])
    w.add_bos_token_id(cfg["bos_token_id"])
    w.add_eos_token_id(cfg["eos_token_id"])
    w.add_unk_token_id(0)
    w.add_pad_token_id(cfg["pad_token_id"])
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)

    for hf, data in tensors.items():
        data = data.astype(np.float32)
        if hf.endswith("q_proj.weight"):
            data = permute(data, n_head, n_head)
        elif hf.endswith("k_proj.weight"):
            data = permute(data, n_head, n_kv)
        w.add_tensor(gguf_name(hf), np.ascontiguousarray(data))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    quant_types()
    llama_tiny()
    for p in sorted(OUT.iterdir()):
        print(f"{p.relative_to(ROOT)}: {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
