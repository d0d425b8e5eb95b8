"""``FrameWriter``: the streaming, atomic base of the MP4, GIF and PNG-sequence writers.

Threads: ``write`` checks and copies a frame in the caller's (rendering) thread and puts
it on a bounded queue; one daemon worker thread per writer takes frames off and encodes
them (``_encode``). Rendering and encoding overlap, at most ``QUEUE_FRAMES`` + 1 frames
are held, and when the encoder falls behind ``write`` blocks (back-pressure) instead of
letting memory grow. An error in the worker is re-raised as ``ExportError`` by the next
``write`` or ``close``.

Files: a writer works on a temporary sibling of its path (see ``_files``); ``close``
renames it onto the path, ``abort`` deletes it. Any error from ``write`` or ``close``
aborts the writer first, so a failed export never leaves a file behind.
"""

from __future__ import annotations

import abc
import atexit
import os
import queue
import threading
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from ._files import ExportError

#: Frames waiting for the encoder; bounds memory at (QUEUE_FRAMES + 1) frames.
QUEUE_FRAMES = 8
#: Largest width or height accepted: 16K, far past any slide; a frame stays under 1 GB.
MAX_SIDE = 16384
#: How often blocked calls re-check for an abort or a worker error, in seconds.
_POLL_S = 0.05
_STOP = object()
_open_writers: weakref.WeakSet[FrameWriter] = weakref.WeakSet()


@atexit.register
def _abort_open_writers() -> None:
    # An export still open at interpreter exit is incomplete: kill its encoder and delete
    # its temporaries rather than leave a ".part" file and an orphan ffmpeg behind.
    for writer in list(_open_writers):
        writer.abort()


def check_size(size: Any) -> tuple[int, int]:
    """``size`` as ``(width, height)`` ints in pixels, or ``ExportError``."""
    try:
        w, h = size
        ok = all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 1 <= v <= MAX_SIDE
            for v in (w, h)
        )
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ExportError(
            f"size must be (width, height) in whole pixels from 1 to {MAX_SIDE}, got {size!r}"
        )
    return int(w), int(h)


def check_frame(frame: Any, size: tuple[int, int] | None, what: str) -> None:
    """Raise ``ExportError`` unless ``frame`` is uint8 [h, w, 3] (RGB) or [h, w, 4] (RGBA).

    ``size`` (width, height) fixes h and w; ``None`` accepts any size.
    """
    if (
        isinstance(frame, np.ndarray)
        and frame.dtype == np.uint8
        and frame.ndim == 3
        and frame.shape[2] in (3, 4)
        and frame.shape[0] >= 1
        and frame.shape[1] >= 1
        and (size is None or frame.shape[:2] == (size[1], size[0]))
    ):
        return
    got = (
        f"shape {frame.shape} and dtype {frame.dtype}"
        if isinstance(frame, np.ndarray)
        else f"a {type(frame).__name__}"
    )
    w, h = ("w", "h") if size is None else size
    where = "" if size is None else f" for {w}x{h} pixels"
    raise ExportError(
        f"{what} got {got}; expected a uint8 array of shape ({h}, {w}, 3) (RGB) or "
        f"({h}, {w}, 4) (RGBA){where}"
    )


