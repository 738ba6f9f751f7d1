"""Fair turns at the check workers, and starting and restarting the desk (issue 20, points 5 and 8).

- the queue itself (:class:`FairQueue`, threads only): a unit's limit of checks at once, the next
  worker to the unit served least recently, ``Busy`` beyond a unit's waiting places, the time limit
  counted from arrival;
- the web layer: a refused upload answers 429 with ``Retry-After`` and a Vietnamese message, and
  leaves nothing stored;
- a real ``portal serve`` on loopback: two units flooding with slow (heavy, valid) forms while a
  third sends a normal one, which is checked before most of the flood; ``/healthz`` answers while
  every worker is busy; killed with heavy files in flight, the restarted server answers at once
  (``recovering``) and then gives every interrupted upload its verdict, byte for byte kept;
- ``portal serve`` on a port in use or an address the machine does not have: exit 2 and a message
  in the language of the run, no traceback.
"""
from __future__ import annotations

import io
import json
import secrets
import signal
import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from qcdc_excel.cli import main
from qcdc_excel.portal.checker import Busy, CheckFailed, CheckPool, FairQueue
from qcdc_excel.portal.service import ADMIN, Portal, init_portal
from qcdc_excel.portal.web import create_app
from qcdc_excel.synthetic import heavy_copy

from .conftest import KBANG_ROSTER
from .pool_tasks import Sleep
from .test_portal_load import (CHECKED, Server, check_files, desk, distinct, free_port, get_json,  # noqa: F401
                               multipart, request, sample_files, servers, sha)

HEAVY_ROWS = 100_000  # about a second to check on one core: the flood's files
BOUND = 120  # seconds: the bound of every wait below (never an expected duration)


