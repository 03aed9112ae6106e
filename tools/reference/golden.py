#!/usr/bin/env python3
"""Golden vectors for the C runtime, from a small random-weight model and from the demo model.

  /usr/bin/python3 tools/reference/golden.py [--demo models/mdm-fmnist] [--out tests/golden]

Writes OUT/random/{config.json,model.safetensors,vocab.tsv} (the random model's checkpoint, for
mdm-convert), OUT/random/golden.safetensors and, with --demo, OUT/demo/golden.safetensors.
Tensor names in golden files are "<case>.<name>"; the case list is in tools/reference/README.md.
Sampler streams are documented in mdm_ref/samplers.py.
"""
import argparse
import math
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mdm_ref import data, safetensors_io as st, samplers as smp  # noqa: E402
from mdm_ref.config import MDMConfig, VAEConfig, preset  # noqa: E402
from mdm_ref.denoiser import MDM, sedd_log_score, sigma_bar, TASK_T2I, TASK_CAPTION  # noqa: E402
from mdm_ref.mamba import rms_norm, selective_scan_seq  # noqa: E402
from mdm_ref.pcg32 import PCG32  # noqa: E402
from mdm_ref.tokenizer import Tokenizer  # noqa: E402


def random_config(vocab_size):
    c = preset("tiny", vocab_size=vocab_size)
    c.preset = "golden"
    c.d_model, c.n_layer, c.d_state, c.dt_rank = 32, 4, 8, 2
    c.vae = VAEConfig(scaling_factor=0.7, encoder=["conv:1:8", "res:8", "down:8:16", "res:16",
                                                   "down:16:16", "gn:16:4", "silu", "conv:16:8"],
                      decoder=["conv:4:16", "res:16", "up:16:16", "up:16:8", "res:8", "gn:8:4",
                               "silu", "conv:8:1"])
    return c


