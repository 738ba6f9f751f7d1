"""Exit codes and completeness that tell the truth (issue 19, §4).

Every case runs the real command on real files: copies of the Kbang sample inbox in tmp_path
(the sample itself is never written), a form really encrypted with msoffcrypto-tool, a CSV renamed
.xlsx, an old consolidated workbook made by ``merge`` itself.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import random
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel import load_roster, parse_period
from qcdc_excel.cli import main
from qcdc_excel.consolidate import unit_in_name
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.roster import Roster, Unit
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.template import template_bytes
from qcdc_excel.workbook_writer import STATUS

from .conftest import KBANG_ROSTER, SAMPLES

KBANG_INBOX = SAMPLES / "kbang-2020" / "inbox"
ROSTER = load_roster(KBANG_ROSTER)
COMMUNES = [u.code for u in ROSTER.children_of("625")]


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def inbox_copy(tmp_path: Path, name: str = "hop-thu") -> Path:
    inbox = tmp_path / name
    shutil.copytree(KBANG_INBOX, inbox)
    return inbox


def merge_run(inbox: Path, out: Path, *extra: object):
    """``merge`` of ``inbox`` with the Kbang roster; returns the result and the JSON report's units."""
    r = invoke("merge", inbox, "--roster", KBANG_ROSTER, "--out", out, "--json", out.with_suffix(".json"), *extra)
    assert "Traceback" not in r.output, r.output
    units = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["units"] if out.exists() else None
    return r, units


def status_rows(workbook: Path) -> dict[str, str]:
    """Unit code -> status in the “Tình hình nộp” sheet's list of expected units."""
    rows = list(openpyxl.load_workbook(workbook)[STATUS].iter_rows(values_only=True))
    start = next(k for k, row in enumerate(rows) if row[3] == "Tình trạng")
    end = next(k for k, row in enumerate(rows) if row[0] == "CÁC TỆP ĐÃ NHẬN")
    return {row[1]: row[3] for row in rows[start + 1:end] if isinstance(row[0], int)}


def encrypt(path: Path) -> None:
    """Encrypt ``path`` in place with a password to open, as Excel does (ECMA-376 agile)."""
    pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(path.read_bytes())).encrypt("Matkhau@2020", out)
    path.write_bytes(out.getvalue())


# --- the roster decides who consolidates -------------------------------------------------------------
def test_roster_top_is_the_unit_where_the_roster_branches(tmp_path):
    assert ROSTER.top() == "625"  # Gia Lai is listed only as Kbang's parent
    assert load_roster(SAMPLES / "rosters" / "post2025-province.csv").top() == "04"
    two_roots = Roster({"1": Unit("1", "A", "tinh", None), "2": Unit("2", "B", "tinh", None)})
    assert two_roots.top() is None
    # a province over a single commune: the commune does not consolidate anything
    lone = Roster({"04": Unit("04", "Tỉnh", "tinh", None), "01273": Unit("01273", "Phường", "xa", "04")})
    assert lone.top() == "04"


def test_wrong_period_still_expects_the_roster_units_and_exits_1(tmp_path):
    inbox = inbox_copy(tmp_path)
    right, right_units = merge_run(inbox, tmp_path / "dung-ky.xlsx", "--period", "2020")
    wrong, units = merge_run(inbox, tmp_path / "sai-ky.xlsx", "--period", "2021")
    assert right.exit_code == 0 and wrong.exit_code == 1, wrong.output
    assert units["parent"] == right_units["parent"] == "625"
    assert units["expected"] == right_units["expected"] == COMMUNES and len(COMMUNES) == 14
    assert units["rejected"] == COMMUNES and units["missing"] == [] and units["accepted"] == []
    assert units["counts"]["received"] == 14
    assert "TỔNG HỢP Huyện Kbang (625) — kỳ 2021 — 0 đơn vị" in wrong.stdout
    assert "14 phải nộp, 0 được chấp nhận" in wrong.stdout
    assert "không tệp nào là kỳ 2021" in wrong.stderr and "2020" in wrong.stderr
    assert set(status_rows(tmp_path / "sai-ky.xlsx").values()) == {"Bị trả lại"}
    assert len(status_rows(tmp_path / "sai-ky.xlsx")) == 14


