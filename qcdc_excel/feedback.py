"""Feedback files: the submitter's own workbook, marked up, that they can fix and send back.

The copy keeps everything the template had (protection, validation, self-checks, identity); a
first sheet "KẾT QUẢ KIỂM TRA" lists the findings with what to do, and each offending cell is
filled red (yellow for a warning) with a comment. An unreadable file gets a short text note
saying why and what to send instead.
"""
from __future__ import annotations

import collections
import functools
import io
import os
import re
import secrets
from pathlib import Path
from typing import Iterable

from .atomic import atomic_write_bytes, commit_staged, discard_staged, stage_bytes
from .feedback_live import finding_state, still_wrong, verdict_formula  # noqa: F401 (re-exported)
from .feedback_sheet import COLUMNS, FrontSheet, describe_front, received_text, returned_footer
from .feedback_zip import LIVE_NOTE, opened_transitional, patched_copy, receipt_workbook
from .fingerprint import COPY_MARK_NAME
from .form import DEFAULT_PASSWORD, FEEDBACK_SHEET
from .form_sheet import ERROR_FILL, OK_TEXT, WARNING_FILL
from .reader import open_workbook
from .record import Submission, status_label
from .safe_paths import is_plain_code, path_inside, safe_component

AUTHOR = "qcdc-excel"


def feedback_name(sub: Submission, unreadable: bool) -> str:
    """The name of the feedback of ``sub``: ``MÃ_KỲ_ket-qua-kiem-tra.xlsx`` when the unit code read
    from the file is a plain code, else named after the file (``TÊN-TỆP_ket-qua-kiem-tra.xlsx``, or
    ``TÊN-TỆP_khong-doc-duoc.txt`` for an unreadable file). Every part is reduced to a safe bounded
    name (``qcdc_excel.safe_paths``): nothing read from the file becomes a path as it is."""
    if unreadable or not is_plain_code(sub.unit_code):
        stem = safe_component(sub.path.stem, 60)
        return f"{stem}_khong-doc-duoc.txt" if unreadable else f"{stem}_ket-qua-kiem-tra.xlsx"
    return f"{sub.unit_code}_{safe_component(sub.period or 'ky', 20)}_ket-qua-kiem-tra.xlsx"


def feedback_names(subs: list[Submission], taken: Iterable[str] = ()) -> list[str]:
    """File names of the feedback for ``subs``, none clashing with another nor with ``taken``
    (the names of files being read that lie in the feedback folder: never replaced).

    When a unit sent several files for a period, each feedback name also carries the name of the
    file it answers (``23653_2020_ket-qua-kiem-tra_23653_2020-gui-lan-1.xlsx``), so none overwrites
    another and the unit can tell them apart; a number follows if that is not enough.
    """
    names = [feedback_name(sub, sub.status == "unreadable") for sub in subs]
    counts = collections.Counter(names)
    used: set[str] = {n.casefold() for n in taken}
    out = []
    for sub, name in zip(subs, names):
        stem, _, ext = name.rpartition(".")
        if counts[name] > 1 or name.casefold() in used:
            name = f"{stem}_{safe_component(sub.path.stem, 60)}.{ext}"
            n = 2
            while name.casefold() in used:
                name = f"{stem}_{safe_component(sub.path.stem, 60)}_{n}.{ext}"
                n += 1
        used.add(name.casefold())
        out.append(name)
    return out


PARALLEL_THRESHOLD = 16  # feedback files below which a worker pool costs more than it saves


