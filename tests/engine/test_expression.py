"""Typed formulas: the safe parser (optviz.surfaces.expression)."""

from __future__ import annotations

import ast
import builtins
import gc
import importlib
import math
import os
import subprocess
import sys
import time
import tracemalloc
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sympy
import sympy.parsing.sympy_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz.surfaces import expression
from optviz.surfaces.expression import (
    FUNCTION_NAMES,
    LIMITS,
    ExpressionError,
    X,
    Y,
    bounded_effort,
    canonical_form,
    parse_expression,
)

POINTS = [(0.3, -1.2), (1.7, 0.4), (-2.5, 2.1)]


def _value(expr, x, y):
    return float(expr.subs({X: x, Y: y}).evalf())


def _has_tie(expr, x, y):
    """True if some min or max of ``expr`` has two arguments equal at (x, y)."""
    for node in expr.atoms(sympy.Max, sympy.Min):
        values = [complex(a.subs({X: x, Y: y}).evalf()) for a in node.args]
        if any(abs(a - b) <= 1e-9 * (1 + abs(a)) for i, a in enumerate(values) for b in values[:i]):
            return True
    return False


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


VALID = [
    (
        "sin(x)*cos(y) + 0.1*(x^2 + y^2)",
        lambda x, y: math.sin(x) * math.cos(y) + 0.1 * (x**2 + y**2),
    ),
    ("(1-x)^2 + 100*(y-x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("sigmoid(x) + softplus(y)", lambda x, y: _sigmoid(x) + math.log(1 + math.exp(y))),
    ("max(x, y) - min(x, y)", lambda x, y: max(x, y) - min(x, y)),
    ("log10(x^2+1)", lambda x, y: math.log10(x**2 + 1)),
    ("-x + +y", lambda x, y: -x + y),
    ("2e-3*x", lambda x, y: 2e-3 * x),
    ("pi*e", lambda x, y: math.pi * math.e),
    # ^ is power with the precedence of **, right-associative; unary minus binds looser.
    ("x^2 + 1", lambda x, y: x**2 + 1),
    ("2^3^2 + x**2**3", lambda x, y: 512 + x**8),
    ("-2^2 + x^-1", lambda x, y: -4 + 1 / x),
    ("1/2*x - y/4/2", lambda x, y: x / 2 - y / 8),
    (
        "tan(x/4) + asin(y/3) + acos(y/3) + atan(x)",
        lambda x, y: math.tan(x / 4) + math.asin(y / 3) + math.acos(y / 3) + math.atan(x),
    ),
    (
        "sinh(x/2)*cosh(y/2) - tanh(x*y)",
        lambda x, y: math.sinh(x / 2) * math.cosh(y / 2) - math.tanh(x * y),
    ),
    (
        "exp(-x^2) / sqrt(1 + y^2) + abs(x) + log(abs(y) + 1)",
        lambda x, y: math.exp(-(x**2)) / math.sqrt(1 + y**2) + abs(x) + math.log(abs(y) + 1),
    ),
    ("  x ^ 2\t+\ny  ", lambda x, y: x**2 + y),  # any white space
    ("1_000*x + 1.5e+2 + .5*y + 2.*y", lambda x, y: 1000 * x + 150.0 + 2.5 * y),
    ("e^x + x^0.5^2", lambda x, y: math.exp(x) + abs(x) ** 0.25 if x > 0 else math.nan),
]


@pytest.mark.parametrize(("text", "reference"), VALID, ids=[t for t, _ in VALID])
def test_valid_formulas_mean_what_they_say(text, reference):
    expr = parse_expression(text)
    assert isinstance(expr, sympy.Expr)
    assert expr.free_symbols <= {X, Y}
    for x, y in POINTS:
        want = reference(x, y)
        if math.isnan(want):
            continue
        assert _value(expr, x, y) == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_symbols_are_real_and_shared():
    assert X == sympy.Symbol("x", real=True) and Y == sympy.Symbol("y", real=True)
    assert parse_expression("x*y").free_symbols == {X, Y}
    assert parse_expression("pi + e") == sympy.pi + sympy.E
    assert parse_expression("log10(x)") == sympy.log(X, 10)
    assert parse_expression("sigmoid(y)") == 1 / (1 + sympy.exp(-Y))
    assert parse_expression("softplus(x)") == sympy.log(1 + sympy.exp(X))
    assert parse_expression("abs(x) + min(x, y)") == sympy.Abs(X) + sympy.Min(X, Y)
    assert parse_expression("x^2") == parse_expression("x**2") == X**2
    assert parse_expression("0.5") == sympy.Float("0.5")
    assert parse_expression("7") == sympy.Integer(7)


def test_the_functions_are_the_documented_ones():
    assert FUNCTION_NAMES == (
        "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
        "exp", "log", "log10", "sqrt", "abs", "sigmoid", "softplus", "min", "max",
    )  # fmt: skip
    for name in FUNCTION_NAMES:
        args = "x, y" if name in ("min", "max") else "x/10"
        assert parse_expression(f"{name}({args})").free_symbols


def test_canonical_form_is_stable_text():
    a = canonical_form(parse_expression("x^2 + y"))
    assert a == canonical_form(parse_expression("y + x**2")) == sympy.srepr(X**2 + Y)
    assert a != canonical_form(parse_expression("x^2 - y"))
    assert "Symbol('x', real=True)" in a


def test_canonical_form_does_not_depend_on_the_hash_seed():
    code = (
        "from optviz.surfaces.expression import canonical_form, parse_expression as p\n"
        "print(canonical_form(p('sin(x)*cos(y) + 0.1*(x^2 + y^2) + max(x, y) + sigmoid(x*y)')))"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        outputs.add(out.stdout)
    assert len(outputs) == 1


# -- errors: what is wrong, and where -------------------------------------------------------

ERRORS = [
    # names and functions
    ("x + y + z", 9, "unknown name 'z' at column 9; use x and y"),
    ("foo(x)", 1, "unknown function 'foo' at column 1; use one of: sin, cos, tan, asin"),
    ("ln(x)", 1, "unknown function 'ln' at column 1; did you mean log?"),
    ("X + y", 1, "unknown name 'X' at column 1; names are lower case: x"),
    ("True + x", 1, "unknown name 'True'"),
    ("__import__(x)", 1, "unknown function '__import__'"),
    ("sin + 1", 1, "'sin' is a function at column 1; write sin(...)"),
    ("x(y + 1)", 1, "'x' is not a function at column 1; write x*(...) to multiply"),
    ("sin(1)(2)", 7, "unexpected '(' at column 7"),
    ("sin(x, y)", 1, "sin takes 1 argument, got 2 at column 1"),
    ("2 + sin()", 5, "sin takes 1 argument, got 0 at column 5"),
    ("max(x)", 1, "max takes 2 arguments, got 1 at column 1"),
    ("min(x, y, 1)", 1, "min takes 2 arguments, got 3 at column 1"),
    ("sin(x=1)", 5, "keyword argument 'x=' is not allowed at column 5"),
    ("sin(**x)", 5, "unexpected '**' at column 5"),
    ("sin(*x)", 5, "unexpected '*' at column 5"),
    # Python constructs outside the language
    ("x.real", 2, "attribute access '.real' is not allowed at column 2"),
    ("().__class__", 3, "attribute access '.__class__' is not allowed at column 3"),
    ("sin(x).imag + 1", 7, "attribute access '.imag'"),
    ("x[0]", 2, "indexing with '[...]' is not allowed at column 2"),
    ("lambda: 1", 1, "'lambda' is not allowed at column 1"),
    ("x if y else 1", 3, "'if ... else' is not allowed at column 3"),
    ("x < y", 3, "comparison '<' is not allowed at column 3"),
    ("x == 1", 3, "comparison '==' is not allowed"),
    ("x and y", 3, "'and' is not allowed at column 3"),
    ("not x", 1, "'not' is not allowed at column 1"),
    ("(x := 1)", 4, "assignment ':=' is not allowed at column 4"),
    ("[x]", 1, "unexpected '[' at column 1"),
    ("{x}", 1, "unexpected '{' at column 1"),
    ("x, y", 2, "unexpected ',' at column 2"),
    ("()", 1, "unexpected '()' at column 1"),
    ("sin(x for x in y)", 7, "unexpected 'for' at column 7"),
    ("await x", 1, "'await' is not allowed"),
    ("(yield x)", 2, "'yield' is not allowed"),
    ("...", 1, "unexpected '...'"),
    ("x % 2", 3, "operator '%' is not supported at column 3"),
    ("x // 2", 3, "operator '//' is not supported"),
    ("x @ y", 3, "operator '@' is not supported"),
    ("x | y", 3, "operator '|' is not supported"),
    ("x << 1", 3, "operator '<<' is not supported"),
    ("~x", 1, "unexpected '~' at column 1"),
    ("1j", 1, "complex number '1j' is not allowed at column 1"),
    ("2 + 3j*x", 5, "complex number '3j'"),
    # characters refused before parsing
    ("'x'", 1, 'unexpected "\'" at column 1; formulas have no quotes'),
    ('b"x"', 2, "formulas have no quotes"),
    ("f'{x}'", 2, "formulas have no quotes"),
    ("x # comment", 3, "formulas have no comments"),
    ("x \\\n+ 1", 3, "formulas have no backslashes"),
    ("x \u2212 y", 3, "unexpected character '\u2212' (U+2212) at column 3; write - instead"),
    ("2\u03c0", 2, "write pi instead"),
    ("\u00e9", 1, "formulas use plain ASCII"),
    ("x\x00", 2, "unexpected control character U+0000 at column 2"),
    ("\x1b[31m", 1, "control character U+001B"),
    # syntax
    ("sin(,x)", 5, "unexpected ',' at column 5"),
    ("2x", 2, "missing operator between '2' and 'x' at column 2; write 2*x to multiply"),
    ("3.5y^2", 4, "missing operator between '3.5' and 'y'"),
    ("0777", 1, "invalid number '0777' at column 1"),
    ("0x1f + 1", 1, "invalid number '0x1f' at column 1; write numbers in decimal"),
    ("x + 1if y else 2", 6, "unexpected 'if' at column 6"),
    ("1or 2", 2, "unexpected 'or' at column 2"),
    ("(x)2e-3y", 8, "missing operator between '2e-3' and 'y' at column 8"),
    ("x +", 4, "formula ends unexpectedly at column 4"),
    ("(x + 1", 1, "unclosed '(' at column 1"),
    ("x + 1)", 6, "unmatched ')' at column 6"),
    ("x $ y", 3, "unexpected '$' at column 3"),
    ("x y", 3, "unexpected 'y' at column 3"),
    ("import os", 1, "unexpected 'import' at column 1"),
    ("x ^ ^ 2", 5, "unexpected '^' at column 5"),
    # constants
    ("1/0", 1, "'1/0' divides by zero at column 1"),
    ("x + y/(2 - 2)", 5, "'y/(2 - 2)' divides by zero"),
    ("0^-1", 1, "divides by zero"),
    ("log(0)", 1, "'log(0)' is undefined at column 1"),
    ("2*log(x - x)", 3, "'log(x - x)' is undefined at column 3"),
    ("sqrt(-1)", 1, "'sqrt(-1)' is undefined"),
    ("asin(2)", 1, "'asin(2)' is undefined"),
    ("(-8)^(1/3)", 1, "is undefined"),
    ("sqrt(-x^2)", 1, "'sqrt(-x^2)' is undefined"),
    ("tan(pi/2)", 1, "'tan(pi/2)' is undefined"),
    ("x**100000", 4, "exponent '100000' is too large at column 4; at most 64 in magnitude"),
    ("y^-65", 3, "exponent '-65' is too large"),
    ("x^(x - x + 100)", 4, "exponent 'x - x + 100' is too large"),
    ("10**400", 5, "exponent '400' is too large"),
    ("9**9**9**9", 7, "exponent '9**9' is too large at column 7"),
    ("9^9^9^9", 5, "exponent '9^9' is too large at column 5"),
    ("1e999", 1, "number '1e999' is too large at column 1; at most 1e300"),
    ("1234567890123456789012345678901*x", 1, "has too many digits at column 1; at most 30"),
    ("exp(1000)", 1, "'exp(1000)' is too large at column 1"),
    ("softplus(1000)", 1, "'softplus(1000)' is too large"),
    ("1e300*10", 1, "'1e300*10' is too large"),
    ("(10^30)^11", 1, "'(10^30)^11' is too large"),
    ("((x/3)^64)^64", 1, "'((x/3)^64)^64' is too large"),
    ("exp(exp(exp(10)))", 5, "'exp(exp(10))' is too large at column 5"),
]


@pytest.mark.parametrize(("text", "column", "phrase"), ERRORS, ids=[e[0] for e in ERRORS])
def test_refused_formulas_say_what_and_where(text, column, phrase):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert phrase in str(err), str(err)
    assert err.column == column, str(err)
    assert err.message == str(err)
    assert f"at column {column}" in str(err)


def test_placeless_errors():
    for text, message in [
        ("", "formula is empty"),
        (" \t\n ", "formula is empty"),
        ("x+" * 311 + "x", "formula is too long (623 characters; at most 500)"),
        ("x" + "+x" * 150, "formula is too complex (301 parts; at most 300)"),
    ]:
        with pytest.raises(ExpressionError) as info:
            parse_expression(text)
        assert str(info.value) == message
        assert info.value.column is None
    with pytest.raises(TypeError):
        parse_expression(b"x")  # type: ignore[arg-type]


def test_limits_are_documented_and_read_at_each_call(monkeypatch):
    assert LIMITS == {
        "max_length": 500,
        "max_nodes": 300,
        "max_depth": 40,
        "max_exponent": 64,
        "max_digits": 30,
        "max_log10": 300,
        "max_steps": 300_000,
        "max_seconds": 0.5,
    }
    for key in LIMITS:
        assert f"``{key}``" in expression.__doc__
    monkeypatch.setitem(LIMITS, "max_length", 10)
    with pytest.raises(ExpressionError, match=r"too long \(11 characters; at most 10\)"):
        parse_expression("x + y + 123")
    monkeypatch.setitem(LIMITS, "max_exponent", 3)
    with pytest.raises(ExpressionError, match="at most 3"):
        parse_expression("x^4")


def test_limits_at_their_edges():
    # A flat sum counts one level however long; 299 parts are fine.
    assert parse_expression("x" + "+x" * 149) == 150 * X
    assert parse_expression("x" + "*y-x" * 74).free_symbols == {X, Y}  # 297 parts
    # 38 nested calls (39 levels of text and of sympy tree) are fine, and differentiable.
    deep = parse_expression("sin(" * 38 + "x" + ")" * 38)
    assert sympy.diff(deep, X) != 0
    assert parse_expression("-" * 39 + "x") == -X
    for text in ["-" * 40 + "x", "sin(" * 40 + "x" + ")" * 40]:
        with pytest.raises(ExpressionError, match="nested too deeply .*at most 40 levels"):
            parse_expression(text)
    # sigmoid(z) = 1/(1 + exp(-z)) is four sympy levels: ten nested make a deeper tree.
    assert parse_expression("sigmoid(" * 9 + "x" + ")" * 9).free_symbols == {X}
    with pytest.raises(ExpressionError, match="nested too deeply") as info:
        parse_expression("sigmoid(" * 10 + "x" + ")" * 10)
    assert info.value.column is not None
    # Python itself refuses more than 200 nested parentheses; fewer are harmless.
    assert parse_expression("(" * 150 + "x" + ")" * 150) == X
    with pytest.raises(ExpressionError, match="parentheses are nested too deeply"):
        parse_expression("(" * 201 + "x" + ")" * 201)
    assert parse_expression("2^64") == 2**64
    assert parse_expression("x^64 + y^-64").free_symbols == {X, Y}
    assert parse_expression("(1/3)^64") == sympy.Rational(1, 3**64)
    assert parse_expression("123456789012345678901234567890*x").free_symbols == {X}
    assert parse_expression("1e300 + 1e-320") == sympy.Float("1e300")
    assert parse_expression("sigmoid(-1000)") == 1 / (1 + sympy.exp(1000))


# -- hostile input --------------------------------------------------------------------------

HOSTILE = [
    "9**9**9**9",
    "9^9^9^9^9^9^9^9^9",
    "2**2**2**2**2**2",
    "(" * 10000 + "x" + ")" * 10000,
    "x" * 100_000,
    "1" * 100_000,
    "x" + "+x" * 100_000,
    "-" * 499 + "x",
    "(" * 199 + "x" + ")" * 199,
    "(" * 201 + "x" + ")" * 201,
    "exp(" * 100 + "x" + ")" * 100,
    "exp(" * 45 + "x" + ")" * 45,
    "sigmoid(" * 40 + "x" + ")" * 40,
    "x" + "*x" * 249,
    "__import__('os').system('echo hi')",
    "__import__(x).system(y)",
    "().__class__.__bases__[0].__subclasses__()",
    "x.real",
    "lambda: 1",
    "[x]",
    "x if y else 1",
    "\x00",
    "x\x00y",
    "x**100000",
    "10**400",
    "1e999",
    "(9" + "^9" * 60 + ")",
    "((((2^64)^64)^64)^64)^64",
    "((((x*1234567890123456789012345678)^64)^64)^64)^64",
    "(((((x/3)^64)^64)^64)^64)^64",
    "999999999999999999999999999999^64",
    "exp(exp(exp(exp(exp(1e300)))))",
    "sin(1e300)*tan(1e300)",
    "10^64^64^64",
    "(1/0)^(1/0)",
    "max(" * 30 + "x" + ", y)" * 30,
    'f\'{__import__("os").system("echo hi")}\'',
    "x" + "\u200b" * 400,
    # sympy's own simplification is exponential on these (deciding whether an argument
    # is real expands a 64th power): they run out of the effort budget.
    "max(sinh((asin(x)+sqrt(y))^64), y)",
    "abs(sinh((x+sqrt(y))^64))",
    "atan(tanh(tanh(((sigmoid((((cosh((y)-(pi)))*(cosh((pi)^3)))-((asin(max(2, x)))*"
    "(cos((x)^3))))+((max(((x)-(y))-(max(7, x)), (1.5)/(tan(7))))*(1.5))))^64)^3)))",
]


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:30]) + f"[{len(t)}]" for t in HOSTILE])
def test_hostile_input_is_refused_quickly_and_cheaply(text):
    def attempt():
        try:
            result = parse_expression(text)
        except ExpressionError as err:
            assert err.column is None or 1 <= err.column <= len(text) + 1
            return None
        return result

    sympy.core.cache.clear_cache()
    start = time.perf_counter()
    result = attempt()
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0, f"{elapsed:.3f} s"  # the bounds stop it: no hang
    if result is not None:  # harmless ones may be accepted: (((x))) is x
        assert result.free_symbols <= {X, Y}
    assert _peak_bytes(attempt) < 20 * 2**20


