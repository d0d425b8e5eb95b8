"""The scripting API: shapes, validation, divergence, noise, record modes, cancel."""

import threading
import tracemalloc

import numpy as np
import pytest

import optviz
from optviz.bench.races import SWARM_OPTIMIZERS
from optviz.engine.noise import normal_table
from optviz.race import race_of

ADAM = optviz.Optimizer("adam", lr=0.01)
SGD = optviz.Optimizer(
    "sgd", lr=1e-3, momentum=0.9, nesterov=True, schedule=optviz.Schedule("cosine", T_max=300)
)


def test_issue_example_shapes_and_dtypes():
    res = optviz.simulate(
        "rosenbrock",
        [ADAM, SGD],
        starts=[(-1.5, 2.0), (1.2, -0.5)],
        steps=500,
        noise=None,
        backend="cpu",
    )
    assert res.xy.shape == (2, 2, 501, 2) and res.xy.dtype == np.float64
    assert res.loss.shape == (2, 2, 501)
    assert res.grad.shape == (2, 2, 500, 2)
    assert res.lr.shape == (2, 500)
    assert res.effective_lr.shape == (2, 2, 500, 2)
    assert res.diverged.shape == (2, 2) and res.diverged.dtype == np.int64
    np.testing.assert_array_equal(res.xy[:, :, 0], [[(-1.5, 2.0), (1.2, -0.5)]] * 2)
    np.testing.assert_allclose(res.lr[0], 0.01)
    np.testing.assert_allclose(res.lr[1], SGD.schedule.values(1e-3, 500))


def test_loss_is_the_surface_at_the_positions():
    res = optviz.simulate("himmelblau", [ADAM], starts=[(0.0, 0.0)], steps=50)
    s = optviz.Surface.preset("himmelblau")
    np.testing.assert_array_equal(res.loss[0, 0], s.f(res.xy[0, 0, :, 0], res.xy[0, 0, :, 1]))


def test_grad_is_the_gradient_at_the_position_before_each_step():
    res = optviz.simulate("booth", [ADAM], starts=[(-8.0, -6.0)], steps=40)
    s = optviz.Surface.preset("booth")
    before = res.xy[0, 0, :-1]
    np.testing.assert_array_equal(res.grad[0, 0], s.grad(before[:, 0], before[:, 1]))


def test_effective_lr_reconstructs_the_sgd_and_adagrad_steps():
    res = optviz.simulate(
        "booth",
        [optviz.Optimizer("adagrad", lr=0.5)],
        starts=[(-8, -6)],
        steps=30,
        record_grads=True,
    )
    step = res.xy[0, 0, 1:] - res.xy[0, 0, :-1]
    np.testing.assert_allclose(step, -res.effective_lr[0, 0] * res.grad[0, 0], rtol=1e-12)


def test_replayed_history_equals_recorded_history_bit_for_bit():
    kw = dict(starts=[(-1.5, 2.0), (0.5, 0.5)], steps=200, noise=optviz.Noise(std=0.5, seed=3))
    eager = optviz.simulate("rosenbrock", [ADAM, SGD], record_grads=True, **kw)
    lazy = optviz.simulate("rosenbrock", [ADAM, SGD], **kw)
    np.testing.assert_array_equal(lazy.grad, eager.grad)
    np.testing.assert_array_equal(lazy.effective_lr, eager.effective_lr)
    np.testing.assert_array_equal(lazy.xy, eager.xy)


def test_every_configuration_runs_from_every_start():
    starts = [(-1.0, 1.0), (0.5, 2.0), (1.5, 1.5)]
    together = optviz.simulate("rosenbrock", [ADAM, SGD], starts=starts, steps=100)
    for o, opt in enumerate([ADAM, SGD]):
        for s, start in enumerate(starts):
            alone = optviz.simulate("rosenbrock", [opt], starts=[start], steps=100)
            np.testing.assert_array_equal(together.xy[o, s], alone.xy[0, 0])


def test_all_optimizers_run_together():
    opts = [optviz.Optimizer(n) for n in optviz.OPTIMIZER_NAMES]
    res = optviz.simulate("booth", opts, starts=[(-8.0, -6.0)], steps=100)
    assert res.xy.shape == (len(opts), 1, 101, 2)
    assert (res.diverged == -1).all()
    # Every optimizer moved, and every one went downhill overall.
    assert (res.loss[:, 0, -1] < res.loss[:, 0, 0]).all(), dict(zip(res.labels, res.loss[:, 0, -1]))


