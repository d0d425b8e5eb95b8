"""The app side of user surfaces: typed formulas, sculpting, height maps and datasets."""

import numpy as np
import pytest
from PIL import Image
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.app import formula_editor
from optviz.app.surface_tools import picker_key

from .conftest import wait_result


def _pick(window, key):
    combo = window.surface_combo
    combo.setCurrentIndex(combo.findData(key))


def _paths(window):
    return window.result.xy.copy()


def test_typed_formula_changes_surface_and_trajectories_and_errors_keep_it(window, qtbot):
    tools = window.surface_tools
    editor = tools.formula_editor
    before = _paths(window)
    wait_result(qtbot, window, lambda: _pick(window, "formula"), timeout=60_000)
    assert window.scene.surface.kind == "expression"
    assert tools.formula_box.isVisible()
    assert window.surface_combo.currentData() == "formula"

    def type_formula():
        editor.field.clear()
        qtbot.keyClicks(editor.field, "x^2 + 3*y^2 + 0.5*sin(3*x)")

    first = wait_result(qtbot, window, type_formula, timeout=60_000)
    assert window.scene.surface.formula == "x^2 + 3*y^2 + 0.5*sin(3*x)"
    assert editor.error == ""
    assert not np.allclose(first.xy, before)
    image = window.surface_pane.image.image.copy()

    qtbot.keyClicks(editor.field, " + z")
    qtbot.waitUntil(lambda: editor.error != "", timeout=10_000)
    assert "unknown name 'z'" in editor.error and "column" in editor.error
    column = len("x^2 + 3*y^2 + 0.5*sin(3*x) + z")
    assert editor.field.error_column == column
    assert window.scene.surface.formula == "x^2 + 3*y^2 + 0.5*sin(3*x)"  # previous kept
    np.testing.assert_array_equal(window.surface_pane.image.image, image)

    # Fixing it clears the error; the scene saves the formula.
    qtbot.keyClick(editor.field, QtCore.Qt.Key.Key_Backspace)
    wait_result(qtbot, window, lambda: qtbot.keyClicks(editor.field, "y"), timeout=60_000)
    assert editor.error == "" and editor.field.error_column is None
    assert window.scene.surface.formula.endswith("+ y")
    assert '"formula": "x^2 + 3*y^2 + 0.5*sin(3*x) + y"' in window.scene.to_json()

    # Away to a preset and back: the last formula comes back.
    wait_result(qtbot, window, lambda: _pick(window, "rosenbrock"))
    assert not tools.formula_box.isVisible()
    wait_result(qtbot, window, lambda: _pick(window, "formula"), timeout=60_000)
    assert window.scene.surface.formula == "x^2 + 3*y^2 + 0.5*sin(3*x) + y"


def test_formula_domain_and_stale_compiles(window, qtbot):
    tools = window.surface_tools
    editor = tools.formula_editor
    wait_result(qtbot, window, lambda: _pick(window, "formula"), timeout=60_000)
    # Two requests in a row: only the newest one's surface is shown.
    editor.field.setText("x^2 + y^2 + 0.25*x")
    editor.compile_now()
    editor.field.setText("x^2 + y^2 - 0.25*x")
    wait_result(qtbot, window, editor.compile_now, timeout=60_000)
    qtbot.wait(100)
    assert window.scene.surface.formula == "x^2 + y^2 - 0.25*x"
    wait_result(qtbot, window, lambda: editor.domain_spins[1].setValue(5.0), timeout=60_000)
    assert window.scene.surface.view[0] == (editor.domain_spins[0].value(), 5.0)
    assert window.scene.view_box[0][1] == 5.0


