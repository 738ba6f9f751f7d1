"""The web desk's library: a data folder, its rounds, access codes, submissions and reviews.

Everything the pages and the JSON API do is a method here, so tests (and scripts) call it without a
web server. The data folder::

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
import dataclasses
import datetime as dt
import hashlib
import hmac
import io
import json
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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from ..atomic import PRIVATE_FILE, PRIVATE_FOLDER, atomic_write_bytes, atomic_write_text, private_folder
from ..safe_paths import is_plain_code, path_inside, safe_component
from ..findings import finding, refusal_json
from ..i18n import QcdcError
from ..periods import VN_TIME, Period, parse_period
from ..roster import Roster, Unit, load_roster
from ..validate import SPREADSHEET_SUFFIXES, Submission
from .checker import CheckFailed, CheckPool
from .tasks import CheckTask, FeedbackTask, MergeTask

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
    character (NUL, line breaks, bidi overrides such as U+202E, which make «gpj.exe» read as
    «exe.jpg») replaced by U+FFFD, so nothing in the name is hidden or reordered."""
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


def _private_file(path: Path) -> Path:
    """A file another process wrote into the data folder (a feedback copy, ``merge``'s outputs), 0600."""
    if os.name != "nt":
        os.chmod(path, PRIVATE_FILE)
    return path


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


