"""Feedback copies: the package-editing path against the openpyxl path, on real files.

Both paths must give the unit the same thing: the findings sheet first, every offending cell
filled (red for an error, yellow for a warning) with a note, the form still protected, and a copy
that validates again once the unit fixes it. LibreOffice must open the edited package and keep
the marks.
"""
from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel import feedback, parse_period
from qcdc_excel.feedback import marked_copy, write_feedback_files
from qcdc_excel.feedback_sheet import (GUIDE_ROW, HEAD_ROW, INFO_ROW, VERDICT_ROW, describe_front, describe_receipt,
                                       short_sha)
from qcdc_excel.feedback_zip import patched_copy
from qcdc_excel.form import FEEDBACK_SHEET, FORM_SHEET, META_SHEET
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.synthetic import fill_workbook
from qcdc_excel.template import template_bytes
from qcdc_excel.validate import read_submission

from .conftest import convert_with_soffice
from .corpus import make_values

PERIOD = parse_period("2020")
UNIT = Identity("23641", "Xã Kon Pne", "625", "Huyện Kbang")


@pytest.fixture(scope="module")
def layout(catalog):
    return form_layout(catalog.version, "xa")


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, catalog, layout):
    """A filled form with errors and a warning: a part above its total, words in a count, a
    missing required answer, a number typed as text and hostile text in a note."""
    values = make_values(catalog, layout.input_codes, seed=11)
    values.update({"II.9.4": values["II.9.3"] + 3, "II.5.3": "12 vụ", "II.1.2": "7",
                   "V.1": "=HYPERLINK(\"http://x\") <b>&amp;</b>"})
    values.pop("IV.8")
    path = tmp_path_factory.mktemp("fb") / "faulty.xlsx"
    return fill_workbook(template_bytes("xa", PERIOD, UNIT), values, path, report_date=dt.datetime(2020, 10, 20),
                         names=("Nguyễn Văn A", "Nguyễn Văn Dũng"))


MARK_COLOURS = ("FFC7CE", "FFEB9C")


def live_marks(ws) -> dict[str, str]:
    """Cell -> colour of the conditional format a feedback copy adds on it: a fill-only format in the
    marks' colours (the form's own self-check formats also colour the text)."""
    out = {}
    for cf in ws.conditional_formatting:
        refs = str(cf.sqref).split()
        if len(refs) != 1 or ":" in refs[0]:
            continue
        for rule in cf.rules:
            if rule.dxf is not None and rule.dxf.font is not None and rule.dxf.font.color is not None:
                continue  # the form's own self-check format (red text on pink), not a feedback mark
            fill = rule.dxf.fill if rule.dxf is not None else None
            seen = {str(c.rgb)[-6:] for c in (fill.fgColor, fill.bgColor) if c is not None} if fill else set()
            colour = next((c for c in MARK_COLOURS if c in seen), "")  # a format's fill is its bgColor
            if colour and rule.formula:
                out[refs[0]] = min(out.get(refs[0], colour), colour)  # red wins over yellow
    return out


def marks(path: Path) -> dict:
    """What the unit sees in a feedback copy, read with openpyxl: a cell is marked by a fixed fill
    (what typing cannot fix) or by a conditional format that shows while the cell is wrong."""
    wb = openpyxl.load_workbook(path)
    ws = wb[FORM_SHEET]
    live = live_marks(ws)
    cells = {}
    for row in ws.iter_rows():
        for c in row:
            fixed = c.fill and c.fill.fill_type == "solid" and c.fill.fgColor.rgb[-6:] in MARK_COLOURS
            # the form's own self-check formats use the same colours: a feedback mark always has a note
            if c.comment is not None or fixed:
                colour = c.fill.fgColor.rgb[-6:] if fixed else live.get(c.coordinate, "")
                cells[c.coordinate] = (colour, c.comment.text if c.comment else None, c.protection.locked)
    fb = wb[FEEDBACK_SHEET]
    listed = [(r[5].value, r[2].value, r[6].value, r[1].value, r[3].value)
              for r in fb.iter_rows(min_row=HEAD_ROW + 1) if r[3].value]
    info = [(fb.cell(r, 1).value, fb.cell(r, 3).value) for r in range(INFO_ROW, GUIDE_ROW)]
    same_password = fb.protection.password == ws.protection.password and bool(ws.protection.password)
    return {"same_password": same_password, "sheets": wb.sheetnames, "active": wb.active.title, "cells": cells, "listed": listed, "info": info,
            "protected": (ws.protection.sheet, fb.protection.sheet, wb.security.lockStructure),
            "meta_state": wb[META_SHEET].sheet_state, "title_rows": fb.print_title_rows,
            "print_area": ws.print_area}


