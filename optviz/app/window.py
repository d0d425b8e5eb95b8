"""The main window: scene state, the compute worker, panes, menus and persistence.

The window holds one immutable ``Scene``. Every edit builds a new scene and submits
its run to the worker (newest wins); results come back on the main thread and the
panes update their existing items with ``setData``.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import replace
from pathlib import Path

import numba
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

import optviz
from optviz.engine.noise import Noise
from optviz.engine.run import Result
from optviz.scene import Scene, SceneError, default_scene
from optviz.surfaces.presets import PRESETS

from . import gui_gc
from .desktop import icon_svg
from .metrics_pane import MetricsPane
from .optimizer_panel import OptimizerPanel
from .playback import PlaybackBar
from .races import SHORTCUTS as RACE_SHORTCUTS
from .races import Races
from .surface_pane import SurfacePane
from .surface_tools import SHORTCUTS as SURFACE_SHORTCUTS
from .surface_tools import SurfaceTools, picker_key
from .worker import SimulationController

log = logging.getLogger("optviz")

#: Runs longer than this show the progress bar and the cancel button.
PROGRESS_AFTER_S = 0.3
#: While the start is dragged, the metric panes (the slowest to paint) follow this long
#: after the last move; the trajectories redraw on every move.
METRICS_DRAG_DELAY_MS = 100
PIXMAP_CACHE_KB = 256 * 1024

SHORTCUTS = (
    ("Space", "Play / pause"),
    ("Left / Right", "Step back / forward"),
    ("Home", "Restart from step 0"),
    ("Ctrl+N", "New scene (the default scene)"),
    ("Ctrl+O", "Open a scene"),
    ("Ctrl+S", "Save the scene"),
    ("Ctrl+Shift+S", "Save the scene as"),
    ("Ctrl+E", "Export a video, GIF, image or the run's data"),
    ("Ctrl+D", "Duplicate the selected optimizer"),
    ("Delete", "Remove the selected optimizer"),
    ("G", "Show / hide gradient components"),
    ("Esc", "Cancel the running computation"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit"),
    ("Click / Shift+click", "Set the start point / add a start point"),
    ("Drag the start marker", "Recompute every path while dragging"),
    *RACE_SHORTCUTS,
    *SURFACE_SHORTCUTS,
)


class MainWindow(QtWidgets.QMainWindow):
    """The optviz window. ``scene`` is the current scene; ``result`` its last run."""

    result_shown = QtCore.Signal(object)  # emitted after a result reached the panes

    def __init__(
        self,
        scene: Scene | None = None,
        settings: QtCore.QSettings | None = None,
        restore: bool = True,
    ) -> None:
        super().__init__()
        # Before any thread starts: garbage is collected on this (the GUI) thread only.
        gui_gc.acquire()
        self._holds_gc = True
        self.setWindowTitle("optviz")
        self.setWindowIcon(QtGui.QIcon(str(icon_svg())))
        self.settings = settings or QtCore.QSettings()
        # Static items (heat map, contours, metric curves) are cached as pixmaps so that
        # playback only repaints what moves; Qt's default 10 MB cache holds too few.
        if QtGui.QPixmapCache.cacheLimit() < PIXMAP_CACHE_KB:
            QtGui.QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)
        self.path: Path | None = None
        self.result: Result | None = None
        self._colors: list[str] = []
        self._run_began = 0.0
        self._pending: dict[int, list[str]] = {}
        # True from a run's submission until its result (or failure) is shown: a tune,
        # swarm or sweep job submitted meanwhile cancels it, and it runs again after.
        self._run_owed = False
        self.controller = SimulationController(self)
        self._dragging = False
        self._metrics_timer = QtCore.QTimer(self)
        self._metrics_timer.setSingleShot(True)
        self._metrics_timer.setInterval(METRICS_DRAG_DELAY_MS)
        self._metrics_timer.timeout.connect(self._draw_metrics)

        self.surface_pane = SurfacePane()
        self.metrics_pane = MetricsPane()
        self.playback = PlaybackBar()
        self.optimizers = OptimizerPanel()
        self._build_controls()
        self._build_layout()
        self._build_status_bar()
        self._build_menus()
        self._connect()
        self.races = Races(self)  # race mode, tune, swarm and sweep maps (the Races menu)
        # Formula, sculpt, height-map and dataset surfaces (the Surface menu and editor dock).
        self.surface_tools = SurfaceTools(self)

        if scene is None and restore:
            scene = self._restored_scene()
        self.scene: Scene = scene or default_scene()
        self._apply_scene(self.scene, surface_changed=True)
        if restore:
            geometry = self.settings.value("window/geometry")
            if geometry is not None:
                self.restoreGeometry(geometry)
        if not restore or self.settings.value("window/geometry") is None:
            self._fit_to_screen()

    # --- construction --------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.surface_combo = QtWidgets.QComboBox()
        for name, info in PRESETS.items():
            self.surface_combo.addItem(info.title, name)
        self.surface_combo.setToolTip("Loss surface (presets of the lecture notes)")
        self.steps_spin = QtWidgets.QSpinBox()
        self.steps_spin.setRange(1, 100_000)
        self.steps_spin.setSingleStep(100)
        self.steps_spin.setKeyboardTracking(False)
        self.noise_spin = QtWidgets.QDoubleSpinBox()
        self.noise_spin.setRange(0.0, 1e4)
        self.noise_spin.setDecimals(3)
        self.noise_spin.setSingleStep(0.1)
        self.noise_spin.setKeyboardTracking(False)
        self.noise_spin.setToolTip(
            "Standard deviation of the Gaussian noise added to each "
            "gradient coordinate (0: exact gradients)"
        )
        self.batch_spin = QtWidgets.QSpinBox()
        # 0 is "none": no minibatches. On dataset surfaces B >= 1 draws B examples per step
        # (so 1 is single-example SGD, not the full batch); elsewhere it divides the noise
        # std by sqrt(B).
        self.batch_spin.setRange(0, 1_000_000)
        self.batch_spin.setSpecialValueText("none")
        self.batch_spin.setKeyboardTracking(False)
        self.batch_spin.setToolTip(
            "Minibatch size. Dataset surfaces: examples per step, drawn without replacement "
            "and reshuffled every epoch ('none': the full batch). Other surfaces: the noise "
            "std is divided by √batch."
        )
        self.seed_spin = QtWidgets.QSpinBox()
        self.seed_spin.setRange(0, 2_000_000_000)
        self.seed_spin.setKeyboardTracking(False)
        self.components_check = QtWidgets.QCheckBox("gradient components")
        self.components_check.setToolTip("Show |gₓ| and |g_y| in the gradient pane (G)")

    def _build_layout(self) -> None:
        settings_box = QtWidgets.QGroupBox("Surface and run")
        form = QtWidgets.QFormLayout(settings_box)
        form.addRow("surface", self.surface_combo)
        form.addRow("steps", self.steps_spin)
        form.addRow("noise std", self.noise_spin)
        form.addRow("batch size", self.batch_spin)
        form.addRow("seed", self.seed_spin)
        form.addRow(self.components_check)
        side = QtWidgets.QWidget()
        side_layout = QtWidgets.QVBoxLayout(side)
        side_layout.addWidget(settings_box)
        opt_box = QtWidgets.QGroupBox("Optimizers")
        QtWidgets.QVBoxLayout(opt_box).addWidget(self.optimizers)
        side_layout.addWidget(opt_box, 1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(330)
        scroll.setMaximumWidth(420)
        dock = QtWidgets.QDockWidget("Scene", self)
        dock.setObjectName("scene-dock")
        dock.setWidget(scroll)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        split.addWidget(self.surface_pane)
        split.addWidget(self.metrics_pane)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split, 1)
        layout.addWidget(self.playback)
        self.setCentralWidget(central)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.state_label = QtWidgets.QLabel("loading kernels…")
        self._warm = False
        # Loading cached kernels takes well under a second; if it takes longer they are
        # being compiled (first launch, or after an update): say so.
        QtCore.QTimer.singleShot(1500, self._explain_compiling)
        self.speed_label = QtWidgets.QLabel("")
        self.backend_label = QtWidgets.QLabel(f"backend: cpu ({numba.get_num_threads()} threads)")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setVisible(False)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        bar.addWidget(self.state_label, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.speed_label)
        bar.addPermanentWidget(self.backend_label)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.new_action = file_menu.addAction("&New", QtGui.QKeySequence.StandardKey.New)
        self.open_action = file_menu.addAction("&Open…", QtGui.QKeySequence.StandardKey.Open)
        self.save_action = file_menu.addAction("&Save", QtGui.QKeySequence.StandardKey.Save)
        self.save_as_action = file_menu.addAction("Save &As…", QtGui.QKeySequence("Ctrl+Shift+S"))
        self.export_action = file_menu.addAction("&Export…", QtGui.QKeySequence("Ctrl+E"))
        file_menu.addSeparator()
        self.quit_action = file_menu.addAction("&Quit", QtGui.QKeySequence("Ctrl+Q"))
        edit_menu = menu.addMenu("&Edit")
        self.duplicate_action = edit_menu.addAction(
            "&Duplicate optimizer", QtGui.QKeySequence("Ctrl+D")
        )
        self.remove_action = edit_menu.addAction(
            "&Remove optimizer", QtGui.QKeySequence.StandardKey.Delete
        )
        view_menu = menu.addMenu("&View")
        self.play_action = view_menu.addAction("&Play / pause", QtGui.QKeySequence("Space"))
        self.back_action = view_menu.addAction("Step &back", QtGui.QKeySequence("Left"))
        self.forward_action = view_menu.addAction("Step &forward", QtGui.QKeySequence("Right"))
        self.restart_action = view_menu.addAction("&Restart", QtGui.QKeySequence("Home"))
        self.components_action = view_menu.addAction(
            "Gradient &components", QtGui.QKeySequence("G")
        )
        self.cancel_action = view_menu.addAction("&Cancel computation", QtGui.QKeySequence("Esc"))
        help_menu = menu.addMenu("&Help")
        self.shortcuts_action = help_menu.addAction("&Shortcuts", QtGui.QKeySequence("F1"))
        self.about_action = help_menu.addAction("&About optviz")
        for action in (
            self.play_action,
            self.back_action,
            self.forward_action,
            self.restart_action,
            self.components_action,
            self.cancel_action,
        ):
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)

    def _connect(self) -> None:
        c = self.controller
        c.warmup_finished.connect(self._on_warmup_finished)
        c.run_started.connect(self._on_run_started)
        c.run_progress.connect(self._on_run_progress)
        c.run_finished.connect(self._on_run_finished)
        c.run_failed.connect(self._on_run_failed)
        c.run_cancelled.connect(self._on_run_cancelled)
        for ended in (c.job_finished, c.job_failed, c.job_cancelled):
            ended.connect(self._on_job_ended)
        self.cancel_button.clicked.connect(self.cancel_run)
        self.surface_pane.start_moved.connect(self.move_start)
        self.surface_pane.start_set.connect(lambda x, y: self._set_starts(((x, y),)))
        self.surface_pane.start_added.connect(
            lambda x, y: self._set_starts(self.scene.starts + ((x, y),))
        )
        self.playback.frame_changed.connect(self._on_frame)
        self.optimizers.entries_changed.connect(self._on_entries_changed)
        self.surface_combo.currentIndexChanged.connect(self._on_surface_picked)
        for spin in (self.steps_spin, self.noise_spin, self.batch_spin, self.seed_spin):
            spin.valueChanged.connect(self._on_run_settings)
        self.components_check.toggled.connect(self.metrics_pane.set_components_visible)
        self.new_action.triggered.connect(self.new_scene)
        self.open_action.triggered.connect(self.open_dialog)
        self.save_action.triggered.connect(self.save)
        self.save_as_action.triggered.connect(self.save_as_dialog)
        self.export_action.triggered.connect(self.export_dialog)
        self.quit_action.triggered.connect(self.close)
        self.duplicate_action.triggered.connect(self.optimizers.duplicate_selected)
        self.remove_action.triggered.connect(self.optimizers.remove_selected)
        self.play_action.triggered.connect(self.playback.toggle)
        self.back_action.triggered.connect(lambda: self.playback.step(-1))
        self.forward_action.triggered.connect(lambda: self.playback.step(1))
        self.restart_action.triggered.connect(self.playback.restart)
        self.components_action.triggered.connect(self.components_check.toggle)
        self.cancel_action.triggered.connect(self.cancel_run)
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.about_action.triggered.connect(self.show_about)

    def _fit_to_screen(self) -> None:
        """1440x900, or the available screen if smaller (so 1280x800 wherever it fits)."""
        screen = QtGui.QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen else QtCore.QRect(0, 0, 1440, 900)
        self.resize(min(1440, available.width()), min(900, available.height()))

    # --- scene ----------------------------------------------------------------------------
    def set_scene(self, scene: Scene) -> None:
        """Show ``scene`` and recompute it."""
        surface_changed = scene.surface != self.scene.surface or scene.view != self.scene.view
        self.scene = scene
        self._apply_scene(scene, surface_changed)

    def _apply_scene(self, scene: Scene, surface_changed: bool) -> None:
        with QtCore.QSignalBlocker(self.surface_combo):
            index = self.surface_combo.findData(picker_key(scene.surface))
            self.surface_combo.setCurrentIndex(index)
        for spin, value in (
            (self.steps_spin, scene.steps),
            (self.noise_spin, scene.noise.std),
            (self.batch_spin, scene.noise.batch_size or 0),
            (self.seed_spin, scene.noise.seed),
        ):
            with QtCore.QSignalBlocker(spin):
                spin.setValue(value)
        if surface_changed:
            self.surface_pane.set_surface(scene.surface, scene.view_box)
        self.surface_pane.set_starts(scene.starts)
        self.surface_tools.scene_shown(scene)
        if self.optimizers.entries != scene.entries:
            self.optimizers.set_entries(scene.entries)
        self._request_run()

    def _request_run(self) -> None:
        try:
            spec = self.scene.run_spec()
        except ValueError as err:
            self.state_label.setText(f"cannot run: {err}")
            return
        if spec is None:
            self.controller.cancel()
            self._run_owed = False
            self._show_result(None, [])
            self.state_label.setText("no optimizer enabled")
            return
        colors = [self.scene.entries[i].color for i in self.scene.enabled]
        request_id = self.controller.submit(spec, record_grads=True)
        self._pending = {request_id: colors}
        self._run_owed = True

    def _set_starts(self, starts) -> None:
        self.set_scene(replace(self.scene, starts=tuple(starts)))

    def move_start(self, index: int, x: float, y: float) -> None:
        """Start ``index`` was dragged to (x, y), in the surface pane or in race mode's
        small multiples: recompute every path (the metric panes follow later)."""
        starts = list(self.scene.starts)
        if index < len(starts):
            starts[index] = (x, y)
            self.scene = replace(self.scene, starts=tuple(starts))
            self.surface_pane.set_starts(self.scene.starts)  # when dragged elsewhere
            self._dragging = True
            self._request_run()

    def _on_entries_changed(self, entries) -> None:
        self.set_scene(self.scene.with_entries(entries))

    def _on_surface_picked(self, index: int) -> None:
        # Presets, datasets, or the formula / sculpt / height-map tools.
        self.surface_tools.pick(self.surface_combo.itemData(index))

    def _on_run_settings(self) -> None:
        noise = Noise(
            std=self.noise_spin.value(),
            seed=self.seed_spin.value(),
            batch_size=self.batch_spin.value() or None,
        )
        self.set_scene(replace(self.scene, steps=self.steps_spin.value(), noise=noise))

    # --- worker signals -------------------------------------------------------------------
    def _explain_compiling(self) -> None:
        if not self._warm:
            self.state_label.setText("compiling kernels (first launch only, about a minute)…")

    def _on_warmup_finished(self, seconds: float) -> None:
        self._warm = True
        if seconds >= 0:
            log.info("kernels ready in %.1f s", seconds)
        if self.state_label.text().startswith(("loading", "compiling")):
            self.state_label.setText("ready")

    def _on_run_started(self, request_id: int) -> None:
        self._run_began = QtCore.QDateTime.currentMSecsSinceEpoch() / 1000.0
        self.state_label.setText("running")

    def _on_run_progress(self, request_id: int, done: int, total: int) -> None:
        if request_id != self.controller.latest_id:
            return
        elapsed = QtCore.QDateTime.currentMSecsSinceEpoch() / 1000.0 - self._run_began
        if elapsed > PROGRESS_AFTER_S and done < total:
            self.progress.setVisible(True)
            self.cancel_button.setVisible(True)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.state_label.setText(f"running: step {done} of {total}")

    def _on_run_finished(self, request_id: int, result: Result) -> None:
        colors = self._pending.pop(request_id, None)
        if colors is None or request_id != self.controller.latest_id:
            return
        self._hide_progress()
        self._run_owed = False
        diverged = int((result.diverged >= 0).sum())
        state = f"done: {result.steps} steps"
        if diverged:
            state += f", {diverged} run{'s' if diverged > 1 else ''} diverged"
        self.state_label.setText(state)
        self.speed_label.setText(f"{result.steps_per_second / 1e6:.2f} M steps/s")
        self._show_result(result, colors)

    @property
    def run_in_flight(self) -> bool:
        """Whether the run of the current scene is still computing. A job submitted now
        would cancel it (the newest request wins)."""
        return self.controller.latest_id in self._pending

    def _on_run_failed(self, request_id: int, message: str) -> None:
        self._pending.pop(request_id, None)
        if request_id == self.controller.latest_id:
            self._run_owed = False
            self._hide_progress()
            self.state_label.setText(f"run failed: {message}")

    def _on_run_cancelled(self, request_id: int) -> None:
        self._pending.pop(request_id, None)
        if request_id == self.controller.latest_id:  # cancelled by the user (Esc)
            self._run_owed = False
            self._hide_progress()
            self.state_label.setText("cancelled")

    def _on_job_ended(self, request_id: int, *_) -> None:
        # A job that was the newest request ended: the scene's run it cancelled runs now,
        # so the panes never keep showing the paths of an earlier scene.
        if self._run_owed and request_id == self.controller.latest_id:
            self._request_run()

    def _hide_progress(self) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)

    def cancel_run(self) -> None:
        self.controller.cancel()

    # --- drawing ----------------------------------------------------------------------------
    def _show_result(self, result: Result | None, colors: list[str]) -> None:
        self.result = result
        self._colors = colors
        self.surface_pane.set_paths(result.xy if result is not None else None, colors)
        if self._dragging:
            self._dragging = False
            self._metrics_timer.start()
        else:
            self._draw_metrics()
        self.playback.set_steps(result.steps if result is not None else 0)
        self._on_frame(self.playback.frame)
        self.result_shown.emit(result)

    def _draw_metrics(self) -> None:
        self._metrics_timer.stop()
        self.metrics_pane.set_result(self.result, self._colors, self.scene.surface.f_min)
        self.metrics_pane.set_frame(self.playback.frame)

    def _on_frame(self, frame: int) -> None:
        # Hidden panes (race mode) only note the frame and draw it when shown again.
        self.surface_pane.set_frame(frame)
        self.metrics_pane.set_frame(frame)

    # --- files ------------------------------------------------------------------------------
    def new_scene(self) -> None:
        self.path = None
        self.surface_tools.drop_edits()
        self.set_scene(default_scene())

    def open_path(self, path: str | Path) -> bool:
        """Open a scene file; on any problem show why and keep the current scene."""
        try:
            scene = Scene.load(path)
        except SceneError as err:
            self.show_error("Cannot open scene", f"{Path(path).name}: {err}")
            return False
        self.path = Path(path)
        self.surface_tools.drop_edits()
        self.set_scene(scene)
        self.settings.setValue("scene/last_path", str(path))
        return True

    def save_to(self, path: str | Path) -> bool:
        scene = replace(self.scene, view=self.surface_pane.view_range())
        try:
            scene.save(path)
        except OSError as err:
            self.show_error("Cannot save scene", f"{path}: {err.strerror or err}")
            return False
        self.path = Path(path)
        self.settings.setValue("scene/last_path", str(path))
        self.state_label.setText(f"saved {Path(path).name}")
        return True

    def save(self) -> bool:
        return self.save_to(self.path) if self.path else self.save_as_dialog()

    def open_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open scene", self._folder(), "optviz scenes (*.json);;All files (*)"
        )
        if path:
            self.open_path(path)

    def save_as_dialog(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Save scene", self._folder(), "optviz scenes (*.json)"
        )
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".json"
        return self.save_to(path)

    def export_dialog(self):
        """Open File > Export on the current scene (non-modal: the window stays usable)."""
        from .export_dialog import ExportDialog

        dialog = ExportDialog(self.scene, folder=self._folder(), parent=self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _folder(self) -> str:
        return str(self.path.parent) if self.path else str(Path.home())

    def _restored_scene(self) -> Scene | None:
        text = self.settings.value("scene/last")
        if not text:
            return None
        try:
            return Scene.from_json(str(text))
        except SceneError as err:
            log.warning("the last scene could not be restored (%s); using the default", err)
            return None

    def show_error(self, title: str, message: str) -> None:
        log.warning("%s: %s", title, message)
        QtWidgets.QMessageBox.warning(self, title, message)

    # --- help -------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in SHORTCUTS)
        QtWidgets.QMessageBox.information(self, "Shortcuts", f"<table>{rows}</table>")

    def about_text(self) -> str:
        return (
            f"<h3>optviz {optviz.__version__}</h3>"
            "<p>Watch gradient-based optimizers move on 2-D loss surfaces.</p>"
            f"<p>Python {platform.python_version()}<br>Qt {QtCore.qVersion()} "
            f"(PySide6 {_pyside_version()})<br>pyqtgraph {pg.__version__}<br>"
            f"numba {numba.__version__}<br>backend: cpu, {numba.get_num_threads()} threads</p>"
        )

    def show_about(self) -> None:
        QtWidgets.QMessageBox.about(self, "About optviz", self.about_text())

    # --- lifetime ------------------------------------------------------------------------------
    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("scene/last", self.scene.to_json())
        self.playback.pause()
        self.surface_tools.shutdown()
        self.controller.shutdown()
        if self._holds_gc:  # once, though Qt may deliver more than one close event
            self._holds_gc = False
            gui_gc.release()
        # The pixmap cache is shared by the whole process: a closed window's cached heat
        # maps and paths would crowd a next window's out (its playback measured 40% slower).
        QtGui.QPixmapCache.clear()
        super().closeEvent(event)


def _pyside_version() -> str:
    import PySide6

    return PySide6.__version__
