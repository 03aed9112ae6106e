#!/usr/bin/env python3
"""Train the demo MDM on Fashion-MNIST: tokenizer, then the VAE, then the denoiser on all four
tasks. Seeded and resumable (state in --run DIR); prints progress. Writes the checkpoint
(config.json, model.safetensors, tokenizer.model, vocab.tsv) to --out.

  /usr/bin/python3 tools/reference/train.py --run runs/demo --out models/mdm-fmnist
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mdm_ref import data, tokenizer as tk, safetensors_io as st  # noqa: E402
from mdm_ref.config import preset  # noqa: E402
from mdm_ref.denoiser import MDM, TASK_T2I, TASK_CAPTION, TASK_VQA, TASK_JOINT  # noqa: E402
from mdm_ref.diffusion import flow_noise, flow_loss, mask_tokens, score_entropy  # noqa: E402
from mdm_ref.mamba import selective_scan_ext, selective_scan_fused, selective_scan_seq  # noqa: E402


def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


class TextBank:
    """Pre-tokenised texts for each class: captions (canonical names), prompts (every form
    people type: bare names, plurals, articles, synonyms, "a photo of ..."), VQA pairs.
    Tokenizer.layout raises if any text needs more than Lt positions: nothing is cut."""

    def __init__(self, tok, Lt):
        self.captions = [[tok.layout(data.caption(c, k), Lt) for k in range(len(data.CAPTION_TEMPLATES))]
                         for c in range(10)]
        self.prompts = [[tok.layout(p, Lt) for p in data.prompts(c)] for c in range(10)]

        def qa(q, a):
            return tok.layout(q + " " + a, Lt), len(tok.encode(q))
        self.vqa = [[qa(q, a) for q, a in data.vqa_pairs(c)] for c in range(10)]
        # is_this[c][o]: "is this a <name of class o>?" asked of an image of class c
        self.is_this = [[[qa(q, a) for q, a in data.is_this_pairs(c, o)] for o in range(10)]
                        for c in range(10)]
        n = sum(len(x) for x in self.captions + self.prompts + self.vqa)
        n += sum(len(y) for x in self.is_this for y in x)
        log(f"text bank: {n} texts, all within {Lt} positions")


def draw_tasks(rng, B):
    u = rng.random(B)
    return np.where(u < 0.4, TASK_T2I, np.where(u < 0.65, TASK_CAPTION, np.where(u < 0.9, TASK_VQA, TASK_JOINT)))


def make_batch(rng, labels, text, Lt, mask_id, task=None):
    """Task, tokens and the number of frozen (question) positions for each sample."""
    B = len(labels)
    if task is None:
        task = draw_tasks(rng, B)
    tokens = np.zeros((B, Lt), np.int64)
    qlen = np.zeros(B, np.int64)
    pick = lambda rows: rows[rng.integers(len(rows))]
    for i in range(B):
        c = labels[i]
        if task[i] == TASK_VQA:
            # half attribute/"what is this" questions, half "is this a X?" with X the
            # true class half of those times: yes and no equally often
            if rng.random() < 0.5:
                tokens[i], qlen[i] = pick(text.vqa[c])
            else:
                o = c if rng.random() < 0.5 else rng.integers(10)
                tokens[i], qlen[i] = pick(text.is_this[c][o])
        elif task[i] == TASK_T2I:
            tokens[i] = pick(text.prompts[c])
        else:
            tokens[i] = pick(text.captions[c])
    return task, tokens, qlen


def train_vae(model, imgs, imgs_up, args, state_path):
    vae = model.vae
    opt = torch.optim.Adam(vae.parameters(), lr=args.vae_lr)
    step0 = 0
    if args.init_vae and not os.path.exists(state_path):
        flat, _ = st.load(os.path.join(args.init_vae, "model.safetensors"))
        vae.load_state_dict({k[4:]: v for k, v in flat.items() if k.startswith("vae.")})
        log(f"VAE initialised from {args.init_vae}")
    if os.path.exists(state_path):
        s = torch.load(state_path)
        vae.load_state_dict(s["vae"]), opt.load_state_dict(s["opt"])
        step0 = s["step"]
    g = torch.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed + step0)
    t0 = time.time()
    for step in range(step0, args.vae_steps):
        lr = args.vae_lr * 0.5 * (1 + math.cos(math.pi * step / args.vae_steps))
        for pg in opt.param_groups:
            pg["lr"] = lr
        idx = rng.integers(0, len(imgs), args.vae_batch)
        x = torch.from_numpy(imgs[idx])[:, None]
        if imgs_up is not None:  # half the batch as the CLI gives 28x28 images
            up = torch.from_numpy(rng.random(args.vae_batch) < 0.5)[:, None, None, None]
            x = torch.where(up, torch.from_numpy(imgs_up[idx])[:, None], x)
        mu, logvar = vae.encode(x)
        logvar = logvar.clamp(-20, 10)
        z = mu + torch.randn(mu.shape, generator=g) * torch.exp(0.5 * logvar)
        rec = vae.decode_raw(z)
        l_rec = F.l1_loss(rec, x) + F.mse_loss(rec, x)
        kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).mean()
        loss = l_rec + args.kl_beta * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == args.vae_steps - 1:
            log(f"vae step {step}/{args.vae_steps} rec {l_rec.item():.4f} kl {kl.item():.3f} "
                f"({time.time() - t0:.0f}s)")
        if (step + 1) % 500 == 0 or step == args.vae_steps - 1:
            torch.save({"vae": vae.state_dict(), "opt": opt.state_dict(), "step": step + 1}, state_path)


@torch.no_grad()
def encode_all(vae, imgs, bs=50):  # small batches: several times faster on CPU than 1000
    out = []
    for i in range(0, len(imgs), bs):
        mu, _ = vae.encode(torch.from_numpy(imgs[i:i + bs])[:, None])
        out.append(mu)
    return torch.cat(out)


def train_denoiser(model, lat, lat_up, labels, text, args, state_path):
    cfg = model.cfg
    den = model.den
    ema = copy.deepcopy(den)
    opt = torch.optim.AdamW(den.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.99))
    step0 = 0
    s = {}
    if os.path.exists(state_path):
        s = torch.load(state_path)
        den.load_state_dict(s["den"]), ema.load_state_dict(s["ema"]), opt.load_state_dict(s["opt"])
        step0 = s["step"]
    rng = np.random.default_rng(args.seed * 7919 + step0)
    g = torch.Generator().manual_seed(args.seed * 31 + step0)
    scan = {"ext": selective_scan_ext, "fused": selective_scan_fused, "seq": selective_scan_seq}[args.scan]
    Lt, mask_id = cfg.text_len, cfg.mask_id
    t0 = time.time()
    spent0 = s["spent"] if step0 and "spent" in s else 0.0  # wall seconds of earlier runs
    budget = args.budget_min * 60 if args.budget_min else float("inf")
    t2i_p = None
    if args.t2i_weights:  # "2,4,6:3": those classes drawn 3x as often for text-to-image
        classes, w = args.t2i_weights.split(":")
        cw = np.ones(10)
        cw[[int(c) for c in classes.split(",")]] = float(w)
        t2i_p = cw[labels] / cw[labels].sum()
    for step in range(step0, args.steps):
        # progress: the larger of steps done and wall budget spent, so that a slow machine
        # still ends the cosine schedule (and the run) on time
        spent = spent0 + time.time() - t0
        prog = max(step / args.steps, spent / budget)
        if prog >= 1.0:
            log(f"wall budget of {args.budget_min} min reached at step {step}")
            break
        warm = min(1.0, (step + 1) / 300)
        lr = args.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * prog)))
        for pg in opt.param_groups:
            pg["lr"] = lr
        idx = rng.integers(0, len(lat), args.batch)
        if t2i_p is None:
            task, tokens, qlen = make_batch(rng, labels[idx], text, Lt, mask_id)
        else:  # text-to-image rows come from the class-weighted draw
            task = draw_tasks(rng, args.batch)
            idx = np.where(task == TASK_T2I, rng.choice(len(lat), args.batch, p=t2i_p), idx)
            task, tokens, qlen = make_batch(rng, labels[idx], text, Lt, mask_id, task)
        task_t = torch.from_numpy(task)
        # captions and VQA see the image as the CLI prepares a 28x28 file half the time
        up = torch.from_numpy(rng.random(args.batch) < 0.5) & ((task_t == TASK_CAPTION) | (task_t == TASK_VQA))
        x0 = torch.where(up[:, None, None, None], lat_up[idx], lat[idx])
        tokens = torch.from_numpy(tokens)
        qlen = torch.from_numpy(qlen)
        B = args.batch
        has_img = (task_t == TASK_T2I) | (task_t == TASK_JOINT)
        has_txt = ~(task_t == TASK_T2I)
        # image time: logit-normal for the noisy-image tasks, 0 (clean) for caption and VQA
        t_img = torch.sigmoid(torch.randn(B, generator=g))
        t_img = torch.where(has_img, t_img, torch.zeros(B))
        t_txt = torch.rand(B, generator=g) * (1 - 1e-3) + 1e-3
        t_txt = torch.where(has_txt, t_txt, torch.zeros(B))
        eps = torch.randn(x0.shape, generator=g)
        xt, v_target = flow_noise(x0, t_img, eps)
        pos = torch.arange(Lt)[None]
        maskable = (pos >= qlen[:, None]) & has_txt[:, None]
        noisy_tok, masked = mask_tokens(tokens, t_txt, maskable, mask_id, g)
        # 10% of text-to-image samples: unconditional (text all MASK at time 1)
        drop = (task_t == TASK_T2I) & (torch.rand(B, generator=g) < 0.1)
        noisy_tok = torch.where(drop[:, None], torch.full_like(noisy_tok, mask_id), noisy_tok)
        t_txt = torch.where(drop, torch.ones(B), t_txt)
        v, s = den(xt, noisy_tok, t_img, t_txt, task_t, scan)
        l_img = (flow_loss(v, v_target) * has_img).sum() / B
        l_txt = (score_entropy(s, tokens, masked, torch.clamp(t_txt, min=1e-3)) / Lt * has_txt).sum() / B
        loss = l_img + args.text_weight * l_txt
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(den.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            d = min(args.ema, (1 + step) / (10 + step))
            for pe, p in zip(ema.parameters(), den.parameters()):
                pe.mul_(d).add_(p, alpha=1 - d)
        if step % 50 == 0 or step == args.steps - 1:
            el = time.time() - t0
            done = step + 1 - step0
            eta = min(el / done * (args.steps - step - 1), budget - spent0 - el)
            log(f"step {step}/{args.steps} loss {loss.item():.4f} img {l_img.item():.4f} "
                f"txt {l_txt.item():.4f} lr {lr:.2e} ({el:.0f}s, eta {eta / 60:.1f} min)")
        if (step + 1) % 250 == 0 or step == args.steps - 1:
            torch.save({"den": den.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                        "step": step + 1, "spent": spent0 + time.time() - t0}, state_path)
    return ema


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default="runs/demo", help="state directory (resumable)")
    ap.add_argument("--out", default="models/mdm-fmnist", help="checkpoint directory to write")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--vae-steps", type=int, default=1200)
    ap.add_argument("--vae-batch", type=int, default=64)
    ap.add_argument("--kl-beta", type=float, default=1e-3)
    ap.add_argument("--vae-lr", type=float, default=2e-3)
    ap.add_argument("--init-vae", default=None,
                    help="checkpoint folder whose VAE weights start the VAE phase (fine-tuning)")
    ap.add_argument("--limit-images", type=int, default=0, help="train on the first N images (smoke tests)")
    ap.add_argument("--t2i-weights", default=None,
                    help="C,C,...:W draws those classes W times as often for text-to-image "
                         "(look-alike classes need more samples to be drawn apart)")
    ap.add_argument("--text-weight", type=float, default=1.0, help="weight of the score-entropy loss")
    ap.add_argument("--budget-min", type=float, default=None,
                    help="wall-clock budget of the denoiser phase: the cosine schedule runs on "
                         "max(step/steps, time/budget) and training stops at the budget")
    ap.add_argument("--steps", type=int, default=2800)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--d-model", type=int, default=96)
    ap.add_argument("--n-layer", type=int, default=8)
    ap.add_argument("--d-state", type=int, default=8)
    ap.add_argument("--scan", choices=["ext", "fused", "seq"], default="ext",
                    help="training scan: C++ extension (default), Python fused, or sequential")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.run, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()

    # 1. tokenizer
    tk.train(data.all_text(), os.path.join(args.out, "tokenizer"), 128)
    tok = tk.Tokenizer(os.path.join(args.out, "tokenizer.model"))
    tok.export_vocab_tsv(os.path.join(args.out, "vocab.tsv"))
    os.remove(os.path.join(args.out, "tokenizer.vocab"))
    cfg = preset("tiny", vocab_size=tok.vocab_size)
    cfg.d_model, cfg.n_layer, cfg.d_state = args.d_model, args.n_layer, args.d_state
    cfg.dt_rank = math.ceil(cfg.d_model / 16)
    log(f"tokenizer: {tok.vocab_size} pieces")
    model = MDM(cfg)

    imgs_u8, labels = data.load_split("train")
    if args.limit_images:  # smoke tests
        imgs_u8, labels = imgs_u8[:args.limit_images], labels[:args.limit_images]
    imgs = data.to_float(imgs_u8)

    # 2. VAE
    imgs_up = data.to_float(data.as_the_cli_gives(imgs_u8))
    train_vae(model, imgs, imgs_up, args, os.path.join(args.run, "vae.pt"))
    model.vae.eval()
    for p in model.vae.parameters():
        p.requires_grad_(False)
    lat = encode_all(model.vae, imgs)
    cfg.vae.scaling_factor = float(1.0 / lat.std())
    lat = lat * cfg.vae.scaling_factor
    lat_up = encode_all(model.vae, imgs_up) * cfg.vae.scaling_factor
    log(f"VAE done, scaling_factor {cfg.vae.scaling_factor:.4f} ({time.time() - t_start:.0f}s)")

    # 3. denoiser
    text = TextBank(tok, cfg.text_len)
    ema = train_denoiser(model, lat, lat_up, labels, text, args, os.path.join(args.run, "den.pt"))
    model.den.load_state_dict(ema.state_dict())

    with open(os.path.join(args.out, "config.json"), "w") as f:
        f.write(cfg.to_json() + "\n")
    st.save(os.path.join(args.out, "model.safetensors"), model.state_dict_flat(),
            {"format": "pt", "seed": args.seed, "steps": args.steps})
    wall = time.time() - t_start
    with open(os.path.join(args.run, "train_time.json"), "w") as f:
        json.dump({"wall_s_this_invocation": wall, "args": vars(args)}, f, indent=1)
    log(f"done in {wall / 60:.1f} min -> {args.out}")


if __name__ == "__main__":
    main()
