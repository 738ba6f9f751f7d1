"""Consolidation: which file counts for which unit, and the totals of a parent unit.

Pure computation over validated submissions (no I/O). Rules, from the catalog:
- ``sum`` indicators: the parent's own value (if it reports one) plus the totals from below;
- ``own`` indicators: the parent's own value only (its own work; children's are not added);
- ``count`` flags: how many units answered Có, out of how many answered ("x/n đơn vị");
- ``collect`` texts: gathered with the unit's name; ratios: recomputed from summed parts.
Amounts are summed as decimals, so any grouping of the same figures gives the same total: a
province merging its districts' consolidated workbooks gets exactly the direct merge.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .catalog import LEVELS, Catalog, Indicator
from .i18n import QcdcError, unit_kinds
from .numbers import plain
from .periods import VN_TIME, parse_period
from .record import Submission
from .roster import Roster, Unit

# A file's role: used, superseded, duplicate, covered (inside a used consolidated report of a unit
# below), rejected, unreadable or excluded. An expected unit's status: on-time, late, rejected,
# unreadable (it sent only files that cannot be read, named after it), missing.


@dataclass
class Totals:
    """Consolidated figures of one unit (or of the units below it)."""
    values: dict[str, object] = field(default_factory=dict)  # int | Decimal | "Có"/"Không"
    flag_units: dict[str, int] = field(default_factory=dict)  # count flag -> units that answered
    texts: list[tuple[str, str, str, str]] = field(default_factory=list)  # (unit, name, code, text)
    units: int = 0  # reporting units covered

    def ratio(self, ind: Indicator) -> float | None:
        num, den = self.values.get(ind.numerator), self.values.get(ind.denominator)
        if num is None or den is None or den == 0:
            return None
        return float(Decimal(num) / Decimal(den))

    def number(self, code: str) -> float | int | None:
        return plain(self.values.get(code))

    def as_json(self, catalog: Catalog) -> dict[str, object]:
        """Flags as counts, ratios as numbers, text left out (it is in the notes)."""
        out: dict[str, object] = {}
        for code, ind in catalog.indicators.items():
            if ind.kind == "ratio":
                out[code] = self.ratio(ind)
            elif ind.kind != "text":
                out[code] = self.number(code)
        return out


@dataclass
class FileRole:
    sub: Submission
    role: str
    note: tuple[str, str] = ("", "")  # (vi, en)


@dataclass
class ExpectedUnit:
    unit: Unit
    status: str  # on-time | late | rejected | unreadable | missing
    used: Submission | None = None
    files: list[Submission] = field(default_factory=list)


@dataclass
class DetailRow:
    """One row of the per-unit sheet: a used submission and what it contributed."""
    code: str
    name: str
    level: str
    parent: str | None
    sub: Submission
    totals: Totals
    is_parent_own: bool = False


@dataclass(frozen=True)
class Derived:
    """What a consolidation made from the consolidations of shorter periods (``rolling.rollup``) says
    of its sources: each part (period code, file name, data window) and every gap, in words."""
    parts: tuple[tuple[str, str, tuple[dt.date, dt.date] | None], ...]
    gaps: tuple[tuple[str, str], ...] = ()  # (vi, en)


@dataclass
class Consolidation:
    catalog: Catalog
    parent_code: str | None
    parent_name: str
    parent_parent: str | None
    parent_parent_name: str
    level: str
    period: str | None
    totals: Totals
    own: Totals
    below: Totals
    files: list[FileRole]
    details: list[DetailRow]
    expected: list[ExpectedUnit]
    include_rejected: bool
    unverified: bool  # some rejected submission entered the totals
    derived: Derived | None = None  # built from the quarters (``rolling.rollup``), not from the units' returns

    def counts(self) -> dict[str, int]:
        c = Counter(e.status for e in self.expected)
        received = sum(1 for e in self.expected if e.files)
        return {"expected": len(self.expected), "received": received,
                "accepted": c["on-time"] + c["late"], "on-time": c["on-time"], "late": c["late"],
                "rejected": c["rejected"], "unreadable": c["unreadable"], "missing": c["missing"]}

    def unit_kinds(self) -> str | None:
        """The kinds the roster's names give the expected units (“xã, thị trấn”) when they are all
        communes; None otherwise (no roster, districts among them, a name that does not say)."""
        units = [e.unit for e in self.expected]
        return unit_kinds(u.name for u in units) if units and all(u.level == "xa" for u in units) else None

    def units_noun(self, lang: str = "vi") -> str:
        """What the counted units are called in “14/14 xã, thị trấn”: :meth:`unit_kinds`, else “đơn vị”."""
        kinds = self.unit_kinds() if lang == "vi" else None
        return kinds or ("đơn vị" if lang == "vi" else "units")

    def pending(self) -> list[FileRole]:
        """Files someone must still act on: returned or unreadable and not replaced by an accepted
        file of the same unit (a file of another period included), or counted although not
        accepted (``--include-rejected`` changes what is counted, not what is pending)."""
        replaced = {(r.sub.unit_code, r.sub.form) for r in self.files
                    if r.role in ("used", "covered") and r.sub.accepted}
        return [r for r in self.files
                if r.role in ("rejected", "unreadable")
                or (r.role in ("used", "covered") and not r.sub.accepted)
                or (r.role == "excluded" and r.sub.status == "rejected"
                    and (r.sub.unit_code, r.sub.form) not in replaced)]

    @property
    def window(self) -> tuple[dt.date, dt.date] | None:
        """The figures' window: from the earliest to the latest day the used reports count, or
        the period's usual window when none of them says (form version 1 has no window)."""
        windows = [d.sub.window for d in self.details if d.sub.window_stated]
        if windows:
            return min(w[0] for w in windows), max(w[1] for w in windows)
        return parse_period(self.period).window if self.period else None

    @property
    def reported_on(self) -> dt.date | None:
        """The report date the units gave: the consolidating unit's own report's, else the latest
        of the used reports' (None when none gave one)."""
        own = [d.sub.report_date for d in self.details if d.is_parent_own and d.sub.report_date]
        units = [d.sub.report_date for d in self.details if d.sub.report_date]
        return max(own or units) if own or units else None

    @property
    def own_report_number(self) -> str:
        """The number of the report the consolidating unit's own appendix said it goes with (form
        version 3's “Kèm theo” line), empty when it sent none: the consolidated appendix goes with it."""
        return next((d.sub.report_number for d in self.details if d.is_parent_own and d.sub.report_number), "")

    @property
    def document_date(self) -> dt.date | None:
        """The date the consolidated documents carry unless told otherwise: the report date the
        units gave, else the end of the figures' window; never the clock."""
        window = self.window
        return self.reported_on or (window[1] if window else None)

    def unit_rows(self) -> list:
        """Each used report's own figures and data window (``history.UnitRow``), in unit order: what
        the consolidated workbook and the JSON report keep for the checks of later periods."""
        from .history import UnitRow

        return [UnitRow.of(d.sub, d.code, d.name, d.level, d.parent, self.period, self.catalog, d.totals.units,
                           d.totals.flag_units)
                for d in sorted(self.details, key=lambda d: (d.code, d.sub.form or ""))]

    def role_of(self, sub: Submission) -> FileRole:
        return next(r for r in self.files if r.sub is sub)


