"""Earlier periods as an input: each unit's figures, period by period, read from the consolidated
workbooks (their very hidden sheet ``_qcdc_units``) or the ``merge --json`` files of earlier runs.

A :class:`Series` maps a unit (its code as text, leading zeros kept, and the kind of report: its own
or a consolidated one) to its :class:`UnitPeriod` of each period: the figures and the data window
they count. :func:`read_history` builds one from files; :func:`roll` makes a longer period's figures
from shorter ones by each indicator's ``over_time``. The checks against history are in
``history_checks``. The format written by the consolidated workbook and the JSON report is described
here once (:class:`UnitRow`, :func:`sheet_rows`, :func:`units_json`), so writer and reader agree.

This module belongs to the reading and checking core: it imports no writer. A previous file is
untrusted: it is read through ``reader`` (size caps, no XML entities) and every refusal names it.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from .catalog import Catalog, load_catalog
from .findings import CODES
from .i18n import QcdcError, both
from .periods import Period, parse_period
from .reader import Unreadable, cell_index, open_workbook, read_sheet

UNITS_FORMAT, UNITS_FORMAT_VERSION = "qcdc-units", "1"
FIXED = ("unit", "name", "level", "parent", "form", "period", "window_from", "window_to", "window_stated", "units",
         "flag_units")
RECORD = "record"  # the column holding the rest of a unit's row as one JSON list
MAX_JSON_BYTES = 200 * 1024 * 1024
TEXT_LIMIT = 32_000  # an Excel cell holds 32,767 characters
MAX_FIGURE = 10**15  # larger (or NaN, infinite) is not a figure a unit typed


@dataclass(frozen=True)
class UnitRow:
    """What a consolidation keeps of one unit for the next periods: its figures as it sent them."""
    unit: str
    name: str
    level: str
    parent: str
    form: str
    period: str
    window: tuple[dt.date, dt.date] | None
    window_stated: bool
    values: dict[str, object]
    units: int = 1  # reporting units its figures cover (a consolidated report: more than one)
    flag_units: dict[str, int] = field(default_factory=dict)  # flag -> units that answered it

    @classmethod
    def of(cls, sub, code: str, name: str, level: str, parent: str | None, period: str | None,
           catalog: Catalog, units: int = 1, flag_units: dict[str, int] | None = None) -> "UnitRow":
        """The row of a used submission ``sub`` (a ``record.Submission``) of unit ``code``."""
        values = {c: _plain(v) for c, v in sub.values.items()
                  if c in catalog.indicators and catalog.indicators[c].kind != "ratio" and v not in (None, "")}
        return cls(code, name or "", level or "", parent or "", sub.form or "own", sub.period or period or "",
                   sub.window, bool(sub.window_stated), values, units, dict(flag_units or {}))


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str):
        return value[:TEXT_LIMIT]
    return value


def header(catalog: Catalog, parent: str | None, period: str | None) -> tuple[list[str], list[str]]:
    """The sheet's first two rows. Row 1 says what it is and names, as a JSON list, the fields of each
    unit's record (the fixed ones after the code, then the codes of its numbers and flags); row 2 names
    the columns: the unit's code, its ``record`` (one JSON list: few cells keep a national merge fast),
    then one column per text indicator (a text can be long)."""
    texts = [c for c, i in catalog.indicators.items() if i.kind == "text"]
    keys = list(FIXED[1:]) + [c for c, i in catalog.indicators.items() if i.kind not in ("text", "ratio")]
    return ([UNITS_FORMAT, UNITS_FORMAT_VERSION, catalog.version, parent or "", period or "",
             json.dumps(keys, separators=(",", ":"))], [FIXED[0], RECORD] + texts)


def sheet_rows(rows: Iterable[UnitRow], top: list[str], columns: list[str]) -> list[list[str]]:
    """One list of cell texts per unit, in ``columns`` order ("" for a blank cell)."""
    codes, texts = json.loads(top[5])[len(FIXED) - 1:], columns[2:]
    out = []
    for r in rows:
        window = [d.isoformat() for d in r.window] if r.window else ["", ""]
        record = [r.name, r.level, r.parent, r.form, r.period, *window, "1" if r.window_stated else "0", r.units,
                  r.flag_units]
        record += [r.values.get(c) for c in codes]
        out.append([r.unit, json.dumps(record, ensure_ascii=False, separators=(",", ":"))]
                   + [str(r.values.get(c) or "")[:TEXT_LIMIT] for c in texts])
    return out


def units_json(rows: Iterable[UnitRow], catalog: Catalog, parent: str | None, period: str | None) -> dict:
    """The same rows for the JSON report (its ``history`` key)."""
    return {"format": UNITS_FORMAT, "format_version": UNITS_FORMAT_VERSION, "catalog_version": catalog.version,
            "parent": parent, "period": period,
            "units": [{"unit": r.unit, "name": r.name, "level": r.level, "parent": r.parent, "form": r.form,
                       "period": r.period, "window": [d.isoformat() for d in r.window] if r.window else None,
                       "window_stated": r.window_stated, "units": r.units, "flag_units": r.flag_units,
                       "values": r.values} for r in rows]}


# --- the series ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitPeriod:
    """One unit's figures of one period, and the window of days they count."""
    unit: str
    form: str
    period: Period
    window: tuple[dt.date, dt.date]
    window_stated: bool
    values: dict[str, object]
    source: str
    name: str = ""
    level: str = ""
    parent: str = ""
    units: int = 1
    flag_units: dict[str, int] = field(default_factory=dict)


