"""The printed form, described once: every cell, style, width, height, merge, input rule, page break
and signature of the appendix sheet, for a unit's own form and for a parent's consolidated form.

``template.py`` renders the description with openpyxl (a unit's locked template) and
``workbook_writer.py`` with xlsxwriter (the “Tổng hợp” sheet of a consolidated workbook); neither
lays the form out itself, so the two cannot drift. The description is writer-neutral data: cells
with a value or a formula (and, for the consolidated form, the formula's computed result), a
``Style`` per cell, merged ranges, data validations, conditional formats and the print setup.

Widths are in characters of the workbook's default font (Times New Roman 12, in both writers);
heights in points. Whether a text fits its cell is decided by ``text_width``/``lines_needed``, the
same model the tests use to check the printed sheet.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from .catalog import Heading, Indicator
from .i18n import word
from .periods import vn_date
from .roster import PARTY_PREFIXES, organ_lines
from .layout import (COL_CHECK, COL_CODE, COL_LABEL, COL_STT, COL_UNIT, COL_VALUE,
                     KIND_HINTS, NUMBER_FORMATS, PLACE_PREFIXES, SUMMARY_CLEAN_CONSOLIDATED, FormLayout)

STYLES = ("nd30", "hd36")  # Decree 30/2020 (state bodies) or the steering committee's Party style
LINE_PT = 15.75  # one line of 12-point Times New Roman, as Excel and LibreOffice space it
DIGIT_PX = 8  # width of "0" in 12-point Times New Roman at 96 dpi: the unit of a column's width
PAGE_HEIGHT_PT, PAGE_WIDTH_PT = 841.9, 595.3  # A4 portrait
MARGINS = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.75, "header": 0.3, "footer": 0.3}  # inches
TEXT_ROW_LINES = 8  # a free-text paragraph row holds this many lines before the unit types
SEAL_GAP_PT = 81.0  # between “(Ký tên, đóng dấu)” and the name: 28.6 mm (27.7 mm at the print scale), room
#                     for a signature and a 35 mm round seal overlapping neither text
MM_PER_PT = 25.4 / 72

WIDTHS = {COL_STT: 6, COL_CODE: 10, COL_LABEL: 41, COL_UNIT: 12, COL_VALUE: 16, COL_CHECK: 44}
# Version 3: the organ block (A:C) and the motto (D:E) side by side need the boundary at about half the page:
# the motto, 12-point bold, is 250 pt wide and D:E holds 265 pt
WIDTHS_V3 = {COL_STT: 6, COL_CODE: 9, COL_LABEL: 30, COL_UNIT: 18, COL_VALUE: 25, COL_CHECK: 44}
CONSOLIDATED_EXTRA_WIDTHS = {"G": 14, "H": 14}
PRINT_COLS = "ABCDE"

SIGNATURES = {
    "nd30": ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
    "hd36": ("T/M BAN CHỈ ĐẠO", "TRƯỞNG BAN"),
}
MOTTOS = {
    "nd30": ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"),
    "hd36": ("ĐẢNG CỘNG SẢN VIỆT NAM", None),
}
ORGAN_RULES = {"nd30": "───────", "hd36": "*"}  # under the organ's name: a short rule, or Guide 36's star


@dataclass(frozen=True)
class Style:
    """How a cell looks, in terms both writers understand."""
    size: float = 12
    bold: bool = False
    italic: bool = False
    underline: bool = False
    color: str | None = None  # "RRGGBB"
    fill: str | None = None
    border: bool = False
    halign: str | None = None  # left | center | right
    valign: str = "center"
    wrap: bool = False
    shrink: bool = False
    num_format: str | None = None
    locked: bool = True


@dataclass
class Put:
    """One cell: a value (str, number, date or None) or a formula with its computed result."""
    ref: str
    value: object = None
    style: Style = Style()
    formula: str | None = None
    result: object = None
    merge_to: str | None = None  # last cell of a merged range starting here


@dataclass(frozen=True)
class Validation:
    ref: str
    kind: str  # count | amount | flag | date | period | text
    title: str
    prompt: str


@dataclass(frozen=True)
class CondFormat:
    ref: str
    formula: str
    look: str  # error | warning | ok


@dataclass
class FormSheet:
    name: str
    widths: dict[str, float]
    heights: dict[int, float] = field(default_factory=dict)
    cells: dict[str, Put] = field(default_factory=dict)
    validations: list[Validation] = field(default_factory=list)
    cond_formats: list[CondFormat] = field(default_factory=list)
    print_area: str = ""
    repeat_row: int = 0
    breaks_before: list[int] = field(default_factory=list)  # rows that start a printed page
    scale: int = 100
    freeze_row: int = 0
    footer: dict[str, str] = field(default_factory=dict)  # left/center/right, Excel header codes
    select_locked: bool = False
    # Excel prints the sheet without colours (LibreOffice ignores the flag and prints the light fills)
    print_black_and_white: bool = True

    def put(self, ref: str, value=None, style: Style = Style(), formula: str | None = None, result=None,
            merge_to: str | None = None) -> Put:
        cell = Put(ref, value, style, formula, result, merge_to)
        self.cells[ref] = cell
        return cell

    def width_of(self, ref: str, merge_to: str | None = None) -> float:
        first, last = _col(ref), _col(merge_to or ref)
        return sum(self.widths.get(chr(c), 8.43) for c in range(ord(first), ord(last) + 1))

    def height_of(self, row: int) -> float:
        return self.heights.get(row, LINE_PT)


def _col(ref: str) -> str:
    return ref.rstrip("0123456789")


def _row(ref: str) -> int:
    return int(ref[len(_col(ref)):])


# --- the text model ----------------------------------------------------------------------------------
def text_width(text: str, size: float = 12, bold: bool = False) -> float:
    """Width of ``text`` in column-width units (the "0" of 12-point Times New Roman), on the safe
    side: capitals and bold are wider than the average letter."""
    units = 0.0
    for ch in text:
        if ch == " ":
            units += 0.55
        elif ch.isupper():
            units += 1.45
        elif ch.isdigit():
            units += 1.0
        elif ch in "iljtfr.,:;'|!()-/":
            units += 0.6
        elif ch in "mwMW":
            units += 1.5
        else:
            units += 0.95
    return units * size / 12 * (1.1 if bold else 1.0)


def lines_needed(text: str, width: float, size: float = 12, bold: bool = False) -> int:
    """Lines ``text`` takes when wrapped at word boundaries in a cell ``width`` units wide."""
    usable = max(1.0, width - 0.8)  # the cell's own padding
    total = 0
    for para in str(text or "").split("\n"):
        lines, current = 1, 0.0
        for word in para.split(" "):
            w = text_width(word, size, bold)
            space = text_width(" ", size, bold) if current else 0.0
            if current and current + space + w > usable:
                lines += 1
                current = w
            else:
                current += space + w
            while current > usable:  # a word longer than the line breaks mid-way
                lines += 1
                current -= usable
        total += lines
    return total


def fit_height(text: str, width: float, size: float = 12, bold: bool = False, minimum: float = LINE_PT) -> float:
    """Row height (points) that holds ``text`` wrapped in ``width``."""
    return max(minimum, round(lines_needed(text, width, size, bold) * LINE_PT * size / 12 + 3, 2))


def date_line_text(unit_name: str, date: dt.date | None, form_version: str = "3") -> str:
    """What the date line's formula shows (``FormLayout.date_line_formula``), computed here: from form
    version 3 the date as Decree 30 writes it (``periods.vn_date``: “ngày 05 tháng 3 năm 2021”)."""
    name = (unit_name or "").strip()
    place = name
    for prefix in PLACE_PREFIXES:
        if name[:len(prefix)].lower() == prefix.lower():
            place = name[len(prefix):].strip()
            break
    place = place or "…………"
    if date is None:
        return f"{place}, ngày …… tháng …… năm ……"
    if form_version in ("1", "2"):  # what those versions' formula shows
        return f"{place}, ngày {date.day} tháng {date.month} năm {date.year}"
    return f"{place}, {vn_date(date)}"


# --- colours ("RRGGBB"), named once for every writer -------------------------------------------------
# On paper: the fills are screen aids (where to type, what is computed, where a section starts). Excel
# prints the form in black and white (``FormSheet.print_black_and_white``); LibreOffice, which
# ``qcdc-excel pdf`` uses, has no screen-only fill, so every fill is light enough (each channel ≥ DD)
# to print as a faint tint that hides no text and no seal.
SECTION_FILL, INPUT_FILL, COMPUTED_FILL = "DDEBF7", "FFF9E1", "EDEDED"
ERROR_FILL, WARNING_FILL = "FFC7CE", "FFEB9C"  # a cell with an error / a warning (feedback marks, self-checks)
ERROR_TEXT, WARNING_TEXT = "9C0006", "9C5700"  # the text on those fills
ALERT_TEXT = "C00000"  # red words: a self-check, a rejected verdict, a banner
OK_TEXT = "1E7B34"  # green words: all is well (a clean self-check, a fixed feedback copy)
NOTE_TEXT = "595959"  # grey small print
GRID_LINE = "808080"  # the lines of the feedback sheet's findings table

# --- styles ----------------------------------------------------------------------------------------------
S_MOTTO = Style(size=13, bold=True, halign="center")
S_MOTTO2 = Style(size=13, bold=True, underline=True, halign="center")
S_TITLE = Style(size=14, bold=True, halign="center", wrap=True)
S_MOTTO_V3 = Style(bold=True, halign="center", shrink=True)
S_ORGAN_PARENT = Style(halign="center", shrink=True)
S_ORGAN = Style(bold=True, halign="center", wrap=True)
S_ORGAN_RULE = Style(size=9, halign="center", valign="top")
S_ANNEX = Style(size=13, bold=True, halign="center")
S_ATTACHED = Style(italic=True, halign="center", shrink=True)
S_PERIOD = Style(bold=True, italic=True, halign="center")
S_LABEL = Style(bold=True, shrink=True)
S_ITALIC_RIGHT = Style(italic=True, halign="right")
S_VALUE = Style(halign="left")
S_VALUE_BOLD = Style(bold=True, halign="left", shrink=True)
S_HEAD = Style(bold=True, halign="center", wrap=True, border=True, fill=SECTION_FILL)
S_SECTION = Style(bold=True, border=True, fill=SECTION_FILL, wrap=True)
S_SECTION_C = Style(bold=True, border=True, fill=SECTION_FILL, halign="center")
S_GROUP = Style(bold=True, italic=True, border=True, wrap=True)
S_GROUP_C = Style(bold=True, italic=True, border=True, halign="center")
S_CELL = Style(border=True, wrap=True)
S_CELL_C = Style(border=True, halign="center", wrap=True)
S_CHECK = Style(size=11, color=ALERT_TEXT, wrap=True)
S_SUMMARY = Style(bold=True, color=ALERT_TEXT, wrap=True, valign="top")
S_SIGN = Style(bold=True, halign="center")
S_SIGN_NOTE = Style(italic=True, halign="center")
S_DATE_LINE = Style(italic=True, halign="right", shrink=True)
S_NOTE = Style(size=10, italic=True, color=NOTE_TEXT, wrap=True, valign="bottom")
S_ABSENT_NOTE = Style(size=11, italic=True, wrap=True, valign="top")
S_BANNER = Style(bold=True, color=ALERT_TEXT, wrap=True)


def input_style(kind: str) -> Style:
    """A cell the unit types in."""
    if kind == "text":
        return Style(border=True, fill=INPUT_FILL, wrap=True, valign="top", halign="left", locked=False)
    if kind == "date":
        return Style(border=True, fill=INPUT_FILL, halign="center", num_format=NUMBER_FORMATS["date"], locked=False)
    return Style(border=True, fill=INPUT_FILL, num_format=NUMBER_FORMATS.get(kind),
                 halign="center" if kind == "flag" else "right", locked=False)


def value_style(ind: Indicator) -> Style:
    """A consolidated value (locked; the workbook writer may change the number format)."""
    if ind.kind == "text":
        return Style(border=True, wrap=True, valign="top", halign="left")
    if ind.kind == "ratio":
        return Style(border=True, num_format=NUMBER_FORMATS["ratio"], fill=COMPUTED_FILL, halign="right")
    if ind.kind == "flag" and ind.rollup != "count":
        return Style(border=True, halign="center")
    return Style(border=True, num_format=NUMBER_FORMATS["amount" if ind.kind == "amount" else "count"],
                 halign="right")


# --- the description --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FormHeader:
    """What the header block says (empty strings for a blank template)."""
    title: str
    period_words: str = ""  # "Quý I năm 2023"; empty: the unit types the period
    window: tuple[dt.date, dt.date] | None = None
    unit_code: str = ""
    unit_name: str = ""
    parent_text: str = ""
    personal: bool = False
    style: str = "nd30"
    banner: str = ""  # a consolidated workbook's warning line
    units: int | None = None  # consolidated: units covered
    report_date: dt.date | None = None
    report_number: str = ""  # version 3: the report this appendix goes with (“480/BC-UBND”) and its date
    report_issued: dt.date | None = None


def describe_form(layout: FormLayout, head: FormHeader) -> FormSheet:
    """The appendix sheet of ``layout`` (current form version) with the header ``head``."""
    if layout.form_version == "1":
        raise ValueError("version 1 forms are read, never written")
    own = layout.form == "own"
    g, ids = layout.geometry, layout.identity_cells
    widths = dict(WIDTHS if layout.form_version == "2" else WIDTHS_V3)
    if not own:
        widths.update(CONSOLIDATED_EXTRA_WIDTHS)
    sheet = FormSheet(layout.sheet_name, widths, select_locked=not own)
    _header(sheet, layout, head)
    _table(sheet, layout)
    _signatures(sheet, layout, head)
    _checks(sheet, layout)
    sheet.print_area = f"A1:E{layout.sign_name_row}"
    sheet.repeat_row = g.table_header
    sheet.freeze_row = g.table_header
    sheet.scale = print_scale(widths)
    sheet.breaks_before = page_breaks(sheet, layout)
    sheet.footer = {"center": '&"Times New Roman,Regular"&10Trang &P/&N',
                    "right": f'&"Times New Roman,Italic"&7&K808080Mẫu {layout.catalog.version}'}
    return sheet


def _header(sheet: FormSheet, layout: FormLayout, head: FormHeader) -> None:
    g, ids, own = layout.geometry, layout.identity_cells, layout.form == "own"
    if g.annex:
        _letterhead(sheet, layout, head)
        _annex(sheet, layout, head)
    else:
        motto, motto2 = MOTTOS[head.style]
        sheet.put(f"A{g.motto}", motto, S_MOTTO, merge_to=f"E{g.motto}")
        if motto2:
            sheet.put(f"A{g.motto2}", motto2, S_MOTTO2, merge_to=f"E{g.motto2}")
    if head.banner:
        # inside the printed columns (A:E), wrapped: a long line is never cut at the page's edge
        sheet.put(f"A{g.banner}", head.banner, S_BANNER, merge_to=f"E{g.banner}")
        sheet.heights[g.banner] = fit_height(head.banner, sheet.width_of("A1", "E1"), bold=True)
    sheet.put(f"A{g.title}", head.title, S_TITLE, merge_to=f"E{g.title}")
    sheet.heights[g.title] = fit_height(head.title, sheet.width_of("A1", "E1"), 14, True)
    period = ids["period"]
    if head.period_words or not own:
        sheet.put(period, head.period_words, S_PERIOD, merge_to=f"E{_row(period)}")
    else:
        sheet.put(period, None, replace(S_PERIOD, fill=INPUT_FILL, locked=False), merge_to=f"E{_row(period)}")
        sheet.validations.append(Validation(period, "period", "Kỳ báo cáo",
                                            "Ghi kỳ báo cáo, ví dụ: Quý I năm 2023; 6 tháng đầu năm 2023; "
                                            "Năm 2023 (hoặc 2023Q1, 2023S1, 2023)."))
    w = g.window
    sheet.put(f"A{w}", "Số liệu tính từ ngày", S_ITALIC_RIGHT, merge_to=f"C{w}")
    start, end = head.window or (None, None)
    date_in = Style(halign="center", num_format=NUMBER_FORMATS["date"], italic=True)
    end_in = Style(halign="left", num_format='"đến "dd/mm/yyyy', italic=True)
    if own:
        date_in = replace(date_in, fill=INPUT_FILL, locked=False, border=True)
        end_in = replace(end_in, fill=INPUT_FILL, locked=False, border=True)
        sheet.validations += [
            Validation(ids["window_from"], "date", "Số liệu từ ngày",
                       "Ngày đầu của số liệu (thường là ngày 15 tháng cuối kỳ trước, Nghị định 09/2019/NĐ-CP)."),
            Validation(ids["window_to"], "date", "Số liệu đến ngày",
                       "Ngày cuối của số liệu (thường là ngày 14 tháng cuối kỳ báo cáo).")]
    sheet.put(ids["window_from"], start, date_in)
    sheet.put(ids["window_to"], end, end_in)
    labels = {g.unit_code: "Mã đơn vị:", g.unit_name: "Tên đơn vị:", g.parent: "Đơn vị cấp trên:"}
    if not own:
        labels[g.units] = "Số đơn vị:"
    for row, text in labels.items():
        sheet.put(f"A{row}", text, S_LABEL, merge_to=f"B{row}")
    values = {ids["unit_code"]: head.unit_code, ids["unit_name"]: head.unit_name, ids["parent"]: head.parent_text}
    for ref, value in values.items():
        style = S_VALUE_BOLD if (head.personal and ref != ids["parent"]) else replace(S_VALUE, shrink=True)
        if own and not head.personal:
            style = replace(style, fill=INPUT_FILL, locked=False, border=True)
        if ref != ids["unit_name"]:  # codes are text: Excel keeps the leading zeros of a typed 01273
            style = replace(style, num_format=NUMBER_FORMATS["code"])
        sheet.put(ref, value or None, style)
    if own and not head.personal:
        sheet.validations += [
            Validation(ids["unit_code"], "text", "Mã đơn vị", "Nhập mã đơn vị hành chính (ví dụ 23641)."),
            Validation(ids["unit_name"], "text", "Tên đơn vị", "Nhập tên đơn vị (ví dụ Xã Kon Pne)."),
            Validation(ids["parent"], "text", "Đơn vị cấp trên", "Nhập mã và tên đơn vị cấp trên.")]
    if not own:
        sheet.put(ids["units"], head.units, Style(halign="left", num_format=NUMBER_FORMATS["count"]))
    # the level and the catalog version are recorded in the metadata sheet: a “Cấp: Cấp xã” or a
    # “Mẫu biểu: qcdc-2023.1” line says nothing to the official who signs (the version goes in the footer)
    # the self-check, beside the identity block in the check column, which never prints
    s = layout.summary_ref
    sheet.put(f"{COL_CHECK}{g.unit_code}", "TỰ KIỂM TRA (không in)", Style(bold=True, size=11))
    clean = SUMMARY_CLEAN_CONSOLIDATED if not own else "Đã nhập đủ, không phát hiện lỗi"
    sheet.put(s, None, S_SUMMARY, formula=layout.summary_formula(), merge_to=f"{COL_CHECK}{g.units}")
    sheet.cond_formats.append(CondFormat(s, f'{s}="{clean}"', "ok"))
    heads = {COL_STT: "STT", COL_CODE: "Mã chỉ tiêu", COL_LABEL: "Nội dung chỉ tiêu", COL_UNIT: "Đơn vị tính",
             COL_VALUE: "Số liệu" if own else "Tổng hợp", COL_CHECK: "Kiểm tra (tự động, không in)"}
    for col, text in heads.items():
        sheet.put(f"{col}{g.table_header}", text, S_HEAD)
    sheet.heights[g.table_header] = 2 * LINE_PT + 3


def organ_formulas(layout: FormLayout, style: str) -> tuple[str | None, str | None]:
    """The organ block's lines as formulas of the unit's name and parent cells (a blank form follows
    what the unit types; ``roster.organ_lines`` computes the same); None: a fixed text."""
    name, parent = (f"${c[0]}${c[1:]}" for c in (layout.identity_cells["unit_name"], layout.identity_cells["parent"]))
    if style == "hd36":
        committee = f'"ĐẢNG ỦY "&UPPER(TRIM({name}))'
        for prefix, words in reversed(PARTY_PREFIXES):
            committee = (f'IF(LEFT(TRIM({name}),{len(prefix)})="{prefix}","{words}"&UPPER(MID(TRIM({name}),'
                         f'{len(prefix) + 1},200)),{committee})')
        return f'=IF(LEN(TRIM({name}))=0,"",{committee})', None
    after = f'IF(ISNUMBER(SEARCH(" – ",{parent})),MID({parent},SEARCH(" – ",{parent})+3,200),{parent})'
    return (f'=IF(LEN(TRIM({parent}))=0,"","UBND "&UPPER(TRIM({after})))',
            f'=IF(LEN(TRIM({name}))=0,"UBND …………","UBND "&UPPER(TRIM({name})))')


def _letterhead(sheet: FormSheet, layout: FormLayout, head: FormHeader) -> None:
    """Version 3: the issuing organ on the left (A:C) — the parent's line, the organ's own in bold, a
    short rule (Guide 36: a star) — and the motto on the right (D:E), as a state or Party document."""
    g = layout.geometry
    lines = organ_lines(head.unit_name, _parent_name(head.parent_text), head.style)
    formulas = organ_formulas(layout, head.style)
    looks = (S_ORGAN_PARENT, S_ORGAN)  # the organ above upright, the issuing organ bold (both styles)
    for row, text, formula, look in zip((g.motto, g.motto2), lines, formulas, looks):
        sheet.put(f"A{row}", None if formula else text, look, formula=formula, result=text, merge_to=f"C{row}")
    sheet.put(f"A{g.motto2 + 1}", ORGAN_RULES[head.style], S_ORGAN_RULE, merge_to=f"C{g.motto2 + 1}")
    width = sheet.width_of("A1", "C1")
    sheet.heights[g.motto2] = fit_height(lines[1], width, bold=True)
    sheet.heights[g.motto2 + 1] = 12
    motto, motto2 = MOTTOS[head.style]
    sheet.put(f"D{g.motto}", motto, S_MOTTO_V3 if motto2 else replace(S_MOTTO2, size=13), merge_to=f"E{g.motto}")
    if motto2:
        sheet.put(f"D{g.motto2}", motto2, S_MOTTO2, merge_to=f"E{g.motto2}")


def _parent_name(parent_text: str) -> str:
    """“625 – Huyện Kbang” -> “Huyện Kbang” (the parent cell holds the code and the name)."""
    return parent_text.split(" – ", 1)[-1] if " – " in parent_text else parent_text


def _annex(sheet: FormSheet, layout: FormLayout, head: FormHeader) -> None:
    """Version 3: “Phụ lục” above the title and, under the period, “(Kèm theo Báo cáo số … ngày …)”
    from the number and date the unit types in the check column (which never prints)."""
    g, ids = layout.geometry, layout.identity_cells
    if not head.title.upper().startswith("PHỤ LỤC"):  # the catalog's own title may already say it
        sheet.put(f"A{g.annex}", "Phụ lục", S_ANNEX, merge_to=f"E{g.annex}")
    line = layout.attached_line_ref
    sheet.put(line, None, S_ATTACHED, formula=layout.attached_line_formula(),
              result=attached_line_text(head.report_number, head.report_issued), merge_to=f"E{g.attached}")
    number, issued = ids["report_number"], ids["report_issued"]
    sheet.put(f"{COL_CHECK}{g.annex + 1}", "Số, ngày của báo cáo mà phụ lục này kèm theo (nhập vào hai ô dưới; "
              "dòng “Kèm theo” bên trái tự ghi theo):", S_NOTE)
    sheet.heights[g.annex + 1] = max(fit_height(head.title, sheet.width_of("A1", "E1"), 14, True), 2 * LINE_PT)
    sheet.put(number, head.report_number or None, replace(input_style("code"), halign="left"))
    sheet.put(issued, head.report_issued, input_style("date"))
    sheet.validations += [
        Validation(number, "text", "Số báo cáo", "Số của báo cáo mà phụ lục này kèm theo, ví dụ 480/BC-UBND."),
        Validation(issued, "date", "Ngày báo cáo", "Ngày của báo cáo đó, dạng ngày/tháng/năm (ví dụ 30/10/2020).")]


def attached_line_text(number: str | None, issued: dt.date | None) -> str:
    """What the “Kèm theo” line's formula shows (``FormLayout.attached_line_formula``), computed here."""
    date = vn_date(issued) if issued else "ngày …… tháng …… năm ……"
    return f"(Kèm theo Báo cáo số {(number or '').strip() or '…………'} {date})"


