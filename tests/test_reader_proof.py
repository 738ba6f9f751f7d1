"""The fast sheet reader reads exactly what a conforming XML parser reads, or steps aside.

Each decoy below is a filled form whose sheet XML was edited by hand the way a hostile or broken
file could be: the fast path must give the same cells and protection as the element-by-element
path (or decline and let it decide), and the verdict must be what the bytes really say. See the
safety argument at the top of ``qcdc_excel/reader.py``.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from qcdc_excel import load_catalog, parse_period
from qcdc_excel.form import FORM_SHEET
from qcdc_excel.formulas import canonical, same_meaning, translate
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.reader import _fast_sheet, open_workbook, read_part, read_sheet
from qcdc_excel.synthetic import fill_workbook
from qcdc_excel.template import template_bytes
from qcdc_excel.validate import read_submission

from .corpus import make_values

PERIOD = parse_period("2020")
UNIT = Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang")
FORM_PART = "xl/worksheets/sheet1.xml"


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    catalog = load_catalog()
    layout = form_layout(catalog.version, "xa")
    values = make_values(catalog, layout.input_codes, seed=11)
    path = tmp_path_factory.mktemp("proof") / "plain.xlsx"
    fill_workbook(template_bytes("xa", PERIOD, UNIT), values, path, report_date=30000,
                  names=("Nguyễn Văn A", "Nguyễn Văn B"))
    return layout, values, path


def rewrite(src: Path, dst: Path, edit) -> Path:
    """Copy an .xlsx, passing the form sheet's XML through ``edit`` (bytes -> bytes)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == FORM_PART:
                new = edit(data)
                assert new != data, "the edit changed nothing"
                data = new
            zout.writestr(info, data)
    return dst


def both_paths(path: Path):
    """(fast result or None, general result) for the form sheet; the general path may raise."""
    raw = open_workbook(path.read_bytes())
    info = raw.sheet(FORM_SHEET)
    fast = _fast_sheet(raw, info.name, read_part(raw.zf, info.part))
    return fast, read_sheet(raw, info, fast=False)


def codes(sub) -> list[str]:
    return [f.code for f in sub.findings]


PROTECTION = re.compile(rb"<sheetProtection\b[^>]*/>")


def unprotect_with(decoy: bytes):
    """Remove the real protection and put ``decoy`` right after the cells."""
    def edit(data: bytes) -> bytes:
        data = PROTECTION.sub(b"", data, count=1)
        return data.replace(b"</sheetData>", b"</sheetData>" + decoy, 1)
    return edit


DECOYS = {
    "comment": b'<!-- <sheetProtection sheet="1" password="CA31"/> -->',
    "cdata": b'<![CDATA[<sheetProtection sheet="1"/>]]>',
    "instruction": b'<?qcdc <sheetProtection sheet="1"/> ?>',
    "other-namespace": b'<x:sheetProtection xmlns:x="urn:decoy" sheet="1"/>',
    "nested": b'<extLst><ext uri="x"><sheetProtection sheet="1"/></ext></extLst>',
}


@pytest.mark.parametrize("name", list(DECOYS))
def test_protection_decoys_after_the_cells_do_not_count(tmp_path, plain, name):
    layout, values, path = plain
    decoyed = rewrite(path, tmp_path / f"{name}.xlsx", unprotect_with(DECOYS[name]))
    fast, general = both_paths(decoyed)
    assert general.protected is False
    assert fast is None or (fast.protected is False and fast.cells == general.cells)
    sub = read_submission(decoyed)
    prot = [f for f in sub.findings if f.code == "protection-removed"]
    assert prot, codes(sub)
    # The structure is intact, so it is the warning of a program that dropped protection...
    assert prot[0].severity == "warning" and sub.values == values
    # ...and with any change to the form, the same decoy is part of an error.
    label = f"C{layout.indicator_rows['II.5.2'].row}"
    edited = rewrite(decoyed, tmp_path / f"{name}-label.xlsx",
                     lambda d: re.sub(rb'(<c r="%s"[^>]*><is><t>)[^<]*' % label.encode(),
                                      lambda m: m.group(1) + "Nhãn khác".encode(), d, count=1))
    sub = read_submission(edited)
    assert sub.status == "rejected" and {"label-edited", "protection-removed"} <= set(codes(sub))
    assert next(f for f in sub.findings if f.code == "protection-removed").severity == "error"


