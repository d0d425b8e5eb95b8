"""App-test fixtures: a real main window, and no test may leave a worker thread running."""

import gc

import pytest
import shiboken6
from PySide6 import QtCore

from optviz.app.worker import SimulationController
from optviz.scene import default_scene


@pytest.fixture(autouse=True)
def no_thread_left_running():
    yield
    # The test's windows are garbage now: collect them here, on the GUI thread, not in
    # whatever thread allocates next (see optviz/app/gui_gc.py).
    gc.collect()
    # A thread whose C++ object Qt already deleted (with its window) is not running.
    running = [
        t.objectName()
        for t in list(SimulationController.threads)
        if shiboken6.isValid(t) and t.isRunning()
    ]
    assert not running, f"worker threads left running: {running}"


@pytest.fixture
def settings(tmp_path):
    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    """The main window on the default scene, its first result shown."""
    from optviz.app.window import MainWindow

    w = MainWindow(default_scene(), settings=settings, restore=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.result is not None, timeout=120_000)
    yield w
    w.close()


def wait_result(qtbot, window, action, timeout=30_000):
    """Run ``action`` and wait for the result it causes to reach the panes."""
    with qtbot.waitSignal(window.result_shown, timeout=timeout) as blocker:
        action()
    return blocker.args[0]
