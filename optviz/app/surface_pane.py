"""The surface pane: the surface picture plus start markers and mouse interaction."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6 import QtCore

from optviz.surfaces.surface import Surface

from .surface_layers import SurfaceLayers


class StartMarkers:
    """One draggable marker per start in ``plot``; ``on_moved(index, x, y)`` is called
    while the user drags marker ``index`` (never for ``set_starts``).

    The surface pane has one set; race mode's small multiples have one per pane.
    """

    def __init__(self, plot: pg.PlotItem, on_moved: Callable[[int, float, float], None]) -> None:
        self.plot = plot
        self.on_moved = on_moved
        self.targets: list[pg.TargetItem] = []
        self._moving = False

    def set_starts(self, starts) -> None:
        """Show one marker per start (reusing the existing ones)."""
        self._moving = True
        try:
            while len(self.targets) < len(starts):
                target = pg.TargetItem(
                    size=15, movable=True, pen=pg.mkPen("w", width=2), symbol="crosshair"
                )
                target.setZValue(30)
                index = len(self.targets)
                target.sigPositionChanged.connect(lambda t, i=index: self._on_target_moved(i, t))
                self.plot.addItem(target)
                self.targets.append(target)
            while len(self.targets) > len(starts):
                self.plot.removeItem(self.targets.pop())
            for target, (x, y) in zip(self.targets, starts):
                target.setPos(x, y)
        finally:
            self._moving = False

    def _on_target_moved(self, index: int, target: pg.TargetItem) -> None:
        if not self._moving:
            pos = target.pos()
            self.on_moved(index, float(pos.x()), float(pos.y()))


class SurfacePane(pg.GraphicsLayoutWidget):
    """A loss surface with the optimizers' paths up to the current frame.

    Signals: ``start_moved(index, x, y)`` while a start marker is dragged,
    ``start_set(x, y)`` on a click (one start there), ``start_added(x, y)`` on a
    shift-click.

    While the pane is hidden (race mode's small multiples) it only remembers the paths
    and the frame it was given, and draws them when it is shown again.
    """

    start_moved = QtCore.Signal(int, float, float)
    start_set = QtCore.Signal(float, float)
    start_added = QtCore.Signal(float, float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumSize(360, 320)
        self.plot = self.addPlot()
        self.layers = SurfaceLayers(self.plot)
        # The drawing items, for tests and benchmarks.
        self.image, self.contours = self.layers.image, self.layers.contours
        self.paths, self.tails, self.heads = self.layers.paths, self.layers.tails, self.layers.heads
        self.markers = StartMarkers(self.plot, self.start_moved.emit)
        #: Set by sculpt mode: clicks then shape the surface and must not move the start.
        self.sculpting = False
        self._pending_paths: tuple | None = None  # (xy, colors) given while hidden
        self._frame = 0
        self.plot.scene().sigMouseClicked.connect(self._on_click)

    @property
    def targets(self) -> list[pg.TargetItem]:
        """The start markers (for tests and benchmarks)."""
        return self.markers.targets

    def set_surface(self, surface: Surface, view) -> None:
        self.layers.set_surface(surface, view)
        self.plot.setTitle(f"{surface.title}: {surface.formula}", size="9pt")

    def set_paths(self, xy, colors) -> None:
        """New trajectories, float64[O, S, T+1, 2] (or None), one colour per optimizer."""
        self._pending_paths = (xy, list(colors))
        if self.isVisible():
            self._catch_up()

    def set_frame(self, frame: int) -> None:
        """Draw every path up to step ``frame`` and a head at that step."""
        self._frame = frame
        if self.isVisible():
            self._catch_up()

    def _catch_up(self) -> None:
        """Draw what was asked for and is not drawn yet."""
        if self._pending_paths is not None:
            self.layers.set_paths(*self._pending_paths)
            self._pending_paths = None
            self.layers.set_frame(self._frame)
        elif self.layers.frame != self._frame:
            self.layers.set_frame(self._frame)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._catch_up()

    def view_range(self):
        (x0, x1), (y0, y1) = self.plot.viewRange()
        return (x0, x1), (y0, y1)

    # --- starts ----------------------------------------------------------------------
    def set_starts(self, starts) -> None:
        """Show one draggable marker per start (reusing the existing ones)."""
        self.markers.set_starts(starts)

    def _on_click(self, event) -> None:
        if self.sculpting or event.button() != QtCore.Qt.MouseButton.LeftButton or event.double():
            return
        vb = self.plot.vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        if event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier:
            self.start_added.emit(float(p.x()), float(p.y()))
        else:
            self.start_set.emit(float(p.x()), float(p.y()))
