"""The surface pane: heat map, contours, minima, start markers and trajectories."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.display import visible_points
from optviz.surfaces.surface import Surface

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


def display_values(surface: Surface, z: np.ndarray) -> tuple[np.ndarray, str]:
    """The heat map's values and their label: log10(f - f_min + eps) on log surfaces."""
    if not surface.log_scale:
        return z, "f"
    floor = surface.f_min if surface.f_min is not None else float(np.nanmin(z))
    shifted = z - floor
    positive = shifted[shifted > 0]
    eps = float(positive.min()) if positive.size else 1e-12
    return np.log10(np.maximum(shifted, 0.0) + eps), "log₁₀(f − f_min)"


class SurfacePane(pg.GraphicsLayoutWidget):
    """A loss surface with the optimizers' paths up to the current frame.

    Signals: ``start_moved(index, x, y)`` while a start marker is dragged,
    ``start_set(x, y)`` on a click (one start there), ``start_added(x, y)`` on a
    shift-click.
    """

    start_moved = QtCore.Signal(int, float, float)
    start_set = QtCore.Signal(float, float)
    start_added = QtCore.Signal(float, float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumSize(360, 320)
        self.plot = self.addPlot()
        self.plot.setAspectLocked(False)
        self.plot.showGrid(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setCacheMode(_CACHED)
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(
            colorMap=pg.colormap.get("viridis"), width=12, interactive=False
        )
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.contours: list[pg.IsocurveItem] = []
        for _ in range(N_CONTOURS):
            iso = pg.IsocurveItem(pen=pg.mkPen((255, 255, 255, 70), width=1))
            iso.setCacheMode(_CACHED)
            iso.setParentItem(self.image)
            self.contours.append(iso)
        self.minima = pg.ScatterPlotItem(
            symbol="star", size=16, brush=pg.mkBrush("w"), pen=pg.mkPen("k")
        )
        self.plot.addItem(self.minima)
        self.paths: list[pg.PlotCurveItem] = []  # history part of each optimizer's paths
        self.tails: list[pg.PlotCurveItem] = []  # from the history's end to the frame
        self._history_step = -1
        self.heads = pg.ScatterPlotItem(size=11, pen=pg.mkPen("w", width=1.5))
        self.heads.setZValue(20)
        self.plot.addItem(self.heads)
        self.targets: list[pg.TargetItem] = []
        self._xy: np.ndarray | None = None  # float64[O, S, T+1, 2]
        self._colors: list[str] = []
        self._head_brushes: list = []  # reused, so symbols are not re-rendered per frame
        self._keep: list[list[np.ndarray]] = []  # [optimizer][start] -> drawn point indices
        self._frame = 0
        self._moving = False
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        self.plot.vb.sigRangeChanged.connect(self._on_range_changed)

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
        self.plot.setTitle(f"{surface.title}: {surface.formula}", size="9pt")

    def view_range(self):
        (x0, x1), (y0, y1) = self.plot.viewRange()
        return (x0, x1), (y0, y1)

    # --- starts ----------------------------------------------------------------------
    def set_starts(self, starts) -> None:
        """Show one draggable marker per start (reusing the existing ones)."""
        self._moving = True
        try:
            while len(self.targets) < len(starts):
                target = pg.TargetItem(
                    size=15, movable=True, pen=pg.mkPen("w", width=2), symbol="crosshair"
                )
                target.setZValue(30)
                index = len(self.targets)
                target.sigPositionChanged.connect(lambda t, i=index: self._on_target_moved(i, t))
                self.plot.addItem(target)
                self.targets.append(target)
            while len(self.targets) > len(starts):
                self.plot.removeItem(self.targets.pop())
            for target, (x, y) in zip(self.targets, starts):
                target.setPos(x, y)
        finally:
            self._moving = False

    def _on_target_moved(self, index: int, target: pg.TargetItem) -> None:
        if not self._moving:
            pos = target.pos()
            self.start_moved.emit(index, float(pos.x()), float(pos.y()))

    def _on_click(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton or event.double():
            return
        vb = self.plot.vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        if event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier:
            self.start_added.emit(float(p.x()), float(p.y()))
        else:
            self.start_set.emit(float(p.x()), float(p.y()))

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
            pair = []
            for cached in (True, False):
                curve = pg.PlotCurveItem(connect="finite", skipFiniteCheck=True)
                if cached:
                    curve.setCacheMode(_CACHED)
                curve.setZValue(10)
                self.plot.addItem(curve)
                pair.append(curve)
            self.paths.append(pair[0])
            self.tails.append(pair[1])
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
            self.set_frame(self._frame)

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
        self._frame = frame
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
        self.heads.setData(heads[:, 0], heads[:, 1], brush=self._head_brushes)
