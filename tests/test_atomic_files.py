"""Atomic writes leave the user's usual permissions and nothing half-written."""

import os

import pytest

from optviz import atomic_files
from optviz.scene import default_scene


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_written_files_get_the_usual_permissions(tmp_path, umask_022):
    # mkstemp would make them 0600: a saved scene or exported figure only its owner reads.
    path = tmp_path / "data.bin"
    atomic_files.write_atomic(path, b"abc")
    assert path.read_bytes() == b"abc"
    assert path.stat().st_mode & 0o777 == 0o644
    scene = tmp_path / "talk.json"
    default_scene().save(scene)
    assert scene.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "talk.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "data.bin"
    path.write_bytes(b"old")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_files.os, "fsync", fail)
    with pytest.raises(OSError, match="No space"):
        atomic_files.write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]
