"""The desk's storage: a data folder, its rounds, access codes, submissions and reviews.

:class:`Storage` makes and migrates the database, stores and checks uploads, keeps the round's
inbox links and recovers after a crash; what the pages show of it is
:class:`~qcdc_excel.portal.service.Portal`. The data folder::

    portal.sqlite3        rounds, access codes (hashes only), submissions, review history (WAL)
    secret.key            the key that signs session cookies
    files/<round>/        every upload, byte for byte, under a name this module makes; never
                          deleted or overwritten
    rounds/<round>/       the roster in force for the round, and inbox/: hard links (copies where
                          links are impossible) to the uploads that count, which is exactly what
                          ``qcdc-excel merge`` reads to build the round's consolidated workbook
    feedback/<id>/        feedback copies, made on first request
    outputs/<round>/      the consolidated workbook, JSON and Word report of the last state

An upload is written and fsynced, then recorded as *received*, then checked; a record left
*received* by a crash is checked when the portal next starts (by the web server in the background,
after it started listening: :meth:`Portal.start_recovery`).

The folder and everything in it are private to the account that runs the desk (folders 0700,
files 0600, whatever the umask); a folder made otherwise is tightened when the portal starts.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import hmac
import io
import logging
import os
import pickle
import re
import secrets
import shutil
import sqlite3
import stat
import threading
import unicodedata
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TypeVar

from ..atomic import PRIVATE_FILE, PRIVATE_FOLDER, atomic_write_bytes, private_folder
from ..findings import finding
from ..i18n import QcdcError
from ..periods import VN_TIME, Period, parse_period
from ..roster import Roster, Unit, load_roster
from ..validate import SPREADSHEET_SUFFIXES, Submission
from .checker import CheckFailed, CheckPool
from .tasks import CheckTask

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (
    id INTEGER PRIMARY KEY, period TEXT NOT NULL, parent TEXT NOT NULL, deadline TEXT,
    roster TEXT NOT NULL, opened_at TEXT NOT NULL, opened_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS access (
    who TEXT PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    issued_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, round_id INTEGER NOT NULL REFERENCES rounds(id),
    received_at TEXT NOT NULL, sender TEXT NOT NULL, channel TEXT NOT NULL,
    original_name TEXT NOT NULL, stored TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL, state TEXT NOT NULL, status TEXT, refusal TEXT,
    unit_code TEXT, unit_name TEXT, period TEXT, form TEXT, mismatch INTEGER NOT NULL DEFAULT 0,
    review TEXT, review_comment TEXT, reviewed_by TEXT, reviewed_at TEXT,
    inbox TEXT, checked_at TEXT, result BLOB, received_on TEXT);
CREATE INDEX IF NOT EXISTS submissions_round ON submissions(round_id, unit_code);
CREATE INDEX IF NOT EXISTS submissions_sender ON submissions(round_id, sender);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY, submission_id INTEGER NOT NULL REFERENCES submissions(id),
    action TEXT NOT NULL, comment TEXT, who TEXT NOT NULL, at TEXT NOT NULL);
"""
# one row per code holder whose sessions were ended (logout, "sign everyone out"); added to data
# folders made before it existed when the portal starts
SESSIONS = "CREATE TABLE IF NOT EXISTS session_epochs (who TEXT PRIMARY KEY, epoch INTEGER NOT NULL)"
SCHEMA_VERSION = "1"
DB_NAME = "portal.sqlite3"
ADMIN = "admin"
DEFAULT_PORT = 8750
DEFAULT_BASE_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 5000
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024
CHECKED = ("accepted", "accepted-with-warnings", "rejected", "unreadable")
REVIEWS = ("approve", "return", "clear")
MERGE_TIMEOUT = 3600.0  # seconds for a round's consolidated workbook (10,600 units take ~20 s)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def stamp() -> str:
    """When a code was issued, to the microsecond: a session remembers it, so a reissued code ends
    every session opened with the old one."""
    return dt.datetime.now(dt.timezone.utc).isoformat()


def hash_code(code: str) -> str:
    """Access codes are 128-bit random tokens, not passwords a person chose: a keyed lookup by their
    SHA-256 is safe (nothing to brute-force) and lets the server find the holder in one query."""
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


def new_code() -> str:
    return secrets.token_urlsafe(16)  # 128 bits, 22 characters, safe in a link


