"""PCG32 (O'Neill, pcg32_random_r) and the derived streams of spec §6.

Both implementations draw from this exact sequence, so seeds give the same images and text.
"""
import math

MULT = 6364136223846793005
MASK64 = (1 << 64) - 1


class PCG32:
    def __init__(self, seed: int, stream: int):
        self.state = 0
        self.inc = ((stream << 1) | 1) & MASK64
        self.next_u32()
        self.state = (self.state + (seed & MASK64)) & MASK64
        self.next_u32()

    def next_u32(self) -> int:
        old = self.state
        self.state = (old * MULT + self.inc) & MASK64
        xorshifted = (((old >> 18) ^ old) >> 27) & 0xFFFFFFFF
        rot = old >> 59
        return ((xorshifted >> rot) | (xorshifted << ((-rot) & 31))) & 0xFFFFFFFF

    def uniform(self) -> float:
        """u in [0, 1) with 24 bits: exactly representable in float32."""
        return (self.next_u32() >> 8) * (1.0 / 16777216.0)

    def normals(self, n: int):
        """n standard normals by Box-Muller on pairs (u1 = 1 - u, u2): cos first, then sin.

        Computed in float64 then rounded to float32 by the caller; the C runtime does the same.
        """
        out = []
        while len(out) < n:
            u1 = 1.0 - self.uniform()
            u2 = self.uniform()
            r = math.sqrt(-2.0 * math.log(u1))
            out.append(r * math.cos(2.0 * math.pi * u2))
            out.append(r * math.sin(2.0 * math.pi * u2))
        return out[:n]

    def gumbels(self, n: int):
        """n Gumbel(0,1) draws -log(-log(u)), u clamped to [1e-10, 1)."""
        out = []
        for _ in range(n):
            u = min(max(self.uniform(), 1e-10), 1.0 - 2.0 ** -24)
            out.append(-math.log(-math.log(u)))
        return out


# Stream numbers the project uses (documented in docs/MODEL.md).
STREAM_IMAGE_NOISE = 1
STREAM_TEXT = 2


class PCG32Batch:
    """n independent PCG32 generators stepped in lockstep with numpy (wrapping uint64 math).
    Generator k equals PCG32(seeds[k], stream); used to evaluate thousands of samples fast."""

    def __init__(self, seeds, stream: int):
        import numpy as np
        self.np = np
        seeds = np.asarray(seeds, dtype=np.uint64)
        self.inc = np.full(seeds.shape, ((stream << 1) | 1) & MASK64, dtype=np.uint64)
        self.state = np.zeros(seeds.shape, dtype=np.uint64)
        self.next_u32()
        self.state = self.state + seeds
        self.next_u32()

    def next_u32(self):
        np = self.np
        old = self.state
        with np.errstate(over="ignore"):
            self.state = old * np.uint64(MULT) + self.inc
        xs = (((old >> np.uint64(18)) ^ old) >> np.uint64(27)) & np.uint64(0xFFFFFFFF)
        rot = old >> np.uint64(59)
        left = (xs << ((np.uint64(32) - rot) & np.uint64(31))) & np.uint64(0xFFFFFFFF)
        return ((xs >> rot) | left).astype(np.uint64)

    def uniform(self):
        return (self.next_u32() >> self.np.uint64(8)).astype(self.np.float64) * (1.0 / 16777216.0)

    def gumbels(self, m):
        """[n, m] Gumbels; row k is PCG32(seeds[k]).gumbels(m)."""
        np = self.np
        out = np.empty((len(self.state), m))
        for j in range(m):
            u = np.clip(self.uniform(), 1e-10, 1.0 - 2.0 ** -24)
            out[:, j] = -np.log(-np.log(u))
        return out.astype(np.float32)

    def normals(self, m):
        np = self.np
        out = np.empty((len(self.state), m + (m & 1)))
        for j in range(0, m, 2):
            u1 = 1.0 - self.uniform()
            u2 = self.uniform()
            r = np.sqrt(-2.0 * np.log(u1))
            out[:, j] = r * np.cos(2.0 * np.pi * u2)
            out[:, j + 1] = r * np.sin(2.0 * np.pi * u2)
        return out[:, :m].astype(np.float32)
