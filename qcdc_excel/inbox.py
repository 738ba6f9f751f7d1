"""Collecting the files of an inbox: which files in a folder are reports to read, and why the others are not.

Files named explicitly are always read (a renamed CSV is still reported); inside a folder only
spreadsheet-looking files are, in a stable (sorted) order. The reasons a file was skipped are
:data:`SKIP_CODES` (labelled by the ``skip-`` rows of ``i18n.WORDS``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .record import Submission

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".fods", ".csv"}
# Why a file found in an inbox is not read as a report ("feedback-copy": ``validate.set_aside_copies``).
SKIP_CODES = ("lock-file", "hidden-file", "not-a-spreadsheet", "feedback-copy")


def collect_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files to validate, folders read recursively; lock, hidden and non-spreadsheet files skipped.

    Files named explicitly are always validated (a renamed CSV is still reported); inside a
    folder only spreadsheet-looking files are, in a stable (sorted) order.
    """
    files, skipped = [], []
    for p in map(Path, paths):
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if not child.is_file():
                    continue
                rel = child.relative_to(p)
                if child.name.startswith("~$"):
                    skipped.append((child, "lock-file"))
                elif any(part.startswith(".") for part in rel.parts):
                    skipped.append((child, "hidden-file"))
                elif child.suffix.lower() not in SPREADSHEET_SUFFIXES:
                    skipped.append((child, "not-a-spreadsheet"))
                else:
                    files.append(child)
        else:
            files.append(p)
    return files, skipped


def set_aside_copies(subs: list[Submission], skipped: list[tuple[Path, str]]
                     ) -> tuple[list[Submission], list[tuple[Path, str]]]:
    """The reports, and what was skipped with the unchanged feedback copies this tool made added
    (a feedback folder kept inside the inbox must not be read back as reports)."""
    copies = [s for s in subs if s.is_feedback_copy]
    if not copies:
        return subs, skipped
    return [s for s in subs if not s.is_feedback_copy], list(skipped) + [(s.path, "feedback-copy") for s in copies]