def test_the_package_edit_marks_what_openpyxl_marks(tmp_path, faulty, monkeypatch):
    sub = read_submission(faulty)
    assert sub.status == "rejected" and {f.severity for f in sub.findings} == {"error", "warning"}
    assert patched_copy is feedback.patched_copy
    fast = tmp_path / "fast.xlsx"
    fast.write_bytes(marked_copy(sub))
    monkeypatch.setattr(feedback, "patched_copy", lambda *a, **k: None)
    slow = tmp_path / "slow.xlsx"
    slow.write_bytes(marked_copy(sub))
    assert fast.read_bytes() != slow.read_bytes()
    got, want = marks(fast), marks(slow)
    assert got == want
    # and what they mark is right: every finding with a cell, red for errors, yellow for warnings
    expected = {}
    for f in sub.findings:
        if f.cell and f.sheet == FORM_SHEET:
            colour = "FFC7CE" if f.severity == "error" or expected.get(f.cell, ("",))[0] == "FFC7CE" else "FFEB9C"
            expected[f.cell] = (colour,)
    assert {ref: v[0] for ref, v in got["cells"].items()} == {ref: v[0] for ref, v in expected.items()}
    assert all(v[2] is False for v in got["cells"].values())  # the unit can still type in them
    assert got["sheets"] == [FEEDBACK_SHEET, FORM_SHEET, META_SHEET] and got["active"] == FEEDBACK_SHEET
    assert got["protected"] == (True, True, True) and got["meta_state"] == "veryHidden" and got["same_password"]
    assert sorted(r[3] for r in got["listed"]) == sorted(f.title() for f in sub.findings)


def test_the_edited_copy_validates_again_once_fixed(tmp_path, faulty, catalog, layout):
    sub = read_submission(faulty)
    (path,) = write_feedback_files([sub], tmp_path)
    again = read_submission(path)
    assert [f.code for f in again.findings] == [f.code for f in sub.findings]  # the marks change nothing
    wb = openpyxl.load_workbook(path)
    ws = wb[FORM_SHEET]
    good = make_values(catalog, layout.input_codes, seed=11)
    for code in ("II.9.4", "II.5.3", "II.1.2", "IV.8", "V.1"):
        ws[layout.cells[code]] = good[code]
    wb.save(path)
    fixed = read_submission(path)
    assert fixed.status == "accepted", [f.message() for f in fixed.findings]


def test_unusual_packages_take_the_openpyxl_path(tmp_path, faulty):
    """A copy that already carries a feedback sheet (sent back unfixed) is rebuilt by openpyxl,
    and still has one findings sheet, not two."""
    sub = read_submission(faulty)
    (first,) = write_feedback_files([sub], tmp_path / "a")
    resent = read_submission(first)
    assert patched_copy(resent, first.read_bytes(), describe_front(resent, "vi"), "CA31") is None
    (second,) = write_feedback_files([resent], tmp_path / "b")
    m = marks(second)
    assert m["sheets"] == [FEEDBACK_SHEET, FORM_SHEET, META_SHEET]
    assert sorted(r[3] for r in m["listed"]) == sorted(f.title() for f in resent.findings)


def test_many_feedback_files_on_workers_equal_one_process(tmp_path, faulty):
    sub = read_submission(faulty)
    subs = [sub] * 20  # the same file sent 20 times: names must not clash either
    serial = write_feedback_files(subs, tmp_path / "serial", jobs=1)
    parallel = write_feedback_files(subs, tmp_path / "parallel", jobs=2)
    assert [p.name for p in serial] == [p.name for p in parallel] and len(set(p.name for p in serial)) == 20
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(serial, parallel))


