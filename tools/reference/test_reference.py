#!/usr/bin/env python3
"""Tests of the reference itself. Prints PASS/FAIL lines for tests/run.sh.

  /usr/bin/python3 tools/reference/test_reference.py
"""
import math
import os
import sys
import traceback

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mdm_ref import data, samplers as smp  # noqa: E402
from mdm_ref.config import preset  # noqa: E402
from mdm_ref.denoiser import MDM, patchify, unpatchify, sedd_log_score, sigma_bar  # noqa: E402
from mdm_ref.diffusion import flow_noise, score_entropy, mask_tokens  # noqa: E402
from mdm_ref.mamba import scan_permutation, selective_scan_seq, selective_scan_fused  # noqa: E402
from mdm_ref.pcg32 import PCG32  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def small_cfg():
    c = preset("tiny", vocab_size=20)
    c.d_model, c.n_layer, c.d_state, c.dt_rank = 16, 4, 4, 1
    c.vae.encoder = ["conv:1:4", "down:4:4", "down:4:8", "gn:8:2", "silu", "conv:8:8"]
    c.vae.decoder = ["conv:4:8", "up:8:4", "res:4", "up:4:4", "conv:4:1"]
    return c


@test
def shapes():
    cfg = small_cfg()
    m = MDM(cfg)
    B = 3
    lat = torch.randn(B, 4, 8, 8)
    tok = torch.randint(0, 21, (B, cfg.text_len))
    v, s = m.den(lat, tok, torch.rand(B), torch.rand(B), torch.tensor([0, 1, 2]))
    assert v.shape == lat.shape and s.shape == (B, cfg.text_len, 21)
    mu, lv = m.vae.encode(torch.zeros(B, 1, 32, 32))
    assert mu.shape == (B, 4, 8, 8) and lv.shape == mu.shape
    assert m.vae.decode(mu).shape == (B, 1, 32, 32)
    names = set(m.state_dict_flat())
    for k in ["embed.image.weight", "embed.time_text.fc2.bias", "backbone.layers.3.mixer.A_log",
              "backbone.norm_f.weight", "head.text.bias", "vae.encoder.3.weight", "vae.decoder.2.conv2.bias"]:
        assert k in names, k


@test
def patchify_round_trip_and_order():
    lat = torch.arange(2 * 4 * 8 * 8, dtype=torch.float32).reshape(2, 4, 8, 8)
    p = patchify(lat, 2)
    assert p.shape == (2, 16, 16)
    # patch (row 0, col 1) = latent[:, c, 0:2, 2:4] in (channel,row,col) order
    assert torch.equal(p[0, 1, :4], lat[0, 0, 0:2, 2:4].reshape(-1))
    assert torch.equal(unpatchify(p, 4, 2, 4), lat)


@test
def scan_orders_are_permutations():
    for o in range(4):
        p = scan_permutation(o, 3, 2)
        assert sorted(p) == list(range(3 + 3 + 4)) and p[:3] == [0, 1, 2]
    assert scan_permutation(1, 1, 2)[4:] == [4, 6, 5, 7]        # column-major
    assert scan_permutation(2, 2, 2)[3:] == [8, 7, 6, 5, 4, 3]  # image reversed, then text reversed
    assert scan_permutation(3, 1, 2)[3:] == [7, 5, 6, 4, 3]


@test
def fused_scan_equals_sequential():
    torch.manual_seed(0)
    b, L, di, N = 2, 9, 5, 3
    x = torch.randn(b, L, di, dtype=torch.float64)
    dl = torch.rand(b, L, di, dtype=torch.float64)
    A = -torch.rand(di, N, dtype=torch.float64) * 3
    B, C = torch.randn(b, L, N, dtype=torch.float64), torch.randn(b, L, N, dtype=torch.float64)
    D = torch.randn(di, dtype=torch.float64)
    args = [t.clone().requires_grad_() for t in (x, dl, A, B, C, D)]
    y1 = selective_scan_seq(*args)
    g1 = torch.autograd.grad(y1.sum(), args)
    y2 = selective_scan_fused(*args)
    g2 = torch.autograd.grad(y2.sum(), args)
    assert torch.allclose(y1, y2, atol=1e-12)
    for a, c in zip(g1, g2):
        assert torch.allclose(a, c, atol=1e-10)
    assert torch.autograd.gradcheck(selective_scan_fused, args)


