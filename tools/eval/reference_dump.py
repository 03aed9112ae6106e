#!/usr/bin/env python3
"""Per-image captions and VQA answers of the PyTorch reference for the first N test images, in
build/mdm-eval --dump's TSV format, computed exactly as tools/reference/evaluate.py computes
them (seeds = image index, analytic text sampler, the questions of vqa_items.tsv), to check
the C evaluation image by image:

  /usr/bin/python3 tools/eval/reference_dump.py --ckpt models/mdm-fmnist -n 200 -o ref.tsv
  build/mdm-eval -m models/mdm-fmnist-f32.gguf -n 200 --dump c.tsv
  diff <(cut -f2- ref.tsv) <(cut -f2- c.tsv)

CKPT holds config.json, model.safetensors and tokenizer.model (--tokenizer to take it elsewhere).
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from mdm_ref import data, safetensors_io as st  # noqa: E402
from mdm_ref.config import MDMConfig  # noqa: E402
from mdm_ref.denoiser import MDM  # noqa: E402
from mdm_ref.samplers import Sampler  # noqa: E402
from mdm_ref.tokenizer import Tokenizer  # noqa: E402
from evaluate import class_of_caption, encode_latents, vqa_items  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default="models/mdm-fmnist")
    ap.add_argument("--tokenizer", default=None, help="tokenizer.model (default CKPT/tokenizer.model)")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--text-steps", type=int, default=16)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--label", default="ref", help="first column")
    ap.add_argument("-o", "--out", default="-")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = MDMConfig.load(os.path.join(args.ckpt, "config.json"))
    model = MDM(cfg)
    sd, _ = st.load(os.path.join(args.ckpt, "model.safetensors"))
    model.load_flat(sd)
    model.eval()
    tok = Tokenizer(args.tokenizer or os.path.join(args.ckpt, "tokenizer.model"))
    sampler = Sampler(model.den)

    test_u8, test_y = data.load_split("test")
    m = min(args.n, len(test_y))
    test_f = torch.from_numpy(data.to_float(test_u8[:m]))[:, None]
    lat = encode_latents(model, cfg, test_f)
    items = vqa_items(m, test_y, np.random.default_rng(123))
    rows = []
    for i in range(0, m, args.batch):
        j = min(i + args.batch, m)
        caps = sampler.caption(lat[i:j], list(range(i, j)), args.text_steps).tolist()
        qids = [tok.encode(q) for q, _ in items[i:j]]
        outs = sampler.vqa(lat[i:j], qids, list(range(i, j)), args.text_steps).tolist()
        for k in range(j - i):
            cap = tok.decode(caps[k])
            ans = tok.decode(outs[k][len(qids[k]):])
            q, a = items[i + k]
            rows.append(f"{args.label}\t{i + k}\t{int(test_y[i + k])}\t{cap}\t{class_of_caption(cap)}"
                        f"\t{q}\t{a}\t{ans}\t{int(ans.strip() == a)}\n")
    f = sys.stdout if args.out == "-" else open(args.out, "w")
    f.write("# model\tindex\tlabel\tcaption\tcaption_class\tquestion\texpected\tanswer\tcorrect\n")
    f.writelines(rows)
    if f is not sys.stdout:
        f.close()


if __name__ == "__main__":
    main()
