"""Nothing a unit sent is lost or forged: no path is made from file content, no output lands on or
among the files being read, a reused feedback folder says only what the last run decided, and
every command (failed ones too) leaves every input byte for byte as it was (issue 19, §1 and §2)."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel.cli import main
from qcdc_excel.feedback import feedback_names
from qcdc_excel.identity import Identity
from qcdc_excel.periods import parse_period
from qcdc_excel.safe_paths import is_plain_code, path_inside, safe_component
from qcdc_excel.synthetic import fill_workbook
from qcdc_excel.template import template_bytes
from qcdc_excel.validate import read_submission

from .conftest import KBANG_ROSTER, ROOT

KBANG_INBOX = ROOT / "samples" / "kbang-2020" / "inbox"
HOSTILE = {
    "parent": "../../../../x",
    "absolute": "/tmp/qcdc-absolute-target",
    "long": "9" * 300,
    "bidi": "236\u202e41.exe",
    "reserved": "CON",
    "colon": "a:b",
    "dots": "....",
    "backslash": "..\\..\\x",
}


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def inbox(tmp_path) -> Path:
    """A copy of the Kbang inbox (18 files) in a folder of its own."""
    folder = tmp_path / "hop-thu"
    shutil.copytree(KBANG_INBOX, folder)
    return folder


def hostile_form(path: Path, code: str) -> Path:
    """A commune's return whose identity says ``code``, with the figures of a real Kbang return."""
    values = read_submission(KBANG_INBOX / "23641_2020.xlsx").values
    data = template_bytes("xa", parse_period("2020"), Identity(code, "Xã Thử", "625", "Huyện Kbang"))
    fill_workbook(data, values, path)
    return path


# --- names --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [*HOSTILE.values(), "a\x00b", "", ".", "..", "nul.txt", "Lpt1", "Đăk Pơ (gửi lần 1)"])
def test_a_safe_component_is_one_bounded_plain_name(text, tmp_path):
    name = safe_component(text)
    assert 0 < len(name) <= 80
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in name), name
    assert name not in (".", "..") and not name.startswith(".")
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "LPT1", "COM1"}
    assert path_inside(tmp_path, name).parent == tmp_path


def test_vietnamese_letters_fold_and_plain_codes_stay_as_they_are():
    assert safe_component("Đăk Pơ (gửi lần 1)") == "Dak-Po-gui-lan-1"
    assert all(is_plain_code(c) for c in ("23641", "01273", "00001", "HU-01"))
    assert not any(is_plain_code(c) for c in HOSTILE.values())


@pytest.mark.parametrize("name", ["../x", "/etc/x", "a/b", "..", ".", "", "a\x00b", "..\\x"])
def test_path_inside_refuses_a_name_that_leaves_its_folder(name, tmp_path):
    from qcdc_excel.i18n import QcdcError

    with pytest.raises(QcdcError) as err:
        path_inside(tmp_path, name)
    assert err.value.key == "unsafe-output-name"


def test_feedback_names_never_take_the_name_of_a_file_being_read(tmp_path):
    sub = read_submission(KBANG_INBOX / "23641_2020.xlsx")
    assert feedback_names([sub]) == ["23641_2020_ket-qua-kiem-tra.xlsx"]
    renamed = feedback_names([sub], taken=["23641_2020_KET-QUA-KIEM-TRA.xlsx"])
    assert renamed == ["23641_2020_ket-qua-kiem-tra_23641_2020.xlsx"]


