"""The consolidated workbook's working papers as an official reads them on paper (issue 22 §7): the
unit details at 9 pt inside a framed table that fills its pages, titled pages, serif charts with a
fitted axis; the printed quotation marks “ ” without refusing the forms units already hold; the
deputy's signing lines in the report."""
from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import zipfile
from pathlib import Path

import docx
import openpyxl
from openpyxl.cell.cell import MergedCell
import pytest
import yaml
from defusedxml import ElementTree

from qcdc_excel import Outputs, Scope, merge
from qcdc_excel.catalog import load_catalog, parse_catalog
from qcdc_excel.form import CHARTS_SHEET, DETAILS_SHEET, META_SHEET
from qcdc_excel.layout import build_layout, form_layout
from qcdc_excel.pdf import to_pdf
from qcdc_excel.periods import parse_period
from qcdc_excel.report import Letter, figures_from_consolidation, render_report, sign_lines
from qcdc_excel.roster import load_roster
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.template import template_bytes
from qcdc_excel.identity import Identity
from qcdc_excel.validate import read_submission
from qcdc_excel.workbook_writer import across_width, ratio_axis

from .conftest import KBANG_ROSTER, SAMPLES

INBOX = SAMPLES / "kbang-2020" / "inbox"
CATALOG_YAML = Path(__file__).parents[1] / "qcdc_excel" / "catalogs" / "qcdc-2023.1.yaml"
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


@pytest.fixture(scope="module")
def kbang(tmp_path_factory):
    d = tmp_path_factory.mktemp("kbang-papers")
    result = merge(INBOX, Scope(load_roster(KBANG_ROSTER), "2020", "625", dt.date(2020, 10, 25)),
                   Outputs(d / "tong-hop.xlsx"), today=dt.date(2020, 10, 30))
    return d, result


def test_details_are_framed_at_nine_points_and_print_at_full_size(kbang):
    _, result = kbang
    ws = openpyxl.load_workbook(result.out)[DETAILS_SHEET]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    fit = ws.sheet_properties.pageSetUpPr
    assert int(ws.page_setup.scale or 100) == 100 and not (fit and fit.fitToPage)  # 9 pt is 9 pt on paper
    area = ws.print_area.split("!")[-1].replace("$", "")
    first, last = area.split(":")
    last_col, last_row = openpyxl.utils.cell.coordinate_from_string(last)
    header = next(r[0].row for r in ws.iter_rows() if r[0].value == "Mã chỉ tiêu")
    n = len(result.consolidation.details)  # 14 communes and the district's own report
    # they fit across the page: the indicators run down it, the units across
    assert n == 15 and across_width(n) and openpyxl.utils.column_index_from_string(last_col) == 2 + n
    title = next(str(m) for m in ws.merged_cells.ranges if m.min_row == 1)
    assert title == f"A1:{last_col}1"  # the title spans the printed width: no page cuts it
    assert "CHI TIẾT SỐ LIỆU TỪNG ĐƠN VỊ" in ws["A1"].value
    assert ws.print_title_rows == f"$1:${header + 1}"  # the title and the units repeated on every page
    labels = 0
    for row in ws.iter_rows(min_row=header, max_row=last_row, max_col=2 + n):
        for c in row:
            if isinstance(c, MergedCell):
                continue  # framed by its range's first cell
            side = c.border
            assert all(getattr(side, s).style for s in ("left", "right", "top", "bottom")), c.coordinate
            if c.value is not None:
                assert (c.font.sz or 12) >= 9, c.coordinate
        if row[1].value and row[0].value and re.match(r"^[IV]+\.", str(row[0].value)):
            labels += 1  # the indicator's name inside the frame, beside its code
    assert labels == sum(1 for i in load_catalog().indicators.values() if i.kind != "text")


def test_units_across_only_when_they_fit_a_page():
    assert across_width(1) == 9 and across_width(16) >= 5.5
    assert across_width(17) is None and across_width(3000) is None and across_width(0) is None


def chart_parts(path: Path) -> list:
    with zipfile.ZipFile(path) as z:
        return [ElementTree.fromstring(z.read(n)) for n in sorted(z.namelist()) if re.match(r"xl/charts/chart\d+", n)]


