"""The consolidated workbook, written with xlsxwriter.

"Tổng hợp" is the appendix in the consolidated layout (same rows, codes, formulas and check area
as the layout defines, so the workbook validates as the parent's own submission upward), followed
by the per-unit details, reporting status, every finding, the notes and native charts, and the
hidden identity sheet. Every string that came from a submitter is written as a string, never as a
formula. Formulas carry their Python-computed results, so a viewer that does not recalculate
still shows the right figures.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import json
import math
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from .atomic import atomic_write_bytes
from .catalog import Indicator
from .consolidate import Consolidation, Totals
from .form import (CHARTS_SHEET, DEFAULT_PASSWORD, DETAILS_SHEET, FINDINGS_SHEET, FONT, META_SHEET, NOTES_SHEET,
                   ROLLUP_SHEET, STATUS_SHEET)
from .form_sheet import (LINE_PT, MARGINS, S_CELL, S_HEAD, FormSheet, FormHeader, Style, Validation, date_line_text,
                         describe_form, fit_height, input_style)
from .i18n import WORDS, word
from .identity import Identity, metadata
from .layout import (CHECK_ERROR, CHECK_OK, CHECK_WARNING, COL_CHECK, NUMBER_FORMATS, SUMMARY_CLEAN_CONSOLIDATED,
                     TEXT_MAX, FormLayout, form_layout)
from .numbers import plain
from .periods import parse_period
from .record import ValidationReport, role_label, status_label

DETAILS, STATUS, FINDINGS, NOTES, CHARTS = (DETAILS_SHEET, STATUS_SHEET, FINDINGS_SHEET, NOTES_SHEET, CHARTS_SHEET)
STATUS_ORDER = ("on-time", "late", "rejected", "unreadable", "missing")
UNVERIFIED = ("LƯU Ý: số liệu có cả báo cáo CHƯA ĐƯỢC CHẤP NHẬN (--include-rejected), chưa kiểm tra đạt; "
              "chỉ dùng để tham khảo.")
MAX_CHART_UNITS = 60


def write_consolidated(path: str | Path, cons: Consolidation, report: ValidationReport,
                       password: str = DEFAULT_PASSWORD, date: dt.date | None = None,
                       base: Path | None = None, style: str = "nd30", trend=None) -> Path:
    """Write the consolidated workbook of ``cons`` atomically; returns its path. ``trend``: the
    headline figures over earlier periods (``trend.Trend``; its sheet only when given). ``date``: the report
    date its date line shows (default ``cons.document_date``: the report date the units gave, else the
    end of the figures' window; never the clock; editable in the workbook). ``style`` is the
    signature block's layout (``form_sheet.STYLES``)."""
    with _collector_paused():
        data = _build(cons, report, password, date or cons.document_date, base, style, trend)
    return atomic_write_bytes(Path(path), data)


@contextlib.contextmanager
def _collector_paused():
    """Hundreds of thousands of cell records, none in a cycle: the cyclic garbage collector would
    only walk them again and again (~0.1 s at 3,000 units)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _build(cons: Consolidation, report: ValidationReport, password: str, date: dt.date | None,
           base: Path | None, style: str = "nd30", trend=None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False,
                                   "default_format_properties": {"font_name": FONT, "font_size": 12}})
    wb.set_properties({"title": cons.catalog.title, "author": "qcdc-excel"})
    f = _Formats(wb)
    layout = form_layout(cons.catalog.version, cons.level, "consolidated")
    _summary_sheet(wb, f, layout, cons, password, date, style)
    _details_sheet(wb, f, cons)
    status_range = _status_sheet(wb, f, cons, report, base)
    _findings_sheet(wb, f, cons, report, base)
    _notes_sheet(wb, f, cons)
    _charts_sheet(wb, f, cons, status_range)
    _rollup_sheet(wb, f, cons)
    _trend_sheet(wb, f, cons, trend)
    _meta_sheet(wb, layout, cons)
    _units_sheet(wb, cons)
    wb.close()
    return buf.getvalue()


class _Formats:
    def __init__(self, wb) -> None:
        add = wb.add_format
        self.bold = add({"bold": True})
        self.row_text = add({"text_wrap": True, "valign": "top", "border": 1})
        self.row_center = add({"align": "center", "valign": "top", "border": 1})
        self.row_date = add({"num_format": NUMBER_FORMATS["date"], "align": "center", "valign": "top", "border": 1})
        # the details sheet: thin grey rules so a printed row can be followed across the page
        grid = {"border": 1, "border_color": "#A6A6A6", "valign": "vcenter", "font_size": DETAIL_SIZE}
        self.d_text = add(grid)
        self.d_wrap = add({**grid, "text_wrap": True})
        self.d_center = add({**grid, "align": "center"})
        self.d_date_short = add({**grid, "num_format": "dd/mm/yy", "align": "center", "shrink": True})
        self.d_wrap_center = add({**grid, "text_wrap": True, "align": "center"})
        self.d_count = add({**grid, "num_format": NUMBER_FORMATS["count"], "shrink": True})
        self.d_amount = add({**grid, "num_format": NUMBER_FORMATS["amount"], "shrink": True})
        self.d_ratio = add({**grid, "num_format": NUMBER_FORMATS["ratio"], "shrink": True})
        self.d_date = add({**grid, "num_format": NUMBER_FORMATS["date"], "align": "center"})
        self.d_label = add({**grid, "text_wrap": True, "align": "center", "bg_color": "#DDEBF7"})
        self.d_head = add({**grid, "bold": True, "text_wrap": True, "align": "center", "bg_color": "#DDEBF7"})
        self.d_title = add({"bold": True, "font_size": 11, "valign": "vcenter", "align": "left"})
        self.d_title_wrap = add({"bold": True, "font_size": 11, "valign": "top", "text_wrap": True})
        self.banner = add({"bold": True, "font_color": "#C00000", "text_wrap": True})
        self.head = add({"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1,
                         "bg_color": "#DDEBF7"})
        self.plain_count = add({"num_format": NUMBER_FORMATS["count"]})
        self.plain_ratio = add({"num_format": NUMBER_FORMATS["ratio"]})
        self._flag_formats: dict[int, object] = {}
        self._wb = wb

    def flag(self, n: int, plain: bool | str = False):
        """A count of units answering Có shown as 'x/n đơn vị' while staying a number."""
        key = (n, plain)
        if key not in self._flag_formats:
            props = {"num_format": f'0"/{n} đơn vị"', "align": "right"}
            if plain == "grid":
                props.update(border=1, border_color="#A6A6A6", valign="vcenter", font_size=DETAIL_SIZE, shrink=True)
            elif not plain:
                props.update(border=1, valign="vcenter")
            self._flag_formats[key] = self._wb.add_format(props)
        return self._flag_formats[key]


def _check_results(layout: FormLayout, totals: Totals) -> dict[str, str]:
    """What each in-sheet check shows for these totals (the same rule engine as validation)."""
    nums = {c: plain(v) for c, v in totals.values.items() if isinstance(v, (int, float, Decimal))}
    out = {}
    for check in layout.checks:
        status = check.rule.evaluate(nums).status
        out[check.rule.id] = {"passed": CHECK_OK, "skipped": ""}.get(
            status, CHECK_ERROR if check.rule.severity == "error" else CHECK_WARNING)
    return out


def _summary_value(ind: Indicator, totals: Totals, base: Style, noun: str = "đơn vị") -> tuple[object, Style]:
    """A consolidated value and how it looks, for its kind (a count of Có shown as 'x/n xã, thị
    trấn', ``noun`` naming the units)."""
    value = totals.values.get(ind.code)
    if value is None:
        return None, base
    if ind.kind == "flag" and ind.rollup == "count":
        n = totals.flag_units.get(ind.code, 0)
        return value, replace(base, num_format=f'0"/{n} {noun}"', halign="right", wrap=False)
    if isinstance(value, str):
        return value, base if ind.kind == "text" else replace(base, halign="center")
    return plain(value), replace(base, num_format=NUMBER_FORMATS["amount" if ind.kind == "amount" else "count"],
                                halign="right")


def _summary_sheet(wb, f: _Formats, layout: FormLayout, cons: Consolidation, password: str, date: dt.date | None,
                   style: str = "nd30"):
    """The appendix, described by ``form_sheet`` like a unit's template, holding the totals."""
    ws = wb.add_worksheet(layout.sheet_name)
    ws.activate()
    t = cons.totals
    period = parse_period(cons.period) if cons.period else None
    parent_text = " – ".join(x for x in (cons.parent_parent, cons.parent_parent_name) if x)
    head = FormHeader(f"{layout.catalog.title} (TỔNG HỢP)", period.label("vi") if period else "", cons.window,
                    cons.parent_code or "", cons.parent_name or "", parent_text, True, style,
                    _summary_banner(cons), t.units, date, report_number=cons.own_report_number,
                    report_issued=date)
    sheet = describe_form(layout, head)
    cells = sheet.cells
    results = _check_results(layout, t)
    messages = _row_messages(layout, results)
    hdr = layout.geometry.table_header
    sheet.put(f"G{hdr}", f"Của {cons.parent_name or 'đơn vị'} tự báo cáo", S_HEAD)
    sheet.put(f"H{hdr}", "Từ các đơn vị cấp dưới", S_HEAD)
    own_texts = {code: text for _, _, code, text in cons.own.texts}
    for r in layout.rows:
        ind = r.item
        if not isinstance(ind, Indicator):
            continue
        cell = cells[r.cell]
        if ind.kind == "text":
            _own_remark(sheet, r, own_texts.get(ind.code))
        elif ind.kind == "ratio":
            value = t.ratio(ind)
            cell.result = "" if value is None else value
        else:
            cell.value, cell.style = _summary_value(ind, t, cell.style, cons.units_noun())
            if ind.kind != "text" and ind.rollup in ("sum", "count"):
                for col, part in (("G", cons.own), ("H", cons.below)):
                    value, look = _summary_value(ind, part, S_CELL)
                    sheet.put(f"{col}{r.row}", value, look)
            elif ind.rollup == "own" and ind.kind != "text":
                value, look = _summary_value(ind, cons.own, S_CELL)
                sheet.put(f"G{r.row}", value, look)
        check = cells.get(f"{COL_CHECK}{r.row}")
        if check is not None and check.formula:
            check.result = messages.get(ind.code, "")
    for check in layout.checks:
        cells[check.cell].result = results[check.rule.id]
    problems = sum(1 for m in messages.values() if m)
    summary = cells[layout.summary_ref]
    summary.result = f"Có {problems} dòng cần xem lại (xem cột Kiểm tra)" if problems else SUMMARY_CLEAN_CONSOLIDATED
    if not problems:
        summary.style = replace(summary.style, color="1E7B34")  # clean: green, also where formats are not live
    cells[layout.date_line_ref].result = date_line_text(cons.parent_name or "", date, layout.form_version)
    _editable_signature(sheet, layout)
    sheet.footer = _footer_parts(cons)
    render_xlsxwriter(wb, ws, sheet, password)


DERIVED = "Tổng hợp từ số liệu các quý"  # the mark of a workbook built by ``rolling.rollup``


def _summary_banner(cons: Consolidation) -> str:
    """The summary sheet's red line: figures not all accepted, and/or built from the quarters (which
    ones; how many gaps)."""
    lines = [UNVERIFIED] if cons.unverified else []
    if cons.derived is not None:
        periods = [parse_period(code) for code, _, _ in cons.derived.parts]
        line = f"{DERIVED}: " + ", ".join(p.label("vi") for p in periods) + "."
        if cons.derived.gaps:
            line += f" Còn {len(cons.derived.gaps)} chỗ thiếu số liệu (xem trang “{ROLLUP_SHEET}”)."
        lines.append(line)
    return "\n".join(lines)


def _own_remark(sheet: FormSheet, r, text: str | None) -> None:
    """An evaluation box (V.1, V.2) of the appendix: the consolidating unit's own words when its own
    report gave them, editable either way (the units' remarks are on the notes sheet)."""
    cell = sheet.cells[r.cell]
    cell.value, cell.style = text or None, input_style("text")
    if text:
        need = min(409.0, fit_height(text, sheet.width_of(r.cell, cell.merge_to)))
        sheet.heights[r.last_row] = max(need, sheet.height_of(r.last_row))


def _editable_signature(sheet: FormSheet, layout: FormLayout) -> None:
    """The report date (the date line follows it) and the signers' names are typed by the
    consolidating unit before it signs."""
    ids = layout.identity_cells
    for key in ("report_date", "preparer", "head"):
        cell = sheet.cells[ids[key]]
        cell.style = replace(cell.style, locked=False)
    sheet.validations += [
        Validation(ids["report_date"], "date", "Ngày báo cáo",
                   "Nhập ngày lập báo cáo, dạng ngày/tháng/năm (ví dụ 15/06/2023)."),
        Validation(ids["preparer"], "text", "Người lập biểu", "Họ và tên người lập biểu."),
        Validation(ids["head"], "text", "Người ký", "Họ và tên người ký báo cáo.")]


class _XlsxLooks:
    """xlsxwriter formats per description Style, made once per workbook."""

    def __init__(self, wb) -> None:
        self._wb, self._cache = wb, {}

    def __call__(self, st: Style):
        fmt = self._cache.get(st)
        if fmt is None:
            props = {"font_size": st.size, "valign": {"center": "vcenter"}.get(st.valign, st.valign)}
            for key, on in (("bold", st.bold), ("italic", st.italic), ("text_wrap", st.wrap), ("shrink", st.shrink)):
                if on:
                    props[key] = True
            if st.underline:
                props["underline"] = 1
            if st.color:
                props["font_color"] = f"#{st.color}"
            if st.fill:
                props["bg_color"] = f"#{st.fill}"
            if st.border:
                props["border"] = 1
            if st.halign:
                props["align"] = st.halign
            if st.num_format:
                props["num_format"] = st.num_format
            if not st.locked:
                props["locked"] = False
            fmt = self._cache[st] = self._wb.add_format(props)
        return fmt


_XLSX_LOOKS = {"error": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
               "warning": {"bg_color": "#FFEB9C", "font_color": "#9C5700"}, "ok": {"font_color": "#1E7B34"}}


def render_xlsxwriter(wb, ws, sheet: FormSheet, password: str) -> None:
    """Write the description ``sheet`` into the xlsxwriter worksheet ``ws``."""
    looks = _XlsxLooks(wb)
    for col, width in sheet.widths.items():
        ws.set_column(f"{col}:{col}", width)
    for row, height in sheet.heights.items():
        ws.set_row(row - 1, height)
    for put in sheet.cells.values():
        fmt = looks(put.style)
        if put.merge_to:
            ws.merge_range(f"{put.ref}:{put.merge_to}", "", fmt)
        if put.formula is not None:
            ws.write_formula(put.ref, put.formula, fmt, "" if put.result is None else put.result)
        elif put.value is None:
            ws.write_blank(put.ref, None, fmt)
        elif isinstance(put.value, str):
            ws.write_string(put.ref, put.value, fmt)
        elif isinstance(put.value, dt.date):
            ws.write_datetime(put.ref, dt.datetime.combine(put.value, dt.time()), fmt)
        else:
            ws.write_number(put.ref, put.value, fmt)
    for v in sheet.validations:
        ws.data_validation(v.ref, _xlsx_validation(v))
    for cf in sheet.cond_formats:
        ws.conditional_format(cf.ref, {"type": "formula", "criteria": f"={cf.formula}",
                                       "format": wb.add_format(_XLSX_LOOKS[cf.look]),
                                       "stop_if_true": cf.look == "error"})
    ws.print_area(sheet.print_area)
    ws.repeat_rows(sheet.repeat_row - 1)
    ws.freeze_panes(sheet.freeze_row, 0)
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_print_scale(sheet.scale)
    ws.set_h_pagebreaks([row - 1 for row in sheet.breaks_before])
    ws.center_horizontally()
    ws.set_margins(left=MARGINS["left"], right=MARGINS["right"], top=MARGINS["top"], bottom=MARGINS["bottom"])
    ws.set_header("", {"margin": MARGINS["header"]})
    ws.set_footer("".join(f"&{side[0].upper()}{text}" for side, text in sheet.footer.items()),
                  {"margin": MARGINS["footer"]})
    ws.protect(password, {"select_locked_cells": sheet.select_locked, "select_unlocked_cells": True})


def _xlsx_validation(v: Validation) -> dict:
    common = {"input_title": v.title[:32], "input_message": v.prompt[:255], "error_title": "Giá trị không hợp lệ"}
    if v.kind == "count":
        return {"validate": "integer", "criteria": ">=", "value": 0, **common}
    if v.kind == "amount":
        return {"validate": "decimal", "criteria": ">=", "value": 0, **common}
    if v.kind == "flag":
        return {"validate": "list", "source": ["Có", "Không"], **common}
    if v.kind == "date":
        return {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                "maximum": dt.date(2099, 12, 31), **common}
    if v.kind == "period":
        return {"validate": "length", "criteria": "between", "minimum": 4, "maximum": 40, **common}
    return {"validate": "length", "criteria": "<=", "value": TEXT_MAX, **common}




def _lines(text: object, width: float, size: float = 12) -> int:
    """Lines ``text`` takes when wrapped in a column ``width`` characters wide (on the safe side:
    words do not break mid-way, so a line holds a little less than the width)."""
    per_line = max(1, int(width * 12 / size * 1.05) - 1)
    return sum(max(1, -(-len(part) // per_line)) for part in str(text or "").split("\n"))


def _fit_row(ws, row: int, cells: list[tuple[object, float]], size: float = 12, minimum: float = LINE_PT) -> None:
    """Set the height of ``row`` to hold the tallest of its wrapped ``cells`` ((text, width) pairs);
    a row whose texts all fit one line keeps the default height."""
    if all(len(text or "") < width for text, width in cells):
        return
    lines = max((_lines(text, width, size) for text, width in cells), default=1)
    if lines > 1:
        ws.set_row(row, max(minimum, lines * LINE_PT * size / 12 + 2))


def _footer_parts(cons: Consolidation) -> dict[str, str]:
    """Page number in the middle, the figures' fingerprint on the left (``validate`` prints the same),
    the sheet's name on the right."""
    from .fingerprint import figures_fingerprint

    mark = figures_fingerprint(cons.totals.values, cons.catalog, cons.parent_code, cons.period)
    return {"left": f'&"Times New Roman,Italic"&9Mã số liệu: {mark}',
            "center": '&"Times New Roman,Regular"&10Trang &P/&N', "right": '&"Times New Roman,Italic"&9&A'}


ATTACHMENT_HEADER = "Tài liệu kèm theo — không ký"


def _footer(ws, cons: Consolidation) -> None:
    """The header and footer of the working papers (every sheet but the signed appendix), inside the
    margins: each page says it is an attachment that is not signed."""
    parts = _footer_parts(cons)
    ws.set_header(f'&C&"Times New Roman,Italic"&10{ATTACHMENT_HEADER}', {"margin": 0.2})
    ws.set_footer(f'&L{parts["left"]}&C{parts["center"]}&R{parts["right"]}', {"margin": 0.25})


def _row_messages(layout: FormLayout, results: dict[str, str]) -> dict[str, str]:
    """Column F text per indicator, as the in-sheet formula computes it."""
    out: dict[str, str] = {}
    for check in layout.checks:
        res = results[check.rule.id]
        first = check.rule.expression.codes[0]
        if res == CHECK_ERROR:
            out[first] = out.get(first, "") + f"{check.rule.message}. "
        elif res == CHECK_WARNING:
            out[first] = out.get(first, "") + f"Cảnh báo: {check.rule.message}. "
    return out


def _banner(ws, f: _Formats, cons: Consolidation, row: int = 0, last_col: int = 8) -> int:
    if cons.unverified:
        ws.merge_range(row, 0, row, last_col, UNVERIFIED, f.banner)
        ws.set_row(row, 32)
        return row + 1
    return row


DETAIL_BLOCK = 11  # indicator columns at most on a printed page of the wide table
DETAIL_SIZE = 9  # points: the details print at 100 %, so 9 pt on the sheet is 9 pt on paper
DETAIL_ROW = 11.5  # height of a one-line row at DETAIL_SIZE, points
DETAIL_WIDTHS = {"code": 8, "name": 17, "value": 8}  # the wide table: columns A, B and each indicator column
DETAIL_INFO = (("Cấp", 9), ("Cấp trên", 9), ("Loại báo cáo", 28), ("Tệp", 26), ("Ngày báo cáo", 10), ("Kiểm tra", 14))
PAGE_WIDTH = 115  # A4 landscape inside 0.35" margins, in column-width units at 100 %
ACROSS = {"code": 5, "label": 22, "unit_min": 5.5, "unit_max": 9}  # the table with the units across


def detail_indicators(catalog) -> list[Indicator]:
    """The indicators on the details sheet (free text is on the notes sheet)."""
    return [i for i in catalog.indicators.values() if i.kind != "text"]


def detail_page_breaks(indicators: list[Indicator], first: int = 2) -> list[int]:
    """Columns where a printed page of the wide details table starts: at each section's first
    indicator and every DETAIL_BLOCK indicators, and before the information columns after them."""
    sections: list[list[int]] = []
    for k, ind in enumerate(indicators):
        sec = ind.code.split(".")[0]
        if not sections or indicators[sections[-1][0]].code.split(".")[0] != sec:
            sections.append([])
        sections[-1].append(k)
    breaks = []
    for cols in sections:
        blocks = -(-len(cols) // DETAIL_BLOCK)
        size = -(-len(cols) // blocks)  # blocks of even size: no page with one lonely column
        breaks += [first + cols[i] for i in range(0, len(cols), size)]
    return [b for b in breaks if b != first] + [first + len(indicators)]


def across_width(units: int) -> float | None:
    """The width of a unit's column when the units fit across one landscape page, else None."""
    if not units:
        return None
    width = min(ACROSS["unit_max"], (PAGE_WIDTH - ACROSS["code"] - ACROSS["label"]) / units)
    return width if width >= ACROSS["unit_min"] else None


def _unit_kind(d) -> str:
    return ("Báo cáo của chính đơn vị tổng hợp" if d.is_parent_own else
            "Báo cáo tổng hợp cấp dưới" if d.sub.form == "consolidated" else "Báo cáo của đơn vị")


def _details_sheet(wb, f: _Formats, cons: Consolidation) -> None:
    """Every unit's figures, printed on A4 landscape at 100 % (9 pt on paper), borders on every
    cell, the indicator names inside the frame. When the units fit across one page (a district's
    communes) the indicators run down and the units across, a page filled from top to bottom;
    otherwise units down and indicators across, a page per block of indicators, the header and
    the unit columns repeated on every page."""
    ws = wb.add_worksheet(DETAILS)
    indicators = detail_indicators(cons.catalog)
    rows = sorted(cons.details, key=lambda d: (not d.is_parent_own, d.code))
    plan = []  # (position, indicator, how, format): decided once, not per unit
    for k, ind in enumerate(indicators):
        how = "ratio" if ind.kind == "ratio" else "flag" if ind.kind == "flag" and ind.rollup == "count" else "value"
        fmt = {"ratio": f.d_ratio, "flag": None}.get(how, f.d_amount if ind.kind == "amount" else f.d_count)
        plan.append((k, ind, how, fmt))
    title = f"CHI TIẾT SỐ LIỆU TỪNG ĐƠN VỊ — {cons.parent_name} — kỳ {cons.period or ''}"
    width = across_width(len(rows))
    if width:
        top = _banner(ws, f, cons, last_col=1 + len(rows))
        _details_across(ws, f, plan, rows, top, title, width)
    else:
        top = _banner(ws, f, cons, last_col=1 + DETAIL_BLOCK)
        _details_wide(ws, f, (indicators, plan), rows, top, title)
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_print_scale(100)
    ws.set_margins(left=0.35, right=0.35, top=0.5, bottom=0.6)
    _footer(ws, cons)


class _Across:
    """The writing calls of a worksheet with rows and columns swapped, so that the loop writing a
    unit's values along a row writes them down a column."""

    def __init__(self, ws) -> None:
        self._ws = ws

    def write_number(self, row, col, *rest):
        return self._ws.write_number(col, row, *rest)

    def write_string(self, row, col, *rest):
        return self._ws.write_string(col, row, *rest)

    def write_blank(self, row, col, *rest):
        return self._ws.write_blank(col, row, *rest)


def _details_across(ws, f: _Formats, plan: list[tuple], rows: list, top: int, title: str, width: float) -> None:
    """Indicators down (code, name), units across (name and code above), then what is known of
    each report (level, date, check); the header repeated on every page."""
    last_col = 1 + len(rows)
    ws.merge_range(top, 0, top, last_col, title, f.d_title)
    ws.set_row(top, 20)
    names, codes = top + 1, top + 2
    ws.merge_range(names, 0, codes, 0, "Mã chỉ tiêu", f.d_head)
    ws.merge_range(names, 1, codes, 1, "Chỉ tiêu", f.d_head)
    for c, d in enumerate(rows, start=2):
        ws.write_string(names, c, d.name + (" (báo cáo riêng)" if d.is_parent_own else ""), f.d_label)
        ws.write_string(codes, c, d.code, f.d_head)
    ws.set_row(names, max(_lines(d.name + " (báo cáo riêng)" * d.is_parent_own, width, DETAIL_SIZE)
                          for d in rows) * LINE_PT * DETAIL_SIZE / 12 + 3)
    first = codes + 1
    for k, ind, _, _ in plan:
        label = ind.label.lstrip("- ")
        ws.write_string(first + k, 0, ind.code, f.d_center)
        ws.write_string(first + k, 1, label, f.d_wrap)
        ws.set_row(first + k, max(DETAIL_ROW, _lines(label, ACROSS["label"], DETAIL_SIZE) * LINE_PT * DETAIL_SIZE / 12
                                  + 2))
    across = _Across(ws)
    rows_plan = [(first + k, *rest) for k, *rest in plan]
    for c, d in enumerate(rows, start=2):
        _details_values(across, c, rows_plan, d.totals, f, own=d.sub.form != "consolidated")
    end = _across_info(ws, f, rows, first + len(plan), width)
    ws.set_column(0, 0, ACROSS["code"])
    ws.set_column(1, 1, ACROSS["label"])
    ws.set_column(2, last_col, width)
    ws.freeze_panes(first, 2)
    ws.repeat_rows(top, codes)  # the title and the units on every page
    ws.print_area(0, 0, end - 1, last_col)


def _across_info(ws, f: _Formats, rows: list, r: int, width: float) -> int:
    """The rows under the figures: each report's level, date and check result (its file is on the
    reporting-status sheet). Returns the row after them."""
    for label, value_of in (("Cấp", lambda d: _info_values(d)[0]), ("Ngày báo cáo", lambda d: d.sub.report_date),
                            ("Kiểm tra", lambda d: status_label(d.sub.status))):
        ws.write_blank(r, 0, None, f.d_center)
        ws.write_string(r, 1, label, f.d_wrap)
        lines = 1
        for c, d in enumerate(rows, start=2):
            value = value_of(d)
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), f.d_date_short)
            elif value:
                ws.write_string(r, c, value, f.d_wrap_center)
                lines = max(lines, _lines(value, width, DETAIL_SIZE))
            else:
                ws.write_blank(r, c, None, f.d_center)
        ws.set_row(r, max(DETAIL_ROW, lines * LINE_PT * DETAIL_SIZE / 12 + 2))
        r += 1
    return r


def _info_values(d) -> list:
    level = word(f"level-{d.level}") if f"level-{d.level}" in WORDS else d.level
    return [level, d.parent or "", _unit_kind(d), d.sub.path.name, d.sub.report_date, status_label(d.sub.status)]


def _unit_height(d) -> float:
    """A unit's row in the wide table: one line, or the lines its name, kind or file's name needs."""
    lines = max(_lines(d.name, DETAIL_WIDTHS["name"], DETAIL_SIZE), _lines(d.sub.path.name, 26, DETAIL_SIZE),
                _lines(_unit_kind(d), 28, DETAIL_SIZE))
    return max(DETAIL_ROW, lines * LINE_PT * DETAIL_SIZE / 12 + 2)


def _label_height(indicators: list[Indicator]) -> float:
    """The label row of the wide table: its longest name wrapped in an indicator column."""
    lines = max((_lines(i.label.lstrip("- "), DETAIL_WIDTHS["value"], DETAIL_SIZE) for i in indicators), default=1)
    return lines * LINE_PT * DETAIL_SIZE / 12 + 3


def _details_wide(ws, f: _Formats, table: tuple, rows: list, top: int, title: str) -> None:
    """Units down, indicators across: a page per block of indicators, the title, header rows and
    unit columns on every page (the title wraps inside the unit columns, so no page cuts it)."""
    indicators, plan = table
    ws.merge_range(top, 0, top, 1, title, f.d_title_wrap)
    ws.set_row(top, min(409, (_lines(title, 24, 11) + 1) * LINE_PT * 11 / 12 + 4))  # bold: a line to spare
    label_row, head_row = top + 1, top + 2
    ws.merge_range(label_row, 0, head_row, 0, "Mã đơn vị", f.d_head)
    ws.merge_range(label_row, 1, head_row, 1, "Tên đơn vị", f.d_head)
    for k, ind in enumerate(indicators):
        ws.write_string(label_row, 2 + k, ind.label.lstrip("- "), f.d_label)
        ws.write_string(head_row, 2 + k, ind.code, f.d_head)
    after = 2 + len(indicators)
    for c, (text, width) in enumerate(DETAIL_INFO, start=after):
        ws.merge_range(label_row, c, head_row, c, text, f.d_head)  # no empty band above them
        ws.set_column(c, c, width)
    ws.set_row(label_row, _label_height(indicators))
    ws.set_row(head_row, DETAIL_ROW + 2)
    wide_plan = [(2 + k, *rest) for k, *rest in plan]
    for n, d in enumerate(rows, start=head_row + 1):
        ws.set_row(n, _unit_height(d))
        ws.write_string(n, 0, d.code, f.d_text)
        ws.write_string(n, 1, d.name, f.d_wrap)
        for c, value in enumerate(_info_values(d), start=after):
            if isinstance(value, dt.date):
                ws.write_datetime(n, c, dt.datetime.combine(value, dt.time()), f.d_date)
            elif value is None:
                ws.write_blank(n, c, None, f.d_date)
            else:
                ws.write_string(n, c, value, f.d_wrap)
        _details_values(ws, n, wide_plan, d.totals, f, own=d.sub.form != "consolidated")
    last_row = head_row + max(1, len(rows))
    ws.freeze_panes(head_row + 1, 2)
    ws.autofilter(head_row, 0, last_row, after + len(DETAIL_INFO) - 1)
    ws.set_column(0, 0, DETAIL_WIDTHS["code"])
    ws.set_column(1, 1, DETAIL_WIDTHS["name"])
    ws.set_column(2, after - 1, DETAIL_WIDTHS["value"])
    ws.set_v_pagebreaks(detail_page_breaks(indicators))
    ws.repeat_columns(0, 1)
    ws.repeat_rows(top, head_row)
    ws.print_area(0, 0, last_row, after + len(DETAIL_INFO) - 1)


def _details_values(ws, row: int, plan: list[tuple], totals: Totals, f: _Formats, own: bool = True) -> None:
    """One unit's values on the details sheet, in a loop tight enough for ~800,000 cells at national scale. A unit's own answer to a yes/no question
    reads Có or Không; a consolidated report's is a count of units."""
    values = totals.values
    write_number = ws.write_number
    for col, ind, how, fmt in plan:
        if how == "ratio":
            r = totals.ratio(ind)
            if r is None:
                ws.write_blank(row, col, None, fmt)
            else:
                write_number(row, col, r, fmt)
            continue
        value = values.get(ind.code)
        if value is None:
            ws.write_blank(row, col, None, fmt or f.d_center)  # framed like every other cell
            continue
        if how == "flag":
            if own:
                ws.write_string(row, col, "Có" if value else "Không", f.d_center)
            else:
                write_number(row, col, value, f.flag(totals.flag_units.get(ind.code, 0), "grid"))
        elif value.__class__ is str:
            ws.write_string(row, col, value, f.d_center)
        else:
            write_number(row, col, float(value) if value.__class__ is Decimal else value, fmt)


STATUS_WIDTHS = (6, 12, 28, 14, 13, 30, 46)  # printed columns A:G
FILES_WIDTHS = STATUS_WIDTHS  # the list of files shares the columns; its SHA-256 is in H, not printed


def _status_sheet(wb, f: _Formats, cons: Consolidation, report: ValidationReport, base: Path | None) -> tuple:
    """The reporting-status sheet; returns where the status counts are, for the chart.

    Printed: A:G on A4 landscape, one page wide. Not printed: the chart's data (J:K) and the files'
    SHA-256 (H), which are for machines."""
    ws = wb.add_worksheet(STATUS)
    row = _banner(ws, f, cons, last_col=6)
    ws.write_string(row, 0, f"TÌNH HÌNH NỘP BÁO CÁO — {cons.parent_name} — kỳ {cons.period or ''}", f.bold)
    counts = cons.counts()
    expected = counts["expected"] or 0
    block = [("Số đơn vị phải báo cáo", counts["expected"]), ("Đã nhận báo cáo", counts["received"]),
             ("Được chấp nhận", counts["accepted"]), ("- Đúng hạn", counts["on-time"]), ("- Nộp muộn", counts["late"]),
             ("Bị trả lại để sửa", counts["rejected"]), ("Đã nộp — tệp không đọc được", counts["unreadable"]),
             ("Chưa nộp", counts["missing"])]
    start = row + 2
    for k, (label, value) in enumerate(block):
        ws.merge_range(start + k, 1, start + k, 2, label, f.bold)
        ws.write_number(start + k, 3, value, f.plain_count)
    r = start + len(block)
    ws.merge_range(r, 1, r, 2, "Tỷ lệ báo cáo được chấp nhận", f.bold)
    ws.merge_range(r + 1, 1, r + 1, 2, "Tỷ lệ báo cáo đúng hạn", f.bold)
    if expected:
        ws.write_number(r, 3, counts["accepted"] / expected, f.plain_ratio)
        ws.write_number(r + 1, 3, counts["on-time"] / expected, f.plain_ratio)
    # The chart reads the statuses from here (not printed).
    for k, key in enumerate(STATUS_ORDER):
        ws.write_string(start + 3 + k, 9, word(f"unit-{key}"))
        ws.write_number(start + 3 + k, 10, counts[key], f.plain_count)
    status_range = (STATUS, start + 3, 9, start + 2 + len(STATUS_ORDER), 10)

    r += 3
    if not cons.expected:
        ws.merge_range(r, 0, r, 6, "Không có danh sách đơn vị (--roster): không xác định được đơn vị chưa nộp.", f.banner)
        r += 2
    else:
        heads = ["STT", "Mã đơn vị", "Tên đơn vị", "Tình trạng", "Ngày báo cáo", "Tệp được dùng", "Ghi chú"]
        for c, text in enumerate(heads):
            ws.write_string(r, c, text, f.head)
        ws.set_row(r, 32)
        head = r
        for n, e in enumerate(cons.expected, start=1):
            r += 1
            used = _shown(e.used.path, base) if e.used else ""
            others = [x for x in e.files if x is not e.used]
            note = "; ".join(f"{_shown(x.path, base)}: {word('role-' + cons.role_of(x).role).lower()}" for x in others)
            ws.write_number(r, 0, n, f.row_center)
            ws.write_string(r, 1, e.unit.code, f.row_center)
            ws.write_string(r, 2, e.unit.name, f.row_text)
            ws.write_string(r, 3, word(f"unit-{e.status}"), f.row_text)
            if e.used and e.used.report_date:
                ws.write_datetime(r, 4, dt.datetime.combine(e.used.report_date, dt.time()), f.row_date)
            else:
                ws.write_blank(r, 4, None, f.row_date)
            ws.write_string(r, 5, used, f.row_text)
            ws.write_string(r, 6, note, f.row_text)
            _fit_row(ws, r, [(e.unit.name, 28), (used, 30), (note, 46)])
        ws.autofilter(head, 0, r, len(heads) - 1)
        r += 2
    if cons.expected:
        ws.set_h_pagebreaks([r])  # the list of files starts on its own page
    ws.write_string(r, 0, "CÁC TỆP ĐÃ NHẬN", f.bold)
    r += 1
    heads = ["STT", "Mã đơn vị", "Tệp", "Kỳ", "Kết quả kiểm tra", "Sử dụng", "Ghi chú", "SHA-256 (không in)"]
    for c, text in enumerate(heads):
        ws.write_string(r, c, text, f.head)
    ws.set_row(r, 32)
    for n, role in enumerate(cons.files, start=1):
        r += 1
        s_ = role.sub
        shown = _shown(s_.path, base)
        values = [s_.unit_code or "", shown, s_.period or "", status_label(s_.status), role_label(role.role),
                  role.note[0]]
        ws.write_number(r, 0, n, f.row_center)
        for c, value in enumerate(values, start=1):
            ws.write_string(r, c, value, f.row_center if c in (1, 3) else f.row_text)
        ws.write_string(r, 7, s_.sha256)
        _fit_row(ws, r, [(shown, 28), (values[3], 13), (values[4], 30), (role.note[0], 46)])
    for path, reason in report.skipped:
        r += 1
        reason_vi = word(f"skip-{reason}")
        shown = _shown(path, base)
        ws.write_blank(r, 0, None, f.row_center)
        for c, value in enumerate(["", shown, "", "", "Bỏ qua", reason_vi], start=1):
            ws.write_string(r, c, value, f.row_text)
        _fit_row(ws, r, [(shown, 28)])
    for c, width in enumerate(STATUS_WIDTHS):
        ws.set_column(c, c, width)
    ws.set_column(7, 7, 66)
    ws.set_column(9, 9, 14)
    ws.print_area(0, 0, max(r, 1), 6)
    _landscape(ws)
    _footer(ws, cons)
    return status_range


def _shown(path: Path, base: Path | None) -> str:
    """A file as the secretariat knows it: relative to the inbox when it is inside it."""
    try:
        return str(path.relative_to(base)) if base else path.name
    except ValueError:
        return str(path)


def _landscape(ws) -> None:
    """A4 landscape, one page wide, the header row repeated."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)


FINDING_WIDTHS = (26, 10, 13, 10, 8, 22, 58)  # printed A:G; H:J (sheet, indicator, rule) are for filters


def _findings_sheet(wb, f: _Formats, cons: Consolidation, report: ValidationReport, base: Path | None) -> None:
    ws = wb.add_worksheet(FINDINGS)
    row = _banner(ws, f, cons, last_col=6)
    ws.write_string(row, 0, f"KẾT QUẢ KIỂM TRA TỪNG TỆP — {cons.parent_name} — kỳ {cons.period or ''}", f.bold)
    row += 1
    heads = ["Tệp", "Mã đơn vị", "Kết quả", "Mức độ", "Ô", "Vấn đề", "Nội dung, việc cần làm",
             "Trang", "Mã chỉ tiêu", "Quy tắc"]
    for c, text in enumerate(heads):
        ws.write_string(row, c, text, f.head)
    ws.set_row(row, 32)
    head = row
    for sub in report.submissions:
        shown = _shown(sub.path, base)
        for finding in sub.findings:
            row += 1
            values = [shown, sub.unit_code or "", status_label(sub.status), finding.severity_label("vi"),
                      finding.cell or "", finding.title("vi"), finding.message("vi"),
                      finding.sheet or "", finding.indicator or "", finding.rule or ""]
            for c, value in enumerate(values):
                ws.write_string(row, c, value, f.row_center if c in (1, 4) else f.row_text)
            _fit_row(ws, row, [(shown, 26), (values[2], 13), (values[5], 22), (values[6], 58)])
    ws.freeze_panes(head + 1, 0)
    ws.autofilter(head, 0, max(row, head + 1), len(heads) - 1)
    for c, width in enumerate(FINDING_WIDTHS + (12, 10, 18)):
        ws.set_column(c, c, width)
    ws.repeat_rows(head - 1, head)  # the sheet's title with the header, on every page
    ws.print_area(0, 0, max(row, head + 1), 6)
    _landscape(ws)
    _footer(ws, cons)


NOTE_WIDTHS = (10, 22, 10, 30, 70)


def _notes_sheet(wb, f: _Formats, cons: Consolidation) -> None:
    ws = wb.add_worksheet(NOTES)
    row = _banner(ws, f, cons, last_col=4)
    ws.write_string(row, 0, f"GHI CHÚ, KIẾN NGHỊ CỦA CÁC ĐƠN VỊ — {cons.parent_name} — kỳ {cons.period or ''}", f.bold)
    row += 1
    heads = ["Mã đơn vị", "Tên đơn vị", "Mã chỉ tiêu", "Nội dung chỉ tiêu", "Ghi chú của đơn vị"]
    for c, text in enumerate(heads):
        ws.write_string(row, c, text, f.head)
    _fit_row(ws, row, list(zip(heads, NOTE_WIDTHS)))
    head = row
    for unit, name, code, text in sorted(cons.totals.texts, key=lambda x: (x[2], x[0])):
        row += 1
        ind = cons.catalog.indicators.get(code)
        values = [unit, name, code, ind.label if ind else "", text]
        for c, value in enumerate(values):
            ws.write_string(row, c, value, f.row_center if c in (0, 2) else f.row_text)  # text, never a formula
        _fit_row(ws, row, list(zip(values, NOTE_WIDTHS)))
    for c, width in enumerate(NOTE_WIDTHS):
        ws.set_column(c, c, width)
    ws.repeat_rows(head - 1, head)  # the sheet's title with the header, on every page
    ws.print_area(0, 0, max(row, head + 1), len(NOTE_WIDTHS) - 1)
    _landscape(ws)
    _footer(ws, cons)


def _charts_sheet(wb, f: _Formats, cons: Consolidation, status_range: tuple) -> None:
    ws = wb.add_worksheet(CHARTS)
    row = _banner(ws, f, cons, last_col=12)
    ws.write_string(row, 0, f"BIỂU ĐỒ — {cons.parent_name} — kỳ {cons.period or ''}", f.bold)
    sheet, r1, c1, r2, c2 = status_range
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Số đơn vị", "categories": [sheet, r1, c1, r2, c1], "values": [sheet, r1, c2, r2, c2],
                      "data_labels": {"value": True, "font": _chart_font(10)},
                      "points": [{"fill": {"color": c}} for c in ("#70AD47", "#FFC000", "#C00000", "#7030A0", "#A5A5A5")]})
    chart.set_title({"name": "Tình hình nộp báo cáo", "name_font": _chart_font(14, True)})
    chart.set_x_axis({"num_font": _chart_font(10)})
    chart.set_y_axis({"num_font": _chart_font(10), "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 700, "height": 400})
    ws.insert_chart(row + 2, 0, chart)

    ratios = [cons.catalog.indicators[c] for c in cons.catalog.charts]  # the catalog's ``charts:``
    # a bar chart draws its first category and first series at the bottom: the units are written
    # last first, so they read top down in code order, and the bars of each unit run top down in the
    # order the legend lists them (LibreOffice lists a bar chart's legend last series first)
    units = [d for d in sorted(cons.details, key=lambda d: d.code, reverse=True) if not d.is_parent_own]
    data_col = 12
    ws.write_string(row + 2, data_col, "Đơn vị", f.bold)
    for k, ind in enumerate(ratios):
        ws.write_string(row + 2, data_col + 1 + k, ind.label, f.bold)
    for n, d in enumerate(units, start=row + 3):
        ws.write_string(n, data_col, d.name)
        for k, ind in enumerate(ratios):
            value = d.totals.ratio(ind)
            if value is not None:
                ws.write_number(n, data_col + 1 + k, value, f.plain_ratio)
    ws.set_column(data_col, data_col, 24)
    # printed on A4 portrait, one chart a page; the data on the right (M:P) is not printed
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(left=0.5, right=0.5, top=0.5, bottom=0.6)
    ws.fit_to_pages(1, 0)
    _footer(ws, cons)
    second = row + 25
    ws.set_h_pagebreaks([second])
    if not units or len(units) > MAX_CHART_UNITS:
        ws.write_string(second, 0, f"Có {len(units)} đơn vị: quá nhiều để vẽ từng đơn vị; xem trang “{DETAILS}”."
                        if units else "Chưa có đơn vị nào được tổng hợp.")
        ws.print_area(0, 0, second, 10)
        return
    ws.write_string(second, 0, f"BIỂU ĐỒ (tiếp) — {cons.parent_name} — kỳ {cons.period or ''}", f.bold)
    bar = wb.add_chart({"type": "bar"})
    last = row + 2 + len(units)
    for k, ind in enumerate(ratios):
        bar.add_series({"name": [CHARTS, row + 2, data_col + 1 + k],
                        "categories": [CHARTS, row + 3, data_col, last, data_col],
                        "values": [CHARTS, row + 3, data_col + 1 + k, last, data_col + 1 + k]})
    bar.set_title({"name": "Các tỷ lệ chính theo đơn vị", "name_font": _chart_font(14, True)})
    bar.set_legend({"position": "top", "font": _chart_font(10)})
    low, high = ratio_axis([u.totals.ratio(i) for u in units for i in ratios])
    bar.set_x_axis({"num_format": "0%", "min": low, "max": high, "major_unit": 0.1 if high - low <= 0.5 else 0.2,
                    "num_font": _chart_font(10)})
    bar.set_y_axis({"num_font": _chart_font(10)})
    height = min(960, max(360, 14 * len(units) * max(1, len(ratios)) + 140))  # a portrait page at most
    bar.set_size({"width": 700, "height": height})
    ws.insert_chart(second + 1, 0, bar)  # below the title, never on the page break
    ws.print_area(0, 0, second + int(height / 20) + 2, 10)


def _chart_font(size: int, bold: bool = False) -> dict:
    """Charts in the serif face of the documents they sit in."""
    return {"name": FONT, "size": size, "bold": bold}


def ratio_axis(values: list) -> tuple[float, float]:
    """The value axis of the ratio chart fitted to the data: from the tenth below the smallest ratio
    (0 when the data reach down there) to 100 % (or the tenth above the largest, beyond 100 %)."""
    got = [float(v) for v in values if v is not None]
    if not got:
        return 0.0, 1.0
    low = math.floor(min(got) * 10) / 10
    high = max(1.0, math.ceil(max(got) * 10) / 10)
    return (0.0 if low <= 0.2 else min(low, high - 0.1)), high


ROLLUP_WIDTHS = (24, 40, 36)


def _rollup_sheet(wb, f: _Formats, cons: Consolidation) -> None:
    """A workbook built from the quarters: the parts it adds up with their data windows, then every
    gap (a quarter missing, a unit missing in a part), in words."""
    if cons.derived is None:
        return
    ws = wb.add_worksheet(ROLLUP_SHEET)
    ws.write_string(0, 0, f"{DERIVED.upper()} — {cons.parent_name} — {_period_words(cons)}", f.bold)
    heads = ("Kỳ", "Tệp", "Số liệu tính từ ngày … đến ngày …")
    for c, text in enumerate(heads):
        ws.write_string(2, c, text, f.head)
    row = 2
    for code, name, window in cons.derived.parts:
        row += 1
        span = f"{window[0]:%d/%m/%Y} – {window[1]:%d/%m/%Y}" if window else ""
        for c, text in enumerate((parse_period(code).label("vi"), name, span)):
            ws.write_string(row, c, text, f.row_text)  # file names are text, never a formula
    row += 2
    ws.write_string(row, 0, "CÁC CHỖ THIẾU SỐ LIỆU" if cons.derived.gaps else "Đủ số liệu mọi quý của mọi đơn vị.",
                    f.bold)
    for vi, _ in cons.derived.gaps:
        row += 1
        ws.merge_range(row, 0, row, 2, vi, f.row_text)
    for c, width in enumerate(ROLLUP_WIDTHS):
        ws.set_column(c, c, width)
    ws.print_area(0, 0, row, len(ROLLUP_WIDTHS) - 1)
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    _footer(ws, cons)


def _period_words(cons: Consolidation) -> str:
    return parse_period(cons.period).label("vi") if cons.period else ""


def _meta_sheet(wb, layout: FormLayout, cons: Consolidation) -> None:
    ws = wb.add_worksheet(META_SHEET)
    period = parse_period(cons.period) if cons.period else None
    rows = metadata(layout, period, Identity(cons.parent_code or "", cons.parent_name or "", cons.parent_parent or ""))
    rows += [("units_included", str(cons.totals.units)),
             ("flag_units_json", json.dumps(cons.totals.flag_units, sort_keys=True)),
             ("unverified", "1" if cons.unverified else "0")]
    if cons.derived is not None:  # built from the quarters' consolidations (``rolling.rollup``)
        rows += [("derived_from", "quarters"), ("derived_note", DERIVED),
                 ("derived_parts", json.dumps([p for p, _, _ in cons.derived.parts])),
                 ("derived_gaps", str(len(cons.derived.gaps)))]
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    ws.protect()
    ws.very_hidden()


def _units_sheet(wb, cons: Consolidation) -> None:
    """The very hidden sheet of each unit's figures and window, read back as history by later periods
    (``history.read_previous``); every cell is text (a unit's figures as one JSON list)."""
    from .form import UNITS_SHEET
    from .history import header, sheet_rows

    ws = wb.add_worksheet(UNITS_SHEET)
    top, columns = header(cons.catalog, cons.parent_code, cons.period)
    for r, row in enumerate([top, columns] + sheet_rows(cons.unit_rows(), top, columns)):
        for c, value in enumerate(row):
            if value:
                ws.write_string(r, c, value)  # codes, dates and the figures' JSON: text, never a formula
    ws.protect()
    ws.very_hidden()


# --- the trend: the headline figures over the periods known (only with history, merge --previous) --------
TREND_WIDTHS = {"code": 7, "label": 35, "unit": 12, "period": 11, "delta": 10, "percent": 8}
TREND_SIZE = 11
CHANGE_FORMATS = {"count": "+#,##0;-#,##0;0", "amount": "+#,##0.0##;-#,##0.0##;0",
                  "ratio": '+0.0" điểm";-0.0" điểm";0" điểm"', "flag": "+#,##0;-#,##0;0"}


def _trend_sheet(wb, f: _Formats, cons: Consolidation, trend) -> None:
    """“Diễn biến qua các kỳ”: every headline indicator over the periods known, its change from the
    previous period of the same kind and from the same period a year earlier, and a chart of the
    ratios; A4 landscape, one page wide, the title and header repeated. Absent without history."""
    if trend is None:
        return
    from .form import TREND_SHEET

    ws = wb.add_worksheet(TREND_SHEET)
    looks = _trend_looks(wb)
    refs = trend.references()
    last_col = 2 + len(trend.periods) + 2 * len(refs)
    top = _banner(ws, f, cons, last_col=last_col)
    ws.merge_range(top, 0, top, last_col, f"DIỄN BIẾN QUA CÁC KỲ — {cons.parent_name} — kỳ {cons.period or ''}",
                   looks["title"])
    ws.set_row(top, 22)
    head = _trend_header(ws, looks, trend, refs, top + 1)
    rows = _trend_rows(ws, looks, cons, trend, refs, head + 1)
    end = head + 1 + len(rows)
    ws.merge_range(end + 1, 0, end + 1, last_col,
                   "Ghi chú: với các tỷ lệ, mức tăng, giảm tính bằng điểm phần trăm; tỷ lệ tăng, giảm tính trên số "
                   "liệu của kỳ so sánh; ô trống: kỳ đó không có số liệu. Số liệu các kỳ trước tính từ số liệu từng "
                   "đơn vị trong sổ tổng hợp các kỳ đó.", looks["note"])
    ws.set_row(end + 1, 30)
    ws.set_column(0, 0, TREND_WIDTHS["code"])
    ws.set_column(1, 1, TREND_WIDTHS["label"])
    ws.set_column(2, 2, TREND_WIDTHS["unit"])
    ws.set_column(3, 2 + len(trend.periods), TREND_WIDTHS["period"])
    for k in range(len(refs)):
        ws.set_column(3 + len(trend.periods) + 2 * k, 3 + len(trend.periods) + 2 * k, TREND_WIDTHS["delta"])
        ws.set_column(4 + len(trend.periods) + 2 * k, 4 + len(trend.periods) + 2 * k, TREND_WIDTHS["percent"])
    ws.freeze_panes(head + 1, 2)
    ws.repeat_rows(top, head)
    widths = ([TREND_WIDTHS["code"], TREND_WIDTHS["label"], TREND_WIDTHS["unit"]]
              + [TREND_WIDTHS["period"]] * len(trend.periods) + [TREND_WIDTHS["delta"], TREND_WIDTHS["percent"]] * len(refs))
    # the chart as wide as the table above it: the printed page (fitted to the table's width) holds it whole
    chart_end = _trend_chart(wb, ws, trend, rows, (top + 1, end + 3), sum(int(w * 7 + 5) for w in widths))
    ws.print_area(0, 0, max(end + 1, chart_end), last_col)
    _landscape(ws)
    _footer(ws, cons)


def _trend_looks(wb) -> dict:
    grid = {"border": 1, "valign": "vcenter", "font_size": TREND_SIZE}
    add = wb.add_format
    looks = {"title": add({"bold": True, "font_size": 13, "align": "left", "valign": "vcenter"}),
             "note": add({"italic": True, "font_size": 10, "text_wrap": True, "valign": "top"}),
             "head": add({**grid, "bold": True, "text_wrap": True, "align": "center", "bg_color": "#DDEBF7"}),
             "code": add({**grid, "align": "center"}), "label": add({**grid, "text_wrap": True}),
             "unit": add({**grid, "align": "center", "text_wrap": True}),
             "ratio": add({**grid, "num_format": NUMBER_FORMATS["ratio"]}),
             "count": add({**grid, "num_format": NUMBER_FORMATS["count"]}),
             "amount": add({**grid, "num_format": NUMBER_FORMATS["amount"]}),
             "flag": add({**grid, "num_format": NUMBER_FORMATS["count"]}),
             "percent": add({**grid, "num_format": "+0.0%;-0.0%;0%"}), "blank": add(grid)}
    for kind, fmt in CHANGE_FORMATS.items():
        looks["change-" + kind] = add({**grid, "num_format": fmt})
    looks["_add"], looks["_flags"] = add, {}
    return looks


def _trend_header(ws, looks: dict, trend, refs: list, row: int) -> int:
    """Two header rows: code, indicator, unit and each period; then, per period compared with, the
    change and its per cent. Returns the last header row."""
    for col, text in enumerate(("Mã", "Chỉ tiêu", "Đơn vị tính")):
        ws.merge_range(row, col, row + 1, col, text, looks["head"])
    for k, p in enumerate(trend.periods):
        ws.merge_range(row, 3 + k, row + 1, 3 + k, p.label("vi") + (" (kỳ này)" if p == trend.current else ""),
                       looks["head"])
    for k, (against, p) in enumerate(refs):
        col = 3 + len(trend.periods) + 2 * k
        what = {"previous": "kỳ trước", "year": "cùng kỳ năm trước"}[against]
        if trend.current.kind == "Y":
            what = "năm trước"
        ws.merge_range(row, col, row, col + 1, f"So với {what} ({p.label('vi')})", looks["head"])
        ws.write_string(row + 1, col, "Tăng (+), giảm (−)", looks["head"])
        ws.write_string(row + 1, col + 1, "Tỷ lệ", looks["head"])
    ws.set_row(row, 48)
    ws.set_row(row + 1, 32)
    return row + 1


def _trend_rows(ws, looks: dict, cons: Consolidation, trend, refs: list, first: int) -> list:
    """One row per headline indicator; returns [(row, indicator)]."""
    out = []
    noun = cons.units_noun()
    for n, ind in enumerate(trend.headline):
        r = first + n
        ws.write_string(r, 0, ind.code, looks["code"])
        ws.write_string(r, 1, ind.label, looks["label"])
        ws.write_string(r, 2, "%" if ind.kind == "ratio" else noun if ind.kind == "flag" else ind.unit,
                        looks["unit"])
        kind = ind.kind if ind.kind in ("ratio", "count", "amount", "flag") else "count"
        for k, p in enumerate(trend.periods):
            value = trend.value(ind, p)
            look = _trend_flag_look(looks, trend, ind, p) if kind == "flag" else looks[kind]
            if value is None:
                ws.write_blank(r, 3 + k, None, looks["blank"])
            else:
                ws.write_number(r, 3 + k, value, look)
        for k, (against, p) in enumerate(refs):
            col = 3 + len(trend.periods) + 2 * k
            change = trend.change(ind, against, p)
            _number_or_blank(ws, r, col, None if change is None else change.delta, looks["change-" + kind], looks)
            _number_or_blank(ws, r, col + 1, None if change is None else change.percent, looks["percent"], looks)
        lines = max(_lines(ind.label, TREND_WIDTHS["label"], TREND_SIZE),
                    _lines(noun if ind.kind == "flag" else ind.unit, TREND_WIDTHS["unit"], TREND_SIZE))
        ws.set_row(r, lines * LINE_PT * TREND_SIZE / 12 + 3)
        out.append((r, ind))
    return out


def _trend_flag_look(looks: dict, trend, ind, period):
    """A count of units answering Có shown as 'x/n' (n: the units that answered in that period)."""
    n = trend.totals[period.code].flag_units.get(ind.code, 0) if period.code in trend.totals else 0
    if n not in looks["_flags"]:
        looks["_flags"][n] = looks["_add"]({"border": 1, "valign": "vcenter", "font_size": TREND_SIZE,
                                            "num_format": f'0"/{n}"', "align": "right"})
    return looks["_flags"][n]


def _number_or_blank(ws, row: int, col: int, value, look, looks: dict) -> None:
    if value is None:
        ws.write_blank(row, col, None, looks["blank"])
    else:
        ws.write_number(row, col, value, look)


def _trend_chart(wb, ws, trend, rows: list, where: tuple[int, int], width: int = 980) -> int:
    """A line chart of the headline ratios over the periods (of the counts added over time when the
    catalog names no ratio), on its own page under the table, ``width`` pixels wide (the table's);
    returns its last row."""
    from .form import TREND_SHEET

    header, at = where
    ratios = [(r, i) for r, i in rows if i.kind == "ratio"]
    drawn = ratios or [(r, i) for r, i in rows if i.kind == "count" and i.over_time == "sum"][:6]
    if not drawn:
        return at
    last = 2 + len(trend.periods)
    chart = wb.add_chart({"type": "line"})
    for r, ind in drawn:
        chart.add_series({"name": f"{ind.code} {ind.label.lstrip('- ')}",
                          "categories": [TREND_SHEET, header, 3, header, last], "values": [TREND_SHEET, r, 3, r, last],
                          "marker": {"type": "circle", "size": 6}, "line": {"width": 2}})
    title = "Các tỷ lệ chính qua các kỳ" if ratios else "Các chỉ tiêu chính qua các kỳ"
    chart.set_title({"name": title, "name_font": _chart_font(14, True)})
    chart.set_legend({"position": "bottom", "font": _chart_font(10)})
    chart.set_x_axis({"num_font": _chart_font(10)})
    axis = {"num_font": _chart_font(10), "major_gridlines": {"visible": True}}
    if ratios:
        low, high = ratio_axis([trend.value(i, p) for _, i in ratios for p in trend.periods])
        step = 0.1 if high - low <= 0.5 else 0.2
        low = math.floor(round(low / step, 6)) * step  # gridlines on whole steps, 100 % among them
        axis.update(num_format="0%", min=round(low, 1), max=high, major_unit=step)
    chart.set_y_axis(axis)
    chart.set_size({"width": width, "height": 520})
    ws.set_h_pagebreaks([at])
    ws.insert_chart(at + 1, 0, chart)
    return at + 1 + 520 // 20 + 2
