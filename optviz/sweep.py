"""Sweeps and tuning: one optimizer over a grid of one or two hyperparameters.

``sweep`` builds one configuration per grid cell and runs them all in one engine call
(heterogeneous blocks pack the configurations; see ``engine/mixed.py``), or maps the
engine over blocks of configurations on a Dask cluster (``client=``). The result is
labelled: ``LabeledArray`` has named dims and coordinate values like an xarray
``DataArray`` (``.to_xarray()`` converts when xarray is installed). We keep this small
class rather than depending on xarray: the results are at most 2-D plus starts, the app
needs only lookup by index or value, and xarray (with pandas) would add ~60 MB to every
install for that.

``tune`` is a sweep over a log grid of learning rates (and optionally one more
hyperparameter) that picks the best cell by a stated criterion.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .engine.mixed import MixedInputs, run_mixed_inputs
from .engine.noise import Noise
from .engine.run import Cancelled, RunSpec, cancel_test, check_work
from .optimizers.registry import get
from .optimizers.spec import Optimizer
from .race import Finish, resolve_finish
from .surfaces.surface import Surface, as_surface

#: Tuning criteria: fewest steps to finish (then final loss), or final loss alone.
TUNE_CRITERIA = ("steps", "loss")
#: Runs (configurations x starts) per engine call on a Dask cluster.
DASK_BLOCK_RUNS = 100_000
#: Largest sweep run in one process (about 1 GB of working arrays).
MAX_LOCAL_RUNS = 10_000_000


class LabeledArray:
    """An array with named dims and coordinate values (a minimal xarray.DataArray).

    ``values`` has shape ``tuple(len(coords[d]) for d in dims)``.
    """

    def __init__(self, values: np.ndarray, dims: tuple[str, ...], coords: dict, name: str = ""):
        values = np.asarray(values)
        if values.shape != tuple(len(coords[d]) for d in dims):
            raise ValueError(f"values of shape {values.shape} do not match dims {dims}")
        self.values = values
        self.dims = tuple(dims)
        self.coords = {d: np.asarray(coords[d]) for d in dims}
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)

    def _index(self, dim: str, value: Any) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.integer, np.floating))
            or not math.isfinite(value)
        ):
            raise ValueError(f"sel: {dim}={value!r} must be a finite number")
        c = self.coords[dim]
        return int(np.argmin(np.abs(c - float(value))))

    def sel(self, **at: Any) -> LabeledArray | Any:
        """Select by coordinate value (the nearest one), e.g. ``.sel(lr=0.01)``."""
        return self.isel(**{d: self._index(d, v) for d, v in self._check(at).items()})

    def isel(self, **at: int) -> LabeledArray | Any:
        """Select by position along the named dims, e.g. ``.isel(lr=3)`` (negative
        positions count from the end)."""
        at = self._check(at)
        for d, i in at.items():
            n = len(self.coords[d])
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -n <= i < n:
                raise ValueError(f"isel: {d}={i!r} must be an integer in [{-n}, {n})")
        index = tuple(int(at[d]) if d in at else slice(None) for d in self.dims)
        rest = tuple(d for d in self.dims if d not in at)
        if not rest:
            return self.values[index].item()
        return LabeledArray(self.values[index], rest, {d: self.coords[d] for d in rest}, self.name)

    def _check(self, at: dict) -> dict:
        for d in at:
            if d not in self.dims:
                raise ValueError(f"no dim {d!r}; dims are {self.dims}")
        return at

    def to_xarray(self):
        """This array as an ``xarray.DataArray`` (needs xarray installed)."""
        try:
            import xarray as xr
        except ImportError:
            raise ValueError("to_xarray() needs xarray: pip install xarray") from None
        return xr.DataArray(self.values, dims=self.dims, coords=self.coords, name=self.name)

    def __repr__(self) -> str:
        axes = ", ".join(f"{d}: {len(self.coords[d])}" for d in self.dims)
        return f"<LabeledArray {self.name!r} ({axes}) {self.values.dtype}>"


# --- sweep keys --------------------------------------------------------------------------
def _member_names(param: str) -> tuple[str, str]:
    """Keys of the members of a pair hyperparameter: betas -> beta1, beta2."""
    stem = param[:-1] if param.endswith("s") else param
    return f"{stem}1", f"{stem}2"


def sweep_keys(optimizer_name: str) -> list[str]:
    """The hyperparameters of ``optimizer_name`` that ``sweep`` can vary (numbers, and
    the members of pairs such as adam's betas: "beta1", "beta2")."""
    out = []
    for p in get(optimizer_name).params:
        if p.kind == "pair":
            out += _member_names(p.name)
        elif p.kind not in ("bool", "etas"):
            out.append(p.name)
    return out


def _resolve_key(optimizer_name: str, key: str) -> tuple[str, int | None]:
    info = get(optimizer_name)
    for p in info.params:
        if p.kind == "pair":
            names = _member_names(p.name)
            if key in names:
                return p.name, names.index(key)
            if key == p.name:
                raise ValueError(
                    f"sweep the members of {key!r} separately: {names[0]!r} and {names[1]!r}"
                )
        elif key == p.name:
            if p.kind in ("bool", "etas"):
                raise ValueError(f"{optimizer_name}: {key!r} cannot be swept (not a number)")
            return p.name, None
    raise ValueError(
        f"optimizer {optimizer_name!r} has no sweepable hyperparameter {key!r}; "
        f"it takes: {', '.join(sweep_keys(optimizer_name))}"
    )


def _axis_values(key: str, values: Any) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"values of {key!r} must be a 1-D array of numbers") from None
    if arr.ndim != 1 or arr.size < 1:
        raise ValueError(f"values of {key!r} must be a non-empty 1-D array, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"values of {key!r} must be finite")
    return arr


def _base_optimizer(optimizer: str | Optimizer, base: Mapping | None) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        opt = optimizer
    elif isinstance(optimizer, str):
        opt = Optimizer(optimizer)
    else:
        raise ValueError(f"optimizer must be a name or an optviz.Optimizer, not {optimizer!r}")
    if base:
        if not isinstance(base, Mapping):
            raise ValueError(f"base must be a mapping of hyperparameters, not {base!r}")
        opt = opt.replace(**dict(base))
    return opt


class SweepResult:
    """What ``sweep`` produced; metrics are ``LabeledArray`` over ``dims``.

    Attributes
    ----------
    dims : tuple[str, ...]
        The swept keys in the order given; ``coords[d]`` float64[n_d] their values.
    final_loss : LabeledArray float64[*shape]
        Mean final loss over the starts; NaN if any start diverged.
    steps_to_finish : LabeledArray int64[*shape]
        First step by which every start had met ``finish``, -1 if some never did.
    diverged_step : LabeledArray int64[*shape]
        First step at which any start diverged, -1 if none did.
    final_xy : float64[*shape, S, 2]
        Final positions of every run.
    starts : float64[S, 2]; finish : Finish; steps : int; elapsed : float (kernel seconds)
    """

    def __init__(self, surface, base, dims, coords, starts, steps, finish, raw):
        self.surface: Surface = surface
        self.base: Optimizer = base
        self.dims = dims
        self.coords = coords
        self.starts = starts
        self.steps = steps
        self.finish = finish
        shape = self.shape
        final_xy, diverged, fin, elapsed = raw
        self.elapsed = elapsed
        self.final_xy = final_xy.reshape(shape + final_xy.shape[1:])
        loss = surface.f(final_xy[..., 0], final_xy[..., 1]).mean(axis=1)
        big = np.iinfo(np.int64).max
        first = np.where(diverged >= 0, diverged, big).min(1)
        done = np.where((fin >= 0).all(1), fin.max(1), -1)
        self.final_loss = LabeledArray(loss.reshape(shape), dims, coords, "final_loss")
        self.steps_to_finish = LabeledArray(
            done.astype(np.int64).reshape(shape), dims, coords, "steps_to_finish"
        )
        self.diverged_step = LabeledArray(
            np.where(first == big, -1, first).astype(np.int64).reshape(shape),
            dims,
            coords,
            "diverged_step",
        )

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(self.coords[d]) for d in self.dims)

    def optimizer_at(self, *index: int) -> Optimizer:
        """The configuration of cell ``index`` (one integer per dim)."""
        if len(index) != len(self.dims):
            raise ValueError(f"give {len(self.dims)} indices (dims {self.dims}), got {index}")
        for i, n in zip(index, self.shape):
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
                raise ValueError(f"cell index {index} is outside the grid {self.shape}")
        return _cell_optimizer(self.base, self.dims, self.coords, index)

    @property
    def optimizers(self) -> list[Optimizer]:
        """Every cell's configuration in C order over dims (built on request)."""
        return [self.optimizer_at(*cell) for cell in np.ndindex(*self.shape)]

    def to_xarray(self):
        """The metrics as an ``xarray.Dataset`` (needs xarray)."""
        arrays = (self.final_loss, self.steps_to_finish, self.diverged_step)
        data = {a.name: a.to_xarray() for a in arrays}  # without xarray: a clear ValueError
        import xarray as xr

        return xr.Dataset(data)

    def __repr__(self) -> str:
        axes = " x ".join(f"{d}[{len(self.coords[d])}]" for d in self.dims)
        return f"<optviz.SweepResult {self.base.name} {axes} on {self.surface.name!r}>"