@pytest.mark.soffice
def test_libreoffice_opens_the_edited_copy_and_keeps_the_marks(tmp_path, faulty, soffice):
    sub = read_submission(faulty)
    (fb,) = write_feedback_files([sub], tmp_path / "fb")
    # the unit's file as LibreOffice saves it (shared strings, its own styles), marked in turn
    lo_filled = convert_with_soffice(soffice, [faulty], tmp_path / "lo1")[faulty]
    lo_sub = read_submission(lo_filled)
    assert [f.code for f in lo_sub.findings] == [f.code for f in sub.findings]
    data = lo_filled.read_bytes()
    assert patched_copy(lo_sub, data, describe_front(lo_sub, "vi"), "CA31") is not None
    (fb_lo,) = write_feedback_files([lo_sub], tmp_path / "fb-lo")
    converted = convert_with_soffice(soffice, [fb, fb_lo], tmp_path / "lo2")
    for original, resaved in converted.items():
        before, after = marks(original), marks(resaved)
        assert after["sheets"] == before["sheets"]
        assert {r: v[:2] for r, v in after["cells"].items()} == {r: v[:2] for r, v in before["cells"].items()}
        assert after["listed"] == before["listed"]
        again = read_submission(resaved)
        assert [f.code for f in again.findings] == [f.code for f in sub.findings]


@pytest.mark.parametrize("path_kind", ["package", "openpyxl"])
def test_a_fixed_copy_no_longer_says_it_is_rejected(tmp_path, faulty, catalog, layout, soffice, monkeypatch,
                                                    path_kind):
    """The marks and the verdict are live: LibreOffice recalculates the unit's copy, before and after
    the unit fixes the cells, and the front sheet says what is left, then that it can be sent."""
    sub = read_submission(faulty)
    if path_kind == "openpyxl":
        monkeypatch.setattr(feedback, "patched_copy", lambda *a, **k: None)
    unfixed = tmp_path / "chua-sua.xlsx"
    unfixed.write_bytes(marked_copy(sub))
    wb = openpyxl.load_workbook(unfixed)
    ws = wb[FORM_SHEET]
    good = make_values(catalog, layout.input_codes, seed=11)
    for code in ("II.9.4", "II.5.3", "II.1.2", "IV.8", "V.1"):
        ws[layout.cells[code]] = good[code]
    fixed = tmp_path / "da-sua.xlsx"
    wb.save(fixed)
    out = convert_with_soffice(soffice, [unfixed, fixed], tmp_path / "lo")
    errors = len(sub.errors)

    def front(path):
        fb = openpyxl.load_workbook(path, data_only=True)[FEEDBACK_SHEET]
        states = [r[4].value for r in fb.iter_rows(min_row=HEAD_ROW + 1) if r[3].value]
        return fb[f"C{VERDICT_ROW}"].value, states

    verdict, states = front(out[unfixed])
    assert verdict == f"CHƯA ĐƯỢC CHẤP NHẬN: còn {errors} lỗi cần sửa"
    assert states.count("Chưa sửa") == len(sub.findings)
    verdict, states = front(out[fixed])
    assert verdict == "ĐÃ SỬA XONG: lưu tệp và gửi lại chính tệp này"
    assert set(states) == {"Đã sửa"}
    assert read_submission(out[fixed]).status == "accepted"
    # and the marks went with the mistakes: LibreOffice shows no feedback colour on a fixed cell
    lo = openpyxl.load_workbook(out[fixed])[FORM_SHEET]
    for ref in live_marks(lo):
        assert lo[ref].fill.fill_type != "solid" or lo[ref].fill.fgColor.rgb[-6:] not in MARK_COLOURS


def _stored(data: bytes, name: str) -> tuple[int, int, bytes]:
    """(CRC, size, compressed bytes) of member ``name`` as the package stores it."""
    import io
    import struct
    import zipfile

    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    return info.CRC, info.file_size, data[start:start + info.compress_size]


# What a feedback copy edits: the workbook, its relationships, the content types, the styles and
# the sheets (a mark, or the selected tab). Everything else is the unit's, byte for byte.
EDITED = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml")


