"""The image VAE: encoder and decoder built from the block list of docs/MODEL.md."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.silu(self.conv1(F.silu(x))))


class Up(nn.Conv2d):
    def forward(self, x):
        return super().forward(F.interpolate(x, scale_factor=2, mode="nearest"))


class SiLU(nn.Module):
    def forward(self, x):
        return F.silu(x)


def build_block(spec: str, gn_eps: float) -> nn.Module:
    kind, *args = spec.split(":")
    a = [int(v) for v in args]
    if kind == "conv":
        return nn.Conv2d(a[0], a[1], 3, padding=1)
    if kind == "down":
        return nn.Conv2d(a[0], a[1], 3, stride=2, padding=1)
    if kind == "up":
        return Up(a[0], a[1], 3, padding=1)
    if kind == "res":
        return ResBlock(a[0])
    if kind == "gn":
        return nn.GroupNorm(a[1], a[0], eps=gn_eps)
    if kind == "silu":
        return SiLU()
    raise ValueError(f"unknown VAE block {spec!r}")


class VAE(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        v = cfg.vae
        self.encoder = nn.Sequential(*[build_block(s, v.gn_eps) for s in v.encoder])
        self.decoder = nn.Sequential(*[build_block(s, v.gn_eps) for s in v.decoder])

    def encode(self, img):
        """img [B,C,H,W] in [-1,1] -> (mu, logvar), each [B,c,H/f,W/f]."""
        h = self.encoder(img)
        c = self.cfg.latent_channels
        return h[:, :c], h[:, c:]

    def decode(self, z):
        """z [B,c,h,w] (already divided by the scaling factor) -> pixels in [-1,1] (clamped)."""
        return self.decoder(z).clamp(-1, 1)

    def decode_raw(self, z):
        return self.decoder(z)
