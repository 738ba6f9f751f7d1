"""``merge``: validate an inbox, consolidate what counts, write the consolidated workbook.

The library call behind ``qcdc-excel merge``; returns a :class:`MergeResult` the CLI renders.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .atomic import atomic_write_text
from .catalog import CURRENT_VERSION, load_catalog
from .consolidate import Consolidation, consolidate
from .i18n import QcdcError
from .periods import parse_period
from .roster import Roster
from .template import DEFAULT_PASSWORD
from .safe_paths import refuse_outputs_among_inputs
from .validate import Submission, ValidationReport, collect_files, read_submissions, set_aside_copies


class NothingFound(QcdcError):
    """The inbox holds no spreadsheet file: nothing is written (the CLI exits with 1)."""

    def __init__(self, path: str, skipped: list[tuple[Path, str]]) -> None:
        super().__init__("nothing-found", path=path)
        self.skipped = skipped


@dataclass
class MergeResult:
    consolidation: Consolidation
    report: ValidationReport
    out: Path
    feedback: list[Path]
    warnings: list[QcdcError] = field(default_factory=list)  # said to the user, nothing to act on
    retired: list[Path] = field(default_factory=list)  # earlier feedback moved aside (feedback.retire_earlier)

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
        return data


def check_inbox(inbox: str | Path) -> None:
    """Refuse an inbox that is not a folder, saying what it is."""
    inbox = Path(inbox)
    if inbox.is_file():
        raise QcdcError("inbox-not-a-folder", path=str(inbox), folder=str(inbox.parent))
    if not inbox.is_dir():
        raise QcdcError("file-not-found", path=str(inbox))


def merge(inbox: str | Path, out: str | Path, roster: Roster | None = None, period: str | None = None,
          parent: str | None = None, feedback_dir: str | Path | None = None, json_path: str | Path | None = None,
          deadline: dt.date | None = None, include_rejected: bool = False, lang: str = "vi",
          password: str = DEFAULT_PASSWORD, progress: Callable[[Submission], None] | None = None,
          today: dt.date | None = None, jobs: int | None = None, feedback_for: str = "all",
          collected: tuple[list[Path], list[tuple[Path, str]]] | None = None,
          report_path: str | Path | None = None, report_style: str = "nd30",
          report_signer: str | None = None, with_pdf: bool = False,
          submissions: list[Submission] | None = None, feedback_lang: str = "vi") -> MergeResult:
    """Merge every submission found under ``inbox`` into the consolidated workbook ``out``.

    ``jobs``: worker processes for reading (default: all cores for large inboxes; the results are
    the same as with one). ``feedback_for``: "all" files, or only those with "problems".
    ``collected``: what ``collect_files([inbox])`` gave, when the caller already has it.
    ``report_path``: also write the draft Word report (``qcdc_excel.report``) from the same figures.
    ``with_pdf``: the caller will print ``out`` as a PDF beside it (checked with the other outputs).
    ``submissions``: the reports already read and recorded (the web desk's, each with the time it
    was received); the inbox is then not read: the consolidation lists exactly these.
    Outputs that would replace or land among the inbox's files are refused before any work
    (``output-is-input``); unchanged feedback copies found in the inbox are skipped.
    ``lang`` is the office's (the JSON report); ``feedback_lang`` the units' (the feedback files).
    """
    from .feedback import FeedbackWriter, default_workers
    from .workbook_writer import write_consolidated

    inbox = Path(inbox)
    check_inbox(inbox)
    if period is not None:
        period = parse_period(period).code
    if parent is not None and roster is None:
        raise QcdcError("merge-parent-needs-roster", code=parent)
    out = Path(out)
    # No output may replace or land among the files being read: refused before any work.
    warnings = refuse_outputs_among_inputs([inbox], {"--out": out, "--json": json_path, "--report": report_path,
                                                     "--pdf": out.with_suffix(".pdf") if with_pdf else None},
                                           feedback_dir)
    if submissions is not None:
        subs, skipped = list(submissions), []
    else:
        files, skipped = collected if collected is not None else collect_files([inbox])
        if not files:
            raise NothingFound(str(inbox), skipped)
        subs, skipped = set_aside_copies(read_submissions(files, roster, period, jobs, progress), skipped)
    report = ValidationReport(subs, skipped)
    cons = consolidate(subs, load_catalog(CURRENT_VERSION), roster, period, parent, deadline, include_rejected)
    wanted = subs if feedback_for == "all" else [s for s in subs if s.findings]
    # Feedback files are written on worker processes while this one writes the consolidated workbook.
    writer = (FeedbackWriter(wanted, feedback_dir, feedback_lang, default_workers(jobs, busy=1))
              if feedback_dir is not None else None)
    try:
        write_consolidated(out, cons, report, password, today, base=inbox, style=report_style)
    finally:
        feedback = writer.result() if writer is not None else []
    retired = writer.retired if writer is not None else []
    if report_path is not None:
        from .report import figures_from_consolidation, render_report

        render_report(figures_from_consolidation(cons), report_path, style=report_style, signer=report_signer)
    result = MergeResult(cons, report, out, feedback, warnings, retired)
    if json_path is not None:
        atomic_write_text(Path(json_path), json.dumps(result.to_json(lang), ensure_ascii=False, indent=2))
    return result
