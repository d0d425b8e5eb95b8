"""Sculpted, height-map and dataset surfaces: validation, engine inputs and scene form.

These surfaces run on ``optviz.engine._kernels_data``: a base (flat, a bowl, a preset,
a typed formula, a height map or a dataset loss) plus Gaussian bumps. ``Surface`` (in
``surface.py``) holds a ``Payload`` with the arrays; this module builds and checks it,
turns it into kernel arguments, draws the minibatch index table of a run, and writes
and reads the scene form (arrays embedded, so a scene loads on any machine).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.util
import io
import math
import sys
import threading
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _numba_env
from ..atomic_files import write_atomic

if TYPE_CHECKING:
    from ..engine.noise import Noise
    from .surface import Surface

#: Surface kinds computed by _kernels_data.
DATA_KINDS = ("basic", "sculpted", "heightmap", "dataset")
#: Base codes (the kernel's ``sid``); equal to codegen.DATA_BASES, checked by a test.
BASE_CODES = {
    "flat": 0,
    "bowl": 1,
    "functions": 2,  # a typed formula or a preset, as three compiled functions
    "heightmap": 3,
    "sigmoid": 4,
    "least_squares": 5,
}
DATASET_MODELS = ("sigmoid", "least_squares")
#: Most bumps a sculpted surface may have (a stroke adds one per mouse event).
MAX_BUMPS = 20_000
#: Bump widths: the kernel uses 1/width^2, which must stay a finite number > 0.
MIN_WIDTH, MAX_WIDTH = 1e-150, 1e150
#: Height maps are 4x4 to 2048x2048 samples.
MIN_GRID, MAX_GRID = 4, 2048
#: Datasets hold 1 to 10^5 examples.
MAX_EXAMPLES = 100_000
#: ... each with |x|, |y| <= 10^6 (see ``check_data``).
MAX_DATA_ABS = 1e6
#: A run's minibatch index table (steps x batch size, int32) may hold this many entries.
MAX_BATCH_ENTRIES = 2**25
_BASIC_VIEW = ((-3.0, 3.0), (-3.0, 3.0))


@dataclass(frozen=True, eq=False)
class Payload:
    """The engine inputs of a data-kernel surface (arrays read-only).

    ``code``: base code (BASE_CODES); ``functions``: the base whose compiled f, df/dx,
    df/dy the kernel calls (a formula or preset Surface; code "functions"); ``grid``
    float64[ny, nx] normalised heights with row 0 at the bottom (y0) and ``hm``
    float64[7] = [x0, y0, dx, dy, z0, z_scale, bump_reach]; ``bump_table`` float64[4, K]
    = (cx, cy, height, 1/width^2) sorted by cx (see ``_kernels_data``); ``data``
    float64[2, N] = (x, y). ``raw``/``raw_scale``: the height map as given (image
    orientation, original dtype) for the scene file. Equality is by content digest.
    """

    code: int
    digest: str
    functions: Surface | None = None
    grid: np.ndarray = field(default_factory=lambda: _frozen(np.zeros((0, 0))))
    hm: np.ndarray = field(default_factory=lambda: _frozen(np.zeros(7)))
    raw: np.ndarray | None = None
    raw_scale: float = 1.0
    z_range: tuple[float, float] = (0.0, 1.0)
    bumps: tuple[tuple[float, float, float, float], ...] = ()
    bump_table: np.ndarray = field(default_factory=lambda: _frozen(np.zeros((4, 0))))
    data: np.ndarray = field(default_factory=lambda: _frozen(np.zeros((2, 0))))
    model: str = ""
    base: Surface | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Payload) and self.digest == other.digest

    def __hash__(self) -> int:
        return hash(self.digest)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def _digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(f"{p.dtype}{p.shape}".encode())
            h.update(np.ascontiguousarray(p).tobytes())
        else:
            h.update(repr(p).encode())
    return h.hexdigest()[:24]


def _finite(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"{what}={v!r} must be a number")
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"{what}={v!r} must be finite")
    return v


# --- basic bases ---------------------------------------------------------------------
def basic(name: str) -> Surface:
    """The base ``"flat"`` (f = 0) or ``"bowl"`` (f = 0.5*(x^2 + y^2)) over ((-3, 3), (-3, 3))."""
    from .surface import Surface

    if name not in ("flat", "bowl"):
        raise ValueError(f"unknown base {name!r}; use 'flat', 'bowl', a preset or a Surface")
    bowl = name == "bowl"
    return Surface(
        name=name,
        title="Bowl" if bowl else "Flat",
        formula="0.5*(x^2 + y^2)" if bowl else "0",
        params=(),
        view=_BASIC_VIEW,
        starts=((1.5, 1.5),),
        minima=((0.0, 0.0),) if bowl else (),
        f_min=0.0 if bowl else None,
        log_scale=False,
        kind="basic",
        _payload=Payload(BASE_CODES[name], _digest(name)),
    )


# --- sculpted ------------------------------------------------------------------------
def _base_surface(base: Any) -> Surface:
    from .surface import Surface

    if isinstance(base, Surface):
        if base.kind == "dataset":
            raise ValueError("a dataset surface cannot be sculpted; sculpt a preset or formula")
        return base
    if isinstance(base, str):
        return basic(base) if base in ("flat", "bowl") else Surface.preset(base)
    raise ValueError(f"base must be a Surface, a preset name, 'flat' or 'bowl', not {base!r}")


def check_bumps(bumps: Any) -> tuple[tuple[float, float, float, float], ...]:
    """Validated bumps: (cx, cy, height, width) with finite values and width > 0."""
    if isinstance(bumps, (str, bytes)):
        raise ValueError(f"bumps must be a list of (cx, cy, height, width), not {bumps!r}")
    try:
        items = bumps.tolist() if isinstance(bumps, np.ndarray) else list(bumps)
    except TypeError:
        raise ValueError(
            f"bumps must be a list of (cx, cy, height, width), not {bumps!r}"
        ) from None
    if len(items) > MAX_BUMPS:
        raise ValueError(f"{len(items)} bumps is too many; at most {MAX_BUMPS}")
    try:  # the fast path: one array conversion checks every bump at once
        table = np.array(items)
        if table.dtype.kind in "iuf" and table.shape == (len(items), 4):
            table = table.astype(np.float64)
            w = table[:, 3]
            ok = np.isfinite(table).all(axis=1) & (w >= MIN_WIDTH) & (w <= MAX_WIDTH)
            if ok.all():
                return tuple(map(tuple, table.tolist()))
    except (TypeError, ValueError):
        pass
    out = []
    for i, b in enumerate(items):  # say which bump is wrong, and how
        try:
            cx, cy, height, width = b
        except (TypeError, ValueError):
            raise ValueError(f"bump {i}: {b!r} is not (cx, cy, height, width)") from None
        values = [_finite(v, f"bump {i} {n}") for v, n in zip(b, ("cx", "cy", "height", "width"))]
        if not values[3] > 0:
            raise ValueError(f"bump {i}: width={width!r} must be > 0")
        if not MIN_WIDTH <= values[3] <= MAX_WIDTH:  # 1/width^2 must be a finite number > 0
            raise ValueError(f"bump {i}: width={width!r} must be in [{MIN_WIDTH:g}, {MAX_WIDTH:g}]")
        out.append(tuple(values))
    return tuple(out)


def sculpted(base: Any, bumps: Any) -> Surface:
    """See ``Surface.sculpted``."""
    from ..engine import _kernels_data
    from .surface import Surface

    base = _base_surface(base)
    bumps = check_bumps(bumps)
    if base.kind == "sculpted":  # sculpting a sculpted surface adds to its bumps
        bumps = base.bumps + bumps
        base = base.base
        if len(bumps) > MAX_BUMPS:
            raise ValueError(f"{len(bumps)} bumps is too many; at most {MAX_BUMPS}")
    table = np.array(bumps, dtype=np.float64).reshape(-1, 4)
    widest = float(table[:, 3].max()) if len(table) else 0.0
    table[:, 3] = 1.0 / (table[:, 3] * table[:, 3])
    table = np.ascontiguousarray(table[np.argsort(table[:, 0], kind="stable")].T)
    bp = base._payload
    kw: dict[str, Any] = {}
    if base.kind in ("preset", "expression"):
        compiled_functions(base)  # compile now: errors here, not in a run
        kw = {"code": BASE_CODES["functions"], "functions": base}
    elif bp is not None:
        kw = {
            "code": bp.code,
            "grid": bp.grid,
            "raw": bp.raw,
            "raw_scale": bp.raw_scale,
            "z_range": bp.z_range,
        }
    else:
        raise ValueError(f"cannot sculpt a surface of kind {base.kind!r}")
    base_digest = bp.digest if bp is not None else repr(base.to_dict())
    hm = (bp.hm if bp is not None else np.zeros(7)).copy()
    hm[6] = math.sqrt(2.0 * _kernels_data.BUMP_CUTOFF) * widest
    payload = Payload(
        hm=_frozen(hm),
        digest=_digest("sculpted", base_digest, table),
        bumps=bumps,
        bump_table=_frozen(table),
        base=base,
        **kw,
    )
    return Surface(
        name="sculpted",
        title=base.title if base.title.endswith("(sculpted)") else f"{base.title} (sculpted)",
        formula=base.formula,
        params=base.params,
        view=base.view,
        starts=base.starts,
        # The base's minima moved (or vanished) under the bumps: none is known.
        minima=(),
        f_min=None,
        log_scale=base.log_scale,
        axis_labels=base.axis_labels,
        _row=base._row,
        kind="sculpted",
        _payload=payload,
    )


# --- height maps ---------------------------------------------------------------------
def _read_image(path: Path) -> tuple[np.ndarray, float]:
    """(raw array in image orientation, divisor to [0, 1]) of a Pillow-readable image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow warns of "decompression bombs" from 89 megapixels on; the size check
            # below refuses anything over 2048x2048 before the pixels are decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        with img:
            problem = _grid_shape_problem(img.size[::-1])
            if problem is not None:
                raise _TooLarge(problem)
            img.load()
            mode = img.mode
            if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
                return np.asarray(img, dtype=np.uint16), 65535.0
            if mode == "I":  # Pillow opens 16-bit grayscale PNGs as 32-bit "I"
                a = np.asarray(img, dtype=np.int64)
                return np.clip(a, 0, 65535).astype(np.uint16), 65535.0
            if mode == "F":
                return np.asarray(img, dtype=np.float64), 1.0
            return np.asarray(img.convert("L"), dtype=np.uint8), 255.0
    except FileNotFoundError:
        raise ValueError(f"height map: no such file {str(path)!r}") from None
    except Image.DecompressionBombError:  # over 179 megapixels: far beyond 2048x2048
        raise ValueError(
            f"height map: {str(path)!r} is too large; use {MIN_GRID}x{MIN_GRID} to "
            f"{MAX_GRID}x{MAX_GRID} pixels"
        ) from None
    except _TooLarge as e:
        raise ValueError(str(e)) from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise ValueError(f"height map: cannot read {str(path)!r} as an image ({e})") from None


