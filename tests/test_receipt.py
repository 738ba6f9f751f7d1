"""Receipts and copies to fix as an office issues them (issue 22 §7), on the shipped Kbang files.

An accepted file's front sheet is the receipt “BIÊN NHẬN BÁO CÁO”: who received it, when (Vietnam
time), which file (name, SHA-256 shortened on paper, the full value kept in the file) and the
figures' fingerprint “Mã số liệu”. Every printed front page is numbered as the form's pages are; a
copy returned to be fixed says on every page that it is not a valid report. A clean file's receipt
is an official one-page A4 portrait paper: organ block, motto, title, lines, date and signature. A receipt sent back is
set aside, never read as a new report. The figures' fingerprint covers the remarks.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel import load_catalog, parse_period
from qcdc_excel.feedback import marked_copy
from qcdc_excel.feedback_sheet import (GUIDE_ROW, HEAD_ROW, INFO_ROW, MOTTO, R_DATE, R_TITLE, RECEIPT_TITLE,
                                       RETURNED_FOOTER, SIGNER, TITLE, describe_receipt, short_sha)
from qcdc_excel.fingerprint import figures_fingerprint
from qcdc_excel.form import FEEDBACK_SHEET
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.merging import check
from qcdc_excel.periods import VN_TIME
from qcdc_excel.roster import Office, load_roster
from qcdc_excel.scope import Outputs, Scope
from qcdc_excel.synthetic import fill_workbook
from qcdc_excel.template import template_bytes
from qcdc_excel.validate import read_submission

from .conftest import KBANG_ROSTER, SAMPLES
from .corpus import make_values

INBOX = SAMPLES / "kbang-2020" / "inbox"
ARRIVED = dt.datetime(2020, 10, 28, 9, 15, tzinfo=VN_TIME)  # when the files were saved into the inbox
UNIT = Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang")


def _warned(folder: Path) -> Path:
    """A commune's form with a number typed as text: accepted with a warning."""
    catalog = load_catalog()
    values = make_values(catalog, form_layout(catalog.version, "xa").input_codes, seed=11)
    values["II.1.2"] = "7"
    return fill_workbook(template_bytes("xa", parse_period("2020"), UNIT), values, folder / "23641_canh-bao.xlsx",
                         report_date=dt.datetime(2020, 10, 20), names=("Nguyễn Văn A", "Nguyễn Văn Dũng"))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The feedback of an accepted, a warned and a rejected file, made by ``validate --feedback-dir``'s
    code with the Kbang roster: {kind: (submission, feedback path)}."""
    root = tmp_path_factory.mktemp("receipt")
    inbox = root / "hop-thu"
    inbox.mkdir()
    files = {"accepted": inbox / "23638_2020.xlsx", "rejected": inbox / "23650_2020 (gui lan 1).xlsx"}
    for path in files.values():
        shutil.copyfile(INBOX / path.name, path)
    files["warnings"] = _warned(inbox)
    for path in files.values():
        os.utime(path, (ARRIVED.timestamp(), ARRIVED.timestamp()))
    scope = Scope(load_roster(KBANG_ROSTER), parse_period("2020"))
    result = check([inbox], scope, Outputs(feedback_dir=root / "gop-y"), jobs=1)
    by_path = dict(zip((s.path for s in result.report.submissions), result.feedback))
    out = {}
    for kind, path in files.items():
        sub = next(s for s in result.report.submissions if s.path == path)
        out[kind] = (sub, by_path[path])
    assert {k: s.status for k, (s, _) in out.items()} == {
        "accepted": "accepted", "warnings": "accepted-with-warnings", "rejected": "rejected"}
    return out


def _info(ws) -> dict:
    return {ws.cell(r, 1).value: ws.cell(r, 3).value for r in range(INFO_ROW, GUIDE_ROW)}


@pytest.mark.parametrize("kind", ["warnings", "rejected"])
def test_the_front_sheet_says_who_received_what_and_when(made, kind):
    sub, path = made[kind]
    wb = openpyxl.load_workbook(path)
    ws = wb[FEEDBACK_SHEET]
    assert wb.sheetnames[0] == FEEDBACK_SHEET and len(wb.sheetnames) > 1  # the unit's workbook, marked
    assert "_qcdc_receipt" not in wb.defined_names and "_qcdc_copy" in wb.defined_names
    assert ws.page_setup.orientation == "landscape"  # a marked copy's front sheet stays landscape
    assert ws["A1"].value == (TITLE[0] if kind == "rejected" else RECEIPT_TITLE[0])
    info = _info(ws)
    assert info["Cơ quan nhận"] == "Huyện Kbang"  # the roster's consolidating unit
    assert info["Thời điểm nhận"].startswith("09:15 ngày 28/10/2020 (giờ Việt Nam")
    assert info["Tệp"] == path_name(sub)
    assert info["Dấu tệp (SHA-256)"] == short_sha(sub.sha256)
    assert info["Dấu tệp (SHA-256)"].replace(" ", "").rstrip("…") == sub.sha256[:16]
    assert info["Mã số liệu"] == sub.fingerprint and sub.fingerprint
    # the full SHA-256 is kept in the file, below the printed area
    full = next(r for r in range(HEAD_ROW, ws.max_row + 1) if ws.cell(r, 3).value == sub.sha256)
    area = ws.print_area.replace("$", "").split("!")[-1]
    assert area.startswith("A1:G") and int(area.split(":G")[1]) < full
    # numbered like the form's pages; a copy to fix says on every sheet that it is no valid report
    assert ws.oddFooter.center.text.endswith("Trang &P/&N")
    returned = [s.title for s in wb.worksheets if s.sheet_state == "visible"
                and RETURNED_FOOTER[0] in (s.oddFooter.left.text or "")]
    assert returned == ([s.title for s in wb.worksheets if s.sheet_state == "visible"] if kind == "rejected" else [])


def path_name(sub) -> str:
    return sub.path.name


def _lines(ws) -> dict:
    """The receipt's “label: value” lines as {label: value}."""
    return dict(str(c.value).split(": ", 1) for row in ws.iter_rows(min_col=1, max_col=1) for c in row
                if isinstance(c.value, str) and ": " in c.value and c.row < ws.max_row)