def _drag(pane, points, button=QtCore.Qt.MouseButton.LeftButton):
    """A real mouse drag through data points ``points`` on the surface pane."""
    viewport = pane.viewport()
    vb = pane.plot.vb

    def at(p):
        scene_pos = vb.mapViewToScene(QtCore.QPointF(*p))
        return QtCore.QPointF(pane.mapFromScene(scene_pos))

    def send(kind, p, buttons):
        pos = at(p)
        event = QtGui.QMouseEvent(
            kind,
            pos,
            viewport.mapToGlobal(pos),
            button,
            buttons,
            QtCore.Qt.KeyboardModifier.NoModifier,
        )
        QtWidgets.QApplication.sendEvent(viewport, event)

    send(QtCore.QEvent.Type.MouseButtonPress, points[0], button)
    for p in points[1:]:
        send(QtCore.QEvent.Type.MouseMove, p, button)
    send(QtCore.QEvent.Type.MouseButtonRelease, points[-1], QtCore.Qt.MouseButton.NoButton)


def test_sculpt_a_bump_with_the_mouse_and_undo_it(window, qtbot):
    tools = window.surface_tools
    original = window.scene.surface
    starts = window.scene.starts
    before = _paths(window)
    tools.sculpt_action.trigger()
    assert tools.sculpt.active and window.surface_pane.sculpting
    assert tools.sculpt_box.isVisible()
    tools.sculpt.strength_spin.setValue(300.0)
    tools.sculpt.radius_spin.setValue(0.2)
    wait_result(
        qtbot, window, lambda: _drag(window.surface_pane, [(-1.0, 1.2), (-0.5, 1.5), (0.0, 1.8)])
    )
    sculpted = window.scene.surface
    assert sculpted.kind == "sculpted" and sculpted.base == original
    assert len(sculpted.bumps) >= 4  # a bump every half radius along the path
    assert all(b[2] > 0 and b[3] == pytest.approx(0.2) for b in sculpted.bumps)
    assert window.scene.starts == starts  # sculpting never moves the start
    assert not np.allclose(_paths(window), before)
    assert window.surface_combo.currentData() == "sculpted"

    # During a stroke the heat map follows at once; the surface changes at its end.
    image = window.surface_pane.image.image.copy()
    tools.sculpt.begin_stroke(QtCore.QPointF(0.5, 0.0), dig=False)
    tools.sculpt.extend_stroke(QtCore.QPointF(1.0, 0.0))
    assert window.scene.surface == sculpted
    assert (window.surface_pane.image.image >= image).all()
    assert (window.surface_pane.image.image > image).any()
    wait_result(qtbot, window, tools.sculpt.end_stroke)
    assert len(window.scene.surface.bumps) > len(sculpted.bumps)
    wait_result(qtbot, window, tools.undo_action.trigger)
    assert window.scene.surface == sculpted

    # A right-drag digs.
    wait_result(
        qtbot,
        window,
        lambda: _drag(
            window.surface_pane, [(1.0, 0.0), (1.0, 0.5)], QtCore.Qt.MouseButton.RightButton
        ),
    )
    dug = window.scene.surface
    assert len(dug.bumps) > len(sculpted.bumps) and dug.bumps[-1][2] < 0

    wait_result(qtbot, window, tools.undo_action.trigger)
    assert window.scene.surface == sculpted
    wait_result(qtbot, window, tools.undo_action.trigger)
    assert window.scene.surface == original
    np.testing.assert_allclose(_paths(window), before)
    wait_result(qtbot, window, tools.redo_action.trigger)
    assert window.scene.surface == sculpted

    # The base can change under the strokes; the scene round-trips the bumps.
    tools.sculpt.base_combo.setCurrentIndex(tools.sculpt.base_combo.findData("bowl"))
    wait_result(
        qtbot,
        window,
        lambda: tools.sculpt.base_combo.activated.emit(tools.sculpt.base_combo.currentIndex()),
    )
    assert window.scene.surface.base.name == "bowl"
    assert window.scene.surface.bumps == sculpted.bumps
    from optviz.scene import Scene

    assert Scene.from_json(window.scene.to_json()).surface == window.scene.surface
    tools.sculpt_action.trigger()
    assert not window.surface_pane.sculpting


