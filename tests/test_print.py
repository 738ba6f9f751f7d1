"""The consolidated workbook prints as a document to sign, and ``qcdc-excel pdf`` makes that PDF.

LibreOffice turns the Kbang sample's consolidated workbook into a PDF; poppler's ``pdfinfo`` and
``pdftotext`` say how many pages each sheet takes, their size and orientation, and what they show.
Whether text fits its cell is computed from the workbook's own description (column widths, row
heights, wrapping), not from pixels.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel import Outputs, Scope, merge
from qcdc_excel.catalog import load_catalog
from qcdc_excel.cli import main
from qcdc_excel.form import CHARTS_SHEET, CONSOLIDATED_SHEET, DETAILS_SHEET, FINDINGS_SHEET, NOTES_SHEET, STATUS_SHEET
from qcdc_excel.layout import SUMMARY_CLEAN_CONSOLIDATED, form_layout
from qcdc_excel.pdf import to_pdf
from qcdc_excel.roster import load_roster
from qcdc_excel.validate import read_submission
from qcdc_excel.workbook_writer import LINE_PT, detail_indicators, detail_page_breaks

from .conftest import KBANG_ROSTER, SAMPLES, convert_with_soffice

INBOX = SAMPLES / "kbang-2020" / "inbox"
A4 = (595, 842)


def poppler():
    if shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None:
        import os

        if os.environ.get("CI"):
            pytest.fail("poppler-utils (pdfinfo, pdftotext) is required under CI")
        pytest.skip("poppler-utils not installed (pdfinfo, pdftotext)")


def pages(pdf: Path) -> list[dict]:
    """Size, orientation, text and sheet name (printed on the right of every footer) of each page."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = [tuple(round(float(x)) for x in m) for m in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    out = []
    for n, (w, h) in enumerate(sizes, start=1):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        out.append({"size": (w, h), "landscape": w > h, "text": text})
    return out


def sheet_of(page: dict) -> str:
    for name in (CONSOLIDATED_SHEET, DETAILS_SHEET, STATUS_SHEET, FINDINGS_SHEET, NOTES_SHEET, CHARTS_SHEET):
        if re.search(rf"Trang \d+/\d+\s+{re.escape(name)}\s*$", page["text"].rstrip(), re.M):
            return name
    return "?"


@pytest.fixture(scope="module")
def kbang(tmp_path_factory):
    d = tmp_path_factory.mktemp("kbang-print")
    result = merge(INBOX, Scope(load_roster(KBANG_ROSTER), "2020", "625", dt.date(2020, 10, 25)),
                   Outputs(d / "tong-hop.xlsx", json=d / "tong-hop.json"), today=dt.date(2020, 10, 30))
    return d, result


