"""History as an input (issue 23, parts 2 and 3): earlier periods' consolidated workbooks and
``merge --json`` files read back into a series, and the three checks against it, on real workbooks
built with the package for a post-2025 province (communes with five-digit codes, leading zeros)."""
from __future__ import annotations

import datetime as dt
import json
import math
import random
import statistics
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel import Outputs, Scope, check, load_roster, merge, parse_period
from qcdc_excel.catalog import load_catalog
from qcdc_excel.cli import main
from qcdc_excel.form import UNITS_SHEET
from qcdc_excel.history import read_history, read_previous, roll
from qcdc_excel.history_checks import chains_exactly, jump, modified_z, parts_of, references
from qcdc_excel.i18n import QcdcError
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.template import template_bytes
from qcdc_excel.workbook_writer import FINDINGS

from .conftest import ROOT

ROSTER = ROOT / "samples" / "rosters" / "post2025-province.csv"
CATALOG = load_catalog()
LAYOUT = form_layout(CATALOG.version, "xa")
IDS = LAYOUT.identity_cells
UNITS = 10  # communes taking part: one more than the 8 siblings the outlier check needs besides a unit


@pytest.fixture(scope="module")
def roster():
    return load_roster(ROSTER)


@pytest.fixture(scope="module")
def communes(roster):
    return [u.code for u in roster.units.values() if u.level == "xa"][:UNITS]


def base_values(seed: int) -> dict:
    """A commune's quarter: rules met, and met again when its flows are added up over quarters (the
    backlogs II.5.5 and II.9.5, rolled as the latest, are 0)."""
    v = valid_values(CATALOG, LAYOUT.input_codes, random.Random(seed))
    v["II.5.5"], v["II.9.5"] = 0, 0
    v["II.5.2"] = v["II.5.3"] + v["II.5.4"]
    v["II.9.3"] = v["II.9.4"]
    v["II.9.2"] = max(v["II.9.2"], v["II.9.3"])
    v["II.6.3"] = 0
    for code in ("II.2.1", "II.2.2", "II.2.3", "II.2.4"):
        v[code] = 20 + seed % 7  # ordinary figures, close among siblings
    v["II.6.1"] = 12
    v["II.6.2"] = min(v["II.6.2"], 12)
    return v


def rolled(quarters: list[dict]) -> dict:
    """The half-year or year a commune types from its quarters, computed here by the catalog's words:
    flows added, everything else the latest quarter's."""
    out = {}
    for code, value in quarters[-1].items():
        if CATALOG.indicators[code].over_time == "sum":
            total = sum(q[code] for q in quarters)
            out[code] = round(total, 1) if isinstance(total, float) else total
        else:
            out[code] = value
    return out


def submit(folder: Path, roster, code: str, period: str, values: dict, window=None, name=None) -> Path:
    unit = roster[code]
    per = parse_period(period)
    extra = {}
    if window is not None:
        extra = {IDS["window_from"]: dt.datetime.combine(window[0], dt.time()),
                 IDS["window_to"]: dt.datetime.combine(window[1], dt.time())}
    return fill_workbook(template_bytes("xa", per, Identity.of(unit, roster)), values,
                         folder / (name or f"{code}_{period}.xlsx"), extra=extra,
                         report_date=dt.datetime.combine(per.window[1] + dt.timedelta(days=3), dt.time()))


def merged(base: Path, roster, period: str, values: dict[str, dict], previous=()) -> tuple[Path, Path, object]:
    inbox = base / f"inbox-{period}"
    inbox.mkdir()
    for code, v in values.items():
        submit(inbox, roster, code, period, v)
    out, js = base / f"TH-{period}.xlsx", base / f"TH-{period}.json"
    result = merge(inbox, Scope(roster, period, previous=previous), Outputs(out, json=js))
    return out, js, result


@pytest.fixture(scope="module")
def quarters(tmp_path_factory, roster, communes):
    """Q1 and Q2 of 2025 merged (Q2 against Q1), with their figures."""
    base = tmp_path_factory.mktemp("history")
    q1 = {c: base_values(k) for k, c in enumerate(communes)}
    q2 = {c: dict(v) for c, v in q1.items()}
    out1, js1, r1 = merged(base, roster, "2025Q1", q1)
    out2, js2, r2 = merged(base, roster, "2025Q2", q2, previous=[out1])
    return {"base": base, "q1": q1, "q2": q2, "out1": out1, "js1": js1, "out2": out2, "js2": js2,
            "r1": r1, "r2": r2}


