"""The web desk in a real browser: headless Chromium (Debian's) driven by Playwright.

A unit opens its personal link, downloads its form, fills it with openpyxl, drags it onto the page,
reads the verdict in Vietnamese and downloads the feedback copy; the secretariat drops a .zip of
mixed files, follows completeness, returns a file with a comment and downloads the consolidated
workbook. Screenshots of every step are written to $QCDC_SCREENSHOTS (default: the test's folder).
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import os
import random
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel.catalog import load_catalog
from qcdc_excel.layout import form_layout
from qcdc_excel.portal.checker import CheckPool
from qcdc_excel.portal.service import ADMIN, Portal, init_portal
from qcdc_excel.portal.httpserver import make_server
from qcdc_excel.portal.web import BODY_LIMIT, create_app
from qcdc_excel.synthetic import fill_workbook, valid_values

from .conftest import KBANG_ROSTER, SAMPLES

pytestmark = pytest.mark.browser
INBOX = SAMPLES / "kbang-2020" / "inbox"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture()
def served(tmp_path):
    """A real waitress server (with the desk's body limits) on a free loopback port, with worker-process checks."""
    rows = init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625", dt.date(2020, 10, 25))
    portal = Portal(tmp_path / "data", runner=CheckPool(workers=2))
    app = create_app(portal)
    server = make_server(app, app.extensions["qcdc_body_limit"], BODY_LIMIT, host="127.0.0.1", port=0, threads=8)
    base = f"http://127.0.0.1:{server.effective_port}"
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield portal, base, {r["code"]: r["access_code"] for r in rows}
    finally:
        server.close()
        thread.join(10)
        portal.close()


@pytest.fixture()
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def shots(tmp_path):
    folder = Path(os.environ.get("QCDC_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def drop_file(page, selector: str, data: bytes, name: str) -> None:
    """Drag a file onto ``selector`` the way a person does (a real DataTransfer and drop event)."""
    handle = page.evaluate_handle(
        """([b64, name]) => {
            const bin = atob(b64); const bytes = new Uint8Array(bin.length);
            for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name));
            return dt;
        }""", [base64.b64encode(data).decode(), name])
    page.dispatch_event(selector, "dragenter", {"dataTransfer": handle})
    page.dispatch_event(selector, "drop", {"dataTransfer": handle})


def test_unit_fetches_fills_drops_and_reads_the_verdict(served, browser, shots, tmp_path):
    portal, base, codes = served
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="vi-VN")
    page = ctx.new_page()
    failed = []  # no request of any page fails (the icon included)
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    page.goto(f"{base}/u/{codes['23650']}")
    assert page.url == f"{base}/unit"  # the code left the address bar
    assert page.locator("h1").inner_text().startswith("Xã Krong")
    page.screenshot(path=shots / "1-unit-page.png", full_page=True)

    with page.expect_download() as dl:
        page.click("#template-link")
    template = tmp_path / dl.value.suggested_filename
    dl.value.save_as(template)
    assert template.name == "23650_2020.xlsx"

    # filled with openpyxl, one rule broken: more petitions settled than were in scope
    cat = load_catalog()
    values = valid_values(cat, form_layout(cat.version, "xa").input_codes, random.Random(3))
    wrong = dict(values, **{"II.9.4": values["II.9.3"] + 5})
    bad = fill_workbook(template, wrong, tmp_path / "23650_sai.xlsx", report_date=dt.datetime(2020, 10, 20),
                        names=("Nguyễn Văn A", "Nguyễn Văn B"))
    drop_file(page, ".drop", bad.read_bytes(), bad.name)
    result = page.locator(".results li.result").first
    result.locator(".badge").wait_for(timeout=30000)
    assert result.locator(".badge").inner_text() == "Bị trả lại: cần sửa và gửi lại"
    finding = result.locator(".findings li").first.inner_text()
    assert "II.9.4" in finding or "giải quyết" in finding
    page.screenshot(path=shots / "2-unit-verdict-returned.png", full_page=True)

    with page.expect_download() as dl:
        result.locator("a.feedback").click()
    feedback = tmp_path / dl.value.suggested_filename
    dl.value.save_as(feedback)
    wb = openpyxl.load_workbook(feedback)
    assert wb.sheetnames[0] == "KẾT QUẢ KIỂM TRA"

    good = fill_workbook(template, values, tmp_path / "23650_dung.xlsx", report_date=dt.datetime(2020, 10, 21),
                         names=("Nguyễn Văn A", "Nguyễn Văn B"))
    drop_file(page, ".drop", good.read_bytes(), good.name)
    page.locator(".results li.result").nth(0).locator(".badge").wait_for(timeout=30000)
    assert page.locator(".results li.result").nth(0).locator(".badge").inner_text() == "Được chấp nhận"
    page.reload()
    assert page.locator("#latest .badge").first.inner_text() == "Được chấp nhận"
    assert page.locator("table.grid tbody tr").count() == 2  # the history
    page.screenshot(path=shots / "3-unit-accepted.png", full_page=True)
    page.click("a.lang")
    assert page.locator(".steps h2").first.inner_text() == "1. Download your unit's form"
    page.screenshot(path=shots / "4-unit-english.png", full_page=True)
    assert page.evaluate("() => fetch(document.querySelector('link[rel=icon]').href).then(r => r.status)") == 200
    assert failed == []
    ctx.close()
    assert [s["status"] for s in portal.submissions(unit="23650")] == ["accepted", "rejected"]


def test_secretariat_zip_completeness_return_and_consolidated(served, browser, shots, tmp_path):
    portal, base, codes = served
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(INBOX.rglob("*.xlsx")):
            if p.name not in ("23671_2020.xlsx", "23674_2020.xlsx"):  # two units have not sent
                z.writestr(str(p.relative_to(INBOX)), p.read_bytes())
        z.writestr("ghi-chu-cua-xa.docx", b"PK\x03\x04 not a form")
    (tmp_path / "tu-zalo.zip").write_bytes(buf.getvalue())

    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(f"{base}/u/{codes[ADMIN]}")
    assert page.url == f"{base}/desk"
    assert page.locator(".count.st-missing b").inner_text() == "14"
    page.fill("#received-on", "2020-10-20")  # the mail came in before the deadline: the office says so
    page.set_input_files("#desk-files", str(tmp_path / "tu-zalo.zip"))
    page.wait_for_selector(".results li.result.s-refused", timeout=60000)
    page.wait_for_load_state()
    page.wait_for_function("() => !document.body.classList.contains('stale')", timeout=30000)
    page.wait_for_selector(".count.st-on-time b")
    page.screenshot(path=shots / "5-desk-after-zip.png", full_page=True)
    counts = {k: page.locator(f".count.st-{k} b").inner_text() for k in ("on-time", "missing", "returned")}
    assert counts == {"on-time": "12", "missing": "2", "returned": "0"}
    assert "ghi-chu-cua-xa.docx" in page.content()

    # filter and search
    page.click(".count.st-missing")
    assert page.locator("#units tbody tr").count() == 2
    page.click(".count.all")
    page.fill("#q", "sơ pai")
    visible = page.locator("#units tbody tr:visible")
    assert visible.count() == 1 and "23653" in visible.inner_text()

    # return one with a comment
    page.goto(f"{base}/desk/units/23656")
    page.check("tbody input[type=checkbox]")
    page.fill("#comment", "Thiếu chữ ký người lập biểu, đề nghị bổ sung.")
    page.click("button[value=return]")
    assert "Đã cập nhật 1 tệp" in page.locator(".flash").inner_text()
    page.goto(f"{base}/desk?state=returned")
    assert "Xã Lơ Ku" in page.locator("#units").inner_text()
    assert "Thiếu chữ ký" in page.locator("#units").inner_text()
    page.screenshot(path=shots / "6-desk-returned.png", full_page=True)

    # the unit sees the comment
    unit = browser.new_context().new_page()
    unit.goto(f"{base}/u/{codes['23656']}")
    assert "Thiếu chữ ký người lập biểu" in unit.locator("#latest .comment").inner_text()
    unit.screenshot(path=shots / "7-unit-sees-comment.png", full_page=True)

    page.goto(f"{base}/desk")
    with page.expect_download() as dl:
        page.click("text=Sổ tổng hợp (.xlsx)")
    out = tmp_path / dl.value.suggested_filename
    dl.value.save_as(out)
    wb = openpyxl.load_workbook(out)
    assert "Tổng hợp" in wb.sheetnames
    status = portal.status()
    # in merge's terms a returned unit has no file in the inbox: missing (the desk says "returned")
    assert status["missing"] == ["23656", "23671", "23674"] and "23656" not in status["accepted"]

    page.goto(f"{base}/desk/chase")
    message = page.locator("#message").input_value()
    assert "Xã Kông Bơ La (23671): chưa nộp" in message and "Xã Lơ Ku (23656)" in message
    page.screenshot(path=shots / "8-chase.png", full_page=True)
    ctx.close()


PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)


def no_reload_mark(page) -> None:
    """A mark on the window: it survives only as long as the page is not reloaded."""
    page.evaluate("() => { window.qcdcMark = 'same page'; }")


def still_same_page(page) -> bool:
    return page.evaluate("() => window.qcdcMark") == "same page"


def fits_width(page, width: int = 390) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth") <= width


def test_unit_standing_at_the_top_updates_after_an_upload_without_reload(served, browser, shots):
    portal, base, codes = served
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    page.goto(f"{base}/u/{codes['23650']}")
    standing = page.locator("#standing")
    assert "Chưa nộp" in standing.locator(".badge").first.inner_text()
    assert "còn phải gửi báo cáo" in standing.inner_text()
    assert "Chưa có tệp nào được tính" in standing.inner_text()
    assert "Văn phòng chưa có ý kiến" in standing.inner_text()
    assert page.locator(".drop-text.mouse").is_visible() and not page.locator(".drop-text.touch").is_visible()
    assert "Chưa gửi tệp nào" in page.locator("#history").inner_text()
    no_reload_mark(page)

    page.set_input_files("#file-input", str(INBOX / "23650_2020 (gui lan 1).xlsx"))
    page.wait_for_selector("#history table.grid tbody tr")  # the history came without a reload
    assert "Chưa gửi tệp nào" not in page.locator("#history").inner_text()
    assert "còn phải sửa và gửi lại" in page.locator("#standing").inner_text()
    assert page.locator("#latest .badge").first.inner_text() == "Bị trả lại: cần sửa và gửi lại"

    page.set_input_files("#file-input", str(INBOX / "23650_2020.xlsx"))
    page.wait_for_function("() => document.querySelectorAll('#history tbody tr').length === 2")
    standing = page.locator("#standing")
    page.wait_for_function("() => document.querySelector('#standing .standing-facts .name') !== null")
    assert standing.locator(".standing-facts .name").inner_text() == "23650_2020.xlsx"  # what counts now
    assert "không phải gửi thêm" in standing.inner_text()  # nothing owed any more
    assert standing.get_by_role("link", name="Tải biên nhận").count() == 1
    assert page.locator(".results li.result").count() == 2  # the verdicts stay next to the form
    assert still_same_page(page)
    page.screenshot(path=shots / "unit-standing-desktop.png", full_page=True)

    # the office returns it: the unit reads the office's word at the top of its page
    sid = portal.submissions(unit="23650")[0]["id"]
    portal.review([sid], "return", ADMIN, "Thiếu chữ ký người lập biểu.")
    page.reload()
    standing = page.locator("#standing")
    assert "Văn phòng trả lại" in standing.inner_text() and "Thiếu chữ ký người lập biểu." in standing.inner_text()
    assert "còn phải sửa và gửi lại" in standing.inner_text()
    page.click("a.lang")
    assert page.locator("#standing h2").inner_text() == "Where your report stands"
    assert "The office's latest word" in page.locator("#standing").inner_text()
    ctx.close()


def test_desk_drop_results_stay_until_hidden_while_the_tables_refresh(served, browser, shots, tmp_path):
    portal, base, codes = served
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True, locale="vi-VN")
    page = ctx.new_page()
    page.goto(f"{base}/u/{codes[ADMIN]}")
    assert page.locator(".count.st-missing b").inner_text() == "14"
    no_reload_mark(page)
    files = [INBOX / "23638_2020.xlsx", INBOX / "23653_2020 (gui lan 1).xlsx", INBOX / "23641_2020.xlsx"]
    page.set_input_files("#desk-files", [str(p) for p in files])
    # the counts and the table refresh around the results
    page.wait_for_function("() => document.querySelector('.count.st-missing b').textContent.trim() === '11'")
    page.wait_for_function("() => !document.body.classList.contains('stale')")
    results = page.locator(".results li.result")
    assert results.count() == 3 and still_same_page(page)
    rejected = page.locator(".results li.result.s-rejected")
    assert rejected.count() == 1 and "23653_2020 (gui lan 1).xlsx" in rejected.inner_text()
    assert rejected.locator("a.feedback").inner_text().startswith("Tải tệp góp ý")
    accepted = page.locator(".results li.result.s-accepted")
    assert accepted.count() == 2
    assert [accepted.nth(i).locator("a.feedback").inner_text() for i in range(2)] == ["Tải biên nhận"] * 2
    assert "Không có lỗi nào." in accepted.first.inner_text() and "Cảm ơn" not in page.locator(".results").inner_text()
    assert "Xã Sơ Pai" in page.locator("#units").inner_text()
    page.screenshot(path=shots / "desk-drop-results-desktop.png", full_page=True)

    # the officer downloads the feedback copy to send back, and the results are still there
    with page.expect_download() as dl:
        rejected.locator("a.feedback").click()
    got = tmp_path / dl.value.suggested_filename
    dl.value.save_as(got)
    assert openpyxl.load_workbook(got).sheetnames[0] == "KẾT QUẢ KIỂM TRA"
    assert results.count() == 3

    # a search typed before the refresh is kept, accents or not
    page.fill("#q", "so pai")
    assert page.locator("#units tbody tr:visible").count() == 1
    page.fill("#q", "khong-co-xa-nay")
    assert page.locator("#units tbody tr:visible").count() == 0
    assert page.locator(".no-match").inner_text() == "Không có đơn vị nào khớp “khong-co-xa-nay”."
    page.fill("#q", "")

    # hidden one by one, or all at once
    rejected.locator("button.dismiss").click()
    assert results.count() == 2
    page.click("button.dismiss-all")
    assert results.count() == 0 and not page.locator(".dismiss-bar").is_visible()
    assert still_same_page(page)
    # the refreshed heading still works: choosing a round opens it
    portal.open_round("2021Q1", None, ADMIN)
    page.goto(f"{base}/desk")
    page.set_input_files("#desk-files", str(INBOX / "23638_2020.xlsx"))
    page.wait_for_selector(".results li.result .badge")
    page.wait_for_function("() => !document.body.classList.contains('stale')")
    with page.expect_navigation():
        page.select_option("#round", label="Năm 2020")
    assert "round=1" in page.url and "Năm 2020" in page.locator("h1").inner_text()
    ctx.close()


