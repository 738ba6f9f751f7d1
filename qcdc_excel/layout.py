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

# Form versions. Any change to where things sit on the form is a new version; a workbook records
# its version in the metadata sheet ("form_version", absent before version 2) and is always read by
# the layout of its own version. Only the current version is written.
FORM_VERSIONS = ("1", "2", "3")
CURRENT_FORM_VERSION = "3"


@dataclass(frozen=True)
class Geometry:
    """The fixed rows of one form version's header block."""
    version: str
    motto: int
    motto2: int
    banner: int  # a consolidated workbook's warning line
    title: int
    period_line: int
    window: int | None  # “Số liệu tính từ ngày … đến ngày …” (version 2)
    unit_code: int
    unit_name: int
    parent: int
    units: int  # consolidated forms: how many units the figures cover
    table_header: int
    first_table_row: int
    period_ref: str  # where the period is read from
    summary_ref: str  # the self-check line
    catalog_ref: str  # "Mẫu biểu:" value
    annex: int | None = None  # version 3: “Phụ lục” above the title
    attached: int | None = None  # version 3: “(Kèm theo Báo cáo số … ngày … tháng … năm …)”
    attached_refs: tuple[str, str] | None = None  # version 3: the number and date of that report (unit inputs)


GEOMETRIES = {
    # Version 1 (published until 2026-11): period code in C10, self-check printed in C11.
    "1": Geometry("1", motto=1, motto2=2, banner=3, title=4, period_line=5, window=None, unit_code=7,
                  unit_name=8, parent=9, units=12, table_header=13, first_table_row=14,
                  period_ref="C10", summary_ref="C11", catalog_ref="E10"),
    # Version 2: the period once, in words, under the title (A5); the data window in D6:E6; the
    # self-check beside the identity block in the check column, which never prints; free text in
    # a wide paragraph row; the date line and signatures in the administrative layout.
    "2": Geometry("2", motto=1, motto2=2, banner=3, title=4, period_line=5, window=6, unit_code=7,
                  unit_name=8, parent=9, units=10, table_header=12, first_table_row=13,
                  period_ref="A5", summary_ref="F8", catalog_ref="E9"),
    # Version 3: the issuing organ (left: “UBND HUYỆN KBANG / UBND XÃ KON PNE”, a short rule) beside the
    # motto; “Phụ lục”, the title, the period and “(Kèm theo Báo cáo số … ngày …)” as an appendix of the
    # unit's report (the number and the date typed in F7, F8, which never print); the dates padded as
    # Decree 30 writes them.
    "3": Geometry("3", motto=1, motto2=2, banner=4, title=6, period_line=7, window=9, unit_code=10,
                  unit_name=11, parent=12, units=13, table_header=15, first_table_row=16,
                  period_ref="A7", summary_ref="F11", catalog_ref="E12", annex=5, attached=8,
                  attached_refs=("F7", "F8")),
}

# Version 1's rows, kept for the writers of that version's tests and for old imports.
_V1 = GEOMETRIES["1"]
ROW_MOTTO, ROW_MOTTO2, ROW_TITLE, ROW_PERIOD_LINE = _V1.motto, _V1.motto2, _V1.title, _V1.period_line
ROW_UNIT_CODE, ROW_UNIT_NAME, ROW_PARENT, ROW_PERIOD, ROW_SUMMARY, ROW_UNITS = 7, 8, 9, 10, 11, 12
ROW_TABLE_HEADER, FIRST_TABLE_ROW = _V1.table_header, _V1.first_table_row

# The administrative words stripped from a unit's name to give the place of the date line
# (Decree 30/2020: "Kon Pne, ngày … tháng … năm …" for Xã Kon Pne).
PLACE_PREFIXES = ("Thành phố ", "Thị trấn ", "Thị xã ", "Phường ", "Huyện ", "Quận ", "Tỉnh ", "Xã ")
DATE_LINE_BLANK = "…………, ngày …… tháng …… năm ……"

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
# "code": Text, for the cells that hold an administrative code, so that a typed 01273 keeps its zero.
NUMBER_FORMATS = {"count": "#,##0", "amount": "#,##0.0##", "ratio": "0.0%", "date": "dd/mm/yyyy", "code": "@"}
TEXT_MAX = 2000


