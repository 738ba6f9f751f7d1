"""Issue 22 §5: form version 3 is an appendix an official signs — the issuing organ (“UBND HUYỆN KBANG /
UBND XÃ KON PNE”, or the Party block), “(Kèm theo Báo cáo số … ngày …)” from two cells the unit types and
the reader reads back — while the forms of versions 1 and 2 that units hold are read exactly as before."""
from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel import Outputs, Scope, load_roster, merge
from qcdc_excel.form import CONSOLIDATED_SHEET, FORM_SHEET, META_SHEET
from qcdc_excel.form_sheet import attached_line_text
from qcdc_excel.identity import Identity
from qcdc_excel.layout import CURRENT_FORM_VERSION, form_layout
from qcdc_excel.periods import parse_period
from qcdc_excel.roster import organ_lines, party_committee
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.template import template_bytes
from qcdc_excel.validate import read_submission

from .conftest import KBANG_ROSTER, ROOT, SAMPLES, convert_with_soffice
from .test_print import pages, poppler

V2 = ROOT / "tests" / "files" / "form-v2"  # the blank templates published as form version 2
KON_PNE = Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang")
KBANG = Identity("625", "Huyện Kbang", "64", "Tỉnh Gia Lai")

PUBLISHED_FINGERPRINTS = {
    "1/xa/own": "sha256:0b1670c75e0204d747b406f78c172fe5d925f39c613be882ed07c2bffbf8c719",
    "1/xa/consolidated": "sha256:ce5fb93a094e6babafa89faa4a4ef791be78d272c6f21aebd360085701680c2e",
    "1/huyen/own": "sha256:88b9804d7e42d4597bfd0077bc4c724a2d7b5bbfed95fc09901fd59fb681eaac",
    "1/huyen/consolidated": "sha256:d7cb0b6898db7ebaf582a9f9f003cd58b7d6cfd7a10996c73d74a59fce3bde93",
    "1/tinh/own": "sha256:03ff9d1ef28a42945040fc39479047aa14d3a3d7a3f8174c4fd21799c26776e6",
    "1/tinh/consolidated": "sha256:83111a12faa404c1bc68fc958829ec731dd0434e87e8114df8a3ba91d24af252",
    "2/xa/own": "sha256:ebb0f267ff224a79c95673014edf26c9982fc153c7e2240b445fbb8bce2a693d",
    "2/xa/consolidated": "sha256:b974c88d3b458236d0fc660991172c8eeb207ce6ca84852a4b816e2caefa6e88",
    "2/huyen/own": "sha256:8e994401edfad080a20601c6ec5690b15f441caec989dbbe6a26b918d3984154",
    "2/huyen/consolidated": "sha256:7add1bef0f155b16d05e001103211a5fd091af139707feb987c73f8b5b081cd1",
    "2/tinh/own": "sha256:a307da9e837791204ff6cbbf5db223d3a3022f12d9291a46b04c878fd486c891",
    "2/tinh/consolidated": "sha256:49af353761065a5db288b249d852621cab1f50f1d68a12d0cd8471164c25965a",
}


def test_versions_1_and_2_keep_their_fingerprints(catalog):
    """The structure fingerprints the files units hold carry: a changed one would refuse their forms."""
    assert CURRENT_FORM_VERSION == "3"
    for key, fingerprint in PUBLISHED_FINGERPRINTS.items():
        version, level, form = key.split("/")
        assert form_layout(catalog.version, level, form, version).fingerprint == fingerprint, key
    assert form_layout(catalog.version, "xa").fingerprint not in PUBLISHED_FINGERPRINTS.values()


@pytest.mark.parametrize("level", ("xa", "huyen", "tinh"))
def test_published_version_2_templates_are_still_read(tmp_path, catalog, level):
    path = V2 / f"bieu-mau-{level}.xlsx"
    v2 = form_layout(catalog.version, level, "own", "2")
    ids = v2.identity_cells
    values = valid_values(catalog, v2.input_codes, random.Random(3))
    filled = fill_workbook(path, values, tmp_path / f"{level}.xlsx", report_date=dt.date(2023, 4, 2),
                           extra={ids["unit_code"]: "23641", ids["unit_name"]: "Xã Thử", ids["period"]: "Quý I năm 2023"})
    sub = read_submission(filled)
    assert sub.form_version == "2" and sub.status == "accepted", [f.message() for f in sub.findings]
    assert sub.values == {c: v for c, v in values.items() if v is not None}
    assert sub.report_number is None and sub.report_issued is None  # version 2 has no “Kèm theo” line


