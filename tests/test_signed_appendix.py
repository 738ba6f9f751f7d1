"""The consolidated workbook's signed appendix is a document of its own (issue 22 §4) and its words
(§7): two PDFs (the appendix to sign, the working papers headed “không ký”), the evaluation boxes
filled from the consolidating unit's own report and editable, as are the date and the signers."""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel import Outputs, Scope, merge
from qcdc_excel.form import CONSOLIDATED_SHEET, STATUS_SHEET
from qcdc_excel.i18n import unit_kinds
from qcdc_excel.layout import form_layout
from qcdc_excel.pdf import to_pdf
from qcdc_excel.roster import load_roster
from qcdc_excel.validate import read_submission

from .conftest import KBANG_ROSTER, SAMPLES, convert_with_soffice

INBOX = SAMPLES / "kbang-2020" / "inbox"
OWN = INBOX / "625_2020_huyen.xlsx"
TITLES = ("CHI TIẾT SỐ LIỆU TỪNG ĐƠN VỊ", "TÌNH HÌNH NỘP BÁO CÁO", "KẾT QUẢ KIỂM TRA TỪNG TỆP",
          "GHI CHÚ, KIẾN NGHỊ CỦA CÁC ĐƠN VỊ", "BIỂU ĐỒ")
NOT_SIGNED = "Tài liệu kèm theo — không ký"


def poppler() -> None:
    if not (shutil.which("pdfinfo") and shutil.which("pdftotext")):
        if os.environ.get("CI"):
            pytest.fail("poppler-utils (pdfinfo, pdftotext) is required under CI")
        pytest.skip("poppler-utils not installed (pdfinfo, pdftotext)")


def page_texts(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True,
                          env={**os.environ, "LANG": "C", "LC_ALL": "C"}).stdout
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(k), "-l", str(k), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for k in range(1, n + 1)]


def run_cli(args: list[str]) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("qcdc-excel")
    cmd = [str(script)] if script.is_file() else [sys.executable, "-c", "from qcdc_excel.cli import run; run()"]
    env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
    return subprocess.run([*cmd, *args], env=env, capture_output=True, text=True, timeout=900)


def merged(inbox: Path, out: Path):
    return merge(inbox, Scope(load_roster(KBANG_ROSTER), "2020", "625", dt.date(2020, 10, 25)),
                 Outputs(out), today=dt.date(2020, 10, 30))


def boxes(path: Path) -> tuple[object, dict[str, openpyxl.cell.Cell]]:
    ws = openpyxl.load_workbook(path)[CONSOLIDATED_SHEET]
    layout = form_layout(read_submission(path).layout.catalog.version, "huyen", "consolidated")
    ids = layout.identity_cells
    cells = {code: ws[layout.cells[code]] for code in ("V.1", "V.2")}
    cells.update({key: ws[ids[key]] for key in ("report_date", "preparer", "head")})
    return ws, cells


def test_evaluation_boxes_hold_the_districts_own_words_and_stay_editable(tmp_path):
    result = merged(INBOX, tmp_path / "tong-hop.xlsx")
    own = read_submission(OWN).values
    assert own.get("V.1") and own.get("V.2")  # the sample's district report has its own remarks
    ws, cells = boxes(result.out)
    assert ws.protection.sheet  # the appendix stays protected: only these cells open
    for code in ("V.1", "V.2"):
        assert cells[code].value == own[code] and cells[code].protection.locked is False, code
    for key in ("report_date", "preparer", "head"):
        assert cells[key].protection.locked is False, key
    # the workbook, read back as the district's submission upward, carries the same remarks
    assert {k: read_submission(result.out).values.get(k) for k in ("V.1", "V.2")} == {k: own[k] for k in ("V.1", "V.2")}


def test_without_an_own_report_the_boxes_are_empty_and_editable(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX, inbox, ignore=shutil.ignore_patterns(OWN.name))
    result = merged(inbox, tmp_path / "tong-hop.xlsx")
    _, cells = boxes(result.out)
    for code in ("V.1", "V.2"):
        assert cells[code].value is None and cells[code].protection.locked is False, code


