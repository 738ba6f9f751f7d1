"""The web desk tells every unit the truth about its report (issue 20: which file counts, on time
or late by the server's clock, “counts” only for what counts, a misdirected upload, receipts that name
the sender's file) and keeps a hostile unit's file names and codes out of every path."""
from __future__ import annotations

import datetime as dt
import io
import json
import shutil

import openpyxl
import pytest

from qcdc_excel.periods import VN_TIME, vn_date
from qcdc_excel.template import Identity

from .test_portal import DEADLINE, _filled_form, bearer, csrf_of, desk, page, sample, signed_in, upload  # noqa: F401

KRONG = Identity("23671", "Xã Krong", "625", "Huyện Kbang")


def send(app, code: str, name: str, data: bytes) -> dict:
    resp = app.test_client().post("/api/v1/submissions", headers=bearer(code),
                                  data={"file": (io.BytesIO(data), name)})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def test_the_newest_upload_counts_whatever_date_was_typed_in_it(desk, tmp_path):
    """Unit 23671's corrected upload (report date 20/10) used to lose to its older file (26/10) while
    its page said the newer one counted. Arrival order decides; the typed date is information."""
    portal, app, codes, _ = desk
    older = send(app, codes["23671"], "lan-1.xlsx", _filled_form(tmp_path, KRONG, "2020", 1, dt.datetime(2020, 10, 26)))
    newer = send(app, codes["23671"], "lan-2.xlsx", _filled_form(tmp_path, KRONG, "2020", 2, dt.datetime(2020, 10, 20)))
    assert older["status"] == newer["status"] == "accepted"
    older, newer = portal.submission(older["id"]), portal.submission(newer["id"])
    assert newer["counts"] is True and newer["why_not"] is None, newer
    assert older["counts"] is False and older["why_not_text"] == "đã có bản mới hơn"
    cons, _, ids = portal.consolidation()
    used = next(e.used for e in cons.expected if e.unit.code == "23671")
    assert ids[str(used.path)] == newer["id"]
    assert portal.consolidation()[0].totals.values == portal.consolidation()[0].totals.values
    html = page(signed_in(app, codes["23671"]), f"/submissions/{older['id']}")
    assert "đã có bản mới hơn" in html and "Đang được tính vào tổng hợp" not in html


def test_on_time_or_late_by_the_servers_clock_never_the_forms_date(desk, tmp_path):
    """Uploads today for a 2020 deadline are late although the form says 20/10/2020; a file the office
    took in from mail is judged by the day the office says it arrived."""
    portal, app, codes, _ = desk
    send(app, codes["23671"], "bc.xlsx", _filled_form(tmp_path, KRONG, "2020", 1, dt.datetime(2020, 10, 20)))
    row = next(r for r in portal.completeness() if r["code"] == "23671")
    assert row["state"] == "late"
    admin = signed_in(app, codes["admin"])
    token = csrf_of(page(admin, "/desk"))
    resp = admin.post("/desk/upload", data={"file": (io.BytesIO(sample("23644_2020.xlsx")), "23644.xlsx"),
                                            "received_on": "2020-10-21"},
                      headers={"X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest"},
                      content_type="multipart/form-data")
    assert resp.status_code == 201
    row = next(r for r in portal.completeness() if r["code"] == "23644")
    assert row["state"] == "on-time"
    for bad in ("2099-01-01", "21/10/2020", "hôm qua"):
        resp = admin.post("/desk/upload", data={"file": (io.BytesIO(sample("23647_2020.xlsx")), "x.xlsx"),
                                                "received_on": bad},
                          headers={"X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest"},
                          content_type="multipart/form-data")
        assert resp.status_code == 400 and "Ngày nhận không hợp lệ" in resp.get_json()["error"]
    assert not any(r["code"] == "23647" and r["files"] for r in portal.completeness())


