"""The real main window, driven offscreen with pytest-qt."""

import json
import time
from dataclasses import replace

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from optviz.app.widgets import UnitEdit
from optviz.scene import Scene, default_scene

from .conftest import wait_result


def test_window_title_size_and_default_scene(window):
    assert window.windowTitle() == "optviz"
    available = window.screen().availableGeometry()
    assert window.width() >= min(1280, available.width())
    assert window.height() >= min(800, available.height())
    res = window.result
    assert res.xy.shape == (4, 1, 2001, 2)
    assert (res.diverged == -1).all()
    assert window.state_label.text().startswith("done")
    assert "M steps/s" in window.speed_label.text()
    assert window.backend_label.text().startswith("backend: cpu")


def test_default_scene_makes_visible_progress():
    from optviz import simulate

    scene = default_scene()
    res = simulate(scene.surface, [e.optimizer for e in scene.entries], scene.starts, scene.steps)
    assert (res.diverged == -1).all()
    # Every optimizer moved well away from the start, and they end far apart.
    moved = np.hypot(*(res.xy[:, 0, -1] - res.xy[:, 0, 0]).T)
    assert (moved > 1.0).all()
    ends = res.xy[:, 0, -1]
    gaps = np.hypot(*(ends[:, None] - ends[None]).transpose(2, 0, 1))
    assert gaps[np.triu_indices(4, 1)].min() > 0.02


def test_every_pane_draws_every_optimizer(window):
    window.playback.set_frame(1000)
    pane = window.surface_pane
    for o in range(4):
        # The cached history up to a multiple of 64 steps, then the tail to the frame.
        hx, hy = pane.paths[o].getData()
        tx, ty = pane.tails[o].getData()
        assert (hx[-1], hy[-1]) == (tx[0], ty[0])
        x, y = np.concatenate([hx, tx[1:]]), np.concatenate([hy, ty[1:]])
        path = window.result.xy[o, 0, :1001]
        # Drawn: the start, then points at least half a pixel apart, then the head exactly,
        # all taken in order from the trajectory.
        assert (x[0], y[0]) == tuple(path[0]) and (x[-1], y[-1]) == tuple(path[-1])
        index = [
            int(np.flatnonzero((path[:, 0] == px) & (path[:, 1] == py))[0]) for px, py in zip(x, y)
        ]
        assert index == sorted(index) and 10 < len(index) <= 1001
    heads = window.surface_pane.heads.getData()
    np.testing.assert_array_equal(heads[0], window.result.xy[:, 0, 1000, 0])
    for cursor in window.metrics_pane.cursors:
        assert cursor.value() == 1000


def test_add_and_remove_optimizers(qtbot, window):
    panel = window.optimizers
    res = wait_result(qtbot, window, lambda: panel.add("adamw"))
    assert res.xy.shape[0] == 5 and window.scene.entries[-1].optimizer.name == "adamw"
    assert len({e.color for e in window.scene.entries}) == 5
    res = wait_result(qtbot, window, panel.duplicate_selected)
    assert res.xy.shape[0] == 6 and window.scene.entries[-1].optimizer.label == "AdamW 2"
    panel.list.setCurrentRow(0)
    res = wait_result(qtbot, window, panel.remove_selected)
    assert res.xy.shape[0] == 5
    assert [e.optimizer.label for e in window.scene.entries][0] == "Momentum"


def test_disable_recolour_and_rename(qtbot, window):
    panel = window.optimizers
    item = panel.list.item(1)
    res = wait_result(qtbot, window, lambda: item.setCheckState(QtCore.Qt.CheckState.Unchecked))
    assert res.xy.shape[0] == 3 and not window.scene.entries[1].enabled
    panel.list.setCurrentRow(0)
    wait_result(qtbot, window, lambda: panel.recolor_selected("#123456"))
    assert window.scene.entries[0].color == "#123456"
    wait_result(qtbot, window, lambda: panel.list.item(0).setText("plain SGD"))
    assert window.scene.entries[0].optimizer.label == "plain SGD"


def test_editing_a_hyperparameter_changes_the_trajectory(qtbot, window):
    before = window.result.xy[0, 0].copy()
    window.optimizers.list.setCurrentRow(0)
    lr_edit = window.optimizers.editor.widgets["lr"]
    res = wait_result(qtbot, window, lambda: lr_edit.spin.setValue(5e-4))
    assert window.scene.entries[0].optimizer.params["lr"] == 5e-4
    assert not np.array_equal(res.xy[0, 0], before)
    np.testing.assert_array_equal(res.xy[1:, 0], window.result.xy[1:, 0])


