#!/usr/bin/env python3
"""Writes the PNG fixtures of tests/test_image.c and the fuzz seed corpus.

Independent of the C code: PNGs are assembled chunk by chunk with Python's
zlib, and the expected 8-bit pixels follow the rules of src/image/image.h
(16-bit: v*255/65535 rounded; sub-byte gray: v*255/(2^d-1); palette -> RGB
or RGBA with tRNS; a tRNS colour key adds alpha 0 on exact matches).

manifest.txt, one line per file:  NAME STATUS [W H C]
  STATUS ok            -> NAME.raw holds the W*H*C expected bytes
  STATUS BAD_IMAGE     -> must fail with MDM_ERR_BAD_IMAGE
  STATUS IMAGE_TOO_LARGE
Run from anywhere:  python3 tests/data/images/make_fixtures.py
"""
import os
import random
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "fuzz", "corpus", "png")
SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(ctype, data, crc=None):
    c = zlib.crc32(ctype + data) if crc is None else crc
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", c & 0xFFFFFFFF)


def ihdr(w, h, depth, ctype, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))


def pack_row(samples, depth):
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", v) for v in samples)
    out, acc, nbits = bytearray(), 0, 0
    for v in samples:
        acc = (acc << depth) | v
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filter_rows(rows, bpp, ftypes):
    out, prev = bytearray(), bytes(len(rows[0]))
    for y, row in enumerate(rows):
        t = ftypes[y % len(ftypes)]
        out.append(t)
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][t]
            out.append((x - pred) & 255)
        prev = row
    return bytes(out)


