"""``python main.py export [SCENE.json] -o OUT ...``: export without a display.

Renders offscreen, prints progress, and exits non-zero with a one-line message on bad
arguments (2) or a failed export (1); an interrupted or failed export leaves no file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from optviz.export_spec import PANES, PRESETS, THEMES


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="optviz export",
        description="Export a scene (default: the default scene) as MP4, GIF, PNG (still, or "
        "frames into a folder ending in /), SVG, or the run's data as CSV or NPZ.",
    )
    p.add_argument("scene", nargs="?", help="scene file (JSON); default: the default scene")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="OUT.mp4, OUT.gif, OUT.png, OUT.svg, OUT.csv, OUT.npz or FOLDER/",
    )
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default=None,
        help="size and fps: slide-1080p, slide-720p (default), square, gif-small "
        "(default for .gif)",
    )
    p.add_argument("--size", metavar="WxH", help="frame size, e.g. 1920x1080")
    p.add_argument("--fps", type=int, help="frames per second")
    p.add_argument("--theme", choices=THEMES, default="slide")
    p.add_argument("--panes", choices=PANES, default="surface+loss")
    p.add_argument("--title", default="", help="title above the panes")
    p.add_argument("--steps-per-frame", type=int, help="optimizer steps between frames")
    p.add_argument("--duration", type=float, help="length of the animation in seconds")
    p.add_argument("--first", type=int, default=0, help="first step shown")
    p.add_argument("--last", type=int, help="last step shown")
    p.add_argument("--frame", type=int, help="the step shown by a still (PNG/SVG)")
    p.add_argument("--transparent", action="store_true", help="transparent background (PNG)")
    p.add_argument("--no-step-counter", action="store_true")
    return p.parse_args(argv)


def build_spec(args: argparse.Namespace):
    from optviz.export_spec import ExportSpec, kind_of

    kind = kind_of(args.output)
    preset = args.preset or ("gif-small" if kind == "gif" else "slide-720p")
    changes = dict(
        theme=args.theme,
        panes=args.panes,
        title=args.title,
        step_counter=not args.no_step_counter,
        steps_per_frame=args.steps_per_frame,
        duration=args.duration,
        first_step=args.first,
        last_step=args.last,
        frame_step=args.frame,
        transparent=args.transparent,
    )
    if args.size:
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            raise ValueError(f"--size {args.size!r} must look like 1920x1080") from None
        changes.update(width=w, height=h)
    if args.fps is not None:
        changes["fps"] = args.fps
    return ExportSpec.from_preset(preset, args.output, **changes)


def main(argv: list[str]) -> int:
    args = parse(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        spec = build_spec(args)
    except ValueError as err:
        print(f"optviz export: {err}", file=sys.stderr)
        return 2

    from optviz.scene import Scene, SceneError, default_scene

    try:
        scene = Scene.load(args.scene) if args.scene else default_scene()
    except SceneError as err:
        print(f"optviz export: cannot open {args.scene}: {err}", file=sys.stderr)
        return 2

    from PySide6 import QtWidgets

    from . import qt_log
    from .exporter import check_destination, export_steps

    qt_log.install()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    began = time.perf_counter()
    tty = sys.stderr.isatty()
    steps = None
    try:
        check_destination(spec.path)
        steps = export_steps(scene, spec)
        last_print = 0.0
        for done, total in steps:
            now = time.perf_counter()
            if done == total or now - last_print > (0.1 if tty else 2.0):
                last_print = now
                line = f"optviz export: frame {done}/{total}"
                print(
                    ("\r" + line) if tty else line,
                    end="" if tty else "\n",
                    file=sys.stderr,
                    flush=True,
                )
        if tty:
            print(file=sys.stderr)
    except KeyboardInterrupt:
        if steps is not None:
            steps.close()
        print("\noptviz export: interrupted; nothing written", file=sys.stderr)
        return 130
    except (ValueError, OSError) as err:
        if steps is not None:
            steps.close()
        print(f"optviz export: {err}", file=sys.stderr)
        return 1
    del app
    print(f"wrote {spec.path} in {time.perf_counter() - began:.1f} s")
    return 0
