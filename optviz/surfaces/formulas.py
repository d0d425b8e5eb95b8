"""Preset loss surfaces as numba scalar functions: ``NAME(x, y, sp) -> f`` and
``NAME_grad(x, y, sp) -> (df/dx, df/dy)``, gradients derived by hand.

``sp`` is the surface's flat float64 parameter row (``kappa`` for ``ill_conditioned``,
the dataset for ``sigmoid_neuron``); presets without parameters ignore it. Like the
optimizer bodies, these are plain ``@njit`` scalar functions, callable from CPU and
CUDA kernels alike. The metadata (view box, starts, minima) lives in ``presets.py``.
"""

from __future__ import annotations

import math

from numba import njit

from .. import _numba_env  # noqa: F401

_jit = njit(cache=True, nogil=True, inline="always", error_model="numpy")

TWO_PI = 2.0 * math.pi


@_jit
def rosenbrock(x, y, sp):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


@_jit
def rosenbrock_grad(x, y, sp):
    r = y - x * x
    return -2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r


@_jit
def beale(x, y, sp):
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y * y
    t3 = 2.625 - x + x * y * y * y
    return t1 * t1 + t2 * t2 + t3 * t3


@_jit
def beale_grad(x, y, sp):
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
    return gx, gy


@_jit
def himmelblau(x, y, sp):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b


@_jit
def himmelblau_grad(x, y, sp):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


@_jit
def booth(x, y, sp):
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return a * a + b * b


@_jit
def booth_grad(x, y, sp):
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return 2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b


@_jit
def matyas(x, y, sp):
    return 0.26 * (x * x + y * y) - 0.48 * x * y


@_jit
def matyas_grad(x, y, sp):
    return 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x


@_jit
def three_hump_camel(x, y, sp):
    x2 = x * x
    return 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y


@_jit
def three_hump_camel_grad(x, y, sp):
    x2 = x * x
    return 4.0 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2.0 * y


@_jit
def six_hump_camel(x, y, sp):
    x2 = x * x
    y2 = y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


@_jit
def six_hump_camel_grad(x, y, sp):
    x2 = x * x
    y2 = y * y
    return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y2 * y


@_jit
def rastrigin(x, y, sp):
    return 20.0 + x * x - 10.0 * math.cos(TWO_PI * x) + y * y - 10.0 * math.cos(TWO_PI * y)


@_jit
def rastrigin_grad(x, y, sp):
    return (
        2.0 * x + 10.0 * TWO_PI * math.sin(TWO_PI * x),
        2.0 * y + 10.0 * TWO_PI * math.sin(TWO_PI * y),
    )


@_jit
def ackley(x, y, sp):
    r = math.sqrt(0.5 * (x * x + y * y))
    return (
        -20.0 * math.exp(-0.2 * r)
        - math.exp(0.5 * (math.cos(TWO_PI * x) + math.cos(TWO_PI * y)))
        + math.e
        + 20.0
    )


@_jit
def ackley_grad(x, y, sp):
    r = math.sqrt(0.5 * (x * x + y * y))
    wave = math.exp(0.5 * (math.cos(TWO_PI * x) + math.cos(TWO_PI * y)))
    # The cone term -20 exp(-0.2 r) has no derivative at the origin; its subgradient 0 is used.
    cone = 0.0 if r == 0.0 else 2.0 * math.exp(-0.2 * r) / r
    return (
        cone * x + math.pi * math.sin(TWO_PI * x) * wave,
        cone * y + math.pi * math.sin(TWO_PI * y) * wave,
    )


@_jit
def goldstein_price(x, y, sp):
    a = x + y + 1.0
    b = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    c = 2.0 * x - 3.0 * y
    d = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    return (1.0 + a * a * b) * (30.0 + c * c * d)


@_jit
def goldstein_price_grad(x, y, sp):
    a = x + y + 1.0
    b = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    c = 2.0 * x - 3.0 * y
    d = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    first = 1.0 + a * a * b
    second = 30.0 + c * c * d
    db = -14.0 + 6.0 * x + 6.0 * y  # db/dx == db/dy
    first_x = 2.0 * a * b + a * a * db
    first_y = first_x
    second_x = 4.0 * c * d + c * c * (-32.0 + 24.0 * x - 36.0 * y)
    second_y = -6.0 * c * d + c * c * (48.0 - 36.0 * x + 54.0 * y)
    return first_x * second + first * second_x, first_y * second + first * second_y


@_jit
def styblinski_tang(x, y, sp):
    return 0.5 * ((x**4 - 16.0 * x * x + 5.0 * x) + (y**4 - 16.0 * y * y + 5.0 * y))


@_jit
def styblinski_tang_grad(x, y, sp):
    return 0.5 * (4.0 * x**3 - 32.0 * x + 5.0), 0.5 * (4.0 * y**3 - 32.0 * y + 5.0)


@_jit
def levi13(x, y, sp):
    s3x = math.sin(3.0 * math.pi * x)
    s3y = math.sin(3.0 * math.pi * y)
    s2y = math.sin(TWO_PI * y)
    return s3x * s3x + (x - 1.0) ** 2 * (1.0 + s3y * s3y) + (y - 1.0) ** 2 * (1.0 + s2y * s2y)


@_jit
def levi13_grad(x, y, sp):
    s3y = math.sin(3.0 * math.pi * y)
    s2y = math.sin(TWO_PI * y)
    gx = 3.0 * math.pi * math.sin(6.0 * math.pi * x) + 2.0 * (x - 1.0) * (1.0 + s3y * s3y)
    gy = (
        (x - 1.0) ** 2 * 3.0 * math.pi * math.sin(6.0 * math.pi * y)
        + 2.0 * (y - 1.0) * (1.0 + s2y * s2y)
        + (y - 1.0) ** 2 * TWO_PI * math.sin(4.0 * math.pi * y)
    )
    return gx, gy


@_jit
def saddle(x, y, sp):
    return x * x - y * y


@_jit
def saddle_grad(x, y, sp):
    return 2.0 * x, -2.0 * y


@_jit
def monkey_saddle(x, y, sp):
    return x**3 - 3.0 * x * y * y


@_jit
def monkey_saddle_grad(x, y, sp):
    return 3.0 * x * x - 3.0 * y * y, -6.0 * x * y


@_jit
def ill_conditioned(x, y, sp):
    return 0.5 * (x * x + sp[0] * y * y)


@_jit
def ill_conditioned_grad(x, y, sp):
    return x, sp[0] * y


@_jit
def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


@_jit
def sigmoid_neuron(x, y, sp):
    """0.5 * sum_i (sigmoid(w*x_i + b) - y_i)^2 with (w, b) = (x, y); sp = [n, x_1, y_1, ...]."""
    total = 0.0
    for i in range(int(sp[0])):
        e = _sigmoid(x * sp[1 + 2 * i] + y) - sp[2 + 2 * i]
        total += e * e
    return 0.5 * total


@_jit
def sigmoid_neuron_grad(x, y, sp):
    gw = 0.0
    gb = 0.0
    for i in range(int(sp[0])):
        xi = sp[1 + 2 * i]
        s = _sigmoid(x * xi + y)
        common = (s - sp[2 + 2 * i]) * s * (1.0 - s)
        gw += common * xi
        gb += common
    return gw, gb