def test_divergence_is_reported_and_later_positions_are_nan():
    res = optviz.simulate(
        "rosenbrock", [optviz.Optimizer("gd", lr=0.1)], starts=[(2.0, 2.0)], steps=100
    )
    d = res.diverged[0, 0]
    assert 1 <= d < 100
    assert np.isfinite(res.xy[0, 0, :d]).all()
    assert np.isnan(res.xy[0, 0, d:]).all()
    assert np.isnan(res.loss[0, 0, d:]).all()


def test_divergence_never_raises_for_any_optimizer():
    opts = [
        optviz.Optimizer(n, **({"lr": 1e6} if "lr" in optviz.OPTIMIZERS[n].defaults else {}))
        for n in optviz.OPTIMIZER_NAMES
    ]
    res = optviz.simulate("rosenbrock", opts, starts=[(1.9, -0.9)], steps=300)
    for o in range(len(opts)):
        d = res.diverged[o, 0]
        if d >= 0:
            assert np.isnan(res.xy[o, 0, d:]).all() and np.isfinite(res.xy[o, 0, :d]).all()


# --- validation -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: optviz.Optimizer("adamm"), r"unknown optimizer 'adamm'; choose one of: gd, sgd"),
        (lambda: optviz.Optimizer("adam", momentum=0.9), r"no hyperparameter 'momentum'.*betas"),
        (lambda: optviz.Optimizer("adam", lr=-0.1), r"lr=-0.1 must be .*>= 0"),
        (lambda: optviz.Optimizer("adam", betas=(0.9, 1.0)), r"betas.*\[0, 1\)"),
        (lambda: optviz.Optimizer("sgd", momentum=-0.5), r"momentum.*\[0, 1\)"),
        (lambda: optviz.Optimizer("sgd", nesterov="yes"), r"nesterov.*True or False"),
        (lambda: optviz.Optimizer("window_adam", window_g=0), r"integer >= 1"),
        (lambda: optviz.Optimizer("line_search", etas=()), r"1 to 8 positive"),
        (lambda: optviz.Optimizer("adam", momentum_schedule="sutskever"), r"no momentum"),
        (lambda: optviz.Schedule("cosinus"), r"unknown schedule 'cosinus'; choose one of"),
        (lambda: optviz.Schedule("cosine"), r"needs T_max"),
        (lambda: optviz.Schedule("step", step_size=0), r"integer >= 1"),
        (lambda: optviz.Schedule("step", step_size=5, gama=0.1), r"no parameter 'gama'"),
        (lambda: optviz.Noise(std=-1), r"std=-1"),
        (lambda: optviz.simulate("nope", [ADAM]), r"unknown surface 'nope'; choose one of"),
        (lambda: optviz.simulate("booth", [ADAM], steps=0), r"steps=0 must be an integer >= 1"),
        (lambda: optviz.simulate("booth", [ADAM], starts=[1, 2, 3]), r"shape \(S, 2\)"),
        (lambda: optviz.simulate("booth", [ADAM], starts=[[0, np.nan]]), r"finite"),
        (lambda: optviz.simulate("booth", []), r"at least one optimizer"),
        (lambda: optviz.simulate("booth", ["adam"]), r"optviz.Optimizer"),
        (lambda: optviz.simulate("booth", [ADAM], backend="tpu"), r"choose one of: cpu"),
        (lambda: optviz.simulate("booth", [ADAM], record="some"), r"full, final"),
        (lambda: optviz.simulate("booth", [ADAM], steps=5, record_every=6), r"\[1, steps\]"),
        (
            lambda: optviz.simulate("booth", [ADAM], starts=np.zeros((10**6, 2)), steps=1000),
            r"GiB; use record_every",
        ),
    ],
)
def test_bad_arguments_raise_value_errors_naming_what_is_accepted(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_defaults_follow_the_contract():
    assert optviz.Optimizer("sgd").params == {
        "lr": 1e-3,
        "momentum": 0.0,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": False,
    }
    assert optviz.Optimizer("adamw").params["weight_decay"] == 1e-2
    assert optviz.Optimizer("amsgrad").params["amsgrad"] is True
    assert optviz.Optimizer("yogi").params == {
        "lr": 1e-2,
        "betas": (0.9, 0.999),
        "eps": 1e-3,
        "initial_accumulator_value": 1e-6,
    }
    assert optviz.Optimizer("line_search").params["etas"] == (0.1, 0.5, 1.0, 2.0, 10.0)


def test_optimizer_round_trips_through_dict_and_replace():
    opt = optviz.Optimizer(
        "sgd", lr=0.01, momentum=0.5, label="mine", schedule=optviz.Schedule("step", step_size=10)
    )
    assert optviz.Optimizer.from_dict(opt.to_dict()) == opt
    assert opt.replace(lr=0.1).params["lr"] == 0.1 and opt.replace(lr=0.1).label == "mine"


# --- noise ----------------------------------------------------------------------------
def test_noise_is_reproducible_bit_for_bit_and_depends_on_the_seed():
    kw = dict(starts=[(-1.5, 2.0), (1.0, -0.5)], steps=300)
    a = optviz.simulate("rosenbrock", [ADAM, SGD], noise=optviz.Noise(0.5, seed=1), **kw)
    b = optviz.simulate("rosenbrock", [ADAM, SGD], noise=optviz.Noise(0.5, seed=1), **kw)
    c = optviz.simulate("rosenbrock", [ADAM, SGD], noise=optviz.Noise(0.5, seed=2), **kw)
    np.testing.assert_array_equal(a.xy, b.xy)
    assert not np.array_equal(a.xy, c.xy)


def test_noise_is_gaussian_with_the_requested_std_scaled_by_batch_size():
    s = optviz.Surface.preset("ill_conditioned")
    for batch, expected in [(None, 2.0), (4, 1.0)]:
        res = optviz.simulate(
            s,
            [optviz.Optimizer("gd", lr=0.0)],
            starts=[(1.0, 1.0)] * 50,
            steps=400,
            noise=optviz.Noise(std=2.0, seed=7, batch_size=batch),
        )
        noise = res.grad - s.grad(1.0, 1.0)
        assert abs(noise.mean()) < 0.05 * expected
        assert noise.std() == pytest.approx(expected, rel=0.03)
        # Fourth moment of a Gaussian: 3 sigma^4.
        assert (noise**4).mean() / noise.var() ** 2 == pytest.approx(3.0, rel=0.08)


def test_noise_is_keyed_by_start_and_shared_by_all_optimizers_from_it():
    res = optviz.simulate(
        "ill_conditioned",
        [optviz.Optimizer("gd", lr=0.0)] * 2,
        starts=[(1.0, 1.0), (1.0, 1.0)],
        steps=20,
        noise=optviz.Noise(std=1.0, seed=5),
    )
    g = res.grad - optviz.Surface.preset("ill_conditioned").grad(1.0, 1.0)
    np.testing.assert_array_equal(g[0], g[1])  # same start index, other optimizer
    assert not np.array_equal(g[0, 0], g[0, 1])  # other start index
    np.testing.assert_allclose(g[0, 1], normal_table(5, 1, 20), rtol=1e-12)


# --- record modes ------------------------------------------------------------------------
def test_record_every_keeps_every_kth_step_of_the_full_record():
    kw = dict(starts=[(-1.5, 2.0)], steps=100, noise=optviz.Noise(0.3, seed=2))
    full = optviz.simulate("rosenbrock", [ADAM, SGD], **kw)
    sparse = optviz.simulate("rosenbrock", [ADAM, SGD], record_every=7, **kw)
    assert sparse.xy.shape == (2, 1, 100 // 7 + 1, 2)
    np.testing.assert_array_equal(sparse.xy, full.xy[:, :, ::7])
    np.testing.assert_array_equal(sparse.grad, full.grad[:, :, 6::7])
    np.testing.assert_array_equal(sparse.recorded_steps, np.arange(0, 100, 7))


def test_final_record_keeps_final_state_hits_and_divergence():
    opts = [ADAM, optviz.Optimizer("gd", lr=0.1), optviz.Optimizer("adam", lr=0.05)]
    kw = dict(starts=[(-1.5, 2.0), (2.0, 2.0), (1.0, 1.0005)], steps=3000, tol=1e-3)
    full = optviz.simulate("rosenbrock", opts, **kw)
    final = optviz.simulate("rosenbrock", opts, record="final", **kw)
    assert final.xy is None
    np.testing.assert_array_equal(final.final_xy, full.xy[:, :, -1])
    np.testing.assert_array_equal(final.diverged, full.diverged)
    np.testing.assert_array_equal(final.hit_step, full.hit_step)
    # hit_step is the first step within tol of (1, 1), computed independently here:
    dist = np.hypot(full.xy[..., 0] - 1.0, full.xy[..., 1] - 1.0)
    within = dist <= 1e-3
    expected = np.where(within.any(-1), within.argmax(-1), -1)
    np.testing.assert_array_equal(final.hit_step, expected)
    assert (final.hit_step[:, 2] == 0).all()  # that start is already within tol
    assert final.hit_step[2, 0] > 0
    with pytest.raises(ValueError, match="record='final' keeps no per-step history"):
        final.grad  # noqa: B018


def test_final_record_memory_is_bounded_for_a_huge_swarm():
    """10^5 starts x 12 optimizers: memory does not depend on steps, so 10 steps show it."""
    names = SWARM_OPTIMIZERS  # the 12 of the swarm benchmarks
    starts = np.random.default_rng(0).uniform(-2, 2, (100_000, 2))
    tracemalloc.start()
    try:
        optviz.simulate(
            "rosenbrock",
            [optviz.Optimizer(n) for n in names],
            starts=starts,
            steps=10,
            record="final",
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 300 * 2**20, f"peak {peak / 2**20:.0f} MiB"


# --- progress and cancel -------------------------------------------------------------------
def test_progress_is_reported_and_the_result_is_unchanged(monkeypatch):
    import optviz.engine.run as run

    monkeypatch.setattr(run, "CHUNK_WORK", 1000)
    spec = optviz.RunSpec.build(
        "rosenbrock", [ADAM, SGD], [(-1.5, 2.0)] * 4, steps=1000, record_every=3
    )
    seen = []
    chunked = optviz.execute(spec, progress=lambda done, total: seen.append((done, total)))
    whole = optviz.execute(spec)
    assert len(seen) > 5 and seen[-1] == (1000, 1000)
    assert all(b[0] > a[0] for a, b in zip(seen, seen[1:]))
    np.testing.assert_array_equal(chunked.xy, whole.xy)


def test_cancel_stops_between_chunks(monkeypatch):
    import optviz.engine.run as run

    monkeypatch.setattr(run, "CHUNK_WORK", 1000)
    spec = optviz.RunSpec.build("rosenbrock", [ADAM], [(-1.5, 2.0)], steps=100_000)
    stop = threading.Event()
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 3:
            stop.set()

    with pytest.raises(optviz.Cancelled):
        optviz.execute(spec, progress=progress, cancel=stop)
    assert len(calls) == 3


_WATCHED = {
    "execute": lambda **w: optviz.execute(
        optviz.RunSpec.build("rosenbrock", [ADAM], [(-1.5, 2.0)], steps=10), **w
    ),
    "race": lambda **w: optviz.race("rosenbrock", [ADAM, SGD], steps=10, **w),
    "race_of": lambda **w: race_of(
        optviz.simulate("rosenbrock", [ADAM], [(-1.5, 2.0)], steps=10), **w
    ),
    "swarm": lambda **w: optviz.swarm("rosenbrock", [ADAM], n=4, steps=10, **w),
    "sweep": lambda **w: optviz.sweep("rosenbrock", "adam", {"lr": [0.01, 0.1]}, steps=10, **w),
}


@pytest.mark.parametrize("call", _WATCHED.values(), ids=_WATCHED.keys())
def test_progress_and_cancel_of_the_wrong_type_are_named(call):
    # Refused before any work, naming the argument: not "'int' object is not callable"
    # after the first chunk has run.
    with pytest.raises(TypeError, match="progress is a callable.*not int"):
        call(progress=3)
    with pytest.raises(TypeError, match="cancel is a callable or a threading.Event, not str"):
        call(cancel="stop")
    seen = []
    call(progress=lambda done, total: seen.append(done), cancel=threading.Event())
    assert seen
    with pytest.raises(optviz.Cancelled):
        call(cancel=lambda: True)


# --- hostile inputs (QA) ---------------------------------------------------------------
def test_noise_of_numpy_numbers_is_plain_and_saves_to_json():
    import json

    noise = optviz.Noise(std=np.float32(0.5), seed=np.int64(2), batch_size=np.int64(5))
    assert type(noise.std) is float and type(noise.seed) is int
    assert type(noise.batch_size) is int
    assert json.loads(json.dumps(noise.to_dict())) == {"std": 0.5, "seed": 2, "batch_size": 5}


@pytest.mark.parametrize(
    "kw",
    [
        {"steps": 100_000, "record": "final"},  # schedule tables grow with steps
        {"starts": np.zeros((10_000, 2)), "steps": 1, "record": "final"},  # state with runs
    ],
)
def test_runs_beyond_the_working_memory_bound_are_refused(monkeypatch, kw):
    from optviz.engine import run

    monkeypatch.setattr(run, "MAX_WORK_BYTES", 2**20)
    with pytest.raises(ValueError, match="GiB of working memory"):
        optviz.simulate("booth", ADAM, **kw)
