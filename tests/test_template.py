"""Templates read back with openpyxl: layout, locking, validation, self-checks, identity."""
from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
import pytest
from click.testing import CliRunner

from qcdc_excel import load_roster, parse_period
from qcdc_excel.catalog import Indicator
from qcdc_excel.cli import main
from qcdc_excel.form import FORM_SHEET, META_SHEET
from qcdc_excel.identity import Identity
from qcdc_excel.catalog import CURRENT_VERSION
from qcdc_excel.layout import COL_CODE, COL_LABEL, COL_VALUE, CURRENT_FORM_VERSION, form_layout
from qcdc_excel.template import make_templates, write_template

from .conftest import KBANG_ROSTER, POST2025_ROSTER, ROOT

LEVELS = ("xa", "huyen", "tinh")
# Classic functions only: nothing Excel 2016 or older would rewrite with "@" or show as #NAME?.
ALLOWED_FUNCTIONS = {"IF", "AND", "OR", "ISNUMBER", "INT", "LEN", "ROUND", "COUNT", "N", "SUMPRODUCT",
                     "DAY", "MONTH", "YEAR", "LEFT", "MID", "TRIM", "UPPER", "SEARCH"}


def meta_of(wb) -> dict:
    return {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows(max_col=2)}


def unlocked_cells(ws) -> set[str]:
    """Unlocked cells, a merged range counted once (by its top-left cell)."""
    return {c.coordinate for row in ws.iter_rows() for c in row
            if not isinstance(c, MergedCell) and c.protection.locked is False}


def validation_by_cell(ws) -> dict[str, object]:
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in ws[rng.coord] if ":" in rng.coord else [[ws[rng.coord]]]:
                for cell in row:
                    out[cell.coordinate] = dv
    return out


@pytest.fixture(scope="module")
def kbang_templates(tmp_path_factory):
    out = tmp_path_factory.mktemp("kbang")
    roster = load_roster(KBANG_ROSTER)
    return roster, make_templates(out, None, parse_period("2020"), roster, all_units=True)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("personal", [False, True])