# Harmless, so accepted: parentheses make no nodes, mpmath reduces 1e300 modulo pi, and
# sympy folds the nested max.
HARMLESS = {"(" * 199 + "x" + ")" * 199, "sin(1e300)*tan(1e300)", "max(" * 30 + "x" + ", y)" * 30}


def test_hostile_input_is_refused():
    assert parse_expression("max(" * 30 + "x" + ", y)" * 30) == sympy.Max(X, Y)
    for text in HOSTILE:
        if text not in HARMLESS:
            with pytest.raises(ExpressionError):
                parse_expression(text)


def test_sympy_work_is_bounded_and_leaves_no_trace():
    def tracer(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        with pytest.raises(ExpressionError, match="too complex to analyse at column 1"):
            parse_expression("abs(sinh((x+sqrt(y))^64))")
        assert sys.gettrace() is tracer
        # This one parses at once, but differentiating it takes sympy seconds.
        expr = parse_expression("abs(sinh(sqrt(x + y)^63))")
        start = time.perf_counter()
        with pytest.raises(ExpressionError, match="too complex to differentiate"):
            with bounded_effort("differentiate"):
                sympy.diff(expr, X)
        assert time.perf_counter() - start < 5.0  # no hang
        assert sys.gettrace() is tracer and sys.getprofile() is None
    finally:
        sys.settrace(previous)
    assert sympy.core.parameters.global_parameters.evaluate is True
    with bounded_effort("differentiate"):
        assert sympy.diff(parse_expression("x^3*y"), X) == 3 * X**2 * Y
    with pytest.raises(ExpressionError, match="more than 1000 steps"):
        with bounded_effort("differentiate", steps=1000):
            sympy.diff(parse_expression("sin(x)^5 * cos(y)^7 / (1 + x^2)"), X)


def _work(n):
    return n + 1


def _finalized_work():
    try:
        yield 1
    finally:
        _work(1)  # runs while the generator is finalised


def test_the_budget_is_not_lost():
    # Generators finalised during the work are left alone (an exception raised there would
    # be printed and ignored), and an abort that is swallowed comes back at the next call.
    def spin():
        try:
            while True:
                g = _finalized_work()
                next(g)
                del g
                _work(0)
        except BaseException:
            pass  # the first abort is swallowed...
        while True:  # ...and the budget still ends the work
            _work(0)

    start = time.perf_counter()
    with pytest.raises(ExpressionError, match="too complex to spin"):
        with bounded_effort("spin", steps=10_000):
            spin()
    assert time.perf_counter() - start < 5.0  # no hang
    assert sys.getprofile() is None


def test_parsing_works_in_other_threads():
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(parse_expression, ["x^2 + y", "sin(x)", "abs(x) + 1"] * 4))
        with pytest.raises(ExpressionError, match="too complex"):
            pool.submit(parse_expression, "max(sinh((asin(x)+sqrt(y))^64), y)").result()
    assert results[0] == X**2 + Y


