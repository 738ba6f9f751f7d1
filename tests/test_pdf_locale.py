"""PDFs print numbers in Vietnamese notation (``11.796,9``, ``7.524``, ``96,6%``) whatever the
locale of the machine that runs ``qcdc-excel pdf``.

The cell formats the toolkit writes (``#,##0.0##``, ``0.0%``) carry no locale, so LibreOffice takes
the separators from its locale setting; ``qcdc-excel pdf`` gives its private profile a Vietnamese
one. The command runs in a subprocess under ``LANG=C`` and ``en_US.UTF-8`` (where LibreOffice left
to itself prints ``11,796.9``); ``pdftotext`` reads what the PDFs show. The expected figures come
from the workbooks' own values, written with the toolkit's Vietnamese formatter.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qcdc_excel import Outputs, Scope, merge
from qcdc_excel.numbers import format_number, format_percent
from qcdc_excel.roster import load_roster
from qcdc_excel.validate import read_submission

from .conftest import KBANG_ROSTER, SAMPLES
from .test_print import poppler

pytestmark = pytest.mark.soffice

INBOX = SAMPLES / "kbang-2020" / "inbox"


def figures(path: Path) -> list[tuple[str, str]]:
    """(Vietnamese, English) notation of the workbook's figures that the two write differently:
    amounts with decimals, counts of four digits or more, and the ratios, as the cells show them."""
    sub = read_submission(path)
    values, out = sub.values, []
    for ind in sub.layout.catalog.indicators.values():
        v = values.get(ind.code)
        if ind.kind in ("amount", "count") and isinstance(v, (int, float)) and not isinstance(v, bool) \
                and (abs(v) >= 1000 or not float(v).is_integer()):
            out.append((format_number(v), format_number(v, "en")))
        elif ind.kind == "ratio" and format_percent(values.get(ind.numerator), values.get(ind.denominator)):
            vi = format_percent(values[ind.numerator], values[ind.denominator]).replace(" ", "")
            out.append((vi, vi.replace(",", ".")))
    return out


def pdf_text(files: list[Path], out: Path, env: dict[str, str]) -> dict[str, str]:
    """Run ``qcdc-excel pdf`` on ``files`` (one LibreOffice start) under ``env``; the text of each PDF."""
    script = Path(sys.executable).with_name("qcdc-excel")
    cmd = [str(script)] if script.is_file() else [sys.executable, "-c", "from qcdc_excel.cli import run; run()"]
    proc = subprocess.run([*cmd, "pdf", *map(str, files), "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {f.name: subprocess.run(["pdftotext", "-layout", str(out / (f.stem + ".pdf")), "-"],
                                   capture_output=True, text=True, check=True).stdout for f in files}


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    """The Kbang consolidated workbook, a unit's form and a feedback copy of a rejected form."""
    from qcdc_excel.feedback import write_feedback_files

    d = tmp_path_factory.mktemp("pdf-locale")
    result = merge(INBOX, Scope(load_roster(KBANG_ROSTER), "2020", "625", dt.date(2020, 10, 25)),
                   Outputs(d / "tong-hop.xlsx"), today=dt.date(2020, 10, 30))
    form = d / "23650_2020.xlsx"
    shutil.copy(INBOX / form.name, form)
    (copy,) = write_feedback_files([read_submission(INBOX / "23650_2020 (gui lan 1).xlsx")], d / "gop-y")
    return [result.out, form, copy]


@pytest.mark.parametrize("lang, lc_all", [("C", None), ("en_US.UTF-8", "en_US.UTF-8")])
def test_pdfs_print_vietnamese_notation_whatever_the_machine_locale(tmp_path, workbooks, soffice, lang, lc_all):
    poppler()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    env["LANG"] = lang
    if lc_all:
        env["LC_ALL"] = lc_all
    env["PATH"] = os.pathsep.join([str(Path(soffice).parent), env.get("PATH", "")])
    texts = pdf_text(workbooks, tmp_path / "pdf", env)
    consolidated = texts[workbooks[0].name]
    # the Kbang sample's district totals, as the signed appendix shows them
    for shown in ("11.796,9", "7.524", "94,1%", "96,6%"):
        assert shown in consolidated, shown
    assert "11,796.9" not in consolidated and "7,524" not in consolidated
    for book in workbooks:
        expected = figures(book)
        assert len(expected) >= 5, book.name  # enough figures that the two notations tell apart
        text = texts[book.name]
        for vi, en in expected:
            assert vi in text, (book.name, vi)
            if vi != en and en not in vi:
                assert en not in text, (book.name, en)
