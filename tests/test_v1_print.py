"""Version 1 forms, which units still send, print as well as the current form (issue 22 §6).

The shipped Kbang inbox keeps two version 1 files; with a version 1 form filled with long remarks
(and a number typed as text: a warning, so its feedback is a marked copy of the form; the clean
files' receipts are one page of their own, ``test_receipt``) and the feedback copies made of them, they are printed by ``qcdc-excel pdf`` in one
LibreOffice start under ``LANG=C`` and read back with poppler; the print copy itself (a temporary
file, the input is never changed) is opened with openpyxl for its scale and page breaks.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel.catalog import Heading
from qcdc_excel.feedback import write_feedback_files
from qcdc_excel.form import FEEDBACK_SHEET, FORM_SHEET
from qcdc_excel.form_sheet import fit_height
from qcdc_excel.pdf import _print_copy, to_pdf
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.validate import read_submission

from .conftest import ROOT, SAMPLES
from .test_print import pages, poppler

INBOX = SAMPLES / "kbang-2020" / "inbox"
V1_TEMPLATE = ROOT / "tests" / "files" / "form-v1" / "bieu-mau-xa.xlsx"
LONG_TEXT = ("Cấp ủy, chính quyền xã tiếp tục quán triệt Luật Thực hiện dân chủ ở cơ sở năm 2022 đến từng "
             "thôn, làng; công khai đầy đủ các nội dung Nhân dân được biết; tổ chức đối thoại định kỳ giữa "
             "người đứng đầu với Nhân dân. ") * 6 + "HẾT ĐOẠN VĂN."


def long_version_1(folder: Path, catalog) -> Path:
    """A version 1 form of Xã Kon Pne with remarks of some 1,300 characters."""
    import random

    from qcdc_excel.layout import form_layout

    v1 = form_layout(catalog.version, "xa", "own", "1")
    values = valid_values(catalog, v1.input_codes, random.Random(22))
    values.update({"V.1": LONG_TEXT, "V.2": "Đề nghị huyện hỗ trợ kinh phí hoạt động cho tổ hòa giải.",
                   "II.1.2": "7"})  # a number typed as text: accepted with a warning
    return fill_workbook(V1_TEMPLATE, values, folder / "23641_2020_dai.xlsx", report_date=dt.date(2020, 10, 20),
                         names=("Nguyễn Văn An", "Trần Văn Bình"),
                         extra={"C7": "23641", "C8": "Xã Kon Pne", "C9": "625 – Huyện Kbang", "C10": "2020"})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def printed(tmp_path_factory, soffice):
    """{name: (submission, pdf pages)} for the version 1 files, their feedback copies and a long one."""
    poppler()
    from qcdc_excel.catalog import load_catalog

    d = tmp_path_factory.mktemp("v1-print")
    forms = [INBOX / "625_2020_huyen.xlsx", INBOX / "23638_2020.xlsx", long_version_1(d, load_catalog())]
    made_back = write_feedback_files([read_submission(p) for p in forms], d / "gop-y")
    # the clean files get a one-page receipt of their own (no form in it); the warned one its marked copy
    receipts = [p for p in made_back if openpyxl.load_workbook(p).sheetnames == [FEEDBACK_SHEET]]
    assert sorted(p.name[:5] for p in receipts) == ["23638", "625_2"]
    files = forms + [p for p in made_back if p not in receipts]
    before = {p: digest(p) for p in files}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LANG", "C")
        mp.delenv("LC_ALL", raising=False)
        made = to_pdf(files, d / "pdf", soffice=soffice)
    assert {p: digest(p) for p in files} == before  # the inputs are never changed
    out = {}
    for res in made:
        assert res.pdf is not None, (res.source, res.problem)
        raw = subprocess.run(["pdftotext", str(res.pdf), "-"], capture_output=True, text=True, check=True).stdout
        out[res.source.name] = (read_submission(res.source), pages(res.pdf), " ".join(raw.split()))
    return out


def test_the_version_1_files_are_version_1(printed):
    assert {name: sub.form_version for name, (sub, _, _) in printed.items()} == dict.fromkeys(printed, "1")
    assert len(printed) == 4


def test_a_version_1_print_holds_its_remarks_whole(printed):
    for name, (sub, _, text) in printed.items():
        for code in ("V.1", "V.2"):
            remark = sub.values.get(code)
            assert isinstance(remark, str) and remark, (name, code)
            assert " ".join(remark.split()) in text, (name, code)


def test_every_page_has_its_footer_and_a_sane_count(printed):
    for name, (sub, got, _) in printed.items():
        front = 1 if "ket-qua-kiem-tra" in name else 0  # a feedback copy's front sheet comes first
        form_pages = got[front:]
        limit = 6 if len(sub.values["V.1"]) > 500 else 4 if sub.level == "xa" else 2
        assert 1 <= len(form_pages) <= limit, (name, len(form_pages))
        for n, page in enumerate(form_pages, start=1):
            assert f"Mã số liệu: {sub.fingerprint}" in page["text"], (name, n)
            assert f"Trang {n + front}/{len(got)}" in page["text"], (name, n)


def test_the_header_block_is_not_overprinted_and_has_nothing_for_machines(printed):
    for name, (sub, got, _) in printed.items():
        front = 1 if "ket-qua-kiem-tra" in name else 0
        text = "".join(p["text"] for p in got[front:])
        parent = "64" if sub.level == "huyen" else "625"
        assert "Đơn vị cấp trên:" in text and f"{parent} –" in text, name
        assert f"tr{parent}" not in text, name  # “Đơn vị cấp tr625 – Huyện Kbang”
        assert "Tự kiểm tra" not in text and "Mẫu biểu" not in text and "Cấp xã" not in text, name
        # the period once, in words, under the title (a blank version 1 template left “……” there)
        assert text.count("Kỳ báo cáo") == 1 and "Kỳ báo cáo: Năm 2020" in text and "……" not in text, name


def print_copy(sub, folder: Path):
    path, _ = _print_copy(sub, folder, "copy.xlsx")
    assert path != sub.path
    return openpyxl.load_workbook(path)[FORM_SHEET]


def test_the_print_copy_is_readable_and_keeps_headings_with_their_rows(printed, tmp_path):
    for name, (sub, got, _) in printed.items():
        ws = print_copy(sub, tmp_path)
        layout = sub.layout
        assert not ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.scale * 12 / 100 >= 10  # 12-point text prints at 10 points at least
        assert ws.print_area == f"'{FORM_SHEET}'!$A$1:$E${layout.sign_name_row}"
        last_rows = [b.id for b in ws.row_breaks.brk]  # the last row of each page but the last
        front = 1 if "ket-qua-kiem-tra" in name else 0
        assert len(last_rows) + 1 == len(got) - front, name  # LibreOffice added no break of its own
        seal = sum(ws.row_dimensions[r].height for r in range(layout.sign_title_row + 2, layout.sign_name_row))
        assert 25 <= seal * ws.page_setup.scale / 100 * 25.4 / 72 <= 30, name  # mm on paper for the seal
        headings = {r.row for r in layout.rows if isinstance(r.item, Heading)}
        for row in last_rows:
            assert row not in headings, (name, row)
            assert row < layout.last_table_row, (name, row)  # the last row goes with the signatures
        for r in layout.rows:
            text = ws[f"C{r.row}"].value
            if not isinstance(r.item, Heading) and r.item.kind == "text":
                assert f"C{r.row}:E{r.row}" in {str(m) for m in ws.merged_cells.ranges}
                assert sub.values[r.item.code] in text
                assert ws.row_dimensions[r.row].height >= fit_height(text, 6 + 41 + 12 + 16 - 6)


def test_the_section_v_heading_prints_on_the_page_of_its_remarks(printed):
    for name, (_, got, _) in printed.items():
        page = next(p for p in got if "ĐÁNH GIÁ, KIẾN NGHỊ, ĐỀ XUẤT" in p["text"])
        assert "Nhận xét, đánh giá chung" in page["text"], name


def test_the_input_file_is_never_the_print_copy(tmp_path):
    src = tmp_path / "in.xlsx"
    shutil.copyfile(INBOX / "625_2020_huyen.xlsx", src)
    before = digest(src)
    ws = print_copy(read_submission(src), tmp_path)
    assert ws.column_dimensions["C"].width == 41
    assert digest(src) == before
    assert openpyxl.load_workbook(src)[FORM_SHEET].column_dimensions["C"].width == 58
