"""Benchmarks: ``python -m optviz.bench`` (see ``__main__``)."""