def test_the_real_protection_is_read_in_either_form(tmp_path, plain):
    _, _, path = plain
    fast, general = both_paths(path)
    assert fast is not None and fast.protected is True and general.protected is True
    pretty = rewrite(path, tmp_path / "spaced.xlsx",
                     lambda d: d.replace(b"<sheetProtection ", b"\n  <!-- locked -->\n  <sheetProtection   "))
    fast, general = both_paths(pretty)
    assert general.protected is True and (fast is None or fast.protected is True)


CORRUPT_EDITS = {
    # a character reference to no character, in a cell no earlier file had
    "bad-char-ref": lambda d: re.sub(rb'(<c r="C15"[^>]*><is><t>)', rb"\1&#99999999;", d, 1),
    "bad-char-ref-value": lambda d: re.sub(rb'(<c r="E18"[^>]*><v>)[^<]*', rb"\1&#99999999;", d, count=1),
    "truncated-tail": lambda d: d[: d.rindex(b"</worksheet>")],
    "unclosed-comment-after": lambda d: d.replace(b"</sheetData>", b"</sheetData><!-- ", 1),
    "broken-tag-in-tail": lambda d: d.replace(b"<mergeCells", b"<mergeCells <", 1),
    "bad-entity-in-head": lambda d: d.replace(b"<dimension ", b'<dimension x="&bogus;" ', 1),
    "unbound-prefix-in-tail": lambda d: d.replace(b"</sheetData>", b"</sheetData><q:x/>", 1),
}


@pytest.mark.parametrize("name", list(CORRUPT_EDITS))
def test_broken_xml_anywhere_in_the_part_is_file_corrupt(tmp_path, plain, name):
    """Every byte is proved: a break before, among or after the cells is a damaged file, never a
    crash ('file-unreadable') and never a half-read."""
    _, _, path = plain
    assert read_submission(path).status == "accepted"  # its cells are now known to the reader
    broken = rewrite(path, tmp_path / f"{name}.xlsx", CORRUPT_EDITS[name])
    sub = read_submission(broken)
    assert sub.status == "unreadable" and codes(sub) == ["file-corrupt"], codes(sub)


def test_a_dtd_anywhere_is_refused_as_a_bomb(tmp_path, plain):
    _, _, path = plain
    bomb = rewrite(path, tmp_path / "dtd.xlsx", lambda d: b'<!DOCTYPE worksheet [<!ENTITY a "b">]>' + d)
    assert codes(read_submission(bomb)) == ["file-xml-bomb"]


def test_a_sheet_data_hidden_in_a_comment_is_not_read(tmp_path, plain):
    """The split point is proved: a fake <sheetData> inside a comment before the real one (with
    different figures) is a comment."""
    layout, values, path = plain
    ref = layout.cells["II.5.2"]
    fake = b'<!-- <sheetData><row r="1"><c r="%s"><v>999999</v></c></row></sheetData> -->' % ref.encode()
    decoyed = rewrite(path, tmp_path / "fake-data.xlsx", lambda d: d.replace(b"<sheetData>", fake + b"<sheetData>", 1))
    fast, general = both_paths(decoyed)
    assert fast is None or fast.cells == general.cells
    assert general.cells[ref].value == values["II.5.2"]
    sub = read_submission(decoyed)
    assert sub.values == values and sub.status == "accepted"


