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
import sys
import threading
from pathlib import Path
from types import ModuleType

import sympy
from sympy.printing.pycode import PythonCodePrinter

from .. import _numba_env
from ..atomic_files import write_atomic
from ..engine.codegen import generate_formula
from .expression import X, Y, bounded_effort, canonical_form, parse_expression

#: Bump when the generated module's shape changes, so old cached modules are not reused.
FORMAT = "3"
_FOLDER = Path(_numba_env.CACHE_DIR).parent / "formulas"
_modules: dict[str, ModuleType] = {}
_lock = threading.Lock()


class Sigmoid(sympy.Function):
    """sigmoid(z) = 1/(1 + exp(-z)), kept whole so it prints in a form exact for any z:
    the textbook form gives NaN in its derivative (inf/inf) once exp(-z) overflows."""

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return self * (1 - self)


class Softplus(sympy.Function):
    """softplus(z) = log(1 + exp(z)), kept whole so that softplus(1000) prints as 1000,
    not log(inf)."""

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Sigmoid(self.args[0])


class _Printer(PythonCodePrinter):
    """Python for numba, with the overflow-free forms of sigmoid and softplus."""

    def _print_Sigmoid(self, expr: Sigmoid) -> str:  # noqa: N802 (sympy's naming)
        z = self._print(expr.args[0])
        # exp(min(z, 0)) / (1 + exp(-|z|)): equal to 1/(1+exp(-z)) and never overflows.
        return f"(math.exp(min({z}, 0.0)) / (1.0 + math.exp(-abs({z}))))"

    def _print_Softplus(self, expr: Softplus) -> str:  # noqa: N802 (sympy's naming)
        z = self._print(expr.args[0])
        return f"(max({z}, 0.0) + math.log1p(math.exp(-abs({z}))))"


def _python(expr: sympy.Expr) -> str:
    return _Printer({"fully_qualified_modules": True}).doprint(expr)


def _exp_argument(term: sympy.Expr, other: sympy.Expr) -> sympy.Expr | None:
    """``a`` if ``term + other`` is ``exp(a) + 1``, else None."""
    if other == 1 and isinstance(term, sympy.exp):
        return term.args[0]
    return None


def _one_plus_exp(expr: sympy.Expr) -> sympy.Expr | None:
    """``a`` if ``expr`` is ``1 + exp(a)``, else None."""
    if isinstance(expr, sympy.Add) and len(expr.args) == 2:
        first, second = expr.args
        found = _exp_argument(first, second)
        return found if found is not None else _exp_argument(second, first)
    return None


def stable_form(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with every ``(1 + exp(-z))^-n`` written ``Sigmoid(z)^n`` and every
    ``log(1 + exp(z))`` written ``Softplus(z)`` (the parser's forms of sigmoid and
    softplus, and the same formulas typed out), so the generated code cannot overflow."""
    if expr.is_Atom:
        return expr
    args = [stable_form(a) for a in expr.args]
    if isinstance(expr, sympy.Pow):
        base, power = args
        a = _one_plus_exp(base)
        if a is not None and power.is_Integer and power < 0:
            return Sigmoid(-a) ** (-power)
    elif isinstance(expr, sympy.log) and len(args) == 1:
        a = _one_plus_exp(args[0])
        if a is not None:
            return Softplus(a)
    return expr.func(*args) if args != list(expr.args) else expr


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
    """The source of the module of f, df/dx, df/dy for ``expr`` (the parse of ``text``).

    ``ExpressionError`` if sympy's differentiation, common-subexpression search or
    printing exceeds the effort bound (some short formulas take it seconds)."""
    with bounded_effort("differentiate"):
        stable = stable_form(expr)
        bodies = (_body(stable), _derivative_body(stable, X), _derivative_body(stable, Y))
    return generate_formula(text, *bodies)


def functions_for(text: str) -> ModuleType:
    """The module of formula ``text``'s compiled functions ``f``, ``gx``, ``gy``
    (``ExpressionError`` if it does not parse); shared by surfaces of the same formula."""
    expr = parse_expression(text)
    key = hashlib.sha256(f"{FORMAT}\n{canonical_form(expr)}".encode()).hexdigest()[:20]
    module = _modules.get(key)
    if module is not None:
        # Without the lock: the app compiles a new formula in another thread, and a
        # formula already loaded must not wait for it.
        return module
    with _lock:
        if key not in _modules:
            _modules[key] = _load(key, text, expr)
        return _modules[key]


def _load(key: str, text: str, expr: sympy.Expr) -> ModuleType:
    name = f"optviz_formula_{key}"
    path = _FOLDER / f"{name}.py"
    if not path.exists():
        _FOLDER.mkdir(parents=True, exist_ok=True)
        # Atomic: a concurrent reader sees a whole file or none.
        write_atomic(path, formula_source(text, expr).encode())
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's cache and pickling look modules up by name
    spec.loader.exec_module(module)
    return module
