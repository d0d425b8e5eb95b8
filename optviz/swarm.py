"""Swarms: many starts per optimizer, and where each one ends up (basins of attraction).

``swarm`` runs every optimizer from a grid (or a random sample) of starts over the view
box with ``record="final"``, and classifies each run by the known minimum its final
position is within ``tol`` of.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine.noise import Noise
from .engine.run import RunSpec, execute
from .optimizers.spec import Optimizer
from .surfaces.surface import Surface, as_surface

#: Basin codes besides minimum indices.
NO_BASIN = -1
DIVERGED = -2
START_KINDS = ("grid", "random")
MAX_STARTS = 1_000_000


@dataclass(frozen=True, slots=True)
class SuccessRow:
    """Per optimizer: fraction of starts that reached a global minimum, fraction that
    diverged, and the median steps to converge of the starts that converged to any
    known minimum (NaN if none did)."""

    label: str
    global_rate: float
    diverged_rate: float
    median_steps: float


class SwarmResult:
    """What ``swarm`` produced.

    Attributes
    ----------
    starts : float64[S, 2]
        The starts. With ``grid_shape = (ny, nx)`` they are row-major: start
        ``i * nx + j`` is (xs[j], ys[i]) with ys increasing, so ``basin[o].reshape(ny, nx)``
        is an image whose row 0 is the bottom of the view.
    basin : int64[O, S]
        Index into ``minima`` of the known minimum the run's final position is within
        ``tol`` of; -1 (``NO_BASIN``) none (still moving, stuck, or elsewhere); -2
        (``DIVERGED``) diverged.
    steps_to_converge : int64[O, S]
        First step within ``tol`` of a known minimum, for runs with ``basin >= 0``; else -1.
    minima : float64[M, 2]; global_minima : list[int] (those with the lowest f)
    grid_shape : (ny, nx) or None
    tol : float; steps : int; labels : list[str]; elapsed : float (kernel seconds)
    """

    def __init__(self, result, starts, grid_shape, tol):
        s = result.spec.surface
        self.result = result
        self.starts = starts
        self.grid_shape = grid_shape
        self.tol = tol
        self.steps = result.steps
        self.labels = result.labels
        self.elapsed = result.elapsed
        self.minima = s.minima_array
        f = s.f(self.minima[:, 0], self.minima[:, 1])
        low = f.min()
        self.global_minima = [
            int(i) for i in np.flatnonzero(np.isclose(f, low, rtol=1e-9, atol=1e-12))
        ]
        xy = result.final_xy
        d2 = ((xy[:, :, None, :] - self.minima[None, None]) ** 2).sum(-1)
        with np.errstate(invalid="ignore"):
            nearest = np.argmin(np.where(np.isnan(d2), np.inf, d2), axis=-1)
            near = np.take_along_axis(d2, nearest[..., None], -1)[..., 0] <= tol * tol
        basin = np.where(near, nearest, NO_BASIN)
        self.basin = np.where(result.diverged >= 0, DIVERGED, basin).astype(np.int64)
        self.steps_to_converge = np.where(self.basin >= 0, result.hit_step, -1).astype(np.int64)

    def success_table(self) -> list[SuccessRow]:
        """One ``SuccessRow`` per optimizer."""
        rows = []
        glob = np.isin(self.basin, self.global_minima)
        for o, label in enumerate(self.labels):
            conv = self.steps_to_converge[o][self.basin[o] >= 0]
            rows.append(
                SuccessRow(
                    label,
                    float(glob[o].mean()),
                    float((self.basin[o] == DIVERGED).mean()),
                    float(np.median(conv)) if conv.size else math.nan,
                )
            )
        return rows

    def __repr__(self) -> str:
        return (
            f"<optviz.SwarmResult {len(self.labels)} optimizers x {len(self.starts)} starts x "
            f"{self.steps} steps>"
        )


def default_tol(surface: Surface) -> float:
    """1% of the view-box diagonal, at most a quarter of the closest two minima's distance
    (so the tol-discs around minima never overlap)."""
    (x0, x1), (y0, y1) = surface.view
    tol = 0.01 * math.hypot(x1 - x0, y1 - y0)
    m = surface.minima_array
    if len(m) > 1:
        d = np.sqrt(((m[:, None] - m[None]) ** 2).sum(-1))
        tol = min(tol, 0.25 * d[np.triu_indices(len(m), 1)].min())
    return tol


def swarm_starts(
    kind: str, n: int, view, seed: int = 0
) -> tuple[np.ndarray, tuple[int, int] | None]:
    """(starts float64[S, 2], grid_shape): a ``side x side`` grid of cell centres over
    ``view`` (side = round(sqrt(n))) or ``n`` uniform random points (``seed``)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_STARTS:
        raise ValueError(f"n={n!r} must be an integer in [1, {MAX_STARTS}]")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise ValueError(f"seed={seed!r} must be an integer in [0, 2**63)")
    (x0, x1), (y0, y1) = view
    if kind == "grid":
        side = max(1, round(math.sqrt(n)))
        xs = x0 + (np.arange(side) + 0.5) * (x1 - x0) / side
        ys = y0 + (np.arange(side) + 0.5) * (y1 - y0) / side
        gx, gy = np.meshgrid(xs, ys)  # rows = y
        return np.stack([gx.ravel(), gy.ravel()], axis=1), (side, side)
    if kind == "random":
        rng = np.random.default_rng(seed)
        return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=1), None
    raise ValueError(f"starts={kind!r}; choose one of: {', '.join(START_KINDS)}, or an array")


