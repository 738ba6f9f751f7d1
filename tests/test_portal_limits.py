"""Request bodies against a real ``qcdc-excel portal serve`` on loopback: a body the sender may not
send is refused from its headers, before it is read (raw sockets: the client sends the headers of a
400 MiB upload and a few bytes, and the answer comes without the rest), a chunked one is cut off
while it streams, and only the secretariat may send more than one form. The spooled size is
measured by ``benchmarks/portal_body_limit.py``."""
from __future__ import annotations

import json
import os
import select
import socket

import pytest
from waitress.adjustments import Adjustments

from qcdc_excel.portal.httpserver import _parser

from .test_portal_load import desk, servers  # noqa: F401 - fixtures: a data folder by ``portal init``, servers
from .test_portal_load import INBOX, multipart, upload

MiB = 1024 * 1024
ANSWER_TIMEOUT = 60  # seconds; a server that waited for the 400 MiB would never answer


def raw_post(port: int, path: str, headers: dict[str, str], body: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(head.encode("latin-1") + b"\r\n" + body)
    return sock


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the answer; the server closes the connection after it."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def test_a_large_body_is_refused_before_it_is_read(desk, servers, tmp_path):  # noqa: F811
    data, codes = desk
    srv = servers(data, tmp_path / "server.log")
    form = {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(400 * MiB)}
    for path, extra in [("/api/v1/submissions", {"Accept": "application/json"}),
                        ("/api/v1/submissions", {"Accept": "application/json", "Authorization": f"Bearer {codes['23641']}"}),
                        ("/unit/upload", {"Accept": "application/json"}),
                        ("/desk/upload", {"Accept": "application/json", "Cookie": "qcdc_session=forged.value.sig"})]:
        status, headers, body = read_answer(raw_post(srv.port, path, form | extra, b"--x\r\n"))  # 5 bytes of 400 MiB
        assert status == 413, (path, status, body[:300])
        assert headers["connection"] == "close"
        assert "Tệp quá lớn: mỗi tệp tối đa 20 MB" in json.loads(body)["message_vi"]
    # the server goes on serving
    status, _ = upload(srv.base, codes["23641"], "23641_2020.xlsx", next(INBOX.rglob("23641_2020.xlsx")).read_bytes())
    assert status == 201


def test_a_chunked_body_is_cut_off_while_it_streams(desk, servers, tmp_path):  # noqa: F811
    data, codes = desk
    srv = servers(data, tmp_path / "server.log")
    sock = raw_post(srv.port, "/api/v1/submissions", {
        "Content-Type": "multipart/form-data; boundary=x", "Transfer-Encoding": "chunked",
        "Accept": "application/json", "Authorization": f"Bearer {codes['23641']}"}, b"")
    chunk, sent, offered = b"%x\r\n" % MiB + bytes(MiB) + b"\r\n", 0, 200
    for _ in range(offered):  # 200 MiB offered; the answer comes once 20 MB have passed
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += 1
    status, _, body = read_answer(sock)
    assert status == 413 and "20 MB" in json.loads(body)["message_vi"]
    assert 20 <= sent < offered


def test_only_the_secretariat_sends_more_than_one_form(desk, servers, tmp_path):  # noqa: F811
    data, codes = desk
    srv = servers(data, tmp_path / "server.log")
    big = os.urandom(21 * MiB)
    status, got = upload(srv.base, codes["admin"], "qua-lon.xlsx", big)
    assert status == 201 and got["status"] == "refused" and got["findings"][0]["code"] == "upload-too-large"
    # kept byte for byte and listed with the reason
    stored = [p for p in (data / "files" / "1").iterdir() if p.stat().st_size == len(big)]
    assert len(stored) == 1 and stored[0].read_bytes() == big
    # a unit's is refused from its headers (a client that goes on sending finds the connection closed)
    body, ctype = multipart("file", "qua-lon.xlsx", big)
    sock = raw_post(srv.port, "/api/v1/submissions", {"Content-Type": ctype, "Content-Length": str(len(body)),
                                                      "Authorization": f"Bearer {codes['23641']}"}, body[:1000])
    status, _, answer = read_answer(sock)
    assert status == 413 and "20 MB" in json.loads(answer)["message_vi"]
    assert len([p for p in (data / "files" / "1").iterdir() if p.stat().st_size == len(big)]) == 1


def parse(limit_for, raw: bytes):
    parser = _parser(limit_for, 50)(Adjustments(max_request_body_size=10_000))
    while raw and not parser.completed:
        raw = raw[parser.received(raw):]
    return parser


def test_the_parser_asks_who_sends_a_long_body_and_hands_it_on_without_it():
    asked = []

    def limit_for(authorization: str, cookie: str) -> int:
        asked.append((authorization, cookie))
        return 100

    head = b"POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\nCookie: s=1\r\n"
    over = parse(limit_for, head + b"Content-Length: 5000\r\n\r\n" + b"x" * 20)
    assert over.completed and over.error is None and over.get_body_stream().read() == b""
    assert over.headers["CONTENT_LENGTH"] == "5000" and over.headers["CONNECTION"] == "close"
    assert asked == [("Bearer abc", "s=1")]
    within = parse(limit_for, head + b"Content-Length: 90\r\n\r\n" + b"y" * 90)
    assert within.completed and within.get_body_stream().read() == b"y" * 90
    asked.clear()
    small = parse(limit_for, head + b"Content-Length: 40\r\n\r\n" + b"z" * 40)  # under anyone's limit
    assert small.get_body_stream().read() == b"z" * 40 and asked == []
    chunked = parse(limit_for, head + b"Transfer-Encoding: chunked\r\n\r\n" + b"80\r\n" + b"c" * 128 + b"\r\n")
    assert chunked.completed and chunked.get_body_stream().read() == b""
    assert int(chunked.headers["CONTENT_LENGTH"]) > 100
    fine = parse(limit_for, head + b"Transfer-Encoding: chunked\r\n\r\n" + b"10\r\n" + b"d" * 16 + b"\r\n0\r\n\r\n")
    assert fine.completed and fine.error is None and fine.get_body_stream().read() == b"d" * 16


def test_the_parser_refuses_when_it_cannot_tell_who_sends():
    def broken(authorization: str, cookie: str) -> int:
        raise RuntimeError("database gone")

    parser = parse(broken, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n\r\n" + b"x" * 60)
    assert parser.completed and parser.get_body_stream().read() == b"" and parser.headers["CONTENT_LENGTH"] == "60"


pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_INET"), reason="needs sockets")
