"""The feedback copy made by editing the unit's own .xlsx package in place, part by part.

An openpyxl load and save of a filled form costs ~40 ms (it parses and rewrites every style,
conditional format and validation). The marks a feedback copy needs touch little: a new first
sheet with the findings, a red or yellow fill and a note on each offending cell, a few entries in
the styles, workbook and content-type parts. This module makes exactly those edits on the
package's XML and copies every other part byte for byte, still compressed (:func:`_copy_member`),
in ~1.2 ms. The front sheet is ``feedback_sheet``'s description, written out by
:func:`front_sheet_xml` (the openpyxl path draws the same description).

It only edits packages laid out the way Excel, LibreOffice, WPS and our own templates write them
(unprefixed SpreadsheetML, the offending cells present in the sheet XML, no notes or VML drawings
already there, no earlier feedback sheet). For anything else :func:`patched_copy` returns None and
the caller takes the openpyxl path, which handles every case at its slower pace. Tests open the
result in openpyxl and LibreOffice and hold it to the same marks as the openpyxl path.
"""
from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
from xml.sax.saxutils import escape, quoteattr

from .feedback_live import still_wrong
from .feedback_sheet import FrontCell, FrontSheet, returned_footer
from .fingerprint import COPY_MARK_NAME, RECEIPT_NAME
from .form import FEEDBACK_SHEET
from .form_sheet import ERROR_FILL, OK_TEXT, WARNING_FILL
from .reader import Unreadable, cell_index, open_workbook, read_part
from .record import Submission

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_SHEET = f"{NS_R}/worksheet"
REL_COMMENTS = f"{NS_R}/comments"
REL_VML = f"{NS_R}/vmlDrawing"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Children of <worksheet> that must come after <legacyDrawing> (schema order).
_AFTER_LEGACY = ("<legacyDrawingHF", "<drawingHF", "<picture", "<oleObjects", "<controls", "<webPublishItems",
                 "<tableParts", "<extLst", "</worksheet>")
_XF = re.compile(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S)
_MERGE = re.compile(r'<mergeCell ref="([A-Z]{1,3}\d+):([A-Z]{1,3}\d+)"')


class _GiveUp(Exception):
    """The package is not laid out as this module expects: use the openpyxl path."""


def _text(value: object) -> str:
    return escape(_ILLEGAL_XML.sub("", str(value)))


def _merged_tail(ref: str, merged: list[tuple[int, int, int, int]]) -> bool:
    row, col = cell_index(ref)
    return any(c1 <= col <= c2 and r1 <= row <= r2 and (col, row) != (c1, r1) for c1, r1, c2, r2 in merged)


_STYLE_TAGS = {"fonts": "font", "fills": "fill", "borders": "border", "cellXfs": "xf"}


class _StylesBase:
    """What :class:`_Styles` needs to know of one styles.xml, found once per distinct part (files
    saved by one program share it): where each list is, how many items it has, the cell formats."""

    def __init__(self, xml: str) -> None:
        if "<styleSheet" not in xml or "<borders" not in xml:
            raise _GiveUp("styles")
        self.sections: dict[str, tuple[int, int, str, str]] = {}  # tag: (start, end, attributes, body)
        self.base: dict[str, int] = {}
        for tag, item in _STYLE_TAGS.items():
            m = re.search(rf"<{tag}\b([^>]*)>(.*?)</{tag}>", xml, re.S)
            if m is None:
                raise _GiveUp(tag)
            self.sections[tag] = (m.start(), m.end(), re.sub(r'\scount="\d+"', "", m.group(1)), m.group(2))
            self.base[tag] = len(re.findall(rf"<{item}\b[^>]*?(?:/>|>.*?</{item}>)", m.group(2), re.S))
        self.xfs = _XF.findall(self.sections["cellXfs"][3])
        if len(self.xfs) != self.base["cellXfs"]:
            raise _GiveUp("cellXfs")
        m = re.search(r"<dxfs\b([^>]*?)(/>|>(.*?)</dxfs>)", xml, re.S)
        if m is None:  # schema order: dxfs follow cellStyles
            at = next((i for i in (xml.find(t) for t in ("<tableStyles", "<colors", "<extLst", "</styleSheet>"))
                       if i >= 0), -1)
            if at < 0:
                raise _GiveUp("styleSheet end")
            self.dxfs = (at, at, "", "")
        else:
            self.dxfs = (m.start(), m.end(), re.sub(r'\scount="\d+"', "", m.group(1)), m.group(3) or "")
        self.dxf_count = len(re.findall(r"<dxf\b", self.dxfs[3]))


_STYLE_BASES: dict[str, _StylesBase] = {}
_STYLE_BASES_LIMIT = 32


