"""Race mode, tune, swarm map and sweep map in the real main window (pytest-qt)."""

import importlib
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from optviz.race import Finish, race
from optviz.scene import Scene, default_scene
from optviz.studies import Axis, RaceSettings, TuneSettings

from .conftest import wait_result

ROOT = Path(__file__).resolve().parents[2]


def _race_on(qtbot, window, layout="overlay"):
    mode = window.races.mode
    mode.set_layout(layout)
    with qtbot.waitSignal(mode.race_shown, timeout=60_000) as blocker:
        mode.set_enabled(True)
    return blocker.args[0]


def _expected_rows(window, finish, step):
    scene = window.scene
    model = race(
        scene.surface,
        [e.optimizer for e in scene.entries if e.enabled],
        start=scene.starts,
        steps=scene.steps,
        finish=finish,
    )
    return model.leaderboard(step)


def _swarm_on_himmelblau(qtbot, window):
    """The swarm window, opened on Himmelblau (four known minima) with one start."""
    from optviz.surfaces.surface import Surface

    surface = Surface.preset("himmelblau")
    wait_result(
        qtbot,
        window,
        lambda: window.set_scene(replace(window.scene, surface=surface, starts=surface.starts[:1])),
    )
    view = window.races.open_swarm()
    qtbot.addWidget(view)
    return view


@pytest.mark.parametrize("layout", ["overlay", "small multiples"])
def test_race_leaderboard_matches_the_model_in_both_layouts(qtbot, window, layout):
    mode = window.races.mode
    shown = _race_on(qtbot, window, layout)
    assert mode.panel.isVisible() and not window.metrics_pane.isVisible()
    assert mode.multiples.isVisible() == (layout == "small multiples")
    assert window.surface_pane.isVisible() == (layout == "overlay")
    finish = Finish.default_for(window.scene.surface)
    assert shown.finish == finish
    assert window.scene.studies.race.layout == ("overlay" if layout == "overlay" else "multiples")
    for step in (0, 700, window.scene.steps):
        window.playback.set_frame(step)
        table = mode.panel.table.texts()
        expected = _expected_rows(window, finish, step)
        assert [row[1] for row in table] == [r.label for r in expected]
        assert [row[0] for row in table] == [str(r.rank) for r in expected]
        for row, r in zip(table, expected):
            assert row[4].split()[0] == r.status
            if r.status == "finished":
                assert row[2] == str(r.finish_step)
                assert row[4] == f"finished at step {r.finish_step}"
            assert row[3] == f"{r.loss:.3g}"
    # The default scene: Adam reaches (1, 1) within its 2000 steps, SGD does not.
    final = mode.panel.table.texts()
    assert final[0][1] == "Adam" and final[0][4].startswith("finished at step")
    assert any(row[1] == "SGD" and row[2] == "–" for row in final)
    if layout == "small multiples":
        panes = mode.multiples
        assert len(panes.layers) == 4
        # Every pane shows the same view and heat-map array, and its own optimizer's head.
        first = panes.layers[0]
        for o, layer in enumerate(panes.layers):
            assert np.shares_memory(layer.image.image, first.image.image)
            assert layer.plot.vb.viewRange() == first.plot.vb.viewRange()
            heads = layer.heads.getData()
            np.testing.assert_array_equal(heads[0], window.result.xy[o, :, -1, 0])