def safe_name(name: str, limit: int = 60) -> str:
    """A file name for display and for the inbox: the last path part, NFC, no control or
    reserved characters, at most ``limit`` characters before the suffix."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = PureWindowsPath(PurePosixPath(name.replace("\x00", "")).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"/\\|?*]', "_", name).strip(" .") or "tep"
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 8:
        stem, suffix = name, ""
    stem = stem[:limit].strip(" .") or "tep"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def display_name(name: str, limit: int = 300) -> str:
    """A received file's name as the pages and the API show it: NFC, with every control or format
    character (NUL, line breaks, bidi overrides such as U+202E, which make “gpj.exe” read as
    “exe.jpg”) replaced by U+FFFD, so nothing in the name is hidden or reordered."""
    name = unicodedata.normalize("NFC", str(name or ""))
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in name)[:limit]


def content_suffix(data: bytes) -> str | None:
    """What a file with no spreadsheet suffix (``...xlsx``, a name Zalo shortened) is by its
    content: ``.xlsx``, ``.ods`` or ``.xls`` when it is one of those, else None."""
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return ".xls"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" in names:
                return ".xlsx"
            if "mimetype" in names and zf.read("mimetype").strip() == b"application/vnd.oasis.opendocument.spreadsheet":
                return ".ods"
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError):
        return None
    return None


def make_private(data: Path) -> int:
    """``data`` and everything in it readable by this account only: folders 0700, files 0600
    (a data folder made by an earlier version, copied, or made under a umask of 0). Returns how
    many could not be changed (another account's files): they are left as they are, and logged."""
    if os.name == "nt":  # pragma: no cover - Windows: the folder's ACL decides
        return 0
    failed = 0

    def tighten(path, mode: int, want: int) -> None:
        nonlocal failed
        if stat.S_IMODE(mode) != want:
            try:
                os.chmod(path, want)
            except OSError:
                failed += 1

    tighten(data, os.stat(data).st_mode, PRIVATE_FOLDER)
    for root, dirs, files in os.walk(data):
        for name in dirs + files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            if not stat.S_ISLNK(st.st_mode):
                tighten(path, st.st_mode, PRIVATE_FOLDER if stat.S_ISDIR(st.st_mode) else PRIVATE_FILE)
    if failed:
        logging.getLogger("qcdc_excel.portal").warning("%d files or folders in %s could not be made private", failed, data)
    return failed


def private_file(path: Path) -> Path:
    """A file another process wrote into the data folder (a feedback copy, ``merge``'s outputs), 0600."""
    if os.name != "nt":
        os.chmod(path, PRIVATE_FILE)
    return path


PART_SUFFIX = ".part"  # an upload being written; named as stored only once whole and on disk


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Round:
    id: int
    period: str
    parent: str
    deadline: dt.date | None
    roster_path: Path
    opened_at: str
    opened_by: str

    @property
    def period_obj(self) -> Period:
        return parse_period(self.period)


class Storage:
    """One data folder: its database, stored files and inbox links, and the way back after a crash.
    Thread-safe: each thread gets its own SQLite connection."""

    def __init__(self, data: str | Path, runner=None, recover: bool = True) -> None:
        self.data = Path(data)
        if not (self.data / DB_NAME).is_file():
            raise QcdcError("portal-not-initialised", path=str(self.data))
        self._local = threading.local()
        self._rosters: dict[str, Roster] = {}
        self._memo: dict[int, Submission] = {}  # recorded checks, unpickled once per process
        self._inbox_lock = threading.Lock()
        self.recovery = {"running": False, "pending": 0, "checked": 0}  # what /healthz shows
        self.runner = runner if runner is not None else CheckPool()
        self._migrate()
        make_private(self.data)
        self.db.execute(SESSIONS)
        if recover:
            self.recover()

    # --- database -----------------------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.data)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        self.runner.close()

    def _migrate(self) -> None:
        """Bring a data folder made by an earlier version up to this schema (columns added only)."""
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(submissions)")}
        if "received_on" not in columns:
            with self.db:
                self.db.execute("ALTER TABLE submissions ADD COLUMN received_on TEXT")

    def meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    @property
    def secret_key(self) -> bytes:
        return (self.data / "secret.key").read_bytes()

    # --- rounds and rosters ---------------------------------------------------------------------
    def _round(self, row) -> Round:
        return Round(row["id"], row["period"], row["parent"],
                     dt.date.fromisoformat(row["deadline"]) if row["deadline"] else None,
                     self.data / row["roster"], row["opened_at"], row["opened_by"])

    def rounds(self) -> list[Round]:
        return [self._round(r) for r in self.db.execute("SELECT * FROM rounds ORDER BY id DESC")]

    def round(self, rid: int | None = None) -> Round:
        if rid is None:
            row = self.db.execute("SELECT * FROM rounds ORDER BY id DESC LIMIT 1").fetchone()
        else:
            row = self.db.execute("SELECT * FROM rounds WHERE id=?", (rid,)).fetchone()
        if row is None:
            raise KeyError(rid)
        return self._round(row)

    def roster(self, rnd: Round) -> Roster:
        key = str(rnd.roster_path)
        if key not in self._rosters:
            self._rosters[key] = load_roster(rnd.roster_path)
        return self._rosters[key]

    def expected_units(self, rnd: Round) -> list[Unit]:
        """Every unit below the round's parent: each has an access code and may send a form."""
        return self.roster(rnd).descendants(rnd.parent)

    def unit(self, rnd: Round, code: str) -> Unit | None:
        return self.roster(rnd).units.get(code)

    def open_round(self, period: str, deadline: dt.date | None, who: str) -> Round:
        """A new round after the current one, with the current roster and parent."""
        code = parse_period(period).code
        cur = self.round()
        if self.db.execute("SELECT 1 FROM rounds WHERE period=? AND parent=?", (code, cur.parent)).fetchone():
            raise QcdcError("portal-round-exists", period=code)
        with self.db:
            cur_id = self.db.execute(
                "INSERT INTO rounds(period, parent, deadline, roster, opened_at, opened_by) VALUES (?,?,?,?,?,?)",
                (code, cur.parent, deadline.isoformat() if deadline else None, "", now().isoformat(), who)).lastrowid
            roster_rel = _copy_roster(self.data, cur_id, cur.roster_path)
            self.db.execute("UPDATE rounds SET roster=? WHERE id=?", (roster_rel, cur_id))
        return self.round(cur_id)

    # --- access ----------------------------------------------------------------------------------
    def login(self, code: str) -> tuple[str, str] | None:
        """(role, who) for a valid access code, else None."""
        if not code or len(code) > 200:
            return None
        digest = hash_code(code)
        row = self.db.execute("SELECT who, role, hash FROM access WHERE hash=?", (digest,)).fetchone()
        if row is None or not hmac.compare_digest(row["hash"], digest):
            return None
        return row["role"], row["who"]

    def issued_at(self, who: str) -> str | None:
        row = self.db.execute("SELECT issued_at FROM access WHERE who=?", (who,)).fetchone()
        return row[0] if row else None

    def session_stamp(self, who: str) -> str | None:
        """What a session of ``who`` remembers from sign-in and must still match: it changes when
        a new code is issued and when the holder's sessions are ended (None: no such holder)."""
        row = self.db.execute("SELECT a.issued_at, e.epoch FROM access a LEFT JOIN session_epochs e "
                              "ON e.who = a.who WHERE a.who=?", (who,)).fetchone()
        return None if row is None else f"{row[0]}#{row[1] or 0}"

    def end_sessions(self, who: str | None = None) -> None:
        """Every open session of ``who`` (of every holder when None) stops working at once."""
        with self.db:
            self.db.execute("INSERT INTO session_epochs(who, epoch) SELECT who, 1 FROM access "
                            "WHERE ?1 IS NULL OR who=?1 ON CONFLICT(who) DO UPDATE SET epoch=epoch+1", (who,))

    def holder_name(self, who: str) -> str:
        row = self.db.execute("SELECT name FROM access WHERE who=?", (who,)).fetchone()
        return row[0] if row else who

    def reissue(self, codes: list[str], base_url: str | None = None) -> list[dict]:
        """New access codes for ``codes`` (units or ``admin``); the old ones stop working."""
        base = (base_url or self.meta("base_url", DEFAULT_BASE_URL)).rstrip("/")
        out = []
        with self.db:
            for who in codes:
                row = self.db.execute("SELECT name FROM access WHERE who=?", (who,)).fetchone()
                if row is None:
                    raise QcdcError("portal-unknown-unit", code=who)
                code = new_code()
                self.db.execute("UPDATE access SET hash=?, issued_at=? WHERE who=?",
                                (hash_code(code), stamp(), who))
                out.append({"code": who, "name": row[0], "access_code": code, "link": f"{base}/u/{code}"})
        return out

    # --- receiving -------------------------------------------------------------------------------
    def accept(self, data: bytes, original_name: str, sender: str, channel: str = "web",
               round_id: int | None = None, received_on: dt.date | None = None) -> int:
        """Store an upload, record it, check it (or refuse it); returns its id.

        A unit's upload is received when the server stores it (its clock, never the form's date);
        for a file the office took in from mail or Zalo, the office may give ``received_on``, the
        day it reached the office (default: now)."""
        rnd = self.round(round_id)
        name = safe_name(original_name, 120)
        suffix = Path(name).suffix.lower()
        if suffix not in SPREADSHEET_SUFFIXES and suffix != ".zip" and len(data) <= MAX_UPLOAD_BYTES:
            suffix = content_suffix(data) or suffix  # ``...xlsx``, or a name that lost its suffix
        if len(data) > MAX_UPLOAD_BYTES:
            refusal = "upload-too-large"
        elif suffix == ".zip":
            refusal = "upload-archive-for-unit" if sender != ADMIN else "upload-archive"
        elif suffix not in SPREADSHEET_SUFFIXES:
            refusal = "upload-not-spreadsheet"
        else:
            refusal = None
        # a place in the check queue before anything is stored: a refused upload (Busy) leaves nothing
        with contextlib.nullcontext() if refusal else self.runner.admit(sender) as ticket:
            sid = self._store(rnd, data, original_name, sender, channel, suffix,
                              received_on if sender == ADMIN else None)
            if refusal:
                self._refuse(sid, refusal)
            else:
                self.check(sid, ticket)
        return sid

    def accept_archive(self, data: bytes, original_name: str, sender: str, channel: str, round_id: int | None,
                       received_on: dt.date | None, each: Callable[[int, str | None], T]) -> list[T]:
        """A .zip of files received by Zalo or e-mail: the archive itself is kept, then every
        member is received as its own upload (folders and hidden files included, nothing dropped).
        ``each(id, archive)`` is called as soon as each record is made (``archive``: the .zip's
        name for a member received, else None); returns what it returned, in that order."""
        rnd = self.round(round_id)
        sid = self._store(rnd, data, original_name, sender, channel, ".zip", received_on)
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            members = [m for m in zf.infolist() if not m.is_dir()]
        except (zipfile.BadZipFile, OSError, ValueError):
            self._refuse(sid, "upload-archive-unreadable")
            return [each(sid, None)]
        if len(members) > MAX_ARCHIVE_MEMBERS or sum(m.file_size for m in members) > MAX_ARCHIVE_BYTES:
            self._refuse(sid, "upload-archive-too-big")
            return [each(sid, None)]
        self._refuse(sid, "upload-archive-unpacked")
        out = [each(sid, None)]
        for m in members:
            label = f"{safe_name(original_name)}/{m.filename}"
            try:
                if m.file_size > MAX_UPLOAD_BYTES:
                    raise ValueError("too large")
                member = zf.read(m)
            except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError):
                msid = self._store(rnd, b"", label, sender, channel + "-zip", "", received_on)
                self._refuse(msid, "upload-archive-member-unreadable")
                out.append(each(msid, None))
                continue
            msid = self.accept(member, m.filename, sender, channel + "-zip", rnd.id, received_on)
            out.append(each(msid, safe_name(original_name)))
        return out

    def _store(self, rnd: Round, data: bytes, original_name: str, sender: str, channel: str,
               suffix: str, received_on: dt.date | None = None) -> int:
        folder = private_folder(self.data / "files" / str(rnd.id))
        received = now()
        suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix or "") else ".bin"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while True:
            stored = folder / f"{received:%Y%m%dT%H%M%S}-{secrets.token_hex(6)}{suffix}"
            part = folder / f".{stored.name}{PART_SUFFIX}"  # written whole, then named: never a torn file
            if stored.exists():
                continue
            try:
                fd = os.open(part, flags, PRIVATE_FILE)
                break
            except FileExistsError:
                continue
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, stored)
        _fsync_dir(folder)
        # the name as sent (NUL aside, which SQLite text cannot hold); pages show it through display_name
        shown = unicodedata.normalize("NFC", str(original_name or "")).replace("\x00", "\ufffd")[:300]
        with self.db:
            sid = self.db.execute(
                "INSERT INTO submissions(round_id, received_at, sender, channel, original_name, stored, size, "
                "sha256, state, received_on) VALUES (?,?,?,?,?,?,?,?, 'received', ?)",
                (rnd.id, received.isoformat(), sender, channel, shown, str(stored.relative_to(self.data)),
                 len(data), hashlib.sha256(data).hexdigest(),
                 received_on.isoformat() if received_on else None)).lastrowid
        return sid

    def _refuse(self, sid: int, reason: str) -> None:
        status = "archive" if reason == "upload-archive-unpacked" else "refused"
        with self.db:
            self.db.execute("UPDATE submissions SET state='refused', status=?, refusal=?, checked_at=? "
                            "WHERE id=?", (status, reason, now().isoformat(), sid))

    def check(self, sid: int, ticket=None) -> None:
        """Check a received submission in a worker and record the verdict (and its inbox link).
        ``ticket``: its place in the check queue, taken when it arrived (else one is taken now)."""
        row = self._row(sid)
        rnd = self.round(row["round_id"])
        stored = self.data / row["stored"]
        try:
            sub = self.runner.run(CheckTask(str(stored), str(rnd.roster_path), rnd.period), key=row["sender"],
                                  ticket=ticket)
        except CheckFailed as exc:
            if exc.reason == "queued":  # the desk was busy, not the file wrong: it stays received
                self._check_later(sid)
                return
            sub = Submission(stored, sha256=row["sha256"], size=row["size"], mtime=stored.stat().st_mtime)
            code = {"timeout": "check-timeout", "memory": "check-memory"}.get(exc.reason, "check-crashed")
            sub.findings.append(finding(code, seconds=int(getattr(self.runner, "timeout", 0))))
            sub.status = "unreadable"
        mismatch = 0
        if row["sender"] != ADMIN and sub.unit_code and sub.unit_code != row["sender"]:
            mismatch = 1
            unit = self.unit(rnd, sub.unit_code)
            sub.findings.insert(0, finding("unit-mismatch", unit=sub.unit_code,
                                           name=unit.name if unit else (sub.unit_name or ""),
                                           sender=row["sender"], sender_name=self.holder_name(row["sender"])))
            sub.status = "rejected"
        inbox_rel = str(Path("rounds") / str(rnd.id) / "inbox" / f"{sid:06d}_{safe_name(row['original_name'])}")
        if Path(inbox_rel).suffix.lower() != stored.suffix.lower():
            inbox_rel += stored.suffix
        sub.path = self.data / inbox_rel
        with self.db:
            self.db.execute(
                "UPDATE submissions SET state='checked', status=?, unit_code=?, unit_name=?, period=?, form=?, "
                "mismatch=?, checked_at=?, result=?, inbox=? WHERE id=?",
                (sub.status, sub.unit_code, sub.unit_name, sub.period, sub.form, mismatch, now().isoformat(),
                 pickle.dumps(sub, protocol=pickle.HIGHEST_PROTOCOL), inbox_rel, sid))
        self._memo.pop(sid, None)
        self._sync_inbox(sid)

    def _check_later(self, sid: int) -> threading.Thread:
        """Check ``sid`` in the background, taking its turn again: a file that waited out its time in
        a busy queue is never called unreadable for it (its page says “Đã nhận, đang kiểm tra” until
        then, and a restart's recovery checks whatever is still received)."""
        def run() -> None:
            try:
                self.check(sid)
            except Exception:  # noqa: BLE001 - logged; still received, so the next start checks it
                logging.getLogger(__name__).exception("check of %s failed", sid)

        thread = threading.Thread(target=run, name=f"qcdc-check-later-{sid}", daemon=True)
        thread.start()
        return thread

    def _in_force(self, row) -> bool:
        return row["state"] == "checked" and not row["mismatch"] and row["review"] != "return"

    def _sync_inbox(self, sid: int) -> None:
        """The inbox link of ``sid`` exists exactly when the submission counts (one at a time: the
        recovery's pass may run beside a review)."""
        with self._inbox_lock:
            row = self._row(sid)
            if not row["inbox"]:
                return
            link = self.data / row["inbox"]
            if self._in_force(row):
                if not link.exists():
                    private_folder(link.parent)
                    try:
                        os.link(self.data / row["stored"], link)
                    except OSError:  # no hard links here (some Windows shares): a copy with the same time
                        shutil.copy2(self.data / row["stored"], link)
            elif link.exists():
                link.unlink()  # only the link: the stored original stays

    def recover(self) -> int:
        """After a crash: record stored files that have no record, check what was left received,
        and make the inboxes match the records. Returns how many submissions were checked."""
        return self._recover(*self._recovery_plan())

    def start_recovery(self, then=None) -> threading.Thread:
        """:meth:`recover` in a background thread (then ``then()``), while the desk already serves.

        What to recover is listed now, before any request is served: an upload that arrives later
        is recorded and checked by its own request, never taken for a crash's leftover."""
        plan = self._recovery_plan()
        self.recovery.update(running=True, pending=len(plan[0]) + len(plan[1]), checked=0)

        def run() -> None:
            try:
                self._recover(*plan)
            except Exception:  # noqa: BLE001 - logged; what is left is recovered at the next start
                logging.getLogger(__name__).exception("recovery failed")
            finally:
                self.recovery["running"] = False
            if then is not None:
                then()

        thread = threading.Thread(target=run, name="qcdc-recovery", daemon=True)
        thread.start()
        return thread

    def _recovery_plan(self) -> tuple[list[tuple[int, Path]], list[int]]:
        """(stored files without a record, ids of records left received): listed, nothing read.
        An upload cut while it was being written (a ``.part`` file: never answered, so never
        acknowledged to its sender) is moved to ``incomplete/``, kept but never taken for a report."""
        known = {r[0] for r in self.db.execute("SELECT stored FROM submissions")}
        orphans = []
        files = self.data / "files"
        self._set_aside_parts(files)
        for folder in sorted(p for p in files.iterdir() if p.is_dir()) if files.is_dir() else []:
            try:
                rid = int(folder.name)
                self.round(rid)
            except (ValueError, KeyError):
                continue
            orphans += [(rid, path) for path in sorted(folder.iterdir())
                        if str(path.relative_to(self.data)) not in known and path.is_file()]
        pending = [r["id"] for r in self.db.execute("SELECT id FROM submissions WHERE state='received' ORDER BY id")]
        return orphans, pending

    def _set_aside_parts(self, files: Path) -> None:
        parts = sorted(files.glob(f"*/.*{PART_SUFFIX}")) if files.is_dir() else []
        if not parts:
            return
        aside = private_folder(self.data / "incomplete")
        for path in parts:
            os.replace(path, aside / f"{path.parent.name}_{path.name.lstrip('.')}")

    def _recover(self, orphans: list[tuple[int, Path]], pending: list[int]) -> int:
        pending = list(pending)
        for rid, path in orphans:
            data = path.read_bytes()
            with self.db:
                pending.append(self.db.execute(
                    "INSERT INTO submissions(round_id, received_at, sender, channel, original_name, stored, "
                    "size, sha256, state) VALUES (?,?,?,?,?,?,?,?, 'received')",
                    (rid, dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).replace(
                        microsecond=0).isoformat(), ADMIN, "recovered", path.name, str(path.relative_to(self.data)),
                     len(data), hashlib.sha256(data).hexdigest())).lastrowid)

        def one(sid: int) -> None:
            suffix = Path(self._row(sid)["stored"]).suffix.lower()
            if suffix == ".zip":
                self._refuse(sid, "upload-archive")
            elif suffix not in SPREADSHEET_SUFFIXES:
                self._refuse(sid, "upload-not-spreadsheet")
            else:
                self.check(sid)  # its turn in the queue like any upload's: new uploads are not held up

        with ThreadPoolExecutor(max(1, getattr(self.runner, "size", 1)), thread_name_prefix="qcdc-recover") as pool:
            for _ in pool.map(one, pending):  # in order: counted by this thread alone
                self.recovery["checked"] += 1
        for (sid,) in self.db.execute("SELECT id FROM submissions WHERE inbox IS NOT NULL").fetchall():
            self._sync_inbox(sid)
        return len(pending)

    # --- reading back ----------------------------------------------------------------------------
    def _row(self, sid: int):
        row = self.db.execute("SELECT * FROM submissions WHERE id=?", (sid,)).fetchone()
        if row is None:
            raise KeyError(sid)
        return row

    def result(self, sid: int) -> Submission | None:
        row = self._row(sid)
        return self._unpickle(row)

    def _unpickle(self, row) -> Submission | None:
        if row["result"] is None:
            return None
        try:
            sub = pickle.loads(row["result"])
        except Exception:  # noqa: BLE001 - a record from another version: check the file again
            self.check(row["id"])
            sub = pickle.loads(self._row(row["id"])["result"])
        if row["inbox"]:
            sub.path = self.data / row["inbox"]  # wherever the data folder is now
        sub.received, sub.received_name, sub.arrival = received_time(row), row["original_name"], row["id"]
        return sub

    def owns(self, sid: int, who: str) -> bool:
        """Whether ``who`` may see submission ``sid``: the secretariat sees all; a unit what it sent
        and its own files the secretariat took in for it (never another unit's upload)."""
        try:
            row = self._row(sid)
        except KeyError:
            return False
        return who == ADMIN or row["sender"] == who or (row["sender"] == ADMIN and row["unit_code"] == who)

    def original(self, sid: int) -> tuple[Path, str]:
        row = self._row(sid)
        return self.data / row["stored"], safe_name(row["original_name"], 120)

    # --- reviews ---------------------------------------------------------------------------------
    def review(self, ids: list[int], action: str, who: str, comment: str = "") -> list[int]:
        """Approve, return (with a comment) or clear the review of several submissions at once.

        Returns the ids changed. Approval needs a submission the checks accepted; a return takes the
        file out of the round's inbox (the stored original stays); clearing puts it back.
        """
        if action not in REVIEWS:
            raise ValueError(action)
        comment = unicodedata.normalize("NFC", (comment or "").strip())[:2000]
        if action == "return" and not comment:
            raise QcdcError("portal-return-needs-comment")
        changed = []
        at = now().isoformat()
        for sid in ids:
            row = self._row(sid)
            if row["state"] != "checked":
                continue
            if action == "approve" and (row["status"] not in ("accepted", "accepted-with-warnings") or row["mismatch"]):
                continue
            state = {"approve": "approve", "return": "return", "clear": None}[action]
            with self.db:
                self.db.execute("UPDATE submissions SET review=?, review_comment=?, reviewed_by=?, reviewed_at=? "
                                "WHERE id=?", (state, comment if action == "return" else (comment or None),
                                                who if state else None, at if state else None, sid))
                self.db.execute("INSERT INTO reviews(submission_id, action, comment, who, at) VALUES (?,?,?,?,?)",
                                (sid, action, comment, who, at))
            self._sync_inbox(sid)
            changed.append(sid)
        return changed

    def review_history(self, sid: int) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT action, comment, who, at FROM reviews WHERE submission_id=? ORDER BY id", (sid,))]

    # --- the round as a whole --------------------------------------------------------------------
    def inbox(self, round_id: int | None = None) -> Path:
        return self.data / "rounds" / str(self.round(round_id).id) / "inbox"


