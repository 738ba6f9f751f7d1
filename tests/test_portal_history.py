"""The web desk checks each round against its own earlier rounds of the same roster (issue 23 §2, §5):
no ``--previous`` to give; the flagged figure is shown with the unit's earlier value beside it, on
the unit's pages and the office's review page, in Vietnamese and English. Real forms: the shipped
province sample's generator (samples/make_province_2025.py), uploaded round by round."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import importlib.util
import io
import json
import re

import pytest

from qcdc_excel.portal.checker import InlineRunner
from qcdc_excel.portal.service import ADMIN, Portal, init_portal
from qcdc_excel.portal.web import create_app
from qcdc_excel.roster import load_roster

from .conftest import SAMPLES

SAMPLE = SAMPLES / "province-2025"
PERIODS = ("2024", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025")
THUC_PHAN, NUNG_TRI_CAO, TAN_GIANG, BAO_LAM = "01273", "01279", "01288", "01290"


def generator():
    spec = importlib.util.spec_from_file_location("make_province_2025", SAMPLES / "make_province_2025.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """period -> unit -> the bytes of its filled form (the sample's figures)."""
    gen = generator()
    base = tmp_path_factory.mktemp("forms")
    roster = load_roster(SAMPLE / "roster.csv")
    codes = [u.code for u in roster.units.values() if u.level == "xa"]
    data = gen.figures(codes)
    out = {}
    for period in PERIODS:
        gen.write_forms(base / period, roster, period, data[period])
        out[period] = {c: (base / period / f"{c}_{period}.xlsx").read_bytes() for c in codes}
    return out


@pytest.fixture()
def desk(tmp_path, forms):
    """A desk for the province whose rounds 2024, the four quarters of 2025 and 2025 each hold the
    six communes' forms (the office took them in), the year opened last."""
    rows = init_portal(tmp_path / "data", SAMPLE / "roster.csv", "2024", "04", dt.date(2025, 1, 20))
    portal = Portal(tmp_path / "data", runner=InlineRunner())
    ids = {}
    for period in PERIODS:
        rnd = portal.round() if period == "2024" else portal.open_round(period, None, ADMIN)
        for code, data in forms[period].items():
            ids[(period, code)] = portal.receive(data, f"{code}_{period}.xlsx", ADMIN, "desk", rnd.id)["id"]
    app = create_app(portal)
    app.testing = True
    yield portal, app, {r["code"]: r["access_code"] for r in rows}, ids
    portal.close()


def history_findings(sub: dict) -> list[tuple[str, str]]:
    return [(f["code"], f["indicator"]) for f in sub["findings"]
            if f["code"] in ("cumulative-mismatch", "period-jump", "sibling-outlier")]


def test_the_earlier_rounds_of_the_same_roster_are_the_history(desk):
    portal, _, _, ids = desk
    by_period = {r.period: r for r in portal.rounds()}
    year, q4 = by_period["2025"], by_period["2025Q4"]
    assert [r.period for r in sorted(portal.earlier_rounds(year.id), key=lambda r: r.id)] == list(PERIODS[:-1])
    assert [r.period for r in sorted(portal.earlier_rounds(q4.id), key=lambda r: r.id)] == list(PERIODS[:4])
    assert portal.earlier_rounds(by_period["2024"].id) == []
    year_subs = {code: portal.submission(ids[("2025", code)]) for code in (THUC_PHAN, NUNG_TRI_CAO, TAN_GIANG,
                                                                           BAO_LAM)}
    assert history_findings(year_subs[THUC_PHAN]) == [("cumulative-mismatch", "II.1.2")]
    assert history_findings(year_subs[NUNG_TRI_CAO]) == [("cumulative-mismatch", "II.4.2")]
    assert history_findings(year_subs[TAN_GIANG]) == [("period-jump", "II.9.1")]
    assert history_findings(year_subs[BAO_LAM]) == []
    # the windows chain, so a year that does not add up is an error: that return does not count
    assert year_subs[THUC_PHAN]["status"] == "rejected" and not year_subs[THUC_PHAN]["counts"]
    assert year_subs[TAN_GIANG]["status"] == "accepted-with-warnings" and year_subs[TAN_GIANG]["counts"]
    days = next(f for f in year_subs[NUNG_TRI_CAO]["findings"] if f["code"] == "cumulative-mismatch")
    assert (days["value"], days["previous_value"], days["previous_period"]) == (365, 460, "2025Q1+2025Q2+2025Q3+2025Q4")
    jump = next(f for f in year_subs[TAN_GIANG]["findings"] if f["code"] == "period-jump")
    assert (jump["value"], jump["previous_value"], jump["previous_period"]) == (150, 12, "2024")
    # what is recorded stays as the worker checked it: the findings against history are the desk's view
    assert portal.result(ids[("2025", THUC_PHAN)]).status == "accepted"
    # a quarter is made of no parts: against its previous quarter only (its figures vary; 2024 had no quarters)
    quarters = [f for p in PERIODS[1:5] for c in (THUC_PHAN, NUNG_TRI_CAO, TAN_GIANG, BAO_LAM)
                for f in portal.submission(ids[(p, c)])["findings"]]
    assert {f["code"] for f in quarters} <= {"period-jump"}
    assert all(f["previous_period"] in ("2025Q1", "2025Q2", "2025Q3") for f in quarters)


def test_a_new_file_in_an_earlier_round_changes_what_the_year_is_checked_against(desk, forms, tmp_path):
    portal, _, _, ids = desk
    gen = generator()
    roster = load_roster(SAMPLE / "roster.csv")
    figures = gen.figures([u.code for u in roster.units.values() if u.level == "xa"])
    fourth = dict(figures["2025Q4"][NUNG_TRI_CAO], **{"II.4.2": 0})  # its Q4 corrected: no labour days
    gen.write_forms(tmp_path, roster, "2025Q4", {NUNG_TRI_CAO: fourth})
    q4 = next(r for r in portal.rounds() if r.period == "2025Q4")
    before = portal.submission(ids[("2025", NUNG_TRI_CAO)])
    assert history_findings(before) == [("cumulative-mismatch", "II.4.2")]
    portal.receive((tmp_path / f"{NUNG_TRI_CAO}_2025Q4.xlsx").read_bytes(), "sua.xlsx", ADMIN, "desk", q4.id)
    after = portal.submission(ids[("2025", NUNG_TRI_CAO)])
    assert history_findings(after) == [] and after["status"] == "accepted" and after["counts"]


def test_the_rounds_outputs_list_the_findings_against_history(desk):
    portal, _, _, _ = desk
    year = portal.round()
    paths = portal.outputs(year.id)
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    found = sorted((f["unit_code"], x["code"]) for f in report["files"] for x in f["findings"])
    assert found == [(THUC_PHAN, "cumulative-mismatch"), (NUNG_TRI_CAO, "cumulative-mismatch"),
                     (TAN_GIANG, "period-jump")]
    assert sorted(report["units"]["accepted"]) == sorted([TAN_GIANG, BAO_LAM, "01294", "01297"])


def signed_in(app, code: str):
    client = app.test_client()
    assert client.get(f"/u/{code}").status_code == 302
    return client


def beside_pairs(page: str) -> list[tuple[str, str, str, str]]:
    """Each “beside” block of a page: (now label, value, earlier label, earlier value), unescaped."""
    return [tuple(htmllib.unescape(x) for x in m) for m in re.findall(
        r'<dl class="beside"><div><dt>([^<]*)</dt><dd>([^<]*)</dd></div><div><dt>([^<]*)</dt><dd>([^<]*)</dd></div></dl>',
        page)]


def test_the_units_page_shows_the_flagged_figure_with_its_earlier_value(desk):
    portal, app, codes, ids = desk
    client = signed_in(app, codes[NUNG_TRI_CAO])
    page = client.get("/unit").get_data(as_text=True)
    assert beside_pairs(page) == [("Số báo cáo kỳ này", "365", "Cộng các kỳ Quý I năm 2025 + Quý II năm 2025 + "
                                   "Quý III năm 2025 + Quý IV năm 2025", "460")]
    client.get("/lang/en?next=/unit")
    page = client.get(f"/submissions/{ids[('2025', NUNG_TRI_CAO)]}").get_data(as_text=True)
    assert beside_pairs(page) == [("Reported now", "365", "Sum of Q1 2025 + Q2 2025 + Q3 2025 + Q4 2025", "460")]
    client = signed_in(app, codes[TAN_GIANG])
    page = client.get("/unit").get_data(as_text=True)
    assert beside_pairs(page) == [("Số báo cáo kỳ này", "150", "Năm 2024 (đơn vị đã báo cáo)", "12")]
    client = signed_in(app, codes[BAO_LAM])
    assert beside_pairs(client.get("/unit").get_data(as_text=True)) == []


def test_the_offices_review_page_shows_them_too(desk):
    portal, app, codes, _ = desk
    admin = signed_in(app, codes[ADMIN])
    page = admin.get(f"/desk/units/{THUC_PHAN}").get_data(as_text=True)
    assert beside_pairs(page) == [("Số báo cáo kỳ này", "13", "Cộng các kỳ Quý I năm 2025 + Quý II năm 2025 + "
                                   "Quý III năm 2025 + Quý IV năm 2025", "11")]
    admin.get("/lang/en?next=/desk")
    page = admin.get(f"/desk/units/{TAN_GIANG}").get_data(as_text=True)
    assert beside_pairs(page) == [("Reported now", "150", "Year 2024 (as the unit reported)", "12")]


def test_the_feedback_copy_carries_the_findings_against_history(desk):
    import openpyxl

    portal, _, _, ids = desk
    path, name = portal.feedback(ids[("2025", NUNG_TRI_CAO)])
    assert path.suffix == ".xlsx" and "ket-qua-kiem-tra" in name
    wb = openpyxl.load_workbook(path)
    words = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "460" in words and "Quý IV năm 2025" in words
    accepted, _ = portal.feedback(ids[("2025", BAO_LAM)])
    assert accepted.parent.name == "vi"  # nothing against history: the one copy per language, as before


def test_the_year_rounds_form_comes_prefilled_from_the_units_quarters(desk, tmp_path):
    """The desk offers the year's form filled with the unit's own quarters rolled up (sums added,
    stocks the last quarter's), with the printed note; a quarter's form stays blank."""
    import zipfile

    import openpyxl

    from qcdc_excel.catalog import load_catalog
    from qcdc_excel.template import PREFILL_NOTE
    from qcdc_excel.validate import read_submission

    portal, _, _, ids = desk
    by_period = {r.period: r for r in portal.rounds()}
    year, q4 = by_period["2025"], by_period["2025Q4"]
    quarters = [portal.result(ids[(p, BAO_LAM)]).values for p in PERIODS[1:5]]
    data, name = portal.template(BAO_LAM, year.id)
    path = tmp_path / name
    path.write_bytes(data)
    sub = read_submission(path)
    catalog = load_catalog()
    sums = [c for c, i in catalog.indicators.items() if i.over_time == "sum" and i.kind == "count"
            and all(isinstance(q.get(c), int) for q in quarters)]
    lasts = [c for c, i in catalog.indicators.items() if i.over_time == "last" and i.kind == "count"
             and isinstance(quarters[-1].get(c), int)]
    assert sums and lasts
    assert {c: sub.values.get(c) for c in sums} == {c: sum(q[c] for q in quarters) for c in sums}
    assert {c: sub.values.get(c) for c in lasts} == {c: quarters[-1][c] for c in lasts}
    texts = [str(c.value) for row in openpyxl.load_workbook(path).worksheets[0].iter_rows() for c in row if c.value]
    assert any(PREFILL_NOTE in t for t in texts)
    # the office's zip of every form carries the same prefilled form; a quarter's form is blank
    zipped, _ = portal.templates_zip(year.id)
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        assert read_submission_bytes(zf.read(name), tmp_path) == sub.values
    blank, qname = portal.template(BAO_LAM, q4.id)
    (tmp_path / qname).write_bytes(blank)
    assert not any(v is not None and v != "" for c, v in read_submission(tmp_path / qname).values.items()
                   if catalog.indicators[c].kind != "ratio")


def read_submission_bytes(data: bytes, folder) -> dict:
    from qcdc_excel.validate import read_submission

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "again.xlsx"
    path.write_bytes(data)
    return read_submission(path).values


def test_the_units_page_says_the_years_form_is_prefilled(desk, tmp_path):
    portal, app, codes, _ = desk
    client = signed_in(app, codes[BAO_LAM])
    page = client.get("/unit").get_data(as_text=True)
    assert 'id="prefilled-note"' in page and "đã điền sẵn số liệu các quý" in page
    client.get("/lang/en?next=/unit")
    assert "comes prefilled with the figures" in client.get("/unit").get_data(as_text=True)
    # the form it downloads is that prefilled form (the same figures; the bytes carry the time made)
    got = client.get("/unit/template").data
    assert read_submission_bytes(got, tmp_path) == read_submission_bytes(portal.template(BAO_LAM)[0], tmp_path / "x")