# --- totals ------------------------------------------------------------------------------------------
def _dec(value: object) -> object:
    if isinstance(value, float):
        return Decimal(repr(value))  # the number as typed: 11796.9, not its binary expansion
    return value


def totals_of_submission(sub: Submission, catalog: Catalog) -> Totals:
    """What one submission says, in consolidation terms."""
    t = Totals(units=1)
    if sub.form == "consolidated":  # a parent's merged workbook: n of each flag and units covered
        t.flag_units = {k: int(v) for k, v in json.loads(sub.meta.get("flag_units_json") or "{}").items()}
        t.units = int(sub.meta.get("units_included") or 0)
    for code, value in sub.values.items():
        ind = catalog.indicators.get(code)
        if ind is None:
            continue
        if ind.kind == "text":  # on a consolidated form: that unit's own summary notes
            if value:
                t.texts.append((sub.unit_code or "", sub.unit_name or "", code, str(value)))
            continue
        if ind.kind == "flag" and ind.rollup == "count" and sub.form != "consolidated":
            t.values[code] = 1 if value == "Có" else 0
            t.flag_units[code] = 1
            continue
        t.values[code] = _dec(value)
    return t


def combine(catalog: Catalog, own: Totals | None, below: list[Totals]) -> Totals:
    """A parent's totals from its own submission and its children's totals."""
    out = Totals(units=sum(b.units for b in below))
    for code, ind in catalog.indicators.items():
        if ind.kind in ("ratio", "text"):
            continue
        parts = [b.values.get(code) for b in below]
        mine = own.values.get(code) if own else None
        if ind.rollup == "own":
            if mine is not None:
                out.values[code] = mine
            continue
        present = [p for p in parts + [mine] if p is not None and not isinstance(p, str)]
        if present:
            out.values[code] = sum(present[1:], present[0])
        if ind.kind == "flag":
            n = sum(b.flag_units.get(code, 0) for b in below) + (own.flag_units.get(code, 0) if own else 0)
            if n:
                out.flag_units[code] = n
    for b in ([own] if own else []) + below:
        out.texts.extend(b.texts)
    if own and not below:
        out.units = own.units
    return out