def test_finish_line_edit_reraces_and_replay_restarts(qtbot, window):
    mode = window.races.mode
    _race_on(qtbot, window)
    editor = mode.panel.finish
    with qtbot.waitSignal(mode.race_shown, timeout=60_000) as blocker:
        editor.kind.setCurrentIndex(editor.kind.findData("loss"))
    with qtbot.waitSignal(mode.race_shown, timeout=60_000) as blocker:
        editor.threshold.setValue(0.5)
    raced = blocker.args[0]
    assert raced.finish == Finish("loss", 0.5)
    assert window.scene.studies.race.finish == Finish("loss", 0.5)  # saved with the scene
    window.playback.set_frame(window.scene.steps)
    expected = _expected_rows(window, Finish("loss", 0.5), window.scene.steps)
    assert [row[1] for row in mode.panel.table.texts()] == [r.label for r in expected]
    mode.replay()
    assert window.playback.playing and window.playback.frame <= 1
    window.playback.pause()
    # A scene with other race settings (as opened from a file) shows them.
    scene = window.scene
    settings = RaceSettings(Finish("grad_norm", 0.01), "multiples")
    with qtbot.waitSignal(mode.race_shown, timeout=60_000) as blocker:
        window.set_scene(replace(scene, studies=replace(scene.studies, race=settings)))
    assert blocker.args[0].finish == Finish("grad_norm", 0.01)
    assert editor.kind.currentData() == "grad_norm" and editor.threshold.value() == 0.01
    assert mode.layout == "small multiples" and mode.multiples.isVisible()
    mode.set_enabled(False)
    assert window.metrics_pane.isVisible() and not mode.panel.isVisible()
    assert window.surface_pane.isVisible() and not mode.multiples.isVisible()


def test_set_layout_wins_over_the_scenes_layout(qtbot, window):
    # --view race-overlay on a scene saved in small multiples: the box already showed
    # "overlay", so nothing was stored and the scene's "multiples" came back on enabling.
    mode = window.races.mode
    scene = window.scene
    settings = replace(scene.studies.race, layout="multiples")
    window.set_scene(replace(scene, studies=replace(scene.studies, race=settings)))
    assert mode.layout == "overlay"  # the box, before race mode syncs from the scene
    _race_on(qtbot, window, "overlay")
    assert mode.layout == "overlay" and window.scene.studies.race.layout == "overlay"
    assert window.surface_pane.isVisible() and not mode.multiples.isVisible()


def test_finish_edit_during_a_run_waits_for_it(qtbot, window):
    # A race job submitted while the window's run computes would cancel that run (the
    # newest request wins): the edit is stored, and the run is raced with it when shown.
    mode = window.races.mode
    _race_on(qtbot, window)
    starts = tuple((x, 2.0) for x in np.linspace(-1.9, 1.9, 64))
    long_run = Scene(window.scene.surface, window.scene.entries, starts, steps=20_000)
    cancelled = []
    window.controller.run_cancelled.connect(cancelled.append)
    with qtbot.waitSignal(mode.race_shown, timeout=120_000) as blocker:
        window.set_scene(replace(long_run, studies=window.scene.studies))
        assert window.run_in_flight
        mode.panel.finish.threshold.setValue(0.5)
        mode.panel.finish.kind.setCurrentIndex(mode.panel.finish.kind.findData("loss"))
    assert not cancelled
    assert window.result.steps == 20_000 and window.result.xy.shape[1] == 64
    assert blocker.args[0].finish == Finish("loss", 0.5)
    assert window.scene.studies.race.finish == Finish("loss", 0.5)


def test_hidden_panes_skip_frames_and_catch_up_when_shown(qtbot, window):
    pane, metrics = window.surface_pane, window.metrics_pane
    window.playback.set_frame(100)
    _race_on(qtbot, window, "small multiples")
    assert not pane.isVisible() and not metrics.isVisible()
    old = window.result
    window.playback.set_frame(700)
    # Hidden, the surface pane and the metric panes skip the frames ...
    assert pane.layers.frame == 100
    np.testing.assert_array_equal(pane.heads.getData()[0], old.xy[:, 0, 100, 0])
    assert all(cursor.value() == 100 for cursor in metrics.cursors)
    # ... and the results: a start moved in race mode reaches the small multiples only.
    moved = replace(window.scene, starts=((-1.0, 1.5),))
    new = wait_result(qtbot, window, lambda: window.set_scene(moved))
    np.testing.assert_array_equal(pane.heads.getData()[0], old.xy[:, 0, 100, 0])
    first_loss = metrics._curves["loss"][0].getData()[1][0]
    window.races.mode.set_enabled(False)
    # Shown again: the new paths at the current frame, the new metric curves.
    assert pane.layers.frame == 700
    np.testing.assert_array_equal(pane.heads.getData()[0], new.xy[:, 0, 700, 0])
    assert all(cursor.value() == 700 for cursor in metrics.cursors)
    assert metrics._curves["loss"][0].getData()[1][0] != first_loss


