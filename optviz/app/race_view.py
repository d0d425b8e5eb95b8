"""Race mode: a finish line, a live leaderboard and the small-multiples layout.

``RaceMode`` attaches to the main window. When it is on, every result the window shows is
raced in the compute worker: the window's run records every step, so the finish steps are
found on its paths (``optviz.race.race_of``) instead of running ``optviz.race`` again.
The leaderboard follows the playback frame, and the paths are shown either over the
window's surface pane (overlay) or in one synchronized pane per optimizer (small
multiples) that share one heat-map array, one set of traced contours, one view and the
draggable start markers.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import partial

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.race import Finish, race_of

from .surface_layers import SurfaceLayers
from .surface_pane import StartMarkers
from .widgets import SciSpinBox

#: Finish-line kinds as the model names them, with what the threshold means.
FINISH_KINDS = (
    ("loss", "loss − f_min ≤"),
    ("distance", "distance to a minimum ≤"),
    ("grad_norm", "gradient norm ≤"),
)
LAYOUTS = ("overlay", "small multiples")
#: The same layouts as scene files name them (``RaceSettings.layout``).
SCENE_LAYOUTS = ("overlay", "multiples")


def grid_shape(n: int, width: float, height: float) -> tuple[int, int]:
    """(rows, columns) of the grid of ``n`` panes that keeps each pane closest to square
    in a ``width`` x ``height`` area."""
    if n <= 0:
        return 0, 0
    best = (math.inf, 1, n)
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        aspect = (width / cols) / (height / rows)
        badness = abs(math.log(aspect)) + 0.01 * (rows * cols - n)
        best = min(best, (badness, rows, cols))
    return best[1], best[2]


def _event_step(row) -> int:
    """The step of a leaderboard row's finish or divergence (-1: neither yet)."""
    if row.status == "finished":
        return int(row.finish_step)
    if row.status == "diverged":
        return int(row.diverged_step)
    return -1


def status_text(status: str, step: int) -> str:
    """The leaderboard's status column: 'finished at step 120', 'running', ..."""
    if status in ("finished", "diverged") and step >= 0:
        return f"{status} at step {step}"
    return status


class FinishEditor(QtWidgets.QWidget):
    """The finish line: its kind and threshold. ``finish_changed(Finish)`` on each edit."""

    finish_changed = QtCore.Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.kind = QtWidgets.QComboBox()
        for kind, text in FINISH_KINDS:
            self.kind.addItem(text, kind)
        self.kind.setToolTip("What counts as finishing the race")
        # Any threshold Finish takes (a finite number > 0), in scientific notation.
        self.threshold = SciSpinBox(1e-300, 1e300, digits=6)
        self.threshold.setToolTip("The finish threshold (> 0), e.g. 0.001 or 1e-10")
        # Room for six digits after leading zeros (the default distance is 0.00565685);
        # the box's own hint only fits its range's ends, "1e-300" and "1e+300".
        widest = self.threshold.fontMetrics().horizontalAdvance("0.000888888")
        self.threshold.setMinimumWidth(widest + self.threshold.sizeHint().height())
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind, 1)
        layout.addWidget(self.threshold)
        self.kind.currentIndexChanged.connect(self._emit)
        self.threshold.valueChanged.connect(self._emit)

    def finish(self):
        return Finish(self.kind.currentData(), float(self.threshold.value()))

    def set_finish(self, finish) -> None:
        with QtCore.QSignalBlocker(self.kind), QtCore.QSignalBlocker(self.threshold):
            self.kind.setCurrentIndex(max(0, self.kind.findData(finish.kind)))
            self.threshold.setValue(float(finish.threshold))

    def _emit(self) -> None:
        self.finish_changed.emit(self.finish())


