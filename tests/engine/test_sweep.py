"""Sweeps (labelled axes, cell -> optimizer, metrics) and tuning (the choice is the best)."""

import threading

import numpy as np
import pytest

import optviz
from optviz import Finish, Optimizer
from optviz.engine.run import RunSpec, execute
from optviz.race import finish_mask
from optviz.sweep import sweep_keys

LR = np.logspace(-3, -1, 5)
MOM = np.array([0.0, 0.5, 0.9])


@pytest.fixture(scope="module")
def sgd_sweep():
    return optviz.sweep(
        "himmelblau",
        "sgd",
        {"lr": LR, "momentum": MOM},
        starts=[(0.0, 0.0), (-1.0, -1.0)],
        steps=150,
        finish=Finish("distance", 1e-3),
    )


def test_axes_are_labelled_in_the_given_order(sgd_sweep):
    sw = sgd_sweep
    assert sw.dims == ("lr", "momentum") and sw.shape == (5, 3)
    np.testing.assert_array_equal(sw.coords["lr"], LR)
    for arr in (sw.final_loss, sw.steps_to_finish, sw.diverged_step):
        assert arr.dims == ("lr", "momentum") and arr.shape == (5, 3)
    assert sw.steps_to_finish.values.dtype == np.int64
    assert sw.final_xy.shape == (5, 3, 2, 2)
    row = sw.final_loss.sel(lr=0.0101)  # nearest coordinate: LR[2] = 0.01
    assert row.dims == ("momentum",)
    np.testing.assert_array_equal(row.values, sw.final_loss.values[2])
    assert sw.final_loss.isel(lr=1, momentum=2) == sw.final_loss.values[1, 2]
    with pytest.raises(ValueError, match="no dim"):
        sw.final_loss.sel(beta=0.1)


def test_cells_hold_their_configuration_and_its_metrics(sgd_sweep):
    sw = sgd_sweep
    opt = sw.optimizer_at(3, 1)
    assert opt.name == "sgd" and opt.lr == LR[3] and opt.params["momentum"] == MOM[1]
    # Each cell's metrics equal an independent run of that cell's optimizer.
    for i, j in [(0, 0), (3, 1), (4, 2)]:
        spec = RunSpec.build(sw.surface, [sw.optimizer_at(i, j)], sw.starts, 150)
        r = execute(spec, layout="blocks")
        np.testing.assert_array_equal(r.final_xy[0], sw.final_xy[i, j])
        mask = finish_mask(sw.surface, sw.finish, r.xy[0])
        first = np.where(mask.any(-1), mask.argmax(-1), -1)
        expected = first.max() if (first >= 0).all() else -1
        assert sw.steps_to_finish.values[i, j] == expected
        assert sw.final_loss.values[i, j] == pytest.approx(r.final_loss[0].mean(), nan_ok=True)
    # The grid spans finishing, non-finishing and diverging runs.
    assert (sw.steps_to_finish.values > 0).any() and (sw.diverged_step.values > 0).any()
    with pytest.raises(ValueError, match="outside the grid"):
        sw.optimizer_at(5, 0)
    with pytest.raises(ValueError, match="2 indices"):
        sw.optimizer_at(1)


def test_members_of_pair_hyperparameters_can_be_swept():
    sw = optviz.sweep(
        "rosenbrock",
        "adam",
        {"beta2": [0.9, 0.99], "beta1": [0.5, 0.8, 0.9]},
        steps=20,
        base={"lr": 0.05},
    )
    assert sw.dims == ("beta2", "beta1")
    assert sw.optimizer_at(1, 0).params["betas"] == (0.5, 0.99)
    assert sw.optimizer_at(1, 0).lr == 0.05
    # The engine ran exactly those configurations (inputs are assembled per axis).
    for cell in [(0, 0), (1, 2), (0, 1)]:
        spec = RunSpec.build("rosenbrock", [sw.optimizer_at(*cell)], sw.starts, 20)
        np.testing.assert_array_equal(execute(spec, layout="blocks").final_xy[0], sw.final_xy[cell])
    sched = Optimizer("rmsprop", schedule=optviz.Schedule("cosine", T_max=10), centered=True)
    sw = optviz.sweep("rosenbrock", sched, {"momentum": [0.0, 0.9], "alpha": [0.9, 0.99]}, steps=20)
    spec = RunSpec.build("rosenbrock", [sw.optimizer_at(1, 0)], sw.starts, 20)
    np.testing.assert_array_equal(execute(spec, layout="blocks").final_xy[0], sw.final_xy[1, 0])
    assert optviz.sweep("rosenbrock", "qhadam", {"nu1": [0.5, 0.7]}, steps=5).shape == (2,)
    assert sweep_keys("adam")[:3] == ["lr", "beta1", "beta2"]
    with pytest.raises(ValueError, match="'beta1' and 'beta2'"):
        optviz.sweep("rosenbrock", "adam", {"betas": [0.9]}, steps=5)


@pytest.mark.parametrize(
    "axes, match",
    [
        ({"speed": [1.0]}, "no sweepable hyperparameter 'speed'"),
        ({"nesterov": [0, 1]}, "cannot be swept"),
        ({}, "1 or 2"),
        ({"lr": [1e-3], "momentum": [0.0], "dampening": [0.0]}, "1 or 2"),
        ({"lr": []}, "non-empty"),
        ({"lr": [1e-3, float("nan")]}, "finite"),
        ({"lr": [-1.0]}, "lr"),
        ({"momentum": [1.5]}, "momentum"),
    ],
)
def test_sweep_validation_messages(axes, match):
    with pytest.raises(ValueError, match=match):
        optviz.sweep("rosenbrock", "sgd", axes, steps=5)


