"""Display helpers (Qt-free): thin long trajectories down to what a screen can show."""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _numba_env  # noqa: F401


@njit(cache=True, nogil=True, error_model="numpy")
def _keep(xy, sx, sy):
    n = xy.shape[0]
    out = np.empty(n, dtype=np.int64)
    k = 0
    last_x, last_y = np.inf, np.inf
    for i in range(n):
        x, y = xy[i, 0], xy[i, 1]
        if not (np.isfinite(x) and np.isfinite(y)):
            break  # diverged: nothing after this is drawn
        dx = (x - last_x) * sx
        dy = (y - last_y) * sy
        if i == 0 or dx * dx + dy * dy >= 1.0:
            out[k] = i
            k += 1
            last_x, last_y = x, y
    return out[:k]


def visible_points(xy: np.ndarray, tolerance: tuple[float, float]) -> np.ndarray:
    """Indices of the points of a path worth drawing, increasing, int64.

    ``xy`` is float64[T, 2]; ``tolerance`` the (x, y) distance below which a point adds
    nothing visible (about half a pixel in data units). A point is kept when it is at
    least that far from the last kept point; points after the path leaves the finite
    range are dropped. Callers add the current head point themselves.
    """
    tx, ty = tolerance
    if not (tx > 0 and ty > 0):
        raise ValueError("tolerance must be positive")
    return _keep(np.ascontiguousarray(xy, dtype=np.float64), 1.0 / tx, 1.0 / ty)
