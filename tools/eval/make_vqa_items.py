#!/usr/bin/env python3
"""Writes tools/eval/vqa_items.tsv: the VQA question and expected answer per test image, from
tools/reference/evaluate.py's vqa_items with numpy's default_rng(123), as evaluate.py draws them,
so that build/mdm-eval asks the C runtime exactly the reference's questions.

  /usr/bin/python3 tools/eval/make_vqa_items.py [--out tools/eval/vqa_items.tsv]

The draws are sequential, so the first N rows are also evaluate.py --limit N's questions.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from mdm_ref import data  # noqa: E402
from evaluate import vqa_items  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "vqa_items.tsv"))
    args = ap.parse_args()
    _, labels = data.load_split("test")
    items = vqa_items(len(labels), labels, np.random.default_rng(123))
    with open(args.out, "w", newline="\n") as f:
        f.write("# VQA items of tools/reference/evaluate.py (vqa_items, numpy default_rng(123)),\n")
        f.write("# written by tools/eval/make_vqa_items.py; read by build/mdm-eval.\n")
        f.write("# index\tlabel\tquestion\tanswer\n")
        for i, (q, a) in enumerate(items):
            assert "\t" not in q + a and "\n" not in q + a
            f.write(f"{i}\t{int(labels[i])}\t{q}\t{a}\n")
    print(f"{len(items)} items -> {args.out}")


if __name__ == "__main__":
    main()
