#!/usr/bin/env python3
"""Evaluate a checkpoint on the Fashion-MNIST test split, one command:

  /usr/bin/python3 tools/reference/evaluate.py --ckpt models/mdm-fmnist [--judge runs/judge.pt]

- judge: a CNN trained on the train split only (judge.py; trained here if the file is missing);
- text-to-image: 100 samples per class from the prompt "a photo of a <class>", judge accuracy,
  and the Frechet distance in the judge's 128-d feature space against the test set, beside the
  same distance for the VAE's reconstructions of the test set and for two halves of the test set
  (floors), and for 1,000 test images against the other 9,000 (the floor at the sample size);
- caption accuracy over all 10,000 test images (the caption names the right class);
- VQA accuracy over the test images, one templated question per image.
Writes the numbers as JSON (--out) and prints a table.
"""
import argparse
import json
import os
import re
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mdm_ref import data, safetensors_io as st  # noqa: E402
from mdm_ref.config import MDMConfig  # noqa: E402
from mdm_ref.denoiser import MDM  # noqa: E402
from mdm_ref.samplers import Sampler  # noqa: E402
from mdm_ref.tokenizer import Tokenizer  # noqa: E402
import judge as judge_mod  # noqa: E402


def class_of_caption(text):
    """The class a caption names, or -1 if it names none or several."""
    found = set()
    t = " " + text.lower() + " "
    if "t-shirt" in t:
        found.add(0)
        t = t.replace("t-shirt", " ")
    for c, name in enumerate(data.CLASSES):
        if c != 0 and re.search(r"(?<![a-z-])" + re.escape(name) + r"(?![a-z])", t):
            found.add(c)
    return found.pop() if len(found) == 1 else -1