def test_small_multiples_drag_a_start_for_the_whole_race(qtbot, window):
    mode = window.races.mode
    _race_on(qtbot, window, "small multiples")
    panes = mode.multiples
    start = window.scene.starts[0]
    assert len(panes.markers) == 4
    for markers in panes.markers:
        assert [(t.pos().x(), t.pos().y()) for t in markers.targets] == [start]
    # The panes draw each new result at once: while dragging, a race seldom arrives (the
    # drag's next run cancels it).
    drawn = []
    window.result_shown.connect(lambda _: drawn.append([x.heads.getData() for x in panes.layers]))
    with qtbot.waitSignal(mode.race_shown, timeout=60_000) as blocker:
        panes.markers[2].targets[0].setPos(-1.0, 1.5)  # as a drag moves it
    assert window.scene.starts == ((-1.0, 1.5),)
    for x, y in drawn[0]:
        assert (x.tolist(), y.tolist()) == ([-1.0], [1.5])
    raced = blocker.args[0]
    np.testing.assert_array_equal(raced.result.xy[:, 0, 0], [[-1.0, 1.5]] * 4)
    # Every pane's marker (and the overlay's) followed; every pane shows the new paths.
    for markers in [*panes.markers, window.surface_pane.markers]:
        assert [(t.pos().x(), t.pos().y()) for t in markers.targets] == [(-1.0, 1.5)]
    window.playback.set_frame(500)
    for o, layer in enumerate(panes.layers):
        np.testing.assert_array_equal(layer.heads.getData()[0], window.result.xy[o, :, 500, 0])
    expected = _expected_rows(window, Finish.default_for(window.scene.surface), 500)
    assert [row[1] for row in mode.panel.table.texts()] == [r.label for r in expected]


def test_race_mode_races_the_windows_run_without_running_it_again(qtbot, window, monkeypatch):
    model = importlib.import_module("optviz.race")  # the module, not optviz.race()
    runs = []
    execute_mixed = model.execute_mixed
    monkeypatch.setattr(
        model, "execute_mixed", lambda *a, **k: runs.append(a) or execute_mixed(*a, **k)
    )
    raced = _race_on(qtbot, window)
    assert runs == []
    assert np.shares_memory(raced.result.xy, window.result.xy)
    editor = window.races.mode.panel.finish
    with qtbot.waitSignal(window.races.mode.race_shown, timeout=60_000) as blocker:
        editor.kind.setCurrentIndex(editor.kind.findData("loss"))
    assert runs == [] and blocker.args[0].finish.kind == "loss"


def test_tune_applies_the_chosen_learning_rates(qtbot, window):
    dialog = window.races.open_tune()
    qtbot.addWidget(dialog)
    dialog.lr_low.setValue(1e-4)
    dialog.lr_high.setValue(1e-1)
    dialog.n_lr.setValue(7)
    dialog.steps.setValue(300)
    assert "fewest steps" in dialog.criterion.text()
    with qtbot.waitSignal(dialog.tuned, timeout=60_000) as blocker:
        dialog.run_button.click()
    results = blocker.args[0]
    assert [i for i, _ in results] == window.scene.enabled
    grid = np.logspace(-4, -1, 7)
    for _, tuned in results:
        np.testing.assert_allclose(tuned.grid["lr"], grid)
        assert tuned.best.lr in tuned.grid["lr"]
    assert len(dialog.graphics.ci.items) == len(results)
    assert "Chosen" in dialog.summary.text()
    before = [e.optimizer.label for e in window.scene.entries]
    wait_result(qtbot, window, dialog.apply_button.click)
    for index, tuned in results:
        entry = window.scene.entries[index]
        assert entry.optimizer.lr == tuned.best.lr
        assert entry.optimizer.label == before[index]  # the entry keeps its name
    # An ordinary edit: the optimizer panel shows the new values too.
    assert window.optimizers.entries == window.scene.entries
    # What was searched is saved with the scene.
    saved = Scene.from_json(window.scene.to_json()).studies.tune
    assert saved == TuneSettings(Axis("lr", 1e-4, 1e-1, 7, "log"), None, "steps")


