"""The formula editor: a typed surface formula, its domain and colour scale, validated live.

Typing restarts a short debounce timer; when it fires, the text, domain and log toggle go
to a ``FormulaCompiler``, which parses, differentiates and compiles the formula in its own
thread (sympy and numba take up to a couple of seconds on a formula never seen before;
a formula compiled before is found in memory or in the disk cache at once). Only the
newest request's answer is used: one that arrives after a newer keystroke is dropped.
A bad formula shows its message and underlines the column it names; the surface shown
stays the last good one.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback

from PySide6 import QtCore, QtGui, QtWidgets

from optviz.surfaces.errors import ExpressionError
from optviz.surfaces.surface import Surface

log = logging.getLogger("optviz")

#: Milliseconds after the last keystroke before the formula is compiled.
DEBOUNCE_MS = 150
#: A compile that takes longer than this shows "compiling…" next to the field.
BUSY_AFTER_MS = 120
DEFAULT_FORMULA = "sin(x)*cos(y) + 0.1*(x^2 + y^2)"


class FormulaCompiler(QtCore.QObject):
    """Builds formula surfaces in a background thread; the newest request wins.

    ``submit(text, domain, log_scale)`` returns a request id; ``compiled(id, surface,
    seconds)`` or ``failed(id, message, column)`` follows on the main thread for the
    newest request only (``column`` is 1-based, or -1 when the error has no place).
    The thread is a daemon Python thread, not a QThread: it holds no Qt object, so
    closing the window never waits for a compile in flight.
    """

    compiled = QtCore.Signal(int, object, float)
    failed = QtCore.Signal(int, str, int)
    _done = QtCore.Signal(int, object, float, str, int)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: queue.Queue = queue.Queue()
        self._latest = 0
        self._thread: threading.Thread | None = None
        self._done.connect(self._on_done)  # queued: emitted from the compile thread

    @property
    def latest_id(self) -> int:
        return self._latest

    def submit(self, text: str, domain, log_scale: bool) -> int:
        self._latest += 1
        self._queue.put((self._latest, text, domain, log_scale))
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="optviz-formula", daemon=True)
            self._thread.start()
        return self._latest

    def cancel(self) -> None:
        """Drop the answers of every request so far (the compile in flight still ends)."""
        self._latest += 1

    def shutdown(self) -> None:
        """Stop the thread after the compile in flight (without waiting for it)."""
        self._latest = -1
        self._queue.put(None)

    def _serve(self) -> None:
        while (request := self._queue.get()) is not None:
            request_id, text, domain, log_scale = request
            if request_id != self._latest:
                continue  # a newer request is queued behind this one
            began = time.perf_counter()
            surface, message, column = None, "", -1
            try:
                surface = Surface.from_expression(text, domain, log_scale=log_scale)
            except ExpressionError as err:
                message, column = err.message, err.column or -1
            except ValueError as err:
                message = str(err)
            except Exception as err:  # shown under the field, never a traceback dialog
                traceback.print_exc()
                message = f"{type(err).__name__}: {err}"
            try:
                self._done.emit(request_id, surface, time.perf_counter() - began, message, column)
            except RuntimeError:  # the window (and this object) is gone
                return

    @QtCore.Slot(int, object, float, str, int)
    def _on_done(self, request_id: int, surface, seconds: float, message: str, column: int):
        if request_id != self._latest:
            return
        if surface is not None:
            self.compiled.emit(request_id, surface, seconds)
        else:
            self.failed.emit(request_id, message, column)


class FormulaLineEdit(QtWidgets.QLineEdit):
    """A line edit that can underline one character in red (the column of an error)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.error_column: int | None = None

    def set_error_column(self, column: int | None) -> None:
        self.error_column = column
        self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        if self.error_column is None:
            return
        x0, x1 = self._column_span(self.error_column)
        if x1 <= x0:
            return
        painter = QtGui.QPainter(self)
        pen = QtGui.QPen(QtGui.QColor("#e5484d"), 2)
        painter.setPen(pen)
        y = self.height() - 5
        # A zigzag under the character, like a spelling checker's mark.
        points = [
            QtCore.QPointF(x, y + (1.5 if i % 2 else -1.5))
            for i, x in enumerate(range(int(x0), int(x1) + 1, 3))
        ]
        if len(points) >= 2:
            painter.drawPolyline(points)
        else:
            painter.drawLine(QtCore.QPointF(x0, y), QtCore.QPointF(x1, y))
        painter.end()

    def _column_span(self, column: int) -> tuple[float, float]:
        """Pixel span of the character at 1-based ``column`` (past the end: a space)."""
        text = self.text()
        i = max(0, column - 1)
        # The cursor's rectangle less the advance of the text before it is where the text
        # starts, however the line edit has scrolled it.
        metrics = self.fontMetrics()
        origin = self.cursorRect().center().x() - metrics.horizontalAdvance(
            text[: self.cursorPosition()]
        )
        x0 = origin + metrics.horizontalAdvance(text[:i])
        width = metrics.horizontalAdvance(text[i] if i < len(text) else " ")
        return x0, x0 + max(width, 6)


