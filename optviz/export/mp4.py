"""``Mp4Writer``: H.264 MP4 that plays in PowerPoint, Keynote, Google Slides and browsers.

Frames are piped as raw RGB into the ffmpeg program shipped by imageio-ffmpeg, which
encodes with libx264 in its own process, so encoding runs on other cores while the
caller renders the next frames. ffmpeg is GPL software run as a separate program; optviz
does not link against it or libx264.

Output flags and why:

- ``-c:v libx264 -crf N -preset P``: H.264, constant quality (CRF 20 is visually
  lossless for plots and keeps a 10 s 1080p slide animation at a few MB);
- ``-pix_fmt yuv420p``: the only chroma layout every slide program and browser decodes,
  which is why width and height must be even;
- RGB to YUV with the BT.709 matrix, and the stream tagged BT.709 limited range, so
  players show the same colours as the plot (untagged video is guessed, often wrongly);
- ``-movflags +faststart``: the index at the front, so the video starts before it has
  fully loaded (web slides, Google Slides);
- ``-an``: no audio track.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from ._files import ExportError, check_destination, remove_quietly, temp_sibling
from ._writer import FrameWriter

#: libx264 speed/size trade-offs, fastest first.
PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)
#: RGB to limited-range BT.709 YUV 4:2:0, and the frames tagged so: recent ffmpeg takes the
#: stream's colour tags from the frames, so the -color_* output options alone are not enough.
_FILTERS = (
    "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
    "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"
)
#: Bytes of ffmpeg's messages quoted in an error.
_LOG_TAIL = 1500


class Mp4Writer(FrameWriter):
    """Stream frames into an H.264 MP4 at ``path``.

    ``size`` (width, height) in pixels, both even; ``fps`` frames per second of the
    video; ``crf`` libx264 constant rate factor (0 lossless .. 51 worst; 18-23 is
    visually lossless for plots); ``preset`` libx264 speed (``PRESETS``). RGBA frames
    lose their alpha channel (H.264 has none).
    """

    kind = "MP4"

    def __init__(
        self,
        path: str | os.PathLike[str],
        size: tuple[int, int],
        fps: float = 30,
        crf: float = 20,
        *,
        preset: str = "medium",
    ) -> None:
        super().__init__(path, size)
        w, h = self.size
        if w % 2 or h % 2:
            raise ExportError(
                f"MP4 (H.264, yuv420p) needs an even width and height, got {w}x{h}; "
                "use even_size() to round them down"
            )
        if not _is_number(fps) or not 0 < fps <= 240:
            raise ExportError(f"fps must be a number in (0, 240], got {fps!r}")
        if not _is_number(crf) or not 0 <= crf <= 51:
            raise ExportError(f"crf must be a number from 0 to 51, got {crf!r}")
        if preset not in PRESETS:
            raise ExportError(f"preset={preset!r}; choose one of: {', '.join(PRESETS)}")
        self.fps, self.crf, self.preset = fps, crf, preset
        self.path = check_destination(path)
        # The extension tells ffmpeg the container.
        self._tmp: Path = temp_sibling(self.path, ".mp4")
        # ffmpeg's messages go to an anonymous file rather than a pipe: nothing has to
        # drain it, and the tail is quoted when ffmpeg fails.
        self._log = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                # No console window flashing up when the app runs on Windows.
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        except OSError as exc:
            self._log.close()
            remove_quietly(self._tmp)
            raise ExportError(f"cannot start ffmpeg for {self.path}: {exc}") from exc
        self._start()

    def _command(self) -> list[str]:
        w, h = self.size
        return [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-loglevel", "error",
            "-y",
            "-f", "rawvideo",
            "-pix_fmt", "rgb24",
            "-s", f"{w}x{h}",
            "-framerate", repr(float(self.fps)),
            "-i", "pipe:0",
            "-an",
            "-vf", _FILTERS,
            "-c:v", "libx264",
            "-preset", self.preset,
            "-crf", repr(float(self.crf)),
            "-pix_fmt", "yuv420p",
            "-colorspace", "bt709",
            "-color_primaries", "bt709",
            "-color_trc", "bt709",
            "-color_range", "tv",
            "-movflags", "+faststart",
            str(self._tmp),
        ]  # fmt: skip

    def _encode(self, frame: np.ndarray) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(frame.data)

    def _finish(self) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.close()  # end of input: ffmpeg flushes and writes the index
        except OSError:
            pass  # ffmpeg already exited; its status and log say why
        code = self._proc.wait()
        if code != 0:
            raise ExportError(
                f"ffmpeg failed (exit status {code}) writing {self.path}: {self._log_tail()}"
            )

    def _publish(self) -> None:
        os.replace(self._tmp, self.path)
        self._log.close()

    def _interrupt(self) -> None:
        # Killing ffmpeg makes a blocked pipe write in the worker fail at once.
        try:
            self._proc.kill()
        except OSError:
            pass

    def _discard(self) -> None:
        self._interrupt()
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a kill is not ignored
            pass
        self._log.close()
        remove_quietly(self._tmp)

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, OSError):  # mostly a broken pipe: ffmpeg died, its log says why
            try:
                code = self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
            return (
                f"ffmpeg stopped (exit status {code}) while writing {self.path}: "
                f"{self._log_tail() or exc}"
            )
        return super()._describe(exc)

    def _log_tail(self) -> str:
        try:
            self._log.seek(0, os.SEEK_END)
            self._log.seek(max(0, self._log.tell() - _LOG_TAIL))
            text = self._log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        return " / ".join(line.strip() for line in text.splitlines() if line.strip())


def _is_number(v: object) -> bool:
    return (
        isinstance(v, (int, float, np.integer, np.floating))
        and not isinstance(v, bool)
        and math.isfinite(v)
    )
