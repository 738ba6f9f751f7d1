"""Locked Excel templates, built from the catalog through the layout.

Written with openpyxl because a template needs workbook-structure protection and a very hidden
metadata sheet, which xlsxwriter cannot write. Output is deterministic apart from the document
timestamps, and always written atomically.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape
from pathlib import Path

from . import __version__
from .atomic import atomic_write_bytes
from .catalog import CURRENT_VERSION, Heading, Indicator
from .form import DEFAULT_PASSWORD, FONT, META_FORMAT, META_FORMAT_VERSION  # noqa: F401 (re-exported)
from .i18n import LEVEL_LABELS, QcdcError
from .layout import (COL_CHECK, COL_CODE, COL_LABEL, COL_STT, COL_UNIT, COL_VALUE, FIRST_TABLE_ROW,
                     FORM_SHEET, KIND_HINTS, META_SHEET, NUMBER_FORMATS, ROW_MOTTO, ROW_MOTTO2,
                     ROW_PARENT, ROW_PERIOD, ROW_PERIOD_LINE, ROW_SUMMARY, ROW_TABLE_HEADER,
                     ROW_TITLE, ROW_UNIT_CODE, ROW_UNIT_NAME, TEXT_MAX, FormLayout, form_layout)
from .periods import Period
from .roster import Roster, Unit


def _load_openpyxl() -> None:
    """Import openpyxl and build the shared styles on first use.

    Only template building needs openpyxl; ``merge`` and ``validate`` never import it, which
    saves ~0.1 s on every run of those commands.
    """
    global Workbook, FormulaRule, Alignment, Border, Font, PatternFill, Protection, WorkbookProtection
    global DataValidation, BORDER, INPUT_FILL, COMPUTED_FILL, SECTION_FILL, ERROR_FILL, WARNING_FILL
    global UNLOCKED, WRAP, CENTER
    if "BORDER" in globals():
        return
    from openpyxl import Workbook
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    thin = Side(style="thin", color="000000")
    INPUT_FILL = PatternFill("solid", fgColor="FFF9E1")
    COMPUTED_FILL = PatternFill("solid", fgColor="EDEDED")
    SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
    ERROR_FILL = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
    WARNING_FILL = PatternFill("solid", fgColor="FFEB9C", bgColor="FFEB9C")
    UNLOCKED = Protection(locked=False)
    WRAP = Alignment(wrap_text=True, vertical="center")
    CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
    BORDER = Border(left=thin, right=thin, top=thin, bottom=thin)  # last: its presence means "loaded"


def font(size: float = 12, bold: bool = False, italic: bool = False, color: str | None = None,
         underline: str | None = None) -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic, color=color, underline=underline)


@dataclass(frozen=True)
class Identity:
    """Who a personalised template belongs to (empty for a blank template)."""
    unit_code: str = ""
    unit_name: str = ""
    parent_code: str = ""
    parent_name: str = ""

    @classmethod
    def of(cls, unit: Unit, roster: Roster | None) -> "Identity":
        parent = roster.units.get(unit.parent) if (roster and unit.parent) else None
        return cls(unit.code, unit.name, unit.parent or "", parent.name if parent else "")

    @property
    def parent_text(self) -> str:
        return " – ".join(p for p in (self.parent_code, self.parent_name) if p)


def metadata(layout: FormLayout, period: Period | None, identity: Identity) -> list[tuple[str, str]]:
    """Key/value rows of the hidden metadata sheet, in order."""
    return [
        ("format", META_FORMAT),
        ("format_version", META_FORMAT_VERSION),
        ("catalog_version", layout.catalog.version),
        ("level", layout.level),
        ("form", layout.form),
        ("unit_code", identity.unit_code),
        ("unit_name", identity.unit_name),
        ("parent_code", identity.parent_code),
        ("period", period.code if period else ""),
        ("form_sheet", layout.sheet_name),
        ("fingerprint", layout.fingerprint),
        ("cells", json.dumps(layout.cells, ensure_ascii=False, separators=(",", ":"))),
        ("identity_cells", json.dumps(layout.identity_cells, ensure_ascii=False, separators=(",", ":"))),
        ("generator", f"qcdc-excel {__version__}"),
    ]


def build_template(level: str, period: Period | None = None, identity: Identity | None = None,
                   catalog_version: str = CURRENT_VERSION, password: str = DEFAULT_PASSWORD) -> Workbook:
    """The template workbook of ``level``; personalised when ``identity`` names a unit."""
    _load_openpyxl()
    layout = form_layout(catalog_version, level, "own")
    identity = identity or Identity()
    personal = bool(identity.unit_code)
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    _write_header(ws, layout, period, identity, personal)
    dv = _Validations(ws)
    _write_table(ws, layout, dv)
    _write_footer(ws, layout, dv)
    _write_checks(ws, layout)
    _identity_inputs(ws, layout, period, personal, dv)
    _page_setup(ws, layout)
    ws.protection.sheet = True
    ws.protection.password = password
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False

    meta = wb.create_sheet(META_SHEET)
    for r, (key, value) in enumerate(metadata(layout, period, identity), start=1):
        meta.cell(r, 1, key)
        cell = meta.cell(r, 2, value)
        cell.number_format = "@"
        if value:
            cell.data_type = "s"  # identity text is never a formula
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True
    meta.protection.password = password
    wb.security = WorkbookProtection(workbookPassword=password, lockStructure=True)
    wb.active = 0
    return wb


def template_bytes(*args, **kwargs) -> bytes:
    buf = io.BytesIO()
    build_template(*args, **kwargs).save(buf)
    return buf.getvalue()


# Placeholders that a prototype carries where a unit's identity goes (plain ASCII, never escaped).
_TOKENS = Identity("QCDCxUNITxCODEx", "QCDCxUNITxNAMEx", "QCDCxPARENTxCODEx", "QCDCxPARENTxNAMEx")
_PATCHED_PARTS = ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml")


class Personaliser:
    """Personalised templates at the speed of a string replace.

    One prototype per (level, period, which identity fields are present) is built with openpyxl,
    holding placeholders where the identity goes; each unit's workbook is the prototype with its
    code, name and parent substituted in the two sheet parts (openpyxl writes inline strings, so
    the identity lives only there). The result has the same content as ``build_template`` for
    that unit; a test compares the two.
    """

    def __init__(self, catalog_version: str = CURRENT_VERSION, password: str = DEFAULT_PASSWORD) -> None:
        self.catalog_version, self.password = catalog_version, password
        self._prototypes: dict[tuple, tuple[dict[str, bytes], list[str]]] = {}

    def _prototype(self, level: str, period: Period | None, identity: Identity):
        key = (level, period, bool(identity.parent_code), bool(identity.parent_name))
        if key not in self._prototypes:
            tokens = Identity(_TOKENS.unit_code, _TOKENS.unit_name,
                              _TOKENS.parent_code if identity.parent_code else "",
                              _TOKENS.parent_name if identity.parent_name else "")
            data = template_bytes(level, period, tokens, self.catalog_version, self.password)
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                parts = {name: zf.read(name) for name in zf.namelist()}
            self._prototypes[key] = (parts, list(parts))
        return self._prototypes[key]

    def bytes_for(self, level: str, period: Period | None, identity: Identity) -> bytes:
        if not identity.unit_code or not identity.unit_name:
            return template_bytes(level, period, identity, self.catalog_version, self.password)
        parts, order = self._prototype(level, period, identity)
        swaps = [(_TOKENS.unit_code, identity.unit_code), (_TOKENS.unit_name, identity.unit_name),
                 (_TOKENS.parent_code, identity.parent_code), (_TOKENS.parent_name, identity.parent_name)]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for name in order:
                data = parts[name]
                if name in _PATCHED_PARTS:
                    text = data.decode("utf-8")
                    for token, value in swaps:
                        if value:
                            text = text.replace(token, xml_escape(value))
                    data = text.encode("utf-8")
                out.writestr(name, data)
        return buf.getvalue()


def write_template(path: str | Path, level: str, period: Period | None = None,
                   identity: Identity | None = None, catalog_version: str = CURRENT_VERSION,
                   password: str = DEFAULT_PASSWORD) -> Path:
    data = template_bytes(level, period, identity, catalog_version, password)
    return atomic_write_bytes(Path(path), data)


def template_filename(level: str, period: Period | None, unit_code: str = "") -> str:
    if unit_code:
        return f"{unit_code}_{period.code if period else 'ky'}.xlsx"
    return f"bieu-mau-{level}" + (f"_{period.code}" if period else "") + ".xlsx"


def make_templates(out_dir: str | Path, level: str | None = None, period: Period | None = None,
                   roster: Roster | None = None, units: list[str] | None = None,
                   all_units: bool = False, catalog_version: str = CURRENT_VERSION,
                   password: str = DEFAULT_PASSWORD) -> list[Path]:
    """Write blank or personalised templates into ``out_dir``; returns the files written.

    Without a roster: the blank template of ``level``. With a roster and ``all_units``: one per
    unit (of ``level`` when given, else every unit at its own level). With ``units``: those units.
    """
    out = Path(out_dir)
    if (units or all_units) and roster is None:
        raise QcdcError("template-needs-roster")
    if units and all_units:
        raise QcdcError("template-all-and-unit")
    if roster is not None and not (units or all_units):
        raise QcdcError("template-roster-needs-selection")
    if roster is not None and period is None:
        raise QcdcError("template-needs-period")  # a unit's own form is for one period
    if roster is None and level is None:
        raise QcdcError("template-level-missing")
    out.mkdir(parents=True, exist_ok=True)
    if roster is None:
        return [write_template(out / template_filename(level, period), level, period, None,
                               catalog_version, password)]
    if all_units:
        chosen = [u for u in roster.units.values() if level is None or u.level == level]
        if not chosen:
            raise QcdcError("template-no-units", level=level)
    else:
        chosen = []
        for code in units or []:
            if code not in roster:
                raise QcdcError("unit-not-in-roster", code=code, path=roster.source)
            unit = roster[code]
            if level is not None and unit.level != level:
                raise QcdcError("template-level-mismatch", code=code, name=unit.name,
                                unit_level=unit.level, level=level)
            chosen.append(unit)
    personaliser = Personaliser(catalog_version, password)
    return [atomic_write_bytes(out / template_filename(u.level, period, u.code),
                               personaliser.bytes_for(u.level, period, Identity.of(u, roster)))
            for u in chosen]


# --- sheet parts -----------------------------------------------------------------------------
class _Validations:
    """Data validations of one sheet, one object per input cell so each has its own prompt."""

    def __init__(self, ws) -> None:
        self.ws = ws

    def add(self, cell: str, kind: str, title: str, prompt: str) -> None:
        common = dict(allow_blank=True, showInputMessage=True, showErrorMessage=True,
                      promptTitle=title[:32], prompt=prompt[:255], errorTitle="Giá trị không hợp lệ")
        if kind == "count":
            dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                                error="Chỉ nhập số nguyên ≥ 0, không có chữ hay đơn vị.", **common)
        elif kind == "amount":
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                                error="Chỉ nhập số ≥ 0, không có chữ hay đơn vị.", **common)
        elif kind == "flag":
            dv = DataValidation(type="list", formula1='"Có,Không"',
                                error="Chọn Có hoặc Không trong danh sách.", **common)
        elif kind == "date":
            dv = DataValidation(type="date", operator="between", formula1="36526", formula2="73050",
                                error="Nhập ngày dạng ngày/tháng/năm, ví dụ 15/06/2023.", **common)
        elif kind == "period":
            dv = DataValidation(type="textLength", operator="between", formula1="4", formula2="6",
                                error="Kỳ báo cáo dạng 2023Q1, 2023S1 hoặc 2023.", **common)
        else:  # free text
            dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(TEXT_MAX),
                                error=f"Tối đa {TEXT_MAX:,} ký tự.".replace(",", "."), **common)
        dv.add(cell)
        self.ws.add_data_validation(dv)


def _put(ws, cell: str, value, f: Font | None = None, align: Alignment | None = None,
         fill: PatternFill | None = None, border: bool = False, fmt: str | None = None):
    c = ws[cell]
    c.value = value
    c.font = f or font()
    if align:
        c.alignment = align
    if fill:
        c.fill = fill
    if border:
        c.border = BORDER
    if fmt:
        c.number_format = fmt
    return c


def _height(label: str, chars_per_line: int = 60) -> float:
    """Row height for a wrapped label: spreadsheet programs do not re-fit rows on opening."""
    lines = max(1, -(-len(label) // chars_per_line))
    return 16.5 * lines + 1.5


def _merge_put(ws, first: str, last: str, value, **kw):
    ws.merge_cells(f"{first}:{last}")
    return _put(ws, first, value, **kw)


def _write_header(ws, layout: FormLayout, period: Period | None, identity: Identity, personal: bool):
    widths = {COL_STT: 6, COL_CODE: 10, COL_LABEL: 58, COL_UNIT: 13, COL_VALUE: 16, COL_CHECK: 48}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    _merge_put(ws, f"A{ROW_MOTTO}", f"E{ROW_MOTTO}", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
               f=font(13, bold=True), align=CENTER)
    _merge_put(ws, f"A{ROW_MOTTO2}", f"E{ROW_MOTTO2}", "Độc lập - Tự do - Hạnh phúc",
               f=font(13, bold=True, underline="single"), align=CENTER)
    _merge_put(ws, f"A{ROW_TITLE}", f"E{ROW_TITLE}", layout.catalog.title, f=font(14, bold=True),
               align=CENTER)
    ws.row_dimensions[ROW_TITLE].height = 36
    period_line = f"Kỳ báo cáo: {period.label('vi')}" if period else "Kỳ báo cáo: ……………………"
    _merge_put(ws, f"A{ROW_PERIOD_LINE}", f"E{ROW_PERIOD_LINE}", period_line,
               f=font(12, italic=True), align=CENTER)
    labels = {ROW_UNIT_CODE: "Mã đơn vị:", ROW_UNIT_NAME: "Tên đơn vị:", ROW_PARENT: "Đơn vị cấp trên:",
              ROW_PERIOD: "Kỳ báo cáo:", ROW_SUMMARY: "Tự kiểm tra:"}
    for row, text in labels.items():
        _put(ws, f"B{row}", text, f=font(12, bold=True))
    values = {ROW_UNIT_CODE: identity.unit_code, ROW_UNIT_NAME: identity.unit_name,
              ROW_PARENT: identity.parent_text, ROW_PERIOD: period.code if period else ""}
    for row, value in values.items():
        c = _put(ws, f"C{row}", value or None, f=font(12, bold=personal), fmt="@",
                 align=Alignment(horizontal="left", vertical="center"))
        if value:
            c.data_type = "s"  # a roster name is text even when it starts with "="
    _put(ws, f"D{ROW_UNIT_CODE}", "Cấp:", f=font(12, bold=True), align=Alignment(horizontal="right"))
    _put(ws, f"E{ROW_UNIT_CODE}", LEVEL_LABELS[layout.level]["vi"], f=font(12))
    _put(ws, f"D{ROW_PERIOD}", "Mẫu biểu:", f=font(12, bold=True), align=Alignment(horizontal="right"))
    _put(ws, f"E{ROW_PERIOD}", layout.catalog.version, f=font(11))
    _merge_put(ws, f"C{ROW_SUMMARY}", f"F{ROW_SUMMARY}", layout.summary_formula(),
               f=font(12, bold=True, color="C00000"), align=Alignment(vertical="center"))
    headers = {COL_STT: "STT", COL_CODE: "Mã chỉ tiêu", COL_LABEL: "Nội dung chỉ tiêu",
               COL_UNIT: "Đơn vị tính", COL_VALUE: "Số liệu", COL_CHECK: "Kiểm tra (tự động, không in)"}
    for col, text in headers.items():
        _put(ws, f"{col}{ROW_TABLE_HEADER}", text, f=font(12, bold=True), align=CENTER,
             fill=SECTION_FILL, border=True)
    ws.row_dimensions[ROW_TABLE_HEADER].height = 32
    ws.freeze_panes = f"A{FIRST_TABLE_ROW}"


def _write_table(ws, layout: FormLayout, dv: _Validations) -> None:
    for r in layout.rows:
        item, row = r.item, r.row
        if isinstance(item, Heading):
            section = item.kind == "section"
            style = dict(f=font(12, bold=True, italic=not section), border=True,
                         fill=SECTION_FILL if section else None)
            _put(ws, f"{COL_STT}{row}", r.stt or None, align=CENTER, **style)
            _put(ws, f"{COL_CODE}{row}", None if section else item.code, align=CENTER, **style)
            ws.row_dimensions[row].height = _height(item.label)
            _put(ws, f"{COL_LABEL}{row}", item.label.upper() if section else item.label, align=WRAP, **style)
            for col in (COL_UNIT, COL_VALUE):
                _put(ws, f"{col}{row}", None, **style)
            continue
        ind: Indicator = item
        _put(ws, f"{COL_STT}{row}", r.stt, align=CENTER, border=True)
        _put(ws, f"{COL_CODE}{row}", ind.code, align=CENTER, border=True)
        _put(ws, f"{COL_LABEL}{row}", ind.label, align=WRAP, border=True)
        ws.row_dimensions[row].height = _height(ind.label)
        unit = {"flag": "Có/Không", "text": "", "ratio": "%"}.get(ind.kind, ind.unit)
        _put(ws, f"{COL_UNIT}{row}", unit or None, align=CENTER, border=True)
        cell = r.cell
        if ind.kind == "ratio":
            _put(ws, cell, layout.ratio_formula(ind), fill=COMPUTED_FILL, border=True,
                 fmt=NUMBER_FORMATS["ratio"], align=Alignment(horizontal="right", vertical="center"))
        else:
            c = _put(ws, cell, None, border=True, fill=INPUT_FILL, fmt=NUMBER_FORMATS.get(ind.kind),
                     align=WRAP if ind.kind == "text" else Alignment(
                         horizontal="center" if ind.kind == "flag" else "right", vertical="center"))
            c.protection = UNLOCKED
            required = "Bắt buộc nhập. " if ind.required else ""
            dv.add(cell, ind.kind, f"{ind.code}", f"{ind.label.lstrip('- ')}. {required}{KIND_HINTS[ind.kind]}")
            if ind.kind == "text":
                ws.row_dimensions[row].height = 75
        check = layout.row_check_formula(r)
        _put(ws, f"{COL_CHECK}{row}", check, f=font(11, color="C00000"), align=WRAP)
        red = layout.error_highlight_condition(ind) if ind.kind != "ratio" else None
        if red:
            ws.conditional_formatting.add(cell, FormulaRule(formula=[red], fill=ERROR_FILL,
                                                            font=Font(color="9C0006"), stopIfTrue=True))
        yellow = layout.warning_highlight_condition(ind) if ind.kind != "ratio" else None
        if yellow:
            ws.conditional_formatting.add(cell, FormulaRule(formula=[yellow], fill=WARNING_FILL,
                                                            font=Font(color="9C5700")))


def _write_footer(ws, layout: FormLayout, dv: _Validations) -> None:
    ids = layout.identity_cells
    d = layout.report_date_row
    _put(ws, f"{COL_UNIT}{d}", "Ngày báo cáo:", f=font(12, italic=True),
         align=Alignment(horizontal="right", vertical="center"))
    c = _put(ws, ids["report_date"], None, fill=INPUT_FILL, border=True, fmt=NUMBER_FORMATS["date"],
             align=Alignment(horizontal="center"))
    c.protection = UNLOCKED
    dv.add(ids["report_date"], "date", "Ngày báo cáo", "Nhập ngày lập báo cáo, dạng ngày/tháng/năm (ví dụ 15/06/2023).")
    s = layout.sign_title_row
    _merge_put(ws, f"B{s}", f"C{s}", "NGƯỜI LẬP BIỂU", f=font(12, bold=True), align=CENTER)
    _merge_put(ws, f"D{s}", f"E{s}", "THỦ TRƯỞNG ĐƠN VỊ", f=font(12, bold=True), align=CENTER)
    _merge_put(ws, f"B{s + 1}", f"C{s + 1}", "(Ký, ghi rõ họ tên)", f=font(12, italic=True), align=CENTER)
    _merge_put(ws, f"D{s + 1}", f"E{s + 1}", "(Ký tên, đóng dấu)", f=font(12, italic=True), align=CENTER)
    n = layout.sign_name_row
    for first, last, key, title in (("B", "C", "preparer", "Người lập biểu"), ("D", "E", "head", "Thủ trưởng đơn vị")):
        c = _merge_put(ws, f"{first}{n}", f"{last}{n}", None, f=font(12, bold=True), align=CENTER)
        c.protection = UNLOCKED
        dv.add(ids[key], "text", title, f"Họ và tên {title.lower()}.")


def _write_checks(ws, layout: FormLayout) -> None:
    t = layout.check_title_row
    _merge_put(ws, f"A{t}", f"F{t}", "KIỂM TRA TỰ ĐỘNG THEO QUY TẮC CỦA DANH MỤC (phần này không in)",
               f=font(12, bold=True), fill=SECTION_FILL)
    heads = {COL_STT: "STT", COL_CODE: "Mã quy tắc", COL_LABEL: "Nội dung kiểm tra",
             COL_UNIT: "Mức độ", COL_VALUE: "Kết quả", COL_CHECK: "Biểu thức"}
    for col, text in heads.items():
        _put(ws, f"{col}{t + 1}", text, f=font(11, bold=True), align=CENTER, border=True)
    for k, check in enumerate(layout.checks, start=1):
        row, rule = check.row, check.rule
        _put(ws, f"{COL_STT}{row}", k, f=font(11), align=CENTER, border=True)
        _put(ws, f"{COL_CODE}{row}", rule.id, f=font(10), align=WRAP, border=True)
        _put(ws, f"{COL_LABEL}{row}", rule.message, f=font(11), align=WRAP, border=True)
        _put(ws, f"{COL_UNIT}{row}", "Lỗi" if rule.severity == "error" else "Cảnh báo", f=font(11),
             align=CENTER, border=True)
        _put(ws, check.cell, layout.check_formula(check), f=font(11, bold=True), align=CENTER, border=True)
        _put(ws, f"{COL_CHECK}{row}", rule.expression.text, f=font(10), align=WRAP, border=True)


def _identity_inputs(ws, layout: FormLayout, period: Period | None, personal: bool, dv: _Validations):
    """A blank template leaves unit code, name and parent (and the period if not given) open."""
    ids = layout.identity_cells
    if not personal:
        for key, title, prompt in (("unit_code", "Mã đơn vị", "Nhập mã đơn vị hành chính (ví dụ 23641)."),
                                   ("unit_name", "Tên đơn vị", "Nhập tên đơn vị (ví dụ Xã Kon Pne)."),
                                   ("parent", "Đơn vị cấp trên", "Nhập mã và tên đơn vị cấp trên.")):
            ws[ids[key]].protection = UNLOCKED
            ws[ids[key]].fill = INPUT_FILL
            dv.add(ids[key], "text", title, prompt)
    if period is None:
        ws[ids["period"]].protection = UNLOCKED
        ws[ids["period"]].fill = INPUT_FILL
        dv.add(ids["period"], "period", "Kỳ báo cáo", "Nhập 2023Q1…2023Q4 (quý), 2023S1, 2023S2 (6 tháng) hoặc 2023 (năm).")


def _page_setup(ws, layout: FormLayout) -> None:
    ws.print_area = layout.print_area
    ws.print_title_rows = f"{ROW_TABLE_HEADER}:{ROW_TABLE_HEADER}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.oddFooter.center.font = FONT
