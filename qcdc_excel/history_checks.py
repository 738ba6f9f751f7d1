"""Checks against history: each unit's figures against its own earlier periods and its siblings.

- ``cumulative-mismatch``: a half-year or a year against the sum of its parts (quarters, or a
  half-year and quarters) for ``sum`` indicators; an error when the data windows chain exactly, a
  warning when they do not.
- ``period-jump``: against the unit's previous period of the same kind and the same period a year
  earlier: ×3 or ÷3 when the larger value is at least 10, zero to at least 10 or back, any change of a
  ``reorganisation`` stock; both values 0–9 never speak.
- ``sibling-outlier``: a modified z-score on log(1 + value) above 3.5 among the units of the same
  parent, with at least 8 siblings reporting.

Findings are added to the submissions (with the cell, so the feedback copy marks it, and ``data``:
the value, the value it was compared with and that period, for the JSON) and their status is
recomputed. Part of the reading and checking core: no writer is imported.
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
import statistics
from decimal import Decimal
from typing import Iterable

from .catalog import NUMERIC_KINDS, Catalog, Indicator, load_catalog
from .findings import Finding, finding
from .history import Series, UnitPeriod
from .i18n import QcdcError
from .numbers import format_number
from .periods import Period, parse_period
from .record import Submission, status_of
from .roster import Roster

JUMP_FACTOR, JUMP_FLOOR = 3, 10  # ×3 or ÷3 when the larger value is at least 10
Z_LIMIT, Z_SIBLINGS = 3.5, 8  # modified z-score above 3.5, with at least 8 siblings reporting
MAD_FLOOR = math.log(2) * 0.6745 / Z_LIMIT  # a score above 3.5 needs at least a factor of 2 (see modified_z)


def check_history(subs: Iterable[Submission], series: Series, roster: Roster | None = None) -> None:
    """Add the findings of the three checks to ``subs`` (read and checked this run), given the earlier
    periods in ``series``; sibling outliers compare the units of this run. Statuses are recomputed."""
    subs = [s for s in subs if _checkable(s)]
    for sub in subs:
        catalog = load_catalog(sub.catalog_version)
        period = parse_period(sub.period)
        sub.findings.extend(_cumulative(sub, catalog, period, series))
        sub.findings.extend(_jumps(sub, catalog, period, series))
    for sub, found in _outliers(subs, roster):
        sub.findings.extend(found)
    for sub in subs:
        sub.status = status_of(sub.findings)


def _checkable(sub: Submission) -> bool:
    if sub.status == "unreadable" or not sub.unit_code or not sub.catalog_version or sub.layout is None:
        return False
    try:
        parse_period(sub.period)
    except QcdcError:
        return False
    return True


def _number(value: object) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _dec(value: float | int) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _shown(value: object, ind: Indicator, lang: str) -> str:
    number = format_number(value, lang)
    return f"{number} {ind.unit}" if lang == "vi" and ind.unit else number


def _where(sub: Submission, ind: Indicator) -> dict:
    layout = sub.layout
    return {"sheet": layout.sheet_name, "cell": layout.cells.get(ind.code), "indicator": ind.code,
            "label": ind.label.lstrip("- "), "label_en": ind.label_en.lstrip("- ")}


def _words(period: Period) -> tuple[str, str]:
    return period.label("vi"), period.label("en")


# --- cumulative-mismatch -----------------------------------------------------------------------------------
def parts_of(period: Period) -> list[list[Period]]:
    """The chains of shorter periods that make ``period``, most detailed first (none for a quarter)."""
    y = period.year
    q, h = (lambda n: Period(y, "Q", n)), (lambda n: Period(y, "S", n))
    if period.kind == "S":
        return [[q(2 * period.number - 1), q(2 * period.number)]]
    if period.kind == "Y":
        return [[q(1), q(2), q(3), q(4)], [h(1), q(3), q(4)], [q(1), q(2), h(2)], [h(1), h(2)]]
    return []


def chains_exactly(window: tuple[dt.date, dt.date], parts: list[tuple[dt.date, dt.date]]) -> bool:
    """The parts' windows cover ``window`` day after day: the first starts on its first day, each starts
    the day after the one before ends, the last ends on its last day."""
    day = dt.timedelta(days=1)
    return (parts[0][0] == window[0] and parts[-1][1] == window[1]
            and all(a[1] + day == b[0] for a, b in zip(parts, parts[1:])))


def _chain(sub: Submission, period: Period, series: Series) -> list[UnitPeriod] | None:
    """The unit's figures of the first chain of parts of ``period`` the series holds whole."""
    for parts in parts_of(period):
        found = [series.get(sub.unit_code, sub.form or "own", p) for p in parts]
        if all(found):
            return found
    return None


