#!/usr/bin/env python3
"""Generates the ground truth for dapt/tokenizer/unicode_normalization.hpp from Hugging Face
`tokenizers` itself (tests/tokenizer/normalization_test.cpp reads it):

* tests/data/tokenizers/normalizers.json
  - "configs": tokenizer.json normalizers (NFC, NFD, NFKC, NFKD, Lowercase, Strip both ways and
    one-sided, StripAccents, BERT-uncased's Sequence[NFD, StripAccents, Lowercase], NFKC+Lowercase,
    and Replace with regexes that match one literal string);
  - "cases": hand-picked tricky strings, then seeded random strings drawn from pools of hard code
    points; for each text, the output of every config that changes it (`normalize_str`);
  - "probes": every Unicode scalar value c, put between a prefix and a suffix and run through one
    config; the outputs are hashed (CRC-32 of zlib over the UTF-8 of each output followed by a 0xFF
    byte) per block of 4096 code points. This checks the tables exhaustively in a few KB: the
    decompositions, the recomposition of each, the exact combining class of every code point (its
    rank among one mark of each class, placed before and after it), lowercase, marks, whitespace.
* tests/data/tokenizers/normalization_conformance.txt: lines of the official NormalizationTest.txt
  (UCD 15.0, /usr/share/unicode) with the columns recomputed by tokenizers (c1;NFC;NFD;NFKC;NFKD).
  tokenizers' tables are Unicode 9.0, so the 785 lines with later characters differ from the
  file; every other line agrees with it (the script checks). The committed subset keeps Parts 0
  and 3, every second line of Part 2, and the multi-code-point lines and every 16th line of
  Part 1; `--conformance-full PATH` writes all 19074 lines for a dev-time run
  (DAPT_NORMALIZATION_CONFORMANCE=PATH).
* tests/data/tokenizers/nfkc_bpe.tokenizer.json + nfkc_bpe.encodings.json: a small byte-level BPE
  trained with an NFKC normalizer, for the data-driven test of hf_tokenizer_test.cpp.
* `--stress N PATH`: N more random cases in the normalizers.json format, for a dev-time run
  (DAPT_NORMALIZER_STRESS=PATH).

Usage: /tmp/tokvenv/bin/python tools/gen_normalizer_fixtures.py [--seed N] [--random N]
       [--conformance-full PATH] [--stress N PATH]
Needs `tokenizers` (0.23.3 made the committed files).
"""

import argparse
import bz2
import json
import os
import random
import zlib

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

N = normalizers

# Replace regexes tokenizers' Oniguruma reads as one literal string (dapt accepts these only).
REPLACE_LITERAL_REGEXES = [(r"\.", "<dot>"), (r"\t", " "), (r"\\", "/"), ("ab", "X"), (r"\ \(x\)", "_"), ("é", "e")]

CONFIGS = {
    "NFC": N.NFC(),
    "NFD": N.NFD(),
    "NFKC": N.NFKC(),
    "NFKD": N.NFKD(),
    "Lowercase": N.Lowercase(),
    "Strip": N.Strip(),
    "StripLeft": N.Strip(left=True, right=False),
    "StripRight": N.Strip(left=False, right=True),
    "StripAccents": N.StripAccents(),
    "BertUncased": N.Sequence([N.NFD(), N.StripAccents(), N.Lowercase()]),
    "NfkcLowercase": N.Sequence([N.NFKC(), N.Lowercase()]),
    "NfkdStripAccents": N.Sequence([N.NFKD(), N.StripAccents()]),
}
for i, (pattern, content) in enumerate(REPLACE_LITERAL_REGEXES):
    CONFIGS["ReplaceRegex%d" % i] = N.Replace(Regex(pattern), content)

