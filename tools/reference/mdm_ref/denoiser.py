"""The MDM denoiser: embeddings, the joint sequence, the Mamba stack and both heads (spec §2-3)."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

from .mamba import Block, RMSNorm, selective_scan_seq

TASK_T2I, TASK_CAPTION, TASK_VQA, TASK_JOINT = 0, 1, 2, 3
SEDD_EPS = 1e-3


def sigma_bar(t):
    """Log-linear schedule: sigma_bar(t) = -log(1 - (1-eps) t)."""
    return -torch.log1p(-(1 - SEDD_EPS) * t)


def dsigma_bar(t):
    return (1 - SEDD_EPS) / (1 - (1 - SEDD_EPS) * t)


def timestep_features(t):
    """Sinusoidal features of 1000*t: 256 dims, cos first then sin, freqs exp(-ln(1e4) k/128)."""
    k = torch.arange(128, dtype=torch.float32, device=t.device)
    freqs = torch.exp(-math.log(10000.0) * k / 128)
    arg = 1000.0 * t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(arg), torch.sin(arg)], -1)


class TimeMLP(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1 = nn.Linear(256, d)
        self.fc2 = nn.Linear(d, d)

    def forward(self, t):
        return self.fc2(F.silu(self.fc1(timestep_features(t))))


class Embed(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.d_model
        self.image = nn.Linear(cfg.patch_dim, d)
        self.image_pos = nn.Parameter(torch.randn(cfg.n_image, d) * 0.02)
        self.text = nn.Parameter(torch.randn(cfg.vocab_size + 1, d) * 0.02)
        self.text_pos = nn.Parameter(torch.randn(cfg.text_len, d) * 0.02)
        self.task = nn.Parameter(torch.randn(4, d) * 0.02)
        self.time_image = TimeMLP(d)
        self.time_text = TimeMLP(d)


class Heads(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.image = nn.Linear(cfg.d_model, cfg.patch_dim)
        self.text = nn.Linear(cfg.d_model, cfg.vocab_size + 1)
        nn.init.zeros_(self.image.weight)
        nn.init.zeros_(self.image.bias)


class Backbone(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layers = nn.ModuleList([Block(cfg, i) for i in range(cfg.n_layer)])
        self.norm_f = RMSNorm(cfg.d_model, cfg.norm_eps)


def patchify(lat, p):
    """[B,c,h,w] -> [B, (h/p)(w/p), c*p*p]: patches row-major, each in (channel,row,col) order."""
    B, c, h, w = lat.shape
    x = lat.reshape(B, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(B, (h // p) * (w // p), c * p * p)


def unpatchify(x, c, p, g):
    B = x.shape[0]
    x = x.reshape(B, g, g, c, p, p).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(B, c, g * p, g * p)


def sedd_log_score(raw, tokens, t_text, vocab_size):
    """SEDD absorbing parameterisation of spec §3: raw - log(expm1(sigma_bar)) - log(V), and 0 at
    the current token. sigma_bar uses max(t_text, 1e-5) so clean text stays finite."""
    sb = sigma_bar(torch.clamp(t_text, min=1e-5))
    esm1 = torch.where(sb < 0.5, torch.expm1(sb), torch.exp(sb) - 1)
    s = raw - torch.log(esm1)[:, None, None] - math.log(vocab_size)
    return torch.scatter(s, -1, tokens[..., None], torch.zeros_like(s[..., :1]))


class Denoiser(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = Embed(cfg)
        self.backbone = Backbone(cfg)
        self.head = Heads(cfg)

    def forward(self, latents, tokens, t_image, t_text, task, scan=selective_scan_seq):
        """latents [B,c,h,w] (scaled), tokens [B,Lt] (MASK = V), t_* [B] in [0,1], task [B].

        Returns (velocity [B,c,h,w], log-scores [B,Lt,V+1]).
        """
        cfg, e = self.cfg, self.embed
        img = e.image(patchify(latents, cfg.patch_size)) + e.image_pos
        txt = e.text[tokens] + e.text_pos
        prefix = torch.stack([e.time_image(t_image), e.time_text(t_text), e.task[task]], 1)
        x = torch.cat([prefix, txt, img], 1)
        for layer in self.backbone.layers:
            x = layer(x, scan)
        x = self.backbone.norm_f(x)
        Lt = cfg.text_len
        v = unpatchify(self.head.image(x[:, 3 + Lt:]), cfg.latent_channels, cfg.patch_size, cfg.grid)
        s = sedd_log_score(self.head.text(x[:, 3:3 + Lt]), tokens, t_text, cfg.vocab_size)
        return v, s


class MDM(nn.Module):
    """The whole model: VAE (trained first, then frozen) + denoiser."""

    def __init__(self, cfg):
        super().__init__()
        from .vae import VAE
        self.cfg = cfg
        self.vae = VAE(cfg)
        self.den = Denoiser(cfg)

    def state_dict_flat(self):
        """Tensor names exactly as spec §7 / docs/MODEL.md."""
        out = {}
        for k, v in self.den.state_dict().items():
            out[k] = v
        for k, v in self.vae.state_dict().items():
            out["vae." + k] = v
        return {k: v.detach().float().contiguous() for k, v in out.items()}

    def load_flat(self, sd):
        den = {k: v for k, v in sd.items() if not k.startswith("vae.")}
        vae = {k[4:]: v for k, v in sd.items() if k.startswith("vae.")}
        self.den.load_state_dict(den, strict=True)
        self.vae.load_state_dict(vae, strict=True)