def heightmap(
    source: Any, domain: Any, z_range: Any = (0.0, 1.0), starts: Any = None, title=None
) -> Surface:
    """See ``Surface.from_heightmap``."""
    if isinstance(source, (str, Path)):
        raw, scale = _read_image(Path(source))
    else:
        try:
            # Shape and kind first: a huge or complex array is refused without a copy.
            arr = np.asarray(source)
        except (TypeError, ValueError):
            arr = np.array(None)
        if arr.ndim == 2 and _grid_shape_problem(arr.shape) is not None:
            raise ValueError(_grid_shape_problem(arr.shape))
        if arr.dtype.kind not in "biuf":
            raise ValueError(
                f"a height map is an image path or a 2-D array of numbers, not {arr.dtype} values"
            )
        raw, scale = np.array(arr, dtype=np.float64), 1.0
    return _heightmap(raw, scale, domain, z_range, starts, title)


class _TooLarge(Exception):
    """An image outside MIN_GRID..MAX_GRID pixels, found before its pixels are decoded."""


def _grid_shape_problem(shape: tuple[int, ...]) -> str | None:
    """Why a height map of ``shape`` (rows, columns) is refused, or None."""
    ny, nx = shape
    if min(ny, nx) < MIN_GRID or max(ny, nx) > MAX_GRID:
        return (
            f"a height map of {nx}x{ny} samples is not allowed; use {MIN_GRID}x{MIN_GRID} "
            f"to {MAX_GRID}x{MAX_GRID}"
        )
    return None


