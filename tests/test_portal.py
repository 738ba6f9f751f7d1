"""The web desk (qcdc-excel portal) at the Flask level and as a library: every route, role and
refusal, storage that never loses a file, reviews, rounds, and the consolidated workbook equal to
what ``merge`` makes of the round's inbox."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel.cli import main
from qcdc_excel import Outputs, Scope, merge
from qcdc_excel.portal.checker import CheckPool, InlineRunner
from qcdc_excel.portal.tasks import CheckTask
from qcdc_excel.portal.service import ADMIN, DB_NAME, Portal, init_portal, safe_name, write_codes
from qcdc_excel.portal.web import LOGIN_FREE, create_app, next_periods
from qcdc_excel.roster import load_roster
from qcdc_excel.validate import read_submission

from .conftest import KBANG_ROSTER, SAMPLES
from .pool_tasks import Alloc, Crash, Sleep

INBOX = SAMPLES / "kbang-2020" / "inbox"
DEADLINE = dt.date(2020, 10, 25)


def sample(name: str) -> bytes:
    return next(INBOX.rglob(name)).read_bytes()


@pytest.fixture()
def desk(tmp_path):
    """A fresh portal for Kbang 2020 (checks in this process), its codes and a Flask app."""
    rows = init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", DEADLINE)
    portal = Portal(tmp_path / "data", runner=InlineRunner())
    app = create_app(portal)
    app.testing = True
    codes = {r["code"]: r["access_code"] for r in rows}
    yield portal, app, codes, rows
    portal.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def signed_in(app, code: str):
    client = app.test_client()
    resp = client.get(f"/u/{code}")
    assert resp.status_code == 302
    return client


def page(client, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    return resp.get_data(as_text=True)


def upload(client, path: str, name: str, data: bytes, token: str, xhr: bool = True):
    headers = {"X-CSRFToken": token}
    if xhr:
        headers["X-Requested-With"] = "XMLHttpRequest"
    return client.post(path, data={"file": (io.BytesIO(data), name)}, headers=headers,
                       content_type="multipart/form-data")


def same_but_timing(desk: dict, cli: dict) -> bool:
    """The desk's ``units`` equal merge's on the round's inbox, but for on time or late: the desk
    knows when it received each file, merge on a bare folder takes the dates typed in the forms."""
    timing = ("late", "counts")
    return ({k: v for k, v in desk.items() if k not in timing} == {k: v for k, v in cli.items() if k not in timing}
            and {k: v for k, v in desk["counts"].items() if k not in ("on-time", "late")}
            == {k: v for k, v in cli["counts"].items() if k not in ("on-time", "late")})


def bearer(code: str) -> dict:
    return {"Authorization": f"Bearer {code}"}


def by_inbox_name(units: dict) -> dict:
    """``merge --json``'s units object with its file paths as the API names them (inbox file names)."""
    return {k: [Path(f).name for f in v] if k in ("superseded", "duplicate", "excluded") else v
            for k, v in units.items()}


# --- init and codes ----------------------------------------------------------------------------------
def test_create_app_opens_a_data_folder_by_its_path(tmp_path):
    """``create_app(data_dir, runner=..., base_url=...)``: the app opens the folder itself, checks
    with the given runner and makes its units' links with the given address."""
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", DEADLINE)
    app = create_app(tmp_path / "data", runner=InlineRunner(), base_url="https://qcdc.example.vn/")
    portal = app.extensions["qcdc_portal"]
    try:
        assert isinstance(portal, Portal) and isinstance(portal.runner, InlineRunner)
        assert app.config["SESSION_COOKIE_SECURE"] is True  # an https address: cookies only over https
        health = app.test_client().get("/healthz").get_json()
        assert (health["status"], health["period"]) == ("ready", "2020")
        [row] = portal.reissue(["23641"], app.config["QCDC_BASE_URL"])
        assert row["link"].startswith("https://qcdc.example.vn/u/")
        assert signed_in(app, row["access_code"]).get("/unit").status_code == 200
    finally:
        portal.close()


def test_init_writes_codes_once_and_keeps_only_hashes(tmp_path):
    rows = init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", DEADLINE)
    out = write_codes(tmp_path / "codes.csv", rows)
    text = out.read_text("utf-8")
    assert text.splitlines()[0] == "code,name,access_code,link"
    table = list(csv.DictReader(io.StringIO(text)))
    roster = load_roster(KBANG_ROSTER)
    assert table[0]["code"] == "admin"
    assert [r["code"] for r in table[1:]] == [u.code for u in roster.descendants("625")]
    assert len({r["access_code"] for r in table}) == len(table)
    for r in table:
        assert len(r["access_code"]) >= 22  # 16 random bytes, url-safe
        assert r["link"] == f"http://127.0.0.1:8750/u/{r['access_code']}"
    # the data folder never holds a code in clear
    blobs = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    for r in table:
        assert r["access_code"].encode() not in blobs
        assert hashlib.sha256(r["access_code"].encode()).hexdigest().encode() in blobs
    # xlsx flavour: same rows
    wb = openpyxl.load_workbook(write_codes(tmp_path / "codes.xlsx", rows))
    got = [[c.value for c in row] for row in wb.active.iter_rows(min_row=2)]
    assert got == [[r["code"], r["name"], r["access_code"], r["link"]] for r in table]


def test_init_refuses_an_existing_portal_and_a_bad_parent(tmp_path):
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625")
    runner = CliRunner()
    res = runner.invoke(main, ["portal", "init", "--data", str(tmp_path / "data"), "--roster", str(KBANG_ROSTER),
                               "--period", "2020", "--codes-out", str(tmp_path / "c.csv")])
    assert res.exit_code == 2 and "đã có dữ liệu cổng" in res.output
    assert not (tmp_path / "c.csv").exists()
    res = runner.invoke(main, ["portal", "init", "--data", str(tmp_path / "d2"), "--roster", str(KBANG_ROSTER),
                               "--period", "2020", "--parent", "999", "--codes-out", str(tmp_path / "c.csv")])
    assert res.exit_code == 2 and "999" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["portal", "init", "--data", str(tmp_path / "d3"), "--roster", str(KBANG_ROSTER),
                               "--period", "2020", "--codes-out", str(tmp_path / "c.txt")])
    assert res.exit_code == 2 and ".xlsx hoặc .csv" in res.output


