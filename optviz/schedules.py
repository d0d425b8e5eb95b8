"""Learning-rate and momentum schedules: pure functions of the step, vectorised.

A schedule gives the learning rate used at every optimizer step t = 1..T as a float64
array, computed once on the host; kernels read it from a table, so any schedule works
with any optimizer and backend. Names and parameters follow
``torch.optim.lr_scheduler``; the value at step t equals what torch's scheduler gives
after t-1 calls to ``scheduler.step()`` (one after every optimizer step), which the
test suite checks against fixtures generated with torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class ScheduleParam:
    name: str
    default: Any  # None: required
    kind: str  # "int" (>= 1), "float" (>= 0), "factor" (in (0, 1]), "milestones", "choice"
    choices: tuple[str, ...] = ()
    help: str = ""


def _p(name, default=None, kind="float", choices=(), help=""):
    return ScheduleParam(name, default, kind, choices, help)


#: Every schedule with its parameters, in the order the app shows them.
SCHEDULES: dict[str, tuple[ScheduleParam, ...]] = {
    "constant": (),
    "step": (
        _p("step_size", kind="int", help="steps between decays"),
        _p("gamma", 0.1, help="decay factor"),
    ),
    "multistep": (
        _p("milestones", kind="milestones", help="steps at which to decay"),
        _p("gamma", 0.1, help="decay factor"),
    ),
    "exponential": (
        _p("gamma", help="decay factor per step; the notes' exp(-k t) is gamma = exp(-k)"),
    ),
    "inverse_time": (_p("k", help="lr / (1 + k t)"),),
    "cosine": (
        _p("T_max", kind="int", help="half period in steps"),
        _p("eta_min", 0.0, help="lowest learning rate"),
    ),
    "cosine_warm_restarts": (
        _p("T_0", kind="int", help="steps of the first cycle"),
        _p("T_mult", 1, kind="int", help="cycle length multiplier"),
        _p("eta_min", 0.0, help="lowest learning rate"),
    ),
    "cyclic": (
        _p("base_lr", help="lower bound of the cycle"),
        _p("max_lr", help="upper bound of the cycle"),
        _p("step_size_up", 2000, kind="int", help="steps of the rising half"),
        _p("step_size_down", None, kind="optional_int", help="steps of the falling half"),
        _p("mode", "triangular", kind="choice", choices=("triangular", "triangular2", "exp_range")),
        _p("gamma", 1.0, help="exp_range decay per step"),
    ),
    "one_cycle": (
        _p("max_lr", help="peak learning rate"),
        _p("total_steps", kind="int", help="length of the cycle"),
        _p("pct_start", 0.3, kind="factor", help="fraction of steps rising"),
        _p("anneal_strategy", "cos", kind="choice", choices=("cos", "linear")),
        _p("div_factor", 25.0, help="initial lr = max_lr / div_factor"),
        _p("final_div_factor", 1e4, help="final lr = initial lr / final_div_factor"),
        _p("three_phase", False, kind="bool"),
    ),
    "linear_warmup": (
        _p("start_factor", 1.0 / 3.0, kind="factor"),
        _p("end_factor", 1.0, kind="factor"),
        _p("total_iters", 5, kind="int"),
    ),
}

_COMMON = (_p("warmup_steps", 0, kind="count", help="linear ramp from 0 over these steps"),)


@dataclass(frozen=True, slots=True, init=False)
class Schedule:
    """A learning-rate schedule, validated on construction.

    >>> Schedule("step", step_size=2, gamma=0.5).values(base_lr=0.1, steps=5)
    array([0.1  , 0.1  , 0.05 , 0.05 , 0.025])
    """

    name: str
    params: tuple[tuple[str, Any], ...]

    def __init__(self, name: str = "constant", **params: Any) -> None:
        if name not in SCHEDULES:
            raise ValueError(f"unknown schedule {name!r}; choose one of: {', '.join(SCHEDULES)}")
        spec = SCHEDULES[name] + _COMMON
        known = {p.name for p in spec}
        unknown = sorted(set(params) - known)
        if unknown:
            accepted = ", ".join(p.name for p in spec)
            raise ValueError(
                f"schedule {name!r} has no parameter {unknown[0]!r}; it takes: {accepted}"
            )
        values = {}
        for p in spec:
            if p.name in params:
                values[p.name] = _validate(name, p, params[p.name])
            elif p.default is None and p.kind != "optional_int":
                raise ValueError(f"schedule {name!r} needs {p.name} ({p.help})")
            else:
                values[p.name] = p.default
        if name == "cyclic" and values["max_lr"] < values["base_lr"]:
            raise ValueError("schedule 'cyclic': max_lr must be >= base_lr")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "params", tuple(values.items()))

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)

    def to_dict(self) -> dict[str, Any]:
        d = {"name": self.name}
        defaults = {p.name: p.default for p in SCHEDULES[self.name] + _COMMON}
        d.update(
            {
                k: (list(v) if isinstance(v, tuple) else v)
                for k, v in self.params
                if v != defaults[k]
            }
        )
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Schedule:
        d = dict(d)
        return cls(d.pop("name", "constant"), **d)

    def values(self, base_lr: float, steps: int) -> np.ndarray:
        """float64[steps]: the learning rate used at optimizer steps 1..steps."""
        p = self.kwargs
        e = np.arange(steps, dtype=np.float64)  # torch's last_epoch at step t is t-1
        lr = _FORMS[self.name](float(base_lr), e, p)
        lr = np.broadcast_to(np.asarray(lr, dtype=np.float64), (steps,)).copy()
        warm = p["warmup_steps"]
        if warm > 0:
            lr *= np.minimum(1.0, e / warm)
        return lr


def _validate(schedule: str, p: ScheduleParam, v: Any) -> Any:
    where = f"schedule {schedule!r}: {p.name}={v!r}"
    if p.kind == "choice":
        if v not in p.choices:
            raise ValueError(f"{where} must be one of: {', '.join(p.choices)}")
        return v
    if p.kind == "bool":
        if not isinstance(v, bool):
            raise ValueError(f"{where} must be True or False")
        return v
    if p.kind == "milestones":
        try:
            ms = tuple(int(m) for m in v)
        except (TypeError, ValueError):
            raise ValueError(f"{where} must be a list of positive step numbers") from None
        if any(m < 1 for m in ms) or list(ms) != sorted(ms):
            raise ValueError(f"{where} must be increasing positive step numbers")
        return ms
    if p.kind == "optional_int" and v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"{where} must be a finite number")
    if p.kind in ("int", "optional_int"):
        if v != int(v) or v < 1:
            raise ValueError(f"{where} must be an integer >= 1")
        return int(v)
    if p.kind == "count":
        if v != int(v) or v < 0:
            raise ValueError(f"{where} must be an integer >= 0")
        return int(v)
    if p.kind == "factor":
        if not 0 < v <= 1:
            raise ValueError(f"{where} must be in (0, 1]")
        return float(v)
    if v < 0:
        raise ValueError(f"{where} must be >= 0")
    return float(v)


# --- closed forms; e = torch's last_epoch (float64 array 0..T-1) ----------------------
def _step(lr, e, p):
    return lr * p["gamma"] ** np.floor(e / p["step_size"])


def _multistep(lr, e, p):
    passed = np.searchsorted(np.asarray(p["milestones"], dtype=np.float64), e, side="right")
    return lr * p["gamma"] ** passed


def _cosine(lr, e, p):
    return p["eta_min"] + (lr - p["eta_min"]) * (1 + np.cos(np.pi * e / p["T_max"])) / 2


def _cosine_warm_restarts(lr, e, p):
    t0, mult = p["T_0"], p["T_mult"]
    if mult == 1:
        t_cur, t_i = e % t0, np.full_like(e, t0)
    else:
        # Cycle n starts at T_0 (mult^n - 1)/(mult - 1); integer arithmetic avoids log round-off.
        t_cur = e.copy()
        t_i = np.full_like(e, t0)
        start, length = 0, t0
        last = e[-1] if e.size else -1.0
        while start <= last:
            inside = (e >= start) & (e < start + length)
            t_cur[inside] = e[inside] - start
            t_i[inside] = length
            start += length
            length *= mult
    return p["eta_min"] + (lr - p["eta_min"]) * (1 + np.cos(np.pi * t_cur / t_i)) / 2


def _cyclic(lr, e, p):
    up = float(p["step_size_up"])
    down = float(p["step_size_down"]) if p["step_size_down"] is not None else up
    total = up + down
    ratio = up / total
    cycle = np.floor(1 + e / total)
    x = 1.0 + e / total - cycle
    scale = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    height = (p["max_lr"] - p["base_lr"]) * scale
    if p["mode"] == "triangular":
        factor = 1.0
    elif p["mode"] == "triangular2":
        factor = 1 / (2.0 ** (cycle - 1))
    else:
        factor = p["gamma"] ** e
    return p["base_lr"] + height * factor


def _one_cycle(lr, e, p):
    total = p["total_steps"]
    initial = p["max_lr"] / p["div_factor"]
    peak = p["max_lr"]
    final = initial / p["final_div_factor"]
    pct = p["pct_start"]
    if p["three_phase"]:
        phases = [
            (float(pct * total) - 1, initial, peak),
            (float(2 * pct * total) - 2, peak, initial),
            (total - 1, initial, final),
        ]
    else:
        phases = [(float(pct * total) - 1, initial, peak), (total - 1, peak, final)]
    out = np.empty_like(e)
    start_step = 0.0
    done = np.zeros(e.shape, dtype=bool)
    for i, (end_step, a, b) in enumerate(phases):
        here = ~done & ((e <= end_step) | (i == len(phases) - 1))
        frac = (e[here] - start_step) / (end_step - start_step)
        if p["anneal_strategy"] == "cos":
            out[here] = b + (a - b) / 2.0 * (np.cos(np.pi * frac) + 1)
        else:
            out[here] = (b - a) * frac + a
        done |= here
        start_step = end_step
    return out


def _linear_warmup(lr, e, p):
    s, f, n = p["start_factor"], p["end_factor"], p["total_iters"]
    return lr * (s + (f - s) * np.minimum(e, n) / n)


_FORMS = {
    "constant": lambda lr, e, p: np.full_like(e, lr),
    "step": _step,
    "multistep": _multistep,
    "exponential": lambda lr, e, p: lr * p["gamma"] ** e,
    "inverse_time": lambda lr, e, p: lr / (1.0 + p["k"] * e),
    "cosine": _cosine,
    "cosine_warm_restarts": _cosine_warm_restarts,
    "cyclic": _cyclic,
    "one_cycle": _one_cycle,
    "linear_warmup": _linear_warmup,
}

#: Momentum schedules for the momentum-based optimizers.
MOMENTUM_SCHEDULES = ("constant", "sutskever")


def sutskever_momentum(beta_max: float, steps: int) -> np.ndarray:
    """float64[steps]: the momentum of Sutskever et al. (2013) at steps 1..steps.

    beta_t = min(1 - 2^(-1 - log2(floor(t/250) + 1)), beta_max)
    """
    t = np.arange(1, steps + 1, dtype=np.float64)
    return np.minimum(1.0 - 2.0 ** (-1.0 - np.log2(np.floor(t / 250.0) + 1.0)), beta_max)