# --- hostile codes through the command line --------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_unit_code_writes_nothing_outside_the_feedback_folder(kind, tmp_path):
    """validate --feedback-dir and merge --feedback-dir: the file gets its verdict and its feedback
    under a safe name inside the folder; nothing else in the tree changes."""
    work = tmp_path / "work"
    work.mkdir()
    box = work / "hop-thu"
    box.mkdir()
    shutil.copy(KBANG_INBOX / "23644_2020.xlsx", box)
    hostile_form(box / "tu-xa-la.xlsx", HOSTILE[kind])
    good_code = read_submission(box / "23644_2020.xlsx").unit_code
    before = tree(tmp_path)
    outside = set(before)
    r = invoke("validate", box, "--feedback-dir", work / "gop-y")
    assert r.exit_code == 0, r.output
    assert "tu-xa-la.xlsx" in r.output and "Traceback" not in r.output
    r = invoke("merge", box, "--out", work / "th" / "tong-hop.xlsx", "--feedback-dir", work / "gop-y-2",
               "--json", work / "th" / "kq.json")
    assert r.exit_code in (0, 1), r.output
    after = tree(tmp_path)
    for name in outside:  # every file that was there is unchanged
        assert after[name] == before[name]
    new = set(after) - outside
    assert all(n.startswith(("work/gop-y/", "work/gop-y-2/", "work/th/")) for n in new), sorted(new)
    for folder in ("gop-y", "gop-y-2"):
        made = sorted(p.name for p in (work / folder).iterdir())
        assert f"{good_code}_2020_ket-qua-kiem-tra.xlsx" in made
        assert "tu-xa-la_ket-qua-kiem-tra.xlsx" in made, made
        assert len(made) == 2
    assert not Path("/tmp/qcdc-absolute-target_2020_ket-qua-kiem-tra.xlsx").exists()
    assert not (tmp_path / "x_2020_ket-qua-kiem-tra.xlsx").exists()


def test_a_long_file_name_gets_a_bounded_feedback_name(tmp_path):
    box = tmp_path / "hop-thu"
    box.mkdir()
    hostile_form(box / ("bao-cao-" + "x" * 230 + ".xlsx"), HOSTILE["long"])
    r = invoke("validate", box, "--feedback-dir", tmp_path / "gop-y")
    assert r.exit_code == 0, r.output
    (made,) = list((tmp_path / "gop-y").iterdir())
    assert len(made.name) <= 100 and made.name.endswith("_ket-qua-kiem-tra.xlsx")


@pytest.mark.soffice
def test_pdf_of_a_hostile_form_lands_in_its_folder_named_after_the_file(soffice, tmp_path):
    box = tmp_path / "hop-thu"
    box.mkdir()
    src = hostile_form(box / "tu-xa-la.xlsx", HOSTILE["parent"])
    before = tree(tmp_path)
    r = invoke("pdf", src, "--out", tmp_path / "pdf")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "pdf").iterdir()) == ["tu-xa-la.pdf"]
    after = tree(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("pdf/")} == before


def test_pdf_targets_of_two_workbooks_of_one_name_do_not_clash(tmp_path):
    from qcdc_excel.pdf import PdfResult, pdf_targets

    a, b = tmp_path / "a" / "x.xlsx", tmp_path / "b" / "x.xlsx"
    res = [PdfResult(a, None), PdfResult(b, None), PdfResult(tmp_path / "c" / "y.pdf", None)]
    targets = pdf_targets(res, tmp_path / "c")
    assert [t.name for t in (targets[id(res[0])], targets[id(res[1])])] == ["x.pdf", "x_2.pdf"]
    assert targets[id(res[2])] is None  # y.pdf would replace the file being read


# --- outputs aimed at inputs -------------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [
    ("--out", "{inbox}/23644_2020.xlsx"),
    ("--out", "{inbox}/tong-hop.xlsx"),
    ("--out", "{inbox}/thu-dien-tu/tong-hop.xlsx"),
    ("--out", "{tmp}/th.xlsx", "--json", "{inbox}/kq.json"),
    ("--out", "{tmp}/th.xlsx", "--report", "{inbox}/bao-cao.docx"),
    ("--out", "{tmp}/th.xlsx", "--feedback-dir", "{inbox}"),
    ("--out", "{inbox}/../hop-thu/thu-dien-tu/2020-10-28/23641_2020.xlsx"),
])
def test_merge_refuses_an_output_among_its_inputs_before_any_work(inbox, tmp_path, extra):
    args = [a.format(inbox=inbox, tmp=tmp_path) for a in extra]
    before = tree(tmp_path)
    r = invoke("merge", inbox, "--roster", KBANG_ROSTER, "--period", "2020", *args)
    assert r.exit_code == 2, r.output
    option = args[-2]
    assert option in r.output and "ghi đè hoặc nằm lẫn" in r.output and "Traceback" not in r.output
    assert tree(tmp_path) == before