def _merged(ws, ref: str) -> str | None:
    return next((str(m) for m in ws.merged_cells.ranges if str(m).startswith(ref + ":")), None)


def test_the_receipt_is_one_official_portrait_page(made):
    """An accepted file with no finding gets a paper an office issues and signs: organ block and
    motto at the top, the title centred, the information as lines, the result as a sentence, the
    place and the day received, the receiver's signature block; one A4 portrait page."""
    sub, path = made["accepted"]
    wb = openpyxl.load_workbook(path)
    ws = wb[FEEDBACK_SHEET]
    assert wb.sheetnames == [FEEDBACK_SHEET]  # a workbook of its own
    assert {"_qcdc_receipt", "_qcdc_copy"} <= set(wb.defined_names)
    setup = ws.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("portrait", 9, 1, 1)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows is None
    area = ws.print_area.replace("$", "").split("!")[-1]
    assert area == f"A1:C{R_DATE + 3}"
    # organ block top left (the roster's district under its province), motto top right, ruled
    assert (ws["A1"].value, ws["A2"].value) == ("UBND TỈNH GIA LAI", "UBND HUYỆN KBANG") and ws["A2"].font.b
    assert ws["A3"].value.startswith("───")
    assert (ws["C1"].value, ws["C2"].value) == ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
    assert ws["C1"].font.b and ws["C2"].font.u and ws["C2"].alignment.horizontal == "center"
    title = ws[f"A{R_TITLE}"]
    assert title.value == RECEIPT_TITLE[0] and title.font.b and title.alignment.horizontal == "center"
    assert _merged(ws, f"A{R_TITLE}") == f"A{R_TITLE}:C{R_TITLE}"  # centred on the page, not in column A
    lines = _lines(ws)
    assert lines["Cơ quan nhận"] == "Huyện Kbang" and lines["Tệp"] == sub.path.name
    assert lines["Thời điểm nhận"].startswith("09:15 ngày 28/10/2020 (giờ Việt Nam")
    assert lines["Dấu tệp (SHA-256)"] == short_sha(sub.sha256) and lines["Mã số liệu"] == sub.fingerprint
    assert lines["Kết quả"] == "ĐƯỢC CHẤP NHẬN" and lines["Số lỗi / cảnh báo khi kiểm tra"] == "0 / 0"
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("Không phát hiện lỗi.") for t in texts) and "STT" not in texts  # a sentence, no table
    # the place and the day the file was received (not today), the signature block on the right
    assert ws[f"C{R_DATE}"].value == "Kbang, ngày 28 tháng 10 năm 2020" and ws[f"C{R_DATE}"].font.i
    assert (ws[f"C{R_DATE + 1}"].value, ws[f"C{R_DATE + 2}"].value) == ("NGƯỜI NHẬN", "(Ký, ghi rõ họ tên)")
    assert ws[f"C{R_DATE + 1}"].font.b and ws[f"C{R_DATE + 1}"].alignment.horizontal == "center"
    room_mm = ws.row_dimensions[R_DATE + 3].height * 25.4 / 72
    assert 25 <= room_mm <= 30
    assert ws.oddFooter.center.text.endswith("Trang &P/&N")
    # the full SHA-256 is kept in the file, below the printed area
    full = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 3).value == sub.sha256)
    assert full > R_DATE + 3


