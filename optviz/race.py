"""Races: several optimizers from the same start(s), with a finish line and a leaderboard.

``race`` runs every optimizer in one engine call (recording every step, for the
animation) and the kernel marks, per run, the first step at which the ``Finish``
condition held. ``RaceResult.leaderboard(step)`` ranks the optimizers as they stand at
any step of the playback.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine.mixed import execute_mixed
from .engine.noise import Noise
from .engine.run import Cancelled, Result, RunSpec, cancel_test
from .optimizers.spec import Optimizer
from .surfaces.surface import Surface, as_surface

#: Finish-line kinds: "loss" (loss - f_min <= threshold; absolute loss <= threshold when
#: the surface has no known f_min), "distance" (to the nearest known minimum) and
#: "grad_norm" (Euclidean norm of the true gradient, noise excluded).
FINISH_KINDS = ("loss", "distance", "grad_norm")
#: Race statuses, in leaderboard order.
STATUSES = ("finished", "running", "stuck", "diverged")
#: Defaults of the "stuck" test (see ``RaceResult``): the window in steps, and the
#: fraction of the gap to f_min a run must close per window to count as progressing.
STUCK_WINDOW = 50
STUCK_RTOL = 1e-6


@dataclass(frozen=True, slots=True)
class Finish:
    """A finish condition: ``kind`` in ``FINISH_KINDS`` and a ``threshold`` > 0.

    >>> Finish("loss", 1e-4).describe()
    'loss - f_min <= 0.0001'
    """

    kind: str
    threshold: float

    def __post_init__(self) -> None:
        if self.kind not in FINISH_KINDS:
            raise ValueError(f"finish kind {self.kind!r}; choose one of: {', '.join(FINISH_KINDS)}")
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, (int, float, np.floating, np.integer)):
            raise ValueError(f"finish threshold must be a number > 0, not {t!r}")
        if not (math.isfinite(t) and t > 0):
            raise ValueError(f"finish threshold={t!r} must be a finite number > 0")
        object.__setattr__(self, "threshold", float(t))

    @classmethod
    def default_for(cls, surface: str | Surface) -> Finish:
        """Distance 1e-3 x the view-box diagonal to a known minimum; without known minima,
        loss - f_min <= 1e-4 when f_min is known, else gradient norm <= 1e-3."""
        s = as_surface(surface)
        if s.minima:
            (x0, x1), (y0, y1) = s.view
            return cls("distance", 1e-3 * math.hypot(x1 - x0, y1 - y0))
        if s.f_min is not None:
            return cls("loss", 1e-4)
        return cls("grad_norm", 1e-3)

    def check(self, surface: Surface) -> None:
        """Raise ``ValueError`` if this condition cannot be measured on ``surface``."""
        if self.kind == "distance" and not surface.minima:
            raise ValueError(
                f"surface {surface.name!r} has no known minima: a 'distance' finish needs "
                "them; use 'loss' or 'grad_norm'"
            )

    def describe(self, surface: Surface | None = None) -> str:
        t = f"{self.threshold:g}"
        if self.kind == "distance":
            return f"distance to a known minimum <= {t}"
        if self.kind == "grad_norm":
            return f"|gradient| <= {t}"
        if surface is not None and surface.f_min is None:
            return f"loss <= {t}"
        return f"loss - f_min <= {t}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, d: Any) -> Finish:
        if not isinstance(d, dict) or set(d) != {"kind", "threshold"}:
            raise ValueError(f"a finish entry needs exactly 'kind' and 'threshold': {d!r}")
        return cls(d["kind"], d["threshold"])


def resolve_finish(finish: Finish | None, surface: Surface) -> Finish:
    """``finish`` checked against ``surface`` (``None``: ``Finish.default_for``)."""
    if finish is None:
        finish = Finish.default_for(surface)
    if not isinstance(finish, Finish):
        raise ValueError(f"finish must be an optviz.Finish or None, not {finish!r}")
    finish.check(surface)
    return finish


def finish_mask(surface: Surface, finish: Finish, xy: np.ndarray) -> np.ndarray:
    """bool[...]: where positions ``xy`` float64[..., 2] satisfy ``finish`` (NaN: False).

    The kernel tracks the same conditions during a run; this is the NumPy statement of
    them, for recorded paths and for checking the kernel.
    """
    x, y = xy[..., 0], xy[..., 1]
    with np.errstate(invalid="ignore", over="ignore"):  # huge values just fail the test
        if finish.kind == "distance":
            m = surface.minima_array
            d2 = (x[..., None] - m[:, 0]) ** 2 + (y[..., None] - m[:, 1]) ** 2
            return (d2 <= finish.threshold**2).any(-1)
        if finish.kind == "loss":
            ref = surface.f_min if surface.f_min is not None else 0.0
            return surface.f(x, y) - ref <= finish.threshold
        g = surface.grad(x, y)
        return g[..., 0] * g[..., 0] + g[..., 1] * g[..., 1] <= finish.threshold**2


@dataclass(frozen=True, slots=True)
class LeaderRow:
    """One leaderboard line as things stand at a step of the race.

    ``finish_step`` / ``diverged_step`` are -1 unless that happened by the step;
    ``loss`` is the mean loss over the starts at the step (NaN once diverged).
    """

    rank: int
    index: int
    label: str
    status: str
    finish_step: int
    diverged_step: int
    loss: float


class RaceResult:
    """What ``race`` produced.

    Attributes
    ----------
    result : optviz.Result
        The engine result (``xy`` float64[O, S, steps+1, 2], every step recorded).
    finish : Finish
    finish_steps : int64[O, S]
        First step at which each run met the finish condition (0 = the start), -1 never.
    finish_step : int64[O]
        First step at which ALL of an optimizer's starts had finished, -1 if some never did.
    diverged_step : int64[O]
        First step at which any of its starts diverged, -1 if none did.
    loss : float64[O, steps+1]
        Mean loss over the starts at each step (NaN after a start diverged).
    best_loss : float64[O, steps+1]
        The lowest ``loss`` up to each step (NaN from a divergence on).
    stuck_window, stuck_rtol
        An optimizer is "stuck" at step t >= w (``stuck_window``) when it has neither
        finished nor diverged by t and made no net progress over the last w steps: neither
        did its best loss fall (``best_loss[t - w] - best_loss[t]``) nor did it descend
        (every loss in (t - w, t] below every loss in (t - 2w, t - w], cut at step 0) by
        more than ``stuck_rtol`` x its gap above the reference (f_min, or 0 without one),
        ``|best_loss[t - w] - ref|``; so stuck means that at the pace of the last w steps
        closing that gap would take over 1/rtol windows. A run settled at a saddle or in a
        local minimum, or bouncing without a new low, is stuck; one that keeps setting new
        lows, however much it zig-zags on the way, or that descends steadily (back down
        after an overshoot, say) is running. A swing longer than w reads stuck while it
        climbs away from its best and running as it comes back down.
    """

    def __init__(self, result, finish: Finish, stuck_window: int, stuck_rtol: float):
        self.result = result
        self.finish = finish
        self.stuck_window = stuck_window
        self.stuck_rtol = stuck_rtol
        self.finish_steps = result.finish_step
        fs = self.finish_steps
        self.finish_step = np.where((fs >= 0).all(1), fs.max(1), -1).astype(np.int64)
        dv = result.diverged
        big = np.iinfo(np.int64).max
        first = np.where(dv >= 0, dv, big).min(1)
        self.diverged_step = np.where(first == big, -1, first).astype(np.int64)
        with np.errstate(over="ignore"):  # huge losses of a run diverging: inf, no warning
            self.loss = result.loss.mean(axis=1)
        self.best_loss = np.minimum.accumulate(self.loss, axis=1)
        s = result.spec.surface
        self._ref = float(s.f_min) if s.f_min is not None else 0.0

    @property
    def labels(self) -> list[str]:
        return self.result.labels

    @property
    def steps(self) -> int:
        return self.result.steps

    def _step(self, step: int) -> int:
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise ValueError(f"step must be an integer, not {step!r}")
        return int(min(max(step, 0), self.steps))

    def _event(self, o: int, step: int) -> tuple[int, int]:
        """(finish step, diverged step) of optimizer o if they happened by ``step``; the
        later of the two does not count (a run that finished has left the race)."""
        f, d = int(self.finish_step[o]), int(self.diverged_step[o])
        f = f if 0 <= f <= step else -1
        d = d if 0 <= d <= step else -1
        if f >= 0 and d >= 0:
            if f <= d:
                d = -1
            else:
                f = -1
        return f, d

    def _stuck(self, step: int) -> np.ndarray:
        """bool[O]: whether each optimizer made no net progress over the ``stuck_window``
        steps up to ``step`` (see the class docstring); False where a loss is NaN."""
        w = self.stuck_window
        if step < w:
            return np.zeros(len(self.labels), dtype=bool)
        best = self.best_loss
        recent = self.loss[:, step - w + 1 : step + 1]
        earlier = self.loss[:, max(step - 2 * w + 1, 0) : step - w + 1]
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: NaN, not stuck
            new_low = best[:, step - w] - best[:, step]
            descent = earlier.min(axis=1) - recent.max(axis=1)
            gap = np.abs(best[:, step - w] - self._ref)
            return np.maximum(new_low, descent) <= self.stuck_rtol * gap

    def status_at(self, step: int) -> list[str]:
        """Status of each optimizer at ``step`` (clamped to [0, steps]): "finished",
        "diverged", "stuck" or "running"."""
        step = self._step(step)
        stuck = self._stuck(step)
        out = []
        for o in range(len(self.labels)):
            f, d = self._event(o, step)
            if f >= 0:
                out.append("finished")
            elif d >= 0:
                out.append("diverged")
            elif stuck[o]:
                out.append("stuck")
            else:
                out.append("running")
        return out

    def leaderboard(self, step: int) -> list[LeaderRow]:
        """Ranking at ``step``: finished first (earliest finish, then lower loss), then
        running by current loss, then stuck by current loss, diverged last (latest
        divergence first); ties keep the optimizers' order."""
        step = self._step(step)
        statuses = self.status_at(step)
        rows = []
        for o, status in enumerate(statuses):
            f, d = self._event(o, step)
            loss = float(self.loss[o, step])
            key_loss = loss if math.isfinite(loss) else math.inf
            if status == "finished":
                key = (0, f, key_loss)
            elif status == "running":
                key = (1, 0, key_loss)
            elif status == "stuck":
                key = (2, 0, key_loss)
            else:
                key = (3, -d, 0.0)
            rows.append((key, o, status, f, d, loss))
        rows.sort(key=lambda r: (r[0], r[1]))
        return [
            LeaderRow(rank, o, self.labels[o], status, f, d, loss)
            for rank, (_, o, status, f, d, loss) in enumerate(rows, start=1)
        ]


