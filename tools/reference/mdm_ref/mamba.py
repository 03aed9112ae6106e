"""Mamba-1 (S6) block with scan switching (spec §3)."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return rms_norm(x, self.weight, self.eps)


def softplus(v):
    """softplus(v) = v for v > 20, as the spec (and torch's threshold) says."""
    return F.softplus(v, beta=1.0, threshold=20.0)


def selective_scan_seq(x, delta, A, B, C, D):
    """Sequential reference scan.

    x, delta: [b, L, di]; A: [di, N]; B, C: [b, L, N]; D: [di] -> y [b, L, di].
    h_t = exp(delta_t A) h_{t-1} + delta_t B_t x_t;  y_t = C_t . h_t + D x_t
    """
    b, L, di = x.shape
    h = x.new_zeros(b, di, A.shape[1])
    ys = []
    for t in range(L):
        dA = torch.exp(delta[:, t, :, None] * A)
        dBx = delta[:, t, :, None] * B[:, t, None, :] * x[:, t, :, None]
        h = dA * h + dBx
        ys.append((h * C[:, t, None, :]).sum(-1))
    return torch.stack(ys, 1) + x * D


class _FusedScan(torch.autograd.Function):
    """The sequential scan with a hand-written backward, for training.

    Autograd over the per-step loop records ~6 small ops per step and is memory-bound; here the
    per-step work is one fused multiply-add forward and one backward, everything else is done
    on whole [b,L,di,N] tensors. (A chunked cumulative-sum form was slower on CPU: its pairwise
    decay tensor is chunk-times larger.) Tested against selective_scan_seq, values and gradients.
    """

    @staticmethod
    def forward(ctx, x, delta, A, B, C, D):
        b, L, di = x.shape
        N = A.shape[1]
        dA = torch.exp(delta[..., None] * A)                 # [b,L,di,N]
        u = (delta * x)[..., None] * B[:, :, None, :]
        H = torch.empty_like(u)
        h = torch.zeros_like(u[:, 0])
        for t in range(L):
            h = torch.addcmul(u[:, t], dA[:, t], h)
            H[:, t] = h
        y = torch.matmul(H, C[..., None]).squeeze(-1) + x * D
        ctx.save_for_backward(x, delta, A, B, C, D, dA, H)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, delta, A, B, C, D, dA, H = ctx.saved_tensors
        b, L, di = x.shape
        dC = torch.matmul(dy[:, :, None, :], H).squeeze(2)          # [b,L,N]
        dHd = dy[..., None] * C[:, :, None, :]                          # [b,L,di,N]
        G = torch.empty_like(H)
        g = torch.zeros_like(H[:, 0])
        for t in range(L - 1, -1, -1):
            g = dHd[:, t] + (dA[:, t + 1] * g if t + 1 < L else 0)
            G[:, t] = g
        Hprev = torch.cat([torch.zeros_like(H[:, :1]), H[:, :-1]], 1)
        ddA = G * Hprev * dA                     # d/d(delta*A)
        ddelta = (ddA * A).sum(-1)
        dAm = (ddA * delta[..., None]).sum((0, 1))
        GB = torch.matmul(G, B[..., None]).squeeze(-1)                 # [b,L,di] = sum_n G B
        ddelta = ddelta + GB * x
        dx = GB * delta + dy * D
        dB = torch.matmul((delta * x)[:, :, None, :], G).squeeze(2)    # [b,L,N]
        dD = (dy * x).sum((0, 1))
        return dx, ddelta, dAm, dB, dC, dD

def selective_scan_fused(x, delta, A, B, C, D):
    """Same semantics as selective_scan_seq; fast backward for training."""
    return _FusedScan.apply(x, delta, A, B, C, D)


_EXT = None


def _extension():
    """The C++ scan (csrc/selective_scan.cpp), built once per machine by torch's JIT loader
    (needs libtorch-dev and ninja-build); None when it cannot be built."""
    global _EXT
    if _EXT is None:
        import os
        from torch.utils import cpp_extension
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "csrc", "selective_scan.cpp")
        try:
            _EXT = cpp_extension.load(name="mdm_selective_scan", sources=[src],
                                      extra_cflags=["-O3", "-march=native", "-ffast-math"], verbose=False)
        except Exception as e:  # noqa: BLE001 - any build failure means: use the Python scan
            print(f"mdm_ref: C++ scan unavailable ({type(e).__name__}: {e}); using the Python one")
            _EXT = False
    return _EXT or None


