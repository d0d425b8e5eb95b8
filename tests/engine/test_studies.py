"""Study settings in scene files: round trip, version 1 files, validation."""

import json

import numpy as np
import pytest

from optviz import Finish
from optviz.scene import SCENE_VERSION, Scene, SceneError, default_scene
from optviz.studies import (
    Axis,
    RaceSettings,
    Studies,
    SwarmSettings,
    SweepSettings,
    TuneSettings,
)


def _custom() -> Studies:
    return Studies(
        race=RaceSettings(Finish("grad_norm", 1e-3), "multiples"),
        tune=TuneSettings(Axis("lr", 1e-3, 0.1, 9), Axis("beta1", 0.5, 0.95, 4, "linear"), "loss"),
        swarm=SwarmSettings("random", 2500, 300, 7, 0.05, "steps"),
        sweep=SweepSettings(2, Axis("lr", 1e-4, 1.0, 50), None, 800, "steps_to_finish"),
    )


def test_studies_round_trip_through_a_scene_file(tmp_path):
    scene = default_scene()
    scene = Scene(scene.surface, scene.entries, scene.starts, studies=_custom())
    path = tmp_path / "s.json"
    scene.save(path)
    data = json.loads(path.read_text())
    assert data["version"] == SCENE_VERSION == 2
    assert data["studies"]["race"] == {
        "finish": {"kind": "grad_norm", "threshold": 1e-3},
        "layout": "multiples",
    }
    back = Scene.load(path)
    assert back.studies == scene.studies
    np.testing.assert_allclose(back.studies.tune.lr.values(), np.logspace(-3, -1, 9))
    key, values = back.studies.tune.second_values()
    assert key == "beta1" and values[-1] == 0.95
    assert list(back.studies.sweep.axes()) == ["lr"]


def test_version_1_scenes_load_with_default_studies():
    data = default_scene().to_dict()
    data["version"] = 1
    del data["studies"]
    scene = Scene.from_dict(data)
    assert scene.studies == Studies()
    assert scene.studies.race.finish is None and scene.studies.tune.lr.n == 25
    assert list(scene.studies.sweep.axes()) == ["lr", "momentum"]


@pytest.mark.parametrize(
    "studies, match",
    [
        ({"race": {"layout": "grid"}}, "race layout"),
        ({"race": {"finish": {"kind": "loss", "threshold": -1}}}, "threshold"),
        ({"tune": {"lr": {"key": "lr", "low": 0, "high": 1, "n": 5}}}, "log axis needs low > 0"),
        ({"tune": {"criterion": "vibes"}}, "tune criterion"),
        ({"swarm": {"n": 0}}, "swarm n"),
        ({"swarm": {"starts": "spiral"}}, "swarm starts"),
        ({"swarm": {"colour": "basin"}}, "unknown keys: colour"),
        ({"sweep": {"x": {"key": "lr", "low": 1, "high": 0.1, "n": 5}}}, "below high"),
        ({"sweep": {"x": {"key": "lr", "low": 1e-3, "high": 1, "n": 5000}}}, "points"),
        ({"sweep": {"metric": "fun"}}, "sweep metric"),
        ({"sweep": {"y": {"key": "lr", "low": 1e-3, "high": 1, "n": 5}}}, "both vary"),
        ({"unknown": {}}, "unknown keys"),
        ([1, 2], "must be an object"),
    ],
)
def test_bad_study_settings_are_scene_errors(studies, match):
    data = default_scene().to_dict()
    data["studies"] = studies
    with pytest.raises(SceneError, match=match):
        Scene.from_dict(data)


def test_settings_feed_the_api():
    import optviz

    s = _custom()
    res = optviz.sweep("himmelblau", "sgd", {"lr": s.sweep.x.values()[:5]}, steps=20)
    assert res.dims == ("lr",)
    sw = optviz.swarm(
        "himmelblau",
        [optviz.Optimizer("gd")],
        starts=s.swarm.starts,
        n=100,
        steps=10,
        seed=s.swarm.seed,
        tol=s.swarm.tol,
    )
    assert sw.grid_shape is None and sw.starts.shape == (100, 2)