@pytest.mark.soffice
def test_unchanged_parts_are_copied_still_compressed(tmp_path, faulty, soffice):
    """In files as openpyxl, Excel and LibreOffice write them, every part the copy does not edit
    (theme, document properties, shared strings, calculation chain, ...) is the unit's own
    compressed bytes with the unit's CRC, and the copy passes zipfile's CRC check throughout."""
    import io
    import zipfile

    from . import dialects

    excel = tmp_path / "excel.xlsx"
    excel.write_bytes(dialects.to_excel(faulty.read_bytes()))
    lo = convert_with_soffice(soffice, [faulty], tmp_path / "lo")[faulty]
    copied_kinds = set()
    for path in (faulty, excel, lo):
        sub = read_submission(path)
        data = path.read_bytes()
        copy = marked_copy(sub)
        with zipfile.ZipFile(io.BytesIO(copy)) as zf:
            assert zf.testzip() is None
            names = zf.namelist()
        assert FEEDBACK_SHEET in openpyxl.load_workbook(io.BytesIO(copy)).sheetnames
        kept = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
                if n not in EDITED and not n.startswith("xl/worksheets/")]
        assert kept, path
        for name in kept:
            assert name in names
            assert _stored(copy, name) == _stored(data, name), (path.name, name)
            copied_kinds.add(name)
    assert {"xl/sharedStrings.xml", "xl/theme/theme1.xml", "docProps/core.xml"} <= copied_kinds


def _repacked(data: bytes, how: str) -> bytes:
    """``data`` with every member stored another way: behind a data descriptor (what a writer
    that cannot seek produces), or compressed with bzip2 (which the copy cannot keep)."""
    import io
    import zipfile

    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.buf = io.BytesIO()

        def writable(self):
            return True

        def write(self, b):
            return self.buf.write(b)

    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        items = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    if how == "descriptor":
        sink = Unseekable()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zout:
            for name, body in items:
                zout.writestr(name, body)
        return sink.buf.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, body in items:
            zout.writestr(name, body, zipfile.ZIP_BZIP2 if name.startswith("docProps/") else zipfile.ZIP_DEFLATED)
    return out.getvalue()


@pytest.mark.parametrize("how", ["descriptor", "bzip2"])
def test_members_stored_otherwise_are_copied_right(tmp_path, faulty, how):
    """Members behind a data descriptor are copied with their sizes in the header; a member in a
    method the copy cannot keep is recompressed. Either way the copy reads back whole and marks
    the same findings as the copy of the ordinary file."""
    import io
    import zipfile

    data = _repacked(faulty.read_bytes(), how)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        assert all(i.flag_bits & 0x08 for i in infos) if how == "descriptor" else \
            any(i.compress_type == zipfile.ZIP_BZIP2 for i in infos)
        source = {i.filename: zf.read(i.filename) for i in infos}
    path = tmp_path / f"{how}.xlsx"
    path.write_bytes(data)
    sub = read_submission(path)
    copy = marked_copy(sub)
    with zipfile.ZipFile(io.BytesIO(copy)) as zf:
        assert zf.testzip() is None
        for info in zf.infolist():
            assert info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            assert not info.flag_bits & 0x08
            if info.filename.startswith("docProps/"):
                assert zf.read(info.filename) == source[info.filename]
    again = tmp_path / "again.xlsx"
    again.write_bytes(copy)
    assert [f.code for f in read_submission(again).findings] == [f.code for f in read_submission(faulty).findings]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failure_while_writing_feedback_leaves_the_folder_as_it_was(tmp_path, faulty, monkeypatch, jobs):
    """Feedback files are all staged, made durable together, then put in place: when writing one
    fails, no new file appears, no temporary file stays, and the files of an earlier run are
    untouched."""
    sub = read_submission(faulty)
    subs = [sub] * 20
    out = tmp_path / "gop-y"
    earlier = write_feedback_files(subs, out, jobs=jobs)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(before) == 20 and not any(n.startswith(".") for n in before)
    real = feedback.stage_bytes

    def failing(path, data, tag=""):
        if "_faulty_13." in path.name:
            raise OSError(28, "No space left on device")
        return real(path, data, tag)
    monkeypatch.setattr(feedback, "stage_bytes", failing)
    monkeypatch.setattr(feedback, "marked_copy", lambda s, lang="vi", **kw: b"changed")
    with pytest.raises(OSError):
        write_feedback_files(subs, out, jobs=jobs)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in earlier) == sorted(before)


