"""Read a returned workbook safely: what kind of file it is, then only the XML parts we need.

A submission is bytes from a stranger. Before anything is parsed the file is sniffed (empty,
too large, legacy .xls, password-encrypted, HTML or CSV renamed, .xlsb, .ods, macro-enabled),
the zip is opened from memory (the input file is never touched again), every part is read with a
hard cap on its decompressed size (zip bombs stop at the cap whatever the headers claim), and XML
is parsed with defusedxml or expat with any DTD refused (no entities: XML bombs are refused).

Only three parts are read: the workbook (sheet names, states, structure protection), the metadata
sheet and the form sheet. A sheet's cells (typed value and formula) and its sheet-protection
element are picked out by the fast path (one regular expression, well-formedness proved by expat
cell by cell, ~0.5 ms for a form) or, for XML it cannot take exactly, by an element-by-element
defusedxml pass; the conditional formats and data validations that make up most of the bytes are
never parsed.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import NamedTuple

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse
from xml.etree.ElementTree import ParseError

MAX_FILE_BYTES = 20 * 1024 * 1024  # a filled form is ~50 KB; anything this big is not one
MAX_PART_BYTES = 40 * 1024 * 1024  # decompressed cap for any one XML part
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # declared decompressed size of the whole zip
MAX_ENTRIES = 2000

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
# Children of <worksheet> that may come between sheetData and sheetProtection (schema order).
_BEFORE_PROTECTION = {"sheetData", "sheetCalcPr", "sheetProtection"}


class Unreadable(Exception):
    """The file cannot be read as an .xlsx form; ``code`` names why (a finding code)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class Cell(NamedTuple):
    value: object  # float, str or bool (None only with a formula); never a cached formula result
    formula: str | None = None
    kind: str = "n"  # the XML cell type: n, s, str, inlineStr, b, e, d


@dataclass
class SheetInfo:
    name: str
    state: str  # visible | hidden | veryHidden
    part: str  # zip path of the sheet XML


@dataclass
class SheetData:
    name: str
    cells: dict[str, Cell] = field(default_factory=dict)
    protected: bool = False

    def value(self, ref: str) -> object:
        cell = self.cells.get(ref)
        return None if cell is None else cell.value

    def formula(self, ref: str) -> str | None:
        cell = self.cells.get(ref)
        return None if cell is None else cell.formula


@dataclass
class RawWorkbook:
    """What the zip holds, before any sheet is parsed."""
    zf: zipfile.ZipFile
    sheets: list[SheetInfo]
    structure_protected: bool
    external_links: bool
    _strings: list[str] | None = None

    def sheet(self, name: str) -> SheetInfo | None:
        return next((s for s in self.sheets if s.name == name), None)

    def shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = _read_shared_strings(self.zf)
        return self._strings