@dataclass(frozen=True)
class FormRow:
    row: int
    item: Heading | Indicator
    stt: str
    value_ref: str | None = None  # version 2 free text: the paragraph cell on the row below

    @property
    def cell(self) -> str:
        return self.value_ref or f"{COL_VALUE}{self.row}"

    @property
    def last_row(self) -> int:
        """The last sheet row the item takes (two for a version 2 free-text indicator)."""
        return int(self.value_ref[1:]) if self.value_ref else self.row


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
    geometry: Geometry = GEOMETRIES[CURRENT_FORM_VERSION]

    @property
    def form_version(self) -> str:
        return self.geometry.version

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

    @functools.cached_property
    def identity_cells(self) -> dict[str, str]:
        g = self.geometry
        cells = {
            "unit_code": f"C{g.unit_code}", "unit_name": f"C{g.unit_name}",
            "parent": f"C{g.parent}", "period": g.period_ref,
            "level_label": f"E{g.unit_code}", "catalog_version": g.catalog_ref,
            "report_date": f"{COL_VALUE if g.version == '1' else COL_CHECK}{self.report_date_row}",
            "preparer": f"B{self.sign_name_row}", "head": f"D{self.sign_name_row}",
        }
        if g.window:
            cells["window_from"], cells["window_to"] = f"D{g.window}", f"E{g.window}"
        if self.form == "consolidated":
            cells["units"] = f"C{g.units}"  # how many units the figures cover
        if g.attached_refs:  # the report this appendix goes with: its number and date
            cells["report_number"], cells["report_issued"] = g.attached_refs
        return cells

    @property
    def free_input_cells(self) -> tuple[str, ...]:
        """Cells always open to the unit besides the indicator inputs."""
        ids = self.identity_cells
        window = (ids["window_from"], ids["window_to"]) if "window_from" in ids else ()
        attached = (ids["report_number"], ids["report_issued"]) if "report_number" in ids else ()
        return (ids["report_date"], ids["preparer"], ids["head"], *window, *attached)

    @property
    def summary_ref(self) -> str:
        return self.geometry.summary_ref

    @property
    def first_table_row(self) -> int:
        return self.geometry.first_table_row

    @property
    def last_table_row(self) -> int:
        return self.rows[-1].last_row

    @property
    def date_line_ref(self) -> str | None:
        """Version 2: the printed "<place>, ngày … tháng … năm …" line above the signatures."""
        return f"{COL_LABEL}{self.report_date_row}" if self.form_version != "1" else None

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

    def date_line_formula(self) -> str:
        """The place (the unit's name without its administrative word) and the report date in
        words, or dotted blanks to write by hand; DAY/MONTH/YEAR read the same in every locale."""
        name, date = f"$C${self.geometry.unit_name}", self.identity_cells["report_date"]
        place = name
        for prefix in reversed(PLACE_PREFIXES):
            place = f'IF(LEFT({name},{len(prefix)})="{prefix}",MID({name},{len(prefix) + 1},200),{place})'
        place = f'IF(LEN(TRIM({name}))=0,"…………",TRIM({place}))'
        day, month = f"DAY({date})", f"MONTH({date})"
        if self.form_version not in ("1", "2"):  # Decree 30: “ngày 05 tháng 02”, “ngày 15 tháng 3”
            day, month = f'IF({day}<10,"0","")&{day}', f'IF({month}<3,"0","")&{month}'
        return (f'={place}&IF(ISNUMBER({date}),", ngày "&{day}&" tháng "&{month}'
                f'&" năm "&YEAR({date}),", ngày …… tháng …… năm ……")')

    @property
    def attached_line_ref(self) -> str | None:
        """Version 3: the printed “(Kèm theo Báo cáo số … ngày …)” line."""
        return f"A{self.geometry.attached}" if self.geometry.attached else None

    def attached_line_formula(self) -> str:
        """“(Kèm theo Báo cáo số 480/BC-UBND ngày 30 tháng 10 năm 2020)” from the two inputs, dotted
        blanks for what is not typed yet; the date as Decree 30 writes it."""
        number, date = self.identity_cells["report_number"], self.identity_cells["report_issued"]
        day, month = f'IF(DAY({date})<10,"0","")&DAY({date})', f'IF(MONTH({date})<3,"0","")&MONTH({date})'
        return (f'="(Kèm theo Báo cáo số "&IF(LEN(TRIM({number}))>0,TRIM({number}),"…………")'
                f'&IF(ISNUMBER({date})," ngày "&{day}&" tháng "&{month}&" năm "&YEAR({date}),'
                f'" ngày …… tháng …… năm ……")&")"')

    def summary_formula(self) -> str:
        first, last = self.first_table_row, self.last_table_row
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
        out.append((self.summary_ref, self.summary_formula()))
        if self.date_line_ref:
            out.append((self.date_line_ref, self.date_line_formula()))
        if self.attached_line_ref:
            out.append((self.attached_line_ref, self.attached_line_formula()))
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
        out = {"catalog_version": self.catalog.version, "level": self.level, "form": self.form,
               "sheet": self.sheet_name, "rows": rows, "checks": checks,
               "identity": self.identity_cells, "summary": self.summary_formula()}
        if self.form_version != "1":  # version 1's fingerprint is what its files carry: unchanged
            out["form_version"] = self.form_version
            out["summary_ref"] = self.summary_ref
            out["date_line"] = [self.date_line_ref, self.date_line_formula()]
        if self.attached_line_ref:  # version 3 on: added here, so versions 1 and 2 keep their fingerprints
            out["attached_line"] = [self.attached_line_ref, self.attached_line_formula()]
        return out

    @functools.cached_property
    def fingerprint(self) -> str:
        """The structure's hash. Quote-blind: the printed “ ” count as the straight quotes the labels
        had before, so every form already in units' hands keeps the fingerprint it carries."""
        canonical = json.dumps(self.structure(), ensure_ascii=False, sort_keys=True,
                               separators=(",", ":"))
        canonical = canonical.translate(_AS_STRAIGHT)
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_STRAIGHT = {"“": '"', "”": '"'}  # the printed quotation marks, as labels wrote them before
_AS_STRAIGHT = str.maketrans({k: json.dumps(v)[1:-1] for k, v in _STRAIGHT.items()})  # inside JSON text: \"


