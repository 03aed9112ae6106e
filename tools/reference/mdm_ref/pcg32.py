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
