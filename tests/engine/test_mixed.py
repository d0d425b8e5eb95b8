"""Heterogeneous blocks (engine/mixed.py) give the same bits as blocks of one configuration."""

import numpy as np
import pytest

import optviz
from optviz.engine.mixed import execute_mixed, mixed_layout
from optviz.engine.run import RunSpec, execute


def _variants(name):
    """Three configurations of ``name`` that differ in every kind of per-run input:
    hyperparameter row, learning rate (one scheduled) and, where it has one, momentum."""
    info = optviz.OPTIMIZERS[name]
    base = optviz.Optimizer(name)
    out = [base]
    if "lr" in base.params:
        out.append(base.replace(lr=base.lr * 0.5, schedule=optviz.Schedule("cosine", T_max=40)))
        out.append(base.replace(lr=base.lr * 2.0))
    else:  # line_search: vary its etas
        out.append(base.replace(etas=(0.01, 0.2)))
        out.append(base.replace(etas=(0.05,)))
    if info.momentum_param is not None:
        out[2] = out[2].replace(**{info.momentum_param: 0.5})
        out.append(base.replace(momentum_schedule="sutskever", beta_max=0.95))
    for p in info.params:
        if p.kind == "pair":
            out[1] = out[1].replace(**{p.name: (0.8, 0.95)})
    return out


