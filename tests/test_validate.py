"""Validation of filled workbooks: one file per mistake, each finding on its file and none on clean ones.

Every file is made the way a unit makes it: a generated template, values typed in with openpyxl,
and for the structural mistakes the edit a person would make after removing the protection.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel import load_roster, parse_period
from qcdc_excel.cli import main
from qcdc_excel.feedback import write_feedback_files
from qcdc_excel.feedback_sheet import HEAD_ROW
from qcdc_excel.form import FEEDBACK_SHEET, FORM_SHEET, META_SHEET
from qcdc_excel.identity import Identity
from qcdc_excel.layout import CURRENT_FORM_VERSION, form_layout
from qcdc_excel.synthetic import fill_workbook
from qcdc_excel.template import template_bytes, write_template
from qcdc_excel.validate import read_submission, validate

from .conftest import KBANG_ROSTER, convert_with_soffice
from .corpus import make_values

PERIOD = parse_period("2020")
REPORT_DATE = dt.datetime(2020, 10, 30)
KON_PNE = Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang")


@pytest.fixture(scope="module")
def base(catalog):
    layout = form_layout(catalog.version, "xa")
    values = make_values(catalog, layout.input_codes, seed=7)
    template = template_bytes("xa", PERIOD, KON_PNE)
    return layout, values, template


def filled(tmp_path: Path, base, name: str, changes: dict | None = None, drop=(), report_date=REPORT_DATE,
           template: bytes | None = None) -> Path:
    layout, values, tpl = base
    v = {c: x for c, x in values.items() if c not in drop}
    v.update(changes or {})
    return fill_workbook(template or tpl, v, tmp_path / f"{name}.xlsx", report_date=report_date,
                         names=("Nguyễn Văn A", "Nguyễn Văn Dũng"))


def edited(path: Path, edit) -> Path:
    """Open a filled file, do what a person would do in Excel, save it again."""
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def codes_of(sub) -> list[str]:
    return [f.code for f in sub.findings]


def cell(layout, code):
    return layout.cells[code]


# --- clean files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("level, seed", [("xa", 1), ("xa", 2), ("xa", 3), ("huyen", 4), ("tinh", 5)])
def test_clean_files_have_no_findings(tmp_path, catalog, level, seed):
    layout = form_layout(catalog.version, level)
    ident = {"xa": KON_PNE, "huyen": Identity("625", "Huyện Kbang", "64"), "tinh": Identity("64", "Tỉnh Gia Lai")}[level]
    tpl = write_template(tmp_path / "t.xlsx", level, PERIOD, ident)
    values = make_values(catalog, layout.input_codes, seed)
    path = fill_workbook(tpl, values, tmp_path / "f.xlsx", report_date=REPORT_DATE)
    sub = read_submission(path, load_roster(KBANG_ROSTER), "2020")
    assert sub.findings == [] and sub.status == "accepted"
    assert (sub.unit_code, sub.period, sub.level, sub.catalog_version) == (ident.unit_code, "2020", level, catalog.version)
    assert sub.values == values  # exactly what was typed, flags and text included
    assert sub.report_date == REPORT_DATE.date()


def test_blank_template_filled_with_identity_is_accepted(tmp_path, base):
    layout, values, _ = base
    blank = template_bytes("xa")
    ids = layout.identity_cells
    path = filled(tmp_path, base, "blank", template=blank)
    edited(path, lambda wb: [wb[FORM_SHEET].__setitem__(ids["unit_code"], "23641"),
                             wb[FORM_SHEET].__setitem__(ids["unit_name"], "Xã Kon Pne"),
                             wb[FORM_SHEET].__setitem__(ids["period"], "2020q4")])
    sub = read_submission(path, load_roster(KBANG_ROSTER))
    assert sub.status == "accepted", [f.message() for f in sub.findings]
    assert (sub.unit_code, sub.period, sub.parent_code) == ("23641", "2020Q4", "625")


# --- kinds of value ------------------------------------------------------------------------------
VALUE_CASES = [
    # (name, changes, expected code, severity)
    ("text-number", {"II.1.2": "12"}, "number-as-text", "warning"),
    ("text-units", {"II.5.3": "12 vụ"}, "not-a-number", "error"),
    ("text-negative", {"II.9.1": "-3"}, "negative-number", "error"),
    ("text-fraction", {"II.3.2": "14/14"}, "not-a-number", "error"),
    ("text-thousands", {"II.8.1": "1.234,5"}, "not-a-number", "error"),
    ("negative", {"II.9.1": -3}, "negative-number", "error"),
    ("fraction", {"II.5.1": 2.5}, "not-whole-number", "error"),
    ("flag-yes", {"II.1.1": "Yes"}, "invalid-flag", "error"),
    ("flag-bool", {"II.7.1": True}, "invalid-flag", "error"),
    ("amount-text", {"II.4.1": "11796,9"}, "number-as-text", "warning"),
    ("amount-ambiguous", {"II.4.1": "1.234"}, "not-a-number", "error"),
    ("amount-negative", {"II.4.3": -0.5}, "negative-number", "error"),
    ("formula-in-input", {"II.6.1": "=3+4"}, "input-is-formula", "error"),
]


@pytest.mark.parametrize("name, changes, code, severity", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_kinds(tmp_path, base, name, changes, code, severity):
    layout = base[0]
    sub = read_submission(filled(tmp_path, base, name, changes))
    hits = [f for f in sub.findings if f.code == code]
    assert len(hits) == 1, codes_of(sub)
    f = hits[0]
    (target,) = changes
    assert (f.severity, f.indicator, f.cell, f.sheet) == (severity, target, cell(layout, target), FORM_SHEET)
    assert sub.status == ("rejected" if severity == "error" else "accepted-with-warnings")
    assert f.message("vi") != f.message("en") and cell(layout, target) in f.message("vi")


def test_value_details(tmp_path, base):
    sub = read_submission(filled(tmp_path, base, "ok-variants", {
        "II.1.1": "co", "II.3.1": "KHÔNG", "II.7.1": " Có ", "II.4.1": 0.049000000000000002, "II.4.3": 3.0,
        "II.1.2": " 12 "}))
    assert sub.values["II.1.1"] == "Có" and sub.values["II.3.1"] == "Không" and sub.values["II.7.1"] == "Có"
    assert sub.values["II.4.1"] == pytest.approx(0.049) and sub.values["II.1.2"] == 12
    assert codes_of(sub) == ["number-as-text"]  # float noise and accent-free flags are fine


TEXT_CASES = {  # indicator -> (how it is made, words of the cause in Vietnamese, in English)
    "II.4.1": ("12,5", "dấu phẩy", "comma"),
    "II.9.1": ("'12", "dấu ' ở đầu", "apostrophe"),
    "II.3.2": ("quote-prefix", "dấu ' ở đầu", "apostrophe"),
    "II.5.1": ("text-format", "định dạng Văn bản (Text)", "formatted as Text"),
    "II.1.2": ("12", "dán vào dưới dạng chữ", "pasted in as text"),
}


def _numbers_as_text(tmp_path: Path, base) -> Path:
    """A form where numbers became text in each of the ways people make it happen in Excel."""
    layout = base[0]
    changes = {code: made for code, (made, _, _) in TEXT_CASES.items() if made not in ("quote-prefix", "text-format")}
    changes["II.1.3"] = "1.234"  # a thousands dot: not read, said why

    def style(wb) -> None:
        ws = wb[FORM_SHEET]
        ws[cell(layout, "II.3.2")] = "9"
        ws[cell(layout, "II.3.2")].quotePrefix = True  # what Excel keeps of a typed '9
        ws[cell(layout, "II.5.1")] = "7"
        ws[cell(layout, "II.5.1")].number_format = "@"

    return edited(filled(tmp_path, base, "so-dang-chu", changes), style)


def _assert_text_causes(sub, layout, cases=TEXT_CASES) -> None:
    found = {f.indicator: f for f in sub.findings if f.code == "number-as-text"}
    assert sorted(found) == sorted(cases), codes_of(sub)
    for code, (_, vi, en) in cases.items():
        assert vi in found[code].message("vi") and en in found[code].message("en"), (code, found[code].message())
        assert "dấu '" not in found[code].message("vi") or code in ("II.9.1", "II.3.2")
    assert "đã đọc là 12,5" in found["II.4.1"].message("vi") and "read as 12.5" in found["II.4.1"].message("en")
    [dots] = [f for f in sub.findings if f.indicator == "II.1.3"]
    assert dots.code == "not-a-number" and "phân cách hàng nghìn" in dots.message("vi") and "1234" in dots.message("vi")
    assert "thousands separator" in dots.message("en")


def test_a_number_stored_as_text_is_told_its_real_cause(tmp_path, base):
    _assert_text_causes(read_submission(_numbers_as_text(tmp_path, base)), base[0])


@pytest.mark.soffice
def test_the_causes_survive_a_libreoffice_save(tmp_path, base, soffice):
    """LibreOffice writes the Text format its own way (a custom "@" format in its own style table);
    it drops Excel's quote prefix, so that cell is then only known to hold pasted text."""
    source = _numbers_as_text(tmp_path, base)
    saved = convert_with_soffice(soffice, [source], tmp_path / "lo")[source]
    cases = TEXT_CASES | {"II.3.2": TEXT_CASES["II.1.2"]}
    _assert_text_causes(read_submission(saved), base[0], cases)


