"""Garbage is collected on the GUI thread while a window is open (see optviz/app/gui_gc.py)."""

import gc

from optviz.app import gui_gc


def test_windows_hold_automatic_collection_off_until_the_last_closes(window, qtbot):
    from optviz.app.window import MainWindow

    assert not gc.isenabled()  # the fixture's window is open
    assert gc.get_freeze_count() > 0  # what predates the window is frozen, not re-walked
    second = MainWindow(settings=window.settings, restore=False)
    qtbot.addWidget(second)
    second.close()
    assert not gc.isenabled()  # one window is still open
    window.close()
    window.close()  # a second close event must not release twice
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_timer_collects_cycles_on_the_gui_thread(qtbot):
    gui_gc.acquire()
    try:
        assert not gc.isenabled()

        class Node:
            pass

        collected = []
        for _ in range(gc.get_threshold()[0] + 10):
            a, b = Node(), Node()
            a.other, b.other = b, a  # a cycle only the collector can free
        gc.callbacks.append(lambda phase, info: collected.append(info["generation"]))
        try:
            qtbot.waitUntil(lambda: bool(collected), timeout=5 * gui_gc.INTERVAL_MS)
        finally:
            gc.callbacks.pop()
    finally:
        gui_gc.release()
    assert gc.isenabled()
