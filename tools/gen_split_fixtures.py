#!/usr/bin/env python3
"""Generates tests/data/tokenizers/splits.json: the ground truth for dapt/tokenizer/regex_split.hpp
and the character classes of dapt/tokenizer/unicode.hpp, computed by Hugging Face `tokenizers`.

For each text (hand-picked tricky cases, then seeded random strings over a mix of character
classes) it stores the UTF-8 byte ranges of the pre-tokenizer pieces for the GPT-2 pattern (from
`pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)`, cross-checked against a
`Split` with the same pattern) and for the LLaMA-3 pattern (`Split(Regex(p), "isolated")`). A
`Split(..., "removed")` pass checks that the matches tile the text, so every piece is a match.

It also probes the engine's \\p{L}, \\p{N} and \\s over every Unicode scalar value and stores them
as inclusive code point ranges ("classes"), which unicode_test.cpp compares with the tables.

Usage: /tmp/tokvenv/bin/python tools/gen_split_fixtures.py [--out PATH] [--seed N] [--random N]
Needs `tokenizers` (0.23.3 made the committed file).
"""

import argparse
import json
import os
import random

import tokenizers
from tokenizers import Regex, pre_tokenizers

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")

HAND_PICKED = [
    "", " ", "  ", "a", "a b", "a  b", "a   b", "a    b", "a \tb", "a\t b", "a\t\tb", " a", "  a", "   a",
    "a ", "a  ", "a   ", "\n", "\n\n", "a\nb", "a\n\nb", "a\n\n\nb", "a \n b", "a\n b", "a \nb", "a\r\nb",
    "a\r\n\r\nb", "a\r\rb", "a \r\n \r\n b", "  \n  x", " \n\n ", "\t\n", "\n\t", "\n \n", "x\n \n y",
    "hello world", "Hello, World!", " Hello  World ", "hello\n\nworld\n", "x = 1;\n", "\t\tindent",
    "a\u00a0b", "a \u00a0 b", "a\u00a0\u00a0b", "\u00a0", "\u00a0a", "a\u3000b", "\u3000\u3000x",
    "a\u2028b", "a\u2029b", "a\u0085b", "a\u000bb", "a\u000cb", "a\u1680b", "a\u2000\u200ab",
    "a\u202fb", "a\u205fb", "a\u200bb", "a\ufeffb", "a\u180eb", "a\u001cb\u001dc\u001ed\u001ff",
    " \u00a0\u2003\t\n\u3000end", "end \u00a0", "\u2028\u2029", "\r", "\r\n", " \r\n", "\r\n ",
    # contractions
    "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Re", "'rE", "'VE", "'M", "'LL",
    "'Ll", "'lL", "'D", "I'm", "I'M", "you're", "YOU'RE", "we've", "We'Ve", "it's", "IT'S", "don't",
    "DON'T", "she'll", "SHE'LL", "he'd", "HE'D", "'ſ", "I'ſ x", "'ſt", "'ſſ", "'K", "'k", "'\u212a",
    "'st", "'sx", "'x", "''s", "'''", "' s", " 's", "  's", "x 's", "'", "''", "'r", "'re'", "'lx",
    "'l", "'v", "'ve", "'vex", "'\u017f", "'\ufb06", "'\ufb05", "'\u00df", "'\u1e9e", "rock'n'roll",
    "O'Neil's", "'12", "'\n", "'\u00e9", "\u2019s", "it\u2019s", "'s's's", "'sss", "'LLama", "x'",
    # letters and marks
    "caf\u00e9", "cafe\u0301", "e\u0301\u0301x", "\u0301", "\u0301a", " \u0301a", "a\u0301 b",
    "na\u00efve r\u00e9sum\u00e9", "Stra\u00dfe", "\u01c5ungla", "\u02b0x", "\u1c89\u1c8a",
    "\U0001d49c\U0001d49d", "\U00013460\U00013461", "\U0002ebf0x", "\u0915\u094d\u0937\u093f",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645", "\u05e9\u05dc\u05d5\u05dd",
    "\u4f60\u597d\u4e16\u754c", "\u4f60\u597d\uff0c\u4e16\u754c\u3002", "\u3053\u3093\u306b\u3061\u306f",
    "\u30ab\u30bf\u30ab\u30ca", "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8", "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440",
    "\u0393\u03b5\u03b9\u03ac", "mixed\u4e2d\u6587text", "\uff21\uff22\uff23", "\uff11\uff12\uff13",
    # numbers
    "1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789", "1234567890",
    " 1", " 12", " 1234", "x1", "x12345", "1x", "a1b2", "3.14159", "1,000,000", "-42", "+7",
    "\u0663\u0664\u0665", "\u00b2\u00b3", "x\u00b2", "\u00bd", "\u2162\u2163", "\u2460\u2461\u2462\u2463",
    "\U0001d7ce\U0001d7cf", "12\u0663\u00b2x", "v1.2.3", "0x1F", "1e-9", "2024-01-01", "$100",
    # punctuation, symbols, emoji
    "!", "!!", " !", " !!", "! !", "...", "a...b", "(a)", "[1]", "{x}", "a+b=c", "a->b", "a=>b",
    "#include <stdio.h>", "//comment", "/* c */", "\u2014", "a\u2014b", "\u00a9 2024", "\u20ac5",
    "\U0001f44d", "\U0001f44d\U0001f3fd", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "hi \U0001f600!",
    "\U0001f1fa\U0001f1f8", "\u2764\ufe0f", "a\u200db", "x\ufe0fy", "\u00ad", "a\u00adb",
    ".\n", ".\n\n", ".\r\n", "!\n\nx", " .\n x", "a.\nb", ";\n\n\n", "}\r\n}\r\n", "x. \n",
    # code
    "module counter(input clk, input rst, output reg [7:0] q);\n  always @(posedge clk)\n"
    "    if (rst) q <= 8'd0;\n    else q <= q + 8'd1;\nendmodule\n",
    "assign y = a & ~b | (c ^ d);", "wire [31:0] data_bus;", "reg [3:0] state = 4'b1010;",
    "int main(int argc, char** argv) {\n    return 0;\n}\n", "for (int i = 0; i < n; ++i) x[i] += 1;",
    "def f(x):\n    return x ** 2  # square\n", "if x == 'y':\n\tpass\n", "std::vector<int> v{1, 2, 3};",
    "    \n    \n", "\n    def g():\n        pass\n\n\n", "a\tb\tc\n1\t2\t3\n", "SELECT * FROM t WHERE id=42;",
    "<div class=\"x\">Hi</div>", "{\"key\": [1, 2, 3], \"s\": \"v\"}", "http://example.com/a?b=c&d=e",
    "C:\\Users\\x\\file.txt", "e = mc^2; // Einstein's", "x_1 = y__2", "__init__", "snake_case_name",
    "CamelCaseName", "kConstant", "0xDEADBEEF", "1'b0", "16'hFFFF", "`define WIDTH 8",
    # endings and whole sentences
    "The quick brown fox jumps over the lazy dog.", "  leading", "trailing  ", "  both  ",
    "I've been waiting... for 12345 days!", "They're here; we'll go, won't we?",
    "   \n\n   text   \n\n   ", "Line1\nLine2\r\nLine3\rLine4", "tab\tseparated\tvalues",
]

