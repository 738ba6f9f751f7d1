"""The command line as a new user meets it: every message in the chosen language, usage errors
(including outputs that cannot be written) exit 2 with a message naming the file and what to do,
nothing found exits 1 having written nothing, outputs get the usual permissions."""
from __future__ import annotations

import ast
import errno
import gettext
import json
import os
import stat
import string
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from qcdc_excel import cli
from qcdc_excel.catalog import load_catalog
from qcdc_excel.cli import code_sort_key, fit, main, scan_lang
from qcdc_excel.i18n import CLICK_VI, CLICK_VI_PLURAL

from .conftest import KBANG_ROSTER, ROOT

KBANG_INBOX = ROOT / "samples" / "kbang-2020" / "inbox"
KBANG_FILES = 18

# click's English that must never reach the Vietnamese interface
CLICK_ENGLISH = ("Usage:", "Error:", "Options:", "Commands:", "Show this message", "Show the version",
                 "[default:", "[required]", "Missing option", "Missing argument", "No such option",
                 "No such command", "Invalid value", "unexpected extra argument", "for help", "is not one of",
                 "is not a valid", "does not exist", "is a directory", "is a file", "[OPTIONS]", "COMMAND [ARGS]")


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_vietnamese_only(text: str) -> None:
    leaked = [w for w in CLICK_ENGLISH if w in text]
    assert not leaked, (leaked, text)
    assert "Traceback" not in text


def merge_args(*extra: str) -> list[str]:
    return ["merge", str(KBANG_INBOX), "--roster", str(KBANG_ROSTER), "--period", "2020", *extra]


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "somefile.txt"
    path.write_text("not a folder", encoding="utf-8")
    return path


@pytest.fixture
def no_merge(monkeypatch):
    """merge() must not start when an argument is refused (the check comes before the long work)."""
    import qcdc_excel.merging as merge_module

    def refuse(*_a, **_k):
        raise AssertionError("merge() ran although the arguments were refused")

    monkeypatch.setattr(merge_module, "merge", refuse)


# --- 1. outputs that cannot be written ------------------------------------------------------------------
def _unwritable_cases(tmp_path: Path, a_file: Path) -> list[tuple[list[str], str]]:
    """(arguments, the path the message must name) for every output option and kind of failure."""
    under_file = a_file / "x"
    return [
        (["template", "--level", "xa", "--out", str(under_file)], str(under_file)),
        (["template", "--level", "xa", "--out", "/proc/x"], "/proc/x"),
        (["template", "--level", "xa", "--out", str(a_file)], str(a_file)),
        (merge_args("--out", str(a_file / "x.xlsx")), str(a_file / "x.xlsx")),
        (merge_args("--out", "/proc/x/out.xlsx"), "/proc/x/out.xlsx"),
        (merge_args("--out", str(tmp_path / "o.xlsx"), "--json", str(a_file / "r.json")),
         str(a_file / "r.json")),
        (merge_args("--out", str(tmp_path / "o.xlsx"), "--json", "/proc/x/r.json"), "/proc/x/r.json"),
        (merge_args("--out", str(tmp_path / "o.xlsx"), "--feedback-dir", str(under_file)), str(under_file)),
        (merge_args("--out", str(tmp_path / "o.xlsx"), "--feedback-dir", "/proc/gop-y"), "/proc/gop-y"),
        (merge_args("--out", str(tmp_path / "o.xlsx"), "--feedback-dir", str(a_file)), str(a_file)),
        (["validate", str(KBANG_INBOX), "--json", str(a_file / "r.json")], str(a_file / "r.json")),
        (["validate", str(KBANG_INBOX), "--json", "/proc/r.json"], "/proc/r.json"),
        (["validate", str(KBANG_INBOX), "--feedback-dir", str(under_file)], str(under_file)),
        (["validate", str(KBANG_INBOX), "--feedback-dir", "/proc/x/gop-y"], "/proc/x/gop-y"),
    ]


