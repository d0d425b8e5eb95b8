"""Settings of the comparison studies (race, tune, swarm, sweep) as saved in scene files.

Each is a small frozen dataclass, validated on construction (``ValueError`` with the
field's name) and on loading; ``Studies`` groups them under the scene's ``"studies"``
key. A scene without that key (version 1) loads with the defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .race import Finish
from .swarm import START_KINDS
from .sweep import TUNE_CRITERIA

AXIS_SCALES = ("log", "linear")
RACE_LAYOUTS = ("overlay", "multiples")
SWARM_COLORS = ("basin", "steps")
SWEEP_METRICS = ("final_loss", "steps_to_finish")
MAX_AXIS_POINTS = 1000
MAX_SWARM_STARTS = 100_000
MAX_STUDY_STEPS = 100_000


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}={value!r} must be an integer")
    if not low <= value <= high:
        raise ValueError(f"{name}={value!r} must be in [{low}, {high}]")
    return int(value)


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name}={value!r}; choose one of: {', '.join(choices)}")
    return value


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name}={value!r} must be a number")
    if not math.isfinite(value):
        raise ValueError(f"{name}={value!r} must be finite")
    return float(value)


def _mapping(d: Any, what: str, keys: set[str]) -> dict:
    if not isinstance(d, dict):
        raise ValueError(f"{what} must be an object, not {d!r}")
    unknown = set(d) - keys
    if unknown:
        raise ValueError(f"{what} has unknown keys: {', '.join(sorted(unknown))}")
    return d


@dataclass(frozen=True, slots=True)
class Axis:
    """One swept hyperparameter: ``n`` values from ``low`` to ``high`` on a log or linear
    scale (``values()`` float64[n])."""

    key: str
    low: float
    high: float
    n: int
    scale: str = "log"

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise ValueError(f"axis key {self.key!r} must be a hyperparameter name")
        object.__setattr__(self, "low", _number(self.low, f"{self.key} low"))
        object.__setattr__(self, "high", _number(self.high, f"{self.key} high"))
        object.__setattr__(self, "n", _int(self.n, f"{self.key} points", 1, MAX_AXIS_POINTS))
        _choice(self.scale, f"{self.key} scale", AXIS_SCALES)
        if self.high < self.low or (self.n > 1 and self.high == self.low):
            raise ValueError(f"{self.key}: low={self.low:g} must be below high={self.high:g}")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"{self.key}: a log axis needs low > 0, not {self.low:g}")

    def values(self) -> np.ndarray:
        if self.scale == "log":
            return np.logspace(math.log10(self.low), math.log10(self.high), self.n)
        return np.linspace(self.low, self.high, self.n)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "scale": self.scale,
        }

    @classmethod
    def from_dict(cls, d: Any) -> Axis:
        d = _mapping(d, "an axis", {"key", "low", "high", "n", "scale"})
        try:
            return cls(d["key"], d["low"], d["high"], d["n"], d.get("scale", "log"))
        except KeyError as missing:
            raise ValueError(f"an axis needs {missing.args[0]!r}") from None


def _axis_or_none(d: Any) -> Axis | None:
    return None if d is None else Axis.from_dict(d)


@dataclass(frozen=True, slots=True)
class RaceSettings:
    """The finish line (``None``: ``Finish.default_for(surface)``) and the layout."""

    finish: Finish | None = None
    layout: str = "overlay"

    def __post_init__(self) -> None:
        if self.finish is not None and not isinstance(self.finish, Finish):
            raise ValueError(f"race finish must be an optviz.Finish or None, not {self.finish!r}")
        _choice(self.layout, "race layout", RACE_LAYOUTS)

    def to_dict(self) -> dict[str, Any]:
        return {"finish": self.finish.to_dict() if self.finish else None, "layout": self.layout}

    @classmethod
    def from_dict(cls, d: Any) -> RaceSettings:
        d = _mapping(d, "race settings", {"finish", "layout"})
        finish = d.get("finish")
        return cls(
            Finish.from_dict(finish) if finish is not None else None, d.get("layout", "overlay")
        )


@dataclass(frozen=True, slots=True)
class TuneSettings:
    """The learning-rate grid, an optional second axis and the criterion of ``tune``."""

    lr: Axis = field(default_factory=lambda: Axis("lr", 1e-4, 1.0, 25, "log"))
    second: Axis | None = None
    criterion: str = "steps"

    def __post_init__(self) -> None:
        if not isinstance(self.lr, Axis) or self.lr.key != "lr":
            raise ValueError("the tune grid's first axis must be an Axis with key 'lr'")
        if self.lr.low <= 0:
            raise ValueError("the tune learning rates must be > 0")
        if self.second is not None and (
            not isinstance(self.second, Axis) or self.second.key == "lr"
        ):
            raise ValueError("the tune grid's second axis must be an Axis other than 'lr'")
        _choice(self.criterion, "tune criterion", TUNE_CRITERIA)

    def second_values(self) -> tuple[str, np.ndarray] | None:
        """``tune``'s ``second`` argument."""
        return None if self.second is None else (self.second.key, self.second.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "lr": self.lr.to_dict(),
            "second": self.second.to_dict() if self.second else None,
            "criterion": self.criterion,
        }

    @classmethod
    def from_dict(cls, d: Any) -> TuneSettings:
        d = _mapping(d, "tune settings", {"lr", "second", "criterion"})
        lr = Axis.from_dict(d["lr"]) if "lr" in d else TuneSettings().lr
        return cls(lr, _axis_or_none(d.get("second")), d.get("criterion", "steps"))


