"""The web desk's defences at the Flask level: where ``next`` may send a browser, sessions that end
on the server, what may be cached, private files whatever the umask, the body limit by role, and
hostile file names and contents."""
from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from qcdc_excel.cli import main
from qcdc_excel.portal.checker import InlineRunner
from qcdc_excel.portal.service import ADMIN, MAX_UPLOAD_BYTES, Portal, init_portal
from qcdc_excel.portal.web import create_app, local_target

from .conftest import KBANG_ROSTER
from .test_portal import DEADLINE, bearer, csrf_of, desk, page, sample, signed_in, upload  # noqa: F401

HOSTILE_NEXT = [
    "/\t/evil.example/phish", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", "//evil.example",
    "///evil.example", "////evil.example/x", "\\\\evil.example", "/\\evil.example", "\\/evil.example",
    "/\\/evil.example", "http://evil.example/", "https:evil.example", "HTTPS://evil.example", "javascript:alert(1)",
    " //evil.example", "/%09/evil.example", "%2F%2Fevil.example", "/%2F%2Fevil.example", "evil.example",
    "/u/some-code", "/static/portal.js", "/lang/vi?next=//evil.example", "/no-such-page", "/logout", "",
    "/unit\x00//evil", "\x7f//evil.example", "/\x0b/evil.example", "/desk/upload",
]


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_the_language_switch_never_sends_a_browser_elsewhere(desk, value):
    _, app, codes, _ = desk
    client = signed_in(app, codes["23641"])
    resp = client.get("/lang/en", query_string={"next": value})
    assert resp.status_code == 302 and resp.headers["Location"] == "/", (value, resp.headers["Location"])


def test_the_language_switch_returns_to_the_page_it_came_from(desk):
    _, app, codes, _ = desk
    client = signed_in(app, codes[ADMIN])
    for value, expected in [("/desk?round=1&state=late", "/desk?round=1&state=late"), ("/unit", "/unit"),
                            ("/desk/units/23641?", "/desk/units/23641"), ("/\tdesk", "/desk"),
                            ("/desk/submissions?status=rejected", "/desk/submissions?status=rejected")]:
        resp = client.get("/lang/vi", query_string={"next": value})
        assert resp.headers["Location"] == expected, value
    # the header's own link carries the page's path and query
    html = page(client, "/desk?state=late")
    assert "/lang/en?next=/desk?state%3Dlate" in html
    assert local_target(app, "//evil.example", "/desk") == "/desk"


def test_a_review_goes_back_to_the_desk_never_elsewhere(desk):
    _, app, codes, _ = desk
    admin = signed_in(app, codes[ADMIN])
    token = csrf_of(page(admin, "/desk"))
    for value in ("/\t/evil.example", "/\\evil.example", "https://evil.example/", "/desk/units/23641"):
        resp = admin.post("/desk/review", data={"action": "approve", "next": value, "csrf_token": token})
        expected = "/desk/units/23641" if value.startswith("/desk") else "/desk"
        assert resp.status_code == 302 and resp.headers["Location"] == expected, value


# --- sessions ------------------------------------------------------------------------------------------
def cookie_of(client) -> str:
    return client.get_cookie("qcdc_session").value


def with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("qcdc_session", value)
    return client


def test_signing_out_ends_the_session_on_the_server(desk):
    _, app, codes, _ = desk
    client = signed_in(app, codes["23641"])
    assert client.get("/unit").status_code == 200
    old = cookie_of(client)
    other_pc = with_cookie(app, old)  # the same cookie copied (a shared PC, a stolen cookie)
    assert other_pc.get("/unit").status_code == 200
    resp = client.post("/logout", data={"csrf_token": csrf_of(page(client, "/unit"))})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    replay = with_cookie(app, old)
    assert replay.get("/unit").status_code == 302
    assert replay.get("/api/v1/submissions").status_code == 401
    assert other_pc.get("/unit").status_code == 302
    again = signed_in(app, codes["23641"])  # the link still works: signing out does not change the code
    assert again.get("/unit").status_code == 200


