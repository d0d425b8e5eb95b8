"""The desktop-entry installer writes a valid entry and the icon theme, atomically."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from optviz import atomic_files
from optviz.app import desktop

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _entry(path: Path) -> dict[str, str]:
    # interpolation=None: Exec may hold a literal "%%"; optionxform=str keeps keys' case.
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment]
    parser.read_string(path.read_text(encoding="utf-8"))
    assert parser.sections() == ["Desktop Entry"]
    return dict(parser["Desktop Entry"])


def _split_exec(value: str) -> list[str]:
    """Undo the Desktop Entry spec's string escapes, then its Exec quoting."""
    unescaped = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars)
            unescaped.append({"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
        else:
            unescaped.append(ch)
    text = "".join(unescaped)
    args: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        arg = []
        if text[i] == '"':
            i += 1
            while text[i] != '"':
                if text[i] == "\\":
                    i += 1
                arg.append(text[i])
                i += 1
            i += 1
        else:
            while i < len(text) and text[i] != " ":
                arg.append(text[i])
                i += 1
        args.append("".join(arg).replace("%%", "%"))
    return args


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def installed(tmp_path: Path) -> tuple[Path, Path]:
    data_home = tmp_path / "share"
    return data_home, desktop.install_desktop(data_home)


def test_resources_are_in_place():
    assert desktop.icon_svg().is_file()
    assert tuple(desktop.icon_pngs()) == SIZES


def test_svg_is_self_contained_svg_1_1():
    root = ET.parse(desktop.icon_svg()).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("version") == "1.1"
    assert root.get("viewBox") == "0 0 256 256"
    text = desktop.icon_svg().read_text(encoding="utf-8")
    # No external references (images, fonts, stylesheets) and no text to go illegible.
    assert "href" not in text and "<text" not in text and "url(" not in text


def test_pngs_have_their_sizes():
    from PySide6.QtGui import QImage

    for size, path in desktop.icon_pngs().items():
        image = QImage(str(path))
        assert not image.isNull(), path
        assert (image.width(), image.height()) == (size, size), path
        assert image.hasAlphaChannel(), path
        # Transparent outside the rounded tile: the corner pixel lets the desktop show through.
        assert image.pixelColor(0, 0).alpha() == 0, path


def test_entry_has_the_right_keys(installed):
    data_home, path = installed
    assert path == data_home / "applications" / "optviz.desktop"
    entry = _entry(path)
    assert entry == {
        "Type": "Application",
        "Name": "optviz",
        "GenericName": "Optimizer visualizer",
        "Comment": "Watch gradient-based optimizers move on 2-D loss surfaces",
        "Exec": desktop.launcher_command(),
        "Icon": "optviz",
        "Terminal": "false",
        "Categories": "Education;Math;",
        "Keywords": "optimizer;gradient descent;adam;",
        "StartupWMClass": "optviz",
    }


def test_exec_runs_an_existing_launcher(installed):
    _, path = installed
    argv = _split_exec(_entry(path)["Exec"])
    assert Path(argv[0]).is_absolute() and Path(argv[0]).is_file()
    assert os.access(argv[0], os.X_OK)
    if Path(argv[0]).name != "optviz":  # the repository checkout: python main.py
        assert argv[1:] == [str(desktop.RESOURCES.parent / "main.py")]
        assert Path(argv[1]).is_file()


def test_launcher_prefers_the_installed_gui_script(tmp_path, monkeypatch):
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "optviz"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    assert desktop.launcher_command() == str(script)


def test_launcher_quotes_paths_per_the_spec(tmp_path, monkeypatch):
    python = tmp_path / "my env$ 100%" / "bin" / "python"
    monkeypatch.setattr(sys, "executable", str(python))
    command = desktop.launcher_command()
    assert command.startswith('"') and "%%" in command and "\\\\$" in command
    assert _split_exec(command) == [str(python), str(desktop.RESOURCES.parent / "main.py")]


def test_icons_are_installed_at_every_size(installed):
    from PySide6.QtGui import QImage

    data_home, _ = installed
    hicolor = data_home / "icons" / "hicolor"
    for size in SIZES:
        image = QImage(str(hicolor / f"{size}x{size}" / "apps" / "optviz.png"))
        assert (image.width(), image.height()) == (size, size)
    svg = hicolor / "scalable" / "apps" / "optviz.svg"
    assert svg.read_bytes() == desktop.icon_svg().read_bytes()
    ET.parse(svg)
    # Readable by everyone: menus and icon caches may run as other users.
    assert svg.stat().st_mode & 0o777 == 0o644


def test_reinstalling_overwrites_cleanly(installed):
    data_home, path = installed
    before = _tree(data_home)
    path.write_text("stale")
    stale_icon = data_home / "icons" / "hicolor" / "16x16" / "apps" / "optviz.png"
    stale_icon.write_bytes(b"stale")
    assert desktop.install_desktop(data_home) == path
    assert _tree(data_home) == before  # same files, no temporaries left over
    assert path.read_text(encoding="utf-8") == desktop.desktop_entry()
    assert stale_icon.read_bytes() == desktop.icon_pngs()[16].read_bytes()


def test_creates_no_caches_of_its_own(installed):
    data_home, _ = installed
    assert not (data_home / "icons" / "hicolor" / "icon-theme.cache").exists()
    assert not (data_home / "applications" / "mimeinfo.cache").exists()


@pytest.mark.skipif(
    shutil.which("gtk-update-icon-cache") is None, reason="gtk-update-icon-cache not installed"
)
def test_refreshes_an_existing_icon_cache(tmp_path):
    data_home = tmp_path / "share"
    cache = data_home / "icons" / "hicolor" / "icon-theme.cache"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"stale")
    desktop.install_desktop(data_home)
    assert cache.read_bytes() != b"stale"


def test_data_home_defaults_to_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert desktop.install_desktop() == tmp_path / "xdg" / "applications" / "optviz.desktop"


def test_data_home_under_a_file_raises_and_writes_nothing(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file, not a folder")
    with pytest.raises(OSError, match="blocker"):
        desktop.install_desktop(blocker / "share")
    assert _tree(tmp_path) == ["blocker"]


def test_a_late_failure_removes_what_was_written(tmp_path):
    # The icons go in first; a file where the applications folder belongs stops the entry.
    data_home = tmp_path / "share"
    data_home.mkdir()
    (data_home / "applications").write_text("in the way")
    with pytest.raises(OSError, match="applications"):
        desktop.install_desktop(data_home)
    assert _tree(tmp_path) == ["share", "share/applications"]


def test_a_failed_write_leaves_no_temporaries(tmp_path, monkeypatch):
    # Fail the very last write (the entry) the way a read-only folder would, even as root.
    real_temp_sibling = atomic_files.temp_sibling

    def temp_sibling(dest, suffix=""):
        if dest.parent.name == "applications":
            raise PermissionError(13, "Permission denied")
        return real_temp_sibling(dest, suffix)

    monkeypatch.setattr(atomic_files, "temp_sibling", temp_sibling)
    with pytest.raises(PermissionError, match="optviz.desktop"):
        desktop.install_desktop(tmp_path / "share")
    assert _tree(tmp_path) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores modes")
def test_unwritable_data_home_raises_and_writes_nothing(tmp_path):
    data_home = tmp_path / "share"
    data_home.mkdir()
    data_home.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="share"):
            desktop.install_desktop(data_home)
        assert _tree(tmp_path) == ["share"]
    finally:
        data_home.chmod(0o700)


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed"
)
@pytest.mark.parametrize("spaced", [False, True], ids=["plain", "spaced-python"])
def test_entry_passes_desktop_file_validate(tmp_path, monkeypatch, spaced):
    if spaced:
        monkeypatch.setattr(sys, "executable", str(tmp_path / "my env" / "bin" / "python"))
    path = desktop.install_desktop(tmp_path / "share")
    result = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    # Clean means silent: not even hints.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
