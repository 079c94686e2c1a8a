"""English + code benchmark corpus, built from text files every Debian machine has.

Shared by the tokenizer benchmarks. `python corpus.py OUT.txt SIZE_MB` writes a deterministic mix
(sorted file lists, fixed order): the body text of man pages and package documentation (English
prose), C and C++ headers, and Python sources (code with English docstrings), interleaved in 64 KB slices so that
any prefix of the file has the same mix. Invalid UTF-8 is dropped. The file is only rebuilt when
missing or of another size, and the benchmarks print its size and hash: numbers from machines
with other installed files are not comparable.
"""
import glob
import gzip
import hashlib
import os
import re
import sys
import sysconfig

SLICE = 64 * 1024


def _man_pages():
    for path in sorted(glob.glob("/usr/share/man/man[1-8]/*.gz")):
        try:
            raw = gzip.open(path).read().decode("utf-8", "ignore")
        except (OSError, EOFError):
            continue
        # Strip roff requests and escapes: what is left reads as English text.
        # Keep the body text: drop roff request lines and inline font/character escapes.
        lines = []
        for line in raw.splitlines():
            if line.startswith((".", "'")):
                continue
            line = re.sub(r"\\f(\[[^]]*\]|\(..|.)|\\\(..|\\\*(\(..|.)|\\s[-+]?\d|\\[-&e|^ ]", "", line)
            if line.strip():
                lines.append(line)
        yield "\n".join(lines) + "\n"


def _files(patterns):
    for pattern in patterns:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if os.path.isfile(path):
                try:
                    yield open(path, encoding="utf-8", errors="ignore").read()
                except OSError:
                    continue


def _slices(stream):
    buf = ""
    for text in stream:
        buf += text
        while len(buf) >= SLICE:
            yield buf[:SLICE]
            buf = buf[SLICE:]
    if buf:
        yield buf


def build(out_path, size_mb):
    target = int(size_mb * 1e6)
    stdlib = sysconfig.get_paths()["stdlib"]
    sources = [
        _slices(_man_pages()),
        _slices(_files(["/usr/share/doc/*/README*", "/usr/share/doc/*/*.txt", "/usr/share/doc/*/copyright"])),
        _slices(_files(["/usr/include/*.h", "/usr/include/*/*.h", "/usr/include/c++/*/bits/*.h"])),
        _slices(_files([stdlib + "/*.py", stdlib + "/*/*.py"])),
    ]
    written = 0
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        while written < target and sources:
            for src in list(sources):
                piece = next(src, None)
                if piece is None:
                    sources.remove(src)
                    continue
                piece = piece[: max(0, target - written)]
                out.write(piece)
                written += len(piece.encode("utf-8"))
                if written >= target:
                    break
    os.replace(tmp, out_path)


def ensure(out_path, size_mb):
    if not os.path.exists(out_path) or abs(os.path.getsize(out_path) - size_mb * 1e6) > 1e5:
        build(out_path, size_mb)
    return out_path


def documents(text, size=8192):
    """Splits text into documents of whole lines, each at least `size` bytes (the last may be
    shorter). The C++ benchmarks split the same way, so both sides see the same inputs."""
    docs, cur, cur_bytes = [], [], 0
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i + 1 < len(lines):
            line += "\n"
        elif not line:
            break
        cur.append(line)
        cur_bytes += len(line.encode("utf-8"))
        if cur_bytes >= size:
            docs.append("".join(cur))
            cur, cur_bytes = [], 0
    if cur:
        docs.append("".join(cur))
    return docs


if __name__ == "__main__":
    path = ensure(sys.argv[1], float(sys.argv[2]))
    data = open(path, "rb").read()
    print(f"{path} {len(data)} bytes sha256 {hashlib.sha256(data).hexdigest()[:16]}")
