"""``qcdc-excel pdf``: the printable sheets of workbooks as PDF files to sign, through LibreOffice.

Every input is converted in one LibreOffice start (in batches of 100; a private profile so a
LibreOffice the officer has open is not disturbed). A report form gets the fingerprint of its
figures in the footer of its printed pages (a temporary copy is printed; the input is never
changed); the consolidated workbook already carries it. ``validate`` prints the same fingerprint,
so a signed PDF can be matched to the workbook it came from. Numbers print in Vietnamese
notation (``11.796,9``, ``96,6%``) on any machine: the private profile's locale is Vietnamese.

A consolidated workbook prints as two PDFs: ``<name>.pdf`` holds only the signed appendix
(“Tổng hợp”, numbered on its own) and ``<name>_tai-lieu-kem-theo.pdf`` the working papers (unit
details, reporting status, findings, notes, charts), each page headed “Tài liệu kèm theo — không
ký”. Each is printed from a temporary copy holding only its own sheets.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_write_bytes
from .i18n import QcdcError
from .safe_paths import path_inside

BATCH = 100
TIMEOUT = 900  # seconds for one LibreOffice start
WINDOWS_PLACES = (r"C:\Program Files\LibreOffice\program\soffice.exe",
                  r"C:\Program Files (x86)\LibreOffice\program\soffice.exe")


def find_soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return next((p for p in WINDOWS_PLACES if os.path.isfile(p)), None)


@dataclass
class PdfResult:
    source: Path
    pdf: Path | None
    fingerprint: str | None = None
    problem: str | None = None  # message key when no PDF was written
    findings: list = field(default_factory=list)  # why the file is not a workbook (pdf-not-a-workbook)
    attachment: Path | None = None  # a consolidated workbook's working papers (ATTACHMENT_SUFFIX)


ATTACHMENT_SUFFIX = "_tai-lieu-kem-theo"  # tong-hop.pdf -> tong-hop_tai-lieu-kem-theo.pdf


def not_a_workbook(sub) -> list:
    """The findings that say the reader refused the file itself (wrong format, encrypted, damaged,
    too large…): such a file is not handed to LibreOffice, which would print anything it opens."""
    return [f for f in sub.findings if f.code.startswith(("file-", "check-"))]


def _print_copy(sub, folder: Path, name: str) -> tuple[Path, str | None]:
    """The file to hand to LibreOffice: a copy of a report form with its figures' fingerprint in
    the footer of the form sheet (a version 1 form re-fitted for paper, ``print_refit``), or the
    file itself."""
    source = sub.path
    mark = sub.fingerprint
    if not mark or sub.form == "consolidated" or sub.status == "unreadable":
        return source, mark  # the consolidated workbook prints its own fingerprint
    import openpyxl

    from .form import FORM_SHEET

    try:
        wb = openpyxl.load_workbook(source)
        ws = wb[FORM_SHEET] if FORM_SHEET in wb.sheetnames else wb.worksheets[0]
        for footer in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
            footer.left.text = f"Mã số liệu: {mark}"
            footer.left.size = 9
            footer.left.font = "Times New Roman,Italic"
        if sub.layout is not None and sub.layout.form_version == "1":
            from .print_refit import refit_version_1
            refit_version_1(ws, sub.layout, sub.values, sub.period)
        elif sub.layout is not None:
            _fit_paragraphs(ws, sub)
        target = folder / name
        wb.save(target)
        return target, mark
    except Exception:  # noqa: BLE001 - an odd file still prints, without the mark in the footer
        return source, mark


def _fit_paragraphs(ws, sub) -> None:
    """Free text longer than its paragraph row gets a row that holds it, and the page breaks are
    worked out again so that section headings and the signatures still keep with their rows."""
    from openpyxl.worksheet.pagebreak import Break, RowBreak

    from .form_sheet import FormHeader, describe_form, fit_height, page_breaks

    layout = sub.layout
    sheet = describe_form(layout, FormHeader(layout.catalog.title))
    changed = False
    for r in layout.rows:
        text = sub.values.get(r.item.code) if r.value_ref else None
        if not isinstance(text, str) or not text:
            continue
        row = r.last_row
        need = min(409.0, fit_height(text, sheet.width_of(r.cell, sheet.cells[r.cell].merge_to)))
        if need > sheet.height_of(row):
            sheet.heights[row] = need
            ws.row_dimensions[row].height = need
            changed = True
    if changed:
        ws.row_breaks = RowBreak()
        for row in page_breaks(sheet, layout):
            ws.row_breaks.append(Break(id=row - 1))


def to_pdf(files: list[str | Path], out_dir: str | Path | None = None,
           soffice: str | None = None) -> list[PdfResult]:
    """Write ``<name>.pdf`` for every workbook in ``files`` (beside it, or in ``out_dir``); a file
    the reader does not accept as an .xlsx workbook gets no PDF (``problem`` says why)."""
    from .validate import read_submission

    binary = soffice or find_soffice()
    if binary is None:
        raise QcdcError("pdf-no-libreoffice")
    results: list[PdfResult] = []
    with tempfile.TemporaryDirectory(prefix="qcdc-pdf-") as tmp:
        work = Path(tmp)
        jobs: list[tuple[PdfResult, Path, str]] = []
        for k, f in enumerate(map(Path, files)):
            res = PdfResult(f, None)
            results.append(res)
            if not f.is_file():
                res.problem = "pdf-not-found"
                continue
            sub = read_submission(f)
            res.findings = not_a_workbook(sub)
            if res.findings:
                res.problem = "pdf-not-a-workbook"
                continue
            jobs += _jobs(res, sub, work, f"f{k:05d}")  # LibreOffice names its output after its input
        targets = pdf_targets(results, out_dir)
        outdir = work / "out"
        for start in range(0, len(jobs), BATCH):
            batch = jobs[start:start + BATCH]
            _convert(binary, [p for _, p, _ in batch], outdir, work)
            for res, _, stem in batch:
                _deliver(res, outdir / f"{stem}.pdf", targets[id(res)], stem.endswith("k"))
    return results


def _jobs(res: PdfResult, sub, work: Path, stem: str) -> list[tuple[PdfResult, Path, str]]:
    """The temporary files LibreOffice prints for one workbook: one, or for a consolidated workbook
    the signed appendix and the working papers (``<stem>k``)."""
    suffix = res.source.suffix.lower() or ".xlsx"
    printable, res.fingerprint = _print_copy(sub, work, stem + suffix)
    if sub.form == "consolidated" and sub.status != "unreadable":
        from .form import CONSOLIDATED_EXTRA_SHEETS, CONSOLIDATED_SHEET
        try:
            signed = keep_sheets(printable, work / (stem + suffix), keep={CONSOLIDATED_SHEET})
            papers = keep_sheets(printable, work / (stem + "k" + suffix), keep=CONSOLIDATED_EXTRA_SHEETS)
            return [(res, signed, stem), (res, papers, stem + "k")]
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            pass  # an odd workbook still prints, whole
    if printable == res.source:
        printable = work / (stem + suffix)
        shutil.copyfile(res.source, printable)
    return [(res, printable, stem)]


def _deliver(res: PdfResult, made: Path, target: Path | None, attachment: bool) -> None:
    """Put one printed PDF where it belongs (``res.pdf`` or, for the working papers, ``res.attachment``)."""
    if res.problem:
        return
    if not made.is_file():
        res.problem = "pdf-failed"
    elif target is None:
        res.problem = "pdf-would-replace-input"
    elif attachment:
        res.attachment = atomic_write_bytes(attachment_target(target), made.read_bytes())
    else:
        res.pdf = atomic_write_bytes(target, made.read_bytes())


def attachment_target(target: Path) -> Path:
    """Where the working papers of the PDF ``target`` go: beside it, ``<name>_tai-lieu-kem-theo.pdf``."""
    return path_inside(target.parent, target.stem + ATTACHMENT_SUFFIX + ".pdf")


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def keep_sheets(source: Path, target: Path, keep: set[str] | frozenset[str]) -> Path:
    """A copy of the workbook ``source`` listing only the sheets in ``keep`` (LibreOffice prints
    hidden sheets too, so the others are taken out of the workbook's sheet list; their parts stay,
    unreferenced). Only ``xl/workbook.xml`` is rewritten: the print areas and other sheet-local
    names follow their sheet's new position; charts and everything else are copied as they are."""
    from xml.etree import ElementTree as ET

    import defusedxml.ElementTree as DET

    with zipfile.ZipFile(source) as zin:
        entries = [(info, zin.read(info)) for info in zin.infolist()]
    index = next(k for k, (info, _) in enumerate(entries) if info.filename == "xl/workbook.xml")
    data = entries[index][1]
    for _, (prefix, uri) in DET.iterparse(io.BytesIO(data), events=("start-ns",)):
        ET.register_namespace(prefix, uri)  # keep the document's own prefixes (mc:Ignorable names them)
    root = DET.fromstring(data)
    listing = root.find(f"{{{MAIN_NS}}}sheets")
    sheets = list(listing)
    kept = [k for k, sh in enumerate(sheets) if sh.get("name") in keep]
    if not kept:
        raise ValueError("no sheet to print")
    for k, sh in enumerate(sheets):
        if k not in kept:
            listing.remove(sh)
    names = root.find(f"{{{MAIN_NS}}}definedNames")
    for name in list(names) if names is not None else []:
        local = name.get("localSheetId")
        if local is None:
            continue
        if int(local) in kept:
            name.set("localSheetId", str(kept.index(int(local))))
        else:
            names.remove(name)
    for view in root.findall(f"{{{MAIN_NS}}}bookViews/{{{MAIN_NS}}}workbookView"):
        view.set("activeTab", "0")
        view.set("firstSheet", "0")
    entries[index] = (entries[index][0], ET.tostring(root, encoding="UTF-8", xml_declaration=True))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, payload in entries:
            zout.writestr(info, payload)
    target.write_bytes(buf.getvalue())
    return target


