"""Where everything sits on the form: rows, value cells, formulas and the check area.

The layout is derived from the catalog for one level and one form kind ("own": what a unit types
about itself; "consolidated": every indicator, as a parent's merged workbook shows it). The
template writer, the reader, the validator and the consolidated writer all ask the layout, so a
cell address or a formula is decided in exactly one place. Its fingerprint (a hash of codes,
labels, cell addresses and formulas) is stored in each workbook so that a reader can tell which
form it holds and whether it was tampered with.
"""
from __future__ import annotations

import functools
import hashlib
import json
import unicodedata
from dataclasses import dataclass

from .catalog import Catalog, Heading, Indicator, Rule, load_catalog

from .form import CONSOLIDATED_SHEET, FORM_KINDS, FORM_SHEET, META_SHEET, SHEET_NAMES  # noqa: F401 (re-exported)

# Columns of the form sheet.
COL_STT, COL_CODE, COL_LABEL, COL_UNIT, COL_VALUE, COL_CHECK = "A", "B", "C", "D", "E", "F"
PRINT_LAST_COL = COL_VALUE  # the check column shows on screen, never on paper

# Result words written by the in-sheet rule checks (and read back by tests).
CHECK_OK, CHECK_ERROR, CHECK_WARNING = "ĐẠT", "LỖI", "CẢNH BÁO"

# Fixed rows of the header block.
ROW_MOTTO, ROW_MOTTO2, ROW_TITLE, ROW_PERIOD_LINE = 1, 2, 4, 5
ROW_UNIT_CODE, ROW_UNIT_NAME, ROW_PARENT, ROW_PERIOD, ROW_SUMMARY, ROW_UNITS = 7, 8, 9, 10, 11, 12
ROW_TABLE_HEADER = 13
FIRST_TABLE_ROW = 14

SUMMARY_CLEAN_CONSOLIDATED = "Số liệu tổng hợp không vi phạm quy tắc kiểm tra"
KIND_HINTS = {
    "count": "Nhập số nguyên ≥ 0 (không nhập chữ, không ghi đơn vị).",
    "amount": "Nhập số ≥ 0, có thể có phần thập phân (không ghi đơn vị).",
    "flag": "Chọn Có hoặc Không trong danh sách.",
    "text": "Nhập nội dung (tối đa 2.000 ký tự).",
}
KIND_ERRORS = {
    "count": "Phải là số nguyên không âm (ví dụ 12), không có chữ.",
    "amount": "Phải là số không âm (ví dụ 11796,9), không có chữ.",
    "flag": "Chỉ chọn Có hoặc Không.",
}
NUMBER_FORMATS = {"count": "#,##0", "amount": "#,##0.0##", "ratio": "0.0%", "date": "dd/mm/yyyy"}
TEXT_MAX = 2000


@dataclass(frozen=True)
class FormRow:
    row: int
    item: Heading | Indicator
    stt: str

    @property
    def cell(self) -> str:
        return f"{COL_VALUE}{self.row}"


@dataclass(frozen=True)
class CheckRow:
    row: int
    rule: Rule

    @property
    def cell(self) -> str:
        return f"{COL_VALUE}{self.row}"


def norm_text(value: object) -> str:
    """Text as compared: NFC, runs of white space as one space, no space at either end."""
    return " ".join(unicodedata.normalize("NFC", str(value or "")).split())


