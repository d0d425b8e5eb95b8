"""Heterogeneous blocks: many configurations of one optimizer advanced together.

``run.execute`` lays runs out as blocks of ONE configuration; a sweep of 10^4
configurations x 1 start would then be 10^4 blocks of one run, and the per-block-step
overhead (dispatch, views, the step's constants) would dominate. Here a block holds up
to ``BLOCK_SIZE`` runs of one opcode with per-run hyperparameter rows, learning rates and
momenta: the generated ``run_mixed`` kernel computes each run's step constants with the
same ``R.NAME_consts`` body as the homogeneous kernel, so the results are the same bits.

This path also tracks a finish condition per run (``fins``): the first step at which the
distance to a known minimum, the loss above a reference, or the gradient norm fell
under a threshold. ``execute_mixed`` returns a ``run.Result`` with an extra attribute
``finish_step`` int64[O, S] (-1 if never; all -1 without a finish condition).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..surfaces.surface import Surface
from . import run as _run  # CHUNK_WORK / BLOCK_SIZE read at call time (tests patch them)
from .noise import Noise
from .run import Result, RunSpec, _threads

#: Finish kinds as the kernel numbers them (``fin_kind``).
FINISH_CODES = {"distance": 0, "loss": 1, "grad_norm": 2}
_LINE = 8  # float64 values per cache line: blocks start on a line boundary


def _dedup_rows(spec: RunSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lr_tab float64[steps, A], lr_row int64[O], mom_tab float64[steps, B], mom_row int64[O]).

    Configurations with the same schedule and base value share a table column: a 100 x 100
    sweep needs 100 + 100 columns instead of 2 x 10^4 rows of ``steps`` values.
    """
    steps = spec.steps
    lr_key: dict = {}
    mom_key: dict = {}
    lr_cols: list[np.ndarray] = []
    mom_cols: list[np.ndarray] = []
    lr_row = np.empty(len(spec.optimizers), dtype=np.int64)
    mom_row = np.empty(len(spec.optimizers), dtype=np.int64)
    for i, o in enumerate(spec.optimizers):
        key = (o.schedule, o.params.get("lr", 0.0))
        if key not in lr_key:
            lr_key[key] = len(lr_cols)
            lr_cols.append(o.lr_values(steps))
        lr_row[i] = lr_key[key]
        name = o.info.momentum_param
        key = (
            name is not None and o.momentum_schedule,
            o.beta_max if o.momentum_schedule != "constant" else None,
            o.params[name] if name is not None and o.momentum_schedule == "constant" else None,
        )
        if key not in mom_key:
            mom_key[key] = len(mom_cols)
            mom_cols.append(o.momentum_values(steps))
        mom_row[i] = mom_key[key]
    return (
        np.ascontiguousarray(np.stack(lr_cols, axis=1)),
        lr_row,
        np.ascontiguousarray(np.stack(mom_cols, axis=1)),
        mom_row,
    )