def _heightmap(raw: np.ndarray, scale: float, domain, z_range, starts, title) -> Surface:
    """A height map of samples ``raw`` (image orientation) / ``scale``."""
    from .surface import Surface, _domain, check_starts, check_title

    view = _domain(domain)
    default_starts = check_starts(starts, view)
    title = check_title(title, "Height map")
    try:
        z0, z1 = (float(v) for v in z_range)
    except (TypeError, ValueError):
        raise ValueError(f"z_range must be (low, high), not {z_range!r}") from None
    if not (math.isfinite(z0) and math.isfinite(z1)) or not z0 < z1:
        raise ValueError(f"z_range={z_range!r} needs finite low < high")
    if raw.ndim != 2:
        raise ValueError(f"a height map must be 2-D (rows, columns), got shape {raw.shape}")
    if _grid_shape_problem(raw.shape) is not None:
        raise ValueError(_grid_shape_problem(raw.shape))
    ny, nx = raw.shape
    heights = raw.astype(np.float64) / scale
    if not np.isfinite(heights).all():
        raise ValueError("a height map must hold finite numbers only")
    # Bicubic interpolation overshoots the samples by at most 25%; keep f finite.
    if not math.isfinite(2.0 * float(np.abs(heights).max()) * (z1 - z0) + abs(z0) + abs(z1)):
        raise ValueError(
            f"height map samples up to {float(np.abs(heights).max()):g} over z_range="
            f"{z_range!r} overflow; rescale the samples or narrow z_range"
        )
    (x0, x1), (y0, y1) = view
    hm = np.array([x0, y0, (x1 - x0) / (nx - 1), (y1 - y0) / (ny - 1), z0, z1 - z0, 0.0])
    raw = _frozen(raw)
    payload = Payload(
        code=BASE_CODES["heightmap"],
        digest=_digest("heightmap", raw, scale, view, z0, z1),
        grid=_frozen(heights[::-1]),  # image row 0 is the top (max y); the grid starts at y0
        hm=_frozen(hm),
        raw=raw,
        raw_scale=scale,
        z_range=(z0, z1),
    )
    return Surface(
        name="heightmap",
        title=title,
        formula="",
        params=(),
        view=view,
        starts=default_starts,
        minima=(),
        f_min=None,
        log_scale=False,
        kind="heightmap",
        _payload=payload,
    )