def race(
    surface: str | Surface,
    optimizers: Optimizer | Iterable[Optimizer],
    start: Any = None,
    steps: int = 500,
    finish: Finish | None = None,
    noise: Noise | None = None,
    stuck_window: int = STUCK_WINDOW,
    stuck_rtol: float = STUCK_RTOL,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | threading.Event | None = None,
) -> RaceResult:
    """Race ``optimizers`` from the same start(s) on ``surface`` for ``steps`` steps.

    ``start`` is one point (x, y) or float[S, 2]; ``None`` takes the surface's first
    default start. ``finish`` defaults to ``Finish.default_for(surface)``. Every step is
    recorded (memory O x S x steps x 16 bytes). ``progress(done, total)`` and
    ``cancel`` work as in ``optviz.execute``.
    """
    s = as_surface(surface)
    fin = resolve_finish(finish, s)
    if start is None:
        start = [s.starts[0]]
    stuck = _stuck_settings(stuck_window, stuck_rtol)
    spec = RunSpec.build(s, optimizers, start, steps, noise, record="full")
    result = execute_mixed(spec, (fin.kind, fin.threshold), progress=progress, cancel=cancel)
    return RaceResult(result, fin, *stuck)


def _stuck_settings(stuck_window: Any, stuck_rtol: Any) -> tuple[int, float]:
    if (
        isinstance(stuck_window, bool)
        or not isinstance(stuck_window, (int, np.integer))
        or stuck_window < 1
    ):
        raise ValueError(f"stuck_window={stuck_window!r} must be an integer >= 1")
    if not (
        isinstance(stuck_rtol, (int, float, np.integer, np.floating))
        and not isinstance(stuck_rtol, bool)
        and 0 <= stuck_rtol < 1
    ):
        raise ValueError(f"stuck_rtol={stuck_rtol!r} must be a number in [0, 1)")
    return int(stuck_window), float(stuck_rtol)