class LeaderboardTable(QtWidgets.QTableWidget):
    """Rank, colour swatch + optimizer, steps to finish, current loss, status.

    The cells are created once per race and only their text changes per frame."""

    COLUMNS = ("#", "optimizer", "steps to\nfinish", "loss", "status")

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(self.COLUMNS), parent)
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setWordWrap(False)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        header = self.horizontalHeader()
        # Fixed widths, fitted to the widest text a column can hold: sizing to contents
        # would re-measure every cell on each frame's loss update (3 ms a frame at 12 rows).
        # The optimizer column takes what is left, so the status never gets cut short.
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        samples = ("88", "", "steps to", "8.88e-88", "finished at step 8888")
        for column, sample in enumerate(samples):
            if sample:
                self.setColumnWidth(column, metrics.horizontalAdvance(sample) + 10)
        self._icons: dict[str, QtGui.QIcon] = {}
        self._shown: list = []  # (optimizer index, colour) of each row's swatch

    def _icon(self, color: str) -> QtGui.QIcon:
        if color not in self._icons:
            pixmap = QtGui.QPixmap(12, 12)
            pixmap.fill(QtGui.QColor(color))
            self._icons[color] = QtGui.QIcon(pixmap)
        return self._icons[color]

    def set_rows(self, rows, colors: list[str]) -> None:
        """Show leaderboard ``rows`` (``optviz`` ``LeaderRow``s: rank, index, label,
        status, finish_step, diverged_step, loss), optimizer ``index`` in ``colors[index]``."""
        rows = list(rows)
        if self.rowCount() != len(rows):
            self._shown = []
            self.setRowCount(len(rows))
            for r in range(len(rows)):
                for c in range(len(self.COLUMNS)):
                    item = QtWidgets.QTableWidgetItem()
                    if c in (0, 2, 3):  # numbers right-aligned, text left
                        item.setTextAlignment(
                            QtCore.Qt.AlignmentFlag.AlignRight
                            | QtCore.Qt.AlignmentFlag.AlignVCenter
                        )
                    self.setItem(r, c, item)
        for r, row in enumerate(rows):
            loss = row.loss
            texts = (
                str(row.rank),
                row.label,
                str(row.finish_step) if row.finish_step >= 0 else "–",
                f"{loss:.3g}" if np.isfinite(loss) else "nan",
                status_text(row.status, _event_step(row)),
            )
            for c, text in enumerate(texts):
                item = self.item(r, c)
                if item.text() != text:
                    item.setText(text)
        order = [(row.index, colors[row.index] if row.index < len(colors) else "") for row in rows]
        if order != self._shown:  # swatches change only with the ranking or a recolouring
            self._shown = order
            for r, row in enumerate(rows):
                color = colors[row.index] if row.index < len(colors) else "#888888"
                self.item(r, 1).setIcon(self._icon(color))
            self.resizeColumnToContents(1)

    def texts(self) -> list[list[str]]:
        """The table's text, row by row (for tests and screenshots)."""
        return [
            [self.item(r, c).text() for c in range(self.columnCount())]
            for r in range(self.rowCount())
        ]