class FormulaEditorWidget(QtWidgets.QWidget):
    """Formula field, domain (x0, x1, y0, y1) and log colour scale, validated as you type.

    Signals: ``surface_ready(surface)`` when the newest text compiled (on the main
    thread); ``error_changed(message)`` ('' when the text is valid).
    """

    surface_ready = QtCore.Signal(object)
    error_changed = QtCore.Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.compiler = FormulaCompiler(self)
        self.compiler.compiled.connect(self._on_compiled)
        self.compiler.failed.connect(self._on_failed)
        self.field = FormulaLineEdit()
        self.field.setPlaceholderText("a formula in x and y, e.g. " + DEFAULT_FORMULA)
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.field.setFont(mono)
        self.field.setToolTip(
            "Numbers, x, y, pi, e, + - * / ^ (or **), parentheses and sin cos tan asin acos "
            "atan sinh cosh tanh exp log log10 sqrt abs sigmoid softplus min max.\n"
            "Gradients are exact (symbolic). Edits apply 150 ms after the last keystroke."
        )
        self.error_label = QtWidgets.QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #e5484d;")
        self.error_label.setVisible(False)
        self.busy_label = QtWidgets.QLabel("compiling…")
        self.busy_label.setVisible(False)
        self.domain_spins: list[QtWidgets.QDoubleSpinBox] = []
        for tip in ("x from", "x to", "y from", "y to"):
            spin = QtWidgets.QDoubleSpinBox()
            spin.setRange(-1e6, 1e6)
            spin.setDecimals(3)
            spin.setKeyboardTracking(False)
            spin.setToolTip(tip)
            spin.valueChanged.connect(self._schedule)
            self.domain_spins.append(spin)
        self.log_check = QtWidgets.QCheckBox("log colour scale")
        self.log_check.setToolTip("Colour the heat map by log₁₀(f − min f)")
        self.log_check.toggled.connect(self._schedule)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        layout.addWidget(self.error_label)
        domain = QtWidgets.QGridLayout()
        domain.addWidget(QtWidgets.QLabel("x"), 0, 0)
        domain.addWidget(self.domain_spins[0], 0, 1)
        domain.addWidget(QtWidgets.QLabel("…"), 0, 2)
        domain.addWidget(self.domain_spins[1], 0, 3)
        domain.addWidget(QtWidgets.QLabel("y"), 1, 0)
        domain.addWidget(self.domain_spins[2], 1, 1)
        domain.addWidget(QtWidgets.QLabel("…"), 1, 2)
        domain.addWidget(self.domain_spins[3], 1, 3)
        layout.addLayout(domain)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.log_check)
        row.addStretch(1)
        row.addWidget(self.busy_label)
        layout.addLayout(row)

        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.compile_now)
        self._busy_timer = QtCore.QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_AFTER_MS)
        self._busy_timer.timeout.connect(lambda: self.busy_label.setVisible(True))
        self.field.textEdited.connect(self._schedule)
        #: The surface last compiled from the fields (what ``surface_ready`` last sent).
        self.surface: Surface | None = None
        self.last_compile_s = 0.0

    # --- state ---------------------------------------------------------------------
    def set_surface(self, surface: Surface) -> None:
        """Show ``surface``'s formula, domain and scale (no signal, no compile); an edit
        still waiting or compiling is dropped, so it cannot replace ``surface``."""
        self.cancel()
        self.surface = surface
        with QtCore.QSignalBlocker(self.field):
            if self.field.text() != surface.formula:
                self.field.setText(surface.formula)
        self.set_domain(surface.view)
        with QtCore.QSignalBlocker(self.log_check):
            self.log_check.setChecked(surface.log_scale)
        self._show_error("", None)

    def set_domain(self, view) -> None:
        (x0, x1), (y0, y1) = view
        for spin, value in zip(self.domain_spins, (x0, x1, y0, y1)):
            with QtCore.QSignalBlocker(spin):
                spin.setValue(value)

    def domain(self) -> tuple[tuple[float, float], tuple[float, float]]:
        x0, x1, y0, y1 = (s.value() for s in self.domain_spins)
        return (x0, x1), (y0, y1)

    def edit(self, text: str) -> None:
        """Replace the text as if typed (tests, and the picker's first formula)."""
        self.field.setText(text)
        self._schedule()

    # --- compiling -----------------------------------------------------------------
    def _schedule(self, *_) -> None:
        self._timer.start()

    def compile_now(self) -> int:
        """Send the fields to the compiler now; returns the request id."""
        self._timer.stop()
        request_id = self.compiler.submit(
            self.field.text(), self.domain(), self.log_check.isChecked()
        )
        self._busy_timer.start()
        return request_id

    def cancel(self) -> None:
        """Forget the edit waiting for its compile or compiling: it will not be shown."""
        self._timer.stop()
        self.compiler.cancel()
        self._idle()

    def _on_compiled(self, request_id: int, surface: Surface, seconds: float) -> None:
        self._idle()
        self.last_compile_s = seconds
        self._show_error("", None)
        if surface != self.surface:
            self.surface = surface
            self.surface_ready.emit(surface)

    def _on_failed(self, request_id: int, message: str, column: int) -> None:
        self._idle()
        self._show_error(message, column if column > 0 else None)

    def _idle(self) -> None:
        self._busy_timer.stop()
        self.busy_label.setVisible(False)

    def _show_error(self, message: str, column: int | None) -> None:
        self.field.set_error_column(column)
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        self.field.setStyleSheet("QLineEdit { border: 1px solid #e5484d; }" if message else "")
        self.error_changed.emit(message)

    @property
    def error(self) -> str:
        return self.error_label.text()

    def shutdown(self) -> None:
        self._timer.stop()
        self.compiler.shutdown()
