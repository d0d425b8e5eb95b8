"""File > Import height map: an image as a surface, with its domain, height range and preview.

The image is read (and checked) when the dialog opens, so an unreadable file or a bad
size is reported before anything else happens; the preview shows the interpolated
surface over the chosen domain and height range and follows every edit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from optviz.surfaces.surface import Surface

DEFAULT_DOMAIN = ((-3.0, 3.0), (-3.0, 3.0))
DEFAULT_Z_RANGE = (0.0, 1.0)
PREVIEW = 160  # samples per axis of the preview


class HeightmapDialog(QtWidgets.QDialog):
    """Domain and height range for the height map at ``path``; ``surface`` is the result.

    Raises ``ValueError`` (with a message fit for a dialog) when the file cannot be used.
    """

    def __init__(self, path: str | Path, parent=None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.surface: Surface = Surface.from_heightmap(
            self.path, DEFAULT_DOMAIN, DEFAULT_Z_RANGE, title=self._title()
        )
        self.setWindowTitle(f"Import height map: {self.path.name}")
        self.spins: list[QtWidgets.QDoubleSpinBox] = []
        values = (*DEFAULT_DOMAIN[0], *DEFAULT_DOMAIN[1], *DEFAULT_Z_RANGE)
        for value in values:
            spin = QtWidgets.QDoubleSpinBox()
            spin.setRange(-1e6, 1e6)
            spin.setDecimals(3)
            spin.setValue(value)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._rebuild)
            self.spins.append(spin)
        grid = QtWidgets.QGridLayout()
        for row, (label, a, b) in enumerate((("x", 0, 1), ("y", 2, 3), ("height", 4, 5))):
            grid.addWidget(QtWidgets.QLabel(label), row, 0)
            grid.addWidget(self.spins[a], row, 1)
            grid.addWidget(QtWidgets.QLabel("…"), row, 2)
            grid.addWidget(self.spins[b], row, 3)
        self.preview = pg.PlotWidget()
        self.preview.setMinimumSize(260, 220)
        self.preview.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.preview.addItem(self.image)
        raw = self.surface._payload.raw  # the image's own samples, for the size line
        self.info = QtWidgets.QLabel(
            f"{raw.shape[1]} x {raw.shape[0]} samples, smoothed by bicubic (Catmull-Rom) "
            "interpolation. Image top = largest y; black = lowest height."
        )
        self.info.setWordWrap(True)
        self.error_label = QtWidgets.QLabel("")
        self.error_label.setStyleSheet("color: #e5484d;")
        self.error_label.setWordWrap(True)
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.info)
        layout.addLayout(grid)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._draw()

    def _title(self) -> str:
        return f"Height map {self.path.stem}"

    def values(self) -> tuple[tuple[tuple[float, float], tuple[float, float]], tuple[float, float]]:
        x0, x1, y0, y1, z0, z1 = (s.value() for s in self.spins)
        return ((x0, x1), (y0, y1)), (z0, z1)

    def set_values(self, domain, z_range) -> None:
        (x0, x1), (y0, y1) = domain
        for spin, value in zip(self.spins, (x0, x1, y0, y1, *z_range)):
            with QtCore.QSignalBlocker(spin):
                spin.setValue(value)
        self._rebuild()

    def _rebuild(self, *_) -> None:
        domain, z_range = self.values()
        ok = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        try:
            self.surface = Surface.from_heightmap(self.path, domain, z_range, title=self._title())
        except ValueError as err:
            self.error_label.setText(str(err))
            ok.setEnabled(False)
            return
        self.error_label.setText("")
        ok.setEnabled(True)
        self._draw()

    def _draw(self) -> None:
        (x0, x1), (y0, y1) = self.surface.view
        _, _, z = self.surface.grid(PREVIEW, PREVIEW)
        self.image.setImage(z, autoLevels=True)
        self.image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self.preview.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.preview.setTitle(
            f"heights {float(np.min(z)):.3g} … {float(np.max(z)):.3g}", size="9pt"
        )
