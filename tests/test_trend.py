"""The trend (issue 23, part 5): the consolidated workbook's sheet “Diễn biến qua các kỳ” and the Word
report's changes, on real workbooks of a post-2025 province built over several quarters: the third
quarter of 2024, the second and the third of 2025, each merged against the ones before it."""
from __future__ import annotations

import os
import re
import subprocess
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from qcdc_excel import Outputs, Scope, merge
from qcdc_excel.catalog import load_catalog
from qcdc_excel.cli import main
from qcdc_excel.form import TREND_SHEET
from qcdc_excel.history import read_history
from qcdc_excel.periods import parse_period
from qcdc_excel.scope import ReportSpec
from qcdc_excel.trend import trend_of, unit_totals

from .test_history import ROSTER, UNITS, base_values, submit

CATALOG = load_catalog()
PARENT = "04"  # the province of samples/rosters/post2025-province.csv
PERIODS = ("2024Q3", "2025Q2", "2025Q3")


def quarter(seed: int, k: int, period: str) -> dict:
    """A commune's figures: 17 mediations of which 16 settled in 2024Q3 and 2025Q3, 16 and 15 in
    2025Q2 (94,1% and 93,75% over the province); 30 receptions in 2025Q2, 28 in 2025Q3, 25 a year
    before; contributions 1.000 million each but 2.796,9 for the first commune in 2025Q3 (11.796,9)."""
    v = base_values(seed)
    cases, settled = (16, 15) if period == "2025Q2" else (17, 16)
    v.update({"II.5.2": cases, "II.5.3": settled, "II.5.4": cases - settled, "II.5.5": 0})
    v["II.9.1"] = {"2024Q3": 25, "2025Q2": 30, "2025Q3": 28}[period]
    v["II.4.1"] = 2796.9 if (k == 0 and period == "2025Q3") else 1000.0
    v["II.3.2"] = 7  # the same in every period: “bằng”
    return v


@pytest.fixture(scope="module")
def roster():
    from qcdc_excel import load_roster

    return load_roster(ROSTER)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, roster):
    """The three quarters merged in turn, each against the earlier ones (workbook, JSON, report)."""
    base = tmp_path_factory.mktemp("trend")
    communes = [u.code for u in roster.units.values() if u.level == "xa"][:UNITS]
    out = {"base": base, "communes": communes}
    earlier: list = []
    for period in PERIODS:
        inbox = base / f"inbox-{period}"
        inbox.mkdir()
        for k, code in enumerate(communes):
            submit(inbox, roster, code, period, quarter(k, k, period))
        book, js, docx = base / f"TH-{period}.xlsx", base / f"TH-{period}.json", base / f"BC-{period}.docx"
        result = merge(inbox, Scope(roster, period, previous=list(earlier)),
                       Outputs(book, json=js, report=ReportSpec(docx)))
        assert result.report.submissions and all(s.accepted for s in result.report.submissions)
        out[period] = {"book": book, "json": js, "docx": docx, "result": result}
        earlier.append(book)
    return out


def trend_cells(path) -> dict:
    """The trend sheet's rows by indicator code: [cell values from column D on]."""
    ws = openpyxl.load_workbook(path)[TREND_SHEET]
    return {r[0]: list(r[3:]) for r in ws.iter_rows(values_only=True) if r[0] in CATALOG.indicators}


# --- the earlier periods' totals ----------------------------------------------------------------------------
def test_an_earlier_periods_totals_are_its_workbooks_totals(runs):
    """Computed from the units' rows, they equal what the earlier merge itself consolidated."""
    series = read_history([runs["2025Q2"]["book"]])
    got = unit_totals(series, PARENT, parse_period("2025Q2"), CATALOG)
    want = runs["2025Q2"]["result"].consolidation.totals
    assert got.values == {c: v for c, v in want.values.items()}
    assert got.flag_units == want.flag_units and got.units == want.units == UNITS


def test_the_json_file_gives_the_same_trend(runs):
    period = parse_period("2025Q3")
    totals = runs["2025Q3"]["result"].consolidation.totals
    by_book = trend_of(PARENT, period, totals, CATALOG, read_history([runs[p]["book"] for p in PERIODS[:2]]))
    by_json = trend_of(PARENT, period, totals, CATALOG, read_history([runs[p]["json"] for p in PERIODS[:2]]))
    assert [p.code for p in by_book.periods] == list(PERIODS)
    assert {k: t.values for k, t in by_book.totals.items()} == {k: t.values for k, t in by_json.totals.items()}


# --- the sheet ---------------------------------------------------------------------------------------------
def test_no_history_no_trend_sheet(runs):
    assert TREND_SHEET not in openpyxl.load_workbook(runs["2024Q3"]["book"]).sheetnames


