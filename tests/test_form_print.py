"""The form itself, version 2: described once, printed whole on A4, and every earlier version still read.

The printed checks run the real thing: LibreOffice turns blank and filled forms of every level into
PDFs (one start for all of them), poppler says what each page shows. Whether a text fits its cell is
computed from the written workbook's widths and heights with the description's own text model.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel import Outputs, Scope, merge
from qcdc_excel.catalog import Heading, load_catalog
from qcdc_excel.cli import main
from qcdc_excel.feedback import write_feedback
from qcdc_excel.form import CONSOLIDATED_SHEET, FORM_SHEET, META_SHEET
from qcdc_excel.form_sheet import (LINE_PT, FormHeader, date_line_text, describe_form, lines_needed, page_breaks,
                                   text_width)
from qcdc_excel.identity import Identity
from qcdc_excel.layout import CURRENT_FORM_VERSION, FORM_VERSIONS, form_layout
from qcdc_excel.pdf import to_pdf
from qcdc_excel.periods import parse_period
from qcdc_excel.roster import load_roster
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.template import form_heading, template_bytes, write_template
from qcdc_excel.validate import read_submission

from .conftest import KBANG_ROSTER, ROOT, SAMPLES, convert_with_soffice
from .test_print import pages, poppler

V1 = ROOT / "tests" / "files" / "form-v1"  # published version 1 files, kept as they were made
LEVELS = ("xa", "huyen", "tinh")
UNITS = {"xa": Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang"),
         "huyen": Identity("625", "Huyện Kbang", "64", "Tỉnh Gia Lai"),
         "tinh": Identity("64", "Tỉnh Gia Lai", "", "")}
LONG_TEXT = ("Cấp ủy, chính quyền xã tiếp tục quán triệt Luật Thực hiện dân chủ ở cơ sở năm 2022 đến từng thôn, "
             "làng; công khai đầy đủ các nội dung Nhân dân được biết; tổ chức đối thoại định kỳ giữa người đứng "
             "đầu với Nhân dân. ") * 7 + "HẾT ĐOẠN VĂN."


# --- versions ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_published_version_1_templates_are_read_by_their_own_layout(tmp_path, catalog, level):
    path = V1 / f"bieu-mau-{level}.xlsx"
    meta = {r[0].value: r[1].value for r in openpyxl.load_workbook(path)[META_SHEET].iter_rows(max_col=2)}
    assert "form_version" not in meta  # version 1 did not record its version
    v1, v2 = form_layout(catalog.version, level, "own", "1"), form_layout(catalog.version, level)
    # made before the labels printed “ ”: the fingerprint is quote-blind, so it is the one they carry
    assert meta["fingerprint"] == v1.fingerprint != v2.fingerprint
    assert json.loads(meta["identity_cells"])["period"] == "C10" != v2.identity_cells["period"]
    values = valid_values(catalog, v1.input_codes, random.Random(7))
    filled = fill_workbook(path, values, tmp_path / f"{level}.xlsx", report_date=dt.date(2023, 4, 2),
                           extra={"C7": "23641", "C8": "Xã Thử", "C10": "2023Q1"})
    sub = read_submission(filled)
    assert sub.form_version == "1" and sub.status == "accepted", [f.message() for f in sub.findings]
    assert sub.period == "2023Q1" and sub.window is None  # version 1 has no data window
    assert sub.values == {c: v for c, v in values.items() if v is not None}


def form_version_of(path) -> str:
    """What a workbook's metadata sheet says of its form version (version 1 did not say)."""
    meta = {r[0].value: r[1].value for r in openpyxl.load_workbook(path)[META_SHEET].iter_rows(max_col=2)}
    return meta.get("form_version") or "1"


# the sample inbox's files kept on form version 1 (samples/make_kbang_inbox.py: VERSION_1_UNITS)
KBANG_VERSION_1 = {"23638_2020.xlsx", "625_2020_huyen.xlsx"}


def test_the_kbang_sample_inbox_is_current_but_for_two_version_1_files(catalog):
    files = sorted((SAMPLES / "kbang-2020" / "inbox").rglob("*.xlsx"))
    assert len(files) == 18
    versions = {p.relative_to(SAMPLES / "kbang-2020" / "inbox").as_posix(): form_version_of(p) for p in files}
    assert {n for n, v in versions.items() if v == "1"} == KBANG_VERSION_1
    assert {v for n, v in versions.items() if n not in KBANG_VERSION_1} == {CURRENT_FORM_VERSION}
    for name in KBANG_VERSION_1:
        sub = read_submission(SAMPLES / "kbang-2020" / "inbox" / name)
        assert sub.form_version == "1" and sub.accepted, [f.message() for f in sub.findings]


