"""The draft Word report: its numeric sentences come from the checked figures, read back from the .docx."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import uuid
import shutil
from importlib import resources
from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner

from qcdc_excel import load_roster
from qcdc_excel.catalog import known_versions, load_catalog, parse_catalog
from qcdc_excel.cli import main
from qcdc_excel.consolidate import Totals
from qcdc_excel.i18n import QcdcError
from qcdc_excel import Outputs, ReportSpec, Scope, merge
from qcdc_excel.report import (Figures, Letter, data_window, figures_from_consolidation, figures_from_file, party_committee,
                               render_report, report_context, section_sentences, vn_date, vn_number, vn_percent)
from qcdc_excel.periods import parse_period

from .conftest import KBANG_ROSTER, SAMPLES

INBOX = SAMPLES / "kbang-2020" / "inbox"
TODAY = dt.date(2020, 10, 30)


def text_of(path: Path) -> tuple[str, list[list[str]]]:
    """The report's text and its appendix's rows, no-break spaces read as spaces."""
    d = docx.Document(str(path))
    paragraphs = "\n".join(p.text for p in d.paragraphs)
    header_cells = [c.text for t in d.tables[:-1] for row in t.rows for c in row.cells]  # header and signature
    rows = [[c.text.replace("\u00a0", " ") for c in row.cells] for row in d.tables[-1].rows]
    return (paragraphs + "\n" + "\n".join(header_cells)).replace("\u00a0", " "), rows


@pytest.fixture(scope="module")
def kbang(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = merge(INBOX, Scope(load_roster(KBANG_ROSTER), "2020"),
                   Outputs(out / "tong-hop.xlsx", report=ReportSpec(out / "bao-cao.docx", "Nguyễn Văn Dũng")))
    return result, out


def test_numbers_as_administrative_writing_has_them():
    assert vn_number(11796.9) == "11.796,9" and vn_number(7524) == "7.524" and vn_number(2) == "02"
    assert vn_number(2, pad=False) == "2" and vn_number(0) == "0"
    # as the seeds write them: '96,6%', '100%' (one decimal rounded half up, a whole per cent bare)
    assert vn_percent(16, 17) == "94,1%" and vn_percent(146, 158) == "92,4%" and vn_percent(1, 0) is None
    assert vn_percent(1, 8) == "12,5%" and vn_percent(3, 3) == "100%" and vn_percent(28, 29) == "96,6%"
    assert vn_percent(1999, 2000) == "100%" and vn_percent(1, 3000) == "0%"  # rounded: '99,95' -> 100, not '100,0'
    assert data_window(parse_period("2023Q1")) == (dt.date(2022, 12, 15), dt.date(2023, 3, 14))
    assert data_window(parse_period("2023S1")) == (dt.date(2022, 12, 15), dt.date(2023, 6, 14))
    assert data_window(parse_period("2020")) == (dt.date(2019, 12, 15), dt.date(2020, 12, 14))
    assert party_committee("Huyện Kbang") == "HUYỆN ỦY KBANG" and party_committee("Xã Kon Pne") == "ĐẢNG ỦY XÃ KON PNE"


def test_kbang_report_has_seed_001_figures_with_the_corrected_ratio(kbang):
    result, out = kbang
    text, rows = text_of(out / "bao-cao.docx")
    for needle in ("14/14 xã, thị trấn có quy chế và tổ chức đối thoại trực tiếp",
                   "11.796,9 triệu đồng",
                   "hòa giải thành 146/158 vụ việc, đạt 92,4%",
                   "đã giải quyết 16/17 đơn thuộc thẩm quyền, đạt 94,1%; còn 01 đơn đang giải quyết",
                   "tiếp nhận 40 đơn khiếu nại, tố cáo",
                   "Tiếp 89 lượt công dân",
                   "tổ chức hội nghị cán bộ, công chức, viên chức 28/29 cơ quan, đơn vị, đạt 96,6%",
                   "Trên địa bàn có 89 doanh nghiệp",
                   "5/8 doanh nghiệp có công đoàn, đạt 62,5%",
                   "Kết quả thực hiện dân chủ ở cơ sở năm 2020",
                   "Số liệu tính từ ngày 15/12/2019 đến ngày 14/12/2020",
                   "Nguyễn Văn Dũng", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Kbang, ngày"):
        assert needle in text, needle
    assert "94,11" not in text and "[Nội dung do đơn vị viết: hạn chế, yếu kém]" in text
    # the units' own remarks, with their names, as material for the judgement sections
    assert "Xã Kon Pne (Nhận xét, đánh giá)" in text
    # the appendix table holds exactly the consolidated figures
    by_code = {r[1]: r for r in rows[1:] if r[1]}
    totals = result.consolidation.totals
    assert by_code["II.9.6"][4] == "94,1% (16/17)" and by_code["II.5.6"][4] == "92,4% (146/158)"
    assert by_code["II.1.1"][4] == "14/14" and by_code["II.4.1"][4] == "11.796,9"
    catalog = result.consolidation.catalog
    for code, row in by_code.items():
        value = totals.values.get(code)
        if catalog.indicators[code].kind == "count" and isinstance(value, int):
            assert row[4] == vn_number(value, pad=False), code


def test_the_report_from_the_workbook_says_what_merge_said(kbang, tmp_path):
    result, out = kbang
    from_file = figures_from_file(out / "tong-hop.xlsx")
    from_merge = figures_from_consolidation(result.consolidation)
    assert section_sentences(from_file) == section_sentences(from_merge)
    assert from_file.places == from_merge.places == "xã, thị trấn"  # Kbang has no ward: the roster's kinds
    render_report(from_file, tmp_path / "again.docx", letter=Letter(date=TODAY))
    assert text_of(tmp_path / "again.docx")[1] == text_of(out / "bao-cao.docx")[1]


def test_nobody_reported_means_no_sentence(kbang):
    fig = figures_from_consolidation(kbang[0].consolidation)
    for code in ("II.9.1", "II.9.2", "II.9.3", "II.9.4", "II.9.5"):
        fig.totals.values.pop(code, None)
    sentences = " ".join(s for part in section_sentences(fig).values() for s in part)
    assert "đơn" not in sentences.replace("đơn vị", "") and "công dân" not in sentences
    assert "hòa giải thành 146/158" in sentences


def test_a_commune_report_from_its_own_submission(tmp_path):
    fig = figures_from_file(INBOX / "23644_2020.xlsx")
    assert not fig.consolidated and fig.unit_name == "Xã Đak Rong"
    render_report(fig, tmp_path / "xa.docx", letter=Letter(signer="Trần Văn B"))
    text, rows = text_of(tmp_path / "xa.docx")
    assert "Xã Đak Rong — năm 2020" in text
    assert "Có quy chế và tổ chức đối thoại trực tiếp với Nhân dân." in text
    assert "1/1 xã" not in text and "xã, phường, thị trấn có" not in text  # one unit: no "x/n units"
    values = {r[1]: r[4] for r in rows[1:] if r[1]}
    assert values["II.1.1"] == "Có"


def test_a_rejected_file_gives_no_report(tmp_path):
    with pytest.raises(QcdcError) as info:
        figures_from_file(INBOX / "23650_2020 (gui lan 1).xlsx")
    assert info.value.key == "report-not-accepted" and "II.5.2" in info.value.render("vi")
    r = CliRunner().invoke(main, ["report", str(INBOX / "23650_2020 (gui lan 1).xlsx"), "--out", str(tmp_path / "x.docx")])
    assert r.exit_code == 2 and "chưa được chấp nhận" in r.output and not (tmp_path / "x.docx").exists()


def custom_template(path: Path, *lines: str) -> Path:
    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    d.save(str(path))
    return path


def test_a_secretariats_own_template_renders_its_tags(kbang, tmp_path):
    _, out = kbang
    tpl = custom_template(tmp_path / "mau.docx", "Báo cáo của {{ unit_name }} {{ period_words }}",
                          "Tỷ lệ giải quyết đơn: {{ ind['II.9.6'].text }} ({{ ind['II.9.6'].x }}/{{ ind['II.9.6'].n }})",
                          "Hòa giải: {{ i.II_5_3.text }}/{{ i.II_5_2.text }} vụ; {{ units }} đơn vị",
                          "{%p for line in commune %}", "{{ line }}", "{%p endfor %}")
    r = CliRunner().invoke(main, ["report", str(out / "tong-hop.xlsx"), "--template", str(tpl),
                                  "--out", str(tmp_path / "rieng.docx")])
    assert r.exit_code == 0, r.output
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "rieng.docx")).paragraphs)
    assert "Báo cáo của Huyện Kbang năm 2020" in text and "Tỷ lệ giải quyết đơn: 94,1% (16/17)" in text
    assert "Hòa giải: 146/158 vụ; 14 đơn vị" in text and "đạt 94,1%" in text


def test_an_unknown_tag_is_named(kbang, tmp_path):
    _, out = kbang
    tpl = custom_template(tmp_path / "sai.docx", "Số liệu: {{ so_lieu_khong_co }}")
    r = CliRunner().invoke(main, ["report", str(out / "tong-hop.xlsx"), "--template", str(tpl),
                                  "--out", str(tmp_path / "sai-ra.docx")])
    assert r.exit_code == 2 and "so_lieu_khong_co" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "sai-ra.docx").exists()
    broken = custom_template(tmp_path / "hong.docx", "Số liệu: {{ unit_name ")
    r = CliRunner().invoke(main, ["report", str(out / "tong-hop.xlsx"), "--template", str(broken),
                                  "--out", str(tmp_path / "hong-ra.docx")])
    assert r.exit_code == 2 and "hong.docx" in r.output


@pytest.mark.parametrize("lines, said", [
    (("Mở đầu", "Báo cáo của {{ unit_nam }} năm nay"),
     ["Thẻ “{{ unit_nam }}”", "“unit_nam” không có", "(ở đoạn “Báo cáo của {{ unit_nam }} năm nay”)",
      "Có phải “unit_name”?", "period_words", "README"]),
    (("Tỷ lệ: {{ ind['II.9.6'].tex }}",), ["“tex” không có", "Có phải “text”?"]),
    (("Mở đầu", "Số liệu: {{ unit_name "), ["thẻ “{{ unit_name” chưa đóng (thiếu “}}”)", "(ở đoạn “Số liệu: {{ unit_name”)"]),
    (("Kết quả {{ unit_name | }} tốt",), ["thẻ “{{ unit_name | }}” viết sai", "(ở đoạn “Kết quả {{ unit_name | }} tốt”)"]),
    (("Mở đầu", "{%p for câu in commune %}", "{{ câu }}"),
     ["thẻ “{%p for câu in commune %}” chưa có thẻ “{% endfor %}” đi kèm"]),
    (("{{ unit_name }}", "{%p endif %}"), ["thẻ “{%p endif %}” không có thẻ “{% if … %}” mở đầu"]),
])
def test_a_wrong_tag_is_named_in_vietnamese_with_its_paragraph(kbang, tmp_path, lines, said):
    _, out = kbang
    tpl = custom_template(tmp_path / "mau-rieng.docx", *lines)
    r = CliRunner().invoke(main, ["report", str(out / "tong-hop.xlsx"), "--template", str(tpl),
                                  "--out", str(tmp_path / "ra.docx")])
    assert r.exit_code == 2 and "mau-rieng.docx" in r.stderr and not (tmp_path / "ra.docx").exists()
    for words in said:
        assert words in r.stderr, (words, r.stderr)
    for english in ("undefined", "Unexpected", "unexpected", "expected token", "dòng ", "line "):
        assert english not in r.stderr, r.stderr


def test_the_default_template_can_be_written_out_and_used_again(kbang, tmp_path):
    _, out = kbang
    r = CliRunner().invoke(main, ["report", "-", "--write-template", "--out", str(tmp_path / "mau.docx")])
    assert r.exit_code == 0, r.output
    assert "{{ title }}" in "\n".join(p.text for p in docx.Document(str(tmp_path / "mau.docx")).paragraphs)
    r = CliRunner().invoke(main, ["report", str(out / "tong-hop.xlsx"), "--template", str(tmp_path / "mau.docx"),
                                  "--style", "hd36", "--out", str(tmp_path / "hd36.docx")])
    assert r.exit_code == 0, r.output
    text, _ = text_of(tmp_path / "hd36.docx")
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "HUYỆN ỦY KBANG" in text and "*" in text


def pdf_of(soffice: str, docx_path: Path, outdir: Path) -> tuple[str, list[str]]:
    """Writer's PDF of ``docx_path`` under ``LANG=C``: its pdfinfo, and each page's ``pdftotext -layout``."""
    for tool in ("pdfinfo", "pdftotext"):
        if shutil.which(tool) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{tool} (poppler-utils) is required under CI but was not found")
            pytest.skip(f"{tool} (poppler-utils) not found: install poppler-utils to run this test")
    profile = Path("/tmp") / f"qcdc-lo-profile-{uuid.uuid4().hex}"
    env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
    try:
        subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                        "--convert-to", "pdf", "--outdir", str(outdir), str(docx_path)],
                       capture_output=True, timeout=300, env=env)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = outdir / (docx_path.stem + ".pdf")
    assert pdf.exists(), "LibreOffice Writer did not convert the report (is libreoffice-writer-nogui installed?)"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, env=env).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                           text=True, env=env).stdout for n in range(1, pages + 1)]
    return info, text


@pytest.mark.soffice
def test_libreoffice_prints_the_report_on_a4(kbang, soffice, tmp_path):
    """A real client: Writer opens the .docx and exports it to PDF (A4, portrait, every page); the
    motto holds on one line, the appendix starts on a page of its own and every one of its pages
    opens with the table's header row; no percentage is split from its sign."""
    _, out = kbang
    info, pages = pdf_of(soffice, out / "bao-cao.docx", tmp_path)
    assert "595.3" in info and "841.89" in info  # A4 portrait, in points
    first = pages[0].splitlines()
    assert any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line for line in first), pages[0][:400]
    assert any("ỦY BAN NHÂN DÂN" in line and "CỘNG HÒA" in line for line in first)
    assert any("HUYỆN KBANG" in line and "Độc lập - Tự do - Hạnh phúc" in line for line in first)
    start = next(n for n, page in enumerate(pages) if "PHỤ LỤC SỐ LIỆU" in page)
    assert "Nơi nhận" in pages[start - 1] and "Nơi nhận" not in pages[start]
    assert "(Kèm theo Báo cáo số" in pages[start]
    for page in pages[start:]:
        assert re.search(r"STT\s+Mã\s+Nội dung\s+ĐVT\s+Số liệu", page), page[:300]
    every = "\n".join(pages)
    assert "92,4% (146/158)" in every and "96,6% (28/29)" in every
    assert "99,5% (7.404/7.438)" in every and "97% (1.014/1.045)" in every  # never broken mid-figure
    assert all(re.search(rf"\s{re.escape(code)}\s", every) for code in ("II.10.1", "II.10.3", "IV.10"))  # codes whole
    assert not re.search(r"^\s*%", every, re.M) and not re.search(r"\d\s+%", every)