def frechet(f1, f2):
    """Frechet distance between Gaussians fitted to two feature sets."""
    f1, f2 = f1.double().numpy(), f2.double().numpy()
    m1, m2 = f1.mean(0), f2.mean(0)
    c1, c2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    w, v = np.linalg.eigh(c1)
    s1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    ev = np.linalg.eigvalsh(s1 @ c2 @ s1)
    return float(((m1 - m2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * np.sqrt(np.clip(ev, 0, None)).sum())


def load_model(ckpt):
    cfg = MDMConfig.load(os.path.join(ckpt, "config.json"))
    model = MDM(cfg)
    sd, _ = st.load(os.path.join(ckpt, "model.safetensors"))
    model.load_flat(sd)
    model.eval()
    return cfg, model, Tokenizer(os.path.join(ckpt, "tokenizer.model"))


@torch.no_grad()
def encode_latents(model, cfg, imgs_f, bs=1000):
    out = []
    for i in range(0, len(imgs_f), bs):
        mu, _ = model.vae.encode(imgs_f[i:i + bs])
        out.append(mu * cfg.vae.scaling_factor)
    return torch.cat(out)


def vqa_items(n, labels, rng):
    """One question per test image: (question, expected answer). Half the time one of the
    generic and attribute questions of data.vqa_pairs, half "is this <class>?" with the true
    class half of those times (balanced yes/no)."""
    items = []
    for i in range(n):
        c = int(labels[i])
        pairs = data.vqa_pairs(c)
        if rng.random() < 0.5:
            items.append(pairs[rng.integers(len(pairs))])
        else:
            other = c if rng.random() < 0.5 else int(rng.integers(10))
            items.append(data.is_this_pairs(c, other)[0])
    return items


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default="models/mdm-fmnist")
    ap.add_argument("--judge", default="runs/judge.pt")
    ap.add_argument("--out", default=None, help="JSON results (default CKPT/eval.json)")
    ap.add_argument("--steps", type=int, default=20, help="image steps")
    ap.add_argument("--sampler", default="euler", choices=["euler", "heun"])
    ap.add_argument("--guidance", type=float, default=3.0)
    ap.add_argument("--text-steps", type=int, default=16)
    ap.add_argument("--text-sampler", default="confident", choices=["confident", "analytic", "euler"])
    ap.add_argument("--input", default="file", choices=["file", "padded"],
                    help="caption/VQA images as the CLI makes them of the 28x28 file, or padded")
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--limit", type=int, default=10000, help="test images for caption/VQA")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    if not os.path.exists(args.judge):
        sys.argv = ["judge.py", "--out", args.judge]
        judge_mod.main()
    judge = judge_mod.load(args.judge)
    cfg, model, tok = load_model(args.ckpt)
    sampler = Sampler(model.den)
    res = {"ckpt": args.ckpt, "image_steps": args.steps, "sampler": args.sampler,
           "text_sampler": args.text_sampler, "input": args.input,
           "guidance": args.guidance, "text_steps": args.text_steps}

    test_u8, test_y = data.load_split("test")
    test_f = torch.from_numpy(data.to_float(test_u8))[:, None]
    pred, feat_test = judge_mod.predict(judge, test_f)
    res["judge_test_accuracy"] = (pred == torch.from_numpy(test_y)).float().mean().item()

    # floors
    rec = []
    with torch.no_grad():
        for i in range(0, len(test_f), 1000):
            mu, _ = model.vae.encode(test_f[i:i + 1000])
            rec.append(model.vae.decode(mu))
    rec = torch.round((torch.cat(rec) + 1) * 127.5) / 127.5 - 1
    _, feat_rec = judge_mod.predict(judge, rec)
    res["fd_vae_recon"] = frechet(feat_rec, feat_test)
    res["fd_test_halves"] = frechet(feat_test[:5000], feat_test[5000:])
    res["fd_test_1000_vs_9000"] = frechet(feat_test[:1000], feat_test[1000:])
    res["vae_recon_mse"] = ((rec - test_f) ** 2).mean().item()
    print(f"floors done ({time.time() - t0:.0f}s)", flush=True)

    # text-to-image
    n = args.per_class * 10
    classes = np.repeat(np.arange(10), args.per_class)
    # the prompt forms people type (data.eval_prompts), in turn within each class
    tokens = torch.tensor([tok.layout(data.eval_prompts(int(c))[k % len(data.eval_prompts(int(c)))], cfg.text_len)
                           for k, c in enumerate(classes)])
    imgs = []
    for i in range(0, n, args.batch):
        lat = sampler.text_to_image(tokens[i:i + args.batch], list(range(i, min(i + args.batch, n))),
                                    args.steps, args.sampler, args.guidance)
        with torch.no_grad():
            im = model.vae.decode(lat / cfg.vae.scaling_factor)
        imgs.append(torch.round((im + 1) * 127.5) / 127.5 - 1)
        print(f"t2i {min(i + args.batch, n)}/{n} ({time.time() - t0:.0f}s)", flush=True)
    imgs = torch.cat(imgs)
    gpred, feat_gen = judge_mod.predict(judge, imgs)
    res["t2i_judge_accuracy"] = (gpred == torch.from_numpy(classes)).float().mean().item()
    res["t2i_per_class_accuracy"] = [(gpred[classes == c] == c).float().mean().item() for c in range(10)]
    res["fd_t2i"] = frechet(feat_gen, feat_test)
    grid = ((imgs[::args.per_class // 10 if args.per_class >= 10 else 1][:100] + 1) * 127.5).round().byte()
    res["_grid_path"] = os.path.join(args.ckpt, "samples.pgm")
    save_grid(grid[:, 0].numpy(), res["_grid_path"])

    # caption
    m = min(args.limit, len(test_f))
    given = test_f if args.input == "padded" else torch.from_numpy(
        data.to_float(data.as_the_cli_gives(test_u8)))[:, None]
    lat_test = encode_latents(model, cfg, given[:m])
    correct, examples = 0, []
    for i in range(0, m, args.batch):
        caps = sampler.caption(lat_test[i:i + args.batch], list(range(i, min(i + args.batch, m))), args.text_steps,
                               mode=args.text_sampler)
        for k, ids in enumerate(caps.tolist()):
            text = tok.decode(ids)
            correct += class_of_caption(text) == int(test_y[i + k])
            if len(examples) < 8:
                examples.append(text)
        print(f"caption {min(i + args.batch, m)}/{m} ({time.time() - t0:.0f}s)", flush=True)
    res["caption_accuracy"] = correct / m
    res["caption_examples"] = examples

    # VQA
    items = vqa_items(m, test_y, np.random.default_rng(123))
    correct, examples = 0, []
    for i in range(0, m, args.batch):
        chunk = items[i:i + args.batch]
        qids = [tok.encode(q) for q, _ in chunk]
        out = sampler.vqa(lat_test[i:i + len(chunk)], qids, list(range(i, i + len(chunk))), args.text_steps,
                          mode=args.text_sampler)
        for k, ids in enumerate(out.tolist()):
            ans = tok.decode(ids[len(qids[k]):])
            correct += ans.strip() == chunk[k][1]
            if len(examples) < 8:
                examples.append(f"{chunk[k][0]} -> {ans}")
        print(f"vqa {min(i + args.batch, m)}/{m} ({time.time() - t0:.0f}s)", flush=True)
    res["vqa_accuracy"] = correct / m
    res["vqa_examples"] = examples
    res["eval_wall_s"] = time.time() - t0

    out = args.out or os.path.join(args.ckpt, "eval.json")
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    for k, v in res.items():
        if not k.startswith("_") and not isinstance(v, list):
            print(f"{k:28s} {v:.4f}" if isinstance(v, float) else f"{k:28s} {v}")
    print("caption examples:", res["caption_examples"][:4])
    print("vqa examples:", res["vqa_examples"][:4])


def save_grid(imgs, path):
    """Up to 100 images as a 10x10 PGM grid (row = class)."""
    n, h, w = imgs.shape
    rows = (n + 9) // 10
    g = np.zeros((rows * h, 10 * w), np.uint8)
    for i in range(n):
        g[(i // 10) * h:(i // 10 + 1) * h, (i % 10) * w:(i % 10 + 1) * w] = imgs[i]
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (g.shape[1], g.shape[0]))
        f.write(g.tobytes())


if __name__ == "__main__":
    main()
