"""Metric panes: moving the playback cursor must not re-run the plots' auto-range."""


def test_cursor_moves_leave_the_auto_range_alone(window, qtbot):
    pane = window.metrics_pane
    qtbot.wait(50)  # the first result's auto-range settles in the next paint
    views = [plot.getViewBox() for plot in (pane.loss_plot, pane.grad_plot, pane.lr_plot)]
    for view in views:
        view.updateAutoRange()
    y_ranges = [view.viewRange()[1] for view in views]
    pane.set_frame(window.scene.steps // 2)
    assert not any(view._autoRangeNeedsUpdate for view in views)
    assert [view.viewRange()[1] for view in views] == y_ranges
    assert all(c.value() == window.scene.steps // 2 for c in pane.cursors)
