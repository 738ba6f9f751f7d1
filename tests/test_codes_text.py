"""Administrative codes are text and keep their leading zeros; every text enters in NFC (issue 19).

A commune that types 01273 into a General cell gets the number 1273 (Excel, LibreOffice and Gnumeric
all store it so). The form's code cell is formatted Text; a code that lost its zeros anyway is
matched to the one roster code it fits, with a warning; a roster .xlsx with numeric codes is read
back at its level's width. Forms are made with the project's template writer, the code is typed as
a number with openpyxl, and the file is re-saved by real LibreOffice and Gnumeric.
"""
from __future__ import annotations

import datetime as dt
import random
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from defusedxml.ElementTree import fromstring

from qcdc_excel import load_roster, parse_period
from qcdc_excel import Outputs, Scope, merge
from qcdc_excel.cli import main
from qcdc_excel.form import FORM_SHEET, META_SHEET
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.reader import open_workbook, read_sheet
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.template import template_bytes, write_template
from qcdc_excel.validate import read_submission

from .conftest import POST2025_ROSTER, ROOT, convert_with_soffice, convert_with_ssconvert

PERIOD = parse_period("2025Q3")
REPORT_DATE = dt.datetime(2025, 9, 20)
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@pytest.fixture(scope="module")
def layout(catalog):
    return form_layout(catalog.version, "xa")


@pytest.fixture(scope="module")
def values(catalog, layout):
    return valid_values(catalog, layout.input_codes, random.Random(19))


@pytest.fixture(scope="module")
def post2025():
    return load_roster(POST2025_ROSTER)


def codes_of(sub) -> list[str]:
    return [f.code for f in sub.findings]


def typed_as_number(folder: Path, values: dict, layout, number: int, name: str = "Phường Thục Phán",
                    file_name: str = "01273_2025Q3.xlsx", template: bytes | None = None) -> Path:
    """A form filled in, its unit code typed as a number into a General cell (an old form, or a
    cell whose format the unit changed): what Excel stores when 01273 is typed there."""
    ids = layout.identity_cells
    tpl = template if template is not None else template_bytes("xa", PERIOD)
    path = fill_workbook(tpl, values, folder / file_name, report_date=REPORT_DATE,
                         names=("Nguyễn Văn A", "Nông Văn B"), extra={ids["unit_name"]: name})
    wb = openpyxl.load_workbook(path)
    cell = wb[FORM_SHEET][ids["unit_code"]]
    cell.value, cell.number_format = number, "General"
    wb.save(path)
    return path


def resaved(path: Path, client: str, request, out: Path) -> Path:
    if client == "openpyxl":
        return path
    if client == "libreoffice":
        return convert_with_soffice(request.getfixturevalue("soffice"), [path], out)[path]
    return convert_with_ssconvert(request.getfixturevalue("ssconvert"), [path], out)[path]