def _styles_base(xml: str) -> _StylesBase:
    base = _STYLE_BASES.get(xml)
    if base is None:
        base = _StylesBase(xml)
        if len(_STYLE_BASES) >= _STYLE_BASES_LIMIT:
            _STYLE_BASES.clear()
        _STYLE_BASES[xml] = base
    return base


class _Styles:
    """Appends fonts, fills and cell formats to styles.xml and hands out their indices."""

    def __init__(self, xml: str, font_name: str) -> None:
        self.xml = xml
        self.font_name = font_name
        self._base = _styles_base(xml)
        self.new = {k: [] for k in _STYLE_TAGS}
        self.dxfs: list[str] = []
        self.base = self._base.base
        self._xfs = self._base.xfs
        self._clones: dict[tuple[int, int], int] = {}

    def _add(self, tag: str, xml: str) -> int:
        self.new[tag].append(xml)
        return self.base[tag] + len(self.new[tag]) - 1

    def font(self, size: int, bold=False, italic=False, color: str | None = None) -> int:
        xml = ("<font>" + ("<b/>" if bold else "") + ("<i/>" if italic else "") + f'<sz val="{size}"/>'
               + (f'<color rgb="FF{color}"/>' if color else "") + f"<name val={quoteattr(self.font_name)}/></font>")
        return self._add("fonts", xml)

    def fill(self, rgb: str) -> int:
        return self._add("fills", f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
                                  f'<bgColor rgb="FF{rgb}"/></patternFill></fill>')

    def border(self, rgb: str) -> int:
        side = '<{0} style="thin"><color rgb="FF%s"/></{0}>' % rgb
        return self._add("borders", "<border>" + "".join(side.format(t) for t in ("left", "right", "top", "bottom"))
                         + "<diagonal/></border>")

    def xf(self, font: int, wrap: bool = False, border: int = 0, halign: str | None = None,
           valign: str = "top") -> int:
        horizontal = f' horizontal="{halign}"' if halign else ""
        wrap_text = ' wrapText="1"' if wrap else ""
        return self._add("cellXfs", f'<xf numFmtId="0" fontId="{font}" fillId="0" borderId="{border}" xfId="0" '
                                    f'applyFont="1" applyBorder="1" applyAlignment="1">'
                                    f'<alignment{horizontal} vertical="{valign}"{wrap_text}/></xf>')

    def dxf(self, rgb: str | None = None, font_rgb: str | None = None) -> int:
        """A differential format (a fill, or a font colour) for conditional formatting; its index."""
        font = f'<font><b/><color rgb="FF{font_rgb}"/></font>' if font_rgb else ""
        fill = (f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/><bgColor rgb="FF{rgb}"/>'
                f"</patternFill></fill>") if rgb else ""
        self.dxfs.append(f"<dxf>{font}{fill}</dxf>")
        return self._base.dxf_count + len(self.dxfs) - 1

    def filled(self, style: int, fill: int) -> int:
        """A copy of cell format ``style`` with ``fill`` as its fill."""
        key = (style, fill)
        if key not in self._clones:
            if not 0 <= style < len(self._xfs):
                raise _GiveUp("style index")
            xf = self._xfs[style]
            if xf.endswith("/>") and "</xf>" not in xf:
                head, tail = xf[:-2], "/>"
            else:
                head, tail = xf[:xf.index(">")], xf[xf.index(">"):]
            head = re.sub(r'\s(?:fillId|applyFill)="[^"]*"', "", head).rstrip() + f' fillId="{fill}" applyFill="1"'
            self._clones[key] = self._add("cellXfs", head + tail)
        return self._clones[key]

    def result(self) -> str:
        base, edits = self._base, []
        for tag, items in self.new.items():
            if items:
                start, end, attrs, body = base.sections[tag]
                edits.append((start, end, f'<{tag}{attrs} count="{base.base[tag] + len(items)}">{body}'
                                          f'{"".join(items)}</{tag}>'))
        if self.dxfs:
            start, end, attrs, body = base.dxfs
            edits.append((start, end, f'<dxfs{attrs} count="{base.dxf_count + len(self.dxfs)}">{body}'
                                      f'{"".join(self.dxfs)}</dxfs>'))
        out, at = [], 0
        for start, end, text in sorted(edits):
            out += [self.xml[at:start], text]
            at = end
        return "".join(out) + self.xml[at:]