def test_import_a_height_map(window, qtbot, tmp_path, monkeypatch):
    tools = window.surface_tools
    ys, xs = np.mgrid[0:24, 0:32]
    pixels = (127 + 120 * np.sin(xs / 5.0) * np.cos(ys / 4.0)).astype(np.uint8)
    path = tmp_path / "hills.png"
    Image.fromarray(pixels, mode="L").save(path)
    before = _paths(window)
    dialog = tools.heightmap_dialog(path)
    qtbot.addWidget(dialog)
    dialog.set_values(((-2.0, 2.0), (-1.0, 1.5)), (0.0, 4.0))
    assert dialog.surface.view == ((-2.0, 2.0), (-1.0, 1.5))
    wait_result(qtbot, window, dialog.accept)
    surface = window.scene.surface
    assert surface.kind == "heightmap" and surface.view == ((-2.0, 2.0), (-1.0, 1.5))
    assert window.surface_combo.currentData() == "heightmap"
    assert not np.allclose(_paths(window), before)

    # A bad domain disables OK; an unreadable file is a message, and nothing changes.
    dialog = tools.heightmap_dialog(path)
    qtbot.addWidget(dialog)
    dialog.set_values(((2.0, -2.0), (-1.0, 1.0)), (0.0, 1.0))
    assert "x0 < x1" in dialog.error_label.text()
    ok = dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    warnings = []
    monkeypatch.setattr(
        QtWidgets.QMessageBox, "warning", lambda *args: warnings.append(args[1:]) or 0
    )
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    assert tools.heightmap_dialog(bad) is None
    assert warnings and "broken.png" in warnings[0][1]
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((2, 2), np.uint8), mode="L").save(tiny)
    assert tools.heightmap_dialog(tiny) is None
    assert "2x2" in warnings[1][1]
    assert window.scene.surface == surface


def _click(widget_view, vb, p, button=QtCore.Qt.MouseButton.LeftButton):
    """A real click at data point ``p`` of view box ``vb`` inside ``widget_view``."""
    viewport = widget_view.viewport()
    pos = QtCore.QPointF(widget_view.mapFromScene(vb.mapViewToScene(QtCore.QPointF(*p))))
    for kind, buttons in (
        (QtCore.QEvent.Type.MouseButtonPress, button),
        (QtCore.QEvent.Type.MouseButtonRelease, QtCore.Qt.MouseButton.NoButton),
    ):
        event = QtGui.QMouseEvent(
            kind,
            pos,
            viewport.mapToGlobal(pos),
            button,
            buttons,
            QtCore.Qt.KeyboardModifier.NoModifier,
        )
        QtWidgets.QApplication.sendEvent(viewport, event)


def test_edit_a_dataset_and_its_minibatches(window, qtbot):
    tools = window.surface_tools
    pane = tools.dataset_pane
    wait_result(qtbot, window, lambda: _pick(window, "neuron_two_points"))
    surface = window.scene.surface
    assert surface.kind == "dataset" and tools.dataset_box.isVisible()
    assert not tools.sculpt_action.isEnabled()
    np.testing.assert_allclose(pane.x, [0.5, 2.5])
    # Each optimizer's model at its final (w, b), in its colour.
    assert len([c for c in pane.curves if c.isVisible()]) == len(window.scene.entries)
    w, b = window.result.xy[3, 0, -1]
    xs, ys = pane.curves[3].getData()
    np.testing.assert_allclose(ys, 1 / (1 + np.exp(-(w * xs + b))), rtol=1e-9)
    before = _paths(window)

    # Move an example: the surface and the trajectories follow.
    wait_result(qtbot, window, lambda: pane.move_point(1, 2.5, 0.2))
    assert window.scene.surface.data_y.tolist() == [0.2, 0.2]
    moved = _paths(window)
    assert not np.allclose(moved, before)

    # A click on empty space adds an example; a right-click on it removes it.
    pane.plot.setRange(xRange=(-1, 4), yRange=(-0.5, 1.5), padding=0)
    wait_result(qtbot, window, lambda: _click(pane.plot_widget, pane.view, (1.5, 1.0)))
    assert len(window.scene.surface.data_x) == 3
    np.testing.assert_allclose(window.scene.surface.data_x[2], 1.5, atol=0.05)
    wait_result(
        qtbot,
        window,
        lambda: _click(pane.plot_widget, pane.view, (1.5, 1.0), QtCore.Qt.MouseButton.RightButton),
    )
    assert len(window.scene.surface.data_x) == 2
    np.testing.assert_allclose(_paths(window), moved)

    # Minibatches of one example make SGD's path differ from the full batch's.
    wait_result(qtbot, window, lambda: pane.batch_spin.setValue(1))
    assert window.scene.noise.batch_size == 1 and window.scene.noise.std == 0
    assert not np.allclose(_paths(window), moved)
    from optviz.scene import Scene

    again = Scene.from_json(window.scene.to_json())
    assert again.surface == window.scene.surface and again.noise.batch_size == 1
    # The run settings' batch box shows the same minibatch, and editing another run
    # setting keeps it (a batch of 1 is single-example SGD, not the full batch).
    assert window.batch_spin.value() == 1
    wait_result(qtbot, window, lambda: window.steps_spin.setValue(window.steps_spin.value() + 1))
    assert window.scene.noise.batch_size == 1

    # Back to a preset: the minibatch setting, meaningless there, is dropped.
    wait_result(qtbot, window, lambda: _pick(window, "rosenbrock"))
    assert window.scene.noise.batch_size is None and not tools.dock.isVisible()


