"""``GifWriter``: a looping, palette-optimised animated GIF, sized for slides and READMEs.

How, and why:

- **One global palette** for all frames, so colours do not flicker from frame to frame.
  It is computed at ``close`` from up to ``PALETTE_SAMPLES`` frames spread over the
  whole animation (first and last included), so colours that appear late (a path that
  starts moving, a legend entry) are in it. Pillow's *maximum coverage* quantizer keeps
  small areas of distinct colour (thin optimizer paths) exact, where median cut merged
  them into the background in our tests.
- **No dithering** by default: dither patterns shift whenever anything above them
  changes, which makes whole frames differ and the file several times larger; plots
  have few colours, so the banding it would hide is mild.
- **Delta frames**: Pillow (``optimize=True``) stores only the rectangle that changed
  since the previous frame, so a moving path costs a little per frame. Identical
  consecutive frames are merged into one longer frame (the total duration is kept, so
  ``n_frames`` can be below ``frames_written``).
- **Timing**: GIF delays are whole centiseconds; each frame's delay is rounded so the
  running total stays on the exact clock (15 fps: 70, 60, 70, 70, 60, ... ms).
  Browsers slow down delays under 20 ms, hence ``fps`` <= 50.

Memory: while frames arrive, each is kept as the zlib-compressed XOR with the previous
frame (a few kB for slide content, where most pixels stay the same); at ``close``
Pillow holds every frame as 8-bit palette indices, 1 byte per pixel per frame.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from ._files import ExportError, check_destination, remove_quietly, temp_sibling
from ._writer import FrameWriter

#: At most this many frames feed the palette ...
PALETTE_SAMPLES = 16
#: ... and at most this many pixels in all (so a 1080p GIF samples 4 frames).
PALETTE_PIXELS = 8_000_000
#: Fastest frame rate browsers play as written (2 cs per frame).
MAX_FPS = 50


class GifWriter(FrameWriter):
    """Stream frames into a looping animated GIF at ``path``.

    ``size`` (width, height) in pixels; ``fps`` frames per second (at most 50);
    ``colors`` palette size, 2..256; ``dither`` Floyd-Steinberg dithering (smoother
    gradients, larger file). RGBA frames lose their alpha channel.
    """

    kind = "GIF"

    def __init__(
        self,
        path: str | os.PathLike[str],
        size: tuple[int, int],
        fps: float = 15,
        colors: int = 256,
        *,
        dither: bool = False,
    ) -> None:
        super().__init__(path, size)
        if (
            not isinstance(fps, (int, float, np.integer, np.floating))
            or isinstance(fps, bool)
            or not (math.isfinite(fps) and 0 < fps <= MAX_FPS)
        ):
            raise ExportError(f"GIF fps must be a number in (0, {MAX_FPS}], got {fps!r}")
        if (
            not isinstance(colors, (int, np.integer))
            or isinstance(colors, bool)
            or not 2 <= colors <= 256
        ):
            raise ExportError(f"GIF colors must be a whole number from 2 to 256, got {colors!r}")
        self.fps, self.colors, self.dither = fps, int(colors), bool(dither)
        self.path = check_destination(path)
        self._tmp: Path = temp_sibling(self.path, ".gif")
        self._deltas: list[bytes] = []
        self._previous: np.ndarray | None = None
        self._start()

    def _encode(self, frame: np.ndarray) -> None:
        # XOR with the previous frame is zero wherever nothing moved: zlib level 1 packs
        # a 1 MB slide frame into a few kB in about 2 ms.
        delta = frame if self._previous is None else np.bitwise_xor(frame, self._previous)
        self._deltas.append(zlib.compress(delta.data, 1))
        self._previous = frame

    def _frames(self) -> Iterator[np.ndarray]:
        """The stored frames again, uint8 [h, w, 3], in order."""
        w, h = self.size
        frame = np.zeros((h, w, 3), np.uint8)
        for packed in self._deltas:
            delta = np.frombuffer(zlib.decompress(packed), np.uint8).reshape(h, w, 3)
            frame = np.bitwise_xor(frame, delta)
            yield frame

    def _palette(self) -> Image.Image:
        """A P-mode image whose palette is adapted to frames sampled over the animation."""
        n = len(self._deltas)
        w, h = self.size
        k = max(1, min(PALETTE_SAMPLES, n, PALETTE_PIXELS // (w * h)))
        picks = set(np.linspace(0, n - 1, k).round().astype(int).tolist())
        samples = [f for i, f in enumerate(self._frames()) if i in picks]
        mosaic = Image.fromarray(np.concatenate(samples, axis=0))
        return mosaic.quantize(self.colors, method=Image.Quantize.MAXCOVERAGE)

    def _finish(self) -> None:
        palette = self._palette()
        dither = Image.Dither.FLOYDSTEINBERG if self.dither else Image.Dither.NONE
        images = (
            Image.fromarray(f).quantize(palette=palette, dither=dither) for f in self._frames()
        )
        first = next(images)
        first.save(
            self._tmp,
            format="GIF",
            save_all=True,
            append_images=images,
            loop=0,  # forever
            duration=gif_durations(len(self._deltas), self.fps),
            optimize=True,
        )
        self._deltas.clear()

    def _publish(self) -> None:
        os.replace(self._tmp, self.path)

    def _discard(self) -> None:
        self._deltas.clear()
        remove_quietly(self._tmp)


def gif_durations(n: int, fps: float) -> list[int]:
    """Per-frame delays in ms, whole centiseconds, whose running sum tracks ``i / fps``."""
    ticks = np.round(np.arange(n + 1) * (100.0 / fps)).astype(np.int64)
    return (np.diff(ticks) * 10).tolist()
