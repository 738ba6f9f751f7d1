"""What a command works on and what it writes: :class:`Scope` and :class:`Outputs`.

Both are built once at the edge (the command line, the web desk, a script) and handed unchanged to
the library calls ``qcdc_excel.merge(inbox, scope, outputs)`` and ``qcdc_excel.check(paths, scope,
outputs)``. Building a :class:`Scope` is where its parts are checked: a period given as text is
parsed here, and a parent code is checked against the roster here, so no later step checks them
again. This module belongs to the reading and checking core: it imports no writer.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .form import DEFAULT_PASSWORD
from .i18n import QcdcError
from .periods import Period, parse_period
from .roster import Office, Roster

FEEDBACK_FOR = ("all", "problems")
STYLES = ("nd30", "hd36")


@dataclass(frozen=True)
class Scope:
    """Which reports count: the units expected (``roster``), the reporting ``period``, the
    consolidating unit (``parent``, needs a roster), the ``deadline`` (a report dated or received
    after it is late) and whether rejected reports are added too (``include_rejected``).

    ``period`` may be given as text (``"2023Q1"``): it is parsed once, here (``period-invalid``).
    ``previous``: the consolidated workbooks or ``merge --json`` files of earlier periods; given, the
    reports are also checked against them (``history_checks``).
    """
    roster: Roster | None = None
    period: Period | None = None
    parent: str | None = None
    deadline: dt.date | None = None
    include_rejected: bool = False
    previous: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "previous", tuple(Path(p) for p in self.previous))
        if isinstance(self.period, str):
            object.__setattr__(self, "period", parse_period(self.period))
        if self.parent is not None:
            if self.roster is None:
                raise QcdcError("merge-parent-needs-roster", code=self.parent)
            if self.parent not in self.roster:
                raise QcdcError("unit-not-in-roster", code=self.parent, path=self.roster.source)

    @property
    def office(self) -> Office | None:
        """The receiving office, named on receipts (with its parent, for the organ block): the
        consolidating unit (``parent``), else the unit at the top of the roster (``Roster.top``);
        None without a roster."""
        if self.roster is None:
            return None
        code = self.parent or self.roster.top()
        unit = self.roster.units.get(code) if code else None
        if unit is None:
            return None
        above = self.roster.units.get(unit.parent) if unit.parent else None
        return Office(unit.name, above.name if above is not None else None)

    @property
    def period_code(self) -> str | None:
        """The period as files state it (``2023Q1``), or None when any period is accepted."""
        return self.period.code if self.period is not None else None


@dataclass(frozen=True)
class ReportSpec:
    """The draft Word report to write beside the consolidated workbook (``qcdc_excel.report``):
    where, who signs it (name and title) and to whom it goes (``recipients``, the “Nơi nhận” lines;
    None: the steering committee above and the file copy). Its layout is :attr:`Outputs.style`, its
    date :attr:`Outputs.date`."""
    path: Path
    signer: str | None = None
    title: str | None = None
    recipients: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if self.recipients is not None:
            object.__setattr__(self, "recipients", tuple(self.recipients))


@dataclass(frozen=True)
class Outputs:
    """What a command writes; every part is optional (``merge`` needs ``workbook``).

    ``workbook``: the consolidated workbook (``merge``), locked with ``password`` and laid out in
    ``style`` (``nd30`` or ``hd36``, also the Word report's). ``feedback_dir``: one feedback file
    per report, for ``feedback_for`` "all" files or only those with "problems", written in
    ``feedback_lang`` (the units' language, Vietnamese by default). ``json``: the JSON report, in
    ``lang`` (the office's). ``report``: the draft Word report. ``pdf``: also print the
    consolidated workbook as a PDF beside it (``<workbook>.pdf``, through LibreOffice). ``date``: the
    date the workbook's date line and the Word report carry (None: the report date the units gave,
    else the end of the figures' window; never the clock).
    """
    workbook: Path | None = None
    feedback_dir: Path | None = None
    feedback_for: str = "all"
    feedback_lang: str = "vi"
    json: Path | None = None
    lang: str = "vi"
    report: ReportSpec | None = None
    pdf: bool = False
    password: str = DEFAULT_PASSWORD
    style: str = "nd30"
    date: dt.date | None = None

    def __post_init__(self) -> None:
        for name in ("workbook", "feedback_dir", "json"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value))
        if self.feedback_for not in FEEDBACK_FOR:
            raise ValueError(f"feedback_for must be one of {FEEDBACK_FOR}, not {self.feedback_for!r}")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, not {self.style!r}")

    @property
    def pdf_path(self) -> Path | None:
        """Where the PDF of the consolidated workbook goes, when one is asked for."""
        return self.workbook.with_suffix(".pdf") if self.pdf and self.workbook is not None else None

    def named(self) -> dict[str, Path | None]:
        """The output files by the option that names them (for ``safe_paths.refuse_outputs_among_inputs``)."""
        return {"--out": self.workbook, "--json": self.json,
                "--report": self.report.path if self.report is not None else None, "--pdf": self.pdf_path}
