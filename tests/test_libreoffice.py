"""Real client: LibreOffice opens, recalculates and re-saves every kind of template and filled form.

All files are converted by ONE soffice start (each start costs seconds). After recalculation the
in-sheet rule checks must give, rule by rule, exactly what the Python evaluation of the catalog
gives on the same typed values; ratios must equal numerator/denominator.
"""
from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel import load_roster, parse_period
from qcdc_excel.form import FORM_SHEET, META_SHEET
from qcdc_excel.identity import Identity
from qcdc_excel.layout import CHECK_ERROR, CHECK_OK, CHECK_WARNING, form_layout
from qcdc_excel.synthetic import fill_workbook, numeric
from qcdc_excel.template import make_templates, write_template

from .conftest import KBANG_ROSTER, POST2025_ROSTER, convert_with_soffice
from .corpus import break_rule, make_values, python_outcomes, with_blanks

pytestmark = pytest.mark.soffice
EXPECTED_WORD = {"passed": CHECK_OK, "skipped": None}


@dataclass
class Filled:
    path: Path
    level: str
    values: dict
    label: str


@pytest.fixture(scope="module")
def converted(tmp_path_factory, soffice, catalog):
    base = tmp_path_factory.mktemp("lo")
    src = base / "src"
    templates: list[Path] = []
    for level in ("xa", "huyen", "tinh"):
        templates.append(write_template(src / f"blank-{level}.xlsx", level))
        templates.append(write_template(src / f"blank-{level}-2023S1.xlsx", level, parse_period("2023S1")))
    templates += make_templates(src, None, parse_period("2020"), load_roster(KBANG_ROSTER), all_units=True)
    templates += make_templates(src, None, parse_period("2025Q4"), load_roster(POST2025_ROSTER),
                                units=["04", "01273"])

    filled: list[Filled] = []
    rng = random.Random(2020)
    units = {"xa": Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang"),
             "huyen": Identity("625", "Huyện Kbang", "64", "Tỉnh Gia Lai"),
             "tinh": Identity("64", "Tỉnh Gia Lai")}
    for level, identity in units.items():
        layout = form_layout(catalog.version, level)
        template = write_template(src / f"tpl-{level}.xlsx", level, parse_period("2020"), identity)
        clean = make_values(catalog, layout.input_codes, seed=len(level))
        cases = [("clean", clean)]
        cases += [(f"broken-{c.rule.id}", break_rule(c.rule, clean, rng)) for c in layout.checks]
        cases += [(f"partial-{k}", with_blanks(clean, random.Random(k))) for k in range(3)]
        typed_wrong = dict(clean)
        counts = [c for c in layout.input_codes if layout.indicator_rows[c].item.kind == "count"]
        typed_wrong.update({counts[0]: "12 vụ", counts[1]: -3, counts[2]: 2.5, counts[3]: "14/14"})
        cases.append(("typed-wrong", typed_wrong))
        for label, values in cases:
            path = src / f"filled-{level}-{label}.xlsx"
            fill_workbook(template, values, path, report_date=dt.datetime(2020, 10, 30),
                          names=("Nguyễn Văn A", "Nguyễn Văn Dũng"))
            filled.append(Filled(path, level, values, label))
    out = convert_with_soffice(soffice, templates + [f.path for f in filled], base / "out")
    return templates, filled, out


def load_recalculated(path: Path):
    return openpyxl.load_workbook(path, data_only=True)


def test_every_template_opens_and_resaves_cleanly(converted, catalog):
    templates, _, out = converted
    assert len(templates) == 6 + 16 + 2
    for src in templates:
        wb = load_recalculated(out[src])
        assert wb.sheetnames == [FORM_SHEET, META_SHEET], src.name
        meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows(max_col=2)}
        original = {r[0].value: r[1].value for r in openpyxl.load_workbook(src)[META_SHEET].iter_rows(max_col=2)}
        assert meta == original, src.name  # identity survives the round trip
        assert wb[META_SHEET].sheet_state in ("hidden", "veryHidden")
        ws = wb[FORM_SHEET]
        assert ws.protection.sheet, src.name
        layout = form_layout(catalog.version, meta["level"])
        required = sum(1 for c in layout.input_codes if layout.indicator_rows[c].item.required)
        # The self-check summary was computed by LibreOffice, not left empty.
        assert ws[layout.summary_ref].value == f"Còn {required} chỉ tiêu bắt buộc chưa nhập", src.name
        for check in layout.checks:
            assert ws[check.cell].value in (None, ""), (src.name, check.rule.id)  # all skipped when blank


