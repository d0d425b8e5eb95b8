"""Frame encoders: pick a writer for an output path, sizes, and file-size estimates.

The writers themselves live in one module per format (``mp4``, ``gif``, ``png``) and
share ``FrameWriter`` (streaming through a worker thread, atomic output); they are
re-exported here so callers need only this module.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._files import ExportError, check_destination
from ._writer import FrameWriter
from .gif import GifWriter
from .mp4 import Mp4Writer
from .png import PngSequenceWriter, write_png

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
    "write_png",
]

#: Animated outputs ``open_writer`` makes.
KINDS = ("mp4", "gif", "png-sequence")
_BY_SUFFIX = {".mp4": "mp4", ".gif": "gif", "": "png-sequence"}
_SUPPORTED = (
    "use .mp4 (H.264 video), .gif (animated GIF) or a folder path ending in '/' (PNG frames)"
)


def open_writer(
    path: str | os.PathLike[str],
    size: tuple[int, int],
    fps: float,
    kind: str | None = None,
) -> FrameWriter:
    """Open the writer for ``path``: ``Mp4Writer`` for .mp4, ``GifWriter`` for .gif and
    ``PngSequenceWriter`` for a folder (a path ending in '/' or without a suffix).

    ``kind`` (one of ``KINDS``) overrides the guess from the path. ``size`` (width,
    height) in pixels, ``fps`` frames per second (unused by a PNG sequence). Raises
    ``ExportError`` for an unknown format or a destination folder that is missing or not
    writable, before any work is done.
    """
    text = os.fspath(path)
    if kind is None:
        if text.endswith(("/", os.sep)):
            kind = "png-sequence"
        else:
            suffix = Path(text).suffix.lower()
            kind = _BY_SUFFIX.get(suffix)
            if kind is None:
                hint = " (for a still image use write_png)" if suffix == ".png" else ""
                raise ExportError(
                    f"cannot export an animation to {text!r}: unknown format {suffix!r}; "
                    f"{_SUPPORTED}{hint}"
                )
    elif kind not in KINDS:
        raise ExportError(f"kind={kind!r}; choose one of: {', '.join(KINDS)}")
    check_destination(text, folder_output=kind == "png-sequence")
    if kind == "mp4":
        return Mp4Writer(text, size, fps)
    if kind == "gif":
        return GifWriter(text, size, fps)
    return PngSequenceWriter(text, size)


def even_size(w: int, h: int) -> tuple[int, int]:
    """``(w, h)`` each rounded down to an even number, at least 2 (what H.264 needs)."""
    return max(2, int(w) // 2 * 2), max(2, int(h) // 2 * 2)


#: Bits per pixel of the first frame and of each further frame, measured on synthetic
#: plot frames (heat map, contour lines, four moving paths, a changing step counter):
#: H.264 CRF 20 spends most on the first (key) frame and little on later ones, where
#: only the paths move; GIF stores each change as a rectangle of palette indices, and a
#: PNG frame (zlib level 3) is a full image every time.
_BITS_PER_PIXEL = {
    "mp4": (0.4, 0.04),
    "gif": (1.0, 0.2),
    "png-sequence": (4.0, 4.0),
    "png": (3.0, 0.0),
}
_HEADER_BYTES = {"mp4": 2000, "gif": 1000, "png-sequence": 100, "png": 100}


def estimate_size_bytes(kind: str, size: tuple[int, int], n_frames: int, fps: float) -> int:
    """A rough size of an export in bytes, for the export dialog; expect within 2-3x.

    ``kind`` is one of ``KINDS`` or ``"png"`` (a still: one frame); ``size`` (width,
    height) in pixels. The estimate is first-frame cost plus a per-frame cost for the
    rest (``_BITS_PER_PIXEL``); real files depend on how much of each frame changes.
    ``fps`` does not enter it: at these rates the cost is per frame, not per second.
    """
    if kind not in _BITS_PER_PIXEL:
        raise ExportError(f"kind={kind!r}; choose one of: {', '.join(_BITS_PER_PIXEL)}")
    w, h = size
    n = 1 if kind == "png" else max(1, int(n_frames))
    first, rest = _BITS_PER_PIXEL[kind]
    bits = w * h * (first + rest * (n - 1))
    return int(_HEADER_BYTES[kind] + bits / 8)
