"""``Optimizer``: one optimizer configuration, immutable and validated on construction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..schedules import MOMENTUM_SCHEDULES, Schedule, sutskever_momentum
from .registry import OptimizerInfo, get


@dataclass(frozen=True, slots=True, init=False)
class Optimizer:
    """An optimizer of the registry with its hyperparameters.

    >>> Optimizer("adam", lr=0.01, betas=(0.9, 0.99))
    Optimizer('adam', lr=0.01, betas=(0.9, 0.99))

    Parameters
    ----------
    name
        A registry key (``optviz.OPTIMIZER_NAMES``).
    schedule
        Learning-rate schedule; ``None`` is a constant learning rate.
    momentum_schedule
        ``"sutskever"`` makes the momentum follow Sutskever et al. (2013), capped at
        ``beta_max``; only for optimizers with a ``momentum`` hyperparameter.
    label
        Display name (defaults to the registry name).
    **hyper
        Hyperparameters by their reference names; missing ones take their defaults.
    """

    name: str
    hyper: tuple[tuple[str, Any], ...]
    schedule: Schedule | None
    momentum_schedule: str
    beta_max: float
    label: str

    def __init__(
        self,
        name: str,
        *,
        schedule: Schedule | None = None,
        momentum_schedule: str = "constant",
        beta_max: float = 0.999,
        label: str | None = None,
        **hyper: Any,
    ) -> None:
        info = get(name)
        known = {p.name for p in info.params}
        for key in hyper:
            if key not in known:
                raise ValueError(
                    f"optimizer {name!r} has no hyperparameter {key!r}; "
                    f"it takes: {', '.join(p.name for p in info.params)}"
                )
        values = {p.name: p.validate(hyper.get(p.name, p.default), name) for p in info.params}
        if schedule is not None and not isinstance(schedule, Schedule):
            raise ValueError(f"schedule must be an optviz.Schedule or None, not {schedule!r}")
        if momentum_schedule not in MOMENTUM_SCHEDULES:
            raise ValueError(
                f"momentum_schedule={momentum_schedule!r}; "
                f"choose one of: {', '.join(MOMENTUM_SCHEDULES)}"
            )
        if momentum_schedule != "constant" and info.momentum_param is None:
            raise ValueError(f"optimizer {name!r} has no momentum to schedule")
        if not 0.0 <= beta_max < 1.0:
            raise ValueError(f"beta_max={beta_max!r} must be in [0, 1)")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "hyper", tuple(values.items()))
        object.__setattr__(self, "schedule", schedule)
        object.__setattr__(self, "momentum_schedule", momentum_schedule)
        object.__setattr__(self, "beta_max", float(beta_max))
        object.__setattr__(self, "label", str(label) if label else name)

    @property
    def info(self) -> OptimizerInfo:
        return get(self.name)

    @property
    def params(self) -> dict[str, Any]:
        """All hyperparameters, defaults included."""
        return dict(self.hyper)

    @property
    def lr(self) -> float | None:
        return self.params.get("lr")

    def replace(self, **changes: Any) -> Optimizer:
        """A copy with some hyperparameters or options changed."""
        options = {
            "schedule": self.schedule,
            "momentum_schedule": self.momentum_schedule,
            "beta_max": self.beta_max,
            "label": self.label,
        }
        hyper = self.params
        for key, value in changes.items():
            (options if key in options else hyper)[key] = value
        return Optimizer(self.name, **options, **hyper)

    def __repr__(self) -> str:
        defaults = self.info.defaults
        shown = [f"{k}={v!r}" for k, v in self.hyper if k == "lr" or v != defaults[k]]
        if self.schedule is not None:
            shown.append(f"schedule={self.schedule!r}")
        if self.momentum_schedule != "constant":
            shown.append(
                f"momentum_schedule={self.momentum_schedule!r}, beta_max={self.beta_max!r}"
            )
        if self.label != self.name:
            shown.append(f"label={self.label!r}")
        return f"Optimizer({', '.join([repr(self.name)] + shown)})"

    def describe(self) -> str:
        """A short legend text: the label and the key hyperparameters."""
        defaults = self.info.defaults
        keys = [k for k, v in self.hyper if k == "lr" or v != defaults[k]]
        parts = [f"{k}={_fmt(self.params[k])}" for k in keys]
        if self.schedule is not None:
            parts.append(self.schedule.name)
        return f"{self.label} ({', '.join(parts)})" if parts else self.label

    # --- engine inputs ------------------------------------------------------------
    def packed_row(self) -> list[float]:
        return self.info.pack(self.params)

    def lr_values(self, steps: int) -> np.ndarray:
        """float64[steps]: the scheduled learning rate at steps 1..steps."""
        base = self.params.get("lr", 0.0)
        if self.schedule is None:
            return np.full(steps, base, dtype=np.float64)
        return self.schedule.values(base, steps)

    def momentum_values(self, steps: int) -> np.ndarray:
        """float64[steps]: the momentum at steps 1..steps (zeros if it has none)."""
        name = self.info.momentum_param
        if name is None:
            return np.zeros(steps, dtype=np.float64)
        if self.momentum_schedule == "sutskever":
            return sutskever_momentum(self.beta_max, steps)
        return np.full(steps, self.params[name], dtype=np.float64)

    # --- scenes ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "label": self.label}
        d["hyper"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.hyper}
        if self.schedule is not None:
            d["schedule"] = self.schedule.to_dict()
        if self.momentum_schedule != "constant":
            d["momentum_schedule"] = self.momentum_schedule
            d["beta_max"] = self.beta_max
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Optimizer:
        if not isinstance(d, dict) or "name" not in d:
            raise ValueError(f"an optimizer entry needs a 'name': {d!r}")
        hyper = d.get("hyper", {})
        if not isinstance(hyper, dict):
            raise ValueError(f"optimizer {d['name']!r}: 'hyper' must be a mapping")
        schedule = Schedule.from_dict(d["schedule"]) if d.get("schedule") else None
        return cls(
            d["name"],
            schedule=schedule,
            momentum_schedule=d.get("momentum_schedule", "constant"),
            beta_max=d.get("beta_max", 0.999),
            label=d.get("label"),
            **hyper,
        )


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt(x) for x in v) + ")"
    return str(v)