# Strict Open XML -> transitional: the same elements under other namespace URIs (ECMA-376 Part 1,
# §A and Part 4). Longest first, so that a URI is never replaced by a shorter one's rule.
_STRICT_TO_TRANSITIONAL = sorted({
    "http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties":
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
    "http://purl.oclc.org/ooxml/officeDocument/relationships":
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/spreadsheetml/main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/drawingml/main": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing":
        "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "http://purl.oclc.org/ooxml/drawingml/chart": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "http://purl.oclc.org/ooxml/officeDocument/extendedProperties":
        "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
    "http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes":
        "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    "http://purl.oclc.org/ooxml/officeDocument/sharedTypes":
        "http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes",
}.items(), key=lambda kv: -len(kv[0]))


def opened_transitional(data: bytes):
    """(package, its RawWorkbook): ``data`` itself, or, for a Strict Open XML package, the same
    package in the transitional namespaces that every program (and openpyxl) writes and edits.
    Values, formulas, styles and protection are untouched; only namespace URIs and the conformance
    mark change. The package is opened once when it is transitional already."""
    raw = open_workbook(data)
    if not raw.strict:
        return data, raw
    data = _to_transitional(raw)
    return data, open_workbook(data)


def _to_transitional(raw) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in raw.zf.infolist():
            body = read_part(raw.zf, item.filename)
            if item.filename.endswith((".xml", ".rels")):
                text = body.decode("utf-8")
                for strict, plain in _STRICT_TO_TRANSITIONAL:
                    text = text.replace(strict, plain)
                text = re.sub(r'(<workbook\b[^>]*?)\sconformance="strict"', r"\1", text, count=1)
                body = text.encode("utf-8")
            zout.writestr(item, body)
    return out.getvalue()


# A local file header (APPNOTE.TXT 4.3.7): signature, 22 bytes of versions, flags, method, time,
# CRC and sizes, then the lengths of the name and of the extra field that precede the data.
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_PLAIN_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _copy_member(zout: zipfile.ZipFile, data: bytes, item: zipfile.ZipInfo) -> bool:
    """Put member ``item`` of the package ``data`` into ``zout`` as it is, still compressed: no
    inflating and deflating again. zipfile itself writes the member's local header
    (``ZipInfo.FileHeader``) and, on closing, the central directory; only the compressed bytes are
    taken from ``data``, found from the member's own local header. The CRC is the one the unit's
    program wrote, so the copy is exactly as sound as the original member (every part the check
    reads was inflated and CRC-checked then). False, with nothing written, when the member cannot
    be copied this way (another method, encrypted, Zip64, a header not where the directory says);
    the caller then recompresses it."""
    if item.compress_type not in _PLAIN_METHODS or item.flag_bits & 0x1 \
            or max(item.file_size, item.compress_size, item.header_offset) >= zipfile.ZIP64_LIMIT:
        return False
    if not all(hasattr(zout, a) for a in ("fp", "start_dir", "filelist", "NameToInfo")):
        return False  # a zipfile without the attributes it has had since Python 2: recompress
    try:
        signature, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, item.header_offset)
    except struct.error:
        return False
    start = item.header_offset + _LOCAL_HEADER.size + name_len + extra_len
    end = start + item.compress_size
    if signature != b"PK\x03\x04" or end > len(data) or item.filename in zout.NameToInfo:
        return False
    copy = zipfile.ZipInfo(item.filename, item.date_time)
    copy.compress_type, copy.CRC = item.compress_type, item.CRC
    copy.compress_size, copy.file_size = item.compress_size, item.file_size
    copy.create_system, copy.external_attr = item.create_system, item.external_attr
    zout.fp.seek(zout.start_dir)
    copy.header_offset = zout.fp.tell()
    zout.fp.write(copy.FileHeader(False))
    zout.fp.write(memoryview(data)[start:end])
    zout.start_dir = zout.fp.tell()
    zout.filelist.append(copy)
    zout.NameToInfo[copy.filename] = copy
    return True


