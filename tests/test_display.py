"""Path thinning for display."""

import numpy as np
import pytest

from optviz.display import visible_points


def test_points_closer_than_the_tolerance_are_dropped():
    t = np.linspace(0, 1, 10_001)
    xy = np.column_stack([t, t**2])
    keep = visible_points(xy, (0.01, 0.01))
    assert keep[0] == 0 and np.all(np.diff(keep) > 0)
    assert 80 < len(keep) < 200
    steps = np.diff(xy[keep], axis=0)
    assert (np.hypot(steps[:, 0] / 0.01, steps[:, 1] / 0.01) >= 1.0).all()
    # Every dropped point is within the tolerance of the last kept one before it.
    owner = keep[np.searchsorted(keep, np.arange(len(t)), side="right") - 1]
    gap = (xy - xy[owner]) / 0.01
    assert (np.hypot(gap[:, 0], gap[:, 1]) < 1.0 + 1e-9).all()


def test_zig_zags_larger_than_a_pixel_survive():
    x = np.arange(1000.0)
    y = np.where(np.arange(1000) % 2, 1.0, -1.0)
    keep = visible_points(np.column_stack([x, y]), (0.5, 0.5))
    assert len(keep) == 1000


def test_drawing_stops_where_the_path_diverges():
    xy = np.array([[0.0, 0.0], [1.0, 1.0], [np.nan, np.nan], [5.0, 5.0]])
    np.testing.assert_array_equal(visible_points(xy, (0.1, 0.1)), [0, 1])


def test_bad_tolerance():
    with pytest.raises(ValueError):
        visible_points(np.zeros((3, 2)), (0.0, 1.0))
