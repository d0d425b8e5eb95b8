"""Typed formulas in ``x`` and ``y``, parsed safely into sympy expressions.

``parse_expression("sin(x)*cos(y) + 0.1*(x^2 + y^2)")`` returns a sympy expression in the
real symbols ``X`` and ``Y`` (exported here, so that every module differentiates and
compiles with the same symbols); bad input raises ``ExpressionError`` (a ``ValueError``)
whose message says what is wrong and where, e.g. "unknown name 'z' at column 9; use x and
y", and whose ``column`` is the 1-based column (``None`` when no place applies).

Syntax: numbers (``2``, ``0.5``, ``1e-3``), ``x``, ``y``, ``pi``, ``e``, the binary operators
``+ - * / ** ^`` (``^`` is power, as in mathematics, with the precedence of ``**``: ``x^2 + 1``
is ``(x^2) + 1`` and ``2^3^2`` is ``2^9``), unary ``-`` and ``+``, parentheses, and the calls
``sin cos tan asin acos atan sinh cosh tanh exp log log10 sqrt abs sigmoid softplus`` (one
argument each; ``log`` is natural, ``sigmoid(z) = 1/(1+exp(-z))``, ``softplus(z) =
log(1+exp(z))``) and ``min max`` (two arguments each). Any kind of white space separates
tokens. Everything else is refused.

Safety: the text is parsed, never evaluated. Nothing here calls ``eval``, ``exec``,
``compile`` (other than ``ast.parse``, which only builds a syntax tree), ``sympify`` or
``parse_expr`` on user text. Before parsing, the length is limited and control characters,
non-ASCII characters, quotes, ``#`` and ``\\`` are refused; ``ast.parse`` then builds a tree
that is walked iteratively (never recursing on user-controlled depth) to check the size and
nesting limits and an allowlist of node kinds, and finally converted node by node, again
iteratively. Constant parts of the formula are also evaluated in double precision on the
side, so that a constant too large (beyond 1e300), undefined (``1/0``, ``log(-1)``,
``asin(2)``) or complex (``(-8)^(1/3)``) is refused at its column before sympy is asked to
compute anything exact; a power's exponent, when constant, is limited, and so is the size
of the exact numbers it would produce, so ``9**9**9**9`` fails at once (the innermost
``9**9`` is fine, ``9**387420489`` is not).

Literals: ``1e999`` (and any literal beyond 1e300) is refused, not read as infinity; a
literal below the smallest double reads as 0. Integer literals have at most 30 digits.
Numbers are decimal (``0x1f`` and ``1j`` are refused); ``1_000`` reads as 1000. A number
followed by a name (``2x``) is refused with the hint to write ``2*x``.

``LIMITS`` (read at every call, so a test may lower them):

- ``max_length``: characters of text, 500;
- ``max_nodes``: expression nodes (numbers, names, operations, calls, function names), 300;
- ``max_depth``: nesting levels, 40, of the text (calls, parenthesised operands, powers and
  signs each add a level, but a flat chain ``a + b - c + ...`` or ``a * b / c * ...`` counts
  once) and of the resulting sympy tree (where ``sigmoid`` adds four levels, ``log10``
  two): sympy differentiates and prints recursively, about ten Python frames a level, so
  this keeps ``sympy.diff`` and code printers well inside the default recursion limit;
- ``max_exponent``: the magnitude of a constant exponent, 64 (``x^100`` is refused);
- ``max_digits``: digits of an integer literal, 30;
- ``max_log10``: constants stay within 1e300 in magnitude, and a power of exact numbers
  may not make numbers of more than about 300 digits;
- ``max_steps``: Python calls sympy may make while building the expression, 300 000
  (a few tenths of a second; ordinary formulas take a few thousand). sympy's automatic
  simplification is exponential on some short formulas (``max(sinh((asin(x)+1)^64), y)``
  takes seconds to decide whether its argument is real); past the budget the formula is
  refused as too complex. ``bounded_effort`` puts the same bound around later sympy work
  (differentiation, code printing), which has the same hazard;
- ``max_seconds``: the same in seconds of the calling thread's CPU time, 0.5 (garbage
  collection and imports excluded): a safety net for sympy code that does much work per
  call (dense polynomial products), where counting calls is not enough. CPU time, not
  wall time, so a loaded machine or a busy UI thread does not make an ordinary formula
  fail.

``canonical_form(expr)`` is ``sympy.srepr(expr)``, a stable text to hash for caching.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib._bootstrap
import inspect
import keyword
import math
import re
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator

import sympy

# sympy imports these on first use: Add.flatten the tensor module (and through it all of
# combinatorics, 75 000 Python calls), the assumptions and code printers the others.
# Imported here, so that no formula's effort budget pays for an import: on a cold disk
# the first 150-term sum in a process ran past the 0.5 s budget.
import sympy.assumptions.wrapper  # noqa: F401
import sympy.codegen.ast  # noqa: F401
import sympy.sets.setexpr  # noqa: F401
import sympy.tensor.tensor  # noqa: F401
from sympy.core.parameters import global_parameters as _sympy_parameters

from .errors import ExpressionError

__all__ = [
    "FUNCTION_NAMES",
    "LIMITS",
    "X",
    "Y",
    "ExpressionError",
    "bounded_effort",
    "canonical_form",
    "parse_expression",
]

#: The formula's variables: real symbols, shared by every module that uses formulas.
X = sympy.Symbol("x", real=True)
Y = sympy.Symbol("y", real=True)

#: Limits on formulas; see the module docstring.
LIMITS: dict[str, float] = {
    "max_length": 500,
    "max_nodes": 300,
    "max_depth": 40,
    "max_exponent": 64,
    "max_digits": 30,
    "max_log10": 300,
    "max_steps": 300_000,
    "max_seconds": 0.5,
}


def _sigmoid(z: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-z))


def _softplus(z: sympy.Expr) -> sympy.Expr:
    return sympy.log(1 + sympy.exp(z))


def _sigmoid_value(z: float) -> float:
    # 1/(1+exp(-z)) in double precision is 0, not an overflow, for z below about -709.
    return 1.0 / (1.0 + math.exp(-z)) if z > -700.0 else math.exp(z) / (1.0 + math.exp(z))


# name -> (number of arguments, sympy builder, double-precision twin for constant arguments).
# The twins give what the sympy forms give in double precision: softplus(1000) =
# log(1 + exp(1000)) overflows there, so it is refused as too large.
_FUNCTIONS: dict[str, tuple[int, Callable[..., sympy.Expr], Callable[..., float]]] = {
    "sin": (1, sympy.sin, math.sin),
    "cos": (1, sympy.cos, math.cos),
    "tan": (1, sympy.tan, math.tan),
    "asin": (1, sympy.asin, math.asin),
    "acos": (1, sympy.acos, math.acos),
    "atan": (1, sympy.atan, math.atan),
    "sinh": (1, sympy.sinh, math.sinh),
    "cosh": (1, sympy.cosh, math.cosh),
    "tanh": (1, sympy.tanh, math.tanh),
    "exp": (1, sympy.exp, math.exp),
    "log": (1, sympy.log, math.log),
    "log10": (1, lambda z: sympy.log(z, 10), math.log10),
    "sqrt": (1, sympy.sqrt, math.sqrt),
    "abs": (1, sympy.Abs, abs),
    "sigmoid": (1, _sigmoid, _sigmoid_value),
    "softplus": (1, _softplus, lambda z: math.log(1.0 + math.exp(z))),
    "min": (2, sympy.Min, min),
    "max": (2, sympy.Max, max),
}

#: The functions a formula may call, in the order the error messages list them.
FUNCTION_NAMES: tuple[str, ...] = tuple(_FUNCTIONS)

_NAMES: dict[str, tuple[sympy.Expr, float | None]] = {
    "x": (X, None),
    "y": (Y, None),
    "pi": (sympy.pi, math.pi),
    "e": (sympy.E, math.e),
}

_FUNCTION_ALIASES = {
    "ln": "log",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "fabs": "abs",
    "Abs": "abs",
    "logistic": "sigmoid",
    "expit": "sigmoid",
    "minimum": "min",
    "maximum": "max",
    "pow": "^",
}

# Non-ASCII characters that people paste from documents, and what to type instead.
_CHARACTER_HINTS = {
    "\u2212": "-",  # minus sign
    "\u2013": "-",  # en dash
    "\u00d7": "*",  # multiplication sign
    "\u22c5": "*",  # dot operator
    "\u00b7": "*",  # middle dot
    "\u00f7": "/",  # division sign
    "\u03c0": "pi",  # greek small letter pi
    "\u00b2": "^2",  # superscript two
    "\u00b3": "^3",  # superscript three
    "\u221a": "sqrt(...)",  # square root
}

_REFUSED_CHARACTERS = {
    "'": "quotes",
    '"': "quotes",
    "#": "comments",
    "\\": "backslashes",
}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}
_OTHER_BINARY = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
}
_COMPARISONS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is",
    ast.In: "in",
    ast.NotIn: "not",
}
# A left operand with an operator of the same family continues a flat chain (a + b - c).
_FAMILY = {ast.Add: 0, ast.Sub: 0, ast.Mult: 1, ast.Div: 1}
_ARITHMETIC: dict[type, Callable[[float, float], float]] = {
    ast.Add: lambda p, q: p + q,
    ast.Sub: lambda p, q: p - q,
    ast.Mult: lambda p, q: p * q,
    ast.Div: lambda p, q: p / q,
}

_LOG10_2 = math.log10(2.0)
_NUMBER_THEN_NAME = re.compile(r"(\d[\d_]*(?:\.[\d_]*)?)([A-Za-z]\w*)")
# A number not inside a name; a letter right after it is an error that Python's tokenizer
# reports with a SyntaxWarning first ("1if"), so it is caught before parsing.
_NUMBER_THEN_LETTER = re.compile(
    r"(?<![\w.])((?>\d[\d_]*\.?[\d_]*|\.\d[\d_]*))((?:[eE][+-]?\d[\d_]*)?+)([A-Za-z]\w*)"
)
_NUMBER_TOKEN = re.compile(r"[\w.]+")


class _OverBudget(BaseException):
    """Raised inside sympy when a formula's work exceeds its budget. A BaseException, so
    that sympy's ``except Exception`` clauses do not swallow it."""


