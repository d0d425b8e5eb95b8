"""Point numba's on-disk kernel cache at the user's cache folder before numba loads.

Every module that imports numba imports this one first. numba reads
``NUMBA_CACHE_DIR`` once, when it is imported, so the variable must be set before
that; a value the user set already wins.
"""

from __future__ import annotations

import os
import sys


def _default_cache_dir() -> str:
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # platformdirs is a dependency; this only guards odd installs
        return os.path.join(os.path.expanduser("~"), ".cache", "optviz", "numba")
    return os.path.join(user_cache_dir("optviz", appauthor=False), "numba")


if "numba" not in sys.modules:
    os.environ.setdefault("NUMBA_CACHE_DIR", _default_cache_dir())

CACHE_DIR = os.environ.get("NUMBA_CACHE_DIR", _default_cache_dir())