HAND_PICKED = [
    "", " ", "a", "hello world", "Hello World", "HELLO", "ÀÉÎÕÜ àéîõü", "café", "cafe\u0301", "Cafe\u0301",
    "e\u0301\u0301", "e\u0301\u0323", "e\u0323\u0301", "a\u0323\u0302", "a\u0302\u0323", "\u1e69", "s\u0323\u0307",
    "s\u0307\u0323", "q\u0307\u0323", "\u0301", "\u0301a", " \u0301", "\u00e9\u0301", "\u212b", "\u2126", "\u00c5",
    "A\u030a", "\u0344", "\u0f73", "\u0f75", "\u0f81", "\u0958", "\u2adc", "\U0001d15e", "\U0001d160",
    # Hangul: syllables, conjoining jamo (LV, LVT, L alone, V alone, T alone, LV+T), compatibility jamo
    "\ud55c\uad6d\uc5b4", "\u1112\u1161\u11ab", "\u1100\u1161", "\u1100", "\u1161", "\u11a8", "\uac00\u11a8",
    "\uac01\u11a8", "\u1100\u1161\u11a8\u11a8", "\u1100\u1100\u1161", "\u1100\u0301\u1161", "\u3131\u314f",
    "\uffa1\uffc2", "\uac00\u0301\u11a8", "\u1100\u1161\u0300\u11a8", "\u11a7", "\uac00\u11a7", "\uac00\u11c3",
    # ligatures, compatibility digits and letters, fullwidth, fractions, super/subscripts, circled
    "\ufb01nance", "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06", "\u2460\u2461\u2473", "\u2474\u2488",
    "\u00bd \u2153 \u215f",
    "x\u00b2 + y\u00b3", "H\u2082O", "\uff21\uff22\uff23\uff41\uff10\uff11", "\uff8a\uff9f\uff76\uff9e", "\u2162\u216b",
    "\u3392\u33c8\u32ff", "\u2122\u2120\u2121", "\u2026", "\u00a0\u2007\u202f", "\u00b5\u03bc", "\u017f\u1e9b",
    "\u01c4\u01c5\u01c6", "\u1d40\u1d2c\U0001d400", "\U0001d7ce\U0001d7d8", "\u0132\u0133", "\u2103\u2109", "\u33a1",
    "\u2f00\u2fd5", "\uf900\ufa6d\U0002f800\U0002fa1d", "\ufdfa\ufdfb", "\ufe10\ufe19", "\u3000\u3000",
    # final sigma and Greek (tokenizers lowercases char by char: no final ς), Turkish dotted I
    "\u039f\u0394\u039f\u03a3 \u039f\u0394\u039f\u03a3.", "\u03a3", "A\u03a3", "A\u03a3B", "\u1f08\u1f88\u1fbc",
    "\u0130stanbul", "\u0130", "I\u0307", "\u0131", "i\u0307\u0301", "\u0130\u0301", "\u1e9e\u00df",
    "\u0178\u0176\u212a\u212b", "\u10a0\u13a0\uab70", "\u2c00\u2c2f\u1c90", "\U00010400\U0001e900",
    "\u1c89\ua7cb\ua7cc\ua7da\ua7dc", "\U00010d50\U00010d65", "\ua7ce\ua7d2\ua7d4", "\U00016ea0\U00016eb8",
    # emoji, ZWJ, variation selectors, tags, regional indicators
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", "\U0001f44d\U0001f3fd", "\u2764\ufe0f",
    "\U0001f1fa\U0001f1f8", "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "a\u200db",
    "\u0915\u094d\u200d\u0937", "x\ufe0fy", "\u20e3", "1\ufe0f\u20e3",
    # scripts with many marks (Devanagari nukta, Thai, Arabic harakat, Hebrew points, Vietnamese)
    "\u0928\u092e\u0938\u094d\u0924\u0947", "\u0915\u093c", "\u0929", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "\u0e33",
    "\u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627", "\u0627\u0653\u0654\u0655", "\ufef5\ufefb",
    "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd", "\ufb2c\ufb4f", "Ti\u1ebfng Vi\u1ec7t", "\u1ead\u2026",
    "C\u1ee5 th\u1ec3, b\u1ea1n s\u1ebd", "\u0d4a\u0d4b\u0dda\u0ddd\u0b48\u0bca\u0c48\u0cc0",
    "\u1b06\u1b3b\u1b3d\u1b40\u1b41\u1b43", "\U000110ab\U0001112e\U0001134b\U000114bb\U000115ba",
    # characters newer than Unicode 9.0: tokenizers leaves them (and their marks) alone
    "\U00011938", "\U00011935\U00011930", "\U0001e030\U0001e06d", "\U0001fbf0\U0001fbf9", "\U00010781\U000107ba",
    "a\U0001e08f", "\u1dfa\u0301", "\U00011d42\u0301", "\U00011a34\u0301", "\u0c3c\u0301", "\U0001133b",
    "\u1cf2\u1cf3", "a\u1cf2", "a\U000111c9", "a\u0898\u0301", "\U00016ff0", "a\U0001e4ec",
    # whitespace for Strip: every White_Space code point, and lookalikes that are not
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000x\u3000 \t",
    "  a b  ", "\u200bx\u200b", "\ufeffx\ufeff", "\u180ex\u180e", "\u2060x", " \u0301 ", "\x1c\x1dx\x1e\x1f",
    "x \u00a0", "\u00a0x", "\u3000", "\n\n", "\u2028",
    # mixed text
    "The Café at Straße 5 \u2014 \ufb01rst \u2460 visit \u00bd price!",
    "mixed\u4e2d\u6587text \ud55c\uae00 \u3053\u3093",
    "\u0391\u03b8\u03ae\u03bd\u03b1 \u0391\u0398\u0397\u039d\u0391\u03a3",
    "\u041f\u0420\u0418\u0412\u0415\u0422 \u0401\u0419",
    "assign y = a & ~b; // \u00e9t\u00e9", "x.y.z", "a\\b\\c", "a\tb\tc", "aabab", "x (x) y", "ab\u0301",
]

