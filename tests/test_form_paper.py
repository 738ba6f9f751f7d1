"""The form as the official who signs and stamps it reads it (issue 22 §5): room for the seal, nothing
for machines on paper, and a word on the sections a level does not report.

The printed checks run ``qcdc-excel pdf`` in a subprocess under ``LANG=C`` (one LibreOffice start
for every level and style), then ``pdftotext`` says what the pages show and ``pdftotext -bbox``
where the words sit, so the seal space is measured on the printed page.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qcdc_excel.catalog import Heading, load_catalog
from qcdc_excel.form_sheet import MM_PER_PT, absent_sections_note, describe_form
from qcdc_excel.layout import form_layout
from qcdc_excel.periods import parse_period
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.template import form_heading, template_bytes

from .test_form_print import LEVELS, UNITS
from .test_print import poppler

STYLES = ("nd30", "hd36")
SIGNERS = ("Nguyễn Văn An", "Trần Thị Bình")


def seal_gap_mm(level: str, style: str) -> float:
    """Space between the “(Ký tên, đóng dấu)” row and the name row, in mm on paper (row heights
    of the description at the sheet's print scale)."""
    layout = form_layout(load_catalog().version, level)
    sheet = describe_form(layout, form_heading(layout, None, UNITS[level], style))
    rows = range(layout.sign_title_row + 3, layout.sign_name_row)
    return sum(sheet.height_of(r) for r in rows) * sheet.scale / 100 * MM_PER_PT


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("level", LEVELS)
def test_the_signature_leaves_room_for_a_35_mm_seal(level, style):
    assert 25 <= seal_gap_mm(level, style) <= 30


def test_a_level_that_skips_sections_says_why():
    catalog = load_catalog()
    for level in LEVELS:
        layout = form_layout(catalog.version, level)
        shown = [r.item.code for r in layout.rows if isinstance(r.item, Heading) and r.item.kind == "section"]
        skipped = [h.code for h in catalog.items if isinstance(h, Heading) and h.kind == "section"
                   and h.code not in shown]
        note = absent_sections_note(layout)
        if not skipped:
            assert note == "", level
            continue
        for code in skipped:
            assert f" {code} " in note, (level, code, note)
        assert "do cấp xã báo cáo" in note
        assert absent_sections_note(form_layout(catalog.version, level, "consolidated")) == ""


def _bbox_words(pdf: Path, page: int) -> list[tuple[str, float, float]]:
    """(word, yMin, yMax) in points of every word on ``page``."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(w, float(y0), float(y1)) for y0, y1, w in
            re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', html)]


@pytest.fixture(scope="module")
def paper(tmp_path_factory, soffice):
    """Blank and filled forms of every level in both styles, printed by ``qcdc-excel pdf`` under LANG=C."""
    poppler()
    d = tmp_path_factory.mktemp("paper")
    catalog = load_catalog()
    files = {}
    for level in LEVELS:
        layout = form_layout(catalog.version, level)
        for style in STYLES:
            blank = d / f"blank-{level}-{style}.xlsx"
            blank.write_bytes(template_bytes(level, style=style))
            files[("blank", level, style)] = blank
            values = valid_values(catalog, layout.input_codes, random.Random(5))
            template = template_bytes(level, parse_period("2023Q2"), UNITS[level], style=style)
            files[("filled", level, style)] = fill_workbook(template, values, d / f"filled-{level}-{style}.xlsx",
                                                            report_date=dt.date(2023, 6, 15), names=SIGNERS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    env["LANG"] = "C"
    env["PATH"] = os.pathsep.join([str(Path(soffice).parent), env.get("PATH", "")])
    script = Path(sys.executable).with_name("qcdc-excel")
    cmd = [str(script)] if script.is_file() else [sys.executable, "-c", "from qcdc_excel.cli import run; run()"]
    proc = subprocess.run([*cmd, "pdf", *map(str, files.values()), "--out", str(d / "pdf")], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {key: d / "pdf" / (f.stem + ".pdf") for key, f in files.items()}


@pytest.mark.soffice
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("level", LEVELS)
def test_the_printed_form_carries_nothing_for_machines(paper, level, style):
    for kind in ("blank", "filled"):
        text = subprocess.run(["pdftotext", "-layout", str(paper[(kind, level, style)]), "-"],
                              capture_output=True, text=True, check=True).stdout
        for machine in ("Cấp:", "Cấp xã", "Cấp huyện", "Cấp tỉnh", "Mẫu biểu:", "TỰ KIỂM TRA", "di chuột",
                        "Đã nhập đủ", "chỉ tiêu bắt buộc chưa nhập", "Kiểm tra (tự động"):
            assert machine not in text, (level, style, kind, machine)
        assert "(Ký tên, đóng dấu)" in text and "Đơn vị cấp trên:" in text
        assert re.search(r"Mẫu qcdc-\d{4}\.\d+", text)  # the catalog version, small, in the footer
        note = absent_sections_note(form_layout(load_catalog().version, level))
        if note:
            assert " ".join(note.split()) in " ".join(text.split()), (level, style, kind)


@pytest.mark.soffice
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("level", LEVELS)
def test_the_seal_space_measured_on_the_printed_page(paper, level, style):
    pdf = paper[("filled", level, style)]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    last = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    words = _bbox_words(pdf, last)
    note_bottom = max(y1 for w, y0, y1 in words if w == "dấu)")
    name_top = min(y0 for w, y0, y1 in words if w == SIGNERS[1].split()[0] and y0 > note_bottom)
    gap = (name_top - note_bottom) * MM_PER_PT
    assert 25 <= gap <= 32, (level, style, gap)  # the rows' own padding adds a little to 25-30 mm


@pytest.mark.parametrize("level", LEVELS)
def test_the_screen_colours_print_light_or_not_at_all(tmp_path, level):
    import openpyxl

    layout = form_layout(load_catalog().version, level)
    sheet = describe_form(layout, form_heading(layout, None, UNITS[level]))
    fills = {put.style.fill for put in sheet.cells.values() if put.style.fill}
    assert len(fills) >= 3  # inputs, ratios, section headings
    for fill in fills:  # a faint tint on paper, under black text and a red seal
        assert all(int(fill[i:i + 2], 16) >= 0xDD for i in (0, 2, 4)), fill
    path = tmp_path / "form.xlsx"
    path.write_bytes(template_bytes(level))
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.page_setup.blackAndWhite  # Excel prints it without colours
