"""Tune: search each enabled optimizer's learning rate, show what was searched, apply.

``TuneDialog`` runs ``optviz.tune`` for every enabled entry of the scene, one after the
other inside ONE job of the compute worker (each tune is one parallel engine call over its
grid), then plots, per optimizer, the score over the lr grid on a log axis with the chosen
value marked. "Apply" puts the chosen values into the scene's entries (an ordinary edit:
the optimizer editor shows them and can change them back; saved with the scene).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from optviz.studies import Axis, TuneSettings
from optviz.sweep import tune

from .job_bar import JobBar
from .race_view import FinishEditor, current_finish, grid_shape, scene_noise
from .sweep_view import set_log_ticks, sweepable

DEFAULT_LR_GRID = (1e-4, 1.0, 25)
#: ``tune``'s criteria, as scenes name them, with what they mean.
CRITERIA = (
    ("steps", "fewest steps to finish, then final loss"),
    ("loss", "lowest final loss"),
)


class TuneDialog(QtWidgets.QWidget):
    """Grid, criterion, one score plot per optimizer, Apply."""

    tuned = QtCore.Signal(object)  # list of (entry index, TuneResult)
    applied = QtCore.Signal()

    def __init__(self, main_window, parent=None) -> None:
        super().__init__(parent, QtCore.Qt.WindowType.Window)
        self.setWindowTitle("optviz: tune the learning rates")
        self.main = main_window
        self.results: list[tuple[int, object]] = []
        # The optimizer each result was tuned from, found again by value on Apply (entries
        # before it may have been removed or added since).
        self._sources: dict[int, object] = {}
        low, high, n = DEFAULT_LR_GRID
        self.lr_low = QtWidgets.QDoubleSpinBox()
        self.lr_high = QtWidgets.QDoubleSpinBox()
        for spin, value in ((self.lr_low, low), (self.lr_high, high)):
            spin.setDecimals(8)
            spin.setRange(1e-8, 1e3)
            spin.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
            spin.setValue(value)
        self.n_lr = QtWidgets.QSpinBox()
        self.n_lr.setRange(2, 400)
        self.n_lr.setValue(n)
        self.n_lr.setToolTip("learning rates on the log grid")
        self.steps = QtWidgets.QSpinBox()
        self.steps.setRange(1, 100_000)
        self.steps.setValue(min(main_window.scene.steps, 2000))
        self.second = QtWidgets.QComboBox()
        self.second.setToolTip(
            "Optionally search a second hyperparameter too (for the optimizers that have it; "
            "the others search lr only)"
        )
        self.second.addItem("none", None)
        for key, scale, low, high in _second_keys(main_window.scene):
            self.second.addItem(key, (scale, low, high))
        self.second_low = QtWidgets.QDoubleSpinBox()
        self.second_high = QtWidgets.QDoubleSpinBox()
        for spin in (self.second_low, self.second_high):
            spin.setDecimals(10)
            spin.setRange(0.0, 1e6)
            spin.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.n_second = QtWidgets.QSpinBox()
        self.n_second.setRange(2, 100)
        self.n_second.setValue(5)
        self.finish = FinishEditor()
        self.finish.set_finish(current_finish(main_window))
        self.criterion_combo = QtWidgets.QComboBox()
        for name, text in CRITERIA:
            self.criterion_combo.addItem(text, name)
        self.criterion = QtWidgets.QLabel("")
        self.criterion.setWordWrap(True)
        self.run_button = QtWidgets.QPushButton("Tune")
        self.apply_button = QtWidgets.QPushButton("Apply the chosen values")
        self.apply_button.setEnabled(False)
        self.job = JobBar(main_window.controller)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumHeight(300)
        self.summary = QtWidgets.QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QtWidgets.QFormLayout()
        grid_row = QtWidgets.QHBoxLayout()
        for w in (self.lr_low, QtWidgets.QLabel("to"), self.lr_high, self.n_lr):
            grid_row.addWidget(w)
        form.addRow("lr grid (log)", grid_row)
        second_row = QtWidgets.QHBoxLayout()
        for w in (
            self.second,
            self.second_low,
            QtWidgets.QLabel("to"),
            self.second_high,
            self.n_second,
        ):
            second_row.addWidget(w)
        form.addRow("and", second_row)
        form.addRow("steps", self.steps)
        form.addRow("finish when", self.finish)
        form.addRow("best is", self.criterion_combo)
        form.addRow("criterion", self.criterion)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.apply_button)
        buttons.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.job)
        self.resize(900, 700)
        self.run_button.clicked.connect(self.run)
        self.apply_button.clicked.connect(self.apply)
        self._describe_criterion()
        self.finish.finish_changed.connect(self._describe_criterion)
        self.finish.finish_changed.connect(self._store_finish)
        self.criterion_combo.currentIndexChanged.connect(self._describe_criterion)
        self.second.currentIndexChanged.connect(self._on_second)
        self._on_second()
        self.load_settings()

    def load_settings(self) -> None:
        """Show the scene's tune settings (grid, second axis, criterion) and finish line."""
        scene = self.main.scene
        settings = scene.studies.tune
        self.lr_low.setValue(settings.lr.low)
        self.lr_high.setValue(settings.lr.high)
        self.n_lr.setValue(max(settings.lr.n, 2))
        self.criterion_combo.setCurrentIndex(
            max(0, self.criterion_combo.findData(settings.criterion))
        )
        self.finish.set_finish(current_finish(self.main))
        axis = settings.second
        if axis is None:
            self.second.setCurrentIndex(0)
        else:
            if self.second.findText(axis.key) < 0:
                self.second.addItem(axis.key, (axis.scale, axis.low, axis.high))
            self.second.setCurrentText(axis.key)
            self.second_low.setValue(axis.low)
            self.second_high.setValue(axis.high)
            self.n_second.setValue(max(axis.n, 2))
        self._describe_criterion()

    def settings(self) -> TuneSettings:
        """The tune settings shown (raises ValueError, with the reason, on a bad grid)."""
        lr = Axis("lr", self.lr_low.value(), self.lr_high.value(), self.n_lr.value(), "log")
        data = self.second.currentData()
        second = None
        if data is not None:
            second = Axis(
                self.second.currentText(),
                self.second_low.value(),
                self.second_high.value(),
                self.n_second.value(),
                data[0],
            )
        return TuneSettings(lr, second, self.criterion_combo.currentData())

    def _store_finish(self, finish) -> None:
        w = self.main
        studies = w.scene.studies
        w.scene = replace(
            w.scene, studies=replace(studies, race=replace(studies.race, finish=finish))
        )

    def _on_second(self) -> None:
        data = self.second.currentData()
        for w in (self.second_low, self.second_high, self.n_second):
            w.setEnabled(data is not None)
        if data is not None:
            _, low, high = data
            self.second_low.setValue(low)
            self.second_high.setValue(high)

    def _describe_criterion(self, *_) -> None:
        finish = self.finish.finish()
        if self.criterion_combo.currentData() == "loss":
            text = "the lowest final loss (mean over the starts); diverged runs last"
        else:
            text = (
                f"fewest steps until {finish.describe(self.main.scene.surface)}; ties and runs "
                "that never finish by the lowest final loss; diverged runs last"
            )
        self.criterion.setText(text)

    def run(self) -> None:
        scene = self.main.scene
        try:
            settings = self.settings()
            grid = settings.lr.values()
            second = settings.second_values()
        except ValueError as err:
            self.job.state.setText(str(err))
            return
        # Saved with the scene: what was searched, and by which criterion.
        self.main.scene = scene = replace(scene, studies=replace(scene.studies, tune=settings))
        criterion = settings.criterion
        todo = [
            (i, scene.entries[i].optimizer)
            for i in scene.enabled
            if scene.entries[i].optimizer.lr is not None
        ]
        if not todo:
            self.job.state.setText("no enabled optimizer has a learning rate to tune")
            return
        surface, starts, steps = scene.surface, scene.starts, self.steps.value()
        noise = scene_noise(scene)
        finish = self.finish.finish()
        keys = {i: {k for k, *_ in sweepable(o.name)} for i, o in todo}

        def job(progress, cancel):
            out = []
            for k, (index, optimizer) in enumerate(todo):

                def part(done, total, k=k):
                    progress(k * total + done, len(todo) * total)

                out.append(
                    (
                        index,
                        tune(
                            surface,
                            optimizer,
                            lr_grid=grid,
                            criterion=criterion,
                            second=second if second and second[0] in keys[index] else None,
                            starts=starts,
                            steps=steps,
                            finish=finish,
                            noise=noise,
                            progress=part,
                            cancel=cancel,
                        ),
                    )
                )
            return out

        self.apply_button.setEnabled(False)
        sources = dict(todo)

        def done(results) -> None:
            self._sources = sources
            self.show_results(results)

        self.job.run(job, done, f"tuning {len(todo)} optimizers")

    def show_results(self, results) -> None:
        self.results = list(results)
        self.graphics.clear()
        n = len(self.results)
        _, cols = grid_shape(n, max(self.graphics.width(), 1), max(self.graphics.height(), 1))
        lines = []
        for k, (index, tuned) in enumerate(self.results):
            entry = self.main.scene.entries[index] if index < len(self.main.scene.entries) else None
            plot = self.graphics.addPlot(row=k // cols, col=k % cols)
            self._plot(
                plot,
                tuned,
                entry.color if entry else "#dddddd",
                entry.optimizer.label if entry else tuned.best.label,
            )
            lines.append(f"{tuned.best.label}: {_chosen(tuned)}")
        if self.results:
            self.summary.setText(
                f"Criterion: {self.results[0][1].criterion}. Chosen: "
                + "; ".join(lines)
                + ". Dashed line: the chosen lr; red ×: diverged."
            )
        self.apply_button.setEnabled(bool(self.results))
        self.tuned.emit(self.results)

    def _plot(self, plot: pg.PlotItem, tuned, color: str, label: str) -> None:
        """Steps to finish over log10(lr) (or the final loss when no lr finished), never-
        finished and diverged points marked, the chosen lr as a vertical line."""
        sweep = tuned.sweep
        lr = np.asarray(tuned.grid["lr"], dtype=np.float64)
        steps = _first_axis(sweep.steps_to_finish.values, tuned.best_index)
        loss = _first_axis(sweep.final_loss.values, tuned.best_index)
        diverged = _first_axis(sweep.diverged_step.values, tuned.best_index) >= 0
        x = np.log10(lr)
        for name in ("bottom", "left"):
            plot.getAxis(name).enableAutoSIPrefix(False)
        set_log_ticks(plot.getAxis("bottom"), float(x.min()), float(x.max()))
        plot.setLabel("bottom", "lr")
        plot.setMenuEnabled(False)
        finished = (steps >= 0) & ~diverged
        if finished.any():
            y = np.where(finished, steps.astype(np.float64), np.nan)
            top = float(np.nanmax(y)) * 1.1 + 1
            plot.setLabel("left", "steps to finish")
        else:
            f_min = self.main.scene.surface.f_min
            shifted = loss - (f_min if f_min is not None else 0.0)
            y = np.log10(np.maximum(shifted, 1e-300))
            y[diverged] = np.nan
            plot.getAxis("left").setLogMode(True)
            plot.setLabel("left", "final loss − f_min" if f_min is not None else "final loss")
            top = float(np.nanmax(y)) + 0.5 if np.isfinite(y).any() else 1.0
        plot.plot(
            x,
            y,
            pen=pg.mkPen(color, width=2),
            symbol="o",
            symbolSize=5,
            symbolBrush=color,
            connect="finite",
        )
        if diverged.any():
            plot.plot(
                x[diverged],
                np.full(int(diverged.sum()), top),
                pen=None,
                symbol="x",
                symbolSize=8,
                symbolBrush="#e15759",
                symbolPen="#e15759",
            )
        best = math.log10(tuned.best.lr)
        plot.addItem(pg.InfiniteLine(best, angle=90, pen=pg.mkPen("w", width=1, dash=[4, 3])))
        plot.setTitle(f"{label}: {_chosen(tuned)}", size="9pt", color=color)

    def apply(self) -> None:
        """Put each tuned optimizer's chosen values into its entry (keeping its label);
        an entry removed or edited since the tune is left alone."""
        scene = self.main.scene
        entries = list(scene.entries)
        results, sources, missing = [], {}, []
        for index, tuned in self.results:
            source = self._sources.get(index)
            row = _row_of(entries, source, index) if source is not None else index
            if row is None or row >= len(entries):
                missing.append(tuned.best.label)
                continue
            old = entries[row]
            best = tuned.best.replace(label=old.optimizer.label)
            entries[row] = type(old)(best, old.color, old.enabled)
            results.append((row, tuned))
            sources[row] = best  # so that Apply again finds the same entry
        self.results, self._sources = results, sources
        if results:
            self.main.set_scene(scene.with_entries(entries))
        text = "applied; edit an optimizer to change it back. " if results else ""
        if missing:
            text += f"Not applied to {', '.join(missing)}: removed or edited since the tune"
        self.job.state.setText(text.strip())
        self.apply_button.setEnabled(bool(results))
        self.applied.emit()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.job.cancel()
        super().closeEvent(event)


def _row_of(entries, optimizer, hint: int) -> int | None:
    """The row of ``entries`` whose optimizer is ``optimizer`` (``hint`` first), or None."""
    optimizers = [e.optimizer for e in entries]
    if 0 <= hint < len(optimizers) and optimizers[hint] == optimizer:
        return hint
    return next((i for i, o in enumerate(optimizers) if o == optimizer), None)


def _chosen(tuned) -> str:
    """'lr = 0.001' or 'lr = 0.001, momentum = 0.9': the values the tune chose."""
    keys = list(tuned.grid)
    return ", ".join(f"{key} = {tuned.grid[key][i]:.3g}" for key, i in zip(keys, tuned.best_index))


def _second_keys(scene) -> list[tuple[str, str, float, float]]:
    """The second hyperparameters some enabled optimizer of ``scene`` has, each once."""
    seen: dict[str, tuple[str, str, float, float]] = {}
    for i in scene.enabled:
        for row in sweepable(scene.entries[i].optimizer.name):
            seen.setdefault(row[0], row)
    return list(seen.values())


def _first_axis(values, best_index) -> np.ndarray:
    """The lr slice of a tune grid (the other axes at the chosen values)."""
    values = np.asarray(values)
    if values.ndim == 1:
        return values
    return values[(slice(None), *tuple(best_index)[1:])]
