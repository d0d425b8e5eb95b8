"""A loss surface drawn into a pyqtgraph plot: heat map, contours, minima, paths, heads.

Shared by the app's surface pane and the export figures, so the picture on screen and
the one in a slide are drawn by the same code.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.display import visible_points
from optviz.surfaces.surface import Surface

from .contours import contour_segments

#: Static items are rendered once into a pixmap and blitted while paths animate.
_CACHED = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache
#: Path points closer than this (in pixels) to the previous drawn one are not drawn.
PIXEL_TOLERANCE = 0.5
#: Paths are drawn 2 px wide up to this many drawn points in all, 1 px beyond: Qt draws
#: 1 px lines on a fast path, 2 px ones through its stroker at twice the cost per frame.
THICK_PATH_POINTS = 20_000
#: Paths are redrawn in full only every this many steps; in between only the tail moves.
HISTORY_STEPS = 64

GRID = 400  # heat-map resolution per axis
N_CONTOURS = 12
#: Contours are traced on every CONTOUR_STRIDE-th sample: pyqtgraph's isocurve is pure
#: NumPy and takes ~0.1 s per level at 400 x 400; at 134 x 134 the lines look the same.
CONTOUR_STRIDE = 3


class CachedIsocurve(pg.IsocurveItem):
    """An isocurve whose bounding rectangle is computed once per traced path.

    pyqtgraph's walks the whole path on every call, and Qt asks several times per frame
    (about 3 ms a frame for 12 panes x 12 contours of the race view's small multiples).
    """

    _rect: QtCore.QRectF | None = None
    _rect_path = None

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        if self.data is None:
            return QtCore.QRectF()
        if self.path is None:
            self.generatePath()
        if self._rect_path is not self.path:
            self._rect_path = self.path
            self._rect = self.path.boundingRect()
        return QtCore.QRectF(self._rect)

    def generatePath(self) -> None:  # noqa: N802 (pyqtgraph override)
        # pyqtgraph joins the segments into lines in Python (~20 ms a level at 134 x 134:
        # a quarter second per new surface); drawn as separate segments they look the same.
        if self.data is None:
            self.path = None
            return
        data = self.data.T if self.axisOrder == "row-major" else self.data
        x, y = contour_segments(data, self.level)
        self.path = pg.arrayToQPath(x, y, connect="pairs")


def display_values(surface: Surface, z: np.ndarray) -> tuple[np.ndarray, str]:
    """The heat map's values and their label: log10(f - f_min + eps) on log surfaces."""
    if not surface.log_scale:
        return z, "f"
    floor = surface.f_min if surface.f_min is not None else float(np.nanmin(z))
    shifted = z - floor
    positive = shifted[shifted > 0]
    eps = float(positive.min()) if positive.size else 1e-12
    return np.log10(np.maximum(shifted, 0.0) + eps), "log₁₀(f − f_min)"


class SurfaceLayers:
    """The items of a surface picture inside ``plot``.

    ``path_width`` fixes the width of the paths in pixels (``None``: 2 px, or 1 px for
    very long paths); ``head_size`` is the head markers' diameter; ``colorbar`` adds a
    colour bar; ``cached`` renders static items to pixmaps (for animation on screen).
    """

    def __init__(
        self,
        plot: pg.PlotItem,
        *,
        path_width: float | None = None,
        head_size: float = 11,
        colorbar: bool = True,
        cached: bool = True,
        contour_color=(255, 255, 255, 70),
    ) -> None:
        self.plot = plot
        self.path_width = path_width
        self.cached = cached
        self.image = pg.ImageItem(axisOrder="row-major")
        self._cache(self.image)
        plot.addItem(self.image)
        self.colorbar = None
        if colorbar:
            self.colorbar = pg.ColorBarItem(
                colorMap=pg.colormap.get("viridis"), width=12, interactive=False
            )
            self.colorbar.setImageItem(self.image, insert_in=plot)
        else:
            self.image.setColorMap(pg.colormap.get("viridis"))
        self.contours: list[pg.IsocurveItem] = []
        for _ in range(N_CONTOURS):
            iso = CachedIsocurve(pen=pg.mkPen(contour_color, width=1))
            self._cache(iso)
            iso.setParentItem(self.image)
            self.contours.append(iso)
        self.minima = pg.ScatterPlotItem(
            symbol="star", size=max(16, head_size * 1.4), brush=pg.mkBrush("w"), pen=pg.mkPen("k")
        )
        plot.addItem(self.minima)
        self.paths: list[pg.PlotCurveItem] = []  # history part of each optimizer's paths
        self.tails: list[pg.PlotCurveItem] = []  # from the history's end to the frame
        self.heads = pg.ScatterPlotItem(size=head_size, pen=pg.mkPen("w", width=1.5))
        self.heads.setZValue(20)
        plot.addItem(self.heads)
        self._xy: np.ndarray | None = None  # float64[O, S, T+1, 2]
        self._colors: list[str] = []
        self._head_brushes: list = []  # reused, so symbols are not re-rendered per frame
        self._keep: list[list[np.ndarray]] = []  # [optimizer][start] -> drawn point indices
        self._history_step = -1
        self.frame = 0
        plot.vb.sigRangeChanged.connect(self._on_range_changed)

    def _cache(self, item) -> None:
        if self.cached:
            item.setCacheMode(_CACHED)

    # --- surface -------------------------------------------------------------------
    def set_surface(self, surface: Surface, view) -> None:
        (x0, x1), (y0, y1) = view
        _, _, z = surface.grid(GRID, GRID, view)
        values, label = display_values(surface, z)
        finite = values[np.isfinite(values)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        hi = hi if hi > lo else lo + 1.0
        self.image.setImage(values, autoLevels=False, levels=(lo, hi))
        self.image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        if self.colorbar is not None:
            self.colorbar.setLevels((lo, hi))
            self.colorbar.axis.setLabel(label)
        levels = np.quantile(finite, np.linspace(0.03, 0.97, N_CONTOURS)) if finite.size else []
        coarse = values[::CONTOUR_STRIDE, ::CONTOUR_STRIDE].T  # [x, y], like a col-major image
        for iso, level in zip(self.contours, levels):
            iso.setData(coarse, level=float(level))
            # Isocurve coordinates are sample indices: scale them back to image pixels.
            iso.setTransform(QtGui.QTransform.fromScale(CONTOUR_STRIDE, CONTOUR_STRIDE))
        m = surface.minima_array
        self.minima.setData(m[:, 0], m[:, 1])
        self.plot.setLabel("bottom", surface.axis_labels[0])
        self.plot.setLabel("left", surface.axis_labels[1])
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def copy_surface_from(self, other: SurfaceLayers) -> None:
        """Show the surface ``other`` shows without computing it again: the heat-map array
        and the traced contour paths are shared (small multiples draw one surface N times)."""
        self.image.setImage(other.image.image, autoLevels=False, levels=other.image.levels)
        self.image.setRect(other.image.mapRectToParent(other.image.boundingRect()))
        for mine, theirs in zip(self.contours, other.contours):
            if theirs.path is None:
                theirs.generatePath()
            mine.setData(theirs.data, level=theirs.level)
            mine.path = theirs.path  # QPainterPath is implicitly shared: no copy, no re-trace
            mine.setTransform(theirs.transform())
        self.minima.setData(*other.minima.getData())
        for name in ("bottom", "left"):
            self.plot.setLabel(name, other.plot.getAxis(name).labelText)
        (x0, x1), (y0, y1) = other.plot.vb.viewRange()
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    # --- trajectories --------------------------------------------------------------------
    def set_paths(self, xy: np.ndarray | None, colors: list[str]) -> None:
        """New trajectories, float64[O, S, T+1, 2] (or None), one colour per optimizer."""
        self._xy = xy
        if (
            list(colors) != self._colors
            or xy is None
            or len(self._head_brushes) != (xy.shape[0] * xy.shape[1])
        ):
            per_start = 1 if xy is None else xy.shape[1]
            self._head_brushes = [pg.mkBrush(c) for c in colors for _ in range(per_start)]
        self._colors = list(colors)
        self._thin()
        n = 0 if xy is None else xy.shape[0]
        while len(self.paths) < n:
            for pool, cached in ((self.paths, True), (self.tails, False)):
                curve = pg.PlotCurveItem(connect="finite", skipFiniteCheck=True)
                if cached:
                    self._cache(curve)
                curve.setZValue(10)
                self.plot.addItem(curve)
                pool.append(curve)
        width = self.path_width
        if width is None:
            drawn = sum(len(k) for per_start in self._keep for k in per_start)
            width = 2 if drawn <= THICK_PATH_POINTS else 1
        for i, (history, tail) in enumerate(zip(self.paths, self.tails)):
            for curve in (history, tail):
                if i < n:
                    curve.setPen(pg.mkPen(colors[i], width=width))
                    curve.show()
                else:
                    curve.setData([], [])
                    curve.hide()
        self._history_step = -1

    def _thin(self) -> None:
        """Choose the points worth drawing at the current zoom (about half a pixel apart)."""
        xy = self._xy
        self._keep = []
        if xy is None:
            return
        (x0, x1), (y0, y1) = self.plot.vb.viewRange()
        width = max(self.plot.vb.width(), 1.0)
        height = max(self.plot.vb.height(), 1.0)
        tol = (PIXEL_TOLERANCE * (x1 - x0) / width, PIXEL_TOLERANCE * (y1 - y0) / height)
        self._keep = [
            [visible_points(xy[o, s], tol) for s in range(xy.shape[1])] for o in range(xy.shape[0])
        ]
        self._history_step = -1

    def _on_range_changed(self, *_) -> None:
        if self._xy is not None:
            self._thin()
            self.set_frame(self.frame)

    def _segment(self, o: int, first: int, last: int) -> np.ndarray:
        """float64[P, 2]: optimizer o's paths (every start) from step first to last: the
        exact points at both ends, the thinned ones between, NaN rows between starts."""
        xy = self._xy
        pieces = []
        for s, keep in enumerate(self._keep[o]):
            inner = keep[
                np.searchsorted(keep, first, side="right") : np.searchsorted(
                    keep, last, side="left"
                )
            ]
            pieces += [
                xy[o, s, first : first + 1],
                xy[o, s, inner],
                xy[o, s, last : last + 1],
                np.full((1, 2), np.nan),
            ]
        return np.concatenate(pieces[:-1])

    def set_frame(self, frame: int) -> None:
        """Draw every path up to step ``frame`` and a head at that step.

        Each path is two curves: the history up to the last multiple of HISTORY_STEPS,
        cached as a pixmap and redrawn only when that boundary moves, and the short tail
        from there to ``frame``, the only part drawn anew on every frame.
        """
        xy = self._xy
        self.frame = frame
        if xy is None:
            self.heads.setData([], [])
            return
        frame = min(frame, xy.shape[2] - 1)
        history_step = frame - frame % HISTORY_STEPS
        for o in range(xy.shape[0]):
            if history_step != self._history_step:
                history = self._segment(o, 0, history_step)
                self.paths[o].setData(history[:, 0], history[:, 1])
            tail = self._segment(o, history_step, frame)
            self.tails[o].setData(tail[:, 0], tail[:, 1])
        self._history_step = history_step
        heads = xy[:, :, frame].reshape(-1, 2)
        brushes = self._head_brushes
        finite = np.isfinite(heads).all(axis=1)
        if not finite.all():  # diverged runs have no head (and NaN spots make pyqtgraph warn)
            heads = heads[finite]
            brushes = [b for b, keep in zip(brushes, finite) if keep]
        self.heads.setData(heads[:, 0], heads[:, 1], brush=brushes)