def test_template_is_locked_validated_and_self_describing(tmp_path, level, personal):
    identity = Identity("99999", "Xã Thử Nghiệm", "888", "Huyện Mẫu") if personal else None
    period = parse_period("2023Q1") if personal else None
    path = write_template(tmp_path / "t.xlsx", level, period, identity)
    layout = form_layout("qcdc-2023.1", level)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [FORM_SHEET, META_SHEET]
    ws = wb[FORM_SHEET]

    # Locked: sheet and workbook structure protected, with a password.
    assert ws.protection.sheet is True and ws.protection.password
    assert wb.security is not None and wb.security.lockStructure and wb.security.workbookPassword
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb[META_SHEET].protection.sheet is True

    # Exactly the input cells are unlocked.
    ids = layout.identity_cells
    inputs = {layout.cells[c] for c in layout.input_codes} | set(layout.free_input_cells)
    if not personal:
        inputs |= {ids["unit_code"], ids["unit_name"], ids["parent"], ids["period"]}
    assert unlocked_cells(ws) == inputs

    # Every input cell guides the user: validation with a prompt and an error alert.
    dvs = validation_by_cell(ws)
    assert inputs <= set(dvs)
    for code in layout.input_codes:
        ind = layout.indicator_rows[code].item
        dv = dvs[layout.cells[code]]
        assert dv.showErrorMessage and dv.showInputMessage and dv.prompt and dv.error
        expected = {"count": "whole", "amount": "decimal", "flag": "list", "text": "textLength"}[ind.kind]
        assert dv.type == expected, code
        if ind.kind in ("count", "amount"):
            assert dv.operator == "greaterThanOrEqual" and dv.formula1 == "0"
        if ind.kind == "flag":
            assert dv.formula1 == '"Có,Không"'

    # Layout: each indicator on its own row with STT, its code visible, label, unit, value cell.
    for code, row in layout.indicator_rows.items():
        ind: Indicator = row.item
        assert ws[f"{COL_CODE}{row.row}"].value == code
        assert ws[f"{COL_LABEL}{row.row}"].value == ind.label
        assert ws[f"A{row.row}"].value == row.stt
        value = ws[row.cell]
        if ind.kind == "text":  # version 2: a wide paragraph row under the label
            assert row.cell == f"{COL_CODE}{row.row + 1}"
            rng = next(r for r in ws.merged_cells.ranges if r.coord.startswith(row.cell + ":"))
            assert rng.coord == f"{row.cell}:{COL_VALUE}{row.row + 1}" and value.alignment.wrap_text
            assert ws.row_dimensions[row.row + 1].height >= 8 * 15.75
        if ind.kind == "ratio":  # ratios are formulas, never inputs
            assert str(value.value).startswith("=IF(") and value.protection.locked
        else:
            assert value.value is None
    sections = [ws[f"A{r.row}"].value for r in layout.rows if getattr(r.item, "kind", "") == "section"]
    assert sections == sorted(sections, key=["I", "II", "III", "IV", "V"].index)

    # Self-checks: one formula per applicable rule, conditional formatting on rule inputs.
    for check in layout.checks:
        assert ws[check.cell].value == layout.check_formula(check)
        assert ws[f"B{check.row}"].value == check.rule.id
    cf_cells = {str(rng.sqref) for rng in ws.conditional_formatting}
    for check in layout.checks:
        for code in check.rule.expression.codes:
            assert layout.cells[code] in cf_cells, (check.rule.id, code)

    # Classic functions only, everywhere a formula lives.
    formulas = [c.value for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    formulas += [f for cf in ws.conditional_formatting for rule in cf.rules for f in rule.formula]
    assert formulas
    used = {name for f in formulas for name in re.findall(r"([A-Z][A-Z0-9.]*)\(", f)}
    assert used <= ALLOWED_FUNCTIONS, used - ALLOWED_FUNCTIONS

    # Print-ready: A4 at a fixed scale (so the page breaks are kept), header row repeated, Times
    # New Roman, the self-check and the date input outside the printed columns, date line and
    # signature block.
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert not ws.sheet_properties.pageSetUpPr.fitToPage and 80 <= ws.page_setup.scale <= 100
    assert [b.id for b in ws.row_breaks.brk]
    assert ws.print_title_rows.replace("$", "") == f"{layout.geometry.table_header}:{layout.geometry.table_header}"
    assert ws.print_area.replace("$", "").endswith(f"E{layout.sign_name_row}")
    assert layout.summary_ref.startswith("F") and ids["report_date"].startswith("F")
    fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
    assert fonts == {"Times New Roman"}
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for words in ("NGƯỜI LẬP BIỂU", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "(Ký tên, đóng dấu)", "Số liệu tính từ ngày"):
        assert words in texts
    assert ws[layout.date_line_ref].value == layout.date_line_formula()
    assert ws[ids["report_date"]].number_format == "dd/mm/yyyy"

    # Identity: metadata consistent with the layout and the visible cells.
    meta = meta_of(wb)
    assert meta["catalog_version"] == "qcdc-2023.1" and meta["level"] == level
    assert meta["form"] == "own" and meta["fingerprint"] == layout.fingerprint
    assert json.loads(meta["cells"]) == layout.cells
    assert json.loads(meta["identity_cells"]) == ids
    if personal:
        assert meta["unit_code"] == "99999" and meta["period"] == "2023Q1" and meta["parent_code"] == "888"
        assert ws[ids["unit_code"]].value == "99999" and ws[ids["unit_code"]].protection.locked
        assert ws[ids["unit_name"]].value == "Xã Thử Nghiệm"
        assert ws[ids["period"]].value == "Quý I năm 2023" and ws[ids["period"]].protection.locked
        # the usual cut-off window of Quý I 2023, prefilled and editable
        assert ws[ids["window_from"]].value.date() == dt.date(2022, 12, 15)
        assert ws[ids["window_to"]].value.date() == dt.date(2023, 3, 14)
        assert meta["form_version"] == CURRENT_FORM_VERSION
    else:
        assert meta["unit_code"] in (None, "") and meta["period"] in (None, "")


def test_layout_differs_by_level(catalog):
    xa, huyen = form_layout(catalog.version, "xa"), form_layout(catalog.version, "huyen")
    # A commune types every indicator; a district only what it reports about itself.
    assert set(xa.input_codes) == {c for c, i in catalog.indicators.items() if i.kind != "ratio"}
    assert "II.5.2" not in huyen.cells and "I.3.1" in huyen.input_codes and "III.1" in huyen.input_codes
    assert "III.6" in huyen.cells and "II.9.6" not in huyen.cells  # ratios follow their inputs
    assert xa.fingerprint != huyen.fingerprint
    assert {c.rule.id for c in huyen.checks} == {r.id for r in catalog.rules_for(set(huyen.cells))}


def test_check_column_speaks_on_the_first_code_of_each_rule(catalog):
    layout = form_layout(catalog.version, "xa")
    row = layout.indicator_rows["II.5.2"]
    formula = layout.row_check_formula(row)
    check = next(c for c in layout.checks if c.rule.id == "II.5.2-tong")
    assert f"C{check.row}" in formula and f"E{check.row}" in formula
    # The parts of a total are painted red by that total's rule but do not repeat its message.
    part_formula = layout.row_check_formula(layout.indicator_rows["II.5.3"])
    assert f"C{check.row}&" not in part_formula
    assert f"$E${check.row}" in layout.error_highlight_condition(layout.indicator_rows["II.5.3"].item)


def test_cli_blank_template_name_and_period(tmp_path):
    result = CliRunner().invoke(main, ["template", "--level", "xa", "--period", "2023Q1", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bieu-mau-xa_2023Q1.xlsx").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["bieu-mau-xa_2023Q1.xlsx"]  # no temp files left


@pytest.mark.parametrize("period", ["2023Q5", "2023S3", "23Q1", "2023-Q1", "quy1"])
def test_cli_bad_period_is_a_usage_error(tmp_path, period):
    result = CliRunner().invoke(main, ["template", "--level", "xa", "--period", period, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "không hợp lệ" in result.output and "2023Q1" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["--lang", "en", "template", "--level", "xa", "--period", period,
                                       "--out", str(tmp_path)])
    assert result.exit_code == 2 and "Invalid reporting period" in result.output


def test_cli_personalised_templates_for_every_kbang_unit(tmp_path):
    result = CliRunner().invoke(main, ["template", "--roster", str(KBANG_ROSTER), "--all", "--period", "2020",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    roster = load_roster(KBANG_ROSTER)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{code}_2020.xlsx" for code in roster.units)
    wb = openpyxl.load_workbook(tmp_path / "23641_2020.xlsx")
    meta = meta_of(wb)
    assert (meta["unit_code"], meta["level"], meta["parent_code"], meta["period"]) == ("23641", "xa", "625", "2020")
    ws = wb[FORM_SHEET]
    ids = form_layout(CURRENT_VERSION, "xa").identity_cells
    assert ws[ids["unit_name"]].value == "Xã Kon Pne" and ws[ids["parent"]].value == "625 – Huyện Kbang"
    assert meta_of(openpyxl.load_workbook(tmp_path / "625_2020.xlsx"))["level"] == "huyen"


def test_cli_level_filter_and_units(tmp_path):
    r = CliRunner().invoke(main, ["template", "--roster", str(KBANG_ROSTER), "--all", "--level", "xa",
                                  "--period", "2020S1", "--out", str(tmp_path / "a")])
    assert r.exit_code == 0 and len(list((tmp_path / "a").iterdir())) == 14
    r = CliRunner().invoke(main, ["template", "--roster", str(POST2025_ROSTER), "--unit", "04",
                                  "--unit", "01273", "--period", "2025Q4", "--out", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["01273_2025Q4.xlsx", "04_2025Q4.xlsx"]
    meta = meta_of(openpyxl.load_workbook(tmp_path / "b" / "01273_2025Q4.xlsx"))
    assert meta["parent_code"] == "04" and meta["level"] == "xa"


@pytest.mark.parametrize("args, words", [
    (["--unit", "00000"], "không có trong danh sách"),
    (["--all", "--unit", "23641"], "--all"),
    ([], "--all"),
    (["--unit", "625", "--level", "xa"], "cấp huyen"),
])
def test_cli_roster_usage_errors(tmp_path, args, words):
    r = CliRunner().invoke(main, ["template", "--roster", str(KBANG_ROSTER), "--period", "2020",
                                  "--out", str(tmp_path), *args])
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output


def test_cli_unit_without_roster(tmp_path):
    r = CliRunner().invoke(main, ["template", "--level", "xa", "--unit", "1", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "--roster" in r.output


def workbook_content(path: Path) -> dict:
    """What a template says, independent of timestamps and serializer details."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames, "lock": (wb.security.lockStructure if wb.security else None)}
    for ws in wb.worksheets:
        out[ws.title] = {
            "state": ws.sheet_state,
            "cells": {c.coordinate: (c.value, c.number_format, c.protection.locked, c.font.name, c.font.b)
                      for row in ws.iter_rows() for c in row if c.value is not None or not c.protection.locked},
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "dv": sorted((str(d.sqref), d.type, d.operator, d.formula1, d.prompt, d.error)
                         for d in ws.data_validations.dataValidation),
            "cf": sorted((str(cf.sqref), tuple(f for r in cf.rules for f in r.formula))
                         for cf in ws.conditional_formatting),
            "protected": ws.protection.sheet,
            "print_area": ws.print_area,
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
        }
    return out


@pytest.mark.parametrize("level", LEVELS)
def test_committed_workbook_templates_match_the_catalog(tmp_path, level):
    committed = ROOT / "workbook_templates" / f"bieu-mau-{level}.xlsx"
    assert committed.is_file(), "run: qcdc-excel template --level LEVEL --out workbook_templates"
    fresh = write_template(tmp_path / committed.name, level)
    assert workbook_content(committed) == workbook_content(fresh), (
        f"{committed.name} is stale: regenerate with "
        f"'qcdc-excel template --level {level} --out workbook_templates'")


def test_committed_templates_are_plain_xlsx():
    for path in (ROOT / "workbook_templates").glob("*.xlsx"):
        names = zipfile.ZipFile(path).namelist()
        assert "xl/vbaProject.bin" not in names and not any("externalLink" in n for n in names)


@pytest.mark.parametrize("identity", [
    Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang"),
    Identity("64", "Tỉnh Gia Lai"),  # a root: no parent
    Identity("00001", 'Xã <Lạ> & "Khó" \'đặt\' tên', "001", "Huyện Ba Đình & Co"),  # XML-special characters
    Identity("12", "=HYPERLINK(\"x\")", "1", ""),
])
def test_fast_personalisation_equals_a_direct_build(tmp_path, identity):
    from qcdc_excel.template import Personaliser

    fast = tmp_path / "fast.xlsx"
    fast.write_bytes(Personaliser().bytes_for("xa", parse_period("2023"), identity))
    direct = write_template(tmp_path / "direct.xlsx", "xa", parse_period("2023"), identity)
    assert workbook_content(fast) == workbook_content(direct)
    for path in (fast, direct):
        wb = openpyxl.load_workbook(path)
        cell = wb[FORM_SHEET][form_layout(CURRENT_VERSION, "xa").identity_cells["unit_name"]]
        assert cell.value == identity.unit_name and cell.data_type == "s"
        assert meta_of(wb)["unit_name"] == identity.unit_name
        assert all(c.data_type == "s" for row in wb[META_SHEET].iter_rows() for c in row if c.value)
