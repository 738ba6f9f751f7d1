"""The print copy of a version 1 form, re-fitted so that it prints like a version 2 form.

Version 1 forms (published until 2026-11) are still read, and units still send them. On paper they
lost the remarks (V.1/V.2 forced into the narrow value column at a fixed height), printed at about
8.6 pt (fit to width over a 58-character label column), clipped the page footer, overprinted the
identity labels (“Đơn vị cấp tr625 – Huyện Kbang”), left section headings alone at a page foot and
printed the self-check in red. ``refit_version_1`` mends the temporary copy that ``pdf`` prints (the
unit's file is never changed): the columns of the version 2 form, every label row as tall as its
text, each free text spanning the label, unit and value columns under its label, the identity labels
over columns A:B, the period code, form code, level and self-check rows left off the paper, the
version 2 margins, scale and room for the seal, and the page breaks of ``form_sheet.page_breaks`` worked out from the
version 1 layout's rows.
"""
from __future__ import annotations

from .catalog import Heading, Indicator
from .form_sheet import (LINE_PT, MARGINS, PRINT_COLS, SEAL_GAP_PT, WIDTHS, FormSheet, fit_height, page_breaks,
                         print_scale)
from .layout import COL_LABEL, COL_UNIT, COL_VALUE, ROW_PERIOD, ROW_SUMMARY, FormLayout

V1_ROW_PT = 18.0  # version 1's own height of a one-line table row
MAX_ROW_PT = 409.0  # the spreadsheet programs' tallest row


def refit_version_1(ws, layout: FormLayout, values: dict, period: str | None = None) -> None:
    """Re-fit the version 1 form sheet ``ws`` (an openpyxl worksheet of a print copy) for paper;
    ``period`` is the period the reader found (the line under the title says it in words)."""
    _default_font(ws.parent)
    widths = {c: WIDTHS[c] for c in PRINT_COLS}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    sheet = FormSheet(ws.title, widths, scale=print_scale(widths))
    _identity(ws, layout, sheet)
    _period(ws, layout, sheet, period)
    _table_rows(ws, layout, sheet)
    _free_texts(ws, layout, values, sheet)
    _seal_gap(ws, layout, sheet)
    _page_setup(ws, layout, sheet)


def _default_font(wb) -> None:
    """Times New Roman 12 as the workbook's default font, as in version 2: column widths count its
    digits (version 1 kept Calibri 11, so the version 2 widths would print wider than the page)."""
    from openpyxl.styles import Font

    fonts = wb._fonts  # noqa: SLF001 - openpyxl keeps the default font first in this list
    fonts[0] = Font(name="Times New Roman", sz=12, family=1)
    fonts._dict = {font: k for k, font in reversed(list(enumerate(fonts)))}  # noqa: SLF001
    fonts.clean = True


def _identity(ws, layout: FormLayout, sheet: FormSheet) -> None:
    """Labels over A:B beside their values (no overprint); the rows a signed paper has no use for
    (period code, form code, level, self-check) hidden."""
    from copy import copy

    from openpyxl.styles import Alignment

    g = layout.geometry
    for row in (g.unit_code, g.unit_name, g.parent):
        label = ws[f"B{row}"]
        if not isinstance(label.value, str):
            continue
        ws[f"A{row}"].value, label.value = label.value, None
        ws[f"A{row}"].font = copy(label.font)
        ws[f"A{row}"].alignment = Alignment(horizontal="left", vertical="center")
        ws.merge_cells(f"A{row}:B{row}")
        ws[f"C{row}"].alignment = Alignment(horizontal="left", vertical="center")
    for ref in (f"D{g.unit_code}", f"E{g.unit_code}", f"D{ROW_PERIOD}", f"E{ROW_PERIOD}"):
        ws[ref].value = None  # “Cấp: Cấp xã”, “Mẫu biểu: qcdc-2023.1”: nothing for the signer
    _hide(ws, sheet, ROW_SUMMARY)  # “Tự kiểm tra: …” in red


