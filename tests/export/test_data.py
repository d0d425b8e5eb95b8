"""Run data export: the CSV and NPZ read back to the run's arrays, bit for bit."""

import csv
import json

import numpy as np
import pytest

import optviz
from optviz.export import ExportError, read_run_npz, write_run_csv, write_run_npz
from optviz.export.data import CSV_COLUMNS, NPZ_ARRAYS
from optviz.scene import default_scene

OPTIMIZERS = [optviz.Optimizer("adam", lr=0.1), optviz.Optimizer("sgd", lr=0.01, label="a, b")]
STARTS = [(-8, -6), (5, 5)]


@pytest.fixture(scope="module")
def result():
    return optviz.simulate("booth", OPTIMIZERS, starts=STARTS, steps=50, record_grads=True)


@pytest.fixture(scope="module")
def scene_json():
    return default_scene().to_json()


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    return header, rows


def column(rows, header, name, parse=float):
    i = header.index(name)
    return [parse(r[i]) if r[i] != "" else np.nan for r in rows]


def test_csv_round_trips_to_the_run_arrays(tmp_path, result, scene_json):
    path = tmp_path / "run.csv"
    write_run_csv(path, result, scene_json)
    header, rows = read_csv(path)
    assert tuple(header) == CSV_COLUMNS
    n_opt, n_start, n_rec = 2, 2, 51
    assert len(rows) == n_opt * n_start * n_rec
    shape = (n_opt, n_start, n_rec)
    # Rows go optimizer by optimizer, start by start, step by step.
    np.testing.assert_array_equal(
        np.reshape(column(rows, header, "optimizer", int), shape),
        np.broadcast_to(np.arange(2)[:, None, None], shape),
    )
    np.testing.assert_array_equal(
        np.reshape(column(rows, header, "start", int), shape),
        np.broadcast_to(np.arange(2)[None, :, None], shape),
    )
    np.testing.assert_array_equal(
        np.reshape(column(rows, header, "step", int), shape), np.broadcast_to(np.arange(51), shape)
    )
    labels = np.reshape(column(rows, header, "label", str), shape)
    assert set(labels[0].ravel()) == {"adam"} and set(labels[1].ravel()) == {"a, b"}

    def get(name):
        return np.reshape(column(rows, header, name), shape)

    # Exact equality: repr-formatted floats read back as the same float64.
    np.testing.assert_array_equal(np.stack([get("x"), get("y")], -1), result.xy)
    np.testing.assert_array_equal(get("loss"), result.loss)
    for name, array in (("grad", result.grad), ("effective_lr", result.effective_lr)):
        both = np.stack([get(f"{name}_x"), get(f"{name}_y")], -1)
        assert np.isnan(both[:, :, 0]).all()  # nothing arrived at step 0
        np.testing.assert_array_equal(both[:, :, 1:], array)
    lr = get("lr")
    assert np.isnan(lr[:, :, 0]).all()
    np.testing.assert_array_equal(lr[:, :, 1:], np.broadcast_to(result.lr[:, None, :], (2, 2, 50)))

    sidecar = tmp_path / "run.scene.json"
    assert json.loads(sidecar.read_text())["format"] == "optviz-scene"
    assert sidecar.read_text() == scene_json
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.csv", "run.scene.json"]


def test_csv_with_record_every_has_the_recorded_steps(tmp_path):
    res = optviz.simulate("booth", OPTIMIZERS, starts=STARTS, steps=50, record_every=10)
    path = tmp_path / "every.csv"
    write_run_csv(path, res, None)
    header, rows = read_csv(path)
    assert column(rows, header, "step", int)[:6] == [0, 10, 20, 30, 40, 50]
    assert len(rows) == 2 * 2 * 6
    # Row for step 20 of optimizer 1, start 0: the gradient of step 20, lr of step 20.
    row = rows[6 * 2 + 2]
    assert int(row[header.index("step")]) == 20
    assert float(row[header.index("grad_x")]) == res.grad[1, 0, 1, 0]
    assert float(row[header.index("lr")]) == res.lr[1, 19]
    assert float(row[header.index("effective_lr_y")]) == res.effective_lr[1, 0, 1, 1]
    assert [p.name for p in tmp_path.iterdir()] == ["every.csv"]  # no scene, no sidecar


def test_csv_keeps_nan_after_divergence(tmp_path):
    res = optviz.simulate("booth", optviz.Optimizer("sgd", lr=10.0), starts=[(5, 5)], steps=300)
    assert res.diverged[0, 0] > 0
    write_run_csv(tmp_path / "d.csv", res)
    header, rows = read_csv(tmp_path / "d.csv")
    assert np.isnan(column(rows, header, "x")[-1])


def test_npz_round_trips_exactly(tmp_path, result, scene_json):
    path = tmp_path / "run.npz"
    write_run_npz(path, result, scene_json)
    data = read_run_npz(path)
    assert set(data) == set(NPZ_ARRAYS)
    for name in ("xy", "loss", "grad", "lr", "effective_lr", "diverged", "hit_step"):
        np.testing.assert_array_equal(data[name], getattr(result, name))
        assert data[name].dtype == getattr(result, name).dtype
    np.testing.assert_array_equal(data["recorded_steps"], np.arange(51))
    assert data["labels"] == ["adam", "a, b"]
    assert data["scene_json"] == scene_json
    with np.load(path, allow_pickle=False) as z:  # plain numpy reads it too
        assert z["scene_json"].shape == () and z["labels"].dtype.kind == "U"
    write_run_npz(tmp_path / "bare.npz", result, None)
    assert read_run_npz(tmp_path / "bare.npz")["scene_json"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.npz", "run.npz"]


def test_a_run_without_history_or_an_unwritable_path_is_an_export_error(tmp_path, result):
    final = optviz.simulate("booth", OPTIMIZERS, starts=STARTS, steps=5, record="final")
    with pytest.raises(ExportError, match="record='full'"):
        write_run_csv(tmp_path / "f.csv", final, None)
    with pytest.raises(ExportError, match="record='full'"):
        write_run_npz(tmp_path / "f.npz", final, None)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ExportError, match="is not a folder"):
        write_run_csv(blocker / "r.csv", result, "{}")
    with pytest.raises(ExportError, match="is not a folder"):
        write_run_npz(blocker / "r.npz", result, "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
