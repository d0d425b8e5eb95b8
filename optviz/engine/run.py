"""``simulate``: run every optimizer configuration from every start, in parallel.

The request is validated into a frozen ``RunSpec``; ``execute`` lays the O x S runs out
as blocks of one configuration each (time loop outside, runs inside, state in
contiguous arrays), or, when configurations have fewer starts than a block, as
heterogeneous blocks of one opcode (``mixed.py``); it advances them with the generated
numba kernels and returns a ``Result`` of fresh arrays. Long runs go in chunks of
steps so a caller can watch progress and cancel between chunks.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..optimizers.spec import Optimizer
from ..surfaces.surface import Surface, as_surface, check_points
from .noise import Noise

RECORD_MODES = ("full", "final")
BACKENDS = ("cpu", "auto", "cuda")
#: Full records larger than this are refused with advice (record_every / "final").
MAX_RECORD_BYTES = 8 * 2**30
#: Working memory beyond the record (see ``check_work``) larger than this is refused.
MAX_WORK_BYTES = 8 * 2**30
#: Bytes of working memory per run (position, optimizer state, gradient, bookkeeping)
#: and per step of one configuration's schedule tables (learning rate and momentum,
#: float64, with the copy ``np.stack`` makes).
RUN_BYTES = 256
TABLE_STEP_BYTES = 32
#: Trajectories per block: enough to fill SIMD lanes and pipelines, small enough that a
#: block's state stays in the L1/L2 cache.
BLOCK_SIZE = 256
#: Run-steps per chunk when a caller watches progress or may cancel (about 20-50 ms).
CHUNK_WORK = 2_000_000


class Cancelled(Exception):
    """Raised by ``execute`` when its ``cancel`` callback returned True."""


@dataclass(frozen=True, slots=True)
class RunSpec:
    """A validated simulation request. Build it with ``RunSpec.build``."""

    surface: Surface
    optimizers: tuple[Optimizer, ...]
    starts: tuple[tuple[float, float], ...]
    steps: int
    noise: Noise | None
    record: str
    record_every: int
    tol: float
    backend: str

    @classmethod
    def build(
        cls,
        surface: str | Surface,
        optimizers: Optimizer | Iterable[Optimizer],
        starts: Any = None,
        steps: int = 500,
        noise: Noise | None = None,
        backend: str = "cpu",
        record: str = "full",
        record_every: int = 1,
        tol: float = 1e-3,
    ) -> RunSpec:
        surface = as_surface(surface)
        if isinstance(optimizers, Optimizer):
            optimizers = (optimizers,)
        try:
            optimizers = tuple(optimizers)
        except TypeError:
            raise ValueError("optimizers must be an optviz.Optimizer or a list of them") from None
        if not optimizers:
            raise ValueError("give at least one optimizer")
        for o in optimizers:
            if not isinstance(o, Optimizer):
                raise ValueError(f"optimizers must be optviz.Optimizer instances, not {o!r}")
        starts = check_points(surface.starts if starts is None else starts)
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise ValueError(f"steps={steps!r} must be an integer >= 1")
        if noise is not None and not isinstance(noise, Noise):
            raise ValueError(f"noise must be an optviz.Noise or None, not {noise!r}")
        from ..surfaces.composite import check_noise

        check_noise(surface, noise, int(steps))  # minibatches need a dataset surface
        if backend not in BACKENDS:
            raise ValueError(f"backend={backend!r}; choose one of: {', '.join(BACKENDS)}")
        if backend == "cuda":
            raise ValueError(
                "backend='cuda' is not available in this version of optviz; use 'cpu' (or 'auto')"
            )
        if record not in RECORD_MODES:
            raise ValueError(f"record={record!r}; choose one of: {', '.join(RECORD_MODES)}")
        if (
            isinstance(record_every, bool)
            or not isinstance(record_every, (int, np.integer))
            or not 1 <= record_every <= steps
        ):
            raise ValueError(f"record_every={record_every!r} must be an integer in [1, steps]")
        if (
            isinstance(tol, bool)
            or not isinstance(tol, (int, float))
            or not (math.isfinite(tol) and tol >= 0)
        ):
            raise ValueError(f"tol={tol!r} must be a finite number >= 0")
        spec = cls(
            surface,
            optimizers,
            starts,
            int(steps),
            noise,
            record,
            int(record_every),
            float(tol),
            "cpu",
        )
        if record == "full":
            need = spec.n_runs * (spec.steps // spec.record_every + 1) * 16
            if need > MAX_RECORD_BYTES:
                raise ValueError(
                    f"recording every step of {spec.n_runs} runs x {spec.steps} steps needs "
                    f"{need / 2**30:.1f} GiB; use record_every=k or record='final'"
                )
        check_work(spec.n_runs, len(optimizers), spec.steps)
        return spec

    @property
    def n_runs(self) -> int:
        return len(self.optimizers) * len(self.starts)

    @property
    def n_recorded(self) -> int:
        """Recorded positions per run: steps 0, k, 2k, ... (k = record_every)."""
        return self.steps // self.record_every + 1


def check_work(n_runs: int, n_tables: int, steps: int) -> None:
    """``ValueError`` when ``n_runs`` runs with ``n_tables`` schedule tables of ``steps``
    steps need more than ``MAX_WORK_BYTES`` of working memory (whatever is recorded)."""
    need = n_runs * RUN_BYTES + n_tables * steps * TABLE_STEP_BYTES
    if need > MAX_WORK_BYTES:
        raise ValueError(
            f"{n_runs} runs x {steps} steps need {need / 2**30:.1f} GiB of working memory "
            f"(at most {MAX_WORK_BYTES / 2**30:.0f} GiB); use fewer starts, optimizers, "
            "configurations or steps"
        )


def simulate(
    surface: str | Surface,
    optimizers: Optimizer | Sequence[Optimizer],
    starts: Any = None,
    steps: int = 500,
    noise: Noise | None = None,
    backend: str = "cpu",
    record: str = "full",
    record_every: int = 1,
    tol: float = 1e-3,
    record_grads: bool = False,
) -> Result:
    """Run every optimizer from every start on ``surface``.

    Parameters
    ----------
    surface
        A preset name (``optviz.PRESET_NAMES``) or an ``optviz.Surface``.
    optimizers
        One ``optviz.Optimizer`` or a sequence of O of them.
    starts
        Array-like float[S, 2]; ``None`` takes the surface's default starts.
    steps
        Optimizer steps per run (>= 1).
    noise
        ``optviz.Noise`` added to every gradient, or ``None``.
    backend
        ``"cpu"`` (or ``"auto"``, which is the CPU in this version).
    record
        ``"full"``: positions every ``record_every`` steps; ``"final"``: only the final
        position, the step each run first came within ``tol`` of a known minimum, and
        the divergence step (memory independent of ``steps``).
    record_every
        Keep every k-th step of the history (``"full"`` only).
    tol
        Distance to a known minimum that counts as arrived (``Result.hit_step``).
    record_grads
        Record gradients and effective learning rates during the run. Otherwise they
        are computed on first access by replaying the run, which gives the same values.

    Returns
    -------
    Result
        ``xy`` float64[O, S, T'+1, 2], ``loss`` float64[O, S, T'+1],
        ``grad`` and ``effective_lr`` float64[O, S, T', 2], ``lr`` float64[O, steps],
        ``diverged`` and ``hit_step`` int64[O, S] (T' = steps // record_every).
    """
    spec = RunSpec.build(
        surface, optimizers, starts, steps, noise, backend, record, record_every, tol
    )
    return execute(spec, record_grads=record_grads)


#: Float64 values per cache line: blocks start their working arrays on a line boundary.
_LINE = 8


def _blocks(n_cfg: int, n_starts: int) -> tuple[np.ndarray, ...]:
    """Partition the runs into blocks of one configuration.

    Returns int64 arrays (cfg, lo, hi, plo): block b holds runs lo:hi of configuration
    cfg; in the working arrays it starts at plo, a multiple of a cache line, so threads
    advancing neighbouring blocks never write to the same line (that false sharing made
    small blocks 4x slower).
    """
    threads = _threads()
    per_cfg = math.ceil(n_starts / BLOCK_SIZE)
    # With few configurations, split further so every thread has work.
    per_cfg = min(n_starts, max(per_cfg, math.ceil(2 * threads / n_cfg)))
    size = math.ceil(n_starts / per_cfg)
    cfg, lo, hi, plo = [], [], [], []
    padded = 0
    for o in range(n_cfg):
        for s0 in range(0, n_starts, size):
            n = min(n_starts, s0 + size) - s0
            cfg.append(o)
            lo.append(o * n_starts + s0)
            hi.append(o * n_starts + s0 + n)
            plo.append(padded)
            padded += -(-n // _LINE) * _LINE
    return tuple(np.array(v, dtype=np.int64) for v in (cfg, lo, hi, plo))


def _threads() -> int:
    from numba import get_num_threads

    return get_num_threads()


def cancel_test(
    progress: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | threading.Event | None,
) -> Callable[[], bool] | None:
    """``cancel`` as a callable (``None`` if not given), once ``progress`` and ``cancel``
    are checked: a ``TypeError`` naming the wrong one before any work, not after a chunk."""
    if progress is not None and not callable(progress):
        raise TypeError(f"progress is a callable(done, total), not {type(progress).__name__}")
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    if cancel is not None and not callable(cancel):
        raise TypeError(f"cancel is a callable or a threading.Event, not {type(cancel).__name__}")
    return cancel


def step_chunks(
    steps: int,
    every: int,
    n_runs: int,
    progress: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | threading.Event | None,
) -> Iterator[tuple[int, int]]:
    """The (t_begin, t_end) step ranges a run of ``n_runs`` runs goes in.

    One range unless someone watches (``progress`` or ``cancel``); then ranges of about
    ``CHUNK_WORK`` run-steps, ending on recorded steps (multiples of ``every``) so the
    record loop stays simple. ``cancel`` is polled before each range (``Cancelled`` when
    set) and ``progress(done, steps)`` is called after each.
    """
    is_cancelled = cancel_test(progress, cancel)
    watched = progress is not None or is_cancelled is not None
    chunk = max(1, CHUNK_WORK // n_runs) if watched else steps
    if chunk < steps:
        chunk = max(every, chunk - chunk % every)
    t = 0
    while t < steps:
        if is_cancelled is not None and is_cancelled():
            raise Cancelled()
        t_end = min(steps, t + chunk)
        yield t, t_end
        t = t_end
        if progress is not None:
            progress(t, steps)


def execute(
    spec: RunSpec,
    record_grads: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | threading.Event | None = None,
    layout: str = "auto",
) -> Result:
    """Run ``spec`` and return its ``Result``.

    ``progress(done_steps, total_steps)`` is called after every chunk; ``cancel`` (a
    callable or an Event) is polled between chunks, and ``Cancelled`` is raised when it
    is set. Without either, the whole run is one kernel call.

    ``layout``: "blocks" (blocks of one configuration), "mixed" (heterogeneous blocks of
    one opcode, ``engine/mixed.py``; same results, bit for bit) or "auto", which packs
    configurations with fewer starts than a block into heterogeneous blocks.
    """
    if layout not in ("auto", "blocks", "mixed"):
        raise ValueError(f"layout={layout!r}; choose one of: auto, blocks, mixed")
    k = spec.surface.kernels
    mixed_ok = not record_grads and hasattr(k, "run_mixed")
    if layout == "mixed" and not mixed_ok:
        raise ValueError("layout='mixed' records no gradients and needs a mixed kernel")
    if layout == "mixed" or (
        layout == "auto" and mixed_ok and len(spec.starts) < BLOCK_SIZE and len(spec.optimizers) > 1
    ):
        from .mixed import execute_mixed

        return execute_mixed(spec, progress=progress, cancel=cancel)
    n_cfg, n_starts, steps = len(spec.optimizers), len(spec.starts), spec.steps
    n_runs = n_cfg * n_starts
    codes = np.array([o.info.opcode for o in spec.optimizers], dtype=np.int64)
    hps = np.array([o.packed_row() for o in spec.optimizers], dtype=np.float64)
    lr_table = np.stack([o.lr_values(steps) for o in spec.optimizers])
    mom_table = np.stack([o.momentum_values(steps) for o in spec.optimizers])
    starts = np.array(spec.starts, dtype=np.float64)
    block_cfg, block_lo, block_hi, block_plo = _blocks(n_cfg, n_starts)
    start_of_run = np.tile(np.arange(n_starts, dtype=np.int64), n_cfg)
    # Working arrays use the padded layout: run r lives at column padded[r].
    padded = np.repeat(block_plo - block_lo, block_hi - block_lo) + np.arange(n_runs)
    width = int(block_plo[-1] + block_hi[-1] - block_lo[-1])

    X = np.zeros((2, width))
    X[:, padded] = np.tile(starts, (n_cfg, 1)).T
    S = np.empty((3, 2, width))
    G, Q, E, C = (np.zeros((2, width)) for _ in range(4))
    L, B = np.empty(width), np.empty(width)
    divs = np.full(width, -1, dtype=np.int64)
    hits = np.full(width, -1, dtype=np.int64)
    minima = spec.surface.minima_array
    if len(minima):
        d2 = ((starts[:, None, :] - minima[None]) ** 2).sum(-1).min(1)
        hits[padded] = np.tile(np.where(d2 <= spec.tol**2, 0, -1), n_cfg)

    every = spec.record_every
    full = spec.record == "full"
    xy = np.empty((n_runs, spec.n_recorded, 2) if full else (0, 0, 2))
    extra = full and record_grads
    grad = np.empty((n_runs, steps // every, 2) if extra else (0, 0, 2))
    elr = np.empty_like(grad)

    noise_std = spec.noise.effective_std if spec.noise else 0.0
    seed = int(spec.noise.seed) if spec.noise else 0
    surface_args = spec.surface.run_args(spec.noise, steps)  # minibatch table, if any
    began = time.perf_counter()
    k.init_runs(codes, hps, block_cfg, block_lo, block_hi, block_plo, S)
    for t, t_end in step_chunks(steps, every, n_runs, progress, cancel):
        k.run_blocks(
            spec.surface.kernel_id,
            spec.surface.row,
            *surface_args,
            codes,
            hps,
            lr_table,
            mom_table,
            start_of_run,
            seed,
            noise_std,
            t,
            t_end,
            every,
            spec.tol**2,
            minima,
            block_cfg,
            block_lo,
            block_hi,
            block_plo,
            X,
            S,
            G,
            Q,
            E,
            C,
            L,
            B,
            divs,
            hits,
            xy,
            grad,
            elr,
            full,
            extra,
        )
    elapsed = time.perf_counter() - began

    shape = (n_cfg, n_starts)
    return Result(
        spec=spec,
        xy=xy.reshape(shape + xy.shape[1:]) if full else None,
        final_xy=np.ascontiguousarray(X[:, padded].T).reshape(shape + (2,)),
        diverged=divs[padded].reshape(shape),
        hit_step=hits[padded].reshape(shape),
        lr=lr_table,
        momentum=mom_table,
        grad=grad.reshape(shape + grad.shape[1:]) if extra else None,
        effective_lr=elr.reshape(shape + elr.shape[1:]) if extra else None,
        elapsed=elapsed,
    )


class Result:
    """What a run produced. Arrays are fresh and owned by the result.

    Attributes
    ----------
    xy : float64[O, S, T'+1, 2]
        Positions at steps 0, k, 2k, ... (k = ``record_every``; T' = steps // k);
        ``xy[:, :, 0]`` are the starts. NaN after a run diverged. ``None`` when
        ``record="final"``.
    final_xy : float64[O, S, 2]
        Position after the last step.
    diverged : int64[O, S]
        First step at which the run left the finite range, -1 if never.
    hit_step : int64[O, S]
        First step at which the run came within ``tol`` of a known minimum, -1 if never.
    lr : float64[O, steps]
        Scheduled learning rate at steps 1..steps.
    momentum : float64[O, steps]
        Momentum at steps 1..steps (0 for optimizers without momentum).
    loss, grad, effective_lr
        Derived or replayed on first access (see the properties).
    elapsed : float
        Seconds spent in the kernels.
    """

    def __init__(
        self, spec, xy, final_xy, diverged, hit_step, lr, momentum, grad, effective_lr, elapsed
    ):
        self.spec: RunSpec = spec
        self.xy = xy
        self.final_xy = final_xy
        self.diverged = diverged
        self.hit_step = hit_step
        self.lr = lr
        self.momentum = momentum
        self._grad = grad
        self._effective_lr = effective_lr
        self._loss = None
        self.elapsed = elapsed

    @property
    def steps(self) -> int:
        return self.spec.steps

    @property
    def record_every(self) -> int:
        return self.spec.record_every

    @property
    def recorded_steps(self) -> np.ndarray:
        """int64[T'+1]: the step number of each recorded position."""
        return np.arange(self.spec.n_recorded, dtype=np.int64) * self.spec.record_every

    @property
    def labels(self) -> list[str]:
        return [o.label for o in self.spec.optimizers]

    @property
    def steps_per_second(self) -> float:
        """Optimizer steps (all runs) per second of kernel time."""
        return self.spec.n_runs * self.spec.steps / max(self.elapsed, 1e-12)

    @property
    def loss(self) -> np.ndarray:
        """float64[O, S, T'+1] (or [O, S] with ``record="final"``): loss at ``xy``."""
        if self._loss is None:
            points = self.xy if self.xy is not None else self.final_xy
            self._loss = self.spec.surface.f(points[..., 0], points[..., 1])
        return self._loss

    @property
    def final_loss(self) -> np.ndarray:
        """float64[O, S]: loss at the final positions."""
        return self.spec.surface.f(self.final_xy[..., 0], self.final_xy[..., 1])

    @property
    def grad(self) -> np.ndarray:
        """float64[O, S, T', 2]: the gradient each optimizer used at each recorded step
        (at the look-ahead point for ``nag``, noise included)."""
        self._ensure_history()
        return self._grad

    @property
    def effective_lr(self) -> np.ndarray:
        """float64[O, S, T', 2]: per-coordinate effective learning rate of each step."""
        self._ensure_history()
        return self._effective_lr

    def _ensure_history(self) -> None:
        if self._grad is not None:
            return
        if self.spec.record != "full":
            raise ValueError("record='final' keeps no per-step history; run with record='full'")
        replay = execute(self.spec, record_grads=True)
        self._grad, self._effective_lr = replay._grad, replay._effective_lr

    def __repr__(self) -> str:
        return (
            f"<optviz.Result {len(self.spec.optimizers)} optimizers x {len(self.spec.starts)} "
            f"starts x {self.spec.steps} steps on {self.spec.surface.name!r}, "
            f"{self.steps_per_second / 1e6:.1f} M steps/s>"
        )