def test_contour_segments_match_pyqtgraphs_isocurve():
    import pyqtgraph.functions as fn

    from optviz.app.contours import contour_segments

    xs = np.linspace(-3, 3, 60)
    gx, gy = np.meshgrid(xs, xs, indexing="ij")
    z = np.sin(gx) * np.cos(gy) + 0.1 * (gx**2 + gy**2)
    z[5, 7] = np.nan  # a hole: no segment touches it

    def pairs(segments):
        return sorted(tuple(sorted(tuple(np.round(p, 9)) for p in s)) for s in segments)

    for level in (-0.5, 0.0, 0.3, 1.2):
        x, y = contour_segments(z, level)
        mine = np.stack([x, y], axis=1).reshape(-1, 2, 2)
        assert np.isfinite(mine).all()
        assert pairs(mine) == pairs(np.array(fn.isocurve(z, level, connected=False)))
    assert contour_segments(z, 100.0)[0].size == 0


def test_a_formula_still_compiling_never_replaces_a_surface_picked_or_opened(
    window, qtbot, tmp_path
):
    tools = window.surface_tools
    editor = tools.formula_editor
    wait_result(qtbot, window, lambda: _pick(window, "formula"), timeout=60_000)
    typed = window.scene.surface
    path = tmp_path / "typed.json"
    window.scene.save(path)
    # An edit typed just before a preset is picked: its compile finishes after the pick.
    editor.field.setFocus()
    qtbot.keyClicks(editor.field, " + 0.3*x")
    wait_result(qtbot, window, lambda: _pick(window, "rosenbrock"))
    qtbot.wait(3 * formula_editor.DEBOUNCE_MS)
    qtbot.waitUntil(lambda: not editor.busy_label.isVisible(), timeout=10_000)
    assert window.scene.surface.kind == "preset"
    assert window.surface_combo.currentData() == "rosenbrock"
    # An edit compiling while a scene is opened: the opened formula stays, in the field too.
    wait_result(qtbot, window, lambda: _pick(window, "formula"), timeout=60_000)
    editor.field.setText("x^2 + y^2 + 0.77*x*y")
    editor.compile_now()
    wait_result(qtbot, window, lambda: window.open_path(path))
    qtbot.wait(500)  # a late compile would have arrived by now
    assert window.scene.surface == typed
    assert editor.field.text() == typed.formula
    # Likewise for File > New while an edit compiles.
    editor.field.setText("x^2 + y^2 - 0.77*x*y")
    editor.compile_now()
    wait_result(qtbot, window, window.new_scene)
    qtbot.wait(500)
    assert window.scene.surface.kind == "preset"


