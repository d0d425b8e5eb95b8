"""``ExpressionError``, kept apart from the parser so ``import optviz`` needs no sympy."""

from __future__ import annotations


class ExpressionError(ValueError):
    """A formula that cannot be used; the message says what is wrong and where.

    ``column`` is the 1-based column of the problem in the text, or ``None`` when the
    problem has no place (an empty or too long formula).
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
