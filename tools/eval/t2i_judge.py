#!/usr/bin/env python3
"""Text-to-image as a user runs it, judged: `mdm generate` (the C CLI, its default options
unless given) draws every prompt form of data.eval_prompts (bare names, plurals, articles,
"a photo of ...", synonyms) for seeds 0..K-1, and the judge CNN (tools/reference/judge.py)
names the class of each image. Prints per-class and per-form accuracy; --json writes them.

  /usr/bin/python3 tools/eval/t2i_judge.py -m models/mdm-fmnist-q8_0.gguf --judge runs/judge.pt
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from mdm_ref import data  # noqa: E402
import judge as judge_mod  # noqa: E402


def read_pgm(path):
    with open(path, "rb") as f:
        raw = f.read()
    parts = raw.split(maxsplit=4)
    assert parts[0] == b"P5", path
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][:w * h], np.uint8).reshape(h, w)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-m", "--model", default="models/mdm-fmnist-q8_0.gguf")
    ap.add_argument("--mdm", default="build/mdm", help="the CLI to run")
    ap.add_argument("--judge", default="runs/judge.pt")
    ap.add_argument("--seeds", type=int, default=10, help="images per prompt form (seeds 0..K-1)")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--keep", default=None, help="keep the images in this folder")
    ap.add_argument("extra", nargs="*", help="more `mdm generate` options, after --")
    args = ap.parse_args()
    judge = judge_mod.load(args.judge)
    out_dir = args.keep or tempfile.mkdtemp(prefix="t2i-judge-")
    os.makedirs(out_dir, exist_ok=True)
    rows = []  # (class, form, image)
    for c in range(10):
        for k, form in enumerate(data.eval_prompts(c)):
            base = os.path.join(out_dir, f"c{c}-f{k}.pgm")
            cmd = [args.mdm, "generate", "-m", args.model, "-p", form, "-o", base,
                   "--count", str(args.seeds)] + args.extra
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            stem = base[:-4]
            for s in range(args.seeds):
                path = base if args.seeds == 1 else f"{stem}-{s}.pgm"
                rows.append((c, form, read_pgm(path)))
        print(f"class {c} done", file=sys.stderr, flush=True)
    imgs = torch.from_numpy(np.stack([r[2] for r in rows]).astype(np.float32) / 127.5 - 1)[:, None]
    pred, _ = judge_mod.predict(judge, imgs)
    pred = pred.numpy()
    labels = np.array([r[0] for r in rows])
    ok = pred == labels
    res = {"model": args.model, "seeds": args.seeds, "options": args.extra,
           "accuracy": float(ok.mean()), "n": int(len(ok)),
           "per_class": [float(ok[labels == c].mean()) for c in range(10)],
           "per_form": {}, "confusion": [[int(((labels == a) & (pred == b)).sum()) for b in range(10)]
                                         for a in range(10)]}
    for c in range(10):
        for form in data.eval_prompts(c):
            sel = np.array([r[1] == form for r in rows])
            res["per_form"][form] = float(ok[sel].mean())
    print(f"text-to-image judge accuracy {res['accuracy']:.4f} over {res['n']} images")
    for c in range(10):
        print(f"  {data.CLASSES[c]:11s} {res['per_class'][c]:.3f}  " +
              "  ".join(f"{f!r} {res['per_form'][f]:.2f}" for f in data.eval_prompts(c)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
