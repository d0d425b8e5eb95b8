"""Export figures: a scene's run drawn at the target size in the slide or dark theme.

An ``ExportFigure`` is an offscreen widget laid out at exactly the output size (text is
sharp at 1080p: nothing is scaled after rendering). ``set_frame`` moves every pane to a
step; ``render_rgba`` paints the widget into an image; ``render_svg`` paints it through
Qt's SVG generator (pyqtgraph 0.14's own SVG exporter fails on ordinary plots).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from optviz.engine.run import Result
from optviz.export_spec import ExportSpec
from optviz.scene import Scene

from .metrics_pane import decimate, log10_or_nan
from .surface_layers import SurfaceLayers


@dataclass(frozen=True)
class Theme:
    background: str
    foreground: str
    grid_alpha: float


THEMES = {
    "slide": Theme(background="#ffffff", foreground="#222222", grid_alpha=0.25),
    "dark": Theme(background="#111111", foreground="#dddddd", grid_alpha=0.2),
}


class ExportFigure(pg.GraphicsLayoutWidget):
    """The panes of ``spec.panes`` for ``result`` of ``scene``, at ``spec.size``."""

    def __init__(
        self,
        scene: Scene,
        result: Result,
        spec: ExportSpec,
        labels: list[str],
        colors: list[str],
        descriptions: list[str],
    ) -> None:
        super().__init__()
        self.theme = THEMES[spec.theme]
        self.spec = spec
        self.result = result
        self.scale = spec.height / 1080.0
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.setFixedSize(spec.width, spec.height)
        self.setBackground(None if spec.transparent else self.theme.background)
        self.ci.setContentsMargins(*(4 * [int(18 * self.scale)]))
        self._text = int(22 * self.scale)  # px
        fg = self.theme.foreground
        header = spec.title or f"{scene.surface.title}: {scene.surface.formula}"
        self.title = self.addLabel(
            header, row=0, col=0, colspan=2, color=fg, size=f"{int(30 * self.scale)}px"
        )
        self.step_label = self.addLabel(
            "", row=1, col=0, colspan=2, color=fg, size=f"{self._text}px"
        )
        self.layers: list[SurfaceLayers] = []
        self.cursors: list[pg.InfiniteLine] = []
        self._base: QtGui.QImage | None = None  # everything but the moving items
        self.legend: pg.LegendItem | None = None
        path_width = max(2.0, 4.0 * self.scale)
        heads = max(10.0, 22.0 * self.scale)
        view = scene.view_box
        if spec.panes == "race":
            n = len(labels)
            cols = grid_columns(n, spec.width, spec.height)
            grid = self.addLayout(row=2, col=0, colspan=2)
            for o in range(n):
                plot = grid.addPlot(row=o // cols, col=o % cols)
                self._style(plot, f"{descriptions[o]}", small=True)
                layer = SurfaceLayers(
                    plot, path_width=path_width, head_size=heads, colorbar=False, cached=False
                )
                layer.set_surface(scene.surface, view)
                self._label_surface(plot, scene)
                layer.set_paths(result.xy[o : o + 1], [colors[o]])
                self.layers.append(layer)
        else:
            surface_plot = self.addPlot(row=2, col=0, rowspan=3 if spec.panes == "dashboard" else 1)
            self._style(surface_plot, "")
            layer = SurfaceLayers(
                surface_plot, path_width=path_width, head_size=heads, colorbar=True, cached=False
            )
            layer.set_surface(scene.surface, view)
            self._label_surface(surface_plot, scene)
            layer.set_paths(result.xy, colors)
            bar = layer.colorbar.axis
            self._style_axis(bar)
            self._label(bar, bar.labelText)
            bar.setWidth(int(110 * self.scale))
            self.layers.append(layer)
            legend = pg.LegendItem(
                offset=(-10, 10),
                labelTextColor=fg,
                labelTextSize=f"{self._text}px",
                brush=pg.mkBrush(self.theme.background + "d0"),
                pen=pg.mkPen(fg),
            )
            legend.setParentItem(surface_plot.vb)
            self.legend = legend
            for o, text in enumerate(descriptions):
                legend.addItem(pg.PlotDataItem(pen=pg.mkPen(colors[o], width=path_width)), text)
            if spec.panes in ("surface+loss", "dashboard"):
                self._add_metric_plots(scene, result, colors, spec.panes == "dashboard")
        self.ci.layout.setHorizontalSpacing(int(40 * self.scale))
        self.ci.layout.setColumnStretchFactor(0, 3)
        self.ci.layout.setColumnStretchFactor(1, 2)
        self._polish()

    # --- construction helpers ------------------------------------------------------------
    def _style_axis(self, axis: pg.AxisItem) -> None:
        fg = self.theme.foreground
        font = QtGui.QFont()
        font.setPixelSize(self._text)
        axis.setPen(pg.mkPen(fg, width=max(1.0, 1.5 * self.scale)))
        axis.setTextPen(fg)
        axis.setStyle(
            tickFont=font, tickTextOffset=int(8 * self.scale), tickLength=int(-10 * self.scale)
        )
        axis.label.setFont(font)

    def _label(self, axis: pg.AxisItem, text: str) -> None:
        axis.setLabel(text, color=self.theme.foreground, **{"font-size": f"{self._text}px"})

    def _style(self, plot: pg.PlotItem, title: str, small: bool = False) -> None:
        for name in ("left", "bottom"):
            self._style_axis(plot.getAxis(name))
        if title:
            size = int((0.8 if small else 1.0) * self._text)
            plot.setTitle(title, color=self.theme.foreground, size=f"{size}px")

    def _label_surface(self, plot: pg.PlotItem, scene: Scene) -> None:
        x_label, y_label = scene.surface.axis_labels
        self._label(plot.getAxis("bottom"), x_label)
        self._label(plot.getAxis("left"), y_label)

    def _add_metric_plots(self, scene: Scene, result: Result, colors, dashboard: bool) -> None:
        f_min = scene.surface.f_min
        steps = np.arange(result.steps + 1, dtype=np.float64)
        after = steps[1:]
        series = [
            (
                "loss − f_min" if f_min is not None else "loss",
                steps,
                [
                    log10_or_nan(result.loss[o, 0] - f_min)
                    if f_min is not None
                    else result.loss[o, 0]
                    for o in range(len(colors))
                ],
                f_min is not None,
            )
        ]
        if dashboard:
            grad = result.grad[:, 0]
            series.append(
                (
                    "gradient norm ‖g‖",
                    after,
                    [
                        log10_or_nan(np.hypot(grad[o, :, 0], grad[o, :, 1]))
                        for o in range(len(colors))
                    ],
                    True,
                )
            )
            series.append(
                (
                    "learning rate",
                    after,
                    [log10_or_nan(result.lr[o]) for o in range(len(colors))],
                    True,
                )
            )
        width = max(1.5, 3.0 * self.scale)
        for row, (title, x, ys, log_axis) in enumerate(series):
            plot = self.addPlot(row=2 + row, col=1)
            self._style(plot, title)
            plot.getAxis("left").setLogMode(log_axis)
            plot.showGrid(x=True, y=True, alpha=self.theme.grid_alpha)
            self._label(plot.getAxis("bottom"), "step")
            for o, y in enumerate(ys):
                xs, vs = decimate(x, y)
                plot.addItem(
                    pg.PlotCurveItem(
                        xs,
                        vs,
                        pen=pg.mkPen(colors[o], width=width),
                        connect="finite",
                        antialias=True,
                    )
                )
            cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(self.theme.foreground, width=width))
            plot.addItem(cursor, ignoreBounds=True)
            plot.setXRange(0, result.steps, padding=0.01)
            self.cursors.append(cursor)

    def _polish(self) -> None:
        """Lay the figure out at its final size before anything is rendered."""
        self.show()  # WA_DontShowOnScreen: laid out and painted, never on screen
        QtWidgets.QApplication.processEvents()
        for layer in self.layers:
            layer.plot.vb.updateViewRange()
            layer.set_frame(0)

    # --- frames ---------------------------------------------------------------------------
    def set_frame(self, step: int) -> None:
        for layer in self.layers:
            layer.set_frame(step)
        for cursor in self.cursors:
            cursor.setValue(step)
        if self.spec.step_counter:
            self.step_label.setText(f"step {step} / {self.result.steps}")

    def _moving_items(self) -> list:
        """Items painted every frame: what moves, and the legend, which lies above paths."""
        items = [self.step_label, *self.cursors]
        if self.legend is not None:
            items.append(self.legend)
        for layer in self.layers:
            items += [*layer.paths, *layer.tails, layer.heads]
        return items

    def _static_items(self) -> list:
        """The items that do not change between frames (their children follow them)."""
        moving = {id(i) for i in self._moving_items()}
        kinds = (
            pg.ImageItem,
            pg.AxisItem,
            pg.LabelItem,
            pg.LegendItem,
            pg.ScatterPlotItem,
            pg.PlotCurveItem,
            pg.ColorBarItem,
        )

        def inside_moving(item) -> bool:
            while item is not None:
                if id(item) in moving:
                    return True
                item = item.parentItem()
            return False

        return [
            item
            for item in self.scene().items()
            if isinstance(item, kinds)
            and not inside_moving(item)
            and not isinstance(item.parentItem(), kinds)
        ]

    def _blank(self) -> QtGui.QImage:
        w, h = self.spec.size
        image = QtGui.QImage(w, h, QtGui.QImage.Format.Format_RGBA8888)
        image.fill(
            QtCore.Qt.GlobalColor.transparent
            if self.spec.transparent
            else QtGui.QColor(self.theme.background)
        )
        return image

    def _paint(self, image: QtGui.QImage) -> None:
        painter = QtGui.QPainter(image)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        self.render(painter)
        painter.end()

    def render_rgba(self) -> np.ndarray:
        """uint8[H, W, 4]: the figure as it stands, RGBA (transparent background if asked).

        The first call paints everything but the moving items (paths, heads, cursors, the
        step counter) into a base image and then hides the static items; every frame is
        then a copy of the base with only the moving items painted over it, a fraction of
        the cost of a full render. ``render_full_rgba`` paints everything every time.
        """
        if self._base is None:
            moving = self._moving_items()
            for item in moving:
                item.setVisible(False)
            self._base = self._blank()
            self._paint(self._base)
            for item in moving:
                item.setVisible(True)
            # Only what is visible now: pyqtgraph keeps some items (the top and right axes)
            # hidden, and they must stay so when the full render restores the others.
            self._hidden = [item for item in self._static_items() if item.isVisible()]
            for item in self._hidden:
                item.setVisible(False)
            self.setBackground(None)
        image = self._base.copy()
        self._paint(image)
        return _to_array(image)

    def render_full_rgba(self) -> np.ndarray:
        """uint8[H, W, 4]: every item painted at once (the reference for the fast path)."""
        if self._base is not None:
            for item in self._hidden:
                item.setVisible(True)
            self.setBackground(None if self.spec.transparent else self.theme.background)
            self._base = None
        image = self._blank()
        self._paint(image)
        return _to_array(image)

    def render_svg(self, path: str) -> None:
        """Paint the figure as SVG (vector paths, the heat map embedded as an image)."""
        w, h = self.spec.size
        generator = QtSvg.QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(QtCore.QSize(w, h))
        generator.setViewBox(QtCore.QRect(0, 0, w, h))
        generator.setTitle(self.title.text)
        painter = QtGui.QPainter(generator)
        self.render(painter)
        painter.end()


def _to_array(image: QtGui.QImage) -> np.ndarray:
    """uint8[H, W, 4] copy of an RGBA8888 image (copied while the QImage is alive)."""
    h, w = image.height(), image.width()
    row = image.bytesPerLine()
    data = np.frombuffer(image.constBits(), np.uint8, count=row * h).reshape(h, row)
    return data[:, : w * 4].reshape(h, w, 4).copy()


def grid_columns(n: int, width: int, height: int, cell_aspect: float = 1.4) -> int:
    """Columns for n small multiples: cells close in shape to ``cell_aspect`` (width /
    height), with few empty cells."""

    def cost(cols: int) -> float:
        rows = math.ceil(n / cols)
        shape = (width / cols) / (height / rows)
        return abs(math.log(shape / cell_aspect)) + 0.5 * (rows * cols - n) / n

    return min(range(1, n + 1), key=cost)