def test_consolidated_workbook_prints_sheet_by_sheet_on_a4(kbang, soffice):
    poppler()
    d, result = kbang
    before = hashlib.sha256(result.out.read_bytes()).hexdigest()
    [made] = to_pdf([result.out], d / "pdf", soffice=soffice)
    assert made.pdf == d / "pdf" / "tong-hop.pdf" and made.fingerprint
    assert made.attachment == d / "pdf" / "tong-hop_tai-lieu-kem-theo.pdf"
    assert hashlib.sha256(result.out.read_bytes()).hexdigest() == before  # the input is never changed
    signed, papers = pages(made.pdf), pages(made.attachment)
    got = signed + papers
    by_sheet: dict[str, list[dict]] = {}
    for p in got:
        assert sorted(p["size"]) == sorted(A4), p["size"]
        by_sheet.setdefault(sheet_of(p), []).append(p)
    assert "?" not in by_sheet, [p["text"][-200:] for p in by_sheet.get("?", [])]
    assert list(by_sheet) == [CONSOLIDATED_SHEET, DETAILS_SHEET, STATUS_SHEET, FINDINGS_SHEET, NOTES_SHEET,
                              CHARTS_SHEET]
    # the signed appendix is a document of its own, numbered on its own; the working papers say what they are
    assert {sheet_of(p) for p in signed} == {CONSOLIDATED_SHEET}
    assert [re.search(r"Trang (\d+)/(\d+)", p["text"]).groups() for p in signed] == [
        (str(n), str(len(signed))) for n in range(1, len(signed) + 1)]
    assert CONSOLIDATED_SHEET not in {sheet_of(p) for p in papers}
    assert all(p["text"].lstrip().startswith("Tài liệu kèm theo — không ký") for p in papers)
    assert not any("không ký" in p["text"] for p in signed)
    orientation = {CONSOLIDATED_SHEET: False, DETAILS_SHEET: True, STATUS_SHEET: True, FINDINGS_SHEET: True,
                   NOTES_SHEET: True, CHARTS_SHEET: False}
    for name, ps in by_sheet.items():
        assert all(p["landscape"] == orientation[name] for p in ps), name
    # the details: the 15 reports fit across a page, the indicators run down it: 4 pages (8 when
    # the units ran down and each page held 12 indicators for 15 rows), the units' names on each
    assert len(by_sheet[DETAILS_SHEET]) <= 4
    for p in by_sheet[DETAILS_SHEET]:  # the names wrap in their narrow columns: look for the codes
        assert "23641" in p["text"] and "23638" in p["text"] and "CHI TIẾT SỐ LIỆU" in p["text"]
    # the status sheet: the units, then the files on their own page, one page wide each
    assert len(by_sheet[STATUS_SHEET]) == 2
    assert "Xã Đăk Hlơ" in by_sheet[STATUS_SHEET][0]["text"]
    assert "CÁC TỆP ĐÃ NHẬN" in by_sheet[STATUS_SHEET][1]["text"]
    # each chart on its own page, with its title
    assert len(by_sheet[CHARTS_SHEET]) == 2
    # nothing printed that is only for machines: no hash, no chart data
    text = "".join(p["text"] for p in got)
    for sub in result.report.submissions:
        assert sub.sha256 not in text
    assert "SHA-256" not in text
    # the fingerprint of the figures on every page, the same validate prints for the workbook
    mark = read_submission(result.out).fingerprint
    assert mark == made.fingerprint
    assert all(f"Mã số liệu: {mark}" in p["text"] for p in got)
    # the self-check is green when clean, and beside the printed columns, never on paper
    ws = openpyxl.load_workbook(result.out)[CONSOLIDATED_SHEET]
    layout = form_layout(load_catalog().version, "huyen", "consolidated")
    summary = ws[layout.summary_ref]
    assert summary.value == layout.summary_formula() and summary.font.color.rgb.endswith("1E7B34")
    assert ws.print_area.replace("$", "").split("!")[-1] == f"A1:E{layout.sign_name_row}"
    assert not any("Tự kiểm tra" in p["text"] or SUMMARY_CLEAN_CONSOLIDATED in p["text"] for p in got)


def text_cells(ws, last_col: int):
    merged = {}
    for rng in ws.merged_cells.ranges:
        width = sum(ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width or 8.43
                    for c in range(rng.min_col, rng.max_col + 1))
        merged[(rng.min_row, rng.min_col)] = width
    for row in ws.iter_rows():
        for c in row:
            if c.column > last_col or not isinstance(c.value, str) or c.value.startswith("="):
                continue
            width = merged.get((c.row, c.column),
                               ws.column_dimensions[openpyxl.utils.get_column_letter(c.column)].width or 8.43)
            yield c, width


