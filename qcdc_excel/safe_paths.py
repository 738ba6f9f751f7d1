"""File names the toolkit makes, and the checks that keep every output where it belongs.

Nothing read from a file, a form or a request becomes part of a path as it is: a unit code, a
unit name, a period, a sheet name or a member name inside a zip is first reduced to a safe,
bounded name (:func:`safe_component`), and the final path is checked to lie directly inside its
target folder (:func:`path_inside`) before anything is written. :func:`refuse_outputs_among_inputs`
keeps the outputs of a command off the files it reads.
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Iterable, Mapping

from .i18n import QcdcError

MAX_COMPONENT = 80
# Names Windows refuses (with any extension), whatever the case.
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                              *(f"LPT{i}" for i in range(10))})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,29}")


def ascii_fold(text: str) -> str:
    """Vietnamese letters folded to ASCII: “Đăk Rơ Wa” -> “Dak Ro Wa”."""
    text = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def safe_component(text: object, limit: int = MAX_COMPONENT, fallback: str = "tep") -> str:
    """``text`` as one safe file-name part: ASCII letters, digits and ``._-`` only (every other run
    of characters, separators, NUL and direction marks included, becomes one ``-``), at most
    ``limit`` characters, never empty, ``.``/``..``, hidden or a name Windows reserves."""
    name = _UNSAFE.sub("-", ascii_fold(str(text or "")))
    name = re.sub(r"-{2,}", "-", name)
    name = name.strip("._- ")[:limit].rstrip("._- ")
    if not name:
        return fallback
    if name.split(".")[0].upper() in WINDOWS_RESERVED:
        name = f"{name}_"[:limit] if "." not in name else f"_{name}"[:limit]
    return name


def is_plain_code(code: object) -> bool:
    """A unit code that can stand in a file name as it is (``23641``, ``01273``, ``HU-01``)."""
    return (isinstance(code, str) and _CODE.fullmatch(code) is not None
            and code.upper() not in WINDOWS_RESERVED)


def path_inside(folder: str | Path, name: str) -> Path:
    """``folder / name``, after checking that it lies directly inside ``folder``.

    ``name`` must be a single name (no separator, not ``.``/``..``, no NUL); anything else raises
    ``unsafe-output-name`` before a byte is written. The folder is resolved (symbolic links
    followed) so that the check holds for the rename that puts the file in place.
    """
    base = os.path.realpath(folder)
    bad = (not name or name in (".", "..") or "\x00" in name or "/" in name or "\\" in name
           or os.path.dirname(os.path.join(base, name)) != base)
    if bad:
        raise QcdcError("unsafe-output-name", name=repr(name)[:120], folder=str(folder))
    return Path(folder) / name


def _real(path: str | Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def refuse_outputs_among_inputs(inputs: Iterable[str | Path], outputs: Mapping[str, str | Path | None],
                                feedback_dir: str | Path | None = None) -> list[QcdcError]:
    """Refuse, before any work, an output that would replace or land among the files being read.

    ``inputs``: the files and folders named on the command line (folders are read with everything
    under them). ``outputs``: option -> file. A file output may not be an input file nor lie inside
    an input folder (the next run would read it); the feedback folder may not be an input folder.
    Raises ``output-is-input`` (exit 2) naming the file; returns the warnings for what is allowed but
    worth saying (a feedback folder inside an input folder: its copies are recognised and skipped by
    the next run).
    """
    given = [(str(p), _real(p), os.path.isdir(p)) for p in inputs]  # each input resolved once

    def holder(target: str) -> str | None:
        """The input ``target`` would replace or land in."""
        return next((shown for shown, real, folder in given
                     if target == real or (folder and _within(target, real))), None)

    for option, out in outputs.items():
        found = holder(_real(out)) if out is not None else None
        if found is not None:
            raise QcdcError("output-is-input", option=option, path=str(out), input=found)
    warnings = []
    if feedback_dir is not None:
        fb = _real(feedback_dir)
        for shown, real, folder in given:
            if folder and fb == real:
                raise QcdcError("output-is-input", option="--feedback-dir", path=str(feedback_dir), input=shown)
            if folder and _within(fb, real):
                warnings.append(QcdcError("feedback-dir-in-inbox", path=str(feedback_dir), inbox=shown))
    return warnings


__all__ = ["MAX_COMPONENT", "WINDOWS_RESERVED", "ascii_fold", "safe_component", "is_plain_code", "path_inside",
           "refuse_outputs_among_inputs"]
