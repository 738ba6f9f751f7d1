"""Read a returned workbook safely: what kind of file it is, then only the XML parts we need.

A submission is bytes from a stranger. Before anything is parsed the file is sniffed (empty,
too large, legacy .xls, password-encrypted, HTML or CSV renamed, .xlsb, .ods, macro-enabled),
the zip is opened from memory (the input file is never touched again), every part is read with a
hard cap on its decompressed size (zip bombs stop at the cap whatever the headers claim), and XML
is parsed with defusedxml or expat with any DTD refused (no entities: XML bombs are refused).
Both the transitional and the Strict Open XML namespaces are read; parts are found through the
package relationships, not by assumed names.

Only three parts are read: the workbook (sheet names, states, structure protection), the metadata
sheet and the form sheet (plus the shared strings when a cell uses them). A sheet's cells (typed
value and formula, shared formulas expanded from their master) and its protection are read by
the fast path or, for XML it cannot take exactly, by an element-by-element defusedxml pass.
Every text read (shared strings, inline strings, ``str`` cells) is given in Unicode NFC (:func:`nfc`).

Why the fast path reads exactly what a conforming XML parser reads (its safety argument)
---------------------------------------------------------------------------------------------
A sheet part is split as P + ``<sheetData>`` + S + ``</sheetData>`` + E, at the first
``<sheetData>`` and the first ``</sheetData>`` after it. The fast path answers only when:

1. **P and E are proved by expat** (DTDs refused, so no entity declarations): the *skeleton*
   P + ``<sheetData></sheetData>`` + E is well-formed, the root is ``worksheet`` in the
   transitional or Strict main namespace, the encoding is UTF-8, no element re-declares a
   namespace, and the one ``sheetData`` element starts exactly at byte len(P) — so the split
   did not fall inside a comment, CDATA section or processing instruction. Every byte of P and E,
   comments, CDATA, instructions and entity references included, is covered by that parse, and
   the sheet protection is taken from that parse (the ``sheetProtection`` child of the root), not
   from a pattern: a decoy inside a comment is a comment.
2. **S is nothing but cells, row tags and white space.** Row tags must match a strict pattern
   (double-quoted attributes without ``<`` or ``&``, prefixes declared on the root); everything
   else must split into ``<c …>…</c>`` pieces. A comment, CDATA, instruction or text between
   cells fails the pattern and sends the part to the general path. The text between the cells is
   judged once per distinct text and the verdict remembered (files one program saves share it).
3. **Every cell is proved before it is decoded**: each distinct cell's bytes pass expat (in this
   file or, cached, an earlier one) *before* any entity in it is expanded; a cell the strict
   cell grammar (double-quoted attributes, ``<f>``/``<v>``/``<is>`` children only, no prefixes,
   no ``xmlns``) does not describe sends the part to the general path.

A well-formed skeleton with a sequence of well-formed elements and balanced row tags in place of
its empty ``sheetData`` is a well-formed document, and for such a document the patterns pick out
the same cells, values, formulas and protection as the element-by-element path; a test holds the
two paths equal on every decoy. Anything else is read by the general path, which parses every
byte with defusedxml.

Skeletons are proved once per distinct skeleton and remembered. Excel writes values that differ in
every file into it (``hashValue``/``saltValue`` of the protection, base64; ``xr:uid`` GUIDs in
braces), so before proving, such a value is replaced by a filler of the same length: base64 by
``A``s, a GUID's hex digits by ``0``s (its dashes and braces kept). Those characters are all ordinary character data (none is ``<``, ``&``,
``"``, ``'``, ``>`` or white space), so a parser splits the original and the filled bytes into the
same tokens at the same offsets, wherever the value stands (an attribute, a comment, text); what
the proof records (well-formedness, the root, the ``sheetData`` offset, the ``sheet`` attribute of
the protection, the declared prefixes) cannot depend on them.

Shared strings (what Excel, LibreOffice and WPS write every text into) take a fast path on the
same standard. It answers only when:

1. **The whole part is proved by expat** (DTDs refused), in UTF-8, and its root is ``sst`` in the
   transitional or Strict main namespace, declared on the root start tag.
2. **Nothing in the body can hide or rename an element**: between the root's start and end tags
   there is no ``<!`` (comment, CDATA, DTD), no ``<?`` (instruction), no ``]]>``, no prefixed
   element and no ``xmlns`` at all. With those gone, every ``<`` in the body starts a tag of the
   default (main) namespace and every text run is plain character data.
3. **The body is exactly a sequence of ``<si>`` items** with white space between them, and no
   item holds another ``<si``. An item's text is the character data of its ``<t>`` elements
   before its first ``<rPh>`` (phonetic runs), as the general path reads it; line breaks are
   normalised as an XML parser does, and the only entities left are the five predefined ones and
   character references, which expat has already checked.

In such a part the patterns find the same items, in the same order, with the same text as the
element-by-element walk; ``tests/test_reader_proof.py`` holds the two equal on every decoy.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import NamedTuple
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse

from .formulas import FormulaSyntaxError, col_number, translate
from .i18n import nfc

MAX_FILE_BYTES = 20 * 1024 * 1024  # a filled form is ~50 KB; anything this big is not one
MAX_PART_BYTES = 40 * 1024 * 1024  # decompressed cap for any one XML part
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # declared decompressed size of the whole zip
MAX_ENTRIES = 2000

# SpreadsheetML in its two conformance classes: transitional (what every program writes by
# default) and Strict (Excel's "Strict Open XML Spreadsheet"). Same elements, other URIs.
MAIN_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                   "http://purl.oclc.org/ooxml/spreadsheetml/main")
REL_NAMESPACES = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                  "http://purl.oclc.org/ooxml/officeDocument/relationships")
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
NS_MAIN = "{" + MAIN_NAMESPACES[0] + "}"  # kept for callers that build transitional XML
_MAIN_PREFIXES = tuple("{" + ns + "}" for ns in MAIN_NAMESPACES)
_REL_ID_ATTRS = tuple("{" + ns + "}id" for ns in REL_NAMESPACES)
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
    formula: str | None = None  # shared formulas expanded: always the cell's own formula text
    kind: str = "n"  # the XML cell type: n, s, str, inlineStr, b, e, d


# A follower of a shared formula before it is expanded: (si,) in place of the formula text.
class _Follower(NamedTuple):
    si: str


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
    strings_part: str | None = None
    strict: bool = False
    _strings: list[str] | None = None
    _string_cells: list | None = None
    # The parts opening it read, as bytes (None: absent), for callers that need them again.
    read: dict[str, bytes | None] = field(default_factory=dict)
    book: str = "xl/workbook.xml"  # the main part, as the package names it

    def sheet(self, name: str) -> SheetInfo | None:
        return next((s for s in self.sheets if s.name == name), None)

    def shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = _read_shared_strings(self.zf, self.strings_part)
        return self._strings

    def string_cells(self) -> list["Cell"]:
        """A text cell for each shared string, made once per distinct text (most of a form's
        strings are in every file)."""
        if self._string_cells is None:
            cache = _STRING_CELLS
            out = []
            for text in self.shared_strings():
                cell = cache.get(text)
                if cell is None:
                    cell = Cell(text, None, "s")
                    if len(cache) < 50_000:
                        cache[text] = cell
                out.append(cell)
            self._string_cells = out
        return self._string_cells


_STRING_CELLS: dict[str, "Cell"] = {}


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
        # text has no NUL byte (UTF-16 was decoded above), whatever its encoding: NULs are valid
        # UTF-8, so a file of zero bytes must not be called text
        if b"\x00" not in low:
            raise Unreadable("file-csv")
        raise Unreadable("file-not-xlsx", kind="?")


def _local(tag: str, prefixes: tuple[str, ...] = _MAIN_PREFIXES) -> str | None:
    """'{main ns}sheet' -> 'sheet' for either SpreadsheetML namespace; None for another one."""
    for prefix in prefixes:
        if tag.startswith(prefix):
            return tag[len(prefix):]
    return None


# Relationship parts are the same bytes in every file a program writes: parsed once per process.
_RELS_CACHE: dict[tuple[bytes, str], tuple[tuple[str, str, str], ...]] = {}


def _relationships(zf: zipfile.ZipFile, rels_part: str, base_dir: str,
                   read: dict[str, bytes | None] | None = None) -> tuple[tuple[str, str, str], ...]:
    """(Id, type, target part) of each relationship in ``rels_part`` (none when it is absent).
    ``read``: where to keep the part's bytes."""
    data = read_part(zf, rels_part, required=False)
    if read is not None:
        read[rels_part] = data
    data = data or b"<r/>"
    key = (data, base_dir)
    hit = _RELS_CACHE.get(key)
    if hit is None:
        hit = _RELS_CACHE[key] = _parse_relationships(data, base_dir)
        if len(_RELS_CACHE) > 256:
            _RELS_CACHE.clear()
            _RELS_CACHE[key] = hit
    return hit