# --- which file counts ----------------------------------------------------------------------------------
def _order_key(sub: Submission):
    """Which of a unit's files is the later: the one received later when the office knows (the web
    desk records every arrival), else the later report date typed in the form, then the file time."""
    arrival = sub.received.timestamp() if sub.received is not None else float("-inf")
    return (arrival, sub.arrival, sub.report_date or dt.date.min, sub.mtime, str(sub.path))


def delivered_on(sub: Submission) -> dt.date:
    """The day a report counts as delivered for the deadline: the day it was received when the
    office knows (in Vietnam's time), else the report date typed in it, else the file's date."""
    if sub.received is not None:
        when = sub.received if sub.received.tzinfo else sub.received.replace(tzinfo=dt.timezone.utc)
        return when.astimezone(VN_TIME).date()
    return sub.report_date or dt.date.fromtimestamp(sub.mtime)


def assign_roles(subs: list[Submission], in_scope: dict[int, tuple[str, str] | None],
                 include_rejected: bool) -> tuple[list[FileRole], dict[tuple[str, str], Submission]]:
    """Roles of every file and the used submission per (unit, form).

    ``in_scope`` maps id(sub) -> None when the file belongs to this merge, or an exclusion note.
    """
    roles: dict[int, FileRole] = {}
    seen_hash: dict[str, Submission] = {}
    for sub in sorted(subs, key=lambda s: str(s.path)):
        if sub.status == "unreadable":
            roles[id(sub)] = FileRole(sub, "unreadable")
            continue
        note = in_scope.get(id(sub))
        if note is not None:
            roles[id(sub)] = FileRole(sub, "excluded", note)
            continue
        if sub.sha256 in seen_hash:
            first = seen_hash[sub.sha256]
            roles[id(sub)] = FileRole(sub, "duplicate", (f"giống hệt tệp {first.path.name}",
                                                         f"identical to {first.path.name}"))
            continue
        seen_hash[sub.sha256] = sub
    groups: dict[tuple[str, str], list[Submission]] = {}
    for sub in subs:
        if id(sub) not in roles:
            groups.setdefault((sub.unit_code or "", sub.form or "own"), []).append(sub)
    used: dict[tuple[str, str], Submission] = {}
    for key, group in groups.items():
        group.sort(key=_order_key)
        candidates = [s for s in group if s.accepted or include_rejected]
        chosen = candidates[-1] if candidates else None
        if chosen is not None:
            used[key] = chosen
        for sub in group:
            if sub is chosen:
                roles[id(sub)] = FileRole(sub, "used")
            elif chosen is not None and _order_key(sub) < _order_key(chosen):
                roles[id(sub)] = FileRole(sub, "superseded", (f"thay bằng tệp {chosen.path.name}",
                                                              f"replaced by {chosen.path.name}"))
            elif chosen is not None:
                roles[id(sub)] = FileRole(sub, "rejected", (f"bị trả lại; vẫn dùng bản nộp trước {chosen.path.name}",
                                                            f"rejected; the earlier {chosen.path.name} is used"))
            else:
                roles[id(sub)] = FileRole(sub, "rejected")
    return [roles[id(s)] for s in subs], used


# --- the whole consolidation ----------------------------------------------------------------------------
def choose_period(subs: list[Submission], period: str | None) -> str | None:
    if period:
        return period
    readable = [s.period for s in subs if s.period and s.accepted] or [s.period for s in subs if s.period]
    if not readable:
        return None
    counts = Counter(readable)
    best = max(counts.values())
    return max(p for p, n in counts.items() if n == best)  # ties: the latest period


