"""Samplers (spec §4) and the four tasks. Samplers reach the network only through a callback,
so each step is tested on its own.

Randomness (spec §6): sample k of a request uses seed+k. Image noise comes from
PCG32(seed, STREAM_IMAGE_NOISE): c*h*w normals in (channel,row,col) order. Text sampling uses
PCG32(seed, STREAM_TEXT): each text step draws Lt*(V+1) Gumbels, position-major, for every
position (frozen or not), so the stream does not depend on which positions are masked.
"""
import math
import torch

from .denoiser import sigma_bar, TASK_T2I, TASK_CAPTION, TASK_VQA, TASK_JOINT
from .pcg32 import PCG32, STREAM_IMAGE_NOISE, STREAM_TEXT  # noqa: F401

T_MIN = 1e-5


# ---- grids -------------------------------------------------------------------------------------
def image_grid(steps, shift=1.0):
    """t_i = 1 - i/steps, optionally shifted t' = s t / (1 + (s-1) t); t_steps = 0."""
    ts = []
    for i in range(steps + 1):
        t = 1.0 - i / steps
        ts.append(shift * t / (1.0 + (shift - 1.0) * t))
    return ts


def text_grid(steps):
    """Uniform from 1 down to T_MIN."""
    return [1.0 - (1.0 - T_MIN) * i / steps for i in range(steps + 1)]


# ---- image (continuous) ------------------------------------------------------------------------
def guide(v_cond, v_uncond, g):
    return v_uncond + g * (v_cond - v_uncond)


def euler_step(x, v, t_cur, t_next):
    return x - (t_cur - t_next) * v


def heun_step(x, v1, t_cur, t_next, velocity_fn):
    """Euler predictor, then the average of both velocities; the last step (t_next=0) is Euler."""
    x_e = x - (t_cur - t_next) * v1
    if t_next <= 0.0:
        return x_e
    v2 = velocity_fn(x_e, t_next)
    return x - (t_cur - t_next) * 0.5 * (v1 + v2)


def initial_noise(seed, shape):
    rng = PCG32(seed, STREAM_IMAGE_NOISE)
    n = 1
    for s in shape:
        n *= s
    return torch.tensor(rng.normals(n), dtype=torch.float32).reshape(shape)


# ---- text (discrete, SEDD absorbing) -----------------------------------------------------------
def text_jump_probs(log_score, dsigma, mask_id, analytic):
    """Unnormalised probabilities of the next state of a masked position [.., V+1].

    Euler: p_y = dsigma e^{s_y}; analytic (Tweedie tau-leaping): p_y = (e^{dsigma}-1) e^{s_y};
    stay masked: p_MASK = max(0, 1 - sum_y p_y). Normalising is not needed for Gumbel-max."""
    rate = math.expm1(dsigma) if analytic else dsigma
    p = rate * torch.exp(log_score[..., :mask_id])
    stay = torch.clamp(1.0 - p.sum(-1, keepdim=True), min=0.0)
    return torch.cat([p, stay], -1)


def text_step(tokens, log_score, dsigma, gumbel, frozen, mask_id, analytic=True):
    """One step: tokens [..,Lt], log_score and gumbel [..,Lt,V+1], frozen [..,Lt]."""
    p = text_jump_probs(log_score, dsigma, mask_id, analytic)
    choice = torch.argmax(torch.log(p) + gumbel, -1)
    move = (tokens == mask_id) & ~frozen
    return torch.where(move, choice, tokens)


def confident_keep(n_maskable, t_next):
    """How many positions stay masked after a confident step to t_next: the share the
    absorbing schedule leaves masked, floor(M t_next + 1/2), computed in double."""
    return int(math.floor(n_maskable * t_next + 0.5))


