"""The engine's peers on its benchmark workload: Adam on Rosenbrock, float64.

Each peer runs ``steps`` Adam steps from ``starts`` (float64[N, 2]) recording every
position, and returns float64[N, steps+1, 2] (or the backend's equivalent). torch and
optax are optional (``pip install -e ".[bench]"``); the two numba kernels are the
reference points of the issue: one trajectory per ``prange`` iteration (naive) and a
hand-written kernel specialised to Adam on Rosenbrock that advances a block of
trajectories together (time loop outside, runs inside).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .. import _numba_env  # noqa: F401

B1, B2, EPS = 0.9, 0.999, 1e-8


@njit(cache=True, parallel=True, error_model="numpy")
def _naive(starts, steps, lr, out):
    for i in prange(starts.shape[0]):
        x, y = starts[i, 0], starts[i, 1]
        mx = my = vx = vy = 0.0
        out[i, 0, 0], out[i, 0, 1] = x, y
        for t in range(1, steps + 1):
            r = y - x * x
            gx = -2.0 * (1.0 - x) - 400.0 * x * r
            gy = 200.0 * r
            mx = B1 * mx + (1 - B1) * gx
            my = B1 * my + (1 - B1) * gy
            vx = B2 * vx + (1 - B2) * gx * gx
            vy = B2 * vy + (1 - B2) * gy * gy
            step = lr / (1 - B1**t)
            bc2 = math.sqrt(1 - B2**t)
            x -= step * mx / (math.sqrt(vx) / bc2 + EPS)
            y -= step * my / (math.sqrt(vy) / bc2 + EPS)
            out[i, t, 0], out[i, t, 1] = x, y


@njit(cache=True, parallel=True, error_model="numpy")
def _specialised(starts, steps, lr, out):
    n = starts.shape[0]
    block = 256
    for b in prange((n + block - 1) // block):
        lo = b * block
        m = min(n, lo + block) - lo
        x = starts[lo : lo + m, 0].copy()
        y = starts[lo : lo + m, 1].copy()
        mx, my, vx, vy = np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m)
        for i in range(m):
            out[lo + i, 0, 0], out[lo + i, 0, 1] = x[i], y[i]
        for t in range(1, steps + 1):
            step = lr / (1 - B1**t)
            bc2 = math.sqrt(1 - B2**t)
            for i in range(m):
                r = y[i] - x[i] * x[i]
                gx = -2.0 * (1.0 - x[i]) - 400.0 * x[i] * r
                gy = 200.0 * r
                mx[i] = B1 * mx[i] + (1 - B1) * gx
                my[i] = B1 * my[i] + (1 - B1) * gy
                vx[i] = B2 * vx[i] + (1 - B2) * gx * gx
                vy[i] = B2 * vy[i] + (1 - B2) * gy * gy
                x[i] -= step * mx[i] / (math.sqrt(vx[i]) / bc2 + EPS)
                y[i] -= step * my[i] / (math.sqrt(vy[i]) / bc2 + EPS)
                out[lo + i, t, 0], out[lo + i, t, 1] = x[i], y[i]


def numba_naive(starts: np.ndarray, steps: int, lr: float) -> np.ndarray:
    out = np.empty((len(starts), steps + 1, 2))
    _naive(starts, steps, lr, out)
    return out


def numba_specialised(starts: np.ndarray, steps: int, lr: float) -> np.ndarray:
    out = np.empty((len(starts), steps + 1, 2))
    _specialised(starts, steps, lr, out)
    return out


def _torch_adam(starts: np.ndarray, steps: int, lr: float):
    import torch

    p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr, betas=(B1, B2), eps=EPS)
    out = torch.empty((steps + 1,) + tuple(p.shape), dtype=torch.float64)
    out[0] = p.detach()
    return torch, p, opt, out


def torch_optim(starts: np.ndarray, steps: int, lr: float):
    """torch.optim.Adam on one (N, 2) float64 tensor; gradient by the closed form."""
    torch, p, opt, out = _torch_adam(starts, steps, lr)
    with torch.no_grad():
        for t in range(1, steps + 1):
            x, y = p[:, 0], p[:, 1]
            r = y - x * x
            p.grad = torch.stack([-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r], dim=1)
            opt.step()
            out[t] = p
    return out


def torch_optim_autograd(starts: np.ndarray, steps: int, lr: float):
    """torch.optim.Adam as users write it: loss.sum().backward() every step."""
    torch, p, opt, out = _torch_adam(starts, steps, lr)
    for t in range(1, steps + 1):
        opt.zero_grad()
        x, y = p[:, 0], p[:, 1]
        ((1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2).sum().backward()
        opt.step()
        with torch.no_grad():
            out[t] = p
    return out


def optax_jit(starts: np.ndarray, steps: int, lr: float):
    """optax.adam under jax.jit with lax.scan over the steps (float64)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    opt = optax.adam(lr, b1=B1, b2=B2, eps=EPS)

    def grad(p):
        x, y = p[:, 0], p[:, 1]
        r = y - x * x
        return jnp.stack([-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r], axis=1)

    @jax.jit
    def run(p0):
        def body(carry, _):
            p, state = carry
            updates, state = opt.update(grad(p), state, p)
            p = optax.apply_updates(p, updates)
            return (p, state), p

        _, path = jax.lax.scan(body, (p0, opt.init(p0)), None, length=steps)
        return path

    p0 = jnp.asarray(starts, dtype=jnp.float64)

    def call():
        return run(p0).block_until_ready()

    return call


def available() -> dict[str, str]:
    """Which optional peers are importable: name -> version."""
    found = {}
    for name in ("torch", "jax", "optax"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        found[name] = getattr(module, "__version__", "?")
    return found