def test_tune_with_a_second_hyperparameter(qtbot, window):
    dialog = window.races.open_tune()
    qtbot.addWidget(dialog)
    dialog.n_lr.setValue(4)
    dialog.steps.setValue(200)
    dialog.second.setCurrentText("momentum")
    dialog.second_low.setValue(0.5)
    dialog.second_high.setValue(0.9)
    dialog.n_second.setValue(3)
    dialog.criterion_combo.setCurrentIndex(dialog.criterion_combo.findData("loss"))
    assert "lowest final loss" in dialog.criterion.text()
    with qtbot.waitSignal(dialog.tuned, timeout=60_000) as blocker:
        dialog.run_button.click()
    results = dict(blocker.args[0])
    names = {i: window.scene.entries[i].optimizer.name for i in results}
    for index, tuned in results.items():
        has_momentum = "momentum" in window.scene.entries[index].optimizer.params
        assert list(tuned.grid) == (["lr", "momentum"] if has_momentum else ["lr"]), names
    wait_result(qtbot, window, dialog.apply_button.click)
    momentum = window.scene.entries[1].optimizer
    tuned = results[1]
    assert momentum.params["momentum"] == tuned.grid["momentum"][tuned.best_index[1]]
    assert momentum.params["momentum"] in (0.5, 0.7, 0.9)
    settings = window.scene.studies.tune
    assert settings.criterion == "loss"
    assert settings.second == Axis("momentum", 0.5, 0.9, 3, "linear")
    # Reopened on a scene loaded from a file, the dialog shows what the file says.
    dialog.close()
    window.races.tune_window = None
    again = window.races.open_tune()
    qtbot.addWidget(again)
    assert again.second.currentText() == "momentum" and again.n_second.value() == 3
    assert again.criterion_combo.currentData() == "loss" and again.n_lr.value() == 4


def test_swarm_map_colours_every_start_by_its_basin(qtbot, window, tmp_path):
    from optviz.app.swarm_view import basin_image

    view = _swarm_on_himmelblau(qtbot, window)
    view.resolution.setValue(12)
    view.steps.setValue(300)
    with qtbot.waitSignal(view.swarm_shown, timeout=60_000) as blocker:
        view.run_button.click()
    result = blocker.args[0]
    assert result.grid_shape == (12, 12) and result.basin.shape == (4, 144)
    assert len(view.images) == 4
    for o, image in enumerate(view.images):
        np.testing.assert_array_equal(image.image, basin_image(result.basin[o], (12, 12)))
        # The map covers the view box: the cells are centred on the starts.
        rect = image.mapRectToParent(image.boundingRect())
        assert rect.left() == pytest.approx(-5.0) and rect.right() == pytest.approx(5.0)
    rows = result.success_table()
    assert view.table.rowCount() == 4
    for r, row in enumerate(rows):
        assert view.table.item(r, 0).text() == row.label
        assert view.table.item(r, 1).text() == f"{100 * row.global_rate:.1f} %"
    # Every Himmelblau minimum is global, and each is some start's basin.
    assert "(global)" in view.legend.text()
    assert window.scene.studies.swarm.n == 144 and window.scene.studies.swarm.steps == 300
    view.color_by.setCurrentText("steps to converge")
    assert window.scene.studies.swarm.color_by == "steps"
    assert not np.array_equal(view.images[0].image, basin_image(result.basin[0], (12, 12)))