_GENERATOR_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


class _Effort:
    """Abort with ``_OverBudget`` once the Python calls made in this thread exceed ``steps``
    or the time exceeds ``seconds`` (checked at every call: sympy's polynomial code does a
    lot of work per call).

    ``sys.settrace`` is per thread, so other threads are neither counted nor disturbed.
    It raises at the start of an ordinary function: not in a generator's frame or while a
    ``GeneratorExit`` is handled (an exception raised while a generator is finalised is
    printed and ignored), not in ``__del__``, and not while an ``_OverBudget`` is handled,
    so ``finally`` blocks and ``__exit__`` methods run undisturbed while it propagates.
    Python drops a trace function that raises; should the abort be swallowed anyway, a
    profile function puts the tracer back and the next call raises again. An abort may
    still cut short a ``finally`` block that ran for another reason, so sympy's
    thread-local switches (``evaluate``, ``distribute``) are restored afterwards. The previous trace
    function (a debugger's, coverage's) is restored on exit.

    Garbage collection and imports stop the clock and the count, and are never
    interrupted: they cost the same whatever the formula, and a full collection in a
    large process (0.2 s in the test suite here, more on CI) once made CI refuse ``1e300``
    as too complex.
    """

    def __init__(self, steps: int, seconds: float) -> None:
        self.steps = steps
        self.seconds = seconds
        self.calls = 0
        self.over = False
        self.rearming = False
        self.thread = threading.get_ident()
        self.paused = 0  # depth of collections and imports under way in this thread
        self.paused_at = 0.0

    def _pause(self) -> None:
        self.paused += 1
        if self.paused == 1:
            self.paused_at = time.thread_time()

    def _resume(self) -> None:
        self.paused -= 1
        if self.paused == 0:
            self.deadline += time.thread_time() - self.paused_at

    def _collecting(self, phase: str, info: dict[str, int]) -> None:
        """A ``gc.callbacks`` entry: the clock stops while this thread collects."""
        if threading.get_ident() != self.thread:
            return
        if phase == "start":
            self._pause()
        else:
            self._resume()

    def _importing(
        self, frame: types.FrameType, event: str, arg: object
    ) -> Callable[..., object] | None:
        """The local trace function of an import: the clock restarts when it returns."""
        if event == "return":
            self._resume()
        return self._importing

    def _trace(
        self, frame: types.FrameType, event: str, arg: object
    ) -> Callable[..., object] | None:
        if event != "call" or self.paused or frame.f_code is _COLLECTING_CODE:
            return None
        if frame.f_code is _IMPORT_CODE:
            self._pause()
            return self._importing  # sees this frame's return, not the calls inside it
        self.calls += 1
        if not self.over:
            # The clock is this thread's CPU time, read every 64 calls: wall time would
            # count other threads and processes, and tripped on "x^2 + y^2" under load.
            if self.calls <= self.steps and (
                self.calls & 63 or time.thread_time() <= self.deadline
            ):
                return None  # no line events: the cost is one call per Python call
            self.over = True
        if (
            not frame.f_code.co_flags & _GENERATOR_FLAGS
            and frame.f_code.co_name != "__del__"
            and not isinstance(sys.exc_info()[1], (_OverBudget, GeneratorExit))
        ):
            if not self.rearming and sys.getprofile() is None:
                self.rearming = True
                sys.setprofile(self._rearm)
            raise _OverBudget
        return None

    def _rearm(self, frame: types.FrameType, event: str, arg: object) -> None:
        if sys.gettrace() is None:
            sys.settrace(self._trace)

    def __enter__(self) -> _Effort:
        self.previous = sys.gettrace()
        self.switches = dict(vars(_sympy_parameters))
        self.deadline = time.thread_time() + self.seconds
        gc.callbacks.insert(0, self._collecting)  # first: the clock stops before the others
        sys.settrace(self._trace)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.rearming:
            sys.setprofile(None)  # first, or it would put the tracer back
        sys.settrace(self.previous)
        gc.callbacks.remove(self._collecting)
        if self.over:
            for name, value in self.switches.items():
                if getattr(_sympy_parameters, name) != value:
                    setattr(_sympy_parameters, name, value)


