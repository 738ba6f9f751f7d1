"""What a request body nobody asked for costs the web desk (``qcdc-excel portal serve`` on loopback).

Against a fresh data folder (Kbang 2020) it sends, with no cookie and no code:

- the headers of a 400 MiB upload (``Content-Length: 419430400``) and then the body at full speed
  until the server answers;
- a chunked upload of up to 400 MiB, at full speed, until the server answers;

and for each measures how long the answer took (from the end of the headers), how many bytes the
client had sent by then, and, sampled every 5 ms while it runs, the largest total size of the
server's open temporary files (waitress spools a body it reads to an unlinked temporary file:
``/proc/<pid>/fd``) and of its resident memory. Linux only (``/proc``).

Usage (from the project root)::

    python benchmarks/portal_body_limit.py --work /tmp/qcdc-body-limit
"""
from __future__ import annotations

import argparse
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from qcdc_excel.cli import run; run()"]
MiB = 1024 * 1024
BODY = 400 * MiB


class Sampler(threading.Thread):
    """The peak of the server's spooled bytes (open deleted files) and resident memory."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.spool, self.rss, self.running = pid, 0, 0, True

    def run(self) -> None:
        while self.running:
            spooled = 0
            fd_dir = Path(f"/proc/{self.pid}/fd")
            for fd in list(fd_dir.iterdir()) if fd_dir.is_dir() else []:
                try:
                    if os.readlink(fd).endswith("(deleted)"):
                        spooled += os.stat(fd).st_size
                except OSError:
                    continue
            self.spool = max(self.spool, spooled)
            try:
                for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        self.rss = max(self.rss, int(line.split()[1]) * 1024)
            except OSError:
                pass
            time.sleep(0.005)


def send_until_answered(port: int, head: bytes, chunks) -> tuple[float, int, bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    sock.sendall(head)
    start, sent = time.perf_counter(), 0
    for chunk in chunks:
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(chunk)
        except OSError:
            break
        sent += len(chunk)
    answer = b""
    try:
        while b"\r\n\r\n" not in answer:
            part = sock.recv(65536)
            if not part:
                break
            answer += part
    except OSError:
        pass
    took = time.perf_counter() - start
    sock.close()
    return took, sent, answer.split(b"\r\n", 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/qcdc-body-limit")
    parser.add_argument("--port", type=int, default=8761)
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    subprocess.run(CLI + ["portal", "init", "--data", str(work / "data"), "--roster",
                          str(ROOT / "samples/rosters/kbang-2020.csv"), "--period", "2020", "--parent", "625",
                          "--codes-out", str(work / "codes.csv")], check=True, capture_output=True)
    server = subprocess.Popen(CLI + ["portal", "serve", "--data", str(work / "data"), "--port", str(args.port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        block = bytes(MiB)
        length = (f"POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Length: {BODY}\r\n"
                  "Content-Type: multipart/form-data; boundary=x\r\n\r\n").encode()
        chunked = (b"POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   b"Content-Type: multipart/form-data; boundary=x\r\n\r\n")
        cases = {"Content-Length 400 MiB": (length, [block] * (BODY // MiB)),
                 "chunked, up to 400 MiB": (chunked, [b"%x\r\n" % MiB + block + b"\r\n"] * (BODY // MiB))}
        for name, (head, chunks) in cases.items():
            sampler = Sampler(server.pid)
            sampler.start()
            took, sent, status = send_until_answered(args.port, head, chunks)
            time.sleep(0.05)
            sampler.running = False
            sampler.join()
            print(f"{name}: {status.decode()} after {took * 1000:.0f} ms, {sent / MiB:.0f} MiB sent by then; "
                  f"server spooled at most {sampler.spool / MiB:.1f} MiB, resident memory at most {sampler.rss / MiB:.0f} MiB")
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


if __name__ == "__main__":
    main()