class MultiplesPane(pg.GraphicsLayoutWidget):
    """One surface pane per optimizer, in a grid that fits the widget, all showing the
    same view (zooming one zooms all). The heat map is computed once; the others copy it.

    Every pane has the start markers, as the surface pane does; dragging one moves that
    start in every pane and emits ``start_moved(index, x, y)``.
    """

    start_moved = QtCore.Signal(int, float, float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumSize(360, 320)
        self.layers: list[SurfaceLayers] = []
        self.plots: list[pg.PlotItem] = []
        self.markers: list[StartMarkers] = []
        self._surface = None
        self._view = None
        self._starts: tuple = ()
        self._shape = (0, 0)

    def set_surface(self, surface, view) -> None:
        """Show ``surface`` over ``view`` in every pane (nothing to do if already shown)."""
        if (surface, view) == (self._surface, self._view):
            return
        self._surface, self._view = surface, view
        if self.layers:
            self.layers[0].set_surface(surface, view)
            for layer in self.layers[1:]:
                layer.copy_surface_from(self.layers[0])

    def set_starts(self, starts) -> None:
        """Show a draggable marker per start in every pane."""
        self._starts = tuple(starts)
        for markers in self.markers:
            markers.set_starts(self._starts)

    def _on_start_dragged(self, plot: pg.PlotItem, index: int, x: float, y: float) -> None:
        starts = list(self._starts)
        if index >= len(starts):
            return
        starts[index] = (x, y)
        self._starts = tuple(starts)
        for markers in self.markers:  # the other panes follow the drag at once
            if markers.plot is not plot:
                markers.set_starts(self._starts)
        self.start_moved.emit(index, x, y)

    def _ensure(self, n: int) -> None:
        """Exactly ``n`` panes, laid out in the grid that fits the widget best."""
        shape = grid_shape(n, max(self.width(), 1), max(self.height(), 1))
        if n == len(self.plots) and shape == self._shape:
            return
        self._shape = shape
        for plot in self.plots:
            self.ci.removeItem(plot)
        while len(self.plots) < n:
            plot = pg.PlotItem()
            plot.setMenuEnabled(False)
            layer = SurfaceLayers(plot, colorbar=False, head_size=9)
            if self.plots:
                plot.setXLink(self.plots[0])
                plot.setYLink(self.plots[0])
            if self._surface is not None:
                if self.layers:
                    layer.copy_surface_from(self.layers[0])
                else:
                    layer.set_surface(self._surface, self._view)
            markers = StartMarkers(plot, partial(self._on_start_dragged, plot))
            markers.set_starts(self._starts)
            self.plots.append(plot)
            self.layers.append(layer)
            self.markers.append(markers)
        del self.plots[n:], self.layers[n:], self.markers[n:]
        cols = shape[1]
        for i, plot in enumerate(self.plots):
            self.ci.addItem(plot, row=i // cols, col=i % cols)

    def set_paths(self, xy, colors, labels) -> None:
        """float64[O, S, T+1, 2] (or None): optimizer o's paths go to pane o."""
        n = 0 if xy is None else xy.shape[0]
        self._ensure(n)
        for o, (plot, layer) in enumerate(zip(self.plots, self.layers)):
            layer.set_paths(xy[o : o + 1], [colors[o]])
            plot.setTitle(labels[o], size="8pt", color=colors[o])

    def set_frame(self, frame: int) -> None:
        for layer in self.layers:
            layer.set_frame(frame)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        plots = getattr(self, "plots", None)  # pyqtgraph resizes before __init__ ends
        if plots and grid_shape(len(self.plots), self.width(), self.height()) != self._shape:
            self._ensure(len(self.plots))


class RacePanel(QtWidgets.QWidget):
    """Finish line, layout, replay and the leaderboard."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.finish = FinishEditor()
        self.layout_combo = QtWidgets.QComboBox()
        self.layout_combo.addItems(LAYOUTS)
        self.layout_combo.setToolTip(
            "Overlay: every path on one surface; small multiples: one "
            "surface per optimizer, all synchronized"
        )
        self.replay_button = QtWidgets.QPushButton("Replay")
        self.replay_button.setToolTip("Restart the race from step 0 and play it")
        self.state = QtWidgets.QLabel("")
        self.state.setWordWrap(True)
        self.table = LeaderboardTable()
        form = QtWidgets.QFormLayout()
        form.addRow("finish when", self.finish)
        form.addRow("layout", self.layout_combo)
        box = QtWidgets.QVBoxLayout(self)
        title = QtWidgets.QLabel("<b>Race</b>")
        box.addWidget(title)
        box.addLayout(form)
        box.addWidget(self.replay_button)
        box.addWidget(self.table, 1)
        box.addWidget(self.state)


class RaceMode(QtCore.QObject):
    """Race mode of ``window`` (a ``MainWindow``): toggled by ``action`` (Ctrl+R)."""

    race_shown = QtCore.Signal(object)  # emitted when a RaceResult reached the leaderboard
    #: True when the small multiples replaced the surface pane, False when it is back.
    multiples_toggled = QtCore.Signal(bool)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.panel = RacePanel()
        self.multiples = MultiplesPane()
        self.race = None  # the RaceResult of the result shown, once computed
        self._pending = 0
        self._owed = False  # the race of the result shown was cancelled by another job
        self._colors: list[str] = []
        split = window.surface_pane.parentWidget()
        assert isinstance(split, QtWidgets.QSplitter), "the surface pane sits in a splitter"
        split.insertWidget(1, self.multiples)
        split.addWidget(self.panel)
        self.multiples.hide()
        self.panel.hide()
        self.action = QtGui.QAction("&Race mode", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QtGui.QKeySequence("Ctrl+R"))
        self.action.setToolTip("Race the optimizers to a finish line, with a leaderboard")
        self.action.toggled.connect(self.set_enabled)
        self.panel.finish.finish_changed.connect(self._on_finish_changed)
        self.panel.layout_combo.currentIndexChanged.connect(self._on_layout_picked)
        self.panel.replay_button.clicked.connect(self.replay)
        self.multiples.start_moved.connect(window.move_start)
        window.result_shown.connect(self._on_result)
        window.playback.frame_changed.connect(self._on_frame)
        c = window.controller
        c.job_finished.connect(self._on_job_finished)
        c.job_failed.connect(self._on_job_failed)
        c.job_cancelled.connect(self._on_job_cancelled)

    @property
    def enabled(self) -> bool:
        return self.action.isChecked()

    @property
    def layout(self) -> str:
        return self.panel.layout_combo.currentText()

    @property
    def finish(self):
        """The scene's finish line (its surface's default when the scene has none)."""
        return scene_finish(self.window.scene)

    def _store(self, **changes) -> None:
        """Write race settings into the scene (saved with it; no recompute)."""
        w = self.window
        studies = w.scene.studies
        w.scene = replace(w.scene, studies=replace(studies, race=replace(studies.race, **changes)))

    def _sync_from_scene(self) -> None:
        """Show the scene's finish line and layout (after a scene was opened)."""
        settings = self.window.scene.studies.race
        self.panel.finish.set_finish(self.finish)
        layout = LAYOUTS[SCENE_LAYOUTS.index(settings.layout)]
        if layout != self.layout:
            with QtCore.QSignalBlocker(self.panel.layout_combo):
                self.panel.layout_combo.setCurrentText(layout)
            self._apply_layout()

    def set_layout(self, layout: str) -> None:
        """Use ``layout`` and store it in the scene, whatever the box showed before (a
        box already on it emits nothing, and the scene's own layout would win)."""
        if layout not in LAYOUTS:
            raise ValueError(f"layout {layout!r} must be one of {', '.join(LAYOUTS)}")
        index = LAYOUTS.index(layout)
        with QtCore.QSignalBlocker(self.panel.layout_combo):
            self.panel.layout_combo.setCurrentIndex(index)
        self._on_layout_picked(index)

    def set_enabled(self, on: bool) -> None:
        if self.action.isChecked() != on:
            self.action.setChecked(on)  # comes back here through toggled
            return
        self.panel.setVisible(on)
        self.window.metrics_pane.setVisible(not on)
        if on:
            self.panel.finish.set_finish(self.finish)
            with QtCore.QSignalBlocker(self.panel.layout_combo):
                layout = SCENE_LAYOUTS.index(self.window.scene.studies.race.layout)
                self.panel.layout_combo.setCurrentIndex(layout)
        self._apply_layout()
        if on:
            self._on_result(self.window.result)
        else:
            self.race = None

    @property
    def multiples_shown(self) -> bool:
        """Whether the small multiples are laid out in place of the surface pane."""
        return self.window.surface_pane.isHidden()

    def _apply_layout(self) -> None:
        multiples = self.enabled and self.layout == "small multiples"
        toggled = multiples != self.multiples_shown
        self.window.surface_pane.setVisible(not multiples)
        self.multiples.setVisible(multiples)
        self._fit_sizes()
        if multiples:
            self._show_paths()
        if toggled:
            self.multiples_toggled.emit(multiples)

    def _fit_sizes(self) -> None:
        """Share the splitter's width: the leaderboard (or the metric panes) 2/5, the
        surface (or the small multiples) 3/5, as the window's own layout does."""
        split = self.panel.parentWidget()
        total = max(sum(split.sizes()), 1)
        sizes = []
        for i in range(split.count()):
            w = split.widget(i)
            side = w is self.panel or w is self.window.metrics_pane
            sizes.append(0 if w.isHidden() else (2 * total // 5 if side else 3 * total // 5))
        split.setSizes(sizes)

    def _show_paths(self) -> None:
        w = self.window
        scene = w.scene
        self.multiples.set_surface(scene.surface, scene.view_box)
        self.multiples.set_starts(scene.starts)
        result = w.result
        labels = [scene.entries[i].optimizer.label for i in scene.enabled]
        self.multiples.set_paths(result.xy if result is not None else None, w._colors, labels)
        # Drawn now, not when the race arrives: a drag's next run cancels that race.
        self.multiples.set_frame(w.playback.frame)

    def replay(self) -> None:
        self.window.playback.restart()
        self.window.playback.play()

    def _on_layout_picked(self, index: int) -> None:
        self._store(layout=SCENE_LAYOUTS[index])
        self._apply_layout()

    def _on_finish_changed(self, finish) -> None:
        self._store(finish=finish)
        if self.window.run_in_flight:
            return  # its result is raced with this finish when shown; a job now cancels it
        self._on_result(self.window.result)

    def _on_result(self, result) -> None:
        if not self.enabled:
            return
        self._owed = False
        if result is None:
            self.race = None
            self.panel.table.set_rows([], [])
            self.panel.state.setText("no optimizer enabled")
            if self.layout == "small multiples":
                self._show_paths()
            return
        self._sync_from_scene()
        if self.layout == "small multiples":
            self._show_paths()
        # The leaderboard races the paths shown: the result's own optimizers and colours.
        self._colors = list(self.window._colors)
        self.panel.state.setText("racing…")
        self._pending = self.window.controller.submit_job(partial(race_of, result, self.finish))

    def _on_job_finished(self, request_id: int, race) -> None:
        if request_id != self._pending:
            self._race_again(request_id)
            return
        self.race = race
        self.panel.state.setText(_summary(race))
        self._on_frame(self.window.playback.frame)
        self.race_shown.emit(race)

    def _on_job_failed(self, request_id: int, message: str) -> None:
        if request_id == self._pending:
            self.panel.state.setText(f"race failed: {message}")
        else:
            self._race_again(request_id)

    def _on_job_cancelled(self, request_id: int) -> None:
        if request_id != self._pending:
            self._race_again(request_id)
        elif self.enabled and request_id == self.window.controller.latest_id:
            self.panel.state.setText("race cancelled")  # by the user (Esc)
        elif self.enabled:
            # A tune, swarm or sweep job took over the worker: race once it is done
            # (a newer run instead brings its own race).
            self._owed = True

    def _race_again(self, request_id: int) -> None:
        """Race the result shown again after the job ``request_id`` that cancelled its
        race ended, unless something newer is already computing."""
        if self._owed and request_id == self.window.controller.latest_id:
            self._on_result(self.window.result)

    def _on_frame(self, frame: int) -> None:
        if not self.enabled:
            return
        if self.multiples.isVisible():
            self.multiples.set_frame(frame)
        if self.race is not None:
            self.panel.table.set_rows(self.race.leaderboard(frame), self._colors)


def scene_noise(scene):
    """The noise the scene's runs use (as ``Scene.run_spec`` decides it), or None."""
    probe = scene.run_spec() if scene.enabled else None
    return probe.noise if probe is not None else None


def current_finish(window):
    """The finish line in use: the scene's (set in race mode), else the surface's default."""
    return scene_finish(window.scene)


def scene_finish(scene):
    """The scene's finish line if it has one, else the surface's default."""
    finish = scene.studies.race.finish
    return finish if finish is not None else Finish.default_for(scene.surface)


def _summary(race) -> str:
    done = [s for s in race.finish_step if s >= 0]
    if not done:
        return f"in {race.steps} steps, nobody reached the finish line"
    return (
        f"in {race.steps} steps, {len(done)} of {len(race.finish_step)} finished, "
        f"the first at step {min(done)}"
    )
