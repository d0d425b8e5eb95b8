"""Surfaces users bring, in the window: picker entries, formula, sculpt, height map, data.

``SurfaceTools(window)`` adds to a ``MainWindow``: the dataset surfaces and the
"Formula…", "Sculpted…" and "Height map…" entries of the surface picker; a "Surface
editor" dock that shows the formula editor, the sculpt controls or the dataset pane,
whichever fits the surface shown; a Surface menu and toolbar (sculpt mode, undo and redo
of strokes, clear, import); and File > Import height map. Every edit becomes a new scene
through ``window.set_scene``, so it is recomputed, drawn and saved like any other.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.engine.noise import Noise
from optviz.surfaces import DATASET_SURFACES
from optviz.surfaces.errors import ExpressionError
from optviz.surfaces.presets import PRESETS
from optviz.surfaces.surface import Surface

from .dataset_pane import DatasetPane
from .formula_editor import DEFAULT_FORMULA, FormulaEditorWidget
from .heightmap_dialog import HeightmapDialog
from .sculpt import SculptTool
from .widgets import menu_before_help

log = logging.getLogger("optviz")

#: Picker entries that are not surfaces but ways to make one.
FORMULA, SCULPTED, HEIGHTMAP = "formula", "sculpted", "heightmap"

SHORTCUTS = (
    ("S", "Sculpt mode: drag raises, right-drag or Shift+drag digs"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo a sculpt stroke"),
    ("Ctrl+I", "Import a height map"),
    ("Click / drag / right-click (dataset pane)", "Add / move / remove an example"),
)


def picker_key(surface: Surface) -> str:
    """The surface picker's entry for ``surface``: a preset or dataset name, or the
    entry of its kind ("formula", "sculpted", "heightmap")."""
    if surface.kind in ("preset", "dataset"):
        return surface.name
    return {"expression": FORMULA}.get(surface.kind, surface.kind)


def _inside(starts, view) -> bool:
    (x0, x1), (y0, y1) = view
    return all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in starts)


class SurfaceTools(QtCore.QObject):
    """The user-surface tools of ``window`` (a ``MainWindow``); see the module docstring."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.pane = window.surface_pane
        self.formula_editor = FormulaEditorWidget()
        self.sculpt = SculptTool(self.pane, self)
        self.dataset_pane = DatasetPane()
        self._last_formula: Surface | None = None
        self._shown: Surface | None = None  # the surface scene_shown saw last
        self._add_picker_entries(window.surface_combo)
        self._build_dock()
        self._build_actions()
        self.formula_editor.surface_ready.connect(self._on_formula_ready)
        self.sculpt.surface_edited.connect(self._on_sculpted)
        self.sculpt.active_changed.connect(self._on_sculpt_mode)
        self.dataset_pane.data_edited.connect(self._on_data_edited)
        self.dataset_pane.batch_changed.connect(self._on_batch_changed)
        window.result_shown.connect(self._on_result)
        # Race mode (built before these tools) may hide the surface pane and its overlay.
        window.races.mode.multiples_toggled.connect(self._on_multiples_toggled)

    # --- construction ----------------------------------------------------------------
    def _add_picker_entries(self, combo: QtWidgets.QComboBox) -> None:
        combo.insertSeparator(combo.count())
        for name, title, _ in DATASET_SURFACES:
            combo.addItem(title, name)
        combo.insertSeparator(combo.count())
        combo.addItem("Formula…", FORMULA)
        combo.addItem("Sculpted…", SCULPTED)
        combo.addItem("Height map…", HEIGHTMAP)
        combo.setToolTip(
            "Loss surface: the presets of the lecture notes, datasets, a typed formula, "
            "a sculpted surface or a height-map image"
        )

    def _build_dock(self) -> None:
        self.formula_box = QtWidgets.QGroupBox("Formula")
        QtWidgets.QVBoxLayout(self.formula_box).addWidget(self.formula_editor)
        self.sculpt_box = QtWidgets.QGroupBox("Sculpt")
        QtWidgets.QVBoxLayout(self.sculpt_box).addWidget(self.sculpt.widget)
        self.dataset_box = QtWidgets.QGroupBox("Dataset")
        QtWidgets.QVBoxLayout(self.dataset_box).addWidget(self.dataset_pane)
        body = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(body)
        for box in (self.formula_box, self.sculpt_box, self.dataset_box):
            layout.addWidget(box)
        layout.addStretch(0)
        self.dock = QtWidgets.QDockWidget("Surface editor", self.window)
        self.dock.setObjectName("surface-editor-dock")
        self.dock.setWidget(body)
        self.dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.window.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)

    def _build_actions(self) -> None:
        w = self.window
        self.sculpt_action = QtGui.QAction("&Sculpt mode", w)
        self.sculpt_action.setCheckable(True)
        self.sculpt_action.setShortcut(QtGui.QKeySequence("S"))
        self.sculpt_action.setToolTip(
            "Sculpt mode (S): drag raises the surface, right-drag or Shift+drag digs"
        )
        self.sculpt_action.toggled.connect(self.set_sculpting)
        self.undo_action = QtGui.QAction("&Undo stroke", w)
        self.undo_action.setShortcut(QtGui.QKeySequence("Ctrl+Z"))
        self.undo_action.triggered.connect(self.sculpt.undo)
        self.redo_action = QtGui.QAction("&Redo stroke", w)
        self.redo_action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+Z"))
        self.redo_action.triggered.connect(self.sculpt.redo)
        self.clear_action = QtGui.QAction("&Clear strokes", w)
        self.clear_action.triggered.connect(self.sculpt.clear)
        self.formula_action = QtGui.QAction("&Formula…", w)
        self.formula_action.triggered.connect(lambda: self.pick(FORMULA))
        self.import_action = QtGui.QAction("Import &height map…", w)
        self.import_action.setShortcut(QtGui.QKeySequence("Ctrl+I"))
        self.import_action.triggered.connect(self.import_dialog)
        for action in (self.sculpt_action, self.undo_action, self.redo_action):
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        menu = menu_before_help(w.menuBar(), "S&urface")
        menu.addAction(self.formula_action)
        menu.addAction(self.sculpt_action)
        menu.addAction(self.undo_action)
        menu.addAction(self.redo_action)
        menu.addAction(self.clear_action)
        menu.addSeparator()
        menu.addAction(self.import_action)
        file_menu = next(
            (a.menu() for a in w.menuBar().actions() if a.text() == "&File" and a.menu()), None
        )
        if file_menu is not None:  # File > Import height map…, just above Export
            file_menu.insertAction(w.export_action, self.import_action)
        self.toolbar = w.addToolBar("Surface")
        self.toolbar.setObjectName("surface-toolbar")
        for action in (self.sculpt_action, self.undo_action, self.redo_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.formula_action)
        self.toolbar.addAction(self.import_action)
        self._sync_actions()

    def _sync_actions(self) -> None:
        self.undo_action.setEnabled(self.sculpt.undo_button.isEnabled())
        self.redo_action.setEnabled(self.sculpt.redo_button.isEnabled())

    # --- the window's hooks ------------------------------------------------------------
    def pick(self, key: str) -> None:
        """The picker's entry ``key`` was chosen: show that surface, or open its tool."""
        scene = self.window.scene
        if key == picker_key(scene.surface):
            self._restore_picker()
            return
        if key in PRESETS:
            self.show_surface(Surface.preset(key), keep_starts=False)
        elif key == FORMULA:
            self._start_formula(scene)
        elif key == SCULPTED:
            self._restore_picker()
            refusal = self._sculpt_refusal(scene.surface)
            if refusal is not None:
                self.window.state_label.setText(refusal)
            else:
                self.sculpt_action.setChecked(True)
        elif key == HEIGHTMAP:
            self._restore_picker()
            self.import_dialog()
        elif key in (factories := {n: f for n, _, f in DATASET_SURFACES}):
            self.show_surface(factories[key](), keep_starts=False)
        else:
            self._restore_picker()

    def scene_shown(self, scene) -> None:
        """The window shows ``scene`` now: fit the editors to its surface."""
        surface = scene.surface
        kind = surface.kind
        if kind == "expression":
            self._last_formula = surface
            if self.formula_editor.surface != surface:
                self.formula_editor.set_surface(surface)
        elif surface != self._shown:
            # Another surface was picked or opened: a formula edit still compiling must
            # not come back and replace it.
            self.formula_editor.cancel()
        self._shown = surface
        if kind == "dataset":
            self.dataset_pane.set_data(surface.model, surface.data_x, surface.data_y)
            self.dataset_pane.set_batch(scene.noise.batch_size)
        self._sync_sculpt_action(surface)
        self.sculpt.surface_shown(surface)
        self._sync_actions()
        shown = (
            (self.formula_box, kind == "expression"),
            (self.sculpt_box, self.sculpt.active or kind == "sculpted"),
            (self.dataset_box, kind == "dataset"),
        )
        for box, visible in shown:
            box.setVisible(visible)
        self.dock.setVisible(any(visible for _, visible in shown))

    def drop_edits(self) -> None:
        """A scene is opened (or made new) in place of the current one: a formula edit
        still waiting or compiling is dropped, and the editor shows the opened formula."""
        self.formula_editor.cancel()
        self.formula_editor.surface = None
        self._shown = None

    def shutdown(self) -> None:
        self.formula_editor.shutdown()

    # --- surfaces ------------------------------------------------------------------------
    def show_surface(self, surface: Surface, keep_starts: bool = True, keep_view=False) -> None:
        """Make ``surface`` the scene's surface; the starts stay where they are if asked
        and inside its view, and the noise is fitted to its kind."""
        scene = self.window.scene
        starts = scene.starts
        if not (keep_starts and _inside(starts, surface.view)):
            starts = surface.starts[:1]
        noise = scene.noise
        if surface.kind == "dataset":
            # Gaussian noise does not combine with minibatches: datasets start full batch.
            if scene.surface.kind != "dataset":
                noise = Noise(seed=noise.seed)
            elif noise.batch_size is not None and noise.batch_size > len(surface.data_x):
                noise = Noise(seed=noise.seed)
        elif noise.batch_size is not None and noise.std == 0:
            noise = Noise(seed=noise.seed)  # minibatches need a dataset
        view = scene.view if keep_view else None
        self.window.set_scene(
            replace(scene, surface=surface, starts=tuple(starts), noise=noise, view=view)
        )

    def _restore_picker(self) -> None:
        combo = self.window.surface_combo
        with QtCore.QSignalBlocker(combo):
            combo.setCurrentIndex(combo.findData(picker_key(self.window.scene.surface)))

    # --- formula --------------------------------------------------------------------------
    def _start_formula(self, scene) -> None:
        """Show the formula editor, seeded with the last formula, the preset's own formula
        when it parses, or a default, and compile it."""
        self.formula_box.setVisible(True)
        self.dock.setVisible(True)
        surface = scene.surface
        if self._last_formula is not None:
            self.formula_editor.set_surface(self._last_formula)
        else:
            text = DEFAULT_FORMULA
            if surface.formula and surface.kind == "preset":
                # Imported here: the parser loads sympy (0.4 s), which start-up skips.
                from optviz.surfaces.expression import parse_expression

                try:
                    parse_expression(surface.formula)
                    text = surface.formula
                except (ExpressionError, TypeError):
                    pass
            self.formula_editor.field.setText(text)
            self.formula_editor.set_domain(scene.view_box)
        self.formula_editor.surface = None  # so that the compiled surface is shown
        self.formula_editor.compile_now()
        self.formula_editor.field.setFocus()

    def _on_formula_ready(self, surface: Surface) -> None:
        self._last_formula = surface
        self.show_surface(surface)

    # --- sculpt ----------------------------------------------------------------------------
    def _sculpt_refusal(self, surface: Surface) -> str | None:
        """Why sculpt mode cannot be on for ``surface`` now, or None if it can."""
        if surface.kind == "dataset":
            return "a dataset surface cannot be sculpted"
        if self.pane.isHidden():  # and with it the sculpt overlay
            return "race mode shows the small multiples: sculpt in its overlay layout"
        return None

    def _sync_sculpt_action(self, surface: Surface) -> None:
        """Offer sculpt mode only where it can be on, and leave it where it cannot."""
        refusal = self._sculpt_refusal(surface)
        if refusal is not None and self.sculpt.active:
            self.sculpt_action.setChecked(False)
            self.window.state_label.setText(f"left sculpt mode: {refusal}")
        self.sculpt_action.setEnabled(refusal is None)

    def _on_multiples_toggled(self, _shown: bool) -> None:
        self._sync_sculpt_action(self.window.scene.surface)

    def set_sculpting(self, on: bool) -> None:
        if on and self._sculpt_refusal(self.window.scene.surface) is not None:
            with QtCore.QSignalBlocker(self.sculpt_action):
                self.sculpt_action.setChecked(False)
            return
        with QtCore.QSignalBlocker(self.sculpt_action):
            self.sculpt_action.setChecked(on)
        self.sculpt.set_active(on)

    def _on_sculpt_mode(self, on: bool) -> None:
        self.window.state_label.setText(
            "sculpt mode: drag raises, right-drag or Shift+drag digs (S to leave)"
            if on
            else "ready"
        )
        self.scene_shown(self.window.scene)

    def _on_sculpted(self, surface: Surface) -> None:
        self.show_surface(surface, keep_view=True)
        self._sync_actions()

    # --- height map -------------------------------------------------------------------------
    def import_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.window,
            "Import height map",
            self.window._folder(),
            "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.gif *.webp);;All files (*)",
        )
        if path:
            dialog = self.heightmap_dialog(path)
            if dialog is not None:
                dialog.exec()

    def heightmap_dialog(self, path: str | Path) -> HeightmapDialog | None:
        """The import dialog for ``path`` (not shown yet; accepting it shows its surface),
        or None after telling the user why the file cannot be used."""
        try:
            dialog = HeightmapDialog(path, self.window)
        except ValueError as err:
            self.window.show_error("Cannot import height map", str(err))
            return None
        dialog.accepted.connect(lambda: self.show_surface(dialog.surface, keep_starts=False))
        return dialog

    # --- datasets ----------------------------------------------------------------------------
    def _on_data_edited(self, x: np.ndarray, y: np.ndarray) -> None:
        surface = self.window.scene.surface
        if surface.kind != "dataset":
            return
        try:
            edited = surface.with_data(x, y)
        except ValueError as err:
            self.window.show_error("Cannot use these examples", str(err))
            self.dataset_pane.set_data(surface.model, surface.data_x, surface.data_y)
            return
        self.show_surface(edited, keep_view=True)

    def _on_batch_changed(self, batch: int) -> None:
        scene = self.window.scene
        noise = Noise(std=0.0, seed=scene.noise.seed, batch_size=batch or None)
        self.window.set_scene(replace(scene, noise=noise))

    def _on_result(self, result) -> None:
        if self.window.scene.surface.kind != "dataset":
            return
        if result is None:
            self.dataset_pane.set_fits([])
            return
        # Each optimizer's model at its final (w, b), from the first start, in its colour.
        scene = self.window.scene
        colors = [scene.entries[i].color for i in scene.enabled]
        final = result.xy[:, 0, -1]
        self.dataset_pane.set_fits([(w, b, c) for (w, b), c in zip(final.tolist(), colors)])
