"""What an export makes: format, size, timing, theme and panes, validated on construction.

Qt-free: the headless command and the app's dialog both build an ``ExportSpec``; the
renderer (``optviz/app/figure.py``) and the encoders (``optviz/export``) consume it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: name -> (width, height, fps)
PRESETS: dict[str, tuple[int, int, int]] = {
    "slide-1080p": (1920, 1080, 30),
    "slide-720p": (1280, 720, 30),
    "square": (1080, 1080, 30),
    "gif-small": (800, 450, 15),
}
THEMES = ("slide", "dark")
PANES = ("surface", "surface+loss", "dashboard", "race")
#: Output kinds by file suffix; a path ending in "/" (or without suffix) is a PNG sequence.
KINDS = {".mp4": "mp4", ".gif": "gif", ".png": "png", ".svg": "svg", ".csv": "csv", ".npz": "npz"}
ANIMATED = ("mp4", "gif", "png-sequence")
#: Default length of an animation when neither duration nor steps per frame is given.
DEFAULT_SECONDS = 8.0


def kind_of(path: str | Path) -> str:
    """The export kind of ``path`` from its suffix, or ``ValueError`` listing them."""
    text = str(path)
    if text.endswith(("/", "\\")) or not Path(text).suffix:
        return "png-sequence"
    suffix = Path(text).suffix.lower()
    if suffix not in KINDS:
        accepted = ", ".join(KINDS) + ", or a folder for PNG frames"
        raise ValueError(f"cannot export to {Path(text).name!r}: use {accepted}")
    return KINDS[suffix]


@dataclass(frozen=True, slots=True)
class ExportSpec:
    """One export. ``first_step``/``last_step`` default to the whole run; animation
    length comes from ``steps_per_frame`` or ``duration`` (seconds), else about
    ``DEFAULT_SECONDS``. ``frame_step`` is the step shown by a still (PNG/SVG)."""

    path: str
    width: int = 1280
    height: int = 720
    fps: int = 30
    theme: str = "slide"
    panes: str = "surface+loss"
    title: str = ""
    step_counter: bool = True
    steps_per_frame: int | None = None
    duration: float | None = None
    first_step: int = 0
    last_step: int | None = None
    frame_step: int | None = None
    transparent: bool = False

    def __post_init__(self) -> None:
        kind_of(self.path)
        for name in ("width", "height"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 64 <= v <= 7680:
                raise ValueError(f"{name}={v!r} must be an integer in [64, 7680]")
        if isinstance(self.fps, bool) or not isinstance(self.fps, int) or not 1 <= self.fps <= 120:
            raise ValueError(f"fps={self.fps!r} must be an integer in [1, 120]")
        if self.theme not in THEMES:
            raise ValueError(f"theme={self.theme!r}; choose one of: {', '.join(THEMES)}")
        if self.panes not in PANES:
            raise ValueError(f"panes={self.panes!r}; choose one of: {', '.join(PANES)}")
        if self.steps_per_frame is not None and not (
            isinstance(self.steps_per_frame, int) and self.steps_per_frame >= 1
        ):
            raise ValueError(f"steps_per_frame={self.steps_per_frame!r} must be an integer >= 1")
        if self.duration is not None and not (
            isinstance(self.duration, (int, float)) and 0 < self.duration <= 3600
        ):
            raise ValueError(f"duration={self.duration!r} must be in (0, 3600] seconds")
        if self.first_step < 0 or (self.last_step is not None and self.last_step < self.first_step):
            raise ValueError(
                f"steps {self.first_step}..{self.last_step}: need 0 <= first_step <= last_step"
            )

    @classmethod
    def from_preset(cls, name: str, path: str, **changes) -> ExportSpec:
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
        width, height, fps = PRESETS[name]
        return cls(path=path, **{"width": width, "height": height, "fps": fps, **changes})

    @property
    def kind(self) -> str:
        return kind_of(self.path)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def frame_steps(self, total_steps: int) -> np.ndarray:
        """int64[N]: the step shown in each frame of an animation (increasing, unique)."""
        last = total_steps if self.last_step is None else min(self.last_step, total_steps)
        first = min(self.first_step, last)
        span = last - first
        if self.steps_per_frame is not None:
            steps = np.arange(first, last + 1, self.steps_per_frame)
        else:
            seconds = self.duration if self.duration is not None else DEFAULT_SECONDS
            frames = max(2, min(span + 1, math.ceil(seconds * self.fps)))
            steps = np.unique(np.round(np.linspace(first, last, frames)).astype(np.int64))
        if steps[-1] != last:
            steps = np.append(steps, last)
        return steps.astype(np.int64)

    def still_step(self, total_steps: int) -> int:
        """The step a still image shows: ``frame_step`` or the last step."""
        last = total_steps if self.last_step is None else min(self.last_step, total_steps)
        return last if self.frame_step is None else max(0, min(self.frame_step, total_steps))
