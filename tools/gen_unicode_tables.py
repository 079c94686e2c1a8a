#!/usr/bin/env python3
"""Generates include/dapt/tokenizer/detail/unicode_tables.hpp from the Unicode Character Database.

The byte-level BPE pre-tokenizers of Hugging Face `tokenizers` split text with Oniguruma regexes
that use three character classes: \\p{L} (general category Lu Ll Lt Lm Lo), \\p{N} (Nd Nl No) and
\\s. Oniguruma documents \\s in Unicode mode as U+0009..U+000D, U+0085 and the categories Zs, Zl,
Zp; its tables derive it from the White_Space property. The two definitions agree in every Unicode
version since 6.3, and this script checks that they agree in the data it reads.

The header holds a two-stage lookup table (a block index per 128 code points, then 2 bits per code
point) and a 128-entry ASCII table, so the splitter classifies a code point with two loads.

Unicode version. tokenizers 0.23.3 bundles an Oniguruma whose tables are Unicode 16.0 (probed over
every scalar value with tools/gen_split_fixtures.py, which also stores the result in
tests/data/tokenizers/splits.json for unicode_test.cpp). Debian 12's `unicode-data` package ships
UCD 15.0. The only difference for these three classes is the letters and numbers encoded in
Unicode 15.1 and 16.0, which UCD 15.0 lists as unassigned (Cn); no assigned code point changed
class. So when the UCD read is older than 16.0, the ranges in POST_15_0_ADDITIONS are added, after
checking that each one is unassigned in that UCD. With a UCD of 16.0 or later they are ignored, and
--ucd-only turns them off.

Usage: python3 tools/gen_unicode_tables.py [--ucd /usr/share/unicode] [--out PATH] [--ucd-only]
Standard library only; the generated header is committed, so builds never need Python.
"""

import argparse
import os
import re
import sys
import textwrap

BLOCK_SHIFT = 7  # 128 code points per block: the smallest table for this data (8.3 KB)
BLOCK = 1 << BLOCK_SHIFT
OTHER, LETTER, NUMBER, WHITESPACE = 0, 1, 2, 3

# Letters and numbers of Unicode 15.1 and 16.0 (UCD 15.0 has them as Cn). Inclusive ranges.
POST_15_0_ADDITIONS = {
    LETTER: [
        (0x1C89, 0x1C8A), (0xA7CB, 0xA7CD), (0xA7DA, 0xA7DC), (0x105C0, 0x105F3),
        (0x10D4A, 0x10D65), (0x10D6F, 0x10D85), (0x10EC2, 0x10EC4), (0x11380, 0x11389),
        (0x1138B, 0x1138B), (0x1138E, 0x1138E), (0x11390, 0x113B5), (0x113B7, 0x113B7),
        (0x113D1, 0x113D1), (0x113D3, 0x113D3), (0x11BC0, 0x11BE0), (0x13460, 0x143FA),
        (0x16100, 0x1611D), (0x16D40, 0x16D6C), (0x18CFF, 0x18CFF), (0x1E5D0, 0x1E5ED),
        (0x1E5F0, 0x1E5F0), (0x2EBF0, 0x2EE5D),
    ],
    NUMBER: [
        (0x10D40, 0x10D49), (0x116D0, 0x116E3), (0x11BF0, 0x11BF9), (0x16130, 0x16139),
        (0x16D70, 0x16D79), (0x1CCF0, 0x1CCF9), (0x1E5F1, 0x1E5FA),
    ],
}


