"""Compile (or load from the disk cache) every kernel before the first real run."""

from __future__ import annotations

import time

from ..optimizers.registry import OPTIMIZER_NAMES
from ..optimizers.spec import Optimizer
from ..surfaces.presets import PRESET_NAMES
from .noise import Noise
from .run import RunSpec, execute


def warmup() -> float:
    """Run a tiny simulation that touches every kernel; return the seconds it took.

    The first call on a machine compiles and writes numba's cache (tens of seconds);
    later calls load the cache. Safe to call from a background thread.
    """
    began = time.perf_counter()
    optimizers = [Optimizer(name) for name in OPTIMIZER_NAMES]
    spec = RunSpec.build(
        PRESET_NAMES[0], optimizers, [(0.5, 0.5)], steps=2, noise=Noise(std=0.1, seed=0)
    )
    result = execute(spec, record_grads=True)
    result.loss  # noqa: B018  (compiles the loss kernel)
    result.spec.surface.grad(0.0, 0.0)
    return time.perf_counter() - began