@pytest.mark.soffice
def test_the_party_style_prints_its_header_in_one_piece(kbang, soffice, tmp_path):
    _, out = kbang
    render_report(figures_from_consolidation(kbang[0].consolidation), tmp_path / "hd36.docx", style="hd36")
    _, pages = pdf_of(soffice, tmp_path / "hd36.docx", tmp_path)
    head = pages[0].split("BÁO CÁO")[0]
    assert any("HUYỆN ỦY KBANG" in line and "ĐẢNG CỘNG SẢN VIỆT NAM" in line for line in head.splitlines())
    assert "DÂN CHỦ Ở CƠ SỞ" in head and "Kbang, ngày 30 tháng 10 năm 2020" in head and "-BC/BCĐ" in head


# --- the catalog says which figures the sentences quote (its ``report:`` roles) ----------------------------
def every_figure(catalog, consolidated: bool, value: int = 7) -> Figures:
    """Figures where every number of ``catalog`` is ``value`` and every yes/no answered."""
    totals = Totals(units=3)
    for code, ind in catalog.indicators.items():
        if ind.kind in ("count", "amount"):
            totals.values[code] = value
        elif ind.kind == "flag":
            totals.values[code] = 2 if consolidated else "Có"
    notes = [("58201", "Xã A", code, "Ý kiến") for code, ind in catalog.indicators.items() if ind.kind == "text"]
    return Figures(catalog, "huyen", consolidated, "582", "Huyện Kbang", "Tỉnh Gia Lai", parse_period("2023"), totals,
                   notes)