ODD_BUT_VALID = {
    "encoding-latin1": lambda d: b'<?xml version="1.0" encoding="ISO-8859-1"?>' + d.replace(
        "Xã Kon Pne".encode("utf-8"), "Xa Kon Pne".encode("latin-1")),
    "row-default-namespace": lambda d: d.replace(b'<row r="15"', b'<row xmlns="urn:other" r="15"', 1),
    "cell-namespace": lambda d: d.replace(b'<c r="E16" ', b'<c xmlns="urn:other" r="E16" ', 1),
    "prefixed-attribute": lambda d: d.replace(b"<worksheet ", b'<worksheet xmlns:x14ac="urn:x14ac" ', 1)
    .replace(b'<row r="15"', b'<row x14ac:dyDescent="0.25" r="15"', 1),
    "single-quoted-type": lambda d: re.sub(rb'(<c r="C16" s="\d+") t="inlineStr">', rb"\1 t='inlineStr'>", d, 1),
    "cdata-in-string": lambda d: re.sub(rb'(<c r="C16"[^>]*><is><t>)([^<]*)', rb"\1<![CDATA[\2]]>", d, 1),
    "processing-instruction-in-cell": lambda d: re.sub(rb'(<c r="E18"[^>]*>)<v>', rb"\1<?pi x?><v>", d, count=1),
    "whitespace-in-cells": lambda d: d.replace(b"<v>", b"\n   <v>").replace(b"</c>", b"\n  </c>"),
}


@pytest.mark.parametrize("name", list(ODD_BUT_VALID))
def test_odd_but_valid_xml_reads_like_the_general_path(tmp_path, plain, name):
    _, _, path = plain
    odd = rewrite(path, tmp_path / f"{name}.xlsx", ODD_BUT_VALID[name])
    fast, general = both_paths(odd)
    if fast is not None:
        assert fast.cells == general.cells and fast.protected == general.protected, name
    assert read_sheet(open_workbook(odd.read_bytes()), open_workbook(odd.read_bytes()).sheet(FORM_SHEET)).cells \
        == general.cells


# --- shared formulas -----------------------------------------------------------------------------
def share(data: bytes, master: str, followers: list[str], si: int = 0, formula: bytes | None = None) -> bytes:
    """Make ``master`` the master of a shared formula (its own formula, or ``formula``) and turn
    each follower into ``<f t="shared" si=".."/>`` as Excel writes a filled-down run."""
    refs = [master] + followers
    last = followers[-1] if followers else master
    m = re.search(rb'<c r="%s"([^>]*)><f>([^<]*)</f>' % master.encode(), data)
    body = formula if formula is not None else m.group(2)
    data = data[:m.start()] + b'<c r="%s"%s><f t="shared" ref="%s:%s" si="%d">%s</f>' % (
        master.encode(), m.group(1), master.encode(), last.encode(), si, body) + data[m.end():]
    for ref in followers:
        m = re.search(rb'<c r="%s"([^>]*?)(?:/>|>(.*?)</c>)' % ref.encode(), data)
        data = data[:m.start()] + b'<c r="%s"%s><f t="shared" si="%d"/><v>0</v></c>' % (
            ref.encode(), m.group(1), si) + data[m.end():]
    return data


def test_a_check_formula_filled_down_as_a_shared_formula_is_caught(tmp_path, plain):
    """Excel saves a fill-down as one shared formula; each follower is expanded from its master
    before it is compared, so overwriting check formulas this way is caught, cell by cell."""
    layout, values, path = plain
    checks = [ref for ref, _ in layout.expected_formulas if ref.startswith("F")]
    master, followers = checks[0], checks[1:4]
    filled = rewrite(path, tmp_path / "filled-down.xlsx", lambda d: share(d, master, followers))
    fast, general = both_paths(filled)
    assert fast is not None and fast.cells == general.cells
    expected = dict(layout.expected_formulas)
    for ref in followers:
        (r0, c0), (r1, c1) = (int(master[1:]), 6), (int(ref[1:]), 6)
        assert general.cells[ref].formula == translate(expected[master], r1 - r0, c1 - c0)
    sub = read_submission(filled)
    overwritten = sorted(f.cell for f in sub.findings if f.code == "formula-overwritten")
    assert overwritten == sorted(followers) and sub.status == "rejected"