def test_unwritable_outputs_are_usage_errors_named_before_any_work(tmp_path, a_file, no_merge):
    for args, named in _unwritable_cases(tmp_path, a_file):
        r = invoke(*args)
        assert r.exit_code == 2, (args, r.output)
        assert isinstance(r.exception, SystemExit), (args, r.exc_info)
        assert "Không ghi được" in r.stderr and named in r.stderr, (args, r.stderr)
        assert "quyền ghi rồi chạy lại" in r.stderr  # what to do
        assert "Đang đọc" not in r.output and "Đang kiểm tra" not in r.output  # refused before reading
        assert_vietnamese_only(r.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["somefile.txt"]  # nothing written


def test_unwritable_output_reasons(tmp_path, a_file):
    r = invoke("template", "--level", "xa", "--out", a_file / "x")
    assert f"{a_file} là một tệp, không phải thư mục" in r.stderr
    r = invoke("template", "--level", "xa", "--out", "/proc/x")
    assert "không tạo được tệp trong /proc" in r.stderr
    r = invoke("template", "--level", "xa", "--out", a_file)
    assert "đây là một tệp, cần một thư mục" in r.stderr
    r = invoke(*merge_args("--out", str(tmp_path)))
    assert r.exit_code == 2 and ".xlsx" in r.stderr


def test_unwritable_outputs_in_english(tmp_path, a_file, no_merge):
    for args, named in _unwritable_cases(tmp_path, a_file):
        r = invoke("--lang", "en", *args)
        assert r.exit_code == 2, (args, r.output)
        assert "Cannot write" in r.stderr and named in r.stderr, (args, r.stderr)
        assert "Không" not in r.stderr


def test_a_folder_without_write_permission_is_refused(tmp_path, monkeypatch):
    """A read-only folder (root ignores permission bits, so the refusal is simulated at the system call)."""
    import qcdc_excel.atomic as atomic

    def denied(folder, _name):
        raise PermissionError(errno.EACCES, "Permission denied", str(folder / ".probe"))

    monkeypatch.setattr(atomic, "_create_temp", denied)
    r = invoke("template", "--level", "xa", "--out", tmp_path / "bieu-mau")
    assert r.exit_code == 2
    assert "không có quyền ghi vào thư mục" in r.stderr and str(tmp_path / "bieu-mau") in r.stderr
    r = invoke("--lang", "en", "template", "--level", "xa", "--out", tmp_path / "bieu-mau")
    assert r.exit_code == 2 and "no permission to write in the folder" in r.stderr


def test_an_os_error_while_writing_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    import qcdc_excel.workbook_writer as writer

    out = tmp_path / "ket-qua" / "tong-hop.xlsx"

    def full_disk(path, *_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(writer, "write_consolidated", full_disk)
    r = invoke(*merge_args("--out", str(out)))
    assert r.exit_code == 2, r.output
    assert isinstance(r.exception, SystemExit)
    assert "Lỗi khi ghi" in r.stderr and str(out) in r.stderr and "ổ đĩa đã đầy" in r.stderr
    assert not out.exists()
    r = invoke("--lang", "en", *merge_args("--out", str(out)))
    assert r.exit_code == 2 and "Failed to write" in r.stderr and "disk is full" in r.stderr

    def denied(*_a, **_k):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "bm" / ".bieu-mau-xa.xlsx.1.tmp"))

    monkeypatch.setattr(cli, "make_templates", denied)
    r = invoke("template", "--level", "xa", "--out", tmp_path / "bm")
    assert r.exit_code == 2 and "Lỗi khi ghi" in r.stderr and str(tmp_path / "bm") in r.stderr
    assert "không có quyền ghi" in r.stderr and "Traceback" not in r.output