def test_the_kbang_sample_inbox_mixes_versions_and_a_version_1_unit_may_resend_on_the_current_form(
        tmp_path, catalog):
    """A secretariat's inbox holds both: forms filled before the form changed and the current one."""
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "kbang-2020" / "inbox", inbox)
    before = merge(SAMPLES / "kbang-2020" / "inbox", Scope(load_roster(KBANG_ROSTER), "2020"), Outputs(tmp_path / "a.xlsx"))
    assert {s.form_version for s in before.report.submissions} == {"1", CURRENT_FORM_VERSION}
    # Thị trấn Kbang sends the same figures again on the current form
    old = next(s for s in before.report.submissions if s.path.name == "23638_2020.xlsx")
    assert old.form_version == "1"
    layout = form_layout(catalog.version, "xa")
    unit = Identity("23638", "Thị trấn Kbang", "625", "Huyện Kbang")
    new = fill_workbook(template_bytes("xa", parse_period("2020"), unit), old.values,
                        inbox / "23638_2020 (mau moi).xlsx", report_date=dt.date(2020, 10, 20))
    after = merge(inbox, Scope(load_roster(KBANG_ROSTER), "2020"), Outputs(tmp_path / "b.xlsx"))
    sub = next(s for s in after.report.submissions if s.path == new)
    assert sub.form_version == CURRENT_FORM_VERSION and sub.accepted and layout.cells["V.1"] != form_layout(
        catalog.version, "xa", "own", "1").cells["V.1"]
    assert after.consolidation.totals.values == before.consolidation.totals.values
    assert after.consolidation.role_of(sub).role == "used"


def test_the_version_1_consolidated_workbook_still_reads(tmp_path, catalog):
    sub = read_submission(V1 / "tong-hop-huyen-kbang.xlsx")
    assert sub.form == "consolidated" and sub.form_version == "1" and sub.accepted, sub.findings
    fresh = merge(SAMPLES / "kbang-2020" / "inbox", Scope(load_roster(KBANG_ROSTER), "2020"), Outputs(tmp_path / "t.xlsx"))
    def plain(v):
        return v if isinstance(v, str) else float(v)

    expected = {c: plain(v) for c, v in fresh.consolidation.totals.values.items() if v is not None}
    assert len(expected) > 60
    assert {c: plain(v) for c, v in sub.values.items() if c in expected} == expected


def test_a_newer_or_forged_form_version_is_named(tmp_path):
    data = template_bytes("xa", parse_period("2023Q1"), UNITS["xa"])
    for version, code in (("9", "form-version-unknown"), ("1", "metadata-invalid")):
        wb = openpyxl.load_workbook(__import__("io").BytesIO(data))
        meta = wb[META_SHEET]
        row = next(r for r in meta.iter_rows() if r[0].value == "form_version")
        row[1].value = version
        wb.save(tmp_path / f"v{version}.xlsx")
        sub = read_submission(tmp_path / f"v{version}.xlsx")
        assert code in {f.code for f in sub.findings}, (version, [f.code for f in sub.findings])
    assert "9" not in FORM_VERSIONS and CURRENT_FORM_VERSION == FORM_VERSIONS[-1]


# --- the period and the data window ---------------------------------------------------------------------
@pytest.mark.parametrize("text,code", [("Quý I năm 2023", "2023Q1"), ("quý 4/2023", "2023Q4"), ("QUÝ III NĂM 2024", "2024Q3"),
                                       ("6 tháng đầu năm 2023", "2023S1"), ("6 tháng cuối năm 2023", "2023S2"),
                                       ("Năm 2020", "2020"), ("Kỳ báo cáo: Quý II năm 2024", "2024Q2"), ("2023S2", "2023S2")])
def test_a_period_is_read_in_words_or_as_a_code(text, code):
    assert parse_period(text).code == code
    assert parse_period(parse_period(text).label("vi")).code == code


@pytest.mark.parametrize("code,start,end", [("2023Q1", "2022-12-15", "2023-03-14"), ("2023Q2", "2023-03-15", "2023-06-14"),
                                            ("2023Q4", "2023-09-15", "2023-12-14"), ("2023S1", "2022-12-15", "2023-06-14"),
                                            ("2023S2", "2023-06-15", "2023-12-14"), ("2023", "2022-12-15", "2023-12-14")])