# -- no code is ever run ----------------------------------------------------------------------


def _is_module_code(code) -> bool:
    """Code objects of modules being imported (sympy imports some lazily) are fine."""
    return isinstance(code, types.CodeType) and Path(code.co_filename).is_file()


def test_parsing_never_evaluates(monkeypatch):
    formulas = [text for text, _ in VALID] + [
        "sqrt(abs(x)) + tan(y) + asin(x/9) + acos(y/9) + sinh(y) + cosh(x) + exp(x) + log(y^2+1)",
        "1.25*x^0.5 - 3e-2*y + min(x^2, 2) + max(y, -1) + log10(1 + x^2) + pi^2",
    ]
    refused = [text for text, _, _ in ERRORS]
    # Warm up (sympy imports some modules lazily), then run cold on fresh sympy caches.
    for text in formulas:
        parse_expression(text)
    sympy.core.cache.clear_cache()

    seen = []
    real_compile = builtins.compile

    def no_eval(source, *args, **kwargs):
        seen.append(source)
        if not _is_module_code(source):
            raise AssertionError(f"eval/exec of {source!r}")
        return real_eval(source, *args, **kwargs)

    def no_exec(source, *args, **kwargs):
        seen.append(source)
        if not _is_module_code(source):
            raise AssertionError(f"exec of {source!r}")
        return real_exec(source, *args, **kwargs)

    def compile_ast_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST and not Path(os.fsdecode(filename)).is_file():
            seen.append(source)
            raise AssertionError(f"compile of {source!r}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def refuse_text(real):
        def guarded(arg, *args, **kwargs):
            if isinstance(arg, (str, bytes)):
                seen.append(arg)
                raise AssertionError(f"{real.__name__} of text {arg!r}")
            return real(arg, *args, **kwargs)

        return guarded

    real_eval, real_exec = builtins.eval, builtins.exec
    monkeypatch.setattr(builtins, "eval", no_eval)
    monkeypatch.setattr(builtins, "exec", no_exec)
    monkeypatch.setattr(builtins, "compile", compile_ast_only)
    # Wherever sympy's modules bound sympify or parse_expr, refuse text.
    real_sympify = sys.modules["sympy.core.sympify"].sympify
    real_parse_expr = sympy.parsing.sympy_parser.parse_expr
    patched = 0
    for module in list(sys.modules.values()):
        for name, real in (("sympify", real_sympify), ("parse_expr", real_parse_expr)):
            if getattr(module, name, None) is real:
                monkeypatch.setattr(module, name, refuse_text(real))
                patched += 1
    assert sympy.sympify is not real_sympify and patched > 2

    for text in formulas:
        assert parse_expression(text).free_symbols <= {X, Y}
    for text in refused + [t for t in HOSTILE if t not in HARMLESS]:
        with pytest.raises(ExpressionError):
            parse_expression(text)
    assert not [s for s in seen if not _is_module_code(s)]


def test_the_module_names_no_evaluator():
    tree = ast.parse(Path(expression.__file__).read_text())
    forbidden = {"eval", "exec", "compile", "sympify", "parse_expr", "__import__", "lambdify"}
    named = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    named |= {
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and not (isinstance(n.value, ast.Name) and n.value.id == "re")
    }
    named |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not named & forbidden


# -- hypothesis -------------------------------------------------------------------------------


def _check_outcome(text):
    try:
        expr = parse_expression(text)
    except ExpressionError as err:
        assert str(err)
        if err.column is not None:
            assert 1 <= err.column <= len(text) + 1
            assert f"at column {err.column}" in str(err)
        return None
    assert isinstance(expr, sympy.Expr)
    assert expr.free_symbols <= {X, Y}
    return expr


@settings(max_examples=2000, deadline=5000, database=None)  # the budget bounds each
@given(st.text(max_size=600))
def test_any_text_parses_or_is_refused(text):
    _check_outcome(text)


@settings(max_examples=2000, deadline=5000, database=None)  # the budget bounds each
@given(st.text(alphabet="xy+-*/^()0123456789.eE sincoexplgtqrabmd,", max_size=60))
def test_formula_like_text_parses_or_is_refused(text):
    _check_outcome(text)


# A small grammar whose formulas are defined everywhere: every one must parse. Each node is
# (text, python function); the function records the largest magnitude met, for tolerances.


class _Overflow(Exception):
    pass


def _leaf(text, fn):
    return text, fn


def _guard(v, scale):
    if isinstance(v, complex) or not math.isfinite(v) or abs(v) > 1e300:
        raise _Overflow
    scale[0] = max(scale[0], abs(v))
    return v


_UNARY = {
    "sin": math.sin, "cos": math.cos, "atan": math.atan, "tanh": math.tanh, "abs": abs,
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
}  # fmt: skip
_WRAPPED = {  # name -> (text template, function): the argument made safe
    "exp": ("exp(-({})^2)", lambda z: math.exp(-(z**2))),
    "log": ("log(1 + ({})^2)", lambda z: math.log(1 + z**2)),
    "log10": ("log10(1 + abs({}))", lambda z: math.log10(1 + abs(z))),
    "sqrt": ("sqrt(1 + ({})^2)", lambda z: math.sqrt(1 + z**2)),
    "asin": ("asin(tanh({}))", lambda z: math.asin(math.tanh(z))),
    "acos": ("acos(sin({}))", lambda z: math.acos(math.sin(z))),
    "tan": ("tan(tanh({}))", lambda z: math.tan(math.tanh(z))),
    "sinh": ("sinh(sin({}))", lambda z: math.sinh(math.sin(z))),
    "cosh": ("cosh(cos({}))", lambda z: math.cosh(math.cos(z))),
    "softplus": ("softplus(sin({}))", lambda z: math.log(1 + math.exp(math.sin(z)))),
}


def _unary(name, child):
    text, fn = child
    if name in _UNARY:
        f = _UNARY[name]
        return f"{name}({text})", lambda x, y, s: _guard(f(fn(x, y, s)), s)
    template, f = _WRAPPED[name]
    return template.format(text), lambda x, y, s: _guard(f(fn(x, y, s)), s)


def _binary(op, a, b):
    (ta, fa), (tb, fb) = a, b
    ops = {
        "+": lambda p, q: p + q,
        "-": lambda p, q: p - q,
        "*": lambda p, q: p * q,
        "/": lambda p, q: p / (1 + q * q),
        "min": min,
        "max": max,
    }
    f = ops[op]
    if op in ("min", "max"):
        text = f"{op}({ta}, {tb})"
    elif op == "/":
        text = f"({ta}) / (1 + ({tb})^2)"
    else:
        text = f"({ta}) {op} ({tb})"
    return text, lambda x, y, s: _guard(f(fa(x, y, s), fb(x, y, s)), s)


def _power(child, k):
    text, fn = child
    return f"({text})^{k}", lambda x, y, s: _guard(fn(x, y, s) ** k, s)


def _negate(child):
    text, fn = child
    return f"-({text})", lambda x, y, s: -fn(x, y, s)


_LEAVES = st.one_of(
    st.just(("x", lambda x, y, s: x)),
    st.just(("y", lambda x, y, s: y)),
    st.just(("pi", lambda x, y, s: math.pi)),
    st.just(("e", lambda x, y, s: math.e)),
    st.integers(0, 9).map(lambda n: (str(n), lambda x, y, s: float(n))),
    st.floats(0.01, 3.0).map(lambda v: (repr(v), lambda x, y, s: v)),
)

_FORMULAS = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.builds(_unary, st.sampled_from(sorted(_UNARY) + sorted(_WRAPPED)), children),
        st.builds(_binary, st.sampled_from(["+", "-", "*", "/", "min", "max"]), children, children),
        st.builds(_power, children, st.integers(0, 3)),
        st.builds(_negate, children),
    ),
    max_leaves=8,
)