# Pools of hard code points for the random strings.
COMBINING = [0x0301, 0x0300, 0x0323, 0x0327, 0x0328, 0x031B, 0x0302, 0x0308, 0x0334, 0x0338, 0x0345, 0x05B0,
             0x05B4, 0x05BC, 0x05C1, 0x0651, 0x064B, 0x0670, 0x093C, 0x094D, 0x09BC, 0x0E38, 0x0E48, 0x0F71,
             0x0F72, 0x0F74, 0x0F80, 0x1DCE, 0x1DFA, 0x20D2, 0x302A, 0x302E, 0x3099, 0x309A, 0x1D165,
             0x1D16D, 0x1D167, 0x0315, 0x031A, 0x0330, 0x0358, 0x035D, 0x0360, 0x0362, 0x0489, 0x0903,
             0x0BBE, 0x0CD5, 0x0DCF, 0x0DDF, 0x102E, 0x1B35, 0x110BA, 0x11127, 0x1133E, 0x114B0, 0x115AF,
             0x0C56, 0x0D57, 0x0B3E, 0x0B56, 0x0B57, 0x0BD7, 0x09BE, 0x09D7, 0x1E08F, 0x1DF9, 0x11D42, 0x0898]
STARTERS = [ord(c) for c in "aeiouAEIOUcCnNsSzZyY"] + [0x0391, 0x0397, 0x03A9, 0x03B1, 0x03C9, 0x0410, 0x0415,
            0x0418, 0x0423, 0x0627, 0x0648, 0x064A, 0x0915, 0x0928, 0x09C7, 0x0B47, 0x0BC6, 0x0CC6, 0x0D46,
            0x0DD9, 0x1025, 0x1B05, 0x30AB, 0x30CF, 0x304B, 0x3046, 0x11099, 0x11131, 0x11347, 0x114B9,
            0x115B8, 0x00C5, 0x00E9, 0x00F4, 0x01B0, 0x03D2, 0x1FBF, 0x1FFE, 0x00A8, 0x2190, 0x2203, 0x0020]