@dataclass(frozen=True, slots=True)
class SwarmSettings:
    """Starts ("grid" or "random", ``n`` of them, ``seed``), steps, tol (``None``: the
    default) and what the map colours by ("basin" or "steps")."""

    starts: str = "grid"
    n: int = 10_000
    steps: int = 500
    seed: int = 0
    tol: float | None = None
    color_by: str = "basin"

    def __post_init__(self) -> None:
        _choice(self.starts, "swarm starts", START_KINDS)
        _int(self.n, "swarm n", 1, MAX_SWARM_STARTS)
        _int(self.steps, "swarm steps", 1, MAX_STUDY_STEPS)
        _int(self.seed, "swarm seed", 0, 2**63 - 1)
        if self.tol is not None:
            tol = _number(self.tol, "swarm tol")
            if tol <= 0:
                raise ValueError(f"swarm tol={tol!r} must be > 0")
            object.__setattr__(self, "tol", tol)
        _choice(self.color_by, "swarm colour", SWARM_COLORS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "starts": self.starts,
            "n": self.n,
            "steps": self.steps,
            "seed": self.seed,
            "tol": self.tol,
            "color_by": self.color_by,
        }

    @classmethod
    def from_dict(cls, d: Any) -> SwarmSettings:
        d = _mapping(d, "swarm settings", {"starts", "n", "steps", "seed", "tol", "color_by"})
        return cls(**d)


@dataclass(frozen=True, slots=True)
class SweepSettings:
    """Which scene entry is swept (``entry``: index into the scene's optimizers), its
    axes ``x`` and optional ``y``, the steps and the metric the heat map shows."""

    entry: int = 0
    x: Axis = field(default_factory=lambda: Axis("lr", 1e-4, 1.0, 100, "log"))
    y: Axis | None = field(default_factory=lambda: Axis("momentum", 0.0, 0.99, 100, "linear"))
    steps: int = 500
    metric: str = "final_loss"

    def __post_init__(self) -> None:
        _int(self.entry, "sweep entry", 0, 10_000)
        if not isinstance(self.x, Axis) or (self.y is not None and not isinstance(self.y, Axis)):
            raise ValueError("sweep axes must be Axis values")
        if self.y is not None and self.y.key == self.x.key:
            raise ValueError(f"the sweep axes both vary {self.x.key!r}")
        _int(self.steps, "sweep steps", 1, MAX_STUDY_STEPS)
        _choice(self.metric, "sweep metric", SWEEP_METRICS)

    def axes(self) -> dict[str, np.ndarray]:
        """``sweep``'s ``axes`` argument."""
        out = {self.x.key: self.x.values()}
        if self.y is not None:
            out[self.y.key] = self.y.values()
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry": self.entry,
            "x": self.x.to_dict(),
            "y": self.y.to_dict() if self.y else None,
            "steps": self.steps,
            "metric": self.metric,
        }

    @classmethod
    def from_dict(cls, d: Any) -> SweepSettings:
        d = _mapping(d, "sweep settings", {"entry", "x", "y", "steps", "metric"})
        default = SweepSettings()
        x = Axis.from_dict(d["x"]) if "x" in d else default.x
        y = _axis_or_none(d["y"]) if "y" in d else default.y
        return cls(d.get("entry", 0), x, y, d.get("steps", 500), d.get("metric", "final_loss"))


@dataclass(frozen=True, slots=True)
class Studies:
    """All study settings of a scene."""

    race: RaceSettings = field(default_factory=RaceSettings)
    tune: TuneSettings = field(default_factory=TuneSettings)
    swarm: SwarmSettings = field(default_factory=SwarmSettings)
    sweep: SweepSettings = field(default_factory=SweepSettings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "race": self.race.to_dict(),
            "tune": self.tune.to_dict(),
            "swarm": self.swarm.to_dict(),
            "sweep": self.sweep.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Any) -> Studies:
        d = _mapping(d, "studies", {"race", "tune", "swarm", "sweep"})
        return cls(
            RaceSettings.from_dict(d["race"]) if "race" in d else RaceSettings(),
            TuneSettings.from_dict(d["tune"]) if "tune" in d else TuneSettings(),
            SwarmSettings.from_dict(d["swarm"]) if "swarm" in d else SwarmSettings(),
            SweepSettings.from_dict(d["sweep"]) if "sweep" in d else SweepSettings(),
        )
