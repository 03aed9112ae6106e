#!/usr/bin/env python3
"""The independent judge: a small CNN classifier of Fashion-MNIST, trained on the train split and
used only for evaluation (class accuracy of generated images, features for Frechet distance).

  /usr/bin/python3 tools/reference/judge.py --out runs/judge.pt
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mdm_ref import data  # noqa: E402


class Judge(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.c3 = nn.Conv2d(64, 128, 3, padding=1)
        self.fc = nn.Linear(128 * 4 * 4, 128)
        self.out = nn.Linear(128, 10)
        self.drop = nn.Dropout(0.3)

    def features(self, x):
        """x [B,1,32,32] in [-1,1] -> 128 penultimate features."""
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        return F.relu(self.fc(x.flatten(1)))

    def forward(self, x):
        return self.out(self.drop(self.features(x)))


@torch.no_grad()
def predict(judge, imgs, bs=1000):
    """imgs float [n,1,32,32] -> (labels, features)."""
    judge.eval()
    labels, feats = [], []
    for i in range(0, len(imgs), bs):
        f = judge.features(imgs[i:i + bs])
        feats.append(f)
        labels.append(judge.out(f).argmax(1))
    return torch.cat(labels), torch.cat(feats)


def load(path):
    j = Judge()
    j.load_state_dict(torch.load(path))
    j.eval()
    return j


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/judge.pt")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    x, y = data.load_split("train")
    x = torch.from_numpy(data.to_float(x))[:, None]
    y = torch.from_numpy(y)
    j = Judge()
    opt = torch.optim.Adam(j.parameters(), lr=1e-3)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    for ep in range(args.epochs):
        j.train()
        perm = rng.permutation(len(x))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            xb = x[idx]
            if rng.random() < 0.5:
                xb = xb.flip(3)  # horizontal flips keep every class
            loss = F.cross_entropy(j(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        for g in opt.param_groups:
            g["lr"] *= 0.7
        print(f"judge epoch {ep + 1}/{args.epochs} loss {loss.item():.3f} ({time.time() - t0:.0f}s)", flush=True)
    xt, yt = data.load_split("test")
    pred, _ = predict(j, torch.from_numpy(data.to_float(xt))[:, None])
    acc = (pred == torch.from_numpy(yt)).float().mean().item()
    print(f"judge test accuracy {acc:.4f}")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    torch.save(j.state_dict(), args.out)


if __name__ == "__main__":
    main()