def _cell_optimizer(base: Optimizer, dims, coords, cell) -> Optimizer:
    """The Optimizer of grid cell ``cell``: ``base`` with the swept values set."""
    changes: dict[str, Any] = {}
    for d, i in zip(dims, cell):
        param, member = _resolve_key(base.name, d)
        v = float(coords[d][i])
        if member is None:
            changes[param] = v
        else:
            pair = list(changes.get(param, base.params[param]))
            pair[member] = v
            changes[param] = tuple(pair)
    return base.replace(**changes)


def _grid_inputs(base: Optimizer, dims, coords, steps: int) -> MixedInputs:
    """Engine inputs of every cell (C order over dims), without building 10^4 Optimizers.

    Each axis value is validated once by building ``base`` with that value alone; a key
    changes its own entries only (the learning-rate column, the momentum column, or its
    slot of the hyperparameter row), so a cell's inputs combine its axes' entries. The
    test suite checks cells against ``optimizer_at`` runs.
    """
    info = base.info
    shape = tuple(len(coords[d]) for d in dims)
    n = int(np.prod(shape))
    base_row = np.array(base.packed_row(), dtype=np.float64)
    hps = np.repeat(base_row[None, :], n, axis=0)
    lr_tab = base.lr_values(steps)[:, None]
    mom_tab = base.momentum_values(steps)[:, None]
    lr_row = np.zeros(n, dtype=np.int64)
    mom_row = np.zeros(n, dtype=np.int64)
    for axis, d in enumerate(dims):
        param, member = _resolve_key(base.name, d)
        per_value = [_cell_optimizer(base, (d,), coords, (i,)) for i in range(shape[axis])]
        # Index of each cell along this axis, in C order.
        along = np.indices(shape)[axis].ravel()
        if param == "lr":
            lr_tab = np.stack([o.lr_values(steps) for o in per_value], axis=1)
            lr_row = along.astype(np.int64)
        if param == info.momentum_param:
            mom_tab = np.stack([o.momentum_values(steps) for o in per_value], axis=1)
            mom_row = along.astype(np.int64)
        flat = _member_names(param)[member] if member is not None else param
        if flat in info.slots:
            slot = info.slots.index(flat)
            values = np.array([o.packed_row()[slot] for o in per_value])
            hps[:, slot] = values[along]
    return MixedInputs(
        np.full(n, info.opcode, dtype=np.int64),
        hps,
        np.ascontiguousarray(lr_tab),
        lr_row,
        np.ascontiguousarray(mom_tab),
        mom_row,
    )