def _period(ws, layout: FormLayout, sheet: FormSheet, period: str | None) -> None:
    """The period once, in words, under the title (as version 2 prints it), and the period code's
    row off the paper; kept when the period cannot be said in words."""
    from .i18n import QcdcError
    from .periods import parse_period

    try:
        words = parse_period(period).label("vi") if period else None
    except (QcdcError, ValueError):
        words = None
    if words:
        ws[f"A{layout.geometry.period_line}"].value = f"Kỳ báo cáo: {words}"
        _hide(ws, sheet, ROW_PERIOD)


def _hide(ws, sheet: FormSheet, row: int) -> None:
    ws.row_dimensions[row].hidden = True
    sheet.heights[row] = 0.0


def _table_rows(ws, layout: FormLayout, sheet: FormSheet) -> None:
    """Every table row as tall as its label (and unit) wrapped in the narrower columns."""
    from openpyxl.styles import Alignment

    for r in layout.rows:
        label = ws[f"{COL_LABEL}{r.row}"]
        bold = bool(label.font and label.font.b)
        need = fit_height(str(label.value or ""), sheet.width_of(COL_LABEL), bold=bold, minimum=V1_ROW_PT)
        if isinstance(r.item, Indicator) and r.item.unit:
            need = max(need, fit_height(r.item.unit, sheet.width_of(COL_UNIT)))
            unit = ws[f"{COL_UNIT}{r.row}"]
            unit.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        label.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        _set_height(ws, sheet, r.row, need)


def _free_texts(ws, layout: FormLayout, values: dict, sheet: FormSheet) -> None:
    """A free text under its label, over the label, unit and value columns, as tall as it needs."""
    from openpyxl.styles import Alignment, Font

    for r in layout.rows:
        if isinstance(r.item, Heading) or r.item.kind != "text":
            continue
        text = values.get(r.item.code)
        label = ws[f"{COL_LABEL}{r.row}"]
        joined = f"{label.value or r.item.label}:\n{text}" if isinstance(text, str) and text else label.value
        span = (f"{COL_LABEL}{r.row}", f"{COL_VALUE}{r.row}")
        ws[span[1]].value = None
        label.value = joined
        label.font = Font(name=label.font.name or "Times New Roman", size=label.font.sz or 12)
        label.alignment = Alignment(horizontal="justify", vertical="top", wrap_text=True)
        ws.merge_cells(f"{span[0]}:{span[1]}")
        need = fit_height(str(joined or ""), sheet.width_of(span[0], span[1]), minimum=V1_ROW_PT)
        _set_height(ws, sheet, r.row, min(MAX_ROW_PT, need))


def _seal_gap(ws, layout: FormLayout, sheet: FormSheet) -> None:
    """Room for a signature and a 35 mm seal between “(Ký tên, đóng dấu)” and the name, as on the
    current form (version 1 left about 22 mm)."""
    gap = range(layout.sign_title_row + 2, layout.sign_name_row)
    for row in gap:
        _set_height(ws, sheet, row, round(SEAL_GAP_PT / len(gap), 2))


def _set_height(ws, sheet: FormSheet, row: int, height: float) -> None:
    ws.row_dimensions[row].height = height
    sheet.heights[row] = height


def _page_setup(ws, layout: FormLayout, sheet: FormSheet) -> None:
    """Version 2's margins and scale; page breaks that keep a heading with its rows and the
    signatures with the table's last row."""
    from openpyxl.worksheet.pagebreak import Break, RowBreak

    for row in range(1, layout.sign_name_row + 1):
        if row not in sheet.heights:
            height = ws.row_dimensions[row].height
            sheet.heights[row] = 0.0 if ws.row_dimensions[row].hidden else (height or LINE_PT)
    for side, inches in MARGINS.items():
        setattr(ws.page_margins, side, inches)
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = sheet.scale
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.print_area = f"A1:{COL_VALUE}{layout.sign_name_row}"
    ws.row_breaks = RowBreak()
    for row in page_breaks(sheet, layout):
        ws.row_breaks.append(Break(id=row - 1))
