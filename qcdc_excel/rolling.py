"""The half-year and the year built from the consolidations of their quarters: ``qcdc-excel rollup``,
and the figures a unit's half-year or year form is prefilled with (``template --prefill-from``).

:func:`rollup` reads the consolidated workbooks (and/or ``merge --json`` files) of the parts of a
period (quarters, or a half-year and quarters), rolls each unit's figures by its indicators'
``over_time`` (``history.roll``: flows added, stocks the latest, ratios recomputed from the rolled
parts), and writes the consolidated workbook of the longer period through ``consolidate`` and
``workbook_writer``, as ``merge`` does: the units' rows included, so it is a report upward and a
previous period like any other. It is marked as derived, lists the windows it covers and names every
gap (a quarter missing, a unit missing in a quarter). Inputs are never modified; the output is written
atomically and may not be one of them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .catalog import Catalog, load_catalog
from .consolidate import Consolidation, Derived, consolidate
from .form import DEFAULT_PASSWORD
from .history import UnitPeriod, read_part, roll
from .i18n import QcdcError, t
from .layout import CURRENT_FORM_VERSION, TEXT_MAX as FORM_TEXT_MAX
from .periods import Period, parse_period
from .record import Submission, ValidationReport
from .roster import Roster
from .safe_paths import refuse_outputs_among_inputs

TEXT_MAX = 32_000


@dataclass(frozen=True)
class Part:
    """One input: the consolidation of one shorter period, and who made it."""
    path: Path
    period: Period
    parent: str
    catalog_version: str
    units: tuple[UnitPeriod, ...]
    name: str = ""  # the consolidating unit's name, level and parent's code (a workbook says them)
    level: str = ""
    grand: str = ""

    @property
    def quarters(self) -> list[Period]:
        return quarters_of(self.period)


@dataclass(frozen=True)
class Gap:
    """A quarter with no consolidation, or a unit with no figures in one part."""
    period: Period
    unit: str = ""
    name: str = ""

    def words(self, lang: str = "vi") -> str:
        if not self.unit:
            return t("rollup-gap-period", lang, period=self.period.label(lang))
        return t("rollup-gap-unit", lang, name=self.name or self.unit, unit=self.unit, period=self.period.label(lang))


@dataclass
class RollupResult:
    """What :func:`rollup` built and wrote."""
    consolidation: Consolidation
    out: Path
    period: Period
    parts: list[Part]
    gaps: list[Gap] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Complete: every quarter given, every unit in every part."""
        return not self.gaps


def quarters_of(period: Period) -> list[Period]:
    """The quarters a period counts."""
    if period.kind == "Q":
        return [period]
    first = 1 if period.kind == "Y" else 2 * period.number - 1
    last = 4 if period.kind == "Y" else 2 * period.number
    return [Period(period.year, "Q", n) for n in range(first, last + 1)]


# --- reading the parts ------------------------------------------------------------------------------------
def target_period(value: object) -> Period:
    """The period to build: a half-year or a year (a quarter has no parts)."""
    period = value if isinstance(value, Period) else parse_period(value)
    if period.kind == "Q":
        raise QcdcError("rollup-period-kind", value=period.code)
    return period


def read_parts(paths: Iterable[str | Path], period: Period) -> list[Part]:
    """Each input read (refused naming the file when it is not a consolidation of a part of
    ``period``), checked to be of one consolidating unit and one catalog, no quarter counted twice."""
    parts = [_part(Path(p), period) for p in paths]
    for a, b in zip(parts, parts[1:]):
        if a.parent and b.parent and a.parent != b.parent:
            raise QcdcError("rollup-parents-differ", first=str(a.path), first_parent=a.parent, second=str(b.path),
                            second_parent=b.parent)
        if a.catalog_version != b.catalog_version:
            raise QcdcError("rollup-catalogs-differ", first=str(a.path), first_version=a.catalog_version,
                            second=str(b.path), second_version=b.catalog_version)
    _refuse_overlaps(parts)
    if not any(p.units for p in parts):
        raise QcdcError("rollup-empty", path=", ".join(str(p.path) for p in parts))
    return sorted(parts, key=lambda p: p.period.window[1])


def _part(path: Path, period: Period) -> Part:
    try:
        block, units = read_part(path)
    except QcdcError as exc:
        if exc.key != "history-invalid":
            raise
        raise QcdcError("rollup-input-invalid", **exc.params) from None
    own = _period_of(path, block, units)
    if own.kind == "Y" or own.year != period.year or not set(quarters_of(own)) <= set(quarters_of(period)):
        raise QcdcError("rollup-part-outside", path=str(path), part=_label(own), period=_label(period))
    name, level, grand = _identity(path) if path.suffix.lower() != ".json" else ("", "", "")
    return Part(path, own, str(block.get("parent") or ""), str(block.get("catalog_version") or ""), tuple(units),
                name, level, grand)