def _table(sheet: FormSheet, layout: FormLayout) -> None:
    own = layout.form == "own"
    label_w, unit_w = sheet.width_of(f"{COL_LABEL}1"), sheet.width_of(f"{COL_UNIT}1")
    for r in layout.rows:
        item, row = r.item, r.row
        if isinstance(item, Heading):
            section = item.kind == "section"
            fc, fl = (S_SECTION_C, S_SECTION) if section else (S_GROUP_C, S_GROUP)
            label = item.label.upper() if section else item.label
            sheet.put(f"{COL_STT}{row}", r.stt or None, fc)
            sheet.put(f"{COL_CODE}{row}", None if section else item.code, fc)
            sheet.put(f"{COL_LABEL}{row}", label, fl)
            sheet.put(f"{COL_UNIT}{row}", None, fl)
            sheet.put(f"{COL_VALUE}{row}", None, fl)
            sheet.heights[row] = fit_height(label, label_w, bold=True)
            continue
        ind: Indicator = item
        sheet.put(f"{COL_STT}{row}", r.stt, S_CELL_C)
        sheet.put(f"{COL_CODE}{row}", ind.code, S_CELL_C)
        sheet.put(f"{COL_LABEL}{row}", ind.label, S_CELL)
        unit = {"flag": "Có/Không", "text": "", "ratio": "%"}.get(ind.kind, ind.unit)
        if not own and ind.kind == "flag" and ind.rollup == "count":
            unit = "đơn vị"
        sheet.put(f"{COL_UNIT}{row}", unit or None, S_CELL_C)
        sheet.heights[row] = max(fit_height(ind.label, label_w), fit_height(unit or "", unit_w))
        if ind.kind == "text":  # the label row, then a wide paragraph row for the text itself
            sheet.put(f"{COL_VALUE}{row}", None, S_CELL)
            para = r.last_row
            sheet.put(f"{COL_STT}{para}", None, S_CELL)
            style = input_style("text") if own else value_style(ind)
            sheet.put(r.cell, None, style, merge_to=f"{COL_VALUE}{para}")
            sheet.heights[para] = TEXT_ROW_LINES * LINE_PT + 4
            if own:
                sheet.validations.append(Validation(r.cell, "text", ind.code,
                                                    f"{ind.label.lstrip('- ')}. {KIND_HINTS['text']}"))
        elif ind.kind == "ratio":
            sheet.put(r.cell, None, value_style(ind), formula=layout.ratio_formula(ind))
        elif own:
            sheet.put(r.cell, None, input_style(ind.kind))
            required = "Bắt buộc nhập. " if ind.required else ""
            sheet.validations.append(Validation(r.cell, ind.kind, ind.code,
                                                f"{ind.label.lstrip('- ')}. {required}{KIND_HINTS[ind.kind]}"))
        else:
            sheet.put(r.cell, None, value_style(ind))
        check = layout.row_check_formula(r)
        if check:
            sheet.put(f"{COL_CHECK}{row}", None, S_CHECK, formula=check)
        if ind.kind != "ratio":
            red = layout.error_highlight_condition(ind)
            if red:
                sheet.cond_formats.append(CondFormat(r.cell, red, "error"))
            yellow = layout.warning_highlight_condition(ind)
            if yellow:
                sheet.cond_formats.append(CondFormat(r.cell, yellow, "warning"))


