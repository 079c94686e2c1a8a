#!/usr/bin/env python3
"""Copies CUDA sources into a tree the host compiler can build against the CUDA emulator
(include/dapt_emu). Three rewrites, nothing else changes (line numbers are kept):

  kernel<T><<<grid, block, shared, stream>>>(args);
      -> ::dapt_emu::launch(::dapt_emu::LaunchConfig(grid, block, shared, stream), kernel<T>, "kernel<T>", args);
  extern __shared__ T name[];
      -> T* name = reinterpret_cast<T*>(::dapt_emu::dynamic_shared());
  __shared__ T a[N], b;
      -> static T a[N], b; ::dapt_emu::poison_shared(&a, sizeof(a)); ::dapt_emu::poison_shared(&b, sizeof(b));

Usage: translate.py OUT_DIR SRC_ROOT:REL_DIR [SRC_ROOT:REL_DIR ...]
Each REL_DIR under SRC_ROOT is copied whole (but hidden folders) to OUT_DIR/REL_DIR (files without launches or
__shared__ unchanged, so the tree is complete). A copy is written only when its text differs
from what is there, so unchanged headers keep their timestamps and nothing rebuilds for them.
"""
import os
import re
import sys

IDENT = re.compile(r"[A-Za-z0-9_:]")


def callee_start(text, end):
    """Start of the kernel expression `name` or `name<args>` that ends at `end` (before '<<<')."""
    j = end
    while j > 0 and text[j - 1] in " \t\n":
        j -= 1
    if j > 0 and text[j - 1] == ">":
        depth = 0
        while j > 0:
            ch = text[j - 1]
            if ch == ">":
                depth += 1
            elif ch == "<":
                depth -= 1
            j -= 1
            if depth == 0:
                break
    while j > 0 and IDENT.match(text[j - 1]):
        j -= 1
    return j


def balanced(text, start, open_ch, close_ch):
    """Index just past the bracket closing the one at text[start]."""
    assert text[start] == open_ch, (text[start:start + 40])
    depth = 0
    i = start
    while i < len(text):
        if text[i] == open_ch:
            depth += 1
        elif text[i] == close_ch:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced " + open_ch)


def rewrite_launches(text, path):
    out = []
    pos = 0
    while True:
        i = text.find("<<<", pos)
        if i < 0:
            out.append(text[pos:])
            return "".join(out)
        line_start = text.rfind("\n", 0, i) + 1
        if "//" in text[line_start:i]:  # a comment
            out.append(text[pos:i + 3])
            pos = i + 3
            continue
        s = callee_start(text, i)
        callee = text[s:i].strip()
        j = text.find(">>>", i)
        if not callee or j < 0:
            raise ValueError(f"{path}: cannot parse the launch at offset {i}")
        config = text[i + 3:j]
        k = j + 3
        while text[k] in " \t\n":
            k += 1
        end = balanced(text, k, "(", ")")
        args = text[k + 1:end - 1]
        name = " ".join(callee.split()).replace('"', "'")
        call = (f"::dapt_emu::launch(::dapt_emu::LaunchConfig({config}), {callee}, \"{name}\""
                + (f", {args}" if args.strip() else "") + ")")
        # Keep the line count: the launch's newlines go after it.
        newlines = text[s:end].count("\n") - call.count("\n")
        out.append(text[pos:s])
        out.append(call + "\n" * max(newlines, 0))
        pos = end


EXTERN_SHARED = re.compile(r"extern\s+__shared__\s+(?:__align__\(\s*\d+\s*\)\s+)?([^;\[]*?)\s*(\w+)\s*\[\s*\]\s*;")
SHARED = re.compile(r"__shared__\s+(?:__align__\(\s*(\d+)\s*\)\s+)?([^;]*);")
DECLARATOR = re.compile(r"^\s*(\w+)\s*((?:\[[^\]]*\]\s*)*)$")


def split_top(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def rewrite_shared(text, path):
    text = EXTERN_SHARED.sub(lambda m: f"{m.group(1)}* {m.group(2)} = reinterpret_cast<{m.group(1)}*>"
                                       f"(::dapt_emu::dynamic_shared());", text)

    def shared(m):
        align, decl = m.group(1), m.group(2)
        parts = split_top(decl)
        first = re.match(r"^(.*?)(\w+)\s*((?:\[[^\]]*\]\s*)*)$", parts[0].strip(), re.S)
        if not first or not first.group(1).strip():
            raise ValueError(f"{path}: cannot parse the __shared__ declaration '{decl}'")
        names = [first.group(2)]
        for p in parts[1:]:
            d = DECLARATOR.match(p)
            if not d:
                raise ValueError(f"{path}: cannot parse the __shared__ declarator '{p}'")
            names.append(d.group(1))
        prefix = f"alignas({align}) " if align else ""
        poison = " ".join(f"::dapt_emu::poison_shared(&{n}, sizeof({n}));" for n in names)
        return f"static {prefix}{decl}; {poison}"

    return SHARED.sub(shared, text)


def translate(text, path):
    if "<<<" in text:
        text = rewrite_launches(text, path)
    if "__shared__" in text:
        text = rewrite_shared(text, path)
    return text


def main():
    out_dir = sys.argv[1]
    for spec in sys.argv[2:]:
        root, rel = spec.split(":", 1)
        for dirpath, dirs, files in os.walk(os.path.join(root, rel)):
            # Not the emulator itself, nor hidden folders (a benchmark venv, cached data).
            dirs[:] = [d for d in dirs if d != "emu" and not d.startswith(".")]
            for f in files:
                src = os.path.join(dirpath, f)
                dst = os.path.join(out_dir, os.path.relpath(src, root))
                with open(src, encoding="utf-8") as fh:
                    text = fh.read()
                if f.endswith((".cuh", ".cu", ".hpp", ".cpp", ".h")):
                    text = translate(text, src)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                old = None
                if os.path.exists(dst):
                    with open(dst, encoding="utf-8") as fh:
                        old = fh.read()
                if old != text:
                    with open(dst, "w", encoding="utf-8") as fh:
                        fh.write(text)


if __name__ == "__main__":
    main()
