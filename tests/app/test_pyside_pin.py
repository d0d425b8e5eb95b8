"""Regression: PySide6 6.12.0 aborts CPython 3.11 ("none_dealloc").

Methods returning None drop a reference to None; after a few thousand calls the
interpreter aborts. pyproject.toml pins PySide6-Essentials < 6.12 for Python < 3.12.
"""

import subprocess
import sys
from importlib.metadata import version

CALLS = 50_000


def _parse(v):
    return tuple(int(p) for p in v.split(".")[:2])


def test_installed_pyside_respects_the_pin():
    installed = _parse(version("PySide6-Essentials"))
    assert installed >= (6, 8)
    if sys.version_info < (3, 12):
        assert installed < (6, 12), "PySide6 6.12 crashes Python 3.11: see pyproject.toml"


def test_many_none_returning_calls_do_not_crash_the_interpreter():
    code = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6 import QtWidgets\n"
        "import pyqtgraph as pg\n"
        "app = QtWidgets.QApplication([])\n"
        "w = QtWidgets.QLabel()\n"
        "curve = pg.PlotCurveItem()\n"
        f"for i in range({CALLS}):\n"
        "    w.setText(str(i))\n"  # returns None
        "    w.setToolTip('t')\n"
        "    curve.setData([0, 1], [i, i])\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