# --- creating a data folder ---------------------------------------------------------------------------
def connect(data: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(data / DB_NAME, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    # ``with conn:`` opens and commits a transaction even in autocommit mode
    conn.isolation_level = "DEFERRED"
    return conn


def _copy_roster(data: Path, rid: int, source: Path) -> str:
    rel = Path("rounds") / str(rid) / f"roster{source.suffix.lower() or '.csv'}"
    atomic_write_bytes(data / rel, Path(source).read_bytes(), private=True)
    private_folder(data / "rounds" / str(rid) / "inbox")
    return str(rel)


def init_portal(data: str | Path, roster_path: str | Path, period: str, parent: str | None = None,
                deadline: dt.date | None = None, base_url: str = DEFAULT_BASE_URL,
                loaded: Roster | None = None) -> list[dict]:
    """Create a data folder for the round ``period`` consolidating at ``parent``.

    Returns one row per access code (the secretariat's first, code ``admin``): the only time the
    codes exist in clear. The caller writes them with :func:`write_codes`. ``loaded``: the roster
    at ``roster_path`` when the caller has already loaded it.
    """
    data = Path(data)
    roster = loaded or load_roster(roster_path)
    code = parse_period(period).code
    if parent is None:
        # the roster's top unit as ``merge`` takes it (a district's roster that names its province only
        # as the district's parent gives the district)
        tops = [u for u in roster.units.values() if u.parent is None]
        parent = roster.top() or (tops[0].code if tops else None)
    if parent not in roster:
        raise QcdcError("unit-not-in-roster", code=parent, path=roster.source)
    units = roster.descendants(parent)
    if not units:
        raise QcdcError("portal-no-units", code=parent)
    if (data / DB_NAME).exists():
        raise QcdcError("portal-exists", path=str(data))
    private_folder(data)
    if any(p.name not in (".", "..") for p in data.iterdir()):
        raise QcdcError("portal-folder-not-empty", path=str(data))
    make_private(data)  # an empty folder made beforehand
    atomic_write_bytes(data / "secret.key", secrets.token_bytes(32), private=True)
    atomic_write_bytes(data / DB_NAME, b"", private=True)  # an empty database, 0600: SQLite's -wal and -shm take its mode
    conn = connect(data)
    rows = []
    with conn:
        conn.executescript(SCHEMA + SESSIONS + ";")
        conn.execute("INSERT INTO meta VALUES ('schema', ?), ('base_url', ?)", (SCHEMA_VERSION, base_url.rstrip("/")))
        rid = conn.execute(
            "INSERT INTO rounds(period, parent, deadline, roster, opened_at, opened_by) VALUES (?,?,?,?,?,?)",
            (code, parent, deadline.isoformat() if deadline else None, "", now().isoformat(), ADMIN)).lastrowid
        conn.execute("UPDATE rounds SET roster=? WHERE id=?", (_copy_roster(data, rid, Path(roster_path)), rid))
        issued = stamp()
        base = base_url.rstrip("/")
        for who, role, name in [(ADMIN, "admin", f"Thường trực / Văn phòng BCĐ — {roster[parent].name}")] + \
                [(u.code, "unit", u.name) for u in units]:
            secret = new_code()
            conn.execute("INSERT INTO access VALUES (?,?,?,?,?)", (who, role, name, hash_code(secret), issued))
            rows.append({"code": who, "name": name, "access_code": secret, "link": f"{base}/u/{secret}"})
    conn.close()
    return rows


CODE_FIELDS = ("code", "name", "access_code", "link")


def write_codes(path: str | Path, rows: list[dict]) -> Path:
    """The access codes as .csv (header ``code,name,access_code,link``) or .xlsx (same columns,
    Vietnamese headings, ready to print or paste from), readable by this account only (0600)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(CODE_FIELDS)
        for r in rows:
            w.writerow([r[k] for k in CODE_FIELDS])
        return atomic_write_bytes(path, buf.getvalue().encode("utf-8"), private=True)
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Mã truy cập")
    head = wb.add_format({"bold": True, "font_name": "Times New Roman", "font_size": 12, "bg_color": "#DDEBF7",
                          "border": 1, "text_wrap": True, "valign": "vcenter"})
    cell = wb.add_format({"font_name": "Times New Roman", "font_size": 12, "border": 1, "valign": "vcenter"})
    mono = wb.add_format({"font_name": "Consolas", "font_size": 11, "border": 1, "valign": "vcenter"})
    ws.write_row(0, 0, ["Mã đơn vị (code)", "Tên đơn vị (name)", "Mã truy cập (access_code)",
                        "Đường link cá nhân (link)"], head)
    for i, r in enumerate(rows, start=1):
        ws.write_string(i, 0, r["code"], cell)
        ws.write_string(i, 1, r["name"], cell)
        ws.write_string(i, 2, r["access_code"], mono)
        ws.write_string(i, 3, r["link"], mono)  # text, not a hyperlink: it is copied into Zalo
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 2, 30)
    ws.set_column(3, 3, 60)
    ws.freeze_panes(1, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_header("&L&\"Times New Roman\"MẬT — mã truy cập cổng nộp báo cáo QCDC, không chuyển cho người khác")
    wb.close()
    return atomic_write_bytes(path, buf.getvalue(), private=True)


def received_time(row) -> dt.datetime:
    """When the office received a record: the day it gave for a file taken in from mail (the start
    of that day, Vietnam time), else the server's clock when the upload was stored."""
    if row["received_on"]:
        return dt.datetime.combine(dt.date.fromisoformat(row["received_on"]), dt.time(), VN_TIME)
    return dt.datetime.fromisoformat(row["received_at"])