def test_a_shared_formula_that_expands_to_the_form_is_accepted(tmp_path, plain):
    """A shared run whose every follower, once expanded, is the form's own formula is intact.
    Built on a rule-check column: the master holds a formula written so that moving it gives
    each follower's expected formula (only anchored references and one relative self-reference)."""
    layout, values, path = plain
    # Two cells whose expected formulas differ only by a relative move: find such a pair.
    formulas = dict(layout.expected_formulas)
    pair = None
    for ref, f in formulas.items():
        below = f"{ref[0]}{int(ref[1:]) + 1}"
        if below in formulas and translate(f, 1, 0) == formulas[below] and f != formulas[below]:
            pair = (ref, below)
            break
    if pair is None:
        # The form has no such run: put one in an unchecked column and read it back exactly.
        src = b'<c r="H20"><f>$E$15+E20*2</f><v>0</v></c>'
        def edit(d):
            d = d.replace(b'<row r="20"', b'<row r="20"', 1)
            d = re.sub(rb'(<row r="20"[^>]*>.*?)(</row>)', lambda m: m.group(1) + src + m.group(2), d, 1, re.S)
            d = re.sub(rb'(<row r="21"[^>]*>.*?)(</row>)', lambda m: m.group(1) + b'<c r="H21"><f>0</f></c>' + m.group(2), d, 1, re.S)
            d = re.sub(rb'(<row r="23"[^>]*>.*?)(</row>)', lambda m: m.group(1) + b'<c r="H23"><f>0</f></c>' + m.group(2), d, 1, re.S)
            return share(d, "H20", ["H21", "H23"])
        shared = rewrite(path, tmp_path / "shared-extra.xlsx", edit)
        fast, general = both_paths(shared)
        assert fast is not None and fast.cells == general.cells
        assert general.cells["H21"].formula == "=$E$15+E21*2"
        assert general.cells["H23"].formula == "=$E$15+E23*2"
        assert read_submission(shared).values == values
        return
    shared = rewrite(path, tmp_path / "shared.xlsx", lambda d: share(d, pair[0], [pair[1]]))
    assert read_submission(shared).status == "accepted"


def test_a_follower_without_its_master_is_a_damaged_file(tmp_path, plain):
    _, _, path = plain
    orphan = rewrite(path, tmp_path / "orphan.xlsx",
                     lambda d: re.sub(rb'(<c r="E18"[^>]*>)<v>', rb'\1<f t="shared" si="7"/><v>', d, count=1))
    assert codes(read_submission(orphan)) == ["file-corrupt"]


# --- formulas compared by meaning ---------------------------------------------------------------
@pytest.mark.parametrize("found, expected", [
    ("=SUMPRODUCT(-(-(LEN(F14:F20)>0)))", "=SUMPRODUCT(--(LEN(F14:F20)>0))"),  # Gnumeric
    ("=if( and(isnumber(e15), isnumber($E$16)) , e15/E16 , \"\" )", '=IF(AND(ISNUMBER(E15),ISNUMBER(E16)),E15/E16,"")'),
    ("=((E15))+(E16*2)", "=E15+E16*2"),
    ("=+E15", "=E15"),
    ("=_xlfn.IFS(E15>0,1)", "=IFS(E15>0,1)"),
    ("='Phụ lục'!E15+1", "=E15+1"),
    ("=E15>=0.50", "=E15>=.5"),
    ("=TRUE()", "=TRUE"),
])
def test_equivalent_rewrites_are_the_same_formula(found, expected):
    assert same_meaning(found, expected, "Phụ lục")


@pytest.mark.parametrize("found, expected", [
    ("=E15+E16", "=E15-E16"),
    ("=(E15+E16)*2", "=E15+E16*2"),
    ("=-E15", "=--E15"),
    ('=IF(E15="Có","x","")', '=IF(E15="Co","x","")'),  # string literals are exact
    ('=IF(E15="có","x","")', '=IF(E15="Có","x","")'),
    ("=E15", "=E16"),
    ("=SUM(E15,E16)", "=SUM(E15:E16)"),
    ("=Sheet2!E15", "=E15"),
    ("=IF(E15,1,)", "=IF(E15,1)"),
    ("=E15>=0.5", "=E15>0.5"),
    ("", "=E15"),
    ("=E15 +", "=E15"),  # unreadable: never equal
])
def test_changes_of_meaning_are_different_formulas(found, expected):
    assert not same_meaning(found, expected, "Phụ lục")


