"""optviz: watch gradient-based optimizers move on 2-D loss surfaces.

The scripting API::

    import optviz
    res = optviz.simulate("rosenbrock", [optviz.Optimizer("adam", lr=0.01)],
                          starts=[(-1.5, 2.0)], steps=500)
    res.xy  # float64[O, S, steps+1, 2]

Everything under ``optviz`` except ``optviz.app`` is free of Qt.
"""

from . import _numba_env  # noqa: F401  (must run before anything imports numba)
from .engine import Cancelled, Noise, Result, RunSpec, execute, simulate, warmup
from .optimizers import OPTIMIZER_NAMES, OPTIMIZERS, Optimizer
from .race import FINISH_KINDS, Finish, RaceResult, race
from .schedules import SCHEDULES, Schedule
from .surfaces import PRESET_NAMES, PRESETS, Surface
from .surfaces.errors import ExpressionError
from .swarm import SwarmResult, swarm
from .sweep import LabeledArray, SweepResult, TuneResult, sweep, tune

__version__ = "0.1.0"

__all__ = [
    "FINISH_KINDS",
    "Finish",
    "LabeledArray",
    "RaceResult",
    "SwarmResult",
    "SweepResult",
    "TuneResult",
    "race",
    "swarm",
    "sweep",
    "tune",
    "OPTIMIZERS",
    "OPTIMIZER_NAMES",
    "PRESETS",
    "PRESET_NAMES",
    "SCHEDULES",
    "Cancelled",
    "ExpressionError",
    "Noise",
    "Optimizer",
    "Result",
    "RunSpec",
    "Schedule",
    "Surface",
    "execute",
    "simulate",
    "warmup",
    "__version__",
]
