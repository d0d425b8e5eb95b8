"""Swarms: basin classification on Himmelblau's four minima, start layouts, success table."""

import numpy as np
import pytest

import optviz
from optviz import Optimizer
from optviz.swarm import DIVERGED, NO_BASIN, swarm_starts

HIMMELBLAU = optviz.Surface.preset("himmelblau")


def test_starts_near_each_minimum_converge_to_it():
    m = HIMMELBLAU.minima_array  # four minima, all with f = 0
    offsets = np.array([(0.3, 0.2), (-0.25, 0.3), (0.2, -0.3)])
    starts = (m[:, None, :] + offsets[None]).reshape(-1, 2)
    res = optviz.swarm(
        HIMMELBLAU,
        [Optimizer("gd", lr=0.01), Optimizer("adam", lr=0.05), Optimizer("gd", lr=0.5)],
        starts=starts,
        steps=400,
    )
    expected = np.repeat(np.arange(4), 3)
    np.testing.assert_array_equal(res.basin[0], expected)
    np.testing.assert_array_equal(res.basin[1], expected)
    assert (res.basin[2] == DIVERGED).all()
    assert (res.steps_to_converge[:2] > 0).all() and (res.steps_to_converge[2] == -1).all()
    assert res.global_minima == [0, 1, 2, 3]
    rows = res.success_table()
    assert [r.label for r in rows] == ["gd", "adam", "gd"]
    assert rows[0].global_rate == 1.0 and rows[0].diverged_rate == 0.0
    assert rows[0].median_steps == np.median(res.steps_to_converge[0])
    assert rows[2].global_rate == 0.0 and rows[2].diverged_rate == 1.0
    assert np.isnan(rows[2].median_steps)


def test_unconverged_runs_have_no_basin():
    res = optviz.swarm(HIMMELBLAU, [Optimizer("gd", lr=1e-6)], starts=[(0.0, 0.0)], steps=10)
    assert res.basin[0, 0] == NO_BASIN and res.steps_to_converge[0, 0] == -1


def test_grid_basin_map_over_the_view():
    res = optviz.swarm(HIMMELBLAU, [Optimizer("gd", lr=0.01)], starts="grid", n=400, steps=300)
    assert res.grid_shape == (20, 20) and res.starts.shape == (400, 2)
    image = res.basin[0].reshape(res.grid_shape)
    # Row-major with y increasing: the corners of the view fall into the nearest minimum's
    # quadrant (Himmelblau's basins are roughly the four quadrants).
    (x0, x1), (y0, y1) = HIMMELBLAU.view
    assert res.starts[0, 0] < res.starts[1, 0] and res.starts[0, 1] < res.starts[20, 1]
    m = HIMMELBLAU.minima_array
    quadrant = {(np.sign(x) > 0, np.sign(y) > 0): i for i, (x, y) in enumerate(m)}
    assert image[-1, -1] == quadrant[(True, True)]  # top right
    assert image[0, 0] == quadrant[(False, False)]  # bottom left
    assert len(set(image.ravel()) - {NO_BASIN}) == 4


def test_start_layouts_and_validation():
    pts, shape = swarm_starts("random", 50, ((0, 1), (2, 3)), seed=4)
    again, _ = swarm_starts("random", 50, ((0, 1), (2, 3)), seed=4)
    assert shape is None and pts.shape == (50, 2)
    np.testing.assert_array_equal(pts, again)
    assert (pts[:, 0] >= 0).all() and (pts[:, 1] >= 2).all() and (pts[:, 1] <= 3).all()
    with pytest.raises(ValueError, match="choose one of"):
        optviz.swarm(HIMMELBLAU, [Optimizer("gd")], starts="spiral")
    with pytest.raises(ValueError, match="n=0"):
        optviz.swarm(HIMMELBLAU, [Optimizer("gd")], n=0)
    with pytest.raises(ValueError, match="tol"):
        optviz.swarm(HIMMELBLAU, [Optimizer("gd")], n=4, tol=-1.0)
    with pytest.raises(ValueError, match="view"):
        optviz.swarm(HIMMELBLAU, [Optimizer("gd")], n=4, view=((1, 0), (0, 1)))
    with pytest.raises(ValueError, match="no known minima"):
        optviz.swarm("saddle", [Optimizer("gd")], n=4)


@pytest.mark.parametrize("seed", [-1, 1.5, "a", True])
def test_random_start_seeds_are_checked(seed):
    with pytest.raises(ValueError, match="seed=.* must be an integer in \\[0, 2\\*\\*63\\)"):
        optviz.swarm(HIMMELBLAU, [Optimizer("gd")], n=4, starts="random", seed=seed)


def test_numpy_tolerances_are_numbers():
    res = optviz.swarm(HIMMELBLAU, [Optimizer("gd")], n=4, steps=2, tol=np.float32(0.1))
    assert res.tol == pytest.approx(0.1)