@pytest.mark.parametrize("names,said", [
    (["Thị trấn Kbang", "Xã Kon Pne", "Xã Krong"], "xã, thị trấn"),
    (["Phường 1", "Xã A", "Đặc khu Côn Đảo"], "xã, phường, đặc khu"),
    ([unicodedata.normalize("NFD", "Xã Đak Rong")], "xã"),  # decomposed accents as some files have
    (["Xã A", "Huyện B"], None),  # a name that does not say its kind: the caller says “đơn vị”
])
def test_unit_kinds_follow_the_roster_names(names, said):
    assert unit_kinds(names) == said


def test_merge_pdf_writes_the_signed_appendix_and_the_working_papers_apart(tmp_path, soffice):
    poppler()
    out = tmp_path / "c" / "tong-hop.xlsx"
    proc = run_cli(["merge", str(INBOX), "--roster", str(KBANG_ROSTER), "--period", "2020",
                    "--deadline", "2020-10-25", "--out", str(out), "--pdf"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "14/14 xã, thị trấn" in proc.stdout and "2 nộp muộn" in proc.stdout
    signed, papers = out.with_suffix(".pdf"), out.with_name("tong-hop_tai-lieu-kem-theo.pdf")
    assert str(papers) in proc.stdout
    signed_pages, paper_pages = page_texts(signed), page_texts(papers)
    # the signed appendix: only “Tổng hợp”, numbered on its own, ending at its signature
    assert all(p.rstrip().endswith(CONSOLIDATED_SHEET) for p in signed_pages)
    assert [re.search(r"Trang (\d+)/(\d+)", p).groups() for p in signed_pages] == [
        (str(k), str(len(signed_pages))) for k in range(1, len(signed_pages) + 1)]
    text = "\n".join(signed_pages)
    assert "Chi tiết đơn vị" not in text and "CHI TIẾT" not in text and "không ký" not in text
    assert "CHỦ TỊCH" in signed_pages[-1] and "14/14 xã, thị trấn" in text
    assert "Đề nghị tỉnh tiếp tục mở lớp tập huấn" in re.sub(r"\s+", " ", text)  # the district's own words
    # the working papers: every page says so, every sheet has its title
    assert all(p.lstrip().startswith(NOT_SIGNED) for p in paper_pages)
    papers_text = "\n".join(paper_pages)
    for title in TITLES:
        assert title in papers_text, title
    assert "Nộp muộn" in papers_text and "Muộn hạn" not in papers_text


def test_a_resaved_consolidated_workbook_still_prints_as_a_pair(tmp_path, soffice):
    """An office that opened and saved the workbook in LibreOffice still gets the pair; a unit's form
    prints as one PDF."""
    poppler()
    result = merged(INBOX, tmp_path / "tong-hop.xlsx")
    resaved = convert_with_soffice(soffice, [result.out], tmp_path / "lo")[result.out]
    made, form = to_pdf([resaved, INBOX / "23641_2020.xlsx"], tmp_path / "pdf", soffice=soffice)
    assert made.pdf and made.attachment and made.problem is None
    assert {p.rstrip().rsplit(None, 1)[-1] for p in page_texts(made.pdf)} == {"hợp"}  # “Tổng hợp” only
    assert STATUS_SHEET in "\n".join(page_texts(made.attachment))
    assert form.pdf and form.attachment is None
    assert sorted(p.name for p in (tmp_path / "pdf").iterdir()) == [
        "23641_2020.pdf", "tong-hop.pdf", "tong-hop_tai-lieu-kem-theo.pdf"]


def test_working_papers_that_fail_to_print_are_reported_not_hidden(tmp_path):
    """The signed appendix printed but the working papers did not: the result says so (exit 1 in
    the command), the appendix is still delivered."""
    from qcdc_excel.pdf import PdfResult, _deliver

    made = tmp_path / "out.pdf"
    made.write_bytes(b"%PDF-1.4 appendix")
    res = PdfResult(tmp_path / "tong-hop.xlsx", None)
    _deliver(res, made, tmp_path / "tong-hop.pdf", attachment=False)
    _deliver(res, tmp_path / "missing.pdf", tmp_path / "tong-hop.pdf", attachment=True)
    assert res.pdf == tmp_path / "tong-hop.pdf" and res.attachment is None and res.problem == "pdf-failed"