def test_blank_required_cells(tmp_path, base):
    sub = read_submission(filled(tmp_path, base, "blanks", drop=("IV.8", "II.7.1", "V.1")))
    missing = sorted(f.indicator for f in sub.findings if f.code == "required-missing")
    assert missing == ["II.7.1", "IV.8"]  # V.1 (text) is optional
    assert "Có/Không" in next(f for f in sub.findings if f.indicator == "II.7.1").message()
    assert sub.status == "rejected"


def test_report_date(tmp_path, base):
    sub = read_submission(filled(tmp_path, base, "nodate", report_date=None))
    assert codes_of(sub) == ["report-date-missing"] and sub.status == "accepted-with-warnings"
    sub = read_submission(filled(tmp_path, base, "textdate", report_date="30/10/2020"))
    assert sub.findings == [] and sub.report_date == dt.date(2020, 10, 30)
    sub = read_submission(filled(tmp_path, base, "baddate", report_date="hôm qua"))
    assert codes_of(sub) == ["report-date-invalid"]


# --- rules ---------------------------------------------------------------------------------------
def test_rules_report_left_op_right(tmp_path, base):
    layout, values, _ = base
    sub = read_submission(filled(tmp_path, base, "petitions", {"II.9.2": 40, "II.9.3": 17, "II.9.4": 18, "II.9.5": 1}))
    by_rule = {f.rule: f for f in sub.findings if f.code == "rule-failed"}
    assert set(by_rule) == {"II.9.4-le-II.9.3", "II.9.3-tong"}
    f = by_rule["II.9.4-le-II.9.3"]
    assert (f.left, f.op, f.right, f.severity, f.indicator, f.cell) == (18, "<=", 17, "error", "II.9.4",
                                                                        cell(layout, "II.9.4"))
    assert (by_rule["II.9.3-tong"].left, by_rule["II.9.3-tong"].right) == (17, 19)
    j = f.to_json()
    assert {k: j[k] for k in ("code", "rule", "left", "op", "right")} == \
        {"code": "rule-failed", "rule": "II.9.4-le-II.9.3", "left": 18, "op": "<=", "right": 17}


