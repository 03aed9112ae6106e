#!/usr/bin/python3
"""Regenerates the SentencePiece test fixture in this folder.

Needs the `sentencepiece` Python module and the spm_train / spm_encode tools
(version 0.1.97 made the committed files).  Run from anywhere:
    /usr/bin/python3 tests/data/spm/make_fixture.py

Five vocabularies, each as NAME.vocab.tsv (piece<TAB>score<TAB>type), with
NAME.encode.tsv (text<TAB>ids<TAB>decode(ids)) and, for some, NAME.decode.tsv
(ids<TAB>decode(ids)) for id sequences that no encoding produces:
  main    trained on corpus.txt with the flags the model's tokenizer uses
  unused  main with some pieces marked unused (type 5)
  bytes   trained with --byte_fallback and user-defined symbols, two with
          "  ", for which SentencePiece's normalizer matches them whole
  tie     hand-made scores whose splits tie in exact arithmetic, so the
          float/double rounding of SentencePiece's Viterbi decides
  tieunk  exact ties between splits, some through an unknown character
Text fields escape backslash as \\\\, and as \\xHH every control byte, every
byte that is not valid UTF-8, and a leading or trailing space.
"""
import os
import random
import struct
import subprocess
import sys
import tempfile

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))

ITEMS = ["t-shirt", "top", "trouser", "trousers", "pullover", "dress", "coat", "sandal",
         "shirt", "sneaker", "bag", "ankle boot"]
COLORS = ["black", "white", "red", "blue", "grey", "green", "dark", "light", "striped", "plain"]
MATERIALS = ["cotton", "wool", "leather", "denim", "silk", "canvas"]
KIND = {"sandal": "footwear", "sneaker": "footwear", "ankle boot": "footwear", "bag": "a bag"}
TEMPLATES = ["a photo of a {c} {i}", "a photo of a {i}", "what is this?", "what is this? a {i}",
             "is this {k}? yes", "is this {k}? no", "a {c} {i}", "the {i} is {c}",
             "a {i} on a white background", "this is a {i}.", "{c} {i}, size {n}",
             "a café photo of a {i}", "a {m} {i}", "a {i} made of {m}", "is it {m}? maybe"]
ODD = ["  a   photo of  a sneaker  ", "is this footwear?yes", "what is this ?", "100% cotton",
       "t-shirt/top", "a bag (leather)", "size 42, 10 euro", "naïve coat", "a crème dress",
       "COAT", "Sneaker!", "\"quoted\" bag", "it's a shirt", "dress;coat:bag"]


def training_corpus():
    r = random.Random(20240501)
    lines = []
    for _ in range(700):
        i = r.choice(ITEMS)
        lines.append(r.choice(TEMPLATES).format(
            i=i, c=r.choice(COLORS), k=KIND.get(i, "clothing"), n=r.randint(1, 48),
            m=r.choice(MATERIALS)))
    return lines + ODD


def test_texts():
    """Byte strings: corpus lines, unseen sentences, odd and hostile cases."""
    t = [s.encode() for s in training_corpus()[::37]] + [s.encode() for s in ODD]
    t += [s.encode() for s in [
        "", " ", "     ", "a", " a", "a ", "   leading", "trailing   ", "  both  ",
        "multiple     spaces   here", "a photo of a red ankle boot", "is this a dress? no",
        "sneakers and sandals", "a zebra", "QUICK BROWN FOX", "ünïcödé", "日本語のテキスト",
        "\U0001f45f sneaker", "a\tb", "tab\tand\nnewline\r\n", "x\x00y", "\x00",
        "\u2581", "\u2581\u2581a", "a \u2581", "\u2581 a \u2581 ", "a\u2581\u2581b",
        "\u00a0nbsp\u00a0", "\u3000ideographic\u3000space", "0123456789", "?!.,;:'\"()[]{}",
        "supercalifragilisticexpialidocious", "aaaaaaaaaaaaaaaaaaaaaaaa", "café", "cafe\u0301",
        "\ufffd", "zzz qqq", "q", "the the the the", "a" * 300, "sneaker " * 40,
        "x  y", "  x  y", "ax  yb", "x   y", "x  y  x  y", "x  yy", " x  yyy ", "x \u2581 y",
        "<img> photo of a sneaker", "a photo of a\u2581sneaker", "é café"]]
    t += [b"a\xffb", b"\xff", b"\xc3", b"caf\xc3", b"\xe2\x96", b"\xe2\x96 a", b"\xed\xa0\x80",
          b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf",
          b"\xf8\x88\x80\x80\x80", b"caf\xc3\xa9\xff\xfe", b"\x80\x80\x80", b" \xfe \xfe "]
    r = random.Random(7)
    alphabet = (list("abcdefghijklmnopqrstuvwxyz") * 4 + list("      ") + list("?!.,-'0123") +
                ["é", "ü", "\u2581", "日", "\U0001f45f", "\t", "\x00", "\u00a0"])
    words = ["a", "photo", "of", "sneaker", "bag", "is", "this", "footwear?", "yes", "café"]
    for _ in range(120):
        parts = []
        for _ in range(r.randint(0, 12)):
            k = r.random()
            if k < 0.5:
                parts.append(r.choice(words).encode())
            elif k < 0.9:
                parts.append(r.choice(alphabet).encode())
            else:
                parts.append(bytes([r.randint(0x80, 0xff)]))
        t.append(b"".join(parts))
    return t


