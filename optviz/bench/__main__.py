"""``python -m optviz.bench``: engine throughput against its peers, in one run.

Workload of the engine issue: Adam on Rosenbrock, 4096 starts x 2000 steps, float64,
every position recorded. Each contender runs once to compile or warm up, then
``--repeats`` times; the table shows medians. Peers that are not installed are
skipped (``pip install -e ".[bench]"`` adds torch, jax and optax).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc

import numpy as np

import optviz

from . import peers

N_STARTS, STEPS, LR = 4096, 2000, 0.01


def _median_seconds(contenders: dict, repeats: int) -> dict[str, float]:
    """Median wall time of each callable. Rounds are interleaved (every contender once per
    round) so that all of them see the same machine state; a first call warms up."""
    for fn in contenders.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            time.sleep(0.3)  # let the previous contender's worker threads go idle
            began = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - began)
    return {name: statistics.median(ts) for name, ts in times.items()}


def _starts(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform((-2.0, -1.0), (2.0, 3.0), (n, 2))


def engine_table(repeats: int) -> dict[str, float]:
    """Steps per second of the engine and each available peer on the Adam workload."""
    starts = _starts(N_STARTS)
    work = N_STARTS * STEPS
    adam = [optviz.Optimizer("adam", lr=LR)]
    contenders = {
        "optviz engine": lambda: optviz.simulate("rosenbrock", adam, starts, steps=STEPS),
        "numba specialised kernel (block)": lambda: peers.numba_specialised(starts, STEPS, LR),
        "numba naive kernel (prange/run)": lambda: peers.numba_naive(starts, STEPS, LR),
    }
    have = peers.available()
    if "torch" in have:
        contenders["torch.optim.Adam (closed-form grad)"] = lambda: peers.torch_optim(
            starts, STEPS, LR
        )
        contenders["torch.optim.Adam (autograd)"] = lambda: peers.torch_optim_autograd(
            starts, STEPS, LR
        )
    if "jax" in have and "optax" in have:
        contenders["optax.adam (jit + lax.scan)"] = peers.optax_jit(starts, STEPS, LR)
    return {name: work / sec for name, sec in _median_seconds(contenders, repeats).items()}


def mixed_ratio(repeats: int) -> tuple[float, float]:
    """(mixed steps/s, its ratio to Adam alone) for all optimizers x 256 starts vs Adam x
    the same number of runs, both with every position recorded."""
    opts = [optviz.Optimizer(name) for name in optviz.OPTIMIZER_NAMES]
    starts = _starts(256)
    single = [optviz.Optimizer("adam", lr=LR)]
    many = _starts(256 * len(opts))
    seconds = _median_seconds(
        {
            "mixed": lambda: optviz.simulate("rosenbrock", opts, starts, steps=STEPS),
            "single": lambda: optviz.simulate("rosenbrock", single, many, steps=STEPS),
        },
        repeats,
    )
    work = len(opts) * 256 * STEPS
    return work / seconds["mixed"], seconds["single"] / seconds["mixed"]


def formula_ratio(repeats: int) -> tuple[float, float]:
    """(formula steps/s, ratio to the preset) for Rosenbrock typed as a formula vs the
    preset: Adam, 4096 starts x 2000 steps, record='final' (compute, not memory)."""
    formula = optviz.Surface.from_expression("(1-x)^2 + 100*(y-x^2)^2", domain=((-2, 2), (-1, 3)))
    starts = _starts(N_STARTS)
    adam = [optviz.Optimizer("adam", lr=LR)]
    specs = {
        name: optviz.RunSpec.build(s, adam, starts, steps=STEPS, record="final")
        for name, s in (("preset", "rosenbrock"), ("formula", formula))
    }
    seconds = _median_seconds(
        {k: (lambda s=s: optviz.execute(s)) for k, s in specs.items()}, repeats
    )
    work = N_STARTS * STEPS
    return work / seconds["formula"], seconds["preset"] / seconds["formula"]


def swarm_memory() -> tuple[float, float, int]:
    """(seconds, peak MiB of array allocations, steps) of 1e5 starts x 12 optimizers x 1000."""
    from .races import SWARM_OPTIMIZERS

    opts = [optviz.Optimizer(n) for n in SWARM_OPTIMIZERS]
    starts = np.random.default_rng(1).uniform(-2, 2, (100_000, 2))
    optviz.simulate("rosenbrock", opts, starts[:10], steps=2, record="final")
    tracemalloc.start()
    began = time.perf_counter()
    optviz.simulate("rosenbrock", opts, starts, steps=1000, record="final")
    seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, 12 * 100_000 * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m optviz.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per contender")
    parser.add_argument(
        "--skip-swarm", action="store_true", help="skip the 1.2e9-step record='final' memory run"
    )
    parser.add_argument(
        "suite",
        nargs="?",
        default="engine",
        choices=("engine", "app", "export", "sweep", "swarm", "surfaces"),
        help="engine (default), app (start-up, drag, playback, cancel), export (300-frame "
        "MP4s), sweep (100 x 100 sgd sweep, and one on a dataset surface), swarm (12 "
        "optimizers x 10^4 starts) or "
        "surfaces (sculpted, height-map and dataset surfaces vs a preset)",
    )
    args = parser.parse_args(argv)
    if args.suite in ("sweep", "swarm"):
        if args.repeats < 1:
            parser.error("--repeats must be >= 1")
        from .races import main as races_main

        return races_main(args.suite, args.repeats)
    if args.suite == "surfaces":
        if args.repeats < 1:
            parser.error("--repeats must be >= 1")
        from .surfaces import main as surfaces_main

        return surfaces_main(args.repeats)
    if args.suite == "app":
        from optviz.app.bench import main as app_main

        return app_main()
    if args.suite == "export":
        from optviz.app.bench import main_export

        return main_export()
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")

    from numba import __version__ as numba_version
    from numba import get_num_threads

    optviz.warmup()
    versions = ", ".join(f"{k} {v}" for k, v in peers.available().items()) or "no peers"
    print("optviz engine benchmark")
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}, numba {numba_version} "
        f"({get_num_threads()} threads), {versions}"
    )
    print(
        f"workload: Adam on Rosenbrock, {N_STARTS} starts x {STEPS} steps, float64, "
        f"every position recorded; median of {args.repeats} runs\n"
    )

    rates = engine_table(args.repeats)
    engine = rates["optviz engine"]
    print(f"{'contender':38s} {'M steps/s':>10s} {'engine speed-up':>16s}")
    for name, rate in rates.items():
        print(f"{name:38s} {rate / 1e6:10.1f} {engine / rate:15.2f}x")

    mixed, ratio = mixed_ratio(args.repeats)
    print(
        f"\nall {len(optviz.OPTIMIZER_NAMES)} optimizers x 256 starts x {STEPS} steps in one "
        f"call: {mixed / 1e6:.1f} M steps/s = {ratio:.2f}x the rate of Adam alone on as many "
        "runs (target >= 0.5)"
    )
    rate, ratio = formula_ratio(args.repeats)
    print(
        f"Rosenbrock typed as a formula: {rate / 1e6:.1f} M steps/s = {ratio:.2f}x the preset "
        "(record='final'; target >= 0.5)"
    )
    if not args.skip_swarm:
        seconds, peak_mib, steps = swarm_memory()
        print(
            f"swarm 1e5 starts x 12 optimizers x 1000 steps, record='final': {seconds:.1f} s "
            f"({steps / seconds / 1e6:.0f} M steps/s), peak array memory {peak_mib:.0f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
