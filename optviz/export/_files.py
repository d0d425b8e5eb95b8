"""Safe output paths: early destination checks, temporary names, atomic replace.

Every export writes to a temporary name in the destination folder and renames it onto
the final path only once complete (``os.replace`` is atomic within one file system), so
a failed or cancelled export never leaves a half-written file at the path the user chose.
Temporaries are hidden (leading dot) and named after the output, e.g.
``.talk.mp4.3f9a1c2e.part.mp4``, so a leftover one is recognisable.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import atomic_files


class ExportError(ValueError):
    """An export problem the user can act on (path, size, format) or a failed encode.

    The message is written for the user: it names the path, folder or value at fault.
    """


def check_destination(path: str | os.PathLike[str], *, folder_output: bool = False) -> Path:
    """Return ``path`` as an absolute ``Path`` after checking that it can be written.

    The containing folder must exist, be a folder and be writable. A file output may not
    be an existing folder (``folder_output=False``); a folder output (a PNG sequence) may
    not be an existing file. Raises ``ExportError`` naming the culprit, before any work.
    """
    dest = Path(os.path.abspath(os.fspath(path)))
    folder = dest.parent
    if not folder.exists():
        raise ExportError(f"cannot write {dest}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise ExportError(f"cannot write {dest}: {_first_non_folder(folder)} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {dest}: the folder {folder} is not writable")
    if folder_output and dest.exists() and not dest.is_dir():
        raise ExportError(f"cannot write frames into {dest}: it is a file, not a folder")
    if not folder_output and dest.is_dir():
        raise ExportError(f"cannot write {dest}: it is a folder")
    return dest


def _first_non_folder(folder: Path) -> Path:
    """The first component of ``folder`` that exists but is not a folder (for messages)."""
    for p in reversed([folder, *folder.parents]):
        if p.exists() and not p.is_dir():
            return p
    return folder


def temp_sibling(dest: Path, suffix: str = "") -> Path:
    """Create and return an empty, uniquely named hidden file next to ``dest``, with the
    user's usual permissions (``optviz.atomic_files.temp_sibling``); ``ExportError`` if
    the folder refuses it. ``suffix`` lets a tool that picks its format from the extension
    (ffmpeg) see it.
    """
    try:
        return atomic_files.temp_sibling(dest, suffix)
    except OSError as exc:
        raise ExportError(f"cannot write in {dest.parent}: {exc.strerror or exc}") from exc


def temp_sibling_dir(dest: Path) -> Path:
    """Create and return an empty, uniquely named hidden folder next to ``dest``."""
    for _ in range(100):
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
        try:
            os.mkdir(tmp, 0o777)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ExportError(f"cannot write in {dest.parent}: {exc.strerror or exc}") from exc
        return tmp
    raise ExportError(f"cannot create a temporary folder in {dest.parent}")  # pragma: no cover


def remove_quietly(path: Path | None) -> None:
    """Delete a temporary file or folder if it exists; never raises."""
    if path is None:
        return
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


@contextmanager
def atomic_file(path: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it onto ``path``.

    On an exception the temporary is deleted and ``path`` is left as it was. ``OSError``
    (disk full, permission) comes out as ``ExportError`` naming ``path``.
    """
    dest = check_destination(path)
    tmp = temp_sibling(dest, suffix)
    try:
        yield tmp
        os.replace(tmp, dest)
    except OSError as exc:
        remove_quietly(tmp)
        raise ExportError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    except BaseException:
        remove_quietly(tmp)
        raise