def mixed_layout(codes: np.ndarray, n_starts: int, threads: int | None = None):
    """Pack the runs (configuration-major, start-minor) into blocks of one opcode.

    Returns ``(block_code, block_lo, block_hi, RI_run)``: block b covers working columns
    block_lo[b]:block_hi[b] (each block starts on a cache line so threads never share
    one); ``RI_run`` int64[3, width] gives per column the configuration, start index and
    run index (configuration * n_starts + start), -1 in padding columns.
    """
    threads = _threads() if threads is None else threads
    n_runs = len(codes) * n_starts
    # Enough blocks to keep every thread busy, but never more than BLOCK_SIZE runs each.
    size = max(1, min(_run.BLOCK_SIZE, math.ceil(n_runs / (2 * threads))))
    block_code, block_lo, block_hi = [], [], []
    cfg_cols, start_cols, run_cols = [], [], []
    width = 0
    for code in np.unique(codes):
        cfgs = np.flatnonzero(codes == code)
        runs = (cfgs[:, None] * n_starts + np.arange(n_starts)[None, :]).ravel()
        n_blocks = math.ceil(len(runs) / size)
        for part in np.array_split(runs, n_blocks):
            n = len(part)
            pad = -(-n // _LINE) * _LINE - n
            block_code.append(int(code))
            block_lo.append(width)
            block_hi.append(width + n)
            run_cols.append(np.concatenate([part, np.full(pad, -1)]))
            width += n + pad
    runs = np.concatenate(run_cols).astype(np.int64)
    valid = runs >= 0
    cfg_cols = np.where(valid, runs // n_starts, -1)
    start_cols = np.where(valid, runs % n_starts, -1)
    ri = np.stack([cfg_cols, start_cols, runs]).astype(np.int64)
    return (
        np.array(block_code, dtype=np.int64),
        np.array(block_lo, dtype=np.int64),
        np.array(block_hi, dtype=np.int64),
        ri,
    )


@dataclass(frozen=True)
class MixedInputs:
    """The per-configuration engine inputs of O configurations.

    codes int64[O] (opcodes), hps float64[O, ROW_WIDTH] (hyperparameter rows),
    lr_tab float64[steps, A] and mom_tab float64[steps, B] (schedule columns, shared by
    configurations), lr_row / mom_row int64[O] (each configuration's column).
    """

    codes: np.ndarray
    hps: np.ndarray
    lr_tab: np.ndarray
    lr_row: np.ndarray
    mom_tab: np.ndarray
    mom_row: np.ndarray

    @classmethod
    def from_spec(cls, spec: RunSpec) -> MixedInputs:
        lr_tab, lr_row, mom_tab, mom_row = _dedup_rows(spec)
        return cls(
            np.array([o.info.opcode for o in spec.optimizers], dtype=np.int64),
            np.array([o.packed_row() for o in spec.optimizers], dtype=np.float64),
            lr_tab,
            lr_row,
            mom_tab,
            mom_row,
        )

    def take(self, lo: int, hi: int) -> MixedInputs:
        """Configurations lo:hi (the schedule tables are shared, not sliced)."""
        return MixedInputs(
            self.codes[lo:hi],
            self.hps[lo:hi],
            self.lr_tab,
            self.lr_row[lo:hi],
            self.mom_tab,
            self.mom_row[lo:hi],
        )


@dataclass
class MixedOutput:
    """Arrays of a heterogeneous run: final_xy float64[O, S, 2]; diverged, hit_step and
    finish_step int64[O, S]; xy float64[O, S, T'+1, 2] or None; elapsed kernel seconds."""

    final_xy: np.ndarray
    diverged: np.ndarray
    hit_step: np.ndarray
    finish_step: np.ndarray
    xy: np.ndarray | None
    elapsed: float


def run_mixed_inputs(
    surface: Surface,
    inputs: MixedInputs,
    starts: np.ndarray,
    steps: int,
    noise: Noise | None = None,
    tol: float = 1e-3,
    finish: tuple[str, float] | None = None,
    record: str = "final",
    record_every: int = 1,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | threading.Event | None = None,
) -> MixedOutput:
    """Advance every configuration of ``inputs`` from every start (float64[S, 2]).

    The arguments are trusted (``execute_mixed`` and ``optviz.sweep`` validate them);
    ``finish`` as in ``execute_mixed``.
    """
    k = surface.kernels
    codes, hps = inputs.codes, inputs.hps
    n_cfg, n_starts = len(codes), len(starts)
    n_runs = n_cfg * n_starts
    block_code, block_lo, block_hi, ri_run = mixed_layout(codes, n_starts)
    width = ri_run.shape[1]
    valid = ri_run[0] >= 0
    cfg_c = ri_run[0]
    RI = np.stack(
        [
            cfg_c,
            np.where(valid, inputs.lr_row[cfg_c], -1),
            np.where(valid, inputs.mom_row[cfg_c], -1),
            ri_run[1],
            ri_run[2],
        ]
    ).astype(np.int64)
    cols = np.flatnonzero(valid)  # working column of each run, in the columns' order
    col_of_run = np.empty(n_runs, dtype=np.int64)
    col_of_run[ri_run[2, cols]] = cols

    X = np.zeros((2, width))
    X[:, cols] = starts[ri_run[1, cols]].T
    S = np.zeros((3, 2, width))
    G, Q, E, C = (np.zeros((2, width)) for _ in range(4))
    L, B = np.zeros(width), np.zeros(width)
    divs = np.full(width, -1, dtype=np.int64)
    hits = np.full(width, -1, dtype=np.int64)
    fins = np.full(width, -1, dtype=np.int64)
    minima = surface.minima_array
    start_d2 = (
        ((starts[:, None, :] - minima[None]) ** 2).sum(-1).min(1)
        if len(minima)
        else np.full(n_starts, np.inf)
    )
    hits[cols] = np.where(start_d2 <= tol**2, 0, -1)[ri_run[1, cols]]

    fin_kind, fin_ref, fin_thr = -1, 0.0, 0.0
    if finish is not None:
        kind, threshold = finish
        if kind not in FINISH_CODES:
            raise ValueError(f"finish kind {kind!r}; choose one of: {', '.join(FINISH_CODES)}")
        if kind == "distance" and not len(minima):
            raise ValueError(f"surface {surface.name!r} has no known minima to measure distance")
        fin_kind = FINISH_CODES[kind]
        threshold = float(threshold)
        if kind == "loss":
            fin_ref = float(surface.f_min) if surface.f_min is not None else 0.0
            fin_thr = threshold
            at_start = surface.f(starts[:, 0], starts[:, 1]) - fin_ref <= fin_thr
        elif kind == "distance":
            fin_thr = threshold * threshold
            at_start = start_d2 <= fin_thr
        else:
            fin_thr = threshold * threshold
            g = surface.grad(starts[:, 0], starts[:, 1])  # float64[S, 2]
            at_start = (g**2).sum(-1) <= fin_thr
        fins[cols] = np.where(at_start, 0, -1)[ri_run[1, cols]]

    every = record_every
    full = record == "full"
    xy = np.empty((n_runs, steps // every + 1, 2) if full else (0, 0, 2))
    noise_std = noise.effective_std if noise else 0.0
    seed = int(noise.seed) if noise else 0
    surface_args = surface.run_args(noise, steps)  # minibatch table, if any
    began = time.perf_counter()
    k.init_mixed(codes, hps, RI, S)
    for t, t_end in _run.step_chunks(steps, every, n_runs, progress, cancel):
        k.run_mixed(
            surface.kernel_id,
            surface.row,
            *surface_args,
            block_code,
            block_lo,
            block_hi,
            hps,
            inputs.lr_tab,
            inputs.mom_tab,
            seed,
            noise_std,
            t,
            t_end,
            every,
            tol**2,
            minima,
            fin_kind,
            fin_ref,
            fin_thr,
            RI,
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
            fins,
            xy,
            full,
        )
    elapsed = time.perf_counter() - began

    shape = (n_cfg, n_starts)
    return MixedOutput(
        final_xy=np.ascontiguousarray(X[:, col_of_run].T).reshape(shape + (2,)),
        diverged=divs[col_of_run].reshape(shape),
        hit_step=hits[col_of_run].reshape(shape),
        finish_step=fins[col_of_run].reshape(shape),
        xy=xy.reshape(shape + xy.shape[1:]) if full else None,
        elapsed=elapsed,
    )


def execute_mixed(
    spec: RunSpec,
    finish: tuple[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | threading.Event | None = None,
    keep_tables: bool = True,
) -> Result:
    """Run ``spec`` with heterogeneous blocks; see ``run.execute`` for the arguments.

    ``finish`` is ``(kind, threshold)`` with kind in ``FINISH_CODES``: "distance" (to the
    nearest known minimum), "loss" (loss - f_min <= threshold, or loss <= threshold when
    the surface has no known f_min) or "grad_norm" (the true gradient's norm at the
    position, noise excluded). The returned ``Result`` carries ``finish_step``
    int64[O, S]: the first step (0 = the start) at which the condition held, -1 if never
    (and for runs that diverged before it held). Per-step gradients/effective learning
    rates are not recorded on this path (``Result.grad`` replays through ``execute``).
    ``keep_tables=False`` leaves ``Result.lr`` and ``Result.momentum`` as ``None`` (they
    are float64[O, steps]: 800 MB for 10^5 configurations x 1000 steps).
    """
    inputs = MixedInputs.from_spec(spec)
    out = run_mixed_inputs(
        spec.surface,
        inputs,
        np.array(spec.starts, dtype=np.float64),
        spec.steps,
        spec.noise,
        spec.tol,
        finish,
        spec.record,
        spec.record_every,
        progress,
        cancel,
    )
    result = Result(
        spec=spec,
        xy=out.xy,
        final_xy=out.final_xy,
        diverged=out.diverged,
        hit_step=out.hit_step,
        lr=np.ascontiguousarray(inputs.lr_tab.T[inputs.lr_row]) if keep_tables else None,
        momentum=np.ascontiguousarray(inputs.mom_tab.T[inputs.mom_row]) if keep_tables else None,
        grad=None,
        effective_lr=None,
        elapsed=out.elapsed,
    )
    result.finish_step = out.finish_step
    return result