def test_swarm_map_draws_random_starts_as_coloured_points(qtbot, window):
    from optviz.app.swarm_view import basin_image

    view = _swarm_on_himmelblau(qtbot, window)
    view.start_kind.setCurrentText("random")
    view.resolution.setValue(10)
    view.steps.setValue(200)
    with qtbot.waitSignal(view.swarm_shown, timeout=60_000) as blocker:
        view.run_button.click()
    result = blocker.args[0]
    assert result.grid_shape is None and result.starts.shape == (100, 2)
    assert window.scene.studies.swarm.starts == "random"
    for o, points in enumerate(view.points):
        x, y = points.getData()
        np.testing.assert_array_equal(np.column_stack([x, y]), result.starts)
        want = basin_image(result.basin[o], (1, 100))[0]
        got = np.array([b.color().getRgb() for b in points.data["brush"]])
        np.testing.assert_array_equal(got, want)
        assert view.images[o].image is None  # no grid image under random points


def _click_cell(qtbot, view, i, j):
    x, y = view.cell_center(i, j)
    scene_pos = view.plot.vb.mapViewToScene(QtCore.QPointF(x, y))
    pos = view.graphics.mapFromScene(scene_pos)
    qtbot.mouseClick(view.graphics.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)


def test_sweep_map_click_loads_the_cell(qtbot, window):
    scene = window.scene
    sweep_settings = replace(scene.studies.sweep, entry=2)  # the scene says: RMSProp
    window.scene = replace(scene, studies=replace(scene.studies, sweep=sweep_settings))
    view = window.races.open_sweep()
    qtbot.addWidget(view)
    view.resize(900, 600)
    assert view.entry_combo.currentText() == "RMSProp"
    window.optimizers.list.setCurrentRow(1)  # opened again: the selected optimizer
    assert window.races.open_sweep() is view
    assert view.entry_combo.currentText() == "Momentum"
    assert view.second_combo.currentText() == "momentum"
    view.lr_low.setValue(1e-5)
    view.lr_high.setValue(1e-3)
    view.n_lr.setValue(5)
    view.second_low.setValue(0.5)
    view.second_high.setValue(0.9)
    view.n_second.setValue(4)
    view.steps.setValue(200)
    with qtbot.waitSignal(view.sweep_shown, timeout=60_000) as blocker:
        view.run_button.click()
    result = blocker.args[0]
    assert result.dims == ("lr", "momentum") and result.shape == (5, 4)
    np.testing.assert_allclose(view.image.image.T, np.log10(result.final_loss.values))
    assert view.plot.getAxis("bottom").labelText.startswith("learning rate")
    assert view.plot.getAxis("left").labelText == "momentum"
    assert view.colorbar.axis.labelText.startswith("log₁₀(final loss")
    with qtbot.waitSignal(window.result_shown, timeout=30_000):
        _click_cell(qtbot, view, 3, 2)
    entry = window.scene.entries[1]
    assert entry.optimizer.lr == pytest.approx(result.coords["lr"][3])
    assert entry.optimizer.params["momentum"] == pytest.approx(result.coords["momentum"][2])
    assert entry.optimizer.label == "Momentum" and len(window.scene.entries) == 4
    view.on_click.setCurrentText("add an entry")
    with qtbot.waitSignal(window.result_shown, timeout=30_000):
        _click_cell(qtbot, view, 0, 0)
    added = window.scene.entries[-1]
    assert len(window.scene.entries) == 5 and added.optimizer.name == "momentum"
    assert added.optimizer.lr == pytest.approx(1e-5)
    view.metric_combo.setCurrentText("steps to finish")
    assert view.colorbar.axis.labelText.startswith("steps to finish")
    saved = Scene.from_json(window.scene.to_json()).studies.sweep
    assert saved.entry == 1 and saved.metric == "steps_to_finish" and saved.steps == 200
    assert saved.x == Axis("lr", 1e-5, 1e-3, 5, "log")
    assert saved.y == Axis("momentum", 0.5, 0.9, 4, "linear")