class FrameWriter(abc.ABC):
    """Base of the frame writers: a context manager that streams frames to ``path``.

    ``write(frame)`` queues one uint8 frame [h, w, 3] RGB or [h, w, 4] RGBA (copied, so
    the caller may reuse its buffer); ``close()`` finishes the file and only then puts it
    at ``path``; ``abort()`` stops, deletes the temporaries and leaves nothing at
    ``path``. Used in a ``with`` block, a normal exit closes and an exception aborts.
    ``frames_written`` counts the frames accepted so far.

    Subclasses set up their temporaries in ``__init__``, then call ``_start()``, and
    implement ``_encode`` (worker thread), ``_finish``, ``_publish``, ``_discard`` and
    optionally ``_interrupt`` and ``_describe``.
    """

    #: Name of the format in messages.
    kind = "frames"
    #: Keep the alpha channel of RGBA frames; formats without alpha drop it.
    keeps_alpha = False

    def __init__(self, path: str | os.PathLike[str], size: tuple[int, int]) -> None:
        self.path = Path(os.path.abspath(os.fspath(path)))
        self.size = check_size(size)
        self.frames_written = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._stop = threading.Event()  # set by abort: the worker drops what is left
        self._error: BaseException | None = None
        self._lock = threading.Lock()  # orders abort against close's final rename
        # new -> open -> closing -> closed, or -> aborted (abort) or failed (an error)
        self._state = "new"
        self._thread = threading.Thread(
            target=self._work, name=f"optviz-export-{self.kind}", daemon=True
        )

    # -- public API ------------------------------------------------------------------

    def write(self, frame: np.ndarray) -> None:
        """Queue one frame; blocks only while ``QUEUE_FRAMES`` frames wait for the encoder.

        Raises ``ExportError`` (after aborting) for a frame of the wrong shape or dtype,
        an earlier encoder failure, or a writer that is closed or was aborted.
        """
        if self._state != "open":
            raise ExportError(f"the {self.kind} export to {self.path} is {self._state_word()}")
        self._raise_worker_error()
        try:
            check_frame(frame, self.size, f"{self.kind} frame {self.frames_written}")
        except ExportError:
            self._shutdown("failed")
            raise
        data = frame if self.keeps_alpha else frame[:, :, :3]
        # The copy lets the caller reuse its buffer while this frame waits in the queue.
        self._put(np.array(data, order="C", copy=True))
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file and rename it onto ``path``; waits for the encoder.

        A no-op after ``close``, ``abort`` or a failure. On failure the writer aborts (no
        file at ``path``) and raises ``ExportError``; so does an ``abort`` from another
        thread while ``close`` waits.
        """
        if self._state in ("closed", "aborted", "failed"):
            return
        if self._state != "open":
            raise ExportError(f"the {self.kind} export to {self.path} is {self._state_word()}")
        self._state = "closing"
        try:
            self._put(_STOP)
            self._thread.join()
            self._raise_worker_error()
            if self.frames_written == 0:
                raise ExportError(f"no frames were written, so {self.path} was not created")
            self._finish()
            with self._lock:
                if self._stop.is_set():
                    raise ExportError(self._stopped_message())
                self._publish()
                self._state = "closed"
        except BaseException as exc:
            if self._state == "aborted":  # abort() from another thread (Cancel)
                raise ExportError(self._stopped_message()) from exc
            self._shutdown("failed")
            if isinstance(exc, OSError):
                raise ExportError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
            raise
        finally:
            _open_writers.discard(self)

    def abort(self) -> None:
        """Stop now: stop the encoder, delete the temporaries, leave no file at ``path``.

        Safe to call from another thread (a Cancel button) and more than once; a no-op
        after a successful ``close``.
        """
        self._shutdown("aborted")

    def _shutdown(self, state: str) -> None:
        """Abort, ending in ``state``: "aborted" (asked for) or "failed" (an error)."""
        with self._lock:
            if self._state in ("closed", "aborted", "failed"):
                return
            self._state = state
            self._stop.set()
        self._interrupt()
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._discard()
        _open_writers.discard(self)

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __repr__(self) -> str:
        w, h = self.size
        return (
            f"<{type(self).__name__} {self.path} {w}x{h}, {self.frames_written} frames, "
            f"{self._state_word()}>"
        )

    # -- for subclasses --------------------------------------------------------------

    def _start(self) -> None:
        """Start the worker; call at the end of ``__init__`` once temporaries exist."""
        self._state = "open"
        _open_writers.add(self)
        self._thread.start()

    @abc.abstractmethod
    def _encode(self, frame: np.ndarray) -> None:
        """Worker thread: encode one frame (uint8, C-contiguous, RGB or RGBA)."""

    def _finish(self) -> None:  # noqa: B027 (optional hook: nothing to do by default)
        """Caller's thread, after the last frame was encoded: complete the temporary."""

    @abc.abstractmethod
    def _publish(self) -> None:
        """Rename the completed temporary onto ``self.path`` and release resources."""

    @abc.abstractmethod
    def _discard(self) -> None:
        """Delete the temporaries and release resources; must not raise."""

    def _interrupt(self) -> None:  # noqa: B027 (optional hook: nothing to do by default)
        """Unblock a worker stuck in ``_encode`` (abort); must not raise."""

    def _describe(self, exc: BaseException) -> str:
        """A user-facing message for a worker error."""
        if isinstance(exc, OSError):
            return f"cannot write {self.path}: {exc.strerror or exc}"
        return f"the {self.kind} export to {self.path} failed: {exc}"

    # -- internals -------------------------------------------------------------------

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    item = self._queue.get(timeout=_POLL_S)
                except queue.Empty:
                    continue
                if item is _STOP:
                    return
                self._encode(item)
        except BaseException as exc:  # handed to the caller's thread by write/close
            if not self._stop.is_set():
                self._error = exc

    def _put(self, item: Any) -> None:
        # Poll rather than block forever: the worker may die or an abort may come from
        # another thread while the queue is full.
        while True:
            self._raise_worker_error()
            if self._stop.is_set():
                raise ExportError(self._stopped_message())
            try:
                self._queue.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def _raise_worker_error(self) -> None:
        exc = self._error
        if exc is None:
            return
        message = self._describe(exc)
        self._shutdown("failed")
        raise ExportError(message) from exc

    def _stopped_message(self) -> str:
        how = "was cancelled" if self._state == "aborted" else "failed"
        return f"the {self.kind} export to {self.path} {how}"

    def _state_word(self) -> str:
        return {"new": "open", "failed": "stopped after an error"}.get(self._state, self._state)
