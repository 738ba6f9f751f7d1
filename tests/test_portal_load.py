"""The web desk under load and under a crash, against a real ``qcdc-excel portal serve`` process.

Standard library only on the client side (urllib + a hand-built multipart body, threads), loopback
only, every request with a timeout and every wait bounded, and the server is always killed.

- load: 300 uploads from 16 concurrent clients (units sending their own forms, a few sending another
  unit's form, the secretariat sending some) all answer 201 with a verdict, the admin API lists
  exactly those 300, and every stored file is byte-identical to what was sent;
- kill: SIGKILL the server while uploads are in flight; after a restart on the same data folder every
  upload that was answered 201 is there, checked, byte-identical, and nothing is left ``received``.
"""
from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pytest

from .conftest import KBANG_ROSTER, SAMPLES

INBOX = SAMPLES / "kbang-2020" / "inbox"
CHECKED = ("accepted", "accepted-with-warnings", "rejected", "unreadable")
TIMEOUT = 30  # seconds for any one HTTP request
START_TIMEOUT = 30  # seconds for the server to answer /healthz

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


# --- client helpers ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def distinct(data: bytes, tag: str) -> bytes:
    """The same workbook with a different zip comment: still a valid .xlsx, different bytes."""
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.comment = tag.encode("ascii")
    return buf.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def multipart(field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----qcdc" + secrets.token_hex(16)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n")
    body = head.encode("utf-8") + data + f"\r\n--{boundary}--\r\n".encode("ascii")
    return body, f"multipart/form-data; boundary={boundary}"