def test_cli_init_default_parent_and_codes_reissue(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["portal", "init", "--data", str(tmp_path / "data"), "--roster", str(KBANG_ROSTER),
                               "--period", "2020", "--codes-out", str(tmp_path / "codes.xlsx")])
    assert res.exit_code == 0, res.output
    portal = Portal(tmp_path / "data", runner=InlineRunner())
    # the roster's top unit as merge takes it: Kbang's roster names Gia Lai only as the district's parent
    assert portal.round().parent == "625"
    assert len(portal.expected_units(portal.round())) == 14
    old = {r[0].value: r[2].value for r in openpyxl.load_workbook(tmp_path / "codes.xlsx").active.iter_rows(min_row=2)}
    assert portal.login(old["23641"]) == ("unit", "23641")
    res = runner.invoke(main, ["--lang", "en", "portal", "codes", "--data", str(tmp_path / "data"), "--unit", "23641",
                               "--codes-out", str(tmp_path / "new.csv")])
    assert res.exit_code == 0, res.output
    assert "Issued 1 new codes" in res.output
    new = list(csv.DictReader(open(tmp_path / "new.csv", encoding="utf-8")))
    assert [r["code"] for r in new] == ["23641"]
    assert portal.login(old["23641"]) is None
    assert portal.login(new[0]["access_code"]) == ("unit", "23641")
    assert portal.login(old["23644"]) == ("unit", "23644")  # others untouched
    res = runner.invoke(main, ["portal", "codes", "--data", str(tmp_path / "data"), "--unit", "99999",
                               "--codes-out", str(tmp_path / "x.csv")])
    assert res.exit_code == 2 and "99999" in res.output
    portal.close()


# --- signing in -----------------------------------------------------------------------------------------
def test_personal_link_signs_in_and_drops_the_code(desk):
    portal, app, codes, _ = desk
    client = app.test_client()
    resp = client.get(f"/u/{codes['23641']}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/unit")
    assert codes["23641"] not in resp.headers["Location"]
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert resp.headers["Referrer-Policy"] == "no-referrer" and resp.headers["Cache-Control"] == "no-store"
    html = page(client, "/unit")
    assert "Xã Kon Pne" in html and "Năm 2020" in html and "25/10/2020" in html
    assert codes["23641"] not in html
    admin = signed_in(app, codes[ADMIN])
    assert admin.get("/").headers["Location"].endswith("/desk")


def test_wrong_codes_are_refused_then_slowed_but_right_codes_always_get_in(desk):
    _, app, codes, _ = desk
    clock = [1000.0]
    app.extensions["qcdc_limiter"].clock = lambda: clock[0]
    client = app.test_client()
    for _ in range(LOGIN_FREE - 1):
        resp = client.get("/u/not-a-real-code-at-all")
        assert resp.status_code == 403
        assert "Mã truy cập không đúng" in resp.get_data(as_text=True)
    waits = []
    for _ in range(12):  # each further wrong code, once the last wait is over: 1 s, doubling, up to 10 minutes
        resp = client.get("/u/not-a-real-code-at-all")
        assert resp.status_code == 429
        waits.append(int(resp.headers["Retry-After"]))
        clock[0] += waits[-1]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]
    resp = client.get("/u/not-a-real-code-at-all")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "600"
    assert "hãy đợi 10 phút rồi thử lại" in resp.get_data(as_text=True)
    clock[0] += 75  # a wrong code during the wait is told what is left of it, exactly
    resp = client.get("/u/not-a-real-code-at-all")
    assert resp.headers["Retry-After"] == "525" and "hãy đợi 8 phút 45 giây" in resp.get_data(as_text=True)
    # the office behind the same address is never shut out: the right link and the right bearer code get in
    resp = client.get(f"/u/{codes[ADMIN]}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/desk")
    assert client.get("/desk").status_code == 200
    assert app.test_client().get("/api/v1/submissions", headers=bearer(codes["23641"])).status_code == 200
    resp = app.test_client().get("/api/v1/submissions", headers=bearer("wrong-code"))
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "525"
    assert "wait 8 min 45 s" in resp.get_json()["message_en"]
    # another address has its own count
    other = app.test_client().get("/u/not-a-real-code-at-all", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 403
    clock[0] += 3600 + 525  # an hour without a wrong code: forgotten
    assert client.get("/u/not-a-real-code-at-all").status_code == 403


def test_pages_need_a_session_and_the_right_role(desk):
    _, app, codes, _ = desk
    anon = app.test_client()
    assert anon.get("/unit").status_code == 302
    assert anon.get("/desk").status_code == 302
    assert anon.get("/api/v1/status").status_code == 401
    unit = signed_in(app, codes["23641"])
    for path in ("/desk", "/desk/chase", "/desk/submissions", "/desk/consolidated.xlsx", "/desk/templates.zip",
                 "/desk/units/23641"):
        assert unit.get(path).status_code == 403, path
    assert unit.get("/api/v1/status").status_code == 403
    admin = signed_in(app, codes[ADMIN])
    assert admin.get("/unit").status_code == 403


def test_a_reissued_code_ends_old_sessions(desk):
    portal, app, codes, _ = desk
    client = signed_in(app, codes["23641"])
    assert client.get("/unit").status_code == 200
    portal.reissue(["23641"])
    assert client.get("/unit").status_code == 302


def test_english_switch(desk):
    _, app, codes, _ = desk
    client = signed_in(app, codes["23641"])
    assert "Tải biểu mẫu" in page(client, "/unit")
    resp = client.get("/lang/en?next=/unit")
    assert resp.headers["Location"].endswith("/unit")
    html = page(client, "/unit")
    assert "Download the form" in html and 'lang="en"' in html
    assert client.get("/lang/en?next=//evil.example/").headers["Location"] == "/"


# --- the unit's loop -------------------------------------------------------------------------------------
def test_feedback_is_in_the_units_language_not_the_offices(desk):
    """The office reading the desk in English downloads the Vietnamese feedback copy it sends to the
    unit; a unit that chose English on its own page gets English."""
    _, app, codes, _ = desk
    unit = signed_in(app, codes["23650"])
    first = upload(unit, "/unit/upload", "23650_2020 (gui lan 1).xlsx", sample("23650_2020 (gui lan 1).xlsx"),
                   csrf_of(page(unit, "/unit"))).get_json()["submissions"][0]
    office = signed_in(app, codes["admin"])
    office.get("/lang/en?next=/desk")
    assert 'lang="en"' in page(office, "/desk")
    unit.get("/lang/en?next=/unit")

    def title(client) -> str:
        resp = client.get(f"/submissions/{first['id']}/feedback")
        assert resp.status_code == 200
        return openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]["A1"].value

    assert title(office) == "KẾT QUẢ KIỂM TRA BÁO CÁO"
    assert title(unit) == "REPORT CHECK RESULT"