def write_package(data: bytes, infos: list[zipfile.ZipInfo], parts: dict[str, bytes], zf: zipfile.ZipFile) -> bytes:
    """The package ``data`` (whose members are ``infos``, opened as ``zf``) with ``parts`` in place
    of its members of those names, or added after them. Changed parts are compressed at level 1 (a
    third of the time of the default level for a file ~10 % larger); the others are copied still
    compressed (:func:`_copy_member`)."""
    parts = dict(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for item in infos:
            body = parts.pop(item.filename, None)
            if body is not None:
                zout.writestr(_fresh(item.filename), body, compresslevel=1)
            elif not _copy_member(zout, data, item):
                zout.writestr(item, read_part(zf, item.filename), zipfile.ZIP_DEFLATED, 1)
        for name, body in parts.items():
            zout.writestr(_fresh(name), body, compresslevel=1)
    return out.getvalue()


def patched_copy(sub: Submission, data: bytes, sheet: FrontSheet, password_hash, raw=None) -> bytes | None:
    """The feedback copy of ``data`` (the unit's file) with the front sheet ``sheet``
    (``feedback_sheet.describe_front``), or None when the openpyxl path must make it.

    The findings sheet is locked with the form sheet's own password (its hash is copied);
    ``password_hash`` (a string, or a function giving one) is used when the form has none.
    ``raw``: ``data`` already opened (``open_workbook``), when the caller has it.
    """
    try:
        return _patch(sub, data, raw or open_workbook(data), sheet, password_hash)
    except (_GiveUp, Unreadable, ValueError, KeyError, IndexError, AttributeError, UnicodeError,
            zipfile.BadZipFile):
        return None


def _patch(sub: Submission, data: bytes, raw, sheet: FrontSheet, password_hash) -> bytes:
    zf = raw.zf
    names = zf.namelist()
    if any(s.name == FEEDBACK_SHEET for s in raw.sheets) or any(n.endswith(".vml") for n in names) \
            or any("comments" in n.lower() for n in names):
        raise _GiveUp("already marked or annotated")
    parts: dict[str, bytes] = {}

    texts: dict[str, str] = {}

    def text_of(name: str) -> str:  # each part inflated and decoded once (opening read some)
        if name not in texts:
            got = raw.read[name] if name in raw.read else read_part(zf, name, required=False)
            if got is None:
                raise _GiveUp(name)
            texts[name] = got.decode("utf-8")
        return texts[name]

    workbook = text_of("xl/workbook.xml")
    wb_rels = text_of("xl/_rels/workbook.xml.rels")
    types = text_of("[Content_Types].xml")
    styles_part = _styles_part(wb_rels)
    styles = _Styles(text_of(styles_part), sheet.font)
    if "<workbook " not in workbook or "<sheets>" not in workbook or "<Relationships" not in wb_rels \
            or "<Types" not in types:
        raise _GiveUp("prefixed package")
    fills = styles.fill(ERROR_FILL), styles.fill(WARNING_FILL)

    # --- marks on the offending cells ---
    by_sheet: dict[str, dict[str, list]] = {}
    for f in sub.findings:
        if f.cell and f.sheet and raw.sheet(f.sheet) is not None:
            by_sheet.setdefault(f.sheet, {}).setdefault(f.cell, []).append(f)
    for n, (sheet_name, by_cell) in enumerate(by_sheet.items(), start=1):
        part = raw.sheet(sheet_name).part
        xml, notes = _marked_sheet(text_of(part), by_cell, sub, sheet.lang, styles, fills)
        if notes:
            xml = _attach_notes(xml, part, notes, n, zf, parts)
            types = types.replace("</Types>", f'<Override PartName="/xl/comments_qcdc{n}.xml" '
                                              f'ContentType="{CT_COMMENTS}"/></Types>')
        parts[part] = xml.encode("utf-8")
    if by_sheet and 'Extension="vml"' not in types:
        types = types.replace("</Types>", f'<Default Extension="vml" ContentType="{CT_VML}"/></Types>')

    if not sub.accepted:  # every page of a copy to fix says it is no valid report
        _footer_returned(raw, parts, text_of, returned_footer(sheet.lang == "en"))

    # --- the findings sheet, first and active ---
    other = [s.part for s in raw.sheets if s.part not in parts]
    for part in other:  # only one sheet may show as selected
        xml = text_of(part)
        if ' tabSelected="1"' in xml:
            parts[part] = xml.replace(' tabSelected="1"', "").encode("utf-8")
    new_part = "xl/worksheets/sheet_qcdc_feedback.xml"
    if new_part in names:
        raise _GiveUp("name taken")
    parts[new_part] = front_sheet_xml(sheet, styles, _protection(raw, text_of, password_hash)).encode("utf-8")
    rid = "rIdQcdcFeedback"
    if f'Id="{rid}"' in wb_rels:
        raise _GiveUp("rel id taken")
    parts["xl/_rels/workbook.xml.rels"] = wb_rels.replace(
        "</Relationships>", f'<Relationship Id="{rid}" Type="{REL_SHEET}" Target="/{new_part}"/></Relationships>'
    ).encode("utf-8")
    types = types.replace("</Types>", f'<Override PartName="/{new_part}" ContentType="{CT_SHEET}"/></Types>')
    parts["[Content_Types].xml"] = types.encode("utf-8")
    parts[styles_part] = styles.result().encode("utf-8")
    parts["xl/workbook.xml"] = _workbook_xml(workbook, rid, sub.copy_mark, sheet).encode("utf-8")

    return write_package(data, zf.infolist(), parts, zf)


_HF_AFTER = ("<rowBreaks", "<colBreaks", "<customProperties", "<cellWatches", "<ignoredErrors", "<smartTags",
             "<drawing", "<legacyDrawing", "<picture", "<oleObjects", "<controls", "<webPublishItems",
             "<tableParts", "<extLst", "</worksheet>")  # what follows <headerFooter> (schema order)


def with_left_footer(xml: str, left: str) -> str:
    """The sheet ``xml`` with ``left`` (Excel header codes) as the left part of its page footer,
    unless the footer has a left part already (it is the unit's, kept)."""
    code = "&amp;L" + _text(left)
    m = re.search(r"<oddFooter>(.*?)</oddFooter>", xml, re.S)
    if m:
        return xml if "&amp;L" in m.group(1) else xml[:m.start(1)] + code + xml[m.start(1):]
    m = re.search(r"<oddFooter\s*/>|<headerFooter\b[^>]*/>", xml)
    if m and m.group(0).startswith("<oddFooter"):
        return xml[:m.start()] + f"<oddFooter>{code}</oddFooter>" + xml[m.end():]
    if m:
        return xml[:m.start()] + f"<headerFooter><oddFooter>{code}</oddFooter></headerFooter>" + xml[m.end():]
    m = re.search(r"<headerFooter\b[^>]*>(?:<oddHeader\b[^>]*?(?:/>|>.*?</oddHeader>))?", xml, re.S)
    if m:
        return xml[:m.end()] + f"<oddFooter>{code}</oddFooter>" + xml[m.end():]
    at = min(i for i in (xml.find(t) for t in _HF_AFTER) if i >= 0)
    return xml[:at] + f"<headerFooter><oddFooter>{code}</oddFooter></headerFooter>" + xml[at:]


def _footer_returned(raw, parts: dict[str, bytes], text_of, left: str) -> None:
    """Every visible sheet's footer says, on the left, that the copy is no valid report."""
    for ws in raw.sheets:
        if ws.state != "visible":
            continue
        xml = parts[ws.part].decode("utf-8") if ws.part in parts else text_of(ws.part).replace(' tabSelected="1"', "")
        parts[ws.part] = with_left_footer(xml, left).encode("utf-8")


def _marked_sheet(xml: str, by_cell: dict[str, list], sub: Submission, lang: str, styles: _Styles,
                  fills: tuple[int, int]) -> tuple[str, list[tuple[str, str]]]:
    """The sheet ``xml`` with its offending cells marked: a fixed fill for what typing cannot fix,
    a conditional format for the rest; and the notes to attach, (cell, text)."""
    if not xml.lstrip().startswith(("<?xml", "<worksheet")) or "<worksheet" not in xml[:300] \
            or "<legacyDrawing" in xml:
        raise _GiveUp("sheet")
    merged = []  # (first col, first row, last col, last row) of each merged block
    for m in _MERGE.finditer(xml):
        (r1, c1), (r2, c2) = cell_index(m.group(1)), cell_index(m.group(2))
        merged.append((c1, r1, c2, r2))
    notes = []
    live_rules = []  # conditional formats: the mark shows while the cell is still wrong
    for ref, found in by_cell.items():
        if _merged_tail(ref, merged):
            continue  # inside a merged block, not its first cell: Excel shows only the first
        m = re.search(rf'<c r="{ref}"([^>]*?)(/?)>', xml)
        if m is None:
            raise _GiveUp("cell not in sheet XML")
        conds = [(f, still_wrong(f, sub)) for f in found]
        fixed = [f for f, c in conds if c is None]
        if fixed:  # typing cannot clear these: a fixed fill
            attrs = m.group(1)
            s = re.search(r'\ss="(\d+)"', attrs)
            fill = fills[0] if any(f.severity == "error" for f in fixed) else fills[1]
            new_s = styles.filled(int(s.group(1)) if s else 0, fill)
            attrs = re.sub(r'\ss="\d+"', "", attrs) + f' s="{new_s}"'
            xml = xml[:m.start()] + f'<c r="{ref}"{attrs}{m.group(2)}>' + xml[m.end():]
        for severity in ("error", "warning"):
            live = [c for f, c in conds if c is not None and f.severity == severity]
            if live:
                live_rules.append((ref, severity, live[0] if len(live) == 1 else f"OR({','.join(live)})"))
        notes.append((ref, "\n".join(f"[{f.severity_label(lang)}] {f.message(lang)}" for f in found)
                      + ("\n" + LIVE_NOTE[lang] if len(fixed) < len(found) else "")))
    if live_rules:
        xml = _add_conditional_formats(xml, live_rules, styles)
    return xml.replace(' tabSelected="1"', ""), notes


def _attach_notes(xml: str, part: str, notes: list[tuple[str, str]], n: int, zf: zipfile.ZipFile,
                  parts: dict[str, bytes]) -> str:
    """Sheet ``part`` (its ``xml``) with ``notes`` attached: the comments and their VML drawing go
    into ``parts`` as the ``n``-th pair, with the sheet's relationships."""
    rid = "rIdQcdcNote"
    root = re.search(r"<worksheet\b[^>]*>", xml)
    if f'xmlns:r="{NS_R}"' not in root.group(0):
        if "xmlns:r=" in root.group(0):
            raise _GiveUp("r prefix bound elsewhere")
        xml = xml[:root.end() - 1] + f' xmlns:r="{NS_R}"' + xml[root.end() - 1:]
    at = min(i for i in (xml.find(t) for t in _AFTER_LEGACY) if i >= 0)
    xml = xml[:at] + f'<legacyDrawing r:id="{rid}"/>' + xml[at:]
    comments, vml = f"xl/comments_qcdc{n}.xml", f"xl/drawings/vmlDrawing_qcdc{n}.vml"
    parts[comments] = _comments_xml(notes).encode("utf-8")
    parts[vml] = _vml(notes, n).encode("utf-8")
    rels_name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    rels = read_part(zf, rels_name, required=False)
    rels_xml = rels.decode("utf-8") if rels else f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' \
                                                 f'<Relationships xmlns="{NS_PKG}"></Relationships>'
    if rid in rels_xml or "</Relationships>" not in rels_xml:
        raise _GiveUp("sheet rels")
    rels_xml = rels_xml.replace("</Relationships>",
                                f'<Relationship Id="{rid}" Type="{REL_VML}" Target="/{vml}"/>'
                                f'<Relationship Id="{rid}2" Type="{REL_COMMENTS}" Target="/{comments}"/>'
                                "</Relationships>")
    parts[rels_name] = rels_xml.encode("utf-8")
    return xml


def _protection(raw, text_of, password_hash) -> str:
    """Password attributes for the findings sheet: the form sheet's own, else ``password_hash``."""
    first = next((s for s in raw.sheets if s.state == "visible" and s.name != FEEDBACK_SHEET), None)
    if first is not None:
        m = re.search(r"<sheetProtection\b([^>]*)/?>", text_of(first.part))
        if m:
            found = re.findall(r'\s(password|algorithmName|hashValue|saltValue|spinCount)="([^"]*)"', m.group(1))
            if any(k in ("password", "hashValue") for k, _ in found):
                return "".join(f' {k}="{v}"' for k, v in found)
    return f' password="{password_hash() if callable(password_hash) else password_hash}"'


def _fresh(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _styles_part(wb_rels: str) -> str:
    m = re.search(r'<Relationship\b[^>]*Type="[^"]*/styles"[^>]*>', wb_rels)
    if m is None:
        raise _GiveUp("no styles")
    target = re.search(r'Target="([^"]+)"', m.group(0)).group(1)
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _workbook_xml(xml: str, rid: str, mark: str, front: FrontSheet) -> str:
    ids = [int(x) for x in re.findall(r'<sheet\b[^>]*?\ssheetId="(\d+)"', xml)]
    sheet = f'<sheet name="{front.name}" sheetId="{max(ids, default=0) + 1}" r:id="{rid}"/>'
    root = re.search(r"<workbook\b[^>]*>", xml)
    if f'xmlns:r="{NS_R}"' not in root.group(0):
        if "xmlns:r=" in root.group(0):
            raise _GiveUp("r prefix bound elsewhere")
        # openpyxl with lxml declares r on each <sheet>, not on the root: declare it there too
        xml = xml[:root.end() - 1] + f' xmlns:r="{NS_R}"' + xml[root.end() - 1:]
    xml = xml.replace("<sheets>", "<sheets>" + sheet, 1)
    # Sheet-scoped names (print areas, titles) point at sheets by position: one more sheet in front.
    xml = re.sub(r'localSheetId="(\d+)"', lambda m: f'localSheetId="{int(m.group(1)) + 1}"', xml)
    if COPY_MARK_NAME in xml:
        raise _GiveUp("already carries a copy mark")
    first, last = front.print_area.split(":")
    title = (f'<definedName name="_xlnm.Print_Area" localSheetId="0">'
             f"'{front.name}'!${first[0]}${first[1:]}:${last[0]}${last[1:]}</definedName>"
             f'<definedName name="_xlnm.Print_Titles" localSheetId="0">'
             f"'{front.name}'!${front.repeat_row}:${front.repeat_row}</definedName>"
             f'<definedName name="{COPY_MARK_NAME}" hidden="1">&quot;{mark}&quot;</definedName>')
    if "<definedNames>" in xml:
        xml = xml.replace("<definedNames>", "<definedNames>" + title, 1)
    else:
        at = xml.index("</sheets>") + len("</sheets>")
        xml = xml[:at] + f"<definedNames>{title}</definedNames>" + xml[at:]
    xml = re.sub(r'\s(activeTab|firstSheet)="\d+"', "", xml)
    return re.sub(r"<workbookView\b", '<workbookView activeTab="0" firstSheet="0"', xml, count=1)


def _comments_xml(notes: list[tuple[str, str]]) -> str:
    items = "".join(f'<comment ref="{ref}" authorId="0"><text><t xml:space="preserve">{_text(text)}</t>'
                    "</text></comment>" for ref, text in notes)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{NS_MAIN}">'
            f"<authors><author>qcdc-excel</author></authors><commentList>{items}</commentList></comments>")


def _vml(notes: list[tuple[str, str]], n: int) -> str:
    shapes = []
    for k, (ref, _text_) in enumerate(notes, start=1):
        row, col = (i - 1 for i in cell_index(ref))
        shapes.append(
            f'<v:shape id="_x0000_s{1024 * n + k}" type="#_x0000_t202" style="position:absolute;'
            'margin-left:59.25pt;margin-top:1.5pt;width:270pt;height:105pt;z-index:1;visibility:hidden" '
            'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{col + 1}, 15, {row}, 2, {col + 5}, 15, {row + 7}, 4</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{col}</x:Column>"
            "</x:ClientData></v:shape>")
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{n}"/></o:shapelayout>'
            '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
            '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
            + "".join(shapes) + "</xml>")


