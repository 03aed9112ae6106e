"""Hyper-parameters: the presets of spec §1 and the config.json of docs/MODEL.md."""
import json
import math
from dataclasses import dataclass, field, asdict


@dataclass
class VAEConfig:
    scaling_factor: float = 1.0
    gn_eps: float = 1e-5
    encoder: list = field(default_factory=lambda: [
        "conv:1:32", "res:32", "down:32:64", "res:64", "down:64:64", "res:64",
        "gn:64:8", "silu", "conv:64:8"])
    decoder: list = field(default_factory=lambda: [
        "conv:4:64", "res:64", "up:64:64", "res:64", "up:64:32", "res:32",
        "gn:32:8", "silu", "conv:32:1"])


@dataclass
class MDMConfig:
    architecture: str = "mdm"
    preset: str = "tiny"
    image_size: int = 32
    image_channels: int = 1
    vae_factor: int = 4
    latent_channels: int = 4
    patch_size: int = 2
    text_len: int = 16
    vocab_size: int = 128
    d_model: int = 128
    n_layer: int = 8
    expand: int = 2
    d_state: int = 16
    d_conv: int = 4
    dt_rank: int = 8
    norm_eps: float = 1e-5
    vae: VAEConfig = field(default_factory=VAEConfig)
    tokenizer: dict = field(default_factory=lambda: {"pad_id": 0, "unk_id": 1, "eos_id": 2})

    # Derived sizes (spec §1, §2).
    @property
    def d_inner(self): return self.expand * self.d_model
    @property
    def grid(self): return self.image_size // self.vae_factor // self.patch_size
    @property
    def n_image(self): return self.grid * self.grid
    @property
    def patch_dim(self): return self.latent_channels * self.patch_size ** 2
    @property
    def seq_len(self): return 3 + self.text_len + self.n_image
    @property
    def mask_id(self): return self.vocab_size
    @property
    def latent_size(self): return self.image_size // self.vae_factor

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @staticmethod
    def from_dict(d: dict) -> "MDMConfig":
        d = dict(d)
        vae = VAEConfig(**d.pop("vae"))
        return MDMConfig(vae=vae, **d)

    @staticmethod
    def load(path: str) -> "MDMConfig":
        with open(path) as f:
            return MDMConfig.from_dict(json.load(f))


def preset(name: str, vocab_size: int = None) -> MDMConfig:
    if name == "tiny":
        c = MDMConfig()
    elif name == "S":
        c = MDMConfig(preset="S", image_size=256, image_channels=3, vae_factor=8, text_len=64,
                      vocab_size=8000, d_model=512, n_layer=24, dt_rank=32)
        c.vae = VAEConfig(
            encoder=["conv:3:64", "res:64", "down:64:128", "res:128", "down:128:128", "res:128",
                     "down:128:128", "res:128", "gn:128:8", "silu", "conv:128:8"],
            decoder=["conv:4:128", "res:128", "up:128:128", "res:128", "up:128:128", "res:128",
                     "up:128:64", "res:64", "gn:64:8", "silu", "conv:64:3"])
    else:
        raise ValueError(f"unknown preset {name}")
    if vocab_size is not None:
        c.vocab_size = vocab_size
    c.dt_rank = c.dt_rank or math.ceil(c.d_model / 16)
    return c
