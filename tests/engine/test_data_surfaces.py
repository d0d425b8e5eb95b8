"""Sculpted, height-map and dataset surfaces; true minibatches; decoupled Adam."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import optviz
from optviz import Noise, Optimizer, Surface, simulate
from optviz.engine import codegen
from optviz.scene import Scene, default_scene
from optviz.surfaces import DATASET_SURFACES, composite, dataset_surface
from optviz.surfaces.datasets import linear, sparse_feature, two_points


def _fd_grad(surface: Surface, x: float, y: float, h: float = 1e-6) -> np.ndarray:
    gx = (surface.f(x + h, y) - surface.f(x - h, y)) / (2 * h)
    gy = (surface.f(x, y + h) - surface.f(x, y - h)) / (2 * h)
    return np.array([gx, gy])


def test_base_codes_match_the_generator():
    assert tuple(composite.BASE_CODES) == codegen.DATA_BASES
    from optviz.engine import _kernels_data

    assert _kernels_data.SURFACE_IDS == composite.BASE_CODES


# --- sculpted ------------------------------------------------------------------------
def test_sculpted_bowl_is_base_plus_gaussians():
    bumps = [(1.0, 0.5, 2.0, 0.5), (-1.0, -1.0, -0.7, 0.8)]
    s = Surface.sculpted("bowl", bumps)
    assert s.kind == "sculpted" and s.base.name == "bowl" and s.bumps == tuple(bumps)
    assert s.minima == () and s.f_min is None
    x, y = np.array([0.5, -2.0, 1.1]), np.array([0.2, 0.3, -0.4])
    want = 0.5 * (x**2 + y**2)
    for cx, cy, h, w in bumps:
        want = want + h * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * w * w))
    assert_allclose(s.f(x, y), want, rtol=1e-13)


@settings(max_examples=25, deadline=None)
@given(
    bumps=st.lists(
        st.tuples(st.floats(-2, 2), st.floats(-2, 2), st.floats(-3, 3), st.floats(0.2, 2.0)),
        min_size=1,
        max_size=6,
    ),
    x=st.floats(-2.5, 2.5),
    y=st.floats(-2.5, 2.5),
    base=st.sampled_from(["flat", "bowl", "himmelblau"]),
)
def test_sculpted_gradient_matches_finite_differences(bumps, x, y, base):
    s = Surface.sculpted(base, bumps)
    g = s.grad(x, y)
    assert_allclose(g, _fd_grad(s, x, y), rtol=1e-5, atol=1e-5 * (1 + np.abs(g).max()))


def test_sculpting_a_formula_and_resculpting_appends_bumps():
    f = Surface.from_expression("sin(x)*cos(y)")
    s = Surface.sculpted(f, [(0.0, 0.0, 1.0, 0.5)])
    assert s.base.kind == "expression"
    assert_allclose(s.f(0.3, 0.2), math.sin(0.3) * math.cos(0.2) + math.exp(-0.13 / 0.5))
    s2 = Surface.sculpted(s, [(1.0, 1.0, -1.0, 0.3)])
    assert s2.base == f and len(s2.bumps) == 2
    assert s2.with_bumps([]).f(0.3, 0.2) == pytest.approx(f.f(0.3, 0.2))


def test_sculpted_preset_keeps_the_preset_row():
    base = Surface.preset("ill_conditioned", kappa=10.0)
    s = Surface.sculpted(base, [(5.0, 5.0, 1.0, 0.1)])  # far away: no effect at the origin
    assert_allclose(s.f([0.3, 1.0], [0.2, -1.0]), base.f([0.3, 1.0], [0.2, -1.0]), rtol=1e-15)


def test_every_preset_sculpts_to_itself_without_bumps():
    rng = np.random.default_rng(8)
    for name in optviz.PRESET_NAMES:
        base = Surface.preset(name)
        s = Surface.sculpted(base, [])
        (x0, x1), (y0, y1) = base.view
        x, y = rng.uniform(x0, x1, 5), rng.uniform(y0, y1, 5)
        assert_allclose(s.f(x, y), base.f(x, y), rtol=1e-14, err_msg=name)
        assert_allclose(s.grad(x, y), base.grad(x, y), rtol=1e-14, atol=1e-300, err_msg=name)


def test_many_bumps_run():
    rng = np.random.default_rng(0)
    bumps = np.column_stack(
        [rng.uniform(-3, 3, (2000, 2)), rng.normal(0, 0.1, 2000), np.full(2000, 0.3)]
    )
    s = Surface.sculpted("bowl", bumps)
    res = simulate(s, [Optimizer("adam", lr=0.05)], starts=[(2.0, 2.0)], steps=200)
    assert np.isfinite(res.xy).all()


@pytest.mark.parametrize(
    "bumps, message",
    [
        ([(0, 0, 1, 0)], "width"),
        ([(0, 0, float("nan"), 1)], "finite"),
        ([(0, 0, 1)], "not \\(cx, cy, height, width\\)"),
        ("nope", "not"),
        ([(0, 0, 1, 1)] * (composite.MAX_BUMPS + 1), "too many"),
    ],
)
def test_bad_bumps_are_refused(bumps, message):
    with pytest.raises(ValueError, match=message):
        Surface.sculpted("flat", bumps)


def test_bad_bases_are_refused():
    with pytest.raises(ValueError, match="unknown surface"):
        Surface.sculpted("mountain", [])
    with pytest.raises(ValueError, match="cannot be sculpted"):
        Surface.sculpted(dataset_surface("least_squares"), [])
    with pytest.raises(ValueError, match="with_bumps needs"):
        Surface.preset("booth").with_bumps([])


# --- height maps ---------------------------------------------------------------------
def _catmull_rom(p: np.ndarray, u: float) -> float:
    """1-D Catmull-Rom through samples p at grid coordinate u (edge samples repeated)."""
    i = min(int(u), len(p) - 2)
    s = u - i
    q = [p[min(max(j, 0), len(p) - 1)] for j in range(i - 1, i + 3)]
    return 0.5 * (
        2 * q[1]
        + (-q[0] + q[2]) * s
        + (2 * q[0] - 5 * q[1] + 4 * q[2] - q[3]) * s * s
        + (-q[0] + 3 * q[1] - 3 * q[2] + q[3]) * s**3
    )


def test_heightmap_interpolates_the_samples_with_row_0_on_top():
    rng = np.random.default_rng(1)
    a = rng.random((6, 9))
    s = Surface.from_heightmap(a, ((0.0, 8.0), (0.0, 5.0)), z_range=(-1.0, 3.0))
    assert s.kind == "heightmap"
    # Sample (row i, column j) sits at x = j, y = 5 - i.
    ii, jj = np.meshgrid(np.arange(6), np.arange(9), indexing="ij")
    assert_allclose(s.f(jj, 5.0 - ii), -1.0 + 4.0 * a, rtol=1e-13, atol=1e-13)
    # Separable: along a row it is the 1-D Catmull-Rom spline of that row.
    for u in (0.0, 0.3, 3.5, 7.99, 8.0):
        assert s.f(u, 5.0 - 2) == pytest.approx(-1.0 + 4.0 * _catmull_rom(a[2], u), abs=1e-13)


@settings(max_examples=30, deadline=None)
@given(x=st.floats(-0.95, 0.95), y=st.floats(-0.95, 0.95), seed=st.integers(0, 5))
def test_heightmap_gradient_matches_finite_differences(x, y, seed):
    a = np.random.default_rng(seed).random((7, 5))
    s = Surface.from_heightmap(a, ((-1.0, 1.0), (-1.0, 1.0)), z_range=(0.0, 2.0))
    assert_allclose(s.grad(x, y), _fd_grad(s, x, y, 1e-7), rtol=1e-5, atol=1e-5)


def test_heightmap_gradient_is_continuous_across_cells():
    a = np.random.default_rng(2).random((5, 5))
    s = Surface.from_heightmap(a, ((0.0, 4.0), (0.0, 4.0)))
    for node in (1.0, 2.0, 3.0):
        left, right = s.grad(node - 1e-9, 1.7), s.grad(node + 1e-9, 1.7)
        assert_allclose(left, right, atol=1e-6)


def test_heightmap_clamps_outside_the_domain():
    a = np.random.default_rng(3).random((5, 6))
    s = Surface.from_heightmap(a, ((0.0, 1.0), (0.0, 1.0)))
    assert s.f(-5.0, 0.4) == s.f(0.0, 0.4)
    assert s.grad(-5.0, 0.4)[0] == 0.0
    assert s.grad(0.5, 9.0)[1] == 0.0 and s.grad(0.5, 9.0)[0] == s.grad(0.5, 1.0)[0]
    assert np.isnan(s.f(np.nan, 0.5))


@pytest.mark.parametrize("mode, depth", [("L", 255), ("I;16", 65535)])
def test_heightmap_from_png(tmp_path, mode, depth):
    from PIL import Image

    a = (np.random.default_rng(4).random((8, 10)) * depth).astype(
        np.uint8 if depth == 255 else np.uint16
    )
    path = tmp_path / "map.png"
    img = Image.fromarray(a)
    assert img.mode == mode
    img.save(path)
    s = Surface.from_heightmap(path, ((0.0, 9.0), (0.0, 7.0)), z_range=(0.0, 10.0))
    assert s.samples.dtype == a.dtype and (s.samples == a).all()
    assert s.f(0.0, 7.0) == pytest.approx(10.0 * a[0, 0] / depth)  # top-left pixel
    assert s.f(9.0, 0.0) == pytest.approx(10.0 * a[-1, -1] / depth)


def test_heightmap_from_rgb_uses_luminance(tmp_path):
    from PIL import Image

    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    rgb[..., 1] = 200
    Image.fromarray(rgb).save(tmp_path / "c.png")
    s = Surface.from_heightmap(tmp_path / "c.png", ((0, 1), (0, 1)))
    want = Image.fromarray(rgb).convert("L").getpixel((0, 0)) / 255
    assert s.f(0.5, 0.5) == pytest.approx(want)


@pytest.mark.parametrize(
    "source, z_range, message",
    [
        (np.zeros((3, 8)), (0, 1), "4x4"),
        (np.zeros((4, 2049)), (0, 1), "2048"),
        (np.zeros(16), (0, 1), "2-D"),
        (np.full((4, 4), np.inf), (0, 1), "finite"),
        (np.zeros((4, 4)), (1, 1), "low < high"),
        (np.zeros((4, 4)), (0, np.nan), "low < high"),
        ([["a"] * 4] * 4, (0, 1), "2-D array of numbers"),
    ],
)
def test_bad_heightmaps_are_refused(source, z_range, message):
    with pytest.raises(ValueError, match=message):
        Surface.from_heightmap(source, ((0, 1), (0, 1)), z_range)


def test_unreadable_heightmap_files(tmp_path):
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot read"):
        Surface.from_heightmap(tmp_path / "junk.png", ((0, 1), (0, 1)))
    with pytest.raises(ValueError, match="no such file"):
        Surface.from_heightmap(tmp_path / "missing.png", ((0, 1), (0, 1)))


# --- datasets ------------------------------------------------------------------------
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _per_example_grads(model, w, b, x, y):
    """The notes' grad_w, grad_b per example (float64[N] each)."""
    if model == "sigmoid":
        fx = _sigmoid(w * x + b)
        c = (fx - y) * fx * (1 - fx)
    else:
        c = w * x + b - y
    return c * x, c


