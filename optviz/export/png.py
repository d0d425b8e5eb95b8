"""PNG output: a still (``write_png``, alpha kept) and a frame sequence in a folder.

The sequence is written into a hidden sibling folder and renamed onto the requested
folder at ``close``, so the folder only ever holds a complete sequence. An existing
folder is replaced only if it is empty or holds nothing but ``frame_NNNNN.png`` files (an
earlier export); a folder with anything else in it is refused, never deleted.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import numpy as np
from PIL import Image

from ._files import (
    ExportError,
    atomic_file,
    check_destination,
    remove_quietly,
    temp_sibling_dir,
)
from ._writer import FrameWriter, check_frame

#: File name of frame i in a sequence (more digits past 99999 frames).
FRAME_NAME = "frame_{:05d}.png"
_FRAME_RE = re.compile(r"frame_\d{5,}\.png")
#: zlib level for sequence frames, which are an intermediate for other tools: on a 1080p
#: plot level 3 took 81 ms and 570 kB, Pillow's default 6 took 142 ms and 425 kB.
SEQUENCE_COMPRESS_LEVEL = 3


def write_png(path: str | os.PathLike[str], frame: np.ndarray) -> None:
    """Write one frame, uint8 [h, w, 3] RGB or [h, w, 4] RGBA, as a PNG, atomically.

    RGBA frames keep their alpha channel (a transparent background stays transparent).
    """
    check_frame(frame, None, "write_png")
    with atomic_file(path, ".png") as tmp:
        Image.fromarray(np.ascontiguousarray(frame)).save(tmp, format="PNG")


class PngSequenceWriter(FrameWriter):
    """Stream frames into ``path``, a folder, as ``frame_00000.png``, ``frame_00001.png``...

    ``size`` (width, height) in pixels. RGBA frames keep their alpha channel.
    """

    kind = "PNG sequence"
    keeps_alpha = True

    def __init__(self, path: str | os.PathLike[str], size: tuple[int, int]) -> None:
        super().__init__(path, size)
        self.path = check_destination(path, folder_output=True)
        _check_replaceable(self.path)
        self._tmp: Path = temp_sibling_dir(self.path)
        self._encoded = 0
        self._start()

    def _encode(self, frame: np.ndarray) -> None:
        name = self._tmp / FRAME_NAME.format(self._encoded)
        Image.fromarray(frame).save(name, format="PNG", compress_level=SEQUENCE_COMPRESS_LEVEL)
        self._encoded += 1

    def _publish(self) -> None:
        if not self.path.exists():
            os.replace(self._tmp, self.path)
            return
        # Replace an earlier sequence: move it aside, move the new one in, delete the old.
        _check_replaceable(self.path)
        old = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.old")
        os.replace(self.path, old)
        try:
            os.replace(self._tmp, self.path)
        except OSError:
            os.replace(old, self.path)
            raise
        remove_quietly(old)

    def _discard(self) -> None:
        remove_quietly(self._tmp)


def _check_replaceable(folder: Path) -> None:
    """Refuse to write over a folder that holds anything but an earlier frame sequence."""
    if not folder.is_dir():
        return
    others = [n for n in os.listdir(folder) if not _FRAME_RE.fullmatch(n)]
    if others:
        raise ExportError(
            f"the folder {folder} already holds other files ({others[0]}, ...); "
            "choose a new or empty folder for the frames"
        )