# --- 2. click's own texts -------------------------------------------------------------------------------
def test_help_is_vietnamese_by_default():
    for args in ([], ["-h"], ["template", "-h"], ["merge", "-h"], ["validate", "-h"], ["catalog", "-h"]):
        r = invoke(*args) if args else invoke("--help")
        assert r.exit_code == 0, (args, r.output)
        assert "Cách dùng: qcdc-excel" in r.output and "Tùy chọn:" in r.output
        assert "Hiện hướng dẫn này rồi thoát." in r.output
        assert_vietnamese_only(r.output)
    r = invoke("-h")
    assert "Lệnh:" in r.output and "[mặc định: vi]" in r.output and "Hiện phiên bản rồi thoát." in r.output
    assert "Tổng hợp hộp thư thành sổ tổng hợp." in r.output
    text = " ".join(invoke("template", "-h").output.split())
    assert "[bắt buộc]" in text and "--out THƯ_MỤC" in text and "[mặc định: qcdc]" in text
    assert "Mật khẩu khóa trang tính" in text and "Phiên bản danh mục chỉ tiêu" in text
    assert " / " not in text  # no "Vietnamese / English" mixed help left


def test_help_in_english():
    r = invoke("--lang", "en", "merge", "-h")
    assert r.exit_code == 0
    assert "Usage: qcdc-excel merge [OPTIONS] INBOX" in r.output and "Options:" in r.output
    assert "Show this message and exit." in r.output and "[required]" in r.output
    assert "Consolidated workbook to write" in r.output and "--jobs N" in r.output
    assert "Tổng hợp" not in r.output and "Cách dùng" not in r.output
    r = invoke("--lang=en", "-h")
    assert "Commands:" in r.output and "Consolidate an inbox" in r.output and "[default: vi]" in r.output


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_option_of_every_command_is_described_in_each_language(lang):
    with cli.click_language(lang):
        commands = [main, *main.commands.values()]
        for command in commands:
            assert command.help and command.get_short_help_str(), command.name
            for param in command.params:
                if isinstance(param, click.Option):
                    assert param.help, (command.name, param.name, lang)
            texts = [p.help for p in command.params if isinstance(p, click.Option)]
            if lang == "en":
                assert not any(set(x) & set("ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ") for x in texts)
    with cli.click_language("vi"):
        vi = {(c.name, p.name): p.help for c in commands for p in c.params if isinstance(p, click.Option)}
    with cli.click_language("en"):
        en = {(c.name, p.name): p.help for c in commands for p in c.params if isinstance(p, click.Option)}
    assert all(vi[k] != en[k] for k in vi), [k for k in vi if vi[k] == en[k]]
    for name in ("password", "catalog_version", "jobs", "feedback_for", "include_rejected"):
        assert any(k[1] == name for k in vi), name


CLICK_ERRORS = [
    (["template", "--level", "xa"], "Thiếu tùy chọn '--out'", "Missing option '--out'"),
    (["merge", "--out", "x.xlsx"], "Thiếu tham số", "Missing argument"),
    (["merge", "a", "b", "--out", "x.xlsx"], "Thừa tham số", "unexpected extra argument"),
    (["template", "--levle", "xa"], "Không có tùy chọn “--levle”", "No such option '--levle'"),
    (["tempalte"], "Không có lệnh “tempalte”", "No such command 'tempalte'"),
    (["merge", "hop-thu", "--out", "x.xlsx", "--jobs", "abc"], "“abc” không phải là một số hợp lệ",
     "'abc' is not a valid integer"),
    (["merge", "hop-thu", "--out", "x.xlsx", "--jobs", "0"], "nằm ngoài khoảng", "is not in the range"),
    (["merge", "hop-thu", "--out", "x.xlsx", "--feedback-for", "some"], "“some” không hợp lệ; chọn một trong",
     "is not one of"),
    (["catalog", "--file", "."], "“.” là một thư mục, ở đây cần một tệp", "is a directory"),
    (["catalog", "--json=yes"], "Tùy chọn “--json” không nhận giá trị", "does not take a value"),
    (["template", "--out"], "Tùy chọn “--out” cần một giá trị", "requires an argument"),
]


@pytest.mark.parametrize("args, vi, en", CLICK_ERRORS)
def test_click_errors_in_each_language(args, vi, en):
    r = invoke(*args)
    assert r.exit_code == 2, r.output
    assert vi in r.stderr, r.stderr
    assert "Lỗi:" in r.stderr
    usage_shown = "Cách dùng: qcdc-excel" in r.stderr  # click shows the usage when it knows the command
    assert usage_shown == ("để xem hướng dẫn" in r.stderr)
    assert_vietnamese_only(r.output)
    r = invoke("--lang", "en", *args)
    assert r.exit_code == 2
    assert en in r.stderr and "Error:" in r.stderr, r.stderr
    assert ("Usage: qcdc-excel" in r.stderr) == usage_shown
    assert "Lỗi" not in r.stderr and "Cách dùng" not in r.stderr


