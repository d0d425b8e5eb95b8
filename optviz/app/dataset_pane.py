"""The dataset pane: the examples of a data-defined surface, editable with the mouse.

Shows the (x, y) examples behind a dataset surface (the sigmoid neuron's or least
squares' data) as a scatter plot in data space, with each optimizer's model at its
final (w, b), in its colour. Click on empty space to add an example, drag one to move it,
right-click it (or select it and press Delete) to remove it. Each edit emits the new
data; the window rebuilds the surface from it. A batch-size control chooses full-batch
gradients or true minibatches of B examples.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

#: A press within this many pixels of an example picks it.
PICK_PX = 9.0
CURVE_POINTS = 200


def model_curve(model: str, w: float, b: float, xs: np.ndarray) -> np.ndarray:
    """The prediction of ``model`` ("sigmoid" or "least_squares") with weights (w, b)
    at inputs ``xs`` (float64[N]) as float64[N]."""
    z = w * xs + b
    if model == "sigmoid":
        # exp(min(z, 0)) / (1 + exp(-|z|)) is 1/(1+exp(-z)) without overflow.
        return np.exp(np.minimum(z, 0.0)) / (1.0 + np.exp(-np.abs(z)))
    return z


class _DataViewBox(pg.ViewBox):
    """A view box whose clicks and drags edit the examples instead of panning."""

    def __init__(self, pane: DatasetPane) -> None:
        super().__init__(enableMenu=False)
        self.pane = pane
        self._dragged: int | None = None

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph override)
        pos = self.mapSceneToView(ev.scenePos())
        index = self.pane.nearest(ev.scenePos())
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            if index is None:
                self.pane.add_point(pos.x(), pos.y())
            else:
                self.pane.select(index)
        elif ev.button() == QtCore.Qt.MouseButton.RightButton and index is not None:
            ev.accept()
            self.pane.remove_point(index)
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 (pyqtgraph override)
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        if ev.isStart():
            self._dragged = self.pane.nearest(ev.buttonDownScenePos())
        if self._dragged is None:
            super().mouseDragEvent(ev, axis)  # pan, as usual
            return
        ev.accept()
        pos = self.mapSceneToView(ev.scenePos())
        self.pane.move_point(self._dragged, pos.x(), pos.y(), final=ev.isFinish())
        if ev.isFinish():
            self._dragged = None


class DatasetPane(QtWidgets.QWidget):
    """The examples of a dataset surface, with the fitted model and a batch-size control.

    Signals: ``data_edited(x, y)`` (float64[N] each) after an example was added, moved
    or removed; ``batch_changed(batch_size)`` (0 for the full batch).
    """

    data_edited = QtCore.Signal(object, object)
    batch_changed = QtCore.Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.model = "sigmoid"
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self.selected: int | None = None
        self.view = _DataViewBox(self)
        self.plot_widget = pg.PlotWidget(viewBox=self.view)
        self.plot_widget.setMinimumHeight(200)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("bottom", "x (input)")
        self.plot.setLabel("left", "y (target)")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)
        self.curves: list[pg.PlotCurveItem] = []  # one model curve per optimizer
        self.scatter = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w"), brush=pg.mkBrush("#4e79a7"))
        self.scatter.setZValue(5)
        self.plot.addItem(self.scatter)
        self.batch_spin = QtWidgets.QSpinBox()
        self.batch_spin.setRange(0, 100_000)
        self.batch_spin.setSpecialValueText("full batch")
        self.batch_spin.setKeyboardTracking(False)
        self.batch_spin.setToolTip(
            "Examples per step: 'full batch' uses all of them; B draws B examples without "
            "replacement, reshuffled every epoch (true minibatch SGD)"
        )
        self.batch_spin.valueChanged.connect(self.batch_changed)
        self.info = QtWidgets.QLabel("")
        self.info.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget, 1)
        row = QtWidgets.QFormLayout()
        row.addRow("batch", self.batch_spin)
        layout.addLayout(row)
        layout.addWidget(self.info)
        self._delete = QtGui.QShortcut(QtGui.QKeySequence.StandardKey.Delete, self.plot_widget)
        self._delete.setContext(QtCore.Qt.ShortcutContext.WidgetShortcut)
        self._delete.activated.connect(self.remove_selected)
        self._fits: list[tuple[float, float, str]] = []

    # --- state ---------------------------------------------------------------------
    def set_data(self, model: str, x: np.ndarray, y: np.ndarray) -> None:
        """Show the examples ``x``, ``y`` (float64[N]) of a ``model`` surface."""
        changed = model != self.model or len(x) != len(self.x)
        self.model = model
        self.x = np.array(x, dtype=np.float64)
        self.y = np.array(y, dtype=np.float64)
        if self.selected is not None and self.selected >= len(self.x):
            self.selected = None
        self._draw_points()
        if changed:
            self._fit_view()
        with QtCore.QSignalBlocker(self.batch_spin):
            # A batch above the new size is clamped here without a signal: the window,
            # which calls this while it shows a scene, sets the batch the scene has.
            self.batch_spin.setMaximum(max(len(self.x), 1))
        self.info.setText(
            f"{len(self.x)} examples. Click to add, drag to move, right-click or Delete to remove."
        )
        self._draw_curve()

    def set_batch(self, batch_size: int | None) -> None:
        with QtCore.QSignalBlocker(self.batch_spin):
            self.batch_spin.setValue(batch_size or 0)

    def set_fits(self, fits) -> None:
        """Draw the model once per ``(w, b, colour)`` of ``fits``."""
        self._fits = [(float(w), float(b), c) for w, b, c in fits]
        self._draw_curve()

    def _fit_view(self) -> None:
        """Show every example, and the sigmoid's whole range (0 to 1)."""
        x0, x1 = float(self.x.min()), float(self.x.max())
        y0, y1 = float(self.y.min()), float(self.y.max())
        if self.model == "sigmoid":
            y0, y1 = min(y0, 0.0), max(y1, 1.0)
        pad_x = 0.15 * (x1 - x0) or 1.0
        pad_y = 0.15 * (y1 - y0) or 1.0
        self.plot.setRange(
            xRange=(x0 - pad_x, x1 + pad_x), yRange=(y0 - pad_y, y1 + pad_y), padding=0
        )

    def _draw_points(self) -> None:
        brushes = [
            pg.mkBrush("#e15759" if i == self.selected else "#4e79a7") for i in range(len(self.x))
        ]
        self.scatter.setData(self.x, self.y, brush=brushes)

    def _draw_curve(self) -> None:
        while len(self.curves) < len(self._fits):
            curve = pg.PlotCurveItem()
            self.plot.addItem(curve)
            self.curves.append(curve)
        (x0, x1), _ = self.view.viewRange()
        # A little beyond the view, so panning does not show the curves' ends at once.
        span = x1 - x0
        xs = np.linspace(x0 - span, x1 + span, 3 * CURVE_POINTS)
        for i, curve in enumerate(self.curves):
            if i < len(self._fits) and np.isfinite(self._fits[i][:2]).all():
                w, b, color = self._fits[i]
                curve.setPen(pg.mkPen(color, width=1.5))
                curve.setData(xs, model_curve(self.model, w, b, xs))
                curve.show()
            else:
                curve.setData([], [])
                curve.hide()

    # --- editing -------------------------------------------------------------------
    def nearest(self, scene_pos: QtCore.QPointF) -> int | None:
        """Index of the example within PICK_PX pixels of ``scene_pos``, or None."""
        if not len(self.x):
            return None
        points = [self.view.mapViewToScene(QtCore.QPointF(a, b)) for a, b in zip(self.x, self.y)]
        d = np.array([(p.x() - scene_pos.x()) ** 2 + (p.y() - scene_pos.y()) ** 2 for p in points])
        i = int(np.argmin(d))
        return i if d[i] <= PICK_PX**2 else None

    def select(self, index: int | None) -> None:
        self.selected = index
        self._draw_points()
        self.plot_widget.setFocus()

    def add_point(self, x: float, y: float) -> None:
        self.x = np.append(self.x, float(x))
        self.y = np.append(self.y, float(y))
        self.selected = len(self.x) - 1
        self._edited()

    def move_point(self, index: int, x: float, y: float, final: bool = True) -> None:
        """Move example ``index`` to (x, y); the surface follows when ``final``."""
        self.x[index], self.y[index] = float(x), float(y)
        self.selected = index
        self._draw_points()
        if final:
            self._edited()

    def remove_point(self, index: int) -> None:
        if len(self.x) <= 1:
            self.info.setText("A dataset needs at least one example.")
            return
        self.x = np.delete(self.x, index)
        self.y = np.delete(self.y, index)
        self.selected = None
        self._edited()

    def remove_selected(self) -> None:
        if self.selected is not None:
            self.remove_point(self.selected)

    def _edited(self) -> None:
        self._draw_points()
        self.data_edited.emit(self.x.copy(), self.y.copy())