def test_smoke(quarters):
    assert quarters["r1"].ok and quarters["r2"].ok


# --- the series read back --------------------------------------------------------------------------------
def test_consolidated_workbook_keeps_each_units_figures_hidden(quarters, communes):
    wb = openpyxl.load_workbook(quarters["out1"])
    ws = wb[UNITS_SHEET]
    assert ws.sheet_state == "veryHidden"
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("qcdc-units", "1") and rows[0][4] == "2025Q1"
    codes = [r[0] for r in rows[2:]]
    assert codes == sorted(communes) and all(isinstance(c, str) and len(c) == 5 for c in codes)
    assert codes[0].startswith("0")  # 01273: the leading zero kept


@pytest.mark.parametrize("which", ["out1", "js1"])
def test_series_from_workbook_and_json_is_the_figures_typed(quarters, communes, which):
    series = read_history([quarters[which]])
    q1 = parse_period("2025Q1")
    assert sorted(u for u, _ in series.units) == sorted(communes)
    for code in communes:
        got = series.get(code, "own", q1)
        assert got is not None and got.period == q1
        assert got.window == q1.window  # the form's prefilled Decree 09 window: 15/12/2024–14/03/2025
        typed = quarters["q1"][code]
        for c, value in typed.items():
            assert got.values[c] == value, (code, c)
        assert (got.level, got.parent, got.units) == ("xa", "04", 1)
        assert got.flag_units == {c: 1 for c, i in CATALOG.indicators.items() if i.kind == "flag" and i.rollup == "count"}


def test_merge_json_carries_the_history_block(quarters):
    data = json.loads(quarters["js2"].read_text(encoding="utf-8"))
    block = data["history"]
    assert block["format"] == "qcdc-units" and block["period"] == "2025Q2"
    first = block["units"][0]
    assert first["unit"].startswith("0") and first["window"] == ["2025-03-15", "2025-06-14"]


def test_consolidated_workbook_with_units_sheet_is_still_a_valid_input_upward(quarters, roster):
    """The province's workbook, read as a submission (merge one level up), is not refused for its
    extra hidden sheet."""
    from qcdc_excel.validate import read_submission

    sub = read_submission(quarters["out1"], roster, "2025Q1")
    assert sub.form == "consolidated" and not [f for f in sub.findings if f.code == "sheet-added"], sub.findings


def test_roll_over_time_each_kind(quarters, communes):
    """Q1 and Q2 read back and rolled: sum adds, last takes Q2's, max the larger, any says Có once."""
    q1 = read_previous(quarters["out1"])
    q2 = read_previous(quarters["js2"])
    code = communes[3]
    parts = [p for p in q1 + q2 if p.unit == code]
    got = roll(parts, CATALOG)
    a, b = quarters["q1"][code], quarters["q2"][code]
    assert got["II.5.2"] == a["II.5.2"] + b["II.5.2"]  # sum
    assert got["II.6.1"] == b["II.6.1"] and got["IV.1"] == b["IV.1"]  # last
    assert got["III.2"] == max(a["III.2"], b["III.2"])  # max
    want_any = "Có" if "Có" in (a["I.4.1"], b["I.4.1"]) else "Không"
    assert got["I.4.1"] == want_any
    assert got["V.1"] == [("2025Q1", a["V.1"]), ("2025Q2", b["V.1"])]  # texts with their period
    assert "II.5.6" not in got  # a ratio is recomputed from the rolled parts, never rolled


# --- bad previous files ------------------------------------------------------------------------------------
def _bad_files(folder: Path, quarters, roster, communes) -> dict[str, Path]:
    folder.mkdir(exist_ok=True)
    garbage = folder / "rac.xlsx"
    garbage.write_bytes(bytes(random.Random(1).getrandbits(8) for _ in range(3000)))
    wrong_json = folder / "khac.json"
    wrong_json.write_text('{"files": []}', encoding="utf-8")
    broken_json = folder / "hong.json"
    broken_json.write_text('{"history": ', encoding="utf-8")
    unit_form = submit(folder, roster, communes[0], "2025Q1", quarters["q1"][communes[0]], name="don-vi.xlsx")
    return {"garbage": garbage, "json": wrong_json, "broken": broken_json, "form": unit_form,
            "missing": folder / "khong-co.xlsx", "folder": folder}