def test_unit_downloads_its_form_sends_it_and_sees_the_verdict(desk, tmp_path):
    portal, app, codes, _ = desk
    client = signed_in(app, codes["23650"])
    resp = client.get("/unit/template")
    assert resp.status_code == 200 and "23650_2020.xlsx" in resp.headers["Content-Disposition"]
    (tmp_path / "t.xlsx").write_bytes(resp.data)
    blank = read_submission(tmp_path / "t.xlsx", load_roster(KBANG_ROSTER), "2020")
    assert blank.unit_code == "23650" and blank.period == "2020"
    token = csrf_of(page(client, "/unit"))
    wrong = sample("23650_2020 (gui lan 1).xlsx")
    resp = upload(client, "/unit/upload", "23650_2020 (gui lan 1).xlsx", wrong, token)
    assert resp.status_code == 201
    first = resp.get_json()["submissions"][0]
    assert first["status"] == "rejected" and first["status_text"] == "Bị trả lại: cần sửa và gửi lại"
    assert any(f["severity"] == "error" and f["cell"] for f in first["findings"])
    fb = client.get(first["feedback_link"])
    assert fb.status_code == 200 and fb.data[:2] == b"PK"
    wb = openpyxl.load_workbook(io.BytesIO(fb.data))
    assert wb.sheetnames[0] == "KẾT QUẢ KIỂM TRA"
    good = sample("23650_2020.xlsx")
    second = upload(client, "/unit/upload", "23650_2020.xlsx", good, token).get_json()["submissions"][0]
    assert second["status"] == "accepted" and second["findings"] == []
    html = page(client, "/unit")
    assert html.count("23650_2020") >= 2 and "Được chấp nhận" in html
    detail = page(client, f"/submissions/{first['id']}")
    assert "Những điểm cần sửa" in detail
    assert client.get(f"/submissions/{first['id']}/file").data == wrong
    # the page without script posts the form and lands on the verdict
    resp = client.post("/unit/upload", data={"file": (io.BytesIO(good), "lan3.xlsx"), "csrf_token": token},
                       content_type="multipart/form-data")
    assert resp.status_code == 302 and "/submissions/" in resp.headers["Location"]


