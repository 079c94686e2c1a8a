#!/usr/bin/env python3
"""Generates include/dapt/tokenizer/detail/normalization_tables.hpp from the Unicode Character Database.

The tables serve the Hugging Face `tokenizers` normalizers NFC, NFD, NFKC, NFKD, Lowercase and
StripAccents (dapt/tokenizer/unicode_normalization.hpp). They must equal what tokenizers 0.23.3
does, not what the newest Unicode says, so each part carries the Unicode version its Rust source
uses. tools/gen_normalizer_fixtures.py probes the real library over every scalar value and
tests/tokenizer/normalization_test.cpp compares these tables with the probe.

Normalization forms: Unicode 9.0.0. tokenizers normalizes with the crate
`unicode-normalization-alignments` 0.1, a 2019 fork of `unicode-normalization` whose tables were
never updated. Probing every code point shows it decomposes exactly the characters that UCD 15.0
decomposes and DerivedAge.txt dates 9.0 or earlier (U+11938, the only canonical decomposition
added since, is left alone), and gives a nonzero combining class to exactly the characters of
9.0 or earlier that UCD 15.0 gives one, with the same values. Decompositions and combining classes
of assigned characters never change (the normalization stability policy), so this script takes
UCD 15.0 and drops every character newer than NORMALIZATION_AGE.

StripAccents: the same crate's `is_combining_mark`, General_Category Mark (Mn, Mc, Me) of Unicode
9.0. Three characters changed category since: U+1CF2 and U+1CF3 (Mc in 9.0, Lo since 10.0) and
U+111C9 (Po in 9.0, Mn since 11.0); GC_IN_9_0 restores their 9.0 values.

Lowercase: Rust's `char::to_lowercase` (the full mapping: UnicodeData's simple mapping, overridden
by the unconditional entries of SpecialCasing.txt, of which only U+0130 lowercases to two
characters). tokenizers lowercases character by character, so the context-dependent rules of
SpecialCasing.txt (Final_Sigma) do not apply. The Rust toolchain that built tokenizers 0.23.3 has
Unicode 17.0 tables; LOWERCASE_SINCE_15_0 lists the mappings that Unicode 15.1, 16.0 and 17.0
added (checked to be unassigned in an older UCD, ignored with UCD 17.0 or later).

Layout. A two-stage table maps each code point below kNormTableLimit to a record of kNormRecords:
combining class, four "inert" bits (the code point is a starter that the form leaves alone and that
never combines with the character before it: a safe place to restart), and offsets into
kNormPool for the full canonical decomposition, the full compatibility decomposition and the list
of compositions that start with it. A pool entry of a decomposition is `ccc << 24 | code point`,
preceded by the length; a composition list is the count, then (second, composite) pairs sorted by
second. Hangul syllables are decomposed and composed algorithmically (the record only holds their
inert bits). A second two-stage table gives one byte per code point: bit 7 marks a combining
mark, the low 7 bits index kLowerDelta (0: no lowercase mapping; kLowerSpecial: U+0130).

Usage: python3 tools/gen_normalization_tables.py [--ucd /usr/share/unicode] [--out PATH]
Standard library only; the generated header is committed, so builds never need Python.
"""

import argparse
import os
import re
import sys
import textwrap

NORMALIZATION_AGE = (9, 0)
# General category in Unicode 9.0 of the characters whose category changed since (UCD 15.0 value).
GC_IN_9_0 = {0x1CF2: ("Mc", "Lo"), 0x1CF3: ("Mc", "Lo"), 0x111C9: ("Po", "Mn")}
# (first, last, delta): lowercase mappings of Unicode 15.1, 16.0 and 17.0 (unassigned in UCD 15.0).
LOWERCASE_SINCE_15_0 = [
    (0x1C89, 0x1C89, 1), (0xA7CB, 0xA7CB, 0x0264 - 0xA7CB), (0xA7CC, 0xA7CC, 1), (0xA7CE, 0xA7CE, 1),
    (0xA7D2, 0xA7D2, 1), (0xA7D4, 0xA7D4, 1), (0xA7DA, 0xA7DA, 1), (0xA7DC, 0xA7DC, 0x019B - 0xA7DC),
    (0x10D50, 0x10D65, 0x20), (0x16EA0, 0x16EB8, 0x1B),
]
LOWERCASE_VERSION = (17, 0, 0)