class Portal:
    """One data folder. Thread-safe: each thread gets its own SQLite connection."""

    def __init__(self, data: str | Path, runner=None, recover: bool = True) -> None:
        self.data = Path(data)
        if not (self.data / DB_NAME).is_file():
            raise QcdcError("portal-not-initialised", path=str(self.data))
        self._local = threading.local()
        self._rosters: dict[str, Roster] = {}
        self._cache: dict[int, tuple[tuple, object]] = {}
        self._cache_lock = threading.Lock()
        self._memo: dict[int, Submission] = {}
        self._output_lock = threading.Lock()
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

    def unit_history(self, who: str, lang: str = "vi") -> list[dict]:
        """Everything ``who`` sent, and the files of ``who`` the secretariat received for it (by Zalo
        or e-mail), every round, newest first."""
        return [self._as_json(r, lang) for r in self.db.execute(
            "SELECT * FROM submissions WHERE sender=? OR (sender=? AND unit_code=?) ORDER BY id DESC",
            (who, ADMIN, who))]

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
    def receive(self, data: bytes, original_name: str, sender: str, channel: str = "web",
                round_id: int | None = None, lang: str = "vi", received_on: dt.date | None = None) -> dict:
        """Store an upload, record it, check it; returns the submission as the API shows it.

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
        return self.submission(sid, lang)

    def receive_archive(self, data: bytes, original_name: str, sender: str, channel: str = "web",
                        round_id: int | None = None, lang: str = "vi",
                        received_on: dt.date | None = None) -> list[dict]:
        """A .zip of files received by Zalo or e-mail: the archive itself is kept, then every
        member is received as its own upload (folders and hidden files included, nothing dropped)."""
        rnd = self.round(round_id)
        sid = self._store(rnd, data, original_name, sender, channel, ".zip", received_on)
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            members = [m for m in zf.infolist() if not m.is_dir()]
        except (zipfile.BadZipFile, OSError, ValueError):
            self._refuse(sid, "upload-archive-unreadable")
            return [self.submission(sid, lang)]
        if len(members) > MAX_ARCHIVE_MEMBERS or sum(m.file_size for m in members) > MAX_ARCHIVE_BYTES:
            self._refuse(sid, "upload-archive-too-big")
            return [self.submission(sid, lang)]
        self._refuse(sid, "upload-archive-unpacked")
        out = [self.submission(sid, lang)]
        for m in members:
            label = f"{safe_name(original_name)}/{m.filename}"
            try:
                if m.file_size > MAX_UPLOAD_BYTES:
                    raise ValueError("too large")
                member = zf.read(m)
            except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError):
                msid = self._store(rnd, b"", label, sender, channel + "-zip", "", received_on)
                self._refuse(msid, "upload-archive-member-unreadable")
                out.append(self.submission(msid, lang))
                continue
            out.append(self.receive(member, m.filename, sender, channel + "-zip", rnd.id, lang, received_on)
                       | {"archive": safe_name(original_name)})
        return out

    def receive_files(self, files: Iterable[tuple[bytes, str]], sender: str, channel: str, round_id: int | None = None,
                      lang: str = "vi", received_on: dt.date | None = None) -> list[dict]:
        """Several uploads (data, name) at once; the secretariat's .zip files are unpacked
        (:meth:`receive_archive`), anything else is received as one file."""
        out: list[dict] = []
        for data, name in files:
            if sender == ADMIN and name.lower().endswith(".zip"):
                out += self.receive_archive(data, name, sender, channel, round_id, lang, received_on)
            else:
                out.append(self.receive(data, name, sender, channel, round_id, lang, received_on))
        return out

    def _store(self, rnd: Round, data: bytes, original_name: str, sender: str, channel: str,
               suffix: str, received_on: dt.date | None = None) -> int:
        folder = private_folder(self.data / "files" / str(rnd.id))
        received = now()
        suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix or "") else ".bin"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while True:
            stored = folder / f"{received:%Y%m%dT%H%M%S}-{secrets.token_hex(6)}{suffix}"
            try:
                fd = os.open(stored, flags, PRIVATE_FILE)
                break
            except FileExistsError:
                continue
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
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
        """(stored files without a record, ids of records left received): listed, nothing read."""
        known = {r[0] for r in self.db.execute("SELECT stored FROM submissions")}
        orphans = []
        files = self.data / "files"
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

    def submission(self, sid: int, lang: str = "vi") -> dict:
        return self._as_json(self._row(sid), lang)

    def _as_json(self, row, lang: str = "vi") -> dict:
        sub = self._unpickle(row) if row["state"] == "checked" else None
        findings = [f.to_json(lang) for f in sub.findings] if sub else []
        if row["state"] == "refused":
            findings = [refusal_json(row["refusal"], lang)]
        return {"id": row["id"], "round": row["round_id"], "unit_code": row["unit_code"],
                "unit_name": row["unit_name"], "period": row["period"], "status": row["status"] or "received",
                "state": row["state"], "sender": row["sender"], "file_name": display_name(row["original_name"]),
                "received_at": row["received_at"], "size": row["size"], "sha256": row["sha256"],
                "catalog_version": sub.catalog_version if sub else None, "findings": findings,
                "review": row["review"], "review_comment": row["review_comment"],
                "reviewed_by": row["reviewed_by"], "reviewed_at": row["reviewed_at"],
                **self._standing(row, lang)}

    def _standing(self, row, lang: str) -> dict:
        """Whether the record counts in the round's consolidation and, when not, why: only the
        record that counts says so; the others say «đã có bản mới hơn», «bị trả lại», «trùng với
        tệp số …», … (``counts``, ``why_not``: its code, ``why_not_text``: the words)."""
        why, params = None, {}
        if row["state"] == "received":
            why = "checking"
        elif row["state"] == "refused":
            why = "refused"
        elif row["mismatch"]:
            why, params = "other-unit", {"unit": row["unit_code"] or ""}
        elif row["review"] == "return":
            why = "returned"
        else:
            role = self._roles(row["round_id"]).get(row["id"])
            if role is None or role.role == "unreadable":
                why = "unreadable"
            elif role.role == "duplicate":
                first = self.db.execute("SELECT min(id) FROM submissions WHERE round_id=? AND sha256=? AND id<>? "
                                        "AND state='checked'", (row["round_id"], row["sha256"], row["id"])).fetchone()[0]
                why, params = "duplicate", {"first": first or "?"}
            elif role.role != "used":
                why = {"superseded": "superseded", "rejected": "rejected", "covered": "covered"}.get(role.role, "excluded")
                params = {"note": role.note[0 if lang != "en" else 1] if role.note else ""}
        if why is None:
            return {"counts": True, "why_not": None, "why_not_text": None}
        return {"counts": False, "why_not": why, "why_not_text": why_not_text(why, lang, **params)}

    def _roles(self, round_id: int) -> dict[int, object]:
        """Submission id -> its role in the round's consolidation (``consolidate.FileRole``)."""
        cons, _, ids = self.consolidation(round_id)
        key = ("roles", self._state_key(round_id))
        with self._cache_lock:
            hit = self._cache.get(("roles", round_id))
            if hit and hit[0] == key:
                return hit[1]
        roles = {ids[str(r.sub.path)]: r for r in cons.files if str(r.sub.path) in ids}
        with self._cache_lock:
            self._cache[("roles", round_id)] = (key, roles)
        return roles

    def submissions(self, round_id: int | None = None, unit: str | None = None, status: str | None = None,
                    sender: str | None = None, lang: str = "vi", ids: list[int] | None = None) -> list[dict]:
        rnd = self.round(round_id)
        sql, args = "SELECT * FROM submissions WHERE round_id=?", [rnd.id]
        if unit:  # a unit's files: what it sent, and what was sent for it (not another unit's misdirected upload)
            sql += " AND ((unit_code=? AND mismatch=0) OR sender=?)"
            args += [unit, unit]
        if sender:  # what a unit may see: its uploads, and its own files the secretariat took in
            sql += " AND (sender=? OR (sender=? AND unit_code=?))"
            args += [sender, ADMIN, sender]
        if status:
            if status in ("approve", "return"):
                sql += " AND review=?"
            else:
                sql += " AND status=?"
            args.append(status)
        sql += " ORDER BY id DESC"
        return [self._as_json(r, lang) for r in self.db.execute(sql, args)]

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

    def feedback(self, sid: int, lang: str = "vi") -> tuple[Path, str]:
        """The feedback copy of a checked submission (made once per language, in a worker)."""
        from ..feedback import feedback_name

        row = self._row(sid)
        if row["state"] != "checked":
            raise KeyError(sid)
        sub = self._unpickle(row)
        kind = lang
        if row["review"] == "return":  # the office returned it: the copy says so, never «không cần gửi lại»
            sub = dataclasses.replace(sub, status="rejected", findings=[
                finding("office-returned", comment=row["review_comment"] or ""), *sub.findings])
            kind = f"{lang}-tra-lai-{hashlib.sha256((row['reviewed_at'] or '').encode()).hexdigest()[:8]}"
        unreadable = sub.status == "unreadable"
        name = feedback_name(sub, unreadable)
        if not sub.unit_code or unreadable:
            name = f"{sid:06d}_{name}"
        folder = self.data / "feedback" / str(sid) / kind
        target = folder / name
        if not target.is_file():
            private_folder(folder)
            source = dataclasses.replace(sub, path=self.data / row["stored"])
            try:
                made = self.runner.run(FeedbackTask(source, str(folder), lang, name), key=row["sender"])
            except CheckFailed:
                from ..feedback import note_text

                made = atomic_write_text(folder / (Path(name).stem + ".txt"), "\ufeff" + note_text(source, lang),
                                         private=True)
            target = _private_file(Path(made))
        return target, self.download_name(row, sub, target.suffix)

    def download_name(self, row, sub: Submission, suffix: str) -> str:
        """The name a feedback copy is downloaded under, one per upload: ``23668_2020_lan-2_bien-nhan.xlsx``
        (the unit's code, the period, which of its uploads in the round, a receipt or a check result)."""
        who = row["sender"] if row["sender"] != ADMIN else (row["unit_code"] or "")
        nth = self.db.execute("SELECT count(*) FROM submissions WHERE round_id=? AND id<=? AND "
                              "(sender=? OR (sender=? AND unit_code=?))",
                              (row["round_id"], row["id"], who, ADMIN, who)).fetchone()[0]
        code = who if is_plain_code(who) else f"{row['id']:06d}"
        period = safe_component(self.round(row["round_id"]).period, 10)
        kind = "bien-nhan" if sub.accepted and suffix == ".xlsx" else (
            "ket-qua-kiem-tra" if suffix == ".xlsx" else "khong-doc-duoc")
        return f"{code}_{period}_lan-{nth}_{kind}{suffix}"

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

    def _state_key(self, rid: int) -> tuple:
        return tuple(self.db.execute(
            "SELECT count(*), max(id), sum(state='checked'), (SELECT max(id) FROM reviews), "
            "(SELECT count(*) FROM reviews) FROM submissions WHERE round_id=?", (rid,)).fetchone())

    def consolidation(self, round_id: int | None = None):
        """The round's consolidation from the recorded checks: what ``merge`` gives on the inbox."""
        from ..catalog import CURRENT_VERSION, load_catalog
        from ..consolidate import consolidate

        rnd = self.round(round_id)
        key = self._state_key(rnd.id)
        with self._cache_lock:
            hit = self._cache.get(rnd.id)
            if hit and hit[0] == key:
                return hit[1]
        rows = self.db.execute("SELECT id, inbox FROM submissions WHERE round_id=? AND state='checked' "
                               "AND mismatch=0 AND (review IS NULL OR review!='return') ORDER BY inbox",
                               (rnd.id,)).fetchall()
        # a check's result never changes once recorded: unpickle each only once per process
        todo = [r["id"] for r in rows if r["id"] not in self._memo]
        for start in range(0, len(todo), 500):
            chunk = todo[start:start + 500]
            for full in self.db.execute(f"SELECT * FROM submissions WHERE id IN ({','.join('?' * len(chunk))})",
                                        chunk):
                sub = self._unpickle(full)
                if sub is not None:
                    self._memo[full["id"]] = sub
        subs = [self._memo[r["id"]] for r in rows if r["id"] in self._memo]
        subs.sort(key=lambda s: str(s.path))
        cons = consolidate(subs, load_catalog(CURRENT_VERSION), self.roster(rnd), rnd.period, rnd.parent,
                           rnd.deadline)
        ids = {str(self.data / r["inbox"]): r["id"] for r in rows}
        value = (cons, subs, ids)
        with self._cache_lock:
            self._cache[rnd.id] = (key, value)
        return value

    def status(self, round_id: int | None = None, lang: str = "vi") -> dict:
        """The ``units`` object of ``merge --json`` for the round; files are named as in the round's
        inbox (``000012_name.xlsx``: the submission id first), never by a path on the server."""
        from ..merging import MergeResult
        from ..validate import ValidationReport

        cons, subs, _ = self.consolidation(round_id)
        units = MergeResult(cons, ValidationReport(subs), Path(), []).to_json(lang)["units"]
        for key in ("superseded", "duplicate", "excluded"):  # file names in the round's inbox, not server paths
            units[key] = [Path(p).name for p in units[key]]
        return units

    def completeness(self, round_id: int | None = None) -> list[dict]:
        """One row per expected unit: its state on the desk (on-time, late, returned, missing,
        approved), the submission that counts and how many files it sent."""
        rnd = self.round(round_id)
        cons, _, ids = self.consolidation(rnd.id)
        reviews = {r["id"]: r for r in self.db.execute(
            "SELECT id, review, review_comment FROM submissions WHERE round_id=?", (rnd.id,))}
        sent: dict[str, int] = {}
        returned: set[str] = set()
        last: dict[str, str] = {}
        misdirected: dict[str, set[str]] = {}  # sender -> the units whose report it sent
        for r in self.db.execute("SELECT unit_code, sender, review, received_at, mismatch FROM submissions "
                                 "WHERE round_id=?", (rnd.id,)):
            # a unit that sent another unit's report: its own activity; the other unit's row does not change
            whos = {r["sender"]} if r["mismatch"] else {r["unit_code"], r["sender"]}
            for who in whos - {None, ADMIN}:
                sent[who] = sent.get(who, 0) + 1
                last[who] = max(last.get(who, ""), r["received_at"])
            if r["mismatch"] and r["unit_code"]:
                misdirected.setdefault(r["sender"], set()).add(r["unit_code"])
            if r["review"] == "return" and r["unit_code"] and not r["mismatch"]:
                returned.add(r["unit_code"])
        out = []
        for e in cons.expected:
            sid = ids.get(str(e.used.path)) if e.used is not None else None
            state = {"on-time": "on-time", "late": "late", "rejected": "returned", "unreadable": "returned",
                     "missing": "missing"}[e.status]
            if state == "missing" and e.unit.code in returned:
                state = "returned"
            comment = None
            if sid is not None and reviews[sid]["review"] == "approve" and state in ("on-time", "late"):
                state = "approved"
            if state == "returned":
                comment = next((r["review_comment"] for r in self.db.execute(
                    "SELECT review_comment FROM submissions WHERE round_id=? AND unit_code=? AND review='return' "
                    "ORDER BY id DESC LIMIT 1", (rnd.id, e.unit.code))), None)
            out.append({"code": e.unit.code, "name": e.unit.name, "level": e.unit.level, "state": state,
                        "submission": sid, "files": sent.get(e.unit.code, 0), "last": last.get(e.unit.code),
                        "report_date": e.used.report_date.isoformat() if e.used is not None and e.used.report_date else None,
                        "comment": comment, "sent_for": sorted(misdirected.get(e.unit.code, ()))})
        return out

    def others(self, round_id: int | None = None, lang: str = "vi") -> list[dict]:
        """Files that belong to no expected unit of the round: another period, a unit outside the
        roster or the round, unreadable or refused files. Kept and listed, never dropped."""
        rnd = self.round(round_id)
        expected = {e["code"] for e in self.completeness(rnd.id)} | {rnd.parent}  # the parent's own report counts
        rows = self.db.execute("SELECT id, unit_code, status, period FROM submissions WHERE round_id=? "
                               "ORDER BY id DESC", (rnd.id,)).fetchall()
        return [self.submission(r["id"], lang) for r in rows
                if r["unit_code"] not in expected or r["status"] in ("unreadable", "refused", "archive")
                or (r["period"] and r["period"] != rnd.period)]

    def parent_own(self, round_id: int | None = None) -> dict | None:
        """The consolidating unit's own report in this round (the one that counts, else the latest)."""
        rnd = self.round(round_id)
        cons, _, ids = self.consolidation(rnd.id)
        own = next((d.sub for d in cons.details if d.is_parent_own), None)
        if own is not None and str(own.path) in ids:
            return self.submission(ids[str(own.path)])
        latest = self.submissions(rnd.id, unit=rnd.parent)
        return latest[0] if latest else None

    def outputs(self, round_id: int | None = None, lang: str = "vi") -> dict[str, Path]:
        """The consolidated workbook, the JSON report and the Word report of the round, built by
        ``merge`` from the round's recorded checks (rebuilt only when something changed): it lists
        what the database says counts, never whatever lies in the inbox folder."""
        rnd = self.round(round_id)
        folder = self.data / "outputs" / str(rnd.id)
        key = json.dumps([list(self._state_key(rnd.id)), lang])
        tag = f"{safe_component(rnd.parent, 30)}_{safe_component(rnd.period, 10)}"
        names = {"xlsx": f"tong-hop_{tag}.xlsx", "json": f"tong-hop_{tag}.json", "docx": f"bao-cao_{tag}.docx"}
        paths = {k: path_inside(folder, v) for k, v in names.items()}
        with self._output_lock:
            stamp = folder / "state.json"
            if stamp.is_file() and stamp.read_text("utf-8") == key and all(p.is_file() for p in paths.values()):
                return paths
            inbox = private_folder(self.inbox(rnd.id))
            private_folder(folder)
            _, subs, _ = self.consolidation(rnd.id)
            if not subs:
                raise QcdcError("portal-nothing-yet", period=rnd.period)
            from ..scope import Outputs, ReportSpec, Scope

            scope = Scope(self.roster(rnd), rnd.period_obj, rnd.parent, rnd.deadline)
            outputs = Outputs(paths["xlsx"], json=paths["json"], lang=lang, report=ReportSpec(paths["docx"]))
            # ``merge`` itself, run in a worker: a clean single-threaded process that may use every core
            self.runner.run(MergeTask(str(inbox), scope, outputs, subs), timeout=MERGE_TIMEOUT, key=ADMIN)
            for made in paths.values():
                _private_file(made)
            atomic_write_text(stamp, key, private=True)
        return paths

    def template(self, unit_code: str, round_id: int | None = None) -> tuple[bytes, str]:
        from ..template import Identity, Personaliser, template_filename

        rnd = self.round(round_id)
        unit = self.unit(rnd, unit_code)
        if unit is None:
            raise KeyError(unit_code)
        data = Personaliser().bytes_for(unit.level, rnd.period_obj, Identity.of(unit, self.roster(rnd)))
        return data, template_filename(unit.level, rnd.period_obj, unit.code)

    def templates_zip(self, round_id: int | None = None) -> tuple[bytes, str]:
        from ..template import Identity, Personaliser, template_filename

        rnd = self.round(round_id)
        personaliser, roster = Personaliser(), self.roster(rnd)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for unit in self.expected_units(rnd):
                zf.writestr(template_filename(unit.level, rnd.period_obj, unit.code),
                            personaliser.bytes_for(unit.level, rnd.period_obj, Identity.of(unit, roster)))
        return buf.getvalue(), f"bieu-mau_{rnd.parent}_{rnd.period}.zip"

    def board(self, round_id: int | None = None, state: str = "", query: str = "", lang: str = "vi") -> dict:
        """The desk's front page for a round: the expected units (those in ``state`` whose code or
        name matches ``query``, compared without case or diacritics), how many are in each state,
        the files that belong to no expected unit and the consolidating unit's own report."""
        rnd = self.round(round_id)
        rows = self.completeness(rnd.id)
        counts = {k: 0 for k in ("on-time", "late", "returned", "missing", "approved")}
        for r in rows:
            counts[r["state"]] += 1
        shown = [r for r in rows if (not state or r["state"] == state)
                 and (not query or fold(query) in fold(f"{r['code']} {r['name']}"))]
        # an unpacked .zip is not a stray file: its members are listed on their own
        others = [s for s in self.others(rnd.id, lang) if s["status"] != "archive"]
        return {"rows": shown, "total": len(rows), "counts": counts, "others": others,
                "own": self.parent_own(rnd.id), "parent": self.unit(rnd, rnd.parent)}

    def standing(self, rnd: Round, who: str, history: list[dict]) -> dict | None:
        """A unit's standing in the round, for the top of its page: its state on the desk (which
        says whether a report is still owed), the file that counts now and the office's latest word
        (``history``: :meth:`unit_history`)."""
        row = next((r for r in self.completeness(rnd.id) if r["code"] == who), None)
        if row is None:
            return None  # not expected in this round
        here = [s for s in history if s["round"] == rnd.id]
        counting = next((s for s in here if s["id"] == row["submission"]), None)
        word = max((s for s in here if s["review"]), key=lambda s: s["reviewed_at"] or "", default=None)
        return {"state": row["state"], "counting": counting, "word": word}

    def reissue_chased(self, round_id: int | None, wanted: set[str], base_url: str | None = None) -> list[dict]:
        """New access codes for the units still to chase that are in ``wanted``."""
        return self.reissue([r["code"] for r in self.chase(round_id) if r["code"] in wanted], base_url)

    def health(self) -> dict:
        """What ``/healthz`` says; never waits for a worker (one database read, counters taken
        under a lock held for moments)."""
        rnd = self.round()
        recovery = dict(self.recovery)
        checks = getattr(self.runner, "stats", dict)()
        return {"ok": True, "status": "recovering" if recovery.pop("running") else "ready",
                "recovery": recovery, "checks": checks, "round": rnd.id, "period": rnd.period}

    def chase(self, round_id: int | None = None) -> list[dict]:
        """Units still to chase: missing or returned, in roster order."""
        return [r for r in self.completeness(round_id) if r["state"] in ("missing", "returned")]


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
        tops = [u for u in roster.units.values() if u.parent is None]
        parent = tops[0].code if tops else None
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


