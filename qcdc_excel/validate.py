"""Validate returned workbooks: read each file safely, check it, and say what to fix.

``validate(paths, ...)`` reads and checks files and returns a :class:`ValidationReport` of
:class:`Submission` results; ``qcdc_excel.check`` and ``qcdc_excel.merge`` (``merging``) read through
:func:`read_submissions` and add the feedback files and the JSON report. Values come only from the
input cells the layout defines (never from cached formula results); ratios and rules are recomputed here.
One bad file never stops the others: every failure becomes a finding on that file.
"""
from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Callable, Iterable

from .catalog import LEVELS, Indicator, known_versions, load_catalog
from .findings import TEXT_CAUSES, THOUSANDS_DOTS, WHAT_TO_TYPE, Finding, finding
from .form import CONSOLIDATED_EXTRA_SHEETS, FEEDBACK_SHEET, FORM_KINDS, META_FORMAT, META_SHEET, UNITS_SHEET
from .formulas import same_meaning
from .i18n import WORDS, QcdcError, fold
# The record of a submission and the inbox's files have their own modules; re-exported for callers.
from .inbox import SPREADSHEET_SUFFIXES, collect_files, set_aside_copies  # noqa: F401
from .layout import (COL_CODE, FORM_VERSIONS, TEXT_MAX, FormLayout, form_layout, norm_text as _norm_text,
                     straight_quotes)
from .numbers import format_number
from .periods import parse_period
from .reader import MAX_FILE_BYTES, RawWorkbook, SheetData, SheetInfo, Unreadable, open_workbook, read_sheet, text_styles
from .record import STATUSES, Submission, ValidationReport, status_of  # noqa: F401
from .roster import CODE_WIDTHS, Roster, digits_key

_PLAIN_INT = re.compile(r"^\+?\d+$")
_DECIMAL = re.compile(r"^\+?(\d+)[.,](\d+)$")
_THOUSANDS = re.compile(r"^\+?\d{1,3}(\.\d{3})+$")
_DATE_TEXT = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