def test_sweep_settings_errors_are_messages(qtbot, window):
    view = window.races.open_sweep()
    qtbot.addWidget(view)
    view.lr_low.setValue(1.0)
    view.lr_high.setValue(0.01)
    view.run_button.click()
    assert "smaller to a larger" in view.job.state.text()
    assert not view.job.running


def test_a_newer_run_cancels_a_job(qtbot, window):
    import time

    from optviz.engine.run import Cancelled

    def slow(progress, cancel):
        for i in range(2000):
            if cancel():
                raise Cancelled
            progress(i, 2000)
            time.sleep(0.005)
        return "finished"

    c = window.controller
    with qtbot.waitSignal(c.job_progress, timeout=10_000):
        job = c.submit_job(slow)
    with qtbot.waitSignal(c.job_cancelled, timeout=10_000) as blocker:
        window.set_scene(replace(window.scene, steps=300))
    assert blocker.args == [job]


def test_screenshot_of_race_view(tmp_path):
    out = tmp_path / "race.png"
    scene = tmp_path / "scene.json"
    Scene.save(replace(default_scene(), steps=600), scene)
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--screenshot",
            str(out),
            "--scene",
            str(scene),
            "--view",
            "race",
            "--size",
            "1280x800",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    image = QtGui.QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)


def test_cancel_a_long_swarm(qtbot, window):
    view = window.races.open_swarm()
    qtbot.addWidget(view)
    view.resolution.setValue(300)
    view.steps.setValue(20_000)  # 4 x 90 000 starts x 20 000 steps: minutes if not stopped
    with qtbot.waitSignal(window.controller.job_progress, timeout=30_000):
        view.run_button.click()
    assert view.job.cancel_button.isVisible()
    with qtbot.waitSignal(view.job.job_ended, timeout=10_000) as blocker:
        view.job.cancel_button.click()
    assert blocker.args == ["cancelled"]
    assert view.result is None and not view.job.progress.isVisible()


def test_a_job_started_during_a_run_or_a_race_lets_them_finish_after_it(qtbot, window):
    mode = window.races.mode
    _race_on(qtbot, window)
    view = window.races.open_swarm()
    qtbot.addWidget(view)
    view.resolution.setValue(6)
    view.steps.setValue(20)
    # The swarm's job cancels the run of the scene just edited; that run follows the job,
    # and its race follows the run: nothing keeps showing the paths of 2000 steps.
    window.steps_spin.setValue(1500)
    assert window.run_in_flight
    with qtbot.waitSignal(mode.race_shown, timeout=60_000) as blocker:
        view.run_button.click()
    assert view.result is not None and view.job.state.text().startswith("done")
    assert window.result.steps == 1500 and blocker.args[0].steps == 1500
    assert window.state_label.text() == "done: 1500 steps"
    # A job started while the race of a result is computed: the race follows the job.
    with qtbot.waitSignal(mode.race_shown, timeout=60_000) as blocker:
        wait_result(qtbot, window, lambda: window.steps_spin.setValue(1200))
        view.run_button.click()
    assert blocker.args[0].steps == 1200 and mode.race.steps == 1200
    assert not mode.panel.state.text().startswith("racing")