def test_warning_rule_and_missing_strategies(tmp_path, base):
    sub = read_submission(filled(tmp_path, base, "more-done", {"I.3.1": 3, "I.3.2": 5}))
    assert [(f.code, f.rule, f.severity) for f in sub.findings] == [("rule-failed", "I.3.2-le-I.3.1", "warning")]
    assert sub.status == "accepted-with-warnings"
    # A total typed with its parts left blank fails (blanks count as 0); a subset with its set blank is skipped.
    sub = read_submission(filled(tmp_path, base, "total-only", drop=("II.5.3", "II.5.4", "II.5.5", "II.6.1")))
    rules = {f.rule for f in sub.findings if f.code == "rule-failed"}
    assert "II.5.2-tong" in rules and "II.6.2-le-II.6.1" not in rules


# --- identity ------------------------------------------------------------------------------------
def test_identity_against_roster_and_period(tmp_path, base):
    roster = load_roster(KBANG_ROSTER)
    path = filled(tmp_path, base, "ok")
    assert read_submission(path, roster, "2020").status == "accepted"
    assert codes_of(read_submission(path, roster, "2021")) == ["period-mismatch"]

    stranger = fill_workbook(template_bytes("xa", PERIOD, Identity("99999", "Xã Lạ", "625")), base[1],
                             tmp_path / "stranger.xlsx", report_date=REPORT_DATE)
    assert codes_of(read_submission(stranger, roster)) == ["unit-not-in-roster"]
    assert read_submission(stranger).status == "accepted"  # without a roster nothing to compare

    wrong_level = fill_workbook(template_bytes("xa", PERIOD, Identity("625", "Huyện Kbang", "64")), base[1],
                                tmp_path / "lvl.xlsx", report_date=REPORT_DATE)
    assert codes_of(read_submission(wrong_level, roster)) == ["unit-level-mismatch"]

    layout = base[0]
    ids = layout.identity_cells
    edited_code = edited(filled(tmp_path, base, "code"), lambda wb: wb[FORM_SHEET].__setitem__(ids["unit_code"], "23644"))
    assert "unit-code-mismatch" in codes_of(read_submission(edited_code))