@dataclass(frozen=True)
class FormLayout:
    catalog: Catalog
    level: str
    form: str
    rows: tuple[FormRow, ...]
    checks: tuple[CheckRow, ...]
    report_date_row: int
    sign_title_row: int
    sign_name_row: int
    check_title_row: int

    # --- lookups -----------------------------------------------------------------------------
    @functools.cached_property
    def indicator_rows(self) -> dict[str, FormRow]:
        return {r.item.code: r for r in self.rows if isinstance(r.item, Indicator)}

    @functools.cached_property
    def cells(self) -> dict[str, str]:
        """Indicator code -> A1 address of its value cell (inputs and computed ratios)."""
        return {code: r.cell for code, r in self.indicator_rows.items()}

    @functools.cached_property
    def input_codes(self) -> tuple[str, ...]:
        """Codes typed by the unit (on a consolidated form: the values that are totals)."""
        return tuple(c for c, r in self.indicator_rows.items() if r.item.kind != "ratio")

    @functools.cached_property
    def static_cells(self) -> tuple[tuple, ...]:
        """Per form row, what the structure check compares: (code cell, code, label cell, label
        as printed, label normalised, is a section, row)."""
        out = []
        for r in self.rows:
            item = r.item
            is_section = getattr(item, "kind", "") == "section"
            label = item.label.upper() if is_section else item.label
            out.append((f"{COL_STT if is_section else COL_CODE}{r.row}", item.code, f"{COL_LABEL}{r.row}",
                        label, norm_text(label), is_section, r.row))
        return tuple(out)

    @property
    def sheet_name(self) -> str:
        return SHEET_NAMES[self.form]

    @property
    def identity_cells(self) -> dict[str, str]:
        cells = {
            "unit_code": f"C{ROW_UNIT_CODE}", "unit_name": f"C{ROW_UNIT_NAME}",
            "parent": f"C{ROW_PARENT}", "period": f"C{ROW_PERIOD}",
            "level_label": f"E{ROW_UNIT_CODE}", "catalog_version": f"E{ROW_PERIOD}",
            "report_date": f"{COL_VALUE}{self.report_date_row}",
            "preparer": f"B{self.sign_name_row}", "head": f"D{self.sign_name_row}",
        }
        if self.form == "consolidated":
            cells["units"] = f"C{ROW_UNITS}"  # how many units the figures cover
        return cells

    @property
    def free_input_cells(self) -> tuple[str, ...]:
        """Cells always open to the unit besides the indicator inputs."""
        ids = self.identity_cells
        return (ids["report_date"], ids["preparer"], ids["head"])

    @property
    def last_table_row(self) -> int:
        return self.rows[-1].row

    @property
    def print_area(self) -> str:
        return f"A1:{PRINT_LAST_COL}{self.sign_name_row}"

    def check_cells_for(self, code: str) -> list[CheckRow]:
        return [c for c in self.checks if code in c.rule.expression.codes]

    # --- formulas ----------------------------------------------------------------------------
    def _ref(self, code: str) -> str:
        cell = self.cells[code]
        return f"${cell[0]}${cell[1:]}"

    def ratio_formula(self, ind: Indicator) -> str:
        num, den = self.cells[ind.numerator], self.cells[ind.denominator]
        return f"=IF(AND(ISNUMBER({num}),ISNUMBER({den})),IF({den}>0,{num}/{den},\"\"),\"\")"

    def check_formula(self, check: CheckRow) -> str:
        rule = check.rule
        cond = rule.expression.excel_condition(self._ref)
        fail = CHECK_ERROR if rule.severity == "error" else CHECK_WARNING
        body = f"IF({cond},\"{CHECK_OK}\",\"{fail}\")"
        skip = rule.expression.excel_skip(self._ref, rule.missing)
        return f"=IF({skip},\"\",{body})" if skip else f"={body}"

    def kind_error_condition(self, ind: Indicator) -> str | None:
        """TRUE when the typed value has the wrong kind (None: nothing to check)."""
        c = self.cells[ind.code]
        if ind.kind == "count":
            return f"IF(ISNUMBER({c}),OR({c}<0,{c}<>INT({c})),LEN({c})>0)"
        if ind.kind == "amount":
            return f"IF(ISNUMBER({c}),{c}<0,LEN({c})>0)"
        if ind.kind == "flag":
            return f"AND(LEN({c})>0,{c}<>\"Có\",{c}<>\"Không\")"
        return None

    def row_check_formula(self, row: FormRow) -> str | None:
        """Column F: what is wrong on this row, in words (empty when nothing is)."""
        ind = row.item
        parts = []
        kind_err = self.kind_error_condition(ind) if ind.kind != "ratio" else None
        if kind_err and self.form == "own":
            parts.append(f"IF({kind_err},\"{KIND_ERRORS[ind.kind]} \",\"\")")
        for check in self.checks:
            if check.rule.expression.codes[0] != ind.code:
                continue  # a rule speaks on the row of its first code; its other cells turn red
            res, msg = check.cell, f"{COL_LABEL}{check.row}"
            parts.append(f"IF({res}=\"{CHECK_ERROR}\",{msg}&\". \","
                         f"IF({res}=\"{CHECK_WARNING}\",\"Cảnh báo: \"&{msg}&\". \",\"\"))")
        return "=" + "&".join(parts) if parts else None

    def error_highlight_condition(self, ind: Indicator) -> str | None:
        """Conditional-format formula that turns the value cell red."""
        terms = []
        kind_err = self.kind_error_condition(ind)
        if kind_err and self.form == "own":
            terms.append(kind_err)
        terms += [f"${COL_VALUE}${c.row}=\"{CHECK_ERROR}\"" for c in self.check_cells_for(ind.code)
                  if c.rule.severity == "error"]
        return (f"OR({','.join(terms)})" if len(terms) > 1 else terms[0]) if terms else None

    def warning_highlight_condition(self, ind: Indicator) -> str | None:
        terms = [f"${COL_VALUE}${c.row}=\"{CHECK_WARNING}\"" for c in self.check_cells_for(ind.code)
                 if c.rule.severity == "warning"]
        return (f"OR({','.join(terms)})" if len(terms) > 1 else terms[0]) if terms else None

    def summary_formula(self) -> str:
        first, last = FIRST_TABLE_ROW, self.last_table_row
        problems = f"SUMPRODUCT(--(LEN({COL_CHECK}{first}:{COL_CHECK}{last})>0))"
        if self.form == "consolidated":  # totals: blanks are legitimate, only rules speak
            return (f"=IF({problems}>0,\"Có \"&{problems}&\" dòng cần xem lại (xem cột Kiểm tra)\","
                    f"\"{SUMMARY_CLEAN_CONSOLIDATED}\")")
        required = [self.cells[c] for c in self.input_codes if self.indicator_rows[c].item.required]
        blanks = "+".join(f"({c}=\"\")" for c in required) or "0"
        return (f"=IF({problems}>0,\"Có \"&{problems}&\" dòng cần xem lại (xem cột Kiểm tra)\","
                f"IF(({blanks})>0,\"Còn \"&({blanks})&\" chỉ tiêu bắt buộc chưa nhập\","
                f"\"Đã nhập đủ, không phát hiện lỗi\"))")

    @functools.cached_property
    def expected_formulas(self) -> tuple[tuple[str, str], ...]:
        """Every formula cell of the form and its formula (what a reader checks is intact)."""
        out: list[tuple[str, str]] = []
        for r in self.rows:
            if isinstance(r.item, Indicator):
                if r.item.kind == "ratio":
                    out.append((r.cell, self.ratio_formula(r.item)))
                check = self.row_check_formula(r)
                if check:
                    out.append((f"{COL_CHECK}{r.row}", check))
        out += [(c.cell, self.check_formula(c)) for c in self.checks]
        out.append((f"C{ROW_SUMMARY}", self.summary_formula()))
        return tuple(out)

    # --- identity ----------------------------------------------------------------------------
    def structure(self) -> dict:
        """What the fingerprint covers: codes, labels, value cells and every formula."""
        rows = []
        for r in self.rows:
            item = r.item
            formula = None
            if isinstance(item, Indicator) and item.kind == "ratio":
                formula = self.ratio_formula(item)
            rows.append([r.row, item.code, item.label,
                         item.kind if isinstance(item, Indicator) else item.kind, r.cell, formula,
                         self.row_check_formula(r) if isinstance(item, Indicator) else None])
        checks = [[c.row, c.rule.id, c.rule.message, self.check_formula(c)] for c in self.checks]
        return {"catalog_version": self.catalog.version, "level": self.level, "form": self.form,
                "sheet": self.sheet_name, "rows": rows, "checks": checks,
                "identity": self.identity_cells, "summary": self.summary_formula()}

    @functools.cached_property
    def fingerprint(self) -> str:
        canonical = json.dumps(self.structure(), ensure_ascii=False, sort_keys=True,
                               separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _items_for(catalog: Catalog, level: str, form: str) -> list[Heading | Indicator]:
    if form == "consolidated":
        shown = set(catalog.indicators)
    else:
        shown = {i.code for i in catalog.indicators.values() if level in i.levels}
    out: list[Heading | Indicator] = []
    # Keep a heading only when something under it is shown.
    for n, item in enumerate(catalog.items):
        if isinstance(item, Indicator):
            if item.code in shown:
                out.append(item)
            continue
        below = []
        for nxt in catalog.items[n + 1:]:
            if isinstance(nxt, Heading) and (nxt.kind == "section" or item.kind == "group"):
                break
            below.append(nxt)
        if any(isinstance(b, Indicator) and b.code in shown for b in below):
            out.append(item)
    return out


@functools.lru_cache(maxsize=None)
def form_layout(catalog_version: str, level: str, form: str = "own") -> FormLayout:
    """The layout of ``form`` at ``level`` for a shipped catalog version (cached)."""
    return build_layout(load_catalog(catalog_version), level, form)


def build_layout(catalog: Catalog, level: str, form: str = "own") -> FormLayout:
    if form not in FORM_KINDS:
        raise ValueError(f"form must be one of {FORM_KINDS}")
    items = _items_for(catalog, level, form)
    rows, row, n = [], FIRST_TABLE_ROW, 0
    for item in items:
        if isinstance(item, Heading):
            stt = item.code if item.kind == "section" else ""
        else:
            n += 1
            stt = str(n)
        rows.append(FormRow(row, item, stt))
        row += 1
    shown = {r.item.code for r in rows if isinstance(r.item, Indicator)}
    report_date_row = row + 1
    sign_title_row = report_date_row + 2
    sign_name_row = sign_title_row + 6
    check_title_row = sign_name_row + 3
    checks = tuple(CheckRow(check_title_row + 2 + k, rule)
                   for k, rule in enumerate(catalog.rules_for(shown)))
    return FormLayout(catalog, level, form, tuple(rows), checks, report_date_row, sign_title_row,
                      sign_name_row, check_title_row)
