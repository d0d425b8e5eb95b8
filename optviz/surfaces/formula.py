"""Typed formula surfaces: parse, differentiate symbolically, compile native functions.

The formula is parsed safely (``expression.py``), differentiated with sympy, and printed
as three Python functions f, df/dx, df/dy (common subexpressions shared) in a module
named by the hash of the formula's canonical form, in the user's cache folder. numba
compiles them as cfuncs (a fraction of a second) with its disk cache on, so a formula
typed before loads instantly. The engine's loops are not recompiled per formula:
``optviz.engine._kernels_external`` calls the three functions through pointers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType

import sympy
from sympy.printing.pycode import pycode

from .. import _numba_env
from ..engine.codegen import generate_formula
from .expression import X, Y, canonical_form, parse_expression

#: Bump when the generated module's shape changes, so old cached modules are not reused.
FORMAT = "2"
_FOLDER = Path(_numba_env.CACHE_DIR).parent / "formulas"
_modules: dict[str, ModuleType] = {}
_lock = threading.Lock()


def _python(expr: sympy.Expr) -> str:
    return pycode(expr, fully_qualified_modules=True)


def _body(expr: sympy.Expr) -> list[str]:
    shared, (value,) = sympy.cse([expr], symbols=sympy.numbered_symbols("_c"))
    return [f"{symbol} = {_python(v)}" for symbol, v in shared] + [
        f"return float({_python(value)})"
    ]


def _derivative_body(expr: sympy.Expr, symbol: sympy.Symbol) -> list[str]:
    """df/d(symbol), or NaN where f itself is undefined: d/dx log(x) = 1/x is finite at
    x < 0, but a run that reaches log of a negative must be marked diverged."""
    shared, (value, derivative) = sympy.cse(
        [expr, sympy.diff(expr, symbol)], symbols=sympy.numbered_symbols("_c")
    )
    return [f"{s} = {_python(v)}" for s, v in shared] + [
        f"if not math.isfinite({_python(value)}):",
        "    return math.nan",
        f"return float({_python(derivative)})",
    ]


def formula_source(text: str, expr: sympy.Expr) -> str:
    """The source of the module of f, df/dx, df/dy for ``expr`` (the parse of ``text``)."""
    return generate_formula(text, _body(expr), _derivative_body(expr, X), _derivative_body(expr, Y))


def functions_for(text: str) -> ModuleType:
    """The module of formula ``text``'s compiled functions ``f``, ``gx``, ``gy``
    (``ExpressionError`` if it does not parse); shared by surfaces of the same formula."""
    expr = parse_expression(text)
    key = hashlib.sha256(f"{FORMAT}\n{canonical_form(expr)}".encode()).hexdigest()[:20]
    with _lock:
        if key not in _modules:
            _modules[key] = _load(key, text, expr)
        return _modules[key]


def _load(key: str, text: str, expr: sympy.Expr) -> ModuleType:
    name = f"optviz_formula_{key}"
    path = _FOLDER / f"{name}.py"
    if not path.exists():
        _FOLDER.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".py", dir=_FOLDER)
        with os.fdopen(fd, "w") as f:
            f.write(formula_source(text, expr))
        os.replace(tmp, path)  # atomic: a concurrent reader sees a whole file or none
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's cache and pickling look modules up by name
    spec.loader.exec_module(module)
    return module