def test_charts_serif_axis_fitted_legend_in_bar_order(kbang):
    _, result = kbang
    column, bar = chart_parts(result.out)
    for chart in (column, bar):
        faces = {e.get("typeface") for e in chart.iter(A + "latin")}
        assert faces == {"Times New Roman"}, faces
    assert bar.find(f".//{C}barDir").get("val") == "bar"
    scaling = bar.find(f".//{C}valAx/{C}scaling")
    units = [d for d in result.consolidation.details if not d.is_parent_own]
    ratios = [result.consolidation.catalog.indicators[c] for c in result.consolidation.catalog.charts]
    low, high = ratio_axis([d.totals.ratio(i) for d in units for i in ratios])
    assert float(scaling.find(C + "min").get("val")) == low and float(scaling.find(C + "max").get("val")) == high
    # categories written last unit first, the category axis not reversed: the first unit reads on top,
    # and each unit's bars run top down last series first, the order the printed legend lists them
    cats = [v.text for v in bar.find(f".//{C}ser/{C}cat").iter(C + "v")]
    assert cats == sorted((d.name for d in units), key=lambda n: {d.name: d.code for d in units}[n], reverse=True)
    assert bar.find(f".//{C}catAx/{C}scaling/{C}orientation").get("val") == "minMax"
    assert bar.find(f".//{C}legend/{C}legendPos").get("val") == "t"


@pytest.mark.parametrize("values,axis", [([0.75, 0.95, 1.0], (0.7, 1.0)), ([0.1, 1.0], (0.0, 1.0)), ([], (0.0, 1.0)),
                                         ([0.5, 1.2], (0.5, 1.2)), ([None, 0.93], (0.9, 1.0)), ([1.0], (0.9, 1.0))])
def test_ratio_axis_fits_the_data(values, axis):
    assert ratio_axis(values) == pytest.approx(axis)


def test_every_working_paper_page_is_titled_and_there_are_fewer(kbang, soffice):
    d, result = kbang
    [made] = to_pdf([result.out], d / "pdf", soffice=soffice)
    env = {"LANG": "C", "LC_ALL": "C", "PATH": "/usr/bin:/bin"}
    info = subprocess.run(["pdfinfo", str(made.attachment)], capture_output=True, text=True, check=True, env=env)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert pages <= 10  # 14 before: the details took 8 landscape pages for 15 rows, now 4
    titles = ("CHI TIẾT SỐ LIỆU TỪNG ĐƠN VỊ", "TÌNH HÌNH NỘP BÁO CÁO", "CÁC TỆP ĐÃ NHẬN", "KẾT QUẢ KIỂM TRA TỪNG TỆP",
              "GHI CHÚ, KIẾN NGHỊ CỦA CÁC ĐƠN VỊ", "BIỂU ĐỒ")
    details = 0
    for n in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(made.attachment), "-"],
                              capture_output=True, text=True, check=True, env=env).stdout
        assert any(t in text for t in titles), (n, text[:300])
        details += "Chi tiết đơn vị" in text
    assert details <= 4


def straight_catalog():
    """The shipped catalog as it was written before the printed quotation marks: straight quotes."""
    text = CATALOG_YAML.read_text("utf-8")
    assert "“Dân vận khéo”" in text and '\\"' not in text
    return parse_catalog(yaml.safe_load(text.replace("“", '\\"').replace("”", '\\"')))


def test_labels_print_curly_quotes():
    cat = load_catalog()
    labels = [i.label for i in cat.items] + [i.label_en for i in cat.items]
    assert any("“Dân vận khéo”" in x for x in labels) and not any('"' in x for x in labels)