# The code objects the tracer recognises: the outermost function of every import, and
# its own garbage-collection callback.
_IMPORT_CODE = importlib._bootstrap._find_and_load.__code__
_COLLECTING_CODE = _Effort._collecting.__code__


@contextlib.contextmanager
def bounded_effort(
    task: str = "analyse", steps: int | None = None, seconds: float | None = None
) -> Iterator[None]:
    """Abort the sympy work inside the block if it makes more than ``steps`` Python calls
    (default ``LIMITS["max_steps"]``) or takes more than ``seconds`` (default
    ``LIMITS["max_seconds"]``), raising ``ExpressionError("formula is too complex to
    {task} ...")``.

    sympy's automatic simplification can take exponential time on some short formulas
    (``abs(sinh((x + sqrt(y))^64))`` spends seconds deciding whether the argument is real),
    and differentiating can too (``abs(sinh(sqrt(x + y)^63))`` parses in milliseconds and
    differentiates in seconds). ``parse_expression`` builds under this bound; do the same
    around ``sympy.diff``, ``sympy.cse`` and code printing of user formulas. The step count
    gives the same verdict on fast and slow machines; the time limit catches the rest.
    Tracing makes the block two to three times slower. Only the calling thread is counted.
    """
    limit = LIMITS["max_steps"] if steps is None else steps
    budget = LIMITS["max_seconds"] if seconds is None else seconds
    try:
        with _Effort(limit, budget):
            yield
    except _OverBudget:
        raise ExpressionError(
            f"formula is too complex to {task} (sympy needed more than {limit} steps "
            f"or {budget:g} s)"
        ) from None
    except RecursionError:
        raise ExpressionError(f"formula is too complex to {task} (too deep)") from None