def test_in_sheet_checks_agree_with_python_rule_by_rule(converted, catalog):
    _, filled, out = converted
    compared = failures_seen = 0
    for f in filled:
        layout = form_layout(catalog.version, f.level)
        ws = load_recalculated(out[f.path])[FORM_SHEET]
        python = python_outcomes(catalog, [c.rule for c in layout.checks], f.values)
        for check in layout.checks:
            status = python[check.rule.id]
            if status == "failed":
                expected = CHECK_ERROR if check.rule.severity == "error" else CHECK_WARNING
                failures_seen += 1
            else:
                expected = EXPECTED_WORD[status]
            got = ws[check.cell].value or None
            assert got == expected, (f.label, check.rule.id, status, got)
            compared += 1
        if f.label.startswith("broken-"):
            assert python[f.label[len("broken-"):]] == "failed"
    assert compared > 300 and failures_seen > 30


def test_ratios_are_recomputed_by_the_sheet(converted, catalog):
    _, filled, out = converted
    seen = 0
    for f in filled:
        layout = form_layout(catalog.version, f.level)
        ws = load_recalculated(out[f.path])[FORM_SHEET]
        nums = numeric(f.values)
        for code, row in layout.indicator_rows.items():
            ind = row.item
            if ind.kind != "ratio":
                continue
            num, den = nums.get(ind.numerator), nums.get(ind.denominator)
            got = ws[row.cell].value
            if num is None or den is None or den == 0:
                assert got in (None, ""), (f.label, code, got)
            else:
                assert got == pytest.approx(num / den, rel=1e-12), (f.label, code)
                seen += 1
    assert seen > 20


def test_check_column_and_summary_speak_to_the_user(converted, catalog):
    _, filled, out = converted
    by_label = {(f.level, f.label): f for f in filled}
    for level in ("xa", "huyen", "tinh"):
        layout = form_layout(catalog.version, level)
        clean = load_recalculated(out[by_label[(level, "clean")].path])[FORM_SHEET]
        assert clean[layout.summary_ref].value == "Đã nhập đủ, không phát hiện lỗi"
        assert all(not clean[f"F{r.row}"].value for r in layout.indicator_rows.values())

        wrong = by_label[(level, "typed-wrong")]
        ws = load_recalculated(out[wrong.path])[FORM_SHEET]
        bad = [c for c, v in wrong.values.items() if v in ("12 vụ", -3, 2.5, "14/14")]
        for code in bad:
            text = ws[f"F{layout.indicator_rows[code].row}"].value
            assert text and "số nguyên" in text, (level, code, text)
        summary = ws[layout.summary_ref].value
        assert summary.startswith("Có ") and "dòng cần xem lại" in summary

    # A broken total speaks on its own row, in the catalog's words.
    f = by_label[("xa", "broken-II.5.2-tong")]
    ws = load_recalculated(out[f.path])[FORM_SHEET]
    layout = form_layout(catalog.version, "xa")
    message = catalog.rules[[r.id for r in catalog.rules].index("II.5.2-tong")].message
    assert message in ws[f"F{layout.indicator_rows['II.5.2'].row}"].value


def test_metadata_cells_point_at_the_values_after_round_trip(converted, catalog):
    _, filled, out = converted
    f = next(f for f in filled if f.level == "xa" and f.label == "clean")
    wb = load_recalculated(out[f.path])
    meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows(max_col=2)}
    cells = json.loads(meta["cells"])
    ws = wb[FORM_SHEET]
    for code, value in f.values.items():
        got = ws[cells[code]].value
        assert got == pytest.approx(value) if isinstance(value, float) else got == value, code
