"""Install optviz into the freedesktop menu: a desktop entry plus icons in the user's hicolor theme.

Qt-free on purpose, so it can run (and be tested) without a display. Typical use:

    from optviz.app.desktop import install_desktop
    install_desktop()  # -> ~/.local/share/applications/optviz.desktop

Everything goes under the user's data folder ($XDG_DATA_HOME, else ~/.local/share), so no root
is needed. Each file is written to a temporary name beside its target and then renamed over it,
so a reader never sees a half-written file; if any step fails, what this call created is removed
again and the error (an OSError subclass) names the path that failed.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from optviz.atomic_files import write_atomic

__all__ = [
    "APP_ID",
    "RESOURCES",
    "icon_svg",
    "icon_pngs",
    "launcher_command",
    "desktop_entry",
    "install_desktop",
]

# One name for the desktop file, the icon, and StartupWMClass, so the shell can match the
# running window to its menu entry.
APP_ID = "optviz"
RESOURCES: Path = Path(__file__).resolve().parents[2] / "resources"
REPO = RESOURCES.parent

# Characters the Desktop Entry spec reserves in Exec: an argument holding any of them must be
# double-quoted, and inside the quotes these four must also be backslash-escaped.
_EXEC_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
_EXEC_QUOTED_ESCAPES = re.compile(r'(["`$\\])')
# The string-type escapes of the spec, applied on top of the Exec quoting.
_STRING_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_PNG_NAME = re.compile(rf"{APP_ID}-(\d+)\.png")
_POST_INSTALL_TIMEOUT_S = 30


def icon_svg() -> Path:
    """The scalable application icon."""
    return RESOURCES / f"{APP_ID}.svg"


def icon_pngs() -> dict[int, Path]:
    """The rendered PNG icons by pixel size, smallest first (see tools/render_icons.py)."""
    found: dict[int, Path] = {}
    for path in (RESOURCES / "icons").glob(f"{APP_ID}-*.png"):
        match = _PNG_NAME.fullmatch(path.name)
        if match:
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def _exec_arg(arg: str) -> str:
    """One Exec argument, quoted and escaped per the Desktop Entry spec."""
    if any(ch in _EXEC_RESERVED for ch in arg):
        arg = '"' + _EXEC_QUOTED_ESCAPES.sub(r"\\\1", arg) + '"'
    # A lone % starts a field code (%f, %u, ...), so a literal one is doubled.
    arg = arg.replace("%", "%%")
    # The spec applies the string escapes before unquoting, so they go on last: a literal
    # backslash inside quotes ends up as four of them in the file.
    return "".join(_STRING_ESCAPES.get(ch, ch) for ch in arg)


def launcher_command() -> str:
    """The Exec value that starts this optviz: the installed `optviz` script, else main.py."""
    # The gui-script pip puts beside the interpreter of this environment (pip install -e .).
    script = Path(sys.executable).parent / APP_ID
    if script.is_file() and os.access(script, os.X_OK):
        argv = [str(script.absolute())]
    else:
        # sys.executable is used as given, not resolved: a venv's python is a symlink, and
        # following it would lose the venv's site-packages.
        argv = [str(Path(sys.executable).absolute()), str(REPO / "main.py")]
    return " ".join(_exec_arg(arg) for arg in argv)


def desktop_entry(exec_command: str | None = None) -> str:
    """The text of optviz.desktop; Exec defaults to launcher_command()."""
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        f"Name={APP_ID}",
        "GenericName=Optimizer visualizer",
        "Comment=Watch gradient-based optimizers move on 2-D loss surfaces",
        f"Exec={exec_command if exec_command is not None else launcher_command()}",
        f"Icon={APP_ID}",
        "Terminal=false",
        # One main category only: with two (e.g. Education;Science;) menus list the app twice,
        # and desktop-file-validate hints as much. Math requires Education or Science beside it.
        "Categories=Education;Math;",
        "Keywords=optimizer;gradient descent;adam;",
        f"StartupWMClass={APP_ID}",
    ]
    return "\n".join(lines) + "\n"


def _data_home(data_home: Path | None) -> Path:
    if data_home is not None:
        return Path(data_home)
    # The XDG base-directory spec says to ignore a relative $XDG_DATA_HOME.
    env = os.environ.get("XDG_DATA_HOME", "")
    if env and Path(env).is_absolute():
        return Path(env)
    return Path.home() / ".local" / "share"


def _reword(exc: OSError, what: str, path: Path) -> OSError:
    """The same kind of OSError (PermissionError, ...) with a message naming the path."""
    reason = exc.strerror or str(exc)
    message = f"cannot install the {APP_ID} desktop entry: {what} {path}: {reason}"
    if exc.errno is None:
        return type(exc)(message)
    return type(exc)(exc.errno, message)


class _Installer:
    """Writes files atomically and remembers what it created, to undo it if a later step fails."""

    def __init__(self) -> None:
        self.created: list[Path] = []

    def makedirs(self, folder: Path) -> None:
        missing = []
        for parent in (folder, *folder.parents):
            try:
                if parent.is_dir():
                    break
            except OSError as exc:  # e.g. a folder above it we may not search
                raise _reword(exc, "cannot look into", parent) from exc
            missing.append(parent)
        for path in reversed(missing):
            try:
                path.mkdir()
            except FileExistsError as exc:
                if not path.is_dir():  # a regular file is in the way: say so, not "File exists"
                    blocked = NotADirectoryError(errno.ENOTDIR, "a file, not a folder, is there")
                    raise _reword(blocked, "cannot create folder", path) from exc
                continue  # created concurrently by someone else: not ours to undo
            except OSError as exc:
                raise _reword(exc, "cannot create folder", path) from exc
            self.created.append(path)

    def write(self, target: Path, data: bytes) -> None:
        self.makedirs(target.parent)
        try:
            existed = target.exists()
            write_atomic(target, data)
        except OSError as exc:
            raise _reword(exc, "cannot write", target) from exc
        if not existed:
            self.created.append(target)

    def undo(self) -> None:
        # Newest first, so files go before the folders that hold them. Best effort: the error
        # that got us here is the one worth reporting.
        for path in reversed(self.created):
            try:
                if path.is_dir() and not path.is_symlink():
                    path.rmdir()
                else:
                    path.unlink()
            except OSError:
                pass
        self.created.clear()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _reword(exc, "cannot read the icon", path) from exc


def _run_if_present(*argv: str) -> None:
    """Run an optional cache-refresh tool; it is a nicety, so any failure is ignored."""
    exe = shutil.which(argv[0])
    if exe is None:
        return
    try:
        subprocess.run(
            [exe, *argv[1:]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=_POST_INSTALL_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        pass


def install_desktop(data_home: Path | None = None) -> Path:
    """Install the desktop entry and icons under data_home; return the .desktop file's path.

    data_home defaults to $XDG_DATA_HOME, else ~/.local/share. Writes
    <data_home>/applications/optviz.desktop, <data_home>/icons/hicolor/<N>x<N>/apps/optviz.png
    for every rendered size and <data_home>/icons/hicolor/scalable/apps/optviz.svg. Reinstalling
    overwrites them. Then refreshes the menu and icon caches already there, with
    update-desktop-database and gtk-update-icon-cache when installed (failures ignored). Raises an
    OSError subclass naming the path on failure, having removed any file or folder this call
    created.
    """
    root = _data_home(data_home)
    hicolor = root / "icons" / "hicolor"
    desktop_file = root / "applications" / f"{APP_ID}.desktop"

    # Read every source up front: a missing resource must fail before anything is written.
    svg = icon_svg()
    pngs = icon_pngs()
    if not pngs:
        raise FileNotFoundError(
            f"cannot install the {APP_ID} desktop entry: no {APP_ID}-<N>.png icons in "
            f"{RESOURCES / 'icons'} (render them with tools/render_icons.py)"
        )
    icons = {hicolor / "scalable" / "apps" / f"{APP_ID}.svg": _read(svg)}
    for size, png in pngs.items():
        icons[hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"] = _read(png)
    entry = desktop_entry().encode("utf-8")

    installer = _Installer()
    try:
        # Icons first: once the entry appears, menus look its icon up straight away.
        for target, data in icons.items():
            installer.write(target, data)
        installer.write(desktop_file, entry)
    except BaseException:
        installer.undo()
        raise

    # Refresh the caches only where they already exist: there a stale cache would hide the new
    # entry or icon, but creating one would hide later installs by tools that never update it
    # (GTK trusts an icon cache newer than the theme folder). Our entry has no MimeType, so
    # mimeinfo.cache gains nothing from it anyway.
    if (desktop_file.parent / "mimeinfo.cache").is_file():
        _run_if_present("update-desktop-database", "-q", str(desktop_file.parent))
    if (hicolor / "icon-theme.cache").is_file():
        # -t: a user's hicolor folder usually has no index.theme of its own.
        _run_if_present("gtk-update-icon-cache", "-q", "-f", "-t", str(hicolor))
    return desktop_file