def _signatures(sheet: FormSheet, layout: FormLayout, head: FormHeader) -> None:
    ids, own = layout.identity_cells, layout.form == "own"
    d = layout.report_date_row
    sheet.put(f"{COL_CHECK}{d - 1}", "Ngày lập báo cáo (nhập vào ô dưới; dòng ngày tháng bên trái tự ghi theo):",
              S_NOTE)
    sheet.heights[d - 1] = 2 * LINE_PT * 10 / 12 + 3
    note = absent_sections_note(layout)
    if note:  # on the free row under the table
        sheet.put(f"A{d - 1}", note, S_ABSENT_NOTE, merge_to=f"{COL_VALUE}{d - 1}")
        sheet.heights[d - 1] = max(sheet.heights[d - 1], fit_height(note, sheet.width_of("A1", "E1"), 11))
    date_style = input_style("date") if own else Style(halign="center", num_format=NUMBER_FORMATS["date"])
    sheet.put(ids["report_date"], head.report_date, date_style)
    if own:
        sheet.validations.append(Validation(ids["report_date"], "date", "Ngày báo cáo",
                                            "Nhập ngày lập báo cáo, dạng ngày/tháng/năm (ví dụ 15/06/2023)."))
    line = layout.date_line_ref
    sheet.put(line, None, S_DATE_LINE, formula=layout.date_line_formula(), merge_to=f"{COL_VALUE}{d}")
    s = layout.sign_title_row
    organ, title = SIGNATURES[head.style]
    sheet.put(f"B{s}", "NGƯỜI LẬP BIỂU", S_SIGN, merge_to=f"C{s}")
    sheet.put(f"D{s}", organ, S_SIGN, merge_to=f"E{s}")
    sheet.put(f"B{s + 1}", "(Ký, ghi rõ họ tên)", S_SIGN_NOTE, merge_to=f"C{s + 1}")
    sheet.put(f"D{s + 1}", title, S_SIGN, merge_to=f"E{s + 1}")
    sheet.put(f"D{s + 2}", "(Ký tên, đóng dấu)", S_SIGN_NOTE, merge_to=f"E{s + 2}")
    n = layout.sign_name_row
    for row in range(s + 3, n):  # the signature and the seal go here
        sheet.heights[row] = round(SEAL_GAP_PT / (n - s - 3), 2)
    name_style = replace(S_SIGN, locked=not own)
    sheet.put(ids["preparer"], None, name_style, merge_to=f"C{n}")
    sheet.put(ids["head"], None, name_style, merge_to=f"E{n}")
    if own:
        sheet.validations += [Validation(ids["preparer"], "text", "Người lập biểu", "Họ và tên người lập biểu."),
                              Validation(ids["head"], "text", "Người ký", "Họ và tên người ký báo cáo.")]