_COORD = st.floats(-2.0, 2.0, allow_nan=False)


def _reference(fn, x, y):
    scale = [1.0]
    try:
        return fn(x, y, scale), scale[0]
    except (_Overflow, OverflowError):
        return None, None


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_FORMULAS, _COORD, _COORD)
def test_valid_formulas_parse_and_differentiate(formula, x, y):
    text, fn = formula
    try:
        expr = parse_expression(text)
    except ExpressionError as err:
        # Only the limits may refuse these: a constant beyond 1e300 or a power of exact
        # numbers of more than 300 digits, too many parts, too deep a tree.
        limits = ("is too large", "too complex", "nested too deeply")
        assert any(phrase in str(err) for phrase in limits), (text, str(err))
        if "is too large" in str(err):
            assert "^" in text or _reference(fn, 0.5, 0.5)[0] is None, (text, str(err))
        return
    assert expr.free_symbols <= {X, Y}
    dx, dy = sympy.diff(expr, X), sympy.diff(expr, Y)
    want, scale = _reference(fn, x, y)
    if want is None:
        return
    got = _value(expr, x, y)
    assert math.isclose(got, want, rel_tol=1e-7, abs_tol=1e-9 * scale), (text, got, want)
    # The symbolic gradient matches central differences where the function is smooth: the
    # forward and backward differences agree (no kink of abs, min or max within h). Where
    # the arguments of a min or max tie exactly, sympy's derivative is the mean of the two
    # sides' (Heaviside(0) = 1/2), a valid subgradient that differences need not match.
    if _has_tie(expr, x, y):
        return
    h = 1e-6
    for grad, (sx, sy) in ((dx, (1, 0)), (dy, (0, 1))):
        up = _reference(fn, x + h * sx, y + h * sy)[0]
        down = _reference(fn, x - h * sx, y - h * sy)[0]
        if up is None or down is None:
            continue
        forward, backward = (up - want) / h, (want - down) / h
        if not math.isclose(forward, backward, rel_tol=1e-2, abs_tol=1e-4 * scale):
            continue
        central = (up - down) / (2 * h)
        g = _value(grad, x, y)
        assert math.isclose(g, central, rel_tol=1e-4, abs_tol=1e-5 * scale), (text, g, central)