def test_every_figure_the_report_asks_for_is_in_the_catalog_and_of_one_kind_in_every_version(monkeypatch):
    asked: set[str] = set()
    code_of = Figures.code
    monkeypatch.setattr(Figures, "code", lambda self, role: asked.add(role) or code_of(self, role))
    current = load_catalog()
    for consolidated in (True, False):
        report_context(every_figure(current, consolidated), date=TODAY)
    assert asked == set(current.report_codes)  # none missing (a silent gap), none unused
    for version in known_versions():
        catalog = load_catalog(version)
        assert set(catalog.report_codes) <= asked, version
        for role, code in catalog.report_codes.items():
            assert catalog.indicators[code].kind == current.indicators[current.report_codes[role]].kind, (version, role)


def test_the_sentences_take_their_codes_from_the_catalog():
    data = yaml.safe_load((resources.files("qcdc_excel") / "catalogs" / "qcdc-2023.1.yaml").read_text(encoding="utf-8"))

    def sentences(data) -> str:
        fig = every_figure(parse_catalog(data), True)
        fig.totals.values.update({"IV.8": 3, "IV.7": 11})
        return " ".join(s for part in section_sentences(fig).values() for s in part)

    said = sentences(data)
    assert "xảy ra 03 vụ đình công" in said and "tiếp nhận 07 vụ việc" in said
    data["report"]["strikes"] = "IV.7"  # a version that numbers the appendix otherwise
    del data["report"]["mediation_cases"]  # a version without the figure
    said = sentences(data)
    assert "xảy ra 11 " in said and "xảy ra 03" not in said
    assert "tiếp nhận 07 vụ việc" not in said and "hòa giải" not in said.replace("Ban Chỉ đạo", "")


