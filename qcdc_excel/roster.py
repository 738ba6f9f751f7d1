"""The unit roster: who reports to whom, read from CSV (UTF-8, with or without BOM) or .xlsx.

Nothing in the code assumes three levels: a pre-2025 roster runs tinh -> huyen -> xa, a post-2025
one tinh -> xa, and both are just trees whose levels go down at every step.
"""
from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

from .catalog import LEVELS
from .i18n import MultiError, QcdcError, both, fold, nfc, t

_HEADER_ALIASES = {
    "code": "code", "ma": "code", "ma don vi": "code", "ma_don_vi": "code",
    "name": "name", "ten": "name", "ten don vi": "name", "ten_don_vi": "name",
    "level": "level", "cap": "level",
    "parent": "parent", "ma_cap_tren": "parent", "ma cap tren": "parent", "parent_code": "parent",
}
_LEVEL_ALIASES = {
    "tinh": "tinh", "province": "tinh", "thanh pho truc thuoc trung uong": "tinh",
    "huyen": "huyen", "district": "huyen", "quan": "huyen", "thi xa": "huyen",
    "xa": "xa", "commune": "xa", "phuong": "xa", "thi tran": "xa", "dac khu": "xa",
}
MAX_ROSTER_BYTES = 50 * 1024 * 1024
# Digits of a code at each level in the national list of administrative units (GSO/NSO).
CODE_WIDTHS = {"tinh": 2, "huyen": 3, "xa": 5}


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent: str | None
    row: int = 0  # row in the roster file, for messages


@dataclass(frozen=True)
class RosterWarning:
    """Something the roster loader changed or doubts, said in words (``i18n`` key and parameters)."""
    key: str
    params: dict

    def render(self, lang: str = "vi") -> str:
        return t(self.key, lang, **self.params)


def digits_key(code: str) -> str | None:
    """A code as a number shows it ('01273' -> '1273'); None when the code is not all digits."""
    if not code.isascii() or not code.isdigit():
        return None
    return code.lstrip("0") or "0"


