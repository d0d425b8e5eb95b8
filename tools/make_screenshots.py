"""Regenerate the README's screenshots of the surface tools (offscreen, 1440x900).

    python tools/make_screenshots.py [formula-editor|sculpted|dataset-pane ...]

The scene-file screenshots (default scene, race, basins, sweep) come from
``python main.py --screenshot`` with the commands in the README; the three here need the
surface editor open in a given state (an error shown in the formula field, sculpt mode,
the dataset pane), so they drive the window the way a user would and grab it once its
run is drawn. Writes ``resources/screenshots/<name>.png``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPTVIZ_BACKGROUND_COMPILE", "0")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6 import QtCore, QtWidgets  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

import optviz  # noqa: E402
from optviz.app.window import MainWindow  # noqa: E402
from optviz.scene import PALETTE, Entry, Scene, default_scene  # noqa: E402

SIZE = (1440, 900)
OUT = ROOT / "resources" / "screenshots"


def _wait(app, done, timeout_s: float = 120.0) -> None:
    timer = QtCore.QElapsedTimer()
    timer.start()
    while not done():
        if timer.elapsed() > timeout_s * 1000:
            raise TimeoutError("the window did not finish in time")
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)


def _run_and_wait(app, window, action) -> None:
    """Do ``action`` and wait until the window shows the run it starts."""
    shown = []
    window.result_shown.connect(shown.append)
    action()
    _wait(app, lambda: shown)
    window.result_shown.disconnect(shown.append)  # only ours: the window's own slots stay


def _pick(window, key: str) -> None:
    combo = window.surface_combo
    combo.setCurrentIndex(combo.findData(key))


def formula_editor(app, window) -> None:
    """A formula with an unknown name: the message and its column, the last good surface
    and its paths kept."""
    editor = window.surface_tools.formula_editor
    _run_and_wait(app, window, lambda: _pick(window, "formula"))
    good = "sin(x)*cos(y) + 0.1*(x^2 + y^2)"

    def type_good():
        editor.field.setText(good)
        editor.compile_now()

    if window.scene.surface.formula != good:  # the field's default may already be it
        _run_and_wait(app, window, type_good)
    editor.field.setFocus()
    editor.field.end(False)
    QTest.keyClicks(editor.field, " + z")  # typed, as the live validation listens to edits
    _wait(app, lambda: editor.error != "")


def sculpted(app, window) -> None:
    """A bowl with a ridge raised across it and a trench dug beside it, in sculpt mode."""
    ridge = [(x, 0.4 + 0.3 * x, 2.0, 0.45) for x in (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0)]
    trench = [(x, -1.2, -2.0, 0.4) for x in (-1.0, -0.5, 0.0, 0.5, 1.0)]
    surface = optviz.Surface.sculpted("bowl", ridge + trench)
    scene = window.scene
    starts = ((-1.5, 2.0), (1.8, 2.2))
    _run_and_wait(
        app, window, lambda: window.set_scene(Scene(surface, scene.entries, starts, scene.steps))
    )
    window.surface_tools.sculpt_action.setChecked(True)


def dataset_pane(app, window) -> None:
    """The notes' sigmoid neuron on two examples, from their start (-2, -2) with their
    eta = 1 (lr 2 here: the notes sum the two squared errors, optviz averages them),
    each optimizer's fitted curve in the dataset pane."""
    _run_and_wait(app, window, lambda: _pick(window, "neuron_two_points"))
    entries = (
        Entry(optviz.Optimizer("sgd", lr=2.0, label="GD, eta 1"), PALETTE[0]),
        Entry(optviz.Optimizer("momentum", lr=2.0, momentum=0.9, label="Momentum 0.9"), PALETTE[1]),
        Entry(optviz.Optimizer("nag", lr=2.0, momentum=0.9, label="Nesterov 0.9"), PALETTE[2]),
        Entry(optviz.Optimizer("adam", lr=0.1, label="Adam, lr 0.1"), PALETTE[3]),
    )
    scene = window.scene
    _run_and_wait(
        app,
        window,
        lambda: window.set_scene(Scene(scene.surface, entries, ((-2.0, -2.0),), 1000, scene.noise)),
    )


SHOTS = {"formula-editor": formula_editor, "sculpted": sculpted, "dataset-pane": dataset_pane}


def main(names: list[str]) -> int:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    settings = QtCore.QSettings(os.devnull, QtCore.QSettings.Format.IniFormat)
    for name in names or list(SHOTS):
        window = MainWindow(default_scene(), settings=settings, restore=False)
        window.resize(*SIZE)
        window.show()
        _wait(app, lambda w=window: w.result is not None)
        SHOTS[name](app, window)
        window.playback.set_frame(window.result.steps)
        app.processEvents()
        path = OUT / f"{name}.png"
        if not window.grab().toImage().save(str(path), "PNG"):
            print(f"cannot write {path}", file=sys.stderr)
            return 1
        print(f"saved {path}")
        window.close()
        window.deleteLater()
        app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