def to8(v, depth):
    if depth == 16:
        return (v * 255 + 32767) // 65535
    return v * (255 // ((1 << depth) - 1))


def make_image(rng, w, h, depth, ctype, npal=0):
    """Native samples (rows of ints) with gradients and some noise."""
    top = (1 << depth) - 1 if ctype != 3 else npal - 1
    ns = SAMPLES[ctype]
    rows = []
    for y in range(h):
        row = []
        for x in range(w):
            for c in range(ns):
                v = (x * 7 + y * 3 + c * 5) * top // max(1, w * 7 + h * 3 + 10)
                if rng.random() < 0.3:
                    v = rng.randint(0, top)
                row.append(min(v, top))
        rows.append(row)
    return rows


def expected(rows, depth, ctype, pal=None, trns=None, key=None):
    ns = SAMPLES[ctype]
    out = bytearray()
    for row in rows:
        for x in range(len(row) // ns):
            px = row[x * ns:(x + 1) * ns]
            if ctype == 3:
                out += bytes(pal[px[0]])
                if trns is not None:
                    out.append(trns[px[0]] if px[0] < len(trns) else 255)
                continue
            out += bytes(to8(v, depth) for v in px)
            if key is not None:
                out.append(0 if list(px) == list(key) else 255)
    return bytes(out)


def png(w, h, depth, ctype, rows, ftypes=(0, 1, 2, 3, 4), zopts=None, pre=b"", post=b"",
        split=None, pal=None, trns=None, key=None, raw_edit=None):
    bpp = max(1, SAMPLES[ctype] * depth // 8)
    raw = filter_rows([pack_row(r, depth) for r in rows], bpp, ftypes)
    if raw_edit:
        raw = raw_edit(raw)
    level, strategy = zopts or (6, zlib.Z_DEFAULT_STRATEGY)
    co = zlib.compressobj(level, zlib.DEFLATED, 15, 9, strategy)
    z = co.compress(raw) + co.flush()
    body = pre
    if pal is not None:
        body += chunk(b"PLTE", b"".join(bytes(c) for c in pal))
    if trns is not None:
        body += chunk(b"tRNS", bytes(trns))
    if key is not None:
        body += chunk(b"tRNS", b"".join(struct.pack(">H", k) for k in key))
    if split:
        parts, i = [], 0
        for n in split:
            parts.append(z[i:i + n])
            i += n
        parts.append(z[i:])
    else:
        parts = [z]
    body += b"".join(chunk(b"IDAT", p) for p in parts)
    return b"\x89PNG\r\n\x1a\n" + ihdr(w, h, depth, ctype) + body + post + chunk(b"IEND", b""), z


def first_block_type(z):
    return (z[2] >> 1) & 3


def main():
    rng = random.Random(20240611)
    files, manifest = {}, []

    def ok(name, data, w, h, c, exp):
        assert len(exp) == w * h * c, name
        files[name + ".png"] = data
        files[name + ".raw"] = exp
        manifest.append(f"{name} ok {w} {h} {c}")

    def bad(name, data, status="BAD_IMAGE"):
        files[name + ".png"] = data
        manifest.append(f"{name} {status}")

    # Every colour type and bit depth; rows cycle through all five filters.
    for ctype, depths in ((0, (1, 2, 4, 8, 16)), (2, (8, 16)), (4, (8, 16)), (6, (8, 16))):
        for d in depths:
            w, h = 13, 11
            rows = make_image(rng, w, h, d, ctype)
            data, _ = png(w, h, d, ctype, rows)
            c = SAMPLES[ctype]
            ok(f"ct{ctype}_d{d}", data, w, h, c, expected(rows, d, ctype))
    for d in (1, 2, 4, 8):
        npal = min(1 << d, 200)
        pal = [(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)) for _ in range(npal)]
        w, h = 9, 7
        rows = make_image(rng, w, h, d, 3, npal)
        data, _ = png(w, h, d, 3, rows, pal=pal)
        ok(f"pal_d{d}", data, w, h, 3, expected(rows, d, 3, pal))
        trns = [rng.randint(0, 255) for _ in range(max(1, npal // 2))]
        data, _ = png(w, h, d, 3, rows, pal=pal, trns=trns)
        ok(f"pal_d{d}_trns", data, w, h, 4, expected(rows, d, 3, pal, trns))
    # Colour keys.
    for ctype, d in ((0, 8), (0, 2), (2, 8), (2, 16)):
        w, h = 6, 5
        rows = make_image(rng, w, h, d, ctype)
        key = rows[1][:SAMPLES[ctype]]
        data, _ = png(w, h, d, ctype, rows, key=key)
        ok(f"key_ct{ctype}_d{d}", data, w, h, SAMPLES[ctype] + 1,
           expected(rows, d, ctype, key=key))

    # Block types: stored, fixed, dynamic (checked, not assumed).
    w, h = 40, 30
    rows = make_image(rng, w, h, 8, 2)
    exp = expected(rows, 8, 2)
    for name, zo, bt in (("stored", (0, zlib.Z_DEFAULT_STRATEGY), 0),
                         ("fixed", (9, zlib.Z_FIXED), 1),
                         ("dynamic", (9, zlib.Z_DEFAULT_STRATEGY), 2)):
        data, z = png(w, h, 8, 2, rows, zopts=zo)
        assert first_block_type(z) == bt, name
        ok(f"block_{name}", data, w, h, 3, exp)
    # Long runs: matches of length 258 and overlapping copies.
    flat = [[200] * 64 for _ in range(64)]
    data, z = png(64, 64, 8, 0, flat, ftypes=(0,), zopts=(9, zlib.Z_DEFAULT_STRATEGY))
    ok("runs", data, 64, 64, 1, expected(flat, 8, 0))
    # IDAT split at odd places (one empty), ancillary chunks around it.
    data, _ = png(w, h, 8, 2, rows, split=[1, 0, 2, 3, 5, 7, 100],
                  pre=chunk(b"gAMA", struct.pack(">I", 45455)) + chunk(b"prIv", b"xyz"),
                  post=chunk(b"tEXt", b"Comment\0hi"))
    ok("idat_split", data, w, h, 3, exp)

    # Malformed files.
    g = make_image(rng, 8, 8, 8, 0)
    good, _ = png(8, 8, 8, 0, g)
    bad("interlaced", good[:8] + ihdr(8, 8, 8, 0, interlace=1) + good[33:])
    bad("bad_crc", good[:-5] + bytes([good[-5] ^ 1]) + good[-4:])
    bad("no_iend", good[:-12])
    bad("unknown_critical", good[:33] + chunk(b"ABCD", b"") + good[33:])
    bad("bad_filter", png(8, 8, 8, 0, g, raw_edit=lambda r: bytes([5]) + r[1:])[0])
    bad("short_data", png(8, 8, 8, 0, g, raw_edit=lambda r: r[:-3])[0])
    bad("extra_data", png(8, 8, 8, 0, g, raw_edit=lambda r: r + b"\0" * 9)[0])
    z = zlib.compress(bytes(9 * 8))
    z = z[:-1] + bytes([z[-1] ^ 0x55])
    bad("bad_adler", good[:33] + chunk(b"IDAT", z) + chunk(b"IEND", b""))
    pal = [(1, 2, 3), (4, 5, 6)]
    bad("pal_index", png(4, 4, 8, 3, [[0, 1, 2, 1]] * 4, pal=pal)[0])
    bad("pal_missing", png(4, 4, 8, 3, [[0, 1, 1, 1]] * 4)[0])
    bad("rgb_depth4", good[:8] + ihdr(8, 8, 4, 2) + good[33:])
    bad("zero_width", good[:8] + ihdr(0, 8, 8, 0) + good[33:])
    bad("huge", good[:8] + ihdr(100000, 100000, 8, 0) + good[33:], "IMAGE_TOO_LARGE")
    bad("over_budget", good[:8] + ihdr(16384, 16384, 8, 6) + good[33:], "IMAGE_TOO_LARGE")
    bad("data_too_short", good[:8] + ihdr(8000, 8000, 8, 0) + good[33:])
    bad("first_not_ihdr", good[:8] + chunk(b"gAMA", b"\0\0\0\1") + good[8:])
    bad("plte_in_gray", good[:33] + chunk(b"PLTE", bytes(6)) + good[33:])
    pal_png = png(4, 4, 8, 3, [[0, 1, 1, 0]] * 4, pal=pal)[0]
    bad("plte_twice", pal_png[:33] + chunk(b"PLTE", bytes(6)) + pal_png[33:])
    bad("plte_length", pal_png[:33] + chunk(b"PLTE", bytes(7)) + pal_png[33:])

    for name, data in files.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    with open(os.path.join(HERE, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    # Seeds: small valid files of each kind plus two malformed ones.
    os.makedirs(CORPUS, exist_ok=True)
    for name in ("ct0_d1", "ct0_d16", "ct2_d8", "ct4_d8", "ct6_d16", "pal_d4_trns",
                 "key_ct2_d8", "block_fixed", "block_stored", "block_dynamic", "idat_split",
                 "bad_filter", "pal_index"):
        with open(os.path.join(CORPUS, name + ".png"), "wb") as f:
            f.write(files[name + ".png"])
    with open(os.path.join(CORPUS, "p6.ppm"), "wb") as f:
        f.write(b"P6\n# seed\n3 2\n255\n" + bytes(range(18)))
    with open(os.path.join(CORPUS, "p2.pgm"), "wb") as f:
        f.write(b"P2 3 2 1000\n0 500 1000\n1 2 3\n")


if __name__ == "__main__":
    main()