def form_of_2021(path: Path, catalog, code: str = "23638") -> Path:
    unit = ROSTER[code]
    values = valid_values(catalog, form_layout(catalog.version, unit.level).input_codes, random.Random(7))
    return fill_workbook(template_bytes(unit.level, parse_period("2021"), Identity.of(unit, ROSTER)), values, path,
                         report_date=dt.datetime(2021, 10, 1))


def test_another_periods_file_counts_as_pending_only_until_replaced(tmp_path, catalog):
    """A 2021 report sent to the 2020 round is returned; the unit that also sent its accepted 2020
    report has nothing left to do, the unit that sent only the 2021 one has."""
    from qcdc_excel import Outputs, Scope, merge

    inbox = inbox_copy(tmp_path)
    form_of_2021(inbox / "23638_2021.xlsx", catalog)
    result = merge(inbox, Scope(ROSTER, "2020"), Outputs(tmp_path / "t.xlsx"))
    assert result.ok, [(r.sub.path.name, r.role) for r in result.consolidation.pending()]
    assert result.to_json()["units"]["rejected"] == []
    (inbox / "23638_2020.xlsx").unlink()
    result = merge(inbox, Scope(ROSTER, "2020"), Outputs(tmp_path / "u.xlsx"))
    assert not result.ok and [r.sub.path.name for r in result.consolidation.pending()] == ["23638_2021.xlsx"]
    units = result.to_json()["units"]
    assert units["rejected"] == ["23638"] and "23638" not in units["missing"]


def test_include_rejected_changes_what_is_counted_not_the_exit_code(tmp_path):
    inbox = inbox_copy(tmp_path)
    (inbox / "23650_2020.xlsx").unlink()  # the rejected first attempt is left unreplaced
    counted, units = merge_run(inbox, tmp_path / "t.xlsx", "--period", "2020", "--include-rejected")
    assert counted.exit_code == 1, counted.output
    assert units["unverified"] and units["included"] == 14  # the rejected report is counted
    plain, units = merge_run(inbox, tmp_path / "u.xlsx", "--period", "2020")
    assert plain.exit_code == 1 and units["rejected"] == ["23650"] and units["included"] == 13
    # with the accepted replacement back, both runs are done
    shutil.copy(KBANG_INBOX / "23650_2020.xlsx", inbox / "23650_2020.xlsx")
    again, units = merge_run(inbox, tmp_path / "v.xlsx", "--period", "2020", "--include-rejected")
    assert again.exit_code == 0 and not units["unverified"], again.output


# --- an unreadable file from a known unit -------------------------------------------------------------
@pytest.mark.parametrize("name, code", [
    ("23644_2020.xlsx", "23644"), ("BC 23644 nam 2020.xlsx", "23644"), ("bao-cao-xa-23644.xlsx", "23644"),
    ("23644_23647.xlsx", None), ("bao-cao.xlsx", None), ("2020.xlsx", None), ("236440.xlsx", None),
])
def test_unit_in_name_needs_exactly_one_roster_code(name, code):
    assert unit_in_name(name, ROSTER) == code


def test_unit_in_name_keeps_leading_zeros():
    province = load_roster(SAMPLES / "rosters" / "post2025-province.csv")
    assert unit_in_name("01273_2025.xlsx", province) == "01273"
    assert unit_in_name("1273_2025.xlsx", province) is None


