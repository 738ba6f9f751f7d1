"""The trend: a unit's headline figures over the periods known, and how each changed.

Earlier periods come from the history (``history.read_history``: each unit's row of each earlier
consolidation). The consolidating unit's own totals of an earlier period are computed here from
those rows, exactly as ``consolidate`` computes them (``consolidate.combine``): every report's
figures added for ``sum`` (and ``count`` flags), the unit's own report for ``own`` indicators, a
consolidated report of a unit below standing for the units it covers, ratios recomputed from their
parts. Computing them from the rows (rather than reading the earlier workbook's “Tổng hợp”) works the
same for workbooks and ``merge --json`` files and gives the figures the earlier workbook shows, to
the digit (amounts are added as decimals).

The periods compared are those of the same kind as the current one (quarters with quarters, years
with years): the previous period of that kind and the same period a year earlier
(``history_checks.references``). Changes are absolute and, for counts and amounts, in per cent of the
earlier figure; ratios change by percentage points.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .catalog import Catalog, Indicator
from .consolidate import Totals, combine
from .history import Series, UnitPeriod
from .history_checks import references
from .numbers import format_number, format_percent, plain
from .periods import Period

MAX_PERIODS = 6  # columns of periods on the trend sheet: a year and a half of quarters


@dataclass(frozen=True)
class Change:
    """How one figure moved from ``before`` (of ``period``) to ``now``: ``delta`` (percentage points
    for a ratio), ``percent`` (of the earlier figure; None for a ratio or from zero)."""
    code: str
    period: Period
    against: str  # "previous" | "year"
    before: float | int
    now: float | int
    delta: float | int
    percent: float | None


@dataclass
class Trend:
    """The unit's ``totals`` per period code, over ``periods`` (chronological, the current last)."""
    catalog: Catalog
    current: Period
    periods: list[Period]
    totals: dict[str, Totals] = field(default_factory=dict)

    @property
    def headline(self) -> list[Indicator]:
        return [self.catalog.indicators[c] for c in self.catalog.headline]

    def value(self, ind: Indicator, period: Period) -> float | int | None:
        """The figure of ``ind`` in ``period`` (a ratio as a fraction; a flag as the units saying Có)."""
        t = self.totals.get(period.code)
        if t is None:
            return None
        if ind.kind == "ratio":
            return t.ratio(ind)
        v = t.values.get(ind.code)
        return None if v is None or isinstance(v, str) else plain(v)

    def references(self) -> list[tuple[str, Period]]:
        """(``previous`` | ``year``, period) compared with: a year has one, the year before."""
        refs = references(self.current)
        if self.current.kind == "Y":
            return [("year", refs[0])]
        return [("previous", refs[0])] + [("year", p) for p in refs[1:]]

    def change(self, ind: Indicator, against: str, period: Period) -> Change | None:
        now, before = self.value(ind, self.current), self.value(ind, period)
        if now is None or before is None:
            return None
        if ind.kind == "ratio":
            delta = round((Decimal(repr(now)) - Decimal(repr(before))) * 100, 6)
            return Change(ind.code, period, against, before, now, float(delta), None)
        delta = Decimal(repr(now)) - Decimal(repr(before)) if isinstance(now, float) or isinstance(before, float) \
            else now - before
        percent = float(Decimal(delta) / Decimal(repr(before))) if before else None
        return Change(ind.code, period, against, before, now, plain(delta), percent)

    def changes(self, ind: Indicator) -> list[Change]:
        return [c for against, p in self.references() if (c := self.change(ind, against, p)) is not None]


def trend_of(code: str, current: Period, totals: Totals, catalog: Catalog, series: Series | None,
             parents: dict[str, str | None] | None = None) -> Trend | None:
    """The trend of unit ``code`` whose figures of ``current`` are ``totals``, from ``series``; None
    without history or when it knows no earlier period of the same kind for this unit. ``parents``:
    unit -> its parent (the roster's), where the history's rows do not say."""
    if not series:
        return None
    earlier = {}
    for p in series.periods():
        if p.kind == current.kind and p < current:
            t = unit_totals(series, code, p, catalog, parents)
            if t is not None:
                earlier[p.code] = t
    if not earlier:
        return None
    periods = sorted(p for p in series.periods() if p.code in earlier)[-(MAX_PERIODS - 1):] + [current]
    return Trend(catalog, current, periods, {**earlier, current.code: totals})


