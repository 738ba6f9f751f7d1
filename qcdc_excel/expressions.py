"""Rule expressions over indicator codes, e.g. ``II.5.2 == II.5.3 + II.5.4 + II.5.5``.

One parsed form serves both sides of the project: :meth:`Expression.evaluate` is the Python
check and :meth:`Expression.excel_condition` compiles the same comparison to a classic Excel
formula, so the in-sheet checks and the validator cannot drift apart.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable, Mapping

from .numbers import formula_literal

OPERATORS = ("<=", ">=", "==", "!=", "<", ">")
_EXCEL_OP = {"<=": "<=", ">=": ">=", "==": "=", "!=": "<>", "<": "<", ">": ">"}
MISSING_STRATEGIES = ("skip_if_any_missing", "skip_if_all_missing", "never_skip")

_TOKEN = re.compile(r"\s*(?:(?P<op><=|>=|==|!=|<|>|=)|(?P<sign>[+-])|(?P<code>[IVX]+(?:\.\d+)*)"
                    r"|(?P<num>\d+(?:\.\d+)?))")

# Differences are rounded to this many decimals before comparing, in Python and in Excel alike,
# so float noise in amounts (0.1 + 0.2 - 0.3) never fails an equality.
ROUND_DIGITS = 6


class ExpressionError(ValueError):
    """A malformed expression; carries its reason in Vietnamese and English."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(vi)
        self.vi, self.en = vi, en


@dataclass(frozen=True)
class Term:
    sign: int  # +1 or -1
    code: str | None  # an indicator code, or None for a constant
    constant: float = 0.0


@dataclass(frozen=True)
class Expression:
    text: str
    left: tuple[Term, ...]
    op: str
    right: tuple[Term, ...]

    @functools.cached_property
    def codes(self) -> tuple[str, ...]:
        """Indicator codes in order of first appearance."""
        seen: dict[str, None] = {}
        for term in self.left + self.right:
            if term.code:
                seen.setdefault(term.code, None)
        return tuple(seen)

    # --- Python evaluation ------------------------------------------------------------------
    def evaluate(self, values: Mapping[str, float | None], missing: str) -> "Outcome":
        present = [values.get(c) is not None for c in self.codes]
        if missing == "skip_if_any_missing" and not all(present):
            return Outcome("skipped", None, None)
        if missing == "skip_if_all_missing" and not any(present):
            return Outcome("skipped", None, None)
        left = _side_value(self.left, values)
        right = _side_value(self.right, values)
        diff = round(left - right, ROUND_DIGITS)
        ok = {"<=": diff <= 0, ">=": diff >= 0, "==": diff == 0, "!=": diff != 0,
              "<": diff < 0, ">": diff > 0}[self.op]
        return Outcome("passed" if ok else "failed", _clean(left), _clean(right))

    # --- Excel compilation ------------------------------------------------------------------
    def excel_condition(self, cell: Callable[[str], str]) -> str:
        """A formula (without '=') that is TRUE when the rule holds; blanks count as 0."""
        left = _excel_side(self.left, cell)
        right = _excel_side(self.right, cell)
        return f"ROUND({left}-({right}),{ROUND_DIGITS}){_EXCEL_OP[self.op]}0"

    def excel_skip(self, cell: Callable[[str], str], missing: str) -> str | None:
        """A formula that is TRUE when the rule must be skipped, or None for never_skip."""
        refs = ",".join(cell(c) for c in self.codes)
        n = len(self.codes)
        if missing == "skip_if_any_missing":
            return f"COUNT({refs})<{n}"
        if missing == "skip_if_all_missing":
            return f"COUNT({refs})=0"
        return None


@dataclass(frozen=True)
class Outcome:
    status: str  # passed | failed | skipped
    left: float | None
    right: float | None


def _side_value(terms: tuple[Term, ...], values: Mapping[str, float | None]) -> float:
    total = 0.0
    for term in terms:
        v = values.get(term.code) if term.code else term.constant
        total += term.sign * (v or 0.0)
    return total


def _clean(value: float) -> float | int:
    """Whole results are shown as whole numbers (158, not 158.0)."""
    r = round(value, ROUND_DIGITS)
    return int(r) if r == int(r) else r


def _excel_side(terms: tuple[Term, ...], cell: Callable[[str], str]) -> str:
    parts = []
    for i, term in enumerate(terms):
        ref = f"N({cell(term.code)})" if term.code else formula_literal(term.constant)
        sign = "-" if term.sign < 0 else ("+" if i else "")
        parts.append(f"{sign}{ref}")
    return "".join(parts)


def parse_expression(text: str) -> Expression:
    """Parse ``sum op sum``; raises ExpressionError saying what is wrong."""
    pos, tokens = 0, []
    text = str(text)
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:pos + 12]
            raise ExpressionError(f"ký tự không hợp lệ tại vị trí {pos + 1}: “{bad}”",
                                  f"invalid character at position {pos + 1}: '{bad}'")
        kind = m.lastgroup
        value = m.group(kind)
        tokens.append((kind, "==" if value == "=" else value))
        pos = m.end()
    ops = [i for i, (k, _) in enumerate(tokens) if k == "op"]
    if len(ops) != 1:
        raise ExpressionError("biểu thức phải có đúng một phép so sánh (<=, >=, ==, !=, <, >)",
                              "an expression needs exactly one comparison (<=, >=, ==, !=, <, >)")
    i = ops[0]
    left = _parse_side(tokens[:i])
    right = _parse_side(tokens[i + 1:])
    return Expression(text.strip(), left, tokens[i][1], right)


def _parse_side(tokens: list[tuple[str, str]]) -> tuple[Term, ...]:
    if not tokens:
        raise ExpressionError("thiếu vế trái hoặc vế phải của phép so sánh",
                              "a side of the comparison is missing")
    terms, sign, expect_operand = [], 1, True
    for kind, value in tokens:
        if kind == "sign":
            if not expect_operand and value in "+-":
                sign = 1 if value == "+" else -1
                expect_operand = True
                continue
            if expect_operand and not terms and value == "-":
                sign = -sign
                continue
            raise ExpressionError(f"dấu “{value}” đặt sai chỗ", f"misplaced sign '{value}'")
        if not expect_operand:
            raise ExpressionError(f"thiếu dấu + hoặc - trước “{value}”", f"missing + or - before '{value}'")
        if kind == "code":
            terms.append(Term(sign, value))
        else:
            terms.append(Term(sign, None, float(value)))
        sign, expect_operand = 1, False
    if expect_operand:
        raise ExpressionError("biểu thức kết thúc bằng một dấu", "the expression ends with a sign")
    return tuple(terms)