@dataclass
class Series:
    """(unit code, form) -> period code -> :class:`UnitPeriod`; ``sources``: the files read."""
    units: dict[tuple[str, str], dict[str, UnitPeriod]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def get(self, unit: str, form: str, period: Period) -> UnitPeriod | None:
        return self.units.get((unit, form), {}).get(period.code)

    def add(self, item: UnitPeriod) -> None:
        periods = self.units.setdefault((item.unit, item.form), {})
        earlier = periods.get(item.period.code)
        if earlier is not None and earlier.source != item.source:
            raise QcdcError("history-duplicate", unit=item.unit, period=item.period.label("vi"),
                            period_en=item.period.label("en"), first=earlier.source, second=item.source)
        periods[item.period.code] = item

    def periods(self) -> list[Period]:
        return sorted({p.period for by in self.units.values() for p in by.values()})

    def __bool__(self) -> bool:
        return bool(self.units)


def read_history(paths: Iterable[str | Path]) -> Series:
    """The series of every unit in the previous files ``paths`` (consolidated workbooks or
    ``merge --json`` files). A file that cannot be used raises :class:`QcdcError` naming it."""
    series = Series()
    for path in paths:
        items = read_previous(path)
        series.sources.append(str(path))
        for item in items:
            series.add(item)
    return series


def periods_of(rows: Iterable[UnitRow], source: str) -> list[UnitPeriod]:
    """Each used unit's figures of a consolidation (``consolidate.Consolidation.unit_rows``) as the
    series holds them: what a consolidated workbook's ``_qcdc_units`` sheet gives back, without the
    file (the web desk's earlier rounds). A row without a valid period is left out."""
    out = []
    for r in rows:
        try:
            period = parse_period(r.period)
        except QcdcError:
            continue
        out.append(UnitPeriod(r.unit, r.form, period, r.window or period.window, r.window_stated, dict(r.values),
                              source, r.name, r.level, r.parent, r.units, dict(r.flag_units)))
    return out


def read_previous(path: str | Path) -> list[UnitPeriod]:
    """Each unit's figures in one previous file (a consolidated workbook or a ``merge --json`` file)."""
    return read_part(path)[1]


def read_part(path: str | Path) -> tuple[dict, list[UnitPeriod]]:
    """One file's header (``catalog_version``, ``parent``: the consolidating unit's code, ``period``:
    its code as written) and each unit's figures in it."""
    path = Path(path)
    data = _read_bytes(path)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        block = _json_block(path, data)
        rows = [_json_fields(path, n, u) for n, u in enumerate(_list(path, block.get("units")), start=1)]
    else:
        block, rows = _sheet_block(path, data)
    catalog = _catalog(path, block.get("catalog_version"))
    units = [_unit_period(path, where, fields, values, catalog, block.get("period")) for where, fields, values in rows]
    return {k: block.get(k) for k in ("catalog_version", "parent", "period")}, units


def _invalid(path: Path, vi: str, en: str) -> QcdcError:
    return QcdcError("history-invalid", path=str(path), reason=both(vi, en))


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise _invalid(path, "đây là thư mục, không phải tệp", "this is a folder, not a file")
        if path.stat().st_size > MAX_JSON_BYTES:
            raise _invalid(path, "tệp quá lớn", "the file is too large")
        return path.read_bytes()
    except FileNotFoundError:
        raise QcdcError("file-not-found", path=str(path)) from None
    except OSError as exc:
        raise _invalid(path, f"không mở được ({exc.strerror or exc})", f"cannot be opened ({exc.strerror or exc})") from None


def _json_block(path: Path, data: bytes) -> dict:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _invalid(path, "không phải tệp JSON đọc được", "not a readable JSON file") from None
    block = doc.get("history") if isinstance(doc, dict) and "history" in doc else doc
    if not isinstance(block, dict) or block.get("format") != UNITS_FORMAT:
        raise _invalid(path, "không phải tệp JSON do “qcdc-excel merge --json” ghi (thiếu phần “history”)",
                       "not a JSON file written by 'qcdc-excel merge --json' (no 'history' part)")
    return block


def _list(path: Path, value: object) -> list:
    if not isinstance(value, list):
        raise _invalid(path, "phần “units” phải là một danh sách", "'units' must be a list")
    return value


def _json_fields(path: Path, n: int, unit: object) -> tuple[dict, dict, dict]:
    where = both(f"đơn vị thứ {n}", f"unit {n}")
    if not isinstance(unit, dict) or not isinstance(unit.get("values"), dict):
        raise _invalid(path, f"đơn vị thứ {n} không đúng dạng", f"unit {n} is malformed")
    window = unit.get("window") if isinstance(unit.get("window"), list) else ["", ""]
    fields = {k: unit.get(k) for k in FIXED}
    fields["window_from"], fields["window_to"] = (list(window) + ["", ""])[:2]
    fields["window_stated"] = "1" if unit.get("window_stated") is True else "0"
    return where, fields, unit["values"]


def _sheet_block(path: Path, data: bytes) -> tuple[dict, list[tuple[dict, dict, dict]]]:
    """The header and the rows of a consolidated workbook's ``_qcdc_units`` sheet."""
    from .form import CONSOLIDATED_SHEET, UNITS_SHEET

    try:
        raw = open_workbook(data)
        info = raw.sheet(UNITS_SHEET)
        grid = _grid(read_sheet(raw, info).cells) if info is not None else None
    except Unreadable as exc:
        _, vi, en = CODES.get(exc.code, ("", exc.code, exc.code))
        raise _invalid(path, f"không đọc được tệp ({vi})", f"the file cannot be read ({en})") from None
    if info is None and raw.sheet(CONSOLIDATED_SHEET) is not None:
        raise _invalid(path, "sổ tổng hợp do phiên bản cũ ghi, chưa có số liệu từng đơn vị; hãy chạy lại "
                             "“qcdc-excel merge” cho kỳ đó hoặc dùng tệp JSON (--json) của kỳ đó",
                       "a consolidated workbook written by an older version, without each unit's figures; run "
                       "'qcdc-excel merge' for that period again or use its JSON file (--json)")
    if not grid or grid.get(1, {}).get(1) != UNITS_FORMAT:
        raise _invalid(path, "không phải sổ tổng hợp do “qcdc-excel merge” ghi (không có trang số liệu từng đơn vị)",
                       "not a consolidated workbook written by 'qcdc-excel merge' (no per-unit data sheet)")
    top = grid[1]
    block = {"catalog_version": top.get(3), "parent": top.get(4), "period": top.get(5)}
    keys = [str(k) for k in _json_list(path, both("dòng 1", "row 1"), top.get(6))]
    names = grid.get(2, {})
    rows = []
    for r in sorted(k for k in grid if k > 2):
        cells = {str(names.get(c)): v for c, v in grid[r].items() if names.get(c) is not None}
        where = both(f"dòng {r}", f"row {r}")
        values = dict(zip(keys, _json_list(path, where, cells.pop(RECORD, None))))
        fields = {k: values.pop(k, None) for k in FIXED[1:]} | {FIXED[0]: cells.pop(FIXED[0], None)}
        rows.append((where, fields, {**cells, **values}))
    return block, rows


def _json_list(path: Path, where: dict, text: object) -> list:
    """A JSON list cell: the fields of a record (row 1), or a unit's record in that order."""
    if text in (None, ""):
        return []
    try:
        figures = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        figures = None
    if not isinstance(figures, list):
        raise _invalid(path, f"{where['vi']}: ô số liệu bị sửa, không đọc được",
                       f"{where['en']}: its data cell was altered and cannot be read")
    return figures


def _grid(cells: dict) -> dict[int, dict[int, object]]:
    grid: dict[int, dict[int, object]] = {}
    for ref, cell in cells.items():
        row, col = cell_index(ref)
        if cell.value is not None and cell.formula is None:  # a formula's cached result is never trusted
            grid.setdefault(row, {})[col] = cell.value
    return grid


def _catalog(path: Path, version: object) -> Catalog:
    try:
        return load_catalog(str(version or ""))
    except QcdcError:
        raise _invalid(path, f"danh mục chỉ tiêu “{version}” không được biết",
                       f"indicator catalog '{version}' is unknown") from None


def _unit_period(path: Path, where: dict, fields: dict, values: dict, catalog: Catalog,
                 period_default: object) -> UnitPeriod:
    unit = fields.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        raise _invalid(path, f"{where['vi']}: thiếu mã đơn vị dạng chữ", f"{where['en']}: no unit code as text")
    try:
        period = parse_period(fields.get("period") or period_default)
    except QcdcError:
        raise _invalid(path, f"{where['vi']}: kỳ báo cáo “{fields.get('period')}” không hợp lệ",
                       f"{where['en']}: invalid period '{fields.get('period')}'") from None
    window = _window(fields) or period.window
    stated = fields.get("window_stated") in ("1", 1, True)
    units = fields.get("units")
    flags = fields.get("flag_units") if isinstance(fields.get("flag_units"), dict) else {}
    return UnitPeriod(unit.strip(), str(fields.get("form") or "own"), period, window, stated,
                      _values(values, catalog), str(path), str(fields.get("name") or ""),
                      str(fields.get("level") or ""), str(fields.get("parent") or ""),
                      units if isinstance(units, int) and 0 < units <= MAX_FIGURE else 1,
                      {str(k): v for k, v in flags.items() if isinstance(v, int) and 0 <= v <= MAX_FIGURE})


def _window(fields: dict) -> tuple[dt.date, dt.date] | None:
    return _dates(str(fields.get("window_from") or ""), str(fields.get("window_to") or ""))


@functools.lru_cache(maxsize=256)  # most units of a period share its window
def _dates(first: str, last: str) -> tuple[dt.date, dt.date] | None:
    try:
        start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except ValueError:
        return None
    return (start, end) if start <= end else None


_KINDS: dict[str, dict[str, str]] = {}  # catalog version -> code -> kind (ratios left out)


def _kinds(catalog: Catalog) -> dict[str, str]:
    kinds = _KINDS.get(catalog.version)
    if kinds is None:
        kinds = _KINDS[catalog.version] = {c: i.kind for c, i in catalog.indicators.items() if i.kind != "ratio"}
    return kinds


def _values(values: dict, catalog: Catalog) -> dict[str, object]:
    """The figures a check may trust: numbers for numbers, Có/Không or a count for flags, text for text;
    anything else (a hostile cell, a formula, a word in a number column) is left out. (Read for every
    unit of every earlier period: a national merge reads tens of thousands, so by the value's type.)"""
    kinds, out = _kinds(catalog), {}
    for code, value in values.items():
        kind = kinds.get(code if type(code) is str else str(code))
        kind_of_value = type(value)
        if kind is None:
            continue
        if kind_of_value is int or kind_of_value is float:
            if not 0 <= value <= MAX_FIGURE:
                continue
            if kind == "count":
                out[code] = int(value) if kind_of_value is float and value.is_integer() else value
            elif kind == "amount" or (kind == "flag" and kind_of_value is int):
                out[code] = value
        elif kind_of_value is str:
            if kind == "flag" and value in ("Có", "Không"):
                out[code] = value
            elif kind == "text":
                out[code] = value[:TEXT_LIMIT]
    return out


# --- over time -------------------------------------------------------------------------------------------
def roll(parts: list[UnitPeriod], catalog: Catalog) -> dict[str, object]:
    """A longer period's figures from ``parts`` (a unit's shorter periods), by each indicator's
    ``over_time``: sum, last (the latest period having it), max, any (Có when any part says Có);
    texts collected as ``[(period code, text), …]``. Ratios are left out: recompute them from the
    rolled parts (``consolidate.Totals.ratio``). An indicator no part reports stays out."""
    ordered = sorted(parts, key=lambda p: (p.period.window[1], p.period.kind != "Q"))
    out: dict[str, object] = {}
    for code, ind in catalog.indicators.items():
        present = [(p.period, p.values[code]) for p in ordered if p.values.get(code) is not None]
        if not present or ind.kind == "ratio":
            continue
        out[code] = _rolled(ind.over_time, present)
    return out


def _rolled(how: str, present: list[tuple[Period, object]]) -> object:
    values = [v for _, v in present]
    if how == "sum":
        total = sum((Decimal(repr(v)) if isinstance(v, float) else Decimal(v) for v in values), Decimal(0))
        return int(total) if total == total.to_integral_value() and all(isinstance(v, int) for v in values) \
            else float(total)
    if how == "max":
        return max(values)
    if how == "any":
        return "Có" if any(v == "Có" or (isinstance(v, (int, float)) and v > 0) for v in values) else "Không"
    if how == "collect":
        return [(p.code, v) for p, v in present]
    return values[-1]  # last


__all__ = ["FIXED", "Series", "UNITS_FORMAT", "UnitPeriod", "UnitRow", "header", "periods_of", "read_history",
           "read_part", "read_previous", "roll", "sheet_rows", "units_json"]
