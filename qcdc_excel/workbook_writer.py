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
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from .atomic import atomic_write_bytes
from .catalog import CURRENT_VERSION, Indicator
from .consolidate import Consolidation, Totals
from .i18n import LEVEL_LABELS
from .layout import (CHECK_ERROR, CHECK_OK, CHECK_WARNING, COL_CHECK, COL_CODE, COL_LABEL, COL_STT, COL_UNIT,
                     COL_VALUE, META_SHEET, NUMBER_FORMATS, ROW_MOTTO, ROW_MOTTO2,
                     ROW_PARENT, ROW_PERIOD, ROW_PERIOD_LINE, ROW_SUMMARY, ROW_TABLE_HEADER, ROW_TITLE,
                     ROW_UNIT_CODE, ROW_UNIT_NAME, ROW_UNITS, SUMMARY_CLEAN_CONSOLIDATED, FormLayout,
                     form_layout)
from .periods import parse_period
from .form import (CHARTS_SHEET, DEFAULT_PASSWORD, DETAILS_SHEET, FINDINGS_SHEET, FONT, NOTES_SHEET,
                   STATUS_SHEET)
from .template import Identity, metadata
from .validate import ValidationReport

DETAILS, STATUS, FINDINGS, NOTES, CHARTS = (DETAILS_SHEET, STATUS_SHEET, FINDINGS_SHEET, NOTES_SHEET, CHARTS_SHEET)
STATUS_VI = {"on-time": "Đúng hạn", "late": "Muộn hạn", "rejected": "Bị trả lại", "missing": "Chưa nộp"}
ROLE_VI = {"used": "Dùng để tổng hợp", "superseded": "Bị thay bằng bản sau", "duplicate": "Bản trùng",
           "covered": "Đã có trong báo cáo tổng hợp cấp dưới", "rejected": "Trả lại để sửa",
           "unreadable": "Không đọc được", "excluded": "Không thuộc lần tổng hợp này"}
VALIDATION_VI = {"accepted": "Đạt", "accepted-with-warnings": "Đạt (có cảnh báo)", "rejected": "Trả lại",
                 "unreadable": "Không đọc được"}
UNVERIFIED = ("LƯU Ý: số liệu có cả báo cáo CHƯA ĐƯỢC CHẤP NHẬN (--include-rejected), chưa kiểm tra đạt; "
              "chỉ dùng để tham khảo.")
MAX_CHART_UNITS = 60


def write_consolidated(path: str | Path, cons: Consolidation, report: ValidationReport,
                       password: str = DEFAULT_PASSWORD, today: dt.date | None = None,
                       base: Path | None = None) -> Path:
    """Write the consolidated workbook of ``cons`` atomically; returns its path."""
    with _collector_paused():
        data = _build(cons, report, password, today, base)
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


def _build(cons: Consolidation, report: ValidationReport, password: str, today: dt.date | None,
           base: Path | None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False,
                                   "default_format_properties": {"font_name": FONT, "font_size": 12}})
    wb.set_properties({"title": cons.catalog.title, "author": "qcdc-excel"})
    f = _Formats(wb)
    layout = form_layout(CURRENT_VERSION, cons.level, "consolidated")
    _summary_sheet(wb, f, layout, cons, password, today or dt.date.today())
    _details_sheet(wb, f, cons)
    status_range = _status_sheet(wb, f, cons, report, base)
    _findings_sheet(wb, f, cons, report, base)
    _notes_sheet(wb, f, cons)
    _charts_sheet(wb, f, cons, status_range)
    _meta_sheet(wb, layout, cons)
    wb.close()
    return buf.getvalue()