LIVE_NOTE = {"vi": "(Ô hết tô màu khi đã sửa đúng.)", "en": "(The colour goes once the cell is right.)"}
_CF_BEFORE = ("<conditionalFormatting", "<dataValidations", "<hyperlinks", "<printOptions", "<pageMargins",
              "<pageSetup", "<headerFooter", "<rowBreaks", "<colBreaks", "<drawing", "<legacyDrawing", "<extLst",
              "</worksheet>")


def _add_conditional_formats(xml: str, rules: list[tuple[str, str, str]], styles: _Styles) -> str:
    """Insert one conditional format per marked cell (red for errors, yellow for warnings) where the
    schema wants them: before the sheet's own conditional formats, or what follows them."""
    red, yellow = styles.dxf(ERROR_FILL), styles.dxf(WARNING_FILL)
    top = max((int(p) for p in re.findall(r'<cfRule\b[^>]*\spriority="(\d+)"', xml)), default=0)
    body = []
    for k, (ref, severity, cond) in enumerate(rules, start=1):
        body.append(f'<conditionalFormatting sqref="{ref}"><cfRule type="expression" '
                    f'dxfId="{red if severity == "error" else yellow}" priority="{top + k}">'
                    f"<formula>{_text(cond)}</formula></cfRule></conditionalFormatting>")
    at = min(i for i in (xml.find(t) for t in _CF_BEFORE) if i >= 0)
    return xml[:at] + "".join(body) + xml[at:]