def test_every_optimizer_is_bit_identical_in_mixed_blocks():
    optimizers = [o for name in optviz.OPTIMIZER_NAMES for o in _variants(name)]
    spec = RunSpec.build(
        "himmelblau",
        optimizers,
        starts=[(-1.0, 2.0), (0.5, 0.5), (4.0, -4.0)],
        steps=40,
        noise=optviz.Noise(0.5, seed=7),
    )
    a = execute(spec, layout="blocks")
    b = execute(spec, layout="mixed")
    assert b.finish_step.shape == a.hit_step.shape
    for name in ("xy", "final_xy", "diverged", "hit_step", "lr", "momentum"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    live = np.isfinite(a.final_xy).all(-1)
    assert live.mean() > 0.9, "the comparison must cover live trajectories"
    # Blocks really were heterogeneous: several configurations share one opcode there.
    codes = np.array([o.info.opcode for o in optimizers])
    block_code, lo, hi, ri = mixed_layout(codes, 3, threads=1)
    assert any(len(set(ri[0, a_:b_])) > 1 for a_, b_ in zip(lo, hi))


def test_auto_layout_packs_small_configurations_and_keeps_results():
    ops = [optviz.Optimizer("sgd", lr=lr, momentum=m) for lr in (1e-3, 2e-3) for m in (0.0, 0.9)]
    spec = RunSpec.build("rosenbrock", ops, starts=[(-1.5, 2.0)], steps=30, record="final")
    auto = execute(spec)
    assert hasattr(auto, "finish_step"), "few starts per configuration: heterogeneous blocks"
    np.testing.assert_array_equal(auto.final_xy, execute(spec, layout="blocks").final_xy)
    with pytest.raises(ValueError, match="layout"):
        execute(spec, layout="diagonal")


@pytest.mark.parametrize("kind", ["distance", "loss", "grad_norm"])
def test_kernel_finish_step_matches_numpy_on_the_recorded_path(kind):
    from optviz.race import Finish, finish_mask

    s = optviz.Surface.preset("himmelblau")
    ops = [optviz.Optimizer("adam", lr=0.1), optviz.Optimizer("momentum", lr=0.01)]
    spec = RunSpec.build(s, ops, starts=[(0.0, 0.0), (-1.0, 1.0)], steps=200)
    threshold = {"distance": 1e-2, "loss": 1e-3, "grad_norm": 1e-2}[kind]
    res = execute_mixed(spec, (kind, threshold))
    mask = finish_mask(s, Finish(kind, threshold), res.xy)
    expected = np.where(mask.any(-1), mask.argmax(-1), -1)
    assert (expected > 0).all(), "every run should finish within the test's steps"
    np.testing.assert_array_equal(res.finish_step, expected)


def test_finish_at_the_start_is_step_zero_and_divergence_never_finishes():
    s = optviz.Surface.preset("himmelblau")
    spec = RunSpec.build(
        s, [optviz.Optimizer("gd", lr=10.0)], starts=[(3.0, 2.0), (0.0, 0.0)], steps=20
    )
    res = execute_mixed(spec, ("loss", 1e-9))
    assert res.finish_step[0, 0] == 0
    assert res.diverged[0, 1] > 0 and res.finish_step[0, 1] == -1


# --- surfaces of the data kernels (sculpted, height map, dataset) ---------------------


def _heightmap():
    """A smooth 24 x 32 height map with a pit and a ridge (interior gradients non-zero)."""
    ys, xs = np.mgrid[0:24, 0:32] / np.array([23.0, 31.0])[:, None, None]
    z = np.exp(-((xs - 0.6) ** 2 + (ys - 0.4) ** 2) / 0.05) * -1.0 + 0.5 * np.sin(3 * xs) * ys
    return optviz.Surface.from_heightmap(z, domain=((-3.0, 3.0), (-2.0, 2.0)), z_range=(0, 2))


_DATA_CASES = {
    "sculpted": (
        lambda: optviz.Surface.sculpted(
            "himmelblau", [(3.0, 2.0, -5.0, 0.4), (-2.8, 3.1, 8.0, 0.6), (0.0, 0.0, 20.0, 1.5)]
        ),
        [(-1.0, 2.0), (0.5, 0.5), (4.0, -4.0)],
        None,
    ),
    "heightmap": (_heightmap, [(-1.0, 1.0), (0.5, -0.5), (2.5, 1.5)], None),
    "dataset_full": (
        lambda: optviz.surfaces.dataset_surface("neuron_sparse"),
        [(-2.0, -2.0), (1.0, 0.5)],
        None,
    ),
    "dataset_minibatch": (
        lambda: optviz.surfaces.dataset_surface("neuron_sparse"),
        [(-2.0, -2.0), (1.0, 0.5)],
        optviz.Noise(batch_size=32, seed=3),
    ),
    "dataset_gaussian": (
        lambda: optviz.surfaces.dataset_surface("neuron_two_points"),
        [(-2.0, -2.0), (1.0, 0.5)],
        optviz.Noise(0.3, seed=5),
    ),
}


@pytest.mark.parametrize("case", list(_DATA_CASES))
def test_data_surfaces_are_bit_identical_in_mixed_blocks(case):
    make, starts, noise = _DATA_CASES[case]
    s = make()
    optimizers = [o for name in optviz.OPTIMIZER_NAMES for o in _variants(name)]
    spec = RunSpec.build(s, optimizers, starts=starts, steps=40, noise=noise)
    a = execute(spec, layout="blocks")
    b = execute(spec, layout="mixed")
    for name in ("xy", "final_xy", "diverged", "hit_step", "lr", "momentum"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    live = np.isfinite(a.final_xy).all(-1)
    assert live.mean() > 0.9, "the comparison must cover live trajectories"
    moved = np.abs(a.final_xy - a.xy[:, :, 0]).max(-1) > 1e-6
    assert moved[live].mean() > 0.9, "the surface must have pushed the runs"
    # The auto layout takes the heterogeneous blocks here too (few starts, many configs).
    assert hasattr(execute(spec), "finish_step")


def test_decoupled_adam_reads_per_example_squares_in_mixed_blocks():
    """On minibatches decoupled Adam differs from Window Adam (its second moment averages
    per-example squares), and both layouts agree on it, also next to other configurations."""
    s = optviz.surfaces.dataset_surface("neuron_sparse")
    ops = [
        optviz.Optimizer("decoupled_adam", lr=0.05),
        optviz.Optimizer("decoupled_adam", lr=0.1),
        optviz.Optimizer("window_adam", lr=0.05),
    ]
    noise = optviz.Noise(batch_size=16, seed=1)
    spec = RunSpec.build(s, ops, starts=[(-2.0, -2.0)], steps=60, noise=noise, record="final")
    a = execute(spec, layout="blocks")
    b = execute(spec, layout="mixed")
    np.testing.assert_array_equal(a.final_xy, b.final_xy)
    assert np.abs(b.final_xy[0] - b.final_xy[2]).max() > 1e-6


@pytest.mark.parametrize("noise", [None, optviz.Noise(batch_size=8, seed=2)])
def test_dataset_grad_norm_finish_uses_the_full_batch_gradient(noise):
    from optviz.race import Finish, finish_mask

    s = optviz.surfaces.dataset_surface("least_squares")
    ops = [optviz.Optimizer("adam", lr=0.05), optviz.Optimizer("momentum", lr=0.01)]
    spec = RunSpec.build(s, ops, starts=[(0.0, 0.0), (-1.0, 1.0)], steps=400, noise=noise)
    fin = Finish("grad_norm", 0.3)
    res = execute_mixed(spec, (fin.kind, fin.threshold))
    mask = finish_mask(s, fin, res.xy)  # Surface.grad: the full-batch gradient
    expected = np.where(mask.any(-1), mask.argmax(-1), -1)
    assert (expected > 0).all(), "every run should finish within the test's steps"
    np.testing.assert_array_equal(res.finish_step, expected)
