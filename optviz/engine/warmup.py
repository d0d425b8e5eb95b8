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


#: Warm-up parts: "core" is what the default scene needs (preset surfaces, one
#: configuration per block); "extras" is the rest (typed formulas, sculpted, height-map
#: and dataset surfaces, and the mixed blocks of sweeps, tuning and races on every kind).
PARTS = ("core", "extras")


def warmup(part: str = "all") -> float:
    """Run tiny simulations that touch every kernel of ``part`` ("core", "extras" or
    "all"); return the seconds it took.

    The first call on a machine compiles and writes numba's cache (tens of seconds per
    part); later calls load the cache. Safe to call from a background thread.
    """
    if part not in (*PARTS, "all"):
        raise ValueError(f"part={part!r}; choose one of: core, extras, all")
    began = time.perf_counter()
    optimizers = [Optimizer(name) for name in OPTIMIZER_NAMES]
    if part in ("core", "all"):
        _warm_core(optimizers)
        _touch(_marker("core"))
    if part in ("extras", "all"):
        _warm_extras(optimizers)
        _touch(_marker("extras"))
    return time.perf_counter() - began


def _warm_core(optimizers: list[Optimizer]) -> None:
    from ..display import visible_points

    spec = RunSpec.build(
        PRESET_NAMES[0], optimizers, [(0.5, 0.5)], steps=2, noise=Noise(std=0.1, seed=0)
    )
    result = execute(spec, record_grads=True)
    result.loss  # noqa: B018  (compiles the loss kernel)
    result.spec.surface.grad(0.0, 0.0)
    visible_points(result.xy[0, 0], (0.1, 0.1))


def _warm_extras(optimizers: list[Optimizer]) -> None:
    from ..surfaces.datasets import dataset_surface
    from ..surfaces.surface import Surface

    # Typed formulas (their loops compile once; each formula then adds three small
    # functions of its own), and the module of sculpted, height-map and dataset surfaces.
    formula = Surface.from_expression("x^2 + y^2")
    data = dataset_surface("neuron_two_points")
    cases = (
        (PRESET_NAMES[0], None),
        (formula, None),
        (data, Noise(batch_size=1, seed=0)),
    )
    for surface, noise in cases:
        spec = RunSpec.build(surface, optimizers, [(0.5, 0.5)], 2, noise)
        if surface is not PRESET_NAMES[0]:
            execute(spec, record_grads=True)
            spec.surface.f(0.0, 0.0)
            spec.surface.grad(0.0, 0.0)
        # Mixed blocks (many configurations of one optimizer per block): sweeps, tuning
        # and races.
        execute(spec, layout="mixed")


def _touch(marker: Path) -> None:
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def cache_is_warm(part: str = "all") -> bool:
    """True when the disk cache holds the kernels of ``part`` for the current sources."""
    parts = PARTS if part == "all" else (part,)
    return all(_marker(p).exists() for p in parts)


def _child_command(part: str) -> list[str]:
    return [sys.executable, "-c", f"from optviz.engine.warmup import warmup; warmup({part!r})"]


def warm_cache_in_child(part: str = "all", timeout: float = 900.0) -> bool:
    """Compile the kernels of ``part`` in a child process (filling the disk cache); True
    on success.

    The caller's threads keep running meanwhile: the compile holds the child's GIL, not
    ours. On failure the caller can still compile in-process.
    """
    try:
        done = subprocess.run(
            _child_command(part), capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def start_warming_in_child(part: str) -> subprocess.Popen | None:
    """Start compiling ``part`` in a child process and return at once (``None`` if it
    could not start). The caller may ``terminate()`` it; numba writes each cache entry
    atomically, so a stopped child leaves no broken entries, only missing ones."""
    try:
        return subprocess.Popen(
            _child_command(part), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    except OSError:
        return None


def _marker(part: str) -> Path:
    stamp = hashlib.sha256()
    stamp.update(f"{numba.__version__} {sys.version}".encode())
    for name in _KERNEL_SOURCES:
        st = (_PACKAGE / name).stat()
        stamp.update(f"{name} {st.st_size} {st.st_mtime_ns}".encode())
    return Path(_numba_env.CACHE_DIR) / f"warm-{part}-{stamp.hexdigest()[:16]}"
