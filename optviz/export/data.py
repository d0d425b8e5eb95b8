"""The run's numbers as files: CSV (long format) and NPZ, plus the scene as JSON.

CSV, one row per (optimizer, start, recorded step), columns::

    optimizer,label,start,step,x,y,loss,grad_x,grad_y,lr,effective_lr_x,effective_lr_y

``optimizer`` and ``start`` are 0-based indices into the scene's optimizers and starts,
``label`` the optimizer's name, ``step`` the step number (0 = the start; with
``record_every = k`` only steps 0, k, 2k, ... are recorded). ``x, y, loss`` are the
position after ``step`` steps and the loss there. The other columns describe the step
that *arrived* at that row: the row for step t >= 1 holds the gradient the optimizer
used to go from t-1 to t (``Result.grad``, noise included), the scheduled learning rate
of step t (``Result.lr[o, t-1]``) and the per-coordinate effective learning rate of
that step (``Result.effective_lr``); at step 0 they are empty. Floats are written with
``repr``, the shortest text that reads back as the identical float64 (``nan`` after a
run diverged).

NPZ (``numpy.load``): ``xy`` float64[O, S, T'+1, 2], ``loss`` float64[O, S, T'+1],
``grad`` and ``effective_lr`` float64[O, S, T', 2], ``lr`` float64[O, steps] (every step,
not only recorded ones), ``diverged`` and ``hit_step`` int64[O, S],
``recorded_steps`` int64[T'+1], ``labels`` str[O] and ``scene_json``, a 0-d str array
("" when no scene was given); see ``optviz.Result`` for the meaning of each.

Both files are written to a temporary name and renamed into place.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import ExportError, atomic_file, check_destination

CSV_COLUMNS = (
    "optimizer",
    "label",
    "start",
    "step",
    "x",
    "y",
    "loss",
    "grad_x",
    "grad_y",
    "lr",
    "effective_lr_x",
    "effective_lr_y",
)
if TYPE_CHECKING:
    from ..engine.run import Result

NPZ_ARRAYS = (
    "xy",
    "loss",
    "grad",
    "lr",
    "effective_lr",
    "diverged",
    "hit_step",
    "recorded_steps",
    "labels",
    "scene_json",
)


def scene_sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Where ``write_run_csv`` puts the scene: ``run.csv`` -> ``run.scene.json``."""
    p = Path(os.fspath(path))
    return p.with_name(f"{p.stem}.scene.json")


def write_run_csv(
    path: str | os.PathLike[str], result: Result, scene_json: str | None = None
) -> None:
    """Write ``result`` as a long-format CSV at ``path`` (see the module docstring).

    With ``scene_json``, the scene also goes next to it as ``<stem>.scene.json``.
    Raises ``ExportError`` for a run without history or an unwritable path.
    """
    _check_history(result)
    _check_scene(scene_json)
    check_destination(path)
    xy, loss, grad, elr, lr = result.xy, result.loss, result.grad, result.effective_lr, result.lr
    steps = result.recorded_steps.tolist()
    labels = result.labels
    n_opt, n_start = xy.shape[:2]
    with atomic_file(path, ".csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(CSV_COLUMNS)
        for o in range(n_opt):
            lr_o = lr[o].tolist()
            for s in range(n_start):
                xs, ys = xy[o, s, :, 0].tolist(), xy[o, s, :, 1].tolist()
                ls = loss[o, s].tolist()
                gx, gy = grad[o, s, :, 0].tolist(), grad[o, s, :, 1].tolist()
                ex, ey = elr[o, s, :, 0].tolist(), elr[o, s, :, 1].tolist()
                head = (o, labels[o], s)
                out.writerow((*head, 0, repr(xs[0]), repr(ys[0]), repr(ls[0]), *[""] * 5))
                out.writerows(
                    (
                        *head,
                        t,
                        repr(xs[j]),
                        repr(ys[j]),
                        repr(ls[j]),
                        repr(gx[j - 1]),
                        repr(gy[j - 1]),
                        repr(lr_o[t - 1]),
                        repr(ex[j - 1]),
                        repr(ey[j - 1]),
                    )
                    for j, t in enumerate(steps[1:], start=1)
                )
    if scene_json is not None:
        _write_text(scene_sidecar_path(path), scene_json)


def write_run_npz(
    path: str | os.PathLike[str], result: Result, scene_json: str | None = None
) -> None:
    """Write ``result``'s arrays and ``scene_json`` as a compressed NPZ at ``path``."""
    _check_history(result)
    _check_scene(scene_json)
    arrays = {
        "xy": result.xy,
        "loss": result.loss,
        "grad": result.grad,
        "lr": result.lr,
        "effective_lr": result.effective_lr,
        "diverged": result.diverged,
        "hit_step": result.hit_step,
        "recorded_steps": result.recorded_steps,
        "labels": np.array(result.labels, dtype=np.str_),
        "scene_json": np.array(scene_json or "", dtype=np.str_),
    }
    # A file object, not a name: numpy would append ".npz" to the temporary's name.
    with atomic_file(path, ".npz") as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def read_run_npz(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a ``write_run_npz`` file: the arrays by name (``NPZ_ARRAYS``), except
    ``labels`` as a list of str and ``scene_json`` as a str, or None if none was saved."""
    with np.load(os.fspath(path), allow_pickle=False) as z:
        data: dict[str, Any] = {name: z[name] for name in z.files}
    data["labels"] = [str(s) for s in data["labels"]]
    data["scene_json"] = str(data["scene_json"]) or None
    return data


def _check_history(result: Result) -> None:
    if result.xy is None:
        raise ExportError(
            "this run kept no per-step history (record='final'); run it with record='full'"
        )


def _check_scene(scene_json: str | None) -> None:
    if scene_json is not None and not isinstance(scene_json, str):
        raise ExportError(f"scene_json must be a str or None, not {type(scene_json).__name__}")


def _write_text(path: Path, text: str) -> None:
    with atomic_file(path, path.suffix) as tmp:
        tmp.write_text(text, encoding="utf-8")
