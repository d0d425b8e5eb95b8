"""Compile (or load from the disk cache) every kernel before the first real run.

numba compiles while holding the GIL, so a cold compile inside an app's worker thread
would stall its UI thread for hundreds of milliseconds at a time. ``warm_cache_in_child``
compiles in a separate process instead, which fills the disk cache; loading the cache
in-process afterwards is quick. A marker file records that the cache is warm for the
current kernel sources (their paths, sizes and modification times: the same stamps
numba's cache checks) and numba version, so the child is started only when needed.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import numba

from .. import _numba_env
from ..optimizers.registry import OPTIMIZER_NAMES
from ..optimizers.spec import Optimizer
from ..surfaces.presets import PRESET_NAMES
from .noise import Noise
from .run import RunSpec, execute

_PACKAGE = Path(__file__).resolve().parents[1]
#: The modules whose compiled functions the cache holds.
_KERNEL_SOURCES = (
    "engine/_kernels.py",
    "engine/_kernels_external.py",
    "engine/_kernels_data.py",
    "engine/noise.py",
    "optimizers/rules.py",
    "surfaces/formulas.py",
    "display.py",
)


def warmup() -> float:
    """Run a tiny simulation that touches every kernel; return the seconds it took.

    The first call on a machine compiles and writes numba's cache (tens of seconds);
    later calls load the cache. Safe to call from a background thread.
    """
    from ..display import visible_points
    from ..surfaces.surface import Surface

    began = time.perf_counter()
    optimizers = [Optimizer(name) for name in OPTIMIZER_NAMES]
    spec = RunSpec.build(
        PRESET_NAMES[0], optimizers, [(0.5, 0.5)], steps=2, noise=Noise(std=0.1, seed=0)
    )
    result = execute(spec, record_grads=True)
    result.loss  # noqa: B018  (compiles the loss kernel)
    result.spec.surface.grad(0.0, 0.0)
    visible_points(result.xy[0, 0], (0.1, 0.1))
    # The kernels of typed formulas (compiled once; each formula then adds three small
    # functions of its own).
    formula = Surface.from_expression("x^2 + y^2")
    execute(RunSpec.build(formula, optimizers, [(0.5, 0.5)], steps=2), record_grads=True)
    formula.f(0.0, 0.0)
    formula.grad(0.0, 0.0)
    # The kernels of sculpted, height-map and dataset surfaces (one module for all).
    from ..surfaces.datasets import dataset_surface

    data = dataset_surface("neuron_two_points")
    batches = Noise(batch_size=1, seed=0)
    execute(RunSpec.build(data, optimizers, [(0.5, 0.5)], 2, batches), record_grads=True)
    data.f(0.0, 0.0)
    data.grad(0.0, 0.0)
    _marker().parent.mkdir(parents=True, exist_ok=True)
    _marker().touch()
    return time.perf_counter() - began


def cache_is_warm() -> bool:
    """True when the disk cache holds the kernels of the current sources."""
    return _marker().exists()


def warm_cache_in_child(timeout: float = 900.0) -> bool:
    """Compile every kernel in a child process (filling the disk cache); True on success.

    The caller's threads keep running meanwhile: the compile holds the child's GIL, not
    ours. On failure the caller can still compile in-process.
    """
    code = "from optviz.engine.warmup import warmup; warmup()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _marker() -> Path:
    stamp = hashlib.sha256()
    stamp.update(f"{numba.__version__} {sys.version}".encode())
    for name in _KERNEL_SOURCES:
        st = (_PACKAGE / name).stat()
        stamp.update(f"{name} {st.st_size} {st.st_mtime_ns}".encode())
    return Path(_numba_env.CACHE_DIR) / f"warm-{stamp.hexdigest()[:16]}"