# --- issue 22 §2–3: the header, the recipients, the appendix table and the date, read from the .docx -----------
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def cell_lines(cell) -> list[str]:
    return [" ".join(p.text.replace("\u00a0", " ").split()) for p in cell.paragraphs if p.text.strip()]


def test_the_state_header_is_the_peoples_committee_with_the_motto_on_one_line(kbang):
    _, out = kbang
    d = docx.Document(str(out / "bao-cao.docx"))
    head = d.tables[0]
    left, right = head.rows[0].cells
    assert cell_lines(left) == ["ỦY BAN NHÂN DÂN", "HUYỆN KBANG", "———", "Số: /BC-UBND"]
    assert cell_lines(right) == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                                 "Kbang, ngày 30 tháng 10 năm 2020"]  # the district's own report date
    motto = next(r for p in right.paragraphs for r in p.runs if r.text == "Độc lập - Tự do - Hạnh phúc")
    assert motto.underline and motto.bold  # the rule under it, as long as the words
    # the grid's columns and the cells agree (Writer lays the table out by the grid)
    grid = [int(c.get(W + "w")) for c in head._tbl.tblGrid.findall(W + "gridCol")]
    cells = [int(c._tc.tcPr.find(W + "tcW").get(W + "w")) for c in (left, right)]
    assert grid == cells and sum(grid) <= 16.5 / 2.54 * 1440 + 1  # within the text width (A4 less 3 + 1.5 cm)
    signature = "\n".join(p.text for c in d.tables[1].rows[0].cells for p in c.paragraphs)
    assert "TM. ỦY BAN NHÂN DÂN" in signature and "CHỦ TỊCH" in signature
    to = next(r for r in d.tables[1].rows[0].cells[0].paragraphs[0].runs if r.text == "Nơi nhận:")
    assert to.bold and to.italic and not to.underline


