"""The half-year and the year built from the quarters (issue 23, part 4): ``qcdc-excel rollup`` and
``template --prefill-from``, on real workbooks built with the package for a district of four communes
(codes with a leading zero) over the four quarters of 2025."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel import Outputs, Scope, check, load_roster, merge
from qcdc_excel.catalog import load_catalog
from qcdc_excel.cli import main
from qcdc_excel.form import META_SHEET, ROLLUP_SHEET
from qcdc_excel.history import read_previous
from qcdc_excel.i18n import QcdcError
from qcdc_excel.layout import form_layout
from qcdc_excel.rolling import prefill_values, rollup
from qcdc_excel.synthetic import fill_workbook
from qcdc_excel.template import PREFILL_NOTE
from qcdc_excel.validate import read_submission
from qcdc_excel.workbook_writer import DERIVED

from .test_history import base_values, rolled, submit

CATALOG = load_catalog()
LAYOUT = form_layout(CATALOG.version, "xa")
CODES = [f"0900{k}" for k in range(1, 5)]
KINDS = {code: ind.over_time for code, ind in CATALOG.indicators.items()}


def quarter(k: int, q: int) -> dict:
    """A commune's quarter q: flows differ from quarter to quarter, stocks stay; III.2 (max) moves under
    its stock III.1; I.4.1 (any) says Có in the second quarter only."""
    v, flows = base_values(k), base_values(k + 10 * q)
    out = {c: (flows[c] if KINDS[c] == "sum" else x) for c, x in v.items()}
    out["III.2"] = max(0, v["III.1"] - (q * 7) % 5)
    out["I.4.1"] = "Có" if q == 2 else "Không"
    return out


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    base = tmp_path_factory.mktemp("rollup-roster")
    rows = "code,name,level,parent\n90,Tỉnh Thử,tinh,\n900,Huyện Thử,huyen,90\n" + "".join(
        f"{c},Xã Số {k},xa,900\n" for k, c in enumerate(CODES, start=1))
    (base / "ds.csv").write_text(rows, encoding="utf-8")
    return load_roster(base / "ds.csv")


def _merged(base: Path, roster, period: str, values: dict[str, dict], name: str) -> Path:
    inbox = base / f"in-{name}"
    inbox.mkdir()
    for code, v in values.items():
        submit(inbox, roster, code, period, v)
    out = base / f"{name}.xlsx"
    result = merge(inbox, Scope(roster, period, parent="900"), Outputs(out, json=base / f"{name}.json"))
    assert result.ok, [(s.path, s.findings) for s in result.report.submissions if s.findings]
    return out


@pytest.fixture(scope="module")
def year(tmp_path_factory, roster):
    """Q1..Q4 of 2025 merged for the district (and Q2 without its third commune), and the same returns
    typed as one year and merged directly."""
    base = tmp_path_factory.mktemp("rollup")
    typed = {q: {c: quarter(k, q) for k, c in enumerate(CODES)} for q in range(1, 5)}
    quarters = [_merged(base, roster, f"2025Q{q}", typed[q], f"TH-Q{q}") for q in range(1, 5)]
    short = _merged(base, roster, "2025Q2", {c: v for c, v in typed[2].items() if c != CODES[2]}, "TH-Q2-thieu")
    direct = _merged(base, roster, "2025", {c: rolled([typed[q][c] for q in range(1, 5)]) for c in CODES}, "TH-NAM")
    out = base / "ket-qua" / "NAM-2025.xlsx"
    out.parent.mkdir()
    result = rollup(quarters, "2025", out)
    return {"base": base, "typed": typed, "quarters": quarters, "short": short, "direct": direct, "out": out,
            "result": result}


def figures(path: Path, roster, period: str) -> dict:
    sub = read_submission(path, roster, period)
    assert sub.form == "consolidated" and not sub.errors, sub.findings
    return sub.values


# --- equal to the returns typed as one year ---------------------------------------------------------------
def test_year_equals_a_direct_merge_for_sums_and_the_last_quarter_for_stocks(year, roster):
    got = figures(year["out"], roster, "2025")
    direct = figures(year["direct"], roster, "2025")
    q4 = figures(year["quarters"][3], roster, "2025Q4")
    sums = [c for c, how in KINDS.items() if how == "sum" and c in got]
    lasts = [c for c, how in KINDS.items() if how == "last" and CATALOG.indicators[c].kind != "text" and c in got]
    assert sums and lasts
    for code in sums:
        assert got[code] == direct[code], code
    for code in lasts:
        assert got[code] == q4[code] == direct[code], code
    assert year["result"].ok and not year["result"].gaps


def test_each_units_row_is_rolled_by_over_time(year):
    units = {u.unit: u for u in read_previous(year["out"])}
    assert sorted(units) == CODES and all(u.period.code == "2025" for u in units.values())
    for k, code in enumerate(CODES):
        quarters = [year["typed"][q][code] for q in range(1, 5)]
        got = units[code].values
        assert got["II.5.2"] == sum(q["II.5.2"] for q in quarters)  # sum
        assert got["II.6.1"] == quarters[-1]["II.6.1"]  # last
        assert got["III.2"] == max(q["III.2"] for q in quarters) != quarters[-1]["III.2"]  # max
        assert got["I.4.1"] == "Có"  # any: the second quarter said Có
        assert got["V.1"].startswith(f"Quý I năm 2025: {quarters[0]['V.1']}")  # texts with their period
        assert units[code].window == (dt.date(2024, 12, 15), dt.date(2025, 12, 14))


def test_ratios_are_recomputed_from_the_rolled_parts_not_averaged(year, roster):
    got = figures(year["out"], roster, "2025")
    cells = form_layout(CATALOG.version, "huyen", "consolidated").cells
    shown = openpyxl.load_workbook(year["out"], data_only=True).worksheets[0]  # the results the workbook carries
    ratios = [i for i in CATALOG.indicators.values() if i.kind == "ratio" and got.get(i.denominator)]
    assert ratios
    averaged_differs = False
    for ind in ratios:
        want = got[ind.numerator] / got[ind.denominator]
        assert year["result"].consolidation.totals.ratio(ind) == pytest.approx(float(want)), ind.code
        assert shown[cells[ind.code]].value == pytest.approx(float(want)), ind.code
        quarterly = [figures(p, roster, f"2025Q{q}") for q, p in enumerate(year["quarters"], start=1)]
        mean = sum(v[ind.numerator] / v[ind.denominator] for v in quarterly) / 4
        averaged_differs |= abs(float(mean) - float(want)) > 1e-6
    assert averaged_differs  # the test data tells a recomputed ratio from an averaged one


def test_half_year_from_two_quarters_and_from_json_files(year, roster, tmp_path):
    q1, q2 = year["quarters"][:2]
    out_x = rollup([q1, q2], "2025S1", tmp_path / "s1.xlsx")
    out_j = rollup([q1.with_suffix(".json"), q2.with_suffix(".json")], "2025S1", tmp_path / "s1j.xlsx")
    a, b = figures(out_x.out, roster, "2025S1"), figures(out_j.out, roster, "2025S1")
    assert a == b
    for code in ("II.5.2", "II.2.3"):
        assert a[code] == sum(year["typed"][q][c][code] for q in (1, 2) for c in CODES)


# --- marked as derived, windows, gaps ----------------------------------------------------------------------
def _sheet_text(path: Path, sheet: str) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join(str(v) for row in wb[sheet].iter_rows(values_only=True) for v in row if v is not None)


def test_marked_as_derived_on_the_summary_and_in_the_metadata(year):
    wb = openpyxl.load_workbook(year["out"])
    summary = "\n".join(str(v) for row in wb.worksheets[0].iter_rows(max_row=8, values_only=True) for v in row if v)
    assert f"{DERIVED}: Quý I năm 2025, Quý II năm 2025, Quý III năm 2025, Quý IV năm 2025." in summary
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    assert meta["derived_from"] == "quarters" and meta["derived_note"] == DERIVED
    assert json.loads(meta["derived_parts"]) == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert meta["derived_gaps"] == "0"
    text = _sheet_text(year["out"], ROLLUP_SHEET)
    for window in ("15/12/2024 – 14/03/2025", "15/03/2025 – 14/06/2025", "15/06/2025 – 14/09/2025",
                   "15/09/2025 – 14/12/2025"):
        assert window in text
    assert "TH-Q3.xlsx" in text and "Đủ số liệu mọi quý của mọi đơn vị." in text


def test_gaps_are_named_in_the_workbook_and_on_the_console(year, tmp_path):
    q1, _, _, q4 = year["quarters"]
    out = tmp_path / "nam.xlsx"
    run = CliRunner().invoke(main, ["rollup", str(q1), str(year["short"]), str(q4), "--period", "2025", "--out",
                                    str(out)])
    assert run.exit_code == 1, run.output
    for words in ("Thiếu số liệu Quý III năm 2025", f"Xã Số 3 ({CODES[2]}) không có số liệu Quý II năm 2025",
                  "Còn 2 chỗ thiếu số liệu"):
        assert words in run.output
    text = _sheet_text(out, ROLLUP_SHEET)
    assert "Thiếu số liệu Quý III năm 2025" in text and f"({CODES[2]}) không có số liệu Quý II năm 2025" in text
    summary = _sheet_text(out, openpyxl.load_workbook(out).sheetnames[0])
    assert "Còn 2 chỗ thiếu số liệu" in summary
    run = CliRunner().invoke(main, ["--lang", "en", "rollup", str(q1), str(year["short"]), str(q4), "--period",
                                    "2025", "--out", str(tmp_path / "y.xlsx")])
    assert run.exit_code == 1 and "Q3 2025 is missing" in run.output and "has no figures for Q2 2025" in run.output


def test_complete_rollup_exits_0(year, tmp_path):
    run = CliRunner().invoke(main, ["rollup", *map(str, year["quarters"]), "--period", "2025", "--out",
                                    str(tmp_path / "nam.xlsx")])
    assert run.exit_code == 0, run.output
    assert "Đủ số liệu mọi quý của mọi đơn vị." in run.output and "15/09/2025 – 14/12/2025" in run.output


# --- a report upward, a source of the Word report ----------------------------------------------------------
def test_rollup_validates_upward_and_merges_one_level_up(year, roster, tmp_path):
    res = check([year["out"]], Scope(roster, "2025"))
    (sub,) = res.report.submissions
    assert sub.accepted and not sub.errors and sub.unit_code == "900", sub.findings
    inbox = tmp_path / "tinh"
    inbox.mkdir()
    (inbox / year["out"].name).write_bytes(year["out"].read_bytes())
    province = merge(inbox, Scope(roster, "2025", parent="90"), Outputs(tmp_path / "tinh.xlsx"))
    assert province.ok
    mine = year["result"].consolidation.totals
    for code, how in KINDS.items():
        if how == "sum" and CATALOG.indicators[code].kind in ("count", "amount"):
            assert province.consolidation.totals.values.get(code) == mine.values.get(code), code


def test_rollup_feeds_the_word_report(year, tmp_path):
    docx = tmp_path / "bao-cao.docx"
    run = CliRunner().invoke(main, ["report", str(year["out"]), "--out", str(docx)])
    assert run.exit_code == 0, run.output
    from docx import Document

    text = "\n".join(p.text for p in Document(docx).paragraphs)
    assert "2025" in text and "Huyện Thử" in text


@pytest.mark.soffice
def test_an_input_resaved_by_libreoffice_rolls_the_same(year, soffice, tmp_path):
    from .conftest import convert_with_soffice

    q2 = year["quarters"][1]
    converted = convert_with_soffice(soffice, [q2], tmp_path / "lo")[q2]
    again = rollup([year["quarters"][0], converted, *year["quarters"][2:]], "2025", tmp_path / "nam.xlsx")
    assert again.ok
    assert again.consolidation.totals.values == year["result"].consolidation.totals.values


# --- hostile inputs -----------------------------------------------------------------------------------------
def _digest(paths) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture()
def hostile(year, roster, tmp_path):
    garbage = tmp_path / "rac.xlsx"
    garbage.write_bytes(bytes(random.Random(3).getrandbits(8) for _ in range(4000)))
    own = submit(tmp_path, roster, CODES[0], "2025Q3", year["typed"][3][CODES[0]], name="don-vi.xlsx")
    data = json.loads(year["quarters"][2].with_suffix(".json").read_text(encoding="utf-8"))
    data["history"]["units"][0]["name"] = "../../../tmp/x"
    data["history"]["units"][0]["unit"] = "../evil"
    evil = tmp_path / "q3-evil.json"
    evil.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return {"garbage": garbage, "own": own, "evil": evil}


@pytest.mark.parametrize("case, words", [
    ("garbage", "không dùng để tổng hợp được"),
    ("own", "không phải sổ tổng hợp"),
    ("out-is-input", "sẽ ghi đè"),
    ("quarter", "chỉ tổng hợp được 6 tháng"),
    ("other-year", "không phải một quý (hoặc 6 tháng) của Năm 2026"),
    ("overlap", "cùng tính Quý I năm 2025"),
    ("missing", "Không tìm thấy tệp"),
])
def test_hostile_inputs_exit_2_with_a_clear_message_and_nothing_changed(year, hostile, tmp_path, case, words):
    q = [str(p) for p in year["quarters"]]
    out = str(tmp_path / "nam.xlsx")
    args = {"garbage": [q[0], str(hostile["garbage"]), "--period", "2025", "--out", out],
            "own": [q[0], str(hostile["own"]), "--period", "2025", "--out", out],
            "out-is-input": [*q, "--period", "2025", "--out", q[3]],
            "quarter": [q[0], "--period", "2025Q1", "--out", out],
            "other-year": [q[0], q[1], "--period", "2026", "--out", out],
            "overlap": [q[0], str(year["base"] / "S1.json"), "--period", "2025", "--out", out],
            "missing": [q[0], str(tmp_path / "khong-co.xlsx"), "--period", "2025", "--out", out]}[case]
    if case == "overlap":
        s1 = rollup(year["quarters"][:2], "2025S1", year["base"] / "S1.xlsx")
        assert s1.ok
        args[1] = str(s1.out)
    before = _digest(year["quarters"] + [hostile["garbage"], hostile["own"]])
    run = CliRunner().invoke(main, ["rollup", *args])
    assert run.exit_code == 2, run.output
    assert words in run.output, run.output
    assert not Path(out).exists() or case == "out-is-input"
    assert _digest(year["quarters"] + [hostile["garbage"], hostile["own"]]) == before


def test_hostile_names_in_an_input_stay_text(year, hostile, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    result = rollup([*year["quarters"][:2], hostile["evil"], year["quarters"][3]], "2025", folder / "nam.xlsx")
    assert sorted(p.name for p in folder.iterdir()) == ["nam.xlsx"]
    assert any(g.unit == "../evil" for g in result.gaps)  # a unit only in Q3: missing from the other quarters
    units = {u.unit for u in read_previous(folder / "nam.xlsx")}
    assert "../evil" in units


def test_english_messages(year, hostile, tmp_path):
    run = CliRunner().invoke(main, ["--lang", "en", "rollup", str(year["quarters"][0]), str(hostile["own"]),
                                    "--period", "2025", "--out", str(tmp_path / "y.xlsx")])
    assert run.exit_code == 2 and "cannot be rolled up" in run.output


def test_library_refuses_an_output_among_the_inputs(year):
    with pytest.raises(QcdcError) as info:
        rollup(year["quarters"], "2025", year["quarters"][0])
    assert info.value.key == "output-is-input"


# --- forms prefilled from the quarters -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def prefilled(year, roster, tmp_path_factory):
    base = tmp_path_factory.mktemp("prefill")
    ros = str(roster.source)
    q = [str(p) for p in year["quarters"]]
    run = CliRunner().invoke(main, ["template", "--roster", ros, "--level", "xa", "--all", "--period", "2025",
                                    "--prefill-from", q[0], q[1], q[2], "--out", str(base / "nam")])
    assert run.exit_code == 0, run.output
    assert "4 biểu mẫu đã điền sẵn" in run.output
    run = CliRunner().invoke(main, ["template", "--roster", ros, "--level", "xa", "--all", "--period", "2025S1",
                                    "--prefill-from", q[0], "--prefill-from", q[1], "--out", str(base / "s1")])
    assert run.exit_code == 0, run.output
    return {"base": base, "year": base / "nam", "s1": base / "s1"}


def _expected(year, code: str, quarters: range) -> dict:
    typed = [year["typed"][q][code] for q in quarters]
    out = {}
    for c in typed[-1]:
        how = KINDS[c]
        if how == "sum":
            total = sum(v[c] for v in typed)
            out[c] = round(total, 1) if isinstance(total, float) else total
        elif how == "max":
            out[c] = max(v[c] for v in typed)
        elif how == "any":
            out[c] = "Có" if any(v[c] == "Có" for v in typed) else "Không"
        elif how == "collect":
            out[c] = "\n".join(f"Quý {'I' * q if q < 4 else 'IV'} năm 2025: {v[c]}" for q, v in zip(quarters, typed))
        else:
            out[c] = typed[-1][c]
    return out


def test_prefilled_forms_read_back_exactly(year, roster, prefilled):
    for code in CODES:
        sub = read_submission(prefilled["year"] / f"{code}_2025.xlsx", roster, "2025")
        assert not sub.errors, sub.findings
        want = _expected(year, code, range(1, 4))
        for c, value in want.items():
            assert sub.values[c] == value, (code, c)  # exactly: amounts too (added as decimals)


def test_prefilled_form_prints_the_note(prefilled):
    wb = openpyxl.load_workbook(prefilled["year"] / f"{CODES[0]}_2025.xlsx")
    ws = wb.worksheets[0]
    top = [ws.cell(r, 1).value for r in range(1, 8)]
    assert PREFILL_NOTE in top
    assert PREFILL_NOTE == "Số liệu điền sẵn từ các quý — đơn vị kiểm tra, bổ sung quý còn lại"
    assert ws.protection.sheet  # still the locked form


def test_prefill_values_are_the_units_own(year):
    values = prefill_values(year["quarters"][:3], "2025")
    assert sorted(values) == CODES


def _send(form: Path, values: dict, out: Path) -> Path:
    return fill_workbook(form.read_bytes(), values, out, report_date=dt.datetime(2025, 12, 17))


def test_a_year_completed_with_its_fourth_quarter_agrees_and_a_changed_one_is_caught(year, roster, prefilled,
                                                                                      tmp_path):
    code = CODES[1]
    form = prefilled["year"] / f"{code}_2025.xlsx"
    q4 = year["typed"][4][code]
    full = _expected(year, code, range(1, 5))
    values = {c: v for c, v in full.items() if KINDS[c] in ("sum", "last", "max", "any")}
    inbox = tmp_path / "in"
    inbox.mkdir()
    _send(form, values, inbox / f"{code}_2025.xlsx")
    res = check([inbox], Scope(roster, "2025", previous=year["quarters"]))
    (sub,) = res.report.submissions
    assert not [f for f in sub.findings if f.code == "cumulative-mismatch"], sub.findings
    assert sub.accepted
    changed = dict(values, **{"II.2.3": values["II.2.3"] + 1})
    _send(form, changed, inbox / f"{code}_2025.xlsx")
    res = check([inbox], Scope(roster, "2025", previous=year["quarters"]))
    (sub,) = res.report.submissions
    (f,) = [f for f in sub.findings if f.code == "cumulative-mismatch"]
    assert f.indicator == "II.2.3" and f.severity == "error"
    assert q4["II.2.3"] > 0


def test_a_half_year_sent_as_prefilled_has_no_finding(year, roster, prefilled, tmp_path):
    code = CODES[0]
    inbox = tmp_path / "in"
    inbox.mkdir()
    _send(prefilled["s1"] / f"{code}_2025S1.xlsx", {}, inbox / f"{code}_2025S1.xlsx")
    res = check([inbox], Scope(roster, "2025S1", previous=year["quarters"][:2]))
    (sub,) = res.report.submissions
    assert sub.status == "accepted", sub.findings


def test_prefill_misuse_exits_2(year, roster, tmp_path):
    q = [str(p) for p in year["quarters"]]
    for args in (["--level", "xa", "--period", "2025", "--prefill-from", q[0]],  # no roster
                 ["--roster", str(roster.source), "--all", "--period", "2025Q2", "--prefill-from", q[0]],
                 ["--roster", str(roster.source), "--all", "--period", "2025", q[0]]):
        run = CliRunner().invoke(main, ["template", *args, "--out", str(tmp_path / "f")])
        assert run.exit_code == 2, (args, run.output)
        assert "--prefill-from cần --roster" in run.output


def test_with_a_roster_units_in_no_part_are_missing(year, roster, tmp_path):
    import qcdc_excel

    result = qcdc_excel.rollup([year["short"]], "2025S1", tmp_path / "s1.xlsx", roster=roster)
    status = {e.unit.code: e.status for e in result.consolidation.expected}
    assert status == {CODES[0]: "on-time", CODES[1]: "on-time", CODES[2]: "missing", CODES[3]: "on-time"}
    assert [g.words() for g in result.gaps] == ["Thiếu số liệu Quý I năm 2025: không có sổ tổng hợp của kỳ này."]
    assert result.consolidation.parent_name == "Huyện Thử" and not result.ok