def esc(b):
    out = []
    i = 0
    while i < len(b):
        c = b[i]
        n = 1 if c < 0x80 else 2 if 0xc2 <= c <= 0xdf else 3 if 0xe0 <= c <= 0xef else \
            4 if 0xf0 <= c <= 0xf4 else 0
        try:
            ch = b[i:i + n].decode("utf-8") if n else None
        except UnicodeDecodeError:
            ch = None
        if ch is None:
            out.append("\\x%02X" % c)
            n = 1
        elif ch == "\\":
            out.append("\\\\")
        elif c < 0x20 or c == 0x7f or (c == 0x20 and (i == 0 or i == len(b) - 1)):
            out.append("\\x%02X" % c)
        else:
            out.append(ch)
        i += n
    return "".join(out)


def export_vocab(sp, path):
    types = proto_types(sp.serialized_model_proto())
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for i in range(sp.get_piece_size()):
            t = 2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 5 if sp.is_unused(i) \
                else 6 if sp.is_byte(i) else 1
            # The Python API has no is_user_defined: take the type from the
            # model proto, after checking that both agree on the rest.
            if t != (1 if types[i] == 4 else types[i]):
                sys.exit("piece %d: API type %d, proto type %d" % (i, t, types[i]))
            f.write("%s\t%r\t%d\n" % (sp.id_to_piece(i), sp.get_score(i), types[i]))


def write_encode(sp, path, texts, model_file):
    rows = []
    for t in texts:
        ids = sp.encode(t, out_type=int)
        rows.append((t, ids, sp.decode(ids).encode()))
    cross_check(model_file, rows)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for t, ids, d in rows:
            f.write("%s\t%s\t%s\n" % (esc(t), " ".join(map(str, ids)), esc(d)))


def cross_check(model_file, rows):
    """spm_encode / spm_decode must agree with the Python API on one-line texts."""
    rows = [r for r in rows if b"\n" not in r[0] and b"\r" not in r[0]]
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "in.txt")
        with open(src, "wb") as f:
            f.write(b"".join(r[0] + b"\n" for r in rows))
        out = subprocess.run(["spm_encode", "--model=" + model_file, "--output_format=id",
                              "--input=" + src], check=True, capture_output=True).stdout
        got = [list(map(int, line.split())) for line in out.decode().split("\n")[:-1]]
        ids = [r[1] for r in rows]
        if got != ids:
            sys.exit("spm_encode disagrees with the Python API")
        ids_txt = os.path.join(d, "ids.txt")
        with open(ids_txt, "w") as f:
            f.write("".join(" ".join(map(str, r[1])) + "\n" for r in rows if r[1]))
        out = subprocess.run(["spm_decode", "--model=" + model_file, "--input_format=id",
                              "--input=" + ids_txt], check=True, capture_output=True).stdout
        if out.split(b"\n")[:-1] != [r[2] for r in rows if r[1]]:
            sys.exit("spm_decode disagrees with the Python API")


def write_decode(sp, path, seed, extra):
    r = random.Random(seed)
    n = sp.get_piece_size()
    special = [i for i in range(n) if sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i)]
    lead = [i for i in range(n) if sp.id_to_piece(i).startswith("\u2581")]
    seqs = list(extra)
    for _ in range(150):
        seqs.append([r.choice(special if r.random() < 0.3 else lead if r.random() < 0.3
                              else range(n)) for _ in range(r.randint(0, 10))])
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for ids in seqs:
            f.write("%s\t%s\n" % (" ".join(map(str, ids)), esc(sp.decode(ids).encode())))


# Minimal protobuf reader/writer: enough to replace ModelProto.pieces (field 1,
# messages of piece=1 string, score=2 float, type=3 enum) and keep the rest.
def _varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << s
        s += 7
        if c < 0x80:
            return v, i


def _put_varint(v):
    o = bytearray()
    while True:
        c, v = v & 0x7f, v >> 7
        o.append(c | (0x80 if v else 0))
        if not v:
            return bytes(o)


def _fields(b):
    i, out = 0, []
    while i < len(b):
        k, i = _varint(b, i)
        f, w = k >> 3, k & 7
        if w == 0:
            v, i = _varint(b, i)
        elif w == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        elif w in (1, 5):
            n = 8 if w == 1 else 4
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % w)
        out.append((f, w, v))
    return out


def _message(fields):
    o = bytearray()
    for f, w, v in fields:
        o += _put_varint(f << 3 | w)
        o += _put_varint(v) if w == 0 else _put_varint(len(v)) + v if w == 2 else v
    return bytes(o)