def test_merge_pdf_beside_the_inbox_is_allowed_but_not_over_an_input(tmp_path, inbox):
    (inbox / "tong-hop.pdf").write_bytes(b"%PDF- a unit's own scan")
    before = tree(tmp_path)
    r = invoke("merge", inbox, "--roster", KBANG_ROSTER, "--period", "2020", "--out", inbox / "tong-hop.xlsx",
               "--pdf")
    assert r.exit_code == 2 and tree(tmp_path) == before


def test_validate_refuses_json_or_feedback_among_its_inputs(inbox, tmp_path):
    before = tree(tmp_path)
    for args in (("--json", inbox / "kq.json"), ("--feedback-dir", inbox)):
        r = invoke("validate", inbox, *args)
        assert r.exit_code == 2, r.output
        assert args[0] in r.output
    assert tree(tmp_path) == before


def test_a_feedback_folder_inside_the_inbox_is_not_read_back(inbox, tmp_path):
    """The next run skips the copies it made, says so, and counts what it counted before."""
    args = ["merge", inbox, "--roster", KBANG_ROSTER, "--period", "2020", "--deadline", "2020-10-25",
            "--feedback-dir", inbox / "gop-y"]
    first = invoke(*args, "--out", tmp_path / "th1.xlsx", "--json", tmp_path / "th1.json")
    assert first.exit_code == 0, first.output
    assert "nằm trong hộp thư" in first.output  # the warning
    second = invoke(*args, "--out", tmp_path / "th2.xlsx", "--json", tmp_path / "th2.json")
    assert second.exit_code == 0, second.output
    assert second.output.count("tệp góp ý do qcdc-excel tạo: bỏ qua") == 18
    import json

    one, two = (json.loads((tmp_path / f"th{k}.json").read_text(encoding="utf-8")) for k in (1, 2))
    assert one["totals"] == two["totals"] and one["stats"]["files"] == two["stats"]["files"] == 18
    assert two["stats"]["skipped"] == 18


def test_a_feedback_copy_the_unit_fixed_is_read_as_its_new_report(tmp_path):
    box = tmp_path / "hop-thu"
    box.mkdir()
    shutil.copy(KBANG_INBOX / "23650_2020 (gui lan 1).xlsx", box / "23650.xlsx")
    r = invoke("validate", box, "--feedback-dir", tmp_path / "gop-y")
    assert r.exit_code == 1
    copy = tmp_path / "gop-y" / "23650_2020_ket-qua-kiem-tra.xlsx"
    assert read_submission(copy).is_feedback_copy
    fixed = tmp_path / "sua" / "23650_2020.xlsx"
    fixed.parent.mkdir()
    wrong = read_submission(box / "23650.xlsx")
    right = read_submission(KBANG_INBOX / "23650_2020.xlsx")
    cell = next(f.cell for f in wrong.findings if f.code == "rule-failed" and f.cell)
    wb = openpyxl.load_workbook(copy)
    ws = wb[wrong.layout.sheet_name]
    code = next(c for c, ref in wrong.layout.cells.items() if ref == cell)
    ws[cell] = right.values[code]
    wb.save(fixed)
    again = read_submission(fixed)
    assert not again.is_feedback_copy and again.accepted
    r = invoke("validate", fixed)
    assert r.exit_code == 0 and "tệp góp ý do qcdc-excel tạo" not in r.output