def test_sweep_cancel_and_progress():
    seen = []
    optviz.sweep("rosenbrock", "sgd", {"lr": LR}, steps=50, progress=lambda d, t: seen.append(t))
    assert seen and seen[-1] == 50
    stop = threading.Event()
    stop.set()
    with pytest.raises(optviz.Cancelled):
        optviz.sweep("rosenbrock", "sgd", {"lr": LR}, steps=50, cancel=stop)


def test_to_xarray_converts_or_says_what_is_missing(sgd_sweep):
    try:
        import xarray  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match="xarray"):
            sgd_sweep.final_loss.to_xarray()
    else:
        da = sgd_sweep.final_loss.to_xarray()
        assert da.dims == ("lr", "momentum")


def _criterion_key(steps_to_finish, final_loss, diverged_step):
    """The stated tuning criterion, written out independently of TuneResult."""
    if diverged_step >= 0:
        return (2, 0, 0.0, -diverged_step)
    if steps_to_finish >= 0:
        return (0, steps_to_finish, final_loss, 0)
    return (1, 0, final_loss, 0)


def test_tune_picks_the_best_cell_of_its_grid_by_the_criterion():
    lr = np.logspace(-3, -0.5, 8)
    surface = optviz.Surface.preset("himmelblau")
    finish = Finish("distance", 1e-3)
    starts = [(0.0, 0.0), (-1.0, -1.0)]
    tr = optviz.tune(
        surface,
        Optimizer("sgd"),
        lr_grid=lr,
        second=("momentum", [0.0, 0.5, 0.9]),
        starts=starts,
        steps=200,
        finish=finish,
    )
    assert list(tr.grid) == ["lr", "momentum"] and "fewest steps" in tr.criterion
    # Score every cell from independent runs (blocks layout, full record, NumPy finish).
    keys = {}
    for i, a in enumerate(lr):
        for j, m in enumerate([0.0, 0.5, 0.9]):
            opt = Optimizer("sgd", lr=a, momentum=m)
            r = execute(RunSpec.build(surface, [opt], starts, 200), layout="blocks")
            mask = finish_mask(surface, finish, r.xy[0])
            first = np.where(mask.any(-1), mask.argmax(-1), -1)
            done = int(first.max()) if (first >= 0).all() else -1
            dv = r.diverged[0]
            div = int(dv[dv >= 0].min()) if (dv >= 0).any() else -1
            keys[(i, j)] = _criterion_key(done, float(r.final_loss[0].mean()), div)
    best = min(keys, key=lambda c: (keys[c], c))
    assert tr.best_index == best
    assert tr.best == tr.sweep.optimizer_at(*best)
    assert tr.scores.values[best] == 0
    assert sorted(tr.scores.values.ravel()) == list(range(24))
    # The grid had all three kinds of cell, so the ranking was really exercised.
    kinds = {k[0] for k in keys.values()}
    assert kinds == {0, 1, 2}
    d = tr.to_dict()
    assert d["second"][0] == "momentum" and len(d["lr_grid"]) == 8


def test_tune_validation():
    with pytest.raises(ValueError, match="no learning rate"):
        optviz.tune("rosenbrock", "line_search")
    with pytest.raises(ValueError, match="> 0"):
        optviz.tune("rosenbrock", "sgd", lr_grid=[0.0, 0.1])
    with pytest.raises(ValueError, match="other than 'lr'"):
        optviz.tune("rosenbrock", "sgd", second=("lr", [0.1]))
    with pytest.raises(ValueError, match="key, values"):
        optviz.tune("rosenbrock", "sgd", second="momentum")
    with pytest.raises(ValueError, match="criterion"):
        optviz.tune("rosenbrock", "sgd", criterion="fastest")


def test_tune_by_final_loss_picks_the_lowest_final_loss():
    lr = np.logspace(-3, -0.5, 8)
    tr = optviz.tune("himmelblau", "sgd", lr_grid=lr, steps=60, criterion="loss")
    loss = tr.sweep.final_loss.values
    assert np.isnan(loss).any(), "some cells diverge"
    assert tr.best_index == (int(np.nanargmin(loss)),)
    assert "lowest final loss" in tr.criterion and tr.to_dict()["criterion"] == "loss"


# --- hostile inputs (QA) ---------------------------------------------------------------
@pytest.mark.parametrize("client", [None, object()])
def test_a_grid_too_large_is_refused_before_it_is_laid_out(client):
    import tracemalloc

    axes = {"lr": np.logspace(-4, 0, 3200), "momentum": np.linspace(0, 0.9, 3200)}
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="more than one process"):
            optviz.sweep("booth", "sgd", axes, steps=5, client=client)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_labeled_array_selection_is_checked(sgd_sweep):
    fl = sgd_sweep.final_loss
    with pytest.raises(ValueError, match="isel: lr=5 must be an integer in \\[-5, 5\\)"):
        fl.isel(lr=5)
    with pytest.raises(ValueError, match="isel: lr=1.5"):
        fl.isel(lr=1.5)
    with pytest.raises(ValueError, match="sel: lr=nan must be a finite number"):
        fl.sel(lr=float("nan"))
    with pytest.raises(ValueError, match="sel: momentum=None"):
        fl.sel(momentum=None)
    assert fl.isel(lr=0, momentum=-1) == fl.values[0, -1]


def test_sweep_to_xarray_without_xarray_says_what_is_missing(sgd_sweep, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "xarray", None)  # import xarray raises ImportError
    with pytest.raises(ValueError, match="pip install xarray"):
        sgd_sweep.to_xarray()