def _parse_relationships(data: bytes, base_dir: str) -> tuple[tuple[str, str, str], ...]:
    out = []
    for el in _parse_small(data):
        if el.tag == f"{NS_PKG_REL}Relationship" and el.get("TargetMode") != "External":
            target = el.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base_dir, target))
            out.append((el.get("Id", ""), el.get("Type", ""), part))
    return tuple(out)


def _rels_of(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


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
    read: dict[str, bytes | None] = {}
    content_types = read["[Content_Types].xml"] = read_part(zf, "[Content_Types].xml", required=False)
    if "xl/vbaProject.bin" in names or b"macroEnabled" in (content_types or b""):
        raise Unreadable("file-xlsm")
    # The main part, as the package relationships name it (xl/workbook.xml in every known program).
    book = next((part for _, kind, part in _relationships(zf, "_rels/.rels", "", read)
                 if kind.endswith("/officeDocument") and part in names), "xl/workbook.xml")
    kind = "Word" if "word/document.xml" in names else ("PowerPoint" if "ppt/presentation.xml" in names else "zip")
    if book not in names:
        raise Unreadable("file-not-xlsx", kind=kind)

    rels, strings_part = {}, None
    for rid, kind_, part in _relationships(zf, _rels_of(book), posixpath.dirname(book), read):
        rels[rid] = part
        if kind_.endswith("/sharedStrings"):
            strings_part = part
    data = read[book] = read_part(zf, book)
    found = _BOOKS.get(data)
    if found is None:
        found = _read_book(data, kind)
        if len(_BOOKS) >= 256:
            _BOOKS.clear()
        _BOOKS[data] = found
    entries, protected, strict = found
    sheets = [SheetInfo(name, state, rels.get(rid, "")) for name, state, rid in entries]
    external = any(n.startswith("xl/externalLinks/") for n in names)
    return RawWorkbook(zf, sheets, protected, external, strings_part, strict, read=read, book=book)


# What the workbook part says, by its bytes (files saved by one program share them): bounded.
_BOOKS: dict[bytes, tuple[tuple[tuple[str, str, str | None], ...], bool, bool]] = {}


def _read_book(data: bytes, kind: str) -> tuple[tuple[tuple[str, str, str | None], ...], bool, bool]:
    """(name, state, relationship id) of each sheet, whether the structure is protected, and
    whether the workbook is Strict Open XML."""
    sheets, protected, strict, root_seen = [], False, False, False
    for el in _parse_small(data):
        tag = _local(el.tag)
        if not root_seen:
            root_seen = True
            if tag != "workbook":
                raise Unreadable("file-not-xlsx", kind=kind)
            strict = el.tag.startswith(_MAIN_PREFIXES[1])
        elif tag == "sheet":
            rid = next((el.get(a) for a in _REL_ID_ATTRS if el.get(a) is not None), None)
            sheets.append((el.get("name", ""), el.get("state", "visible"), rid))
        elif tag == "workbookProtection":
            # LibreOffice re-saves a protected structure as a bare <workbookProtection/>.
            protected = True
    return tuple(sheets), protected, strict


def text_styles(raw: RawWorkbook, info: SheetInfo, refs: set[str]) -> dict[str, str]:
    """Why some of ``refs`` hold text, as their cell style says: "quote" (typed with a leading
    apostrophe, which Excel keeps in the style's quotePrefix, not in the value) or "text-format"
    (the cell is formatted as Text, "@"). Cells with neither are left out.

    Read only when a number was found stored as text (the fast path keeps no styles).
    """
    wanted: dict[str, int] = {}
    for el in _parse(read_part(raw.zf, info.part), "sheet"):
        if _local(el.tag) == "c" and el.get("r") in refs and (el.get("s") or "0").isdigit():
            wanted[el.get("r")] = int(el.get("s") or "0")
        el.clear()
    book = next((part for _, kind, part in _relationships(raw.zf, "_rels/.rels", "")
                 if kind.endswith("/officeDocument")), "xl/workbook.xml")
    styles = next((part for _, kind, part in _relationships(raw.zf, _rels_of(book), posixpath.dirname(book))
                   if kind.endswith("/styles")), None)
    data = read_part(raw.zf, styles, required=False) if styles else None
    if not wanted or not data:
        return {}
    text_formats, xfs, in_cell_xfs = {"49"}, [], False
    for event, el in _parse(data, "styles", events=("start", "end")):
        tag = _local(el.tag)
        if tag == "cellXfs":
            in_cell_xfs = event == "start"
        elif event == "end" and tag == "numFmt" and el.get("formatCode") == "@":
            text_formats.add(el.get("numFmtId"))
        elif event == "end" and tag == "xf" and in_cell_xfs:
            xfs.append("quote" if el.get("quotePrefix") in ("1", "true") else
                       "text-format" if el.get("numFmtId") in text_formats else "")
    return {ref: xfs[k] for ref, k in wanted.items() if k < len(xfs) and xfs[k]}


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
        tag = _local(node.tag)
        if tag == "t":
            parts.append(node.text or "")
        elif tag == "rPh":
            break
    return "".join(parts)


def _read_shared_strings(zf: zipfile.ZipFile, part: str | None) -> list[str]:
    data = read_part(zf, part or "xl/sharedStrings.xml", required=False)
    if not data:
        return []
    fast = _fast_shared_strings(data)
    return [nfc(s) for s in (fast if fast is not None else _general_shared_strings(data))]


def _general_shared_strings(data: bytes) -> list[str]:
    """Every string item, element by element with defusedxml (any well-formed part)."""
    out = []
    for el in _parse(data, "sharedStrings"):
        if _local(el.tag) == "si":
            out.append(_text_of(el))
            el.clear()
    return out


def _typed(t: str, text: str | None, raw: RawWorkbook) -> object:
    """A cell's value from its XML type and the text of its <v> (both reading paths use this)."""
    if text is None:
        return None
    if t == "s":
        try:
            index = int(text)
            if index < 0:
                raise IndexError(index)  # not the last string, as Python would read it
            return raw.shared_strings()[index]
        except (ValueError, IndexError):
            raise Unreadable("file-corrupt") from None
    if t == "b":
        return text == "1"
    if t == "str":
        return nfc(text)
    if t in ("e", "d"):
        return text
    try:
        return float(text)
    except ValueError:
        raise Unreadable("file-corrupt") from None


def _expand_shared(cells: dict[str, Cell], masters: dict[str, tuple[str, str]]) -> None:
    """Replace every follower of a shared formula by its own formula, derived from the master."""
    for ref, cell in cells.items():
        if cell.formula.__class__ is not _Follower:
            continue
        master = masters.get(cell.formula.si)
        if master is None:
            raise Unreadable("file-corrupt")  # a follower with no master: its formula is unknowable
        m_ref, text = master
        (r0, c0), (r1, c1) = cell_index(m_ref), cell_index(ref)
        try:
            formula = translate(text, r1 - r0, c1 - c0)
        except FormulaSyntaxError:
            formula = f"{text} [shared from {m_ref}]"  # unreadable: never equal to a form's formula
        cells[ref] = Cell(None, formula, cell.kind)


# --- the fast path ------------------------------------------------------------------------------
# A form sheet is ~110 KB of XML; walking it element by element in Python costs ~8 ms. See the
# module docstring for why this path reads exactly what that walk reads.
_FAST_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"([^>/]*)(?:/>|>([^<]*(?:<(?!/c>)[^<]*)*)</c>)')
_FAST_CELL_SPLIT = re.compile(rb'(<c r="[A-Z]{1,3}[0-9]+"[^>/]*(?:/>|>[^<]*(?:<(?!/c>)[^<]*)*</c>))')
# What may stand between the cells: row tags with well-formed attributes, and white space.
_FAST_ROWS = re.compile(rb'(?:\s*<row(?:\s+[A-Za-z_][\w.:-]*="[^"<&]*")*\s*(?:/>|>\s*</row>))*\s*')
_ROW_PREFIX = re.compile(rb'\s([A-Za-z_][\w.-]*):[\w.-]+="')
# A cell's attributes after r: plain names, double quotes, nothing to expand.
_FAST_ATTRS = re.compile(rb'(?:\s+[A-Za-z][A-Za-z0-9]*="[^"<&]*")*\s*')
# A cell's content: an optional formula then an optional value, or an inline string (white space
# between them, as Gnumeric writes it).
_FAST_INNER = re.compile(rb'\s*(?:<f(?:\s+[A-Za-z][A-Za-z0-9]*="[^"<&]*")*\s*(?:/>|>[^<]*</f>))?'
                         rb'\s*(?:<v>[^<]*</v>|<v\s*/>)?\s*|\s*<is>.*</is>\s*', re.S)
# In an inline string: what the text patterns would not read as the general path does.
_ODD_INLINE = re.compile(rb'<!|<\?|</?[A-Za-z_][\w.-]*:|\s(?!xml:)[A-Za-z_][\w.-]*:[\w.-]+\s*=|xmlns')
_FAST_T = re.compile(rb'\st="([A-Za-z]+)"')
_FAST_V = re.compile(rb"<v>([^<]*)</v>")
_FAST_F = re.compile(rb"<f\b([^>]*?)(?:/>|>([^<]*)</f>)")
_FAST_F_TYPE = re.compile(rb'\st="([A-Za-z]+)"')
_FAST_SI = re.compile(rb'\ssi="([0-9]+)"')
_FAST_TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>|<t(?:\s[^>]*)?/>")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_XML_DECL = re.compile(rb'^(?:\xef\xbb\xbf)?<\?xml\s[^>]*?\?>')
_XML_ENCODING = re.compile(rb'\sencoding\s*=\s*["\']([A-Za-z0-9._-]+)["\']')


def _unescape(raw: bytes) -> str:
    """Text of proved XML character data: only the five named entities and character references
    can stand in it (no DTD), and expat has already checked each one is a legal character."""
    text = raw.decode("utf-8")
    if "&" not in text:
        return text

    def one(m):
        e = m.group(1)
        if e[0] == "#":
            return chr(int(e[2:], 16) if e[1] in "xX" else int(e[1:]))
        return _NAMED[e]
    return _ENTITY.sub(one, text)


def _expat_ok(data: bytes) -> bool:
    """Whether ``data`` is well-formed XML; a DTD (the root of every XML bomb) is refused outright."""
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


# The shared-strings fast path (see "Shared strings" in the module docstring).
_SST_START = re.compile(rb'(?:\xef\xbb\xbf)?(?:<\?xml\s[^>]*?\?>)?\s*<sst((?:\s+[A-Za-z_][\w.:-]*="[^"<&]*")*)\s*>')
_SST_NS = re.compile(rb'\sxmlns="([^"]*)"')
_SST_ODD = re.compile(rb'<!|<\?|</?[A-Za-z_][\w.-]*:|xmlns|\]\]>')
_SI = re.compile(rb'<si(?:\s+[A-Za-z_][\w.:-]*="[^"<&]*")*\s*(?:/>|>(.*?)</si>)', re.S)
# The common part: nothing but plain items, one <t> each (what Excel and LibreOffice write for text
# without formatting runs); its pattern leaves no room for anything else, so it is checked whole.
_SIMPLE_ITEM = rb'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>'
_SIMPLE_BODY = re.compile(rb'(?:\s*' + _SIMPLE_ITEM.replace(b"([^<]*)", b"[^<]*") + rb')*\s*')
_SIMPLE_SI = re.compile(_SIMPLE_ITEM)


# Texts of plain items already unescaped (most of a form's strings are in every file): bounded.
_ITEM_TEXT: dict[bytes, str] = {}


def _fast_shared_strings(data: bytes) -> list[str] | None:
    """The string items of a shared-strings part, or None when the general path must read it."""
    m = _SST_START.match(data)
    if m is None:
        return None
    ns = _SST_NS.search(m.group(1))
    if ns is None or ns.group(1).decode("ascii", "replace") not in MAIN_NAMESPACES:
        return None
    decl = _XML_DECL.match(data)
    enc = _XML_ENCODING.search(decl.group(0)) if decl else None
    if enc is not None and enc.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    end = data.rfind(b"</sst>")
    if end < m.end() or data[end + 6:].strip():
        return None
    body = data[m.end():end]
    if _SIMPLE_BODY.fullmatch(body):
        if not _expat_ok(data):
            return None
        if b"\r" in body:  # an XML parser reads a line break as \n, whatever the file holds
            body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        cache, out = _ITEM_TEXT, []
        for t in _SIMPLE_SI.findall(body):
            text = cache.get(t)
            if text is None:
                text = _unescape(t)
                if len(cache) < _CACHE_LIMIT:
                    cache[t] = text
            out.append(text)
        return out
    if _SST_ODD.search(body) or not _expat_ok(data):
        return None
    out, pos = [], 0
    for si in _SI.finditer(body):
        if body[pos:si.start()].strip():
            return None  # text or another element between the items
        pos = si.end()
        inner = si.group(1) or b""
        if b"<si" in inner:
            return None  # an item inside an item: well-formed, but not what the split assumes
        runs = inner.split(b"<rPh", 1)[0]  # phonetic runs (and whatever follows them) are not read
        if b"\r" in runs:  # an XML parser reads a line break as \n, whatever the file holds
            runs = runs.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        out.append("".join(_unescape(x.group(1) or b"") for x in _FAST_TEXT.finditer(runs)))
    if body[pos:].strip():
        return None
    return out


def _inline_text(inner: bytes) -> str:
    """Text of an inline string (<is>), phonetic runs left out."""
    if inner.startswith(b"<is><t>") and inner.endswith(b"</t></is>") and inner.count(b"<") == 4:
        return nfc(_unescape(inner[7:-9]))
    runs = inner.split(b"<rPh", 1)[0]
    return nfc("".join(_unescape(x.group(1) or b"") for x in _FAST_TEXT.finditer(runs)))


# Decoded cells, shared by every file a process reads: the static part of the form (labels, codes,
# ~120 formulas) is the same bytes in every submission, so each is proved and decoded once.
# Bounded, so that a hostile file with many distinct cells only churns it.
_CACHE_LIMIT = 50_000
_CELL_CACHE: dict[bytes, object] = {}
_GENERAL, _EMPTY = object(), object()


class _SharedString(NamedTuple):
    """A decoded cell whose text is item ``index`` of its workbook's shared strings."""
    ref: str
    index: int


class _Master(NamedTuple):
    """A decoded cell holding the formula its shared-formula group ``si`` copies."""
    ref: str
    cell: Cell
    si: str


class _FollowerCell(NamedTuple):
    """A decoded cell whose formula is its shared-formula group's, moved."""
    ref: str
    cell: Cell


def _decode_whole(whole: bytes, raw: RawWorkbook):
    """One proved <c> element's bytes, decoded: a plain tuple (ref, Cell); a _SharedString,
    _Master or _FollowerCell; _EMPTY for no content; _GENERAL when the general path must read
    the sheet."""
    m = _FAST_CELL.match(whole)
    ref, attrs, inner = m.group(1).decode(), m.group(2), m.group(3)
    if not _FAST_ATTRS.fullmatch(attrs) or b"xmlns" in attrs:
        return _GENERAL  # single quotes, entities, prefixes: let the general path judge
    if not _FAST_INNER.fullmatch(inner or b""):
        return _GENERAL  # other children, or text beside them
    inner = inner.strip() if inner else inner  # white space between a cell's children is not content
    if not inner:
        return _EMPTY
    if inner.startswith(b"<is>") and _ODD_INLINE.search(inner):
        return _GENERAL  # CDATA, a comment, an instruction or a prefix in a string
    t_m = _FAST_T.search(attrs)
    t = t_m.group(1).decode() if t_m else "n"
    if t == "s" and not inner.startswith(b"<f"):
        v = _FAST_V.search(inner)
        if v is None:
            return _EMPTY
        try:
            index = int(v.group(1))
        except ValueError:
            raise Unreadable("file-corrupt") from None
        if index < 0:
            raise Unreadable("file-corrupt")
        return _SharedString(ref, index)
    cell = _decode_cell(t, inner, raw)
    if cell is None:
        return _EMPTY
    if cell.__class__ is tuple:  # the master of a shared formula, and its si
        return _Master(ref, cell[0], cell[1])
    if cell.formula.__class__ is _Follower:
        return _FollowerCell(ref, cell)
    return ref, cell


def _decode_cell(t: str, inner: bytes, raw: RawWorkbook):
    """A Cell from the bytes between <c ...> and </c> (grammar checked); None for no content."""
    if inner.startswith(b"<f"):
        f = _FAST_F.match(inner)
        text = f.group(2)
        f_type = _FAST_F_TYPE.search(f.group(1))
        shared = f_type is not None and f_type.group(1) == b"shared"
        si = _FAST_SI.search(f.group(1)) if shared else None
        if shared and si is None:
            raise Unreadable("file-corrupt")  # a shared formula must say which one it is
        if text:
            formula = "=" + _unescape(text)
            return Cell(None, formula, t) if si is None else (Cell(None, formula, t), si.group(1).decode())
        if si is not None:
            return Cell(None, _Follower(si.group(1).decode()), t)
        return Cell(None, "=", t)  # an empty formula: never equal to a form's formula
    if t == "inlineStr":
        return Cell(_inline_text(inner), None, t)
    v = _FAST_V.search(inner)
    if v is None:
        return None
    text = v.group(1)
    if not text:
        return None  # <v></v>: no value, as the general path reads it
    value = _typed(t, _unescape(text) if b"&" in text else text.decode("utf-8"), raw)
    return None if value is None else Cell(value, None, t)


# Skeletons (the part without its cells) already proved, with what the proof found: the sheet
# protection, or None when the general path must read the part. Same bounded-cache idea.
_SKELETON_LIMIT = 64
_SKELETONS: dict[tuple[bytes, bytes], tuple[bool, frozenset] | None] = {}
_ROWS_OK: dict[tuple[bytes, frozenset], bool] = {}  # the text between the cells, judged


# Values that differ in every file Excel saves (a random salt and its hash for the sheet protection,
# a GUID per sheet): replaced by a filler of the same length and the same harmless characters
# before the skeleton is proved and cached (see "Skeletons" in the module docstring).
_BASE64_AT = re.compile(rb'[A-Za-z0-9+/=]{8,200}(?=")')
_GUID_AT = re.compile(rb"\{[0-9A-Fa-f-]{32,36}\}")
_HEX = re.compile(rb"[0-9A-Fa-f]")


def _canonical(part: bytes) -> bytes:
    """``part`` with every run of 8 to 200 base64 characters that follows ``Value="`` and ends at
    a quote replaced by as many "A", and every {GUID} by {000…} of its length.

    Found with ``bytes.find`` rather than one pattern with a look-behind, which tried every byte of
    Excel's ~50 KB of validations and formats (0.8 ms a file). The two kinds cannot overlap: "{" is
    not a base64 character and "Value=" holds no "{"."""
    spans = []
    at = part.find(b'Value="')
    while at >= 0:
        m = _BASE64_AT.match(part, at + 7)
        if m:
            spans.append((m.start(), m.end()))
        at = part.find(b'Value="', at + 7)
    at = part.find(b"{")
    while at >= 0:
        m = _GUID_AT.match(part, at)
        if m:
            spans.append((m.start(), m.end()))
        at = part.find(b"{", m.end() if m else at + 1)
    if not spans:
        return part
    out, done = [], 0
    for start, end in sorted(spans):
        piece = part[start:end]
        out += [part[done:start], _HEX.sub(b"0", piece) if piece[:1] == b"{" else b"A" * (end - start)]
        done = end
    out.append(part[done:])
    return b"".join(out)


def _prove_skeleton(head: bytes, tail: bytes) -> tuple[bool, frozenset] | None:
    """(sheet protected, declared prefixes) when head + <sheetData></sheetData> + tail is a
    well-formed worksheet whose one sheetData starts at len(head); None for the general path.
    Raises Unreadable("file-corrupt") when the skeleton is not well-formed XML."""
    decl = _XML_DECL.match(head)
    if decl:
        enc = _XML_ENCODING.search(decl.group(0))
        if enc and enc.group(1).lower() not in (b"utf-8", b"utf8"):
            return None  # another encoding: the patterns below read UTF-8
    skeleton = head + b"<sheetData></sheetData>" + tail
    # Namespace-aware, as the general path is: an undeclared prefix is an error in both.
    parser = expat.ParserCreate(namespace_separator=" ")
    state = {"depth": 0, "ok": True, "main": None, "data_at": [], "protected": False, "prefixes": set()}

    def declare(prefix, _uri):
        if state["depth"]:
            state["ok"] = False  # a namespace declared below the root: the general path decides
        elif prefix:
            state["prefixes"].add(prefix)

    def start(name, attrs):
        depth = state["depth"]
        if depth == 0:
            ns, _, local = name.rpartition(" ")
            if local != "worksheet" or ns not in MAIN_NAMESPACES:
                state["ok"] = False
            state["main"] = ns
        elif depth == 1:
            if name == state["main"] + " sheetData":
                state["data_at"].append(parser.CurrentByteIndex)
            elif name == state["main"] + " sheetProtection":
                state["protected"] = attrs.get("sheet") in ("1", "true")
        state["depth"] = depth + 1

    def end(_name):
        state["depth"] -= 1

    def refuse(*_args):
        raise Unreadable("file-xml-bomb")
    parser.StartNamespaceDeclHandler = declare
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(skeleton, True)
    except expat.ExpatError:
        raise Unreadable("file-corrupt") from None
    if not state["ok"] or state["data_at"] != [len(head)]:
        return None
    return state["protected"], frozenset(p.encode() for p in state["prefixes"])


def _fast_sheet(raw: RawWorkbook, name: str, data: bytes) -> SheetData | None:
    """The sheet read with regular expressions, or None when the general path must read it.

    Raises Unreadable when the part is not well-formed (see the module docstring for the proof).
    """
    start = data.find(b"<sheetData>")
    end = data.find(b"</sheetData>", start)
    if start < 0 or end < 0:
        return None
    head, tail = data[:start], data[end + 12:]
    key = (_canonical(head), _canonical(tail))
    proved = _SKELETONS.get(key, False)
    if proved is False:
        proved = _prove_skeleton(*key)
        if len(_SKELETONS) >= _SKELETON_LIMIT:
            _SKELETONS.clear()
        _SKELETONS[key] = proved
    if proved is None:
        return None
    protected, prefixes = proved
    pieces = _FAST_CELL_SPLIT.split(data[start + 11:end])
    between = b"".join(pieces[0::2])
    rows_ok = _ROWS_OK.get((between, prefixes))
    if rows_ok is None:  # the row tags, judged once per distinct text (files of one program share it)
        # Not: comments, CDATA, text or broken tags among the cells; a namespace declared on a
        # row, or a prefix the root does not declare. The general path judges those.
        rows_ok = bool(_FAST_ROWS.fullmatch(between)) and not (
            b"xmlns" in between
            or b":" in between and not {m.group(1) for m in _ROW_PREFIX.finditer(between)} <= prefixes)
        if len(_ROWS_OK) >= _SKELETON_LIMIT:
            _ROWS_OK.clear()
        _ROWS_OK[(between, prefixes)] = rows_ok
    if not rows_ok:
        return None
    decoded = _CELL_CACHE
    wholes = pieces[1::2]
    hits = list(map(decoded.get, wholes))
    if None in hits:  # cells no earlier file had: prove them and decode them first
        new = [w for w, h in zip(wholes, hits) if h is None]
        if len(decoded) + len(new) > _CACHE_LIMIT:
            decoded.clear()
            new = wholes
        new = list(dict.fromkeys(new))
        # Proof first: no entity of a cell is expanded before expat has accepted the cell.
        if not _expat_ok(b"<x>" + b"".join(new) + b"</x>"):
            raise Unreadable("file-corrupt")
        for whole in new:
            decoded[whole] = _decode_whole(whole, raw)
        hits = list(map(decoded.get, wholes))
    sheet = _known_cells(raw, name, hits, protected)
    return None if sheet is _GENERAL else sheet


def _known_cells(raw: RawWorkbook, name: str, hits: list, protected: bool):
    """The sheet from its cells as proved and decoded (``hits``, in document order); _GENERAL
    when one needs the general path (None, for the general path too, should a cell not be known).

    Most cells decode to a plain (ref, Cell) tuple that is the same for every file: those go into
    the sheet's dict without a Python-level step each; the few kinds that depend on this workbook
    (shared strings, shared formulas) are resolved first, in document order."""
    kinds = set(map(type, hits))
    if kinds - _PLAIN_KINDS:  # None (not known) or a sentinel
        if None in hits or _GENERAL in hits:
            for hit in hits:  # the first of them decides, as a cell-by-cell reading would
                if hit is None or hit is _GENERAL:
                    return hit
        hits = [h for h in hits if h is not _EMPTY]
    masters = None
    if _SharedString in kinds:
        try:
            cells_of = raw.string_cells()
            hits = [(h[0], cells_of[h[1]]) if h.__class__ is _SharedString else h for h in hits]
        except IndexError:
            raise Unreadable("file-corrupt") from None
    if _Master in kinds or _FollowerCell in kinds:
        masters = {}
        for h in hits:
            if h.__class__ is _Master:
                masters.setdefault(h.si, (h.ref, h.cell.formula))
        hits = [(h[0], h[1]) if h.__class__ is _Master or h.__class__ is _FollowerCell else h for h in hits]
    cells: dict[str, Cell] = dict(hits)
    if masters is not None:
        _expand_shared(cells, masters)
    return SheetData(name, cells, protected)


_PLAIN_KINDS = frozenset({tuple, _SharedString, _Master, _FollowerCell})


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
    """The element-by-element path (defusedxml iterparse over every byte of the part)."""
    sheet = SheetData(info.name)
    depth = 0
    masters: dict[str, tuple[str, str]] = {}
    followers = False
    root_ok = None
    for event, el in _parse(data, "sheet", events=("start", "end")):
        if event == "start":
            if root_ok is None:
                root_ok = _local(el.tag) == "worksheet"
            depth += 1
            continue
        depth -= 1
        tag = _local(el.tag)
        if tag == "c" and depth >= 2:
            ref = el.get("r")
            if ref and (only is None or ref in only):
                t = el.get("t", "n")
                v = f = node = None
                for child in el:
                    child_tag = _local(child.tag)
                    if child_tag == "v" and v is None:
                        v = child
                    elif child_tag == "f" and f is None:
                        f = child
                    elif child_tag == "is" and node is None:
                        node = child
                formula = None
                if f is not None:
                    shared = f.get("t") == "shared"
                    if shared and f.get("si") is None:
                        raise Unreadable("file-corrupt")
                    if f.text:
                        formula = "=" + f.text
                        if shared:
                            masters.setdefault(f.get("si"), (ref, formula))
                    elif shared:
                        formula, followers = _Follower(f.get("si")), True
                    else:
                        formula = "="
                value: object = None
                if formula is None:
                    if t == "inlineStr":
                        value = nfc(_text_of(node)) if node is not None else ""
                    else:
                        value = _typed(t, v.text if v is not None else None, raw)
                if value is not None or formula is not None:  # an empty cell is no cell
                    sheet.cells[ref] = Cell(value, formula, t)
            el.clear()
        elif depth == 1:  # a direct child of <worksheet>
            if tag == "sheetProtection":
                sheet.protected = el.get("sheet") in ("1", "true")
            el.clear()
    if not root_ok:
        raise Unreadable("file-corrupt")
    if followers:
        _expand_shared(sheet.cells, masters)
    return sheet


def cell_index(ref: str) -> tuple[int, int]:
    """('E16') -> (16, 5)."""
    m = _CELL_REF.match(ref)
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), col_number(m.group(1))