def pdf_targets(results: list[PdfResult], out_dir: str | Path | None) -> dict[int, Path | None]:
    """Where each PDF goes: ``<name>.pdf`` beside its workbook or in ``out_dir``, checked to lie in
    that folder; two workbooks of one name in ``out_dir`` get ``<name>_2.pdf``…; None where the PDF
    would replace one of the files being read."""
    inputs = {os.path.realpath(r.source) for r in results}
    used: set[str] = set()
    out: dict[int, Path | None] = {}
    for res in results:
        folder = Path(out_dir) if out_dir else res.source.parent
        name, n = res.source.stem + ".pdf", 2
        while os.path.realpath(folder / name).casefold() in used:
            name, n = f"{res.source.stem}_{n}.pdf", n + 1
        target = path_inside(folder, name)
        used.add(os.path.realpath(target).casefold())
        out[id(res)] = None if os.path.realpath(target) in inputs else target
    return out


# The private profile's locale setting (Tools ▸ Options ▸ Language Settings ▸ Locale setting):
# cell formats written without a locale tag (``#,##0.0##``, ``0.0%``) take their separators from
# it, so every PDF reads 11.796,9 and 96,6% whatever the locale of the machine that prints. The
# workbooks themselves carry no locale: on screen Excel keeps the user's own regional format.
PRINT_LOCALE = "vi-VN"
PROFILE_SETTINGS = f"""<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">\
<value>{PRINT_LOCALE}</value></prop></item>
</oor:items>
"""


def _new_profile(work: Path) -> Path:
    """A fresh LibreOffice user profile whose locale setting is Vietnamese."""
    profile = work / f"profile-{uuid.uuid4().hex}"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(PROFILE_SETTINGS, encoding="utf-8")
    return profile


def _convert(binary: str, files: list[Path], outdir: Path, work: Path) -> None:
    profile = _new_profile(work)
    cmd = [binary, "--headless", "--norestore", "--nolockcheck", f"-env:UserInstallation={profile.as_uri()}",
           "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)]
    try:
        subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        pass  # whatever was not written is reported per file


__all__ = ["to_pdf", "find_soffice", "PdfResult"]