def parse_expression(text: str) -> sympy.Expr:
    """Parse a formula in ``x`` and ``y`` into a sympy expression, safely.

    Raises ``ExpressionError`` for anything outside the syntax of the module docstring or
    beyond ``LIMITS``; ``TypeError`` if ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"a formula is a str, not {type(text).__name__}")
    max_length = LIMITS["max_length"]
    if len(text) > max_length:
        raise ExpressionError(f"formula is too long ({len(text)} characters; at most {max_length})")
    return _Parser(text).parse()


def canonical_form(expr: sympy.Expr) -> str:
    """A stable text of the expression (``sympy.srepr``), to hash for caching."""
    return sympy.srepr(expr)


def _digits(number: sympy.Number) -> float:
    """About how many decimal digits an exact number has (or the magnitude of a Float's
    decimal exponent): the cost of raising it to a power, and a bound on its size."""
    if isinstance(number, sympy.Float):  # fixed precision: only its size can hurt
        _sign, mantissa, exponent, bits = number._mpf_
        return max(0.0, (exponent + bits) * _LOG10_2) if mantissa else 0.0
    if isinstance(number, sympy.Rational):
        return max(abs(number.p).bit_length(), number.q.bit_length()) * _LOG10_2
    return math.inf  # nan, infinities: never raised to a power, never kept


def _magnitude(number: sympy.Number) -> float:
    """log10 of |number| (roughly), computed without overflowing a float."""
    if isinstance(number, sympy.Float):
        _sign, mantissa, exponent, bits = number._mpf_
        return (exponent + bits) * _LOG10_2 if mantissa else -math.inf
    if isinstance(number, sympy.Rational):
        if not number.p:
            return -math.inf
        return (abs(number.p).bit_length() - number.q.bit_length()) * _LOG10_2
    return math.inf


_UNDEFINED = (
    sympy.S.NaN,
    sympy.S.ComplexInfinity,
    sympy.S.Infinity,
    sympy.S.NegativeInfinity,
    sympy.S.ImaginaryUnit,
)


def _problem(expr: sympy.Expr, max_log10: float, max_depth: int) -> str | None:
    """What is wrong with sympy's result, or ``None``: ``"undefined"`` if it holds an
    undefined or complex value (``zoo``, ``nan``, ``I``, ``(-1)**(1/3)``), ``"too large"``
    for a number beyond 10**max_log10, ``"nested too deeply"`` for a tree deeper than
    ``max_depth``. Iterative, so deep expressions cannot exhaust the stack."""
    stack = [(expr, 1)]
    while stack:
        e, depth = stack.pop()
        if depth > max_depth:
            return "nested too deeply"
        if any(e is u for u in _UNDEFINED):
            return "undefined"
        if e.is_Number:
            if _magnitude(e) > max_log10 + 1:  # (the estimate is within a digit)
                return "too large"
        elif (
            e.is_Pow
            and e.base.is_Number
            and e.base.is_negative
            and e.exp.is_Number
            and not e.exp.is_integer
        ):
            return "undefined"
        stack.extend((a, depth + 1) for a in e.args)
    return None


class _Parser:
    """One parse: the text, its normalised form and the map between their columns."""

    def __init__(self, text: str) -> None:
        chars = []
        for i, c in enumerate(text):
            if c.isspace():
                chars.append(" ")
                continue
            if not c.isascii():
                hint = _CHARACTER_HINTS.get(c)
                advice = f"write {hint} instead" if hint else "formulas use plain ASCII"
                raise ExpressionError(
                    f"unexpected character {c!r} (U+{ord(c):04X}) at column {i + 1}; {advice}",
                    i + 1,
                )
            if not c.isprintable():
                raise ExpressionError(
                    f"unexpected control character U+{ord(c):04X} at column {i + 1}", i + 1
                )
            if c in _REFUSED_CHARACTERS:
                raise ExpressionError(
                    f"unexpected {c!r} at column {i + 1}; formulas have no "
                    f"{_REFUSED_CHARACTERS[c]}",
                    i + 1,
                )
            chars.append(c)
        self.s = "".join(chars)  # the text, white space made plain spaces: same columns
        content = self.s.strip(" ")
        if not content:
            raise ExpressionError("formula is empty")
        lead = len(self.s) - len(self.s.lstrip(" "))
        # ``^`` becomes ``**`` before parsing (as BitXor it would bind looser than + and *);
        # ``m[i]`` is the index in ``s`` of the character at index ``i`` of ``t``.
        parts: list[str] = []
        m: list[int] = []
        for j in range(lead, lead + len(content)):
            if self.s[j] == "^":
                parts.append("**")
                m += [j, j]
            else:
                parts.append(self.s[j])
                m.append(j)
        m.append(lead + len(content))  # the end of the formula
        self.t = "".join(parts)
        self.m = m
        self.results: dict[ast.AST, tuple[sympy.Expr | None, float | None]] = {}
        self.order: list[ast.AST] = []
        # A chain like ``a + b - c + d`` is built as one n-ary sympy Add (or Mul for * and
        # /) at its outermost node: building it pair by pair re-flattens every partial sum,
        # quadratic in its length (a 150-term sum: 116 000 sympy calls instead of 2 400).
        # ``inner`` holds the chain nodes that are some longer chain's left operand, and
        # ``terms`` their operands so far; their ``results`` entry has no sympy form.
        self.inner: set[ast.AST] = set()
        self.terms: dict[ast.AST, list[sympy.Expr]] = {}

    # -- positions and messages ---------------------------------------------------------

    def _col(self, i: int) -> int:
        """The 1-based column in the text of index ``i`` of the parsed text."""
        return self.m[min(max(i, 0), len(self.m) - 1)] + 1

    def _segment(self, node: ast.AST, limit: int = 40) -> str:
        start = self.m[node.col_offset]
        end = self.m[max(node.end_col_offset - 1, node.col_offset)] + 1
        text = self.s[start:end]
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def _error(self, what: str, i: int, hint: str | None = None) -> ExpressionError:
        col = self._col(i)
        message = f"{what} at column {col}" + (f"; {hint}" if hint else "")
        return ExpressionError(message, col)

    def _find(self, token: str, start: int, default: int) -> int:
        i = self.t.find(token, start)
        return default if i < 0 else i

    # -- the phases -------------------------------------------------------------------------

    def parse(self) -> sympy.Expr:
        self._check_numbers()
        try:
            tree = ast.parse(self.t, mode="eval")
        except SyntaxError as exc:
            raise self._syntax_error(exc) from None
        except (MemoryError, RecursionError):
            raise ExpressionError("formula is nested too deeply") from None
        except (ValueError, Warning):
            raise ExpressionError("formula cannot be read") from None
        self._check_limits(tree.body)
        self._check_allowed(tree.body)
        self.building: ast.expr = tree.body
        try:
            with _Effort(LIMITS["max_steps"], LIMITS["max_seconds"]):
                expr = self._build(tree.body)
        except _OverBudget:
            raise self._error(
                f"'{self._segment(self.building)}' is too complex to analyse",
                self.building.col_offset,
                f"sympy needed more than {LIMITS['max_steps']} steps "
                f"or {LIMITS['max_seconds']:g} s",
            ) from None
        except (MemoryError, RecursionError, OverflowError):
            raise ExpressionError("formula is too complex") from None
        return expr

    def _check_numbers(self) -> None:
        """Refuse a number followed by a letter: ``2x``, ``1j``, ``0x1f``, ``1if``."""
        match = _NUMBER_THEN_LETTER.search(self.t)
        if match is None:
            return
        number = match.group(1) + (match.group(2) or "")
        word = match.group(3)
        if word[0] in "jJ" and len(word) == 1:
            raise self._error(f"complex number '{number}{word}' is not allowed", match.start())
        if number == "0" and word[0] in "xXbBoO":
            raise self._error(
                f"invalid number '{number}{word}'", match.start(), "write numbers in decimal"
            )
        if keyword.iskeyword(word):
            raise self._error(f"unexpected '{word}'", match.start(3))
        raise self._error(
            f"missing operator between '{number}' and '{word}'",
            match.start(3),
            f"write {number}*{word} to multiply",
        )

    def _syntax_error(self, exc: SyntaxError) -> ExpressionError:
        msg = exc.msg or ""
        n = len(self.t)
        offset = exc.offset if exc.lineno in (None, 1) else None
        if offset is None or offset < 1 or offset > n:
            return self._error("formula ends unexpectedly", n)
        i = offset - 1
        char = self.s[self.m[i]]
        if "never closed" in msg:
            return self._error(f"unclosed {char!r}", i)
        if "unmatched" in msg or "does not match" in msg:
            return self._error(f"unmatched {char!r}", i)
        if "nested" in msg:
            return self._error("parentheses are nested too deeply", i)
        if "literal" in msg:
            while i > 0 and (self.t[i - 1].isalnum() or self.t[i - 1] in "._"):
                i -= 1
            token = _NUMBER_TOKEN.match(self.t, i)
            word = token.group() if token else char
            mixed = _NUMBER_THEN_NAME.fullmatch(word)
            if mixed:
                number, name = mixed.groups()
                return self._error(
                    f"missing operator between {number!r} and {name!r}",
                    i + len(number),
                    f"write {number}*{name} to multiply",
                )
            return self._error(f"invalid number {word!r}", i)
        end = exc.end_offset if exc.end_lineno in (None, exc.lineno) else None
        if end is not None and offset < end <= n + 1:
            token = self.s[self.m[i] : self.m[end - 2] + 1]
        else:
            token = char
        return self._error(f"unexpected {token!r}", i)

    def _check_limits(self, root: ast.expr) -> None:
        """Count expression nodes and measure nesting, iteratively."""
        max_nodes, max_depth = LIMITS["max_nodes"], LIMITS["max_depth"]
        count = 0
        stack: list[tuple[ast.AST, int]] = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            if isinstance(node, ast.expr):
                count += 1
                if depth > max_depth:
                    raise self._error(
                        "formula is nested too deeply",
                        node.col_offset,
                        f"at most {max_depth} levels",
                    )
            for child in ast.iter_child_nodes(node):
                flat = (
                    isinstance(node, ast.BinOp)
                    and child is node.left
                    and isinstance(child, ast.BinOp)
                    and _FAMILY.get(type(child.op), -1) == _FAMILY.get(type(node.op), -2)
                )
                grows = isinstance(child, ast.expr) and not flat
                stack.append((child, depth + 1 if grows else depth))
        if count > max_nodes:
            raise ExpressionError(f"formula is too complex ({count} parts; at most {max_nodes})")

    def _check_allowed(self, root: ast.expr) -> None:
        """Walk the tree from the left, refusing the first node outside the allowlist."""
        stack: list[ast.expr] = [root]
        while stack:
            node = stack.pop()
            children: list[ast.expr]
            if isinstance(node, ast.Constant):
                self._check_constant(node)
                children = []
            elif isinstance(node, ast.Name):
                self._check_name(node)
                children = []
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
                children = [node.operand]
            elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
                children = [node.left, node.right]
            elif isinstance(node, ast.Call):
                self._check_call(node)
                children = list(node.args)
            else:
                raise self._refusal(node)
            stack.extend(reversed(children))

    def _check_constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool) or value is None:
            raise self._error(f"unknown name '{value}'", node.col_offset, "use x and y")
        if isinstance(value, int):
            max_digits = LIMITS["max_digits"]
            if abs(value) >= 10**max_digits:
                raise self._error(
                    f"number '{self._segment(node)}' has too many digits",
                    node.col_offset,
                    f"at most {max_digits}",
                )
        elif isinstance(value, float):
            if not (math.isfinite(value) and abs(value) <= 10.0 ** LIMITS["max_log10"]):
                raise self._error(
                    f"number '{self._segment(node)}' is too large",
                    node.col_offset,
                    f"at most 1e{LIMITS['max_log10']}",
                )
        elif isinstance(value, complex):
            raise self._error(
                f"complex number '{self._segment(node)}' is not allowed", node.col_offset
            )
        elif value is Ellipsis:
            raise self._error("unexpected '...'", node.col_offset)
        else:
            raise self._error("text is not allowed", node.col_offset)

    def _check_name(self, node: ast.Name) -> None:
        name = node.id
        if name in _NAMES:
            return
        if name in _FUNCTIONS:
            raise self._error(f"'{name}' is a function", node.col_offset, f"write {name}(...)")
        if name.lower() in _NAMES:
            hint = f"names are lower case: {name.lower()}"
        else:
            hint = "use x and y"
        raise self._error(f"unknown name '{name}'", node.col_offset, hint)

    def _check_call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                raise self._refusal(func)
            i = self._find("(", func.end_col_offset, node.col_offset)
            raise self._error("unexpected '('", i, "only functions such as sin(...) are called")
        name = func.id
        if name not in _FUNCTIONS:
            if name in _NAMES:
                raise self._error(
                    f"'{name}' is not a function",
                    func.col_offset,
                    f"write {name}*(...) to multiply",
                )
            alias = _FUNCTION_ALIASES.get(name)
            hint = f"did you mean {alias}?" if alias else "use one of: " + ", ".join(_FUNCTIONS)
            raise self._error(f"unknown function '{name}'", func.col_offset, hint)
        for kw in node.keywords:
            if kw.arg is None:
                raise self._error("unexpected '**'", kw.col_offset)
            raise self._error(f"keyword argument '{kw.arg}=' is not allowed", kw.col_offset)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._error("unexpected '*'", arg.col_offset)
        arity = _FUNCTIONS[name][0]
        if len(node.args) != arity:
            plural = "argument" if arity == 1 else "arguments"
            raise self._error(
                f"{name} takes {arity} {plural}, got {len(node.args)}", node.col_offset
            )

    def _refusal(self, node: ast.AST) -> ExpressionError:
        """The error for a node outside the allowlist, placed at its telling token."""
        at = getattr(node, "col_offset", 0)
        if isinstance(node, ast.Attribute):
            i = self.t.rfind(".", node.value.end_col_offset, node.end_col_offset)
            return self._error(
                f"attribute access '.{node.attr}' is not allowed", at if i < 0 else i
            )
        if isinstance(node, ast.Subscript):
            i = self._find("[", node.value.end_col_offset, at)
            return self._error("indexing with '[...]' is not allowed", i)
        if isinstance(node, ast.Tuple):
            if node.elts:
                comma = self._find(",", node.elts[0].end_col_offset, at)
                return self._error("unexpected ','", comma)
            return self._error("unexpected '()'", at, "parentheses need something inside")
        if isinstance(node, (ast.List, ast.ListComp)):
            return self._error("unexpected '['", at, "use ( ) to group")
        if isinstance(node, (ast.Set, ast.Dict, ast.SetComp, ast.DictComp)):
            return self._error("unexpected '{'", at, "use ( ) to group")
        if isinstance(node, ast.GeneratorExp):
            return self._error("unexpected 'for'", self._find("for", node.elt.end_col_offset, at))
        if isinstance(node, ast.Compare):
            op = _COMPARISONS.get(type(node.ops[0]), "comparison")
            i = self._find(op, node.left.end_col_offset, at)
            return self._error(f"comparison '{op}' is not allowed", i)
        if isinstance(node, ast.BoolOp):
            word = "and" if isinstance(node.op, ast.And) else "or"
            i = self._find(word, node.values[0].end_col_offset, at)
            return self._error(f"'{word}' is not allowed", i)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return self._error("'not' is not allowed", at)
            return self._error("unexpected '~'", at)
        if isinstance(node, ast.BinOp):
            op = _OTHER_BINARY.get(type(node.op), "?")
            i = self._find(op, node.left.end_col_offset, at)
            return self._error(f"operator '{op}' is not supported", i)
        if isinstance(node, ast.IfExp):
            i = self._find("if", node.body.end_col_offset, at)
            return self._error("'if ... else' is not allowed", i, "use min, max or abs")
        if isinstance(node, ast.Lambda):
            return self._error("'lambda' is not allowed", at)
        if isinstance(node, ast.NamedExpr):
            i = self._find(":=", node.target.end_col_offset, at)
            return self._error("assignment ':=' is not allowed", i)
        if isinstance(node, ast.Starred):
            return self._error("unexpected '*'", at)
        if isinstance(node, ast.Await):
            return self._error("'await' is not allowed", at)
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return self._error("'yield' is not allowed", at)
        if isinstance(node, ast.expr):
            return self._error(f"unexpected '{self._segment(node)}'", at)
        return self._error("unexpected input", at)

    # -- conversion -------------------------------------------------------------------------

    def _build(self, root: ast.expr) -> sympy.Expr:
        """Convert the checked tree bottom-up with an explicit stack."""
        results = self.results
        self.inner = {
            node.left
            for node in ast.walk(root)
            if isinstance(node, ast.BinOp) and _same_chain(node, node.left)
        }
        stack: list[tuple[ast.expr, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            kids = _children(node)
            if kids and not ready:
                stack.append((node, True))
                stack.extend((kid, False) for kid in reversed(kids))
                continue
            self.building = node
            try:
                expr, value = self._convert(node, [results[kid] for kid in kids])
            except ExpressionError:
                raise
            except (ValueError, TypeError, ArithmeticError, NotImplementedError):
                # sympy refuses, e.g. max of an undefined part: report that part if any.
                self._raise_first_problem()
                raise self._error(
                    f"'{self._segment(node)}' cannot be computed", node.col_offset
                ) from None
            if expr is None:  # inside a chain: only its outermost node builds
                results[node] = (expr, value)
                continue
            if any(expr is u for u in _UNDEFINED):
                raise self._error(f"'{self._segment(node)}' is undefined", node.col_offset)
            if value is None and expr.is_Number:
                value = self._number_value(node, expr)
            results[node] = (expr, value)
            self.order.append(node)
        expr = results[root][0]
        if _problem(expr, LIMITS["max_log10"], LIMITS["max_depth"]) is not None:
            self._raise_first_problem()
        return expr

    def _raise_first_problem(self) -> None:
        """Raise the error of the innermost converted part whose sympy form has a problem
        (see ``_problem``); return if there is none."""
        limits = LIMITS["max_log10"], LIMITS["max_depth"]
        for node in self.order:  # innermost first: place the error where it starts
            expr = self.results[node][0]
            if expr is None:
                continue
            problem = _problem(expr, *limits)
            if problem == "nested too deeply":
                raise self._error(
                    "formula is nested too deeply", node.col_offset, f"at most {limits[1]} levels"
                )
            if problem is not None:
                raise self._error(f"'{self._segment(node)}' is {problem}", node.col_offset)

    def _number_value(self, node: ast.expr, expr: sympy.Number) -> float:
        if _magnitude(expr) > LIMITS["max_log10"] + 1:
            raise self._error(f"'{self._segment(node)}' is too large", node.col_offset)
        return float(expr)

    def _evaluate(self, node: ast.expr, fn: Callable[..., float], *args: float) -> float:
        """The double-precision value of a constant part, or the error that it has none."""
        segment = self._segment(node)
        try:
            value = fn(*args)
        except ZeroDivisionError:
            raise self._error(f"'{segment}' divides by zero", node.col_offset) from None
        except OverflowError:
            raise self._error(f"'{segment}' is too large", node.col_offset) from None
        except ValueError:
            raise self._error(f"'{segment}' is undefined", node.col_offset) from None
        if isinstance(value, complex) or math.isnan(value):
            raise self._error(f"'{segment}' is undefined", node.col_offset)
        if not abs(value) <= 10.0 ** LIMITS["max_log10"]:
            raise self._error(f"'{segment}' is too large", node.col_offset)
        return float(value)

    def _chain(self, node: ast.BinOp, a: sympy.Expr | None, b: sympy.Expr) -> sympy.Expr | None:
        """Add ``b`` to the chain that ``node`` extends; the sympy form of the whole chain at
        its outermost node, None inside it."""
        op = type(node.op)
        terms = self.terms.pop(node.left, None) if _same_chain(node, node.left) else None
        if terms is None:
            terms = [a]
        terms.append(-b if op is ast.Sub else 1 / b if op is ast.Div else b)
        if node in self.inner:
            self.terms[node] = terms
            return None
        return sympy.Add(*terms) if _FAMILY[op] == 0 else sympy.Mul(*terms)

    def _convert(
        self, node: ast.expr, args: list[tuple[sympy.Expr, float | None]]
    ) -> tuple[sympy.Expr, float | None]:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, int):
                return sympy.Integer(node.value), float(node.value)
            return sympy.Float(repr(node.value)), node.value
        if isinstance(node, ast.Name):
            return _NAMES[node.id]
        if isinstance(node, ast.UnaryOp):
            ((a, va),) = args
            if isinstance(node.op, ast.UAdd):
                return a, va
            return -a, (None if va is None else -va)
        if isinstance(node, ast.BinOp):
            (a, va), (b, vb) = args
            both = va is not None and vb is not None
            op = type(node.op)
            if op is ast.Pow:
                return self._power(node, a, va, b, vb)
            if op is ast.Div and vb == 0.0:
                raise self._error(f"'{self._segment(node)}' divides by zero", node.col_offset)
            value = self._evaluate(node, _ARITHMETIC[op], va, vb) if both else None
            return self._chain(node, a, b), value
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        _arity, build, twin = _FUNCTIONS[node.func.id]
        values = [v for _, v in args]
        value = None
        if all(v is not None for v in values):
            value = self._evaluate(node, twin, *values)
        return build(*(a for a, _ in args)), value

    def _power(
        self, node: ast.BinOp, base: sympy.Expr, vb: float | None, exp: sympy.Expr, ve: float | None
    ) -> tuple[sympy.Expr, float | None]:
        if ve is not None:
            max_exponent = LIMITS["max_exponent"]
            if abs(ve) > max_exponent:
                raise self._error(
                    f"exponent '{self._segment(node.right)}' is too large",
                    node.right.col_offset,
                    f"at most {max_exponent} in magnitude",
                )
            # Exact numbers raised to a power grow by |exponent| times their digits: bound
            # that before sympy computes it (sympy distributes powers over products too).
            size = max((_digits(a) for a in base.atoms(sympy.Number)), default=0.0)
            if vb is not None and vb != 0.0:
                size = max(size, abs(math.log10(abs(vb))))
            if abs(ve) * size > LIMITS["max_log10"]:
                raise self._error(f"'{self._segment(node)}' is too large", node.col_offset)
        value = None
        if vb is not None and ve is not None:
            value = self._evaluate(node, lambda p, q: p**q, vb, ve)
        return base**exp, value


def _same_chain(node: ast.BinOp, left: ast.expr) -> bool:
    """Whether ``left`` (``node``'s left operand) and ``node`` make one +/- or * and / chain."""
    return isinstance(left, ast.BinOp) and _FAMILY.get(type(left.op), -1) == _FAMILY.get(
        type(node.op), -2
    )


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []
