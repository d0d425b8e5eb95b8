"""Temporary siblings for atomic writes, with the user's usual file permissions.

A file is written under a hidden temporary name next to its destination and renamed onto
it once complete (``os.replace`` is atomic within one file system), so a failure never
leaves a half-written file where the user asked for one. ``tempfile.mkstemp`` would make
the file private (0o600) and the rename would carry that over; the temporaries here are
created with mode 0o666 minus the umask, as any ordinary new file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def temp_sibling(dest: Path, suffix: str = "") -> Path:
    """Create and return an empty, uniquely named hidden file next to ``dest``, e.g.
    ``.talk.mp4.3f9a1c2e.part.mp4`` for ``suffix=".mp4"``.

    Created with ``O_EXCL`` (never clobbering). ``OSError`` if the folder refuses it.
    """
    for _ in range(100):
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part{suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"cannot create a temporary file in {dest.parent}")  # pragma: no cover


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling, made durable (fsync) before
    ``os.replace`` publishes it.

    Raises ``OSError`` (the destination untouched, no temporary left) on failure.
    """
    path = Path(path)
    tmp = temp_sibling(path if str(path.parent) else Path(".") / path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
