"""Loss, gradient and learning-rate panes on a shared step axis with a frame cursor."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from optviz.engine.run import Result

_DASH = QtCore.Qt.PenStyle.DashLine
_DOT = QtCore.Qt.PenStyle.DotLine


def _positive(v: np.ndarray) -> np.ndarray:
    """Values for a log axis: non-positive entries become NaN (gaps, not errors)."""
    v = np.array(v, dtype=np.float64)
    v[~(v > 0)] = np.nan
    return v


class MetricsPane(pg.GraphicsLayoutWidget):
    """Three stacked plots: loss (log y), gradient norm (log y), learning rates (log y).

    The curves follow the first start of each optimizer. ``show_components`` adds the
    gradient's |x| and |y| components (dashed and dotted).
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(300)
        self.loss_plot = self.addPlot(row=0, col=0)
        self.grad_plot = self.addPlot(row=1, col=0)
        self.lr_plot = self.addPlot(row=2, col=0)
        self.loss_plot.setTitle("loss", size="9pt")
        self.grad_plot.setTitle("‖g‖  (dashed |gx|, dotted |gy|)", size="9pt")
        self.lr_plot.setTitle("lr  (dashed eff. x, dotted eff. y)", size="9pt")
        self.cursors = []
        for plot in (self.loss_plot, self.grad_plot, self.lr_plot):
            plot.setLogMode(x=False, y=True)
            plot.showGrid(x=True, y=True, alpha=0.15)
            cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen((255, 255, 255, 150), width=1))
            plot.addItem(cursor, ignoreBounds=True)
            self.cursors.append(cursor)
        self.grad_plot.setXLink(self.loss_plot)
        self.lr_plot.setXLink(self.loss_plot)
        self.lr_plot.setLabel("bottom", "step")
        self.show_components = False
        self._curves: dict[str, list[pg.PlotDataItem]] = {
            k: [] for k in ("loss", "grad", "gx", "gy", "lr", "ex", "ey")
        }
        self._result: Result | None = None
        self._colors: list[str] = []

    def _curve(self, kind: str, i: int, plot) -> pg.PlotDataItem:
        pool = self._curves[kind]
        while len(pool) <= i:
            item = pg.PlotDataItem()
            plot.addItem(item)
            pool.append(item)
        return pool[i]

    def set_result(self, result: Result | None, colors: list[str], f_min: float | None) -> None:
        """Draw the whole history of every optimizer (first start)."""
        self._result = result
        self._colors = list(colors)
        n = 0 if result is None else len(result.spec.optimizers)
        if f_min is not None:
            self.loss_plot.setTitle("loss − f_min", size="9pt")
        else:
            self.loss_plot.setTitle("loss (linear: no known minimum)", size="9pt")
        self.loss_plot.setLogMode(x=False, y=f_min is not None)
        for pool in self._curves.values():
            for item in pool[n:]:
                item.setData([], [])
        if result is None:
            return
        steps = np.arange(result.steps + 1, dtype=np.float64)
        step_axis = steps[1:]
        grad = result.grad[:, 0]  # [O, T, 2]
        elr = result.effective_lr[:, 0]
        for i in range(n):
            color = colors[i]
            solid = pg.mkPen(color, width=1.5)
            loss = result.loss[i, 0]
            loss = _positive(loss - f_min) if f_min is not None else loss
            self._curve("loss", i, self.loss_plot).setData(steps, loss, pen=solid)
            self._curve("grad", i, self.grad_plot).setData(
                step_axis, _positive(np.hypot(grad[i, :, 0], grad[i, :, 1])), pen=solid
            )
            for kind, k, style in (("gx", 0, _DASH), ("gy", 1, _DOT)):
                item = self._curve(kind, i, self.grad_plot)
                item.setData(
                    step_axis,
                    _positive(np.abs(grad[i, :, k])),
                    pen=pg.mkPen(color, width=1, style=style),
                )
                item.setVisible(self.show_components)
            self._curve("lr", i, self.lr_plot).setData(
                step_axis, _positive(result.lr[i]), pen=solid
            )
            for kind, k, style in (("ex", 0, _DASH), ("ey", 1, _DOT)):
                self._curve(kind, i, self.lr_plot).setData(
                    step_axis, _positive(elr[i, :, k]), pen=pg.mkPen(color, width=1, style=style)
                )
        self.loss_plot.setXRange(0, result.steps, padding=0.01)

    def set_components_visible(self, visible: bool) -> None:
        self.show_components = visible
        n = 0 if self._result is None else len(self._result.spec.optimizers)
        for kind in ("gx", "gy"):
            for item in self._curves[kind][:n]:
                item.setVisible(visible)

    def set_frame(self, frame: int) -> None:
        for cursor in self.cursors:
            cursor.setValue(frame)
