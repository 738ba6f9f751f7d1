"""Excel's own file dialect, reproduced: a workbook as Microsoft Excel would save it.

Excel cannot run here, so the tests rewrite a package written by openpyxl (our templates and the
forms filled in tests) into the dialect Excel writes, learnt from Excel-made files in public
repositories (the comparison files of jmcnamara/XlsxWriter, xlsxwriter/test/comparison/xlsx_files/,
e.g. protect02.xlsx, formula_results01.xlsx, shared_strings01.xlsx — read, never copied) and from
ECMA-376 (Part 1 §18.3.1.40 shared formulas, §18.2.29/§18.3.1.85 SHA-512 protection, Part 1 §A
Strict namespaces):

* every text cell in one shared-strings table (``t="s"``; Excel writes no inline strings), with
  ``xml:space="preserve"`` where white space would otherwise be lost;
* formulas with a cached ``<v>`` (``t="str"`` for a text result, as Excel writes it), and a
  ``xl/calcChain.xml`` listing every formula cell, the first of a sheet with ``i="<sheet>"``;
* a run that a person filled down stored once, as a *shared formula*: the master
  ``<f t="shared" ref="F15:F18" si="0">…</f>`` and followers ``<f t="shared" si="0"/>``;
* rows with ``spans="first:last"`` and ``x14ac:dyDescent``, the worksheet root declaring
  ``mc:Ignorable="x14ac xr xr2 xr3"`` and carrying an ``xr:uid``, ``<sheetFormatPr … x14ac:dyDescent>``;
* sheet and workbook protection as SHA-512 hashes with a random salt and 100 000 spins
  (``algorithmName``/``hashValue``/``saltValue``/``spinCount``; ``workbookAlgorithmName``…);
* ``<fileVersion appName="xl" …>``, ``<calcPr calcId=…>``, ``docProps/app.xml`` naming Excel, the
  XML declaration with ``standalone="yes"`` followed by CRLF;
* optionally the "Strict Open XML Spreadsheet" save: the same parts under the purl.oclc.org
  namespaces and relationship types, ``conformance="strict"`` on the workbook.

Parsing is ElementTree's and packaging zipfile's; the code is the project's own.
"""
from __future__ import annotations

import base64
import hashlib
import io
import re
import secrets
import zipfile
import xml.etree.ElementTree as ET

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
XR = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
XR2 = "http://schemas.microsoft.com/office/spreadsheetml/2015/revision2"
XR3 = "http://schemas.microsoft.com/office/spreadsheetml/2016/revision3"
XML_NS = "http://www.w3.org/XML/1998/namespace"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

STRICT = {
    MAIN: "http://purl.oclc.org/ooxml/spreadsheetml/main",
    REL: "http://purl.oclc.org/ooxml/officeDocument/relationships",
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties":
        "http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
    "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes":
        "http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes",
    "http://schemas.openxmlformats.org/drawingml/2006/main": "http://purl.oclc.org/ooxml/drawingml/main",
}
STRICT_REL_TYPES = {REL + "/extended-properties": STRICT[REL] + "/extendedProperties"}

CT_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
CT_CALC = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
CT_APP = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
SPINS = 100_000



def _register() -> None:
    """Our prefixes for serialising (ElementTree's table is global and other libraries, openpyxl
    among them, register their own: set ours again before every write)."""
    for prefix, uri in (("", MAIN), ("r", REL), ("mc", MC), ("x14ac", X14AC), ("xr", XR), ("xr2", XR2),
                        ("xr3", XR3)):
        ET.register_namespace(prefix, uri)


def q(tag: str, ns: str = MAIN) -> str:
    return f"{{{ns}}}{tag}"


