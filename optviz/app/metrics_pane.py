"""Loss, gradient and learning-rate panes on a shared step axis with a frame cursor.

Curves are plain ``PlotCurveItem``s fed log10 values (the axes show them as powers of
ten) and min/max-decimated to about a pixel's worth of points: a result redraws in a
few milliseconds even with many optimizers and long runs, which keeps dragging fluid.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from optviz.engine.run import Result

_DASH = QtCore.Qt.PenStyle.DashLine
_DOT = QtCore.Qt.PenStyle.DotLine
#: Display points per curve after decimation (peaks kept: min and max of each bin).
MAX_POINTS = 1200


def log10_or_nan(v: np.ndarray) -> np.ndarray:
    """log10 of the positive entries; NaN (a gap in the curve) elsewhere, no warnings."""
    v = np.asarray(v, dtype=np.float64)
    out = np.full(v.shape, np.nan)
    np.log10(v, out=out, where=v > 0)
    return out


def decimate(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS):
    """(x, y) reduced to at most ``max_points`` keeping each bin's minimum and maximum."""
    n = len(y)
    if n <= max_points:
        return x, y
    size = -(-n // (max_points // 2))
    m = n // size * size
    bins = y[:m].reshape(-1, size)
    lo = np.fmin.reduce(bins, axis=1)  # fmin/fmax skip NaN without warnings
    hi = np.fmax.reduce(bins, axis=1)
    xs = np.repeat(x[:m:size], 2)
    ys = np.column_stack([lo, hi]).ravel()
    return np.append(xs, x[m:]), np.append(ys, y[m:])


class StepCursor(pg.InfiniteLine):
    """The playback cursor of a metric plot.

    It is added with ``ignoreBounds``, yet pyqtgraph still tells the view its bounds
    changed whenever it moves, and the view then recomputes its y auto-range from every
    curve: 2.6 ms of each playback frame with 16 optimizers. Its bounds never matter.
    """

    def informViewBoundsChanged(self) -> None:  # noqa: N802 (pyqtgraph's name)
        pass


class MetricsPane(pg.GraphicsLayoutWidget):
    """Three stacked plots: loss, gradient norm and learning rates, log y axes.

    The curves follow the first start of each optimizer. ``show_components`` adds the
    gradient's |x| and |y| components (dashed and dotted). While the pane is hidden (race
    mode) it only remembers the result and the frame, and draws them when shown again.
    """

    KINDS = ("loss", "grad", "gx", "gy", "lr", "ex", "ey")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(300)
        self.loss_plot = self.addPlot(row=0, col=0)
        self.grad_plot = self.addPlot(row=1, col=0)
        self.lr_plot = self.addPlot(row=2, col=0)
        self.loss_plot.setTitle("loss − f_min", size="9pt")
        self.grad_plot.setTitle("‖g‖  (dashed |gx|, dotted |gy|)", size="9pt")
        self.lr_plot.setTitle("lr  (dashed eff. x, dotted eff. y)", size="9pt")
        self.cursors = []
        self._plots = {
            "loss": self.loss_plot,
            "grad": self.grad_plot,
            "gx": self.grad_plot,
            "gy": self.grad_plot,
            "lr": self.lr_plot,
            "ex": self.lr_plot,
            "ey": self.lr_plot,
        }
        for plot in (self.loss_plot, self.grad_plot, self.lr_plot):
            plot.getAxis("left").setLogMode(True)
            # No grid: pyqtgraph draws it with the axes, whose bounds then cover the whole
            # plot, so every cursor move would re-render both axes.
            cursor = StepCursor(angle=90, pen=pg.mkPen((255, 255, 255, 150), width=1))
            plot.addItem(cursor, ignoreBounds=True)
            self.cursors.append(cursor)
        self.grad_plot.setXLink(self.loss_plot)
        self.lr_plot.setXLink(self.loss_plot)
        self.lr_plot.setLabel("bottom", "step")
        self.show_components = False
        self._curves: dict[str, list[pg.PlotCurveItem]] = {k: [] for k in self.KINDS}
        self._result: Result | None = None
        self._colors: list[str] = []
        self._log_loss = True
        self._pending: tuple | None = None  # (result, colors, f_min) given while hidden
        self._frame = 0

    def _curve(self, kind: str, i: int) -> pg.PlotCurveItem:
        pool = self._curves[kind]
        while len(pool) <= i:
            item = pg.PlotCurveItem(connect="finite", skipFiniteCheck=True)
            # Rendered once into a pixmap: the moving frame cursor then only blits.
            item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self._plots[kind].addItem(item)
            pool.append(item)
        return pool[i]

    def _set(self, kind: str, i: int, x, y, pen) -> None:
        item = self._curve(kind, i)
        xs, ys = decimate(x, y)
        item.setData(xs, ys, pen=pen)
        item.show()

    def set_result(self, result: Result | None, colors: list[str], f_min: float | None) -> None:
        """Draw the whole history of every optimizer (first start)."""
        self._pending = (result, list(colors), f_min)
        if self.isVisible():
            self._catch_up()

    def _catch_up(self) -> None:
        """Draw the result and move the cursors to the frame last asked for."""
        if self._pending is not None:
            self._draw_result(*self._pending)
            self._pending = None
        for cursor in self.cursors:
            if cursor.value() != self._frame:
                cursor.setValue(self._frame)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._catch_up()

    def _draw_result(self, result: Result | None, colors: list[str], f_min: float | None) -> None:
        self._result = result
        self._colors = list(colors)
        n = 0 if result is None else len(result.spec.optimizers)
        log_loss = f_min is not None
        if log_loss != self._log_loss:
            self._log_loss = log_loss
            self.loss_plot.getAxis("left").setLogMode(log_loss)
            self.loss_plot.setTitle(
                "loss − f_min" if log_loss else "loss (linear: no known minimum)", size="9pt"
            )
        for pool in self._curves.values():
            for item in pool[n:]:
                item.hide()
        if result is None:
            return
        steps = np.arange(result.steps + 1, dtype=np.float64)
        after = steps[1:]
        grad = result.grad[:, 0]  # [O, T, 2]
        elr = result.effective_lr[:, 0]
        loss = result.loss[:, 0]
        for i in range(n):
            solid = pg.mkPen(colors[i], width=1)  # 1 px: Qt draws it on its fast path
            curve = log10_or_nan(loss[i] - f_min) if log_loss else loss[i]
            self._set("loss", i, steps, curve, solid)
            self._set("grad", i, after, log10_or_nan(np.hypot(grad[i, :, 0], grad[i, :, 1])), solid)
            self._set("lr", i, after, log10_or_nan(result.lr[i]), solid)
            for kind, k, style in (("ex", 0, _DASH), ("ey", 1, _DOT)):
                self._set(
                    kind,
                    i,
                    after,
                    log10_or_nan(elr[i, :, k]),
                    pg.mkPen(colors[i], width=1, style=style),
                )
        self._draw_components()
        self.loss_plot.setXRange(0, result.steps, padding=0.01)

    def _draw_components(self) -> None:
        result = self._result
        n = 0 if result is None else len(result.spec.optimizers)
        for kind, k, style in (("gx", 0, _DASH), ("gy", 1, _DOT)):
            for i in range(n):
                if self.show_components:
                    after = np.arange(1, result.steps + 1, dtype=np.float64)
                    self._set(
                        kind,
                        i,
                        after,
                        log10_or_nan(np.abs(result.grad[i, 0, :, k])),
                        pg.mkPen(self._colors[i], width=1, style=style),
                    )
                elif i < len(self._curves[kind]):
                    self._curves[kind][i].hide()

    def set_components_visible(self, visible: bool) -> None:
        self.show_components = visible
        if self._pending is None:  # else drawn with the pending result
            self._draw_components()

    def set_frame(self, frame: int) -> None:
        self._frame = frame
        if self.isVisible():
            self._catch_up()