def lines_needed(text: str, width: float, size: float) -> int:
    """Lines the text takes in a column ``width`` characters wide (Times New Roman, the width
    counted in characters of the 12-point default font): the model the writer uses."""
    per_line = max(1, int(width * 12 / size * 1.05) - 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


@pytest.mark.parametrize("sheet,last_col", [(DETAILS_SHEET, 200), (STATUS_SHEET, 7), (FINDINGS_SHEET, 7),
                                            (NOTES_SHEET, 5)])
def test_no_printed_text_is_taller_or_wider_than_its_cell(kbang, sheet, last_col):
    _, result = kbang
    ws = openpyxl.load_workbook(result.out)[sheet]
    area = ws.print_area
    for c, width in text_cells(ws, last_col):
        size = c.font.sz or 12
        if c.alignment.wrap_text:
            height = ws.row_dimensions[c.row].height or LINE_PT
            need = lines_needed(c.value, width, size) * LINE_PT * size / 12
            assert need <= height + 0.5, (sheet, c.coordinate, c.value, need, height)
        else:
            # one line: it must fit, or run into an empty neighbour that is also printed
            if len(c.value) * size / 12 <= width * 1.05:
                continue
            right = ws.cell(c.row, c.column + 1)
            assert right.value in (None, "") and c.column + 1 <= last_col, (sheet, c.coordinate, c.value, width)
    assert area


def test_details_read_co_khong_for_a_unit_and_counts_for_a_consolidated_report(kbang):
    _, result = kbang
    ws = openpyxl.load_workbook(result.out)[DETAILS_SHEET]
    units = next(r for r in ws.iter_rows(values_only=True) if "23641" in r)  # the units across
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "I.4.1")
    assert row[units.index("23641")] in ("Có", "Không") and row[units.index("625")] in ("Có", "Không")


def test_pdf_command_one_start_for_many_files_named_after_each(tmp_path, kbang, soffice):
    poppler()
    d, result = kbang
    form = tmp_path / "23650_2020.xlsx"
    shutil.copy(INBOX / "23650_2020.xlsx", form)
    (tmp_path / "a").mkdir()
    twin = tmp_path / "a" / "23650_2020.xlsx"  # the same name in another folder: no clash
    shutil.copy(INBOX / "23653_2020.xlsx", twin)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (form, twin)}
    res = CliRunner().invoke(main, ["pdf", str(form), str(twin), str(tmp_path / "khong-co.xlsx")])
    assert res.exit_code == 1  # one file was missing: said, the others written
    assert "Không tìm thấy tệp" in res.output and str(tmp_path / "khong-co.xlsx") in res.output
    assert (tmp_path / "23650_2020.pdf").is_file() and (tmp_path / "a" / "23650_2020.pdf").is_file()
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in before} == before
    sub = read_submission(form)
    form_pages = pages(tmp_path / "23650_2020.pdf")
    assert all(sorted(p["size"]) == sorted(A4) for p in form_pages)
    assert all(f"Mã số liệu: {sub.fingerprint}" in p["text"] for p in form_pages)
    assert f"mã số liệu {sub.fingerprint}" in res.output
    other = read_submission(twin).fingerprint
    assert other != sub.fingerprint
    assert f"Mã số liệu: {other}" in pages(tmp_path / "a" / "23650_2020.pdf")[0]["text"]


def test_pdf_without_libreoffice_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr("qcdc_excel.pdf.find_soffice", lambda: None)
    form = tmp_path / "f.xlsx"
    shutil.copy(INBOX / "23650_2020.xlsx", form)
    res = CliRunner().invoke(main, ["pdf", str(form)])
    assert res.exit_code == 1 and "Cần LibreOffice để xuất PDF" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "f.pdf").exists()
    res = CliRunner().invoke(main, ["--lang", "en", "pdf", str(form)])
    assert "LibreOffice is needed to write PDF" in res.output


def test_fingerprint_is_the_figures_not_the_program(tmp_path, soffice):
    """LibreOffice's re-save of a form has the same fingerprint; one changed figure changes it."""
    src = INBOX / "23656_2020.xlsx"
    out = convert_with_soffice(soffice, [src], tmp_path / "lo")
    resaved = read_submission(out[src])
    original = read_submission(src)
    assert resaved.status == original.status == "accepted"
    assert resaved.fingerprint == original.fingerprint
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", original.fingerprint)
    from qcdc_excel.fingerprint import figures_fingerprint

    changed = dict(original.values, **{"II.9.1": (original.values["II.9.1"] or 0) + 1})
    assert figures_fingerprint(changed, load_catalog(original.catalog_version), original.unit_code,
                               original.period) != original.fingerprint
    res = CliRunner().invoke(main, ["validate", str(src), "--json", str(tmp_path / "v.json")])
    assert f"mã số liệu {original.fingerprint}" in res.output
    assert json.loads((tmp_path / "v.json").read_text("utf-8"))["files"][0]["fingerprint"] == original.fingerprint