def test_dataset_loss_and_gradient_are_means_over_examples():
    x, y = sparse_feature(n=50, seed=3)
    s = Surface.dataset("sigmoid", x, y)
    w, b = 0.7, -0.3
    assert s.f(w, b) == pytest.approx(np.mean(0.5 * (_sigmoid(w * x + b) - y) ** 2), rel=1e-13)
    gw, gb = _per_example_grads("sigmoid", w, b, x, y)
    assert_allclose(s.grad(w, b), [gw.mean(), gb.mean()], rtol=1e-12)
    assert s.data_x.flags.writeable is False and s.model == "sigmoid"


def test_two_points_is_half_the_preset_and_reproduces_the_notes():
    s = dataset_surface("neuron_two_points")
    preset = Surface.preset("sigmoid_neuron")
    w, b = np.array([-2.0, 0.5, 3.0]), np.array([-2.0, 1.0, -4.0])
    assert_allclose(s.f(w, b), 0.5 * preset.f(w, b), rtol=1e-13)
    assert_allclose(s.minima, preset.minima, rtol=1e-12)
    assert s.starts == ((-2.0, -2.0),)
    # The notes' do_gradient_descent: w, b, eta = -2, -2, 1.0, summing the two gradients.
    X, Y = two_points()
    w, b, path = -2.0, -2.0, []
    for _ in range(100):
        dw = db = 0.0
        for xi, yi in zip(X, Y):
            fx = 1 / (1 + np.exp(-(w * xi + b)))
            dw += (fx - yi) * fx * (1 - fx) * xi
            db += (fx - yi) * fx * (1 - fx)
        w, b = w - 1.0 * dw, b - 1.0 * db
        path.append((w, b))
    res = simulate(s, Optimizer("gd", lr=2.0), steps=100)  # mean = sum / 2
    assert_allclose(res.xy[0, 0, 1:], path, rtol=1e-12)


