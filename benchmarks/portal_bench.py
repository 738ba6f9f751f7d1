"""Benchmark of the web desk (``qcdc-excel portal serve``) over real HTTP on loopback.

It makes a round of N units (the synthetic roster of ``benchmarks/bench.py``: one province, N
communes, period 2025Q4; one personalised filled form per commune, ~5 % with a deliberate mistake),
starts a real ``portal serve`` subprocess on a fresh data folder, and measures:

- the secretariat sending the whole round (one form per unit, admin Bearer code, 16 clients);
- the completeness page ``/desk`` at N units (signed in through the admin's personal link, cookies
  kept): the first GET after the round came in, the median of several GETs, and the median of GETs
  each right after one more upload (the page while units are still sending);
- ``GET /api/v1/consolidated.xlsx`` on the round, uncached (``--repeat`` runs, median) against
  ``qcdc-excel merge`` on the round's inbox folder with the same roster, period and parent (the
  same outputs as the desk builds: workbook, JSON and Word report; and the workbook alone);
- upload-to-verdict latency of one form (units sending their own form, sequentially): median, p95;
- throughput with 16 concurrent clients (uploads/s);
- fairness: while one unit floods (16 clients sending slow forms — the same valid form padded with
  100,000 rows the reader must parse, ~1 s each — over and over, each retried 0.5 s after a 429),
  other units send normal forms one after another, 0.2 s apart: their upload-to-verdict time
  (median, p95) and the time of ``GET /healthz`` meanwhile;
- restart: the server killed (SIGKILL) with the secretariat's 16 slow forms in flight, then started
  again on the same data folder: the time until it answers ``/healthz`` (saying ``recovering``), and
  until the interrupted checks are done.

And, in this process, where the time of ``/desk`` goes: ``Portal.completeness()`` (cold and
cached), ``Portal.others()`` and the template rendering.

Usage (from the project root)::

    python benchmarks/portal_bench.py --units 3321 --work /tmp/qcdc-portal-bench

Forms are generated once per N under ``--work`` and reused; the data folder is new on every run.
The clients run in this process, on the same machine as the server: on a small machine they take
CPU from it, so the throughput is a lower bound.
"""
from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import io
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench import PERIOD, make_inbox, make_roster  # noqa: E402

from qcdc_excel.synthetic import heavy_copy  # noqa: E402

PARENT = "99"
CLI = [sys.executable, "-c", "from qcdc_excel.cli import run; run()"]
TIMEOUT = 120
GENERATOR = 3  # forms made by an older version of this script are made again
TARGETS = {"latency_median_ms": 150, "latency_p95_ms": 300, "throughput_per_s": 50, "desk_ms": 500,
           "fair_p95_ms": 1000}


# --- HTTP -------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def distinct(data: bytes, tag: str) -> bytes:
    """Same workbook, different bytes (a zip comment): no upload is a byte-for-byte repeat."""
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.comment = tag.encode("ascii")
    return buf.getvalue()