def test_errors_parsing_the_group_itself_follow_the_language():
    r = invoke("--lang", "fr", "catalog")
    assert r.exit_code == 2 and "Giá trị không hợp lệ cho '--lang'" in r.stderr
    assert_vietnamese_only(r.output)
    r = invoke("--lang", "en", "--bogus")
    assert r.exit_code == 2 and "No such option '--bogus'" in r.stderr
    r = invoke("--bogus")
    assert r.exit_code == 2 and "Không có tùy chọn “--bogus”" in r.stderr
    r = invoke("--lang", "en")
    assert r.exit_code == 2 and "Missing command" in r.stderr
    r = invoke()
    assert "Cách dùng" in r.output and "Usage" not in r.output


def test_lang_after_the_command_name_says_where_it_goes():
    r = invoke("merge", "hop-thu", "--lang", "en")
    assert r.exit_code == 2 and "--lang phải đặt trước tên lệnh" in r.stderr and "qcdc-excel --lang en merge" in r.stderr
    r = invoke("--lang", "en", "template", "--lang=en")
    assert r.exit_code == 2 and "--lang goes before the command name" in r.stderr


def test_version_in_each_language():
    assert invoke("--version").output.startswith("qcdc-excel, phiên bản ")
    assert invoke("--lang", "en", "--version").output.startswith("qcdc-excel, version ")


def test_language_is_restored_after_a_run():
    import click.core
    import click.exceptions

    invoke("-h")
    invoke("template")
    assert click.core._ is gettext.gettext and click.exceptions.ngettext is gettext.ngettext
    assert cli.current_lang() == "vi"


@pytest.mark.parametrize("argv, lang", [
    (["--lang", "en", "merge"], "en"), (["--lang=en", "merge"], "en"), (["-h", "--lang", "en"], "en"),
    (["merge", "--lang", "en"], "vi"), (["--lang", "fr"], "vi"), (["--lang"], "vi"), ([], "vi"),
    (["catalog", "--file", "--lang=en"], "vi"), (["--lang", "en", "--lang", "vi", "-h"], "vi"),
    (["--lang", "vi", "--lang=en", "catalog"], "en"),
])
def test_language_is_found_before_the_command_name(argv, lang):
    assert scan_lang(argv) == lang


def _click_msgids() -> tuple[set[str], set[tuple[str, str]]]:
    """Every constant text the installed click passes to gettext / ngettext."""
    singular, plural = set(), set()
    for source in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if node.func.id == "_" and args and isinstance(args[0], str):
                singular.add(args[0])
            elif node.func.id == "ngettext" and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
                plural.add((args[0], args[1]))
    return singular, plural


def _fields(text: str) -> set[str]:
    return {f[1].split("!")[0].split(".")[0] for f in string.Formatter().parse(text) if f[1]}


def test_every_click_text_has_a_vietnamese_translation():
    singular, plural = _click_msgids()
    assert len(singular) > 40 and len(plural) > 5  # the scan found click's texts
    assert not singular - set(CLICK_VI), sorted(singular - set(CLICK_VI))
    assert not plural - set(CLICK_VI_PLURAL), sorted(plural - set(CLICK_VI_PLURAL))
    # a translation only uses fields its msgid provides (it may leave some out)
    for msgid, vi in CLICK_VI.items():
        assert _fields(vi) <= _fields(msgid), (msgid, vi)
    for (one, many), (vi_one, vi_many) in CLICK_VI_PLURAL.items():
        assert _fields(vi_one) <= _fields(one) | _fields(many) and _fields(vi_many) <= _fields(one) | _fields(many)