def write_csv(path: Path, rows) -> Path:
    path.write_text("code,name,level,parent\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_xlsx(path: Path, rows) -> Path:
    wb = openpyxl.Workbook()
    for row in [("code", "name", "level", "parent"), *rows]:
        wb.active.append(list(row))
    wb.save(path)
    return path


def cell_style_format(path: Path, sheet_part: str, ref: str) -> str:
    """The numFmtId the cell's style gives it, read from the package XML itself."""
    with zipfile.ZipFile(path) as zf:
        sheet = fromstring(zf.read(sheet_part))
        styles = fromstring(zf.read("xl/styles.xml"))
    cell = next(c for c in sheet.iter(f"{MAIN}c") if c.get("r") == ref)
    xfs = styles.find(f"{MAIN}cellXfs").findall(f"{MAIN}xf")
    return xfs[int(cell.get("s", "0"))].get("numFmtId")


# --- the form's code cell is Text -------------------------------------------------------------------
@pytest.mark.parametrize("level", ["tinh", "huyen", "xa"])
def test_code_cell_is_text_in_a_fresh_blank_template(tmp_path, catalog, level):
    path = write_template(tmp_path / "blank.xlsx", level)
    ref = form_layout(catalog.version, level).identity_cells["unit_code"]
    cell = openpyxl.load_workbook(path)[FORM_SHEET][ref]
    assert cell.number_format == "@" and cell.protection.locked is False  # the unit types its code here
    assert cell_style_format(path, "xl/worksheets/sheet1.xml", ref) == "49"  # built-in format 49 is "@"


@pytest.mark.parametrize("level", ["tinh", "huyen", "xa"])
def test_shipped_blank_templates_have_the_text_code_cell(catalog, level):
    path = ROOT / "workbook_templates" / f"bieu-mau-{level}.xlsx"
    ref = form_layout(catalog.version, level).identity_cells["unit_code"]
    assert openpyxl.load_workbook(path)[FORM_SHEET][ref].number_format == "@"


def test_personalised_form_keeps_the_code_locked_and_text(tmp_path, layout, post2025):
    unit = post2025["01273"]
    path = tmp_path / "01273_2025Q3.xlsx"
    path.write_bytes(template_bytes("xa", PERIOD, Identity.of(unit, post2025)))
    wb = openpyxl.load_workbook(path)
    cell = wb[FORM_SHEET][layout.identity_cells["unit_code"]]
    assert (cell.value, cell.data_type, cell.number_format, cell.protection.locked) == ("01273", "s", "@", True)
    meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows(max_col=2)}
    assert meta["unit_code"] == "01273" and meta["parent_code"] == "04"


# --- a code typed as a number ------------------------------------------------------------------------
@pytest.mark.parametrize("client", ["openpyxl", "libreoffice", "gnumeric"])
def test_code_typed_as_number_is_matched_with_a_warning(tmp_path, request, values, layout, post2025, client):
    original = typed_as_number(tmp_path, values, layout, 1273)
    path = resaved(original, client, request, tmp_path / client)
    ref = layout.identity_cells["unit_code"]
    stored = openpyxl.load_workbook(path)[FORM_SHEET][ref].value
    assert isinstance(stored, (int, float)) and stored == 1273  # the program kept a number: zeros gone

    sub = read_submission(path, post2025, "2025Q3")
    assert sub.status == "accepted-with-warnings", [f.message() for f in sub.findings]
    assert sub.errors == [] and "unit-code-zero-lost" in codes_of(sub)
    assert (sub.unit_code, sub.unit_name, sub.parent_code, sub.period) == ("01273", "Phường Thục Phán", "04", "2025Q3")
    warning = next(f for f in sub.findings if f.code == "unit-code-zero-lost")
    assert warning.severity == "warning" and warning.cell == ref
    vi, en = warning.message("vi"), warning.message("en")
    assert "1273" in vi and "01273" in vi and ref in vi and "dạng số" in vi and "Văn bản" in vi, vi
    assert "stored as a number" in en and "01273" in en and "as text" in en, en


@pytest.mark.parametrize("number,code", [(1, "00001"), (4, "00004"), (10, "00010"), (1273, "01273")])
def test_codes_from_00001(tmp_path, values, layout, number, code):
    """The province 01 also fits 1 once zeros are dropped: only the form's level is searched."""
    roster = load_roster(write_csv(tmp_path / "r.csv", [
        ("01", "Tỉnh Thử", "tinh", ""), ("00001", "Xã Một", "xa", "01"), ("00004", "Xã Bốn", "xa", "01"),
        ("00010", "Xã Mười", "xa", "01"), ("01273", "Phường Thục Phán", "xa", "01")]))
    sub = read_submission(typed_as_number(tmp_path, values, layout, number), roster, "2025Q3")
    assert sub.unit_code == code and sub.errors == [], [f.message() for f in sub.findings]
    assert "unit-code-zero-lost" in codes_of(sub)


def test_two_codes_that_fit_match_neither(tmp_path, values, layout):
    roster = load_roster(write_csv(tmp_path / "r.csv", [
        ("01", "Tỉnh Thử", "tinh", ""), ("0042", "Xã A", "xa", "01"), ("00042", "Xã B", "xa", "01")]))
    sub = read_submission(typed_as_number(tmp_path, values, layout, 42), roster, "2025Q3")
    assert "unit-not-in-roster" in codes_of(sub) and "unit-code-zero-lost" not in codes_of(sub)
    assert sub.unit_code == "42"