def choose_parent(subs: list[Submission], roster: Roster | None) -> str | None:
    """The deepest unit every submitting unit sits under (or is, with its own form)."""
    units = [s for s in subs if s.unit_code and (roster is None or s.unit_code in roster)]
    if roster is None:
        parents = Counter(s.parent_code for s in units if s.parent_code)
        codes = {s.unit_code for s in units}
        own_parents = [p for p in parents if p in codes]
        if own_parents:
            return own_parents[0]
        return parents.most_common(1)[0][0] if parents else None
    common: list[str] | None = None
    for s in units:
        chain = [u.code for u in reversed(roster.ancestors(s.unit_code))]  # root first
        if s.form == "own" and roster.children.get(s.unit_code):
            chain.append(s.unit_code)
        if common is None:
            common = chain
        else:
            k = 0
            while k < min(len(common), len(chain)) and common[k] == chain[k]:
                k += 1
            common = common[:k]
    return common[-1] if common else None


def consolidate(subs: list[Submission], catalog: Catalog, roster: Roster | None = None,
                period: str | None = None, parent: str | None = None, deadline: dt.date | None = None,
                include_rejected: bool = False) -> Consolidation:
    period = choose_period(subs, period)
    if parent is not None and roster is not None and parent not in roster:
        raise QcdcError("unit-not-in-roster", code=parent, path=roster.source)
    # With a roster, the roster says who consolidates, whatever the files say.
    parent = (parent or (roster.top() if roster is not None else None)
              or choose_parent([s for s in subs if s.period == period], roster))
    punit = roster.units.get(parent) if (roster and parent) else None
    subtree = {u.code for u in roster.descendants(parent)} if (roster and parent) else None

    in_scope: dict[int, tuple[str, str] | None] = {}
    for s in subs:
        note = None
        if s.status != "unreadable":
            if period and s.period and s.period != period:
                note = (f"kỳ {s.period}, không phải kỳ {period}", f"period {s.period}, not {period}")
            elif roster is not None and s.unit_code not in roster:
                note = (f"mã {s.unit_code} không có trong danh sách đơn vị", f"{s.unit_code} is not in the roster")
            elif s.unit_code == parent and s.form == "consolidated":
                note = ("là báo cáo tổng hợp của chính đơn vị tổng hợp", "is the parent's own consolidated report")
            elif subtree is not None and s.unit_code != parent and s.unit_code not in subtree:
                note = (f"{s.unit_code} không thuộc {parent}", f"{s.unit_code} is not under {parent}")
        in_scope[id(s)] = note
    roles, used = assign_roles(subs, in_scope, include_rejected)
    role_by_id = {id(r.sub): r for r in roles}

    own_sub = used.get((parent or "", "own"))
    details: list[DetailRow] = []

    def unit_info(code: str, sub: Submission) -> tuple[str, str, str | None]:
        u = roster.units.get(code) if roster else None
        return (u.name if u else (sub.unit_name or code), u.level if u else (sub.level or ""),
                u.parent if u else sub.parent_code)

    def add_detail(code: str, sub: Submission, t: Totals, is_parent_own: bool = False) -> None:
        name, level, par = unit_info(code, sub)
        details.append(DetailRow(code, name, level, par, sub, t, is_parent_own))

    def total_of(code: str) -> Totals | None:
        """Totals of a unit below the parent, from its consolidated file or from its subtree."""
        cons = used.get((code, "consolidated"))
        if cons is not None:
            t = totals_of_submission(cons, catalog)
            add_detail(code, cons, t)
            _mark_covered(code)
            return t
        own = used.get((code, "own"))
        kids = [k for k in (total_of(c) for c in roster.children.get(code, [])) if k is not None] if roster else []
        if own is None and not kids:
            return None
        own_t = totals_of_submission(own, catalog) if own else None
        if own is not None:
            add_detail(code, own, own_t)
        if own_t is not None and not kids:
            return own_t
        return combine(catalog, own_t, kids)

    def _mark_covered(code: str) -> None:
        for d in roster.descendants(code) if roster else []:
            for form in ("own", "consolidated"):
                s = used.pop((d.code, form), None)
                if s is not None:
                    role_by_id[id(s)].role = "covered"
                    role_by_id[id(s)].note = (f"đã có trong báo cáo tổng hợp của {code}",
                                              f"included in {code}'s consolidated report")
        s = used.get((code, "own"))
        if s is not None:
            used.pop((code, "own"))
            role_by_id[id(s)].role = "covered"
            role_by_id[id(s)].note = (f"đã có trong báo cáo tổng hợp của {code}",
                                      f"included in {code}'s consolidated report")

    if roster is not None and parent is not None:
        below_list = [t for t in (total_of(c) for c in roster.children.get(parent, [])) if t is not None]
    else:  # no roster: every used submission other than the parent's own is a child
        below_list = []
        for (code, form), sub in sorted(used.items()):
            if code == parent and form == "own":
                continue
            t = totals_of_submission(sub, catalog)
            add_detail(code, sub, t)
            below_list.append(t)
    own_t = totals_of_submission(own_sub, catalog) if own_sub else None
    if own_sub is not None:
        add_detail(parent, own_sub, own_t, is_parent_own=True)
    below = combine(catalog, None, below_list)
    totals = combine(catalog, own_t, below_list)
    totals.units = below.units

    level = (punit.level if punit else (own_sub.level if own_sub else _level_above(subs)))
    by_unit = _files_by_unit(subs, role_by_id, period, roster) if roster and parent else {}
    expected = _expected(roster, parent, used, by_unit, role_by_id, deadline) if roster and parent else []
    unverified = any(role_by_id[id(s)].role == "used" and not s.accepted for s in subs)
    grand = roster.units.get(punit.parent) if (roster and punit and punit.parent) else None
    return Consolidation(catalog, parent, punit.name if punit else (own_sub.unit_name if own_sub else "") or "",
                         punit.parent if punit else None, grand.name if grand else "", level, period, totals, own_t or Totals(), below,
                         roles, details, expected, include_rejected, unverified)


