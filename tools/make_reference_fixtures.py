"""Generate the reference trajectories that optviz's engine is tested against.

optviz re-implements torch.optim / optax optimizers and torch.optim.lr_scheduler
schedules (see the numerical contract, OPTIMIZERS.md).  This script runs the *reference
libraries themselves* on small 2-D problems and stores what they produce, so that the
test suite can check optviz to 1e-8 relative without needing torch or jax installed:

    tests/fixtures/reference_optimizers.json / .npz   optimizer trajectories
    tests/fixtures/reference_schedules.json  / .npz   learning-rate sequences

The JSON files describe each case (optviz names and hyperparameters, surface, start,
number of steps, and the exact reference call); the npz files hold the numbers, keyed by
case id.  This file deliberately does NOT import optviz: it is an independent
transcription of the problem (the surface gradients below are hand-derived, as in the
contract), so a bug in optviz cannot leak into its own reference data.

Regenerate (only needed when a case is added or changed):

    pip install -e ".[reference]"          # torch==2.13.0 (CPU), jax, jaxlib, optax
    python tools/make_reference_fixtures.py

or, with the separate reference environment:

    /work/refenv/bin/python tools/make_reference_fixtures.py

Why float64 everywhere: optviz computes in float64, and a 1e-8 relative comparison over
hundreds of steps is only meaningful if the reference does too.  So torch's default
dtype is set to float64 *before* any optimizer exists (torch keeps the step counter and
NAdam's running mu_product as tensors of the default scalar dtype: float32 there would
silently change the numbers), and jax runs with jax_enable_x64.

Every case is also re-run with a tiny perturbation (1e-13 relative on the start and on
every gradient); a case whose trajectory amplifies that by too much is rejected, because
floating-point differences of a few ulps between two faithful implementations would then
show up above the test tolerance.  Pick gentle hyperparameters when adding cases.
"""

# The case tables read best one case per line.
# ruff: noqa: E501

from __future__ import annotations

import json
import math
import warnings
import zipfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch

# Before any array, optimizer or state exists (see the docstring).
jax.config.update("jax_enable_x64", True)
torch.set_default_dtype(torch.float64)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
GENERATOR = "tools/make_reference_fixtures.py"

# A case is rejected when a relative perturbation of PERTURB (start and every gradient)
# moves some position by more than MAX_AMPLIFICATION * PERTURB, measured relative to
# |position| + ABS_FLOOR (a coordinate passing through zero has no relative error).
PERTURB = 1e-13
MAX_AMPLIFICATION = 1e4
ABS_FLOOR = 1e-9


# --------------------------------------------------------------------------- surfaces
# Hand-derived gradients (numpy, float64). Not autograd: this is the transcription.


def grad_rosenbrock(x: float, y: float) -> np.ndarray:
    # f = (1-x)^2 + 100 (y-x^2)^2
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])


def grad_ill_conditioned(x: float, y: float, kappa: float = 50.0) -> np.ndarray:
    # f = 0.5 (x^2 + kappa y^2)
    return np.array([x, kappa * y])


def grad_booth(x: float, y: float) -> np.ndarray:
    # f = (x + 2y - 7)^2 + (2x + y - 5)^2
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return np.array([2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b])


def grad_beale(x: float, y: float) -> np.ndarray:
    # f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y * y
    c = 2.625 - x + x * y**3
    gx = 2.0 * a * (y - 1.0) + 2.0 * b * (y * y - 1.0) + 2.0 * c * (y**3 - 1.0)
    gy = 2.0 * a * x + 2.0 * b * (2.0 * x * y) + 2.0 * c * (3.0 * x * y * y)
    return np.array([gx, gy])


GRADIENTS = {
    "rosenbrock": grad_rosenbrock,
    "ill_conditioned": grad_ill_conditioned,
    "booth": grad_booth,
    "beale": grad_beale,
}


# --------------------------------------------------------------------------- schedules
# optviz schedule name -> torch scheduler. Parameters are named as in torch.

