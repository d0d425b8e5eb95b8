"""The simulation engine: generated numba kernels and the ``simulate`` entry point."""

from .noise import Noise
from .run import Cancelled, Result, RunSpec, execute, simulate
from .warmup import warmup

__all__ = ["Cancelled", "Noise", "Result", "RunSpec", "execute", "simulate", "warmup"]
