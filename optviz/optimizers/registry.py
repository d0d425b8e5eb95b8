"""The optimizer registry: names, hyperparameters, defaults, ranges and references.

This is the Python-side description of each optimizer of OPTIMIZERS.md. It validates
user values, packs them into the flat float64 row that the update body in
``rules.py`` reads (``NAME_SLOTS`` gives the layout), and carries the text the app
shows (title, reference, update equations). Opcodes are positions in ``OPTIMIZERS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from . import rules

#: The width of every packed hyperparameter row (the longest layout).
ROW_WIDTH = max(len(getattr(rules, n)) for n in dir(rules) if n.endswith("_SLOTS"))


@dataclass(frozen=True, slots=True)
class HyperParam:
    """One hyperparameter: its name, default, kind and valid range.

    ``kind`` tells validation and the app's editor what it is: ``"lr"`` and ``"log"``
    (non-negative, edited on a log scale), ``"unit"`` (in [low, high) or [low, high]),
    ``"nonneg"``, ``"bool"``, ``"int"`` (integer >= low), ``"pair"`` (two values, each in
    the unit range), ``"etas"`` (1 to 8 positive values).
    """

    name: str
    default: Any
    kind: str
    low: float = 0.0
    high: float = math.inf
    high_inclusive: bool = False
    help: str = ""

    def range_text(self) -> str:
        if self.kind == "bool":
            return "True or False"
        if self.kind == "int":
            return f"an integer >= {self.low:g}"
        if self.kind == "etas":
            return f"1 to {rules.LINE_SEARCH_MAX_ETAS} positive numbers"
        closing = "]" if self.high_inclusive else ")"
        if self.high == math.inf:
            return f">= {self.low:g}"
        interval = f"[{self.low:g}, {self.high:g}{closing}"
        return f"two values in {interval}" if self.kind == "pair" else f"in {interval}"

    def validate(self, value: Any, owner: str) -> Any:
        """Return ``value`` normalised (floats, tuples) or raise ``ValueError``."""
        where = f"{owner}: {self.name}={value!r}"
        if self.kind == "bool":
            if isinstance(value, bool) or value in (0, 1):
                return bool(value)
            raise ValueError(f"{where} must be True or False")
        if self.kind == "etas":
            try:
                values = tuple(float(v) for v in value)
            except TypeError:
                raise ValueError(f"{where} must be a sequence of {self.range_text()}") from None
            if not 1 <= len(values) <= rules.LINE_SEARCH_MAX_ETAS or not all(
                math.isfinite(v) and v > 0 for v in values
            ):
                raise ValueError(f"{where} must be {self.range_text()}")
            return values
        if self.kind == "pair":
            try:
                values = tuple(float(v) for v in value)
            except TypeError:
                raise ValueError(f"{where} must be a pair of numbers {self.range_text()}") from None
            if len(values) != 2 or not all(self._in_range(v) for v in values):
                raise ValueError(f"{where} must be {self.range_text()}")
            return values
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where} must be a number {self.range_text()}")
        if self.kind == "int":
            if value != int(value) or value < self.low:
                raise ValueError(f"{where} must be {self.range_text()}")
            return int(value)
        value = float(value)
        if not self._in_range(value):
            raise ValueError(f"{where} must be {self.range_text()}")
        return value

    def _in_range(self, v: float) -> bool:
        if not math.isfinite(v) or v < self.low:
            return False
        return v <= self.high if self.high_inclusive else v < self.high


def _lr(default: float) -> HyperParam:
    return HyperParam("lr", default, "lr", help="learning rate (step size)")


def _eps(default: float, name: str = "eps") -> HyperParam:
    return HyperParam(name, default, "log", help="added to the denominator for stability")


def _window_adam_params(second_moment: str) -> tuple[HyperParam, ...]:
    """The hyperparameters of McAllester's simplified Adam and its batch-decoupled variant,
    which differ only in what the second-moment window averages."""
    return (
        _lr(1e-3),
        HyperParam("window_g", 10, "int", 1.0, help="averaging window Ng of g"),
        HyperParam("window_s", 1000, "int", 1.0, help=f"averaging window Ns of {second_moment}"),
        _eps(1e-8),
    )


def _betas(default: tuple[float, float]) -> HyperParam:
    return HyperParam(
        "betas",
        default,
        "pair",
        0.0,
        1.0,
        help="decay rates of the first and second moment averages",
    )


def _unit(name: str, default: float, help: str, inclusive: bool = False) -> HyperParam:
    return HyperParam(name, default, "unit", 0.0, 1.0, inclusive, help)


def _nonneg(name: str, default: float, help: str) -> HyperParam:
    return HyperParam(name, default, "nonneg", help=help)


def _flag(name: str, default: bool, help: str) -> HyperParam:
    return HyperParam(name, default, "bool", help=help)


_MOMENTUM = "momentum"
_WD = "weight_decay"


@dataclass(frozen=True, slots=True)
class OptimizerInfo:
    """Everything optviz knows about one registered optimizer.

    ``rule`` names the update body in ``rules.py`` (``None`` for ``line_search``, which
    the kernel implements as a special block). ``fixed`` are row entries the user does
    not set (``adamw`` is Adam with ``decoupled`` = 1). ``momentum_param`` names the
    hyperparameter that travels in the per-step momentum table (so it can follow a
    schedule) instead of the row.
    """

    name: str
    title: str
    reference: str
    params: tuple[HyperParam, ...]
    rule: str | None
    equations: str
    effective_lr: str
    lookahead: bool = False
    fixed: dict[str, float] = field(default_factory=dict)
    momentum_param: str | None = None
    opcode: int = -1

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    @property
    def slots(self) -> tuple[str, ...]:
        return getattr(rules, f"{(self.rule or self.name).upper()}_SLOTS")

    def param(self, name: str) -> HyperParam:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def pack(self, values: dict[str, Any]) -> list[float]:
        """The flat hyperparameter row (length ``ROW_WIDTH``) of validated ``values``."""
        flat: dict[str, float] = dict(self.fixed)
        for name, value in values.items():
            if name == "betas":
                flat["beta1"], flat["beta2"] = value
            elif name == "nus":
                flat["nu1"], flat["nu2"] = value
            elif name == "etas":
                flat["n_etas"] = float(len(value))
                flat.update({f"eta{i}": v for i, v in enumerate(value)})
            else:
                flat[name] = float(value)
        row = [flat.get(slot, 0.0) for slot in self.slots]
        return row + [0.0] * (ROW_WIDTH - len(row))


_ADAM_EQ = (
    "m = β1·m + (1−β1)·g\nv = β2·v + (1−β2)·g²\nx −= lr·m̂ / (√v̂ + ε),  m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ)"
)
_ADAM_ELR = "lr / (√v̂ + ε), the factor on m̂"


def _adam_like(name, title, reference, lr, wd, amsgrad, fixed, equations) -> OptimizerInfo:
    return OptimizerInfo(
        name,
        title,
        reference,
        (
            _lr(lr),
            _betas((0.9, 0.999)),
            _eps(1e-8),
            _nonneg(
                _WD, wd, "weight decay" + (" (decoupled)" if fixed.get("decoupled") else " (L2)")
            ),
            _flag("amsgrad", amsgrad, "use the running maximum of v"),
        ),
        "adam",
        equations,
        _ADAM_ELR,
        fixed=fixed,
    )


_ENTRIES: tuple[OptimizerInfo, ...] = (
    OptimizerInfo(
        "gd",
        "Gradient descent",
        "plain gradient descent",
        (_lr(1e-2),),
        "gd",
        "x −= lr·g",
        "lr",
    ),
    OptimizerInfo(
        "sgd",
        "SGD",
        "torch.optim.SGD",
        (
            _lr(1e-3),
            _unit(_MOMENTUM, 0.0, "momentum factor"),
            _unit("dampening", 0.0, "dampening of the momentum buffer", inclusive=True),
            _nonneg(_WD, 0.0, "weight decay (L2)"),
            _flag("nesterov", False, "Nesterov momentum"),
        ),
        "sgd",
        "b = μ·b + (1−dampening)·g   (b = g at step 1)\n"
        "x −= lr·(g + μ·b)  if nesterov,  else  x −= lr·b",
        "lr",
        momentum_param=_MOMENTUM,
    ),
    OptimizerInfo(
        "momentum",
        "Momentum",
        "seed notes (Khapra 5.4)",
        (_lr(1e-2), _unit(_MOMENTUM, 0.9, "momentum factor")),
        "momentum",
        "u = μ·u + lr·g\nx −= u",
        "lr",
        momentum_param=_MOMENTUM,
    ),
    OptimizerInfo(
        "nag",
        "Nesterov (look-ahead)",
        "seed notes (Khapra 5.5)",
        (_lr(1e-2), _unit(_MOMENTUM, 0.9, "momentum factor")),
        "nag",
        "g = ∇f(x − μ·u)\nu = μ·u + lr·g\nx −= u",
        "lr",
        lookahead=True,
        momentum_param=_MOMENTUM,
    ),
    OptimizerInfo(
        "line_search",
        "Line search",
        "seed notes (Khapra 5.8)",
        (
            HyperParam(
                "etas",
                (0.1, 0.5, 1.0, 2.0, 10.0),
                "etas",
                help="candidate step sizes tried along −g",
            ),
        ),
        None,
        "for η in etas: try x − η·g\nkeep the candidate of lowest loss",
        "the chosen η",
    ),
    OptimizerInfo(
        "sign",
        "Sign descent",
        "sign descent, the small-eps limit of RMSProp (Aitchison eq. 33)",
        (_lr(1e-2),),
        "sign",
        "x −= lr·sign(g)",
        "lr",
    ),
    OptimizerInfo(
        "adagrad",
        "AdaGrad",
        "torch.optim.Adagrad",
        (
            _lr(1e-2),
            _nonneg("lr_decay", 0.0, "learning-rate decay"),
            _nonneg(_WD, 0.0, "weight decay (L2)"),
            _nonneg("initial_accumulator_value", 0.0, "starting value of the sum of g²"),
            _eps(1e-10),
        ),
        "adagrad",
        "s += g²\nx −= clr·g / (√s + ε),  clr = lr / (1 + (t−1)·lr_decay)",
        "clr / (√s + ε)",
    ),
    OptimizerInfo(
        "rmsprop",
        "RMSProp",
        "torch.optim.RMSprop",
        (
            _lr(1e-2),
            _unit("alpha", 0.99, "smoothing constant of the g² average"),
            _eps(1e-8),
            _nonneg(_WD, 0.0, "weight decay (L2)"),
            _unit(_MOMENTUM, 0.0, "momentum factor"),
            _flag("centered", False, "normalise by the variance estimate"),
        ),
        "rmsprop",
        "v = α·v + (1−α)·g²\nx −= lr·g / (√v + ε)\n"
        "(centered: √(v − ḡ²); momentum: b = μ·b + g/(√v + ε), x −= lr·b)",
        "lr / (√v + ε)",
        momentum_param=_MOMENTUM,
    ),
    OptimizerInfo(
        "adadelta",
        "AdaDelta",
        "torch.optim.Adadelta",
        (
            _lr(1.0),
            _unit("rho", 0.9, "decay rate of the averages"),
            _eps(1e-6),
            _nonneg(_WD, 0.0, "weight decay (L2)"),
        ),
        "adadelta",
        "v = ρ·v + (1−ρ)·g²\nΔ = √(u + ε)/√(v + ε)·g\nu = ρ·u + (1−ρ)·Δ²\nx −= lr·Δ",
        "lr·√(u + ε)/√(v + ε)",
    ),
    _adam_like("adam", "Adam", "torch.optim.Adam", 1e-3, 0.0, False, {"decoupled": 0.0}, _ADAM_EQ),
    _adam_like(
        "amsgrad",
        "AMSGrad",
        "torch.optim.Adam(amsgrad=True)",
        1e-3,
        0.0,
        True,
        {"decoupled": 0.0},
        _ADAM_EQ + "\nv̂ uses the running maximum of v",
    ),
    _adam_like(
        "adamw",
        "AdamW",
        "torch.optim.AdamW",
        1e-3,
        1e-2,
        False,
        {"decoupled": 1.0},
        "x −= lr·λ·x  (decoupled weight decay)\n" + _ADAM_EQ,
    ),
    OptimizerInfo(
        "adamax",
        "Adamax",
        "torch.optim.Adamax",
        (_lr(2e-3), _betas((0.9, 0.999)), _eps(1e-8), _nonneg(_WD, 0.0, "weight decay (L2)")),
        "adamax",
        "m = β1·m + (1−β1)·g\nu = max(β2·u, |g| + ε)\nx −= lr/(1−β1ᵗ)·m/u",
        "lr / u, the factor on m̂",
    ),
    OptimizerInfo(
        "nadam",
        "NAdam",
        "torch.optim.NAdam",
        (
            _lr(2e-3),
            _betas((0.9, 0.999)),
            _eps(1e-8),
            _nonneg(_WD, 0.0, "weight decay"),
            _nonneg("momentum_decay", 4e-3, "momentum schedule decay ψ"),
            _flag("decoupled_weight_decay", False, "AdamW-style decay"),
        ),
        "nadam",
        "μₜ = β1·(1 − ½·0.96^(t·ψ))\nm, v as Adam\n"
        "x −= lr·[(1−μₜ)/(1−Πμ)·g + μₜ₊₁/(1−Πμ·μₜ₊₁)·m] / (√v̂ + ε)",
        _ADAM_ELR,
    ),
    OptimizerInfo(
        "radam",
        "RAdam",
        "torch.optim.RAdam",
        (
            _lr(1e-3),
            _betas((0.9, 0.999)),
            _eps(1e-8),
            _nonneg(_WD, 0.0, "weight decay"),
            _flag("decoupled_weight_decay", False, "AdamW-style decay"),
        ),
        "radam",
        "ρₜ = ρ∞ − 2t·β2ᵗ/(1−β2ᵗ)\nρₜ > 5: x −= lr·r(ρₜ)·m̂·√(1−β2ᵗ)/(√v + ε)\nelse:  x −= lr·m̂",
        "lr·r(ρₜ)·√(1−β2ᵗ)/(√v + ε) once rectified, else lr",
    ),
    OptimizerInfo(
        "yogi",
        "Yogi",
        "optax.yogi",
        (
            _lr(1e-2),
            _betas((0.9, 0.999)),
            _eps(1e-3),
            _nonneg("initial_accumulator_value", 1e-6, "starting value of both moments"),
        ),
        "yogi",
        "m = β1·m + (1−β1)·g\nv = v − (1−β2)·sign(v − g²)·g²\nx −= lr·m̂/(√v̂ + ε)",
        "lr / (√v̂ + ε)",
    ),
    OptimizerInfo(
        "adabelief",
        "AdaBelief",
        "optax.adabelief",
        (_lr(1e-3), _betas((0.9, 0.999)), _eps(1e-16), _eps(1e-16, "eps_root")),
        "adabelief",
        "m = β1·m + (1−β1)·g\ns = β2·s + (1−β2)·(g − m)² + ε_root\nx −= lr·m̂/(√ŝ + ε)",
        "lr / (√ŝ + ε)",
    ),
    OptimizerInfo(
        "lion",
        "Lion",
        "optax.lion",
        (
            _lr(1e-4),
            HyperParam(
                "betas",
                (0.9, 0.99),
                "pair",
                0.0,
                1.0,
                help="interpolation (β1) and momentum (β2) factors",
            ),
            _nonneg(_WD, 0.0, "decoupled weight decay"),
        ),
        "lion",
        "x −= lr·(sign(β1·m + (1−β1)·g) + λ·x)\nm = β2·m + (1−β2)·g",
        "lr (the factor on the sign)",
    ),
    OptimizerInfo(
        "qhm",
        "QHM",
        "Ma & Yarats 2019, quasi-hyperbolic momentum",
        (
            _lr(1e-2),
            _unit(_MOMENTUM, 0.999, "momentum factor β"),
            _unit("nu", 0.7, "immediate discount ν", inclusive=True),
        ),
        "qhm",
        "b = β·b + (1−β)·g\nx −= lr·((1−ν)·g + ν·b)",
        "lr",
        momentum_param=_MOMENTUM,
    ),
    OptimizerInfo(
        "qhadam",
        "QHAdam",
        "Ma & Yarats 2019, QHAdam",
        (
            _lr(1e-3),
            _betas((0.995, 0.999)),
            HyperParam("nus", (0.7, 1.0), "pair", 0.0, 1.0, True, "immediate discounts ν1, ν2"),
            _eps(1e-8),
        ),
        "qhadam",
        "m, v as Adam\nx −= lr·((1−ν1)·g + ν1·m̂) / (√((1−ν2)·g² + ν2·v̂) + ε)",
        "lr / (√((1−ν2)·g² + ν2·v̂) + ε)",
    ),
    OptimizerInfo(
        "window_adam",
        "Window Adam",
        'seed notes (McAllester, "Adam (simplified)")',
        _window_adam_params("g²"),
        "window_adam",
        "m = (1 − 1/min(t,Ng))·m + g/min(t,Ng)\ns = (1 − 1/min(t,Ns))·s + g²/min(t,Ns)\n"
        "x −= lr·m/(√s + ε)",
        "lr / (√s + ε)",
    ),
    OptimizerInfo(
        "decoupled_adam",
        "Decoupled Adam",
        'seed notes (McAllester, "Decoupled Adam": batch-size decoupled)',
        _window_adam_params("the mean g_b²"),
        "decoupled_adam",
        "m = (1 − 1/min(t,Ng))·m + g/min(t,Ng)\n"
        "s = (1 − 1/min(t,Ns))·s + (1/B)·Σ_b g_b²/min(t,Ns)\n"
        "x −= lr·m/(√s + ε)   (g_b: per-example gradients of the minibatch;\n"
        "one example, g_b = g, on surfaces without data: then it is Window Adam)",
        "lr / (√s + ε)",
    ),
)

OPTIMIZERS: dict[str, OptimizerInfo] = {}
for _code, _info in enumerate(_ENTRIES):
    object.__setattr__(_info, "opcode", _code)
    OPTIMIZERS[_info.name] = _info

OPTIMIZER_NAMES: tuple[str, ...] = tuple(OPTIMIZERS)


def get(name: str) -> OptimizerInfo:
    """The registry entry of ``name`` or a ``ValueError`` listing the known names."""
    try:
        return OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZER_NAMES)}"
        ) from None
