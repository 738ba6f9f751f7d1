"""The Excel-dialect transformer itself (tests/dialects.py), held to what Excel's files look like
and to what real programs make of its output. The verdicts of the project's reader on these files
are in test_real_clients.py."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel import load_catalog, parse_period
from qcdc_excel.form import FORM_SHEET
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.synthetic import fill_workbook
from qcdc_excel.template import template_bytes

from . import dialects
from .conftest import convert_with_soffice
from .corpus import make_values

TRANSITIONAL = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships")


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    catalog = load_catalog()
    layout = form_layout(catalog.version, "xa")
    values = make_values(catalog, layout.input_codes, seed=3)
    values["V.1"] = "  Ghi chú đầu dòng\nvà dòng hai  "
    path = tmp_path_factory.mktemp("dialect") / "filled.xlsx"
    fill_workbook(template_bytes("xa", parse_period("2020"), Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang")),
                  values, path, report_date=30000)
    return layout, path.read_bytes()


def cells(data: bytes) -> dict[tuple[str, str], object]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {(ws.title, c.coordinate): c.value for ws in wb for row in ws.iter_rows() for c in row
            if c.value is not None}


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_excel_dialect_keeps_every_value_and_formula(filled):
    _, data = filled
    excel = dialects.to_excel(data)
    assert cells(excel) == cells(data)  # openpyxl reads the same values, strings and formulas
    p = parts(excel)
    sheet = p["xl/worksheets/sheet1.xml"]
    assert b'inlineStr' not in b"".join(p.values())
    assert b'mc:Ignorable="x14ac xr xr2 xr3"' in sheet and b"x14ac:dyDescent" in sheet
    assert re.search(rb'<row r="1" [^>]*spans="1:4"', sheet)  # the organ (A1) and the motto (D1)
    # shared strings: every distinct text once, white space preserved where it matters
    sst = p["xl/sharedStrings.xml"].decode()
    assert 'xml:space="preserve">  Ghi chú đầu dòng' in sst
    assert int(re.search(r'uniqueCount="(\d+)"', sst).group(1)) == sst.count("<si>")
    # every formula has a cached value and is in the calculation chain, first of a sheet with i=
    formula_cells = re.findall(rb'<c r="([A-Z]+[0-9]+)"[^>]*><f>', sheet)
    assert formula_cells and all(re.search(rb'<c r="%s"[^>]*><f>[^<]*</f><v>' % r, sheet) for r in formula_cells)
    chain = p["xl/calcChain.xml"].decode()
    assert re.findall(r'<c r="([A-Z]+[0-9]+)"', chain)[: len(formula_cells)] == [r.decode() for r in formula_cells]
    assert re.search(r'<c r="[A-Z]+[0-9]+" i="1"', chain)
    assert b'<fileVersion appName="xl"' in p["xl/workbook.xml"]
    assert b"Microsoft Excel" in p["docProps/app.xml"]
    assert p["xl/workbook.xml"].startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n')


def test_sha512_protection_verifies_against_the_password(filled):
    _, data = filled
    p = parts(dialects.to_excel(data, password="qcdc"))
    prot = dict(re.findall(r'(\w+)="([^"]*)"', re.search(r"<sheetProtection[^>]*>", p["xl/worksheets/sheet1.xml"]
                                                         .decode()).group(0)))
    assert prot["algorithmName"] == "SHA-512" and prot["sheet"] == "1" and "password" not in prot
    assert dialects.verify_protection("qcdc", prot["hashValue"], prot["saltValue"], int(prot["spinCount"]))
    assert not dialects.verify_protection("qcdd", prot["hashValue"], prot["saltValue"], int(prot["spinCount"]))
    book = dict(re.findall(r'(\w+)="([^"]*)"', re.search(r"<workbookProtection[^>]*>", p["xl/workbook.xml"]
                                                         .decode()).group(0)))
    assert book["lockStructure"] == "1"
    assert dialects.verify_protection("qcdc", book["workbookHashValue"], book["workbookSaltValue"],
                                      int(book["workbookSpinCount"]))


def test_a_fill_down_is_one_shared_formula(filled):
    layout, data = filled
    formulas = dict(layout.expected_formulas)
    source = next(ref for ref in formulas if ref.startswith("F"))
    row = int(source[1:])
    target = f"{source}:F{row + 3}"
    excel = dialects.to_excel(dialects.fill_down(data, FORM_SHEET, source, target))
    sheet = parts(excel)["xl/worksheets/sheet1.xml"].decode()
    assert f'<f t="shared" ref="{target}" si="0">' in sheet
    assert sheet.count('<f t="shared" si="0"/>') == 3
    got = dialects.expanded_formulas(excel, FORM_SHEET)
    for k in range(1, 4):
        assert got[f"F{row + k}"] == dialects.move(formulas[source][1:], k, 0)
    assert got[f"F{row + 1}"] != formulas.get(f"F{row + 1}", "=")[1:]  # really overwritten


def test_strict_save_uses_only_strict_namespaces(filled):
    _, data = filled
    strict = dialects.to_excel(data, strict=True)
    p = parts(strict)
    for name, body in p.items():
        if name.endswith((".xml", ".rels")):
            assert not any(uri.encode() in body for uri in TRANSITIONAL), name
    assert b'conformance="strict"' in p["xl/workbook.xml"]
    assert b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument" in p["_rels/.rels"]
    assert dialects.expanded_formulas(strict, FORM_SHEET) == dialects.expanded_formulas(dialects.to_excel(data),
                                                                                          FORM_SHEET)


@pytest.mark.soffice
def test_libreoffice_opens_both_dialects(filled, soffice, tmp_path):
    _, data = filled
    files = []
    for name, body in (("excel", dialects.to_excel(data)), ("strict", dialects.to_excel(data, strict=True))):
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(body)
        files.append(path)
    converted = convert_with_soffice(soffice, files, tmp_path / "lo")
    original = cells(data)
    for path in files:
        again = cells(converted[path].read_bytes())
        form = {k: v for k, v in original.items() if k[0] == FORM_SHEET and not str(v).startswith("=")}
        assert {k: again.get(k) for k in form} == form, path.name