# --- protection ---------------------------------------------------------------------------------
def sha512_protection(password: str, salt: bytes | None = None, spins: int = SPINS) -> tuple[str, str]:
    """(hashValue, saltValue) as Excel computes them: H0 = SHA-512(salt + UTF-16LE(password)),
    then H(n+1) = SHA-512(H(n) + little-endian uint32 n), ``spins`` times; both base64."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.sha512(salt + password.encode("utf-16-le")).digest()
    for n in range(spins):
        digest = hashlib.sha512(digest + n.to_bytes(4, "little")).digest()
    return base64.b64encode(digest).decode(), base64.b64encode(salt).decode()


def verify_protection(password: str, hash_value: str, salt_value: str, spins: int) -> bool:
    return sha512_protection(password, base64.b64decode(salt_value), spins)[0] == hash_value


# --- references (tests only: deliberately a second implementation, independent of
# qcdc_excel.formulas, so that the package's expansion of shared formulas is checked against it) ---
_REF = re.compile(r'"(?:[^"]|"")*"|(\$?)([A-Z]{1,3})(\$?)([0-9]+)(?![0-9A-Za-z_(])')


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def move(formula: str, drow: int, dcol: int) -> str:
    """``formula`` copied ``drow`` rows down and ``dcol`` columns right (relative parts move)."""
    def one(m):
        if m.group(2) is None:
            return m.group(0)  # a string literal
        c_abs, col, r_abs, row = m.groups()
        c = _col(col) + (0 if c_abs else dcol)
        r = int(row) + (0 if r_abs else drow)
        return f"{c_abs}{_letters(c)}{r_abs}{r}"
    return _REF.sub(one, formula)


def split_ref(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]{1,3})([0-9]+)", ref)
    return int(m.group(2)), _col(m.group(1))


# --- the package ----------------------------------------------------------------------------------
class Package:
    """An .xlsx held as parts (name -> bytes), in the order the zip had them."""

    def __init__(self, data: bytes):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            self.parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}

    def xml(self, name: str) -> ET.Element:
        return ET.fromstring(self.parts[name])

    def put(self, name: str, root: ET.Element) -> None:
        _register()
        ET.register_namespace("", root.tag[1:].split("}")[0])  # the root's namespace unprefixed, as Excel writes it
        self.parts[name] = DECLARATION + _tight(ET.tostring(root, encoding="utf-8", xml_declaration=False))

    def sheets(self) -> list[tuple[str, str]]:
        """(sheet name, part) in workbook order."""
        rels = {r.get("Id"): r.get("Target") for r in self.xml("xl/_rels/workbook.xml.rels")}
        out = []
        for sheet in self.xml("xl/workbook.xml").iter(q("sheet")):
            target = rels[sheet.get(q("id", REL))]
            out.append((sheet.get("name"), target.lstrip("/") if target.startswith("/") else "xl/" + target))
        return out

    def bytes(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, body in self.parts.items():
                zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), body,
                            compress_type=zipfile.ZIP_DEFLATED)
        return out.getvalue()


def _cell_text(cell: ET.Element) -> str | None:
    """The text of a string cell (inline or plain ``t="str"`` without a formula)."""
    if cell.get("t") == "inlineStr":
        node = cell.find(q("is"))
        return "".join(t.text or "" for t in node.iter(q("t"))) if node is not None else ""
    if cell.get("t") == "str" and cell.find(q("f")) is None:
        v = cell.find(q("v"))
        return v.text or "" if v is not None else ""
    return None


def _string_item(text: str) -> ET.Element:
    si = ET.Element(q("si"))
    t = ET.SubElement(si, q("t"))
    t.text = text
    if text != text.strip() or "\n" in text:
        t.set(f"{{{XML_NS}}}space", "preserve")
    return si


def _excel_sheet(root: ET.Element, strings: dict[str, int], password: str) -> list[str]:
    """Rewrite one worksheet tree in place; returns its formula cells in order."""
    formulas = []
    fmt = root.find(q("sheetFormatPr"))
    if fmt is not None:
        fmt.set(q("dyDescent", X14AC), "0.25")
    for row in root.iter(q("row")):
        cols = [split_ref(c.get("r"))[1] for c in row.findall(q("c"))]
        if cols:
            row.set("spans", f"{min(cols)}:{max(cols)}")
        row.set(q("dyDescent", X14AC), "0.25")
        for cell in row.findall(q("c")):
            text = _cell_text(cell)
            if text is not None:
                for child in list(cell):
                    cell.remove(child)
                cell.set("t", "s")
                ET.SubElement(cell, q("v")).text = str(strings.setdefault(text, len(strings)))
                continue
            f = cell.find(q("f"))
            if f is None:
                if cell.get("t") == "n":
                    del cell.attrib["t"]  # Excel leaves the default type out
                continue
            formulas.append(cell.get("r"))
            v = cell.find(q("v"))
            if v is None:
                v = ET.SubElement(cell, q("v"))
            if not (v.text or "").strip():
                cell.set("t", "str")  # a cached result Excel would hold: text, empty until recalculated
                v.text = ""
            elif cell.get("t") == "n":
                del cell.attrib["t"]
    prot = root.find(q("sheetProtection"))
    if prot is not None:
        keep = {k: v for k, v in prot.attrib.items() if k not in ("password", "algorithmName", "hashValue",
                                                                     "saltValue", "spinCount")}
        hash_value, salt = sha512_protection(password)
        prot.attrib.clear()
        prot.attrib.update({"algorithmName": "SHA-512", "hashValue": hash_value, "saltValue": salt,
                            "spinCount": str(SPINS), **keep})
    root.set(q("uid", XR), "{%s}" % secrets.token_hex(16).upper())
    return formulas


def _tight(xml: bytes) -> bytes:
    """Empty elements closed as Excel closes them ("/>", no space): only inside tags, since a
    "<" never stands unescaped in text."""
    return re.sub(rb"(<[^<>]*?) />", rb"\1/>", xml)


def _root_tag(xml: bytes, tag: bytes, declarations: bytes) -> bytes:
    """Replace the namespace declarations of the root start tag by ``declarations``."""
    m = re.search(rb"<%s\b([^>]*)>" % tag, xml)
    attrs = re.sub(rb'\s+xmlns(?::\w+)?="[^"]*"', b"", m.group(1))
    return xml[:m.start()] + b"<" + tag + b" " + declarations + attrs + b">" + xml[m.end():]


SHEET_DECLARATIONS = (f'xmlns="{MAIN}" xmlns:r="{REL}" xmlns:mc="{MC}" mc:Ignorable="x14ac xr xr2 xr3" '
                      f'xmlns:x14ac="{X14AC}" xmlns:xr="{XR}" xmlns:xr2="{XR2}" xmlns:xr3="{XR3}"').encode()


def to_excel(data: bytes, *, strict: bool = False, password: str = "qcdc") -> bytes:
    """``data`` (an .xlsx package) as Excel saves it (see the module docstring)."""
    pkg = Package(data)
    strings: dict[str, int] = {}
    chain: list[tuple[int, str]] = []
    sheets = pkg.sheets()
    for index, (_, part) in enumerate(sheets, start=1):
        root = pkg.xml(part)
        chain += [(index, ref) for ref in _excel_sheet(root, strings, password)]
        _register()
        body = ET.tostring(root, encoding="utf-8", xml_declaration=False)
        body = _tight(body).replace(b"<v/>", b"<v></v>")
        pkg.parts[part] = DECLARATION + _root_tag(body, b"worksheet", SHEET_DECLARATIONS)

    # the shared strings and the calculation chain, with their relationships and content types
    sst = ET.Element(q("sst"), {"count": str(len(strings)), "uniqueCount": str(len(strings))})
    for text in sorted(strings, key=strings.get):
        sst.append(_string_item(text))
    pkg.put("xl/sharedStrings.xml", sst)
    calc = ET.Element(q("calcChain"))
    last = None
    for index, ref in chain:
        attrs = {"r": ref}
        if index != last:
            attrs["i"] = str(index)
            last = index
        ET.SubElement(calc, q("c"), attrs)
    if chain:
        pkg.put("xl/calcChain.xml", calc)
    rels = pkg.xml("xl/_rels/workbook.xml.rels")
    for rel in list(rels):
        if rel.get("Type", "").endswith(("/sharedStrings", "/calcChain")):
            rels.remove(rel)
    for n, (kind, target) in enumerate((("sharedStrings", "sharedStrings.xml"), ("calcChain", "calcChain.xml"))):
        if kind == "calcChain" and not chain:
            continue
        ET.SubElement(rels, q("Relationship", PKG_REL),
                      {"Id": f"rIdXl{n}", "Type": f"{REL}/{kind}", "Target": target})
    pkg.put("xl/_rels/workbook.xml.rels", rels)
    types = pkg.xml("[Content_Types].xml")
    for over in list(types):
        if over.get("PartName") in ("/xl/sharedStrings.xml", "/xl/calcChain.xml"):
            types.remove(over)
    ET.SubElement(types, q("Override", CT), {"PartName": "/xl/sharedStrings.xml", "ContentType": CT_STRINGS})
    if chain:
        ET.SubElement(types, q("Override", CT), {"PartName": "/xl/calcChain.xml", "ContentType": CT_CALC})
    pkg.put("[Content_Types].xml", types)

    # the workbook: Excel's file version and calculation id, SHA-512 structure protection
    book = pkg.xml("xl/workbook.xml")
    for old in book.findall(q("fileVersion")):
        book.remove(old)
    book.insert(0, ET.Element(q("fileVersion"), {"appName": "xl", "lastEdited": "7", "lowestEdited": "7",
                                                 "rupBuild": "27328"}))
    prot = book.find(q("workbookProtection"))
    if prot is not None:
        keep = {k: v for k, v in prot.attrib.items() if not k.startswith("workbook")}
        hash_value, salt = sha512_protection(password)
        prot.attrib.clear()
        prot.attrib.update({"workbookAlgorithmName": "SHA-512", "workbookHashValue": hash_value,
                            "workbookSaltValue": salt, "workbookSpinCount": str(SPINS), **keep,
                            "lockStructure": "1"})
    calc_pr = book.find(q("calcPr"))
    if calc_pr is None:
        calc_pr = ET.SubElement(book, q("calcPr"))
    calc_pr.attrib.clear()
    calc_pr.set("calcId", "191029")
    pkg.put("xl/workbook.xml", book)
    pkg.parts["docProps/app.xml"] = _app_xml([name for name, _ in sheets])
    out = pkg.bytes()
    return _strict(out) if strict else out


def _app_xml(sheet_names: list[str]) -> bytes:
    ep = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
    vt = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
    titles = "".join(f"<vt:lpstr>{_esc(n)}</vt:lpstr>" for n in sheet_names)
    return DECLARATION + (
        f'<Properties xmlns="{ep}" xmlns:vt="{vt}"><Application>Microsoft Excel</Application><DocSecurity>0'
        f'</DocSecurity><ScaleCrop>false</ScaleCrop><HeadingPairs><vt:vector size="2" baseType="variant">'
        f'<vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>{len(sheet_names)}</vt:i4>'
        f'</vt:variant></vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="{len(sheet_names)}" '
        f'baseType="lpstr">{titles}</vt:vector></TitlesOfParts><LinksUpToDate>false</LinksUpToDate>'
        f'<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0300'
        f'</AppVersion></Properties>').encode("utf-8")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _strict(data: bytes) -> bytes:
    """The package as Excel's "Strict Open XML Spreadsheet" save writes it."""
    pkg = Package(data)
    for name, body in list(pkg.parts.items()):
        if not name.endswith((".xml", ".rels")):
            continue
        text = body.decode("utf-8")
        for plain, strict in STRICT_REL_TYPES.items():
            text = text.replace(plain, strict)
        for plain, strict in STRICT.items():
            text = text.replace(plain, strict)
        if name == "xl/workbook.xml":
            text = re.sub(r"<workbook\b", '<workbook conformance="strict"', text, count=1)
        pkg.parts[name] = text.encode("utf-8")
    return pkg.bytes()


