"""``python -m optviz.bench sweep`` and ``... swarm``: the race/sweep/swarm workloads.

- sweep: SGD with momentum on Rosenbrock, 100 learning rates (log 1e-4..1) x 100 momenta
  (0..0.99), 1 start, 1000 steps (10^7 optimizer steps), ``record="final"``, via
  ``optviz.sweep`` (heterogeneous blocks); for comparison the same configurations laid
  out as blocks of one configuration (``layout="blocks"``).
- sweep, dataset: the same call on the notes' sparse-feature neuron (``neuron_sparse``,
  500 examples), SGD with momentum, 25 learning rates x 8 momenta x 1 start x 500 steps,
  with minibatches of 32 and with the full batch; and the blocks layout for comparison.
- swarm: 12 optimizers x 10^4 starts (a 100 x 100 grid) x 500 steps on Himmelblau
  (6x10^7 steps) via ``optviz.swarm``.

Each workload runs once to compile, then ``repeats`` times; medians are printed, both
kernel time (``elapsed``) and wall time of the whole call (building the configurations
and the labelled result included).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import optviz
from optviz.engine.mixed import MixedInputs, run_mixed_inputs
from optviz.engine.run import RunSpec, execute

#: The 12 optimizers of the swarm workloads (issue 6's swarm and the engine's 1e5-start run).
SWARM_OPTIMIZERS = (
    "sgd",
    "momentum",
    "nag",
    "adagrad",
    "rmsprop",
    "adadelta",
    "adam",
    "amsgrad",
    "adamw",
    "nadam",
    "radam",
    "yogi",
)


def _median(fn, repeats: int) -> tuple[float, float]:
    """(median kernel seconds, median wall seconds) of ``fn()``, which returns an object
    with ``elapsed``; one untimed call first."""
    fn()
    kernel, wall = [], []
    for _ in range(repeats):
        time.sleep(0.3)  # let the previous call's worker threads go idle
        began = time.perf_counter()
        r = fn()
        wall.append(time.perf_counter() - began)
        kernel.append(r.elapsed)
    return statistics.median(kernel), statistics.median(wall)


def sweep_bench(repeats: int) -> None:
    axes = {"lr": np.logspace(-4, 0, 100), "momentum": np.linspace(0, 0.99, 100)}
    start = [(-1.5, 2.0)]

    def run():
        return optviz.sweep("rosenbrock", "sgd", axes, starts=start, steps=1000)

    kernel, wall = _median(run, repeats)
    print(
        f"sweep sgd lr[100] x momentum[100] x 1 start x 1000 steps on rosenbrock (10^7 steps): "
        f"kernel {kernel:.3f} s ({1e7 / kernel / 1e6:.0f} M steps/s), whole call {wall:.3f} s "
        "(target < 0.5 s)"
    )
    optimizers = run().optimizers
    spec = RunSpec.build("rosenbrock", optimizers, start, 1000, record="final")
    kernel, wall = _median(lambda: execute(spec, layout="blocks"), repeats)
    print(f"  same runs as blocks of one configuration: kernel {kernel:.3f} s")
    sweep_data_bench(repeats)


def sweep_data_bench(repeats: int) -> None:
    """A tuning-sized sweep on a dataset surface: every step costs one gradient per
    example of its batch, so the rate is also given in example-gradients per second.
    The sweep's default finish there (gradient norm; no minimum is known) evaluates the
    full-batch gradient after every step, which the two comparisons leave out."""
    from optviz.surfaces import dataset_surface

    surface = dataset_surface("neuron_sparse")
    n = surface.data_x.shape[0]
    axes = {"lr": np.logspace(-2, 1, 25), "momentum": np.linspace(0, 0.9, 8)}
    steps = 500
    run_steps = 25 * 8 * steps
    for noise, per_step, label in (
        (optviz.Noise(batch_size=32, seed=0), 32, "minibatch 32"),
        (None, n, f"full batch {n}"),
    ):

        def run(noise=noise):
            return optviz.sweep(surface, "sgd", axes, steps=steps, noise=noise)

        kernel, wall = _median(run, repeats)
        print(
            f"sweep sgd lr[25] x momentum[8] x 1 start x {steps} steps on neuron_sparse, "
            f"{label}: kernel {kernel:.3f} s ({run_steps / kernel / 1e6:.2f} M steps/s, "
            f"{run_steps * per_step / kernel / 1e6:.0f} M example-gradients/s), "
            f"whole call {wall:.3f} s"
        )
        spec = RunSpec.build(
            surface, run().optimizers, [surface.starts[0]], steps, noise, record="final"
        )

        def unfinished(spec=spec):
            inputs, starts = MixedInputs.from_spec(spec), np.array(spec.starts)
            return run_mixed_inputs(surface, inputs, starts, steps, spec.noise, finish=None)

        kernel, _ = _median(unfinished, repeats)
        print(f"  without the finish check (a full-batch gradient per step): kernel {kernel:.3f} s")
        kernel, _ = _median(lambda spec=spec: execute(spec, layout="blocks"), repeats)
        print(f"  as blocks of one configuration (no finish check): kernel {kernel:.3f} s")


def swarm_bench(repeats: int) -> None:
    optimizers = [optviz.Optimizer(n) for n in SWARM_OPTIMIZERS]

    def run():
        return optviz.swarm("himmelblau", optimizers, starts="grid", n=10_000, steps=500)

    kernel, wall = _median(run, repeats)
    steps = 12 * 10_000 * 500
    print(
        f"swarm 12 optimizers x 10^4 starts x 500 steps on himmelblau (6x10^7 steps): kernel "
        f"{kernel:.3f} s ({steps / kernel / 1e6:.0f} M steps/s), whole call {wall:.3f} s "
        "(target < 1 s)"
    )


def main(suite: str, repeats: int) -> int:
    from numba import get_num_threads

    optviz.warmup()
    print(f"optviz {suite} benchmark, {get_num_threads()} threads, median of {repeats} runs")
    (sweep_bench if suite == "sweep" else swarm_bench)(repeats)
    return 0
