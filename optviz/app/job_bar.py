"""A progress bar, a Cancel button and a state line for one background job at a time.

The tune, swarm and sweep windows each run their computation as a job of the window's one
compute worker (``SimulationController.submit_job``); this bar submits it, shows its
progress, cancels it, and hands its value to a callback on the main thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets


class JobBar(QtWidgets.QWidget):
    """``run(job, on_done)`` submits ``job(progress, cancel)`` to ``controller``.

    Signals: ``job_done(value)`` after ``on_done`` ran, ``job_failed(str)`` with the
    error message, ``job_ended(str)`` with the final state text (done, failed: why,
    cancelled)."""

    job_done = QtCore.Signal(object)
    job_failed = QtCore.Signal(str)
    job_ended = QtCore.Signal(str)

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.state = QtWidgets.QLabel("")
        self.state.setWordWrap(True)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.setVisible(False)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the computation (Esc)")
        # Esc in this bar's window (the main window's Esc does not reach other windows).
        self.cancel_button.setShortcut(QtGui.QKeySequence("Esc"))
        self.cancel_button.setVisible(False)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        self._id = 0
        self._began = 0.0
        self._on_done: Callable | None = None
        self.cancel_button.clicked.connect(self.cancel)
        controller.job_progress.connect(self._on_progress)
        controller.job_finished.connect(self._on_finished)
        controller.job_failed.connect(self._on_failed)
        controller.job_cancelled.connect(self._on_cancelled)

    @property
    def running(self) -> bool:
        return self._id != 0

    def run(self, job, on_done: Callable[[object], None], what: str = "computing") -> int:
        """Submit ``job``; ``on_done(value)`` runs on the main thread when it succeeds."""
        self._on_done = on_done
        self._began = time.perf_counter()
        self._what = what
        self.state.setText(f"{what}…")
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self._id = self.controller.submit_job(job)
        return self._id

    def cancel(self) -> None:
        if self._id and self.controller.latest_id == self._id:
            self.controller.cancel()

    def _end(self, text: str) -> None:
        self._id = 0
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.state.setText(text)
        self.job_ended.emit(text)

    def _on_progress(self, request_id: int, done: int, total: int) -> None:
        if request_id == self._id:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)

    def _on_finished(self, request_id: int, value) -> None:
        if request_id != self._id:
            return
        seconds = time.perf_counter() - self._began
        on_done, self._on_done = self._on_done, None
        self._end(f"done in {seconds:.2f} s")
        if on_done is not None:
            on_done(value)
        self.job_done.emit(value)

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == self._id:
            self._end(f"failed: {message}")
            self.job_failed.emit(message)

    def _on_cancelled(self, request_id: int) -> None:
        if request_id == self._id:
            self._end("cancelled")
