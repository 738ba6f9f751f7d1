"""The same filled form as every real program returns it: read exactly as typed, edits caught.

One form is filled with openpyxl the way a unit types it (numbers, a number kept as text, a
number pasted with its apostrophe, a decimal amount, Vietnamese free text with line breaks and
markup characters), then re-saved by LibreOffice (as .xlsx, and through .ods and back), by
Gnumeric (both of its .xlsx writers) and rewritten into Excel's own dialect and its Strict Open
XML save (tests/dialects.py). Every variant must give exactly the typed values and the right
verdict. Negative controls, made the way a person makes them and then saved by each program:
a check formula filled over (plainly, and as Excel's shared formula), a label edited, a row
inserted, and protection removed with a decoy tag left behind — all still caught.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel import load_catalog, parse_period
from qcdc_excel.form import FORM_SHEET
from qcdc_excel.formulas import translate
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.reader import open_workbook
from qcdc_excel.synthetic import fill_workbook
from qcdc_excel.template import template_bytes
from qcdc_excel.validate import read_submission

from .conftest import convert_with_soffice, convert_with_ssconvert
from .corpus import make_values

PERIOD = parse_period("2020")
UNIT = Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang")
NOTE = "Hòa giải thành 146/158 vụ, đạt 92,4 %;\nkiến nghị: “tăng kinh phí” & <hỗ trợ> \"thôn\""
# What a program may add on its own without anyone having touched the form.
PROGRAM_WARNINGS = {"structure-unprotected", "protection-removed"}


class Form:
    """The typed form and what reading it must give."""

    def __init__(self, tmp: Path):
        catalog = load_catalog()
        self.layout = layout = form_layout(catalog.version, "xa")
        in_rules = {c for r in catalog.rules for c in r.expression.codes}
        values = make_values(catalog, layout.input_codes, seed=5)
        free = [c for c in layout.input_codes if c not in in_rules and catalog.indicators[c].kind == "count"
                and values.get(c)]
        self.as_text, self.apostrophe = free[0], free[1]
        amount = next((c for c in layout.input_codes if catalog.indicators[c].kind == "amount" and c not in in_rules),
                      None)
        typed = dict(values)
        typed[self.as_text] = str(values[self.as_text])
        typed[self.apostrophe] = "'" + str(values[self.apostrophe])
        if amount:
            typed[amount] = values[amount] = 11796.9
        typed["V.1"] = values["V.1"] = NOTE
        self.values = values  # what must be read back
        self.tmp = tmp
        self.template = template_bytes("xa", PERIOD, UNIT)
        self.typed = typed

    def fill(self, name: str, edit=None) -> Path:
        path = fill_workbook(self.template, self.typed, self.tmp / f"{name}.xlsx", report_date=30000,
                             names=("Nguyễn Văn A", "Nguyễn Văn B"))
        if edit is not None:
            wb = openpyxl.load_workbook(path)
            edit(wb[FORM_SHEET], self.layout)
            wb.save(path)
        return path


def fill_over(ws, layout) -> None:
    """Copy the first row-check formula down over the next three, as Fill Down does."""
    first, *rest = check_cells(layout)[:4]
    source = dict(layout.expected_formulas)[first]
    for ref in rest:
        ws[ref] = translate(source, int(ref[1:]) - int(first[1:]), 0)


def check_cells(layout) -> list[str]:
    return [ref for ref, _ in layout.expected_formulas if ref.startswith("F")]


def edit_label(ws, layout) -> None:
    ws[label_cell(layout)] = "Tổng số vụ việc (đã sửa lại)"


def label_cell(layout) -> str:
    return f"C{layout.indicator_rows['II.5.2'].row}"


def insert_row(ws, layout) -> None:
    ws.insert_rows(20)


CONTROLS = {"typed": None, "filled-over": fill_over, "label": edit_label, "row": insert_row}


def unprotect_with_decoy(path: Path, dst: Path) -> Path:
    """Remove the form sheet's protection by hand and leave a decoy tag in a comment."""
    raw = open_workbook(path.read_bytes())
    part = raw.sheet(FORM_SHEET).part
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                prot = re.search(rb"<(?:\w+:)?sheetProtection\b[^>]*/>", data)
                assert prot, "the program kept no protection to remove"
                data = data[:prot.start()] + data[prot.end():]
                end = re.search(rb"</(?:\w+:)?sheetData>", data)
                data = data[:end.end()] + b'<!-- <sheetProtection sheet="1" password="CA31"/> -->' + data[end.end():]
            zout.writestr(info, data)
    return dst


def like_google_sheets(path: Path, dst: Path) -> Path:
    """What a Google Sheets export does to the package on its own: no sheet or workbook protection
    (the password is gone), and the very hidden identity sheet only hidden."""
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<sheetProtection\b[^>]*/>", b"", data)
            elif info.filename == "xl/workbook.xml":
                data = re.sub(rb"<workbookProtection\b[^>]*/>", b"", data).replace(b'"veryHidden"', b'"hidden"')
            zout.writestr(info, data)
    return dst


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    return Form(tmp_path_factory.mktemp("typed"))


@pytest.fixture(scope="module")
def originals(form):
    return {name: form.fill(name, edit) for name, edit in CONTROLS.items()}