@settings(max_examples=500, deadline=5000, database=None)
@given(
    _FORMULAS,
    st.integers(0, 1000),
    st.sampled_from(list("xy+-*/^()., 0123456789e") + ["**", "sin(", "max(", ")("]),
    st.booleans(),
)
def test_damaged_formulas_parse_or_are_refused(formula, where, token, delete):
    text = formula[0]
    i = where % (len(text) + 1)
    text = text[:i] + text[i + 1 :] if delete else text[:i] + token + text[i:]
    _check_outcome(text)


_IMPORTS_INSIDE_BUDGETS = r"""
import sys
from optviz.surfaces import expression
imported = []
enter, leave = expression._Effort.__enter__, expression._Effort.__exit__

def recording_enter(self):
    self.modules_before = set(sys.modules)
    return enter(self)

def recording_exit(self, *exc):
    leave(self, *exc)
    imported.extend(sorted(set(sys.modules) - self.modules_before))

expression._Effort.__enter__, expression._Effort.__exit__ = recording_enter, recording_exit
import optviz
every_function = (
    "sin(x)*cos(y) + 0.1*(x^2 + y^2)/3 - tan(x/9)*asin(x/9)*acos(y/9)*atan(x)"
    " + sinh(x) + cosh(y) + tanh(x) + exp(-x^2) + log(1 + y^2) + log10(x^2 + 1)"
    " + sqrt(x^2 + 1) + abs(x) + sigmoid(x) + softplus(y) + max(x, y) + min(x, y)"
    " + pi*e - 2**0.5 + " + "+".join(["x*y"] * 40)
)
optviz.Surface.from_expression(every_function, domain=((-3, 3), (-3, 3)))
print(imported)
"""


