"""Races: finish detection, statuses, leaderboard order, validation."""

import numpy as np
import pytest

import optviz
from optviz import Finish, Optimizer
from optviz.race import finish_mask

HIMMELBLAU = optviz.Surface.preset("himmelblau")


@pytest.fixture(scope="module")
def field():
    """Five gd runs from (0, 0) on Himmelblau chosen to end in every status by step 300:
    two finish (lr 0.01 at step 32, lr 0.002 at step 166), one crawls, one cannot move
    (lr 0: stuck), one diverges."""
    optimizers = [
        Optimizer("gd", lr=0.01, label="fast"),
        Optimizer("gd", lr=0.002, label="slow"),
        Optimizer("gd", lr=1e-5, label="crawl"),
        Optimizer("gd", lr=0.0, label="frozen"),
        Optimizer("gd", lr=0.5, label="boom"),
    ]
    return optviz.race(
        HIMMELBLAU, optimizers, start=(0.0, 0.0), steps=300, finish=Finish("loss", 1e-6)
    )


def test_finish_steps_are_the_first_steps_on_the_recorded_path(field):
    mask = finish_mask(HIMMELBLAU, field.finish, field.result.xy)  # [O, S, T+1]
    first = np.where(mask.any(-1), mask.argmax(-1), -1)[:, 0]
    np.testing.assert_array_equal(field.finish_step, first)
    assert field.finish_step[0] > 0 and field.finish_step[1] > field.finish_step[0]
    assert field.finish_step[2:].tolist() == [-1, -1, -1]
    assert field.diverged_step[4] > 0 and (field.diverged_step[:4] == -1).all()


def test_leaderboard_orders_finished_running_stuck_diverged(field):
    rows = field.leaderboard(300)
    assert [r.label for r in rows] == ["fast", "slow", "crawl", "frozen", "boom"]
    assert [r.status for r in rows] == ["finished", "finished", "running", "stuck", "diverged"]
    assert [r.rank for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].finish_step == field.finish_step[0]
    assert rows[4].diverged_step == field.diverged_step[4] and np.isnan(rows[4].loss)
    assert rows[2].loss == pytest.approx(field.loss[2, 300])


def test_status_depends_on_the_step(field):
    before_any = field.status_at(5)  # nobody finished or diverged yet; too early for stuck
    assert before_any == ["running"] * 5
    mid = field.status_at(100)
    assert mid == ["finished", "running", "running", "stuck", "diverged"]
    # A running optimizer with lower loss ranks above one with higher loss.
    rows = field.leaderboard(100)
    assert [r.label for r in rows][:3] == ["fast", "slow", "crawl"]
    assert field.status_at(10_000) == field.status_at(300)  # clamped
    with pytest.raises(ValueError, match="integer"):
        field.status_at(1.5)


def test_stuck_means_no_loss_progress_over_the_window():
    res = optviz.race(
        HIMMELBLAU, [Optimizer("gd", lr=0.0)], start=(0.0, 0.0), steps=60, stuck_window=20
    )
    assert res.status_at(19) == ["running"]
    assert res.status_at(20) == ["stuck"]


def test_multiple_starts_finish_when_all_have():
    res = optviz.race(
        HIMMELBLAU,
        [Optimizer("gd", lr=0.01)],
        start=[(0.0, 0.0), (-1.0, -1.0)],
        steps=200,
        finish=Finish("distance", 1e-3),
    )
    per_start = res.finish_steps[0]
    assert (per_start > 0).all() and per_start[0] != per_start[1]
    assert res.finish_step[0] == per_start.max()


def test_finish_validation_and_round_trip():
    with pytest.raises(ValueError, match="finish kind"):
        Finish("speed", 1.0)
    for bad in (0.0, -1.0, float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match="threshold"):
            Finish("loss", bad)
    f = Finish("grad_norm", 1e-3)
    assert Finish.from_dict(f.to_dict()) == f
    with pytest.raises(ValueError, match="kind"):
        Finish.from_dict({"kind": "loss"})
    saddle = optviz.Surface.preset("saddle")
    assert not saddle.minima
    with pytest.raises(ValueError, match="no known minima"):
        optviz.race(saddle, [Optimizer("gd")], steps=5, finish=Finish("distance", 0.1))
    assert Finish.default_for(saddle).kind in ("loss", "grad_norm")
    assert Finish.default_for("himmelblau").kind == "distance"
    assert "f_min" in Finish("loss", 1e-4).describe()


def test_race_input_errors_are_value_errors():
    with pytest.raises(ValueError, match="finish must be"):
        optviz.race("himmelblau", [Optimizer("gd")], finish=("loss", 1e-3))
    with pytest.raises(ValueError, match="stuck_window"):
        optviz.race("himmelblau", [Optimizer("gd")], stuck_window=0)
    with pytest.raises(ValueError, match="starts"):
        optviz.race("himmelblau", [Optimizer("gd")], start=(1.0, 2.0, 3.0))


def test_sculpted_surfaces_race_and_sweep_with_the_kernel_finish():
    s = optviz.Surface.sculpted("bowl", [(1.0, 1.0, -1.0, 0.5)])
    res = optviz.race(
        s,
        [Optimizer("gd", lr=0.1), Optimizer("gd", lr=0.0)],
        steps=100,
        finish=Finish("grad_norm", 1e-3),
    )
    g = s.grad(res.result.xy[0, 0, :, 0], res.result.xy[0, 0, :, 1])
    first = int(np.argmax((g**2).sum(-1) <= 1e-6))
    assert res.finish_step.tolist() == [first, -1] and first > 0
    assert res.status_at(100) == ["finished", "stuck"]
    sw = optviz.sweep(s, "gd", {"lr": [0.1, 0.0]}, steps=100, finish=Finish("grad_norm", 1e-3))
    assert sw.steps_to_finish.values.tolist() == [first, -1]