def test_a_reused_feedback_folder_says_only_what_this_run_decided(tmp_path):
    """A receipt from an earlier run is moved aside when the unit's files get new feedback; files the
    tool did not make are never touched."""
    box = tmp_path / "hop-thu"
    box.mkdir()
    shutil.copy(KBANG_INBOX / "23650_2020.xlsx", box)
    out = tmp_path / "gop-y"
    assert invoke("validate", box, "--feedback-dir", out).exit_code == 0
    receipt = out / "23650_2020_ket-qua-kiem-tra.xlsx"
    assert receipt.exists()
    mine = out / "23650_2020_ket-qua-kiem-tra_ghi-chu.xlsx"  # the office's own workbook, same prefix
    wb = openpyxl.Workbook()
    wb.active["A1"] = "ghi chú riêng"
    wb.save(mine)
    note = out / "23650_2020_ket-qua-kiem-tra_2.txt"
    note.write_text("của văn phòng", encoding="utf-8")
    kept = {p.name: p.read_bytes() for p in (mine, note)}
    shutil.copy(KBANG_INBOX / "23650_2020 (gui lan 1).xlsx", box)  # the unit's first file arrives late
    r = invoke("validate", box, "--feedback-dir", out)
    assert r.exit_code == 1
    now = sorted(p.name for p in out.iterdir() if p.is_file())
    assert now == sorted(["23650_2020_ket-qua-kiem-tra_23650_2020.xlsx",
                          "23650_2020_ket-qua-kiem-tra_23650_2020-gui-lan-1.xlsx", mine.name, note.name])
    assert {p.name: p.read_bytes() for p in (mine, note)} == kept
    (moved,) = [p for p in out.iterdir() if p.is_dir()]
    assert moved.name.startswith("da-thay-") and [p.name for p in moved.iterdir()] == [receipt.name]
    assert "tệp góp ý cũ đã chuyển" in r.output


# --- template never replaces a return ----------------------------------------------------------------------
def test_template_refuses_to_replace_filled_returns(tmp_path):
    forms = tmp_path / "bieu-mau"
    shutil.copytree(KBANG_INBOX, forms)  # the very names units send back: 23641_2020.xlsx …
    before = tree(forms)
    r = invoke("template", "--roster", KBANG_ROSTER, "--all", "--period", "2020", "--out", forms)
    assert r.exit_code == 2, r.output
    assert "23641_2020.xlsx" in r.output and "bieu-mau-moi" in r.output
    assert tree(forms) == before
    fresh = tmp_path / "moi"
    assert invoke("template", "--roster", KBANG_ROSTER, "--all", "--period", "2020", "--out", fresh).exit_code == 0
    again = invoke("template", "--roster", KBANG_ROSTER, "--all", "--period", "2020", "--out", fresh)
    assert again.exit_code == 0, again.output  # its own blank forms are replaced
    (fresh / "23641_2020.xlsx").unlink()
    (fresh / "23641_2020.xlsx").write_text("code,name\n", encoding="utf-8")  # not a form at all
    assert invoke("template", "--roster", KBANG_ROSTER, "--unit", "23641", "--period", "2020",
                  "--out", fresh).exit_code == 2


def test_template_with_a_hostile_roster_code_writes_inside_its_folder(tmp_path):
    roster = tmp_path / "ds.csv"
    roster.write_text("code,name,level,parent\n70,Tỉnh Thử,tinh,\n../../x,Xã Lạ,xa,70\n", encoding="utf-8")
    r = invoke("template", "--roster", roster, "--all", "--level", "xa", "--period", "2025", "--out", tmp_path / "bm")
    assert r.exit_code == 0, r.output
    assert [p.name for p in (tmp_path / "bm").iterdir()] == ["x_2025.xlsx"]
    assert not (tmp_path / "x_2025.xlsx").exists()