def test_only_the_record_that_counts_says_so_and_the_others_say_why(desk):
    portal, app, codes, _ = desk
    rejected = send(app, codes["23653"], "sai.xlsx", sample("23653_2020 (gui lan 1).xlsx"))
    good = send(app, codes["23653"], "dung.xlsx", sample("23653_2020.xlsx"))
    again = send(app, codes["23653"], "dung-lan-nua.xlsx", sample("23653_2020.xlsx"))
    alone = send(app, codes["23650"], "sai.xlsx", sample("23650_2020 (gui lan 1).xlsx"))
    got = {k: portal.submission(v["id"]) for k, v in
           {"rejected": rejected, "good": good, "again": again, "alone": alone}.items()}
    assert [k for k, v in got.items() if v["counts"]] == ["good"]
    assert got["again"]["why_not_text"] == f"trùng với tệp số {good['id']}"
    assert got["rejected"]["why_not"] in ("superseded", "rejected") and got["rejected"]["why_not_text"]
    assert got["alone"]["why_not"] == "rejected" and got["alone"]["why_not_text"].startswith("bị trả lại")
    api = app.test_client().get("/api/v1/submissions", headers=bearer(codes["23653"])).get_json()
    listed = api["submissions"] if isinstance(api, dict) else api
    assert sum(1 for s in listed if s["counts"]) == 1
    english = portal.submission(again["id"], "en")
    assert english["why_not_text"] == f"identical to file no. {good['id']}"


def test_a_misdirected_upload_is_its_senders_activity_not_the_other_units(desk):
    """Unit 23641 sends unit 23644's report: the desk shows it on 23641's row (“đã gửi báo cáo của
    23644”), and 23644's row does not change."""
    portal, app, codes, _ = desk
    before = next(r for r in portal.completeness() if r["code"] == "23644")
    sent = send(app, codes["23641"], "nham.xlsx", sample("23644_2020.xlsx"))
    assert sent["status"] == "rejected" and sent["findings"][0]["code"] == "unit-mismatch"
    assert portal.submission(sent["id"])["why_not"] == "other-unit"
    rows = {r["code"]: r for r in portal.completeness()}
    assert rows["23644"] == before
    assert rows["23641"]["sent_for"] == ["23644"] and rows["23641"]["files"] == 1
    assert all(s["id"] != sent["id"] for s in portal.submissions(unit="23644"))
    assert any(s["id"] == sent["id"] for s in portal.submissions(unit="23641"))


def test_a_receipt_names_the_senders_file_and_when_it_arrived(desk):
    portal, app, codes, _ = desk
    client = signed_in(app, codes["23668"])
    token = csrf_of(page(client, "/unit"))
    ids = []
    for name in ("Báo cáo Ia Pết.xlsx", "Báo cáo Ia Pết (sửa).xlsx"):
        resp = upload(client, "/unit/upload", name, sample("23668_2020.xlsx"), token)
        assert resp.status_code in (200, 201), resp.get_data(as_text=True)
        body = resp.get_json()
        ids.append((body["submissions"] if isinstance(body, dict) and "submissions" in body else [body])[0]["id"])
    names = []
    for sid in ids:
        resp = client.get(f"/submissions/{sid}/feedback")
        assert resp.status_code == 200
        names.append(resp.headers["Content-Disposition"])
        wb = openpyxl.load_workbook(io.BytesIO(resp.data))
        front = wb.worksheets[0]
        texts = " ".join(str(c.value) for row in front.iter_rows() for c in row if c.value)
        # the receipt is the office's paper: its organ block, the title, “label: value” lines
        assert "Báo cáo Ia Pết" in texts and front["A2"].value == "UBND HUYỆN KBANG" and "BIÊN NHẬN BÁO CÁO" in texts
        assert front.page_setup.orientation == "portrait"
        info = dict(c.value.split(": ", 1) for row in front.iter_rows(max_col=1) for c in row
                    if isinstance(c.value, str) and ": " in c.value)
        # received by the round's consolidating unit, at the server's arrival time (Vietnam time)
        assert info["Cơ quan nhận"] == "Huyện Kbang" and info["Tệp"].startswith("Báo cáo Ia Pết")
        arrived = portal.result(sid).received.astimezone(VN_TIME)
        assert info["Thời điểm nhận"] == f"{arrived:%H:%M} ngày {arrived:%d/%m/%Y} (giờ Việt Nam)"
        assert f"Kbang, {vn_date(arrived.date())}" in texts  # dated the day it arrived
        assert "T" not in portal.original(sid)[0].name[:0]  # (the stored name is the desk's own)
        assert portal.original(sid)[0].name not in texts
    assert "23668_2020_lan-1_bien-nhan.xlsx" in names[0] and "23668_2020_lan-2_bien-nhan.xlsx" in names[1]