def test_every_formula_of_every_form_is_understood():
    catalog = load_catalog()
    for level in ("xa", "huyen", "tinh"):
        for form in ("own", "consolidated"):
            for ref, formula in form_layout(catalog.version, level, form).expected_formulas:
                assert canonical(formula), (level, form, ref)


# --- shared strings and Excel's per-file values ------------------------------------------------------
from qcdc_excel.reader import _SKELETONS, _fast_shared_strings, _general_shared_strings  # noqa: E402

from .dialects import to_excel  # noqa: E402

SST_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">')
SST_DECOYS = {
    # taken by the fast path, and read as a parser reads them
    "plain": ('<si><t>Xã Kon Pne</t></si><si><t xml:space="preserve"> a  b </t></si>'.encode(), True),
    "entities": (b"<si><t>A &amp; B &lt;3 &#x1EA0;&#7840;&quot;</t></si>", True),
    "line-breaks": (b"<si><t>m\xe1\xbb\x99t\r\nhai\rba</t></si>", True),
    "rich-runs": ('<si><r><rPr><b/><sz val="11"/></rPr><t>Đậm</t></r><r><t xml:space="preserve"> thường</t></r></si>'
                  .encode(), True),
    "phonetic": (b"<si><t>Kanji</t><rPh sb=\"0\" eb=\"1\"><t>kana</t></rPh><phoneticPr fontId=\"1\"/></si>", True),
    "empty-items": (b"<si/><si><t/></si><si><t></t></si>", True),
    # left to the general path (or read the same)
    "comment": (b"<si><t>A</t></si><!-- <si><t>decoy</t></si> --><si><t>B</t></si>", False),
    "cdata": (b"<si><t><![CDATA[<b>x</b>]]></t></si>", False),
    "instruction": (b"<si><t>A<?pi x?>B</t></si>", False),
    "prefixed": (b'<si><x:t xmlns:x="urn:x">decoy</x:t><t>real</t></si>', False),
    "default-namespace": (b'<si xmlns="urn:other"><t>other</t></si>', False),
    "nested-item": (b"<si><foo><si><t>inner</t></si></foo><t>outer</t></si>", False),
    "text-between": (b"<si><t>A</t></si>stray<si><t>B</t></si>", False),
}


@pytest.mark.parametrize("name", sorted(SST_DECOYS))
def test_shared_strings_fast_path_reads_what_a_parser_reads(name):
    body, fast_expected = SST_DECOYS[name]
    data = SST_HEAD + body + b"</sst>"
    fast, general = _fast_shared_strings(data), _general_shared_strings(data)
    assert (fast is not None) == fast_expected, name
    assert fast is None or fast == general, (name, fast, general)


def test_shared_strings_that_are_not_xml_or_not_utf8_go_the_general_way():
    assert _fast_shared_strings(SST_HEAD + b"<si><t>A</si></sst>") is None  # not well-formed
    latin = SST_HEAD.replace(b"UTF-8", b"ISO-8859-1") + "<si><t>Xã</t></si></sst>".encode("latin-1")
    assert _fast_shared_strings(latin) is None and _general_shared_strings(latin) == ["Xã"]
    dtd = b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "b">]>' + SST_HEAD[SST_HEAD.index(b"<sst"):] + b"</sst>"
    assert _fast_shared_strings(dtd) is None


def test_excel_files_with_their_own_salt_share_one_proof_and_read_alike(tmp_path, plain):
    """Every file Excel saves has a new salt and hash in its protection: one skeleton proof serves
    them all, and a protection that really differs is still read as it is."""
    layout, values, path = plain
    a, b = to_excel(path.read_bytes()), to_excel(path.read_bytes())
    def salt(data):
        with zipfile.ZipFile(__import__("io").BytesIO(data)) as zf:
            return re.search(rb'saltValue="([^"]+)"', zf.read(FORM_PART)).group(1)
    assert salt(a) != salt(b)
    (tmp_path / "a.xlsx").write_bytes(a)
    (tmp_path / "b.xlsx").write_bytes(b)
    fa, ga = both_paths(tmp_path / "a.xlsx")
    before = len(_SKELETONS)
    fb, gb = both_paths(tmp_path / "b.xlsx")
    assert len(_SKELETONS) == before  # the second file's skeleton was already proved
    assert fa.cells == ga.cells == fb.cells == gb.cells and fb.protected is gb.protected is True
    # same salt and hash, protection switched off: a new skeleton, read as unprotected
    off = rewrite(tmp_path / "b.xlsx", tmp_path / "off.xlsx",
                  lambda d: re.sub(rb'(<sheetProtection\b[^>]*?)\ssheet="1"', rb'\1 sheet="0"', d, 1))
    fo, go = both_paths(off)
    assert go.protected is False and fo is not None and fo.protected is False
    assert read_submission(tmp_path / "b.xlsx").values == read_submission(path).values