def test_upload_without_csrf_token_is_refused(desk):
    _, app, codes, _ = desk
    client = signed_in(app, codes["23641"])
    resp = client.post("/unit/upload", data={"file": (io.BytesIO(sample("23641_2020.xlsx")), "a.xlsx")},
                       content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["error"] == "csrf"
    assert "tải lại trang" in resp.get_json()["message"]
    resp = client.post("/logout")
    assert resp.status_code == 400  # even signing out needs the token


def test_several_files_refused_one_by_one_with_reasons(desk):
    portal, app, codes, _ = desk
    client = signed_in(app, codes["23641"])
    token = csrf_of(page(client, "/unit"))
    cases = {
        "anh-chup.jpg": (b"\xff\xd8\xff\xe0 not a form", "upload-not-spreadsheet"),
        "bao-cao.pdf": (b"%PDF-1.4 a report", "upload-not-spreadsheet"),
        "ca-thu-muc.zip": (_zip({"23641_2020.xlsx": sample("23641_2020.xlsx")}), "upload-archive-for-unit"),
    }
    for name, (data, code) in cases.items():
        got = upload(client, "/unit/upload", name, data, token).get_json()["submissions"][0]
        assert got["status"] == "refused" and got["findings"][0]["code"] == code, name
        assert got["findings"][0]["message"]
        # kept byte for byte all the same
        assert client.get(f"/submissions/{got['id']}/file").data == data
    resp = upload(client, "/unit/upload", "to.xlsx", b"x" * (21 * 1024 * 1024), token)
    assert resp.status_code == 413
    assert "Tệp quá lớn" in resp.get_json()["message"] and "20 MB" in resp.get_json()["message"]


def test_another_units_file_is_kept_but_never_counts(desk):
    portal, app, codes, _ = desk
    resp = app.test_client().post("/api/v1/submissions", headers=bearer(codes["23638"]),
                                  data={"file": (io.BytesIO(sample("23641_2020.xlsx")), "23641_2020.xlsx")})
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["status"] == "rejected" and body["unit_code"] == "23641"
    assert body["findings"][0]["code"] == "unit-mismatch"
    assert "23641 – Xã Kon Pne" in body["findings"][0]["message"] and "23638" in body["findings"][0]["message"]
    assert not any(portal.inbox().iterdir())
    assert portal.status()["missing"] == [u.code for u in portal.expected_units(portal.round())]


def test_a_unit_never_sees_another_units_files(desk):
    portal, app, codes, _ = desk
    mine = app.test_client().post("/api/v1/submissions", headers=bearer(codes["23641"]),
                                  data={"file": (io.BytesIO(sample("23641_2020.xlsx")), "a.xlsx")}).get_json()
    other = signed_in(app, codes["23644"])
    for path in (f"/submissions/{mine['id']}", f"/submissions/{mine['id']}/file",
                 f"/submissions/{mine['id']}/feedback", f"/api/v1/submissions/{mine['id']}",
                 f"/api/v1/submissions/{mine['id']}/file", f"/api/v1/submissions/{mine['id']}/feedback",
                 "/submissions/999999"):
        assert other.get(path).status_code == 404, path
    assert other.get("/api/v1/submissions").get_json() == []
    listed = app.test_client().get("/api/v1/submissions", headers=bearer(codes["23641"])).get_json()
    assert [s["id"] for s in listed] == [mine["id"]]


def test_hostile_names_are_stored_safely_and_shown_escaped(desk):
    portal, app, codes, _ = desk
    client = signed_in(app, codes["23641"])
    token = csrf_of(page(client, "/unit"))
    data = sample("23641_2020.xlsx")
    names = ["../../../etc/passwd.xlsx", "..\\..\\windows\\a.xlsx", "a\x00b.xlsx", "x" * 300 + ".xlsx",
             "<img src=x onerror=alert(1)>.xlsx"]
    ids = []
    for name in names:
        got = upload(client, "/unit/upload", name, data, token).get_json()["submissions"][0]
        assert got["status"] == "accepted", name
        ids.append(got["id"])
    stored = [portal.data / r[0] for r in portal.db.execute("SELECT stored FROM submissions")]
    for p in stored:
        assert p.resolve().parent == (portal.data / "files" / "1").resolve()
        assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{12}\.xlsx", p.name)
    for p in portal.inbox().iterdir():
        assert p.parent == portal.inbox() and len(p.name) < 90 and "\x00" not in p.name
    html = page(client, "/unit")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.xlsx" in html
    disposition = client.get(f"/submissions/{ids[0]}/file").headers["Content-Disposition"]
    assert "/" not in disposition.split("filename=")[1] and ".." not in disposition.split("filename=")[1].strip('"')[:2]
    assert safe_name("../../../etc/passwd.xlsx") == "passwd.xlsx"


# --- the secretariat's desk ------------------------------------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def kbang_zip(extra: dict[str, bytes] | None = None) -> tuple[bytes, dict[str, bytes]]:
    members = {str(p.relative_to(INBOX)): p.read_bytes() for p in sorted(INBOX.rglob("*.xlsx"))}
    members.update(extra or {})
    return _zip(members), members


def test_desk_zip_of_mixed_files_nothing_dropped_and_merge_agrees(desk, tmp_path):
    portal, app, codes, _ = desk
    admin = signed_in(app, codes[ADMIN])
    token = csrf_of(page(admin, "/desk"))
    other_period = _other_period_file(tmp_path)
    data, members = kbang_zip({"nham-ky/23644_2019.xlsx": other_period, "ghi-chu.docx": b"PK\x03\x04 word",
                               "ngoai-ds/99999.xlsx": _outside_roster_file(tmp_path)})
    resp = upload(admin, "/desk/upload", "tu-zalo.zip", data, token)
    assert resp.status_code == 201
    got = resp.get_json()["submissions"]
    assert len(got) == len(members) + 1  # the archive itself, then every member
    assert got[0]["status"] == "archive" and got[0]["findings"][0]["code"] == "upload-archive-unpacked"
    by_name = {g["file_name"]: g for g in got[1:]}
    assert set(by_name) == set(members)
    for name, g in by_name.items():
        assert admin.get(f"/submissions/{g['id']}/file").data == members[name]
    assert by_name["nham-ky/23644_2019.xlsx"]["findings"][0]["code"] == "period-mismatch"
    assert by_name["ghi-chu.docx"]["status"] == "refused"
    assert by_name["ngoai-ds/99999.xlsx"]["status"] == "rejected"
    # the desk lists the strays
    html = page(admin, "/desk")
    others = html.split("Tệp không thuộc đơn vị nào phải nộp")[1]
    for stray in ("nham-ky/23644_2019.xlsx", "ghi-chu.docx", "ngoai-ds/99999.xlsx"):
        assert stray in others
    # the unpacked .zip is no stray (its members are listed on their own); every file received shows it
    assert "tu-zalo.zip" not in others
    assert "tu-zalo.zip" in page(admin, "/desk/submissions")
    assert "625_2020_huyen.xlsx" not in others  # the district's own report counts: it is shown above
    assert "Báo cáo riêng của Huyện Kbang" in html
    # completeness: dropped without a date, the files were received now, long after the deadline
    status = portal.status()
    assert status["counts"] == {"expected": 14, "received": 14, "accepted": 14, "on-time": 0, "late": 14,
                                "rejected": 0, "unreadable": 0, "missing": 0}
    assert admin.get("/api/v1/status").get_json() == json.loads(json.dumps(status))
    # the consolidated workbook: exactly merge's figures on the round's inbox
    merged = merge(portal.inbox(), Scope(load_roster(KBANG_ROSTER), "2020", "625", DEADLINE),
                   Outputs(tmp_path / "m.xlsx", json=tmp_path / "m.json"))
    cli = json.loads((tmp_path / "m.json").read_text("utf-8"))
    resp = admin.get("/api/v1/consolidated.xlsx")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    web = json.loads(admin.get("/desk/report.json").data)
    assert web["totals"] == cli["totals"] and same_but_timing(web["units"], cli["units"])
    # the same units and files; only on time or late differs: the desk knows when it received each file,
    # the command line on a bare folder takes the report dates typed in the forms
    assert cli["units"]["counts"]["on-time"] == 12
    # the API's status is the desk's, with files named as in the inbox rather than by server paths
    assert status == by_inbox_name(web["units"]) and status["excluded"] and str(portal.data) not in json.dumps(status)
    # Kbang's published 2020 figures
    assert (web["totals"]["II.4.1"], web["totals"]["II.5.2"], web["totals"]["II.9.2"]) == (11796.9, 158, 40)
    assert merged.consolidation.totals.units == 14
    (tmp_path / "w.xlsx").write_bytes(resp.data)
    assert _sheet_values(tmp_path / "w.xlsx") == _sheet_values(tmp_path / "m.xlsx")
    docx = admin.get("/desk/report.docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"


def _sheet_values(path: Path) -> list:
    wb = openpyxl.load_workbook(path)
    ws = wb["Tổng hợp"]
    return [[c.value for c in row] for row in ws.iter_rows()]


def _filled_form(tmp_path: Path, identity, period: str, seed: int, report_date: dt.datetime) -> bytes:
    """A filled commune form of ``identity`` for ``period``, with valid figures."""
    import random

    from qcdc_excel import parse_period
    from qcdc_excel.catalog import load_catalog
    from qcdc_excel.layout import form_layout
    from qcdc_excel.synthetic import fill_workbook, valid_values
    from qcdc_excel.template import write_template

    cat = load_catalog()
    tpl = write_template(tmp_path / f"t-{identity.unit_code}-{period}.xlsx", "xa", parse_period(period), identity)
    values = valid_values(cat, form_layout(cat.version, "xa").input_codes, random.Random(seed))
    return fill_workbook(tpl, values, tmp_path / f"f-{identity.unit_code}-{period}.xlsx",
                         report_date=report_date).read_bytes()


def _other_period_file(tmp_path: Path) -> bytes:
    from qcdc_excel.template import Identity

    return _filled_form(tmp_path, Identity("23644", "Xã Đak Rong", "625", "Huyện Kbang"), "2019", 7,
                        dt.datetime(2019, 10, 20))


def _outside_roster_file(tmp_path: Path) -> bytes:
    from qcdc_excel.template import Identity

    return _filled_form(tmp_path, Identity("99999", "Xã Ngoài Danh Sách", "625", "Huyện Kbang"), "2020", 8,
                        dt.datetime(2020, 10, 20))


def test_return_with_comment_approve_and_undo(desk, tmp_path):
    portal, app, codes, _ = desk
    api = app.test_client()
    sub = api.post("/api/v1/submissions", headers=bearer(codes["23641"]),
                   data={"file": (io.BytesIO(sample("23641_2020.xlsx")), "23641.xlsx")}).get_json()
    sub2 = api.post("/api/v1/submissions", headers=bearer(codes["23644"]),
                    data={"file": (io.BytesIO(sample("23644_2020.xlsx")), "23644.xlsx")}).get_json()
    admin = signed_in(app, codes[ADMIN])
    token = csrf_of(page(admin, "/desk"))
    # a return needs a reason
    resp = admin.post("/desk/review", data={"id": [sub["id"]], "action": "return", "comment": "", "csrf_token": token})
    assert resp.status_code == 302
    assert "ghi rõ lý do" in page(admin, "/desk")
    assert portal.submission(sub["id"])["review"] is None
    resp = admin.post("/desk/review", data={"id": [sub["id"]], "action": "return", "csrf_token": token,
                                            "comment": "Số đơn thư <b>chưa khớp</b> sổ theo dõi"})
    assert resp.status_code == 302
    assert portal.submission(sub["id"])["review"] == "return"
    assert not any(p.name.startswith(f"{sub['id']:06d}_") for p in portal.inbox().iterdir())
    assert (portal.data / portal._row(sub["id"])["stored"]).read_bytes() == sample("23641_2020.xlsx")
    rows = {r["code"]: r for r in portal.completeness()}
    assert rows["23641"]["state"] == "returned" and "chưa khớp" in rows["23641"]["comment"]
    unit = signed_in(app, codes["23641"])
    html = page(unit, "/unit")
    assert "Văn phòng trả lại" in html and "&lt;b&gt;chưa khớp&lt;/b&gt;" in html
    # bulk approve: the returned one stays out until undone, the other is approved
    admin.post("/desk/review", data={"id": [sub["id"]], "action": "clear", "csrf_token": token})
    resp = admin.post("/desk/review", data={"id": [sub["id"], sub2["id"]], "action": "approve", "csrf_token": token})
    assert resp.status_code == 302
    rows = {r["code"]: r for r in portal.completeness()}
    assert rows["23641"]["state"] == rows["23644"]["state"] == "approved"
    assert any(p.name.startswith(f"{sub['id']:06d}_") for p in portal.inbox().iterdir())
    log = portal.review_history(sub["id"])
    assert [r["action"] for r in log] == ["return", "clear", "approve"]
    assert all(r["who"] == ADMIN and r["at"] for r in log)
    # approval needs an accepted file
    bad = api.post("/api/v1/submissions", headers=bearer(codes["23650"]),
                   data={"file": (io.BytesIO(sample("23650_2020 (gui lan 1).xlsx")), "x.xlsx")}).get_json()
    assert portal.review([bad["id"]], "approve", ADMIN) == []
    html = page(admin, "/desk?state=approved")
    assert "Xã Kon Pne" in html and "Xã Sơn Lang" not in html
    assert "Xã Kon Pne" in page(admin, "/desk?q=kon")
    assert "Xã Đak Rong" not in page(admin, "/desk?q=kon")


def test_chase_list_and_new_links(desk):
    portal, app, codes, _ = desk
    app.test_client().post("/api/v1/submissions", headers=bearer(codes["23641"]),
                           data={"file": (io.BytesIO(sample("23641_2020.xlsx")), "a.xlsx")})
    admin = signed_in(app, codes[ADMIN])
    html = page(admin, "/desk/chase")
    assert "Xã Đak Rong (23644): chưa nộp phụ lục số liệu QCDC năm 2020 (hạn 25/10/2020)" in html
    assert "Xã Kon Pne (23641)" not in html
    token = csrf_of(html)
    resp = admin.post("/desk/chase", data={"code": ["23644"], "csrf_token": token})
    html = resp.get_data(as_text=True)
    link = re.search(r"Nộp tại: (http://127\.0\.0\.1:8750/u/([A-Za-z0-9_-]+))", html)
    assert link
    assert portal.login(codes["23644"]) is None and portal.login(link.group(2)) == ("unit", "23644")
    assert portal.login(codes["23647"]) == ("unit", "23647")


def test_templates_zip_holds_every_units_own_form(desk, tmp_path):
    portal, app, codes, _ = desk
    admin = signed_in(app, codes[ADMIN])
    resp = admin.get("/desk/templates.zip")
    assert resp.status_code == 200
    with zipfile.ZipFile(io.BytesIO(resp.data)) as z:
        names = z.namelist()
        assert names == [f"{u.code}_2020.xlsx" for u in portal.expected_units(portal.round())]
        (tmp_path / "x.xlsx").write_bytes(z.read("23662_2020.xlsx"))
    sub = read_submission(tmp_path / "x.xlsx", load_roster(KBANG_ROSTER), "2020")
    assert (sub.unit_code, sub.unit_name, sub.period) == ("23662", "Xã Nghĩa An", "2020")


def test_rounds_open_from_the_page_and_earlier_rounds_stay(desk):
    portal, app, codes, _ = desk
    api = app.test_client()
    api.post("/api/v1/submissions", headers=bearer(codes["23641"]),
             data={"file": (io.BytesIO(sample("23641_2020.xlsx")), "a.xlsx")})
    admin = signed_in(app, codes[ADMIN])
    html = page(admin, "/desk")
    assert '<option value="2021Q1">Quý I năm 2021</option>' in html
    token = csrf_of(html)
    resp = admin.post("/desk/rounds", data={"period": "2021Q1", "deadline": "2021-04-05", "csrf_token": token})
    assert resp.status_code == 302
    assert portal.round().period == "2021Q1" and portal.round().deadline == dt.date(2021, 4, 5)
    html = page(admin, "/desk")
    assert "Quý I năm 2021" in html and "05/04/2021" in html
    old = page(admin, f"/desk?round={portal.rounds()[-1].id}")
    assert "Năm 2020" in old and ">1<" in old  # one on time in 2020
    resp = admin.post("/desk/rounds", data={"period": "2021Q1", "csrf_token": token})
    assert "Đã có đợt nộp báo cáo kỳ 2021Q1" in page(admin, "/desk")
    # a unit's 2020 file in the 2021Q1 round: kept, another period
    got = api.post("/api/v1/submissions", headers=bearer(codes["23641"]),
                   data={"file": (io.BytesIO(sample("23641_2020.xlsx")), "a.xlsx")}).get_json()
    assert got["round"] == portal.round().id and got["findings"][0]["code"] == "period-mismatch"
    assert next_periods("2020") == ["2021Q1", "2021S1", "2021"]
    assert next_periods("2024Q2") == ["2024Q3", "2024S2", "2024"]
    assert next_periods("2024Q4") == ["2025Q1", "2025S1", "2024"]
    assert next_periods("2024S1") == ["2024Q3", "2024S2", "2024"]


# --- JSON API ---------------------------------------------------------------------------------------------
def test_api_shapes_and_refusals(desk):
    portal, app, codes, _ = desk
    api = app.test_client()
    health = api.get("/healthz").get_json()
    assert {k: health[k] for k in ("ok", "status", "round", "period")} == {"ok": True, "status": "ready",
                                                                           "round": 1, "period": "2020"}
    assert api.post("/api/v1/submissions", data={}).status_code == 401
    resp = api.post("/api/v1/submissions", headers=bearer("wrong"), data={})
    assert resp.status_code == 401 and resp.get_json()["message"] == "Mã truy cập không đúng."
    assert api.post("/api/v1/submissions", headers=bearer(codes["23641"]), data={}).status_code == 400
    resp = api.post("/api/v1/submissions", headers=bearer(codes["23641"]),
                    data={"file": (io.BytesIO(sample("23641_2020.xlsx")), "23641_2020.xlsx")})
    assert resp.status_code == 201
    body = resp.get_json()
    assert {"id", "unit_code", "period", "status", "findings", "feedback_url"} <= set(body)
    assert (body["unit_code"], body["period"], body["status"]) == ("23641", "2020", "accepted")
    feedback = api.get(body["feedback_url"], headers=bearer(codes["23641"]))
    assert feedback.status_code == 200 and feedback.data[:2] == b"PK"
    assert api.get(body["file_url"], headers=bearer(codes["23641"])).data == sample("23641_2020.xlsx")
    admin = bearer(codes[ADMIN])
    assert len(api.get("/api/v1/submissions?unit=23641", headers=admin).get_json()) == 1
    assert api.get("/api/v1/submissions?status=rejected", headers=admin).get_json() == []
    assert api.get("/api/v1/status", headers=admin).get_json()["accepted"] == ["23641"]
    assert api.get("/api/v1/status", headers=bearer(codes["23641"])).status_code == 403
    # the JSON per file has the shape of validate --json's files
    cli = read_submission(INBOX / "23641_2020.xlsx", load_roster(KBANG_ROSTER), "2020").to_json()
    assert body["findings"] == cli["findings"] and body["sha256"] == cli["sha256"]


def test_consolidated_before_any_file_says_so(desk):
    _, app, codes, _ = desk
    resp = app.test_client().get("/api/v1/consolidated.xlsx", headers=bearer(codes[ADMIN]))
    assert resp.status_code == 409 and "Chưa có tệp nào" in resp.get_json()["message"]


# --- storage and recovery ---------------------------------------------------------------------------------
def test_received_record_left_by_a_crash_is_checked_on_start(tmp_path):
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", DEADLINE)
    portal = Portal(tmp_path / "data", runner=InlineRunner())
    rnd = portal.round()
    data = sample("23647_2020.xlsx")
    sid = portal._store(rnd, data, "23647_2020.xlsx", "23647", "web", ".xlsx")  # stored, recorded, not checked
    # and a file that was written but never recorded
    orphan = portal.data / "files" / "1" / "20201020T101010-abcdefabcdef.xlsx"
    orphan.write_bytes(sample("23656_2020.xlsx"))
    portal.close()
    assert sqlite3.connect(tmp_path / "data" / DB_NAME).execute(
        "SELECT state FROM submissions WHERE id=?", (sid,)).fetchone() == ("received",)
    again = Portal(tmp_path / "data", runner=InlineRunner())
    assert again.submission(sid)["status"] == "accepted"
    states = {r["unit_code"]: r["state"] for r in again.submissions()}
    assert states == {"23647": "checked", "23656": "checked"}
    assert sorted(again.status()["accepted"]) == ["23647", "23656"]
    again.close()


def test_newer_upload_supersedes_without_replacing(desk):
    portal, app, codes, _ = desk
    api = app.test_client()
    first = api.post("/api/v1/submissions", headers=bearer(codes["23653"]),
                     data={"file": (io.BytesIO(sample("23653_2020 (gui lan 1).xlsx")), "lan1.xlsx")}).get_json()
    second = api.post("/api/v1/submissions", headers=bearer(codes["23653"]),
                      data={"file": (io.BytesIO(sample("23653_2020.xlsx")), "lan2.xlsx")}).get_json()
    assert first["status"] == "rejected" and second["status"] == "accepted"
    assert portal.original(first["id"])[0].read_bytes() == sample("23653_2020 (gui lan 1).xlsx")
    status = portal.status()
    assert status["accepted"] == ["23653"] and status["rejected"] == []
    cons, _, ids = portal.consolidation()
    used = next(e.used for e in cons.expected if e.unit.code == "23653")
    assert ids[str(used.path)] == second["id"]


# --- checks in workers --------------------------------------------------------------------------------
def test_pool_survives_a_stalled_and_a_crashed_check():
    pool = CheckPool(workers=1, timeout=3)
    try:
        from qcdc_excel.portal.checker import CheckFailed

        with pytest.raises(CheckFailed) as stalled:
            pool.run(Sleep(30))
        assert stalled.value.reason == "timeout"
        with pytest.raises(CheckFailed) as crashed:
            pool.run(Crash())
        assert crashed.value.reason == "crashed"
        sub = pool.run(CheckTask(str(INBOX / "23641_2020.xlsx"), str(KBANG_ROSTER), "2020"))
        assert sub.status == "accepted" and sub.unit_code == "23641"
        assert pool.restarts == 2
    finally:
        pool.close()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="memory limits need RLIMIT_AS (not on Windows)")
def test_pool_caps_a_workers_memory():
    from qcdc_excel.portal.checker import CheckFailed

    pool = CheckPool(workers=1, timeout=30, memory=512 * 1024 * 1024)
    try:
        with pytest.raises(CheckFailed) as hungry:
            pool.run(Alloc(2 * 1024 * 1024 * 1024))
        assert hungry.value.reason == "memory"
        assert pool.run(Alloc(1024)) == 1024  # the same worker goes on
        assert pool.restarts == 0
    finally:
        pool.close()


def test_serve_refuses_a_folder_that_is_not_a_portal(tmp_path):
    res = CliRunner().invoke(main, ["portal", "serve", "--data", str(tmp_path)])
    assert res.exit_code == 2 and "chưa phải thư mục dữ liệu của cổng" in res.output


def test_a_stalled_check_costs_only_its_own_request(tmp_path):
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", DEADLINE)

    class Stalling(CheckPool):
        def run(self, task, timeout=None, **kw):
            if isinstance(task, CheckTask) and "stall" in Path(task.path).read_bytes()[-10:].decode("latin-1"):
                task = Sleep(30)
            return super().run(task, timeout, **kw)

    portal = Portal(tmp_path / "data", runner=Stalling(workers=1, timeout=2))
    try:
        got = portal.receive(sample("23641_2020.xlsx") + b"stall", "treo.xlsx", ADMIN, "desk")
        assert got["status"] == "unreadable" and got["findings"][0]["code"] == "check-timeout"
        assert "quá 2 giây" in got["findings"][0]["message"]
        nxt = portal.receive(sample("23644_2020.xlsx"), "23644.xlsx", ADMIN, "desk")
        assert nxt["status"] == "accepted"
    finally:
        portal.close()


from .test_hostile_files import build_corpus, source  # noqa: E402,F401 - the validate corpus and its fixture


def test_hostile_corpus_through_the_desk(tmp_path, source):  # noqa: F811
    (tmp_path / "hostile").mkdir()
    corpus = build_corpus(tmp_path / "hostile", source["hostile"].read_bytes(), source)
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", DEADLINE)
    portal = Portal(tmp_path / "data", runner=CheckPool(workers=2, timeout=60))
    roster = load_roster(KBANG_ROSTER)
    try:
        for name, case in sorted(corpus.items()):
            data = case.path.read_bytes()
            got = portal.receive(data, case.path.name, ADMIN, "desk")
            assert portal.original(got["id"])[0].read_bytes() == data, name
            if got["status"] == "refused":  # over the size limit or not a spreadsheet: kept, with a reason
                code = got["findings"][0]["code"]
                assert (code == "upload-too-large" and len(data) > 20 * 1024 * 1024) or (
                    case.path.suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".ods", ".csv")), name
                continue
            direct = read_submission(case.path, roster, "2020")
            assert got["status"] == direct.status, name
            assert [f["code"] for f in got["findings"]] == [f.code for f in direct.findings], name
            assert not {"check-crashed", "check-timeout", "check-memory"} & {f["code"] for f in got["findings"]}
        assert portal.runner.restarts == 0
    finally:
        portal.close()