def test_the_usual_window_follows_decree_09_2019(code, start, end):
    assert parse_period(code).window == (dt.date.fromisoformat(start), dt.date.fromisoformat(end))


def _form_with_window(tmp_path, catalog, name, start, end, period="2023Q1"):
    layout = form_layout(catalog.version, "xa")
    ids = layout.identity_cells
    values = valid_values(catalog, layout.input_codes, random.Random(3))
    return fill_workbook(template_bytes("xa", parse_period(period), UNITS["xa"]), values, tmp_path / name,
                         report_date=dt.date(2023, 3, 20), extra={ids["window_from"]: start, ids["window_to"]: end})


def test_the_data_window_is_checked_and_carried_into_the_consolidated_workbook(tmp_path, catalog):
    inbox = tmp_path / "inbox"
    ok = _form_with_window(tmp_path, catalog, "inbox/ok.xlsx", dt.datetime(2022, 12, 16), dt.datetime(2023, 3, 15))
    sub = read_submission(ok)
    assert sub.accepted and not sub.findings and sub.window == (dt.date(2022, 12, 16), dt.date(2023, 3, 15))
    assert sub.window_stated and sub.to_json()["window"] == ["2022-12-16", "2023-03-15"]
    cases = {"reversed.xlsx": (dt.datetime(2023, 3, 14), dt.datetime(2022, 12, 15), "window-reversed"),
             "outside.xlsx": (dt.datetime(2022, 6, 15), dt.datetime(2022, 9, 14), "window-outside-period"),
             "text.xlsx": ("mười lăm", dt.datetime(2023, 3, 14), "window-invalid")}
    for name, (start, end, code) in cases.items():
        sub = read_submission(_form_with_window(tmp_path, catalog, name, start, end))
        assert sub.status == "accepted-with-warnings" and [f.code for f in sub.findings] == [code], name
        window_from = form_layout(catalog.version, "xa").identity_cells["window_from"]
        assert window_from in sub.findings[0].message() and "ngày" in sub.findings[0].message()
    outside_sub = read_submission(tmp_path / "outside.xlsx")
    outside = outside_sub.findings[0].message()
    assert "Quý I năm 2023" in outside and "15/12/2022" in outside and "14/03/2023" in outside
    # the unit gets a marked copy of its form, the window cell marked, not a note
    fb = write_feedback(outside_sub, tmp_path / "fb")
    assert fb.suffix == ".xlsx", fb
    assert read_submission(fb).findings == outside_sub.findings
    # a blank template whose unit typed only the period: the usual window, no warning
    blank = tmp_path / "blank.xlsx"
    layout = form_layout(catalog.version, "xa")
    ids = layout.identity_cells
    fill_workbook(template_bytes("xa"), valid_values(catalog, layout.input_codes, random.Random(4)), blank,
                  report_date=dt.date(2023, 3, 20),
                  extra={ids["unit_code"]: "23644", ids["unit_name"]: "Xã Đak Rong", ids["period"]: "Quý I năm 2023"})
    sub = read_submission(blank)
    assert sub.accepted and not sub.findings and sub.period == "2023Q1"
    assert sub.window == parse_period("2023Q1").window and not sub.window_stated
    shutil.copy(blank, inbox / "blank.xlsx")
    # the consolidated workbook states the window the figures span, and so does the JSON
    result = merge(inbox, Scope(period="2023Q1"), Outputs(tmp_path / "tong-hop.xlsx", json=tmp_path / "t.json"))
    data = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert data["window"] == {"from": "2022-12-16", "to": "2023-03-15", "stated_by": ["23641"]}
    ws = openpyxl.load_workbook(result.out)[CONSOLIDATED_SHEET]
    cons = form_layout(catalog.version, result.consolidation.level, "consolidated").identity_cells
    assert ws[cons["window_from"]].value.date() == dt.date(2022, 12, 16)
    assert ws[cons["window_to"]].value.date() == dt.date(2023, 3, 15)
    assert ws[cons["period"]].value == "Quý I năm 2023"
    back = read_submission(result.out)
    assert back.accepted and back.window == (dt.date(2022, 12, 16), dt.date(2023, 3, 15)), back.findings


