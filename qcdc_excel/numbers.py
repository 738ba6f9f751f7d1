"""Numbers as the package writes them: for people (Vietnamese ``11.796,9`` and ``94,1%``, or English
``11,796.9``), for a spreadsheet cell, and inside an Excel formula.

The one place a number is formatted: the findings' messages, the command line's figures and the Word
report's sentences all go through :func:`format_number` and :func:`format_percent`. A core module: it
imports nothing from the package, so reading and checking modules may use it.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_VI_MARKS = str.maketrans(",.", ".,")  # 11,796.9 -> 11.796,9: the two marks trade places


def format_number(x: object, lang: str = "vi", *, pad: bool = False, places: int | None = None) -> str:
    """``x`` as a reader of ``lang`` writes it: 11796.9 -> '11.796,9' (vi), '11,796.9' (en); None -> ''.

    A whole number prints without decimals (158.0 -> '158'). ``places``: at most that many decimals,
    rounded, trailing zeros dropped (the report's '0,123'); None: up to 10 significant digits, the
    number as typed (the messages'). ``pad``: a count from 1 to 9 as two digits ('02'), as
    administrative writing pads small counts.
    """
    if x is None:
        return ""
    if isinstance(x, Decimal):
        x = int(x) if x.is_finite() and x == x.to_integral_value() else float(x)
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    if isinstance(x, int):
        if pad and 0 < x < 10:
            return f"{x:02d}"
        text = f"{x:,}"
    elif places is None:
        text = f"{x:,.10g}"
    else:
        text = f"{x:,.{places}f}".rstrip("0").rstrip(".")
    return text if lang == "en" else text.translate(_VI_MARKS)


def format_percent(part: object, whole: object, lang: str = "vi") -> str | None:
    """``part`` of ``whole`` in per cent, one decimal rounded half up: 16 of 17 -> '94,1%' (vi),
    '94.1%' (en), the sign against the figure as Vietnamese (and English) writing puts it, so a line never
    breaks between them; None when there is no whole (or no part)."""
    if whole in (None, 0) or part is None:
        return None
    ratio = (Decimal(str(part)) * 100 / Decimal(str(whole))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{ratio}%"
    return text if lang == "en" else text.replace(".", ",")


def plain(value: object) -> object:
    """The number a spreadsheet cell or a rule takes: a Decimal total as a float, anything else as it is."""
    return float(value) if isinstance(value, Decimal) else value


def formula_literal(x: float) -> str:
    """A constant inside an Excel formula: '158' for 158.0, '0.5' (a point, never grouped)."""
    return str(int(x)) if x == int(x) else repr(x)


__all__ = ["format_number", "format_percent", "plain", "formula_literal"]