class FeedbackWriter:
    """Writes the feedback files of ``subs``, on ``workers`` processes (0: in this one).

    With workers, starting it returns at once; :meth:`result` then puts this process to work on
    the files no worker has taken yet, so once ``merge`` has written the consolidated workbook
    (meanwhile, which is why it asks for one worker fewer than there are cores) every core writes
    feedback. Workers and this process take the next files from one shared counter, a few at a
    time; the paths come back in the order of ``subs`` either way.
    """

    def __init__(self, subs: list[Submission], out_dir: str | Path, lang: str = "vi", workers: int = 0,
                 office: str | None = None):
        self._pool = None
        self._out_dir = Path(out_dir)
        self._out_dir.mkdir(parents=True, exist_ok=True)
        self._subs = subs
        folder = os.path.realpath(self._out_dir)
        taken = [sub.path.name for sub in subs if os.path.realpath(sub.path.parent) == folder]
        names = feedback_names(subs, taken)
        for name in names:
            path_inside(self._out_dir, name)  # checked before any file is written
        self._tag = secrets.token_hex(3)  # this run's temporary files begin with it
        self._tasks = [(sub, self._out_dir, lang, name, self._tag, office) for sub, name in zip(subs, names)]
        self._sweep(older_than=STALE_TEMP_SECONDS)  # what a killed run left (not what a live one is staging)
        if workers > 0 and len(self._tasks) >= PARALLEL_THRESHOLD:
            from .processes import context

            ctx = context("fork")
            self._next = ctx.Value("i", 0)
            workers = min(workers, 8)
            self._pool = ctx.Pool(workers, initializer=_take_tasks, initargs=(self._tasks, self._next))
            self._pending = [self._pool.apply_async(_drain) for _ in range(workers)]
        else:
            self._done = []
            try:
                for task in self._tasks:
                    self._done.append(_write_task(task))
            except BaseException:
                discard_staged(self._done)
                raise

    def result(self) -> list[Path]:
        """The feedback files, in the order of ``subs``: every one is written (staged), then all
        are made durable at once and put in place (``atomic.commit_staged``)."""
        if self._pool is None:
            staged = self._done
        else:
            found: dict[int, tuple[Path | None, Path]] = {}
            try:
                found.update(_drain_from(self._tasks, self._next))  # this process helps until none is left
                for pending in self._pending:
                    found.update(pending.get())
            except BaseException:
                # Stop the workers where they are (no file is in place yet), then remove what they
                # and this process staged, reported or not.
                self._pool.terminate()
                self._pool.join()
                discard_staged(list(found.values()))
                self._sweep(own=True)
                raise
            self._pool.close()
            self._pool.join()
            staged = [found[k] for k in range(len(self._tasks))]
        commit_staged(staged)
        written = [target for _, target in staged]
        self.retired = retire_earlier(self._out_dir, self._subs, written)
        return written

    def _sweep(self, own: bool = False, older_than: float | None = None) -> None:
        """Remove the temporary files of this writer's targets that are left in the folder: its
        ``own`` (what a failed worker staged and could not report), or those ``older_than`` so many
        seconds (what a run that was killed left behind; another run writing the same folder at
        this moment keeps its fresh ones)."""
        import time

        targets = {t[3] for t in self._tasks} | {feedback_name(t[0], True) for t in self._tasks}
        try:
            entries = os.listdir(self._out_dir)
        except OSError:
            return
        for entry in entries:
            m = _TEMP_NAME.fullmatch(entry)
            if not m or m.group(1) not in targets or (own and not m.group(2).startswith(self._tag)):
                continue
            try:
                if older_than is not None and time.time() - os.stat(self._out_dir / entry).st_mtime < older_than:
                    continue
                (self._out_dir / entry).unlink()
            except FileNotFoundError:
                continue


_TEMP_NAME = re.compile(r"\.(.+)\.([0-9a-f]{12})\.tmp")  # atomic._create_temp's names
STALE_TEMP_SECONDS = 3600  # a staged file this old belongs to no live run
_TAKE = 4  # files taken from the counter at a time
_WORKER_TASKS: tuple = ()


def _take_tasks(tasks, counter) -> None:
    """Pool initializer: the task list (inherited, not copied, when processes fork) and the counter."""
    global _WORKER_TASKS
    _WORKER_TASKS = (tasks, counter)


def _drain() -> list[tuple[int, Path]]:
    return _drain_from(*_WORKER_TASKS)