def _period_of(path: Path, block: dict, units: list[UnitPeriod]) -> Period:
    try:
        return parse_period(block.get("period"))
    except QcdcError:
        if units and len({u.period for u in units}) == 1:
            return units[0].period
        raise QcdcError("rollup-input-invalid", path=str(path),
                        reason={"vi": "không ghi kỳ báo cáo", "en": "it names no reporting period"}) from None


def _identity(path: Path) -> tuple[str, str, str]:
    """The consolidating unit's name, level and parent's code, as the workbook's form says them."""
    from .validate import read_submission

    sub = read_submission(path)
    if sub.form != "consolidated" or sub.layout is None:
        return "", "", ""
    return sub.unit_name or "", sub.level or "", _parent_text(path, sub) or sub.parent_code or ""


def _parent_text(path: Path, sub: Submission) -> str:
    """“90 – Tỉnh Thử”: the parent line of the workbook's form, as it prints it."""
    from .reader import Unreadable, open_workbook, read_sheet

    try:
        raw = open_workbook(path.read_bytes())
        info = raw.sheet(sub.layout.sheet_name)
        cell = read_sheet(raw, info).cells.get(sub.layout.identity_cells["parent"]) if info is not None else None
    except (Unreadable, OSError):
        return ""
    value = cell.value if cell is not None and cell.formula is None else None
    return value.strip() if isinstance(value, str) else ""


def _label(period: Period) -> dict[str, str]:
    return {"vi": period.label("vi"), "en": period.label("en")}


def _refuse_overlaps(parts: list[Part]) -> None:
    seen: dict[Period, Part] = {}
    for part in parts:
        for quarter in part.quarters:
            other = seen.get(quarter)
            if other is not None:
                raise QcdcError("rollup-overlap", first=str(other.path), first_period=_label(other.period),
                                second=str(part.path), second_period=_label(part.period), quarter=_label(quarter))
            seen[quarter] = part


# --- the gaps ---------------------------------------------------------------------------------------------
def gaps_of(parts: list[Part], period: Period) -> list[Gap]:
    """Every quarter of ``period`` no part counts, then every unit missing from a part it is not in
    (a unit is expected in every part when it is in any)."""
    covered = {q for p in parts for q in p.quarters}
    gaps = [Gap(q) for q in quarters_of(period) if q not in covered]
    names = {(u.unit, u.form): u.name for p in parts for u in p.units}
    for key in sorted(names):
        for part in parts:
            if not any((u.unit, u.form) == key for u in part.units):
                gaps.append(Gap(part.period, key[0], names[key]))
    return gaps


# --- rolling each unit --------------------------------------------------------------------------------------
def rolled_units(parts: list[Part], catalog: Catalog) -> dict[tuple[str, str], tuple[dict, list[UnitPeriod]]]:
    """(unit, form) -> (its figures rolled over the parts, its periods in order)."""
    by_unit: dict[tuple[str, str], list[UnitPeriod]] = {}
    for part in parts:
        for u in part.units:
            by_unit.setdefault((u.unit, u.form), []).append(u)
    out = {}
    for key, periods in sorted(by_unit.items()):
        periods.sort(key=lambda u: u.period.window[1])
        out[key] = (_typed(_roll_unit(periods, catalog, key[1]), catalog), periods)
    return out


def _roll_unit(periods: list[UnitPeriod], catalog: Catalog, form: str) -> dict[str, object]:
    values = roll(periods, catalog)
    if form != "consolidated":
        return values
    for code, ind in catalog.indicators.items():  # a consolidation's flags are counts of units saying Có
        counts = [u.values[code] for u in periods if isinstance(u.values.get(code), int)]
        if ind.kind == "flag" and counts:
            values[code] = counts[-1] if ind.over_time == "last" else max(counts)
    return values


def _typed(values: dict[str, object], catalog: Catalog) -> dict[str, object]:
    """Texts collected over the parts, as one text a form holds: “Quý I năm 2025: …” a line each."""
    out = dict(values)
    for code, value in values.items():
        if isinstance(value, list):
            text = "\n".join(f"{parse_period(p).label('vi')}: {v}" for p, v in value)
            out[code] = text[:TEXT_MAX]
    return out


def _submission(key: tuple[str, str], values: dict, periods: list[UnitPeriod], period: Period,
                catalog: Catalog) -> Submission:
    """One unit's rolled figures as a report of ``period``, accepted (every part was)."""
    unit, form = key
    last = periods[-1]
    window = (min(u.window[0] for u in periods), max(u.window[1] for u in periods))
    sources = " + ".join(dict.fromkeys(Path(u.source).name for u in periods))
    meta = {}
    if form == "consolidated":
        meta = {"units_included": str(max(u.units for u in periods)),
                "flag_units_json": json.dumps(last.flag_units, sort_keys=True)}
    digest = hashlib.sha256(f"{unit}\x00{form}\x00{period.code}".encode()).hexdigest()
    return Submission(Path(sources), digest, status="accepted", catalog_version=catalog.version, level=last.level,
                      form=form, unit_code=unit, unit_name=last.name, parent_code=last.parent or None,
                      period=period.code, window=window, window_stated=True, form_version=CURRENT_FORM_VERSION,
                      values=values, meta=meta)