def test_identity_of_blank_templates(tmp_path, base):
    layout = base[0]
    ids = layout.identity_cells
    path = filled(tmp_path, base, "anon", template=template_bytes("xa"))
    assert set(codes_of(read_submission(path))) == {"unit-code-missing", "period-missing"}
    edited(path, lambda wb: [wb[FORM_SHEET].__setitem__(ids["unit_code"], 23641),
                             wb[FORM_SHEET].__setitem__(ids["period"], "Q1/2023")])
    sub = read_submission(path)
    assert codes_of(sub) == ["period-invalid"] and sub.unit_code == "23641"  # a number typed as code is fine


# --- structure -----------------------------------------------------------------------------------
def _insert_row(wb):
    wb[FORM_SHEET].insert_rows(20)


def _delete_row(wb):
    wb[FORM_SHEET].delete_rows(form_layout("qcdc-2023.1", "xa").indicator_rows["I.3.1"].row)  # an indicator's row


def _unprotect(wb):
    wb[FORM_SHEET].protection.sheet = False


def _add_sheet(wb):
    wb.create_sheet("Sheet1")["A1"] = 5


def _rename(wb):
    wb[FORM_SHEET].title = "Phu luc (2)"


def _remove_form(wb):
    wb.remove(wb[FORM_SHEET])
    wb.create_sheet("Trang tính 1")
    wb.create_sheet("Trang tính 2")


def _unlock_structure(wb):
    wb.security = None


STRUCTURE_CASES = [
    ("rows-shifted", _insert_row),
    ("rows-shifted", _delete_row),
    ("protection-removed", _unprotect),
    ("sheet-added", _add_sheet),
    ("sheet-renamed", _rename),
    ("sheet-removed", _remove_form),
    ("structure-unprotected", _unlock_structure),
]


@pytest.mark.parametrize("code, edit", STRUCTURE_CASES, ids=[f"{c}-{e.__name__}" for c, e in STRUCTURE_CASES])
def test_structure_edits(tmp_path, base, code, edit):
    sub = read_submission(edited(filled(tmp_path, base, "s"), edit))
    assert code in codes_of(sub), codes_of(sub)
    if code == "rows-shifted":  # addresses can no longer be trusted: no value or rule findings
        assert not {"rule-failed", "required-missing"} & set(codes_of(sub))
    # Protection alone, with every code, label and formula intact, is only a warning (Google
    # Sheets and Gnumeric drop it on their own); any change to the form makes it an error.
    expected = "accepted-with-warnings" if code in ("structure-unprotected", "protection-removed") else "rejected"
    assert sub.status == expected
    assert all(f.severity == ("warning" if expected != "rejected" else f.severity) for f in sub.findings)


def test_protection_removed_with_a_structural_change_is_an_error(tmp_path, base):
    layout = base[0]
    ref = f"C{layout.indicator_rows['II.5.2'].row}"

    def unprotect_and_relabel(wb):
        _unprotect(wb)
        wb[FORM_SHEET][ref] = "Tổng số vụ việc (đã sửa)"
    sub = read_submission(edited(filled(tmp_path, base, "s"), unprotect_and_relabel))
    by_code = {f.code: f for f in sub.findings}
    assert by_code["protection-removed"].severity == "error" and "label-edited" in by_code
    assert sub.status == "rejected"
    assert "biểu mẫu đã bị sửa" in by_code["protection-removed"].message("vi").lower()


