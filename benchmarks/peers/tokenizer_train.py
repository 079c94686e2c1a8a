"""@file tokenizer_train.py
@brief The Python peer of benchmarks/tokenizer_train_bench.cpp: the same two trainings on the
same corpus through the reference libraries.
(a) Byte-level BPE with Hugging Face `tokenizers`: BpeTrainer(vocab_size, min_frequency 2, the
special token <|endoftext|>, initial_alphabet = all 256 byte characters) behind
Split(LLaMA-3 regex, isolated) + ByteLevel(use_regex=False), fed by train_from_iterator with the
corpus cut into documents where dapt's trainer may cut it (after a lone "\n" between two
non-whitespace characters: pre-tokenization cannot change there), so both sides count exactly the
same pieces and must produce the same merges; the trained tokenizer.json is written to --out-dir
for the C++ side to compare. The file is read in binary and decoded, so "\r\n" stays as it is
(text mode would turn it into "\n" and change the corpus).
(b) SentencePiece BPE: SentencePieceTrainer.train(model_type=bpe, vocab_size, byte_fallback,
split_digits, character_coverage 0.9995, LLaMA-2's normalization: identity, dummy prefix, extra
whitespace kept, whitespace-only pieces allowed), every line a sentence (lines above the default
max_sentence_length of 4192 bytes skipped, as dapt's trainer skips them; none sampled);
then tokens per byte over the lines of the first --eval-bytes of the corpus (EncodeAsIds per line),
and the pieces in id order written to --out-dir for the C++ side to compare.
Each training runs `reps` times (no warmup: a run takes up to minutes); the median, min and max
seconds are printed as one JSON object on stdout with the versions that ran.
"""

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
          r"\s*[\r\n]+|\s+(?!\S)|\s+")
# The regex \s of the tokenizers' Oniguruma (Unicode White_Space), not Python's \s, which also
# matches U+001C..U+001F.
WS = "\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SAFE_CUT = re.compile(f"(?<=[^{WS}])\n(?=[^{WS}])")


def documents(text, target=1 << 20):
    """The corpus cut after a lone newline between non-space characters, about every `target` chars."""
    out = []
    start = 0
    while start < len(text):
        m = SAFE_CUT.search(text, start + target) if start + target < len(text) else None
        end = m.end() if m else len(text)
        out.append(text[start:end])
        start = end
    return out


def stats(samples):
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "reps": len(samples)}


def train_tokenizers(text, vocab, threads, out_dir, reps):
    os.environ["RAYON_NUM_THREADS"] = str(threads)  # read when tokenizers first starts its pool
    import tokenizers
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

    samples = []
    tok = None
    for _ in range(reps):
        t0 = time.perf_counter()
        docs = documents(text)
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=["<|endoftext|>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tok.train_from_iterator(docs, trainer)
        samples.append(time.perf_counter() - t0)
    path = os.path.join(out_dir, "tokenizers_bytelevel.json")
    tok.save(path)
    return {"time": stats(samples), "tokenizer": path, "vocab": tok.get_vocab_size(), "version": tokenizers.__version__}


def train_sentencepiece(corpus, vocab, threads, out_dir, reps, eval_lines):
    import sentencepiece as spm

    prefix = os.path.join(out_dir, "sentencepiece_bpe")
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=prefix, model_type="bpe", vocab_size=vocab, byte_fallback=True,
            split_digits=True, character_coverage=0.9995, allow_whitespace_only_pieces=True,
            remove_extra_whitespaces=False, normalization_rule_name="identity", add_dummy_prefix=True,
            num_threads=threads, input_sentence_size=0, shuffle_input_sentence=False, minloglevel=2)
        samples.append(time.perf_counter() - t0)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    tokens = sum(len(ids) for ids in sp.encode(eval_lines))
    nbytes = sum(len(line.encode("utf-8")) for line in eval_lines)
    pieces = os.path.join(out_dir, "sentencepiece_pieces.json")
    with open(pieces, "w", encoding="utf-8") as f:
        json.dump([sp.id_to_piece(i) for i in range(sp.get_piece_size())], f, ensure_ascii=False)
    return {"time": stats(samples), "model": prefix + ".model", "pieces": pieces, "vocab": sp.get_piece_size(),
            "tokens_per_byte": tokens / max(nbytes, 1), "version": spm.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--bytelevel-vocab", type=int, default=32000)
    parser.add_argument("--spm-vocab", type=int, default=8000)
    parser.add_argument("--eval-bytes", type=int, default=2 << 20)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--skip", choices=["none", "tokenizers", "sentencepiece"], default="none")
    args = parser.parse_args()

    with open(args.corpus, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")
    # The lines of the first eval_bytes bytes (whole lines only, empty ones skipped): the C++ side
    # measures its tokenizer on exactly these.
    head = raw[: args.eval_bytes]
    head = head[: head.rfind(b"\n") + 1].decode("utf-8")
    eval_lines = [line for line in head.split("\n") if line]

    result = {"python": platform.python_version(), "threads": args.threads}
    if args.skip != "tokenizers":
        result["tokenizers"] = train_tokenizers(text, args.bytelevel_vocab, args.threads, args.out_dir, args.reps)
    if args.skip != "sentencepiece":
        result["sentencepiece"] = train_sentencepiece(args.corpus, args.spm_vocab, args.threads, args.out_dir, args.reps,
                                                      eval_lines)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
