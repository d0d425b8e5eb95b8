"""Counter-based Gaussian gradient noise: a pure function of (seed, start, step).

No generator state is carried between steps, so any run can be replayed, split into
chunks, or computed by another backend with the same numbers. The draw is keyed by
the start index, not the optimizer: every optimizer racing from the same start sees
the same noise at the same step (common random numbers), which makes comparisons fair.

Bits come from SplitMix64's finaliser applied to a key built from the three counters;
Box–Muller turns two 53-bit uniforms into the two coordinates' normals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .. import _numba_env  # noqa: F401

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_POW_M53 = 1.0 / 9007199254740992.0


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def mix64(z):
    """SplitMix64 finaliser: a bijective avalanche of a uint64."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def normal_pair(seed, start, step):
    """Two independent N(0, 1) draws for (seed, start index, step).

    All three are non-negative integers. Returns (z_x, z_y).
    """
    key = mix64(np.uint64(seed) * _GOLDEN + np.uint64(1))
    key = mix64(key ^ (np.uint64(start) * _GOLDEN))
    h1 = mix64(key ^ (np.uint64(step) * _M2))
    h2 = mix64(h1 + _GOLDEN)
    u1 = (float(h1 >> _S11) + 1.0) * _TWO_POW_M53  # (0, 1]: log(u1) is finite
    u2 = float(h2 >> _S11) * _TWO_POW_M53
    radius = math.sqrt(-2.0 * math.log(u1))
    angle = 2.0 * math.pi * u2
    return radius * math.cos(angle), radius * math.sin(angle)


@njit(cache=True, nogil=True)
def normal_table(seed, start, steps):
    """float64[steps, 2]: the draws of one start at steps 1..steps (for tests, tools)."""
    out = np.empty((steps, 2))
    for t in range(1, steps + 1):
        out[t - 1, 0], out[t - 1, 1] = normal_pair(seed, start, t)
    return out


@dataclass(frozen=True, slots=True)
class Noise:
    """Gradient noise: Gaussian, or true minibatches on dataset surfaces.

    ``std``: N(0, std^2) added to each coordinate at each step; with ``batch_size=B``
    it models a minibatch of B examples: the standard deviation is divided by sqrt(B).
    Draws are reproducible from ``seed`` (see ``normal_pair``).

    On a dataset surface (``Surface.dataset``), ``Noise(batch_size=B, seed=s)`` (std 0)
    means true minibatches: each step's gradient is the mean over B examples drawn
    without replacement, epoch by epoch (``composite.batch_table`` gives the order);
    ``batch_size=None`` is the full batch. ``RunSpec.build`` refuses a batch size
    without std on other surfaces, and std with a batch size on datasets.
    """

    std: float = 0.0
    seed: int = 0
    batch_size: int | None = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.std, bool)
            or not isinstance(self.std, (int, float, np.integer, np.floating))
            or not (math.isfinite(self.std) and self.std >= 0)
        ):
            raise ValueError(f"Noise: std={self.std!r} must be a finite number >= 0")
        if (
            isinstance(self.seed, bool)
            or not isinstance(self.seed, (int, np.integer))
            or not (0 <= self.seed < 2**63)
        ):
            raise ValueError(f"Noise: seed={self.seed!r} must be an integer in [0, 2**63)")
        if self.batch_size is not None and (
            isinstance(self.batch_size, bool)
            or not isinstance(self.batch_size, (int, np.integer))
            or self.batch_size < 1
        ):
            raise ValueError(
                f"Noise: batch_size={self.batch_size!r} must be an integer >= 1 or None"
            )
        # Plain Python numbers, so that scenes holding this noise serialise to JSON.
        object.__setattr__(self, "std", float(self.std))
        object.__setattr__(self, "seed", int(self.seed))
        if self.batch_size is not None:
            object.__setattr__(self, "batch_size", int(self.batch_size))

    @property
    def effective_std(self) -> float:
        """The per-coordinate standard deviation after the batch-size scaling."""
        return float(self.std) / math.sqrt(self.batch_size or 1)

    def to_dict(self) -> dict:
        return {"std": self.std, "seed": int(self.seed), "batch_size": self.batch_size}

    @classmethod
    def from_dict(cls, d: dict) -> Noise:
        if not isinstance(d, dict):
            raise ValueError(f"noise must be a mapping, not {d!r}")
        return cls(std=d.get("std", 0.0), seed=d.get("seed", 0), batch_size=d.get("batch_size"))
