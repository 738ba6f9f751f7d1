"""The shipped sample of a province's year checked against its quarters (issue 23 §6): the README's
command, run as written, reports the two communes whose year disagrees with their quarters and the
one whose figure jumped, and nothing else; the committed files are what the generator makes."""
from __future__ import annotations

import importlib.util
import json
import re
import shlex
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel.cli import main
from qcdc_excel.form import UNITS_SHEET
from qcdc_excel.history import read_history
from qcdc_excel.roster import load_roster
from qcdc_excel.validate import read_submission

from .conftest import ROOT, SAMPLES

SAMPLE = SAMPLES / "province-2025"
HISTORY_CODES = {"cumulative-mismatch", "period-jump", "sibling-outlier"}


def readme_commands() -> list[str]:
    """Every README line that runs merge on the sample (the Vietnamese half's, then the English's)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines()
            if line.strip().startswith("qcdc-excel merge samples/province-2025/")]


def generator():
    spec = importlib.util.spec_from_file_location("make_province_2025", SAMPLES / "make_province_2025.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_shows_one_command_in_both_halves_outside_the_quick_start():
    commands = readme_commands()
    assert len(commands) == 2 and commands[0] == commands[1]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for quick in (text.split("## Bắt đầu nhanh", 1)[1].split("\n## ", 1)[0],
                  text.split("### Quick start", 1)[1].split("\n### ", 1)[0]):
        assert "province-2025" not in quick


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """The README's command, word for word, run from a folder where ``samples`` is the project's."""
    where = tmp_path_factory.mktemp("sample-run")
    (where / "samples").symlink_to(SAMPLES, target_is_directory=True)
    args = shlex.split(readme_commands()[0])
    assert args[:2] == ["qcdc-excel", "merge"]
    cwd = Path.cwd()
    try:
        import os

        os.chdir(where)
        result = CliRunner().invoke(main, args[1:])
    finally:
        os.chdir(cwd)
    return where, result


def test_the_readme_command_reports_the_two_mismatches_and_the_jump_and_nothing_else(ran):
    where, result = ran
    assert result.exit_code == 1, result.output  # something to act on: two returns sent back
    found = [line.strip() for line in result.output.splitlines() if re.match(r"\s+\[(Lỗi|Cảnh báo)\]", line)]
    assert len(found) == 3, result.output
    assert "cumulative-mismatch: II.1.2" in found[0] and "Năm 2025: 13 cuộc" in found[0] and "= 11 cuộc" in found[0]
    assert found[0].startswith("[Lỗi]")
    assert "cumulative-mismatch: II.4.2" in found[1] and "Năm 2025: 365 ngày công" in found[1] \
        and "= 460 ngày công" in found[1]
    assert found[2].startswith("[Cảnh báo]") and "period-jump: II.9.1" in found[2]
    assert "Năm 2024: 12 lượt; Năm 2025: 150 lượt" in found[2]
    lines = result.output.splitlines()
    assert any(ln.startswith("TRẢ LẠI") and "01273_2025.xlsx" in ln for ln in lines)
    assert any(ln.startswith("TRẢ LẠI") and "01279_2025.xlsx" in ln for ln in lines)
    assert any(ln.startswith("ĐẠT (CẢNH BÁO)") and "01288_2025.xlsx" in ln for ln in lines)
    assert sum(bool(re.match(r"ĐẠT\s{2,}", ln)) for ln in lines) == 3, result.output
    assert "6 tệp: 3 đạt, 1 đạt có cảnh báo, 2 trả lại" in result.output
    assert (where / "ket-qua" / "tong-hop-tinh-2025.xlsx").is_file()


def test_the_same_with_json_names_each_finding_with_the_earlier_value(ran, tmp_path):
    where, _ = ran
    args = shlex.split(readme_commands()[0])[1:]
    args[args.index("--out") + 1] = str(tmp_path / "TH.xlsx")
    args = [str(where / a) if a.startswith("samples/") else a for a in args]
    result = CliRunner().invoke(main, args + ["--json", str(tmp_path / "r.json")])
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    found = {(Path(f["path"]).name, x["code"], x["indicator"]): x
             for f in report["files"] for x in f["findings"]}
    assert set(found) == {("01273_2025.xlsx", "cumulative-mismatch", "II.1.2"),
                          ("01279_2025.xlsx", "cumulative-mismatch", "II.4.2"),
                          ("01288_2025.xlsx", "period-jump", "II.9.1")}
    assert found[("01279_2025.xlsx", "cumulative-mismatch", "II.4.2")]["previous_value"] == 460
    assert found[("01279_2025.xlsx", "cumulative-mismatch", "II.4.2")]["previous_period"] == \
        "2025Q1+2025Q2+2025Q3+2025Q4"
    jump = found[("01288_2025.xlsx", "period-jump", "II.9.1")]
    assert (jump["value"], jump["previous_value"], jump["previous_period"]) == (150, 12, "2024")


def test_the_committed_files_are_what_the_generator_makes():
    gen = generator()
    assert (SAMPLE / "roster.csv").read_text(encoding="utf-8").splitlines() == gen.roster_lines()
    roster = load_roster(SAMPLE / "roster.csv")
    codes = [u.code for u in roster.units.values() if u.level == "xa"]
    want = gen.figures(codes)
    for code in codes:
        sub = read_submission(SAMPLE / "nam-2025" / f"{code}_2025.xlsx", roster, "2025")
        typed = {c: v for c, v in sub.values.items() if c in want["2025"][code]}
        assert typed == pytest.approx(want["2025"][code]), code
    series = read_history(sorted((SAMPLE / "tong-hop").glob("TH-*.xlsx")))
    assert [p.code for p in series.periods()] == ["2024", "2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    for period in ("2024", "2025Q1", "2025Q2", "2025Q3", "2025Q4"):
        for code in codes:
            held = series.units[(code, "own")][period].values
            assert {c: held[c] for c in want[period][code] if c in held} == pytest.approx(
                {c: v for c, v in want[period][code].items() if c in held}), (period, code)
    wb = openpyxl.load_workbook(SAMPLE / "tong-hop" / "TH-2025Q4.xlsx")
    assert wb[UNITS_SHEET].sheet_state == "veryHidden"


@pytest.mark.parametrize("overlap", [False, True])
def test_earlier_periods_read_beside_a_large_inbox_give_the_same_findings_and_refusals(overlap, monkeypatch, tmp_path):
    """From 200 reports on, merge reads the earlier periods on a process of its own while the reports
    are read; here the threshold is lowered so that the six returns take that path too."""
    from qcdc_excel import Outputs, Scope, merge, merging
    from qcdc_excel.i18n import QcdcError

    monkeypatch.setattr(merging, "_OVERLAP_FILES", 1 if overlap else 10**9)
    roster = load_roster(SAMPLE / "roster.csv")
    previous = sorted((SAMPLE / "tong-hop").glob("TH-*.xlsx"))
    result = merge(SAMPLE / "nam-2025", Scope(roster, "2025", previous=previous), Outputs(tmp_path / "TH.xlsx"))
    found = sorted((s.unit_code, f.code, f.indicator) for s in result.report.submissions for f in s.findings)
    assert found == [("01273", "cumulative-mismatch", "II.1.2"), ("01279", "cumulative-mismatch", "II.4.2"),
                     ("01288", "period-jump", "II.9.1")]
    not_a_workbook = tmp_path / "TH-sai.xlsx"
    not_a_workbook.write_bytes(b"not a workbook")
    with pytest.raises(QcdcError) as refused:
        merge(SAMPLE / "nam-2025", Scope(roster, "2025", previous=[*previous, not_a_workbook]),
              Outputs(tmp_path / "TH2.xlsx"))
    assert refused.value.key == "history-invalid" and str(not_a_workbook) in refused.value.render("vi")
    assert not (tmp_path / "TH2.xlsx").exists()