def test_editor_shows_new_values_of_the_same_optimizer(qtbot, window):
    # A scene opened (or a tuned lr, a sweep cell) with the selected optimizer's values
    # changed: the editor shows them, and its next edit starts from them.
    window.optimizers.list.setCurrentRow(3)  # Adam
    scene = window.scene
    adam = scene.entries[3].optimizer.replace(lr=0.2, betas=(0.8, 0.95), amsgrad=True)
    entries = scene.entries[:3] + (replace(scene.entries[3], optimizer=adam),)
    wait_result(qtbot, window, lambda: window.set_scene(scene.with_entries(entries)))
    editor = window.optimizers.editor
    assert editor.widgets["lr"].value() == 0.2
    assert [e.value() for e in editor.widgets["betas"].findChildren(UnitEdit)] == [0.8, 0.95]
    assert editor.widgets["amsgrad"].isChecked()
    wait_result(qtbot, window, lambda: editor.widgets["eps"].spin.setValue(1e-6))
    edited = window.scene.entries[3].optimizer.params
    assert (edited["lr"], edited["eps"], edited["amsgrad"]) == (0.2, 1e-6, True)


def test_invalid_hyperparameter_is_reported_not_applied(qtbot, window):
    window.optimizers.list.setCurrentRow(3)  # Adam
    editor = window.optimizers.editor
    editor._edit("eps", -1.0)
    assert "eps" in editor.error.text()
    assert window.scene.entries[3].optimizer.params["eps"] == 1e-8


def test_schedule_picker_applies_a_schedule(qtbot, window):
    window.optimizers.list.setCurrentRow(3)
    sched = window.optimizers.editor.schedule
    res = wait_result(qtbot, window, lambda: sched.combo.setCurrentText("cosine"))
    assert window.scene.entries[3].optimizer.schedule.name == "cosine"
    assert res.lr[3, -1] < res.lr[3, 0]
    _, values = sched.preview_curve.getData()
    assert values[0] > values[-1]


def test_dragging_the_start_recomputes_every_path(qtbot, window):
    target = window.surface_pane.targets[0]
    res = wait_result(qtbot, window, lambda: target.setPos(-1.0, 1.5))
    np.testing.assert_allclose(res.xy[:, 0, 0], [[-1.0, 1.5]] * 4)
    assert window.scene.starts == ((-1.0, 1.5),)


def _click(qtbot, window, x, y, modifier=QtCore.Qt.KeyboardModifier.NoModifier):
    pane = window.surface_pane
    scene_pos = pane.plot.vb.mapViewToScene(QtCore.QPointF(x, y))
    pos = pane.mapFromScene(scene_pos)
    qtbot.mouseClick(pane.viewport(), QtCore.Qt.MouseButton.LeftButton, modifier, pos)


def test_click_sets_and_shift_click_adds_starts(qtbot, window):
    res = wait_result(qtbot, window, lambda: _click(qtbot, window, 0.5, 2.5))
    assert res.xy.shape[1] == 1
    np.testing.assert_allclose(res.xy[0, 0, 0], [0.5, 2.5], atol=0.05)
    res = wait_result(
        qtbot,
        window,
        lambda: _click(qtbot, window, -1.0, 0.0, QtCore.Qt.KeyboardModifier.ShiftModifier),
    )
    assert res.xy.shape[1] == 2
    np.testing.assert_allclose(res.xy[0, 1, 0], [-1.0, 0.0], atol=0.05)
    assert len(window.surface_pane.targets) == 2


def test_play_pause_step_and_scrub(qtbot, window):
    bar = window.playback
    bar.restart()
    bar.play()
    qtbot.waitUntil(lambda: bar.frame > 20, timeout=5000)
    bar.pause()
    frame = bar.frame
    bar.step(1)
    assert bar.frame == frame + 1
    bar.step(-2)
    assert bar.frame == frame - 1
    bar.scrubber.setValue(1500)
    assert bar.frame == 1500
    np.testing.assert_array_equal(
        window.surface_pane.heads.getData()[0], window.result.xy[:, 0, 1500, 0]
    )
    assert window.metrics_pane.cursors[0].value() == 1500
    bar.speed.setCurrentIndex(bar.speed.findData(0))  # instant
    bar.play()
    qtbot.waitUntil(lambda: bar.frame == 2000, timeout=2000)


def test_keyboard_shortcuts(qtbot, window):
    bar = window.playback
    bar.set_frame(10)
    window.forward_action.trigger()
    assert bar.frame == 11
    window.back_action.trigger()
    assert bar.frame == 10
    window.restart_action.trigger()
    assert bar.frame == 0
    window.play_action.trigger()
    assert bar.playing
    window.play_action.trigger()
    assert not bar.playing
    actions = (window.play_action, window.back_action, window.forward_action, window.restart_action)
    assert [a.shortcut().toString() for a in actions] == ["Space", "Left", "Right", "Home"]