def request(base: str, path: str, code: str | None = None, body: bytes | None = None,
            content_type: str | None = None, timeout: float = TIMEOUT) -> tuple[int, bytes]:
    headers = {"Accept": "application/json"}
    if code:
        headers["Authorization"] = f"Bearer {code}"
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(base + path, data=body, headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def upload(base: str, code: str, filename: str, data: bytes, timeout: float = TIMEOUT) -> tuple[int, dict]:
    body, ctype = multipart("file", filename, data)
    status, raw = request(base, "/api/v1/submissions", code, body, ctype, timeout)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, {"raw": raw[:500].decode("utf-8", "replace")}


def get_json(base: str, path: str, code: str):
    status, raw = request(base, path, code)
    assert status == 200, (path, status, raw[:500])
    return json.loads(raw)


# --- the server ---------------------------------------------------------------------------------------
class Server:
    """``qcdc-excel portal serve`` in its own process group; ``pid`` is the Python server itself."""

    def __init__(self, data: Path, log: Path, *extra: str) -> None:
        self.data, self.log_path = data, log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-c", "from qcdc_excel.cli import run; run()", "portal", "serve",
               "--data", str(data), "--host", "127.0.0.1", "--port", str(self.port), *extra]
        self._log = open(log, "ab")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)  # its check workers share its process group
        self.pid = self.proc.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                status, raw = request(self.base, "/healthz", timeout=2)
                if status == 200 and json.loads(raw).get("ok"):
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready after {timeout} s:\n{self.log()}")

    def wait_recovered(self, timeout: float = 120) -> dict:
        """Until ``/healthz`` says the checks a crash left are done; returns what it said."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, raw = request(self.base, "/healthz", timeout=TIMEOUT)
            assert status == 200, (status, raw[:300], self.log())
            health = json.loads(raw)
            if health["status"] == "ready":
                return health
            time.sleep(0.1)
        raise AssertionError(f"still recovering after {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the server process only (what a power cut or the OOM killer does)."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """Teardown: the server and whatever is left of its process group (check workers)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(data: Path, log: Path, *extra: str) -> Server:
        srv = Server(data, log, *extra)
        started.append(srv)
        srv.wait_ready()
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def desk(tmp_path):
    """A data folder for Kbang 2020 made by ``portal init``, and its access codes by unit."""
    data, codes = tmp_path / "desk", tmp_path / "codes.csv"
    cmd = [sys.executable, "-c", "from qcdc_excel.cli import run; run()", "portal", "init", "--data", str(data),
           "--roster", str(KBANG_ROSTER), "--period", "2020", "--parent", "625", "--codes-out", str(codes)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with open(codes, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["code", "name", "access_code", "link"]
        rows = list(reader)
    assert rows[0]["code"] == "admin"
    return data, {r["code"]: r["access_code"] for r in rows}


def sample_files() -> dict[str, list[Path]]:
    """unit code -> its filled forms in the sample inbox (some units sent twice)."""
    out: dict[str, list[Path]] = {}
    for p in sorted(INBOX.glob("*_2020*.xlsx")):
        code = p.name.split("_")[0]
        if len(code) == 5:
            out.setdefault(code, []).append(p)
    return out


def check_files(base: str, admin: str, sent: dict[int, str]) -> None:
    """Every id's stored bytes, fetched back, have the sha256 that was sent."""
    def fetch(sid: int) -> tuple[int, int, str]:
        status, raw = request(base, f"/api/v1/submissions/{sid}/file", admin)
        return sid, status, sha(raw)

    with ThreadPoolExecutor(8) as pool:
        for sid, status, digest in pool.map(fetch, sorted(sent)):
            assert status == 200, (sid, status)
            assert digest == sent[sid], f"submission {sid}: stored bytes differ from the upload"


# --- the tests ----------------------------------------------------------------------------------------
def test_300_uploads_16_clients(desk, servers, tmp_path):
    data, codes = desk
    files = sample_files()
    units = sorted(files)
    assert len(units) >= 8 and all(u in codes for u in units)
    sources = {p: p.read_bytes() for ps in files.values() for p in ps}

    jobs = []  # (sender, code, source path, bytes, kind)
    for i in range(300):
        unit = units[i % len(units)]
        kind = "mismatch" if i % 20 == 7 else "admin" if i % 20 == 13 else "own"
        if kind == "mismatch":  # a unit sends its neighbour's form
            src = files[units[(i + 1) % len(units)]][0]
        else:
            src = files[unit][(i // len(units)) % len(files[unit])]
        sender = "admin" if kind == "admin" else unit
        jobs.append((sender, codes[sender], src, distinct(sources[src], f"load {i}"), kind))
    assert len({sha(j[3]) for j in jobs}) == 300

    srv = servers(data, tmp_path / "server.log")

    def send(job):
        sender, code, src, body, kind = job
        return job, upload(srv.base, code, src.name, body)

    results = []
    start = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        for fut in as_completed([pool.submit(send, j) for j in jobs], timeout=120):
            results.append(fut.result())
    elapsed = time.monotonic() - start

    statuses = [status for _, (status, _) in results]
    assert statuses.count(201) == 300, (sorted(set(statuses)), [r for _, (s, r) in results if s != 201][:3],
                                        srv.log())
    sent: dict[int, str] = {}
    verdict_by_source: dict[Path, set[str]] = {}
    for (sender, _, src, body, kind), (_, rec) in results:
        sent[rec["id"]] = sha(body)
        assert rec["sha256"] == sha(body)
        assert rec["state"] == "checked" and rec["status"] in CHECKED, rec
        assert rec["period"] == "2020"
        codes_found = [f["code"] for f in rec["findings"]]
        if kind == "mismatch":
            assert rec["status"] == "rejected" and "unit-mismatch" in codes_found, rec
        else:
            assert rec["unit_code"] == src.name.split("_")[0]
            assert "unit-mismatch" not in codes_found
            verdict_by_source.setdefault(src, set()).add(rec["status"])
    assert len(sent) == 300  # 300 distinct ids
    # the same form gets the same verdict however many clients send at once
    assert all(len(v) == 1 for v in verdict_by_source.values()), verdict_by_source

    listed = get_json(srv.base, "/api/v1/submissions", codes["admin"])
    assert len(listed) == 300 and {r["id"] for r in listed} == set(sent)
    for r in listed:
        assert r["state"] == "checked" and r["status"] in CHECKED, r
        assert r["sha256"] == sent[r["id"]]
    check_files(srv.base, codes["admin"], sent)
    # a unit sees only its own
    mine = get_json(srv.base, "/api/v1/submissions", codes[units[0]])
    assert mine and all(r["sender"] == units[0] for r in mine)
    print(f"300 uploads, 16 clients: {elapsed:.1f} s ({300 / elapsed:.0f}/s)")


def test_sigkill_during_uploads_loses_no_answered_upload(desk, servers, tmp_path):
    data, codes = desk
    files = sample_files()
    units = sorted(files)
    sources = {u: files[u][-1].read_bytes() for u in units}
    srv = servers(data, tmp_path / "server-1.log")

    lock = threading.Lock()
    answered: dict[int, str] = {}  # id -> sha256 of what was sent, for every 201
    failures: list[str] = []
    stop = threading.Event()
    counter = iter(range(10**6))

    def client(unit: str) -> None:
        for _ in range(200):  # bounded even if the kill never came
            if stop.is_set():
                return
            with lock:
                n = next(counter)
            body = distinct(sources[unit], f"kill {n}")
            try:
                status, rec = upload(srv.base, codes[unit], f"{unit}_2020.xlsx", body, timeout=15)
            except (OSError, ValueError, http.client.HTTPException) as exc:  # the server died under it
                with lock:
                    failures.append(type(exc).__name__)
                return
            if status != 201:
                with lock:
                    failures.append(f"HTTP {status}: {rec}")
                return
            with lock:
                answered[rec["id"]] = sha(body)
                if rec.get("sha256") != sha(body) or rec.get("state") != "checked":
                    failures.append(f"BAD answer: {rec}")

    threads = [threading.Thread(target=client, args=(u,), daemon=True) for u in units[:8]]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(answered) < 20 and any(t.is_alive() for t in threads):
        time.sleep(0.005)
    assert len(answered) >= 20, (len(answered), failures, srv.log())
    srv.kill()  # the Python server process itself: no shell in between
    assert srv.proc.returncode == -signal.SIGKILL
    stop.set()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads)
    with lock:
        answered_at_kill = dict(answered)
    assert failures, "no request was cut by the kill"
    assert not [f for f in failures if f.startswith(("HTTP", "BAD"))], failures

    # what the crash left: records still 'received' and stored files with no record yet
    conn = sqlite3.connect(data / "portal.sqlite3", timeout=10)
    try:
        before = dict(conn.execute("SELECT state, count(*) FROM submissions GROUP BY state").fetchall())
        recorded = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
    finally:
        conn.close()
    # stored: written whole and named; an upload cut mid-write is a hidden ``.part`` (never answered)
    files = [p for p in (data / "files").rglob("*") if p.is_file()]
    stored = sum(1 for p in files if not p.name.endswith(".part"))
    torn = sum(1 for p in files if p.name.endswith(".part"))
    assert before.get("checked", 0) >= len(answered_at_kill)

    srv2 = servers(data, tmp_path / "server-2.log")  # it listens at once and recovers in the background
    srv2.wait_recovered()
    listed = get_json(srv2.base, "/api/v1/submissions", codes["admin"])
    by_id = {r["id"]: r for r in listed}
    missing = sorted(set(answered_at_kill) - set(by_id))
    assert not missing, f"answered 201 but lost after the crash: {missing}"
    for sid, digest in answered_at_kill.items():
        r = by_id[sid]
        assert r["state"] == "checked" and r["status"] in CHECKED, r
        assert r["sha256"] == digest
    assert not [r for r in listed if r["state"] == "received"], "records left 'received' after restart"
    assert all(r["state"] in ("checked", "refused") for r in listed)
    check_files(srv2.base, codes["admin"], answered_at_kill)
    # whatever else was stored (in flight at the kill, recovered) also matches its record
    check_files(srv2.base, codes["admin"], {r["id"]: r["sha256"] for r in listed})
    assert len(listed) == stored  # every stored file has its record after recovery
    # a torn upload is kept aside, never recorded
    assert len(list((data / "incomplete").glob("*"))) == torn if torn else not (data / "incomplete").exists()
    print(f"killed after {len(answered_at_kill)} answers; at the kill: {before}, {stored - recorded} stored "
          f"files without a record; after restart: {len(listed)} records")