def test_merge_pdf_writes_the_consolidated_pdf(tmp_path, soffice):
    poppler()
    res = CliRunner().invoke(main, ["merge", str(INBOX), "--roster", str(KBANG_ROSTER), "--period", "2020",
                                    "--parent", "625", "--out", str(tmp_path / "th.xlsx"), "--pdf"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "th.pdf").is_file()
    assert "th.pdf" in res.output


def test_feedback_copy_prints_its_front_sheet_one_page_wide(tmp_path, soffice):
    poppler()
    from qcdc_excel.feedback import write_feedback_files

    sub = read_submission(INBOX / "23650_2020 (gui lan 1).xlsx")
    assert sub.status == "rejected"
    (copy,) = write_feedback_files([sub], tmp_path / "gop-y")
    [made] = to_pdf([copy], tmp_path / "pdf", soffice=soffice)
    got = pages(made.pdf)
    assert all(sorted(p["size"]) == sorted(A4) for p in got)
    front = got[0]
    assert front["landscape"] and "KẾT QUẢ KIỂM TRA BÁO CÁO" in front["text"]
    # every column of the findings table, the last one included, is on the first page
    for heading in ("STT", "Vấn đề", "Việc cần làm", "Tình trạng", "Mức độ", "Mã chỉ tiêu"):
        assert heading in front["text"], heading
    assert "Chưa sửa" in front["text"] and "rule-failed" not in front["text"]


def test_a_60_unit_province_prints_with_headers_on_every_page(tmp_path, soffice):
    """Units run over several pages down: every page of the details repeats the header and the
    unit names; the charts stay one to a page; every page is A4."""
    poppler()
    import random

    from qcdc_excel.catalog import load_catalog
    from qcdc_excel.identity import Identity
    from qcdc_excel.layout import form_layout
    from qcdc_excel.synthetic import fill_workbook, valid_values
    from qcdc_excel.template import Personaliser

    rows = [("09", "Tỉnh Thử", "tinh", "")] + [(f"09{k:03d}", f"Xã Thử Số {k}", "xa", "09") for k in range(1, 61)]
    (tmp_path / "r.csv").write_text("code,name,level,parent\n" + "\n".join(",".join(r) for r in rows), "utf-8")
    roster = load_roster(tmp_path / "r.csv")
    cat = load_catalog()
    layout = form_layout(cat.version, "xa")
    personaliser = Personaliser()
    from qcdc_excel import parse_period

    period = parse_period("2024")
    inbox = tmp_path / "in"
    inbox.mkdir()
    for k, (code, name, _, _) in enumerate(rows[1:]):
        template = personaliser.bytes_for("xa", period, Identity(code, name, "09", "Tỉnh Thử"))
        fill_workbook(template, valid_values(cat, layout.input_codes, random.Random(k)), inbox / f"{code}.xlsx",
                      report_date=dt.datetime(2024, 12, 20))
    result = merge(inbox, Scope(roster, "2024"), Outputs(tmp_path / "tong-hop.xlsx"))
    assert result.consolidation.counts()["accepted"] == 60
    [made] = to_pdf([result.out], soffice=soffice)
    got = pages(made.pdf) + pages(made.attachment)
    assert all(sorted(p["size"]) == sorted(A4) for p in got)
    details = [p for p in got if sheet_of(p) == DETAILS_SHEET]
    blocks = len(detail_page_breaks(detail_indicators(cat))) + 1
    assert len(details) % blocks == 0 and len(details) > blocks  # every block runs over more than one page
    for p in details:
        assert "Mã đơn vị" in p["text"] and "Tên đơn vị" in p["text"]  # the header, repeated
        assert re.search(r"Xã Thử Số \d+", p["text"])  # the names, repeated
    assert len([p for p in got if sheet_of(p) == CHARTS_SHEET]) == 2
