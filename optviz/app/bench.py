"""App benchmarks (``python -m optviz.bench app``): start-up, drag latency, frame time.

All offscreen. Figures are medians (and 90th percentiles) of one run.
- start-up: a fresh process until the window is shown, and until the default scene's
  first result is drawn with playback running (kernel cache warm);
- drag: moving the start marker with 8 optimizers x 2000 steps, from the move to the
  recomputed paths drawn (recompute + transfer + redraw per drag event);
- playback: 16 optimizers x 5000 steps on a 400 x 400 heat map, per-frame draw time
  (paths, heads and cursors updated, then Qt paints the dirty regions);
- cancel: from a click on Cancel during a long run to the worker's report that it stopped.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def startup(repeats: int = 5) -> tuple[float, float]:
    """Median seconds from process start to (window shown, first scene drawn)."""
    shown, drawn = [], []
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for _ in range(repeats + 1):  # the first run warms disk caches
        began = time.time()
        out = subprocess.run(
            [sys.executable, "-m", "optviz.app.bench", "--probe"],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
        lines = dict(line.split() for line in out.stdout.splitlines() if line.count(" ") == 1)
        shown.append(float(lines["shown"]) - began)
        drawn.append(float(lines["drawn"]) - began)
    return statistics.median(shown[1:]), statistics.median(drawn[1:])


def _probe() -> int:
    """Child of ``startup``: print wall times of 'window shown' and 'scene drawn'."""
    from PySide6 import QtCore, QtWidgets

    from optviz.app.window import MainWindow
    from optviz.scene import default_scene

    app = QtWidgets.QApplication(sys.argv[:1])
    settings = QtCore.QSettings(os.devnull, QtCore.QSettings.Format.IniFormat)
    window = MainWindow(default_scene(), settings=settings, restore=False)
    times: dict[str, float] = {}

    def drawn(result) -> None:
        if result is not None and "drawn" not in times:
            window.playback.play()
            times["drawn"] = time.time()
            app.quit()  # ends exec() if it is running; harmless before

    window.result_shown.connect(drawn)  # before any event processing can deliver it
    window.show()
    app.processEvents()
    times["shown"] = time.time()
    if "drawn" not in times:
        QtCore.QTimer.singleShot(120_000, app.quit)
        app.exec()
    print("shown", times["shown"], flush=True)
    print("drawn", times.get("drawn", float("nan")), flush=True)
    window.close()
    return 0


def _window(scene):
    from PySide6 import QtCore, QtWidgets

    from optviz.app.window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    # The previous measurement's window is garbage now; collect it here, or its hidden
    # widgets stay alive and slow this one (the app itself has one window per process).
    gc.collect()
    settings = QtCore.QSettings(os.devnull, QtCore.QSettings.Format.IniFormat)
    window = MainWindow(scene, settings=settings, restore=False)
    window.resize(1440, 900)
    window.show()
    deadline = time.perf_counter() + 120
    while window.result is None and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)
    return app, window


def _scene(names, steps):
    from optviz.optimizers.spec import Optimizer
    from optviz.scene import PALETTE, Entry, Scene
    from optviz.surfaces.surface import Surface

    entries = [Entry(Optimizer(n), PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)]
    return Scene(Surface.preset("rosenbrock"), tuple(entries), ((-1.5, 2.0),), steps)


def drag(events: int = 60) -> list[float]:
    """Seconds from each start-marker move to its recomputed paths being drawn."""
    names = ["sgd", "momentum", "nag", "rmsprop", "adagrad", "adam", "adamw", "lion"]
    app, window = _window(_scene(names, 2000))
    target = window.surface_pane.targets[0]
    latencies = []
    for i in range(events):
        shown = []
        window.result_shown.connect(shown.append)
        began = time.perf_counter()
        target.setPos(-1.5 + 0.01 * (i + 1), 2.0 - 0.005 * (i + 1))  # a new position each time
        while not shown:
            app.processEvents()
            if time.perf_counter() - began > 30:
                raise RuntimeError("no result within 30 s of a drag event")
        window.surface_pane.viewport().repaint()
        latencies.append(time.perf_counter() - began)
        window.result_shown.disconnect(shown.append)
    window.close()
    return latencies


def playback(frames: int = 300) -> list[float]:
    """Per-frame draw seconds with 16 optimizers x 5000 steps on a 400 x 400 heat map."""
    from optviz.optimizers.registry import OPTIMIZER_NAMES

    names = [n for n in OPTIMIZER_NAMES if n != "line_search"][:16]
    app, window = _window(_scene(names, 5000))
    times = []
    for frame in np.linspace(0, 5000, frames).astype(int):
        began = time.perf_counter()
        window.playback.set_frame(int(frame))
        app.processEvents()  # Qt paints the dirty regions, as in the running app
        times.append(time.perf_counter() - began)
    window.close()
    return times


def race_playback(frames: int = 300, n: int = 12, steps: int = 2000) -> list[float]:
    """Per-frame seconds of race mode in small multiples: ``n`` optimizers (one pane each)
    x ``steps`` steps, the leaderboard updated every frame, one frame per playback tick."""
    from optviz.optimizers.registry import OPTIMIZER_NAMES

    names = [name for name in OPTIMIZER_NAMES if name != "line_search"][:n]
    app, window = _window(_scene(names, steps))
    mode = window.races.mode
    raced = []
    mode.race_shown.connect(raced.append)
    mode.set_layout("small multiples")
    mode.set_enabled(True)
    deadline = time.perf_counter() + 120
    while not raced and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)
    if not raced:
        raise RuntimeError("the race did not finish within 120 s")
    times = []
    # 300 steps/s at 60 frames/s: five steps per frame, as the default playback speed plays.
    for frame in range(0, 5 * frames, 5):
        began = time.perf_counter()
        window.playback.set_frame(frame % (steps + 1))
        app.processEvents()  # Qt paints every pane's dirty region, as in the running app
        times.append(time.perf_counter() - began)
    window.close()
    return times


def formula(repeats: int = 8) -> tuple[list[float], list[float]]:
    """Seconds from the last keystroke of a formula to its surface redrawn and its
    trajectories recomputed and drawn (default scene's 4 optimizers x 2000 steps): for
    formulas typed before (compiled, in memory) and for new ones (sympy + numba compile).
    Both include the 150 ms debounce after the keystroke."""
    from PySide6.QtTest import QTest

    from optviz.scene import default_scene

    app, window = _window(default_scene())
    tools = window.surface_tools
    editor = tools.formula_editor

    def until_shown(action, text: str | None = None) -> float:
        began = time.perf_counter()
        action()
        while text is not None and window.scene.surface.formula != text or window.run_in_flight:
            app.processEvents()
            if time.perf_counter() - began > 60:
                raise RuntimeError("no result within 60 s of a keystroke")
        window.surface_pane.viewport().repaint()
        return time.perf_counter() - began

    def typed(text: str) -> float:
        editor.field.setText(text[:-1])
        editor.field.setFocus()
        return until_shown(lambda: QTest.keyClick(editor.field, text[-1]), text)

    until_shown(lambda: tools.pick("formula"))
    known = ("sin(x)*cos(y) + 0.1*(x^2 + y^2)", "x^2 + 3*y^2 + 0.5*sin(3*x)")
    for text in known:
        typed(text)
    token = time.time_ns() % 10**8  # new formulas in every run: never in the disk cache
    cached, uncached = [], []
    for i in range(repeats):
        uncached.append(typed(f"sin(x)*cos(y) + 0.1*(x^2 + y^2) + {token + i}e-12*x*y"))
        cached.append(typed(known[i % 2]))
    window.close()
    return cached, uncached


def sculpt(moves: int = 100) -> tuple[list[float], list[float]]:
    """Seconds per mouse move of a sculpt stroke on the default scene (the heat map
    redrawn with the new bumps), and from each stroke's end (after strokes of 40 bumps
    each) to the exact surface, contours and 4 paths x 2000 steps drawn."""
    from PySide6 import QtCore

    from optviz.scene import default_scene

    app, window = _window(default_scene())
    tool = window.surface_tools.sculpt
    window.surface_tools.sculpt_action.setChecked(True)
    tool.radius_spin.setValue(0.1)
    per_move, per_stroke = [], []
    for stroke in range(5):
        y = -0.5 + 0.5 * stroke
        tool.begin_stroke(QtCore.QPointF(-1.8, y), dig=stroke % 2 == 1)
        for k in range(1, moves // 5 + 1):
            began = time.perf_counter()
            tool.extend_stroke(QtCore.QPointF(-1.8 + 0.18 * k, y + 0.1 * np.sin(k)))
            window.surface_pane.viewport().repaint()
            per_move.append(time.perf_counter() - began)
        shown = []
        window.result_shown.connect(shown.append)
        began = time.perf_counter()
        tool.end_stroke()
        while not shown:
            app.processEvents()
        window.surface_pane.viewport().repaint()
        per_stroke.append(time.perf_counter() - began)
        window.result_shown.disconnect(shown.append)
    window.close()
    return per_move, per_stroke


def main_formula_lines() -> list[str]:
    cached, uncached = formula()
    per_move, per_stroke = sculpt()
    return [
        f"type a formula, keystroke to preview + 4 paths x 2000 steps drawn: known formula "
        f"{_stats(cached)}, new formula (compiled) {_stats(uncached)}",
        f"sculpt: {_stats(per_move)} per mouse move (live heat map), "
        f"{_stats(per_stroke)} from a stroke's end to surface + paths drawn",
    ]


def cancel(repeats: int = 10) -> list[float]:
    """Seconds from a click on Cancel to the worker reporting the run stopped (4
    optimizers x 64 starts x 100 000 steps, clicked once the run is under way)."""
    from optviz.scene import Scene, default_scene

    base = default_scene()
    starts = tuple((x, 2.0) for x in np.linspace(-1.9, 1.9, 64))
    app, window = _window(base)
    latencies = []
    for _ in range(repeats):
        stopped = []
        window.controller.run_cancelled.connect(stopped.append)
        window.set_scene(Scene(base.surface, base.entries, starts, steps=100_000))
        while not window.cancel_button.isVisible():
            app.processEvents()
        began = time.perf_counter()
        window.cancel_button.click()
        while not stopped:
            app.processEvents()
        latencies.append(time.perf_counter() - began)
        window.controller.run_cancelled.disconnect(stopped.append)
    window.close()
    return latencies


def export(frames: int = 300) -> dict[str, tuple[float, float]]:
    """Seconds and peak RSS growth (MiB) for a ``frames``-frame MP4 of the default scene at
    720p and 1080p (rendered here, encoded concurrently by ffmpeg)."""
    import resource
    import tempfile

    from PySide6 import QtWidgets

    from optviz.app.exporter import export_steps, run_scene
    from optviz.export_spec import ExportSpec
    from optviz.scene import default_scene

    QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    scene = default_scene()
    result = run_scene(scene)
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for preset in ("slide-720p", "slide-1080p"):
            spec = ExportSpec.from_preset(
                preset,
                f"{folder}/{preset}.mp4",
                steps_per_frame=max(1, scene.steps // (frames - 1)),
            )
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            began = time.perf_counter()
            for _ in export_steps(scene, spec, result):
                pass
            seconds = time.perf_counter() - began
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
            out[preset] = (seconds, max(0.0, grown))
    return out


def _stats(values: list[float]) -> str:
    ms = np.array(values) * 1e3
    return f"median {np.median(ms):.1f} ms, p90 {np.percentile(ms, 90):.1f} ms"


def main_export() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print("optviz export benchmark: 300-frame MP4 of the default scene (offscreen)")
    for preset, (seconds, mib) in export().items():
        print(f"{preset}: {seconds:.1f} s, peak memory growth {mib:.0f} MiB")
    return 0


def main_race_line() -> str:
    return (
        "race mode, 12 optimizers x 2000 steps in small multiples: "
        f"{_stats(race_playback())} per frame (paths, heads, leaderboard)"
    )


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import optviz

    optviz.warmup()
    shown, drawn = startup()
    print("optviz app benchmark (offscreen, kernel cache warm)")
    print(f"start-up: window shown {shown:.2f} s, default scene drawn and playing {drawn:.2f} s")
    print(
        f"drag the start, 8 optimizers x 2000 steps: {_stats(drag())} per drag event "
        "(recompute + redraw)"
    )
    print(f"playback, 16 optimizers x 5000 steps, 400x400 heat map: {_stats(playback())} per frame")
    print(f"cancel a 25.6 M-step run: {_stats(cancel())} from the click to the stop")
    print(main_race_line())
    print(*main_formula_lines(), sep="\n")
    return 0


def _cli(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m optviz.app.bench",
        description="Time the desktop app offscreen (start-up, drag, playback, cancel, "
        "race mode, formulas, sculpting); one line per measurement.",
    )
    parser.add_argument(
        "what",
        nargs="?",
        default="all",
        choices=("all", "race", "formula"),
        help="all measurements (default), only race mode, or only formula and sculpt",
    )
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        return _probe()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.what == "race":
        print(main_race_line())
    elif args.what == "formula":
        print(*main_formula_lines(), sep="\n")
    else:
        return main()
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--probe"]:  # the start-up child: nothing before the window
        sys.exit(_probe())
    sys.exit(_cli(sys.argv[1:]))
