"""File > Export: preset, size, timing, theme, panes, path, a live preview, and a
background export with progress and cancel (the window stays usable)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from optviz.export import estimate_size_bytes
from optviz.export_spec import ANIMATED, PANES, PRESETS, THEMES, ExportSpec, kind_of
from optviz.scene import Scene

from .exporter import check_destination, export_steps, make_figure, run_scene

PREVIEW_WIDTH = 480
FRAMES_PER_TICK = 2  # rendered per timer tick: the event loop runs between ticks


class ExportDialog(QtWidgets.QDialog):
    """Export ``scene``. Signals: ``export_finished(path)``, ``export_cancelled()``."""

    export_finished = QtCore.Signal(str)
    export_cancelled = QtCore.Signal()

    def __init__(self, scene: Scene, folder: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.scene = scene
        self._result = None
        self._job = None
        self._spec: ExportSpec | None = None
        self.preset = QtWidgets.QComboBox()
        self.preset.addItems(list(PRESETS) + ["custom"])
        self.width_spin, self.height_spin = QtWidgets.QSpinBox(), QtWidgets.QSpinBox()
        for spin in (self.width_spin, self.height_spin):
            spin.setRange(64, 7680)
        self.fps_spin = QtWidgets.QSpinBox()
        self.fps_spin.setRange(1, 120)
        self.steps_per_frame = QtWidgets.QSpinBox()
        self.steps_per_frame.setRange(0, 100_000)
        self.steps_per_frame.setSpecialValueText("auto")
        self.duration = QtWidgets.QDoubleSpinBox()
        self.duration.setRange(0.5, 600)
        self.duration.setValue(8.0)
        self.duration.setSuffix(" s")
        self.first_step, self.last_step = QtWidgets.QSpinBox(), QtWidgets.QSpinBox()
        for spin in (self.first_step, self.last_step):
            spin.setRange(0, scene.steps)
        self.last_step.setValue(scene.steps)
        self.theme = QtWidgets.QComboBox()
        self.theme.addItems(THEMES)
        self.panes = QtWidgets.QComboBox()
        self.panes.addItems(PANES)
        self.panes.setCurrentText("surface+loss")
        self.title_edit = QtWidgets.QLineEdit()
        self.title_edit.setPlaceholderText("title (default: the surface and its formula)")
        self.step_counter = QtWidgets.QCheckBox("step counter")
        self.step_counter.setChecked(True)
        self.transparent = QtWidgets.QCheckBox("transparent background (PNG)")
        default = Path(folder or Path.home()) / "optviz.mp4"
        self.path_edit = QtWidgets.QLineEdit(str(default))
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.preview = QtWidgets.QLabel()
        self.preview.setFixedWidth(PREVIEW_WIDTH)
        self.preview.setMinimumHeight(200)
        self.preview.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.estimate = QtWidgets.QLabel()
        self.error = QtWidgets.QLabel()
        self.error.setStyleSheet("color: #e15759")
        self.error.setWordWrap(True)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setVisible(False)
        self.export_button = QtWidgets.QPushButton("Export")
        self.export_button.setDefault(True)
        self.cancel_button = QtWidgets.QPushButton("Cancel export")
        self.cancel_button.setVisible(False)
        close = QtWidgets.QPushButton("Close")
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        close.clicked.connect(self.close)

        form = QtWidgets.QFormLayout()
        form.addRow("preset", self.preset)
        size = QtWidgets.QHBoxLayout()
        size.addWidget(self.width_spin)
        size.addWidget(QtWidgets.QLabel("x"))
        size.addWidget(self.height_spin)
        form.addRow("size", size)
        form.addRow("fps", self.fps_spin)
        form.addRow("steps per frame", self.steps_per_frame)
        form.addRow("duration", self.duration)
        steps = QtWidgets.QHBoxLayout()
        steps.addWidget(self.first_step)
        steps.addWidget(QtWidgets.QLabel("to"))
        steps.addWidget(self.last_step)
        form.addRow("steps", steps)
        form.addRow("theme", self.theme)
        form.addRow("panes", self.panes)
        form.addRow("title", self.title_edit)
        form.addRow(self.step_counter)
        form.addRow(self.transparent)
        path = QtWidgets.QHBoxLayout()
        path.addWidget(self.path_edit, 1)
        path.addWidget(browse)
        form.addRow("output", path)
        form.addRow("estimated size", self.estimate)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        left = QtWidgets.QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.error)
        main = QtWidgets.QHBoxLayout()
        main.addLayout(left, 1)
        main.addWidget(self.preview)
        outer = QtWidgets.QVBoxLayout(self)
        outer.addLayout(main)
        outer.addLayout(buttons)

        self._preview_timer = QtCore.QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(250)
        self._preview_timer.timeout.connect(self._update_preview)
        self._ticker = QtCore.QTimer(self)
        self._ticker.setInterval(0)
        self._ticker.timeout.connect(self._tick)
        self.preset.currentTextChanged.connect(self._apply_preset)
        for w in (
            self.width_spin,
            self.height_spin,
            self.fps_spin,
            self.steps_per_frame,
            self.first_step,
            self.last_step,
        ):
            w.valueChanged.connect(self._changed)
        self.duration.valueChanged.connect(self._changed)
        for w in (self.theme, self.panes):
            w.currentTextChanged.connect(self._changed)
        for w in (self.title_edit, self.path_edit):
            w.textChanged.connect(self._changed)
        for w in (self.step_counter, self.transparent):
            w.toggled.connect(self._changed)
        self._apply_preset("slide-720p")
        self.preset.setCurrentText("slide-720p")

    # --- options -------------------------------------------------------------------------
    def _apply_preset(self, name: str) -> None:
        if name in PRESETS:
            w, h, fps = PRESETS[name]
            for spin, v in ((self.width_spin, w), (self.height_spin, h), (self.fps_spin, fps)):
                with QtCore.QSignalBlocker(spin):
                    spin.setValue(v)
            self._changed()

    def spec(self) -> ExportSpec:
        """The export the dialog describes, or ``ValueError`` saying what is wrong."""
        return ExportSpec(
            path=self.path_edit.text().strip(),
            width=self.width_spin.value(),
            height=self.height_spin.value(),
            fps=self.fps_spin.value(),
            theme=self.theme.currentText(),
            panes=self.panes.currentText(),
            title=self.title_edit.text(),
            step_counter=self.step_counter.isChecked(),
            steps_per_frame=self.steps_per_frame.value() or None,
            duration=self.duration.value(),
            first_step=self.first_step.value(),
            last_step=self.last_step.value(),
            transparent=self.transparent.isChecked(),
        )

    def _changed(self) -> None:
        if self.preset.currentText() in PRESETS:
            w, h, fps = PRESETS[self.preset.currentText()]
            if (self.width_spin.value(), self.height_spin.value(), self.fps_spin.value()) != (
                w,
                h,
                fps,
            ):
                with QtCore.QSignalBlocker(self.preset):
                    self.preset.setCurrentText("custom")
        try:
            spec = self.spec()
        except ValueError as err:
            self.error.setText(str(err))
            self.export_button.setEnabled(False)
            return
        self.error.clear()
        self.export_button.setEnabled(self._job is None)
        kind = spec.kind
        frames = len(spec.frame_steps(self.scene.steps)) if kind in ANIMATED else 1
        estimate = (
            estimate_size_bytes(kind if kind in ANIMATED else "png", spec.size, frames, spec.fps)
            if kind not in ("csv", "npz", "svg")
            else None
        )
        self.estimate.setText(
            f"{frames} frame{'s' if frames > 1 else ''}"
            + (f", about {estimate / 1e6:.1f} MB" if estimate else "")
        )
        self._preview_timer.start()

    def _update_preview(self) -> None:
        try:
            spec = replace(self.spec(), path="preview.png")
        except ValueError:
            return
        if self._result is None:
            self._result = run_scene(self.scene)
        figure = make_figure(self.scene, self._result, spec)
        figure.set_frame(spec.frame_steps(self._result.steps)[0])
        rgba = figure.render_rgba()
        figure.close()
        figure.deleteLater()
        h, w = rgba.shape[:2]
        image = QtGui.QImage(rgba.data, w, h, 4 * w, QtGui.QImage.Format.Format_RGBA8888).copy()
        self.preview.setPixmap(
            QtGui.QPixmap.fromImage(image).scaledToWidth(
                PREVIEW_WIDTH, QtCore.Qt.TransformationMode.SmoothTransformation
            )
        )

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self,
            "Export to",
            self.path_edit.text(),
            "Video (*.mp4);;GIF (*.gif);;PNG (*.png);;SVG (*.svg);;Data (*.csv *.npz)",
        )
        if path:
            self.path_edit.setText(path)

    # --- running -------------------------------------------------------------------------
    def start(self) -> None:
        try:
            spec = self.spec()
            check_destination(spec.path)
            kind_of(spec.path)
            self._result = self._result or run_scene(self.scene)
        except ValueError as err:
            self.error.setText(str(err))
            return
        self._spec = spec
        self._job = export_steps(self.scene, spec, self._result)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.export_button.setEnabled(False)
        self._ticker.start()

    def _tick(self) -> None:
        try:
            for _ in range(FRAMES_PER_TICK):
                done, total = next(self._job)
                self.progress.setRange(0, total)
                self.progress.setValue(done)
        except StopIteration:
            self._finish()
        except (ValueError, OSError) as err:
            self._stop()
            self.error.setText(f"export failed: {err}")

    def _stop(self) -> None:
        self._ticker.stop()
        if self._job is not None:
            self._job.close()  # aborts the writer: no partial file is left
        self._job = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.export_button.setEnabled(True)

    def cancel(self) -> None:
        if self._job is not None:
            self._stop()
            self.error.setText("export cancelled; nothing was written")
            self.export_cancelled.emit()

    def _finish(self) -> None:
        path = self._spec.path
        self._stop()
        self.export_finished.emit(path)
        if self.isVisible():
            folder = Path(path.rstrip("/\\")).parent
            answer = QtWidgets.QMessageBox.question(
                self, "Export finished", f"Wrote {path}.\n\nOpen its folder?"
            )
            if answer == QtWidgets.QMessageBox.StandardButton.Yes:
                QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(folder)))

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.cancel()
        super().closeEvent(event)