def race_of(
    result,
    finish: Finish | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | threading.Event | None = None,
    stuck_window: int = STUCK_WINDOW,
    stuck_rtol: float = STUCK_RTOL,
) -> RaceResult:
    """The race of an engine ``result``: what ``optviz.race`` returns for its surface,
    optimizers, starts, steps and noise with ``finish``, without running them again.

    ``result.xy`` float64[O, S, T+1, 2] holds every step (the window's runs do), so each
    run's finish step is the first step whose position meets ``finish``
    (``optviz.race.finish_mask``, which states the kernel's test; positions are NaN from a
    divergence on, so a diverged run finishes no later, as in the kernel). The race's
    result shares the arrays of ``result``. A result recorded more sparsely is raced anew.
    ``finish`` defaults to ``Finish.default_for(surface)``; ``progress(done, total)``,
    ``cancel`` and the stuck settings as in ``race``.
    """
    if not isinstance(result, Result):
        raise ValueError(f"race_of needs an optviz.Result (of optviz.simulate), not {result!r}")
    spec = result.spec
    if spec.record != "full" or spec.record_every != 1:
        return race(
            spec.surface,
            spec.optimizers,
            start=spec.starts,
            steps=spec.steps,
            finish=finish,
            noise=spec.noise,
            stuck_window=stuck_window,
            stuck_rtol=stuck_rtol,
            progress=progress,
            cancel=cancel,
        )
    finish = resolve_finish(finish, spec.surface)
    stuck = _stuck_settings(stuck_window, stuck_rtol)
    is_cancelled = cancel_test(progress, cancel)
    xy = result.xy
    finish_steps = np.full(xy.shape[:2], -1, dtype=np.int64)  # int64[O, S]
    for o in range(xy.shape[0]):  # one optimizer at a time: bounded memory, prompt cancel
        if is_cancelled is not None and is_cancelled():
            raise Cancelled
        reached = finish_mask(spec.surface, finish, xy[o])  # bool[S, T+1]
        finish_steps[o] = np.where(reached.any(-1), reached.argmax(-1), -1)
        if progress is not None:
            progress(o + 1, xy.shape[0])
    result.loss  # noqa: B018 (computed once, here, and cached for the window's metric panes)
    raced = copy.copy(result)  # a Result sharing the arrays (loss too), plus the finish steps
    raced.finish_step = finish_steps
    return RaceResult(raced, finish, *stuck)
