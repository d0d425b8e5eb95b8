"""``python main.py --screenshot FILE`` renders the window with the surface and paths."""

import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6 import QtGui

ROOT = Path(__file__).resolve().parents[2]


def _pixels(path):
    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB888)
    ptr = image.constBits()
    row = image.bytesPerLine()
    data = np.frombuffer(ptr, np.uint8, count=row * image.height()).reshape(image.height(), row)
    # Copy while the QImage that owns the memory is still alive.
    return data[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def test_screenshot_shows_surface_and_trajectories(tmp_path):
    out = tmp_path / "shot.png"
    run = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--screenshot", str(out), "--size", "1280x800"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    px = _pixels(out)
    assert px.shape == (800, 1280, 3)
    # Not blank or black (those have a handful of colours): the heat map, text and curves
    # give hundreds.
    assert len(np.unique(px.reshape(-1, 3), axis=0)) > 500
    # The default scene's optimizer colours are drawn (each path is hundreds of pixels).
    from optviz.scene import default_scene

    for entry in default_scene().entries:
        colour = np.array(QtGui.QColor(entry.color).getRgb()[:3])
        near = (np.abs(px.astype(int) - colour).sum(-1) < 40).sum()
        assert near > 100, f"{entry.optimizer.label} ({entry.color}) not visible: {near} px"
    # Nothing but the app's own lines on the terminal.
    assert all(
        line.startswith(("optviz:", "saved ")) for line in (run.stdout + run.stderr).splitlines()
    ), run.stdout + run.stderr


def test_screenshot_of_a_broken_scene_fails_with_a_message(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--screenshot",
            str(tmp_path / "x.png"),
            "--scene",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "not an optviz scene" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "x.png").exists()