def test_consolidated_workbook_of_a_big_round_runs_merge_in_a_worker(tmp_path):
    """From 64 files on, merge reads on several processes: the pool's worker must be allowed to
    start them (a daemon process may not), and the figures are still merge's."""
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", DEADLINE)
    portal = Portal(tmp_path / "data", runner=CheckPool(workers=2))
    try:
        files = sorted(INBOX.rglob("*.xlsx"))
        for i in range(70):
            f = files[i % len(files)]
            portal.receive(f.read_bytes(), f"{i:02d}_{f.name}", ADMIN, "desk")
        assert len(list(portal.inbox().iterdir())) == 70
        paths = portal.outputs()
        web = json.loads(paths["json"].read_text("utf-8"))
        merged = merge(portal.inbox(), Scope(load_roster(KBANG_ROSTER), "2020", "625", DEADLINE),
                       Outputs(tmp_path / "m.xlsx", json=tmp_path / "m.json"), jobs=1)
        cli = json.loads((tmp_path / "m.json").read_text("utf-8"))
        assert web["totals"] == cli["totals"] and same_but_timing(web["units"], cli["units"])
        assert merged.consolidation.counts()["accepted"] == 14
        assert by_inbox_name(web["units"]) == json.loads(json.dumps(portal.status()))
    finally:
        portal.close()


