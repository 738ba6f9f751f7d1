"""Locked Excel templates, built from the catalog through the layout.

Written with openpyxl because a template needs workbook-structure protection and a very hidden
metadata sheet, which xlsxwriter cannot write. Output is deterministic apart from the document
timestamps, and always written atomically.
"""
from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from .atomic import atomic_write_bytes
from .catalog import CURRENT_VERSION
from .form import DEFAULT_PASSWORD, FONT, FORM_SHEET, META_SHEET
from .form_sheet import MARGINS, STYLES, FormSheet, FormHeader, Style, Validation, describe_form
from .i18n import QcdcError
from .identity import Identity, metadata
from .layout import TEXT_MAX, FormLayout, form_layout
from .numbers import format_number
from .periods import Period
from .roster import Roster
from .safe_paths import is_plain_code, path_inside, safe_component


def _load_openpyxl() -> None:
    """Import openpyxl on first use.

    Only template building needs openpyxl; ``merge`` and ``validate`` never import it, which
    saves ~0.1 s on every run of those commands.
    """
    global Workbook, FormulaRule, Alignment, Border, Font, PatternFill, Protection, WorkbookProtection
    global DataValidation, BORDER, UNLOCKED
    if "BORDER" in globals():
        return
    from openpyxl import Workbook
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    thin = Side(style="thin", color="000000")
    UNLOCKED = Protection(locked=False)
    BORDER = Border(left=thin, right=thin, top=thin, bottom=thin)  # last: its presence means "loaded"


# The printed note of a half-year or year form prefilled from the unit's quarters (``--prefill-from``).
PREFILL_NOTE = "Số liệu điền sẵn từ các quý — đơn vị kiểm tra, bổ sung quý còn lại"


def form_heading(layout: FormLayout, period: Period | None, identity: Identity, style: str = "nd30",
                 note: str = "") -> FormHeader:
    """What a unit's form says in its header (``note``: a printed line above the title)."""
    return FormHeader(layout.catalog.title, period.label("vi") if period else "", period.window if period else None,
                    identity.unit_code, identity.unit_name, identity.parent_text, bool(identity.unit_code), style,
                    note)


def _prefilled(sheet: FormSheet, layout: FormLayout, values: dict[str, object]) -> FormSheet:
    """The form's input cells holding ``values`` (figures the unit checks and corrects)."""
    for code in layout.input_codes:
        value = values.get(code)
        if value is not None:
            sheet.cells[layout.cells[code]].value = value
    return sheet


def build_template(level: str, period: Period | None = None, identity: Identity | None = None,
                   catalog_version: str = CURRENT_VERSION, password: str = DEFAULT_PASSWORD,
                   style: str = "nd30", values: dict[str, object] | None = None) -> Workbook:
    """The template workbook of ``level``; personalised when ``identity`` names a unit; ``values``: its
    figures prefilled (from its quarters), with :data:`PREFILL_NOTE` printed above the title."""
    _load_openpyxl()
    if style not in STYLES:
        raise QcdcError("report-style", value=style, known=", ".join(STYLES))
    layout = form_layout(catalog_version, level, "own")
    identity = identity or Identity()
    wb = new_workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    sheet = describe_form(layout, form_heading(layout, period, identity, style, PREFILL_NOTE if values else ""))
    render_openpyxl(ws, _prefilled(sheet, layout, values or {}), password)

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


def new_workbook() -> "Workbook":
    """An openpyxl workbook whose default font is the form's (Times New Roman 12), as the
    consolidated workbook's: column widths are counted in that font's characters in both."""
    from openpyxl.styles.named_styles import NamedStyle, NamedStyleList
    from openpyxl.utils.indexed_list import IndexedList

    wb = Workbook()
    normal = Font(name=FONT, size=12, family=1)
    wb._fonts = IndexedList([normal])
    wb._named_styles = NamedStyleList()
    wb.add_named_style(NamedStyle(name="Normal", font=normal, builtinId=0))
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

    def __init__(self, catalog_version: str = CURRENT_VERSION, password: str = DEFAULT_PASSWORD,
                 style: str = "nd30") -> None:
        self.catalog_version, self.password, self.style = catalog_version, password, style
        self._prototypes: dict[tuple, tuple[dict[str, bytes], list[str]]] = {}

    def _prototype(self, level: str, period: Period | None, identity: Identity):
        key = (level, period, bool(identity.parent_code), bool(identity.parent_name))
        if key not in self._prototypes:
            tokens = Identity(_TOKENS.unit_code, _TOKENS.unit_name,
                              _TOKENS.parent_code if identity.parent_code else "",
                              _TOKENS.parent_name if identity.parent_name else "")
            data = template_bytes(level, period, tokens, self.catalog_version, self.password, self.style)
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                parts = {name: zf.read(name) for name in zf.namelist()}
            self._prototypes[key] = (parts, list(parts))
        return self._prototypes[key]

    def bytes_for(self, level: str, period: Period | None, identity: Identity) -> bytes:
        if not identity.unit_code or not identity.unit_name:
            return template_bytes(level, period, identity, self.catalog_version, self.password, self.style)
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
                   password: str = DEFAULT_PASSWORD, style: str = "nd30") -> Path:
    data = template_bytes(level, period, identity, catalog_version, password, style)
    return atomic_write_bytes(Path(path), data)


