"""Reporting periods: 2023Q1..2023Q4 (quarter), 2023S1/2023S2 (half-year), 2023 (year)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .i18n import QcdcError

_PATTERN = re.compile(r"^(\d{4})(?:([QS])(\d))?$")
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: str  # "Q", "S" or "Y"
    number: int  # quarter 1-4, half 1-2, 0 for a year

    @property
    def code(self) -> str:
        return str(self.year) if self.kind == "Y" else f"{self.year}{self.kind}{self.number}"

    def label(self, lang: str = "vi") -> str:
        if lang == "en":
            return {"Q": f"Q{self.number} {self.year}", "S": f"H{self.number} {self.year}",
                    "Y": f"Year {self.year}"}[self.kind]
        if self.kind == "Q":
            return f"Quý {_ROMAN[self.number]} năm {self.year}"
        if self.kind == "S":
            half = "đầu" if self.number == 1 else "cuối"
            return f"6 tháng {half} năm {self.year}"
        return f"Năm {self.year}"

    def __str__(self) -> str:
        return self.code


def parse_period(value: object) -> Period:
    """Parse a period code; anything else raises a QcdcError with the accepted forms."""
    text = str(value).strip().upper() if value is not None else ""
    m = _PATTERN.match(text)
    if m:
        year = int(m.group(1))
        kind = m.group(2) or "Y"
        number = int(m.group(3) or 0)
        valid = (kind == "Y") or (kind == "Q" and 1 <= number <= 4) or (kind == "S" and 1 <= number <= 2)
        if valid and 2000 <= year <= 2100:
            return Period(year, kind, number)
    raise QcdcError("period-invalid", value=value)
