"""The sweep map: final loss (or steps to finish) over lr x a second hyperparameter.

``SweepWindow`` runs ``optviz.sweep`` for one of the scene's optimizers in the compute
worker and shows the result as a heat map with labelled axes (lr on a log axis) and a
colour bar. Clicking a cell emits ``configuration_picked(entry index, Optimizer, replace)``;
the main window loads that configuration (replacing the entry or adding a new one).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from optviz.optimizers.registry import OPTIMIZERS
from optviz.studies import Axis, SweepSettings
from optviz.sweep import sweep, sweep_keys

from .job_bar import JobBar
from .race_view import current_finish, scene_noise

METRICS = ("final loss", "steps to finish")
SCENE_METRICS = ("final_loss", "steps_to_finish")  # as ``SweepSettings.metric`` names them
NO_VALUE_COLOR = "#555555"
MAX_CELLS_PER_AXIS = 300
#: Members of tuple hyperparameters, as ``optviz.sweep`` names them.
PAIR_MEMBERS = {"betas": ("beta1", "beta2"), "nus": ("nu1", "nu2")}


def sweepable(name: str) -> list[tuple[str, str, float, float]]:
    """The second hyperparameters ``optviz.sweep`` can vary for optimizer ``name``: tuples
    of (key, scale "linear" | "log", default low, default high)."""
    out = []
    keys = set(sweep_keys(name))
    for p in OPTIMIZERS[name].params:
        if p.name == "lr":
            continue
        if p.kind == "unit":
            out.append((p.name, "linear", p.low, min(p.high, 0.99)))
        elif p.kind == "pair" and p.name in PAIR_MEMBERS:
            for member, default in zip(PAIR_MEMBERS[p.name], p.default):
                out.append((member, "linear", 0.0 if default < 0.9 else 0.8, 0.999))
        elif p.kind == "log":
            out.append((p.name, "log", p.default / 100 or 1e-12, p.default * 1e4 or 1e-4))
        elif p.kind == "nonneg":
            out.append((p.name, "linear", 0.0, max(1.0, 10 * p.default)))
    return [row for row in out if row[0] in keys]


def axis_values(low: float, high: float, n: int, scale: str) -> np.ndarray:
    """float64[n]: ``n`` values from ``low`` to ``high``, evenly spaced on ``scale``."""
    if n < 2:
        raise ValueError(f"a sweep axis needs at least 2 values, not {n}")
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ValueError(f"the range {low:g} to {high:g} must go from a smaller to a larger value")
    if scale == "log":
        if low <= 0:
            raise ValueError(f"a log axis needs values > 0, not {low:g}")
        return np.logspace(math.log10(low), math.log10(high), n)
    return np.linspace(low, high, n)


def log_ticks(lo: float, hi: float) -> list[list[tuple[float, str]]]:
    """pyqtgraph ticks for an axis in log10 units from ``lo`` to ``hi``: labelled decades
    (and 2x, 5x within them when the axis spans fewer than three decades), unlabelled
    minor ticks at the other integer multiples."""
    major, minor = [], []
    few = hi - lo < 3
    for k in range(math.floor(lo), math.ceil(hi) + 1):
        for m in range(1, 10):
            pos = k + math.log10(m)
            if not lo <= pos <= hi:
                continue
            if m == 1 or (few and m in (2, 5)):
                major.append((pos, f"{m * 10.0**k:g}"))
            else:
                minor.append((pos, ""))
    return [major, minor]


def set_log_ticks(axis: pg.AxisItem, lo: float, hi: float) -> None:
    axis.setTicks(log_ticks(lo, hi))


def cell_edges(values: np.ndarray, log: bool) -> tuple[float, float]:
    """(first edge, last edge) of the cells centred on evenly spaced ``values`` (in log10
    units when ``log``)."""
    v = np.log10(values) if log else np.asarray(values, dtype=np.float64)
    half = (v[1] - v[0]) / 2 if v.size > 1 else 0.5
    return float(v[0] - half), float(v[-1] + half)


class SweepWindow(QtWidgets.QWidget):
    """A window with the sweep settings, the heat map and its colour bar."""

    configuration_picked = QtCore.Signal(int, object, bool)  # entry index, Optimizer, replace
    sweep_shown = QtCore.Signal(object)

    def __init__(self, main_window, parent=None) -> None:
        super().__init__(parent, QtCore.Qt.WindowType.Window)
        self.setWindowTitle("optviz: sweep map")
        self.main = main_window
        self.result = None
        self._entry = -1  # scene entry index the shown sweep was made for
        # The optimizer of that entry (a click on a cell replaces it): found again by value
        # when entries before it were removed or added since.
        self._swept = None
        self._scales = ("log", "linear")
        self.entry_combo = QtWidgets.QComboBox()
        self.entry_combo.setToolTip("The optimizer to sweep (its other values stay fixed)")
        self.second_combo = QtWidgets.QComboBox()
        self.second_combo.setToolTip("The hyperparameter on the vertical axis")
        self.lr_low = _log_spin(1e-4)
        self.lr_high = _log_spin(1.0)
        self.second_low = _plain_spin(0.0)
        self.second_high = _plain_spin(0.99)
        self.n_lr = _count_spin(40)
        self.n_second = _count_spin(40)
        self.steps = QtWidgets.QSpinBox()
        self.steps.setRange(1, 100_000)
        self.steps.setValue(min(main_window.scene.steps, 2000))
        self.metric_combo = QtWidgets.QComboBox()
        self.metric_combo.addItems(METRICS)
        self.on_click = QtWidgets.QComboBox()
        self.on_click.addItems(("replace the entry", "add an entry"))
        self.on_click.setToolTip("What a click on a cell does in the main window")
        self.run_button = QtWidgets.QPushButton("Run sweep")
        self.job = JobBar(main_window.controller)

        form = QtWidgets.QFormLayout()
        form.addRow("optimizer", self.entry_combo)
        form.addRow("lr from / to", _row(self.lr_low, self.lr_high, self.n_lr))
        form.addRow("second", self.second_combo)
        form.addRow("from / to", _row(self.second_low, self.second_high, self.n_second))
        form.addRow("steps", self.steps)
        form.addRow("show", self.metric_combo)
        form.addRow("click a cell to", self.on_click)
        side = QtWidgets.QVBoxLayout()
        side.addLayout(form)
        side.addWidget(self.run_button)
        side.addStretch(1)
        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = self.graphics.addPlot()
        self.plot.setMenuEnabled(False)
        for name in ("bottom", "left"):
            # Log axes are drawn in log10 units with ticks from log_ticks; SI prefixes
            # would append "(x0.001)" to them.
            self.plot.getAxis(name).enableAutoSIPrefix(False)
        # Cells without a value (diverged; never finished) are NaN, drawn transparent: this
        # grey shows through, distinct from every colour of the map.
        self.plot.vb.setBackgroundColor(NO_VALUE_COLOR)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.marker = pg.ScatterPlotItem(
            symbol="s", size=12, pen=pg.mkPen("w", width=2), brush=None
        )
        self.plot.addItem(self.marker)
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        self.hint = QtWidgets.QLabel("")
        right = QtWidgets.QVBoxLayout()
        right.addWidget(self.graphics, 1)
        right.addWidget(self.hint)
        right.addWidget(self.job)
        layout = QtWidgets.QHBoxLayout(self)
        layout.addLayout(side)
        layout.addLayout(right, 1)
        self.resize(1000, 640)

        self.entry_combo.currentIndexChanged.connect(self._on_entry)
        self.second_combo.currentIndexChanged.connect(self._on_second)
        self.metric_combo.currentIndexChanged.connect(self._draw)
        self.run_button.clicked.connect(self.run)
        self.refresh_entries()
        self.load_settings()
        self.metric_combo.currentIndexChanged.connect(self._store_metric)
        main_window.result_shown.connect(self._follow_entries)

    def load_settings(self) -> None:
        """Show the scene's sweep settings: entry, lr range, second axis, steps, metric."""
        settings = self.main.scene.studies.sweep
        if self.entry_combo.findData(settings.entry) >= 0:
            self.select_entry(settings.entry)
        if settings.x.key == "lr":  # the app's map always has lr across
            self.lr_low.setValue(settings.x.low)
            self.lr_high.setValue(settings.x.high)
            self.n_lr.setValue(max(2, min(settings.x.n, MAX_CELLS_PER_AXIS)))
        y = settings.y
        if y is not None and self.second_combo.findText(y.key) >= 0:
            self.second_combo.setCurrentText(y.key)
            self.second_low.setValue(y.low)
            self.second_high.setValue(y.high)
            self.n_second.setValue(max(2, min(y.n, MAX_CELLS_PER_AXIS)))
        self.steps.setValue(settings.steps)
        self.metric_combo.setCurrentIndex(SCENE_METRICS.index(settings.metric))

    def settings(self) -> SweepSettings:
        """The sweep settings shown (raises ValueError, with the reason, on a bad range)."""
        key = self.second_combo.currentText()
        if not key:
            raise ValueError("this optimizer has no second hyperparameter to sweep")
        return SweepSettings(
            entry=self.entry_combo.currentData(),
            x=Axis("lr", self.lr_low.value(), self.lr_high.value(), self.n_lr.value(), "log"),
            y=Axis(
                key,
                self.second_low.value(),
                self.second_high.value(),
                self.n_second.value(),
                self.second_combo.currentData()[0],
            ),
            steps=self.steps.value(),
            metric=SCENE_METRICS[self.metric_combo.currentIndex()],
        )

    def _store(self, settings: SweepSettings) -> None:
        w = self.main
        w.scene = replace(w.scene, studies=replace(w.scene.studies, sweep=settings))

    def _store_metric(self, index: int) -> None:
        sweep = self.main.scene.studies.sweep
        self._store(replace(sweep, metric=SCENE_METRICS[index]))

    # --- settings ------------------------------------------------------------------
    def refresh_entries(self) -> None:
        """List the scene's entries (keeping the selection when it still exists)."""
        scene = self.main.scene
        current = self.entry_combo.currentData()
        with QtCore.QSignalBlocker(self.entry_combo):
            self.entry_combo.clear()
            for i, entry in enumerate(scene.entries):
                if entry.optimizer.lr is not None and sweepable(entry.optimizer.name):
                    self.entry_combo.addItem(entry.optimizer.label, i)
            index = self.entry_combo.findData(current)
            self.entry_combo.setCurrentIndex(max(index, 0))
        self._on_entry()

    def _sweepable_entries(self) -> list[tuple[str, int]]:
        return [
            (e.optimizer.label, i)
            for i, e in enumerate(self.main.scene.entries)
            if e.optimizer.lr is not None and sweepable(e.optimizer.name)
        ]

    def _follow_entries(self, *_) -> None:
        """After every scene change: list the entries again if they changed, keeping the
        optimizer selected (found by its label) and, if it is still there, the ranges."""
        combo = self.entry_combo
        wanted = self._sweepable_entries()
        if wanted == [(combo.itemText(k), combo.itemData(k)) for k in range(combo.count())]:
            return
        label = combo.currentText()
        keys = [self.second_combo.itemText(k) for k in range(self.second_combo.count())]
        with QtCore.QSignalBlocker(combo):
            combo.clear()
            for text, i in wanted:
                combo.addItem(text, i)
            index = combo.findText(label)
            combo.setCurrentIndex(max(index, 0))
        optimizer = self._optimizer()
        same = optimizer is not None and keys == [k for k, *_ in sweepable(optimizer.name)]
        if index < 0 or not same:
            self._on_entry()

    def select_entry(self, index: int) -> None:
        self.entry_combo.setCurrentIndex(self.entry_combo.findData(index))

    def _optimizer(self):
        index = self.entry_combo.currentData()
        if index is None or index >= len(self.main.scene.entries):
            return None
        return self.main.scene.entries[index].optimizer

    def _on_entry(self) -> None:
        optimizer = self._optimizer()
        if optimizer is not None and optimizer.lr:
            # Centred on the entry's learning rate: two decades either side.
            self.lr_low.setValue(optimizer.lr / 100)
            self.lr_high.setValue(optimizer.lr * 100)
        with QtCore.QSignalBlocker(self.second_combo):
            self.second_combo.clear()
            for key, scale, low, high in sweepable(optimizer.name) if optimizer else ():
                self.second_combo.addItem(key, (scale, low, high))
        self._on_second()

    def _on_second(self) -> None:
        data = self.second_combo.currentData()
        if data is None:
            return
        scale, low, high = data
        for spin, value in ((self.second_low, low), (self.second_high, high)):
            spin.setDecimals(12 if scale == "log" else 4)
            spin.setValue(value)
        self.run_button.setEnabled(True)

    def axes(self) -> dict[str, np.ndarray]:
        """The sweep's axes from the settings (raises ValueError on a bad range)."""
        key = self.second_combo.currentText()
        if not key:
            raise ValueError("this optimizer has no second hyperparameter to sweep")
        scale = self.second_combo.currentData()[0]
        return {
            "lr": axis_values(self.lr_low.value(), self.lr_high.value(), self.n_lr.value(), "log"),
            key: axis_values(
                self.second_low.value(), self.second_high.value(), self.n_second.value(), scale
            ),
        }

    # --- running -------------------------------------------------------------------
    def run(self) -> None:
        optimizer = self._optimizer()
        if optimizer is None:
            self.job.state.setText("no optimizer to sweep: add one in the main window")
            return
        try:
            axes = self.axes()
            self._store(self.settings())  # saved with the scene
        except ValueError as err:
            self.job.state.setText(str(err))
            return
        scene = self.main.scene
        entry = self.entry_combo.currentData()
        scale = self.second_combo.currentData()[0]
        surface, starts, steps = scene.surface, scene.starts, self.steps.value()
        noise = scene_noise(scene)
        finish = current_finish(self.main)

        def job(progress, cancel):
            return sweep(
                surface,
                optimizer,
                axes,
                starts=starts,
                steps=steps,
                finish=finish,
                noise=noise,
                progress=progress,
                cancel=cancel,
            )

        def done(result) -> None:
            self.show_result(result, entry, scale)

        self.job.run(job, done, "sweeping")

    def show_result(self, result, entry: int, second_scale: str = "linear") -> None:
        self.result = result
        self._entry = entry
        entries = self.main.scene.entries
        self._swept = entries[entry].optimizer if 0 <= entry < len(entries) else None
        self._scales = ("log", second_scale)
        self.marker.setData([], [])
        self._draw()
        self.sweep_shown.emit(result)

    def _draw(self) -> None:
        result = self.result
        if result is None:
            return
        lr_key, key = result.dims
        lr, second = result.coords[lr_key], result.coords[key]
        log_second = self._scales[1] == "log"
        if self.metric_combo.currentText() == "final loss":
            loss = np.asarray(result.final_loss.values, dtype=np.float64)
            f_min = self.main.scene.surface.f_min
            shifted = loss - f_min if f_min is not None else loss
            values = np.log10(np.maximum(shifted, 1e-300))
            label = "log₁₀(final loss − f_min)" if f_min is not None else "log₁₀(final loss)"
            if f_min is None and (loss <= 0).any():
                values, label = loss, "final loss"
        else:
            steps = np.asarray(result.steps_to_finish.values, dtype=np.float64)
            values = np.where(steps >= 0, steps, np.nan)
            label = "steps to finish (blank: never)"
        finite = values[np.isfinite(values)]
        # The 1st to 99th percentile: a lone extreme cell would squeeze the rest into one
        # colour; cells beyond the range take the end colours.
        lo, hi = (
            (float(np.percentile(finite, 1)), float(np.percentile(finite, 99)))
            if finite.size
            else (0.0, 1.0)
        )
        hi = hi if hi > lo else lo + 1.0
        # NaN cells (diverged, never finished) stay transparent: the grey background shows.
        self.image.setImage(values.T, autoLevels=False, levels=(lo, hi))
        x0, x1 = cell_edges(lr, True)
        y0, y1 = cell_edges(second, log_second)
        self.image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self.colorbar.setLevels((lo, hi))
        self.colorbar.axis.setLabel(label)
        set_log_ticks(self.plot.getAxis("bottom"), x0, x1)
        if log_second:
            set_log_ticks(self.plot.getAxis("left"), y0, y1)
        else:
            self.plot.getAxis("left").setTicks(None)
        self.plot.setLabel("bottom", "learning rate lr (log axis)")
        self.plot.setLabel("left", f"{key} (log axis)" if log_second else key)
        name = self._swept.label if self._swept is not None else ""
        self.plot.setTitle(
            f"{name}: {self.metric_combo.currentText()}, {result.shape[0]} x "
            f"{result.shape[1]} configurations",
            size="10pt",
        )
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        diverged = int((np.asarray(result.diverged_step.values) >= 0).sum())
        blank = "diverged" if self.metric_combo.currentIndex() == 0 else "never finished"
        self.hint.setText(
            f"{diverged} of {values.size} configurations diverged; grey cells: {blank}. "
            "Click a cell to load it into the main view."
        )

    def _swept_row(self) -> int | None:
        """The scene entry that holds the swept optimizer now, or None if it is gone (or
        was edited since)."""
        if self._swept is None:
            return None
        optimizers = [e.optimizer for e in self.main.scene.entries]
        if 0 <= self._entry < len(optimizers) and optimizers[self._entry] == self._swept:
            return self._entry
        return next((i for i, o in enumerate(optimizers) if o == self._swept), None)

    # --- clicks --------------------------------------------------------------------
    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The (lr index, second index) of the cell at view coordinates (x, y)."""
        if self.result is None:
            return None
        lr_key, key = self.result.dims
        lr, second = self.result.coords[lr_key], self.result.coords[key]
        log_second = self._scales[1] == "log"
        i = _index(np.log10(lr), x)
        j = _index(np.log10(second) if log_second else second, y)
        if i is None or j is None:
            return None
        return i, j

    def cell_center(self, i: int, j: int) -> tuple[float, float]:
        lr_key, key = self.result.dims
        x = math.log10(self.result.coords[lr_key][i])
        y = self.result.coords[key][j]
        return x, (math.log10(y) if self._scales[1] == "log" else float(y))

    def pick(self, i: int, j: int) -> None:
        """Load cell (i, j) into the main view."""
        optimizer = self.result.optimizer_at(i, j)
        row = self._swept_row()
        if self._swept is not None:
            optimizer = optimizer.replace(label=self._swept.label)
        self.marker.setData(*([v] for v in self.cell_center(i, j)))
        replace = self.on_click.currentIndex() == 0 and row is not None
        self.configuration_picked.emit(-1 if row is None else row, optimizer, replace)
        if replace:  # the next click replaces the same entry again
            self._entry, self._swept = row, self.main.scene.entries[row].optimizer
            self.hint.setText(f"loaded {optimizer!r}")
            return
        # The new entry is the scene's last, under the unique label the window gave it.
        added = self.main.scene.entries[-1].optimizer
        if self.on_click.currentIndex() == 0:
            self.hint.setText(
                f"{optimizer.label} was removed or edited since the sweep: "
                f"added as a new entry, {added!r}"
            )
        else:
            self.hint.setText(f"added {added!r}")

    def _on_click(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton or self.result is None:
            return
        vb = self.plot.vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        cell = self.cell_at(p.x(), p.y())
        if cell is not None:
            self.pick(*cell)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.job.cancel()
        super().closeEvent(event)


def _index(centres: np.ndarray, v: float) -> int | None:
    """The index of the evenly spaced cell centre nearest ``v``, None outside the cells."""
    step = centres[1] - centres[0]
    i = int(round((v - centres[0]) / step))
    return i if 0 <= i < centres.size else None


def _log_spin(value: float) -> QtWidgets.QDoubleSpinBox:
    spin = QtWidgets.QDoubleSpinBox()
    spin.setDecimals(8)
    spin.setRange(1e-8, 1e3)
    spin.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    spin.setValue(value)
    return spin


def _plain_spin(value: float) -> QtWidgets.QDoubleSpinBox:
    spin = QtWidgets.QDoubleSpinBox()
    spin.setDecimals(4)
    spin.setRange(0.0, 1e6)
    spin.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    spin.setValue(value)
    return spin


def _count_spin(value: int) -> QtWidgets.QSpinBox:
    spin = QtWidgets.QSpinBox()
    spin.setRange(2, MAX_CELLS_PER_AXIS)
    spin.setValue(value)
    spin.setToolTip(f"values on this axis (2 to {MAX_CELLS_PER_AXIS})")
    return spin


def _row(*widgets) -> QtWidgets.QWidget:
    w = QtWidgets.QWidget()
    layout = QtWidgets.QHBoxLayout(w)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return w