# --- datasets ------------------------------------------------------------------------
def check_data(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) as read-only float64[N] arrays; ``ValueError`` unless 1 <= N <= 10^5, 1-D,
    equal lengths, finite, and every |x_i|, |y_i| <= ``MAX_DATA_ABS`` (10^6).

    The bound keeps w*x_i + b - y_i and its square far from overflow for any sensible
    (w, b) (one example at 1e300 makes a least-squares loss inf almost everywhere), and
    leaves six orders of magnitude above the unit-scale data the datasets are made for.
    """
    try:
        # Length and kind first: a huge or complex input is refused without a copy.
        xa, ya = np.asarray(x), np.asarray(y)
    except (TypeError, ValueError):
        raise ValueError("dataset x and y must be sequences of numbers") from None
    if xa.ndim == 1 and ya.ndim == 1 and max(len(xa), len(ya)) > MAX_EXAMPLES:
        raise ValueError(
            f"a dataset needs 1 to {MAX_EXAMPLES} examples, got {max(len(xa), len(ya))}"
        )
    if xa.dtype.kind not in "biuf" or ya.dtype.kind not in "biuf":
        raise ValueError("dataset x and y must be sequences of numbers")
    xs = np.array(xa, dtype=np.float64)
    ys = np.array(ya, dtype=np.float64)
    if xs.ndim != 1 or ys.ndim != 1 or xs.shape != ys.shape:
        raise ValueError(f"dataset x and y must be 1-D of equal length, got {xs.shape}, {ys.shape}")
    if not 1 <= len(xs) <= MAX_EXAMPLES:
        raise ValueError(f"a dataset needs 1 to {MAX_EXAMPLES} examples, got {len(xs)}")
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValueError("dataset x and y must be finite numbers")
    for name, values in (("x", xs), ("y", ys)):
        i = int(np.argmax(np.abs(values)))
        if abs(values[i]) > MAX_DATA_ABS:
            raise ValueError(
                f"dataset {name} values must lie within ±{MAX_DATA_ABS:,.0f}; example {i + 1} "
                f"has {name} = {values[i]:g}: move it closer or rescale the data"
            )
    return _frozen(xs), _frozen(ys)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _exact_fit(model: str, xs: np.ndarray, ys: np.ndarray) -> tuple[float, float] | None:
    """(w, b) of zero loss when one exists in closed form, else None."""
    if model == "least_squares":
        return None
    if len(xs) == 2 and xs[0] != xs[1] and all(0.0 < v < 1.0 for v in ys):
        w = (_logit(ys[1]) - _logit(ys[0])) / (xs[1] - xs[0])
        return w, _logit(ys[0]) - w * xs[0]
    return None


def dataset(
    model: str,
    x: Any,
    y: Any,
    view: Any = None,
    title: str | None = None,
    name: str = "dataset",
    starts: Any = None,
) -> Surface:
    """See ``Surface.dataset``."""
    from .surface import Surface, _domain, check_starts, check_title

    if not isinstance(model, str) or model not in DATASET_MODELS:
        raise ValueError(
            f"unknown dataset model {model!r}; choose one of: {', '.join(DATASET_MODELS)}"
        )
    xs, ys = check_data(x, y)
    minima: tuple[tuple[float, float], ...] = ()
    f_min = None
    if model == "least_squares":
        design = np.stack([xs, np.ones_like(xs)], axis=1)
        (w, b), *_ = np.linalg.lstsq(design, ys, rcond=None)
        w, b = float(w), float(b)
        if len(xs) >= 2 and np.ptp(xs) > 0:  # else the minimum is a whole line
            minima = ((w, b),)
            f_min = float(np.mean(0.5 * (w * xs + b - ys) ** 2))
        default_view = ((w - 4.0, w + 4.0), (b - 4.0, b + 4.0))
        default_start = ((w - 3.0, b + 3.0),)
    else:
        fit = _exact_fit(model, xs, ys)
        if fit is not None:
            minima, f_min = (fit,), 0.0
        default_view = ((-6.0, 6.0), (-6.0, 6.0))
        default_start = ((-2.0, -2.0),)  # the notes' start
    view = _domain(view) if view is not None else default_view
    default_starts = check_starts(starts, view, default_start)
    label = "sigmoid neuron" if model == "sigmoid" else "least squares"
    title = check_title(title, f"Dataset ({label}, {len(xs)} points)")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name={name!r} must be a non-empty string")
    data = _frozen(np.stack([xs, ys]))
    payload = Payload(
        code=BASE_CODES[model], digest=_digest("dataset", model, data), data=data, model=model
    )
    return Surface(
        name=name,
        title=title,
        formula=(
            "mean 0.5 (σ(w x_i + b) - y_i)^2"
            if model == "sigmoid"
            else "mean 0.5 (w x_i + b - y_i)^2"
        ),
        params=(),
        view=view,
        starts=default_starts,
        minima=minima,
        f_min=f_min,
        log_scale=False,
        axis_labels=("w", "b"),
        kind="dataset",
        _payload=payload,
    )


# --- engine inputs -------------------------------------------------------------------
_NO_BATCHES = _frozen(np.zeros((0, 0), dtype=np.int32))


def kernel_args(surface: Surface) -> tuple:
    """The surface arguments of ``_kernels_data`` (after ``sid, sp``), full batch."""
    from ..engine import _kernels_data as k

    p = surface._payload
    if p.functions is not None:
        fns = compiled_functions(p.functions)
        f, gx, gy = fns.f, fns.gx, fns.gy
    else:
        f = gx = gy = k.no_formula
    return (f, gx, gy, p.grid, p.hm, p.bump_table, p.data, _NO_BATCHES)


_PRESET_FOLDER = Path(_numba_env.CACHE_DIR).parent / "presets"
_preset_modules: dict[str, ModuleType] = {}
_preset_lock = threading.Lock()


def compiled_functions(surface: Surface) -> ModuleType:
    """The module of cfuncs ``f``, ``gx``, ``gy`` of a formula or preset surface.

    A preset's module is generated per (name, parameter row) into the user cache folder
    and its cfuncs are cached by numba (about 0.3 s the first time, then instant)."""
    if surface.kind == "expression":
        from .formula import functions_for

        return functions_for(surface.formula)
    from ..engine.codegen import generate_preset_functions

    source = generate_preset_functions(surface.name, surface._row)
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    with _preset_lock:
        if key not in _preset_modules:
            name = f"optviz_preset_{key}"
            path = _PRESET_FOLDER / f"{name}.py"
            if not path.exists():
                _PRESET_FOLDER.mkdir(parents=True, exist_ok=True)
                write_atomic(path, source.encode())  # a concurrent reader sees all or nothing
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # numba's cache looks modules up by name
            spec.loader.exec_module(module)
            _preset_modules[key] = module
        return _preset_modules[key]


def check_noise(surface: Surface, noise: Noise | None, steps: int) -> None:
    """``ValueError`` when ``noise`` does not fit ``surface`` (see ``Noise``)."""
    if noise is None or noise.batch_size is None:
        return
    if surface.kind != "dataset":
        if noise.std == 0:
            raise ValueError(
                f"Noise(batch_size={noise.batch_size}) samples minibatches of a dataset, and "
                f"surface {surface.name!r} has no examples; use a dataset surface, or give "
                "std > 0 for Gaussian noise of a batch of that size"
            )
        return
    n = surface.data_x.shape[0]
    if noise.std != 0:
        raise ValueError(
            "on a dataset surface Noise(batch_size=B) draws true minibatches; leave std at 0 "
            "(or drop batch_size for Gaussian noise on the full-batch gradient)"
        )
    if noise.batch_size > n:
        raise ValueError(f"batch_size={noise.batch_size} is larger than the dataset ({n} examples)")
    if steps * noise.batch_size > MAX_BATCH_ENTRIES:
        raise ValueError(
            f"{steps} steps x batch_size {noise.batch_size} is too many minibatch indices "
            f"(at most {MAX_BATCH_ENTRIES}); use fewer steps or a smaller batch"
        )


def run_args(surface: Surface, noise: Noise | None, steps: int) -> tuple:
    """``kernel_args`` with the minibatch table of a run of ``steps`` steps."""
    args = kernel_args(surface)
    if surface.kind == "dataset" and noise is not None and noise.batch_size is not None:
        n = surface.data_x.shape[0]
        args = args[:-1] + (batch_table(n, int(noise.batch_size), int(noise.seed), steps),)
    return args


@functools.lru_cache(maxsize=8)
def batch_table(n: int, batch_size: int, seed: int, steps: int) -> np.ndarray:
    """int32[steps, batch_size]: the examples of each step's minibatch.

    Epoch e (from 0) visits ``np.random.default_rng([seed, e]).permutation(n)`` in
    order, batch_size examples per step; the ``n % batch_size`` left over at the end of
    an epoch are dropped (as the notes' minibatch loop drops its partial last batch), so
    an epoch is ``n // batch_size`` steps and step t (from 1) uses epoch
    ``(t - 1) // (n // batch_size)``. Every run of a call sees the same batches.
    """
    per_epoch = n // batch_size
    epochs = -(-steps // per_epoch)
    out = np.empty((epochs * per_epoch, batch_size), dtype=np.int32)
    used = per_epoch * batch_size
    for e in range(epochs):
        order = np.random.default_rng([seed, e]).permutation(n)
        out[e * per_epoch : (e + 1) * per_epoch] = order[:used].reshape(per_epoch, batch_size)
    return _frozen(out[:steps])


# --- scene form ----------------------------------------------------------------------
_ARRAY_DTYPES = ("uint8", "uint16", "float64")


def encode_array(a: np.ndarray) -> dict[str, Any]:
    """A JSON-able form of ``a``: .npy bytes, zlib-compressed, base64, with a checksum."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    raw = buf.getvalue()
    return {
        "encoding": "npy+zlib+base64",
        "sha256": hashlib.sha256(raw).hexdigest(),
        "data": base64.b64encode(zlib.compress(raw, 9)).decode("ascii"),
    }


def decode_array(d: Any) -> np.ndarray:
    """The array of ``encode_array``; ``ValueError`` on anything else or a bad checksum."""
    if not isinstance(d, dict) or d.get("encoding") != "npy+zlib+base64":
        raise ValueError("height map grid: not an encoded array")
    try:
        raw = zlib.decompressobj().decompress(
            base64.b64decode(d["data"], validate=True), 8 * MAX_GRID * MAX_GRID + 4096
        )
        if hashlib.sha256(raw).hexdigest() != d.get("sha256"):
            raise ValueError("checksum mismatch")
        a = np.load(io.BytesIO(raw), allow_pickle=False)
    except (KeyError, TypeError, ValueError, zlib.error, OSError) as e:
        raise ValueError(f"height map grid: cannot decode ({e})") from None
    if a.dtype.name not in _ARRAY_DTYPES:
        raise ValueError(f"height map grid: unexpected dtype {a.dtype}")
    return a


def to_dict(surface: Surface) -> dict[str, Any]:
    p = surface._payload
    if surface.kind == "basic":
        return {"kind": "basic", "name": surface.name}
    if surface.kind == "sculpted":
        return {
            "kind": "sculpted",
            "base": p.base.to_dict(),
            "bumps": [list(b) for b in p.bumps],
        }
    if surface.kind == "heightmap":
        return {
            "kind": "heightmap",
            "title": surface.title,
            "domain": [list(v) for v in surface.view],
            "z_range": list(p.z_range),
            "starts": [list(s) for s in surface.starts],
            "scale": p.raw_scale,
            "grid": encode_array(p.raw),
        }
    return {
        "kind": "dataset",
        "name": surface.name,
        "model": p.model,
        "title": surface.title,
        "view": [list(v) for v in surface.view],
        "starts": [list(s) for s in surface.starts],
        "x": p.data[0].tolist(),
        "y": p.data[1].tolist(),
    }


def from_dict(d: dict[str, Any]) -> Surface:
    from .surface import Surface

    kind = d.get("kind")
    if kind == "basic":
        return basic(d.get("name"))
    if kind == "sculpted":
        if not isinstance(d.get("base"), dict):
            raise ValueError("a sculpted surface needs a 'base' surface")
        return sculpted(Surface.from_dict(d["base"]), d.get("bumps", []))
    if kind == "heightmap":
        raw = decode_array(d.get("grid"))
        scale = d.get("scale", 1.0)
        if not isinstance(scale, (int, float)) or not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"height map scale={scale!r} must be a positive number")
        return _heightmap(
            raw,
            float(scale),
            d.get("domain"),
            d.get("z_range", (0.0, 1.0)),
            d.get("starts"),
            d.get("title"),
        )
    if kind == "dataset":
        return dataset(
            d.get("model"),
            d.get("x"),
            d.get("y"),
            view=d.get("view"),
            title=d.get("title"),
            name=str(d.get("name", "dataset")),
            starts=d.get("starts"),
        )
    raise ValueError(f"not a surface description: {d!r}")