HANGUL = [0x1100, 0x1101, 0x1112, 0x1113, 0x1161, 0x1175, 0x1176, 0x11A7, 0x11A8, 0x11C2, 0x11C3, 0xAC00, 0xAC01,
          0xAC1B, 0xD7A3, 0xD4DB, 0x3131, 0x314F, 0xFFA0, 0xFFDC]
COMPAT = [0xFB01, 0xFB03, 0x2460, 0x2474, 0x00BD, 0x00B2, 0x2082, 0xFF21, 0xFF41, 0xFF10, 0xFF8A, 0xFF9E, 0x2162,
          0x3392, 0x2122, 0x2026, 0x00A0, 0x00B5, 0x017F, 0x1E9B, 0x01C4, 0x1D400, 0x1D7CE, 0x0132, 0x33A1,
          0x2F00, 0xF900, 0x2F800, 0xFDFA, 0xFE10, 0x3000, 0x1FBF0, 0x1E030, 0x10781, 0x0344, 0x0F73, 0x0F75,
          0x0958, 0x2ADC, 0x1D15E, 0x1D160, 0x212B, 0x2126, 0x0340, 0x0341, 0x0343, 0x0374, 0x037E, 0x0387,
          0x1F71, 0x1FEE, 0x2000, 0x2001, 0x0CC0, 0x0CCB, 0x0DDA, 0x0DDD, 0x1B3B, 0x11938, 0x30AC, 0x309B]
CASE = [0x0130, 0x0131, 0x03A3, 0x03C2, 0x0049, 0x0069, 0x1E9E, 0x00DF, 0x1F88, 0x1FBC, 0x212A, 0x2126, 0x10A0,
        0x13A0, 0x1C90, 0x10400, 0x1E900, 0x1C89, 0xA7CB, 0xA7CE, 0x10D50, 0x16EA0, 0x0178, 0x2C2F, 0x01C5]
OTHER = [0x1F468, 0x200D, 0x1F469, 0xFE0F, 0x1F3FD, 0x4E2D, 0x6587, 0x3053, 0x0009, 0x000A, 0x0085, 0x2028,
         0x200B, 0xFEFF, 0x0041, 0x005A, 0x0030, 0x002E, 0x005C, 0x0061, 0x0062]


def rand_text(rng, wide=False):
    """A short string from the pools; `wide` also draws any scalar value (mostly the BMP) and
    longer strings, for the stress run."""
    n = rng.choice([1, 2, 3, 3, 4, 5, 6, 8, 12] + ([20, 40] if wide else []))
    pools = [COMBINING, COMBINING, STARTERS, HANGUL, COMPAT, CASE, OTHER]
    out = []
    for _ in range(n):
        if wide and rng.random() < 0.2:
            cp = rng.randrange(0x10000) if rng.random() < 0.7 else rng.randrange(0x10000, 0x110000)
            if not 0xD800 <= cp <= 0xDFFF:
                out.append(chr(cp))
            continue
        pool = rng.choice(pools)
        out.append(chr(rng.choice(pool)))
    return "".join(out)


def run_cases(texts):
    cases = []
    for t in texts:
        out = {}
        for name, n in CONFIGS.items():
            r = n.normalize_str(t)
            if r != t:
                out[name] = r
        cases.append({"text": t, "out": out})
    return cases


