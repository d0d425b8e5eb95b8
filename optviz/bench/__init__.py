"""Benchmarks: ``python -m optviz.bench`` (see ``__main__``)."""

import os

# torch's OpenMP pool and XLA's threads spin-wait after each call by default, stealing the
# cores from whichever contender runs next; passive waiting keeps the rounds fair. Set
# here because the package is imported before ``__main__`` and before torch or jax.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