# Why a record does not count in the round's consolidation (``Portal._standing``).
WHY_NOT = {
    "checking": ("đang được kiểm tra", "being checked"),
    "refused": ("tệp bị từ chối", "the file was refused"),
    "other-unit": ("là báo cáo của đơn vị khác ({unit}), không phải của đơn vị gửi",
                   "it is another unit's report ({unit}), not the sender's"),
    "returned": ("bị Văn phòng trả lại", "returned by the office"),
    "unreadable": ("không đọc được tệp", "the file cannot be read"),
    "duplicate": ("trùng với tệp số {first}", "identical to file no. {first}"),
    "superseded": ("đã có bản mới hơn", "a newer file replaced it"),
    "rejected": ("bị trả lại: có lỗi phải sửa", "rejected: it has errors to fix"),
    "covered": ("đã được tính qua báo cáo tổng hợp ({note})", "counted through a consolidated report ({note})"),
    "excluded": ("không thuộc đợt này ({note})", "not part of this round ({note})"),
}


def why_not_text(why: str, lang: str = "vi", **params: object) -> str:
    vi, en = WHY_NOT[why]
    return (en if lang == "en" else vi).format(**params)


def fold(value: str) -> str:
    """A string as search compares it: no case, no diacritics ('Đăk' and 'dak', 'Kông' and 'kong')."""
    decomposed = unicodedata.normalize("NFD", value.casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def received_time(row) -> dt.datetime:
    """When the office received a record: the day it gave for a file taken in from mail (the start
    of that day, Vietnam time), else the server's clock when the upload was stored."""
    if row["received_on"]:
        return dt.datetime.combine(dt.date.fromisoformat(row["received_on"]), dt.time(), VN_TIME)
    return dt.datetime.fromisoformat(row["received_at"])