def test_the_trend_sheet_has_every_headline_over_the_periods(runs):
    wb = openpyxl.load_workbook(runs["2025Q3"]["book"])
    assert TREND_SHEET in wb.sheetnames
    ws = wb[TREND_SHEET]
    cells = trend_cells(runs["2025Q3"]["book"])
    assert list(cells) == list(CATALOG.headline)
    heads = [c.value for c in ws[2]]
    assert heads[3:6] == ["Quý III năm 2024", "Quý II năm 2025", "Quý III năm 2025 (kỳ này)"]
    assert heads[6] == "So với kỳ trước (Quý II năm 2025)"
    assert heads[8] == "So với cùng kỳ năm trước (Quý III năm 2024)"
    assert [c.value for c in ws[3]][6:10] == ["Tăng (+), giảm (−)", "Tỷ lệ"] * 2


def test_counts_change_absolutely_and_in_per_cent(runs):
    cells = trend_cells(runs["2025Q3"]["book"])
    # II.9.1 receptions: 250, 300, 280 -> -20 (-6,7%) from the quarter before, +30 (+12%) from a year before
    values, (d_prev, p_prev, d_year, p_year) = cells["II.9.1"][:3], cells["II.9.1"][3:7]
    assert values == [250, 300, 280]
    assert (d_prev, d_year) == (-20, 30)
    assert p_prev == pytest.approx(-20 / 300) and p_year == pytest.approx(30 / 250)
    # II.5.2 mediations: 170, 160, 170: +10 from the quarter before, the same as a year before
    assert cells["II.5.2"][:7] == [170, 160, 170, 10, pytest.approx(10 / 160), 0, 0]
    # an amount: 10.000 -> 11.796,9, added as decimals
    assert cells["II.4.1"][1:4] == [10000, pytest.approx(11796.9), pytest.approx(1796.9)]


def test_ratios_change_in_percentage_points(runs):
    cells = trend_cells(runs["2025Q3"]["book"])
    row = cells["II.5.6"]
    assert row[:3] == [pytest.approx(160 / 170), pytest.approx(150 / 160), pytest.approx(160 / 170)]
    assert row[3] == pytest.approx((160 / 170 - 150 / 160) * 100, abs=1e-6)  # points, not per cent
    assert row[4] is None and row[5] == 0 and row[6] is None  # no per cent of a ratio


def test_the_trend_sheet_prints_on_a4_landscape_with_its_header_and_page_numbers(runs):
    ws = openpyxl.load_workbook(runs["2025Q3"]["book"])[TREND_SHEET]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0  # one page wide
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$3"
    assert "&P" in ws.oddFooter.center.text and "Tài liệu kèm theo" in ws.oddHeader.center.text


def test_the_trend_chart_is_a_serif_line_chart_of_the_ratios_fitted_to_them(runs):
    with zipfile.ZipFile(runs["2025Q3"]["book"]) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    trend = [c for c in charts if "Các tỷ lệ chính qua các kỳ" in c]
    assert len(trend) == 1
    xml = trend[0]
    assert "<c:lineChart>" in xml and 'typeface="Times New Roman"' in xml
    assert f"'{TREND_SHEET}'!$D$2:$F$2" in xml  # the periods, from the table itself
    names = re.findall(r"<c:v>([^<]*)</c:v>", xml)
    assert any(n.startswith("II.5.6 Tỷ lệ hòa giải thành") for n in names)
    low, high = (float(re.search(rf'<c:{m} val="([0-9.]+)"/>', xml).group(1)) for m in ("min", "max"))
    cells = trend_cells(runs["2025Q3"]["book"])
    ratios = [v for c in CATALOG.headline if CATALOG.indicators[c].kind == "ratio" for v in cells[c][:3] if v is not None]
    assert 0 < low <= min(ratios) < low + 0.2 and high == 1.0  # from a step below the smallest, not from 0


def test_an_earlier_workbook_with_the_trend_sheet_still_reads_as_history_and_upward(runs):
    """The new sheet is one of the working papers: the workbook stays a valid consolidated return."""
    from qcdc_excel.validate import read_submission

    sub = read_submission(runs["2025Q3"]["book"])
    assert sub.accepted and sub.form == "consolidated", [f.message("en") for f in sub.findings]


# --- the Word report ----------------------------------------------------------------------------------------
def paragraphs(path) -> list[str]:
    return [p.text for p in Document(str(path)).paragraphs]