_LOOKS = {"ok": {"font_rgb": OK_TEXT}}  # the front sheet's conditional formats: a fixed verdict in bold green


def front_sheet_xml(sheet: FrontSheet, styles: _Styles, protection: str) -> str:
    """The worksheet part of the front sheet ``sheet``; its styles are appended to ``styles`` (in
    the description's order, so the same file gets the same copy), ``protection`` holds the
    password attributes."""
    ids, grid = {}, None
    for role, st in sheet.styles.items():
        if st.border and grid is None:
            grid = styles.border(sheet.grid)
        font = styles.font(st.size, bold=st.bold, italic=st.italic, color=st.color)
        ids[role] = styles.xf(font, st.wrap, grid if st.border else 0, st.halign, st.valign)
    rows = []
    for r, cells in sheet.rows():
        height = f' ht="{sheet.heights[r]}" customHeight="1"' if r in sheet.heights else ""
        rows.append(f'<row r="{r}"{height}>' + "".join(_cell_xml(c, ids[c.style]) for c in cells) + "</row>")
    merges = [f'<mergeCell ref="{c.ref}:{c.merge_to}"/>' for c in sheet.cells if c.merge_to]
    links = [f'<hyperlink ref="{c.ref}" location={quoteattr(_ILLEGAL_XML.sub("", c.link))} '
             f'display={quoteattr(_ILLEGAL_XML.sub("", str(c.value)))}/>' for c in sheet.cells if c.link]
    formats = "".join(f'<conditionalFormatting sqref="{cf.ref}"><cfRule type="expression" '
                      f'dxfId="{styles.dxf(**_LOOKS[cf.look])}" priority="{k}"><formula>{_text(cf.formula)}</formula>'
                      "</cfRule></conditionalFormatting>" for k, cf in enumerate(sheet.cond_formats, start=1))
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(sheet.widths, 1))
    margins = "".join(f' {side}="{inches}"' for side, inches in sheet.margins.items())
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<dimension ref="{sheet.span}"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>{"".join(rows)}</sheetData>'
            + (f'<sheetProtection{protection} sheet="1" objects="1" scenarios="1"/>' if sheet.protected else "")
            + (f'<mergeCells count="{len(merges)}">{"".join(merges)}</mergeCells>' if merges else "")
            + formats + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
            + f"<pageMargins{margins}/><pageSetup paperSize=\"9\" "
            f'orientation="{"landscape" if sheet.landscape else "portrait"}" fitToWidth="1" fitToHeight="0"/>'
            + (f"<headerFooter><oddFooter>{_text(sheet.footer_code)}</oddFooter></headerFooter>" if sheet.footer else "")
            + "</worksheet>")


