"""Training-time noising and losses (spec §4): rectified flow for latents, SEDD score entropy
for text."""
import torch

from .denoiser import sigma_bar, dsigma_bar


def flow_noise(x0, t, eps):
    """x_t = (1-t) x0 + t eps; the velocity target is eps - x0."""
    tt = t[:, None, None, None]
    return (1 - tt) * x0 + tt * eps, eps - x0


def flow_loss(v_pred, v_target):
    return ((v_pred - v_target) ** 2).mean(dim=(1, 2, 3))


def mask_tokens(tokens, t, maskable, mask_id, generator=None):
    """Absorbing process: each maskable position becomes MASK w.p. 1 - exp(-sigma_bar(t))."""
    p = 1 - torch.exp(-sigma_bar(t))
    r = torch.rand(tokens.shape, generator=generator, device=tokens.device)
    m = (r < p[:, None]) & maskable
    return torch.where(m, torch.full_like(tokens, mask_id), tokens), m


def score_entropy(log_score, x0, masked, t):
    """Score entropy on masked positions, weighted by dsigma_bar/dt (spec §4):
    sum_{y != MASK} e^{s_y} - s_{x0} / (e^{sb} - 1) + K(1/(e^{sb}-1)), K(a) = a (log a - 1).
    Returns the per-sample sum over positions."""
    sb = sigma_bar(t)[:, None]
    esm1 = torch.where(sb < 0.5, torch.expm1(sb), torch.exp(sb) - 1)
    ratio = 1.0 / esm1
    pos = log_score[..., :-1].exp().sum(-1)
    neg = ratio * torch.gather(log_score, -1, x0[..., None]).squeeze(-1)
    const = ratio * (torch.log(ratio) - 1)
    per_pos = (pos - neg + const) * masked.float()
    return (per_pos.sum(-1)) * dsigma_bar(t)
