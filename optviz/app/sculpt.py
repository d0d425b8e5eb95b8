"""Sculpt mode: raise and dig the surface with the mouse, as sums of Gaussian bumps.

While sculpt mode is on, a transparent item over the surface plot takes the mouse: a
left drag raises the terrain along the path, a right drag (or Shift/Alt + left drag) digs
it, a click adds one bump. A stroke lays a Gaussian bump of the brush's radius every half
radius along the path; each one is ``strength * SPACING / (sqrt(2 pi) * RADIUS)`` high,
so the ridge (or trench) a stroke leaves is about ``strength`` high (deep) whatever the
radius; a click's single bump is ``strength`` high. The result is
``Surface.sculpted(base, bumps)``: the gradient stays exact.

During a stroke only the heat map follows, updated with the new bumps' contribution on
the displayed grid (cheap: each bump touches a few hundred samples); the surface itself,
its contours and the trajectories are recomputed once, at the end of the stroke. Each
stroke is one step of undo (Ctrl+Z) and redo (Ctrl+Shift+Z).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.surfaces.surface import Surface

from .surface_layers import display_values

#: Bumps are laid this fraction of the brush radius apart along a stroke.
SPACING = 0.5
#: A bump's contribution is computed out to this many radii (exp(-4.5) ≈ 1 %: beyond
#: that, the live preview may differ from the exact surface by a percent of a bump).
REACH = 3.0
#: The brush's default radius and a stroke's default height, as fractions of the view's
#: width and of the surface's spread of values.
DEFAULT_RADIUS = 0.06
DEFAULT_STRENGTH = 0.25
#: Bases a sculpted surface can start from (besides the surface shown before sculpting).
BASES = (("flat", "flat"), ("bowl", "bowl"))
#: Strokes kept for undo (each keeps a surface with its bump table alive).
MAX_UNDO = 200


class SculptOverlay(pg.GraphicsObject):
    """A transparent item over the whole view that takes clicks and drags while sculpting
    (so neither the view pans nor the start markers move) and draws the brush outline."""

    def __init__(self, tool: SculptTool) -> None:
        super().__init__()
        self.tool = tool
        self.setZValue(40)  # above the start markers (30)
        self.setAcceptHoverEvents(True)
        self._rect = QtCore.QRectF(-1.0, -1.0, 2.0, 2.0)
        self.brush_at: QtCore.QPointF | None = None

    def set_rect(self, rect: QtCore.QRectF) -> None:
        self.prepareGeometryChange()
        self._rect = QtCore.QRectF(rect)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        return self._rect

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        if self.brush_at is None:
            return
        r = self.tool.radius
        pen = QtGui.QPen(QtGui.QColor(255, 255, 255, 200), 1.5)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawEllipse(self.brush_at, r, r)

    def hoverEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph override)
        if ev.isExit():
            self.brush_at = None
        else:
            for button in (QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.RightButton):
                ev.acceptDrags(button)
                ev.acceptClicks(button)
            self.brush_at = ev.pos()
        self.update()

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph override)
        if ev.button() not in (QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.RightButton):
            ev.ignore()
            return
        ev.accept()
        self.tool.click(ev.pos(), _digs(ev))

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph override)
        if ev.button() not in (QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.RightButton):
            ev.ignore()
            return
        ev.accept()
        if ev.isStart():
            self.tool.begin_stroke(ev.buttonDownPos(), _digs(ev))
        self.tool.extend_stroke(ev.pos())
        self.brush_at = ev.pos()
        self.update()
        if ev.isFinish():
            self.tool.end_stroke()


def _digs(ev) -> bool:
    modifiers = ev.modifiers()
    return ev.button() == QtCore.Qt.MouseButton.RightButton or bool(
        modifiers
        & (QtCore.Qt.KeyboardModifier.ShiftModifier | QtCore.Qt.KeyboardModifier.AltModifier)
    )


class SculptTool(QtCore.QObject):
    """Sculpt mode on a ``SurfacePane``: the overlay, the brush controls, undo and redo.

    ``widget`` holds the controls. ``set_active(on)`` turns the mode on or off;
    ``surface_shown(surface)`` tells the tool what the window shows now. Every finished
    edit (stroke, undo, redo, clear, base) is emitted as ``surface_edited(surface)``,
    which the window turns into its new scene.
    """

    surface_edited = QtCore.Signal(object)
    active_changed = QtCore.Signal(bool)

    def __init__(self, pane, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.pane = pane
        self.active = False
        self.surface: Surface | None = None
        #: The surface shown before sculpting began (a base choice besides flat and bowl).
        self.original: Surface | None = None
        self._undo: list[Surface] = []
        self._redo: list[Surface] = []
        self._expected: Surface | None = None  # the surface our last edit asked for
        self._stroke: list[tuple[float, float, float, float]] | None = None
        self._last_point: tuple[float, float] | None = None
        self._dig = False
        self._grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # xs, ys, z
        self._levels: tuple[float, float] = (0.0, 1.0)
        self._preview_view = None
        self.overlay = SculptOverlay(self)
        self.overlay.setVisible(False)
        pane.plot.addItem(self.overlay, ignoreBounds=True)
        pane.plot.vb.sigRangeChanged.connect(self._fit_overlay)
        self._build_widget()

    # --- controls ------------------------------------------------------------------
    def _build_widget(self) -> None:
        self.widget = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(self.widget)
        form.setContentsMargins(0, 0, 0, 0)
        self.radius_spin = QtWidgets.QDoubleSpinBox()
        self.radius_spin.setDecimals(3)
        self.radius_spin.setRange(1e-3, 1e4)
        self.radius_spin.setToolTip("Brush radius (the Gaussians' width), in the axes' units")
        self.radius_spin.valueChanged.connect(lambda _: self.overlay.update())
        self.strength_spin = QtWidgets.QDoubleSpinBox()
        self.strength_spin.setDecimals(3)
        self.strength_spin.setRange(1e-3, 1e7)
        self.strength_spin.setToolTip(
            "How high a stroke raises (or how deep it digs) the terrain, in loss units"
        )
        self.base_combo = QtWidgets.QComboBox()
        self.base_combo.setToolTip("What the bumps are added to")
        self.base_combo.activated.connect(self._on_base_picked)
        self.undo_button = QtWidgets.QPushButton("Undo")
        self.redo_button = QtWidgets.QPushButton("Redo")
        self.clear_button = QtWidgets.QPushButton("Clear")
        self.clear_button.setToolTip("Remove every stroke (keep the base)")
        self.undo_button.clicked.connect(self.undo)
        self.redo_button.clicked.connect(self.redo)
        self.clear_button.clicked.connect(self.clear)
        buttons = QtWidgets.QHBoxLayout()
        for b in (self.undo_button, self.redo_button, self.clear_button):
            buttons.addWidget(b)
        self.hint = QtWidgets.QLabel(
            "Drag: raise · right-drag or Shift+drag: dig · click: one bump"
        )
        self.hint.setWordWrap(True)
        form.addRow("radius", self.radius_spin)
        form.addRow("strength", self.strength_spin)
        form.addRow("base", self.base_combo)
        form.addRow(buttons)
        form.addRow(self.hint)
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.undo_button.setEnabled(bool(self._undo))
        self.redo_button.setEnabled(bool(self._redo))
        self.clear_button.setEnabled(bool(self.surface is not None and self.bumps))

    def _fill_bases(self) -> None:
        self.base_combo.clear()
        for title, name in BASES:
            self.base_combo.addItem(title, name)
        if self.original is not None and self.original.kind != "sculpted":
            self.base_combo.addItem(f"{self.original.title} (before sculpting)", "original")
        current = "original"
        if self.surface is not None and self.surface.kind == "sculpted":
            base = self.surface.base
            current = next((n for _, n in BASES if base.name == n), "original")
        self.base_combo.setCurrentIndex(max(0, self.base_combo.findData(current)))

    @property
    def radius(self) -> float:
        return self.radius_spin.value()

    @property
    def strength(self) -> float:
        return self.strength_spin.value()

    @property
    def bumps(self) -> tuple:
        s = self.surface
        return tuple(s.bumps) if s is not None and s.kind == "sculpted" else ()

    def _fit_overlay(self, *_) -> None:
        (x0, x1), (y0, y1) = self.pane.plot.vb.viewRange()
        self.overlay.set_rect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))

    # --- state -------------------------------------------------------------------------
    def set_active(self, on: bool) -> None:
        """Turn sculpt mode on or off (clicks then sculpt instead of moving the start)."""
        on = bool(on)
        if on == self.active:
            return
        self.active = on
        self.overlay.setVisible(on)
        self.pane.sculpting = on
        if on:
            self._fit_overlay()
            self._default_brush()
        self.active_changed.emit(on)

    def surface_shown(self, surface: Surface) -> None:
        """The window shows ``surface`` now; anything but our own edit resets the history."""
        if surface == self.surface:
            return
        if surface != self._expected:
            self._undo.clear()
            self._redo.clear()
            self.original = surface.base if surface.kind == "sculpted" else surface
            self._brush_set = False
        self._expected = None
        self.surface = surface
        self._fill_bases()
        if self.active:
            self._default_brush()
        self._sync_buttons()

    _brush_set = False

    def _default_brush(self) -> None:
        """Brush radius and strength fitted to the surface, once per surface family."""
        if self._brush_set or self.surface is None:
            return
        (x0, x1), (y0, y1) = self.surface.view
        _, _, z = self.surface.grid(60, 60)
        finite = z[np.isfinite(z)]
        spread = float(np.percentile(finite, 95) - np.percentile(finite, 5)) if finite.size else 0
        self.radius_spin.setValue(DEFAULT_RADIUS * max(x1 - x0, y1 - y0))
        self.strength_spin.setValue(DEFAULT_STRENGTH * spread if spread > 0 else 1.0)
        self._brush_set = True

    def _emit(self, surface: Surface) -> None:
        self._expected = surface
        self.surface_edited.emit(surface)

    def _change(self, surface: Surface) -> None:
        """One undoable edit: from the current surface to ``surface``."""
        if self.surface is None or surface == self.surface:
            return
        self._undo.append(self.surface)
        del self._undo[:-MAX_UNDO]
        self._redo.clear()
        self._emit(surface)
        self._sync_buttons()

    # --- strokes ----------------------------------------------------------------------
    def _bump_height(self, single: bool) -> float:
        h = self.strength if single else self.strength * SPACING / math.sqrt(2 * math.pi)
        return -h if self._dig else h

    def begin_stroke(self, pos: QtCore.QPointF, dig: bool) -> None:
        if self.surface is None:
            return
        self._dig = dig
        self._stroke = []
        self._last_point = None
        self._prepare_preview()
        self._add_bump(float(pos.x()), float(pos.y()), self._bump_height(False))

    def extend_stroke(self, pos: QtCore.QPointF) -> None:
        """Lay bumps every SPACING radii from the last one towards ``pos``."""
        if self._stroke is None or self._last_point is None:
            return
        x, y = float(pos.x()), float(pos.y())
        lx, ly = self._last_point
        step = SPACING * self.radius
        distance = math.hypot(x - lx, y - ly)
        n = int(distance // step)
        for k in range(1, n + 1):
            t = k * step / distance
            self._add_bump(lx + t * (x - lx), ly + t * (y - ly), self._bump_height(False))
        self._show_preview()

    def end_stroke(self) -> None:
        stroke, self._stroke = self._stroke, None
        self._grid = None
        if stroke:
            self._apply(stroke)

    def click(self, pos: QtCore.QPointF, dig: bool) -> None:
        """One bump of full strength at ``pos``."""
        if self.surface is None:
            return
        self._dig = dig
        self._apply([(float(pos.x()), float(pos.y()), self._bump_height(True), self.radius)])

    def add_stroke(self, points, dig: bool = False) -> None:
        """A stroke through ``points`` (data coordinates), as a mouse drag would make it."""
        points = [QtCore.QPointF(float(x), float(y)) for x, y in points]
        self.begin_stroke(points[0], dig)
        for p in points[1:]:
            self.extend_stroke(p)
        self.end_stroke()

    def _apply(self, new_bumps) -> None:
        surface = self.surface
        try:
            if surface.kind == "sculpted":
                edited = surface.with_bumps(tuple(surface.bumps) + tuple(new_bumps))
            else:
                edited = Surface.sculpted(surface, bumps=list(new_bumps))
        except ValueError as err:  # too many bumps, say: the message says what to do
            self.hint.setText(str(err))
            if self._preview_view is not None:  # the exact surface again, over the preview
                self.pane.set_surface(surface, self._preview_view)
            return
        self._change(edited)

    def _add_bump(self, x: float, y: float, height: float) -> None:
        bump = (x, y, height, self.radius)
        self._stroke.append(bump)
        self._last_point = (x, y)
        if self._grid is not None:
            xs, ys, z = self._grid
            r = REACH * self.radius
            i0, i1 = np.searchsorted(xs, (x - r, x + r))
            j0, j1 = np.searchsorted(ys, (y - r, y + r))
            dx = xs[i0:i1] - x
            dy = ys[j0:j1] - y
            w2 = 2.0 * self.radius**2
            z[j0:j1, i0:i1] += height * np.exp(-(dy[:, None] ** 2 + dx[None, :] ** 2) / w2)

    # --- live preview ---------------------------------------------------------------------
    def _prepare_preview(self) -> None:
        """Sample the current surface on the heat map's own grid, once per stroke."""
        image = self.pane.layers.image
        if image.image is None:
            self._grid = None
            return
        ny, nx = image.image.shape[:2]
        rect = image.mapRectToParent(image.boundingRect())
        view = ((rect.left(), rect.right()), (rect.top(), rect.bottom()))
        xs, ys, z = self.surface.grid(nx, ny, view)
        self._grid = (xs, ys, z.copy())
        self._preview_view = view
        self._levels = tuple(image.levels) if image.levels is not None else (0.0, 1.0)

    def _show_preview(self) -> None:
        if self._grid is None:
            return
        values, _ = display_values(self.surface, self._grid[2])
        self.pane.layers.image.setImage(values, autoLevels=False, levels=self._levels)

    # --- history ----------------------------------------------------------------------------
    def undo(self) -> None:
        if not self._undo:
            return
        self._redo.append(self.surface)
        self._emit(self._undo.pop())
        self._sync_buttons()

    def redo(self) -> None:
        if not self._redo:
            return
        self._undo.append(self.surface)
        self._emit(self._redo.pop())
        self._sync_buttons()

    def clear(self) -> None:
        """Remove every stroke; the base stays."""
        if self.surface is not None and self.surface.kind == "sculpted" and self.bumps:
            self._change(self.surface.with_bumps(()))

    def _on_base_picked(self, index: int) -> None:
        name = self.base_combo.itemData(index)
        base = self.original if name == "original" else name
        if base is None or self.surface is None:
            return
        try:
            edited = Surface.sculpted(base, bumps=list(self.bumps))
        except ValueError as err:
            self.hint.setText(str(err))
            return
        self._change(edited)
