"""Issue 22 §3 and the merge's letter options: a document's date comes from its data or an option, never
from the clock, and is written as Decree 30 writes it (the form, the consolidated workbook, the report)."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel import Outputs, ReportSpec, Scope, load_roster, merge
from qcdc_excel.cli import main
from qcdc_excel.form_sheet import date_line_text
from qcdc_excel.layout import form_layout
from qcdc_excel.periods import parse_period, vn_date

from .conftest import KBANG_ROSTER, SAMPLES
from .test_report import text_of

INBOX = SAMPLES / "kbang-2020" / "inbox"


def _date_line(path) -> tuple[str, object, bool]:
    """The consolidated summary's printed date line, its report-date cell and whether that cell is open."""
    layout = form_layout("qcdc-2023.1", "huyen", "consolidated")
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.sheet_name]
    assert ws[layout.date_line_ref].value == layout.date_line_formula()
    values = openpyxl.load_workbook(path, data_only=True)[ws.title]
    date_cell = ws[layout.identity_cells["report_date"]]
    return values[layout.date_line_ref].value, date_cell.value, not date_cell.protection.locked


def test_vn_date_is_the_one_rule_and_lives_in_periods():
    assert vn_date(dt.date(2021, 3, 5)) == "ngày 05 tháng 3 năm 2021"
    assert vn_date(dt.date(2021, 2, 15)) == "ngày 15 tháng 02 năm 2021"
    assert date_line_text("Xã Kon Pne", dt.date(2021, 1, 9)) == "Kon Pne, ngày 09 tháng 01 năm 2021"
    # versions 1 and 2 keep what their formula shows (their files are read as they are)
    assert date_line_text("Xã Kon Pne", dt.date(2021, 1, 9), "2") == "Kon Pne, ngày 9 tháng 1 năm 2021"
    assert parse_period("2020").window[1] == dt.date(2020, 12, 14)


def test_the_forms_date_formula_pads_day_and_early_months():
    current = form_layout("qcdc-2023.1", "xa").date_line_formula()
    assert 'IF(DAY(' in current and '<10,"0","")' in current and '<3,"0","")' in current
    assert '<10,"0"' not in form_layout("qcdc-2023.1", "xa", form_version="2").date_line_formula()


@pytest.fixture(scope="module")
def undated(tmp_path_factory):
    out = tmp_path_factory.mktemp("dates")
    merge(INBOX, Scope(load_roster(KBANG_ROSTER), "2020"), Outputs(out / "tong-hop.xlsx"))
    return out


def test_the_consolidated_workbook_is_dated_by_its_data_and_the_date_is_editable(undated):
    line, value, editable = _date_line(undated / "tong-hop.xlsx")
    assert line == "Kbang, ngày 30 tháng 10 năm 2020"  # the district's own report date, not today's clock
    assert value.date() == dt.date(2020, 10, 30) and editable


def test_report_from_the_consolidated_workbook_takes_its_date(undated, tmp_path):
    r = CliRunner().invoke(main, ["report", str(undated / "tong-hop.xlsx"), "--out", str(tmp_path / "a.docx")])
    assert r.exit_code == 0, r.output
    text, _ = text_of(tmp_path / "a.docx")
    assert "Kbang, ngày 30 tháng 10 năm 2020" in text and str(dt.date.today().year) + "\n" not in text


def test_merge_takes_a_date_and_recipients_for_both_documents(tmp_path):
    r = CliRunner().invoke(main, ["merge", str(INBOX), "--roster", str(KBANG_ROSTER), "--period", "2020",
                                  "--out", str(tmp_path / "t.xlsx"), "--report", str(tmp_path / "b.docx"),
                                  "--date", "2020-11-05", "--recipients", "Như trên; Thường trực Huyện ủy; Lưu: VT"])
    assert r.exit_code in (0, 1), r.output
    line, value, _ = _date_line(tmp_path / "t.xlsx")
    assert line == "Kbang, ngày 05 tháng 11 năm 2020" and value.date() == dt.date(2020, 11, 5)
    text, _ = text_of(tmp_path / "b.docx")
    assert "Kbang, ngày 05 tháng 11 năm 2020" in text
    assert "- Như trên;\n- Thường trực Huyện ủy;\n- Lưu: VT." in text and "Kính gửi:" in text
    r = CliRunner().invoke(main, ["merge", str(INBOX), "--out", str(tmp_path / "u.xlsx"), "--date", "5/11/2020"])
    assert r.exit_code == 2 and "--date" in r.output and not (tmp_path / "u.xlsx").exists()


def test_the_library_takes_the_same_options(tmp_path):
    merge(INBOX, Scope(load_roster(KBANG_ROSTER), "2020"),
          Outputs(tmp_path / "t.xlsx", report=ReportSpec(tmp_path / "b.docx", recipients=["Lưu: VT"]),
                  date=dt.date(2021, 2, 3)))
    assert _date_line(tmp_path / "t.xlsx")[0] == "Kbang, ngày 03 tháng 02 năm 2021"
    text, _ = text_of(tmp_path / "b.docx")
    assert "Kbang, ngày 03 tháng 02 năm 2021" in text and "- Lưu: VT." in text
