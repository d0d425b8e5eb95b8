"""Contour lines by vectorised marching squares (NumPy, no Qt): segments, not joined lines.

pyqtgraph's ``isocurve`` joins the segments into polylines in Python, about 20 ms per
level on the surface pane's 134 x 134 contour grid, so a new surface's 12 contours cost a
quarter of a second of the UI thread. Drawn as separate segments the lines look the same,
and finding them is a few whole-array operations: about a millisecond per level.
"""

from __future__ import annotations

import numpy as np


def contour_segments(z: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The segments of the contour ``z == level`` of samples ``z`` (float64[nx, ny],
    indexed [x, y]), as ``(x, y)``: float64[2 M] each, the two ends of segment m at
    2m and 2m + 1 (pyqtgraph's ``connect="pairs"``).

    Coordinates are sample indices plus 0.5 (the centres of image pixels, as pyqtgraph's
    ``isocurve`` places them). Cells with a non-finite corner have no segment. A saddle
    cell (corners alternating above and below) is split by the mean of its corners.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or min(z.shape) < 2:
        return np.zeros(0), np.zeros(0)
    a, b, c, d = z[:-1, :-1], z[1:, :-1], z[1:, 1:], z[:-1, 1:]  # (i,j) (i+1,j) ...
    valid = np.isfinite(a) & np.isfinite(b) & np.isfinite(c) & np.isfinite(d)
    ua, ub, uc, ud = a >= level, b >= level, c >= level, d >= level
    i, j = np.meshgrid(
        np.arange(z.shape[0] - 1, dtype=np.float64),
        np.arange(z.shape[1] - 1, dtype=np.float64),
        indexing="ij",
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        # Edges: 0 bottom (a-b), 1 right (b-c), 2 top (d-c), 3 left (a-d).
        crossed = (
            valid & (ua != ub),
            valid & (ub != uc),
            valid & (ud != uc),
            valid & (ua != ud),
        )
        points = (
            (i + (level - a) / (b - a), j),
            (i + 1.0, j + (level - b) / (c - b)),
            (i + (level - d) / (c - d), j + 1.0),
            (i, j + (level - a) / (d - a)),
        )
    count = sum(m.astype(np.int8) for m in crossed)
    pairs: list[tuple[np.ndarray, int, int]] = []
    two = count == 2
    for p, q in ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)):
        pairs.append((two & crossed[p] & crossed[q], p, q))
    saddle = count == 4
    if saddle.any():
        centre_up = (a + b + c + d) / 4.0 >= level
        joined = saddle & (centre_up == ua)  # a and c joined through the centre
        pairs += [
            (joined, 0, 1),
            (joined, 2, 3),
            (saddle & ~joined, 3, 0),
            (saddle & ~joined, 1, 2),
        ]
    xs, ys = [], []
    for mask, p, q in pairs:
        if not mask.any():
            continue
        px, py = (np.broadcast_to(v, mask.shape)[mask] for v in points[p])
        qx, qy = (np.broadcast_to(v, mask.shape)[mask] for v in points[q])
        xs.append(np.stack([px, qx], axis=1).ravel())
        ys.append(np.stack([py, qy], axis=1).ravel())
    if not xs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(xs) + 0.5, np.concatenate(ys) + 0.5