def absent_sections_note(layout: FormLayout) -> str:
    """Why a level's own form skips catalog sections (a district's reads I, III, V): the sections
    keep the catalog's numbers, which the indicator codes (III.6) and the returned files' structure
    check carry, and the levels that report the missing ones are named."""
    if layout.form != "own":
        return ""
    shown = {r.item.code for r in layout.rows if isinstance(r.item, Heading)}
    absent: dict[str, set[str]] = {}
    section = None
    for item in layout.catalog.items:
        if isinstance(item, Heading) and item.kind == "section":
            section = item.code
        elif isinstance(item, Indicator) and section not in shown:
            absent.setdefault(section, set()).update(item.levels)
    if not absent:
        return ""
    by_who: dict[str, list[str]] = {}
    for code, levels in absent.items():
        who = ", ".join(word(f"level-{lv}").lower() for lv in ("xa", "huyen", "tinh") if lv in levels)
        by_who.setdefault(who, []).append(code)
    parts = [f"Mục {' và '.join(codes)} " + (f"do {who} báo cáo" if who else "không áp dụng")
             for who, codes in by_who.items()]
    return "Ghi chú: " + "; ".join(parts) + "; số thứ tự các mục giữ theo danh mục chỉ tiêu."


def _checks(sheet: FormSheet, layout: FormLayout) -> None:
    t = layout.check_title_row
    sheet.put(f"A{t}", "KIỂM TRA TỰ ĐỘNG THEO QUY TẮC CỦA DANH MỤC (phần này không in)", S_SECTION,
              merge_to=f"F{t}")
    heads = {COL_STT: "STT", COL_CODE: "Mã quy tắc", COL_LABEL: "Nội dung kiểm tra",
             COL_UNIT: "Mức độ", COL_VALUE: "Kết quả", COL_CHECK: "Biểu thức"}
    for col, text in heads.items():
        sheet.put(f"{col}{t + 1}", text, replace(S_HEAD, size=11))
    sheet.heights[t + 1] = 2 * LINE_PT + 3
    small = Style(size=11, border=True, wrap=True)
    for k, check in enumerate(layout.checks, start=1):
        row, rule = check.row, check.rule
        sheet.put(f"{COL_STT}{row}", k, replace(small, halign="center"))
        sheet.put(f"{COL_CODE}{row}", rule.id, replace(small, size=9))
        sheet.put(f"{COL_LABEL}{row}", rule.message, small)
        sheet.put(f"{COL_UNIT}{row}", "Lỗi" if rule.severity == "error" else "Cảnh báo",
                  replace(small, halign="center"))
        sheet.put(check.cell, None, replace(small, bold=True, halign="center"), formula=layout.check_formula(check))
        sheet.put(f"{COL_CHECK}{row}", rule.expression.text, replace(small, size=10))
        sheet.heights[row] = max(fit_height(rule.message, sheet.width_of(f"{COL_LABEL}1"), 11),
                                 fit_height(rule.id, sheet.width_of(f"{COL_CODE}1"), 9),
                                 fit_height(rule.expression.text, sheet.width_of(f"{COL_CHECK}1"), 10))