def parse_ranges(path, want):
    """Yields (first, last, value) from a `XXXX..YYYY ; Value # comment` UCD file."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            if want is not None and fields[1] != want:
                continue
            first, _, last = fields[0].partition("..")
            yield int(first, 16), int(last or first, 16), fields[1]


def ucd_version(ucd):
    with open(os.path.join(ucd, "PropList.txt"), encoding="utf-8") as f:
        m = re.match(r"# PropList-(\d+)\.(\d+)\.(\d+)\.txt", f.readline())
    if not m:
        sys.exit("cannot read the Unicode version from PropList.txt")
    return tuple(int(x) for x in m.groups())


def general_categories(ucd):
    """General category per code point (absent = Cn), expanding the <..., First>/<..., Last> pairs."""
    gc = {}
    first = None
    with open(os.path.join(ucd, "UnicodeData.txt"), encoding="utf-8") as f:
        for line in f:
            fields = line.split(";")
            cp, name, cat = int(fields[0], 16), fields[1], fields[2]
            if name.endswith(", First>"):
                first = cp
            elif name.endswith(", Last>"):
                for c in range(first, cp + 1):
                    gc[c] = cat
            else:
                gc[cp] = cat
    return gc


def check_case_folding(ucd):
    """The LLaMA-3 contractions are (?i:'s|'t|'re|'ve|'m|'ll|'d). Oniguruma matches a pattern
    letter against every code point with the same case folding. regex_split.hpp hard-codes the one
    non-ASCII such code point (U+017F LATIN SMALL LETTER LONG S folds to 's'); fail loudly if a
    future UCD adds another, or a multi-character fold onto a contraction body."""
    extra, multi = set(), set()
    with open(os.path.join(ucd, "CaseFolding.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            code, status, mapping = [x.strip() for x in line.split(";")[:3]]
            folded = "".join(chr(int(x, 16)) for x in mapping.split())
            if status in ("C", "S") and folded in "strvemld" and int(code, 16) >= 0x80:
                extra.add(int(code, 16))
            if status == "F" and folded in ("re", "ve", "ll"):
                multi.add(int(code, 16))
    if extra != {0x17F} or multi:
        sys.exit("case folding changed: extra=%s multi=%s; update regex_split.hpp" %
                 (sorted(map(hex, extra)), sorted(map(hex, multi))))


def build_classes(ucd, use_additions):
    version = ucd_version(ucd)
    gc = general_categories(ucd)
    cls = bytearray(0x110000)
    for cp, cat in gc.items():
        if cat[0] == "L":
            cls[cp] = LETTER
        elif cat[0] == "N":
            cls[cp] = NUMBER
    white = set()
    for first, last, _ in parse_ranges(os.path.join(ucd, "PropList.txt"), "White_Space"):
        white.update(range(first, last + 1))
    documented = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85} | {c for c, k in gc.items() if k in ("Zs", "Zl", "Zp")}
    if white != documented:
        sys.exit("White_Space differs from Oniguruma's documented \\s: %s" %
                 sorted(map(hex, white ^ documented)))
    for cp in white:
        cls[cp] = WHITESPACE
    applied = use_additions and version < (16, 0, 0)
    if applied:
        for value, ranges in POST_15_0_ADDITIONS.items():
            for first, last in ranges:
                for cp in range(first, last + 1):
                    if cp in gc:
                        sys.exit("U+%04X is assigned (%s) in UCD %d.%d.%d; fix POST_15_0_ADDITIONS" %
                                 ((cp, gc[cp]) + version))
                    cls[cp] = value
    check_case_folding(ucd)
    return cls, version, applied


def build_stages(cls):
    top = max(cp for cp in range(0x110000) if cls[cp])
    nblocks = top // BLOCK + 1
    stage1, blocks, stage2 = [], {}, []
    for b in range(nblocks):
        key = bytes(cls[b * BLOCK:(b + 1) * BLOCK])
        if key not in blocks:
            blocks[key] = len(blocks)
            for i in range(0, BLOCK, 4):
                stage2.append(key[i] | key[i + 1] << 2 | key[i + 2] << 4 | key[i + 3] << 6)
        stage1.append(blocks[key])
    if len(blocks) > 256:
        sys.exit("more than 256 distinct blocks: widen kClassStage1 to uint16_t")
    return nblocks * BLOCK, stage1, stage2


def c_array(values, indent="    ", width=100):
    lines, line = [], indent
    for v in values:
        item = "%d," % v
        if len(line) + len(item) + 1 > width:
            lines.append(line.rstrip())
            line = indent
        line += item + " "
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ucd", default="/usr/share/unicode", help="folder with UnicodeData.txt etc.")
    ap.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "include", "dapt", "tokenizer", "detail",
                                                  "unicode_tables.hpp")))
    ap.add_argument("--ucd-only", action="store_true", help="do not add the Unicode 15.1/16.0 letters")
    args = ap.parse_args()

    cls, version, applied = build_classes(args.ucd, not args.ucd_only)
    limit, stage1, stage2 = build_stages(cls)
    counts = [sum(1 for c in cls if c == k) for k in (LETTER, NUMBER, WHITESPACE)]
    ver = "%d.%d.%d" % version
    if applied:
        described = ("Unicode 16.0: UCD %s (Debian unicode-data) plus the letters and numbers that Unicode "
                     "15.1 and 16.0 added, listed in the script" % ver)
        version_string = "16.0.0 (UCD %s + 15.1/16.0 additions)" % ver
        described += ", as in tokenizers 0.23.3"
    else:
        described = "Unicode %s (UCD %s; tokenizers 0.23.3 uses 16.0)" % (ver, ver)
        version_string = ver
    command = "python3 tools/gen_unicode_tables.py" + (" --ucd-only" if args.ucd_only else "")
    if os.path.abspath(args.ucd) != "/usr/share/unicode":
        command += " --ucd " + args.ucd

    brief = ("@brief GENERATED by `%s` -- do not edit. The character classes of the Hugging Face "
             "pre-tokenizer regexes (Oniguruma's \\p{L}, \\p{N} and \\s) for %s. A code point's class is 2 bits (kClassOther 0, kClassLetter 1, "
             "kClassNumber 2, kClassWhitespace 3) in block kClassStage1[cp>>%d] of kClassStage2, four "
             "to a byte, low bits first; code points at or above kClassTableLimit are kClassOther. "
             "kAsciiClass repeats the first 128 entries one byte each, for the ASCII fast path. "
             "Counts: %d letters, %d numbers, %d whitespace code points."
             % (command, described, BLOCK_SHIFT, counts[0], counts[1], counts[2]))
    out = ["/// @file unicode_tables.hpp"]
    out += textwrap.wrap(brief, width=100, initial_indent="/// ", subsequent_indent="/// ",
                         break_on_hyphens=False)
    out.append("#pragma once")
    out.append("")
    out.append("#include <cstdint>")
    out.append("")
    out.append("namespace dapt::tokenizer::detail {")
    out.append("")
    out.append('inline constexpr char kUnicodeTablesVersion[] = "%s";' % version_string)
    out.append("inline constexpr std::uint8_t kClassOther = %d;" % OTHER)
    out.append("inline constexpr std::uint8_t kClassLetter = %d;" % LETTER)
    out.append("inline constexpr std::uint8_t kClassNumber = %d;" % NUMBER)
    out.append("inline constexpr std::uint8_t kClassWhitespace = %d;" % WHITESPACE)
    out.append("inline constexpr unsigned kClassBlockShift = %d;" % BLOCK_SHIFT)
    out.append("inline constexpr std::uint32_t kClassTableLimit = 0x%X;" % limit)
    out.append("")
    out.append("inline constexpr std::uint8_t kAsciiClass[128] = {")
    out.append(c_array(cls[:128]))
    out.append("};")
    out.append("")
    out.append("inline constexpr std::uint8_t kClassStage1[%d] = {" % len(stage1))
    out.append(c_array(stage1))
    out.append("};")
    out.append("")
    out.append("inline constexpr std::uint8_t kClassStage2[%d] = {" % len(stage2))
    out.append(c_array(stage2))
    out.append("};")
    out.append("")
    out.append("}  // namespace dapt::tokenizer::detail")
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s: %s, %d blocks, %d + %d bytes" % (args.out, version_string, len(stage2) * 4 // BLOCK,
                                                      len(stage1), len(stage2)))


if __name__ == "__main__":
    main()