def _drain_from(tasks, counter) -> list[tuple[int, Path]]:
    out = []
    while True:
        with counter.get_lock():
            start = counter.value
            counter.value = start + _TAKE
        if start >= len(tasks):
            return out
        out += [(k, _write_task(tasks[k])) for k in range(start, min(start + _TAKE, len(tasks)))]


def default_workers(jobs: int | None = None, busy: int = 0) -> int:
    """Worker processes for feedback: ``jobs`` if given, else the cores left when this process is
    ``busy`` (1) with other work; 0 (no pool) on a single core."""
    if jobs is not None:
        return jobs if jobs > 1 else 0
    cores = os.cpu_count() or 1
    return max(cores - busy, 1) if cores > 1 else 0


def _write_task(task) -> tuple[Path | None, Path]:
    """Stage the feedback file of one task: (temporary file, target)."""
    sub, out_dir, lang, name, tag, office = task
    target, data = feedback_content(sub, lang, name, office)
    return stage_bytes(path_inside(out_dir, target), data, tag)


def write_feedback_files(subs: list[Submission], out_dir: str | Path, lang: str = "vi",
                         jobs: int | None = None, office: str | None = None) -> list[Path]:
    """One feedback file per submission (see :func:`feedback_names` for the names); ``office``
    names the receiving office on each (``feedback_sheet.describe_front``)."""
    return FeedbackWriter(subs, out_dir, lang, default_workers(jobs), office).result()


def feedback_content(sub: Submission, lang: str = "vi", name: str | None = None,
                     office: str | None = None) -> tuple[str, bytes]:
    """(file name, bytes) of the feedback of ``sub``: its marked copy, or a text note when the
    file is unreadable or cannot be rebuilt (``name`` is then replaced by the note's name)."""
    if sub.status != "unreadable":
        try:
            return name or feedback_name(sub, False), marked_copy(sub, lang, office=office)
        except Exception:  # noqa: BLE001 - the file could not be rebuilt: fall back to a note
            name = None
    target = name if name and name.endswith(".txt") else feedback_name(sub, True)
    return target, ("\ufeff" + note_text(sub, lang)).encode("utf-8")


def write_feedback(sub: Submission, out_dir: str | Path, lang: str = "vi", name: str | None = None,
                   office: str | None = None) -> Path:
    """Write the feedback file of ``sub`` into ``out_dir`` and return its path."""
    target, data = feedback_content(sub, lang, name, office)
    return atomic_write_bytes(path_inside(out_dir, target), data)


RETIRED_FOLDER = "da-thay-{:%Y%m%d-%H%M%S}"  # where feedback an earlier run made for the same units goes


def retire_earlier(out_dir: str | Path, subs: list[Submission], written: list[Path]) -> list[Path]:
    """Move out of ``out_dir`` the feedback files an earlier run made for the units and periods (or
    the files) of ``subs`` that this run did not write again, into a dated subfolder, so that the
    folder says only what this run decided. Only files this tool made are moved (a feedback
    workbook with its findings sheet, or a note with its heading); nothing else is touched.
    Returns where the moved files now are."""
    import datetime as dt

    out_dir = Path(out_dir)
    keep = {p.name for p in written}
    stems = set()
    for sub in subs:
        stems.add(feedback_name(sub, False).rpartition(".")[0])
        stems.add(feedback_name(sub, True).rpartition(".")[0])
    try:
        entries = sorted(os.listdir(out_dir))
    except OSError:
        return []
    moved = []
    folder = None
    for entry in entries:
        base, dot, ext = entry.rpartition(".")
        if entry in keep or ext.lower() not in ("xlsx", "txt") or not dot:
            continue
        if not any(base == stem or base.startswith(stem + "_") for stem in stems):
            continue
        path = out_dir / entry
        if not path.is_file() or path.is_symlink() or not _made_by_us(path):
            continue
        if folder is None:
            folder = out_dir / RETIRED_FOLDER.format(dt.datetime.now())
            folder.mkdir(exist_ok=True)
        try:
            os.replace(path, folder / entry)
        except FileNotFoundError:  # another run over the same folder moved it first
            continue
        moved.append(folder / entry)
    return moved


