#!/usr/bin/env python3
"""Derives data/sft/chip_design_qa.jsonl from data/chip_design/simcells.v.

simcells.v (Yosys, ISC license) documents each internal logic cell in a comment block:

    //-     $_DFF_PN0_ (D, C, R, Q)
    //-
    //- A positive edge D-type flip-flop with negative polarity reset.
    //-
    //- Truth table: ...

For every cell this script writes two chat samples whose answers restate only that comment and
that port list: "what is cell X?" and "which cell is <description>?". Nothing is invented, so the
answers are true of Yosys' cell library. The output is deterministic; run it from anywhere:

    python3 data/sft/make_qa.py            # rewrites data/sft/chip_design_qa.jsonl
    python3 data/sft/make_qa.py --check    # exit 1 if the committed file is stale
"""
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent / "chip_design" / "simcells.v"
OUTPUT = HERE / "chip_design_qa.jsonl"

# A few phrasings, picked by cell index, so the questions are not one template repeated.
WHAT = [
    "What is the Yosys internal cell {name}?",
    "What does the Yosys cell {name} model?",
    "Describe the Yosys gate-level cell {name}.",
]
WHICH = [
    "Which Yosys internal cell is {desc}?",
    "Name the Yosys simcells.v cell that implements {desc}.",
    "In Yosys, which internal cell type is {desc}?",
]


def parse_cells(text):
    """(name, ports, description sentences) for every documented cell, in file order."""
    lines = text.split("\n")
    cells = []
    i = 0
    while i < len(lines):
        m = re.match(r"^//-\s+(\$\w+)\s*\(([^)]*)\)\s*$", lines[i])
        if not m:
            i += 1
            continue
        name = m.group(1)
        ports = [p.strip() for p in m.group(2).split(",") if p.strip()]
        desc = []
        j = i + 1
        while j < len(lines) and lines[j].startswith("//-"):
            body = lines[j][3:].strip()
            if body.startswith("Truth table:"):
                break
            if body:
                desc.append(body)
            j += 1
        while j < len(lines) and lines[j].startswith("//-"):
            j += 1
        if desc:
            cells.append((name, ports, " ".join(desc)))
        i = j
    return cells


def lower_first(s):
    return s[0].lower() + s[1:] if s[:1].isupper() and not s[1:2].isupper() else s


def port_list(ports):
    return ", ".join(ports[:-1]) + " and " + ports[-1] if len(ports) > 1 else ports[0]


def samples(cells):
    first_sentences = {}
    for name, _, desc in cells:
        first = desc.split(". ")[0].rstrip(".")
        first_sentences.setdefault(first, []).append(name)
    out = []
    for k, (name, ports, desc) in enumerate(cells):
        sentence = desc if desc.endswith(".") else desc + "."
        answer = f"{name} is {lower_first(sentence)} Its ports are {port_list(ports)}."
        out.append({"messages": [{"role": "user", "content": WHAT[k % len(WHAT)].format(name=name)},
                                 {"role": "assistant", "content": answer}],
                    "source": f"simcells.v {name}"})
        first = desc.split(". ")[0].rstrip(".")
        if len(first_sentences[first]) != 1:
            continue  # the description does not single the cell out: no honest answer
        question = WHICH[k % len(WHICH)].format(desc=lower_first(first))
        out.append({"messages": [{"role": "user", "content": question},
                                 {"role": "assistant", "content": f"{name}, with ports {', '.join(ports)}."}],
                    "source": f"simcells.v {name}"})
    return out


def render(rows):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main():
    text = render(samples(parse_cells(SOURCE.read_text(encoding="utf-8"))))
    if "--check" in sys.argv[1:]:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run python3 {pathlib.Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} samples to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