def unit_totals(series: Series, code: str, period: Period, catalog: Catalog,
                parents: dict[str, str | None] | None = None) -> Totals | None:
    """Unit ``code``'s totals in ``period`` from the rows of the history: its consolidated report
    when one was used upward, else its own report combined with the rows of the units below it (a
    consolidated report of a unit below covering that unit's own units). None when nothing is known."""
    rows = [by[period.code] for by in series.units.values() if period.code in by]
    mine = next((r for r in rows if r.unit == code and r.form == "consolidated"), None)
    if mine is not None:
        return _totals(mine, catalog)
    parents = {**(parents or {}), **{r.unit: r.parent for r in rows if r.parent}}
    below = [r for r in rows if code in _ancestors(r.unit, parents)]
    covering = {r.unit for r in below if r.form == "consolidated"}
    below = [r for r in below if not covering & _ancestors(r.unit, parents)
             and not (r.form == "own" and r.unit in covering)]
    own = next((r for r in rows if r.unit == code and r.form == "own"), None)
    if own is None and not below:
        return None
    own_t = _totals(own, catalog) if own is not None else None
    kids = [_totals(r, catalog) for r in below]
    out = combine(catalog, own_t, kids)
    if kids:
        out.units = sum(k.units for k in kids)
    return out


def _ancestors(unit: str, parents: dict[str, str | None]) -> set[str]:
    """The units above ``unit`` by the rows' own “parent” fields (a loop in altered files ends)."""
    out: set[str] = set()
    up = parents.get(unit)
    while up and up not in out and up != unit:
        out.add(up)
        up = parents.get(up)
    return out


def _totals(row: UnitPeriod, catalog: Catalog) -> Totals:
    """One history row in consolidation terms (as ``consolidate.totals_of_submission``)."""
    t = Totals(units=row.units if row.form == "consolidated" else 1)
    if row.form == "consolidated":
        t.flag_units = dict(row.flag_units)
    for code, value in row.values.items():
        ind = catalog.indicators.get(code)
        if ind is None or ind.kind in ("text", "ratio"):
            continue
        if ind.kind == "flag" and ind.rollup == "count" and row.form != "consolidated":
            if value in ("Có", "Không"):
                t.values[code], t.flag_units[code] = (1 if value == "Có" else 0), 1
            continue
        if isinstance(value, (int, float)):
            t.values[code] = Decimal(repr(value)) if isinstance(value, float) else value
    return t


# --- in words --------------------------------------------------------------------------------------------
def compared_words(change: Change, current: Period) -> str:
    """“so với cùng kỳ năm trước”, “so với quý trước”, “so với năm trước”."""
    if current.kind == "Y":
        return "so với năm trước"
    if change.against == "year":
        return "so với cùng kỳ năm trước"
    return {"Q": "so với quý trước", "S": "so với 6 tháng trước"}[current.kind]


def change_words(change: Change, ind: Indicator, current: Period, noun: str = "") -> str:
    """“tăng 12 vụ (8,9%) so với cùng kỳ năm trước”, “giảm 1,5 điểm phần trăm so với quý trước”,
    “bằng cùng kỳ năm trước”. ``noun``: what a count of units is called (a flag's)."""
    where = compared_words(change, current)
    if change.delta == 0 or (ind.kind == "ratio" and round(abs(change.delta), 1) == 0):  # 94,1% and 94,1%
        return "bằng " + where[len("so với "):]
    verb = "tăng" if change.delta > 0 else "giảm"
    size = abs(change.delta)
    if ind.kind == "ratio":
        return f"{verb} {format_number(size, 'vi', places=1)} điểm phần trăm {where}"
    unit = noun if ind.kind == "flag" else ind.unit
    amount = f"{format_number(size, 'vi', places=3)} {unit}".strip()
    share = format_percent(size, abs(change.before)) if change.percent is not None else None
    pct = f" ({share.replace(',0%', '%')})" if share else ""
    return f"{verb} {amount}{pct} {where}"




def trend_of_consolidation(cons, series: Series | None, roster=None) -> Trend | None:
    """The trend of a consolidation (``consolidate.Consolidation``) from the history ``series``; the
    ``roster`` (``roster.Roster``) places units whose parents the history's rows do not name."""
    from .periods import parse_period

    if not series or not cons.period or not cons.parent_code:
        return None
    parents = {u.code: u.parent for u in roster.units.values()} if roster is not None else None
    return trend_of(cons.parent_code, parse_period(cons.period), cons.totals, cons.catalog, series, parents)


__all__ = ["Change", "MAX_PERIODS", "Trend", "change_words", "compared_words", "trend_of", "trend_of_consolidation",
           "unit_totals"]