def straight_quotes(text: str) -> str:
    """Text with the printed quotation marks “ ” as the straight ones forms made before them carry."""
    return text.translate(str.maketrans(_STRAIGHT))


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
def form_layout(catalog_version: str, level: str, form: str = "own",
                form_version: str = CURRENT_FORM_VERSION) -> FormLayout:
    """The layout of ``form`` at ``level`` for a shipped catalog version and a form version (cached)."""
    return build_layout(load_catalog(catalog_version), level, form, form_version)


def build_layout(catalog: Catalog, level: str, form: str = "own",
                 form_version: str = CURRENT_FORM_VERSION) -> FormLayout:
    if form not in FORM_KINDS:
        raise ValueError(f"form must be one of {FORM_KINDS}")
    if form_version not in GEOMETRIES:
        raise ValueError(f"form_version must be one of {FORM_VERSIONS}")
    g = GEOMETRIES[form_version]
    items = _items_for(catalog, level, form)
    rows, row, n = [], g.first_table_row, 0
    for item in items:
        if isinstance(item, Heading):
            stt = item.code if item.kind == "section" else ""
        else:
            n += 1
            stt = str(n)
        if form_version != "1" and isinstance(item, Indicator) and item.kind == "text":
            rows.append(FormRow(row, item, stt, f"{COL_CODE}{row + 1}"))  # label, then a paragraph row
            row += 2
            continue
        rows.append(FormRow(row, item, stt))
        row += 1
    shown = {r.item.code for r in rows if isinstance(r.item, Indicator)}
    report_date_row = row + 1
    # version 1: the date, a blank row, then the signature titles; version 2: the date line sits
    # right above the signature titles, as Decree 30/2020 places it
    sign_title_row = report_date_row + (2 if form_version == "1" else 1)
    sign_name_row = sign_title_row + 6
    check_title_row = sign_name_row + 3
    checks = tuple(CheckRow(check_title_row + 2 + k, rule)
                   for k, rule in enumerate(catalog.rules_for(shown)))
    return FormLayout(catalog, level, form, tuple(rows), checks, report_date_row, sign_title_row,
                      sign_name_row, check_title_row, g)