def test_without_a_roster_the_number_is_read_at_its_levels_width(tmp_path, values, layout):
    sub = read_submission(typed_as_number(tmp_path, values, layout, 1273))
    assert sub.unit_code == "01273" and sub.errors == []
    warning = next(f for f in sub.findings if f.code == "unit-code-zero-lost")
    assert "01273" in warning.message("vi") and "5 chữ số" in warning.message("vi")
    assert "5 digits" in warning.message("en")


def test_personalised_code_retyped_as_number_is_not_another_unit(tmp_path, values, layout, post2025):
    tpl = template_bytes("xa", PERIOD, Identity.of(post2025["01273"], post2025))
    sub = read_submission(typed_as_number(tmp_path, values, layout, 1273, template=tpl), post2025, "2025Q3")
    assert "unit-code-mismatch" not in codes_of(sub) and "unit-code-zero-lost" in codes_of(sub)
    assert sub.unit_code == "01273" and sub.errors == []


# --- when nothing fits: who is likely wrong ----------------------------------------------------------
def test_nothing_fits_blames_the_form(tmp_path, values, layout, post2025):
    assert "01274" not in post2025
    sub = read_submission(typed_as_number(tmp_path, values, layout, 1274), post2025, "2025Q3")
    found = next(f for f in sub.findings if f.code == "unit-not-in-roster")
    vi, en = found.message("vi"), found.message("en")
    cell = layout.identity_cells["unit_code"]
    assert "1274" in vi and "dạng số" in vi and cell in vi and "danh sách đơn vị bị sai" not in vi, vi
    assert "as a number" in en and "roster is likely wrong" not in en, en


def test_text_code_not_found_blames_the_form(tmp_path, values, layout, post2025):
    tpl = template_bytes("xa", PERIOD, Identity("01999", "Xã Lạ", "04"))
    sub = read_submission(fill_workbook(tpl, values, tmp_path / "x.xlsx", report_date=REPORT_DATE), post2025)
    found = next(f for f in sub.findings if f.code == "unit-not-in-roster")
    assert "mã trên biểu mẫu" in found.message("vi") and "code on the form" in found.message("en")


def test_nothing_fits_blames_a_roster_that_lost_its_zeros(tmp_path, values, post2025):
    """A roster saved from Excel with numeric codes, then as CSV: 1273 for 01273."""
    stripped = load_roster(write_csv(tmp_path / "r.csv", [
        ("4", "Tỉnh Cao Bằng", "tinh", ""), ("1273", "Phường Thục Phán", "xa", "4"),
        ("1279", "Phường Nùng Trí Cao", "xa", "4")]))
    tpl = template_bytes("xa", PERIOD, Identity.of(post2025["01273"], post2025))
    sub = read_submission(fill_workbook(tpl, values, tmp_path / "01273_2025Q3.xlsx", report_date=REPORT_DATE),
                          stripped, "2025Q3")
    found = next(f for f in sub.findings if f.code == "unit-not-in-roster")
    vi, en = found.message("vi"), found.message("en")
    assert "01273" in vi and "danh sách đơn vị bị sai" in vi and "1273" in vi.replace("01273", ""), vi
    assert "roster is likely wrong" in en and "shorter than 5 digits" in en, en


# --- rosters -----------------------------------------------------------------------------------------
def test_xlsx_roster_with_numeric_codes_is_read_back_padded(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [
        (4, "Tỉnh Cao Bằng", "tinh", None), (40, "Huyện Thử", "huyen", 4),
        (1273, "Phường Thục Phán", "xa", 40), (1279.0, "Phường Nùng Trí Cao", "xa", 40.0),
        ("123", "Xã Chữ", "xa", "040"), (23638, "Thị trấn Kbang", "xa", 40)])
    roster = load_roster(path)
    assert set(roster.units) == {"04", "040", "01273", "01279", "123", "23638"}  # a text cell is kept as typed
    assert roster["040"].parent == "04" and roster["01273"].parent == "040" and roster["01279"].parent == "040"
    assert [u.code for u in roster.ancestors("01279")] == ["040", "04"]
    assert len(roster.warnings) == 1
    vi, en = roster.warnings[0].render("vi"), roster.warnings[0].render("en")
    assert str(path) in vi and "dòng 2–5" in vi and "4 → 04" in vi and "Văn bản" in vi, vi
    assert str(path) in en and "rows 2–5" in en and "as Text" in en, en


