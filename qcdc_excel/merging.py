"""The library's two commands over many files, behind ``qcdc-excel merge`` and ``qcdc-excel validate``.

:func:`merge` validates an inbox, consolidates what counts and writes the consolidated workbook;
:func:`check` validates files. Both take a :class:`~qcdc_excel.scope.Scope` (what counts) and
:class:`~qcdc_excel.scope.Outputs` (what to write), write the feedback files and the JSON report
the same way, and return a result the CLI renders (:class:`MergeResult`, :class:`CheckResult`).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .atomic import atomic_write_text
from .catalog import CURRENT_VERSION, load_catalog
from .consolidate import Consolidation, consolidate
from .history import Series, read_history, units_json
from .history_checks import check_history
from .i18n import QcdcError
from .inbox import collect_files, set_aside_copies
from .record import Submission, ValidationReport
from .safe_paths import refuse_outputs_among_inputs
from .scope import Outputs, Scope
from .trend import trend_of_consolidation
from .validate import read_submissions


class NothingFound(QcdcError):
    """The inbox holds no spreadsheet file: nothing is written (the CLI exits with 1)."""

    def __init__(self, path: str, skipped: list[tuple[Path, str]]) -> None:
        super().__init__("nothing-found", path=path)
        self.skipped = skipped
        self.warnings: list[QcdcError] = []  # what was said before looking (check: feedback-dir-in-inbox)


@dataclass
class MergeResult:
    consolidation: Consolidation
    report: ValidationReport
    out: Path
    feedback: list[Path]
    warnings: list[QcdcError] = field(default_factory=list)  # said to the user, nothing to act on
    retired: list[Path] = field(default_factory=list)  # earlier feedback moved aside (feedback.retire_earlier)
    pdfs: list = field(default_factory=list)  # qcdc_excel.pdf.PdfResult of the workbook, when Outputs.pdf
    pdf_error: QcdcError | None = None  # why no PDF could be printed at all (no LibreOffice)

    @property
    def ok(self) -> bool:
        """No file left to act on: nothing returned for correction (another period's included) or
        unreadable, and nothing counted without being accepted (``include_rejected``).

        A rejected file that the unit has since replaced with an accepted one is superseded, not
        pending: the feedback file still tells the unit what was wrong.
        """
        return not self.consolidation.pending()

    def to_json(self, lang: str = "vi") -> dict:
        cons = self.consolidation
        data = self.report.to_json(lang)
        data["totals"] = cons.totals.as_json(cons.catalog)
        data["flag_units"] = dict(sorted(cons.totals.flag_units.items()))
        window = cons.window
        data["window"] = ({"from": window[0].isoformat(), "to": window[1].isoformat(),
                           "stated_by": sorted({d.code for d in cons.details if d.sub.window_stated})}
                          if window else None)
        counts = cons.counts()
        data["units"] = {
            "parent": cons.parent_code,
            "period": cons.period,
            "expected": [e.unit.code for e in cons.expected],
            "accepted": sorted({r.sub.unit_code for r in cons.files if r.role == "used" and r.sub.accepted}),
            "rejected": [e.unit.code for e in cons.expected if e.status == "rejected"]
            or sorted({r.sub.unit_code or "" for r in cons.files if r.role == "rejected"}),
            "superseded": [str(r.sub.path) for r in cons.files if r.role == "superseded"],
            "duplicate": [str(r.sub.path) for r in cons.files if r.role == "duplicate"],
            "excluded": [str(r.sub.path) for r in cons.files if r.role == "excluded"],
            "unreadable": [e.unit.code for e in cons.expected if e.status == "unreadable"],
            "missing": [e.unit.code for e in cons.expected if e.status == "missing"],
            "late": [e.unit.code for e in cons.expected if e.status == "late"],
            "counts": counts,
            "included": cons.totals.units,
            "unverified": cons.unverified,
        }
        data["history"] = units_json(cons.unit_rows(), cons.catalog, cons.parent_code, cons.period)
        return data


@dataclass
class CheckResult:
    """What :func:`check` found and wrote."""
    report: ValidationReport
    feedback: list[Path] = field(default_factory=list)
    retired: list[Path] = field(default_factory=list)  # earlier feedback moved aside (feedback.retire_earlier)
    warnings: list[QcdcError] = field(default_factory=list)  # said to the user, nothing to act on

    @property
    def ok(self) -> bool:
        """Every file accepted (warnings allowed)."""
        return self.report.ok

    def to_json(self, lang: str = "vi") -> dict:
        return self.report.to_json(lang)


Collected = tuple[list[Path], list[tuple[Path, str]]]
Progress = Callable[[Submission], None]


def check_inbox(inbox: str | Path) -> None:
    """Refuse an inbox that is not a folder, saying what it is."""
    inbox = Path(inbox)
    if inbox.is_file():
        raise QcdcError("inbox-not-a-folder", path=str(inbox), folder=str(inbox.parent))
    if not inbox.is_dir():
        raise QcdcError("file-not-found", path=str(inbox))


def _read(paths: list[str | Path], scope: Scope, collected: Collected | None, jobs: int | None,
          progress: Progress | None, series: Series | _Pending | None = None) -> ValidationReport:
    """Every report under ``paths``, read and checked (against ``series`` too, when given); unchanged
    feedback copies set aside. Raises :class:`NothingFound` when there is no spreadsheet file."""
    files, skipped = collected if collected is not None else collect_files(paths)
    if not files:
        _earlier(series)  # an unusable previous file is said first, as when it is read first
        raise NothingFound(", ".join(map(str, paths)), skipped)
    if isinstance(series, _Pending):  # a large inbox: read beside the reports; else first, on this process
        series = series.start() if len(files) >= _OVERLAP_FILES else series.result()
    subs = read_submissions(files, scope.roster, scope.period_code, jobs, progress)
    report = ValidationReport(*set_aside_copies(subs, skipped))
    series = _earlier(series)
    if series is not None:
        check_history(report.submissions, series, scope.roster)
    return report


_OVERLAP_FILES = 200  # from this many reports on, the earlier periods are read beside them


@dataclass
class _Pending:
    """``scope.previous`` still to read: on this process when asked (:meth:`result`), or, once
    :meth:`start` is called, on a process of its own while the worker processes read the reports (on
    a 2-core machine the reading of a national merge's four earlier periods then costs half as much)."""
    paths: tuple[Path, ...]
    process: object = None
    pipe: object = None
    series: Series | None = None

    def start(self) -> "_Pending":
        from .processes import context

        ctx = context("fork")  # started before any reading pool or thread: a clean fork
        self.pipe, sender = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_history_process, args=(self.paths, sender), daemon=True)
        self.process.start()
        sender.close()
        return self

    def result(self) -> Series:
        """The earlier periods read (once: later calls give the same series)."""
        if self.series is None:
            self.series = self._read()
        return self.series

    def _read(self) -> Series:
        if self.process is None:
            return read_history(self.paths)
        try:
            kind, *payload = self.pipe.recv()
        except EOFError:  # the process died (memory): read them here, so any error is the real one
            kind, payload = "crashed", []
        finally:
            self.process.join()
        if kind == "ok":
            return payload[0]
        if kind == "refused":
            raise QcdcError(payload[0], **payload[1])
        return read_history(self.paths)


def _history_process(paths: tuple[Path, ...], sender) -> None:
    try:
        sender.send(("ok", read_history(paths)))
    except QcdcError as exc:
        sender.send(("refused", exc.key, exc.params))
    except Exception:  # noqa: BLE001 - read again on the command's own process, which reports it
        sender.send(("crashed",))
    finally:
        sender.close()


def _history(scope: Scope, files_ahead: bool = False) -> Series | _Pending | None:
    """The earlier periods' figures (``scope.previous``); None without them. ``files_ahead``: the
    reports are still to be read from an inbox; their reading may then overlap (:class:`_Pending`)."""
    if not scope.previous:
        return None
    return _Pending(scope.previous) if files_ahead else read_history(scope.previous)


def _earlier(series: Series | _Pending | None) -> Series | None:
    return series.result() if isinstance(series, _Pending) else series


def _feedback_writer(subs: list[Submission], outputs: Outputs, workers: int, office: str | None):
    """The feedback files' writer, started (None without a feedback folder); ``office`` receives."""
    if outputs.feedback_dir is None:
        return None
    from .feedback import FeedbackWriter

    wanted = subs if outputs.feedback_for == "all" else [s for s in subs if s.findings]
    return FeedbackWriter(wanted, outputs.feedback_dir, outputs.feedback_lang, workers, office)


def _write_json(result: MergeResult | CheckResult, outputs: Outputs) -> None:
    if outputs.json is not None:
        atomic_write_text(outputs.json, json.dumps(result.to_json(outputs.lang), ensure_ascii=False, indent=2))


def check(paths: Iterable[str | Path], scope: Scope | None = None, outputs: Outputs | None = None, *,
          jobs: int | None = None, progress: Progress | None = None,
          collected: Collected | None = None) -> CheckResult:
    """Check every report file under ``paths`` (files, or folders read recursively) against
    ``scope`` (its roster and period), and write what ``outputs`` asks for: the feedback files
    (``feedback_dir``, ``feedback_for``, ``feedback_lang``) and the JSON report (``json``, in
    ``lang``) — exactly as ``qcdc-excel validate --feedback-dir --json`` does. The workbook, the
    Word report and the PDF are ``merge``'s and are not written here.

    A path that does not exist is refused (``file-not-found``), and so are outputs that would
    replace or land among the files read (``output-is-input``), before any work; unchanged feedback copies are skipped; a folder with no spreadsheet file
    raises :class:`NothingFound`. ``jobs``: worker processes for reading (and for the feedback);
    ``progress``: called with each report read; ``collected``: what ``inbox.collect_files(paths)``
    gave, when the caller already has it.
    """
    from .feedback import default_workers

    paths = list(paths)
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise QcdcError("file-not-found", path=", ".join(missing))
    scope, outputs = scope or Scope(), outputs or Outputs()
    warnings = refuse_outputs_among_inputs(paths + list(scope.previous), {"--json": outputs.json},
                                           outputs.feedback_dir)
    series = _history(scope, files_ahead=True)
    try:
        report = _read(paths, scope, collected, jobs, progress, series)
    except NothingFound as exc:
        exc.warnings = warnings
        raise
    writer = _feedback_writer(report.submissions, outputs, default_workers(jobs), scope.office)
    feedback = writer.result() if writer is not None else []
    result = CheckResult(report, feedback, writer.retired if writer is not None else [], warnings)
    _write_json(result, outputs)
    return result


def merge(inbox: str | Path, scope: Scope | None = None, outputs: Outputs | None = None, *,
          jobs: int | None = None, progress: Progress | None = None, collected: Collected | None = None,
          submissions: list[Submission] | None = None, today: dt.date | None = None) -> MergeResult:
    """Merge every report found under ``inbox`` into the consolidated workbook ``outputs.workbook``.

    ``scope`` says what counts (roster, period, parent, deadline, rejected reports too);
    ``outputs`` what is written besides the workbook: feedback files, the JSON report, the draft
    Word report, the PDF (printed through LibreOffice; a missing LibreOffice is
    :attr:`MergeResult.pdf_error`, not an exception). Outputs that would replace or land among the
    inbox's files are refused before any work (``output-is-input``); unchanged feedback copies found
    in the inbox are skipped; earlier feedback for the same units is retired.

    Keyword-only: ``jobs``, worker processes for reading (default: all cores for large inboxes; the
    results are the same as with one); ``progress``, called with each report read; ``collected``,
    what ``inbox.collect_files([inbox])`` gave, when the caller already has it; ``submissions``,
    the reports already read and recorded (the web desk's, each with the time it was received): the
    inbox is then not read and the consolidation lists exactly these; ``today``, an older name for
    ``outputs.date`` (the documents' date; default: the date the data gives, never the clock).
    """
    from .feedback import default_workers
    from .workbook_writer import write_consolidated

    inbox = Path(inbox)
    check_inbox(inbox)
    scope, outputs = scope or Scope(), outputs or Outputs()
    if outputs.workbook is None:
        raise ValueError("merge needs Outputs(workbook=...)")
    # No output may replace or land among the files being read: refused before any work.
    warnings = refuse_outputs_among_inputs([inbox, *scope.previous], outputs.named(), outputs.feedback_dir)
    series = _history(scope, files_ahead=submissions is None)
    report = (ValidationReport(list(submissions)) if submissions is not None
              else _read([inbox], scope, collected, jobs, progress, series))
    series = _earlier(series)  # read by now (beside the reports, for a large inbox)
    if submissions is not None and series is not None:
        check_history(report.submissions, series, scope.roster)
    cons = consolidate(report.submissions, load_catalog(CURRENT_VERSION), scope.roster, scope.period_code,
                       scope.parent, scope.deadline, scope.include_rejected)
    # Feedback files are written on worker processes while this one writes the consolidated workbook.
    writer = _feedback_writer(report.submissions, outputs, default_workers(jobs, busy=1), scope.office)
    trend = trend_of_consolidation(cons, series, scope.roster)
    try:
        write_consolidated(outputs.workbook, cons, report, outputs.password, outputs.date or today, base=inbox,
                           style=outputs.style, trend=trend)
    finally:
        feedback = writer.result() if writer is not None else []
    result = MergeResult(cons, report, outputs.workbook, feedback, warnings, writer.retired if writer is not None else [])
    _write_report(cons, outputs, outputs.date or today, trend)
    _write_json(result, outputs)
    if outputs.pdf:
        _print_pdf(result)
    return result


def _write_report(cons: Consolidation, outputs: Outputs, date: dt.date | None = None, trend=None) -> None:
    """The draft Word report from the same figures (and their changes, with history), when
    ``outputs.report`` asks for it."""
    spec = outputs.report
    if spec is None:
        return
    from .report import Letter, figures_from_consolidation, render_report

    render_report(figures_from_consolidation(cons, trend), spec.path, style=outputs.style,
                  letter=Letter(signer=spec.signer, signer_title=spec.title, date=date or cons.document_date,
                                recipients=spec.recipients))


def _print_pdf(result: MergeResult) -> None:
    """The consolidated workbook as a PDF beside it (``result.pdfs``, or ``result.pdf_error``)."""
    from .pdf import to_pdf

    try:
        result.pdfs = to_pdf([result.out])
    except QcdcError as exc:
        result.pdf_error = exc


__all__ = ["CheckResult", "MergeResult", "NothingFound", "check", "check_inbox", "merge"]