S_BASE, L_BASE, V_BASE, T_BASE = 0xAC00, 0x1100, 0x1161, 0x11A7
L_COUNT, V_COUNT, T_COUNT = 19, 21, 28
S_COUNT = L_COUNT * V_COUNT * T_COUNT

INERT_NFD, INERT_NFKD, INERT_NFC, INERT_NFKC = 1, 2, 4, 8
NUM_CP = 0x110000


def ucd_version(ucd):
    with open(os.path.join(ucd, "PropList.txt"), encoding="utf-8") as f:
        m = re.match(r"# PropList-(\d+)\.(\d+)\.(\d+)\.txt", f.readline())
    if not m:
        sys.exit("cannot read the Unicode version from PropList.txt")
    return tuple(int(x) for x in m.groups())


def parse_ranges(path):
    """Yields (first, last, [fields...]) from a `XXXX..YYYY ; Value # comment` UCD file."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            first, _, last = fields[0].partition("..")
            yield int(first, 16), int(last or first, 16), fields[1:]


def read_ages(ucd):
    age = {}
    for first, last, (value,) in parse_ranges(os.path.join(ucd, "DerivedAge.txt")):
        v = tuple(int(x) for x in value.split("."))
        for cp in range(first, last + 1):
            age[cp] = v
    return age


def read_unicode_data(ucd):
    """Per code point: general category, ccc, decomposition (tag, [cps]) and simple lowercase."""
    gc, ccc, decomp, lower = {}, {}, {}, {}
    first = None
    with open(os.path.join(ucd, "UnicodeData.txt"), encoding="utf-8") as f:
        for line in f:
            x = line.rstrip("\n").split(";")
            cp, name = int(x[0], 16), x[1]
            if name.endswith(", First>"):
                first = cp
                continue
            if name.endswith(", Last>"):
                for c in range(first, cp + 1):
                    gc[c] = x[2]
                continue
            gc[cp] = x[2]
            if x[3] != "0":
                ccc[cp] = int(x[3])
            if x[5]:
                parts = x[5].split()
                tag = parts[0] if parts[0].startswith("<") else None
                cps = [int(p, 16) for p in (parts[1:] if tag else parts)]
                decomp[cp] = (tag, cps)
            if x[13]:
                lower[cp] = [int(x[13], 16)]
    return gc, ccc, decomp, lower


def parse_ranges_plain(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            first, _, last = line.partition("..")
            yield int(first, 16), int(last or first, 16), None


def read_exclusions(ucd):
    out = set()
    for first, last, _ in parse_ranges_plain(os.path.join(ucd, "CompositionExclusions.txt")):
        out.update(range(first, last + 1))
    return out


def read_special_lowercase(ucd):
    """Unconditional lowercase entries of SpecialCasing.txt (no condition list)."""
    out = {}
    with open(os.path.join(ucd, "SpecialCasing.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            if len(fields) > 4 and fields[4]:
                continue  # conditional (Final_Sigma, language-specific)
            out[int(fields[0], 16)] = [int(h, 16) for h in fields[1].split()]
    return out


def is_hangul_syllable(cp):
    return S_BASE <= cp < S_BASE + S_COUNT


def hangul_decompose(cp):
    s = cp - S_BASE
    out = [L_BASE + s // (V_COUNT * T_COUNT), V_BASE + (s % (V_COUNT * T_COUNT)) // T_COUNT]
    if s % T_COUNT:
        out.append(T_BASE + s % T_COUNT)
    return out


def build_normalization(ucd):
    age = read_ages(ucd)
    gc, ccc_all, decomp_all, _ = read_unicode_data(ucd)
    old = lambda cp: age.get(cp, (99, 0)) <= NORMALIZATION_AGE  # noqa: E731
    ccc = {cp: v for cp, v in ccc_all.items() if old(cp)}
    decomp = {cp: d for cp, d in decomp_all.items() if old(cp)}
    exclusions = {cp for cp in read_exclusions(ucd) if old(cp)}

    def full(cp, compat, memo):
        if cp in memo:
            return memo[cp]
        if is_hangul_syllable(cp):
            r = hangul_decompose(cp)
        elif cp in decomp and (compat or decomp[cp][0] is None):
            r = [y for x in decomp[cp][1] for y in full(x, compat, memo)]
        else:
            r = [cp]
        memo[cp] = r
        return r

    canon_memo, compat_memo = {}, {}
    nfd = {cp: full(cp, False, canon_memo) for cp in decomp}
    nfkd = {cp: full(cp, True, compat_memo) for cp in decomp}
    nfd = {cp: d for cp, d in nfd.items() if d != [cp]}
    nfkd = {cp: d for cp, d in nfkd.items() if d != [cp]}

    # Primary composites: canonical, pair decomposition, starter first element, not excluded,
    # not a singleton (singletons have one element) and not a non-starter decomposition.
    compositions = {}
    for cp, (tag, cps) in decomp.items():
        if tag is not None:
            continue
        if len(cps) == 1 or ccc.get(cp, 0) != 0 or ccc.get(cps[0], 0) != 0:
            continue  # singletons and non-starter decompositions never recompose
        if cp in exclusions:
            continue
        assert len(cps) == 2, hex(cp)
        compositions.setdefault(cps[0], []).append((cps[1], cp))
    seconds = {s for pairs in compositions.values() for s, _ in pairs}
    seconds.update(range(V_BASE, V_BASE + V_COUNT))
    seconds.update(range(T_BASE + 1, T_BASE + T_COUNT))

    def nfc_of(cp, k):
        """NFC / NFKC of a single code point (the decomposition recomposed), for quick-check flags."""
        d = (nfkd if k else nfd).get(cp, [cp])
        return compose_seq(d, ccc, compositions)

    inert = {}
    for cp in set(ccc) | set(nfd) | set(nfkd) | seconds | set(range(S_BASE, S_BASE + S_COUNT)):
        flags = 0
        if ccc.get(cp, 0) == 0:
            if cp not in nfd and not is_hangul_syllable(cp):
                flags |= INERT_NFD
            if cp not in nfkd and not is_hangul_syllable(cp):
                flags |= INERT_NFKD
            if cp not in seconds:
                if nfc_of(cp, False) == [cp]:
                    flags |= INERT_NFC
                if nfc_of(cp, True) == [cp]:
                    flags |= INERT_NFKC
        inert[cp] = flags
    check_quick_check(ucd, age, inert, old)
    return ccc, nfd, nfkd, compositions, inert, gc, age


def compose_seq(seq, ccc, compositions):
    """Canonical composition of a canonically ordered sequence (the reference algorithm): a
    character combines with the last starter unless a character between them has a combining class
    of 0 or at least its own."""
    out = []
    starter = None  # index in out of the last starter
    last_ccc = None  # ccc of the last character kept after that starter (None: none kept)
    for c in seq:
        cc = ccc.get(c, 0)
        if starter is not None and (last_ccc is None or last_ccc < cc):
            p = compose_pair(out[starter], c, compositions)
            if p is not None:
                out[starter] = p
                continue
        if cc == 0:
            starter, last_ccc = len(out), None
        else:
            last_ccc = cc
        out.append(c)
    return out


def compose_pair(a, b, compositions):
    if L_BASE <= a < L_BASE + L_COUNT and V_BASE <= b < V_BASE + V_COUNT:
        return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT
    if is_hangul_syllable(a) and (a - S_BASE) % T_COUNT == 0 and T_BASE < b < T_BASE + T_COUNT:
        return a + (b - T_BASE)
    for s, p in compositions.get(a, []):
        if s == b:
            return p
    return None


def check_quick_check(ucd, age, inert, old):
    """Our inert bits must agree with DerivedNormalizationProps (restricted to old characters):
    a character is inert for a form exactly when its quick check is Yes and its ccc is 0."""
    path = os.path.join(ucd, "DerivedNormalizationProps.txt")
    not_yes = {"NFD_QC": set(), "NFKD_QC": set(), "NFC_QC": set(), "NFKC_QC": set()}
    for first, last, fields in parse_ranges(path):
        if fields[0] in not_yes:
            not_yes[fields[0]].update(cp for cp in range(first, last + 1) if old(cp))
    bits = {"NFD_QC": INERT_NFD, "NFKD_QC": INERT_NFKD, "NFC_QC": INERT_NFC, "NFKC_QC": INERT_NFKC}
    for prop, bit in bits.items():
        for cp in not_yes[prop]:
            if inert.get(cp, 15) & bit:
                sys.exit("U+%04X: %s is not Yes, but the table calls it inert" % (cp, prop))


def build_case_marks(ucd, gc, age):
    version = ucd_version(ucd)
    _, _, _, lower = read_unicode_data(ucd)
    lower.update(read_special_lowercase(ucd))
    lower = {cp: m for cp, m in lower.items() if m != [cp]}
    if version < LOWERCASE_VERSION:
        for first, last, delta in LOWERCASE_SINCE_15_0:
            for cp in range(first, last + 1):
                if cp in gc:
                    sys.exit("U+%04X is assigned in UCD %d.%d.%d; fix LOWERCASE_SINCE_15_0" % ((cp,) + version))
                lower[cp] = [cp + delta]
    marks = set()
    for cp, cat in gc.items():
        if age.get(cp, (99, 0)) > NORMALIZATION_AGE:
            continue
        if cp in GC_IN_9_0:
            was, now = GC_IN_9_0[cp]
            if cat != now:
                sys.exit("U+%04X has category %s, expected %s; fix GC_IN_9_0" % (cp, cat, now))
            cat = was
        if cat[0] == "M":
            marks.add(cp)
    return lower, marks


def two_stage(values, shift, limit):
    """(stage1, stage2) for values[0:limit] with 1 << shift entries per block."""
    block = 1 << shift
    stage1, blocks, stage2 = [], {}, []
    for b in range(limit >> shift):
        key = tuple(values[b * block:(b + 1) * block])
        if key not in blocks:
            blocks[key] = len(blocks)
            stage2.extend(key)
        stage1.append(blocks[key])
    return stage1, stage2


def best_two_stage(values, width2):
    """The block size that makes the smallest table (bytes: stage1 at 1 or 2 bytes, stage2 at width2)."""
    top = max(cp for cp in range(NUM_CP) if values[cp]) + 1
    best = None
    for shift in range(4, 10):
        limit = (top + (1 << shift) - 1) >> shift << shift
        s1, s2 = two_stage(values, shift, limit)
        size = len(s1) * (1 if max(s1) < 256 else 2) + len(s2) * width2
        if best is None or size < best[0]:
            best = (size, shift, limit, s1, s2)
    return best[1:]


def c_array(values, indent="    ", width=100, fmt="%d"):
    lines, line = [], indent
    for v in values:
        item = (fmt % v) + ","
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
    ap.add_argument("--out", default=os.path.normpath(os.path.join(
        here, "..", "include", "dapt", "tokenizer", "detail", "normalization_tables.hpp")))
    args = ap.parse_args()

    version = ucd_version(args.ucd)
    if version < (9, 0, 0):
        sys.exit("need UCD 9.0 or later")
    ccc, nfd, nfkd, compositions, inert, gc, age = build_normalization(args.ucd)
    lower, marks = build_case_marks(args.ucd, gc, age)

    # The pool: index 0 is unused, so offset 0 means "none".
    pool = [0]
    seq_offsets = {}

    def add_seq(seq):
        key = tuple(seq)
        if key not in seq_offsets:
            seq_offsets[key] = len(pool)
            pool.append(len(seq))
            pool.extend(ccc.get(c, 0) << 24 | c for c in seq)
        return seq_offsets[key]

    comp_offsets = {}
    for first in sorted(compositions):
        pairs = sorted(compositions[first])
        comp_offsets[first] = len(pool)
        pool.append(len(pairs))
        for s, p in pairs:
            pool.extend((s, p))

    records = {(0, 15, 0, 0, 0): 0}
    rec_of = [0] * NUM_CP
    for cp in sorted(set(ccc) | set(nfd) | set(nfkd) | set(compositions) | set(inert)):
        if is_hangul_syllable(cp):
            canon = compat = 0  # algorithmic
        else:
            canon = add_seq(nfd[cp]) if cp in nfd else 0
            compat = add_seq(nfkd[cp]) if cp in nfkd else 0
        rec = (ccc.get(cp, 0), inert.get(cp, 15), canon, compat, comp_offsets.get(cp, 0))
        if rec not in records:
            records[rec] = len(records)
        rec_of[cp] = records[rec]
    if len(pool) >= 1 << 16 or len(records) >= 1 << 16:
        sys.exit("pool (%d) or records (%d) overflow 16 bits" % (len(pool), len(records)))
    norm_shift, norm_limit, norm_s1, norm_s2 = best_two_stage(rec_of, 2)

    deltas = [0]
    special = {}
    case_val = [0] * NUM_CP
    for cp, m in sorted(lower.items()):
        if len(m) > 1:
            special[cp] = m
            continue
        d = m[0] - cp
        if d not in deltas:
            deltas.append(d)
        case_val[cp] = deltas.index(d)
    if len(special) != 1 or 0x130 not in special or special[0x130] != [0x69, 0x307]:
        sys.exit("multi-character lowercase mappings changed: %s; update unicode_normalization.hpp" % special)
    lower_special = len(deltas)
    case_val[0x130] = lower_special
    if lower_special >= 128:
        sys.exit("more than 127 lowercase deltas")
    for cp in marks:
        case_val[cp] |= 0x80
    case_shift, case_limit, case_s1, case_s2 = best_two_stage(case_val, 1)

    ver = "%d.%d.%d" % version
    brief = ("@brief GENERATED by `python3 tools/gen_normalization_tables.py` -- do not edit. Unicode "
             "normalization data of Unicode %d.%d.0 (UCD %s restricted by DerivedAge, as in the crate "
             "unicode-normalization-alignments used by tokenizers 0.23.3), combining marks of Unicode "
             "9.0 (StripAccents), and Rust's char::to_lowercase of Unicode %d.%d.%d. See the script for "
             "the layout and the probe that fixed each version. Counts: %d canonical and %d compatibility "
             "decompositions (plus 11172 Hangul syllables), %d nonzero combining classes, %d compositions, "
             "%d lowercase mappings, %d marks."
             % (NORMALIZATION_AGE + (ver,) + LOWERCASE_VERSION +
                (len(nfd), len(nfkd), len(ccc), sum(len(v) for v in compositions.values()), len(lower),
                 len(marks))))
    out = ["/// @file normalization_tables.hpp"]
    out += textwrap.wrap(brief, width=100, initial_indent="/// ", subsequent_indent="/// ",
                         break_on_hyphens=False)
    out += ["#pragma once", "", "#include <cstdint>", "", "namespace dapt::tokenizer::detail {", ""]
    out.append('inline constexpr char kNormalizationVersion[] = "%d.%d.0";' % NORMALIZATION_AGE)
    out.append('inline constexpr char kLowercaseVersion[] = "%d.%d.%d";' % LOWERCASE_VERSION)
    out.append("inline constexpr std::uint8_t kInertNfd = %d;" % INERT_NFD)
    out.append("inline constexpr std::uint8_t kInertNfkd = %d;" % INERT_NFKD)
    out.append("inline constexpr std::uint8_t kInertNfc = %d;" % INERT_NFC)
    out.append("inline constexpr std::uint8_t kInertNfkc = %d;" % INERT_NFKC)
    out.append("")
    out.append("/// One normalization record; kNormRecords[0] is the default (ccc 0, inert, no mappings).")
    out.append("struct NormRecord {")
    out.append("  std::uint8_t ccc;        ///< canonical combining class")
    out.append("  std::uint8_t inert;      ///< kInertNfd | kInertNfkd | kInertNfc | kInertNfkc")
    out.append("  std::uint16_t canon;     ///< kNormPool offset of the full canonical decomposition, or 0")
    out.append("  std::uint16_t compat;    ///< kNormPool offset of the full compatibility decomposition, or 0")
    out.append("  std::uint16_t compose;   ///< kNormPool offset of the compositions starting here, or 0")
    out.append("};")
    out.append("")
    out.append("inline constexpr unsigned kNormBlockShift = %d;" % norm_shift)
    out.append("inline constexpr std::uint32_t kNormTableLimit = 0x%X;" % norm_limit)
    out.append("inline constexpr unsigned kCaseBlockShift = %d;" % case_shift)
    out.append("inline constexpr std::uint32_t kCaseTableLimit = 0x%X;" % case_limit)
    out.append("inline constexpr std::uint8_t kCaseMarkBit = 0x80;")
    out.append("inline constexpr std::uint8_t kLowerSpecial = %d;  ///< U+0130 -> U+0069 U+0307" % lower_special)
    out.append("")
    out.append("inline constexpr NormRecord kNormRecords[%d] = {" % len(records))
    recs = sorted(records, key=records.get)
    out.append(c_array(recs, fmt="{%d,%d,%d,%d,%d}"))
    out.append("};")
    out.append("")
    t1 = "std::uint8_t" if max(norm_s1) < 256 else "std::uint16_t"
    out.append("inline constexpr %s kNormStage1[%d] = {" % (t1, len(norm_s1)))
    out.append(c_array(norm_s1))
    out.append("};")
    out.append("")
    out.append("inline constexpr std::uint16_t kNormStage2[%d] = {" % len(norm_s2))
    out.append(c_array(norm_s2))
    out.append("};")
    out.append("")
    out.append("inline constexpr std::uint32_t kNormPool[%d] = {" % len(pool))
    out.append(c_array(pool, fmt="0x%X"))
    out.append("};")
    out.append("")
    out.append("inline constexpr std::int32_t kLowerDelta[%d] = {" % len(deltas))
    out.append(c_array(deltas))
    out.append("};")
    out.append("")
    t1 = "std::uint8_t" if max(case_s1) < 256 else "std::uint16_t"
    out.append("inline constexpr %s kCaseStage1[%d] = {" % (t1, len(case_s1)))
    out.append(c_array(case_s1))
    out.append("};")
    out.append("")
    out.append("inline constexpr std::uint8_t kCaseStage2[%d] = {" % len(case_s2))
    out.append(c_array(case_s2))
    out.append("};")
    out.append("")
    out.append("}  // namespace dapt::tokenizer::detail")
    text = "\n".join(out) + "\n"
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print("wrote %s (%d bytes): %d records, norm shift %d (%d + %d entries), pool %d, case shift %d "
          "(%d + %d), %d deltas" % (args.out, len(text), len(records), norm_shift, len(norm_s1), len(norm_s2),
                                    len(pool), case_shift, len(case_s1), len(case_s2), len(deltas)))


if __name__ == "__main__":
    main()