def test_xlsx_roster_numeric_parent_finds_its_unit(tmp_path):
    """Post-2025: communes straight under the province; a parent typed 4 is the province 04."""
    path = write_xlsx(tmp_path / "r.xlsx", [("04", "Tỉnh Cao Bằng", "tinh", None),
                                            ("01273", "Phường Thục Phán", "xa", 4)])
    roster = load_roster(path)
    assert roster["01273"].parent == "04"
    assert "dòng 3" in roster.warnings[0].render("vi")


def test_xlsx_roster_then_the_numeric_form(tmp_path, values, layout):
    roster = load_roster(write_xlsx(tmp_path / "r.xlsx", [
        (4, "Tỉnh Cao Bằng", "tinh", None), (1273, "Phường Thục Phán", "xa", 4)]))
    sub = read_submission(typed_as_number(tmp_path, values, layout, 1273), roster, "2025Q3")
    assert sub.unit_code == "01273" and sub.errors == [] and "unit-code-zero-lost" in codes_of(sub)


def test_csv_roster_is_text(tmp_path, post2025):
    assert post2025["01273"].name == "Phường Thục Phán" and post2025.warnings == []
    roster = load_roster(write_csv(tmp_path / "r.csv", [("04", "Tỉnh", "tinh", ""), ("01273", "Phường", "xa", "04"),
                                                        ("1279", "Xã", "xa", "04")]))
    assert set(roster.units) == {"04", "01273", "1279"}  # nothing converted, nothing padded
    assert roster["01273"].parent == "04" and roster.warnings == []


def test_web_desk_takes_the_numeric_form_from_its_own_unit(tmp_path, values, layout):
    """The commune 01273, signed in, sends its form with the code typed as a number: its own
    report, accepted with the warning, never "another unit's report"."""
    from qcdc_excel.portal.checker import InlineRunner
    from qcdc_excel.portal.service import Portal, init_portal

    init_portal(tmp_path / "data", POST2025_ROSTER, "2025Q3", "04")
    portal = Portal(tmp_path / "data", runner=InlineRunner())
    try:
        data = typed_as_number(tmp_path, values, layout, 1273).read_bytes()
        got = portal.receive(data, "01273_2025Q3.xlsx", "01273")
    finally:
        portal.close()
    assert (got["unit_code"], got["status"]) == ("01273", "accepted-with-warnings"), got["findings"]
    assert [f["code"] for f in got["findings"] if f["severity"] == "error"] == []
    assert "unit-code-zero-lost" in [f["code"] for f in got["findings"]]