# --- what a person does in Excel ------------------------------------------------------------------
def _sheet_part(pkg: Package, sheet_name: str) -> str:
    return dict(pkg.sheets())[sheet_name]


def _find_cell(root: ET.Element, ref: str) -> ET.Element:
    row_no = split_ref(ref)[0]
    for row in root.iter(q("row")):
        if int(row.get("r")) == row_no:
            for cell in row.findall(q("c")):
                if cell.get("r") == ref:
                    return cell
            cell = ET.SubElement(row, q("c"), {"r": ref})
            return cell
    raise KeyError(ref)


def fill_down(data: bytes, sheet_name: str, source_ref: str, target_range: str) -> bytes:
    """The formula of ``source_ref`` filled down over ``target_range`` (which starts with it), saved
    as Excel saves a fill-down: one shared formula, the source its master, the rest followers."""
    pkg = Package(data)
    part = _sheet_part(pkg, sheet_name)
    root = pkg.xml(part)
    first, last = target_range.split(":")
    assert first == source_ref, "Excel's fill-down starts at the source"
    (r0, c0), (r1, _) = split_ref(first), split_ref(last)
    si = 1 + max((int(f.get("si")) for f in root.iter(q("f")) if f.get("si")), default=-1)
    master = _find_cell(root, source_ref)
    f = master.find(q("f"))
    f.attrib.update({"t": "shared", "ref": target_range, "si": str(si)})
    for row in range(r0 + 1, r1 + 1):
        cell = _find_cell(root, f"{_letters(c0)}{row}")
        style = cell.get("s")
        cell.attrib.clear()
        cell.attrib.update({"r": f"{_letters(c0)}{row}", **({"s": style} if style else {})})
        for child in list(cell):
            cell.remove(child)
        ET.SubElement(cell, q("f"), {"t": "shared", "si": str(si)})
    pkg.put(part, root)
    return pkg.bytes()