def text_confident_step(tokens, log_score, frozen, mask_id, n_maskable, t_next):
    """Confidence-first step (deterministic; the CLI's default for captions and answers):
    of the masked, non-frozen positions, unmask all but confident_keep(M, t_next), those whose
    most likely piece is most probable first (probability over the non-MASK pieces; ties:
    the lower position), each to that piece. tokens [Lt], log_score [Lt,V+1], frozen [Lt].

    Why: the spec's samplers unmask positions independently in random order, so a short
    template's EOS can land where a long template puts the class word ("a black and white
    photo of a" + EOS); committing the surest positions first conditions every later choice."""
    s = log_score[..., :mask_id].double()
    best = torch.argmax(log_score[..., :mask_id], -1)
    conf = (s.max(-1).values - torch.logsumexp(s, -1)).float().tolist()  # as the runtime: float
    masked = [i for i in range(tokens.shape[-1]) if int(tokens[i]) == mask_id and not bool(frozen[i])]
    n = len(masked) - confident_keep(n_maskable, t_next)
    out = tokens.clone()
    for i in sorted(masked, key=lambda i: (-conf[i], i))[:max(n, 0)]:
        out[i] = best[i]
    return out


def text_final(tokens, log_score, frozen, mask_id):
    """At t_min every remaining MASK becomes its most likely non-MASK piece (deterministic)."""
    best = torch.argmax(log_score[..., :mask_id], -1)
    move = (tokens == mask_id) & ~frozen
    return torch.where(move, best, tokens)


def draw_gumbel(rng, text_len, n_classes):
    return torch.tensor(rng.gumbels(text_len * n_classes), dtype=torch.float32).reshape(text_len, n_classes)


# ---- tasks -------------------------------------------------------------------------------------
def _dsigma(t_cur, t_next):
    """sigma_bar(t_cur) - sigma_bar(t_next) in double precision."""
    return float(sigma_bar(torch.tensor(t_cur, dtype=torch.float64))
                 - sigma_bar(torch.tensor(t_next, dtype=torch.float64)))


