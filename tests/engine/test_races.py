"""Races: finish detection, statuses, leaderboard order, validation."""

from dataclasses import astuple

import numpy as np
import pytest

import optviz
from optviz import Finish, Noise, Optimizer, RunSpec, execute
from optviz.race import finish_mask, race, race_of

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


def _statuses(res, o=0):
    """The status of optimizer ``o`` at every step, as a numpy string array."""
    return np.array([res.status_at(t)[o] for t in range(res.steps + 1)])


def test_a_zig_zag_that_keeps_setting_new_lows_is_running():
    """RMSProp's constant-pace zig-zag (default settings and starts): the old rule, loss at
    t against loss at t - 50, read these as stuck at steps 232, 604-606, ..., 980-992 on
    Rosenbrock (loss 0.131 at 741 vs 0.127 at 691, best 0.100, best 0.048 by 941) and at
    753-756, ..., 1019-1028 on Beale, one step before it finished."""
    res = optviz.race("rosenbrock", [Optimizer("rmsprop")], steps=1000)
    assert (_statuses(res) == "running").all()
    assert res.best_loss[0, 1000] < 0.5 * res.best_loss[0, 700]  # still making progress

    beale = optviz.Surface.preset("beale")
    res = optviz.race(beale, [Optimizer("rmsprop")], start=beale.starts[1], steps=1100)
    f = int(res.finish_step[0])
    assert f > 1000
    st = _statuses(res)
    assert (st[:f] == "running").all() and (st[f:] == "finished").all()


def test_settled_in_a_local_minimum_is_stuck():
    """A bowl with a dip at (2, 2): from inside the dip gd and Adam settle in its local
    minimum (loss 0.676) above the finish line (loss <= 0.1, met only near the origin).
    Adam still wobbles about the minimum (loss within 5e-7 of it); the old rule read that
    as running at steps 145-174 and 179-187."""
    dip = optviz.Surface.sculpted("bowl", [(2.0, 2.0, -3.0, 0.5)])
    res = optviz.race(
        dip,
        [Optimizer("gd", lr=0.1), Optimizer("adam", lr=0.05)],
        start=(2.4, 2.2),
        steps=600,
        finish=Finish("loss", 0.1),
    )
    assert (res.finish_step == -1).all() and (res.diverged_step == -1).all()
    np.testing.assert_allclose(res.best_loss[:, -1], 0.676388, rtol=1e-5)
    for o in range(2):
        st = _statuses(res, o)
        assert (st[:50] == "running").all()
        assert (st[160:] == "stuck").all()


@pytest.mark.parametrize("window", [25, 50])
def test_oscillating_without_a_new_low_is_stuck(window):
    """Sign descent on the bowl ends in a two-step cycle whose loss alternates between
    0.00125 and 0.00625; with an odd window the old rule read running every other step."""
    bowl = optviz.Surface.sculpted("bowl", [])
    res = optviz.race(
        bowl,
        [Optimizer("sign", lr=0.1)],
        start=(0.55, 0.3),
        steps=300,
        finish=Finish("loss", 1e-4),
        stuck_window=window,
    )
    tail = res.loss[0, 2 * window :]
    assert tail.max() > 4 * tail.min()  # it keeps moving
    st = _statuses(res)
    assert (st[: window // 2] == "running").all()
    assert (st[2 * window :] == "stuck").all()


def test_coming_back_down_from_an_overshoot_is_running():
    """A heavy ball (momentum 0.999) swings through the bowl's minimum at step ~160 and
    up the far side: stuck while it climbs away from its best, running again as it comes
    back down, although its best loss (from the crossing) stays the same."""
    bowl = optviz.Surface.sculpted("bowl", [])
    res = optviz.race(
        bowl,
        [Optimizer("sgd", lr=1e-4, momentum=0.999)],
        start=(2.0, 0.0),
        steps=480,
        finish=Finish("loss", 1e-6),
    )
    best = res.best_loss[0]
    assert best[450] == best[200]  # no new low since the crossing
    st = _statuses(res)
    assert (st[250:350] == "stuck").all()
    assert (st[410:470] == "running").all()


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


@pytest.mark.parametrize(
    "finish", [Finish("distance", 1e-2), Finish("loss", 1e-3), Finish("grad_norm", 1e-2)]
)
@pytest.mark.parametrize("noise", [None, Noise(std=0.05, seed=3)])
def test_the_race_of_a_recorded_run_is_the_race(finish, noise):
    surface = optviz.Surface.preset("himmelblau")
    optimizers = [
        Optimizer("adam", lr=0.1),
        Optimizer("momentum", lr=0.01),
        Optimizer("gd", lr=0.5, label="boom"),  # diverges (but not from the minimum)
        Optimizer("gd", lr=0.0, label="frozen"),  # stuck (but finished at the minimum)
    ]
    starts = [(0.0, 0.0), (-1.0, 1.0), (3.0, 2.0)]  # the last is a minimum: step 0
    result = execute(RunSpec.build(surface, optimizers, starts, 300, noise), record_grads=True)
    got = race_of(result, finish)  # as the window runs it: every step, gradients recorded
    want = race(surface, optimizers, start=starts, steps=300, finish=finish, noise=noise)
    np.testing.assert_array_equal(got.finish_steps, want.finish_steps)
    assert (want.finish_steps[:2, :2] > 0).all() and (want.finish_steps[:, 2] == 0).all()
    np.testing.assert_array_equal(got.finish_step, want.finish_step)
    np.testing.assert_array_equal(got.diverged_step, want.diverged_step)
    assert want.diverged_step[2] > 0
    np.testing.assert_array_equal(got.loss, want.loss)
    for step in (0, 5, 100, 300):
        rows = [[astuple(row) for row in r.leaderboard(step)] for r in (got, want)]
        np.testing.assert_equal(*rows)  # NaN losses of diverged runs compare equal
    assert np.shares_memory(got.result.xy, result.xy)
    sparse = execute(RunSpec.build(surface, optimizers, starts, 300, noise, record_every=2))
    rerun = race_of(sparse, finish)  # positions every other step: raced anew
    np.testing.assert_array_equal(rerun.finish_steps, want.finish_steps)


def test_race_of_needs_a_result():
    with pytest.raises(ValueError, match="race_of needs an optviz.Result"):
        race_of(None)


def test_a_race_with_a_run_blowing_up_warns_of_nothing():
    # Losses near 1e300 before the divergence overflow the mean over starts: inf, silently.
    r = race(
        "booth",
        [Optimizer("adam", lr=0.05), Optimizer("sgd", lr=10.0)],
        start=[(1.0, 1.0), (-5.0, 5.0)],
        steps=100,
        finish=Finish("loss", 1e-3),
        stuck_rtol=np.float32(1e-6),
    )
    assert r.leaderboard(100)[-1].label == "sgd"