def test_the_organ_block_follows_the_roster_in_both_styles():
    assert organ_lines("Xã Kon Pne", "Huyện Kbang") == ("UBND HUYỆN KBANG", "UBND XÃ KON PNE")
    assert organ_lines("Tỉnh Gia Lai", "") == ("", "UBND TỈNH GIA LAI")
    assert organ_lines("Huyện Kbang", "Tỉnh Gia Lai", "hd36") == ("HUYỆN ỦY KBANG",
                                                                  "BAN CHỈ ĐẠO THỰC HIỆN DÂN CHỦ Ở CƠ SỞ")
    assert party_committee("Xã Kon Pne") == "ĐẢNG ỦY XÃ KON PNE"
    assert attached_line_text("480/BC-UBND", dt.date(2021, 3, 5)) == \
        "(Kèm theo Báo cáo số 480/BC-UBND ngày 05 tháng 3 năm 2021)"
    assert attached_line_text("", None) == "(Kèm theo Báo cáo số ………… ngày …… tháng …… năm ……)"


def _form(tmp_path: Path, identity: Identity, level: str, style: str = "nd30", name: str = "f.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(template_bytes(level, parse_period("2020"), identity, style=style))
    return path


def test_the_made_form_has_the_organ_block_the_annex_line_and_open_cells_for_the_report(tmp_path, catalog):
    layout = form_layout(catalog.version, "xa")
    g, ids = layout.geometry, layout.identity_cells
    ws = openpyxl.load_workbook(_form(tmp_path, KON_PNE, "xa"))[FORM_SHEET]
    # the organ lines follow the unit's name and parent cells (a blank form follows what is typed)
    assert ws[f"A{g.motto}"].value.startswith("=IF(LEN(TRIM($C$12))") and "UBND" in ws[f"A{g.motto}"].value
    assert ws[f"A{g.motto2}"].font.b and not ws[f"A{g.motto}"].font.b and ws[f"A{g.motto2 + 1}"].value.startswith("───")
    assert ws[f"D{g.motto}"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and ws[f"D{g.motto2}"].font.u
    assert ws[layout.attached_line_ref].value == layout.attached_line_formula()
    for key in ("report_number", "report_issued"):
        assert not ws[ids[key]].protection.locked and ws[ids[key]].value is None
    assert ws[ids["report_number"]].number_format == "@"  # “480/BC-UBND” stays text
    validated = {r.coord for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}
    assert {ids["report_number"], ids["report_issued"]} <= validated
    # the printed columns end at E: the two inputs (column F) never print
    assert ws.print_area == f"'{FORM_SHEET}'!$A$1:$E${layout.sign_name_row}"


def _fill(path: Path, out: Path, catalog, number: str, issued: dt.date) -> Path:
    layout = form_layout(catalog.version, "xa")
    ids = layout.identity_cells
    values = valid_values(catalog, layout.input_codes, random.Random(5))
    return fill_workbook(path, values, out, report_date=dt.date(2020, 10, 20), names=("Lê Văn A", "Đinh Văn B"),
                         extra={ids["report_number"]: number, ids["report_issued"]: issued})


def test_the_report_number_and_date_survive_libreoffice_and_reach_the_record(tmp_path, catalog, soffice):
    filled = _fill(_form(tmp_path, KON_PNE, "xa"), tmp_path / "filled" / "23641_2020.xlsx", catalog,
                   "105/BC-UBND", dt.date(2020, 2, 5))
    sub = read_submission(filled)
    assert sub.accepted and (sub.report_number, sub.report_issued) == ("105/BC-UBND", dt.date(2020, 2, 5))
    resaved = convert_with_soffice(soffice, [filled], tmp_path / "lo")[filled]
    again = read_submission(resaved)
    assert again.accepted, [f.message() for f in again.findings]
    assert (again.report_number, again.report_issued) == ("105/BC-UBND", dt.date(2020, 2, 5))
    values = openpyxl.load_workbook(resaved, data_only=True)[FORM_SHEET]
    g = form_layout(catalog.version, "xa").geometry
    assert values[f"A{g.motto}"].value == "UBND HUYỆN KBANG" and values[f"A{g.motto2}"].value == "UBND XÃ KON PNE"
    assert values[f"A{g.attached}"].value == "(Kèm theo Báo cáo số 105/BC-UBND ngày 05 tháng 02 năm 2020)"


def _pdf_text(tmp_path: Path, files: list[Path]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    env["LANG"] = "C"
    script = Path(sys.executable).with_name("qcdc-excel")
    cmd = [str(script)] if script.is_file() else [sys.executable, "-c", "from qcdc_excel.cli import run; run()"]
    subprocess.run([*cmd, "pdf", *map(str, files), "--out", str(tmp_path / "pdf")], check=True, env=env,
                   capture_output=True, timeout=600)
    return {f.stem: pages(tmp_path / "pdf" / f"{f.stem}.pdf")[0]["text"] for f in files}


def test_the_printed_form_shows_the_organ_block_and_the_annex_line(tmp_path, catalog, soffice):
    poppler()
    commune = _fill(_form(tmp_path, KON_PNE, "xa"), tmp_path / "xa.xlsx", catalog, "480/BC-UBND", dt.date(2020, 10, 30))
    district = _form(tmp_path, KBANG, "huyen", "hd36", "huyen-hd36.xlsx")
    text = _pdf_text(tmp_path, [commune, district])
    first = [" ".join(line.split()) for line in text["xa"].splitlines() if line.strip()]
    assert first[0] == "UBND HUYỆN KBANG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", first[:3]
    assert first[1] == "UBND XÃ KON PNE Độc lập - Tự do - Hạnh phúc", first[:3]
    assert "(Kèm theo Báo cáo số 480/BC-UBND ngày 30 tháng 10 năm 2020)" in text["xa"]
    party = [" ".join(line.split()) for line in text["huyen-hd36"].splitlines() if line.strip()]
    assert party[0] == "HUYỆN ỦY KBANG ĐẢNG CỘNG SẢN VIỆT NAM", party[:3]
    assert party[1] == "BAN CHỈ ĐẠO THỰC HIỆN DÂN CHỦ Ở CƠ SỞ" and party[2] == "*", party[:4]
    assert "(Kèm theo Báo cáo số ………… ngày …… tháng …… năm ……)" in text["huyen-hd36"]


def test_the_consolidated_summary_has_the_consolidating_units_block(tmp_path, catalog):
    merge(SAMPLES / "kbang-2020" / "inbox", Scope(load_roster(KBANG_ROSTER), "2020"), Outputs(tmp_path / "t.xlsx"))
    layout = form_layout(catalog.version, "huyen", "consolidated")
    g, ids = layout.geometry, layout.identity_cells
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx", data_only=True)
    ws = wb[CONSOLIDATED_SHEET]
    assert (ws[f"A{g.motto}"].value, ws[f"A{g.motto2}"].value) == ("UBND TỈNH GIA LAI", "UBND HUYỆN KBANG")
    assert ws[f"A{g.attached}"].value == "(Kèm theo Báo cáo số ………… ngày 30 tháng 10 năm 2020)"
    formulas = openpyxl.load_workbook(tmp_path / "t.xlsx")[CONSOLIDATED_SHEET]
    assert all(not formulas[ids[k]].protection.locked for k in ("report_number", "report_issued", "report_date"))
    sub = read_submission(tmp_path / "t.xlsx")
    assert sub.accepted and sub.report_issued == dt.date(2020, 10, 30) and sub.report_date == dt.date(2020, 10, 30)
    assert META_SHEET in wb.sheetnames


def test_the_word_report_takes_the_number_and_date_the_workbook_gives(tmp_path, catalog):
    """The consolidated workbook's “Kèm theo” line names the report it goes with: `report` numbers and
    dates that report so."""
    from click.testing import CliRunner

    from qcdc_excel.cli import main

    from .test_report import text_of

    merge(SAMPLES / "kbang-2020" / "inbox", Scope(load_roster(KBANG_ROSTER), "2020"), Outputs(tmp_path / "t.xlsx"))
    ids = form_layout(catalog.version, "huyen", "consolidated").identity_cells
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    wb[CONSOLIDATED_SHEET][ids["report_number"]] = "480/BC-UBND"
    wb[CONSOLIDATED_SHEET][ids["report_issued"]] = dt.datetime(2020, 11, 2)
    wb.save(tmp_path / "edited.xlsx")
    r = CliRunner().invoke(main, ["report", str(tmp_path / "edited.xlsx"), "--out", str(tmp_path / "b.docx")])
    assert r.exit_code == 0, r.output
    text, _ = text_of(tmp_path / "b.docx")
    assert "Số: 480/BC-UBND" in text and "Kbang, ngày 02 tháng 11 năm 2020" in text
    assert "(Kèm theo Báo cáo số 480/BC-UBND ngày 02 tháng 11 năm 2020 của Ủy ban nhân dân huyện Kbang)" in text


def test_the_consolidated_appendix_goes_with_the_report_the_districts_own_form_names(tmp_path, catalog):
    import shutil

    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "kbang-2020" / "inbox", inbox)
    before = merge(inbox, Scope(load_roster(KBANG_ROSTER), "2020"), Outputs(tmp_path / "a.xlsx"))
    old = next(d.sub for d in before.consolidation.details if d.is_parent_own)
    ids = form_layout(catalog.version, "huyen").identity_cells
    fill_workbook(template_bytes("huyen", parse_period("2020"), KBANG), old.values, inbox / "625_2020 (mau moi).xlsx",
                  report_date=dt.date(2020, 10, 31), extra={ids["report_number"]: "480/BC-UBND",
                                                            ids["report_issued"]: dt.date(2020, 10, 31)})
    after = merge(inbox, Scope(load_roster(KBANG_ROSTER), "2020"), Outputs(tmp_path / "b.xlsx"))
    assert after.consolidation.own_report_number == "480/BC-UBND"
    g = form_layout(catalog.version, "huyen", "consolidated").geometry
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx", data_only=True)[CONSOLIDATED_SHEET]
    assert ws[f"A{g.attached}"].value == "(Kèm theo Báo cáo số 480/BC-UBND ngày 31 tháng 10 năm 2020)"