def test_least_squares_minimum_is_the_regression_line():
    x, y = linear(n=40, slope=1.5, intercept=0.5, noise=0.1, seed=2)
    s = Surface.dataset("least_squares", x, y)
    (w, b) = s.minima[0]
    assert_allclose((w, b), np.polyfit(x, y, 1), rtol=1e-10)
    assert_allclose(s.grad(w, b), [0.0, 0.0], atol=1e-12)
    res = simulate(s, Optimizer("gd", lr=0.3), steps=300)
    assert_allclose(res.final_xy[0, 0], (w, b), atol=1e-6)


def test_dataset_surfaces_are_listed_and_named():
    names = [name for name, _, _ in DATASET_SURFACES]
    assert names == list(optviz.surfaces.DATASET_NAMES)
    assert not set(names) & set(optviz.PRESET_NAMES)
    for name, title, factory in DATASET_SURFACES:
        s = factory()
        assert s.name == name and s.title == title and s.kind == "dataset"
    x, y = sparse_feature()
    assert len(x) == 500 and np.mean(x == 0) == pytest.approx(0.8)


def test_with_data_keeps_the_surface_settings():
    s = dataset_surface("neuron_two_points")
    t = s.with_data([0.5, 2.5, 1.0], [0.2, 0.9, 0.5])
    assert t.name == s.name and t.view == s.view and len(t.data_x) == 3