def test_a_merge_run_again_leaves_unchanged_feedback_files_alone(tmp_path, faulty, monkeypatch):
    """Run again over the same files, the feedback folder keeps its files as they are (same file,
    same date); a file whose feedback changed is replaced whole."""
    import os

    sub = read_submission(faulty)
    subs = [sub] * 3
    out = tmp_path / "gop-y"
    first = write_feedback_files(subs, out, jobs=1)
    stamps = {p.name: (os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in first}
    again = write_feedback_files(subs, out, jobs=1)
    assert [p.name for p in again] == [p.name for p in first]
    assert {p.name: (os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in again} == stamps
    real = feedback.marked_copy
    monkeypatch.setattr(feedback, "marked_copy",
                        lambda s, lang="vi", **kw: real(s, lang, **kw) if s is not subs[1] else b"other")
    subs[1] = read_submission(faulty)
    third = write_feedback_files(subs, out, jobs=1)
    assert third[1].read_bytes() == b"other" and os.stat(third[1]).st_ino != stamps[third[1].name][0]
    assert {p.name: os.stat(p).st_ino for p in (third[0], third[2])} == {
        n: stamps[n][0] for n in (third[0].name, third[2].name)}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_temporary_files_a_killed_run_left_are_cleared_and_nothing_else(tmp_path, faulty):
    """A merge killed between staging and putting files in place leaves hidden temporary files;
    the next run over the same files removes them, and leaves other files of the folder alone."""
    sub = read_submission(faulty)
    out = tmp_path / "gop-y"
    out.mkdir()
    name = feedback.feedback_names([sub])[0]
    left = out / f".{name}.0123456789ab.tmp"
    left.write_bytes(b"half")
    os.utime(left, (left.stat().st_mtime - 7200,) * 2)  # the killed run was two hours ago
    live = out / f".{name}.abcdef012345.tmp"  # another run staging into this folder right now
    others = [out / ".ghi-chu.txt", out / f".{name}.not-ours.tmp", out / "ban-cu.xlsx", live]
    for p in others:
        p.write_bytes(b"keep")
    (written,) = write_feedback_files([sub], out, jobs=1)
    assert not left.exists() and all(p.read_bytes() == b"keep" for p in others)
    assert written.name == name and written.read_bytes()[:2] == b"PK"


@pytest.mark.soffice
def test_a_clean_file_gets_a_receipt_that_prints_whole(tmp_path, catalog, layout, soffice):
    """Most units get a clean file back: a receipt. It says there is nothing to send again, names
    the very file received by its SHA-256, and "no problems found" prints whole, as a sentence (it
    was cut to “Khôn” in the narrow STT column of an empty table)."""
    from .test_print import pages, poppler

    poppler()
    good = fill_workbook(template_bytes("xa", PERIOD, UNIT), make_values(catalog, layout.input_codes, seed=5),
                         tmp_path / "sach.xlsx", report_date=dt.datetime(2020, 10, 20),
                         names=("Nguyễn Văn A", "Nguyễn Văn Dũng"))
    sub = read_submission(good)
    assert sub.status == "accepted" and not sub.findings
    (receipt,) = write_feedback_files([sub], tmp_path / "gop-y", jobs=1)
    ws = openpyxl.load_workbook(receipt)[FEEDBACK_SHEET]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    shown = dict(t.split(": ", 1) for t in texts if ": " in t and not t.startswith("SHA-256"))
    assert shown["Dấu tệp (SHA-256)"] == short_sha(sub.sha256) and len(sub.sha256) == 64
    assert shown["Kết quả"] == "ĐƯỢC CHẤP NHẬN"
    assert any(t.startswith("Không phát hiện lỗi. Báo cáo đã được tiếp nhận, đơn vị không cần gửi lại.") for t in texts)
    assert "STT" not in texts and ws.max_column == 3  # a sentence on a portrait page, no empty table
    (pdf,) = convert_with_soffice(soffice, [receipt], tmp_path / "pdf", fmt="pdf").values()
    front = pages(pdf)[0]["text"]
    assert "Không phát hiện lỗi." in front and short_sha(sub.sha256) in front and sub.sha256 not in front
    assert "không cần gửi lại" in front and "Sửa trực tiếp" not in front


def front_sheet_look(data: bytes) -> dict:
    """Everything the unit sees of the front sheet, read back with openpyxl: each cell's value or
    formula, font, alignment and lines, the merged ranges, widths, heights, links, the green
    verdict, the page and the lock."""
    import io

    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[FEEDBACK_SHEET]
    rgb = lambda colour: str(colour.rgb)[-6:] if colour is not None and colour.rgb else None  # noqa: E731
    cells = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value in (None, "") and not c.has_style:
                continue
            f, a, b = c.font, c.alignment, c.border
            lines = tuple((s.style, rgb(s.color)) if s and s.style else None for s in (b.left, b.right, b.top, b.bottom))
            cells[c.coordinate] = (c.value if c.value != "" else None, f.name, f.sz, bool(f.b), bool(f.i), f.u,
                                   rgb(f.color), a.horizontal, a.vertical, bool(a.wrap_text), lines,
                                   c.hyperlink.location if c.hyperlink else None)
    formats = [(str(cf.sqref), r.formula, bool(r.dxf.font.b), rgb(r.dxf.font.color))
               for cf in ws.conditional_formatting for r in cf.rules]
    m = ws.page_margins
    return {"cells": cells, "merged": sorted(str(r) for r in ws.merged_cells.ranges), "formats": formats,
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
            "titles": ws.print_title_rows, "page": (ws.page_setup.orientation, ws.page_setup.paperSize,
                                                    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight),
            "margins": (m.left, m.right, m.top, m.bottom, m.header, m.footer),
            "locked": (ws.protection.sheet, ws.protection.password), "first": wb.sheetnames[0],
            "footer": (ws.oddFooter.left.text, ws.oddFooter.center.text, ws.oddFooter.right.text),
            "area": ws.print_area}


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("kind", ["to-fix", "warnings", "receipt"])
def test_both_paths_draw_the_one_front_sheet(tmp_path, faulty, catalog, layout, monkeypatch, kind, lang):
    """The front sheet is described once (``feedback_sheet``): the package edit and the openpyxl
    path draw the same cells, styles, merges, sizes, links, formats and page, for a copy to fix, a
    copy with warnings only and a receipt, in both languages."""
    if kind == "to-fix":
        path = faulty
    else:
        values = make_values(catalog, layout.input_codes, seed=11)
        if kind == "warnings":
            values["II.1.2"] = "7"  # a number typed as text: a warning only
        path = fill_workbook(template_bytes("xa", PERIOD, UNIT), values, tmp_path / f"{kind}.xlsx",
                             report_date=dt.datetime(2020, 10, 20), names=("Nguyễn Văn A", "Nguyễn Văn Dũng"))
    sub = read_submission(path)
    assert sub.status == {"to-fix": "rejected", "warnings": "accepted-with-warnings", "receipt": "accepted"}[kind]
    fast = marked_copy(sub, lang)
    monkeypatch.setattr(feedback, "patched_copy", lambda *a, **k: None)
    if kind == "receipt":  # a receipt of its own (one sheet), against the openpyxl drawing of the same description
        assert openpyxl.load_workbook(io.BytesIO(fast)).sheetnames == [FEEDBACK_SHEET]
        slow = feedback._openpyxl_copy(sub, describe_receipt(sub, lang), path.read_bytes())
    else:
        slow = marked_copy(sub, lang)
        assert b"sheet_qcdc_feedback.xml" in fast and b"sheet_qcdc_feedback.xml" not in slow  # two paths indeed
    got, want = front_sheet_look(fast), front_sheet_look(slow)
    assert got == want
    sheet = (describe_receipt if kind == "receipt" else describe_front)(sub, lang)
    assert got["first"] == FEEDBACK_SHEET
    assert {ref for ref, v in got["cells"].items() if v[0] is not None} == \
        {c.ref for c in sheet.cells if c.value not in ("", None)}
    assert got["titles"] == (None if kind == "receipt" else f"${HEAD_ROW}:${HEAD_ROW}") and got["locked"][0]
    assert len(got["formats"]) == (kind != "receipt")
    assert got["page"] == (("portrait", 9, 1, 1) if kind == "receipt" else ("landscape", 9, 1, 0))
    links = [c.link for c in sheet.cells if c.link]
    assert len(links) == sum(1 for f in sub.findings if f.cell) and \
        sorted(v[-1] for v in got["cells"].values() if v[-1]) == sorted(links)
