"""Preset surfaces: exact gradients (against finite differences), minima, metadata."""

import numpy as np
import pytest

import optviz
from optviz.surfaces.presets import PRESETS

NAMES = list(optviz.PRESET_NAMES)


def _points(surface, n=64, seed=0):
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.view
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    s = optviz.Surface.preset(name)
    x, y = _points(s)
    g = s.grad(x, y)
    h = 1e-6
    fd_x = (s.f(x + h, y) - s.f(x - h, y)) / (2 * h)
    fd_y = (s.f(x, y + h) - s.f(x, y - h)) / (2 * h)
    scale = np.abs(s.f(x, y)) + 1.0
    np.testing.assert_allclose(g[:, 0], fd_x, rtol=1e-5, atol=1e-6 * scale.max())
    np.testing.assert_allclose(g[:, 1], fd_y, rtol=1e-5, atol=1e-6 * scale.max())


@pytest.mark.parametrize("name", [n for n in NAMES if PRESETS[n].minima])
def test_known_minima_are_stationary_with_the_stated_value(name):
    s = optviz.Surface.preset(name)
    m = s.minima_array
    np.testing.assert_allclose(s.grad(m[:, 0], m[:, 1]), 0.0, atol=1e-6)
    if s.f_min is not None:
        np.testing.assert_allclose(s.f(m[:, 0], m[:, 1]), s.f_min, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_metadata_is_consistent(name):
    s = optviz.Surface.preset(name)
    (x0, x1), (y0, y1) = s.view
    assert x0 < x1 and y0 < y1
    assert s.starts, "every preset has a default start"
    for sx, sy in s.starts + s.minima:
        assert x0 <= sx <= x1 and y0 <= sy <= y1, (sx, sy)
    xs, ys, z = s.grid(30, 20)
    assert z.shape == (20, 30) and np.isfinite(z).all()
    if s.log_scale:
        assert (z >= (s.f_min or 0.0) - 1e-12).all(), "log colour scale needs f >= f_min"


def test_formulas_match_their_definitions():
    pi = np.pi
    cases = {
        "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        "beale": lambda x, y: (
            (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
        ),
        "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
        "booth": lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
        "matyas": lambda x, y: 0.26 * (x**2 + y**2) - 0.48 * x * y,
        "three_hump_camel": lambda x, y: 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2,
        "six_hump_camel": lambda x, y: (
            (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2
        ),
        "rastrigin": lambda x, y: (
            20 + x**2 - 10 * np.cos(2 * pi * x) + y**2 - 10 * np.cos(2 * pi * y)
        ),
        "ackley": lambda x, y: (
            -20 * np.exp(-0.2 * np.sqrt(0.5 * (x**2 + y**2)))
            - np.exp(0.5 * (np.cos(2 * pi * x) + np.cos(2 * pi * y)))
            + np.e
            + 20
        ),
        "goldstein_price": lambda x, y: (
            (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2))
            * (
                30
                + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
            )
        ),
        "styblinski_tang": lambda x, y: (
            ((x**4 - 16 * x**2 + 5 * x) + (y**4 - 16 * y**2 + 5 * y)) / 2
        ),
        "levi13": lambda x, y: (
            np.sin(3 * pi * x) ** 2
            + (x - 1) ** 2 * (1 + np.sin(3 * pi * y) ** 2)
            + (y - 1) ** 2 * (1 + np.sin(2 * pi * y) ** 2)
        ),
        "saddle": lambda x, y: x**2 - y**2,
        "monkey_saddle": lambda x, y: x**3 - 3 * x * y**2,
        "ill_conditioned": lambda x, y: 0.5 * (x**2 + 50 * y**2),
        "sigmoid_neuron": lambda w, b: (
            0.5
            * sum(
                (1 / (1 + np.exp(-(w * xi + b))) - yi) ** 2 for xi, yi in [(0.5, 0.2), (2.5, 0.9)]
            )
        ),
    }
    assert set(cases) == set(NAMES)
    for name, f in cases.items():
        s = optviz.Surface.preset(name)
        x, y = _points(s, 50, seed=3)
        np.testing.assert_allclose(s.f(x, y), f(x, y), rtol=1e-12, atol=1e-12, err_msg=name)


def test_preset_parameters():
    s = optviz.Surface.preset("ill_conditioned", kappa=200)
    assert s.params == (("kappa", 200.0),)
    np.testing.assert_allclose(s.grad(1.0, 1.0), [1.0, 200.0])
    with pytest.raises(ValueError, match="kappa"):
        optviz.Surface.preset("ill_conditioned", kappa=-1)
    with pytest.raises(ValueError, match="has no parameter 'alpha'"):
        optviz.Surface.preset("rosenbrock", alpha=2)
    with pytest.raises(ValueError, match="unknown surface 'nope'.*rosenbrock"):
        optviz.Surface.preset("nope")


def test_surface_round_trips_through_dict():
    s = optviz.Surface.preset("ill_conditioned", kappa=10)
    assert optviz.Surface.from_dict(s.to_dict()) == s