def _level_above(subs: list[Submission]) -> str:
    levels = Counter(s.level for s in subs if s.level)
    if not levels:
        return LEVELS[1]
    child = levels.most_common(1)[0][0]
    return LEVELS[max(0, LEVELS.index(child) - 1)]


_DIGIT_RUNS = re.compile(r"[0-9]+")


def unit_in_name(name: str, roster: Roster) -> str | None:
    """The unit a file name names: the one roster code among its runs of digits (``BC 23644 nam
    2020.xlsx`` → 23644; codes compared as text, leading zeros kept), or None when not exactly one."""
    codes = {run for run in _DIGIT_RUNS.findall(Path(name).stem) if run in roster}
    return codes.pop() if len(codes) == 1 else None


def _files_by_unit(subs: list[Submission], role_by_id: dict[int, FileRole], period: str | None,
                   roster: Roster) -> dict[str, list[Submission]]:
    """The files that tell a unit's status: those of this merge, those returned because they are of
    another period, and unreadable ones whose name carries exactly one roster code (their role's
    note then says whose they are)."""
    by_unit: dict[str, list[Submission]] = {}
    for s in subs:
        role = role_by_id[id(s)]
        code = s.unit_code
        if role.role == "unreadable":
            code = unit_in_name(s.path.name, roster)
            if code:
                role.note = (f"theo tên tệp, là tệp của đơn vị {code}", f"by its name, sent by unit {code}")
        elif role.role == "excluded" and not (s.status == "rejected" and period and s.period
                                              and s.period != period):
            code = None
        if code:
            by_unit.setdefault(code, []).append(s)
    return by_unit


def _expected(roster: Roster, parent: str, used, by_unit: dict[str, list[Submission]], role_by_id,
              deadline) -> list[ExpectedUnit]:
    consolidated_mode = any(s.form == "consolidated" for group in by_unit.values() for s in group)

    def has_files(code: str) -> bool:
        return code in by_unit or any(d.code in by_unit for d in roster.descendants(code))

    def walk(code: str) -> list[Unit]:
        out = []
        for child in roster.children_of(code):
            files = by_unit.get(child.code, [])
            if any(s.form == "consolidated" for s in files) or not roster.children.get(child.code):
                out.append(child)
            elif has_files(child.code) or not consolidated_mode:
                out.extend(walk(child.code))
            else:
                out.append(child)
        return out

    result = []
    used_units = {k[0] for k in used}
    for unit in walk(parent):
        files = by_unit.get(unit.code, [])
        chosen = next((s for s in files if role_by_id[id(s)].role in ("used", "covered")), None)
        if chosen is None and unit.code in used_units:
            chosen = used.get((unit.code, "consolidated")) or used.get((unit.code, "own"))
        if chosen is not None and chosen.accepted:
            status = "late" if (deadline and delivered_on(chosen) > deadline) else "on-time"
        elif chosen is not None or any(s.status != "unreadable" for s in files):
            status = "rejected"
        elif files:
            status = "unreadable"
        else:
            status = "missing"
        result.append(ExpectedUnit(unit, status, chosen, files))
    return result
