"""Typed formula surfaces in the engine: exact gradients, runs, divergence, scenes, cache."""

import math
import time

import numba.core.event
import numpy as np
import pytest

import optviz
from optviz.scene import Scene, default_scene
from optviz.surfaces import formula

FORMULAS = [
    "sin(x)*cos(y) + 0.1*(x^2 + y^2)",
    "(1-x)^2 + 100*(y-x^2)^2",
    "sigmoid(3*x - y) + softplus(y) - log10(x^2 + 2)",
    "max(x, y)^2 + min(x, 2*y) + abs(x - y)",
    "exp(-x^2 - y^2) * tanh(x) + sqrt(x^2 + y^2 + 1) / (2 + cos(y))",
    "atan(x) * asin(y / 4) + sinh(x / 3) - cosh(y / 5) + tan(x / 5)",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_gradients_of_formulas_match_finite_differences(text):
    s = optviz.Surface.from_expression(text, domain=((-2, 2), (-2, 2)))
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1.9, 1.9, 40), rng.uniform(-1.9, 1.9, 40)
    g = s.grad(x, y)
    h = 1e-6
    fd = np.stack(
        [(s.f(x + h, y) - s.f(x - h, y)) / (2 * h), (s.f(x, y + h) - s.f(x, y - h)) / (2 * h)],
        axis=-1,
    )
    # Kinks (abs, min, max) have one-sided derivatives: skip points within h of one.
    near_kink = (np.abs(x - y) < 1e-3) | (np.abs(x - 2 * y) < 1e-3)
    np.testing.assert_allclose(g[~near_kink], fd[~near_kink], rtol=1e-5, atol=1e-5)


def test_a_formula_equal_to_a_preset_gives_the_same_trajectories():
    formula = optviz.Surface.from_expression("(1-x)^2 + 100*(y-x^2)^2", domain=((-2, 2), (-1, 3)))
    opts = [optviz.Optimizer("adam", lr=0.02), optviz.Optimizer("momentum", lr=1e-4)]
    a = optviz.simulate(formula, opts, starts=[(-1.5, 2.0)], steps=400)
    b = optviz.simulate("rosenbrock", opts, starts=[(-1.5, 2.0)], steps=400)
    np.testing.assert_allclose(a.xy, b.xy, rtol=1e-9, atol=1e-12)


def test_undefined_points_give_nan_and_mark_the_run_diverged():
    s = optviz.Surface.from_expression("log(x) + y^2", domain=((0.01, 3), (-1, 1)))
    assert math.isnan(s.f(-1.0, 0.0)) and math.isinf(s.f(0.0, 0.0))
    res = optviz.simulate(s, [optviz.Optimizer("gd", lr=0.5)], starts=[(0.2, 0.5)], steps=50)
    d = res.diverged[0, 0]
    assert d > 0 and np.isnan(res.xy[0, 0, d:]).all()


def test_bad_formulas_raise_expression_errors():
    with pytest.raises(optviz.ExpressionError, match="unknown name 'z'"):
        optviz.Surface.from_expression("x + z")
    with pytest.raises(ValueError, match="domain"):
        optviz.Surface.from_expression("x + y", domain=((1, 0), (0, 1)))


def test_formula_scenes_round_trip():
    s = optviz.Surface.from_expression(
        "x^2 + 3*y^2", domain=((-4, 4), (-2, 2)), starts=[(3, 1)], title="bowl"
    )
    scene = Scene(s, default_scene().entries, ((3.0, 1.0),), steps=100)
    again = Scene.from_json(scene.to_json())
    assert again.surface == s
    assert again.run_spec().surface.formula == "x^2 + 3*y^2"


def test_a_formula_typed_before_is_instant(monkeypatch):
    # Typed again: no differentiation, no module written or loaded, nothing compiled. The
    # latency (195 ms median, keystroke to paths drawn) is `python -m optviz.bench app`'s.
    text = "x^4 - x^2 + y^2 + 0.3*x"
    first = optviz.simulate(
        optviz.Surface.from_expression(text), [optviz.Optimizer("adam")], steps=10
    )

    def redone(*args, **kwargs):
        raise AssertionError("the formula's work was done again")

    monkeypatch.setattr(formula, "formula_source", redone)
    monkeypatch.setattr(formula, "_load", redone)
    with numba.core.event.install_recorder("numba:compile") as compiled:
        s = optviz.Surface.from_expression(text)
        again = optviz.simulate(s, [optviz.Optimizer("adam")], steps=10)
    assert compiled.buffer == []
    np.testing.assert_array_equal(again.xy, first.xy)


def test_sigmoid_and_softplus_do_not_overflow():
    s = optviz.Surface.from_expression("softplus(x) + sigmoid(y)", domain=((-2, 2), (-2, 2)))
    x = np.array([1000.0, -1000.0, 0.0])
    y = np.array([-1000.0, 1000.0, 0.0])
    np.testing.assert_allclose(s.f(x, y), [1000.0, 1.0, math.log(2) + 0.5])
    # softplus' = sigmoid, sigmoid' = sigmoid (1 - sigmoid): 0 or 1 far out, never NaN.
    np.testing.assert_allclose(s.grad(x, y), [[1.0, 0.0], [0.0, 0.0], [0.5, 0.25]])
    typed_out = optviz.Surface.from_expression("1/(1+exp(-x))^2 + log(1 + exp(3*y))")
    assert np.isfinite(typed_out.grad([-1000.0, 1000.0], [1000.0, -1000.0])).all()
    np.testing.assert_allclose(typed_out.f(-1000.0, 1000.0), 3000.0)


def test_differentiation_that_takes_sympy_seconds_is_refused_quickly():
    # Parses in milliseconds; sympy's derivative of it takes seconds without the bound.
    began = time.perf_counter()
    with pytest.raises(optviz.ExpressionError, match="too complex to differentiate"):
        optviz.Surface.from_expression("abs(sinh(sqrt(x + y)^63))")
    assert time.perf_counter() - began < 5.0  # no hang; sympy alone may take seconds