def test_race_with_every_optimizer_disabled_shows_no_stale_panes(qtbot, window):
    mode = window.races.mode
    _race_on(qtbot, window, "small multiples")
    entries = window.scene.entries
    every_other = [replace(e, enabled=i % 2 == 0) for i, e in enumerate(entries)]
    with qtbot.waitSignal(mode.race_shown, timeout=60_000):
        window.set_scene(window.scene.with_entries(every_other))
    assert [p.titleLabel.text for p in mode.multiples.plots] == ["SGD", "RMSProp"]
    assert len(mode.panel.table.texts()) == 2
    none = [replace(e, enabled=False) for e in entries]
    wait_result(qtbot, window, lambda: window.set_scene(window.scene.with_entries(none)))
    assert mode.multiples.plots == [] and mode.panel.table.texts() == []
    assert mode.panel.state.text() == "no optimizer enabled"
    with qtbot.waitSignal(mode.race_shown, timeout=60_000):
        window.set_scene(window.scene.with_entries(entries))
    assert len(mode.multiples.plots) == 4 and len(mode.panel.table.texts()) == 4


def _small_momentum_sweep(qtbot, window):
    """The sweep window, opened on the second entry (Momentum) and run on a 3 x 3 grid of
    30 steps; returns the window and its result."""
    view = window.races.open_sweep()
    qtbot.addWidget(view)
    view.select_entry(1)  # Momentum
    view.n_lr.setValue(3)
    view.n_second.setValue(3)
    view.steps.setValue(30)
    with qtbot.waitSignal(view.sweep_shown, timeout=60_000) as blocker:
        view.run_button.click()
    return view, blocker.args[0]


def test_tune_and_sweep_find_their_optimizer_after_an_entry_was_removed(qtbot, window):
    tune_dialog = window.races.open_tune()
    qtbot.addWidget(tune_dialog)
    tune_dialog.n_lr.setValue(3)
    tune_dialog.steps.setValue(30)
    with qtbot.waitSignal(tune_dialog.tuned, timeout=60_000) as blocker:
        tune_dialog.run_button.click()
    tuned = dict(blocker.args[0])
    sweep_view, result = _small_momentum_sweep(qtbot, window)
    sweep_view.select_entry(2)  # RMSProp, with ranges of one's own
    sweep_view.lr_low.setValue(2e-3)
    # SGD goes: every other entry moves up a row.
    window.optimizers.list.setCurrentRow(0)
    wait_result(qtbot, window, window.optimizers.remove_selected)
    labels = ["Momentum", "RMSProp", "Adam"]
    assert [e.optimizer.label for e in window.scene.entries] == labels
    # The sweep window lists the entries as they are now and keeps what was selected.
    assert sweep_view.entry_combo.currentText() == "RMSProp"
    assert sweep_view.entry_combo.currentData() == 1 and sweep_view.lr_low.value() == 2e-3
    wait_result(qtbot, window, tune_dialog.apply_button.click)
    entries = window.scene.entries
    assert [e.optimizer.label for e in entries] == labels
    assert [e.optimizer.name for e in entries] == ["momentum", "rmsprop", "adam"]
    for row, index in enumerate((1, 2, 3)):
        assert entries[row].optimizer.lr == tuned[index].best.lr
    assert "Not applied to SGD" in tune_dialog.job.state.text()
    # A click on a cell replaces Momentum (now the first entry), twice in a row.
    for cell in ((2, 1), (0, 2)):
        wait_result(qtbot, window, lambda cell=cell: sweep_view.pick(*cell))
        entries = window.scene.entries
        assert [e.optimizer.name for e in entries] == ["momentum", "rmsprop", "adam"]
        assert entries[0].optimizer.lr == pytest.approx(result.coords["lr"][cell[0]])
    # Once Momentum is gone, a click adds it as a new entry and says so.
    window.optimizers.list.setCurrentRow(0)
    wait_result(qtbot, window, window.optimizers.remove_selected)
    wait_result(qtbot, window, lambda: sweep_view.pick(1, 1))
    assert [e.optimizer.name for e in window.scene.entries] == ["rmsprop", "adam", "momentum"]
    assert "added as a new entry" in sweep_view.hint.text()


