"""The unit roster: sample rosters, accepted file shapes and refused rosters.

A refused roster's message must let a clerk fix the file: the file path, the row number as
seen in a spreadsheet (header = row 1) and the reason, in Vietnamese and in English.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
import pytest

from qcdc_excel.i18n import MultiError, QcdcError
from qcdc_excel.roster import Roster, load_roster, normalise_level

ROOT = Path(__file__).resolve().parent.parent
KBANG = ROOT / "samples" / "rosters" / "kbang-2020.csv"
POST2025 = ROOT / "samples" / "rosters" / "post2025-province.csv"

KBANG_COMMUNES = ["23638", "23641", "23644", "23647", "23650", "23653", "23656", "23659", "23660",
                  "23662", "23665", "23668", "23671", "23674"]

SMALL = [
    ("code", "name", "level", "parent"),
    ("04", "Tỉnh Cao Bằng", "tinh", ""),
    ("040", "Huyện Thử", "huyen", "04"),
    ("01273", "Phường Thục Phán", "xa", "040"),
    ("01279", "Phường Nùng Trí Cao", "xa", "040"),
]


def write_csv(tmp_path: Path, rows, name: str = "roster.csv", sep: str = ",", bom: bool = False,
              encoding: str = "utf-8") -> Path:
    text = "".join(sep.join(r) + "\n" for r in rows)
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def refused(path: Path) -> QcdcError:
    with pytest.raises(QcdcError) as info:
        load_roster(path)
    return info.value


def assert_message(exc: QcdcError, path: Path, row: int | None, vi: str, en: str) -> None:
    """Both renderings name the file, the row (if any) and the reason."""
    text_vi, text_en = exc.render("vi"), exc.render("en")
    assert str(path) in text_vi and str(path) in text_en
    if row is not None:
        assert f"dòng {row}:" in text_vi, text_vi
        assert f"row {row}:" in text_en, text_en
    assert vi in text_vi, text_vi
    assert en in text_en, text_en


def assert_same_units(roster: Roster, rows) -> None:
    expected = {r[0]: (r[1], r[2], r[3] or None) for r in rows[1:]}
    got = {c: (u.name, u.level, u.parent) for c, u in roster.units.items()}
    assert got == expected


# --- the samples -------------------------------------------------------------------------------

def test_kbang_sample():
    r = load_roster(KBANG)
    assert len(r) == 16
    assert [u.code for u in r.at_level("tinh")] == ["64"]
    assert [u.code for u in r.at_level("huyen")] == ["625"]
    assert [u.code for u in r.at_level("xa")] == KBANG_COMMUNES
    assert r["64"].name == "Tỉnh Gia Lai" and r["64"].parent is None
    assert r["625"].parent == "64"
    assert all(r[c].parent == "625" for c in KBANG_COMMUNES)
    assert r["23638"].name == "Thị trấn Kbang"
    assert unicodedata.is_normalized("NFC", r["23674"].name)
    assert "23638" in r and "99999" not in r
    assert r.source == str(KBANG)


def test_kbang_tree_navigation():
    r = load_roster(KBANG)
    assert [u.code for u in r.children_of(None)] == ["64"]
    assert [u.code for u in r.children_of("64")] == ["625"]
    assert [u.code for u in r.children_of("625")] == KBANG_COMMUNES
    assert r.children_of("23638") == []
    assert [u.code for u in r.descendants("64")] == ["625"] + KBANG_COMMUNES
    assert [u.code for u in r.descendants("625")] == KBANG_COMMUNES
    assert r.descendants("23641") == []
    assert [u.code for u in r.ancestors("23641")] == ["625", "64"]
    assert [u.code for u in r.ancestors("625")] == ["64"]
    assert r.ancestors("64") == []


def test_post2025_sample_has_no_district():
    r = load_roster(POST2025)
    assert len(r) == 57
    assert {u.level for u in r.units.values()} == {"tinh", "xa"}
    assert r.at_level("huyen") == []
    assert [u.code for u in r.at_level("tinh")] == ["04"]  # leading zero kept
    communes = r.at_level("xa")
    assert len(communes) == 56
    assert all(u.parent == "04" for u in communes)
    assert all(len(u.code) == 5 and u.code.startswith("0") for u in communes)
    assert [u.code for u in r.descendants("04")] == [u.code for u in communes]
    assert [u.code for u in r.ancestors(communes[-1].code)] == ["04"]
    assert r["01273"].name == "Phường Thục Phán"
    assert sum(u.name.startswith("Phường") for u in communes) == 3


def test_row_numbers_are_spreadsheet_rows():
    r = load_roster(KBANG)
    assert r["64"].row == 2 and r["625"].row == 3 and r["23674"].row == 17


# --- accepted shapes ---------------------------------------------------------------------------

def test_plain_csv(tmp_path):
    assert_same_units(load_roster(write_csv(tmp_path, SMALL)), SMALL)


def test_csv_with_bom(tmp_path):
    path = write_csv(tmp_path, SMALL, bom=True)
    r = load_roster(path)
    assert_same_units(r, SMALL)
    assert "04" in r  # the BOM did not stick to the header or the first code


def test_vietnamese_headers(tmp_path):
    rows = [("ma", "ten", "cap", "ma_cap_tren")] + SMALL[1:]
    assert_same_units(load_roster(write_csv(tmp_path, rows)), SMALL)


def test_vietnamese_headers_with_accents_and_bom(tmp_path):
    rows = [("Mã", "Tên", "Cấp", "Mã cấp trên")] + SMALL[1:]
    assert_same_units(load_roster(write_csv(tmp_path, rows, bom=True)), SMALL)


def test_vietnamese_level_names(tmp_path):
    rows = [SMALL[0], ("04", "Tỉnh Cao Bằng", "Tỉnh", ""), ("040", "Huyện Thử", "Huyện", "04"),
            ("01273", "Phường Thục Phán", "Phường", "040"), ("01279", "Thị trấn X", "Thị trấn", "040")]
    r = load_roster(write_csv(tmp_path, rows))
    assert [r[c].level for c in ("04", "040", "01273", "01279")] == ["tinh", "huyen", "xa", "xa"]


def test_english_level_names(tmp_path):
    rows = [SMALL[0], ("04", "Cao Bang", "province", ""), ("040", "Test", "District", "04"),
            ("01273", "Thuc Phan", "COMMUNE", "040")]
    r = load_roster(write_csv(tmp_path, rows))
    assert [r[c].level for c in ("04", "040", "01273")] == ["tinh", "huyen", "xa"]
    assert normalise_level("province") == "tinh" and normalise_level("bogus") is None


def test_semicolon_csv(tmp_path):
    rows = [SMALL[0], ("04", "Tỉnh Cao Bằng, mới", "tinh", "")] + SMALL[2:]
    r = load_roster(write_csv(tmp_path, rows, sep=";"))
    assert_same_units(r, rows)
    assert r["04"].name == "Tỉnh Cao Bằng, mới"  # a comma inside a name is not a separator


def test_quoted_csv_with_comma_in_name(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('code,name,level,parent\n64,"Tỉnh Gia Lai, cũ",tinh,\n625,Huyện Kbang,huyen,64\n',
                    encoding="utf-8")
    r = load_roster(path)
    assert r["64"].name == "Tỉnh Gia Lai, cũ" and r["625"].parent == "64"


def test_crlf_and_surrounding_spaces(tmp_path):
    path = tmp_path / "crlf.csv"
    path.write_bytes("code,name,level,parent\r\n 64 , Tỉnh Gia Lai ,tinh,\r\n625,Huyện Kbang,huyen, 64\r\n"
                     .encode("utf-8"))
    r = load_roster(path)
    assert r["64"].name == "Tỉnh Gia Lai" and r["625"].parent == "64"


def test_leading_zeros_kept_in_csv(tmp_path):
    r = load_roster(write_csv(tmp_path, SMALL))
    assert set(r.units) == {"04", "040", "01273", "01279"}
    assert r["040"].parent == "04" and r["01273"].parent == "040"
    assert "4" not in r and "1273" not in r


def test_columns_in_any_order(tmp_path):
    rows = [(p, lv, n, c) for c, n, lv, p in SMALL]
    rows[0] = ("parent", "level", "name", "code")
    assert_same_units(load_roster(write_csv(tmp_path, rows)), SMALL)


def write_xlsx(tmp_path: Path, rows, name: str = "roster.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    path = tmp_path / name
    wb.save(path)
    return path


def test_xlsx_codes_as_text(tmp_path):
    r = load_roster(write_xlsx(tmp_path, SMALL))
    assert_same_units(r, SMALL)
    assert r["01279"].row == 5


def test_xlsx_codes_as_numbers(tmp_path):
    rows = [("ma", "ten", "cap", "ma_cap_tren"), (64, "Tỉnh Gia Lai", "tinh", None),
            (625, "Huyện Kbang", "huyen", 64), (23638, "Thị trấn Kbang", "xa", 625),
            (23641.0, "Xã Kon Pne", "xa", 625.0)]
    r = load_roster(write_xlsx(tmp_path, rows))
    assert set(r.units) == {"64", "625", "23638", "23641"}  # no "625.0"
    assert r["625"].parent == "64" and r["23641"].parent == "625"
    assert [u.code for u in r.descendants("64")] == ["625", "23638", "23641"]
    assert r.warnings == []  # numbers at their level's full width lost nothing: nothing to say


def test_xlsx_mixed_text_and_number_codes(tmp_path):
    rows = [SMALL[0], ("64", "Tỉnh Gia Lai", "tinh", None), (625, "Huyện Kbang", "huyen", "64"),
            ("23638", "Thị trấn Kbang", "xa", 625)]
    r = load_roster(write_xlsx(tmp_path, rows))
    assert [u.code for u in r.ancestors("23638")] == ["625", "64"]


def test_xlsx_broken_rows_are_reported(tmp_path):
    rows = [SMALL[0], ("64", "Tỉnh Gia Lai", "tinh", None), ("625", "Huyện Kbang", "huyen", "99")]
    path = write_xlsx(tmp_path, rows)
    assert_message(refused(path), path, 3, "99", "99")


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    exc = refused(path)
    assert str(path) in exc.render("vi") and "Excel" in exc.render("en")


# --- refused rosters ---------------------------------------------------------------------------

def test_duplicate_code(tmp_path):
    rows = SMALL + [("01273", "Phường Khác", "xa", "040")]
    path = write_csv(tmp_path, rows)
    exc = refused(path)
    assert_message(exc, path, 6, "01273", "01273")
    assert_message(exc, path, 6, "trùng", "duplicate")
    assert "dòng 4" in exc.render("vi") and "row 4" in exc.render("en")  # where the first one is


def test_unknown_parent(tmp_path):
    rows = SMALL + [("01288", "Phường Tân Giang", "xa", "041")]
    path = write_csv(tmp_path, rows)
    exc = refused(path)
    assert_message(exc, path, 6, "041", "041")
    assert "không có trong danh sách" in exc.render("vi") and "not in the roster" in exc.render("en")


def test_two_unit_cycle(tmp_path):
    rows = [SMALL[0], ("04", "Tỉnh", "tinh", ""), ("A", "Huyện A", "huyen", "B"),
            ("B", "Huyện B", "huyen", "A")]
    path = write_csv(tmp_path, rows)
    exc = refused(path)
    assert_message(exc, path, 3, "vòng lặp", "cycle")
    assert "A → B → A" in exc.render("vi") and "A -> B -> A" in exc.render("en")
    # One message for the cycle, not a second one from the level check.
    assert not isinstance(exc, MultiError)


def test_cycle_with_levels_that_go_down(tmp_path):
    """xa under huyen is fine level-wise for one of the two links: the cycle must still be named."""
    rows = [SMALL[0], ("H", "Huyện H", "huyen", "X"), ("X", "Xã X", "xa", "H")]
    path = write_csv(tmp_path, rows)
    assert_message(refused(path), path, 2, "vòng lặp", "cycle")


def test_self_parent(tmp_path):
    rows = [SMALL[0], ("04", "Tỉnh", "tinh", "04")]
    path = write_csv(tmp_path, rows)
    assert_message(refused(path), path, 2, "vòng lặp", "cycle")


def test_unknown_level(tmp_path):
    rows = SMALL + [("01288", "Phường Tân Giang", "thon", "040")]
    path = write_csv(tmp_path, rows)
    assert_message(refused(path), path, 6, "“thon”", "'thon'")


@pytest.mark.parametrize("child_level,parent_level", [("huyen", "xa"), ("huyen", "huyen"),
                                                      ("tinh", "huyen"), ("xa", "xa"),
                                                      ("tinh", "tinh")])
def test_child_level_not_below_parent(tmp_path, child_level, parent_level):
    rows = [SMALL[0], ("P", "Cấp trên", parent_level, ""), ("C", "Cấp dưới", child_level, "P")]
    path = write_csv(tmp_path, rows)
    exc = refused(path)
    assert_message(exc, path, 3, "không thể trực thuộc", "cannot be under")
    assert "C" in exc.render("en") and child_level in exc.render("en") and parent_level in exc.render("en")


@pytest.mark.parametrize("child_level,parent_level", [("xa", "huyen"), ("xa", "tinh"), ("huyen", "tinh")])
def test_child_level_below_parent_is_fine(tmp_path, child_level, parent_level):
    rows = [SMALL[0], ("P", "Cấp trên", parent_level, ""), ("C", "Cấp dưới", child_level, "P")]
    r = load_roster(write_csv(tmp_path, rows))
    assert r["C"].parent == "P"


@pytest.mark.parametrize("header,missing", [(("code", "name", "level"), "parent"),
                                            (("ma", "ten", "ma_cap_tren"), "level"),
                                            (("id", "name", "level", "parent"), "code")])
def test_missing_header_column(tmp_path, header, missing):
    rows = [header, tuple("x" * len(header))]
    path = write_csv(tmp_path, rows)
    exc = refused(path)
    assert_message(exc, path, None, missing, missing)
    assert "tiêu đề" in exc.render("vi") and "header" in exc.render("en")


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf", b" , , , \n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    assert_message(refused(path), path, None, "rỗng", "empty")


@pytest.mark.parametrize("encoding,text", [
    ("cp1258", unicodedata.normalize("NFD", "code,name,level,parent\n64,Tỉnh Gia Lai,tinh,\n")),
    ("latin-1", "code,name,level,parent\n64,Gia Lai é,tinh,\n"),
    ("utf-16", "code,name,level,parent\n64,Tỉnh Gia Lai,tinh,\n"),
])
def test_not_utf8(tmp_path, encoding, text):
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    assert_message(refused(path), path, None, "UTF-8", "UTF-8")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    assert_message(refused(path), path, None, "không tìm thấy", "not found")


def test_directory_is_not_a_roster(tmp_path):
    assert_message(refused(tmp_path), tmp_path, None, "không tìm thấy", "not found")


def test_missing_code_and_name(tmp_path):
    rows = SMALL + [("", "Không mã", "xa", "040"), ("01288", "", "xa", "040")]
    path = write_csv(tmp_path, rows)
    with pytest.raises(MultiError) as info:
        load_roster(path)
    text_vi, text_en = info.value.render("vi"), info.value.render("en")
    assert "dòng 6: thiếu mã đơn vị" in text_vi and "row 6: missing unit code" in text_en
    assert "dòng 7:" in text_vi and "01288" in text_vi and "row 7: unit 01288 has no name" in text_en


def test_several_problems_all_reported(tmp_path):
    rows = [
        ("code", "name", "level", "parent"),
        ("1", "Tỉnh A", "tinh", ""),          # row 2 fine
        ("1", "Tỉnh A lần hai", "tinh", ""),  # row 3 duplicate
        ("2", "Huyện B", "bogus", "1"),        # row 4 unknown level
        ("3", "Xã C", "xa", "9"),              # row 5 unknown parent
        ("4", "Huyện D", "huyen", "1"),        # row 6 fine
        ("5", "Huyện E", "huyen", "4"),        # row 7 huyen under huyen
        ("6", "Huyện F", "huyen", "7"),        # row 8 huyen under xa
        ("7", "Xã G", "xa", "1"),              # row 9 fine
        ("8", "Xã H", "xa", "10"),             # row 10 cycle 8 -> 10 -> 8
        ("10", "Xã K", "xa", "8"),             # row 11
    ]
    path = write_csv(tmp_path, rows)
    with pytest.raises(MultiError) as info:
        load_roster(path)
    exc = info.value
    rows_reported = [e.params["row"] for e in exc.errors]
    assert rows_reported == sorted(rows_reported)
    assert set(rows_reported) == {3, 4, 5, 7, 8, 10}
    vi_lines, en_lines = exc.render("vi").splitlines(), exc.render("en").splitlines()
    assert len(vi_lines) == len(en_lines) == len(exc.errors)
    assert all(str(path) in line for line in vi_lines + en_lines)
    en = exc.render("en")
    for needle in ("row 3: duplicate code 1", "row 4: unknown level 'bogus'", "row 5: parent 9 of 3",
                   "row 7: 5 (huyen) cannot be under 4 (huyen)", "row 8: 6 (huyen) cannot be under 7 (xa)",
                   "row 10: parent cycle"):
        assert needle in en, en
    assert "dòng 10: vòng lặp" in exc.render("vi")


def test_row_numbers_survive_blank_lines(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("code,name,level,parent\n04,Tỉnh A,tinh,\n\n01,Xã B,xa,99\n", encoding="utf-8")
    exc = refused(path)
    assert "dòng 4:" in exc.render("vi"), exc.render("vi")  # the bad row is line 4 of the file


def test_large_roster(tmp_path):
    rows = [("code", "name", "level", "parent"), ("01", "Tỉnh A", "tinh", "")]
    rows += [(f"{100 + i:03d}", f"Huyện {i}", "huyen", "01") for i in range(700)]
    rows += [(f"{i:05d}", f"Xã {i}", "xa", f"{100 + i % 700:03d}") for i in range(10_600)]
    r = load_roster(write_csv(tmp_path, rows))
    assert len(r) == 1 + 700 + 10_600
    assert len(r.descendants("01")) == 700 + 10_600
    assert len(r.children_of("100")) == len(range(0, 10_600, 700))
    assert [u.code for u in r.ancestors("00000")] == ["100", "01"]


def test_header_without_units_is_refused(tmp_path):
    path = write_csv(tmp_path, [["code", "name", "level", "parent"]])
    assert_message(refused(path), path, None, "không có đơn vị nào", "no unit below the header")
