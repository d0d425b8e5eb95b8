"""The swarm map: where each optimizer ends up from every start of a grid (drawn as an
image) or of random points (drawn as points) over the view.

``SwarmWindow`` runs ``optviz.swarm`` for the scene's enabled optimizers in the compute
worker and shows, per optimizer, the basin-of-attraction map (each start coloured by the
known minimum it converged to, stuck and diverged starts in their own colours; or by
the steps it took) under the surface's contour lines, plus a table of success rates.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.swarm import swarm

from .job_bar import JobBar
from .race_view import grid_shape, scene_noise
from .surface_layers import SurfaceLayers

MAX_RESOLUTION = 300
COLOR_BY = ("basin", "steps to converge")
SCENE_COLOR_BY = ("basin", "steps")  # as ``SwarmSettings.color_by`` names them
START_KINDS = ("grid", "random")  # as ``SwarmSettings.starts`` names them
#: Basin colours (one per known minimum), then "stuck / no minimum" and "diverged".
BASIN_COLORS = (
    "#e15759",
    "#4e79a7",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#76b7b2",
    "#ff9da7",
    "#9c755f",
    "#f28e2b",
    "#bab0ac",
)
STUCK_COLOR = "#5a5a5a"
DIVERGED_COLOR = "#000000"


def _rgba(hex_color: str) -> tuple[int, int, int, int]:
    c = QtGui.QColor(hex_color)
    return c.red(), c.green(), c.blue(), 255


def basin_image(basin: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """uint8[ny, nx, 4]: ``basin`` (int[S], row-major over the grid) as colours: minimum m
    in BASIN_COLORS[m], -1 (none / stuck) grey, -2 (diverged) black."""
    table = np.array(
        [_rgba(c) for c in BASIN_COLORS] + [_rgba(STUCK_COLOR), _rgba(DIVERGED_COLOR)],
        dtype=np.uint8,
    )
    index = np.where(basin >= 0, basin % len(BASIN_COLORS), len(BASIN_COLORS) - 1 - basin)
    return table[index].reshape(*shape, 4)


def steps_image(steps: np.ndarray, basin: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """uint8[ny, nx, 4]: steps to converge on a log colour scale (viridis), starts that
    never converged grey, diverged black."""
    out = np.empty((steps.size, 4), dtype=np.uint8)
    converged = steps >= 0
    if converged.any():
        logs = np.log10(steps[converged] + 1.0)
        lo, hi = float(logs.min()), float(logs.max())
        scaled = (logs - lo) / (hi - lo) if hi > lo else np.zeros_like(logs)
        out[converged] = pg.colormap.get("viridis").map(scaled, mode="byte")
    out[~converged] = _rgba(STUCK_COLOR)
    out[basin == -2] = _rgba(DIVERGED_COLOR)
    return out.reshape(*shape, 4)


def grid_rect(starts: np.ndarray, shape: tuple[int, int]) -> QtCore.QRectF:
    """The rectangle covered by the cells centred on a row-major grid of ``starts``."""
    ny, nx = shape
    xs = starts[:nx, 0]
    ys = starts[::nx, 1][:ny]
    dx = (xs[-1] - xs[0]) / (nx - 1) if nx > 1 else 1.0
    dy = (ys[-1] - ys[0]) / (ny - 1) if ny > 1 else 1.0
    return QtCore.QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * nx, dy * ny)


def point_brushes(rgba: np.ndarray) -> list[QtGui.QBrush]:
    """One brush per point for uint8[S, 4] colours, shared among equal colours (a basin
    map has a handful; building 10^5 brushes would take seconds)."""
    cache: dict[bytes, QtGui.QBrush] = {}
    brushes = []
    for colour in rgba:
        key = colour.tobytes()
        brush = cache.get(key)
        if brush is None:
            brush = cache[key] = pg.mkBrush(*(int(c) for c in colour))
        brushes.append(brush)
    return brushes


def point_size(n: int) -> float:
    """Pixels per point: large for a few starts, small enough for 10^5 not to overlap."""
    return float(np.clip(400.0 / math.sqrt(max(n, 1)), 2.0, 10.0))


class SwarmWindow(QtWidgets.QWidget):
    """Settings, one basin map per optimizer, the legend and the success table."""

    swarm_shown = QtCore.Signal(object)

    def __init__(self, main_window, parent=None) -> None:
        super().__init__(parent, QtCore.Qt.WindowType.Window)
        self.setWindowTitle("optviz: swarm map")
        self.main = main_window
        self.result = None
        self._colors: list[str] = []
        self.start_kind = QtWidgets.QComboBox()
        self.start_kind.addItems(START_KINDS)
        self.start_kind.setToolTip(
            "grid: n x n starts, drawn as an image; random: n² uniform starts over the view "
            "box (the scene's seed), drawn as points"
        )
        self.resolution = QtWidgets.QSpinBox()
        self.resolution.setRange(4, MAX_RESOLUTION)
        self.resolution.setValue(100)
        self.resolution.setToolTip(
            f"n: starts per side of the grid over the view box (up to {MAX_RESOLUTION}: "
            f"{MAX_RESOLUTION**2} starts per optimizer); random starts: n² of them"
        )
        self.steps = QtWidgets.QSpinBox()
        self.steps.setRange(1, 100_000)
        self.steps.setValue(min(main_window.scene.steps, 1000))
        self.color_by = QtWidgets.QComboBox()
        self.color_by.addItems(COLOR_BY)
        self.run_button = QtWidgets.QPushButton("Run swarm")
        self.job = JobBar(main_window.controller)
        self.graphics = pg.GraphicsLayoutWidget()
        self.legend = QtWidgets.QLabel("")
        self.legend.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            ("optimizer", "reached the global minimum", "diverged", "median steps")
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            QtWidgets.QHeaderView.ResizeMode.ResizeToContents
        )
        form = QtWidgets.QHBoxLayout()
        for text, widget in (
            ("starts", self.start_kind),
            ("n", self.resolution),
            ("steps", self.steps),
            ("colour by", self.color_by),
        ):
            form.addWidget(QtWidgets.QLabel(text))
            form.addWidget(widget)
        form.addWidget(self.run_button)
        form.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.table)
        layout.addWidget(self.job)
        self.plots: list[pg.PlotItem] = []
        self.layers: list[SurfaceLayers] = []
        self.images: list[pg.ImageItem] = []
        self.points: list[pg.ScatterPlotItem] = []
        self.resize(1100, 800)
        self.run_button.clicked.connect(self.run)
        self.job.job_failed.connect(self._on_job_failed)
        self.load_settings()
        self.color_by.currentIndexChanged.connect(self._on_color_by)

    def load_settings(self) -> None:
        """Show the scene's swarm settings (grid of n starts, steps, colouring)."""
        settings = self.main.scene.studies.swarm
        self.start_kind.setCurrentText(settings.starts)
        self.resolution.setValue(round(math.sqrt(settings.n)))
        self.steps.setValue(settings.steps)
        self.color_by.setCurrentIndex(SCENE_COLOR_BY.index(settings.color_by))

    def _store(self, **changes) -> None:
        w = self.main
        studies = w.scene.studies
        w.scene = replace(
            w.scene, studies=replace(studies, swarm=replace(studies.swarm, **changes))
        )

    def _on_color_by(self, index: int) -> None:
        self._store(color_by=SCENE_COLOR_BY[index])
        self._draw()

    def run(self) -> None:
        scene = self.main.scene
        entries = [scene.entries[i] for i in scene.enabled]
        if not entries:
            self.job.state.setText("no optimizer enabled: enable one in the main window")
            return
        optimizers = [e.optimizer for e in entries]
        colors = [e.color for e in entries]
        surface, view = scene.surface, scene.view_box
        n, steps = self.resolution.value() ** 2, self.steps.value()
        noise = scene_noise(scene)
        kind = self.start_kind.currentText()
        # Seed (of random starts) and tol come from the scene.
        self._store(starts=kind, n=n, steps=steps)
        seed, tol = self.main.scene.studies.swarm.seed, self.main.scene.studies.swarm.tol

        def job(progress, cancel):
            return swarm(
                surface,
                optimizers,
                starts=kind,
                n=n,
                steps=steps,
                tol=tol,
                seed=seed,
                view=view,
                noise=noise,
                progress=progress,
                cancel=cancel,
            )

        self.job.run(job, lambda result: self.show_result(result, colors), "running the swarm")

    def show_result(self, result, colors: list[str]) -> None:
        self.result = result
        self._colors = colors
        self._build_panes(len(result.labels))
        self._draw()
        self._fill_table()
        self.swarm_shown.emit(result)

    def _on_job_failed(self, message: str) -> None:
        # The maps, legend and table show the last swarm's surface, which need not be the
        # scene's any more (a failure is often the new surface's): none of it stays up.
        # The job bar shows the message.
        self.result = None
        self._colors = []
        self._build_panes(0)
        self.legend.setText("")
        self.table.setRowCount(0)
        self._fit_table()

    def _build_panes(self, n: int) -> None:
        scene = self.main.scene
        for plot in self.plots:
            self.graphics.ci.removeItem(plot)
        self.plots, self.layers, self.images, self.points = [], [], [], []
        _, cols = grid_shape(n, max(self.graphics.width(), 1), max(self.graphics.height(), 1))
        for o in range(n):
            plot = self.graphics.ci.addPlot(row=o // cols, col=o % cols)
            plot.setMenuEnabled(False)
            layer = SurfaceLayers(plot, colorbar=False, contour_color=(255, 255, 255, 110))
            if self.layers:
                layer.copy_surface_from(self.layers[0])
                plot.setXLink(self.plots[0])
                plot.setYLink(self.plots[0])
            else:
                layer.set_surface(scene.surface, scene.view_box)
            # The heat map stays invisible; only its contour lines are drawn, over the map.
            layer.image.setOpacity(0.0)
            for iso in layer.contours:
                iso.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresParentOpacity)
            image = pg.ImageItem(axisOrder="row-major")
            image.setZValue(-1)
            plot.addItem(image)
            points = pg.ScatterPlotItem(pxMode=True, symbol="s", pen=None)
            points.setZValue(-1)
            plot.addItem(points)
            self.plots.append(plot)
            self.layers.append(layer)
            self.images.append(image)
            self.points.append(points)

    def _draw(self) -> None:
        result = self.result
        if result is None:
            return
        # A grid is an image of cells centred on the starts; random starts are points.
        shape = result.grid_shape or (1, len(result.starts))
        by_basin = self.color_by.currentText() == "basin"
        for o, (plot, image, points) in enumerate(zip(self.plots, self.images, self.points)):
            basin = np.asarray(result.basin[o])
            rgba = (
                basin_image(basin, shape)
                if by_basin
                else steps_image(np.asarray(result.steps_to_converge[o]), basin, shape)
            )
            if result.grid_shape is not None:
                image.setImage(rgba, autoLevels=False)
                image.setRect(grid_rect(result.starts, shape))
                points.clear()
            else:
                image.clear()
                points.setData(
                    pos=result.starts, brush=point_brushes(rgba[0]), size=point_size(shape[1])
                )
            color = self._colors[o] if o < len(self._colors) else "#dddddd"
            plot.setTitle(result.labels[o], size="9pt", color=color)
        minima = np.asarray(result.minima)
        if by_basin:
            parts = [
                f'<span style="color:{BASIN_COLORS[m % len(BASIN_COLORS)]}">■</span> '
                f"({x:.3g}, {y:.3g}){' (global)' if m in result.global_minima else ''}"
                for m, (x, y) in enumerate(minima)
            ]
            parts += [
                f'<span style="color:{STUCK_COLOR}">■</span> no minimum within the steps',
                "■ diverged (black)",
            ]
            self.legend.setText(
                "Each start coloured by the minimum it reached: " + ", ".join(parts)
            )
        else:
            self.legend.setText(
                "Steps to converge, log colour scale (viridis: dark = few); grey: never; "
                "black: diverged"
            )

    def _fill_table(self) -> None:
        rows = self.result.success_table()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            median = row.median_steps
            texts = (
                row.label,
                f"{100 * row.global_rate:.1f} %",
                f"{100 * row.diverged_rate:.1f} %",
                "–" if median is None or not np.isfinite(median) else f"{median:.0f}",
            )
            for c, text in enumerate(texts):
                item = QtWidgets.QTableWidgetItem(text)
                if c == 0 and r < len(self._colors):
                    swatch = QtGui.QPixmap(12, 12)
                    swatch.fill(QtGui.QColor(self._colors[r]))
                    item.setIcon(QtGui.QIcon(swatch))
                if c:
                    item.setTextAlignment(
                        QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        self._fit_table()

    def _fit_table(self) -> None:
        """As tall as its rows (up to 8), so the maps get the rest of the window."""
        shown = min(self.table.rowCount(), 8)
        height = self.table.horizontalHeader().height() + 2 * self.table.frameWidth()
        self.table.setFixedHeight(height + sum(self.table.rowHeight(r) for r in range(shown)))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.job.cancel()
        super().closeEvent(event)