def proto_types(model):
    """Type of each piece (field 3 of ModelProto.pieces, default 1 normal)."""
    types = []
    for f, _, v in _fields(model):
        if f == 1:
            t = [x[2] for x in _fields(v) if x[0] == 3]
            types.append(t[-1] if t else 1)
    return types


def with_pieces(model, pieces):
    rest = [x for x in _fields(model) if x[0] != 1]
    ps = [(1, 2, _message([(1, 2, p.encode()), (2, 5, struct.pack("<f", s)), (3, 0, t)]))
          for p, s, t in pieces]
    return _message(ps + rest)


def pieces_of(sp):
    types = proto_types(sp.serialized_model_proto())
    return [(sp.id_to_piece(i), sp.get_score(i), types[i]) for i in range(sp.get_piece_size())]


def train(d, name, corpus, extra):
    with open(os.path.join(d, "corpus.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(corpus) + "\n")
    subprocess.run(["spm_train", "--input=" + os.path.join(d, "corpus.txt"),
                    "--model_prefix=" + os.path.join(d, name), "--model_type=unigram",
                    "--normalization_rule_name=identity", "--pad_id=0", "--unk_id=1",
                    "--bos_id=-1", "--eos_id=2", "--hard_vocab_limit=false", "--num_threads=1",
                    "--minloglevel=2"] + extra, check=True, capture_output=True)
    return os.path.join(d, name + ".model")


def save_variant(d, name, base_model, pieces):
    path = os.path.join(d, name + ".model")
    with open(base_model, "rb") as f:
        model = f.read()
    with open(path, "wb") as f:
        f.write(with_pieces(model, pieces))
    return path


def emit(name, model_file, texts, decode_seed=None, decode_extra=()):
    sp = spm.SentencePieceProcessor(model_file=model_file)
    export_vocab(sp, os.path.join(HERE, name + ".vocab.tsv"))
    write_encode(sp, os.path.join(HERE, name + ".encode.tsv"), texts, model_file)
    if decode_seed is not None:
        write_decode(sp, os.path.join(HERE, name + ".decode.tsv"), decode_seed, decode_extra)
    return sp


def main():
    corpus = training_corpus()
    with open(os.path.join(HERE, "corpus.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(corpus) + "\n")
    texts = test_texts()
    with tempfile.TemporaryDirectory() as d:
        main_model = train(d, "main", corpus, ["--vocab_size=150"])
        sp = emit("main", main_model, texts, 11, [[], [0], [1], [2], [1, 1], [0, 2, 0]])

        # Mark every seventh normal piece unused, single characters included.
        ps = pieces_of(sp)
        ps = [(p, s, 5 if t == 1 and i % 7 == 3 else t) for i, (p, s, t) in enumerate(ps)]
        emit("unused", save_variant(d, "unused", main_model, ps), texts, 12)

        bytes_model = train(d, "bytes", corpus, [
            "--vocab_size=400", "--byte_fallback=true",
            "--user_defined_symbols=<img>,photo of,\u2581sneaker,é,x  y,x  yy"])
        emit("bytes", bytes_model, texts, 13)

        tie = [("<pad>", 0.0, 3), ("<unk>", 0.0, 2), ("</s>", 0.0, 3), ("\u2581", -0.3, 1)]
        r = random.Random(5)
        for word in ["g", "h", "gg", "gh", "hg", "hh", "ggg", "ggh", "ghg", "hgg", "gggg",
                     "\u2581g", "\u2581h", "\u2581gg", "\u2581gh", "\u2581ggg"]:
            # Unit costs in tenths that are not exact in binary: splits tie in
            # real arithmetic and only rounding separates them.
            cost = sum({"g": 1.1, "h": 0.7, "\u2581": 0.3}[c] for c in word)
            tie.append((word, -cost, 1))
        tie_texts = [b"".join(r.choice([b"g", b"g", b"h", b" "]) for _ in range(r.randint(1, 40)))
                     for _ in range(300)]
        emit("tie", save_variant(d, "tie", main_model, tie), tie_texts)

        # q has no piece, so it is unknown with score min - 10 = -13.5; with
        # g at +10, g + unknown ties every piece that holds q.  Binary
        # fractions make the ties exact, so only the tie rule decides.
        tie_unk = [("<pad>", 0.0, 3), ("<unk>", 0.0, 2), ("</s>", 0.0, 3), ("\u2581", -0.25, 1),
                   ("g", 10.0, 1), ("gg", 20.0, 1), ("\u2581g", 9.75, 1), ("gq", -3.5, 1),
                   ("ggq", 6.5, 1), ("\u2581gq", -3.75, 1), ("qg", 6.5, 1)]
        tie_texts = [b"".join(r.choice([b"g", b"q", b"q", b" "]) for _ in range(r.randint(1, 30)))
                     for _ in range(300)]
        emit("tieunk", save_variant(d, "tieunk", main_model, tie_unk), tie_texts)


if __name__ == "__main__":
    main()