def test_sign_in_form_desk_lists_and_unit_pages(desk, tmp_path):
    portal, app, codes, _ = desk
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"code": "sai-ma", "csrf_token": token})
    assert resp.status_code == 403 and "Mã truy cập không đúng" in resp.get_data(as_text=True)
    resp = client.post("/login", data={"code": f"  {codes[ADMIN]} ", "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/desk")
    api = app.test_client()
    for code, name in (("23650", "23650_2020 (gui lan 1).xlsx"), ("23641", "23641_2020.xlsx")):
        api.post("/api/v1/submissions", headers=bearer(codes[code]),
                 data={"file": (io.BytesIO(sample(name)), name)})
    html = page(client, "/desk/submissions?status=rejected")
    assert "23650_2020 (gui lan 1).xlsx" in html and "23641_2020.xlsx" not in html
    html = page(client, "/desk/submissions")
    assert "23650_2020 (gui lan 1).xlsx" in html and "23641_2020.xlsx" in html
    html = page(client, "/desk/units/23650")
    assert "Xã Krong" in html and "Lịch sử nộp của đơn vị" in html and "23650_2020 (gui lan 1).xlsx" in html
    assert client.get("/desk/units/00000").status_code == 404
    resp = client.get("/desk/units/23674/template")
    assert resp.status_code == 200
    (tmp_path / "t.xlsx").write_bytes(resp.data)
    assert read_submission(tmp_path / "t.xlsx", load_roster(KBANG_ROSTER), "2020").unit_code == "23674"
    assert client.get("/desk/units/00000/template").status_code == 404
    token = csrf_of(page(client, "/desk"))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/desk").status_code == 302


def test_the_desk_may_send_an_archive_larger_than_one_form(desk):
    """A .zip of a province's returns is larger than the 20 MB a single form may be."""
    portal, app, codes, _ = desk
    admin = signed_in(app, codes[ADMIN])
    token = csrf_of(page(admin, "/desk"))
    import os

    padding = os.urandom(22 * 1024 * 1024)  # incompressible: the archive itself is over 20 MB
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("23641_2020.xlsx", sample("23641_2020.xlsx"))
        z.writestr("anh-quet.png", padding[:19 * 1024 * 1024])
        z.writestr("qua-lon.xlsx", padding[:21 * 1024 * 1024])
    data = buf.getvalue()
    assert len(data) > 40 * 1024 * 1024
    resp = upload(admin, "/desk/upload", "ca-tinh.zip", data, token)
    assert resp.status_code == 201
    got = {g["file_name"]: g for g in resp.get_json()["submissions"]}
    assert got["23641_2020.xlsx"]["status"] == "accepted"
    assert got["anh-quet.png"]["findings"][0]["code"] == "upload-not-spreadsheet"
    assert got["ca-tinh.zip/qua-lon.xlsx"]["findings"][0]["code"] == "upload-archive-member-unreadable"
    unit = signed_in(app, codes["23644"])
    resp = upload(unit, "/unit/upload", "ca-tinh.zip", data, csrf_of(page(unit, "/unit")))
    assert resp.status_code == 413


# --- issue 20 §18: the pages' words --------------------------------------------------------------------
def _unit_rows(html: str) -> list[str]:
    """The units the desk's table lists (``code name``), in order."""
    return re.findall(r'<tr class="st-[a-z-]+" data-search="([^"]+)">', html)


def test_accepted_file_links_to_a_receipt_and_the_desk_thanks_nobody(desk):
    portal, app, codes, _ = desk
    unit = signed_in(app, codes["23650"])
    token = csrf_of(page(unit, "/unit"))
    good = upload(unit, "/unit/upload", "23650_2020.xlsx", sample("23650_2020.xlsx"), token).get_json()
    bad = upload(unit, "/unit/upload", "lan-1.xlsx", sample("23650_2020 (gui lan 1).xlsx"), token).get_json()
    good, bad = good["submissions"][0], bad["submissions"][0]
    assert (good["status"], bad["status"]) == ("accepted", "rejected")
    # what the upload script shows next to each file
    assert good["feedback_text"] == "Tải biên nhận" and bad["feedback_text"].startswith("Tải tệp góp ý")
    assert good["period_text"] == "Năm 2020"
    html = page(unit, "/unit")
    history = html.split('id="history"')[1]
    assert f'href="/submissions/{good["id"]}/feedback">Tải biên nhận</a>' in history
    assert f'href="/submissions/{bad["id"]}/feedback">Tải tệp góp ý</a>' in history
    assert "<td data-label=\"Kỳ\">Năm 2020</td>" in history  # the period in words, not “2020”
    assert "Tải biên nhận" in page(unit, f"/submissions/{good['id']}")
    assert "góp ý" not in page(unit, f"/submissions/{good['id']}")
    # a rule's message speaks to the unit without “(yêu cầu vế trái ≤ vế phải)”
    rule = next(f for f in bad["findings"] if f["code"] == "rule-failed")
    assert "vế trái" not in rule["message"] and "Số liệu đang nhập" in rule["message"]
    assert "vế trái" not in html and "vế phải" not in html
    # the desk: nothing to fix is said without thanking “đơn vị”
    admin = signed_in(app, codes[ADMIN])
    desk_html = page(admin, "/desk")
    assert 'data-no-findings="Không có lỗi nào."' in desk_html and "Cảm ơn" not in desk_html
    assert "Không có lỗi nào." in page(admin, f"/submissions/{good['id']}")
    assert "Cảm ơn" not in page(admin, f"/submissions/{good['id']}")
    assert "Cảm ơn đơn vị" in page(unit, f"/submissions/{good['id']}")
    token = csrf_of(desk_html)
    got = upload(admin, "/desk/upload", "23641_2020.xlsx", sample("23641_2020.xlsx"), token).get_json()
    assert got["submissions"][0]["feedback_text"] == "Tải biên nhận"
    admin.get("/lang/en")
    assert 'data-no-findings="Nothing to fix."' in page(admin, "/desk")
    unit.get("/lang/en")
    html = page(unit, "/unit")
    assert ">Download the receipt</a>" in html and "Year 2020" in html


def test_desk_search_ignores_case_and_diacritics_and_says_when_nothing_matched(desk):
    portal, app, codes, _ = desk
    admin = signed_in(app, codes[ADMIN])
    names = {u.code: u.name for u in load_roster(KBANG_ROSTER).descendants("625")}
    for q in ("dak", "DAK", "Đăk", "dăk"):
        rows = _unit_rows(page(admin, f"/desk?q={q}"))
        assert rows == [f"{c} {n}" for c, n in names.items() if n.startswith(("Xã Đak", "Xã Đăk"))], q
        assert len(rows) == 3
    rows = _unit_rows(page(admin, "/desk?q=kong"))
    assert rows == ["23668 Xã Kông Lơng Khơng", "23671 Xã Kông Bơ La"]
    assert _unit_rows(page(admin, "/desk?q=23650")) == ["23650 Xã Krong"]
    html = page(admin, "/desk?q=%3Cb%3Ezzz")
    assert _unit_rows(html) == []
    assert "Không có đơn vị nào khớp “&lt;b&gt;zzz”." in html and "<b>zzz" not in html
    assert re.search(r'<p class="no-match muted" role="status" hidden>', page(admin, "/desk?q=dak"))
    admin.get("/lang/en")
    assert "No unit matches &#39;zzz&#39;." in page(admin, "/desk?q=zzz")


def test_every_file_received_shows_its_sender_and_feedback_link(desk):
    portal, app, codes, _ = desk
    api = app.test_client()
    api.post("/api/v1/submissions", headers=bearer(codes["23641"]),
             data={"file": (io.BytesIO(sample("23641_2020.xlsx")), "23641_2020.xlsx")})
    portal.receive(sample("23653_2020 (gui lan 1).xlsx"), "tu-zalo.xlsx", ADMIN, "desk")
    admin = signed_in(app, codes[ADMIN])
    html = page(admin, "/desk/submissions")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"<tr>\s*<td><input[^>]+value=\"(\d+)\".*?</tr>", html, re.S)}
    subs = {s["file_name"]: s for s in portal.submissions()}
    unit_row, desk_row = rows[str(subs["23641_2020.xlsx"]["id"])], rows[str(subs["tu-zalo.xlsx"]["id"])]
    assert '<td data-label="Người gửi" class="sender">23641 Xã Kon Pne</td>' in unit_row
    assert '<td data-label="Người gửi" class="sender">Văn phòng BCĐ</td>' in desk_row
    assert f'href="/submissions/{subs["23641_2020.xlsx"]["id"]}/feedback">Tải biên nhận</a>' in unit_row
    assert f'href="/submissions/{subs["tu-zalo.xlsx"]["id"]}/feedback">Tải tệp góp ý</a>' in desk_row
    assert admin.get(f"/submissions/{subs['tu-zalo.xlsx']['id']}/feedback").status_code == 200