@pytest.mark.parametrize("name", ["23644_2020.xlsx", "BC 23644 nam 2020.xlsx"])
def test_an_encrypted_file_named_after_its_unit_is_sent_but_unreadable(tmp_path, name):
    inbox = inbox_copy(tmp_path)
    (inbox / "23644_2020.xlsx").rename(inbox / name)
    encrypt(inbox / name)
    before = (inbox / name).read_bytes()
    r, units = merge_run(inbox, tmp_path / "t.xlsx", "--period", "2020", "--feedback-dir", tmp_path / "gop-y")
    assert r.exit_code == 1, r.output
    assert units["unreadable"] == ["23644"] and "23644" not in units["missing"]
    assert units["counts"]["unreadable"] == 1 and units["counts"]["missing"] == 0
    assert units["counts"]["received"] == 14
    assert status_rows(tmp_path / "t.xlsx")["23644"] == "Đã nộp — tệp không đọc được"
    assert "1 đã nộp nhưng tệp không đọc được" in r.stdout
    [note] = (tmp_path / "gop-y").glob("*.txt")
    text = note.read_text(encoding="utf-8-sig")
    assert "bỏ mật khẩu" in text and "gửi lại" in text and ".xlsx" in text
    # the Vietnamese Excel menus first, the English ones after them
    assert 0 <= text.index("Tệp > Thông tin > Bảo vệ Sổ làm việc > Mã hóa bằng Mật khẩu") < text.index("File > Info")
    assert (inbox / name).read_bytes() == before


def test_an_unreadable_file_naming_no_single_unit_leaves_the_unit_missing(tmp_path):
    inbox = inbox_copy(tmp_path)
    (inbox / "23644_2020.xlsx").rename(inbox / "bao-cao.xlsx")
    encrypt(inbox / "bao-cao.xlsx")
    r, units = merge_run(inbox, tmp_path / "t.xlsx", "--period", "2020")
    assert r.exit_code == 1 and units["missing"] == ["23644"] and units["unreadable"] == []


# --- an old consolidated workbook in the inbox ------------------------------------------------------
def test_an_old_consolidated_workbook_does_not_change_who_consolidates(tmp_path):
    inbox = inbox_copy(tmp_path)
    first, units = merge_run(inbox, tmp_path / "tong-hop-cu.xlsx", "--period", "2020")
    assert first.exit_code == 0
    shutil.copy(tmp_path / "tong-hop-cu.xlsx", inbox / "tong-hop-cu.xlsx")
    again, again_units = merge_run(inbox, tmp_path / "t.xlsx", "--period", "2020")
    assert again.exit_code == 0, again.output
    assert again_units["parent"] == "625" and again_units["expected"] == units["expected"] == COMMUNES
    assert again_units["counts"] == units["counts"]
    assert [Path(p).name for p in again_units["excluded"]] == ["tong-hop-cu.xlsx"]
    assert "Cảnh báo" in again.stderr and "tong-hop-cu.xlsx" in again.stderr and "625" in again.stderr


# --- misuse and the pdf command ------------------------------------------------------------------
def test_merge_of_a_file_says_the_inbox_must_be_a_folder(tmp_path):
    form = tmp_path / "23638_2020.xlsx"
    shutil.copy(KBANG_INBOX / "23638_2020.xlsx", form)
    r = invoke("merge", form, "--out", tmp_path / "t.xlsx")
    assert r.exit_code == 2 and "không phải thư mục" in r.stderr and str(tmp_path) in r.stderr
    assert "Không tìm thấy" not in r.stderr and not (tmp_path / "t.xlsx").exists()
    r = invoke("--lang", "en", "merge", form, "--out", tmp_path / "t.xlsx")
    assert r.exit_code == 2 and "not a folder" in r.stderr


def test_the_empty_inbox_message_names_only_what_is_accepted(tmp_path):
    inbox = tmp_path / "hop-thu"
    inbox.mkdir()
    (inbox / "ghi-chu.txt").write_text("x", encoding="utf-8")
    r = invoke("merge", inbox, "--out", tmp_path / "t.xlsx")
    assert r.exit_code == 1 and ".xlsx" in r.stderr
    assert not any(s in r.stderr for s in (".csv", ".ods", ".xls,", ".xls)", ".xlsb"))