def test_the_party_header_follows_guide_36(kbang, tmp_path):
    render_report(figures_from_consolidation(kbang[0].consolidation), tmp_path / "hd36.docx", style="hd36")
    d = docx.Document(str(tmp_path / "hd36.docx"))
    left, right = d.tables[0].rows[0].cells
    assert cell_lines(left) == ["HUYỆN ỦY KBANG", "BAN CHỈ ĐẠO THỰC HIỆN DÂN CHỦ Ở CƠ SỞ", "*", "Số -BC/BCĐ"]
    assert "DÂN\u00a0CHỦ" in left.paragraphs[1].text  # a line may break after “THỰC HIỆN”, never in “dân chủ”
    assert cell_lines(right) == ["ĐẢNG CỘNG SẢN VIỆT NAM", "Kbang, ngày 30 tháng 10 năm 2020"]  # the date under it
    party = next(r for r in right.paragraphs[0].runs if r.text == "ĐẢNG CỘNG SẢN VIỆT NAM")
    assert party.underline and party.bold
    assert "T/M BAN CHỈ ĐẠO" in d.tables[1].rows[0].cells[1].text
    to = next(r for r in d.tables[1].rows[0].cells[0].paragraphs[0].runs if r.text == "Nơi nhận:")
    assert to.underline and not to.bold  # Guide 36's “Nơi nhận:”; Decree 30 sets it bold italic


