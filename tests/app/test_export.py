"""Exports: every format from a small scene, read back; the headless command; the dialog."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image
from PySide6 import QtWidgets

from optviz.app.export_cli import main as export_main
from optviz.scene import default_scene
from tests.export.test_encoders import probe

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scene_file(tmp_path):
    path = tmp_path / "small.json"
    replace(default_scene(), steps=200).save(path)
    return path


def _probe(path):
    """(codec, pix_fmt, width, height, frames) of a video, from ffmpeg itself."""
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    return (*probe(path), frames)


def test_mp4_from_the_headless_command(tmp_path, scene_file):
    out = tmp_path / "race.mp4"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "export",
            str(scene_file),
            "-o",
            str(out),
            "--preset",
            "slide-720p",
            "--steps-per-frame",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert _probe(out) == ("h264", "yuv420p", 1280, 720, 21)
    assert "frame 21/21" in run.stderr and "wrote" in run.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_gif_loops_with_the_expected_frames(qtbot, tmp_path, scene_file):
    out = tmp_path / "small.gif"
    assert (
        export_main([str(scene_file), "-o", str(out), "--preset", "gif-small", "--duration", "2"])
        == 0
    )
    with Image.open(out) as gif:
        assert gif.size == (800, 450) and gif.info["loop"] == 0
        assert gif.n_frames == 30  # 2 s at 15 fps


def test_odd_sizes_are_made_even_for_h264(qtbot, tmp_path, scene_file):
    out = tmp_path / "odd.mp4"
    assert (
        export_main(
            [str(scene_file), "-o", str(out), "--size", "641x361", "--fps", "10", "--duration", "1"]
        )
        == 0
    )
    assert _probe(out)[2:4] == (640, 360)


def test_png_frames_and_still_png_with_transparency(qtbot, tmp_path, scene_file):
    folder = tmp_path / "frames"
    assert (
        export_main(
            [str(scene_file), "-o", f"{folder}/", "--size", "480x270", "--steps-per-frame", "50"]
        )
        == 0
    )
    frames = sorted(folder.glob("*.png"))
    assert len(frames) == 5
    with Image.open(frames[0]) as im:
        assert im.size == (480, 270)
    still = tmp_path / "still.png"
    assert (
        export_main(
            [
                str(scene_file),
                "-o",
                str(still),
                "--size",
                "640x360",
                "--transparent",
                "--panes",
                "surface",
                "--frame",
                "100",
            ]
        )
        == 0
    )
    with Image.open(still) as im:
        rgba = np.asarray(im.convert("RGBA"))
    assert rgba.shape == (360, 640, 4)
    assert (rgba[..., 3] == 0).any() and (rgba[..., 3] == 255).any()


def test_svg_is_vector_with_the_trajectories_as_paths(qtbot, tmp_path, scene_file):
    out = tmp_path / "figure.svg"
    umask = os.umask(0o022)
    try:
        assert export_main([str(scene_file), "-o", str(out), "--size", "800x450"]) == 0
    finally:
        os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
    root = ET.parse(out).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    paths = list(root.iter(f"{ns}path")) + list(root.iter(f"{ns}polyline"))
    assert len(paths) > 20
    colours = {e.color.lower() for e in default_scene().entries}
    strokes = " ".join(str(p.attrib) for p in root.iter()).lower()
    assert all(c in strokes for c in colours)


def test_csv_and_npz_round_trip_the_run(qtbot, tmp_path, scene_file):
    from optviz.app.exporter import run_scene
    from optviz.export import read_run_npz
    from optviz.scene import Scene

    result = run_scene(Scene.load(scene_file))
    npz = tmp_path / "run.npz"
    assert export_main([str(scene_file), "-o", str(npz)]) == 0
    data = read_run_npz(npz)
    np.testing.assert_array_equal(data["xy"], result.xy)
    np.testing.assert_array_equal(data["grad"], result.grad)
    assert json.loads(str(data["scene_json"]))["format"] == "optviz-scene"
    csv = tmp_path / "run.csv"
    assert export_main([str(scene_file), "-o", str(csv)]) == 0
    rows = csv.read_text().splitlines()
    assert len(rows) == 1 + 4 * 201
    assert (tmp_path / "run.scene.json").exists()


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["-o", "x.mp4", "--preset", "nope"], 2, "invalid choice"),
        (["-o", "x.doc"], 2, "cannot export to 'x.doc'"),
        (["-o", "x.mp4", "--size", "big"], 2, "--size"),
        (["-o", "/nonexistent-folder/x.mp4"], 1, "does not exist"),
        (["missing.json", "-o", "x.mp4"], 2, "cannot open missing.json"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_message(
    qtbot, capsys, tmp_path, monkeypatch, args, code, message
):
    monkeypatch.chdir(tmp_path)
    try:
        got = export_main(args)
    except SystemExit as exit_:  # argparse rejects bad choices itself
        got = exit_.code
    assert got == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_frames_are_rendered_at_the_target_size(qtbot, tmp_path):
    from optviz.app.exporter import make_figure, run_scene
    from optviz.export_spec import ExportSpec

    scene = replace(default_scene(), steps=100)
    result = run_scene(scene)
    for w, h in ((1920, 1080), (1080, 1080)):
        figure = make_figure(scene, result, ExportSpec(path="x.png", width=w, height=h))
        figure.set_frame(50)
        frame = figure.render_rgba()
        assert frame.shape == (h, w, 4)
        figure.close()


def test_export_dialog_exports_and_cancels(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(
        QtWidgets.QMessageBox, "question", lambda *a: QtWidgets.QMessageBox.StandardButton.No
    )
    window.set_scene(replace(window.scene, steps=300))
    dialog = window.export_dialog()
    qtbot.addWidget(dialog)
    dialog.preset.setCurrentText("gif-small")
    dialog.duration.setValue(1.0)
    out = tmp_path / "dialog.gif"
    dialog.path_edit.setText(str(out))
    qtbot.waitUntil(
        lambda: dialog.preview.pixmap() is not None and not dialog.preview.pixmap().isNull(),
        timeout=10_000,
    )
    assert "frames" in dialog.estimate.text() and "MB" in dialog.estimate.text()
    with qtbot.waitSignal(dialog.export_finished, timeout=60_000):
        dialog.export_button.click()
    with Image.open(out) as gif:
        assert gif.n_frames == 15
    # A long MP4, cancelled after a few frames: nothing is left behind.
    video = tmp_path / "long.mp4"
    dialog.path_edit.setText(str(video))
    dialog.preset.setCurrentText("slide-720p")
    dialog.steps_per_frame.setValue(1)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 5, timeout=30_000)
    assert window.isEnabled()  # the window stays usable meanwhile
    with qtbot.waitSignal(dialog.export_cancelled, timeout=5000):
        dialog.cancel_button.click()
    qtbot.wait(200)
    assert not video.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dialog.gif"]
    dialog.close()


@pytest.mark.parametrize("panes", ["surface", "surface+loss", "dashboard", "race"])
def test_fast_frames_equal_a_full_render(qtbot, panes):
    """Frames are painted over a cached base of the static items; the result must be the
    picture a full render gives."""
    from optviz.app.exporter import make_figure, run_scene
    from optviz.export_spec import ExportSpec

    scene = replace(default_scene(), steps=300)
    result = run_scene(scene)
    figure = make_figure(
        scene, result, ExportSpec(path="x.mp4", width=640, height=360, panes=panes)
    )
    for step in (0, 150, 300):
        figure.set_frame(step)
        fast = figure.render_rgba().astype(int)
        full = figure.render_full_rgba().astype(int)
        assert np.abs(fast - full).max() <= 3, (panes, step)
    figure.close()


def test_race_grid_is_balanced():
    from optviz.app.figure import grid_columns

    assert [grid_columns(n, 1280, 720) for n in (1, 2, 4, 5, 6, 12)] == [1, 2, 2, 3, 3, 4]
    assert grid_columns(4, 1080, 1080) == 2