@dataclass
class Roster:
    units: dict[str, Unit]
    source: str = ""
    children: dict[str | None, list[str]] = field(default_factory=dict)
    warnings: list[RosterWarning] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.children = {}
        for unit in self.units.values():
            self.children.setdefault(unit.parent, []).append(unit.code)

    def __contains__(self, code: object) -> bool:
        return code in self.units

    def __getitem__(self, code: str) -> Unit:
        return self.units[code]

    def __len__(self) -> int:
        return len(self.units)

    def at_level(self, level: str) -> list[Unit]:
        return [u for u in self.units.values() if u.level == level]

    def children_of(self, code: str | None) -> list[Unit]:
        return [self.units[c] for c in self.children.get(code, [])]

    def descendants(self, code: str) -> list[Unit]:
        """Every unit below ``code``, depth first in roster order."""
        out, stack = [], list(reversed(self.children.get(code, [])))
        while stack:
            unit = self.units[stack.pop()]
            out.append(unit)
            stack.extend(reversed(self.children.get(unit.code, [])))
        return out

    @functools.cached_property
    def _by_digits(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for code in self.units:
            key = digits_key(code)
            if key is not None:
                out.setdefault(key, []).append(code)
        return out

    def zero_lost(self, code: str, level: str | None = None) -> Unit | None:
        """The one unit whose code is ``code`` with the leading zeros a number dropped
        ('1273' -> 01273), at ``level`` when given; None when none or several fit."""
        key = digits_key(code)
        fits = [self.units[c] for c in self._by_digits.get(key, []) if len(c) > len(code)] if key else []
        fits = [u for u in fits if level is None or u.level == level]
        return fits[0] if len(fits) == 1 else None

    def short_codes(self, level: str) -> list[Unit]:
        """Units of ``level`` whose all-digit code is shorter than the national width (as if a
        spreadsheet had stored it as a number and dropped its leading zeros)."""
        width = CODE_WIDTHS[level]
        return [u for u in self.at_level(level) if digits_key(u.code) is not None and len(u.code) < width]

    def top(self) -> str | None:
        """The unit the whole roster reports to: its single root, going down while a unit has only
        one unit below it that itself has units below it (a district's roster that names its
        province only as the district's parent gives the district). None with several roots."""
        roots = self.children.get(None, [])
        if len(roots) != 1:
            return None
        code = roots[0]
        while len(self.children.get(code, [])) == 1 and self.children.get(self.children[code][0]):
            code = self.children[code][0]
        return code

    def ancestors(self, code: str) -> list[Unit]:
        out, parent = [], self.units[code].parent
        while parent is not None:
            out.append(self.units[parent])
            parent = self.units[parent].parent
        return out


def normalise_level(value: object) -> str | None:
    return _LEVEL_ALIASES.get(fold(str(value or "")).replace("_", " "))


def _text(value: str) -> str:
    return nfc(value).strip()


def _cell_value(value: object) -> str | int:
    """A roster cell as text; a whole number (a code Excel stored as a number) stays an int, so
    the loader can give it back its leading zeros."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _text(str(value))


def _read_rows(path: Path) -> list[list[str | int]]:
    """Rows of the roster file (header included): NFC text, or an int for a number cell of an .xlsx."""
    if path.stat().st_size > MAX_ROSTER_BYTES:
        raise QcdcError("roster-file-error", path=str(path),
                        reason=both("tệp quá lớn cho một danh sách đơn vị", "file too large for a roster"))
    data = path.read_bytes()
    if data[:2] == b"PK":
        import openpyxl  # only .xlsx rosters need it

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken zip
            raise QcdcError("roster-file-error", path=str(path),
                            reason=both(f"không đọc được tệp Excel ({type(exc).__name__})",
                                        f"cannot read the Excel file ({type(exc).__name__})")) from None
        ws = wb.worksheets[0]
        rows = [[_cell_value(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QcdcError("roster-file-error", path=str(path),
                        reason=both("tệp không phải mã UTF-8: hãy lưu lại dạng “CSV UTF-8”",
                                    "not UTF-8: save it again as 'CSV UTF-8'")) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [[_text(c) for c in row] for row in csv.reader(io.StringIO(text), dialect)]


def load_roster(path: str | Path) -> Roster:
    """Load and check a roster; every problem is reported with its row, all at once.

    Codes are text. A code cell of an .xlsx that holds a number (Excel drops the leading zeros
    of a code typed into a General cell) is read back at its level's width in the national code
    list (``CODE_WIDTHS``), a numeric parent cell as the one code it fits, and ``warnings`` names
    the rows.
    """
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise QcdcError("roster-file-error", path=src,
                        reason=both("không tìm thấy tệp", "file not found"))
    # Keep each row's line number in the file before blank lines are dropped.
    rows = [(n, r) for n, r in enumerate(_read_rows(path), start=1) if any(c != "" for c in r)]
    if not rows:
        raise QcdcError("roster-file-error", path=src, reason=both("tệp rỗng", "file is empty"))
    header = [_HEADER_ALIASES.get(fold(str(h)).replace("-", "_"), "") for h in rows[0][1]]
    missing = [c for c in ("code", "name", "level", "parent") if c not in header]
    if missing:
        raise QcdcError("roster-file-error", path=src, reason=both(
            f"dòng tiêu đề thiếu cột {', '.join(missing)} (cần code,name,level,parent hoặc ma,ten,cap,ma_cap_tren)",
            f"header lacks {', '.join(missing)} (need code,name,level,parent or ma,ten,cap,ma_cap_tren)"))
    col = {name: header.index(name) for name in ("code", "name", "level", "parent")}
    errors: list[QcdcError] = []

    def err(row: int, vi: str, en: str) -> None:
        errors.append(QcdcError("roster-error", path=src, row=row, reason=both(vi, en)))

    units, padded, numeric_parents = _read_units(rows[1:], col, len(header), err)
    padded += _restore_parents(units, numeric_parents)
    _check_tree(units, err)
    if not units and not errors:
        raise QcdcError("roster-file-error", path=src,
                        reason=both("không có đơn vị nào dưới dòng tiêu đề", "no unit below the header"))
    if errors:
        errors.sort(key=lambda e: e.params.get("row", 0))
        raise errors[0] if len(errors) == 1 else MultiError(errors)
    roster = Roster(units, src)
    if padded:
        roster.warnings.append(RosterWarning("roster-codes-as-numbers", {
            "path": src, "rows": row_list(sorted(set(r for r, _, _ in padded))),
            "example": f"{padded[0][1]} → {padded[0][2]}"}))
    return roster


def _read_units(rows, col: dict[str, int], width: int, err):
    """The units of the data rows, the codes given back their zeros as (row, number, code), and
    the codes of the units whose parent cell held a number."""
    units: dict[str, Unit] = {}
    padded: list[tuple[int, str, str]] = []
    numeric_parents: list[str] = []
    for number, row in rows:
        row = row + [""] * (width - len(row))
        raw_code, name = row[col["code"]], str(row[col["name"]])
        raw_level, parent = str(row[col["level"]]), str(row[col["parent"]]) or None
        level = normalise_level(raw_level)
        code = str(raw_code)
        if isinstance(raw_code, int) and raw_code >= 0 and level is not None:
            code = code.zfill(CODE_WIDTHS[level])
            if code != str(raw_code):
                padded.append((number, str(raw_code), code))
        if not code:
            err(number, "thiếu mã đơn vị", "missing unit code")
            continue
        if code in units:
            err(number, f"mã {code} bị trùng (đã có ở dòng {units[code].row})",
                f"duplicate code {code} (already on row {units[code].row})")
            continue
        if not name:
            err(number, f"đơn vị {code} thiếu tên", f"unit {code} has no name")
        if level is None:
            err(number, f"cấp “{raw_level}” không hợp lệ (dùng tinh, huyen, xa)",
                f"unknown level '{raw_level}' (use tinh, huyen, xa)")
            continue
        units[code] = Unit(code, name, level, parent, number)
        if isinstance(row[col["parent"]], int):
            numeric_parents.append(code)
    return units, padded, numeric_parents


def _restore_parents(units: dict[str, Unit], codes: list[str]) -> list[tuple[int, str, str]]:
    """A parent cell stored as a number ('4') names the one unit whose code it is without its
    leading zeros (04); returns (row, number, code) for each parent given back its zeros."""
    if not codes:
        return []
    probe = Roster(units)
    fixed = []
    for code in codes:
        unit = units[code]
        if unit.parent in units:
            continue
        fit = probe.zero_lost(unit.parent)
        if fit is not None:
            units[code] = replace(unit, parent=fit.code)
            fixed.append((unit.row, unit.parent, fit.code))
    return fixed


def _check_tree(units: dict[str, Unit], err) -> None:
    """Parents that exist, no cycles, levels that go down at every step."""
    for unit in units.values():
        if unit.parent is not None and unit.parent not in units:
            err(unit.row, f"mã cấp trên {unit.parent} của {unit.code} không có trong danh sách",
                f"parent {unit.parent} of {unit.code} is not in the roster")
    # Cycles first (a clearer message than the level check they would also fail).
    in_cycle: set[str] = set()
    for start in units:
        path_codes, code = [], start
        while code is not None and code in units and code not in in_cycle:
            if code in path_codes:
                loop = path_codes[path_codes.index(code):]
                in_cycle.update(loop)
                err(units[code].row, f"vòng lặp cấp trên: {' → '.join(loop + [code])}",
                    f"parent cycle: {' -> '.join(loop + [code])}")
                break
            path_codes.append(code)
            code = units[code].parent
    for unit in units.values():
        parent = units.get(unit.parent) if unit.parent else None
        if parent is None or unit.code in in_cycle:
            continue
        if LEVELS.index(unit.level) <= LEVELS.index(parent.level):
            err(unit.row, f"{unit.code} cấp {unit.level} không thể trực thuộc {parent.code} cấp {parent.level}",
                f"{unit.code} ({unit.level}) cannot be under {parent.code} ({parent.level})")


def row_list(rows: list[int]) -> str:
    """Row numbers for a message, runs shortened: [2, 3, 4, 9] -> '2–4, 9'."""
    runs: list[list[int]] = []
    for r in rows:
        if runs and r == runs[-1][1] + 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


# --- the issuing organ, as a document's header block names it ------------------------------------------
PARTY_PREFIXES = (("tỉnh ", "TỈNH ỦY "), ("thành phố ", "THÀNH ỦY "), ("huyện ", "HUYỆN ỦY "),
                  ("quận ", "QUẬN ỦY "), ("thị xã ", "THỊ ỦY "))
STEERING_COMMITTEE = "BAN CHỈ ĐẠO THỰC HIỆN DÂN CHỦ Ở CƠ SỞ"


def party_committee(unit_name: str) -> str:
    """The Party committee of a unit, as the Party-style header names it: 'Huyện Kbang' ->
    'HUYỆN ỦY KBANG', 'Xã Kon Pne' -> 'ĐẢNG ỦY XÃ KON PNE'."""
    low = unit_name.strip()
    for prefix, committee in PARTY_PREFIXES:
        if low.lower().startswith(prefix):
            return committee + low[len(prefix):].upper()
    return ("ĐẢNG ỦY " + low.upper()).strip()


def organ_lines(unit_name: str, parent_name: str, style: str = "nd30") -> tuple[str, str]:
    """The issuing-organ block's two lines: Decree 30's “UBND HUYỆN KBANG / UBND XÃ KON PNE” (the
    parent's people's committee above the unit's; the first line empty for a unit without a parent),
    or Guide 36's “HUYỆN ỦY KBANG / BAN CHỈ ĐẠO THỰC HIỆN DÂN CHỦ Ở CƠ SỞ” (the unit's Party committee
    above its steering committee)."""
    unit, parent = (unit_name or "").strip(), (parent_name or "").strip()
    if style == "hd36":
        return (party_committee(unit) if unit else "", STEERING_COMMITTEE)
    return ("UBND " + parent.upper() if parent else "", "UBND " + unit.upper() if unit else "UBND …………")


_PLACE_PREFIXES = ("thành phố ", "thị xã ", "thị trấn ", "tỉnh ", "huyện ", "quận ", "phường ", "xã ")


def place_name(unit_name: str) -> str:
    """'Huyện Kbang' -> 'Kbang': the place a paper is dated from (the report's, the receipt's)."""
    text = (unit_name or "").strip()
    for prefix in _PLACE_PREFIXES:
        if text.lower().startswith(prefix):
            return text[len(prefix):]
    return text


@dataclass(frozen=True)
class Office:
    """The office that receives the units' reports and signs their receipts: its name (“Huyện Kbang”)
    and, when the roster names it, its parent's (“Tỉnh Gia Lai”); ``Scope.office``."""
    name: str
    parent: str | None = None

    def __str__(self) -> str:
        return self.name

    def organ_lines(self) -> tuple[str, str]:
        """The organ block of its papers: “UBND TỈNH GIA LAI / UBND HUYỆN KBANG” (``organ_lines``)."""
        return organ_lines(self.name, self.parent or "")