def test_the_receipt_is_dated_the_day_received_in_vietnam(made):
    """A desk upload at 20:30 UTC on 5 December is received on 6 December in Vietnam: the date line
    says so, whatever the clock says now."""
    sub, _ = made["accepted"]
    late = dataclasses.replace(sub, received=dt.datetime(2026, 12, 5, 20, 30, tzinfo=dt.timezone.utc))
    ws = openpyxl.load_workbook(io.BytesIO(marked_copy(late, office=Office("Huyện Kbang", "Tỉnh Gia Lai")))).active
    assert ws[f"C{R_DATE}"].value == "Kbang, ngày 06 tháng 12 năm 2026"
    assert _lines(ws)["Thời điểm nhận"].startswith("03:30 ngày 06/12/2026")
    # an office known only by its name: that name in capitals; no office at all: a blank place
    named = describe_receipt(late, "vi", "Phường Hội Phú")
    assert [(c.ref, c.value) for c in named.cells[:4]] == [("A1", ""), ("C1", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
                                                           ("A2", "PHƯỜNG HỘI PHÚ"), ("C2", "Độc lập - Tự do - Hạnh phúc")]
    assert next(c.value for c in named.cells if c.ref == f"C{R_DATE}") == "Hội Phú, ngày 06 tháng 12 năm 2026"
    nobody = describe_receipt(dataclasses.replace(late, received=None, path=Path("/nonexistent/x.xlsx")), "vi")
    assert next(c.value for c in nobody.cells if c.ref == f"C{R_DATE}") == "…, ngày … tháng … năm …"


def test_the_receipt_in_english(made):
    sub, _ = made["accepted"]
    office = Scope(load_roster(KBANG_ROSTER), parse_period("2020")).office
    assert office == Office("Huyện Kbang", "Tỉnh Gia Lai")
    ws = openpyxl.load_workbook(io.BytesIO(marked_copy(sub, "en", office=office))).active
    assert ws.page_setup.orientation == "portrait"
    assert (ws["A1"].value, ws["A2"].value) == ("TỈNH GIA LAI", "HUYỆN KBANG")
    assert (ws["C1"].value, ws["C2"].value) == ("SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness")
    assert ws[f"A{R_TITLE}"].value == RECEIPT_TITLE[1]
    assert _lines(ws)["Received by"] == "Huyện Kbang"
    assert ws[f"C{R_DATE}"].value == "Kbang, 28 October 2020"
    assert (ws[f"C{R_DATE + 1}"].value, ws[f"C{R_DATE + 2}"].value) == ("RECEIVED BY", "(Signature and full name)")
    assert ws.oddFooter.center.text.endswith("Page &P/&N")


def _pdf(xlsx: Path, outdir: Path) -> Path:
    """The workbook printed by LibreOffice with the machine in the C locale."""
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("soffice is required under CI")
        pytest.skip("LibreOffice 'soffice' not found")
    from .test_print import poppler

    poppler()
    profile = Path("/tmp") / f"qcdc-lo-profile-{uuid.uuid4().hex}"
    env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
    try:
        subprocess.run([binary, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                        "--convert-to", "pdf", "--outdir", str(outdir), str(xlsx)], env=env,
                       capture_output=True, timeout=600, check=True)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return outdir / (xlsx.stem + ".pdf")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_printed_receipt_is_one_portrait_a4_page(made, lang, tmp_path):
    from .test_print import pages

    sub, _ = made["accepted"]
    office = Scope(load_roster(KBANG_ROSTER), parse_period("2020")).office
    xlsx = tmp_path / f"bien-nhan-{lang}.xlsx"
    xlsx.write_bytes(marked_copy(sub, lang, office=office))
    printed = pages(_pdf(xlsx, tmp_path))
    assert [(p["size"], p["landscape"]) for p in printed] == [((595, 842), False)]
    text = " ".join(printed[0]["text"].split())
    says = {"vi": ("UBND TỈNH GIA LAI", "UBND HUYỆN KBANG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                   "Độc lập - Tự do - Hạnh phúc", RECEIPT_TITLE[0], "Không phát hiện lỗi.",
                   "Kbang, ngày 28 tháng 10 năm 2020", "NGƯỜI NHẬN", "(Ký, ghi rõ họ tên)", "Trang 1/1"),
            "en": ("TỈNH GIA LAI", "HUYỆN KBANG", "SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness",
                   RECEIPT_TITLE[1], "No problems found.", "Kbang, 28 October 2020", "RECEIVED BY", "Page 1/1")}[lang]
    assert [w for w in says if w not in text] == []
    assert sub.path.name in text and short_sha(sub.sha256) in text and sub.sha256 not in text
    assert sub.fingerprint in text
    # the organ block stands left of the motto, the title and the signature block as laid out
    lines = printed[0]["text"].splitlines()
    top = next(ln for ln in lines if MOTTO[int(lang == "en")][0] in ln)
    assert top.index(("UBND TỈNH GIA LAI", "TỈNH GIA LAI")[lang == "en"]) < top.index(MOTTO[int(lang == "en")][0])
    signer = next(ln for ln in lines if SIGNER[int(lang == "en")][0] in ln)
    width = max(len(ln) for ln in lines)
    assert signer.index(SIGNER[int(lang == "en")][0]) > width / 2  # on the right half


@pytest.mark.parametrize("kind", ["accepted", "warnings", "rejected"])
def test_the_printed_front_page_is_one_numbered_page(made, kind, tmp_path):
    from .test_print import pages

    sub, path = made[kind]
    printed = pages(_pdf(path, tmp_path))
    n = len(printed)
    front = printed[0]["text"]
    assert (TITLE[0] if kind == "rejected" else RECEIPT_TITLE[0]) in front
    assert "Huyện Kbang" in front and "09:15 ngày 28/10/2020" in front and sub.path.name in front
    assert short_sha(sub.sha256) in front and sub.sha256 not in front  # shortened on paper
    assert "Mã số liệu" in front and sub.fingerprint in front
    if kind == "accepted":
        assert "Không phát hiện lỗi." in front
    assert "di chuột" not in front  # paper cannot be hovered: the guide names the cells' column instead
    # an accepted file's receipt is one page of its own; a copy's front sheet is one page, then the form
    if kind == "accepted":
        assert n == 1
    else:
        assert n > 1 and RECEIPT_TITLE[0] not in printed[1]["text"] and TITLE[0] not in printed[1]["text"]
    assert [f"Trang {k}/{n}" in p["text"] for k, p in enumerate(printed, start=1)] == [True] * n
    says = ["không phải báo cáo hợp lệ" in p["text"] for p in printed]
    assert says == [kind == "rejected"] * n


def test_a_receipt_or_copy_sent_back_unchanged_is_set_aside(made, tmp_path):
    inbox = tmp_path / "hop-thu"
    inbox.mkdir()
    for _, path in made.values():
        shutil.copyfile(path, inbox / path.name)
    result = check([inbox], Scope(load_roster(KBANG_ROSTER), parse_period("2020")), Outputs(), jobs=1)
    assert result.report.submissions == []
    assert sorted(p.name for p, why in result.report.skipped if why == "feedback-copy") == \
        sorted(p.name for _, p in made.values())
    # read on its own (the web desk reads every upload), a receipt is no report, and says so
    receipt = read_submission(made["accepted"][1])
    assert receipt.is_feedback_copy and receipt.status == "unreadable" and not receipt.values
    assert [f.code for f in receipt.findings] == ["receipt-not-report"]
    assert "biên nhận" in receipt.findings[0].message("vi")


def _remarked(folder: Path, name: str, remark: str) -> Path:
    catalog = load_catalog()
    values = make_values(catalog, form_layout(catalog.version, "xa").input_codes, seed=5)
    values["V.1"] = remark
    return fill_workbook(template_bytes("xa", parse_period("2020"), UNIT), values, folder / name,
                         report_date=dt.datetime(2020, 10, 20), names=("Nguyễn Văn A", "Nguyễn Văn Dũng"))


def test_the_figures_fingerprint_covers_the_remarks(tmp_path, soffice):
    """A short and a long remark give two “Mã số liệu”; the same remark re-spaced, or re-saved by
    LibreOffice, gives the same one."""
    from .conftest import convert_with_soffice

    short = read_submission(_remarked(tmp_path, "ngan.xlsx", "Thực hiện tốt."))
    long = read_submission(_remarked(tmp_path, "dai.xlsx", "Thực hiện tốt.\nCòn một số hạn chế ở thôn xa."))
    spaced = read_submission(_remarked(tmp_path, "cach.xlsx", "  Thực hiện\u00a0 tốt. "))
    assert short.values["V.1"] != long.values["V.1"] and short.status == long.status == "accepted"
    assert short.fingerprint != long.fingerprint
    assert spaced.fingerprint == short.fingerprint
    decomposed = dict(short.values, **{"V.1": "Thực hiện tốt.".replace("ự", "ư\u0323")})
    catalog = load_catalog(short.catalog_version)
    assert figures_fingerprint(decomposed, catalog, short.unit_code, short.period) == short.fingerprint
    resaved = convert_with_soffice(soffice, [long.path], tmp_path / "lo")[long.path]
    again = read_submission(resaved)
    assert again.values["V.1"].split() == long.values["V.1"].split()
    assert again.fingerprint == long.fingerprint
