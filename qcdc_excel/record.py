"""One record of a submission: what a returned file is, what its check found, and the words for both.

:class:`Submission` is one returned file and what validation made of it; :class:`ValidationReport` is
what a run over many files gave. The statuses a check gives (:data:`STATUSES`) and the roles a
consolidation gives a file (:data:`ROLES`) are named here, with where their labels live: every label
is a row of ``i18n.WORDS`` (one bilingual table), read with :func:`status_label` / :func:`role_label`.
Writers and the command line import these names from here, not from the checker (``validate``
re-exports them for the callers that still name it). The web desk's pages still word the statuses
themselves (``portal.texts``, keys ``status-*``).
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import load_catalog
from .findings import UNREADABLE_CODES, Finding
from .i18n import word
from .layout import FormLayout, form_layout

# What the check of one file gives (``Submission.status``), best first.
STATUSES = ("accepted", "accepted-with-warnings", "rejected", "unreadable")
ACCEPTED_STATUSES = ("accepted", "accepted-with-warnings")
# What a consolidation does with each file (``consolidate.FileRole.role``).
ROLES = ("used", "superseded", "duplicate", "covered", "rejected", "unreadable", "excluded")

# Where each status is shown, and the ``i18n.WORDS`` rows (prefix + status) that label it there:
# the consolidated workbook's sheets (“Đạt”), the terminal's verdict column (“ĐẠT”), and the result line
# of a feedback copy's front sheet (“CHƯA ĐƯỢC CHẤP NHẬN: CẦN SỬA VÀ GỬI LẠI”).
STATUS_LABEL_KINDS = {"sheet": "validation-", "terminal": "verdict-", "front": "result-"}


def status_label(status: str, lang: str = "vi", kind: str = "sheet") -> str:
    """The label of ``status`` in ``lang`` as shown in ``kind`` (a key of :data:`STATUS_LABEL_KINDS`)."""
    return word(STATUS_LABEL_KINDS[kind] + status, lang)


def role_label(role: str, lang: str = "vi") -> str:
    """The label of a consolidation role (``ROLES``) in ``lang``."""
    return word(f"role-{role}", lang)


def status_of(findings: list[Finding]) -> str:
    """The status the findings on one file give it."""
    if any(f.code in UNREADABLE_CODES for f in findings):
        return "unreadable"
    if any(f.severity == "error" for f in findings):
        return "rejected"
    return "accepted-with-warnings" if findings else "accepted"


@dataclass
class Submission:
    """One returned file and what validation made of it."""
    path: Path
    sha256: str = ""
    size: int = 0
    mtime: float = 0.0
    status: str = "unreadable"
    findings: list[Finding] = field(default_factory=list)
    catalog_version: str | None = None
    level: str | None = None
    form: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    copy_of: str | None = None  # the mark of the figures it is a feedback copy of (``fingerprint.copy_mark``)
    receipt_only: bool = False  # a receipt this tool issued (one sheet, no form): never a report
    # When and as what the office received it (the web desk: the server's clock and the sender's file
    # name; a file the office took in from mail: the date it gives). Unknown on the command line.
    received: dt.datetime | None = None
    received_name: str | None = None
    arrival: int = 0  # the order in which the office received it (the desk's record number), within a second
    parent_code: str | None = None
    period: str | None = None
    report_date: dt.date | None = None
    window: tuple[dt.date, dt.date] | None = None  # “Số liệu tính từ ngày … đến ngày …” (form version 2)
    window_stated: bool = False  # typed on the form, not taken from the period
    # form version 3: the report this appendix goes with, as the unit typed it (“480/BC-UBND”, its date)
    report_number: str | None = None
    report_issued: dt.date | None = None
    form_version: str = "1"
    values: dict[str, object] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED_STATUSES

    @property
    def layout(self) -> FormLayout | None:
        if self.catalog_version and self.level and self.form:
            return form_layout(self.catalog_version, self.level, self.form, self.form_version)
        return None

    @property
    def copy_mark(self) -> str:
        """The mark a feedback copy of this report carries (``fingerprint.copy_mark``)."""
        from .fingerprint import copy_mark

        return copy_mark(self.values, self.catalog_version, self.unit_code, self.period)

    @property
    def is_feedback_copy(self) -> bool:
        """A feedback copy made by this tool with its figures as they were made, or a receipt."""
        return self.receipt_only or (self.copy_of is not None and self.copy_of == self.copy_mark)

    @functools.cached_property
    def fingerprint(self) -> str | None:
        """The fingerprint of the figures (``qcdc_excel.fingerprint``), printed on the appendix."""
        if self.status == "unreadable" or not self.catalog_version or not self.values:
            return None
        from .fingerprint import figures_fingerprint

        return figures_fingerprint(self.values, load_catalog(self.catalog_version), self.unit_code, self.period,
                                   texts=self.form != "consolidated")  # as the consolidated footer is written

    def to_json(self, lang: str = "vi") -> dict:
        return {"path": str(self.path), "sha256": self.sha256, "unit_code": self.unit_code,
                "period": self.period, "catalog_version": self.catalog_version, "form_version": self.form_version,
                "window": [d.isoformat() for d in self.window] if self.window else None, "status": self.status,
                "fingerprint": self.fingerprint, "findings": [f.to_json(lang) for f in self.findings]}


@dataclass
class ValidationReport:
    submissions: list[Submission]
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason code)

    @property
    def ok(self) -> bool:
        return all(s.accepted for s in self.submissions)

    def stats(self) -> dict:
        out = {"files": len(self.submissions), **{s: 0 for s in STATUSES}, "errors": 0, "warnings": 0,
               "by_code": {}}
        for sub in self.submissions:
            out[sub.status] += 1
            out["errors"] += len(sub.errors)
            out["warnings"] += len(sub.warnings)
            for f in sub.findings:
                out["by_code"][f.code] = out["by_code"].get(f.code, 0) + 1
        out["by_code"] = dict(sorted(out["by_code"].items()))
        out["skipped"] = len(self.skipped)
        return out

    def to_json(self, lang: str = "vi") -> dict:
        return {"files": [s.to_json(lang) for s in self.submissions], "stats": self.stats(),
                "skipped": [{"path": str(p), "reason": r} for p, r in self.skipped]}


__all__ = ["Submission", "ValidationReport", "STATUSES", "ACCEPTED_STATUSES", "ROLES",
           "STATUS_LABEL_KINDS", "status_label", "role_label", "status_of"]