def test_a_new_link_ends_the_old_sessions(desk):
    _, app, codes, _ = desk
    unit = signed_in(app, codes["23641"])
    old = cookie_of(unit)
    admin = signed_in(app, codes[ADMIN])
    token = csrf_of(page(admin, "/desk/chase"))
    assert admin.post("/desk/chase", data={"code": "23641", "csrf_token": token}).status_code == 200
    assert with_cookie(app, old).get("/unit").status_code == 302
    assert admin.get("/desk").status_code == 200


def test_the_office_signs_everyone_out(desk):
    _, app, codes, _ = desk
    units = [signed_in(app, codes[c]) for c in ("23641", "23644")]
    office, other_office = signed_in(app, codes[ADMIN]), signed_in(app, codes[ADMIN])
    html = page(office, "/desk")
    assert "Đăng xuất mọi người" in html
    token = csrf_of(html)
    assert office.post("/desk/sign-out-all").status_code == 400  # no CSRF token: refused
    # a unit may not (its own token, its own session)
    unit_token = csrf_of(page(units[0], "/unit"))
    assert units[0].post("/desk/sign-out-all", data={"csrf_token": unit_token}).status_code == 403
    assert app.test_client().post("/desk/sign-out-all", headers=bearer(codes["23641"])).status_code == 403
    resp = office.post("/desk/sign-out-all", data={"csrf_token": token})
    assert resp.status_code == 302
    assert "Đã đăng xuất mọi phiên khác" in page(office, "/desk")  # this session goes on
    for client in units:
        assert client.get("/unit").status_code == 302
    assert other_office.get("/desk").status_code == 302
    assert signed_in(app, codes["23641"]).get("/unit").status_code == 200  # codes unchanged


def test_nothing_personal_may_be_cached(desk):
    portal, app, codes, _ = desk
    unit = signed_in(app, codes["23641"])
    sid = upload(unit, "/unit/upload", "a.xlsx", sample("23641_2020.xlsx"),
                 csrf_of(page(unit, "/unit"))).get_json()["submissions"][0]["id"]
    admin = signed_in(app, codes[ADMIN])
    for client, path in [(unit, "/unit"), (unit, f"/submissions/{sid}"), (unit, f"/submissions/{sid}/file"),
                         (unit, "/unit/template"), (unit, "/api/v1/submissions"), (admin, "/desk"),
                         (admin, "/desk/submissions"), (admin, "/api/v1/status"), (admin, "/desk/templates.zip"),
                         (app.test_client(), "/login"), (app.test_client(), "/api/v1/status")]:
        resp = client.get(path)
        assert resp.status_code in (200, 401) and resp.headers["Cache-Control"] == "no-store", path
    for path in ("/static/portal.css", "/favicon.ico"):
        assert "no-store" not in app.test_client().get(path).headers.get("Cache-Control", ""), path


