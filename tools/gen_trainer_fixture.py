"""@file gen_trainer_fixture.py
@brief Writes the fixtures that prove dapt's byte-level BPE trainer exact against Hugging Face
`tokenizers`' BpeTrainer (tests/tokenizer/trainer_test.cpp):

  tests/data/tokenizers/trainer_corpus.json   {"documents": [...]}: a seeded synthetic mix of
                                              English-like prose, Verilog-like code and some
                                              Unicode (CRLF lines included), about 80 KB
  tests/data/tokenizers/trainer_hf_gpt2.json  tokenizer.json trained by tokenizers on it:
                                              ByteLevel pre-tokenizer (GPT-2 regex), vocab 1000
  tests/data/tokenizers/trainer_hf_llama3.json  Split(LLaMA-3 regex) + ByteLevel, vocab 1500
  tests/data/tokenizers/trainer_spm_pieces.json {"vocab_size": 1000, "pieces": [...]}: the pieces,
                                              in id order, of the BPE model `sentencepiece` trains
                                              on the same text with LLaMA-2's settings

The tokenizers fixtures use min_frequency 2, the special token <|endoftext|> and the full 256-byte
initial alphabet, and train_from_iterator over the documents (each document is pre-tokenized on
its own, as dapt's BpeTrainer::feed treats each call). The names do not end in ".tokenizer.json",
so the encoding fixtures of hf_tokenizer_test.cpp do not pick them up. sentencepiece reads the
documents as one file, every line a sentence (model_type=bpe, byte_fallback, split_digits,
character_coverage 0.9995, identity normalization, dummy prefix, extra whitespace kept,
whitespace-only pieces allowed).

Run with a Python that has tokenizers and sentencepiece (made with tokenizers 0.23.3 and
sentencepiece 0.2.3; it prints the versions it ran with): python tools/gen_trainer_fixture.py
"""

import json
import os
import random
import tempfile

import sentencepiece as spm
import tokenizers
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data", "tokenizers")

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
          r"\s*[\r\n]+|\s+(?!\S)|\s+")

WORDS = ("the of and to in is that for it as with was on be by this are from at or an which have "
         "not has but were can all their more one will been also other into these than its only "
         "clock signal register module design timing power reset logic value data path output input "
         "state machine counter memory cache bus width latch flip flop gate wire net cell library "
         "synthesis placement routing verification assertion coverage testbench simulation").split()
UNICODE = ["café", "naïve", "Größe", "façade", "Ωμέγα", "λόγος", "日本語", "中文字符", "электрон",
           "😀", "→", "µs", "±5%", "½", "Zürich", "São Paulo", "ﬁle"]


def syllable_word(rng):
    cons, vow = "bcdfghklmnprstvwz", "aeiou"
    return "".join(rng.choice(cons) + rng.choice(vow) for _ in range(rng.randint(1, 4)))


def prose(rng):
    out = []
    for _ in range(rng.randint(3, 12)):
        words = [rng.choice(WORDS) if rng.random() < 0.8 else syllable_word(rng) for _ in range(rng.randint(4, 18))]
        if rng.random() < 0.1:
            words.insert(rng.randint(0, len(words)), rng.choice(UNICODE))
        if rng.random() < 0.2:
            words.insert(rng.randint(0, len(words)), str(rng.randint(0, 99999)))
        s = " ".join(words)
        out.append(s[0].upper() + s[1:] + rng.choice([".", ".", ",", "?", "!", ";"]))
        if rng.random() < 0.2:
            out.append("\n\n" if rng.random() < 0.7 else "\r\n")
    return " ".join(out).replace(" \n", "\n").strip() + "\n"


def verilog(rng):
    name = syllable_word(rng)
    sigs = [syllable_word(rng) + rng.choice(["", "_q", "_d", "_en", "_n"]) for _ in range(rng.randint(2, 6))]
    lines = [f"module {name} (", "    input  logic clk,", "    input  logic rst_n,"]
    for s in sigs:
        w = rng.choice([1, 8, 16, 32])
        lines.append(f"    output logic [{w - 1}:0] {s}," if w > 1 else f"    output logic {s},")
    lines[-1] = lines[-1].rstrip(",")
    lines.append(");")
    for s in sigs:
        lines.append(f"  always_ff @(posedge clk or negedge rst_n) begin")
        lines.append(f"    if (!rst_n) {s} <= '0;")
        lines.append(f"    else {s} <= {s} + {rng.choice(['1', '8' + chr(39) + 'hFF', '32' + chr(39) + 'd7'])};")
        lines.append("  end")
        if rng.random() < 0.3:
            lines.append(f"  // {rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(UNICODE)}")
    lines.append(f"  assign {sigs[0]} = {sigs[-1]} & ~{sigs[0]};")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def main():
    rng = random.Random(20231129)
    docs = []
    size = 0
    while size < 80_000:
        d = prose(rng) if rng.random() < 0.6 else verilog(rng)
        docs.append(d)
        size += len(d.encode("utf-8"))
    with open(os.path.join(OUT, "trainer_corpus.json"), "w", encoding="utf-8", newline="") as f:
        json.dump({"documents": docs}, f, ensure_ascii=False, indent=0)
        f.write("\n")

    for name, vocab, llama3 in (("trainer_hf_gpt2.json", 1000, False), ("trainer_hf_llama3.json", 1500, True)):
        tok = Tokenizer(models.BPE())
        if llama3:
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        else:
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=["<|endoftext|>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tok.train_from_iterator(docs, trainer)
        tok.save(os.path.join(OUT, name))
        print(f"{name}: vocab {tok.get_vocab_size()}")
    with tempfile.TemporaryDirectory() as tmp:
        text = os.path.join(tmp, "corpus.txt")
        with open(text, "w", encoding="utf-8", newline="") as f:
            f.write("".join(docs))
        spm.SentencePieceTrainer.train(
            input=text, model_prefix=os.path.join(tmp, "spm"), model_type="bpe", vocab_size=1000, byte_fallback=True,
            split_digits=True, character_coverage=0.9995, allow_whitespace_only_pieces=True,
            remove_extra_whitespaces=False, normalization_rule_name="identity", add_dummy_prefix=True, num_threads=1,
            input_sentence_size=0, shuffle_input_sentence=False, minloglevel=2)
        sp = spm.SentencePieceProcessor(model_file=os.path.join(tmp, "spm.model"))
        pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    with open(os.path.join(OUT, "trainer_spm_pieces.json"), "w", encoding="utf-8", newline="") as f:
        json.dump({"vocab_size": 1000, "pieces": pieces}, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(f"{len(docs)} documents, {size} bytes; tokenizers {tokenizers.__version__}, sentencepiece {spm.__version__}")


if __name__ == "__main__":
    main()
