"""Render the application icon resources/optviz.svg to PNGs in resources/icons/.

Run from the repository root, with no display needed:

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/render_icons.py

It writes resources/icons/optviz-<N>.png for every N in SIZES (square, transparent
background). Rerun it whenever the SVG changes and commit the PNGs with it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Qt picks its platform plugin when the first Q*Application is made; offscreen means no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
SVG = RESOURCES / "optviz.svg"
OUT_DIR = RESOURCES / "icons"
# The hicolor theme's usual fixed sizes, plus 512 for HiDPI docks and app stores.
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """Paint the SVG onto a transparent size x size image."""
    # Premultiplied ARGB is the format QPainter draws into fastest and blends correctly.
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main() -> int:
    # QSvgRenderer needs a Gui application for fonts and paint engines.
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"error: {SVG} is not a valid SVG", file=sys.stderr)
        return 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        path = OUT_DIR / f"optviz-{size}.png"
        # Save via a temp name so an interrupted run never leaves a truncated PNG.
        tmp = path.with_name(path.name + ".tmp")
        if not render(renderer, size).save(str(tmp), "PNG"):
            tmp.unlink(missing_ok=True)
            print(f"error: could not write {path}", file=sys.stderr)
            return 1
        os.replace(tmp, path)
        print(path.relative_to(RESOURCES.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