# --- private files -------------------------------------------------------------------------------------
def modes(root: Path) -> dict[str, int]:
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for p in root.rglob("*"):
        if not p.is_symlink():
            out[str(p.relative_to(root))] = stat.S_IMODE(p.stat().st_mode)
    return out


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_the_data_folder_and_the_codes_are_private_whatever_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        runner = CliRunner()
        res = runner.invoke(main, ["portal", "init", "--data", str(tmp_path / "data"), "--roster", str(KBANG_ROSTER),
                                   "--period", "2020", "--parent", "625", "--codes-out", str(tmp_path / "ma.csv")])
        assert res.exit_code == 0, res.output
        assert stat.S_IMODE((tmp_path / "ma.csv").stat().st_mode) == 0o600
        assert "chỉ tài khoản" in res.output and "đọc được" in res.output
        codes = {line.split(",")[0]: line.split(",")[2] for line in (tmp_path / "ma.csv").read_text("utf-8").splitlines()[1:]}
        portal = Portal(tmp_path / "data", runner=InlineRunner())
        app = create_app(portal)
        app.testing = True
        unit = signed_in(app, codes["23641"])
        sid = upload(unit, "/unit/upload", "a.xlsx", sample("23641_2020.xlsx"),
                     csrf_of(page(unit, "/unit"))).get_json()["submissions"][0]["id"]
        assert unit.get(f"/submissions/{sid}/feedback").status_code == 200
        admin = signed_in(app, codes[ADMIN])
        assert admin.get("/desk/consolidated.xlsx").status_code == 200
        portal.close()
        got = modes(tmp_path / "data")
        assert any(k.startswith("feedback/") for k in got) and any(k.startswith("outputs/1/") for k in got)
        wrong = {k: oct(m) for k, m in got.items()
                 if m != (0o700 if (tmp_path / "data" / k).is_dir() else 0o600)}
        assert not wrong
        res = runner.invoke(main, ["portal", "codes", "--data", str(tmp_path / "data"), "--unit", "23641",
                                   "--codes-out", str(tmp_path / "moi.xlsx")])
        assert res.exit_code == 0 and stat.S_IMODE((tmp_path / "moi.xlsx").stat().st_mode) == 0o600
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_a_loose_data_folder_is_tightened_when_the_portal_starts(tmp_path):
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", DEADLINE)
    for p in [tmp_path / "data", *(tmp_path / "data").rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)  # as an earlier version left it
    Portal(tmp_path / "data", runner=InlineRunner()).close()
    got = modes(tmp_path / "data")
    assert got["."] == 0o700 and got["portal.sqlite3"] == 0o600 and got["secret.key"] == 0o600
    assert set(got.values()) == {0o700, 0o600}