def test_bad_previous_files_are_refused_naming_the_file(quarters, roster, communes):
    bad = _bad_files(quarters["base"] / "bad", quarters, roster, communes)
    for key, path in bad.items():
        with pytest.raises(QcdcError) as info:
            read_history([quarters["out1"], path])
        for lang in ("vi", "en"):
            assert str(path) in info.value.render(lang), (key, info.value.render(lang))
    with pytest.raises(QcdcError) as info:
        read_history([bad["form"]])
    assert "không phải sổ tổng hợp" in info.value.render("vi")


def test_hostile_json_figures_are_left_out(quarters, tmp_path):
    data = json.loads(quarters["js1"].read_text(encoding="utf-8"))
    unit = data["history"]["units"][0]
    unit["values"].update({"II.5.2": float("nan"), "II.5.3": float("inf"), "II.5.4": 10**400, "II.8.1": "=1+1",
                           "II.8.2": -4, "I.4.1": "Có lẽ", "ZZ.1": 5})
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    got = next(p for p in read_previous(path) if p.unit == unit["unit"])
    for code in ("II.5.2", "II.5.3", "II.5.4", "II.8.1", "II.8.2", "I.4.1", "ZZ.1"):
        assert code not in got.values, code
    assert got.values["II.5.1"] == unit["values"]["II.5.1"]


def test_a_consolidated_workbook_of_an_older_version_says_so(quarters, tmp_path):
    wb = openpyxl.load_workbook(quarters["out1"])
    del wb[UNITS_SHEET]
    old = tmp_path / "cu.xlsx"
    wb.save(old)
    with pytest.raises(QcdcError) as info:
        read_history([old])
    assert "phiên bản cũ" in info.value.render("vi") and "older version" in info.value.render("en")


def test_a_unit_twice_for_one_period_is_refused(quarters):
    with pytest.raises(QcdcError) as info:
        read_history([quarters["out1"], quarters["js1"]])
    text = info.value.render("vi")
    assert "Quý I năm 2025" in text and str(quarters["out1"]) in text and str(quarters["js1"]) in text


def test_hostile_cells_in_a_previous_workbook_are_not_trusted(quarters, communes, tmp_path):
    """A unit code typed as a number (its zero lost) is refused naming the row; a word or a formula
    in a figure's column is left out, never read as a figure."""
    wb = openpyxl.load_workbook(quarters["out1"])
    ws = wb[UNITS_SHEET]
    col = [c.value for c in ws[2]].index("record") + 1
    record = json.loads(ws.cell(4, col).value)
    record[json.loads(ws.cell(1, 6).value).index("II.5.2")] = "mười hai"
    ws.cell(4, col).value = json.dumps(record)
    ws.cell(3, [c.value for c in ws[2]].index("V.1") + 1).value = "=HYPERLINK(\"http://x\")"
    path = tmp_path / "sua.xlsx"
    wb.save(path)
    got = {p.unit: p for p in read_previous(path)}
    first, second = sorted(communes)[:2]
    assert "V.1" not in got[first].values and "II.5.2" not in got[second].values
    assert got[second].values["II.5.3"] == quarters["q1"][second]["II.5.3"]
    for cell, value, row in (((5, 1), 1288, 5), ((6, col), "{hỏng", 6)):
        wb = openpyxl.load_workbook(quarters["out1"])
        wb[UNITS_SHEET].cell(*cell).value = value
        wb.save(path)
        with pytest.raises(QcdcError) as info:
            read_previous(path)
        assert f"dòng {row}" in info.value.render("vi") and f"row {row}" in info.value.render("en")