def test_cell_level_tampering(tmp_path, base, catalog):
    layout = base[0]
    ratio = layout.cells["II.9.6"]
    check = layout.checks[0].cell
    label_cell = f"C{layout.indicator_rows['II.5.2'].row}"
    code_cell = f"B{layout.indicator_rows['II.5.3'].row}"

    def tamper(wb):
        ws = wb[FORM_SHEET]
        ws[ratio] = 0.9411
        ws[check] = "ĐẠT"
        ws[label_cell] = "Số vụ hòa giải (sửa)"
        ws[code_cell] = "II.5.3a"

    sub = read_submission(edited(filled(tmp_path, base, "tamper"), tamper))
    found = {(f.code, f.cell) for f in sub.findings}
    assert {("formula-overwritten", ratio), ("formula-overwritten", check), ("label-edited", label_cell),
            ("code-edited", code_cell)} <= found
    assert sub.status == "rejected"


def test_metadata_tampering(tmp_path, base):
    def tamper(wb):
        meta = wb[META_SHEET]
        for row in meta.iter_rows(max_col=2):
            if row[0].value == "fingerprint":
                row[1].value = "sha256:" + "0" * 64
    sub = read_submission(edited(filled(tmp_path, base, "meta"), tamper))
    assert codes_of(sub) == ["metadata-invalid"] and sub.status == "rejected"

    def drop_meta(wb):
        wb.remove(wb[META_SHEET])
    sub = read_submission(edited(filled(tmp_path, base, "nometa"), drop_meta))
    assert codes_of(sub) == ["not-from-template"] and sub.status == "unreadable"


# --- outputs -------------------------------------------------------------------------------------
def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_feedback_loop_reject_fix_accept(tmp_path, base):
    layout = base[0]
    bad = filled(tmp_path, base, "bad", {"II.9.2": 40, "II.9.3": 17, "II.9.4": 18, "II.9.5": 1, "II.5.3": "12 vụ"},
                 drop=("IV.8",))
    before = sha(bad)
    out = tmp_path / "gop-y"
    report = validate([bad])
    write_feedback_files(report.submissions, out)
    assert report.submissions[0].status == "rejected" and sha(bad) == before
    (copy,) = out.iterdir()
    assert copy.name == "23641_2020_ket-qua-kiem-tra.xlsx"
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames == [FEEDBACK_SHEET, FORM_SHEET, META_SHEET]
    assert wb[META_SHEET].sheet_state == "veryHidden" and wb[FORM_SHEET].protection.sheet and wb.security.lockStructure
    ws = wb[FORM_SHEET]
    marked = {}  # the live marks: a conditional format on the cell, shown while it is wrong
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            if rule.dxf is not None and rule.dxf.font is None and rule.dxf.fill is not None:
                marked[str(cf.sqref)] = rule.formula[0]
    for code in ("II.9.4", "II.5.3", "IV.8"):
        c = ws[layout.cells[code]]
        assert c.coordinate in marked and c.comment and code in c.comment.text
        assert str(c.fill.fgColor.rgb)[-6:] not in ("FFC7CE", "FFEB9C")  # no fixed mark: it goes once fixed
    listed = [r[1].value for r in wb[FEEDBACK_SHEET].iter_rows(min_row=HEAD_ROW + 1) if r[1].value]
    assert sorted(listed) == sorted(f.title() for f in report.submissions[0].findings)

    # The unit types the right values into the feedback copy and sends it back as it is.
    ws[layout.cells["II.9.4"]] = 16
    ws[layout.cells["II.5.3"]] = base[1]["II.5.3"]
    ws[layout.cells["IV.8"]] = 0
    wb.save(copy)
    again = read_submission(copy)
    assert again.status == "accepted", [f.message() for f in again.findings]