# --- 3. a broken catalog YAML ---------------------------------------------------------------------------
BROKEN_YAML = {
    "indent": ("version: x\nitems:\n  - code: I.1\n    kind: count\n   unit: a\n", 5, 4,
               "thụt lề không khớp", "indentation does not match"),
    "quote": ('version: x\nitems:\n  - code: "I.1\n    kind: count\n', 5, 1,
              "dấu nháy mở ở dòng 3, cột 11 chưa được đóng", "quote opened at line 3, column 11 is never closed"),
    "tab": ("version: x\nitems:\n\t- a\n", 3, 1, "ký tự tab", "tab character"),
    "colon": ("version: x\ntitle: a: b\n", 2, 9, "dấu “:” không được đặt ở đây", "':' is not allowed here"),
    "bracket": ("version: [unclosed\n", 2, 1, "thiếu dấu “]”", "']' closing the bracket opened at line 1"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_YAML))
def test_broken_catalog_yaml_says_where_and_what(tmp_path, case):
    text, line, column, vi, en = BROKEN_YAML[case]
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    r = invoke("catalog", "--file", path)
    assert r.exit_code == 2 and r.stdout == ""
    assert f"Danh mục {path}, dòng {line}, cột {column}: cú pháp YAML không hợp lệ" in r.stderr, r.stderr
    assert vi in r.stderr
    assert not any(w in r.stderr for w in ("expected", "found", "while scanning", "while parsing")), r.stderr
    r = invoke("--lang", "en", "catalog", "--file", path)
    assert r.exit_code == 2
    assert f"Catalog {path}, line {line}, column {column}: invalid YAML syntax" in r.stderr and en in r.stderr


def test_unreadable_catalog_file_reasons(tmp_path):
    r = invoke("catalog", "--file", tmp_path / "khong-co.yaml")
    assert r.exit_code == 2 and "không tìm thấy tệp" in r.stderr and "khong-co.yaml" in r.stderr
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("title: Cộng".encode("utf-16"))
    r = invoke("catalog", "--file", bad)
    assert r.exit_code == 2 and "không phải văn bản UTF-8" in r.stderr
    r = invoke("--lang", "en", "catalog", "--file", bad)
    assert "not UTF-8 text" in r.stderr


# --- 4. template without --level ------------------------------------------------------------------------
def test_template_without_level_names_the_option(tmp_path):
    r = invoke("template", "--out", tmp_path / "bm")
    assert r.exit_code == 2
    assert "Thiếu tùy chọn --level" in r.stderr and "tinh, huyen hoặc xa" in r.stderr and "--roster" in r.stderr
    assert "“”" not in r.stderr
    r = invoke("--lang", "en", "template", "--out", tmp_path / "bm")
    assert r.exit_code == 2 and "Missing option --level" in r.stderr and "tinh, huyen or xa" in r.stderr
    assert not (tmp_path / "bm").exists()


# --- 5. nothing found -----------------------------------------------------------------------------------
def test_merge_of_an_empty_inbox_writes_nothing_and_exits_1(tmp_path):
    inbox = tmp_path / "hop-thu"
    inbox.mkdir()
    out = tmp_path / "kq"
    args = ["merge", str(inbox), "--out", str(out / "th.xlsx"), "--json", str(out / "th.json"),
            "--feedback-dir", str(out / "gop-y")]
    r = invoke(*args)
    assert r.exit_code == 1, r.output
    assert f"Không tìm thấy tệp báo cáo nào trong {inbox}" in r.stderr and ".xlsx" in r.stderr
    assert "Không ghi tệp nào" in r.stderr and "TỔNG HỢP" not in r.output
    assert not out.exists()
    r = invoke("--lang", "en", *args)
    assert r.exit_code == 1 and f"No report file found in {inbox}" in r.stderr and not out.exists()


def test_merge_of_an_inbox_without_workbooks_lists_what_was_skipped(tmp_path):
    inbox = tmp_path / "hop-thu"
    (inbox / "thu").mkdir(parents=True)
    (inbox / "cong-van.pdf").write_bytes(b"%PDF-1.4")
    (inbox / "thu" / "~$23641_2020.xlsx").write_bytes(b"lock")
    r = invoke("merge", inbox, "--out", tmp_path / "th.xlsx")
    assert r.exit_code == 1
    assert "Đã bỏ qua 2 tệp" in r.stderr and "cong-van.pdf" in r.stderr and "không phải bảng tính" in r.stderr
    assert "tệp khóa của Excel" in r.stderr
    assert not (tmp_path / "th.xlsx").exists()