def test_cli_bad_previous_exits_2_with_the_file_named(quarters, roster, communes):
    bad = _bad_files(quarters["base"] / "bad-cli", quarters, roster, communes)
    inbox = quarters["base"] / "inbox-2025Q2"
    for lang in ("vi", "en"):
        res = CliRunner().invoke(main, ["--lang", lang, "validate", str(inbox), "--roster", str(ROSTER),
                                        "--previous", str(bad["garbage"])])
        assert res.exit_code == 2, res.output
        assert str(bad["garbage"]) in res.output
        assert ("không dùng được" if lang == "vi" else "cannot be used") in res.output
    out = quarters["base"] / "never.xlsx"
    res = CliRunner().invoke(main, ["merge", str(inbox), "--roster", str(ROSTER), "--out", str(out),
                                    "--previous", str(bad["json"])])
    assert res.exit_code == 2 and str(bad["json"]) in res.output and not out.exists()
    res = CliRunner().invoke(main, ["merge", str(inbox), "--roster", str(ROSTER), "--out", str(quarters["out1"]),
                                    "--previous", str(quarters["out1"])])
    assert res.exit_code == 2  # the output would replace a previous file: refused before any work


# --- period-jump ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("before, now, speaks", [
    (10, 30, True), (10, 29, False), (30, 10, True), (29, 10, False),  # ×3 or ÷3, the larger at least 10
    (9, 27, True), (3, 9, False),  # the larger value decides
    (0, 10, True), (0, 9, False), (10, 0, True), (9, 0, False),  # zero to 10 or back
    (7, 7, False), (0, 0, False), (5.5, 20.0, True), (6.7, 20.0, False)])
def test_jump_thresholds(before, now, speaks):
    assert (jump(before, now) is not None) is speaks


def test_jump_of_a_reorganisation_stock():
    assert jump(12, 13, fixed=True) is not None and jump(12, 12, fixed=True) is None
    assert jump(8, 9, fixed=True) is None  # small counts never speak


def test_references_are_the_previous_period_of_the_same_kind_and_a_year_earlier():
    codes = lambda p: [r.code for r in references(parse_period(p))]  # noqa: E731
    assert codes("2025Q2") == ["2025Q1", "2024Q2"]
    assert codes("2025Q1") == ["2024Q4", "2024Q1"]
    assert codes("2025S1") == ["2024S2", "2024S1"]
    assert codes("2025") == ["2024"]


JUMPS = {0: {"II.2.4": (10, 30)}, 1: {"II.2.4": (10, 29)}, 2: {"II.2.1": (0, 10)}, 3: {"II.2.1": (0, 9)},
         4: {"II.6.1": (12, 13)}, 5: {"II.2.2": (10, 0)}, 6: {"II.2.2": (9, 0)}}


@pytest.fixture(scope="module")
def jumps(quarters, roster, communes):
    """Q3 2025 typed against Q2 (given as the workbook and as JSON): each commune of JUMPS changes
    one figure, just inside or just outside the threshold."""
    base = quarters["base"] / "jumps"
    base.mkdir()
    q2, q3 = {}, {}
    for k, code in enumerate(communes):
        q2[code], q3[code] = dict(quarters["q1"][code]), dict(quarters["q1"][code])
        for c, (a, b) in JUMPS.get(k, {}).items():
            q2[code][c], q3[code][c] = a, b
    prev, prev_js, _ = _merged_as(base, roster, "2025Q2", q2)
    out, js, result = merged(base, roster, "2025Q3", q3, previous=[prev_js])
    return {"result": result, "out": out, "js": js, "prev": prev, "base": base}


def _merged_as(base: Path, roster, period: str, values: dict) -> tuple[Path, Path, object]:
    folder = base / "q2"
    folder.mkdir()
    return merged(folder, roster, period, values)


