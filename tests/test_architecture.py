"""The model never imports Qt: only optviz/app may."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import optviz

PACKAGE = Path(optviz.__file__).parent
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6")


def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_qt_import_outside_the_app_package():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "app" in path.relative_to(PACKAGE).parts:
            continue
        for name in _imports(path):
            if name.split(".")[0] in QT_MODULES:
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not offenders, offenders


def test_importing_and_running_the_model_loads_no_qt():
    code = (
        "import sys, optviz\n"
        "optviz.simulate('booth', [optviz.Optimizer('adam')], steps=3).loss\n"
        f"print([m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_app_starts_without_loading_sympy():
    # sympy takes about 0.4 s to import; only typed formulas need it.
    code = "import sys, optviz.app.window\nprint('sympy' in sys.modules)\n"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "False", out.stdout + out.stderr
