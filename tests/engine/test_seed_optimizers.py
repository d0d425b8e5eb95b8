"""Optimizers defined by the seed notes, against direct NumPy transcriptions.

Each transcription below is written from the formula in OPTIMIZERS.md / the notes,
step by step in plain Python, independently of the engine's update bodies.
"""

import math

import numpy as np
import pytest

import optviz

STEPS = 300


def _run(surface, opt, start, steps=STEPS, **kw):
    res = optviz.simulate(surface, [opt], starts=[start], steps=steps, **kw)
    return res.xy[0, 0], res


def _transcribe(surface_name, start, steps, step_fn, state):
    s = optviz.Surface.preset(surface_name)
    x = np.array(start, dtype=float)
    out = [x.copy()]
    for t in range(1, steps + 1):
        x = step_fn(s, x, t, state)
        out.append(x.copy())
    return np.array(out)


def _grad(s, x):
    return s.grad(x[0], x[1])


def test_gd():
    def step(s, x, t, st):
        return x - 0.002 * _grad(s, x)

    ref = _transcribe("rosenbrock", (-1.5, 2.0), STEPS, step, {})
    got, _ = _run("rosenbrock", optviz.Optimizer("gd", lr=0.002), (-1.5, 2.0))
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_momentum_khapra():
    def step(s, x, t, st):
        st["u"] = 0.9 * st["u"] + 0.01 * _grad(s, x)
        return x - st["u"]

    ref = _transcribe("booth", (-8.0, -6.0), STEPS, step, {"u": np.zeros(2)})
    got, _ = _run("booth", optviz.Optimizer("momentum", lr=0.01, momentum=0.9), (-8.0, -6.0))
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


def test_momentum_equals_torch_sgd_with_momentum_in_exact_arithmetic():
    a, _ = _run("booth", optviz.Optimizer("momentum", lr=0.01, momentum=0.9), (-8.0, -6.0))
    b, _ = _run("booth", optviz.Optimizer("sgd", lr=0.01, momentum=0.9), (-8.0, -6.0))
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_nag_evaluates_the_gradient_at_the_look_ahead_point():
    def step(s, x, t, st):
        g = _grad(s, x - 0.9 * st["u"])
        st["g"].append(g)
        st["u"] = 0.9 * st["u"] + 0.01 * g
        return x - st["u"]

    st = {"u": np.zeros(2), "g": []}
    ref = _transcribe("booth", (-8.0, -6.0), STEPS, step, st)
    got, res = _run("booth", optviz.Optimizer("nag", lr=0.01, momentum=0.9), (-8.0, -6.0))
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.grad[0, 0], np.array(st["g"]), rtol=1e-12, atol=1e-12)


def test_line_search_keeps_the_lowest_candidate():
    etas = (0.1, 0.5, 1.0, 2.0, 10.0)
    chosen = []

    def step(s, x, t, st):
        g = _grad(s, x)
        best, best_loss, best_eta = None, math.inf, None
        for eta in etas:  # the notes' loop: strictly lower loss replaces
            cand = x - eta * g
            loss = s.f(cand[0], cand[1])
            if loss < best_loss:
                best, best_loss, best_eta = cand, loss, eta
        chosen.append(best_eta)
        return best

    ref = _transcribe("sigmoid_neuron", (-2.0, -2.0), 100, step, {})
    got, res = _run("sigmoid_neuron", optviz.Optimizer("line_search"), (-2.0, -2.0), steps=100)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(res.effective_lr[0, 0, :, 0], chosen)


def test_sign_descent():
    def step(s, x, t, st):
        return x - 0.01 * np.sign(_grad(s, x))

    ref = _transcribe("matyas", (8.0, -6.0), STEPS, step, {})
    got, _ = _run("matyas", optviz.Optimizer("sign", lr=0.01), (8.0, -6.0))
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_qhm():
    beta, nu, lr = 0.9, 0.7, 0.01

    def step(s, x, t, st):
        g = _grad(s, x)
        st["b"] = beta * st["b"] + (1 - beta) * g
        return x - lr * ((1 - nu) * g + nu * st["b"])

    ref = _transcribe("booth", (-8.0, -6.0), STEPS, step, {"b": np.zeros(2)})
    got, _ = _run("booth", optviz.Optimizer("qhm", lr=lr, momentum=beta, nu=nu), (-8.0, -6.0))
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-13)


def test_qhadam():
    b1, b2, nu1, nu2, eps, lr = 0.995, 0.999, 0.7, 1.0, 1e-8, 0.05

    def step(s, x, t, st):
        g = _grad(s, x)
        st["m"] = b1 * st["m"] + (1 - b1) * g
        st["v"] = b2 * st["v"] + (1 - b2) * g * g
        m_hat = st["m"] / (1 - b1**t)
        v_hat = st["v"] / (1 - b2**t)
        return x - lr * ((1 - nu1) * g + nu1 * m_hat) / (
            np.sqrt((1 - nu2) * g * g + nu2 * v_hat) + eps
        )

    ref = _transcribe("rosenbrock", (-1.5, 2.0), STEPS, step, {"m": np.zeros(2), "v": np.zeros(2)})
    got, _ = _run("rosenbrock", optviz.Optimizer("qhadam", lr=lr), (-1.5, 2.0))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("ng,ns", [(10, 1000), (1, 1), (5, 50)])
def test_window_adam(ng, ns):
    lr, eps = 0.02, 1e-8

    def step(s, x, t, st):
        g = _grad(s, x)
        st["m"] = (1 - 1 / min(t, ng)) * st["m"] + g / min(t, ng)
        st["s"] = (1 - 1 / min(t, ns)) * st["s"] + g * g / min(t, ns)
        return x - lr * st["m"] / (np.sqrt(st["s"]) + eps)

    ref = _transcribe("rosenbrock", (-1.5, 2.0), STEPS, step, {"m": np.zeros(2), "s": np.zeros(2)})
    opt = optviz.Optimizer("window_adam", lr=lr, window_g=ng, window_s=ns)
    got, _ = _run("rosenbrock", opt, (-1.5, 2.0))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


def test_sutskever_momentum_schedule():
    steps = 1200
    beta_max = 0.99

    def beta(t):
        return min(1 - 2 ** (-1 - math.log2(math.floor(t / 250) + 1)), beta_max)

    def step(s, x, t, st):
        st["u"] = beta(t) * st["u"] + 0.001 * _grad(s, x)
        return x - st["u"]

    ref = _transcribe("ill_conditioned", (-9.0, 3.0), steps, step, {"u": np.zeros(2)})
    opt = optviz.Optimizer("momentum", lr=0.001, momentum_schedule="sutskever", beta_max=beta_max)
    got, res = _run("ill_conditioned", opt, (-9.0, 3.0), steps=steps)
    np.testing.assert_allclose(res.momentum[0], [beta(t) for t in range(1, steps + 1)])
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_warmup_ramps_linearly_from_zero():
    sched = optviz.Schedule("cosine", T_max=100, warmup_steps=10)
    base = optviz.Schedule("cosine", T_max=100).values(0.1, 100)
    got = sched.values(0.1, 100)
    e = np.arange(100)
    np.testing.assert_allclose(got, base * np.minimum(1.0, e / 10))
    assert got[0] == 0.0 and got[10] == base[10]