def read_ages():
    age = {}
    with open("/usr/share/unicode/DerivedAge.txt", encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            r, a = [x.strip() for x in line.split(";")]
            first, _, last = r.partition("..")
            for cp in range(int(first, 16), int(last or first, 16) + 1):
                age[cp] = tuple(int(x) for x in a.split("."))
    return age


def mark_ladder():
    """One non-decomposing mark per combining class of Unicode 9.0, by increasing class."""
    ccc = {}
    age = read_ages()
    with open("/usr/share/unicode/UnicodeData.txt", encoding="utf-8") as f:
        for line in f:
            x = line.split(";")
            cp = int(x[0], 16)
            if x[3] != "0" and not x[5] and age[cp] <= (9, 0):
                ccc.setdefault(int(x[3]), cp)
    return "".join(chr(ccc[k]) for k in sorted(ccc))


def probes():
    ladder = mark_ladder()
    specs = [
        ("NFD", "", ""), ("NFKD", "", ""), ("NFC", "", ""), ("NFKC", "", ""),
        ("NFD", "a", ladder), ("NFD", "a" + ladder, ""), ("NFC", "", "\u0301"), ("NFKC", "\u1100", ""),
        ("Lowercase", "", ""), ("StripAccents", "a", "b"), ("Strip", "", ""),
    ]
    out = []
    for config, prefix, suffix in specs:
        f = CONFIGS[config].normalize_str
        hashes = []
        for block in range(0x110000 // 4096):
            data = b"".join(f(prefix + chr(cp) + suffix).encode("utf-8") + b"\xff"
                            for cp in range(block * 4096, block * 4096 + 4096) if not 0xD800 <= cp <= 0xDFFF)
            hashes.append("%08x" % zlib.crc32(data))
        out.append({"config": config, "prefix": prefix, "suffix": suffix, "block_hashes": hashes})
        print("probe %s %r..%r done" % (config, prefix[:4], suffix[:4]), flush=True)
    return out


def hexs(s):
    return " ".join("%04X" % ord(c) for c in s)


def conformance(full):
    """(lines for the file, count of lines where tokenizers differs from NormalizationTest.txt)."""
    forms = {k: CONFIGS[k].normalize_str for k in ("NFC", "NFD", "NFKC", "NFKD")}
    expect_col = {"NFC": (2, 2, 2, 4, 4), "NFD": (3, 3, 3, 5, 5), "NFKC": (4,) * 5, "NFKD": (5,) * 5}
    lines, differ, part, index = [], 0, None, 0
    age = read_ages()
    with bz2.open("/usr/share/unicode/NormalizationTest.txt.bz2", "rt", encoding="utf-8") as f:
        for raw in f:
            if raw.startswith("@Part"):
                part = raw.split()[0]
                continue
            body = raw.split("#", 1)[0].strip()
            if not body:
                continue
            cols = [None] + ["".join(chr(int(h, 16)) for h in c.split()) for c in body.split(";")[:5]]
            if any(forms[k](cols[i + 1]) != cols[expect_col[k][i]] for k in forms for i in range(5)):
                differ += 1
                if max(age.get(ord(c), (99, 0)) for c in cols[1]) <= (9, 0):
                    raise SystemExit("tokenizers differs from NormalizationTest on Unicode 9.0 text: " + body)
            index += 1
            if part == "@Part1":
                keep = len(cols[1]) > 1 or index % 16 == 0
            else:
                keep = part != "@Part2" or index % 2 == 0
            keep = keep or full
            if keep:
                c1 = cols[1]
                outs = [forms[k](c1) for k in ("NFC", "NFD", "NFKC", "NFKD")]
                lines.append(";".join([hexs(c1)] + ["" if o == c1 else hexs(o) for o in outs]))
    return lines, differ


def write_conformance(path, lines, differ):
    head = ["# GENERATED by tools/gen_normalizer_fixtures.py -- do not edit.",
            "# NormalizationTest-15.0.0 source strings (c1) with NFC;NFD;NFKC;NFKD as computed by tokenizers %s"
            % tokenizers.__version__,
            "# (Unicode 9.0 tables: %d lines of the full file differ from the 15.0 expectations, all of them"
            % differ,
            "# because of characters added after 9.0). Format: c1;NFC;NFD;NFKC;NFKD, code points in hex;",
            "# an empty field means the same as c1."]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(head + lines) + "\n")
    print("wrote %s: %d lines" % (path, len(lines)))


def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


def config_json(n):
    return json.loads(n.__getstate__())


def nfkc_bpe(data_dir, corpus_path):
    with open(corpus_path, encoding="utf-8") as f:
        docs = json.load(f)["documents"]
    extra = [
        "\ufb01nance \ufb02ow \ufb00ect \uff21\uff22\uff23 \uff11\uff12\uff13 \u2460 \u2461 \u2462 \u00bd \u00bc "
        "x\u00b2 H\u2082O",
        "Caf\u00e9 cafe\u0301 na\u00efve r\u00e9sum\u00e9 \u212bngstr\u00f6m \u2126 \u00c5 \u00b5m \u2103 "
        "\u33a1 \u2122",
        "\ud55c\uad6d\uc5b4 \u1112\u1161\u11ab\u1100\u116e\u11a8 \u3131\u314f \uff8a\uff9f\uff76\uff9e \u30ac\u30ae",
        "\u2162 \u216b \u2474 \u2488 \u3392 \u2026 \u00a0nbsp \u3000ideographic \u2000en quad",
    ] * 20
    tok = Tokenizer(models.BPE())
    tok.normalizer = N.NFKC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=900, min_frequency=2, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(docs + extra, trainer=trainer)
    texts = [
        "Hello world", "\ufb01nance and \ufb02ow", "\uff21\uff22\uff23 \uff11\uff12\uff13", "\u2460\u2461\u2462 items",
        "\u00bd cup, x\u00b2 + y\u00b2", "Caf\u00e9 vs cafe\u0301", "\u212bngstr\u00f6m \u2126 \u00b5m",
        "\u2103 and \u33a1",
        "\ud55c\uad6d\uc5b4 \u1112\u1161\u11ab\u1100\u116e\u11a8", "\u3131\u314f \uff8a\uff9f\uff76\uff9e",
        "\u2162 \u216b \u2474 \u2488 \u3392", "wait\u2026 what", "a\u00a0b\u3000c\u2000d", "x <|endoftext|> y",
        "<|endoftext|>", "", "   ", "The clock\u2122 module \ufb01res at 5\u00a0GHz",
        "\u1e9b\u0323 \u01c4 \u0132", "\U0001d400\U0001d401 \U0001d7ce", "e\u0323\u0301 e\u0301\u0323",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 emoji", "\u0130stanbul \u03a3\u039f\u03a3", "\ufdfa",
        "module counter(input clk);\n  assign q = \uff44 + \uff11;\nendmodule\n",
    ]
    enc = []
    for t in texts:
        ids = tok.encode(t, add_special_tokens=False).ids
        enc.append({"text": t, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
    tok.save(os.path.join(data_dir, "nfkc_bpe.tokenizer.json"))
    write_json(os.path.join(data_dir, "nfkc_bpe.encodings.json"), enc)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data_dir = os.path.normpath(os.path.join(here, "..", "tests", "data", "tokenizers"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=20240515)
    ap.add_argument("--random", type=int, default=400, help="random strings in normalizers.json")
    ap.add_argument("--conformance-full", metavar="PATH", help="also write every NormalizationTest line here")
    ap.add_argument("--stress", nargs=2, metavar=("N", "PATH"), help="write N random cases to PATH and stop")
    args = ap.parse_args()
    configs = {name: config_json(n) for name, n in CONFIGS.items()}

    if args.stress:
        rng = random.Random(args.seed + 1)
        texts = [rand_text(rng, wide=True) for _ in range(int(args.stress[0]))]
        write_json(args.stress[1], {"configs": configs, "cases": run_cases(texts), "probes": []})
        return

    rng = random.Random(args.seed)
    texts = HAND_PICKED + [rand_text(rng) for _ in range(args.random)]
    fixture = {
        "tokenizers_version": tokenizers.__version__,
        "generator": "tools/gen_normalizer_fixtures.py --seed %d --random %d" % (args.seed, args.random),
        "configs": configs,
        "cases": run_cases(texts),
        "probes": probes(),
    }
    write_json(os.path.join(data_dir, "normalizers.json"), fixture)

    lines, differ = conformance(False)
    write_conformance(os.path.join(data_dir, "normalization_conformance.txt"), lines, differ)
    if args.conformance_full:
        lines, differ = conformance(True)
        write_conformance(args.conformance_full, lines, differ)

    nfkc_bpe(data_dir, os.path.join(data_dir, "trainer_corpus.json"))


if __name__ == "__main__":
    main()