def randomise(model, seed):
    """Non-trivial random weights (the default init leaves heads at zero)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("A_log"):
                p.copy_(torch.log(torch.rand(p.shape, generator=g) * 15 + 1))
            elif name.endswith("dt_proj.bias"):
                p.copy_(torch.rand(p.shape, generator=g) * 3 - 4)
            elif "norm" in name and name.endswith("weight") or name.endswith(".D"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else 16
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))


def op_cases(out, model, cfg, seed):
    """Per-op cases: inputs and outputs for each kernel of the spec."""
    g = torch.Generator().manual_seed(seed)
    rn = lambda *s: torch.randn(*s, generator=g)
    d, di, N = cfg.d_model, cfg.d_inner, cfg.d_state
    # RMSNorm
    x, w = rn(5, d), rn(d)
    out.update({"rmsnorm.x": x, "rmsnorm.w": w, "rmsnorm.y": rms_norm(x, w, cfg.norm_eps)})
    # causal depthwise conv1d (+bias), no activation
    L, K = 7, cfg.d_conv
    x, w, b = rn(L, di), rn(di, 1, K), rn(di)
    y = F.conv1d(x.T[None], w, b, padding=K - 1, groups=di)[0, :, :L].T
    out.update({"conv1d.x": x, "conv1d.w": w, "conv1d.b": b, "conv1d.y": y})
    # selective scan
    x, dl = rn(1, L, di), F.softplus(rn(1, L, di))
    A, B, C, D = -torch.exp(rn(di, N) * 0.5), rn(1, L, N), rn(1, L, N), rn(di)
    out.update({"scan.x": x, "scan.delta": dl, "scan.A": A, "scan.B": B, "scan.C": C, "scan.D": D,
                "scan.y": selective_scan_seq(x, dl, A, B, C, D)})
    # one Mamba block under each scan order (block l of the model has order l mod 4)
    S = cfg.seq_len
    xs = rn(1, S, d)
    out["block.x"] = xs
    for l in range(min(4, cfg.n_layer)):
        with torch.no_grad():
            out[f"block{l}.y"] = model.den.backbone.layers[l](xs)
    # time embedding
    t = torch.tensor([0.0, 0.25, 0.5, 1.0])
    with torch.no_grad():
        out.update({"time.t": t, "time.image": model.den.embed.time_image(t),
                    "time.text": model.den.embed.time_text(t)})
    # text head parameterisation
    raw = rn(3, cfg.text_len, cfg.vocab_size + 1)
    tok = torch.randint(0, cfg.vocab_size + 1, (3, cfg.text_len), generator=g)
    tt = torch.tensor([0.0, 0.3, 1.0])
    out.update({"sedd.raw": raw, "sedd.tokens": tok.int(), "sedd.t": tt,
                "sedd.s": sedd_log_score(raw, tok, tt, cfg.vocab_size)})
    # VAE
    img = torch.rand(1, cfg.image_channels, cfg.image_size, cfg.image_size, generator=g) * 2 - 1
    z = rn(1, cfg.latent_channels, cfg.latent_size, cfg.latent_size)
    with torch.no_grad():
        mu, logvar = model.vae.encode(img)
        out.update({"vae.image": img, "vae.mu": mu, "vae.logvar": logvar, "vae.z": z,
                    "vae.decoded": model.vae.decode(z)})


def forward_cases(out, model, cfg, seed, prefix=""):
    """One full denoiser forward, one step of each sampler, PCG32 streams."""
    g = torch.Generator().manual_seed(seed + 1)
    lat = torch.randn(2, cfg.latent_channels, cfg.latent_size, cfg.latent_size, generator=g)
    tok = torch.randint(0, cfg.vocab_size + 1, (2, cfg.text_len), generator=g)
    ti, tt, task = torch.tensor([0.7, 0.0]), torch.tensor([0.0, 0.6]), torch.tensor([0, 1])
    with torch.no_grad():
        v, s = model.den(lat, tok, ti, tt, task)
    out.update({prefix + "fwd.latents": lat, prefix + "fwd.tokens": tok.int(), prefix + "fwd.t_image": ti,
                prefix + "fwd.t_text": tt, prefix + "fwd.task": task.int(), prefix + "fwd.v": v,
                prefix + "fwd.s": s})
    sampler = smp.Sampler(model.den)
    # image steps from fwd.latents[0] with fwd.tokens[0] (made clean: MASK -> 0)
    tokens = torch.where(tok[0] == cfg.mask_id, torch.zeros_like(tok[0]), tok[0])
    x = lat[:1]
    ts = smp.image_grid(4, shift=3.0)
    vel = lambda xx, t, gs: sampler.image_velocity(xx, tokens[None], t, TASK_T2I, gs)
    v1 = vel(x, ts[1], 1.0)
    out.update({prefix + "step.tokens": tokens.int(), prefix + "step.grid": torch.tensor(ts),
                prefix + "step.euler": smp.euler_step(x, v1, ts[1], ts[2]),
                prefix + "step.heun": smp.heun_step(x, v1, ts[1], ts[2], lambda xx, t: vel(xx, t, 1.0)),
                prefix + "step.cfg_v": vel(x, ts[1], 3.0)})
    # text steps on fwd.s[1] with tokens fwd.tokens[1], positions < 3 frozen
    frozen = torch.arange(cfg.text_len) < 3
    # every other non-frozen position masked, so the steps have work to do
    tok1 = torch.where(~frozen & (torch.arange(cfg.text_len) % 2 == 0), torch.full_like(tok[1], cfg.mask_id), tok[1])
    tok1[2] = cfg.mask_id  # a frozen MASK must stay
    rng = PCG32(seed, 2)
    gum = smp.draw_gumbel(rng, cfg.text_len, cfg.vocab_size + 1)
    ds = float(sigma_bar(torch.tensor(0.6, dtype=torch.float64)) - sigma_bar(torch.tensor(0.5, dtype=torch.float64)))
    # the scores are fwd.s[1], computed for fwd.tokens[1]; the steps only read them
    out.update({prefix + "text.gumbel": gum, prefix + "text.dsigma": torch.tensor([ds]),
                prefix + "text.tokens": tok1.int(),
                prefix + "text.euler": smp.text_step(tok1, s[1], ds, gum, frozen, cfg.mask_id, False).int(),
                prefix + "text.analytic": smp.text_step(tok1, s[1], ds, gum, frozen, cfg.mask_id, True).int(),
                prefix + "text.final": smp.text_final(tok1, s[1], frozen, cfg.mask_id).int(),
                # confident step to t_next 0.3 of the 13 maskable positions: keeps 4 masked
                prefix + "text.confident": smp.text_confident_step(
                    tok1, s[1], frozen, cfg.mask_id, int((~frozen).sum()), 0.3).int()})


VQA_QUESTION = "is this footwear?"


def end_to_end(out, model, cfg, tok, prompt, image_u8, seed, prefix=""):
    """Seeded tasks end to end: text-to-image (8 Euler steps, guidance 2), caption of image_u8
    with the analytic and the confident sampler (8 text steps), VQA (confident, 8 steps) and
    joint (6 steps, analytic). Returns the texts for the metadata."""
    sampler = smp.Sampler(model.den)
    tokens = torch.tensor(tok.layout(prompt, cfg.text_len))
    lat = sampler.text_to_image(tokens[None], [seed], steps=8, sampler="euler", guidance=2.0)
    with torch.no_grad():
        img = model.vae.decode(lat / cfg.vae.scaling_factor)
    u8 = torch.round((img + 1) * 127.5).to(torch.uint8)
    x = torch.from_numpy(data.to_float(image_u8))[None, None]
    with torch.no_grad():
        mu, _ = model.vae.encode(x)
    z = mu * cfg.vae.scaling_factor
    cap = sampler.caption(z, [seed], steps=8)[0]
    cap_c = sampler.caption(z, [seed], steps=8, mode="confident")[0]
    q = tok.encode(VQA_QUESTION)
    ans = sampler.vqa(z, [q], [seed], steps=8, mode="confident")[0]
    jlat, jtok = sampler.joint([seed], steps=6, mode="analytic")
    with torch.no_grad():
        jimg = model.vae.decode(jlat / cfg.vae.scaling_factor)
    ju8 = torch.round((jimg + 1) * 127.5).to(torch.uint8)
    out.update({prefix + "t2i.tokens": tokens.int(), prefix + "t2i.seed": torch.tensor([seed]).int(),
                prefix + "t2i.latent": lat, prefix + "t2i.image": u8,
                prefix + "caption.image": torch.from_numpy(image_u8.copy()),
                prefix + "caption.tokens": cap.int(),
                prefix + "caption_confident.tokens": cap_c.int(),
                prefix + "vqa.tokens": ans.int(),
                prefix + "joint.tokens": jtok[0].int(), prefix + "joint.image": ju8})
    return {"caption": tok.decode(cap.tolist()), "caption_confident": tok.decode(cap_c.tolist()),
            "vqa_question": VQA_QUESTION, "vqa_answer": tok.decode(ans.tolist()[len(q):]),
            "joint_text": tok.decode(jtok[0].tolist())}


def pcg_cases(out):
    r = PCG32(42, 54)
    out["pcg32.u32_42_54"] = torch.tensor([r.next_u32() for _ in range(8)], dtype=torch.int64)
    r = PCG32(7, 1)
    out["pcg32.normals_7_1"] = torch.tensor(r.normals(9), dtype=torch.float32)
    r = PCG32(7, 2)
    out["pcg32.gumbels_7_2"] = torch.tensor(r.gumbels(5), dtype=torch.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo", default=None, help="demo checkpoint directory")
    ap.add_argument("--vocab", default="models/mdm-fmnist", help="directory with tokenizer.model and vocab.tsv")
    ap.add_argument("--out", default="tests/golden")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    test_u8, _ = data.load_split("test")

    tok = Tokenizer(os.path.join(args.vocab, "tokenizer.model"))
    cfg = random_config(tok.vocab_size)
    torch.manual_seed(args.seed)
    model = MDM(cfg)
    randomise(model, args.seed)
    rdir = os.path.join(args.out, "random")
    os.makedirs(rdir, exist_ok=True)
    with open(os.path.join(rdir, "config.json"), "w") as f:
        f.write(cfg.to_json() + "\n")
    st.save(os.path.join(rdir, "model.safetensors"), model.state_dict_flat())
    shutil.copy(os.path.join(args.vocab, "vocab.tsv"), os.path.join(rdir, "vocab.tsv"))
    out = {}
    op_cases(out, model, cfg, args.seed)
    forward_cases(out, model, cfg, args.seed)
    pcg_cases(out)
    meta = end_to_end(out, model, cfg, tok, data.prompt(7), test_u8[0], args.seed)
    st.save(os.path.join(rdir, "golden.safetensors"), out, dict(meta, prompt=data.prompt(7)))
    print(f"random: {len(out)} tensors, {meta}")

    if args.demo:
        cfg = MDMConfig.load(os.path.join(args.demo, "config.json"))
        model = MDM(cfg)
        sd, _ = st.load(os.path.join(args.demo, "model.safetensors"))
        model.load_flat(sd)
        out = {}
        forward_cases(out, model, cfg, args.seed)
        meta = end_to_end(out, model, cfg, tok, data.prompt(7), test_u8[0], args.seed)
        ddir = os.path.join(args.out, "demo")
        os.makedirs(ddir, exist_ok=True)
        st.save(os.path.join(ddir, "golden.safetensors"), out, dict(meta, prompt=data.prompt(7)))
        print(f"demo: {len(out)} tensors, {meta}")


if __name__ == "__main__":
    main()