@test
def ext_scan_equals_sequential():
    """The C++ training scan (float32 only) against the sequential one in double: values and
    every gradient to float rounding."""
    from mdm_ref.mamba import _extension, selective_scan_ext
    if _extension() is None:
        raise AssertionError("the C++ scan did not build (libtorch-dev, ninja-build, pybind11-dev)")
    torch.manual_seed(1)
    b, L, di, N = 3, 11, 6, 4
    x = torch.randn(b, L, di, dtype=torch.float64)
    dl = torch.rand(b, L, di, dtype=torch.float64)
    A = -torch.rand(di, N, dtype=torch.float64) * 3
    B, C = torch.randn(b, L, N, dtype=torch.float64), torch.randn(b, L, N, dtype=torch.float64)
    D = torch.randn(di, dtype=torch.float64)
    a64 = [t.clone().requires_grad_() for t in (x, dl, A, B, C, D)]
    a32 = [t.detach().float().requires_grad_() for t in (x, dl, A, B, C, D)]
    w = torch.randn(b, L, di, dtype=torch.float64)
    y1 = selective_scan_seq(*a64)
    g1 = torch.autograd.grad((y1 * w).sum(), a64)
    y2 = selective_scan_ext(*a32)
    g2 = torch.autograd.grad((y2 * w.float()).sum(), a32)
    # float32 arithmetic over L steps: relative 1e-5 of each tensor's scale
    assert (y1 - y2.double()).abs().max() <= 1e-5 * y1.abs().max()
    for a, c in zip(g1, g2):
        assert (a - c.double()).abs().max() <= 1e-5 * a.abs().max(), (a - c.double()).abs().max()


@test
def confident_step_hand_case():
    """Four masked positions, one frozen; to t_next = 0.5 of M = 4 maskable: keep 2 masked,
    unmask the two surest (position 3 sure of piece 2, position 1 of piece 0)."""
    V = 3
    tok = torch.tensor([V, V, V, V, 1])
    frozen = torch.tensor([False, False, False, False, True])
    s = torch.full((5, V + 1), 0.0)
    s[1, 0] = 5.0
    s[3, 2] = 9.0
    s[2, 1] = 1.0
    out = smp.text_confident_step(tok, s, frozen, V, 4, 0.5)
    assert out.tolist() == [V, 0, V, 2, 1], out.tolist()
    assert smp.confident_keep(16, 1.0 - (1 - 1e-5) * 1 / 16) == 15
    out = smp.text_confident_step(tok, s, frozen, V, 4, 0.0)  # all unmasked, ties by position
    assert out.tolist() == [0, 0, 1, 2, 1], out.tolist()


@test
def training_text_fits_and_names_whole_words():
    """Every training text fits Lt = 16 (nothing cut), and every word people type is one piece."""
    from mdm_ref import tokenizer as tk
    import tempfile
    d = tempfile.mkdtemp()
    tk.train(data.all_text(), os.path.join(d, "t"), 128)
    tok = tk.Tokenizer(os.path.join(d, "t.model"))
    for line in data.all_text():
        tok.layout(line, 16)  # raises when too long
    for c in range(10):
        for name in data.NAMES[c]:
            for w in name.split():
                parts = w.count("-") * 2 + 1  # "t-shirt": t, -, shirt
                assert len(tok.encode(w)) <= parts, (w, tok.sp.encode(w, out_type=str))


@test
def scan_hand_case():
    # one channel, one state: h1 = 0.5*x1... with delta=ln2, A=-1: decay = 0.5
    x = torch.tensor([[[1.0], [2.0]]])
    dl = torch.full((1, 2, 1), math.log(2.0))
    A = torch.tensor([[-1.0]])
    B = torch.ones(1, 2, 1)
    C = torch.ones(1, 2, 1)
    D = torch.zeros(1)
    y = selective_scan_seq(x, dl, A, B, C, D)
    ln2 = math.log(2.0)
    assert torch.allclose(y[0, :, 0], torch.tensor([ln2 * 1, 0.5 * ln2 + ln2 * 2]))


@test
def flow_loss_hand_case():
    x0 = torch.ones(1, 1, 1, 1)
    eps = torch.full((1, 1, 1, 1), 3.0)
    xt, v = flow_noise(x0, torch.tensor([0.25]), eps)
    assert abs(xt.item() - 1.5) < 1e-7 and abs(v.item() - 2.0) < 1e-7


@test
def score_entropy_minimum_at_true_score():
    # with s_y = log(ratio) at x0 and -inf elsewhere, the loss is 0 (its minimum)
    V = 5
    t = torch.tensor([0.4])
    sb = sigma_bar(t)
    ratio = 1 / torch.expm1(sb)
    s = torch.full((1, 1, V + 1), -1e9)
    s[0, 0, 2] = torch.log(ratio)
    s[0, 0, V] = 0
    x0 = torch.tensor([[2]])
    masked = torch.tensor([[True]])
    l0 = score_entropy(s, x0, masked, t)
    assert abs(l0.item()) < 1e-5, l0
    s2 = s.clone()
    s2[0, 0, 2] += 0.3
    assert score_entropy(s2, x0, masked, t).item() > 1e-3
    # unmasked positions contribute nothing
    assert score_entropy(s2, x0, torch.tensor([[False]]), t).item() == 0