def _cumulative(sub: Submission, catalog: Catalog, period: Period, series: Series) -> list[Finding]:
    chain = _chain(sub, period, series)
    if not chain:
        return []
    window = sub.window or period.window
    exact = chains_exactly(window, [p.window for p in chain])
    out = []
    for ind in catalog.indicators.values():
        now = _number(sub.values.get(ind.code))
        olds = [_number(p.values.get(ind.code)) for p in chain]
        if ind.over_time != "sum" or now is None or any(v is None for v in olds):
            continue
        total = sum((_dec(v) for v in olds), Decimal(0))
        if _dec(now) != total:
            out.append(_cumulative_finding(sub, ind, period, chain, now, total, exact, window))
    return out


def _cumulative_finding(sub: Submission, ind: Indicator, period: Period, chain: list[UnitPeriod], now,
                        total: Decimal, exact: bool, window) -> Finding:
    def listed(lang: str) -> str:
        return " + ".join(f"{p.period.label(lang)}: {_shown(p.values[ind.code], ind, lang)}" for p in chain)

    def window_words(lang: str) -> str:
        dates = "; ".join(f"{p.period.label(lang)} {_dates(p.window)}" for p in chain)
        return f"{period.label(lang)} {_dates(window)}; {dates}"

    note = (("thời gian tính số liệu các kỳ nối liền nhau nên hai số phải bằng nhau",
             "the periods' data windows chain, so the two must be equal") if exact else
            ("thời gian tính số liệu các kỳ không nối liền nhau (" + window_words("vi") + ")",
             "the periods' data windows do not chain (" + window_words("en") + ")"))
    codes = "+".join(p.period.code for p in chain)
    return finding("cumulative-mismatch", "error" if exact else "warning", **_where(sub, ind),
                   period_words=_words(period), value_shown=(_shown(now, ind, "vi"), _shown(now, ind, "en")),
                   total_shown=(_shown(total, ind, "vi"), _shown(total, ind, "en")),
                   parts=(listed("vi"), listed("en")), note=note,
                   data=(("value", now), ("previous_value", float(total) if total % 1 else int(total)),
                         ("previous_period", codes), ("windows_chain", exact)))


def _dates(window: tuple[dt.date, dt.date]) -> str:
    return f"{window[0]:%d/%m/%Y}–{window[1]:%d/%m/%Y}"


# --- period-jump -----------------------------------------------------------------------------------------
def references(period: Period) -> list[Period]:
    """The previous period of the same kind, and the same period a year earlier (once for a year)."""
    if period.kind == "Y":
        return [Period(period.year - 1, "Y", 0)]
    count = 4 if period.kind == "Q" else 2
    previous = (Period(period.year, period.kind, period.number - 1) if period.number > 1
                else Period(period.year - 1, period.kind, count))
    year_ago = Period(period.year - 1, period.kind, period.number)
    return [previous] + ([year_ago] if year_ago != previous else [])


def jump(before: float, now: float, fixed: bool = False) -> tuple[str, str] | None:
    """Why the change from ``before`` to ``now`` is worth a look, in words (vi, en), or None."""
    low, high = sorted((before, now))
    if before == now or high < JUMP_FLOOR:
        return None
    if fixed:
        return ("số này chỉ thay đổi khi sắp xếp lại địa giới, đơn vị hành chính",
                "this figure changes only when units are reorganised")
    if low == 0:
        return ("từ 0 tăng lên", "up from 0") if before == 0 else ("giảm về 0", "down to 0")
    if high >= JUMP_FACTOR * low:
        return (("tăng từ 3 lần trở lên", "up threefold or more") if now > before
                else ("giảm còn một phần ba trở xuống", "down to a third or less"))
    return None


_NUMERIC: dict[str, list[tuple[Indicator, bool]]] = {}  # catalog version -> (indicator, a reorganisation stock)


def _numeric(catalog: Catalog) -> list[tuple[Indicator, bool]]:
    found = _NUMERIC.get(catalog.version)
    if found is None:
        found = _NUMERIC[catalog.version] = [(i, i.code in catalog.reorganisation)
                                             for i in catalog.indicators.values() if i.kind in NUMERIC_KINDS]
    return found


