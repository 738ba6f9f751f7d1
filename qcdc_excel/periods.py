"""Reporting periods: 2023Q1..2023Q4 (quarter), 2023S1/2023S2 (half-year), 2023 (year)."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from .i18n import QcdcError, fold

VN_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")  # Vietnam's clock (no daylight saving): deadlines are its dates

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

    @property
    def months(self) -> tuple[int, int]:
        """First and last calendar month of the period."""
        if self.kind == "Q":
            return 3 * self.number - 2, 3 * self.number
        if self.kind == "S":
            return 6 * self.number - 5, 6 * self.number
        return 1, 12

    @property
    def span(self) -> tuple[dt.date, dt.date]:
        """The calendar days the period names (a quarter: its three months)."""
        first, last = self.months
        return (dt.date(self.year, first, 1),
                dt.date(self.year, last, calendar.monthrange(self.year, last)[1]))

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        """The usual cut-off window of the figures (Decree 09/2019/NĐ-CP, art. 12): from the 15th
        of the month before the period to the 14th of its last month. Quý I 2023 counts from
        15/12/2022 to 14/03/2023; 6 tháng đầu năm from 15/12 to 14/06; a year from 15/12 to 14/12."""
        first, last = self.months
        start = dt.date(self.year - 1, 12, 15) if first == 1 else dt.date(self.year, first - 1, 15)
        return start, dt.date(self.year, last, 14)


def vn_date(day: dt.date) -> str:
    """'ngày 05 tháng 3 năm 2021', 'ngày 15 tháng 02 năm 2021': Decree 30/2020 pads a day below 10 and
    the months 1 and 2 with a zero. The one rule for every date line: the form, the consolidated
    workbook and the Word report."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


# The period in words, as a form prints it and as people type it (accents and case folded):
# "Quý I năm 2023", "Quý 1/2023", "6 tháng đầu năm 2023", "6 tháng cuối năm 2023", "Năm 2023".
_ROMAN_NUMBER = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_WORDS = (
    (re.compile(r"^quy\s*(iv|iii|ii|i|[1-4])\s*(?:nam|/|-)?\s*(\d{4})$"), "Q"),
    (re.compile(r"^(?:06|6)\s*thang\s*(dau|cuoi)\s*(?:nam|/|-)?\s*(\d{4})$"), "S"),
    (re.compile(r"^nam\s*(\d{4})$"), "Y"),
)


def _parse_words(text: str) -> tuple[int, str, int] | None:
    folded = " ".join(fold(text).replace("ky bao cao:", "").split())
    for pattern, kind in _WORDS:
        m = pattern.match(folded)
        if not m:
            continue
        if kind == "Q":
            return int(m.group(2)), kind, _ROMAN_NUMBER[m.group(1)]
        if kind == "S":
            return int(m.group(2)), kind, 1 if m.group(1) == "dau" else 2
        return int(m.group(1)), kind, 0
    return None


def parse_period(value: object) -> Period:
    """Parse a period code (2023Q1, 2023S1, 2023) or its words (Quý I năm 2023, 6 tháng đầu năm
    2023, Năm 2023); anything else raises a QcdcError with the accepted forms."""
    text = str(value).strip().upper() if value is not None else ""
    m = _PATTERN.match(text)
    parts = None
    if m:
        parts = int(m.group(1)), m.group(2) or "Y", int(m.group(3) or 0)
    elif text:
        parts = _parse_words(text)
    if parts:
        year, kind, number = parts
        valid = (kind == "Y") or (kind == "Q" and 1 <= number <= 4) or (kind == "S" and 1 <= number <= 2)
        if valid and 2000 <= year <= 2100:
            return Period(year, kind, number)
    raise QcdcError("period-invalid", value=value)