def until(condition, what: str, timeout: float = BOUND, step: float = 0.05):
    """Poll ``condition`` until it returns something true; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not reached within {timeout} s: {what}")


# --- the queue ----------------------------------------------------------------------------------------
def waiter(queue: FairQueue, ticket, granted: list) -> threading.Thread:
    def run() -> None:
        if queue.acquire(ticket, time.monotonic() + BOUND):
            granted.append(ticket.key)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    until(lambda: ticket.granted or queue.stats()["waiting"] >= 1 and ticket in queue._queues.get(ticket.key, ()),
          "the ticket is queued")
    return thread


def test_a_unit_uses_at_most_its_share_and_a_newcomer_goes_first():
    queue = FairQueue(slots=2, per_key=1)
    a1, a2, a3 = (queue.admit("A") for _ in range(3))
    assert queue.acquire(a1, time.monotonic() + 1)
    granted: list[str] = []
    t_a2 = waiter(queue, a2, granted)
    t_a3 = waiter(queue, a3, granted)
    # one worker is free, but A already has its one check running: A's others wait
    assert queue.stats() == {"workers": 2, "running": 1, "waiting": 2, "held": 3}
    b1 = queue.admit("B")
    assert queue.acquire(b1, time.monotonic() + 1)  # B takes the free worker at once
    c1 = queue.admit("C")
    t_c1 = waiter(queue, c1, granted)
    a1.queue.release(a1)  # A's check is over: the worker goes to C (never served), not to A's backlog
    until(lambda: granted, "a grant")
    assert granted == ["C"] and not a2.granted
    b1.queue.release(b1)
    until(lambda: len(granted) == 2, "a second grant")
    assert granted == ["C", "A"] and a2.granted and not a3.granted  # A's oldest file first
    for t in (c1, a2):
        t.queue.release(t)
    until(lambda: len(granted) == 3, "the last grant")
    a3.queue.release(a3)
    for t in (t_a2, t_a3, t_c1):
        t.join(BOUND)
    assert queue.stats() == {"workers": 2, "running": 0, "waiting": 0, "held": 0}


def test_busy_beyond_the_waiting_places_but_never_for_the_secretariat():
    queue = FairQueue(slots=2, per_key=1, waiting=2, max_held=5)
    held = [queue.admit("A") for _ in range(3)]
    with pytest.raises(Busy) as exc:
        queue.admit("A")
    assert exc.value.scope == "unit" and exc.value.retry_after >= 1
    assert "gửi lại" in exc.value.render("vi") and "send it again" in exc.value.render("en")
    held += [queue.admit("B"), queue.admit("C")]  # 5 places held in all: the server's limit
    with pytest.raises(Busy) as exc:
        queue.admit("D")
    assert exc.value.scope == "server"
    held.append(queue.admit(ADMIN))  # the secretariat is never refused
    held.append(queue.admit("D", bounded=False))  # nor the desk's own work (recovery, feedback)
    for i in (0, 3, 6):  # one of A's, B's and the desk's own are over: 4 held
        held[i].queue.release(held[i])
    assert queue.admit("A").key == "A"  # A may send again


def test_the_time_limit_counts_the_wait():
    queue = FairQueue(slots=1)
    first, second = queue.admit("A"), queue.admit("B")
    assert queue.acquire(first, time.monotonic() + 1)
    assert not queue.acquire(second, time.monotonic() - 0.001)  # its time ran out while it waited
    second.queue.release(second)
    first.queue.release(first)
    assert queue.stats()["held"] == 0
    pool = CheckPool(workers=1, timeout=5)
    try:
        late = pool.admit("A")
        late.arrived -= 10  # arrived 10 s ago: its 5 s are over before any worker is asked
        with pytest.raises(CheckFailed) as exc:
            pool.run(Sleep(0), ticket=late)
        assert exc.value.reason == "queued" and pool.restarts == 0  # the desk was busy, not the file wrong
        assert pool.stats()["held"] == 0
    finally:
        pool.close()


def test_warming_starts_each_worker_once_through_the_queue():
    pool = CheckPool(workers=2)
    try:
        pool.warm()
        assert len(pool._idle) == 2 and all(slot.process.is_alive() for slot in pool._idle)
        pids = {slot.process.pid for slot in pool._idle}
        pool.warm()  # again: the same two workers, none started
        assert {slot.process.pid for slot in pool._idle} == pids and pool.stats()["held"] == 0
    finally:
        pool.close()


# --- the web layer ------------------------------------------------------------------------------------
def test_a_refused_upload_is_429_with_retry_after_and_nothing_is_stored(tmp_path):
    rows = init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625")
    codes = {r["code"]: r["access_code"] for r in rows}
    pool = CheckPool(workers=2, waiting=0)
    portal = Portal(tmp_path / "data", runner=pool)
    app = create_app(portal)
    app.testing = True
    form = next(iter(sample_files().values()))[-1]
    unit = form.name.split("_")[0]
    try:
        taken = pool.admit(unit)  # the unit's one place (one check at once, none waiting) is in use
        resp = app.test_client().post("/api/v1/submissions", headers={"Authorization": f"Bearer {codes[unit]}"},
                                      data={"file": (io.BytesIO(form.read_bytes()), form.name)})
        assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
        body = resp.get_json()
        assert body["error"] == "portal-busy-unit" and "chưa được nhận" in body["message"]
        assert "not received" in body["message_en"]
        assert portal.submissions() == [] and not any((tmp_path / "data" / "files").rglob("*.*"))
        taken.queue.release(taken)
        resp = app.test_client().post("/api/v1/submissions", headers={"Authorization": f"Bearer {codes[unit]}"},
                                      data={"file": (io.BytesIO(form.read_bytes()), form.name)})
        assert resp.status_code == 201 and resp.get_json()["status"] in CHECKED
    finally:
        portal.close()


# --- starting ------------------------------------------------------------------------------------------
def test_serve_on_a_port_in_use_exits_2_with_a_message(tmp_path):
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for lang, words in (("vi", "đang được một chương trình khác dùng"), ("en", "used by another program")):
            res = CliRunner().invoke(main, ["--lang", lang, "portal", "serve", "--data", str(tmp_path / "data"),
                                            "--port", str(port)])
            assert res.exit_code == 2, res.output
            assert words in res.output and f"127.0.0.1:{port}" in res.output and f"--port {port + 1}" in res.output
            assert "Traceback" not in res.output and not isinstance(res.exception, OSError)
            assert "đang chạy tại" not in res.output and "is running at" not in res.output  # it never listened


def test_serve_on_an_address_this_machine_lacks_exits_2(tmp_path):
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625")
    for host in ("192.0.2.1", "khong-co-may-nay.invalid"):  # a documentation-only address; no such name
        res = CliRunner().invoke(main, ["portal", "serve", "--data", str(tmp_path / "data"), "--host", host,
                                        "--port", str(free_port())])
        assert res.exit_code == 2, res.output
        assert f"máy này không có địa chỉ {host}" in res.output and "--host 127.0.0.1" in res.output
        assert "Traceback" not in res.output and "đang chạy tại" not in res.output


# --- a real server -------------------------------------------------------------------------------------
pytestmark_server = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def post(base: str, code: str, filename: str, data: bytes) -> tuple[int, dict, dict]:
    """An upload: (status, JSON body, headers)."""
    body, ctype = multipart("file", filename, data)
    req = urllib.request.Request(base + "/api/v1/submissions", data=body, method="POST",
                                 headers={"Accept": "application/json", "Authorization": f"Bearer {code}",
                                          "Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=BOUND) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def health(base: str) -> dict:
    status, raw = request(base, "/healthz", timeout=BOUND)
    assert status == 200, (status, raw[:300])
    return json.loads(raw)


@pytestmark_server
def test_a_flooding_unit_does_not_hold_up_another(desk, servers, tmp_path):
    data, codes = desk
    files = sample_files()
    flooders, other = sorted(files)[:2], sorted(files)[2]
    srv = servers(data, tmp_path / "server.log", "--workers", "2")  # one check per unit at once
    slots = health(srv.base)["checks"]["workers"]
    assert slots == 2
    heavy = {u: heavy_copy(files[u][-1].read_bytes(), HEAVY_ROWS) for u in flooders}
    flood = [(u, distinct(heavy[u], f"flood {u} {i}")) for u in flooders for i in range(16)]

    lock = threading.Lock()
    answers: list[tuple[str, int, dict, dict]] = []  # in the order they arrived

    def send(job):
        unit, body = job
        status, rec, headers = post(srv.base, codes[unit], f"{unit}_2020.xlsx", body)
        with lock:
            answers.append((unit, status, rec, headers))

    with ThreadPoolExecutor(len(flood)) as pool:
        futures = [pool.submit(send, j) for j in flood]
        # every flood request is answered (refused) or holds a place in the queue, and every worker is busy
        seen = until(lambda: (lambda h: h if h["checks"]["held"] == len(flood) - len(answers)
                              and h["checks"]["running"] == slots else None)(health(srv.base)),
                     "the flood queued and every worker busy")
        assert seen["ok"] and seen["status"] == "ready"  # /healthz answers while every worker is busy
        assert seen["checks"]["waiting"] >= 1
        mine = files[other][-1].read_bytes()
        status, rec, _ = post(srv.base, codes[other], f"{other}_2020.xlsx", mine)
        with lock:
            flood_done_before = sum(1 for a in answers if a[1] == 201)
        for f in futures:
            f.result(timeout=BOUND)

    assert status == 201 and rec["state"] == "checked" and rec["status"] == "accepted", rec
    assert rec["sha256"] == sha(mine)
    statuses = [a[1] for a in answers]
    assert set(statuses) <= {201, 429} and statuses.count(429) >= 1
    admitted = statuses.count(201)
    # the other unit was not put behind the flood: most of the flood's admitted files came after it
    assert admitted - flood_done_before >= 3, (admitted, flood_done_before)
    print(f"flood: {admitted} checked, {statuses.count(429)} refused; the other unit's verdict came after "
          f"{flood_done_before} of the flood's")
    for unit, status, body, headers in answers:
        if status == 429:
            assert int(headers["Retry-After"]) >= 1 and "gửi lại" in body["message"], body
        else:
            assert body["state"] == "checked" and body["status"] == "accepted" and body["unit_code"] == unit, body
    # a refused upload left nothing: the records are exactly the admitted files and the other unit's
    listed = get_json(srv.base, "/api/v1/submissions", codes[ADMIN])
    assert len(listed) == admitted + 1 == sum(1 for p in (data / "files").rglob("*") if p.is_file())
    check_files(srv.base, codes[ADMIN], {r["id"]: r["sha256"] for r in listed})


@pytestmark_server
def test_restart_after_a_kill_answers_at_once_and_recovers_in_the_background(desk, servers, tmp_path):
    data, codes = desk
    files = sample_files()
    units = sorted(files)
    srv = servers(data, tmp_path / "server-1.log", "--workers", "2")
    sent = {}
    jobs = []
    for i, unit in enumerate(units[i % len(units)] for i in range(12)):  # the secretariat: never refused
        body = distinct(heavy_copy(files[unit][-1].read_bytes(), HEAVY_ROWS), f"kill {i}")
        sent[sha(body)] = body
        jobs.append((unit, body))

    def left_received() -> int:
        conn = sqlite3.connect(data / "portal.sqlite3", timeout=10)
        try:
            return conn.execute("SELECT count(*) FROM submissions WHERE state='received'").fetchone()[0]
        finally:
            conn.close()

    pool = ThreadPoolExecutor(len(jobs))
    try:
        futures = [pool.submit(post, srv.base, codes[ADMIN], f"{u}_2020.xlsx", b) for u, b in jobs]
        until(lambda: left_received() >= 8, "8 uploads stored and waiting for their check")
        srv.kill()
        for f in futures:
            try:
                f.result(timeout=BOUND)
            except OSError:
                pass  # cut by the kill
    finally:
        pool.shutdown(wait=True)
    interrupted = left_received()
    assert interrupted >= 8

    srv2 = servers(data, tmp_path / "server-2.log", "--workers", "2")  # ready: it answered /healthz
    first = health(srv2.base)
    assert first["status"] == "recovering" and first["recovery"]["pending"] >= interrupted, first
    # the desk serves while it recovers: a unit's normal upload gets its verdict
    unit = units[-1]
    status, rec, _ = post(srv2.base, codes[unit], f"{unit}_2020.xlsx", files[unit][-1].read_bytes())
    assert status == 201 and rec["state"] == "checked", rec
    done = until(lambda: (lambda h: h if h["status"] == "ready" else None)(health(srv2.base)), "recovery over")
    assert done["recovery"]["checked"] == done["recovery"]["pending"] == first["recovery"]["pending"]

    listed = get_json(srv2.base, "/api/v1/submissions", codes[ADMIN])
    assert all(r["state"] == "checked" for r in listed), [r for r in listed if r["state"] != "checked"]
    flood = [r for r in listed if r["id"] != rec["id"]]
    assert len(flood) == sum(1 for p in (data / "files").rglob("*") if p.is_file()) - 1 >= interrupted
    for r in flood:  # every interrupted upload: its verdict, and the very bytes that were sent
        assert r["sha256"] in sent and r["status"] == "accepted", r
    check_files(srv2.base, codes[ADMIN], {r["id"]: r["sha256"] for r in listed})
    log = srv2.log()
    assert "Cổng nộp báo cáo đang chạy tại" in log and "Traceback" not in log
