"""Loss surfaces: preset formulas, their metadata and the ``Surface`` spec."""

from .presets import PRESET_NAMES, PRESETS
from .surface import Surface, as_surface

__all__ = ["PRESETS", "PRESET_NAMES", "Surface", "as_surface"]