def template_filename(level: str, period: Period | None, unit_code: str = "") -> str:
    """``MÃ_KỲ.xlsx`` (the name units send back), or ``bieu-mau-CẤP[_KỲ].xlsx`` for a blank form; a
    roster code that is not a plain code is reduced to a safe name (``safe_paths``)."""
    if unit_code:
        code = unit_code if is_plain_code(unit_code) else safe_component(unit_code, 40)
        return f"{code}_{period.code if period else 'ky'}.xlsx"
    return f"bieu-mau-{safe_component(level, 10)}" + (f"_{period.code}" if period else "") + ".xlsx"


def refuse_replacing_reports(targets: list[Path]) -> None:
    """Refuse, before anything is written, to replace a file that is not a blank form this tool made
    (a filled return has the very name a form is written under: ``MÃ_KỲ.xlsx``)."""
    from .validate import read_submission

    kept = []
    for path in targets:
        if not os.path.lexists(path):
            continue
        sub = read_submission(path) if path.is_file() and not path.is_symlink() else None
        blank = (sub is not None and sub.status != "unreadable" and sub.form == "own" and not sub.copy_of
                 and not any(v not in (None, "") for v in sub.values.values()))
        if not blank:
            kept.append(path)
    if kept:
        folder = targets[0].parent
        raise QcdcError("template-would-replace", out=str(folder), count=len(kept),
                        files=", ".join(p.name for p in kept[:5]) + (" …" if len(kept) > 5 else ""),
                        suggest=str(folder.with_name(folder.name + "-moi")))


@dataclass(frozen=True)
class FormOptions:
    """How the forms are made, whoever they are for: the catalog, the protection's password, the header's style."""
    catalog_version: str = CURRENT_VERSION
    password: str = DEFAULT_PASSWORD
    style: str = "nd30"


