"""It stands on Windows too (issue 21 §8): the paths the code takes only on Windows are forced here on
Linux — workers started by ``spawn`` (merge's readers, the feedback writers, the desk's checkers), no
hard links, folders with spaces and Vietnamese letters, rosters with CRLF line ends — and must give
exactly what the usual paths give."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from qcdc_excel.cli import main
from qcdc_excel.feedback import FeedbackWriter
from qcdc_excel.processes import START_METHOD_ENV, context
from qcdc_excel.roster import load_roster
from qcdc_excel.validate import read_submission

from .conftest import KBANG_ROSTER, SAMPLES

INBOX = SAMPLES / "kbang-2020" / "inbox"


def tree(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def vietnamese_inbox(tmp_path):
    """The Kbang inbox under a folder with spaces and Vietnamese letters, as Windows users name them."""
    folder = tmp_path / "Văn phòng BCĐ" / "Hộp thư Quý IV năm 2020"
    shutil.copytree(INBOX, folder)
    return folder


def test_the_start_method_can_be_forced(monkeypatch):
    monkeypatch.setenv(START_METHOD_ENV, "spawn")
    assert context("fork").get_start_method() == "spawn"
    monkeypatch.setenv(START_METHOD_ENV, "no-such-method")
    assert context("fork").get_start_method() == "fork"
    monkeypatch.delenv(START_METHOD_ENV)
    assert context("forkserver").get_start_method() == "forkserver"


def _merge(inbox, out, *extra):
    r = CliRunner().invoke(main, [str(a) for a in ("merge", inbox, "--roster", KBANG_ROSTER, "--period", "2020",
                                                   "--deadline", "2020-10-25", "--out", out / "Tổng hợp.xlsx",
                                                   "--json", out / "kết quả.json", "--feedback-dir",
                                                   out / "Góp ý", *extra)])
    assert r.exit_code == 0, r.output
    return json.loads((out / "kết quả.json").read_text(encoding="utf-8"))


def test_merge_with_spawned_readers_in_vietnamese_folders_gives_the_same_result(vietnamese_inbox, tmp_path,
                                                                                monkeypatch):
    forked = _merge(vietnamese_inbox, tmp_path / "Kết quả fork", "--jobs", "1")
    monkeypatch.setenv(START_METHOD_ENV, "spawn")
    spawned = _merge(vietnamese_inbox, tmp_path / "Kết quả spawn", "--jobs", "2")
    assert spawned["totals"] == forked["totals"] and spawned["units"] == forked["units"]
    assert [f["sha256"] for f in spawned["files"]] == [f["sha256"] for f in forked["files"]]
    assert tree(tmp_path / "Kết quả spawn" / "Góp ý") == tree(tmp_path / "Kết quả fork" / "Góp ý")


def test_feedback_written_by_spawned_workers_is_byte_identical(tmp_path, monkeypatch):
    subs = [read_submission(p) for p in sorted(INBOX.rglob("*.xlsx"))]
    subs = (subs * 2)[:20]  # enough for the worker pool (it starts at 16 files)
    alone = FeedbackWriter(subs, tmp_path / "một tiến trình", workers=0).result()
    monkeypatch.setenv(START_METHOD_ENV, "spawn")
    pooled = FeedbackWriter(subs, tmp_path / "nhiều tiến trình", workers=2).result()
    assert [p.name for p in pooled] == [p.name for p in alone]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(alone, pooled))


def test_a_roster_with_crlf_line_ends_and_a_bom_reads_like_the_original(tmp_path):
    text = KBANG_ROSTER.read_text(encoding="utf-8-sig")
    crlf = tmp_path / "Danh sách đơn vị (Excel Windows).csv"
    crlf.write_bytes(b"\xef\xbb\xbf" + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))
    assert b"\r\n" in crlf.read_bytes()
    assert load_roster(crlf).units == load_roster(KBANG_ROSTER).units


def test_the_desk_copies_when_the_disk_has_no_hard_links(tmp_path, monkeypatch):
    """Some Windows shares refuse hard links: the round's inbox then holds copies, with the same bytes,
    and the consolidation is the same."""
    import datetime as dt

    from qcdc_excel.portal import service, storage
    from qcdc_excel.portal.checker import InlineRunner

    def no_links(*_a, **_k):
        raise OSError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(storage.os, "link", no_links)
    data = tmp_path / "Dữ liệu cổng"
    service.init_portal(data, KBANG_ROSTER, "2020", "625", dt.date(2020, 10, 25))
    portal = service.Portal(data, runner=InlineRunner())
    try:
        for path in sorted(INBOX.rglob("*.xlsx")):
            portal.receive(path.read_bytes(), path.name, service.ADMIN, "desk", received_on=dt.date(2020, 10, 20))
        linked = sorted(portal.inbox().iterdir())
        assert linked and all(os.stat(p).st_nlink == 1 for p in linked)
        stored = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (data / "files").rglob("*.xlsx")}
        assert {hashlib.sha256(p.read_bytes()).hexdigest() for p in linked} <= stored
        assert portal.status()["counts"]["accepted"] == 14
    finally:
        portal.close()
