"""While a window is open, Python's cyclic garbage collector runs on the GUI thread only.

The collector runs in whichever thread happens to allocate when its threshold trips. If
that is the compute worker and the garbage holds Qt objects (the wrappers of a closed
window, reference cycles through signal connections), the worker destroys QObjects:
``~QObject`` takes Qt's connection mutex, then waits for the GIL to ask Python about an
override, while the GUI thread, holding the GIL, waits for that same mutex in its own
``~QObject``. The test suite deadlocked that way (gdb showed exactly those two stacks).
So automatic collection is switched off while any window is open, and a timer on the
GUI thread collects instead: the approach of pyqtgraph's ``GarbageCollector``.
"""

from __future__ import annotations

import gc

from PySide6 import QtCore

#: How often the GUI thread checks whether a collection is due.
INTERVAL_MS = 500

_users = 0
_timer: QtCore.QTimer | None = None
_was_enabled = True


def acquire() -> None:
    """Called by each window as it opens (on the GUI thread)."""
    global _users, _timer, _was_enabled
    _users += 1
    if _users > 1:
        return
    _was_enabled = gc.isenabled()
    gc.disable()
    # What exists before the first window (modules: numpy, numba, Qt, pyqtgraph) lives as
    # long as the process: freezing it keeps the timer's full collections from walking it
    # every time (30 ms each without the freeze, the GUI thread's time).
    gc.collect()
    gc.freeze()
    _timer = QtCore.QTimer()
    _timer.setInterval(INTERVAL_MS)
    _timer.timeout.connect(collect_if_due)
    _timer.start()


def release() -> None:
    """Called by each window as it closes: the last one gives collection back."""
    global _users, _timer
    if _users == 0:
        return
    _users -= 1
    if _users == 0 and _timer is not None:
        _timer.stop()
        _timer = None
        gc.unfreeze()
        if _was_enabled:
            gc.enable()


def collect_if_due() -> None:
    """Collect the generations whose counts passed Python's own thresholds."""
    thresholds = gc.get_threshold()
    counts = gc.get_count()
    for generation in range(3):
        if counts[generation] <= thresholds[generation]:
            break
        gc.collect(generation)