def test_no_import_counts_against_a_budget():
    # The first large sum in a process makes sympy import its tensor module (and all of
    # combinatorics). Imports no longer count against a budget, but they are slow: the
    # parser imports what sympy would load lazily, once, up front. A fresh process, since
    # this one has imported everything already.
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS_INSIDE_BUDGETS],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _burn(seconds):
    """Spend ``seconds`` of this thread's CPU time without a Python call."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


class _SlowToCollect:
    def __init__(self):
        self.cycle = self  # only the cycle collector frees it

    def __del__(self):
        _burn(0.3)
        for i in range(2000):
            _work(i)


_SLOW_IMPORT = """
import time
end = time.thread_time() + 0.3
while time.thread_time() < end:
    pass
def work(n):
    return n + 1
for i in range(2000):
    work(i)
"""


def test_collections_and_imports_stop_the_clock(tmp_path, monkeypatch):
    # CI refused "1e300*10" as too complex: a full garbage collection of the test suite's
    # large heap ran inside the 0.5 s budget of the parse. Collections and imports cost
    # the same whatever the formula, so they neither count nor are interrupted.
    budget = {"steps": 1000, "seconds": 0.1}
    with bounded_effort("collect", **budget):
        _SlowToCollect()
        gc.collect()
        for i in range(200):  # calls enough to read the clock
            _work(i)
    (tmp_path / "optviz_slow_import.py").write_text(_SLOW_IMPORT)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "optviz_slow_import", raising=False)
    with bounded_effort("import", **budget):
        module = importlib.import_module("optviz_slow_import")
        for i in range(200):
            _work(i)
    assert module.work(1) == 2
    assert float(parse_expression("1e300*x").coeff(X)) == 1e300
    # The clock runs again afterwards: the same work outside a collection is refused.
    with pytest.raises(ExpressionError, match="too complex to burn .*or 0.1 s"):
        with bounded_effort("burn", **budget):
            _burn(0.3)
            _work(0)
            for i in range(200):
                _work(i)
    with pytest.raises(ExpressionError, match="too complex to count .*1000 steps"):
        with bounded_effort("count", **budget):
            for i in range(2000):
                _work(i)
    assert not [
        c for c in gc.callbacks if isinstance(getattr(c, "__self__", None), expression._Effort)
    ]


def test_chains_are_built_in_one_piece():
    # A chain of + and - (or * and /) becomes one n-ary sympy Add (Mul) at its outermost
    # node, a third to a fifth of the sympy calls of building it pair by pair. The same
    # expressions, and errors still point into the chain.
    assert parse_expression("y" + "-x" * 149) == Y - 149 * X
    assert parse_expression("x/y/2*3-x+y-1") == 3 * X / (2 * Y) - X + Y - 1
    assert parse_expression("(x+y)*(x-y)/2 - (1-x)*3") == (X + Y) * (X - Y) / 2 - (1 - X) * 3
    assert parse_expression("2*3*x*4/8") == 3 * X
    assert parse_expression("x - (y - x) - 2^2*x") == -2 * X - Y
    with pytest.raises(ExpressionError, match="'1/0' divides by zero") as info:
        parse_expression("x + y*2 + 1/0 - y")
    assert info.value.column == 11
    with pytest.raises(ExpressionError, match=r"'x/\(x - x\)' divides by zero at column 9"):
        parse_expression("x + y + x/(x - x) * 2")