def test_a_failed_swarm_clears_the_map_of_the_previous_surface(qtbot, window):
    from optviz.surfaces.surface import Surface

    view = _swarm_on_himmelblau(qtbot, window)
    view.resolution.setValue(6)
    view.steps.setValue(50)
    with qtbot.waitSignal(view.swarm_shown, timeout=60_000):
        view.run_button.click()
    assert len(view.plots) == 4 and view.table.rowCount() == 4 and view.legend.text()
    # A formula has no known minima: the swarm fails, and the map of Himmelblau's
    # basins (legend and table too) must not stay up as if it described the formula.
    formula = Surface.from_expression("x^2 + y^2")
    wait_result(
        qtbot,
        window,
        lambda: window.set_scene(replace(window.scene, surface=formula, starts=formula.starts)),
    )
    with qtbot.waitSignal(view.job.job_ended, timeout=60_000) as blocker:
        view.run_button.click()
    assert blocker.args[0].startswith("failed") and "no known minima" in blocker.args[0]
    assert "no known minima" in view.job.state.text()
    assert view.result is None
    assert view.plots == [] and view.graphics.ci.items == {}
    assert view.table.rowCount() == 0 and view.legend.text() == ""
    # Changing the colouring draws nothing stale either.
    view.color_by.setCurrentText("steps to converge")
    assert view.plots == [] and view.legend.text() == ""


def test_sweep_cells_added_twice_get_unique_labels(qtbot, window):
    view, _ = _small_momentum_sweep(qtbot, window)
    view.on_click.setCurrentText("add an entry")
    for cell in ((0, 0), (1, 1), (2, 2)):
        wait_result(qtbot, window, lambda cell=cell: view.pick(*cell))
    labels = [e.optimizer.label for e in window.scene.entries]
    assert labels[4:] == ["Momentum (sweep)", "Momentum (sweep) 2", "Momentum (sweep) 3"]
    assert len(set(labels)) == len(labels)
    assert "label='Momentum (sweep) 3'" in view.hint.text()
    # The panel, which names its duplicates the same way, shows the same labels.
    window.optimizers.list.setCurrentRow(4)
    wait_result(qtbot, window, window.optimizers.duplicate_selected)
    assert window.scene.entries[5].optimizer.label == "Momentum (sweep) 4"


def test_finish_threshold_shows_and_keeps_the_scenes_value(qtbot, window):
    mode = window.races.mode
    _race_on(qtbot, window)
    editor = mode.panel.finish
    default = Finish.default_for(window.scene.surface)
    assert default.kind == "distance" and editor.finish() == default  # 0.005656854…
    assert editor.threshold.text() == f"{default.threshold:.6g}"
    # Leaving the box without an edit keeps the exact value (no rounded re-read) ...
    with qtbot.assertNotEmitted(editor.finish_changed, wait=50):
        editor.threshold.interpretText()
    assert editor.finish() == default
    # ... and an edit of the kind keeps the threshold as the scene has it.
    with qtbot.waitSignal(mode.race_shown, timeout=60_000):
        editor.kind.setCurrentIndex(editor.kind.findData("loss"))
    assert window.scene.studies.race.finish == Finish("loss", default.threshold)
    # Tiny thresholds are shown and typed in scientific notation.
    with qtbot.waitSignal(mode.race_shown, timeout=60_000) as blocker:
        editor.threshold.lineEdit().setText("1e-10")
        editor.threshold.interpretText()
    assert blocker.args[0].finish == Finish("loss", 1e-10)
    assert window.scene.studies.race.finish == Finish("loss", 1e-10)
    assert editor.threshold.text() == "1e-10"
    # A scene's threshold is shown without a signal that would round what it stores.
    exact = Finish("grad_norm", 1.234567891e-11)
    with qtbot.assertNotEmitted(editor.finish_changed, wait=50):
        editor.set_finish(exact)
    assert editor.finish() == exact and editor.threshold.text() == "1.23457e-11"
    editor.threshold.interpretText()
    assert editor.finish() == exact