@pytest.mark.parametrize("code", ["../../rounds/1/inbox/x", "/tmp/qcdc-desk-abs", "9" * 300, "23644"])
def test_a_hostile_code_in_an_upload_leaves_other_units_and_the_inbox_alone(desk, tmp_path, code):
    """A commune's form claiming a hostile unit code gets its verdict and its feedback, under names the
    desk makes; no other unit's file and nothing in the round's inbox changes."""
    portal, app, codes, _ = desk
    good = send(app, codes["23644"], "bc.xlsx", sample("23644_2020.xlsx"))
    assert app.test_client().get(f"/api/v1/submissions/{good['id']}/feedback",
                                 headers=bearer(codes["23644"])).status_code == 200
    data_dir = portal.data

    def snapshot():
        return {str(p.relative_to(data_dir)): p.read_bytes() for p in sorted(data_dir.rglob("*"))
                if p.is_file() and not p.name.startswith("portal.sqlite3")}
    before = snapshot()
    from .test_safe_outputs import hostile_form

    hostile = hostile_form(tmp_path / "la.xlsx", code).read_bytes()
    got = send(app, codes["23641"], "la.xlsx", hostile)
    assert got["status"] in ("rejected", "accepted", "accepted-with-warnings") and got["findings"]
    resp = app.test_client().get(f"/api/v1/submissions/{got['id']}/feedback", headers=bearer(codes["23641"]))
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    after = snapshot()
    assert {k: v for k, v in after.items() if k in before} == before  # nothing that was there changed
    new = set(after) - set(before)
    assert all(k.startswith((f"files/", f"feedback/{got['id']}/", "rounds/")) for k in new), new
    inbox = sorted(p.name for p in portal.inbox().iterdir())
    recorded = sorted(r["inbox"].rsplit("/", 1)[-1] for r in portal.db.execute(
        "SELECT inbox FROM submissions WHERE inbox IS NOT NULL"))
    assert set(inbox) <= set(recorded)
    assert not (tmp_path.parent / "x").exists()


def test_the_consolidated_workbook_lists_what_the_database_says_never_a_planted_file(desk):
    portal, app, codes, _ = desk
    send(app, codes["23644"], "bc.xlsx", sample("23644_2020.xlsx"))
    shutil.copy(next(iter(sorted(portal.inbox().iterdir()))), portal.inbox() / "planted_23647.xlsx")
    shutil.copy(sample_path("23647_2020.xlsx"), portal.inbox() / "planted_real_23647.xlsx")
    web = json.loads(portal.outputs()["json"].read_text("utf-8"))
    assert web["units"]["accepted"] == ["23644"]
    assert not any("planted" in f["path"] for f in web["files"])


def sample_path(name: str):
    from .test_portal import INBOX

    return next(INBOX.rglob(name))


def test_the_desk_shows_a_misdirected_upload_on_its_senders_row(desk):
    portal, app, codes, _ = desk
    send(app, codes["23641"], "nham.xlsx", sample("23644_2020.xlsx"))
    html = page(signed_in(app, codes["admin"]), "/desk")
    row_641 = html.split('data-search="23641')[1].split("</tr>")[0]
    row_644 = html.split('data-search="23644')[1].split("</tr>")[0]
    assert "Đã gửi báo cáo của 23644" in row_641
    assert "Đã gửi báo cáo" not in row_644 and "st-missing" in row_644


def test_a_returned_file_gets_a_copy_that_says_so_not_a_receipt(desk):
    portal, app, codes, _ = desk
    sent = send(app, codes["23644"], "bc.xlsx", sample("23644_2020.xlsx"))
    unit = signed_in(app, codes["23644"])
    receipt = unit.get(f"/submissions/{sent['id']}/feedback")
    assert "bien-nhan" in receipt.headers["Content-Disposition"]
    portal.review([sent["id"]], "return", "admin", "Số hòa giải chưa khớp sổ theo dõi")
    returned = unit.get(f"/submissions/{sent['id']}/feedback")
    assert "ket-qua-kiem-tra" in returned.headers["Content-Disposition"]
    front = openpyxl.load_workbook(io.BytesIO(returned.data)).worksheets[0]
    texts = " ".join(str(c.value) for row in front.iter_rows() for c in row if c.value)
    assert "Số hòa giải chưa khớp sổ theo dõi" in texts and "không cần gửi lại" not in texts
    assert portal.submission(sent["id"])["why_not"] == "returned"


def test_pages_show_vietnams_clock_whatever_the_servers_zone(desk, monkeypatch):
    """The page, the receipt and the deadline read one clock: 21:42 UTC is 04:42 the next day in Vietnam."""
    import time

    from qcdc_excel.portal.present import fmt_time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert fmt_time("2026-12-05T21:42:00+00:00") == "06/12/2026 04:42"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