def test_changing_surface_and_run_settings(qtbot, window):
    combo = window.surface_combo
    res = wait_result(qtbot, window, lambda: combo.setCurrentIndex(combo.findData("himmelblau")))
    assert res.spec.surface.name == "himmelblau"
    np.testing.assert_allclose(res.xy[0, 0, 0], window.scene.surface.starts[0])
    res = wait_result(qtbot, window, lambda: window.steps_spin.setValue(300))
    assert res.steps == 300 and window.playback.scrubber.maximum() == 300
    res = wait_result(qtbot, window, lambda: window.noise_spin.setValue(0.5))
    assert res.spec.noise.std == 0.5


def test_save_and_reopen_a_scene(qtbot, window, tmp_path):
    panel = window.optimizers
    wait_result(qtbot, window, lambda: panel.add("lion"))
    path = tmp_path / "race.json"
    assert window.save_to(path)
    data = json.loads(path.read_text())
    assert data["format"] == "optviz-scene" and data["version"] == 2
    assert [o["name"] for o in data["optimizers"]] == ["sgd", "momentum", "rmsprop", "adam", "lion"]
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left behind"
    wait_result(qtbot, window, window.new_scene)
    assert len(window.scene.entries) == 4
    res = wait_result(qtbot, window, lambda: window.open_path(path))
    assert res.xy.shape[0] == 5 and window.scene.entries[-1].optimizer.name == "lion"
    assert window.scene.view is not None


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"format": "something-else"}',
        b"\xff\xfe\x00binary",
        b'{"format": "optviz-scene", "version": 99}',
    ],
)
def test_opening_a_broken_file_keeps_the_scene(window, tmp_path, monkeypatch, content):
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *args: shown.append(args[1:3]))
    bad = tmp_path / "broken.json"
    bad.write_bytes(content)
    before = window.scene
    assert not window.open_path(bad)
    assert window.scene is before
    assert shown and shown[0][0] == "Cannot open scene" and "broken.json" in shown[0][1]


def test_last_scene_and_geometry_persist(qtbot, settings):
    from optviz.app.window import MainWindow

    w = MainWindow(default_scene(), settings=settings, restore=False)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.result is not None, timeout=60_000)
    wait_result(qtbot, w, lambda: w.optimizers.add("yogi"))
    w.resize(700, 650)
    w.close()
    again = MainWindow(settings=settings, restore=True)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.result is not None, timeout=60_000)
    assert again.scene.entries[-1].optimizer.name == "yogi"
    assert (again.width(), again.height()) == (700, 650)
    again.close()


def test_cancel_a_long_run_stops_quickly(qtbot, window):
    starts = tuple((x, 2.0) for x in np.linspace(-1.9, 1.9, 64))
    scene = Scene(window.scene.surface, window.scene.entries, starts, steps=100_000)
    window.set_scene(scene)
    # A run this long (25.6 M steps) shows the progress bar and Cancel after 0.3 s.
    qtbot.waitUntil(window.cancel_button.isVisible, timeout=10_000)
    assert window.progress.isVisible() and 0 < window.progress.value() < 100_000
    clicked = time.perf_counter()
    with qtbot.waitSignal(window.controller.run_cancelled, timeout=5000):
        window.cancel_button.click()
    assert time.perf_counter() - clicked < 1.0
    assert window.state_label.text() == "cancelled"


def test_ui_thread_keeps_beating_during_a_big_run(qtbot, window):
    """Heartbeat: a 10 ms timer on the UI thread never stalls more than 50 ms while the
    worker runs 10^7 optimizer steps."""
    beats = []
    timer = QtCore.QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: beats.append(time.perf_counter()))
    starts = tuple((x, 2.0) for x in np.linspace(-1.9, 1.9, 64))
    scene = Scene(window.scene.surface, window.scene.entries[:2], starts, steps=80_000)
    timer.start()
    with qtbot.waitSignal(window.result_shown, timeout=60_000):
        window.set_scene(scene)
    timer.stop()
    assert window.result.spec.n_runs * window.result.steps >= 10**7
    gaps = np.diff(beats)
    # The result itself is drawn on the UI thread (2 x 64 paths of 80 000 steps): that one
    # redraw is the only allowed long frame.
    assert np.sort(gaps)[-2] < 0.05, f"stalls: {np.sort(gaps)[-5:]}"


def test_help_dialogs(window, monkeypatch):
    seen = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "information", lambda *a: seen.append(a[1:3]))
    monkeypatch.setattr(QtWidgets.QMessageBox, "about", lambda *a: seen.append(a[1:3]))
    window.shortcuts_action.trigger()
    window.about_action.trigger()
    assert seen[0][0] == "Shortcuts" and "Space" in seen[0][1]
    about = seen[1][1]
    for word in ("Python", "Qt", "numba", "backend"):
        assert word in about