def test_pdf_out_that_cannot_be_written_is_a_usage_error(tmp_path):
    form = tmp_path / "23638_2020.xlsx"
    shutil.copy(KBANG_INBOX / "23638_2020.xlsx", form)
    blocker = tmp_path / "ket-qua"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    r = invoke("pdf", form, "--out", blocker / "pdf")
    assert r.exit_code == 2 and str(blocker / "pdf") in r.stderr and "--out" in r.stderr
    assert not list(tmp_path.glob("**/*.pdf"))


def test_pdf_refuses_a_csv_renamed_xlsx_and_converts_the_rest(tmp_path, soffice):
    fake = tmp_path / "bao-cao.xlsx"
    fake.write_text("Mã,Chỉ tiêu,Số liệu\n23638,II.5.1,12\n", encoding="utf-8")
    form = tmp_path / "23638_2020.xlsx"
    shutil.copy(KBANG_INBOX / "23638_2020.xlsx", form)
    out = tmp_path / "pdf"
    r = invoke("pdf", fake, form, "--out", out)
    assert r.exit_code == 1, r.output
    assert not (out / "bao-cao.pdf").exists() and (out / "23638_2020.pdf").is_file()
    assert "bao-cao.xlsx" in r.stderr and "không phải sổ Excel" in r.stderr and "CSV" in r.stderr


# --- feedback copies speak the units' language ----------------------------------------------------
def test_feedback_files_are_vietnamese_whatever_the_console_language(tmp_path):
    inbox = tmp_path / "hop-thu"
    inbox.mkdir()
    shutil.copy(KBANG_INBOX / "23638_2020.xlsx", inbox)
    shutil.copy(KBANG_INBOX / "23644_2020.xlsx", inbox)
    encrypt(inbox / "23644_2020.xlsx")
    for extra, folder, words in [((), "vi", "KẾT QUẢ KIỂM TRA TỆP BÁO CÁO"),
                                 (("--feedback-lang", "en"), "en", "FILE CHECK RESULT")]:
        r = invoke("--lang", "en", "merge", inbox, "--out", tmp_path / f"{folder}.xlsx",
                   "--feedback-dir", tmp_path / folder, *extra)
        assert r.exit_code == 1 and "CONSOLIDATED" in r.stdout
        [note] = (tmp_path / folder).glob("*.txt")
        assert note.read_text(encoding="utf-8-sig").startswith(words)
        receipt = openpyxl.load_workbook(next((tmp_path / folder).glob("23638*.xlsx")))
        texts = " ".join(str(c.value) for ws in receipt.worksheets[:1] for row in ws.iter_rows() for c in row
                         if isinstance(c.value, str))
        assert ("BIÊN NHẬN BÁO CÁO" in texts) == (folder == "vi"), texts[:300]
        assert ("REPORT RECEIPT" in texts) == (folder == "en"), texts[:300]
        v = invoke("--lang", "en", "validate", inbox / "23644_2020.xlsx", "--feedback-dir", tmp_path / f"v-{folder}",
                   *extra)
        assert v.exit_code == 1
        [note] = (tmp_path / f"v-{folder}").glob("*.txt")
        assert note.read_text(encoding="utf-8-sig").startswith(words)


def test_library_merge_writes_vietnamese_feedback_unless_asked(tmp_path):
    from qcdc_excel import Outputs, Scope, merge

    inbox = tmp_path / "hop-thu"
    inbox.mkdir()
    shutil.copy(KBANG_INBOX / "23644_2020.xlsx", inbox)
    encrypt(inbox / "23644_2020.xlsx")
    result = merge(inbox, Scope(ROSTER, "2020"), Outputs(tmp_path / "t.xlsx", tmp_path / "vi", lang="en"))
    assert result.feedback[0].read_text(encoding="utf-8-sig").startswith("KẾT QUẢ KIỂM TRA")
    result = merge(inbox, Scope(ROSTER, "2020"), Outputs(tmp_path / "u.xlsx", tmp_path / "en", feedback_lang="en"))
    assert result.feedback[0].read_text(encoding="utf-8-sig").startswith("FILE CHECK RESULT")