def _cell_xml(c: FrontCell, style: int) -> str:
    if c.formula is not None:  # live: the formula, with its value now for viewers that do not recalculate
        return f'<c r="{c.ref}" s="{style}" t="str"><f>{_text(c.formula)}</f><v>{_text(c.value)}</v></c>'
    if c.value is None:  # only the style: a line of a merged box
        return f'<c r="{c.ref}" s="{style}"/>'
    if isinstance(c.value, int):
        return f'<c r="{c.ref}" s="{style}"><v>{c.value}</v></c>'
    body = _text(c.value)
    space = ' xml:space="preserve"' if body != body.strip() or "\n" in body else ""
    return f'<c r="{c.ref}" s="{style}" t="inlineStr"><is><t{space}>{body}</t></is></c>'


# --- the receipt of an accepted file: a one-page workbook of its own --------------------------------
CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_RECEIPT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{CT_MAIN}"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT_SHEET}"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{CT_STYLES}"/></Types>')
_RECEIPT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{NS_PKG}">'
    f'<Relationship Id="rId1" Type="{NS_R}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_RECEIPT_BOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{NS_PKG}">'
    f'<Relationship Id="rId1" Type="{REL_SHEET}" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{NS_R}/styles" Target="styles.xml"/></Relationships>')
_RECEIPT_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{NS_MAIN}">'
    '<fonts count="1"><font><name val="Times New Roman"/><family val="1"/><sz val="12"/></font></fonts>'  # the forms' Normal'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def receipt_workbook(sheet: FrontSheet, mark: str, password_hash: str) -> bytes:
    """The receipt ``sheet`` (``describe_front`` of an accepted file) as a workbook of its own: one
    sheet, one A4 page, locked with ``password_hash``. It carries the copy mark ``mark`` of the
    report it acknowledges and the hidden name ``_qcdc_receipt``, so that a receipt sent back is
    recognised and set aside (``validate``), never read as a report."""
    styles = _Styles(_RECEIPT_STYLES, sheet.font)
    body = front_sheet_xml(sheet, styles, f' password="{password_hash}"')
    first, last = sheet.print_area.split(":")
    name = f"'{sheet.name}'"
    book = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{NS_MAIN}" '
            f'xmlns:r="{NS_R}"><workbookPr/><workbookProtection lockStructure="1"/><bookViews><workbookView '
            f'activeTab="0"/></bookViews><sheets><sheet name="{sheet.name}" sheetId="1" r:id="rId1"/></sheets>'
            f'<definedNames><definedName name="_xlnm.Print_Area" localSheetId="0">{name}!${first[0]}${first[1:]}:'
            f'${last[0]}${last[1:]}</definedName><definedName name="_xlnm.Print_Titles" localSheetId="0">'
            f"{name}!${sheet.repeat_row}:${sheet.repeat_row}</definedName>"
            f'<definedName name="{COPY_MARK_NAME}" hidden="1">&quot;{mark}&quot;</definedName>'
            f'<definedName name="{RECEIPT_NAME}" hidden="1">1</definedName></definedNames></workbook>')
    parts = {"[Content_Types].xml": _RECEIPT_TYPES, "_rels/.rels": _RECEIPT_RELS, "xl/workbook.xml": book,
             "xl/_rels/workbook.xml.rels": _RECEIPT_BOOK_RELS, "xl/styles.xml": styles.result(),
             "xl/worksheets/sheet1.xml": body}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for part, text in parts.items():
            zout.writestr(_fresh(part), text.encode("utf-8"), compresslevel=1)
    return out.getvalue()