def _jumps(sub: Submission, catalog: Catalog, period: Period, series: Series) -> list[Finding]:
    out = []
    for ref in references(period):
        earlier = series.get(sub.unit_code, sub.form or "own", ref)
        if earlier is None:
            continue
        for ind, fixed in _numeric(catalog):  # every unit, every indicator: kept lean
            now, before = sub.values.get(ind.code), earlier.values.get(ind.code)
            if now == before or type(now) not in (int, float) or type(before) not in (int, float):
                continue
            why = jump(before, now, fixed)
            if why is not None:
                out.append(_jump_finding(sub, ind, period, ref, now, before, why))
    return out


def _jump_finding(sub: Submission, ind: Indicator, period: Period, ref: Period, now, before, why) -> Finding:
    return finding("period-jump", **_where(sub, ind), why=why,
                   period_words=_words(period), previous_words=_words(ref),
                   value_shown=(_shown(now, ind, "vi"), _shown(now, ind, "en")),
                   previous_shown=(_shown(before, ind, "vi"), _shown(before, ind, "en")),
                   data=(("value", now), ("previous_value", before), ("previous_period", ref.code)))


# --- sibling-outlier -------------------------------------------------------------------------------------
def modified_z(value: float, sample: list[float]) -> float:
    """Iglewicz and Hoaglin's modified z-score of ``value`` in ``sample``: 0.6745 × (value − median) ÷
    MAD. The MAD is taken as at least :data:`MAD_FLOOR`, so that siblings who nearly all type the same
    figure do not make a small difference an outlier: on log counts a unit must then be at least twice
    or at most half the middle figure to score above 3.5."""
    return _scores([value], sample)[0]


def _scores(values: list[float], sample: list[float]) -> list[float]:
    """:func:`modified_z` of each of ``values``, the median and the MAD of ``sample`` taken once."""
    med = statistics.median(sample)
    mad = max(statistics.median(abs(x - med) for x in sample), MAD_FLOOR)
    return [0.6745 * (v - med) / mad for v in values]


def _outliers(subs: list[Submission], roster: Roster | None) -> list[tuple[Submission, list[Finding]]]:
    groups: dict[tuple, dict[str, Submission]] = {}
    for sub in sorted(subs, key=lambda s: (s.mtime, str(s.path))):  # a unit's later file stands for it
        parent = roster[sub.unit_code].parent if roster is not None and sub.unit_code in roster else sub.parent_code
        groups.setdefault((parent, sub.level, sub.form, sub.period), {})[sub.unit_code] = sub
    out = []
    for members in groups.values():
        if len(members) > Z_SIBLINGS:
            out.extend(_group_outliers(list(members.values())))
    return out


def _group_outliers(members: list[Submission]) -> list[tuple[Submission, list[Finding]]]:
    catalog = load_catalog(members[0].catalog_version)
    found: dict[int, list[Finding]] = {}
    for ind in catalog.indicators.values():
        if ind.kind not in NUMERIC_KINDS:
            continue
        values = [(s, v) for s in members if type(v := s.values.get(ind.code)) in (int, float)]
        if len(values) <= Z_SIBLINGS:
            continue
        sample = [math.log1p(v) for _, v in values]
        ordered = sorted(v for _, v in values)
        for (sub, value), z in zip(values, _scores(sample, sample)):
            if abs(z) <= Z_LIMIT:
                continue
            median = _median_without(ordered, value)  # the others'
            if not (value < JUMP_FLOOR and median < JUMP_FLOOR):
                found.setdefault(id(sub), []).append(_outlier_finding(sub, ind, value, median, len(values) - 1, z))
    return [(s, found[id(s)]) for s in members if id(s) in found]


def _median_without(ordered: list, value) -> float:
    """The median of the sorted list ``ordered`` without one occurrence of ``value`` (in it)."""
    gone = bisect.bisect_left(ordered, value)
    count = len(ordered) - 1

    def at(k: int):  # the k-th of the others
        return ordered[k if k < gone else k + 1]

    middle = count // 2
    return at(middle) if count % 2 else (at(middle - 1) + at(middle)) / 2


def _outlier_finding(sub: Submission, ind: Indicator, value, median, siblings: int, z: float) -> Finding:
    period = parse_period(sub.period)
    return finding("sibling-outlier", **_where(sub, ind), period_words=_words(period),
                   value_shown=(_shown(value, ind, "vi"), _shown(value, ind, "en")),
                   median_shown=(_shown(median, ind, "vi"), _shown(median, ind, "en")), siblings=siblings,
                   data=(("value", value), ("siblings_median", median), ("siblings", siblings),
                         ("z", round(z, 2))))


__all__ = ["check_history", "chains_exactly", "jump", "modified_z", "parts_of", "references"]
