"""``Surface``: a 2-D loss surface, immutable, with what the engine and the app need."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .presets import PRESET_NAMES, PRESETS


@dataclass(frozen=True, slots=True)
class Surface:
    """A loss surface f(x, y) with an exact gradient.

    Build one with ``Surface.preset(name, **params)`` (or pass the preset's name to
    ``simulate``). ``view`` is the default view box ((x0, x1), (y0, y1)), ``starts``
    the default start points, ``minima`` the known minima and ``f_min`` the known
    minimum value (``None`` if unbounded), ``log_scale`` whether its heat map reads
    best on a log colour scale.
    """

    name: str
    title: str
    formula: str
    params: tuple[tuple[str, float], ...]
    view: tuple[tuple[float, float], tuple[float, float]]
    starts: tuple[tuple[float, float], ...]
    minima: tuple[tuple[float, float], ...]
    f_min: float | None
    log_scale: bool
    axis_labels: tuple[str, str] = ("x", "y")
    _row: tuple[float, ...] = field(default=(), repr=False)
    #: "preset", "expression" (a typed formula, in ``formula``), or one of the kinds of
    #: ``composite.py``: "sculpted", "heightmap", "dataset" ("basic": the flat and bowl
    #: bases of sculpting).
    kind: str = "preset"
    #: The arrays of sculpted, height-map and dataset surfaces (``composite.Payload``).
    _payload: Any = field(default=None, repr=False)

    @classmethod
    def preset(cls, name: str, **params: float) -> Surface:
        """The preset ``name`` of OPTIMIZERS.md, with optional parameters (``kappa``)."""
        if not isinstance(name, str) or name not in PRESETS:
            raise ValueError(f"unknown surface {name!r}; choose one of: {', '.join(PRESET_NAMES)}")
        info = PRESETS[name]
        known = dict(info.params)
        for key, value in params.items():
            if key not in known:
                accepted = ", ".join(known) or "no parameters"
                raise ValueError(f"surface {name!r} has no parameter {key!r}; it takes {accepted}")
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (math.isfinite(value) and value > 0)
            ):
                raise ValueError(f"surface {name!r}: {key}={value!r} must be a positive number")
        values = tuple((k, float(params.get(k, d))) for k, d in info.params)
        return cls(
            name=name,
            title=info.title,
            formula=info.formula,
            params=values,
            view=info.view,
            starts=info.starts,
            minima=info.minima,
            f_min=info.f_min,
            log_scale=info.log_scale,
            axis_labels=info.axis_labels,
            _row=tuple(v for _, v in values) + info.fixed_row,
        )

    @classmethod
    def from_expression(
        cls,
        text: str,
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        starts=None,
        log_scale: bool = False,
        title: str | None = None,
    ) -> Surface:
        """A surface typed as a formula in x and y, e.g. ``"sin(x)*cos(y) + 0.1*(x^2 + y^2)"``.

        The gradient is exact (symbolic), compiled to native code on first use and
        cached on disk. ``domain`` is the view box ((x0, x1), (y0, y1)); ``starts``
        default to one point three quarters of the way across it. Bad formulas raise
        ``optviz.ExpressionError`` (a ``ValueError``) saying what and where.
        """
        from .formula import functions_for

        view = _domain(domain)
        default_starts = check_starts(starts, view)
        title = check_title(title, "Formula")
        if not isinstance(log_scale, (bool, np.bool_)):
            raise ValueError(f"log_scale={log_scale!r} must be True or False")
        functions_for(text)  # parses (errors surface here) and compiles the functions
        return cls(
            name="formula",
            title=title,
            formula=text.strip(),
            params=(),
            view=view,
            starts=default_starts,
            minima=(),
            f_min=None,
            log_scale=bool(log_scale),
            kind="expression",
        )

    @classmethod
    def sculpted(cls, base: Surface | str, bumps=()) -> Surface:
        """``base`` plus Gaussian bumps ``(cx, cy, height, width)``: each adds
        ``height * exp(-((x-cx)^2 + (y-cy)^2) / (2 width^2))`` (height < 0 digs).

        ``base`` is a Surface (preset, formula, height map), a preset name, ``"flat"``
        (f = 0) or ``"bowl"`` (f = 0.5*(x^2 + y^2)), both over ((-3, 3), (-3, 3)).
        Sculpting a sculpted surface appends to its bumps. The gradient is exact; view,
        starts and colour scale come from the base; ``minima`` is empty and ``f_min``
        None (the bumps move the base's minima). Up to 20 000 bumps.
        """
        from .composite import sculpted

        return sculpted(base, bumps)

    @classmethod
    def from_heightmap(
        cls, source, domain, z_range=(0.0, 1.0), starts=None, title: str | None = None
    ) -> Surface:
        """A surface from a height map: an image file (any Pillow-readable format,
        converted to luminance; 8-bit values / 255, 16-bit / 65535) or a 2-D float array
        (used as is), mapped linearly onto ``z_range``: f = z0 + (z1 - z0) * sample.

        Image row 0 is the top (max y) of ``domain`` ((x0, x1), (y0, y1)); samples sit
        on a regular grid including the domain's edges. Between samples: Catmull-Rom
        bicubic interpolation (cubic convolution, a = -1/2; edge samples repeated), whose
        gradient is continuous and exact. Outside the domain the point is clamped to it,
        so the surface is flat across the edge. 4x4 to 2048x2048 samples.
        """
        from .composite import heightmap

        return heightmap(source, domain, z_range, starts, title)

    @classmethod
    def dataset(
        cls, model: str, x, y, view=None, title: str | None = None, name: str = "dataset"
    ) -> Surface:
        """The loss of a one-input model over the examples (x_i, y_i), axes (w, b):
        ``"sigmoid"``: mean_i 0.5*(sigmoid(w*x_i + b) - y_i)^2 (the notes' sigmoid
        neuron, which sums instead: the notes' eta is half our lr with two points);
        ``"least_squares"``: mean_i 0.5*(w*x_i + b - y_i)^2 (convex). 1 to 10^5
        examples with |x_i|, |y_i| <= 10^6. With ``Noise(batch_size=B)`` a run's
        gradients are true minibatches.
        """
        from .composite import dataset

        return dataset(model, x, y, view, title, name)

    # --- sculpted / height-map / dataset attributes --------------------------------
    @property
    def base(self) -> Surface | None:
        """The surface under a sculpted surface's bumps (None for other kinds)."""
        return self._payload.base if self._payload is not None else None

    @property
    def bumps(self) -> tuple[tuple[float, float, float, float], ...]:
        """A sculpted surface's bumps (cx, cy, height, width); () for other kinds."""
        return self._payload.bumps if self._payload is not None else ()

    def with_bumps(self, bumps) -> Surface:
        """This sculpted surface's base with ``bumps`` instead of the current ones."""
        if self.kind != "sculpted":
            raise ValueError("with_bumps needs a sculpted surface; use Surface.sculpted")
        return Surface.sculpted(self.base, bumps)

    @property
    def samples(self) -> np.ndarray | None:
        """A height map's samples as given: read-only, image orientation (row 0 at the
        top), original dtype (uint8, uint16 or float64); None for other kinds."""
        return self._payload.raw if self.kind == "heightmap" else None

    @property
    def model(self) -> str | None:
        """A dataset surface's model ("sigmoid" or "least_squares"), else None."""
        return self._payload.model or None if self._payload is not None else None

    @property
    def data_x(self) -> np.ndarray | None:
        """A dataset surface's inputs x, read-only float64[N] (None for other kinds)."""
        return self._payload.data[0] if self.kind == "dataset" else None

    @property
    def data_y(self) -> np.ndarray | None:
        """A dataset surface's targets y, read-only float64[N] (None for other kinds)."""
        return self._payload.data[1] if self.kind == "dataset" else None

    def with_data(self, x, y) -> Surface:
        """The same dataset surface (model, name, title, view, starts) on other data."""
        if self.kind != "dataset":
            raise ValueError("with_data needs a dataset surface; use Surface.dataset")
        from .composite import dataset

        return dataset(self.model, x, y, self.view, self.title, self.name, self.starts)

    # --- engine inputs ------------------------------------------------------------
    @property
    def kernels(self) -> Any:
        """The compiled kernel module that knows this surface's formula."""
        if self._payload is not None:
            from ..engine import _kernels_data

            return _kernels_data
        if self.kind == "expression":
            from ..engine import _kernels_external

            return _kernels_external
        from ..engine import _kernels

        return _kernels

    @property
    def kernel_args(self) -> tuple:
        """Extra surface arguments of the kernels: a formula's compiled (f, df/dx, df/dy);
        for data-kernel surfaces see ``composite.kernel_args``."""
        if self._payload is not None:
            from .composite import kernel_args

            return kernel_args(self)
        if self.kind == "expression":
            from .formula import functions_for

            fns = functions_for(self.formula)
            return fns.f, fns.gx, fns.gy
        return ()

    def run_args(self, noise: Any, steps: int) -> tuple:
        """``kernel_args`` of a run of ``steps`` steps with ``noise`` (on a dataset
        surface with ``Noise(batch_size=B)``: with the run's minibatch table)."""
        if self.kind == "dataset":
            from .composite import run_args

            return run_args(self, noise, steps)
        return self.kernel_args

    @property
    def kernel_id(self) -> int:
        if self._payload is not None:
            return self._payload.code
        return self.kernels.SURFACE_IDS[self.name]

    @property
    def row(self) -> np.ndarray:
        """float64[P]: the flat parameter row the formula reads (never empty)."""
        return np.array(self._row or (0.0,), dtype=np.float64)

    @property
    def minima_array(self) -> np.ndarray:
        return np.array(self.minima, dtype=np.float64).reshape(-1, 2)

    # --- evaluation -----------------------------------------------------------------
    def f(self, x: Any, y: Any) -> np.ndarray:
        """Loss at points (x, y): arrays of any matching shape, float64 result."""
        xy, shape = _pack(x, y)
        out = np.empty(xy.shape[1])
        self.kernels.eval_loss(self.kernel_id, self.row, *self.kernel_args, xy, out)
        return out.reshape(shape)

    def grad(self, x: Any, y: Any) -> np.ndarray:
        """Gradient at points (x, y): float64[..., 2]."""
        xy, shape = _pack(x, y)
        out = np.empty_like(xy)
        self.kernels.eval_grad(self.kernel_id, self.row, *self.kernel_args, xy, out)
        return out.T.reshape(shape + (2,))

    def grid(
        self, nx: int = 200, ny: int = 200, view=None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs float64[nx], ys float64[ny], z float64[ny, nx]) over ``view`` (default: own)."""
        (x0, x1), (y0, y1) = view or self.view
        xs = np.linspace(x0, x1, nx)
        ys = np.linspace(y0, y1, ny)
        gx, gy = np.meshgrid(xs, ys)
        return xs, ys, self.f(gx, gy)

    def to_dict(self) -> dict[str, Any]:
        if self._payload is not None:
            from .composite import to_dict

            return to_dict(self)
        if self.kind == "expression":
            return {
                "kind": "expression",
                "formula": self.formula,
                "title": self.title,
                "domain": [list(v) for v in self.view],
                "starts": [list(s) for s in self.starts],
                "log_scale": self.log_scale,
            }
        return {"kind": "preset", "name": self.name, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Surface:
        from .composite import DATA_KINDS

        if isinstance(d, dict) and d.get("kind") in DATA_KINDS:
            from .composite import from_dict

            return from_dict(d)
        if isinstance(d, dict) and d.get("kind") == "expression":
            if not isinstance(d.get("formula"), str):
                raise ValueError("an expression surface needs a 'formula' text")
            return cls.from_expression(
                d["formula"],
                d.get("domain", ((-3, 3), (-3, 3))),
                d.get("starts"),
                d.get("log_scale", False),
                d.get("title"),
            )
        if not isinstance(d, dict) or d.get("kind", "preset") != "preset" or "name" not in d:
            raise ValueError(f"not a surface description: {d!r}")
        params = d.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("surface 'params' must be a mapping")
        return cls.preset(d["name"], **params)


def _domain(domain: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in domain)
    except (TypeError, ValueError):
        raise ValueError(f"domain must be ((x0, x1), (y0, y1)), not {domain!r}") from None
    if not all(map(math.isfinite, (x0, x1, y0, y1))) or not (x0 < x1 and y0 < y1):
        raise ValueError(f"domain {domain!r} needs finite x0 < x1 and y0 < y1")
    return (x0, x1), (y0, y1)


#: Most default start points a surface may carry.
MAX_SURFACE_STARTS = 64


def check_points(starts: Any, most: int | None = None) -> tuple[tuple[float, float], ...]:
    """Start points as a tuple of (x, y) floats: one point (x, y) or float[S, 2], finite,
    1 <= S (<= ``most`` when given); ``ValueError`` saying what is wrong otherwise. The
    engine's run requests and the surfaces' default starts both check theirs here."""
    try:
        arr = np.array(starts, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"starts must be points (x, y) as float[S, 2], not {_short(starts)}"
        ) from None
    if arr.shape == (2,):
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 2 or not 1 <= len(arr) <= (most or len(arr)):
        bound = f"1 <= S <= {most}" if most else "S >= 1"
        raise ValueError(
            f"starts must be float[S, 2], points of shape (S, 2) with {bound}; "
            f"got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"starts must be finite numbers, not {_short(starts)}")
    return tuple((float(x), float(y)) for x, y in arr)


def check_starts(starts: Any, view: Any, default: Any = None) -> tuple[tuple[float, float], ...]:
    """A surface's default starts, validated by ``check_points`` (at most
    ``MAX_SURFACE_STARTS``).

    ``None`` (or no points) gives ``default``, or else one point three quarters of the way
    across ``view`` ((x0, x1), (y0, y1)).
    """
    empty = isinstance(starts, (list, tuple, np.ndarray)) and not len(starts)
    if starts is not None and not empty:
        return check_points(starts, MAX_SURFACE_STARTS)
    if default is not None:
        return default
    (x0, x1), (y0, y1) = view
    return ((x0 + 0.75 * (x1 - x0), y0 + 0.75 * (y1 - y0)),)


def check_title(title: Any, default: str) -> str:
    """``title`` if it is a string (``default`` for None or an empty one)."""
    if title is None:
        return default
    if not isinstance(title, str):
        raise ValueError(f"title={_short(title)} must be a string")
    return title or default


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _pack(x: Any, y: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    xy = np.ascontiguousarray(np.stack([x.ravel(), y.ravel()]))
    return xy, x.shape


def as_surface(surface: str | Surface) -> Surface:
    """A ``Surface`` from a preset name or a ``Surface``; ``ValueError`` otherwise."""
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str):
        return Surface.preset(surface)
    raise ValueError(f"surface must be a preset name or an optviz.Surface, not {surface!r}")
