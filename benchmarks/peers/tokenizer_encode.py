"""Peer side of benchmarks/tokenizer_encode_bench.cpp.

  tokenizer_encode.py prepare DATA_DIR CORPUS TRAIN_MB
      trains, once, the tokenizers both sides use, on the first TRAIN_MB of the corpus with HF
      `tokenizers` (byte-level BPE in the LLaMA-3 setting, vocab 32k and 128k) and `sentencepiece`
      (BPE in the LLaMA-2 setting, vocab 32k); prints their paths as JSON.
  tokenizer_encode.py run CORPUS THREADS REPS BL32K BL128K SPM32K
      encodes the corpus documents with tiktoken (given the byte-level ranks), HF tokenizers and
      sentencepiece, on one thread and on THREADS threads; prints medians (MB/s) and token counts
      as JSON on the last line.
"""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import corpus  # noqa: E402

LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def prepare(data_dir, corpus_path, train_mb):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    import sentencepiece as spm

    text = open(corpus_path, encoding="utf-8").read()
    train_text = text[: int(train_mb * 1e6)]
    out = {}
    for vocab in (32000, 128000):
        path = os.path.join(data_dir, f"bench_bl{vocab // 1000}k_train{train_mb:g}MB.tokenizer.json")
        if not os.path.exists(path):
            tok = Tokenizer(models.BPE(ignore_merges=True))
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
            tok.decoder = decoders.ByteLevel()
            trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, show_progress=False,
                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                          special_tokens=["<|begin_of_text|>", "<|end_of_text|>"])
            tok.train_from_iterator(corpus.documents(train_text), trainer)
            tok.save(path)
        out[f"bl{vocab // 1000}k"] = path
    prefix = os.path.join(data_dir, f"bench_spm32k_train{train_mb:g}MB")
    if not os.path.exists(prefix + ".model"):
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(train_text.splitlines()), model_prefix=prefix, model_type="bpe",
            vocab_size=32000, byte_fallback=True, split_digits=True, character_coverage=0.9995,
            normalization_rule_name="identity", remove_extra_whitespaces=False,
            input_sentence_size=2000000, num_threads=os.cpu_count(), minloglevel=2)
    out["spm32k"] = prefix + ".model"
    print(json.dumps(out))


def timed(fn, reps):
    fn()  # warm-up
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def run(corpus_path, threads, reps, bl32k, bl128k, spm32k):
    import sentencepiece as spm
    import tiktoken
    import tokenizers
    from tokenizers import Tokenizer

    docs = corpus.documents(open(corpus_path, encoding="utf-8").read())
    nbytes = sum(len(d.encode("utf-8")) for d in docs)
    res = {"versions": {"tokenizers": tokenizers.__version__, "tiktoken": tiktoken.__version__,
                        "sentencepiece": spm.__version__}, "bytes": nbytes, "docs": len(docs)}

    def mbps(seconds):
        return nbytes / seconds / 1e6

    for name, path in (("bl32k", bl32k), ("bl128k", bl128k)):
        hf = Tokenizer.from_file(path)
        vocab = json.load(open(path, encoding="utf-8"))["model"]["vocab"]
        ranks = {}
        byte_decoder = {v: k for k, v in _bytes_to_unicode().items()}
        for tok, i in vocab.items():
            if all(c in byte_decoder for c in tok):
                ranks[bytes(byte_decoder[c] for c in tok)] = i
        enc = tiktoken.Encoding(f"dapt-{name}", pat_str=LLAMA3, mergeable_ranks=ranks, special_tokens={})
        r = {}
        r["tiktoken_1t"] = mbps(timed(lambda: [enc.encode_ordinary(d) for d in docs], reps))
        r["tiktoken_nt"] = mbps(timed(lambda: enc.encode_ordinary_batch(docs, num_threads=threads), reps))
        r["hf_1t"] = mbps(timed(lambda: [hf.encode(d, add_special_tokens=False) for d in docs], reps))
        os.environ["RAYON_NUM_THREADS"] = str(threads)
        r["hf_nt"] = mbps(timed(lambda: hf.encode_batch(docs, add_special_tokens=False), reps))
        r["tokens_hf"] = sum(len(e.ids) for e in hf.encode_batch(docs, add_special_tokens=False))
        r["tokens_tiktoken"] = sum(len(x) for x in enc.encode_ordinary_batch(docs, num_threads=threads))
        res[name] = r
    sp = spm.SentencePieceProcessor(model_file=spm32k)
    r = {}
    r["sp_1t"] = mbps(timed(lambda: [sp.encode(d) for d in docs], reps))
    r["sp_nt"] = mbps(timed(lambda: sp.encode(docs, num_threads=threads), reps))
    r["tokens_sp"] = sum(len(x) for x in sp.encode(docs, num_threads=threads))
    res["spm32k"] = r
    print(json.dumps(res))


def _bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:8])