class Sampler:
    """Runs the four tasks on a Denoiser for a batch of independent samples. Sample k behaves
    exactly as a batch of one with seed seeds[k] (its own streams), so evaluation can batch."""

    def __init__(self, den, scan=None):
        """scan: the selective-scan function (default: the sequential reference); evaluation
        passes the fused one, which computes the same recurrence in fewer, larger ops."""
        from .mamba import selective_scan_seq
        self.den = den
        self.cfg = den.cfg
        self.scan = scan or selective_scan_seq

    @torch.no_grad()
    def forward(self, lat, tokens, t_img, t_txt, task):
        B = lat.shape[0]
        f = lambda v: torch.full((B,), float(v))
        return self.den(lat, tokens, f(t_img), f(t_txt), torch.full((B,), task, dtype=torch.long), self.scan)

    @torch.no_grad()
    def image_velocity(self, lat, tokens, t, task, guidance):
        """Velocity at latents lat [B,c,h,w] with clean text tokens [B,Lt], optional CFG: the
        unconditional branch has text all MASK at time 1 and the same task token."""
        if guidance is None or guidance == 1.0:
            return self.forward(lat, tokens, t, 0.0, task)[0]
        B = lat.shape[0]
        unc = torch.full_like(tokens, self.cfg.mask_id)
        ti = torch.full((2 * B,), float(t))
        tt = torch.cat([torch.zeros(B), torch.ones(B)])
        tk = torch.full((2 * B,), task, dtype=torch.long)
        v, _ = self.den(torch.cat([lat, lat]), torch.cat([tokens, unc]), ti, tt, tk, self.scan)
        return guide(v[:B], v[B:], guidance)

    def noise(self, seeds):
        c, h = self.cfg.latent_channels, self.cfg.latent_size
        return torch.cat([initial_noise(int(s), (1, c, h, h)) for s in seeds])

    def text_to_image(self, tokens, seeds, steps=20, sampler="euler", guidance=1.0, shift=1.0):
        """tokens [B,Lt] -> latents [B,c,h,w] (scaled; decode with the VAE)."""
        x = self.noise(seeds)
        ts = image_grid(steps, shift)
        vel = lambda xx, t: self.image_velocity(xx, tokens, t, TASK_T2I, guidance)
        for i in range(steps):
            v = vel(x, ts[i])
            x = heun_step(x, v, ts[i], ts[i + 1], vel) if sampler == "heun" else euler_step(x, v, ts[i], ts[i + 1])
        return x

    def text_from_mask(self, lat, tokens, frozen, task, seeds, steps, analytic=True, mode=None):
        """Generate the non-frozen positions of tokens [B,Lt] from MASK, latents clean.
        mode: "analytic" | "euler" | "confident" (default: analytic or euler by `analytic`)."""
        from .pcg32 import PCG32Batch
        cfg = self.cfg
        mode = mode or ("analytic" if analytic else "euler")
        V1, Lt = cfg.vocab_size + 1, cfg.text_len
        rng = PCG32Batch([int(s) for s in seeds], STREAM_TEXT)
        x = torch.where(frozen, tokens, torch.full_like(tokens, cfg.mask_id))
        n_maskable = (~frozen).sum(-1).tolist()
        ts = text_grid(steps)
        for i in range(steps):
            _, s = self.forward(lat, x, 0.0, ts[i], task)
            if mode == "confident":
                x = torch.stack([text_confident_step(x[k], s[k], frozen[k], cfg.mask_id, n_maskable[k], ts[i + 1])
                                 for k in range(x.shape[0])])
                continue
            g = torch.from_numpy(rng.gumbels(Lt * V1)).reshape(-1, Lt, V1)
            x = text_step(x, s, _dsigma(ts[i], ts[i + 1]), g, frozen, cfg.mask_id, mode == "analytic")
        _, s = self.forward(lat, x, 0.0, ts[-1], task)
        return text_final(x, s, frozen, cfg.mask_id)

    def caption(self, lat, seeds, steps=16, analytic=True, mode=None):
        B, Lt = lat.shape[0], self.cfg.text_len
        zeros = torch.zeros(B, Lt, dtype=torch.long)
        return self.text_from_mask(lat, zeros, zeros.bool(), TASK_CAPTION, seeds, steps, analytic, mode)

    def vqa(self, lat, question_ids, seeds, steps=16, analytic=True, mode=None):
        """question_ids: a list of B id lists; the answer fills the positions after each."""
        B, Lt = lat.shape[0], self.cfg.text_len
        q = torch.zeros(B, Lt, dtype=torch.long)
        frozen = torch.zeros(B, Lt, dtype=torch.bool)
        for k, ids in enumerate(question_ids):
            q[k, :len(ids)] = torch.tensor(ids)
            frozen[k, :len(ids)] = True
        return self.text_from_mask(lat, q, frozen, TASK_VQA, seeds, steps, analytic, mode)

    def joint(self, seeds, steps=20, analytic=True, mode=None):
        """Image and text both from noise, one model call per step, then the final text step."""
        from .pcg32 import PCG32Batch
        cfg = self.cfg
        Lt, V1 = cfg.text_len, cfg.vocab_size + 1
        x = self.noise(seeds)
        B = x.shape[0]
        rng = PCG32Batch([int(s) for s in seeds], STREAM_TEXT)
        frozen = torch.zeros(B, Lt, dtype=torch.bool)
        tok = torch.full((B, Lt), cfg.mask_id, dtype=torch.long)
        ti, tt = image_grid(steps), text_grid(steps)
        mode = mode or ("analytic" if analytic else "euler")
        for i in range(steps):
            v, s = self.forward(x, tok, ti[i], tt[i], TASK_JOINT)
            x = euler_step(x, v, ti[i], ti[i + 1])
            if mode == "confident":
                tok = torch.stack([text_confident_step(tok[k], s[k], frozen[k], cfg.mask_id, Lt, tt[i + 1])
                                   for k in range(B)])
                continue
            g = torch.from_numpy(rng.gumbels(Lt * V1)).reshape(B, Lt, V1)
            tok = text_step(tok, s, _dsigma(tt[i], tt[i + 1]), g, frozen, cfg.mask_id, mode == "analytic")
        _, s = self.forward(x, tok, 0.0, tt[-1], TASK_JOINT)
        return x, text_final(tok, s, frozen, cfg.mask_id)
