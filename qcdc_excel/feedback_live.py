"""Live marks of a feedback copy: formulas that are TRUE while a finding is still there.

A mark drawn with one (conditional formatting) clears itself once the unit fixes the cell, and the
front sheet's verdict and "state" column count what is left, in Excel, LibreOffice and WPS alike.
Used by both ways of making the copy (``feedback_zip`` and the openpyxl path in ``feedback``).
"""
from __future__ import annotations

import re

from .i18n import word
from .layout import CHECK_ERROR, CHECK_WARNING
from .numbers import formula_literal
from .record import Submission

# What a finding on an input cell looks like while it is still wrong, as an Excel formula over that
# cell ({c}, absolute). A mark drawn with it (conditional formatting) clears itself once the unit
# fixes the cell, and the front sheet's verdict counts what is left. Findings that typing cannot fix
# (a changed form, a removed sheet…) keep a fixed mark and a fixed verdict.
LIVE_CONDITIONS = {
    "required-missing": "LEN({c})=0",
    "report-date-missing": "LEN({c})=0",
    "number-as-text": "ISTEXT({c})",
    "not-a-number": "AND(LEN({c})>0,NOT(ISNUMBER({c})))",
    "negative-number": "AND(ISNUMBER({c}),{c}<0)",
    "not-whole-number": "AND(ISNUMBER({c}),{c}<>INT({c}))",
    "invalid-flag": 'AND(LEN({c})>0,{c}<>"Có",{c}<>"Không")',
    "text-too-long": "LEN({c})>2000",
    "report-date-invalid": "NOT(ISNUMBER({c}))",
    # ISFORMULA came with Excel 2013 (stored as _xlfn.ISFORMULA); where it is unknown the mark stays
    "input-is-formula": "IFERROR(_xlfn.ISFORMULA({c}),TRUE)",
}
# TRUE when the live verdict says everything is fixed (its text then starts with ĐÃ SỬA / ALL or
# ERRORS FIXED, or reads ĐƯỢC CHẤP NHẬN / ACCEPTED exactly)
DONE_CONDITION = ('OR(LEFT({c},6)="ĐÃ SỬA",LEFT({c},9)="ALL FIXED",LEFT({c},12)="ERRORS FIXED",'
                  '{c}="ĐƯỢC CHẤP NHẬN",{c}="ACCEPTED")')


def _absolute(ref: str) -> str:
    m = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref)
    return f"${m.group(1)}${m.group(2)}" if m else ref


def still_wrong(f, sub: Submission, prefix: str = "") -> str | None:
    """The formula (no leading '=') that is TRUE while finding ``f`` is still there, or None when
    typing cannot fix it. ``prefix`` is the sheet reference for formulas on another sheet."""
    layout = sub.layout
    if layout is None or not f.cell or f.sheet != layout.sheet_name or not re.fullmatch(r"[A-Z]{1,3}\d+", f.cell):
        return None
    if f.code == "rule-failed":
        check = next((c for c in layout.checks if c.rule.id == f.rule), None)
        if check is None:
            return None
        cell = prefix + _absolute(check.cell)
        return f'OR({cell}="{CHECK_ERROR}",{cell}="{CHECK_WARNING}")'
    if f.code in HISTORY_CODES:
        return _still_the_value(f, prefix + _absolute(f.cell))
    template = LIVE_CONDITIONS.get(f.code)
    return template.format(c=prefix + _absolute(f.cell)) if template else None


# Findings against earlier periods or siblings: the mark stays while the cell still holds the figure
# that was questioned (a corrected figure is checked again on the next run).
HISTORY_CODES = frozenset({"cumulative-mismatch", "period-jump", "sibling-outlier"})


def _still_the_value(f, cell: str) -> str | None:
    value = dict(dict(f.params).get("data", ())).get("value")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return f"AND(ISNUMBER({cell}),{cell}={formula_literal(value)})"


def sheet_prefix(name: str) -> str:
    return "'" + name.replace("'", "''") + "'!"


def verdict_formula(sub: Submission, lang: str) -> tuple[str, str] | None:
    """The front sheet's verdict as a live formula and its value now, or None when some finding
    cannot be fixed by typing (the verdict then stays as written)."""
    if sub.status not in ("rejected", "accepted-with-warnings") or sub.layout is None:
        return None
    prefix = sheet_prefix(sub.layout.sheet_name)
    errors, warnings = [], []
    for f in sub.findings:
        cond = still_wrong(f, sub, prefix)
        if cond is None:
            if f.severity == "error":
                return None
            continue
        (errors if f.severity == "error" else warnings).append(f"IF({cond},1,0)")
    el, wl = "+".join(errors) or "0", "+".join(warnings) or "0"
    vi = lang != "en"
    if sub.status == "rejected":
        formula = (f'IF(({el})>0,"{"CHƯA ĐƯỢC CHẤP NHẬN: còn " if vi else "REJECTED: "}"&({el})&"'
                   f'{" lỗi cần sửa" if vi else " error(s) left to fix"}",IF(({wl})>0,"'
                   f'{"ĐÃ SỬA HẾT LỖI (còn cảnh báo): lưu tệp và gửi lại" if vi else "ERRORS FIXED (warnings left): save and send again"}",'
                   f'"{"ĐÃ SỬA XONG: lưu tệp và gửi lại chính tệp này" if vi else "ALL FIXED: save and send this file again"}"))')
        now = (f"CHƯA ĐƯỢC CHẤP NHẬN: còn {len(errors)} lỗi cần sửa" if vi
               else f"REJECTED: {len(errors)} error(s) left to fix")
    else:
        formula = (f'IF(({wl})>0,"{"ĐƯỢC CHẤP NHẬN, CÓ CẢNH BÁO: còn " if vi else "ACCEPTED WITH WARNINGS: "}"&({wl})&"'
                   f'{" cảnh báo" if vi else " left"}","{"ĐƯỢC CHẤP NHẬN" if vi else "ACCEPTED"}")')
        now = (f"ĐƯỢC CHẤP NHẬN, CÓ CẢNH BÁO: còn {len(warnings)} cảnh báo" if vi
               else f"ACCEPTED WITH WARNINGS: {len(warnings)} left")
    return formula, now


def finding_state(f, sub: Submission, lang: str) -> tuple[str | None, str]:
    """The 'state' column of the front sheet for ``f``: (formula or None, value now)."""
    not_fixed, fixed, needs_form, none = (word(f"live-{state}", "en" if lang == "en" else "vi")
                                          for state in ("not-fixed", "fixed", "needs-form", "none"))
    cond = still_wrong(f, sub, sheet_prefix(sub.layout.sheet_name)) if sub.layout else None
    if cond is not None:
        return f'IF({cond},"{not_fixed}","{fixed}")', not_fixed
    return None, (needs_form if f.cell and f.severity == "error" else none)