@test
def sedd_parameterisation():
    raw = torch.zeros(1, 2, 4)
    tok = torch.tensor([[1, 3]])
    s = sedd_log_score(raw, tok, torch.tensor([0.5]), 3)
    sb = sigma_bar(torch.tensor(0.5))
    expect = -math.log(math.expm1(sb.item())) - math.log(3)
    assert abs(s[0, 0, 0].item() - expect) < 1e-5 and s[0, 0, 1] == 0 and s[0, 1, 3] == 0
    assert torch.isfinite(sedd_log_score(raw, tok, torch.tensor([0.0]), 3)).all()


@test
def masking_rate():
    g = torch.Generator().manual_seed(0)
    tok = torch.zeros(2000, 16, dtype=torch.long)
    t = torch.full((2000,), 0.3)
    _, m = mask_tokens(tok, t, torch.ones_like(tok, dtype=torch.bool), 9, g)
    assert abs(m.float().mean().item() - (1 - 1e-3) * 0.3) < 0.01


@test
def pcg32_known_values():
    # pcg32-global demo: seed 42, stream 54 -> first outputs 0xa15c02b7 0x7b47f409
    r = PCG32(42, 54)
    assert r.next_u32() == 0xa15c02b7 and r.next_u32() == 0x7b47f409
    r = PCG32(1, 1)
    n = r.normals(20000)
    mean = sum(n) / len(n)
    var = sum(v * v for v in n) / len(n) - mean ** 2
    assert abs(mean) < 0.03 and abs(var - 1) < 0.05


@test
def sampler_steps():
    x = torch.ones(1, 1, 1, 1)
    v = torch.full_like(x, 2.0)
    assert torch.allclose(smp.euler_step(x, v, 1.0, 0.75), torch.full_like(x, 0.5))
    # Heun on v(x,t) = x integrates dx/dt = x backwards: one step from t=1 to 0.5
    h = smp.heun_step(x, x.clone(), 1.0, 0.5, lambda xx, t: xx)
    assert abs(h.item() - (1 - 0.5 * 0.5 * (1 + 0.5))) < 1e-6
    assert smp.heun_step(x, v, 0.25, 0.0, None).item() == 0.5
    assert smp.image_grid(2, 3.0) == [1.0, 0.75, 0.0]
    # text: an analytic step with a huge score unmasks, with -inf scores nothing moves
    V = 3
    s = torch.full((2, V + 1), -50.0)
    s[0, 1] = 50.0
    s[:, V] = 0
    tok = torch.tensor([V, V])
    g = torch.zeros(2, V + 1)
    out = smp.text_step(tok, s, 0.1, g, torch.tensor([False, False]), V, analytic=True)
    assert out.tolist() == [1, V]
    out = smp.text_step(tok, s, 0.1, g, torch.tensor([True, False]), V, analytic=False)
    assert out.tolist() == [V, V]
    assert smp.text_final(tok, s, torch.tensor([False, False]), V).tolist()[0] == 1


@test
def batched_sampling_equals_one_at_a_time():
    torch.manual_seed(3)
    cfg = small_cfg()
    m = MDM(cfg)
    with torch.no_grad():
        for p in m.den.head.parameters():
            p.normal_(0, 0.5)
    sp = smp.Sampler(m.den)
    tok = torch.randint(0, 20, (2, cfg.text_len))
    both = sp.text_to_image(tok, [11, 12], steps=3, guidance=2.0)
    for k in range(2):
        one = sp.text_to_image(tok[k:k + 1], [11 + k], steps=3, guidance=2.0)
        assert torch.allclose(both[k:k + 1], one, atol=1e-5)
    lat = torch.randn(2, 4, 8, 8)
    caps = sp.caption(lat, [5, 6], steps=4)
    for k in range(2):
        assert torch.equal(caps[k:k + 1], sp.caption(lat[k:k + 1], [5 + k], steps=4))
    assert (caps != cfg.mask_id).all()
    ans = sp.vqa(lat, [[3, 4], [5]], [1, 2], steps=4)
    assert ans[0, :2].tolist() == [3, 4] and ans[1, 0].item() == 5


@test
def text_layout_fits():
    path = os.path.join(os.path.dirname(__file__), "../../models/mdm-fmnist/tokenizer.model")
    if not os.path.exists(path):
        print("SKIP text_layout_fits: no tokenizer.model")
        return
    from mdm_ref.tokenizer import Tokenizer
    tok = Tokenizer(path)
    for line in data.all_text():
        ids = tok.layout(line, 16)
        assert tok.decode(ids) == line


def main():
    torch.set_num_threads(1)
    fails = 0
    for fn in TESTS:
        try:
            fn()
            print(f"PASS reference.{fn.__name__}")
        except Exception:
            fails += 1
            print(f"FAIL reference.{fn.__name__}")
            traceback.print_exc(file=sys.stdout)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
