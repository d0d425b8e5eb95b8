"""Warm-up in two parts: what the first scene needs, then the rest in the background."""

import importlib
import signal

import pytest

import optviz

# The module (``optviz.engine.warmup`` the attribute is the function of the same name).
w = importlib.import_module("optviz.engine.warmup")


def test_core_part_marks_only_its_own_kernels_warm(tmp_path, monkeypatch):
    monkeypatch.setattr(w._numba_env, "CACHE_DIR", str(tmp_path / "numba"))
    assert not w.cache_is_warm("core") and not w.cache_is_warm("extras")
    seconds = optviz.warmup("core")
    assert seconds > 0
    assert w.cache_is_warm("core")
    assert not w.cache_is_warm("extras")
    assert not w.cache_is_warm()  # "all" needs both parts


def test_unknown_part_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="core, extras, all"):
        optviz.warmup("everything")


def test_background_child_can_be_stopped():
    child = w.start_warming_in_child("extras")
    assert child is not None
    child.terminate()
    # Stopped by the signal (or, on a very fast machine, already done): never hangs.
    assert child.wait(timeout=30) in (-signal.SIGTERM, 0)
