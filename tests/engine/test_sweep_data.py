"""Sweeps and tuning on the data-kernel surfaces: sculpted, height map and dataset (full
batch and minibatches), checked against independent runs of each cell."""

import numpy as np
import pytest

import optviz
from optviz import Finish, Noise, Optimizer
from optviz.engine.run import RunSpec, execute
from optviz.race import finish_mask
from optviz.surfaces import DATASET_NAMES, dataset_surface
from tests.engine.test_sweep import _criterion_key


def _independent_key(surface, opt, starts, steps, noise, finish):
    """The tuning key of one configuration from a blocks-layout run and a NumPy finish."""
    r = execute(RunSpec.build(surface, [opt], starts, steps, noise), layout="blocks")
    mask = finish_mask(surface, finish, r.xy[0])
    first = np.where(mask.any(-1), mask.argmax(-1), -1)
    done = int(first.max()) if (first >= 0).all() else -1
    dv = r.diverged[0]
    div = int(dv[dv >= 0].min()) if (dv >= 0).any() else -1
    return _criterion_key(done, float(r.final_loss[0].mean()), div), r


@pytest.mark.parametrize(
    "noise, optimizer, steps",
    [(None, "gd", 1000), (Noise(batch_size=1, seed=4), "sgd", 600)],
    ids=["full_batch", "minibatch"],
)
def test_tune_on_the_two_point_neuron_picks_the_best_lr_of_its_grid(noise, optimizer, steps):
    assert "neuron_two_points" in DATASET_NAMES
    surface = dataset_surface("neuron_two_points")
    lr = np.logspace(-1, 2, 10)
    tr = optviz.tune(surface, optimizer, lr_grid=lr, steps=steps, noise=noise)
    finish = Finish.default_for(surface)
    assert tr.sweep.finish == finish and finish.kind == "distance"  # its exact fit is known
    starts = [surface.starts[0]]
    keys = {}
    for i, a in enumerate(lr):
        keys[(i,)], r = _independent_key(
            surface, Optimizer(optimizer, lr=a), starts, steps, noise, finish
        )
        np.testing.assert_array_equal(tr.sweep.final_xy[i], r.final_xy[0])
    best = min(keys, key=lambda c: (keys[c], c))
    assert tr.best_index == best and tr.best == tr.sweep.optimizer_at(*best)
    assert tr.scores.values[best] == 0
    # The grid holds finished and unfinished cells, and the best is inside it.
    assert {k[0] for k in keys.values()} == {0, 1}
    assert 0 < best[0] < len(lr) - 1


@pytest.mark.parametrize("kind", ["sculpted", "heightmap", "minibatch"])
def test_sweep_cells_equal_independent_runs_on_data_surfaces(kind):
    if kind == "sculpted":
        surface = optviz.Surface.sculpted("himmelblau", [(0.0, 1.0, 20.0, 0.8)])
        noise, opt, axes = None, "sgd", {"lr": [1e-3, 5e-3, 2e-2], "momentum": [0.0, 0.5]}
    elif kind == "heightmap":
        ys, xs = np.mgrid[0:16, 0:16] / 15.0
        z = (xs - 0.3) ** 2 + 2.0 * (ys - 0.6) ** 2
        surface = optviz.Surface.from_heightmap(z, domain=((-2, 2), (-2, 2)), z_range=(0, 4))
        noise, opt, axes = None, "adam", {"lr": [0.01, 0.05, 0.2], "beta1": [0.5, 0.9]}
    else:
        surface = dataset_surface("neuron_sparse")
        noise = Noise(batch_size=20, seed=9)
        opt, axes = "decoupled_adam", {"lr": [0.02, 0.1, 0.5], "window_g": [5.0, 20.0]}
    starts = [surface.starts[0], (0.5, -0.5)]
    finish = Finish("grad_norm", 1e-2)
    sw = optviz.sweep(surface, opt, axes, starts=starts, steps=150, noise=noise, finish=finish)
    assert sw.shape == (3, 2)
    for i in range(3):
        for j in range(2):
            cell = sw.optimizer_at(i, j)
            key, r = _independent_key(surface, cell, starts, 150, noise, finish)
            np.testing.assert_array_equal(sw.final_xy[i, j], r.final_xy[0])
            assert key[0] == (0 if sw.steps_to_finish.values[i, j] >= 0 else 1)
            if key[0] == 0:
                assert key[1] == sw.steps_to_finish.values[i, j]
    finished = sw.steps_to_finish.values >= 0
    assert finished.any() and not finished.all(), "both kinds of cell are compared"
