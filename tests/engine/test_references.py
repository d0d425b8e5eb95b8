"""Optimizers and schedules against their reference libraries (torch.optim, optax).

The fixtures were produced by ``tools/make_reference_fixtures.py`` with the reference
libraries (versions recorded in the JSON files); the suite itself needs neither.
Tolerance: 1e-8 relative, plus an absolute 1e-12 for coordinates that pass near zero.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import optviz
from optviz.optimizers.registry import OPTIMIZERS

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _load(stem):
    meta = json.loads((FIXTURES / f"{stem}.json").read_text())
    arrays = np.load(FIXTURES / f"{stem}.npz")
    return meta["cases"], arrays


OPT_CASES, OPT_ARRAYS = _load("reference_optimizers")
SCHED_CASES, SCHED_ARRAYS = _load("reference_schedules")


def _schedule(d):
    return optviz.Schedule(d["name"], **d["params"]) if d else None


@pytest.mark.parametrize("case", OPT_CASES, ids=[c["id"] for c in OPT_CASES])
def test_optimizer_matches_reference_trajectory(case):
    surface = optviz.Surface.preset(case["surface"])  # ill_conditioned: default kappa = 50
    opt = optviz.Optimizer(case["optimizer"], schedule=_schedule(case["schedule"]), **case["hyper"])
    res = optviz.simulate(surface, [opt], starts=[case["start"]], steps=case["steps"])
    expected = OPT_ARRAYS[case["id"]]
    assert len(expected) == case["steps"] + 1 >= 201
    np.testing.assert_allclose(
        res.xy[0, 0], expected, rtol=1e-8, atol=1e-12, err_msg=case["reference"]
    )
    assert res.diverged[0, 0] == -1


def test_every_referenced_optimizer_has_fixtures():
    referenced = {n for n, o in OPTIMIZERS.items() if o.reference.startswith(("torch.", "optax."))}
    covered = {c["optimizer"] for c in OPT_CASES}
    assert referenced <= covered, referenced - covered


@pytest.mark.parametrize("case", SCHED_CASES, ids=[c["id"] for c in SCHED_CASES])
def test_schedule_matches_torch(case):
    sched = optviz.Schedule(case["schedule"], **case["params"])
    got = sched.values(case["base_lr"], case["steps"])
    expected = SCHED_ARRAYS[case["id"]]
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-15, err_msg=case["reference"])


def test_every_torch_schedule_has_fixtures():
    covered = {c["schedule"] for c in SCHED_CASES}
    assert set(optviz.SCHEDULES) - {"constant"} <= covered