def sniff(data: bytes) -> None:
    """Refuse what is not an .xlsx at all, naming what it is."""
    if not data:
        raise Unreadable("file-empty")
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable("file-too-large", size_mb=round(len(data) / 1048576, 1),
                         limit_mb=MAX_FILE_BYTES // 1048576)
    if data.startswith(_OLE_MAGIC):
        # OOXML encrypted with a password is an OLE container holding EncryptionInfo.
        if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptedPackage" in data \
                or "EncryptedPackage".encode("utf-16-le") in data:
            raise Unreadable("file-encrypted")
        raise Unreadable("file-xls")
    if not data.startswith(b"PK"):
        head = data[:4096]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 ("Unicode Text" export)
            try:
                head = head.decode("utf-16").encode("utf-8")
            except UnicodeDecodeError:
                pass
        low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if low.startswith(b"<?xml") and b"<html" not in low:  # e.g. "XML Spreadsheet 2003"
            raise Unreadable("file-not-xlsx", kind="XML")
        if any(tag in low for tag in (b"<html", b"<table", b"<!doctype html", b"<body")):
            raise Unreadable("file-html")
        if low.startswith(b"<"):
            raise Unreadable("file-not-xlsx", kind="XML")
        try:
            low.decode("utf-8")
            text = True
        except UnicodeDecodeError:
            text = b"\x00" not in low
        if text:
            raise Unreadable("file-csv")
        raise Unreadable("file-not-xlsx", kind="?")


def open_workbook(data: bytes) -> RawWorkbook:
    """Open ``data`` as an .xlsx package, refusing anything unsafe or of another kind."""
    sniff(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        raise Unreadable("file-corrupt") from None
    if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
        raise Unreadable("file-zip-bomb")
    names = {i.filename for i in infos}
    if "mimetype" in names and "content.xml" in names:
        raise Unreadable("file-ods")
    if "xl/workbook.bin" in names:
        raise Unreadable("file-xlsb")
    content_types = read_part(zf, "[Content_Types].xml", required=False) or b""
    if "xl/vbaProject.bin" in names or b"macroEnabled" in content_types:
        raise Unreadable("file-xlsm")
    if "xl/workbook.xml" not in names:
        kind = "Word" if "word/document.xml" in names else ("PowerPoint" if "ppt/presentation.xml" in names else "zip")
        raise Unreadable("file-not-xlsx", kind=kind)

    rels = {}
    for el in _parse_small(read_part(zf, "xl/_rels/workbook.xml.rels", required=False) or b"<r/>"):
        if el.tag == f"{NS_PKG_REL}Relationship":
            target = el.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            rels[el.get("Id")] = part
    sheets, protected = [], False
    for el in _parse_small(read_part(zf, "xl/workbook.xml")):
        if el.tag == f"{NS_MAIN}sheet":
            sheets.append(SheetInfo(el.get("name", ""), el.get("state", "visible"),
                                    rels.get(el.get(f"{NS_REL}id"), "")))
        elif el.tag == f"{NS_MAIN}workbookProtection":
            # LibreOffice re-saves a protected structure as a bare <workbookProtection/>.
            protected = True
    external = any(n.startswith("xl/externalLinks/") for n in names)
    return RawWorkbook(zf, sheets, protected, external)


def read_part(zf: zipfile.ZipFile, name: str, required: bool = True, limit: int = MAX_PART_BYTES) -> bytes | None:
    """A zip member's bytes, never more than ``limit`` decompressed (a bomb stops here)."""
    try:
        with zf.open(name) as fh:
            chunks, size = [], 0
            while size <= limit:  # in chunks: a lying header cannot make us allocate the cap at once
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
    except KeyError:
        if required:
            raise Unreadable("file-corrupt") from None
        return None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError):
        # RuntimeError: a member encrypted with a zip password.
        raise Unreadable("file-corrupt") from None
    if len(data) > limit:
        raise Unreadable("file-zip-bomb")
    return data


def _parse(data: bytes, what: str, events=("end",)):
    """Iterate elements of an XML part with defusedxml; bombs and garbage become Unreadable."""
    try:
        for event, el in iterparse(io.BytesIO(data), events=events, forbid_dtd=True):
            yield el if events == ("end",) else (event, el)
    except DefusedXmlException:
        raise Unreadable("file-xml-bomb") from None
    except ParseError:
        raise Unreadable("file-corrupt") from None


def _parse_small(data: bytes):
    """Every element of a small XML part (document order), parsed whole with defusedxml."""
    try:
        return fromstring(data, forbid_dtd=True).iter()
    except DefusedXmlException:
        raise Unreadable("file-xml-bomb") from None
    except ParseError:
        raise Unreadable("file-corrupt") from None


def _text_of(el) -> str:
    """Text of a string item, skipping phonetic runs."""
    parts = []
    for node in el.iter():
        if node.tag == f"{NS_MAIN}t":
            parts.append(node.text or "")
        elif node.tag == f"{NS_MAIN}rPh":
            break
    return "".join(parts)


def _read_shared_strings(zf: zipfile.ZipFile) -> list[str]:
    data = read_part(zf, "xl/sharedStrings.xml", required=False)
    if not data:
        return []
    out = []
    for el in _parse(data, "sharedStrings"):
        if el.tag == f"{NS_MAIN}si":
            out.append(_text_of(el))
            el.clear()
    return out


# --- the fast path ------------------------------------------------------------------------------
# A form sheet is ~110 KB of XML; walking it element by element in Python costs ~8 ms. Instead one
# regular expression splits <sheetData> into cells, and well-formedness is proved piece by piece
# (see _fast_sheet): expat, at C speed and refusing any DTD as defusedxml does, parses each
# distinct cell once per process. The fast path only takes XML it can read exactly: no namespace
# prefix, no comment, CDATA or processing instruction, double-quoted attributes without "/" or ">"
# in them, ``r`` first (as Excel, LibreOffice, WPS, openpyxl and xlsxwriter all write them).
# Anything else takes the ElementTree path below; a test holds the two paths equal.
_FAST_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"([^>/]*)(?:/>|>([^<]*(?:<(?!/c>)[^<]*)*)</c>)')
_FAST_CELL_SPLIT = re.compile(rb'(<c r="[A-Z]{1,3}[0-9]+"[^>/]*(?:/>|>[^<]*(?:<(?!/c>)[^<]*)*</c>))')
# What may stand between the cells: row tags with well-formed attributes, and white space.
_FAST_ROWS = re.compile(rb'(?:\s*<row(?:\s+[A-Za-z_][\w.:-]*="[^"<&]*")*\s*(?:/>|>\s*</row>))*\s*')
_FAST_T = re.compile(rb'\st="([A-Za-z]+)"')
_FAST_V = re.compile(rb"<v>([^<]*)</v>")
_FAST_F = re.compile(rb"<f\b([^>]*?)(?:/>|>([^<]*)</f>)")
_FAST_SI = re.compile(rb'\bsi="([0-9]+)"')
_FAST_TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>|<t(?:\s[^>]*)?/>")
_FAST_PROTECTION = re.compile(rb"<sheetProtection\b([^>]*)/?>")
_FAST_SHEET_ATTR = re.compile(rb'\bsheet="(1|true)"')
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _unescape(raw: bytes) -> str:
    text = raw.decode("utf-8")
    if "&" not in text:
        return text

    def one(m):
        e = m.group(1)
        if e[0] == "#":
            return chr(int(e[2:], 16) if e[1] in "xX" else int(e[1:]))
        return _NAMED[e]
    return _ENTITY.sub(one, text)


def _typed(t: str, text: str | None, raw: RawWorkbook) -> object:
    """A cell's value from its XML type and the text of its <v> (both reading paths use this)."""
    if text is None:
        return None
    if t == "s":
        try:
            return raw.shared_strings()[int(text)]
        except (ValueError, IndexError):
            raise Unreadable("file-corrupt") from None
    if t == "b":
        return text == "1"
    if t in ("str", "e", "d"):
        return text
    try:
        return float(text)
    except ValueError:
        raise Unreadable("file-corrupt") from None


def _well_formed(data: bytes) -> None:
    if not _expat_ok(data):
        raise Unreadable("file-corrupt")


def _expat_ok(data: bytes) -> bool:
    """Whether ``data`` is well-formed XML; a DTD (the root of every XML bomb) is refused outright."""
    from xml.parsers import expat

    parser = expat.ParserCreate()

    def refuse(*_args):
        raise Unreadable("file-xml-bomb")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return False
    return True


def _inline_text(inner: bytes) -> str:
    """Text of an inline string (<is>), phonetic runs left out."""
    if inner.startswith(b"<is><t>") and inner.endswith(b"</t></is>") and inner.count(b"<") == 4:
        return _unescape(inner[7:-9])
    runs = inner.split(b"<rPh", 1)[0]
    return "".join(_unescape(x.group(1) or b"") for x in _FAST_TEXT.finditer(runs))


# Decoded cells, shared by every file a process reads: the static part of the form (labels, codes,
# ~120 formulas) is the same bytes in every submission, so each is decoded once. Bounded, so that a
# hostile file with many distinct cells only churns it.
_CACHE_LIMIT = 50_000
_CELL_CACHE: dict[bytes, object] = {}
_GENERAL, _EMPTY = object(), object()


def _decode_whole(whole: bytes, raw: RawWorkbook):
    """(ref, Cell) for one <c> element's bytes; (ref, int) for a shared string (its index), _EMPTY
    for no content, _GENERAL when the general path must read the sheet."""
    m = _FAST_CELL.match(whole)
    ref, attrs, inner = m.group(1).decode(), m.group(2), m.group(3)
    if attrs.count(b'"') % 2:
        return _GENERAL  # a quoted ">" or "/" cut the tag short
    if not inner:
        return _EMPTY
    if b"<!" in inner or b"<?" in inner:
        return _GENERAL  # CDATA, a comment or an instruction: the expressions could misread them
    t_m = _FAST_T.search(attrs)
    t = t_m.group(1).decode() if t_m else "n"
    if t == "s" and not inner.startswith(b"<f"):
        if b"<f" in inner:
            return _GENERAL  # a formula after other children: unusual, let the general path read it
        v = _FAST_V.search(inner)
        if v is None:
            return _EMPTY
        try:
            return ref, int(v.group(1))
        except ValueError:
            raise Unreadable("file-corrupt") from None
    cell = _decode_cell(t, inner, raw)
    if cell is None:
        return _EMPTY
    return cell if cell is _GENERAL else (ref, cell)


def _decode_cell(t: str, inner: bytes, raw: RawWorkbook):
    """A Cell from the bytes between <c ...> and </c>; None for no content, _GENERAL to give up."""
    if t == "?":
        return _GENERAL
    if inner.startswith(b"<f"):
        f = _FAST_F.match(inner)
        if f is None or b"<f" in inner[f.end():]:
            return _GENERAL
        if f.group(2):
            return Cell(None, "=" + _unescape(f.group(2)), t)
        si = _FAST_SI.search(f.group(1))
        return Cell(None, f"=<shared {si.group(1).decode() if si else ''}>", t)
    if b"<f" in inner:
        return _GENERAL  # a formula after other children: unusual, let the general path read it
    if t == "inlineStr":
        return Cell(_inline_text(inner), None, t)
    v = _FAST_V.search(inner)
    if v is None:
        return None
    text = v.group(1)
    value = _typed(t, _unescape(text) if b"&" in text else text.decode("utf-8"), raw)
    return None if value is None else Cell(value, None, t)


def _fast_sheet(raw: RawWorkbook, name: str, data: bytes) -> SheetData | None:
    """The sheet read with regular expressions, or None when the general path must read it.

    Sound only for well-formed XML, which it checks piece by piece: <sheetData> must split into
    cells and, between them, nothing but row tags (held to a strict pattern); every cell's bytes
    must have passed expat, in this file or an earlier one (the static part of the form is the
    same bytes in every submission, so only new cells are parsed again).
    """
    if b"<worksheet" not in data[:400]:
        return None  # a prefixed namespace: the general path handles it
    start = data.find(b"<sheetData>")
    end = data.find(b"</sheetData>", start)
    if start < 0 or end < 0:
        return None
    if data.find(b"<!", 0, start) >= 0:  # a DTD (refused as a bomb) or a comment before the cells
        _well_formed(data)
        return None
    pieces = _FAST_CELL_SPLIT.split(data[start + 11:end])
    if not _FAST_ROWS.fullmatch(b"".join(pieces[0::2])):
        _well_formed(data)  # raises when the file is broken; otherwise the general path judges
        return None
    cells = {}
    decoded = _CELL_CACHE
    new = []
    for whole in pieces[1::2]:
        hit = decoded.get(whole)
        if hit is None:
            hit = _decode_whole(whole, raw)
            new.append((whole, hit))
        if hit is _EMPTY:
            continue
        if hit is _GENERAL:
            return None
        ref, cell = hit
        if cell.__class__ is int:  # a shared string: its text depends on this workbook
            try:
                cell = Cell(raw.shared_strings()[cell], None, "s")
            except IndexError:
                raise Unreadable("file-corrupt") from None
        cells[ref] = cell
    if new:
        if not _expat_ok(b"<x>" + b"".join(whole for whole, _ in new) + b"</x>"):
            _well_formed(data)
            return None
        if len(decoded) + len(new) > _CACHE_LIMIT:
            decoded.clear()
        decoded.update(new)
    prot = _FAST_PROTECTION.match(data, end + 12) or _FAST_PROTECTION.search(data, end, end + 2000)
    sheet = SheetData(name, cells)
    sheet.protected = bool(prot and _FAST_SHEET_ATTR.search(prot.group(1)))
    return sheet


def read_sheet(raw: RawWorkbook, info: SheetInfo, only: set[str] | None = None,
               fast: bool = True) -> SheetData:
    """Cells (typed values and formulas) and protection of one sheet.

    ``only`` limits the kept cells to those references (general path only).
    """
    data = read_part(raw.zf, info.part)
    if fast and only is None:
        sheet = _fast_sheet(raw, info.name, data)
        if sheet is not None:
            return sheet
    return _general_sheet(raw, info, data, only)


def _general_sheet(raw: RawWorkbook, info: SheetInfo, data: bytes, only: set[str] | None) -> SheetData:
    """The element-by-element path (defusedxml iterparse)."""
    sheet = SheetData(info.name)
    depth = 0
    after_data = False
    for event, el in _parse(data, "sheet", events=("start", "end")):
        if event == "start":
            depth += 1
            continue
        depth -= 1
        tag = el.tag[len(NS_MAIN):] if el.tag.startswith(NS_MAIN) else el.tag
        if tag == "c":
            ref = el.get("r")
            if ref and (only is None or ref in only):
                t = el.get("t", "n")
                v = el.find(f"{NS_MAIN}v")
                f = el.find(f"{NS_MAIN}f")
                formula = None
                if f is not None:
                    formula = "=" + (f.text or "") if f.text else f"=<shared {f.get('si', '')}>"
                value: object = None
                if formula is None:
                    if t == "inlineStr":
                        node = el.find(f"{NS_MAIN}is")
                        value = _text_of(node) if node is not None else ""
                    else:
                        value = _typed(t, v.text if v is not None else None, raw)
                if value is not None or formula is not None:  # an empty cell is no cell
                    sheet.cells[ref] = Cell(value, formula, t)
            el.clear()
        elif depth == 1:  # a direct child of <worksheet>
            if tag == "sheetProtection":
                sheet.protected = el.get("sheet") in ("1", "true")
            if tag == "sheetData":
                after_data = True
            elif after_data and tag not in _BEFORE_PROTECTION:
                break  # the rest is formatting and validation: not needed to read values
            el.clear()
    return sheet


def cell_index(ref: str) -> tuple[int, int]:
    """('E16') -> (16, 5)."""
    m = _CELL_REF.match(ref)
    if not m:
        raise ValueError(ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col