@pytest.mark.parametrize(
    "model, x, y, message",
    [
        ("tanh", [1.0], [1.0], "unknown dataset model"),
        ("sigmoid", [], [], "1 to"),
        ("sigmoid", [1.0, 2.0], [1.0], "equal length"),
        ("sigmoid", [[1.0]], [[1.0]], "1-D"),
        ("sigmoid", [np.nan], [0.0], "finite"),
        ("least_squares", ["a"], [0.0], "numbers"),
        ("least_squares", np.zeros(100_001), np.zeros(100_001), "1 to 100000"),
    ],
)
def test_bad_datasets_are_refused(model, x, y, message):
    with pytest.raises(ValueError, match=message):
        Surface.dataset(model, x, y)


# --- minibatches ---------------------------------------------------------------------
def _batches(n, batch, seed, steps):
    """The documented sampling order, transcribed independently."""
    per_epoch = n // batch
    rows = []
    e = 0
    while len(rows) < steps:
        order = np.random.default_rng([seed, e]).permutation(n)
        rows += [order[k * batch : (k + 1) * batch] for k in range(per_epoch)]
        e += 1
    return rows[:steps]


def _notes_minibatch(model, x, y, start, steps, batch, seed, update):
    """The notes' minibatch loop (accumulate grad_w, grad_b over a minibatch, then
    update; the partial last batch of an epoch is dropped), averaging instead of summing
    and visiting each epoch in the documented shuffled order. ``update(t, w, b, dw, db,
    sq_w, sq_b)`` returns the new (w, b)."""
    w, b = start
    path = [(w, b)]
    for t, idx in enumerate(_batches(len(x), batch, seed, steps), start=1):
        dw = db = sq_w = sq_b = 0.0
        for i in idx:
            gw, gb = _per_example_grads(model, w, b, x[i], y[i])
            dw += gw
            db += gb
            sq_w += gw * gw
            sq_b += gb * gb
        k = len(idx)
        w, b = update(t, w, b, dw / k, db / k, sq_w / k, sq_b / k)
        path.append((w, b))
    return np.array(path)


def _sgd(lr):
    return lambda t, w, b, dw, db, *_: (w - lr * dw, b - lr * db)


def _momentum(lr, gamma):
    u = [0.0, 0.0]

    def step(t, w, b, dw, db, *_):
        u[0] = gamma * u[0] + lr * dw
        u[1] = gamma * u[1] + lr * db
        return w - u[0], b - u[1]

    return step


