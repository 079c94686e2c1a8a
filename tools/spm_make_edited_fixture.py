#!/usr/bin/env python3
"""Makes tests/data/tokenizers/spm_bpe_edited.model and spm_bpe_edited.encodings.json.

It applies to spm_bpe.model, through the sentencepiece library's own protobuf classes, the edit
that tests/tokenizer/sentencepiece_model_test.cpp applies in C++:

  * pieces[300] ("INIT") gets score -41.5;
  * "<domain>" is appended as a USER_DEFINED piece with score 0 (id 2000);
  * "\u2581counter" (the concatenation of "\u2581c" and "ounter") is appended as a NORMAL piece
    with score 1.0, above every merge, so BPE forms it whenever both halves meet (id 2001);
  * trainer_spec.user_defined_symbols gets "<domain>" and trainer_spec.vocab_size becomes 2002.

The C++ test requires its own serialization of the same edit to equal the .model written here
byte for byte. The encodings (the same layout as spm_bpe.encodings.json) record what the
sentencepiece library produces with the edited model, for the encoder's tests. The test suite
never runs this script. It needs Python with sentencepiece (0.2.x) and protobuf:

    python tools/spm_make_edited_fixture.py [--check FILE]

With --check FILE it loads FILE (a model saved by dapt) in sentencepiece and verifies that it
matches the fixture in bytes and encodings.
"""
import argparse
import json
import pathlib
import sys

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb

DATA = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "tokenizers"
TEXTS = [
    "module counter(input clk);",
    "the <domain> counter",
    "<domain><domain> x",
    "a counter counts; encounter",
    "INIT 123 \u00e9\u00e8 \U0001F600",
]


def edited_model_bytes() -> bytes:
    m = pb.ModelProto()
    m.ParseFromString((DATA / "spm_bpe.model").read_bytes())
    assert m.pieces[300].piece == "INIT"
    m.pieces[300].score = -41.5
    m.pieces.add(piece="<domain>", score=0.0, type=pb.ModelProto.SentencePiece.USER_DEFINED)
    m.pieces.add(piece="\u2581counter", score=1.0)
    m.trainer_spec.user_defined_symbols.append("<domain>")
    m.trainer_spec.vocab_size = 2002
    return m.SerializeToString()


def encodings(model: bytes):
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(model)
    out = []
    for t in TEXTS:
        ids = sp.encode(t)
        out.append({"text": t, "ids": ids, "pieces": [sp.id_to_piece(i) for i in ids], "decoded": sp.decode(ids)})
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", type=pathlib.Path, help="a model saved by dapt to compare with the fixture")
    args = ap.parse_args()
    model = edited_model_bytes()
    enc = encodings(model)
    if args.check:
        theirs = args.check.read_bytes()
        same_bytes = theirs == model
        same_enc = encodings(theirs) == enc
        print(f"{args.check}: bytes {'identical' if same_bytes else 'DIFFER'}, "
              f"encodings {'identical' if same_enc else 'DIFFER'}")
        for e in encodings(theirs):
            print(f"  {e['text']!r} -> {e['pieces']}")
        return 0 if same_bytes and same_enc else 1
    (DATA / "spm_bpe_edited.model").write_bytes(model)
    with open(DATA / "spm_bpe_edited.encodings.json", "w", encoding="utf-8") as f:
        json.dump(enc, f, indent=0, ensure_ascii=False)
        f.write("\n")
    for e in enc:
        print(f"{e['text']!r} -> {e['pieces']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
