"""Receipts and copies to fix as an office issues them (issue 22 §7), on the shipped Kbang files.

An accepted file's front sheet is the receipt «BIÊN NHẬN BÁO CÁO»: who received it, when (Vietnam
time), which file (name, SHA-256 shortened on paper, the full value kept in the file) and the
figures' fingerprint «Mã số liệu». Every printed front page is numbered as the form's pages are; a
copy returned to be fixed says on every page that it is not a valid report. A receipt sent back is
set aside, never read as a new report. The figures' fingerprint covers the remarks.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel import load_catalog, parse_period
from qcdc_excel.feedback_sheet import (GUIDE_ROW, HEAD_ROW, INFO_ROW, RECEIPT_TITLE, RETURNED_FOOTER, TITLE,
                                       short_sha)
from qcdc_excel.fingerprint import figures_fingerprint
from qcdc_excel.form import FEEDBACK_SHEET
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.merging import check
from qcdc_excel.periods import VN_TIME
from qcdc_excel.roster import load_roster
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


@pytest.mark.parametrize("kind", ["accepted", "warnings", "rejected"])
def test_the_front_sheet_says_who_received_what_and_when(made, kind):
    sub, path = made[kind]
    wb = openpyxl.load_workbook(path)
    ws = wb[FEEDBACK_SHEET]
    assert wb.sheetnames[0] == FEEDBACK_SHEET
    # the accepted file's receipt is a workbook of its own; the others are the unit's workbook, marked
    assert (wb.sheetnames == [FEEDBACK_SHEET]) == (kind == "accepted")
    assert ("_qcdc_receipt" in wb.defined_names) == (kind == "accepted") and "_qcdc_copy" in wb.defined_names
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
    """A short and a long remark give two «Mã số liệu»; the same remark re-spaced, or re-saved by
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