def _run_block(surface_dict, inputs, starts, steps, noise, finish, tol):
    """Engine call of one block of configurations (runs on a Dask worker)."""
    s = Surface.from_dict(surface_dict)
    r = run_mixed_inputs(s, inputs, starts, steps, noise, tol, (finish.kind, finish.threshold))
    return r.final_xy, r.diverged, r.finish_step, r.elapsed


def sweep(
    surface: str | Surface,
    optimizer: str | Optimizer,
    axes: Mapping[str, Any],
    starts: Any = None,
    steps: int = 500,
    base: Mapping[str, Any] | None = None,
    finish: Finish | None = None,
    noise: Noise | None = None,
    client: Any = None,
    block_runs: int = DASK_BLOCK_RUNS,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | threading.Event | None = None,
) -> SweepResult:
    """Run ``optimizer`` over the grid of one or two hyperparameters ``axes``.

    Parameters
    ----------
    optimizer
        A registry name or an ``Optimizer`` whose values are the fixed base.
    axes
        ``{key: values}`` with 1 or 2 keys (dims in the order given): hyperparameter
        names, or members of pairs ("beta1"/"beta2" for ``betas``, "nu1"/"nu2" for
        ``nus``); see ``sweep_keys(name)``.
    starts
        float[S, 2] or one point; ``None`` takes the surface's first default start.
    base
        Fixed hyperparameters applied to ``optimizer`` before sweeping.
    finish
        For ``steps_to_finish``; default ``Finish.default_for(surface)``. On a dataset
        surface a "loss" or "grad_norm" finish is the full-batch loss or gradient, even
        with minibatches (``noise=Noise(batch_size=B)``): checking it costs a pass over
        all examples per step, which dominates a minibatch sweep's time when B << N.
    client
        A ``dask.distributed.Client``: the configurations go to its workers in blocks of
        about ``block_runs`` runs, and the results are gathered in grid order.
    progress, cancel
        As in ``optviz.execute`` (with a client: progress counts finished runs).
    """
    cancel_test(progress, cancel)
    s = as_surface(surface)
    opt = _base_optimizer(optimizer, base)
    if not isinstance(axes, Mapping) or not 1 <= len(axes) <= 2:
        raise ValueError("axes must be a mapping of 1 or 2 hyperparameters to value arrays")
    dims = tuple(axes)
    coords = {}
    for d in dims:
        if not isinstance(d, str):
            raise ValueError(f"axis names must be strings, not {d!r}")
        param, _ = _resolve_key(opt.name, d)
        if param == opt.info.momentum_param and opt.momentum_schedule != "constant":
            raise ValueError(f"{d!r} follows the {opt.momentum_schedule!r} schedule; not swept")
        coords[d] = _axis_values(d, axes[d])
    if len({_resolve_key(opt.name, d) for d in dims}) != len(dims):
        raise ValueError(f"axes {dims} name the same hyperparameter twice")
    fin = resolve_finish(finish, s)
    if starts is None:
        starts = [s.starts[0]]
    if (
        isinstance(block_runs, bool)
        or not isinstance(block_runs, (int, np.integer))
        or block_runs < 1
    ):
        raise ValueError(f"block_runs={block_runs!r} must be an integer >= 1")
    # Validate the rest (starts, steps, noise) once, on the base configuration.
    probe = RunSpec.build(s, [opt], starts, steps, noise, record="final")
    starts_arr = np.array(probe.starts, dtype=np.float64)
    # Sizes before building anything: the grid's inputs are laid out in this process.
    n_cells = math.prod(len(coords[d]) for d in dims)
    n_runs = n_cells * len(starts_arr)
    if n_cells > MAX_LOCAL_RUNS:
        raise ValueError(
            f"a grid of {n_cells} cells is more than one process lays out "
            f"({MAX_LOCAL_RUNS}, with or without a client); use fewer values per axis"
        )
    if client is None and n_runs > MAX_LOCAL_RUNS:
        raise ValueError(
            f"{n_runs} runs is more than one process takes ({MAX_LOCAL_RUNS}); "
            "pass client=dask.distributed.Client(...) or a smaller grid"
        )
    check_work(
        n_runs if client is None else n_cells,
        1 + sum(len(coords[d]) for d in dims),
        probe.steps,
    )
    inputs = _grid_inputs(opt, dims, coords, probe.steps)  # validates every axis value
    if client is None:
        r = run_mixed_inputs(
            s,
            inputs,
            starts_arr,
            probe.steps,
            noise,
            probe.tol,
            (fin.kind, fin.threshold),
            progress=progress,
            cancel=cancel,
        )
        raw = (r.final_xy, r.diverged, r.finish_step, r.elapsed)
    else:
        raw = _run_on_cluster(
            client, s, inputs, starts_arr, probe.steps, noise, fin, block_runs, progress, cancel
        )
    return SweepResult(s, opt, dims, coords, starts_arr, probe.steps, fin, raw)