# --- the description ------------------------------------------------------------------------------------
def test_one_description_lays_out_the_template_and_the_consolidated_form_alike(tmp_path, catalog):
    """The unit's template (openpyxl) and the “Tổng hợp” sheet (xlsxwriter) come from describe_form:
    same widths, same heights, same page breaks and print setup for the same rows."""
    result = merge(SAMPLES / "kbang-2020" / "inbox", Scope(load_roster(KBANG_ROSTER), "2020"), Outputs(tmp_path / "t.xlsx"))
    own_path = write_template(tmp_path / "own.xlsx", "huyen", parse_period("2020"), UNITS["huyen"])
    own = openpyxl.load_workbook(own_path)[FORM_SHEET]
    cons = openpyxl.load_workbook(result.out)[CONSOLIDATED_SHEET]
    for col in "ABCDEF":
        assert own.column_dimensions[col].width == pytest.approx(cons.column_dimensions[col].width, abs=0.72), col
    for ws in (own, cons):
        assert ws.page_setup.scale == own.page_setup.scale and not ws.sheet_properties.pageSetUpPr.fitToPage
        header = form_layout(catalog.version, "huyen").geometry.table_header
        assert ws.print_title_rows.replace("$", "") == f"{header}:{header}"
        assert ws["D1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and ws["D1"].font.name == "Times New Roman"
    layout = form_layout(catalog.version, "huyen", "consolidated")
    assert [b.id + 1 for b in cons.row_breaks.brk] == describe_form(layout, FormHeader("x")).breaks_before


@pytest.mark.parametrize("level", LEVELS)
def test_page_breaks_keep_headings_with_their_rows_and_the_signatures_with_the_table(catalog, level):
    layout = form_layout(catalog.version, level)
    sheet = describe_form(layout, form_heading(layout, parse_period("2023Q1"), UNITS[level]))
    breaks = page_breaks(sheet, layout)
    assert breaks == sheet.breaks_before and breaks
    headings = {r.row for r in layout.rows if isinstance(r.item, Heading)}
    starts = {r.row for r in layout.rows}
    for b in breaks:
        assert b - 1 not in headings and b in starts | {layout.rows[-1].row}, b  # never a heading alone at a foot
    assert breaks[-1] <= layout.rows[-1].row  # the last row goes over with the date line and signatures


def test_no_text_of_the_written_form_is_wider_or_taller_than_its_cell(tmp_path, catalog):
    for level in LEVELS:
        path = write_template(tmp_path / f"{level}.xlsx", level, parse_period("2023Q1"), UNITS[level], style="hd36")
        ws = openpyxl.load_workbook(path)[FORM_SHEET]
        merged = {(r.min_row, r.min_col): r for r in ws.merged_cells.ranges}
        layout = form_layout(catalog.version, level)
        for row in ws.iter_rows(max_row=layout.sign_name_row, max_col=5):
            for c in row:
                if not isinstance(c.value, str) or c.value.startswith("="):
                    continue
                rng = merged.get((c.row, c.column))
                cols = range(rng.min_col, rng.max_col + 1) if rng else [c.column]
                width = sum(ws.column_dimensions[openpyxl.utils.get_column_letter(k)].width for k in cols)
                size, bold = c.font.sz or 12, bool(c.font.b)
                if c.alignment.wrap_text:
                    height = ws.row_dimensions[c.row].height or LINE_PT
                    need = lines_needed(c.value, width, size, bold) * LINE_PT * size / 12
                    assert need <= height + 0.5, (level, c.coordinate, c.value, need, height)
                else:  # one line, never cut and never shrunk out of reading size
                    assert text_width(c.value, size, bold) <= width, (level, c.coordinate, c.value, width)


# --- printed --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def printed(tmp_path_factory, soffice):
    """Blank and filled forms of every level (the commune's with a long free text, the district's
    in the steering committee's style) through one LibreOffice start."""
    poppler()
    d = tmp_path_factory.mktemp("forms")
    catalog = load_catalog()
    files = {}
    for level in LEVELS:
        files[("blank", level)] = write_template(d / f"blank-{level}.xlsx", level)
        style = "hd36" if level == "huyen" else "nd30"
        layout = form_layout(catalog.version, level)
        values = valid_values(catalog, layout.input_codes, random.Random(11))
        if level == "xa":
            values["V.1"] = LONG_TEXT
        template = template_bytes(level, parse_period("2023Q1"), UNITS[level], style=style)
        files[("filled", level)] = fill_workbook(template, values, d / f"filled-{level}.xlsx",
                                                 report_date=dt.date(2023, 3, 20),
                                                 names=("Nguyễn Văn An", "Trần Thị Bình"))
    results = to_pdf(list(files.values()), d / "pdf", soffice=soffice)
    return {key: pages(r.pdf) for key, r in zip(files, results)}, files


@pytest.mark.parametrize("kind", ["blank", "filled"])
@pytest.mark.parametrize("level", LEVELS)
def test_the_form_prints_whole_on_a4(printed, catalog, level, kind):
    got, files = printed
    ps = got[(kind, level)]
    if not (kind == "filled" and level == "xa"):  # (the long free text gets its rows, and breaks, at printing)
        layout = form_layout(catalog.version, level)
        planned = describe_form(layout, form_heading(layout, None, UNITS[level])).breaks_before
        assert len(ps) == len(planned) + 1, (level, kind, len(ps), planned)
    text = "".join(p["text"] for p in ps)
    for n, p in enumerate(ps, start=1):
        assert p["size"] == (595, 842) and not p["landscape"]
        assert "Nội dung chỉ tiêu" in p["text"]  # the table header on every page
        assert f"Trang {n}/{len(ps)}" in p["text"]
        table = [line for line in p["text"].splitlines() if line.strip() and "Trang" not in line]
        assert not re.match(r"^\s*(I|II|III|IV|V)\s{2,}\S", table[-1]), (level, kind, n, table[-1])
    # what only the screen needs never reaches paper
    for hidden in ("TỰ KIỂM TRA", "Tự kiểm tra", "KIỂM TRA TỰ ĐỘNG", "Kiểm tra (tự động", "Ngày lập báo cáo"):
        assert hidden not in text, hidden
    assert "NGƯỜI LẬP BIỂU" in ps[-1]["text"] and "(Ký tên, đóng dấu)" in ps[-1]["text"]
    assert "Số liệu tính từ ngày" in ps[0]["text"] and "Đơn vị cấp trên:" in ps[0]["text"]
    if kind == "blank":
        assert "…, ngày …… tháng …… năm ……" in ps[-1]["text"]
        return
    # the period once, in words; the window and the date line in words; the signers
    assert text.count("Quý I năm 2023") == 1 and "2023Q1" not in text
    assert "15/12/2022" in ps[0]["text"] and "đến 14/03/2023" in ps[0]["text"]
    place = date_line_text(UNITS[level].unit_name, dt.date(2023, 3, 20))
    assert place in ps[-1]["text"] and "Nguyễn Văn An" in ps[-1]["text"] and "Trần Thị Bình" in ps[-1]["text"]
    organ = "T/M BAN CHỈ ĐẠO" if level == "huyen" else "TM. ỦY BAN NHÂN DÂN"
    assert organ in ps[-1]["text"]
    mark = read_submission(files[("filled", level)]).fingerprint
    assert all(f"Mã số liệu: {mark}" in p["text"] for p in ps)
    if level == "xa":  # a long free text prints whole, on rows tall enough for it
        flat = " ".join(text.split())
        assert "HẾT ĐOẠN VĂN." in flat and flat.count("đối thoại định kỳ giữa người đứng") == 7


def test_the_date_line_reads_the_same_in_libreoffice_and_in_python(tmp_path, soffice, catalog):
    layout = form_layout(catalog.version, "xa")
    cases = {"kp.xlsx": (UNITS["xa"], dt.date(2023, 3, 20)), "tt.xlsx": (Identity("23638", "Thị trấn Kbang"), None),
             "hp.xlsx": (Identity("1", "Phường Hội Phú", "2"), dt.date(2024, 12, 5))}
    paths = []
    for name, (identity, day) in cases.items():
        paths.append(fill_workbook(template_bytes("xa", parse_period("2023Q1"), identity), {}, tmp_path / name,
                                   report_date=day))
    out = convert_with_soffice(soffice, paths, tmp_path / "lo")
    for path, (identity, day) in zip(paths, cases.values()):
        ws = openpyxl.load_workbook(out[path], data_only=True)[FORM_SHEET]
        assert ws[layout.date_line_ref].value == date_line_text(identity.unit_name, day)
    assert date_line_text("Xã Kon Pne", dt.date(2023, 3, 20)) == "Kon Pne, ngày 20 tháng 3 năm 2023"


def test_template_command_takes_the_signature_style(tmp_path):
    res = CliRunner().invoke(main, ["template", "--level", "huyen", "--style", "hd36", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(tmp_path / "bieu-mau-huyen.xlsx")[FORM_SHEET]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"ĐẢNG CỘNG SẢN VIỆT NAM", "T/M BAN CHỈ ĐẠO", "TRƯỞNG BAN"} <= texts
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in texts
    res = CliRunner().invoke(main, ["--lang", "en", "template", "--level", "xa", "--style", "x", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "x" in res.output