# --- the command line --------------------------------------------------------------------------------
def test_cli_prints_roster_warnings_and_takes_a_code_without_its_zeros(tmp_path):
    roster = write_xlsx(tmp_path / "r.xlsx", [(4, "Tỉnh Cao Bằng", "tinh", None),
                                              (1273, "Phường Thục Phán", "xa", 4)])
    r = CliRunner().invoke(main, ["template", "--roster", str(roster), "--unit", "1273", "--period", "2025Q3",
                                  "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "01273_2025Q3.xlsx").is_file()
    assert "dòng 2–3" in r.stderr and str(roster) in r.stderr, r.stderr
    assert "--unit 1273: hiểu là mã 01273 (Phường Thục Phán)" in r.stderr, r.stderr
    r = CliRunner().invoke(main, ["--lang", "en", "template", "--roster", str(roster), "--unit", "1273",
                                  "--period", "2025Q3", "--out", str(tmp_path / "out2")])
    assert "rows 2–3" in r.stderr and "taken as 01273" in r.stderr, r.stderr


# --- NFC everywhere ----------------------------------------------------------------------------------
NFD_NAMES = {"04": "Tỉnh Cao Bằng", "01273": "Phường Thục Phán", "01279": "Phường Nùng Trí Cao"}


def nfd(text: str) -> str:
    out = unicodedata.normalize("NFD", text)
    assert out != text
    return out


def texts_of(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_nfd_roster_names_are_nfc_in_forms_identity_and_consolidation(tmp_path, values, catalog):
    rows = [("04", nfd(NFD_NAMES["04"]), "tinh", ""), ("01273", nfd(NFD_NAMES["01273"]), "xa", "04"),
            ("01279", nfd(NFD_NAMES["01279"]), "xa", "04")]
    roster = load_roster(write_csv(tmp_path / "r.csv", rows))
    assert {c: u.name for c, u in roster.units.items()} == NFD_NAMES

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    layout = form_layout(catalog.version, "xa")
    for code in ("01273", "01279"):
        tpl = template_bytes("xa", PERIOD, Identity.of(roster[code], roster))
        form = fill_workbook(tpl, values, inbox / f"{code}_2025Q3.xlsx", report_date=REPORT_DATE)
        wb = openpyxl.load_workbook(form)
        assert wb[FORM_SHEET][layout.identity_cells["unit_name"]].value == NFD_NAMES[code]
        meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows(max_col=2)}
        assert meta["unit_name"] == NFD_NAMES[code]
        assert all(unicodedata.is_normalized("NFC", t) for t in texts_of(form))

    out = tmp_path / "tong-hop.xlsx"
    result = merge(inbox, Scope(roster, "2025Q3", "04"), Outputs(out))
    assert result.report.ok
    texts = texts_of(out)
    assert all(unicodedata.is_normalized("NFC", t) for t in texts), [t for t in texts
                                                                     if not unicodedata.is_normalized("NFC", t)]
    joined = "\n".join(texts)
    assert all(name in joined for name in NFD_NAMES.values())


@pytest.mark.parametrize("client", ["openpyxl", "libreoffice", "gnumeric"])
def test_nfd_typed_into_a_form_is_read_as_nfc(tmp_path, request, values, layout, client):
    ids = layout.identity_cells
    text_code = next(c for c in layout.input_codes if layout.catalog.indicators[c].kind == "text")
    typed = dict(values, **{text_code: nfd("Đề nghị tăng cường tập huấn.")})
    path = fill_workbook(template_bytes("xa", PERIOD), typed, tmp_path / "f.xlsx", report_date=REPORT_DATE,
                         extra={ids["unit_code"]: "01273", ids["unit_name"]: nfd("Phường Thục Phán")})
    path = resaved(path, client, request, tmp_path / client)
    raw = open_workbook(path.read_bytes())
    sheet = read_sheet(raw, raw.sheet(FORM_SHEET))
    assert sheet.value(ids["unit_name"]) == "Phường Thục Phán"  # NFC from the reader itself
    assert sheet.value(layout.cells[text_code]) == "Đề nghị tăng cường tập huấn."
    sub = read_submission(path)
    assert sub.unit_code == "01273" and sub.unit_name == "Phường Thục Phán"
    assert sub.values[text_code] == "Đề nghị tăng cường tập huấn."


def test_nfd_catalog_file_is_read_as_nfc(tmp_path, catalog):
    from importlib import resources

    from qcdc_excel.catalog import load_catalog_file

    shipped = (resources.files("qcdc_excel") / "catalogs" / f"{catalog.version}.yaml").read_text("utf-8")
    path = tmp_path / "nfd.yaml"
    path.write_text(nfd(shipped), encoding="utf-8")
    again = load_catalog_file(path)
    assert {c: i.label for c, i in again.indicators.items()} == {c: i.label for c, i in catalog.indicators.items()}


def test_cli_text_options_are_nfc():
    from qcdc_excel.cli import _text_value

    assert _text_value(None, None, nfd("Nguyễn Văn Dũng")) == "Nguyễn Văn Dũng"
    assert _text_value(None, None, None) is None