# --- reading one file ------------------------------------------------------------------------------
def read_submission(path: str | Path, roster: Roster | None = None, period: str | None = None) -> Submission:
    """Validate one file; never raises for anything the file contains."""
    path = Path(path)
    sub = Submission(path)
    try:
        st = path.stat()
        sub.size, sub.mtime = st.st_size, st.st_mtime
        if st.st_size > MAX_FILE_BYTES:
            raise Unreadable("file-too-large", size_mb=round(st.st_size / 1048576, 1),
                             limit_mb=MAX_FILE_BYTES // 1048576)
        data = path.read_bytes()
        sub.sha256 = hashlib.sha256(data).hexdigest()
        _check_workbook(sub, data, roster, period)
    except Unreadable as exc:
        sub.findings.append(finding(exc.code, **exc.params))
    except OSError as exc:
        sub.findings.append(finding("file-unreadable", reason=exc.strerror or type(exc).__name__))
    except Exception as exc:  # noqa: BLE001 - the last guard: a finding, never a traceback
        sub.findings.append(finding("file-unreadable", reason=f"{type(exc).__name__}: {exc}"[:200]))
    sub.status = status_of(sub.findings)
    if sub.status != "unreadable":
        sub.fingerprint  # noqa: B018 - computed here, on the reading worker, not later in the parent
    return sub


def read_metadata(sheet: SheetData) -> dict[str, str]:
    """Key/value rows of the metadata sheet (column A = key, column B = value)."""
    rows: dict[int, list] = {}
    for ref, cell in sheet.cells.items():
        col, row = ref[0], ref[1:]
        if col in "AB" and row.isdigit():
            rows.setdefault(int(row), [None, None])["AB".index(col)] = cell.value
    out = {}
    for key, value in (rows[r] for r in sorted(rows)):
        if key is not None:
            out[str(key)] = "" if value is None else _as_text(value)
    return out


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()  # the reader gave every text in NFC


def _check_workbook(sub: Submission, data: bytes, roster: Roster | None, period: str | None) -> None:
    raw = open_workbook(data)
    meta_info = raw.sheet(META_SHEET)
    if meta_info is None:
        if [s.name for s in raw.sheets] == [FEEDBACK_SHEET] and _RECEIPT_MARK.search(raw.read.get(raw.book) or b""):
            sub.receipt_only = True  # a receipt this tool issued, sent back: no report in it
            raise Unreadable("receipt-not-report")
        raise Unreadable("not-from-template")
    meta = read_metadata(read_sheet(raw, meta_info))
    sub.meta = meta
    if meta.get("format") != META_FORMAT:
        raise Unreadable("not-from-template")
    version = meta.get("catalog_version", "")
    if version not in known_versions():
        raise Unreadable("catalog-version-unknown", version=version, known=", ".join(known_versions()))
    level, form = meta.get("level", ""), meta.get("form", "own")
    if level not in LEVELS or form not in FORM_KINDS:
        sub.findings.append(finding("metadata-invalid", sheet=META_SHEET,
                                    detail=(f"cấp “{level}”, loại “{form}”", f"level '{level}', form '{form}'")))
        return
    form_version = meta.get("form_version") or "1"  # version 1 did not record it
    if form_version not in FORM_VERSIONS:
        raise Unreadable("form-version-unknown", version=form_version, known=", ".join(FORM_VERSIONS))
    sub.catalog_version, sub.level, sub.form, sub.form_version = version, level, form, form_version
    layout = form_layout(version, level, form, form_version)
    f = sub.findings
    carried = meta.get("fingerprint")
    if carried != layout.fingerprint:
        f.append(finding("metadata-invalid", sheet=META_SHEET,
                         detail=("dấu vân tay cấu trúc không khớp", "structure fingerprint does not match")))
    try:
        cells_ok = json.loads(meta.get("cells") or "{}") == layout.cells
    except ValueError:
        cells_ok = False
    if not cells_ok:
        f.append(finding("metadata-invalid", sheet=META_SHEET,
                         detail=("vị trí ô nhập không khớp", "input cell addresses do not match")))

    # Sheets: exactly the form and the metadata sheet (a feedback sheet we added is allowed).
    form_sheet = layout.sheet_name
    form_info = raw.sheet(form_sheet)
    allowed = {form_sheet, META_SHEET, FEEDBACK_SHEET} | (CONSOLIDATED_EXTRA_SHEETS | {UNITS_SHEET}
                                                         if form == "consolidated" else set())
    unknown = [s for s in raw.sheets if s.name not in allowed]
    if form_info is None:
        if len(unknown) == 1:
            form_info = unknown.pop()
            f.append(finding("sheet-renamed", sheet=form_info.name, expected=form_sheet))
        else:
            f.append(finding("sheet-removed", sheet=form_sheet))
            return
    for extra in unknown:
        f.append(finding("sheet-added", sheet=extra.name))
    if not raw.structure_protected and form == "own":  # consolidated books are ours, not typed in
        f.append(finding("structure-unprotected"))
    if raw.external_links:
        f.append(finding("external-links"))

    sheet = read_sheet(raw, form_info)
    aligned = _check_structure(sub, sheet, layout, form_info.name)
    if not sheet.protected:
        f.append(_protection_finding(f, form_info.name))
    _check_identity(sub, sheet, layout, roster, period, form_info.name)
    if aligned:
        _read_values(sub, sheet, layout, form_info.name, _style_lookup(raw, form_info, layout))
        _check_rules(sub, layout, form_info.name)
    if raw.sheet(FEEDBACK_SHEET) is not None:
        m = _COPY_MARK.search(raw.read.get(raw.book) or b"")
        sub.copy_of = m.group(1).decode() if m else None


_COPY_MARK = re.compile(rb'name="_qcdc_copy"[^>]*>\s*(?:&quot;|")?(GY-[0-9A-F]{16})')
_RECEIPT_MARK = re.compile(rb'name="_qcdc_receipt"')  # fingerprint.RECEIPT_NAME


# --- structure ------------------------------------------------------------------------------------
# Findings that say the form itself was changed (not just filled in wrongly).
STRUCTURE_CODES = frozenset({"metadata-invalid", "sheet-added", "sheet-removed", "sheet-renamed", "rows-shifted",
                             "row-missing", "code-edited", "label-edited", "formula-overwritten"})


def _protection_finding(found: list[Finding], sheet: str) -> Finding:
    """Missing sheet protection: a warning when the form is verified intact (Google Sheets and
    Gnumeric drop protection on their own), part of the error when the form was also changed."""
    if any(f.code in STRUCTURE_CODES for f in found):
        return finding("protection-removed", "error", sheet=sheet, consequence=(
            "Biểu mẫu đã bị sửa (xem các lỗi khác): hãy điền lại vào biểu mẫu gốc có khóa, không gỡ bảo vệ.",
            "The form was also changed (see the other errors): refill the original locked template."))
    return finding("protection-removed", "warning", sheet=sheet, consequence=(
        "Cấu trúc biểu mẫu vẫn nguyên vẹn nên số liệu được chấp nhận (có thể phần mềm đã bỏ khóa khi lưu); "
        "lần sau hãy dùng biểu mẫu gốc.",
        "The form's structure is intact, so the figures are accepted (the program that saved it may have "
        "dropped the protection); use the original template next time."))


def _check_structure(sub: Submission, sheet: SheetData, layout: FormLayout, name: str) -> bool:
    """Compare the sheet with the layout; False when rows moved (then cells cannot be trusted)."""
    f = sub.findings
    cells = sheet.cells
    column_b = None  # code -> first row showing it, built only when a code is out of place
    for code_ref, code, label_ref, label, label_norm, is_section, row in layout.static_cells:
        cell = cells.get(code_ref)
        shown = cell.value if cell is not None else None
        if shown != code and _as_text(shown or "") != code:
            shown = _as_text(shown or "")
            if column_b is None:
                column_b = {}
                for ref, c in cells.items():
                    if ref.startswith(COL_CODE) and ref[1:].isdigit() and c.value is not None:
                        column_b.setdefault(_as_text(c.value), int(ref[1:]))
            found = column_b.get(code) if not is_section else None
            if found is not None and found != row:
                f.append(finding("rows-shifted", sheet=name, cell=code_ref, indicator=code,
                                 expected_row=row, found_row=found))
                return False
            if shown:
                f.append(finding("code-edited", sheet=name, cell=code_ref, indicator=code, shown=shown))
            else:
                f.append(finding("row-missing", sheet=name, cell=code_ref, indicator=code, expected_row=row))
                return False
            continue
        cell = cells.get(label_ref)
        shown_label = cell.value if cell is not None else None
        if shown_label != label and straight_quotes(_norm_text(shown_label)) != straight_quotes(label_norm):
            f.append(finding("label-edited", sheet=name, cell=label_ref, indicator=code))
    for ref, expected in layout.expected_formulas:
        cell = cells.get(ref)
        found = cell.formula if cell is not None else None
        if found != expected and not same_meaning(found, expected, name):
            f.append(finding("formula-overwritten", sheet=name, cell=ref))
    return True


# --- identity -------------------------------------------------------------------------------------
def _check_identity(sub: Submission, sheet: SheetData, layout: FormLayout, roster: Roster | None,
                    period: str | None, name: str) -> None:
    f, meta, ids = sub.findings, sub.meta, layout.identity_cells
    code = _ShownCode(sheet.value(ids["unit_code"]), name, ids["unit_code"])
    meta_code = meta.get("unit_code", "")
    if meta_code:
        if code.text != meta_code:
            if code.number and digits_key(meta_code) == code.text:  # a retyped code, as a number
                f.append(code.zero_lost(meta_code, (f"đã khớp với mã {meta_code} của biểu mẫu.",
                                                    f"matched to the form's own code {meta_code}.")))
            else:
                f.append(finding("unit-code-mismatch", sheet=name, cell=ids["unit_code"], shown=code.text or "—",
                                 expected=meta_code))
        sub.unit_code = meta_code
        sub.unit_name = meta.get("unit_name") or _as_text(sheet.value(ids["unit_name"]) or "") or None
        sub.parent_code = meta.get("parent_code") or None
    elif code.text:
        sub.unit_code = code.text
        sub.unit_name = _as_text(sheet.value(ids["unit_name"]) or "") or None
    else:
        f.append(finding("unit-code-missing", sheet=name, cell=ids["unit_code"]))

    shown_period = _as_text(sheet.value(ids["period"]) or "")
    per_text = meta.get("period") or shown_period
    if meta.get("period") and shown_period and _period_code(shown_period) != meta["period"]:
        f.append(finding("metadata-invalid", sheet=name, cell=ids["period"],
                         detail=(f"kỳ {shown_period} khác kỳ của biểu mẫu {meta['period']}",
                                 f"period {shown_period} differs from the form's {meta['period']}")))
    if not per_text:
        f.append(finding("period-missing", sheet=name, cell=ids["period"]))
    else:
        try:
            sub.period = parse_period(per_text).code
        except QcdcError:
            f.append(finding("period-invalid", sheet=name, cell=ids["period"], shown=per_text))
    if period and sub.period and sub.period != parse_period(period).code:
        f.append(finding("period-mismatch", sheet=name, cell=ids["period"], shown=sub.period,
                         expected=parse_period(period).code))

    if roster is not None and sub.unit_code:
        _match_roster(sub, layout, roster, code)
    elif sub.unit_code and code.number and not meta_code:
        _pad_without_roster(sub, layout, code)


class _ShownCode:
    """The unit code as the form's code cell holds it: its text, and whether it is a number
    (a code typed into a General cell, which Excel, LibreOffice and Gnumeric store without its
    leading zeros)."""

    def __init__(self, value: object, sheet: str, cell: str) -> None:
        self.number = isinstance(value, (int, float)) and not isinstance(value, bool)
        self.text = _as_text(value if value is not None else "")
        self.sheet, self.cell = sheet, cell

    def zero_lost(self, code: str, matched: tuple[str, str]) -> Finding:
        shown = self.text
        what = ((f"được lưu dạng số ({shown}) nên đã mất số 0 ở đầu",
                 f"was stored as a number ({shown}) and lost its leading zeros") if self.number
                else (f"ghi là {shown}, thiếu số 0 ở đầu", f"reads {shown}, without its leading zeros"))
        return finding("unit-code-zero-lost", sheet=self.sheet, cell=self.cell, shown=shown, unit=code,
                       what=what, matched=matched)


def _match_roster(sub: Submission, layout: FormLayout, roster: Roster, code: _ShownCode) -> None:
    """The roster's unit of the form: by its code, or by the one code of the form's level that
    the code fits once given back its leading zeros; otherwise say who is likely wrong."""
    f, cell = sub.findings, layout.identity_cells["unit_code"]
    unit = roster.units.get(sub.unit_code)
    if unit is None and (unit := roster.zero_lost(sub.unit_code, layout.level)) is not None:
        f.append(code.zero_lost(unit.code, (f"đã khớp với mã {unit.code} ({unit.name}) trong danh sách đơn vị.",
                                            f"matched to {unit.code} ({unit.name}) in the roster.")))
        sub.unit_code = unit.code
    if unit is None:
        f.append(finding("unit-not-in-roster", sheet=code.sheet, cell=cell, unit=sub.unit_code,
                         hint=_not_in_roster_hint(roster, layout.level, code)))
        return
    sub.unit_name = unit.name
    sub.parent_code = unit.parent
    if unit.level != layout.level:
        f.append(finding("unit-level-mismatch", sheet=code.sheet, cell=cell, unit=sub.unit_code,
                         roster_level=_level_pair(unit.level), form_level=_level_pair(layout.level)))


def _not_in_roster_hint(roster: Roster, level: str, code: _ShownCode) -> tuple[str, str]:
    """Whether the roster or the form is the likely culprit of a code not found."""
    short = roster.short_codes(level)
    if short:
        width, words = CODE_WIDTHS[level], _level_pair(level)
        count = f"{len(short)}/{len(roster.at_level(level))}"
        return (f"Có lẽ danh sách đơn vị bị sai: mã {words[0]} trong danh sách ngắn hơn {width} chữ số ({count} mã, "
                f"ví dụ {short[0].code}), như khi mã bị lưu dạng số và mất số 0 ở đầu. Hãy sửa danh sách "
                f"(ghi mã dạng chữ, đủ {width} chữ số) rồi kiểm tra lại.",
                f"The roster is likely wrong: its {words[1]} codes are shorter than {width} digits ({count}, "
                f"e.g. {short[0].code}), as when codes are stored as numbers and lose their leading zeros. "
                f"Correct the roster (codes as text, {width} digits) and check again.")
    if code.number:
        return (f"Ô {code.cell} lưu mã dạng số nên có thể đã mất số 0 ở đầu, nhưng không mã nào trong danh sách "
                f"khớp. Kiểm tra lại mã ở ô {code.cell} và ghi mã dạng chữ (định dạng ô là Văn bản).",
                f"{code.cell} holds the code as a number, which may have lost leading zeros, but no roster code "
                f"fits. Check the code in {code.cell} and keep it as text (cell format Text).")
    return (f"Danh sách đơn vị có vẻ đúng; có lẽ mã trên biểu mẫu bị ghi sai: kiểm tra lại mã ở ô {code.cell}.",
            f"The roster looks right; the code on the form is likely wrong: check the code in {code.cell}.")


def _pad_without_roster(sub: Submission, layout: FormLayout, code: _ShownCode) -> None:
    """No roster to match: a code stored as a number is read at its level's width."""
    width = CODE_WIDTHS[layout.level]
    if digits_key(sub.unit_code) is not None and len(sub.unit_code) < width:
        sub.unit_code = sub.unit_code.zfill(width)
        words = _level_pair(layout.level)
        sub.findings.append(code.zero_lost(sub.unit_code, (
            f"đã đọc là {sub.unit_code} (mã {words[0]} có {width} chữ số).",
            f"read as {sub.unit_code} ({words[1]} codes have {width} digits).")))


def _period_code(text: str) -> str:
    """The code of a period as shown (words on a version 2 form, the code on version 1)."""
    try:
        return parse_period(text).code
    except QcdcError:
        return text


def _level_pair(level: str) -> tuple[str, str]:
    vi, en = WORDS[f"level-{level}"]
    return vi.lower(), en.lower()


# --- values ---------------------------------------------------------------------------------------
def parse_number(value: object, kind: str) -> tuple[float | int | None, str | None, str | None]:
    """(number, finding code, shown text) for a count or amount cell; the code may be a warning."""
    if value is None:
        return None, None, None
    if isinstance(value, bool):
        return None, "not-a-number", str(value).upper()
    shown = None
    warning = None
    if isinstance(value, str):
        s = value.strip().replace("\u00a0", "").replace(" ", "")
        shown = value.strip()
        if s[:1] in ("'", "\u2019") and s[1:2].isdigit():
            s = s[1:]  # '164: the apostrophe that keeps a pasted number as text, not part of it
        if s == "":
            return None, None, None
        if _PLAIN_INT.match(s):
            x: float = float(int(s))
            warning = "number-as-text"
        elif kind == "amount" and (m := _DECIMAL.match(s)) and len(m.group(2)) != 3:
            x = float(f"{m.group(1)}.{m.group(2)}")
            warning = "number-as-text"
        elif s.startswith("-") and (_PLAIN_INT.match(s[1:]) or _DECIMAL.match(s[1:])):
            return None, "negative-number", shown
        else:
            return None, "not-a-number", shown
    else:
        x = float(value)
        shown = _as_text(value)
    if x != x or x in (float("inf"), float("-inf")):
        return None, "not-a-number", shown
    if x < 0:
        return None, "negative-number", shown
    if kind == "count":
        if abs(x - round(x)) > 1e-9:
            return None, "not-whole-number", shown
        return int(round(x)), warning, shown
    return x, warning, shown


def _style_lookup(raw: RawWorkbook, info: SheetInfo, layout: FormLayout) -> Callable[[str], str | None]:
    """The text style of an input cell ("quote", "text-format" or None; see ``reader.text_styles``),
    read once and only when a number stored as text asks for it."""
    found: dict[str, str] = {}
    refs = {layout.cells[code] for code in layout.input_codes}

    def style(ref: str) -> str | None:
        if not found:
            try:
                found.update(text_styles(raw, info, refs) or {"": ""})
            except Unreadable:
                found[""] = ""
        return found.get(ref) or None

    return style


def _text_cause(raw: str, style: str | None) -> tuple[str, str]:
    """Why a number is stored as text: its cell's style says so, else its own text does."""
    text = raw.strip()
    cause = style or ("quote" if text[:1] in ("'", "\u2019") else "comma" if "," in text else "pasted")
    return TEXT_CAUSES[cause]


def _read_values(sub: Submission, sheet: SheetData, layout: FormLayout, name: str,
                 style: Callable[[str], str | None] = lambda _ref: None) -> None:
    f = sub.findings
    for code in layout.input_codes:
        ind: Indicator = layout.indicator_rows[code].item
        ref = layout.cells[code]
        cell = sheet.cells.get(ref)
        raw = None if cell is None else cell.value
        if isinstance(raw, float) and ind.kind in ("count", "amount") and 0 <= raw < 1e15:
            # The common case, a plain non-negative number: no finding can come of it.
            if ind.kind == "amount" or raw == int(raw):
                sub.values[code] = int(raw) if ind.kind == "count" else raw
                continue
        common = dict(sheet=name, cell=ref, indicator=code, label=_short(ind.label), label_en=_short(ind.label_en))
        if cell is not None and cell.formula:
            f.append(finding("input-is-formula", **common))
            continue
        if isinstance(raw, str) and not raw.strip():
            raw = None
        if layout.form == "consolidated" and ind.kind == "flag" and ind.rollup == "count":
            ind = _count_view(ind)
        if raw is None:
            if ind.required and layout.form == "own":
                hint = (" (hoặc chọn Có/Không)", " (or choose Có/Không)") if ind.kind == "flag" else ("", "")
                f.append(finding("required-missing", flag_hint=hint, **common))
            continue
        if ind.kind in ("count", "amount"):
            number, code_found, shown = parse_number(raw, ind.kind)
            if code_found == "number-as-text":
                f.append(finding(code_found, shown=shown, value=(format_number(number), format_number(number, "en")),
                                 why=_text_cause(raw, style(ref)),
                                 **common))
            elif code_found == "not-a-number":
                what = THOUSANDS_DOTS[ind.kind] if _THOUSANDS.match(shown or "") else WHAT_TO_TYPE[ind.kind]
                f.append(finding(code_found, shown=shown, what=what, **common))
            elif code_found:
                f.append(finding(code_found, shown=shown, **common))
            if number is not None:
                sub.values[code] = number
        elif ind.kind == "flag":
            answer = {"co": "Có", "khong": "Không"}.get(fold(str(raw))) if isinstance(raw, str) else None
            if answer is None:
                f.append(finding("invalid-flag", shown=_as_text(raw), **common))
            else:
                sub.values[code] = answer
        elif ind.kind == "text":
            text = _as_text(raw)
            if len(text) > TEXT_MAX:
                f.append(finding("text-too-long", length=len(text), limit=TEXT_MAX, **common))
            sub.values[code] = text
    ref = layout.identity_cells["report_date"]
    sub.report_date, problem = parse_report_date(sheet.value(ref))
    if problem:
        f.append(finding(problem, sheet=name, cell=ref, shown=_as_text(sheet.value(ref) or "")))
    if "window_from" in layout.identity_cells:
        _read_window(sub, sheet, layout, name)
    if "report_number" in layout.identity_cells:
        _read_attached(sub, sheet, layout)


def _read_attached(sub: Submission, sheet: SheetData, layout: FormLayout) -> None:
    """“(Kèm theo Báo cáo số … ngày …)”: the number and date of the report the appendix goes with,
    taken as typed when they read (they are no figures: a blank or an unreadable date says nothing)."""
    ids = layout.identity_cells
    number = _as_text(sheet.value(ids["report_number"]) or "").strip()
    sub.report_number = number[:100] or None
    issued, problem = parse_report_date(sheet.value(ids["report_issued"]))
    sub.report_issued = None if problem else issued


def _read_window(sub: Submission, sheet: SheetData, layout: FormLayout, name: str) -> None:
    """“Số liệu tính từ ngày … đến ngày …”: two real dates, in order, that overlap the period
    (a warning otherwise: the figures are still taken, the secretariat decides). Left blank (a
    blank template, where the unit typed only the period), the figures count the period's usual
    window and ``window_stated`` stays False."""
    f, ids = sub.findings, layout.identity_cells
    refs = (ids["window_from"], ids["window_to"])
    raw = [sheet.value(r) for r in refs]
    if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
        if sub.period:
            sub.window = parse_period(sub.period).window
        return
    days = []
    for ref, value in zip(refs, raw):
        day, problem = parse_report_date(value)
        if problem:
            f.append(finding("window-invalid", sheet=name, cell=ref, shown=_as_text(value or "") or "—"))
            return
        days.append(day)
    start, end = days
    if end < start:
        f.append(finding("window-reversed", sheet=name, cell=refs[0],
                         start=start.strftime("%d/%m/%Y"), end=end.strftime("%d/%m/%Y")))
        return
    sub.window, sub.window_stated = (start, end), True
    if sub.period:
        period = parse_period(sub.period)
        first, last = period.span
        if end < first or start > last:
            usual = period.window
            f.append(finding("window-outside-period", sheet=name, cell=refs[0],
                             start=start.strftime("%d/%m/%Y"), end=end.strftime("%d/%m/%Y"),
                             period_words=(period.label("vi"), period.label("en")),
                             usual_start=usual[0].strftime("%d/%m/%Y"), usual_end=usual[1].strftime("%d/%m/%Y")))


@functools.lru_cache(maxsize=None)
def _count_view(ind: Indicator) -> Indicator:
    """On a consolidated form a Có/Không indicator holds how many units answered Có."""
    from dataclasses import replace

    return replace(ind, kind="count", unit="đơn vị")


def parse_report_date(value: object) -> tuple[dt.date | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "report-date-missing"
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if 1 <= value < 2958466:
                return _EXCEL_EPOCH + dt.timedelta(days=int(value)), None
        elif isinstance(value, str):
            s = value.strip()
            if m := _DATE_TEXT.match(s):
                return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))), None
            return dt.datetime.fromisoformat(s.replace("Z", "")).date(), None
    except (ValueError, OverflowError):
        pass
    return None, "report-date-invalid"


