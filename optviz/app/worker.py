"""The compute worker: runs engine requests in a QThread, newest request wins.

The main thread builds a frozen ``RunSpec`` and calls ``SimulationController.submit``;
the worker (one thread: numba's parallel kernels must not be entered from two threads
at once) runs it with ``optviz.execute`` in chunks and emits the fresh ``Result`` back.
A newer submission makes the running one stop at its next chunk boundary (tens of
milliseconds) and be dropped; so does ``cancel``. Kernels are compiled or loaded from
the disk cache in this thread at start-up, so the window never waits for them.

``submit_job`` runs any other long computation (a tune, a swarm, a sweep) in the same
thread under the same rule: a job is a callable ``job(progress, cancel)`` built on the main
thread; its value comes back with ``job_finished``. Runs and jobs share one id sequence,
so a newer run stops a job in flight and a newer job stops a run.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import traceback
import weakref

from PySide6 import QtCore

import optviz
from optviz.engine.run import Cancelled, RunSpec
from optviz.engine.warmup import cache_is_warm, start_warming_in_child, warm_cache_in_child

#: Set this environment variable to "0" to compile the "extras" kernels only when first
#: used, not in a background child (the test suite does: its tests compile what they use).
BACKGROUND_COMPILE = "OPTVIZ_BACKGROUND_COMPILE"


class SimulationWorker(QtCore.QObject):
    """Lives in the worker thread; all its slots run there."""

    warmup_finished = QtCore.Signal(float)
    run_started = QtCore.Signal(int)
    run_progress = QtCore.Signal(int, int, int)  # request id, steps done, steps total
    run_finished = QtCore.Signal(int, object)  # request id, optviz.Result
    run_failed = QtCore.Signal(int, str)
    run_cancelled = QtCore.Signal(int)
    job_progress = QtCore.Signal(int, int, int)  # request id, work done, work total
    job_finished = QtCore.Signal(int, object)  # request id, the job's return value
    job_failed = QtCore.Signal(int, str)
    job_cancelled = QtCore.Signal(int)

    def __init__(self) -> None:
        super().__init__()
        #: The child process compiling the "extras" kernels in the background, if any.
        self.extras_child: subprocess.Popen | None = None
        # Written by the main thread, read here between chunks: a plain int under the GIL.
        self.latest_id = 0
        self.cancelled_id = 0

    @QtCore.Slot()
    def warm_up(self) -> None:
        began = time.perf_counter()
        try:
            if not cache_is_warm("core"):
                # Compiling here would hold the GIL and stall the UI; a child process
                # fills the disk cache instead, then loading it below is quick.
                warm_cache_in_child("core")
            optviz.warmup("core")
            seconds = time.perf_counter() - began
        except Exception:  # a broken cache must not kill the app; runs will report it
            traceback.print_exc()
            seconds = -1.0
        self.warmup_finished.emit(seconds)
        if not cache_is_warm("extras") and os.environ.get(BACKGROUND_COMPILE, "1") != "0":
            # The kernels of formulas, data surfaces, sweeps and races compile in another
            # child while the first scene plays, so their first use neither waits for a
            # compile nor holds this process's GIL through one.
            self.extras_child = start_warming_in_child("extras")

    @QtCore.Slot(int, object, bool)
    def run(self, request_id: int, spec: RunSpec, record_grads: bool) -> None:
        if request_id != self.latest_id:
            return  # superseded while it waited in the queue
        self.run_started.emit(request_id)
        last_report = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last_report[0] > 0.05 or done == total:
                last_report[0] = now
                self.run_progress.emit(request_id, done, total)

        def stale() -> bool:
            return request_id != self.latest_id or request_id == self.cancelled_id

        try:
            result = optviz.execute(
                spec, record_grads=record_grads, progress=progress, cancel=stale
            )
        except Cancelled:
            self.run_cancelled.emit(request_id)
            return
        except Exception as err:  # shown in the status bar, never a traceback dialog
            traceback.print_exc()
            self.run_failed.emit(request_id, f"{type(err).__name__}: {err}")
            return
        if not stale():
            self.run_finished.emit(request_id, result)

    @QtCore.Slot(int, object)
    def run_job(self, request_id: int, job) -> None:
        if request_id != self.latest_id:
            self.job_cancelled.emit(request_id)
            return
        last_report = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last_report[0] > 0.05 or done == total:
                last_report[0] = now
                self.job_progress.emit(request_id, int(done), int(total))

        def stale() -> bool:
            return request_id != self.latest_id or request_id == self.cancelled_id

        try:
            value = job(progress, stale)
        except Cancelled:
            self.job_cancelled.emit(request_id)
            return
        except ValueError as err:  # the user's settings: the message says what to change
            self.job_failed.emit(request_id, str(err))
            return
        except Exception as err:  # shown by the job's window, never a traceback dialog
            traceback.print_exc()
            self.job_failed.emit(request_id, f"{type(err).__name__}: {err}")
            return
        if stale():
            self.job_cancelled.emit(request_id)
        else:
            self.job_finished.emit(request_id, value)


class SimulationController(QtCore.QObject):
    """Owns the worker thread; the main window talks to this object only."""

    warmup_finished = QtCore.Signal(float)
    run_started = QtCore.Signal(int)
    run_progress = QtCore.Signal(int, int, int)
    run_finished = QtCore.Signal(int, object)
    run_failed = QtCore.Signal(int, str)
    run_cancelled = QtCore.Signal(int)
    job_progress = QtCore.Signal(int, int, int)
    job_finished = QtCore.Signal(int, object)
    job_failed = QtCore.Signal(int, str)
    job_cancelled = QtCore.Signal(int)
    _request = QtCore.Signal(int, object, bool)
    _job = QtCore.Signal(int, object)
    _warm = QtCore.Signal()
    #: Every controller's thread, so tests can fail when one is left running.
    threads: weakref.WeakSet[QtCore.QThread] = weakref.WeakSet()

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QtCore.QThread(self)
        SimulationController.threads.add(self._thread)
        self._thread.setObjectName("optviz-compute")
        self._worker = SimulationWorker()
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.run)
        self._job.connect(self._worker.run_job)
        self._warm.connect(self._worker.warm_up)
        for name in (
            "warmup_finished",
            "run_started",
            "run_progress",
            "run_finished",
            "run_failed",
            "run_cancelled",
            "job_progress",
            "job_finished",
            "job_failed",
            "job_cancelled",
        ):
            getattr(self._worker, name).connect(getattr(self, name))
        self._next_id = 0
        self._lock = threading.Lock()
        self._thread.start()
        self._warm.emit()

    def submit(self, spec: RunSpec, record_grads: bool = True) -> int:
        """Queue ``spec``; any earlier request still running stops. Returns its id."""
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
        self._worker.latest_id = request_id
        self._request.emit(request_id, spec, record_grads)
        return request_id

    def submit_job(self, job) -> int:
        """Queue ``job(progress, cancel)``, a callable that returns a value or raises
        ``Cancelled`` once ``cancel()`` is true; any earlier request stops. Returns its id."""
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
        self._worker.latest_id = request_id
        self._job.emit(request_id, job)
        return request_id

    def cancel(self) -> None:
        """Stop the running request at its next chunk boundary."""
        self._worker.cancelled_id = self._worker.latest_id

    @property
    def latest_id(self) -> int:
        return self._worker.latest_id

    def shutdown(self) -> None:
        """Stop the running request, the thread (blocks until both are done) and any
        background compile (what it finished stays in the cache)."""
        self._worker.latest_id = -1
        self._thread.quit()
        self._thread.wait()
        child = self._worker.extras_child
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait()
