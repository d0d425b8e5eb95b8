"""Scenes: what the app shows, as an immutable value saved to readable, versioned JSON.

A scene is a surface, a list of optimizer entries (optimizer, colour, enabled), start
points, the number of steps, noise and the view box. The app edits scenes by building
new ones (``dataclasses.replace``); saving writes a temporary file and renames it, so a
crash never leaves a half-written scene; loading validates everything and raises
``SceneError`` with a message fit for a dialog.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .atomic_files import write_atomic
from .engine.noise import Noise
from .engine.run import RunSpec
from .optimizers.spec import Optimizer
from .studies import Studies
from .surfaces.surface import Surface

SCENE_FORMAT = "optviz-scene"
#: Version 2 added "studies" (race/tune/swarm/sweep settings); version 1 files load
#: with the default studies.
SCENE_VERSION = 2
MAX_STEPS = 100_000
MAX_STARTS = 64

#: Colours assigned to new optimizers, in order (Tableau 10, readable on dark and light).
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def next_color(entries) -> str:
    """The first palette colour no entry uses (cycling once all are taken)."""
    used = {e.color for e in entries}
    return next((c for c in PALETTE if c not in used), PALETTE[len(entries) % len(PALETTE)])


def unique_label(base: str, entries) -> str:
    """``base``, or ``"base 2"``, ``"base 3"``, ... : the first no entry is labelled with."""
    labels = {e.optimizer.label for e in entries}
    if base not in labels:
        return base
    n = 2
    while f"{base} {n}" in labels:
        n += 1
    return f"{base} {n}"


class SceneError(ValueError):
    """A scene file that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One optimizer of a scene with how it is drawn."""

    optimizer: Optimizer
    color: str
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {**self.optimizer.to_dict(), "color": self.color, "enabled": self.enabled}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entry:
        if not isinstance(d, dict):
            raise SceneError(f"an optimizer entry must be an object, not {d!r}")
        d = dict(d)
        color = d.pop("color", PALETTE[0])
        enabled = d.pop("enabled", True)
        if not (isinstance(color, str) and len(color) == 7 and color.startswith("#")):
            raise SceneError(f"colour {color!r} must look like '#1f77b4'")
        try:
            int(color[1:], 16)
        except ValueError:
            raise SceneError(f"colour {color!r} must look like '#1f77b4'") from None
        return cls(Optimizer.from_dict(d), color, bool(enabled))


@dataclass(frozen=True, slots=True)
class Scene:
    """Everything needed to reproduce what the window shows."""

    surface: Surface
    entries: tuple[Entry, ...]
    starts: tuple[tuple[float, float], ...]
    steps: int = 2000
    noise: Noise = field(default_factory=Noise)
    view: tuple[tuple[float, float], tuple[float, float]] | None = None
    studies: Studies = field(default_factory=Studies)

    def __post_init__(self) -> None:
        if not 1 <= self.steps <= MAX_STEPS:
            raise SceneError(f"steps={self.steps} must be in [1, {MAX_STEPS}]")
        if not 1 <= len(self.starts) <= MAX_STARTS:
            raise SceneError(f"a scene has 1 to {MAX_STARTS} start points")

    # --- derived -------------------------------------------------------------------
    @property
    def enabled(self) -> list[int]:
        """Indices of the enabled entries."""
        return [i for i, e in enumerate(self.entries) if e.enabled]

    @property
    def view_box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return self.view or self.surface.view

    def run_spec(self) -> RunSpec | None:
        """The engine request for the enabled optimizers (None when none is enabled)."""
        optimizers = [self.entries[i].optimizer for i in self.enabled]
        if not optimizers:
            return None
        # A batch size alone means true minibatches, which only dataset surfaces have.
        minibatches = self.noise.batch_size is not None and self.surface.kind == "dataset"
        noise = self.noise if self.noise.std > 0 or minibatches else None
        return RunSpec.build(self.surface, optimizers, self.starts, self.steps, noise)

    def with_entries(self, entries) -> Scene:
        return replace(self, entries=tuple(entries))

    # --- JSON ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SCENE_FORMAT,
            "version": SCENE_VERSION,
            "surface": self.surface.to_dict(),
            "optimizers": [e.to_dict() for e in self.entries],
            "starts": [list(s) for s in self.starts],
            "steps": self.steps,
            "noise": self.noise.to_dict(),
            "view": [list(v) for v in self.view] if self.view else None,
            "studies": self.studies.to_dict(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, d: Any) -> Scene:
        if not isinstance(d, dict) or d.get("format") != SCENE_FORMAT:
            raise SceneError('this is not an optviz scene (no "format": "optviz-scene")')
        version = d.get("version")
        if not isinstance(version, int) or version > SCENE_VERSION or version < 1:
            raise SceneError(
                f"scene version {version!r} is not supported "
                f"(this optviz reads versions 1 to {SCENE_VERSION})"
            )
        try:
            surface = Surface.from_dict(d["surface"])
            entries = tuple(Entry.from_dict(e) for e in d.get("optimizers", []))
            starts = _pairs(d["starts"], "starts")
            steps = d.get("steps", 2000)
            if isinstance(steps, bool) or not isinstance(steps, int):
                raise SceneError(f"steps={steps!r} must be an integer")
            noise = Noise.from_dict(d.get("noise") or {})
            view = d.get("view")
            view = _pairs(view, "view") if view is not None else None
            if view is not None and (len(view) != 2 or any(a >= b for a, b in view)):
                raise SceneError("view must be [[x0, x1], [y0, y1]] with x0 < x1 and y0 < y1")
            studies = Studies.from_dict(d["studies"]) if d.get("studies") else Studies()
        except KeyError as missing:
            raise SceneError(f"the scene has no {missing.args[0]!r}") from None
        except SceneError:
            raise
        except ValueError as bad:
            raise SceneError(str(bad)) from None
        return cls(surface, entries, starts, steps, noise, view, studies)

    @classmethod
    def from_json(cls, text: str) -> Scene:
        try:
            data = json.loads(text)
            return cls.from_dict(data)
        except json.JSONDecodeError as err:
            raise SceneError(f"not valid JSON: {err.msg} at line {err.lineno}") from None
        except RecursionError:  # e.g. a sculpted surface on a sculpted surface on ...
            raise SceneError("the scene is nested too deeply to be an optviz scene") from None

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically: a temporary file in the same folder, then a rename."""
        write_atomic(Path(path), self.to_json().encode())

    @classmethod
    def load(cls, path: str | os.PathLike) -> Scene:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise SceneError(f"cannot read {path}: {err.strerror or err}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SceneError(f"{path.name} is not a text file") from None
        return cls.from_json(text)


def _pairs(value: Any, what: str) -> tuple[tuple[float, float], ...]:
    try:
        pairs = tuple((float(a), float(b)) for a, b in value)
    except (TypeError, ValueError):
        raise SceneError(f"{what} must be a list of [x, y] pairs") from None
    if not all(map(_finite, (v for p in pairs for v in p))):
        raise SceneError(f"{what} must be finite numbers")
    return pairs


def _finite(v: float) -> bool:
    return v == v and abs(v) != float("inf")


def default_scene() -> Scene:
    """The first minute: Rosenbrock from (-1.5, 2) with four optimizers whose paths differ
    at a glance. In 2000 steps plain SGD crawls down the valley to (0.3, 0.1), momentum
    gets to (0.88, 0.77), RMSProp zig-zags at a constant pace to (0.95, 0.89) and Adam
    arrives at (1, 1); none diverges (learning rates checked in tests/test_scene.py)."""
    entries = (
        Entry(Optimizer("sgd", lr=8e-4, label="SGD"), PALETTE[0]),
        Entry(Optimizer("momentum", lr=1e-4, momentum=0.95, label="Momentum"), PALETTE[1]),
        Entry(Optimizer("rmsprop", lr=1e-2, label="RMSProp"), PALETTE[2]),
        Entry(Optimizer("adam", lr=0.05, label="Adam"), PALETTE[4]),
    )
    return Scene(Surface.preset("rosenbrock"), entries, ((-1.5, 2.0),), steps=2000)