# --- the sample generator --------------------------------------------------------------------------------
def test_the_sample_script_writes_a_new_folder_and_never_the_committed_inbox(tmp_path):
    committed = tree(KBANG_INBOX)
    script = ROOT / "samples" / "make_kbang_inbox.py"
    run = dict(capture_output=True, text=True, cwd=tmp_path, timeout=300)
    r = subprocess.run([sys.executable, str(script)], **run)
    assert r.returncode == 0, r.stderr
    (made,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert made.name.startswith("hop-thu-kbang-2020-") and str(made.name) in r.stdout
    assert len(list(made.rglob("*.xlsx"))) == 18
    r = subprocess.run([sys.executable, str(script), "--out", str(KBANG_INBOX)], **run)
    assert r.returncode != 0 and "không rỗng" in r.stderr
    assert tree(KBANG_INBOX) == committed


# --- inputs byte for byte, whatever the command did ---------------------------------------------------------
COMMANDS = {
    "validate": ["validate", "{inbox}", "--roster", KBANG_ROSTER, "--feedback-dir", "{tmp}/gop-y", "--json",
                 "{tmp}/kq.json"],
    "validate-wrong-period": ["validate", "{inbox}", "--period", "2021", "--feedback-dir", "{tmp}/gop-y"],
    "merge": ["merge", "{inbox}", "--roster", KBANG_ROSTER, "--period", "2020", "--out", "{tmp}/th.xlsx",
              "--feedback-dir", "{inbox}/gop-y", "--json", "{tmp}/th.json", "--report", "{tmp}/bc.docx"],
    "merge-wrong-period": ["merge", "{inbox}", "--roster", KBANG_ROSTER, "--period", "2021", "--out",
                           "{tmp}/th.xlsx", "--feedback-dir", "{tmp}/gop-y"],
    "merge-over-input": ["merge", "{inbox}", "--out", "{inbox}/23644_2020.xlsx"],
    "merge-bad-roster": ["merge", "{inbox}", "--roster", "{inbox}/23644_2020.xlsx", "--out", "{tmp}/th.xlsx"],
    "template-over-returns": ["template", "--roster", KBANG_ROSTER, "--all", "--period", "2020", "--out", "{inbox}"],
    "report-over-input": ["report", "{inbox}/23644_2020.xlsx", "--out", "{inbox}/23644_2020.xlsx"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_leaves_every_input_byte_identical(name, inbox, tmp_path):
    before = tree(inbox)
    r = invoke(*[str(a).format(inbox=inbox, tmp=tmp_path) for a in COMMANDS[name]])
    assert "Traceback" not in r.output and not isinstance(r.exception, (AssertionError, TypeError, KeyError))
    after = tree(inbox)
    assert {k: v for k, v in after.items() if not k.startswith("gop-y/")} == before


def test_a_merge_killed_part_way_leaves_the_inbox_as_it_was(inbox, tmp_path, monkeypatch):
    """A failure while the consolidated workbook is written (disk full) leaves every input intact."""
    from qcdc_excel import workbook_writer

    before = tree(inbox)

    def full(*_a, **_k):
        raise OSError(28, "No space left on device", str(tmp_path / "th.xlsx"))
    monkeypatch.setattr(workbook_writer, "write_consolidated", full)
    r = invoke("merge", inbox, "--roster", KBANG_ROSTER, "--period", "2020", "--out", tmp_path / "th.xlsx",
               "--feedback-dir", tmp_path / "gop-y")
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert tree(inbox) == before
    assert not any(p.name.endswith(".tmp") for p in tmp_path.rglob("*"))


def test_sixteen_runs_at_once_into_one_feedback_folder_leave_it_whole(tmp_path):
    """The same command 16 times at once (an impatient officer, a script in a loop): every run gets
    its verdict, the folder ends with exactly one feedback file per input and no temporary file."""
    box = tmp_path / "hop-thu"
    box.mkdir()
    for name in ("23641_2020.xlsx", "23644_2020.xlsx", "23650_2020 (gui lan 1).xlsx"):
        shutil.copy(KBANG_INBOX / name, box)
    before = tree(box)
    script = Path(sys.executable).with_name("qcdc-excel")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "qcdc_excel.cli"]
    runs = [subprocess.Popen([*cmd, "validate", str(box), "--feedback-dir", str(tmp_path / "gop-y")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(16)]
    results = [(p.wait(timeout=600), p.communicate()) for p in runs]
    bad = [(code, err) for code, (_, err) in results if code != 1 or "Traceback" in err]
    assert not bad, bad[0]
    made = sorted(p.name for p in (tmp_path / "gop-y").iterdir())
    assert made == ["23641_2020_ket-qua-kiem-tra.xlsx", "23644_2020_ket-qua-kiem-tra.xlsx",
                    "23650_2020_ket-qua-kiem-tra.xlsx"]
    assert tree(box) == before


@pytest.mark.parametrize("option,value", [("--feedback-dir", "x" * 300), ("--json", "y" * 300 + ".json"),
                                          ("--feedback-dir", "gop\x00y"), ("--out", "z" * 300 + ".xlsx")])
def test_an_output_name_no_disk_takes_is_refused_before_any_work(option, value, tmp_path, inbox, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    args = ["--out", "th.xlsx"] if option != "--out" else []
    r = invoke("merge", inbox, *args, option, value)
    assert r.exit_code == 2, r.output
    assert ("quá dài" in r.output or "NUL" in r.output) and option in r.output and "Đang đọc" not in r.output
    assert tree(tmp_path) == before