def test_cli_json_report_and_exit_codes(tmp_path, base):
    good = filled(tmp_path, base, "good")
    bad = filled(tmp_path, base, "bad", {"II.9.4": 9999})
    runner = CliRunner()
    r = runner.invoke(main, ["validate", str(good), "--json", str(tmp_path / "ok.json")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["validate", str(good), str(bad), "--roster", str(KBANG_ROSTER), "--period", "2020",
                             "--json", str(tmp_path / "r.json")])
    assert r.exit_code == 1 and "TRẢ LẠI" in r.output and "II.9.4" in r.output
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [f["status"] for f in data["files"]] == ["accepted", "rejected"]
    first = data["files"][0]
    assert set(first) == {"path", "sha256", "unit_code", "period", "catalog_version", "form_version", "window", "status", "fingerprint", "findings"}
    assert first["sha256"] == sha(good) and first["unit_code"] == "23641" and first["period"] == "2020"
    assert first["form_version"] == CURRENT_FORM_VERSION and first["window"] == ["2019-12-15", "2020-12-14"]
    finding = data["files"][1]["findings"][0]
    assert set(finding) == {"code", "title", "severity", "rule", "indicator", "sheet", "cell", "left", "op", "right", "message"}
    assert data["stats"]["rejected"] == 1 and data["stats"]["accepted"] == 1
    r = runner.invoke(main, ["--lang", "en", "validate", str(bad)])
    assert "REJECTED" in r.output and "cannot exceed" in r.output

    for args in (["validate", str(tmp_path / "missing.xlsx")],
                 ["validate", str(good), "--period", "2020Q9"],
                 ["validate", str(good), "--roster", str(tmp_path / "none.csv")]):
        r = runner.invoke(main, args)
        assert r.exit_code == 2 and "Traceback" not in r.output, (args, r.output)


def test_folder_input_skips_lock_hidden_and_other_files(tmp_path, base):
    inbox = tmp_path / "inbox"
    (inbox / "mail" / "2020-10-30").mkdir(parents=True)
    good = filled(inbox / "mail" / "2020-10-30", base, "kon-pne")
    (inbox / "~$kon-pne.xlsx").write_bytes(b"lock")
    (inbox / ".DS_Store").write_bytes(b"x")
    (inbox / "cong-van.pdf").write_bytes(b"%PDF-1.4")
    report = validate([inbox])
    assert [s.path for s in report.submissions] == [good]
    assert sorted(r for _, r in report.skipped) == ["hidden-file", "lock-file", "not-a-spreadsheet"]


@pytest.mark.soffice
def test_libreoffice_resaved_files_read_the_same(tmp_path, base, soffice):
    good = filled(tmp_path, base, "lo-good")
    bad = filled(tmp_path, base, "lo-bad", {"II.9.4": 99, "II.1.2": "12", "II.5.3": "12 vụ"}, drop=("IV.8",))
    out = convert_with_soffice(soffice, [good, bad], tmp_path / "lo")
    a, b = read_submission(out[good]), read_submission(out[bad])
    assert a.status == "accepted", [f.message() for f in a.findings]
    assert a.values == read_submission(good).values
    original = read_submission(bad)
    assert [(f.code, f.cell, f.rule) for f in b.findings] == [(f.code, f.cell, f.rule) for f in original.findings]


def test_older_catalog_version_is_read_with_its_own_catalog(tmp_path, catalog):
    old = form_layout("qcdc-2020.1", "xa")
    assert old.fingerprint != form_layout(catalog.version, "xa").fingerprint
    tpl = template_bytes("xa", PERIOD, KON_PNE, catalog_version="qcdc-2020.1")
    from qcdc_excel import load_catalog
    values = make_values(load_catalog("qcdc-2020.1"), old.input_codes, seed=3)
    path = fill_workbook(tpl, values, tmp_path / "old.xlsx", report_date=REPORT_DATE)
    sub = read_submission(path)
    assert sub.status == "accepted" and sub.catalog_version == "qcdc-2020.1"
    assert sub.values == values and "II.10.1" not in sub.values  # indicators of that version only
    bad = fill_workbook(tpl, {**values, "II.9.4": values["II.9.3"] + 1}, tmp_path / "old-bad.xlsx",
                        report_date=REPORT_DATE)
    rules = {f.rule for f in read_submission(bad).findings}
    assert "II.9.4-le-II.9.3" in rules


@pytest.mark.soffice
def test_fast_sheet_reader_equals_the_general_one(tmp_path, base, soffice):
    """The regex fast path and the element-by-element path read every cell alike."""
    from qcdc_excel.reader import open_workbook, read_sheet

    layout = base[0]
    files = [filled(tmp_path, base, "plain"),
             filled(tmp_path, base, "odd", {"V.1": 'Ghi chú <b>&amp; "trích dẫn"</b>\n\tdòng 2 &#x1F600;',
                                            "II.5.3": "12 vụ", "II.1.2": "12", "II.6.1": "=3+4"}),
             edited(filled(tmp_path, base, "unprotected"), _unprotect)]
    files += list(convert_with_soffice(soffice, files[:2], tmp_path / "lo").values())
    for path in files:
        raw = open_workbook(path.read_bytes())
        for info in raw.sheets:
            fast, general = read_sheet(raw, info, fast=True), read_sheet(raw, info, fast=False)
            assert fast.cells == general.cells and fast.protected == general.protected, (path.name, info.name)
    odd = read_submission(files[1])
    assert odd.values["V.1"].startswith('Ghi chú <b>&amp; "trích dẫn"</b>') and layout.cells["V.1"]


def _rewrite_sheet(src: Path, dst: Path, edit) -> Path:
    """Copy an .xlsx, passing the form sheet's XML through ``edit`` (bytes -> bytes)."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            zout.writestr(info, data)
    return dst


def test_unusual_but_valid_xml_reads_the_same_as_plain_xml(tmp_path, base):
    """XML the fast reader cannot take whole (a quoted '>' in a tag, a comment, single quotes,
    a formula-free cell after a formula cell's cached value) gives the same cells and findings."""
    from qcdc_excel.reader import _fast_sheet, open_workbook, read_part, read_sheet

    layout, values, _ = base
    plain = filled(tmp_path, base, "plain", {"II.5.3": values["II.5.2"] + 5})
    ref = layout.cells["II.1.2"]
    edits = {
        "quoted-gt": lambda d: d.replace(f'<c r="{ref}" '.encode(), f'<c r="{ref}" x:y="a&gt;b>/c" '.encode(), 1)
        .replace(b"<worksheet ", b'<worksheet xmlns:x="urn:x" ', 1),
        "comment": lambda d: d.replace(b"<sheetData>", b"<sheetData><!-- <c r=\"E15\"><v>999</v></c> -->", 1),
        "single-quotes": lambda d: d.replace(f'<c r="{ref}" s="'.encode(), f"<c r='{ref}' s=\"".encode(), 1),
        "text-between": lambda d: d.replace(b"</c><c ", b"</c>a &amp; b<c ", 1),
        "pretty-printed": lambda d: d.replace(b"<c ", b"\n    <c ").replace(b"</row>", b"\n  </row>"),
    }
    fast_takes = {"pretty-printed"}  # white space between cells is ordinary XML
    expected = read_submission(plain)
    assert "rule-failed" in codes_of(expected)
    for name, edit in edits.items():
        path = _rewrite_sheet(plain, tmp_path / f"{name}.xlsx", edit)
        assert path.read_bytes() != plain.read_bytes()
        raw = open_workbook(path.read_bytes())
        info = raw.sheet(FORM_SHEET)
        took = _fast_sheet(raw, info.name, read_part(raw.zf, info.part)) is not None
        assert took == (name in fast_takes), name
        fast, general = read_sheet(raw, info, fast=True), read_sheet(raw, info, fast=False)
        assert fast.cells == general.cells and fast.protected == general.protected, name
        sub = read_submission(path)
        assert sub.values == expected.values, name
        assert [f.code for f in sub.findings] == [f.code for f in expected.findings], name


@pytest.mark.parametrize("edit", [
    lambda d: d.replace(b"</v></c>", b"</c>", 1),  # a cell not closed properly
    lambda d: d.replace(b"</row>", b"", 1),  # a row never closed
    lambda d: d.replace(b'<row r="15"', b"<row r=15", 1),  # an attribute without quotes
    lambda d: d.replace(b"</c><c ", b"</c>a < b<c ", 1),  # a bare "<" between cells
    lambda d: d.replace(b"</v>", b"&nbsp;</v>", 1),  # an entity XML does not define
], ids=["cell", "row", "attribute", "text", "entity"])
def test_broken_xml_in_the_cells_is_refused_not_half_read(tmp_path, base, edit):
    """Malformed XML among the cells is refused, even after a good file from the same template
    has been read (its cells are then known to the reader)."""
    plain = filled(tmp_path, base, "plain")
    assert read_submission(plain).status == "accepted"
    broken = _rewrite_sheet(plain, tmp_path / "broken.xlsx", edit)
    assert broken.read_bytes() != plain.read_bytes()
    sub = read_submission(broken)
    assert sub.status == "unreadable" and codes_of(sub) == ["file-corrupt"]
