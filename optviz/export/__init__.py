"""Export a run for slides and papers: stream frames into MP4, GIF or PNG files, and
write the run's numbers as CSV or NPZ.

No Qt here: frames come in as uint8 numpy arrays, [H, W, 3] RGB or [H, W, 4] RGBA, from
whoever renders them (``optviz.app``). Every output is written under a temporary name
and renamed into place when complete, so a failed or cancelled export leaves nothing.

    from optviz.export import open_writer, even_size
    with open_writer("talk.mp4", even_size(1280, 720), fps=30) as out:
        for frame in frames:
            out.write(frame)
"""

from ._files import ExportError
from .data import read_run_npz, scene_sidecar_path, write_run_csv, write_run_npz
from .encoders import (
    KINDS,
    FrameWriter,
    GifWriter,
    Mp4Writer,
    PngSequenceWriter,
    estimate_size_bytes,
    even_size,
    open_writer,
    write_png,
)

__all__ = [
    "KINDS",
    "ExportError",
    "FrameWriter",
    "GifWriter",
    "Mp4Writer",
    "PngSequenceWriter",
    "estimate_size_bytes",
    "even_size",
    "open_writer",
    "read_run_npz",
    "scene_sidecar_path",
    "write_png",
    "write_run_csv",
    "write_run_npz",
]
