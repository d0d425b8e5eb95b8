"""``python -m optviz.bench surfaces``: steps/s of sculpted, height-map and dataset
surfaces next to a preset.

Adam, 256 starts x 2000 steps, record='final' (compute, not memory); each surface runs
once to warm up, then ``repeats`` times, interleaved; the table shows medians.
"""

from __future__ import annotations

import numpy as np

import optviz
from optviz.surfaces import dataset_surface

from .__main__ import _median_seconds

N_STARTS, STEPS = 256, 2000


def _cases() -> dict[str, tuple[optviz.Surface, optviz.Noise | None]]:
    rng = np.random.default_rng(0)
    bumps = np.column_stack(
        [rng.uniform(-3, 3, (200, 2)), rng.normal(0, 0.3, 200), rng.uniform(0.2, 0.8, 200)]
    )
    grid = rng.random((256, 256))
    sparse = dataset_surface("neuron_sparse")  # N = 500
    return {
        "preset rosenbrock": (optviz.Surface.preset("rosenbrock"), None),
        "sculpted bowl, 200 bumps": (optviz.Surface.sculpted("bowl", bumps), None),
        "height map 256x256": (
            optviz.Surface.from_heightmap(grid, ((-3, 3), (-3, 3)), (0.0, 2.0)),
            None,
        ),
        "dataset N=500, minibatch B=32": (sparse, optviz.Noise(batch_size=32, seed=0)),
        "dataset N=500, full batch": (sparse, None),
    }


def main(repeats: int) -> int:
    optviz.warmup()
    adam = [optviz.Optimizer("adam", lr=0.01)]
    specs = {}
    for name, (surface, noise) in _cases().items():
        (x0, x1), (y0, y1) = surface.view
        starts = np.random.default_rng(1).uniform((x0, y0), (x1, y1), (N_STARTS, 2))
        specs[name] = optviz.RunSpec.build(
            surface, adam, starts, steps=STEPS, noise=noise, record="final"
        )
    seconds = _median_seconds(
        {name: (lambda s=s: optviz.execute(s)) for name, s in specs.items()}, repeats
    )
    work = N_STARTS * STEPS
    preset = work / seconds["preset rosenbrock"]
    print(
        f"surfaces: Adam, {N_STARTS} starts x {STEPS} steps, record='final'; "
        f"median of {repeats} runs\n"
    )
    print(f"{'surface':34s} {'M steps/s':>10s} {'vs preset':>10s}")
    for name, sec in seconds.items():
        rate = work / sec
        print(f"{name:34s} {rate / 1e6:10.2f} {rate / preset:9.3f}x")
    return 0