def _run_on_cluster(client, s, inputs, starts, steps, noise, fin, block_runs, progress, cancel):
    try:
        from dask.distributed import as_completed
    except ImportError:
        raise ValueError("client= needs dask.distributed: pip install 'optviz[cluster]'") from None
    per = max(1, block_runs // len(starts))
    n_cfg = len(inputs.codes)
    bounds = [(i, min(n_cfg, i + per)) for i in range(0, n_cfg, per)]
    surface_dict = s.to_dict()
    futures = [
        client.submit(
            _run_block, surface_dict, inputs.take(a, b), starts, steps, noise, fin, 1e-3, pure=False
        )
        for a, b in bounds
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    parts: list[Any] = [None] * len(futures)
    is_cancelled = cancel_test(progress, cancel)
    done_runs, total = 0, n_cfg * len(starts)
    try:
        for fut in as_completed(futures):
            i = index[fut.key]
            parts[i] = fut.result()
            done_runs += (bounds[i][1] - bounds[i][0]) * len(starts)
            if progress is not None:
                progress(done_runs, total)
            if is_cancelled is not None and is_cancelled():
                raise Cancelled()
    except BaseException:
        client.cancel(futures)
        raise
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        float(sum(p[3] for p in parts)),
    )


# --- tune ----------------------------------------------------------------------------------
class TuneResult:
    """What ``tune`` chose and what it searched.

    Attributes
    ----------
    best : Optimizer
        The configuration of the best cell.
    best_index : tuple[int, ...]
        Its index in the grid.
    grid : dict[str, float64[n]]
        The searched values: "lr", then the second key if any.
    scores : LabeledArray int64[*shape]
        Rank of every cell by ``criterion`` (0 = best).
    sweep : SweepResult
        The metrics the ranking used (steps_to_finish, final_loss, diverged_step).
    criterion : str
    """

    def __init__(self, sw: SweepResult, criterion: str = "steps"):
        self.sweep = sw
        self.grid = dict(sw.coords)
        self.criterion_name = criterion
        steps_ = sw.steps_to_finish.values.ravel()
        loss = sw.final_loss.values.ravel()
        div = sw.diverged_step.values.ravel()
        if criterion == "loss":  # finishing earns nothing: final loss alone
            steps_ = np.full_like(steps_, -1)
        klass = np.where(div >= 0, 2, np.where(steps_ >= 0, 0, 1))
        key_steps = np.where(klass == 0, steps_, 0)
        key_loss = np.where(np.isfinite(loss), loss, np.inf)
        key_div = np.where(klass == 2, -div, 0)  # a later divergence ranks higher
        # lexsort: last key is primary; stable, so exact ties keep grid order.
        order = np.lexsort((key_div, key_loss, key_steps, klass))
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        self.scores = LabeledArray(rank.reshape(sw.shape), sw.dims, sw.coords, "rank")
        self.best_index = tuple(int(i) for i in np.unravel_index(order[0], sw.shape))
        self.best = sw.optimizer_at(*self.best_index)
        if criterion == "loss":
            self.criterion = (
                f"lowest final loss after {sw.steps} steps (mean over starts); diverged runs "
                "rank last; exact ties go to the earlier grid point"
            )
        else:
            self.criterion = (
                f"fewest steps until every start reached the finish "
                f"({sw.finish.describe(sw.surface)}, {sw.steps} steps at most); ties and "
                "runs that never finished are ordered by final loss (mean over starts); "
                "diverged runs rank last; exact ties go to the earlier grid point"
            )

    @property
    def finished(self) -> bool:
        """Whether the best cell reached the finish."""
        return bool(self.sweep.steps_to_finish.values[self.best_index] >= 0)

    def to_dict(self) -> dict[str, Any]:
        """The search and its choice, for scene files."""
        dims = list(self.grid)
        return {
            "optimizer": self.best.to_dict(),
            "lr_grid": [float(v) for v in self.grid["lr"]],
            "second": [dims[1], [float(v) for v in self.grid[dims[1]]]] if len(dims) > 1 else None,
            "finish": self.sweep.finish.to_dict(),
            "steps": self.sweep.steps,
            "criterion": self.criterion_name,
        }

    def __repr__(self) -> str:
        return f"<optviz.TuneResult best={self.best!r}>"


def default_lr_grid() -> np.ndarray:
    """float64[25]: 1e-4 .. 1 on a log scale, the default ``tune`` grid."""
    return np.logspace(-4, 0, 25)


def tune(
    surface: str | Surface,
    optimizer: str | Optimizer,
    lr_grid: Any = None,
    second: tuple[str, Any] | None = None,
    starts: Any = None,
    steps: int = 500,
    finish: Finish | None = None,
    noise: Noise | None = None,
    client: Any = None,
    criterion: str = "steps",
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | threading.Event | None = None,
) -> TuneResult:
    """Search ``optimizer``'s learning rate on ``lr_grid`` (default ``np.logspace(-4, 0,
    25)``), and optionally ``second = (key, values)``, in one parallel engine call, and
    pick the best cell by ``TuneResult.criterion``.

    ``criterion``: "steps" (fewest steps to finish, then final loss) or "loss" (final
    loss only); diverged runs rank last either way. The other hyperparameters keep
    ``optimizer``'s values.
    """
    if criterion not in TUNE_CRITERIA:
        raise ValueError(f"criterion={criterion!r}; choose one of: {', '.join(TUNE_CRITERIA)}")
    opt = _base_optimizer(optimizer, None)
    if "lr" not in opt.params:
        raise ValueError(f"optimizer {opt.name!r} has no learning rate to tune")
    lr = default_lr_grid() if lr_grid is None else _axis_values("lr", lr_grid)
    if (lr <= 0).any():
        raise ValueError("lr_grid values must be > 0")
    axes: dict[str, Any] = {"lr": lr}
    if second is not None:
        if not (isinstance(second, (tuple, list)) and len(second) == 2):
            raise ValueError(f"second must be (key, values), not {second!r}")
        if second[0] == "lr":
            raise ValueError("second must name a hyperparameter other than 'lr'")
        axes[second[0]] = second[1]
    sw = sweep(
        surface,
        opt,
        axes,
        starts=starts,
        steps=steps,
        finish=finish,
        noise=noise,
        client=client,
        progress=progress,
        cancel=cancel,
    )
    return TuneResult(sw, criterion)


def log_grid(low: float, high: float, n: int) -> np.ndarray:
    """float64[n]: n values from low to high on a log scale (both > 0)."""
    if not (low > 0 and high > low and math.isfinite(high)):
        raise ValueError(f"log grid needs 0 < low < high, got {low!r}, {high!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n={n!r} must be an integer >= 1")
    return np.logspace(math.log10(low), math.log10(high), int(n))