def _adam(lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = [0.0, 0.0], [0.0, 0.0]

    def step(t, w, b, dw, db, *_):
        out = []
        for k, (p, g) in enumerate(((w, dw), (b, db))):
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g * g
            m_hat, v_hat = m[k] / (1 - beta1**t), v[k] / (1 - beta2**t)
            out.append(p - lr * m_hat / (math.sqrt(v_hat) + eps))
        return tuple(out)

    return step


def _window_adam(lr, ng, ns, eps, per_example):
    """McAllester's simplified Adam; with ``per_example`` its decoupled version (the
    second moment averages (1/B) sum_b g_b^2)."""
    m, s = [0.0, 0.0], [0.0, 0.0]

    def step(t, w, b, dw, db, sq_w, sq_b):
        out = []
        for k, (p, g, sq) in enumerate(((w, dw, sq_w), (b, db, sq_b))):
            a, c = min(t, ng), min(t, ns)
            m[k] = (1 - 1 / a) * m[k] + g / a
            s[k] = (1 - 1 / c) * s[k] + (sq if per_example else g * g) / c
            out.append(p - lr * m[k] / (math.sqrt(s[k]) + eps))
        return tuple(out)

    return step


@pytest.mark.parametrize(
    "optimizer, update",
    [
        (Optimizer("sgd", lr=0.5), _sgd(0.5)),
        (Optimizer("momentum", lr=0.2, momentum=0.9), _momentum(0.2, 0.9)),
        (Optimizer("adam", lr=0.05), _adam(0.05)),
        (
            Optimizer("decoupled_adam", lr=0.05, window_g=5, window_s=20, eps=1e-6),
            _window_adam(0.05, 5, 20, 1e-6, per_example=True),
        ),
    ],
    ids=["sgd", "momentum", "adam", "decoupled_adam"],
)
def test_minibatch_trajectories_match_the_notes_loop(optimizer, update):
    x, y = sparse_feature(n=103, seed=5)  # 103 % 10 = 3 examples dropped per epoch
    s = Surface.dataset("sigmoid", x, y)
    steps, batch, seed = 60, 10, 42
    res = simulate(
        s, optimizer, starts=[(-2.0, -2.0)], steps=steps, noise=Noise(batch_size=batch, seed=seed)
    )
    want = _notes_minibatch("sigmoid", x, y, (-2.0, -2.0), steps, batch, seed, update)
    assert_allclose(res.xy[0, 0], want, rtol=1e-10, atol=1e-12)


def test_minibatches_are_shared_across_runs_and_replay_exactly():
    s = dataset_surface("least_squares")
    opts = [Optimizer("sgd", lr=0.1), Optimizer("sgd", lr=0.1)]
    res = simulate(
        s, opts, starts=[(0.0, 0.0), (1.0, 1.0)], steps=40, noise=Noise(batch_size=8, seed=3)
    )
    assert_allclose(res.xy[0], res.xy[1], rtol=0)  # same optimizer, same batches
    # The recorded gradient (replayed) is the minibatch mean at each step.
    x, y = s.data_x, s.data_y
    batches = _batches(len(x), 8, 3, 40)
    for t in (1, 17, 40):
        w, b = res.xy[0, 1, t - 1]
        gw, gb = _per_example_grads("least_squares", w, b, x[batches[t - 1]], y[batches[t - 1]])
        assert_allclose(res.grad[0, 1, t - 1], [gw.mean(), gb.mean()], rtol=1e-12)
    # Chunked execution (progress callback) gives the same bits.
    spec = optviz.RunSpec.build(s, opts, [(0.0, 0.0)], 40, Noise(batch_size=8, seed=3))
    assert_allclose(optviz.execute(spec, progress=lambda *a: None).xy, res.xy[:, :1], rtol=0)


def test_full_batch_is_the_dataset_mean_gradient():
    s = dataset_surface("neuron_sparse")
    full = simulate(s, Optimizer("sgd", lr=0.5), steps=30)
    same = simulate(s, Optimizer("sgd", lr=0.5), steps=30, noise=Noise(batch_size=None))
    assert_allclose(full.xy, same.xy, rtol=0)
    w, b = full.xy[0, 0, 10]
    assert_allclose(full.grad[0, 0, 10], s.grad(w, b), rtol=1e-13)


def test_decoupled_adam_is_window_adam_without_per_example_gradients():
    kw = {"lr": 0.05, "window_g": 5, "window_s": 50}
    opts = [Optimizer("window_adam", **kw), Optimizer("decoupled_adam", **kw)]
    for surface, noise in (
        ("rosenbrock", None),
        ("rosenbrock", Noise(std=0.5, seed=1)),
        (Surface.from_expression("x^2 + 3*y^2"), None),
        (Surface.sculpted("bowl", [(0.5, 0.5, 1.0, 0.4)]), None),
        (dataset_surface("neuron_two_points"), Noise(std=0.1, seed=2)),  # noisy: g*g
    ):
        res = simulate(surface, opts, starts=[(-1.0, 1.5)], steps=80, noise=noise)
        assert_allclose(res.xy[0], res.xy[1], rtol=0)
    # With per-example gradients (full batch of a dataset) they differ.
    res = simulate(dataset_surface("neuron_sparse"), opts, steps=80)
    assert not np.allclose(res.xy[0], res.xy[1])


def test_decoupled_adam_full_batch_matches_its_formula():
    s = dataset_surface("neuron_two_points")
    opt = Optimizer("decoupled_adam", lr=0.1, window_g=3, window_s=10)
    res = simulate(s, opt, steps=25)
    x, y = s.data_x, s.data_y
    update = _window_adam(0.1, 3, 10, 1e-8, per_example=True)
    w, b = -2.0, -2.0
    for t in range(1, 26):
        gw, gb = _per_example_grads("sigmoid", w, b, x, y)
        w, b = update(t, w, b, gw.mean(), gb.mean(), (gw * gw).mean(), (gb * gb).mean())
        assert_allclose(res.xy[0, 0, t], (w, b), rtol=1e-12)


def test_divergence_is_marked_on_every_kind():
    s = dataset_surface("least_squares")
    res = simulate(s, Optimizer("gd", lr=50.0), steps=200, noise=Noise(batch_size=10, seed=0))
    assert res.diverged[0, 0] > 0 and np.isnan(res.final_xy).all()
    sculpted = Surface.sculpted("bowl", [(0.0, 0.0, 1.0, 0.5)])
    res = simulate(sculpted, Optimizer("gd", lr=1e10), starts=[(1.0, 1.0)], steps=100)
    assert res.diverged[0, 0] > 0 and np.isnan(res.loss[0, 0, -1])
    assert np.isnan(sculpted.f(np.nan, 0.0)) and np.isnan(sculpted.grad(np.nan, 0.0)[0])


@pytest.mark.parametrize(
    "surface, noise, steps, message",
    [
        ("rosenbrock", Noise(batch_size=4), 10, "has no examples"),
        ("neuron_two_points", Noise(batch_size=3), 10, "larger than the dataset"),
        ("neuron_two_points", Noise(std=1.0, batch_size=2), 10, "leave std at 0"),
        ("neuron_sparse", Noise(batch_size=500), 2**25, "too many minibatch indices"),
    ],
)
def test_minibatch_validation(surface, noise, steps, message):
    if surface in optviz.surfaces.DATASET_NAMES:
        surface = dataset_surface(surface)
    with pytest.raises(ValueError, match=message):
        optviz.RunSpec.build(surface, Optimizer("sgd"), steps=steps, noise=noise)


def test_gaussian_batch_noise_still_works_on_presets():
    spec = optviz.RunSpec.build("booth", Optimizer("sgd"), noise=Noise(std=1.0, batch_size=4))
    assert spec.noise.effective_std == 0.5


# --- scenes --------------------------------------------------------------------------
def _scene_round_trip(surface: Surface, tmp_path) -> Surface:
    scene = Scene(surface, default_scene().entries, surface.starts, 20, Noise(batch_size=2))
    path = tmp_path / "s.json"
    scene.save(path)
    loaded = Scene.load(path)
    res_a = simulate(surface, Optimizer("adam", lr=0.05), steps=20)
    res_b = simulate(loaded.surface, Optimizer("adam", lr=0.05), steps=20)
    assert_allclose(res_a.xy, res_b.xy, rtol=0)
    return loaded.surface


def test_scene_round_trips(tmp_path):
    from PIL import Image

    img = (np.random.default_rng(6).random((12, 16)) * 255).astype(np.uint8)
    Image.fromarray(img).save(tmp_path / "h.png")
    surfaces = [
        Surface.sculpted("bowl", [(0.5, 0.5, 1.0, 0.4), (-1.0, 0.0, -0.5, 0.7)]),
        Surface.sculpted(Surface.preset("ill_conditioned", kappa=7.0), [(0.1, 0.1, 1, 1)]),
        Surface.sculpted(Surface.from_expression("x^2 - y^2"), [(0, 0, 1.0, 0.5)]),
        Surface.from_heightmap(tmp_path / "h.png", ((-2, 2), (-1, 1)), (0.0, 3.0)),
        Surface.from_heightmap(np.random.default_rng(7).random((5, 6)), ((0, 1), (0, 1))),
        Surface.sculpted(Surface.from_heightmap(img, ((0, 1), (0, 1))), [(0.5, 0.5, 1, 0.1)]),
        dataset_surface("neuron_sparse"),
        dataset_surface("least_squares").with_data([0.0, 1.0, 2.0], [1.0, 2.0, 2.5]),
    ]
    for s in surfaces:
        loaded = _scene_round_trip(s, tmp_path)
        assert loaded == s and loaded.kind == s.kind
    # A dataset scene keeps its minibatch noise; elsewhere a lone batch size is dropped.
    scene = Scene(surfaces[-2], default_scene().entries, ((0.0, 0.0),), 20, Noise(batch_size=5))
    assert scene.run_spec().noise.batch_size == 5
    assert (
        Scene(surfaces[0], scene.entries, ((0.0, 0.0),), 20, Noise(batch_size=5)).run_spec().noise
        is None
    )
    stored = surfaces[3].to_dict()["grid"]
    assert len(stored["data"]) < img.nbytes * 2  # uint8 samples, compressed


@pytest.mark.parametrize(
    "d, message",
    [
        ({"kind": "sculpted", "bumps": []}, "needs a 'base'"),
        ({"kind": "sculpted", "base": {"kind": "basic", "name": "cube"}}, "unknown base"),
        ({"kind": "heightmap", "grid": "x", "domain": [[0, 1], [0, 1]]}, "not an encoded"),
        ({"kind": "dataset", "model": "sigmoid", "x": [1], "y": "a"}, "equal length|numbers"),
    ],
)
def test_bad_scene_surfaces(d, message):
    with pytest.raises(ValueError, match=message):
        Surface.from_dict(d)


def test_tampered_heightmap_grid_is_refused():
    d = Surface.from_heightmap(np.zeros((4, 4)), ((0, 1), (0, 1))).to_dict()
    other = composite.encode_array(np.ones((4, 4)))
    d["grid"]["data"] = other["data"]
    with pytest.raises(ValueError, match="checksum"):
        Surface.from_dict(d)


@pytest.mark.parametrize(
    "x, y, which",
    [([0.5, 1e300], [0.0, 1.0], "x"), ([0.5, 1.0], [0.0, -1e300], "y"), ([2e6], [0.0], "x")],
)
def test_datasets_beyond_the_bound_are_refused(x, y, which):
    from optviz.surfaces.composite import MAX_DATA_ABS

    for model in ("sigmoid", "least_squares"):
        with pytest.raises(ValueError, match=f"dataset {which} .*±{MAX_DATA_ABS:,.0f}"):
            Surface.dataset(model, x, y)
    s = dataset_surface("neuron_two_points")
    with pytest.raises(ValueError, match="move it closer or rescale"):
        s.with_data(x, y)
    edge = Surface.dataset("least_squares", [-MAX_DATA_ABS, MAX_DATA_ABS], [MAX_DATA_ABS, 0.0])
    assert edge.data_x.tolist() == [-MAX_DATA_ABS, MAX_DATA_ABS]


# --- hostile inputs (QA) ---------------------------------------------------------------
def _png_header_only(path, width: int, height: int) -> None:
    """A PNG that declares width x height 8-bit grey pixels and holds none of them."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [3000, 10_000, 20_000])
def test_oversized_heightmap_images_are_refused_before_decoding(tmp_path, side):
    # 10^4 squared trips Pillow's decompression-bomb warning, 2x10^4 squared its error.
    _png_header_only(tmp_path / "big.png", side, side)
    with pytest.raises(ValueError, match="2048x2048"):
        Surface.from_heightmap(tmp_path / "big.png", ((0, 1), (0, 1)))


@pytest.mark.parametrize(
    "source, message",
    [
        (np.broadcast_to(np.uint8(0), (100_000, 100_000)), "100000x100000"),  # no 80 GB copy
        (np.eye(4) * 1j, "complex128"),
        (np.where(np.eye(4) > 0, 1.7e308, -1.7e308), "overflow"),
    ],
)
def test_hostile_heightmap_arrays_are_refused(source, message):
    with pytest.raises(ValueError, match=message):
        Surface.from_heightmap(source, ((0, 1), (0, 1)))


def test_heightmap_z_range_that_overflows_is_refused():
    with pytest.raises(ValueError, match="overflow"):
        Surface.from_heightmap(np.ones((4, 4)), ((0, 1), (0, 1)), z_range=(-1e308, 1e308))


def test_a_huge_dataset_is_refused_without_a_copy():
    huge = np.broadcast_to(0.0, (10**11,))  # 800 GB as float64
    with pytest.raises(ValueError, match="1 to 100000 examples, got 100000000000"):
        Surface.dataset("least_squares", huge, huge)


@pytest.mark.parametrize(
    "bumps, message",
    [
        ([(0, 0, 1, 1e-200)], "width=1e-200 must be in"),  # 1/width^2 overflows
        ([(0, 0, 1, 1e200)], "width=1e\\+200 must be in"),  # 1/width^2 underflows to 0
        ([("0", "0", "1", "1")], "cx='0' must be a number"),
        (np.ones((2, 4, 1)), "must be a number"),
    ],
)
def test_bumps_the_kernel_cannot_use_are_refused(bumps, message):
    with pytest.raises(ValueError, match=message):
        Surface.sculpted("bowl", bumps)


def _make(kind: str, **kw):
    if kind == "expression":
        return Surface.from_expression("x^2 + y^2", **kw)
    if kind == "heightmap":
        return Surface.from_heightmap(np.zeros((4, 4)), ((0, 1), (0, 1)), **kw)
    return composite.dataset("sigmoid", [0.5, 2.5], [0.2, 0.9], **kw)  # as scenes load it


@pytest.mark.parametrize("kind", ["expression", "heightmap", "dataset"])
@pytest.mark.parametrize(
    "kw, message",
    [
        ({"starts": [(np.nan, 0.0)]}, "starts must be finite"),
        ({"starts": [(1.0, 2.0, 3.0)]}, "starts must be float\\[S, 2\\]"),
        ({"starts": 5}, "starts must be float\\[S, 2\\]"),
        ({"starts": "ab"}, "starts must be points"),
        ({"title": 5}, "title=5 must be a string"),
    ],
)
def test_default_starts_and_titles_are_checked(kind, kw, message):
    with pytest.raises(ValueError, match=message):
        _make(kind, **kw)


@pytest.mark.parametrize("kind", ["expression", "heightmap", "dataset"])
def test_default_starts_accept_arrays_and_one_point(kind):
    assert _make(kind, starts=np.array([[0.5, 0.25]])).starts == ((0.5, 0.25),)
    assert _make(kind, starts=(0.5, 0.25)).starts == ((0.5, 0.25),)


def test_expression_log_scale_must_be_a_bool():
    with pytest.raises(ValueError, match="log_scale='false' must be True or False"):
        Surface.from_dict({"kind": "expression", "formula": "x", "log_scale": "false"})


@pytest.mark.parametrize(
    "surface",
    [
        {"kind": "preset", "name": ["booth"]},  # unhashable: was a TypeError
        {"kind": "expression", "formula": "x", "starts": 5},  # was a TypeError
        {"kind": "dataset", "model": "sigmoid", "x": [1], "y": [1], "starts": 5},
    ],
)
def test_hostile_scene_surfaces_are_scene_errors(surface):
    from optviz.scene import SceneError

    d = default_scene().to_dict()
    d["surface"] = surface
    with pytest.raises(SceneError):
        Scene.from_dict(d)


def test_a_scene_nested_too_deeply_is_a_scene_error():
    import json

    from optviz.scene import SceneError

    text = '{"kind": "basic", "name": "bowl"}'
    for _ in range(5000):  # json.loads (and then from_dict) would recurse past the limit
        text = '{"kind": "sculpted", "bumps": [], "base": ' + text + "}"
    d = default_scene().to_dict()
    d["surface"] = "NESTED"
    with pytest.raises(SceneError, match="nested too deeply"):
        Scene.from_json(json.dumps(d).replace('"NESTED"', text))