def make_templates(out_dir: str | Path, level: str | None = None, period: Period | None = None,
                   roster: Roster | None = None, units: list[str] | None = None,
                   all_units: bool = False, options: FormOptions = FormOptions(),
                   prefill: dict[str, dict[str, object]] | None = None) -> list[Path]:
    """Write blank or personalised templates into ``out_dir``; returns the files written.

    Without a roster: the blank template of ``level``. With a roster and ``all_units``: one per
    unit (of ``level`` when given, else every unit at its own level). With ``units``: those units.
    ``options``: the catalog version, password and style of every form written. ``prefill``: unit code
    -> its figures rolled up from its quarters (``rolling.prefill_values``), written into its form.
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
    if roster is None:
        target = path_inside(out, template_filename(level, period)) if out.is_dir() else out / template_filename(
            level, period)
        refuse_replacing_reports([target])
        out.mkdir(parents=True, exist_ok=True)
        return [write_template(target, level, period, None, options.catalog_version, options.password, options.style)]
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
    out.mkdir(parents=True, exist_ok=True)
    targets = [path_inside(out, template_filename(u.level, period, u.code)) for u in chosen]
    refuse_replacing_reports(targets)
    personaliser = Personaliser(options.catalog_version, options.password, options.style)
    prefill = prefill or {}

    def data(u) -> bytes:
        identity = Identity.of(u, roster)
        if prefill.get(u.code):
            return template_bytes(u.level, period, identity, options.catalog_version, options.password,
                                  options.style, prefill[u.code])
        return personaliser.bytes_for(u.level, period, identity)

    return [atomic_write_bytes(target, data(u)) for target, u in zip(targets, chosen)]


# --- rendering the form's description with openpyxl ------------------------------------------------
_VALIDATION_ERRORS = {
    "count": "Chỉ nhập số nguyên ≥ 0, không có chữ hay đơn vị.",
    "amount": "Chỉ nhập số ≥ 0, không có chữ hay đơn vị.",
    "flag": "Chọn Có hoặc Không trong danh sách.",
    "date": "Nhập ngày dạng ngày/tháng/năm, ví dụ 15/06/2023.",
    "period": "Ghi kỳ báo cáo, ví dụ Quý I năm 2023, 6 tháng đầu năm 2023, Năm 2023 (hoặc 2023Q1).",
    "text": f"Tối đa {format_number(TEXT_MAX)} ký tự.",
}


def _validation(v: Validation) -> "DataValidation":
    common = dict(allow_blank=True, showInputMessage=True, showErrorMessage=True, promptTitle=v.title[:32],
                  prompt=v.prompt[:255], errorTitle="Giá trị không hợp lệ", error=_VALIDATION_ERRORS[v.kind])
    if v.kind == "count":
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", **common)
    elif v.kind == "amount":
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", **common)
    elif v.kind == "flag":
        dv = DataValidation(type="list", formula1='"Có,Không"', **common)
    elif v.kind == "date":
        dv = DataValidation(type="date", operator="between", formula1="36526", formula2="73050", **common)
    elif v.kind == "period":
        dv = DataValidation(type="textLength", operator="between", formula1="4", formula2="40", **common)
    else:
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(TEXT_MAX), **common)
    dv.add(v.ref)
    return dv


class _Looks:
    """openpyxl style objects per description Style, made once."""

    def __init__(self) -> None:
        self._cache: dict[Style, tuple] = {}

    def __call__(self, st: Style) -> tuple:
        if st not in self._cache:
            f = Font(name=FONT, size=st.size, bold=st.bold, italic=st.italic,
                     color=st.color, underline="single" if st.underline else None)
            fill = PatternFill("solid", fgColor=st.fill) if st.fill else None
            align = Alignment(horizontal=st.halign, vertical=st.valign, wrap_text=st.wrap or None,
                              shrink_to_fit=st.shrink or None)
            self._cache[st] = (f, fill, BORDER if st.border else None, align,
                               None if st.locked else UNLOCKED)
        return self._cache[st]


_LOOK_FILLS = {"error": ("FFC7CE", "9C0006"), "warning": ("FFEB9C", "9C5700"), "ok": (None, "1E7B34")}


def render_openpyxl(ws, sheet: FormSheet, password: str) -> None:
    """Write the description ``sheet`` into the openpyxl worksheet ``ws``."""
    from openpyxl.worksheet.pagebreak import Break

    for col, width in sheet.widths.items():
        ws.column_dimensions[col].width = width
    for row, height in sheet.heights.items():
        ws.row_dimensions[row].height = height
    looks = _Looks()
    for put in sheet.cells.values():
        if put.merge_to:
            ws.merge_cells(f"{put.ref}:{put.merge_to}")
        c = ws[put.ref]
        if put.formula is not None:
            c.value = put.formula
        elif put.value is not None:
            c.value = put.value
            if isinstance(put.value, str):
                c.data_type = "s"  # a roster name is text even when it starts with "="
        f, fill, border, align, protection = looks(put.style)
        c.font, c.alignment = f, align
        if fill:
            c.fill = fill
        if border:
            c.border = border
        if put.style.num_format:
            c.number_format = put.style.num_format
        if protection:
            c.protection = protection
        if put.merge_to and border:  # a merged range keeps its border on every edge cell
            for row in ws[f"{put.ref}:{put.merge_to}"]:
                for cell in row:
                    cell.border = border
    for v in sheet.validations:
        ws.add_data_validation(_validation(v))
    for cf in sheet.cond_formats:
        fill, color = _LOOK_FILLS[cf.look]
        kw = {"fill": PatternFill("solid", fgColor=fill, bgColor=fill)} if fill else {}
        ws.conditional_formatting.add(cf.ref, FormulaRule(formula=[cf.formula], font=Font(color=color),
                                                          stopIfTrue=cf.look == "error", **kw))
    ws.print_area = sheet.print_area
    ws.print_title_rows = f"{sheet.repeat_row}:{sheet.repeat_row}"
    ws.freeze_panes = f"A{sheet.freeze_row + 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.scale = sheet.scale
    ws.page_setup.blackAndWhite = sheet.print_black_and_white
    ws.sheet_properties.pageSetUpPr.fitToPage = False  # fixed scale: manual page breaks are kept
    for row in sheet.breaks_before:
        ws.row_breaks.append(Break(id=row - 1))
    for side, inches in MARGINS.items():
        setattr(ws.page_margins, side, inches)
    ws.print_options.horizontalCentered = True
    for side, text in sheet.footer.items():
        getattr(ws.oddFooter, side).text = text
    ws.protection.sheet = True
    ws.protection.password = password
    ws.protection.selectLockedCells = sheet.select_locked
    ws.protection.selectUnlockedCells = False