def _dialects(form, originals, soffice, ssconvert) -> dict[str, dict[str, Path]]:
    """dialect -> control name -> file as that program saved it."""
    from . import dialects

    tmp = form.tmp
    files = list(originals.values())
    out = {"openpyxl": dict(originals)}
    (tmp / "google").mkdir(exist_ok=True)
    out["google-sheets"] = {n: like_google_sheets(p, tmp / "google" / p.name) for n, p in originals.items()}
    lo = convert_with_soffice(soffice, files, tmp / "lo-xlsx")
    out["libreoffice"] = {n: lo[p] for n, p in originals.items()}
    ods = convert_with_soffice(soffice, files, tmp / "lo-ods", fmt="ods")
    back = convert_with_soffice(soffice, list(ods.values()), tmp / "lo-ods-xlsx")
    out["libreoffice-ods"] = {n: back[ods[p]] for n, p in originals.items()}
    for exporter in ("xlsx", "xlsx2"):
        gn = convert_with_ssconvert(ssconvert, files, tmp / f"gnumeric-{exporter}", exporter)
        out[f"gnumeric-{exporter}"] = {n: gn[p] for n, p in originals.items()}
    for strict in (False, True):
        name = "excel-strict" if strict else "excel"
        folder = tmp / name
        folder.mkdir(exist_ok=True)
        out[name] = {}
        for n, p in originals.items():
            target = folder / p.name
            target.write_bytes(dialects.to_excel(p.read_bytes(), strict=strict))
            out[name][n] = target
        # Excel saves a fill-down as one shared formula.
        first, *rest = check_cells(form.layout)[:4]
        shared = folder / "filled-over-shared.xlsx"
        shared.write_bytes(dialects.to_excel(dialects.fill_down(originals["typed"].read_bytes(), FORM_SHEET, first,
                                                                f"{first}:{rest[-1]}"), strict=strict))
        out[name]["filled-over-shared"] = shared
    return out


@pytest.fixture(scope="module")
def saved(form, originals, soffice, ssconvert):
    return _dialects(form, originals, soffice, ssconvert)


DIALECTS = ["openpyxl", "google-sheets", "libreoffice", "libreoffice-ods", "gnumeric-xlsx", "gnumeric-xlsx2", "excel", "excel-strict"]


def findings_by_code(sub) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in sub.findings:
        out.setdefault(f.code, []).append(f)
    return out


@pytest.mark.soffice
@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_program_gives_the_typed_values(form, saved, dialect):
    sub = read_submission(saved[dialect]["typed"])
    assert sub.values == form.values, dialect
    found = findings_by_code(sub)
    assert sub.status == "accepted-with-warnings", (dialect, sorted(found))
    assert all(f.severity == "warning" for f in sub.findings), (dialect, sorted(found))
    as_text = sorted(f.indicator for f in found.pop("number-as-text", []))
    assert as_text == sorted([form.as_text, form.apostrophe]), dialect
    assert set(found) <= PROGRAM_WARNINGS, (dialect, sorted(found))
    assert sub.unit_code == "23641" and sub.period == "2020"
    if dialect == "google-sheets":  # protection dropped by the program, form intact: warnings only
        assert {"protection-removed", "structure-unprotected"} <= set(found)


@pytest.mark.soffice
@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_check_formula_filled_over_is_caught(form, saved, dialect):
    variants = ["filled-over"] + (["filled-over-shared"] if dialect.startswith("excel") else [])
    for variant in variants:
        sub = read_submission(saved[dialect][variant])
        over = sorted(f.cell for f in sub.findings if f.code == "formula-overwritten")
        assert over == sorted(check_cells(form.layout)[1:4]), (dialect, variant, over)
        assert sub.status == "rejected"


@pytest.mark.soffice
@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_edited_label_is_caught(form, saved, dialect):
    sub = read_submission(saved[dialect]["label"])
    assert [f.cell for f in sub.findings if f.code == "label-edited"] == [label_cell(form.layout)], dialect
    assert sub.status == "rejected"


@pytest.mark.soffice
@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_inserted_row_is_caught(form, saved, dialect):
    sub = read_submission(saved[dialect]["row"])
    assert "rows-shifted" in findings_by_code(sub), (dialect, [f.code for f in sub.findings])
    assert sub.status == "rejected" and not sub.values


@pytest.mark.soffice
@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d != "google-sheets"])  # it keeps none to remove
def test_protection_removed_with_a_decoy_is_caught(form, saved, dialect, tmp_path):
    decoyed = unprotect_with_decoy(saved[dialect]["typed"], tmp_path / "decoy.xlsx")
    sub = read_submission(decoyed)
    found = findings_by_code(sub)
    assert "protection-removed" in found, (dialect, sorted(found))
    assert sub.values == form.values  # intact form: a warning, the figures stand
    # the same decoy on a form whose label was also edited: rejected, protection part of the error
    decoyed = unprotect_with_decoy(saved[dialect]["label"], tmp_path / "decoy-label.xlsx")
    sub = read_submission(decoyed)
    found = findings_by_code(sub)
    assert sub.status == "rejected" and found["protection-removed"][0].severity == "error", dialect