def test_the_new_links_box_shows_the_links_it_announces(desk):
    portal, app, codes, _ = desk
    admin = signed_in(app, codes[ADMIN])
    token = csrf_of(page(admin, "/desk/chase"))
    html = admin.post("/desk/chase", data={"code": ["23644", "23647"], "csrf_token": token}).get_data(as_text=True)
    box = html.split('class="flash ok new-links"')[1].split("</div>")[0]
    assert "Link mới (chỉ hiện một lần; hãy gửi ngay):" in box
    for code, name in (("23644", "Xã Đak Rong"), ("23647", "Xã Sơn Lang")):
        link = re.search(rf"{name} \({code}\): <span class=\"mono\">(http://\S+/u/([\w-]+))</span>", box)
        assert link and portal.login(link.group(2)) == ("unit", code)
    assert "23650" not in box


def test_units_never_see_the_offices_folders(desk):
    """A unit's file the office took in from a .zip is shown to the unit by its own name only."""
    portal, app, codes, _ = desk
    data = _zip({"thu-dien-tu/2020-10-28/23665_2020.xlsx": sample("23665_2020.xlsx")})
    got = portal.receive_archive(data, "hop-thu-van-phong.zip", ADMIN, "desk")
    sid = got[1]["id"]
    unit = signed_in(app, codes["23665"])
    for html in (page(unit, "/unit"), page(unit, f"/submissions/{sid}")):
        assert "23665_2020.xlsx" in html
        assert "thu-dien-tu" not in html and "hop-thu-van-phong" not in html
    listed = app.test_client().get("/api/v1/submissions", headers=bearer(codes["23665"])).get_json()
    assert [s["file_name"] for s in listed] == ["23665_2020.xlsx"]
    one = app.test_client().get(f"/api/v1/submissions/{sid}", headers=bearer(codes["23665"])).get_json()
    assert one["file_name"] == "23665_2020.xlsx"
    admin = signed_in(app, codes[ADMIN])
    assert "thu-dien-tu/2020-10-28/23665_2020.xlsx" in page(admin, "/desk/submissions")