def test_validate_of_an_empty_folder_writes_nothing_and_exits_1(tmp_path):
    folder = tmp_path / "trong"
    folder.mkdir()
    r = invoke("validate", folder, "--json", tmp_path / "r.json", "--feedback-dir", tmp_path / "gop-y")
    assert r.exit_code == 1
    assert f"Không tìm thấy tệp báo cáo nào trong {folder}" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trong"]
    r = invoke("--lang", "en", "validate", folder)
    assert r.exit_code == 1 and "No report file found" in r.stderr


# --- 6. arguments that do not fit together --------------------------------------------------------------
def test_parent_needs_a_roster(tmp_path, no_merge):
    r = invoke("merge", KBANG_INBOX, "--out", tmp_path / "th.xlsx", "--parent", "99")
    assert r.exit_code == 2 and "--parent 99 cần danh sách đơn vị" in r.stderr and "--roster" in r.stderr
    r = invoke("--lang", "en", "merge", KBANG_INBOX, "--out", tmp_path / "th.xlsx", "--parent", "99")
    assert r.exit_code == 2 and "--parent 99 needs a roster" in r.stderr
    assert not (tmp_path / "th.xlsx").exists()


@pytest.mark.parametrize("args, named, vi, en", [
    (["merge", str(KBANG_INBOX), "--out", "{tmp}/th.csv"], "th.csv", "phải là tệp có đuôi .xlsx", "ending in .xlsx"),
    (["merge", str(KBANG_INBOX), "--out", "{tmp}/th"], "th", "phải là tệp có đuôi .xlsx", "ending in .xlsx"),
    (["merge", str(KBANG_INBOX), "--out", "{tmp}/th.xlsx", "--json", "{tmp}/r.txt"], "r.txt",
     "phải là tệp có đuôi .json", "ending in .json"),
    (["validate", str(KBANG_INBOX), "--json", "{tmp}/r.xlsx"], "r.xlsx", "phải là tệp có đuôi .json",
     "ending in .json"),
])
def test_output_suffixes(tmp_path, no_merge, args, named, vi, en):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = invoke(*args)
    assert r.exit_code == 2 and vi in r.stderr and named in r.stderr, r.stderr
    r = invoke("--lang", "en", *args)
    assert r.exit_code == 2 and en in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("selection", [["--unit", "23641"], ["--all"]])
def test_personalised_templates_need_a_period(tmp_path, selection):
    r = invoke("template", "--roster", KBANG_ROSTER, *selection, "--out", tmp_path / "bm")
    assert r.exit_code == 2 and "cần kỳ báo cáo" in r.stderr and "--period" in r.stderr
    r = invoke("--lang", "en", "template", "--roster", KBANG_ROSTER, *selection, "--out", tmp_path / "bm")
    assert r.exit_code == 2 and "need a reporting period" in r.stderr
    assert not (tmp_path / "bm").exists()
    r = invoke("template", "--roster", KBANG_ROSTER, *selection, "--period", "2020", "--out", tmp_path / "bm")
    assert r.exit_code == 0 and (tmp_path / "bm" / "23641_2020.xlsx").is_file()


# --- 7. permissions of outputs --------------------------------------------------------------------------
def console_script() -> list[str]:
    script = Path(sys.executable).with_name("qcdc-excel")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "qcdc_excel.cli"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664)])