_NOTE_HEADS = ("\ufeffKẾT QUẢ KIỂM TRA TỆP BÁO CÁO\r\n".encode(), "\ufeffFILE CHECK RESULT\r\n".encode())


def _made_by_us(path: Path) -> bool:
    """A feedback workbook (its first sheet is the findings sheet) or a note this tool wrote."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
            if path.suffix.lower() == ".txt":
                return head.startswith(_NOTE_HEADS)
            fh.seek(0)
            raw = open_workbook(fh.read())
        return bool(raw.sheets) and raw.sheets[0].name == FEEDBACK_SHEET
    except Exception:  # noqa: BLE001 - not a workbook we can read: not ours
        return False


def note_text(sub: Submission, lang: str = "vi") -> str:
    vi = lang != "en"
    lines = [
        "KẾT QUẢ KIỂM TRA TỆP BÁO CÁO" if vi else "FILE CHECK RESULT",
        "",
        f"{'Tệp' if vi else 'File'}: {received_text(sub, lang)}",
        f"SHA-256: {sub.sha256 or '-'}",
        f"{'Kết quả' if vi else 'Result'}: {status_label(sub.status, 'vi' if vi else 'en', 'front')}",
        "",
    ]
    lines += [f"- {f.message(lang)}" for f in sub.findings]
    lines += ["", ("Việc cần làm: mở biểu mẫu Excel (.xlsx) đã được gửi cho đơn vị, điền số liệu vào các ô "
                   "màu vàng, lưu dạng .xlsx (không đặt mật khẩu, không đổi định dạng) rồi gửi lại tệp đó.")
              if vi else ("What to do: open the .xlsx template you were sent, fill the yellow cells, save as "
                          ".xlsx (no password, no other format) and send that file again.")]
    return "\r\n".join(lines) + "\r\n"


@functools.lru_cache(maxsize=None)
def _password_hash(password: str) -> str:
    from openpyxl.workbook.protection import hash_password

    return hash_password(password)


def marked_copy(sub: Submission, lang: str = "vi", data: bytes | None = None, office: str | None = None) -> bytes:
    """The feedback of ``sub``, with ``office`` named as who received it. An accepted file (no
    finding) gets its receipt, a one-page workbook of its own (``feedback_zip.receipt_workbook``).
    Any other gets the unit's workbook with the findings marked and the front sheet
    (``feedback_sheet``) in front: by editing its package when it is laid out as expected
    (~1.2 ms), otherwise through openpyxl (~40 ms)."""
    front = describe_front(sub, lang, office)
    if sub.status == "accepted":  # nothing to mark: a one-page receipt of its own
        return receipt_workbook(front, sub.copy_mark, _password_hash(DEFAULT_PASSWORD))
    data, raw = opened_transitional(sub.path.read_bytes() if data is None else data)
    patched = patched_copy(sub, data, front, lambda: _password_hash(DEFAULT_PASSWORD), raw=raw)
    return patched if patched is not None else _openpyxl_copy(sub, front, data)


def _openpyxl_copy(sub: Submission, front: FrontSheet, data: bytes) -> bytes:
    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.load_workbook(io.BytesIO(data))
    if set(wb.sheetnames) != {s.name for s in open_workbook(data).sheets}:
        # openpyxl did not see what the reader saw: a copy would lose the unit's sheets.
        raise ValueError("openpyxl could not load every sheet")
    if front.name in wb.sheetnames:
        del wb[front.name]
    _mark_cells(wb, sub, front.lang)
    if not sub.accepted:  # every page of a copy to fix says it is no valid report
        for ws in wb.worksheets:
            if ws.sheet_state == "visible" and not ws.oddFooter.left.text:
                ws.oddFooter.left.text = returned_footer(front.lang == "en")
    _draw_front(wb.create_sheet(front.name, 0), front)
    wb.defined_names[COPY_MARK_NAME] = DefinedName(COPY_MARK_NAME, attr_text=f'"{sub.copy_mark}"', hidden=True)
    wb.active = 0
    for sheet in wb.worksheets[1:]:
        sheet.sheet_view.tabSelected = False
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _mark_cells(wb, sub: Submission, lang: str) -> None:
    """Mark offending cells on their sheet, one comment per cell listing every finding there: a
    fixed fill for what typing cannot fix, a conditional format for the rest."""
    from openpyxl.cell.cell import MergedCell
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import PatternFill

    red, yellow = PatternFill("solid", fgColor=ERROR_FILL), PatternFill("solid", fgColor=WARNING_FILL)
    by_cell: dict[tuple[str, str], list] = {}
    for f in sub.findings:
        if f.sheet in wb.sheetnames and f.cell:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    for (sheet, ref), found in by_cell.items():
        cell = wb[sheet][ref]
        if isinstance(cell, MergedCell):
            continue
        conds = [(f, still_wrong(f, sub)) for f in found]
        fixed = [f for f, c in conds if c is None]
        if fixed:  # typing cannot clear these: a fixed fill
            cell.fill = red if any(f.severity == "error" for f in fixed) else yellow
        for severity, fill in (("error", red), ("warning", yellow)):
            live = [c for f, c in conds if c is not None and f.severity == severity]
            if live:  # the mark shows while the cell is still wrong
                wb[sheet].conditional_formatting.add(
                    ref, FormulaRule(formula=[live[0] if len(live) == 1 else f"OR({','.join(live)})"], fill=fill))
        text = "\n".join(f"[{f.severity_label(lang)}] {f.message(lang)}" for f in found)
        if len(fixed) < len(found):
            text += "\n" + LIVE_NOTE[lang]
        cell.comment = Comment(text, AUTHOR, width=360, height=140)


def _draw_front(ws, front: FrontSheet) -> None:
    """Draw the description ``front`` on the empty worksheet ``ws``."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.worksheet.hyperlink import Hyperlink
    from openpyxl.worksheet.page import PageMargins

    side = Side(style="thin", color="FF" + front.grid)
    grid = Border(left=side, right=side, top=side, bottom=side)
    looks = {role: (Font(name=front.font, size=st.size, bold=st.bold, italic=st.italic,
                         color="FF" + st.color if st.color else None),
                    Alignment(horizontal=st.halign, vertical=st.valign, wrap_text=st.wrap or None),
                    grid if st.border else Border())
             for role, st in front.styles.items()}
    for spec in front.cells:
        if spec.merge_to:  # merged first: the range takes no lines from its first cell (as in the package path)
            ws.merge_cells(f"{spec.ref}:{spec.merge_to}")
        c = ws[spec.ref]
        if spec.value is None:  # only the lines of a merged box
            c.border = looks[spec.style][2]
            continue
        c.value = spec.value
        if isinstance(spec.value, str):
            c.data_type = "s"  # submitter text is text, never a formula
        if spec.formula is not None:
            c.value = "=" + spec.formula  # live: follows the unit's fixes
        c.font, c.alignment, c.border = looks[spec.style]
        if spec.link:
            c.hyperlink = Hyperlink(ref=spec.ref, location=spec.link, display=str(spec.value))
    done = Font(bold=True, color="FF" + OK_TEXT)  # look "ok", the only one: the verdict, green once all is fixed
    for cf in front.cond_formats:
        ws.conditional_formatting.add(cf.ref, FormulaRule(formula=[cf.formula], font=done))
    for col, width in zip(COLUMNS, front.widths):
        ws.column_dimensions[col].width = width
    for row, height in front.heights.items():
        ws.row_dimensions[row].height = height
    ws.print_title_rows = f"{front.repeat_row}:{front.repeat_row}"
    ws.print_area = front.print_area
    for side, text in front.footer.items():
        getattr(ws.oddFooter, side).text = text
    ws.page_setup.orientation = "landscape" if front.landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(**front.margins)
    if front.protected:
        ws.protection.sheet = ws.protection.objects = ws.protection.scenarios = True
        ws.protection.password = DEFAULT_PASSWORD