SCHEDULERS = {
    "step": "StepLR",
    "multistep": "MultiStepLR",
    "exponential": "ExponentialLR",
    "inverse_time": "LambdaLR",
    "cosine": "CosineAnnealingLR",
    "cosine_warm_restarts": "CosineAnnealingWarmRestarts",
    "cyclic": "CyclicLR",
    "one_cycle": "OneCycleLR",
    "linear_warmup": "LinearLR",
}


def _kwargs_repr(kwargs: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def schedule_kwargs(name: str, params: dict) -> dict:
    """torch keyword arguments for an optviz schedule (momentum cycling off)."""
    kwargs = dict(params)
    if name in ("cyclic", "one_cycle"):
        kwargs["cycle_momentum"] = False
    return kwargs


def make_scheduler(optimizer, name: str, params: dict):
    cls = getattr(torch.optim.lr_scheduler, SCHEDULERS[name])
    if name == "inverse_time":
        k = params["k"]
        return cls(optimizer, lr_lambda=lambda t: 1.0 / (1.0 + k * t))
    return cls(optimizer, **schedule_kwargs(name, params))


def scheduler_repr(name: str, params: dict) -> str:
    cls = f"torch.optim.lr_scheduler.{SCHEDULERS[name]}"
    if name == "inverse_time":
        return f"{cls}(lr_lambda=lambda t: 1 / (1 + {params['k']!r} * t))"
    return f"{cls}({_kwargs_repr(schedule_kwargs(name, params))})"


# --------------------------------------------------------------------------- optimizers
# optviz registry name -> torch.optim class (hyperparameter names are torch's).

TORCH_OPTIMIZERS = {
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "amsgrad": "Adam",
    "adamw": "AdamW",
    "adamax": "Adamax",
    "nadam": "NAdam",
    "radam": "RAdam",
}
OPTAX_OPTIMIZERS = ("yogi", "adabelief", "lion")


def torch_kwargs(name: str, hyper: dict) -> dict:
    kwargs = {k: tuple(v) if k == "betas" else v for k, v in hyper.items()}
    if name == "amsgrad":
        kwargs["amsgrad"] = True
    kwargs["foreach"] = False  # the single-tensor (_single_tensor_*) code path
    return kwargs


def optax_call(name: str, hyper: dict):
    """(GradientTransformation, description) for an optax-referenced optimizer."""
    h = dict(hyper)
    lr = h.pop("lr")
    b1, b2 = h.pop("betas", {"lion": (0.9, 0.99)}.get(name, (0.9, 0.999)))
    if name == "yogi":
        eps = h.pop("eps", 1e-3)
        iav = h.pop("initial_accumulator_value", 1e-6)
        if iav == 1e-6:  # optax.yogi does not expose initial_accumulator_value
            opt = optax.yogi(learning_rate=lr, b1=b1, b2=b2, eps=eps)
            desc = f"optax.yogi(learning_rate={lr!r}, b1={b1!r}, b2={b2!r}, eps={eps!r})"
        else:
            opt = optax.chain(
                optax.scale_by_yogi(b1=b1, b2=b2, eps=eps, initial_accumulator_value=iav),
                optax.scale_by_learning_rate(lr),
            )
            desc = (
                f"optax.chain(optax.scale_by_yogi(b1={b1!r}, b2={b2!r}, eps={eps!r}, "
                f"initial_accumulator_value={iav!r}), optax.scale_by_learning_rate({lr!r}))"
                " == optax.yogi with a non-default initial_accumulator_value"
            )
    elif name == "adabelief":
        eps = h.pop("eps", 1e-16)
        eps_root = h.pop("eps_root", 1e-16)
        opt = optax.adabelief(learning_rate=lr, b1=b1, b2=b2, eps=eps, eps_root=eps_root)
        desc = (
            f"optax.adabelief(learning_rate={lr!r}, b1={b1!r}, b2={b2!r}, "
            f"eps={eps!r}, eps_root={eps_root!r})"
        )
    elif name == "lion":
        # optax.lion's own default weight_decay is 1e-3; optviz's is 0: always pass it.
        wd = h.pop("weight_decay", 0.0)
        opt = optax.lion(learning_rate=lr, b1=b1, b2=b2, weight_decay=wd)
        desc = f"optax.lion(learning_rate={lr!r}, b1={b1!r}, b2={b2!r}, weight_decay={wd!r})"
    else:
        raise KeyError(name)
    if h:
        raise ValueError(f"unused {name} hyperparameters: {h}")
    return opt, desc


def reference_repr(case: dict) -> str:
    name, hyper = case["optimizer"], case["hyper"]
    if name in OPTAX_OPTIMIZERS:
        desc = optax_call(name, hyper)[1]
    else:
        desc = f"torch.optim.{TORCH_OPTIMIZERS[name]}({_kwargs_repr(torch_kwargs(name, hyper))})"
    if case["schedule"] is not None:
        sched = case["schedule"]
        desc += " + " + scheduler_repr(sched["name"], sched["params"])
    return desc


def _perturbation(step: int, perturb: float) -> np.ndarray:
    """Deterministic +-perturb relative factors for the gradient of one step."""
    sign = 1.0 if step % 2 == 0 else -1.0
    return 1.0 + perturb * np.array([sign, -sign])


def run_torch(case: dict, perturb: float = 0.0) -> np.ndarray:
    grad_fn = GRADIENTS[case["surface"]]
    start = np.asarray(case["start"], dtype=np.float64) * (1.0 + perturb)
    p = torch.tensor(start, dtype=torch.float64)
    cls = getattr(torch.optim, TORCH_OPTIMIZERS[case["optimizer"]])
    opt = cls([p], **torch_kwargs(case["optimizer"], case["hyper"]))
    sched = case["schedule"]
    scheduler = make_scheduler(opt, sched["name"], sched["params"]) if sched else None
    steps = case["steps"]
    out = np.empty((steps + 1, 2))
    out[0] = p.detach().numpy()
    for t in range(1, steps + 1):
        x, y = p.detach().numpy()
        g = grad_fn(float(x), float(y)) * _perturbation(t, perturb)
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        # The scheduler is stepped after every optimizer step but the last (the lr it
        # would set is never used; OneCycleLR raises if stepped past total_steps).
        if scheduler is not None and t < steps:
            scheduler.step()
        out[t] = p.detach().numpy()
    return out


def run_optax(case: dict, perturb: float = 0.0) -> np.ndarray:
    if case["schedule"] is not None:
        raise ValueError("optax cases take no schedule")
    grad_fn = GRADIENTS[case["surface"]]
    opt, _ = optax_call(case["optimizer"], case["hyper"])
    params = jnp.asarray(np.asarray(case["start"], dtype=np.float64) * (1.0 + perturb))
    state = opt.init(params)
    steps = case["steps"]
    out = np.empty((steps + 1, 2))
    out[0] = np.asarray(params)
    for t in range(1, steps + 1):
        x, y = np.asarray(params)
        g = jnp.asarray(grad_fn(float(x), float(y)) * _perturbation(t, perturb))
        updates, state = opt.update(g, state, params)
        params = optax.apply_updates(params, updates)
        assert params.dtype == jnp.float64
        out[t] = np.asarray(params)
    return out


def run_case(case: dict, perturb: float = 0.0) -> np.ndarray:
    if case["optimizer"] in OPTAX_OPTIMIZERS:
        return run_optax(case, perturb)
    return run_torch(case, perturb)


# --------------------------------------------------------------------------- case tables


def _opt(id_, optimizer, hyper, surface, start, steps, schedule=None):
    return {
        "id": id_,
        "optimizer": optimizer,
        "hyper": hyper,
        "schedule": schedule,
        "surface": surface,
        "start": list(start),
        "steps": steps,
    }


ROS, ILL, BOOTH, BEALE = "rosenbrock", "ill_conditioned", "booth", "beale"

# fmt: off
OPTIMIZER_CASES = [
    # sgd
    _opt("sgd-plain-rosenbrock", "sgd", {"lr": 1e-3}, ROS, (0.0, 2.0), 400),
    _opt("sgd-momentum-ill_conditioned", "sgd", {"lr": 0.01, "momentum": 0.9}, ILL, (-3.0, 1.5), 300),
    _opt("sgd-momentum-dampening-rosenbrock", "sgd", {"lr": 5e-4, "momentum": 0.9, "dampening": 0.5}, ROS, (0.0, 2.0), 400),
    _opt("sgd-nesterov-booth", "sgd", {"lr": 0.01, "momentum": 0.9, "nesterov": True}, BOOTH, (-4.0, -2.0), 300),
    _opt("sgd-weight_decay-booth", "sgd", {"lr": 0.01, "weight_decay": 0.1}, BOOTH, (-4.0, -2.0), 300),
    # adagrad
    _opt("adagrad-default-rosenbrock", "adagrad", {"lr": 0.1}, ROS, (0.0, 2.0), 400),
    _opt("adagrad-lr_decay-booth", "adagrad", {"lr": 0.5, "lr_decay": 0.01}, BOOTH, (-4.0, -2.0), 300),
    _opt("adagrad-initial_accumulator-ill_conditioned", "adagrad", {"lr": 0.3, "initial_accumulator_value": 0.1}, ILL, (-3.0, 1.5), 300),
    _opt("adagrad-weight_decay-beale", "adagrad", {"lr": 0.3, "weight_decay": 0.05}, BEALE, (1.0, 1.5), 300),
    # rmsprop
    _opt("rmsprop-default-rosenbrock", "rmsprop", {"lr": 3e-3}, ROS, (0.0, 2.0), 400),
    _opt("rmsprop-centered-ill_conditioned", "rmsprop", {"lr": 0.01, "centered": True}, ILL, (-3.0, 1.5), 300),
    _opt("rmsprop-momentum-booth", "rmsprop", {"lr": 0.01, "momentum": 0.5}, BOOTH, (-4.0, -2.0), 300),
    _opt("rmsprop-centered-momentum-rosenbrock", "rmsprop", {"lr": 1e-3, "centered": True, "momentum": 0.5}, ROS, (0.0, 2.0), 400),
    _opt("rmsprop-weight_decay-beale", "rmsprop", {"lr": 0.01, "weight_decay": 0.1}, BEALE, (1.0, 1.5), 300),
    # adadelta (slow by design: its first steps are ~sqrt(eps))
    _opt("adadelta-default-beale", "adadelta", {"lr": 1.0}, BEALE, (1.0, 1.5), 500),
    _opt("adadelta-rho-weight_decay-ill_conditioned", "adadelta", {"lr": 1.0, "rho": 0.95, "weight_decay": 0.01}, ILL, (-3.0, 1.5), 400),
    # adam
    _opt("adam-default-rosenbrock", "adam", {"lr": 0.01}, ROS, (0.0, 2.0), 400),
    _opt("adam-amsgrad-rosenbrock", "adam", {"lr": 0.01, "amsgrad": True}, ROS, (-1.5, 2.0), 300),
    _opt("adam-weight_decay-booth", "adam", {"lr": 0.05, "weight_decay": 0.1}, BOOTH, (-4.0, -2.0), 300),
    _opt("adam-betas-ill_conditioned", "adam", {"lr": 0.02, "betas": [0.8, 0.99]}, ILL, (-3.0, 1.5), 300),
    # beta1 < 0.5: torch's lerp(grad, 1 - beta1) switches to its other formula
    _opt("adam-low_beta1-rosenbrock", "adam", {"lr": 0.005, "betas": [0.3, 0.999]}, ROS, (0.0, 2.0), 400),
    # amsgrad (registry name for Adam(amsgrad=True))
    _opt("amsgrad-default-booth", "amsgrad", {"lr": 0.05}, BOOTH, (-4.0, -2.0), 300),
    # adamw
    _opt("adamw-default-rosenbrock", "adamw", {"lr": 0.01}, ROS, (-1.2, 1.0), 500),
    _opt("adamw-weight_decay-amsgrad-booth", "adamw", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}, BOOTH, (-4.0, -2.0), 300),
    # adamax
    _opt("adamax-default-rosenbrock", "adamax", {"lr": 0.01}, ROS, (0.0, 2.0), 400),
    _opt("adamax-weight_decay-ill_conditioned", "adamax", {"lr": 0.02, "weight_decay": 0.1}, ILL, (-3.0, 1.5), 300),
    # nadam
    _opt("nadam-default-rosenbrock", "nadam", {"lr": 0.01}, ROS, (0.0, 2.0), 400),
    _opt("nadam-momentum_decay-booth", "nadam", {"lr": 0.05, "momentum_decay": 0.01}, BOOTH, (-4.0, -2.0), 300),
    _opt("nadam-weight_decay-ill_conditioned", "nadam", {"lr": 0.02, "weight_decay": 0.1}, ILL, (-3.0, 1.5), 300),
    _opt("nadam-decoupled_weight_decay-rosenbrock", "nadam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, ROS, (0.0, 2.0), 400),
    # radam (un-rectified SGD-like steps while rho_t <= 5, i.e. steps 1-5 for beta2=0.999:
    # start where the gradient is small so those steps stay sane)
    _opt("radam-default-rosenbrock", "radam", {"lr": 0.01}, ROS, (0.5, 0.25), 400),
    _opt("radam-weight_decay-booth", "radam", {"lr": 0.05, "weight_decay": 0.1}, BOOTH, (-4.0, -2.0), 400),
    _opt("radam-decoupled_weight_decay-ill_conditioned", "radam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}, ILL, (-3.0, 1.5), 300),
    # optax: yogi, adabelief, lion
    _opt("yogi-default-rosenbrock", "yogi", {"lr": 0.01}, ROS, (0.0, 2.0), 400),
    _opt("yogi-betas-beale", "yogi", {"lr": 0.05, "betas": [0.9, 0.99]}, BEALE, (1.0, 1.5), 300),
    _opt("yogi-initial_accumulator-booth", "yogi", {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-2, "initial_accumulator_value": 0.1}, BOOTH, (-4.0, -2.0), 300),
    _opt("adabelief-default-rosenbrock", "adabelief", {"lr": 0.005}, ROS, (0.0, 2.0), 400),
    _opt("adabelief-eps-booth", "adabelief", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-8, "eps_root": 1e-10}, BOOTH, (-4.0, -2.0), 300),
    _opt("lion-default-rosenbrock", "lion", {"lr": 3e-3, "weight_decay": 0.0}, ROS, (0.0, 2.0), 400),
    _opt("lion-weight_decay-booth", "lion", {"lr": 0.01, "weight_decay": 0.1}, BOOTH, (-4.0, -2.0), 300),
    _opt("lion-betas-weight_decay-ill_conditioned", "lion", {"lr": 0.01, "betas": [0.95, 0.98], "weight_decay": 0.5}, ILL, (-3.0, 1.5), 300),
    # optimizer + schedule (scheduler.step() after every optimizer step)
    _opt("sgd-momentum-cosine-rosenbrock", "sgd", {"lr": 5e-4, "momentum": 0.9}, ROS, (0.0, 2.0), 400,
         {"name": "cosine", "params": {"T_max": 400}}),
    _opt("adam-step-rosenbrock", "adam", {"lr": 0.02}, ROS, (0.0, 2.0), 400,
         {"name": "step", "params": {"step_size": 100, "gamma": 0.5}}),
    _opt("adam-one_cycle-booth", "adam", {"lr": 0.01}, BOOTH, (-4.0, -2.0), 300,
         {"name": "one_cycle", "params": {"max_lr": 0.1, "total_steps": 300}}),
    _opt("rmsprop-exponential-ill_conditioned", "rmsprop", {"lr": 0.02}, ILL, (-3.0, 1.5), 300,
         {"name": "exponential", "params": {"gamma": 0.99}}),
    _opt("sgd-cyclic-booth", "sgd", {"lr": 0.01}, BOOTH, (-4.0, -2.0), 300,
         {"name": "cyclic", "params": {"base_lr": 0.001, "max_lr": 0.05, "step_size_up": 40, "mode": "triangular2"}}),
    _opt("adamw-cosine_warm_restarts-rosenbrock", "adamw", {"lr": 0.02}, ROS, (0.0, 2.0), 400,
         {"name": "cosine_warm_restarts", "params": {"T_0": 50, "T_mult": 2, "eta_min": 1e-4}}),
]
# fmt: on


def _sched(id_, schedule, params, steps, base_lr=0.1):
    return {"id": id_, "schedule": schedule, "params": params, "base_lr": base_lr, "steps": steps}


# fmt: off
SCHEDULE_CASES = [
    _sched("step-30-0.5", "step", {"step_size": 30, "gamma": 0.5}, 200),
    _sched("step-100-default_gamma", "step", {"step_size": 100}, 400),
    _sched("multistep-50-120-200-0.3", "multistep", {"milestones": [50, 120, 200], "gamma": 0.3}, 300),
    _sched("multistep-10-25-default_gamma", "multistep", {"milestones": [10, 25]}, 60),
    _sched("exponential-0.99", "exponential", {"gamma": 0.99}, 400),
    _sched("exponential-exp_k0.02", "exponential", {"gamma": math.exp(-0.02)}, 300),
    _sched("inverse_time-0.05", "inverse_time", {"k": 0.05}, 400),
    _sched("inverse_time-0.5", "inverse_time", {"k": 0.5}, 200),
    _sched("cosine-T100-past_end", "cosine", {"T_max": 100}, 400),
    _sched("cosine-T100-eta_min-past_end", "cosine", {"T_max": 100, "eta_min": 0.001}, 400),
    _sched("cosine-T300", "cosine", {"T_max": 300, "eta_min": 1e-4}, 300, base_lr=0.05),
    _sched("cosine_warm_restarts-T50-mult1", "cosine_warm_restarts", {"T_0": 50, "T_mult": 1, "eta_min": 1e-4}, 400),
    _sched("cosine_warm_restarts-T50-mult2", "cosine_warm_restarts", {"T_0": 50, "T_mult": 2, "eta_min": 1e-4}, 400),
    _sched("cosine_warm_restarts-T20-mult3-eta0", "cosine_warm_restarts", {"T_0": 20, "T_mult": 3}, 400),
    _sched("cyclic-triangular", "cyclic", {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 50, "mode": "triangular"}, 400),
    _sched("cyclic-triangular2", "cyclic", {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 50, "mode": "triangular2"}, 400),
    _sched("cyclic-exp_range", "cyclic", {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 50, "mode": "exp_range", "gamma": 0.99}, 400),
    _sched("cyclic-step_size_down", "cyclic", {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 50, "step_size_down": 30, "mode": "triangular"}, 400),
    _sched("one_cycle-cos", "one_cycle", {"max_lr": 0.1, "total_steps": 300}, 300),
    _sched("one_cycle-linear", "one_cycle", {"max_lr": 0.1, "total_steps": 300, "anneal_strategy": "linear"}, 300),
    _sched("one_cycle-three_phase", "one_cycle", {"max_lr": 0.1, "total_steps": 300, "three_phase": True}, 300),
    _sched("one_cycle-three_phase-linear", "one_cycle", {"max_lr": 0.1, "total_steps": 250, "anneal_strategy": "linear", "three_phase": True}, 250),
    _sched("one_cycle-custom", "one_cycle", {"max_lr": 0.1, "total_steps": 200, "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0}, 200),
    _sched("one_cycle-short-odd", "one_cycle", {"max_lr": 0.05, "total_steps": 37, "pct_start": 0.4}, 37),
    _sched("linear_warmup-default", "linear_warmup", {}, 50),
    _sched("linear_warmup-0.1-100", "linear_warmup", {"start_factor": 0.1, "total_iters": 100}, 200),
    _sched("linear_warmup-decay", "linear_warmup", {"start_factor": 1.0, "end_factor": 0.05, "total_iters": 150}, 200),
]
# fmt: on


# --------------------------------------------------------------------------- generation


def schedule_lrs(case: dict) -> np.ndarray:
    """lr used at optimizer steps 1..steps (read before each optimizer.step())."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=case["base_lr"], foreach=False)
    scheduler = make_scheduler(opt, case["schedule"], case["params"])
    steps = case["steps"]
    lrs = np.empty(steps)
    for k in range(steps):
        lrs[k] = opt.param_groups[0]["lr"]
        p.grad = torch.zeros_like(p)
        opt.step()
        if k < steps - 1:  # OneCycleLR raises when stepped past total_steps
            scheduler.step()
    return lrs


def amplification(case: dict, traj: np.ndarray) -> float:
    """How much a PERTURB-relative perturbation grows, relative to the positions."""
    other = run_case(case, PERTURB)
    rel = np.abs(other - traj) / (np.abs(traj) + ABS_FLOOR)
    return float(rel.max() / PERTURB)


def check_case(case: dict, traj: np.ndarray) -> float:
    if not np.all(np.isfinite(traj)):
        raise RuntimeError(f"{case['id']}: non-finite trajectory")
    amp = amplification(case, traj)
    if amp > MAX_AMPLIFICATION:
        raise RuntimeError(
            f"{case['id']}: ill-conditioned (perturbation amplified {amp:.3g}x); "
            "choose gentler hyperparameters, another start or fewer steps"
        )
    return amp


def generate_optimizers() -> None:
    ids = [c["id"] for c in OPTIMIZER_CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    arrays, cases = {}, []
    for case in OPTIMIZER_CASES:
        traj = run_case(case)
        amp = check_case(case, traj)
        case = {**case, "reference": reference_repr(case)}
        cases.append(case)
        arrays[case["id"]] = traj
        grad = GRADIENTS[case["surface"]](*traj[-1])
        print(
            f"{case['id']:48s} end=({traj[-1][0]: .6f}, {traj[-1][1]: .6f}) "
            f"|g|={np.hypot(*grad):.2e} min|x|={np.abs(traj).min():.1e} amp={amp:.1f}"
        )
    meta = {
        "generator": GENERATOR,
        "torch": torch.__version__,
        "jax": jax.__version__,
        "optax": optax.__version__,
        "cases": cases,
    }
    write(FIXTURES / "reference_optimizers", meta, arrays)


def generate_schedules() -> None:
    ids = [c["id"] for c in SCHEDULE_CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    arrays, cases = {}, []
    for case in SCHEDULE_CASES:
        lrs = schedule_lrs(case)
        case = {**case, "reference": scheduler_repr(case["schedule"], case["params"])}
        cases.append(case)
        arrays[case["id"]] = lrs
        print(
            f"{case['id']:40s} lr[0]={lrs[0]:.6g} min={lrs.min():.3g} max={lrs.max():.3g} last={lrs[-1]:.6g}"
        )
    meta = {"generator": GENERATOR, "torch": torch.__version__, "cases": cases}
    write(FIXTURES / "reference_schedules", meta, arrays)


def write(stem: Path, meta: dict, arrays: dict) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    savez_reproducible(stem.with_suffix(".npz"), arrays)


def savez_reproducible(path: Path, arrays: dict) -> None:
    """np.savez_compressed, but with fixed zip timestamps so that regenerating
    unchanged fixtures leaves the files byte-identical (np.load reads it as usual)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, array in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(array, dtype=np.float64))


def main() -> None:
    warnings.simplefilter("error")  # e.g. a scheduler-order warning must not pass silently
    generate_schedules()
    generate_optimizers()


if __name__ == "__main__":
    main()
