"""The unit roster: who reports to whom, read from CSV (UTF-8, with or without BOM) or .xlsx.

Nothing in the code assumes three levels: a pre-2025 roster runs tinh -> huyen -> xa, a post-2025
one tinh -> xa, and both are just trees whose levels go down at every step.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import LEVELS
from .i18n import MultiError, QcdcError, both, fold

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


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent: str | None
    row: int = 0  # row in the roster file, for messages


@dataclass
class Roster:
    units: dict[str, Unit]
    source: str = ""
    children: dict[str | None, list[str]] = field(default_factory=dict)

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


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_rows(path: Path) -> list[list[str]]:
    """Rows of the roster file as text, header included."""
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
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QcdcError("roster-file-error", path=str(path),
                        reason=both("tệp không phải mã UTF-8: hãy lưu lại dạng «CSV UTF-8»",
                                    "not UTF-8: save it again as 'CSV UTF-8'")) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect)]


def load_roster(path: str | Path) -> Roster:
    """Load and check a roster; every problem is reported with its row, all at once."""
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise QcdcError("roster-file-error", path=src,
                        reason=both("không tìm thấy tệp", "file not found"))
    # Keep each row's line number in the file before blank lines are dropped.
    rows = [(n, r) for n, r in enumerate(_read_rows(path), start=1) if any(c for c in r)]
    if not rows:
        raise QcdcError("roster-file-error", path=src, reason=both("tệp rỗng", "file is empty"))
    header = [_HEADER_ALIASES.get(fold(h).replace("-", "_"), "") for h in rows[0][1]]
    missing = [c for c in ("code", "name", "level", "parent") if c not in header]
    if missing:
        raise QcdcError("roster-file-error", path=src, reason=both(
            f"dòng tiêu đề thiếu cột {', '.join(missing)} (cần code,name,level,parent hoặc ma,ten,cap,ma_cap_tren)",
            f"header lacks {', '.join(missing)} (need code,name,level,parent or ma,ten,cap,ma_cap_tren)"))
    col = {name: header.index(name) for name in ("code", "name", "level", "parent")}
    errors: list[QcdcError] = []

    def err(row: int, vi: str, en: str) -> None:
        errors.append(QcdcError("roster-error", path=src, row=row, reason=both(vi, en)))

    units: dict[str, Unit] = {}
    for number, row in rows[1:]:
        row = row + [""] * (len(header) - len(row))
        code, name = row[col["code"]], row[col["name"]]
        raw_level, parent = row[col["level"]], row[col["parent"]] or None
        level = normalise_level(raw_level)
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
            err(number, f"cấp «{raw_level}» không hợp lệ (dùng tinh, huyen, xa)",
                f"unknown level '{raw_level}' (use tinh, huyen, xa)")
            continue
        units[code] = Unit(code, name, level, parent, number)

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
    if not units and not errors:
        raise QcdcError("roster-file-error", path=src,
                        reason=both("không có đơn vị nào dưới dòng tiêu đề", "no unit below the header"))
    if errors:
        errors.sort(key=lambda e: e.params.get("row", 0))
        raise errors[0] if len(errors) == 1 else MultiError(errors)
    return Roster(units, src)
