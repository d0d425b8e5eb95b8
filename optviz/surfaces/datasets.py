"""The lecture notes' datasets, and the named dataset surfaces the app's picker lists.

Each generator returns ``(x, y)``, two float64[N] arrays, for ``Surface.dataset``.
``DATASET_SURFACES`` lists ``(name, title, factory)``; ``factory()`` builds the surface
(named ``name``), and ``dataset_surface(name)`` looks one up.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .surface import Surface


def two_points() -> tuple[np.ndarray, np.ndarray]:
    """The notes' two examples X = [0.5, 2.5], Y = [0.2, 0.9] (Khapra, module 5)."""
    return np.array([0.5, 2.5]), np.array([0.2, 0.9])


def sparse_feature(
    n: int = 500, zero_fraction: float = 0.8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The notes' AdaGrad demo: n random pairs, then x set to 0 in about 80% of them.

    x ~ U(-2, 2) and y = sigmoid(1.5 x - 0.5) + N(0, 0.05^2), clipped to [0, 1], drawn
    with ``np.random.default_rng(seed)``; then ``round(zero_fraction * n)`` examples,
    chosen at random, get x = 0 (keeping their y). With x = 0 an example's gradient
    in w is 0, so w is updated only by the few others: the sparse feature.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 1 <= n <= 100_000:
        raise ValueError(f"n={n!r} must be an integer in [1, 100000]")
    if not (isinstance(zero_fraction, (int, float)) and 0.0 <= zero_fraction <= 1.0):
        raise ValueError(f"zero_fraction={zero_fraction!r} must be in [0, 1]")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    y = np.clip(1.0 / (1.0 + np.exp(-(1.5 * x - 0.5))) + rng.normal(0.0, 0.05, n), 0.0, 1.0)
    zeroed = rng.choice(n, size=round(zero_fraction * n), replace=False)
    x[zeroed] = 0.0
    return x, y


def linear(
    n: int = 100, slope: float = 2.0, intercept: float = -1.0, noise: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """y = slope*x + intercept + N(0, noise^2) at x ~ U(-2, 2), from ``default_rng(seed)``."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 1 <= n <= 100_000:
        raise ValueError(f"n={n!r} must be an integer in [1, 100000]")
    if not (isinstance(noise, (int, float)) and np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise={noise!r} must be a finite number >= 0")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    return x, slope * x + intercept + rng.normal(0.0, float(noise), n)


def _neuron_two_points() -> Surface:
    return Surface.dataset(
        "sigmoid",
        *two_points(),
        title="Sigmoid neuron, two points (data)",
        name="neuron_two_points",
    )


def _neuron_sparse() -> Surface:
    return Surface.dataset(
        "sigmoid",
        *sparse_feature(),
        title="Sigmoid neuron, 500 points, sparse x",
        name="neuron_sparse",
    )


def _least_squares() -> Surface:
    return Surface.dataset(
        "least_squares", *linear(), title="Least squares, 100 points", name="least_squares"
    )


#: (name, title, factory) of the named dataset surfaces, in picker order.
DATASET_SURFACES: tuple[tuple[str, str, Callable[[], Surface]], ...] = (
    ("neuron_two_points", "Sigmoid neuron, two points (data)", _neuron_two_points),
    ("neuron_sparse", "Sigmoid neuron, 500 points, sparse x", _neuron_sparse),
    ("least_squares", "Least squares, 100 points", _least_squares),
)
DATASET_NAMES: tuple[str, ...] = tuple(name for name, _, _ in DATASET_SURFACES)


def dataset_surface(name: str) -> Surface:
    """The named dataset surface ``name`` (one of ``DATASET_NAMES``)."""
    for entry, _, factory in DATASET_SURFACES:
        if entry == name:
            return factory()
    raise ValueError(f"unknown dataset surface {name!r}; choose one of: {', '.join(DATASET_NAMES)}")