def test_a_file_that_waited_out_a_busy_queue_is_checked_later_never_called_unreadable(tmp_path):
    """The wait for a worker is the desk's business: a correct form that waits longer than the
    check's time limit stays “received” and is checked when a worker is free, accepted."""
    import threading
    import time

    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", DEADLINE)
    pool = CheckPool(workers=1, timeout=2)
    try:
        portal = Portal(tmp_path / "data", runner=pool)
        busy = threading.Thread(target=lambda: pool.run(Sleep(1.5), key="other"))
        busy.start()
        time.sleep(0.2)  # the only worker is taken; a 2 s limit, and the queue keeps the form 1.3 s +
        blocker = threading.Thread(target=lambda: pool.run(Sleep(1.5), key="another"))
        blocker.start()
        time.sleep(0.1)
        sid = portal.accept((INBOX / "23641_2020.xlsx").read_bytes(), "23641_2020.xlsx", "23641", "web")
        first = portal._row(sid)["state"]
        busy.join()
        blocker.join()
        deadline = time.monotonic() + 60
        while portal._row(sid)["state"] != "checked" and time.monotonic() < deadline:
            time.sleep(0.1)
        row = portal._row(sid)
        assert row["state"] == "checked" and row["status"] == "accepted", (first, row["status"])
        assert first == "received"  # it waited out its 2 s in the queue: not a verdict on the file
    finally:
        pool.close()


def test_an_upload_cut_while_written_is_never_taken_for_a_report(tmp_path):
    """Uploads are written under a hidden ``.part`` name and named as stored only once whole: a kill
    in the middle leaves a ``.part`` file, which recovery keeps aside in ``incomplete/`` (never
    answered, so never acknowledged) instead of recording a torn file as a submission."""
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", DEADLINE)
    portal = Portal(tmp_path / "data", runner=InlineRunner())
    data = (INBOX / "23641_2020.xlsx").read_bytes()
    sid = portal.accept(data, "23641_2020.xlsx", "23641", "web")
    folder = tmp_path / "data" / "files" / str(portal.round().id)
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # nothing left half-named
    assert (tmp_path / "data" / portal._row(sid)["stored"]).read_bytes() == data
    torn = folder / ".20201020T101010-abcdef123456.xlsx.part"
    torn.write_bytes(data[: len(data) // 2])
    portal.close()
    again = Portal(tmp_path / "data", runner=InlineRunner())
    try:
        assert again.recover() == 0  # nothing to record: the torn upload is no submission
        assert [r["id"] for r in again.db.execute("SELECT id FROM submissions")] == [sid]
        kept = list((tmp_path / "data" / "incomplete").iterdir())
        assert len(kept) == 1 and kept[0].read_bytes() == data[: len(data) // 2] and not torn.exists()
    finally:
        again.close()