def numeric_values(values: dict[str, object]) -> dict[str, float | None]:
    return {c: v for c, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _check_rules(sub: Submission, layout: FormLayout, name: str) -> None:
    nums = numeric_values(sub.values)
    catalog = layout.catalog
    for check in layout.checks:
        rule = check.rule
        outcome = rule.evaluate(nums)
        if outcome.status != "failed":
            continue
        first = rule.expression.codes[0]
        ind = catalog.indicators[first]
        cells = ", ".join(layout.cells[c] for c in rule.expression.codes)
        sub.findings.append(finding(
            "rule-failed", rule.severity, sheet=name, cell=layout.cells[first], indicator=first,
            label=_short(ind.label), label_en=_short(ind.label_en), rule=rule.id, left=outcome.left,
            op=rule.expression.op, right=outcome.right,
            message=(rule.message.rstrip(".") + ".", rule.message_en.rstrip(".") + "."),
            left_side=_side_text(rule.expression.left), right_side=_side_text(rule.expression.right),
            cells=cells))


def _side_text(terms) -> str:
    """'II.5.3 + II.5.4 + II.5.5' for one side of a rule."""
    out = ""
    for i, term in enumerate(terms):
        text = term.code or f"{term.constant:g}"
        out += (" - " if term.sign < 0 else (" + " if i else "")) + text
    return out.strip()




def _short(label: str) -> str:
    """A label as it reads inside a sentence ('- Hòa giải thành' -> 'Hòa giải thành')."""
    label = label.strip()
    for prefix in ("- Trong đó:", "- trong đó:", "- of which", "- "):
        if label.startswith(prefix):
            label = label[len(prefix):].strip()
    return label


# --- reading many files ----------------------------------------------------------------------------
PARALLEL_THRESHOLD = 64  # below this, starting worker processes costs more than it saves
_worker_args: tuple = (None, None)


def _init_worker(roster: Roster | None, period: str | None) -> None:
    global _worker_args
    _worker_args = (roster, period)
    # What the worker inherited is never garbage: keep the collector from walking it (~5 % faster).
    gc.freeze()


def _read_in_worker(path: Path) -> Submission:
    return read_submission(path, *_worker_args)


def default_jobs(n_files: int) -> int:
    return 1 if n_files < PARALLEL_THRESHOLD else max(1, min(os.cpu_count() or 1, 8))


def read_submissions(files: list[Path], roster: Roster | None = None, period: str | None = None,
                     jobs: int | None = None,
                     progress: Callable[[Submission], None] | None = None) -> list[Submission]:
    """Validate ``files`` in order, on ``jobs`` processes (same results as one process)."""
    jobs = default_jobs(len(files)) if jobs is None else max(1, jobs)
    if jobs == 1 or len(files) < 2:
        out = []
        for path in files:
            out.append(read_submission(path, roster, period))
            if progress:
                progress(out[-1])
        return out
    from concurrent.futures import ProcessPoolExecutor

    from .processes import context

    ctx = context("fork")
    out = []
    chunk = max(1, min(64, len(files) // (jobs * 8) or 1))
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker, initargs=(roster, period)) as pool:
        for sub in pool.map(_read_in_worker, files, chunksize=chunk):
            out.append(sub)
            if progress:
                progress(sub)
    return out


# --- the API --------------------------------------------------------------------------------------
def validate(paths: Iterable[str | Path], roster: Roster | None = None, period: str | None = None,
             progress: Callable[[Submission], None] | None = None, jobs: int | None = None,
             collected: tuple[list[Path], list[tuple[Path, str]]] | None = None) -> ValidationReport:
    """Validate every file (folders read recursively).

    ``collected``: what :func:`collect_files` gave for ``paths``, when the caller already has it.
    Feedback copies are the caller's business (``qcdc_excel.feedback.write_feedback_files``).
    """
    if period is not None:
        parse_period(period)  # a bad --period is a usage error, raised before any work
    files, skipped = collected if collected is not None else collect_files(paths)
    subs = read_submissions(files, roster, period, jobs, progress)
    return ValidationReport(*set_aside_copies(subs, skipped))


__all__ = ["Submission", "ValidationReport", "validate", "read_submission", "read_submissions", "collect_files",
           "set_aside_copies", "SPREADSHEET_SUFFIXES", "FEEDBACK_SHEET", "STATUSES", "load_catalog"]