def test_a_form_made_before_the_quotes_still_reads(tmp_path):
    old = straight_catalog()
    for version in ("1", "2"):  # the fingerprint forms in units' hands carry
        legacy = build_layout(old, "xa", "own", version).fingerprint
        now = form_layout(load_catalog().version, "xa", "own", version)
        assert now.fingerprint == legacy  # quote-blind: “ ” hash as the straight quotes they replaced
    # a shipped sample (form version 1, straight quotes) is accepted as it stands
    sample = INBOX / "23638_2020.xlsx"
    wb = openpyxl.load_workbook(sample)
    assert any('"Dân vận khéo"' in str(c.value) for row in wb.worksheets[0].iter_rows() for c in row)
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    assert meta["fingerprint"] == build_layout(old, "xa", "own", "1").fingerprint
    sub = read_submission(sample)
    assert sub.status == "accepted" and not sub.findings, [f.message() for f in sub.findings]
    # a version 2 form written with straight quotes: the label and the fingerprint as it carried them
    layout = form_layout(load_catalog().version, "xa")
    raw = template_bytes("xa", parse_period("2020"), Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang"))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".xml"):
                text = data.decode("utf-8")
                text = text.replace("“Dân vận khéo”", "&quot;Dân vận khéo&quot;").replace(
                    layout.fingerprint, build_layout(old, "xa", "own", layout.form_version).fingerprint)
                data = text.encode("utf-8")
            dst.writestr(item, data)
    assert "“".encode() not in b"".join(zipfile.ZipFile(out).read(n) for n in zipfile.ZipFile(out).namelist())
    import random

    path = fill_workbook(out.getvalue(), valid_values(load_catalog(), layout.input_codes, random.Random(3)),
                         tmp_path / "23641_2020.xlsx", report_date=dt.datetime(2020, 10, 20))
    sub = read_submission(path)
    assert sub.form_version == layout.form_version
    assert not [f for f in sub.findings if f.code in ("label-edited", "metadata-invalid")], \
        [f.message() for f in sub.findings]


@pytest.mark.parametrize("style,title,lines", [
    ("hd36", "Phó Trưởng ban", ["K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"]),
    ("hd36", None, ["T/M BAN CHỈ ĐẠO", "TRƯỞNG BAN"]),
    ("nd30", "Phó Chủ tịch", ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]),
    ("nd30", None, ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"])])
def test_the_signing_lines_of_the_head_and_of_a_deputy(kbang, tmp_path, style, title, lines):
    assert sign_lines(style, title) == lines
    _, result = kbang
    out = render_report(figures_from_consolidation(result.consolidation), tmp_path / "bc.docx", style=style,
                        letter=Letter(signer="Nguyễn Văn A", signer_title=title))
    cell = docx.Document(str(out)).tables[1].rows[0].cells[1]
    got = [p.text for p in cell.paragraphs if p.text.strip()]
    assert got == lines + ["Nguyễn Văn A"]
    assert all(r.bold for p in cell.paragraphs for r in p.runs if r.text.strip())


def test_more_units_than_a_page_holds_run_down_framed_at_nine_points(tmp_path):
    """20 communes do not fit across: units down, a page per block of indicators, the same look."""
    import random

    from qcdc_excel.template import Personaliser

    rows = [("09", "Tỉnh Thử", "tinh", "")] + [(f"09{k:03d}", f"Xã Thử Số {k}", "xa", "09") for k in range(1, 21)]
    (tmp_path / "r.csv").write_text("code,name,level,parent\n" + "\n".join(",".join(r) for r in rows), "utf-8")
    cat, personaliser, period = load_catalog(), Personaliser(), parse_period("2024")
    layout = form_layout(cat.version, "xa")
    (tmp_path / "in").mkdir()
    for k, (code, name, _, _) in enumerate(rows[1:]):
        fill_workbook(personaliser.bytes_for("xa", period, Identity(code, name, "09", "Tỉnh Thử")),
                      valid_values(cat, layout.input_codes, random.Random(k)), tmp_path / "in" / f"{code}.xlsx",
                      report_date=dt.datetime(2024, 12, 20))
    result = merge(tmp_path / "in", Scope(load_roster(tmp_path / "r.csv"), "2024"), Outputs(tmp_path / "t.xlsx"))
    assert across_width(len(result.consolidation.details)) is None
    ws = openpyxl.load_workbook(result.out)[DETAILS_SHEET]
    assert int(ws.page_setup.scale or 100) == 100 and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$1:$3" and ws.print_title_cols == "$A:$B"  # title, names, codes; units
    assert str(next(m for m in ws.merged_cells.ranges if m.min_row == 1)) == "A1:B1"  # the title inside A:B
    assert ws["A1"].alignment.wrap_text and "CHI TIẾT SỐ LIỆU TỪNG ĐƠN VỊ" in ws["A1"].value
    codes = [c.value for c in ws[3]]
    assert "I.1" in codes and "Mã đơn vị" == ws["A2"].value
    names = {c.value for c in ws[2]}
    assert {i.label.lstrip("- ") for i in cat.indicators.values() if i.kind != "text"} <= names  # inside the frame
    for row in ws.iter_rows(min_row=2, max_row=3 + 20):
        for c in row:
            if isinstance(c, MergedCell):
                continue
            assert all(getattr(c.border, s).style for s in ("left", "right", "top", "bottom")), c.coordinate
            if c.value is not None:
                assert (c.font.sz or 12) >= 9, c.coordinate
