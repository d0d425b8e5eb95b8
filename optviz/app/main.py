"""Entry point of the desktop app: ``optviz`` / ``python main.py``.

``--screenshot FILE`` renders the default scene (or ``--scene FILE``) offscreen after its
run completes, saves a PNG of the whole window (or, with ``--view``, of race mode or the
swarm or sweep map) and exits; ``--install-desktop`` writes a
freedesktop entry and icons for the user's application menu.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("optviz")

SCREENSHOT_TIMEOUT_S = 600
VIEWS = ("main", "race", "race-overlay", "swarm", "sweep")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="optviz", description="Watch gradient-based optimizers move on 2-D loss surfaces."
    )
    parser.add_argument(
        "--scene", metavar="FILE", help="open this scene (JSON) instead of the last one"
    )
    parser.add_argument(
        "--screenshot",
        metavar="FILE",
        help="render the scene offscreen after its run, save a PNG, exit",
    )
    parser.add_argument(
        "--frame",
        type=int,
        default=None,
        help="with --screenshot: the step to show (default: the last)",
    )
    parser.add_argument(
        "--size",
        default="1440x900",
        metavar="WxH",
        help="with --screenshot: window size (default 1440x900)",
    )
    parser.add_argument(
        "--view",
        choices=VIEWS,
        default="main",
        help="with --screenshot: what to capture: the main window (default), race mode in "
        "small multiples or overlay, or the swarm or sweep map of the scene",
    )
    parser.add_argument(
        "--install-desktop",
        action="store_true",
        help="install a desktop entry and icons for the current user, exit",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["export"]:
        from .export_cli import main as export_main

        return export_main(argv[1:])
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="optviz: %(message)s")
    if args.version:
        import optviz

        print(optviz.__version__)
        return 0
    if args.install_desktop:
        from .desktop import install_desktop

        try:
            path = install_desktop()
        except OSError as err:
            print(f"optviz: {err}", file=sys.stderr)
            return 1
        print(f"installed {path}")
        return 0
    try:
        size = tuple(int(v) for v in args.size.lower().split("x"))
        if len(size) != 2 or min(size) < 100:
            raise ValueError
    except ValueError:
        print(f"optviz: --size {args.size!r} must look like 1440x900", file=sys.stderr)
        return 2
    if args.screenshot:
        os.environ["QT_QPA_PLATFORM"] = _offscreen_platform(size)

    from PySide6 import QtGui, QtWidgets

    from optviz.scene import Scene, SceneError

    from . import qt_log
    from .desktop import icon_svg
    from .window import MainWindow

    qt_log.install()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("optviz")
    app.setOrganizationName("optviz")
    app.setDesktopFileName("optviz")
    app.setWindowIcon(QtGui.QIcon(str(icon_svg())))

    scene = None
    if args.scene:
        try:
            scene = Scene.load(args.scene)
        except SceneError as err:
            print(f"optviz: cannot open {args.scene}: {err}", file=sys.stderr)
            return 2
    if args.screenshot:
        return _screenshot(
            app, MainWindow, scene, Path(args.screenshot), args.frame, size, args.view
        )
    window = MainWindow(scene)
    window.show()
    window.playback.play()
    code = app.exec()
    _dispose(window)
    return code


def _offscreen_platform(size: tuple[int, int]) -> str:
    """The offscreen platform with a virtual screen large enough for the screenshot (its
    default 800x800 screen would clip a larger window's layout)."""
    import json
    import tempfile

    config = {
        "screens": [
            {
                "name": "shot",
                "x": 0,
                "y": 0,
                "width": size[0] + 200,
                "height": size[1] + 200,
                "logicalDpi": 96,
                "logicalBaseDpi": 96,
                "dpr": 1,
            }
        ]
    }
    fd, path = tempfile.mkstemp(prefix="optviz-screen-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(config, f)
    return f"offscreen:configfile={path}"


def _dispose(window) -> None:
    """Destroy the window before the interpreter tears down: left to garbage collection
    at exit, Qt objects die in arbitrary order and PySide can crash on the way out."""
    from PySide6 import QtCore

    window.close()
    window.deleteLater()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)


def _screenshot(
    app, window_class, scene, path: Path, frame: int | None, size, view: str = "main"
) -> int:
    from PySide6 import QtCore, QtWidgets

    from optviz.scene import default_scene

    settings = QtCore.QSettings(str(Path(os.devnull)), QtCore.QSettings.Format.IniFormat)
    window = window_class(scene or default_scene(), settings=settings, restore=False)
    window.resize(*size)
    window.show()
    outcome = {"code": 1}

    def save(widget) -> None:
        QtWidgets.QApplication.processEvents()
        image = widget.grab().toImage()
        if image.isNull() or not image.save(str(path), "PNG"):
            print(f"optviz: cannot write {path}", file=sys.stderr)
        else:
            print(f"saved {path} ({image.width()}x{image.height()})")
            outcome["code"] = 0
        app.quit()

    def shoot(result) -> None:
        if result is None or outcome.get("shot"):
            return
        outcome["shot"] = True  # later results (a race, a loaded cell) must not shoot again
        window.playback.set_frame(result.steps if frame is None else frame)
        if view == "main":
            save(window)
        else:
            window.races.show_view(view, save, size)

    window.result_shown.connect(shoot)
    QtCore.QTimer.singleShot(SCREENSHOT_TIMEOUT_S * 1000, app.quit)
    app.exec()
    _dispose(window)
    return outcome["code"]