class _Formats:
    def __init__(self, wb) -> None:
        add = wb.add_format
        self.title = add({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter", "text_wrap": True})
        self.motto = add({"bold": True, "font_size": 13, "align": "center"})
        self.motto2 = add({"bold": True, "font_size": 13, "align": "center", "underline": 1})
        self.center_italic = add({"italic": True, "align": "center"})
        self.bold = add({"bold": True})
        self.right_bold = add({"bold": True, "align": "right"})
        self.label = add({"bold": True, "shrink": True})
        self.text = add({})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.summary = add({"bold": True, "font_color": "#C00000"})
        self.summary_ok = add({"bold": True, "font_color": "#1E7B34"})
        self.left_count = add({"num_format": NUMBER_FORMATS["count"], "align": "left"})
        self.small_wrap = add({"text_wrap": True, "valign": "bottom", "font_size": 9, "align": "center"})
        self.row_text = add({"text_wrap": True, "valign": "top", "border": 1})
        self.row_center = add({"align": "center", "valign": "top", "border": 1})
        self.row_date = add({"num_format": NUMBER_FORMATS["date"], "align": "center", "valign": "top", "border": 1})
        self.row_count = add({"num_format": NUMBER_FORMATS["count"], "valign": "top", "border": 1})
        # the details sheet: thin grey rules so a printed row can be followed across the page
        grid = {"border": 1, "border_color": "#A6A6A6", "valign": "vcenter"}
        self.d_text = add(grid)
        self.d_wrap = add({**grid, "text_wrap": True})
        self.d_center = add({**grid, "align": "center"})
        self.d_count = add({**grid, "num_format": NUMBER_FORMATS["count"]})
        self.d_amount = add({**grid, "num_format": NUMBER_FORMATS["amount"]})
        self.d_ratio = add({**grid, "num_format": NUMBER_FORMATS["ratio"]})
        self.d_date = add({**grid, "num_format": NUMBER_FORMATS["date"], "align": "center"})
        self.banner = add({"bold": True, "font_color": "#C00000", "text_wrap": True})
        self.head = add({"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1,
                         "bg_color": "#DDEBF7"})
        self.section = add({"bold": True, "border": 1, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "vcenter"})
        self.section_c = add({"bold": True, "border": 1, "bg_color": "#DDEBF7", "align": "center", "valign": "vcenter"})
        self.group = add({"bold": True, "italic": True, "border": 1, "text_wrap": True, "valign": "vcenter"})
        self.group_c = add({"bold": True, "italic": True, "border": 1, "align": "center", "valign": "vcenter"})
        self.cell = add({"border": 1, "text_wrap": True, "valign": "vcenter"})
        self.cell_c = add({"border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
        self.count = add({"border": 1, "num_format": NUMBER_FORMATS["count"], "valign": "vcenter"})
        self.amount = add({"border": 1, "num_format": NUMBER_FORMATS["amount"], "valign": "vcenter"})
        self.ratio = add({"border": 1, "num_format": NUMBER_FORMATS["ratio"], "valign": "vcenter", "bg_color": "#EDEDED"})
        self.plain_count = add({"num_format": NUMBER_FORMATS["count"]})
        self.plain_amount = add({"num_format": NUMBER_FORMATS["amount"]})
        self.plain_ratio = add({"num_format": NUMBER_FORMATS["ratio"]})
        self.date = add({"num_format": NUMBER_FORMATS["date"], "align": "center", "border": 1})
        self.plain_date = add({"num_format": NUMBER_FORMATS["date"]})
        self.check = add({"font_color": "#C00000", "text_wrap": True, "font_size": 11, "valign": "vcenter"})
        self.grey = add({"border": 1, "font_color": "#595959", "valign": "vcenter", "num_format": "#,##0.0##"})
        self._flag_formats: dict[int, object] = {}
        self._wb = wb

    def flag(self, n: int, plain: bool | str = False):
        """A count of units answering Có shown as 'x/n đơn vị' while staying a number."""
        key = (n, plain)
        if key not in self._flag_formats:
            props = {"num_format": f'0"/{n} đơn vị"', "align": "right"}
            if plain == "grid":
                props.update(border=1, border_color="#A6A6A6", valign="vcenter")
            elif not plain:
                props.update(border=1, valign="vcenter")
            self._flag_formats[key] = self._wb.add_format(props)
        return self._flag_formats[key]


def _num(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _write_value(ws, ref: str | tuple[int, int], ind: Indicator, totals: Totals, f: _Formats,
                 plain: bool = False) -> None:
    """One consolidated value in the right form for its kind (``ref`` "E15" or (row, col))."""
    cell = (ref,) if isinstance(ref, str) else ref
    value = totals.values.get(ind.code)
    if ind.kind == "ratio":
        r = totals.ratio(ind)
        if r is None:
            ws.write_blank(*cell, None, f.plain_ratio if plain else f.ratio)
        else:
            ws.write_number(*cell, r, f.plain_ratio if plain else f.ratio)
        return
    if value is None:
        if not plain:
            ws.write_blank(*cell, None, f.cell)
        return
    if ind.kind == "flag" and ind.rollup == "count":
        ws.write_number(*cell, value, f.flag(totals.flag_units.get(ind.code, 0), plain))
    elif isinstance(value, str):
        ws.write_string(*cell, value, None if plain else f.cell_c)
    elif ind.kind == "amount":
        ws.write_number(*cell, _num(value), f.plain_amount if plain else f.amount)
    else:
        ws.write_number(*cell, _num(value), f.plain_count if plain else f.count)


def _check_results(layout: FormLayout, totals: Totals) -> dict[str, str]:
    """What each in-sheet check shows for these totals (the same rule engine as validation)."""
    nums = {c: _num(v) for c, v in totals.values.items() if isinstance(v, (int, float, Decimal))}
    out = {}
    for check in layout.checks:
        status = check.rule.evaluate(nums).status
        out[check.rule.id] = {"passed": CHECK_OK, "skipped": ""}.get(
            status, CHECK_ERROR if check.rule.severity == "error" else CHECK_WARNING)
    return out


def _summary_sheet(wb, f: _Formats, layout: FormLayout, cons: Consolidation, password: str, today: dt.date):
    ws = wb.add_worksheet(layout.sheet_name)
    ws.activate()
    t = cons.totals
    for col, width in zip("ABCDEFGH", (6, 10, 58, 13, 16, 40, 16, 16)):
        ws.set_column(f"{col}:{col}", width)
    ws.merge_range(f"A{ROW_MOTTO}:E{ROW_MOTTO}", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", f.motto)
    ws.merge_range(f"A{ROW_MOTTO2}:E{ROW_MOTTO2}", "Độc lập - Tự do - Hạnh phúc", f.motto2)
    if cons.unverified:
        ws.merge_range("A3:F3", UNVERIFIED, f.banner)
        ws.set_row(2, 32)
    ws.merge_range(f"A{ROW_TITLE}:E{ROW_TITLE}", f"{layout.catalog.title} (TỔNG HỢP)", f.title)
    ws.set_row(ROW_TITLE - 1, 36)
    period = parse_period(cons.period) if cons.period else None
    ws.merge_range(f"A{ROW_PERIOD_LINE}:E{ROW_PERIOD_LINE}",
                   f"Kỳ báo cáo: {period.label('vi')}" if period else "Kỳ báo cáo: ……", f.center_italic)
    labels = {ROW_UNIT_CODE: "Mã đơn vị:", ROW_UNIT_NAME: "Tên đơn vị:", ROW_PARENT: "Cấp trên:",
              ROW_PERIOD: "Kỳ báo cáo:", ROW_SUMMARY: "Tự kiểm tra:", ROW_UNITS: "Số đơn vị:"}
    for row, text in labels.items():
        ws.write_string(f"B{row}", text, f.label)  # shrunk to its cell, never cut by the value beside it
    ws.write_string(f"C{ROW_UNIT_CODE}", cons.parent_code or "", f.bold)
    ws.write_string(f"C{ROW_UNIT_NAME}", cons.parent_name or "", f.bold)
    ws.write_string(f"C{ROW_PARENT}", " – ".join(x for x in (cons.parent_parent, cons.parent_parent_name) if x), f.text)
    ws.write_string(f"C{ROW_PERIOD}", cons.period or "", f.text)
    ws.write_number(f"C{ROW_UNITS}", t.units, f.left_count)
    ws.write_string(f"D{ROW_UNIT_CODE}", "Cấp:", f.right_bold)
    ws.write_string(f"E{ROW_UNIT_CODE}", LEVEL_LABELS[cons.level]["vi"], f.text)
    ws.write_string(f"D{ROW_PERIOD}", "Mẫu biểu:", f.right_bold)
    ws.write_string(f"E{ROW_PERIOD}", layout.catalog.version, f.text)

    results = _check_results(layout, t)
    messages = _row_messages(layout, results)
    problems = sum(1 for m in messages.values() if m)
    summary_value = (f"Có {problems} dòng cần xem lại (xem cột Kiểm tra)" if problems
                     else SUMMARY_CLEAN_CONSOLIDATED)
    summary_format = f.summary if problems else f.summary_ok  # a clean self-check prints green, not red
    ws.merge_range(f"C{ROW_SUMMARY}:F{ROW_SUMMARY}", "", summary_format)
    ws.write_formula(f"C{ROW_SUMMARY}", layout.summary_formula(), summary_format, summary_value)

    heads = [(COL_STT, "STT"), (COL_CODE, "Mã chỉ tiêu"), (COL_LABEL, "Nội dung chỉ tiêu"), (COL_UNIT, "Đơn vị tính"),
             (COL_VALUE, "Tổng hợp"), (COL_CHECK, "Kiểm tra (tự động, không in)"),
             ("G", f"Của {cons.parent_name or 'đơn vị'} tự báo cáo"), ("H", "Từ các đơn vị cấp dưới")]
    for col, text in heads:
        ws.write_string(f"{col}{ROW_TABLE_HEADER}", text, f.head)
    ws.set_row(ROW_TABLE_HEADER - 1, 32)
    for r in layout.rows:
        item, row = r.item, r.row
        if not isinstance(item, Indicator):
            section = item.kind == "section"
            fc, fl = (f.section_c, f.section) if section else (f.group_c, f.group)
            ws.write(f"{COL_STT}{row}", r.stt or None, fc)
            ws.write(f"{COL_CODE}{row}", None if section else item.code, fc)
            ws.write_string(f"{COL_LABEL}{row}", item.label.upper() if section else item.label, fl)
            ws.write_blank(f"{COL_UNIT}{row}", None, fl)
            ws.write_blank(f"{COL_VALUE}{row}", None, fl)
            ws.set_row(row - 1, 16.5 * max(1, -(-len(item.label) // (44 if section else 52))) + 1.5)
            continue
        ind = item
        ws.write_string(f"{COL_STT}{row}", r.stt, f.cell_c)
        ws.write_string(f"{COL_CODE}{row}", ind.code, f.cell_c)
        ws.write_string(f"{COL_LABEL}{row}", ind.label, f.cell)
        unit = {"flag": "đơn vị" if ind.rollup == "count" else "Có/Không", "text": "", "ratio": "%"}.get(ind.kind, ind.unit)
        ws.write_string(f"{COL_UNIT}{row}", unit, f.cell_c)
        ws.set_row(row - 1, 75 if ind.kind == "text" else 16.5 * max(1, -(-len(ind.label) // 60)) + 1.5)
        if ind.kind == "ratio":
            value = t.ratio(ind)
            ws.write_formula(r.cell, layout.ratio_formula(ind), f.ratio, "" if value is None else value)
        else:
            _write_value(ws, r.cell, ind, t, f)
            if ind.kind != "text" and ind.rollup in ("sum", "count"):
                _write_value(ws, f"G{row}", ind, cons.own, f)
                _write_value(ws, f"H{row}", ind, cons.below, f)
            elif ind.rollup == "own":
                _write_value(ws, f"G{row}", ind, cons.own, f)
        check = layout.row_check_formula(r)
        if check:
            ws.write_formula(f"{COL_CHECK}{row}", check, f.check, messages.get(ind.code, ""))
    ids = layout.identity_cells
    d = layout.report_date_row
    ws.write_string(f"{COL_UNIT}{d}", "Ngày báo cáo:", f.right_bold)
    ws.write_datetime(ids["report_date"], dt.datetime.combine(today, dt.time()), f.date)
    s = layout.sign_title_row
    ws.merge_range(f"B{s}:C{s}", "NGƯỜI LẬP BIỂU", f.motto)
    ws.merge_range(f"D{s}:E{s}", "THỦ TRƯỞNG ĐƠN VỊ", f.motto)
    ws.merge_range(f"B{s + 1}:C{s + 1}", "(Ký, ghi rõ họ tên)", f.center_italic)
    ws.merge_range(f"D{s + 1}:E{s + 1}", "(Ký tên, đóng dấu)", f.center_italic)
    c = layout.check_title_row
    ws.merge_range(f"A{c}:F{c}", "KIỂM TRA TỰ ĐỘNG THEO QUY TẮC CỦA DANH MỤC (phần này không in)", f.section)
    for col, text in zip("ABCDEF", ("STT", "Mã quy tắc", "Nội dung kiểm tra", "Mức độ", "Kết quả", "Biểu thức")):
        ws.write_string(f"{col}{c + 1}", text, f.head)
    for k, check in enumerate(layout.checks, start=1):
        rule = check.rule
        ws.write_number(f"A{check.row}", k, f.cell_c)
        ws.write_string(f"B{check.row}", rule.id, f.cell)
        ws.write_string(f"C{check.row}", rule.message, f.cell)
        ws.write_string(f"D{check.row}", "Lỗi" if rule.severity == "error" else "Cảnh báo", f.cell_c)
        ws.write_formula(check.cell, layout.check_formula(check), f.cell_c, results[rule.id])
        ws.write_string(f"F{check.row}", rule.expression.text, f.cell)
    ws.freeze_panes(ROW_TABLE_HEADER, 0)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(ROW_TABLE_HEADER - 1)
    ws.print_area(layout.print_area)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    _footer(ws, cons)
    ws.protect(password, {"select_locked_cells": True, "select_unlocked_cells": True})


LINE_PT = 15.75  # one line of 12-point Times New Roman, as Excel and LibreOffice space it


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


def _footer(ws, cons: Consolidation) -> None:
    """Page number in the middle, the figures' fingerprint on the left (``validate`` prints the same),
    the sheet's name on the right, inside the margins."""
    from .fingerprint import figures_fingerprint

    mark = figures_fingerprint(cons.totals.values, cons.catalog, cons.parent_code, cons.period)
    ws.set_footer(f'&L&"Times New Roman,Italic"&9Mã số liệu: {mark}&C&"Times New Roman,Regular"&10Trang &P/&N'
                  f'&R&"Times New Roman,Italic"&9&A', {"margin": 0.25})


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


DETAIL_BLOCK = 12  # indicator columns at most per printed page


def detail_indicators(catalog) -> list[Indicator]:
    """The indicators across the details sheet (free text is on the notes sheet)."""
    return [i for i in catalog.indicators.values() if i.kind != "text"]


def detail_page_breaks(indicators: list[Indicator], first: int = 2) -> list[int]:
    """Columns where a printed page of the details sheet starts: at each section's first indicator
    and every DETAIL_BLOCK indicators, and before the information columns after them."""
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


def _details_sheet(wb, f: _Formats, cons: Consolidation) -> None:
    """Units down, indicators across. Printed on A4 landscape in blocks of indicators that fit a page
    (a new block at each section), with the unit code and name repeated on every page."""
    ws = wb.add_worksheet(DETAILS)
    indicators = detail_indicators(cons.catalog)
    info = ["Cấp", "Cấp trên", "Loại báo cáo", "Tệp", "Ngày báo cáo", "Kiểm tra"]
    top = _banner(ws, f, cons)
    ws.write_string(top, 0, f"CHI TIẾT SỐ LIỆU TỪNG ĐƠN VỊ — {cons.parent_name} — kỳ {cons.period or ''}", f.bold)
    label_row, head_row = top + 1, top + 2
    first = 2  # indicators start after the code and the name
    ws.write_string(head_row, 0, "Mã đơn vị", f.head)
    ws.write_string(head_row, 1, "Tên đơn vị", f.head)
    for k, ind in enumerate(indicators):
        col = first + k
        ws.write_string(label_row, col, ind.label.lstrip("- "), f.small_wrap)
        ws.write_string(head_row, col, ind.code, f.head)
    after = first + len(indicators)
    for c, text in enumerate(info, start=after):
        ws.write_string(head_row, c, text, f.head)
    label_lines = max((_lines(ind.label, 10, 9) for ind in indicators), default=1)
    ws.set_row(label_row, min(409, label_lines * LINE_PT * 0.75 + 4))
    rows = sorted(cons.details, key=lambda d: (not d.is_parent_own, d.code))
    plan = []  # (column, indicator, how, format): decided once, not per unit
    for k, ind in enumerate(indicators):
        how = "ratio" if ind.kind == "ratio" else "flag" if ind.kind == "flag" and ind.rollup == "count" else "value"
        fmt = {"ratio": f.d_ratio, "flag": None}.get(how, f.d_amount if ind.kind == "amount" else f.d_count)
        plan.append((first + k, ind, how, fmt))
    for n, d in enumerate(rows, start=head_row + 1):
        kind = ("Báo cáo của chính đơn vị tổng hợp" if d.is_parent_own else
                "Báo cáo tổng hợp cấp dưới" if d.sub.form == "consolidated" else "Báo cáo của đơn vị")
        ws.write_string(n, 0, d.code, f.d_text)
        ws.write_string(n, 1, d.name, f.d_wrap)
        for c, text in enumerate([LEVEL_LABELS.get(d.level, {}).get("vi", d.level), d.parent or "", kind,
                                  d.sub.path.name], start=after):
            ws.write_string(n, c, text, f.d_wrap)
        if d.sub.report_date:
            ws.write_datetime(n, after + 4, dt.datetime.combine(d.sub.report_date, dt.time()), f.d_date)
        ws.write_string(n, after + 5, VALIDATION_VI[d.sub.status], f.d_wrap)
        _details_values(ws, n, plan, d.totals, f, own=d.sub.form != "consolidated")
        _fit_row(ws, n, [(d.name, 22), (kind, 32), (d.sub.path.name, 30), (VALIDATION_VI[d.sub.status], 18)])
    last_row = head_row + max(1, len(rows))
    ws.freeze_panes(head_row + 1, 2)
    ws.autofilter(head_row, 0, last_row, after + len(info) - 1)
    ws.set_column(0, 0, 9)
    ws.set_column(1, 1, 22)
    ws.set_column(first, after - 1, 10)
    for c, width in enumerate((10, 10, 32, 30, 12, 18), start=after):
        ws.set_column(c, c, width)
    ws.set_v_pagebreaks(detail_page_breaks(indicators, first))
    ws.repeat_columns(0, 1)
    ws.repeat_rows(label_row, head_row)
    ws.print_area(0, 0, last_row, after + len(info) - 1)
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_print_scale(85)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    _footer(ws, cons)


def _details_values(ws, row: int, plan: list[tuple], totals: Totals, f: _Formats, own: bool = True) -> None:
    """One unit's values on the details sheet: what _write_value(plain=True) writes, in a loop
    tight enough for ~800,000 cells at national scale. A unit's own answer to a yes/no question
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
             ("Được chấp nhận", counts["accepted"]), ("- Đúng hạn", counts["on-time"]), ("- Muộn hạn", counts["late"]),
             ("Bị trả lại để sửa", counts["rejected"]), ("Chưa nộp", counts["missing"])]
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
    # The chart reads the four statuses from here (not printed).
    for k, key in enumerate(("on-time", "late", "rejected", "missing")):
        ws.write_string(start + 3 + k, 9, STATUS_VI[key])
        ws.write_number(start + 3 + k, 10, counts[key], f.plain_count)
    status_range = (STATUS, start + 3, 9, start + 6, 10)

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
            note = "; ".join(f"{_shown(x.path, base)}: {ROLE_VI[cons.role_of(x).role].lower()}" for x in others)
            ws.write_number(r, 0, n, f.row_center)
            ws.write_string(r, 1, e.unit.code, f.row_center)
            ws.write_string(r, 2, e.unit.name, f.row_text)
            ws.write_string(r, 3, STATUS_VI[e.status], f.row_text)
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
        values = [s_.unit_code or "", shown, s_.period or "", VALIDATION_VI[s_.status], ROLE_VI[role.role],
                  role.note[0]]
        ws.write_number(r, 0, n, f.row_center)
        for c, value in enumerate(values, start=1):
            ws.write_string(r, c, value, f.row_center if c in (1, 3) else f.row_text)
        ws.write_string(r, 7, s_.sha256)
        _fit_row(ws, r, [(shown, 28), (VALIDATION_VI[s_.status], 13), (ROLE_VI[role.role], 30), (role.note[0], 46)])
    for path, reason in report.skipped:
        r += 1
        reason_vi = {"lock-file": "tệp khóa của Excel", "hidden-file": "tệp ẩn",
                     "not-a-spreadsheet": "không phải bảng tính"}[reason]
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
            values = [shown, sub.unit_code or "", VALIDATION_VI[sub.status], finding.severity_label("vi"),
                      finding.cell or "", finding.title("vi"), finding.message("vi"),
                      finding.sheet or "", finding.indicator or "", finding.rule or ""]
            for c, value in enumerate(values):
                ws.write_string(row, c, value, f.row_center if c in (1, 4) else f.row_text)
            _fit_row(ws, row, [(shown, 26), (values[2], 13), (values[5], 22), (values[6], 58)])
    ws.freeze_panes(head + 1, 0)
    ws.autofilter(head, 0, max(row, head + 1), len(heads) - 1)
    for c, width in enumerate(FINDING_WIDTHS + (12, 10, 18)):
        ws.set_column(c, c, width)
    ws.repeat_rows(head)
    ws.print_area(0, 0, max(row, head + 1), 6)
    _landscape(ws)
    _footer(ws, cons)


NOTE_WIDTHS = (10, 22, 10, 30, 70)


def _notes_sheet(wb, f: _Formats, cons: Consolidation) -> None:
    ws = wb.add_worksheet(NOTES)
    row = _banner(ws, f, cons, last_col=4)
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
    ws.repeat_rows(head)
    ws.print_area(0, 0, max(row, head + 1), len(NOTE_WIDTHS) - 1)
    _landscape(ws)
    _footer(ws, cons)


def _charts_sheet(wb, f: _Formats, cons: Consolidation, status_range: tuple) -> None:
    ws = wb.add_worksheet(CHARTS)
    row = _banner(ws, f, cons, last_col=12)
    ws.write_string(row, 0, "BIỂU ĐỒ", f.bold)
    sheet, r1, c1, r2, c2 = status_range
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Số đơn vị", "categories": [sheet, r1, c1, r2, c1], "values": [sheet, r1, c2, r2, c2],
                      "data_labels": {"value": True},
                      "points": [{"fill": {"color": c}} for c in ("#70AD47", "#FFC000", "#C00000", "#A5A5A5")]})
    chart.set_title({"name": "Tình hình nộp báo cáo"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 700, "height": 400})
    ws.insert_chart(row + 2, 0, chart)

    ratios = [cons.catalog.indicators[c] for c in ("II.5.6", "II.9.6", "II.8.8") if c in cons.catalog.indicators]
    units = [d for d in sorted(cons.details, key=lambda d: d.code) if not d.is_parent_own]
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
        ws.write_string(second, 0, f"Có {len(units)} đơn vị: quá nhiều để vẽ từng đơn vị; xem trang «{DETAILS}»."
                        if units else "Chưa có đơn vị nào được tổng hợp.")
        ws.print_area(0, 0, second, 10)
        return
    bar = wb.add_chart({"type": "bar"})
    last = row + 2 + len(units)
    for k, ind in enumerate(ratios):
        bar.add_series({"name": [CHARTS, row + 2, data_col + 1 + k],
                        "categories": [CHARTS, row + 3, data_col, last, data_col],
                        "values": [CHARTS, row + 3, data_col + 1 + k, last, data_col + 1 + k]})
    bar.set_title({"name": "Các tỷ lệ chính theo đơn vị"})
    bar.set_legend({"position": "bottom"})
    bar.set_x_axis({"num_format": "0%", "min": 0, "max": 1})
    height = min(960, max(360, 14 * len(units) * max(1, len(ratios)) + 140))  # a portrait page at most
    bar.set_size({"width": 700, "height": height})
    ws.insert_chart(second, 0, bar)
    ws.print_area(0, 0, second + int(height / 20) + 1, 10)


def _meta_sheet(wb, layout: FormLayout, cons: Consolidation) -> None:
    ws = wb.add_worksheet(META_SHEET)
    period = parse_period(cons.period) if cons.period else None
    rows = metadata(layout, period, Identity(cons.parent_code or "", cons.parent_name or "", cons.parent_parent or ""))
    rows += [("units_included", str(cons.totals.units)),
             ("flag_units_json", json.dumps(cons.totals.flag_units, sort_keys=True)),
             ("unverified", "1" if cons.unverified else "0")]
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    ws.protect()
    ws.very_hidden()