# --- the command --------------------------------------------------------------------------------------------
def rollup(paths: Iterable[str | Path], period: str | Period, out: str | Path, *, roster: Roster | None = None,
           password: str = DEFAULT_PASSWORD, date: dt.date | None = None, style: str = "nd30") -> RollupResult:
    """Build the consolidated workbook ``out`` of ``period`` (a half-year or a year) from the
    consolidations of its parts ``paths``; returns what was built, with its gaps. ``roster``, when
    given, names the units and the ones expected (those in no part are then listed as missing)."""
    from .workbook_writer import write_consolidated

    paths, out = [Path(p) for p in paths], Path(out)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise QcdcError("file-not-found", path=", ".join(missing))
    refuse_outputs_among_inputs(paths, {"--out": out})
    period = target_period(period)
    parts = read_parts(paths, period)
    catalog = load_catalog(parts[0].catalog_version)
    subs = [_submission(k, v, ps, period, catalog) for k, (v, ps) in rolled_units(parts, catalog).items()]
    parent = next((p.parent for p in parts if p.parent), None)
    cons = consolidate(subs, catalog, roster, period.code, parent if roster is None or parent in roster else None)
    gaps = gaps_of(parts, period)
    _identify(cons, parts, roster)
    cons.derived = Derived(tuple((p.period.code, p.path.name, _window(p)) for p in parts),
                           tuple((g.words("vi"), g.words("en")) for g in gaps))
    write_consolidated(out, cons, ValidationReport(subs), password, date, style=style)
    return RollupResult(cons, out, period, parts, gaps)


def _window(part: Part) -> tuple[dt.date, dt.date] | None:
    windows = [u.window for u in part.units]
    return (min(w[0] for w in windows), max(w[1] for w in windows)) if windows else None


def _identify(cons: Consolidation, parts: list[Part], roster: Roster | None) -> None:
    """Without a roster, the consolidating unit as its own workbooks name it."""
    if roster is not None:
        return
    named = next((p for p in reversed(parts) if p.name), None)
    if named is not None:
        code, _, name = named.grand.partition(" – ")
        cons.parent_name, cons.level = named.name, named.level or cons.level
        cons.parent_parent, cons.parent_parent_name = code.strip() or None, name.strip()
    elif not cons.parent_name:
        cons.parent_name = cons.parent_code or ""


def prefill_values(paths: Iterable[str | Path], period: str | Period) -> dict[str, dict[str, object]]:
    """Each unit's own figures rolled over the parts read (its half-year or year form prefilled with
    them): unit code -> indicator code -> value as the form holds it. Ratios are left to the form."""
    period = target_period(period)
    parts = read_parts(paths, period)
    catalog = load_catalog(parts[0].catalog_version)
    return {unit: _form_values(values, catalog) for (unit, form), (values, _) in rolled_units(parts, catalog).items()
            if form == "own"}


def prefill_from_series(series, unit: str, period: str | Period, catalog: Catalog) -> dict[str, object] | None:
    """One unit's half-year or year form prefilled from the quarters (or half-years) a series holds
    of it (the web desk's earlier rounds): the most complete chain of parts of ``period``
    (``history_checks.parts_of``), rolled as :func:`prefill_values` rolls files; None when the
    series has none of its parts (a quarter's form is never prefilled)."""
    from .history_checks import parts_of

    period = target_period(period) if isinstance(period, str) else period
    best: list[UnitPeriod] = []
    for chain in parts_of(period):
        found = [u for u in (series.get(unit, "own", p) for p in chain) if u is not None]
        if len(found) > len(best) or (found and len(found) == len(chain) and len(best) < len(chain)):
            best = found
    if not best:
        return None
    best.sort(key=lambda u: u.period.window[1])
    return _form_values(_typed(_roll_unit(best, catalog, "own"), catalog), catalog)


def _form_values(values: dict[str, object], catalog: Catalog) -> dict[str, object]:
    """Figures as a unit's form holds them: a text no longer than a form's text cell takes."""
    out = dict(values)
    for code, value in values.items():
        if catalog.indicators[code].kind == "text" and isinstance(value, str) and len(value) > FORM_TEXT_MAX:
            out[code] = value[:FORM_TEXT_MAX - 1] + "…"
    return out


__all__ = ["Gap", "Part", "RollupResult", "gaps_of", "prefill_from_series", "prefill_values", "quarters_of", "read_parts", "rolled_units",
           "rollup", "target_period"]
