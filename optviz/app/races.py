"""The Races menu of the main window: race mode, tune, swarm map and sweep map.

``Races(window)`` adds the menu and its shortcuts, owns race mode and opens the tune,
swarm and sweep windows (one of each, reused), and loads a sweep cell picked by a click
into the scene.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from optviz.scene import Entry, next_color, unique_label

from .race_view import RaceMode
from .widgets import menu_before_help

SHORTCUTS = (
    ("Ctrl+R", "Race mode: finish line, leaderboard, small multiples"),
    ("Ctrl+T", "Tune the learning rates"),
    ("Ctrl+B", "Swarm map (basins of attraction)"),
    ("Ctrl+M", "Sweep map (lr x a second hyperparameter)"),
)


class Races(QtCore.QObject):
    """Race mode and the tune / swarm / sweep windows of ``window`` (a ``MainWindow``)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.mode = RaceMode(window)
        self.tune_window = None
        self.swarm_window = None
        self.sweep_window = None
        menu = menu_before_help(window.menuBar(), "&Races")
        menu.addAction(self.mode.action)
        self.replay_action = menu.addAction("Re&play the race")
        self.replay_action.triggered.connect(self.mode.replay)
        menu.addSeparator()
        self.tune_action = menu.addAction("&Tune…", QtGui.QKeySequence("Ctrl+T"))
        self.swarm_action = menu.addAction("S&warm map…", QtGui.QKeySequence("Ctrl+B"))
        self.sweep_action = menu.addAction("Swee&p map…", QtGui.QKeySequence("Ctrl+M"))
        toolbar = window.addToolBar("Races")
        toolbar.setObjectName("races-toolbar")
        for action in (self.mode.action, self.tune_action, self.swarm_action, self.sweep_action):
            toolbar.addAction(action)
        self.toolbar = toolbar
        self.tune_action.triggered.connect(self.open_tune)
        self.swarm_action.triggered.connect(self.open_swarm)
        self.sweep_action.triggered.connect(self.open_sweep)

    def open_tune(self):
        from .tune_dialog import TuneDialog

        if self.tune_window is None:
            self.tune_window = TuneDialog(self.window, parent=self.window)
        self._raise(self.tune_window)
        return self.tune_window

    def open_swarm(self):
        from .swarm_view import SwarmWindow

        if self.swarm_window is None:
            self.swarm_window = SwarmWindow(self.window, parent=self.window)
        self._raise(self.swarm_window)
        return self.swarm_window

    def open_sweep(self):
        from .sweep_view import SweepWindow

        if self.sweep_window is None:  # first opened: the scene's sweep settings
            self.sweep_window = SweepWindow(self.window, parent=self.window)
            self.sweep_window.configuration_picked.connect(self.load_configuration)
        else:  # opened again: the optimizer selected in the main window
            self.sweep_window.refresh_entries()
            selected = self.window.optimizers.list.currentRow()
            if selected >= 0:
                self.sweep_window.select_entry(selected)
        self._raise(self.sweep_window)
        return self.sweep_window

    def load_configuration(self, index: int, optimizer, replace: bool) -> None:
        """Put ``optimizer`` into entry ``index`` (``replace``) or into a new entry."""
        scene = self.window.scene
        entries = list(scene.entries)
        if replace and 0 <= index < len(entries):
            old = entries[index]
            entries[index] = Entry(optimizer, old.color, True)
        else:
            # As Duplicate names its copies: a second cell added is "... (sweep) 2".
            label = unique_label(f"{optimizer.label} (sweep)", entries)
            entries.append(Entry(optimizer.replace(label=label), next_color(entries)))
        self.window.set_scene(scene.with_entries(entries))

    def show_view(self, view: str, on_ready, size: tuple[int, int]) -> None:
        """Bring up ``view`` ("race", "race-overlay", "swarm" or "sweep") on the current
        result and call ``on_ready(widget)`` once it is drawn (for ``--screenshot``)."""
        once = {"done": False}

        def ready(widget) -> None:
            if not once["done"]:
                once["done"] = True
                on_ready(widget)

        if view in ("race", "race-overlay"):
            self.mode.race_shown.connect(lambda _: ready(self.window))
            self.mode.set_layout("small multiples" if view == "race" else "overlay")
            self.mode.set_enabled(True)
        elif view in ("swarm", "sweep"):
            w = self.open_swarm() if view == "swarm" else self.open_sweep()
            w.resize(*size)
            shown = w.swarm_shown if view == "swarm" else w.sweep_shown
            shown.connect(lambda _: ready(w))
            w.job.job_ended.connect(lambda text: text.startswith("done") or ready(w))
            w.run()
        else:
            raise ValueError(f"view {view!r} must be race, race-overlay, swarm or sweep")

    @staticmethod
    def _raise(widget) -> None:
        widget.show()
        widget.raise_()
        widget.activateWindow()