# Character pools for random strings: (weight, list of strings to draw from).
POOLS = [
    (10, list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")),
    (4, list("0123456789")),
    (8, [" "]),
    (3, ["  ", "   ", "\t", "\n", "\r", "\r\n", "\n\n", " \n", "\x0b", "\x0c"]),
    (2, ["\u00a0", "\u3000", "\u2028", "\u2029", "\u0085", "\u2003", "\u202f", "\u1680"]),
    (5, list("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~")),
    (4, ["'", "'s", "'S", "'t", "'re", "'RE", "'ve", "'m", "'ll", "'LL", "'Ll", "'d", "'D", "\u017f"]),
    (3, ["\u00e9", "\u00df", "\u0153", "\u01c5", "\u02b0", "\u0391", "\u03c9", "\u0416", "\u0436",
         "\u0531", "\u05d0", "\u0627", "\u0915", "\u0e01", "\u10d0", "\u1c89", "\ua7cb", "\U0001d49c"]),
    (3, ["\u0301", "\u0308", "\u064e", "\u093f", "\u094d", "\u0e31", "\u20dd", "\u200d", "\ufe0f",
         "\u200b", "\ufeff", "\u180e", "\u00ad", "\u001c", "\u001f"]),
    (3, ["\u4e2d", "\u6587", "\u5b57", "\u3042", "\u30a2", "\ud55c", "\U00020000", "\U0002ebf0",
         "\U00013460", "\u3002", "\uff0c", "\uff21", "\uff11"]),
    (2, ["\u0663", "\u00b2", "\u00bd", "\u2162", "\u2460", "\U0001d7ce", "\u0966", "\uff19",
         "\U00010d40", "\U0001e5f1"]),
    (2, ["\U0001f600", "\U0001f44d", "\U0001f3fd", "\u2764", "\U0001f1fa", "\u00a9", "\u20ac",
         "\u2014", "\u2019", "\U000e0041", "\ue000", "\U0010fffd"]),
]


def random_text(rng):
    """1..40 draws; a draw is one item of a pool, or (three times in ten) a run of 2..12 items of
    the same pool, so that long letter, digit and space runs cross the splitter's 8-byte steps."""
    weights = [w for w, _ in POOLS]
    out = []
    for _ in range(rng.randint(1, 40)):
        pool = rng.choices(POOLS, weights)[0][1]
        run = 1 if rng.random() < 0.7 else rng.randint(2, 12)
        out.extend(rng.choice(pool) for _ in range(run))
    return "".join(out)


def byte_ranges(text, pieces):
    """Char-offset pieces -> UTF-8 byte ranges; checks they tile the text."""
    starts = [0]
    for ch in text:
        starts.append(starts[-1] + len(ch.encode("utf-8")))
    out, pos = [], 0
    for _, (a, b) in pieces:
        assert a == pos and b > a, (text, pieces)
        out.append([starts[a], starts[b]])
        pos = b
    assert pos == len(text), (text, pieces)
    return out


def class_ranges(pattern):
    """Inclusive code point ranges that the engine's `pattern` (one code point) matches."""
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    removed = pre_tokenizers.Split(Regex(pattern), behavior="removed")
    members = set()
    for i in range(0, len(cps), 50000):
        chunk = cps[i:i + 50000]
        kept = set()
        for _, (a, b) in removed.pre_tokenize_str("".join(map(chr, chunk))):
            kept.update(chunk[a:b])
        members.update(c for c in chunk if c not in kept)
    ranges = []
    for c in sorted(members):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return ranges


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "tests", "data", "tokenizers",
                                                                   "splits.json")))
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--random", type=int, default=500, help="how many random strings")
    args = ap.parse_args()

    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    splits = {name: pre_tokenizers.Split(Regex(p), behavior="isolated") for name, p in
              (("gpt2", GPT2), ("llama3", LLAMA3))}
    removers = [pre_tokenizers.Split(Regex(p), behavior="removed") for p in (GPT2, LLAMA3)]

    rng = random.Random(args.seed)
    texts = list(dict.fromkeys(HAND_PICKED))
    seen = set(texts)
    while len(texts) < len(HAND_PICKED) + args.random:
        t = random_text(rng)
        if t not in seen:
            seen.add(t)
            texts.append(t)

    cases = []
    for text in texts:
        for r in removers:  # nothing is left outside the matches
            assert not r.pre_tokenize_str(text), text
        gpt2 = byte_ranges(text, byte_level.pre_tokenize_str(text))
        assert gpt2 == byte_ranges(text, splits["gpt2"].pre_tokenize_str(text)), text
        llama3 = byte_ranges(text, splits["llama3"].pre_tokenize_str(text))
        cases.append({"text": text, "gpt2": gpt2, "llama3": llama3})

    doc = {
        "about": "UTF-8 byte ranges of the pre-tokenizer matches, from tokenizers %s; made by "
                 "tools/gen_split_fixtures.py --seed %d --random %d" % (tokenizers.__version__, args.seed,
                                                                       args.random),
        "patterns": {"gpt2": GPT2, "llama3": LLAMA3},
        "classes": {"letter": class_ranges(r"\p{L}"), "number": class_ranges(r"\p{N}"),
                    "whitespace": class_ranges(r"\s")},
        "cases": cases,
    }
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        # One case per line keeps diffs readable; ensure_ascii=False keeps the file small.
        f.write("{\n")
        for key in ("about", "patterns", "classes"):
            f.write("%s: %s,\n" % (json.dumps(key), json.dumps(doc[key], ensure_ascii=False,
                                                                 separators=(",", ":"))))
        f.write('"cases": [\n')
        f.write(",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases))
        f.write("\n]\n}\n")
    print("wrote %s: %d cases, %d bytes" % (args.out, len(cases), os.path.getsize(args.out)))


if __name__ == "__main__":
    main()