def test_the_report_says_the_changes_with_history(runs):
    text = paragraphs(runs["2025Q3"]["docx"])
    assert "5. So sánh với kỳ trước và cùng kỳ năm trước" in text
    assert ("Số lượt tiếp công dân: 280 lượt, giảm 20 lượt (6,7%) so với quý trước, tăng 30 lượt (12%) so với "
            "cùng kỳ năm trước.") in text
    assert ("Số vụ việc tiếp nhận hòa giải: 170 vụ, tăng 10 vụ (6,3%) so với quý trước, bằng cùng kỳ năm trước."
            in text)
    assert ("Tỷ lệ hòa giải thành: 94,1%, tăng 0,4 điểm phần trăm so với quý trước, bằng cùng kỳ năm trước."
            in text)
    assert ("Số vụ việc tiếp nhận hòa giải: hòa giải thành: 160 vụ, tăng 10 vụ (6,7%) so với quý trước, bằng cùng "
            "kỳ năm trước.") in text
    assert "Kinh phí Nhân dân đóng góp: 11.796,9 triệu đồng, tăng 1.796,9 triệu đồng (18%) so với quý trước" in \
        next(t for t in text if t.startswith("Kinh phí"))


def test_the_report_says_no_change_without_history(runs):
    text = "\n".join(paragraphs(runs["2024Q3"]["docx"]))
    assert "So sánh với kỳ trước" not in text
    assert not re.search(r"(tăng|giảm) [0-9.,]+ [^ ]+.* so với|bằng cùng kỳ", text)