def test_outputs_get_the_usual_permissions(tmp_path, umask, mode):
    run = dict(umask=umask, capture_output=True, text=True, timeout=300)
    out = tmp_path / "kq"
    r = subprocess.run([*console_script(), "template", "--level", "xa", "--out", str(out / "bm")], **run)
    assert r.returncode == 0, r.stderr
    stale = out / "th.xlsx"  # an existing output with other permissions is replaced
    stale.write_bytes(b"old")
    stale.chmod(0o600)
    r = subprocess.run([*console_script(), *merge_args("--out", str(stale), "--json", str(out / "th.json"),
                                                      "--feedback-dir", str(out / "gop-y"))], **run)
    assert r.returncode == 0, r.stderr
    written = [out / "bm" / "bieu-mau-xa.xlsx", stale, out / "th.json", *sorted((out / "gop-y").iterdir())]
    assert len(written) == 3 + KBANG_FILES
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in written} == {p.name: oct(mode) for p in written}
    assert stale.read_bytes()[:2] == b"PK"
    assert not [p for p in out.rglob(".*")]  # no temporary file left


def test_atomic_write_keeps_no_temporary_and_replaces(tmp_path):
    from qcdc_excel.atomic import atomic_write_bytes

    target = tmp_path / "a" / "b.bin"
    atomic_write_bytes(target, b"1")
    atomic_write_bytes(target, b"22")
    assert target.read_bytes() == b"22" and os.listdir(target.parent) == ["b.bin"]
    expected = 0o666 & ~_umask()
    assert stat.S_IMODE(target.stat().st_mode) == expected


def _umask() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise AssertionError("no Umask line")  # pragma: no cover


# --- 8. the headline and what was written ---------------------------------------------------------------
@pytest.fixture(scope="module")
def kbang_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("kbang-cli")
    results = {}
    for lang in ("vi", "en"):
        d = out / lang
        results[lang] = (CliRunner().invoke(main, ["--lang", lang, *merge_args(
            "--deadline", "2020-10-25", "--out", str(d / "th.xlsx"), "--feedback-dir", str(d / "gop-y"),
            "--json", str(d / "th.json"))]), d)
    return results


def headline_rows(output: str) -> list[tuple[str, str]]:
    codes = set(load_catalog().headline)
    rows = []
    for line in output.splitlines():
        parts = line.split(maxsplit=1)
        if line.startswith("  ") and parts and parts[0] in codes:
            rows.append((parts[0], line[10:10 + cli.LABEL_WIDTH].rstrip()))
    return rows


def test_headline_in_natural_order_with_labels_cut_at_words(kbang_run):
    r, _ = kbang_run["vi"]
    assert r.exit_code == 0, r.output
    rows = headline_rows(r.stdout)
    codes = [c for c, _ in rows]
    assert len(codes) == len(load_catalog().headline)
    assert codes == sorted(codes, key=code_sort_key)
    assert codes.index("IV.8") < codes.index("IV.9") < codes.index("IV.10")
    labels = {ind.code: ind.label for ind in load_catalog().indicators.values()}
    for code, shown in rows:
        full = labels[code]
        if shown == full:
            continue
        assert shown.endswith("…"), (code, shown)
        kept = shown[:-1]
        assert full.startswith(kept) and full[len(kept)] in " ,;:", (code, shown)  # a whole word
    assert dict(rows)["II.3.3"] == "Số nội dung phản biện xã hội, góp ý xây dựng Đảng, xây dựng chính…"


def test_written_names_workbook_feedback_and_json(kbang_run):
    r, d = kbang_run["vi"]
    assert "Đã ghi:" in r.stdout
    assert f"sổ tổng hợp:  {d / 'th.xlsx'}" in r.stdout
    statuses = [f["status"] for f in json.loads((d / "th.json").read_text())["files"]]
    to_fix = sum(s in ("rejected", "unreadable") for s in statuses)
    assert 0 < to_fix < KBANG_FILES  # the sample has files sent back, and receipts
    assert (f"tệp góp ý:    {d / 'gop-y'} ({KBANG_FILES} tệp: {KBANG_FILES - to_fix} biên nhận, "
            f"{to_fix} cần sửa)") in r.stdout
    assert f"báo cáo JSON: {d / 'th.json'}" in r.stdout
    assert len(list((d / "gop-y").iterdir())) == KBANG_FILES
    r, d = kbang_run["en"]
    assert r.exit_code == 0
    assert "Written:" in r.stdout and (f"{d / 'gop-y'} ({KBANG_FILES} files: {KBANG_FILES - to_fix} receipts, "
                                       f"{to_fix} to fix)") in r.stdout
    assert f"JSON report:           {d / 'th.json'}" in r.stdout
    assert "Đã ghi" not in r.stdout
    codes = [c for c, _ in headline_rows(r.stdout)]
    assert codes.index("IV.8") < codes.index("IV.10")