class _ExtScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, delta, A, B, C, D):
        x, delta, A, B, C, D = (t.contiguous() for t in (x, delta, A, B, C, D))
        y, H, E = _extension().forward(x, delta, A, B, C, D)
        ctx.save_for_backward(x, delta, A, B, C, D, H, E)
        return y

    @staticmethod
    def backward(ctx, dy):
        return tuple(_extension().backward(dy.contiguous(), *ctx.saved_tensors))


def selective_scan_ext(x, delta, A, B, C, D):
    """Same semantics as selective_scan_seq, forward and backward in C++ (training);
    falls back to selective_scan_fused when the extension cannot be built."""
    if _extension() is None:
        return selective_scan_fused(x, delta, A, B, C, D)
    return _ExtScan.apply(x, delta, A, B, C, D)


def causal_conv1d(x, weight, bias):
    """Depthwise causal conv over time, x [b, L, di], weight [di, 1, K]: the sum of K shifted
    copies (zero history before t=0). The same arithmetic as conv1d with K-1 left padding, and
    on CPU several times faster than its depthwise kernel for these short sequences."""
    K = weight.shape[-1]
    L = x.shape[1]
    xp = F.pad(x, (0, 0, K - 1, 0))
    out = bias
    for k in range(K):
        out = out + xp[:, k:k + L] * weight[:, 0, k]
    return out


class Mixer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, di, N, K, R = cfg.d_model, cfg.d_inner, cfg.d_state, cfg.d_conv, cfg.dt_rank
        self.di, self.N, self.R, self.K = di, N, R, K
        self.in_proj = nn.Linear(d, 2 * di, bias=False)
        self.conv1d = nn.Conv1d(di, di, K, groups=di, padding=K - 1, bias=True)
        self.x_proj = nn.Linear(di, R + 2 * N, bias=False)
        self.dt_proj = nn.Linear(R, di, bias=True)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, N + 1, dtype=torch.float32)).repeat(di, 1))
        self.D = nn.Parameter(torch.ones(di))
        self.out_proj = nn.Linear(di, d, bias=False)
        # Mamba's init: dt in [1e-3, 1e-1] log-uniformly, dt_proj.bias = softplus^-1(dt).
        with torch.no_grad():
            std = R ** -0.5
            self.dt_proj.weight.uniform_(-std, std)
            dt = torch.exp(torch.rand(di) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))

    def forward(self, u, scan=selective_scan_seq):
        L = u.shape[1]
        xz = self.in_proj(u)
        x, z = xz[..., :self.di], xz[..., self.di:]
        x = F.silu(causal_conv1d(x, self.conv1d.weight, self.conv1d.bias))
        dbc = self.x_proj(x)
        dlt, B, C = dbc[..., :self.R], dbc[..., self.R:self.R + self.N], dbc[..., self.R + self.N:]
        delta = softplus(self.dt_proj(dlt))
        A = -torch.exp(self.A_log)
        y = scan(x, delta, A, B, C, self.D)
        return self.out_proj(y * F.silu(z))


def scan_permutation(order: int, text_len: int, grid: int):
    """Index list p with permuted[k] = x[p[k]] for scan order 0..3 (spec §3)."""
    prefix = [0, 1, 2]
    text = [3 + i for i in range(text_len)]
    base = 3 + text_len
    row_major = [base + r * grid + c for r in range(grid) for c in range(grid)]
    col_major = [base + r * grid + c for c in range(grid) for r in range(grid)]
    if order == 0:
        return prefix + text + row_major
    if order == 1:
        return prefix + text + col_major
    if order == 2:
        return prefix + row_major[::-1] + text[::-1]
    if order == 3:
        return prefix + col_major[::-1] + text[::-1]
    raise ValueError(order)


class Block(nn.Module):
    def __init__(self, cfg, layer_idx):
        super().__init__()
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mixer = Mixer(cfg)
        perm = torch.tensor(scan_permutation(layer_idx % 4, cfg.text_len, cfg.grid))
        self.register_buffer("perm", perm, persistent=False)
        self.register_buffer("inv", torch.argsort(perm), persistent=False)

    def forward(self, x, scan=selective_scan_seq):
        h = self.norm(x)[:, self.perm]
        return x + self.mixer(h, scan)[:, self.inv]