def test_phone_pages_fit_the_screen_and_speak_of_tapping(served, browser, shots):
    portal, base, codes = served
    ctx = browser.new_context(locale="vi-VN", **PHONE)
    page = ctx.new_page()
    page.goto(f"{base}/u/{codes['23650']}")
    assert fits_width(page)
    assert page.locator(".drop-text.touch").inner_text() == "Bấm vào đây để chọn tệp"
    assert page.locator(".drop-text.touch").is_visible() and not page.locator(".drop-text.mouse").is_visible()
    page.screenshot(path=shots / "phone-unit-before.png", full_page=True)

    page.set_input_files("#file-input", str(INBOX / "23650_2020 (gui lan 1).xlsx"))
    page.wait_for_selector("#history table.grid tbody tr")
    page.wait_for_function("() => !document.body.classList.contains('stale')")
    assert fits_width(page)
    # the feedback link is on the screen, the file name reads on one line
    for link in (page.locator(".results a.feedback"), page.locator("#history td.actions a").last):
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    name = page.locator("#history td.name").first
    lines = name.evaluate("e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)")
    assert lines < 2
    page.screenshot(path=shots / "phone-unit-after.png", full_page=True)
    page.locator("#history td.actions a").first.click()  # the file's own page
    page.wait_for_selector("section.verdict")
    assert fits_width(page)
    box = page.locator("section.verdict a.button").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    ctx.close()

    ctx = browser.new_context(locale="vi-VN", **PHONE)
    page = ctx.new_page()
    page.goto(f"{base}/u/{codes[ADMIN]}")
    assert fits_width(page)
    assert page.locator(".drop-text.touch").is_visible() and not page.locator(".drop-text.mouse").is_visible()
    page.set_input_files("#desk-files", [str(INBOX / "23653_2020 (gui lan 1).xlsx"), str(INBOX / "23638_2020.xlsx")])
    page.wait_for_function("() => document.querySelector('.count.st-missing b').textContent.trim() === '13'")
    page.wait_for_function("() => !document.body.classList.contains('stale')")
    assert page.locator(".results li.result").count() == 2
    assert fits_width(page)
    box = page.locator(".results li.s-rejected a.feedback").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=shots / "phone-desk.png", full_page=True)
    for path in ("/desk/submissions", "/desk/units/23653", "/desk/chase"):
        page.goto(base + path)
        assert fits_width(page), path
    ctx.close()