# --- bodies ----------------------------------------------------------------------------------------------
class Untouchable(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        return 0

    def tell(self) -> int:
        return 0

    def readinto(self, b):
        raise AssertionError("the body was read")


def test_a_body_over_the_callers_limit_is_refused_unread(desk):
    _, app, codes, _ = desk
    huge = str(400 * 1024 * 1024)
    for client, path, headers in [(app.test_client(), "/api/v1/submissions", {}),
                                  (app.test_client(), "/unit/upload", {}),
                                  (app.test_client(), "/api/v1/submissions", bearer(codes["23641"])),
                                  (signed_in(app, codes["23641"]), "/unit/upload", {}),
                                  (signed_in(app, codes[ADMIN]), "/desk/review", {})]:
        resp = client.post(path, headers=headers | {"Accept": "application/json"}, input_stream=Untouchable(),
                           environ_overrides={"CONTENT_LENGTH": huge}, content_type="multipart/form-data; boundary=x")
        assert resp.status_code == 413, path
        assert "Tệp quá lớn: mỗi tệp tối đa 20 MB" in resp.get_json()["message_vi"]
    # the secretariat's limit is its whole round's .zip
    resp = app.test_client().post("/api/v1/submissions", headers=bearer(codes[ADMIN]) | {"Accept": "application/json"},
                                  input_stream=Untouchable(), environ_overrides={"CONTENT_LENGTH": str(600 * 1024 * 1024)},
                                  content_type="multipart/form-data; boundary=x")
    assert resp.status_code == 413 and "512 MB" in resp.get_json()["message_vi"]


def test_the_secretariats_file_over_20_mb_is_kept_and_listed(desk):
    portal, app, codes, _ = desk
    admin = signed_in(app, codes[ADMIN])
    data = os.urandom(MAX_UPLOAD_BYTES + 1)
    resp = upload(admin, "/desk/upload", "qua-lon.xlsx", data, csrf_of(page(admin, "/desk")))
    assert resp.status_code == 201
    got = resp.get_json()["submissions"][0]
    assert got["status"] == "refused" and got["findings"][0]["code"] == "upload-too-large"
    assert portal.original(got["id"])[0].read_bytes() == data


# --- smaller points --------------------------------------------------------------------------------------
def test_a_unit_posting_to_the_desk_is_forbidden_not_told_its_session_expired(desk):
    _, app, codes, _ = desk
    data = {"file": (io.BytesIO(sample("23641_2020.xlsx")), "a.xlsx")}
    resp = app.test_client().post("/desk/upload", headers=bearer(codes["23641"]), data=data,
                                  content_type="multipart/form-data")
    assert resp.status_code == 403 and "không có quyền" in resp.get_data(as_text=True)
    resp = app.test_client().post("/desk/upload", headers=bearer(codes["23641"]) | {"Accept": "application/json"})
    assert resp.status_code == 403 and resp.get_json()["error"] == "forbidden"
    unit = signed_in(app, codes["23641"])
    resp = unit.post("/desk/upload", data={"csrf_token": csrf_of(page(unit, "/unit"))})
    assert resp.status_code == 403
    # the secretariat's own bearer upload to the desk works as before
    resp = app.test_client().post("/desk/upload", headers=bearer(codes[ADMIN]) | {"Accept": "application/json"},
                                  data={"file": (io.BytesIO(sample("23641_2020.xlsx")), "a.xlsx")},
                                  content_type="multipart/form-data")
    assert resp.status_code == 201 and resp.get_json()["submissions"][0]["status"] == "accepted"


def test_zero_bytes_named_xlsx_are_not_called_text(desk):
    _, app, codes, _ = desk
    unit = signed_in(app, codes["23641"])
    resp = upload(unit, "/unit/upload", "bao-cao.xlsx", bytes(MAX_UPLOAD_BYTES), csrf_of(page(unit, "/unit")))
    got = resp.get_json()["submissions"][0]
    assert got["status"] == "unreadable"
    assert [f["code"] for f in got["findings"]] == ["file-not-xlsx"]
    assert "CSV" not in got["findings"][0]["message"] and "văn bản" not in got["findings"][0]["message"]


def test_control_and_bidi_characters_in_names_are_shown_safely(desk):
    portal, app, codes, _ = desk
    unit = signed_in(app, codes["23641"])
    token = csrf_of(page(unit, "/unit"))
    got = upload(unit, "/unit/upload", "bao-cao\u202egpj.xlsx", sample("23641_2020.xlsx"), token).get_json()
    shown = got["submissions"][0]["file_name"]
    assert shown == "bao-cao\ufffdgpj.xlsx"
    sid = portal.receive(sample("23641_2020.xlsx"), "a\x00b\u2066c\r\n.xlsx", "23641")["id"]
    assert portal.submission(sid)["file_name"] == "a\ufffdb\ufffdc\ufffd\ufffd.xlsx"
    html = page(unit, "/unit") + page(unit, f"/submissions/{sid}")
    for bad in ("\u202e", "\u2066", "\x00"):
        assert bad not in html
    assert "bao-cao\ufffdgpj.xlsx" in html


def test_a_file_whose_name_lost_its_suffix_is_judged_by_its_content(desk):
    portal, app, codes, _ = desk
    unit = signed_in(app, codes["23641"])
    token = csrf_of(page(unit, "/unit"))
    for name in ("...xlsx", "bao cao", "23641.xlsx.", "zalo-file"):
        got = upload(unit, "/unit/upload", name, sample("23641_2020.xlsx"), token).get_json()["submissions"][0]
        assert got["status"] == "accepted", name
    got = upload(unit, "/unit/upload", "...xlsx", b"%PDF-1.4 not a workbook", token).get_json()["submissions"][0]
    assert got["status"] == "refused" and got["findings"][0]["code"] == "upload-not-spreadsheet"


def test_every_page_has_an_icon(desk):
    _, app, codes, _ = desk
    client = app.test_client()
    html = page(client, "/")
    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert client.get("/static/favicon.svg").status_code == 200
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.data.startswith(b"<svg")