def test_validate_writes_feedback_and_names_it(tmp_path):
    files = sorted(KBANG_INBOX.glob("*.xlsx"))[:3]
    r = invoke("validate", *files, "--roster", KBANG_ROSTER, "--period", "2020",
               "--feedback-dir", tmp_path / "gop-y", "--json", tmp_path / "r.json")
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "gop-y").iterdir())) == 3
    files = json.loads((tmp_path / "r.json").read_text())["files"]
    to_fix = sum(f["status"] in ("rejected", "unreadable") for f in files)
    assert f"tệp góp ý:    {tmp_path / 'gop-y'} (3 tệp: {3 - to_fix} biên nhận, {to_fix} cần sửa)" in r.stdout
    assert str(tmp_path / "r.json") in r.stdout and len(files) == 3


@pytest.mark.parametrize("codes", [
    ["I.10", "I.2", "I.1.3", "I.1"], ["IV.10", "IV.8", "IV.9", "III.8", "V.1", "II.9.6", "II.10"],
])
def test_code_sort_key_is_natural(codes):
    expected = {"I.10": 3, "I.2": 2, "I.1.3": 1, "I.1": 0}
    ordered = sorted(codes, key=code_sort_key)
    if codes[0] == "I.10":
        assert ordered == sorted(codes, key=expected.get)
    else:
        assert ordered == ["II.9.6", "II.10", "III.8", "IV.8", "IV.9", "IV.10", "V.1"]


def test_fit_cuts_at_a_word_boundary():
    assert fit("một hai ba", 20) == "một hai ba"
    assert fit("một hai ba bốn", 10) == "một hai…"
    assert fit("một hai, ba bốn", 10) == "một hai…"
    assert len(fit("x" * 100, 10)) == 10
    for width in range(5, 40):
        shown = fit("Số nội dung phản biện xã hội, góp ý xây dựng Đảng", width)
        assert len(shown) <= width


# --- 9. README ------------------------------------------------------------------------------------------
def test_readme_english_does_not_call_merge_unfinished():
    english = (ROOT / "README.md").read_text(encoding="utf-8").split("## English", 1)[1]
    assert "in progress" not in english.split("###", 1)[0]


# --- the library refuses the same misuse (the CLI is only a thin layer over it) -----------------
def test_library_merge_refuses_an_empty_inbox_and_a_parent_without_roster(tmp_path):
    from qcdc_excel.i18n import QcdcError
    from qcdc_excel import NothingFound, Outputs, Scope, merge

    inbox = tmp_path / "hop-thu"
    inbox.mkdir()
    (inbox / "ghi-chu.txt").write_text("không phải bảng tính", encoding="utf-8")
    out = tmp_path / "ket-qua" / "tong-hop.xlsx"
    with pytest.raises(NothingFound) as info:
        merge(inbox, Scope(), Outputs(out))
    assert str(inbox) in info.value.render("vi") and [p.name for p, _ in info.value.skipped] == ["ghi-chu.txt"]
    with pytest.raises(QcdcError) as info:
        merge(inbox, Scope(parent="625"), Outputs(out))
    assert info.value.key == "merge-parent-needs-roster" and "625" in info.value.render("vi")
    assert not out.parent.exists()


def test_library_make_templates_names_what_is_missing(tmp_path):
    from qcdc_excel import load_roster, make_templates
    from qcdc_excel.i18n import QcdcError

    with pytest.raises(QcdcError) as info:
        make_templates(tmp_path / "a")
    assert info.value.key == "template-level-missing"
    roster = load_roster(Path(__file__).resolve().parent.parent / "samples" / "rosters" / "kbang-2020.csv")
    with pytest.raises(QcdcError) as info:
        make_templates(tmp_path / "b", roster=roster, units=["23641"])
    assert info.value.key == "template-needs-period"
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