# The specification of the volatile values (salts, hashes, GUIDs) that are blanked before a
# skeleton is proved: one pattern with a look-behind, as it was first written. The reader finds
# them with bytes.find; both must blank exactly the same bytes.
_VOLATILE_SPEC = re.compile(rb'(?<=Value=")[A-Za-z0-9+/=]{8,200}(?=")|\{[0-9A-Fa-f-]{32,36}\}')


def _canonical_spec(part: bytes) -> bytes:
    return _VOLATILE_SPEC.sub(lambda m: b"A" * len(m.group(0)) if m.group(0)[:1] != b"{"
                              else re.sub(rb"[0-9A-Fa-f]", b"0", m.group(0)), part)


def test_volatile_values_are_blanked_exactly_as_the_pattern_says(plain):
    """Random mixtures of the pieces that matter (quotes, braces, base64 runs of every length
    around the limits, GUIDs, near-misses), and the real parts of Excel files."""
    import random

    from qcdc_excel.reader import _canonical
    from .dialects import to_excel

    rng = random.Random(13)
    pieces = [b'Value="', b'hashValue="', b'"', b"{", b"}", b"-", b"A", b"f", b"0", b"+", b"/", b"=", b"x", b" ",
              b"Value=\"" + b"Q" * 7, b"Q" * 8, b"Q" * 200, b"Q" * 201, b"{" + b"a" * 32 + b"}",
              b"{" + b"1" * 36 + b"}", b"{" + b"1" * 37 + b"}", b"{{" + b"B" * 32 + b"}"]
    for _ in range(30_000):
        part = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert _canonical(part) == _canonical_spec(part), part
    _, _, path = plain
    with zipfile.ZipFile(__import__("io").BytesIO(to_excel(path.read_bytes()))) as zf:
        for name in zf.namelist():
            if name.endswith(".xml"):
                data = zf.read(name)
                assert _canonical(data) == _canonical_spec(data)
                if name == FORM_PART:
                    assert _canonical(data) != data  # the salt, the hash and the GUID were there


def test_a_negative_shared_string_index_is_a_damaged_file_on_both_paths(tmp_path, plain):
    """Python would read index -1 as the last string; a shared-string cell that points before the
    table is a damaged file, whichever path reads it."""
    from qcdc_excel.reader import Unreadable
    from .dialects import to_excel

    _, _, path = plain
    excel = tmp_path / "excel.xlsx"
    excel.write_bytes(to_excel(path.read_bytes()))
    with zipfile.ZipFile(excel) as zf:
        sheet = zf.read(FORM_PART)
    m = re.search(rb'(<c r="[A-Z]+[0-9]+"[^>]*\st="s"[^>]*><v>)([0-9]+)(</v>)', sheet)
    assert m, "the Excel dialect keeps labels as shared strings"
    bad = rewrite(excel, tmp_path / "negative.xlsx",
                  lambda d: d[:m.start()] + m.group(1) + b"-1" + m.group(3) + d[m.end():])
    raw = open_workbook(bad.read_bytes())
    info = raw.sheet(FORM_SHEET)
    with pytest.raises(Unreadable):
        _fast_sheet(raw, info.name, read_part(raw.zf, info.part))
    with pytest.raises(Unreadable):
        read_sheet(raw, info, fast=False)
    assert read_submission(bad).status == "unreadable"