# --- printing -------------------------------------------------------------------------------------------
def column_px(width: float) -> int:
    """Pixels of a column ``width`` characters wide (the spreadsheet programs' own rule)."""
    return int(width * DIGIT_PX + 5)


def print_scale(widths: dict[str, float]) -> int:
    """The largest whole percentage at which the printed columns fit the A4 width."""
    px = sum(column_px(widths[c]) for c in PRINT_COLS)
    usable = PAGE_WIDTH_PT - 72 * (MARGINS["left"] + MARGINS["right"])
    return min(100, int(100 * usable / (px * 0.75)) - 1)


def page_capacity(scale: int) -> float:
    """Points of rows one printed page holds at ``scale`` (a little kept back for rounding)."""
    usable = PAGE_HEIGHT_PT - 72 * (MARGINS["top"] + MARGINS["bottom"])
    return usable * 100 / scale * 0.96


def page_breaks(sheet: FormSheet, layout: FormLayout) -> list[int]:
    """Rows that start a printed page: every page filled as far as it goes, except that a section
    heading never ends a page (it goes over with its first two rows) and the date line, the
    signatures and the table's last row stay together."""
    capacity = page_capacity(sheet.scale)
    header = sheet.height_of(layout.geometry.table_header)
    last = layout.sign_name_row
    keep: dict[int, int] = {}  # row -> last row that must be on the same page
    for r in layout.rows:
        if isinstance(r.item, Heading):
            nxt = [x for x in layout.rows if x.row > r.row][:2]
            keep[r.row] = nxt[-1].last_row if nxt else r.row
        elif r.last_row != r.row:
            keep[r.row] = r.last_row
    keep[layout.rows[-1].row] = last  # the table's last row goes with the signatures
    for row in range(layout.last_table_row + 1, last + 1):
        keep[row] = last
    breaks, used, row = [], 0.0, 1
    while row <= last:
        end, x = keep.get(row, row), row
        while x < end:  # a block ends where the last of its rows' own blocks ends
            x += 1
            end = max(end, keep.get(x, x))
        block = sum(sheet.height_of(x) for x in range(row, end + 1))
        if used + block > capacity and used > header:
            breaks.append(row)
            used = header  # the repeated table header
        used += block
        row = end + 1
    return breaks