def multipart(filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----qcdc" + secrets.token_hex(16)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n")
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def call(url: str, code: str | None = None, body: bytes | None = None, ctype: str | None = None,
         opener=None, timeout: float = TIMEOUT) -> tuple[int, bytes]:
    headers = {}
    if code:
        headers["Authorization"] = f"Bearer {code}"
    if ctype:
        headers["Content-Type"] = ctype
    req = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with (opener.open if opener else urllib.request.urlopen)(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def upload(base: str, code: str, name: str, data: bytes) -> tuple[float, int, dict]:
    body, ctype = multipart(name, data)
    t = time.perf_counter()
    status, raw = call(base + "/api/v1/submissions", code, body, ctype)
    return time.perf_counter() - t, status, json.loads(raw) if raw[:1] == b"{" else {}


class Server:
    def __init__(self, data: Path, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = open(log, "wb")
        self.proc = subprocess.Popen(CLI + ["portal", "serve", "--data", str(data), "--host", "127.0.0.1",
                                            "--port", str(self.port)],
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited:\n{log.read_text('utf-8', 'replace')[-3000:]}")
            try:
                if call(self.base + "/healthz", timeout=2)[0] == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        self.stop()
        raise SystemExit("server did not start in 60 s")

    def health(self) -> dict:
        status, raw = call(self.base + "/healthz", timeout=TIMEOUT)
        assert status == 200, (status, raw[:300])
        return json.loads(raw)

    def kill(self) -> None:
        """SIGKILL the server process itself, then what is left of its group (its check workers)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.stop()

    def died(self) -> str:
        """Why the server is gone, if it is (for an error message)."""
        if self.proc.poll() is None:
            return "the server is still running"
        tail = self.log_path.read_text("utf-8", "replace").splitlines()
        tail = [line for line in tail if "Task queue depth" not in line][-30:]
        return f"the server exited with {self.proc.returncode}:\n" + "\n".join(tail)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._log.close()


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


# --- the benchmark --------------------------------------------------------------------------------------
def fairness(srv: Server, codes: dict, form_bytes: dict, units: list[str], n: int, clients: int,
             rows: int) -> dict:
    """One unit floods with slow forms while the others send normal ones, one after another."""
    flooder, others = units[0], units[1:]
    heavy = heavy_copy(form_bytes[flooder], rows)
    name = f"{flooder}_{PERIOD.code}.xlsx"
    alone, status, rec = upload(srv.base, codes[flooder], name, distinct(heavy, "alone"))
    assert status == 201 and rec["status"] == "accepted", (status, rec)
    stop, lock = threading.Event(), threading.Lock()
    counts = {201: 0, 429: 0}

    def flood(i: int) -> None:
        k = 0
        while not stop.is_set():
            status = upload(srv.base, codes[flooder], name, distinct(heavy, f"flood {i} {k}"))[1]
            assert status in counts, status
            with lock:
                counts[status] += 1
            k += 1
            if status == 429:
                stop.wait(0.5)

    threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while not counts[429] and time.monotonic() < deadline:  # the flood fills its places first
        time.sleep(0.05)
    lat, health, busy = [], [], []
    try:
        for i in range(n):
            u = others[(i * 7) % len(others)]
            dt_, status, rec = upload(srv.base, codes[u], f"{u}_{PERIOD.code}.xlsx", distinct(form_bytes[u], f"fair {i}"))
            assert status == 201 and rec["state"] == "checked", (status, rec)
            lat.append(dt_)
            t = time.perf_counter()
            busy.append(srv.health()["checks"]["running"])
            health.append(time.perf_counter() - t)
            stop.wait(0.2)  # units arrive now and then: the measurement spans many slow checks
    finally:
        stop.set()
        for t in threads:
            t.join(TIMEOUT)
    return {"fair_n": n, "fair_rows": rows, "fair_heavy_alone_ms": alone * 1000,
            "fair_median_ms": statistics.median(lat) * 1000, "fair_p95_ms": pct(lat, 0.95) * 1000,
            "fair_max_ms": max(lat) * 1000, "fair_healthz_p95_ms": pct(health, 0.95) * 1000,
            "fair_workers_busy_median": statistics.median(busy),
            "fair_flood_checked": counts[201], "fair_flood_refused": counts[429]}


def restart(srv: Server, data: Path, log: Path, admin: str, heavy: bytes, clients: int) -> tuple[Server, dict]:
    """Kill the server with ``clients`` slow forms of the secretariat in flight; start it again."""
    import sqlite3

    def received() -> int:
        conn = sqlite3.connect(data / "portal.sqlite3", timeout=30)
        try:
            return conn.execute("SELECT count(*) FROM submissions WHERE state='received'").fetchone()[0]
        finally:
            conn.close()

    pool = ThreadPoolExecutor(clients)
    futures = [pool.submit(upload, srv.base, admin, "heavy.xlsx", distinct(heavy, f"restart {i}"))
               for i in range(clients)]
    deadline = time.monotonic() + 120
    while received() < clients // 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    srv.kill()
    for f in futures:
        try:
            f.result(TIMEOUT)
        except (OSError, http.client.HTTPException, ValueError):
            pass
    pool.shutdown()
    interrupted = received()
    t = time.perf_counter()
    srv2 = Server(data, log)
    first = time.perf_counter() - t
    said = srv2.health()
    while srv2.health()["status"] != "ready" and time.perf_counter() - t < 600:
        time.sleep(0.1)
    return srv2, {"restart_interrupted": interrupted, "restart_first_answer_s": first,
                  "restart_first_status": said["status"], "restart_recovered_s": time.perf_counter() - t}


def prepare(work: Path, n: int) -> tuple[Path, Path, dict]:
    base = work / f"n{n}"
    inbox, roster, marker = base / "forms", base / "roster.csv", base / "generated.json"
    if not marker.exists() or json.loads(marker.read_text()).get("generator") != GENERATOR:
        shutil.rmtree(inbox, ignore_errors=True)
        base.mkdir(parents=True, exist_ok=True)
        make_roster(roster, n)
        t = time.perf_counter()
        faulty = make_inbox(inbox, roster, n)
        marker.write_text(json.dumps({"n": n, "faulty": faulty, "seconds": time.perf_counter() - t,
                                      "generator": GENERATOR}))
    return inbox, roster, json.loads(marker.read_text())


def init_desk(base: Path, roster: Path) -> tuple[Path, dict[str, str]]:
    import csv

    data, codes = base / "desk", base / "codes.csv"
    shutil.rmtree(data, ignore_errors=True)
    codes.unlink(missing_ok=True)
    proc = subprocess.run(CLI + ["portal", "init", "--data", str(data), "--roster", str(roster), "--period",
                                 PERIOD.code, "--parent", PARENT, "--codes-out", str(codes)],
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr)
    with open(codes, encoding="utf-8-sig", newline="") as fh:
        return data, {r["code"]: r["access_code"] for r in csv.DictReader(fh)}


def send_all(base: str, jobs: list[tuple[str, str, bytes]], clients: int) -> tuple[float, list]:
    """jobs: (access code, file name, bytes); returns (seconds, [(latency, status, record)])."""
    t = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        out = list(pool.map(lambda j: upload(base, *j), jobs))
    return time.perf_counter() - t, out


def timed_get(url: str, code: str | None = None, opener=None) -> tuple[float, int, bytes]:
    t = time.perf_counter()
    status, raw = call(url, code, opener=opener)
    return time.perf_counter() - t, status, raw


def run_merge(data: Path, out: Path, full: bool) -> float:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rnd = data / "rounds" / "1"
    cmd = CLI + ["merge", str(rnd / "inbox"), "--roster", str(rnd / "roster.csv"), "--period", PERIOD.code,
                 "--parent", PARENT, "--out", str(out / "tong-hop.xlsx")]
    if full:  # what the desk builds for its downloads
        cmd += ["--json", str(out / "tong-hop.json"), "--report", str(out / "bao-cao.docx")]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"merge failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall


def breakdown(data: Path, repeat: int = 5) -> dict:
    """Where the time of /desk goes, measured in this process on the same data folder."""
    from qcdc_excel.portal.checker import InlineRunner
    from qcdc_excel.portal.service import Portal
    from qcdc_excel.portal.web import create_app

    portal = Portal(data, runner=InlineRunner(), recover=False)
    out = {}
    t = time.perf_counter()
    portal.completeness()
    out["completeness_cold_ms"] = (time.perf_counter() - t) * 1000

    def med(fn) -> float:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times) * 1000

    out["completeness_cached_ms"] = med(portal.completeness)
    out["consolidation_cached_ms"] = med(portal.consolidation)
    out["state_key_ms"] = med(lambda: portal._state_key(1))
    out["others_ms"] = med(portal.others)
    out["submissions_all_ms"] = med(portal.submissions)
    app = create_app(portal, testing=True)
    with app.test_client() as client:  # signed in by a session made directly
        with client.session_transaction() as sess:
            sess.update({"who": "admin", "role": "admin", "stamp": portal.session_stamp("admin")})
        client.get("/desk")
        out["desk_in_process_ms"] = med(lambda: client.get("/desk"))
    portal.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=3321, help="communes in the round (default 3321)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/qcdc-portal-bench"))
    parser.add_argument("--latency", type=int, default=200, help="sequential uploads for the latency")
    parser.add_argument("--uploads", type=int, default=400, help="uploads for the throughput")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--desk-gets", type=int, default=7, help="timed GETs of /desk after the warm-up")
    parser.add_argument("--repeat", type=int, default=3, help="runs of consolidated.xlsx and merge (median)")
    parser.add_argument("--fair", type=int, default=60, help="normal uploads timed while one unit floods")
    parser.add_argument("--flood-rows", type=int, default=100_000, help="rows that make a flood's form slow")
    args = parser.parse_args()
    n = args.units
    args.work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    forms, roster, info = prepare(args.work, n)
    print(f"forms for {n:,} units ready ({time.perf_counter() - t:.1f} s; {info['faulty']} with a mistake)",
          flush=True)
    base_dir = args.work / f"n{n}"
    data, codes = init_desk(base_dir, roster)
    files = sorted(forms.glob("*.xlsx"))
    assert len(files) == n, (len(files), n)
    form_bytes = {p.name.split("_")[0]: p.read_bytes() for p in files}
    units = sorted(form_bytes)
    r: dict = {"units": n, "cores": os.cpu_count(), "python": sys.version.split()[0], "clients": args.clients}

    srv = Server(data, base_dir / "server.log")
    try:
        admin = codes["admin"]
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        status, _ = call(f"{srv.base}/u/{admin}", opener=opener)  # the personal link, then /desk (empty)
        assert status == 200, status

        # 1. the whole round, sent by the secretariat (one form per unit)
        secs, res = send_all(srv.base, [(admin, f"{u}_{PERIOD.code}.xlsx", form_bytes[u]) for u in units],
                             args.clients)
        bad = [x for x in res if x[1] != 201]
        assert not bad, bad[:3]
        verdicts: dict[str, int] = {}
        for _, _, rec in res:
            verdicts[rec["status"]] = verdicts.get(rec["status"], 0) + 1
        if verdicts.get("accepted", 0) < 0.9 * n:
            raise SystemExit(f"the generated forms are not what a unit sends: verdicts {verdicts}")
        r.update(round_upload_s=secs, round_upload_per_s=n / secs, round_verdicts=verdicts)
        print(f"round sent: {n:,} uploads in {secs:.1f} s ({n / secs:.0f}/s), verdicts {verdicts}", flush=True)

        # 2. the completeness page
        cold, status, page = timed_get(srv.base + "/desk", opener=opener)
        assert status == 200 and b"<table" in page, (status, page[:300])
        gets = []
        for _ in range(args.desk_gets):
            dt_, status, _ = timed_get(srv.base + "/desk", opener=opener)
            assert status == 200
            gets.append(dt_)
        r.update(desk_first_ms=cold * 1000, desk_median_ms=statistics.median(gets) * 1000,
                 desk_runs_ms=[round(x * 1000) for x in gets], desk_bytes=len(page))
        after = []  # while units are sending: every upload changes the round, so the page is rebuilt
        for i in range(args.desk_gets):
            u = units[(i * 397) % len(units)]
            status = upload(srv.base, codes[u], f"{u}_{PERIOD.code}.xlsx", distinct(form_bytes[u], f"desk {i}"))[1]
            assert status == 201
            dt_, status, _ = timed_get(srv.base + "/desk", opener=opener)
            assert status == 200
            after.append(dt_)
        r.update(desk_after_upload_median_ms=statistics.median(after) * 1000,
                 desk_after_upload_runs_ms=[round(x * 1000) for x in after])
        print(f"/desk: first {cold * 1000:.0f} ms, median {r['desk_median_ms']:.0f} ms ({len(page):,} bytes); "
              f"right after an upload: median {r['desk_after_upload_median_ms']:.0f} ms", flush=True)

        # 3. the consolidated workbook (first call builds it) vs merge on the inbox
        # interleaved runs, medians reported: on a shared machine single runs vary a lot. Later
        # "first calls" are forced by removing the desk's output stamp (the inbox is unchanged).
        firsts, fulls, xlsxs, warm = [], [], [], None
        for i in range(args.repeat):
            (data / "outputs" / "1" / "state.json").unlink(missing_ok=True)
            cold, status, raw = timed_get(srv.base + "/api/v1/consolidated.xlsx", admin)
            assert status == 200 and raw[:2] == b"PK", (status, raw[:300])
            firsts.append(cold)
            if warm is None:
                warm, status, _ = timed_get(srv.base + "/api/v1/consolidated.xlsx", admin)
            fulls.append(run_merge(data, base_dir / "merge-full", full=True))
            xlsxs.append(run_merge(data, base_dir / "merge-xlsx", full=False))
        inbox_n = sum(1 for _ in (data / "rounds" / "1" / "inbox").iterdir())
        r.update(consolidated_first_s=statistics.median(firsts), consolidated_cached_s=warm,
                 merge_same_outputs_s=statistics.median(fulls), merge_xlsx_only_s=statistics.median(xlsxs),
                 consolidated_runs_s=[round(x, 2) for x in firsts],
                 merge_same_outputs_runs_s=[round(x, 2) for x in fulls],
                 merge_xlsx_only_runs_s=[round(x, 2) for x in xlsxs], inbox_files=inbox_n)
        print(f"consolidated.xlsx: uncached {r['consolidated_runs_s']} s, cached {warm:.3f} s; merge (xlsx+json+docx) "
              f"{r['merge_same_outputs_runs_s']} s, merge (xlsx) {r['merge_xlsx_only_runs_s']} s; "
              f"inbox {inbox_n} files", flush=True)

        # where the time of /desk goes (in this process, on the same round; the server is idle)
        r["desk_breakdown_ms"] = {k: round(v, 1) for k, v in breakdown(data).items()}
        print("in-process: " + ", ".join(f"{k} {v}" for k, v in r["desk_breakdown_ms"].items()), flush=True)

        # 4. latency: one unit at a time sends its own form
        def job(i: int) -> tuple[str, str, bytes]:
            u = units[i % len(units)]
            return codes[u], f"{u}_{PERIOD.code}.xlsx", distinct(form_bytes[u], f"bench {i}")

        for i in range(5):  # warm-up
            upload(srv.base, *job(10**6 + i))
        lat = []
        for i in range(args.latency):
            dt_, status, rec = upload(srv.base, *job(i))
            assert status == 201 and rec["state"] == "checked", (status, rec)
            lat.append(dt_)
        r.update(latency_n=args.latency, latency_median_ms=statistics.median(lat) * 1000,
                 latency_p95_ms=pct(lat, 0.95) * 1000, latency_max_ms=max(lat) * 1000)
        print(f"latency: median {r['latency_median_ms']:.0f} ms, p95 {r['latency_p95_ms']:.0f} ms", flush=True)

        # 5. throughput: 16 clients
        jobs = [job(args.latency + i) for i in range(args.uploads)]
        secs, res = send_all(srv.base, jobs, args.clients)
        assert all(x[1] == 201 for x in res), [x for x in res if x[1] != 201][:3]
        lat16 = [x[0] for x in res]
        r.update(throughput_n=args.uploads, throughput_s=secs, throughput_per_s=args.uploads / secs,
                 throughput_latency_median_ms=statistics.median(lat16) * 1000,
                 throughput_latency_p95_ms=pct(lat16, 0.95) * 1000)
        print(f"throughput: {args.uploads} uploads in {secs:.1f} s = {r['throughput_per_s']:.0f}/s", flush=True)

        # 6. fairness: one unit floods with slow forms, the others send normal ones
        r.update(fairness(srv, codes, form_bytes, units, args.fair, args.clients, args.flood_rows))
        print(f"while one unit floods ({r['fair_flood_checked']} slow forms checked, {r['fair_flood_refused']} "
              f"refused with 429): another unit's verdict median {r['fair_median_ms']:.0f} ms, p95 "
              f"{r['fair_p95_ms']:.0f} ms; /healthz p95 {r['fair_healthz_p95_ms']:.0f} ms", flush=True)

        # 7. restart after a kill with slow forms in flight
        srv, got = restart(srv, data, base_dir / "server-2.log", admin,
                           heavy_copy(form_bytes[units[0]], args.flood_rows), args.clients)
        r.update(got)
        print(f"restart: {got['restart_interrupted']} checks interrupted; first answer after "
              f"{got['restart_first_answer_s']:.1f} s ({got['restart_first_status']}), all checked after "
              f"{got['restart_recovered_s']:.1f} s", flush=True)
    except BaseException:
        print(srv.died(), file=sys.stderr)
        raise
    finally:
        srv.stop()

    out = args.work / f"portal_bench_n{n}.json"
    out.write_text(json.dumps(r, indent=2, ensure_ascii=False))
    ok = lambda good: "yes" if good else "**no**"  # noqa: E731
    print(f"\nmachine: {r['cores']} cores, Python {r['python']}; {n:,} units; JSON: {out}\n")
    print("| measure | result | target | met |")
    print("|---|---|---|---|")
    print(f"| upload→verdict latency, median ({args.latency} sequential) | {r['latency_median_ms']:.0f} ms | "
          f"≤{TARGETS['latency_median_ms']} ms | {ok(r['latency_median_ms'] <= TARGETS['latency_median_ms'])} |")
    print(f"| upload→verdict latency, p95 | {r['latency_p95_ms']:.0f} ms | ≤{TARGETS['latency_p95_ms']} ms | "
          f"{ok(r['latency_p95_ms'] <= TARGETS['latency_p95_ms'])} |")
    print(f"| throughput, {args.clients} clients ({args.uploads} uploads) | {r['throughput_per_s']:.0f} uploads/s "
          f"(median {r['throughput_latency_median_ms']:.0f} ms, p95 {r['throughput_latency_p95_ms']:.0f} ms) | "
          f"≥{TARGETS['throughput_per_s']}/s | {ok(r['throughput_per_s'] >= TARGETS['throughput_per_s'])} |")
    print(f"| another unit's upload→verdict while one unit floods, p95 ({args.fair} sequential; median "
          f"{r['fair_median_ms']:.0f} ms) | {r['fair_p95_ms']:.0f} ms | ≤{TARGETS['fair_p95_ms']} ms | "
          f"{ok(r['fair_p95_ms'] <= TARGETS['fair_p95_ms'])} |")
    print(f"| /healthz while one unit floods, p95 | {r['fair_healthz_p95_ms']:.0f} ms | — | — |")
    print(f"| restart after SIGKILL ({r['restart_interrupted']} checks interrupted): first answer | "
          f"{r['restart_first_answer_s']:.1f} s ({r['restart_first_status']}) | — | — |")
    print(f"| the same: every interrupted check done | {r['restart_recovered_s']:.1f} s | — | — |")
    print(f"| whole round sent by the secretariat ({n:,} uploads, {args.clients} clients) | "
          f"{r['round_upload_s']:.1f} s ({r['round_upload_per_s']:.0f}/s) | — | — |")
    print(f"| /desk at {n:,} units, median of {args.desk_gets} | {r['desk_median_ms']:.0f} ms | "
          f"≤{TARGETS['desk_ms']} ms | {ok(r['desk_median_ms'] <= TARGETS['desk_ms'])} |")
    print(f"| /desk, first GET after the round came in | {r['desk_first_ms']:.0f} ms | — | — |")
    print(f"| /desk right after one more upload, median of {args.desk_gets} | "
          f"{r['desk_after_upload_median_ms']:.0f} ms | — | — |")
    print(f"| GET /api/v1/consolidated.xlsx, uncached, median of {args.repeat} | {r['consolidated_first_s']:.2f} s "
          f"| ≤ merge | "
          f"{ok(r['consolidated_first_s'] <= r['merge_same_outputs_s'])} |")
    print(f"| GET /api/v1/consolidated.xlsx, cached | {r['consolidated_cached_s'] * 1000:.0f} ms | — | — |")
    print(f"| qcdc-excel merge on the inbox (xlsx + json + docx, as the desk), median | "
          f"{r['merge_same_outputs_s']:.2f} s "
          f"| — | — |")
    print(f"| qcdc-excel merge on the inbox (xlsx only), median | {r['merge_xlsx_only_s']:.2f} s | — | — |")
    print("\nin-process breakdown of /desk (ms): "
          + ", ".join(f"{k} {v}" for k, v in r["desk_breakdown_ms"].items()))


if __name__ == "__main__":
    main()