def test_a_commune_is_headed_by_its_own_peoples_committee(tmp_path):
    fig = figures_from_file(INBOX / "23644_2020.xlsx")
    render_report(fig, tmp_path / "xa.docx")
    d = docx.Document(str(tmp_path / "xa.docx"))
    assert cell_lines(d.tables[0].rows[0].cells[0])[:2] == ["ỦY BAN NHÂN DÂN", "XÃ ĐAK RONG"]
    assert cell_lines(d.tables[0].rows[0].cells[1])[-1] == "Đak Rong, ngày 16 tháng 10 năm 2020"  # as the form says
    assert cell_lines(d.tables[1].rows[0].cells[0]) == [
        "Nơi nhận:", "- Ban Chỉ đạo thực hiện dân chủ ở cơ sở huyện Kbang;", "- Lưu: VT."]


def test_recipients_and_as_above_needs_an_addressee(kbang, tmp_path):
    fig = figures_from_consolidation(kbang[0].consolidation)
    render_report(fig, tmp_path / "a.docx")
    text, _ = text_of(tmp_path / "a.docx")
    assert "- Ban Chỉ đạo thực hiện dân chủ ở cơ sở tỉnh Gia Lai;\n- Lưu: VT." in text and "Kính gửi" not in text
    assert "Như trên" not in text
    r = CliRunner().invoke(main, ["report", str(kbang[1] / "tong-hop.xlsx"), "--out", str(tmp_path / "b.docx"),
                                  "--recipients", "Như trên; Thường trực Huyện ủy;Lưu: VT, VP."])
    assert r.exit_code == 0, r.output
    text, _ = text_of(tmp_path / "b.docx")
    assert "- Như trên;\n- Thường trực Huyện ủy;\n- Lưu: VT, VP." in text
    assert "Kính gửi: Ban Chỉ đạo thực hiện dân chủ ở cơ sở tỉnh Gia Lai." in text