def test_removing_an_example_below_the_batch_size_keeps_both_batch_boxes_right(window, qtbot):
    tools = window.surface_tools
    pane = tools.dataset_pane
    wait_result(qtbot, window, lambda: _pick(window, "least_squares"))
    n = len(pane.x)
    wait_result(qtbot, window, lambda: pane.batch_spin.setValue(n))
    assert window.scene.noise.batch_size == n == window.batch_spin.value()
    pane.select(0)
    wait_result(qtbot, window, pane.remove_selected)
    # A batch of every example, one of them gone: the full batch, shown as such.
    assert len(window.scene.surface.data_x) == n - 1
    assert window.scene.noise.batch_size is None
    assert pane.batch_spin.value() == 0 and window.batch_spin.value() == 0


def test_sculpt_mode_is_off_while_race_mode_shows_small_multiples(window, qtbot):
    tools = window.surface_tools
    mode = window.races.mode
    tools.sculpt_action.trigger()
    assert tools.sculpt.active
    # The small multiples hide the surface pane, and its sculpt overlay with it.
    mode.set_layout("small multiples")
    with qtbot.waitSignal(mode.race_shown, timeout=60_000):
        mode.set_enabled(True)
    assert window.surface_pane.isHidden()
    assert not tools.sculpt.active and not window.surface_pane.sculpting
    assert not tools.sculpt_action.isEnabled() and not tools.sculpt_action.isChecked()
    assert not window.state_label.text().startswith("sculpt mode")
    tools.sculpt_action.trigger()  # S, or the toolbar: nothing happens
    _pick(window, "sculpted")  # the picker's entry says why instead
    assert not tools.sculpt.active and "small multiples" in window.state_label.text()
    assert window.surface_combo.currentData() == picker_key(window.scene.surface)
    # The overlay layout shows the surface pane again: sculpting is possible again.
    mode.set_layout("overlay")
    assert not window.surface_pane.isHidden() and tools.sculpt_action.isEnabled()
    mode.set_layout("small multiples")
    assert not tools.sculpt_action.isEnabled()
    mode.set_enabled(False)
    assert tools.sculpt_action.isEnabled()
    tools.sculpt_action.trigger()
    assert tools.sculpt.active and window.surface_pane.sculpting
    tools.sculpt_action.trigger()
    # A dataset cannot be sculpted, whichever pane shows it.
    wait_result(qtbot, window, lambda: _pick(window, "neuron_two_points"))
    assert not tools.sculpt_action.isEnabled()
    mode.set_layout("small multiples")
    with qtbot.waitSignal(mode.race_shown, timeout=60_000):
        mode.set_enabled(True)
    mode.set_enabled(False)
    assert not tools.sculpt_action.isEnabled()


def test_dataset_examples_beyond_the_bound_are_refused(window, qtbot, monkeypatch):
    from optviz.surfaces.composite import MAX_DATA_ABS

    bound = f"{MAX_DATA_ABS:,.0f}"  # 1,000,000
    errors = []
    monkeypatch.setattr(window, "show_error", lambda title, message: errors.append(message))
    tools = window.surface_tools
    pane = tools.dataset_pane
    wait_result(qtbot, window, lambda: _pick(window, "neuron_two_points"))
    surface = window.scene.surface
    result = window.result
    pane.move_point(1, 1e300, -1e300)
    assert len(errors) == 1 and f"dataset x values must lie within ±{bound}" in errors[0]
    # The previous examples stay, in the scene and in the pane; nothing is recomputed.
    assert window.scene.surface is surface and window.result is result
    np.testing.assert_array_equal(pane.x, surface.data_x)
    np.testing.assert_array_equal(pane.y, surface.data_y)
    pane.add_point(0.5, -2e6)
    assert len(errors) == 2 and f"dataset y values must lie within ±{bound}" in errors[1]
    assert len(pane.x) == 2 and window.scene.surface is surface
    # At the bound itself an example is fine.
    wait_result(qtbot, window, lambda: pane.move_point(1, MAX_DATA_ABS, 0.5))
    assert window.scene.surface.data_x.tolist() == [0.5, MAX_DATA_ABS]
