"""Optimizers: update bodies (``rules``), their registry and the ``Optimizer`` spec."""

from .registry import OPTIMIZER_NAMES, OPTIMIZERS, HyperParam, OptimizerInfo
from .spec import Optimizer

__all__ = ["OPTIMIZERS", "OPTIMIZER_NAMES", "HyperParam", "Optimizer", "OptimizerInfo"]