def test_the_appendix_table_repeats_its_header_and_never_splits_a_row(kbang):
    _, out = kbang
    d = docx.Document(str(out / "bao-cao.docx"))
    table = d.tables[-1]
    assert table.rows[0]._tr.trPr.find(W + "tblHeader") is not None  # repeated on every page
    assert all(row._tr.trPr is not None and row._tr.trPr.find(W + "cantSplit") is not None for row in table.rows)
    assert all(row._tr.trPr.find(W + "tblHeader") is None for row in table.rows[1:])
    body = table.rows[1:]
    assert all(row.cells[4].paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT for row in body)
    for row in body:
        value = row.cells[4].text
        assert " " not in value, value  # '92,4% (146/158)' holds together: no-break spaces only
        heading = not row.cells[1].text
        assert all(bool(r.bold) == heading for c in (row.cells[0], row.cells[2]) for r in c.paragraphs[0].runs
                   if r.text), row.cells[2].text
    assert body[0].cells[0].text == "I" and body[-1].cells[1].text  # the last row is a figure, not a heading
    codes = [row.cells[1].text for row in body]
    assert all(codes[n + 1] for n, row in enumerate(body[:-1]) if not codes[n] and body[n + 1].cells[0].text)
    text = "\n".join(p.text for p in d.paragraphs)
    assert "(Kèm theo Báo cáo số" in text and "/BC-UBND ngày 30 tháng 10 năm 2020 của Ủy ban nhân dân huyện Kbang)" \
        in text.replace("\u00a0", " ")


def test_dates_as_decree_30_writes_them_and_from_the_data():
    assert vn_date(dt.date(2021, 3, 5)) == "ngày 05 tháng 3 năm 2021"
    assert vn_date(dt.date(2021, 2, 15)) == "ngày 15 tháng 02 năm 2021"
    assert vn_date(dt.date(2021, 1, 9)) == "ngày 09 tháng 01 năm 2021"
    assert vn_date(dt.date(2020, 12, 14)) == "ngày 14 tháng 12 năm 2020"
    catalog = load_catalog()
    fig = Figures(catalog, "huyen", True, "625", "Huyện Kbang", "Tỉnh Gia Lai", parse_period("2023Q1"),
                  Totals(units=1))
    assert report_context(fig)["date_line"] == "Kbang, ngày 14 tháng 3 năm 2023"  # no report date: the window's end
    fig.report_date = dt.date(2023, 3, 2)
    assert report_context(fig)["date_line"] == "Kbang, ngày 02 tháng 3 năm 2023"
    assert report_context(fig, date=dt.date(2023, 2, 5))["date_line"] == "Kbang, ngày 05 tháng 02 năm 2023"


def test_the_report_command_takes_a_date_and_refuses_a_wrong_one(kbang, tmp_path):
    source = str(kbang[1] / "tong-hop.xlsx")
    r = CliRunner().invoke(main, ["report", source, "--out", str(tmp_path / "a.docx"), "--date", "2020-11-05"])
    assert r.exit_code == 0, r.output
    assert "Kbang, ngày 05 tháng 11 năm 2020" in text_of(tmp_path / "a.docx")[0]
    r = CliRunner().invoke(main, ["report", source, "--out", str(tmp_path / "b.docx"), "--date", "5/11/2020"])
    assert r.exit_code == 2 and "--date" in r.output and "YYYY-MM-DD" in r.output and not (tmp_path / "b.docx").exists()
