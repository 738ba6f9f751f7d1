"""The desk's views of a data folder (:class:`Portal`): what the pages and the JSON API show.

:class:`~qcdc_excel.portal.storage.Storage` keeps the data folder (its schema, the stored files,
the inbox links and the recovery after a crash); :class:`Portal` adds what is read from it: the
submissions as dictionaries (never with URLs: the web layer adds them), whether each counts and
why not, the round's consolidation, completeness and outputs, feedback copies and the forms.
Everything the pages and the API do is a method here, so tests (and scripts) call it without a
web server.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ..atomic import atomic_write_text, private_folder
from ..findings import finding, refusal_json
from ..i18n import QcdcError, fold
from ..periods import Period
from ..safe_paths import is_plain_code, path_inside, safe_component
from ..validate import Submission
from .checker import CheckFailed
from .storage import (ADMIN, DB_NAME, MAX_UPLOAD_BYTES, MERGE_TIMEOUT, Round, Storage, display_name, init_portal,
                      private_file, safe_name, write_codes)
from .tasks import FeedbackTask, MergeTask
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the type only; the roster is read where it is used
    from ..roster import Office
from .texts import text

# the data folder's names that callers import from here, with the Portal
__all__ = ["ADMIN", "DB_NAME", "MAX_UPLOAD_BYTES", "Portal", "Round", "init_portal", "safe_name", "write_codes"]


def _before(earlier: Period, later: Period) -> bool:
    """Whether ``earlier`` comes before ``later`` for the checks against history: it ends first, or
    ends on the same day and starts later (a quarter of a half-year or a year)."""
    (a0, a1), (b0, b1) = earlier.window, later.window
    return a1 < b1 or (a1 == b1 and a0 > b0)


def _copy(sub: Submission) -> Submission:
    """A recorded check to add findings to, the recorded one left unchanged."""
    out = copy.copy(sub)
    out.findings = list(sub.findings)
    return out


HISTORY_CODES = ("cumulative-mismatch", "period-jump", "sibling-outlier")


class Portal(Storage):
    """The desk's views of a data folder: submissions as the pages and the API show them, the
    round's consolidation, completeness and outputs, feedback copies and forms to download."""

    def __init__(self, data: str | Path, runner=None, recover: bool = True) -> None:
        self._cache: dict[object, tuple[tuple, object]] = {}
        self._cache_lock = threading.Lock()
        self._output_lock = threading.Lock()
        super().__init__(data, runner, recover)

    # --- receiving -------------------------------------------------------------------------------
    def receive(self, data: bytes, original_name: str, sender: str, channel: str = "web",
                round_id: int | None = None, lang: str = "vi", received_on: dt.date | None = None) -> dict:
        """Store an upload, record it, check it (:meth:`Storage.accept`); the submission as the API shows it."""
        return self.submission(self.accept(data, original_name, sender, channel, round_id, received_on), lang)

    def receive_archive(self, data: bytes, original_name: str, sender: str, channel: str = "web",
                        round_id: int | None = None, lang: str = "vi",
                        received_on: dt.date | None = None) -> list[dict]:
        """A .zip of files received by Zalo or e-mail (:meth:`Storage.accept_archive`): the archive's
        record, then each member's, as the API shows them (a member also says which ``archive``)."""
        def shown(sid: int, archive: str | None) -> dict:
            return self.submission(sid, lang) | ({"archive": archive} if archive else {})

        return self.accept_archive(data, original_name, sender, channel, round_id, received_on, shown)

    def receive_files(self, files: Iterable[tuple[bytes, str]], sender: str, channel: str,
                      round_id: int | None = None, lang: str = "vi", received_on: dt.date | None = None) -> list[dict]:
        """Several uploads (data, name) at once; the secretariat's .zip files are unpacked
        (:meth:`receive_archive`), anything else is received as one file."""
        out: list[dict] = []
        for data, name in files:
            if sender == ADMIN and name.lower().endswith(".zip"):
                out += self.receive_archive(data, name, sender, channel, round_id, lang, received_on)
            else:
                out.append(self.receive(data, name, sender, channel, round_id, lang, received_on))
        return out

    def unit_history(self, who: str, lang: str = "vi") -> list[dict]:
        """Everything ``who`` sent, and the files of ``who`` the secretariat received for it (by Zalo
        or e-mail), every round, newest first."""
        return [self._as_json(r, lang) for r in self.db.execute(
            "SELECT * FROM submissions WHERE sender=? OR (sender=? AND unit_code=?) ORDER BY id DESC",
            (who, ADMIN, who))]

    def submission(self, sid: int, lang: str = "vi") -> dict:
        return self._as_json(self._row(sid), lang)

    def _as_json(self, row, lang: str = "vi") -> dict:
        sub = self.checked(row)
        findings = [f.to_json(lang) for f in sub.findings] if sub else []
        if row["state"] == "refused":
            findings = [refusal_json(row["refusal"], lang)]
        status = sub.status if sub is not None and not row["mismatch"] else row["status"]
        return {"id": row["id"], "round": row["round_id"], "unit_code": row["unit_code"],
                "unit_name": row["unit_name"], "period": row["period"], "status": status or "received",
                "state": row["state"], "sender": row["sender"], "file_name": display_name(row["original_name"]),
                "received_at": row["received_at"], "size": row["size"], "sha256": row["sha256"],
                "catalog_version": sub.catalog_version if sub else None, "findings": findings,
                "review": row["review"], "review_comment": row["review_comment"],
                "reviewed_by": row["reviewed_by"], "reviewed_at": row["reviewed_at"],
                **self._standing(row, lang)}

    def _standing(self, row, lang: str) -> dict:
        """Whether the record counts in the round's consolidation and, when not, why: only the
        record that counts says so; the others say “đã có bản mới hơn”, “bị trả lại”, “trùng với
        tệp số …”, … (``counts``, ``why_not``: its code, ``why_not_text``: the words)."""
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
        return {"counts": False, "why_not": why, "why_not_text": text(f"why-not-{why}", lang, **params)}

    def _roles(self, round_id: int) -> dict[int, object]:
        """Submission id -> its role in the round's consolidation (``consolidate.FileRole``)."""
        cons, _, ids = self.consolidation(round_id)  # cached until the round changes: so is this map
        with self._cache_lock:
            hit = self._cache.get(("roles", round_id))
        if hit and hit[0] is cons:
            return hit[1]
        roles = {ids[str(r.sub.path)]: r for r in cons.files if str(r.sub.path) in ids}
        with self._cache_lock:
            self._cache[("roles", round_id)] = (cons, roles)
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

    def feedback(self, sid: int, lang: str = "vi") -> tuple[Path, str]:
        """The feedback copy of a checked submission (made once per language, in a worker)."""
        from ..feedback import feedback_name

        row = self._row(sid)
        if row["state"] != "checked":
            raise KeyError(sid)
        sub = self.checked(row)
        kind = lang
        against = [f.message("vi") for f in sub.findings if f.code in HISTORY_CODES]
        if against:  # checked against earlier rounds, which may change: a copy per what was found
            kind = f"{lang}-ls-{hashlib.sha256(chr(10).join(against).encode()).hexdigest()[:8]}"
        if row["review"] == "return":  # the office returned it: the copy says so, never “không cần gửi lại”
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
                task = FeedbackTask(source, str(folder), lang, name, self.office(self.round(row["round_id"])))
                made = self.runner.run(task, key=row["sender"])
            except CheckFailed:
                from ..feedback import note_text

                made = atomic_write_text(folder / (Path(name).stem + ".txt"), "\ufeff" + note_text(source, lang),
                                         private=True)
            target = private_file(Path(made))
        return target, self.download_name(row, sub, target.suffix)

    def office(self, rnd) -> Office | None:
        """The office that receives the round's files, named on receipts: its consolidating unit."""
        from ..scope import Scope

        return Scope(self.roster(rnd), None, rnd.parent).office

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

    def _state_key(self, rid: int) -> tuple:
        return tuple(self.db.execute(
            "SELECT count(*), max(id), sum(state='checked'), (SELECT max(id) FROM reviews), "
            "(SELECT count(*) FROM reviews) FROM submissions WHERE round_id=?", (rid,)).fetchone())

    def consolidation(self, round_id: int | None = None):
        """The round's consolidation from the recorded checks: what ``merge`` gives on the inbox, with
        the reports checked against the earlier rounds of the same roster (:meth:`series`) as
        ``merge --previous`` checks them against earlier consolidated workbooks. The submissions it
        returns are copies carrying those findings; the recorded checks are left as they were."""
        from ..catalog import CURRENT_VERSION, load_catalog
        from ..consolidate import consolidate
        from ..history_checks import check_history

        rnd = self.round(round_id)
        series_key, series = self.series(rnd.id)
        key = (self._state_key(rnd.id), series_key)
        with self._cache_lock:
            hit = self._cache.get(rnd.id)
            if hit and hit[0] == key:
                return hit[1]
        rows, subs = self._recorded(rnd.id)
        if series:
            subs = [_copy(s) for s in subs]
            check_history(subs, series, self.roster(rnd))
        cons = consolidate(subs, load_catalog(CURRENT_VERSION), self.roster(rnd), rnd.period, rnd.parent,
                           rnd.deadline)
        ids = {str(self.data / r["inbox"]): r["id"] for r in rows}
        value = (cons, subs, ids)
        with self._cache_lock:
            self._cache[rnd.id] = (key, value)
        return value

    def _recorded(self, rid: int) -> tuple[list, list[Submission]]:
        """The round's records that may count (rows: id, inbox) and their recorded checks, by path."""
        rows = self.db.execute("SELECT id, inbox FROM submissions WHERE round_id=? AND state='checked' "
                               "AND mismatch=0 AND (review IS NULL OR review!='return') ORDER BY inbox",
                               (rid,)).fetchall()
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
        return rows, subs

    def earlier_rounds(self, round_id: int | None = None) -> list[Round]:
        """The rounds of the same roster (same consolidating unit) whose periods come before the
        round's: they end earlier, or on the same day and are shorter (the quarters of a year)."""
        rnd = self.round(round_id)
        return [r for r in self.rounds() if r.id != rnd.id and r.parent == rnd.parent
                and _before(r.period_obj, rnd.period_obj)]

    def series(self, round_id: int | None = None):
        """(a key that changes when any of them does, the ``history.Series`` of the earlier rounds:
        each unit's figures as its report that counts there gave them; None without any)."""
        from ..history import Series, periods_of

        rid = self.round(round_id).id
        earlier = self.earlier_rounds(rid)
        if not earlier:
            return (), None
        key = tuple(self.db.execute(
            f"SELECT round_id, count(*), max(id), sum(state='checked') FROM submissions WHERE round_id IN "
            f"({','.join('?' * len(earlier))}) GROUP BY round_id ORDER BY round_id", [r.id for r in earlier]))
        key = (tuple(map(tuple, key)), tuple(self.db.execute("SELECT max(id), count(*) FROM reviews").fetchone()))
        with self._cache_lock:
            hit = self._cache.get(("series", rid))
            if hit and hit[0] == key:
                return hit
        series = Series()
        for r in sorted(earlier, key=lambda r: r.period_obj):
            series.sources.append(f"round {r.id}")
            for item in periods_of(self._plain_rows(r), f"round {r.id}"):
                series.add(item)
        value = (key, series if series else None)
        with self._cache_lock:
            self._cache[("series", rid)] = value
        return value

    def _plain_rows(self, rnd: Round) -> list:
        """Each used unit's figures in a round, by its recorded checks alone (``history.UnitRow``)."""
        from ..catalog import CURRENT_VERSION, load_catalog
        from ..consolidate import consolidate

        _, subs = self._recorded(rnd.id)
        cons = consolidate(subs, load_catalog(CURRENT_VERSION), self.roster(rnd), rnd.period, rnd.parent, rnd.deadline)
        return cons.unit_rows()

    def checked(self, row) -> Submission | None:
        """A record's check as the desk shows it: with the findings against history when it is one of
        the round's reports that may count (:meth:`consolidation`), else as recorded."""
        if row["state"] != "checked":
            return None
        _, subs, ids = self.consolidation(row["round_id"])
        with self._cache_lock:
            hit = self._cache.get(("by-id", row["round_id"]))
        if not hit or hit[0] is not subs:
            hit = (subs, {ids[str(s.path)]: s for s in subs if str(s.path) in ids})
            with self._cache_lock:
                self._cache[("by-id", row["round_id"])] = hit
        return hit[1].get(row["id"]) or self._unpickle(row)

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
        key = json.dumps([list(self._state_key(rnd.id)), repr(self.series(rnd.id)[0]), lang])
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
                private_file(made)
            atomic_write_text(stamp, key, private=True)
        return paths

    def template(self, unit_code: str, round_id: int | None = None) -> tuple[bytes, str]:
        from ..template import Personaliser, template_filename

        rnd = self.round(round_id)
        unit = self.unit(rnd, unit_code)
        if unit is None:
            raise KeyError(unit_code)
        return self._form_bytes(rnd, unit, Personaliser()), template_filename(unit.level, rnd.period_obj, unit.code)

    def prefill(self, rnd: Round, unit_code: str) -> dict[str, object] | None:
        """A half-year or year round's form for ``unit_code`` prefilled with its own figures rolled up
        from the earlier rounds' quarters (what counts there); None for a quarter or with none."""
        if rnd.period_obj.kind == "Q":
            return None
        from ..catalog import CURRENT_VERSION, load_catalog
        from ..rolling import prefill_from_series

        _, series = self.series(rnd.id)
        return None if series is None else prefill_from_series(series, unit_code, rnd.period_obj,
                                                               load_catalog(CURRENT_VERSION))

    def _form_bytes(self, rnd: Round, unit, personaliser) -> bytes:
        from ..template import Identity, template_bytes

        identity = Identity.of(unit, self.roster(rnd))
        values = self.prefill(rnd, unit.code)
        if values:  # printed «Số liệu điền sẵn từ các quý — đơn vị kiểm tra, bổ sung quý còn lại»
            return template_bytes(unit.level, rnd.period_obj, identity, values=values)
        return personaliser.bytes_for(unit.level, rnd.period_obj, identity)

    def templates_zip(self, round_id: int | None = None) -> tuple[bytes, str]:
        from ..template import Personaliser, template_filename

        rnd = self.round(round_id)
        personaliser = Personaliser()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for unit in self.expected_units(rnd):
                zf.writestr(template_filename(unit.level, rnd.period_obj, unit.code),
                            self._form_bytes(rnd, unit, personaliser))
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
