"""Run an export: render each frame at the target size and stream it to its encoder.

``export_steps`` is a generator that does one frame of work per step and yields
``(done, total)``: the headless command loops over it, the app's dialog advances it from
a timer so the window stays responsive. Closing the generator early aborts the export
and leaves no file behind. Frames are rendered on the calling (GUI) thread while the
encoder (ffmpeg, a separate process fed by a writer thread) works in parallel.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from optviz.atomic_files import temp_sibling
from optviz.engine.run import Result, execute
from optviz.export import even_size, open_writer, write_png, write_run_csv, write_run_npz
from optviz.export_spec import ExportSpec
from optviz.scene import Scene

from .figure import ExportFigure


def run_scene(scene: Scene) -> Result:
    """The scene's run with gradients and effective learning rates recorded."""
    spec = scene.run_spec()
    if spec is None:
        raise ValueError("the scene has no enabled optimizer to export")
    return execute(spec, record_grads=True)


def make_figure(scene: Scene, result: Result, spec: ExportSpec) -> ExportFigure:
    entries = [scene.entries[i] for i in scene.enabled]
    return ExportFigure(
        scene,
        result,
        spec,
        labels=[e.optimizer.label for e in entries],
        colors=[e.color for e in entries],
        descriptions=[e.optimizer.describe() for e in entries],
    )


def export_steps(
    scene: Scene, spec: ExportSpec, result: Result | None = None
) -> Iterator[tuple[int, int]]:
    """Export ``scene`` as ``spec`` says, one frame per iteration; yields (done, total)."""
    result = result or run_scene(scene)
    kind = spec.kind
    if kind in ("csv", "npz"):
        writer = write_run_csv if kind == "csv" else write_run_npz
        writer(spec.path, result, scene.to_json())
        yield 1, 1
        return
    spec = _even(spec) if kind in ("mp4",) else spec
    figure = make_figure(scene, result, spec)
    try:
        if kind in ("png", "svg"):
            figure.set_frame(spec.still_step(result.steps))
            if kind == "png":
                write_png(spec.path, figure.render_rgba())
            else:
                _write_svg(figure, spec.path)
            yield 1, 1
            return
        steps = spec.frame_steps(result.steps)
        writer = open_writer(spec.path, spec.size, spec.fps, kind=kind)
        finished = False
        try:
            for i, step in enumerate(steps):
                figure.set_frame(int(step))
                frame = figure.render_rgba()
                writer.write(frame if kind == "png-sequence" else frame[..., :3])
                yield i + 1, len(steps)
            writer.close()
            finished = True
        finally:
            if not finished:
                writer.abort()
    finally:
        figure.close()
        figure.deleteLater()


def _even(spec: ExportSpec) -> ExportSpec:
    """H.264 in yuv420p needs even dimensions."""
    from dataclasses import replace

    width, height = even_size(spec.width, spec.height)
    return replace(spec, width=width, height=height)


def _write_svg(figure: ExportFigure, path: str) -> None:
    """SVG through a temporary sibling and a rename, so no half-written file remains."""
    target = Path(path)
    tmp = str(temp_sibling(target, ".svg"))  # the user's usual permissions, not mkstemp's 0600
    try:
        figure.render_svg(tmp)
        if os.path.getsize(tmp) == 0:
            raise OSError(f"nothing was written to {target}")
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_destination(path: str) -> None:
    """Raise ``ValueError`` early when the output folder is missing or not writable."""
    folder = Path(path.rstrip("/\\")).parent
    if not folder.is_dir():
        raise ValueError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"cannot write {path}: the folder {folder} is not writable")