def _view(view: Any, surface: Surface):
    if view is None:
        return surface.view
    try:
        (x0, x1), (y0, y1) = view
        x0, x1, y0, y1 = (float(v) for v in (x0, x1, y0, y1))
    except (TypeError, ValueError):
        raise ValueError(f"view must be ((x0, x1), (y0, y1)), not {view!r}") from None
    if not all(map(math.isfinite, (x0, x1, y0, y1))) or not (x0 < x1 and y0 < y1):
        raise ValueError(f"view must be finite with x0 < x1 and y0 < y1, not {view!r}")
    return (x0, x1), (y0, y1)


def swarm(
    surface: str | Surface,
    optimizers: Optimizer | Iterable[Optimizer],
    starts: Any = "grid",
    n: int = 10_000,
    steps: int = 500,
    tol: float | None = None,
    view: Any = None,
    seed: int = 0,
    noise: Noise | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | threading.Event | None = None,
) -> SwarmResult:
    """Run every optimizer from many starts and classify where each run ends.

    ``starts``: "grid" (``round(sqrt(n))`` squared cell centres over ``view``, default the
    surface's view box), "random" (``n`` uniform points, ``seed``) or float[S, 2].
    ``tol`` (default ``default_tol(surface)``): distance to a known minimum that counts
    as converged. Needs a surface with known minima.
    """
    s = as_surface(surface)
    if not s.minima:
        raise ValueError(f"surface {s.name!r} has no known minima: a swarm classifies by them")
    if isinstance(starts, str):
        pts, grid_shape = swarm_starts(starts, n, _view(view, s), seed)
    else:
        pts, grid_shape = starts, None
    if tol is None:
        tol = default_tol(s)
    if (
        isinstance(tol, bool)
        or not isinstance(tol, (int, float, np.integer, np.floating))
        or not (math.isfinite(tol) and tol > 0)
    ):
        raise ValueError(f"tol={tol!r} must be a finite number > 0")
    spec = RunSpec.build(s, optimizers, pts, steps, noise, record="final", tol=float(tol))
    if len(spec.starts) > MAX_STARTS:
        raise ValueError(f"{len(spec.starts)} starts; at most {MAX_STARTS} per optimizer")
    result = execute(spec, progress=progress, cancel=cancel)
    return SwarmResult(result, np.array(spec.starts, dtype=np.float64), grid_shape, float(tol))