def _found(result, code: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for sub in result.report.submissions:
        out.setdefault(sub.unit_code, []).extend(f for f in sub.findings if f.code == code)
    return out


def test_period_jump_just_inside_and_outside(jumps, communes):
    found = _found(jumps["result"], "period-jump")
    for k, changes in JUMPS.items():
        code = communes[k]
        (indicator, (before, now)), = changes.items()
        hits = [f for f in found[code] if f.indicator == indicator]
        assert bool(hits) is (jump(before, now, indicator == "II.6.1") is not None), (k, hits)
    others = [f for k, c in enumerate(communes) if k not in JUMPS for f in found[c]]
    assert not others


def test_period_jump_message_json_cell_and_sheet(jumps, communes):
    sub = next(s for s in jumps["result"].report.submissions if s.unit_code == communes[0])
    f = next(f for f in sub.findings if f.code == "period-jump")
    assert f.severity == "warning" and sub.status == "accepted-with-warnings"
    assert f.cell == LAYOUT.cells["II.2.4"] and f.sheet == LAYOUT.sheet_name
    vi, en = f.message("vi"), f.message("en")
    assert "Quý II năm 2025: 10 nội dung; Quý III năm 2025: 30 nội dung — " in vi and "hãy kiểm tra lại" in vi
    assert "Q2 2025: 10; Q3 2025: 30 — up threefold or more; please check." in en
    data = json.loads(jumps["js"].read_text(encoding="utf-8"))
    row = next(x for file in data["files"] if file["unit_code"] == communes[0]
               for x in file["findings"] if x["code"] == "period-jump")
    assert (row["value"], row["previous_value"], row["previous_period"]) == (30, 10, "2025Q2")
    assert row["cell"] == LAYOUT.cells["II.2.4"]
    ws = openpyxl.load_workbook(jumps["out"])[FINDINGS]
    listed = [[c.value for c in r] for r in ws.iter_rows() if r[1].value == communes[0]]
    assert any("Thay đổi bất thường" in str(r[5]) and "Quý II năm 2025: 10 nội dung" in str(r[6]) for r in listed)
    vill = next(f for s in jumps["result"].report.submissions if s.unit_code == communes[4]
                for f in s.findings if f.code == "period-jump")
    assert "sắp xếp lại" in vill.message("vi") and "12 thôn, tổ" in vill.message("vi")


def test_feedback_copy_marks_the_jumped_cell(jumps, communes, roster):
    fb = jumps["base"] / "gop-y"
    target = jumps["base"] / "inbox-2025Q3" / f"{communes[0]}_2025Q3.xlsx"
    check([target], Scope(roster, "2025Q3", previous=[jumps["prev"]]), Outputs(feedback_dir=fb))
    copy = next(fb.rglob("*.xlsx"))
    ws = openpyxl.load_workbook(copy)[LAYOUT.sheet_name]
    comment = ws[LAYOUT.cells["II.2.4"]].comment
    assert comment is not None and "Quý II năm 2025: 10 nội dung" in comment.text
    rules = [r for cf in ws.conditional_formatting for r in cf.rules
             if LAYOUT.cells["II.2.4"] in str(cf.sqref)]
    assert any("=30" in "".join(r.formula) for r in rules)  # the mark clears once the figure is changed


# --- cumulative-mismatch ---------------------------------------------------------------------------------
def test_parts_and_chains():
    codes = lambda p: [[x.code for x in c] for c in parts_of(parse_period(p))]  # noqa: E731
    assert codes("2025S1") == [["2025Q1", "2025Q2"]]
    assert codes("2025S2") == [["2025Q3", "2025Q4"]]
    assert codes("2025")[:2] == [["2025Q1", "2025Q2", "2025Q3", "2025Q4"], ["2025S1", "2025Q3", "2025Q4"]]
    assert codes("2025Q3") == []
    year = parse_period("2025").window
    quarters = [parse_period(f"2025Q{n}").window for n in range(1, 5)]
    assert year == (dt.date(2024, 12, 15), dt.date(2025, 12, 14))
    assert chains_exactly(year, quarters)  # Decree 09 windows chain
    assert chains_exactly(year, [parse_period("2025S1").window] + quarters[2:])
    gap = quarters[:3] + [(dt.date(2025, 9, 16), dt.date(2025, 12, 14))]
    assert not chains_exactly(year, gap)  # a day left out
    assert not chains_exactly((year[0], dt.date(2025, 10, 20)), quarters)  # Kbang: the year cut in October


CUMULATIVE = {1: ("II.2.1", 1), 2: ("II.4.1", 0.1), 3: ("II.2.1", 1)}  # commune -> (figure, added)
CUT_WINDOW = (dt.date(2024, 12, 15), dt.date(2025, 6, 10))  # commune 3 cut its half-year on 10 June


@pytest.fixture(scope="module")
def half_year(quarters, roster, communes):
    """6 tháng đầu năm 2025 typed by each commune from its quarters; three commune differ."""
    inbox = quarters["base"] / "inbox-2025S1"
    inbox.mkdir()
    for k, code in enumerate(communes):
        values = rolled([quarters["q1"][code], quarters["q2"][code]])
        if k in CUMULATIVE:
            indicator, added = CUMULATIVE[k]
            values[indicator] = round(values[indicator] + added, 1)
        submit(inbox, roster, code, "2025S1", values, window=CUT_WINDOW if k == 3 else None)
    js = quarters["base"] / "S1.json"
    result = check([inbox], Scope(roster, "2025S1", previous=[quarters["out1"], quarters["js2"]]), Outputs(json=js))
    return {"result": result, "json": js, "inbox": inbox}


def test_cumulative_mismatch_error_when_windows_chain_warning_when_not(half_year, communes):
    found = _found(half_year["result"], "cumulative-mismatch")
    for k, code in enumerate(communes):
        if k not in CUMULATIVE:
            assert not found[code], (k, [f.message() for f in found[code]])  # the sum exactly: nothing said
            continue
        (f,) = found[code]
        assert f.indicator == CUMULATIVE[k][0]
        assert f.severity == ("warning" if k == 3 else "error"), k
    status = {s.unit_code: s.status for s in half_year["result"].report.submissions}
    assert status[communes[1]] == status[communes[2]] == "rejected"
    assert status[communes[3]] == "accepted-with-warnings" and status[communes[0]] != "rejected"


def test_cumulative_mismatch_words_and_json(quarters, half_year, communes):
    code = communes[1]
    sub = next(s for s in half_year["result"].report.submissions if s.unit_code == code)
    f = next(f for f in sub.findings if f.code == "cumulative-mismatch")
    a, b = quarters["q1"][code]["II.2.1"], quarters["q2"][code]["II.2.1"]
    vi = f.message("vi")
    assert f"6 tháng đầu năm 2025: {a + b + 1} nội dung" in vi
    assert f"Quý I năm 2025: {a} nội dung + Quý II năm 2025: {b} nội dung = {a + b} nội dung" in vi
    assert "phải bằng nhau" in vi and "must be equal" in f.message("en")
    warn = next(f for s in half_year["result"].report.submissions if s.unit_code == communes[3]
                for f in s.findings if f.code == "cumulative-mismatch")
    assert "10/06/2025" in warn.message("vi") and "không nối liền" in warn.message("vi")
    data = json.loads(half_year["json"].read_text(encoding="utf-8"))
    row = next(x for file in data["files"] if file["unit_code"] == code
               for x in file["findings"] if x["code"] == "cumulative-mismatch")
    assert (row["value"], row["previous_value"], row["previous_period"]) == (a + b + 1, a + b, "2025Q1+2025Q2")
    assert row["windows_chain"] is True and row["severity"] == "error"


def test_amounts_add_up_as_decimals(quarters, half_year, communes):
    """II.4.1 in triệu đồng: the commune that typed the exact sum (binary floats would differ in the
    last digit) is not told, the one 0,1 off is."""
    found = _found(half_year["result"], "cumulative-mismatch")
    assert not [f for f in found[communes[0]] if f.indicator == "II.4.1"]
    assert [f for f in found[communes[2]] if f.indicator == "II.4.1"]


def test_validate_cli_with_previous_exits_1_on_a_cumulative_error(quarters, half_year):
    for lang in ("vi", "en"):
        res = CliRunner().invoke(main, ["--lang", lang, "validate", str(half_year["inbox"]), "--roster", str(ROSTER),
                                        "--period", "2025S1", "--previous", str(quarters["out1"]),
                                        "--previous", str(quarters["js2"])])
        assert res.exit_code == 1, res.output
        assert "cumulative-mismatch" in res.output or ("Không khớp tổng các kỳ" if lang == "vi" else
                                                       "Does not match its periods' sum") in res.output


def test_without_previous_nothing_of_history_is_said(half_year):
    res = check([half_year["inbox"]], Scope(load_roster(ROSTER), "2025S1"))
    codes = {f.code for s in res.report.submissions for f in s.findings}
    assert not codes & {"cumulative-mismatch", "period-jump", "sibling-outlier"}


# --- sibling-outlier ---------------------------------------------------------------------------------------
def z_of(value: float, others: list[float]) -> float:
    """The modified z-score, computed here from its definition (Iglewicz and Hoaglin)."""
    sample = [math.log1p(x) for x in others + [value]]
    med = statistics.median(sample)
    mad = max(statistics.median([abs(x - med) for x in sample]), math.log(2) * 0.6745 / 3.5)  # the floor: ×2
    return 0.6745 * (math.log1p(value) - med) / mad


def boundary(others: list[float]) -> tuple[int, int]:
    """The largest count that stays inside 3.5 and the smallest that goes outside."""
    v = int(max(others))
    while z_of(v + 1, others) <= 3.5:
        v += 1
    return v, v + 1


@pytest.fixture(scope="module")
def siblings(quarters, roster, communes):
    base = quarters["base"] / "siblings"
    base.mkdir()
    others = [quarters["q2"][c]["II.2.3"] for c in communes[:-1]]
    inside, outside = boundary(others)
    paths = {}
    for k, code in enumerate(communes):
        values = dict(quarters["q2"][code])
        paths[code] = submit(base, roster, code, "2025Q2", values, name=f"{code}.xlsx")
    last = communes[-1]
    for label, value in (("inside", inside), ("outside", outside)):
        values = dict(quarters["q2"][last], **{"II.2.3": value})
        (base / label).mkdir()
        paths[label] = submit(base / label, roster, last, "2025Q2", values)
    return {"paths": paths, "inside": inside, "outside": outside}


def _outliers_of(paths: list[Path], roster, previous) -> dict[str, list]:
    res = check(paths, Scope(roster, "2025Q2", previous=previous))
    return _found(res, "sibling-outlier")


def test_sibling_outlier_just_inside_and_outside(siblings, quarters, communes, roster):
    assert siblings["outside"] > siblings["inside"] >= 30
    rest = [siblings["paths"][c] for c in communes[:-1]]
    last = communes[-1]
    out = _outliers_of(rest + [siblings["paths"]["outside"]], roster, [quarters["out1"]])
    (f,) = [f for f in out[last] if f.indicator == "II.2.3"]
    assert f"Quý II năm 2025: {siblings['outside']} nội dung" in f.message("vi") and "9 đơn vị" in f.message("vi")
    assert "far from the sibling units" in f.message("en") and f.cell == LAYOUT.cells["II.2.3"]
    inside = _outliers_of(rest + [siblings["paths"]["inside"]], roster, [quarters["out1"]])
    assert not [f for f in inside[last] if f.indicator == "II.2.3"]


def test_sibling_outlier_needs_eight_siblings(siblings, quarters, communes, roster):
    """With 7 siblings reporting, even a far value is not compared."""
    few = [siblings["paths"][c] for c in communes[2:-1]] + [siblings["paths"]["outside"]]
    assert len(few) == 7 + 1
    out = _outliers_of(few, roster, [quarters["out1"]])
    assert not any(out.values())


def test_modified_z_definition():
    assert modified_z(10.0, [1.0, 2.0, 3.0, 4.0, 10.0]) == pytest.approx(0.6745 * 7 / 1)
    assert modified_z(5.0, [5.0] * 9) == 0


def test_siblings_typing_one_figure_do_not_make_a_small_difference_an_outlier():
    """Nine communes with 12 villages and one with 13: the MAD is 0, yet 13 is no outlier; 30 is."""
    sample = [math.log1p(12)] * 9
    assert abs(modified_z(math.log1p(13), sample + [math.log1p(13)])) < 3.5
    assert abs(modified_z(math.log1p(30), sample + [math.log1p(30)])) > 3.5


@pytest.mark.soffice
def test_previous_workbook_resaved_by_libreoffice_reads_the_same(quarters, soffice, tmp_path):
    from .conftest import convert_with_soffice

    converted = convert_with_soffice(soffice, [quarters["out1"]], tmp_path / "lo")[quarters["out1"]]
    before = {(p.unit, p.period): p for p in read_previous(quarters["out1"])}
    after = {(p.unit, p.period): p for p in read_previous(converted)}
    assert before.keys() == after.keys()
    for key, p in before.items():
        assert (after[key].values, after[key].window) == (p.values, p.window), key
    assert any(unit.startswith("0") for unit, _ in after)


YEAR_UNITS = (0, 4, 5)  # exact; one more II.2.3 with Decree 09 windows; the same, its year cut on 20 October
KBANG_CUT = (dt.date(2024, 12, 15), dt.date(2025, 10, 20))


@pytest.fixture(scope="module")
def year(quarters, half_year, roster, communes):
    """Năm 2025 of three communes against Q1..Q4, and against 6 tháng đầu năm + Q3 + Q4."""
    base = quarters["base"] / "year"
    base.mkdir()
    some = {communes[k]: quarters["q1"][communes[k]] for k in YEAR_UNITS}
    q3, _, _ = merged(base, roster, "2025Q3", some)
    q4, _, _ = merged(base, roster, "2025Q4", some)
    s1 = base / "TH-2025S1.xlsx"
    merge(half_year["inbox"], Scope(roster, "2025S1"), Outputs(s1))
    inbox = base / "inbox-2025"
    inbox.mkdir()
    for k in YEAR_UNITS:
        code = communes[k]
        values = rolled([quarters["q1"][code], quarters["q2"][code], some[code], some[code]])
        if k != 0:
            values["II.2.3"] += 1
        submit(inbox, roster, code, "2025", values, window=KBANG_CUT if k == 5 else None)
    return {"inbox": inbox, "quarters": [quarters["out1"], quarters["js2"], q3, q4], "halves": [s1, q3, q4]}


@pytest.mark.parametrize("chain, parts", [("quarters", "2025Q1+2025Q2+2025Q3+2025Q4"),
                                          ("halves", "2025S1+2025Q3+2025Q4")])
def test_year_against_its_parts(year, roster, communes, tmp_path, chain, parts):
    js = tmp_path / "nam.json"
    res = check([year["inbox"]], Scope(roster, "2025", previous=year[chain]), Outputs(json=js))
    found = _found(res, "cumulative-mismatch")
    assert not found[communes[0]]
    (error,) = found[communes[4]]
    (warning,) = found[communes[5]]
    assert (error.indicator, error.severity, warning.indicator, warning.severity) == (
        "II.2.3", "error", "II.2.3", "warning")
    assert "20/10/2025" in warning.message("vi") and "do not chain" in warning.message("en")
    rows = [x for f in json.loads(js.read_text("utf-8"))["files"] for x in f["findings"]
            if x["code"] == "cumulative-mismatch"]
    assert {r["previous_period"] for r in rows} == {parts}


def test_a_district_consolidated_report_is_compared_with_its_own_past(tmp_path):
    """Before 2025: the province merges the districts' consolidated workbooks; the district's Q2
    totals are compared with its Q1 totals as the province's Q1 workbook kept them."""
    rows = "code,name,level,parent\n90,Tỉnh Thử,tinh,\n900,Huyện Thử,huyen,90\n" + "".join(
        f"0900{k},Xã Số {k},xa,900\n" for k in range(1, 4))
    (tmp_path / "ds.csv").write_text(rows, encoding="utf-8")
    roster = load_roster(tmp_path / "ds.csv")
    province = {}
    for period, cases in (("2025Q1", 10), ("2025Q2", 40)):
        communes = {f"0900{k}": dict(base_values(k), **{"II.2.4": cases}) for k in range(1, 4)}
        district_out, _, _ = merged(_fresh(tmp_path, period), roster, period, communes)
        inbox = tmp_path / f"tinh-inbox-{period}"
        inbox.mkdir()
        district_out.rename(inbox / district_out.name)
        out = tmp_path / f"tinh-{period}.xlsx"
        province[period] = merge(inbox, Scope(roster, period, parent="90",
                                              previous=[tmp_path / "tinh-2025Q1.xlsx"] if period == "2025Q2" else ()),
                                 Outputs(out))
    series = read_history([tmp_path / "tinh-2025Q1.xlsx"])
    assert ("900", "consolidated") in series.units
    (f,) = [f for s in province["2025Q2"].report.submissions for f in s.findings if f.code == "period-jump"]
    assert f.indicator == "II.2.4" and "Quý I năm 2025: 30 nội dung; Quý II năm 2025: 120 nội dung" in f.message()


def _fresh(base: Path, period: str) -> Path:
    folder = base / f"huyen-{period}"
    folder.mkdir()
    return folder