def test_report_command_takes_previous_files(runs, tmp_path):
    book = runs["2025Q3"]["book"]
    plain, told = tmp_path / "a.docx", tmp_path / "b.docx"
    r = CliRunner().invoke(main, ["report", str(book), "--out", str(plain)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["report", str(book), "--out", str(told), "--previous", str(runs["2025Q2"]["json"]),
                                  "--previous", str(runs["2024Q3"]["book"])])
    assert r.exit_code == 0, r.output
    assert not [t for t in paragraphs(plain) if "so với quý trước" in t]
    assert "Số lượt tiếp công dân: 280 lượt, giảm 20 lượt (6,7%) so với quý trước, tăng 30 lượt (12%) so với " \
           "cùng kỳ năm trước." in paragraphs(told)


def test_report_command_refuses_an_unreadable_previous_file(runs, tmp_path):
    bad = tmp_path / "not-history.json"
    bad.write_text("{}", encoding="utf-8")
    r = CliRunner().invoke(main, ["report", str(runs["2025Q3"]["book"]), "--out", str(tmp_path / "c.docx"),
                                  "--previous", str(bad)])
    assert r.exit_code != 0 and "not-history.json" in r.output
    assert not (tmp_path / "c.docx").exists()


# --- printed -----------------------------------------------------------------------------------------------
def test_the_working_papers_pdf_holds_the_trend_in_vietnamese_notation(runs, tmp_path):
    from qcdc_excel.pdf import find_soffice, to_pdf

    if find_soffice() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice is needed under CI")
        pytest.skip("no LibreOffice")
    book = tmp_path / "tong-hop.xlsx"
    book.write_bytes(runs["2025Q3"]["book"].read_bytes())
    env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
    old = dict(os.environ)
    os.environ.update(env)
    try:
        (res,) = to_pdf([book])
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert res.attachment is not None and res.attachment.name == "tong-hop_tai-lieu-kem-theo.pdf"
    papers = subprocess.run(["pdftotext", "-layout", str(res.attachment), "-"], capture_output=True, text=True,
                            env=env).stdout
    signed = subprocess.run(["pdftotext", "-layout", str(res.pdf), "-"], capture_output=True, text=True,
                            env=env).stdout
    assert "DIỄN BIẾN QUA CÁC KỲ" in papers and "DIỄN BIẾN QUA CÁC KỲ" not in signed
    assert "11.796,9" in papers and "94,1%" in papers
    assert "+1.796,9" in papers and "-6,7%" in papers and "+0,4 điểm" in papers


# --- whose rows count -------------------------------------------------------------------------------------
def row(unit: str, parent: str, values: dict, form: str = "own", units: int = 1, period: str = "2025Q2"):
    from qcdc_excel.history import UnitPeriod

    p = parse_period(period)
    return UnitPeriod(unit, form, p, p.window, False, values, "x.xlsx", unit, "", parent, units)


def test_a_consolidated_report_covers_its_units_and_own_indicators_are_the_units_own():
    """A province P: its own report, district E's consolidated report (E's own commune E1 also in the
    history must not count twice), and district D's communes (D sent nothing: the roster places D)."""
    from qcdc_excel.history import Series

    series = Series()
    for r in (row("P", "", {"I.3.1": 5, "II.9.1": 1}), row("E", "P", {"I.3.1": 2, "II.9.1": 40}, "consolidated", 3),
              row("E1", "E", {"I.3.1": 1, "II.9.1": 9}), row("C1", "D", {"I.3.1": 7, "II.9.1": 10}),
              row("C2", "D", {"II.9.1": 20})):
        series.add(r)
    q2 = parse_period("2025Q2")
    without = unit_totals(series, "P", q2, CATALOG)
    assert without.values == {"I.3.1": 5, "II.9.1": 41} and without.units == 3  # P's own + E's report
    placed = unit_totals(series, "P", q2, CATALOG, {"D": "P"})
    assert placed.values == {"I.3.1": 5, "II.9.1": 71} and placed.units == 5  # I.3.1: P's own, never added
    assert unit_totals(series, "E", q2, CATALOG).values == {"I.3.1": 2, "II.9.1": 40}  # its own report upward
    assert unit_totals(series, "D", q2, CATALOG).values["II.9.1"] == 30
    assert unit_totals(series, "X", q2, CATALOG) is None


def test_a_units_own_return_reports_its_own_changes(runs, tmp_path):
    code = runs["communes"][1]
    own = runs["base"] / "inbox-2025Q3" / f"{code}_2025Q3.xlsx"
    out = tmp_path / "xa.docx"
    r = CliRunner().invoke(main, ["report", str(own), "--out", str(out), "--previous", str(runs["2025Q2"]["book"])])
    assert r.exit_code == 0, r.output
    text = paragraphs(out)
    assert "Số lượt tiếp công dân: 28 lượt, giảm 2 lượt (6,7%) so với quý trước." in text
    assert not [t for t in text if "so với cùng kỳ năm trước" in t]  # the year before was not given
    assert not [t for t in text if t.startswith("Có quy chế và tổ chức đối thoại trực tiếp với Nhân dân:")]  # a unit's own Có/Không: no count to compare


# --- in words ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code, period, against, before, now, delta, percent, said", [
    ("II.5.2", "2025Q3", "year", 146, 158, 12, 12 / 146, "tăng 12 vụ (8,2%) so với cùng kỳ năm trước"),
    ("II.5.2", "2025Q3", "previous", 170, 158, -12, -12 / 170, "giảm 12 vụ (7,1%) so với quý trước"),
    ("II.5.2", "2025", "year", 158, 158, 0, 0.0, "bằng năm trước"),
    ("II.5.2", "2025S2", "previous", 0, 4, 4, None, "tăng 4 vụ so với 6 tháng trước"),
    ("II.5.6", "2025Q3", "previous", 0.95, 0.935, -1.5, None, "giảm 1,5 điểm phần trăm so với quý trước"),
    ("II.5.6", "2025Q3", "year", 0.9412, 0.9408, -0.04, None, "bằng cùng kỳ năm trước"),  # 94,1% both
    ("II.1.1", "2025Q3", "year", 8, 10, 2, 0.25, "tăng 2 xã (25%) so với cùng kỳ năm trước"),
])
def test_changes_in_words(code, period, against, before, now, delta, percent, said):
    from qcdc_excel.trend import Change, change_words

    change = Change(code, parse_period("2024Q3"), against, before, now, delta, percent)
    assert change_words(change, CATALOG.indicators[code], parse_period(period), "xã") == said


def test_the_trend_chart_stays_inside_the_printed_area(runs):
    """The chart ends at or before the print area's right edge: a page fitted to the table's width
    prints it whole (it once ran past the edge and lost its legend)."""
    import openpyxl

    book = runs["2025Q3"]["book"]
    area = openpyxl.load_workbook(book)[TREND_SHEET].print_area
    area = area[0] if isinstance(area, list) else area
    columns = openpyxl.utils.column_index_from_string(re.search(r":\$?([A-Z]+)\$?\d+$", area).group(1))
    with zipfile.ZipFile(book) as z:
        names = z.namelist()
        chart = next(n for n in names if n.startswith("xl/charts/chart") and "Các tỷ lệ chính qua các kỳ" in z.read(n).decode())
        rels = next(n for n in names if n.startswith("xl/drawings/_rels/")
                    and chart.rsplit("/", 1)[1] in z.read(n).decode())
        drawing = z.read("xl/drawings/" + rels.rsplit("/", 1)[1].removesuffix(".rels")).decode()
    col, off = map(int, re.search(r"<xdr:to><xdr:col>(\d+)</xdr:col><xdr:colOff>(\d+)</xdr:colOff>", drawing).groups())
    assert col < columns or (col == columns and off == 0), (col, off, columns)  # 0-based: ``columns`` is the edge