def overwrite_formula(data: bytes, sheet_name: str, ref: str, formula: str) -> bytes:
    """``ref`` given ``formula`` (without "="), as typing it in would."""
    pkg = Package(data)
    part = _sheet_part(pkg, sheet_name)
    root = pkg.xml(part)
    cell = _find_cell(root, ref)
    for child in list(cell):
        cell.remove(child)
    cell.attrib.pop("t", None)
    ET.SubElement(cell, q("f")).text = formula
    pkg.put(part, root)
    return pkg.bytes()


def expanded_formulas(data: bytes, sheet_name: str) -> dict[str, str]:
    """Every formula of a sheet, shared ones expanded (the tests' own reading, for comparison)."""
    pkg = Package(data)
    ns = MAIN if not any(STRICT[MAIN].encode() in b for b in pkg.parts.values()) else STRICT[MAIN]
    root = ET.fromstring(pkg.parts[_strict_aware_part(pkg, sheet_name)])
    masters, out, followers = {}, {}, []
    for cell in root.iter(f"{{{ns}}}c"):
        f = cell.find(f"{{{ns}}}f")
        if f is None:
            continue
        if f.text:
            out[cell.get("r")] = f.text
            if f.get("t") == "shared":
                masters[f.get("si")] = (cell.get("r"), f.text)
        elif f.get("t") == "shared":
            followers.append((cell.get("r"), f.get("si")))
    for ref, si in followers:
        m_ref, text = masters[si]
        (r0, c0), (r1, c1) = split_ref(m_ref), split_ref(ref)
        out[ref] = move(text, r1 - r0, c1 - c0)
    return out


def _strict_aware_part(pkg: Package, sheet_name: str) -> str:
    rels_xml = pkg.parts["xl/_rels/workbook.xml.rels"].decode()
    book = pkg.parts["xl/workbook.xml"].decode()
    m = re.search(r'<sheet\b[^>]*name="%s"[^>]*?\s\w+:id="([^"]+)"' % re.escape(_esc(sheet_name)), book)
    target = re.search(r'<Relationship\b[^>]*Id="%s"[^>]*Target="([^"]+)"' % m.group(1), rels_xml) or \
        re.search(r'<Relationship\b[^>]*Target="([^"]+)"[^>]*Id="%s"' % m.group(1), rels_xml)
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t
