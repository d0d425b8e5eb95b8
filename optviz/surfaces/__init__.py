"""Loss surfaces: preset formulas, their metadata and the ``Surface`` spec."""

from .datasets import DATASET_NAMES, DATASET_SURFACES, dataset_surface
from .presets import PRESET_NAMES, PRESETS
from .surface import Surface, as_surface

__all__ = [
    "DATASET_NAMES",
    "DATASET_SURFACES",
    "PRESETS",
    "PRESET_NAMES",
    "Surface",
    "as_surface",
    "dataset_surface",
]
